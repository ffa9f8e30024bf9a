//! Live tests of the lab itself: they need root (CAP_SYS_ADMIN to create
//! network namespaces) and the system `ss`, and skip loudly without them.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::process::Command;
use std::time::{Duration, Instant};

use testkit::{Farm, NetNs, connect, listener, local_port, require_privileged, require_tool};

/// An address on `lo` that nothing on the host is expected to use, so a
/// leak into the host namespace would be unambiguous.
const ODD_V4: &str = "127.83.41.7";

fn host_ss(args: &[&str]) -> String {
    let out = Command::new(testkit::SS_PATH).args(args).output().unwrap();
    assert!(out.status.success(), "host ss failed: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The port after the last ':' of an `addr:port` column.
fn port_of(column: &str) -> Option<u16> {
    column.rsplit_once(':')?.1.parse().ok()
}

/// Local and peer ports of each row of `ss -tanH state established`
/// (the State column is absent when one state is selected).
fn established_ports(out: &str) -> Vec<(u16, u16)> {
    out.lines()
        .map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            assert!(cols.len() >= 4, "unexpected ss row {line:?}");
            match (port_of(cols[2]), port_of(cols[3])) {
                (Some(local), Some(peer)) => (local, peer),
                _ => panic!("unexpected ss row {line:?}"),
            }
        })
        .collect()
}

fn process_exists(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the pid exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[test]
fn netns_isolates_listeners() {
    require_privileged!();
    require_tool!(testkit::SS_PATH);
    let ns = NetNs::new().unwrap();
    let sock = ns
        .run(|| listener(format!("{ODD_V4}:0").parse().unwrap(), 17, None))
        .unwrap();
    let port = local_port(&sock).unwrap();
    let local = format!("{ODD_V4}:{port}");

    let inside = ns.ss(&["-tlnH"]);
    let rows: Vec<&str> = inside.lines().filter(|l| l.contains(&local)).collect();
    assert_eq!(rows.len(), 1, "ns ss output:\n{inside}");
    let cols: Vec<&str> = rows[0].split_whitespace().collect();
    assert_eq!(&cols[..5], ["LISTEN", "0", "17", &local, "0.0.0.0:*"]);

    let host = host_ss(&["-tlnH"]);
    assert!(
        !host.contains(ODD_V4),
        "listener leaked to the host:\n{host}"
    );
}

#[test]
fn netns_sockets_stay_in_their_namespace() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    // Created inside, used outside: still a namespace socket, so the
    // connection (made from the namespace too) reaches it.
    let sock = ns
        .run(|| listener("127.0.0.1:0".parse().unwrap(), 5, None))
        .unwrap();
    let addr = sock.local_addr().unwrap().as_socket().unwrap();
    let mut client = ns.run(move || connect(addr)).unwrap();
    let (mut server, _) = sock.accept().unwrap();
    client.write_all(b"ping").unwrap();
    let mut buf = [0u8; 4];
    server.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");

    // IPv6 loopback comes up with lo.
    let v6 = ns
        .run(|| listener("[::1]:0".parse().unwrap(), 5, Some(true)))
        .unwrap();
    let addr6 = v6.local_addr().unwrap().as_socket().unwrap();
    ns.run(move || connect(addr6)).unwrap();
}

#[test]
fn netns_path_names_the_namespace() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let inside = ns.run(|| std::fs::metadata("/proc/thread-self/ns/net").unwrap().ino());
    let host = std::fs::metadata("/proc/thread-self/ns/net").unwrap().ino();
    assert_eq!(std::fs::metadata(ns.path()).unwrap().ino(), inside);
    assert_ne!(inside, host);

    // A process started with `command` is in the namespace too.
    let out = ns
        .command("readlink")
        .arg("/proc/self/ns/net")
        .output()
        .unwrap();
    let link = String::from_utf8(out.stdout).unwrap();
    assert_eq!(link.trim(), format!("net:[{inside}]"));
}

#[test]
fn netns_sysctl_is_per_namespace() {
    require_privileged!();
    let key = "net.ipv4.tcp_syncookies";
    let host_before = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_syncookies").unwrap();
    let ns = NetNs::new().unwrap();
    let value = if host_before.trim() == "0" { "2" } else { "0" };
    ns.sysctl(key, value).unwrap();
    assert_eq!(ns.read_sysctl(key).unwrap(), value);
    assert_eq!(
        ns.sh_ok("cat /proc/sys/net/ipv4/tcp_syncookies").trim(),
        value
    );
    let host_after = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_syncookies").unwrap();
    assert_eq!(host_after, host_before);
    assert!(ns.sysctl("kernel.pid_max", "1").is_err());
}

