//! `rss-exporter` (also run as `rss exporter`): socket statistics for
//! Prometheus. The only crate of the workspace with an HTTP server (hyper on
//! tokio) and prometheus-client; its command line, [`ExporterArgs`], is the
//! `rss` library's, so that `rss --help`, the man pages and the completions
//! know it without linking the server.
//!
//! `rss exporter --listen ADDR [-N NS | --all-netns] [filter…]` serves
//! `/metrics` (the classic text format, or OpenMetrics when the `Accept`
//! header asks for it) and a landing page at `/`; `--textfile PATH` writes
//! the same metrics once, atomically, for node_exporter's textfile
//! collector. Every scrape takes a fresh dump; see [`scrape`] for what is
//! cached, [`metrics`] for the families and their bounded labels.
//!
//! Exit status: 0 after `--textfile` wrote its file; 1 when the system
//! refuses (address in use, namespace or file not accessible), or when no
//! namespace could be read (at start when serving; `--textfile` still
//! writes its file, with `rss_namespace_up 0`); 2 on bad usage. Serving
//! never ends by itself.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser as _;
use sockdiag::filter::SystemResolver;
use sockdiag::ss::escape_controls;
use sockdiag::{Query, States, Tables};

use rss::exit::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};
pub use rss::exporter::{ABOUT, ExporterArgs};

pub mod encode;
pub mod family;
pub mod findings;
pub mod metrics;
pub mod scrape;
pub mod server;
pub mod targets;

use encode::Format;
use scrape::{Exporter, ProcessLookup, Scope};

fn usage(err: &mut dyn Write, msg: &str) -> i32 {
    let _ = writeln!(
        err,
        "rss: exporter: {}\nTry 'rss exporter --help' for more information.",
        escape_controls(msg)
    );
    EXIT_USAGE
}

/// The query an exporter runs: every table, `tcp_info` for TCP, the
/// filter's states and expression.
pub fn build_query(words: &[String]) -> Result<Query, String> {
    let mut states = States::ALL | States::BOUND_INACTIVE;
    let rest = rss::filter::parse_states(words, &mut states).map_err(|e| e.to_string())?;
    let words: Vec<String> = rest
        .iter()
        .flat_map(|w| sockdiag::ss::split_words(w))
        .collect();
    let expr = sockdiag::filter::parse_with(&words, &SystemResolver)
        .map_err(|e| format!("filter: {e}"))?;
    let mut q = Query::new(Tables::all()).states(states).with_info();
    if let Some(e) = expr {
        q = q.filter(sockdiag::filter::Filter::new(e).map_err(|e| format!("filter: {e}"))?);
    }
    Ok(q)
}

