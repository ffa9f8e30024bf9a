//! rss under churn (issue #13): inside a private namespace, TCP and unix
//! connections are opened and closed without pause, by threads and by
//! short-lived forked processes, while rss dumps a fixed number of times,
//! with and without `-p -i -e -m` and a filter. Every dump must exit 0
//! with an empty stderr, every row must be well-formed, and every process
//! shown holding a socket must really hold it: `users:((…,pid=P,fd=F))`
//! is checked against the processes' real descriptors right after the
//! dump (fd F of pid P is `socket:[INODE]` of the row), and the two
//! long-lived listeners are shown at their exact fds. A vanished process
//! is accepted only for the test's own short-lived children.
//!
//! Nothing here depends on the machine's speed: the generator's work is
//! counted, not timed. Dump `i` starts once the generator has completed
//! `i × CONNS_PER_DUMP` connections and `i × FORKS_PER_DUMP` forked
//! children (a liveness wait with a generous bound, named when it fails).
//!
//! inet_diag does not set `NLM_F_DUMP_INTR`: under churn a dump may show a
//! socket twice or miss one (the kernel walks its hash tables in batches and
//! sockets move between them). The test therefore checks each row, never
//! the exact set of rows.

use std::collections::HashSet;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use socket2::{Domain, SockAddr, Socket, Type};
use testkit::{NetNs, require_privileged};

/// How many times rss dumps while the churn runs.
const DUMPS: usize = 270;
/// Connections the generator completes (cumulatively) before each dump.
const CONNS_PER_DUMP: u64 = 10;
/// Children forked (cumulatively) before each dump.
const FORKS_PER_DUMP: u64 = 1;
/// Liveness bound of the wait for the generator before one dump.
const GENERATOR_WAIT: Duration = Duration::from_secs(60);

/// The forking thread's name, and so its children's command name.
const FORKER: &str = "rss-churn-fork";

const TCP_STATES: &[&str] = &[
    "ESTAB",
    "SYN-SENT",
    "SYN-RECV",
    "FIN-WAIT-1",
    "FIN-WAIT-2",
    "TIME-WAIT",
    "UNCONN",
    "CLOSE-WAIT",
    "LAST-ACK",
    "LISTEN",
    "CLOSING",
];

/// The sockets this process closed since the current dump started, as
/// `(fd, inode)`. This process's churning sockets are closed only by
/// [`close`], which logs and closes under the lock, and each dump starts by
/// emptying the log under the same lock ([`start_dump`]). So a row that
/// shows this process holding inode I at fd F is true exactly when, right
/// after the dump, fd F still holds I or (F, I) is in the log.
type ClosedLog = Arc<Mutex<HashSet<(u32, u64)>>>;

fn inode_of(fd: RawFd) -> u64 {
    // SAFETY: fstat on an open descriptor into a zeroed stat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::fstat(fd, &mut st) }, 0, "fstat {fd}");
    st.st_ino
}

/// Closes a socket of this process, logging it first (see [`ClosedLog`]).
fn close<S: AsRawFd>(held: &ClosedLog, s: S) {
    let fd = s.as_raw_fd();
    let ino = inode_of(fd);
    let mut log = held.lock().unwrap();
    log.insert((fd as u32, ino));
    drop(s);
    drop(log);
}

/// Called before each dump: from now on the log holds what closes during
/// and after it.
fn start_dump(held: &ClosedLog) {
    held.lock().unwrap().clear();
}

/// The socket inode fd `fd` of `pid` holds now, if any.
fn fd_inode(pid: u32, fd: u32) -> Option<u64> {
    let link = std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).ok()?;
    link.to_str()?
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// True when `pid` is gone or exiting: an exiting process releases its
/// whole fd table before it becomes a zombie, so its `/proc/PID/fd` is
/// unreadable or empty. (A live child always holds the sockets it
/// inherited, so its table is never empty.)
fn exited(pid: u32) -> bool {
    match std::fs::read_dir(format!("/proc/{pid}/fd")) {
        Err(_) => true,
        Ok(mut d) => d.next().is_none(),
    }
}

