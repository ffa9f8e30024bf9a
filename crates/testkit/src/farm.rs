//! The socket farm: many established loopback TCP pairs in a namespace.
//!
//! A process may hold at most 20,000 open files here, so the pairs live in
//! child processes, each holding at most [`MAX_PAIRS_PER_CHILD`] pairs (two
//! fds per pair) behind a listener port of its own. Children are forked from
//! the namespace thread, so they inherit its namespace; between `fork` and
//! `_exit` they make raw syscalls only (the test process is multithreaded:
//! no allocation, no locks, no std I/O).

use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use crate::NetNs;
use crate::sock;

/// Most pairs one child holds: 18,000 fds plus a few, under the 20,000
/// open-files limit, and well under the ~28,000 connections one
/// (source, destination, port) triple allows.
pub const MAX_PAIRS_PER_CHILD: usize = 9_000;

/// How long [`Farm::start`] waits for every child to report.
pub const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// Backlog of each child's listener: with connect and accept in lockstep
/// the queue never holds more than one connection, but keep it roomy.
const LISTEN_BACKLOG: i32 = 4096;

/// Fds a child needs besides its pairs: stdio, listener, two pipe ends,
/// and margin.
const FD_SLACK: usize = 16;

/// Report stages, the first word of a child's report.
const STAGE_READY: i32 = 0;
const STAGE_PRCTL: i32 = 1;
const STAGE_SOCKET: i32 = 2;
const STAGE_LINGER: i32 = 3;
const STAGE_CONNECT: i32 = 4;
const STAGE_ACCEPT: i32 = 5;

/// A report is `[stage, errno, pairs built]` as native-endian `i32`s,
/// written in one `write` (atomic: shorter than `PIPE_BUF`).
const REPORT_LEN: usize = 12;

/// Established loopback TCP pairs held by child processes in a [`NetNs`].
///
/// Child `i` listens on 127.0.0.1:`ports()[i]` (the LISTEN socket stays
/// open) and holds its share of pairs: for each, a client socket connected
/// from `127.0.0.1:<ephemeral port>` and the accepted socket. `ss -tan state
/// established` in the namespace therefore shows two rows per pair: one
/// with a farm port as local port (accepted side), one with it as peer port
/// (client side). No data is sent; clients have `SO_LINGER` 0 so teardown
/// resets the pairs instead of leaving TIME-WAIT sockets behind.
///
/// Dropping the `Farm` kills (SIGKILL) and reaps every child. The children
/// also die when the [`NetNs`] is dropped (their `PR_SET_PDEATHSIG` fires
/// when the namespace thread that forked them exits): a `Farm` must not
/// outlive its `NetNs`.
///
/// Measured on the 2-core development machine (kernel 6.18): 100,000 pairs
/// (12 children) build in 2.4–3.6 s and tear down (drop) in about 1.2 s;
/// 20,000 pairs build in about 0.5 s. The work is in the kernel, so debug
/// and release builds of the tests take about the same time.
///
/// A million sockets (500,000 pairs, 56 children under the 20,000
/// open-files limit) is what `benches/scale.py` builds: each child connects
/// to its own listener port, so the ~28,000 ephemeral ports of the
/// namespace are shared between children (a client port only has to be
/// unique per destination), and no child needs more than 9,000 of them.
/// Loopback sockets cost the kernel about 4.7 KB each: about 5 GB at 1M.
#[derive(Debug)]
pub struct Farm {
    children: Vec<Child>,
    pids: Vec<i32>,
    ports: Vec<u16>,
    pairs: usize,
}

#[derive(Debug)]
struct Child {
    pid: libc::pid_t,
    port: u16,
    pairs: usize,
    /// The child writes its report here.
    report: io::PipeReader,
    /// Never written: the child blocks reading the other end until it is
    /// closed (or the child is killed).
    _hold: io::PipeWriter,
    reaped: bool,
}

/// Everything a child needs, computed before `fork`.
struct Plan {
    listen: libc::c_int,
    report: libc::c_int,
    hold: libc::c_int,
    /// The three fds above, sorted: every other fd is closed in the child.
    keep: [libc::c_int; 3],
    parent: libc::pid_t,
    target: libc::sockaddr_in,
    pairs: usize,
}

