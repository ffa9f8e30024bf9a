//! The bottom of the command line: exit statuses, failures and how they
//! are reported, clap's errors, usage errors and intervals.
//!
//! Every other module of `rss` may use this one; it uses none of them.

use std::io::{self, Write};
use std::time::Duration;

use sockdiag::Error;

/// Exit status: success.
pub const EXIT_OK: i32 = 0;
/// Exit status: the kernel or the system refused (namespace, permission, I/O).
pub const EXIT_FAILURE: i32 = 1;
/// Exit status: bad usage (unknown flag, bad filter word).
pub const EXIT_USAGE: i32 = 2;

/// A failure after the command line was accepted.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Writing the output failed; a broken pipe is not reported.
    Output(io::Error),
    /// The library failed.
    Diag(Error),
    /// A filter that only parses inside the namespace (`-N` and `dev`).
    Usage(String),
    /// The system refuses before anything is tried (`-K` without
    /// `CAP_NET_ADMIN`, `-Z` without SELinux): exit 1.
    Refused(String),
    /// Already reported on stderr; exit status 1.
    Quiet,
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Output(e)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Diag(e)
    }
}

/// Reports a failure on `err` as `rss: ...` and returns the exit status.
pub(crate) fn exit_status(result: Result<(), Failure>, err: &mut dyn Write) -> i32 {
    match result {
        Ok(()) => EXIT_OK,
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(Failure::Output(e)) => {
            let _ = writeln!(err, "rss: write error: {e}");
            EXIT_FAILURE
        }
        Err(Failure::Diag(e)) => {
            let _ = writeln!(err, "rss: {}{}", shown(&e), privilege_hint(&e));
            EXIT_FAILURE
        }
        Err(Failure::Usage(e)) => {
            let _ = writeln!(err, "rss: {}", shown(&e));
            EXIT_USAGE
        }
        Err(Failure::Refused(e)) => {
            let _ = writeln!(err, "rss: {}", shown(&e));
            EXIT_FAILURE
        }
        Err(Failure::Quiet) => EXIT_FAILURE,
    }
}

/// A message as printed: control characters escaped, so that no escape
/// sequence from a path or a word reaches the terminal.
pub(crate) fn shown(e: &dyn std::fmt::Display) -> String {
    sockdiag::ss::escape_controls(&e.to_string()).into_owned()
}

/// What a refused operation needs, for the error line, matched to the
/// errno and to the capabilities held: `EPERM` from `setns` is a missing
/// `CAP_SYS_ADMIN` only when it is missing; `EACCES` is the file's
/// permissions (or a ptrace or security module rule), never a capability.
fn privilege_hint(e: &Error) -> &'static str {
    use sockdiag::host::{CAP_SYS_ADMIN, has_capability};
    let Error::Namespace { .. } = e else {
        return "";
    };
    namespace_hint(e.errno(), has_capability(CAP_SYS_ADMIN))
}

/// The hint of [`privilege_hint`] for a namespace failure with `errno`,
/// when `CAP_SYS_ADMIN` is held (`Some(true)`), not held, or unknown.
fn namespace_hint(errno: Option<i32>, sys_admin: Option<bool>) -> &'static str {
    match (errno, sys_admin) {
        (Some(libc::EPERM), Some(false) | None) => {
            " (entering a network namespace needs CAP_SYS_ADMIN)"
        }
        (Some(libc::EPERM), Some(true)) => {
            " (refused although CAP_SYS_ADMIN is held: the namespace's owner or a security module forbids it)"
        }
        (Some(libc::EACCES), _) => {
            " (opening the file was denied: its permissions, /proc's ptrace rules or a security module)"
        }
        _ => "",
    }
}

/// Reports a clap error of subcommand `name`: help and version go to `out`
/// (exit 0); a usage error is one `rss: NAME: ...` line and a hint on `err`
/// (exit 2).
pub fn clap_failure(name: &str, e: &clap::Error, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = write!(out, "{}", e.render());
        return EXIT_OK;
    }
    let _ = writeln!(
        err,
        "rss: {name}: {}\nTry 'rss {name} --help' for more information.",
        shown(&first_line(e))
    );
    EXIT_USAGE
}

/// The first line of a clap error, without clap's `error: `.
pub(crate) fn first_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let first = text.lines().next().unwrap_or("bad usage");
    first.strip_prefix("error: ").unwrap_or(first).to_owned()
}

/// A mistake on the command line: printed as `rss: ...`, exit status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses an interval given to `flag` (`--watch`, `rss top --interval`,
/// `rss doctor --interval`): a positive number with an optional unit (`ms`,
/// `s`, `m`; seconds by default), e.g. `2s`, `500ms`, `1.5`; at least 1 ms
/// and at most a day. The error names the flag.
pub fn parse_interval_for(flag: &str, text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "{flag}: '{text}' is not an interval (a positive number with ms, s or m, e.g. {flag}=2s)"
        )
    };
    let t = text.trim();
    let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(bad());
    }
    let v: f64 = num.parse().map_err(|_| bad())?;
    let secs = v * scale;
    if !secs.is_finite() || secs < 0.001 {
        return Err(bad());
    }
    if secs > 86_400.0 {
        return Err(format!("{flag}: '{text}' is longer than a day"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses a `--watch` interval (see [`parse_interval_for`]).
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    parse_interval_for("--watch", text)
}

/// Whether standard output is a terminal.
pub(crate) fn is_stdout_tty() -> bool {
    use std::io::IsTerminal;
    io::stdout().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_hints_match_the_errno_and_the_capabilities_held() {
        let needs = " (entering a network namespace needs CAP_SYS_ADMIN)";
        assert_eq!(namespace_hint(Some(libc::EPERM), Some(false)), needs);
        assert_eq!(namespace_hint(Some(libc::EPERM), None), needs);
        for held in [Some(true), Some(false), None] {
            let h = namespace_hint(Some(libc::EACCES), held);
            assert!(h.contains("denied") && !h.contains("needs"), "{h}");
            assert_eq!(namespace_hint(Some(libc::ENOENT), held), "");
            assert_eq!(namespace_hint(None, held), "");
        }
        let h = namespace_hint(Some(libc::EPERM), Some(true));
        assert!(h.contains("although CAP_SYS_ADMIN is held"), "{h}");
    }

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_interval("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_interval("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_interval("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_interval("2m"), Ok(Duration::from_secs(120)));
        for bad in [
            "0", "0s", "-1s", "abc", "", "s", "1h", "1e3", "0.0001s", "1 s x",
        ] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
        assert!(parse_interval("2d").is_err());
        assert!(parse_interval("100000").is_err());
    }
}
