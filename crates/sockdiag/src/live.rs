//! Acting on sockets and watching them: `SOCK_DESTROY` (`ss -K`) and the
//! destroy events of `ss -E`.
//!
//! Both need `CAP_NET_ADMIN`, and each owns its own `NETLINK_SOCK_DIAG`
//! socket: a kill must not interleave with the dump that selected it, and
//! an event subscription is a socket that only listens. The sockets are
//! opened, and their replies received, as a dump's are; events are
//! decoded by the public decoder ([`crate::decode`]). [`Events`] can be
//! waited for with a timeout, stopped from another thread, and polled
//! (`AsFd`).
#![deny(unsafe_code)]

use crate::consts::*;
use crate::decode::{Message, decode_message};
use crate::error::{Error, Request, Result};
use crate::model::{Endpoint, Family, Socket, Table, Tables};
use crate::netns::NetNs;
use crate::query::{DiagSocket, Inbox};
use crate::wire::u32_ne;
use crate::{Query, inet};
use std::net::{IpAddr, SocketAddr};

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `SOCK_DESTROY` (`<linux/sock_diag.h>`).
const SOCK_DESTROY: u16 = 21;
/// `NLM_F_ACK` (`<linux/netlink.h>`).
const NLM_F_ACK: u16 = 0x04;
/// `enum sknetlink_groups` (`<linux/sock_diag.h>`).
const SKNLGRP_INET_TCP_DESTROY: u32 = 1;
const SKNLGRP_INET_UDP_DESTROY: u32 = 2;
const SKNLGRP_INET6_TCP_DESTROY: u32 = 3;
const SKNLGRP_INET6_UDP_DESTROY: u32 = 4;
/// `SO_MEMINFO` (`<asm-generic/socket.h>`) and the index of the drop
/// counter in its array (`SK_MEMINFO_DROPS`, `<linux/sock_diag.h>`).
const SO_MEMINFO: libc::c_int = 55;
const SK_MEMINFO_DROPS: usize = 8;

fn open(ns: Option<&NetNs>, groups: u32) -> Result<DiagSocket> {
    let make = move || DiagSocket::open(groups);
    match ns {
        None => make(),
        Some(ns) => ns.run(make)?,
    }
    .map_err(|e| match e.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => Error::PermissionDenied {
            request: Request {
                table: Table::Tcp,
                family: Family::Inet,
            },
        },
        _ => Error::Open(e),
    })
}

/// Closes sockets with `SOCK_DESTROY`, as `ss -K` does: a TCP socket is
/// aborted (its peer gets a reset), a UDP or raw socket's pending calls
/// fail with `ECONNABORTED`. Needs `CAP_NET_ADMIN` in the socket's
/// namespace.
///
/// The kernel finds the socket by its id, a [`SocketId`]: table, family,
/// local and remote address and port, and interface; then, when the id
/// carries a cookie, it checks the cookie, and closes nothing on a
/// mismatch. [`Killer::kill`] closes a socket of a dump, by the id and
/// cookie the dump gave it: a connection that took the same addresses and
/// ports after the dump is never touched. [`Killer::kill_id`] closes a
/// connection a tool knows by its addresses and ports, without a dump.
///
/// Closing by cookie alone is a dump, filtered to that cookie, followed by
/// [`Killer::kill`]:
///
/// ```no_run
/// use sockdiag::{Killer, Query};
/// # fn main() -> sockdiag::Result<()> {
/// let cookie: u64 = 0x2a;
/// let mut killer = Killer::open(None)?;
/// for s in Query::tcp().dump()?.flatten().filter(|s| s.cookie == Some(cookie)) {
///     let closed = killer.kill(&s)?;
///     println!("{}: {}", s.local, if closed { "closed" } else { "gone already" });
/// }
/// # Ok(())
/// # }
/// ```
pub struct Killer {
    sock: DiagSocket,
    seq: u32,
    req: Vec<u8>,
    inbox: Inbox,
}

impl std::fmt::Debug for Killer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Killer").field("seq", &self.seq).finish()
    }
}

impl Killer {
    /// Opens a killer in `ns` (or the caller's namespace).
    pub fn open(ns: Option<&NetNs>) -> Result<Killer> {
        let sock = open(ns, 0)?;
        Ok(Killer {
            sock,
            seq: 0,
            req: Vec::with_capacity(128),
            inbox: Inbox::new(8192),
        })
    }

