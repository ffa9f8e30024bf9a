//! The library's syscalls that `std` and `netlink-sys` do not wrap, each a
//! safe function over borrowed descriptors and buffers. The modules of the
//! dump, the filter, events and namespaces call these and deny `unsafe`
//! themselves. (The `/proc` walker of `process.rs` keeps its own
//! `openat`/`readlinkat`/`getdents` helpers, documented there.)

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

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
