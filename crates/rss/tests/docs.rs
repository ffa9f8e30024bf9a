//! What a new user meets first: `rss --help`, the man pages, the shell
//! completions, and `examples/dump` in a pipe.
//!
//! The man pages and completions are generated here by the very code of
//! `cargo xtask gen-docs` (`xtask::gen_docs`), into a fresh directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use xtask::gen_docs;

fn rss(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rss"))
        .args(args)
        .output()
        .expect("run rss")
}

/// The subcommands and the about line each one's own parser has.
fn subcommands() -> Vec<(&'static str, String)> {
    let list: Vec<_> = rss::commands::SUBCOMMANDS
        .iter()
        .map(|s| {
            (
                s.name,
                (s.command)().get_about().expect("about").to_string(),
            )
        })
        .collect();
    // The four the README documents, at least.
    for name in ["bench", "doctor", "top", "exporter"] {
        assert!(list.iter().any(|(n, _)| *n == name), "{name}");
    }
    list
}

/// Generates the docs once per test into a directory of its own.
fn generate(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("docs-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    let written = gen_docs::generate(&dir).expect("generate docs");
    let pages = subcommands()
        .into_iter()
        .map(|(name, _)| format!("rss-{name}.1"));
    for name in ["rss.1", "rss.bash", "_rss", "rss.fish"]
        .map(String::from)
        .into_iter()
        .chain(pages)
    {
        assert!(
            written.contains(&dir.join(&name)),
            "{name} not in {written:?}"
        );
    }
    dir
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn help_lists_every_subcommand_with_its_own_about_line() {
    for flag in ["--help", "-h"] {
        let o = rss(&[flag]);
        assert!(o.status.success());
        let help = String::from_utf8(o.stdout).unwrap();
        assert!(help.contains("rss COMMAND [OPTIONS]"), "{help}");
        let commands: Vec<&str> = help
            .lines()
            .skip_while(|l| !l.starts_with("Commands"))
            .skip(1)
            .take_while(|l| !l.is_empty())
            .collect();
        let want: Vec<String> = subcommands()
            .iter()
            .map(|(name, about)| format!("  {name:<9} {about}"))
            .collect();
        assert_eq!(commands, want, "{help}");
    }
    // Each one answers its own --help on stdout, exit 0.
    crate::common::exporter_beside_rss();
    for (name, _) in subcommands() {
        let o = rss(&[name, "--help"]);
        assert!(o.status.success(), "rss {name} --help");
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(text.contains(&format!("rss {name}")), "{text}");
    }
}

#[test]
fn the_listed_family_and_table_words_are_the_ones_rss_takes() {
    for f in rss::args::FAMILIES {
        let argv = ["rss", "-f", f].map(Into::into).to_vec();
        assert!(rss::args::Config::parse(argv).is_ok(), "-f {f}");
    }
    for q in rss::args::QUERY_NAMES {
        for word in [q.to_string(), format!("!{q}"), format!("tcp,{q}")] {
            let argv = vec!["rss".into(), "-A".into(), word.clone().into()];
            assert!(rss::args::Config::parse(argv).is_ok(), "-A {word}");
        }
    }
    // And the parser is unchanged by the lists: ss's own messages.
    let o = rss(&["-f", "bogus"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "rss: \"bogus\" is invalid family\n"
    );
    let o = rss(&["-A", "tcp,bogus"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "rss: -A: 'bogus' is not a socket table\n"
    );
}

#[test]
fn man_page_lays_out_the_filter_grammar_and_the_subcommands() {
    let dir = generate("man");
    let page = read(&dir, "rss.1");
    let filter = page
        .split("\n.SH ")
        .find(|s| s.starts_with("FILTER\n"))
        .unwrap_or_else(|| panic!("no FILTER section in\n{page}"));
    // One rule per line, in a no-fill block.
    assert!(filter.contains("\n.nf\n"), "{filter}");
    for rule in [
        "\nFILTER := [ state STATE\\-FILTER | exclude STATE\\-FILTER ]...\n",
        "\nSTATE\\-FILTER := all | connected | synchronized | bucket | big\n",
        "\nTCP\\-STATE := established | syn\\-sent | syn\\-recv | fin\\-wait\\-1\n",
        "\nEXPRESSION := PREDICATE\n",
        "\nPREDICATE := src HOST | dst HOST\n",
        "\nOP := = | == | eq | != | ne | neq | < | lt | > | gt\n",
        "\nPORT := [:]NUMBER | [:]SERVICE\\-NAME | *\n",
    ] {
        assert!(filter.contains(rule), "{rule:?} not in\n{filter}");
    }
    // Every state word the parser takes is in the grammar.
    for state in [
        "established",
        "syn-sent",
        "syn-recv",
        "fin-wait-1",
        "fin-wait-2",
        "time-wait",
        "closed",
        "close-wait",
        "last-ack",
        "listening",
        "closing",
        "bound-inactive",
    ] {
        assert!(rss::filter::scan_state(state).is_some(), "{state}");
        assert!(filter.contains(&state.replace('-', "\\-")), "{state}");
    }
    for section in ["EXIT STATUS", "ENVIRONMENT", "SEE ALSO"] {
        assert!(
            page.contains(&format!(".SH \"{section}\""))
                || page.contains(&format!(".SH {section}\n")),
            "{section}"
        );
    }
    for (name, _) in subcommands() {
        assert!(page.contains(&format!("rss\\-{name}(1)")), "rss-{name}(1)");
        let sub = read(&dir, &format!("rss-{name}.1"));
        let th = format!("\n.TH rss-{name} 1  \"rss {}\"", env!("CARGO_PKG_VERSION"));
        assert!(sub.contains(&th), "{th:?} not in\n{sub}");
        assert!(!sub.contains(".SH EXTRA"), "{sub}");
    }
    let bench = read(&dir, "rss-bench.1");
    assert!(bench.contains("\\-\\-runs"), "{bench}");
    // The -A help lists the table names.
    assert!(page.contains(&rss::args::QUERY_NAMES.join(", ")), "{page}");
}

#[test]
fn help_lays_out_the_filter_grammar_as_the_man_page() {
    let dir = generate("help-grammar");
    let page = read(&dir, "rss.1");
    for flag in ["--help", "-h"] {
        let o = rss(&[flag]);
        assert!(o.status.success());
        let help = String::from_utf8(o.stdout).unwrap();
        // One rule per line, continuation lines indented, each within 80
        // columns, in the order the man page has them.
        let at = help
            .find("\nFILTER := [ state STATE-FILTER | exclude STATE-FILTER ]...\n")
            .unwrap_or_else(|| panic!("no FILTER rule on a line of its own in\n{help}"));
        let mut rest = &help[at..];
        for line in rss::args::FILTER_GRAMMAR.lines() {
            let l = format!("\n{line}\n");
            let i = rest
                .find(&l)
                .unwrap_or_else(|| panic!("{line:?} not a line of {flag} (in order):\n{help}"));
            rest = &rest[i + l.len() - 1..];
            assert!(line.chars().count() <= 80, "{line:?}");
            let escaped = line.replace('\\', "\\e").replace('-', "\\-");
            assert!(
                page.contains(&format!("\n{escaped}\n")),
                "{escaped:?} not in rss.1"
            );
        }
        for rule in ["EXPRESSION := PREDICATE", "           | not EXPRESSION"] {
            assert!(help.lines().any(|l| l.starts_with(rule)), "{rule:?}");
        }
    }
}

#[test]
fn man_pages_render_without_warnings() {
    testkit::require_tool!("groff");
    let dir = generate("groff");
    let pages = subcommands()
        .into_iter()
        .map(|(name, _)| format!("rss-{name}.1"));
    for name in std::iter::once("rss.1".to_string()).chain(pages) {
        let o = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(dir.join(&name))
            .env("MANWIDTH", "80")
            .output()
            .expect("run groff");
        assert!(o.status.success(), "{name}");
        assert_eq!(String::from_utf8_lossy(&o.stderr), "", "groff on {name}");
    }
    // Rendered, the grammar keeps its lines.
    let o = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-rLL=80n"])
        .arg(dir.join("rss.1"))
        .env("GROFF_NO_SGR", "1")
        .output()
        .expect("run groff");
    let text = String::from_utf8_lossy(&o.stdout).replace(['\u{2010}', '\u{2212}'], "-");
    for line in [
        "FILTER := [ state STATE-FILTER | exclude STATE-FILTER ]...",
        "EXPRESSION := PREDICATE",
        "| EXPRESSION or EXPRESSION    (also | or ||)",
        "PREDICATE := src HOST | dst HOST",
    ] {
        assert!(
            text.lines().any(|l| l.trim() == line),
            "{line:?} not a line of\n{text}"
        );
    }
}

/// The words bash offers after `rss <words...>`, from the generated script.
fn bash_complete(script: &Path, words: &[&str]) -> Vec<String> {
    let words_sh: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE=\"${{COMP_WORDS[*]}}\"\n\
         COMP_POINT=${{#COMP_LINE}}\n_rss rss \"${{COMP_WORDS[COMP_CWORD]}}\" \
         \"${{COMP_WORDS[COMP_CWORD-1]}}\"\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display(),
        words_sh.join(" "),
        words.len() - 1
    );
    let o = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("run bash");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn completions_offer_families_tables_and_subcommands() {
    let dir = generate("completions");
    let bash = dir.join("rss.bash");
    let mut got = bash_complete(&bash, &["rss", "-A", ""]);
    got.sort();
    let mut want: Vec<String> = rss::args::QUERY_NAMES
        .iter()
        .map(|s| s.to_string())
        .collect();
    want.sort();
    assert_eq!(got, want, "rss -A <TAB>");
    let got = bash_complete(&bash, &["rss", "-f", "in"]);
    assert_eq!(got, ["inet", "inet6"], "rss -f in<TAB>");
    let got = bash_complete(&bash, &["rss", "--query", "unix_"]);
    assert_eq!(got, ["unix_stream", "unix_dgram", "unix_seqpacket"]);
    let got = bash_complete(&bash, &["rss", "do"]);
    assert_eq!(got, ["doctor"], "rss do<TAB>");
    let got = bash_complete(&bash, &["rss", "bench", "--ru"]);
    assert_eq!(got, ["--runs"], "rss bench --ru<TAB>");

    let zsh = read(&dir, "_rss");
    let fish = read(&dir, "rss.fish");
    for words in [rss::args::FAMILIES, rss::args::QUERY_NAMES] {
        let list = words.join(" ");
        assert!(zsh.contains(&format!("({list})")), "zsh lacks ({list})");
        for w in words {
            assert!(fish.contains(&format!("{w}\\t''")), "fish lacks {w}");
        }
    }
    for (name, _) in subcommands() {
        assert!(zsh.contains(&format!("'{name}:")), "zsh lacks {name}");
        assert!(
            fish.contains(&format!("-a \"{name}\"")),
            "fish lacks {name}"
        );
    }
}

/// `examples/dump`'s binary, built on demand with the cargo running the tests.
fn dump_example() -> PathBuf {
    let rss = Path::new(env!("CARGO_BIN_EXE_rss"));
    let exe = rss.parent().unwrap().join("examples").join("dump");
    let mut build = Command::new(env!("CARGO"));
    build.args(["build", "--quiet", "-p", "rss", "--example", "dump"]);
    if rss.parent().unwrap().ends_with("release") {
        build.arg("--release");
    }
    let o = build.output().expect("run cargo build --example dump");
    assert!(
        o.status.success(),
        "cargo build --example dump: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(exe.exists(), "{} not built", exe.display());
    exe
}

#[test]
fn dump_into_a_closed_pipe_exits_quietly() {
    // Enough sockets that the output is larger than any buffer on the way:
    // dump must meet the closed pipe on a write, not only on its last flush.
    let pairs: Vec<_> = (0..300)
        .map(|_| std::os::unix::net::UnixStream::pair().unwrap())
        .collect();
    let exe = dump_example();
    // The pipe's read end is closed before dump starts writing.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = Command::new(&exe)
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
    // And `dump | head -1` as a user types it: one line, no message, exit 0.
    let err = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dump-head.err");
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; '{}' 2>'{}' | head -1",
            exe.display(),
            err.display()
        ))
        .output()
        .unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(o.status.success(), "dump | head -1: {:?}", o.status);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with('{'), "{out}");
    assert_eq!(std::fs::read_to_string(&err).unwrap(), "");
    drop(pairs);
}
