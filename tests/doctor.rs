//! `rss doctor` and the sampler under it, on real sockets in private
//! network namespaces.
//!
//! Needs root (namespaces); the lab scenarios that use netfilter need
//! `iptables`. Without them the tests skip loudly, and fail with
//! `RSS_REQUIRE_PRIVILEGED=1` (CI).

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use sockdiag::sample::{SampleOptions, Sampler, track};
use sockdiag::{Query, State};
use testkit::{NetNs, listener, require_privileged};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// The sampler reads the counters of the namespace it examines, not the
/// caller's: refused connects in one namespace show in its `Tcp.OutRsts`
/// and `Tcp.AttemptFails`, and not in a second, idle namespace.
#[test]
fn sampler_counters_are_the_namespace_examined() {
    require_privileged!();
    let busy = NetNs::new().unwrap();
    let idle = NetNs::new().unwrap();
    let mut s_busy =
        Sampler::new(Query::tcp(), SampleOptions::default().netns(busy.path())).unwrap();
    let mut s_idle =
        Sampler::new(Query::tcp(), SampleOptions::default().netns(idle.path())).unwrap();
    let before = s_busy.sample().unwrap();
    for _ in 0..3 {
        let e = busy
            .run(|| TcpStream::connect(addr("127.0.0.1:9")))
            .unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ECONNREFUSED));
    }
    let after = s_busy.sample().unwrap();
    let d = after.delta(&before);
    assert_eq!(d.counters.value("Tcp.AttemptFails"), 3);
    assert_eq!(d.counters.value("Tcp.OutRsts"), 3);
    let quiet = s_idle.sample().unwrap();
    assert_eq!(quiet.counters.get("Tcp.OutRsts"), Some(0));
    assert_eq!(quiet.counters.get("Tcp.AttemptFails"), Some(0));
    // Limits come from the namespace's own sysctls.
    busy.sysctl("net.ipv4.ip_local_port_range", "40000 40009")
        .unwrap();
    let later = s_busy.sample().unwrap();
    assert_eq!(later.limits.ip_local_port_range, Some((40000, 40009)));
    assert_eq!(later.limits.local_ports(), Some(10));
    assert_ne!(
        s_idle.sample().unwrap().limits.ip_local_port_range,
        Some((40000, 40009))
    );
}

/// Sockets are matched across samples by cookie: a listener and an
/// established pair persist, a connection made between samples appears,
/// one closed between samples vanishes; processes are attached.
#[test]
fn sampler_matches_sockets_across_samples() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let l = ns
        .run(|| listener(addr("127.0.0.1:5000"), 5, None))
        .unwrap();
    let c1 = ns
        .run(|| TcpStream::connect(addr("127.0.0.1:5000")))
        .unwrap();
    let mut sampler = Sampler::new(
        Query::tcp(),
        SampleOptions::default().netns(ns.path()).processes(true),
    )
    .unwrap();
    let c1_port = c1.local_addr().unwrap().port();
    let s0 = sampler.sample().unwrap();
    let c2 = ns
        .run(|| TcpStream::connect(addr("127.0.0.1:5000")))
        .unwrap();
    drop(c1);
    let s1 = sampler.take(2, Duration::from_millis(50)).unwrap();
    assert_eq!(s0.seq, 0);
    assert_eq!((s1[0].seq, s1[1].seq), (1, 2));
    assert!(s1[1].elapsed >= Duration::from_millis(50));
    let samples = [s0, s1[0].clone(), s1[1].clone()];
    let tracks = track(&samples);
    let listener_track = tracks
        .iter()
        .find(|t| t.latest().unwrap().state == State::Listen)
        .unwrap();
    assert!(listener_track.persisted());
    let me = std::process::id() as i32;
    assert!(
        listener_track
            .latest()
            .unwrap()
            .processes
            .iter()
            .any(|p| p.pid == me),
        "the listener's holder is this process"
    );
    let c2_port = c2.local_addr().unwrap().port();
    let d = samples[1].delta(&samples[0]);
    assert!(
        d.appeared
            .iter()
            .any(|s| s.local_port() == Some(c2_port) && s.state == State::Established)
    );
    // c1's server side (queued, never accepted) is the same socket before
    // and after the client's close: ESTABLISHED, then CLOSE-WAIT.
    assert!(
        d.kept.iter().any(|(a, b)| a.local_port() == Some(5000)
            && a.peer_port() == Some(c1_port)
            && a.state == State::Established
            && b.state == State::CloseWait),
        "{:?}",
        d.kept
    );
    drop((l, c2));
}
