//! The socket model: every fact the kernel reports, owned and typed.
//!
//! Everything here derives or implements `serde::Serialize` with stable
//! lower-case names; JSON output is this model, not a second schema. Names
//! are canonical (`established`, `unix_stream`): `ss` spellings such as
//! `ESTAB` or `u_str` belong to renderers.
//!
//! A [`Socket`] is at most 512 bytes (504 on x86-64, asserted by a test).
//! What a TCP or UDP socket carries for `ss -tuanoiem` (endpoints,
//! `tcp_info`, congestion control, memory, timer, ...) is stored inline, so
//! a dump hands sockets out by value without allocating per socket
//! (`tests/no_alloc.rs` counts); the rarer facts share one boxed
//! [`Detail`], and a bound unix name is boxed in its [`UnixName`]. The
//! condition, for TCP: a congestion control outside [`CC_INFO_IN_DETAIL`].
#![deny(unsafe_code)]

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use crate::tcp_info::{MptcpInfo, TcpInfo};

/// Address family of a socket.
///
/// ```
/// use sockdiag::Family;
/// assert_eq!(Family::Inet6.af(), 10); // AF_INET6
/// assert_eq!(Family::Unix.to_string(), "unix");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Family {
    /// `AF_INET`
    Inet,
    /// `AF_INET6`
    Inet6,
    /// `AF_UNIX`
    Unix,
    /// `AF_PACKET`
    Packet,
    /// `AF_NETLINK`
    Netlink,
}

impl Family {
    /// The `AF_*` number.
    pub fn af(self) -> u8 {
        use crate::consts::*;
        match self {
            Family::Inet => AF_INET,
            Family::Inet6 => AF_INET6,
            Family::Unix => AF_UNIX,
            Family::Packet => AF_PACKET,
            Family::Netlink => AF_NETLINK,
        }
    }

    /// Canonical lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Family::Inet => "inet",
            Family::Inet6 => "inet6",
            Family::Unix => "unix",
            Family::Packet => "packet",
            Family::Netlink => "netlink",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A socket table: what `ss` calls the Netid.
///
/// ```
/// use sockdiag::{Table, Tables};
/// assert_eq!(Table::UnixStream.name(), "unix_stream");
/// assert!(Table::Mptcp.is_inet() && Table::PacketRaw.is_packet());
/// assert!(Tables::INET.contains(Table::Udp.bit()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Table {
    /// TCP (`IPPROTO_TCP`).
    Tcp,
    /// UDP (`IPPROTO_UDP`).
    Udp,
    /// Raw IP sockets (`SOCK_RAW`).
    Raw,
    /// Multipath TCP (`IPPROTO_MPTCP`).
    Mptcp,
    /// Unix `SOCK_STREAM`.
    UnixStream,
    /// Unix `SOCK_DGRAM`.
    UnixDgram,
    /// Unix `SOCK_SEQPACKET`.
    UnixSeqpacket,
    /// `AF_PACKET` `SOCK_RAW`.
    PacketRaw,
    /// `AF_PACKET` `SOCK_DGRAM`.
    PacketDgram,
    /// `AF_NETLINK` sockets.
    Netlink,
}

impl Table {
    /// Every table, in `ss`'s output order.
    pub const ALL: [Table; 10] = [
        Table::Netlink,
        Table::PacketRaw,
        Table::PacketDgram,
        Table::UnixStream,
        Table::UnixDgram,
        Table::UnixSeqpacket,
        Table::Raw,
        Table::Udp,
        Table::Tcp,
        Table::Mptcp,
    ];

