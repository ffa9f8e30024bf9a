//! `netlink_diag`: `AF_NETLINK` sockets (`<linux/netlink_diag.h>`).
#![deny(unsafe_code)]

use crate::consts::*;
use crate::model::*;
use crate::wire::DecodeError;
use crate::wire::{Attrs, need, u32_ne};

/// Appends a `netlink_diag_req` body asking for every protocol.
pub(crate) fn encode_request(out: &mut Vec<u8>) {
    out.push(AF_NETLINK);
    out.push(NDIAG_PROTO_ALL);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&0u32.to_ne_bytes()); // ndiag_ino: all
    out.extend_from_slice(
        &(NDIAG_SHOW_MEMINFO | NDIAG_SHOW_GROUPS | NDIAG_SHOW_FLAGS).to_ne_bytes(),
    );
    out.extend_from_slice(&INET_DIAG_NOCOOKIE.to_ne_bytes());
    out.extend_from_slice(&INET_DIAG_NOCOOKIE.to_ne_bytes());
}

/// Decodes one `netlink_diag_msg`. Netlink sockets are reported as `Close`
/// (`ss`: UNCONN) like every datagram socket; Recv-Q and Send-Q are the
/// receive and send memory in use, as `ss` shows them.
pub(crate) fn decode(msg: &[u8]) -> Result<Socket, DecodeError> {
    need("netlink_diag_msg", msg, 0, NETLINK_DIAG_MSG_LEN)?;
    let protocol = msg[2];
    let mut s = Socket::new(Table::Netlink, Family::Netlink, State::Close);
    s.inode = u32_ne(msg, 16) as u64;
    s.cookie = Some(u32_ne(msg, 20) as u64 | (u32_ne(msg, 24) as u64) << 32);
    s.local = Endpoint::Netlink {
        protocol,
        portid: u32_ne(msg, 4),
        group: 0,
    };
    s.peer = Endpoint::Netlink {
        protocol,
        portid: u32_ne(msg, 8),
        group: u32_ne(msg, 12),
    };
    // ndiag_state: NETLINK_UNCONNECTED 0, NETLINK_CONNECTED 1.
    let mut info = NetlinkInfo {
        connected: msg[3] == 1,
        ..NetlinkInfo::default()
    };
    for attr in Attrs::new(&msg[NETLINK_DIAG_MSG_LEN..], NETLINK_DIAG_MSG_LEN) {
        let (ty, p) = attr?;
        match ty {
            NETLINK_DIAG_MEMINFO => {
                let m = SkMemInfo::from_bytes(p);
                s.recv_q = m.rmem_alloc;
                s.send_q = m.wmem_alloc;
                s.skmem = Some(m);
            }
            NETLINK_DIAG_GROUPS => {
                for (word, chunk) in p.chunks_exact(4).enumerate() {
                    let mut bits = u32_ne(chunk, 0);
                    while bits != 0 {
                        let b = bits.trailing_zeros();
                        info.groups.push(word as u32 * 32 + b + 1);
                        bits &= bits - 1;
                    }
                }
            }
            NETLINK_DIAG_FLAGS if p.len() >= 4 => info.flags = u32_ne(p, 0),
            _ => {}
        }
    }
    s.detail_or_insert().netlink = Some(info);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_asks_for_every_protocol_with_memory_groups_and_flags() {
        let mut out = Vec::new();
        encode_request(&mut out);
        assert_eq!(out.len(), NETLINK_DIAG_REQ_LEN);
        // sdiag_family, sdiag_protocol (NDIAG_PROTO_ALL), pad.
        assert_eq!(out[..4], [16, 255, 0, 0]);
        assert_eq!(u32_ne(&out, 4), 0, "ndiag_ino: every socket");
        // NDIAG_SHOW_MEMINFO 0x1 | NDIAG_SHOW_GROUPS 0x2 | NDIAG_SHOW_FLAGS 0x8.
        assert_eq!(u32_ne(&out, 8), 0x0b, "ndiag_show");
        assert_eq!(out[12..], [0xff; 8], "no cookie");
    }

    #[test]
    fn a_message_decodes_field_by_field() {
        // struct netlink_diag_msg: family, type, protocol, state, portid,
        // dst_portid, dst_group, ino, cookie[2].
        let mut m = vec![16u8, 3, 9, 1];
        for v in [1234u32, 0, 7, 5555, 0x1111_2222, 0x3333_4444] {
            m.extend_from_slice(&v.to_ne_bytes());
        }
        assert_eq!(m.len(), NETLINK_DIAG_MSG_LEN);
        let mut mem = Vec::new();
        for v in 1..=9u32 {
            mem.extend_from_slice(&(v * 100).to_ne_bytes());
        }
        crate::wire::push_attr(&mut m, NETLINK_DIAG_MEMINFO, &mem);
        // Groups 1 and 3 in the first word, group 33 (bit 0) and 64 (bit 31)
        // in the second.
        let mut groups = 0b101u32.to_ne_bytes().to_vec();
        groups.extend_from_slice(&(1u32 | 1 << 31).to_ne_bytes());
        crate::wire::push_attr(&mut m, NETLINK_DIAG_GROUPS, &groups);
        crate::wire::push_attr(&mut m, NETLINK_DIAG_FLAGS, &0x15u32.to_ne_bytes());

        let s = decode(&m).unwrap();
        assert_eq!(s.inode, 5555);
        assert_eq!(s.cookie, Some(0x3333_4444_1111_2222));
        assert_eq!(
            s.local,
            Endpoint::Netlink {
                protocol: 9,
                portid: 1234,
                group: 0
            }
        );
        assert_eq!(
            s.peer,
            Endpoint::Netlink {
                protocol: 9,
                portid: 0,
                group: 7
            }
        );
        assert_eq!((s.recv_q, s.send_q), (100, 300));
        let info = s.detail().and_then(|d| d.netlink.clone()).unwrap();
        assert!(info.connected);
        assert_eq!(info.groups, vec![1, 3, 33, 64]);
        assert_eq!(info.flags, 0x15);

        // One byte short of the struct: an error, not a socket.
        assert!(decode(&m[..NETLINK_DIAG_MSG_LEN - 1]).is_err());
        // NETLINK_UNCONNECTED.
        let mut u = m.clone();
        u[3] = 0;
        assert!(
            !decode(&u)
                .unwrap()
                .detail()
                .unwrap()
                .netlink
                .as_ref()
                .unwrap()
                .connected
        );
        // A FLAGS attribute shorter than its u32 is passed over: the flags
        // of the valid one before it stay.
        let mut short = m.clone();
        crate::wire::push_attr(&mut short, NETLINK_DIAG_FLAGS, &[0xff, 0xff]);
        let flags = decode(&short)
            .unwrap()
            .detail()
            .and_then(|d| d.netlink.as_ref().map(|n| n.flags));
        assert_eq!(flags, Some(0x15));
    }
}
