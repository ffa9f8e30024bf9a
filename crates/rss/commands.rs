//! The subcommands of `rss`, declared once, and the entry point that
//! dispatches: [`run()`] hands a subcommand's command line to its module and
//! everything else, once parsed, to `run`, `watch` or `netns_all`. This is
//! the top of the command line: no other module uses it.
//!
//! [`SUBCOMMANDS`] is the one list: [`run()`] dispatches on it,
//! `rss --help` lists it ([`help_template`]), and the man pages and shell
//! completions (`crates/xtask/src/gen_docs.rs`) are generated from it. Each
//! subcommand lives in a file of its own with a clap parser.
//!
//! A subcommand is taken only when it is the first argument, spelled
//! exactly. Everything else is `ss`'s command line, untouched: `ss` reads
//! every word after the options as a filter word (`ss -t bench` and `ss
//! bench` both fail on the filter), so `rss -t bench`, `rss -- bench` or
//! `rss benchmark` are filter words here too, and no filter can begin with
//! a subcommand's name (a filter begins with `state`, `exclude`, a
//! predicate keyword, `not`, `!` or `(`).

use std::ffi::{OsStr, OsString};
use std::io::Write;

use clap::CommandFactory;

use crate::args::{Args, Config, ParseError};
use crate::exit::{EXIT_OK, EXIT_USAGE, exit_status};
use crate::plan::Thread;

/// Runs `rss` with `argv` (program name first), writing the table to `out`
/// and messages to `err`. Returns the exit status. Never panics on input.
/// The calling thread stays in its network namespace: `-N`'s namespace is
/// reached from helper threads.
pub fn run(argv: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    dispatch(argv, out, err, Thread::Stays)
}

/// [`run()`] for a program's main thread that has nothing more to do in its
/// own namespace (the `rss` binary): a run in one namespace (`-N NAME`,
/// `--watch` included, `--all-netns` excluded) moves the calling thread
/// into it for good before anything is opened there, as `ss -N` does, and
/// needs no helper thread. Subcommands run as under [`run()`].
pub fn run_main(argv: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    dispatch(argv, out, err, Thread::Moves)
}

/// [`run()`] and [`run_main()`], which differ by what `thread` may do.
fn dispatch(argv: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write, thread: Thread) -> i32 {
    if let Some(sub) = find(&argv) {
        return (sub.run)(argv, out, err);
    }
    let cmd = Args::command().help_template(help_template());
    let config = match Config::parse_with(cmd, argv) {
        Ok(c) => c,
        Err(ParseError::Clap(e)) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = write!(out, "{}", e.render());
                return EXIT_OK;
            }
            let first = crate::exit::first_line(&e);
            let first = sockdiag::ss::escape_controls(&first);
            let _ = writeln!(err, "rss: {first}\nTry 'rss --help' for more information.");
            return EXIT_USAGE;
        }
        Err(ParseError::Usage(e)) => {
            let _ = writeln!(
                err,
                "rss: {}",
                sockdiag::ss::escape_controls(&e.to_string())
            );
            return EXIT_USAGE;
        }
    };
    if thread == Thread::Moves {
        // A program's main thread (the binary): clap's memory, freed now,
        // goes back before the run allocates its own.
        crate::sys::release_free_heap();
    }
    let result = if config.watch.is_some() {
        crate::watch::run(&config, thread, out, err)
    } else if config.all_netns.is_some() {
        crate::netns_all::run(&config, out, err)
    } else {
        crate::run::execute(&config, thread, out, err)
    };
    exit_status(result, err)
}

/// One subcommand of `rss`.
#[derive(Debug, Clone, Copy)]
pub struct Subcommand {
    /// Its name: `rss NAME [ARGS]`.
    pub name: &'static str,
    /// The line `rss --help` lists it with: its parser's `about`.
    pub about: &'static str,
    /// Its clap command, for the man pages and shell completions.
    pub command: fn() -> clap::Command,
    /// Runs it with the whole command line (`rss`, `NAME`, its arguments),
    /// writing to `out` and `err`; returns the exit status.
    pub run: fn(Vec<OsString>, &mut dyn Write, &mut dyn Write) -> i32,
}

