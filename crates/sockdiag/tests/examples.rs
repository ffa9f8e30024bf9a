//! The examples of `crates/sockdiag/examples`, run as a user runs them and
//! checked against `ss` 7.1 on the same sockets: each runs inside a private
//! network namespace the test fills, and its lines must be the text the
//! oracle prints for those sockets (endpoints, queues, escaped process
//! names), or what the test did to them (the connection killed, the
//! sockets closed).
//!
//! The examples are built with the cargo running the tests (`cargo build
//! -p sockdiag --examples`, a no-op when they are current), so a test
//! never runs a stale binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use socket2::{Domain, Socket as RawSocket, Type};
use testkit::{require_oracle, require_privileged, wait_until};

/// Liveness bound of a wait for an example's next line or for the kernel
/// to settle: generous for a busy machine.
const WAIT: Duration = Duration::from_secs(60);

/// The built example `name`.
fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/main-HASH -> target/<profile>/examples/
    let profile_dir = exe.parent().and_then(|d| d.parent()).unwrap().to_path_buf();
    let built = BUILT.get_or_init(|| {
        let mut build = Command::new(env!("CARGO"));
        build.args(["build", "--quiet", "-p", "sockdiag", "--examples"]);
        if profile_dir.ends_with("release") {
            build.arg("--release");
        }
        let o = build.output().map_err(|e| e.to_string())?;
        match o.status.success() {
            true => Ok(()),
            false => Err(String::from_utf8_lossy(&o.stderr).into_owned()),
        }
    });
    if let Err(e) = built {
        panic!("cargo build -p sockdiag --examples: {e}");
    }
    let bin = profile_dir.join("examples").join(name);
    assert!(bin.exists(), "{} not built", bin.display());
    bin
}

/// A running example whose stdout lines arrive on a channel.
struct Lines {
    child: Child,
    rx: Receiver<String>,
}

impl Lines {
    fn spawn(mut cmd: Command) -> Lines {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the example starts");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines { child, rx }
    }

