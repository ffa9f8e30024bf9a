//! Queries and the streaming dump.
//!
//! A [`Query`] says what to ask; a [`Connection`] owns the netlink socket
//! and one reusable receive buffer; a [`Dump`] walks the answer one kernel
//! batch at a time, so memory stays flat however many sockets there are.
//! This module owns every syscall on the netlink socket.
#![deny(unsafe_code)]

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use netlink_sys::{Socket as NlSocket, SocketAddr};

use crate::consts::*;
use crate::error::{Error, Request, Result};
use crate::filter::Filter;
use crate::inet::{self, Extensions};
use crate::model::{Family, Socket, States, Table, Tables};
use crate::netns::NetNs;
use crate::wire::{NlMsgs, align4};
use crate::{netlink, packet, procnet, unix};

/// Most bytes of IPv6 replies a single-walk TCP dump holds back so that
/// IPv4 sockets come first, as in `ss`; past this the held replies are
/// dropped and IPv6 is dumped again on its own (memory stays bounded).
pub(crate) const DEFERRED_V6_MAX: usize = 512 * 1024;

/// Size of the receive buffer. The kernel caps a dump batch at 32 KiB
/// including its own overhead (`netlink_dump` limits the skb to
/// `SKB_WITH_OVERHEAD(32768)`), so 32 KiB always holds one; `MSG_TRUNC`
/// would catch a kernel that sent more.
pub(crate) const RECV_BUF_LEN: usize = 32 * 1024;

/// Which address families an inet query covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InetFamilies {
    /// Dump `AF_INET` sockets.
    pub v4: bool,
    /// Dump `AF_INET6` sockets.
    pub v6: bool,
}

/// What to ask the kernel: tables, families, states, extensions, filter.
///
/// ```no_run
/// use sockdiag::{Query, States};
/// let listeners = Query::tcp().states(States::LISTEN).with_info();
/// for socket in listeners.dump()? {
///     let socket = socket?;
///     println!("{:?} backlog {}", socket.local, socket.send_q);
/// }
/// # Ok::<(), sockdiag::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    tables: Tables,
    families: InetFamilies,
    states: States,
    ext: Extensions,
    unix_show: u32,
    packet_show: u32,
    bytecode: Option<Vec<u8>>,
    filter: Option<Filter>,
    replay: Option<PathBuf>,
    fallback: bool,
}

impl Query {
    /// A query over `tables`, every family, every state (bound-inactive
    /// included), no extensions.
    pub fn new(tables: Tables) -> Query {
        Query {
            tables,
            families: InetFamilies { v4: true, v6: true },
            states: States::ALL | States::BOUND_INACTIVE,
            ext: Extensions::empty(),
            unix_show: unix::SHOW_ALL & !UDIAG_SHOW_ICONS,
            packet_show: packet::SHOW_ALL,
            bytecode: None,
            filter: None,
            replay: None,
            fallback: true,
        }
    }

    /// TCP sockets.
    pub fn tcp() -> Query {
        Query::new(Tables::TCP)
    }
    /// UDP sockets.
    pub fn udp() -> Query {
        Query::new(Tables::UDP)
    }
    /// Raw IP sockets.
    pub fn raw() -> Query {
        Query::new(Tables::RAW)
    }
    /// MPTCP sockets.
    pub fn mptcp() -> Query {
        Query::new(Tables::MPTCP)
    }
    /// Unix sockets of every type.
    pub fn unix() -> Query {
        Query::new(Tables::UNIX)
    }
    /// Packet sockets.
    pub fn packet() -> Query {
        Query::new(Tables::PACKET)
    }
    /// Netlink sockets.
    pub fn netlink() -> Query {
        Query::new(Tables::NETLINK)
    }
    /// Every table.
    pub fn all() -> Query {
        Query::new(Tables::all())
    }

    /// Restricts inet tables to one family (`Inet` or `Inet6`); other
    /// families are ignored.
    pub fn family(mut self, family: Family) -> Query {
        match family {
            Family::Inet => {
                self.families = InetFamilies {
                    v4: true,
                    v6: false,
                }
            }
            Family::Inet6 => {
                self.families = InetFamilies {
                    v4: false,
                    v6: true,
                }
            }
            _ => {}
        }
        self
    }

