//! Kernel constants, with their C names and the uapi header that defines them.
//!
//! Only what the library uses is here. Values are ABI: they never change once
//! a kernel has shipped them, so they are written out rather than generated.
// Private since issue #9: the wire vocabulary is kept whole, used or not.
#![allow(dead_code)]
#![allow(missing_docs)]

// <linux/netlink.h>
pub const NETLINK_SOCK_DIAG: i32 = 4;
pub const NLMSG_HDRLEN: usize = 16;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const NLMSG_OVERRUN: u16 = 4;
pub const NLM_F_REQUEST: u16 = 0x01;
pub const NLM_F_MULTI: u16 = 0x02;
pub const NLM_F_DUMP_INTR: u16 = 0x10;
pub const NLM_F_ROOT: u16 = 0x100;
pub const NLM_F_MATCH: u16 = 0x200;
pub const NLM_F_DUMP: u16 = NLM_F_ROOT | NLM_F_MATCH;
pub const NLA_HDRLEN: usize = 4;
pub const NLA_TYPE_MASK: u16 = !(1 << 15 | 1 << 14);

// <linux/sock_diag.h>
pub const SOCK_DIAG_BY_FAMILY: u16 = 20;
pub const SK_MEMINFO_VARS: usize = 9;

// <linux/socket.h>, <linux/in.h>
pub const AF_UNIX: u8 = 1;
pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 10;
pub const AF_NETLINK: u8 = 16;
pub const AF_PACKET: u8 = 17;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
pub const IPPROTO_RAW: u8 = 255;
pub const IPPROTO_MPTCP: u32 = 262;

// <linux/net.h>
pub const SOCK_STREAM: u8 = 1;
pub const SOCK_DGRAM: u8 = 2;
pub const SOCK_RAW: u8 = 3;
pub const SOCK_SEQPACKET: u8 = 5;

