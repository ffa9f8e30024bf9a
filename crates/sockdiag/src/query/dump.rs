//! [`Dump`]: a query's parts, each answered by a source of datagrams (or
//! `/proc/net` rows) and decoded by the public decoder.
//!
//! The dump is a small state machine over a [`Cursor`]: between parts it
//! sends the next request; reading a part, it takes one message of the
//! current datagram at a time, hands it to [`decode_message`] (the step of
//! [`crate::decode::decode_datagram`]), and acts on what comes back: a
//! socket to select, the end of the part, an error code. The sources
//! (`source.rs`: netlink or recorded datagrams; `procfs.rs`: `/proc/net`
//! rows; `replay.rs`: a file of replies) do the I/O and nothing else.

use crate::consts::*;
use crate::decode::{Message, decode_message};
use crate::error::{Error, Request, Result};
use crate::model::{Family, Socket, Table};
use crate::netns::NetNs;
use crate::wire::{NlMsgs, align4};

use super::ahead::Reader;
use super::builder::{Part, PartKind, Query};
use super::connection::Connection;
use super::replay::ReplayFile;
use super::source::Transport;

/// Where the sockets of one part of a dump came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// `NETLINK_SOCK_DIAG`.
    Netlink,
    /// A `/proc/net` text table (the diag module is missing).
    Proc,
    /// Nothing could answer: the kernel has neither.
    Unsupported,
    /// A file of raw replies ([`Query::tcp_from_file`]).
    File,
}

pub(super) enum Cursor {
    /// Between parts: the next one has not been sent.
    Idle,
    /// Reading netlink replies to `seq` (the connection's inbox holds
    /// what is unread).
    Netlink { seq: u32 },
    /// Reading a `/proc/net` file.
    Proc(crate::procnet::ProcRows),
    /// Handing out sockets read and sorted ahead (`/proc/net/unix`).
    Sorted { items: std::vec::IntoIter<Socket> },
    /// Reading a file of raw replies.
    Replay(ReplayFile),
    /// Yielding the IPv6 replies a [`PartKind::TcpBoth`] part held back;
    /// `pos` is the next unread byte of `Dump::deferred`.
    Deferred { pos: usize },
}

/// What one step of the state machine produced.
// Boxing the socket would allocate once per socket on the dump path.
#[allow(clippy::large_enum_variant)]
enum Step {
    /// A socket or an error to yield.
    Item(Result<Socket>),
    /// Nothing yet: step again.
    Again,
    /// Every part is done.
    End,
}

/// A streaming dump: an iterator of sockets, one kernel batch at a time.
///
/// An error scoped to one part (a table the kernel refuses, one malformed
/// message) is yielded and the dump goes on with the rest; an I/O error on
/// the socket ends it. Dropping a dump early drains the kernel's remaining
/// replies so that the connection is clean for the next query.
pub struct Dump<'c> {
    pub(super) conn: Slot<'c>,
    pub(super) query: Query,
    parts: Vec<Part>,
    next_part: usize,
    pub(super) cur: Cursor,
    sources: Vec<(Request, Source)>,
    interrupted: bool,
    batches: u64,
    pub(super) bytes: u64,
    fused: bool,
    /// IPv6 replies of a `TcpBoth` part, whole netlink messages, each padded
    /// to 4 bytes; allocated only when an IPv6 socket shows up.
    deferred: Vec<u8>,
    /// The IPv6 replies outgrew the cap ([`DEFERRED_V6_MAX`](super::DEFERRED_V6_MAX)):
    /// they were dropped, and IPv6 is dumped again on its own.
    deferred_overflow: bool,
    /// Datagrams of the current netlink part asked for so far.
    part_batches: u64,
    /// The current part's read-ahead thread, once it has started.
    pub(super) ahead: Option<Reader>,
    /// Read-ahead threads started by this dump (tests).
    #[cfg(test)]
    pub(super) readers_started: u32,
}

impl std::fmt::Debug for Dump<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dump")
            .field("query", &self.query)
            .field("parts", &self.parts.len())
            .field("next_part", &self.next_part)
            .field("sources", &self.sources)
            .field("interrupted", &self.interrupted)
            .field("batches", &self.batches)
            .field("bytes", &self.bytes)
            .field("done", &self.fused)
            .finish_non_exhaustive()
    }
}

