//! A socket, the processes holding it, and the rarer facts it keeps behind
//! one pointer.

use crate::tcp_info::{MptcpInfo, TcpInfo};

use super::endpoint::Endpoint;
use super::info::{
    BbrInfo, DctcpInfo, MemInfo, MptcpSubflowInfo, NetlinkInfo, PacketInfo, SkMemInfo, SockOpt,
    TlsInfo, UnixInfo, VegasInfo,
};
use super::names::ShortName;
use super::state::State;
use super::table::{Family, Table};
use super::timer::{Shutdown, Timer};

/// A process holding a socket open (what `ss -p` prints as
/// `users:(("COMMAND",pid=PID,fd=FD))`).
///
/// Non-exhaustive: more facts about the holder may follow. Build one with
/// [`Process::new`]:
///
/// ```
/// let p = sockdiag::Process::new("nginx", 812, 6);
/// assert_eq!((p.command.as_str(), p.pid, p.fd, p.tid), ("nginx", 812, 6, None));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Process {
    /// Command name: `/proc/PID/comm` (or the thread's), raw. It is
    /// whatever the process set with `prctl(PR_SET_NAME)` or its program
    /// file's name: up to 15 bytes that may hold newlines, quotes, `)` or
    /// terminal escapes (`ESC[31m`); each byte that is not UTF-8 is one
    /// U+FFFD. Never print it as is: [`ss::command_text`](crate::ss::command_text)
    /// gives the text `ss -p` prints, printable ASCII only.
    ///
    /// ```
    /// let p = sockdiag::Process::new("evil\x1b[2J\n", 7, 3);
    /// assert_eq!(sockdiag::ss::command_text(&p.command), "evil.[2J.");
    /// ```
    pub command: String,
    /// Process id.
    pub pid: i32,
    /// File descriptor number.
    pub fd: i32,
    /// Thread id, when threads were asked for and differ from `pid`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tid: Option<i32>,
}

impl Process {
    /// Process `pid` holding the socket as descriptor `fd`; no thread id.
    pub fn new(command: impl Into<String>, pid: i32, fd: i32) -> Process {
        Process {
            command: command.into(),
            pid,
            fd,
            tid: None,
        }
    }
}

/// One socket, with every fact the request asked the kernel for.
///
/// Fields the kernel did not send are `None` (and absent from JSON).
///
/// At most 512 bytes (`size_of::<Socket>()`, asserted by a unit test) and
/// no heap allocation for a TCP or UDP socket with what `ss -tuanoiem`
/// asks for (under a congestion control outside [`CC_INFO_IN_DETAIL`]): endpoints, queues, timer, `tcp_info`, congestion control,
/// socket memory, cgroup, mark and socket options are inline. Rarer facts
/// ([`Detail`]: MPTCP info, ULP and MPTCP subflow state, TOS and class
/// id, Vegas/DCTCP/BBR, unix, packet and netlink facts, processes) share
/// one `Box`, allocated only for sockets that have one of them; a named
/// unix socket's name is boxed in its [`UnixName`](crate::UnixName).
///
/// ```
/// use sockdiag::{Endpoint, Family, Process, Socket, State, Table};
/// let mut s = Socket::new(Table::Tcp, Family::Inet, State::Listen);
/// s.local = Endpoint::Inet { addr: "0.0.0.0".parse().unwrap(), port: 22 };
/// assert_eq!(s.local.to_string(), "0.0.0.0:22");
/// assert!(s.detail().is_none() && s.processes().is_empty());
/// s.detail_or_insert().processes.push(Process::new("sshd", 700, 3));
/// assert_eq!(s.processes()[0].command, "sshd");
/// assert!(std::mem::size_of::<Socket>() <= 512);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Socket {
    /// The table (`ss`'s Netid).
    pub netid: Table,
    /// The address family.
    pub family: Family,
    /// The state.
    pub state: State,
    /// Receive queue: bytes not yet read; for listeners, connections waiting
    /// to be accepted; for UDP and unix, kernel buffer space in use.
    pub recv_q: u32,
    /// Send queue: bytes not yet acknowledged; for listeners, the backlog.
    pub send_q: u32,
    /// The local end.
    pub local: Endpoint,
    /// The remote end.
    pub peer: Endpoint,
    /// Interface the socket is bound to (`SO_BINDTODEVICE`, scope id), 0 for none.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
    pub interface: u32,
    /// Owner's user id.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub uid: Option<u32>,
    /// Socket inode (0 for TIME-WAIT and not-yet-accepted sockets).
    pub inode: u64,
    /// The kernel's socket cookie.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub cookie: Option<u64>,
    /// The pending timer, if any.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub timer: Option<Timer>,
    /// Directions shut down.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub shutdown: Option<Shutdown>,
    /// `struct tcp_info` (TCP and MPTCP subflows, with the info extension).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tcp_info: Option<TcpInfo>,
    /// Congestion control algorithm.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub congestion: Option<ShortName>,
    /// `SK_MEMINFO` memory accounting.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub skmem: Option<SkMemInfo>,
    /// Legacy `inet_diag_meminfo` (sent beside `skmem` when memory is asked for).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub meminfo: Option<MemInfo>,
    /// `IPV6_V6ONLY` (IPv6 sockets only).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub v6only: Option<bool>,
    /// `SO_MARK` (sent to `CAP_NET_ADMIN` callers only).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub mark: Option<u32>,
    /// cgroup v2 id.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub cgroup_id: Option<u64>,
    /// Socket options (`INET_DIAG_SOCKOPT`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub sockopt: Option<SockOpt>,
    /// The rarer facts, behind one pointer; their JSON keys sit beside the
    /// others (`tos`, `bbr`, `unix`, `processes`, ...).
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub(crate) detail: DetailBox,
}

