//! From sockets and kernel counters to metric families (pure: no I/O).
//!
//! [`Aggregate`] folds one dump's sockets into bounded aggregates: nothing
//! here is keyed by a connection, only by table/family/state, by listener
//! (address, port) and by process command name. [`Aggregate::write`]
//! turns them into [`Family`] values that `encode` writes in either text
//! format. The caps ([`Limits`]) keep the largest series and fold the rest
//! into one `(other)` series, counted in `rss_exporter_folded_series`.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use sockdiag::{Family as AddrFamily, Process, ProcessMap, Socket, State, Table};

pub use crate::family::{Family, Kind, Sample, Value};

/// Label value of the series that holds what a cap folded away.
pub const OTHER: &str = "(other)";

/// Upper bounds of the RTT histogram, in seconds.
pub const RTT_BUCKETS: [f64; 12] = [
    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Cardinality caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most listener series per namespace (the fullest accept queues are kept).
    pub listeners: usize,
    /// Most process series per namespace for per-process families.
    pub processes: usize,
    /// With `--all-netns`, most namespaces dumped (the exporter's own
    /// included); the others are counted in `rss_exporter_namespaces_folded`.
    pub namespaces: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            listeners: 500,
            processes: 200,
            namespaces: rss::namespaces::MAX_NAMESPACES,
        }
    }
}

/// Who holds a socket: the command name of its first holder.
pub trait Holders {
    /// The command name (`comm`) of a process holding `inode`, if known.
    fn command(&self, inode: u64) -> Option<&str>;
}

impl Holders for ProcessMap {
    fn command(&self, inode: u64) -> Option<&str> {
        self.get(inode)
            .first()
            .map(|p: &Process| p.command.as_str())
    }
}

impl Holders for HashMap<u64, String> {
    fn command(&self, inode: u64) -> Option<&str> {
        self.get(&inode).map(String::as_str)
    }
}

/// Nobody is known to hold anything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHolders;