impl<'c> Dump<'c> {
    pub(super) fn new(mut conn: Slot<'c>, mut query: Query) -> Dump<'c> {
        // Context the filter needs (the local port range), read once, in
        // the namespace dumped; the filter is compiled again only when it
        // was compiled for another context.
        if let Some(f) = &query.filter
            && f.expr().needs_context()
            && let Some(ctx) = conn.get().filter_context()
            && ctx != *f.context()
            && let Ok(f) = f.with_context(ctx)
        {
            query.filter = Some(f);
        }
        // TCP over both families in one kernel walk on a netlink socket;
        // per family for recorded replies and /proc fallbacks.
        let parts = query.parts(conn.get().single_walk);
        Dump {
            conn,
            query,
            parts,
            next_part: 0,
            cur: Cursor::Idle,
            sources: Vec::new(),
            interrupted: false,
            batches: 0,
            bytes: 0,
            fused: false,
            deferred: Vec::new(),
            deferred_overflow: false,
            part_batches: 0,
            ahead: None,
            #[cfg(test)]
            readers_started: 0,
        }
    }

    /// Which source answered each part so far.
    pub fn sources(&self) -> &[(Request, Source)] {
        &self.sources
    }

    /// True if the kernel flagged a reply `NLM_F_DUMP_INTR`: the table changed
    /// during the dump and a socket may be missing or repeated.
    pub fn interrupted(&self) -> bool {
        self.interrupted
    }

    /// Netlink datagrams received so far.
    pub fn batches(&self) -> u64 {
        self.batches
    }

    /// Bytes received so far (netlink datagrams and `/proc` lines).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    fn current_part(&self) -> Part {
        self.parts[self.next_part - 1]
    }

    /// Handles a kernel error code for the current part: fall back to
    /// `/proc`, or report.
    fn part_failed(&mut self, errno: i32) -> Option<Result<Socket>> {
        let part = self.current_part();
        let request = part.request();
        self.cur = Cursor::Idle;
        let missing = matches!(
            errno,
            libc::ENOENT | libc::EOPNOTSUPP | libc::EPROTONOSUPPORT | libc::EAFNOSUPPORT
        );
        if missing {
            return self.fall_back(part);
        }
        // Not a missing module: no fallback.
        if errno == libc::EPERM || errno == libc::EACCES {
            return Some(Err(Error::PermissionDenied { request }));
        }
        Some(Err(Error::Kernel { request, errno }))
    }

    /// Ends a [`PartKind::TcpBoth`] part on the kernel's final error code
    /// (`None` for success): on success, go on with the held-back IPv6
    /// replies (or a dump of IPv6 of its own if they outgrew the cap); on
    /// any error (a kernel without `TCPDIAG_GETSOCK`, a refused filter),
    /// dump each family on its own instead, which reports errors as usual.
    fn tcp_both_done(&mut self, errno: Option<i32>) {
        let at = self.next_part;
        let per_family = |family| Part {
            kind: PartKind::Inet,
            table: Table::Tcp,
            family,
        };
        self.cur = Cursor::Idle;
        if errno.is_some() {
            self.deferred = Vec::new();
            self.parts.splice(
                at..at,
                [per_family(Family::Inet), per_family(Family::Inet6)],
            );
            return;
        }
        self.sources
            .push((per_family(Family::Inet).request(), Source::Netlink));
        if self.deferred_overflow {
            self.parts.insert(at, per_family(Family::Inet6));
        } else {
            self.sources
                .push((per_family(Family::Inet6).request(), Source::Netlink));
            self.cur = Cursor::Deferred { pos: 0 };
        }
    }

    /// Records the source that answered `request`, replacing the provisional
    /// `Netlink` entry pushed when its request was sent.
    pub(super) fn answered(&mut self, request: Request, source: Source) {
        match self.sources.last_mut() {
            Some(last) if last.0 == request && last.1 == Source::Netlink => last.1 = source,
            _ => self.sources.push((request, source)),
        }
    }

