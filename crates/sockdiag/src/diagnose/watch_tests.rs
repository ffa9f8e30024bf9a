//! The watcher: transitions on constructed findings, and the window on
//! constructed samples.

use std::time::Duration;

use super::*;
use crate::model::{Family, State, Table};

fn sref(local: &str, peer: &str, state: &str) -> SocketRef {
    SocketRef {
        netid: "tcp".into(),
        state: state.into(),
        local: local.into(),
        peer: peer.into(),
        recv_q: 0,
        send_q: 0,
        inode: 1,
        cookie: Some(1),
        processes: Vec::new(),
        ..SocketRef::default()
    }
}

/// A finding of `kind` about the socket `local` → `peer`, with a summary
/// that carries a changing number (`n`), as real summaries do.
fn finding(kind: Kind, severity: Severity, local: &str, peer: &str, n: u32) -> Finding {
    Finding {
        kind,
        severity,
        summary: format!("{local}: {n} of something"),
        sockets: vec![sref(local, peer, "established")],
        evidence: Vec::new(),
        explanation: String::new(),
        next_check: String::new(),
        subject: format!("{local} {peer}"),
    }
}

fn full(n: u32) -> Finding {
    let mut f = finding(
        Kind::ListenQueueFull,
        Severity::Critical,
        "127.0.0.1:5000",
        "0.0.0.0:*",
        n,
    );
    // As the rule names it.
    f.subject = "listener 127.0.0.1:5000".into();
    f
}

fn changes(events: &[Event]) -> Vec<(Change, String, Severity, Option<Severity>)> {
    events
        .iter()
        .map(|e| {
            (
                e.change,
                e.key().to_string(),
                e.severity,
                e.previous_severity,
            )
        })
        .collect()
}

const LQF: &str = "listen_queue_full listener 127.0.0.1:5000";

#[test]
fn opened_once_then_quiet_while_open() {
    assert_eq!(Transitions::new(0).hold(), 1, "at least 1");
    assert_eq!(
        Watcher::new(Options::new(), 0).window_size(),
        1,
        "at least 1"
    );
    let mut t = Transitions::new(3);
    assert_eq!(t.hold(), 3);
    let e = t.update(0, vec![full(6)]);
    assert_eq!(
        changes(&e),
        vec![(Change::Opened, LQF.into(), Severity::Critical, None)]
    );
    assert_eq!(e[0].seq, 0);
    assert_eq!(e[0].finding.summary, "127.0.0.1:5000: 6 of something");
    // The same listener, other numbers in the summary: the same finding.
    for i in 1..10 {
        assert!(t.update(i, vec![full(6 + i as u32)]).is_empty(), "seq {i}");
    }
    // The open finding is the last one seen.
    let open: Vec<_> = t.open().collect();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].2.summary, "127.0.0.1:5000: 15 of something");
}

#[test]
fn resolved_after_hold_diagnoses_without_it() {
    let mut t = Transitions::new(3);
    t.update(0, vec![full(6)]);
    assert!(t.update(1, vec![]).is_empty());
    assert!(t.update(2, vec![]).is_empty());
    let e = t.update(3, vec![]);
    assert_eq!(
        changes(&e),
        vec![(Change::Resolved, LQF.into(), Severity::Critical, None)]
    );
    assert_eq!(e[0].seq, 3);
    // As last seen.
    assert_eq!(e[0].finding.summary, "127.0.0.1:5000: 6 of something");
    assert_eq!(t.open().count(), 0);
    assert!(t.update(4, vec![]).is_empty(), "resolved once");
    // Found again: opened again.
    let e = t.update(5, vec![full(2)]);
    assert_eq!(changes(&e)[0].0, Change::Opened);
}

