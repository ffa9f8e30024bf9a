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
