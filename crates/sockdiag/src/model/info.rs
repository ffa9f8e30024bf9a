//! What the kernel reports beside the endpoints: memory, congestion
//! control, unix, packet, socket filter, TLS, MPTCP subflow and netlink facts.

/// `SK_MEMINFO_*`: the socket's memory accounting (`ss -m`'s `skmem`).
///
/// Non-exhaustive: the kernel has grown this array before (`drops` came
/// later than the rest). Build one with [`SkMemInfo::from_bytes`] or from
/// `Default` and its public fields:
///
/// ```
/// use sockdiag::SkMemInfo;
/// let mut m = SkMemInfo::default();
/// m.rcvbuf = 131_072;
/// assert_eq!(m.rcvbuf, 131_072);
/// let words: Vec<u8> = (1..=9u32).flat_map(u32::to_ne_bytes).collect();
/// assert_eq!(SkMemInfo::from_bytes(&words).drops, 9);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SkMemInfo {
    /// `r`: bytes allocated in the receive queue.
    pub rmem_alloc: u32,
    /// `rb`: receive buffer size (`SO_RCVBUF`).
    pub rcvbuf: u32,
    /// `t`: bytes allocated for transmission.
    pub wmem_alloc: u32,
    /// `tb`: send buffer size (`SO_SNDBUF`).
    pub sndbuf: u32,
    /// `f`: forward-allocated memory.
    pub fwd_alloc: u32,
    /// `w`: bytes queued for transmission.
    pub wmem_queued: u32,
    /// `o`: option memory.
    pub optmem: u32,
    /// `bl`: backlog queue bytes.
    pub backlog: u32,
    /// `d`: packets dropped before reaching the socket.
    pub drops: u32,
}

impl SkMemInfo {
    /// From the `u32[SK_MEMINFO_VARS]` array; missing trailing values are 0.
    pub fn from_bytes(b: &[u8]) -> SkMemInfo {
        let v = |i: usize| crate::wire::u32_ne(b, i * 4);
        SkMemInfo {
            rmem_alloc: v(0),
            rcvbuf: v(1),
            wmem_alloc: v(2),
            sndbuf: v(3),
            fwd_alloc: v(4),
            wmem_queued: v(5),
            optmem: v(6),
            backlog: v(7),
            drops: v(8),
        }
    }
}

/// `struct inet_diag_meminfo`: the legacy memory attribute (`ss -m` on old kernels).
///
/// Exhaustive on purpose: a frozen UAPI struct, superseded by
/// `SK_MEMINFO` ([`SkMemInfo`]), that will not grow.
///
/// ```
/// use sockdiag::MemInfo;
/// let m = MemInfo { rmem: 0, wmem: 2_304, fmem: 0, tmem: 0 };
/// assert_eq!(m.wmem, 2_304);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MemInfo {
    /// Receive queue bytes.
    pub rmem: u32,
    /// Write queue bytes.
    pub wmem: u32,
    /// Forward-allocated bytes.
    pub fmem: u32,
    /// Transmit bytes.
    pub tmem: u32,
}

/// `struct tcpvegas_info` (`INET_DIAG_VEGASINFO`).
///
/// Non-exhaustive: the kernel may append fields to a congestion-control
/// info struct. Build one from `Default`:
///
/// ```
/// let mut i = sockdiag::VegasInfo::default();
/// i.rtt = 1_200;
/// assert_eq!(i.rtt, 1_200);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct VegasInfo {
    /// Vegas enabled.
    pub enabled: u32,
    /// RTT samples.
    pub rttcnt: u32,
    /// Average RTT, µs.
    pub rtt: u32,
    /// Minimum RTT, µs.
    pub minrtt: u32,
}

/// `struct tcp_dctcp_info` (`INET_DIAG_DCTCPINFO`).
///
/// Non-exhaustive: the kernel may append fields to a congestion-control
/// info struct. Build one from `Default`:
///
/// ```
/// let mut i = sockdiag::DctcpInfo::default();
/// i.alpha = 1_200;
/// assert_eq!(i.alpha, 1_200);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct DctcpInfo {
    /// DCTCP enabled.
    pub enabled: u16,
    /// CE state.
    pub ce_state: u16,
    /// Alpha (scaled by 1024).
    pub alpha: u32,
    /// Bytes ECN-marked.
    pub ab_ecn: u32,
    /// Bytes acknowledged.
    pub ab_tot: u32,
}

/// `struct tcp_bbr_info` (`INET_DIAG_BBRINFO`).
///
/// Non-exhaustive: the kernel may append fields to a congestion-control
/// info struct. Build one from `Default`:
///
/// ```
/// let mut i = sockdiag::BbrInfo::default();
/// i.min_rtt = 1_200;
/// assert_eq!(i.min_rtt, 1_200);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct BbrInfo {
    /// Bottleneck bandwidth estimate, bytes per second.
    pub bw: u64,
    /// Minimum RTT, µs.
    pub min_rtt: u32,
    /// Pacing gain, `<< 8`.
    pub pacing_gain: u32,
    /// Cwnd gain, `<< 8`.
    pub cwnd_gain: u32,
}

