//! When no `NETLINK_SOCK_DIAG` socket can be opened (here: a seccomp filter
//! that refuses `socket(AF_NETLINK, ...)`, as some container runtimes do),
//! rss reads `/proc/net` instead, and writes the bytes ss 7.1 writes under
//! the same filter (ss falls back to `/proc` too, and says `Cannot open
//! netlink socket: ...` on stderr once for each table it reads from there):
//! stdout piped and on 80- and 200-column terminals, stderr, exit status.

use crate::common;

use std::os::unix::process::CommandExt;
use std::process::Command;

use common::{OUTPUTS, rss_bin, run_tool_with, world};
use testkit::{require_oracle, require_privileged};

/// Installs a seccomp filter failing `socket(AF_NETLINK, ...)` with EPERM.
/// Runs between fork and exec: only async-signal-safe calls.
pub(crate) fn deny_netlink(cmd: &mut Command) {
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

/// The world's TCP, UDP, unix, raw and packet tables, each alone.
#[test]
fn without_netlink_rss_reads_proc_like_ss() {
    require_privileged!();
    let oracle = require_oracle!();
    let w = world();
    for args in [
        &["-tan"][..],
        &["-ta"][..],
        &["-uan"][..],
        &["-xa"][..],
        &["-wa"][..],
        &["-0a"][..],
        &["-tln"][..],
        &["-ta", "sport", "=", ":5000"][..],
    ] {
        for out in OUTPUTS {
            let ours = run_tool_with(&w.ns, &rss_bin(), args, &[], out, deny_netlink);
            let theirs = run_tool_with(&w.ns, &oracle, args, &[], out, deny_netlink);
            assert_eq!(ours.code, Some(0), "rss {args:?}: {}", ours.stderr);
            assert!(
                ours.stdout.lines().count() > 1,
                "rss {args:?} printed no rows:\n{}",
                ours.stdout
            );
            if ours != theirs {
                panic!(
                    "without netlink: {}",
                    common::describe(args, out, &ours, &theirs)
                );
            }
        }
    }
}