    /// Destroys `s`, a socket of a dump, by its id and cookie
    /// ([`SocketId::of`]). `Ok(true)` when the kernel closed it;
    /// `Ok(false)` when it cannot be closed, is already gone, or its id now
    /// names another socket (another cookie), which `ss -K` passes over
    /// silently, and for a socket with no id (not inet) or no cookie (read
    /// from `/proc/net`: by its addresses alone it could be a newer
    /// connection; [`Killer::kill_id`] closes by addresses when that is
    /// meant). Errors otherwise (`EPERM` without `CAP_NET_ADMIN`).
    pub fn kill(&mut self, s: &Socket) -> Result<bool> {
        match SocketId::of(s) {
            Some(id) if id.cookie.is_some() => self.kill_id(&id),
            _ => Ok(false),
        }
    }

    /// Destroys the socket `id` names: the kernel looks it up by table,
    /// family, addresses, ports and interface, then checks the cookie when
    /// `id` has one. `Ok(true)` when the kernel closed it; `Ok(false)` when
    /// no socket has this id (or it has another cookie), or it cannot be
    /// closed (`ENOENT`, `EOPNOTSUPP`); errors otherwise (`EPERM` without
    /// `CAP_NET_ADMIN`).
    ///
    /// When no connection has the id, the kernel's lookup falls back to a
    /// listener on the local address and port (TCP), or to an unconnected
    /// socket bound there (UDP). So, without a cookie, the socket is first
    /// looked up (`SOCK_DIAG_BY_FAMILY` for that one id) and closed, by the
    /// cookie found, only when its ends are the id's: the id of a
    /// server-side connection that has gone never closes its listener.
    ///
    /// ```no_run
    /// use sockdiag::{Killer, SocketId};
    /// # fn main() -> sockdiag::Result<()> {
    /// // The connection from 10.0.0.2:40000 to 10.0.0.1:5432 on this host.
    /// let id = SocketId::tcp("10.0.0.2:40000".parse().unwrap(), "10.0.0.1:5432".parse().unwrap());
    /// let mut killer = Killer::open(None)?;
    /// if !killer.kill_id(&id)? {
    ///     eprintln!("no such connection");
    /// }
    /// // Only if it is still the connection seen before (its cookie), and
    /// // on the socket bound to interface 3:
    /// let exact = id.with_interface(3).with_cookie(0x2a);
    /// killer.kill_id(&exact)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn kill_id(&mut self, id: &SocketId) -> Result<bool> {
        let cookie = match id.cookie {
            Some(c) => c,
            None => match self.find(id)? {
                Some(c) => c,
                None => return Ok(false),
            },
        };
        match self.ask(SOCK_DESTROY, NLM_F_ACK, id, Some(cookie))? {
            Answer::Errno(0) => Ok(true),
            // ENOENT: no such socket, or (the kernel's answer to a cookie
            // mismatch) not the one asked for; ESTALE is what
            // sock_diag_check_cookie itself returns.
            Answer::Errno(libc::EOPNOTSUPP | libc::ENOENT | libc::ESTALE) => Ok(false),
            Answer::Errno(errno) => Err(errno_error(id, errno)),
            Answer::Socket(_) => Ok(false),
        }
    }

    /// The cookie of the socket the kernel finds for `id`, when its ends
    /// are `id`'s (not a listener it fell back to); `None` otherwise.
    fn find(&mut self, id: &SocketId) -> Result<Option<u64>> {
        // udp_dump_one looks the id up with its ends swapped ("for
        // historical reasons", says the kernel); udp_diag_destroy does not.
        let asked = match id.table {
            Table::Udp => SocketId {
                local: id.remote,
                remote: id.local,
                ..*id
            },
            _ => *id,
        };
        match self.ask(SOCK_DIAG_BY_FAMILY, 0, &asked, None)? {
            Answer::Socket(s) => Ok(SocketId::of(&s)
                .filter(|found| found.same_ends(id))
                .and_then(|found| found.cookie)),
            Answer::Errno(0 | libc::ENOENT | libc::EOPNOTSUPP) => Ok(None),
            Answer::Errno(errno) => Err(errno_error(id, errno)),
        }
    }

    /// Sends one request of type `ty` naming `id` (with `cookie`), and
    /// returns its answer: an error code, or the socket found.
    fn ask(&mut self, ty: u16, flags: u16, id: &SocketId, cookie: Option<u64>) -> Result<Answer> {
        let request = Request {
            table: id.table,
            family: id.family(),
        };
        self.seq = self.seq.wrapping_add(1);
        self.req.clear();
        self.req.extend_from_slice(&[0u8; NLMSG_HDRLEN]);
        let (local, remote) = id.ends();
        inet::encode_exact(
            &mut self.req,
            id.table,
            id.family(),
            local,
            remote,
            id.interface,
            cookie,
        );
        let len = self.req.len() as u32;
        self.req[0..4].copy_from_slice(&len.to_ne_bytes());
        self.req[4..6].copy_from_slice(&ty.to_ne_bytes());
        self.req[6..8].copy_from_slice(&(NLM_F_REQUEST | flags).to_ne_bytes());
        self.req[8..12].copy_from_slice(&self.seq.to_ne_bytes());
        self.sock.send(&self.req).map_err(|source| Error::Io {
            context: "sending a SOCK_DESTROY request",
            source,
        })?;
        loop {
            let sock = &self.sock;
            self.inbox
                .fill(|buf| sock.recv(buf))
                .map_err(|source| Error::Io {
                    context: "receiving the SOCK_DESTROY answer",
                    source,
                })?;
            while let Some(msg) = self.inbox.take() {
                let (msg, _) = msg.map_err(|error| Error::Decode { request, error })?;
                if msg.seq != self.seq {
                    continue;
                }
                if msg.ty == NLMSG_ERROR {
                    let code = u32_ne(msg.payload, 0) as i32;
                    return Ok(Answer::Errno(code.checked_neg().unwrap_or(i32::MAX)));
                }
                if msg.ty == SOCK_DIAG_BY_FAMILY {
                    return match decode_message(id.table, &msg) {
                        Ok(Message::Socket(s)) => Ok(Answer::Socket(Box::new(s))),
                        Ok(_) => Ok(Answer::Errno(libc::ENOENT)),
                        Err(error) => Err(Error::Decode { request, error }),
                    };
                }
            }
        }
    }
}

