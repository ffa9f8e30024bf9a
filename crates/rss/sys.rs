//! Every call into the C library the CLI makes that needs `unsafe`, each
//! behind a safe function. The rest of the crate is `#![deny(unsafe_code)]`
//! (see `lib.rs`); what a well-kept crate already offers safely is taken
//! from there instead (`std::io::IsTerminal` for isatty); the diag-module
//! probe is the library's (`sockdiag::query::probe_diag_module`).

use std::ffi::CStr;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};

/// The network interfaces (`if_nameindex(3)`): index and name, in the
/// namespace the calling thread is in.
pub(crate) fn interfaces() -> Vec<(u32, String)> {
    let mut v = Vec::new();
    // SAFETY: if_nameindex returns an array ended by a zero entry, or
    // null; it is read before if_freenameindex releases it.
    unsafe {
        let p = libc::if_nameindex();
        if p.is_null() {
            return v;
        }
        let mut i = 0;
        loop {
            let e = *p.add(i);
            if e.if_index == 0 || e.if_name.is_null() {
                break;
            }
            v.push((
                e.if_index,
                CStr::from_ptr(e.if_name).to_string_lossy().into_owned(),
            ));
            i += 1;
        }
        libc::if_freenameindex(p);
    }
    v
}

/// The name of interface `index` (`if_indextoname(3)`), if there is one.
pub(crate) fn interface_name(index: u32) -> Option<String> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: buf holds IF_NAMESIZE bytes, as if_indextoname requires; on
    // success it holds a NUL-terminated name.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: p points into buf, NUL-terminated (checked non-null above).
    Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// The size of the terminal on standard output (`TIOCGWINSZ`), as
/// (columns, rows), when it is one.
fn stdout_size() -> Option<(u16, u16)> {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: STDOUT_FILENO and a valid pointer to a winsize, which
    // TIOCGWINSZ fills or leaves alone.
    let rc = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) };
    (rc != -1).then_some((ws.ws_col, ws.ws_row))
}

/// The columns of the terminal on standard output, when it is one and
/// reports a width.
pub(crate) fn stdout_columns() -> Option<u16> {
    stdout_size().map(|(c, _)| c).filter(|&c| c > 0)
}

/// The rows of the terminal on standard output, when it is one.
pub(crate) fn stdout_rows() -> Option<u16> {
    stdout_size().map(|(_, r)| r)
}

/// Reverse lookup through the system resolver (`getnameinfo(3)` with
/// `NI_NAMEREQD`, i.e. a name or nothing).
pub(crate) fn reverse_lookup(addr: IpAddr) -> Option<String> {
    let sin;
    let sin6;
    let (sa, len) = match addr {
        IpAddr::V4(a) => {
            // SAFETY: all-zero is a valid sockaddr_in (plain integers).
            let mut s: libc::sockaddr_in = unsafe { std::mem::zeroed() };
            s.sin_family = libc::AF_INET as libc::sa_family_t;
            s.sin_addr.s_addr = u32::from_ne_bytes(a.octets());
            sin = s;
            (
                (&raw const sin).cast::<libc::sockaddr>(),
                std::mem::size_of::<libc::sockaddr_in>(),
            )
        }
        IpAddr::V6(a) => {
            // SAFETY: all-zero is a valid sockaddr_in6 (plain integers).
            let mut s: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
            s.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            s.sin6_addr.s6_addr = a.octets();
            sin6 = s;
            (
                (&raw const sin6).cast::<libc::sockaddr>(),
                std::mem::size_of::<libc::sockaddr_in6>(),
            )
        }
    };
    let mut host = [0 as libc::c_char; 1025];
    // SAFETY: sa points to a live sockaddr of `len` bytes; host is a
    // writable buffer of the length passed; no service buffer is requested.
    let rc = unsafe {
        libc::getnameinfo(
            sa,
            len as libc::socklen_t,
            host.as_mut_ptr(),
            host.len() as libc::socklen_t,
            std::ptr::null_mut(),
            0,
            libc::NI_NAMEREQD,
        )
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: on success getnameinfo wrote a NUL-terminated name into host.
    Some(
        unsafe { CStr::from_ptr(host.as_ptr()) }
            .to_string_lossy()
            .into_owned(),
    )
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// Makes SIGINT and SIGTERM set a flag ([`stop_requested`]) instead of
/// killing the process, and clears the flag.
pub(crate) fn catch_stop_signals() {
    STOP.store(false, Ordering::SeqCst);
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is
        // async-signal-safe.
        unsafe {
            libc::signal(sig, on_stop_signal as *const () as libc::sighandler_t);
        }
    }
}

/// True once SIGINT or SIGTERM arrived after [`catch_stop_signals`].
pub(crate) fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// Single keys from a terminal on standard input: canonical mode and echo
/// off (signals stay on: Ctrl-C still stops), restored on drop.
pub(crate) struct KeyInput {
    saved: libc::termios,
}

impl KeyInput {
    /// Takes keys from standard input when it is a terminal and this
    /// process is in its foreground (a background job changing the
    /// terminal's settings would be stopped by SIGTTOU).
    pub(crate) fn open() -> Option<KeyInput> {
        // SAFETY: isatty, tcgetpgrp and getpgrp on a descriptor number and
        // this process; tcgetattr fills the zeroed termios (plain
        // integers) or fails.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::isatty(libc::STDIN_FILENO) } != 1
            || unsafe { libc::tcgetpgrp(libc::STDIN_FILENO) } != unsafe { libc::getpgrp() }
            || unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut t) } != 0
        {
            return None;
        }
        let saved = t;
        t.c_lflag &= !(libc::ICANON | libc::ECHO);
        t.c_cc[libc::VMIN] = 1;
        t.c_cc[libc::VTIME] = 0;
        // SAFETY: a termios read from this terminal, two flags changed.
        if unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &t) } != 0 {
            return None;
        }
        Some(KeyInput { saved })
    }

    /// The next key typed within `timeout`, if any.
    pub(crate) fn key(&self, timeout: std::time::Duration) -> Option<u8> {
        let mut pfd = libc::pollfd {
            fd: libc::STDIN_FILENO,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n != 1 {
            return None;
        }
        let mut b = 0u8;
        if pfd.revents & libc::POLLIN != 0 {
            // SAFETY: reads at most one byte into `b`.
            let r = unsafe { libc::read(libc::STDIN_FILENO, (&raw mut b).cast(), 1) };
            if r == 1 {
                return Some(b);
            }
        }
        // Hung up or at end of file: nothing more will come; wait out the
        // time instead of spinning.
        std::thread::sleep(timeout);
        None
    }
}

