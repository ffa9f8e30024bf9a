//! Live tests: real sockets in a private network namespace, dumped by the
//! library and by the system `ss` in the same namespace.
//!
//! Each test makes its own anonymous namespace (`testkit::NetNs`), so it
//! sees only the sockets it builds, never the host's. It asserts exact
//! states, queues and timers, then compares every socket it cares about
//! with the row `/usr/bin/ss` prints for it, field by field. Without root
//! (or without `ss`) a test says so and skips; `RSS_REQUIRE_PRIVILEGED=1`
//! turns the skip into a failure.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use std::time::Duration;

use sockdiag::{
    Connection, Endpoint, Extensions, Family, Query, Socket, Source, State, States, Table, Tables,
    TimerKind, UnixName,
};
use socket2::{Domain, Protocol, SockAddr, Socket as RawSocket, Type};
use testkit::{require_privileged, require_tool, wait_until};

/// Liveness bound of a wait for the kernel to show a socket change: generous
/// for a busy machine (a change normally shows at once).
const WAIT: Duration = Duration::from_secs(30);

/// A namespace, seen both as testkit's (to build sockets and run `ss`) and
/// as sockdiag's (to dump it).
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

    /// Runs `f` inside the namespace: sockets made there belong to it.
    fn run<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> R {
        self.ns.run(f)
    }

    fn dump(&self, q: &Query) -> Vec<Socket> {
        q.dump_in(&self.diag)
            .expect("dump starts")
            .collect::<Result<_, _>>()
            .expect("dump completes")
    }

    fn ss(&self, args: &[&str]) -> Vec<Row> {
        parse_ss(&self.ns.ss(args))
    }
}

/// The inode of an open socket (what `ino:` and `idiag_inode` show).
fn inode(fd: &impl AsRawFd) -> u64 {
    std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .expect("stat of an open fd")
        .ino()
}

fn port_of(sock: &RawSocket) -> u16 {
    testkit::local_port(sock).expect("a bound socket")
}

fn lo4(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

// ---------------------------------------------------------------------------
// ss output, and our sockets in ss's spelling.

/// One row of `ss -H` output (and its continuation lines, in `rest`).
#[derive(Debug, Clone)]
struct Row {
    netid: Option<String>,
    state: String,
    recv_q: u64,
    send_q: u64,
    local: String,
    peer: String,
    rest: Vec<String>,
}

impl Row {
    /// The value of a `key:value` (or `key=value`) token, e.g. `ino:`.
    fn field(&self, key: &str) -> Option<&str> {
        self.rest.iter().find_map(|t| t.strip_prefix(key))
    }
}

fn parse_ss(out: &str) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    for line in out.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // -i, -m and packet details continue the previous row.
            let last = rows.last_mut().expect("a continuation line after a row");
            last.rest.extend(line.split_whitespace().map(str::to_owned));
            continue;
        }
        let mut t: Vec<&str> = line.split_whitespace().collect();
        // Netids are lower case, states upper case.
        let netid = if t[0].starts_with(|c: char| c.is_ascii_lowercase()) {
            Some(t.remove(0).to_owned())
        } else {
            None
        };
        // Unix rows print address and "port" (the inode) as two words.
        let (local, peer, rest) = if netid.as_deref().is_some_and(|n| n.starts_with("u_")) {
            (
                format!("{} {}", t[3], t[4]),
                format!("{} {}", t[5], t[6]),
                &t[7..],
            )
        } else {
            (t[3].to_owned(), t[4].to_owned(), &t[5..])
        };
        rows.push(Row {
            netid,
            state: t[0].to_owned(),
            recv_q: t[1].parse().expect("Recv-Q"),
            send_q: t[2].parse().expect("Send-Q"),
            local,
            peer,
            rest: rest.iter().map(|s| (*s).to_owned()).collect(),
        });
    }
    rows
}

fn ss_local(s: &Socket) -> String {
    sockdiag::ss::local(s).to_string()
}

fn ss_peer(s: &Socket) -> String {
    sockdiag::ss::peer(s).to_string()
}

