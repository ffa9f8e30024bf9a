//! The promise of the model: no heap allocation per TCP or UDP socket on
//! the dump path, for what `ss -tuanoiem` asks (endpoints, queues, timers,
//! `tcp_info`, congestion control, socket memory, cgroup, mark, socket
//! options), under its condition: a congestion control outside
//! `sockdiag::CC_INFO_IN_DETAIL`. Rarer facts, the info of those congestion
//! controls among them, share one boxed `Detail`; this test pins both
//! sides: zero allocations for the common request, exactly one per socket
//! when TOS is asked for, and exactly one per socket that carries its
//! congestion control's info.
//!
//! A counting global allocator (this test binary only) counts the
//! allocations of the thread that decodes. The sockets are real: TCP and
//! UDP, IPv4 and IPv6, in a private network namespace, once under every
//! congestion control the kernel offers
//! (`/proc/sys/net/ipv4/tcp_available_congestion_control`, after an
//! attempt to load the modules of those in `CC_INFO_IN_DETAIL`); the
//! kernel's replies are recorded with `Connection::raw_dump` and decoded
//! with the public sans-I/O decoder, then the same queries run as ordinary
//! dumps.
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
/// IPv4 and IPv6) and bound and connected UDP sockets. With `cc`, every TCP
/// socket is set to that congestion control (`TCP_CONGESTION`).
fn build(cc: Option<String>) -> std::io::Result<Held> {
    let set = |s: socket2::SockRef<'_>| match &cc {
        Some(cc) => s.set_tcp_congestion(cc.as_bytes()),
        None => Ok(()),
    };
    let mut tcp = Vec::new();
    let mut listeners = Vec::new();
    let mut udp = Vec::new();
    for any in ["127.0.0.1:0", "[::1]:0"] {
        let addr: SocketAddr = any.parse().unwrap();
        let l = TcpListener::bind(addr)?;
        set((&l).into())?;
        // The backlog std gives (128) holds every connection before accept.
        for _ in 0..CONNS {
            let c = TcpStream::connect(l.local_addr()?)?;
            let a = l.accept()?.0;
            set((&c).into())?;
            set((&a).into())?;
            tcp.extend([c, a]);
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

/// What one decode of a recorded dump saw.
#[derive(Debug, Default)]
struct Decoded {
    allocs: u64,
    sockets: u64,
    /// Sockets with `tcp_info`.
    info: u64,
    /// Sockets with `skmem`.
    mem: u64,
    /// Sockets carrying Vegas, DCTCP or BBR info.
    cc_info: u64,
    /// Sockets whose congestion control is the one named.
    named_cc: u64,
}

/// Decodes every datagram, counting allocations and what the sockets carry
/// (`cc`: the congestion control expected on TCP sockets).
fn decode_counting(table: Table, datagrams: &[Vec<u8>], cc: &str) -> Decoded {
    let mut d = Decoded::default();
    let (allocs, ()) = allocations(|| {
        for datagram in datagrams {
            for m in decode_datagram(table, datagram) {
                if let Ok(Message::Socket(s)) = m {
                    d.sockets += 1;
                    d.info += u64::from(s.tcp_info.is_some());
                    d.mem += u64::from(s.skmem.is_some());
                    d.cc_info += u64::from(s.detail().is_some_and(|x| {
                        x.vegas.is_some() || x.dctcp.is_some() || x.bbr.is_some()
                    }));
                    d.named_cc +=
                        u64::from(s.congestion.is_some_and(|c| c.as_bytes() == cc.as_bytes()));
                    black_box(s);
                }
            }
        }
    });
    d.allocs = allocs;
    d
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

/// The congestion controls this kernel offers, after trying to load the
/// modules of those whose info is boxed (absent modules are not an error:
/// the test covers what the kernel has).
fn available_congestion_controls() -> Vec<String> {
    for cc in sockdiag::CC_INFO_IN_DETAIL {
        let _ = std::process::Command::new("modprobe")
            .args(["-q", &format!("tcp_{cc}")])
            .status();
    }
    let list = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_available_congestion_control")
        .expect("the available congestion controls");
    list.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn tcp_and_udp_sockets_decode_without_allocating_under_every_congestion_control() {
    require_privileged!();
    let all = available_congestion_controls();
    assert!(all.iter().any(|c| c == "reno"), "reno is built in: {all:?}");
    for cc in &all {
        check_under(cc);
    }
}

/// The counts under congestion control `cc`, in a namespace of its own.
fn check_under(cc: &str) {
    let boxed = sockdiag::CC_INFO_IN_DETAIL.contains(&cc);
    let ns = testkit::NetNs::new().expect("a private network namespace");
    // Outside the initial namespace only the algorithms of
    // `tcp_allowed_congestion_control` can be the default (EPERM for the
    // others); any available one can be set per socket.
    let per_socket = match ns.sysctl("net.ipv4.tcp_congestion_control", cc) {
        Ok(()) => None,
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => Some(cc.to_owned()),
        Err(e) => panic!("{cc} as the namespace's congestion control: {e}"),
    };
    let per_socket_cc = per_socket.is_some();
    let held = ns
        .run(move || build(per_socket))
        .unwrap_or_else(|e| panic!("{cc}: sockets in the namespace: {e}"));
    let diag = sockdiag::NetNs::from_path(ns.path()).expect("the namespace file");
    let mut conn = Connection::in_netns(&diag).expect("a sock_diag socket in the namespace");

    // What `ss -tanoiem` asks: tcp_info, congestion control, memory.
    let tcp = Query::tcp().states(States::ALL).with_info().with_memory();
    let d = decode_counting(Table::Tcp, &several(record(&mut conn, &tcp)), cc);
    let n = d.sockets;
    assert_eq!(
        n, TCP_SOCKETS,
        "{cc}: 2 listeners, both ends of every connection"
    );
    assert_eq!(
        (d.info, d.mem),
        (n, n),
        "{cc}: every socket carries tcp_info and skmem"
    );
    assert_eq!(
        d.named_cc, n,
        "{cc}: the namespace's congestion control on every socket"
    );
    eprintln!(
        "{cc}{}: {n} TCP sockets, {} with {cc} info, {} allocations",
        if per_socket_cc { " (per socket)" } else { "" },
        d.cc_info,
        d.allocs
    );
    if boxed {
        // Every connected socket reports its congestion control's info
        // (listeners may not), and that info is the one allocation.
        assert!(
            d.cc_info >= n - 2,
            "{cc}: {} of {n} sockets carry their congestion control's info",
            d.cc_info
        );
        assert_eq!(
            d.allocs, d.cc_info,
            "{cc}: one Detail per socket with {cc} info, nothing more"
        );
    } else {
        assert_eq!(d.cc_info, 0, "{cc}: no congestion-control info attribute");
        assert_eq!(
            d.allocs, 0,
            "{cc}: {} allocations decoding {n} TCP sockets",
            d.allocs
        );
    }

    let udp = Query::udp().states(States::ALL).with_info().with_memory();
    let d = decode_counting(Table::Udp, &record(&mut conn, &udp), cc);
    assert_eq!((d.sockets, d.mem), (4, 4));
    assert_eq!(
        d.allocs, 0,
        "{} allocations decoding 4 UDP sockets",
        d.allocs
    );

    // TOS, traffic class and class id are rarer facts: one boxed Detail
    // per socket, nothing more (shared with the congestion control's info).
    let tos = Query::tcp().states(States::ALL).with_info().with_tos();
    let d = decode_counting(Table::Tcp, &several(record(&mut conn, &tos)), cc);
    assert_eq!(d.sockets, TCP_SOCKETS);
    assert_eq!(d.allocs, d.sockets, "{cc}: one Detail per socket with TOS");

    if boxed {
        // The ordinary dumps below count what is not per socket.
        drop(held);
        return;
    }
    // The same through the ordinary dump, over several datagrams: a few
    // allocations for the request and its buffers, none per socket. One
    // family at a time (2 here, for 201 sockets):
    for family in [sockdiag::Family::Inet, sockdiag::Family::Inet6] {
        let q = tcp.clone().family(family);
        let (allocs, n) = allocations(|| dump_all(&mut conn, &q));
        assert_eq!(n as u64, TCP_SOCKETS / 2, "{cc} {family}");
        assert!(
            allocs < 8,
            "{cc}: {allocs} allocations for a dump of {n} {family} sockets"
        );
    }
    // Both families in one walk of TCP's tables: the IPv6 replies wait in
    // a buffer that grows by doubling (11 here, for 402 sockets).
    let (allocs, n) = allocations(|| dump_all(&mut conn, &tcp));
    assert_eq!(n as u64, TCP_SOCKETS);
    assert!(
        allocs < 24,
        "{cc}: {allocs} allocations for a dump of {n} sockets"
    );
    drop(held);
}