bitflags::bitflags! {
    /// `struct inet_diag_sockopt`: socket options visible through diag.
    ///
    /// ```
    /// use sockdiag::SockOpt;
    /// let o = SockOpt::from_bits_truncate(0b11);
    /// assert!(o.contains(SockOpt::RECVERR | SockOpt::IS_ICSK));
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct SockOpt: u16 {
        /// `IP_RECVERR`
        const RECVERR = 1 << 0;
        /// Connection-oriented (inet_connection_sock).
        const IS_ICSK = 1 << 1;
        /// `IP_FREEBIND`
        const FREEBIND = 1 << 2;
        /// `IP_HDRINCL`
        const HDRINCL = 1 << 3;
        /// `IP_MULTICAST_LOOP`
        const MC_LOOP = 1 << 4;
        /// `IP_TRANSPARENT`
        const TRANSPARENT = 1 << 5;
        /// `IP_MULTICAST_ALL`
        const MC_ALL = 1 << 6;
        /// `IP_NODEFRAG`
        const NODEFRAG = 1 << 7;
        /// `IP_BIND_ADDRESS_NO_PORT`
        const BIND_ADDRESS_NO_PORT = 1 << 8;
        /// `IP_RECVERR_RFC4884`
        const RECVERR_RFC4884 = 1 << 9;
        /// `TCP_DEFER_ACCEPT`/fast-open deferred connect
        const DEFER_CONNECT = 1 << 10;
    }
}

/// Unix-specific facts (`unix_diag`); the bound name is in the endpoint
/// ([`Endpoint::Unix`](crate::Endpoint::Unix)).
///
/// ```
/// let mut u = sockdiag::UnixInfo::default();
/// u.icons = Some(vec![40_001, 40_002]);
/// assert_eq!(u.icons.as_deref(), Some(&[40_001, 40_002][..]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct UnixInfo {
    /// `UNIX_DIAG_VFS`: device and inode of the bound file.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub vfs: Option<UnixVfs>,
    /// `UNIX_DIAG_ICONS`: inodes of connections waiting to be accepted.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub icons: Option<Vec<u64>>,
}

/// `struct unix_diag_vfs`: where a bound unix socket's file lives.
///
/// Exhaustive on purpose: a file is named by its device and inode, and
/// the kernel struct has had these two fields since it was added. The
/// inode is 64-bit like every inode of the crate (the kernel sends 32 bits).
///
/// ```
/// let v = sockdiag::UnixVfs { ino: 1_234, dev: 0x801 };
/// assert_eq!(v.ino, 1_234);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UnixVfs {
    /// Inode of the socket file.
    pub ino: u64,
    /// Device of the socket file.
    pub dev: u32,
}

/// Packet-specific facts (`packet_diag`).
///
/// ```
/// let mut p = sockdiag::PacketInfo::default();
/// p.version = 2; // TPACKET_V3
/// assert_eq!(p.fanout, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct PacketInfo {
    /// `PACKET_DIAG_INFO`: `TPACKET_V1..3` version.
    pub version: u32,
    /// Reserved headroom.
    pub reserve: u32,
    /// Copy threshold.
    pub copy_thresh: u32,
    /// Timestamp source.
    pub tstamp: u32,
    /// `PDI_*` flags (running, auxdata, origdev, vnethdr, loss).
    pub flags: u32,
    /// `PACKET_DIAG_FANOUT`, when in a fanout group.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub fanout: Option<u32>,
    /// Length of the attached BPF filter, in instructions
    /// (`PACKET_DIAG_FILTER`). `Some(0)` with no instructions when the
    /// kernel withheld them: it sends the filter to `CAP_NET_ADMIN`
    /// callers only, and an empty attribute to others.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub filter_len: Option<u32>,
    /// The attached classic BPF filter's instructions (`PACKET_DIAG_FILTER`,
    /// as given to `SO_ATTACH_FILTER`); empty when there is none or the
    /// kernel withheld them (see `filter_len`).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub filter: Vec<SockFilter>,
}

/// One classic BPF instruction (`struct sock_filter`, `<linux/filter.h>`),
/// as a packet socket's attached filter holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SockFilter {
    /// The opcode (`BPF_LD | BPF_H | BPF_ABS`, ...).
    pub code: u16,
    /// Instructions to skip when a conditional jump is taken.
    pub jt: u8,
    /// Instructions to skip when it is not.
    pub jf: u8,
    /// The operand (a constant, an offset, ...).
    pub k: u32,
}

impl SockFilter {
    /// The instruction `{ code, jt, jf, k }`.
    pub const fn new(code: u16, jt: u8, jf: u8, k: u32) -> SockFilter {
        SockFilter { code, jt, jf, k }
    }

    /// Its 8 bytes as `struct sock_filter` lays them out (native byte order).
    pub fn to_bytes(self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[..2].copy_from_slice(&self.code.to_ne_bytes());
        b[2] = self.jt;
        b[3] = self.jf;
        b[4..].copy_from_slice(&self.k.to_ne_bytes());
        b
    }