/// The congestion controls whose own info the decoder keeps in the boxed
/// [`Detail`]: the condition of the no-allocation promise.
///
/// The kernel sends a congestion control's info only when it has some:
/// `INET_DIAG_VEGASINFO` (Vegas, and Illinois and Westwood, which report in
/// Vegas' struct), `INET_DIAG_DCTCPINFO` (DCTCP) or `INET_DIAG_BBRINFO`
/// (BBR). A TCP socket under one of these, dumped with
/// [`Query::with_info`](crate::Query::with_info), costs exactly one
/// allocation (its `Detail`); under any other (reno, cubic, highspeed, ...)
/// the kernel sends no such attribute and the socket decodes without
/// allocating. `tests/no_alloc.rs` checks both under every congestion
/// control the running kernel offers.
///
/// ```
/// assert!(sockdiag::CC_INFO_IN_DETAIL.contains(&"bbr"));
/// assert!(!sockdiag::CC_INFO_IN_DETAIL.contains(&"cubic"));
/// ```
pub const CC_INFO_IN_DETAIL: &[&str] = &["bbr", "dctcp", "illinois", "vegas", "westwood"];

/// The facts most sockets do not have, kept behind one pointer so that a
/// [`Socket`] stays small: read them with [`Socket::detail`] (or the
/// shortcuts [`Socket::bbr`], [`Socket::unix`], [`Socket::processes`], ...),
/// write them with [`Socket::detail_or_insert`] (or [`Socket::detail_mut`]).
///
/// TCP and UDP sockets have none of these for what `ss -tuanoiem` asks,
/// unless their congestion control is one of [`CC_INFO_IN_DETAIL`], they
/// carry a ULP, the request asked for TOS (`--tos`) or processes (`-p`).
///
/// ```
/// use sockdiag::{BbrInfo, Family, Socket, State, Table};
/// let mut s = Socket::new(Table::Tcp, Family::Inet6, State::Established);
/// let mut bbr = BbrInfo::default();
/// bbr.bw = 125_000_000;
/// s.detail_or_insert().bbr = Some(bbr);
/// s.detail_or_insert().tos = Some(0x10);
/// assert_eq!(s.bbr().map(|b| b.bw), Some(125_000_000));
/// assert_eq!(s.tos(), Some(0x10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Detail {
    /// `struct mptcp_info` (MPTCP sockets, with the info extension).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub mptcp_info: Option<MptcpInfo>,
    /// Upper-layer protocol (`tls`, `mptcp`, ...).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub ulp: Option<ShortName>,
    /// MPTCP subflow state (TCP sockets whose ULP is `mptcp`, with the info
    /// extension).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub mptcp_subflow: Option<MptcpSubflowInfo>,
    /// Kernel TLS state (TCP sockets whose ULP is `tls`, with the info
    /// extension).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub tls: Option<TlsInfo>,
    /// IPv4 TOS byte (asked for with `Query::with_tos`).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub tos: Option<u8>,
    /// IPv6 traffic class (with the TOS extension).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub tclass: Option<u8>,
    /// cgroup v1 net_cls class id, or the socket priority (with the TOS extension).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub class_id: Option<u32>,
    /// TCP Vegas info.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub vegas: Option<VegasInfo>,
    /// DCTCP info.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub dctcp: Option<DctcpInfo>,
    /// BBR info.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub bbr: Option<BbrInfo>,
    /// Unix-specific facts.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub unix: Option<UnixInfo>,
    /// Packet-specific facts.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub packet: Option<PacketInfo>,
    /// Netlink-specific facts.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub netlink: Option<NetlinkInfo>,
    /// Processes holding the socket; filled by [`crate::ProcessMap`], empty otherwise.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub processes: Vec<Process>,
}

impl Detail {
    /// True when no fact is set (such a `Detail` equals none at all).
    pub fn is_empty(&self) -> bool {
        *self == Detail::default()
    }
}

/// `Socket`'s boxed [`Detail`]: `None` and an empty `Detail` are equal, and
/// an empty one is dropped when read back from JSON.
#[derive(Debug, Clone, Default)]
pub(crate) struct DetailBox(pub(crate) Option<Box<Detail>>);

