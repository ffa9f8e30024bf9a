//! [`Dump`]: the state machine that walks the replies of a query's parts.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use crate::consts::*;
use crate::error::{Error, Request, Result};
use crate::inet;
use crate::model::{Family, Socket, Table};
use crate::wire::{NlMsgs, align4};
use crate::{netlink, packet, procnet, unix};

use super::builder::{Part, PartKind, Query};
use super::connection::Slot;
use super::replay::{open_replay, read_replay_message};
use super::{DEFERRED_V6_MAX, RECV_BUF_LEN};

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
    /// Reading netlink replies: `pos..len` of the buffer is unread.
    Netlink { seq: u32, pos: usize, len: usize },
    /// Reading a `/proc/net` file.
    Proc {
        reader: BufReader<File>,
        line: String,
        lineno: usize,
        path: PathBuf,
    },
    /// Handing out sockets read and sorted ahead (`/proc/net/unix`).
    Sorted { items: std::vec::IntoIter<Socket> },
    /// Reading a file of raw replies; `offset` is the byte position.
    Replay {
        reader: BufReader<File>,
        offset: usize,
        path: PathBuf,
    },
    /// Yielding the IPv6 replies a [`PartKind::TcpBoth`] part held back;
    /// `pos` is the next unread byte of `Dump::deferred`.
    Deferred { pos: usize },
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
    /// The IPv6 replies outgrew [`DEFERRED_V6_MAX`]: dump IPv6 again.
    deferred_overflow: bool,
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
        // the namespace dumped.
        if let Some(f) = &query.filter
            && f.expr().needs_context()
        {
            let ctx = conn.get().filter_context();
            if let Ok(f) = f.with_context(ctx) {
                query.filter = Some(f);
            }
        }
        // Without netlink every part falls back to its own /proc file.
        let parts = query.parts(conn.get().has_netlink());
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

    /// Ends a [`PartKind::TcpBoth`] part on the kernel's final `code`: on
    /// success, go on with the held-back IPv6 replies (or a dump of IPv6 of
    /// its own if they outgrew the cap); on any error (a kernel without
    /// `TCPDIAG_GETSOCK`, a refused filter), dump each family on its own
    /// instead, which reports errors as usual.
    fn tcp_both_done(&mut self, code: i32) {
        let at = self.next_part;
        let per_family = |family| Part {
            kind: PartKind::Inet,
            table: Table::Tcp,
            family,
        };
        self.cur = Cursor::Idle;
        if code < 0 {
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
            match &mut self.cur {
                Cursor::Idle => {
                    let part = *self.parts.get(self.next_part)?;
                    self.next_part += 1;
                    if part.kind == PartKind::Replay {
                        let path = self.query.replay.clone().unwrap_or_default();
                        match open_replay(&path) {
                            Ok(f) => {
                                self.sources.push((part.request(), Source::File));
                                self.cur = Cursor::Replay {
                                    reader: BufReader::with_capacity(RECV_BUF_LEN, f),
                                    offset: 0,
                                    path,
                                };
                                continue;
                            }
                            Err(source) => return Some(Err(Error::File { path, source })),
                        }
                    }
                    if !self.conn.get().has_netlink() {
                        self.sources.push((part.request(), Source::Netlink));
                        match self.fall_back(part) {
                            Some(r) => return Some(r),
                            None => continue,
                        }
                    }
                    let query = &self.query;
                    match self.conn.get().send(query, &part) {
                        Ok(seq) => {
                            if part.kind == PartKind::TcpBoth {
                                // Recorded per family once the kernel has answered.
                                self.deferred.clear();
                                self.deferred_overflow = false;
                            } else {
                                self.sources.push((part.request(), Source::Netlink));
                            }
                            self.cur = Cursor::Netlink {
                                seq,
                                pos: 0,
                                len: 0,
                            };
                        }
                        Err(e) => return Some(Err(e)),
                    }
                }
                Cursor::Netlink { seq, pos, len } => {
                    let seq = *seq;
                    if *pos >= *len {
                        let conn = self.conn.get();
                        match conn.recv() {
                            Ok(n) if n > conn.buf.len() => {
                                self.fused = true;
                                let e = std::io::Error::other(format!(
                                    "netlink datagram of {n} bytes truncated to {}",
                                    conn.buf.len()
                                ));
                                return Some(Err(Error::Io {
                                    context: "receiving sock_diag replies",
                                    source: e,
                                }));
                            }
                            Ok(n) => {
                                self.batches += 1;
                                self.bytes += n as u64;
                                self.cur = Cursor::Netlink {
                                    seq,
                                    pos: 0,
                                    len: n,
                                };
                                continue;
                            }
                            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                                // The kernel dropped replies: this part is incomplete.
                                self.cur = Cursor::Idle;
                                let request = self.current_part().request();
                                return Some(Err(Error::Kernel {
                                    request,
                                    errno: libc::ENOBUFS,
                                }));
                            }
                            Err(source) => {
                                self.fused = true;
                                return Some(Err(Error::Io {
                                    context: "receiving sock_diag replies",
                                    source,
                                }));
                            }
                        }
                    }
                    let (start, end) = (*pos, *len);
                    let conn = self.conn.get();
                    let buf = &conn.buf[start..end];
                    let portid = conn.portid;
                    let Some(first) = NlMsgs::new(buf).next() else {
                        self.cur = Cursor::Netlink {
                            seq,
                            pos: end,
                            len: end,
                        };
                        continue;
                    };
                    let part = self.parts[self.next_part - 1];
                    let msg = match first {
                        Ok(m) => m,
                        Err(error) => {
                            // The rest of this datagram cannot be framed.
                            self.cur = Cursor::Netlink {
                                seq,
                                pos: end,
                                len: end,
                            };
                            return Some(Err(Error::Decode {
                                request: part.request(),
                                error,
                            }));
                        }
                    };
                    let consumed = align4(msg.payload.len() + NLMSG_HDRLEN).min(end - start);
                    let next_pos = start + consumed;
                    if msg.seq != seq || (msg.pid != portid && msg.pid != 0) {
                        // A reply to an earlier, abandoned request.
                        self.cur = Cursor::Netlink {
                            seq,
                            pos: next_pos,
                            len: end,
                        };
                        continue;
                    }
                    if msg.flags & NLM_F_DUMP_INTR != 0 {
                        self.interrupted = true;
                    }
                    let decoded = match msg.ty {
                        NLMSG_DONE | NLMSG_ERROR if part.kind == PartKind::TcpBoth => {
                            let code = crate::wire::u32_ne(msg.payload, 0) as i32;
                            self.tcp_both_done(code);
                            continue;
                        }
                        NLMSG_DONE | NLMSG_ERROR => {
                            let code = crate::wire::u32_ne(msg.payload, 0) as i32;
                            if code < 0 {
                                match self.part_failed(-code) {
                                    Some(r) => return Some(r),
                                    None => continue,
                                }
                            }
                            self.cur = Cursor::Idle;
                            continue;
                        }
                        SOCK_DIAG_BY_FAMILY => match part.kind {
                            PartKind::Inet => inet::decode(part.table, msg.payload).map(Some),
                            PartKind::Unix => unix::decode(msg.payload),
                            PartKind::Packet => packet::decode(msg.payload),
                            PartKind::Netlink => netlink::decode(msg.payload).map(Some),
                            PartKind::Replay | PartKind::TcpBoth => Ok(None),
                        },
                        inet::TCPDIAG_GETSOCK if part.kind == PartKind::TcpBoth => {
                            if msg.payload.first() == Some(&AF_INET6) {
                                if !self.deferred_overflow {
                                    let raw = conn.buf.get(start..next_pos).unwrap_or(&[]);
                                    if self.deferred.len() + raw.len() + 3 > DEFERRED_V6_MAX {
                                        self.deferred_overflow = true;
                                        self.deferred = Vec::new();
                                    } else {
                                        self.deferred.extend_from_slice(raw);
                                        self.deferred.resize(align4(self.deferred.len()), 0);
                                    }
                                }
                                Ok(None)
                            } else {
                                inet::decode(part.table, msg.payload).map(Some)
                            }
                        }
                        _ => Ok(None),
                    };
                    self.cur = Cursor::Netlink {
                        seq,
                        pos: next_pos,
                        len: end,
                    };
                    match decoded {
                        Ok(Some(s))
                            if (part.is_inet()
                                && (self.query.kernel_filters() || self.query.user_filter(&s)))
                                || (!part.is_inet() && self.query.wants(&s)) =>
                        {
                            return Some(Ok(s));
                        }
                        Ok(_) => continue,
                        Err(error) => {
                            return Some(Err(Error::Decode {
                                request: part.request(),
                                error,
                            }));
                        }
                    }
                }
                Cursor::Deferred { pos } => {
                    let start = *pos;
                    let msg = match NlMsgs::new(self.deferred.get(start..).unwrap_or(&[])).next() {
                        Some(Ok(m)) => m,
                        // The end (messages were framed when they were stored).
                        _ => {
                            self.deferred.clear();
                            self.cur = Cursor::Idle;
                            continue;
                        }
                    };
                    *pos = start + align4(msg.payload.len() + NLMSG_HDRLEN);
                    match inet::decode(Table::Tcp, msg.payload) {
                        Ok(s) if self.query.kernel_filters() || self.query.user_filter(&s) => {
                            return Some(Ok(s));
                        }
                        Ok(_) => continue,
                        Err(error) => {
                            let request = Request {
                                table: Table::Tcp,
                                family: Family::Inet6,
                            };
                            return Some(Err(Error::Decode { request, error }));
                        }
                    }
                }
                Cursor::Sorted { items } => match items.next() {
                    Some(s) => return Some(Ok(s)),
                    None => {
                        self.cur = Cursor::Idle;
                        continue;
                    }
                },
                Cursor::Replay {
                    reader,
                    offset,
                    path,
                } => {
                    let request = Request {
                        table: Table::Tcp,
                        family: Family::Inet,
                    };
                    match read_replay_message(reader, *offset, &mut self.conn.get().buf) {
                        // The end of the file before NLMSG_DONE: `ss` says
                        // "Unexpected EOF reading $TCPDIAG_FILE".
                        Ok(None) => {
                            let path = path.clone();
                            let what = if *offset == 0 {
                                "empty file: unexpected EOF reading $TCPDIAG_FILE".to_string()
                            } else {
                                format!(
                                    "truncated: the file ends at byte {} before NLMSG_DONE",
                                    *offset
                                )
                            };
                            self.cur = Cursor::Idle;
                            return Some(Err(Error::File {
                                path,
                                source: std::io::Error::new(std::io::ErrorKind::InvalidData, what),
                            }));
                        }
                        Ok(Some((ty, len, payload_len))) => {
                            *offset += len;
                            self.bytes += len as u64;
                            let payload = &self.conn.get().buf[..payload_len];
                            match ty {
                                // As `ss`, the first NLMSG_DONE ends the file
                                // (`ss -D` writes the IPv4 part first).
                                NLMSG_DONE => {
                                    self.cur = Cursor::Idle;
                                    continue;
                                }
                                NLMSG_ERROR => {
                                    let code = crate::wire::u32_ne(payload, 0) as i32;
                                    if code < 0 {
                                        self.cur = Cursor::Idle;
                                        return Some(Err(Error::Kernel {
                                            request,
                                            errno: -code,
                                        }));
                                    }
                                    continue;
                                }
                                // As `ss`, only the filter expression
                                // selects: states and families do not.
                                SOCK_DIAG_BY_FAMILY => match inet::decode(Table::Tcp, payload) {
                                    Ok(s) if self.query.user_filter(&s) => {
                                        return Some(Ok(s));
                                    }
                                    Ok(_) => continue,
                                    Err(mut error) => {
                                        error.offset += *offset - len + NLMSG_HDRLEN;
                                        let err = Error::Corrupt {
                                            path: path.clone(),
                                            error,
                                        };
                                        self.cur = Cursor::Idle;
                                        return Some(Err(err));
                                    }
                                },
                                _ => continue,
                            }
                        }
                        Err(source) => {
                            let err = Error::File {
                                path: path.clone(),
                                source,
                            };
                            self.cur = Cursor::Idle;
                            return Some(Err(err));
                        }
                    }
                }
                Cursor::Proc {
                    reader,
                    line,
                    lineno,
                    path,
                } => {
                    line.clear();
                    match reader.read_line(line) {
                        Ok(0) => {
                            self.cur = Cursor::Idle;
                            continue;
                        }
                        Ok(n) => {
                            *lineno += 1;
                            self.bytes += n as u64;
                            let part = self.parts[self.next_part - 1];
                            match procnet::parse_line(part.table, part.family, line) {
                                Ok(Some(s)) if self.query.wants(&s) => return Some(Ok(s)),
                                Ok(_) => continue,
                                Err(reason) => {
                                    return Some(Err(Error::Proc {
                                        path: path.clone(),
                                        line: *lineno,
                                        reason,
                                    }));
                                }
                            }
                        }
                        Err(source) => {
                            let path = path.clone();
                            self.cur = Cursor::Idle;
                            return Some(Err(Error::File { path, source }));
                        }
                    }
                }
            }
        }
    }

    /// Reads and discards the rest of an unfinished netlink part.
    fn drain(&mut self) {
        // Stop at the end of the current part: nothing more is sent.
        self.next_part = self.parts.len();
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
