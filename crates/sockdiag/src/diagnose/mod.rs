//! Diagnosis: samples in, findings out.
//!
//! This module turns a run of [`Sample`]s (from [`crate::sample::Sampler`]
//! or recorded) into [`Finding`]s: the reasoning a person does by hand when
//! reading `ss` columns, written down as rules. It is pure: no I/O, no
//! clock, no dump; the same samples always give the same findings, so
//! `rss doctor`, the exporter and unit tests share it.
//!
//! Each rule has a stable [`Kind`] (its snake_case name is part of the JSON
//! output and never changes), a [`Severity`], the sockets involved (with
//! their processes when the samples carry them), the evidence (values over
//! the samples), a plain-language explanation and the next thing to check.
//!
//! # Persistence and counters
//!
//! A socket's evidence must hold in *every* sample where persistence
//! matters: a listener full in one sample out of three is a burst, a
//! Send-Q that drains between samples is traffic. Rules that judge
//! draining or growth (`recv_queue_growing`, `send_queue_stuck`) need at
//! least two samples and say nothing from one.
//!
//! Counter evidence (`/proc/net/netstat`, `snmp`, `snmp6`, and the
//! cumulative per-socket `tcp_info` retransmissions and `skmem` drops) is
//! what rose between the first and the last sample. With
//! [`Options::since_boot`] it is what the counters hold in the last sample
//! instead: for a namespace or host that was just set up, where everything
//! the counters hold happened on purpose.
//!
//! Every threshold is a field of [`Thresholds`], documented with its
//! default; `rss doctor` has an option for each.

mod rules;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::SocketAddr;

use crate::model::{Endpoint, Socket};
use crate::sample::Sample;

/// What a finding is about. The snake_case name ([`Kind::name`]) is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Kind {
    /// A TCP listener's accept queue at or above its backlog, or
    /// `ListenOverflows`/`ListenDrops` rising.
    ListenQueueFull,
    /// Connects in SYN-SENT retransmitting their SYN.
    SynSentStuck,
    /// Handshakes stuck in SYN-RECV, or SYN-flood counters rising.
    SynRecvPileup,
    /// Data in Recv-Q the application does not read.
    RecvQueueGrowing,
    /// Send-Q not draining: nothing acknowledged between samples.
    SendQueueStuck,
    /// The peer advertises a zero receive window (persist timer).
    ZeroWindow,
    /// Sockets in CLOSE-WAIT: the application never called close().
    CloseWaitLeak,
    /// Connections retransmitting or losing segments.
    Retransmissions,
    /// Reset and abort counters rising.
    Resets,
    /// TIME-WAIT sockets near `tcp_max_tw_buckets`.
    TimeWaitPressure,
    /// Connections to one destination near the local port range's size.
    PortExhaustion,
    /// UDP datagrams dropped for a full receive buffer.
    UdpDrops,
    /// A unix stream listener whose accept queue is at its backlog.
    UnixBacklogFull,
}

impl Kind {
    /// Every kind, in the order rules run.
    pub const ALL: [Kind; 13] = [
        Kind::ListenQueueFull,
        Kind::SynSentStuck,
        Kind::SynRecvPileup,
        Kind::RecvQueueGrowing,
        Kind::SendQueueStuck,
        Kind::ZeroWindow,
        Kind::CloseWaitLeak,
        Kind::Retransmissions,
        Kind::Resets,
        Kind::TimeWaitPressure,
        Kind::PortExhaustion,
        Kind::UdpDrops,
        Kind::UnixBacklogFull,
    ];

    /// The stable snake_case name (the serde name).
    pub fn name(self) -> &'static str {
        match self {
            Kind::ListenQueueFull => "listen_queue_full",
            Kind::SynSentStuck => "syn_sent_stuck",
            Kind::SynRecvPileup => "syn_recv_pileup",
            Kind::RecvQueueGrowing => "recv_queue_growing",
            Kind::SendQueueStuck => "send_queue_stuck",
            Kind::ZeroWindow => "zero_window",
            Kind::CloseWaitLeak => "close_wait_leak",
            Kind::Retransmissions => "retransmissions",
            Kind::Resets => "resets",
            Kind::TimeWaitPressure => "time_wait_pressure",
            Kind::PortExhaustion => "port_exhaustion",
            Kind::UdpDrops => "udp_drops",
            Kind::UnixBacklogFull => "unix_backlog_full",
        }
    }

    /// The kind with this name.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How bad a finding is; ordered, `Critical` greatest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Severity {
    /// Worth knowing; may be harmless.
    Info,
    /// Something is wrong or about to be.
    Warning,
    /// Connections are failing or being dropped now.
    Critical,
}

impl Severity {
    /// `info`, `warning`, `critical`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A process holding a socket of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProcessRef {
    /// Command name.
    pub command: String,
    /// Process id.
    pub pid: i32,
    /// Descriptor number.
    pub fd: i32,
}

