//! `rss doctor`: find and explain socket problems.
//!
//! ```text
//! rss doctor [FILTER]... [-N NS] [--interval 1s] [--samples 3] [-j] [--since-boot] [THRESHOLDS]
//! rss doctor --conn FILTER... [-N NS [-N NS]]
//! rss doctor --watch [FILTER]... [-N NS] [--interval 1s] [--samples 3] [-j]
//! ```
//!
//! Takes `--samples` samples `--interval` apart through
//! [`sockdiag::sample::Sampler`] (one dump each: TCP in every state, UDP,
//! unix stream and seqpacket, with `tcp_info`, timers, memory and
//! processes, plus the namespace's counters), runs
//! [`sockdiag::diagnose::diagnose`] and prints the findings, most severe
//! first; `-j` prints them as JSON. This file only parses and renders:
//! every rule lives in the library.
//!
//! `--conn` follows the connections the filter selects through both ends
//! (loopback, or two namespaces given with `-N` twice) in whatever state
//! they are: the handshake, where the bytes sit, the close (`conn`).
//!
//! `--watch` runs until stopped, printing each finding when it opens,
//! changes severity and resolves (`doctor/watch.rs`; the watcher is
//! [`sockdiag::diagnose::Watcher`]).
//!
//! Exit status: 0 nothing found (with `--conn`: nothing held up; with
//! `--watch`: stopped by SIGINT or SIGTERM), 1 findings (a connection held
//! up, or none matched), 2 bad usage, 3 the system refused (namespace,
//! permission, netlink). A broken pipe ends quietly.

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use sockdiag::diagnose::{Finding, Options, Severity, SocketRef, Thresholds, diagnose};
use sockdiag::filter::Filter;
use sockdiag::sample::{Sample, SampleOptions, Sampler};
use sockdiag::{Query, State, States, Tables};

mod watch;

/// Exit status: nothing found.
pub const EXIT_CLEAN: i32 = 0;
/// Exit status: findings (or, with `--conn`, a connection held up or none).
pub const EXIT_FINDINGS: i32 = 1;
/// Exit status: bad usage.
pub const EXIT_USAGE: i32 = 2;
/// Exit status: the system refused (namespace, permission, netlink).
pub const EXIT_SYSTEM: i32 = 3;

/// What `rss doctor` does, in one line (its `about`, listed by `rss --help`).
pub const ABOUT: &str =
    "Find and explain socket problems (samples the sockets and the kernel counters)";

/// Finds and explains socket problems: full accept queues, stuck
/// handshakes, unread or unacknowledged data, CLOSE-WAIT leaks,
/// retransmissions, resets, TIME-WAIT and port pressure, UDP drops.
#[derive(Parser, Debug)]
#[command(
    name = "rss doctor",
    bin_name = "rss doctor",
    about = ABOUT,
    after_help = "Exit status: 0 nothing found (--watch: stopped by SIGINT or SIGTERM), \
                  1 findings (--conn: a connection held up, or none matched), 2 bad usage, \
                  3 the system refused.\n\
                  Thresholds: every rule's threshold has an option above; `rss doctor \
                  --explain` prints each kind of finding, when it is raised and its options \
                  (docs/guide.md, \"Kinds and thresholds\", has the defaults)."
)]
struct Args {
    /// Filter, as for rss itself (`state established`, `dport = :5000`, ...).
    #[arg(value_name = "FILTER")]
    filter: Vec<String>,
    /// Network namespace (`/run/netns/NAME`, or a path); twice with --conn
    /// for the two ends of a connection.
    #[arg(short = 'N', long = "net", value_name = "NS")]
    net: Vec<OsString>,
    /// Time between samples (`1s`, `500ms`, `0.2s`; a bare number is seconds).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    interval: Duration,
    /// Number of samples (with --watch, the window diagnosed after each
    /// sample; at least 1; rules about draining need 2).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    samples: u32,
    /// Print JSON.
    #[arg(short = 'j', long)]
    json: bool,
    /// Count what the kernel counters already hold, not only their rise
    /// during sampling (a namespace or host just set up).
    #[arg(long)]
    since_boot: bool,
    /// Follow the connection(s) the filter selects through both ends: the
    /// handshake, where the bytes sit, the close.
    #[arg(long)]
    conn: bool,
    /// Run until stopped: diagnose the last --samples samples after each
    /// sample, and print a line when a finding opens, changes severity or
    /// resolves (JSON Lines with -j).
    #[arg(long, conflicts_with = "conn")]
    watch: bool,
    /// Only TCP.
    #[arg(short = 't', long)]
    tcp: bool,
    /// Only UDP.
    #[arg(short = 'u', long)]
    udp: bool,
    /// Only unix stream and seqpacket sockets.
    #[arg(short = 'x', long)]
    unix: bool,
    /// Do not walk /proc for processes (faster; findings name no process).
    #[arg(long)]
    no_processes: bool,
    /// Colour: auto (a terminal and NO_COLOR unset), always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto", value_parser = ["auto", "always", "never"])]
    color: String,
    /// Print what each kind of finding means, when it is raised and the
    /// options that set its thresholds; sample nothing.
    #[arg(long)]
    explain: bool,

