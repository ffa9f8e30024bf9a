//! Each rule on constructed samples, at and around every threshold.
//!
//! The sockets are built as the kernel reports them in the lab's scenarios
//! (states, queues, timers, the `tcp_info` fields the rules read), so each
//! test is a recorded situation reduced to the values that matter.

use std::time::Duration;

use super::*;
use crate::model::{Family, Process, SkMemInfo, State, Table, Timer, TimerKind};
use crate::sample::{Counters, Limits, Sample};
use crate::tcp_info::{TCP_INFO_LEN, TcpInfo};

/// `tcp_info` with these fields set (the rest 0): (offset, size, value).
fn info(fields: &[(usize, usize, u64)]) -> TcpInfo {
    let mut b = [0u8; TCP_INFO_LEN];
    for &(off, size, v) in fields {
        b[off..off + size].copy_from_slice(&v.to_ne_bytes()[..size]);
    }
    TcpInfo::from_bytes(&b)
}
const RETRANSMITS: usize = 2;
const TOTAL_RETRANS: usize = 100;
const BYTES_ACKED: usize = 120;
const BYTES_RECEIVED: usize = 128;
const SND_WND: usize = 228;
const SEGS_OUT: usize = 136;

fn ep(s: &str) -> Endpoint {
    let a: SocketAddr = s.parse().unwrap();
    Endpoint::Inet {
        addr: a.ip(),
        port: a.port(),
    }
}

fn tcp(cookie: u64, state: State, local: &str, peer: &str, q: (u32, u32)) -> Socket {
    let mut s = Socket::new(Table::Tcp, Family::Inet, state);
    s.cookie = Some(cookie);
    s.inode = 1000 + cookie;
    s.local = ep(local);
    s.peer = ep(peer);
    (s.recv_q, s.send_q) = q;
    s
}

fn with_timer(mut s: Socket, kind: TimerKind, retransmits: u8) -> Socket {
    s.timer = Some(Timer::new(kind, 200, retransmits));
    s
}

fn with_info(mut s: Socket, fields: &[(usize, usize, u64)]) -> Socket {
    s.tcp_info = Some(info(fields));
    s
}

fn held_by(mut s: Socket, pid: i32, command: &str) -> Socket {
    s.detail_or_insert().processes = vec![Process {
        command: command.into(),
        pid,
        fd: 3,
        tid: None,
    }];
    s
}

fn run(samples: Vec<Vec<Socket>>) -> Vec<Sample> {
    samples
        .into_iter()
        .enumerate()
        .map(|(i, s)| Sample::new(i as u64, Duration::from_secs(i as u64), s))
        .collect()
}

fn same(n: usize, s: Socket) -> Vec<Sample> {
    run(vec![vec![s]; n])
}

fn counters(pairs: &[(&str, u64)]) -> Counters {
    let mut c = Counters::new();
    for (k, v) in pairs {
        c.insert(*k, *v);
    }
    c
}

fn found(samples: &[Sample], opts: &Options) -> Vec<Kind> {
    diagnose(samples, opts)
        .into_iter()
        .map(|f| f.kind)
        .collect()
}

fn thresholds(f: impl FnOnce(&mut Thresholds)) -> Options {
    let mut t = Thresholds::default();
    f(&mut t);
    Options::new().thresholds(t)
}

const SERVER: &str = "127.0.0.1:5000";
const ANY: &str = "0.0.0.0:0";

// ---------------------------------------------------------------------------

#[cfg(feature = "serde")]
#[test]
fn kinds_have_stable_distinct_names_json() {
    let names: std::collections::HashSet<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(names.len(), Kind::ALL.len());
    for k in Kind::ALL {
        assert_eq!(Kind::from_name(k.name()), Some(k));
        assert_eq!(serde_json::to_value(k).unwrap(), k.name());
    }
    assert_eq!(Kind::from_name("nope"), None);
    assert!(Severity::Critical > Severity::Warning && Severity::Warning > Severity::Info);
}

#[test]
fn no_samples_no_findings() {
    assert!(diagnose(&[], &Options::new()).is_empty());
}

#[test]
fn listen_queue_full_at_the_backlog() {
    let l = |q| held_by(tcp(1, State::Listen, SERVER, ANY, (q, 5)), 42, "server");
    let o = Options::new();
    // The lab's backlog scenario: 6 of 5, then exactly at the backlog.
    let f = diagnose(&same(3, l(6)), &o);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, Kind::ListenQueueFull);
    assert_eq!(f[0].severity, Severity::Critical);
    assert_eq!(f[0].sockets[0].local, SERVER);
    assert_eq!(f[0].sockets[0].processes[0].pid, 42);
    assert_eq!(f[0].evidence[0].values, vec![6, 6, 6]);
    assert_eq!(found(&same(3, l(5)), &o), vec![Kind::ListenQueueFull]);
    // One below in one sample: a burst, not a full queue.
    assert!(found(&run(vec![vec![l(5)], vec![l(4)], vec![l(5)]]), &o).is_empty());
    // The ratio: 0.8 of 5 is 4.
    let r = thresholds(|t| t.listen_queue_ratio = 0.8);
    assert_eq!(found(&same(2, l(4)), &r), vec![Kind::ListenQueueFull]);
    assert!(found(&same(2, l(3)), &r).is_empty());
    // Backlog 0 admits one connection: full at 1, not at 0.
    let l0 = |q| tcp(1, State::Listen, SERVER, ANY, (q, 0));
    assert_eq!(found(&same(2, l0(1)), &o), vec![Kind::ListenQueueFull]);
    assert!(found(&same(2, l0(0)), &o).is_empty());
}

#[test]
fn listen_drops_counters_rise() {
    let l = tcp(1, State::Listen, SERVER, ANY, (0, 5));
    let mut s = same(2, l);
    s[0].counters = counters(&[("TcpExt.ListenOverflows", 10), ("TcpExt.ListenDrops", 10)]);
    s[1].counters = counters(&[("TcpExt.ListenOverflows", 10), ("TcpExt.ListenDrops", 10)]);
    assert!(found(&s, &Options::new()).is_empty(), "no rise, nothing");
    // What the counters held already counts with since_boot.
    assert_eq!(
        found(&s, &Options::new().since_boot(true)),
        vec![Kind::ListenQueueFull]
    );
    s[1].counters = counters(&[("TcpExt.ListenOverflows", 11), ("TcpExt.ListenDrops", 11)]);
    let f = diagnose(&s, &Options::new());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Warning);
    assert_eq!(f[0].evidence[0].values, vec![10, 11]);
    assert!(found(&s, &thresholds(|t| t.listen_drops = 2)).is_empty());
    // 0 turns the counters off.
    assert!(found(&s, &thresholds(|t| t.listen_drops = 0)).is_empty());
    // A rise of 1 in 1 s is at the default rate (1 per s): a warning. Two
    // samples taken at one instant have no rate: the same rise is only
    // information. With since_boot, what the counters hold is a warning.
    let mut at_once = s.clone();
    at_once[1].elapsed = at_once[0].elapsed;
    let f = diagnose(&at_once, &Options::new());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Info);
    let f = diagnose(&s, &Options::new().since_boot(true));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Warning);
}