impl Holders for NoHolders {
    fn command(&self, _: u64) -> Option<&str> {
        None
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Queues {
    recv_sum: u64,
    recv_max: u64,
    send_sum: u64,
    send_max: u64,
}

#[derive(Debug, Clone)]
struct Listener {
    queue: u64,
    backlog: u64,
    process: String,
}

/// One namespace's sockets, folded as they stream by.
#[derive(Debug, Default)]
pub struct Aggregate {
    seen: u64,
    sockets: BTreeMap<(Table, AddrFamily, State), u64>,
    queues: BTreeMap<(Table, State), Queues>,
    listeners: HashMap<(IpAddr, u16), Listener>,
    close_wait: HashMap<String, u64>,
    retransmitting: u64,
    total_retrans: u64,
    lost: u64,
    unacked: u64,
    rtt_sum_us: u64,
    rtt_count: u64,
    rtt_buckets: [u64; RTT_BUCKETS.len() + 1],
}

fn is_tcp(t: Table) -> bool {
    matches!(t, Table::Tcp | Table::Mptcp)
}

impl Aggregate {
    /// An empty aggregate.
    pub fn new() -> Aggregate {
        Aggregate::default()
    }

    /// Sockets pushed so far.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Folds one socket in; `holders` names the process of listeners and
    /// CLOSE-WAIT sockets (the only sockets whose process becomes a label).
    pub fn push(&mut self, s: &Socket, holders: &dyn Holders) {
        self.seen += 1;
        *self
            .sockets
            .entry((s.netid, s.family, s.state))
            .or_default() += 1;
        let tcp = is_tcp(s.netid);
        if s.state == State::Listen && tcp {
            // Recv-Q of a listener is its accept queue, Send-Q its backlog;
            // SO_REUSEPORT groups on one address add up.
            if let Some(addr) = s.local_addr() {
                let l = self
                    .listeners
                    .entry((addr.ip(), addr.port()))
                    .or_insert_with(|| Listener {
                        queue: 0,
                        backlog: 0,
                        process: String::new(),
                    });
                l.queue += u64::from(s.recv_q);
                l.backlog += u64::from(s.send_q);
                if l.process.is_empty()
                    && let Some(c) = holders.command(s.inode)
                {
                    l.process = c.to_owned();
                }
            }
        } else if s.state != State::Listen {
            // Listeners' queues count connections, not bytes: kept apart.
            let q = self.queues.entry((s.netid, s.state)).or_default();
            let (r, w) = (u64::from(s.recv_q), u64::from(s.send_q));
            q.recv_sum += r;
            q.recv_max = q.recv_max.max(r);
            q.send_sum += w;
            q.send_max = q.send_max.max(w);
        }
        if tcp && s.state == State::CloseWait {
            let who = holders.command(s.inode).unwrap_or("").to_owned();
            *self.close_wait.entry(who).or_default() += 1;
        }
        if tcp
            && s.state != State::Listen
            && let Some(info) = &s.tcp_info
        {
            if info.retransmits().unwrap_or(0) > 0 {
                self.retransmitting += 1;
            }
            self.total_retrans += u64::from(info.total_retrans().unwrap_or(0));
            self.lost += u64::from(info.lost().unwrap_or(0));
            self.unacked += u64::from(info.unacked().unwrap_or(0));
            if s.state == State::Established
                && let Some(rtt_us) = info.rtt()
            {
                let secs = f64::from(rtt_us) / 1e6;
                self.rtt_sum_us += u64::from(rtt_us);
                self.rtt_count += 1;
                let i = RTT_BUCKETS
                    .iter()
                    .position(|&b| secs <= b)
                    .unwrap_or(RTT_BUCKETS.len());
                self.rtt_buckets[i] += 1;
            }
        }
    }

    /// Writes this namespace's families into `out`, each sample prefixed by
    /// `prefix` labels (`netns` with `--all-netns`); returns how many series
    /// each cap folded, by family name.
    pub fn write(
        &self,
        prefix: &[(&'static str, String)],
        limits: Limits,
        out: &mut Families,
    ) -> Vec<(&'static str, u64)> {
        let lab = |extra: Vec<(&'static str, String)>| {
            let mut v = prefix.to_vec();
            v.extend(extra);
            v
        };
        let mut folded = Vec::new();
        for (&(t, f, st), &n) in &self.sockets {
            out.get(SOCKETS).push(
                lab(vec![
                    ("table", t.name().into()),
                    ("family", f.name().into()),
                    ("state", st.name().into()),
                ]),
                Value::Int(n as i64),
            );
        }
        for (&(t, st), q) in &self.queues {
            let l = lab(vec![
                ("table", t.name().into()),
                ("state", st.name().into()),
            ]);
            out.get(RECV_Q)
                .push(l.clone(), Value::Int(q.recv_sum as i64));
            out.get(RECV_Q_MAX)
                .push(l.clone(), Value::Int(q.recv_max as i64));
            out.get(SEND_Q)
                .push(l.clone(), Value::Int(q.send_sum as i64));
            out.get(SEND_Q_MAX).push(l, Value::Int(q.send_max as i64));
        }

        // Listeners: the fullest first, so that a cap never hides trouble.
        let mut ls: Vec<_> = self.listeners.iter().collect();
        ls.sort_by(|(ka, a), (kb, b)| {
            let fa = a.queue as f64 / a.backlog.max(1) as f64;
            let fb = b.queue as f64 / b.backlog.max(1) as f64;
            fb.total_cmp(&fa)
                .then(b.queue.cmp(&a.queue))
                .then(ka.cmp(kb))
        });
        let keep = ls.len().min(limits.listeners);
        let (kept, rest) = ls.split_at(keep);
        let mut kept: Vec<_> = kept.to_vec();
        kept.sort_by_key(|(k, _)| **k);
        for ((ip, port), l) in kept {
            let labels = lab(vec![
                ("address", ip.to_string()),
                ("port", port.to_string()),
                ("process", l.process.clone()),
            ]);
            out.get(ACCEPT_Q)
                .push(labels.clone(), Value::Int(l.queue as i64));
            out.get(BACKLOG).push(labels, Value::Int(l.backlog as i64));
        }
        if !rest.is_empty() {
            let labels = lab(vec![
                ("address", OTHER.into()),
                ("port", "0".into()),
                ("process", OTHER.into()),
            ]);
            let q: u64 = rest.iter().map(|(_, l)| l.queue).sum();
            let b: u64 = rest.iter().map(|(_, l)| l.backlog).sum();
            out.get(ACCEPT_Q).push(labels.clone(), Value::Int(q as i64));
            out.get(BACKLOG).push(labels, Value::Int(b as i64));
            folded.push((ACCEPT_Q.0, rest.len() as u64));
        }

        let mut cw: Vec<_> = self.close_wait.iter().collect();
        cw.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let keep = cw.len().min(limits.processes);
        let (kept, rest) = cw.split_at(keep);
        let mut kept = kept.to_vec();
        kept.sort();
        for (p, n) in kept {
            out.get(CLOSE_WAIT)
                .push(lab(vec![("process", p.clone())]), Value::Int(*n as i64));
        }
        if !rest.is_empty() {
            let n: u64 = rest.iter().map(|(_, n)| **n).sum();
            out.get(CLOSE_WAIT)
                .push(lab(vec![("process", OTHER.into())]), Value::Int(n as i64));
            folded.push((CLOSE_WAIT.0, rest.len() as u64));
        }

        out.get(RETRANSMITTING)
            .push(lab(vec![]), Value::Int(self.retransmitting as i64));
        out.get(TOTAL_RETRANS)
            .push(lab(vec![]), Value::Int(self.total_retrans as i64));
        out.get(LOST)
            .push(lab(vec![]), Value::Int(self.lost as i64));
        out.get(UNACKED)
            .push(lab(vec![]), Value::Int(self.unacked as i64));
        let mut buckets: Vec<(f64, u64)> = RTT_BUCKETS
            .iter()
            .copied()
            .zip(self.rtt_buckets.iter().copied())
            .collect();
        buckets.push((f64::INFINITY, self.rtt_buckets[RTT_BUCKETS.len()]));
        out.get(RTT).push(
            lab(vec![]),
            Value::Histogram {
                sum: self.rtt_sum_us as f64 / 1e6,
                count: self.rtt_count,
                buckets,
            },
        );
        folded
    }
}

/// A family's identity: name, help, type.
pub type Def = (&'static str, &'static str, Kind);

/// `rss_sockets`.
pub const SOCKETS: Def = (
    "rss_sockets",
    "Sockets by table, family and state.",
    Kind::Gauge,
);
/// `rss_recv_queue_bytes`.
pub const RECV_Q: Def = (
    "rss_recv_queue_bytes",
    "Sum of Recv-Q (bytes not yet read by the application) by table and state; listeners excluded.",
    Kind::Gauge,
);
/// `rss_recv_queue_max_bytes`.
pub const RECV_Q_MAX: Def = (
    "rss_recv_queue_max_bytes",
    "Largest Recv-Q of one socket by table and state; listeners excluded.",
    Kind::Gauge,
);
/// `rss_send_queue_bytes`.
pub const SEND_Q: Def = (
    "rss_send_queue_bytes",
    "Sum of Send-Q (bytes not yet acknowledged by the peer) by table and state; listeners excluded.",
    Kind::Gauge,
);
/// `rss_send_queue_max_bytes`.
pub const SEND_Q_MAX: Def = (
    "rss_send_queue_max_bytes",
    "Largest Send-Q of one socket by table and state; listeners excluded.",
    Kind::Gauge,
);
/// `rss_listener_accept_queue`.
pub const ACCEPT_Q: Def = (
    "rss_listener_accept_queue",
    "Connections waiting in a TCP listener's accept queue (its Recv-Q), by address, port and process command name.",
    Kind::Gauge,
);
/// `rss_listener_backlog`.
pub const BACKLOG: Def = (
    "rss_listener_backlog",
    "Accept-queue capacity of a TCP listener (the backlog, its Send-Q), by address, port and process command name.",
    Kind::Gauge,
);
/// `rss_tcp_close_wait_sockets`.
pub const CLOSE_WAIT: Def = (
    "rss_tcp_close_wait_sockets",
    "TCP sockets in CLOSE-WAIT (the peer closed, the application did not), by process command name.",
    Kind::Gauge,
);
/// `rss_tcp_retransmitting_sockets`.
pub const RETRANSMITTING: Def = (
    "rss_tcp_retransmitting_sockets",
    "TCP sockets with an unacknowledged retransmission outstanding (tcpi_retransmits > 0).",
    Kind::Gauge,
);
/// `rss_tcp_socket_retransmitted_segments`.
pub const TOTAL_RETRANS: Def = (
    "rss_tcp_socket_retransmitted_segments",
    "Sum of tcpi_total_retrans over the TCP sockets open now (drops when sockets close; use rss_tcp_retrans_segments_total for rates).",
    Kind::Gauge,
);
/// `rss_tcp_lost_segments`.
pub const LOST: Def = (
    "rss_tcp_lost_segments",
    "Sum of tcpi_lost (segments currently considered lost) over TCP sockets.",
    Kind::Gauge,
);
/// `rss_tcp_unacked_segments`.
pub const UNACKED: Def = (
    "rss_tcp_unacked_segments",
    "Sum of tcpi_unacked (segments in flight) over TCP sockets.",
    Kind::Gauge,
);
/// `rss_tcp_rtt_seconds`.
pub const RTT: Def = (
    "rss_tcp_rtt_seconds",
    "Smoothed RTT (tcpi_rtt) of the ESTABLISHED TCP sockets open at scrape time (a snapshot: use histogram_quantile on the raw buckets, not rate).",
    Kind::Histogram,
);

/// Families in a fixed order, created on first use.
#[derive(Debug, Default)]
pub struct Families {
    list: Vec<Family>,
}

impl Families {
    /// No families yet.
    pub fn new() -> Families {
        Families::default()
    }

    /// The family `def`, created empty on first use.
    pub fn get(&mut self, def: Def) -> &mut Family {
        let i = match self.list.iter().position(|f| f.name == def.0) {
            Some(i) => i,
            None => {
                self.list.push(Family::new(def.0, def.1, def.2));
                self.list.len() - 1
            }
        };
        &mut self.list[i]
    }

    /// Declares `def` so that it is written (with its HELP and TYPE) even
    /// without samples.
    pub fn declare(&mut self, def: Def) {
        self.get(def);
    }

    /// The families, in the order first used.
    pub fn into_vec(self) -> Vec<Family> {
        self.list
    }

    /// The families, in the order first used.
    pub fn as_slice(&self) -> &[Family] {
        &self.list
    }
}

/// A kernel counter of `/proc/net/snmp` or `/proc/net/netstat` exported as
/// a counter family: section, key, family.
pub type KernelCounter = (&'static str, &'static str, Def);

/// The TCP counters `rss doctor` reads, and those a retransmission rate needs.
pub const KERNEL_COUNTERS: &[KernelCounter] = &[
    (
        "TcpExt",
        "ListenOverflows",
        (
            "rss_tcp_listen_overflows",
            "Times an accept queue was full when a connection completed (TcpExt ListenOverflows).",
            Kind::Counter,
        ),
    ),
    (
        "TcpExt",
        "ListenDrops",
        (
            "rss_tcp_listen_drops",
            "SYNs or ACKs dropped at a listener, overflows included (TcpExt ListenDrops).",
            Kind::Counter,
        ),
    ),
    (
        "TcpExt",
        "SyncookiesSent",
        (
            "rss_tcp_syncookies_sent",
            "SYN cookies sent because a SYN queue was full (TcpExt SyncookiesSent).",
            Kind::Counter,
        ),
    ),
    (
        "TcpExt",
        "SyncookiesRecv",
        (
            "rss_tcp_syncookies_recv",
            "Valid SYN cookies received (TcpExt SyncookiesRecv).",
            Kind::Counter,
        ),
    ),
    (
        "TcpExt",
        "SyncookiesFailed",
        (
            "rss_tcp_syncookies_failed",
            "Invalid SYN cookies received (TcpExt SyncookiesFailed).",
            Kind::Counter,
        ),
    ),
    (
        "TcpExt",
        "TCPTimeouts",
        (
            "rss_tcp_timeouts",
            "Retransmission timer expirations (TcpExt TCPTimeouts).",
            Kind::Counter,
        ),
    ),
    (
        "Tcp",
        "OutRsts",
        (
            "rss_tcp_out_resets",
            "Segments sent with RST (Tcp OutRsts).",
            Kind::Counter,
        ),
    ),
    (
        "Tcp",
        "EstabResets",
        (
            "rss_tcp_estab_resets",
            "Resets of ESTABLISHED or CLOSE-WAIT connections (Tcp EstabResets).",
            Kind::Counter,
        ),
    ),
    (
        "Tcp",
        "AttemptFails",
        (
            "rss_tcp_attempt_fails",
            "Failed connection attempts (Tcp AttemptFails).",
            Kind::Counter,
        ),
    ),
    (
        "Tcp",
        "RetransSegs",
        (
            "rss_tcp_retrans_segments",
            "Segments retransmitted (Tcp RetransSegs).",
            Kind::Counter,
        ),
    ),
    (
        "Tcp",
        "OutSegs",
        (
            "rss_tcp_out_segments",
            "Segments sent, retransmissions excluded (Tcp OutSegs).",
            Kind::Counter,
        ),
    ),
    (
        "Tcp",
        "InSegs",
        (
            "rss_tcp_in_segments",
            "Segments received (Tcp InSegs).",
            Kind::Counter,
        ),
    ),
];

/// Writes the kernel counters found in `snmp` and `netstat` texts.
pub fn write_kernel_counters(
    snmp: &str,
    netstat: &str,
    prefix: &[(&'static str, String)],
    out: &mut Families,
) {
    for (section, key, def) in KERNEL_COUNTERS {
        let text = if *section == "TcpExt" { netstat } else { snmp };
        let Some(v) = sockdiag::snmp_field(text, section, key).and_then(|v| v.parse::<u64>().ok())
        else {
            continue;
        };
        out.get(*def).push(prefix.to_vec(), Value::Count(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockdiag::Endpoint;

    fn sock(
        t: Table,
        f: AddrFamily,
        st: State,
        local: &str,
        rq: u32,
        sq: u32,
        inode: u64,
    ) -> Socket {
        let mut s = Socket::new(t, f, st);
        let a: std::net::SocketAddr = local.parse().unwrap();
        s.local = Endpoint::Inet {
            addr: a.ip(),
            port: a.port(),
        };
        s.recv_q = rq;
        s.send_q = sq;
        s.inode = inode;
        s
    }

    #[test]
    fn caps_keep_the_fullest_listeners_and_fold_the_rest() {
        let mut a = Aggregate::new();
        let h = NoHolders;
        for port in 1..=5u16 {
            let s = sock(
                Table::Tcp,
                AddrFamily::Inet,
                State::Listen,
                &format!("127.0.0.1:{port}"),
                u32::from(port == 3) * 7,
                10,
                0,
            );
            a.push(&s, &h);
        }
        let mut out = Families::new();
        let folded = a.write(
            &[],
            Limits {
                listeners: 2,
                processes: 1,
                ..Limits::default()
            },
            &mut out,
        );
        assert_eq!(folded, vec![(ACCEPT_Q.0, 3)]);
        let fam = out.get(ACCEPT_Q);
        let ports: Vec<_> = fam
            .samples
            .iter()
            .map(|s| (s.labels[1].1.clone(), s.value.clone()))
            .collect();
        // Port 3 (7/10 full) is kept; port 1 wins the tie by address order;
        // the other three are folded with their sums.
        assert_eq!(
            ports,
            vec![
                ("1".to_string(), Value::Int(0)),
                ("3".to_string(), Value::Int(7)),
                ("0".to_string(), Value::Int(0)),
            ]
        );
        assert_eq!(fam.samples[2].labels[0].1, OTHER);
        let backlog = out.get(BACKLOG);
        assert_eq!(backlog.samples[2].value, Value::Int(30));
    }

    #[test]
    fn kernel_counters_come_from_their_section() {
        let snmp = "Tcp: RtoAlgorithm OutRsts RetransSegs\nTcp: 1 5 9\n";
        let netstat = "TcpExt: ListenOverflows ListenDrops\nTcpExt: 3 4\n";
        let mut out = Families::new();
        write_kernel_counters(snmp, netstat, &[], &mut out);
        let got: Vec<_> = out
            .as_slice()
            .iter()
            .map(|f| (f.name, f.samples[0].value.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("rss_tcp_listen_overflows", Value::Count(3)),
                ("rss_tcp_listen_drops", Value::Count(4)),
                ("rss_tcp_out_resets", Value::Count(5)),
                ("rss_tcp_retrans_segments", Value::Count(9)),
            ]
        );
    }

    fn info(retransmits: u8, total_retrans: u32, lost: u32, rtt_us: u32) -> sockdiag::TcpInfo {
        let mut b = vec![0u8; sockdiag::TCP_INFO_LEN];
        b[2] = retransmits;
        b[32..36].copy_from_slice(&lost.to_ne_bytes());
        b[68..72].copy_from_slice(&rtt_us.to_ne_bytes());
        b[100..104].copy_from_slice(&total_retrans.to_ne_bytes());
        sockdiag::TcpInfo::from_bytes(&b)
    }

    /// The exposition of a known set of sockets, written out by hand.
    #[test]
    fn exposition_of_known_sockets() {
        let holders: HashMap<u64, String> = [(10, "nginx".to_string()), (11, "app".to_string())]
            .into_iter()
            .collect();
        let mut socks = vec![
            // A listener with 3 connections waiting of 128, held by nginx.
            sock(
                Table::Tcp,
                AddrFamily::Inet,
                State::Listen,
                "0.0.0.0:80",
                3,
                128,
                10,
            ),
            // An IPv6 listener nobody is known to hold.
            sock(
                Table::Tcp,
                AddrFamily::Inet6,
                State::Listen,
                "[::1]:8080",
                0,
                64,
                99,
            ),
        ];
        let mut e1 = sock(
            Table::Tcp,
            AddrFamily::Inet,
            State::Established,
            "10.0.0.1:80",
            100,
            50,
            12,
        );
        e1.tcp_info = Some(info(1, 4, 1, 2_000)); // 2 ms
        let mut e2 = sock(
            Table::Tcp,
            AddrFamily::Inet,
            State::Established,
            "10.0.0.1:80",
            20,
            300,
            13,
        );
        e2.tcp_info = Some(info(0, 0, 0, 80)); // 80 us
        let mut cw = sock(
            Table::Tcp,
            AddrFamily::Inet,
            State::CloseWait,
            "10.0.0.1:5000",
            1,
            0,
            11,
        );
        cw.tcp_info = Some(info(0, 2, 0, 0));
        socks.extend([e1, e2, cw]);
        socks.push(sock(
            Table::Udp,
            AddrFamily::Inet,
            State::Close,
            "0.0.0.0:53",
            0,
            0,
            0,
        ));
        let mut a = Aggregate::new();
        for s in &socks {
            a.push(s, &holders);
        }
        assert_eq!(a.seen(), 6);
        let mut out = Families::new();
        let folded = a.write(&[], Limits::default(), &mut out);
        assert!(folded.is_empty());
        let text = crate::encode::encode(out.into_vec(), crate::encode::Format::Text);
        let expected = [
            "# TYPE rss_sockets gauge",
            "rss_sockets{table=\"udp\",family=\"inet\",state=\"unconn\"} 1",
            "rss_sockets{table=\"tcp\",family=\"inet\",state=\"established\"} 2",
            "rss_sockets{table=\"tcp\",family=\"inet\",state=\"close_wait\"} 1",
            "rss_sockets{table=\"tcp\",family=\"inet\",state=\"listen\"} 1",
            "rss_sockets{table=\"tcp\",family=\"inet6\",state=\"listen\"} 1",
            "rss_recv_queue_bytes{table=\"tcp\",state=\"established\"} 120",
            "rss_recv_queue_max_bytes{table=\"tcp\",state=\"established\"} 100",
            "rss_send_queue_bytes{table=\"tcp\",state=\"established\"} 350",
            "rss_send_queue_max_bytes{table=\"tcp\",state=\"established\"} 300",
            "rss_recv_queue_bytes{table=\"tcp\",state=\"close_wait\"} 1",
            "# TYPE rss_listener_accept_queue gauge",
            "rss_listener_accept_queue{address=\"0.0.0.0\",port=\"80\",process=\"nginx\"} 3",
            "rss_listener_backlog{address=\"0.0.0.0\",port=\"80\",process=\"nginx\"} 128",
            "rss_listener_accept_queue{address=\"::1\",port=\"8080\",process=\"\"} 0",
            "rss_listener_backlog{address=\"::1\",port=\"8080\",process=\"\"} 64",
            "rss_tcp_close_wait_sockets{process=\"app\"} 1",
            "rss_tcp_retransmitting_sockets 1",
            "rss_tcp_socket_retransmitted_segments 6",
            "rss_tcp_lost_segments 1",
            "# TYPE rss_tcp_rtt_seconds histogram",
            "rss_tcp_rtt_seconds_count 2",
            "rss_tcp_rtt_seconds_sum 0.00208",
            "rss_tcp_rtt_seconds_bucket{le=\"0.0001\"} 1",
            "rss_tcp_rtt_seconds_bucket{le=\"0.001\"} 1",
            "rss_tcp_rtt_seconds_bucket{le=\"0.005\"} 2",
            "rss_tcp_rtt_seconds_bucket{le=\"+Inf\"} 2",
        ];
        let lines: Vec<&str> = text.lines().collect();
        for want in expected {
            assert!(lines.contains(&want), "missing {want:?} in\n{text}");
        }
        // Nothing keyed by a connection: no peer, no pid, no inode.
        assert!(!text.contains("10.0.0.1"), "{text}");
        assert!(!text.contains("inode") && !text.contains("pid"), "{text}");
    }
}
