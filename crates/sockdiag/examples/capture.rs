//! Captures the byte fixtures of the decoder tests from the running kernel.
//!
//! ```text
//! sudo cargo run -p sockdiag --example capture > crates/sockdiag/src/fixtures.rs
//! ```
//!
//! It needs root: everything happens in a fresh, anonymous network namespace
//! (made by `testkit::NetNs`) holding only the sockets built here, so the
//! capture is the same on any host apart from ports, inodes, cookies and
//! timings. Each table is asked with `Connection::raw_dump`, which hands over
//! the kernel's reply datagrams unparsed; they are printed as Rust byte
//! arrays, one line per field with a comment naming it. The field layouts
//! used for the comments are written out here from the uapi headers, on
//! purpose independently of the library's decoders, which the tests check
//! against them.
//!
//! The output is the whole `src/fixtures.rs`; the test module
//! `src/fixture_tests.rs` asserts the values, so a new capture needs its
//! expectations updated.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use std::time::Duration;

use sockdiag::{Connection, Extensions, Family, Query, State};
use socket2::{Domain, Protocol, SockAddr, SockFilter, Socket, Type};

/// Where the unix path listener is bound (inside the fresh namespace, but
/// paths are not namespaced: it is removed afterwards).
const UNIX_PATH: &str = "/tmp/rss-fixture.sock";

fn main() {
    if let Some(why) = testkit::privilege_error() {
        eprintln!("capture: needs root to make a network namespace: {why}");
        std::process::exit(2);
    }
    if let Err(e) = run() {
        eprintln!("capture: {e}");
        std::process::exit(1);
    }
}

type BoxError = Box<dyn std::error::Error>;

fn all_ext() -> Extensions {
    Extensions::all()
}

/// The sockets of the scenario, held open until the captures are done.
#[derive(Default)]
struct Held {
    sockets: Vec<Socket>,
    streams: Vec<TcpStream>,
    unix: Vec<UnixStream>,
    unix_listeners: Vec<UnixListener>,
    unix_dgrams: Vec<UnixDatagram>,
}

fn run() -> Result<(), BoxError> {
    let ns = testkit::NetNs::new()?;
    let diag_ns = sockdiag::NetNs::from_path(ns.path())?;
    let mut conn = Connection::in_netns(&diag_ns)?;
    let mut held = Held::default();
    let mut fixtures: Vec<(String, String, Vec<Vec<u8>>, Kind)> = Vec::new();

    // --- IPv4 TCP -------------------------------------------------------
    let v4 = ns.run(scenario_v4)?;
    held.sockets.extend(v4.0);
    held.streams.extend(v4.1);
    settle(&mut conn, &Query::tcp().family(Family::Inet), |s| {
        let listen = s.iter().any(|x| x.state == State::Listen && x.recv_q == 1);
        let reader = s
            .iter()
            .any(|x| x.local_port() == Some(5000) && x.recv_q == 1000);
        let writer_acked = s
            .iter()
            .any(|x| x.peer_port() == Some(5000) && x.state == State::Established)
            && s.iter()
                .filter(|x| x.peer_port() == Some(5000))
                .all(|x| x.send_q == 0);
        let tw = s.iter().any(|x| x.state == State::TimeWait);
        listen && reader && writer_acked && tw
    })?;
    let q = Query::tcp().family(Family::Inet).extensions(all_ext());
    fixtures.push((
        "TCP4".into(),
        "`Query::tcp().family(Family::Inet).extensions(Extensions::all())`: a listener on \
         127.0.0.1:5000 (backlog 5) with one connection accepted and one waiting in its \
         accept queue; the accepted pair: client with congestion `reno`, TOS 0x10 and \
         SO_MARK 42 that sent 1000 bytes, server (`bbr`) that has not read them; the \
         waiting pair (its server side has inode 0); and a TIME-WAIT socket left by a \
         client that closed first on 127.0.0.1:5001."
            .into(),
        capture(&mut conn, &q)?,
        Kind::Inet,
    ));

    // --- IPv6 TCP and MPTCP ---------------------------------------------
    let v6 = ns.run(scenario_v6)?;
    held.sockets.extend(v6.0);
    held.streams.extend(v6.1);
    settle(&mut conn, &Query::tcp().family(Family::Inet6), |s| {
        let fw2 = s.iter().any(|x| x.state == State::FinWait2);
        let cw = s
            .iter()
            .any(|x| x.state == State::CloseWait && x.recv_q > 0);
        let mapped = s.iter().filter(|x| x.local_port() == Some(6001)).count() == 2;
        fw2 && cw && mapped
    })?;
    let q = Query::tcp().family(Family::Inet6).extensions(all_ext());
    fixtures.push((
        "TCP6".into(),
        "`Query::tcp().family(Family::Inet6).extensions(Extensions::all())`: a v6only \
         listener on [::]:6000 (backlog 7); a dual-stack listener on [::]:6001 (backlog 3) \
         with one accepted IPv4 connection (an AF_INET6 socket with v4-mapped addresses); \
         a client from ::1 with traffic class 0x20 that sent 500 bytes then shut down its \
         sending side (FIN-WAIT-2), and its accepted server that has read nothing \
         (CLOSE-WAIT)."
            .into(),
        capture(&mut conn, &q)?,
        Kind::Inet,
    ));

    let q = Query::mptcp().family(Family::Inet).extensions(all_ext());
    fixtures.push((
        "MPTCP4".into(),
        "`Query::mptcp().family(Family::Inet).extensions(Extensions::all())` (protocol 262 \
         in an INET_DIAG_REQ_PROTOCOL attribute): an MPTCP listener on 127.0.0.1:7000 \
         (backlog 4). Its INET_DIAG_INFO carries `struct mptcp_info`, not `tcp_info`."
            .into(),
        capture(&mut conn, &q)?,
        Kind::Inet,
    ));

    let q = Query::raw().family(Family::Inet);
    fixtures.push((
        "RAW4_ENOENT".into(),
        "`Query::raw().family(Family::Inet)`: this kernel has no raw_diag module, so the \
         dump ends at once with an error code."
            .into(),
        capture(&mut conn, &q)?,
        Kind::Inet,
    ));

    // --- unix -----------------------------------------------------------
    let _ = std::fs::remove_file(UNIX_PATH);
    let u = ns.run(scenario_unix);
    let u = u?;
    held.unix.extend(u.0);
    held.unix_listeners.extend(u.1);
    held.unix_dgrams.extend(u.2);
    let q = Query::unix().with_unix_icons();
    let unix = capture(&mut conn, &q);
    let _ = std::fs::remove_file(UNIX_PATH);
    fixtures.push((
        "UNIX".into(),
        format!(
            "`Query::unix().with_unix_icons()`: a stream listener bound to {UNIX_PATH} \
             (backlog 2) with one connection waiting to be accepted; that connecting \
             client; a datagram socket bound to the abstract name `@rss-fixture`; a stream \
             socketpair where one end wrote 42 bytes the other has not read; a seqpacket \
             socketpair whose first end shut down reading."
        ),
        unix?,
        Kind::Unix,
    ));

    // --- packet ---------------------------------------------------------
    held.sockets.extend(ns.run(scenario_packet)?);
    let q = Query::packet();
    fixtures.push((
        "PACKET".into(),
        "`Query::packet()`: an unbound SOCK_RAW socket for ETH_P_ALL, and a SOCK_DGRAM \
         socket for ETH_P_IP bound to `lo` (ifindex 1) with a one-instruction classic BPF \
         filter and in fanout group 7 (PACKET_FANOUT_HASH)."
            .into(),
        capture(&mut conn, &q)?,
        Kind::Packet,
    ));

    // --- netlink --------------------------------------------------------
    held.sockets.extend(ns.run(scenario_netlink)?);
    let q = Query::netlink();
    fixtures.push((
        "NETLINK".into(),
        "`Query::netlink()`: the namespace's kernel sockets, the capture's own \
         NETLINK_SOCK_DIAG socket, and a NETLINK_ROUTE socket bound to group 1 \
         (RTMGRP_LINK), which this kernel lists twice (once from the port table, once \
         from the multicast list)."
            .into(),
        capture(&mut conn, &q)?,
        Kind::Netlink,
    ));

    // --- emit -----------------------------------------------------------
    let mut out = String::new();
    header(&mut out);
    for (name, doc, datagrams, kind) in &fixtures {
        emit_fixture(&mut out, name, doc, datagrams, *kind);
    }
    let tcp4 = &fixtures[0].2;
    let server = find_inet(tcp4, |m| {
        u16::from_be_bytes([m[4], m[5]]) == 5000 && m[1] == 1
    })
    .ok_or("no accepted TCP4 socket in the capture")?;
    for cut in [104usize, 232] {
        let msg = truncate_tcp_info(&server, cut).ok_or("no INET_DIAG_INFO to truncate")?;
        let doc = format!(
            "The accepted TCP4 socket of `TCP4` (local port 5000, 1000 unread bytes) alone, \
             with its INET_DIAG_INFO attribute cut to the first {cut} bytes of `tcp_info`, \
             the layout of kernels that knew no more: the attribute's `rta_len` is \
             {} instead of 284 and `nlmsg_len` is {} bytes smaller; everything else is as \
             captured.",
            4 + cut,
            280 - cut
        );
        emit_fixture(
            &mut out,
            &format!("TCP4_INFO{cut}"),
            &doc,
            &[msg],
            Kind::Inet,
        );
    }
    drop(held);
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(())
}

