//! `packet_diag`: `AF_PACKET` sockets (`<linux/packet_diag.h>`).
#![deny(unsafe_code)]

use crate::consts::*;
use crate::model::*;
use crate::wire::DecodeError;
use crate::wire::{Attrs, need, u16_ne, u32_ne};

/// The `PACKET_SHOW_*` bits this library decodes.
pub(crate) const SHOW_ALL: u32 =
    PACKET_SHOW_INFO | PACKET_SHOW_MEMINFO | PACKET_SHOW_FANOUT | PACKET_SHOW_FILTER;

/// Appends a `packet_diag_req` body.
pub(crate) fn encode_request(out: &mut Vec<u8>, show: u32) {
    out.push(AF_PACKET);
    out.push(0);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&0u32.to_ne_bytes()); // pdiag_ino: all
    out.extend_from_slice(&show.to_ne_bytes());
    out.extend_from_slice(&INET_DIAG_NOCOOKIE.to_ne_bytes());
    out.extend_from_slice(&INET_DIAG_NOCOOKIE.to_ne_bytes());
}

/// Decodes one `packet_diag_msg`. Packet sockets have no state; they are
/// reported as `Close` (`ss`: UNCONN). Recv-Q is the receive memory in use,
/// as `ss` shows it.
pub(crate) fn decode(msg: &[u8]) -> Result<Option<Socket>, DecodeError> {
    need("packet_diag_msg", msg, 0, PACKET_DIAG_MSG_LEN)?;
    let table = match msg[1] {
        SOCK_RAW => Table::PacketRaw,
        SOCK_DGRAM => Table::PacketDgram,
        _ => return Ok(None),
    };
    let mut s = Socket::new(table, Family::Packet, State::Close);
    let protocol = u16_ne(msg, 2); // packet_diag stores ntohs(po->num): host order
    s.inode = u32_ne(msg, 4) as u64;
    s.cookie = Some(u32_ne(msg, 8) as u64 | (u32_ne(msg, 12) as u64) << 32);
    let mut ifindex = 0;
    let mut info: Option<PacketInfo> = None;
    for attr in Attrs::new(&msg[PACKET_DIAG_MSG_LEN..], PACKET_DIAG_MSG_LEN) {
        let (ty, p) = attr?;
        match ty {
            PACKET_DIAG_INFO if p.len() >= PACKET_DIAG_INFO_LEN => {
                ifindex = u32_ne(p, 0);
                let i = info.get_or_insert_with(PacketInfo::default);
                i.version = u32_ne(p, 4);
                i.reserve = u32_ne(p, 8);
                i.copy_thresh = u32_ne(p, 12);
                i.tstamp = u32_ne(p, 16);
                i.flags = u32_ne(p, 20);
            }
            PACKET_DIAG_FANOUT if p.len() >= 4 => {
                info.get_or_insert_with(PacketInfo::default).fanout = Some(u32_ne(p, 0))
            }
            // struct sock_filter is 8 bytes per instruction.
            PACKET_DIAG_FILTER => {
                let i = info.get_or_insert_with(PacketInfo::default);
                i.filter_len = Some((p.len() / 8) as u32);
                i.filter = p
                    .chunks_exact(8)
                    .map(|c| SockFilter::from_bytes(c.try_into().unwrap_or([0; 8])))
                    .collect();
            }
            PACKET_DIAG_UID if p.len() >= 4 => s.uid = Some(u32_ne(p, 0)),
            PACKET_DIAG_MEMINFO => {
                let m = SkMemInfo::from_bytes(p);
                s.recv_q = m.rmem_alloc;
                s.send_q = m.wmem_alloc;
                s.skmem = Some(m);
            }
            _ => {}
        }
    }
    s.local = Endpoint::Packet { protocol, ifindex };
    s.peer = Endpoint::None;
    if let Some(info) = info {
        s.detail_or_insert().packet = Some(info);
    }
    Ok(Some(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_carries_the_show_bits() {
        // PACKET_SHOW_INFO 0x1 | FANOUT 0x8 | MEMINFO 0x10 | FILTER 0x20.
        assert_eq!(SHOW_ALL, 0x39);
        let mut out = Vec::new();
        encode_request(&mut out, SHOW_ALL);
        assert_eq!(out.len(), PACKET_DIAG_REQ_LEN);
        // sdiag_family, sdiag_protocol (all), pad.
        assert_eq!(out[..4], [17, 0, 0, 0]);
        assert_eq!(u32_ne(&out, 4), 0, "pdiag_ino: every socket");
        assert_eq!(u32_ne(&out, 8), 0x39, "pdiag_show");
        assert_eq!(out[12..], [0xff; 8], "no cookie");
    }

    #[test]
    fn a_message_decodes_field_by_field() {
        // struct packet_diag_msg: family, type, num (host order), ino, cookie[2].
        let mut m = vec![17u8, SOCK_DGRAM];
        m.extend_from_slice(&0x0806u16.to_ne_bytes());
        for v in [4321u32, 0x1111_2222, 0x3333_4444] {
            m.extend_from_slice(&v.to_ne_bytes());
        }
        assert_eq!(m.len(), PACKET_DIAG_MSG_LEN);
        let mut info = Vec::new();
        for v in [2u32, 3, 4, 5, 6, 7] {
            info.extend_from_slice(&v.to_ne_bytes());
        }
        crate::wire::push_attr(&mut m, PACKET_DIAG_INFO, &info);
        crate::wire::push_attr(&mut m, PACKET_DIAG_FANOUT, &0x0102u32.to_ne_bytes());
        crate::wire::push_attr(&mut m, PACKET_DIAG_UID, &1000u32.to_ne_bytes());
        let mut mem = Vec::new();
        for v in 1..=9u32 {
            mem.extend_from_slice(&(v * 10).to_ne_bytes());
        }
        crate::wire::push_attr(&mut m, PACKET_DIAG_MEMINFO, &mem);
        let mut filter = Vec::new();
        for (code, jt, jf, k) in [(0x28u16, 0u8, 0u8, 12u32), (0x6, 1, 2, 0xffff)] {
            filter.extend_from_slice(&code.to_ne_bytes());
            filter.extend_from_slice(&[jt, jf]);
            filter.extend_from_slice(&k.to_ne_bytes());
        }
        crate::wire::push_attr(&mut m, PACKET_DIAG_FILTER, &filter);

        let s = decode(&m).unwrap().expect("a packet socket");
        assert_eq!(s.netid, Table::PacketDgram);
        assert_eq!(s.inode, 4321);
        assert_eq!(s.cookie, Some(0x3333_4444_1111_2222));
        assert_eq!(
            s.local,
            Endpoint::Packet {
                protocol: 0x0806,
                ifindex: 2
            }
        );
        assert_eq!(s.uid, Some(1000));
        assert_eq!((s.recv_q, s.send_q), (10, 30));
        let p = s.detail().and_then(|d| d.packet.clone()).unwrap();
        assert_eq!(
            (p.version, p.reserve, p.copy_thresh, p.tstamp, p.flags),
            (3, 4, 5, 6, 7)
        );
        assert_eq!(p.fanout, Some(0x0102));
        assert_eq!(p.filter_len, Some(2));
        assert_eq!(
            p.filter,
            vec![
                SockFilter::new(0x28, 0, 0, 12),
                SockFilter::new(0x6, 1, 2, 0xffff)
            ]
        );

        // SOCK_RAW is the other table; any other type is no packet socket.
        let mut raw = m.clone();
        raw[1] = SOCK_RAW;
        assert_eq!(decode(&raw).unwrap().unwrap().netid, Table::PacketRaw);
        let mut other = m.clone();
        other[1] = SOCK_STREAM;
        assert_eq!(decode(&other).unwrap(), None);
        // One byte short of the struct: an error.
        assert!(decode(&m[..PACKET_DIAG_MSG_LEN - 1]).is_err());
    }

    #[test]
    fn attributes_shorter_than_their_struct_are_passed_over() {
        // A PACKET_DIAG_INFO that holds the ifindex but not the rest of
        // struct packet_diag_info, and FANOUT and UID of 2 bytes: none of
        // them is read, so the socket has no info, no fanout and no uid.
        let mut m = vec![17u8, SOCK_DGRAM];
        m.extend_from_slice(&0x0806u16.to_ne_bytes());
        for v in [4321u32, 1, 0] {
            m.extend_from_slice(&v.to_ne_bytes());
        }
        let mut info = Vec::new();
        for v in [2u32, 3] {
            info.extend_from_slice(&v.to_ne_bytes());
        }
        assert!(info.len() < PACKET_DIAG_INFO_LEN);
        crate::wire::push_attr(&mut m, PACKET_DIAG_INFO, &info);
        crate::wire::push_attr(&mut m, PACKET_DIAG_FANOUT, &[1, 2]);
        crate::wire::push_attr(&mut m, PACKET_DIAG_UID, &[3, 4]);
        let s = decode(&m).unwrap().expect("a packet socket");
        assert_eq!(
            s.local,
            Endpoint::Packet {
                protocol: 0x0806,
                ifindex: 0
            }
        );
        assert_eq!(s.uid, None);
        assert_eq!(s.detail().and_then(|d| d.packet.clone()), None);
    }
}
