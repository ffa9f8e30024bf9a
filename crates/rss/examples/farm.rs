//! A socket farm in a named network namespace, for benchmarks by hand.
//!
//! ```text
//! cargo run --release --example farm -- --pairs 100000 --name rss-farm \
//!     [--listeners-only K] [--udp N] [--unix N]
//! ```
//!
//! Builds a private network namespace holding `--pairs` established
//! loopback TCP pairs ([`testkit::Farm`]: child processes, one listener
//! each), bind-mounts it at `/run/netns/NAME` like `ip netns add` does, and
//! prints a few `key value` lines, then `ready`. From then on
//! `ss -N NAME -tan` and `rss -N NAME -tan` see the same sockets. It holds
//! them until its standard input closes (end of file) or it gets SIGINT or
//! SIGTERM; then it unmounts and removes `/run/netns/NAME` and stops the
//! farm. Needs root.
//!
//! Extra sockets, held by this process (at most 19,000 in all, under the
//! 20,000 open-files limit):
//!
//! - `--listeners-only K`: K listening TCP sockets on 127.0.0.1 with no
//!   connection, so `-tlnp` has more rows and `sport = :PORT` with one of
//!   their ports matches exactly one socket (`listen_ports` line);
//! - `--udp N`: N unconnected UDP sockets bound to 127.0.0.1 (`-uan`);
//! - `--unix N`: N/2 connected unix stream socket pairs plus one named
//!   listener (`-xa`).
//!
//! What it prints before `ready` (one fact per line, for scripts):
//!
//! ```text
//! netns /run/netns/rss-farm
//! pairs 100000
//! tcp_sockets 200024          # established sockets + every listener
//! farm_ports 40001 40002 ...  # the farm children's listeners
//! listen_ports 40100 ...      # the --listeners-only sockets
//! udp_sockets 0
//! unix_sockets 0
//! ready
//! ```
//!
//! A script keeps the farm alive by holding its stdin open, e.g. through a
//! fifo (`benches/compare.sh` does this), and stops it by closing it.

use std::ffi::CString;
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::os::fd::OwnedFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use testkit::{Farm, NetNs};

/// Most sockets this process holds itself (the limit is 20,000 fds).
const MAX_OWN_SOCKETS: usize = 19_000;

/// Builds a socket farm in a network namespace mounted at /run/netns/NAME.
#[derive(Parser, Debug)]
#[command(name = "farm")]
struct Args {
    /// Established TCP pairs (two sockets each), spread over child processes.
    #[arg(long, default_value_t = 10_000)]
    pairs: usize,
    /// The namespace's name: it is mounted at /run/netns/NAME.
    #[arg(long, default_value = "rss-farm")]
    name: String,
    /// Extra listening TCP sockets with no connection.
    #[arg(long, value_name = "K", default_value_t = 0)]
    listeners_only: usize,
    /// Unconnected UDP sockets.
    #[arg(long, value_name = "N", default_value_t = 0)]
    udp: usize,
    /// Unix stream sockets (N/2 connected pairs, plus one named listener).
    #[arg(long, value_name = "N", default_value_t = 0)]
    unix: usize,
}

/// Sockets this process holds so that they stay open.
#[derive(Default)]
struct Extra {
    listeners: Vec<socket2::Socket>,
    udp: Vec<UdpSocket>,
    unix: Vec<UnixStream>,
    unix_listener: Option<UnixListener>,
    unix_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("farm: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<()> {
    let name = &args.name;
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("bad namespace name {name:?}"),
        ));
    }
    let own = args.listeners_only + args.udp + args.unix;
    if own > MAX_OWN_SOCKETS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "--listeners-only + --udp + --unix = {own}: at most {MAX_OWN_SOCKETS} (open-files limit)"
            ),
        ));
    }
    if let Some(why) = testkit::privilege_error() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("needs root: {why}"),
        ));
    }
    let mount_point = Path::new("/run/netns").join(name);
    if mount_point.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} exists (another farm? remove it with `ip netns delete {name}`)",
                mount_point.display()
            ),
        ));
    }
    // Every thread started from here on (the namespace thread, std's) inherits
    // the blocked mask, so the signals wait for `wait_for_end`'s signalfd.
    let signals = block_signals()?;

    let ns = NetNs::new()?;
    let started = std::time::Instant::now();
    let farm = Farm::start(&ns, args.pairs)?;
    let (listeners_only, udp, unix) = (args.listeners_only, args.udp, args.unix);
    let mut extra = ns.run(move || build_extra(listeners_only, udp, unix))?;
    let built = started.elapsed();

    mount_ns(&ns.path(), &mount_point)?;
    let result =
        announce(args, &farm, &extra, &mount_point, built).and_then(|()| wait_for_end(&signals));
    let unmounted = unmount_ns(&mount_point);
    if let Some(dir) = extra.unix_dir.take() {
        let _ = std::fs::remove_dir_all(dir);
    }
    drop(extra);
    drop(farm);
    drop(ns);
    result.and(unmounted)
}