    /// Canonical lower-case name (also the serde name).
    pub fn name(self) -> &'static str {
        match self {
            Table::Tcp => "tcp",
            Table::Udp => "udp",
            Table::Raw => "raw",
            Table::Mptcp => "mptcp",
            Table::UnixStream => "unix_stream",
            Table::UnixDgram => "unix_dgram",
            Table::UnixSeqpacket => "unix_seqpacket",
            Table::PacketRaw => "packet_raw",
            Table::PacketDgram => "packet_dgram",
            Table::Netlink => "netlink",
        }
    }

    /// True for TCP, UDP, RAW and MPTCP, the tables `inet_diag` serves.
    pub fn is_inet(self) -> bool {
        matches!(self, Table::Tcp | Table::Udp | Table::Raw | Table::Mptcp)
    }

    /// True for the three unix tables.
    pub fn is_unix(self) -> bool {
        matches!(
            self,
            Table::UnixStream | Table::UnixDgram | Table::UnixSeqpacket
        )
    }

    /// True for the two packet tables.
    pub fn is_packet(self) -> bool {
        matches!(self, Table::PacketRaw | Table::PacketDgram)
    }

    /// The bit of this table in [`Tables`].
    pub fn bit(self) -> Tables {
        match self {
            Table::Tcp => Tables::TCP,
            Table::Udp => Tables::UDP,
            Table::Raw => Tables::RAW,
            Table::Mptcp => Tables::MPTCP,
            Table::UnixStream => Tables::UNIX_STREAM,
            Table::UnixDgram => Tables::UNIX_DGRAM,
            Table::UnixSeqpacket => Tables::UNIX_SEQPACKET,
            Table::PacketRaw => Tables::PACKET_RAW,
            Table::PacketDgram => Tables::PACKET_DGRAM,
            Table::Netlink => Tables::NETLINK,
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

bitflags::bitflags! {
    /// A set of [`Table`]s.
    ///
    /// ```
    /// use sockdiag::{Table, Tables};
    /// let t = Tables::TCP | Tables::UNIX;
    /// let order: Vec<Table> = t.iter_tables().collect();
    /// assert_eq!(order, [Table::UnixStream, Table::UnixDgram, Table::UnixSeqpacket, Table::Tcp]);
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Tables: u16 {
        /// TCP
        const TCP = 1 << 0;
        /// UDP
        const UDP = 1 << 1;
        /// RAW
        const RAW = 1 << 2;
        /// MPTCP
        const MPTCP = 1 << 3;
        /// Unix stream
        const UNIX_STREAM = 1 << 4;
        /// Unix datagram
        const UNIX_DGRAM = 1 << 5;
        /// Unix seqpacket
        const UNIX_SEQPACKET = 1 << 6;
        /// Packet raw
        const PACKET_RAW = 1 << 7;
        /// Packet dgram
        const PACKET_DGRAM = 1 << 8;
        /// Netlink
        const NETLINK = 1 << 9;
        /// The inet tables.
        const INET = Self::TCP.bits() | Self::UDP.bits() | Self::RAW.bits() | Self::MPTCP.bits();
        /// The unix tables.
        const UNIX = Self::UNIX_STREAM.bits() | Self::UNIX_DGRAM.bits() | Self::UNIX_SEQPACKET.bits();
        /// The packet tables.
        const PACKET = Self::PACKET_RAW.bits() | Self::PACKET_DGRAM.bits();
    }
}

impl Tables {
    /// The tables in this set, in `ss`'s output order.
    pub fn iter_tables(self) -> impl Iterator<Item = Table> {
        Table::ALL
            .into_iter()
            .filter(move |t| self.contains(t.bit()))
    }
}

/// A socket state, numbered as the kernel's TCP states (`<net/tcp_states.h>`).
///
/// Unix, UDP, raw, packet and netlink sockets report the same numbers:
/// `Close` for unconnected sockets (what `ss` prints as `UNCONN`),
/// `Established` for connected ones, `Listen` for listeners.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum State {
    /// `TCP_ESTABLISHED` (1)
    Established,
    /// `TCP_SYN_SENT` (2)
    SynSent,
    /// `TCP_SYN_RECV` (3)
    SynRecv,
    /// `TCP_FIN_WAIT1` (4)
    FinWait1,
    /// `TCP_FIN_WAIT2` (5)
    FinWait2,
    /// `TCP_TIME_WAIT` (6)
    TimeWait,
    /// `TCP_CLOSE` (7): closed or never connected; serialised `"unconn"`.
    Close,
    /// `TCP_CLOSE_WAIT` (8)
    CloseWait,
    /// `TCP_LAST_ACK` (9)
    LastAck,
    /// `TCP_LISTEN` (10)
    Listen,
    /// `TCP_CLOSING` (11)
    Closing,
    /// `TCP_NEW_SYN_RECV` (12)
    NewSynRecv,
    /// `TCP_BOUND_INACTIVE` (13): bound, neither listening nor connecting.
    BoundInactive,
    /// A number this library does not know.
    Other(u8),
}

impl State {
    /// Every known state, by kernel number.
    pub const KNOWN: [State; 13] = [
        State::Established,
        State::SynSent,
        State::SynRecv,
        State::FinWait1,
        State::FinWait2,
        State::TimeWait,
        State::Close,
        State::CloseWait,
        State::LastAck,
        State::Listen,
        State::Closing,
        State::NewSynRecv,
        State::BoundInactive,
    ];

    /// From the kernel's number.
    pub fn from_kernel(n: u8) -> State {
        match n {
            1..=13 => State::KNOWN[n as usize - 1],
            _ => State::Other(n),
        }
    }

    /// The kernel's number.
    pub fn to_kernel(self) -> u8 {
        match self {
            State::Other(n) => n,
            s => State::KNOWN
                .iter()
                .position(|k| *k == s)
                .map_or(0, |i| i as u8 + 1),
        }
    }

    /// Canonical lower-case name (the serde name).
    pub fn name(self) -> &'static str {
        match self {
            State::Established => "established",
            State::SynSent => "syn_sent",
            State::SynRecv => "syn_recv",
            State::FinWait1 => "fin_wait1",
            State::FinWait2 => "fin_wait2",
            State::TimeWait => "time_wait",
            State::Close => "unconn",
            State::CloseWait => "close_wait",
            State::LastAck => "last_ack",
            State::Listen => "listen",
            State::Closing => "closing",
            State::NewSynRecv => "new_syn_recv",
            State::BoundInactive => "bound_inactive",
            State::Other(_) => "unknown",
        }
    }

    /// The state named `name` ([`State::name`]), `None` for a name no
    /// state has.
    ///
    /// ```
    /// use sockdiag::State;
    /// assert_eq!(State::from_name("fin_wait1"), Some(State::FinWait1));
    /// assert_eq!(State::from_name("FIN-WAIT-1"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<State> {
        State::KNOWN.into_iter().find(|s| s.name() == name)
    }

    /// Whether this side's FIN is sent and not yet acknowledged, which
    /// holds in `FIN-WAIT-1`, `CLOSING` and `LAST-ACK` by definition of
    /// those states: the FIN takes one sequence number, so a TCP socket's
    /// Send-Q counts it as one byte there. [`State::fin_in_recv_q`] is the
    /// peer's FIN in the Recv-Q.
    ///
    /// ```
    /// use sockdiag::State;
    /// assert_eq!(State::FinWait1.fin_in_send_q(), 1);
    /// assert_eq!(State::Established.fin_in_send_q(), 0);
    /// ```
    pub fn fin_in_send_q(self) -> u32 {
        u32::from(matches!(
            self,
            State::FinWait1 | State::LastAck | State::Closing
        ))
    }

    /// Whether the peer's FIN arrived (`CLOSE-WAIT`, `LAST-ACK`,
    /// `CLOSING`): it takes one sequence number, so a TCP socket's Recv-Q
    /// counts it as one byte until the application reads the end of file.
    ///
    /// ```
    /// use sockdiag::State;
    /// assert_eq!(State::CloseWait.fin_in_recv_q(), 1);
    /// assert_eq!(State::FinWait2.fin_in_recv_q(), 0);
    /// ```
    pub fn fin_in_recv_q(self) -> u32 {
        u32::from(matches!(
            self,
            State::CloseWait | State::LastAck | State::Closing
        ))
    }

    /// The bit of this state in [`States`] (`1 << number`, as the kernel's
    /// `idiag_states`); `Other` states above 31 have none.
    pub fn bit(self) -> States {
        States::from_bits_retain(1u32.checked_shl(self.to_kernel() as u32).unwrap_or(0))
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            State::Other(n) => write!(f, "unknown({n})"),
            s => f.write_str(s.name()),
        }
    }
}

