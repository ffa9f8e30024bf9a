//! The man pages and shell completions, generated from the CLI's own clap
//! definitions, so they never drift from `rss --help`.
//!
//! ```text
//! cargo xtask gen-docs target/docs
//! man -l target/docs/rss.1
//! ```
//!
//! Writes `rss.1` (with the filter grammar laid out as a section of its
//! own), one `rss-NAME.1` per subcommand of `rss::commands::SUBCOMMANDS`,
//! and the completions `rss.bash`, `_rss` (zsh) and `rss.fish`, which offer the
//! subcommands and the words `-f` and `-A` take.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::builder::PossibleValuesParser;
use clap::{CommandFactory, ValueHint};
use clap_complete::Shell;

/// The `rss` command as the documentation shows it: the parser `rss` runs,
/// plus what only the documentation needs. The subcommands are dispatched
/// before that parser (`rss::run()`), so here they are added as clap
/// subcommands, from the same list (`rss::commands::SUBCOMMANDS`); `-f` and `-A` get their words as possible values (the
/// parser itself checks them with ss's own messages and takes comma lists
/// for `-A`); file options get file hints.
pub fn command() -> clap::Command {
    let query_help = format!(
        "Comma list of socket tables; a leading ! excludes one: {}",
        rss::args::QUERY_NAMES.join(", ")
    );
    let mut cmd = rss::args::Args::command()
        // The help text lists the subcommands by hand (`help_template`); the
        // man page lists them from their own parsers.
        .help_template("{about-with-newline}\n{usage-heading} {usage}\n\n{all-args}")
        .after_help(None::<&str>)
        .mut_arg("family", |a| {
            a.value_parser(PossibleValuesParser::new(rss::args::FAMILIES))
                .hide_possible_values(true)
        })
        .mut_arg("query", |a| {
            a.value_parser(PossibleValuesParser::new(rss::args::QUERY_NAMES))
                .hide_possible_values(true)
                .help(query_help)
        })
        .mut_arg("net", |a| a.value_hint(ValueHint::AnyPath))
        .mut_arg("diag", |a| a.value_hint(ValueHint::FilePath))
        .mut_arg("filter_file", |a| a.value_hint(ValueHint::FilePath))
        .disable_help_subcommand(true);
    for sub in rss::commands::SUBCOMMANDS {
        cmd = cmd.subcommand(
            (sub.command)()
                .name(sub.name)
                .bin_name(format!("rss {}", sub.name)),
        );
    }
    cmd
}

/// Escapes text for roff: backslashes, hyphens (minus signs in options),
/// and a leading `.` or `'` that would read as a request.
fn roff(text: &str) -> String {
    let t = text.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}

