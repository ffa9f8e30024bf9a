//! The scenario lab: the seed's socket experiments, one command each.
//!
//! ```text
//! cargo run --example lab -- --list
//! cargo run --example lab -- backlog          # one scenario
//! cargo run --example lab -- syn-drop rst     # several
//! cargo run --example lab -- all              # every scenario, in order
//! ```
//!
//! Each scenario builds its situation in a private, anonymous network
//! namespace (root needed; `iptables` for syn-drop, ack-drop,
//! fin-unanswered and peer-gone), prints what rss shows at each step, then
//! an explanation quoting the values it measured, and removes the
//! namespace. The host's sockets, netfilter rules and sysctls are never
//! touched.
//!
//! The scenarios live in the `lab` crate (`lab::scenarios`), which
//! `tests/lab.rs` runs too: the tests assert, row by row, what this prints.

use lab::scenarios;

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use scenarios::{Lab, Observer, SCENARIOS, Step};

/// Builds the seed's socket situations in private network namespaces and
/// shows them through rss.
#[derive(Parser, Debug)]
#[command(
    name = "lab",
    after_help = "Scenarios (see --list): backlog syn-drop ack-drop recv-q send-q rst \
                  close-wait time-wait refused fin-unanswered peer-gone, or `all`.\n\
                  Needs root (network namespaces); iptables for syn-drop, ack-drop, \
                  fin-unanswered and peer-gone."
)]
struct Args {
    /// List the scenarios and what each shows.
    #[arg(long)]
    list: bool,
    /// At each step, also run `rss doctor` on the namespace (300 ms apart).
    #[arg(long)]
    doctor: bool,
    /// Scenarios to run, in order; `all` runs every one.
    #[arg(value_name = "SCENARIO")]
    scenarios: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.list || args.scenarios.is_empty() {
        for (name, what) in SCENARIOS {
            println!("{name:<15} {what}");
        }
        if !args.list {
            println!("\nusage: cargo run --example lab -- <SCENARIO>... | all");
        }
        return ExitCode::SUCCESS;
    }
    let names: Vec<&str> = if args.scenarios.iter().any(|s| s == "all") {
        SCENARIOS.iter().map(|(n, _)| *n).collect()
    } else {
        args.scenarios.iter().map(String::as_str).collect()
    };
    if let Some(bad) = names
        .iter()
        .find(|n| !SCENARIOS.iter().any(|(s, _)| s == *n))
    {
        eprintln!("lab: unknown scenario {bad:?}; `--list` shows them");
        return ExitCode::from(2);
    }
    if let Some(why) = testkit::privilege_error() {
        eprintln!("lab: cannot create network namespaces ({why}); run as root");
        return ExitCode::FAILURE;
    }
    let mut failed = false;
    for name in names {
        if let Err(e) = run_one(name, args.doctor) {
            eprintln!("lab: {name}: {e}");
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn run_one(name: &str, doctor: bool) -> scenarios::Result<()> {
    let what = SCENARIOS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, w)| *w);
    println!("━━ {name}: {what}");
    println!(
        "   (a private network namespace; server {})",
        scenarios::SERVER
    );
    let mut printer = Printer { doctor };
    let report = scenarios::run(name, &mut printer)?;
    println!();
    for line in wrap(&report.explanation, 78) {
        println!("{line}");
    }
    println!(
        "\n   ({name}: {:.1} s; namespace removed)\n",
        report.elapsed.as_secs_f64()
    );
    Ok(())
}

/// Prints each action and each step as rss shows it (and, with `--doctor`,
/// what `rss doctor` finds).
struct Printer {
    doctor: bool,
}

impl Observer for Printer {
    fn note(&mut self, line: &str) {
        println!("   · {line}");
    }

    fn step(&mut self, lab: &Lab, step: &Step) {
        println!("\n── {}", step.title);
        for args in step.show {
            println!("$ rss {args}");
            let stdout = io::stdout();
            let mut out = stdout.lock();
            if let Err(e) = show(&lab.ns.path(), args, &mut out) {
                let _ = writeln!(out, "(rss failed: {e})");
            }
            let _ = out.flush();
        }
        if self.doctor {
            // rss doctor's exit status 1 means findings, not a failure.
            let mut argv = vec![
                OsString::from("rss"),
                OsString::from("doctor"),
                OsString::from("-N"),
                lab.ns.path().into_os_string(),
                OsString::from("--interval"),
                OsString::from("300ms"),
            ];
            if counters_only(step) {
                argv.push(OsString::from("--since-boot"));
            }
            let shown: Vec<String> = argv[4..]
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            println!("$ rss doctor {}", shown.join(" "));
            let stdout = io::stdout();
            let mut out = stdout.lock();
            let mut err = Vec::new();
            if rss::run(argv, &mut out, &mut err) > 1 {
                let _ = writeln!(
                    out,
                    "(rss doctor failed: {})",
                    String::from_utf8_lossy(&err).trim()
                );
            }
            let _ = out.flush();
        }
    }
}

/// Whether a step follows an event only the namespace's counters remember
/// (a reset, a refused connect): then `rss doctor --since-boot`, as the
/// namespace is new and everything its counters hold happened on purpose.
fn counters_only(step: &Step) -> bool {
    step.title.contains("SO_LINGER") || step.title.contains("refused")
}

/// Prints `rss -N <namespace> <args>`: the one place that decides how the
/// lab shows a namespace. It calls the CLI's own entry point, `rss::run`
/// (`-N` takes a namespace file path when the argument contains a `/`), so
/// the lab prints exactly what `rss` prints.
fn show(ns: &Path, args: &str, out: &mut dyn Write) -> io::Result<()> {
    let argv = vec![
        OsString::from("rss"),
        OsString::from("-N"),
        ns.as_os_str().to_owned(),
        OsString::from(args),
    ];
    let mut err = Vec::new();
    match rss::run(argv, out, &mut err) {
        0 => Ok(()),
        code => Err(io::Error::other(format!(
            "exit status {code}: {}",
            String::from_utf8_lossy(&err).trim()
        ))),
    }
}

/// Wraps `text` at `width` columns, indented by three spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::from("  ");
    for word in text.split_whitespace() {
        if line.len() + 1 + word.len() > width && !line.trim().is_empty() {
            lines.push(std::mem::replace(&mut line, String::from("  ")));
        }
        line.push(' ');
        line.push_str(word);
    }
    if !line.trim().is_empty() {
        lines.push(line);
    }
    lines
}