// <linux/inet_diag.h>: request attributes
pub const INET_DIAG_REQ_BYTECODE: u16 = 1;
pub const INET_DIAG_REQ_PROTOCOL: u16 = 3;
pub const INET_DIAG_NOCOOKIE: u32 = !0;
// <linux/inet_diag.h>: response attributes
pub const INET_DIAG_MEMINFO: u16 = 1;
pub const INET_DIAG_INFO: u16 = 2;
pub const INET_DIAG_VEGASINFO: u16 = 3;
pub const INET_DIAG_CONG: u16 = 4;
pub const INET_DIAG_TOS: u16 = 5;
pub const INET_DIAG_TCLASS: u16 = 6;
pub const INET_DIAG_SKMEMINFO: u16 = 7;
pub const INET_DIAG_SHUTDOWN: u16 = 8;
pub const INET_DIAG_DCTCPINFO: u16 = 9;
pub const INET_DIAG_PROTOCOL: u16 = 10;
pub const INET_DIAG_SKV6ONLY: u16 = 11;
pub const INET_DIAG_MARK: u16 = 15;
pub const INET_DIAG_BBRINFO: u16 = 16;
pub const INET_DIAG_CLASS_ID: u16 = 17;
pub const INET_DIAG_ULP_INFO: u16 = 19;
pub const INET_DIAG_CGROUP_ID: u16 = 21;
pub const INET_DIAG_SOCKOPT: u16 = 22;
// <linux/inet_diag.h>: INET_ULP_INFO_* nested in INET_DIAG_ULP_INFO
pub const INET_ULP_INFO_NAME: u16 = 1;
pub const INET_ULP_INFO_TLS: u16 = 2;
pub const INET_ULP_INFO_MPTCP: u16 = 3;
// <linux/tls.h>: TLS_INFO_* nested in INET_ULP_INFO_TLS
pub const TLS_INFO_VERSION: u16 = 1;
pub const TLS_INFO_CIPHER: u16 = 2;
pub const TLS_INFO_TXCONF: u16 = 3;
pub const TLS_INFO_RXCONF: u16 = 4;
pub const TLS_INFO_ZC_RO_TX: u16 = 5;
pub const TLS_INFO_RX_NO_PAD: u16 = 6;
pub const TLS_INFO_TX_MAX_PAYLOAD_LEN: u16 = 7;
// <linux/mptcp.h>: MPTCP_SUBFLOW_ATTR_* nested in INET_ULP_INFO_MPTCP
pub const MPTCP_SUBFLOW_ATTR_TOKEN_REM: u16 = 1;
pub const MPTCP_SUBFLOW_ATTR_TOKEN_LOC: u16 = 2;
pub const MPTCP_SUBFLOW_ATTR_RELWRITE_SEQ: u16 = 3;
pub const MPTCP_SUBFLOW_ATTR_MAP_SEQ: u16 = 4;
pub const MPTCP_SUBFLOW_ATTR_MAP_SFSEQ: u16 = 5;
pub const MPTCP_SUBFLOW_ATTR_SSN_OFFSET: u16 = 6;
pub const MPTCP_SUBFLOW_ATTR_MAP_DATALEN: u16 = 7;
pub const MPTCP_SUBFLOW_ATTR_FLAGS: u16 = 8;
pub const MPTCP_SUBFLOW_ATTR_ID_REM: u16 = 9;
pub const MPTCP_SUBFLOW_ATTR_ID_LOC: u16 = 10;
/// `sizeof(struct inet_diag_req_v2)`
pub const INET_DIAG_REQ_V2_LEN: usize = 56;
/// `sizeof(struct inet_diag_msg)`
pub const INET_DIAG_MSG_LEN: usize = 72;
/// `sizeof(struct inet_diag_bc_op)`
pub const INET_DIAG_BC_OP_LEN: usize = 4;
/// Bytecode op codes, `enum { INET_DIAG_BC_NOP, ... }`.
pub const INET_DIAG_BC_NOP: u8 = 0;
pub const INET_DIAG_BC_JMP: u8 = 1;
pub const INET_DIAG_BC_S_GE: u8 = 2;
pub const INET_DIAG_BC_S_LE: u8 = 3;
pub const INET_DIAG_BC_D_GE: u8 = 4;
pub const INET_DIAG_BC_D_LE: u8 = 5;
pub const INET_DIAG_BC_AUTO: u8 = 6;
pub const INET_DIAG_BC_S_COND: u8 = 7;
pub const INET_DIAG_BC_D_COND: u8 = 8;
pub const INET_DIAG_BC_DEV_COND: u8 = 9;
pub const INET_DIAG_BC_MARK_COND: u8 = 10;
pub const INET_DIAG_BC_S_EQ: u8 = 11;
pub const INET_DIAG_BC_D_EQ: u8 = 12;
pub const INET_DIAG_BC_CGROUP_COND: u8 = 13;

// <linux/unix_diag.h>
pub const UDIAG_SHOW_NAME: u32 = 0x01;
pub const UDIAG_SHOW_VFS: u32 = 0x02;
pub const UDIAG_SHOW_PEER: u32 = 0x04;
pub const UDIAG_SHOW_ICONS: u32 = 0x08;
pub const UDIAG_SHOW_RQLEN: u32 = 0x10;
pub const UDIAG_SHOW_MEMINFO: u32 = 0x20;
pub const UDIAG_SHOW_UID: u32 = 0x40;
pub const UNIX_DIAG_NAME: u16 = 0;
pub const UNIX_DIAG_VFS: u16 = 1;
pub const UNIX_DIAG_PEER: u16 = 2;
pub const UNIX_DIAG_ICONS: u16 = 3;
pub const UNIX_DIAG_RQLEN: u16 = 4;
pub const UNIX_DIAG_MEMINFO: u16 = 5;
pub const UNIX_DIAG_SHUTDOWN: u16 = 6;
pub const UNIX_DIAG_UID: u16 = 7;
/// `sizeof(struct unix_diag_req)`
pub const UNIX_DIAG_REQ_LEN: usize = 24;
/// `sizeof(struct unix_diag_msg)`
pub const UNIX_DIAG_MSG_LEN: usize = 16;