    /// listen_queue_full: full at this share of the backlog.
    #[arg(long, value_name = "RATIO", help_heading = "Thresholds")]
    listen_queue_ratio: Option<f64>,
    /// listen_queue_full: ListenOverflows/ListenDrops rise.
    #[arg(long, value_name = "N", help_heading = "Thresholds")]
    listen_drops: Option<u64>,
    /// listen_queue_full: warning from this many drops per second.
    #[arg(long, value_name = "PER_S", help_heading = "Thresholds")]
    listen_drop_rate: Option<f64>,
    /// syn_sent_stuck: SYN retransmissions of a socket, in any sample.
    #[arg(long, value_name = "N", help_heading = "Thresholds")]
    syn_retransmits: Option<u8>,
    /// syn_sent_stuck: TCPSynRetrans per second (with SYN-SENT sockets seen).
    #[arg(long, value_name = "PER_S", help_heading = "Thresholds")]
    syn_retrans_rate: Option<f64>,
    /// syn_recv_pileup: SYN-ACK retransmissions.
    #[arg(long, value_name = "N", help_heading = "Thresholds")]
    synack_retransmits: Option<u8>,
    /// syn_recv_pileup: SYN-RECV sockets on one address.
    #[arg(long, value_name = "N", help_heading = "Thresholds")]
    syn_recv_count: Option<usize>,
    /// syn_recv_pileup: syncookie / request-queue counter rise.
    #[arg(long, value_name = "N", help_heading = "Thresholds")]
    syncookies: Option<u64>,
    /// recv_queue_growing: unread bytes.
    #[arg(long, value_name = "BYTES", help_heading = "Thresholds")]
    recv_q_bytes: Option<u32>,
    /// send_queue_stuck: unacknowledged data bytes.
    #[arg(long, value_name = "BYTES", help_heading = "Thresholds")]
    send_q_bytes: Option<u32>,
    /// close_wait_leak: CLOSE-WAIT sockets of one process.
    #[arg(long, value_name = "N", help_heading = "Thresholds")]
    close_wait_count: Option<usize>,
    /// close_wait_leak: critical from this many.
    #[arg(long, value_name = "N", help_heading = "Thresholds")]
    close_wait_critical: Option<usize>,
    /// retransmissions: stalled at this many head retransmissions in a row.
    #[arg(long, value_name = "N", help_heading = "Thresholds")]
    consecutive_retransmits: Option<u32>,
    /// Deprecated: use --consecutive-retransmits (the rise of a
    /// connection's retransmissions is judged as a share: --retrans-ratio).
    #[arg(long, value_name = "N", hide = true)]
    retransmits: Option<u32>,
    /// retransmissions: info from this share of segments retransmitted.
    #[arg(long, value_name = "RATIO", help_heading = "Thresholds")]
    retrans_info_ratio: Option<f64>,
    /// retransmissions: warning from this share of segments retransmitted
    /// (0.2 and more is always a warning).
    #[arg(long, value_name = "RATIO", help_heading = "Thresholds")]
    retrans_ratio: Option<f64>,
    /// retransmissions: judge shares from this many segments sent.
    #[arg(long, value_name = "N", help_heading = "Thresholds")]
    retrans_min_segments: Option<u64>,
    /// Critical from this many consecutive retransmissions.
    #[arg(long, value_name = "N", help_heading = "Thresholds")]
    critical_retransmits: Option<u8>,
    /// resets: reset/abort counter rise.
    #[arg(long, value_name = "N", help_heading = "Thresholds")]
    resets: Option<u64>,
    /// resets: warning from this many resets and aborts per second.
    #[arg(long, value_name = "PER_S", help_heading = "Thresholds")]
    reset_rate: Option<f64>,
    /// time_wait_pressure: share of tcp_max_tw_buckets.
    #[arg(long, value_name = "RATIO", help_heading = "Thresholds")]
    time_wait_ratio: Option<f64>,
    /// port_exhaustion: share of ip_local_port_range to one destination.
    #[arg(long, value_name = "RATIO", help_heading = "Thresholds")]
    port_ratio: Option<f64>,
    /// udp_drops: drops rise.
    #[arg(long, value_name = "N", help_heading = "Thresholds")]
    udp_drops: Option<u64>,
    /// unix_backlog_full: full at this share of the backlog.
    #[arg(long, value_name = "RATIO", help_heading = "Thresholds")]
    unix_queue_ratio: Option<f64>,
}