    fn step(&mut self) -> Option<Result<Socket>> {
        loop {
            let step = match &mut self.cur {
                Cursor::Idle => self.start_part(),
                &mut Cursor::Netlink { seq } => self.step_netlink(seq),
                &mut Cursor::Deferred { pos } => self.step_deferred(pos),
                Cursor::Sorted { items } => match items.next() {
                    Some(s) => Step::Item(Ok(s)),
                    None => {
                        self.cur = Cursor::Idle;
                        Step::Again
                    }
                },
                Cursor::Replay(_) => self.step_replay(),
                Cursor::Proc(_) => self.step_proc(),
            };
            match step {
                Step::Item(item) => return Some(item),
                Step::Again => {}
                Step::End => return None,
            }
        }
    }

    /// Starts the next part: opens its replay file, sends its request, or
    /// falls back to `/proc` when there is no netlink.
    fn start_part(&mut self) -> Step {
        let Some(&part) = self.parts.get(self.next_part) else {
            return Step::End;
        };
        self.next_part += 1;
        // Dropping the last part's reader (if any) waits for it to have read
        // that part to its end.
        self.ahead = None;
        self.part_batches = 0;
        if part.kind == PartKind::Replay {
            let path = self.query.replay.clone().unwrap_or_default();
            return match ReplayFile::open(path.clone()) {
                Ok(file) => {
                    self.sources.push((part.request(), Source::File));
                    self.cur = Cursor::Replay(file);
                    Step::Again
                }
                Err(source) => Step::Item(Err(Error::File { path, source })),
            };
        }
        if !self.conn.get().has_netlink() {
            self.sources.push((part.request(), Source::Netlink));
            return self.fall_back(part).map_or(Step::Again, Step::Item);
        }
        match self.conn.get().send(&self.query, &part) {
            Ok(seq) => {
                if part.kind == PartKind::TcpBoth {
                    // Recorded per family once the kernel has answered.
                    self.deferred.clear();
                    self.deferred_overflow = false;
                } else {
                    self.sources.push((part.request(), Source::Netlink));
                }
                self.conn.get().inbox.clear();
                self.cur = Cursor::Netlink { seq };
                Step::Again
            }
            Err(e) => Step::Item(Err(e)),
        }
    }

    /// Receives the next datagram of the current part: on this thread, or,
    /// once the part has run past the connection's `read_ahead_after`
    /// datagrams, from a read-ahead thread (see `ahead.rs`).
    fn receive(&mut self) -> Step {
        let conn = self.conn.get();
        if self.ahead.is_none()
            && conn.read_ahead
            && self.part_batches >= conn.read_ahead_after
            && let (Transport::Netlink(sock), &Cursor::Netlink { seq }) =
                (&conn.transport, &self.cur)
        {
            self.ahead = Reader::start(sock, seq, conn.inbox.buf.len());
            #[cfg(test)]
            {
                self.readers_started += u32::from(self.ahead.is_some());
            }
        }
        self.part_batches += 1;
        let got = match &mut self.ahead {
            Some(r) => r.next(&mut conn.inbox),
            None => conn.recv(),
        };
        match got {
            Ok(n) => {
                self.batches += 1;
                self.bytes += n as u64;
                Step::Again
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                // The kernel dropped replies: this part is incomplete.
                self.cur = Cursor::Idle;
                let request = self.current_part().request();
                Step::Item(Err(Error::Kernel {
                    request,
                    errno: libc::ENOBUFS,
                }))
            }
            // An I/O error, or a datagram cut by a full buffer.
            Err(source) => {
                self.fused = true;
                Step::Item(Err(Error::Io {
                    context: "receiving sock_diag replies",
                    source,
                }))
            }
        }
    }

