//! From a parsed command line to printed sockets.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::{self, Write};

use sockdiag::{
    Connection, Error, HolderSource, NetNs, ProcessMap, ProcessMapOptions, Query, Socket,
};

use crate::args::Config;
use crate::exit::{Failure, is_stdout_tty};
use crate::json::JsonWriter;
use crate::plan::{Thread, enter_netns, filter_in, missing_note, open_netns};
pub use crate::plan::{build_query, json_asked, render_options};
use crate::render::{Names, TableRenderer};

/// Interface names and the local port range as seen inside `ns`, for the
/// renderer (`%iface`, service names outside the ephemeral range).
fn names_in(ns: &NetNs, numeric: bool) -> Names {
    let mut names = Names::new(numeric);
    let seen = ns.run(|| {
        let v = crate::sys::interfaces();
        (v, sockdiag::host::local_port_range())
    });
    if let Ok((ifaces, range)) = seen {
        for (i, n) in ifaces {
            names.set_ifname(i, &n);
        }
        if let Some((lo, hi)) = range {
            names.set_ephemeral_range(lo, hi);
        }
    }
    names
}

/// What ss 7.1 writes on stderr when it cannot open a `NETLINK_SOCK_DIAG`
/// socket: `Cannot open netlink socket: ERROR` (libnetlink's `perror`) for
/// each table it then reads from /proc/net, in its order: netlink and
/// packet (only when the states include CLOSE), unix, raw, udp, then tcp
/// (none when `TCPDIAG_FILE` replaces the dump).
fn no_netlink_notes(
    config: &Config,
    netns: Option<&sockdiag::NetNs>,
    err: &mut dyn Write,
) -> io::Result<()> {
    let opened = match netns {
        Some(ns) => Connection::in_netns(ns),
        None => Connection::new(),
    };
    let Err(sockdiag::Error::Open(e)) = opened else {
        return Ok(());
    };
    let reason = io::Error::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EPERM));
    let reason = reason.to_string();
    // Rust appends " (os error N)"; libc's strerror does not.
    let reason = reason.split(" (os error").next().unwrap_or(&reason);
    let (t, close) = (
        config.tables,
        config.states.contains(sockdiag::States::CLOSE),
    );
    let inet = config.v4 || config.v6;
    let replay = std::env::var_os("TCPDIAG_FILE").is_some();
    let tables = [
        t.contains(sockdiag::Tables::NETLINK) && close,
        t.intersects(sockdiag::Tables::PACKET) && close,
        t.intersects(sockdiag::Tables::UNIX),
        t.contains(sockdiag::Tables::RAW) && inet,
        t.contains(sockdiag::Tables::UDP) && inet,
        t.contains(sockdiag::Tables::TCP) && inet && !replay,
    ];
    for _ in tables.iter().filter(|&&on| on) {
        writeln!(err, "Cannot open netlink socket: {reason}")?;
    }
    Ok(())
}

/// One `ss` run: the refusals, the namespace (entered under
/// [`Thread::Moves`]) and its filter, `-s`, the notes
/// of tables this kernel cannot show, the connection, then the `-D`, `-E`
/// or table/JSON path (`-K` included).
pub(crate) fn execute(
    config: &Config,
    thread: Thread,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Failure> {
    refuse_before_opening(config)?;
    let config = enter_netns(config, thread)?;
    let config: &Config = &config;
    let netns = open_netns(&config.netns)?;
    let config = with_filter_in(config, netns.as_ref())?;
    let config: &Config = &config;
    let a = &config.args;
    let mut out = io::BufWriter::with_capacity(16 * 1024, out);
    if a.display.summary && print_summary(config, netns.as_ref(), &mut out)? {
        return Ok(());
    }
    write_missing_notes(config, err)?;
    let query = build_query(config);
    let mut conn = open_connection(config, netns.as_ref(), err)?;
    if let Some(path) = &a.actions.diag {
        return dump_raw(config, &mut conn, path, &mut out, err);
    }
    if a.actions.events {
        return follow_events(config, &query, netns.as_ref(), &mut out, err);
    }
    print_sockets(config, &query, &mut conn, netns.as_ref(), &mut out, err)
}

/// What is refused before anything is opened: `-Z`/`-z` (as ss: without
/// SELinux, an error before anything else), and a `-K` that is not narrow
/// or lacks `CAP_NET_ADMIN` (a refused -K closes nothing; `--dry-run`
/// closes nothing either, and is refused only when `-K` would be).
fn refuse_before_opening(config: &Config) -> Result<(), Failure> {
    if config.args.detail.context || config.args.detail.contexts {
        return Err(Failure::Refused(if sockdiag::host::selinux_enabled() {
            "SELinux security contexts (-Z/-z) are not supported".into()
        } else {
            "SELinux is not enabled.".into()
        }));
    }
    if config.args.actions.kill {
        if let Some(why) = crate::kill::refusal(config) {
            return Err(Failure::Usage(why));
        }
        if !config.args.actions.dry_run && crate::kill::has_net_admin() == Some(false) {
            return Err(Failure::Refused(crate::kill::NO_CAP.into()));
        }
    }
    Ok(())
}

/// The configuration with its filter compiled inside `-N`'s namespace
/// (`dev` names resolved there); unchanged in the caller's namespace or
/// without a filter.
fn with_filter_in<'a>(
    config: &'a Config,
    netns: Option<&NetNs>,
) -> Result<Cow<'a, Config>, Failure> {
    match netns {
        Some(ns) if config.filter_expr.is_some() => {
            let mut c = config.clone();
            c.filter = filter_in(config, ns).map_err(|e| Failure::Usage(format!("filter: {e}")))?;
            Ok(Cow::Owned(c))
        }
        _ => Ok(Cow::Borrowed(config)),
    }
}

