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
        // Bound but neither listening nor connected (UNCONN in ss 7.1).
        let b = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        b.bind(&addr("127.0.0.1:6000").into()).unwrap();
        held.push(Box::new(b));
        // CLOSE-WAIT (server side) after the client closed first.
        let cw = listener(addr("127.0.0.1:9100"), 4, None).unwrap();
        let c = connect(addr("127.0.0.1:9100")).unwrap();
        let (s, _) = cw.accept().unwrap();
        drop(c);
        held.push(Box::new(cw));
        held.push(Box::new(s));
        // Raw ICMP and packet sockets.
        held.push(Box::new(
            socket2::Socket::new(
                socket2::Domain::IPV4,
                socket2::Type::RAW,
                Some(socket2::Protocol::ICMPV4),
            )
            .unwrap(),
        ));
        held.push(Box::new(
            socket2::Socket::new(
                socket2::Domain::PACKET,
                socket2::Type::RAW,
                Some(socket2::Protocol::from(i32::from(0x0003u16.to_be()))),
            )
            .unwrap(),
        ));
        // A netlink socket of this (long-named) process, so that the diag
        // tools' own rows never set the Local Address width.
        held.push(Box::new(netlink_route()));
        held
    });
    let w = World {
        ns,
        _held: held,
        unix_path,
    };
    // Settled: the TIME-WAIT socket is there, the FIN of the CLOSE-WAIT
    // pair acknowledged (no FIN-WAIT-1 left), and the kernel's deferred
    // rehash of the netlink table (which reorders its rows) done.
    assert!(
        wait_until(Duration::from_secs(30), || {
            let t = rss(&w, &["-tanH"]);
            t.lines().any(|l| l.starts_with("TIME-WAIT")) && !t.contains("FIN-WAIT-1")
        }),
        "no TIME-WAIT socket appeared"
    );
    std::thread::sleep(Duration::from_millis(100));
    w
}

/// Held while a child process is started and run: a process forked by
/// another test of this binary, not yet exec'd, holds every socket of the
/// world and would show in `-p` (and widen the columns) for one run only.
pub fn spawn_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A bound NETLINK_ROUTE socket.
fn netlink_route() -> std::os::fd::OwnedFd {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket(2); the fd is checked and owned below.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_ROUTE,
        )
    };
    assert!(
        fd >= 0,
        "netlink socket: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: fd is a fresh socket owned by nobody else.
    let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
    // SAFETY: sockaddr_nl is plain data; zero asks the kernel for a port.
    let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    sa.nl_family = libc::AF_NETLINK as u16;
    use std::os::fd::AsRawFd;
    // SAFETY: a valid socket and a sockaddr_nl of the size given.
    let r = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&sa as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as u32,
        )
    };
    assert_eq!(r, 0, "netlink bind: {}", std::io::Error::last_os_error());
    fd
}

