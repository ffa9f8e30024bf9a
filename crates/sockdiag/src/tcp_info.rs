//! `struct tcp_info` (`<linux/tcp.h>`), parsed by length.
//!
//! The kernel sends as many bytes of `tcp_info` as it knows (104 on 2.6-era
//! kernels, 232 up to 6.6, 280 on 6.18). The bytes are kept inline and each
//! field is read on access: a field that lies beyond what this kernel sent
//! is `None`, never an error, and the decoder does no per-field work for
//! sockets whose info is never looked at.
#![deny(unsafe_code)]

use std::fmt;

/// Bytes of `struct tcp_info` this library knows (the 6.18 layout).
pub const TCP_INFO_LEN: usize = 280;

/// `struct tcp_info` as sent by the kernel: up to [`TCP_INFO_LEN`] bytes,
/// with a typed accessor per field.
///
/// Its fields are private (the bytes as received), so a newer kernel's
/// fields become new accessors without breaking anyone: no
/// `#[non_exhaustive]` needed. Build one with [`TcpInfo::from_bytes`] or
/// [`TcpInfo::from_fields`]. 282 bytes, inline in a
/// [`Socket`](crate::Socket): reading `tcp_info` allocates nothing.
///
/// ```
/// use sockdiag::TcpInfo;
/// let t = TcpInfo::from_bytes(&[0; 104]); // a 2.6-era kernel
/// assert_eq!(t.total_retrans(), Some(0));
/// assert_eq!(t.pacing_rate(), None); // beyond what it sent
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcpInfo {
    len: u16,
    raw: [u8; TCP_INFO_LEN],
}

/// Writes `v` as a native-endian integer of `size` bytes at `off`.
fn put(raw: &mut [u8], off: usize, size: usize, v: u64) {
    match size {
        1 => raw[off] = v as u8,
        2 => raw[off..off + 2].copy_from_slice(&(v as u16).to_ne_bytes()),
        4 => raw[off..off + 4].copy_from_slice(&(v as u32).to_ne_bytes()),
        _ => raw[off..off + 8].copy_from_slice(&v.to_ne_bytes()),
    }
}

trait Field: Sized {
    const SIZE: usize;
    fn read(b: &[u8]) -> Self;
}

impl Field for u8 {
    const SIZE: usize = 1;
    fn read(b: &[u8]) -> Self {
        b[0]
    }
}

impl Field for u16 {
    const SIZE: usize = 2;
    fn read(b: &[u8]) -> Self {
        u16::from_ne_bytes([b[0], b[1]])
    }
}

impl Field for u32 {
    const SIZE: usize = 4;
    fn read(b: &[u8]) -> Self {
        u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
    }
}

impl Field for u64 {
    const SIZE: usize = 8;
    fn read(b: &[u8]) -> Self {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        u64::from_ne_bytes(a)
    }
}

impl TcpInfo {
    /// Keeps the first [`TCP_INFO_LEN`] bytes of an `INET_DIAG_INFO` payload;
    /// longer payloads (newer kernels) are cut, shorter ones keep their length.
    pub fn from_bytes(b: &[u8]) -> TcpInfo {
        let n = b.len().min(TCP_INFO_LEN);
        let mut raw = [0u8; TCP_INFO_LEN];
        raw[..n].copy_from_slice(&b[..n]);
        TcpInfo { len: n as u16, raw }
    }

    /// How many bytes the kernel sent (capped at [`TCP_INFO_LEN`]).
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// True when the kernel sent no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes as received.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw[..self.len as usize]
    }

    fn get<T: Field>(&self, off: usize) -> Option<T> {
        if off + T::SIZE <= self.len as usize {
            Some(T::read(&self.raw[off..off + T::SIZE]))
        } else {
            None
        }
    }

    /// `tcpi_snd_wscale`: the low nibble of byte 6.
    pub fn snd_wscale(&self) -> Option<u8> {
        self.get::<u8>(6).map(|b| b & 0x0f)
    }

    /// `tcpi_rcv_wscale`: the high nibble of byte 6.
    pub fn rcv_wscale(&self) -> Option<u8> {
        self.get::<u8>(6).map(|b| b >> 4)
    }

    /// `tcpi_delivery_rate_app_limited`: bit 0 of byte 7.
    pub fn delivery_rate_app_limited(&self) -> Option<bool> {
        self.get::<u8>(7).map(|b| b & 1 != 0)
    }

    /// `tcpi_fastopen_client_fail`: bits 1–2 of byte 7.
    pub fn fastopen_client_fail(&self) -> Option<u8> {
        self.get::<u8>(7).map(|b| (b >> 1) & 3)
    }
}

