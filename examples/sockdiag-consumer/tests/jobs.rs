//! The three jobs, each against a namespace the test builds, with exact
//! expected results taken from the sockets themselves (fds, SO_COOKIE,
//! SIOCOUTQ), never from the library's own output.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Duration;

use sockdiag::{Endpoint, NetNs};

/// A listener as the test compares it: address, backlog, (command, pid, fd) holders.
type Row = (String, u32, Vec<(String, i32, i32)>);
use sockdiag_consumer::{SendQueueWatch, from_json, listeners, to_json};
use testkit::{listener, require_privileged};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn own_ns(ns: &testkit::NetNs) -> NetNs {
    NetNs::from_path(ns.path()).unwrap()
}

fn comm() -> String {
    std::fs::read_to_string("/proc/self/comm")
        .unwrap()
        .trim_end()
        .to_string()
}

fn so_cookie(fd: i32) -> u64 {
    let mut v = 0u64;
    let mut len = std::mem::size_of::<u64>() as libc::socklen_t;
    // SAFETY: v and len are valid for the call; SO_COOKIE writes a u64.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_COOKIE,
            (&mut v as *mut u64).cast(),
            &mut len,
        )
    };
    assert_eq!(rc, 0, "SO_COOKIE");
    v
}

fn outq(fd: i32) -> u32 {
    let mut v: libc::c_int = 0;
    // SAFETY: SIOCOUTQ writes one int.
    let rc = unsafe { libc::ioctl(fd, libc::TIOCOUTQ, &mut v) };
    assert_eq!(rc, 0, "SIOCOUTQ");
    v as u32
}

#[test]
fn listeners_with_their_processes() {
    require_privileged!();
    let ns = testkit::NetNs::new().unwrap();
    let (l4, l6) = ns.run(|| {
        (
            listener(addr("127.0.0.1:7000"), 7, None).unwrap(),
            listener(addr("[::1]:7001"), 9, Some(true)).unwrap(),
        )
    });
    let got = listeners(Some(&own_ns(&ns))).unwrap();
    let want: Vec<Row> = vec![
        (
            "127.0.0.1:7000".to_string(),
            7,
            vec![(comm(), std::process::id() as i32, l4.as_raw_fd())],
        ),
        (
            "[::1]:7001".to_string(),
            9,
            vec![(comm(), std::process::id() as i32, l6.as_raw_fd())],
        ),
    ];
    let got: Vec<Row> = got
        .iter()
        .map(|l| {
            assert_eq!(l.pending, 0);
            (
                l.local.to_string(),
                l.backlog,
                l.processes
                    .iter()
                    .map(|p| (p.command.clone(), p.pid, p.fd))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn connections_whose_send_queue_grew_by_cookie() {
    require_privileged!();
    let ns = testkit::NetNs::new().unwrap();
    let sdns = own_ns(&ns);
    // A receiver that never reads, with a small buffer, and a sender.
    let (srv, mut client, accepted) = ns.run(|| {
        let l = listener(addr("127.0.0.1:7100"), 4, None).unwrap();
        l.set_recv_buffer_size(4096).unwrap();
        let c = TcpStream::connect("127.0.0.1:7100").unwrap();
        let (a, _) = l.accept().unwrap();
        (l, c, a)
    });
    let mut watch = SendQueueWatch::new();
    // First sample: nothing queued, nothing grew.
    assert_eq!(watch.sample(Some(&sdns)).unwrap(), vec![]);
    // Fill the receiver's window: the rest waits unacknowledged.
    client.set_nonblocking(true).unwrap();
    let chunk = [b'x'; 16384];
    let mut sent = 0;
    for _ in 0..64 {
        match client.write(&chunk) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(sent > 0);
    // Let the stack settle (window probes), then read the kernel's own count.
    std::thread::sleep(Duration::from_millis(200));
    let queued = outq(client.as_raw_fd());
    assert!(queued > 0, "nothing left unacknowledged");
    let grew = watch.sample(Some(&sdns)).unwrap();
    assert_eq!(grew.len(), 1, "{grew:?}");
    let g = &grew[0];
    assert_eq!(g.cookie, so_cookie(client.as_raw_fd()));
    assert_eq!((g.before, g.now), (0, outq(client.as_raw_fd())));
    assert_eq!(
        g.local,
        Endpoint::Inet {
            addr: client.local_addr().unwrap().ip(),
            port: client.local_addr().unwrap().port()
        }
    );
    // Nothing more was written: the next sample reports nothing.
    assert_eq!(watch.sample(Some(&sdns)).unwrap(), vec![]);
    drop((srv, accepted));
}

#[test]
fn every_socket_to_json_and_back() {
    require_privileged!();
    let ns = testkit::NetNs::new().unwrap();
    let _held = ns.run(|| {
        let l = listener(addr("127.0.0.1:7200"), 4, None).unwrap();
        let c = TcpStream::connect("127.0.0.1:7200").unwrap();
        let (a, _) = l.accept().unwrap();
        let u = std::net::UdpSocket::bind("127.0.0.1:7201").unwrap();
        let (p, q) = std::os::unix::net::UnixStream::pair().unwrap();
        (l, c, a, u, p, q)
    });
    let (sockets, text) = to_json(Some(&own_ns(&ns))).unwrap();
    // The listener, both ends of the connection and the UDP socket are there.
    for want in ["127.0.0.1:7200", "127.0.0.1:7201"] {
        assert!(
            sockets.iter().any(|s| s.local.to_string() == want),
            "{want} missing"
        );
    }
    let back = from_json(&text).unwrap();
    assert_eq!(back, sockets);
}