/// A socket of a finding, as it was in the last sample that had it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SocketRef {
    /// The table (`tcp`, `udp`, `unix_stream`, …).
    pub netid: String,
    /// The state (`established`, `listen`, …).
    pub state: String,
    /// Local end as `ss -n` prints it (`sockdiag::ss::local`):
    /// `127.0.0.1:5000`, `0.0.0.0:22`, `*:80`, `/run/a.sock 1234`.
    pub local: String,
    /// Peer end as `ss -n` prints it (`sockdiag::ss::peer`): `10.0.0.2:40000`,
    /// `0.0.0.0:*`, `* 1235`.
    pub peer: String,
    /// Recv-Q.
    pub recv_q: u32,
    /// Send-Q.
    pub send_q: u32,
    /// Inode (0 for TIME-WAIT and request sockets).
    pub inode: u64,
    /// Kernel cookie, when the source has one.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub cookie: Option<u64>,
    /// Holders (empty when processes were not sampled or none holds it).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub processes: Vec<ProcessRef>,
}

impl SocketRef {
    /// Describes a socket.
    pub fn of(s: &Socket) -> SocketRef {
        SocketRef {
            netid: s.netid.name().to_string(),
            state: s.state.name().to_string(),
            local: crate::ss::local(s).to_string(),
            peer: crate::ss::peer(s).to_string(),
            recv_q: s.recv_q,
            send_q: s.send_q,
            inode: s.inode,
            cookie: s.cookie,
            processes: s
                .processes()
                .iter()
                .map(|p| ProcessRef {
                    command: p.command.clone(),
                    pid: p.pid,
                    fd: p.fd,
                })
                .collect(),
        }
    }

    /// `"nginx" pid 12 fd 3, …`, or `no process` (TIME-WAIT, request
    /// sockets, processes not sampled or hidden).
    pub fn holders(&self) -> String {
        if self.processes.is_empty() {
            return "no process".into();
        }
        let v: Vec<String> = self
            .processes
            .iter()
            .map(|p| format!("{:?} pid {} fd {}", p.command, p.pid, p.fd))
            .collect();
        v.join(", ")
    }
}

/// One measured value over the samples.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Evidence {
    /// What was measured: `recv_q`, `retransmits`, `TcpExt.ListenOverflows`, …
    pub name: String,
    /// Index into the finding's `sockets`, for a per-socket value.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub socket: Option<usize>,
    /// The value in each sample, in order (a socket's absent samples are
    /// left out); for counters, the counter's value in each sample.
    pub values: Vec<u64>,
    /// The threshold the values crossed, in words (`">= 5 (backlog)"`).
    pub threshold: String,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Finding {
    /// What it is.
    pub kind: Kind,
    /// How bad.
    pub severity: Severity,
    /// One line: what and where.
    pub summary: String,
    /// The sockets involved, the most telling first.
    pub sockets: Vec<SocketRef>,
    /// The values that show it.
    pub evidence: Vec<Evidence>,
    /// What it means, in plain words.
    pub explanation: String,
    /// What to look at next.
    pub next_check: String,
}