/// Finds `s`'s row in `rows` (by netid, local and peer) and compares state,
/// queues and, where ss printed them, inode, cookie and v6only.
fn assert_row(s: &Socket, rows: &[Row]) -> Row {
    let (local, peer) = (ss_local(s), ss_peer(s));
    let found: Vec<&Row> = rows
        .iter()
        .filter(|r| r.local == local && r.peer == peer)
        .filter(|r| {
            r.netid
                .as_deref()
                .is_none_or(|n| n == sockdiag::ss::netid_label(s.netid))
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one ss row for {local} {peer} ({s:?}) in {rows:#?}"
    );
    let r = found[0];
    assert_eq!(
        r.state,
        sockdiag::ss::state_label(s.state),
        "state of {local} {peer}"
    );
    assert_eq!(r.recv_q, u64::from(s.recv_q), "Recv-Q of {local} {peer}");
    assert_eq!(r.send_q, u64::from(s.send_q), "Send-Q of {local} {peer}");
    // (For unix sockets `ino:` is the bound file's inode, not the socket's.)
    if let (Some(ino), false) = (r.field("ino:"), s.netid.bit().intersects(Tables::UNIX)) {
        assert_eq!(
            ino.parse::<u64>().unwrap(),
            s.inode,
            "ino of {local} {peer}"
        );
    }
    if let (Some(sk), Some(cookie)) = (r.field("sk:"), s.cookie) {
        assert_eq!(
            u64::from_str_radix(sk, 16).unwrap(),
            cookie,
            "cookie of {local} {peer}"
        );
    }
    if let Some(v6only) = r.field("v6only:") {
        assert_eq!(Some(v6only == "1"), s.v6only, "v6only of {local} {peer}");
    }
    r.clone()
}

// ---------------------------------------------------------------------------
// TCP

#[test]
fn listener_backlog_and_accept_queue() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let lab = Lab::new();
    let l = lab.run(|| testkit::listener(lo4(0), 5, None)).unwrap();
    let port = port_of(&l);
    // Six blocking connects complete: the accept queue takes backlog + 1
    // (`sk_acceptq_is_full` is `ack_backlog > max_ack_backlog`).
    let clients: Vec<TcpStream> = lab
        .run(move || {
            (0..6)
                .map(|_| TcpStream::connect(lo4(port)))
                .collect::<std::io::Result<_>>()
        })
        .unwrap();
    let q = Query::tcp().family(Family::Inet);
    assert!(wait_until(WAIT, || lab
        .dump(&q)
        .iter()
        .any(|s| s.state == State::Listen && s.recv_q == 6)));

    let socks = lab.dump(&q);
    let listeners: Vec<&Socket> = socks.iter().filter(|s| s.state == State::Listen).collect();
    assert_eq!(listeners.len(), 1);
    let ls = listeners[0];
    assert_eq!((ls.recv_q, ls.send_q), (6, 5)); // waiting connections, backlog
    assert_eq!(ls.local_port(), Some(port));
    assert_eq!(ls.inode, inode(&l));
    // 6 clients and 6 server sides waiting in the queue, which have no inode yet.
    let servers: Vec<&Socket> = socks
        .iter()
        .filter(|s| s.local_port() == Some(port) && s.state != State::Listen)
        .collect();
    assert_eq!(servers.len(), 6);
    assert!(
        servers
            .iter()
            .all(|s| s.state == State::Established && s.inode == 0)
    );
    let client_inodes: HashSet<u64> = clients.iter().map(inode).collect();
    let ours: HashSet<u64> = socks
        .iter()
        .filter(|s| s.peer_port() == Some(port))
        .map(|s| s.inode)
        .collect();
    assert_eq!(ours, client_inodes);
    assert_eq!(socks.len(), 13);

    let rows = lab.ss(&["-tanHe"]);
    assert_eq!(rows.len(), socks.len());
    for s in &socks {
        assert_row(s, &rows);
    }
    drop(clients);
}

/// A pair where the client sent 1000 bytes the server has not read.
fn unread_pair(lab: &Lab) -> (RawSocket, TcpStream, TcpStream, u16) {
    let l = lab.run(|| testkit::listener(lo4(0), 5, None)).unwrap();
    let port = port_of(&l);
    let (l, client, server) = lab
        .run(move || {
            let mut c = TcpStream::connect(lo4(port))?;
            let (s, _) = l.accept()?;
            c.write_all(&[7u8; 1000])?;
            std::io::Result::Ok((l, c, TcpStream::from(s)))
        })
        .unwrap();
    (l, client, server, port)
}

#[test]
fn established_pair_with_unread_bytes() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let lab = Lab::new();
    let (_l, client, server, port) = unread_pair(&lab);
    let q = Query::tcp().states(States::ESTABLISHED);
    // The reader holds 1000 bytes; the writer's queue empties once ACKed.
    assert!(wait_until(WAIT, || {
        let s = lab.dump(&q);
        s.iter()
            .any(|s| s.local_port() == Some(port) && s.recv_q == 1000)
            && s.iter()
                .any(|s| s.peer_port() == Some(port) && s.send_q == 0)
    }));
    let socks = lab.dump(&q);
    assert_eq!(socks.len(), 2);
    let reader = socks.iter().find(|s| s.local_port() == Some(port)).unwrap();
    let writer = socks.iter().find(|s| s.peer_port() == Some(port)).unwrap();
    assert_eq!(
        (reader.state, reader.recv_q, reader.send_q),
        (State::Established, 1000, 0)
    );
    assert_eq!(
        (writer.state, writer.recv_q, writer.send_q),
        (State::Established, 0, 0)
    );
    assert_eq!(reader.inode, inode(&server));
    assert_eq!(writer.inode, inode(&client));
    assert_eq!(reader.peer, writer.local);
    assert_eq!(writer.peer, reader.local);
    assert_eq!(reader.timer, None);
    // (No `state established` filter: with one state ss drops the State column.)
    let rows = lab.ss(&["-tanHe"]);
    assert_eq!(rows.iter().filter(|r| r.state == "ESTAB").count(), 2);
    for s in &socks {
        assert_row(s, &rows);
    }
}

