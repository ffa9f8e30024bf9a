//! The counters behind `ss -s`, and the TCP error counters a lab watches.
//!
//! Everything here comes from text files under `/proc/thread-self/net`
//! (`sockstat`, `sockstat6`, `snmp`, `netstat`), never from netlink.
//! `/proc/net` is a link to `/proc/self/net`, which follows the namespace of
//! the thread group leader; `thread-self` follows the calling thread, which
//! is what [`NetNs::run`] moves.
//!
//! Parsing is pure code over `&str` and as lenient as `ss`'s `sscanf`: a
//! line or a key this module does not know is skipped, and a value that is
//! missing or not a number leaves its counter at 0, so any input yields a
//! value (and `ss -s` prints the same numbers for it).
//!
//! Scope of the counters, from the kernel's `net/ipv4/proc.c` and
//! `net/ipv6/proc.c`: `sockets: used`, the `inuse` counts, `tw`, the
//! `FRAG` counters and everything in `snmp`/`netstat` belong to the
//! network namespace; TCP `orphan` and `alloc` and the `mem` values are
//! host-wide, so two reads can differ when anything else on the host opens
//! sockets in between.
#![deny(unsafe_code)]

use std::io;
use std::path::Path;

use crate::error::{Error, Result};
use crate::netns::NetNs;

use crate::host::PROC_NET;

/// Everything `ss -s` prints, as the kernel reports it.
///
/// Field names follow `/proc/net/sockstat{,6}`: `tcp_inuse` is the `inuse`
/// value of the `TCP:` line, `frag6_memory` the `memory` value of `FRAG6:`.
/// Memory counters of TCP and UDP are in pages, those of FRAG in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Summary {
    /// `sockets: used`: sockets of every family in this namespace (ss's `Total`).
    pub sockets_used: u64,
    /// IPv4 TCP sockets in the hash tables (listening, connecting, connected).
    pub tcp_inuse: u64,
    /// TCP sockets closed by their process but not yet by the peer (host-wide).
    pub tcp_orphan: u64,
    /// TIME-WAIT sockets (IPv4 and IPv6).
    pub tcp_tw: u64,
    /// Allocated TCP sockets of both families, TIME-WAIT excluded (host-wide).
    pub tcp_alloc: u64,
    /// Pages of memory held by TCP (host-wide).
    pub tcp_mem: u64,
    /// IPv4 UDP sockets.
    pub udp_inuse: u64,
    /// Pages of memory held by UDP (host-wide).
    pub udp_mem: u64,
    /// IPv4 UDP-Lite sockets.
    pub udplite_inuse: u64,
    /// IPv4 raw sockets.
    pub raw_inuse: u64,
    /// IPv4 reassembly queues.
    pub frag_inuse: u64,
    /// Bytes held by IPv4 reassembly.
    pub frag_memory: u64,
    /// IPv6 TCP sockets in the hash tables.
    pub tcp6_inuse: u64,
    /// IPv6 UDP sockets.
    pub udp6_inuse: u64,
    /// IPv6 UDP-Lite sockets.
    pub udplite6_inuse: u64,
    /// IPv6 raw sockets.
    pub raw6_inuse: u64,
    /// IPv6 reassembly queues.
    pub frag6_inuse: u64,
    /// Bytes held by IPv6 reassembly.
    pub frag6_memory: u64,
    /// `Tcp: CurrEstab` of `/proc/net/snmp`: connections in ESTABLISHED or
    /// CLOSE-WAIT, both families (ss's `estab`).
    pub tcp_estab: u64,
}

impl Summary {
    /// Parses the three files; `sockstat6` is empty when IPv6 is disabled
    /// (the file is then missing, and ss prints zeros).
    pub fn parse(sockstat: &str, sockstat6: &str, snmp: &str) -> Summary {
        let mut s = Summary::default();
        for text in [sockstat, sockstat6] {
            for line in text.lines() {
                s.sockstat_line(line);
            }
        }
        s.tcp_estab = snmp_field(snmp, "Tcp", "CurrEstab")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        s
    }

