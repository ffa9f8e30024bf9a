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

use crate::args::{Args, Config, Namespace};
use crate::run::{Failure, execute};

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
            (args.watch.is_some(), "--watch"),
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
    if let Ok(dir) = std::fs::read_dir("/run/netns") {
        let mut names: Vec<_> = dir
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for n in names {
            add(n.clone(), &Path::new("/run/netns").join(&n), true);
        }
    }
    if scope == Scope::Pids
        && let Ok(dir) = std::fs::read_dir("/proc")
    {
        let mut pids: Vec<u32> = dir
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .collect();
        pids.sort_unstable();
        for pid in pids {
            let path = PathBuf::from(format!("/proc/{pid}/ns/net"));
            // Processes come and go, and kernel threads have no namespace
            // file to open: only what can be opened counts.
            if path.exists() {
                add(format!("pid:{pid}"), &path, true);
            }
        }
    }
    (out, errors)
}

/// Runs the query in every namespace of `config.all_netns`.
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
    let width = targets
        .iter()
        .map(|t| t.label.len())
        .max()
        .unwrap_or(0)
        .max("Netns".len());
    let json = config.args.json;
    let mut header_due = !config.args.no_header;
    let mut first_json = true;
    let mut notes = HashSet::new();
    for t in &targets {
        let mut c = config.clone();
        c.netns = Namespace::Path(t.path());
        c.all_netns = None;
        c.args.no_header = !header_due;
        let mut buf = Vec::new();
        let mut ebuf = Vec::new();
        let result = execute(&c, &mut buf, &mut ebuf);
        // Notes such as a missing table are the same in every namespace.
        for line in String::from_utf8_lossy(&ebuf).lines() {
            if notes.insert(line.to_string()) {
                writeln!(err, "{line}")?;
            }
        }
        match result {
            Ok(()) => {}
            Err(Failure::Output(e)) => return Err(Failure::Output(e)),
            Err(Failure::Diag(sockdiag::Error::Namespace { source, .. })) => {
                writeln!(
                    err,
                    "rss: netns {}: cannot enter {}: {source}",
                    t.label,
                    t.origin.display()
                )?;
                failed = true;
                continue;
            }
            Err(Failure::Diag(e)) => {
                writeln!(err, "rss: netns {}: {e}", t.label)?;
                failed = true;
                continue;
            }
            Err(other) => return Err(other),
        }
        if json {
            let v: serde_json::Value =
                serde_json::from_slice(&buf).map_err(|e| Failure::Output(e.into()))?;
            for mut s in v.as_array().cloned().unwrap_or_default() {
                if let Some(o) = s.as_object_mut() {
                    o.insert("netns".into(), t.label.clone().into());
                }
                out.write_all(if first_json { b"[\n" } else { b",\n" })?;
                first_json = false;
                serde_json::to_writer(&mut *out, &s).map_err(io::Error::from)?;
            }
        } else {
            prefix_lines(&buf, &t.label, width, header_due, out)?;
            header_due = false;
        }
        out.flush()?;
    }
    if json {
        out.write_all(if first_json { b"[]\n" } else { b"\n]\n" })?;
    }
    out.flush()?;
    if failed {
        return Err(Failure::Quiet);
    }
    Ok(())
}

/// Writes `table` with `label` in a leading column of `width`; its first
/// line is the header when `header` is set, and lines that continue a row
/// (`-i`, `-e` details start with white space) get an empty cell.
fn prefix_lines(
    table: &[u8],
    label: &str,
    width: usize,
    header: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    for (i, line) in table.split_inclusive(|b| *b == b'\n').enumerate() {
        let cell = if i == 0 && header {
            "Netns"
        } else if line.first().is_some_and(|b| *b == b'\t' || *b == b' ') {
            ""
        } else {
            label
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
        prefix_lines(table, "blue", 6, true, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Netns  State Recv-Q\nblue   ESTAB 0\n       \tcubic rto:204\nblue   LISTEN 0\n"
        );
        let mut out = Vec::new();
        prefix_lines(b"ESTAB 0\n", "host", 5, false, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "host  ESTAB 0\n");
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
