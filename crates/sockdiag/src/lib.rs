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
//! `serde_json::from_str::<Vec<Socket>>` reads it back, skipping fields it
//! does not know; [`from_json_strict`] rejects them instead. Feature
//! `schema` adds its JSON Schema (`socket_list_schema`); every feature is
//! in [Cargo features](#cargo-features).
//!
//! # A tour
//!
//! **Dump** a table with a [`Query`] (tables, families, states, the
//! extensions to ask for); a [`Connection`] runs many dumps on one socket
//! and buffer, in the caller's network namespace or a [`NetNs`]:
//!
//! ```no_run
//! use sockdiag::{Connection, Query, States};
//! let mut conn = Connection::new()?;
//! let query = Query::tcp().states(States::ESTABLISHED).with_info();
//! for s in conn.dump(&query) {
//!     let s = s?;
//!     let rtt = s.tcp_info.as_ref().and_then(|t| t.rtt());
//!     println!("{} -> {} rtt {rtt:?} us", s.local, s.peer);
//! }
//! # Ok::<(), sockdiag::Error>(())
//! ```
//!
//! **Filter** with `ss`'s language ([`filter::Filter`]): compiled to the kernel's
//! bytecode where it can be, judged in user space otherwise.
//!
//! ```no_run
//! use sockdiag::Query;
//! use sockdiag::filter::Filter;
//! let query = Query::tcp().filter(Filter::parse_str("dport = :443 or sport = :443")?);
//! let n = query.dump()?.count();
//! # Ok::<(), sockdiag::Error>(())
//! ```
//!
//! **Processes** (`ss -p`): a [`ProcessMap`] is one walk of `/proc/*/fd`;
//! it says when it could not see everything ([`ProcessMap::is_partial`]:
//! without root, other users' processes are hidden). Print command names
//! with [`ss::command_text`]: they are raw bytes of the process's choosing.
//!
//! ```no_run
//! use sockdiag::{ProcessMap, ProcessMapOptions, Query, ss};
//! let mut sockets: Vec<_> = Query::tcp().dump()?.collect::<Result<_, _>>()?;
//! let map = ProcessMap::build(&ProcessMapOptions::new())?;
//! for s in &mut sockets {
//!     map.attach(s);
//!     for p in s.processes() {
//!         println!("{} {} pid {}", ss::local(s), ss::command_text(&p.command), p.pid);
//!     }
//! }
//! if map.is_partial() {
//!     eprintln!("{} processes hidden: run as root", map.hidden());
//! }
//! # Ok::<(), sockdiag::Error>(())
//! ```
//!
//! **Sample** a namespace over time ([`sample::Sampler`]: sockets, counters
//! and limits at one instant, keyed by [`sample::SocketKey`]) and **diagnose** the
//! samples ([`diagnose`]: pure rules, samples in, findings out):
//!
//! ```no_run
//! use sockdiag::sample::{SampleOptions, Sampler};
//! use sockdiag::{Query, diagnose};
//! let mut sampler = Sampler::new(Query::tcp().with_info(), None, SampleOptions::default())?;
//! let first = sampler.sample()?;
//! std::thread::sleep(std::time::Duration::from_secs(1));
//! let samples = [first, sampler.sample()?];
//! for f in diagnose::diagnose(&samples, &diagnose::Options::new()) {
//!     println!("{} {}: {}", f.severity, f.kind, f.summary);
//! }
//! # Ok::<(), sockdiag::Error>(())
//! ```
//!
//! **Kill** a socket (`ss -K`, `CAP_NET_ADMIN`) with a [`Killer`]: by its
//! ends ([`SocketId`]: table, addresses, ports, optional interface and
//! cookie), or what a filtered dump found (each by its id and cookie).
//!
//! ```no_run
//! use sockdiag::{Killer, SocketId};
//! let id = SocketId::tcp("127.0.0.1:40000".parse()?, "127.0.0.1:5000".parse()?);
//! let closed = Killer::open(None)?.kill_id(&id)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Events** (`ss -E`): [`Events`] yields every TCP or UDP socket that
//! closes, as it closes; see [threads and async](#threads-and-async) for
//! waiting with a timeout, stopping it, and polling it.
//!
//! ```no_run
//! use sockdiag::{Events, Query, ss};
//! for s in Events::subscribe(&Query::tcp(), None)? {
//!     let s = s?;
//!     println!("closed {} {}", ss::local(&s), ss::peer(&s));
//! }
//! # Ok::<(), sockdiag::Error>(())
//! ```
//!
//! # Threads and async
//!
//! [`Connection`], [`Dump`], [`Events`], [`sample::Sampler`] and [`Killer`] are
//! `Send` and `Sync`; a [`NetNs`] runs a closure on a thread of its own in
//! the namespace, and sockets opened there stay in it wherever they are
//! used. Everything here blocks the calling thread:
//!
//! - A dump waits for the kernel's replies (milliseconds for thousands of
//!   sockets; [`Connection::set_read_timeout`] bounds each wait). Under an
//!   async runtime, run it on a blocking thread (tokio's `spawn_blocking`).
//! - [`Events`] waits for sockets to close. [`Events::next_timeout`] waits
//!   at most a given time, or not at all with `Duration::ZERO`;
//!   [`Events::stopper`] gives a handle whose [`EventsStopper::stop`] ends
//!   the iteration of a thread blocked in `next`; `Events` implements
//!   `AsFd`, so `poll`, `epoll` or tokio's `AsyncFd` can wait for it to be
//!   readable, then `next_timeout(Duration::ZERO)` takes what is queued.
//! - A [`ProcessMap`] walks `/proc` on worker threads of its own
//!   ([`ProcessMapOptions::parallelism`]), unless it reads the holders from
//!   the kernel's task-file iterator on the calling thread
//!   ([`HolderSource`]: the default where the caller may load it).
//!
//! `crates/sockdiag/examples/async_events.rs` in the repository is the
//! whole tokio recipe (tokio is a dev-dependency of the example only; the
//! library starts no runtime).
//!
//! # Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `serde` | yes | `Serialize` and `Deserialize` for the model (the JSON of `rss -j` and `rss doctor -j`), and [`from_json_strict`]; depends on `serde` and `serde_json` |
//! | `schema` | no | `schemars::JsonSchema` for the model, `socket_list_schema()` (the schema of `rss -j`) and `diagnose::report_schema()` (of `rss doctor -j`); implies `serde` |
//! | `internals` | no | hooks for the fuzzers and tests (`filter::run_bytecode`, the kernel's bytecode interpreter, rewritten); hidden from these docs, no stability promise |
//!
//! Items behind a feature say so in their documentation.
//!
//! # Examples
//!
//! `crates/sockdiag/examples` in the repository holds tools of about 30
//! lines, written against this public API and checked against `ss` by the
//! crate's tests: `listeners` (listening sockets with their processes, as
//! `ss -tlnp`), `watch` (a loop printing the connections whose queues
//! changed), `kill` (close one connection by its two ends) and
//! `async_events` (tokio). Run one with `cargo run -p sockdiag --example
//! listeners`.
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
//! does: the State column ([`ss::state_label`]), a socket's ends
//! ([`ss::local`], [`ss::peer`]), which depend on the socket (its family,
//! state, `IPV6_V6ONLY` and bound interface), not on the [`Endpoint`]
//! alone, and a process's command name, escaped as `ss -p` escapes it
//! ([`ss::command_text`]). Names (services, hosts, interfaces) are the
//! caller's.
//!
//! An [`Endpoint`]'s own `Display` is the endpoint alone as `ss -n` would
//! print it on a socket that adds nothing: a port 0 is `*` (`0.0.0.0:*`),
//! and `::` is `*` (a dual-stack socket's `*:80`); for an `IPV6_V6ONLY`
//! socket (`[::]:80`), an interface-bound one (`127.0.0.1%lo:22`) or a
//! unix socket whose end carries no inode, print [`ss::local`] and
//! [`ss::peer`], which take the socket:
//!
//! ```
//! use sockdiag::{Endpoint, Family, Socket, State, Table, ss};
//! let mut s = Socket::new(Table::Tcp, Family::Inet, State::Listen);
//! s.local = Endpoint::Inet { addr: "0.0.0.0".parse().unwrap(), port: 22 };
//! s.peer = Endpoint::Inet { addr: "0.0.0.0".parse().unwrap(), port: 0 };
//! let row = format!("{} {} {}", ss::state_label(s.state), ss::local(&s), ss::peer(&s));
//! assert_eq!(row, "LISTEN 0.0.0.0:22 0.0.0.0:*");
//! // The endpoints alone print the same here.
//! assert_eq!(format!("{} {}", s.local, s.peer), "0.0.0.0:22 0.0.0.0:*");
//!
//! // A dual-stack listener and an IPV6_V6ONLY one differ only in the socket.
//! let mut v6 = Socket::new(Table::Tcp, Family::Inet6, State::Listen);
//! v6.local = Endpoint::Inet { addr: "::".parse().unwrap(), port: 80 };
//! v6.v6only = Some(false);
//! assert_eq!(ss::local(&v6).to_string(), "*:80");
//! v6.v6only = Some(true);
//! assert_eq!(ss::local(&v6).to_string(), "[::]:80");
//! assert_eq!(v6.local.to_string(), "*:80"); // the endpoint cannot know
//!
//! // A command name as ss -p prints it: cut at `)`, controls escaped.
//! assert_eq!(ss::command_text("web)\x1b[31m"), "web");
//! assert_eq!(ss::command_text("job\n\x1b[2J"), "job..[2J");
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
mod live;
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
mod summary;
#[allow(unsafe_code)]
mod sys;
mod task_files;
mod tcp_info;
mod unix;
mod wire;

pub use error::{Error, Request, Result};
pub use inet::Extensions;
pub use live::{Events, EventsStopper, Killer, SocketId};
pub use model::{
    BbrInfo, CC_INFO_IN_DETAIL, DctcpInfo, Detail, Endpoint, Family, InlineBytes, MemInfo,
    MptcpSubflowInfo, NetlinkInfo, PacketInfo, Process, ShortName, Shutdown, SkMemInfo, SockFilter,
    SockOpt, Socket, State, States, Table, Tables, Timer, TimerKind, TlsInfo, UnixInfo, UnixName,
    UnixNameRef, UnixVfs, VegasInfo,
};
pub use netns::NetNs;
pub use process::{HolderSource, ProcessMap, ProcessMapOptions};
pub use query::builder::{InetFamilies, Query, collect};
pub use query::connection::Connection;
pub use query::dump::{Dump, Source};
#[cfg(feature = "schema")]
pub use schema_impls::socket_list_schema;
#[cfg(feature = "serde")]
pub use serde_impls::from_json_strict;
pub use summary::{Summary, TcpCounters, snmp_field};
pub use tcp_info::{MPTCP_INFO_LEN, MptcpInfo, TCP_INFO_LEN, TcpInfo};
pub use wire::DecodeError;
