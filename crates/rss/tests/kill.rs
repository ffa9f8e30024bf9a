//! `-K`'s guard on broad filters, `--dry-run`, and kills that touch only
//! the sockets the dump selected (by id and cookie), live in namespaces.

use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

use crate::common::pairs;
use testkit::{NetNs, listener, require_privileged, require_tool};

fn rss_in(ns: &NetNs, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rss"))
        .arg("-N")
        .arg(ns.path())
        .args(args)
        .output()
        .unwrap()
}

/// The TCP rows of the namespace, as `ss -tanH` prints them.
fn rows(ns: &NetNs) -> Vec<String> {
    ns.ss(&["-tanH"]).lines().map(str::to_owned).collect()
}

/// Each filter the issue found closing every connection (and listeners,
/// with `-a` or `-l`) is refused, and closes nothing: judged by what it
/// covers, not by its words.
#[test]
fn broad_filters_are_refused_and_close_nothing() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let ns = NetNs::new().unwrap();
    let _held = pairs(&ns);
    let before = rows(&ns);
    assert_eq!(before.len(), 5, "{before:?}");
    for filter in [
        "sport >= :1",
        "dport >= :1",
        "sport <= :65534",
        "sport > :0",
        "fwmark = 0/0xffffffff",
        "src 0.0.0.0/1 or src 128.0.0.0/1",
        "src ::/1 or src 8000::/1",
        "dport = :1 or sport >= :1",
        "sport >= :1 and not dport = :1",
        "not dport = :1",
    ] {
        for flags in ["-tK", "-tKa", "-tKl", "-tK --dry-run"] {
            let mut args: Vec<&str> = flags.split(' ').collect();
            args.push(filter);
            let out = rss_in(&ns, &args);
            let e = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {e}");
            assert!(
                e.starts_with("rss: -K: refusing a broad filter: it covers up to ")
                    && e.contains("--kill-all")
                    && e.lines().count() == 1,
                "{args:?}: {e}"
            );
            assert!(out.stdout.is_empty(), "{args:?}");
            assert_eq!(rows(&ns), before, "{args:?} closed something");
        }
    }
    // With -a, a filter that holds every socket without a peer would close
    // every listener: broad there, though narrow over connections.
    for filter in ["dport = :0", "dst 0.0.0.0", "dport <= :1024"] {
        let out = rss_in(&ns, &["-tKa", filter]);
        assert_eq!(out.status.code(), Some(2), "{filter}");
        assert_eq!(rows(&ns), before, "-a {filter} closed something");
    }
    // Narrow over connections: nothing matches, nothing is refused.
    let out = rss_in(&ns, &["-tnK", "dport = :0"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(rows(&ns), before);
}

/// `--dry-run` shows exactly what `-K` then closes, says how many on
/// stderr, and closes nothing: the sockets stay open and usable.
#[test]
fn dry_run_shows_what_kill_closes_and_closes_nothing() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let ns = NetNs::new().unwrap();
    let _held = pairs(&ns);
    let before = rows(&ns);
    let dry = rss_in(&ns, &["-tnK", "--dry-run", "dport = :5000"]);
    let e = String::from_utf8_lossy(&dry.stderr);
    assert_eq!(dry.status.code(), Some(0), "{e}");
    assert_eq!(
        e, "-K --dry-run: 2 sockets would be closed; nothing was closed\n",
        "{e}"
    );
    let shown = String::from_utf8_lossy(&dry.stdout).into_owned();
    let body: Vec<&str> = shown.lines().skip(1).collect();
    assert_eq!(body.len(), 2, "{shown}");
    assert!(body[0].contains("127.0.0.1:4100"), "{shown}");
    // Nothing closed: the same sockets, still established.
    assert_eq!(rows(&ns), before);
    // Unprivileged, a dry run still answers (it closes nothing).
    let out = Command::new(env!("CARGO_BIN_EXE_rss"))
        .args(["-tnK", "--dry-run", "dport = :5000"])
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The kill itself closes, and shows, exactly those rows.
    let kill = rss_in(&ns, &["-tnK", "dport = :5000"]);
    assert_eq!(
        kill.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&kill.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&kill.stdout), shown);
    assert!(kill.stderr.is_empty());
    assert!(
        testkit::wait_until(Duration::from_secs(5), || rows(&ns).len() == 1),
        "{:?}",
        rows(&ns)
    );
    // --dry-run and --kill-all mean nothing without -K.
    for flag in ["--dry-run", "--kill-all"] {
        let out = rss_in(&ns, &["-tn", flag]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
    }
}

use std::os::unix::process::CommandExt;

/// The established client socket on `port`, as one dump sees it.
fn dumped(ns: &sockdiag::NetNs, port: u16) -> sockdiag::Socket {
    let mut found: Vec<sockdiag::Socket> = sockdiag::Query::tcp()
        .dump_in(ns)
        .unwrap()
        .flatten()
        .filter(|x| x.local_port() == Some(port))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found.pop().unwrap()
}

