//! [`Connection`]: the `NETLINK_SOCK_DIAG` socket and its receive buffer.

use std::os::fd::BorrowedFd;
use std::time::Duration;

use crate::consts::*;
use crate::error::{Error, Request, Result};
use crate::netns::NetNs;

use super::builder::{Part, PartKind, Query};
use super::source::{Inbox, Transport};
use super::{DEFERRED_V6_MAX, READ_AHEAD_AFTER, RECV_BUF_LEN};

/// A `NETLINK_SOCK_DIAG` socket with its receive buffer.
///
/// Reuse one connection for many dumps: the buffer is allocated once.
pub struct Connection {
    /// Where replies come from: the netlink socket, recorded datagrams, or
    /// nothing (every table is read from `/proc/net`, [`Connection::open`]).
    pub(super) transport: Transport,
    seq: u32,
    /// The receive loop's buffer and the datagram being read.
    pub(super) inbox: Inbox,
    req: Vec<u8>,
    /// The namespace dumped, when not the caller's (`/proc` fallbacks
    /// read its files).
    pub(super) netns: Option<NetNs>,
    /// Whether TCP over both families is asked in one kernel walk
    /// (`TCPDIAG_GETSOCK`); off for recorded datagrams, which hold what
    /// [`Connection::raw_dump`] records (one request per family).
    pub(super) single_walk: bool,
    /// Most bytes of IPv6 replies a single walk holds back
    /// ([`DEFERRED_V6_MAX`]; tests lower it).
    pub(super) deferred_v6_max: usize,
    /// Whether long dumps read ahead on a helper thread
    /// ([`Connection::set_read_ahead`]).
    pub(super) read_ahead: bool,
    /// Datagrams of one part received on the caller's thread before the
    /// read-ahead starts ([`READ_AHEAD_AFTER`]; tests lower it).
    pub(super) read_ahead_after: u64,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("transport", &self.transport)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Opens a connection in the caller's network namespace.
    pub fn new() -> Result<Connection> {
        let transport = Transport::open_netlink().map_err(Error::Open)?;
        Ok(Connection::with(transport, None))
    }

    fn with(transport: Transport, netns: Option<NetNs>) -> Connection {
        let single_walk = matches!(transport, Transport::Netlink(_));
        Connection {
            transport,
            seq: 0,
            inbox: Inbox::new(RECV_BUF_LEN),
            req: Vec::with_capacity(128),
            netns,
            single_walk,
            deferred_v6_max: DEFERRED_V6_MAX,
            read_ahead: true,
            read_ahead_after: READ_AHEAD_AFTER,
        }
    }

    /// A connection that answers from recorded reply datagrams instead of
    /// the kernel: what [`Connection::raw_dump`] hands its sink (and `ss -D`
    /// writes, one `recv` each), replayed through the same dump logic and
    /// decoder as a live dump. Each request of a dump is answered by the
    /// next datagrams, in order, up to the message that ends it
    /// (`NLMSG_DONE` or `NLMSG_ERROR`), whatever their sequence numbers;
    /// running out of datagrams is an I/O error that ends the dump. TCP is
    /// asked one family at a time, as `raw_dump` records it. What the
    /// kernel does for inet requests (states, families, the filter's
    /// bytecode) is taken as done by whoever recorded the replies: inet
    /// sockets are not filtered again, unix, packet and netlink ones are,
    /// as in a live dump.
    ///
    /// ```
    /// use sockdiag::{Connection, Error, Query};
    ///
    /// // NLMSG_DONE carrying -ENOENT: the kernel has no diag module for UDP.
    /// let mut done = Vec::new();
    /// done.extend_from_slice(&20u32.to_ne_bytes()); // nlmsg_len
    /// done.extend_from_slice(&3u16.to_ne_bytes()); // NLMSG_DONE
    /// done.extend_from_slice(&2u16.to_ne_bytes()); // NLM_F_MULTI
    /// done.extend_from_slice(&[0; 8]); // seq, pid
    /// done.extend_from_slice(&(-2i32).to_ne_bytes()); // -ENOENT
    /// let mut conn = Connection::from_datagrams(vec![done]);
    /// let query = Query::udp().family(sockdiag::Family::Inet).fallback(false);
    /// let got: Vec<_> = conn.dump(&query).collect();
    /// assert!(matches!(got[..], [Err(Error::Unsupported { .. })]));
    /// ```
    pub fn from_datagrams(datagrams: Vec<Vec<u8>>) -> Connection {
        Connection::with(
            Transport::Recorded {
                datagrams: datagrams.into(),
                requests: Vec::new(),
            },
            None,
        )
    }