#[test]
fn syn_sent_stuck_on_what_the_window_saw() {
    let c = |cookie, r| {
        held_by(
            with_timer(
                tcp(cookie, State::SynSent, "127.0.0.1:40000", SERVER, (0, 1)),
                TimerKind::On,
                r,
            ),
            9,
            "client",
        )
    };
    let o = Options::new();
    let s = run(vec![vec![c(7, 1)], vec![c(7, 1)], vec![c(7, 2)]]);
    let f = diagnose(&s, &o);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, Kind::SynSentStuck);
    assert_eq!(f[0].severity, Severity::Warning);
    assert_eq!(f[0].sockets[0].peer, SERVER);
    assert_eq!(f[0].sockets[0].processes[0].command, "client");
    assert_eq!(f[0].subject, "destination 127.0.0.1:5000");
    assert_eq!(f[0].evidence[0].name, "syn_sent_sockets");
    assert_eq!(f[0].evidence[0].values, vec![1, 1, 1]);
    assert_eq!(f[0].evidence[1].values, vec![1, 1, 2]);
    // Short connect timeouts: a different socket in each sample, each
    // seen once, one of them after its first SYN retransmission. The
    // socket that is gone by the end has no holder; the held one names
    // the process.
    let mut gone = c(1, 1);
    gone.detail_or_insert().processes.clear();
    let s = run(vec![vec![gone], vec![c(2, 0)], vec![]]);
    let f = diagnose(&s, &o);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].kind, Kind::SynSentStuck);
    assert_eq!(f[0].sockets.len(), 2);
    assert_eq!(f[0].sockets[0].processes[0].command, "client");
    assert!(f[0].summary.contains("2 connect(s)"), "{}", f[0].summary);
    // The first SYN not yet retransmitted: a connect in progress.
    assert!(found(&same(3, c(7, 0)), &o).is_empty());
    assert!(found(&run(vec![vec![], vec![c(7, 0)]]), &o).is_empty());
    let two = thresholds(|t| t.syn_retransmits = 2);
    assert!(found(&same(2, c(7, 1)), &two).is_empty());
    assert_eq!(found(&same(2, c(7, 2)), &two), vec![Kind::SynSentStuck]);
    assert_eq!(
        diagnose(&same(2, c(7, 3)), &o)[0].severity,
        Severity::Critical
    );
    let crit = thresholds(|t| t.critical_retransmits = 4);
    assert_eq!(
        diagnose(&same(2, c(7, 3)), &crit)[0].severity,
        Severity::Warning
    );
}

/// `TcpExt.TCPSynRetrans` as a rate speaks for SYN-SENT sockets that
/// lasted from one sample to the next although none showed its count.
#[test]
fn syn_retransmission_rate() {
    let c = tcp(7, State::SynSent, "127.0.0.1:40000", SERVER, (0, 1));
    // 3 samples 1 s apart: a window of 2 s.
    let with = |rise: u64| {
        let mut s = same(3, c.clone());
        for (i, x) in s.iter_mut().enumerate() {
            x.counters = counters(&[("TcpExt.TCPSynRetrans", 10 + rise * i as u64 / 2)]);
        }
        s
    };
    let o = Options::new();
    assert!(found(&with(0), &o).is_empty());
    // 1 in 2 s = 0.5 per s, at and above the default 0.2.
    let f = diagnose(&with(1), &o);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, Kind::SynSentStuck);
    let e = f[0]
        .evidence
        .iter()
        .find(|e| e.name == "TcpExt.TCPSynRetrans")
        .unwrap();
    assert_eq!(e.values, vec![10, 10, 11]);
    assert!(e.threshold.starts_with("0.5 per s"), "{}", e.threshold);
    let at = thresholds(|t| t.syn_retrans_rate = 0.5);
    assert_eq!(found(&with(1), &at), vec![Kind::SynSentStuck]);
    let above = thresholds(|t| t.syn_retrans_rate = 0.6);
    assert!(found(&with(1), &above).is_empty());
    // The counter alone, no SYN-SENT socket seen: nothing to name.
    let mut s = run(vec![vec![], vec![], vec![]]);
    for (i, x) in s.iter_mut().enumerate() {
        x.counters = counters(&[("TcpExt.TCPSynRetrans", 10 * i as u64)]);
    }
    assert!(found(&s, &o).is_empty());
}

/// Seventeen clients alike give one evidence line with a count.
#[test]
fn identical_evidence_is_one_line() {
    let c = |cookie: u64| {
        with_timer(
            tcp(
                cookie,
                State::SynSent,
                &format!("127.0.0.1:{}", 40000 + cookie),
                SERVER,
                (0, 1),
            ),
            TimerKind::On,
            2,
        )
    };
    let all: Vec<Socket> = (1..=17).map(c).collect();
    let f = diagnose(&run(vec![all.clone(), all]), &Options::new());
    assert_eq!(f.len(), 1);
    let per: Vec<&Evidence> = f[0]
        .evidence
        .iter()
        .filter(|e| e.name == "syn_retransmits")
        .collect();
    assert_eq!(per.len(), 1, "{:#?}", f[0].evidence);
    assert_eq!(per[0].count, 16, "the first 16 sockets carry evidence");
    assert_eq!(per[0].values, vec![2, 2]);
    assert_eq!(f[0].sockets.len(), 17);
}

#[test]
fn syn_recv_pileup_names_the_listener() {
    let l = held_by(tcp(1, State::Listen, SERVER, ANY, (0, 5)), 42, "server");
    let req = |cookie, r| {
        let mut s = with_timer(
            tcp(cookie, State::SynRecv, SERVER, "127.0.0.1:40000", (0, 0)),
            TimerKind::On,
            r,
        );
        s.inode = 0;
        s
    };
    let o = Options::new();
    let s = run(vec![vec![l.clone(), req(2, 1)], vec![l.clone(), req(2, 2)]]);
    let f = diagnose(&s, &o);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, Kind::SynRecvPileup);
    assert_eq!(f[0].sockets[0].state, "listen");
    assert_eq!(f[0].sockets[0].processes[0].pid, 42);
    assert_eq!(f[0].sockets[1].state, "syn_recv");
    // Each retransmitting request's evidence points at its own socket,
    // after the listener.
    let s = run(vec![
        vec![l.clone(), req(2, 1), req(3, 2)],
        vec![l.clone(), req(2, 2), req(3, 3)],
    ]);
    let f = diagnose(&s, &o);
    let ev: Vec<(&str, Option<usize>, &[u64])> = f[0]
        .evidence
        .iter()
        .map(|e| (e.name.as_str(), e.socket, e.values.as_slice()))
        .collect();
    assert_eq!(
        ev,
        vec![
            ("syn_recv_sockets", None, &[2, 2][..]),
            ("synack_retransmits", Some(1), &[1, 2][..]),
            ("synack_retransmits", Some(2), &[2, 3][..]),
        ]
    );
    assert!(
        found(
            &run(vec![vec![l.clone(), req(2, 0)], vec![l.clone(), req(2, 0)]]),
            &o
        )
        .is_empty()
    );
    // A pile without retransmissions, at the count threshold.
    let pile = |n: u64| -> Vec<Socket> {
        let mut v = vec![l.clone()];
        v.extend((0..n).map(|i| req(10 + i, 0)));
        v
    };
    let two = thresholds(|t| t.syn_recv_count = 2);
    assert_eq!(
        found(&run(vec![pile(2), pile(2)]), &two),
        vec![Kind::SynRecvPileup]
    );
    assert!(found(&run(vec![pile(2), pile(1)]), &two).is_empty());
    // 0 turns either check off.
    let off = thresholds(|t| t.syn_recv_count = 0);
    assert!(found(&run(vec![pile(2), pile(2)]), &off).is_empty());
    let off = thresholds(|t| t.synack_retransmits = 0);
    assert!(
        found(
            &run(vec![vec![l.clone(), req(2, 1)], vec![l.clone(), req(2, 2)]]),
            &off
        )
        .is_empty()
    );
    // The SYN-ACK retransmission threshold.
    let t2 = thresholds(|t| t.synack_retransmits = 2);
    let at = |r| run(vec![vec![l.clone(), req(2, r)], vec![l.clone(), req(2, r)]]);
    assert!(found(&at(1), &t2).is_empty());
    assert_eq!(found(&at(2), &t2), vec![Kind::SynRecvPileup]);
    // Syncookies rising, no request socket left to see.
    let mut s = run(vec![vec![l.clone()], vec![l.clone()]]);
    s[1].counters = counters(&[("TcpExt.SyncookiesSent", 3)]);
    assert_eq!(found(&s, &o), vec![Kind::SynRecvPileup]);
    assert_eq!(
        found(&s, &thresholds(|t| t.syncookies = 3)),
        vec![Kind::SynRecvPileup]
    );
    assert!(found(&s, &thresholds(|t| t.syncookies = 4)).is_empty());
}

