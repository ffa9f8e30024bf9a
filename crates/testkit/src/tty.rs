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
    // Not inherited by processes other threads start meanwhile: one that
    // held the slave would keep the read below from ending until it exits.
    // (The child gets the slave as its stdout, a copy without the flag.)
    for fd in [&master, &slave] {
        use std::os::fd::AsRawFd;
        // SAFETY: F_SETFD on an fd owned here.
        unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A child whose one and last write is larger than the terminal's
    /// buffers, and who exits at once: every byte of it is read back, each
    /// time (`TTY_RACE_RUNS` times, default 20).
    #[test]
    fn a_large_last_write_is_read_whole() {
        let n: usize = std::env::var("TTY_RACE_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20);
        let want: Vec<u8> = (0..100_000u32)
            .map(|i| {
                if i % 80 == 79 {
                    b'\n'
                } else {
                    b'a' + (i % 26) as u8
                }
            })
            .collect();
        let file = std::env::temp_dir().join(format!("testkit-tty-{}", std::process::id()));
        std::fs::write(&file, &want).unwrap();
        for run in 0..n {
            // cat writes what it read in one write(2) and exits.
            let mut c = Command::new("cat");
            c.arg(&file);
            let (o, _) = output_on_tty(c, 80).unwrap();
            assert!(o.status.success());
            assert_eq!(o.stdout.len(), want.len(), "run {run}");
            assert!(o.stdout == want, "run {run}");
        }
        let _ = std::fs::remove_file(&file);
    }
}
