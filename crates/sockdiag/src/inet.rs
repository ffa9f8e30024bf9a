//! `inet_diag`: TCP, UDP, RAW and MPTCP sockets (`<linux/inet_diag.h>`).
//!
//! Pure encoding of `inet_diag_req_v2` and decoding of `inet_diag_msg` with
//! its attributes. No I/O here.
#![deny(unsafe_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::consts::*;
use crate::model::*;
use crate::tcp_info::{MptcpInfo, TcpInfo};
use crate::wire::DecodeError;
use crate::wire::{Attrs, cstr, need, push_attr, u16_be, u16_ne, u32_ne, u64_ne};

bitflags::bitflags! {
    /// Extensions to ask `inet_diag` for (`idiag_ext`: bit `INET_DIAG_x - 1`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Extensions: u8 {
        /// `INET_DIAG_MEMINFO`: legacy memory counters.
        const MEMINFO = 1 << (INET_DIAG_MEMINFO - 1);
        /// `INET_DIAG_INFO`: `struct tcp_info`.
        const INFO = 1 << (INET_DIAG_INFO - 1);
        /// `INET_DIAG_VEGASINFO`: also brings DCTCP and BBR info.
        const VEGASINFO = 1 << (INET_DIAG_VEGASINFO - 1);
        /// `INET_DIAG_CONG`: congestion-control name.
        const CONG = 1 << (INET_DIAG_CONG - 1);
        /// `INET_DIAG_TOS`.
        const TOS = 1 << (INET_DIAG_TOS - 1);
        /// `INET_DIAG_TCLASS`: also brings the class id.
        const TCLASS = 1 << (INET_DIAG_TCLASS - 1);
        /// `INET_DIAG_SKMEMINFO`.
        const SKMEMINFO = 1 << (INET_DIAG_SKMEMINFO - 1);
    }
}

/// `TCPDIAG_GETSOCK` (`<linux/inet_diag.h>`): the request type from before
/// `sock_diag`. The kernel still serves it (`inet_diag_rcv_msg_compat`) and,
/// unlike `SOCK_DIAG_BY_FAMILY`, dumps TCP sockets of both families in one
/// walk of the hash tables (its family is `AF_UNSPEC`). Replies carry this
/// type instead of `SOCK_DIAG_BY_FAMILY`.
pub(crate) const TCPDIAG_GETSOCK: u16 = 18;

/// Length of `struct inet_diag_req` (v1): family, src_len, dst_len, ext,
/// `inet_diag_sockid` (48), states, dbs.
pub(crate) const INET_DIAG_REQ_LEN: usize = 60;

/// The IP protocol number for an inet table.
pub(crate) fn protocol(table: Table) -> u32 {
    match table {
        Table::Tcp => IPPROTO_TCP as u32,
        Table::Udp => IPPROTO_UDP as u32,
        Table::Raw => IPPROTO_RAW as u32,
        Table::Mptcp => IPPROTO_MPTCP,
        _ => 0,
    }
}

/// Appends an `inet_diag_req_v2` body (after the nlmsghdr) to `out`.
///
/// MPTCP's protocol number (262) does not fit `sdiag_protocol`; it goes in
/// an `INET_DIAG_REQ_PROTOCOL` attribute, which the kernel prefers.
pub(crate) fn encode_request(
    out: &mut Vec<u8>,
    table: Table,
    family: Family,
    states: u32,
    ext: Extensions,
    bytecode: Option<&[u8]>,
) {
    let proto = protocol(table);
    out.push(family.af());
    out.push(proto as u8);
    out.push(ext.bits());
    out.push(0);
    out.extend_from_slice(&states.to_ne_bytes());
    // inet_diag_sockid: ports, addresses and interface all zero for a dump.
    out.extend_from_slice(&[0u8; 40]);
    out.extend_from_slice(&INET_DIAG_NOCOOKIE.to_ne_bytes());
    out.extend_from_slice(&INET_DIAG_NOCOOKIE.to_ne_bytes());
    if let Some(bc) = bytecode {
        push_attr(out, INET_DIAG_REQ_BYTECODE, bc);
    }
    if proto > 255 {
        push_attr(out, INET_DIAG_REQ_PROTOCOL, &proto.to_ne_bytes());
    }
}

/// Appends an `inet_diag_req` (v1) body for a `TCPDIAG_GETSOCK` dump of
/// every TCP socket, IPv4 and IPv6 (family `AF_UNSPEC`). The bytecode
/// attribute works as with v2 requests; the protocol attribute does not
/// exist here (TCP only).
pub(crate) fn encode_compat_request(
    out: &mut Vec<u8>,
    states: u32,
    ext: Extensions,
    bytecode: Option<&[u8]>,
) {
    let start = out.len();
    out.push(0); // AF_UNSPEC
    out.push(0); // idiag_src_len
    out.push(0); // idiag_dst_len
    out.push(ext.bits());
    // inet_diag_sockid: ports, addresses and interface all zero for a dump.
    out.extend_from_slice(&[0u8; 40]);
    out.extend_from_slice(&INET_DIAG_NOCOOKIE.to_ne_bytes());
    out.extend_from_slice(&INET_DIAG_NOCOOKIE.to_ne_bytes());
    out.extend_from_slice(&states.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes()); // idiag_dbs: unused
    debug_assert_eq!(out.len() - start, INET_DIAG_REQ_LEN);
    if let Some(bc) = bytecode {
        push_attr(out, INET_DIAG_REQ_BYTECODE, bc);
    }
}