    /// Takes the next message of the datagram answering `seq`.
    #[inline]
    fn step_netlink(&mut self, seq: u32) -> Step {
        let part = self.current_part();
        let conn = self.conn.get();
        if conn.inbox.is_read() {
            return self.receive();
        }
        let (msg, raw) = match conn.inbox.take() {
            Some(Ok(m)) => m,
            // Bytes that cannot be framed: the rest of this datagram is
            // dropped (with one error).
            Some(Err(error)) => {
                return Step::Item(Err(Error::Decode {
                    request: part.request(),
                    error,
                }));
            }
            None => return Step::Again,
        };
        if !conn.transport.is_reply(&msg, seq) {
            // A reply to an earlier, abandoned request.
            return Step::Again;
        }
        if msg.flags & NLM_F_DUMP_INTR != 0 {
            self.interrupted = true;
        }
        if part.kind == PartKind::TcpBoth
            && msg.ty == crate::inet::TCPDIAG_GETSOCK
            && msg.payload.first() == Some(&AF_INET6)
        {
            // Held back so that IPv4 comes first, as in `ss`.
            if !self.deferred_overflow {
                if self.deferred.len() + align4(raw.len()) > conn.deferred_v6_max {
                    self.deferred_overflow = true;
                    self.deferred = Vec::new();
                } else {
                    self.deferred.extend_from_slice(raw);
                    self.deferred.resize(align4(self.deferred.len()), 0);
                }
            }
            return Step::Again;
        }
        let ends_part = matches!(msg.ty, NLMSG_DONE | NLMSG_ERROR);
        match decode_message(part.table, &msg) {
            Ok(Message::Socket(s)) => {
                if self.selects(part, &s) {
                    Step::Item(Ok(s))
                } else {
                    Step::Again
                }
            }
            Ok(Message::Done(result)) => self.end_part(part, result.err()),
            Ok(_) => Step::Again,
            Err(error) => {
                if ends_part {
                    // A malformed end still ends the part.
                    let _ = self.end_part(part, None);
                }
                Step::Item(Err(Error::Decode {
                    request: part.request(),
                    error,
                }))
            }
        }
    }

    /// Whether a socket decoded for `part` is yielded: the kernel filtered
    /// inet parts (unless the filter must be judged here); shared parts
    /// (unix, packet, netlink) are selected by table, state and filter.
    #[inline]
    fn selects(&self, part: Part, s: &Socket) -> bool {
        if part.is_inet() {
            self.query.kernel_filters() || self.query.user_filter(s)
        } else {
            self.query.wants(s)
        }
    }

    /// Ends the current part on the kernel's final error code (`None` for
    /// success).
    fn end_part(&mut self, part: Part, errno: Option<i32>) -> Step {
        if part.kind == PartKind::TcpBoth {
            self.tcp_both_done(errno);
            return Step::Again;
        }
        self.cur = Cursor::Idle;
        match errno {
            Some(errno) => self.part_failed(errno).map_or(Step::Again, Step::Item),
            None => Step::Again,
        }
    }

    /// Yields the next held-back IPv6 reply of a single walk.
    fn step_deferred(&mut self, pos: usize) -> Step {
        let msg = match NlMsgs::new(self.deferred.get(pos..).unwrap_or(&[])).next() {
            Some(Ok(m)) => m,
            // The end (messages were framed when they were stored).
            _ => {
                self.deferred.clear();
                self.cur = Cursor::Idle;
                return Step::Again;
            }
        };
        self.cur = Cursor::Deferred {
            pos: pos + align4(msg.payload.len() + NLMSG_HDRLEN),
        };
        let request = Request {
            table: Table::Tcp,
            family: Family::Inet6,
        };
        match decode_message(Table::Tcp, &msg) {
            Ok(Message::Socket(s)) if self.query.kernel_filters() || self.query.user_filter(&s) => {
                Step::Item(Ok(s))
            }
            Ok(_) => Step::Again,
            Err(error) => Step::Item(Err(Error::Decode { request, error })),
        }
    }