#[test]
fn recv_queue_growing_when_nothing_is_read() {
    let srv = |q, received| {
        held_by(
            with_info(
                tcp(3, State::Established, SERVER, "127.0.0.1:40000", (q, 0)),
                &[(BYTES_RECEIVED, 8, received)],
            ),
            42,
            "server",
        )
    };
    let o = Options::new();
    // The lab's recv-q scenario: 48 bytes, arrived and never read.
    let f = diagnose(&same(3, srv(48, 48)), &o);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, Kind::RecvQueueGrowing);
    assert!(f[0].summary.contains("not draining"), "{}", f[0].summary);
    assert_eq!(f[0].evidence[0].values, vec![48, 48, 48]);
    // Growing: 6 → 23 → 48 arrived, nothing read.
    let f = diagnose(
        &run(vec![vec![srv(6, 6)], vec![srv(23, 23)], vec![srv(48, 48)]]),
        &o,
    );
    assert!(f[0].summary.contains("growing"));
    assert!(
        f[0].explanation.contains(": here 6 → 23 → 48, "),
        "{}",
        f[0].explanation
    );
    // Busy but reading: the same Recv-Q, yet 100 bytes went through.
    assert!(found(&run(vec![vec![srv(48, 48)], vec![srv(48, 148)]]), &o).is_empty());
    // One sample cannot tell.
    assert!(found(&same(1, srv(48, 48)), &o).is_empty());
    // The threshold's edge.
    let t = thresholds(|t| t.recv_q_bytes = 48);
    assert_eq!(
        found(&same(2, srv(48, 48)), &t),
        vec![Kind::RecvQueueGrowing]
    );
    let t = thresholds(|t| t.recv_q_bytes = 49);
    assert!(found(&same(2, srv(48, 48)), &t).is_empty());
    // Without tcp_info: a Recv-Q that shrank was read.
    let bare = |q| tcp(3, State::Established, SERVER, "127.0.0.1:40000", (q, 0));
    assert!(found(&run(vec![vec![bare(48)], vec![bare(40)]]), &o).is_empty());
    assert_eq!(
        found(&run(vec![vec![bare(40)], vec![bare(48)]]), &o),
        vec![Kind::RecvQueueGrowing]
    );
    // CLOSE-WAIT with an unread FIN only: Recv-Q 1 is no data.
    let cw = |q| tcp(4, State::CloseWait, SERVER, "127.0.0.1:40000", (q, 0));
    assert_eq!(found(&same(2, cw(1)), &o), vec![Kind::CloseWaitLeak]);
    assert_eq!(
        found(&same(2, cw(2)), &o),
        vec![Kind::RecvQueueGrowing, Kind::CloseWaitLeak]
    );
}

#[test]
fn send_queue_stuck_and_zero_window() {
    let cli = |q, acked, wnd, timer: Option<(TimerKind, u8)>| {
        let mut s = with_info(
            tcp(5, State::Established, "127.0.0.1:40000", SERVER, (0, q)),
            &[(BYTES_ACKED, 8, acked), (SND_WND, 4, wnd)],
        );
        if let Some((k, r)) = timer {
            s = with_timer(s, k, r);
        }
        held_by(s, 9, "client")
    };
    let srv = tcp(6, State::Established, SERVER, "127.0.0.1:40000", (4096, 0));
    let o = Options::new();
    // The lab's send-q scenario: zero window, persist timer, nothing acked.
    let z = || cli(1000, 50, 0, Some((TimerKind::Persist, 2)));
    // The reader is not visible: one finding, the zero window, carrying
    // the stuck Send-Q.
    let s = run(vec![vec![z()], vec![z()]]);
    let f = diagnose(&s, &o);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].kind, Kind::ZeroWindow);
    let names: Vec<&str> = f[0].evidence.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, vec!["snd_wnd", "unacked_bytes", "persist_probes"]);
    // Both ends here (the reader holds 4096 unread bytes, none read): one
    // finding about the reader, with the sender's side as evidence.
    let s = run(vec![vec![z(), srv.clone()], vec![z(), srv.clone()]]);
    let f = diagnose(&s, &o);
    assert_eq!(f.len(), 1, "{f:#?}");
    let r = &f[0];
    assert_eq!(r.kind, Kind::RecvQueueGrowing);
    assert_eq!(r.sockets.len(), 2);
    assert_eq!(r.sockets[0].local, SERVER);
    assert_eq!(r.sockets[0].recv_q, 4096);
    assert_eq!(r.sockets[1].local, "127.0.0.1:40000");
    let ev: Vec<(&str, Option<usize>)> = r
        .evidence
        .iter()
        .map(|e| (e.name.as_str(), e.socket))
        .collect();
    assert_eq!(
        ev,
        vec![
            ("unread_bytes", Some(0)),
            ("unacked_bytes", Some(1)),
            ("snd_wnd", Some(1)),
            ("persist_probes", Some(1)),
        ]
    );
    assert!(
        r.summary
            .contains("the sender 127.0.0.1:40000 has 1000 byte(s) waiting")
    );
    // Draining: bytes were acknowledged between samples.
    let s = run(vec![
        vec![cli(1000, 50, 65535, None)],
        vec![cli(1000, 1050, 65535, None)],
    ]);
    assert!(found(&s, &o).is_empty());
    // Stuck without a zero window (the peer-gone scenario): the head
    // segment retransmitted, one finding carrying the Send-Q.
    let gone = |r| cli(21, 6, 65535, Some((TimerKind::On, r)));
    let f = diagnose(&run(vec![vec![gone(3)], vec![gone(4)]]), &o);
    let kinds: Vec<Kind> = f.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, vec![Kind::Retransmissions]);
    assert_eq!(f[0].severity, Severity::Critical);
    assert!(
        f[0].evidence
            .iter()
            .any(|e| e.name == "unacked_bytes" && e.values == vec![21, 21])
    );
    // Stuck, not retransmitting: send_queue_stuck.
    let f = diagnose(&same(2, cli(21, 6, 65535, None)), &o);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, Kind::SendQueueStuck);
    assert_eq!(f[0].severity, Severity::Warning);
    // Threshold edge on the data bytes.
    let t = thresholds(|t| t.send_q_bytes = 21);
    assert!(found(&same(2, cli(21, 6, 65535, None)), &t).contains(&Kind::SendQueueStuck));
    let t = thresholds(|t| t.send_q_bytes = 22);
    assert!(found(&same(2, cli(21, 6, 65535, None)), &t).is_empty());
    // A FIN alone in Send-Q (FIN-WAIT-1) is not stuck data.
    let fw = tcp(8, State::FinWait1, "127.0.0.1:40000", SERVER, (0, 1));
    assert!(found(&same(2, fw), &o).is_empty());
    // A zero window in one sample only: the reader caught up.
    let s = run(vec![vec![z()], vec![cli(1000, 50, 65535, None)]]);
    assert!(!found(&s, &o).contains(&Kind::ZeroWindow));
    // A zero window with nothing to send is not a problem.
    assert!(found(&same(2, cli(0, 50, 0, None)), &o).is_empty());
}

