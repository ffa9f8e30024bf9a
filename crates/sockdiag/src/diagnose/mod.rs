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
//! # Persistence, the window and rates
//!
//! A state that must last (a full listener, a queue that does not drain)
//! must hold in *every* sample: a listener full in one sample out of three
//! is a burst, a Send-Q that drains between samples is traffic. Rules that
//! judge draining or growth (`recv_queue_growing`, `send_queue_stuck`)
//! need at least two samples and say nothing from one.
//!
//! Short-lived trouble is judged on what the whole window saw: a SYN-SENT
//! socket retransmitting its SYN in *any* sample counts, together with
//! the rate of `TcpExt.TCPSynRetrans`, because clients with short connect
//! timeouts replace their sockets faster than the samples come.
//!
//! Counter evidence (`/proc/net/netstat`, `snmp`, `snmp6`, and the
//! cumulative per-socket `tcp_info` counters and `skmem` drops) is what
//! rose between the first and the last sample, judged as a rate (per
//! second of the window) or a ratio (retransmitted segments of segments
//! sent). With [`Options::since_boot`] it is what the counters hold in the
//! last sample instead: for a namespace or host that was just set up,
//! where everything the counters hold happened on purpose.
//!
//! # Retransmissions: where the line falls
//!
//! Loss is normal: TCP finds the path's capacity by losing segments. The
//! share of segments retransmitted (namespace `Tcp.RetransSegs` without the
//! SYNs, against `Tcp.OutSegs`; per connection `tcpi_total_retrans` against
//! `tcpi_segs_out`) is judged once at least
//! [`Thresholds::retrans_min_segments`] segments were sent:
//!
//! | share retransmitted | finding |
//! |---|---|
//! | below 1 % (`retrans_info_ratio`) | none: a healthy path |
//! | 1 % to below 5 % (`retrans_ratio`) | `info`: throughput suffers, nothing fails |
//! | 5 % and more | `warning`: the path loses enough to slow every flow badly |
//!
//! The 5 % line: below it TCP with SACK and RACK recovers most losses
//! without a timeout and throughput stays within a small factor of the
//! path's; from there timeouts take over and a flow spends more time
//! waiting than sending. 20 % and more is always at least a warning, at
//! any setting of `retrans_ratio` below it. A connection whose head segment
//! is retransmitted again and again with nothing acknowledged in between
//! is stalled, whatever its ratio: `warning`; `critical` from
//! [`Thresholds::critical_retransmits`] in a row when nothing was
//! acknowledged through the whole window (a lossy path that stalls and
//! recovers stays a warning, so its severity does not flip from run to
//! run).
//!
//! # One cause, one finding
//!
//! Both ends of one connection visible here (loopback, or one namespace
//! holding both) give one finding: a reader that stopped reading is a
//! `recv_queue_growing` carrying its peer's stuck Send-Q and zero window
//! as evidence. Connections still in a listener's accept queue (no process
//! holds them: the application never called accept()) belong to the
//! listener's finding, and so do SYN-SENT clients of a full listener.
//! Evidence with the same values on several sockets is one line with a
//! count. Severity is a function of the evidence, so a problem that does
//! not change keeps its severity.
//!
//! Every threshold is a field of [`Thresholds`], documented with its
//! default; `rss doctor` has an option for each.

mod rules;
#[cfg(test)]
mod tests;
mod watch;
#[cfg(test)]
mod watch_tests;

pub use watch::{Change, Event, FindingKey, Transitions, Watcher};

use std::fmt;
use std::net::SocketAddr;

use crate::model::{Endpoint, Socket, Table};
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
    /// Connections completed the handshake and wait in a listener's
    /// accept queue through every sample (or their clients already gave up
    /// and closed): the application does not call accept().
    NeverAccepted,
}

