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

/// Most namespaces `--all-netns` (and `rss exporter --all-netns`) visit:
/// the host's, then named ones, then those of processes, in that order;
/// the distinct namespaces found beyond are left out and counted
/// ([`Survey::folded`]). Any user can make namespaces (`unshare -rn`), so
/// their number must not decide the size of the output.
pub const MAX_NAMESPACES: usize = 256;

/// One namespace to query: its label and its open file.
#[derive(Debug)]
pub struct Target {
    /// `host`, the name under `/run/netns` (control characters escaped), or
    /// `pid:PID`.
    pub label: String,
    /// Where it was found.
    pub origin: NsOrigin,
    /// Its inode (`net:[INODE]`).
    pub ino: u64,
    path: PathBuf,
    file: File,
    own: bool,
}

impl Target {
    /// Why this namespace failed, as `rss: netns LABEL: ...` says it.
    pub(crate) fn failure(&self, e: &sockdiag::Error) -> String {
        match e {
            sockdiag::Error::Namespace { source, .. } => format!(
                "netns {}: cannot enter {}: {source}",
                self.label,
                self.path.display()
            ),
            e => format!("netns {}: {e}", self.label),
        }
    }

    /// A path that names this namespace while the target lives.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}", self.file.as_raw_fd()))
    }

    /// The path it was found at (`/proc/self/ns/net`, `/run/netns/NAME`,
    /// `/proc/PID/ns/net`).
    pub fn origin_path(&self) -> &Path {
        &self.path
    }

    /// Whether this is the caller's own namespace, which is read without
    /// entering it (so without privileges).
    pub fn is_own(&self) -> bool {
        self.own
    }

    /// The namespace to enter for it: `None` for the caller's own.
    pub fn netns(&self) -> sockdiag::Result<Option<sockdiag::NetNs>> {
        if self.own {
            return Ok(None);
        }
        sockdiag::NetNs::from_path(self.path()).map(Some)
    }
}

/// The namespaces of a scope, as [`survey`] found them.
#[derive(Debug, Default)]
pub struct Survey {
    /// Each distinct namespace once: the host first, then named ones by
    /// name (real entries before symbolic links), then process ones by pid.
    pub targets: Vec<Target>,
    /// Namespaces that exist but could not be opened: `netns LABEL: ...`.
    pub errors: Vec<String>,
    /// Entries of `/run/netns` that are not network namespaces (a FIFO, a
    /// regular file, a link to anything else), ignored: `netns LABEL: ...`.
    pub ignored: Vec<String>,
    /// Distinct namespaces left out beyond [`MAX_NAMESPACES`].
    pub folded: usize,
}

impl Survey {
    /// Every message for stderr (without `rss: `): errors, ignored
    /// entries, and how many namespaces were left out.
    pub fn messages(&self) -> Vec<String> {
        let mut v = self.errors.clone();
        v.extend(self.ignored.iter().cloned());
        if self.folded > 0 {
            v.push(self.folded_note());
        }
        v
    }

    /// The note for the namespaces left out.
    pub fn folded_note(&self) -> String {
        format!(
            "--all-netns: {} more namespaces left out (at most {MAX_NAMESPACES} are shown)",
            self.folded
        )
    }
}

/// The namespaces of `scope`, each once, checked: only files of the `nsfs`
/// filesystem that are network namespaces count (see
/// [`sockdiag::host::open_checked`]: nothing is opened that could block);
/// two entries of one namespace (by device and inode) make one target,
/// labelled by the first in order (a real `/run/netns` entry before a
/// symbolic link, each by name), so labels are stable; at most
/// [`MAX_NAMESPACES`]. A named namespace or a process that vanished while
/// being listed is left out silently, as is a process namespace that cannot
/// be opened (another user's).
pub fn survey(scope: Scope) -> Survey {
    survey_at_most(scope, MAX_NAMESPACES)
}

/// [`survey`] with a bound of `max` namespaces.
pub fn survey_at_most(scope: Scope, max: usize) -> Survey {
    let files = namespace_files(scope == Scope::Pids);
    // Real entries (`ip netns add` bind-mounts a file) label a namespace
    // before links to it.
    let is_link = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    let (named, pids): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|(o, _)| matches!(o, NsOrigin::Named(_)));
    let (links, real): (Vec<_>, Vec<_>) = named.into_iter().partition(|(_, p)| is_link(p));
    let candidates = std::iter::once((NsOrigin::Host, PathBuf::from("/proc/self/ns/net")))
        .chain(real)
        .chain(links)
        .chain(pids);
    survey_of(candidates, max)
}

