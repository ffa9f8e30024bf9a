//! `--watch[=INTERVAL]`: the query again every interval, with what changed
//! since the previous sample.
//!
//! Samples come from [`sockdiag::sample::Sampler`], one dump each; sockets are
//! matched across samples by [`SocketKey`] (the kernel's cookie, or table,
//! inode and addresses where the source has none), never by address and
//! port alone, so a port reused by a new connection shows as one socket
//! gone and one new.
//!
//! Three outputs:
//! - on a terminal, the screen is redrawn in place each interval within
//!   its size ([`frame`]): the status line, the changes, then as much of
//!   ss's table as fits and a count of the rows left out; `q` quits;
//! - piped, the same blocks one after another, each starting with a
//!   `--- TIMESTAMP` line;
//! - with `-j`, JSON Lines: one `snapshot` object, then one `delta` object
//!   per interval (see [`snapshot_line`] and [`delta_line`]).
//!
//! With `--all-netns` every namespace is sampled each interval: the table
//! gets a leading `Netns` column, change lines a namespace label, and each
//! JSON line (one per namespace per interval) a `netns` field.
//!
//! It ends on Ctrl-C (SIGINT/SIGTERM, exit 0), on `q` typed at the
//! terminal (exit 0) or when the reader goes away (broken pipe, exit 0).

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sockdiag::Socket;
use sockdiag::sample::Delta;
use sockdiag::sample::{Sample, SampleOptions, Sampler, SocketKey};

use crate::args::{Config, Namespace};
use crate::exit::{Failure, is_stdout_tty};
use crate::namespaces::{prefix_lines, targets};
use crate::plan::{build_query, query_for, query_in, render_options};
use crate::render::TableRenderer;
use crate::socket_metrics::{Metrics, Rates, end_text, human, utc_text};
use sockdiag::ss::{Side, state_label};

/// A socket in both samples whose state, queues or counters moved.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// The socket then.
    pub before: &'a Socket,
    /// The socket now.
    pub after: &'a Socket,
    /// Its metrics then and now.
    pub metrics: (Metrics, Metrics),
    /// Per-second rates over the interval.
    pub rates: Rates,
}

/// The kept sockets of `delta` that changed, in the later sample's order.
pub fn changes<'a>(delta: &Delta<'a>) -> Vec<Change<'a>> {
    let secs = delta.interval.as_secs_f64();
    delta
        .kept
        .iter()
        .filter_map(|&(before, after)| {
            let (m0, m1) = (Metrics::of(before), Metrics::of(after));
            let moved = before.state != after.state
                || m0.recv_q != m1.recv_q
                || m0.send_q != m1.send_q
                || m0.bytes_sent != m1.bytes_sent
                || m0.bytes_received != m1.bytes_received
                || m0.retrans != m1.retrans;
            moved.then(|| Change {
                before,
                after,
                metrics: (m0, m1),
                rates: Rates::between(&m0, &m1, secs),
            })
        })
        .collect()
}

fn key_text(s: &Socket) -> String {
    match SocketKey::of(s) {
        SocketKey::Cookie(c) => format!("cookie:{c:#x}"),
        _ => format!("ino:{}", s.inode),
    }
}

fn who(s: &Socket) -> String {
    format!(
        "{:<5} {:<10} {:<22} {:<22}",
        sockdiag::ss::netid_label(s.netid),
        state_label(s.state),
        end_text(s, Side::Local),
        end_text(s, Side::Peer)
    )
}