pub fn rss(w: &World, args: &[&str]) -> String {
    let _g = spawn_lock();
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

/// Runs rss in the world's namespace with extra environment.
pub fn rss_env(w: &World, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let _g = spawn_lock();
    let mut c = Command::new(env!("CARGO_BIN_EXE_rss"));
    c.arg("-N").arg(w.ns.path()).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

// ---------------------------------------------------------------------------
// The ss 7.1 oracle: byte-for-byte comparison.

/// Where a tool's stdout goes: a pipe, or a pseudo-terminal this wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Out {
    /// A pipe (`| cat`): `ss`'s compact output.
    Piped,
    /// A terminal of this many columns: spare width spread over columns.
    Tty(u16),
}

/// Every differential comparison is made in these three ways.
pub const OUTPUTS: [Out; 3] = [Out::Piped, Out::Tty(80), Out::Tty(200)];

/// What differs by nature between two runs of a socket tool, and only
/// that: each item is masked in both outputs before they are compared
/// byte for byte. docs/differences.md lists the same.
pub const MASKED: &[(&str, &str)] = &[
    (
        "own netlink socket",
        "the row of the diag tool's own netlink socket (a netlink row: \
         `nl` or in a netlink-only table, local `tcpdiag:ss/PID`, \
         `tcpdiag:rss/PID` or with -n `4:PID`), removed: each tool sees \
         itself, with its own name, port id (which also places the row) \
         and queue",
    ),
    (
        "netlink row order",
        "the order of netlink rows among themselves (compared sorted): the \
         kernel's netlink socket tables are hash tables shared by every \
         namespace, resized as other namespaces come and go",
    ),
    (
        "timer expiry",
        "the middle field of `timer:(NAME,EXPIRY,N)`: it counts down \
         between the two runs",
    ),
    (
        "ages",
        "`lastsnd:`, `lastrcv:`, `lastack:` and MPTCP's `last_data_sent:`, \
         `last_data_recv:`, `last_ack_recv:` (ms since the last segment): \
         they grow between the two runs",
    ),
    (
        "trailing blanks",
        "the count of blanks ending a line, by at most the largest \
         difference in length of the ages and timer expiries masked in one \
         row of the two outputs (none when they have the same lengths): ss \
         pads the last column of every row to its longest value, so a \
         masked value one byte longer pads its own row one less, or, in \
         the longest row, every other row one more",
    ),
    (
        "program name",
        "the `ss: ` / `rss: ` that starts a message on stderr",
    ),
    (
        "diag module note",
        "rss's stderr line for a table the kernel has no diag module for \
         (`rss: vsock: this kernel has no diag module for it; no sockets \
         shown`, from a probe of the kernel): ss says nothing",
    ),
    (
        "cgroup2 notice",
        "ss 7.1's `Failed to find cgroup2 mount` line on stderr where no \
         cgroup2 file system is mounted (a property of the test machine)",
    ),
];

/// A tool's stdout after [`MASKED`]: the text, and for each of its lines
/// how many bytes the masked values on it had beyond their `*`.
#[derive(Default)]
pub struct Masked {
    pub text: String,
    removed: Vec<usize>,
}

impl Masked {
    /// The bytes removed per row: a row is a line not starting with a tab
    /// and the tab-led detail lines (`-i`, `-m`, `-e`) after it, which ss
    /// renders as one token of its last column.
    fn removed_per_row(&self) -> Vec<usize> {
        let mut rows: Vec<usize> = Vec::new();
        for (l, n) in self.text.split_inclusive('\n').zip(&self.removed) {
            match rows.last_mut() {
                Some(r) if l.starts_with('\t') => *r += n,
                _ => rows.push(*n),
            }
        }
        rows
    }
}

/// Splits a line into what it shows and the count of blanks ending it.
fn content_and_trail(l: &str) -> (&str, usize) {
    let body = l.strip_suffix('\n').unwrap_or(l);
    let shown = body.trim_end_matches(' ');
    (shown, body.len() - shown.len())
}

/// Whether line `a` of one output and line `b` of the other are alike after
/// [`MASKED`]: the same bytes, except that the blanks ending them may differ
/// by at most `slack` (see "trailing blanks").
fn lines_alike(a: &str, b: &str, slack: usize) -> bool {
    let ((sa, ta), (sb, tb)) = (content_and_trail(a), content_and_trail(b));
    sa == sb && a.ends_with('\n') == b.ends_with('\n') && ta.abs_diff(tb) <= slack
}

impl Masked {
    /// How many trailing blanks may differ between the two outputs: ss pads
    /// the rows' last column to its longest value, so a masked value that is
    /// `k` bytes longer in one output moves the padding of its own row, and
    /// when it makes that row the longest, of every row, by up to `k`. Zero
    /// when every masked value has the same length in both outputs.
    fn slack(&self, other: &Masked) -> usize {
        let (a, b) = (self.removed_per_row(), other.removed_per_row());
        a.iter()
            .zip(&b)
            .map(|(x, y)| x.abs_diff(*y))
            .max()
            .unwrap_or(0)
    }

    /// The index of the first line where the two outputs are not alike.
    pub fn first_difference(&self, other: &Masked) -> Option<usize> {
        let slack = self.slack(other);
        let (a, b): (Vec<&str>, Vec<&str>) = (
            self.text.split_inclusive('\n').collect(),
            other.text.split_inclusive('\n').collect(),
        );
        (0..a.len().max(b.len())).find(|&i| match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) => !lines_alike(x, y, slack),
            _ => true,
        })
    }
}

impl PartialEq for Masked {
    fn eq(&self, other: &Masked) -> bool {
        self.first_difference(other).is_none()
    }
}

impl Eq for Masked {}

impl std::fmt::Debug for Masked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.text, f)
    }
}