impl Drop for KeyInput {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `open`.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.saved);
        }
    }
}

/// Gives the heap's free pages back to the kernel (`malloc_trim(3)`): the
/// argument parser's memory, freed once the command line is read, would
/// otherwise stay resident beside what the run then allocates elsewhere,
/// and count in the process's peak. A no-op outside glibc.
pub(crate) fn release_free_heap() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only reads and updates the allocator's own state,
    // under its lock; any argument is valid.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_an_interface_by_index_and_name() {
        // Every network namespace has lo.
        let all = interfaces();
        let (index, _) = all
            .iter()
            .find(|(_, n)| n == "lo")
            .unwrap_or_else(|| panic!("no lo in {all:?}"));
        assert_eq!(interface_name(*index).as_deref(), Some("lo"));
        assert_eq!(interface_name(0), None);
        let unused = all.iter().map(|(i, _)| *i).max().unwrap() + 1000;
        assert_eq!(interface_name(unused), None);
    }

    #[test]
    fn reverse_lookup_finds_loopback_in_etc_hosts() {
        // Only asked where /etc/hosts names it (no DNS in a unit test).
        if std::fs::read_to_string("/etc/hosts").is_ok_and(|h| {
            h.lines()
                .any(|l| l.split_whitespace().next() == Some("127.0.0.1"))
        }) {
            assert!(reverse_lookup("127.0.0.1".parse().unwrap()).is_some());
        }
    }

    #[test]
    fn a_caught_stop_signal_sets_the_flag_and_does_not_kill() {
        // Nothing else in the unit tests catches or raises these signals.
        catch_stop_signals();
        assert!(!stop_requested());
        // SAFETY: raise(3) sends SIGTERM to this thread; the handler is
        // installed above, so it sets the flag instead of ending the test.
        assert_eq!(unsafe { libc::raise(libc::SIGTERM) }, 0);
        assert!(stop_requested());
        catch_stop_signals();
        assert!(!stop_requested());
    }

    #[test]
    fn releasing_free_heap_keeps_what_is_allocated() {
        let kept: Vec<Vec<u8>> = (0..64u8).map(|i| vec![i; 4096]).collect();
        drop((0..64).map(|_| vec![7u8; 4096]).collect::<Vec<_>>());
        release_free_heap();
        for (i, v) in kept.iter().enumerate() {
            assert!(v.iter().all(|&b| usize::from(b) == i));
        }
    }
}
