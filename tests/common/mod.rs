//! Shared by the differential tests: the socket world and the comparison.
#![allow(dead_code)]

use std::io::Write;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use std::process::Command;
use std::time::Duration;

use testkit::{NetNs, connect, listener, wait_until};

/// Sockets kept alive for the whole test.
pub struct World {
    pub ns: NetNs,
    _held: Vec<Box<dyn Send>>,
    unix_path: std::path::PathBuf,
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.unix_path);
    }
}

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub fn world() -> World {
    let ns = NetNs::new().expect("namespace");
    let unix_path = std::env::temp_dir().join(format!(
        "rss-diff-{}-{:?}.sock",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_file(&unix_path);
    let up = unix_path.clone();
    let held = ns.run(move || {
        let mut held: Vec<Box<dyn Send>> = Vec::new();
        // A listener with 2 connections waiting to be accepted (backlog 5),
        // and a second fd on the same socket.
        let l = listener(addr("127.0.0.1:5000"), 5, None).unwrap();
        let dup = l.try_clone().unwrap();
        held.push(Box::new(connect(addr("127.0.0.1:5000")).unwrap()));
        held.push(Box::new(connect(addr("127.0.0.1:5000")).unwrap()));
        held.push(Box::new(l));
        held.push(Box::new(dup));
        // Listeners with no pending connection: well-known ports for service names.
        held.push(Box::new(listener(addr("0.0.0.0:22"), 128, None).unwrap()));
        held.push(Box::new(
            listener(addr("[::1]:8080"), 64, Some(true)).unwrap(),
        ));
        held.push(Box::new(
            listener(addr("[::]:443"), 64, Some(false)).unwrap(),
        ));
        // An IPv4 client of the dual-stack listener: IPv4-mapped on the server side.
        held.push(Box::new(connect(addr("127.0.0.1:443")).unwrap()));
        // An established pair with unread data in both directions.
        let srv = listener(addr("127.0.0.1:7000"), 16, None).unwrap();
        let mut c = connect(addr("127.0.0.1:7000")).unwrap();
        let (mut s, _) = srv.accept().unwrap();
        c.write_all(&[b'x'; 1000]).unwrap();
        s.write_all(&[b'y'; 300]).unwrap();
        held.push(Box::new(srv));
        held.push(Box::new(c));
        held.push(Box::new(s));
        // IPv6 established pair.
        let srv6 = listener(addr("[::1]:7001"), 16, Some(true)).unwrap();
        let c6 = TcpStream::connect(addr("[::1]:7001")).unwrap();
        let (s6, _) = srv6.accept().unwrap();
        held.push(Box::new(srv6));
        held.push(Box::new(c6));
        held.push(Box::new(s6));
        // UDP: a bound socket with an unread datagram, and a connected one.
        let u = UdpSocket::bind("127.0.0.1:5353").unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        tx.connect("127.0.0.1:5353").unwrap();
        tx.send(&[7u8; 100]).unwrap();
        held.push(Box::new(u));
        held.push(Box::new(tx));
        // Unix: a path listener, an abstract datagram socket, a stream pair.
        held.push(Box::new(UnixListener::bind(&up).unwrap()));
        let abs = {
            use std::os::linux::net::SocketAddrExt;
            let a = std::os::unix::net::SocketAddr::from_abstract_name(format!(
                "rss-diff-{}",
                std::process::id()
            ))
            .unwrap();
            UnixDatagram::bind_addr(&a).unwrap()
        };
        held.push(Box::new(abs));
        let (mut a, b) = UnixStream::pair().unwrap();
        a.write_all(b"hello").unwrap();
        held.push(Box::new(a));
        held.push(Box::new(b));
        // TIME-WAIT: the client closes first, then the server.
        let tw = listener(addr("127.0.0.1:9000"), 4, None).unwrap();
        let c = connect(addr("127.0.0.1:9000")).unwrap();
        let (s, _) = tw.accept().unwrap();
        drop(c);
        std::thread::sleep(Duration::from_millis(20));
        drop(s);
        held.push(Box::new(tw));
        held
    });
    let w = World {
        ns,
        _held: held,
        unix_path,
    };
    assert!(
        wait_until(Duration::from_secs(5), || w
            .ns
            .ss(&["-tanH", "state", "time-wait"])
            .lines()
            .count()
            == 1),
        "no TIME-WAIT socket appeared"
    );
    w
}

pub fn rss(w: &World, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rss"))
        .arg("-N")
        .arg(w.ns.path())
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rss {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "rss {args:?} wrote to stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Fields whose value changes between two runs; the value is replaced by `*`.
const VOLATILE_PREFIX: &[&str] = &[
    "rtt:",
    "rto:",
    "ato:",
    "minrtt:",
    "rcv_rtt:",
    "busy:",
    "lastsnd:",
    "lastrcv:",
    "lastack:",
    "rcv_space:",
];
/// Fields followed by a separate value token that changes between runs.
const VOLATILE_PAIR: &[&str] = &["send", "pacing_rate", "delivery_rate"];
/// Fields ss 6.1 does not print (REFERENCE §2).
const NEWER_THAN_61: &[&str] = &["rcv_wnd:", "rehash:"];

pub fn normalize(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for line in text.lines() {
        let mut fields: Vec<String> = Vec::new();
        let mut toks = line.split_whitespace().peekable();
        while let Some(t) = toks.next() {
            if t == "usec_ts" || NEWER_THAN_61.iter().any(|p| t.starts_with(p)) {
                continue;
            }
            if t == "Process" {
                continue;
            }
            if t == "Address:PortProcess" {
                fields.push("Address:Port".into());
                continue;
            }
            if VOLATILE_PAIR.contains(&t) {
                fields.push(format!("{t} *"));
                toks.next();
                continue;
            }
            if let Some(p) = VOLATILE_PREFIX.iter().find(|p| t.starts_with(**p)) {
                fields.push(format!("{p}*"));
                continue;
            }
            if let Some(rest) = t.strip_prefix("timer:(") {
                let parts: Vec<&str> = rest.trim_end_matches(')').split(',').collect();
                fields.push(format!(
                    "timer:({},*,{})",
                    parts[0],
                    parts.get(2).unwrap_or(&"?")
                ));
                continue;
            }
            fields.push(t.to_string());
        }
        if fields.is_empty() {
            continue;
        }
        // The tools' own netlink sockets: each sees itself.
        if fields[0] == "nl" {
            continue;
        }
        rows.push(fields);
    }
    rows
}

pub fn compare(w: &World, args: &[&str]) {
    let ours = rss(w, args);
    let theirs = w.ns.ss(args);
    let (a, b) = (normalize(&ours), normalize(&theirs));
    if std::env::var_os("RSS_DIFF_SHOW").is_some() {
        eprintln!("--- rss {args:?}:\n{ours}--- ss:\n{theirs}");
    }
    for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        assert_eq!(
            x, y,
            "rss {args:?} line {i} differs\n--- rss:\n{ours}\n--- ss:\n{theirs}"
        );
    }
    assert_eq!(
        a.len(),
        b.len(),
        "rss {args:?}: {} lines, ss: {}\n--- rss:\n{ours}\n--- ss:\n{theirs}",
        a.len(),
        b.len()
    );
}

/// Runs rss in the world's namespace with extra environment.
pub fn rss_env(w: &World, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rss"));
    c.arg("-N").arg(w.ns.path()).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}