    fn sockstat_line(&mut self, line: &str) {
        let Some((label, rest)) = line.split_once(':') else {
            return;
        };
        let mut words = rest.split_whitespace();
        while let (Some(key), Some(value)) = (words.next(), words.next()) {
            let field = match (label, key) {
                ("sockets", "used") => &mut self.sockets_used,
                ("TCP", "inuse") => &mut self.tcp_inuse,
                ("TCP", "orphan") => &mut self.tcp_orphan,
                ("TCP", "tw") => &mut self.tcp_tw,
                ("TCP", "alloc") => &mut self.tcp_alloc,
                ("TCP", "mem") => &mut self.tcp_mem,
                ("UDP", "inuse") => &mut self.udp_inuse,
                ("UDP", "mem") => &mut self.udp_mem,
                ("UDPLITE", "inuse") => &mut self.udplite_inuse,
                ("RAW", "inuse") => &mut self.raw_inuse,
                ("FRAG", "inuse") => &mut self.frag_inuse,
                ("FRAG", "memory") => &mut self.frag_memory,
                ("TCP6", "inuse") => &mut self.tcp6_inuse,
                ("UDP6", "inuse") => &mut self.udp6_inuse,
                ("UDPLITE6", "inuse") => &mut self.udplite6_inuse,
                ("RAW6", "inuse") => &mut self.raw6_inuse,
                ("FRAG6", "inuse") => &mut self.frag6_inuse,
                ("FRAG6", "memory") => &mut self.frag6_memory,
                _ => continue,
            };
            *field = value.parse().unwrap_or(0);
        }
    }

    /// Reads the calling thread's namespace (`/proc/thread-self/net`).
    pub fn read() -> Result<Summary> {
        Summary::read_from(PROC_NET)
    }

    /// Reads `sockstat`, `sockstat6` (optional) and `snmp` from a
    /// `/proc/net`-like directory.
    pub fn read_from(dir: impl AsRef<Path>) -> Result<Summary> {
        let dir = dir.as_ref();
        let sockstat = read_text(dir, "sockstat")?;
        let sockstat6 = read_optional(dir, "sockstat6")?;
        let snmp = read_text(dir, "snmp")?;
        Ok(Summary::parse(&sockstat, &sockstat6, &snmp))
    }

    /// Reads another network namespace's counters, from a helper thread
    /// that entered it.
    pub fn read_in(ns: &NetNs) -> Result<Summary> {
        ns.run(Summary::read)?
    }

    /// IPv4 and IPv6 TCP sockets in the hash tables (`TCP` row of ss's table).
    pub fn tcp_hashed(&self) -> u64 {
        self.tcp_inuse.saturating_add(self.tcp6_inuse)
    }

    /// ss's `TCP:` total: allocated sockets plus TIME-WAIT
    /// (`alloc + tw`).
    pub fn tcp_total(&self) -> i64 {
        signed(self.tcp_alloc).saturating_add(signed(self.tcp_tw))
    }

    /// ss's `closed`: allocated sockets not in the hash tables, i.e.
    /// `alloc - (inuse + inuse6 - tw)` as `ss` computes it. Because `alloc`
    /// is host-wide and the rest per namespace, this is not a count of
    /// closed sockets in the namespace, and it can be negative while
    /// counters move.
    pub fn tcp_closed(&self) -> i64 {
        let hashed = signed(self.tcp_inuse)
            .saturating_add(signed(self.tcp6_inuse))
            .saturating_sub(signed(self.tcp_tw));
        signed(self.tcp_alloc).saturating_sub(hashed)
    }
}

/// TCP error counters (cumulative since the namespace was created), for
/// labs that provoke and observe them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct TcpCounters {
    /// `TcpExt: ListenOverflows`: SYNs or ACKs dropped because an accept
    /// queue was full.
    pub listen_overflows: u64,
    /// `TcpExt: ListenDrops`: every drop at a listener (overflows included).
    pub listen_drops: u64,
    /// `Tcp: OutRsts`: segments sent with RST.
    pub out_rsts: u64,
    /// `Tcp: EstabResets`: resets of ESTABLISHED or CLOSE-WAIT connections.
    pub estab_resets: u64,
    /// `Tcp: AttemptFails`: connection attempts that failed (SYN-SENT or
    /// SYN-RECV to CLOSED, SYN-RECV to LISTEN).
    pub attempt_fails: u64,
}

