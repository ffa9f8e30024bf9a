//! `-K` (kill with SOCK_DESTROY) and `-E` (destroy events), live.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::normalize;
use testkit::{NetNs, listener, require_privileged, require_tool};

/// A listener on 127.0.0.1:5000 and two clients bound to fixed ports, all
/// accepted: the same sockets in any namespace this builds.
fn pairs(ns: &NetNs) -> Vec<Box<dyn Send>> {
    ns.run(|| {
        use socket2::{Domain, Socket, Type};
        let l = listener("127.0.0.1:5000".parse().unwrap(), 8, None).unwrap();
        let mut held: Vec<Box<dyn Send>> = Vec::new();
        for port in [41001u16, 41002] {
            let c = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
            let from: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            c.bind(&from.into()).unwrap();
            c.connect(&"127.0.0.1:5000".parse::<SocketAddr>().unwrap().into())
                .unwrap();
            let (s, _) = l.accept().unwrap();
            held.push(Box::new(TcpStream::from(c)));
            held.push(Box::new(s));
        }
        held.push(Box::new(l));
        held
    })
}

#[test]
fn kill_closes_what_the_filter_selects_like_ss() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let (ours_ns, theirs_ns) = (NetNs::new().unwrap(), NetNs::new().unwrap());
    let _a = pairs(&ours_ns);
    let _b = pairs(&theirs_ns);
    let args = ["-tnK", "dport", "=", ":5000"];
    let out = Command::new(env!("CARGO_BIN_EXE_rss"))
        .arg("-N")
        .arg(ours_ns.path())
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = String::from_utf8(out.stdout).unwrap();
    let theirs = theirs_ns.ss(&args);
    // Both clients were shown as closed ...
    assert_eq!(normalize(&ours).len(), 3, "{ours}");
    assert_eq!(
        normalize(&ours),
        normalize(&theirs),
        "--- rss:\n{ours}--- ss:\n{theirs}"
    );
    // ... and are gone; the server sides got a reset and closed too: only
    // the listener is left.
    let left = ours_ns.ss(&["-tanH"]);
    let rows: Vec<&str> = left.lines().collect();
    assert_eq!(rows.len(), 1, "{left}");
    assert!(
        rows[0].starts_with("LISTEN") && rows[0].contains("127.0.0.1:5000"),
        "{left}"
    );
}

#[test]
fn kill_without_cap_net_admin_is_refused() {
    require_privileged!();
    // Sockets of this test, in the host namespace, on ports nobody else uses.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let _c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let _s = l.accept().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rss"))
        .args(["-tnK", "dport", "=", &format!(":{port}")])
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{e}");
    assert!(
        e.starts_with("rss: ") && e.contains("permission denied") && e.lines().count() == 1,
        "{e}"
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn spawn_events(
    ns: &NetNs,
    args: &[&str],
) -> (std::process::Child, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rss"))
        .arg("-N")
        .arg(ns.path())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    (child, out)
}

fn read_line_within(r: &mut BufReader<std::process::ChildStdout>, what: &str) -> String {
    // The child is killed by the caller on timeout through the watchdog.
    let mut line = String::new();
    r.read_line(&mut line)
        .unwrap_or_else(|e| panic!("reading {what}: {e}"));
    assert!(!line.is_empty(), "rss -E ended before {what}");
    line
}

#[test]
fn events_report_each_destroyed_socket() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let (mut child, mut out) = spawn_events(&ns, &["-tEn", "-a"]);
    let pid = child.id() as i32;
    // A watchdog: a hung test must not hang CI.
    let dog = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(30));
        // SAFETY: signalling our own child by pid.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    });
    // As ss, the header comes with the first event: give rss time to
    // subscribe.
    std::thread::sleep(Duration::from_millis(500));
    let held = pairs(&ns);
    drop(held);
    let header = read_line_within(&mut out, "the header");
    assert!(header.starts_with("State"), "{header}");
    let mut rows = Vec::new();
    while rows.len() < 5 {
        rows.push(read_line_within(&mut out, "an event row"));
    }
    let _ = child.kill();
    let mut rest = String::new();
    let _ = out.read_to_string(&mut rest);
    let _ = child.wait();
    drop(dog);
    let text = rows.concat();
    // Two clients, two server sides, one listener: each once, as UNCONN.
    for want in ["127.0.0.1:41001", "127.0.0.1:41002", "0.0.0.0:*"] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    assert!(rows.iter().all(|r| r.starts_with("UNCONN")), "{text}");
}

#[test]
fn events_as_json_lines() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let (mut child, mut out) = spawn_events(&ns, &["-tE", "-a", "-j", "sport", "=", ":5000"]);
    let pid = child.id() as i32;
    let dog = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(30));
        // SAFETY: signalling our own child by pid.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    });
    // No header in JSON mode: wait until the kernel lists a sock_diag
    // socket joined to a destroy group in the namespace (rss's subscription).
    let diag_ns = sockdiag::NetNs::from_path(ns.path()).unwrap();
    let subscribed = testkit::wait_until(Duration::from_secs(10), || {
        sockdiag::Query::netlink()
            .dump_in(&diag_ns)
            .unwrap()
            .flatten()
            .any(|s| {
                matches!(s.local, sockdiag::Endpoint::Netlink { protocol: 4, .. })
                    && s.netlink.as_ref().is_some_and(|n| !n.groups.is_empty())
            })
    });
    assert!(subscribed, "rss -E never subscribed");
    drop(pairs(&ns));
    let mut objs = Vec::new();
    // Filter sport = :5000: the listener and the two server sides.
    while objs.len() < 3 {
        let line = read_line_within(&mut out, "an event");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        objs.push(v);
    }
    let _ = child.kill();
    let _ = child.wait();
    drop(dog);
    for v in &objs {
        assert_eq!(v["state"], "unconn");
        assert_eq!(v["local"]["port"], 5000);
    }
}