    /// Opens a connection inside a network namespace; the caller's thread
    /// does not move. `/proc` fallbacks read that namespace's files too.
    pub fn in_netns(ns: &NetNs) -> Result<Connection> {
        let transport = ns.run(Transport::open_netlink)?.map_err(Error::Open)?;
        let own = NetNs::from_path(ns.path())?;
        Ok(Connection::with(transport, Some(own)))
    }

    /// Opens a connection in `ns` (or the caller's namespace), and when the
    /// `NETLINK_SOCK_DIAG` socket cannot be opened (a seccomp filter, a
    /// kernel without sock_diag), a connection that answers every table
    /// from `/proc/net` instead. [`Dump::sources`](crate::Dump::sources) says which answered.
    pub fn open(ns: Option<&NetNs>) -> Result<Connection> {
        let opened = match ns {
            None => Connection::new(),
            Some(ns) => Connection::in_netns(ns),
        };
        match opened {
            Err(Error::Open(_)) => {
                let netns = ns.map(|n| NetNs::from_path(n.path())).transpose()?;
                Ok(Connection::with(Transport::Missing, netns))
            }
            other => other,
        }
    }

    /// True when this connection answers `sock_diag` requests: it has a
    /// netlink socket (see [`Connection::open`]) or recorded replies
    /// ([`Connection::from_datagrams`]).
    pub fn has_netlink(&self) -> bool {
        self.transport.answers()
    }