    /// Sets which inet families to dump.
    pub fn families(mut self, families: InetFamilies) -> Query {
        self.families = families;
        self
    }

    /// Sets the state filter, applied by the kernel where it can
    /// (inet, unix) and in user space otherwise.
    pub fn states(mut self, states: States) -> Query {
        self.states = states;
        self
    }

    /// Adds inet extensions.
    pub fn extensions(mut self, ext: Extensions) -> Query {
        self.ext |= ext;
        self
    }

    /// Asks for `tcp_info`, the congestion algorithm and Vegas/DCTCP/BBR info
    /// (what `ss -i` shows).
    pub fn with_info(self) -> Query {
        self.extensions(Extensions::INFO | Extensions::CONG | Extensions::VEGASINFO)
    }

    /// Asks for socket memory (what `ss -m` shows).
    pub fn with_memory(self) -> Query {
        self.extensions(Extensions::SKMEMINFO | Extensions::MEMINFO)
    }

    /// Asks for TOS, traffic class and class id (what `ss --tos` shows).
    pub fn with_tos(self) -> Query {
        self.extensions(Extensions::TOS | Extensions::TCLASS)
    }

    /// Asks unix listeners for the inodes of their pending connections.
    pub fn with_unix_icons(mut self) -> Query {
        self.unix_show |= UDIAG_SHOW_ICONS;
        self
    }

    /// Attaches a hand-written `INET_DIAG_REQ_BYTECODE` program to inet
    /// requests, checked first by [`crate::filter::audit`] (the kernel's
    /// own checks): a program it would refuse is an error here.
    ///
    /// The program is an extra kernel-side condition, independent of
    /// [`Query::filter`] and of the order the two are set in: with both,
    /// the kernel runs this program and the filter is judged in user space.
    ///
    /// ```
    /// use sockdiag::Query;
    /// // INET_DIAG_BC_NOP: accepts every socket.
    /// assert!(Query::tcp().bytecode(vec![0, 4, 8, 0]).is_ok());
    /// // A jump into nowhere is refused before the kernel sees it.
    /// assert!(Query::tcp().bytecode(vec![1, 4, 200, 0]).is_err());
    /// ```
    pub fn bytecode(mut self, program: Vec<u8>) -> Result<Query> {
        crate::filter::audit(&program)?;
        if program.len() > u16::MAX as usize {
            return Err(Error::Bytecode(crate::filter::BytecodeError {
                offset: u16::MAX as usize,
                reason: "program longer than 64 KiB",
            }));
        }
        self.bytecode = Some(program);
        Ok(self)
    }

    /// Filters sockets with an `ss` expression. Inet dumps carry its
    /// bytecode and the kernel does the work; unix, packet and netlink
    /// tables, `/proc` fallbacks and expressions the kernel cannot run
    /// (`dev`, unix globs) are filtered here. Each socket is filtered once.
    /// A filter that needs a [`crate::filter::FilterContext`] (`autobound`)
    /// is re-judged in the namespace a dump runs in, read once per dump.
    pub fn filter(mut self, filter: Filter) -> Query {
        self.filter = Some(filter);
        self
    }

    /// The kernel program of inet requests: the one given to
    /// [`Query::bytecode`], else the filter's.
    fn kernel_program(&self) -> Option<&[u8]> {
        self.bytecode
            .as_deref()
            .or_else(|| self.filter.as_ref().and_then(Filter::bytecode))
    }

    /// The filter, if any.
    pub fn filter_expr(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }

    /// Reads TCP sockets from a file of raw `sock_diag` replies (what `ss -D`
    /// and `rss -D` write; `ss`'s `TCPDIAG_FILE`) instead of asking the
    /// kernel. As in `ss`, the first `NLMSG_DONE` ends the file and only the
    /// filter expression selects (in user space): states and families do not.
    pub fn tcp_from_file(mut self, path: impl Into<PathBuf>) -> Query {
        self.replay = Some(path.into());
        self
    }

    /// Whether to read `/proc/net` when a table has no diag module (default on).
    pub fn fallback(mut self, on: bool) -> Query {
        self.fallback = on;
        self
    }