/// The text lines for one interval's changes: `+` new, `-` gone, `~`
/// moved, with old and new queues and counters and their rates.
pub fn change_lines(delta: &Delta<'_>) -> Vec<String> {
    let mut lines = Vec::new();
    for s in &delta.appeared {
        lines.push(format!("+ new   {} {}", who(s), key_text(s)));
    }
    for s in &delta.vanished {
        lines.push(format!("- gone  {} {}", who(s), key_text(s)));
    }
    for c in changes(delta) {
        let (m0, m1) = c.metrics;
        let mut what = String::new();
        if c.before.state != c.after.state {
            what += &format!(
                " state {}->{}",
                state_label(c.before.state),
                state_label(c.after.state)
            );
        }
        if m0.recv_q != m1.recv_q {
            what += &format!(" Recv-Q {}->{}", m0.recv_q, m1.recv_q);
        }
        if m0.send_q != m1.send_q {
            what += &format!(" Send-Q {}->{}", m0.send_q, m1.send_q);
        }
        if m1.bytes_sent > m0.bytes_sent {
            what += &format!(
                " sent +{}B ({}B/s)",
                human((m1.bytes_sent - m0.bytes_sent) as f64),
                human(c.rates.sent)
            );
        }
        if m1.bytes_received > m0.bytes_received {
            what += &format!(
                " recv +{}B ({}B/s)",
                human((m1.bytes_received - m0.bytes_received) as f64),
                human(c.rates.received)
            );
        }
        if m1.retrans > m0.retrans {
            what += &format!(
                " retrans +{} ({:.1}/s)",
                m1.retrans - m0.retrans,
                c.rates.retrans
            );
        }
        lines.push(format!(
            "~ moved {} {}{what}",
            who(c.after),
            key_text(c.after)
        ));
    }
    lines
}

fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The first JSON line: `{"type":"snapshot","seq":0,"time_ms":T,"sockets":[...]}`,
/// every socket in the sockdiag model's form (with its `cookie`).
pub fn snapshot_line(sample: &Sample) -> SnapshotLine<'_> {
    SnapshotLine {
        r#type: "snapshot",
        seq: sample.seq,
        time_ms: millis(sample.taken_at),
        sockets: &sample.sockets,
    }
}

/// A snapshot line. Lines are structs, not `serde_json::Value`s, so that
/// fields keep this order (`type` first) instead of being sorted.
#[derive(Debug, Serialize)]
pub struct SnapshotLine<'a> {
    r#type: &'static str,
    seq: u64,
    time_ms: u64,
    sockets: &'a [Socket],
}

#[derive(Debug, Serialize)]
struct MetricsJson {
    state: sockdiag::State,
    recv_q: u64,
    send_q: u64,
    bytes_sent: u64,
    bytes_received: u64,
    retrans: u64,
}

impl MetricsJson {
    fn new(s: &Socket, m: &Metrics) -> MetricsJson {
        MetricsJson {
            state: s.state,
            recv_q: m.recv_q,
            send_q: m.send_q,
            bytes_sent: m.bytes_sent,
            bytes_received: m.bytes_received,
            retrans: m.retrans,
        }
    }
}

#[derive(Debug, Serialize)]
struct RatesJson {
    sent: f64,
    received: f64,
    retrans: f64,
}

#[derive(Debug, Serialize)]
struct ChangeJson<'a> {
    key: SocketKey,
    socket: &'a Socket,
    before: MetricsJson,
    after: MetricsJson,
    rates: RatesJson,
}

/// A delta line, serialized in this field order.
#[derive(Debug, Serialize)]
pub struct DeltaLine<'a> {
    r#type: &'static str,
    seq: u64,
    time_ms: u64,
    interval_ms: u64,
    new: &'a [&'a Socket],
    gone: &'a [&'a Socket],
    changed: Vec<ChangeJson<'a>>,
}

/// Each later JSON line: `{"type":"delta","seq":N,"time_ms":T,"interval_ms":I,
/// "new":[socket...],"gone":[socket...],"changed":[...]}`. A `changed`
/// entry is `{"key":KEY,"socket":SOCKET,"before":METRICS,"after":METRICS,
/// "rates":{"sent":B/s,"received":B/s,"retrans":N/s}}` where METRICS is
/// `{"state","recv_q","send_q","bytes_sent","bytes_received","retrans"}`
/// and KEY is `{"cookie":N}` (or `{"fallback":{...}}` without cookies).
pub fn delta_line<'a>(sample: &Sample, delta: &'a Delta<'a>) -> DeltaLine<'a> {
    let changed = changes(delta)
        .into_iter()
        .map(|c| ChangeJson {
            key: SocketKey::of(c.after),
            socket: c.after,
            before: MetricsJson::new(c.before, &c.metrics.0),
            after: MetricsJson::new(c.after, &c.metrics.1),
            rates: RatesJson {
                sent: c.rates.sent,
                received: c.rates.received,
                retrans: c.rates.retrans,
            },
        })
        .collect();
    DeltaLine {
        r#type: "delta",
        seq: sample.seq,
        time_ms: millis(sample.taken_at),
        interval_ms: delta.interval.as_millis() as u64,
        new: &delta.appeared,
        gone: &delta.vanished,
        changed,
    }
}