    /// The `NETLINK_SOCK_DIAG` socket's descriptor, for socket options or
    /// `poll(2)`; `None` for a connection without one (recorded replies,
    /// or every table read from `/proc/net`: see [`Connection::open`]).
    /// That is why `Connection` does not implement `AsFd`. A dump is a
    /// request and its replies on this one socket: reading the descriptor
    /// directly would take replies from the dump.
    ///
    /// A dump blocks the calling thread while the kernel answers (well under
    /// a second for 100,000 sockets); an async program runs it on a thread
    /// of its own (tokio's `spawn_blocking`, as
    /// `crates/sockdiag/examples/async_events.rs` shows).
    pub fn netlink_fd(&self) -> Option<BorrowedFd<'_>> {
        match &self.transport {
            Transport::Netlink(sock) => Some(sock.fd()),
            Transport::Recorded { .. } | Transport::Missing => None,
        }
    }

    /// Whether a long dump on this connection receives ahead on a helper
    /// thread (the default: on).
    ///
    /// Every receive of a dump is also where the kernel prepares the next
    /// batch of replies, so on one thread the kernel's work and the
    /// caller's (decoding, and whatever it does with each socket) take
    /// turns. Once one request of a dump has been answered by 32 datagrams
    /// (about 8,000 TCP sockets), the rest of its answer is received by a
    /// thread of the dump's own, at most 15 datagrams (480 KiB) ahead of
    /// the caller, so the two overlap; a smaller table never starts one. The
    /// sockets, their order and every error are the same either way; a
    /// dump dropped early waits for its reader to have read the request's
    /// answer to the end, as it would have drained it itself. Turn it off
    /// where a process must not start threads; a thread that cannot be
    /// started is not an error (the dump reads on the caller's thread).
    ///
    /// ```no_run
    /// let mut conn = sockdiag::Connection::new()?;
    /// conn.set_read_ahead(false);
    /// let n = conn.dump(&sockdiag::Query::tcp()).count();
    /// # Ok::<(), sockdiag::Error>(())
    /// ```
    pub fn set_read_ahead(&mut self, on: bool) {
        self.read_ahead = on;
    }

    /// Bounds how long one receive of a dump on this connection waits for
    /// the kernel (`SO_RCVTIMEO`); `None` waits forever (the default). A
    /// dump whose reply does not come in time ends with an
    /// [`Error::Io`] whose source is `WouldBlock`. Does nothing on a
    /// connection without a netlink socket ([`Connection::netlink_fd`]).
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let mut conn = sockdiag::Connection::new()?;
    /// conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    /// let n = conn.dump(&sockdiag::Query::tcp()).count();
    /// # Ok::<(), sockdiag::Error>(())
    /// ```
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        let Some(fd) = self.netlink_fd() else {
            return Ok(());
        };
        crate::sys::set_recv_timeout(fd, timeout).map_err(|source| Error::Io {
            context: "setting the receive timeout (SO_RCVTIMEO)",
            source,
        })
    }

    /// Sends every request of `query` and hands each raw reply datagram to
    /// `sink`, unparsed, until the kernel ends each part. This is what
    /// `ss -D` writes and what byte fixtures are captured with. An error
    /// code from the kernel is passed on in its datagram, not turned into an
    /// error here.
    pub fn raw_dump(
        &mut self,
        query: &Query,
        mut sink: impl FnMut(Request, &[u8]) -> Result<()>,
    ) -> Result<()> {
        // ss -D writes SOCK_DIAG_BY_FAMILY replies, one family after the other.
        for part in query.parts(false) {
            if part.kind == PartKind::Replay {
                continue;
            }
            let seq = self.send(query, &part)?;
            'part: loop {
                let Connection {
                    transport, inbox, ..
                } = self;
                inbox
                    .fill(|buf| transport.recv(buf))
                    .map_err(|source| Error::Io {
                        context: "receiving sock_diag replies",
                        source,
                    })?;
                let mut done = false;
                while let Some(msg) = inbox.take() {
                    let (msg, _) = msg.map_err(|error| Error::Decode {
                        request: part.request(),
                        error,
                    })?;
                    if transport.is_reply(&msg, seq) && matches!(msg.ty, NLMSG_DONE | NLMSG_ERROR) {
                        done = true;
                    }
                }
                sink(part.request(), inbox.datagram())?;
                if done {
                    break 'part;
                }
            }
        }
        Ok(())
    }

    pub(super) fn send(&mut self, query: &Query, part: &Part) -> Result<u32> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let mut req = std::mem::take(&mut self.req);
        query.encode(part, seq, &mut req);
        let r = self.transport.send(&req);
        self.req = req;
        match r {
            Ok(_) => Ok(seq),
            Err(e)
                if e.raw_os_error() == Some(libc::EPERM)
                    || e.raw_os_error() == Some(libc::EACCES) =>
            {
                Err(Error::PermissionDenied {
                    request: part.request(),
                })
            }
            Err(source) => Err(Error::Io {
                context: "sending a sock_diag request",
                source,
            }),
        }
    }

    /// Receives the next datagram into the inbox; returns its length (see
    /// [`Inbox::fill`]).
    pub(super) fn recv(&mut self) -> std::io::Result<usize> {
        let Connection {
            transport, inbox, ..
        } = self;
        inbox.fill(|buf| transport.recv(buf))
    }

    /// The filter context of this connection's namespace, read now; `None`
    /// for recorded replies, which belong to no namespace here (the
    /// filter keeps its own context).
    pub(super) fn filter_context(&self) -> Option<crate::filter::FilterContext> {
        if let Transport::Recorded { .. } = self.transport {
            return None;
        }
        Some(match &self.netns {
            None => crate::filter::FilterContext::current(),
            Some(ns) => ns
                .run(crate::filter::FilterContext::current)
                .unwrap_or_default(),
        })
    }
}
