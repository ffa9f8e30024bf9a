//! Which namespaces the exporter covers, and its error counts by stage:
//! shared by the scrape and the findings sampler.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use rss::namespaces::NsOrigin;

/// Which namespaces a scrape covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The exporter's own namespace (no `netns` label).
    Current,
    /// One namespace file (`-N`; no `netns` label).
    One(PathBuf),
    /// Every namespace found: the exporter's own (`netns="host"`), those in
    /// `/run/netns` (by name) and those of running processes
    /// (`netns="net:[INODE]"`).
    All,
}

/// Why a scrape step failed, as the `stage` label of
/// `rss_exporter_errors_total`.
pub(crate) const STAGES: [&str; 5] = ["netns", "dump", "counters", "processes", "findings"];

/// Errors by stage, since start.
#[derive(Debug, Default)]
pub struct Errors(pub(crate) [AtomicU64; STAGES.len()]);

impl Errors {
    /// Counts one error of `stage` (`netns`, `dump`, `counters`, `processes` or `findings`).
    pub fn count(&self, stage: &str) {
        if let Some(i) = STAGES.iter().position(|s| *s == stage) {
            self.0[i].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Namespaces other than the caller's: `/run/netns/NAME` by name, then
/// those of running processes by `net:[INODE]`, each once (by inode).
pub fn all_namespaces() -> Vec<(String, PathBuf)> {
    let own = std::fs::metadata("/proc/thread-self/ns/net")
        .map(|m| (m.dev(), m.ino()))
        .ok();
    let mut seen: std::collections::HashSet<(u64, u64)> = own.into_iter().collect();
    let mut out = Vec::new();
    for (origin, path) in rss::namespaces::namespace_files(true) {
        let Ok(m) = std::fs::metadata(&path) else {
            continue;
        };
        if !seen.insert((m.dev(), m.ino())) {
            continue;
        }
        let label = match origin {
            NsOrigin::Named(name) => name,
            NsOrigin::Pid(_) => format!("net:[{}]", m.ino()),
        };
        out.push((label, path));
    }
    out
}
