//! `unix_diag`: unix stream, datagram and seqpacket sockets (`<linux/unix_diag.h>`).
#![deny(unsafe_code)]

use crate::consts::*;
use crate::model::*;
use crate::wire::DecodeError;
use crate::wire::{Attrs, need, u32_ne};

/// Every `UDIAG_SHOW_*` bit this library decodes.
pub(crate) const SHOW_ALL: u32 = UDIAG_SHOW_NAME
    | UDIAG_SHOW_VFS
    | UDIAG_SHOW_PEER
    | UDIAG_SHOW_ICONS
    | UDIAG_SHOW_RQLEN
    | UDIAG_SHOW_MEMINFO
    | UDIAG_SHOW_UID;

/// Appends a `unix_diag_req` body.
pub(crate) fn encode_request(out: &mut Vec<u8>, states: u32, show: u32) {
    out.push(AF_UNIX);
    out.push(0);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&states.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes()); // udiag_ino: all
    out.extend_from_slice(&show.to_ne_bytes());
    out.extend_from_slice(&INET_DIAG_NOCOOKIE.to_ne_bytes());
    out.extend_from_slice(&INET_DIAG_NOCOOKIE.to_ne_bytes());
}

/// The table of a unix socket type; `None` for types `ss` does not list.
pub(crate) fn table(sock_type: u8) -> Option<Table> {
    match sock_type {
        SOCK_STREAM => Some(Table::UnixStream),
        SOCK_DGRAM => Some(Table::UnixDgram),
        SOCK_SEQPACKET => Some(Table::UnixSeqpacket),
        _ => None,
    }
}