#[test]
fn tcp_info_counts_the_unread_bytes() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let lab = Lab::new();
    let (_l, _client, _server, port) = unread_pair(&lab);
    let q = Query::tcp().states(States::ESTABLISHED).with_info();
    assert!(wait_until(WAIT, || {
        lab.dump(&q)
            .iter()
            .any(|s| s.peer_port() == Some(port) && s.tcp_info.and_then(|i| i.unacked()) == Some(0))
    }));
    let socks = lab.dump(&q);
    let reader = socks.iter().find(|s| s.local_port() == Some(port)).unwrap();
    let writer = socks.iter().find(|s| s.peer_port() == Some(port)).unwrap();
    let ri = reader.tcp_info.expect("with_info brings tcp_info");
    let wi = writer.tcp_info.expect("with_info brings tcp_info");
    assert_eq!(ri.len(), sockdiag::TCP_INFO_LEN); // this kernel sends all 280 bytes
    assert_eq!(ri.state(), Some(1));
    assert_eq!(ri.bytes_received(), Some(1000));
    assert_eq!(ri.data_segs_in(), Some(1));
    assert_eq!(wi.bytes_sent(), Some(1000));
    assert_eq!(wi.bytes_acked(), Some(1001)); // the data and the SYN
    assert!(reader.congestion.is_some());
    // ss -i prints the same counters.
    let rows = lab.ss(&["-tinH"]);
    let r = assert_row(reader, &rows);
    assert_eq!(r.field("bytes_received:"), Some("1000"));
    assert_eq!(
        r.rest.first().map(String::as_str),
        reader.congestion.map(|c| c.to_string()).as_deref()
    );
    let mss = ri.snd_mss().unwrap().to_string();
    assert_eq!(r.field("mss:"), Some(mss.as_str()));
    let w = assert_row(writer, &rows);
    assert_eq!(w.field("bytes_sent:"), Some("1000"));
    assert_eq!(w.field("bytes_acked:"), Some("1001"));
    assert_eq!(
        w.field("segs_out:"),
        wi.segs_out().map(|v| v.to_string()).as_deref()
    );
}

#[test]
fn v6only_and_dual_stack_listeners() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let lab = Lab::new();
    let any6 = SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0));
    let only = lab
        .run(move || testkit::listener(any6, 3, Some(true)))
        .unwrap();
    let dual = lab
        .run(move || testkit::listener(any6, 4, Some(false)))
        .unwrap();
    let socks = lab.dump(&Query::tcp());
    assert_eq!(socks.len(), 2);
    let s_only = socks
        .iter()
        .find(|s| s.local_port() == Some(port_of(&only)))
        .unwrap();
    let s_dual = socks
        .iter()
        .find(|s| s.local_port() == Some(port_of(&dual)))
        .unwrap();
    for (s, v6only, backlog) in [(s_only, true, 3), (s_dual, false, 4)] {
        assert_eq!(
            (s.family, s.state, s.recv_q, s.send_q),
            (Family::Inet6, State::Listen, 0, backlog)
        );
        assert_eq!(s.v6only, Some(v6only));
    }
    let rows = lab.ss(&["-tlnHe"]);
    let r = assert_row(s_only, &rows);
    assert!(r.local.starts_with("[::]:"), "{r:?}");
    assert_eq!(r.field("v6only:"), Some("1"));
    let r = assert_row(s_dual, &rows);
    assert!(r.local.starts_with("*:"), "{r:?}");
    assert_eq!(r.field("v6only:"), Some("0"));
}