#[test]
fn close_wait_grouped_by_process() {
    let cw = |cookie, pid, cmd: &str| {
        held_by(
            tcp(cookie, State::CloseWait, SERVER, "127.0.0.1:40000", (0, 0)),
            pid,
            cmd,
        )
    };
    let o = Options::new();
    let both = vec![cw(1, 42, "server"), cw(2, 42, "server"), cw(3, 7, "other")];
    let f = diagnose(&run(vec![both.clone(), both.clone()]), &o);
    assert_eq!(f.len(), 2);
    let mine = f.iter().find(|f| f.sockets.len() == 2).unwrap();
    assert_eq!(mine.kind, Kind::CloseWaitLeak);
    assert!(mine.summary.contains("pid 42"), "{}", mine.summary);
    assert_eq!(mine.evidence[0].values, vec![2, 2]);
    // A steady count is held, not said to grow; a rising one is.
    assert!(
        mine.explanation
            .contains(" Each is a descriptor the application still holds"),
        "{}",
        mine.explanation
    );
    assert!(!mine.explanation.contains("The count grows"));
    let two = vec![cw(1, 42, "server"), cw(2, 42, "server")];
    let f = diagnose(&run(vec![vec![cw(1, 42, "server")], two.clone(), two]), &o);
    let mine = f.iter().find(|f| f.kind == Kind::CloseWaitLeak).unwrap();
    assert_eq!(mine.evidence[0].values, vec![1, 2, 2]);
    assert!(
        mine.explanation
            .contains(" The count grows: a descriptor leak"),
        "{}",
        mine.explanation
    );
    // Gone in the last sample: the application closed it.
    assert!(found(&run(vec![vec![cw(1, 42, "s")], vec![]]), &o).is_empty());
    let t = thresholds(|t| t.close_wait_count = 2);
    assert_eq!(
        found(&run(vec![both.clone(), both.clone()]), &t),
        vec![Kind::CloseWaitLeak]
    );
    let t = thresholds(|t| t.close_wait_critical = 2);
    let f = diagnose(&run(vec![both.clone(), both]), &t);
    assert_eq!(f[0].severity, Severity::Critical);
    assert_eq!(f[0].sockets.len(), 2);
}

#[test]
fn retransmissions_name_the_state() {
    let fw = |r, total| {
        with_info(
            with_timer(
                tcp(9, State::FinWait1, "127.0.0.1:40000", SERVER, (0, 1)),
                TimerKind::On,
                r,
            ),
            &[(RETRANSMITS, 1, u64::from(r)), (TOTAL_RETRANS, 4, total)],
        )
    };
    let o = Options::new();
    // The lab's fin-unanswered scenario: the FIN resent, nothing acked.
    let f = diagnose(&run(vec![vec![fw(2, 2)], vec![fw(3, 3)]]), &o);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, Kind::Retransmissions);
    assert!(f[0].summary.contains("FIN-WAIT-1"), "{}", f[0].summary);
    assert!(
        f[0].summary.contains("stalled, 3 in a row"),
        "{}",
        f[0].summary
    );
    assert!(f[0].explanation.contains("FIN"));
    assert_eq!(f[0].severity, Severity::Critical);
    assert_eq!(
        diagnose(&run(vec![vec![fw(1, 1)], vec![fw(2, 2)]]), &o)[0].severity,
        Severity::Warning
    );
    // Quiet now: old history, whatever the totals.
    assert!(found(&same(2, fw(0, 5)), &o).is_empty());
    assert!(found(&same(2, fw(0, 5)), &Options::new().since_boot(true)).is_empty());
    // One retransmission during sampling, recovered: no stall, and too few
    // segments for a share.
    assert!(found(&run(vec![vec![fw(0, 5)], vec![fw(0, 6)]]), &o).is_empty());
    // The consecutive threshold (--consecutive-retransmits).
    let t = thresholds(|t| t.retransmits = 2);
    assert!(found(&run(vec![vec![fw(1, 5)], vec![fw(1, 6)]]), &t).is_empty());
    assert_eq!(
        found(&run(vec![vec![fw(2, 5)], vec![fw(2, 6)]]), &t),
        vec![Kind::Retransmissions]
    );
    // One sample: the head's count alone.
    assert_eq!(found(&same(1, fw(1, 1)), &o), vec![Kind::Retransmissions]);
}

/// A bulk flow: `tcp_info` total_retrans and segs_out, bytes acked
/// moving, no timer.
fn flow(retrans: u64, segs: u64, acked: u64) -> Socket {
    held_by(
        with_info(
            tcp(3, State::Established, "127.0.0.1:40000", SERVER, (0, 65000)),
            &[
                (TOTAL_RETRANS, 4, retrans),
                (SEGS_OUT, 4, segs),
                (BYTES_ACKED, 8, acked),
                (SND_WND, 4, 65535),
            ],
        ),
        9,
        "bulk",
    )
}

fn flow_over(retrans: u64, segs: u64) -> Vec<Sample> {
    run(vec![
        vec![flow(100, 50_000, 1_000_000)],
        vec![flow(100 + retrans / 2, 50_000 + segs / 2, 2_000_000)],
        vec![flow(100 + retrans, 50_000 + segs, 3_000_000)],
    ])
}

fn severities(samples: &[Sample], o: &Options) -> Vec<(Kind, Severity)> {
    diagnose(samples, o)
        .into_iter()
        .map(|f| (f.kind, f.severity))
        .collect()
}