    /// Reads one `struct sock_filter` from its 8 bytes (native byte order).
    pub fn from_bytes(b: [u8; 8]) -> SockFilter {
        SockFilter {
            code: u16::from_ne_bytes([b[0], b[1]]),
            jt: b[2],
            jf: b[3],
            k: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        }
    }
}

/// A kernel TLS socket's state: what the kernel nests as
/// `INET_ULP_INFO_TLS` (`TLS_INFO_*`, `<linux/tls.h>`) in
/// `INET_DIAG_ULP_INFO` for a TCP socket whose ULP is `tls`, when the
/// request asked for the info extension. `ss -i` prints it as
/// `tcp-ulp-tls version: 1.3 cipher: aes-gcm-256 rxconf: sw txconf: sw`.
///
/// Each `Option` is `None` when the kernel did not send its attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct TlsInfo {
    /// `TLS_INFO_VERSION`: the record version (`0x0303` TLS 1.2, `0x0304` TLS 1.3).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub version: Option<u16>,
    /// `TLS_INFO_CIPHER`: `TLS_CIPHER_*` (51 AES-GCM-128, 52 AES-GCM-256, ...).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub cipher: Option<u16>,
    /// `TLS_INFO_TXCONF`: `TLS_CONF_*` of the send side (1 none, 2 software,
    /// 3 hardware, 4 hardware record).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub txconf: Option<u16>,
    /// `TLS_INFO_RXCONF`: `TLS_CONF_*` of the receive side.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub rxconf: Option<u16>,
    /// `TLS_INFO_ZC_RO_TX`: zero-copy sendfile with read-only files.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_false"))]
    pub zc_ro_tx: bool,
    /// `TLS_INFO_RX_NO_PAD`: TLS 1.3 receive without padding.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_false"))]
    pub rx_no_pad: bool,
    /// `TLS_INFO_TX_MAX_PAYLOAD_LEN`: largest record payload sent.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tx_max_payload_len: Option<u16>,
}

#[cfg(feature = "serde")]
fn is_false(v: &bool) -> bool {
    !*v
}

/// An MPTCP subflow's state: what the kernel nests as `INET_ULP_INFO_MPTCP`
/// (`MPTCP_SUBFLOW_ATTR_*`, `<linux/mptcp.h>`) in `INET_DIAG_ULP_INFO` for
/// a TCP socket that is a subflow of an MPTCP connection (ULP `mptcp`),
/// when the request asked for the info extension. `ss -i` prints it as
/// `tcp-ulp-mptcp flags:… token:… seq:… sfseq:… ssnoff:… maplen:…`.
///
/// Each field is `None` when the kernel did not send its attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct MptcpSubflowInfo {
    /// `MPTCP_SUBFLOW_ATTR_TOKEN_REM`: the peer's connection token.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub token_rem: Option<u32>,
    /// `MPTCP_SUBFLOW_ATTR_TOKEN_LOC`: this side's connection token.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub token_loc: Option<u32>,
    /// `MPTCP_SUBFLOW_ATTR_RELWRITE_SEQ`: the subflow's write sequence
    /// relative to the connection's.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub relwrite_seq: Option<u32>,
    /// `MPTCP_SUBFLOW_ATTR_MAP_SEQ`: data sequence number of the current
    /// mapping (`ss`: `seq:`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub map_seq: Option<u64>,
    /// `MPTCP_SUBFLOW_ATTR_MAP_SFSEQ`: subflow sequence number of the
    /// current mapping, relative (`sfseq:`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub map_sfseq: Option<u32>,
    /// `MPTCP_SUBFLOW_ATTR_SSN_OFFSET`: the subflow's initial sequence
    /// number (`ssnoff:`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub ssn_offset: Option<u32>,
    /// `MPTCP_SUBFLOW_ATTR_MAP_DATALEN`: length of the current mapping
    /// (`maplen:`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub map_datalen: Option<u32>,
    /// `MPTCP_SUBFLOW_ATTR_FLAGS`: `MPTCP_SUBFLOW_FLAG_*` bits, `ss`'s
    /// letters: `M`/`m` MP_CAPABLE remote/local (bits 0, 1), `J`/`j`
    /// MP_JOIN remote/local (2, 3), `B`/`b` backup remote/local (4, 5),
    /// `e` fully established (6), `c` connected (7), `v` mapping valid (8).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub flags: Option<u32>,
    /// `MPTCP_SUBFLOW_ATTR_ID_REM`: the peer's address id.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub id_rem: Option<u8>,
    /// `MPTCP_SUBFLOW_ATTR_ID_LOC`: this side's address id.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub id_loc: Option<u8>,
}

/// Netlink-specific facts (`netlink_diag`).
///
/// ```
/// let mut n = sockdiag::NetlinkInfo::default();
/// n.groups = vec![1, 4];
/// assert!(!n.connected);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct NetlinkInfo {
    /// `NETLINK_CONNECTED`: the socket has a default destination.
    pub connected: bool,
    /// Multicast groups joined (`NETLINK_DIAG_GROUPS` bitmap, as group numbers).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub groups: Vec<u32>,
    /// `NDIAG_FLAG_*` bits.
    pub flags: u32,
}
