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

use std::io::{self, Write};

use sockdiag::{Connection, ProcessMap, ProcessMapOptions, Socket};

use crate::args::Config;
pub use crate::args::Scope;
use crate::exit::{Failure, is_stdout_tty, shown};
use crate::namespaces::{Target, prefix_lines, survey};
use crate::plan::{missing_note, query_for, render_options};
use crate::render::TableRenderer;

/// The sockets of one namespace that the configuration selects. The
/// caller's own namespace is read without entering it (no privilege
/// needed).
fn collect(config: &Config, t: &Target) -> Result<Vec<Socket>, sockdiag::Error> {
    let ns = t.netns()?;
    let query = query_for(config, ns.as_ref())?;
    let mut conn = Connection::open(ns.as_ref())?;
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
    let found = survey(scope);
    let mut failed = !found.errors.is_empty();
    for e in &found.errors {
        writeln!(err, "rss: {}", shown(e))?;
    }
    // Entries that are not namespaces, and those beyond the bound, are
    // notes: what could be read still is.
    for e in &found.ignored {
        writeln!(err, "rss: {}", shown(e))?;
    }
    if found.folded > 0 {
        writeln!(err, "rss: {}", found.folded_note())?;
    }
    let targets = found.targets;
    for m in &config.missing {
        writeln!(err, "{}", missing_note(*m))?;
    }
    let a = &config.args;
    let mut all: Vec<(usize, Socket)> = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        match collect(config, t) {
            Ok(v) => all.extend(v.into_iter().map(|s| (i, s))),
            Err(e) => {
                writeln!(err, "rss: {}", shown(&t.failure(&e)))?;
                failed = true;
            }
        }
    }
    if a.display.processes || a.display.threads {
        let opts = ProcessMapOptions {
            wanted: Some(
                all.iter()
                    .map(|(_, s)| s.inode)
                    .filter(|&i| i != 0)
                    .collect(),
            ),
            threads: a.display.threads,
            parallelism: crate::run::walk_threads()?,
            source: crate::run::holder_source()?,
            ..ProcessMapOptions::default()
        };
        let map = ProcessMap::build(&opts)?;
        for (_, s) in &mut all {
            map.attach(s);
        }
    }
    let mut out = io::BufWriter::with_capacity(16 * 1024, out);
    if a.detail.json {
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
        prefix_lines(&table, &labels, width, !a.detail.no_header, &mut out)?;
    }
    out.flush()?;
    if failed {
        return Err(Failure::Quiet);
    }
    Ok(())
}