struct Churn {
    stop: Arc<AtomicBool>,
    connections: Arc<AtomicU64>,
    forks: Arc<AtomicU64>,
    /// Forks begun: counted just before `fork()`, where `forks` counts a
    /// child once its pid is in `children`.
    started: Arc<AtomicU64>,
    children: Arc<Mutex<HashSet<u32>>>,
    held: ClosedLog,
    /// The TCP and unix listeners' fds (held for the whole test, inherited
    /// at the same numbers by every forked child).
    listen_fd: u32,
    ulisten_fd: u32,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Churn {
    fn stop(mut self) -> (u64, u64) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            t.join().unwrap();
        }
        (
            self.connections.load(Ordering::SeqCst),
            self.forks.load(Ordering::SeqCst),
        )
    }

    /// Waits until the generator has done at least `conns` connections and
    /// `forks` forks.
    fn wait_for(&self, conns: u64, forks: u64, dump: usize) {
        let start = Instant::now();
        loop {
            let (c, f) = (
                self.connections.load(Ordering::Relaxed),
                self.forks.load(Ordering::Relaxed),
            );
            if c >= conns && f >= forks {
                return;
            }
            assert!(
                start.elapsed() < GENERATOR_WAIT,
                "before dump {dump}: the churn generator did not reach {conns} connections \
                 and {forks} forks within {GENERATOR_WAIT:?} (at {c} and {f})"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The pids of the children forked so far, once every fork begun
    /// before this call has recorded its child: a child that rss saw
    /// existed before rss ended, so its fork began before this call.
    fn children_now(&self, dump: usize) -> HashSet<u32> {
        let begun = self.started.load(Ordering::SeqCst);
        let start = Instant::now();
        while self.forks.load(Ordering::SeqCst) < begun {
            assert!(
                start.elapsed() < GENERATOR_WAIT,
                "after dump {dump}: the forker did not record the pids of the {begun} forks \
                 it began within {GENERATOR_WAIT:?}"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        self.children.lock().unwrap().clone()
    }
}

/// Closes with RST (SO_LINGER 0) so that no TIME-WAIT piles up and the
/// ephemeral ports last.
fn abort(s: &TcpStream) {
    // A peer's reset may have closed it already: nothing left to do then.
    let _ = socket2::SockRef::from(s).set_linger(Some(Duration::ZERO));
}

/// A TCP connection; a socket whose connect fails is closed through
/// [`close`] (a dump may have seen it).
fn tcp_connect(held: &ClosedLog, to: SocketAddr) -> Option<TcpStream> {
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    match s.connect(&to.into()) {
        Ok(()) => Some(s.into()),
        Err(_) => {
            close(held, s);
            None
        }
    }
}

/// A unix connection, as [`tcp_connect`].
fn unix_connect(held: &ClosedLog, to: &SockAddr) -> Option<UnixStream> {
    let s = Socket::new(Domain::UNIX, Type::STREAM, None).unwrap();
    match s.connect(to) {
        Ok(()) => Some(s.into()),
        Err(_) => {
            close(held, s);
            None
        }
    }
}

/// Starts the churn; must be called on the namespace thread (threads and
/// processes it starts inherit the namespace).
fn start_churn(tcp: SocketAddr, unix_path: std::path::PathBuf) -> Churn {
    let stop = Arc::new(AtomicBool::new(false));
    let connections = Arc::new(AtomicU64::new(0));
    let forks = Arc::new(AtomicU64::new(0));
    let started = Arc::new(AtomicU64::new(0));
    let children = Arc::new(Mutex::new(HashSet::new()));
    let held: ClosedLog = Arc::default();
    let mut threads = Vec::new();

    let listener = TcpListener::bind(tcp).unwrap();
    listener.set_nonblocking(true).unwrap();
    let ulistener = UnixListener::bind(&unix_path).unwrap();
    ulistener.set_nonblocking(true).unwrap();
    let (listen_fd, ulisten_fd) = (listener.as_raw_fd() as u32, ulistener.as_raw_fd() as u32);
    // Acceptors: take connections, keep a few for a while, drop the rest.
    {
        let (stop, held) = (stop.clone(), held.clone());
        threads.push(std::thread::spawn(move || {
            let mut kept = std::collections::VecDeque::new();
            let mut ukept = std::collections::VecDeque::new();
            while !stop.load(Ordering::Relaxed) {
                let mut idle = true;
                while let Ok((s, _)) = listener.accept() {
                    idle = false;
                    kept.push_back(s);
                    if kept.len() > 50 {
                        let old = kept.pop_front().unwrap();
                        abort(&old);
                        close(&held, old);
                    }
                }
                while let Ok((s, _)) = ulistener.accept() {
                    idle = false;
                    ukept.push_back(s);
                    if ukept.len() > 50 {
                        close(&held, ukept.pop_front().unwrap());
                    }
                }
                if idle {
                    std::thread::sleep(Duration::from_micros(200));
                }
            }
        }));
    }
    // Connectors: TCP and unix, open and close without pause.
    let uaddr = SockAddr::unix(&unix_path).unwrap();
    for i in 0..4 {
        let (stop, connections, held, uaddr) = (
            stop.clone(),
            connections.clone(),
            held.clone(),
            uaddr.clone(),
        );
        threads.push(std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                if let Some(s) = tcp_connect(&held, tcp) {
                    // Most close with RST; every 16th closes normally
                    // (FIN-WAIT, TIME-WAIT on the way out).
                    if !n.is_multiple_of(16) {
                        abort(&s);
                    }
                    close(&held, s);
                    connections.fetch_add(1, Ordering::Relaxed);
                }
                if let Some(u) = unix_connect(&held, &uaddr) {
                    close(&held, u);
                    connections.fetch_add(1, Ordering::Relaxed);
                }
                if (n + i).is_multiple_of(4) {
                    let (a, b) = UnixStream::pair().unwrap();
                    close(&held, a);
                    close(&held, b);
                }
                n += 1;
            }
        }));
    }
    // Forkers: a child process connects (TCP and unix), holds its sockets
    // for a moment and exits; the parent reaps it.
    {
        let (stop, forks, children) = (stop.clone(), forks.clone(), children.clone());
        let started = started.clone();
        let upath = std::ffi::CString::new(unix_path.to_str().unwrap()).unwrap();
        // Forked children take this thread's name as their command name.
        let forker = std::thread::Builder::new().name(FORKER.into());
        threads.push(
            forker
                .spawn(move || {
                    let SocketAddr::V4(v4) = tcp else {
                        unreachable!()
                    };
                    let sin = libc::sockaddr_in {
                        sin_family: libc::AF_INET as u16,
                        sin_port: v4.port().to_be(),
                        sin_addr: libc::in_addr {
                            s_addr: u32::from(*v4.ip()).to_be(),
                        },
                        sin_zero: [0; 8],
                    };
                    // SAFETY: sockaddr_un is plain data.
                    let mut sun: libc::sockaddr_un = unsafe { std::mem::zeroed() };
                    sun.sun_family = libc::AF_UNIX as u16;
                    for (d, s) in sun.sun_path.iter_mut().zip(upath.as_bytes()) {
                        *d = *s as libc::c_char;
                    }
                    while !stop.load(Ordering::Relaxed) {
                        started.fetch_add(1, Ordering::SeqCst);
                        // SAFETY: the child calls only async-signal-safe functions
                        // (socket, connect, nanosleep, _exit) on memory prepared
                        // before the fork.
                        let pid = unsafe { libc::fork() };
                        if pid == 0 {
                            unsafe {
                                let t = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
                                libc::connect(
                                    t,
                                    (&sin as *const libc::sockaddr_in).cast(),
                                    std::mem::size_of::<libc::sockaddr_in>() as u32,
                                );
                                let u = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
                                libc::connect(
                                    u,
                                    (&sun as *const libc::sockaddr_un).cast(),
                                    std::mem::size_of::<libc::sockaddr_un>() as u32,
                                );
                                let ts = libc::timespec {
                                    tv_sec: 0,
                                    tv_nsec: 2_000_000,
                                };
                                libc::nanosleep(&ts, std::ptr::null_mut());
                                libc::_exit(0);
                            }
                        }
                        assert!(pid > 0, "fork failed");
                        children.lock().unwrap().insert(pid as u32);
                        forks.fetch_add(1, Ordering::SeqCst);
                        let mut status = 0;
                        // SAFETY: reaping our own child.
                        unsafe { libc::waitpid(pid, &mut status, 0) };
                    }
                })
                .unwrap(),
        );
    }
    Churn {
        stop,
        connections,
        forks,
        started,
        children,
        held,
        listen_fd,
        ulisten_fd,
        threads,
    }
}

/// One `users:` entry.
struct Holder<'a> {
    name: &'a str,
    pid: u32,
    tid: Option<&'a str>,
    fd: u32,
}

