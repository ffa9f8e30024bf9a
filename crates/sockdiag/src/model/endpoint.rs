//! One end of a socket.

use std::net::IpAddr;

use super::names::UnixName;

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
