//! The promise of the model: no heap allocation per TCP or UDP socket on
//! the dump path, for what `ss -tuanoiem` asks (endpoints, queues, timers,
//! `tcp_info`, congestion control, socket memory, cgroup, mark, socket
//! options). Rarer facts share one boxed `Detail`; this test pins both
//! sides: zero allocations for the common request, exactly one per socket
//! when TOS is asked for.
//!
//! A counting global allocator (this test binary only) counts the
//! allocations of the thread that decodes. The sockets are real: TCP and
//! UDP, IPv4 and IPv6, in a private network namespace whose congestion
//! control is `reno` (no Vegas/DCTCP/BBR attribute); the kernel's replies
//! are recorded with `Connection::raw_dump` and decoded with the public
//! sans-I/O decoder, then the same queries run as ordinary dumps.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};

use sockdiag::decode::{Message, decode_datagram};
use sockdiag::{Connection, Query, States, Table};
use testkit::require_privileged;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the allocator may run while the thread's locals are gone.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is a plain thread-local `Cell` that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations made by this thread while `f` runs.
fn allocations<R>(f: impl FnOnce() -> R) -> (u64, R) {
    let before = ALLOCS.with(Cell::get);
    let r = f();
    (ALLOCS.with(Cell::get) - before, r)
}

/// Sockets kept open while the namespace is dumped.
struct Held {
    _tcp: Vec<TcpStream>,
    _listeners: Vec<TcpListener>,
    _udp: Vec<UdpSocket>,
}

/// Connections per listener: enough sockets for a dump of several
/// datagrams (a TCP socket with tcp_info and memory is about 600 bytes of
/// a 32 KiB receive buffer).
const CONNS: usize = 100;

/// TCP sockets in the namespace: two listeners and both ends of their
/// connections.
const TCP_SOCKETS: u64 = 2 + 2 * 2 * CONNS as u64;

/// In the namespace: a TCP listener with [`CONNS`] connections (both ends,
/// IPv4 and IPv6) and bound and connected UDP sockets.
fn build() -> std::io::Result<Held> {
    let mut tcp = Vec::new();
    let mut listeners = Vec::new();
    let mut udp = Vec::new();
    for any in ["127.0.0.1:0", "[::1]:0"] {
        let addr: SocketAddr = any.parse().unwrap();
        let l = TcpListener::bind(addr)?;
        // The backlog std gives (128) holds every connection before accept.
        for _ in 0..CONNS {
            tcp.push(TcpStream::connect(l.local_addr()?)?);
            tcp.push(l.accept()?.0);
        }
        listeners.push(l);
        let a = UdpSocket::bind(addr)?;
        let b = UdpSocket::bind(addr)?;
        b.connect(a.local_addr()?)?;
        b.send(b"x")?;
        udp.extend([a, b]);
    }
    Ok(Held {
        _tcp: tcp,
        _listeners: listeners,
        _udp: udp,
    })
}

/// Every datagram of one dump of `q`; panics unless there are several.
fn record(conn: &mut Connection, q: &Query) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    conn.raw_dump(q, |_, d| {
        out.push(d.to_vec());
        Ok(())
    })
    .expect("raw dump");
    out
}

fn several(datagrams: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    assert!(datagrams.len() > 2, "{} datagrams", datagrams.len());
    datagrams
}

/// Decodes every datagram; returns (allocations, sockets, sockets with
/// tcp_info, sockets with skmem).
fn decode_counting(table: Table, datagrams: &[Vec<u8>]) -> (u64, u64, u64, u64) {
    let (mut n, mut info, mut mem) = (0u64, 0u64, 0u64);
    let (allocs, ()) = allocations(|| {
        for d in datagrams {
            for m in decode_datagram(table, d) {
                if let Ok(Message::Socket(s)) = m {
                    n += 1;
                    info += u64::from(s.tcp_info.is_some());
                    mem += u64::from(s.skmem.is_some());
                    black_box(s);
                }
            }
        }
    });
    (allocs, n, info, mem)
}

/// Sockets of one ordinary dump, each checked for tcp_info and dropped.
fn dump_all(conn: &mut Connection, q: &Query) -> usize {
    let mut n = 0;
    for s in conn.dump(q) {
        let s = s.expect("a socket");
        assert!(s.tcp_info.is_some());
        black_box(s);
        n += 1;
    }
    n
}

#[test]
fn the_counter_counts() {
    let (allocs, v) = allocations(|| black_box(Vec::<u8>::with_capacity(8)));
    drop(v);
    assert_eq!(allocs, 1);
}

#[test]
fn tcp_and_udp_sockets_decode_without_allocating() {
    require_privileged!();
    let ns = testkit::NetNs::new().expect("a private network namespace");
    ns.sysctl("net.ipv4.tcp_congestion_control", "reno")
        .expect("reno as the namespace's congestion control");
    let held = ns.run(build).expect("sockets in the namespace");
    let diag = sockdiag::NetNs::from_path(ns.path()).expect("the namespace file");
    let mut conn = Connection::in_netns(&diag).expect("a sock_diag socket in the namespace");

    // What `ss -tanoiem` asks: tcp_info, congestion control, memory.
    let tcp = Query::tcp().states(States::ALL).with_info().with_memory();
    let (allocs, n, info, mem) = decode_counting(Table::Tcp, &several(record(&mut conn, &tcp)));
    assert_eq!(n, TCP_SOCKETS, "2 listeners, both ends of every connection");
    assert_eq!(
        (info, mem),
        (n, n),
        "every socket carries tcp_info and skmem"
    );
    assert_eq!(allocs, 0, "{allocs} allocations decoding {n} TCP sockets");

    let udp = Query::udp().states(States::ALL).with_info().with_memory();
    let (allocs, n, _, mem) = decode_counting(Table::Udp, &record(&mut conn, &udp));
    assert_eq!((n, mem), (4, 4));
    assert_eq!(allocs, 0, "{allocs} allocations decoding {n} UDP sockets");

    // TOS, traffic class and class id are rarer facts: one boxed Detail
    // per socket, nothing more.
    let tos = Query::tcp().states(States::ALL).with_info().with_tos();
    let (allocs, n, _, _) = decode_counting(Table::Tcp, &several(record(&mut conn, &tos)));
    assert_eq!(n, TCP_SOCKETS);
    assert_eq!(allocs, n, "one Detail per socket with TOS");

    // The same through the ordinary dump, over several datagrams: a few
    // allocations for the request and its buffers, none per socket. One
    // family at a time (2 here, for 201 sockets):
    for family in [sockdiag::Family::Inet, sockdiag::Family::Inet6] {
        let q = tcp.clone().family(family);
        let (allocs, n) = allocations(|| dump_all(&mut conn, &q));
        assert_eq!(n as u64, TCP_SOCKETS / 2, "{family}");
        assert!(
            allocs < 8,
            "{allocs} allocations for a dump of {n} {family} sockets"
        );
    }
    // Both families in one walk of TCP's tables: the IPv6 replies wait in
    // a buffer that grows by doubling (11 here, for 402 sockets).
    let (allocs, n) = allocations(|| dump_all(&mut conn, &tcp));
    assert_eq!(n as u64, TCP_SOCKETS);
    assert!(
        allocs < 24,
        "{allocs} allocations for a dump of {n} sockets"
    );
    drop(held);
}