impl TcpCounters {
    /// Parses `/proc/net/snmp` and `/proc/net/netstat`; a missing counter is 0.
    pub fn parse(snmp: &str, netstat: &str) -> TcpCounters {
        let num = |text, section, key| {
            snmp_field(text, section, key)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        TcpCounters {
            listen_overflows: num(netstat, "TcpExt", "ListenOverflows"),
            listen_drops: num(netstat, "TcpExt", "ListenDrops"),
            out_rsts: num(snmp, "Tcp", "OutRsts"),
            estab_resets: num(snmp, "Tcp", "EstabResets"),
            attempt_fails: num(snmp, "Tcp", "AttemptFails"),
        }
    }

    /// Reads the calling thread's namespace.
    pub fn read() -> Result<TcpCounters> {
        TcpCounters::read_from(PROC_NET)
    }

    /// Reads `snmp` and `netstat` from a `/proc/net`-like directory.
    pub fn read_from(dir: impl AsRef<Path>) -> Result<TcpCounters> {
        let dir = dir.as_ref();
        Ok(TcpCounters::parse(
            &read_text(dir, "snmp")?,
            &read_text(dir, "netstat")?,
        ))
    }

    /// Reads another network namespace's counters.
    pub fn read_in(ns: &NetNs) -> Result<TcpCounters> {
        ns.run(TcpCounters::read)?
    }

    /// What happened since `earlier`, counter by counter (0 where a counter
    /// went backwards).
    pub fn since(&self, earlier: &TcpCounters) -> TcpCounters {
        TcpCounters {
            listen_overflows: self
                .listen_overflows
                .saturating_sub(earlier.listen_overflows),
            listen_drops: self.listen_drops.saturating_sub(earlier.listen_drops),
            out_rsts: self.out_rsts.saturating_sub(earlier.out_rsts),
            estab_resets: self.estab_resets.saturating_sub(earlier.estab_resets),
            attempt_fails: self.attempt_fails.saturating_sub(earlier.attempt_fails),
        }
    }
}

/// One value of a `/proc/net/snmp`-style file (also `netstat`, `snmp6` is
/// not this format): a line `Section: Key1 Key2 …` followed by a line
/// `Section: v1 v2 …`. Returns the word under `key`, unparsed (most values
/// are unsigned; `Tcp: MaxConn` is `-1`).
pub fn snmp_field<'a>(text: &'a str, section: &str, key: &str) -> Option<&'a str> {
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(keys) = line.strip_prefix(section).and_then(|r| r.strip_prefix(':')) else {
            continue;
        };
        let values = lines.next()?;
        let Some(values) = values
            .strip_prefix(section)
            .and_then(|r| r.strip_prefix(':'))
        else {
            continue;
        };
        if let Some(i) = keys.split_whitespace().position(|k| k == key) {
            return values.split_whitespace().nth(i);
        }
    }
    None
}

fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn read_text(dir: &Path, name: &str) -> Result<String> {
    let path = dir.join(name);
    std::fs::read_to_string(&path).map_err(|source| Error::File { path, source })
}