/// Sleeps until `deadline`, a stop signal or `q` typed on the terminal
/// (`keys`); false when stopped.
fn sleep_until(deadline: Instant, keys: Option<&crate::sys::KeyInput>) -> bool {
    loop {
        if crate::sys::stop_requested() {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        let wait = (deadline - now).min(Duration::from_millis(50));
        match keys {
            Some(k) => {
                if matches!(k.key(wait), Some(b'q' | b'Q')) {
                    return false;
                }
            }
            None => std::thread::sleep(wait),
        }
    }
}

/// One frame for a terminal of `rows` × `cols`: the status line on top,
/// then the changes (at most a third of the screen, the rest counted),
/// then as much of the table as fits, with a last line counting the rows
/// left out. No line is wider than the screen and the frame never has
/// more lines than the screen, so nothing scrolls. Drawn from the top-left
/// corner, each line cleared to its end, the rest of the screen cleared.
pub fn frame(status: &str, table: &str, changes: &[String], rows: usize, cols: usize) -> String {
    let rows = rows.max(3);
    let cols = cols.max(1);
    let fit = |l: &str| -> String { l.chars().take(cols).collect() };
    let mut lines = vec![fit(status)];
    let room = rows - 1;
    let mut shown_changes = changes.len().min((rows / 3).max(1));
    if shown_changes < changes.len() {
        shown_changes = shown_changes.saturating_sub(1);
    }
    lines.extend(changes[..shown_changes].iter().map(|l| fit(l)));
    if shown_changes < changes.len() {
        lines.push(fit(&format!(
            "... {} more change(s) (piped, every change is printed)",
            changes.len() - shown_changes
        )));
    }
    let table: Vec<&str> = table.lines().collect();
    let left = room + 1 - lines.len();
    if table.len() <= left {
        lines.extend(table.iter().map(|l| fit(l)));
    } else {
        let show = left.saturating_sub(1);
        lines.extend(table[..show].iter().map(|l| fit(l)));
        lines.push(fit(&format!(
            "... {} more row(s) of {} not shown (q quits; piped, every row is printed)",
            table.len() - show,
            table.len()
        )));
    }
    let mut out = String::from("\x1b[H");
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        out.push_str(l);
        out.push_str("\x1b[K");
    }
    out.push_str("\x1b[J");
    out
}

/// The namespace file for a configuration, as the sampler takes it.
pub(crate) fn netns_path(ns: &Namespace) -> Option<PathBuf> {
    match ns {
        Namespace::Current => None,
        Namespace::Named(n) => Some(PathBuf::from("/run/netns").join(n)),
        Namespace::Path(p) => Some(p.clone()),
    }
}

/// Runs the watch loop until a stop signal or a closed output.
/// One namespace being watched.
struct Watched {
    /// Its label under `--all-netns`; `None` for a single namespace.
    label: Option<String>,
    sampler: Sampler,
    prev: Option<Sample>,
}

/// The samplers: one for the namespace of `-N` (or the caller's), or one
/// per namespace of `--all-netns` (those that cannot be entered are
/// reported on `err` and left out).
fn samplers(config: &Config, err: &mut dyn Write) -> Result<Vec<Watched>, Failure> {
    let a = &config.args;
    let opts = SampleOptions::default()
        .counters(false)
        .processes(a.display.processes || a.display.threads);
    let Some(scope) = config.all_netns else {
        let sampler = match netns_path(&config.netns) {
            Some(p) => {
                let ns = sockdiag::NetNs::from_path(&p)?;
                Sampler::new(query_in(config, &ns)?, Some(&ns), opts)?
            }
            None => Sampler::new(build_query(config), None, opts)?,
        };
        return Ok(vec![Watched {
            label: None,
            sampler,
            prev: None,
        }]);
    };
    let (targets, errors) = targets(scope);
    for e in errors {
        writeln!(err, "rss: {}", crate::exit::shown(&e))?;
    }
    let mut out = Vec::new();
    for t in &targets {
        // The sampler opens its own handle on the namespace, so the target
        // may be dropped afterwards; the caller's own namespace is sampled
        // without entering it (no privilege needed).
        let made = t.netns().and_then(|ns| {
            let q = query_for(config, ns.as_ref())?;
            Sampler::new(q, ns.as_ref(), opts.clone())
        });
        match made {
            Ok(sampler) => out.push(Watched {
                label: Some(t.label.clone()),
                sampler,
                prev: None,
            }),
            Err(e) => writeln!(err, "rss: {}", crate::exit::shown(&t.failure(&e)))?,
        }
    }
    Ok(out)
}