/// The kernel's answer to one request of a [`Killer`].
enum Answer {
    /// An error code (0: done), positive.
    Errno(i32),
    /// The socket found.
    Socket(Box<Socket>),
}

/// The error for `errno` answering a request about `id`.
fn errno_error(id: &SocketId, errno: i32) -> Error {
    let request = Request {
        table: id.table,
        family: id.family(),
    };
    match errno {
        libc::EPERM | libc::EACCES => Error::PermissionDenied { request },
        errno => Error::Kernel { request, errno },
    }
}

/// The id `SOCK_DESTROY` finds an inet socket by (`inet_diag_sockid`):
/// its table, local and remote address and port, the interface it is bound
/// to, and optionally its cookie, checked by the kernel after the lookup.
///
/// The family is the addresses': IPv4 when both are IPv4, IPv6 otherwise
/// (an IPv4 address beside an IPv6 one is taken as IPv4-mapped,
/// `::ffff:a.b.c.d`, as a dual-stack socket reports it).
///
/// ```
/// use sockdiag::{SocketId, Table};
/// let id = SocketId::tcp("127.0.0.1:40000".parse().unwrap(), "127.0.0.1:5000".parse().unwrap());
/// assert_eq!(id.table(), Table::Tcp);
/// assert_eq!(id.cookie(), None);
/// assert_eq!(id.with_cookie(7).cookie(), Some(7));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SocketId {
    table: Table,
    local: SocketAddr,
    remote: SocketAddr,
    interface: u32,
    cookie: Option<u64>,
}

impl SocketId {
    /// The TCP connection from `local` to `remote`, on no interface in
    /// particular, with no cookie check.
    pub fn tcp(local: SocketAddr, remote: SocketAddr) -> SocketId {
        SocketId {
            table: Table::Tcp,
            local,
            remote,
            interface: 0,
            cookie: None,
        }
    }

    /// The UDP socket bound to `local` and connected to `remote` (for an
    /// unconnected one, the unspecified address and port 0), on no
    /// interface in particular, with no cookie check.
    pub fn udp(local: SocketAddr, remote: SocketAddr) -> SocketId {
        SocketId {
            table: Table::Udp,
            ..SocketId::tcp(local, remote)
        }
    }

