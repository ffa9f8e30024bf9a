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
//! flat at any table size. Decoding is pure code over bytes (`wire`,
//! `inet`, `unix`, `packet`, `netlink`, `procnet`) and never panics on any
//! input; [`query`] owns the socket and its syscalls.
//!
//! Sockets serialise (serde) with stable lower-case names; that form is the
//! JSON schema of `rss -j`.
#![deny(missing_docs)]
#![forbid(unsafe_op_in_unsafe_fn)]

#[doc(hidden)]
pub mod bench_support;
pub mod consts;
pub mod diagnose;
mod error;
pub mod filter;
#[cfg(test)]
mod fixture_tests;
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
mod summary;
mod tcp_info;
mod unix;
mod wire;

pub use error::{DecodeError, Error, Request, Result};
pub use filter::{Expr, Filter, FilterError};
pub use inet::Extensions;
pub use live::{Events, Killer};
pub use model::*;
pub use netns::NetNs;
pub use process::{ProcessMap, ProcessMapOptions};
pub use query::{Connection, Dump, InetFamilies, Query, Source, collect};
pub use sample::{Counters, Limits, Sample, SampleOptions, Sampler, SocketKey};
#[cfg(feature = "schema")]
pub use schema_impls::socket_list_schema;
pub use summary::{Summary, TcpCounters, snmp_field};
pub use tcp_info::{MPTCP_INFO_LEN, MptcpInfo, TCP_INFO_LEN, TcpInfo};