bitflags::bitflags! {
    /// A set of states, laid out as the kernel's `idiag_states` bitmask
    /// (`1 << TCP_*`).
    ///
    /// ```
    /// use sockdiag::{State, States};
    /// assert!(States::CONNECTED.contains(State::Established.bit()));
    /// assert!(!States::DEFAULT.contains(States::TIME_WAIT));
    /// assert_eq!(States::LISTEN.bits(), 1 << 10);
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct States: u32 {
        /// ESTABLISHED
        const ESTABLISHED = 1 << 1;
        /// SYN-SENT
        const SYN_SENT = 1 << 2;
        /// SYN-RECV
        const SYN_RECV = 1 << 3;
        /// FIN-WAIT-1
        const FIN_WAIT1 = 1 << 4;
        /// FIN-WAIT-2
        const FIN_WAIT2 = 1 << 5;
        /// TIME-WAIT
        const TIME_WAIT = 1 << 6;
        /// CLOSE (unconnected)
        const CLOSE = 1 << 7;
        /// CLOSE-WAIT
        const CLOSE_WAIT = 1 << 8;
        /// LAST-ACK
        const LAST_ACK = 1 << 9;
        /// LISTEN
        const LISTEN = 1 << 10;
        /// CLOSING
        const CLOSING = 1 << 11;
        /// NEW-SYN-RECV (request sockets; the kernel reports them as SYN-RECV)
        const NEW_SYN_RECV = 1 << 12;
        /// BOUND-INACTIVE (kernel 6.8+)
        const BOUND_INACTIVE = 1 << 13;

        /// `ss`'s "all": every classic state (bits 1–12), not bound-inactive.
        const ALL = 0x1ffe;
        /// `connected`: all but LISTEN and CLOSE.
        const CONNECTED = Self::ALL.bits() & !(Self::LISTEN.bits() | Self::CLOSE.bits());
        /// `synchronized`: connected but not SYN-SENT.
        const SYNCHRONIZED = Self::CONNECTED.bits() & !Self::SYN_SENT.bits();
        /// `bucket`: SYN-RECV and TIME-WAIT (minisockets).
        const BUCKET = Self::SYN_RECV.bits() | Self::TIME_WAIT.bits() | Self::NEW_SYN_RECV.bits();
        /// `big`: all but the bucket states.
        const BIG = Self::ALL.bits() & !Self::BUCKET.bits();
        /// What `ss` shows without a state option: connected states
        /// except TIME-WAIT and SYN-RECV.
        const DEFAULT = Self::CONNECTED.bits() & !Self::BUCKET.bits();
    }
}

/// A buffer of at most `N` bytes stored inline; serialised as a string, or
/// as an array of bytes when not UTF-8 (so nothing is lost).
///
/// ```
/// use sockdiag::InlineBytes;
/// let b = InlineBytes::<4>::new(b"cubic"); // truncated to 4 bytes
/// assert_eq!(b.as_bytes(), b"cubi");
/// assert_eq!(InlineBytes::<4>::new(b"\xffx").to_str_lossy(), "\u{fffd}x");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct InlineBytes<const N: usize> {
    len: u8,
    buf: [u8; N],
}

impl<const N: usize> InlineBytes<N> {
    /// Copies `b`, truncated to `N` bytes (and to 255).
    pub fn new(b: &[u8]) -> Self {
        let n = b.len().min(N).min(255);
        let mut buf = [0u8; N];
        buf[..n].copy_from_slice(&b[..n]);
        InlineBytes { len: n as u8, buf }
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }

    /// The bytes as text, with invalid UTF-8 replaced.
    pub fn to_str_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.as_bytes())
    }
}

impl<const N: usize> Default for InlineBytes<N> {
    fn default() -> Self {
        InlineBytes {
            len: 0,
            buf: [0; N],
        }
    }
}

impl<const N: usize> fmt::Debug for InlineBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_str_lossy())
    }
}

impl<const N: usize> fmt::Display for InlineBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_str_lossy())
    }
}

/// A congestion-control or ULP name: at most 15 bytes (`TCP_CA_NAME_MAX`
/// and `TCP_ULP_NAME_MAX` are 16 with the terminating NUL).
///
/// ```
/// use sockdiag::ShortName;
/// let cc = ShortName::new(b"cubic");
/// assert_eq!(cc.to_string(), "cubic");
/// assert_eq!(cc.as_bytes(), b"cubic");
/// ```
pub type ShortName = InlineBytes<{ crate::consts::TCP_CA_NAME_MAX - 1 }>;