    /// The id of `s`, a socket of a dump: its table, ends, interface and
    /// cookie. `None` for a socket that is not inet or has no addresses.
    pub fn of(s: &Socket) -> Option<SocketId> {
        let (Endpoint::Inet { addr: la, port: lp }, Endpoint::Inet { addr: ra, port: rp }) =
            (&s.local, &s.peer)
        else {
            return None;
        };
        if !s.netid.is_inet() {
            return None;
        }
        // A dump reports both ends in the socket's own family.
        let fix = |a: IpAddr| match (s.family, a) {
            (Family::Inet6, IpAddr::V4(v)) => IpAddr::V6(v.to_ipv6_mapped()),
            (Family::Inet, IpAddr::V6(v)) => v.to_ipv4_mapped().map_or(a, IpAddr::V4),
            _ => a,
        };
        Some(SocketId {
            table: s.netid,
            local: SocketAddr::new(fix(*la), *lp),
            remote: SocketAddr::new(fix(*ra), *rp),
            interface: s.interface,
            cookie: s.cookie,
        })
    }

    /// The same id, on the socket bound to interface `ifindex` (a socket
    /// bound with `SO_BINDTODEVICE`, or an IPv6 link-local one, is found
    /// only by its interface).
    pub fn with_interface(self, ifindex: u32) -> SocketId {
        SocketId {
            interface: ifindex,
            ..self
        }
    }

    /// The same id, closing the socket only if its cookie is `cookie`.
    pub fn with_cookie(self, cookie: u64) -> SocketId {
        SocketId {
            cookie: Some(cookie),
            ..self
        }
    }

    /// The table.
    pub fn table(&self) -> Table {
        self.table
    }

    /// The local address and port.
    pub fn local(&self) -> SocketAddr {
        self.local
    }

    /// The remote address and port.
    pub fn remote(&self) -> SocketAddr {
        self.remote
    }

    /// The interface index, 0 for none.
    pub fn interface(&self) -> u32 {
        self.interface
    }

    /// The cookie the kernel checks, if any.
    pub fn cookie(&self) -> Option<u64> {
        self.cookie
    }

    /// The family: IPv4 when both ends are IPv4.
    pub fn family(&self) -> Family {
        match (self.local, self.remote) {
            (SocketAddr::V4(_), SocketAddr::V4(_)) => Family::Inet,
            _ => Family::Inet6,
        }
    }

    /// The same table, addresses and ports as `other` (an IPv4 address
    /// and its IPv4-mapped IPv6 form are the same).
    fn same_ends(&self, other: &SocketId) -> bool {
        let canon = |a: SocketAddr| {
            let ip = match a.ip() {
                IpAddr::V4(v) => v.to_ipv6_mapped(),
                IpAddr::V6(v) => v,
            };
            (ip, a.port())
        };
        self.table == other.table
            && canon(self.local) == canon(other.local)
            && canon(self.remote) == canon(other.remote)
    }

    /// Both ends as the family writes them (an IPv4 end of an IPv6 id as
    /// IPv4-mapped).
    fn ends(&self) -> ((IpAddr, u16), (IpAddr, u16)) {
        let v6 = self.family() == Family::Inet6;
        let end = |a: SocketAddr| match a.ip() {
            IpAddr::V4(v) if v6 => (IpAddr::V6(v.to_ipv6_mapped()), a.port()),
            ip => (ip, a.port()),
        };
        (end(self.local), end(self.remote))
    }
}