    /// The tables asked for.
    pub fn tables(&self) -> Tables {
        self.tables
    }

    /// The states asked for.
    pub fn state_set(&self) -> States {
        self.states
    }

    /// The inet families asked for.
    pub fn inet_families(&self) -> InetFamilies {
        self.families
    }

    /// Whether a socket belongs to this query's selection: table, state,
    /// inet family and filter, all judged in user space. (Dumps leave what
    /// they can to the kernel; this is for sockets from elsewhere, such as
    /// destroy events.)
    pub fn selects(&self, s: &Socket) -> bool {
        self.wants(s) && self.wants_family(s.family)
    }

    /// The inet extensions asked for.
    pub fn extension_set(&self) -> Extensions {
        self.ext
    }

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

    /// The sub-requests, in `ss`'s output order: netlink, packet, unix, raw,
    /// udp, tcp, mptcp; IPv4 before IPv6. With `single_walk`, TCP over both
    /// families is one `TCPDIAG_GETSOCK` request (see [`PartKind::TcpBoth`]).
    fn parts(&self, single_walk: bool) -> Vec<Part> {
        let mut parts = Vec::new();
        let nonconn = self.states.contains(States::CLOSE);
        if self.tables.contains(Tables::NETLINK) && nonconn {
            parts.push(Part {
                kind: PartKind::Netlink,
                table: Table::Netlink,
                family: Family::Netlink,
            });
        }
        if self.tables.intersects(Tables::PACKET) && nonconn {
            parts.push(Part {
                kind: PartKind::Packet,
                table: Table::PacketRaw,
                family: Family::Packet,
            });
        }
        if self.tables.intersects(Tables::UNIX) {
            let first = self
                .tables
                .intersection(Tables::UNIX)
                .iter_tables()
                .next()
                .unwrap_or(Table::UnixStream);
            parts.push(Part {
                kind: PartKind::Unix,
                table: first,
                family: Family::Unix,
            });
        }
        for table in [Table::Raw, Table::Udp, Table::Tcp, Table::Mptcp] {
            if !self.tables.contains(table.bit()) {
                continue;
            }
            if table == Table::Tcp && self.replay.is_some() {
                parts.push(Part {
                    kind: PartKind::Replay,
                    table,
                    family: Family::Inet,
                });
                continue;
            }
            if table == Table::Tcp && single_walk && self.families.v4 && self.families.v6 {
                parts.push(Part {
                    kind: PartKind::TcpBoth,
                    table,
                    family: Family::Inet,
                });
                continue;
            }
            for (on, family) in [
                (self.families.v4, Family::Inet),
                (self.families.v6, Family::Inet6),
            ] {
                if on {
                    parts.push(Part {
                        kind: PartKind::Inet,
                        table,
                        family,
                    });
                }
            }
        }
        parts
    }

