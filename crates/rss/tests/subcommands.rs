//! One dispatch: `rss NAME` runs a subcommand of `rss::commands::SUBCOMMANDS`
//! when NAME is the first word; any other word is ss's filter, as ss reads
//! it (compared with the ss 7.1 oracle where it matters).

use std::path::Path;
use std::process::{Command, Output};

use testkit::require_oracle;

fn rss(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rss"))
        .args(args)
        .output()
        .expect("run rss")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn each_subcommand_prints_its_own_parsers_help() {
    crate::common::exporter_beside_rss();
    for s in rss::commands::SUBCOMMANDS {
        for flag in ["--help", "-h"] {
            // What the subcommand's parser answers on its own.
            let want = (s.command)()
                .try_get_matches_from([s.name, flag])
                .expect_err("help is clap's error")
                .render()
                .to_string();
            let o = rss(&[s.name, flag]);
            assert_eq!(o.status.code(), Some(0), "rss {} {flag}", s.name);
            assert_eq!(text(&o.stdout), want, "rss {} {flag}", s.name);
            assert!(o.stderr.is_empty(), "rss {} {flag}", s.name);
            let usage = format!("Usage: rss {} ", s.name);
            assert!(want.contains(&usage), "{want}");
        }
    }
}

#[test]
fn each_subcommand_reports_an_unknown_option_as_its_own() {
    crate::common::exporter_beside_rss();
    for s in rss::commands::SUBCOMMANDS {
        let o = rss(&[s.name, "--no-such-option"]);
        assert_eq!(o.status.code(), Some(2), "rss {}", s.name);
        assert!(o.stdout.is_empty());
        let e = text(&o.stderr);
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(lines.len(), 2, "{e}");
        assert!(
            lines[0].starts_with(&format!("rss: {}: ", s.name))
                && lines[0].contains("--no-such-option"),
            "{e}"
        );
        assert_eq!(
            lines[1],
            format!("Try 'rss {} --help' for more information.", s.name)
        );
    }
}

#[test]
fn rss_exporter_without_the_exporter_beside_it_says_how_to_install_it() {
    // rss alone in a directory, with an rss-exporter on PATH that must not
    // run: rss looks beside its own executable only.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rss-alone");
    let _ = std::fs::remove_dir_all(&dir);
    let bin = dir.join("bin");
    let decoy = dir.join("path");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&decoy).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_rss"), bin.join("rss")).unwrap();
    let planted = decoy.join("rss-exporter");
    std::fs::write(&planted, "#!/bin/sh\necho planted\nexit 0\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o755)).unwrap();
    for args in [&["exporter", "--help"][..], &["exporter"]] {
        let o = Command::new(bin.join("rss"))
            .args(args)
            .env("PATH", &decoy)
            .output()
            .expect("run the copied rss");
        assert_eq!(o.status.code(), Some(2), "rss {args:?}: {o:?}");
        assert!(o.stdout.is_empty(), "rss {args:?}: {o:?}");
        assert_eq!(
            text(&o.stderr),
            format!(
                "rss: exporter: {} is not installed ({})\n",
                bin.join("rss-exporter").display(),
                rss::exporter::INSTALL_HINT
            ),
            "rss {args:?}"
        );
    }
    assert!(
        rss::exporter::INSTALL_HINT.contains("cargo install --locked --path crates/rss-exporter")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The filter error rss prints for a word where ss wants a filter.
fn assert_filter_word(args: &[&str], word: &str) {
    let o = rss(args);
    assert_eq!(o.status.code(), Some(2), "rss {args:?}");
    assert!(o.stdout.is_empty(), "rss {args:?}");
    let e = text(&o.stderr);
    assert!(
        e.starts_with("rss: filter: ")
            && e.contains(&format!("found '{word}'"))
            && e.lines().count() == 1,
        "rss {args:?}: {e}"
    );
}

#[test]
fn a_subcommand_name_after_anything_else_is_a_filter_word_as_in_ss() {
    let ss = require_oracle!();
    for s in rss::commands::SUBCOMMANDS {
        for args in [
            vec!["-t", s.name],
            vec!["--", s.name],
            vec!["-ta", "--", s.name],
        ] {
            assert_filter_word(&args, s.name);
            // ss fails on the same word, as a filter (an address it cannot parse).
            let o = Command::new(&ss).args(&args).output().unwrap();
            assert!(!o.status.success(), "ss {args:?}");
            let e = text(&o.stderr);
            assert!(e.contains(&format!("\"{}\"", s.name)), "ss {args:?}: {e}");
            assert!(o.stdout.is_empty(), "ss {args:?}");
        }
    }
}

#[test]
fn a_word_that_is_not_a_subcommand_is_a_filter_word_as_in_ss() {
    let ss = require_oracle!();
    for word in ["benchmark", "Bench", "DOCTOR", "tops", "export", "help"] {
        assert_filter_word(&[word], word);
        let o = Command::new(&ss).arg(word).output().unwrap();
        assert!(!o.status.success(), "ss {word}");
        assert!(o.stdout.is_empty(), "ss {word}");
    }
}

#[test]
fn filters_that_start_the_command_line_are_still_filters() {
    // A filter's first word is never a subcommand: these print a table
    // (the header at least), as ss does.
    for args in [
        &["state", "established"][..],
        &["dst", "1.2.3.4"],
        &["exclude", "time-wait", "dport", "=", ":1"],
        &["(", "sport", "=", ":1", ")"],
    ] {
        let o = rss(args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "rss {args:?}: {}",
            text(&o.stderr)
        );
        assert!(text(&o.stdout).starts_with("Netid"), "rss {args:?}");
    }
}