#[test]
fn time_wait_socket_has_its_timer() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let lab = Lab::new();
    let l = lab.run(|| testkit::listener(lo4(0), 5, None)).unwrap();
    let port = port_of(&l);
    // Taken before the close: the TIME-WAIT timer starts after it.
    let before_close = std::time::Instant::now();
    let client_port = lab
        .run(move || {
            let c = TcpStream::connect(lo4(port))?;
            let (mut s, _) = l.accept()?;
            let client_port = c.local_addr()?.port();
            drop(c); // the client closes first: it will hold TIME-WAIT
            let mut buf = [0u8; 1];
            while s.read(&mut buf)? != 0 {}
            drop(s);
            std::io::Result::Ok(client_port)
        })
        .unwrap();
    let q = Query::tcp().states(States::TIME_WAIT);
    assert!(wait_until(WAIT, || !lab.dump(&q).is_empty()));
    let dumped = std::time::Instant::now();
    let socks = lab.dump(&q);
    let since_close = before_close.elapsed();
    assert_eq!(socks.len(), 1);
    let tw = &socks[0];
    assert_eq!(tw.state, State::TimeWait);
    assert_eq!(
        (tw.local_port(), tw.peer_port()),
        (Some(client_port), Some(port))
    );
    assert_eq!(tw.inode, 0);
    let timer = tw.timer.expect("TIME-WAIT sockets carry their timer");
    assert_eq!(timer.kind, TimerKind::TimeWait);
    assert_eq!(timer.retransmits, 0);
    // TIME-WAIT lasts a fixed 60 s here: what is left is 60 s less the
    // time since the close (at most `since_close`, however slow the
    // machine; 1 s of slack for the kernel's jiffies rounding).
    assert!(
        timer.expires() <= Duration::from_secs(60)
            && timer.expires() + since_close + Duration::from_secs(1) >= Duration::from_secs(60),
        "{timer:?}, {since_close:?} after the close"
    );
    let rows = lab.ss(&["-tanoHe"]);
    let between = dumped.elapsed();
    let r = assert_row(tw, &rows);
    // timer:(timewait,59sec,0)
    let t = r.field("timer:(").expect("ss -o prints the timer");
    let parts: Vec<&str> = t.trim_end_matches(')').split(',').collect();
    assert_eq!(parts[0], "timewait");
    assert_eq!(parts[2], "0");
    // ss prints "NNsec" below a minute and "1min" at exactly 60 s (a dump
    // taken right after the close).
    let ss_secs: u64 = match parts[1] {
        "1min" => 60,
        s => s
            .trim_end_matches("sec")
            .parse()
            .expect("whole seconds above 9 s"),
    };
    // ss read the timer later, by at most `between`; both round to whole
    // seconds.
    let later = ss_secs as f64 - timer.expires().as_secs_f64();
    assert!(
        later <= 1.0 && -later <= between.as_secs_f64() + 1.0,
        "{timer:?} vs {t}, ss ran at most {between:?} later"
    );
}

#[test]
fn family_filter_returns_only_that_family() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let lab = Lab::new();
    let l4 = lab.run(|| testkit::listener(lo4(0), 1, None)).unwrap();
    let l6 = lab
        .run(|| testkit::listener(SocketAddr::from((Ipv6Addr::LOCALHOST, 0)), 2, Some(true)))
        .unwrap();
    let v6 = lab.dump(&Query::tcp().family(Family::Inet6));
    assert_eq!(v6.len(), 1);
    assert!(v6.iter().all(|s| s.family == Family::Inet6));
    assert_eq!(v6[0].local_port(), Some(port_of(&l6)));
    let v4 = lab.dump(&Query::tcp().family(Family::Inet));
    assert_eq!(v4.len(), 1);
    assert!(v4.iter().all(|s| s.family == Family::Inet));
    assert_eq!(v4[0].local_port(), Some(port_of(&l4)));
    let rows = lab.ss(&["-6", "-tanHe"]);
    assert_eq!(rows.len(), 1);
    assert_row(&v6[0], &rows);
    let rows = lab.ss(&["-4", "-tanHe"]);
    assert_eq!(rows.len(), 1);
    assert_row(&v4[0], &rows);
}

#[test]
fn state_filter_listen_returns_only_listeners() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let lab = Lab::new();
    let (_l, _c, _s, port) = unread_pair(&lab);
    let l2 = lab
        .run(|| testkit::listener(SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)), 9, Some(false)))
        .unwrap();
    let listeners = lab.dump(&Query::tcp().states(States::LISTEN));
    assert_eq!(listeners.len(), 2);
    assert!(listeners.iter().all(|s| s.state == State::Listen));
    let ports: HashSet<u16> = listeners.iter().filter_map(Socket::local_port).collect();
    assert_eq!(ports, HashSet::from([port, port_of(&l2)]));
    // Everything: two listeners and the established pair.
    assert_eq!(lab.dump(&Query::tcp()).len(), 4);
    let rows = lab.ss(&["-tlnHe"]);
    assert_eq!(rows.len(), 2);
    for s in &listeners {
        assert_row(s, &rows);
    }
}

#[test]
fn early_drop_leaves_the_connection_clean() {
    require_privileged!();
    let lab = Lab::new();
    let farm = testkit::Farm::start(&lab.ns, 2000).expect("a farm of 2000 pairs");
    let expected = 2 * farm.pairs() + farm.ports().len(); // both ends of each pair, the listeners
    let mut conn = Connection::in_netns(&lab.diag).unwrap();
    let q = Query::tcp();
    for stop_after in [1usize, 1000, 3999] {
        let mut dump = conn.dump(&q);
        for _ in 0..stop_after {
            dump.next().expect("more sockets").expect("a socket");
        }
        drop(dump); // drains the rest of the kernel's answer
        let mut dump = conn.dump(&q);
        let socks: Vec<Socket> = dump.by_ref().collect::<Result<_, _>>().unwrap();
        assert_eq!(socks.len(), expected, "after stopping at {stop_after}");
        assert!(
            dump.batches() > 4,
            "the dump spans many batches: {}",
            dump.batches()
        );
        assert!(!dump.interrupted());
        let established = socks
            .iter()
            .filter(|s| s.state == State::Established)
            .count();
        assert_eq!(established, 2 * farm.pairs());
    }
    // A different table on the same connection after an early drop.
    let mut dump = conn.dump(&q);
    dump.next();
    drop(dump);
    let udp: Vec<Socket> = conn.dump(&Query::udp()).collect::<Result<_, _>>().unwrap();
    assert!(udp.is_empty(), "no stale TCP replies: {udp:?}");
    drop(farm);
}

