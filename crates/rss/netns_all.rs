//! `--all-netns`: the same query in the host namespace and in every named
//! one (`/run/netns/*`), and with `--all-netns=pids` in every distinct
//! namespace of a running process too, with a leading `Netns` column (a
//! `netns` field in JSON).
//!
//! Each namespace is opened once and its file kept open while it is
//! queried (through `/proc/self/fd/N`), so a namespace that disappears
//! meanwhile is either fully shown or skipped, never half-entered. A
//! namespace that cannot be entered is reported on stderr; the others
//! still print, and the exit status is then 1.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use sockdiag::{Connection, NetNs, ProcessMap, ProcessMapOptions, Query, Socket};

use crate::args::{Args, Config};
use crate::exit::{Failure, is_stdout_tty};
use crate::filter::NsResolver;
use crate::render::TableRenderer;
use crate::run::{build_query, render_options};

/// Which namespaces `--all-netns` visits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The host (the namespace rss runs in) and `/run/netns/*`.
    Named,
    /// Those, and every namespace a running process is in (`lsns -t net`).
    Pids,
}

impl Scope {
    /// Parses the value of `--all-netns[=pids]` and checks the flags it
    /// cannot be combined with.
    pub fn parse(value: &str, args: &Args) -> Result<Scope, String> {
        let scope = match value {
            "named" => Scope::Named,
            "pids" => Scope::Pids,
            other => return Err(format!("--all-netns: '{other}' is not 'pids'")),
        };
        for (on, flag) in [
            (args.net.is_some(), "-N"),
            (args.kill, "-K"),
            (args.events, "-E"),
            (args.diag.is_some(), "-D"),
            (args.summary, "-s"),
        ] {
            if on {
                return Err(format!("--all-netns cannot be combined with {flag}"));
            }
        }
        Ok(scope)
    }
}

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
pub(crate) enum NsOrigin {
    /// `/run/netns/NAME`.
    Named(String),
    /// `/proc/PID/ns/net`.
    Pid(u32),
}

/// The namespace files to look at, not yet opened nor told apart: the named
/// ones (`/run/netns/NAME`, by name), then with `pids` those of every
/// process (`/proc/PID/ns/net`, by pid). An unreadable directory lists
/// nothing.
pub(crate) fn namespace_files(pids: bool) -> Vec<(NsOrigin, PathBuf)> {
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

/// The query of `config` for namespace `ns`: interface names in the filter
/// are that namespace's.
pub(crate) fn query_in(config: &Config, ns: &NetNs) -> Result<Query, sockdiag::Error> {
    let mut c = config.clone();
    if config.filter.is_some() {
        c.filter = sockdiag::filter::parse_with(&config.filter_words, &NsResolver::In(ns))
            .and_then(|e| e.map(sockdiag::Filter::new).transpose())
            .map_err(|e| sockdiag::Error::Io {
                context: "resolving the filter in the namespace",
                source: io::Error::new(io::ErrorKind::InvalidInput, e.to_string()),
            })?;
    }
    Ok(build_query(&c))
}

/// The sockets of one namespace that the configuration selects.
fn collect(config: &Config, t: &Target) -> Result<Vec<Socket>, sockdiag::Error> {
    let ns = NetNs::from_path(t.path())?;
    let query = query_in(config, &ns)?;
    let mut conn = Connection::open(Some(&ns))?;
    let mut sockets = Vec::new();
    for s in conn.dump(&query) {
        match s {
            Ok(s) => sockets.push(s),
            Err(sockdiag::Error::Unsupported { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(sockets)
}

/// Runs the query in every namespace of `config.all_netns` and prints one
/// table (aligned over all namespaces) or one JSON array.
pub(crate) fn run(
    config: &Config,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Failure> {
    let scope = config.all_netns.unwrap_or(Scope::Named);
    let (targets, errors) = targets(scope);
    let mut failed = !errors.is_empty();
    for e in &errors {
        writeln!(err, "rss: {e}")?;
    }
    for m in &config.missing {
        writeln!(err, "{}", crate::run::missing_note(*m))?;
    }
    let a = &config.args;
    let mut all: Vec<(usize, Socket)> = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        match collect(config, t) {
            Ok(v) => all.extend(v.into_iter().map(|s| (i, s))),
            Err(e) => {
                writeln!(err, "rss: {}", t.failure(&e))?;
                failed = true;
            }
        }
    }
    if a.processes || a.threads {
        let opts = ProcessMapOptions {
            wanted: Some(
                all.iter()
                    .map(|(_, s)| s.inode)
                    .filter(|&i| i != 0)
                    .collect(),
            ),
            threads: a.threads,
            ..ProcessMapOptions::default()
        };
        let map = ProcessMap::build(&opts)?;
        for (_, s) in &mut all {
            map.attach(s);
        }
    }
    let mut out = io::BufWriter::with_capacity(16 * 1024, out);
    if a.json {
        out.write_all(if all.is_empty() { b"[" } else { b"[\n" })?;
        for (n, (i, s)) in all.iter().enumerate() {
            let mut v = serde_json::to_value(s).map_err(io::Error::from)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("netns".into(), targets[*i].label.clone().into());
            }
            if n > 0 {
                out.write_all(b",\n")?;
            }
            serde_json::to_writer(&mut out, &v).map_err(io::Error::from)?;
        }
        out.write_all(if all.is_empty() { b"]\n" } else { b"\n]\n" })?;
    } else {
        // One renderer for every namespace, so columns align across them;
        // then each row gets its namespace's label in front.
        let mut table = Vec::new();
        let mut r = TableRenderer::new(&mut table, render_options(config, is_stdout_tty()));
        for (_, s) in &all {
            r.push(s)?;
        }
        r.finish()?;
        let width = targets
            .iter()
            .map(|t| t.label.len())
            .max()
            .unwrap_or(0)
            .max("Netns".len());
        let labels: Vec<&str> = all
            .iter()
            .map(|(i, _)| targets[*i].label.as_str())
            .collect();
        prefix_lines(&table, &labels, width, !a.no_header, &mut out)?;
    }
    out.flush()?;
    if failed {
        return Err(Failure::Quiet);
    }
    Ok(())
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