impl Farm {
    /// Builds `pairs` established pairs in `ns` and waits (up to
    /// [`READY_TIMEOUT`]) until every child reports that its share is
    /// complete.
    ///
    /// Pairs are split evenly over `ceil(pairs / per_child)` children, where
    /// `per_child` is [`MAX_PAIRS_PER_CHILD`] (less if `RLIMIT_NOFILE` is
    /// lower). On failure every child already started is killed, and the
    /// error names the child, its port, the failing step and its errno (the
    /// error's kind is the errno's).
    pub fn start(ns: &NetNs, pairs: usize) -> io::Result<Farm> {
        let shares = shares(pairs, pairs_per_child()?);
        let mut farm = ns.run(move || Farm::spawn(&shares))?;
        farm.wait_ready(READY_TIMEOUT)?;
        Ok(farm)
    }

    /// The listener ports on 127.0.0.1, one per child, in child order.
    pub fn ports(&self) -> &[u16] {
        &self.ports
    }

    /// The children's pids, in the order of [`Farm::ports`].
    pub fn pids(&self) -> &[i32] {
        &self.pids
    }

    /// The number of established pairs (each pair is two sockets).
    pub fn pairs(&self) -> usize {
        self.pairs
    }

    /// Forks one child per share; runs on the namespace thread.
    fn spawn(shares: &[usize]) -> io::Result<Farm> {
        let mut farm = Farm {
            children: Vec::with_capacity(shares.len()),
            pids: Vec::with_capacity(shares.len()),
            ports: Vec::with_capacity(shares.len()),
            pairs: 0,
        };
        for &share in shares {
            // On error `farm` is dropped, killing the children forked so far.
            let child = spawn_child(share)?;
            farm.pids.push(child.pid);
            farm.ports.push(child.port);
            farm.pairs += share;
            farm.children.push(child);
        }
        Ok(farm)
    }

    fn wait_ready(&mut self, timeout: Duration) -> io::Result<()> {
        let deadline = Instant::now() + timeout;
        let mut ready = vec![false; self.children.len()];
        loop {
            let pending: Vec<usize> = (0..ready.len()).filter(|&i| !ready[i]).collect();
            if pending.is_empty() {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let pids: Vec<i32> = pending.iter().map(|&i| self.pids[i]).collect();
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "farm: {} of {} children not ready after {timeout:?} (pids {pids:?})",
                        pending.len(),
                        ready.len()
                    ),
                ));
            }
            let mut fds: Vec<libc::pollfd> = pending
                .iter()
                .map(|&i| libc::pollfd {
                    fd: self.children[i].report.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                })
                .collect();
            let ms = left.as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
            // SAFETY: `fds` is a live array of `fds.len()` pollfd structs.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
            if n < 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(err);
            }
            for (pfd, &i) in fds.iter().zip(&pending) {
                if pfd.revents != 0 {
                    self.read_report(i)?;
                    ready[i] = true;
                }
            }
        }
    }

    fn read_report(&mut self, i: usize) -> io::Result<()> {
        let child = &mut self.children[i];
        let mut buf = [0u8; REPORT_LEN];
        if let Err(e) = child.report.read_exact(&mut buf) {
            if e.kind() != io::ErrorKind::UnexpectedEof {
                return Err(e);
            }
            let status = child.reap();
            return Err(io::Error::other(format!(
                "farm child {i} (pid {}, port {}) exited before reporting: {status}",
                child.pid, child.port
            )));
        }
        let word = |k: usize| {
            let mut w = [0u8; 4];
            w.copy_from_slice(&buf[4 * k..4 * k + 4]);
            i32::from_ne_bytes(w)
        };
        let (stage, errno, built) = (word(0), word(1), word(2));
        if stage == STAGE_READY && usize::try_from(built) == Ok(child.pairs) {
            return Ok(());
        }
        let step = match stage {
            STAGE_READY => "counting pairs",
            STAGE_PRCTL => "prctl(PR_SET_PDEATHSIG)",
            STAGE_SOCKET => "socket",
            STAGE_LINGER => "setsockopt(SO_LINGER)",
            STAGE_CONNECT => "connect",
            STAGE_ACCEPT => "accept",
            _ => "unknown step",
        };
        let os = io::Error::from_raw_os_error(errno);
        Err(io::Error::new(
            os.kind(),
            format!(
                "farm child {i} (pid {}, port {}): {step} failed after {built} of {} pairs: {os}",
                child.pid, child.port, child.pairs
            ),
        ))
    }
}