/// The share of segments retransmitted, at the edges of its lines.
#[test]
fn retransmission_ratio_per_connection() {
    let o = Options::new();
    let r = |k| vec![(Kind::Retransmissions, k)];
    // A healthy lossy flow, as reported: 9 of 1693 (0.5 %), nothing.
    assert_eq!(severities(&flow_over(9, 1693), &o), vec![]);
    // Up to 1 % is healthy; 1 % is the info line.
    assert!(severities(&flow_over(9, 1000), &o).is_empty());
    assert_eq!(severities(&flow_over(10, 1000), &o), r(Severity::Info));
    assert_eq!(severities(&flow_over(49, 1000), &o), r(Severity::Info));
    // 5 % is the warning line.
    let f = diagnose(&flow_over(50, 1000), &o);
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(
        f[0].summary.contains("5.0 % of segments"),
        "{}",
        f[0].summary
    );
    assert_eq!(f[0].sockets[0].processes[0].command, "bulk");
    let e = &f[0].evidence[0];
    assert_eq!(e.name, "retransmitted_of_sent");
    assert_eq!(e.values, vec![50, 1000]);
    assert_eq!(
        e.threshold,
        "5.0 % retransmitted (info >= 1.0 %, warning >= 5.0 %, from 100 segments)"
    );
    assert!(f[0].explanation.contains("the data still moves"));
    assert!(!f[0].explanation.contains("vanished"));
    // The options move the lines...
    let info = thresholds(|t| t.retrans_info_ratio = 0.02);
    assert!(severities(&flow_over(19, 1000), &info).is_empty());
    assert_eq!(severities(&flow_over(20, 1000), &info), r(Severity::Info));
    let warn = thresholds(|t| t.retrans_ratio = 0.1);
    assert_eq!(severities(&flow_over(99, 1000), &warn), r(Severity::Info));
    assert_eq!(
        severities(&flow_over(100, 1000), &warn),
        r(Severity::Warning)
    );
    // ... but 20 % is a warning at any setting.
    let lax = thresholds(|t| t.retrans_ratio = 0.5);
    assert_eq!(severities(&flow_over(199, 1000), &lax), r(Severity::Info));
    assert_eq!(
        severities(&flow_over(200, 1000), &lax),
        r(Severity::Warning)
    );
    // The segment floor: 50 of 99 sent says nothing yet.
    assert!(severities(&flow_over(50, 99), &o).is_empty());
    assert_eq!(severities(&flow_over(50, 100), &o), r(Severity::Warning));
    let floor = thresholds(|t| t.retrans_min_segments = 50);
    assert_eq!(severities(&flow_over(40, 80), &floor), r(Severity::Warning));
    // A lossy flow that stalls at the last sample (3 in a row, nothing
    // acknowledged since the sample before) but moved earlier in the
    // window: a warning, not critical.
    let stalls = |r: u8, acked: u64| {
        with_timer(
            with_info(
                flow(0, 0, acked),
                &[
                    (RETRANSMITS, 1, u64::from(r)),
                    (BYTES_ACKED, 8, acked),
                    (SND_WND, 4, 65535),
                ],
            ),
            TimerKind::On,
            r,
        )
    };
    let s = run(vec![
        vec![stalls(0, 1000)],
        vec![stalls(2, 5000)],
        vec![stalls(3, 5000)],
    ]);
    assert_eq!(severities(&s, &o), r(Severity::Warning));
    // Nothing moved through the whole window: critical.
    let s = run(vec![
        vec![stalls(1, 5000)],
        vec![stalls(2, 5000)],
        vec![stalls(3, 5000)],
    ]);
    assert_eq!(severities(&s, &o), r(Severity::Critical));
    // A retransmits threshold of 0 turns the stall check off: no
    // retransmission finding, the stuck Send-Q's alone.
    let off = thresholds(|t| t.retransmits = 0);
    assert_eq!(
        severities(&s, &off),
        vec![(Kind::SendQueueStuck, Severity::Critical)]
    );
    // The same flow in every run keeps its severity: no timer count, no
    // sample-to-sample noise in the verdict.
    for _ in 0..3 {
        assert_eq!(severities(&flow_over(50, 1000), &o), r(Severity::Warning));
    }
    // since_boot: what the connection's counters hold.
    let sb = Options::new().since_boot(true);
    assert_eq!(
        severities(
            &run(vec![vec![flow(10, 1000, 5)], vec![flow(10, 1000, 6)]]),
            &sb
        ),
        r(Severity::Info)
    );
}

/// The namespace's share, SYN retransmissions aside, when no connection
/// sampled shows it.
#[test]
fn retransmission_ratio_of_the_namespace() {
    let ns = |retrans: u64, syn: u64, out: u64| {
        let mut s = run(vec![vec![], vec![]]);
        s[0].counters = counters(&[
            ("Tcp.RetransSegs", 1000),
            ("TcpExt.TCPSynRetrans", 100),
            ("Tcp.OutSegs", 100_000),
        ]);
        s[1].counters = counters(&[
            ("Tcp.RetransSegs", 1000 + retrans + syn),
            ("TcpExt.TCPSynRetrans", 100 + syn),
            ("Tcp.OutSegs", 100_000 + out),
        ]);
        s
    };
    let o = Options::new();
    let r = |k| vec![(Kind::Retransmissions, k)];
    assert!(severities(&ns(9, 0, 1693), &o).is_empty());
    assert_eq!(severities(&ns(20, 0, 1000), &o), r(Severity::Info));
    assert_eq!(severities(&ns(50, 0, 1000), &o), r(Severity::Warning));
    // SYN retransmissions are syn_sent_stuck's, not the path's share.
    assert!(severities(&ns(5, 500, 1000), &o).is_empty());
    let f = diagnose(&ns(50, 0, 1000), &o);
    assert_eq!(f[0].subject, "namespace");
    assert_eq!(f[0].evidence[0].values, vec![1000, 1050]);
    assert!(severities(&ns(50, 0, 99), &o).is_empty());
}

#[test]
fn resets_are_counter_rises() {
    let mut s = run(vec![vec![], vec![]]);
    s[0].counters = counters(&[("Tcp.OutRsts", 4), ("Tcp.EstabResets", 2)]);
    s[1].counters = counters(&[("Tcp.OutRsts", 4), ("Tcp.EstabResets", 2)]);
    assert!(found(&s, &Options::new()).is_empty());
    let f = diagnose(&s, &Options::new().since_boot(true));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, Kind::Resets);
    assert!(f[0].summary.contains("Tcp.OutRsts +4"), "{}", f[0].summary);
    s[1].counters = counters(&[("Tcp.OutRsts", 5), ("Tcp.EstabResets", 2)]);
    let f = diagnose(&s, &Options::new());
    assert_eq!(f[0].evidence.len(), 1);
    assert_eq!(f[0].evidence[0].values, vec![4, 5]);
    assert!(found(&s, &thresholds(|t| t.resets = 2)).is_empty());
}

#[test]
fn time_wait_near_the_bucket_limit() {
    let tw = |i: u16| {
        tcp(
            100 + u64::from(i),
            State::TimeWait,
            &format!("127.0.0.1:{}", 40000 + i),
            SERVER,
            (0, 0),
        )
    };
    let limits = Limits::parse("10", "");
    let s =
        |n: u16| vec![Sample::new(0, Duration::ZERO, (0..n).map(tw).collect()).with_limits(limits)];
    let o = Options::new();
    assert_eq!(found(&s(8), &o), vec![Kind::TimeWaitPressure]);
    assert!(found(&s(7), &o).is_empty());
    // Only TCP TIME-WAIT sockets count: an ESTABLISHED one beside 7 does not
    // make 8.
    let mut seven = s(7);
    seven[0].sockets.push(tcp(
        99,
        State::Established,
        "127.0.0.1:39999",
        SERVER,
        (0, 0),
    ));
    assert!(found(&seven, &o).is_empty());
    // A limit of 0 is no limit known: no level to be near.
    let zero = vec![
        Sample::new(0, Duration::ZERO, (0..3).map(tw).collect())
            .with_limits(Limits::parse("0", "")),
    ];
    assert!(found(&zero, &o).is_empty());
    let half = thresholds(|t| t.time_wait_ratio = 0.5);
    assert_eq!(found(&s(5), &half), vec![Kind::TimeWaitPressure]);
    assert!(found(&s(4), &half).is_empty());
    // The overflow counter is critical.
    let mut v = run(vec![vec![], vec![]]);
    v[1].counters = counters(&[("TcpExt.TCPTimeWaitOverflow", 1)]);
    let f = diagnose(&v, &o);
    assert_eq!(
        (f[0].kind, f[0].severity),
        (Kind::TimeWaitPressure, Severity::Critical)
    );
}

