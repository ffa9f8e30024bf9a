//! `rss -N NS` run from the host: the binary enters the namespace on its
//! main thread, as `ss -N` does, and creates no thread for it. Every path
//! of such a run must see that namespace, not the host's: the dump, the
//! `/proc/net` fallback, interface names (`%dev` and `dev` filters), the
//! local port range (service names), `-p`, and `-s`'s per-namespace
//! counts. Each is compared with `ss` run in the namespace (what `ss -N`
//! prints; `ss -N` takes only names under `/run/netns`), in a namespace
//! made to differ from the host on each point.

use std::process::Command;

use crate::common;
use common::{Out, World, rss_bin, run_command, run_tool, run_tool_with, world};
use testkit::{require_oracle, require_privileged, require_tool};

/// An interface only the namespace has, and a TCP listener bound to it.
const DEV: &str = "h21nsv0";
const DEV_PORT: &str = "0.0.0.0:8081";

/// The world, with a listener bound to [`DEV`], and a local port range
/// that makes the world's 5353/udp (`mdns`) and [::1]:8080 (`http-alt`)
/// ephemeral there, so that `ss` prints their numbers in the namespace
/// and their names in the host's default range (32768-60999).
fn namespace_unlike_the_host() -> (World, Box<dyn Send>) {
    let w = world();
    w.ns.sh_ok(&format!(
        "ip link add {DEV} type veth peer name {DEV}p && ip link set {DEV} up"
    ));
    w.ns.sysctl("net.ipv4.ip_local_port_range", "5000 60999")
        .unwrap();
    let held = w.ns.run(|| {
        let l = testkit::listener(DEV_PORT.parse().unwrap(), 7, None).unwrap();
        l.bind_device(Some(DEV.as_bytes())).unwrap();
        Box::new(l) as Box<dyn Send>
    });
    (w, held)
}

/// `prog -N NS args`, started from the host's namespace.
fn from_host(prog: &std::path::Path, w: &World, args: &[&str]) -> Command {
    let mut c = Command::new(prog);
    c.arg("-N").arg(w.ns.path()).args(args);
    c
}

#[test]
fn a_run_from_the_host_sees_only_the_namespace_as_ss_n_does() {
    require_privileged!();
    let oracle = require_oracle!();
    let (w, _held) = namespace_unlike_the_host();
    for (args, env) in [
        (&["-tan"][..], &[][..]),
        (&["-ua"][..], &[]),
        (&["-xa"][..], &[]),
        (&["-tl"][..], &[]),
        (&["-tln", "dev", DEV][..], &[]),
        (&["-tlnp"][..], &[]),
        (&["-tlnp"][..], &[("RSS_THREADS", "1")][..]),
        (&["-tan", "sport", "=", ":5000"][..], &[]),
    ] {
        let mut c = from_host(&rss_bin(), &w, args);
        c.envs(env.iter().copied());
        let ours = run_command(c, false, Out::Piped);
        let theirs = run_tool(&w.ns, &oracle, args, env, Out::Piped);
        assert_eq!(ours.code, Some(0), "rss -N {args:?}: {}", ours.stderr);
        if ours != theirs {
            panic!(
                "-N from the host: {}",
                common::describe(args, Out::Piped, &ours, &theirs)
            );
        }
    }
    // What the comparison stands on, by value: the namespace's own sockets,
    // interface and port range.
    let text = |args: &[&str]| {
        let o = from_host(&rss_bin(), &w, args).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "rss -N {args:?}: {o:?}");
        String::from_utf8(o.stdout).unwrap()
    };
    let tl = text(&["-tl"]);
    assert!(
        tl.contains(&format!("0.0.0.0%{DEV}:8081")),
        "no listener on {DEV}:\n{tl}"
    );
    assert!(tl.contains("[::1]:8080 "), "8080 not ephemeral here:\n{tl}");
    assert!(!tl.contains("http-alt"), "the host's port range:\n{tl}");
    let ua = text(&["-ua"]);
    assert!(
        ua.contains("127.0.0.1:5353 "),
        "5353 not ephemeral here:\n{ua}"
    );
    let p = text(&["-tlnp"]);
    let row = p
        .lines()
        .find(|l| l.contains("127.0.0.1:5000 "))
        .unwrap_or_else(|| panic!("no listener on :5000:\n{p}"));
    assert!(
        row.contains(&format!("pid={},", std::process::id())),
        "-p does not name this test as the holder: {row}"
    );
}