fn build_extra(listeners_only: usize, udp: usize, unix: usize) -> io::Result<Extra> {
    let mut extra = Extra::default();
    let lo = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    for _ in 0..listeners_only {
        extra.listeners.push(testkit::listener(lo, 128, None)?);
    }
    for _ in 0..udp {
        extra.udp.push(UdpSocket::bind(lo)?);
    }
    if unix > 0 {
        let dir = std::env::temp_dir().join(format!("rss-farm-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        extra.unix_listener = Some(UnixListener::bind(dir.join("listener"))?);
        extra.unix_dir = Some(dir);
        for _ in 0..unix / 2 {
            let (a, b) = UnixStream::pair()?;
            extra.unix.push(a);
            extra.unix.push(b);
        }
    }
    Ok(extra)
}

fn announce(
    args: &Args,
    farm: &Farm,
    extra: &Extra,
    mount_point: &Path,
    built: std::time::Duration,
) -> io::Result<()> {
    let ports =
        |ps: &mut dyn Iterator<Item = u16>| ps.map(|p| p.to_string()).collect::<Vec<_>>().join(" ");
    let listen_ports: Vec<u16> = extra
        .listeners
        .iter()
        .map(testkit::local_port)
        .collect::<io::Result<_>>()?;
    let tcp = 2 * farm.pairs() + farm.ports().len() + extra.listeners.len();
    let unix = extra.unix.len() + usize::from(extra.unix_listener.is_some());
    let stdout = io::stdout();
    let mut out = stdout.lock();
    writeln!(out, "netns {}", mount_point.display())?;
    writeln!(out, "pairs {}", farm.pairs())?;
    writeln!(out, "tcp_sockets {tcp}")?;
    writeln!(
        out,
        "farm_ports {}",
        ports(&mut farm.ports().iter().copied())
    )?;
    writeln!(
        out,
        "listen_ports {}",
        ports(&mut listen_ports.iter().copied())
    )?;
    writeln!(out, "udp_sockets {}", extra.udp.len())?;
    writeln!(out, "unix_sockets {unix}")?;
    writeln!(out, "build_seconds {:.2}", built.as_secs_f64())?;
    writeln!(out, "ready")?;
    out.flush()?;
    if args.pairs == 0 && tcp == 0 && unix == 0 && extra.udp.is_empty() {
        eprintln!("farm: warning: the namespace holds no sockets");
    }
    Ok(())
}

/// Blocks SIGINT and SIGTERM in this thread (and the threads it starts) and
/// returns a signalfd that receives them.
fn block_signals() -> io::Result<OwnedFd> {
    // SAFETY: sigset_t is plain data; sigemptyset/sigaddset initialise it,
    // pthread_sigmask changes only this thread's mask, and signalfd returns a
    // new fd that we own.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        let fd = libc::signalfd(-1, &set, libc::SFD_CLOEXEC);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(std::os::fd::FromRawFd::from_raw_fd(fd))
    }
}

/// Waits until stdin reaches end of file (or fails) or a signal arrives.
fn wait_for_end(signals: &OwnedFd) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let mut buf = [0u8; 4096];
    loop {
        let mut fds = [
            libc::pollfd {
                fd: libc::STDIN_FILENO,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: signals.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: `fds` is a live array of two pollfd structs.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if fds[1].revents != 0 {
            eprintln!("farm: signal received, stopping");
            return Ok(());
        }
        if fds[0].revents != 0 {
            // SAFETY: reads into a live local buffer of its length.
            let r = unsafe { libc::read(libc::STDIN_FILENO, buf.as_mut_ptr().cast(), buf.len()) };
            if r == 0 || (r < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted)
            {
                return Ok(());
            }
        }
    }
}

fn cstring(p: &Path) -> io::Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_os_str().as_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

/// Bind-mounts the namespace file `ns` on `target` (created empty), as
/// `ip netns add` does.
fn mount_ns(ns: &Path, target: &Path) -> io::Result<()> {
    std::fs::create_dir_all(target.parent().unwrap_or(Path::new("/run/netns")))?;
    std::fs::File::create(target)?;
    let (src, dst) = (cstring(ns)?, cstring(target)?);
    // SAFETY: both pointers are NUL-terminated strings that outlive the call;
    // a bind mount ignores the fstype and data arguments.
    let rc = unsafe {
        libc::mount(
            src.as_ptr(),
            dst.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        let e = io::Error::last_os_error();
        let _ = std::fs::remove_file(target);
        return Err(io::Error::new(
            e.kind(),
            format!("mount --bind {} {}: {e}", ns.display(), target.display()),
        ));
    }
    Ok(())
}

fn unmount_ns(target: &Path) -> io::Result<()> {
    let dst = cstring(target)?;
    // SAFETY: `dst` is a NUL-terminated string that outlives the call.
    let rc = unsafe { libc::umount2(dst.as_ptr(), libc::MNT_DETACH) };
    let unmounted = if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    };
    std::fs::remove_file(target)?;
    unmounted
}