// ---------------------------------------------------------------------------
// UDP

#[test]
fn udp_unread_datagram_counts_buffer_space() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let lab = Lab::new();
    let (rx, tx) = lab
        .run(|| {
            let rx = UdpSocket::bind(lo4(0))?;
            let tx = UdpSocket::bind(lo4(0))?;
            tx.send_to(&[1u8; 100], rx.local_addr()?)?;
            std::io::Result::Ok((rx, tx))
        })
        .unwrap();
    let rx_port = rx.local_addr().unwrap().port();
    let q = Query::udp();
    assert!(wait_until(WAIT, || lab
        .dump(&q)
        .iter()
        .any(|s| s.local_port() == Some(rx_port) && s.recv_q > 0)));
    let socks = lab.dump(&q);
    assert_eq!(socks.len(), 2);
    let r = socks
        .iter()
        .find(|s| s.local_port() == Some(rx_port))
        .unwrap();
    let t = socks
        .iter()
        .find(|s| s.local_port() == Some(tx.local_addr().unwrap().port()))
        .unwrap();
    assert_eq!((r.state, t.state), (State::Close, State::Close));
    assert_eq!(r.inode, inode(&rx));
    assert_eq!((t.recv_q, t.send_q), (0, 0));
    // Recv-Q is kernel buffer space (skb truesize), not the 100 payload
    // bytes: ss in the same namespace is the oracle.
    assert!(r.recv_q > 0);
    let rows = lab.ss(&["-uanHe"]);
    assert_eq!(rows.len(), 2);
    for s in &socks {
        assert_row(s, &rows);
    }
}

// ---------------------------------------------------------------------------
// Unix

