//! `-p`'s holders: the walk of `/proc` on several threads (`RSS_THREADS`)
//! and the kernel's task-file iterator (`RSS_HOLDERS`).
//!
//! - On real processes holding many sockets (the testkit farm's children,
//!   and a listener shared by several processes), `users:(…)` is the same,
//!   byte for byte, from the walk with one thread and with several, and
//!   from the iterator, and names the right holders in `ss`'s order.
//! - A bad `RSS_THREADS` or `RSS_HOLDERS` is a usage error, before
//!   anything is printed.
//! - A narrow selection (`-tlnp`) is dumped once: the first pass, which
//!   picks the inodes whose holders are read, is what is printed.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use testkit::{Farm, NetNs, require_privileged, require_tool};

use crate::common;

/// Three farm children (at most 9,000 pairs each): 40,000 sockets.
const PAIRS: usize = 20_000;

/// The descriptor a [`Holder`] holds its socket as.
const HELD_FD: i32 = 7;

/// A `sleep` holding a socket as fd [`HELD_FD`]; killed and reaped on drop.
struct Holder(Child);

impl Holder {
    fn new(sock: &TcpListener) -> Holder {
        let fd = sock.as_raw_fd();
        let mut cmd = Command::new("sleep");
        cmd.arg("60").stdin(Stdio::null());
        // SAFETY: dup2 is async-signal-safe; the new descriptor has no
        // FD_CLOEXEC, so `sleep` keeps it.
        unsafe {
            cmd.pre_exec(move || {
                if libc::dup2(fd, HELD_FD) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            })
        };
        Holder(cmd.spawn().expect("sleep"))
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rss_p(ns: &NetNs, args: &[&str], threads: &str, holders: &str) -> Output {
    ns.command(common::rss_bin())
        .args(args)
        .env("RSS_THREADS", threads)
        .env("RSS_HOLDERS", holders)
        .env_remove("TCPDIAG_FILE")
        .stdin(Stdio::null())
        .output()
        .expect("rss")
}

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap()
        .trim_end()
        .to_string()
}

/// `users:((…))` of each row, by local and peer address:port.
fn users_by_ends(out: &str) -> BTreeMap<String, String> {
    out.lines()
        .skip(1)
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let users = words
                .iter()
                .find(|w| w.starts_with("users:"))
                .map_or(String::new(), |w| (*w).to_string());
            (format!("{} {}", words[3], words[4]), users)
        })
        .collect()
}