fn ip_at(b: &[u8], off: usize, family: Family) -> IpAddr {
    let mut a = [0u8; 16];
    if let Some(s) = b.get(off..off + 16) {
        a.copy_from_slice(s);
    }
    match family {
        Family::Inet6 => IpAddr::V6(Ipv6Addr::from(a)),
        _ => IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3])),
    }
}

/// Decodes one `inet_diag_msg` and its attributes into a [`Socket`].
pub(crate) fn decode(table: Table, msg: &[u8]) -> Result<Socket, DecodeError> {
    need("inet_diag_msg", msg, 0, INET_DIAG_MSG_LEN)?;
    let family = match msg[0] {
        AF_INET6 => Family::Inet6,
        _ => Family::Inet,
    };
    let mut s = Socket::new(table, family, State::from_kernel(msg[1]));
    if let Some(kind) = TimerKind::from_kernel(msg[2]) {
        s.timer = Some(Timer::new(kind, u32_ne(msg, 52), msg[3]));
    }
    s.local = Endpoint::Inet {
        addr: ip_at(msg, 8, family),
        port: u16_be(msg, 4),
    };
    s.peer = Endpoint::Inet {
        addr: ip_at(msg, 24, family),
        port: u16_be(msg, 6),
    };
    s.interface = u32_ne(msg, 40);
    let (c0, c1) = (u32_ne(msg, 44), u32_ne(msg, 48));
    if (c0, c1) != (INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE) {
        s.cookie = Some(c0 as u64 | (c1 as u64) << 32);
    }
    s.recv_q = u32_ne(msg, 56);
    s.send_q = u32_ne(msg, 60);
    s.uid = Some(u32_ne(msg, 64));
    s.inode = u32_ne(msg, 68) as u64;
    for attr in Attrs::new(&msg[INET_DIAG_MSG_LEN..], INET_DIAG_MSG_LEN) {
        let (ty, p) = attr?;
        apply_attr(&mut s, ty, p);
    }
    Ok(s)
}

fn apply_attr(s: &mut Socket, ty: u16, p: &[u8]) {
    match ty {
        INET_DIAG_MEMINFO if p.len() >= 16 => {
            s.meminfo = Some(MemInfo {
                rmem: u32_ne(p, 0),
                wmem: u32_ne(p, 4),
                fmem: u32_ne(p, 8),
                tmem: u32_ne(p, 12),
            })
        }
        // MPTCP sockets send `struct mptcp_info` here (mptcp_diag.c), not tcp_info.
        INET_DIAG_INFO if s.netid == Table::Mptcp => {
            s.detail_or_insert().mptcp_info = Some(MptcpInfo::from_bytes(p))
        }
        INET_DIAG_INFO => s.tcp_info = Some(TcpInfo::from_bytes(p)),
        INET_DIAG_VEGASINFO if p.len() >= 16 => {
            s.detail_or_insert().vegas = Some(VegasInfo {
                enabled: u32_ne(p, 0),
                rttcnt: u32_ne(p, 4),
                rtt: u32_ne(p, 8),
                minrtt: u32_ne(p, 12),
            })
        }
        INET_DIAG_CONG => s.congestion = Some(ShortName::new(cstr(p))),
        INET_DIAG_TOS if !p.is_empty() => s.detail_or_insert().tos = Some(p[0]),
        INET_DIAG_TCLASS if !p.is_empty() => s.detail_or_insert().tclass = Some(p[0]),
        INET_DIAG_SKMEMINFO => s.skmem = Some(SkMemInfo::from_bytes(p)),
        INET_DIAG_SHUTDOWN if !p.is_empty() => s.shutdown = Some(Shutdown::from_bits(p[0])),
        INET_DIAG_DCTCPINFO if p.len() >= 16 => {
            s.detail_or_insert().dctcp = Some(DctcpInfo {
                enabled: u16_ne(p, 0),
                ce_state: u16_ne(p, 2),
                alpha: u32_ne(p, 4),
                ab_ecn: u32_ne(p, 8),
                ab_tot: u32_ne(p, 12),
            })
        }
        INET_DIAG_SKV6ONLY if !p.is_empty() => s.v6only = Some(p[0] != 0),
        INET_DIAG_MARK if p.len() >= 4 => s.mark = Some(u32_ne(p, 0)),
        INET_DIAG_BBRINFO if p.len() >= 20 => {
            s.detail_or_insert().bbr = Some(BbrInfo {
                bw: u32_ne(p, 0) as u64 | (u32_ne(p, 4) as u64) << 32,
                min_rtt: u32_ne(p, 8),
                pacing_gain: u32_ne(p, 12),
                cwnd_gain: u32_ne(p, 16),
            })
        }
        INET_DIAG_CLASS_ID if p.len() >= 4 => s.detail_or_insert().class_id = Some(u32_ne(p, 0)),
        INET_DIAG_ULP_INFO => {
            for (t, v) in Attrs::new(p, 0).flatten() {
                match t {
                    INET_ULP_INFO_NAME => s.detail_or_insert().ulp = Some(ShortName::new(cstr(v))),
                    INET_ULP_INFO_MPTCP => {
                        s.detail_or_insert().mptcp_subflow = Some(mptcp_subflow(v))
                    }
                    INET_ULP_INFO_TLS => s.detail_or_insert().tls = Some(tls(v)),
                    _ => {}
                }
            }
        }
        INET_DIAG_CGROUP_ID if p.len() >= 8 => s.cgroup_id = Some(u64_ne(p, 0)),
        INET_DIAG_SOCKOPT if p.len() >= 2 => {
            s.sockopt = Some(SockOpt::from_bits_truncate(u16_ne(p, 0)))
        }
        // INET_DIAG_PROTOCOL, MD5SIG, BPF storages, SCTP locals/peers: not modelled.
        _ => {}
    }
}

