//! Hooks for rss's benches and `rss bench`: the pure decoders, reachable
//! without a dump. Not a stable API; hidden from the docs.

use crate::consts::{NLMSG_DONE, NLMSG_ERROR, SOCK_DIAG_BY_FAMILY};
use crate::inet::TCPDIAG_GETSOCK;
use crate::model::{Family, Socket, Table};
use crate::wire::DecodeError;
use crate::wire::NlMsgs;

/// Most bytes of IPv6 replies a single-walk TCP dump holds back before it
/// dumps IPv6 again on its own (for the tests of that path).
pub const DEFERRED_V6_MAX: usize = crate::query::DEFERRED_V6_MAX;
use crate::{inet, netlink, packet, procnet, unix};

/// Decodes every socket message of one received datagram (as
/// [`Connection::raw_dump`](crate::Connection::raw_dump) hands them out)
/// with the decoder for `table`, passing each socket to `each`. Returns how
/// many sockets were decoded; stops at the first malformed message.
pub fn decode_datagram(
    table: Table,
    datagram: &[u8],
    mut each: impl FnMut(Socket),
) -> Result<usize, DecodeError> {
    let mut n = 0;
    for msg in NlMsgs::new(datagram) {
        let msg = msg?;
        let s = match msg.ty {
            SOCK_DIAG_BY_FAMILY | TCPDIAG_GETSOCK => match table {
                Table::Tcp | Table::Udp | Table::Raw | Table::Mptcp => {
                    Some(inet::decode(table, msg.payload)?)
                }
                Table::UnixStream | Table::UnixDgram | Table::UnixSeqpacket => {
                    unix::decode(msg.payload)?
                }
                Table::PacketRaw | Table::PacketDgram => packet::decode(msg.payload)?,
                Table::Netlink => Some(netlink::decode(msg.payload)?),
            },
            NLMSG_DONE | NLMSG_ERROR => None,
            _ => None,
        };
        if let Some(s) = s {
            n += 1;
            each(s);
        }
    }
    Ok(n)
}

/// The `/proc/net` file (relative to `/proc/net`) holding `table` for
/// `family`, if any.
pub fn proc_file_name(table: Table, family: Family) -> Option<&'static str> {
    procnet::file_name(table, family)
}

/// Parses one line of a `/proc/net` table; `Ok(None)` for the header line.
pub fn parse_proc_line(table: Table, family: Family, line: &str) -> Result<Option<Socket>, String> {
    procnet::parse_line(table, family, line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_captured_datagram_decodes_like_the_table_decoders() {
        use crate::decode::Message;
        for d in crate::fixture_tests::fixtures::TCP4 {
            let n = crate::decode::decode_datagram(Table::Tcp, d)
                .filter(|m| matches!(m, Ok(Message::Socket(_))))
                .count();
            let want = decode_datagram(Table::Tcp, d, |_| {}).unwrap();
            assert_eq!(n, want);
        }
    }
}
