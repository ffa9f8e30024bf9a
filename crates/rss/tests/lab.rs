//! The lab's scenarios as tests: each builds its situation with the very
//! code `cargo run --example lab` runs (`crates/lab/src/scenarios.rs`), and at
//! every step asserts each expected row (exact state, Recv-Q, Send-Q, timer
//! kind, retransmissions, expiry within a bound) through the library, then
//! that the system `ss` and rss (`rss::run -N <namespace>`) in the same
//! namespace show the same row, and finally the values the scenario measured
//! (counters, errnos, timings).
//!
//! They need root (network namespaces), `/usr/bin/ss`, and `iptables` for
//! four scenarios; without them they skip loudly, and with
//! `RSS_REQUIRE_PRIVILEGED=1` (CI) they fail instead.
//!
//! ss 6.1 (installed here) and v7.1 differ in one way these rows can show:
//! a timer between 1 and 10 s prints as `1.234ms` in 6.1 and `1.234sec` in
//! v7.1 (REFERENCE.md §2); [`parse_expiry`] reads both. Nothing else is
//! normalised.

use lab::scenarios;

use std::net::SocketAddr;
use std::time::Duration;

use scenarios::{Absent, Expect, Lab, Observer, Report, Step};
use sockdiag::{Socket, State, TimerKind};

// ---------------------------------------------------------------------------
// What ss and rss print

/// One row of `ss -tano` (or `rss -tano`) output.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    state: String,
    recv_q: u32,
    send_q: u32,
    local: SocketAddr,
    peer: SocketAddr,
    timer: Option<RowTimer>,
    line: String,
}

#[derive(Debug, Clone, PartialEq)]
struct RowTimer {
    kind: String,
    expires: Duration,
    /// How much the printed expiry may lie below the real one (ss drops
    /// the milliseconds from 10 s on, the seconds from 10 min on).
    precision: Duration,
    retransmits: u8,
}

/// `127.0.0.1:5000`, `0.0.0.0:*`, `[::1]:80`, `127.0.0.53%lo:53`.
fn parse_addr(text: &str) -> Option<SocketAddr> {
    let (host, port) = text.rsplit_once(':')?;
    let port = if port == "*" { 0 } else { port.parse().ok()? };
    let host = host.split('%').next()?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = if host == "*" { "0.0.0.0" } else { host };
    Some(SocketAddr::new(host.parse().ok()?, port))
}

/// An `-o` expiry, in both spellings: v7.1 `1min5sec`, `12min`,
/// `9.373sec`, `57sec`, `200ms`; ss 6.1 prints 1–9 s as `9.373ms`, and an
/// expiry of 0 as nothing at all. Returns the value and its precision.
fn parse_expiry(text: &str) -> Option<(Duration, Duration)> {
    let mut rest = text;
    let mut ms: u64 = 0;
    let mut minutes = 0;
    if let Some((m, r)) = rest.split_once("min") {
        minutes = m.parse::<u64>().ok()?;
        ms += minutes * 60_000;
        rest = r;
    }
    let seconds_and_ms = |s: &str| -> Option<u64> {
        let (a, b) = s.split_once('.')?;
        if b.len() != 3 {
            return None;
        }
        Some(a.parse::<u64>().ok()? * 1000 + b.parse::<u64>().ok()?)
    };
    if let Some(s) = rest.strip_suffix("sec") {
        ms += match s.contains('.') {
            true => seconds_and_ms(s)?,
            false => s.parse::<u64>().ok()? * 1000,
        };
    } else if let Some(s) = rest.strip_suffix("ms") {
        ms += match s.contains('.') {
            true => seconds_and_ms(s)?, // ss 6.1: seconds.millis + "ms"
            false => s.parse::<u64>().ok()?,
        };
    } else if !rest.is_empty() {
        return None;
    }
    let precision = if minutes > 9 {
        Duration::from_secs(60)
    } else if minutes > 0 || ms >= 10_000 {
        Duration::from_secs(1)
    } else {
        Duration::from_millis(1)
    };
    Some((Duration::from_millis(ms), precision))
}

/// `timer:(on,1.234sec,2)`.
fn parse_timer(token: &str) -> Option<RowTimer> {
    let inner = token.strip_prefix("timer:(")?.strip_suffix(')')?;
    let mut parts = inner.split(',');
    let kind = parts.next()?.to_owned();
    let (expires, precision) = parse_expiry(parts.next()?)?;
    let retransmits = parts.next()?.parse().ok()?;
    Some(RowTimer {
        kind,
        expires,
        precision,
        retransmits,
    })
}