/// `INET_ULP_INFO_TLS`'s nested `TLS_INFO_*` (u16s and flags).
fn tls(p: &[u8]) -> TlsInfo {
    let mut t = TlsInfo::default();
    let u16_of = |v: &[u8]| (v.len() >= 2).then(|| u16_ne(v, 0));
    for (ty, v) in Attrs::new(p, 0).flatten() {
        match ty {
            TLS_INFO_VERSION => t.version = u16_of(v),
            TLS_INFO_CIPHER => t.cipher = u16_of(v),
            TLS_INFO_TXCONF => t.txconf = u16_of(v),
            TLS_INFO_RXCONF => t.rxconf = u16_of(v),
            TLS_INFO_ZC_RO_TX => t.zc_ro_tx = true,
            TLS_INFO_RX_NO_PAD => t.rx_no_pad = true,
            TLS_INFO_TX_MAX_PAYLOAD_LEN => t.tx_max_payload_len = u16_of(v),
            _ => {}
        }
    }
    t
}

/// `INET_ULP_INFO_MPTCP`'s nested `MPTCP_SUBFLOW_ATTR_*`. An attribute
/// too short for its type is left out, as a missing one.
fn mptcp_subflow(p: &[u8]) -> MptcpSubflowInfo {
    let mut m = MptcpSubflowInfo::default();
    let u32_of = |v: &[u8]| (v.len() >= 4).then(|| u32_ne(v, 0));
    for (t, v) in Attrs::new(p, 0).flatten() {
        match t {
            MPTCP_SUBFLOW_ATTR_TOKEN_REM => m.token_rem = u32_of(v),
            MPTCP_SUBFLOW_ATTR_TOKEN_LOC => m.token_loc = u32_of(v),
            MPTCP_SUBFLOW_ATTR_RELWRITE_SEQ => m.relwrite_seq = u32_of(v),
            MPTCP_SUBFLOW_ATTR_MAP_SEQ => m.map_seq = (v.len() >= 8).then(|| u64_ne(v, 0)),
            MPTCP_SUBFLOW_ATTR_MAP_SFSEQ => m.map_sfseq = u32_of(v),
            MPTCP_SUBFLOW_ATTR_SSN_OFFSET => m.ssn_offset = u32_of(v),
            // The kernel sends a u16 (nla_put_u16); a u32 is read as well.
            MPTCP_SUBFLOW_ATTR_MAP_DATALEN => {
                m.map_datalen = u32_of(v).or_else(|| (v.len() >= 2).then(|| u16_ne(v, 0).into()))
            }
            MPTCP_SUBFLOW_ATTR_FLAGS => m.flags = u32_of(v),
            MPTCP_SUBFLOW_ATTR_ID_REM => m.id_rem = v.first().copied(),
            MPTCP_SUBFLOW_ATTR_ID_LOC => m.id_loc = v.first().copied(),
            _ => {}
        }
    }
    m
}

/// The inet table an `inet_diag_msg` belongs to, from its
/// `INET_DIAG_PROTOCOL` attribute (sent with destroy events, where the
/// request does not say). `None` when absent or not an inet table.
pub(crate) fn table_of(msg: &[u8]) -> Option<Table> {
    let attrs = msg.get(INET_DIAG_MSG_LEN..)?;
    for (ty, p) in Attrs::new(attrs, INET_DIAG_MSG_LEN).flatten() {
        if ty == INET_DIAG_PROTOCOL && !p.is_empty() {
            // A u8 on most kernels; MPTCP (262) needs the u32 some send.
            let proto = if p.len() >= 4 {
                u32_ne(p, 0)
            } else {
                p[0] as u32
            };
            return match proto {
                x if x == IPPROTO_TCP as u32 => Some(Table::Tcp),
                x if x == IPPROTO_UDP as u32 => Some(Table::Udp),
                x if x == IPPROTO_RAW as u32 => Some(Table::Raw),
                IPPROTO_MPTCP => Some(Table::Mptcp),
                _ => None,
            };
        }
    }
    None
}