impl Kind {
    /// Every kind, in the order rules run.
    pub const ALL: [Kind; 14] = [
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
        Kind::NeverAccepted,
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
            Kind::NeverAccepted => "never_accepted",
        }
    }

    /// What the rule looks at and when it speaks, in a few plain lines
    /// (`rss doctor --explain`), with the options that set its thresholds.
    pub fn description(self) -> &'static str {
        match self {
            Kind::ListenQueueFull => {
                "A TCP listener's accept queue (LISTEN Recv-Q) at its backlog (Send-Q) in every \
                 sample: critical, with the connections waiting in the queue and the clients \
                 stuck in SYN-SENT towards it. Without a full listener, ListenOverflows or \
                 ListenDrops rising: warning from --listen-drop-rate per second, info below. \
                 Options: --listen-queue-ratio, --listen-drops, --listen-drop-rate."
            }
            Kind::SynSentStuck => {
                "connect() calls whose SYN goes unanswered: SYN-SENT sockets that retransmitted \
                 their SYN (--syn-retransmits) in any sample, or TcpExt.TCPSynRetrans rising \
                 at --syn-retrans-rate per second while SYN-SENT sockets are seen. Warning; \
                 critical when a SYN was retransmitted --critical-retransmits times."
            }
            Kind::SynRecvPileup => {
                "Handshakes stuck in SYN-RECV (the final ACK never comes): --syn-recv-count \
                 request sockets on one address in every sample (critical), or SYN-ACKs \
                 retransmitted --synack-retransmits times (warning); the syncookie and \
                 request-queue counters rising (--syncookies)."
            }
            Kind::RecvQueueGrowing => {
                "Data the application does not read: unread bytes (--recv-q-bytes) in every \
                 sample and none read between samples. When the sender is visible too, its \
                 stuck Send-Q and zero window are part of this finding. Needs 2 samples."
            }
            Kind::SendQueueStuck => {
                "Written data nobody acknowledges: unacknowledged bytes (--send-q-bytes) in \
                 every sample and none acknowledged between samples, the peer not visible \
                 here. Critical when the head segment was retransmitted \
                 --critical-retransmits times. Needs 2 samples."
            }
            Kind::ZeroWindow => {
                "The peer advertises a zero receive window in every sample (persist timer): \
                 its application does not read. Warning; when the peer is visible here the \
                 finding is its recv_queue_growing."
            }
            Kind::CloseWaitLeak => {
                "Connections the peer closed and the application did not (CLOSE-WAIT), held by \
                 a process, in every sample: --close-wait-count of one process (warning), \
                 critical from --close-wait-critical. Connections never accepted are not a \
                 leak: they are the listener's (never_accepted, listen_queue_full)."
            }
            Kind::Retransmissions => {
                "The share of segments retransmitted, per connection (total_retrans of \
                 segs_out) and for the namespace (RetransSegs without SYNs, of OutSegs), once \
                 --retrans-min-segments were sent: info from --retrans-info-ratio (1 %), \
                 warning from --retrans-ratio (5 %). A connection whose head segment is \
                 retransmitted --consecutive-retransmits times in a row with nothing \
                 acknowledged is stalled: warning; critical from --critical-retransmits when \
                 nothing was acknowledged through the whole window."
            }
            Kind::Resets => {
                "Reset and abort counters rising: warning from --reset-rate per second, info \
                 below (at least --resets). With --since-boot, what they hold (warning)."
            }
            Kind::TimeWaitPressure => {
                "TIME-WAIT sockets at --time-wait-ratio of tcp_max_tw_buckets (warning), or \
                 TCPTimeWaitOverflow rising (critical)."
            }
            Kind::PortExhaustion => {
                "Connections from one address to one destination using --port-ratio of \
                 ip_local_port_range (warning), all of it (critical)."
            }
            Kind::UdpDrops => {
                "UDP datagrams dropped for a full receive buffer: a socket's skmem drops or \
                 Udp.RcvbufErrors rising by --udp-drops (warning)."
            }
            Kind::UnixBacklogFull => {
                "A unix stream listener's queue at --unix-queue-ratio of its backlog in every \
                 sample (critical)."
            }
            Kind::NeverAccepted => {
                "Connections waiting in a TCP listener's accept queue, held by no process, the \
                 same ones in every sample or already closed by their clients (CLOSE-WAIT): \
                 the application does not call accept(). Warning, naming the listener, its \
                 queue and its process; critical when the queue is full (then the finding is \
                 listen_queue_full)."
            }
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

/// An inet end as values: address and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InetEnd {
    /// Address.
    pub addr: std::net::IpAddr,
    /// Port (0 for an unconnected peer).
    pub port: u16,
}