/// The rows of `-tano` output (a header line, if any, is skipped; `-i`
/// continuation lines start with a tab and are skipped too).
fn parse_rows(text: &str) -> Vec<Row> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('\t') && !l.starts_with("State"))
        .map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let bad = || -> ! { panic!("unexpected row {line:?} in:\n{text}") };
            if cols.len() < 5 {
                bad();
            }
            let timer = cols[5..].iter().find(|c| c.starts_with("timer:("));
            Row {
                state: cols[0].to_owned(),
                recv_q: cols[1].parse().unwrap_or_else(|_| bad()),
                send_q: cols[2].parse().unwrap_or_else(|_| bad()),
                local: parse_addr(cols[3]).unwrap_or_else(|| bad()),
                peer: parse_addr(cols[4]).unwrap_or_else(|| bad()),
                timer: timer.map(|t| parse_timer(t).unwrap_or_else(|| bad())),
                line: line.to_owned(),
            }
        })
        .collect()
}

/// ss's spelling of a state.
fn ss_state(s: State) -> &'static str {
    match s {
        State::Established => "ESTAB",
        State::SynSent => "SYN-SENT",
        State::SynRecv | State::NewSynRecv => "SYN-RECV",
        State::FinWait1 => "FIN-WAIT-1",
        State::FinWait2 => "FIN-WAIT-2",
        State::TimeWait => "TIME-WAIT",
        State::CloseWait => "CLOSE-WAIT",
        State::LastAck => "LAST-ACK",
        State::Listen => "LISTEN",
        State::Closing => "CLOSING",
        _ => "UNCONN",
    }
}

/// `rss -N <namespace> -tano`, through the CLI's library entry point.
fn rss_tano(lab: &Lab) -> String {
    let path = lab.ns.path();
    let argv = vec![
        "rss".into(),
        "-N".into(),
        path.into_os_string(),
        "-tano".into(),
    ];
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = rss::run(argv, &mut out, &mut err);
    assert_eq!(
        code,
        0,
        "rss -N … -tano failed: {}",
        String::from_utf8_lossy(&err)
    );
    String::from_utf8(out).expect("rss printed invalid UTF-8")
}

// ---------------------------------------------------------------------------
// The checks

/// Checks one expected row in one library snapshot.
fn check_lib(e: &Expect, socks: &[Socket]) -> Result<Socket, String> {
    let s = scenarios::find(socks, e.local, e.peer)
        .ok_or_else(|| format!("library: no row for the {}", e.role))?;
    let got = (s.state, s.recv_q, s.send_q);
    if got != (e.state, e.recv_q, e.send_q) {
        return Err(format!(
            "library: {} is {:?} (state, Recv-Q, Send-Q), expected {:?}",
            e.role,
            got,
            (e.state, e.recv_q, e.send_q)
        ));
    }
    match (&e.timer, &s.timer) {
        (None, None) => {}
        (None, Some(t)) => {
            return Err(format!(
                "library: {} has a timer {t:?}, expected none",
                e.role
            ));
        }
        (Some(want), None) => {
            return Err(format!(
                "library: {} has no timer, expected {:?}",
                e.role, want.kind
            ));
        }
        (Some(want), Some(t)) => {
            if t.kind != want.kind {
                return Err(format!(
                    "library: {} has timer {:?}, expected {:?}",
                    e.role, t.kind, want.kind
                ));
            }
            if t.retransmits < want.min_retransmits {
                return Err(format!(
                    "library: {} has {} retransmissions, expected at least {}",
                    e.role, t.retransmits, want.min_retransmits
                ));
            }
            let max = want
                .bound
                .max_for(s)
                .ok_or_else(|| format!("library: {}: no tcp_info to bound its timer", e.role))?;
            if t.expires() > max || t.expires() < want.bound.min() {
                return Err(format!(
                    "library: {}'s timer expires in {:?}, expected {:?}..={max:?}",
                    e.role,
                    t.expires(),
                    want.bound.min()
                ));
            }
        }
    }
    Ok(s.clone())
}