#[test]
fn users_alike_on_one_thread_and_several() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let farm = Farm::start(&ns, PAIRS).unwrap();
    assert_eq!(farm.pids().len(), 3, "the farm's children");
    // A listener held by this test and three `sleep`s.
    let shared = ns.run(|| TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = shared.local_addr().unwrap().port();
    let holders: Vec<Holder> = (0..3).map(|_| Holder::new(&shared)).collect();
    let execed = testkit::wait_until(Duration::from_secs(30), || {
        holders.iter().all(|h| comm(h.pid()) == "sleep")
    });
    assert!(execed, "the holders did not exec sleep within 30 s");

    let one = rss_p(&ns, &["-tanp"], "1", "proc");
    assert_eq!(one.status.code(), Some(0), "{one:?}");
    assert!(
        one.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    let text = String::from_utf8(one.stdout.clone()).unwrap();
    let runs = [
        ("2", "proc"),
        ("3", "proc"),
        ("16", "proc"),
        ("1", "kernel"),
        ("2", "auto"),
    ];
    for (threads, source) in runs {
        let many = rss_p(&ns, &["-tanp"], threads, source);
        assert_eq!(many.status.code(), Some(0), "{many:?}");
        if many.stdout != one.stdout {
            let other = String::from_utf8_lossy(&many.stdout);
            let (a, b) = (users_by_ends(&text), users_by_ends(&other));
            let diff: Vec<_> = a
                .iter()
                .filter(|(k, v)| b.get(*k) != Some(v))
                .take(3)
                .collect();
            panic!(
                "RSS_THREADS={threads} RSS_HOLDERS={source} differs from the walk on one \
                 thread; first rows: {diff:?}"
            );
        }
    }

    // The values: every farm socket names its child, the shared listener
    // every holder in ss's order (the reverse of the walk: highest pid
    // first).
    let users = users_by_ends(&text);
    let shared_row = format!("127.0.0.1:{port} 0.0.0.0:*");
    let mut per_child: BTreeMap<u32, usize> = BTreeMap::new();
    for (local, u) in &users {
        if *local == shared_row {
            continue;
        }
        let pid = u
            .split("pid=")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or_else(|| panic!("{local}: no holder in {u:?}"));
        assert_eq!(u.matches("pid=").count(), 1, "{local}: {u}");
        *per_child.entry(pid).or_default() += 1;
    }
    let mut children: Vec<u32> = farm.pids().iter().map(|&p| p as u32).collect();
    children.sort();
    assert_eq!(
        per_child.keys().copied().collect::<Vec<_>>(),
        children,
        "holders of the farm's sockets"
    );
    // Each child: its share of pairs, two sockets each, and its listener.
    assert_eq!(per_child.values().sum::<usize>(), 2 * PAIRS + 3);
    let mut walk: Vec<(u32, i32)> = holders.iter().map(|h| (h.pid(), HELD_FD)).collect();
    walk.push((std::process::id(), shared.as_raw_fd()));
    walk.sort();
    let listed: Vec<String> = walk
        .iter()
        .rev()
        .map(|(pid, fd)| format!("(\"{}\",pid={pid},fd={fd})", comm(*pid)))
        .collect();
    assert_eq!(
        users[&shared_row],
        format!("users:({})", listed.join(",")),
        "holders of the shared listener"
    );
}

#[test]
fn bad_thread_counts_are_usage_errors() {
    for bad in ["0", "", "two", "-1", "1025", "99999999999999999999999"] {
        let o = Command::new(common::rss_bin())
            .arg("-tlnp")
            .env("RSS_THREADS", bad)
            .env_remove("TCPDIAG_FILE")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "RSS_THREADS={bad:?}: {err}");
        assert!(
            o.stdout.is_empty(),
            "RSS_THREADS={bad:?}: printed {:?}",
            o.stdout
        );
        assert_eq!(
            err,
            format!("rss: RSS_THREADS={bad}: expected a number of threads from 1 to 1024\n")
        );
    }
    for bad in ["", "Proc", "bpf", "kernel ", "0"] {
        let o = Command::new(common::rss_bin())
            .arg("-tlnp")
            .env("RSS_HOLDERS", bad)
            .env_remove("TCPDIAG_FILE")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "RSS_HOLDERS={bad:?}: {err}");
        assert!(o.stdout.is_empty(), "RSS_HOLDERS={bad:?}");
        assert_eq!(
            err,
            format!("rss: RSS_HOLDERS={bad}: expected auto, proc or kernel\n")
        );
    }
    // Without -p the walk does not run and the variable is not read.
    let o = Command::new(common::rss_bin())
        .arg("-tln")
        .env("RSS_THREADS", "0")
        .env_remove("TCPDIAG_FILE")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn a_narrow_selection_is_dumped_once() {
    require_privileged!();
    require_tool!("strace");
    let ns = NetNs::new().unwrap();
    let listeners: Vec<TcpListener> = ns
        .run(|| {
            (0..3)
                .map(|_| TcpListener::bind("127.0.0.1:0"))
                .collect::<std::io::Result<Vec<_>>>()
        })
        .unwrap();
    let log = std::env::temp_dir().join(format!("rss-dumps-{}.log", std::process::id()));
    let o = ns
        .command("strace")
        .args(["-f", "-qq", "-e", "trace=sendto,sendmsg", "-o"])
        .arg(&log)
        .arg(common::rss_bin())
        .arg("-tlnpH")
        .env_remove("TCPDIAG_FILE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let trace = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let rows = String::from_utf8(o.stdout).unwrap();
    for l in &listeners {
        let local = format!("127.0.0.1:{} ", l.local_addr().unwrap().port());
        let row = rows.lines().find(|r| r.contains(&local));
        let row = row.unwrap_or_else(|| panic!("no row for {local}: {rows}"));
        assert!(
            row.contains(&format!("pid={},fd={}", std::process::id(), l.as_raw_fd())),
            "{row}"
        );
    }
    // TCP over both families is one TCPDIAG_GETSOCK (0x12) request.
    let requests = trace
        .lines()
        .filter(|l| l.contains("nlmsg_type=0x12") || l.contains("TCPDIAG_GETSOCK"))
        .count();
    assert_eq!(requests, 1, "one dump of the TCP table:\n{trace}");
}