/// A subscription to the kernel's socket destroy events (`ss -E`): every
/// TCP or UDP socket of the selected families that closes is reported
/// once, with state `Close` (UNCONN) and its last queues and timer.
///
/// # Threads, timeouts and async
///
/// `Events` is `Send` and `Sync`. As an [`Iterator`], [`next`](Iterator::next)
/// blocks until an event the query selects arrives, and ends (`None`) once
/// the subscription is stopped: [`Events::stopper`] hands out an
/// [`EventsStopper`] that another thread calls to wake and end a thread
/// blocked in `next`. [`Events::next_timeout`] waits at most a given time;
/// with [`Duration::ZERO`] it never blocks and returns what is already
/// queued.
///
/// `Events` implements [`AsFd`] and [`AsRawFd`]: the descriptor is the
/// netlink socket, readable when events are queued, for `poll(2)`, `epoll`
/// or tokio's `AsyncFd` (wait until readable, then call
/// `next_timeout(Duration::ZERO)` until it returns `Ok(None)`, which means
/// the socket is drained; `crates/sockdiag/examples/async_events.rs` is the
/// whole recipe). Reading the descriptor directly would steal events.
///
/// ```no_run
/// use std::time::Duration;
/// use sockdiag::{Events, Query};
///
/// let mut events = Events::subscribe(&Query::tcp(), None)?;
/// let stopper = events.stopper();
/// let watcher = std::thread::spawn(move || events.by_ref().filter_map(Result::ok).count());
/// std::thread::sleep(Duration::from_secs(10));
/// stopper.stop()?; // the watcher's `next` returns None
/// println!("{} sockets closed", watcher.join().unwrap());
/// # Ok::<(), sockdiag::Error>(())
/// ```
pub struct Events {
    sock: DiagSocket,
    inbox: Inbox,
    query: Query,
    /// An eventfd, readable once the subscription is stopped.
    stop: Arc<OwnedFd>,
    stopped: bool,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events")
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}

/// Stops an [`Events`] subscription from any thread: the thread blocked in
/// its [`next`](Iterator::next) (or [`Events::next_timeout`]) wakes and
/// gets `None` (`Ok(None)`), and so does every later call. Cloning it is
/// cheap; it keeps no socket open, only the wake-up descriptor.
#[derive(Clone)]
pub struct EventsStopper {
    stop: Arc<OwnedFd>,
}

impl std::fmt::Debug for EventsStopper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventsStopper").finish_non_exhaustive()
    }
}

impl EventsStopper {
    /// Stops the subscription. Stopping twice, or after the [`Events`] is
    /// dropped, does nothing more.
    pub fn stop(&self) -> Result<()> {
        crate::sys::eventfd_signal(self.stop.as_fd()).map_err(|source| Error::Io {
            context: "waking the event subscription (eventfd)",
            source,
        })
    }
}

impl AsFd for Events {
    /// The netlink socket the events arrive on: the same descriptor, open,
    /// for the `Events`' whole life (what tokio's `AsyncFd::register` asks
    /// of it).
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.fd()
    }
}

impl AsRawFd for Events {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.fd().as_raw_fd()
    }
}

impl Events {
    /// Subscribes to the destroy events of the TCP and UDP tables in
    /// `query` (its families too); its states and filter select which
    /// events are returned.
    pub fn subscribe(query: &Query, ns: Option<&NetNs>) -> Result<Events> {
        let t = query.tables();
        let f = query.inet_families();
        let mut groups = 0u32;
        for (on, g) in [
            (t.contains(Tables::TCP) && f.v4, SKNLGRP_INET_TCP_DESTROY),
            (t.contains(Tables::UDP) && f.v4, SKNLGRP_INET_UDP_DESTROY),
            (t.contains(Tables::TCP) && f.v6, SKNLGRP_INET6_TCP_DESTROY),
            (t.contains(Tables::UDP) && f.v6, SKNLGRP_INET6_UDP_DESTROY),
        ] {
            if on {
                groups |= 1 << (g - 1);
            }
        }
        let sock = open(ns, groups)?;
        let stop = crate::sys::eventfd().map_err(Error::Open)?;
        Ok(Events {
            sock,
            inbox: Inbox::new(crate::query::RECV_BUF_LEN),
            query: query.clone(),
            stop: Arc::new(stop),
            stopped: false,
        })
    }

    /// A handle that stops this subscription from another thread.
    pub fn stopper(&self) -> EventsStopper {
        EventsStopper {
            stop: Arc::clone(&self.stop),
        }
    }

    /// Whether the subscription was stopped ([`EventsStopper::stop`]).
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// The next event the query selects, waiting at most `timeout`:
    /// `Ok(None)` when none arrived in time, or when the subscription is
    /// stopped ([`Events::is_stopped`] tells which). With
    /// [`Duration::ZERO`] it never blocks: it returns an event already
    /// queued, or `Ok(None)` once the socket holds nothing more.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let mut events = sockdiag::Events::subscribe(&sockdiag::Query::tcp(), None)?;
    /// match events.next_timeout(Duration::from_secs(1))? {
    ///     Some(s) => println!("closed: {} -> {}", s.local, s.peer),
    ///     None => println!("nothing closed for a second"),
    /// }
    /// # Ok::<(), sockdiag::Error>(())
    /// ```
    pub fn next_timeout(&mut self, timeout: Duration) -> Result<Option<Socket>> {
        let deadline = Instant::now().checked_add(timeout);
        self.next_until(Some(deadline.unwrap_or_else(far_future)))
    }

