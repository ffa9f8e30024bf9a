//! Render throughput: sockets from a live dump written as `ss`'s table and
//! as JSON into `io::sink()`, so only formatting is measured.
//!
//! ```text
//! cargo bench --bench render            # needs root: it makes a namespace
//! cargo bench --bench render -- --quick
//! ```
//!
//! At start the bench builds a farm of 10,000 established TCP pairs in a
//! private namespace and dumps it once without and once with tcp_info
//! (the sockets are kept in memory). Each benchmark renders them all, in
//! sockets per second, with the options the CLI derives from `-tan`,
//! `-tanH`, `-tani` and `-tan -j`. Without root it prints why and measures
//! nothing.

use std::ffi::OsString;
use std::hint::black_box;
use std::io::{self, Write};

use criterion::{Criterion, Throughput};
use rss::args::Config;
use rss::json::JsonWriter;
use rss::render::TableRenderer;
use rss::run::render_options;
use sockdiag::{Connection, Query, Socket};

/// Established pairs in the farm.
const PAIRS: usize = 10_000;

fn main() {
    if let Some(why) = testkit::privilege_error() {
        eprintln!("render bench skipped: it needs a network namespace of its own: {why}");
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}

fn config(args: &[&str]) -> Config {
    let argv: Vec<OsString> = std::iter::once("rss")
        .chain(args.iter().copied())
        .map(OsString::from)
        .collect();
    Config::parse(argv).unwrap_or_else(|_| panic!("rss {args:?} parses"))
}

fn table(sockets: &[Socket], args: &[&str]) -> io::Result<()> {
    let opts = render_options(&config(args), false);
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::sink());
    let mut t = TableRenderer::new(&mut out, opts);
    for s in sockets {
        t.push(black_box(s))?;
    }
    t.finish()?;
    out.flush()
}

fn json(sockets: &[Socket]) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::sink());
    let mut j = JsonWriter::new(&mut out)?;
    for s in sockets {
        j.push(black_box(s))?;
    }
    j.finish()?;
    out.flush()
}

fn bench(c: &mut Criterion) {
    let ns = testkit::NetNs::new().expect("a private network namespace");
    let farm = testkit::Farm::start(&ns, PAIRS).expect("a farm");
    let diag = sockdiag::NetNs::from_path(ns.path()).expect("the namespace file");
    let mut conn = Connection::in_netns(&diag).expect("a sock_diag socket in the namespace");
    let dump = |conn: &mut Connection, q: &Query| -> Vec<Socket> {
        conn.dump(q).collect::<Result<_, _>>().expect("a dump")
    };
    let plain = dump(&mut conn, &Query::tcp());
    let info = dump(&mut conn, &Query::tcp().with_info());
    drop(conn);
    drop(farm);
    assert_eq!(plain.len(), info.len());

    let mut group = c.benchmark_group(format!("render_{PAIRS}_pairs"));
    group.throughput(Throughput::Elements(plain.len() as u64));
    group.bench_function("table/-tan", |b| {
        b.iter(|| table(&plain, &["-tan"]).unwrap())
    });
    group.bench_function("table/-tanH", |b| {
        b.iter(|| table(&plain, &["-tanH"]).unwrap())
    });
    group.bench_function("table/-tani", |b| {
        b.iter(|| table(&info, &["-tani"]).unwrap())
    });
    group.bench_function("json/-tan -j", |b| b.iter(|| json(&plain).unwrap()));
    group.bench_function("json/-tani -j", |b| b.iter(|| json(&info).unwrap()));
    group.finish();
}
