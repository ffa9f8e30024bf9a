//! TCP over both families is one `TCPDIAG_GETSOCK` walk: the sockets, their
//! order (every IPv4 socket before every IPv6 one, as `ss` prints them) and
//! the sources must be those of one dump per family, whether the held-back
//! IPv6 replies fit in memory or outgrow `DEFERRED_V6_MAX`.

use std::net::{SocketAddr, TcpListener, TcpStream};

use sockdiag::bench_support::DEFERRED_V6_MAX;
use sockdiag::{Connection, Family, Query, Request, Socket, Source, Table};
use testkit::{NetNs, require_privileged};

/// `pairs` connections to one listener on `addr`, all kept open.
fn pairs(addr: &str, pairs: usize) -> (TcpListener, Vec<TcpStream>) {
    let l = TcpListener::bind(addr.parse::<SocketAddr>().unwrap()).unwrap();
    let target = l.local_addr().unwrap();
    let mut held = Vec::new();
    for _ in 0..pairs {
        held.push(TcpStream::connect(target).unwrap());
        held.push(l.accept().unwrap().0);
    }
    (l, held)
}

fn key(s: &Socket) -> (Family, u64, String, String) {
    (
        s.family,
        s.inode,
        format!("{:?}", s.local),
        format!("{:?}", s.peer),
    )
}

fn check(v6_pairs: usize, query: Query) {
    let ns = NetNs::new().unwrap();
    let held = ns.run(move || (pairs("127.0.0.1:0", 5), pairs("[::1]:0", v6_pairs)));
    let diag = sockdiag::NetNs::from_path(ns.path()).unwrap();
    let mut conn = Connection::in_netns(&diag).unwrap();

    let mut dump = conn.dump(&query);
    let both: Vec<Socket> = dump.by_ref().collect::<Result<_, _>>().unwrap();
    let sources = dump.sources().to_vec();
    drop(dump);
    let v4: Vec<Socket> = conn
        .dump(&query.clone().family(Family::Inet))
        .collect::<Result<_, _>>()
        .unwrap();
    let v6: Vec<Socket> = conn
        .dump(&query.clone().family(Family::Inet6))
        .collect::<Result<_, _>>()
        .unwrap();

    assert_eq!(v4.len(), 11);
    assert_eq!(v6.len(), 1 + 2 * v6_pairs);
    let expected: Vec<_> = v4.iter().chain(&v6).map(key).collect();
    let got: Vec<_> = both.iter().map(key).collect();
    assert_eq!(
        got, expected,
        "one walk must give both families' dumps, IPv4 first"
    );
    let tcp = |family| {
        (
            Request {
                table: Table::Tcp,
                family,
            },
            Source::Netlink,
        )
    };
    assert_eq!(sources, vec![tcp(Family::Inet), tcp(Family::Inet6)]);
    drop(held);
}

#[test]
fn ipv6_held_back_in_memory() {
    require_privileged!();
    check(20, Query::tcp());
}

#[test]
fn ipv6_dumped_again_when_it_outgrows_the_cap() {
    require_privileged!();
    // With tcp_info each reply is ~450 bytes: 2 * 1000 of them are more
    // than the cap.
    const { assert!(2 * 1000 * 400 > DEFERRED_V6_MAX) };
    check(1000, Query::tcp().with_info());
}
