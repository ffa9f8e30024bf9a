//! Address families and socket tables: which kernel table a socket came
//! from, and sets of tables.

use std::fmt;

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