    fn next(&self, what: &str) -> String {
        self.rx
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("waited for the example's {what}"))
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The oracle's output for `args`, run in `ns`.
fn oracle(ns: &testkit::NetNs, ss: &std::path::Path, args: &[&str]) -> String {
    let out = ns.command(ss).args(args).output().expect("the oracle runs");
    assert!(out.status.success(), "ss {args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("ss prints ASCII")
}

/// `LOCAL PEER RECV-Q SEND-Q` of each row of `ss -tnH ...`.
fn queue_rows(text: &str) -> Vec<String> {
    let mut rows: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let w = &w[w.len() - 4..];
            format!("{} {} {} {}", w[2], w[3], w[0], w[1])
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn listeners_prints_what_ss_tlnp_prints() {
    require_privileged!();
    let ss = require_oracle!();
    let bin = example("listeners");
    let ns = testkit::NetNs::new().expect("a private network namespace");
    // A listener this process holds, and one held by a child whose command
    // name is hostile (a `)` and an escape sequence), as `sleep` run
    // through a symlink of that name.
    let own = ns.run(|| TcpListener::bind("127.0.0.1:7300").unwrap());
    let dir = std::env::temp_dir().join(format!("sockdiag-ex-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).unwrap();
    let held = ns.run(|| {
        let s = RawSocket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        s.bind(&"127.0.0.1:7301".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        s.listen(3).unwrap();
        s.set_cloexec(false).unwrap();
        s
    });
    let mut child = testkit::spawn_named(&dir, "web)\u{1b}[2J", "/bin/sleep", &["60"])
        .expect("sleep runs renamed");
    drop(held);
    let out = ns.command(&bin).output().expect("the example runs");
    let want = oracle(&ns, &ss, &["-tlnpH"]);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    drop(own);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "root sees every process"
    );
    let mut want: Vec<String> = want
        .lines()
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let users = l.find(" users:").map_or("", |i| &l[i..]);
            format!("{} {} {}{users}", w[3], w[1], w[2])
        })
        .collect();
    let mut got: Vec<String> = String::from_utf8(out.stdout)
        .expect("the example prints ASCII")
        .lines()
        .map(String::from)
        .collect();
    want.sort();
    got.sort();
    assert_eq!(want.len(), 2, "{want:?}");
    assert!(
        want.iter().any(|l| l.contains("((\"web\",pid=")),
        "{want:?}"
    );
    assert_eq!(got, want);
}

#[test]
fn listeners_says_when_processes_are_hidden() {
    require_privileged!();
    let bin = example("listeners");
    // As nobody, in the host's namespace: this root-owned test process is
    // one of those hidden.
    let out = Command::new(&bin)
        .uid(65534)
        .gid(65534)
        .output()
        .expect("the example runs as nobody");
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    let n: usize = err
        .strip_suffix(" processes hidden: run as root to see them\n")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count of hidden processes: {err:?}"));
    assert!(n >= 1);
}

#[test]
fn watch_prints_the_queues_ss_shows_then_only_changes() {
    require_privileged!();
    if !testkit::require_tool(
        "watch_prints_the_queues_ss_shows_then_only_changes",
        "iptables",
    ) {
        return;
    }
    let ss = require_oracle!();
    let bin = example("watch");
    let ns = testkit::NetNs::new().expect("a private network namespace");
    // A server that never reads, with a small receive buffer: the client's
    // bytes sit in both queues.
    let (mut client, server) = ns.run(|| {
        let l = RawSocket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        l.set_recv_buffer_size(4096).unwrap();
        l.bind(&"127.0.0.1:7310".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        l.listen(1).unwrap();
        let c = TcpStream::connect("127.0.0.1:7310").unwrap();
        RawSocket::from(c.try_clone().unwrap())
            .set_send_buffer_size(1 << 20)
            .unwrap();
        let (a, _) = l.accept().unwrap();
        (c, a)
    });
    client.set_nonblocking(true).unwrap();
    let sent = client.write(&[7u8; 20000]).expect("the first bytes fit");
    // Frozen: from here on no segment between the two ends arrives, so the
    // queues change only when this test writes (the receiver's window and
    // zero-window probes would otherwise move bytes at any time).
    let freeze = ns.sh("iptables -I INPUT -p tcp --dport 7310 -j DROP && \
         iptables -I INPUT -p tcp --sport 7310 -j DROP");
    assert!(freeze.status.success(), "iptables: {freeze:?}");
    // Settled: two reads of the oracle agree, with bytes in a send queue.
    let settled = |ss_text: &mut String| {
        wait_until(WAIT, || {
            let a = oracle(&ns, &ss, &["-tnH", "state", "established"]);
            let b = oracle(&ns, &ss, &["-tnH", "state", "established"]);
            let stuck = queue_rows(&a).iter().any(|r| !r.ends_with(" 0"));
            *ss_text = a.clone();
            a == b && stuck
        })
    };
    let mut before = String::new();
    assert!(settled(&mut before), "waited for the queues to settle");
    let before = queue_rows(&before);
    assert_eq!(before.len(), 2, "{before:?}");

    let watch = Lines::spawn({
        let mut c = ns.command(&bin);
        c.arg("100");
        c
    });
    assert_eq!(watch.next("first header"), "# sample 1");
    let mut first = Vec::new();
    let mut line = watch.next("first sample");
    while !line.starts_with("# sample") {
        first.push(line);
        line = watch.next("first sample");
    }
    first.sort();
    assert_eq!(
        first, before,
        "the first sample is every connection, as ss shows it"
    );

    // More bytes: the client's Send-Q grows, and a later sample says so.
    let more = client.write(&[8u8; 10000]).expect("more bytes fit");
    assert!(sent > 0 && more > 0);
    let mut after = String::new();
    assert!(settled(&mut after), "waited for the queues to settle again");
    let after = queue_rows(&after);
    let grown: Vec<&String> = after.iter().filter(|r| !before.contains(r)).collect();
    assert!(
        !grown.is_empty(),
        "the queues changed: {before:?} {after:?}"
    );
    let mut last: std::collections::HashMap<String, String> = first
        .iter()
        .map(|r| (r.rsplitn(3, ' ').nth(2).unwrap().to_string(), r.clone()))
        .collect();
    let mut seen = Vec::new();
    while !grown.iter().all(|g| seen.contains(*g)) {
        let line = watch.next("a sample with the new queues");
        if line.starts_with("# sample") {
            continue;
        }
        let ends = line.rsplitn(3, ' ').nth(2).unwrap().to_string();
        let previous = last.insert(ends, line.clone());
        assert_ne!(previous.as_ref(), Some(&line), "printed only when changed");
        seen.push(line);
    }
    drop(server);
}

#[test]
fn kill_closes_exactly_the_connection_named() {
    require_privileged!();
    let ss = require_oracle!();
    let bin = example("kill");
    let ns = testkit::NetNs::new().expect("a private network namespace");
    let (mut c1, mut a1, c2, a2) = ns.run(|| {
        let l = TcpListener::bind("127.0.0.1:7320").unwrap();
        let c1 = TcpStream::connect("127.0.0.1:7320").unwrap();
        let (a1, _) = l.accept().unwrap();
        let c2 = TcpStream::connect("127.0.0.1:7320").unwrap();
        let (a2, _) = l.accept().unwrap();
        (c1, a1, c2, a2)
    });
    let (local, peer) = (c1.local_addr().unwrap(), c1.peer_addr().unwrap());
    let filter = ["src", &local.to_string(), "dst", &peer.to_string()];
    let row = oracle(&ns, &ss, &[&["-tnH"][..], &filter[..]].concat());
    let w: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(w.len(), 5, "one row: {row}");

    let out = ns
        .command(&bin)
        .args([local.to_string(), peer.to_string()])
        .output()
        .expect("the example runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("killed {} {}\n", w[3], w[4])
    );
    // The client is aborted, its peer reset; the other connection lives.
    let mut buf = [0u8; 1];
    c1.set_read_timeout(Some(WAIT)).unwrap();
    a1.set_read_timeout(Some(WAIT)).unwrap();
    let e = c1.read(&mut buf).expect_err("the killed socket fails");
    assert_eq!(e.raw_os_error(), Some(libc::ECONNABORTED), "{e}");
    let e = a1.read(&mut buf).expect_err("its peer was reset");
    assert_eq!(e.raw_os_error(), Some(libc::ECONNRESET), "{e}");
    let left = queue_rows(&oracle(&ns, &ss, &["-tnH", "state", "established"]));
    let pair =
        |c: &TcpStream| format!("{} {} 0 0", c.local_addr().unwrap(), c.peer_addr().unwrap());
    let mut want = vec![pair(&c2), pair(&a2)];
    want.sort();
    assert_eq!(left, want);

    // Nothing to kill: a clear error and a non-zero exit.
    let out = ns
        .command(&bin)
        .args([local.to_string(), peer.to_string()])
        .output()
        .expect("the example runs");
    assert!(!out.status.success());
    assert_eq!(out.stdout, b"");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("no connection {local} -> {peer}")),
        "{out:?}"
    );
}

#[test]
fn async_events_dumps_then_reports_what_closes() {
    require_privileged!();
    let ss = require_oracle!();
    let bin = example("async_events");
    let ns = testkit::NetNs::new().expect("a private network namespace");
    let (listener, udp) = ns.run(|| {
        let l = TcpListener::bind("127.0.0.1:7330").unwrap();
        let u: Vec<UdpSocket> = (0..3)
            .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
            .collect();
        (l, u)
    });
    let tcp = oracle(&ns, &ss, &["-tanH"]);
    let mut closing: Vec<String> = oracle(&ns, &ss, &["-uanH"])
        .lines()
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            format!("closed udp {} {}", w[3], w[4])
        })
        .collect();
    assert_eq!(closing.len(), 3, "{closing:?}");
    let events = Lines::spawn({
        let mut c = ns.command(&bin);
        c.arg("3");
        c
    });
    assert_eq!(
        events.next("dump line"),
        format!("{} tcp sockets", tcp.lines().count())
    );
    assert_eq!(events.next("subscription"), "watching");
    drop(udp);
    let mut got: Vec<String> = (0..3).map(|_| events.next("a closed socket")).collect();
    got.sort();
    closing.sort();
    assert_eq!(got, closing);
    drop(listener);
    let mut lines = events;
    let status = {
        let mut status = None;
        wait_until(WAIT, || {
            status = lines.child.try_wait().unwrap();
            status.is_some()
        });
        status.expect("waited for the example to exit after its 3 events")
    };
    assert!(status.success(), "{status:?}");
    let mut err = String::new();
    lines
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(err, "");
}