fn capture(conn: &mut Connection, q: &Query) -> Result<Vec<Vec<u8>>, BoxError> {
    let mut datagrams = Vec::new();
    conn.raw_dump(q, |_, d| {
        datagrams.push(d.to_vec());
        Ok(())
    })?;
    Ok(datagrams)
}

/// Waits (up to 5 s) until a dump satisfies `ok`.
fn settle(
    conn: &mut Connection,
    q: &Query,
    ok: impl Fn(&[sockdiag::Socket]) -> bool,
) -> Result<(), BoxError> {
    for _ in 0..500 {
        let s: Vec<sockdiag::Socket> = conn.dump(q).collect::<Result<_, _>>()?;
        if ok(&s) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Err("the scenario did not settle in 5 s".into())
}

fn setsockopt_int(s: &impl AsRawFd, level: i32, name: i32, v: i32) -> std::io::Result<()> {
    // SAFETY: `v` is a live c_int and its size is passed; the fd is open.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            level,
            name,
            (&raw const v).cast(),
            size_of::<i32>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

type Sockets = (Vec<Socket>, Vec<TcpStream>);

fn scenario_v4() -> std::io::Result<Sockets> {
    let lo = Ipv4Addr::LOCALHOST;
    let l = testkit::listener(SocketAddr::from((lo, 5000)), 5, None)?;
    let c = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    c.set_tcp_congestion(b"reno")?;
    c.set_tos_v4(0x10)?;
    c.set_mark(42)?;
    c.connect(&SocketAddr::from((lo, 5000)).into())?;
    let (server, _) = l.accept()?;
    let mut c: TcpStream = c.into();
    std::io::Write::write_all(&mut c, &[0x5a; 1000])?;
    // Waits in the accept queue: never accepted.
    let waiting = TcpStream::connect((lo, 5000))?;

    // TIME-WAIT: the client closes first.
    let l2 = testkit::listener(SocketAddr::from((lo, 5001)), 1, None)?;
    let t = TcpStream::connect((lo, 5001))?;
    let (t_server, _) = l2.accept()?;
    drop(t);
    std::thread::sleep(Duration::from_millis(50));
    drop(t_server);
    drop(l2);
    Ok((vec![l, server], vec![c, waiting]))
}

fn scenario_v6() -> std::io::Result<Sockets> {
    let any6 = Ipv6Addr::UNSPECIFIED;
    let l = testkit::listener(SocketAddr::from((any6, 6000)), 7, Some(true))?;
    let dual = testkit::listener(SocketAddr::from((any6, 6001)), 3, Some(false))?;
    let c = Socket::new(Domain::IPV6, Type::STREAM, Some(Protocol::TCP))?;
    c.set_tclass_v6(0x20)?;
    c.connect(&SocketAddr::from((Ipv6Addr::LOCALHOST, 6000)).into())?;
    let (server, _) = l.accept()?;
    let mut c: TcpStream = c.into();
    std::io::Write::write_all(&mut c, &[0xa5; 500])?;
    c.shutdown(Shutdown::Write)?;
    let v4client = TcpStream::connect((Ipv4Addr::LOCALHOST, 6001))?;
    let (mapped, _) = dual.accept()?;
    // MPTCP listener (IPPROTO_MPTCP = 262).
    let m = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::from(262)))?;
    m.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 7000)).into())?;
    m.listen(4)?;
    Ok((vec![l, dual, server, mapped, m], vec![c, v4client]))
}