#[test]
fn unix_pair_abstract_and_path_sockets() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let lab = Lab::new();
    let path = std::env::temp_dir().join(format!("rss-live-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let abstract_name = format!("rss-live-{}", std::process::id());
    let (p, a, (mut x, y)) = {
        let path = path.clone();
        let abstract_name = abstract_name.clone();
        lab.run(move || {
            let p = RawSocket::new(Domain::UNIX, Type::STREAM, None)?;
            p.bind(&SockAddr::unix(&path)?)?;
            p.listen(7)?;
            let p = UnixListener::from(std::os::fd::OwnedFd::from(p));
            let a = RawSocket::new(Domain::UNIX, Type::DGRAM, None)?;
            a.bind(&SockAddr::unix(format!("\0{abstract_name}"))?)?;
            std::io::Result::Ok((
                p,
                UnixDatagram::from(std::os::fd::OwnedFd::from(a)),
                UnixStream::pair()?,
            ))
        })
        .unwrap()
    };
    x.write_all(&[0u8; 42]).unwrap();
    let socks = lab.dump(&Query::unix());
    let _ = std::fs::remove_file(&path);
    // unix_diag answers for the namespace of the diag socket: exactly the
    // four sockets made inside it, none of the host's.
    let ours: HashSet<u64> = [inode(&p), inode(&a), inode(&x), inode(&y)].into();
    let seen: HashSet<u64> = socks.iter().map(|s| s.inode).collect();
    assert_eq!(seen, ours);
    assert_eq!(socks.len(), 4);

    let by_inode = |i: u64| socks.iter().find(|s| s.inode == i).unwrap();
    let sp = by_inode(inode(&p));
    assert_eq!(
        (sp.netid, sp.state, sp.recv_q, sp.send_q),
        (Table::UnixStream, State::Listen, 0, 7)
    );
    let want_name = UnixName::new_path(path.as_os_str().as_encoded_bytes());
    assert_eq!(
        sp.local,
        Endpoint::Unix {
            name: want_name,
            inode: inode(&p)
        }
    );
    let sa = by_inode(inode(&a));
    assert_eq!((sa.netid, sa.state), (Table::UnixDgram, State::Close));
    let want_name = UnixName::new_abstract(abstract_name.as_bytes());
    assert_eq!(
        sa.local,
        Endpoint::Unix {
            name: want_name,
            inode: inode(&a)
        }
    );
    let (sx, sy) = (by_inode(inode(&x)), by_inode(inode(&y)));
    assert_eq!(
        (sx.state, sy.state),
        (State::Established, State::Established)
    );
    assert_eq!(
        sx.peer,
        Endpoint::Unix {
            name: UnixName::UNNAMED,
            inode: inode(&y)
        }
    );
    assert_eq!(
        sy.peer,
        Endpoint::Unix {
            name: UnixName::UNNAMED,
            inode: inode(&x)
        }
    );
    assert_eq!(sy.recv_q, 42); // a stream reader counts bytes
    assert!(sx.send_q > 0); // the writer counts buffer space (REFERENCE §2)

    let rows = lab.ss(&["-xanHe"]);
    assert_eq!(rows.len(), 4);
    for s in &socks {
        assert_row(s, &rows);
    }
}

// ---------------------------------------------------------------------------
// Raw (fallback), MPTCP, netlink, packet

#[test]
fn raw_falls_back_to_proc() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let lab = Lab::new();
    let raw = lab
        .run(|| RawSocket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4)))
        .unwrap();
    let mut dump = Query::raw().dump_in(&lab.diag).unwrap();
    let socks: Vec<Socket> = dump.by_ref().collect::<Result<_, _>>().unwrap();
    // No raw_diag on this kernel: both families come from /proc/net/raw{,6}.
    // (The last source recorded for each request is the one that answered.)
    let answered = |family| {
        dump.sources()
            .iter()
            .rev()
            .find(|(r, _)| r.family == family)
            .map(|(r, s)| (r.table, *s))
    };
    assert_eq!(answered(Family::Inet), Some((Table::Raw, Source::Proc)));
    assert_eq!(answered(Family::Inet6), Some((Table::Raw, Source::Proc)));
    assert!(
        dump.sources()
            .iter()
            .all(|(_, s)| *s != Source::Unsupported)
    );
    assert_eq!(socks.len(), 1);
    let s = &socks[0];
    assert_eq!(
        (s.netid, s.family, s.state),
        (Table::Raw, Family::Inet, State::Close)
    );
    assert_eq!(s.inode, inode(&raw));
    // /proc/net/raw shows the protocol as the local "port".
    assert_eq!(
        s.local,
        Endpoint::Inet {
            addr: Ipv4Addr::UNSPECIFIED.into(),
            port: 1
        }
    );
    assert_eq!((s.recv_q, s.send_q), (0, 0));
    // Without the fallback the table is unsupported, and the dump says so.
    let mut dump = Query::raw()
        .family(Family::Inet)
        .fallback(false)
        .dump_in(&lab.diag)
        .unwrap();
    match dump.next() {
        Some(Err(sockdiag::Error::Unsupported { request })) => {
            assert_eq!(request.table, Table::Raw)
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
    assert!(dump.next().is_none());
    let rows = lab.ss(&["-wanH"]);
    assert_eq!(rows.len(), 1);
    assert_row(s, &rows);
}

#[test]
fn mptcp_listener_is_listed() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let lab = Lab::new();
    let m = lab
        .run(|| {
            let m = RawSocket::new(Domain::IPV4, Type::STREAM, Some(Protocol::MPTCP))?;
            m.bind(&lo4(0).into())?;
            m.listen(4)?;
            std::io::Result::Ok(m)
        })
        .unwrap();
    let port = port_of(&m);
    let socks = lab.dump(&Query::mptcp().with_info());
    assert_eq!(socks.len(), 1);
    let s = &socks[0];
    assert_eq!(
        (s.netid, s.state, s.recv_q, s.send_q),
        (Table::Mptcp, State::Listen, 0, 4)
    );
    assert_eq!(s.local_port(), Some(port));
    assert_eq!(s.inode, inode(&m));
    assert_eq!(s.tcp_info, None); // MPTCP's INET_DIAG_INFO is mptcp_info
    let rows = lab.ss(&["-MlnHe"]);
    assert_eq!(rows.len(), 1);
    assert_row(s, &rows);
    // Its TCP subflow listener shows in the TCP table, on the same port.
    let tcp = lab.dump(&Query::tcp());
    assert_eq!(
        tcp.iter()
            .filter(|t| t.local_port() == Some(port) && t.state == State::Listen)
            .count(),
        1
    );
}

#[test]
fn netlink_socket_is_listed() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let lab = Lab::new();
    let (nl, portid) = lab
        .run(|| {
            let mut s = netlink_sys::Socket::new(netlink_sys::protocols::NETLINK_ROUTE)?;
            let addr = s.bind_auto()?;
            std::io::Result::Ok((s, addr.port_number()))
        })
        .unwrap();
    let socks = lab.dump(&Query::netlink());
    let ours: Vec<&Socket> = socks.iter().filter(|s| s.inode == inode(&nl)).collect();
    assert_eq!(ours.len(), 1, "{socks:#?}");
    let s = ours[0];
    assert_eq!(
        (s.netid, s.family, s.state),
        (Table::Netlink, Family::Netlink, State::Close)
    );
    assert_eq!(
        s.local,
        Endpoint::Netlink {
            protocol: 0,
            portid,
            group: 0
        }
    );
    assert_eq!((s.recv_q, s.send_q), (0, 0));
    // The kernel's own sockets are there too (NETLINK_ROUTE's has port 0).
    assert!(socks.iter().any(|k| k.local
        == Endpoint::Netlink {
            protocol: 0,
            portid: 0,
            group: 0
        }));
    let rows = lab.ss(&["-A", "netlink", "-anH"]);
    assert_row(s, &rows);
}

