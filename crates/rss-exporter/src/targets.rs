//! Which namespaces the exporter covers, and its error counts by stage:
//! shared by the scrape and the findings sampler.

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
/// those of running processes by `net:[INODE]`, each once (by inode), only
/// network namespace files (see [`rss::namespaces::survey`]), at most
/// [`rss::namespaces::MAX_NAMESPACES`] with the caller's.
pub fn all_namespaces() -> Vec<(String, PathBuf)> {
    find_namespaces(rss::namespaces::MAX_NAMESPACES).0
}

/// [`all_namespaces`] with at most `max` namespaces (the caller's
/// included), and how many distinct ones were left out beyond.
pub fn find_namespaces(max: usize) -> (Vec<(String, PathBuf)>, usize) {
    let found = rss::namespaces::survey_at_most(rss::args::Scope::Pids, max);
    let list = found
        .targets
        .iter()
        .filter(|t| !t.is_own())
        .filter_map(|t| {
            let label = match &t.origin {
                NsOrigin::Named(_) => t.label.clone(),
                NsOrigin::Pid(_) => format!("net:[{}]", t.ino),
                NsOrigin::Host => return None,
            };
            Some((label, t.origin_path().to_path_buf()))
        })
        .collect();
    (list, found.folded)
}