#[test]
fn flapping_within_the_hold_stays_quiet() {
    let mut t = Transitions::new(3);
    let mut all = Vec::new();
    // Found, missed twice, found, missed twice, ... : never three misses.
    for i in 0..30u64 {
        let found = if i % 3 == 0 {
            vec![full(i as u32)]
        } else {
            vec![]
        };
        all.extend(t.update(i, found));
    }
    assert_eq!(
        changes(&all),
        vec![(Change::Opened, LQF.into(), Severity::Critical, None)]
    );
    // With a hold of 2 the same pattern resolves and reopens each time.
    let mut t = Transitions::new(2);
    let mut all = Vec::new();
    for i in 0..9u64 {
        let found = if i % 3 == 0 {
            vec![full(i as u32)]
        } else {
            vec![]
        };
        all.extend(t.update(i, found));
    }
    let kinds: Vec<Change> = all.iter().map(|e| e.change).collect();
    assert_eq!(
        kinds,
        vec![
            Change::Opened,
            Change::Resolved,
            Change::Opened,
            Change::Resolved,
            Change::Opened,
            Change::Resolved,
        ]
    );
}

#[test]
fn worse_at_once_better_after_the_hold() {
    let key = "recv_queue_growing 127.0.0.1:5000 127.0.0.1:40000";
    let f = |s| {
        finding(
            Kind::RecvQueueGrowing,
            s,
            "127.0.0.1:5000",
            "127.0.0.1:40000",
            1,
        )
    };
    let mut t = Transitions::new(2);
    assert_eq!(
        changes(&t.update(0, vec![f(Severity::Warning)])),
        vec![(Change::Opened, key.into(), Severity::Warning, None)]
    );
    assert_eq!(
        changes(&t.update(1, vec![f(Severity::Critical)])),
        vec![(
            Change::SeverityChanged,
            key.into(),
            Severity::Critical,
            Some(Severity::Warning)
        )]
    );
    // One diagnosis back at warning: the critical one is within the hold.
    assert!(t.update(2, vec![f(Severity::Warning)]).is_empty());
    // Critical again: still critical, nothing to say.
    assert!(t.update(3, vec![f(Severity::Critical)]).is_empty());
    assert!(t.update(4, vec![f(Severity::Warning)]).is_empty());
    let e = t.update(5, vec![f(Severity::Warning)]);
    assert_eq!(
        changes(&e),
        vec![(
            Change::SeverityChanged,
            key.into(),
            Severity::Warning,
            Some(Severity::Critical)
        )]
    );
    assert_eq!(e[0].finding.severity, Severity::Warning);
}

#[test]
fn subjects_keep_findings_apart() {
    let mut t = Transitions::new(1);
    let a = finding(
        Kind::RecvQueueGrowing,
        Severity::Warning,
        "127.0.0.1:5000",
        "127.0.0.1:40000",
        1,
    );
    let b = finding(
        Kind::RecvQueueGrowing,
        Severity::Warning,
        "127.0.0.1:5000",
        "127.0.0.1:40001",
        1,
    );
    let c = finding(
        Kind::SendQueueStuck,
        Severity::Warning,
        "127.0.0.1:5000",
        "127.0.0.1:40000",
        1,
    );
    let e = t.update(0, vec![a.clone(), b.clone(), c]);
    assert_eq!(e.len(), 3);
    assert!(e.iter().all(|e| e.change == Change::Opened));
    // b goes: only b resolves.
    let e = t.update(
        1,
        vec![
            a.clone(),
            finding(
                Kind::SendQueueStuck,
                Severity::Warning,
                "127.0.0.1:5000",
                "127.0.0.1:40000",
                9,
            ),
        ],
    );
    assert_eq!(
        changes(&e),
        vec![(
            Change::Resolved,
            "recv_queue_growing 127.0.0.1:5000 127.0.0.1:40001".into(),
            Severity::Warning,
            None
        )]
    );
    // Two findings with one key in one diagnosis count once, the worse.
    let mut worse = a.clone();
    worse.severity = Severity::Critical;
    let e = t.update(2, vec![a, worse]);
    assert_eq!(changes(&e).len(), 2, "{e:#?}");
    // In key order: kinds in rule order.
    assert_eq!(
        changes(&e)[1],
        (
            Change::Resolved,
            "send_queue_stuck 127.0.0.1:5000 127.0.0.1:40000".into(),
            Severity::Warning,
            None
        )
    );
    assert_eq!(
        changes(&e)[0],
        (
            Change::SeverityChanged,
            "recv_queue_growing 127.0.0.1:5000 127.0.0.1:40000".into(),
            Severity::Critical,
            Some(Severity::Warning)
        )
    );
}