macro_rules! tcp_info_fields {
    ($( $(#[$doc:meta])* $name:ident : $ty:ident @ $off:expr ),* $(,)?) => {
        impl TcpInfo {
            $(
                $(#[$doc])*
                #[inline]
                pub fn $name(&self) -> Option<$ty> {
                    self.get::<$ty>($off)
                }
            )*
        }

        /// Every plain field: name, offset, size, in struct order.
        const FIELDS: &[(&str, usize, usize)] = &[ $( (stringify!($name), $off, <$ty as Field>::SIZE) ),* ];
    };
}

tcp_info_fields! {
    /// `tcpi_state`: the TCP state number.
    state: u8 @ 0,
    /// `tcpi_ca_state`: congestion-avoidance state (`TCP_CA_*`).
    ca_state: u8 @ 1,
    /// `tcpi_retransmits`: consecutive retransmissions of the head segment.
    retransmits: u8 @ 2,
    /// `tcpi_probes`: unanswered zero-window or keepalive probes.
    probes: u8 @ 3,
    /// `tcpi_backoff`: exponential backoff of the RTO.
    backoff: u8 @ 4,
    /// `tcpi_options`: `TCPI_OPT_*` bits (timestamps 1, sack 2, wscale 4, ecn 8, ecn_seen 16, syn_data 32, usec_ts 64).
    options: u8 @ 5,
    /// `tcpi_rto`: retransmission timeout, µs.
    rto: u32 @ 8,
    /// `tcpi_ato`: delayed-ACK timeout, µs.
    ato: u32 @ 12,
    /// `tcpi_snd_mss`.
    snd_mss: u32 @ 16,
    /// `tcpi_rcv_mss`.
    rcv_mss: u32 @ 20,
    /// `tcpi_unacked`: segments sent and not acknowledged.
    unacked: u32 @ 24,
    /// `tcpi_sacked`.
    sacked: u32 @ 28,
    /// `tcpi_lost`.
    lost: u32 @ 32,
    /// `tcpi_retrans`: segments being retransmitted.
    retrans: u32 @ 36,
    /// `tcpi_fackets`.
    fackets: u32 @ 40,
    /// `tcpi_last_data_sent`: ms since data was last sent.
    last_data_sent: u32 @ 44,
    /// `tcpi_last_ack_sent` (not maintained by Linux).
    last_ack_sent: u32 @ 48,
    /// `tcpi_last_data_recv`: ms since data was last received.
    last_data_recv: u32 @ 52,
    /// `tcpi_last_ack_recv`: ms since an ACK was last received.
    last_ack_recv: u32 @ 56,
    /// `tcpi_pmtu`: path MTU.
    pmtu: u32 @ 60,
    /// `tcpi_rcv_ssthresh`.
    rcv_ssthresh: u32 @ 64,
    /// `tcpi_rtt`: smoothed RTT, µs.
    rtt: u32 @ 68,
    /// `tcpi_rttvar`: RTT variance, µs.
    rttvar: u32 @ 72,
    /// `tcpi_snd_ssthresh`.
    snd_ssthresh: u32 @ 76,
    /// `tcpi_snd_cwnd`: congestion window, segments.
    snd_cwnd: u32 @ 80,
    /// `tcpi_advmss`.
    advmss: u32 @ 84,
    /// `tcpi_reordering`.
    reordering: u32 @ 88,
    /// `tcpi_rcv_rtt`: receiver-side RTT estimate, µs.
    rcv_rtt: u32 @ 92,
    /// `tcpi_rcv_space`.
    rcv_space: u32 @ 96,
    /// `tcpi_total_retrans`.
    total_retrans: u32 @ 100,
    /// `tcpi_pacing_rate`, bytes per second.
    pacing_rate: u64 @ 104,
    /// `tcpi_max_pacing_rate`, bytes per second (`!0` = unlimited).
    max_pacing_rate: u64 @ 112,
    /// `tcpi_bytes_acked` (RFC 4898 `tcpEStatsAppHCThruOctetsAcked`).
    bytes_acked: u64 @ 120,
    /// `tcpi_bytes_received`.
    bytes_received: u64 @ 128,
    /// `tcpi_segs_out`.
    segs_out: u32 @ 136,
    /// `tcpi_segs_in`.
    segs_in: u32 @ 140,
    /// `tcpi_notsent_bytes`.
    notsent_bytes: u32 @ 144,
    /// `tcpi_min_rtt`, µs.
    min_rtt: u32 @ 148,
    /// `tcpi_data_segs_in`.
    data_segs_in: u32 @ 152,
    /// `tcpi_data_segs_out`.
    data_segs_out: u32 @ 156,
    /// `tcpi_delivery_rate`, bytes per second.
    delivery_rate: u64 @ 160,
    /// `tcpi_busy_time`: µs busy sending.
    busy_time: u64 @ 168,
    /// `tcpi_rwnd_limited`: µs limited by the receive window.
    rwnd_limited: u64 @ 176,
    /// `tcpi_sndbuf_limited`: µs limited by the send buffer.
    sndbuf_limited: u64 @ 184,
    /// `tcpi_delivered`.
    delivered: u32 @ 192,
    /// `tcpi_delivered_ce`.
    delivered_ce: u32 @ 196,
    /// `tcpi_bytes_sent`.
    bytes_sent: u64 @ 200,
    /// `tcpi_bytes_retrans`.
    bytes_retrans: u64 @ 208,
    /// `tcpi_dsack_dups`.
    dsack_dups: u32 @ 216,
    /// `tcpi_reord_seen`.
    reord_seen: u32 @ 220,
    /// `tcpi_rcv_ooopack`: out-of-order packets received.
    rcv_ooopack: u32 @ 224,
    /// `tcpi_snd_wnd`: peer's advertised receive window, bytes.
    snd_wnd: u32 @ 228,
    /// `tcpi_rcv_wnd`: local advertised receive window, bytes (6.7+).
    rcv_wnd: u32 @ 232,
    /// `tcpi_rehash`: PLB or timeout-triggered rehashes (6.7+).
    rehash: u32 @ 236,
    /// `tcpi_total_rto`: RTO timeouts.
    total_rto: u16 @ 240,
    /// `tcpi_total_rto_recoveries`.
    total_rto_recoveries: u16 @ 242,
    /// `tcpi_total_rto_time`: ms in RTO recovery.
    total_rto_time: u32 @ 244,
    /// `tcpi_received_ce`: CE-marked packets received.
    received_ce: u32 @ 248,
    /// `tcpi_delivered_e1_bytes` (AccECN).
    delivered_e1_bytes: u32 @ 252,
    /// `tcpi_delivered_e0_bytes` (AccECN).
    delivered_e0_bytes: u32 @ 256,
    /// `tcpi_delivered_ce_bytes` (AccECN).
    delivered_ce_bytes: u32 @ 260,
    /// `tcpi_received_e1_bytes` (AccECN).
    received_e1_bytes: u32 @ 264,
    /// `tcpi_received_e0_bytes` (AccECN).
    received_e0_bytes: u32 @ 268,
    /// `tcpi_received_ce_bytes` (AccECN).
    received_ce_bytes: u32 @ 272,
    /// `tcpi_accecn_fail_mode`.
    accecn_fail_mode: u16 @ 276,
    /// `tcpi_accecn_opt_seen`.
    accecn_opt_seen: u16 @ 278,
}

impl TcpInfo {
    /// Every field present, by name, widened to `u64`, in struct order
    /// (the bit-fields of bytes 6 and 7 come first, split).
    pub fn fields(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        let bits = [
            ("snd_wscale", self.snd_wscale().map(u64::from)),
            ("rcv_wscale", self.rcv_wscale().map(u64::from)),
            (
                "delivery_rate_app_limited",
                self.delivery_rate_app_limited().map(u64::from),
            ),
            (
                "fastopen_client_fail",
                self.fastopen_client_fail().map(u64::from),
            ),
        ];
        let plain = FIELDS.iter().filter_map(move |&(name, off, size)| {
            let v = match size {
                1 => self.get::<u8>(off).map(u64::from),
                2 => self.get::<u16>(off).map(u64::from),
                4 => self.get::<u32>(off).map(u64::from),
                _ => self.get::<u64>(off),
            };
            v.map(|v| (name, v))
        });
        bits.into_iter()
            .filter_map(|(n, v)| v.map(|v| (n, v)))
            .chain(plain)
    }
}

impl TcpInfo {
    /// Builds the struct back from fields by name (what [`TcpInfo::fields`]
    /// yields, as serde reads it): unknown names are ignored, the length is
    /// the end of the last field given.
    ///
    /// ```
    /// use sockdiag::TcpInfo;
    /// let t = TcpInfo::from_fields([("rtt", 1500), ("snd_wscale", 7)]);
    /// assert_eq!((t.rtt(), t.snd_wscale()), (Some(1500), Some(7)));
    /// ```
    pub fn from_fields<'a>(fields: impl IntoIterator<Item = (&'a str, u64)>) -> TcpInfo {
        let mut raw = [0u8; TCP_INFO_LEN];
        let mut len = 0;
        for (name, v) in fields {
            let (off, size) = match name {
                "snd_wscale" => {
                    raw[6] = (raw[6] & 0xf0) | (v as u8 & 0x0f);
                    (6, 1)
                }
                "rcv_wscale" => {
                    raw[6] = (raw[6] & 0x0f) | ((v as u8 & 0x0f) << 4);
                    (6, 1)
                }
                "delivery_rate_app_limited" => {
                    raw[7] = (raw[7] & !1) | (v != 0) as u8;
                    (7, 1)
                }
                "fastopen_client_fail" => {
                    raw[7] = (raw[7] & !6) | ((v as u8 & 3) << 1);
                    (7, 1)
                }
                _ => match FIELDS.iter().find(|f| f.0 == name) {
                    Some(&(_, off, size)) => {
                        put(&mut raw, off, size, v);
                        (off, size)
                    }
                    None => continue,
                },
            };
            len = len.max(off + size);
        }
        TcpInfo {
            len: len as u16,
            raw,
        }
    }
}

impl fmt::Debug for TcpInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in self.fields() {
            m.entry(&k, &v);
        }
        m.finish()
    }
}

