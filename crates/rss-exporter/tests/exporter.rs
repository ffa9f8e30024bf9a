//! `rss-exporter` (what `rss exporter` runs) as a server: bad requests, both
//! exposition formats, and a real Prometheus scraping a namespace the test
//! fills; and `rss exporter` handing over to it.
//!
//! The HTTP tests need nothing but loopback. The Prometheus test needs root
//! (a network namespace) and the Debian package `prometheus` (`prometheus`
//! and `promtool`); without them it skips loudly, and with
//! `RSS_REQUIRE_PRIVILEGED=1` (CI) it fails instead.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use testkit::{NetNs, require_privileged, require_tool, wait_until};

/// A child process killed on drop.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `rss` binary beside `rss-exporter`, where `rss exporter` looks.
/// `cargo nextest run --workspace` (and `cargo test --workspace`) build
/// both into one directory; when this package's tests run alone and `rss`
/// was never built there, it is built with the cargo running the tests.
fn rss_binary() -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_rss-exporter"))
        .parent()
        .unwrap();
    let rss = dir.join("rss");
    if !rss.exists() {
        let mut build = Command::new(env!("CARGO"));
        build.args(["build", "--quiet", "-p", "rss", "--bin", "rss"]);
        if dir.ends_with("release") {
            build.arg("--release");
        }
        let o = build.output().expect("run cargo build -p rss");
        assert!(
            o.status.success(),
            "cargo build -p rss: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert!(rss.exists(), "{} not built", rss.display());
    rss
}

/// Starts `rss-exporter --listen 127.0.0.1:0 ARGS` and returns it with the
/// address it printed.
fn exporter(args: &[&str]) -> (Guard, SocketAddr) {
    exporter_from(Command::new(env!("CARGO_BIN_EXE_rss-exporter")), args)
}

/// `cmd` (the exporter, or a wrapper that execs it) with `--listen
/// 127.0.0.1:0 ARGS`, started; returns it with the address it printed.
fn exporter_from(mut cmd: Command, args: &[&str]) -> (Guard, SocketAddr) {
    let mut child = cmd
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rss exporter");
    let stderr = child.stderr.take().expect("stderr");
    let guard = Guard(child);
    let mut line = String::new();
    BufReader::new(stderr)
        .read_line(&mut line)
        .expect("read the exporter's first line");
    let addr = line
        .trim()
        .strip_prefix("rss: exporter listening on http://")
        .and_then(|r| r.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .parse()
        .expect("address");
    (guard, addr)
}

/// The exporter as `nobody`, with no supplementary groups and no
/// capabilities (through setpriv, which execs it).
fn as_nobody() -> Command {
    let mut c = Command::new("setpriv");
    c.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--",
        env!("CARGO_BIN_EXE_rss-exporter"),
    ]);
    c
}

/// A named network namespace (/run/netns/NAME, made by `ip netns add`),
/// deleted on drop.
struct NamedNs(String);

impl NamedNs {
    fn new(tag: &str) -> NamedNs {
        let name = format!("h20exp-{tag}-{}", std::process::id());
        let out = Command::new("ip")
            .args(["netns", "add", &name])
            .output()
            .expect("ip netns add");
        assert!(out.status.success(), "ip netns add {name}: {out:?}");
        NamedNs(name)
    }
}

impl Drop for NamedNs {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).output();
    }
}

/// The sample lines of a metrics text (no comments).
fn samples(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.starts_with('#')).collect()
}

/// A response: status, head (lower-cased), body.
#[derive(Debug)]
struct Reply {
    status: u16,
    head: String,
    body: String,
}

/// Sends `raw` (a whole request) and reads the reply until the server
/// closes (requests here say `Connection: close`).
fn send(addr: SocketAddr, raw: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(raw).expect("send");
    let mut bytes = Vec::new();
    let _ = s.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    Reply {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_owned(),
    }
}

fn get(addr: SocketAddr, path: &str, extra: &str) -> Reply {
    send(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n").as_bytes(),
    )
}

#[test]
fn bad_requests_get_http_errors() {
    let (_ex, addr) = exporter(&["--sample-interval", "0", "--process-refresh", "0"]);
    assert_eq!(get(addr, "/nope", "").status, 404);
    assert_eq!(get(addr, "/metrics/x", "").status, 404);
    let post = send(
        addr,
        b"POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(post.status, 405, "{post:?}");
    assert!(post.head.contains("allow: get, head"), "{post:?}");
    let delete = send(
        addr,
        b"DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(delete.status, 405);
    // A head larger than the 16 KiB limit.
    let big = format!("X-Big: {}\r\n", "a".repeat(64 * 1024));
    assert_eq!(get(addr, "/metrics", &big).status, 431);
    // Many small headers past the same limit.
    let many: String = (0..2000).map(|i| format!("X-{i}: {i}\r\n")).collect();
    let r = get(addr, "/metrics", &many);
    assert_eq!(r.status, 431, "{:?}", r.head);
    // Not HTTP at all.
    assert_eq!(send(addr, b"HELLO\r\n\r\n").status, 400);
    // The server is still fine.
    let ok = get(addr, "/metrics", "");
    assert_eq!(ok.status, 200);
    assert!(ok.body.contains("# TYPE rss_sockets gauge"), "{}", ok.body);
}

#[test]
fn slow_clients_never_stall_a_scrape() {
    let (_ex, addr) = exporter(&["--sample-interval", "0", "--process-refresh", "0"]);
    // Forty clients that start a request and never finish it, and forty
    // that say nothing at all.
    let mut slow = Vec::new();
    for i in 0..80 {
        let mut s = TcpStream::connect(addr).expect("connect");
        if i % 2 == 0 {
            s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
        }
        slow.push(s);
    }
    // Two scrapes at once, while they hang.
    let scrapes: Vec<_> = (0..2)
        .map(|_| std::thread::spawn(move || get(addr, "/metrics", "")))
        .collect();
    for s in scrapes {
        let r = s.join().unwrap();
        assert_eq!(r.status, 200);
        assert!(r.body.contains("rss_exporter_scrape_duration_seconds"));
    }
    // The scrapes were answered while every slow client was still
    // connected: none waited for the slow ones to be cut off.
    for (i, s) in slow.iter_mut().enumerate() {
        s.set_nonblocking(true).unwrap();
        let mut b = [0u8; 1];
        match s.read(&mut b) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            r => panic!("slow client {i} was cut off before the scrapes were answered: {r:?}"),
        }
        s.set_nonblocking(false).unwrap();
    }
    // The slow clients are cut off once the 10 s head timeout has passed
    // (a liveness wait: a generous 60 s for the cut-off to arrive).
    let deadline = Instant::now() + Duration::from_secs(60);
    for mut s in slow {
        let left = deadline.saturating_duration_since(Instant::now());
        s.set_read_timeout(Some(left.max(Duration::from_millis(10))))
            .unwrap();
        let mut buf = Vec::new();
        match s.read_to_end(&mut buf) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!("a slow client was not disconnected within 60 s: {e}"),
        }
    }
}

