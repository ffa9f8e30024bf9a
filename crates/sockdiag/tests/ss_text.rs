//! `sockdiag::ss` against `ss` 7.1: the State label and the two ends of
//! every TCP, UDP and unix socket of a private namespace, as the library
//! spells them, are exactly the rows the oracle prints (`ss -tuxanH`).
//!
//! The sockets cover each spelling `sockdiag::ss` owns: a wildcard IPv4
//! listener (`0.0.0.0:22`, peer `0.0.0.0:*`), dual-stack and `IPV6_V6ONLY`
//! wildcards (`*:P` and `[::]:P`), a device-bound listener (`%lo`),
//! IPv4-mapped IPv6, connected UDP, and unix sockets unnamed, at a path and
//! abstract with a NUL inside (`@a@b`).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};

use sockdiag::ss::{self, Address, Side};
use sockdiag::{Query, Socket, Tables};
use socket2::{Domain, SockAddr, Socket as RawSocket, Type};
use testkit::{require_oracle, require_privileged};

/// A bound socket, listening when `listen`, with `IPV6_V6ONLY` as given
/// and bound to device `lo` when `on_lo`.
fn bound(ty: Type, addr: &str, v6only: Option<bool>, on_lo: bool, listen: bool) -> RawSocket {
    let addr: SocketAddr = addr.parse().unwrap();
    let s = RawSocket::new(Domain::for_address(addr), ty, None).unwrap();
    if let Some(v) = v6only {
        s.set_only_v6(v).unwrap();
    }
    if on_lo {
        s.bind_device(Some(b"lo")).unwrap();
    }
    s.bind(&addr.into()).unwrap();
    if listen {
        s.listen(8).unwrap();
    }
    s
}

/// `(state, local, peer)` of each row of `ss -tuxanH` (unix ends are two
/// words: name and inode).
fn oracle_rows(text: &str) -> Vec<(String, String, String)> {
    let mut rows: Vec<_> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            if w[0].starts_with("u_") {
                assert_eq!(w.len(), 8, "a unix row: {l}");
                let (local, peer) = (format!("{} {}", w[4], w[5]), format!("{} {}", w[6], w[7]));
                (w[1].to_string(), local, peer)
            } else {
                assert_eq!(w.len(), 6, "an inet row: {l}");
                (w[1].to_string(), w[4].to_string(), w[5].to_string())
            }
        })
        .collect();
    rows.sort();
    rows
}