/// Checks that a printed row (ss or rss) agrees with the library's view,
/// taken just before (`before`) and just after (`after`) it was printed.
fn check_row(
    who: &str,
    e: &Expect,
    rows: &[Row],
    before: &Socket,
    after: &Socket,
) -> Result<(), String> {
    let row = rows
        .iter()
        .find(|r| r.local == e.local && r.peer == e.peer)
        .ok_or_else(|| {
            format!(
                "{who}: no row for the {} ({} → {})",
                e.role, e.local, e.peer
            )
        })?;
    let want = (ss_state(e.state), e.recv_q, e.send_q);
    if (row.state.as_str(), row.recv_q, row.send_q) != want {
        return Err(format!(
            "{who}: {} row {:?}, expected {want:?}",
            e.role, row.line
        ));
    }
    match (&row.timer, &before.timer) {
        (None, None) => Ok(()),
        (Some(t), Some(lib)) => {
            if t.kind != lib.kind.name() || t.retransmits != lib.retransmits {
                return Err(format!(
                    "{who}: {} row {:?}, library timer {lib:?}",
                    e.role, row.line
                ));
            }
            let after = after.timer.map_or(Duration::ZERO, |t| t.expires());
            let slack = Duration::from_millis(5);
            let lo = after.saturating_sub(t.precision + slack);
            let hi = lib.expires() + slack;
            if t.expires < lo || t.expires > hi {
                return Err(format!(
                    "{who}: {} row {:?}: expiry {:?} outside the library's {lo:?}..={hi:?}",
                    e.role, row.line, t.expires
                ));
            }
            Ok(())
        }
        _ => Err(format!(
            "{who}: {} row {:?}, library timer {:?}",
            e.role, row.line, before.timer
        )),
    }
}

fn check_absent(who: &str, a: &Absent, lib: &[Socket], rows: &[Row]) -> Result<(), String> {
    if let Some(s) = lib.iter().find(|s| a.matches(s)) {
        return Err(format!(
            "library: the {} should be gone, found {}",
            a.role,
            scenarios::brief(std::slice::from_ref(s))
        ));
    }
    let hit = |r: &&Row| a.local.is_none_or(|l| r.local == l) && a.peer.is_none_or(|p| r.peer == p);
    if let Some(r) = rows.iter().find(hit) {
        return Err(format!(
            "{who}: the {} should be gone, found {:?}",
            a.role, r.line
        ));
    }
    Ok(())
}

/// One attempt at checking a step; `Err` explains the first mismatch.
fn try_step(lab: &Lab, step: &Step) -> Result<(), String> {
    let lib1 = lab.sockets().map_err(|e| e.to_string())?;
    let ss_text = lab.ns.ss(&["-tano"]);
    let rss_text = rss_tano(lab);
    let lib2 = lab.sockets().map_err(|e| e.to_string())?;
    let ss_rows = parse_rows(&ss_text);
    let rss_rows = parse_rows(&rss_text);
    let context =
        |msg: String| format!("{msg}\n--- ss -tano:\n{ss_text}--- rss -tano:\n{rss_text}");
    for e in &step.expect {
        let before = check_lib(e, &lib1).map_err(context)?;
        let after = check_lib(e, &lib2).map_err(context)?;
        // A timer that fired or was re-armed between the two looks makes
        // the printed row incomparable: the caller looks again.
        let moved = match (before.timer, after.timer) {
            (Some(a), Some(b)) => a.retransmits != b.retransmits || b.expires_ms > a.expires_ms,
            _ => false,
        };
        if moved {
            return Err(format!("the {}'s timer moved while looking", e.role));
        }
        check_row("ss", e, &ss_rows, &before, &after).map_err(context)?;
        check_row("rss", e, &rss_rows, &before, &after).map_err(context)?;
    }
    for a in &step.absent {
        for (who, rows) in [("ss", &ss_rows), ("rss", &rss_rows)] {
            check_absent(who, a, &lib1, rows).map_err(context)?;
            check_absent(who, a, &lib2, rows).map_err(context)?;
        }
    }
    Ok(())
}

/// Asserts every step as the scenario reaches it.
struct Checker {
    scenario: &'static str,
    steps: usize,
}

impl Observer for Checker {
    fn note(&mut self, line: &str) {
        eprintln!("[{}] {line}", self.scenario);
    }