    /// The next selected event before `deadline` (`None`: no deadline);
    /// `Ok(None)` when the deadline passed or the subscription is stopped.
    fn next_until(&mut self, deadline: Option<Instant>) -> Result<Option<Socket>> {
        loop {
            if self.stopped {
                return Ok(None);
            }
            if self.inbox.is_read() && !self.receive(deadline)? {
                return Ok(None);
            }
            // Bytes that cannot be framed: the rest of the datagram is dropped.
            let Some(Ok((msg, _))) = self.inbox.take() else {
                continue;
            };
            if msg.ty != SOCK_DIAG_BY_FAMILY {
                continue;
            }
            let Some(table) = inet::table_of(msg.payload) else {
                continue;
            };
            match decode_message(table, &msg) {
                Ok(Message::Socket(s)) if self.query.selects(&s) => return Ok(Some(s)),
                Ok(_) => continue,
                Err(error) => {
                    let request = Request {
                        table,
                        family: Family::Inet,
                    };
                    return Err(Error::Decode { request, error });
                }
            }
        }
    }

    /// Waits for the socket or the stopper until `deadline`, then receives
    /// one datagram into the inbox. `Ok(false)`: the deadline passed, or
    /// the subscription was stopped (`self.stopped` set).
    fn receive(&mut self, deadline: Option<Instant>) -> Result<bool> {
        loop {
            let timeout_ms = match deadline {
                None => -1,
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    // Rounded up: poll(2) would return early, and a wait
                    // under a millisecond would spin.
                    let ms = left.as_micros().div_ceil(1000);
                    ms.min(libc::c_int::MAX as u128) as libc::c_int
                }
            };
            let mut ready = [false; 2];
            crate::sys::poll_in(&[self.sock.fd(), self.stop.as_fd()], timeout_ms, &mut ready)
                .map_err(|source| Error::Io {
                    context: "waiting for destroy events (poll)",
                    source,
                })?;
            if ready[1] {
                self.stopped = true;
                return Ok(false);
            }
            if ready[0] {
                let sock = &self.sock;
                match self.inbox.fill(|buf| sock.recv_nowait(buf)) {
                    Ok(_) => return Ok(true),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    // The kernel dropped events: say so and go on.
                    Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                        let request = Request {
                            table: Table::Tcp,
                            family: Family::Inet,
                        };
                        return Err(Error::Kernel {
                            request,
                            errno: libc::ENOBUFS,
                        });
                    }
                    Err(source) => {
                        return Err(Error::Io {
                            context: "receiving destroy events",
                            source,
                        });
                    }
                }
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(false);
            }
        }
    }
}

/// A deadline no wait reaches (for a timeout too large to add to now).
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600)
}

impl Events {
    /// How many events the kernel has dropped on this subscription so far,
    /// because its receive buffer was full (the socket's drop counter,
    /// `SO_MEMINFO`). After [`Events`] yields an `ENOBUFS` error, the
    /// difference from the previous count is the number of lost events.
    pub fn drops(&self) -> Result<u32> {
        let mut mem = [0u32; 16];
        let len = crate::sys::getsockopt_u32s(self.sock.fd(), SO_MEMINFO, &mut mem).map_err(
            |source| Error::Io {
                context: "reading the event socket's drop counter (SO_MEMINFO)",
                source,
            },
        )?;
        Ok(if len / 4 > SK_MEMINFO_DROPS {
            mem[SK_MEMINFO_DROPS]
        } else {
            0
        })
    }
}

impl Iterator for Events {
    type Item = Result<Socket>;

    /// Blocks until the next event that the query selects; `None` once the
    /// subscription is stopped ([`Events::stopper`]). An `ENOBUFS` error
    /// (events lost, see [`Events::drops`]) does not end the iteration.
    fn next(&mut self) -> Option<Result<Socket>> {
        self.next_until(None).transpose()
    }
}
