//! Dump speed of the library on farms of 500, 5,000 and 50,000 established
//! TCP pairs (about 1k, 10k and 100k sockets, plus the farm's listeners) in
//! a private network namespace; `RSS_DUMP_PAIRS=10000,100000` picks other
//! sizes.
//!
//! ```text
//! cargo bench --bench dump            # needs root: it makes a namespace
//! cargo bench --bench dump -- --quick
//! ```
//!
//! Throughput is reported in sockets per second. Two kinds of benchmark run
//! on the same `Connection`, so they share one socket and one receive
//! buffer:
//!
//! - `library/*`: `Connection::dump`, decoding every socket into the model;
//! - `bare_loop/*`: `Connection::raw_dump`, which receives the same
//!   datagrams and only counts their `SOCK_DIAG_BY_FAMILY` headers: the
//!   floor any decoder stands on. The library aims to stay within 1.25× of
//!   it.
//!
//! `*/tcp` asks for no extensions (`ss -tan`), `*/tcp_info` for tcp_info and
//! congestion control (`ss -tani`); both ask for IPv4 only, so that both
//! loops make the same requests (`raw_dump` sends one per family, while
//! the library walks TCP's tables once for both families; that saving is
//! measured end to end, by `benches/compare.py`). Without root the bench
//! prints why and measures nothing.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use sockdiag::{Connection, Family, Query};

/// Established pairs in each farm, unless `RSS_DUMP_PAIRS` says otherwise.
const PAIRS: [usize; 3] = [500, 5_000, 50_000];

/// `SOCK_DIAG_BY_FAMILY`, from `<linux/sock_diag.h>`.
const SOCK_DIAG_BY_FAMILY: u16 = 20;

fn main() {
    if let Some(why) = testkit::privilege_error() {
        eprintln!("dump bench skipped: it needs a network namespace of its own: {why}");
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}

/// Counts the socket messages of one datagram, walking only the headers.
fn count_messages(datagram: &[u8]) -> u64 {
    let mut n = 0;
    let mut off = 0;
    while let Some(h) = datagram.get(off..off + 16) {
        let len = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]) as usize;
        if len < 16 {
            break;
        }
        if u16::from_ne_bytes([h[4], h[5]]) == SOCK_DIAG_BY_FAMILY {
            n += 1;
        }
        off += (len + 3) & !3;
    }
    n
}

fn library(conn: &mut Connection, q: &Query) -> u64 {
    let mut n = 0;
    for s in conn.dump(q) {
        black_box(s.expect("a socket"));
        n += 1;
    }
    n
}

fn bare_loop(conn: &mut Connection, q: &Query) -> u64 {
    let mut n = 0;
    conn.raw_dump(q, |_, datagram| {
        n += count_messages(black_box(datagram));
        Ok(())
    })
    .expect("raw dump");
    n
}

fn bench(c: &mut Criterion) {
    let sizes: Vec<usize> = match std::env::var("RSS_DUMP_PAIRS") {
        Ok(v) => v
            .split(',')
            .map(|p| {
                p.trim()
                    .parse()
                    .expect("RSS_DUMP_PAIRS: numbers separated by commas")
            })
            .collect(),
        Err(_) => PAIRS.to_vec(),
    };
    for pairs in sizes {
        bench_size(c, pairs);
    }
}

fn bench_size(c: &mut Criterion, pairs: usize) {
    let ns = testkit::NetNs::new().expect("a private network namespace");
    let farm = testkit::Farm::start(&ns, pairs).expect("a farm");
    let diag = sockdiag::NetNs::from_path(ns.path()).expect("the namespace file");
    let mut conn = Connection::in_netns(&diag).expect("a sock_diag socket in the namespace");
    let sockets = (2 * farm.pairs() + farm.ports().len()) as u64;

    let queries = [
        ("tcp", Query::tcp().family(Family::Inet)),
        ("tcp_info", Query::tcp().family(Family::Inet).with_info()),
    ];
    for (_, q) in &queries {
        // Both loops see every socket, or the numbers mean nothing.
        assert_eq!(library(&mut conn, q), sockets);
        assert_eq!(bare_loop(&mut conn, q), sockets);
    }

    let mut group = c.benchmark_group(format!("dump_{pairs}_pairs"));
    group.throughput(Throughput::Elements(sockets));
    if pairs >= 20_000 {
        // A dump takes a quarter of a second here: fewer, longer samples.
        group.sample_size(10);
    }
    for (name, q) in &queries {
        group.bench_function(format!("library/{name}"), |b| {
            b.iter(|| library(&mut conn, q))
        });
        group.bench_function(format!("bare_loop/{name}"), |b| {
            b.iter(|| bare_loop(&mut conn, q))
        });
    }
    group.finish();
    drop(conn);
    drop(farm);
}