/// `-s`: the counters as `ss -s` prints them (one JSON object under `-j`).
/// Returns whether the run ends there: ss's `if (do_default && argc == 0)
/// exit(0)` after the summary.
fn print_summary<W: Write>(
    config: &Config,
    netns: Option<&NetNs>,
    out: &mut W,
) -> Result<bool, Failure> {
    let summary = match netns {
        None => sockdiag::Summary::read()?,
        Some(ns) => sockdiag::Summary::read_in(ns)?,
    };
    if config.args.detail.json {
        serde_json::to_writer(&mut *out, &summary).map_err(io::Error::from)?;
        out.write_all(b"\n")?;
    } else {
        crate::summary::render_summary(&mut *out, &summary)?;
    }
    if config.default_selection && config.args.filter.is_empty() {
        out.flush()?;
        return Ok(true);
    }
    Ok(false)
}

/// One stderr note for each table asked for by name that this kernel has
/// no diag module for (asked of the kernel, not assumed: a dump request).
fn write_missing_notes(config: &Config, err: &mut dyn Write) -> io::Result<()> {
    for m in &config.missing {
        let note = missing_note(*m);
        writeln!(err, "{note}")?;
    }
    Ok(())
}

/// The connection in the namespace. Without a `NETLINK_SOCK_DIAG` socket
/// every table comes from /proc/net, and ss's notes say so on stderr
/// (not for `-D` and `-E`).
fn open_connection(
    config: &Config,
    netns: Option<&NetNs>,
    err: &mut dyn Write,
) -> Result<Connection, Failure> {
    let conn = Connection::open(netns)?;
    if !conn.has_netlink() && config.args.actions.diag.is_none() && !config.args.actions.events {
        no_netlink_notes(config, netns, err)?;
    }
    Ok(conn)
}