impl InetEnd {
    /// The end as a socket address.
    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::new(self.addr, self.port)
    }
}

/// A socket of a finding, as it was in the last sample that had it.
///
/// The text fields are what `ss -n` prints; the typed fields (`table`,
/// `cookie`, `local_end`, `peer_end`, `processes`) are the same facts as
/// values, for programs.
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
    /// The table, typed (`netid` as a value).
    #[cfg_attr(feature = "serde", serde(default = "default_table"))]
    pub table: Table,
    /// Local end as values, for inet sockets.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub local_end: Option<InetEnd>,
    /// Peer end as values, for inet sockets.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub peer_end: Option<InetEnd>,
}

#[cfg(feature = "serde")]
fn default_table() -> Table {
    Table::Tcp
}

impl Default for SocketRef {
    /// An unknown TCP socket: empty ends, no queues, no holders.
    fn default() -> Self {
        SocketRef {
            netid: "tcp".into(),
            state: "unknown".into(),
            local: String::new(),
            peer: String::new(),
            recv_q: 0,
            send_q: 0,
            inode: 0,
            cookie: None,
            processes: Vec::new(),
            table: Table::Tcp,
            local_end: None,
            peer_end: None,
        }
    }
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
            table: s.netid,
            local_end: inet(&s.local).map(|a| InetEnd {
                addr: a.ip(),
                port: a.port(),
            }),
            peer_end: inet(&s.peer).map(|a| InetEnd {
                addr: a.ip(),
                port: a.port(),
            }),
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
    /// How many sockets showed exactly these values (their first is
    /// `socket`): identical evidence is one entry. 1 for a counter.
    #[cfg_attr(feature = "serde", serde(default = "one"))]
    pub count: usize,
}

