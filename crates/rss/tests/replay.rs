//! `-D FILE` and `TCPDIAG_FILE=FILE` replay, against the `ss` 7.1 oracle:
//! files written by the oracle's `-D` and by `rss -D` replay byte for byte
//! as the oracle replays them (the first NLMSG_DONE ends the file, so only
//! the IPv4 part shows; only the filter expression selects), iproute2's
//! own `testsuite/tests/ss/*.t` pass against rss run exactly as its
//! Makefile runs them, and broken files are clear errors.

use crate::common;

use std::path::{Path, PathBuf};

use common::{Out, oracle_diff, rss, rss_bin, rss_env, run_tool, world};
use testkit::{require_oracle, require_privileged};

fn tmp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("rss-replay-{}-{name}", std::process::id()))
}

/// Replays of `file`: every `args` byte-identical with the oracle's (a
/// replay reads a fixed file: one difference fails).
fn replays_as_oracle(ns: &testkit::NetNs, oracle: &Path, file: &Path, args: &[&[&str]]) {
    let env = [("TCPDIAG_FILE", file.to_str().unwrap())];
    for a in args {
        if let Some(d) = oracle_diff(ns, oracle, a, &env) {
            panic!("TCPDIAG_FILE={}: {d}", file.display());
        }
    }
}

/// The mask of the tool's own netlink row removes netlink rows only: a TCP
/// row whose port is the number of the tool's pid stays (with pids wrapping
/// at 32768, a replay's `:6000` row once vanished from the output of an
/// oracle that ran as pid 6000).
#[test]
fn a_port_equal_to_the_tool_s_pid_is_not_masked() {
    let out = "State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n\
               UNCONN 0      0          127.0.0.1:6000      0.0.0.0:*\n";
    assert_eq!(common::mask(out, 6000, false).text, out);
    // with a Netid column, and with -n
    let out = "Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n\
               tcp   UNCONN 0      0          127.0.0.1:6000      0.0.0.0:*\n\
               nl    UNCONN 0      0             rtnl:6000             *\n";
    let masked = common::mask(out, 6000, false).text;
    assert_eq!(
        masked,
        out.lines()
            .take(2)
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    );
    // netlink only (`-A netlink`: no Netid column)
    let out = "State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n\
               UNCONN 0      0      tcpdiag:ss/6000            *\n";
    assert_eq!(
        common::mask(out, 6000, true).text,
        out.lines().next().unwrap().to_string() + "\n"
    );
}

#[test]
fn files_from_ss_and_rss_replay_as_ss_replays_them() {
    require_privileged!();
    let oracle = require_oracle!();
    let w = world();
    let from_ss = tmp("ss.D");
    let from_rss = tmp("rss.D");
    let o = run_tool(
        &w.ns,
        &oracle,
        &["-ta", "-D", from_ss.to_str().unwrap()],
        &[],
        Out::Piped,
    );
    assert_eq!(o.code, Some(0), "{o:?}");
    rss(&w, &["-ta", "-D", from_rss.to_str().unwrap()]);
    let (a, b) = (
        std::fs::read(&from_ss).unwrap(),
        std::fs::read(&from_rss).unwrap(),
    );
    // Same messages; only each tool's sequence number and port id differ.
    assert_eq!(
        a.len(),
        b.len(),
        "ss -D wrote {} bytes, rss -D {}",
        a.len(),
        b.len()
    );
    let args: &[&[&str]] = &[
        &["-tan"],
        &["-ta"],
        &["-tanH"],
        &["-tl"],
        &["-t6"],
        &["-tanie"],
        &["-tanoie"],
        &["-tanm"],
        &["-tnH", "sport", "=", ":5000", "or", "dport", "=", ":5000"],
        &["-tn", "state", "established"],
    ];
    for f in [&from_ss, &from_rss] {
        replays_as_oracle(&w.ns, &oracle, f, args);
    }
    // The replay is the IPv4 part of the live table, whatever the flags say.
    let replayed = rss_env(
        &w,
        &["-tn"],
        &[("TCPDIAG_FILE", from_rss.to_str().unwrap())],
    );
    let replayed = String::from_utf8(replayed.stdout).unwrap();
    assert!(replayed.contains("LISTEN"), "{replayed}");
    assert!(!replayed.contains("[::1]"), "{replayed}");
    let _ = std::fs::remove_file(&from_ss);
    let _ = std::fs::remove_file(&from_rss);
}