#[test]
fn packet_socket_is_listed() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let lab = Lab::new();
    const ETH_P_ALL: u16 = 3;
    let p = lab
        .run(|| {
            RawSocket::new(
                Domain::PACKET,
                Type::RAW,
                Some(Protocol::from(i32::from(ETH_P_ALL.to_be()))),
            )
        })
        .unwrap();
    let socks = lab.dump(&Query::packet());
    assert_eq!(socks.len(), 1);
    let s = &socks[0];
    assert_eq!(
        (s.netid, s.family, s.state),
        (Table::PacketRaw, Family::Packet, State::Close)
    );
    assert_eq!(s.inode, inode(&p));
    assert_eq!(
        s.local,
        Endpoint::Packet {
            protocol: ETH_P_ALL,
            ifindex: 0
        }
    );
    assert_eq!((s.recv_q, s.send_q), (0, 0)); // nothing sent in this namespace
    let rows = lab.ss(&["-0anHe"]);
    assert_eq!(rows.len(), 1);
    assert_row(s, &rows);
}

// ---------------------------------------------------------------------------
// The dump example's acceptance: what it prints is what `ss -tuxa` lists.

#[test]
fn dump_example_lists_what_ss_lists() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let lab = Lab::new();
    let path = std::env::temp_dir().join(format!("rss-accept-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let (_pair, _tw_listener, held) = {
        let path = path.clone();
        lab.run(move || -> std::io::Result<_> {
            // TCP: a listener with an established, 1000-byte-unread pair.
            let l = testkit::listener(lo4(0), 5, None)?;
            let port = testkit::local_port(&l)?;
            let mut c = TcpStream::connect(lo4(port))?;
            let (s, _) = l.accept()?;
            c.write_all(&[1u8; 1000])?;
            // A TIME-WAIT socket.
            let l2 = testkit::listener(lo4(0), 5, None)?;
            let c2 = TcpStream::connect(lo4(testkit::local_port(&l2)?))?;
            let (s2, _) = l2.accept()?;
            drop(c2);
            std::thread::sleep(Duration::from_millis(20));
            drop(s2);
            // A dual-stack IPv6 listener.
            let l6 =
                testkit::listener(SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)), 3, Some(false))?;
            // UDP with an unread datagram.
            let u = UdpSocket::bind(lo4(0))?;
            u.send_to(b"hello", u.local_addr()?)?;
            // Unix: a path listener with an accepted connection, an
            // abstract datagram socket, a pair with unread bytes.
            let ul = UnixListener::bind(&path)?;
            let uc = UnixStream::connect(&path)?;
            let (us, _) = ul.accept()?;
            let ua = RawSocket::new(Domain::UNIX, Type::DGRAM, None)?;
            ua.bind(&SockAddr::unix("\0rss-accept")?)?;
            let (mut x, y) = UnixStream::pair()?;
            x.write_all(b"abc")?;
            Ok(((l, c, s), l2, (l6, u, ul, uc, us, ua, x, y)))
        })
        .unwrap()
    };
    // Wait until the TCP writer's queue is empty, so both listings agree.
    let q = Query::tcp();
    assert!(wait_until(WAIT, || {
        let s = lab.dump(&q);
        s.iter().any(|s| s.state == State::TimeWait)
            && s.iter()
                .all(|s| s.state != State::Established || s.send_q == 0)
    }));

    // The example's query, serialised as the example prints it: JSON lines.
    let query = Query::new(Tables::TCP | Tables::UDP | Tables::UNIX)
        .extensions(Extensions::INFO | Extensions::CONG | Extensions::SKMEMINFO);
    let mut out = Vec::new();
    for s in query.dump_in(&lab.diag).unwrap() {
        serde_json::to_writer(&mut out, &s.unwrap()).unwrap();
        out.push(b'\n');
    }
    let _ = std::fs::remove_file(&path);
    let ours: Vec<(String, String, u64, u64, String, String)> = std::str::from_utf8(&out)
        .unwrap()
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            // `timer` is absent when there is none (fields not sent are absent).
            for key in [
                "netid", "state", "recv_q", "send_q", "local", "peer", "inode",
            ] {
                assert!(v.get(key).is_some(), "{key} missing from {line}");
            }
            if v["netid"] == "tcp" && v["state"] != "time_wait" {
                assert!(v["tcp_info"].is_object(), "tcp_info missing from {line}");
            }
            json_row(&v)
        })
        .collect();
    let theirs: Vec<(String, String, u64, u64, String, String)> = lab
        .ss(&["-tuxaHn"])
        .into_iter()
        .map(|r| {
            (
                r.netid.unwrap(),
                r.state,
                r.recv_q,
                r.send_q,
                r.local,
                r.peer,
            )
        })
        .collect();
    let (mut ours, mut theirs) = (ours, theirs);
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs);
    // 6 TCP (3 listeners, the pair, TIME-WAIT), 1 UDP, 6 unix.
    assert_eq!(ours.len(), 13, "{ours:#?}");
    drop(held);
}