type UnixSockets = (Vec<UnixStream>, Vec<UnixListener>, Vec<UnixDatagram>);

fn scenario_unix() -> std::io::Result<UnixSockets> {
    let l = Socket::new(Domain::UNIX, Type::STREAM, None)?;
    l.bind(&SockAddr::unix(UNIX_PATH)?)?;
    l.listen(2)?;
    let l: UnixListener = std::os::fd::OwnedFd::from(l).into();
    let waiting = UnixStream::connect(UNIX_PATH)?;
    let d = Socket::new(Domain::UNIX, Type::DGRAM, None)?;
    d.bind(&SockAddr::unix("\0rss-fixture")?)?;
    let d: UnixDatagram = std::os::fd::OwnedFd::from(d).into();
    let (mut a, b) = UnixStream::pair()?;
    std::io::Write::write_all(&mut a, &[0x42; 42])?;
    let (s1, s2) = Socket::pair(Domain::UNIX, Type::SEQPACKET, None)?;
    s1.shutdown(Shutdown::Read)?;
    let s1: UnixStream = std::os::fd::OwnedFd::from(s1).into();
    let s2: UnixStream = std::os::fd::OwnedFd::from(s2).into();
    Ok((vec![waiting, a, b, s1, s2], vec![l], vec![d]))
}