/// Parses one `users:((…),(…))` field; empty when the row has none.
fn holders(row: &str) -> Vec<Holder<'_>> {
    let Some(i) = row.find("users:((") else {
        return Vec::new();
    };
    let users = &row[i + 8..];
    let end = users
        .find("))")
        .unwrap_or_else(|| panic!("unclosed users: {row}"));
    let mut v = Vec::new();
    for entry in users[..end].split("),(") {
        // "name",pid=N,fd=M or "name",pid=N,tid=T,fd=M
        let mut parts = entry.split(',');
        let name = parts.next().unwrap();
        let pid: u32 = parts
            .next()
            .and_then(|p| p.strip_prefix("pid="))
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("bad pid in {row}"));
        let mut next = parts.next();
        let tid = next.and_then(|p| p.strip_prefix("tid="));
        if tid.is_some() {
            next = parts.next();
        }
        let fd: u32 = next
            .and_then(|p| p.strip_prefix("fd="))
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("bad fd in {row}"));
        v.push(Holder { name, pid, tid, fd });
    }
    v
}

/// What the checks of one dump know about this test's processes.
struct World<'a> {
    me: u32,
    comm: &'a str,
    children: &'a HashSet<u32>,
    held: &'a ClosedLog,
}

impl World<'_> {
    /// Checks that `pid` really holds socket `inode` at `fd`: read from
    /// `/proc` right after the dump. This process's own sockets come and go
    /// (and fds are reused) while the dump runs: a socket closed since is
    /// in the [`ClosedLog`]. A child may have exited since the dump (all
    /// its fds at once); a child that has not must hold the socket at that
    /// fd still (a child never closes a descriptor before it exits).
    fn check_fd(&self, pid: u32, fd: u32, inode: u64, row: &str) {
        // Read /proc first: a socket closed after this read is logged
        // before the log is read below.
        let now = fd_inode(pid, fd);
        if now == Some(inode) {
            return;
        }
        if pid == self.me {
            assert!(
                self.held.lock().unwrap().contains(&(fd, inode)),
                "this process did not hold socket {inode} at fd {fd} during the dump \
                 (fd {fd} holds {now:?}): {row}"
            );
        } else {
            assert!(
                now.is_none() && exited(pid),
                "child {pid} does not hold socket {inode} at fd {fd} (it holds {now:?}): {row}"
            );
        }
    }

    /// Checks a row's holders: each is this process or one of its children,
    /// under the right name, and really holds the row's socket at its fd.
    /// `listener`: the fd that every holder of this row must show.
    fn check_holders(&self, row: &str, inode: Option<u64>, listener: Option<u32>) -> usize {
        let hs = holders(row);
        for h in &hs {
            // -T names each thread: this process's threads have names of their own.
            // A forked child can exit between the walk reading its fd link and
            // its `comm`: the name is then empty (ss prints an empty name too).
            // The pid must still be one of our children (checked below).
            let exited_child = h.pid != self.me && h.name == "\"\"";
            if (h.pid != self.me || h.tid.is_none()) && !exited_child {
                let want = if h.pid == self.me { self.comm } else { FORKER };
                assert_eq!(h.name, format!("\"{want}\""), "wrong holder name in {row}");
            }
            assert!(
                h.pid == self.me || self.children.contains(&h.pid),
                "holder pid {} is neither this test ({}) nor one of its children: {row}",
                h.pid,
                self.me
            );
            if let Some(l) = listener {
                assert_eq!(h.fd, l, "a listener's holder at the wrong fd: {row}");
            }
            let inode = inode.unwrap_or_else(|| panic!("a row with holders and no inode: {row}"));
            self.check_fd(h.pid, h.fd, inode, row);
        }
        hs.len()
    }
}