#[test]
fn port_exhaustion_to_one_destination() {
    let c = |i: u16, state| {
        tcp(
            200 + u64::from(i),
            state,
            &format!("127.0.0.1:{}", 40000 + i),
            SERVER,
            (0, 0),
        )
    };
    let limits = Limits::parse("", "40000 40009");
    let s = |socks: Vec<Socket>| vec![Sample::new(0, Duration::ZERO, socks).with_limits(limits)];
    let o = Options::new();
    // 8 of 10 ports (TIME-WAIT included) is the 0.8 edge.
    let mut v: Vec<Socket> = (0..7).map(|i| c(i, State::Established)).collect();
    v.push(c(7, State::TimeWait));
    let f = diagnose(&s(v.clone()), &o);
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].kind, f[0].severity),
        (Kind::PortExhaustion, Severity::Warning)
    );
    assert!(f[0].summary.contains("1 in TIME-WAIT"), "{}", f[0].summary);
    v.pop();
    assert!(found(&s(v.clone()), &o).is_empty());
    // Only TCP counts: a connected UDP socket to the same destination on
    // the eighth port does not.
    let mut udp = c(7, State::Established);
    udp.netid = Table::Udp;
    let mut with_udp = v.clone();
    with_udp.push(udp);
    assert!(found(&s(with_udp), &o).is_empty());
    // A port outside the range does not count.
    v.push(tcp(
        300,
        State::Established,
        "127.0.0.1:39999",
        SERVER,
        (0, 0),
    ));
    assert!(found(&s(v), &o).is_empty());
    let all: Vec<Socket> = (0..10).map(|i| c(i, State::Established)).collect();
    assert_eq!(diagnose(&s(all), &o)[0].severity, Severity::Critical);
    let half = thresholds(|t| t.port_ratio = 0.5);
    let five: Vec<Socket> = (0..5).map(|i| c(i, State::Established)).collect();
    assert_eq!(found(&s(five.clone()), &half), vec![Kind::PortExhaustion]);
    assert!(found(&s(five[..4].to_vec()), &half).is_empty());
}

#[test]
fn udp_drops_from_skmem_and_counters() {
    let u = |drops| {
        let mut s = Socket::new(Table::Udp, Family::Inet, State::Close);
        s.cookie = Some(77);
        s.local = ep("127.0.0.1:5353");
        s.peer = ep(ANY);
        s.recv_q = 2304;
        s.skmem = Some(SkMemInfo {
            rcvbuf: 2304,
            drops,
            ..Default::default()
        });
        s
    };
    let o = Options::new();
    let f = diagnose(&run(vec![vec![u(0)], vec![u(3)]]), &o);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, Kind::UdpDrops);
    assert_eq!(f[0].evidence[0].values, vec![0, 3]);
    assert!(found(&same(2, u(3)), &o).is_empty());
    assert_eq!(
        found(&same(2, u(3)), &Options::new().since_boot(true)),
        vec![Kind::UdpDrops]
    );
    assert!(
        found(
            &run(vec![vec![u(0)], vec![u(3)]]),
            &thresholds(|t| t.udp_drops = 4)
        )
        .is_empty()
    );
    // The threshold itself is a finding.
    assert_eq!(
        found(
            &run(vec![vec![u(0)], vec![u(3)]]),
            &thresholds(|t| t.udp_drops = 3)
        ),
        vec![Kind::UdpDrops]
    );
    let mut v = run(vec![vec![], vec![]]);
    v[1].counters = counters(&[("Udp6.RcvbufErrors", 2)]);
    assert_eq!(found(&v, &o), vec![Kind::UdpDrops]);
}

#[test]
fn unix_backlog_full_at_the_backlog() {
    let l = |q| {
        let mut s = Socket::new(Table::UnixStream, Family::Unix, State::Listen);
        s.inode = 555;
        s.local = Endpoint::Unix {
            name: crate::model::UnixName::from_sun_path(b"/run/app.sock"),
            inode: 555,
        };
        (s.recv_q, s.send_q) = (q, 2);
        s
    };
    let o = Options::new();
    let f = diagnose(&same(2, l(2)), &o);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, Kind::UnixBacklogFull);
    assert_eq!(f[0].sockets[0].local, "/run/app.sock 555");
    assert!(found(&same(2, l(1)), &o).is_empty());
    let half = thresholds(|t| t.unix_queue_ratio = 0.5);
    assert_eq!(found(&same(2, l(1)), &half), vec![Kind::UnixBacklogFull]);
    assert!(found(&same(2, l(0)), &half).is_empty());
}