/// `--interval`: the parser of `--watch` and `rss top`, so every interval
/// reads alike (positive, 1 ms to a day).
fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::exit::parse_interval_for("--interval", text)
}

impl Args {
    fn thresholds(&self) -> Result<Thresholds, String> {
        let mut t = Thresholds::default();
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = self.$f { t.$f = v; } )* };
        }
        set!(
            listen_drops,
            syn_retransmits,
            synack_retransmits,
            syn_recv_count,
            syncookies,
            recv_q_bytes,
            send_q_bytes,
            close_wait_count,
            close_wait_critical,
            retransmits,
            retrans_min_segments,
            critical_retransmits,
            resets,
            udp_drops
        );
        if let Some(v) = self.consecutive_retransmits {
            t.retransmits = v;
        }
        for (name, v, field) in [
            (
                "--retrans-info-ratio",
                self.retrans_info_ratio,
                &mut t.retrans_info_ratio,
            ),
            ("--retrans-ratio", self.retrans_ratio, &mut t.retrans_ratio),
        ] {
            if let Some(v) = v {
                if !(v.is_finite() && v > 0.0 && v <= 1.0) {
                    return Err(format!("{name}: {v} is not a share above 0 and at most 1"));
                }
                *field = v;
            }
        }
        for (name, v, field) in [
            (
                "--listen-drop-rate",
                self.listen_drop_rate,
                &mut t.listen_drop_rate,
            ),
            (
                "--syn-retrans-rate",
                self.syn_retrans_rate,
                &mut t.syn_retrans_rate,
            ),
            ("--reset-rate", self.reset_rate, &mut t.reset_rate),
        ] {
            if let Some(v) = v {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(format!("{name}: {v} is not a rate per second"));
                }
                *field = v;
            }
        }
        for (name, v, field) in [
            (
                "--listen-queue-ratio",
                self.listen_queue_ratio,
                &mut t.listen_queue_ratio,
            ),
            (
                "--time-wait-ratio",
                self.time_wait_ratio,
                &mut t.time_wait_ratio,
            ),
            ("--port-ratio", self.port_ratio, &mut t.port_ratio),
            (
                "--unix-queue-ratio",
                self.unix_queue_ratio,
                &mut t.unix_queue_ratio,
            ),
        ] {
            if let Some(v) = v {
                if !(v.is_finite() && v > 0.0 && v <= 100.0) {
                    return Err(format!("{name}: {v} is not a ratio above 0"));
                }
                *field = v;
            }
        }
        Ok(t)
    }

    fn tables(&self) -> Tables {
        let mut t = Tables::empty();
        if self.tcp || self.conn {
            t |= Tables::TCP;
        }
        if self.udp && !self.conn {
            t |= Tables::UDP;
        }
        if self.unix && !self.conn {
            t |= Tables::UNIX_STREAM | Tables::UNIX_SEQPACKET;
        }
        if t.is_empty() {
            t = Tables::TCP | Tables::UDP | Tables::UNIX_STREAM | Tables::UNIX_SEQPACKET;
        }
        t
    }
}