/// The name a unix socket is bound to: none, a filesystem path or an
/// abstract name.
///
/// A name takes one pointer in the [`Endpoint`] (it is stored behind a
/// `Box`, allocated only for named sockets), so that an [`Endpoint`] and a
/// [`Socket`] stay small. [`UnixName::view`] gives the three cases to
/// match on.
///
/// ```
/// use sockdiag::{UnixName, UnixNameRef};
/// let n = UnixName::from_sun_path(b"\0my-service");
/// assert_eq!(n.view(), UnixNameRef::Abstract(b"my-service"));
/// assert_eq!(n.to_string(), "@my-service");
/// let p = UnixName::new_path(b"/run/app.sock");
/// assert_eq!(p.path(), Some(&b"/run/app.sock"[..]));
/// assert!(UnixName::UNNAMED.is_unnamed());
/// assert_eq!(UnixName::UNNAMED.to_string(), "*");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct UnixName(Option<Box<NamedUnix>>);

/// A bound unix name (behind [`UnixName`]'s pointer).
#[derive(Clone, PartialEq, Eq, Hash)]
struct NamedUnix {
    is_abstract: bool,
    bytes: InlineBytes<{ crate::consts::UNIX_PATH_MAX }>,
}

/// A borrowed view of a [`UnixName`], to match on.
///
/// ```
/// use sockdiag::{UnixName, UnixNameRef};
/// let n = UnixName::new_path(b"/tmp/x");
/// let shown = match n.view() {
///     UnixNameRef::Unnamed => "*".to_string(),
///     UnixNameRef::Path(p) => String::from_utf8_lossy(p).into_owned(),
///     UnixNameRef::Abstract(a) => format!("@{}", String::from_utf8_lossy(a)),
/// };
/// assert_eq!(shown, "/tmp/x");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnixNameRef<'a> {
    /// Not bound (or an autobound socket before its name is read).
    Unnamed,
    /// A filesystem path (without a trailing NUL).
    Path(&'a [u8]),
    /// An abstract name, without its leading NUL byte.
    Abstract(&'a [u8]),
}

impl UnixName {
    /// No name.
    pub const UNNAMED: UnixName = UnixName(None);

    /// A filesystem path, truncated to `UNIX_PATH_MAX` (108) bytes.
    pub fn new_path(path: &[u8]) -> UnixName {
        UnixName::named(false, path)
    }

    /// An abstract name (given without its leading NUL), truncated to 108
    /// bytes.
    pub fn new_abstract(name: &[u8]) -> UnixName {
        UnixName::named(true, name)
    }

    fn named(is_abstract: bool, b: &[u8]) -> UnixName {
        UnixName(Some(Box::new(NamedUnix {
            is_abstract,
            bytes: InlineBytes::new(b),
        })))
    }

    /// Decodes `UNIX_DIAG_NAME` (or a `/proc/net/unix` path, `@` already
    /// replaced by NUL): empty is unnamed, a leading NUL marks an abstract
    /// name, a path ends at its first NUL.
    pub fn from_sun_path(b: &[u8]) -> UnixName {
        match b.split_first() {
            None => UnixName::UNNAMED,
            Some((0, rest)) => UnixName::new_abstract(rest),
            Some(_) => UnixName::new_path(crate::wire::cstr(b)),
        }
    }

    /// The three cases, borrowed.
    pub fn view(&self) -> UnixNameRef<'_> {
        match &self.0 {
            None => UnixNameRef::Unnamed,
            Some(n) if n.is_abstract => UnixNameRef::Abstract(n.bytes.as_bytes()),
            Some(n) => UnixNameRef::Path(n.bytes.as_bytes()),
        }
    }

    /// True when not bound.
    pub fn is_unnamed(&self) -> bool {
        self.0.is_none()
    }

    /// The filesystem path, if bound to one.
    pub fn path(&self) -> Option<&[u8]> {
        match self.view() {
            UnixNameRef::Path(p) => Some(p),
            _ => None,
        }
    }

    /// The abstract name (without its leading NUL), if bound to one.
    pub fn abstract_name(&self) -> Option<&[u8]> {
        match self.view() {
            UnixNameRef::Abstract(a) => Some(a),
            _ => None,
        }
    }
}

impl fmt::Debug for UnixName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match self.view() {
            UnixNameRef::Unnamed => f.write_str("Unnamed"),
            UnixNameRef::Path(p) => f.debug_tuple("Path").field(&text(p)).finish(),
            UnixNameRef::Abstract(a) => f.debug_tuple("Abstract").field(&text(a)).finish(),
        }
    }
}

/// One end of a socket.
///
/// 24 bytes: a unix name sits behind a pointer (see [`UnixName`]), so the
/// type is `Clone` but not `Copy`. `Display` writes the endpoint alone as
/// `ss -n` does (defined in [`crate::ss`], which says what it cannot know
/// without the socket; [`crate::ss::local`] and [`crate::ss::peer`] take
/// the socket and print exactly `ss`'s columns). The serde form is an object whose keys say the kind (`null` for
/// [`Endpoint::None`]).
///
/// ```
/// use sockdiag::{Endpoint, UnixName};
/// let e = Endpoint::Unix { name: UnixName::new_path(b"/run/a.sock"), inode: 7 };
/// assert_eq!(e.to_string(), "/run/a.sock 7");
/// # #[cfg(feature = "serde")]
/// assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"path":"/run/a.sock","inode":7}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Endpoint {
    /// An IPv4 or IPv6 address and port (port 0 = any).
    Inet {
        /// The address (`0.0.0.0` / `::` when unbound).
        addr: IpAddr,
        /// The port in host order.
        port: u16,
    },
    /// A unix socket: its name (local end only) and inode. The peer end of a
    /// connected unix socket carries the peer's inode and no name.
    Unix {
        /// The bound name.
        name: UnixName,
        /// The socket's inode (0 when unknown).
        inode: u64,
    },
    /// A packet socket: the protocol (host order `ETH_P_*`) and interface.
    Packet {
        /// Ethernet protocol, host order (`ETH_P_ALL` = 3).
        protocol: u16,
        /// Bound interface index, 0 for all.
        ifindex: u32,
    },
    /// A netlink socket's port id (local), or destination port and group (peer).
    Netlink {
        /// Netlink protocol (`NETLINK_ROUTE` = 0, ...).
        protocol: u8,
        /// Port id (for the peer, `dst_portid`).
        portid: u32,
        /// Destination multicast group (peer only; 0 otherwise).
        group: u32,
    },
    /// No address.
    #[default]
    None,
}