/// Every threshold of every rule. Defaults are the documented values.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct Thresholds {
    /// `listen_queue_full`: a TCP listener is full when its Recv-Q is at
    /// least `ceil(ratio × backlog)` (and at least 1) in every sample.
    /// Default 1.0: at the backlog.
    pub listen_queue_ratio: f64,
    /// `listen_queue_full`: `TcpExt.ListenOverflows` or `ListenDrops`
    /// rising by at least this much. Default 1.
    pub listen_drops: u64,
    /// `syn_sent_stuck`: a SYN-SENT socket in every sample with at least
    /// this many SYN retransmissions in the last. Default 1.
    pub syn_retransmits: u8,
    /// `syn_recv_pileup`: a SYN-RECV socket in every sample with at least
    /// this many SYN-ACK retransmissions in the last. Default 1.
    pub synack_retransmits: u8,
    /// `syn_recv_pileup`: at least this many SYN-RECV sockets on one local
    /// address in every sample, retransmitting or not. Default 128.
    pub syn_recv_count: usize,
    /// `syn_recv_pileup`: `TcpExt.SyncookiesSent`, `TCPReqQFullDrop` or
    /// `TCPReqQFullDoCookies` rising by at least this much. Default 1.
    pub syncookies: u64,
    /// `recv_queue_growing`: unread bytes at least this many in every
    /// sample, and none read between samples. Default 1.
    pub recv_q_bytes: u32,
    /// `send_queue_stuck`: unacknowledged data bytes at least this many in
    /// every sample, and none acknowledged between samples. Default 1.
    pub send_q_bytes: u32,
    /// `close_wait_leak`: at least this many CLOSE-WAIT sockets of one
    /// process in every sample. Default 1.
    pub close_wait_count: usize,
    /// `close_wait_leak` is critical from this many sockets. Default 100.
    pub close_wait_critical: usize,
    /// `retransmissions`: consecutive retransmissions of the head segment
    /// (the timer's count) at least this many in the last sample, or
    /// `tcp_info` total retransmissions rising by at least this much.
    /// Default 1.
    pub retransmits: u32,
    /// `retransmissions`, `syn_sent_stuck`, `send_queue_stuck`: critical
    /// from this many consecutive retransmissions (each doubles the wait).
    /// Default 3.
    pub critical_retransmits: u8,
    /// `resets`: a reset or abort counter rising by at least this much.
    /// Default 1.
    pub resets: u64,
    /// `time_wait_pressure`: TIME-WAIT sockets at least this share of
    /// `tcp_max_tw_buckets`, or `TCPTimeWaitOverflow` rising. Default 0.8.
    pub time_wait_ratio: f64,
    /// `port_exhaustion`: connections from one local address to one
    /// destination using at least this share of `ip_local_port_range`.
    /// Default 0.8.
    pub port_ratio: f64,
    /// `udp_drops`: a UDP socket's `skmem` drops, or `Udp.RcvbufErrors` /
    /// `Udp6.RcvbufErrors`, rising by at least this much. Default 1.
    pub udp_drops: u64,
    /// `unix_backlog_full`: a unix listener is full when its Recv-Q is at
    /// least `ceil(ratio × backlog)` (and at least 1) in every sample.
    /// Default 1.0.
    pub unix_queue_ratio: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            listen_queue_ratio: 1.0,
            listen_drops: 1,
            syn_retransmits: 1,
            synack_retransmits: 1,
            syn_recv_count: 128,
            syncookies: 1,
            recv_q_bytes: 1,
            send_q_bytes: 1,
            close_wait_count: 1,
            close_wait_critical: 100,
            retransmits: 1,
            critical_retransmits: 3,
            resets: 1,
            time_wait_ratio: 0.8,
            port_ratio: 0.8,
            udp_drops: 1,
            unix_queue_ratio: 1.0,
        }
    }
}

/// How to diagnose.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct Options {
    /// The thresholds.
    pub thresholds: Thresholds,
    /// Count what counters already hold in the last sample, not only what
    /// they rose during sampling.
    pub since_boot: bool,
}

impl Options {
    /// Default thresholds, counters judged by their rise.
    pub fn new() -> Options {
        Options::default()
    }

    /// Sets `since_boot`.
    pub fn since_boot(mut self, on: bool) -> Options {
        self.since_boot = on;
        self
    }

    /// Sets the thresholds.
    pub fn thresholds(mut self, t: Thresholds) -> Options {
        self.thresholds = t;
        self
    }
}

/// What `rss doctor -j` prints: how the samples were taken, then the
/// findings. Its JSON Schema is `report_schema()` (feature `schema`),
/// committed as `schema/rss-doctor.schema.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Report {
    /// The namespace file examined, or null for the caller's.
    pub namespace: Option<String>,
    /// Samples taken.
    pub samples: usize,
    /// Time between samples, ms.
    pub interval_ms: u64,
    /// Counters judged by what they hold, not by their rise.
    pub since_boot: bool,
    /// Sockets in the last sample.
    pub sockets: usize,
    /// The findings, most severe first.
    pub findings: Vec<Finding>,
}

impl Report {
    /// A report of `findings` over `samples` samples.
    pub fn new(
        namespace: Option<String>,
        samples: &[Sample],
        interval_ms: u64,
        since_boot: bool,
        findings: Vec<Finding>,
    ) -> Report {
        Report {
            namespace,
            samples: samples.len(),
            interval_ms,
            since_boot,
            sockets: samples.last().map_or(0, |s| s.sockets.len()),
            findings,
        }
    }
}

/// The JSON Schema of [`Report`] (what `rss doctor -j` prints), as
/// pretty-printed text ending in a newline.
///
/// Only with the feature `schema` (not default).
#[cfg(feature = "schema")]
pub fn report_schema() -> String {
    let schema = schemars::schema_for!(Report);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Runs every rule over `samples` (oldest first) and returns the findings,
/// most severe first (then by kind, then by summary). No samples, no
/// findings.
pub fn diagnose(samples: &[Sample], opts: &Options) -> Vec<Finding> {
    if samples.is_empty() {
        return Vec::new();
    }
    let mut out = rules::run(samples, opts);
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.kind.cmp(&b.kind))
            .then_with(|| a.summary.cmp(&b.summary))
    });
    out
}

/// `ceil(ratio × n)`, at least 1: the fill level a ratio threshold means.
pub(crate) fn fill_level(ratio: f64, n: u32) -> u64 {
    let v = (ratio * f64::from(n)).ceil();
    if v.is_finite() && v > 1.0 {
        v as u64
    } else {
        1
    }
}

/// The inet address of an end.
pub(crate) fn inet(e: &Endpoint) -> Option<SocketAddr> {
    match *e {
        Endpoint::Inet { addr, port } => Some(SocketAddr::new(addr, port)),
        _ => None,
    }
}
