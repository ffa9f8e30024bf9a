//! When no `NETLINK_SOCK_DIAG` socket can be opened (here: a seccomp filter
//! that refuses `socket(AF_NETLINK, ...)`, as some container runtimes do),
//! rss reads `/proc/net` instead, and prints what `ss` prints under the same
//! filter (ss falls back to `/proc` too).

mod common;

use std::os::unix::process::CommandExt;
use std::process::Command;

use common::{normalize, world};
use testkit::{require_privileged, require_tool};

/// Installs a seccomp filter failing `socket(AF_NETLINK, ...)` with EPERM.
/// Runs between fork and exec: only async-signal-safe calls.
fn deny_netlink(cmd: &mut Command) {
    // SAFETY: prctl is async-signal-safe; the filter program lives on the
    // stack of this closure for the duration of the call.
    unsafe {
        cmd.pre_exec(|| {
            const RET_ALLOW: u32 = 0x7fff_0000;
            const RET_ERRNO: u32 = 0x0005_0000;
            let prog = [
                // A = seccomp_data.nr
                libc::sock_filter {
                    code: 0x20,
                    jt: 0,
                    jf: 0,
                    k: 0,
                },
                libc::sock_filter {
                    code: 0x15,
                    jt: 0,
                    jf: 3,
                    k: libc::SYS_socket as u32,
                },
                // A = low half of args[0] (the domain)
                libc::sock_filter {
                    code: 0x20,
                    jt: 0,
                    jf: 0,
                    k: 16,
                },
                libc::sock_filter {
                    code: 0x15,
                    jt: 0,
                    jf: 1,
                    k: libc::AF_NETLINK as u32,
                },
                libc::sock_filter {
                    code: 0x06,
                    jt: 0,
                    jf: 0,
                    k: RET_ERRNO | libc::EPERM as u32,
                },
                libc::sock_filter {
                    code: 0x06,
                    jt: 0,
                    jf: 0,
                    k: RET_ALLOW,
                },
            ];
            let fprog = libc::sock_fprog {
                len: prog.len() as u16,
                filter: prog.as_ptr() as *mut _,
            };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER,
                    &fprog as *const _,
                ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[test]
fn without_netlink_rss_reads_proc_like_ss() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let w = world();
    for args in [
        &["-tan"][..],
        &["-uan"][..],
        &["-xa"][..],
        &["-tln"][..],
        &["-ta", "sport", "=", ":5000"][..],
    ] {
        let mut ours = w.ns.command(env!("CARGO_BIN_EXE_rss"));
        ours.args(args);
        deny_netlink(&mut ours);
        let ours = ours.output().unwrap();
        let mut theirs = w.ns.command("/usr/bin/ss");
        theirs.args(args);
        deny_netlink(&mut theirs);
        let theirs = theirs.output().unwrap();
        let (o, t) = (
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&theirs.stdout),
        );
        assert!(
            ours.status.success(),
            "rss {args:?}: {}",
            String::from_utf8_lossy(&ours.stderr)
        );
        assert!(
            ours.stderr.is_empty(),
            "rss {args:?}: {}",
            String::from_utf8_lossy(&ours.stderr)
        );
        assert!(o.lines().count() > 1, "rss {args:?} printed no rows:\n{o}");
        assert_eq!(
            normalize(&o),
            normalize(&t),
            "rss {args:?}\n--- rss:\n{o}--- ss:\n{t}"
        );
    }
}