/// The kind of timer pending on a socket (`idiag_timer`).
///
/// ```
/// use sockdiag::TimerKind;
/// assert_eq!(TimerKind::from_kernel(2), Some(TimerKind::Keepalive));
/// assert_eq!(TimerKind::from_kernel(0), None); // no timer
/// assert_eq!(TimerKind::from_kernel(9), Some(TimerKind::Unknown(9)));
/// assert_eq!(TimerKind::On.name(), "on");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimerKind {
    /// Retransmission, loss probe or SYN-ACK timer (`ss`: `on`).
    On,
    /// Keepalive.
    Keepalive,
    /// TIME-WAIT expiry.
    TimeWait,
    /// Zero-window probe (persist).
    Persist,
    /// Delayed ACK.
    Delack,
    /// A number this library does not know.
    Unknown(u8),
}

impl TimerKind {
    /// From `idiag_timer`; `None` for 0 (no timer).
    pub fn from_kernel(n: u8) -> Option<TimerKind> {
        Some(match n {
            0 => return None,
            1 => TimerKind::On,
            2 => TimerKind::Keepalive,
            3 => TimerKind::TimeWait,
            4 => TimerKind::Persist,
            5 => TimerKind::Delack,
            n => TimerKind::Unknown(n),
        })
    }

    /// Name as `ss -o` prints it (also the serde name).
    pub fn name(self) -> &'static str {
        match self {
            TimerKind::On => "on",
            TimerKind::Keepalive => "keepalive",
            TimerKind::TimeWait => "timewait",
            TimerKind::Persist => "persist",
            TimerKind::Delack => "delack",
            TimerKind::Unknown(_) => "unknown",
        }
    }
}

/// A pending timer (`idiag_timer`, `idiag_expires`, `idiag_retrans`).
///
/// The kernel reports the expiry in milliseconds as a 32-bit number; it is
/// kept as such ([`Timer::expires`] gives a `Duration`).
///
/// ```
/// use sockdiag::{Timer, TimerKind};
/// let t = Timer::new(TimerKind::Keepalive, 7_500, 0);
/// assert_eq!(t.expires(), std::time::Duration::from_millis(7_500));
/// # #[cfg(feature = "serde")]
/// assert_eq!(
///     serde_json::to_string(&t).unwrap(),
///     r#"{"kind":"keepalive","expires_ms":7500,"retransmits":0}"#
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct Timer {
    /// What the timer is for.
    pub kind: TimerKind,
    /// Milliseconds until it fires (`idiag_expires`).
    pub expires_ms: u32,
    /// Retransmissions (`on`) or probes (`keepalive`, `persist`) so far.
    pub retransmits: u8,
}

impl Timer {
    /// A timer of `kind` firing in `expires_ms` milliseconds.
    pub fn new(kind: TimerKind, expires_ms: u32, retransmits: u8) -> Timer {
        Timer {
            kind,
            expires_ms,
            retransmits,
        }
    }

    /// Time until it fires.
    pub fn expires(&self) -> Duration {
        Duration::from_millis(u64::from(self.expires_ms))
    }
}

/// Which directions have been shut down (`INET_DIAG_SHUTDOWN`, `UNIX_DIAG_SHUTDOWN`).
///
/// Exhaustive on purpose: a socket has two directions, and these are the
/// kernel's two `sk_shutdown` bits.
///
/// ```
/// use sockdiag::Shutdown;
/// assert_eq!(Shutdown::from_bits(2), Shutdown { recv: false, send: true });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Shutdown {
    /// `RCV_SHUTDOWN`: no more data will be received.
    pub recv: bool,
    /// `SEND_SHUTDOWN`: no more data will be sent.
    pub send: bool,
}

impl Shutdown {
    /// From the kernel's `sk_shutdown` bits.
    pub fn from_bits(b: u8) -> Shutdown {
        Shutdown {
            recv: b & 1 != 0,
            send: b & 2 != 0,
        }
    }
}

/// `SK_MEMINFO_*`: the socket's memory accounting (`ss -m`'s `skmem`).
///
/// Non-exhaustive: the kernel has grown this array before (`drops` came
/// later than the rest). Build one with [`SkMemInfo::from_bytes`] or from
/// `Default` and its public fields:
///
/// ```
/// use sockdiag::SkMemInfo;
/// let mut m = SkMemInfo::default();
/// m.rcvbuf = 131_072;
/// assert_eq!(m.rcvbuf, 131_072);
/// let words: Vec<u8> = (1..=9u32).flat_map(u32::to_ne_bytes).collect();
/// assert_eq!(SkMemInfo::from_bytes(&words).drops, 9);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SkMemInfo {
    /// `r`: bytes allocated in the receive queue.
    pub rmem_alloc: u32,
    /// `rb`: receive buffer size (`SO_RCVBUF`).
    pub rcvbuf: u32,
    /// `t`: bytes allocated for transmission.
    pub wmem_alloc: u32,
    /// `tb`: send buffer size (`SO_SNDBUF`).
    pub sndbuf: u32,
    /// `f`: forward-allocated memory.
    pub fwd_alloc: u32,
    /// `w`: bytes queued for transmission.
    pub wmem_queued: u32,
    /// `o`: option memory.
    pub optmem: u32,
    /// `bl`: backlog queue bytes.
    pub backlog: u32,
    /// `d`: packets dropped before reaching the socket.
    pub drops: u32,
}