/// A failure after the command line was accepted.
enum Failure {
    Usage(String),
    System(String),
    Output(io::Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Output(e)
    }
}

impl From<sockdiag::Error> for Failure {
    fn from(e: sockdiag::Error) -> Self {
        Failure::System(e.to_string())
    }
}

/// The clap command (for the man page and shell completions).
pub fn command() -> clap::Command {
    <Args as clap::CommandFactory>::command()
}

/// Runs `rss doctor` (`argv[0]` is `rss`, `argv[1]` is `doctor`).
pub fn run(argv: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let args = match Args::try_parse_from(argv.into_iter().skip(1)) {
        Ok(a) => a,
        Err(e) => return crate::exit::clap_failure("doctor", &e, out, err),
    };
    if args.retransmits.is_some() {
        if args.consecutive_retransmits.is_some() {
            let _ = writeln!(
                err,
                "rss: doctor: --retransmits is deprecated for --consecutive-retransmits: give \
                 only --consecutive-retransmits"
            );
            return EXIT_USAGE;
        }
        let _ = writeln!(
            err,
            "rss: doctor: --retransmits is deprecated: it sets --consecutive-retransmits (a \
             stalled connection's retransmissions in a row); a connection's retransmissions \
             over the samples are judged as a share of segments sent (--retrans-info-ratio, \
             --retrans-ratio)"
        );
    }
    let mut buf = io::BufWriter::new(out);
    let result = execute(&args, &mut buf, err).and_then(|code| {
        buf.flush()?;
        Ok(code)
    });
    match result {
        Ok(code) => code,
        Err(Failure::Usage(m)) => {
            let _ = writeln!(err, "rss: doctor: {}", crate::exit::shown(&m));
            EXIT_USAGE
        }
        Err(Failure::System(m)) => {
            let _ = writeln!(err, "rss: doctor: {}", crate::exit::shown(&m));
            EXIT_SYSTEM
        }
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_CLEAN,
        Err(Failure::Output(e)) => {
            let _ = writeln!(err, "rss: doctor: write error: {e}");
            EXIT_SYSTEM
        }
    }
}

fn ns_path(n: &OsString) -> Result<PathBuf, Failure> {
    let s = n.to_string_lossy();
    if s.is_empty() {
        return Err(Failure::Usage("-N: empty namespace name".into()));
    }
    if s.contains('/') {
        Ok(PathBuf::from(n))
    } else if s == "." || s == ".." {
        Err(Failure::Usage(format!("-N: '{s}' is not a namespace name")))
    } else {
        Ok(PathBuf::from("/run/netns").join(n))
    }
}

fn build_query(args: &Args) -> Result<Query, Failure> {
    let words = sockdiag::ss::split_words(&args.filter.join(" "));
    let mut states = States::ALL;
    let rest = crate::filter::parse_states(&words, &mut states).map_err(|e| Failure::Usage(e.0))?;
    let mut q = Query::new(args.tables()).states(states);
    if let Some(f) = Filter::parse(rest).map_err(|e| Failure::Usage(format!("filter: {e}")))? {
        q = q.filter(f);
    }
    Ok(q)
}

fn use_color(args: &Args) -> bool {
    match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
        }
    }
}

/// `rss doctor --explain`: every kind, what raises it and its options.
fn explain(out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "rss doctor: the kinds of finding, in the order the rules run."
    )?;
    write_wrapped(
        out,
        "",
        "Severities: info (worth knowing), warning (something is wrong), critical \
         (connections fail now). Defaults of every threshold: docs/guide.md, \
         \"Kinds and thresholds\". For one row of the ordinary table, `rss --explain`.",
    )?;
    for k in sockdiag::diagnose::Kind::ALL {
        writeln!(out)?;
        writeln!(out, "{}", k.name())?;
        write_wrapped(out, "  ", k.description())?;
    }
    Ok(())
}

