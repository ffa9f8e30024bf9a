//! Anonymous network namespaces owned by a dedicated thread.
//!
//! Only that thread enters the namespace: the test's own threads stay in the
//! host namespace, and code runs inside by sending closures to the thread
//! ([`NetNs::run`]) or by starting processes that join it ([`NetNs::command`]).
//! The namespace has no name in `/run/netns`, so a crashed test cannot leave
//! it behind: it vanishes with the last thread, fd or socket that refers to
//! it.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, mpsc};
use std::thread::{self, JoinHandle, ThreadId};

/// The system `ss` that [`NetNs::ss`] runs.
pub const SS_PATH: &str = "/usr/bin/ss";

type Job = Box<dyn FnOnce() + Send + 'static>;

/// A private network namespace, alive as long as this value.
///
/// [`NetNs::new`] spawns a thread that calls `unshare(CLONE_NEWNET)`, brings
/// `lo` up (so 127.0.0.1 and ::1 work at once) and then serves the closures
/// given to [`NetNs::run`].
///
/// Sockets belong to the namespace of the thread that created them, for
/// their whole life: a `TcpListener` created inside [`NetNs::run`] and
/// returned to the caller stays in the namespace wherever it is later used,
/// and connections made from it are namespace connections. Conversely a
/// socket created outside `run` is a host socket.
///
/// Dropping the `NetNs` stops the thread and closes its namespace fd. The
/// namespace itself lives on while anything else still refers to it
/// (sockets made inside, a process started by [`NetNs::command`]), and a
/// [`Farm`](crate::Farm) built in it is killed (its children have
/// `PR_SET_PDEATHSIG` tied to the namespace thread).
pub struct NetNs {
    jobs: mpsc::Sender<Job>,
    thread: Option<JoinHandle<()>>,
    thread_id: ThreadId,
    fd: Arc<OwnedFd>,
}

