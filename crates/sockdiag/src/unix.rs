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