#[cfg(feature = "serde")]
#[test]
fn most_severe_first_and_json_roundtrip() {
    let l = tcp(1, State::Listen, SERVER, ANY, (6, 5));
    let cw = tcp(2, State::CloseWait, SERVER, "127.0.0.1:40000", (0, 0));
    let f = diagnose(
        &run(vec![vec![cw.clone(), l.clone()], vec![cw, l]]),
        &Options::new(),
    );
    assert_eq!(
        f.iter().map(|f| f.kind).collect::<Vec<_>>(),
        vec![Kind::ListenQueueFull, Kind::CloseWaitLeak]
    );
    let json = serde_json::to_string(&f).unwrap();
    assert!(json.contains(r#""kind":"listen_queue_full""#));
    assert!(json.contains(r#""severity":"critical""#));
    let back: Vec<Finding> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, f);
    // Thresholds read back, missing fields at their defaults.
    let t: Thresholds = serde_json::from_str(r#"{"recv_q_bytes":9}"#).unwrap();
    assert_eq!(t.recv_q_bytes, 9);
    assert_eq!(t.listen_queue_ratio, 1.0);
}

#[test]
fn healthy_traffic_is_quiet() {
    // An echo exchange caught mid-flight: data in Recv-Q once, read by the
    // next sample; a Send-Q that drains; a TIME-WAIT from a normal close;
    // a listener with room; a SYN-SENT before its first retransmission.
    let srv = |q, received| {
        with_info(
            tcp(3, State::Established, SERVER, "127.0.0.1:40000", (q, 0)),
            &[(BYTES_RECEIVED, 8, received)],
        )
    };
    let cli = |q, acked| {
        with_info(
            tcp(4, State::Established, "127.0.0.1:40000", SERVER, (0, q)),
            &[(BYTES_ACKED, 8, acked), (SND_WND, 4, 65535)],
        )
    };
    let l = tcp(1, State::Listen, SERVER, ANY, (1, 5));
    let tw = tcp(5, State::TimeWait, "127.0.0.1:40001", SERVER, (0, 0));
    let syn = with_timer(
        tcp(6, State::SynSent, "127.0.0.1:40002", SERVER, (0, 1)),
        TimerKind::On,
        0,
    );
    let s = run(vec![
        vec![l.clone(), srv(6, 6), cli(6, 0), tw.clone(), syn.clone()],
        vec![l.clone(), srv(0, 12), cli(0, 12), tw.clone()],
        vec![l, srv(6, 18), cli(6, 12), tw],
    ]);
    assert!(diagnose(&s, &Options::new()).is_empty());
}

#[test]
fn socket_refs_spell_ends_as_ss() {
    // `ss -tan`: `LISTEN 0 5 0.0.0.0:22 0.0.0.0:*`; a wildcard IPv4
    // listener keeps its address.
    let l = tcp(1, State::Listen, "0.0.0.0:22", "0.0.0.0:0", (0, 5));
    let r = SocketRef::of(&l);
    assert_eq!(
        (r.local.as_str(), r.peer.as_str()),
        ("0.0.0.0:22", "0.0.0.0:*")
    );
    let c = tcp(2, State::SynSent, "10.0.0.1:40000", "10.0.0.2:22", (0, 1));
    let r = SocketRef::of(&c);
    assert_eq!(
        (r.local.as_str(), r.peer.as_str()),
        ("10.0.0.1:40000", "10.0.0.2:22")
    );
}

/// A connection in a listener's accept queue: no inode (accept() gives it
/// a file), no holder.
fn queued(cookie: u64, state: State, client_port: u16) -> Socket {
    let mut s = tcp(
        cookie,
        state,
        SERVER,
        &format!("127.0.0.1:{client_port}"),
        (0, 0),
    );
    s.inode = 0;
    s
}

#[test]
fn never_accepted_belongs_to_the_listener() {
    let l = |q| held_by(tcp(1, State::Listen, SERVER, ANY, (q, 5)), 42, "server");
    let o = Options::new();
    // Clients that gave up: CLOSE-WAIT in the queue of a listener that is
    // not full. The listener's finding, naming it and its process; never
    // a CLOSE-WAIT leak.
    let socks = vec![
        l(2),
        queued(10, State::CloseWait, 41000),
        queued(11, State::Established, 41001),
    ];
    let f = diagnose(&run(vec![socks.clone(), socks.clone()]), &o);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].kind, Kind::NeverAccepted);
    assert_eq!(f[0].severity, Severity::Warning);
    assert_eq!(f[0].subject, "listener 127.0.0.1:5000");
    assert_eq!(f[0].sockets[0].local, SERVER);
    assert_eq!(f[0].sockets[0].processes[0].command, "server");
    assert_eq!(f[0].sockets.len(), 3);
    assert!(f[0].summary.contains("2 connection(s)"), "{}", f[0].summary);
    assert!(
        f[0].summary.contains("\"server\" pid 42"),
        "{}",
        f[0].summary
    );
    let ev: Vec<(&str, &[u64])> = f[0]
        .evidence
        .iter()
        .map(|e| (e.name.as_str(), e.values.as_slice()))
        .collect();
    assert_eq!(
        ev,
        vec![
            ("recv_q", &[2, 2][..]),
            ("never_accepted", &[2, 2][..]),
            ("never_accepted_closed_by_client", &[1, 1][..]),
        ]
    );
    assert!(!f[0].explanation.contains("leak:"));
    // The listener is found by its address whatever the dump's order: the
    // queued connections, on the same local address, come first here.
    let reversed: Vec<Socket> = socks.iter().rev().cloned().collect();
    let g = diagnose(&run(vec![reversed.clone(), reversed]), &o);
    assert_eq!(g.len(), 1, "{g:#?}");
    assert_eq!(
        (g[0].kind, g[0].subject.as_str()),
        (Kind::NeverAccepted, "listener 127.0.0.1:5000")
    );
    assert_eq!(g[0].sockets[0].state, "listen");
    assert!(
        f[0].explanation
            .contains(" 1 of them were closed by their clients already"),
        "{}",
        f[0].explanation
    );
    // The same connection accepted (it has an inode and a holder): a leak.
    let mut accepted = held_by(queued(10, State::CloseWait, 41000), 42, "server");
    accepted.inode = 77;
    assert_eq!(found(&same(2, accepted), &o), vec![Kind::CloseWaitLeak]);
    // An ESTABLISHED connection waiting in one sample only: accepted soon,
    // traffic; one that stays, not accepted.
    let e = || queued(11, State::Established, 41001);
    assert!(found(&run(vec![vec![l(0)], vec![l(1), e()]]), &o).is_empty());
    assert_eq!(
        found(&run(vec![vec![l(1), e()], vec![l(1), e()]]), &o),
        vec![Kind::NeverAccepted]
    );
    // Its evidence: no client closed, so no CLOSE-WAIT count.
    let names_values = |f: &Finding| -> Vec<(String, Vec<u64>)> {
        f.evidence
            .iter()
            .map(|e| (e.name.clone(), e.values.clone()))
            .collect()
    };
    let f = diagnose(&run(vec![vec![l(1), e()], vec![l(1), e()]]), &o);
    assert_eq!(
        names_values(&f[0]),
        vec![
            ("recv_q".to_string(), vec![1, 1]),
            ("never_accepted".to_string(), vec![1, 1]),
        ]
    );
    assert!(!f[0].explanation.contains("closed by their clients"));
    // A full listener whose waiting connections are not in the dump: its
    // queue alone, no count of connections seen; a client connected to it
    // already (ESTABLISHED, not SYN-SENT) is not one whose SYNs it drops.
    let connected = || tcp(30, State::Established, "127.0.0.1:41010", SERVER, (0, 0));
    let f = diagnose(
        &run(vec![vec![l(5), connected()], vec![l(5), connected()]]),
        &o,
    );
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].kind, Kind::ListenQueueFull);
    assert_eq!(
        names_values(&f[0]),
        vec![("recv_q".to_string(), vec![5, 5])]
    );
    assert!(!f[0].explanation.contains("seen here"));
    assert!(!f[0].explanation.contains("closed by their clients"));
    // One sample: only a client that gave up tells.
    assert!(found(&run(vec![vec![l(1), e()]]), &o).is_empty());
    assert_eq!(
        found(
            &run(vec![vec![l(1), queued(10, State::CloseWait, 41000)]]),
            &o
        ),
        vec![Kind::NeverAccepted]
    );
    // A full listener: one finding, critical, with its queue and the
    // clients whose SYNs it drops.
    let client = with_timer(
        held_by(
            tcp(20, State::SynSent, "127.0.0.1:41009", SERVER, (0, 1)),
            9,
            "client",
        ),
        TimerKind::On,
        2,
    );
    let mut socks: Vec<Socket> = (0..5)
        .map(|i| queued(10 + i, State::CloseWait, 41000 + i as u16))
        .collect();
    socks.push(l(5));
    socks.push(client);
    let f = diagnose(&run(vec![socks.clone(), socks]), &o);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].kind, Kind::ListenQueueFull);
    assert_eq!(f[0].severity, Severity::Critical);
    assert_eq!(f[0].sockets[0].state, "listen");
    assert_eq!(f[0].sockets.len(), 7);
    assert_eq!(f[0].sockets[6].state, "syn_sent");
    assert!(
        f[0].evidence
            .iter()
            .any(|e| e.name == "never_accepted_closed_by_client" && e.values == vec![5, 5])
    );
    assert!(f[0].evidence.iter().any(|e| e.name == "syn_sent_clients"));
    let x = &f[0].explanation;
    assert!(
        x.contains("(5 of them seen here, held by no process: never accepted)"),
        "{x}"
    );
    assert!(
        x.contains(" 5 of the waiting connections were closed by their clients already"),
        "{x}"
    );
}