impl NetNs {
    /// Creates the namespace and its thread.
    ///
    /// Fails if `unshare(CLONE_NEWNET)` is not permitted (not root; see
    /// [`privileged`](crate::privileged)) or `lo` cannot be brought up.
    pub fn new() -> io::Result<NetNs> {
        let (ready_tx, ready_rx) = mpsc::sync_channel::<io::Result<OwnedFd>>(1);
        let (jobs, jobs_rx) = mpsc::channel::<Job>();
        let thread = thread::Builder::new()
            .name("testkit-netns".into())
            .spawn(move || {
                let entered = enter_new_namespace();
                let ok = entered.is_ok();
                if ready_tx.send(entered).is_err() || !ok {
                    return;
                }
                drop(ready_tx);
                // Jobs catch their own panics (see `run`), so this loop ends
                // only when the `NetNs` drops its sender.
                for job in jobs_rx {
                    job();
                }
            })?;
        let thread_id = thread.thread().id();
        match ready_rx.recv() {
            Ok(Ok(fd)) => Ok(NetNs {
                jobs,
                thread: Some(thread),
                thread_id,
                fd: Arc::new(fd),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(io::Error::other("the namespace thread died during setup"))
            }
        }
    }

    /// Runs `f` on the namespace thread and returns its result.
    ///
    /// Calls from different threads are served one at a time, in order. A
    /// panic in `f` is caught on the namespace thread (which keeps serving)
    /// and raised again here as a panic carrying the same message. Calling
    /// `run` from inside a `run` closure runs the inner closure directly.
    pub fn run<F, R>(&self, f: F) -> R
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        if thread::current().id() == self.thread_id {
            return f();
        }
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            let _ = tx.send(panic::catch_unwind(AssertUnwindSafe(f)));
        });
        if self.jobs.send(job).is_err() {
            panic!("NetNs::run: the namespace thread is gone");
        }
        match rx.recv() {
            Ok(Ok(value)) => value,
            Ok(Err(payload)) => {
                panic!("NetNs::run: closure panicked: {}", panic_message(&*payload))
            }
            Err(_) => panic!("NetNs::run: the namespace thread dropped the job"),
        }
    }

    /// A path naming the namespace, for `setns` or `ip netns exec`-like
    /// tools in other processes: `/proc/<pid>/fd/<fd>`, the namespace fd
    /// held by this `NetNs`.
    ///
    /// Valid while the `NetNs` lives; afterwards the fd number may be
    /// reused for anything.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(format!(
            "/proc/{}/fd/{}",
            std::process::id(),
            self.fd.as_raw_fd()
        ))
    }

    /// A [`Command`] whose child process joins the namespace before `exec`.
    ///
    /// The command keeps its own reference to the namespace fd, so it may be
    /// spawned even after the `NetNs` is gone. A process in the namespace
    /// sees the namespace's `/proc/net` and `/proc/sys/net`.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        let fd = Arc::clone(&self.fd);
        let join = move || {
            // SAFETY: setns only changes the calling (child) process's
            // network namespace; `fd` is a namespace fd kept open by the Arc
            // the closure owns. The closure neither allocates nor locks, as
            // required between fork and exec.
            if unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) } == 0 {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        };
        // SAFETY: `join` is async-signal-safe (see above).
        unsafe { cmd.pre_exec(join) };
        cmd
    }

    /// Runs [`SS_PATH`] with `args` in the namespace and returns its stdout.
    ///
    /// # Panics
    /// If `ss` cannot be started or exits unsuccessfully (the panic message
    /// carries its stderr). Guard the test with
    /// [`require_tool!`](macro@crate::require_tool)`("/usr/bin/ss")`.
    pub fn ss(&self, args: &[&str]) -> String {
        let out = self
            .command(SS_PATH)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {SS_PATH}: {e}"));
        if !out.status.success() {
            panic!(
                "{SS_PATH} {args:?} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim_end()
            );
        }
        String::from_utf8(out.stdout)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Runs `sh -c script` in the namespace (for `iptables`, `ip`, `sysctl`
    /// …) and returns its output, whatever its exit status.
    ///
    /// # Panics
    /// If `sh` cannot be started.
    pub fn sh(&self, script: &str) -> Output {
        self.command("sh")
            .arg("-c")
            .arg(script)
            .output()
            .unwrap_or_else(|e| panic!("cannot run sh -c {script:?}: {e}"))
    }

    /// Runs `sh -c script` in the namespace and returns its stdout.
    ///
    /// # Panics
    /// If `sh` cannot be started or the script exits unsuccessfully (the
    /// panic message carries its stderr).
    pub fn sh_ok(&self, script: &str) -> String {
        let out = self.sh(script);
        if !out.status.success() {
            panic!(
                "sh -c {script:?} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim_end()
            );
        }
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Writes `value` to the namespace's sysctl `key`, from the namespace
    /// thread.
    ///
    /// `key` is dotted (`net.ipv4.tcp_syncookies`), slashed
    /// (`net/ipv4/tcp_syncookies`) or a full `/proc/sys/net/…` path. Only
    /// keys under `net.` are accepted: the others are not per-namespace, and
    /// writing them would change the host.
    pub fn sysctl(&self, key: &str, value: &str) -> io::Result<()> {
        let path = sysctl_path(key)?;
        let value = value.to_owned();
        self.run(move || std::fs::write(path, value))
    }

    /// Reads the namespace's sysctl `key` (same spelling as
    /// [`NetNs::sysctl`]), with surrounding whitespace trimmed.
    pub fn read_sysctl(&self, key: &str) -> io::Result<String> {
        let path = sysctl_path(key)?;
        self.run(move || std::fs::read_to_string(path).map(|s| s.trim().to_owned()))
    }
}

impl AsFd for NetNs {
    /// The namespace fd (an `nsfs` file, usable with `setns`).
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl std::fmt::Debug for NetNs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetNs").field("path", &self.path()).finish()
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        // Replacing the only sender ends the thread's job loop.
        let (orphan, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.jobs, orphan));
        if let Some(thread) = self.thread.take() {
            // Never panic in drop: a failed join has nothing left to report.
            let _ = thread.join();
        }
    }
}

/// Runs on the namespace thread: unshare, `lo` up, open the namespace fd.
fn enter_new_namespace() -> io::Result<OwnedFd> {
    // SAFETY: unshare(CLONE_NEWNET) only moves the calling thread (the
    // namespace thread, which nothing else runs on) into a new namespace.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        return Err(with_context(
            io::Error::last_os_error(),
            "unshare(CLONE_NEWNET)",
        ));
    }
    loopback_up().map_err(|e| with_context(e, "bringing lo up"))?;
    let ns = File::open("/proc/thread-self/ns/net")
        .map_err(|e| with_context(e, "opening /proc/thread-self/ns/net"))?;
    Ok(ns.into())
}