impl Drop for Farm {
    fn drop(&mut self) {
        // Kill everyone first so the children tear down their sockets in
        // parallel, then reap.
        for child in &self.children {
            if !child.reaped {
                // SAFETY: `pid` is our child and not yet reaped, so the pid
                // cannot have been reused by another process.
                unsafe { libc::kill(child.pid, libc::SIGKILL) };
            }
        }
        for child in &mut self.children {
            child.reap();
        }
    }
}

impl Child {
    /// Waits for the child to exit (once) and describes how it ended.
    fn reap(&mut self) -> String {
        if self.reaped {
            return "already reaped".into();
        }
        let mut status = 0;
        loop {
            // SAFETY: waitpid on our own child, writing into `status`.
            let r = unsafe { libc::waitpid(self.pid, &mut status, 0) };
            if r == self.pid {
                break;
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                // ECHILD: someone else reaped it; never wait for it again.
                self.reaped = true;
                return format!("waitpid failed: {err}");
            }
        }
        self.reaped = true;
        if libc::WIFEXITED(status) {
            format!("exit status {}", libc::WEXITSTATUS(status))
        } else if libc::WIFSIGNALED(status) {
            format!("killed by signal {}", libc::WTERMSIG(status))
        } else {
            format!("wait status {status:#x}")
        }
    }
}

/// Splits `pairs` evenly over as few children as `per_child` allows.
fn shares(pairs: usize, per_child: usize) -> Vec<usize> {
    let children = pairs.div_ceil(per_child.max(1));
    (0..children)
        .map(|i| pairs / children + usize::from(i < pairs % children))
        .collect()
}

/// Pairs per child: [`MAX_PAIRS_PER_CHILD`], or less under a lower
/// `RLIMIT_NOFILE` (children inherit it).
fn pairs_per_child() -> io::Result<usize> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the rlimit we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let fds = usize::try_from(lim.rlim_cur).unwrap_or(usize::MAX);
    let per = (fds.saturating_sub(FD_SLACK) / 2).min(MAX_PAIRS_PER_CHILD);
    if per == 0 {
        return Err(io::Error::other(format!(
            "farm: RLIMIT_NOFILE {fds} is too low to hold any pair"
        )));
    }
    Ok(per)
}

/// Forks one child holding `pairs` pairs; runs on the namespace thread.
fn spawn_child(pairs: usize) -> io::Result<Child> {
    let listener = sock::listener(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        LISTEN_BACKLOG,
        None,
    )?;
    let port = sock::local_port(&listener)?;
    let (report_r, report_w) = io::pipe()?;
    let (hold_r, hold_w) = io::pipe()?;
    let mut keep = [
        listener.as_raw_fd(),
        report_w.as_raw_fd(),
        hold_r.as_raw_fd(),
    ];
    keep.sort_unstable();
    let plan = Plan {
        listen: listener.as_raw_fd(),
        report: report_w.as_raw_fd(),
        hold: hold_r.as_raw_fd(),
        keep,
        // SAFETY: getpid has no preconditions.
        parent: unsafe { libc::getpid() },
        target: libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: port.to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from(Ipv4Addr::LOCALHOST).to_be(),
            },
            sin_zero: [0; 8],
        },
        pairs,
    };
    // SAFETY: the child runs `child_main` only, which is written for the
    // state after fork in a multithreaded process and never returns.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: we are the freshly forked child.
        unsafe { child_main(&plan) }
    }
    // The child has its copies; ours would keep its listener alive and its
    // pipes open after it dies.
    drop((listener, report_w, hold_r));
    Ok(Child {
        pid,
        port,
        pairs,
        report: report_r,
        _hold: hold_w,
        reaped: false,
    })
}