    fn encode(&self, part: &Part, seq: u32, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(&[0u8; NLMSG_HDRLEN]);
        match part.kind {
            PartKind::Inet => inet::encode_request(
                out,
                part.table,
                part.family,
                self.states.bits(),
                self.ext,
                self.kernel_program(),
            ),
            PartKind::Unix => unix::encode_request(out, self.states.bits(), self.unix_show),
            PartKind::Packet => packet::encode_request(out, self.packet_show),
            PartKind::Netlink => netlink::encode_request(out),
            PartKind::TcpBoth => inet::encode_compat_request(
                out,
                self.states.bits(),
                self.ext,
                self.kernel_program(),
            ),
            PartKind::Replay => {}
        }
        let ty = match part.kind {
            PartKind::TcpBoth => inet::TCPDIAG_GETSOCK,
            _ => SOCK_DIAG_BY_FAMILY,
        };
        let len = out.len() as u32;
        out[0..4].copy_from_slice(&len.to_ne_bytes());
        out[4..6].copy_from_slice(&ty.to_ne_bytes());
        out[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
        out[8..12].copy_from_slice(&seq.to_ne_bytes());
        // nlmsg_pid 0: the kernel fills in the sender.
    }

    /// Whether a socket decoded from a shared part (unix, packet, `/proc`)
    /// belongs to this query.
    fn wants(&self, s: &Socket) -> bool {
        self.tables.contains(s.netid.bit())
            && self.states.contains(s.state.bit())
            && self.user_filter(s)
    }

    /// Whether an inet socket's family was asked for.
    fn wants_family(&self, f: Family) -> bool {
        match f {
            Family::Inet => self.families.v4,
            Family::Inet6 => self.families.v6,
            _ => true,
        }
    }

    /// The user-space side of the filter, for sockets the kernel did not filter.
    fn user_filter(&self, s: &Socket) -> bool {
        self.filter.as_ref().is_none_or(|f| f.matches(s))
    }

    /// True when the kernel runs the filter for an inet dump.
    fn kernel_filters(&self) -> bool {
        match &self.filter {
            None => true,
            Some(f) => self.bytecode.is_none() && f.bytecode().is_some(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartKind {
    Inet,
    Unix,
    Packet,
    Netlink,
    /// TCP sockets read from a file of raw replies (`ss -D`), not the kernel.
    Replay,
    /// TCP over IPv4 and IPv6 in one `TCPDIAG_GETSOCK` request: the kernel
    /// walks its hash tables once instead of once per family (the IPv6 walk
    /// of a host with 100k IPv4 sockets costs as much as the IPv4 one and
    /// finds nothing). IPv4 sockets are yielded as they come; IPv6 replies
    /// are held back (up to [`DEFERRED_V6_MAX`] bytes) and yielded after, so
    /// the order is `ss`'s. If the kernel refuses the request, the part is
    /// replaced by one `Inet` part per family.
    TcpBoth,
}

#[derive(Debug, Clone, Copy)]
struct Part {
    kind: PartKind,
    table: Table,
    family: Family,
}

impl Part {
    /// True for parts the kernel's `inet_diag` answers (and filters).
    fn is_inet(&self) -> bool {
        matches!(self.kind, PartKind::Inet | PartKind::TcpBoth)
    }

    fn request(&self) -> Request {
        Request {
            table: self.table,
            family: self.family,
        }
    }
}

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

/// A `NETLINK_SOCK_DIAG` socket with its receive buffer.
///
/// Reuse one connection for many dumps: the buffer is allocated once.
pub struct Connection {
    /// `None` when netlink could not be opened: every table is read from
    /// `/proc/net` ([`Connection::open`]).
    sock: Option<NlSocket>,
    portid: u32,
    seq: u32,
    buf: Vec<u8>,
    req: Vec<u8>,
    netns: Option<NetNs>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("portid", &self.portid)
            .field("seq", &self.seq)
            .finish()
    }
}

impl Connection {
    /// Opens a connection in the caller's network namespace.
    pub fn new() -> Result<Connection> {
        let (sock, portid) = open_socket().map_err(Error::Open)?;
        Ok(Connection {
            sock: Some(sock),
            portid,
            seq: 0,
            buf: vec![0u8; RECV_BUF_LEN],
            req: Vec::with_capacity(128),
            netns: None,
        })
    }

    /// Opens a connection inside a network namespace; the caller's thread
    /// does not move. `/proc` fallbacks read that namespace's files too.
    pub fn in_netns(ns: &NetNs) -> Result<Connection> {
        let (sock, portid) = ns.run(open_socket)?.map_err(Error::Open)?;
        let own = NetNs::from_path(ns.path())?;
        Ok(Connection {
            sock: Some(sock),
            portid,
            seq: 0,
            buf: vec![0u8; RECV_BUF_LEN],
            req: Vec::with_capacity(128),
            netns: Some(own),
        })
    }

    /// Opens a connection in `ns` (or the caller's namespace), and when the
    /// `NETLINK_SOCK_DIAG` socket cannot be opened (a seccomp filter, a
    /// kernel without sock_diag), a connection that answers every table
    /// from `/proc/net` instead. [`Dump::sources`] says which answered.
    pub fn open(ns: Option<&NetNs>) -> Result<Connection> {
        let opened = match ns {
            None => Connection::new(),
            Some(ns) => Connection::in_netns(ns),
        };
        match opened {
            Err(Error::Open(_)) => Ok(Connection {
                sock: None,
                portid: 0,
                seq: 0,
                buf: vec![0u8; RECV_BUF_LEN],
                req: Vec::new(),
                netns: ns.map(|n| NetNs::from_path(n.path())).transpose()?,
            }),
            other => other,
        }
    }

    /// True when this connection has a netlink socket (see [`Connection::open`]).
    pub fn has_netlink(&self) -> bool {
        self.sock.is_some()
    }

    /// Runs a query on this connection.
    pub fn dump<'c>(&'c mut self, query: &Query) -> Dump<'c> {
        Dump::new(Slot::Borrowed(self), query.clone())
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
                let n = self.recv().map_err(|source| Error::Io {
                    context: "receiving sock_diag replies",
                    source,
                })?;
                let n = n.min(self.buf.len());
                let mut done = false;
                for msg in NlMsgs::new(&self.buf[..n]) {
                    let msg = msg.map_err(|error| Error::Decode {
                        request: part.request(),
                        error,
                    })?;
                    if msg.seq == seq && matches!(msg.ty, NLMSG_DONE | NLMSG_ERROR) {
                        done = true;
                    }
                }
                sink(part.request(), &self.buf[..n])?;
                if done {
                    break 'part;
                }
            }
        }
        Ok(())
    }