impl SkMemInfo {
    /// From the `u32[SK_MEMINFO_VARS]` array; missing trailing values are 0.
    pub fn from_bytes(b: &[u8]) -> SkMemInfo {
        let v = |i: usize| crate::wire::u32_ne(b, i * 4);
        SkMemInfo {
            rmem_alloc: v(0),
            rcvbuf: v(1),
            wmem_alloc: v(2),
            sndbuf: v(3),
            fwd_alloc: v(4),
            wmem_queued: v(5),
            optmem: v(6),
            backlog: v(7),
            drops: v(8),
        }
    }
}

/// `struct inet_diag_meminfo`: the legacy memory attribute (`ss -m` on old kernels).
///
/// Exhaustive on purpose: a frozen UAPI struct, superseded by
/// `SK_MEMINFO` ([`SkMemInfo`]), that will not grow.
///
/// ```
/// use sockdiag::MemInfo;
/// let m = MemInfo { rmem: 0, wmem: 2_304, fmem: 0, tmem: 0 };
/// assert_eq!(m.wmem, 2_304);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MemInfo {
    /// Receive queue bytes.
    pub rmem: u32,
    /// Write queue bytes.
    pub wmem: u32,
    /// Forward-allocated bytes.
    pub fmem: u32,
    /// Transmit bytes.
    pub tmem: u32,
}

/// `struct tcpvegas_info` (`INET_DIAG_VEGASINFO`).
///
/// Non-exhaustive: the kernel may append fields to a congestion-control
/// info struct. Build one from `Default`:
///
/// ```
/// let mut i = sockdiag::VegasInfo::default();
/// i.rtt = 1_200;
/// assert_eq!(i.rtt, 1_200);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct VegasInfo {
    /// Vegas enabled.
    pub enabled: u32,
    /// RTT samples.
    pub rttcnt: u32,
    /// Average RTT, µs.
    pub rtt: u32,
    /// Minimum RTT, µs.
    pub minrtt: u32,
}

/// `struct tcp_dctcp_info` (`INET_DIAG_DCTCPINFO`).
///
/// Non-exhaustive: the kernel may append fields to a congestion-control
/// info struct. Build one from `Default`:
///
/// ```
/// let mut i = sockdiag::DctcpInfo::default();
/// i.alpha = 1_200;
/// assert_eq!(i.alpha, 1_200);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct DctcpInfo {
    /// DCTCP enabled.
    pub enabled: u16,
    /// CE state.
    pub ce_state: u16,
    /// Alpha (scaled by 1024).
    pub alpha: u32,
    /// Bytes ECN-marked.
    pub ab_ecn: u32,
    /// Bytes acknowledged.
    pub ab_tot: u32,
}

/// `struct tcp_bbr_info` (`INET_DIAG_BBRINFO`).
///
/// Non-exhaustive: the kernel may append fields to a congestion-control
/// info struct. Build one from `Default`:
///
/// ```
/// let mut i = sockdiag::BbrInfo::default();
/// i.min_rtt = 1_200;
/// assert_eq!(i.min_rtt, 1_200);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct BbrInfo {
    /// Bottleneck bandwidth estimate, bytes per second.
    pub bw: u64,
    /// Minimum RTT, µs.
    pub min_rtt: u32,
    /// Pacing gain, `<< 8`.
    pub pacing_gain: u32,
    /// Cwnd gain, `<< 8`.
    pub cwnd_gain: u32,
}

bitflags::bitflags! {
    /// `struct inet_diag_sockopt`: socket options visible through diag.
    ///
    /// ```
    /// use sockdiag::SockOpt;
    /// let o = SockOpt::from_bits_truncate(0b11);
    /// assert!(o.contains(SockOpt::RECVERR | SockOpt::IS_ICSK));
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct SockOpt: u16 {
        /// `IP_RECVERR`
        const RECVERR = 1 << 0;
        /// Connection-oriented (inet_connection_sock).
        const IS_ICSK = 1 << 1;
        /// `IP_FREEBIND`
        const FREEBIND = 1 << 2;
        /// `IP_HDRINCL`
        const HDRINCL = 1 << 3;
        /// `IP_MULTICAST_LOOP`
        const MC_LOOP = 1 << 4;
        /// `IP_TRANSPARENT`
        const TRANSPARENT = 1 << 5;
        /// `IP_MULTICAST_ALL`
        const MC_ALL = 1 << 6;
        /// `IP_NODEFRAG`
        const NODEFRAG = 1 << 7;
        /// `IP_BIND_ADDRESS_NO_PORT`
        const BIND_ADDRESS_NO_PORT = 1 << 8;
        /// `IP_RECVERR_RFC4884`
        const RECVERR_RFC4884 = 1 << 9;
        /// `TCP_DEFER_ACCEPT`/fast-open deferred connect
        const DEFER_CONNECT = 1 << 10;
    }
}

