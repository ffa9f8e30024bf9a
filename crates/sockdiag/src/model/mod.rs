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

mod endpoint;
mod info;
mod names;
mod socket;
mod state;
mod table;
mod timer;

pub use endpoint::Endpoint;
pub use info::{
    BbrInfo, DctcpInfo, MemInfo, MptcpSubflowInfo, NetlinkInfo, PacketInfo, SkMemInfo, SockFilter,
    SockOpt, TlsInfo, UnixInfo, UnixVfs, VegasInfo,
};
pub use names::{InlineBytes, ShortName, UnixName, UnixNameRef};
#[cfg(any(feature = "serde", feature = "schema"))]
pub(crate) use socket::DetailBox;
pub use socket::{CC_INFO_IN_DETAIL, Detail, Process, Socket};
pub use state::{State, States};
pub use table::{Family, Table, Tables};
pub use timer::{Shutdown, Timer, TimerKind};

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
