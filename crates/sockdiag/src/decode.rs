//! The sans-I/O decoder: one received `sock_diag` datagram in, its
//! messages out, for every table. No syscalls, no allocation beyond what
//! a socket's rare detail needs, no panic on any bytes.
//!
//! ```
//! use sockdiag::Table;
//! use sockdiag::decode::{Message, decode_datagram};
//!
//! // NLMSG_DONE carrying 0: the end of a dump that found nothing.
//! let mut done = Vec::new();
//! done.extend_from_slice(&20u32.to_ne_bytes()); // nlmsg_len
//! done.extend_from_slice(&3u16.to_ne_bytes()); // NLMSG_DONE
//! done.extend_from_slice(&2u16.to_ne_bytes()); // NLM_F_MULTI
//! done.extend_from_slice(&[0; 8]); // seq, pid
//! done.extend_from_slice(&0i32.to_ne_bytes()); // the dump's result
//! let mut d = decode_datagram(Table::Tcp, &done);
//! assert!(matches!(d.next(), Some(Ok(Message::Done(Ok(()))))));
//! assert!(d.next().is_none());
//! assert!(!d.interrupted());
//! ```
#![deny(unsafe_code)]

use crate::consts::{NLM_F_DUMP_INTR, NLMSG_DONE, NLMSG_ERROR, SOCK_DIAG_BY_FAMILY};
use crate::inet::TCPDIAG_GETSOCK;
use crate::model::{Socket, Table};
use crate::wire::DecodeError;
use crate::wire::{NlMsg, NlMsgs};
use crate::{inet, netlink, packet, unix};

/// One message of a datagram, decoded.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
// Boxing the socket would allocate once per socket on the dump path.
#[allow(clippy::large_enum_variant)]
pub enum Message {
    /// A socket.
    Socket(Socket),
    /// The end of the dump (`NLMSG_DONE`, or `NLMSG_ERROR` ending it):
    /// `Ok(())`, or `Err(errno)` (positive) when the kernel refused or
    /// failed the request.
    Done(Result<(), i32>),
    /// A message this decoder has no use for (an acknowledgement, a socket
    /// type it does not model).
    Skipped,
}

/// The messages of one datagram (see [`decode_datagram`]).
///
/// Yields each message in order; a message that does not decode is an
/// error and decoding goes on with the next, but bytes that cannot be
/// framed (a truncated header, a length past the end) end the datagram with
/// one error. Nothing after the message that ends the dump is read.
#[derive(Debug)]
pub struct Datagram<'a> {
    table: Table,
    msgs: NlMsgs<'a>,
    interrupted: bool,
    ended: bool,
}

/// Decodes a datagram of replies to a dump of `table` (any table of the
/// same diag module decodes the same: unix and packet messages say their
/// own type).
pub fn decode_datagram(table: Table, datagram: &[u8]) -> Datagram<'_> {
    Datagram {
        table,
        msgs: NlMsgs::new(datagram),
        interrupted: false,
        ended: false,
    }
}

impl Datagram<'_> {
    /// True once a message read so far carried `NLM_F_DUMP_INTR`: the table
    /// changed during the dump, so a socket may be missing or repeated.
    pub fn interrupted(&self) -> bool {
        self.interrupted
    }
}

/// Decodes one `SOCK_DIAG_BY_FAMILY` payload with the decoder of `table`.
pub(crate) fn decode_payload(table: Table, payload: &[u8]) -> Result<Option<Socket>, DecodeError> {
    match table {
        Table::Tcp | Table::Udp | Table::Raw | Table::Mptcp => {
            inet::decode(table, payload).map(Some)
        }
        Table::UnixStream | Table::UnixDgram | Table::UnixSeqpacket => unix::decode(payload),
        Table::PacketRaw | Table::PacketDgram => packet::decode(payload),
        Table::Netlink => netlink::decode(payload).map(Some),
    }
}

impl Iterator for Datagram<'_> {
    type Item = Result<Message, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ended {
            return None;
        }
        let msg = match self.msgs.next()? {
            Ok(m) => m,
            Err(e) => {
                self.ended = true;
                return Some(Err(e));
            }
        };
        if msg.flags & NLM_F_DUMP_INTR != 0 {
            self.interrupted = true;
        }
        if matches!(msg.ty, NLMSG_DONE | NLMSG_ERROR) {
            self.ended = true;
        }
        Some(decode_message(self.table, &msg))
    }
}

