//! The checks of every fuzz target, shared with `cargo test`
//! (`tests/fuzz_regressions.rs` includes this file and replays
//! `fuzz/seeds/` and `fuzz/regressions/` through the same functions).
//! Each `check_*` function must not panic on any input.
#![allow(dead_code)]

use std::ffi::OsString;
use std::net::IpAddr;
use std::os::unix::ffi::OsStringExt;

use rss::render::{RenderOptions, TableRenderer};
use sockdiag::decode::Message;
use sockdiag::filter::{FilterContext, audit, parse_with, run_bytecode};
use sockdiag::ss::words_from_file_text;
use sockdiag::{Family, Socket, Table};

/// Every table (the first byte of a `procnet` input picks one by index).
pub const TABLES: [Table; 10] = Table::ALL;

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
        for datagram in [bytes, &wrapped[..]] {
            for m in sockdiag::decode::decode_datagram(t, datagram) {
                if let Ok(Message::Socket(s)) = m {
                    out.push(s);
                }
            }
        }
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
            inet_sockopt: true,
            bpf: true,
            explain: variant & 1 != 0,
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

/// `decode`: every decoder on the bytes, then rendering.
pub fn check_decode(data: &[u8]) {
    render(&sockets(data));
}

/// `procnet`: the first byte picks the table and family, the rest are lines.
pub fn check_procnet(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let table = TABLES[sel as usize % TABLES.len()];
    let family = FAMILIES[(sel as usize / TABLES.len()) % 2];
    let _ = sockdiag::bench_support::proc_file_name(table, family);
    let text = String::from_utf8_lossy(rest);
    let mut out = Vec::new();
    for line in text.lines() {
        if let Ok(Some(s)) = sockdiag::bench_support::parse_proc_line(table, family, line) {
            out.push(s);
        }
    }
    render(&out);
}

/// `replay`: the bytes as a `TCPDIAG_FILE` at `path`, through `Query`.
pub fn check_replay(data: &[u8], path: &std::path::Path) {
    std::fs::write(path, data).unwrap();
    let filter = sockdiag::filter::Filter::parse_str("sport = :22 or dst 10.0.0.0/8").unwrap();
    let mut out = Vec::new();
    for q in [
        sockdiag::Query::tcp().tcp_from_file(path),
        sockdiag::Query::tcp()
            .states(sockdiag::States::all())
            .with_info()
            .filter(filter)
            .tcp_from_file(path),
    ] {
        let Ok(dump) = q.dump() else { return };
        for s in dump.take(10_000) {
            match s {
                Ok(s) => out.push(s),
                Err(_) => break,
            }
        }
    }
    render(&out);
}

/// `filter`: text, a 0 byte, socket bytes. Parse, compile, audit; user
/// space and the bytecode interpreter agree on every inet socket.
pub fn check_filter(data: &[u8]) {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let text = String::from_utf8_lossy(&data[..split]);
    let rest = data.get(split + 1..).unwrap_or_default();
    let words = words_from_file_text(&text);
    let mut states = sockdiag::States::all();
    let Ok(words) = rss::filter::parse_states(&words, &mut states) else {
        return;
    };
    let Ok(Some(expr)) = parse_with(words, &FakeResolver) else {
        return;
    };
    let ctx = FilterContext::new((32768, 60999));
    let filter = match sockdiag::filter::Filter::in_context(expr.clone(), ctx) {
        Ok(f) => f,
        // Only size may stop a program: one the audit refuses is a compiler bug.
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains("too large"), "{expr}: {msg}");
            return;
        }
    };
    if let Some(bc) = filter.bytecode() {
        audit(bc).expect("Filter keeps only audited programs");
    } else if expr.kernel_compatible() {
        panic!("a kernel-compatible expression has no program: {expr}");
    }
    // `autobound` depends on the socket's bind lock, which user space
    // cannot see: the two may differ there by design.
    let autobound = expr.to_string().contains("autobound");
    for s in &sockets(rest) {
        let user = filter.matches(s);
        if let Some(bc) = filter.bytecode()
            && s.netid.is_inet()
            && !autobound
        {
            for bindport in [false, true] {
                assert_eq!(
                    run_bytecode(bc, s, bindport),
                    user,
                    "user space and bytecode disagree on {expr} for {s:?}"
                );
            }
        }
    }
}

/// `argv`: words split on 0 bytes, parsed as rss's command line.
pub fn check_argv(data: &[u8]) {
    let mut argv = vec![OsString::from("rss")];
    argv.extend(
        data.split(|&b| b == 0)
            .take(64)
            .map(|w| OsString::from_vec(w.to_vec())),
    );
    // Subcommands do their own work (bench builds farms): not here.
    if rss::commands::find(&argv).is_some() {
        return;
    }
    if let Ok(config) = rss::args::Config::parse(argv) {
        let _ = rss::run::build_query(&config);
        let _ = rss::run::render_options(&config, false);
    }
}

/// Runs the check of `target` on `data` (`replay` writes to `scratch`).
pub fn check(target: &str, data: &[u8], scratch: &std::path::Path) {
    match target {
        "decode" => check_decode(data),
        "procnet" => check_procnet(data),
        "replay" => check_replay(data, scratch),
        "filter" => check_filter(data),
        "argv" => check_argv(data),
        _ => panic!("unknown fuzz target {target}"),
    }
}