fn read_optional(dir: &Path, name: &str) -> Result<String> {
    match read_text(dir, name) {
        Err(Error::File { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            Ok(String::new())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured on kernel 6.18 inside a fresh network namespace (`unshare -n`)
    // after: a v4 listener with backlog 0 and four connects to it, a v6
    // listener with one connection closed (one TIME-WAIT) and one open, a
    // refused connect, one v4 and two v6 UDP sockets, one raw ICMP socket.
    const SOCKSTAT: &str = "sockets: used 14
TCP: inuse 6 orphan 0 tw 1 alloc 11 mem 126
UDP: inuse 1 mem 0
UDPLITE: inuse 0
RAW: inuse 1
FRAG: inuse 0 memory 0
";
    const SOCKSTAT6: &str = "TCP6: inuse 3
UDP6: inuse 2
UDPLITE6: inuse 0
RAW6: inuse 0
FRAG6: inuse 0 memory 0
";
    const SNMP: &str = "Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates OutTransmits
Ip: 2 64 11 0 0 0 0 0 11 11 0 0 0 0 0 0 0 0 0 11
Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors OutRateLimitGlobal OutRateLimitHost OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps
Icmp: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
Tcp: 1 200 120000 -1 7 3 1 0 4 21 18 3 0 1 0
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 0 0 0 0 0 0 0 0 0
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 0 0 0 0 0 0 0 0 0
";
    // The same capture's TcpExt lines, cut after TCPHPHits (the rest of the
    // 136 columns were zeros but for later counters this test ignores).
    const NETSTAT: &str = "TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled PAWSActive PAWSEstab BeyondWindow TSEcrRejected PAWSOldAck PAWSTimewait DelayedACKs DelayedACKLocked DelayedACKLost ListenOverflows ListenDrops TCPHPHits
TcpExt: 0 0 0 0 0 0 0 0 0 0 1 0 0 0 0 0 0 0 0 1 0 0 6 6 0
IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets OutOctets
IpExt: 0 0 0 0 0 0 632 632
";

    #[test]
    fn parses_a_captured_namespace() {
        let s = Summary::parse(SOCKSTAT, SOCKSTAT6, SNMP);
        let expected = Summary {
            sockets_used: 14,
            tcp_inuse: 6,
            tcp_orphan: 0,
            tcp_tw: 1,
            tcp_alloc: 11,
            tcp_mem: 126,
            udp_inuse: 1,
            udp_mem: 0,
            udplite_inuse: 0,
            raw_inuse: 1,
            frag_inuse: 0,
            frag_memory: 0,
            tcp6_inuse: 3,
            udp6_inuse: 2,
            udplite6_inuse: 0,
            raw6_inuse: 0,
            frag6_inuse: 0,
            frag6_memory: 0,
            tcp_estab: 4,
        };
        assert_eq!(s, expected);
        // ss -s printed, for this capture: "TCP:   12 (estab 4, closed 3, ...".
        assert_eq!(s.tcp_total(), 12);
        assert_eq!(s.tcp_closed(), 3);
        assert_eq!(s.tcp_hashed(), 9);
    }

    #[test]
    fn every_field_lands_in_its_place() {
        let s = Summary::parse(
            "sockets: used 1\nTCP: inuse 2 orphan 3 tw 4 alloc 5 mem 6\nUDP: inuse 7 mem 8\n\
             UDPLITE: inuse 9\nRAW: inuse 10\nFRAG: inuse 11 memory 12\n",
            "TCP6: inuse 13\nUDP6: inuse 14\nUDPLITE6: inuse 15\nRAW6: inuse 16\nFRAG6: inuse 17 memory 18\n",
            "Tcp: CurrEstab\nTcp: 19\n",
        );
        let json = serde_json::to_value(s).unwrap();
        let names = [
            "sockets_used",
            "tcp_inuse",
            "tcp_orphan",
            "tcp_tw",
            "tcp_alloc",
            "tcp_mem",
            "udp_inuse",
            "udp_mem",
            "udplite_inuse",
            "raw_inuse",
            "frag_inuse",
            "frag_memory",
            "tcp6_inuse",
            "udp6_inuse",
            "udplite6_inuse",
            "raw6_inuse",
            "frag6_inuse",
            "frag6_memory",
            "tcp_estab",
        ];
        assert_eq!(json.as_object().unwrap().len(), names.len());
        for (i, name) in names.iter().enumerate() {
            assert_eq!(json[name], i + 1, "{name}");
        }
    }

    #[test]
    fn garbage_yields_zeros_not_errors() {
        let odd = [
            "",
            "\n\n",
            "TCP: inuse",
            "TCP: inuse x orphan -1 tw 18446744073709551616",
            "TCP inuse 3",
            ":::",
            "sockets: used 5 used",
            "TCP6: inuse 1 extra",
        ];
        for text in odd {
            let s = Summary::parse(text, text, text);
            assert_eq!(s.tcp_inuse, 0, "{text:?}");
            assert_eq!(s.tcp_tw, 0);
            assert_eq!(s.tcp_estab, 0);
        }
        assert_eq!(
            Summary::parse("sockets: used 5 used", "", "").sockets_used,
            5
        );
        assert_eq!(Summary::parse("", "TCP6: inuse 1 extra", "").tcp6_inuse, 1);
        // A future key is skipped; the others still parse.
        let s = Summary::parse("TCP: inuse 1 shiny 9 tw 2\n", "", "");
        assert_eq!((s.tcp_inuse, s.tcp_tw), (1, 2));
    }

    #[test]
    fn closed_can_go_negative_like_ss() {
        let s = Summary {
            tcp_alloc: 1,
            tcp_inuse: 3,
            tcp6_inuse: 1,
            tcp_tw: 0,
            ..Summary::default()
        };
        assert_eq!(s.tcp_closed(), -3);
        let huge = Summary {
            tcp_alloc: u64::MAX,
            tcp_tw: u64::MAX,
            ..Summary::default()
        };
        assert_eq!(huge.tcp_total(), i64::MAX);
    }

    #[test]
    fn snmp_field_pairs_header_and_values() {
        assert_eq!(snmp_field(SNMP, "Tcp", "MaxConn"), Some("-1"));
        assert_eq!(snmp_field(SNMP, "Tcp", "CurrEstab"), Some("4"));
        assert_eq!(snmp_field(SNMP, "Udp", "InDatagrams"), Some("0"));
        assert_eq!(snmp_field(SNMP, "Tcp", "Nope"), None);
        assert_eq!(snmp_field(SNMP, "Tc", "MaxConn"), None);
        // "Tcp" does not match "TcpExt".
        assert_eq!(snmp_field(NETSTAT, "Tcp", "ListenDrops"), None);
        assert_eq!(snmp_field(NETSTAT, "TcpExt", "ListenDrops"), Some("6"));
        // Header without values, values shorter than the header.
        assert_eq!(snmp_field("Tcp: A B\n", "Tcp", "A"), None);
        assert_eq!(snmp_field("Tcp: A B\nTcp: 1\n", "Tcp", "B"), None);
        assert_eq!(
            snmp_field("Tcp: A B\nUdp: 1 2\nTcp: A B\nTcp: 3 4\n", "Tcp", "B"),
            Some("4")
        );
    }

    #[test]
    fn tcp_counters_from_capture() {
        let c = TcpCounters::parse(SNMP, NETSTAT);
        let expected = TcpCounters {
            listen_overflows: 6,
            listen_drops: 6,
            out_rsts: 1,
            estab_resets: 0,
            attempt_fails: 1,
        };
        assert_eq!(c, expected);
        let later = TcpCounters {
            out_rsts: 5,
            attempt_fails: 0,
            ..c
        };
        assert_eq!(
            later.since(&c),
            TcpCounters {
                listen_overflows: 0,
                listen_drops: 0,
                out_rsts: 4,
                estab_resets: 0,
                attempt_fails: 0
            }
        );
        assert_eq!(TcpCounters::parse("", ""), TcpCounters::default());
    }

    #[test]
    fn read_from_a_directory() {
        let dir = std::env::temp_dir().join(format!("sockdiag-summary-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("sockstat"), SOCKSTAT).unwrap();
        std::fs::write(dir.join("snmp"), SNMP).unwrap();
        // No sockstat6 (IPv6 disabled): zeros, as ss prints.
        let s = Summary::read_from(&dir).unwrap();
        assert_eq!((s.tcp_inuse, s.tcp6_inuse, s.tcp_estab), (6, 0, 4));
        // netstat missing: an error naming the file.
        match TcpCounters::read_from(&dir) {
            Err(Error::File { path, .. }) => assert!(path.ends_with("netstat")),
            other => panic!("{other:?}"),
        }
        std::fs::write(dir.join("netstat"), NETSTAT).unwrap();
        assert_eq!(TcpCounters::read_from(&dir).unwrap().listen_overflows, 6);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(Summary::read_from(&dir), Err(Error::File { .. })));
    }

    #[test]
    fn live_read_here() {
        // Host-wide counters move under other tests; only the reads and
        // the file formats are checked here.
        let text = std::fs::read_to_string("/proc/thread-self/net/sockstat").unwrap();
        assert!(text.starts_with("sockets: used "));
        Summary::read().unwrap();
        TcpCounters::read().unwrap();
    }

    #[test]
    fn live_read_in_a_fresh_namespace() {
        testkit::require_privileged!();
        let ns = testkit::NetNs::new().unwrap();
        let netns = NetNs::from_path(ns.path()).unwrap();
        let before = TcpCounters::read_in(&netns).unwrap();
        assert_eq!(before, TcpCounters::default());

        // One v4 listener, one established v6 pair, one v6 UDP socket, one
        // refused connect (an RST out, a failed attempt).
        let held = ns.run(|| {
            let l4 = testkit::listener("127.0.0.1:0".parse().unwrap(), 5, None).unwrap();
            let l6 = testkit::listener("[::1]:0".parse().unwrap(), 5, Some(true)).unwrap();
            let port6 = testkit::local_port(&l6).unwrap();
            let c = testkit::connect(format!("[::1]:{port6}").parse().unwrap()).unwrap();
            let (a, _) = l6.accept().unwrap();
            let u = std::net::UdpSocket::bind("[::1]:0").unwrap();
            let refused = testkit::connect("127.0.0.1:1".parse().unwrap());
            assert!(refused.is_err());
            (l4, l6, c, a, u)
        });
        let s = Summary::read_in(&netns).unwrap();
        assert_eq!(
            (s.tcp_inuse, s.tcp6_inuse, s.udp6_inuse, s.udp_inuse),
            (1, 3, 1, 0)
        );
        assert_eq!(
            (s.tcp_tw, s.tcp_estab, s.raw_inuse, s.raw6_inuse),
            (0, 2, 0, 0)
        );
        assert_eq!(s.sockets_used, 5);
        assert!(s.tcp_alloc >= 4, "{s:?}");

        let after = TcpCounters::read_in(&netns).unwrap().since(&before);
        assert_eq!(
            (after.out_rsts, after.attempt_fails, after.estab_resets),
            (1, 1, 0)
        );
        assert_eq!((after.listen_overflows, after.listen_drops), (0, 0));

        // The caller's own namespace is untouched by the helper thread.
        let here = std::fs::read_link("/proc/thread-self/ns/net").unwrap();
        assert_ne!(here, std::fs::read_link(ns.path()).unwrap());
        drop(held);
    }
}