/// Every subcommand, in the order `rss --help` lists them.
pub const SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        name: "bench",
        about: crate::bench::ABOUT,
        command: crate::bench::command,
        run: crate::bench::run,
    },
    Subcommand {
        name: "doctor",
        about: crate::doctor::ABOUT,
        command: crate::doctor::command,
        run: crate::doctor::run,
    },
    Subcommand {
        name: "top",
        about: crate::top::ABOUT,
        command: crate::top::TopArgs::command,
        run: crate::top::run,
    },
    Subcommand {
        name: "exporter",
        about: crate::exporter::ABOUT,
        command: crate::exporter::ExporterArgs::command,
        run: crate::exporter::run,
    },
];

/// The subcommand `argv` asks for: its second word, when that is exactly a
/// subcommand's name. `None` means `rss [ss options] [FILTER]`.
pub fn find(argv: &[OsString]) -> Option<&'static Subcommand> {
    let word: &OsStr = argv.get(1)?;
    SUBCOMMANDS.iter().find(|s| word == s.name)
}

/// The help template of `rss` itself: clap's default with the subcommands
/// listed after the usage, one line each (`  NAME  about`).
pub fn help_template() -> String {
    let width = SUBCOMMANDS.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let mut t = String::from(
        "{before-help}{about-with-newline}\n{usage-heading} {usage}\n\n\
         Commands (each has its own --help):\n",
    );
    for s in SUBCOMMANDS {
        t.push_str(&format!("  {:<width$}  {}\n", s.name, s.about));
    }
    t.push_str("\n{all-args}{after-help}");
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn each_entry_is_its_parsers_own() {
        for s in SUBCOMMANDS {
            let cmd = (s.command)();
            assert_eq!(
                cmd.get_about().map(|a| a.to_string()).as_deref(),
                Some(s.about),
                "{}",
                s.name
            );
            // The parser names itself after the subcommand (usage lines,
            // man page file names).
            assert_eq!(cmd.get_name(), format!("rss {}", s.name));
            assert_eq!(cmd.get_bin_name(), Some(cmd.get_name()));
            assert_eq!(
                find(&argv(&["rss", s.name, "--help"])).map(|f| f.name),
                Some(s.name)
            );
        }
        let mut names: Vec<_> = SUBCOMMANDS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SUBCOMMANDS.len(), "a name twice");
    }

    #[test]
    fn only_the_first_word_spelled_exactly_is_a_subcommand() {
        for words in [
            &["rss"][..],
            &["rss", "-t", "bench"],
            &["rss", "--", "bench"],
            &["rss", "Bench"],
            &["rss", "benchmark"],
            &["rss", "bench=1"],
            &["rss", "-tbench"],
            &["rss", "state", "established"],
            &["rss", "dst", "1.2.3.4"],
            &["rss", "", "bench"],
        ] {
            assert!(find(&argv(words)).is_none(), "{words:?}");
        }
    }

    #[test]
    fn no_filter_word_that_starts_a_filter_is_a_subcommand() {
        // The words a filter may begin with, as ss's grammar has them.
        for w in [
            "state",
            "exclude",
            "excl",
            "src",
            "dst",
            "sport",
            "dport",
            "dev",
            "fwmark",
            "cgroup",
            "autobound",
            "not",
            "!",
            "(",
        ] {
            assert!(find(&argv(&["rss", w])).is_none(), "{w}");
        }
    }

    #[test]
    fn help_lists_every_subcommand_aligned() {
        let t = help_template();
        for s in SUBCOMMANDS {
            assert!(
                t.contains(&format!("  {:<8}  {}\n", s.name, s.about)),
                "{t}"
            );
        }
    }
}
