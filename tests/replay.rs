//! `-D FILE` and `TCPDIAG_FILE=FILE` replay, with files written by the
//! system `ss -D` and by `rss -D`: the replayed table equals the live one,
//! filters and `-i` work on replayed data, and broken files are clear errors.

mod common;

use std::path::PathBuf;

use common::{World, normalize, rss, rss_env, world};
use testkit::{require_privileged, require_tool};

fn tmp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("rss-replay-{}-{name}", std::process::id()))
}

fn replay(w: &World, file: &std::path::Path, args: &[&str]) -> String {
    let o = rss_env(w, args, &[("TCPDIAG_FILE", file.to_str().unwrap())]);
    assert!(
        o.status.success(),
        "rss {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn ss_replay(w: &World, file: &std::path::Path, args: &[&str]) -> String {
    let o =
        w.ns.command("/usr/bin/ss")
            .args(args)
            .env("TCPDIAG_FILE", file)
            .output()
            .unwrap();
    assert!(o.status.success());
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn files_from_ss_and_rss_replay_to_the_live_table() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let w = world();
    let from_ss = tmp("ss.D");
    let from_rss = tmp("rss.D");
    w.ns.ss(&["-ta", "-D", from_ss.to_str().unwrap()]);
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
    let live = rss(&w, &["-tanH"]);
    for f in [&from_ss, &from_rss] {
        assert_eq!(
            normalize(&replay(&w, f, &["-tanH"])),
            normalize(&live),
            "replay of {}",
            f.display()
        );
        // ss 6.1 stops reading at the first NLMSG_DONE (the end of the IPv4
        // part); compare IPv4 rows.
        assert_eq!(
            normalize(&replay(&w, f, &["-tanH4"])),
            normalize(&ss_replay(&w, f, &["-tanH"]))
        );
    }
    // Filters and columns work on replayed data.
    let filtered = replay(
        &w,
        &from_rss,
        &["-tnH", "sport", "=", ":5000", "or", "dport", "=", ":5000"],
    );
    assert_eq!(
        normalize(&filtered),
        normalize(&rss(
            &w,
            &["-tnH", "sport", "=", ":5000", "or", "dport", "=", ":5000"]
        ))
    );
    assert_eq!(filtered.lines().count(), 4, "{filtered}");
    let _ = std::fs::remove_file(&from_ss);
    let _ = std::fs::remove_file(&from_rss);
}

#[test]
fn tcp_info_survives_the_round_trip() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let w = world();
    let f = tmp("info.D");
    rss(&w, &["-tai", "-D", f.to_str().unwrap()]);
    // Replayed values are frozen: rss and ss print the same -i line, field
    // for field (ss 6.1 reads only the IPv4 part; -4 on our side).
    let ours = replay(&w, &f, &["-tanHi4"]);
    let theirs = ss_replay(&w, &f, &["-tanHi"]);
    assert!(ours.contains("bytes_received:1000"), "{ours}");
    let strip = |t: &str| -> Vec<Vec<String>> {
        normalize(t)
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .filter(|x| !x.starts_with("rcv_wnd:") && !x.starts_with("rehash:"))
                    .collect()
            })
            .collect()
    };
    assert_eq!(strip(&ours), strip(&theirs));
    let _ = std::fs::remove_file(&f);
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
    for (file, needle) in [
        (&cut, "truncated"),
        (&junk, "corrupt"),
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
    for f in [good, cut, junk] {
        let _ = std::fs::remove_file(f);
    }
}