impl DetailBox {
    fn get(&self) -> Option<&Detail> {
        self.0.as_deref().filter(|d| !d.is_empty())
    }
}

impl PartialEq for DetailBox {
    fn eq(&self, other: &DetailBox) -> bool {
        self.get() == other.get()
    }
}

impl Eq for DetailBox {}

impl std::hash::Hash for DetailBox {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.get().hash(h)
    }
}

#[cfg(feature = "serde")]
pub(crate) fn is_zero(v: &u32) -> bool {
    *v == 0
}

macro_rules! detail_getters {
    ($( $(#[$doc:meta])* $name:ident -> $ty:ty ),* $(,)?) => {
        impl Socket {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> Option<&$ty> {
                    self.detail.0.as_deref()?.$name.as_ref()
                }
            )*
        }
    };
}

detail_getters! {
    /// `struct mptcp_info` ([`Detail::mptcp_info`]).
    mptcp_info -> MptcpInfo,
    /// Upper-layer protocol name ([`Detail::ulp`]).
    ulp -> ShortName,
    /// MPTCP subflow state ([`Detail::mptcp_subflow`]).
    mptcp_subflow -> MptcpSubflowInfo,
    /// Kernel TLS state ([`Detail::tls`]).
    tls -> TlsInfo,
    /// Vegas info ([`Detail::vegas`]).
    vegas -> VegasInfo,
    /// DCTCP info ([`Detail::dctcp`]).
    dctcp -> DctcpInfo,
    /// BBR info ([`Detail::bbr`]).
    bbr -> BbrInfo,
    /// Unix-specific facts ([`Detail::unix`]).
    unix -> UnixInfo,
    /// Packet-specific facts ([`Detail::packet`]).
    packet -> PacketInfo,
    /// Netlink-specific facts ([`Detail::netlink`]).
    netlink -> NetlinkInfo,
}

impl Socket {
    /// A socket with only its table, family and state set; decoders fill the rest.
    pub fn new(netid: Table, family: Family, state: State) -> Socket {
        Socket {
            netid,
            family,
            state,
            recv_q: 0,
            send_q: 0,
            local: Endpoint::None,
            peer: Endpoint::None,
            interface: 0,
            uid: None,
            inode: 0,
            cookie: None,
            timer: None,
            shutdown: None,
            tcp_info: None,
            congestion: None,
            skmem: None,
            meminfo: None,
            v6only: None,
            mark: None,
            cgroup_id: None,
            sockopt: None,
            detail: DetailBox(None),
        }
    }

    /// The rarer facts ([`Detail`]), `None` when the socket has none.
    pub fn detail(&self) -> Option<&Detail> {
        self.detail.get()
    }

    /// The rarer facts, to change, when the socket has a [`Detail`] (which
    /// may be empty); never allocates.
    pub fn detail_mut(&mut self) -> Option<&mut Detail> {
        self.detail.0.as_deref_mut()
    }

    /// The rarer facts, to write: allocates an empty [`Detail`] the first
    /// time (an empty one still compares equal to none).
    pub fn detail_or_insert(&mut self) -> &mut Detail {
        self.detail.0.get_or_insert_with(Box::default)
    }

    /// Processes holding the socket ([`Detail::processes`]), filled by
    /// [`crate::ProcessMap`]; empty otherwise.
    pub fn processes(&self) -> &[Process] {
        self.detail.0.as_deref().map_or(&[], |d| &d.processes)
    }

    /// IPv4 TOS byte ([`Detail::tos`]).
    pub fn tos(&self) -> Option<u8> {
        self.detail.0.as_deref()?.tos
    }

    /// IPv6 traffic class ([`Detail::tclass`]).
    pub fn tclass(&self) -> Option<u8> {
        self.detail.0.as_deref()?.tclass
    }

    /// cgroup v1 class id or priority ([`Detail::class_id`]).
    pub fn class_id(&self) -> Option<u32> {
        self.detail.0.as_deref()?.class_id
    }

    /// The local address and port of an inet socket.
    pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
        match self.local {
            Endpoint::Inet { addr, port } => Some(std::net::SocketAddr::new(addr, port)),
            _ => None,
        }
    }

    /// The remote address and port of an inet socket.
    pub fn peer_addr(&self) -> Option<std::net::SocketAddr> {
        match self.peer {
            Endpoint::Inet { addr, port } => Some(std::net::SocketAddr::new(addr, port)),
            _ => None,
        }
    }

    /// Local port for inet sockets.
    pub fn local_port(&self) -> Option<u16> {
        match self.local {
            Endpoint::Inet { port, .. } => Some(port),
            _ => None,
        }
    }

    /// Peer port for inet sockets.
    pub fn peer_port(&self) -> Option<u16> {
        match self.peer {
            Endpoint::Inet { port, .. } => Some(port),
            _ => None,
        }
    }
}