/// The body of a farm child. Never returns.
///
/// # Safety
/// Call only in a child just forked by [`spawn_child`], with its plan.
unsafe fn child_main(plan: &Plan) -> ! {
    // SAFETY: we are the only thread of a child forked from a multithreaded
    // process. Everything below is a direct syscall wrapper
    // (async-signal-safe) on fds of the plan or values on this stack; nothing
    // allocates, locks, or can panic; the pointers passed point at live
    // locals or at the plan (fork copied it); and the function ends in
    // `_exit`, so no destructor or atexit handler runs in the child.
    unsafe {
        if libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            0,
            0,
        ) != 0
        {
            child_fail(plan, STAGE_PRCTL, 0);
        }
        // The forking thread may already be gone (the signal would then
        // never come): give up rather than linger forever.
        if libc::getppid() != plan.parent {
            libc::_exit(1);
        }
        close_all_but(&plan.keep);

        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        let target = (&raw const plan.target).cast::<libc::sockaddr>();
        let target_len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let mut built: usize = 0;
        while built < plan.pairs {
            let c = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
            if c < 0 {
                child_fail(plan, STAGE_SOCKET, built);
            }
            if libc::setsockopt(
                c,
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&raw const linger).cast(),
                size_of::<libc::linger>() as libc::socklen_t,
            ) != 0
            {
                child_fail(plan, STAGE_LINGER, built);
            }
            // Blocking connect on loopback: the handshake completes inside
            // the call, and the connection waits in the accept queue.
            if libc::connect(c, target, target_len) != 0 {
                child_fail(plan, STAGE_CONNECT, built);
            }
            while libc::accept4(
                plan.listen,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                libc::SOCK_CLOEXEC,
            ) < 0
            {
                if errno() != libc::EINTR {
                    child_fail(plan, STAGE_ACCEPT, built);
                }
            }
            built += 1;
        }
        child_report(plan, STAGE_READY, 0, built);

        // Hold the sockets until the parent closes the pipe or kills us.
        let mut byte = 0u8;
        loop {
            let n = libc::read(plan.hold, (&raw mut byte).cast(), 1);
            if n == 0 || (n < 0 && errno() != libc::EINTR) {
                libc::_exit(0);
            }
        }
    }
}

/// Reports a failed step with the current errno and exits (child only).
///
/// # Safety
/// As [`child_main`].
unsafe fn child_fail(plan: &Plan, stage: i32, built: usize) -> ! {
    let err = errno();
    // SAFETY: see `child_main`.
    unsafe {
        child_report(plan, stage, err, built);
        libc::_exit(2)
    }
}

/// Writes one report to the parent (child only).
///
/// # Safety
/// As [`child_main`].
unsafe fn child_report(plan: &Plan, stage: i32, err: i32, built: usize) {
    let msg: [i32; 3] = [stage, err, built as i32];
    // SAFETY: `msg` is a live local of exactly REPORT_LEN bytes. A failed
    // write means the parent is gone; there is nobody left to tell.
    unsafe {
        libc::write(plan.report, (&raw const msg).cast(), REPORT_LEN);
    }
}

/// Closes every fd from 3 up except those in `keep` (sorted), so the child
/// does not hold other children's pipes (which would keep them alive) or
/// the test process's files (which count against its fd limit).
///
/// # Safety
/// As [`child_main`].
unsafe fn close_all_but(keep: &[libc::c_int; 3]) {
    let mut from: libc::c_uint = 3;
    for &fd in keep {
        let fd = fd as libc::c_uint;
        if fd > from {
            // SAFETY: close_range only closes fds of this process.
            unsafe { libc::syscall(libc::SYS_close_range, from, fd - 1, 0) };
        }
        if fd >= from {
            from = fd + 1;
        }
    }
    // SAFETY: as above.
    unsafe { libc::syscall(libc::SYS_close_range, from, libc::c_uint::MAX, 0) };
}

/// The calling thread's errno.
fn errno() -> i32 {
    // SAFETY: __errno_location returns a valid pointer to this thread's
    // errno; reading it is async-signal-safe.
    unsafe { *libc::__errno_location() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_even_and_bounded() {
        assert_eq!(shares(0, 9_000), Vec::<usize>::new());
        assert_eq!(shares(1, 9_000), vec![1]);
        assert_eq!(shares(9_000, 9_000), vec![9_000]);
        assert_eq!(shares(9_001, 9_000), vec![4_501, 4_500]);
        assert_eq!(shares(20_000, 9_000), vec![6_667, 6_667, 6_666]);
        let big = shares(100_000, 9_000);
        assert_eq!(big.len(), 12);
        assert_eq!(big.iter().sum::<usize>(), 100_000);
        assert!(big.iter().all(|&s| (8_333..=8_334).contains(&s)));
    }

    #[test]
    fn per_child_respects_the_fd_limit() {
        let per = pairs_per_child().unwrap();
        assert!((1..=MAX_PAIRS_PER_CHILD).contains(&per));
    }
}