/// Bytes of `struct mptcp_info` this library knows (`<linux/mptcp.h>`, 6.18).
pub const MPTCP_INFO_LEN: usize = 96;

/// `struct mptcp_info`, which MPTCP sockets send in `INET_DIAG_INFO`:
/// kept as received (up to [`MPTCP_INFO_LEN`] bytes), read by field.
///
/// Like [`TcpInfo`], opaque: new fields become new accessors. It lives in
/// the socket's boxed [`Detail`](crate::Detail) ([`Socket::mptcp_info`](crate::Socket::mptcp_info)).
///
/// ```
/// use sockdiag::MptcpInfo;
/// let m = MptcpInfo::from_fields([("subflows", 1), ("token", 0x1234)]);
/// assert_eq!(m.subflows(), Some(1));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MptcpInfo {
    len: u8,
    raw: [u8; MPTCP_INFO_LEN],
}

macro_rules! mptcp_info_fields {
    ($( $(#[$doc:meta])* $name:ident : $ty:ident @ $off:expr ),* $(,)?) => {
        impl MptcpInfo {
            $(
                $(#[$doc])*
                #[inline]
                pub fn $name(&self) -> Option<$ty> {
                    self.get_at::<$ty>($off)
                }
            )*
        }

        /// `struct mptcp_info`'s fields: name without `mptcpi_`, offset,
        /// size, in struct order. The one offset table of the crate: the
        /// typed accessors, [`MptcpInfo::get`], [`MptcpInfo::fields`] and
        /// serde all read it.
        const MPTCP_FIELDS: &[(&str, usize, usize)] = &[ $( (stringify!($name), $off, <$ty as Field>::SIZE) ),* ];
    };
}

mptcp_info_fields! {
    /// `mptcpi_subflows` (`extra_subflows`): additional subflows.
    subflows: u8 @ 0,
    /// `mptcpi_add_addr_signal`.
    add_addr_signal: u8 @ 1,
    /// `mptcpi_add_addr_accepted`.
    add_addr_accepted: u8 @ 2,
    /// `mptcpi_subflows_max` (`limit_extra_subflows`).
    subflows_max: u8 @ 3,
    /// `mptcpi_add_addr_signal_max` (`endp_signal_max`).
    add_addr_signal_max: u8 @ 4,
    /// `mptcpi_add_addr_accepted_max` (`limit_add_addr_accepted`).
    add_addr_accepted_max: u8 @ 5,
    /// `mptcpi_flags`: `MPTCP_INFO_FLAG_FALLBACK` (1), `_REMOTE_KEY_RECEIVED` (2).
    flags: u32 @ 8,
    /// `mptcpi_token`.
    token: u32 @ 12,
    /// `mptcpi_write_seq`.
    write_seq: u64 @ 16,
    /// `mptcpi_snd_una`.
    snd_una: u64 @ 24,
    /// `mptcpi_rcv_nxt`.
    rcv_nxt: u64 @ 32,
    /// `mptcpi_local_addr_used`.
    local_addr_used: u8 @ 40,
    /// `mptcpi_local_addr_max` (`endp_subflow_max`).
    local_addr_max: u8 @ 41,
    /// `mptcpi_csum_enabled`.
    csum_enabled: u8 @ 42,
    /// `mptcpi_retransmits`.
    retransmits: u32 @ 44,
    /// `mptcpi_bytes_retrans`.
    bytes_retrans: u64 @ 48,
    /// `mptcpi_bytes_sent`.
    bytes_sent: u64 @ 56,
    /// `mptcpi_bytes_received`.
    bytes_received: u64 @ 64,
    /// `mptcpi_bytes_acked`.
    bytes_acked: u64 @ 72,
    /// `mptcpi_subflows_total`.
    subflows_total: u8 @ 80,
    /// `mptcpi_endp_laminar_max`.
    endp_laminar_max: u8 @ 81,
    /// `mptcpi_endp_fullmesh_max`.
    endp_fullmesh_max: u8 @ 82,
    /// `mptcpi_last_data_sent`, ms.
    last_data_sent: u32 @ 84,
    /// `mptcpi_last_data_recv`, ms.
    last_data_recv: u32 @ 88,
    /// `mptcpi_last_ack_recv`, ms.
    last_ack_recv: u32 @ 92,
}

impl MptcpInfo {
    /// Keeps the first [`MPTCP_INFO_LEN`] bytes of the attribute.
    pub fn from_bytes(b: &[u8]) -> MptcpInfo {
        let n = b.len().min(MPTCP_INFO_LEN);
        let mut raw = [0u8; MPTCP_INFO_LEN];
        raw[..n].copy_from_slice(&b[..n]);
        MptcpInfo { len: n as u8, raw }
    }

    /// Builds the struct back from fields by name (what [`MptcpInfo::fields`]
    /// yields, as serde reads it): unknown names are ignored, the length is
    /// the end of the last field given, holes are zero.
    ///
    /// ```
    /// use sockdiag::MptcpInfo;
    /// let m = MptcpInfo::from_fields([("token", 0xabcd), ("subflows", 2)]);
    /// assert_eq!((m.token(), m.subflows()), (Some(0xabcd), Some(2)));
    /// assert_eq!(m.last_ack_recv(), None); // beyond the fields given
    /// ```
    pub fn from_fields<'a>(fields: impl IntoIterator<Item = (&'a str, u64)>) -> MptcpInfo {
        let mut raw = [0u8; MPTCP_INFO_LEN];
        let mut len = 0;
        for (name, v) in fields {
            if let Some(&(_, off, size)) = MPTCP_FIELDS.iter().find(|f| f.0 == name) {
                put(&mut raw, off, size, v);
                len = len.max(off + size);
            }
        }
        MptcpInfo {
            len: len as u8,
            raw,
        }
    }

    /// The bytes as received.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw[..self.len as usize]
    }

    fn get_at<T: Field>(&self, off: usize) -> Option<T> {
        self.as_bytes().get(off..off + T::SIZE).map(T::read)
    }

    /// A field by its name without `mptcpi_` (`"token"`, `"subflows"`, ...),
    /// widened to `u64`; `None` when unknown or beyond what the kernel sent.
    /// The typed accessors ([`MptcpInfo::token`], ...) say the same.
    pub fn get(&self, name: &str) -> Option<u64> {
        let &(_, off, size) = MPTCP_FIELDS.iter().find(|f| f.0 == name)?;
        self.read(off, size)
    }

    fn read(&self, off: usize, size: usize) -> Option<u64> {
        Some(match size {
            1 => u64::from(self.get_at::<u8>(off)?),
            2 => u64::from(self.get_at::<u16>(off)?),
            4 => u64::from(self.get_at::<u32>(off)?),
            _ => self.get_at::<u64>(off)?,
        })
    }

    /// Every field present, in struct order.
    pub fn fields(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        MPTCP_FIELDS
            .iter()
            .filter_map(|&(n, off, size)| self.read(off, size).map(|v| (n, v)))
    }
}