impl std::fmt::Display for Masked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::ops::Deref for Masked {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

/// Applies [`MASKED`] to the stdout of the tool whose process id was `pid`;
/// `nl_only`: every row is a netlink socket's (no Netid column to tell).
pub fn mask(text: &str, pid: u32, nl_only: bool) -> Masked {
    let text = sort_netlink_rows(text, nl_only);
    let text = text.as_str();
    let pid = pid.to_string();
    let mut out = Masked {
        text: String::with_capacity(text.len()),
        removed: Vec::new(),
    };
    for line in text.split_inclusive('\n') {
        let mut l = line.to_string();
        let mut removed = 0;
        let toks = token_offsets(line);
        // own netlink socket: a netlink row whose address is `PROTO:NAME/PID`
        // or, with -n, `PROTO:PID` (only netlink rows: a TCP or UDP port can
        // be the same number as the tool's pid)
        let netlink_row = if nl_only {
            !line.contains("Local Address")
        } else {
            line.starts_with("nl ")
        };
        let own = netlink_row
            && toks.iter().any(|(_, t)| {
                t.split_once(':').is_some_and(|(_, r)| {
                    r == pid
                        || r.strip_prefix("rss/")
                            .or_else(|| r.strip_prefix("ss/"))
                            .is_some_and(|p| p == pid)
                })
            });
        if own {
            continue;
        }
        // timer expiry
        let mut from = 0;
        while let Some(p) = l[from..].find("timer:(") {
            let start = from + p + "timer:(".len();
            let Some(c1) = l[start..].find(',') else {
                break;
            };
            let a = start + c1 + 1;
            let Some(c2) = l[a..].find(',') else { break };
            l.replace_range(a..a + c2, "*");
            removed += c2.saturating_sub(1);
            from = a;
        }
        // ages
        for key in [
            "lastsnd:",
            "lastrcv:",
            "lastack:",
            "last_data_sent:",
            "last_data_recv:",
            "last_ack_recv:",
        ] {
            if let Some(p) = l.find(key) {
                let a = p + key.len();
                let n = l[a..].bytes().take_while(|b| b.is_ascii_digit()).count();
                l.replace_range(a..a + n, "*");
                removed += n.saturating_sub(1);
            }
        }
        out.text.push_str(&l);
        out.removed.push(removed);
    }
    out
}

/// Sorts each run of consecutive netlink rows (whole lines).
fn sort_netlink_rows(text: &str, nl_only: bool) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let is_nl = |i: usize, l: &str| {
        if nl_only {
            i > 0 || !l.contains("Local Address")
        } else {
            l.starts_with("nl ")
        }
    };
    let mut out = Vec::with_capacity(lines.len());
    let mut run: Vec<&str> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if is_nl(i, l) {
            run.push(l);
            continue;
        }
        run.sort_unstable();
        out.append(&mut run);
        out.push(l);
    }
    run.sort_unstable();
    out.append(&mut run);
    out.concat()
}

/// Applies [`MASKED`] to one tool's stderr.
pub fn mask_stderr(text: &str) -> String {
    text.split_inclusive('\n')
        .filter(|l| !l.starts_with("Failed to find cgroup2 mount"))
        .filter(|l| !(l.starts_with("rss: ") && l.contains("diag module")))
        .map(
            |l| match l.strip_prefix("rss: ").or_else(|| l.strip_prefix("ss: ")) {
                Some(rest) => format!("<prog>: {rest}"),
                None => l.to_string(),
            },
        )
        .collect()
}

