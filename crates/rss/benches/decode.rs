//! Decode throughput: recorded `sock_diag` datagrams turned into sockets,
//! with no I/O.
//!
//! ```text
//! cargo bench --bench decode            # needs root: it makes a namespace
//! cargo bench --bench decode -- --quick
//! ```
//!
//! At start the bench builds a farm of 10,000 established TCP pairs in a
//! private namespace and records the kernel's raw replies once
//! (`Connection::raw_dump`, IPv4): plain (`ss -tan`) and with tcp_info,
//! congestion control and Vegas/BBR info (`ss -tani`). It then measures
//! `decode::decode_datagram` (the decoder every dump uses) over those bytes, in sockets per
//! second: the decoder's share of a dump, apart from the kernel's.
//! Without root it prints why and measures nothing.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use sockdiag::decode::{Message, decode_datagram};
use sockdiag::{Connection, Family, Query, Table};

/// Established pairs in the farm.
const PAIRS: usize = 10_000;

fn main() {
    if let Some(why) = testkit::privilege_error() {
        eprintln!("decode bench skipped: it needs a network namespace of its own: {why}");
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}

/// Every datagram of one dump of `q`, as received.
fn record(conn: &mut Connection, q: &Query) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    conn.raw_dump(q, |_, datagram| {
        out.push(datagram.to_vec());
        Ok(())
    })
    .expect("raw dump");
    out
}

fn decode_all(datagrams: &[Vec<u8>]) -> u64 {
    let mut n = 0;
    for d in datagrams {
        for m in decode_datagram(Table::Tcp, d) {
            if let Message::Socket(s) = m.expect("decodes") {
                black_box(s);
                n += 1;
            }
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let ns = testkit::NetNs::new().expect("a private network namespace");
    let farm = testkit::Farm::start(&ns, PAIRS).expect("a farm");
    let diag = sockdiag::NetNs::from_path(ns.path()).expect("the namespace file");
    let mut conn = Connection::in_netns(&diag).expect("a sock_diag socket in the namespace");
    let sockets = (2 * farm.pairs() + farm.ports().len()) as u64;
    let recorded = [
        ("tcp", record(&mut conn, &Query::tcp().family(Family::Inet))),
        (
            "tcp_info",
            record(&mut conn, &Query::tcp().family(Family::Inet).with_info()),
        ),
    ];
    drop(conn);
    drop(farm);

    let mut group = c.benchmark_group(format!("decode_{PAIRS}_pairs"));
    group.throughput(Throughput::Elements(sockets));
    for (name, datagrams) in &recorded {
        assert_eq!(
            decode_all(datagrams),
            sockets,
            "{name}: every socket decodes"
        );
        let bytes: usize = datagrams.iter().map(Vec::len).sum();
        eprintln!(
            "{name}: {} datagrams, {bytes} bytes, {sockets} sockets",
            datagrams.len()
        );
        group.bench_function(*name, |b| b.iter(|| decode_all(datagrams)));
    }
    group.finish();
}