/// Runs the exporter with `argv` (program name first, then the arguments of
/// `rss exporter`), writing help to `out` and messages to `err`; returns the
/// exit status (when serving, only on failure).
pub fn run(argv: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let argv = std::iter::once(OsString::from("rss exporter")).chain(argv.into_iter().skip(1));
    let args = match ExporterArgs::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => return rss::exit::clap_failure("exporter", &e, out, err),
    };
    let query = match build_query(&args.filter) {
        Ok(q) => q,
        Err(e) => return usage(err, &e),
    };
    let scope = match (&args.net, args.all_netns) {
        (_, true) => Scope::All,
        (Some(n), false) if n.contains('/') => Scope::One(PathBuf::from(n)),
        (Some(n), false) => {
            if n.is_empty() || n == "." || n == ".." {
                return usage(err, &format!("-N {n:?}: not a namespace name"));
            }
            Scope::One(Path::new("/run/netns").join(n))
        }
        (None, false) => Scope::Current,
    };
    if let Scope::One(p) = &scope
        && let Err(e) = sockdiag::NetNs::from_path(p.clone())
    {
        let _ = writeln!(err, "rss: {}", escape_controls(&e.to_string()));
        return EXIT_FAILURE;
    }
    let limits = metrics::Limits {
        listeners: args.max_listeners.max(1),
        processes: args.max_processes.max(1),
        namespaces: args.max_namespaces.max(1),
    };
    let lookup = if args.process_refresh == 0 {
        ProcessLookup::Off
    } else if args.textfile.is_some() {
        ProcessLookup::Once
    } else {
        ProcessLookup::Every(Duration::from_secs(args.process_refresh))
    };

    if let Some(path) = &args.textfile {
        // One shot: no background threads.
        let ex = Exporter::new(query, scope, limits, lookup, None);
        let (families, outcome) = ex.scrape_outcome();
        let text = encode::encode(families, Format::Text);
        // Written even when nothing could be read: its rss_namespace_up 0
        // replaces series that would otherwise look current.
        if let Err(e) = write_atomically(path, text.as_bytes()) {
            let msg = format!("{}: {e}", path.display());
            let _ = writeln!(err, "rss: {}", escape_controls(&msg));
            return EXIT_FAILURE;
        }
        return match nothing_read(&outcome) {
            Some(msg) => {
                let _ = writeln!(err, "rss: exporter: {}", escape_controls(&msg));
                EXIT_FAILURE
            }
            None => EXIT_OK,
        };
    }

    let listener = match std::net::TcpListener::bind(args.listen) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(err, "rss: cannot listen on {}: {e}", args.listen);
            return EXIT_FAILURE;
        }
    };
    // Nothing to serve when no namespace can be read (a namespace this user
    // cannot enter, a file that is no namespace).
    let ex = Exporter::new(
        query.clone(),
        scope.clone(),
        limits,
        ProcessLookup::Off,
        None,
    );
    if let Err(e) = ex.probe() {
        let _ = writeln!(err, "rss: exporter: cannot read any network namespace: {e}");
        return EXIT_FAILURE;
    }
    drop(ex);
    let findings = findings::start(
        &scope,
        &query,
        Duration::from_secs(args.sample_interval),
        args.sample_max_sockets,
        limits.namespaces,
    );
    let ex = Exporter::new(query, scope, limits, lookup, findings);
    if let Ok(addr) = listener.local_addr() {
        let _ = writeln!(err, "rss: exporter listening on http://{addr}/metrics");
        let _ = err.flush();
    }
    match server::serve(listener, ex) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            let _ = writeln!(err, "rss: exporter: {e}");
            EXIT_FAILURE
        }
    }
}

/// The message for a scrape that read no namespace at all.
fn nothing_read(outcome: &scrape::Outcome) -> Option<String> {
    if outcome.read > 0 {
        return None;
    }
    let why = match outcome.unread.first() {
        Some((_, e)) => e.as_str(),
        None => "no namespace to read",
    };
    Some(format!("cannot read any network namespace: {why}"))
}

/// The mode of a written textfile: readable by node_exporter running as
/// another user.
pub const TEXTFILE_MODE: u32 = 0o644;

/// Writes `bytes` to a temporary file beside `path`, then renames it over
/// `path`, so that a reader sees the old file or the new one, never half.
///
/// The temporary file is created exclusively (`O_CREAT | O_EXCL`, which
/// never follows a link) under an unpredictable name (`tempfile`), so
/// nothing planted in the directory can redirect the write or hand the file
/// to another owner: it belongs to the writer, gets mode
/// [`TEXTFILE_MODE`] (set on the open file, whatever the umask), is synced,
/// then renamed over `path` (a link at `path` is replaced, not followed),
/// and the directory is synced. The temporary name starts with `.` and
/// ends in `.tmp`, which node_exporter's collector skips. `path`'s
/// directory must be a directory, and `path`, when it exists, a regular
/// file or a link.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    use std::os::unix::fs::PermissionsExt;
    let name = path
        .file_name()
        .ok_or_else(|| Error::new(ErrorKind::InvalidInput, "not a file name"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let dir_file = sockdiag::host::open_checked(dir, sockdiag::host::FileKind::Directory)?;
    match std::fs::symlink_metadata(path) {
        Ok(m) if !(m.file_type().is_file() || m.file_type().is_symlink()) => {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "not a regular file (it is {}); not replaced",
                    sockdiag::host::describe_type(&m.file_type())
                ),
            ));
        }
        _ => {}
    }
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(TEXTFILE_MODE))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    // On failure the temporary file is removed when `tmp` drops.
    tmp.persist(path).map_err(|e| e.error)?;
    dir_file.sync_all()
}
