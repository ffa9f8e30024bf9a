//! `rss top`: a full-screen, refreshing view of the busiest TCP
//! connections (ratatui on crossterm, behind the default cargo feature
//! `tui`; without it `rss top` checks its arguments, then says [`NO_TUI`]
//! and exits 2).
//!
//! Keys: `1`..`6` sort by Recv-Q, Send-Q, send rate, receive rate,
//! retransmits, RTT (the same key again flips the order), `s` next sort
//! column, `/` types a filter in ss's language at a prompt that edits like
//! a shell line ([`model::LineEdit`]: typing replaces the filter in force,
//! arrows, Home/End, Ctrl-A/E/U/W/K; Enter applies, Esc cancels), `t`
//! shows or hides TIME-WAIT, `g` groups by process, up/down (or `k`/`j`)
//! select the connection shown in the detail pane, `q`, Esc or Ctrl-C
//! quit. LISTEN is shown (a listener's Recv-Q is its accept queue) and
//! TIME-WAIT hidden unless `-a`, `t` or a filter naming states says
//! otherwise.
//!
//! [`run`] checks the arguments; `screen` runs the terminal. Samples come from [`sockdiag::sample::Sampler`] (one dump per refresh, with
//! `tcp_info` and processes); the view state is the pure [`model::Model`]
//! and the screen is drawn by `ui::draw`, so both are tested without a
//! terminal. The terminal is restored on quit, on error, on Ctrl-C or
//! SIGTERM and on panic (ratatui's panic hook).
//!
//! `RSS_TOP_TEST_PANIC=1` panics right after the first sample is drawn:
//! the tests use it to prove that a panic leaves a usable terminal.
//!
//! Exit status: 0 after `q`, 1 when the system refused (namespace,
//! permission), 2 for bad usage (a bad interval, sort key or filter, or
//! stdout not a terminal).

pub mod model;
#[cfg(feature = "tui")]
mod screen;
#[cfg(feature = "tui")]
pub mod ui;

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;

use crate::exit::EXIT_USAGE;
use model::{Model, SortKey};

/// What `rss top` says in a build without the `tui` feature (exit 2).
pub const NO_TUI: &str =
    "this build of rss has no terminal UI (built without the cargo feature tui)";

/// What `rss top` does, in one line (its `about`, listed by `rss --help`).
pub const ABOUT: &str = "Full-screen view of the busiest TCP connections, refreshed every interval";

/// `rss top`: the busiest TCP connections, refreshed.
#[derive(Debug, Parser)]
#[command(
    name = "rss top",
    bin_name = "rss top",
    about = ABOUT,
    after_help = "Keys: 1-6 sort by Recv-Q, Send-Q, Send/s, Recv/s, Retrans, RTT (again: reverse), \
                  s next sort, / filter (ss language; typing replaces the filter, arrows and \
                  Ctrl-U/W/K edit, Enter applies, Esc cancels), t show/hide TIME-WAIT, \
                  g group by process, up/down select, q quit.\n\n\
                  Exit status: 0 success, 1 the system refused (namespace, permission), 2 bad usage."
)]
pub struct TopArgs {
    /// Refresh interval (ms, s or m; seconds by default)
    #[arg(short = 'i', long, value_name = "INTERVAL", default_value = "1s")]
    pub interval: String,
    /// Network namespace NAME (/run/netns/NAME), or a namespace file if it contains '/'
    #[arg(short = 'N', long = "net", value_name = "NSNAME")]
    pub net: Option<OsString>,
    /// Initial sort column: recv-q, send-q, send, recv, retrans, rtt
    #[arg(long, value_name = "KEY", default_value = "send")]
    pub sort: String,
    /// Start grouped by process
    #[arg(short = 'g', long)]
    pub group: bool,
    /// Also show TIME-WAIT, closed and bound-inactive sockets (LISTEN is always shown)
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Initial filter, in ss's language (state words, then an expression)
    #[arg(value_name = "FILTER")]
    pub filter: Vec<String>,
}

/// Runs `rss top` (`argv` starts with the program name, then `top`).
pub fn run(argv: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let args = match TopArgs::try_parse_from(argv.into_iter().skip(1)) {
        Ok(a) => a,
        Err(e) => return crate::exit::clap_failure("top", &e, out, err),
    };
    let usage = |err: &mut dyn Write, msg: String| {
        let _ = writeln!(err, "rss: top: {msg}");
        EXIT_USAGE
    };
    let interval = match crate::exit::parse_interval_for("--interval", &args.interval) {
        Ok(i) => i,
        Err(e) => return usage(err, e),
    };
    let Some(sort) = SortKey::parse(&args.sort) else {
        return usage(
            err,
            format!(
                "--sort: '{}' is not one of recv-q, send-q, send, recv, retrans, rtt",
                args.sort
            ),
        );
    };
    let mut model = Model::new(sort);
    model.grouped = args.group;
    if args.all {
        model.hidden = sockdiag::States::empty();
    }
    if let Err(e) = model.set_filter(&args.filter.join(" ")) {
        return usage(err, e);
    }
    #[cfg(feature = "tui")]
    {
        screen::run(&args, interval, model, err)
    }
    #[cfg(not(feature = "tui"))]
    {
        let _ = (interval, model);
        let _ = writeln!(err, "rss: top: {NO_TUI}");
        EXIT_USAGE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(words: &[&str]) -> (i32, String, String) {
        let argv = ["rss", "top"].iter().chain(words).map(OsString::from);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(argv.collect(), &mut out, &mut err);
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (code, text(out), text(err))
    }

    #[test]
    fn bad_arguments_are_usage_errors_in_every_build() {
        let (code, out, err) = top(&["--sort", "bogus"]);
        assert_eq!(code, EXIT_USAGE);
        assert_eq!(out, "");
        assert!(
            err.starts_with("rss: top: --sort: 'bogus' is not one of"),
            "{err}"
        );
    }

    #[cfg(not(feature = "tui"))]
    #[test]
    fn without_the_tui_feature_top_says_so() {
        let (code, out, err) = top(&[]);
        assert_eq!(code, EXIT_USAGE);
        assert_eq!(out, "");
        assert_eq!(err, format!("rss: top: {NO_TUI}\n"));
        // Its help still answers.
        let (code, out, _) = top(&["--help"]);
        assert_eq!(code, 0);
        assert!(out.contains("Usage: rss top"), "{out}");
    }
}