fn library_rows(sockets: &[Socket]) -> Vec<(String, String, String)> {
    // In a new namespace `lo` is interface 1, the only one.
    let mut name = |i: u32| {
        assert_eq!(i, 1, "only lo exists");
        "lo".to_string()
    };
    let mut rows: Vec<_> = sockets
        .iter()
        .map(|s| {
            (
                ss::socket_state_label(s).to_string(),
                Address::of(s, Side::Local, &mut name).to_string(),
                Address::of(s, Side::Peer, &mut name).to_string(),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn states_and_ends_are_ss_7_1_text() {
    require_privileged!();
    let oracle = require_oracle!();
    let ns = testkit::NetNs::new().expect("a private network namespace");
    ns.sh_ok("ip link set lo up");
    let path = std::env::temp_dir().join(format!("sockdiag-ss-text-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let unix_path = path.clone();
    let held = ns.run(move || {
        let (stream, dgram) = (Type::STREAM, Type::DGRAM);
        let mut raw = vec![
            bound(stream, "0.0.0.0:22", None, false, true),
            bound(stream, "[::]:2222", Some(false), false, true),
            bound(stream, "[::]:2223", Some(true), false, true),
            bound(stream, "127.0.0.1:2225", None, true, true),
            bound(dgram, "0.0.0.0:53", None, false, false),
            bound(dgram, "[::]:5353", Some(false), false, false),
            bound(dgram, "[::]:5354", Some(true), false, false),
            bound(dgram, "[::1]:6002", None, false, false),
        ];
        let u = bound(dgram, "127.0.0.1:6000", None, false, false);
        u.connect(&SockAddr::from(
            "127.0.0.1:6001".parse::<SocketAddr>().unwrap(),
        ))
        .unwrap();
        raw.push(u);
        let l4 = TcpListener::bind("127.0.0.1:5000").unwrap();
        let c4 = TcpStream::connect("127.0.0.1:5000").unwrap();
        let a4 = l4.accept().unwrap().0;
        let mapped = TcpStream::connect("[::ffff:127.0.0.1]:5000").unwrap();
        let a_mapped = l4.accept().unwrap().0;
        let l6 = TcpListener::bind("[::1]:5001").unwrap();
        let c6 = TcpStream::connect("[::1]:5001").unwrap();
        let a6 = l6.accept().unwrap().0;
        let tcp = vec![c4, a4, mapped, a_mapped, c6, a6];
        let at_path = UnixListener::bind(&unix_path).unwrap();
        let abstract_addr =
            std::os::unix::net::SocketAddr::from_abstract_name(b"ss-text\0abs").unwrap();
        let abstract_l = UnixListener::bind_addr(&abstract_addr).unwrap();
        let pair = UnixStream::pair().unwrap();
        let unnamed = UnixDatagram::unbound().unwrap();
        (raw, (l4, l6), tcp, (at_path, abstract_l, pair, unnamed))
    });
    let diag = sockdiag::NetNs::from_path(ns.path()).expect("the namespace file opens");
    let sockets: Vec<Socket> = Query::new(Tables::TCP | Tables::UDP | Tables::UNIX)
        .dump_in(&diag)
        .expect("dump starts")
        .collect::<Result<_, _>>()
        .expect("dump completes");
    let out = ns
        .command(&oracle)
        .arg("-tuxanH")
        .output()
        .expect("the oracle runs");
    assert!(out.status.success(), "{out:?}");
    let want = oracle_rows(&String::from_utf8_lossy(&out.stdout));
    let got = library_rows(&sockets);
    drop(held);
    let _ = std::fs::remove_file(&path);
    // Every spelling is there, so the comparison covers each case.
    for text in [
        "0.0.0.0:22",
        "0.0.0.0:*",
        "*:2222",
        "*:*",
        "[::]:2223",
        "[::]:*",
        "127.0.0.1%lo:2225",
        "[::ffff:127.0.0.1]:5000",
        "[::1]:5001",
    ] {
        assert!(
            want.iter().any(|(_, l, p)| l == text || p == text),
            "the oracle printed no {text}: {want:#?}"
        );
    }
    assert!(want.iter().any(|(_, l, _)| l.starts_with("@ss-text@abs ")));
    assert_eq!(got, want);
}

/// `ss::command_text` against `ss -p`: processes whose command names hold
/// `)`, an escape sequence, a newline, a quote and a non-ASCII letter each
/// hold a listener; the oracle's `users:(("NAME",...))` is the library's
/// text of `Process::command` for every one.
#[test]
fn command_names_are_ss_7_1_text() {
    use std::os::fd::AsRawFd;
    require_privileged!();
    let oracle = require_oracle!();
    let ns = testkit::NetNs::new().expect("a private network namespace");
    let dir = std::env::temp_dir().join(format!("sockdiag-comm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).expect("a temporary directory");
    let sleep = ["/bin/sleep", "/usr/bin/sleep"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("sleep(1) is installed");
    // The kernel names a process after the file it executes (15 bytes at
    // most): a symlink to sleep under each name.
    let names = [
        "a)b",
        ")lead",
        "x\u{1b}[31my",
        "nl\nx",
        "q\"u",
        "caf\u{e9}",
        "plain",
    ];
    let mut children = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let port = 7100 + i as u16;
        let l = ns.run(move || {
            bound(
                Type::STREAM,
                &format!("127.0.0.1:{port}"),
                None,
                false,
                true,
            )
        });
        l.set_cloexec(false).unwrap();
        let fd = l.as_raw_fd();
        let child = testkit::spawn_named(&dir, name, sleep, &["60"])
            .expect("sleep runs under its new name");
        drop(l);
        children.push((fd, port, child));
    }
    let diag = sockdiag::NetNs::from_path(ns.path()).expect("the namespace file opens");
    let mut sockets: Vec<Socket> = Query::tcp()
        .states(sockdiag::States::LISTEN)
        .dump_in(&diag)
        .expect("dump starts")
        .collect::<Result<_, _>>()
        .expect("dump completes");
    let map =
        sockdiag::ProcessMap::build(&sockdiag::ProcessMapOptions::new()).expect("/proc walks");
    for s in &mut sockets {
        map.attach(s);
    }
    let out = ns
        .command(&oracle)
        .arg("-tlnpH")
        .output()
        .expect("the oracle runs");
    for (_, _, mut child) in children {
        let _ = child.kill();
        let _ = child.wait();
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).expect("ss printed ASCII");
    let mut want: Vec<(String, String)> = text
        .lines()
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (
                w[3].to_string(),
                l[l.find("users:").expect("a process")..].to_string(),
            )
        })
        .collect();
    let mut got: Vec<(String, String)> = sockets
        .iter()
        .map(|s| {
            let users: Vec<String> = s
                .processes()
                .iter()
                .map(|p| {
                    format!(
                        "(\"{}\",pid={},fd={})",
                        ss::command_text(&p.command),
                        p.pid,
                        p.fd
                    )
                })
                .collect();
            (
                ss::local(s).to_string(),
                format!("users:({})", users.join(",")),
            )
        })
        .collect();
    want.sort();
    got.sort();
    assert_eq!(want.len(), names.len(), "{text}");
    for cooked in [
        "\"a\"",
        "\"\"",
        "\"x.[31my\"",
        "\"nl.x\"",
        "\"q\"u\"",
        "\"caf??\"",
    ] {
        assert!(text.contains(cooked), "ss printed no {cooked}: {text}");
    }
    assert_eq!(got, want);
}