#[test]
fn listen_drops_and_resets_as_rates() {
    // Two samples 1 s apart; the counters rise by `n`.
    let rise = |name: &str, n: u64| {
        let mut s = run(vec![vec![], vec![]]);
        s[0].counters = counters(&[(name, 100)]);
        s[1].counters = counters(&[(name, 100 + n)]);
        s
    };
    let o = Options::new();
    let one = |k, sev| vec![(k, sev)];
    // Listen drops: 1 per s is the default warning line.
    assert_eq!(
        severities(&rise("TcpExt.ListenOverflows", 1), &o),
        one(Kind::ListenQueueFull, Severity::Warning)
    );
    let r = thresholds(|t| t.listen_drop_rate = 2.0);
    assert_eq!(
        severities(&rise("TcpExt.ListenOverflows", 1), &r),
        one(Kind::ListenQueueFull, Severity::Info)
    );
    assert_eq!(
        severities(&rise("TcpExt.ListenOverflows", 2), &r),
        one(Kind::ListenQueueFull, Severity::Warning)
    );
    // Resets likewise.
    let r = thresholds(|t| t.reset_rate = 5.0);
    assert_eq!(
        severities(&rise("Tcp.EstabResets", 4), &r),
        one(Kind::Resets, Severity::Info)
    );
    assert_eq!(
        severities(&rise("Tcp.EstabResets", 5), &r),
        one(Kind::Resets, Severity::Warning)
    );
    let f = diagnose(&rise("Tcp.EstabResets", 5), &r);
    assert!(f[0].summary.contains("(5.0 per s)"), "{}", f[0].summary);
    assert_eq!(f[0].evidence[0].threshold, "rise >= 1, 5.0 per s");
    // A window of 4 s: a quarter of the rate.
    let mut s = rise("Tcp.EstabResets", 5);
    s[1].elapsed = Duration::from_secs(4);
    assert_eq!(
        severities(&s, &thresholds(|t| t.reset_rate = 1.5)),
        one(Kind::Resets, Severity::Info)
    );
    assert_eq!(
        severities(&s, &thresholds(|t| t.reset_rate = 1.25)),
        one(Kind::Resets, Severity::Warning)
    );
}

#[cfg(feature = "serde")]
#[test]
fn socket_refs_are_typed() {
    let s = held_by(
        tcp(
            7,
            State::Established,
            "10.0.0.1:40000",
            "[2001:db8::1]:443",
            (0, 0),
        ),
        9,
        "client",
    );
    let r = SocketRef::of(&s);
    assert_eq!(r.table, Table::Tcp);
    assert_eq!(r.cookie, Some(7));
    assert_eq!(
        r.local_end.map(|e| e.socket_addr()),
        Some("10.0.0.1:40000".parse().unwrap())
    );
    assert_eq!(r.peer_end.unwrap().port, 443);
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["table"], "tcp");
    assert_eq!(v["local_end"]["addr"], "10.0.0.1");
    assert_eq!(v["peer_end"]["addr"], "2001:db8::1");
    assert_eq!(v["processes"][0]["pid"], 9);
    let back: SocketRef = serde_json::from_value(v).unwrap();
    assert_eq!(back, r);
}

/// A server that stopped reading all its connections is one finding,
/// carrying every connection's two ends.
#[test]
fn one_reader_one_finding() {
    let l = held_by(tcp(1, State::Listen, SERVER, ANY, (0, 128)), 42, "server");
    let srv = |cookie, port: u16| {
        held_by(
            tcp(
                cookie,
                State::Established,
                SERVER,
                &format!("127.0.0.1:{port}"),
                (4096, 0),
            ),
            42,
            "server",
        )
    };
    let cli = |cookie, port: u16| {
        held_by(
            with_timer(
                with_info(
                    tcp(
                        cookie,
                        State::Established,
                        &format!("127.0.0.1:{port}"),
                        SERVER,
                        (0, 1000),
                    ),
                    &[(BYTES_ACKED, 8, 50), (SND_WND, 4, 0)],
                ),
                TimerKind::Persist,
                1,
            ),
            9,
            "client",
        )
    };
    let socks = vec![
        l,
        srv(2, 41000),
        srv(3, 41001),
        cli(4, 41000),
        cli(5, 41001),
    ];
    let f = diagnose(&run(vec![socks.clone(), socks]), &Options::new());
    assert_eq!(f.len(), 1, "{f:#?}");
    let r = &f[0];
    assert_eq!(r.kind, Kind::RecvQueueGrowing);
    assert_eq!(r.subject, "reader 127.0.0.1:5000");
    assert!(
        r.summary
            .starts_with("2 connections on 127.0.0.1:5000 not read: 8192 unread"),
        "{}",
        r.summary
    );
    let states: Vec<(&str, &str)> = r
        .sockets
        .iter()
        .map(|s| (s.local.as_str(), s.peer.as_str()))
        .collect();
    assert_eq!(
        states,
        vec![
            (SERVER, "127.0.0.1:41000"),
            ("127.0.0.1:41000", SERVER),
            (SERVER, "127.0.0.1:41001"),
            ("127.0.0.1:41001", SERVER),
        ]
    );
    // Identical values on the two connections: one line each, counted.
    let counted: Vec<(&str, Option<usize>, usize)> = r
        .evidence
        .iter()
        .map(|e| (e.name.as_str(), e.socket, e.count))
        .collect();
    assert_eq!(
        counted,
        vec![
            ("unread_bytes", Some(0), 2),
            ("unacked_bytes", Some(1), 2),
            ("snd_wnd", Some(1), 2),
            ("persist_probes", Some(1), 2),
        ]
    );
    assert!(r.explanation.contains("The senders are on this host"));
}

/// Failed attempts while SYNs go unanswered are the SYN finding's (a SYN
/// that times out counts in Tcp.AttemptFails), not a reset.
#[test]
fn attempt_failures_belong_to_the_handshake_finding() {
    let c = with_timer(
        tcp(7, State::SynSent, "127.0.0.1:40000", SERVER, (0, 1)),
        TimerKind::On,
        2,
    );
    let mut s = same(2, c);
    s[0].counters = counters(&[("Tcp.AttemptFails", 10), ("Tcp.OutRsts", 5)]);
    s[1].counters = counters(&[("Tcp.AttemptFails", 13), ("Tcp.OutRsts", 5)]);
    let f = diagnose(&s, &Options::new());
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].kind, Kind::SynSentStuck);
    let e = f[0]
        .evidence
        .iter()
        .find(|e| e.name == "Tcp.AttemptFails")
        .unwrap();
    assert_eq!(e.values, vec![10, 13]);
    // The SYNs timed out: as many aborts on timeout as failed attempts
    // are the same connections; more are others (established ones).
    s[1].counters = counters(&[("Tcp.AttemptFails", 13), ("TcpExt.TCPAbortOnTimeout", 3)]);
    let f = diagnose(&s, &Options::new());
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        f[0].evidence
            .iter()
            .any(|e| e.name == "TcpExt.TCPAbortOnTimeout")
    );
    s[1].counters = counters(&[("Tcp.AttemptFails", 13), ("TcpExt.TCPAbortOnTimeout", 4)]);
    let kinds: Vec<Kind> = diagnose(&s, &Options::new())
        .iter()
        .map(|f| f.kind)
        .collect();
    assert_eq!(kinds, vec![Kind::SynSentStuck, Kind::Resets]);
    // Resets besides are still resets.
    s[1].counters = counters(&[("Tcp.AttemptFails", 13), ("Tcp.OutRsts", 9)]);
    let kinds: Vec<Kind> = diagnose(&s, &Options::new())
        .iter()
        .map(|f| f.kind)
        .collect();
    assert_eq!(kinds, vec![Kind::SynSentStuck, Kind::Resets]);
    // No handshake trouble: failed attempts are resets (refused connects).
    let mut s = run(vec![vec![], vec![]]);
    s[0].counters = counters(&[("Tcp.AttemptFails", 10)]);
    s[1].counters = counters(&[("Tcp.AttemptFails", 13)]);
    assert_eq!(found(&s, &Options::new()), vec![Kind::Resets]);
}