impl fmt::Debug for MptcpInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.fields()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_cover_the_struct_without_gaps() {
        // Bytes 6 and 7 are the bit-field bytes; every other byte belongs to
        // exactly one plain field.
        let mut owner = [0u8; TCP_INFO_LEN];
        owner[6] = 1;
        owner[7] = 1;
        for &(name, off, size) in FIELDS {
            assert_eq!(off % size, 0, "{name} misaligned");
            for b in &mut owner[off..off + size] {
                assert_eq!(*b, 0, "{name} overlaps");
                *b = 1;
            }
        }
        assert!(owner.iter().all(|&b| b == 1));
    }

    #[test]
    fn mptcp_info_fields_by_offset() {
        let mut b = vec![0u8; MPTCP_INFO_LEN];
        b[3] = 2; // subflows_max
        b[12..16].copy_from_slice(&0x4e63_47c8u32.to_ne_bytes()); // token
        b[16..24].copy_from_slice(&1234u64.to_ne_bytes()); // write_seq
        let m = MptcpInfo::from_bytes(&b);
        assert_eq!(m.get("subflows_max"), Some(2));
        assert_eq!(m.get("token"), Some(0x4e63_47c8));
        assert_eq!(m.get("write_seq"), Some(1234));
        assert_eq!(m.fields().count(), MPTCP_FIELDS.len());
        assert_eq!(m.token(), Some(0x4e63_47c8));
        assert_eq!(m.endp_laminar_max(), Some(0));
        // A kernel sending 80 bytes has no subflows_total or last_* fields.
        assert_eq!(MptcpInfo::from_bytes(&b[..80]).get("subflows_total"), None);
        assert_eq!(m.get("nonsense"), None);
    }

    #[test]
    fn short_kernels_give_fewer_fields() {
        let mut b = vec![0u8; TCP_INFO_LEN];
        b[228..232].copy_from_slice(&65535u32.to_ne_bytes()); // snd_wnd
        b[232..236].copy_from_slice(&1234u32.to_ne_bytes()); // rcv_wnd
        b[6] = 0x79; // rcv_wscale 7, snd_wscale 9
        let full = TcpInfo::from_bytes(&b);
        assert_eq!(full.rcv_wnd(), Some(1234));
        assert_eq!((full.snd_wscale(), full.rcv_wscale()), (Some(9), Some(7)));
        let v232 = TcpInfo::from_bytes(&b[..232]);
        assert_eq!(v232.snd_wnd(), Some(65535));
        assert_eq!(v232.rcv_wnd(), None);
        let v104 = TcpInfo::from_bytes(&b[..104]);
        assert_eq!(v104.total_retrans(), Some(0));
        assert_eq!(v104.pacing_rate(), None);
        assert_eq!(v104.fields().count(), 4 + 30);
        // Cut in the middle of a field: the field is absent.
        assert_eq!(TcpInfo::from_bytes(&b[..234]).rcv_wnd(), None);
        // Longer than known: kept to 280 bytes.
        let mut long = b.clone();
        long.extend_from_slice(&[0xff; 16]);
        assert_eq!(TcpInfo::from_bytes(&long).len(), TCP_INFO_LEN);
        assert!(TcpInfo::from_bytes(&[]).is_empty());
    }

    /// 280 bytes, each a different value (its offset, plus one), so that
    /// any field read from a wrong offset, width or byte order shows.
    fn distinct() -> [u8; TCP_INFO_LEN] {
        std::array::from_fn(|i| (i as u8).wrapping_add(1))
    }

    #[test]
    fn fields_read_their_own_bytes() {
        let t = TcpInfo::from_bytes(&distinct());
        assert_eq!(
            (t.len(), t.is_empty(), t.as_bytes()),
            (TCP_INFO_LEN, false, &distinct()[..])
        );
        assert_eq!(t.state(), Some(1));
        assert_eq!(t.rto(), Some(u32::from_ne_bytes([9, 10, 11, 12])));
        assert_eq!(t.total_rto(), Some(u16::from_ne_bytes([241, 242])));
        assert_eq!(
            t.pacing_rate(),
            Some(u64::from_ne_bytes([105, 106, 107, 108, 109, 110, 111, 112]))
        );
        assert_eq!(t.accecn_opt_seen(), Some(u16::from_ne_bytes([23, 24]))); // bytes 278, 279
        // Every plain field by name, each at its width.
        for (name, v) in t.fields().skip(4) {
            let &(_, off, size) = FIELDS.iter().find(|f| f.0 == name).unwrap();
            let mut b = [0u8; 8];
            b[..size].copy_from_slice(&distinct()[off..off + size]);
            assert_eq!(v, u64::from_ne_bytes(b), "{name}");
        }
        assert_eq!(t.fields().count(), 4 + FIELDS.len());
        // One byte short of the last field: it is absent, the one before is not.
        let short = TcpInfo::from_bytes(&distinct()[..279]);
        assert_eq!(
            (short.accecn_fail_mode().is_some(), short.accecn_opt_seen()),
            (true, None)
        );
        assert_eq!(short.fields().count(), 4 + FIELDS.len() - 1);
        let one = TcpInfo::from_bytes(&[7]);
        assert_eq!(
            (one.len(), one.is_empty(), one.state(), one.ca_state()),
            (1, false, Some(7), None)
        );
    }

    #[test]
    fn bit_fields_of_bytes_6_and_7() {
        let with = |b6: u8, b7: u8| {
            let mut b = [0u8; 8];
            (b[6], b[7]) = (b6, b7);
            let t = TcpInfo::from_bytes(&b);
            (
                t.snd_wscale().unwrap(),
                t.rcv_wscale().unwrap(),
                t.delivery_rate_app_limited().unwrap(),
                t.fastopen_client_fail().unwrap(),
            )
        };
        assert_eq!(with(0x79, 0b0000_0101), (9, 7, true, 2));
        assert_eq!(with(0xe1, 0b0000_0110), (1, 14, false, 3));
        assert_eq!(with(0x00, 0b1111_1000), (0, 0, false, 0));
        assert_eq!(with(0xff, 0b0000_0011), (15, 15, true, 1));
        // Byte 7 missing: its bit-fields are absent, byte 6's are not.
        let t = TcpInfo::from_bytes(&[0, 0, 0, 0, 0, 0, 0x21]);
        assert_eq!(
            (
                t.snd_wscale(),
                t.delivery_rate_app_limited(),
                t.fastopen_client_fail()
            ),
            (Some(1), None, None)
        );
    }

    #[test]
    fn from_fields_sets_each_bit_field_alone() {
        let t = TcpInfo::from_fields([
            ("snd_wscale", 0x1f),
            ("rcv_wscale", 0x1e),
            ("delivery_rate_app_limited", 2),
            ("fastopen_client_fail", 7),
        ]);
        // Values wider than their bits are cut to them.
        assert_eq!(t.as_bytes(), &[0, 0, 0, 0, 0, 0, 0xef, 0b111]);
        // Each setter keeps the other field of its byte.
        let t = TcpInfo::from_fields([("rcv_wscale", 3), ("snd_wscale", 5), ("snd_wscale", 2)]);
        assert_eq!(t.as_bytes(), &[0, 0, 0, 0, 0, 0, 0x32]);
        let t = TcpInfo::from_fields([("snd_wscale", 3), ("rcv_wscale", 5), ("rcv_wscale", 2)]);
        assert_eq!(t.as_bytes(), &[0, 0, 0, 0, 0, 0, 0x23]);
        let t = TcpInfo::from_fields([
            ("fastopen_client_fail", 3),
            ("delivery_rate_app_limited", 1),
        ]);
        assert_eq!(t.as_bytes()[7], 0b111);
        let t = TcpInfo::from_fields([
            ("delivery_rate_app_limited", 1),
            ("fastopen_client_fail", 3),
            ("fastopen_client_fail", 0),
            ("delivery_rate_app_limited", 1),
        ]);
        assert_eq!(t.as_bytes()[7], 1);
        let t = TcpInfo::from_fields([
            ("fastopen_client_fail", 2),
            ("delivery_rate_app_limited", 0),
        ]);
        assert_eq!(t.as_bytes()[7], 0b100);
        // The length is the end of the furthest field, whatever the order.
        assert_eq!(TcpInfo::from_fields([("rtt", 1), ("state", 2)]).len(), 72);
        assert_eq!(TcpInfo::from_fields([("nonsense", 1)]).len(), 0);
    }

    #[test]
    fn from_fields_rebuilds_every_field() {
        // Padding (byte 7's five high bits) is not a field: compared by field.
        // A cut field's bytes are not a field: 279 bytes rebuild as 278.
        for (n, len) in [
            (1, 1),
            (2, 2),
            (7, 7),
            (8, 8),
            (104, 104),
            (242, 242),
            (279, 278),
            (280, 280),
        ] {
            let t = TcpInfo::from_bytes(&distinct()[..n]);
            let r = TcpInfo::from_fields(t.fields());
            assert_eq!(r.len(), len, "{n} bytes");
            assert_eq!(
                r.fields().collect::<Vec<_>>(),
                t.fields().collect::<Vec<_>>(),
                "{n} bytes"
            );
        }
    }

    #[test]
    fn debug_lists_the_fields_present() {
        let t = TcpInfo::from_bytes(&[1, 2]);
        assert_eq!(format!("{t:?}"), r#"{"state": 1, "ca_state": 2}"#);
        let m = MptcpInfo::from_bytes(&[3, 4]);
        assert_eq!(format!("{m:?}"), r#"{"subflows": 3, "add_addr_signal": 4}"#);
    }

    #[test]
    fn mptcp_info_reads_and_rebuilds_every_field() {
        let b: Vec<u8> = (1..=MPTCP_INFO_LEN as u8).collect();
        let m = MptcpInfo::from_bytes(&b);
        assert_eq!(m.as_bytes(), &b[..]);
        for &(name, off, size) in MPTCP_FIELDS {
            let mut w = [0u8; 8];
            w[..size].copy_from_slice(&b[off..off + size]);
            assert_eq!(m.get(name), Some(u64::from_ne_bytes(w)), "{name}");
        }
        assert_eq!(
            m.write_seq(),
            Some(u64::from_ne_bytes([17, 18, 19, 20, 21, 22, 23, 24]))
        );
        assert_eq!(m.flags(), Some(u32::from_ne_bytes([9, 10, 11, 12])));
        // Padding (bytes 6, 7 and 43) is not a field: compared by field.
        let rebuilt = MptcpInfo::from_fields(m.fields());
        assert_eq!(rebuilt.as_bytes().len(), MPTCP_INFO_LEN);
        assert_eq!(
            rebuilt.fields().collect::<Vec<_>>(),
            m.fields().collect::<Vec<_>>()
        );
        // One byte short of the last field.
        let short = MptcpInfo::from_bytes(&b[..95]);
        assert_eq!(
            (short.last_data_recv().is_some(), short.last_ack_recv()),
            (true, None)
        );
        assert_eq!(short.fields().count(), MPTCP_FIELDS.len() - 1);
        // The cut field's bytes are not a field: 95 bytes rebuild as 92.
        let rebuilt = MptcpInfo::from_fields(short.fields());
        assert_eq!(rebuilt.as_bytes().len(), 92);
        assert_eq!(
            rebuilt.fields().collect::<Vec<_>>(),
            short.fields().collect::<Vec<_>>()
        );
        // Longer than known: cut to the known length.
        let mut long = b.clone();
        long.push(0xff);
        assert_eq!(MptcpInfo::from_bytes(&long), m);
        // from_fields: the length is the end of the furthest field given.
        let f = MptcpInfo::from_fields([("token", 5), ("subflows", 1)]);
        assert_eq!(f.as_bytes().len(), 16);
        assert_eq!(
            (f.token(), f.subflows(), f.write_seq()),
            (Some(5), Some(1), None)
        );
        assert_eq!(
            MptcpInfo::from_fields([("bytes_acked", u64::MAX - 1)]).bytes_acked(),
            Some(u64::MAX - 1)
        );
    }
}