/// Unix-specific facts (`unix_diag`); the bound name is in the endpoint
/// ([`Endpoint::Unix`]).
///
/// ```
/// let mut u = sockdiag::UnixInfo::default();
/// u.icons = Some(vec![40_001, 40_002]);
/// assert_eq!(u.icons.as_deref(), Some(&[40_001, 40_002][..]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct UnixInfo {
    /// `UNIX_DIAG_VFS`: device and inode of the bound file.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub vfs: Option<UnixVfs>,
    /// `UNIX_DIAG_ICONS`: inodes of connections waiting to be accepted.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub icons: Option<Vec<u64>>,
}

/// `struct unix_diag_vfs`: where a bound unix socket's file lives.
///
/// Exhaustive on purpose: a file is named by its device and inode, and
/// the kernel struct has had these two fields since it was added. The
/// inode is 64-bit like every inode of the crate (the kernel sends 32 bits).
///
/// ```
/// let v = sockdiag::UnixVfs { ino: 1_234, dev: 0x801 };
/// assert_eq!(v.ino, 1_234);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UnixVfs {
    /// Inode of the socket file.
    pub ino: u64,
    /// Device of the socket file.
    pub dev: u32,
}

/// Packet-specific facts (`packet_diag`).
///
/// ```
/// let mut p = sockdiag::PacketInfo::default();
/// p.version = 2; // TPACKET_V3
/// assert_eq!(p.fanout, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct PacketInfo {
    /// `PACKET_DIAG_INFO`: `TPACKET_V1..3` version.
    pub version: u32,
    /// Reserved headroom.
    pub reserve: u32,
    /// Copy threshold.
    pub copy_thresh: u32,
    /// Timestamp source.
    pub tstamp: u32,
    /// `PDI_*` flags (running, auxdata, origdev, vnethdr, loss).
    pub flags: u32,
    /// `PACKET_DIAG_FANOUT`, when in a fanout group.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub fanout: Option<u32>,
    /// Length of the attached BPF filter, in instructions
    /// (`PACKET_DIAG_FILTER`). `Some(0)` with no instructions when the
    /// kernel withheld them: it sends the filter to `CAP_NET_ADMIN`
    /// callers only, and an empty attribute to others.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub filter_len: Option<u32>,
    /// The attached classic BPF filter's instructions (`PACKET_DIAG_FILTER`,
    /// as given to `SO_ATTACH_FILTER`); empty when there is none or the
    /// kernel withheld them (see `filter_len`).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub filter: Vec<SockFilter>,
}

/// One classic BPF instruction (`struct sock_filter`, `<linux/filter.h>`),
/// as a packet socket's attached filter holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SockFilter {
    /// The opcode (`BPF_LD | BPF_H | BPF_ABS`, ...).
    pub code: u16,
    /// Instructions to skip when a conditional jump is taken.
    pub jt: u8,
    /// Instructions to skip when it is not.
    pub jf: u8,
    /// The operand (a constant, an offset, ...).
    pub k: u32,
}

impl SockFilter {
    /// The instruction `{ code, jt, jf, k }`.
    pub const fn new(code: u16, jt: u8, jf: u8, k: u32) -> SockFilter {
        SockFilter { code, jt, jf, k }
    }

    /// Its 8 bytes as `struct sock_filter` lays them out (native byte order).
    pub fn to_bytes(self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[..2].copy_from_slice(&self.code.to_ne_bytes());
        b[2] = self.jt;
        b[3] = self.jf;
        b[4..].copy_from_slice(&self.k.to_ne_bytes());
        b
    }

    /// Reads one `struct sock_filter` from its 8 bytes (native byte order).
    pub fn from_bytes(b: [u8; 8]) -> SockFilter {
        SockFilter {
            code: u16::from_ne_bytes([b[0], b[1]]),
            jt: b[2],
            jf: b[3],
            k: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        }
    }
}

/// A kernel TLS socket's state: what the kernel nests as
/// `INET_ULP_INFO_TLS` (`TLS_INFO_*`, `<linux/tls.h>`) in
/// `INET_DIAG_ULP_INFO` for a TCP socket whose ULP is `tls`, when the
/// request asked for the info extension. `ss -i` prints it as
/// `tcp-ulp-tls version: 1.3 cipher: aes-gcm-256 rxconf: sw txconf: sw`.
///
/// Each `Option` is `None` when the kernel did not send its attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct TlsInfo {
    /// `TLS_INFO_VERSION`: the record version (`0x0303` TLS 1.2, `0x0304` TLS 1.3).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub version: Option<u16>,
    /// `TLS_INFO_CIPHER`: `TLS_CIPHER_*` (51 AES-GCM-128, 52 AES-GCM-256, ...).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub cipher: Option<u16>,
    /// `TLS_INFO_TXCONF`: `TLS_CONF_*` of the send side (1 none, 2 software,
    /// 3 hardware, 4 hardware record).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub txconf: Option<u16>,
    /// `TLS_INFO_RXCONF`: `TLS_CONF_*` of the receive side.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub rxconf: Option<u16>,
    /// `TLS_INFO_ZC_RO_TX`: zero-copy sendfile with read-only files.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_false"))]
    pub zc_ro_tx: bool,
    /// `TLS_INFO_RX_NO_PAD`: TLS 1.3 receive without padding.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_false"))]
    pub rx_no_pad: bool,
    /// `TLS_INFO_TX_MAX_PAYLOAD_LEN`: largest record payload sent.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tx_max_payload_len: Option<u16>,
}

#[cfg(feature = "serde")]
fn is_false(v: &bool) -> bool {
    !*v
}

