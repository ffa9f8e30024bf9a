//! Property test, live: for hundreds of random filter expressions over a few
//! hundred TCP sockets with varied addresses, ports and marks, the kernel's
//! answer to the compiled bytecode equals the user-space evaluator's.
//!
//! `autobound` is the one predicate whose meaning differs: the kernel
//! program tests the socket's bind lock (`SOCK_BINDPORT_LOCK`, which
//! accepted sockets never carry) and the port range, user space only the
//! port range. The random expressions leave it out;
//! [`autobound_agrees_on_clients`] checks it where both must agree.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use sockdiag::filter::Filter;
use sockdiag::{Connection, NetNs as DiagNs, Query, States};
use testkit::{NetNs, require_privileged};

struct Rng(u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
    fn pick<'a>(&mut self, v: &'a [&'a str]) -> &'a str {
        v[self.next(v.len())]
    }
}

const PORTS: &[&str] = &[
    ":80", ":443", ":8080", ":20001", ":20002", ":32768", ":40000", ":*",
];
const OPS: &[&str] = &["=", "!=", "<", ">", "<=", ">=", "eq", "ge", "lt"];
const HOSTS: &[&str] = &[
    "10.1.0.0/16",
    "10.2.0.0/16",
    "10.1.0.1",
    "10.2.0.7",
    "10.0.0.0/8",
    "[fd00::]/64",
    "[fd00::1]",
    "fd00::2/128",
    "[fd00::]/16",
    "10.1.0.1:80",
    "[fd00::1]:443",
    "*:8080",
    "*",
    "inet:*",
    "inet6:*",
    "10.1.0.0/16:*",
];
const MARKS: &[&str] = &["0x1", "0x2/0x2", "0x10/0xf0", "0"];

fn leaf(r: &mut Rng) -> String {
    match r.next(7) {
        0 | 1 => format!("sport {} {}", r.pick(OPS), r.pick(PORTS)),
        2 | 3 => format!("dport {} {}", r.pick(OPS), r.pick(PORTS)),
        4 => format!("src {}", r.pick(HOSTS)),
        5 => format!("dst {}", r.pick(HOSTS)),
        _ => format!("fwmark = {}", r.pick(MARKS)),
    }
}

fn expr(r: &mut Rng, depth: usize) -> String {
    if depth == 0 || r.next(3) == 0 {
        return leaf(r);
    }
    match r.next(4) {
        0 => format!("( {} and {} )", expr(r, depth - 1), expr(r, depth - 1)),
        1 => format!("( {} or {} )", expr(r, depth - 1), expr(r, depth - 1)),
        2 => format!("{} {}", expr(r, depth - 1), expr(r, depth - 1)),
        _ => format!("not {}", expr(r, depth - 1)),
    }
}

fn set_mark(fd: i32, mark: u32) {
    // SAFETY: plain setsockopt on a socket we own, with a u32 value.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_MARK,
            (&mark as *const u32).cast(),
            4,
        )
    };
    assert_eq!(rc, 0, "SO_MARK: {}", std::io::Error::last_os_error());
}

/// Connects `c` to `t`. The first IPv6 connect after `ip addr add` can
/// race addrconf's work item that makes the new addresses routable (seen as
/// ENETUNREACH under load), so that one error is retried for up to a second;
/// any other error, or ENETUNREACH that persists, fails the test.
fn connect(c: &socket2::Socket, src: &SocketAddr, t: &SocketAddr) {
    for _ in 0..100 {
        match c.connect(&(*t).into()) {
            Err(e) if e.raw_os_error() == Some(libc::ENETUNREACH) => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            r => return r.unwrap_or_else(|e| panic!("connect {src} -> {t}: {e}")),
        }
    }
    panic!("connect {src} -> {t}: network unreachable for a second");
}