/// The hand-written sections of `rss.1` after the options.
fn extra_sections(w: &mut dyn Write) -> io::Result<()> {
    let mut s = String::new();
    s.push_str(".SH FILTER\n");
    s.push_str(&format!(
        "{}\n",
        roff(
            "Everything after the options is the filter: state words first, then an \
             expression over the sockets' addresses and attributes. Options may also \
             come after the filter; -- ends the options. A word may hold several words \
             separated by spaces, as with ss (quote the expression in the shell). \
             -F FILE reads the expression from a file."
        )
    ));
    s.push_str(".PP\n.RS 4\n.nf\n");
    // The grammar as `rss --help` prints it, one rule per line.
    for line in rss::args::FILTER_GRAMMAR.lines() {
        let line = roff(line);
        s.push_str(&line);
        s.push('\n');
    }
    s.push_str(".fi\n.RE\n");
    s.push_str(".PP\n");
    s.push_str(&format!(
        "{}\n",
        roff(
            "and binds tighter than or, as the manual of ss documents (ss itself evaluates \
             them left to right: write parentheses when mixing them). state adds states, exclude removes \
             them; the first of these words starts from no state (state) or from every \
             state (exclude), replacing what the options chose. States and groups are as in ss(8): connected is every state but \
             listening and closed, synchronized is connected but syn-sent, bucket is \
             syn-recv and time-wait, big is every state but those of bucket. A host \
             name matches every address it resolves to; dev and unix: globs are \
             evaluated in user space, the rest compiles to a kernel filter."
        )
    ));
    s.push_str(".PP\nExamples:\n.PP\n.RS 4\n.nf\n");
    for ex in [
        "rss \\-tn state established '( dport = :443 or sport = :443 )'",
        "rss \\-t state listening sport le :1024",
        "rss \\-xa src unix:/run/*.sock",
        "rss \\-tan exclude time\\-wait dst 10.0.0.0/8",
    ] {
        s.push_str(ex);
        s.push('\n');
    }
    s.push_str(".fi\n.RE\n");

    s.push_str(".SH ENVIRONMENT\n.TP\n.B TCPDIAG_FILE\n");
    s.push_str(&format!(
        "{}\n",
        roff(
            "Replay TCP sockets from FILE, written by -D, instead of asking the kernel \
             (as ss does)."
        )
    ));
    s.push_str(".TP\n.B RSS_THREADS\n");
    s.push_str(&format!(
        "{}\n",
        roff(
            "Walk /proc for -p on this many threads, 1 to 1024 (default: the cores rss may \
             run on, cgroup CPU limits included). The output is the same for any number."
        )
    ));
    s.push_str(".TP\n.B RSS_HOLDERS\n");
    s.push_str(&format!(
        "{}\n",
        roff(
            "Where -p takes its holders from: proc (the walk of /proc/PID/fd, as ss does), kernel \
             (the kernel's task-file iterator, a BPF program: needs CAP_BPF and CAP_PERFMON or \
             CAP_SYS_ADMIN, the initial pid namespace, and not -T; an error otherwise) or auto \
             (the default: the iterator where it can be used, else the walk). The output is the \
             same from either."
        )
    ));

    s.push_str(".SH \"EXIT STATUS\"\n.TP\n.B 0\nsuccess (also when the output is closed early)\n");
    s.push_str(
        ".TP\n.B 1\nthe kernel or the system refused (namespace, permission, I/O, a corrupt replay file)\n",
    );
    s.push_str(".TP\n.B 2\nbad usage (unknown option, bad state word, bad filter)\n");
    s.push_str(".PP\n");
    s.push_str(&roff(
        "Each subcommand documents its own exit status in its page and in its --help.",
    ));
    s.push('\n');

    s.push_str(".SH \"SEE ALSO\"\n.BR ss (8)");
    for sub in rss::commands::SUBCOMMANDS {
        s.push_str(&format!(",\n.BR rss\\-{} (1)", roff(sub.name)));
    }
    s.push('\n');
    w.write_all(s.as_bytes())
}

/// Renders `rss.1` from `cmd`: clap_mangen's sections, the subcommands,
/// then [`extra_sections`].
fn render_main_page(cmd: &clap::Command, w: &mut dyn Write) -> io::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    man.render_subcommands_section(w)?;
    extra_sections(w)?;
    man.render_version_section(w)
}

/// Writes every page and completion script into `dir`; returns their paths.
pub fn generate(dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut cmd = command();
    cmd.build();
    let mut written = Vec::new();

    let mut page = Vec::new();
    render_main_page(&cmd, &mut page)?;
    let path = dir.join("rss.1");
    std::fs::write(&path, page)?;
    written.push(path);

    let source = format!("rss {}", cmd.get_version().unwrap_or_default());
    for sub in cmd.get_subcommands() {
        let man = clap_mangen::Man::new(sub.clone()).source(source.clone());
        let mut page = Vec::new();
        man.render(&mut page)?;
        // clap_mangen calls the text after the options "EXTRA".
        let page = String::from_utf8_lossy(&page).replace("\n.SH EXTRA\n", "\n.SH NOTES\n");
        let path = dir.join(man.get_filename());
        std::fs::write(&path, page)?;
        written.push(path);
    }

    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        written.push(clap_complete::generate_to(
            shell,
            &mut cmd.clone(),
            "rss",
            dir,
        )?);
    }
    Ok(written)
}