/// An MPTCP subflow's state: what the kernel nests as `INET_ULP_INFO_MPTCP`
/// (`MPTCP_SUBFLOW_ATTR_*`, `<linux/mptcp.h>`) in `INET_DIAG_ULP_INFO` for
/// a TCP socket that is a subflow of an MPTCP connection (ULP `mptcp`),
/// when the request asked for the info extension. `ss -i` prints it as
/// `tcp-ulp-mptcp flags:… token:… seq:… sfseq:… ssnoff:… maplen:…`.
///
/// Each field is `None` when the kernel did not send its attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct MptcpSubflowInfo {
    /// `MPTCP_SUBFLOW_ATTR_TOKEN_REM`: the peer's connection token.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub token_rem: Option<u32>,
    /// `MPTCP_SUBFLOW_ATTR_TOKEN_LOC`: this side's connection token.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub token_loc: Option<u32>,
    /// `MPTCP_SUBFLOW_ATTR_RELWRITE_SEQ`: the subflow's write sequence
    /// relative to the connection's.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub relwrite_seq: Option<u32>,
    /// `MPTCP_SUBFLOW_ATTR_MAP_SEQ`: data sequence number of the current
    /// mapping (`ss`: `seq:`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub map_seq: Option<u64>,
    /// `MPTCP_SUBFLOW_ATTR_MAP_SFSEQ`: subflow sequence number of the
    /// current mapping, relative (`sfseq:`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub map_sfseq: Option<u32>,
    /// `MPTCP_SUBFLOW_ATTR_SSN_OFFSET`: the subflow's initial sequence
    /// number (`ssnoff:`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub ssn_offset: Option<u32>,
    /// `MPTCP_SUBFLOW_ATTR_MAP_DATALEN`: length of the current mapping
    /// (`maplen:`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub map_datalen: Option<u32>,
    /// `MPTCP_SUBFLOW_ATTR_FLAGS`: `MPTCP_SUBFLOW_FLAG_*` bits, `ss`'s
    /// letters: `M`/`m` MP_CAPABLE remote/local (bits 0, 1), `J`/`j`
    /// MP_JOIN remote/local (2, 3), `B`/`b` backup remote/local (4, 5),
    /// `e` fully established (6), `c` connected (7), `v` mapping valid (8).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub flags: Option<u32>,
    /// `MPTCP_SUBFLOW_ATTR_ID_REM`: the peer's address id.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub id_rem: Option<u8>,
    /// `MPTCP_SUBFLOW_ATTR_ID_LOC`: this side's address id.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub id_loc: Option<u8>,
}

/// Netlink-specific facts (`netlink_diag`).
///
/// ```
/// let mut n = sockdiag::NetlinkInfo::default();
/// n.groups = vec![1, 4];
/// assert!(!n.connected);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct NetlinkInfo {
    /// `NETLINK_CONNECTED`: the socket has a default destination.
    pub connected: bool,
    /// Multicast groups joined (`NETLINK_DIAG_GROUPS` bitmap, as group numbers).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub groups: Vec<u32>,
    /// `NDIAG_FLAG_*` bits.
    pub flags: u32,
}

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
/// unix socket's name is boxed in its [`UnixName`].
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_stays_small() {
        // Rare detail (Detail: MPTCP, ULP, TOS, Vegas/DCTCP/BBR, unix,
        // packet and netlink facts, processes) sits behind one pointer and a
        // unix name behind another; tcp_info (282 bytes), skmem, meminfo and
        // the endpoints (24 bytes each) stay inline. Was 1,040, then 800.
        assert_eq!(std::mem::size_of::<Endpoint>(), 24);
        assert_eq!(std::mem::size_of::<UnixName>(), 8);
        assert_eq!(std::mem::size_of::<Option<Timer>>(), 8);
        let size = std::mem::size_of::<Socket>();
        eprintln!("size_of::<Socket>() = {size}");
        assert!(size <= 512, "Socket is {size} bytes, more than 512");
    }

    #[test]
    fn state_numbers_roundtrip() {
        for n in 0..=255u8 {
            let s = State::from_kernel(n);
            assert_eq!(s.to_kernel(), n);
        }
        assert_eq!(State::from_kernel(10), State::Listen);
        assert_eq!(State::Listen.bit(), States::LISTEN);
        assert_eq!(State::Other(40).bit(), States::empty());
    }

    #[test]
    fn state_groups_match_ss() {
        // ss's SS_CONN = all but LISTEN and CLOSE; default drops TIME-WAIT/SYN-RECV.
        assert!(!States::CONNECTED.contains(States::LISTEN));
        assert!(States::CONNECTED.contains(States::TIME_WAIT));
        assert!(!States::DEFAULT.contains(States::TIME_WAIT | States::SYN_RECV));
        assert!(
            States::DEFAULT.contains(States::ESTABLISHED | States::CLOSE_WAIT | States::SYN_SENT)
        );
        assert!(!States::ALL.contains(States::BOUND_INACTIVE));
    }

    #[test]
    fn socket_addresses() {
        let mut s = Socket::new(Table::Tcp, Family::Inet6, State::Established);
        s.local = Endpoint::Inet {
            addr: "::1".parse().unwrap(),
            port: 22,
        };
        assert_eq!(s.local_addr(), Some("[::1]:22".parse().unwrap()));
        assert_eq!(s.peer_addr(), None);
    }

    #[test]
    fn endpoint_json() {
        let e = Endpoint::Inet {
            addr: "::1".parse().unwrap(),
            port: 22,
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"addr":"::1","port":22}"#
        );
        let u = Endpoint::Unix {
            name: UnixName::from_sun_path(b"\0x"),
            inode: 9,
        };
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            r#"{"abstract":"x","inode":9}"#
        );
        let p = Endpoint::Unix {
            name: UnixName::from_sun_path(b"/run/a\0\0"),
            inode: 1,
        };
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"path":"/run/a","inode":1}"#
        );
    }
}
