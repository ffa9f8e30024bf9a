//! Queries and the streaming dump.
//!
//! A [`Query`](crate::Query) says what to ask; a [`Connection`](crate::Connection) owns the netlink socket
//! and one reusable receive buffer; a [`Dump`](crate::Dump) walks the answer one kernel
//! batch at a time, so memory stays flat however many sockets there are.
//! Every request and reply on the netlink socket goes through here.
//!
//! A dump is a datagram source composed with the public decoder
//! ([`crate::decode`]): the sources do the I/O and only yield bytes, the
//! dump decodes each message as [`crate::decode::decode_datagram`] does and
//! decides what to yield. So any dump runs on recorded bytes too
//! ([`Connection::from_datagrams`](crate::Connection::from_datagrams)), which is how its logic is tested.
//!
//! - [`Query`](crate::Query): what to ask (tables, families, states, extensions, filter);
//! - [`Connection`](crate::Connection): the netlink socket (or recorded replies) and its
//!   buffer; [`Connection::raw_dump`](crate::Connection::raw_dump) hands over the replies unparsed;
//! - [`Dump`](crate::Dump): the iterator that walks the replies, and [`Source`](crate::Source), which
//!   says whether a table came from netlink or from `/proc/net` (the
//!   fallback when a diag module is missing);
//! - [`probe_diag_module`]: whether the kernel has a diag module for a
//!   family this crate does not decode.
#![deny(unsafe_code)]

mod ahead;
pub(crate) mod builder;
pub(crate) mod connection;
pub(crate) mod dump;
mod probe;
mod procfs;
mod replay;
mod source;
#[cfg(test)]
mod tests;

pub use probe::{DiagModule, ProbedFamily, probe_answer, probe_diag_module, probe_request};
pub(crate) use source::{DiagSocket, Inbox};

/// Most bytes of IPv6 replies a single-walk TCP dump holds back so that
/// IPv4 sockets come first, as in `ss` (memory stays bounded).
///
/// At the cap: the held replies may fill exactly this many bytes (whole
/// messages, each padded to 4 bytes). A reply that would take them past it
/// drops everything held, later IPv6 replies of the walk are skipped, and
/// once the walk ends IPv6 is asked again in a request of its own, whose
/// answer is what the dump yields for IPv6 (IPv4 sockets already streamed
/// are unaffected). That second walk is a second snapshot: a socket created
/// or closed in between may show up in it or not, as in any dump.
pub(crate) const DEFERRED_V6_MAX: usize = 512 * 1024;

/// Size of the receive buffer. The kernel caps a dump batch at 32 KiB
/// including its own overhead (`netlink_dump` limits the skb to
/// `SKB_WITH_OVERHEAD(32768)`), so 32 KiB always holds one; `MSG_TRUNC`
/// would catch a kernel that sent more.
pub(crate) const RECV_BUF_LEN: usize = 32 * 1024;

/// Datagrams of one part of a dump received on the caller's thread before
/// a read-ahead thread takes over (`ahead.rs`): a smaller table (about
/// 8,000 TCP sockets) never starts one.
pub(crate) const READ_AHEAD_AFTER: u64 = 32;