/// Builds the sockets: listeners on several addresses and ports, clients
/// from several source addresses, some bound to explicit ports, some marked.
fn build(ns: &NetNs) -> Vec<Box<dyn Send>> {
    ns.sh_ok(
        "ip addr add 10.1.0.1/16 dev lo && ip addr add 10.2.0.7/16 dev lo && \
         ip addr add fd00::1/64 dev lo nodad && ip addr add fd00::2/64 dev lo nodad",
    );
    ns.run(|| {
        use socket2::{Domain, Socket, Type};
        let mut held: Vec<Box<dyn Send>> = Vec::new();
        let listen_addrs = ["10.1.0.1", "10.2.0.7", "fd00::1", "fd00::2"];
        let ports = [80u16, 443, 8080];
        let mut targets = Vec::new();
        for a in listen_addrs {
            for p in ports {
                let sa: SocketAddr = if a.contains(':') {
                    format!("[{a}]:{p}")
                } else {
                    format!("{a}:{p}")
                }
                .parse()
                .unwrap();
                let l = testkit::listener(sa, 512, sa.is_ipv6().then_some(true)).unwrap();
                set_mark(l.as_raw_fd(), (p % 3) as u32);
                held.push(Box::new(l));
                targets.push(sa);
            }
        }
        let mut n = 0u32;
        for (i, t) in targets.iter().enumerate() {
            let srcs: &[&str] = if t.is_ipv4() {
                &["10.1.0.1", "10.2.0.7"]
            } else {
                &["fd00::1", "fd00::2"]
            };
            for (j, s) in srcs.iter().enumerate() {
                for k in 0..4u16 {
                    let dom = if t.is_ipv4() {
                        Domain::IPV4
                    } else {
                        Domain::IPV6
                    };
                    let c = Socket::new(dom, Type::STREAM, None).unwrap();
                    // Half the clients bind an explicit port below the
                    // ephemeral range; the rest let the kernel choose.
                    let port = if k % 2 == 0 {
                        20000 + (i * 16 + j * 4 + k as usize) as u16
                    } else {
                        0
                    };
                    let src: SocketAddr = if t.is_ipv4() {
                        format!("{s}:{port}")
                    } else {
                        format!("[{s}]:{port}")
                    }
                    .parse()
                    .unwrap();
                    c.set_reuse_address(true).unwrap();
                    c.bind(&src.into()).unwrap();
                    set_mark(c.as_raw_fd(), n % 4);
                    connect(&c, &src, t);
                    held.push(Box::new(c));
                    n += 1;
                }
            }
        }
        held
    })
}

fn cookies(conn: &mut Connection, q: &Query, user: Option<&Filter>) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    for s in conn.dump(q) {
        let s = s.unwrap();
        if user.is_none_or(|f| f.matches(&s)) {
            out.insert(s.cookie.unwrap());
        }
    }
    out
}

#[test]
fn kernel_bytecode_agrees_with_user_space() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let _held = build(&ns);
    let diag_ns = DiagNs::from_path(ns.path()).unwrap();
    let mut conn = Connection::in_netns(&diag_ns).unwrap();
    let base = Query::tcp().states(States::ALL);
    let all = cookies(&mut conn, &base, None);
    // 12 listeners, 96 clients, 96 accepted: every socket is in the dump.
    assert_eq!(all.len(), 12 + 96 + 96, "socket count");
    let seed = std::env::var("RSS_FILTER_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut r = Rng(seed);
    let mut nonempty = 0;
    let mut partial = 0;
    for i in 0..400 {
        let text = expr(&mut r, 4);
        let f = Filter::parse_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(f.bytecode().is_some(), "{text} did not compile");
        let kernel = cookies(&mut conn, &base.clone().filter(f.clone()), None);
        let user = cookies(&mut conn, &base, Some(&f));
        if kernel != user {
            for s in conn.dump(&base) {
                let s = s.unwrap();
                if kernel
                    .symmetric_difference(&user)
                    .any(|c| Some(*c) == s.cookie)
                {
                    eprintln!(
                        "mismatch on {:?} {:?} -> {:?} state {:?} mark {:?}",
                        s.cookie, s.local, s.peer, s.state, s.mark
                    );
                }
            }
        }
        assert_eq!(
            kernel,
            user,
            "expression #{i} (seed {seed}): {text}\nkernel-only: {:?}\nuser-only: {:?}",
            kernel.difference(&user).collect::<Vec<_>>(),
            user.difference(&kernel).collect::<Vec<_>>()
        );
        if !kernel.is_empty() {
            nonempty += 1;
        }
        if !kernel.is_empty() && kernel.len() < all.len() {
            partial += 1;
        }
    }
    // The generator must exercise real selections, not only all-or-nothing.
    assert!(
        partial > 100,
        "only {partial} expressions selected a proper subset ({nonempty} non-empty)"
    );
}

#[test]
fn autobound_agrees_on_clients() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let _held = build(&ns);
    let diag_ns = DiagNs::from_path(ns.path()).unwrap();
    let mut conn = Connection::in_netns(&diag_ns).unwrap();
    // Clients: the peer is one of the listener ports.
    let clients = Filter::parse_str("dport = :80 or dport = :443 or dport = :8080").unwrap();
    let auto = Filter::parse_str("( dport = :80 or dport = :443 or dport = :8080 ) and autobound")
        .unwrap();
    let q = Query::tcp().states(States::ALL);
    let all_clients = cookies(&mut conn, &q.clone().filter(clients), None);
    let kernel = cookies(&mut conn, &q.clone().filter(auto.clone()), None);
    let user = cookies(&mut conn, &q, Some(&auto));
    assert_eq!(all_clients.len(), 96);
    // Half the clients let the kernel pick their port.
    assert_eq!(kernel.len(), 48);
    assert_eq!(kernel, user);
}