// <linux/packet_diag.h>
pub const PACKET_SHOW_INFO: u32 = 0x01;
pub const PACKET_SHOW_MCLIST: u32 = 0x02;
pub const PACKET_SHOW_RING_CFG: u32 = 0x04;
pub const PACKET_SHOW_FANOUT: u32 = 0x08;
pub const PACKET_SHOW_MEMINFO: u32 = 0x10;
pub const PACKET_SHOW_FILTER: u32 = 0x20;
pub const PACKET_DIAG_INFO: u16 = 0;
pub const PACKET_DIAG_FANOUT: u16 = 4;
pub const PACKET_DIAG_UID: u16 = 5;
pub const PACKET_DIAG_MEMINFO: u16 = 6;
pub const PACKET_DIAG_FILTER: u16 = 7;
/// `sizeof(struct packet_diag_req)`
pub const PACKET_DIAG_REQ_LEN: usize = 20;
/// `sizeof(struct packet_diag_msg)`
pub const PACKET_DIAG_MSG_LEN: usize = 16;
/// `sizeof(struct packet_diag_info)`
pub const PACKET_DIAG_INFO_LEN: usize = 24;

// <linux/netlink_diag.h>
pub const NDIAG_PROTO_ALL: u8 = 255;
pub const NDIAG_SHOW_MEMINFO: u32 = 0x01;
pub const NDIAG_SHOW_GROUPS: u32 = 0x02;
pub const NDIAG_SHOW_FLAGS: u32 = 0x08;
pub const NETLINK_DIAG_MEMINFO: u16 = 0;
pub const NETLINK_DIAG_GROUPS: u16 = 1;
pub const NETLINK_DIAG_FLAGS: u16 = 4;
/// `sizeof(struct netlink_diag_req)`
pub const NETLINK_DIAG_REQ_LEN: usize = 20;
/// `sizeof(struct netlink_diag_msg)`
pub const NETLINK_DIAG_MSG_LEN: usize = 28;

// <linux/tcp.h>: TCP_CA_NAME_MAX
pub const TCP_CA_NAME_MAX: usize = 16;
// <linux/un.h>: UNIX_PATH_MAX
pub const UNIX_PATH_MAX: usize = 108;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_netlink_flags_match_the_uapi_values() {
        // libc spells the same uapi macros independently.
        assert_eq!(NLM_F_DUMP, libc::NLM_F_DUMP as u16);
        assert_eq!(NLM_F_DUMP, 0x300, "NLM_F_ROOT | NLM_F_MATCH");
        assert_eq!(NLA_TYPE_MASK, libc::NLA_TYPE_MASK as u16);
        assert_eq!(NLA_TYPE_MASK, 0x3fff);
        // The mask drops exactly the two flag bits and keeps every type bit.
        assert_eq!(NLA_TYPE_MASK & libc::NLA_F_NESTED as u16, 0);
        assert_eq!(NLA_TYPE_MASK & libc::NLA_F_NET_BYTEORDER as u16, 0);
        assert_eq!(
            NLA_TYPE_MASK | libc::NLA_F_NESTED as u16 | libc::NLA_F_NET_BYTEORDER as u16,
            u16::MAX
        );
    }

    #[test]
    fn no_cookie_is_all_ones() {
        // `INET_DIAG_NOCOOKIE` is `(~0U)`: every bit set, in either byte order.
        assert_eq!(INET_DIAG_NOCOOKIE, u32::MAX);
        assert_eq!(INET_DIAG_NOCOOKIE.to_ne_bytes(), [0xff; 4]);
    }
}
