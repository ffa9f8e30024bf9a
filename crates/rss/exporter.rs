//! `rss exporter`: the exporter's command line, and the hand-over to the
//! `rss-exporter` binary that serves it.
//!
//! The server (hyper on tokio, prometheus-client) lives in the crate
//! `rss-exporter`, so that `rss` links no web server. This module keeps
//! what the command line needs without it: [`ExporterArgs`], from which
//! `rss --help`, the man page and the shell completions are made, and
//! [`run`], which replaces `rss` with the `rss-exporter` found beside it.

use std::ffi::OsString;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Parser;

use crate::exit::{EXIT_FAILURE, EXIT_USAGE};

/// The exporter's binary, looked for beside `rss`'s own executable.
pub const BINARY: &str = "rss-exporter";

/// How to install [`BINARY`], as the README's install section says.
pub const INSTALL_HINT: &str = "install it beside rss: ./install.sh in the source tree, or cargo install --locked --path crates/rss-exporter";

/// What `rss exporter` does, in one line (its `about`, listed by `rss --help`).
pub const ABOUT: &str = "Serve socket statistics as Prometheus metrics";

/// Command-line arguments of `rss exporter`.
#[derive(Debug, Parser)]
#[command(
    name = "rss exporter",
    bin_name = "rss exporter",
    about = ABOUT,
    long_about = "Serve socket statistics as Prometheus metrics.\n\n\
        Every scrape of /metrics dumps the sockets afresh (the socket-to-process map is \
        cached and rebuilt in the background). Filter words are those of rss/ss \
        (state WORD, exclude WORD, then an expression). Exit status: 0 after --textfile \
        wrote its file, 1 when the system refuses or no namespace can be read (at start; \
        --textfile still writes its file, with rss_namespace_up 0), 2 on bad usage.\n\n\
        The server is the binary rss-exporter, installed beside rss: rss exporter runs it \
        with these arguments, and it can be run as rss-exporter too."
)]
pub struct ExporterArgs {
    /// Address and port to serve on (port 0 picks a free port; the chosen
    /// address is printed on stderr)
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:9779")]
    pub listen: SocketAddr,
    /// Export the network namespace NAME (/run/netns/NAME), or a namespace
    /// file if it contains '/'
    #[arg(
        short = 'N',
        long = "net",
        value_name = "NS",
        conflicts_with = "all_netns"
    )]
    pub net: Option<String>,
    /// Export every network namespace found (named ones and those of
    /// running processes), with a netns label
    #[arg(long)]
    pub all_netns: bool,
    /// Write the metrics once to PATH (temporary file, then rename) and exit
    #[arg(long, value_name = "PATH")]
    pub textfile: Option<PathBuf>,
    /// Most listener series per namespace; the rest fold into one (other) series
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub max_listeners: usize,
    /// Most process series per namespace (CLOSE-WAIT by process); the rest fold
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub max_processes: usize,
    /// With --all-netns, most namespaces dumped, the exporter's own included;
    /// the others are counted in rss_exporter_namespaces_folded
    #[arg(long, value_name = "N", default_value_t = crate::namespaces::MAX_NAMESPACES)]
    pub max_namespaces: usize,
    /// Seconds between rebuilds of the socket-to-process map (0: no process labels)
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub process_refresh: u64,
    /// Seconds between two samples of the background doctor sampler
    /// (0: no findings)
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub sample_interval: u64,
    /// Most sockets a sample may hold to be diagnosed (a larger namespace is
    /// reported in rss_doctor_skipped instead)
    #[arg(long, value_name = "N", default_value_t = 20_000)]
    pub sample_max_sockets: usize,
    /// Filter words, as for rss: state/exclude words, then an expression
    #[arg(
        value_name = "FILTER",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub filter: Vec<String>,
}

/// Where `rss exporter` looks for [`BINARY`]: beside `exe`, the running
/// `rss`. Never on `PATH`: a tool that may run as root must not run
/// whatever a user put first there.
pub fn binary_beside(exe: &Path) -> Option<PathBuf> {
    Some(exe.parent()?.join(BINARY))
}

/// Runs `rss exporter` (`argv[1]` is `exporter`): replaces this process
/// with [`BINARY`] from the directory of `rss`'s own executable, with the
/// arguments after `exporter`, so that signals and the exit status are the
/// exporter's. Returns only when that fails: exit 2, with one line saying
/// how to install it, when it is missing; exit 1 when the system refuses to
/// run it.
pub fn run(argv: Vec<OsString>, _out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe();
    let Some(path) = exe.as_deref().ok().and_then(binary_beside) else {
        let _ = writeln!(
            err,
            "rss: exporter: cannot find rss's own executable to look for {BINARY} beside it"
        );
        return EXIT_FAILURE;
    };
    let e = std::process::Command::new(&path)
        .arg0(BINARY)
        .args(argv.into_iter().skip(2))
        .exec();
    if e.kind() == std::io::ErrorKind::NotFound {
        let _ = writeln!(
            err,
            "rss: exporter: {} is not installed ({INSTALL_HINT})",
            path.display()
        );
        return EXIT_USAGE;
    }
    let _ = writeln!(err, "rss: exporter: cannot run {}: {e}", path.display());
    EXIT_FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binary_is_looked_for_beside_rss_only() {
        assert_eq!(
            binary_beside(Path::new("/usr/local/bin/rss")),
            Some(PathBuf::from("/usr/local/bin/rss-exporter"))
        );
        assert_eq!(
            binary_beside(Path::new("/opt/x/rss")),
            Some(PathBuf::from("/opt/x/rss-exporter"))
        );
    }
}