/// iproute2's own ss test suite (`testsuite/tests/ss/*.t` with its
/// `ss1.dump`), run as its `testsuite/Makefile` runs it: from the
/// `testsuite` folder, `SS` set to the binary under test and scratch
/// `STD_OUT`, `STD_ERR`, `ERRF`; a case fails when it writes to `$ERRF`.
/// The oracle passes it too (the control).
#[test]
fn iproute2_ss_testsuite_passes() {
    let oracle = require_oracle!();
    // The oracle's source tree: .../iproute2-7.1.0/{misc/ss,testsuite}.
    let suite = oracle.parent().unwrap().parent().unwrap().join("testsuite");
    let cases: Vec<PathBuf> = std::fs::read_dir(suite.join("tests/ss"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "t"))
        .collect();
    assert!(
        !cases.is_empty(),
        "no tests/ss/*.t under {}",
        suite.display()
    );
    for ss in [oracle.clone(), rss_bin()] {
        for case in &cases {
            let t = tmp(&format!(
                "suite-{}",
                ss.file_name().unwrap().to_string_lossy()
            ));
            let _ = std::fs::remove_dir_all(&t);
            std::fs::create_dir_all(&t).unwrap();
            let rel = case.strip_prefix(&suite).unwrap();
            let o = std::process::Command::new("sh")
                .arg(rel)
                .current_dir(&suite)
                .env("SS", &ss)
                .env("STD_OUT", t.join("out"))
                .env("STD_ERR", t.join("err"))
                .env("ERRF", t.join("errf"))
                .output()
                .unwrap();
            let errf = std::fs::read_to_string(t.join("errf")).ok();
            assert!(
                errf.is_none(),
                "{} with SS={}:\n{}\n--- output:\n{}",
                rel.display(),
                ss.display(),
                errf.unwrap_or_default(),
                String::from_utf8_lossy(&o.stdout)
            );
            let _ = std::fs::remove_dir_all(&t);
        }
    }
}

#[test]
fn broken_files_are_clear_errors() {
    require_privileged!();
    let w = world();
    let good = tmp("good.D");
    rss(&w, &["-ta", "-D", good.to_str().unwrap()]);
    let bytes = std::fs::read(&good).unwrap();
    let cut = tmp("cut.D");
    std::fs::write(&cut, &bytes[..bytes.len() / 2 + 3]).unwrap();
    let junk = tmp("junk.D");
    std::fs::write(&junk, b"this is not a netlink dump at all\n").unwrap();
    let empty = tmp("empty.D");
    std::fs::write(&empty, b"").unwrap();
    for (file, needle) in [
        (&cut, "truncated"),
        (
            &junk,
            "corrupt: the message at byte 0 gives its length (nlmsg_len) as",
        ),
        (&empty, "empty file"),
        (&tmp("missing.D"), "No such file"),
    ] {
        let o = rss_env(&w, &["-tan"], &[("TCPDIAG_FILE", file.to_str().unwrap())]);
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{}: {e}", file.display());
        assert!(
            e.starts_with("rss: ") && e.contains(needle) && e.lines().count() == 1,
            "{}: {e}",
            file.display()
        );
        assert!(!e.contains("panicked"));
        if needle == "No such file" {
            // Nothing was read: no header, only the error.
            assert!(
                o.stdout.is_empty(),
                "{}",
                String::from_utf8_lossy(&o.stdout)
            );
        }
    }
    for f in [good, cut, junk, empty] {
        let _ = std::fs::remove_file(f);
    }
}