/// Whether the exporter at `server` still holds an ESTABLISHED connection
/// from the client port `client` (the server's side, as sock_diag sees it).
fn server_holds(server: SocketAddr, client: u16) -> bool {
    let q = sockdiag::Query::new(sockdiag::Tables::TCP).states(sockdiag::States::ESTABLISHED);
    let port = |e: &sockdiag::Endpoint| match e {
        sockdiag::Endpoint::Inet { port, .. } => Some(*port),
        _ => None,
    };
    q.dump()
        .expect("dump")
        .filter_map(Result::ok)
        .any(|s| port(&s.local) == Some(server.port()) && port(&s.peer) == Some(client))
}

#[test]
fn a_scrape_is_answered_while_300_idle_connections_are_held() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let (_ex, addr) = exporter(&["--sample-interval", "0", "--process-refresh", "0"]);
    // A hostile client holds 300 connections that never send a byte, more
    // than the exporter's 256, and opens a new one for each the exporter
    // closes.
    let stop = Arc::new(AtomicBool::new(false));
    let reopened = Arc::new(AtomicUsize::new(0));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let hostile = {
        let (stop, reopened) = (Arc::clone(&stop), Arc::clone(&reopened));
        std::thread::spawn(move || {
            let open = || {
                let s = TcpStream::connect(addr).expect("connect");
                s.set_nonblocking(true).unwrap();
                s
            };
            let mut held: Vec<TcpStream> = (0..300).map(|_| open()).collect();
            let _ = ready_tx.send(());
            while !stop.load(Ordering::Relaxed) {
                for s in held.iter_mut() {
                    let mut b = [0u8; 64];
                    match s.read(&mut b) {
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                        _ => {
                            *s = open();
                            reopened.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    ready_rx
        .recv()
        .expect("the hostile client opened its connections");
    // Each scrape is one GET, answered within the 30 s read timeout of
    // `send` (a liveness bound: what it waits for is the response).
    for _ in 0..3 {
        let r = get(addr, "/metrics", "");
        assert_eq!(r.status, 200, "{r:?}");
        assert!(r.body.contains("# TYPE rss_sockets gauge"), "{}", r.body);
    }
    // Room was made by closing the hostile client's idle connections: the
    // hostile client sees one closed and reopens it. It looks every 20 ms;
    // the bound is a liveness bound for a busy machine.
    assert!(
        wait_until(Duration::from_secs(30), || reopened.load(Ordering::Relaxed)
            > 0),
        "in 30 s the hostile client saw none of its 300 idle connections closed"
    );
    stop.store(true, Ordering::Relaxed);
    hostile.join().unwrap();
}

/// The exporter's peak resident memory (`VmHWM`), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in {status}"))
}

/// 300 connections that each send `GET /metrics` and never read (more than
/// the exporter's 256, all of them waiting for a scrape at once) neither
/// refuse a new client's scrape nor make the exporter build 300 results:
/// requests that arrive during a scrape share its result.
#[test]
fn a_flood_of_scrapes_that_never_read_starves_no_one() {
    require_privileged!();
    // A namespace with 3,000 listeners, all exported: a large response
    // (several hundred KiB), so that one copy per connection would show.
    let ns = NetNs::new().expect("namespace");
    let _listeners: Vec<_> = ns.run(|| {
        (0..3000u16)
            .map(|i| {
                let a = SocketAddr::from(([127, 0, 0, 1], 20000 + i));
                testkit::listener(a, 1, None).expect("listener")
            })
            .collect()
    });
    let nspath = ns.path();
    let (ex, addr) = exporter(&[
        "--sample-interval",
        "0",
        "--process-refresh",
        "0",
        "--max-listeners",
        "3000",
        "-N",
        nspath.to_str().unwrap(),
    ]);
    let first = get(addr, "/metrics", "");
    assert_eq!(first.status, 200, "{:?}", first.head);
    let body = first.body.len() as u64;
    assert!(body > 300 * 1024, "a response of {body} bytes only");
    assert_eq!(value(&first.body, "rss_exporter_scrapes_total"), Some(1.0));
    let before = peak_rss_kib(ex.0.id());
    let flood: Vec<TcpStream> = (0..300)
        .map(|_| {
            let mut s = TcpStream::connect(addr).expect("connect");
            // Refused or cut off: what counts is the fresh client below.
            let _ = s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
            s
        })
        .collect();
    // A fresh client gets its scrape, whole, within `send`'s 30 s read
    // timeout (a liveness bound: what it waits for is the response).
    let r = get(addr, "/metrics", "");
    assert_eq!(r.status, 200, "{:?}", r.head);
    // A scrape taken after the first one landed, not the first one's
    // result again.
    assert!(
        value(&r.body, "rss_exporter_scrapes_total").is_some_and(|n| n >= 2.0),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains("rss_listener_backlog{address=\"127.0.0.1\",port=\"22999\","),
        "{}",
        r.body
    );
    // One result shared: the peak grew by far less than 300 responses (or
    // the 256 the exporter holds at once) would take; a tenth of that is
    // room for the connections' own buffers.
    let grown = peak_rss_kib(ex.0.id()).saturating_sub(before);
    assert!(
        grown * 1024 < 30 * body,
        "peak memory grew by {grown} KiB for responses of {} KiB",
        body / 1024
    );
    drop(flood);
}

#[test]
fn a_client_pipelining_without_reading_is_cut_off() {
    let (_ex, addr) = exporter(&["--sample-interval", "0", "--process-refresh", "0"]);
    // 2,000 pipelined scrapes from a client that never reads a response.
    let mut greedy = TcpStream::connect(addr).expect("connect");
    let one = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    let all = one.repeat(2000);
    let port = greedy.local_addr().unwrap().port();
    let writer = std::thread::spawn(move || {
        // The server stops reading at some point: the write may fail when
        // it closes the connection.
        let _ = greedy.write_all(all.as_bytes());
        greedy
    });
    // Other clients are answered meanwhile.
    let r = get(addr, "/metrics", "");
    assert_eq!(r.status, 200, "{r:?}");
    // The exporter closes the greedy connection without its client reading
    // anything (a liveness wait: a generous 60 s for the connection to be
    // gone from the server's side).
    assert!(
        wait_until(Duration::from_secs(60), || !server_holds(addr, port)),
        "the exporter still holds the pipelining connection after 60 s"
    );
    let mut greedy = writer.join().unwrap();
    // It had answered at most 10 of the 2,000 requests.
    greedy
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut bytes = Vec::new();
    let _ = greedy.read_to_end(&mut bytes);
    let answered = String::from_utf8_lossy(&bytes)
        .matches("HTTP/1.1 200 OK")
        .count();
    assert!(answered <= 10, "{answered} responses");
    // And the server is still fine.
    assert_eq!(get(addr, "/metrics", "").status, 200);
}

/// A keep-alive connection is closed after 10 requests: the 10th response
/// says so.
#[test]
fn a_connection_answers_at_most_10_requests() {
    let (_ex, addr) = exporter(&["--sample-interval", "0", "--process-refresh", "0"]);
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    for i in 1..=11 {
        if s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").is_err() {
            assert_eq!(i, 11, "the connection closed after {} requests", i - 1);
            break;
        }
        let mut head = String::new();
        loop {
            let mut line = String::new();
            let n = r.read_line(&mut line).unwrap_or(0);
            if n == 0 || line == "\r\n" {
                break;
            }
            head.push_str(&line.to_ascii_lowercase());
        }
        if i == 11 {
            assert_eq!(head, "", "an 11th request was answered");
            break;
        }
        assert!(head.starts_with("http/1.1 200"), "request {i}: {head:?}");
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no content-length: {head:?}"));
        let mut body = vec![0; len];
        r.read_exact(&mut body).unwrap();
        assert_eq!(
            head.contains("connection: close"),
            i == 10,
            "request {i}: {head:?}"
        );
    }
}

#[test]
fn formats_landing_page_and_head() {
    let (_ex, addr) = exporter(&["--sample-interval", "0"]);
    let landing = get(addr, "/", "");
    assert_eq!(landing.status, 200);
    assert!(landing.head.contains("content-type: text/html"));
    assert!(
        landing.body.contains("href=\"/metrics\""),
        "{}",
        landing.body
    );

    let text = get(addr, "/metrics", "Accept: text/plain;version=0.0.4\r\n");
    assert_eq!(text.status, 200);
    assert!(
        text.head
            .contains("content-type: text/plain; version=0.0.4"),
        "{}",
        text.head
    );
    assert!(!text.body.contains("# EOF"));
    assert!(text.body.contains("rss_tcp_listen_overflows_total "));

    let om = get(
        addr,
        "/metrics",
        "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n",
    );
    assert_eq!(om.status, 200);
    assert!(
        om.head
            .contains("content-type: application/openmetrics-text; version=1.0.0"),
        "{}",
        om.head
    );
    assert!(om.body.ends_with("# EOF\n"), "{}", om.body);
    assert!(om.body.contains("# TYPE rss_tcp_listen_overflows counter"));

    let head = send(
        addr,
        b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());

    // Both formats pass promtool.
    require_tool!("promtool");
    check_with_promtool(&text.body, &om.body);
}

/// `promtool check metrics` reads the classic format; the OpenMetrics text
/// is checked by promtool's OpenMetrics parser (`tsdb create-blocks-from
/// openmetrics`), which wants timestamps: the test adds one to each sample.
fn check_with_promtool(text: &str, om: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let dir = scratch("om");
    let stamped: String = om
        .lines()
        .map(|l| {
            if l.starts_with('#') {
                format!("{l}\n")
            } else {
                format!("{l} 1700000000\n")
            }
        })
        .collect();
    let file = dir.join("metrics.om");
    std::fs::write(&file, stamped).unwrap();
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&file)
        .arg(dir.join("blocks"))
        .output()
        .expect("promtool");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && !said.to_lowercase().contains("error"),
        "OpenMetrics rejected: {said}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn textfile_is_written_whole() {
    let dir = scratch("textfile");
    let path = dir.join("rss.prom");
    std::fs::write(&path, "old\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rss-exporter"))
        .args(["--textfile"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# HELP rss_sockets "), "{text}");
    assert!(text.contains("rss_exporter_sockets_seen "));
    // Nothing left beside it.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("rss.prom")]);
    // A directory that does not exist: one line, status 1.
    let out = Command::new(env!("CARGO_BIN_EXE_rss-exporter"))
        .args(["--textfile", "/nonexistent/dir/rss.prom"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("rss: /nonexistent/dir/rss.prom: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_usage_exits_2() {
    for args in [
        &["--listen", "nope"][..],
        &["--bogus"],
        &["state", "nosuchstate"],
        &["dport", "=", "x:y:z"],
        &["-N", "x", "--all-netns"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_rss-exporter"))
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("rss: "), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // A namespace that does not exist: the system refuses.
    let out = Command::new(env!("CARGO_BIN_EXE_rss-exporter"))
        .args(["-N", "rss-no-such-ns"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn rss_exporter_runs_the_binary_beside_rss() {
    let direct = Command::new(env!("CARGO_BIN_EXE_rss-exporter"))
        .arg("--help")
        .output()
        .unwrap();
    let via_rss = Command::new(rss_binary())
        .args(["exporter", "--help"])
        .output()
        .unwrap();
    assert_eq!(direct.status.code(), Some(0), "{direct:?}");
    let help = String::from_utf8_lossy(&direct.stdout);
    assert!(help.contains("Usage: rss exporter [OPTIONS]"), "{help}");
    assert!(help.contains("--textfile <PATH>"), "{help}");
    assert_eq!(via_rss.status.code(), direct.status.code());
    assert_eq!(String::from_utf8_lossy(&via_rss.stdout), help);
    assert_eq!(String::from_utf8_lossy(&via_rss.stderr), "");
    // Exit statuses and messages are the exporter's own (bad usage: 2;
    // the system refuses: 1).
    for (args, code) in [(&["--bogus"][..], 2), (&["-N", "rss-no-such-ns"], 1)] {
        let direct = Command::new(env!("CARGO_BIN_EXE_rss-exporter"))
            .args(args)
            .output()
            .unwrap();
        let via_rss = Command::new(rss_binary())
            .arg("exporter")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(direct.status.code(), Some(code), "{args:?}: {direct:?}");
        assert_eq!(via_rss.status.code(), Some(code), "{args:?}: {via_rss:?}");
        assert_eq!(via_rss.stderr, direct.stderr, "{args:?}");
    }
    // Serving, the process rss started is rss-exporter itself (exec, no
    // child in between): a signal sent to it stops the exporter.
    let rss = rss_binary();
    let mut child = Command::new(&rss)
        .args(["exporter", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rss exporter");
    let stderr = child.stderr.take().expect("stderr");
    let mut guard = Guard(child);
    let mut line = String::new();
    BufReader::new(stderr)
        .read_line(&mut line)
        .expect("read the exporter's first line");
    assert!(
        line.starts_with("rss: exporter listening on http://"),
        "{line:?}"
    );
    let pid = guard.0.id();
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap();
    assert_eq!(
        exe,
        rss.with_file_name("rss-exporter").canonicalize().unwrap(),
        "pid {pid}"
    );
    let rc = send_signal(pid, "TERM");
    assert!(rc, "kill -TERM {pid}");
    let status = guard.0.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(15), "{status:?}");
}

/// Sends signal `sig` to `pid` with kill(1).
fn send_signal(pid: u32, sig: &str) -> bool {
    Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

/// A fresh directory under the temp dir.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "rss-exporter-{tag}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Prometheus's `/api/v1/query` answer for `q`.
fn query(prom: SocketAddr, q: &str) -> serde_json::Value {
    let r = get(prom, &format!("/api/v1/query?query={}", url_encode(q)), "");
    let body = if r.head.contains("transfer-encoding: chunked") {
        unchunk(&r.body)
    } else {
        r.body.clone()
    };
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{q}: {e}: {r:?}"))
}

fn unchunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&after[..n]);
        rest = &after[n + 2..];
    }
    out
}

/// The result vector of a successful instant query.
fn results(prom: SocketAddr, q: &str) -> Vec<serde_json::Value> {
    let v = query(prom, q);
    assert_eq!(v["status"], "success", "{q}: {v}");
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

fn value_of(r: &serde_json::Value) -> f64 {
    r["value"][1]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN)
}

fn repo() -> &'static Path {
    // This crate is crates/rss-exporter of the repository.
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Every panel query of the dashboard, with Grafana's variables replaced.
fn dashboard_queries() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo().join("deploy/grafana/rss-dashboard.json"))
        .expect("dashboard");
    let v: serde_json::Value = serde_json::from_str(&text).expect("dashboard JSON");
    let mut out = Vec::new();
    for p in v["panels"].as_array().expect("panels") {
        let title = p["title"].as_str().unwrap_or("?").to_owned();
        for t in p["targets"].as_array().into_iter().flatten() {
            let expr = t["expr"].as_str().expect("expr");
            let expr = expr
                .replace("$__rate_interval", "1m")
                .replace("${instance}", ".+")
                .replace("$instance", ".+")
                .replace("$netns", ".*");
            out.push((title.clone(), expr));
        }
    }
    assert!(!out.is_empty());
    out
}

/// The identifiers in `expr` that start with `prefix`, each with the text
/// after it (from the next character).
fn words_after<'a>(expr: &'a str, prefix: &str) -> Vec<(&'a str, &'a str)> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = expr[from..].find(prefix).map(|i| i + from) {
        let end = expr[i..]
            .find(|c: char| !ident(c))
            .map_or(expr.len(), |e| i + e);
        let starts_word = expr[..i].chars().next_back().is_none_or(|c| !ident(c));
        if starts_word {
            out.push((&expr[i..end], &expr[end..]));
        }
        from = end;
    }
    out
}

/// With `--all-netns` every socket series has a `netns` label: each panel
/// selects the namespaces of the dashboard's `netns` variable and keeps
/// them apart (every aggregation keeps `netns`). Only the exporter's own
/// health series (`rss_exporter_*`) have no namespace.
#[test]
fn dashboard_keeps_namespaces_apart() {
    let text = std::fs::read_to_string(repo().join("deploy/grafana/rss-dashboard.json"))
        .expect("dashboard");
    let v: serde_json::Value = serde_json::from_str(&text).expect("dashboard JSON");
    let vars = v["templating"]["list"].as_array().expect("variables");
    let netns = vars
        .iter()
        .find(|x| x["name"] == "netns")
        .expect("a netns variable");
    assert_eq!(
        netns["definition"],
        "label_values(rss_namespace_up{instance=~\"$instance\"}, netns)"
    );
    assert_eq!(netns["includeAll"], true);
    assert_eq!(netns["multi"], true);
    // All matches series without the label too (an exporter without
    // --all-netns).
    assert_eq!(netns["allValue"], ".*");
    let mut checked = 0;
    for p in v["panels"].as_array().expect("panels") {
        for t in p["targets"].as_array().into_iter().flatten() {
            let expr = t["expr"].as_str().expect("expr");
            let title = &p["title"];
            let mut of_namespaces = false;
            for (metric, rest) in words_after(expr, "rss_") {
                if metric.starts_with("rss_exporter_") {
                    continue;
                }
                of_namespaces = true;
                let selector = rest
                    .strip_prefix('{')
                    .and_then(|r| r.split_once('}'))
                    .map_or("", |(s, _)| s);
                assert!(
                    selector.split(',').any(|m| m == "netns=~\"$netns\""),
                    "panel {title}: {metric} does not select $netns: {expr}"
                );
            }
            if !of_namespaces {
                continue;
            }
            for op in ["sum", "avg", "min", "max", "count", "topk", "bottomk"] {
                for (word, rest) in words_after(expr, op) {
                    if word != op {
                        continue;
                    }
                    let labels = rest
                        .trim_start()
                        .strip_prefix("by")
                        .and_then(|r| r.trim_start().strip_prefix('('))
                        .and_then(|r| r.split_once(')'))
                        .map(|(l, _)| l);
                    assert!(
                        labels.is_some_and(|l| l.split(',').any(|x| x.trim() == "netns")),
                        "panel {title}: {op} adds namespaces up: {expr}"
                    );
                }
            }
            checked += 1;
            assert!(
                t["legendFormat"]
                    .as_str()
                    .unwrap_or("")
                    .contains("{{netns}}"),
                "panel {title}: the legend does not name the namespace"
            );
        }
    }
    assert!(checked >= 10, "{checked} queries checked");
}

#[test]
fn alert_rules_pass_promtool() {
    require_tool!("promtool");
    let dir = repo().join("deploy/prometheus");
    for args in [
        &["check", "rules", "rss-alerts.yml"][..],
        &["test", "rules", "rss-alerts.test.yml"],
        &["check", "config", "prometheus.yml"],
    ] {
        let out = Command::new("promtool")
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("promtool");
        assert!(
            out.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Every doctor kind named in the rules has an alert test.
    let rules = std::fs::read_to_string(dir.join("rss-alerts.yml")).unwrap();
    let tests = std::fs::read_to_string(dir.join("rss-alerts.test.yml")).unwrap();
    // Every kind the doctor can find has an alert.
    for kind in sockdiag::diagnose::Kind::ALL {
        assert!(
            rules.contains(&format!("rss_doctor_findings{{kind=\"{}\"}}", kind.name())),
            "no alert for the doctor's {} findings",
            kind.name()
        );
    }
    for line in rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
    {
        assert!(
            tests.contains(&format!("alertname: {line}")),
            "alert {line} has no promtool test"
        );
    }
}

#[test]
fn prometheus_scrapes_a_full_accept_queue() {
    require_privileged!();
    require_tool!("prometheus");
    // The namespace: a listener with backlog 2 whose accept queue is full
    // (the kernel lets backlog + 1 connections wait), one more connection
    // attempt that overflows it, and a socket left in CLOSE-WAIT.
    let ns = NetNs::new().expect("namespace");
    let held = ns.run(|| {
        let l = testkit::listener("127.0.0.1:8000".parse().unwrap(), 2, None).unwrap();
        let clients: Vec<TcpStream> = (0..3)
            .map(|_| TcpStream::connect("127.0.0.1:8000").unwrap())
            .collect();
        let extra =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        extra.set_nonblocking(true).unwrap();
        let _ = extra.connect(&"127.0.0.1:8000".parse::<SocketAddr>().unwrap().into());
        let srv = TcpListener::bind("127.0.0.1:9000").unwrap();
        let c = TcpStream::connect("127.0.0.1:9000").unwrap();
        let (s, _) = srv.accept().unwrap();
        drop(c); // the server side `s` is now in CLOSE-WAIT
        (l, clients, extra, srv, s)
    });
    assert!(
        wait_until(Duration::from_secs(5), || {
            ns.ss(&["-tnH", "state", "close-wait"])
                .contains("127.0.0.1:9000")
        }),
        "no CLOSE-WAIT socket"
    );
    // The oracle: what the system ss says about the listener.
    let ss = ns.ss(&["-tlnH", "sport", "=", ":8000"]);
    let words: Vec<&str> = ss.split_whitespace().collect();
    let (ss_queue, ss_backlog): (f64, f64) = (words[1].parse().unwrap(), words[2].parse().unwrap());
    assert_eq!((ss_queue, ss_backlog), (3.0, 2.0), "{ss}");

    let ns_path = ns.path();
    let (_ex, ex_addr) = exporter(&["-N", ns_path.to_str().unwrap(), "--sample-interval", "1"]);

    let dir = scratch("prometheus");
    let rules = repo().join("deploy/prometheus/rss-alerts.yml");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
         rule_files:\n  - {}\n\
         scrape_configs:\n  - job_name: rss\n    static_configs:\n      - targets: ['{ex_addr}']\n",
        rules.display()
    );
    std::fs::write(dir.join("prometheus.yml"), config).unwrap();
    let prom_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
    let _prom = Guard(
        Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={prom_addr}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start prometheus"),
    );
    let log_text = || std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default();
    assert!(
        wait_until(Duration::from_secs(60), || {
            TcpStream::connect(prom_addr).is_ok() && get(prom_addr, "/-/ready", "").status == 200
        }),
        "prometheus never got ready: {}",
        log_text()
    );

    // The listener's accept queue and backlog, as Prometheus stored them.
    let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
    let q = "rss_listener_accept_queue{job=\"rss\",address=\"127.0.0.1\",port=\"8000\"}";
    let mut got = Vec::new();
    let seen = wait_until(Duration::from_secs(60), || {
        got = results(prom_addr, q);
        !got.is_empty()
    });
    assert!(seen, "no {q} in Prometheus: {}", log_text());
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(value_of(&got[0]), ss_queue, "{got:?}");
    assert_eq!(got[0]["metric"]["process"], comm.trim(), "{got:?}");
    let b = results(
        prom_addr,
        "rss_listener_backlog{address=\"127.0.0.1\",port=\"8000\"}",
    );
    assert_eq!(value_of(&b[0]), ss_backlog, "{b:?}");
    // Scraped as OpenMetrics (Prometheus asks for it first), healthy.
    let up = results(prom_addr, "up{job=\"rss\"}");
    assert_eq!(value_of(&up[0]), 1.0, "{up:?}");
    // The overflow the extra connection caused.
    let overflows = results(prom_addr, "rss_tcp_listen_overflows_total");
    assert!(value_of(&overflows[0]) >= 1.0, "{overflows:?}");
    let cw = results(prom_addr, "rss_tcp_close_wait_sockets");
    assert_eq!(cw.len(), 1, "{cw:?}");
    assert_eq!(value_of(&cw[0]), 1.0, "{cw:?}");

    // The findings Prometheus sees are those `rss doctor` reports on the
    // same namespace.
    let doctor = Command::new(rss_binary())
        .args(["doctor", "-j", "-N", ns_path.to_str().unwrap()])
        .output()
        .expect("rss doctor");
    let report: serde_json::Value = serde_json::from_slice(&doctor.stdout)
        .unwrap_or_else(|e| panic!("rss doctor -j: {e}: {doctor:?}"));
    let mut doctor_kinds: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_owned())
        .collect();
    // Kinds judged from counter rises depend on when each looked; the
    // others are judged from the sockets, which do not change here.
    let from_counters = ["resets", "retransmissions", "udp_drops"];
    doctor_kinds.retain(|k| !from_counters.contains(&k.as_str()));
    doctor_kinds.sort();
    doctor_kinds.dedup();
    assert!(
        doctor_kinds.contains(&"listen_queue_full".to_owned()),
        "{doctor_kinds:?}"
    );
    let mut prom_kinds = Vec::new();
    let same = wait_until(Duration::from_secs(30), || {
        let r = results(prom_addr, "rss_doctor_findings > 0");
        prom_kinds = r
            .iter()
            .map(|x| x["metric"]["kind"].as_str().unwrap_or("").to_owned())
            .filter(|k| !from_counters.contains(&k.as_str()))
            .collect();
        prom_kinds.sort();
        prom_kinds == doctor_kinds
    });
    assert!(
        same,
        "Prometheus {prom_kinds:?}, rss doctor {doctor_kinds:?}"
    );
    // The alert for it is at least pending (its `for:` is 2 minutes), once
    // Prometheus has evaluated the rules on the finding (a liveness wait:
    // a generous 30 s for one rule evaluation).
    let pending = wait_until(Duration::from_secs(30), || {
        !results(prom_addr, "ALERTS{alertname=\"RssDoctorListenQueueFull\"}").is_empty()
    });
    assert!(pending, "no RssDoctorListenQueueFull alert");
    // The namespace was read.
    let up = results(prom_addr, "rss_namespace_up{job=\"rss\"}");
    assert_eq!(up.len(), 1, "{up:?}");
    assert_eq!(value_of(&up[0]), 1.0, "{up:?}");

    // Every dashboard panel's query, once enough samples exist for rates.
    std::thread::sleep(Duration::from_secs(3));
    for (title, expr) in dashboard_queries() {
        let mut last = Vec::new();
        let ok = wait_until(Duration::from_secs(30), || {
            last = results(prom_addr, &expr);
            !last.is_empty()
        });
        assert!(ok, "panel {title:?}: {expr} is empty");
    }
    drop(held);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn all_netns_labels_each_namespace() {
    require_privileged!();
    // A namespace found through a process living in it (the anonymous
    // namespace has no /run/netns name): its label is net:[INODE].
    let ns = NetNs::new().expect("namespace");
    let _l = ns.run(|| testkit::listener("127.0.0.1:7777".parse().unwrap(), 7, None).unwrap());
    let _sleeper = Guard(
        ns.command("sleep")
            .arg("60")
            .spawn()
            .expect("a process in the namespace"),
    );
    let ino = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(ns.path()).unwrap().ino()
    };
    let dir = scratch("allnetns");
    let path = dir.join("rss.prom");
    let want =
        format!("rss_listener_backlog{{netns=\"net:[{ino}]\",address=\"127.0.0.1\",port=\"7777\",");
    let mut text = String::new();
    // The sleeper must have joined the namespace before the exporter looks
    // (and a loaded machine may need more than one try).
    let found = wait_until(Duration::from_secs(20), || {
        let out = Command::new(env!("CARGO_BIN_EXE_rss-exporter"))
            .args(["--all-netns", "--textfile"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        text = std::fs::read_to_string(&path).unwrap();
        text.lines().any(|l| l.starts_with(&want))
    });
    assert!(found, "no {want} in\n{text}");
    let line = text.lines().find(|l| l.starts_with(&want)).unwrap();
    assert!(line.ends_with(" 7"), "{line}");
    // The exporter's own namespace is there too.
    assert!(text.contains("rss_sockets{netns=\"host\","), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A scrape that reads nothing fails: `-N` of a namespace this user cannot
/// enter (nobody): `--textfile` writes `rss_namespace_up 0` and no socket
/// or counter series, and exits 1 with a message; serving does not start.
/// `-N` of a file that is no namespace is refused before anything is read
/// or written (root or nobody): exit 1, no textfile.
#[test]
fn nothing_read_is_a_failure() {
    require_privileged!();
    require_tool!("setpriv");
    let ns = NamedNs::new("unread");
    let dir = scratch("unread");
    // nobody writes the textfile too.
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let path = dir.join("rss.prom");
    let root = || Command::new(env!("CARGO_BIN_EXE_rss-exporter"));
    let not_ns = "rss: network namespace /etc/passwd: not a network namespace file";
    for (who, mut cmd) in [("root", root()), ("nobody", as_nobody())] {
        let _ = std::fs::remove_file(&path);
        let out = cmd
            .args(["-N", "/etc/passwd", "--textfile"])
            .arg(&path)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{who}: {err}");
        assert!(err.starts_with(not_ns), "{who}: {err}");
        assert!(!path.exists(), "{who}: a textfile was written");
    }
    for (who, mut cmd, target) in [("nobody", as_nobody(), ns.0.as_str())] {
        let _ = std::fs::remove_file(&path);
        let out = cmd
            .args(["-N", target, "--textfile"])
            .arg(&path)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{who} -N {target}: {err}");
        assert!(
            err.starts_with("rss: exporter: cannot read any network namespace: "),
            "{who} -N {target}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        let text = std::fs::read_to_string(&path).unwrap();
        let lines = samples(&text);
        assert!(
            lines.contains(&"rss_namespace_up 0"),
            "{who} -N {target}: {text}"
        );
        assert!(lines.contains(&"rss_exporter_namespaces 0"), "{text}");
        for l in &lines {
            assert!(
                !l.starts_with("rss_sockets")
                    && !l.starts_with("rss_tcp_")
                    && !l.starts_with("rss_listener_"),
                "{who} -N {target}: a series for a namespace not read: {l}"
            );
        }
    }
    // Serving does not start either.
    let unread = "rss: exporter: cannot read any network namespace: ";
    for (who, mut cmd, target, says) in [
        ("root", root(), "/etc/passwd", not_ns),
        ("nobody", as_nobody(), ns.0.as_str(), unread),
    ] {
        let out = cmd
            .args(["--listen", "127.0.0.1:0", "-N", target])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{who} -N {target}: {err}");
        assert!(err.starts_with(says), "{who} -N {target}: {err}");
        assert!(!err.contains("listening"), "{err}");
    }
    // What can be read still exits 0: root in that namespace, nobody in
    // its own.
    for (who, mut cmd, args) in [
        ("root", root(), vec!["-N", ns.0.as_str()]),
        ("nobody", as_nobody(), vec![]),
    ] {
        let out = cmd
            .args(&args)
            .arg("--textfile")
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{who} {args:?}: {out:?}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(samples(&text).contains(&"rss_namespace_up 1"), "{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Served with `--all-netns` as nobody, a namespace it cannot enter is
/// `rss_namespace_up{netns=NAME} 0` and has no other series; its own is up.
#[test]
fn a_namespace_not_read_is_down_not_zero() {
    require_privileged!();
    require_tool!("setpriv");
    let ns = NamedNs::new("down");
    let (_ex, addr) = exporter_from(
        as_nobody(),
        &[
            "--all-netns",
            "--sample-interval",
            "0",
            "--process-refresh",
            "0",
        ],
    );
    let r = get(addr, "/metrics", "");
    assert_eq!(r.status, 200);
    let lines = samples(&r.body);
    let label = format!("netns=\"{}\"", ns.0);
    let ours: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.contains(&label))
        .collect();
    assert_eq!(
        ours,
        [format!("rss_namespace_up{{{label}}} 0")],
        "{}",
        r.body
    );
    assert!(
        lines.contains(&"rss_namespace_up{netns=\"host\"} 1"),
        "{}",
        r.body
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("rss_sockets{netns=\"host\",")),
        "{}",
        r.body
    );
}

/// Served with `-N NAME` (root), a namespace that goes away turns
/// `rss_namespace_up` to 0 and its series vanish.
#[test]
fn a_namespace_gone_is_down() {
    require_privileged!();
    let ns = NamedNs::new("gone");
    let (_ex, addr) = exporter(&[
        "-N",
        &ns.0,
        "--sample-interval",
        "0",
        "--process-refresh",
        "0",
    ]);
    let before = get(addr, "/metrics", "");
    let lines = samples(&before.body);
    assert!(lines.contains(&"rss_namespace_up 1"), "{}", before.body);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("rss_tcp_listen_overflows_total ")),
        "{}",
        before.body
    );
    drop(ns);
    let after = get(addr, "/metrics", "");
    assert_eq!(after.status, 200);
    let lines = samples(&after.body);
    assert!(lines.contains(&"rss_namespace_up 0"), "{}", after.body);
    assert!(
        lines.contains(&"rss_exporter_namespaces 0"),
        "{}",
        after.body
    );
    for l in &lines {
        assert!(
            !l.starts_with("rss_sockets")
                && !l.starts_with("rss_tcp_")
                && !l.starts_with("rss_listener_"),
            "a series for a namespace gone: {l}"
        );
    }
}

/// Which capabilities name the process of another user's socket: the
/// exporter as nobody, with each set, looks at a listener held by this
/// (root) test process. Only both CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH
/// name it, and the systemd unit grants exactly those.
#[test]
fn process_labels_need_sys_ptrace_and_dac_read_search() {
    require_privileged!();
    require_tool!("setpriv");
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port().to_string();
    let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
    let dir = scratch("caps");
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let path = dir.join("rss.prom");
    let want = format!("rss_listener_backlog{{address=\"127.0.0.1\",port=\"{port}\",process=");
    let mut named = Vec::new();
    for caps in [
        "",
        "+sys_ptrace",
        "+dac_read_search",
        "+sys_ptrace,+dac_read_search",
    ] {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
        if caps.is_empty() {
            cmd.arg("--inh-caps=-all");
        } else {
            cmd.arg(format!("--inh-caps=-all,{caps}"))
                .arg(format!("--ambient-caps=-all,{caps}"));
        }
        let out = cmd
            .args(["--", env!("CARGO_BIN_EXE_rss-exporter")])
            .args(["--sample-interval", "0", "--textfile"])
            .arg(&path)
            .args(["sport", "=", &format!(":{port}")])
            .output()
            .expect("setpriv");
        assert!(out.status.success(), "caps {caps:?}: {out:?}");
        let text = std::fs::read_to_string(&path).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with(&want))
            .unwrap_or_else(|| panic!("caps {caps:?}: no {want} in\n{text}"));
        let process = &line[want.len()..];
        if process.starts_with(&format!("\"{}\"}}", comm.trim())) {
            named.push(caps);
        } else {
            assert!(process.starts_with("\"\"}"), "caps {caps:?}: {line}");
        }
    }
    assert_eq!(named, ["+sys_ptrace,+dac_read_search"]);
    let unit = std::fs::read_to_string(repo().join("deploy/systemd/rss-exporter.service")).unwrap();
    let lines: Vec<&str> = unit.lines().collect();
    for key in ["AmbientCapabilities", "CapabilityBoundingSet"] {
        let line = format!("{key}=CAP_SYS_PTRACE CAP_DAC_READ_SEARCH");
        assert!(lines.contains(&line.as_str()), "the unit has no {line}");
    }
    drop(l);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The systemd unit parses: `systemd-analyze verify` (with ExecStart
/// pointed at the binary under test) says nothing.
#[test]
fn systemd_unit_verifies() {
    require_tool!("systemd-analyze");
    let unit = std::fs::read_to_string(repo().join("deploy/systemd/rss-exporter.service")).unwrap();
    assert!(
        unit.contains("ExecStart=/usr/local/bin/rss-exporter "),
        "{unit}"
    );
    assert!(unit.lines().any(|l| l == "MemoryMax=512M"), "{unit}");
    let dir = scratch("unit");
    let path = dir.join("rss-exporter.service");
    let unit = unit.replace(
        "/usr/local/bin/rss-exporter",
        env!("CARGO_BIN_EXE_rss-exporter"),
    );
    std::fs::write(&path, unit).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A client that reads a response's head, then stops reading its body, is
/// cut off in the middle of the body by the write timeout: the only one
/// that applies (the idle timeout does not while a write waits, the head
/// timeout only once a response is written whole, and the 300 s lifetime
/// ends a connection between requests, after this test's 60 s bound).
#[test]
fn a_client_that_stops_reading_a_body_is_cut_off() {
    require_privileged!();
    // The exporter serves in a namespace of 3,000 listeners whose TCP send
    // buffers stay small, and the client's receive buffer is small too: the
    // kernels cannot take the whole body off the exporter's hands.
    let ns = NetNs::new().expect("namespace");
    ns.sysctl("net.ipv4.tcp_wmem", "4096 16384 16384").unwrap();
    let _listeners: Vec<_> = ns.run(|| {
        (0..3000u16)
            .map(|i| {
                let a = SocketAddr::from(([127, 0, 0, 1], 20000 + i));
                testkit::listener(a, 1, None).expect("listener")
            })
            .collect()
    });
    let (_ex, addr) = exporter_from(
        ns.command(env!("CARGO_BIN_EXE_rss-exporter")),
        &[
            "--sample-interval",
            "0",
            "--process-refresh",
            "0",
            "--max-listeners",
            "3000",
        ],
    );
    let mut s: TcpStream = ns.run(move || {
        let sock =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        sock.set_recv_buffer_size(4096).unwrap();
        sock.connect(&addr.into()).expect("connect");
        sock.into()
    });
    let port = s.local_addr().unwrap().port();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut r = BufReader::with_capacity(1, s.try_clone().unwrap());
    let mut head = String::new();
    loop {
        let mut line = String::new();
        assert!(r.read_line(&mut line).unwrap() > 0, "closed in the head");
        if line == "\r\n" {
            break;
        }
        head.push_str(&line.to_ascii_lowercase());
    }
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no content-length: {head:?}"));
    assert!(len > 300 * 1024, "a body of {len} bytes only");
    // The client stops reading. A liveness wait: a generous 60 s for the
    // server to close the stalled connection.
    assert!(
        wait_until(Duration::from_secs(60), || !ns
            .run(move || server_holds(addr, port))),
        "the exporter still holds a connection whose client stopped reading after 60 s"
    );
    // What the client receives then is the body's beginning, not all of it.
    let mut body = Vec::new();
    let _ = r.read_to_end(&mut body);
    assert!(
        body.len() < len,
        "the whole body ({len} bytes) was written: no stall to cut off"
    );
}

/// The `netns` labels of the series of `metric` in `text`, sorted, once each.
fn netns_labels(text: &str, metric: &str) -> Vec<String> {
    let mut v: Vec<String> = samples(text)
        .into_iter()
        .filter(|l| l.starts_with(&format!("{metric}{{")))
        .filter_map(|l| {
            let rest = l.split_once("netns=\"")?.1;
            Some(rest.split_once('"')?.0.to_owned())
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The value of the unlabelled sample `metric` in `text`.
fn value(text: &str, metric: &str) -> Option<f64> {
    samples(text)
        .into_iter()
        .find_map(|l| l.strip_prefix(&format!("{metric} "))?.parse().ok())
}

/// The findings sampler covers the namespaces a scrape covers, no more:
/// with `--max-namespaces 2` and three named namespaces (a private
/// `/run/netns`), findings are exported for the exporter's own namespace
/// and the one other a scrape reads, not for those left out.
#[test]
fn findings_honour_max_namespaces() {
    require_privileged!();
    require_tool!("unshare");
    let nss: Vec<NetNs> = (0..3).map(|_| NetNs::new().expect("namespace")).collect();
    let mut cmd = testkit::with_private_run_netns(
        r#"for n in a b c; do touch /run/netns/h20exp2-$n; mount --bind "$1" /run/netns/h20exp2-$n; shift; done"#,
    );
    cmd.args(nss.iter().map(|n| n.path()))
        .arg(env!("CARGO_BIN_EXE_rss-exporter"));
    let (_ex, addr) = exporter_from(
        cmd,
        &[
            "--all-netns",
            "--max-namespaces",
            "2",
            "--sample-interval",
            "1",
            "--process-refresh",
            "0",
        ],
    );
    // A liveness wait: a generous 60 s for the sampler's first diagnosis.
    let mut text = String::new();
    let diagnosed = wait_until(Duration::from_secs(60), || {
        text = get(addr, "/metrics", "").body;
        value(&text, "rss_doctor_diagnoses_total").is_some_and(|n| n >= 1.0)
    });
    assert!(diagnosed, "no diagnosis published in 60 s:\n{text}");
    let read = netns_labels(&text, "rss_namespace_up");
    assert_eq!(read.len(), 2, "{read:?}");
    assert_eq!(read[0], "h20exp2-a", "{read:?}");
    assert_eq!(read[1], "host", "{read:?}");
    assert!(
        value(&text, "rss_exporter_namespaces_folded").is_some_and(|n| n >= 2.0),
        "{text}"
    );
    assert_eq!(netns_labels(&text, "rss_doctor_findings"), read, "{text}");
}