    fn send(&mut self, query: &Query, part: &Part) -> Result<u32> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let mut req = std::mem::take(&mut self.req);
        query.encode(part, seq, &mut req);
        let r = match &self.sock {
            Some(sock) => sock.send(&req, 0),
            None => Err(std::io::Error::from_raw_os_error(libc::ENOTCONN)),
        };
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

    /// One `recv` into the reusable buffer; returns the datagram length.
    fn recv(&mut self) -> std::io::Result<usize> {
        use std::os::fd::AsFd;
        let Some(sock) = self.sock.as_ref() else {
            return Err(std::io::Error::from_raw_os_error(libc::ENOTCONN));
        };
        // MSG_TRUNC: a datagram longer than the buffer is caught, not cut.
        crate::sys::recv(sock.as_fd(), &mut self.buf, true)
    }

    /// The filter context of this connection's namespace, read now.
    fn filter_context(&self) -> crate::filter::FilterContext {
        match &self.netns {
            None => crate::filter::FilterContext::current(),
            Some(ns) => ns
                .run(crate::filter::FilterContext::current)
                .unwrap_or_default(),
        }
    }

    fn open_proc(&self, name: &str) -> std::io::Result<File> {
        let path = PathBuf::from("/proc/thread-self/net").join(name);
        match &self.netns {
            None => File::open(&path),
            Some(ns) => ns
                .run(|| File::open(&path))
                .map_err(|e| std::io::Error::other(e.to_string()))?,
        }
    }
}

/// Opens a replay file without blocking on a FIFO that has no writer (which
/// then reads as empty); reads block as usual afterwards.
fn open_replay(path: &std::path::Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    crate::sys::set_blocking(std::os::fd::AsFd::as_fd(&f))?;
    Ok(f)
}

fn open_socket() -> std::io::Result<(NlSocket, u32)> {
    let mut sock = NlSocket::new(NETLINK_SOCK_DIAG as isize)?;
    let addr = sock.bind_auto()?;
    sock.connect(&SocketAddr::new(0, 0))?;
    Ok((sock, addr.port_number()))
}

enum Slot<'c> {
    Owned(Connection),
    Borrowed(&'c mut Connection),
}

impl Slot<'_> {
    fn get(&mut self) -> &mut Connection {
        match self {
            Slot::Owned(c) => c,
            Slot::Borrowed(c) => c,
        }
    }
}