fn scenario_packet() -> std::io::Result<Vec<Socket>> {
    const ETH_P_ALL: u16 = 0x0003;
    const ETH_P_IP: u16 = 0x0800;
    let raw = Socket::new(
        Domain::PACKET,
        Type::RAW,
        Some(Protocol::from(ETH_P_ALL.to_be() as i32)),
    )?;
    let dgram = Socket::new(
        Domain::PACKET,
        Type::DGRAM,
        Some(Protocol::from(ETH_P_IP.to_be() as i32)),
    )?;
    // SAFETY: sockaddr_ll is plain data; all zeroes is valid.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = ETH_P_IP.to_be();
    sll.sll_ifindex = 1; // lo
    // SAFETY: the pointer and size describe `sll`, which outlives the call.
    let rc = unsafe {
        libc::bind(
            dgram.as_raw_fd(),
            (&raw const sll).cast(),
            size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // `ret #0x40000`: accept every packet, whole.
    dgram.attach_filter(&[SockFilter::new(0x06, 0, 0, 0x40000)])?;
    setsockopt_int(&dgram, libc::SOL_PACKET, libc::PACKET_FANOUT, 7)?;
    Ok(vec![raw, dgram])
}

fn scenario_netlink() -> std::io::Result<Vec<Socket>> {
    let s = Socket::new(
        Domain::from(libc::AF_NETLINK),
        Type::RAW,
        Some(Protocol::from(libc::NETLINK_ROUTE)),
    )?;
    // SAFETY: sockaddr_nl is plain data; all zeroes is valid.
    let mut snl: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    snl.nl_family = libc::AF_NETLINK as u16;
    snl.nl_groups = 1; // RTMGRP_LINK
    // SAFETY: the pointer and size describe `snl`, which outlives the call.
    let rc = unsafe {
        libc::bind(
            s.as_raw_fd(),
            (&raw const snl).cast(),
            size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(vec![s])
}

// ---------------------------------------------------------------------------
// Message surgery.

/// Walks the messages of one datagram: (offset, nlmsg_len, type).
fn messages(d: &[u8]) -> Vec<(usize, usize, u16)> {
    let mut out = Vec::new();
    let mut off = 0;
    while off + 16 <= d.len() {
        let len = u32_ne(d, off) as usize;
        if len < 16 || off + len > d.len() {
            break;
        }
        out.push((off, len, u16_ne(d, off + 4)));
        off += (len + 3) & !3;
    }
    out
}

/// The first SOCK_DIAG_BY_FAMILY message whose inet_diag_msg satisfies `pred`.
fn find_inet(datagrams: &[Vec<u8>], pred: impl Fn(&[u8]) -> bool) -> Option<Vec<u8>> {
    for d in datagrams {
        for (off, len, ty) in messages(d) {
            let body = &d[off + 16..off + len];
            if ty == 20 && body.len() >= 72 && pred(body) {
                return Some(d[off..off + len].to_vec());
            }
        }
    }
    None
}

/// Cuts the INET_DIAG_INFO attribute of one message to `keep` payload bytes,
/// fixing `rta_len` and `nlmsg_len`.
fn truncate_tcp_info(msg: &[u8], keep: usize) -> Option<Vec<u8>> {
    let mut off = 16 + 72;
    while off + 4 <= msg.len() {
        let len = u16_ne(msg, off) as usize;
        let ty = u16_ne(msg, off + 2);
        if len < 4 {
            return None;
        }
        if ty == 2 {
            let old_aligned = (len + 3) & !3;
            let new_len = 4 + keep.min(len - 4);
            let mut out = Vec::with_capacity(msg.len());
            out.extend_from_slice(&msg[..off]);
            out.extend_from_slice(&(new_len as u16).to_ne_bytes());
            out.extend_from_slice(&msg[off + 2..off + new_len]);
            out.resize((out.len() + 3) & !3, 0);
            out.extend_from_slice(&msg[off + old_aligned..]);
            let total = out.len() as u32;
            out[0..4].copy_from_slice(&total.to_ne_bytes());
            return Some(out);
        }
        off += (len + 3) & !3;
    }
    None
}

// ---------------------------------------------------------------------------
// Annotated output.

#[derive(Clone, Copy)]
enum Kind {
    Inet,
    Unix,
    Packet,
    Netlink,
}

fn u16_ne(b: &[u8], off: usize) -> u16 {
    b.get(off..off + 2)
        .map_or(0, |s| u16::from_ne_bytes([s[0], s[1]]))
}
fn u32_ne(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4)
        .map_or(0, |s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
}
fn u64_ne(b: &[u8], off: usize) -> u64 {
    b.get(off..off + 8).map_or(0, |s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        u64::from_ne_bytes(a)
    })
}

/// Writes one line of bytes with a comment; long runs wrap at 16 bytes.
struct Out<'a> {
    s: &'a mut String,
    indent: &'static str,
}

impl Out<'_> {
    fn bytes(&mut self, b: &[u8], comment: &str) {
        if b.is_empty() {
            let _ = writeln!(self.s, "{}// {comment} (no bytes)", self.indent);
            return;
        }
        for (i, chunk) in b.chunks(16).enumerate() {
            let hex: Vec<String> = chunk.iter().map(|x| format!("0x{x:02x},")).collect();
            let c = if i == 0 {
                comment.to_owned()
            } else {
                format!("{comment} (cont.)")
            };
            let _ = writeln!(self.s, "{}{} // {c}", self.indent, hex.join(" "));
        }
    }

    fn note(&mut self, text: &str) {
        let _ = writeln!(self.s, "{}// {text}", self.indent);
    }
}

fn header(out: &mut String) {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let _ = write!(
        out,
        "//! Netlink reply datagrams captured from Linux {} (x86_64, little-endian),
//! for the decoder tests in `fixture_tests.rs`.
//!
//! Generated, do not edit: captured as root with
//!
//! ```text
//! cargo run -p sockdiag --example capture > crates/sockdiag/src/fixtures.rs
//! ```
//!
//! which builds the sockets described on each constant in a fresh network
//! namespace (`testkit::NetNs`, an `unshare(CLONE_NEWNET)` thread with `lo`
//! up) and records `Connection::raw_dump`'s datagrams verbatim, except the
//! `TCP4_INFO*` truncations, made from `TCP4` as their documentation says.
//! Each fixture is a list of datagrams (one `recv` each); every field is
//! commented with its C name from the uapi headers (`<linux/netlink.h>`,
//! `<linux/inet_diag.h>`, `<linux/tcp.h>`, `<linux/unix_diag.h>`,
//! `<linux/packet_diag.h>`, `<linux/netlink_diag.h>`, `<linux/sock_diag.h>`).
//! Integers are in host (little-endian) order except ports and addresses,
//! which are in network order.
#![allow(dead_code)]
",
        kernel.trim()
    );
}

fn emit_fixture(out: &mut String, name: &str, doc: &str, datagrams: &[Vec<u8>], kind: Kind) {
    let _ = writeln!(out);
    for line in wrap(doc, 76) {
        let _ = writeln!(out, "/// {line}");
    }
    // One field per line with its comment: keep rustfmt from packing the bytes.
    let _ = writeln!(out, "#[rustfmt::skip]");
    let _ = writeln!(out, "pub(crate) const {name}: &[&[u8]] = &[");
    for (i, d) in datagrams.iter().enumerate() {
        let msgs = messages(d);
        let _ = writeln!(
            out,
            "    // Datagram {} of {}: {} bytes, {} message(s).",
            i + 1,
            datagrams.len(),
            d.len(),
            msgs.len()
        );
        let _ = writeln!(out, "    &[");
        let mut o = Out {
            s: out,
            indent: "        ",
        };
        let mut end = 0;
        for (j, &(off, len, ty)) in msgs.iter().enumerate() {
            if off > end {
                o.bytes(&d[end..off], "message padding");
            }
            o.note(&format!(
                "---- message {} (datagram offset {off}) ----",
                j + 1
            ));
            nlmsghdr(&mut o, &d[off..off + 16]);
            let body = &d[off + 16..off + len];
            match ty {
                2 | 3 => done_or_error(&mut o, ty, body),
                20 => match kind {
                    Kind::Inet => inet_msg(&mut o, body),
                    Kind::Unix => unix_msg(&mut o, body),
                    Kind::Packet => packet_msg(&mut o, body),
                    Kind::Netlink => netlink_msg(&mut o, body),
                },
                _ => o.bytes(body, "payload of an unexpected message type"),
            }
            end = off + len;
        }
        if end < d.len() {
            o.bytes(&d[end..], "trailing bytes");
        }
        let _ = writeln!(out, "    ],");
    }
    let _ = writeln!(out, "];");
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for w in text.split_whitespace() {
        if !cur.is_empty() && cur.len() + 1 + w.len() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

fn nlmsghdr(o: &mut Out<'_>, h: &[u8]) {
    let ty = u16_ne(h, 4);
    let tyname = match ty {
        2 => "NLMSG_ERROR",
        3 => "NLMSG_DONE",
        20 => "SOCK_DIAG_BY_FAMILY",
        _ => "?",
    };
    let flags = u16_ne(h, 6);
    let mut fl = Vec::new();
    for (bit, n) in [
        (1, "NLM_F_REQUEST"),
        (2, "NLM_F_MULTI"),
        (4, "NLM_F_ACK"),
        (8, "NLM_F_ECHO"),
        (0x10, "NLM_F_DUMP_INTR"),
        (0x20, "NLM_F_DUMP_FILTERED"),
    ] {
        if flags & bit != 0 {
            fl.push(n);
        }
    }
    let fl = if fl.is_empty() {
        "0".to_owned()
    } else {
        fl.join("|")
    };
    o.bytes(&h[0..4], &format!("nlmsghdr.nlmsg_len = {}", u32_ne(h, 0)));
    o.bytes(&h[4..6], &format!("nlmsghdr.nlmsg_type = {ty} ({tyname})"));
    o.bytes(
        &h[6..8],
        &format!("nlmsghdr.nlmsg_flags = {flags:#x} ({fl})"),
    );
    o.bytes(&h[8..12], &format!("nlmsghdr.nlmsg_seq = {}", u32_ne(h, 8)));
    o.bytes(
        &h[12..16],
        &format!("nlmsghdr.nlmsg_pid = {}", u32_ne(h, 12)),
    );
}

fn errno_name(e: i32) -> String {
    let name = match -e {
        0 => return "0".into(),
        2 => "ENOENT",
        22 => "EINVAL",
        95 => "EOPNOTSUPP",
        _ => "?",
    };
    format!("{e} (-{name})")
}

fn done_or_error(o: &mut Out<'_>, ty: u16, b: &[u8]) {
    let code = u32_ne(b, 0) as i32;
    let what = if ty == 3 {
        "NLMSG_DONE: int error"
    } else {
        "nlmsgerr.error"
    };
    o.bytes(
        &b[..b.len().min(4)],
        &format!("{what} = {}", errno_name(code)),
    );
    if ty == 2 && b.len() >= 20 {
        o.note("nlmsgerr.msg: the request's header, echoed");
        nlmsghdr(o, &b[4..20]);
        if b.len() > 20 {
            o.bytes(&b[20..], "the request's body (or extended-ack attributes)");
        }
    } else if b.len() > 4 {
        o.bytes(&b[4..], "extended-ack attributes");
    }
}

fn state_name(s: u8) -> &'static str {
    [
        "?",
        "TCP_ESTABLISHED",
        "TCP_SYN_SENT",
        "TCP_SYN_RECV",
        "TCP_FIN_WAIT1",
        "TCP_FIN_WAIT2",
        "TCP_TIME_WAIT",
        "TCP_CLOSE",
        "TCP_CLOSE_WAIT",
        "TCP_LAST_ACK",
        "TCP_LISTEN",
        "TCP_CLOSING",
        "TCP_NEW_SYN_RECV",
        "TCP_BOUND_INACTIVE",
    ]
    .get(s as usize)
    .copied()
    .unwrap_or("?")
}

fn addr(b: &[u8], family: u8) -> String {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    if family == 10 {
        Ipv6Addr::from(a).to_string()
    } else {
        format!(
            "{} (first 4 bytes; the rest unused)",
            Ipv4Addr::new(a[0], a[1], a[2], a[3])
        )
    }
}

fn inet_msg(o: &mut Out<'_>, m: &[u8]) {
    if m.len() < 72 {
        o.bytes(m, "short inet_diag_msg");
        return;
    }
    let fam = m[0];
    let famname = match fam {
        2 => "AF_INET",
        10 => "AF_INET6",
        _ => "?",
    };
    o.note("struct inet_diag_msg (72 bytes)");
    o.bytes(&m[0..1], &format!("idiag_family = {fam} ({famname})"));
    o.bytes(
        &m[1..2],
        &format!("idiag_state = {} ({})", m[1], state_name(m[1])),
    );
    let timer = [
        "none",
        "on (retransmit)",
        "keepalive",
        "timewait",
        "persist (zero window probe)",
        "delack",
    ];
    o.bytes(
        &m[2..3],
        &format!(
            "idiag_timer = {} ({})",
            m[2],
            timer.get(m[2] as usize).unwrap_or(&"?")
        ),
    );
    o.bytes(&m[3..4], &format!("idiag_retrans = {}", m[3]));
    o.bytes(
        &m[4..6],
        &format!(
            "id.idiag_sport = {} (big-endian)",
            u16::from_be_bytes([m[4], m[5]])
        ),
    );
    o.bytes(
        &m[6..8],
        &format!(
            "id.idiag_dport = {} (big-endian)",
            u16::from_be_bytes([m[6], m[7]])
        ),
    );
    o.bytes(
        &m[8..24],
        &format!("id.idiag_src = {}", addr(&m[8..24], fam)),
    );
    o.bytes(
        &m[24..40],
        &format!("id.idiag_dst = {}", addr(&m[24..40], fam)),
    );
    o.bytes(&m[40..44], &format!("id.idiag_if = {}", u32_ne(m, 40)));
    let cookie = u32_ne(m, 44) as u64 | (u32_ne(m, 48) as u64) << 32;
    o.bytes(
        &m[44..48],
        &format!(
            "id.idiag_cookie[0] = {:#x} (cookie {cookie:#x})",
            u32_ne(m, 44)
        ),
    );
    o.bytes(
        &m[48..52],
        &format!("id.idiag_cookie[1] = {:#x}", u32_ne(m, 48)),
    );
    o.bytes(&m[52..56], &format!("idiag_expires = {} ms", u32_ne(m, 52)));
    o.bytes(&m[56..60], &format!("idiag_rqueue = {}", u32_ne(m, 56)));
    o.bytes(&m[60..64], &format!("idiag_wqueue = {}", u32_ne(m, 60)));
    o.bytes(&m[64..68], &format!("idiag_uid = {}", u32_ne(m, 64)));
    o.bytes(&m[68..72], &format!("idiag_inode = {}", u32_ne(m, 68)));
    attrs(o, &m[72..], inet_attr);
}

/// Walks an attribute list, annotating each header and handing payloads to `f`.
fn attrs(o: &mut Out<'_>, b: &[u8], mut f: impl FnMut(&mut Out<'_>, u16, &[u8]) -> &'static str) {
    let mut off = 0;
    while off + 4 <= b.len() {
        let len = u16_ne(b, off) as usize;
        let ty = u16_ne(b, off + 2);
        if len < 4 || off + len > b.len() {
            o.bytes(&b[off..], "malformed attribute");
            return;
        }
        let mut body = String::new();
        let mut inner = Out {
            s: &mut body,
            indent: o.indent,
        };
        let name = f(&mut inner, ty, &b[off + 4..off + len]);
        o.bytes(&b[off..off + 2], &format!("rtattr.rta_len = {len}"));
        o.bytes(
            &b[off + 2..off + 4],
            &format!("rtattr.rta_type = {ty} ({name})"),
        );
        o.s.push_str(&body);
        let next = ((off + len + 3) & !3).min(b.len());
        if next > off + len {
            o.bytes(&b[off + len..next], "attribute padding");
        }
        off = next;
    }
    if off < b.len() {
        o.bytes(&b[off..], "trailing bytes");
    }
}

fn u32s(o: &mut Out<'_>, p: &[u8], names: &[&str]) {
    let mut off = 0;
    for n in names {
        if off + 4 > p.len() {
            break;
        }
        o.bytes(&p[off..off + 4], &format!("{n} = {}", u32_ne(p, off)));
        off += 4;
    }
    if off < p.len() {
        o.bytes(&p[off..], "more values");
    }
}

const SK_MEMINFO: [&str; 9] = [
    "SK_MEMINFO_RMEM_ALLOC",
    "SK_MEMINFO_RCVBUF",
    "SK_MEMINFO_WMEM_ALLOC",
    "SK_MEMINFO_SNDBUF",
    "SK_MEMINFO_FWD_ALLOC",
    "SK_MEMINFO_WMEM_QUEUED",
    "SK_MEMINFO_OPTMEM",
    "SK_MEMINFO_BACKLOG",
    "SK_MEMINFO_DROPS",
];

fn text(p: &[u8]) -> String {
    let s: String = p
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as char)
        .collect();
    format!("{s:?}")
}

