//! `Killer::kill_id`: closing a connection known by its addresses and
//! ports (and interface, and cookie), without a dump, in private network
//! namespaces.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use sockdiag::{Killer, Query, Socket, SocketId, State};
use testkit::require_privileged;

/// A namespace, as testkit's (to make sockets in) and as sockdiag's (to
/// dump and kill in).
struct Lab {
    ns: testkit::NetNs,
    diag: sockdiag::NetNs,
}

impl Lab {
    fn new() -> Lab {
        let ns = testkit::NetNs::new().expect("a private network namespace");
        let diag = sockdiag::NetNs::from_path(ns.path()).expect("the namespace file opens");
        Lab { ns, diag }
    }

    /// The established TCP sockets of the namespace.
    fn established(&self) -> Vec<Socket> {
        Query::tcp()
            .dump_in(&self.diag)
            .expect("dump starts")
            .collect::<Result<Vec<_>, _>>()
            .expect("dump completes")
            .into_iter()
            .filter(|s| s.state == State::Established)
            .collect()
    }

    fn killer(&self) -> Killer {
        Killer::open(Some(&self.diag)).expect("a killer in the namespace")
    }
}

/// A connection from a client to a listener on `to`, made in the
/// namespace (the client bound to `device` when given): (client, server
/// side).
fn connect(lab: &Lab, to: SocketAddr, device: Option<&'static str>) -> (TcpStream, TcpStream) {
    lab.ns.run(move || {
        let l = testkit::listener(to, 4, Some(false).filter(|_| to.is_ipv6())).unwrap();
        let to = l.local_addr().unwrap().as_socket().unwrap();
        let c = socket2::Socket::new(
            socket2::Domain::for_address(to),
            socket2::Type::STREAM,
            None,
        )
        .unwrap();
        if let Some(dev) = device {
            c.bind_device(Some(dev.as_bytes())).unwrap();
        }
        c.connect(&to.into()).unwrap();
        let (s, _) = l.accept().unwrap();
        (TcpStream::from(c), TcpStream::from(s))
    })
}

/// `stream`'s peer was reset (read within a generous bound for the reset
/// to arrive).
fn was_reset(stream: &mut TcpStream) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 8];
    matches!(stream.read(&mut buf), Err(e) if e.kind() == ErrorKind::ConnectionReset)
}

fn id_of(s: &TcpStream) -> SocketId {
    SocketId::tcp(s.local_addr().unwrap(), s.peer_addr().unwrap())
}

#[test]
fn kill_by_addresses_and_ports_closes_that_connection_only() {
    require_privileged!();
    let lab = Lab::new();
    let (doomed, mut doomed_peer) = connect(&lab, "127.0.0.1:5001".parse().unwrap(), None);
    let (kept, kept_peer) = connect(&lab, "127.0.0.1:5002".parse().unwrap(), None);
    let mut killer = lab.killer();
    let doomed_id = id_of(&doomed);
    assert!(killer.kill_id(&doomed_id).unwrap());
    assert!(was_reset(&mut doomed_peer), "the peer saw no reset");
    (&kept).write_all(b"ok").unwrap();
    let left: Vec<_> = lab.established().iter().map(|s| s.cookie).collect();
    assert_eq!(left.len(), 2, "{left:?}: only the other pair is left");
    // Killing it again: no such connection any more.
    assert!(!killer.kill_id(&doomed_id).unwrap());
    // Nothing on an id nobody has.
    let nobody = SocketId::tcp(
        "127.0.0.1:1".parse().unwrap(),
        "127.0.0.1:2".parse().unwrap(),
    );
    assert!(!killer.kill_id(&nobody).unwrap());
    drop((kept, kept_peer));
}

#[test]
fn kill_by_id_checks_the_cookie_when_given() {
    require_privileged!();
    let lab = Lab::new();
    let (c, mut peer) = connect(&lab, "127.0.0.1:5001".parse().unwrap(), None);
    let port = c.local_addr().unwrap().port();
    let cookie = lab
        .established()
        .iter()
        .find(|s| s.local_port() == Some(port))
        .and_then(|s| s.cookie)
        .expect("the client socket and its cookie");
    let mut killer = lab.killer();
    let id = id_of(&c);
    assert!(!killer.kill_id(&id.with_cookie(cookie ^ 1)).unwrap());
    assert_eq!(lab.established().len(), 2, "a wrong cookie closed it");
    assert!(killer.kill_id(&id.with_cookie(cookie)).unwrap());
    assert!(was_reset(&mut peer));
}