/// Writes one JSON line, with a `netns` field when labelled.
fn json_line<T: Serialize>(buf: &mut Vec<u8>, line: &T, label: Option<&str>) -> io::Result<()> {
    #[derive(Serialize)]
    struct Labelled<'a, T> {
        #[serde(flatten)]
        line: &'a T,
        #[serde(skip_serializing_if = "Option::is_none")]
        netns: Option<&'a str>,
    }
    serde_json::to_writer(&mut *buf, &Labelled { line, netns: label }).map_err(io::Error::from)?;
    buf.push(b'\n');
    Ok(())
}

/// Runs the watch loop until a stop signal or a closed output.
pub(crate) fn run(
    config: &Config,
    thread: crate::plan::Thread,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Failure> {
    let interval = config.watch.unwrap_or(Duration::from_secs(1));
    let a = &config.args;
    for (on, flag) in [
        (a.actions.kill, "-K"),
        (a.actions.events, "-E"),
        (a.actions.diag.is_some(), "-D"),
        (a.display.summary, "-s"),
    ] {
        if on {
            return Err(Failure::Usage(format!(
                "--watch cannot be combined with {flag}"
            )));
        }
    }
    let config = crate::plan::enter_netns(config, thread)?;
    let config: &Config = &config;
    let a = &config.args;
    let mut watched = samplers(config, err)?;
    let tty = is_stdout_tty();
    // SIGINT and SIGTERM end the loop at its next check instead of killing
    // the process mid-line.
    crate::sys::catch_stop_signals();
    // On a terminal (not -j): frames fit the screen, and `q` quits.
    let keys = (tty && !a.detail.json)
        .then(crate::sys::KeyInput::open)
        .flatten();
    let mut next = Instant::now();
    loop {
        let mut buf = Vec::with_capacity(16 * 1024);
        // The screen's size, read again each frame (the terminal may be resized).
        let screen = (tty && !a.detail.json).then(|| {
            (
                crate::sys::stdout_rows().map_or(24, usize::from),
                crate::sys::stdout_columns().map_or(80, usize::from),
            )
        });
        // Sample every namespace first: the block shows one moment.
        let mut fresh = Vec::with_capacity(watched.len());
        let mut i = 0;
        while i < watched.len() {
            match watched[i].sampler.sample() {
                Ok(s) => {
                    if a.detail.json {
                        // Lines go out as samples come in: a namespace with
                        // many sockets does not hold back the others.
                        let w = &watched[i];
                        let mut line = Vec::new();
                        let label = w.label.as_deref();
                        match &w.prev {
                            None => json_line(&mut line, &snapshot_line(&s), label)?,
                            Some(p) => {
                                let d = s.delta(p);
                                json_line(&mut line, &delta_line(&s, &d), label)?;
                            }
                        }
                        out.write_all(&line)?;
                        out.flush()?;
                    }
                    fresh.push(s);
                    i += 1;
                }
                // A namespace among many that fails is dropped and reported.
                Err(e) if watched.len() > 1 => {
                    let w = watched.remove(i);
                    writeln!(err, "rss: netns {}: {e}", w.label.unwrap_or_default())?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        // JSON lines were written above, one per namespace as sampled.
        if !a.detail.json {
            let deltas: Vec<Option<Delta<'_>>> = watched
                .iter()
                .zip(&fresh)
                .map(|(w, s)| w.prev.as_ref().map(|p| s.delta(p)))
                .collect();
            let (mut new, mut gone, mut moved) = (0, 0, 0);
            for d in deltas.iter().flatten() {
                new += d.appeared.len();
                gone += d.vanished.len();
                moved += changes(d).len();
            }
            let taken_at = fresh.first().map_or_else(SystemTime::now, |s| s.taken_at);
            let count = fresh.iter().map(|s| s.sockets.len()).sum::<usize>();
            let status = if screen.is_some() {
                // The counts first, the time of day only: they fit 80 columns.
                let time = utc_text(taken_at);
                let clock = time.split(' ').nth(1).unwrap_or(&time);
                format!(
                    "--- {clock}  {count} sockets  +{new} new  -{gone} gone  ~{moved} moved  \
                     every {interval:?}"
                )
            } else {
                format!(
                    "--- {}  every {:?}  {count} sockets  +{new} new  -{gone} gone  ~{moved} moved",
                    utc_text(taken_at),
                    interval,
                )
            };
            let mut table = Vec::new();
            let mut r = TableRenderer::new(&mut table, render_options(config, tty));
            for s in fresh.iter().flat_map(|s| &s.sockets) {
                r.push(s)?;
            }
            r.finish()?;
            let labels: Vec<&str> = watched
                .iter()
                .zip(&fresh)
                .flat_map(|(w, s)| {
                    std::iter::repeat_n(w.label.as_deref().unwrap_or(""), s.sockets.len())
                })
                .collect();
            let width = watched
                .iter()
                .filter_map(|w| w.label.as_ref().map(|l| l.len().max("Netns".len())))
                .max();
            let table = match width {
                Some(width) => {
                    let mut t = Vec::with_capacity(table.len());
                    prefix_lines(&table, &labels, width, !a.detail.no_header, &mut t)?;
                    t
                }
                None => table,
            };
            let mut change_text = Vec::new();
            for (w, d) in watched.iter().zip(&deltas) {
                for line in d.iter().flat_map(change_lines) {
                    change_text.push(match (&w.label, width) {
                        (Some(l), Some(width)) => format!("{l:<width$} {line}"),
                        _ => line,
                    });
                }
            }
            match screen {
                // Redrawn in place, within the screen: nothing scrolls.
                Some((rows, cols)) => buf.extend_from_slice(
                    frame(
                        &status,
                        &String::from_utf8_lossy(&table),
                        &change_text,
                        rows,
                        cols,
                    )
                    .as_bytes(),
                ),
                None => {
                    writeln!(buf, "{status}")?;
                    buf.extend_from_slice(&table);
                    for l in &change_text {
                        writeln!(buf, "{l}")?;
                    }
                }
            }
        }
        out.write_all(&buf)?;
        out.flush()?;
        for (w, s) in watched.iter_mut().zip(fresh) {
            w.prev = Some(s);
        }
        next += interval;
        if next < Instant::now() {
            next = Instant::now();
        }
        if !sleep_until(next, keys.as_ref()) {
            if screen.is_some() {
                // The shell's prompt below the last frame, not on it.
                out.write_all(b"\r\n")?;
                out.flush()?;
            }
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use sockdiag::Endpoint;

    use super::*;
    use sockdiag::{Family, State, Table};

    #[test]
    fn utc_dates() {
        assert_eq!(utc_text(UNIX_EPOCH), "1970-01-01 00:00:00.000 UTC");
        // 2024-02-29 12:34:56.789 UTC
        let t = UNIX_EPOCH + Duration::from_millis(1_709_210_096_789);
        assert_eq!(utc_text(t), "2024-02-29 12:34:56.789 UTC");
    }

    fn sock(cookie: u64, port: u16, recv_q: u32) -> Socket {
        let mut s = Socket::new(Table::Tcp, Family::Inet, State::Established);
        s.cookie = Some(cookie);
        s.local = Endpoint::Inet {
            addr: [127, 0, 0, 1].into(),
            port,
        };
        s.peer = Endpoint::Inet {
            addr: [127, 0, 0, 1].into(),
            port: 5000,
        };
        s.recv_q = recv_q;
        s
    }

    /// The frame's lines, escape sequences removed.
    fn frame_lines(f: &str) -> Vec<String> {
        assert!(f.starts_with("\x1b[H") && f.ends_with("\x1b[J"), "{f:?}");
        f["\x1b[H".len()..f.len() - "\x1b[J".len()]
            .split("\r\n")
            .map(|l| l.strip_suffix("\x1b[K").unwrap().to_string())
            .collect()
    }

    #[test]
    fn a_frame_fits_the_screen_with_the_status_and_changes_on_top() {
        let table: String = std::iter::once("State Recv-Q".to_string())
            .chain((0..100).map(|i| format!("LISTEN {i} {}", "x".repeat(120))))
            .map(|l| l + "\n")
            .collect();
        let changes: Vec<String> = (0..3).map(|i| format!("+ new   tcp {i}")).collect();
        let lines = frame_lines(&frame("--- status +3 new", &table, &changes, 20, 80));
        assert_eq!(lines.len(), 20, "{lines:#?}");
        assert!(lines.iter().all(|l| l.chars().count() <= 80), "{lines:#?}");
        assert_eq!(lines[0], "--- status +3 new");
        assert_eq!(&lines[1..4], &changes[..]);
        assert_eq!(lines[4], "State Recv-Q");
        assert_eq!(
            lines[19],
            "... 86 more row(s) of 101 not shown (q quits; piped, every row is printed)"
        );
        // Many changes: a third of the screen, the rest counted.
        let many: Vec<String> = (0..50).map(|i| format!("- gone  tcp {i}")).collect();
        let lines = frame_lines(&frame("--- s", &table, &many, 21, 80));
        assert_eq!(lines.len(), 21);
        assert_eq!(
            lines[7],
            "... 44 more change(s) (piped, every change is printed)"
        );
        assert_eq!(lines[1], "- gone  tcp 0");
        // A table that fits is whole, without a count.
        let lines = frame_lines(&frame("--- s", "a\nb\n", &[], 20, 80));
        assert_eq!(lines, ["--- s", "a", "b"]);
    }

    #[test]
    fn a_reused_port_is_a_new_socket() {
        let a = Sample::new(
            0,
            Duration::ZERO,
            vec![sock(1, 41000, 0), sock(2, 41001, 0)],
        );
        let b = Sample::new(
            1,
            Duration::from_secs(2),
            vec![sock(1, 41000, 1000), sock(3, 41001, 0)],
        );
        let d = b.delta(&a);
        let lines = change_lines(&d);
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert!(lines[0].starts_with("+ new") && lines[0].contains("cookie:0x3"));
        assert!(lines[1].starts_with("- gone") && lines[1].contains("cookie:0x2"));
        assert!(lines[2].starts_with("~ moved") && lines[2].ends_with("Recv-Q 0->1000"));
        let v = serde_json::to_value(delta_line(&b, &d)).unwrap();
        assert_eq!(v["interval_ms"], 2000);
        assert_eq!(v["new"][0]["cookie"], 3);
        assert_eq!(v["gone"][0]["cookie"], 2);
        assert_eq!(v["changed"][0]["key"]["cookie"], 1);
        assert_eq!(v["changed"][0]["before"]["recv_q"], 0);
        assert_eq!(v["changed"][0]["after"]["recv_q"], 1000);
        let s = serde_json::to_value(snapshot_line(&a)).unwrap();
        assert_eq!(s["type"], "snapshot");
        assert_eq!(s["sockets"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn rates_per_second() {
        let m0 = Metrics {
            bytes_sent: 1000,
            retrans: 1,
            ..Metrics::default()
        };
        let m1 = Metrics {
            bytes_sent: 5000,
            retrans: 3,
            bytes_received: 10,
            ..Metrics::default()
        };
        let r = Rates::between(&m0, &m1, 2.0);
        assert_eq!((r.sent, r.received, r.retrans), (2000.0, 5.0, 1.0));
        assert_eq!(Rates::between(&m1, &m0, 2.0).sent, 0.0);
        assert_eq!(human(1500.0), "1.5K");
        assert_eq!(human(999.0), "999");
        assert_eq!(human(2_500_000.0), "2.5M");
    }
}