#[test]
fn the_proc_net_fallback_reads_the_namespace_s_files() {
    require_privileged!();
    let oracle = require_oracle!();
    let (w, _held) = namespace_unlike_the_host();
    for (args, mark) in [
        (&["-tan"][..], "127.0.0.1:5000 "),
        (&["-ua"], "127.0.0.1:5353 "),
        (&["-xa"], "rss-diff-"),
        (&["-tl"], ":8081 "),
    ] {
        let mut c = from_host(&rss_bin(), &w, args);
        crate::fallback::deny_netlink(&mut c);
        let ours = run_command(c, false, Out::Piped);
        let theirs = run_tool_with(
            &w.ns,
            &oracle,
            args,
            &[],
            Out::Piped,
            crate::fallback::deny_netlink,
        );
        assert_eq!(ours.code, Some(0), "rss -N {args:?}: {}", ours.stderr);
        assert!(
            ours.stderr.contains("Cannot open netlink socket"),
            "rss -N {args:?} did not fall back: {}",
            ours.stderr
        );
        assert!(
            ours.stdout.contains(mark),
            "rss -N {args:?} does not show the namespace's {mark:?}:\n{}",
            &*ours.stdout
        );
        if ours != theirs {
            panic!(
                "-N from the host without netlink: {}",
                common::describe(args, Out::Piped, &ours, &theirs)
            );
        }
    }
}

/// `-s`: the per-namespace lines (the transport table) of `rss -N` and
/// `ss` in the namespace; the `Total:` and `TCP:` lines hold host-wide counters and are
/// left out.
#[test]
fn the_summary_counts_the_namespace_s_sockets() {
    require_privileged!();
    let oracle = require_oracle!();
    let (w, _held) = namespace_unlike_the_host();
    let table = |mut c: Command| {
        let o = c.output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{c:?}: {o:?}");
        String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("Total:") && !l.starts_with("TCP:"))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    };
    let ours = table(from_host(&rss_bin(), &w, &["-s"]));
    let mut theirs = w.ns.command(&oracle);
    theirs.arg("-s");
    assert_eq!(ours, table(theirs));
    // The world's two UDP sockets (the host has others).
    let udp = ours.lines().find(|l| l.starts_with("UDP")).unwrap();
    assert_eq!(
        udp.split_whitespace().collect::<Vec<_>>(),
        ["UDP", "2", "2", "0"],
        "{ours}"
    );
}

/// `strace` of `rss -N NS args` (threads followed), with `RSS_THREADS=1`,
/// tracing `clone`, `clone3` and `setns` into `log`.
fn traced(w: &World, log: &std::path::Path, args: &[&str]) -> Command {
    let mut c = Command::new("strace");
    c.args(["-f", "-qq", "-e", "trace=clone,clone3,setns", "-o"])
        .arg(log)
        .arg(rss_bin())
        .arg("-N")
        .arg(w.ns.path())
        .args(args)
        .env("RSS_THREADS", "1");
    c
}

/// Asserts that the trace in `log` is one successful `setns` into a
/// network namespace and nothing else (no thread), then removes `log`.
fn assert_one_setns_and_no_thread(log: &std::path::Path, what: &str) {
    let trace = std::fs::read_to_string(log).unwrap();
    let _ = std::fs::remove_file(log);
    // `PID call(args) = result`, spaces squeezed; signals (`--- SIG`) and
    // `+++ exited` lines left out.
    let calls: Vec<String> = trace
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(_, call)| call))
        .map(|call| call.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|call| !call.starts_with("+++") && !call.starts_with("---"))
        .collect();
    let entered = |c: &String| c.starts_with("setns(") && c.ends_with(", CLONE_NEWNET) = 0");
    assert!(
        calls.len() == 1 && entered(&calls[0]),
        "{what}: one setns and no thread expected:\n{trace}"
    );
}