/// IPv6, and a dual-stack server's IPv4-mapped connection, named by plain
/// IPv4 addresses.
#[test]
fn kill_by_id_in_ipv6_and_dual_stack() {
    require_privileged!();
    let lab = Lab::new();
    let (c6, mut peer6) = connect(&lab, "[::1]:5003".parse().unwrap(), None);
    let mut killer = lab.killer();
    assert!(killer.kill_id(&id_of(&c6)).unwrap());
    assert!(was_reset(&mut peer6));
    // A v4 client of a [::]:5004 listener: the server side is an IPv6
    // socket with IPv4-mapped ends; its id by IPv4 addresses finds it.
    let (mut c4, server) = lab.ns.run(|| {
        let l = testkit::listener("[::]:5004".parse().unwrap(), 4, Some(false)).unwrap();
        let c = TcpStream::connect("127.0.0.1:5004").unwrap();
        let (s, _) = l.accept().unwrap();
        (c, TcpStream::from(s))
    });
    let id = SocketId::tcp(c4.peer_addr().unwrap(), c4.local_addr().unwrap());
    assert!(server.local_addr().unwrap().is_ipv6());
    assert!(killer.kill_id(&id).unwrap());
    assert!(was_reset(&mut c4));
}

/// A connection bound to a device is found only with its interface.
#[test]
fn kill_by_id_names_the_interface_of_a_bound_socket() {
    require_privileged!();
    let lab = Lab::new();
    let (c, mut peer) = connect(&lab, "127.0.0.1:5005".parse().unwrap(), Some("lo"));
    let mut killer = lab.killer();
    let id = id_of(&c);
    let dumped = lab
        .established()
        .into_iter()
        .find(|s| s.local_port() == Some(c.local_addr().unwrap().port()))
        .unwrap();
    let lo = dumped.interface;
    assert_ne!(lo, 0, "bound to lo, the dump says so");
    assert!(!killer.kill_id(&id).unwrap(), "found without its interface");
    assert_eq!(lab.established().len(), 2);
    assert!(killer.kill_id(&id.with_interface(lo)).unwrap());
    assert!(was_reset(&mut peer));
    // A dump's socket carries its interface: SocketId::of is the same id.
    assert_eq!(
        SocketId::of(&dumped),
        Some(id.with_interface(lo).with_cookie(dumped.cookie.unwrap()))
    );
}

/// The kernel's lookup by id falls back to a listener on the local address
/// and port when no connection has the id: the id of a server side that
/// has closed names the listener. Without a cookie, `kill_id` closes only a
/// socket whose ends are the id's: the listener stays.
#[test]
fn kill_by_id_never_closes_the_listener_of_a_gone_connection() {
    require_privileged!();
    let lab = Lab::new();
    let (l, server_id) = lab.ns.run(|| {
        let l = testkit::listener("127.0.0.1:5006".parse().unwrap(), 4, None).unwrap();
        let c = TcpStream::connect("127.0.0.1:5006").unwrap();
        let (s, _) = l.accept().unwrap();
        let s = TcpStream::from(s);
        let id = id_of(&s);
        socket2::SockRef::from(&c)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(c);
        (l, id)
    });
    assert!(testkit::wait_until(Duration::from_secs(10), || {
        lab.established().is_empty()
    }));
    let mut killer = lab.killer();
    assert!(!killer.kill_id(&server_id).unwrap(), "closed something");
    let listening = Query::tcp()
        .dump_in(&lab.diag)
        .unwrap()
        .flatten()
        .any(|s| s.state == State::Listen && s.local_port() == Some(5006));
    assert!(listening, "the listener was closed");
    drop(l);
}

/// UDP: a connected socket is closed by its id (its next call fails with
/// ECONNABORTED, and it is no longer connected); an unconnected one, which the kernel's lookup
/// returns for any remote end on its port, is not closed by an id naming a
/// remote end it does not have.
#[test]
fn kill_by_id_of_udp_sockets() {
    require_privileged!();
    let lab = Lab::new();
    let (server, client) = lab.ns.run(|| {
        let server = std::net::UdpSocket::bind("127.0.0.1:5007").unwrap();
        let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        client.connect("127.0.0.1:5007").unwrap();
        (server, client)
    });
    let mut killer = lab.killer();
    // The server is not connected: its id has no remote end.
    let wrong = SocketId::udp(server.local_addr().unwrap(), client.local_addr().unwrap());
    assert!(
        !killer.kill_id(&wrong).unwrap(),
        "closed the unconnected server"
    );
    let id = SocketId::udp(client.local_addr().unwrap(), client.peer_addr().unwrap());
    assert!(killer.kill_id(&id).unwrap());
    // The abort is reported once, then the socket is no longer connected.
    client.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 4];
    let e = client.recv(&mut buf).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ECONNABORTED), "{e}");
    let e = client.send(b"x").unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EDESTADDRREQ), "{e}");
    server.set_nonblocking(true).unwrap();
    let e = server.recv(&mut buf).unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::WouldBlock,
        "the server was closed: {e}"
    );
}