#[cfg(feature = "serde")]
fn one() -> usize {
    1
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
    /// What the finding is about, stable while the problem lasts: the
    /// listener (`listener 127.0.0.1:5000`), the destination, the
    /// connection or `namespace`. With `kind`, it names a finding across
    /// runs.
    #[cfg_attr(feature = "serde", serde(default))]
    pub subject: String,
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
    /// rising by at least this much (or, with `since_boot`, holding it)
    /// makes a finding. Default 1.
    pub listen_drops: u64,
    /// `listen_queue_full` from counters: a warning from this many drops
    /// per second of the window, `info` below. Default 1.0.
    pub listen_drop_rate: f64,
    /// `syn_sent_stuck`: a SYN-SENT socket with at least this many SYN
    /// retransmissions in any sample. Default 1.
    pub syn_retransmits: u8,
    /// `syn_sent_stuck`: `TcpExt.TCPSynRetrans` rising by at least this
    /// many per second of the window while SYN-SENT sockets are seen in any
    /// sample. Default 0.2 (one every 5 s).
    pub syn_retrans_rate: f64,
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
    /// `retransmissions`: a connection is stalled when its head segment
    /// (the timer's count) was retransmitted at least this many times in a
    /// row in the last sample and nothing was acknowledged between the last
    /// two samples (`rss doctor --consecutive-retransmits`). Default 1.
    pub retransmits: u32,
    /// `retransmissions`: `info` from this share of segments retransmitted
    /// (per connection and for the namespace). Default 0.01 (1 %).
    pub retrans_info_ratio: f64,
    /// `retransmissions`: `warning` from this share of segments
    /// retransmitted. Default 0.05 (5 %); 0.2 and more is a warning at
    /// any setting.
    pub retrans_ratio: f64,
    /// `retransmissions`: the shares are judged once at least this many
    /// segments were sent (by the connection, or the namespace). Default
    /// 100.
    pub retrans_min_segments: u64,
    /// `retransmissions`, `syn_sent_stuck`, `send_queue_stuck`: critical
    /// from this many consecutive retransmissions (each doubles the wait).
    /// Default 3.
    pub critical_retransmits: u8,
    /// `resets`: a reset or abort counter rising by at least this much
    /// (or, with `since_boot`, holding it) makes a finding. Default 1.
    pub resets: u64,
    /// `resets`: a warning from this many resets and aborts per second of
    /// the window (all counters together), `info` below. Default 1.0.
    pub reset_rate: f64,
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
            listen_drop_rate: 1.0,
            syn_retransmits: 1,
            syn_retrans_rate: 0.2,
            synack_retransmits: 1,
            syn_recv_count: 128,
            syncookies: 1,
            recv_q_bytes: 1,
            send_q_bytes: 1,
            close_wait_count: 1,
            close_wait_critical: 100,
            retransmits: 1,
            retrans_info_ratio: 0.01,
            retrans_ratio: 0.05,
            retrans_min_segments: 100,
            critical_retransmits: 3,
            resets: 1,
            reset_rate: 1.0,
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

/// The version of the doctor's JSON forms ([`Report`] and [`WatchLine`]),
/// carried in each as `schema_version`. It grows by one with every change
/// a reader may notice: a field removed, renamed or retyped, a value's
/// meaning changed. Adding a field does not change it.
pub const SCHEMA_VERSION: u32 = 1;

/// What `rss doctor -j` prints: how the samples were taken, then the
/// findings. Its JSON Schema is `report_schema()` (feature `schema`),
/// committed as `schema/rss-doctor.schema.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Report {
    /// The version of this form ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
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
            schema_version: SCHEMA_VERSION,
            namespace,
            samples: samples.len(),
            interval_ms,
            since_boot,
            sockets: samples.last().map_or(0, |s| s.sockets.len()),
            findings,
        }
    }
}

/// One line of `rss doctor --watch -j` (JSON Lines): a [`Event`] with the
/// form's version, where and when. Its JSON Schema is `watch_schema()`
/// (feature `schema`), committed as `schema/rss-doctor-watch.schema.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct WatchLine {
    /// The version of this form ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The namespace file watched, or null for the caller's.
    pub namespace: Option<String>,
    /// When the sample that made the change was taken, ms since the epoch.
    pub time_ms: u64,
    /// The change.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub event: Event,
}

impl WatchLine {
    /// The line of `event`, made from the sample taken at `time_ms`.
    pub fn new(namespace: Option<String>, time_ms: u64, event: Event) -> WatchLine {
        WatchLine {
            schema_version: SCHEMA_VERSION,
            namespace,
            time_ms,
            event,
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

/// The JSON Schema of [`WatchLine`] (each line `rss doctor --watch -j`
/// prints), as pretty-printed text ending in a newline.
#[cfg(feature = "schema")]
pub fn watch_schema() -> String {
    let schema = schemars::schema_for!(WatchLine);
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
    for f in &mut out {
        f.evidence = dedup_evidence(std::mem::take(&mut f.evidence));
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.kind.cmp(&b.kind))
            .then_with(|| a.summary.cmp(&b.summary))
    });
    out
}

/// Evidence entries with the same name, values and threshold become one,
/// counted (the first keeps its socket index); order is kept.
fn dedup_evidence(evidence: Vec<Evidence>) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = Vec::with_capacity(evidence.len());
    for e in evidence {
        match out
            .iter_mut()
            .find(|o| o.name == e.name && o.values == e.values && o.threshold == e.threshold)
        {
            Some(o) if o.socket.is_some() && e.socket.is_some() => o.count += e.count,
            Some(_) => {}
            None => out.push(e),
        }
    }
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