/// Decodes one framed message of a reply to a dump of `table`: the step
/// [`Datagram`] takes per message, and the one [`Dump`](crate::Dump) takes
/// on every message its source yields (netlink, a recorded datagram, a
/// replay file), so every dump decodes as the public decoder does.
#[inline]
pub(crate) fn decode_message(table: Table, msg: &NlMsg<'_>) -> Result<Message, DecodeError> {
    match msg.ty {
        NLMSG_DONE | NLMSG_ERROR => match msg.payload.get(..4) {
            None => Err(DecodeError {
                what: if msg.ty == NLMSG_DONE {
                    "NLMSG_DONE code"
                } else {
                    "nlmsgerr"
                },
                offset: crate::consts::NLMSG_HDRLEN,
                expected: 4,
                actual: msg.payload.len(),
            }),
            Some(b) => {
                let code = i32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
                Ok(Message::Done(if code < 0 {
                    Err(code.checked_neg().unwrap_or(i32::MAX))
                } else {
                    Ok(())
                }))
            }
        },
        SOCK_DIAG_BY_FAMILY | TCPDIAG_GETSOCK => match decode_payload(table, msg.payload) {
            Ok(Some(s)) => Ok(Message::Socket(s)),
            Ok(None) => Ok(Message::Skipped),
            Err(e) => Err(e),
        },
        _ => Ok(Message::Skipped),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::NLM_F_MULTI;
    use crate::model::State;

    fn msg(ty: u16, flags: u16, payload: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&((16 + payload.len()) as u32).to_ne_bytes());
        m.extend_from_slice(&ty.to_ne_bytes());
        m.extend_from_slice(&flags.to_ne_bytes());
        m.extend_from_slice(&[0; 8]);
        m.extend_from_slice(payload);
        m.resize(m.len().next_multiple_of(4), 0);
        m
    }

    /// A captured TCP socket message (from the fixtures), as its payload.
    fn tcp_payload() -> Vec<u8> {
        let d = crate::fixture_tests::fixtures::TCP4[0];
        let m = NlMsgs::new(d).next().unwrap().unwrap();
        assert_eq!(m.ty, SOCK_DIAG_BY_FAMILY);
        m.payload.to_vec()
    }

    fn all(d: &[u8]) -> (Vec<Result<Message, DecodeError>>, bool) {
        let mut it = decode_datagram(Table::Tcp, d);
        let v: Vec<_> = it.by_ref().collect();
        (v, it.interrupted())
    }

    #[test]
    fn sockets_then_done() {
        let p = tcp_payload();
        let mut d = msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, &p);
        d.extend(msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, &p));
        d.extend(msg(NLMSG_DONE, NLM_F_MULTI, &0i32.to_ne_bytes()));
        let (v, intr) = all(&d);
        assert_eq!(v.len(), 3);
        assert!(
            matches!(&v[0], Ok(Message::Socket(s)) if s.state == State::Listen || s.state != State::Other(0))
        );
        assert!(matches!(v[2], Ok(Message::Done(Ok(())))));
        assert!(!intr);
    }

    #[test]
    fn error_mid_dump_ends_it() {
        let p = tcp_payload();
        let mut d = msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, &p);
        // NLMSG_ERROR: error code, then the request's header.
        let mut err = (-libc::EPERM).to_ne_bytes().to_vec();
        err.extend_from_slice(&[0; 16]);
        d.extend(msg(NLMSG_ERROR, 0, &err));
        // Anything after the end is not read.
        d.extend(msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, &p));
        let (v, _) = all(&d);
        assert_eq!(v.len(), 2);
        assert!(matches!(v[0], Ok(Message::Socket(_))));
        assert_eq!(v[1], Ok(Message::Done(Err(libc::EPERM))));
    }

    #[test]
    fn done_carrying_an_error() {
        let d = msg(NLMSG_DONE, NLM_F_MULTI, &(-libc::ENOENT).to_ne_bytes());
        assert_eq!(all(&d).0, vec![Ok(Message::Done(Err(libc::ENOENT)))]);
        // i32::MIN has no positive errno: still an error, no overflow.
        let d = msg(NLMSG_DONE, 0, &i32::MIN.to_ne_bytes());
        assert_eq!(all(&d).0, vec![Ok(Message::Done(Err(i32::MAX)))]);
        // A DONE too short to carry its code is malformed.
        let d = msg(NLMSG_DONE, 0, &[0, 0]);
        assert!(all(&d).0[0].is_err());
    }

    #[test]
    fn dump_intr_is_reported() {
        let p = tcp_payload();
        let mut d = msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, &p);
        d.extend(msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI | NLM_F_DUMP_INTR, &p));
        d.extend(msg(
            NLMSG_DONE,
            NLM_F_MULTI | NLM_F_DUMP_INTR,
            &0i32.to_ne_bytes(),
        ));
        let (v, intr) = all(&d);
        assert_eq!(v.len(), 3);
        assert!(intr);
        let plain = msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, &p);
        assert!(!all(&plain).1);
    }

    #[test]
    fn truncated_and_trailing_bytes() {
        let p = tcp_payload();
        let whole = msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, &p);
        // Cut inside the message: its length points past the end.
        let (v, _) = all(&whole[..whole.len() - 8]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].as_ref().unwrap_err().what, "nlmsg_len");
        // A socket, then fewer bytes than a header: the socket, then one error.
        let mut d = whole.clone();
        d.extend_from_slice(&[1, 2, 3, 4, 5]);
        let (v, _) = all(&d);
        assert_eq!(v.len(), 2);
        assert!(matches!(v[0], Ok(Message::Socket(_))));
        assert_eq!(v[1].as_ref().unwrap_err().what, "nlmsghdr");
        // A well-framed message whose payload is too short for its struct:
        // an error for it, and the next message still decodes.
        let mut d = msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, &p[..40]);
        d.extend(whole);
        let (v, _) = all(&d);
        assert_eq!(v[0].as_ref().unwrap_err().what, "inet_diag_msg");
        assert!(matches!(v[1], Ok(Message::Socket(_))));
        // Unknown message types are skipped.
        let d = msg(0x99, 0, &[0; 4]);
        assert_eq!(all(&d).0, vec![Ok(Message::Skipped)]);
    }

    /// Every socket of a fixture's datagrams, through the public decoder.
    fn tables_of(table: Table, fixture: &[&[u8]]) -> Vec<Table> {
        let mut v = Vec::new();
        for d in fixture {
            for m in decode_datagram(table, d) {
                match m.unwrap() {
                    Message::Socket(s) => v.push(s.netid),
                    Message::Done(r) => assert_eq!(r, Ok(())),
                    Message::Skipped => panic!("skipped"),
                }
            }
        }
        v
    }

    #[test]
    fn each_table_goes_to_its_decoder() {
        use crate::fixture_tests::fixtures::{MPTCP4, NETLINK, PACKET, TCP6, UNIX};
        let t = tables_of(Table::Tcp, TCP6);
        assert!(!t.is_empty() && t.iter().all(|&t| t == Table::Tcp), "{t:?}");
        assert_eq!(tables_of(Table::Mptcp, MPTCP4), vec![Table::Mptcp]);
        let u = tables_of(Table::UnixDgram, UNIX);
        assert!(
            u.contains(&Table::UnixStream) && u.contains(&Table::UnixDgram),
            "{u:?}"
        );
        assert!(u.contains(&Table::UnixSeqpacket), "{u:?}");
        assert_eq!(
            tables_of(Table::PacketRaw, PACKET),
            vec![Table::PacketRaw, Table::PacketDgram]
        );
        let n = tables_of(Table::Netlink, NETLINK);
        assert!(
            !n.is_empty() && n.iter().all(|&t| t == Table::Netlink),
            "{n:?}"
        );
        // The same bytes under the type of the old TCP request decode the same.
        let p = tcp_payload();
        let d = msg(TCPDIAG_GETSOCK, NLM_F_MULTI, &p);
        let want = crate::inet::decode(Table::Tcp, &p).unwrap();
        assert_eq!(all(&d).0, vec![Ok(Message::Socket(want))]);
    }

    #[test]
    fn a_socket_type_not_modelled_is_skipped() {
        // A unix_diag_msg of type SOCK_RAW (3): no table lists it.
        let mut p = vec![crate::consts::AF_UNIX, 3, 7, 0];
        p.extend_from_slice(&[0; 12]);
        let d = msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, &p);
        let v: Vec<_> = decode_datagram(Table::UnixStream, &d).collect();
        assert_eq!(v, vec![Ok(Message::Skipped)]);
    }

    #[test]
    fn an_end_too_short_for_its_code_names_itself() {
        for (ty, what) in [(NLMSG_DONE, "NLMSG_DONE code"), (NLMSG_ERROR, "nlmsgerr")] {
            let d = msg(ty, 0, &[]);
            let (v, _) = all(&d);
            assert_eq!(
                v,
                vec![Err(DecodeError {
                    what,
                    offset: 16,
                    expected: 4,
                    actual: 0
                })],
                "{ty}"
            );
        }
        // An acknowledgement (error 0) ends the dump without an error, and
        // nothing after it is read.
        let mut d = msg(NLMSG_ERROR, 0, &[0; 20]);
        d.extend(msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, &tcp_payload()));
        assert_eq!(all(&d).0, vec![Ok(Message::Done(Ok(())))]);
        // -1 is the smallest error.
        let d = msg(NLMSG_DONE, 0, &(-1i32).to_ne_bytes());
        assert_eq!(all(&d).0, vec![Ok(Message::Done(Err(1)))]);
        // A positive code is no error.
        let d = msg(NLMSG_DONE, 0, &5i32.to_ne_bytes());
        assert_eq!(all(&d).0, vec![Ok(Message::Done(Ok(())))]);
    }
}
