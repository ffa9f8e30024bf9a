//! Every socket of a Linux host, typed and streaming, straight from
//! `NETLINK_SOCK_DIAG`.
//!
//! `sockdiag` is the library under `rss`, a reimplementation of iproute2's
//! `ss`. It speaks `inet_diag` (TCP, UDP, RAW, MPTCP over IPv4 and IPv6),
//! `unix_diag`, `packet_diag` and `netlink_diag`, decodes every attribute
//! the kernel sends (the complete `tcp_info` up to the 6.18 layout,
//! congestion control, socket memory, TOS, marks, cgroups, ...) and falls
//! back to `/proc/net` when a diag module is missing.
//!
//! ```
//! use sockdiag::{Query, States};
//!
//! // Every listening TCP socket with its accept queue and backlog.
//! for socket in Query::tcp().states(States::LISTEN).dump()? {
//!     let s = socket?;
//!     assert_eq!(s.state, sockdiag::State::Listen);
//!     println!("{:?}: {} waiting, backlog {}", s.local, s.recv_q, s.send_q);
//! }
//! # Ok::<(), sockdiag::Error>(())
//! ```
//!
//! The dump is an iterator over one reusable 32 KiB receive buffer: one
//! `recv` per kernel batch, no allocation per inet socket, so memory stays
//! flat at any table size. Decoding is pure code over bytes and never
//! panics on any input (property-tested); [`query`] owns the dump.
//!
//! Sockets serialise (serde, default feature `serde`) with stable
//! lower-case names, losslessly: that form is the JSON of `rss -j`, and
//! `serde_json::from_str::<Vec<Socket>>` reads it back. Feature `schema`
//! adds its JSON Schema (`socket_list_schema`).
//!
//! # The model
//!
//! A [`Socket`] is one row of `ss`: its [`Table`] (`ss`'s Netid), [`Family`],
//! [`State`], two [`Endpoint`]s, the two queues, the inode and cookie, and
//! every optional fact the request asked for (`None` when the kernel did not
//! send it). A `Socket` is at most 512 bytes (504 on x86-64). The common
//! facts of a TCP or UDP socket (`tcp_info`, congestion control, socket
//! memory, timer, cookie, cgroup, mark, ...) are inline fields, so a dump of
//! what `ss -tuanoiem` asks allocates nothing per socket. The rarer facts
//! ([`Detail`]: MPTCP info, ULP, TOS and class id, Vegas/DCTCP/BBR, unix,
//! packet and netlink facts, processes) share one `Box`, read with
//! [`Socket::detail`] or shortcuts such as [`Socket::bbr`] and
//! [`Socket::processes`]; a bound unix name is boxed in its [`UnixName`].
//!
//! What `recv_q` and `send_q` mean depends on the table and the state,
//! exactly as `ss`'s Recv-Q and Send-Q columns:
//!
//! | table, state | `recv_q` | `send_q` |
//! |---|---|---|
//! | TCP/MPTCP `LISTEN` | connections accepted by the kernel, waiting for `accept()` | the backlog (most that may wait) |
//! | TCP other states | bytes received, not yet read by the application | bytes sent, not yet acknowledged by the peer |
//! | TCP `TIME-WAIT`, `SYN-RECV` requests | 0 | 0 |
//! | UDP, raw | receive buffer memory in use (`rmem_alloc`, with overhead) | send buffer memory in use (`wmem_alloc`) |
//! | unix listener | connections waiting to be accepted | the backlog |
//! | unix other | bytes (stream) or datagram memory queued for reading | memory queued for sending (`wmem_alloc`) |
//! | packet, netlink | receive memory in use (`rmem_alloc`) | send memory in use (`wmem_alloc`; `ss` prints 0 for packet) |
//!
//! `State::Close` is an unconnected socket (`ss`'s `UNCONN`, serialised
//! `"unconn"`); `Display` gives the canonical names. A [`filter::Filter`] is `ss`'s filter language, run by
//! the kernel where it can and in user space otherwise, with what it needs
//! from the namespace ([`filter::FilterContext`]) read once per dump.
//!
//! # `ss`'s spellings
//!
//! [`ss`] writes what `ss -n` prints, and nothing else in the workspace
//! does: the State column ([`ss::state_label`]) and a socket's ends
//! ([`ss::local`], [`ss::peer`]), which depend on the socket (its family,
//! state, `IPV6_V6ONLY` and bound interface), not on the [`Endpoint`]
//! alone. Names (services, hosts, interfaces) are the caller's.
//!
//! ```
//! use sockdiag::{Endpoint, Family, Socket, State, Table, ss};
//! let mut s = Socket::new(Table::Tcp, Family::Inet, State::Listen);
//! s.local = Endpoint::Inet { addr: "0.0.0.0".parse().unwrap(), port: 22 };
//! s.peer = Endpoint::Inet { addr: "0.0.0.0".parse().unwrap(), port: 0 };
//! let row = format!("{} {} {}", ss::state_label(s.state), ss::local(&s), ss::peer(&s));
//! assert_eq!(row, "LISTEN 0.0.0.0:22 0.0.0.0:*");
//! ```
#![deny(missing_docs)]
// Syscalls and `unsafe` live in `sys` alone, behind safe functions.
#![deny(unsafe_code)]
#![forbid(unsafe_op_in_unsafe_fn)]

#[doc(hidden)]
pub mod bench_support;
mod consts;
pub mod decode;
pub mod diagnose;
mod error;
pub mod filter;
#[cfg(test)]
mod fixture_tests;
pub mod host;
mod inet;
pub mod live;
mod model;
mod netlink;
mod netns;
mod packet;
mod process;
mod procnet;
#[cfg(test)]
mod proptests;
pub mod query;
pub mod sample;
#[cfg(feature = "schema")]
mod schema_impls;
#[cfg(feature = "serde")]
mod serde_impls;
pub mod ss;
/// Another name for [`ss`].
#[doc(hidden)]
pub use ss as ss_conventions;
mod summary;
#[allow(unsafe_code)]
mod sys;
mod tcp_info;
mod unix;
mod wire;

pub use error::{Error, Request, Result};
pub use filter::{Expr, Filter, FilterError};
pub use inet::Extensions;
pub use live::EventsStopper;
pub use live::{Events, Killer};
pub use model::*;
pub use netns::NetNs;
pub use process::{ProcessMap, ProcessMapOptions};
pub use query::{Connection, Dump, InetFamilies, Query, Source, collect};
pub use sample::{Counters, Limits, Sample, SampleOptions, Sampler, SocketKey};
#[cfg(feature = "schema")]
pub use schema_impls::socket_list_schema;
#[cfg(feature = "serde")]
pub use serde_impls::from_json_strict;
pub use summary::{Summary, TcpCounters, snmp_field};
pub use tcp_info::{MPTCP_INFO_LEN, MptcpInfo, TCP_INFO_LEN, TcpInfo};
pub use wire::DecodeError;