    fn step(&mut self, lab: &Lab, step: &Step) {
        self.steps += 1;
        // A timer may fire between the looks; a few tries always find a
        // quiet moment (retransmission timers here are ≥ 200 ms apart).
        let mut last = String::new();
        for _ in 0..10 {
            match try_step(lab, step) {
                Ok(()) => {
                    eprintln!("[{}] step {:?}: ok", self.scenario, step.title);
                    return;
                }
                Err(e) => last = e,
            }
            std::thread::sleep(Duration::from_millis(30));
        }
        panic!("{}: step {:?}: {last}", self.scenario, step.title);
    }
}

/// Runs one scenario under the checker and returns its report.
fn scenario(name: &'static str) -> Report {
    let mut checker = Checker {
        scenario: name,
        steps: 0,
    };
    let report = scenarios::run(name, &mut checker).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(checker.steps > 0, "{name}: no step was checked");
    eprintln!(
        "[{name}] {:.1} s; facts {:?}\n[{name}] {}",
        report.elapsed.as_secs_f64(),
        report.facts,
        report.explanation
    );
    report
}

macro_rules! privileged {
    () => {
        testkit::require_privileged!();
        testkit::require_tool!(testkit::SS_PATH);
    };
    (iptables) => {
        privileged!();
        testkit::require_tool!("iptables");
    };
}

// ---------------------------------------------------------------------------
// The scenarios

#[test]
fn backlog() {
    privileged!();
    let r = scenario("backlog");
    // Every SYN of the 7th client that reached the full listener was
    // counted: the first one and each retransmission.
    let (retrans, overflows) = (r.fact("retransmits"), r.fact("listen_overflows"));
    assert!(retrans >= 2, "{r:?}");
    assert!(
        (retrans + 1..=retrans + 2).contains(&overflows),
        "ListenOverflows +{overflows} for {retrans} retransmissions: {r:?}"
    );
    assert!(r.fact("overflows_first") >= 2, "{r:?}");
    assert_eq!(r.fact("recv_q_after_accept"), 5);
}

#[test]
fn syn_drop() {
    privileged!(iptables);
    let r = scenario("syn-drop");
    assert!(r.fact("retransmits") > r.fact("retransmits_first"), "{r:?}");
    assert!(r.fact("dropped") > r.fact("retransmits"), "{r:?}");
    assert!(r.fact("rto_ms") >= 1000, "SYN RTO starts at 1 s: {r:?}");
}

#[test]
fn ack_drop() {
    privileged!(iptables);
    let r = scenario("ack-drop");
    assert!(r.fact("retransmits") >= 2, "{r:?}");
    // The handshake's ACK and one answer per SYN-ACK retransmission.
    assert!(r.fact("dropped") > r.fact("retransmits"), "{r:?}");
    assert_eq!(r.fact("listener_recv_q"), 0);
}

#[test]
fn recv_q() {
    privileged!();
    let r = scenario("recv-q");
    assert_eq!(
        [r.fact("recv_q_1"), r.fact("recv_q_2"), r.fact("recv_q_3")],
        [6, 23, 48]
    );
    assert_eq!(r.fact("sent"), 48);
}

#[test]
fn send_q() {
    privileged!();
    let r = scenario("send-q");
    let (written, recv_q, send_q) = (r.fact("written"), r.fact("recv_q"), r.fact("send_q"));
    assert!(recv_q > 0 && send_q > 0, "{r:?}");
    assert_eq!(recv_q + send_q, written, "{r:?}");
    assert_eq!(r.fact("snd_wnd"), 0, "the window must be closed: {r:?}");
}

#[test]
fn rst() {
    privileged!();
    let r = scenario("rst");
    assert_eq!(r.fact("errno"), i64::from(libc::ECONNRESET));
    assert_eq!(r.fact("out_rsts"), 1, "{r:?}");
    assert_eq!(
        r.fact("estab_resets"),
        2,
        "both sides left ESTABLISHED: {r:?}"
    );
}

#[test]
fn close_wait() {
    privileged!();
    let r = scenario("close-wait");
    assert_eq!(
        r.fact("recv_q_fin_unread"),
        1,
        "the unread FIN counts: {r:?}"
    );
    assert_eq!(r.fact("server_recv_q"), 0);
    assert!((55..=60).contains(&r.fact("fin_timeout_s")), "{r:?}");
}