/// Decodes one `unix_diag_msg` with its attributes.
pub(crate) fn decode(msg: &[u8]) -> Result<Option<Socket>, DecodeError> {
    need("unix_diag_msg", msg, 0, UNIX_DIAG_MSG_LEN)?;
    let Some(table) = table(msg[1]) else {
        return Ok(None);
    };
    let mut s = Socket::new(table, Family::Unix, State::from_kernel(msg[2]));
    let inode = u32_ne(msg, 4) as u64;
    s.inode = inode;
    s.cookie = Some(u32_ne(msg, 8) as u64 | (u32_ne(msg, 12) as u64) << 32);
    let mut name = UnixName::UNNAMED;
    let mut peer = 0;
    let mut info = UnixInfo::default();
    for attr in Attrs::new(&msg[UNIX_DIAG_MSG_LEN..], UNIX_DIAG_MSG_LEN) {
        let (ty, p) = attr?;
        match ty {
            UNIX_DIAG_NAME => name = UnixName::from_sun_path(p),
            UNIX_DIAG_VFS if p.len() >= 8 => {
                info.vfs = Some(UnixVfs {
                    ino: u64::from(u32_ne(p, 0)),
                    dev: u32_ne(p, 4),
                })
            }
            UNIX_DIAG_PEER if p.len() >= 4 => peer = u32_ne(p, 0),
            UNIX_DIAG_ICONS => {
                info.icons = Some(p.chunks_exact(4).map(|c| u64::from(u32_ne(c, 0))).collect())
            }
            UNIX_DIAG_RQLEN if p.len() >= 8 => {
                s.recv_q = u32_ne(p, 0);
                s.send_q = u32_ne(p, 4);
            }
            UNIX_DIAG_MEMINFO => s.skmem = Some(SkMemInfo::from_bytes(p)),
            UNIX_DIAG_SHUTDOWN if !p.is_empty() => s.shutdown = Some(Shutdown::from_bits(p[0])),
            UNIX_DIAG_UID if p.len() >= 4 => s.uid = Some(u32_ne(p, 0)),
            _ => {}
        }
    }
    s.local = Endpoint::Unix { name, inode };
    s.peer = Endpoint::Unix {
        name: UnixName::UNNAMED,
        inode: peer as u64,
    };
    if info != UnixInfo::default() {
        s.detail_or_insert().unix = Some(info);
    }
    Ok(Some(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::push_attr;

    /// A `unix_diag_msg` header (`<linux/unix_diag.h>`).
    fn header(ty: u8, state: u8) -> Vec<u8> {
        let mut m = vec![AF_UNIX, ty, state, 0];
        m.extend_from_slice(&4242u32.to_ne_bytes()); // udiag_ino
        m.extend_from_slice(&0x1122_3344u32.to_ne_bytes()); // udiag_cookie[0]
        m.extend_from_slice(&0x0055_6677u32.to_ne_bytes()); // udiag_cookie[1]
        assert_eq!(m.len(), UNIX_DIAG_MSG_LEN);
        m
    }

    #[test]
    fn request_layout() {
        assert_eq!(SHOW_ALL, 0x7f);
        let mut b = vec![0xee; 16];
        encode_request(&mut b, 1 << 10, SHOW_ALL);
        let b = &b[16..];
        assert_eq!(b.len(), UNIX_DIAG_REQ_LEN);
        assert_eq!(&b[..4], &[AF_UNIX, 0, 0, 0]);
        assert_eq!(
            (u32_ne(b, 4), u32_ne(b, 8), u32_ne(b, 12)),
            (1 << 10, 0, 0x7f)
        );
        assert_eq!(&b[16..24], &[0xff; 8]);
    }

    #[test]
    fn types_and_tables() {
        assert_eq!(table(SOCK_STREAM), Some(Table::UnixStream));
        assert_eq!(table(SOCK_DGRAM), Some(Table::UnixDgram));
        assert_eq!(table(SOCK_SEQPACKET), Some(Table::UnixSeqpacket));
        assert_eq!(table(3), None); // SOCK_RAW: not a unix type ss lists
        assert_eq!(decode(&header(3, 7)), Ok(None));
        let e = decode(&header(SOCK_STREAM, 1)[..15]).unwrap_err();
        assert_eq!((e.what, e.expected, e.actual), ("unix_diag_msg", 16, 15));
    }

    /// Every attribute at the length of its struct, with values that
    /// differ field by field.
    #[test]
    fn every_attribute_decodes_to_its_value() {
        let mut m = header(SOCK_SEQPACKET, 1);
        push_attr(&mut m, UNIX_DIAG_NAME, b"\0abstract");
        let mut vfs = 77u32.to_ne_bytes().to_vec();
        vfs.extend_from_slice(&0x0810_0003u32.to_ne_bytes());
        push_attr(&mut m, UNIX_DIAG_VFS, &vfs);
        push_attr(&mut m, UNIX_DIAG_PEER, &5151u32.to_ne_bytes());
        // Icons: whole u32s only; the 3 trailing bytes are no inode.
        let mut icons: Vec<u8> = [6001u32, 6002]
            .iter()
            .flat_map(|i| i.to_ne_bytes())
            .collect();
        icons.extend_from_slice(&[9, 9, 9]);
        push_attr(&mut m, UNIX_DIAG_ICONS, &icons);
        let mut rq = 3u32.to_ne_bytes().to_vec();
        rq.extend_from_slice(&8u32.to_ne_bytes());
        push_attr(&mut m, UNIX_DIAG_RQLEN, &rq);
        let mem: Vec<u8> = (1..=9u32).flat_map(|i| i.to_ne_bytes()).collect();
        push_attr(&mut m, UNIX_DIAG_MEMINFO, &mem);
        push_attr(&mut m, UNIX_DIAG_SHUTDOWN, &[1]);
        push_attr(&mut m, UNIX_DIAG_UID, &1000u32.to_ne_bytes());
        let s = decode(&m).unwrap().unwrap();
        assert_eq!(
            (s.netid, s.family, s.state),
            (Table::UnixSeqpacket, Family::Unix, State::Established)
        );
        assert_eq!((s.inode, s.cookie), (4242, Some(0x0055_6677_1122_3344)));
        assert_eq!(
            s.local,
            Endpoint::Unix {
                name: UnixName::new_abstract(b"abstract"),
                inode: 4242
            }
        );
        assert_eq!(
            s.peer,
            Endpoint::Unix {
                name: UnixName::UNNAMED,
                inode: 5151
            }
        );
        assert_eq!((s.recv_q, s.send_q, s.uid), (3, 8, Some(1000)));
        assert_eq!(s.skmem, Some(SkMemInfo::from_bytes(&mem)));
        assert_eq!(s.skmem.unwrap().drops, 9);
        assert_eq!(
            s.shutdown,
            Some(Shutdown {
                recv: true,
                send: false
            })
        );
        assert_eq!(
            s.detail().unwrap().unix,
            Some(UnixInfo {
                vfs: Some(UnixVfs {
                    ino: 77,
                    dev: 0x0810_0003
                }),
                icons: Some(vec![6001, 6002]),
            })
        );
    }

    /// Attributes one byte short of their struct are passed over, as
    /// missing ones; with none left the socket has no unix detail.
    #[test]
    fn attributes_shorter_than_their_struct_are_passed_over() {
        let mut m = header(SOCK_STREAM, 10);
        push_attr(&mut m, UNIX_DIAG_VFS, &[1; 7]);
        // A short peer after a whole one: the whole one stays.
        push_attr(&mut m, UNIX_DIAG_PEER, &5151u32.to_ne_bytes());
        push_attr(&mut m, UNIX_DIAG_PEER, &[1; 3]);
        push_attr(&mut m, UNIX_DIAG_RQLEN, &[1; 7]);
        push_attr(&mut m, UNIX_DIAG_SHUTDOWN, &[]);
        push_attr(&mut m, UNIX_DIAG_UID, &[1; 3]);
        let s = decode(&m).unwrap().unwrap();
        assert_eq!((s.netid, s.state), (Table::UnixStream, State::Listen));
        assert_eq!(
            s.peer,
            Endpoint::Unix {
                name: UnixName::UNNAMED,
                inode: 5151
            }
        );
        assert_eq!((s.recv_q, s.send_q, s.uid, s.shutdown), (0, 0, None, None));
        assert!(s.detail().is_none(), "{:?}", s.detail());
        // Icons alone (an empty list) are detail.
        let mut m = header(SOCK_DGRAM, 7);
        push_attr(&mut m, UNIX_DIAG_ICONS, &[]);
        let s = decode(&m).unwrap().unwrap();
        assert_eq!(
            s.detail().unwrap().unix,
            Some(UnixInfo {
                vfs: None,
                icons: Some(vec![])
            })
        );
    }
}
