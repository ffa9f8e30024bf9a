//! Running a command with its stdout on a pseudo-terminal of a fixed size,
//! as a user at a terminal of that width would.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Output, Stdio};

/// Runs `cmd` with stdout on a fresh pseudo-terminal `cols` columns wide
/// (raw mode: the bytes written are the bytes read back, no `\r` added)
/// and stderr piped; returns what it wrote and its exit status, and its
/// process id.
pub fn output_on_tty(mut cmd: Command, cols: u16) -> io::Result<(Output, u32)> {
    let mut master: libc::c_int = -1;
    let mut slave: libc::c_int = -1;
    let ws = libc::winsize {
        ws_row: 50,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty fills two fds; the termios pointer may be null and the
    // winsize pointer is valid for the call.
    if unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &ws,
        )
    } != 0
    {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both fds were just returned by openpty and are owned here.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    {
        use std::os::fd::AsRawFd;
        // SAFETY: termios is plain data, filled by tcgetattr before use.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: a valid terminal fd and pointer.
        if unsafe { libc::tcgetattr(slave.as_raw_fd(), &mut t) } == 0 {
            // SAFETY: as above.
            unsafe {
                libc::cfmakeraw(&mut t);
                libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &t);
            }
        }
    }
    cmd.stdout(Stdio::from(slave))
        .stderr(Stdio::piped())
        .stdin(Stdio::null());
    let mut child = cmd.spawn()?;
    let pid = child.id();
    // The Command still holds the slave; drop it so reading ends at the
    // child's exit (EIO once no process has the slave open).
    drop(cmd);
    let mut m = File::from(master);
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 65536];
        loop {
            match m.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break, // EIO: the slave side is closed
            }
        }
        buf
    });
    let mut stderr = Vec::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_end(&mut stderr)?;
    }
    let status = child.wait()?;
    let stdout = reader
        .join()
        .map_err(|_| io::Error::other("pty reader panicked"))?;
    Ok((
        Output {
            status,
            stdout,
            stderr,
        },
        pid,
    ))
}