fn execute(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, Failure> {
    if args.explain {
        explain(out)?;
        return Ok(EXIT_CLEAN);
    }
    let thresholds = args.thresholds().map_err(Failure::Usage)?;
    let query = build_query(args)?;
    let namespaces: Vec<PathBuf> = args.net.iter().map(ns_path).collect::<Result<_, _>>()?;
    if args.conn {
        if namespaces.len() > 2 {
            return Err(Failure::Usage("--conn takes -N at most twice".into()));
        }
        if args.filter.is_empty() {
            return Err(Failure::Usage(
                "--conn needs a filter that selects the connection (e.g. 'sport = :40000')".into(),
            ));
        }
        return conn::run(args, query, &namespaces, out);
    }
    if namespaces.len() > 1 {
        return Err(Failure::Usage(
            "-N may be given once (twice only with --conn)".into(),
        ));
    }
    let ns = namespaces.into_iter().next();
    let opts = Options::new()
        .thresholds(thresholds)
        .since_boot(args.since_boot);
    if args.watch {
        watch::run(args, query, ns.as_deref(), opts, out, err)?;
        return Ok(EXIT_CLEAN);
    }
    let samples = take_samples(args, query, ns.clone())?;
    let findings = diagnose(&samples, &opts);
    let sockets = samples.last().map_or(0, |s| s.sockets.len());
    if args.json {
        let report = sockdiag::diagnose::Report::new(
            ns.as_ref().map(|p| p.display().to_string()),
            &samples,
            args.interval.as_millis() as u64,
            args.since_boot,
            findings.clone(),
        );
        serde_json::to_writer_pretty(&mut *out, &report).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        render_findings(
            out,
            &findings,
            &Header {
                ns: ns.as_deref(),
                samples: samples.len(),
                interval: args.interval,
                sockets,
                since_boot: args.since_boot,
            },
            use_color(args),
        )?;
    }
    Ok(if findings.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    })
}

fn take_samples(args: &Args, query: Query, ns: Option<PathBuf>) -> Result<Vec<Sample>, Failure> {
    // Processes once, after the samples: the /proc walk is slow on a host
    // with many descriptors and would stretch the intervals.
    let opts = SampleOptions::default().processes(false);
    let ns = ns.map(sockdiag::NetNs::from_path).transpose()?;
    let mut sampler = Sampler::new(query, ns.as_ref(), opts)?;
    let mut samples = sampler.take(args.samples as usize, args.interval)?;
    if !args.no_processes {
        sockdiag::sample::attach_processes(&mut samples)?;
    }
    Ok(samples)
}

struct Header<'a> {
    ns: Option<&'a std::path::Path>,
    samples: usize,
    interval: Duration,
    sockets: usize,
    since_boot: bool,
}

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const CYAN: &str = "\x1b[1;36m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("{code}{text}{RESET}")
    } else {
        text.to_string()
    }
}

fn severity_label(s: Severity, color: bool) -> String {
    let (code, text) = match s {
        Severity::Critical => (RED, "CRITICAL"),
        Severity::Warning => (YELLOW, "WARNING "),
        Severity::Info => (CYAN, "INFO    "),
    };
    paint(color, code, text)
}

fn fmt_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