fn token_offsets(l: &str) -> Vec<(usize, &str)> {
    let mut v = Vec::new();
    let mut start = None;
    for (i, b) in l.bytes().enumerate() {
        match (b.is_ascii_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                v.push((s, &l[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        v.push((s, &l[s..]));
    }
    v
}

/// One run of a tool: what it wrote, masked, and how it exited.
#[derive(Debug, PartialEq, Eq)]
pub struct Run {
    pub stdout: Masked,
    pub stderr: String,
    pub code: Option<i32>,
}

/// Runs `prog args` in the namespace `ns`, stdout to `out`, with
/// `COLUMNS` unset and the extra environment `env`.
pub fn run_tool(
    ns: &NetNs,
    prog: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
    out: Out,
) -> Run {
    run_tool_with(ns, prog, args, env, out, |_| {})
}

/// [`run_tool`], with `prep` applied to the command before it starts.
pub fn run_tool_with(
    ns: &NetNs,
    prog: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
    out: Out,
    prep: impl Fn(&mut Command),
) -> Run {
    let mut c = ns.command(prog);
    prep(&mut c);
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    run_command(c, args.iter().any(|a| a.contains("netlink")), out)
}

/// Runs `c` (with `COLUMNS` unset), stdout to `out`; `nl_only` as for
/// [`mask`].
pub fn run_command(mut c: Command, nl_only: bool, out: Out) -> Run {
    let _g = spawn_lock();
    c.env_remove("COLUMNS");
    let prog = std::path::PathBuf::from(c.get_program());
    let (o, pid) = match out {
        Out::Piped => c
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|ch| {
                let pid = ch.id();
                ch.wait_with_output().map(|o| (o, pid))
            }),
        Out::Tty(cols) => testkit::output_on_tty(c, cols),
    }
    .unwrap_or_else(|e| panic!("cannot run {}: {e}", prog.display()));
    Run {
        stdout: mask(&String::from_utf8_lossy(&o.stdout), pid, nl_only),
        stderr: mask_stderr(&String::from_utf8_lossy(&o.stderr)),
        code: o.status.code(),
    }
}

/// The rss binary under test.
pub fn rss_bin() -> std::path::PathBuf {
    env!("CARGO_BIN_EXE_rss").into()
}

/// `rss args` and `oracle args` in the namespace `ns`, in every [`OUTPUTS`] way;
/// returns the first difference found (stdout, stderr or exit status,
/// after [`MASKED`]), or `None` when all are byte-identical.
pub fn oracle_diff(
    ns: &NetNs,
    oracle: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Option<String> {
    for out in OUTPUTS {
        let ours = run_tool(ns, &rss_bin(), args, env, out);
        let theirs = run_tool(ns, oracle, args, env, out);
        if std::env::var_os("RSS_DIFF_SHOW").is_some() {
            eprintln!(
                "--- rss {args:?} {out:?}:\n{}{}--- ss:\n{}{}",
                ours.stdout, ours.stderr, theirs.stdout, theirs.stderr
            );
        }
        if ours != theirs {
            return Some(describe(args, out, &ours, &theirs));
        }
    }
    None
}

pub fn describe(args: &[&str], out: Out, ours: &Run, theirs: &Run) -> String {
    let mut s = format!("rss {args:?} ({out:?}) differs from ss 7.1 after masking:\n");
    if ours.code != theirs.code {
        s += &format!("exit status: rss {:?}, ss {:?}\n", ours.code, theirs.code);
    }
    if ours.stderr != theirs.stderr {
        s += &format!(
            "stderr:\n--- rss:\n{}--- ss:\n{}",
            ours.stderr, theirs.stderr
        );
    }
    if let Some(i) = ours.stdout.first_difference(&theirs.stdout) {
        let (a, b): (Vec<&str>, Vec<&str>) = (
            ours.stdout.lines().collect(),
            theirs.stdout.lines().collect(),
        );
        s += &format!(
            "stdout: first difference at line {}:\nrss: {:?}\nss:  {:?}\n--- rss:\n{}--- ss:\n{}",
            i + 1,
            a.get(i),
            b.get(i),
            ours.stdout,
            theirs.stdout
        );
    }
    s
}

/// Asserts that rss and the oracle write the same bytes for `args`.
pub fn oracle_compare(ns: &NetNs, oracle: &std::path::Path, args: &[&str]) {
    if let Some(d) = oracle_diff(ns, oracle, args, &[]) {
        panic!("{d}");
    }
}

/// Makes sure `rss-exporter` is beside the `rss` under test, where `rss
/// exporter` runs it from. `cargo nextest run --workspace` (and `cargo test
/// --workspace`) build both into one directory; when these tests run
/// alone and it was never built there, it is built (once per process) with
/// the cargo running the tests.
pub fn exporter_beside_rss() {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let dir = std::path::Path::new(env!("CARGO_BIN_EXE_rss"))
            .parent()
            .unwrap();
        if dir.join("rss-exporter").exists() {
            return;
        }
        let mut build = Command::new(env!("CARGO"));
        build.args([
            "build",
            "--quiet",
            "-p",
            "rss-exporter",
            "--bin",
            "rss-exporter",
        ]);
        if dir.ends_with("release") {
            build.arg("--release");
        }
        let o = build.output().expect("run cargo build -p rss-exporter");
        assert!(
            o.status.success(),
            "cargo build -p rss-exporter: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(dir.join("rss-exporter").exists(), "not built in {dir:?}");
    });
}

/// A listener on 127.0.0.1:5000 and two clients bound to fixed ports, all
/// accepted: the same sockets in any namespace this builds.
pub fn pairs(ns: &NetNs) -> Vec<Box<dyn Send>> {
    pairs_on(ns, 5000, [41001, 41002])
}

/// A listener on 127.0.0.1:`port` and two clients bound to `clients`, all
/// accepted.
pub fn pairs_on(ns: &NetNs, port: u16, clients: [u16; 2]) -> Vec<Box<dyn Send>> {
    ns.run(move || {
        use socket2::{Domain, Socket, Type};
        let to: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let l = listener(to, 8, None).unwrap();
        let mut held: Vec<Box<dyn Send>> = Vec::new();
        for port in clients {
            let c = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
            let from: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            c.bind(&from.into()).unwrap();
            c.connect(&to.into()).unwrap();
            let (s, _) = l.accept().unwrap();
            held.push(Box::new(TcpStream::from(c)));
            held.push(Box::new(s));
        }
        held.push(Box::new(l));
        held
    })
}
