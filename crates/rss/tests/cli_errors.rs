//! Bad input: every mistake gets one clear `rss: ...` line on stderr, a
//! documented exit status (2 usage, 1 system refusal), no panic and no
//! partial table. A closed pipe ends quietly with status 0.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};

use testkit::{Farm, NetNs, require_privileged};

fn rss(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rss"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn assert_usage_error(args: &[&str], needle: &str) {
    let o = rss(args);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "rss {args:?}: {e}");
    assert!(
        o.stdout.is_empty(),
        "rss {args:?} printed: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(e.starts_with("rss: "), "rss {args:?}: {e}");
    assert!(
        e.contains(needle),
        "rss {args:?}: expected {needle:?} in {e}"
    );
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn unknown_options_and_values() {
    assert_usage_error(&["--bogus"], "--bogus");
    assert_usage_error(&["-q"], "-q");
    assert_usage_error(&["-f", "bogus"], "bogus");
    assert_usage_error(&["-A", "tcp,nonsense"], "nonsense");
    assert_usage_error(&["-N"], "NSNAME");
}

#[test]
fn bad_state_words() {
    assert_usage_error(&["-t", "state", "bogus"], "'bogus'");
    assert_usage_error(&["-t", "exclude"], "after 'exclude'");
}

#[test]
fn bad_filter_expressions() {
    assert_usage_error(
        &["-t", "sport", "=", "foo"],
        "rss: filter: expected a port after 'sport =', found 'foo'",
    );
    // One argument holding the whole expression splits as in ss.
    assert_usage_error(
        &["-t", "sport = foo"],
        "expected a port after 'sport =', found 'foo'",
    );
    assert_usage_error(&["-t", "(", "dport", "=", ":22"], "unbalanced parentheses");
    assert_usage_error(&["-t", "dport", "=", ":22", ")"], "unbalanced parentheses");
    assert_usage_error(
        &["-t", "dport", "=", ":no-such-service"],
        "not a number or a known service",
    );
    assert_usage_error(&["-t", "dst", "10.0.0.0/40"], "bad prefix length");
    assert_usage_error(&["-t", "dport", "=", ":22", "and"], "after 'and'");
    assert_usage_error(&["-t", "frobnicate"], "found 'frobnicate'");
    assert_usage_error(
        &["-t", "-F", "/nonexistent/filter"],
        "rss: -F /nonexistent/filter: No such file",
    );
}

/// `-Z`/`-z` answer as ss does on a host without SELinux: one line, exit 1,
/// before anything is shown (`tests/cli_diff.rs` compares with the oracle).
#[test]
fn selinux_contexts_need_selinux() {
    for flag in ["-Z", "-z"] {
        let o = rss(&["-t", flag]);
        assert_eq!(o.status.code(), Some(1));
        assert!(o.stdout.is_empty());
        let want = if std::path::Path::new("/sys/fs/selinux/enforce").exists() {
            "rss: SELinux security contexts (-Z/-z) are not supported\n"
        } else {
            "rss: SELinux is not enabled.\n"
        };
        assert_eq!(stderr(&o), want);
    }
}

#[test]
fn missing_namespace_is_a_clear_failure() {
    let o = rss(&["-t", "-N", "rss-no-such-namespace"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(o.stdout.is_empty());
    assert_eq!(
        e,
        "rss: network namespace /run/netns/rss-no-such-namespace: No such file or directory (os error 2)\n"
    );
    let o = rss(&["-t", "-N", "/nonexistent/ns"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("rss: network namespace /nonexistent/ns: "));
}

#[test]
fn entering_a_namespace_without_privilege_is_refused() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_rss"))
        .arg("-t")
        .arg("-N")
        .arg(ns.path())
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(o.stdout.is_empty());
    // nobody cannot even open another process's fd link, or cannot setns.
    assert!(
        e.starts_with("rss: network namespace ") && e.lines().count() == 1,
        "{e}"
    );
    assert!(
        e.contains("Permission denied") || e.contains("Operation not permitted"),
        "{e}"
    );
}

#[test]
fn tables_this_kernel_lacks_print_no_rows_and_a_note() {
    let o = rss(&["-S", "-n"]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8(o.stdout.clone()).unwrap();
    assert_eq!(out.lines().count(), 1, "only the header: {out}");
    assert_eq!(
        stderr(&o),
        "rss: sctp: this kernel has no diag module for it; no sockets shown\n"
    );
    // Not asked by name: silent.
    let o = rss(&["-an", "-H"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
}

#[test]
fn help_and_version_succeed() {
    let o = rss(&["-h"]);
    assert_eq!(o.status.code(), Some(0));
    let h = String::from_utf8(o.stdout).unwrap();
    assert!(h.contains("Usage: rss [OPTIONS] [FILTER]"), "{h}");
    for heading in ["Display", "Selection", "Tables"] {
        assert!(h.contains(heading), "{heading} missing from help");
    }
    let o = rss(&["-V"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8(o.stdout).unwrap().starts_with("rss "));
}

#[test]
fn closed_pipe_ends_quietly() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    // Enough rows to overflow a 64 KiB pipe many times.
    let _farm = Farm::start(&ns, 3000).unwrap();
    for args in [&["-tan"][..], &["-tan", "-j"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rss"))
            .arg("-N")
            .arg(ns.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        // The reader is dropped here: rss's next write gets EPIPE.
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "rss {args:?}: {}", stderr(&o));
        assert!(o.stderr.is_empty(), "rss {args:?}: {}", stderr(&o));
        assert!(!first.is_empty());
    }
}

#[test]
fn summary_as_json() {
    let o = rss(&["-s", "-j"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).expect("-s -j prints one JSON object");
    for key in [
        "sockets_used",
        "tcp_inuse",
        "tcp_tw",
        "udp_inuse",
        "tcp_estab",
    ] {
        assert!(
            v.get(key).is_some_and(|x| x.is_u64()),
            "{key} missing in {v}"
        );
    }
}

#[test]
fn huge_filters_are_refused_not_a_crash() {
    let nested = format!("{}sport = :22{}", "( ".repeat(20000), " )".repeat(20000));
    let path = std::env::temp_dir().join(format!("rss-nested-{}", std::process::id()));
    std::fs::write(&path, nested).unwrap();
    let o = rss(&["-tan", "-F", path.to_str().unwrap()]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.starts_with("rss: filter: ") && e.lines().count() == 1,
        "{e}"
    );
    let nots = "not ".repeat(500) + "sport = :22";
    let o = rss(&["-tan", &nots]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nested too deeply"));
    let _ = std::fs::remove_file(path);
}