    /// Takes the next message of a replay file. As in `ss`, the first
    /// `NLMSG_DONE` ends the file (`ss -D` writes the IPv4 part first), and
    /// only the filter expression selects: states and families do not.
    fn step_replay(&mut self) -> Step {
        let Cursor::Replay(file) = &mut self.cur else {
            return Step::Again;
        };
        let request = Request {
            table: Table::Tcp,
            family: Family::Inet,
        };
        let buf = &mut self.conn.get().inbox.buf;
        let (len, consumed) = match file.next_message(buf) {
            Ok(Some(read)) => read,
            Ok(None) => {
                let err = Error::File {
                    path: file.path.clone(),
                    source: file.eof_error(),
                };
                self.cur = Cursor::Idle;
                return Step::Item(Err(err));
            }
            Err(source) => {
                let err = Error::File {
                    path: file.path.clone(),
                    source,
                };
                self.cur = Cursor::Idle;
                return Step::Item(Err(err));
            }
        };
        let start = file.offset - consumed;
        self.bytes += consumed as u64;
        // Framed by `next_message`: its length is the message's own.
        let Some(Ok(msg)) = NlMsgs::new(buf.get(..len).unwrap_or(&[])).next() else {
            return Step::Again;
        };
        if msg.ty == NLMSG_DONE {
            self.cur = Cursor::Idle;
            return Step::Again;
        }
        match decode_message(Table::Tcp, &msg) {
            Ok(Message::Socket(s)) if self.query.user_filter(&s) => Step::Item(Ok(s)),
            Ok(Message::Done(Err(errno))) => {
                self.cur = Cursor::Idle;
                Step::Item(Err(Error::Kernel { request, errno }))
            }
            // An acknowledgement (`NLMSG_ERROR` 0) or a message of no use.
            Ok(_) => Step::Again,
            Err(_) if msg.ty == NLMSG_ERROR => Step::Again,
            Err(mut error) => {
                error.offset += start + NLMSG_HDRLEN;
                let err = Error::Corrupt {
                    path: file.path.clone(),
                    error,
                };
                self.cur = Cursor::Idle;
                Step::Item(Err(err))
            }
        }
    }

    /// Takes the next row of a `/proc/net` table.
    fn step_proc(&mut self) -> Step {
        let Cursor::Proc(rows) = &mut self.cur else {
            return Step::Again;
        };
        let before = rows.bytes();
        let row = rows.next();
        self.bytes += rows.bytes() - before;
        match row {
            None => {
                self.cur = Cursor::Idle;
                Step::Again
            }
            Some(Ok(s)) if self.query.wants(&s) => Step::Item(Ok(s)),
            Some(Ok(_)) => Step::Again,
            Some(Err(e)) => Step::Item(Err(e)),
        }
    }

    /// Reads and discards the rest of an unfinished netlink part.
    fn drain(&mut self) {
        // Stop at the end of the current part: nothing more is sent.
        self.next_part = self.parts.len();
        if self.ahead.take().is_some() {
            // Dropped, it has read the part to its end (or to an error).
            self.conn.get().inbox.clear();
            self.cur = Cursor::Idle;
            return;
        }
        while let Cursor::Netlink { .. } = self.cur {
            if self.fused {
                return;
            }
            if let Some(Err(Error::Io { .. })) = self.step() {
                return;
            }
        }
    }
}

impl Iterator for Dump<'_> {
    type Item = Result<Socket>;

    fn next(&mut self) -> Option<Result<Socket>> {
        if self.fused {
            return None;
        }
        self.step()
    }
}

impl Drop for Dump<'_> {
    fn drop(&mut self) {
        self.drain();
    }
}

// ------------------------------------------------------ where a dump starts

/// The connection a dump runs on: its own, or one lent by the caller.
pub(super) enum Slot<'c> {
    Owned(Connection),
    Borrowed(&'c mut Connection),
}

impl Slot<'_> {
    pub(super) fn get(&mut self) -> &mut Connection {
        match self {
            Slot::Owned(c) => c,
            Slot::Borrowed(c) => c,
        }
    }
}

impl Query {
    /// Runs the query on a new connection in the current namespace.
    pub fn dump(&self) -> Result<Dump<'static>> {
        let conn = if self.fallback {
            Connection::open(None)?
        } else {
            Connection::new()?
        };
        Ok(Dump::new(Slot::Owned(conn), self.clone()))
    }

    /// Runs the query inside a network namespace.
    pub fn dump_in(&self, ns: &NetNs) -> Result<Dump<'static>> {
        let conn = if self.fallback {
            Connection::open(Some(ns))?
        } else {
            Connection::in_netns(ns)?
        };
        Ok(Dump::new(Slot::Owned(conn), self.clone()))
    }
}

impl Connection {
    /// Runs a query on this connection.
    pub fn dump<'c>(&'c mut self, query: &Query) -> Dump<'c> {
        Dump::new(Slot::Borrowed(self), query.clone())
    }
}