/// (netid, state, recv_q, send_q, local, peer) from the example's JSON,
/// spelled as `ss -n` spells them.
fn json_row(v: &serde_json::Value) -> (String, String, u64, u64, String, String) {
    let netid = match v["netid"].as_str().unwrap() {
        "tcp" => "tcp",
        "udp" => "udp",
        "unix_stream" => "u_str",
        "unix_dgram" => "u_dgr",
        "unix_seqpacket" => "u_seq",
        other => panic!("unexpected netid {other}"),
    };
    let state = match v["state"].as_str().unwrap() {
        "established" => "ESTAB",
        "listen" => "LISTEN",
        "unconn" | "bound_inactive" => "UNCONN",
        "time_wait" => "TIME-WAIT",
        "syn_sent" => "SYN-SENT",
        "syn_recv" => "SYN-RECV",
        "fin_wait1" => "FIN-WAIT-1",
        "fin_wait2" => "FIN-WAIT-2",
        "close_wait" => "CLOSE-WAIT",
        "last_ack" => "LAST-ACK",
        "closing" => "CLOSING",
        other => panic!("unexpected state {other}"),
    };
    let v6only = v["v6only"].as_bool();
    let end = |e: &serde_json::Value, peer: bool| -> String {
        if let Some(inode) = e.get("inode") {
            let name = match (peer, e.get("path"), e.get("abstract")) {
                (false, Some(p), _) => p.as_str().unwrap().to_owned(),
                (false, _, Some(a)) => format!("@{}", a.as_str().unwrap()),
                _ => "*".to_owned(),
            };
            return format!("{name} {inode}");
        }
        let addr: IpAddr = e["addr"].as_str().unwrap().parse().unwrap();
        let port = e["port"].as_u64().unwrap() as u16;
        let family = if addr.is_ipv4() {
            Family::Inet
        } else {
            Family::Inet6
        };
        let mut s = Socket::new(Table::Tcp, family, State::Established);
        s.v6only = v6only;
        if peer {
            s.peer = Endpoint::Inet { addr, port };
            sockdiag::ss::peer(&s).to_string()
        } else {
            s.local = Endpoint::Inet { addr, port };
            sockdiag::ss::local(&s).to_string()
        }
    };
    (
        netid.to_owned(),
        state.to_owned(),
        v["recv_q"].as_u64().unwrap(),
        v["send_q"].as_u64().unwrap(),
        end(&v["local"], false),
        end(&v["peer"], true),
    )
}

#[test]
fn a_captured_dump_replays_from_its_datagrams() {
    require_privileged!();
    let lab = Lab::new();
    let (_l, client, server, port) = unread_pair(&lab);
    let uds = lab.run(UnixStream::pair).unwrap();
    let q = Query::new(Tables::TCP | Tables::UNIX_STREAM).with_info();
    // Settled: the reader holds its 1000 bytes.
    assert!(wait_until(WAIT, || lab
        .dump(&q)
        .iter()
        .any(|s| s.local_port() == Some(port) && s.recv_q == 1000)));
    let mut conn = Connection::in_netns(&lab.diag).expect("a sock_diag socket");
    let mut datagrams = Vec::new();
    conn.raw_dump(&q, |_, d| {
        datagrams.push(d.to_vec());
        Ok(())
    })
    .expect("raw dump");
    let replayed: Vec<Socket> = Connection::from_datagrams(datagrams)
        .dump(&q)
        .collect::<Result<_, _>>()
        .expect("the capture replays");
    // The sockets the test made, each once, as the kernel described them.
    let inodes: Vec<u64> = replayed.iter().map(|s| s.inode).collect();
    for want in [inode(&client), inode(&server), inode(&uds.0), inode(&uds.1)] {
        assert_eq!(inodes.iter().filter(|&&i| i == want).count(), 1, "{want}");
    }
    let reader = replayed.iter().find(|s| s.inode == inode(&server)).unwrap();
    assert_eq!((reader.state, reader.recv_q), (State::Established, 1000));
    assert!(reader.tcp_info.is_some());
    // Unix before TCP (ss's order), listener and pair: 3 TCP and 2 unix.
    let tables: Vec<Table> = replayed.iter().map(|s| s.netid).collect();
    assert_eq!(
        tables,
        [
            Table::UnixStream,
            Table::UnixStream,
            Table::Tcp,
            Table::Tcp,
            Table::Tcp
        ]
    );
}