/// Sets IFF_UP on `lo` with the SIOCGIFFLAGS/SIOCSIFFLAGS ioctls, as
/// `ip link set lo up` does, without needing the `ip` binary. The ioctls go
/// through a unix socket: an inet one would leave a UDP destroy event
/// behind (sent after an RCU grace period, so possibly after a test of
/// `sock_diag` destroy events has subscribed in the namespace).
fn loopback_up() -> io::Result<()> {
    let sock = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::DGRAM, None)?;
    // SAFETY: ifreq is plain old data (integers, arrays, a raw pointer in a
    // union); all zeroes is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(b"lo") {
        *dst = *src as libc::c_char;
    }
    // SAFETY: both ioctls read `ifr_name` and read or write `ifru_flags` of
    // the ifreq we own, which outlives the calls; `sock` is an open socket.
    unsafe {
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS as _, &mut req) < 0 {
            return Err(io::Error::last_os_error());
        }
        req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS as _, &mut req) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Maps a sysctl key to its `/proc/sys/net/…` file, refusing anything else.
fn sysctl_path(key: &str) -> io::Result<PathBuf> {
    let rel = match key.strip_prefix("/proc/sys/") {
        Some(rel) => rel.to_owned(),
        None if key.contains('/') => key.to_owned(),
        None => key.replace('.', "/"),
    };
    let under_net = rel.starts_with("net/")
        && rel
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    if !under_net {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("sysctl {key:?}: only keys under net. are per-namespace"),
        ));
    }
    Ok(PathBuf::from("/proc/sys").join(rel))
}

fn with_context(err: io::Error, what: &str) -> io::Error {
    io::Error::new(err.kind(), format!("{what}: {err}"))
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(non-string panic payload)"
    }
}

/// `unshare --mount --propagation private sh -c SCRIPT sh ARGS…`: a command
/// that sees its own, empty `/run/netns` (a tmpfs mounted over it in a
/// private mount namespace), runs the shell lines `setup` there (under
/// `set -e`; the caller's first arguments are `$1`, `$2`, … and `setup`
/// `shift`s them off), then `exec`s the remaining arguments. The caller
/// appends the setup's arguments, then the program and its arguments, with
/// [`Command::arg`]/[`Command::args`]. Needs root and `unshare(1)`.
///
/// ```no_run
/// let mut c = testkit::with_private_run_netns("touch /run/netns/x");
/// c.args(["ls", "/run/netns"]);
/// ```
pub fn with_private_run_netns(setup: &str) -> std::process::Command {
    let script =
        format!("set -e\nmount -t tmpfs rss-private-netns /run/netns\n{setup}\nexec \"$@\"");
    let mut c = std::process::Command::new("unshare");
    c.args([
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        &script,
        "sh",
    ]);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctl_keys_map_under_proc_sys_net() {
        let p = |k| sysctl_path(k).map(|p| p.display().to_string());
        assert_eq!(
            p("net.ipv4.tcp_syncookies").unwrap(),
            "/proc/sys/net/ipv4/tcp_syncookies"
        );
        assert_eq!(
            p("net/core/somaxconn").unwrap(),
            "/proc/sys/net/core/somaxconn"
        );
        assert_eq!(
            p("/proc/sys/net/ipv4/ip_local_port_range").unwrap(),
            "/proc/sys/net/ipv4/ip_local_port_range"
        );
        for bad in [
            "kernel.pid_max",
            "/proc/sys/kernel/pid_max",
            "net/../kernel/pid_max",
            "net",
            "/etc/passwd",
            "",
        ] {
            assert!(p(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn panic_messages_are_extracted() {
        let caught = panic::catch_unwind(|| panic!("static")).unwrap_err();
        assert_eq!(panic_message(&*caught), "static");
        let caught = panic::catch_unwind(|| panic!("formatted {}", 7)).unwrap_err();
        assert_eq!(panic_message(&*caught), "formatted 7");
    }
}