#[test]
fn netns_run_propagates_panics_and_keeps_serving() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ns.run(|| -> () { panic!("boom {}", 42) })
    }))
    .unwrap_err();
    let msg = caught.downcast_ref::<String>().unwrap();
    assert!(msg.contains("boom 42"), "{msg}");
    assert_eq!(ns.run(|| 7), 7);
    // Nested run does not deadlock.
    let ns = std::sync::Arc::new(ns);
    let inner = std::sync::Arc::clone(&ns);
    assert_eq!(ns.run(move || inner.run(|| 8)), 8);
}

#[test]
fn farm_of_20k_pairs_is_exact_and_cleans_up() {
    require_privileged!();
    require_tool!(testkit::SS_PATH);
    let ns = NetNs::new().unwrap();
    let start = Instant::now();
    let farm = Farm::start(&ns, 20_000).unwrap();
    eprintln!("farm of 20,000 pairs built in {:?}", start.elapsed());
    assert_eq!(farm.pairs(), 20_000);
    assert_eq!(farm.pids().len(), 3);
    assert_eq!(farm.ports().len(), 3);
    let ports: HashSet<u16> = farm.ports().iter().copied().collect();
    assert_eq!(ports.len(), 3);

    let rows = established_ports(&ns.ss(&["-tanH", "state", "established"]));
    let server_side = rows.iter().filter(|(l, _)| ports.contains(l)).count();
    let client_side = rows.iter().filter(|(_, p)| ports.contains(p)).count();
    assert_eq!(server_side, 20_000);
    assert_eq!(client_side, 20_000);
    assert_eq!(rows.len(), 40_000);

    let listening = ns.ss(&["-tlnH"]);
    let listen_ports: HashSet<u16> = listening
        .lines()
        .filter_map(|l| port_of(l.split_whitespace().nth(3)?))
        .collect();
    assert_eq!(listen_ports, ports);

    let pids = farm.pids().to_vec();
    assert!(pids.iter().all(|&pid| process_exists(pid)));
    drop(farm);
    for pid in pids {
        assert!(!process_exists(pid), "farm child {pid} survived the drop");
    }
    // SO_LINGER 0: the pairs are reset, nothing lingers in any state.
    // A liveness wait, generous for a busy machine.
    assert!(
        testkit::wait_until(Duration::from_secs(30), || ns.ss(&["-tanH"]).is_empty()),
        "the farm's sockets were still listed 30 s after the drop"
    );
}

#[test]
fn farm_reports_the_failing_errno() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    // Two local ports: bind takes one for the listener, connect gets the
    // other once, and the second connect has nowhere to go.
    ns.sysctl("net.ipv4.ip_local_port_range", "40000 40001")
        .unwrap();
    let err = Farm::start(&ns, 10).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrNotAvailable, "{err}");
    let msg = err.to_string();
    assert!(msg.contains("connect failed after 1 of 10 pairs"), "{msg}");
}

#[test]
fn farm_dies_with_its_namespace() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let farm = Farm::start(&ns, 100).unwrap();
    let pids = farm.pids().to_vec();
    drop(ns);
    // The children got SIGKILL when the namespace thread exited; the drop
    // reaps them.
    drop(farm);
    assert!(pids.iter().all(|&pid| !process_exists(pid)));
}

#[test]
#[ignore = "slow: builds 100,000 pairs (run with --ignored to time it)"]
fn farm_of_100k_pairs() {
    require_privileged!();
    require_tool!(testkit::SS_PATH);
    let ns = NetNs::new().unwrap();
    let start = Instant::now();
    let farm = Farm::start(&ns, 100_000).unwrap();
    let built = start.elapsed();
    let rows = established_ports(&ns.ss(&["-tanH", "state", "established"]));
    let ports: HashSet<u16> = farm.ports().iter().copied().collect();
    assert_eq!(
        rows.iter().filter(|(l, _)| ports.contains(l)).count(),
        100_000
    );
    assert_eq!(rows.len(), 200_000);
    let start = Instant::now();
    drop(farm);
    eprintln!(
        "farm of 100,000 pairs ({} children) built in {built:?}, dropped in {:?}",
        ports.len(),
        start.elapsed()
    );
}