fn render_findings(
    out: &mut dyn Write,
    findings: &[Finding],
    h: &Header<'_>,
    color: bool,
) -> io::Result<()> {
    let where_ =
        h.ns.map_or_else(|| "this namespace".to_string(), |p| p.display().to_string());
    let counters = if h.since_boot {
        "counters since boot"
    } else if h.samples < 2 {
        "counters not judged: one sample has no rise (--since-boot counts what they hold)"
    } else {
        "counter rises"
    };
    let span = if h.samples > 1 {
        format!("{} samples {} apart", h.samples, fmt_duration(h.interval))
    } else {
        "1 sample".to_string()
    };
    if findings.is_empty() {
        writeln!(
            out,
            "rss doctor: no problem found ({where_}: {} sockets, {span}, {counters}).",
            h.sockets
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "rss doctor: {} finding(s) in {where_} ({} sockets, {span}, {counters})",
        findings.len(),
        h.sockets
    )?;
    for f in findings {
        writeln!(out)?;
        writeln!(
            out,
            "{} {}  {}",
            severity_label(f.severity, color),
            paint(color, BOLD, f.kind.name()),
            f.summary
        )?;
        if !f.sockets.is_empty() {
            writeln!(out, "  sockets:")?;
            for (i, s) in f.sockets.iter().enumerate() {
                writeln!(out, "    [{i}] {}", socket_line(s))?;
            }
        }
        if !f.evidence.is_empty() {
            writeln!(out, "  evidence:")?;
            for e in &f.evidence {
                let who = match (e.socket, e.count) {
                    (Some(i), n) if n > 1 => format!("[{i}] and {} more alike: ", n - 1),
                    (Some(i), _) => format!("[{i}] "),
                    (None, _) => String::new(),
                };
                let values: Vec<String> = e.values.iter().map(u64::to_string).collect();
                writeln!(
                    out,
                    "    {who}{}: {}  ({})",
                    e.name,
                    values.join(" → "),
                    e.threshold
                )?;
            }
        }
        write_wrapped(out, "  why:  ", &f.explanation)?;
        write_wrapped(out, "  next: ", &f.next_check)?;
    }
    Ok(())
}

/// `tcp ESTAB 48 0 127.0.0.1:5000 127.0.0.1:40000 users:(("server",pid=42,fd=4))`.
fn socket_line(s: &SocketRef) -> String {
    let users = if s.processes.is_empty() {
        String::new()
    } else {
        let v: Vec<String> = s
            .processes
            .iter()
            .map(|p| format!("({:?},pid={},fd={})", p.command, p.pid, p.fd))
            .collect();
        format!(" users:({})", v.join(","))
    };
    format!(
        "{} {} {} {} {} {}{users}",
        s.netid,
        state_word(&s.state),
        s.recv_q,
        s.send_q,
        s.local,
        s.peer
    )
}

/// A state's name from the library ([`State::name`]) as `ss` prints it.
fn state_word(name: &str) -> String {
    State::from_name(name).map_or_else(
        || name.to_ascii_uppercase(),
        |st| sockdiag::ss::state_label(st).to_string(),
    )
}

fn write_wrapped(out: &mut dyn Write, lead: &str, text: &str) -> io::Result<()> {
    let width = 78;
    let indent = " ".repeat(lead.chars().count());
    let mut line = lead.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            writeln!(out, "{line}")?;
            line = indent.clone();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    writeln!(out, "{line}")
}

/// `--conn`: both ends of a connection, the checks along the way, a verdict.
mod conn;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("0.2s"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("x").is_err());
        assert!(parse_duration("1h").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    fn run_doctor(argv: &[&str]) -> (i32, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut v = vec!["rss", "doctor"];
        v.extend(argv);
        let code = run(v.iter().map(OsString::from).collect(), &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    /// `rss doctor --explain` describes every kind and names the options
    /// of its thresholds; it samples nothing.
    #[test]
    fn explain_lists_every_kind() {
        let (code, out, err) = run_doctor(&["--explain"]);
        assert_eq!((code, err.as_str()), (EXIT_CLEAN, ""));
        for k in sockdiag::diagnose::Kind::ALL {
            assert!(
                out.lines().any(|l| l == k.name()),
                "{} missing: {out}",
                k.name()
            );
        }
        for opt in ["--retrans-ratio", "--syn-retrans-rate", "--reset-rate"] {
            assert!(out.contains(opt), "{opt}: {out}");
        }
        assert!(out.lines().all(|l| l.chars().count() <= 78), "{out}");
    }

    /// `--retransmits` keeps working, and says what it became.
    #[test]
    fn retransmits_is_deprecated_with_a_message() {
        let (code, out, err) = run_doctor(&["--retransmits", "2", "--explain"]);
        assert_eq!(code, EXIT_CLEAN);
        assert!(out.contains("never_accepted"));
        assert!(
            err.starts_with(
                "rss: doctor: --retransmits is deprecated: it sets --consecutive-retransmits"
            ),
            "{err}"
        );
        let a = Args::try_parse_from(["doctor", "--retransmits", "4"]).unwrap();
        assert_eq!(a.thresholds().unwrap().retransmits, 4);
        let a = Args::try_parse_from(["doctor", "--consecutive-retransmits", "5"]).unwrap();
        let t = a.thresholds().unwrap();
        assert_eq!(t.retransmits, 5);
        let a = Args::try_parse_from([
            "doctor",
            "--retrans-ratio",
            "0.1",
            "--retrans-info-ratio",
            "0.02",
            "--retrans-min-segments",
            "7",
            "--reset-rate",
            "0",
            "--syn-retrans-rate",
            "3",
            "--listen-drop-rate",
            "2.5",
        ])
        .unwrap();
        let t = a.thresholds().unwrap();
        assert_eq!(
            (
                t.retrans_ratio,
                t.retrans_info_ratio,
                t.retrans_min_segments,
                t.reset_rate,
                t.syn_retrans_rate,
                t.listen_drop_rate
            ),
            (0.1, 0.02, 7, 0.0, 3.0, 2.5)
        );
    }

    #[test]
    fn usage_errors_exit_2() {
        for argv in [
            vec!["rss", "doctor", "--samples", "0"],
            vec!["rss", "doctor", "--interval", "soon"],
            vec!["rss", "doctor", "--bogus"],
            vec!["rss", "doctor", "dport", "=", ":notaport"],
            vec!["rss", "doctor", "--port-ratio", "0"],
            vec!["rss", "doctor", "--retrans-ratio", "0"],
            vec!["rss", "doctor", "--retrans-info-ratio", "1.5"],
            vec!["rss", "doctor", "--reset-rate", "-1"],
            vec!["rss", "doctor", "--syn-retrans-rate", "nan"],
            vec!["rss", "doctor", "--listen-drop-rate", "inf"],
            vec!["rss", "doctor", "--retrans-min-segments", "-3"],
            vec![
                "rss",
                "doctor",
                "--retransmits",
                "2",
                "--consecutive-retransmits",
                "2",
            ],
            vec!["rss", "doctor", "-N", "a", "-N", "b"],
            vec!["rss", "doctor", "--conn"],
            vec!["rss", "doctor", "state", "nonsense"],
        ] {
            let mut out = Vec::new();
            let mut err = Vec::new();
            let code = run(
                argv.iter().map(OsString::from).collect(),
                &mut out,
                &mut err,
            );
            let err = String::from_utf8(err).unwrap();
            assert_eq!(code, EXIT_USAGE, "{argv:?}: {err}");
            assert!(err.starts_with("rss: doctor: "), "{argv:?}: {err}");
            assert_eq!(err.lines().filter(|l| l.starts_with("rss:")).count(), 1);
        }
    }

    #[test]
    fn missing_namespace_is_refused_by_the_system() {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = run(
            ["rss", "doctor", "-N", "rss-doctor-no-such-namespace"]
                .iter()
                .map(OsString::from)
                .collect(),
            &mut out,
            &mut err,
        );
        assert_eq!(code, EXIT_SYSTEM);
        assert!(String::from_utf8(err).unwrap().starts_with("rss: doctor: "));
    }

    #[test]
    fn help_exits_0() {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = run(
            ["rss", "doctor", "--help"]
                .iter()
                .map(OsString::from)
                .collect(),
            &mut out,
            &mut err,
        );
        assert_eq!(code, EXIT_CLEAN);
        let help = String::from_utf8(out).unwrap();
        assert!(help.contains("--since-boot") && help.contains("--recv-q-bytes"));
    }

    #[test]
    fn wrapping_keeps_words() {
        let mut out = Vec::new();
        write_wrapped(&mut out, "  why:  ", &"word ".repeat(40)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.lines().all(|l| l.chars().count() <= 78));
        assert_eq!(text.split_whitespace().filter(|w| *w == "word").count(), 40);
    }
}