/// The table or JSON path: each socket of the dump, closed first under
/// `-K` (shown only once the kernel closed it) and given its holders under
/// `-p`, pushed to the table or JSON. A failure before the first socket
/// prints only the error: no header, no empty JSON array. `-K --dry-run`
/// shows the sockets `-K` would try to close, closes none, and says how
/// many on `err`.
fn print_sockets<W: Write>(
    config: &Config,
    query: &Query,
    conn: &mut Connection,
    netns: Option<&NetNs>,
    out: &mut W,
    err: &mut dyn Write,
) -> Result<(), Failure> {
    let a = &config.args;
    let kill = match (a.actions.kill, a.actions.dry_run) {
        (false, _) => Kill::No,
        (true, true) => Kill::DryRun(0),
        (true, false) => Kill::Yes(sockdiag::Killer::open(netns)?),
    };
    let (processes, first_pass) = process_map(config, conn, query)?;
    let mut shown = Shown {
        kill,
        processes,
        json_fields: a.detail.json.then(|| json_asked(config)),
    };
    let mut sink = output(config, netns, &mut *out)?;
    let mut failure = None;
    let mut pushed = false;
    // `-K` closes what the whole dump selected, once it is complete: no
    // close runs while the kernel still walks its tables for the dump.
    // `-p`'s first pass, when it kept its sockets, is the dump.
    let dump: Box<dyn Iterator<Item = Result<Socket, Error>>> = match (&shown.kill, first_pass) {
        (Kill::Yes(_), _) => Box::new(conn.dump(query).collect::<Vec<_>>().into_iter()),
        (_, Some(kept)) => Box::new(kept.into_iter().map(Ok)),
        (_, None) => Box::new(conn.dump(query)),
    };
    for s in dump {
        match s {
            Ok(mut s) => match shown.ready(&mut s) {
                Ok(true) => {
                    sink.push(&s)?;
                    pushed = true;
                }
                Ok(false) => {}
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            },
            // A table the kernel cannot show at all prints nothing, as in ss.
            Err(Error::Unsupported { .. }) => {}
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    if failure.is_none() || pushed {
        sink.finish()?;
    } else {
        drop(sink);
    }
    out.flush()?;
    if let Kill::DryRun(n) = shown.kill {
        let what = if n == 1 { "socket" } else { "sockets" };
        let done = if failure.is_some() {
            " before the dump failed"
        } else {
            ""
        };
        writeln!(
            err,
            "-K --dry-run: {n} {what} would be closed{done}; nothing was closed"
        )?;
    }
    match failure {
        Some(e) => Err(Failure::Diag(e)),
        None => Ok(()),
    }
}

/// What `-K` does to each dumped socket.
enum Kill {
    /// No `-K`: every socket is shown.
    No,
    /// `-K --dry-run`: the sockets `-K` would try to close are shown and
    /// counted, and none is closed.
    DryRun(usize),
    /// `-K`: once the dump is complete, each socket it selected is closed
    /// by the id and cookie the dump gave it (a socket that took the same
    /// addresses and ports since is not touched), and shown once the kernel
    /// closed it.
    Yes(sockdiag::Killer),
}

/// What each dumped socket goes through before it is shown: `-K` closes
/// it, `-p` attaches its holders, `-j` drops the fields not asked for.
struct Shown {
    kill: Kill,
    processes: Option<ProcessMap>,
    json_fields: Option<crate::json::Asked>,
}

impl Shown {
    /// Readies `s` to be shown. `Ok(false)`: `-K` passes it over (an inet
    /// socket is shown once the kernel closed it; one it cannot close, or
    /// already closed, is not).
    fn ready(&mut self, s: &mut Socket) -> Result<bool, Error> {
        // Only an inet socket can be closed (`inet_diag`'s SOCK_DESTROY);
        // the others are shown as ss shows them.
        match &mut self.kill {
            Kill::No => {}
            Kill::DryRun(n) => *n += usize::from(s.netid.is_inet()),
            Kill::Yes(k) => {
                if s.netid.is_inet() && !k.kill(s)? {
                    return Ok(false);
                }
            }
        }
        if let Some(map) = &self.processes {
            map.attach(s);
        }
        if let Some(asked) = &self.json_fields {
            crate::json::strip_unasked(s, asked);
        }
        Ok(true)
    }
}

/// `-p`'s map from socket inodes to the processes holding them; `None`
/// without `-p`. A narrow selection ([`narrow_selection`]) records only the
/// inodes a first dump selects; otherwise the walk records every socket:
/// cheaper than a second dump. The first dump's sockets come back too when
/// it kept them ([`first_pass`]): they are then shown, and the table is
/// not dumped again.
fn process_map(
    config: &Config,
    conn: &mut Connection,
    query: &Query,
) -> Result<(Option<ProcessMap>, Option<Vec<Socket>>), Failure> {
    if !config.args.display.processes {
        return Ok((None, None));
    }
    // The environment is read before anything is dumped.
    let (parallelism, source) = (walk_threads()?, holder_source()?);
    let (wanted, kept) = if narrow_selection(config) {
        let (inodes, kept) = first_pass(conn, query);
        (Some(inodes), kept)
    } else {
        (None, None)
    };
    let opts = ProcessMapOptions {
        wanted,
        threads: config.args.display.threads,
        parallelism,
        source,
        ..ProcessMapOptions::default()
    };
    Ok((Some(ProcessMap::build(&opts)?), kept))
}

/// Most threads `RSS_THREADS` may ask for.
const MAX_WALK_THREADS: usize = 1024;

/// The threads of `-p`'s walk of `/proc`: `$RSS_THREADS` when set (a whole
/// number from 1 to [`MAX_WALK_THREADS`]), else `None` (the library's
/// default: the cores this process may run on).
pub(crate) fn walk_threads() -> Result<Option<std::num::NonZeroUsize>, Failure> {
    let Some(v) = std::env::var_os("RSS_THREADS") else {
        return Ok(None);
    };
    v.to_str()
        .and_then(|t| t.parse::<std::num::NonZeroUsize>().ok())
        .filter(|n| n.get() <= MAX_WALK_THREADS)
        .map(Some)
        .ok_or_else(|| {
            Failure::Usage(format!(
                "RSS_THREADS={}: expected a number of threads from 1 to {MAX_WALK_THREADS}",
                v.to_string_lossy().escape_debug()
            ))
        })
}

/// Where `-p` takes its holders from: `$RSS_HOLDERS` when set (`auto`,
/// `proc`: always the `/proc` walk, `kernel`: always the kernel's
/// task-file iterator, an error where it cannot be used), else `auto`.
pub(crate) fn holder_source() -> Result<HolderSource, Failure> {
    let Some(v) = std::env::var_os("RSS_HOLDERS") else {
        return Ok(HolderSource::Auto);
    };
    match v.to_str() {
        Some("auto") => Ok(HolderSource::Auto),
        Some("proc") => Ok(HolderSource::Proc),
        Some("kernel") => Ok(HolderSource::Kernel),
        _ => Err(Failure::Usage(format!(
            "RSS_HOLDERS={}: expected auto, proc or kernel",
            v.to_string_lossy().escape_debug()
        ))),
    }
}

/// Most sockets [`first_pass`] keeps to be shown: a narrow selection is
/// usually a few listeners; a larger one is dumped again rather than held.
const FIRST_PASS_KEPT: usize = 4096;

/// The inodes of the sockets `query` selects (inode-less sockets are passed
/// over), and the sockets themselves when the dump completed without an
/// error (but a table the kernel cannot show, which the shown dump passes
/// over too) and selected at most [`FIRST_PASS_KEPT`]; otherwise the table
/// is dumped again to be shown, and that dump reports the errors.
fn first_pass(conn: &mut Connection, query: &Query) -> (HashSet<u64>, Option<Vec<Socket>>) {
    let mut wanted = HashSet::new();
    let mut kept = Some(Vec::new());
    for s in conn.dump(query) {
        match s {
            Ok(s) => {
                if s.inode != 0 {
                    wanted.insert(s.inode);
                }
                match &mut kept {
                    Some(k) if k.len() < FIRST_PASS_KEPT => k.push(s),
                    _ => kept = None,
                }
            }
            // A table the kernel cannot show is passed over when shown too.
            Err(Error::Unsupported { .. }) => {}
            Err(_) => kept = None,
        }
    }
    (wanted, kept)
}

/// Where the sockets go: JSON under `-j`, else ss's table, with the
/// interface names and port range of `-N`'s namespace.
fn output<W: Write>(config: &Config, netns: Option<&NetNs>, out: W) -> Result<Output<W>, Failure> {
    let tty = is_stdout_tty();
    Ok(if config.args.detail.json {
        Output::Json(JsonWriter::new(out)?)
    } else {
        let opts = render_options(config, tty);
        match netns {
            Some(ns) => Output::Table(TableRenderer::with_names(
                out,
                opts,
                names_in(ns, config.args.display.numeric),
            )),
            None => Output::Table(TableRenderer::new(out, opts)),
        }
    })
}

/// Whether `-p` should dump twice: once to learn which sockets will be
/// printed, so that the `/proc` walk records only those, then to print.
///
/// That first dump costs about as much as the one that prints, and pays off
/// only when few of the host's sockets are selected: a filter expression,
/// or no connected state (`-l`, `state listening`). With connected sockets
/// and no filter (`-tanp`, `-tp`) most sockets are printed anyway, and the
/// walk records all of them (as `ss` does) instead: at 200,000 sockets,
/// `-tanp` takes about 30% less CPU time for 5 MiB more peak memory (35 MiB
/// against 30; ss 7.1: 52 MiB), while `-tlnp` keeps its first pass (5 MiB,
/// where recording every socket took 25 MiB).
fn narrow_selection(config: &Config) -> bool {
    config.filter_expr.is_some() || !config.states.contains(sockdiag::States::ESTABLISHED)
}

/// `-E`: print each destroyed socket as the kernel reports it, until
/// interrupted (or stdout closes). Each row is written out at once. Events
/// the kernel dropped (`ENOBUFS`) are counted on stderr and, with `-j`, as a
/// `{"lost_events": N}` line.
fn follow_events(
    config: &Config,
    query: &Query,
    ns: Option<&NetNs>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Failure> {
    // As ss: destroy events are selected by family and filter expression,
    // not by state (a destroyed TCP socket is CLOSE, outside the default).
    let query = query.clone().states(sockdiag::States::all());
    let mut events = sockdiag::Events::subscribe(&query, ns)?;
    let mut drops = events.drops()?;
    // The number of events lost since the last report, when `e` says some were.
    let mut lost = |e: &Error, events: &sockdiag::Events| -> Result<Option<u32>, Failure> {
        if !matches!(e, Error::Kernel { errno, .. } if *errno == libc::ENOBUFS) {
            return Ok(None);
        }
        let now = events.drops()?;
        let n = now.wrapping_sub(drops);
        drops = now;
        writeln!(
            err,
            "rss: -E: {n} events lost: the kernel's event queue for rss overflowed"
        )?;
        Ok(Some(n))
    };
    if config.args.detail.json {
        // One JSON object per line (JSON Lines): a stream has no end to close an array.
        let mut out = out;
        let asked = json_asked(config);
        while let Some(s) = events.next() {
            match s {
                Ok(mut s) => {
                    crate::json::strip_unasked(&mut s, &asked);
                    crate::json::write_socket(&mut out, &s)?;
                }
                Err(e) => match lost(&e, &events)? {
                    Some(n) => write!(out, "{{\"lost_events\":{n}}}")?,
                    None => return Err(e.into()),
                },
            }
            out.write_all(b"\n")?;
            out.flush()?;
        }
        return Ok(());
    }
    let opts = render_options(config, is_stdout_tty());
    let mut table = match ns {
        Some(ns) => TableRenderer::with_names(out, opts, names_in(ns, config.args.display.numeric)),
        None => TableRenderer::new(out, opts),
    };
    // As ss: the header is buffered and printed with the first event,
    // aligned to it.
    while let Some(s) = events.next() {
        let s = match s {
            Ok(s) => s,
            Err(e) => match lost(&e, &events)? {
                Some(_) => continue,
                None => return Err(e.into()),
            },
        };
        table.push(&s)?;
        table.render()?;
        table.flush()?;
    }
    Ok(())
}

/// `-D FILE`: the raw netlink replies of the TCP dump (IPv4 then IPv6),
/// byte for byte what `ss -D` writes, for `TCPDIAG_FILE` replay.
fn dump_raw(
    config: &Config,
    conn: &mut Connection,
    path: &std::path::Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Failure> {
    if !config.tables.contains(sockdiag::Tables::TCP) {
        writeln!(
            err,
            "rss: -D: the selection has no TCP table; nothing to dump"
        )?;
        return Ok(());
    }
    let mut cfg = config.clone();
    cfg.tables = sockdiag::Tables::TCP;
    let query = build_query(&cfg);
    let mut file;
    let sink: &mut dyn Write = if path.as_os_str() == "-" {
        out
    } else {
        file = io::BufWriter::new(std::fs::File::create(path).map_err(|source| {
            Failure::Diag(Error::File {
                path: path.to_path_buf(),
                source,
            })
        })?);
        &mut file
    };
    conn.raw_dump(&query, |_, bytes| {
        // ss writes each datagram padded to NLMSG_ALIGN.
        let pad = (4 - bytes.len() % 4) % 4;
        sink.write_all(bytes)
            .and_then(|()| sink.write_all(&[0u8; 3][..pad]))
            .map_err(|source| Error::Io {
                context: "writing the -D file",
                source,
            })
    })?;
    sink.flush()?;
    Ok(())
}

/// Where sockets go: ss's table or JSON.
enum Output<W: Write> {
    Json(JsonWriter<W>),
    Table(TableRenderer<W>),
}

impl<W: Write> Output<W> {
    fn push(&mut self, s: &Socket) -> io::Result<()> {
        match self {
            Output::Json(j) => j.push(s),
            Output::Table(t) => t.push(s),
        }
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Output::Json(mut j) => j.finish(),
            Output::Table(t) => t.finish().map(drop),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::*;

    fn config(words: &[&str]) -> Config {
        let argv = std::iter::once("rss")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect();
        Config::parse(argv).unwrap()
    }

    #[test]
    fn a_first_pass_only_for_narrow_selections() {
        for (words, narrow) in [
            (&["-tanp"][..], false),
            (&["-tnp"], false),
            (&["-xp"], false),
            (&["-pan"], false),
            (&["-tlnp"], true),
            (&["-tp", "state", "listening"], true),
            (&["-tanp", "dport", "=", ":443"], true),
            (&["-tp", "state", "established", "sport", "=", ":22"], true),
        ] {
            assert_eq!(narrow_selection(&config(words)), narrow, "{words:?}");
        }
    }
}
