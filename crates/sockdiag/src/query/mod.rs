//! Queries and the streaming dump.
//!
//! A [`Query`] says what to ask; a [`Connection`] owns the netlink socket
//! and one reusable receive buffer; a [`Dump`] walks the answer one kernel
//! batch at a time, so memory stays flat however many sockets there are.
//! This module owns every syscall on the netlink socket.
//!
//! - `builder`: [`Query`], and the requests (parts) it makes;
//! - `connection`: [`Connection`], the netlink socket and its buffer;
//! - `dump`: [`Dump`], the state machine that walks the replies;
//! - `procfs`: the `/proc/net` fallback of a part;
//! - `replay`: reading a file of raw replies (`TCPDIAG_FILE`).
#![deny(unsafe_code)]

mod builder;
mod connection;
mod dump;
mod procfs;
mod replay;

pub use builder::{InetFamilies, Query};
pub use connection::Connection;
pub use dump::{Dump, Source};

use crate::error::Result;
use crate::model::Socket;

/// Most bytes of IPv6 replies a single-walk TCP dump holds back so that
/// IPv4 sockets come first, as in `ss`; past this the held replies are
/// dropped and IPv6 is dumped again on its own (memory stays bounded).
pub(crate) const DEFERRED_V6_MAX: usize = 512 * 1024;

/// Size of the receive buffer. The kernel caps a dump batch at 32 KiB
/// including its own overhead (`netlink_dump` limits the skb to
/// `SKB_WITH_OVERHEAD(32768)`), so 32 KiB always holds one; `MSG_TRUNC`
/// would catch a kernel that sent more.
pub(crate) const RECV_BUF_LEN: usize = 32 * 1024;

/// Convenience: runs `query` and collects every socket (stops at the first error).
pub fn collect(query: &Query) -> Result<Vec<Socket>> {
    query.dump()?.collect()
}