/// The binary enters `-N`'s namespace with one `setns` and starts no thread
/// for it (a thread costs 128-192 KiB of peak memory more than `ss -N`):
/// strace sees no `clone`. `RSS_THREADS=1` keeps `-p`'s walk of `/proc` on
/// the main thread too.
#[test]
fn a_single_namespace_run_creates_no_thread() {
    require_privileged!();
    require_tool!("strace");
    let (w, _held) = namespace_unlike_the_host();
    let log = std::env::temp_dir().join(format!("rss-strace-{}.log", std::process::id()));
    for (args, fallback) in [
        (&["-uan"][..], false),
        (&["-xa"][..], false),
        (&["-tan"][..], false),
        (&["-tl"][..], false),
        (&["-tln", "dev", DEV][..], false),
        (&["-tlnp"][..], false),
        (&["-s"][..], false),
        (&["-K", "--dry-run", "dport", "=", ":5000"][..], false),
        (&["-tan"][..], true),
    ] {
        let mut c = traced(&w, &log, args);
        if fallback {
            crate::fallback::deny_netlink(&mut c);
        }
        let o = c.output().unwrap();
        assert_eq!(o.status.code(), Some(0), "strace rss -N {args:?}: {o:?}");
        assert_one_setns_and_no_thread(&log, &format!("rss -N {args:?} (fallback: {fallback})"));
    }
    // `--watch`: its first frame read, its output closed, which ends it.
    let args = ["--watch=1", "-tn"];
    let mut child = traced(&w, &log, &args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    assert!(!first.is_empty(), "rss -N {args:?} printed nothing");
    child.wait().unwrap();
    assert_one_setns_and_no_thread(&log, &format!("rss -N {args:?}"));
}

/// The namespace of the calling thread (device, inode).
fn thread_ns() -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata("/proc/thread-self/ns/net").unwrap();
    (m.dev(), m.ino())
}

/// In-process callers choose: `rss::run` leaves the calling thread in its
/// namespace (the lab calls it for several namespaces in turn), and
/// `rss::run_main` moves it into `-N`'s for good. Both print the
/// namespace's sockets. Each runs on a thread of its own.
#[test]
fn run_keeps_the_caller_s_thread_and_run_main_moves_it() {
    require_privileged!();
    let (w, _held) = namespace_unlike_the_host();
    let target = {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(w.ns.path()).unwrap();
        (m.dev(), m.ino())
    };
    let home = thread_ns();
    assert_ne!(home, target);
    type Entry =
        fn(Vec<std::ffi::OsString>, &mut dyn std::io::Write, &mut dyn std::io::Write) -> i32;
    let call = |entry: Entry| {
        std::thread::scope(|s| {
            s.spawn(|| {
                let argv = vec!["rss".into(), "-N".into(), w.ns.path().into(), "-tln".into()];
                let (mut out, mut err) = (Vec::new(), Vec::new());
                let code = entry(argv, &mut out, &mut err);
                assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
                (String::from_utf8(out).unwrap(), thread_ns())
            })
            .join()
            .unwrap()
        })
    };
    let (out, after) = call(rss::run);
    assert!(out.contains("127.0.0.1:5000 "), "rss::run -N:\n{out}");
    assert_eq!(after, home, "rss::run moved the calling thread");
    let (out, after) = call(rss::run_main);
    assert!(out.contains("127.0.0.1:5000 "), "rss::run_main -N:\n{out}");
    assert_eq!(after, target, "rss::run_main did not enter the namespace");
    assert_eq!(thread_ns(), home, "the test's own thread moved");
}