/// The kernel checks the cookie: a kill with the right id and a wrong
/// cookie closes nothing.
#[test]
fn a_kill_with_a_wrong_cookie_closes_nothing() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let _held = pairs(&ns);
    let diag_ns = sockdiag::NetNs::from_path(ns.path()).unwrap();
    let mut s = dumped(&diag_ns, 41001);
    let cookie = s.cookie.expect("a dumped socket has a cookie");
    s.cookie = Some(cookie ^ 1);
    let mut killer = sockdiag::Killer::open(Some(&diag_ns)).unwrap();
    assert!(!killer.kill(&s).unwrap(), "closed with a wrong cookie");
    assert_eq!(dumped(&diag_ns, 41001).cookie, Some(cookie), "it is gone");
    assert_eq!(dumped(&diag_ns, 41001).state, sockdiag::State::Established);
    // No cookie (a socket read from /proc/net has none): by its addresses
    // alone it could be a newer connection, and it is not closed.
    s.cookie = None;
    assert!(!killer.kill(&s).unwrap(), "closed without a cookie");
    assert_eq!(dumped(&diag_ns, 41001).state, sockdiag::State::Established);
    // The right cookie closes it (the socket, bound to its port and still
    // held, may stay listed, but no longer established).
    s.cookie = Some(cookie);
    assert!(killer.kill(&s).unwrap());
    let gone = sockdiag::Query::tcp()
        .dump_in(&diag_ns)
        .unwrap()
        .flatten()
        .all(|x| x.cookie != Some(cookie) || x.state != sockdiag::State::Established);
    assert!(gone, "the kill with the right cookie left it established");
}

/// A connection made after the dump, on the very addresses and ports of a
/// dumped one that closed meanwhile, is never touched by the kill of the
/// dumped socket.
#[test]
fn a_socket_made_after_the_dump_survives_the_kill() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let diag_ns = sockdiag::NetNs::from_path(ns.path()).unwrap();
    let connect = |ns: &NetNs| {
        ns.run(|| {
            use socket2::{Domain, Socket, Type};
            let c = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
            c.set_reuse_address(true).unwrap();
            let from: SocketAddr = "127.0.0.1:41001".parse().unwrap();
            c.bind(&from.into()).unwrap();
            c.connect(&"127.0.0.1:5000".parse::<SocketAddr>().unwrap().into())
                .unwrap();
            TcpStream::from(c)
        })
    };
    let l = ns.run(|| listener("127.0.0.1:5000".parse().unwrap(), 8, None).unwrap());
    let first = connect(&ns);
    let (first_peer, _) = l.accept().unwrap();
    let old = dumped(&diag_ns, 41001);
    // The dumped connection ends with a reset on both sides (no TIME-WAIT
    // to hold the port), and a new one takes its addresses and ports.
    socket2::SockRef::from(&first)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(first);
    drop(first_peer);
    assert!(
        testkit::wait_until(Duration::from_secs(5), || {
            sockdiag::Query::tcp()
                .dump_in(&diag_ns)
                .unwrap()
                .flatten()
                .all(|x| x.cookie != old.cookie)
        }),
        "the first connection did not go away"
    );
    let second = connect(&ns);
    let (_second_peer, _) = l.accept().unwrap();
    let new = dumped(&diag_ns, 41001);
    assert_eq!((new.local, new.peer), (old.local.clone(), old.peer.clone()));
    assert_ne!(new.cookie, old.cookie);
    let mut killer = sockdiag::Killer::open(Some(&diag_ns)).unwrap();
    assert!(!killer.kill(&old).unwrap(), "the new connection was closed");
    assert_eq!(dumped(&diag_ns, 41001).cookie, new.cookie);
    use std::io::Write;
    (&second).write_all(b"still open").unwrap();
}

/// Many connections closed in one run: each selected connection is closed
/// and shown exactly once.
#[test]
fn one_kill_closes_each_selected_connection_once() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    const N: usize = 300;
    let ns = NetNs::new().unwrap();
    let _held = ns.run(|| {
        let l = listener("127.0.0.1:5000".parse().unwrap(), N as i32, None).unwrap();
        let mut held: Vec<Box<dyn Send>> = Vec::new();
        for _ in 0..N {
            let c = TcpStream::connect("127.0.0.1:5000").unwrap();
            let (s, _) = l.accept().unwrap();
            held.push(Box::new(c));
            held.push(Box::new(s));
        }
        held.push(Box::new(l));
        held
    });
    let out = rss_in(&ns, &["-tnHK", "dport = :5000"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut shown: Vec<&str> = text.lines().collect();
    assert_eq!(shown.len(), N, "{text}");
    shown.sort_unstable();
    shown.dedup();
    assert_eq!(shown.len(), N, "a connection shown twice");
    let left = ns.ss(&["-tnH", "state", "established", "dport = :5000"]);
    assert_eq!(left.lines().count(), 0, "{left}");
}