fn listener(recv_q: u32) -> Socket {
    let mut s = Socket::new(Table::Tcp, Family::Inet, State::Listen);
    s.cookie = Some(7);
    s.inode = 77;
    s.local = Endpoint::Inet {
        addr: "127.0.0.1".parse().unwrap(),
        port: 5000,
    };
    s.peer = Endpoint::Inet {
        addr: "0.0.0.0".parse().unwrap(),
        port: 0,
    };
    (s.recv_q, s.send_q) = (recv_q, 5);
    s
}

fn sample(seq: u64, recv_q: u32) -> Sample {
    Sample::new(seq, Duration::from_secs(seq), vec![listener(recv_q)])
}

/// Pushes samples with these accept-queue levels (backlog 5) and returns
/// (seq, change) of every event.
fn watch(w: &mut Watcher, from: u64, levels: &[u32]) -> Vec<(u64, Change, Severity)> {
    let mut out = Vec::new();
    for (i, &q) in levels.iter().enumerate() {
        for e in w.push(sample(from + i as u64, q)) {
            assert_eq!(e.key().to_string(), LQF);
            out.push((e.seq, e.change, e.severity));
        }
    }
    out
}

#[test]
fn watcher_opens_and_resolves_over_its_window() {
    let mut w = Watcher::new(Options::new(), 3);
    assert_eq!(w.window_size(), 3);
    // Full from the start: found once the window holds 3 samples, at seq 2.
    let e = watch(&mut w, 0, &[5, 6, 6, 6, 6]);
    assert_eq!(e, vec![(2, Change::Opened, Severity::Critical)]);
    assert_eq!(w.samples().count(), 3);
    assert_eq!(w.open().count(), 1);
    assert_eq!(w.open_findings().next().unwrap().1, Severity::Critical);
    // Drained from seq 5: every window from the one ending at 5 holds a
    // drained sample; the sixth diagnosis without it (hold 2 × 3) resolves.
    let e = watch(&mut w, 5, &[0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(e, vec![(10, Change::Resolved, Severity::Critical)]);
    // One full sample among drained ones: never a full window, nothing.
    assert!(watch(&mut w, 12, &[6, 0, 0, 6, 0, 6, 6, 0]).is_empty());
}

#[test]
fn watcher_flapping_queue_stays_one_finding() {
    let mut w = Watcher::new(Options::new(), 2);
    // Full, full (opened at 1), one drained sample (two windows miss it),
    // full again: within the hold of 4, so quiet.
    let e = watch(&mut w, 0, &[6, 6, 0, 6, 6, 6, 0, 6, 6]);
    assert_eq!(e, vec![(1, Change::Opened, Severity::Critical)]);
    // A hold of 1 reports every miss.
    let mut w = Watcher::new(Options::new(), 2).hold(1);
    let e = watch(&mut w, 0, &[6, 6, 0, 6, 6]);
    assert_eq!(
        e,
        vec![
            (1, Change::Opened, Severity::Critical),
            (2, Change::Resolved, Severity::Critical),
            (4, Change::Opened, Severity::Critical),
        ]
    );
}

fn close_wait(cookie: u64) -> Socket {
    let mut s = Socket::new(Table::Tcp, Family::Inet, State::CloseWait);
    s.cookie = Some(cookie);
    s.inode = 100 + cookie;
    s.local = Endpoint::Inet {
        addr: "127.0.0.1".parse().unwrap(),
        port: 5000,
    };
    s.peer = Endpoint::Inet {
        addr: "127.0.0.1".parse().unwrap(),
        port: 40000 + cookie as u16,
    };
    s
}

#[test]
fn watcher_reports_severity_both_ways_on_samples() {
    // close_wait_leak: a warning from 1 socket, critical from 3.
    let t = Thresholds {
        close_wait_critical: 3,
        ..Thresholds::default()
    };
    let mut w = Watcher::new(Options::new().thresholds(t), 2);
    let cw = |n: u64| (1..=n).map(close_wait).collect::<Vec<_>>();
    let counts = [1, 1, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 0];
    let mut got = Vec::new();
    for (seq, &n) in counts.iter().enumerate() {
        let sample = Sample::new(seq as u64, Duration::from_secs(seq as u64), cw(n));
        for e in w.push(sample) {
            assert_eq!(e.key().to_string(), "close_wait_leak process unknown");
            got.push((e.seq, e.change, e.severity, e.previous_severity));
        }
    }
    use Severity::{Critical, Warning};
    assert_eq!(
        got,
        vec![
            (1, Change::Opened, Warning, None),
            // Three in both samples of the window ending at 3.
            (3, Change::SeverityChanged, Critical, Some(Warning)),
            // Critical last found at 3: better after 4 diagnoses without.
            (7, Change::SeverityChanged, Warning, Some(Critical)),
            // Last found at 7 (the window ending at 8 holds an empty sample).
            (11, Change::Resolved, Warning, None),
        ]
    );
}

#[test]
fn watcher_window_cleared_waits_for_a_full_one() {
    let mut w = Watcher::new(Options::new(), 3);
    watch(&mut w, 0, &[6, 6, 6]);
    assert_eq!(w.open().count(), 1);
    w.clear_window();
    assert_eq!(w.samples().count(), 0);
    // Two samples: no diagnosis, so nothing resolves although both are
    // drained; the third diagnoses.
    assert!(watch(&mut w, 10, &[0, 0]).is_empty());
    assert_eq!(w.open().count(), 1, "still open");
    assert!(watch(&mut w, 12, &[0, 0, 0, 0, 0]).is_empty());
    assert_eq!(
        watch(&mut w, 17, &[0]),
        vec![(17, Change::Resolved, Severity::Critical)]
    );
}

#[test]
fn watcher_thresholds_come_from_its_options() {
    // At 5 of backlog 5, a ratio of 2.0 wants 10: nothing.
    let t = Thresholds {
        listen_queue_ratio: 2.0,
        ..Thresholds::default()
    };
    let mut w = Watcher::new(Options::new().thresholds(t), 2);
    assert_eq!(w.options().thresholds.listen_queue_ratio, 2.0);
    assert!(watch(&mut w, 0, &[6, 6, 6]).is_empty());
    assert_eq!(
        watch(&mut w, 3, &[10, 10]),
        vec![(4, Change::Opened, Severity::Critical)]
    );
}

#[cfg(feature = "serde")]
#[test]
fn events_serialise_with_stable_names() {
    let mut t = Transitions::new(1);
    let e = t.update(4, vec![full(6)]).remove(0);
    let line = WatchLine::new(Some("/run/netns/a".into()), 1234, e.clone());
    let v = serde_json::to_value(&line).unwrap();
    assert_eq!(v["schema_version"], SCHEMA_VERSION);
    assert_eq!(v["namespace"], "/run/netns/a");
    assert_eq!(v["time_ms"], 1234);
    assert_eq!(v["change"], "opened");
    assert_eq!(v["kind"], "listen_queue_full");
    assert_eq!(v["subject"], "listener 127.0.0.1:5000");
    assert_eq!(v["severity"], "critical");
    assert_eq!(v["seq"], 4);
    assert!(v.get("previous_severity").is_none());
    assert_eq!(v["finding"]["summary"], "127.0.0.1:5000: 6 of something");
    let back: WatchLine = serde_json::from_value(v).unwrap();
    assert_eq!(back, line);
    assert_eq!(Change::SeverityChanged.to_string(), "severity_changed");
    assert_eq!(
        serde_json::to_value(Change::SeverityChanged).unwrap(),
        "severity_changed"
    );
}

/// Two findings with one key in one diagnosis count as one, with the
/// higher severity, whichever comes first.
#[test]
fn one_key_twice_counts_once_at_the_higher_severity() {
    for first_critical in [true, false] {
        let mut critical = full(1);
        let mut warning = full(2);
        warning.severity = Severity::Warning;
        critical.summary = "critical".into();
        warning.summary = "warning".into();
        let both = if first_critical {
            vec![critical, warning]
        } else {
            vec![warning, critical]
        };
        let mut t = Transitions::new(1);
        let e = t.update(0, both);
        assert_eq!(
            changes(&e),
            vec![(Change::Opened, LQF.into(), Severity::Critical, None)],
            "critical first: {first_critical}"
        );
        assert_eq!(e[0].finding.summary, "critical");
    }
}
