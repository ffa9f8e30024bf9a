//! Shared by the fuzz targets: framing, rendering, a resolver without I/O.
#![allow(dead_code)]

use std::net::IpAddr;

use rss::render::{RenderOptions, TableRenderer};
use sockdiag::{Family, Socket, Table};

pub const TABLES: [Table; 10] = [
    Table::Tcp,
    Table::Udp,
    Table::Raw,
    Table::Mptcp,
    Table::UnixStream,
    Table::UnixDgram,
    Table::UnixSeqpacket,
    Table::PacketRaw,
    Table::PacketDgram,
    Table::Netlink,
];

pub const FAMILIES: [Family; 2] = [Family::Inet, Family::Inet6];

/// `payload` as one `SOCK_DIAG_BY_FAMILY` message with a correct header.
pub fn message(payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(16 + payload.len() + 4);
    m.extend_from_slice(&((16 + payload.len()) as u32).to_ne_bytes());
    m.extend_from_slice(&20u16.to_ne_bytes());
    m.extend_from_slice(&2u16.to_ne_bytes());
    m.extend_from_slice(&1u32.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    m.extend_from_slice(payload);
    while m.len() % 4 != 0 {
        m.push(0);
    }
    m
}

/// Every socket the decoders accept from `bytes` read as a datagram, and
/// as one message of each table.
pub fn sockets(bytes: &[u8]) -> Vec<Socket> {
    let mut out = Vec::new();
    let wrapped = message(bytes);
    for t in TABLES {
        let _ = sockdiag::bench_support::decode_datagram(t, bytes, |s| out.push(s));
        let _ = sockdiag::bench_support::decode_datagram(t, &wrapped, |s| out.push(s));
    }
    out
}

/// Renders `sockets` as ss's table with every option, and as JSON: must not
/// panic, and every table row must be whole UTF-8 text.
pub fn render(sockets: &[Socket]) {
    for variant in 0..4u8 {
        let opts = RenderOptions {
            numeric: variant & 1 == 0,
            resolve: false,
            show_netid: true,
            show_state: true,
            processes: true,
            threads: variant & 2 != 0,
            extended: true,
            memory: true,
            info: true,
            timers: true,
            oneline: variant & 2 == 0,
            header: true,
            queues: true,
            tos: true,
            cgroup: true,
            tty: false,
            width: Some(if variant & 1 == 0 { 0 } else { 80 }),
        };
        let mut t = TableRenderer::new(Vec::new(), opts);
        for s in sockets {
            t.push(s).unwrap();
        }
        let out = t.finish().unwrap();
        assert!(out.is_empty() || out.ends_with(b"\n"));
    }
    let mut j = rss::json::JsonWriter::new(Vec::new()).unwrap();
    for s in sockets {
        j.push(s).unwrap();
    }
    j.finish().unwrap();
}

/// Names resolved from a fixed table, never the network.
pub struct FakeResolver;

impl sockdiag::filter::Resolver for FakeResolver {
    fn service(&self, name: &str) -> Option<u16> {
        match name {
            "ssh" => Some(22),
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        }
    }
    fn ifindex(&self, name: &str) -> Option<u32> {
        match name {
            "lo" => Some(1),
            "eth0" => Some(2),
            _ => None,
        }
    }
    fn host(&self, name: &str) -> Vec<IpAddr> {
        match name {
            "localhost" => vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()],
            "dual.test" => vec![
                "192.168.1.9".parse().unwrap(),
                "2001:db8::5".parse().unwrap(),
            ],
            _ => name.parse().into_iter().collect(),
        }
    }
    fn cgroup(&self, path: &str) -> Option<u64> {
        (path == "/user.slice").then_some(4242)
    }
}