/// Appends the `inet_diag_req_v2` that names exactly one socket, for
/// `SOCK_DESTROY`: its table and family, addresses, ports, interface and
/// cookie (`None`: `INET_DIAG_NOCOOKIE`, the kernel checks none).
#[allow(clippy::too_many_arguments)]
pub(crate) fn encode_exact(
    out: &mut Vec<u8>,
    table: Table,
    family: Family,
    (la, lp): (IpAddr, u16),
    (ra, rp): (IpAddr, u16),
    interface: u32,
    cookie: Option<u64>,
) {
    let bytes = |a: IpAddr| -> [u8; 16] {
        let mut b = [0u8; 16];
        match a {
            IpAddr::V4(v) => b[..4].copy_from_slice(&v.octets()),
            IpAddr::V6(v) => b = v.octets(),
        }
        b
    };
    out.push(family.af());
    out.push(protocol(table) as u8);
    out.push(0);
    out.push(0);
    out.extend_from_slice(&u32::MAX.to_ne_bytes()); // every state
    out.extend_from_slice(&lp.to_be_bytes());
    out.extend_from_slice(&rp.to_be_bytes());
    out.extend_from_slice(&bytes(la));
    out.extend_from_slice(&bytes(ra));
    out.extend_from_slice(&interface.to_ne_bytes());
    let cookie = cookie.unwrap_or(u64::MAX);
    out.extend_from_slice(&(cookie as u32).to_ne_bytes());
    out.extend_from_slice(&((cookie >> 32) as u32).to_ne_bytes());
    if protocol(table) > 255 {
        push_attr(out, INET_DIAG_REQ_PROTOCOL, &protocol(table).to_ne_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_layout() {
        let mut b = Vec::new();
        encode_request(
            &mut b,
            Table::Tcp,
            Family::Inet6,
            1 << 10,
            Extensions::INFO | Extensions::CONG,
            None,
        );
        assert_eq!(b.len(), INET_DIAG_REQ_V2_LEN);
        assert_eq!(&b[..4], &[AF_INET6, IPPROTO_TCP, 0b1010, 0]);
        assert_eq!(u32_ne(&b, 4), 1 << 10);
        assert_eq!(&b[48..56], &[0xff; 8]);
        let mut m = Vec::new();
        encode_request(
            &mut m,
            Table::Mptcp,
            Family::Inet,
            2,
            Extensions::empty(),
            Some(&[1, 2, 3, 4]),
        );
        // bytecode attribute, then the protocol attribute carrying 262
        assert_eq!(m.len(), INET_DIAG_REQ_V2_LEN + 8 + 8);
        assert_eq!(u16_ne(&m, 58), INET_DIAG_REQ_BYTECODE);
        assert_eq!(u16_ne(&m, 66), INET_DIAG_REQ_PROTOCOL);
        assert_eq!(u32_ne(&m, 68), 262);
    }

    #[test]
    fn compat_request_layout() {
        let mut b = Vec::new();
        encode_compat_request(&mut b, 1 << 10 | 1 << 13, Extensions::INFO, None);
        assert_eq!(b.len(), INET_DIAG_REQ_LEN);
        assert_eq!(&b[..4], &[0, 0, 0, 0b10]);
        assert_eq!(&b[44..52], &[0xff; 8]);
        assert_eq!(u32_ne(&b, 52), 1 << 10 | 1 << 13);
        assert_eq!(u32_ne(&b, 56), 0);
        let mut f = Vec::new();
        encode_compat_request(&mut f, 2, Extensions::empty(), Some(&[1, 2, 3, 4]));
        assert_eq!(f.len(), INET_DIAG_REQ_LEN + 8);
        assert_eq!(u16_ne(&f, 62), INET_DIAG_REQ_BYTECODE);
    }

    #[test]
    fn short_message_is_an_error() {
        let e = decode(Table::Tcp, &[0u8; 40]).unwrap_err();
        assert_eq!((e.what, e.expected, e.actual), ("inet_diag_msg", 72, 40));
    }

    /// An `inet_diag_msg` header, field by field (`<linux/inet_diag.h>`).
    fn header(family: u8, state: u8, timer: u8, retrans: u8) -> Vec<u8> {
        let mut m = vec![family, state, timer, retrans];
        m.extend_from_slice(&0x1234u16.to_be_bytes()); // idiag_sport
        m.extend_from_slice(&0xabcdu16.to_be_bytes()); // idiag_dport
        m.extend((1..=16).collect::<Vec<u8>>()); // idiag_src
        m.extend((101..=116).collect::<Vec<u8>>()); // idiag_dst
        m.extend_from_slice(&7u32.to_ne_bytes()); // idiag_if
        m.extend_from_slice(&0x1122_3344u32.to_ne_bytes()); // idiag_cookie[0]
        m.extend_from_slice(&0x5566_7788u32.to_ne_bytes()); // idiag_cookie[1]
        m.extend_from_slice(&1500u32.to_ne_bytes()); // idiag_expires
        m.extend_from_slice(&10u32.to_ne_bytes()); // idiag_rqueue
        m.extend_from_slice(&20u32.to_ne_bytes()); // idiag_wqueue
        m.extend_from_slice(&1000u32.to_ne_bytes()); // idiag_uid
        m.extend_from_slice(&424_242u32.to_ne_bytes()); // idiag_inode
        assert_eq!(m.len(), INET_DIAG_MSG_LEN);
        m
    }

    fn u32s(v: &[u32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_ne_bytes()).collect()
    }

    /// Every attribute the decoder models, each exactly as long as its
    /// struct (the guards' boundary), with values that differ field by field.
    #[test]
    fn every_attribute_decodes_to_its_value() {
        let mut m = header(AF_INET6, 1, 1, 2);
        push_attr(&mut m, INET_DIAG_MEMINFO, &u32s(&[1, 2, 3, 4]));
        let mut ti = [0u8; 104];
        ti[68..72].copy_from_slice(&1234u32.to_ne_bytes()); // tcpi_rtt
        push_attr(&mut m, INET_DIAG_INFO, &ti);
        push_attr(&mut m, INET_DIAG_VEGASINFO, &u32s(&[5, 6, 7, 8]));
        push_attr(&mut m, INET_DIAG_CONG, b"cubic\0");
        push_attr(&mut m, INET_DIAG_TOS, &[0x10]);
        push_attr(&mut m, INET_DIAG_TCLASS, &[0x20]);
        push_attr(
            &mut m,
            INET_DIAG_SKMEMINFO,
            &u32s(&[11, 12, 13, 14, 15, 16, 17, 18, 19]),
        );
        push_attr(&mut m, INET_DIAG_SHUTDOWN, &[2]);
        let mut dctcp = Vec::new();
        dctcp.extend_from_slice(&1u16.to_ne_bytes());
        dctcp.extend_from_slice(&2u16.to_ne_bytes());
        dctcp.extend(u32s(&[3, 4, 5]));
        push_attr(&mut m, INET_DIAG_DCTCPINFO, &dctcp);
        push_attr(&mut m, INET_DIAG_SKV6ONLY, &[1]);
        push_attr(&mut m, INET_DIAG_MARK, &42u32.to_ne_bytes());
        // bw_lo 9, bw_hi 1: bw = 1 << 32 | 9
        push_attr(&mut m, INET_DIAG_BBRINFO, &u32s(&[9, 1, 8, 256, 512]));
        push_attr(&mut m, INET_DIAG_CLASS_ID, &77u32.to_ne_bytes());
        let mut ulp = Vec::new();
        push_attr(&mut ulp, INET_ULP_INFO_NAME, b"tls\0");
        let mut t = Vec::new();
        push_attr(&mut t, TLS_INFO_VERSION, &0x0304u16.to_ne_bytes());
        push_attr(&mut t, TLS_INFO_CIPHER, &52u16.to_ne_bytes());
        push_attr(&mut t, TLS_INFO_TXCONF, &3u16.to_ne_bytes());
        push_attr(&mut t, TLS_INFO_RXCONF, &4u16.to_ne_bytes());
        push_attr(&mut t, TLS_INFO_ZC_RO_TX, &[]);
        push_attr(&mut t, TLS_INFO_RX_NO_PAD, &[]);
        push_attr(&mut t, TLS_INFO_TX_MAX_PAYLOAD_LEN, &16384u16.to_ne_bytes());
        push_attr(&mut ulp, INET_ULP_INFO_TLS, &t);
        let mut sf = Vec::new();
        push_attr(&mut sf, MPTCP_SUBFLOW_ATTR_TOKEN_REM, &101u32.to_ne_bytes());
        push_attr(&mut sf, MPTCP_SUBFLOW_ATTR_TOKEN_LOC, &102u32.to_ne_bytes());
        push_attr(
            &mut sf,
            MPTCP_SUBFLOW_ATTR_RELWRITE_SEQ,
            &103u32.to_ne_bytes(),
        );
        push_attr(
            &mut sf,
            MPTCP_SUBFLOW_ATTR_MAP_SEQ,
            &(1u64 << 40 | 104).to_ne_bytes(),
        );
        push_attr(&mut sf, MPTCP_SUBFLOW_ATTR_MAP_SFSEQ, &105u32.to_ne_bytes());
        push_attr(
            &mut sf,
            MPTCP_SUBFLOW_ATTR_SSN_OFFSET,
            &106u32.to_ne_bytes(),
        );
        push_attr(
            &mut sf,
            MPTCP_SUBFLOW_ATTR_MAP_DATALEN,
            &107u16.to_ne_bytes(),
        );
        push_attr(&mut sf, MPTCP_SUBFLOW_ATTR_FLAGS, &108u32.to_ne_bytes());
        push_attr(&mut sf, MPTCP_SUBFLOW_ATTR_ID_REM, &[109]);
        push_attr(&mut sf, MPTCP_SUBFLOW_ATTR_ID_LOC, &[110]);
        push_attr(&mut ulp, INET_ULP_INFO_MPTCP, &sf);
        push_attr(&mut m, INET_DIAG_ULP_INFO, &ulp);
        push_attr(&mut m, INET_DIAG_CGROUP_ID, &(1u64 << 36 | 5).to_ne_bytes());
        push_attr(&mut m, INET_DIAG_SOCKOPT, &0b101u16.to_ne_bytes());

        let s = decode(Table::Tcp, &m).unwrap();
        assert_eq!(
            (s.netid, s.family, s.state),
            (Table::Tcp, Family::Inet6, State::Established)
        );
        assert_eq!(s.timer, Some(Timer::new(TimerKind::On, 1500, 2)));
        let a = |r: std::ops::RangeInclusive<u8>| {
            IpAddr::V6(Ipv6Addr::from(
                <[u8; 16]>::try_from(r.collect::<Vec<u8>>()).unwrap(),
            ))
        };
        assert_eq!(
            s.local,
            Endpoint::Inet {
                addr: a(1..=16),
                port: 0x1234
            }
        );
        assert_eq!(
            s.peer,
            Endpoint::Inet {
                addr: a(101..=116),
                port: 0xabcd
            }
        );
        assert_eq!(s.interface, 7);
        assert_eq!(s.cookie, Some(0x5566_7788_1122_3344));
        assert_eq!(
            (s.recv_q, s.send_q, s.uid, s.inode),
            (10, 20, Some(1000), 424_242)
        );
        assert_eq!(
            s.meminfo,
            Some(MemInfo {
                rmem: 1,
                wmem: 2,
                fmem: 3,
                tmem: 4
            })
        );
        assert_eq!(
            s.tcp_info.map(|t| (t.len(), t.rtt())),
            Some((104, Some(1234)))
        );
        assert_eq!(s.congestion, Some(ShortName::new(b"cubic")));
        assert_eq!(
            s.skmem,
            Some(SkMemInfo::from_bytes(&u32s(&[
                11, 12, 13, 14, 15, 16, 17, 18, 19
            ])))
        );
        assert_eq!(s.skmem.unwrap().drops, 19);
        assert_eq!(
            s.shutdown,
            Some(Shutdown {
                recv: false,
                send: true
            })
        );
        assert_eq!(s.v6only, Some(true));
        assert_eq!(s.mark, Some(42));
        assert_eq!(s.cgroup_id, Some(1 << 36 | 5));
        assert_eq!(s.sockopt, Some(SockOpt::RECVERR | SockOpt::FREEBIND));
        let d = s.detail().unwrap();
        assert_eq!(
            (d.tos, d.tclass, d.class_id),
            (Some(0x10), Some(0x20), Some(77))
        );
        assert_eq!(
            d.vegas,
            Some(VegasInfo {
                enabled: 5,
                rttcnt: 6,
                rtt: 7,
                minrtt: 8
            })
        );
        assert_eq!(
            d.dctcp,
            Some(DctcpInfo {
                enabled: 1,
                ce_state: 2,
                alpha: 3,
                ab_ecn: 4,
                ab_tot: 5
            })
        );
        assert_eq!(
            d.bbr,
            Some(BbrInfo {
                bw: 1 << 32 | 9,
                min_rtt: 8,
                pacing_gain: 256,
                cwnd_gain: 512
            })
        );
        assert_eq!(d.ulp, Some(ShortName::new(b"tls")));
        assert_eq!(
            d.tls,
            Some(TlsInfo {
                version: Some(0x0304),
                cipher: Some(52),
                txconf: Some(3),
                rxconf: Some(4),
                zc_ro_tx: true,
                rx_no_pad: true,
                tx_max_payload_len: Some(16384),
            })
        );
        assert_eq!(
            d.mptcp_subflow,
            Some(MptcpSubflowInfo {
                token_rem: Some(101),
                token_loc: Some(102),
                relwrite_seq: Some(103),
                map_seq: Some(1 << 40 | 104),
                map_sfseq: Some(105),
                ssn_offset: Some(106),
                map_datalen: Some(107),
                flags: Some(108),
                id_rem: Some(109),
                id_loc: Some(110),
            })
        );
        assert_eq!(d.mptcp_info, None);
    }

    /// Each fixed-size attribute one byte shorter than its struct is passed
    /// over, as a missing one; so are nested ones too short for their type.
    #[test]
    fn attributes_shorter_than_their_struct_are_passed_over() {
        let mut m = header(AF_INET, 10, 0, 0);
        push_attr(&mut m, INET_DIAG_MEMINFO, &[1; 15]);
        push_attr(&mut m, INET_DIAG_VEGASINFO, &[1; 15]);
        push_attr(&mut m, INET_DIAG_TOS, &[]);
        push_attr(&mut m, INET_DIAG_TCLASS, &[]);
        push_attr(&mut m, INET_DIAG_SHUTDOWN, &[]);
        push_attr(&mut m, INET_DIAG_DCTCPINFO, &[1; 15]);
        push_attr(&mut m, INET_DIAG_SKV6ONLY, &[]);
        push_attr(&mut m, INET_DIAG_MARK, &[1; 3]);
        push_attr(&mut m, INET_DIAG_BBRINFO, &[1; 19]);
        push_attr(&mut m, INET_DIAG_CLASS_ID, &[1; 3]);
        push_attr(&mut m, INET_DIAG_CGROUP_ID, &[1; 7]);
        push_attr(&mut m, INET_DIAG_SOCKOPT, &[1]);
        let s = decode(Table::Tcp, &m).unwrap();
        assert_eq!(
            (s.family, s.state, s.timer),
            (Family::Inet, State::Listen, None)
        );
        // IPv4: the first four bytes of each address field.
        assert_eq!(
            (s.local.clone(), s.peer.clone()),
            (
                Endpoint::Inet {
                    addr: IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4)),
                    port: 0x1234
                },
                Endpoint::Inet {
                    addr: IpAddr::V4(Ipv4Addr::new(101, 102, 103, 104)),
                    port: 0xabcd
                },
            )
        );
        assert_eq!(
            (s.meminfo, s.shutdown, s.v6only, s.mark),
            (None, None, None, None)
        );
        assert_eq!((s.cgroup_id, s.sockopt), (None, None));
        assert!(s.detail().is_none(), "{:?}", s.detail());

        let mut m = header(AF_INET, 1, 0, 0);
        let mut t = Vec::new();
        for ty in [
            TLS_INFO_VERSION,
            TLS_INFO_CIPHER,
            TLS_INFO_TXCONF,
            TLS_INFO_RXCONF,
            TLS_INFO_TX_MAX_PAYLOAD_LEN,
        ] {
            push_attr(&mut t, ty, &[1]);
        }
        let mut sf = Vec::new();
        for ty in [
            MPTCP_SUBFLOW_ATTR_TOKEN_REM,
            MPTCP_SUBFLOW_ATTR_TOKEN_LOC,
            MPTCP_SUBFLOW_ATTR_RELWRITE_SEQ,
            MPTCP_SUBFLOW_ATTR_MAP_SFSEQ,
            MPTCP_SUBFLOW_ATTR_SSN_OFFSET,
            MPTCP_SUBFLOW_ATTR_FLAGS,
        ] {
            push_attr(&mut sf, ty, &[1; 3]);
        }
        push_attr(&mut sf, MPTCP_SUBFLOW_ATTR_MAP_SEQ, &[1; 7]);
        // A u32 data length (4 bytes) is read as well as the kernel's u16.
        push_attr(
            &mut sf,
            MPTCP_SUBFLOW_ATTR_MAP_DATALEN,
            &70_000u32.to_ne_bytes(),
        );
        push_attr(&mut sf, MPTCP_SUBFLOW_ATTR_ID_REM, &[]);
        let mut ulp = Vec::new();
        push_attr(&mut ulp, INET_ULP_INFO_TLS, &t);
        push_attr(&mut ulp, INET_ULP_INFO_MPTCP, &sf);
        push_attr(&mut m, INET_DIAG_ULP_INFO, &ulp);
        let s = decode(Table::Tcp, &m).unwrap();
        let d = s.detail().unwrap();
        assert_eq!(d.tls, Some(TlsInfo::default()));
        assert_eq!(
            d.mptcp_subflow,
            Some(MptcpSubflowInfo {
                map_datalen: Some(70_000),
                ..Default::default()
            })
        );
        assert_eq!(d.ulp, None);
        // A one-byte data length is too short for either.
        let mut sf = Vec::new();
        push_attr(&mut sf, MPTCP_SUBFLOW_ATTR_MAP_DATALEN, &[1]);
        let mut ulp = Vec::new();
        push_attr(&mut ulp, INET_ULP_INFO_MPTCP, &sf);
        let mut m = header(AF_INET, 1, 0, 0);
        push_attr(&mut m, INET_DIAG_ULP_INFO, &ulp);
        let s = decode(Table::Tcp, &m).unwrap();
        assert_eq!(
            s.detail().unwrap().mptcp_subflow,
            Some(MptcpSubflowInfo::default())
        );
    }

    /// The header's cookie both ways: `INET_DIAG_NOCOOKIE` in both halves is
    /// none; one half all ones is still a cookie.
    #[test]
    fn cookie_halves() {
        let mut m = header(AF_INET, 1, 0, 0);
        m[44..52].copy_from_slice(&[0xff; 8]);
        assert_eq!(decode(Table::Udp, &m).unwrap().cookie, None);
        m[44..48].copy_from_slice(&0u32.to_ne_bytes());
        assert_eq!(
            decode(Table::Udp, &m).unwrap().cookie,
            Some(0xffff_ffff_0000_0000)
        );
        m[44..52].copy_from_slice(&[0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0]);
        assert_eq!(decode(Table::Udp, &m).unwrap().cookie, Some(0x1_ffff_ffff));
    }

    fn with_protocol(attrs: &[&[u8]]) -> Vec<u8> {
        let mut m = header(AF_INET, 1, 0, 0);
        push_attr(&mut m, INET_DIAG_MARK, &[0, 0, 0, 0]);
        for p in attrs {
            push_attr(&mut m, INET_DIAG_PROTOCOL, p);
        }
        m
    }

    #[test]
    fn table_of_reads_the_protocol_attribute() {
        assert_eq!(table_of(&with_protocol(&[&[6]])), Some(Table::Tcp));
        assert_eq!(table_of(&with_protocol(&[&[17]])), Some(Table::Udp));
        assert_eq!(table_of(&with_protocol(&[&[255]])), Some(Table::Raw));
        assert_eq!(
            table_of(&with_protocol(&[&262u32.to_ne_bytes()])),
            Some(Table::Mptcp)
        );
        assert_eq!(
            table_of(&with_protocol(&[&17u32.to_ne_bytes()])),
            Some(Table::Udp)
        );
        // Three bytes: a u8 (the first), not a u32.
        assert_eq!(table_of(&with_protocol(&[&[6, 1, 0]])), Some(Table::Tcp));
        assert_eq!(table_of(&with_protocol(&[&[1]])), None);
        assert_eq!(table_of(&with_protocol(&[])), None);
        // An empty attribute is passed over; the next one counts.
        assert_eq!(table_of(&with_protocol(&[&[], &[17]])), Some(Table::Udp));
        // The first one counts.
        assert_eq!(table_of(&with_protocol(&[&[6], &[17]])), Some(Table::Tcp));
        assert_eq!(table_of(&header(AF_INET, 1, 0, 0)[..71]), None);
    }

    #[test]
    fn exact_request_names_one_socket() {
        let mut b = vec![0xee; 3]; // what the caller wrote before
        encode_exact(
            &mut b,
            Table::Udp,
            Family::Inet,
            ("10.1.2.3".parse().unwrap(), 0x1234),
            ("10.4.5.6".parse().unwrap(), 0xabcd),
            9,
            Some(0x5566_7788_1122_3344),
        );
        let b = &b[3..];
        assert_eq!(b.len(), INET_DIAG_REQ_V2_LEN);
        assert_eq!(
            &b[..8],
            &[AF_INET, IPPROTO_UDP, 0, 0, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(&b[8..12], &[0x12, 0x34, 0xab, 0xcd]);
        assert_eq!(
            &b[12..28],
            &[10, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            &b[28..44],
            &[10, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(u32_ne(b, 44), 9);
        assert_eq!((u32_ne(b, 48), u32_ne(b, 52)), (0x1122_3344, 0x5566_7788));

        let mut m = Vec::new();
        let (l6, r6): (Ipv6Addr, Ipv6Addr) =
            ("fe80::1".parse().unwrap(), "2001:db8::2".parse().unwrap());
        encode_exact(
            &mut m,
            Table::Mptcp,
            Family::Inet6,
            (l6.into(), 1),
            (r6.into(), 2),
            0,
            None,
        );
        assert_eq!(m.len(), INET_DIAG_REQ_V2_LEN + 8);
        assert_eq!(&m[..2], &[AF_INET6, 262u32 as u8]);
        assert_eq!(
            (&m[12..28], &m[28..44]),
            (&l6.octets()[..], &r6.octets()[..])
        );
        assert_eq!(&m[48..56], &[0xff; 8]);
        assert_eq!(
            (u16_ne(&m, 58), u32_ne(&m, 60)),
            (INET_DIAG_REQ_PROTOCOL, 262)
        );
    }

    #[test]
    fn compat_request_after_other_bytes() {
        let mut b = vec![0xee; 16]; // an nlmsghdr's room
        encode_compat_request(&mut b, 1 << 1, Extensions::MEMINFO, Some(&[9; 8]));
        assert_eq!(b.len(), 16 + INET_DIAG_REQ_LEN + 12);
        assert_eq!(&b[16..20], &[0, 0, 0, 1]);
        assert_eq!(u32_ne(&b, 16 + 52), 1 << 1);
        assert_eq!(
            (u16_ne(&b, 16 + 62), &b[16 + 64..]),
            (INET_DIAG_REQ_BYTECODE, &[9; 8][..])
        );
    }

    /// Each table's protocol byte; RAW's 255 still fits the request's byte,
    /// so only MPTCP's 262 goes in an `INET_DIAG_REQ_PROTOCOL` attribute.
    #[test]
    fn every_table_asks_for_its_protocol() {
        for (table, proto) in [
            (Table::Tcp, IPPROTO_TCP),
            (Table::Udp, IPPROTO_UDP),
            (Table::Raw, IPPROTO_RAW),
        ] {
            assert_eq!(protocol(table), u32::from(proto));
            let mut b = Vec::new();
            encode_request(&mut b, table, Family::Inet, 1, Extensions::empty(), None);
            assert_eq!((b.len(), b[1]), (INET_DIAG_REQ_V2_LEN, proto), "{table:?}");
            let mut b = Vec::new();
            let any = (IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);
            encode_exact(&mut b, table, Family::Inet, any, any, 0, None);
            assert_eq!((b.len(), b[1]), (INET_DIAG_REQ_V2_LEN, proto), "{table:?}");
        }
        assert_eq!(protocol(Table::Mptcp), IPPROTO_MPTCP);
        assert_eq!(protocol(Table::UnixStream), 0);
    }
}
