//! The library's syscalls that `std` and `netlink-sys` do not wrap, each a
//! safe function over borrowed descriptors and buffers. This is the only
//! module of the crate allowed `unsafe` (the crate root denies it): the
//! dump, the filter, events, namespaces and the `/proc` walker of
//! `process.rs` call these.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// `recv(2)` into `buf`, retried on `EINTR`. With `trunc`, `MSG_TRUNC`:
/// the kernel reports a datagram's full length even when `buf` is shorter.
pub(crate) fn recv(fd: BorrowedFd<'_>, buf: &mut [u8], trunc: bool) -> io::Result<usize> {
    let flags = if trunc { libc::MSG_TRUNC } else { 0 };
    loop {
        // SAFETY: the pointer and length describe `buf`, initialised and
        // borrowed for the call; with MSG_TRUNC the kernel still writes at
        // most `buf.len()` bytes.
        let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// `recv(2)` with `MSG_DONTWAIT | MSG_TRUNC`: never blocks, whatever the
/// descriptor's mode (`WouldBlock` when nothing is queued).
pub(crate) fn recv_nowait(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        // SAFETY: as in `recv`.
        let n = unsafe {
            libc::recv(
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_TRUNC | libc::MSG_DONTWAIT,
            )
        };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// `poll(2)` for input on each of `fds`, waiting at most `timeout_ms`
/// (-1: forever); `EINTR` is a wait that saw nothing. `ready[i]` tells
/// whether `fds[i]` has input or an error pending.
pub(crate) fn poll_in(
    fds: &[BorrowedFd<'_>],
    timeout_ms: libc::c_int,
    ready: &mut [bool],
) -> io::Result<()> {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|fd| libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    // SAFETY: `pfds` is an initialised array of `pfds.len()` pollfds that
    // outlives the call; the descriptors are borrowed and open.
    let rc = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, timeout_ms) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    for (r, p) in ready.iter_mut().zip(&pfds) {
        *r = rc > 0 && p.revents != 0;
    }
    Ok(())
}

/// A new `eventfd(2)` (close-on-exec, counter 0).
pub(crate) fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: eventfd takes no pointers; a non-negative result is a new
    // descriptor that nothing else owns.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by eventfd and is owned by no one else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Adds 1 to an eventfd's counter, which makes it readable.
pub(crate) fn eventfd_signal(fd: BorrowedFd<'_>) -> io::Result<()> {
    let one = 1u64.to_ne_bytes();
    loop {
        // SAFETY: writes the 8 bytes of `one`, borrowed for the call.
        let n = unsafe { libc::write(fd.as_raw_fd(), one.as_ptr().cast(), one.len()) };
        if n == one.len() as isize {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// `setsockopt(SOL_SOCKET, SO_RCVTIMEO)`: a blocking `recv` fails with
/// `EAGAIN` after `timeout` (`None`, or zero: wait forever).
pub(crate) fn set_recv_timeout(
    fd: BorrowedFd<'_>,
    timeout: Option<std::time::Duration>,
) -> io::Result<()> {
    let t = timeout.unwrap_or_default();
    let mut tv = libc::timeval {
        tv_sec: t.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
        tv_usec: t.subsec_micros() as libc::suseconds_t,
    };
    if t != std::time::Duration::ZERO && tv.tv_sec == 0 && tv.tv_usec == 0 {
        // Below a microsecond: the shortest wait, not "forever".
        tv.tv_usec = 1;
    }
    // SAFETY: `tv` is a valid timeval for the call's duration.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&raw const tv).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `getsockopt(SOL_SOCKET, name)` into `out`; returns the bytes written.
pub(crate) fn getsockopt_u32s(
    fd: BorrowedFd<'_>,
    name: libc::c_int,
    out: &mut [u32],
) -> io::Result<usize> {
    let mut len = std::mem::size_of_val(out) as libc::socklen_t;
    // SAFETY: `out` and `len` describe a writable buffer of `len` bytes
    // that outlives the call; the kernel writes at most `len` bytes.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            name,
            out.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(len as usize)
}

/// Clears `O_NONBLOCK` on `fd`.
pub(crate) fn set_blocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: F_GETFL/F_SETFL on a borrowed, open descriptor.
    unsafe {
        let fl = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        if fl == -1 || libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, fl & !libc::O_NONBLOCK) == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The filesystem type (`f_type` of `fstatfs(2)`) of the file behind `fd`.
pub(crate) fn fs_type(fd: BorrowedFd<'_>) -> io::Result<i64> {
    let mut st = std::mem::MaybeUninit::<libc::statfs>::zeroed();
    // SAFETY: `st` is a writable `struct statfs` for the call; the fd is
    // borrowed and open.
    let rc = unsafe { libc::fstatfs(fd.as_raw_fd(), st.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fstatfs succeeded and filled the struct (zeroed before).
    let f_type = unsafe { st.assume_init() }.f_type;
    // `f_type` is a long on some targets, an int on others.
    #[allow(clippy::unnecessary_cast)]
    Ok(f_type as i64)
}

/// The namespace type (`CLONE_NEWNET`, ...) of a namespace file
/// (`ioctl(NS_GET_NSTYPE)`, Linux 4.11).
pub(crate) fn ns_type(fd: BorrowedFd<'_>) -> io::Result<libc::c_int> {
    // _IO(0xb7, 0x3): no argument.
    const NS_GET_NSTYPE: libc::c_ulong = (0xb7 << 8) | 0x3;
    // SAFETY: NS_GET_NSTYPE takes no argument and only reads the fd.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), NS_GET_NSTYPE as _) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(rc)
}

/// `if_nametoindex(3)`; `None` for no such interface.
pub(crate) fn if_nametoindex(name: &str) -> Option<u32> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: `c` is a valid NUL-terminated string for the call.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (i != 0).then_some(i)
}

/// Moves the calling thread into the network namespace of `fd`.
pub(crate) fn setns_net(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: setns only reads the borrowed fd; it changes only this thread.
    let rc = unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `openat(dir, path, flags | O_CLOEXEC)`.
pub(crate) fn openat(dir: BorrowedFd<'_>, path: &CStr, flags: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: `path` is NUL-terminated and outlives the call; openat keeps
    // no pointer to it.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), path.as_ptr(), flags | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by openat and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `readlinkat(dir, name)` into `buf`; returns the length of the target
/// (which may fill `buf` exactly when it was cut).
pub(crate) fn readlinkat(dir: BorrowedFd<'_>, name: &CStr, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `name` is NUL-terminated; `buf` is valid for writes of
    // `buf.len()` bytes and readlinkat writes at most that many.
    let n = unsafe {
        libc::readlinkat(
            dir.as_raw_fd(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// `st_size` of `fstat(fd)`: for a `/proc/PID/fd` directory, the number of
/// open descriptors (Linux 6.2; 0 before).
pub(crate) fn file_size(fd: BorrowedFd<'_>) -> io::Result<i64> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: `st` is a writable `struct stat` for the call; the fd is
    // borrowed and open.
    let rc = unsafe { libc::fstat(fd.as_raw_fd(), st.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fstat succeeded and filled the struct (zeroed before).
    let size = unsafe { st.assume_init() }.st_size;
    #[allow(clippy::unnecessary_cast)]
    Ok(size as i64)
}

/// `getdents64(dir)` into `buf`: fills it with `struct linux_dirent64`
/// records and returns the bytes written (0 at the end of the directory).
pub(crate) fn getdents64(dir: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes and the kernel
    // writes at most that many; `dir` is an open descriptor.
    let n = unsafe {
        libc::syscall(
            libc::SYS_getdents64,
            dir.as_raw_fd(),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// `bpf(cmd, attr)`: `attr` is the command's `union bpf_attr` member,
/// zero-padded; returns the new descriptor the command makes.
fn bpf_fd(cmd: libc::c_int, attr: &mut [u8]) -> io::Result<OwnedFd> {
    let fd = loop {
        // SAFETY: `attr` is valid for reads and writes of `attr.len()`
        // bytes for the call; every pointer it carries points to memory
        // the caller keeps alive across the call.
        let rc = unsafe { libc::syscall(libc::SYS_bpf, cmd, attr.as_mut_ptr(), attr.len()) };
        if rc >= 0 {
            break rc;
        }
        let e = io::Error::last_os_error();
        // The verifier may be interrupted; the load is then repeated.
        if !matches!(e.raw_os_error(), Some(libc::EINTR | libc::EAGAIN)) {
            return Err(e);
        }
    };
    let fd = libc::c_int::try_from(fd).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
    // SAFETY: the kernel returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Writes `v` at byte `at` of `attr` (native byte order).
fn put(attr: &mut [u8], at: usize, v: &[u8]) {
    if let Some(dst) = attr.get_mut(at..at + v.len()) {
        dst.copy_from_slice(v);
    }
}

/// `BPF_PROG_LOAD` of `insns` as a task-file iterator
/// (`BPF_PROG_TYPE_TRACING`, `BPF_TRACE_ITER`) attached to the vmlinux
/// BTF function `attach_btf_id`.
pub(crate) fn bpf_prog_load_iter(insns: &[u8], attach_btf_id: u32) -> io::Result<OwnedFd> {
    const BPF_PROG_LOAD: libc::c_int = 5;
    const BPF_PROG_TYPE_TRACING: u32 = 26;
    const BPF_TRACE_ITER: u32 = 28;
    let license = c"Dual MIT/GPL";
    let name = b"rss_holders";
    let count =
        u32::try_from(insns.len() / 8).map_err(|_| io::Error::from_raw_os_error(libc::E2BIG))?;
    let mut attr = [0u8; 128];
    put(&mut attr, 0, &BPF_PROG_TYPE_TRACING.to_ne_bytes());
    put(&mut attr, 4, &count.to_ne_bytes());
    put(&mut attr, 8, &(insns.as_ptr() as u64).to_ne_bytes());
    put(&mut attr, 16, &(license.as_ptr() as u64).to_ne_bytes());
    put(&mut attr, 48, name);
    put(&mut attr, 68, &BPF_TRACE_ITER.to_ne_bytes());
    put(&mut attr, 108, &attach_btf_id.to_ne_bytes());
    bpf_fd(BPF_PROG_LOAD, &mut attr)
}

/// `BPF_LINK_CREATE` of an iterator program, with no parameters (every
/// task).
pub(crate) fn bpf_link_create_iter(prog: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    const BPF_LINK_CREATE: libc::c_int = 28;
    const BPF_TRACE_ITER: u32 = 28;
    let mut attr = [0u8; 64];
    put(&mut attr, 0, &(prog.as_raw_fd() as u32).to_ne_bytes());
    put(&mut attr, 8, &BPF_TRACE_ITER.to_ne_bytes());
    bpf_fd(BPF_LINK_CREATE, &mut attr)
}

/// `BPF_ITER_CREATE`: a descriptor whose `read` runs the iterator.
pub(crate) fn bpf_iter_create(link: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    const BPF_ITER_CREATE: libc::c_int = 33;
    let mut attr = [0u8; 8];
    put(&mut attr, 0, &(link.as_raw_fd() as u32).to_ne_bytes());
    bpf_fd(BPF_ITER_CREATE, &mut attr)
}

/// Test helpers that need syscalls, kept here so that the tests of other
/// modules deny `unsafe` too.
#[cfg(test)]
pub(crate) mod testing {
    use std::io;
    use std::os::fd::RawFd;

    /// `unshare(CLONE_FILES)`: the calling thread gets a descriptor table
    /// of its own (a copy of the one it shared).
    pub(crate) fn unshare_files() {
        // SAFETY: unshare has no memory effects; it changes only this thread.
        assert_eq!(unsafe { libc::unshare(libc::CLONE_FILES) }, 0);
    }

    /// `setfsuid(uid)` for the calling thread (drops its DAC capabilities
    /// when `uid` is not 0).
    pub(crate) fn setfsuid(uid: u32) {
        // SAFETY: setfsuid has no memory effects; it changes only this thread.
        unsafe { libc::setfsuid(uid) };
    }

    /// Lowers this process's soft `RLIMIT_NOFILE` to `n` (for a test that
    /// runs alone in a child process: the limit is the whole process's).
    pub(crate) fn set_fd_limit(n: u64) {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit write and read only `lim`.
        unsafe {
            assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
            lim.rlim_cur = n;
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
        }
    }

    /// Raises this process's `RLIMIT_NOFILE` (soft, and hard if needed) to
    /// at least `n`.
    pub(crate) fn raise_fd_limit(n: u64) {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit write and read only `lim`.
        unsafe {
            assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
            if lim.rlim_cur < n {
                lim.rlim_cur = n;
                lim.rlim_max = lim.rlim_max.max(n);
                assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
            }
        }
    }

    /// Makes this process hold `fd` as each of `targets` and closes every
    /// other descriptor above 2 (`fd` too, unless it is a target).
    pub(crate) fn hold_only(fd: RawFd, targets: &[RawFd]) {
        for &target in targets {
            // SAFETY: dup2 touches only this process's descriptor table.
            if target != fd {
                assert!(unsafe { libc::dup2(fd, target) } >= 0);
            }
        }
        let open: Vec<RawFd> = std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        for n in open {
            if n > 2 && !targets.contains(&n) {
                // SAFETY: closes a descriptor this test process owns and no
                // Rust object holds (the listing's own is closed already:
                // EBADF, ignored).
                unsafe { libc::close(n) };
            }
        }
    }

    /// Makes `cmd`'s child hold `fd` (which must stay open until the spawn)
    /// as each of `targets` too.
    pub(crate) fn dup_in_child(
        cmd: &mut std::process::Command,
        fd: RawFd,
        targets: &'static [RawFd],
    ) {
        // SAFETY: dup2 is async-signal-safe and touches only the child's
        // descriptor table.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(cmd, move || {
                for &target in targets {
                    if libc::dup2(fd, target) < 0 {
                        return Err(io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
    }
}