/// Opens and checks `candidates` in order (see [`survey`]), keeping at most
/// `max` distinct namespaces.
fn survey_of(candidates: impl IntoIterator<Item = (NsOrigin, PathBuf)>, max: usize) -> Survey {
    use sockdiag::host::{FileKind, open_checked};
    let own = std::fs::metadata("/proc/thread-self/ns/net")
        .map(|m| (m.dev(), m.ino()))
        .ok();
    let mut seen = HashSet::new();
    let mut found = Survey::default();
    for (origin, path) in candidates {
        let label = match &origin {
            // A label is printed as is: no control character in it.
            NsOrigin::Named(n) => sockdiag::ss::escape_controls(n).into_owned(),
            NsOrigin::Pid(pid) => format!("pid:{pid}"),
            NsOrigin::Host => "host".into(),
        };
        let opened =
            open_checked(&path, FileKind::NetNamespace).and_then(|f| f.metadata().map(|m| (f, m)));
        match opened {
            Ok((file, meta)) => {
                let id = (meta.dev(), meta.ino());
                if !seen.insert(id) {
                    continue;
                }
                if found.targets.len() >= max {
                    found.folded += 1;
                    continue;
                }
                found.targets.push(Target {
                    label,
                    origin,
                    ino: meta.ino(),
                    path,
                    file,
                    own: own == Some(id),
                });
            }
            // Gone meanwhile; for processes, also another user's or a
            // kernel thread's.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(_) if matches!(origin, NsOrigin::Pid(_)) => {}
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => found
                .ignored
                .push(format!("netns {label}: {}: {e}; ignored", path.display())),
            Err(e) => found.errors.push(format!(
                "netns {label}: cannot open {}: {e}",
                path.display()
            )),
        }
    }
    found
}

/// The namespaces of `scope` (see [`survey`]), and every message about the
/// others (errors, ignored entries, those left out).
pub fn targets(scope: Scope) -> (Vec<Target>, Vec<String>) {
    let s = survey(scope);
    let messages = s.messages();
    (s.targets, messages)
}

/// Where a namespace file of [`namespace_files`] comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NsOrigin {
    /// The caller's own (`/proc/self/ns/net`).
    Host,
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
                _ => unreachable!(),
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
                o => panic!("{o:?} after the pids"),
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

    #[test]
    fn only_network_namespaces_count_each_once_and_at_most_max() {
        let dir = std::env::temp_dir().join(format!("rss-survey-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let junk = dir.join("junk");
        std::fs::write(&junk, "not a namespace\n").unwrap();
        let fifo = dir.join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success(), "mkfifo {fifo:?}");
        let own = PathBuf::from("/proc/self/ns/net");
        let named = |n: &str| NsOrigin::Named(n.into());
        let candidates = vec![
            (NsOrigin::Host, own.clone()),
            (named("fifo"), fifo.clone()),
            (named("junk"), junk.clone()),
            (named("mnt"), PathBuf::from("/proc/self/ns/mnt")),
            (named("gone"), dir.join("gone")),
            // The caller's namespace again, under another name: one target.
            (named("again"), PathBuf::from("/proc/thread-self/ns/net")),
            (NsOrigin::Pid(std::process::id()), own.clone()),
        ];
        let s = survey_of(candidates.clone(), 4);
        let labels: Vec<_> = s.targets.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["host"]);
        assert!(s.targets[0].is_own());
        assert!(
            s.targets[0].netns().unwrap().is_none(),
            "the own namespace is entered"
        );
        assert_eq!(s.folded, 0);
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        assert_eq!(
            s.ignored,
            [
                format!(
                    "netns fifo: {}: not a network namespace file (it is a FIFO); ignored",
                    fifo.display()
                ),
                format!(
                    "netns junk: {}: not a network namespace file (it is a file of another filesystem); ignored",
                    junk.display()
                ),
                "netns mnt: /proc/self/ns/mnt: not a network namespace file (it is another kind of namespace); ignored".to_string(),
            ]
        );
        // Bound: with room for none, the one namespace is folded (once,
        // however many names it has).
        let s = survey_of(candidates, 0);
        assert!(s.targets.is_empty());
        assert_eq!(s.folded, 1);
        assert!(
            s.messages()
                .last()
                .unwrap()
                .contains("1 more namespaces left out")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