enum Cursor {
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
    conn: Slot<'c>,
    query: Query,
    parts: Vec<Part>,
    next_part: usize,
    cur: Cursor,
    sources: Vec<(Request, Source)>,
    interrupted: bool,
    batches: u64,
    bytes: u64,
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
    fn new(mut conn: Slot<'c>, mut query: Query) -> Dump<'c> {
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
    fn answered(&mut self, request: Request, source: Source) {
        match self.sources.last_mut() {
            Some(last) if last.0 == request && last.1 == Source::Netlink => last.1 = source,
            _ => self.sources.push((request, source)),
        }
    }

    fn fall_back(&mut self, part: Part) -> Option<Result<Socket>> {
        let request = part.request();
        let name = if self.query.fallback {
            procnet::file_name(part.table, part.family)
        } else {
            None
        };
        let Some(name) = name else {
            self.answered(request, Source::Unsupported);
            return Some(Err(Error::Unsupported { request }));
        };
        match self.conn.get().open_proc(name) {
            Ok(f) if part.kind == PartKind::Unix => {
                // ss lists /proc/net/unix sorted by type, then inode.
                self.answered(request, Source::Proc);
                let path = PathBuf::from("/proc/net").join(name);
                let mut all = Vec::new();
                let mut line = String::new();
                let mut reader = BufReader::with_capacity(RECV_BUF_LEN, f);
                let mut lineno = 0;
                loop {
                    line.clear();
                    match reader.read_line(&mut line) {
                        Ok(0) => break,
                        Ok(n) => {
                            lineno += 1;
                            self.bytes += n as u64;
                            match procnet::parse_line(part.table, part.family, &line) {
                                Ok(Some(s)) if self.query.wants(&s) => all.push(s),
                                Ok(_) => {}
                                Err(reason) => {
                                    return Some(Err(Error::Proc {
                                        path,
                                        line: lineno,
                                        reason,
                                    }));
                                }
                            }
                        }
                        Err(source) => return Some(Err(Error::File { path, source })),
                    }
                }
                all.sort_by_key(|s| (s.netid, s.inode));
                self.cur = Cursor::Sorted {
                    items: all.into_iter(),
                };
                None
            }
            Ok(f) => {
                self.answered(request, Source::Proc);
                self.cur = Cursor::Proc {
                    reader: BufReader::with_capacity(RECV_BUF_LEN, f),
                    line: String::new(),
                    lineno: 0,
                    path: PathBuf::from("/proc/net").join(name),
                };
                None
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.answered(request, Source::Unsupported);
                Some(Err(Error::Unsupported { request }))
            }
            Err(source) => Some(Err(Error::File {
                path: PathBuf::from("/proc/net").join(name),
                source,
            })),
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

/// Largest message accepted from a replay file: a netlink datagram is at
/// most 32 KiB, so anything bigger is corruption, not data.
const MAX_REPLAY_MSG: usize = RECV_BUF_LEN;

/// Reads one netlink message of a replay file into `buf` (payload only).
/// Returns `(type, aligned length consumed, payload length)`, or `None` at
/// a clean end of file.
fn read_replay_message(
    r: &mut BufReader<File>,
    offset: usize,
    buf: &mut [u8],
) -> std::io::Result<Option<(u16, usize, usize)>> {
    use std::io::Read;
    let mut hdr = [0u8; NLMSG_HDRLEN];
    let mut got = 0;
    while got < hdr.len() {
        match r.read(&mut hdr[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if got == 0 {
        return Ok(None);
    }
    let bad = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    if got < NLMSG_HDRLEN {
        return Err(bad(format!(
            "truncated: the message header at byte {offset} needs {NLMSG_HDRLEN} bytes, \
             the file has {got} left"
        )));
    }
    let len = u32::from_ne_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]) as usize;
    let ty = u16::from_ne_bytes([hdr[4], hdr[5]]);
    let max = MAX_REPLAY_MSG.min(buf.len());
    if len < NLMSG_HDRLEN || len > max {
        return Err(bad(format!(
            "corrupt: the message at byte {offset} gives its length (nlmsg_len) as {len}, \
             not between {NLMSG_HDRLEN} and {max}: not a file written by ss -D or rss -D"
        )));
    }
    let payload = len - NLMSG_HDRLEN;
    let padded = align4(len) - NLMSG_HDRLEN;
    let mut read = 0;
    while read < padded {
        match r.read(&mut buf[read..padded]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    // The last message may lack its alignment padding.
    if read < payload {
        return Err(bad(format!(
            "truncated: the message at byte {offset} is {len} bytes long, the file has {} left",
            NLMSG_HDRLEN + read
        )));
    }
    Ok(Some((ty, NLMSG_HDRLEN + read, payload)))
}

/// Convenience: runs `query` and collects every socket (stops at the first error).
pub fn collect(query: &Query) -> Result<Vec<Socket>> {
    query.dump()?.collect()
}
