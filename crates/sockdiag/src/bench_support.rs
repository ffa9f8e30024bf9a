//! Hooks for rss's benches and `rss bench`: the `/proc/net` parsers and
//! reader, and the dump's limits, reachable without a dump. Not a stable
//! API; hidden from the docs. Datagrams are decoded with the public
//! [`crate::decode`].

use crate::model::{Family, Socket, Table};
use crate::procnet;

pub use crate::procnet::ProcRows;

/// Most bytes of IPv6 replies a single-walk TCP dump holds back before it
/// dumps IPv6 again on its own (for the tests of that path).
pub const DEFERRED_V6_MAX: usize = crate::query::DEFERRED_V6_MAX;

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
    fn every_table_file_is_named_as_in_proc_net() {
        use Family::{Inet, Inet6};
        let want: [(Table, Family, Option<&str>); 13] = [
            (Table::Tcp, Inet, Some("tcp")),
            (Table::Tcp, Inet6, Some("tcp6")),
            (Table::Udp, Inet, Some("udp")),
            (Table::Udp, Inet6, Some("udp6")),
            (Table::Raw, Inet, Some("raw")),
            (Table::Raw, Inet6, Some("raw6")),
            (Table::Mptcp, Inet, None),
            (Table::UnixStream, Family::Unix, Some("unix")),
            (Table::UnixDgram, Family::Unix, Some("unix")),
            (Table::UnixSeqpacket, Family::Unix, Some("unix")),
            (Table::PacketRaw, Family::Packet, Some("packet")),
            (Table::PacketDgram, Family::Packet, Some("packet")),
            (Table::Netlink, Family::Netlink, Some("netlink")),
        ];
        for (table, family, name) in want {
            assert_eq!(proc_file_name(table, family), name, "{table} {family}");
        }
    }

    #[test]
    fn proc_lines_parse_through_the_hook() {
        let hdr = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
        assert_eq!(parse_proc_line(Table::Tcp, Family::Inet, hdr), Ok(None));
        let l = "   0: 0100007F:1388 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 41275 1 0000000000000000 100 0 0 10 0";
        let s = parse_proc_line(Table::Tcp, Family::Inet, l)
            .unwrap()
            .expect("a socket");
        assert_eq!(s.local.to_string(), "127.0.0.1:5000");
        assert_eq!(s.inode, 41275);
        assert!(parse_proc_line(Table::Tcp, Family::Inet, "   0: zz").is_err());
    }
}