fn is_num(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks every row of one `-H` table dump; returns the rows with holders
/// and how many of them are the listeners (with this process among their
/// holders).
fn check_table(args: &[&str], out: &str, w: &World, c: &Churn, upath: &str) -> (usize, usize) {
    let unix = args.iter().any(|a| a.contains('x'));
    // With one state selected, ss (and rss) leave out the State column.
    let one_state = args.contains(&"state");
    let procs = args.iter().any(|a| a.starts_with('-') && a.contains('p'));
    let (mut with_holders, mut listeners) = (0, 0);
    for row in out.lines() {
        let mut t: Vec<&str> = row.split_whitespace().collect();
        if one_state {
            t.insert(usize::from(unix), "ESTAB");
        }
        let (state, rq, sq, inode, listener) = if unix {
            assert!(t.len() >= 8, "rss {args:?}: short row {row:?}");
            assert!(t[0].starts_with("u_"), "rss {args:?}: {row:?}");
            let inode = t[5].parse().ok();
            let listener = (t[4] == upath && t[1] == "LISTEN").then_some(c.ulisten_fd);
            (t[1], t[2], t[3], inode, listener)
        } else {
            assert!(t.len() >= 5, "rss {args:?}: short row {row:?}");
            assert!(
                t[3].contains(':') && t[4].contains(':'),
                "rss {args:?}: {row:?}"
            );
            let inode = t
                .iter()
                .find_map(|x| x.strip_prefix("ino:"))
                .and_then(|i| i.parse().ok());
            let listener = (t[0] == "LISTEN" && t[3] == "127.0.0.1:7777").then_some(c.listen_fd);
            (t[0], t[1], t[2], inode, listener)
        };
        assert!(
            TCP_STATES.contains(&state),
            "rss {args:?}: state in {row:?}"
        );
        // Recv-Q is never negative. Send-Q is `write_seq - snd_una`, which
        // ss prints as an int (`%d`): while connect() sets a socket up, the
        // kernel has hashed it in SYN-SENT with its initial sequence number
        // in write_seq before snd_una is set, so that difference can be any
        // int there, negative too (as ss prints it).
        let send_q_ok = is_num(sq) || (state == "SYN-SENT" && sq.parse::<i32>().is_ok());
        assert!(is_num(rq) && send_q_ok, "rss {args:?}: queues in {row:?}");
        let n = w.check_holders(row, inode, listener);
        if n > 0 {
            with_holders += 1;
        }
        if listener.is_some() && procs {
            assert!(
                row.contains(&format!("pid={},", w.me)),
                "rss {args:?}: a listener without this process as holder: {row}"
            );
            listeners += 1;
        }
    }
    (with_holders, listeners)
}

/// Checks the `-j -p` dump: the same holder checks on `processes`.
fn check_json(out: &str, w: &World, c: &Churn) -> (usize, usize) {
    let v: serde_json::Value =
        serde_json::from_str(out).unwrap_or_else(|e| panic!("bad JSON ({e}): {out:.300}"));
    let arr = v.as_array().expect("a JSON array");
    let mut listeners = 0;
    for s in arr {
        let state = s["state"]
            .as_str()
            .unwrap_or_else(|| panic!("no state: {s}"));
        assert!(s["local"]["port"].is_u64(), "{s}");
        let inode = s["inode"]
            .as_u64()
            .unwrap_or_else(|| panic!("no inode: {s}"));
        let listener = state == "listen" && s["local"]["port"] == 7777;
        let procs = s["processes"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        for p in procs {
            let pid = p["pid"].as_u64().unwrap_or_else(|| panic!("{s}")) as u32;
            let fd = p["fd"].as_u64().unwrap_or_else(|| panic!("{s}")) as u32;
            assert!(
                pid == w.me || w.children.contains(&pid),
                "holder pid {pid} is neither this test nor one of its children: {s}"
            );
            if listener {
                assert_eq!(
                    fd, c.listen_fd,
                    "the listener's holder at the wrong fd: {s}"
                );
            }
            w.check_fd(pid, fd, inode, &s.to_string());
        }
        if listener {
            assert!(
                procs.iter().any(|p| p["pid"] == w.me),
                "the listener without this process as holder: {s}"
            );
            listeners += 1;
        }
    }
    (arr.len(), listeners)
}

#[test]
fn dumps_under_churn() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let ns_path = ns.path();
    let tcp: SocketAddr = "127.0.0.1:7777".parse().unwrap();
    let unix_path = std::env::temp_dir().join(format!("rss-churn-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&unix_path);
    let up = unix_path.clone();
    let churn = ns.run(move || start_churn(tcp, up));
    let me = std::process::id();
    let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
    let comm = comm.trim_end().to_string();
    let upath = unix_path.to_str().unwrap().to_string();

    let ns_arg = ns_path.to_str().unwrap().to_string();
    // Each `-p` variant shows inodes (`-e`, or the unix local port), so
    // that every holder can be checked against /proc.
    let variants: Vec<Vec<&str>> = vec![
        vec!["-tanH"],
        vec!["-tanHpe"],
        vec!["-tanHpiemO"],
        vec!["-xanHp"],
        vec![
            "-tanHpe", "dport", "=", ":7777", "or", "sport", "=", ":7777",
        ],
        vec!["-tanHpiemO", "state", "established", "sport", "=", ":7777"],
        vec!["-tanHpeT"],
        vec!["-tanj", "-p", "-i", "-e", "-m"],
        vec!["-xanHpe"],
    ];
    let mut rows = 0usize;
    let mut held = 0usize;
    let mut listeners = 0usize;
    for dump in 0..DUMPS {
        let i = dump as u64 + 1;
        churn.wait_for(i * CONNS_PER_DUMP, i * FORKS_PER_DUMP, dump);
        let args = &variants[dump % variants.len()];
        start_dump(&churn.held);
        let mut child = Command::new(env!("CARGO_BIN_EXE_rss"))
            .args(["-N", &ns_arg])
            .args(args)
            .env_remove("TCPDIAG_FILE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "dump {dump} rss {args:?}: {err}");
        assert!(err.is_empty(), "dump {dump} rss {args:?}: {err}");
        // Pids are recorded right after fork returns: a child shown by rss
        // may be recorded a moment after rss saw it (its forker preempted
        // between fork and the record, on a busy machine).
        let children = churn.children_now(dump);
        let world = World {
            me,
            comm: &comm,
            children: &children,
            held: &churn.held,
        };
        let seen = if args.contains(&"-tanj") {
            let (n, l) = check_json(&out, &world, &churn);
            rows += n;
            l
        } else {
            let (h, l) = check_table(args, &out, &world, &churn, &upath);
            rows += out.lines().count();
            held += h;
            l
        };
        // The listeners exist for the whole test: every `-p` dump that
        // selects them shows each (a dump may show a socket twice, never
        // none that lived through it).
        let selects_listener =
            args.iter().any(|a| a.starts_with('-') && a.contains('p')) && !args.contains(&"state");
        if selects_listener {
            assert!(
                seen >= 1,
                "dump {dump} rss {args:?}: no listener row:\n{out}"
            );
        }
        listeners += seen;
    }
    let (connections, forks) = churn.stop();
    let _ = std::fs::remove_file(&unix_path);
    eprintln!(
        "{DUMPS} dumps: {rows} rows ({held} with holders, {listeners} listener rows); \
         {connections} connections, {forks} processes forked"
    );
    assert!(held > 0, "no dump showed a holder: -p was never exercised");
}