fn inet_attr(o: &mut Out<'_>, ty: u16, p: &[u8]) -> &'static str {
    match ty {
        1 => {
            u32s(
                o,
                p,
                &["idiag_rmem", "idiag_wmem", "idiag_fmem", "idiag_tmem"],
            );
            "INET_DIAG_MEMINFO: struct inet_diag_meminfo"
        }
        2 if p.len() == 280 || p.len() == 232 || p.len() == 104 => {
            tcp_info(o, p);
            "INET_DIAG_INFO: struct tcp_info"
        }
        2 => {
            o.bytes(
                p,
                &format!(
                    "{} bytes of struct mptcp_info (MPTCP's INET_DIAG_INFO)",
                    p.len()
                ),
            );
            "INET_DIAG_INFO: struct mptcp_info"
        }
        3 => {
            u32s(
                o,
                p,
                &["tcpv_enabled", "tcpv_rttcnt", "tcpv_rtt", "tcpv_minrtt"],
            );
            "INET_DIAG_VEGASINFO"
        }
        4 => {
            o.bytes(p, &format!("congestion control name {}", text(p)));
            "INET_DIAG_CONG"
        }
        5 => {
            o.bytes(p, &format!("tos = {:#x}", p.first().copied().unwrap_or(0)));
            "INET_DIAG_TOS"
        }
        6 => {
            o.bytes(
                p,
                &format!("tclass = {:#x}", p.first().copied().unwrap_or(0)),
            );
            "INET_DIAG_TCLASS"
        }
        7 => {
            u32s(o, p, &SK_MEMINFO);
            "INET_DIAG_SKMEMINFO: u32[SK_MEMINFO_VARS]"
        }
        8 => {
            let v = p.first().copied().unwrap_or(0);
            o.bytes(
                p,
                &format!(
                    "sk_shutdown = {v} (RCV_SHUTDOWN {}, SEND_SHUTDOWN {})",
                    v & 1,
                    (v >> 1) & 1
                ),
            );
            "INET_DIAG_SHUTDOWN"
        }
        9 => {
            o.bytes(p, "struct tcp_dctcp_info");
            "INET_DIAG_DCTCPINFO"
        }
        10 => {
            o.bytes(
                p,
                &format!("protocol = {}", p.first().copied().unwrap_or(0)),
            );
            "INET_DIAG_PROTOCOL"
        }
        11 => {
            o.bytes(
                p,
                &format!("ipv6only = {}", p.first().copied().unwrap_or(0)),
            );
            "INET_DIAG_SKV6ONLY"
        }
        15 => {
            u32s(o, p, &["sk_mark"]);
            "INET_DIAG_MARK"
        }
        16 => {
            u32s(
                o,
                p,
                &[
                    "bbr_bw_lo",
                    "bbr_bw_hi",
                    "bbr_min_rtt (us)",
                    "bbr_pacing_gain (<< 8)",
                    "bbr_cwnd_gain (<< 8)",
                ],
            );
            "INET_DIAG_BBRINFO: struct tcp_bbr_info"
        }
        17 => {
            u32s(o, p, &["class id"]);
            "INET_DIAG_CLASS_ID"
        }
        19 => {
            o.bytes(p, "nested INET_ULP_INFO_* attributes");
            "INET_DIAG_ULP_INFO"
        }
        21 => {
            o.bytes(p, &format!("cgroup v2 id = {}", u64_ne(p, 0)));
            "INET_DIAG_CGROUP_ID"
        }
        22 => {
            let v = u16_ne(p, 0);
            let names = [
                "recverr",
                "is_icsk",
                "freebind",
                "hdrincl",
                "mc_loop",
                "transparent",
                "mc_all",
                "nodefrag",
                "bind_address_no_port",
                "recverr_rfc4884",
                "defer_connect",
            ];
            let set: Vec<&str> = names
                .iter()
                .enumerate()
                .filter(|(i, _)| v & (1 << i) != 0)
                .map(|(_, n)| *n)
                .collect();
            o.bytes(
                p,
                &format!(
                    "struct inet_diag_sockopt bits = {v:#06x} ({})",
                    set.join(", ")
                ),
            );
            "INET_DIAG_SOCKOPT"
        }
        _ => {
            o.bytes(p, "payload");
            "not modelled"
        }
    }
}

/// `struct tcp_info` of 6.18: (name, offset, size); bytes 6 and 7 are bit-fields.
const TCP_INFO: &[(&str, usize, usize)] = &[
    ("tcpi_state", 0, 1),
    ("tcpi_ca_state", 1, 1),
    ("tcpi_retransmits", 2, 1),
    ("tcpi_probes", 3, 1),
    ("tcpi_backoff", 4, 1),
    ("tcpi_options", 5, 1),
    ("tcpi_snd_wscale:4, tcpi_rcv_wscale:4", 6, 1),
    (
        "tcpi_delivery_rate_app_limited:1, tcpi_fastopen_client_fail:2",
        7,
        1,
    ),
    ("tcpi_rto", 8, 4),
    ("tcpi_ato", 12, 4),
    ("tcpi_snd_mss", 16, 4),
    ("tcpi_rcv_mss", 20, 4),
    ("tcpi_unacked", 24, 4),
    ("tcpi_sacked", 28, 4),
    ("tcpi_lost", 32, 4),
    ("tcpi_retrans", 36, 4),
    ("tcpi_fackets", 40, 4),
    ("tcpi_last_data_sent", 44, 4),
    ("tcpi_last_ack_sent", 48, 4),
    ("tcpi_last_data_recv", 52, 4),
    ("tcpi_last_ack_recv", 56, 4),
    ("tcpi_pmtu", 60, 4),
    ("tcpi_rcv_ssthresh", 64, 4),
    ("tcpi_rtt", 68, 4),
    ("tcpi_rttvar", 72, 4),
    ("tcpi_snd_ssthresh", 76, 4),
    ("tcpi_snd_cwnd", 80, 4),
    ("tcpi_advmss", 84, 4),
    ("tcpi_reordering", 88, 4),
    ("tcpi_rcv_rtt", 92, 4),
    ("tcpi_rcv_space", 96, 4),
    ("tcpi_total_retrans", 100, 4),
    ("tcpi_pacing_rate", 104, 8),
    ("tcpi_max_pacing_rate", 112, 8),
    ("tcpi_bytes_acked", 120, 8),
    ("tcpi_bytes_received", 128, 8),
    ("tcpi_segs_out", 136, 4),
    ("tcpi_segs_in", 140, 4),
    ("tcpi_notsent_bytes", 144, 4),
    ("tcpi_min_rtt", 148, 4),
    ("tcpi_data_segs_in", 152, 4),
    ("tcpi_data_segs_out", 156, 4),
    ("tcpi_delivery_rate", 160, 8),
    ("tcpi_busy_time", 168, 8),
    ("tcpi_rwnd_limited", 176, 8),
    ("tcpi_sndbuf_limited", 184, 8),
    ("tcpi_delivered", 192, 4),
    ("tcpi_delivered_ce", 196, 4),
    ("tcpi_bytes_sent", 200, 8),
    ("tcpi_bytes_retrans", 208, 8),
    ("tcpi_dsack_dups", 216, 4),
    ("tcpi_reord_seen", 220, 4),
    ("tcpi_rcv_ooopack", 224, 4),
    ("tcpi_snd_wnd", 228, 4),
    ("tcpi_rcv_wnd", 232, 4),
    ("tcpi_rehash", 236, 4),
    ("tcpi_total_rto", 240, 2),
    ("tcpi_total_rto_recoveries", 242, 2),
    ("tcpi_total_rto_time", 244, 4),
    ("tcpi_received_ce", 248, 4),
    ("tcpi_delivered_e1_bytes", 252, 4),
    ("tcpi_delivered_e0_bytes", 256, 4),
    ("tcpi_delivered_ce_bytes", 260, 4),
    ("tcpi_received_e1_bytes", 264, 4),
    ("tcpi_received_e0_bytes", 268, 4),
    ("tcpi_received_ce_bytes", 272, 4),
    ("tcpi_accecn_fail_mode", 276, 2),
    ("tcpi_accecn_opt_seen", 278, 2),
];

fn tcp_info(o: &mut Out<'_>, p: &[u8]) {
    o.note(&format!("struct tcp_info: {} bytes", p.len()));
    let mut end = 0;
    for &(name, off, size) in TCP_INFO {
        if off + size > p.len() {
            break;
        }
        let b = &p[off..off + size];
        let v: u64 = match size {
            1 => b[0] as u64,
            2 => u16_ne(b, 0) as u64,
            4 => u32_ne(b, 0) as u64,
            _ => u64_ne(b, 0),
        };
        let comment = match off {
            6 => format!(
                "{name} = {v:#04x} (snd_wscale {}, rcv_wscale {})",
                v & 15,
                v >> 4
            ),
            7 => format!(
                "{name} = {v:#04x} (app_limited {}, fastopen_client_fail {})",
                v & 1,
                (v >> 1) & 3
            ),
            _ => format!("{name} = {v}"),
        };
        o.bytes(b, &format!("[{off}..{}] {comment}", off + size));
        end = off + size;
    }
    if end < p.len() {
        o.bytes(&p[end..], "tcp_info bytes unknown to this layout");
    }
}

fn unix_msg(o: &mut Out<'_>, m: &[u8]) {
    if m.len() < 16 {
        o.bytes(m, "short unix_diag_msg");
        return;
    }
    o.note("struct unix_diag_msg (16 bytes)");
    o.bytes(&m[0..1], &format!("udiag_family = {} (AF_UNIX)", m[0]));
    let ty = match m[1] {
        1 => "SOCK_STREAM",
        2 => "SOCK_DGRAM",
        5 => "SOCK_SEQPACKET",
        _ => "?",
    };
    o.bytes(&m[1..2], &format!("udiag_type = {} ({ty})", m[1]));
    o.bytes(
        &m[2..3],
        &format!("udiag_state = {} ({})", m[2], state_name(m[2])),
    );
    o.bytes(&m[3..4], "pad");
    o.bytes(&m[4..8], &format!("udiag_ino = {}", u32_ne(m, 4)));
    o.bytes(&m[8..12], &format!("udiag_cookie[0] = {:#x}", u32_ne(m, 8)));
    o.bytes(
        &m[12..16],
        &format!("udiag_cookie[1] = {:#x}", u32_ne(m, 12)),
    );
    attrs(o, &m[16..], |o, ty, p| match ty {
        0 => {
            let shown = match p.first() {
                Some(0) => format!("abstract @{}", text(&p[1..])),
                _ => format!("path {}", text(p)),
            };
            o.bytes(p, &format!("sun_path: {shown}"));
            "UNIX_DIAG_NAME"
        }
        1 => {
            u32s(o, p, &["udiag_vfs_ino", "udiag_vfs_dev"]);
            "UNIX_DIAG_VFS: struct unix_diag_vfs"
        }
        2 => {
            u32s(o, p, &["peer inode"]);
            "UNIX_DIAG_PEER"
        }
        3 => {
            let names: Vec<String> = (0..p.len() / 4)
                .map(|i| format!("inode of connecting peer {i} waiting to be accepted"))
                .collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            u32s(o, p, &names);
            "UNIX_DIAG_ICONS"
        }
        4 => {
            u32s(o, p, &["udiag_rqueue", "udiag_wqueue"]);
            "UNIX_DIAG_RQLEN: struct unix_diag_rqlen"
        }
        5 => {
            u32s(o, p, &SK_MEMINFO);
            "UNIX_DIAG_MEMINFO: u32[SK_MEMINFO_VARS]"
        }
        6 => {
            let v = p.first().copied().unwrap_or(0);
            o.bytes(
                p,
                &format!(
                    "sk_shutdown = {v} (RCV_SHUTDOWN {}, SEND_SHUTDOWN {})",
                    v & 1,
                    (v >> 1) & 1
                ),
            );
            "UNIX_DIAG_SHUTDOWN"
        }
        7 => {
            u32s(o, p, &["uid"]);
            "UNIX_DIAG_UID"
        }
        _ => {
            o.bytes(p, "payload");
            "not modelled"
        }
    });
}

fn packet_msg(o: &mut Out<'_>, m: &[u8]) {
    if m.len() < 16 {
        o.bytes(m, "short packet_diag_msg");
        return;
    }
    o.note("struct packet_diag_msg (16 bytes)");
    o.bytes(&m[0..1], &format!("pdiag_family = {} (AF_PACKET)", m[0]));
    let ty = match m[1] {
        2 => "SOCK_DGRAM",
        3 => "SOCK_RAW",
        _ => "?",
    };
    o.bytes(&m[1..2], &format!("pdiag_type = {} ({ty})", m[1]));
    // packet_diag.c stores ntohs(po->num): the protocol in host order.
    o.bytes(
        &m[2..4],
        &format!(
            "pdiag_num = {:#06x} (ETH_P_* protocol, host order)",
            u16_ne(m, 2)
        ),
    );
    o.bytes(&m[4..8], &format!("pdiag_ino = {}", u32_ne(m, 4)));
    o.bytes(&m[8..12], &format!("pdiag_cookie[0] = {:#x}", u32_ne(m, 8)));
    o.bytes(
        &m[12..16],
        &format!("pdiag_cookie[1] = {:#x}", u32_ne(m, 12)),
    );
    attrs(o, &m[16..], |o, ty, p| match ty {
        0 => {
            u32s(
                o,
                p,
                &[
                    "pdi_index",
                    "pdi_version",
                    "pdi_reserve",
                    "pdi_copy_thresh",
                    "pdi_tstamp",
                    "pdi_flags",
                ],
            );
            "PACKET_DIAG_INFO: struct packet_diag_info"
        }
        1 => {
            o.bytes(p, "struct packet_diag_mclist[]");
            "PACKET_DIAG_MCLIST"
        }
        4 => {
            let v = u32_ne(p, 0);
            o.bytes(
                p,
                &format!("fanout = {v:#x} (id {}, type {})", v & 0xffff, v >> 16),
            );
            "PACKET_DIAG_FANOUT"
        }
        5 => {
            u32s(o, p, &["uid"]);
            "PACKET_DIAG_UID"
        }
        6 => {
            u32s(o, p, &SK_MEMINFO);
            "PACKET_DIAG_MEMINFO: u32[SK_MEMINFO_VARS]"
        }
        7 => {
            for (i, insn) in p.chunks(8).enumerate() {
                o.bytes(
                    insn,
                    &format!(
                        "sock_filter[{i}] = {{code {:#06x}, jt {}, jf {}, k {:#x}}}",
                        u16_ne(insn, 0),
                        insn.get(2).copied().unwrap_or(0),
                        insn.get(3).copied().unwrap_or(0),
                        u32_ne(insn, 4)
                    ),
                );
            }
            "PACKET_DIAG_FILTER: struct sock_filter[]"
        }
        _ => {
            o.bytes(p, "payload");
            "not modelled"
        }
    });
}

fn netlink_msg(o: &mut Out<'_>, m: &[u8]) {
    if m.len() < 28 {
        o.bytes(m, "short netlink_diag_msg");
        return;
    }
    let proto = match m[2] {
        0 => "NETLINK_ROUTE",
        4 => "NETLINK_SOCK_DIAG",
        6 => "NETLINK_XFRM",
        9 => "NETLINK_AUDIT",
        10 => "NETLINK_FIB_LOOKUP",
        12 => "NETLINK_NETFILTER",
        15 => "NETLINK_KOBJECT_UEVENT",
        16 => "NETLINK_GENERIC",
        _ => "?",
    };
    o.note("struct netlink_diag_msg (28 bytes)");
    o.bytes(&m[0..1], &format!("ndiag_family = {} (AF_NETLINK)", m[0]));
    o.bytes(
        &m[1..2],
        &format!("ndiag_type = {} (SOCK_RAW 3, SOCK_DGRAM 2)", m[1]),
    );
    o.bytes(&m[2..3], &format!("ndiag_protocol = {} ({proto})", m[2]));
    o.bytes(
        &m[3..4],
        &format!(
            "ndiag_state = {} (sk_state: 7 = TCP_CLOSE from sock_init_data, 1 = NETLINK_CONNECTED)",
            m[3]
        ),
    );
    o.bytes(&m[4..8], &format!("ndiag_portid = {}", u32_ne(m, 4)));
    o.bytes(&m[8..12], &format!("ndiag_dst_portid = {}", u32_ne(m, 8)));
    o.bytes(&m[12..16], &format!("ndiag_dst_group = {}", u32_ne(m, 12)));
    o.bytes(&m[16..20], &format!("ndiag_ino = {}", u32_ne(m, 16)));
    o.bytes(
        &m[20..24],
        &format!("ndiag_cookie[0] = {:#x}", u32_ne(m, 20)),
    );
    o.bytes(
        &m[24..28],
        &format!("ndiag_cookie[1] = {:#x}", u32_ne(m, 24)),
    );
    attrs(o, &m[28..], |o, ty, p| match ty {
        0 => {
            u32s(o, p, &SK_MEMINFO);
            "NETLINK_DIAG_MEMINFO: u32[SK_MEMINFO_VARS]"
        }
        1 => {
            let names: Vec<String> = (0..p.len() / 4)
                .map(|i| format!("groups bitmap word {i}"))
                .collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            u32s(o, p, &names);
            "NETLINK_DIAG_GROUPS"
        }
        4 => {
            u32s(o, p, &["NDIAG_FLAG_* bits"]);
            "NETLINK_DIAG_FLAGS"
        }
        _ => {
            o.bytes(p, "payload");
            "not modelled"
        }
    });
}
