//! Small socket helpers for live tests.
//!
//! A socket belongs to the network namespace of the thread that creates it,
//! so call these inside [`NetNs::run`](crate::NetNs::run) (or return what
//! they build from there); called elsewhere they make host sockets.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

/// A listening TCP socket on `addr` with exactly `backlog` as its backlog
/// (ss shows it as Send-Q of the LISTEN row, capped by `net.core.somaxconn`).
///
/// `SO_REUSEADDR` is set; `v6only`, when given, sets `IPV6_V6ONLY` and needs
/// an IPv6 `addr`. Port 0 picks a free port: read it back with
/// `local_addr()`.
pub fn listener(addr: SocketAddr, backlog: i32, v6only: Option<bool>) -> io::Result<Socket> {
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    sock.set_reuse_address(true)?;
    if let Some(only) = v6only {
        if !addr.is_ipv6() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "v6only needs an IPv6 address",
            ));
        }
        sock.set_only_v6(only)?;
    }
    sock.bind(&addr.into())?;
    sock.listen(backlog)?;
    Ok(sock)
}

/// A blocking TCP connection to `addr`.
pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    TcpStream::connect(addr)
}

/// The local port of a bound socket (0 if it is not an IP socket).
pub fn local_port(sock: &Socket) -> io::Result<u16> {
    Ok(sock.local_addr()?.as_socket().map_or(0, |a| a.port()))
}

/// Polls `cond` every 10 ms until it returns `true` (then returns `true`)
/// or `timeout` has passed (then returns `false`).
///
/// `cond` is evaluated at least once, and once more at the deadline.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(10)));
    }
}

/// Runs `program` (with `args`) under the command name `name`: through a
/// symlink called `name` in `dir`, as the kernel names a process after the
/// file it executes. Returns once the child has executed it (its
/// `/proc/PID/comm` is `name`, cut to 15 bytes), so what the child holds
/// is shown under that name from then on. The child inherits the
/// descriptors without close-on-exec, as any child does.
pub fn spawn_named(
    dir: &std::path::Path,
    name: &str,
    program: &str,
    args: &[&str],
) -> io::Result<std::process::Child> {
    let link = dir.join(name);
    std::os::unix::fs::symlink(program, &link)?;
    let child = std::process::Command::new(&link).args(args).spawn()?;
    let want = &name.as_bytes()[..name.len().min(15)];
    let comm = format!("/proc/{}/comm", child.id());
    let named = wait_until(Duration::from_secs(60), || {
        std::fs::read(&comm).is_ok_and(|c| c.strip_suffix(b"\n") == Some(want))
    });
    if !named {
        return Err(io::Error::other(format!(
            "waited for pid {} to run as {name:?}",
            child.id()
        )));
    }
    Ok(child)
}

/// Makes a FIFO at `path` with `mkfifo(1)`; panics if it cannot. Tests use
/// it where a path a user gives must be refused without blocking.
pub fn mkfifo(path: &std::path::Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo(1) runs");
    assert!(ok.success(), "mkfifo {path:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_until_polls_until_true_or_timeout() {
        let mut calls = 0;
        assert!(wait_until(Duration::from_secs(5), || {
            calls += 1;
            calls == 3
        }));
        assert_eq!(calls, 3);

        let start = Instant::now();
        assert!(!wait_until(Duration::from_millis(50), || false));
        assert!(start.elapsed() >= Duration::from_millis(50));
    }

    #[test]
    fn v6only_needs_ipv6() {
        let err = listener("127.0.0.1:0".parse().unwrap(), 1, Some(true)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