#[test]
fn time_wait() {
    privileged!();
    let r = scenario("time-wait");
    assert!((50_000..=60_000).contains(&r.fact("timewait_ms")), "{r:?}");
}

#[test]
fn refused() {
    privileged!();
    let r = scenario("refused");
    assert_eq!(r.fact("errno"), i64::from(libc::ECONNREFUSED));
    assert_eq!(r.fact("attempt_fails"), 1, "{r:?}");
    assert_eq!(r.fact("out_rsts"), 1, "{r:?}");
    assert_eq!(r.fact("rows"), 0);
}

#[test]
fn fin_unanswered() {
    privileged!(iptables);
    let r = scenario("fin-unanswered");
    assert!(r.fact("client_retransmits") >= 2, "{r:?}");
    assert!(
        r.fact("client_retransmits_later") > r.fact("client_retransmits"),
        "{r:?}"
    );
    assert!(r.fact("server_retransmits") >= 2, "{r:?}");
}

#[test]
fn peer_gone() {
    privileged!(iptables);
    let r = scenario("peer-gone");
    assert_eq!(r.fact("errno"), i64::from(libc::ETIMEDOUT));
    assert_eq!(r.fact("abort_on_timeout"), 1, "{r:?}");
    assert!(r.fact("retransmits") >= 3, "{r:?}");
    // tcp_retries2=4 with a 200 ms minimum RTO: (2 << 4) - 1 = 31 RTOs of
    // 200 ms, 6.2 s. The kernel cannot give up sooner (a lower bound set by
    // its timers, not by this machine's speed); how late the error arrives
    // on a loaded machine is not checked (the scenario's read waits at most
    // its PATIENCE, and then fails with another errno than ETIMEDOUT).
    let ms = r.fact("timeout_ms");
    assert!(ms >= 5_000, "timed out after {ms} ms: {r:?}");
}

// ---------------------------------------------------------------------------
// The pieces, without privileges

#[test]
fn every_scenario_of_the_issue_is_listed() {
    let names: Vec<&str> = scenarios::SCENARIOS.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "backlog",
            "syn-drop",
            "ack-drop",
            "recv-q",
            "send-q",
            "rst",
            "close-wait",
            "time-wait",
            "refused",
            "fin-unanswered",
            "peer-gone"
        ]
    );
    let err = scenarios::run("nope", &mut scenarios::Quiet).unwrap_err();
    assert!(err.to_string().contains("unknown scenario"), "{err}");
}

#[test]
fn expiries_parse_in_both_ss_spellings() {
    let ms = |v| Duration::from_millis(v);
    let p = |t| parse_expiry(t).unwrap();
    assert_eq!(p("200ms"), (ms(200), ms(1)));
    assert_eq!(p("092ms"), (ms(92), ms(1)));
    assert_eq!(p("9.373sec"), (ms(9373), ms(1)), "v7.1");
    assert_eq!(p("9.373ms"), (ms(9373), ms(1)), "ss 6.1");
    assert_eq!(p("57sec"), (ms(57_000), ms(1000)));
    assert_eq!(p("1min5sec"), (ms(65_000), ms(1000)));
    assert_eq!(p("12min"), (ms(720_000), ms(60_000)));
    assert_eq!(p(""), (ms(0), ms(1)), "ss prints nothing for 0");
    assert_eq!(parse_expiry("5parsecs"), None);
    let t = parse_timer("timer:(on,1.234ms,2)").unwrap();
    assert_eq!(
        (t.kind.as_str(), t.expires, t.retransmits),
        ("on", ms(1234), 2)
    );
}

#[test]
fn rows_parse_as_ss_prints_them() {
    let text = "State    Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess\n\
                LISTEN   6      5          127.0.0.1:5000       0.0.0.0:*          \n\
                SYN-SENT 0      1          127.0.0.1:42640    127.0.0.1:5000 timer:(on,508ms,1)\n\
                \t bbr rto:1000\n";
    let rows = parse_rows(text);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].state, "LISTEN");
    assert_eq!((rows[0].recv_q, rows[0].send_q), (6, 5));
    assert_eq!(rows[0].peer, scenarios::ANY);
    assert_eq!(rows[1].local, "127.0.0.1:42640".parse().unwrap());
    let t = rows[1].timer.as_ref().unwrap();
    assert_eq!((t.kind.as_str(), t.retransmits), ("on", 1));
    assert_eq!(TimerKind::On.name(), "on");
}
