//! `rss doctor --watch`: the doctor's rules over a sliding window of
//! samples, until stopped, printing each finding when it opens, when its
//! severity changes and when it resolves.
//!
//! One [`Sampler`] takes a sample every `--interval`; a
//! [`sockdiag::diagnose::Watcher`] keeps the last `--samples` of them,
//! runs the rules once the window is full and reports the transitions (see
//! its documentation for when a finding opens, changes and resolves: a
//! finding that comes and goes within a window stays one open finding).
//!
//! Text: one line per change,
//! `TIME  opened    critical  listen_queue_full  SUMMARY`, with
//! `changed   warning (was critical)` and `resolved` for the others. With
//! `-j`, JSON Lines: one [`WatchLine`] per change, with its
//! `schema_version` (schema: `schema/rss-doctor-watch.schema.json`).
//!
//! It ends on SIGINT or SIGTERM (exit 0) or when the reader goes away
//! (broken pipe, exit 0); a sample that fails ends it with exit 3.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sockdiag::diagnose::{Change, Event, Options, WatchLine, Watcher};
use sockdiag::sample::{SampleOptions, Sampler};
use sockdiag::{NetNs, Query};

use super::{Args, Failure, fmt_duration, paint, severity_label};
use crate::socket_metrics::utc_text;

/// Runs the watch until a stop signal or a closed output; `Ok` is exit 0.
pub(super) fn run(
    args: &Args,
    query: Query,
    ns: Option<&Path>,
    opts: Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Failure> {
    let handle = ns.map(NetNs::from_path).transpose()?;
    let sample_opts = SampleOptions::default().processes(!args.no_processes);
    let mut sampler = Sampler::new(query, handle.as_ref(), sample_opts)?;
    let mut watcher = Watcher::new(opts, args.samples as usize);
    let namespace = ns.map(|p| p.display().to_string());
    let color = super::use_color(args);
    if !args.json {
        let where_ = namespace.as_deref().unwrap_or("this namespace");
        let span = if args.samples > 1 {
            format!(
                "{} samples {} apart",
                args.samples,
                fmt_duration(args.interval)
            )
        } else {
            format!("1 sample every {}", fmt_duration(args.interval))
        };
        writeln!(
            err,
            "rss doctor: watching {where_} ({span}); a line per finding opened, changed or \
             resolved. Ctrl-C ends."
        )?;
        err.flush()?;
    }
    // SIGINT and SIGTERM end the loop at its next check, between lines.
    crate::sys::catch_stop_signals();
    let mut next = Instant::now();
    loop {
        let sample = sampler.sample()?;
        let taken_at = sample.taken_at;
        for event in watcher.push(sample) {
            if args.json {
                let line = WatchLine::new(namespace.clone(), millis(taken_at), event);
                serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from)?;
                writeln!(out)?;
            } else {
                writeln!(out, "{}", event_line(&event, taken_at, color))?;
            }
        }
        out.flush()?;
        next += args.interval;
        if !sleep_until(next) {
            return Ok(());
        }
        // A sample slower than the interval is followed at once by the next.
        next = next.max(Instant::now());
    }
}

fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Sleeps until `deadline`, waking to check for a stop signal; false when
/// one arrived.
fn sleep_until(deadline: Instant) -> bool {
    loop {
        if crate::sys::stop_requested() {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(50)));
    }
}

/// `TIME  opened    CRITICAL  listen_queue_full  SUMMARY`.
fn event_line(e: &Event, taken_at: SystemTime, color: bool) -> String {
    let time = utc_text(taken_at);
    let kind = paint(color, super::BOLD, e.kind.name());
    let summary = &e.finding.summary;
    match (e.change, e.previous_severity) {
        (Change::SeverityChanged, Some(was)) => format!(
            "{time}  changed   {} (was {})  {kind}  {summary}",
            severity_label(e.severity, color).trim_end(),
            was.name()
        ),
        _ => format!(
            "{time}  {:<8}  {}  {kind}  {summary}",
            e.change.name(),
            severity_label(e.severity, color)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockdiag::diagnose::{Finding, Kind, Severity, Transitions};

    fn finding(severity: Severity) -> Finding {
        Finding {
            kind: Kind::Resets,
            severity,
            summary: "resets and aborts while sampling: Tcp.OutRsts +3".into(),
            sockets: Vec::new(),
            evidence: Vec::new(),
            explanation: String::new(),
            next_check: String::new(),
            subject: "namespace".into(),
        }
    }

    #[test]
    fn one_line_per_change() {
        let at = UNIX_EPOCH + Duration::from_millis(1_709_210_096_789);
        let mut t = Transitions::new(1);
        let opened = t.update(0, vec![finding(Severity::Warning)]).remove(0);
        assert_eq!(
            event_line(&opened, at, false),
            "2024-02-29 12:34:56.789 UTC  opened    WARNING   resets  resets and aborts while \
             sampling: Tcp.OutRsts +3"
        );
        let worse = t.update(1, vec![finding(Severity::Critical)]).remove(0);
        assert_eq!(
            event_line(&worse, at, false),
            "2024-02-29 12:34:56.789 UTC  changed   CRITICAL (was warning)  resets  resets and \
             aborts while sampling: Tcp.OutRsts +3"
        );
        let resolved = t.update(2, vec![]).remove(0);
        assert_eq!(
            event_line(&resolved, at, false),
            "2024-02-29 12:34:56.789 UTC  resolved  CRITICAL  resets  resets and aborts while \
             sampling: Tcp.OutRsts +3"
        );
        assert!(event_line(&resolved, at, true).contains("\x1b[1;31mCRITICAL"));
    }
}
