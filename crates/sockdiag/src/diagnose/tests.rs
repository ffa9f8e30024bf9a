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
}

#[test]
fn syn_sent_stuck_needs_retransmissions_in_every_sample() {
    let c = |r| {
        held_by(
            with_timer(
                tcp(7, State::SynSent, "127.0.0.1:40000", SERVER, (0, 1)),
                TimerKind::On,
                r,
            ),
            9,
            "client",
        )
    };
    let o = Options::new();
    let s = run(vec![vec![c(1)], vec![c(1)], vec![c(2)]]);
    let f = diagnose(&s, &o);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, Kind::SynSentStuck);
    assert_eq!(f[0].severity, Severity::Warning);
    assert_eq!(f[0].sockets[0].peer, SERVER);
    assert_eq!(f[0].sockets[0].processes[0].command, "client");
    assert_eq!(f[0].evidence[0].values, vec![1, 1, 2]);
    // The first SYN not yet retransmitted: a connect in progress.
    assert!(found(&same(3, c(0)), &o).is_empty());
    // Appearing during sampling: not stuck yet.
    assert!(found(&run(vec![vec![], vec![c(1)]]), &o).is_empty());
    let two = thresholds(|t| t.syn_retransmits = 2);
    assert!(found(&same(2, c(1)), &two).is_empty());
    assert_eq!(found(&same(2, c(2)), &two), vec![Kind::SynSentStuck]);
    assert_eq!(diagnose(&same(2, c(3)), &o)[0].severity, Severity::Critical);
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
    // Syncookies rising, no request socket left to see.
    let mut s = run(vec![vec![l.clone()], vec![l.clone()]]);
    s[1].counters = counters(&[("TcpExt.SyncookiesSent", 3)]);
    assert_eq!(found(&s, &o), vec![Kind::SynRecvPileup]);
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
    let s = run(vec![vec![z(), srv.clone()], vec![z(), srv.clone()]]);
    let f = diagnose(&s, &o);
    let kinds: Vec<Kind> = f.iter().map(|f| f.kind).collect();
    assert!(kinds.contains(&Kind::SendQueueStuck), "{kinds:?}");
    assert!(kinds.contains(&Kind::ZeroWindow), "{kinds:?}");
    let zw = f.iter().find(|f| f.kind == Kind::ZeroWindow).unwrap();
    // Both ends: the sender, then the peer that does not read.
    assert_eq!(zw.sockets.len(), 2);
    assert_eq!(zw.sockets[1].local, SERVER);
    assert_eq!(zw.sockets[1].recv_q, 4096);
    // Draining: bytes were acknowledged between samples.
    let s = run(vec![
        vec![cli(1000, 50, 65535, None)],
        vec![cli(1000, 1050, 65535, None)],
    ]);
    assert!(found(&s, &o).is_empty());
    // Stuck without a zero window (the peer-gone scenario): retransmitting.
    let gone = |r| cli(21, 6, 65535, Some((TimerKind::On, r)));
    let f = diagnose(&run(vec![vec![gone(3)], vec![gone(4)]]), &o);
    let kinds: Vec<Kind> = f.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, vec![Kind::SendQueueStuck, Kind::Retransmissions]);
    assert_eq!(f[0].severity, Severity::Critical);
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
    // The lab's fin-unanswered scenario.
    let f = diagnose(&run(vec![vec![fw(2, 2)], vec![fw(3, 3)]]), &o);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, Kind::Retransmissions);
    assert!(f[0].summary.contains("FIN-WAIT-1"), "{}", f[0].summary);
    assert!(f[0].explanation.contains("FIN"));
    assert_eq!(f[0].severity, Severity::Critical);
    // Quiet now, and no retransmission during sampling: old history.
    assert!(found(&same(2, fw(0, 5)), &o).is_empty());
    // ... which counts with since_boot.
    assert_eq!(
        found(&same(2, fw(0, 5)), &Options::new().since_boot(true)),
        vec![Kind::Retransmissions]
    );
    // A retransmission during sampling, recovered by the last sample.
    assert_eq!(
        found(&run(vec![vec![fw(0, 5)], vec![fw(0, 6)]]), &o),
        vec![Kind::Retransmissions]
    );
    let t = thresholds(|t| t.retransmits = 2);
    assert!(found(&run(vec![vec![fw(0, 5)], vec![fw(1, 6)]]), &t).is_empty());
    assert_eq!(
        diagnose(&run(vec![vec![fw(1, 1)], vec![fw(2, 2)]]), &o)[0].severity,
        Severity::Warning
    );
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
