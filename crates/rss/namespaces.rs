//! The network namespaces `--all-netns` visits (the host, `/run/netns/*`
//! and, with `pids`, those of running processes), each opened once, and
//! the `Netns` column of their tables.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::args::Scope;

/// One namespace to query: its label and its open file.
#[derive(Debug)]
pub struct Target {
    /// `host`, the name under `/run/netns`, or `pid:PID`.
    pub label: String,
    origin: PathBuf,
    file: File,
}

impl Target {
    /// Why this namespace failed, as `rss: netns LABEL: ...` says it.
    pub(crate) fn failure(&self, e: &sockdiag::Error) -> String {
        match e {
            sockdiag::Error::Namespace { source, .. } => format!(
                "netns {}: cannot enter {}: {source}",
                self.label,
                self.origin.display()
            ),
            e => format!("netns {}: {e}", self.label),
        }
    }

    /// A path that names this namespace while the target lives.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}", self.file.as_raw_fd()))
    }
}

/// The namespaces of `scope`, each once (by device and inode), host first,
/// then named ones by name, then process ones by pid; and the ones that
/// could not be opened, as messages. A named namespace or process that
/// vanished while being listed is left out silently.
pub fn targets(scope: Scope) -> (Vec<Target>, Vec<String>) {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut add = |label: String, path: &Path, quiet_if_gone: bool| match File::open(path)
        .and_then(|f| f.metadata().map(|m| (f, m)))
    {
        Ok((file, meta)) => {
            if seen.insert((meta.dev(), meta.ino())) {
                out.push(Target {
                    label,
                    origin: path.to_path_buf(),
                    file,
                });
            }
        }
        // Gone meanwhile; for processes, also another user's.
        Err(e) if quiet_if_gone && e.kind() == io::ErrorKind::NotFound => {}
        Err(e) if label.starts_with("pid:") => {
            let _ = e;
        }
        Err(e) => errors.push(format!(
            "netns {label}: cannot open {}: {e}",
            path.display()
        )),
    };
    add("host".into(), Path::new("/proc/self/ns/net"), false);
    for (origin, path) in namespace_files(scope == Scope::Pids) {
        match origin {
            NsOrigin::Named(n) => add(n, &path, true),
            // Processes come and go, and kernel threads have no namespace
            // file to open: only what can be opened counts.
            NsOrigin::Pid(pid) if path.exists() => add(format!("pid:{pid}"), &path, true),
            NsOrigin::Pid(_) => {}
        }
    }
    (out, errors)
}

/// Where a namespace file of [`namespace_files`] comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NsOrigin {
    /// `/run/netns/NAME`.
    Named(String),
    /// `/proc/PID/ns/net`.
    Pid(u32),
}

/// The namespace files to look at, not yet opened nor told apart: the named
/// ones (`/run/netns/NAME`, by name), then with `pids` those of every
/// process (`/proc/PID/ns/net`, by pid). An unreadable directory lists
/// nothing.
pub fn namespace_files(pids: bool) -> Vec<(NsOrigin, PathBuf)> {
    let mut names: Vec<String> = std::fs::read_dir("/run/netns")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut out: Vec<_> = names
        .into_iter()
        .map(|n| {
            let path = Path::new("/run/netns").join(&n);
            (NsOrigin::Named(n), path)
        })
        .collect();
    if pids {
        let mut pids: Vec<u32> = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .collect();
        pids.sort_unstable();
        out.extend(pids.into_iter().map(|pid| {
            (
                NsOrigin::Pid(pid),
                PathBuf::from(format!("/proc/{pid}/ns/net")),
            )
        }));
    }
    out
}

/// Writes `table` with a leading column of `width`: `Netns` on the header
/// line (when `header`), then the labels, one per row in order. Lines that
/// continue a row (`-i`, `-m` and `-e` details start with a tab) get an
/// empty cell.
pub(crate) fn prefix_lines(
    table: &[u8],
    labels: &[&str],
    width: usize,
    header: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut labels = labels.iter();
    for (i, line) in table.split_inclusive(|b| *b == b'\n').enumerate() {
        let cell = if i == 0 && header {
            "Netns"
        } else if line.first() == Some(&b'\t') {
            ""
        } else {
            labels.next().copied().unwrap_or("?")
        };
        write!(out, "{cell:<width$} ")?;
        out.write_all(line)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_a_column() {
        let table = b"State Recv-Q\nESTAB 0\n\tcubic rto:204\nLISTEN 0\n";
        let mut out = Vec::new();
        prefix_lines(table, &["blue", "host"], 6, true, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Netns  State Recv-Q\nblue   ESTAB 0\n       \tcubic rto:204\nhost   LISTEN 0\n"
        );
        // Without a header; a first column that starts with blanks (-Q).
        let mut out = Vec::new();
        prefix_lines(b"  1.2.3.4:5\n", &["host"], 5, false, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "host    1.2.3.4:5\n");
    }

    #[test]
    fn namespace_files_are_named_ones_by_name_then_processes_by_pid() {
        let named = namespace_files(false);
        assert!(named.iter().all(|(o, _)| matches!(o, NsOrigin::Named(_))));
        let names: Vec<_> = named
            .iter()
            .map(|(o, p)| match o {
                NsOrigin::Named(n) => {
                    assert_eq!(p, &Path::new("/run/netns").join(n));
                    n.clone()
                }
                NsOrigin::Pid(_) => unreachable!(),
            })
            .collect();
        assert!(names.is_sorted(), "{names:?}");
        let all = namespace_files(true);
        assert_eq!(&all[..named.len()], &named[..]);
        let pids: Vec<u32> = all[named.len()..]
            .iter()
            .map(|(o, p)| match o {
                NsOrigin::Pid(pid) => {
                    assert_eq!(p, &PathBuf::from(format!("/proc/{pid}/ns/net")));
                    *pid
                }
                NsOrigin::Named(_) => panic!("a named one after the pids"),
            })
            .collect();
        assert!(pids.is_sorted(), "{pids:?}");
        assert!(pids.contains(&std::process::id()));
    }

    #[test]
    fn host_comes_first_and_once() {
        let (t, _) = targets(Scope::Named);
        assert_eq!(t[0].label, "host");
        let (t, _) = targets(Scope::Pids);
        assert_eq!(t[0].label, "host");
        // This process is in the host namespace: no pid:SELF entry.
        let me = format!("pid:{}", std::process::id());
        assert!(t.iter().all(|x| x.label != me));
    }
}
