//! The user-space evaluator at its boundaries: prefix bits, the IPv4-mapped
//! rule, `autobound` for every family, and the predicates the kernel
//! programs never see (`dev`, unix names).

use std::net::IpAddr;

use super::tests::tcp as sock;
use super::*;
use crate::model::{Endpoint, Family, Socket, State, Table, UnixName};

fn ctx() -> FilterContext {
    FilterContext::new((1000, 2000))
}

fn src(a: &str, plen: u8) -> Expr {
    Expr::Src(HostCond::ip(a.parse::<IpAddr>().unwrap(), plen, None))
}

#[test]
fn prefix_bits_exactly() {
    // Addresses that differ first at bit `k` agree on prefixes up to `k`.
    let a = [0x0au8, 0x80, 0x00, 0x01];
    for k in 0..32 {
        let mut b = a;
        b[k / 8] ^= 0x80 >> (k % 8);
        for bits in 0..=40 {
            assert_eq!(bits_match(&a, &b, bits), bits <= k, "bit {k}, /{bits}");
        }
    }
    // Equal addresses, and a prefix longer than either (clamped).
    assert!(bits_match(&a, &a, 32));
    assert!(bits_match(&a, &a, 200));
    // Different lengths: only the shorter's bits count.
    assert!(bits_match(&a, &[0x0a, 0x80, 0x00, 0x01, 0xff], 40));
    assert!(!bits_match(&a, &[0x0a, 0x80, 0x00, 0x00, 0xff], 40));
    // Through the evaluator, IPv4 and IPv6.
    let s = sock("10.128.0.1:1", "10.0.0.2:2");
    for (plen, want) in [(8, true), (9, false), (0, true)] {
        assert_eq!(src("10.0.0.0", plen).matches(&s, &ctx()), want, "/{plen}");
    }
    let s = sock("[2001:db8::8001]:1", "[::1]:2");
    for (a, plen, want) in [
        ("2001:db8::1", 112, true),
        ("2001:db8::1", 113, false),
        ("2001:db8::8000", 113, true),
        ("2001:db8::8000", 127, true),
        ("2001:db8::8000", 128, false),
    ] {
        assert_eq!(src(a, plen).matches(&s, &ctx()), want, "{a}/{plen}");
    }
    assert!(src("2001:db8::8001", 128).matches(&s, &ctx()));
}

#[test]
fn ipv4_conditions_on_mapped_addresses() {
    let v4 = |a: &str, p: u8| src(a, p);
    let at = |l: &str| sock(l, "[::1]:9");
    for (e, l, want) in [
        (v4("10.0.0.0", 8), "[::ffff:10.1.2.3]:1", true),
        (v4("10.0.0.0", 8), "[::ffff:11.1.2.3]:1", false),
        (v4("10.1.2.3", 32), "[::ffff:10.1.2.3]:1", true),
        // Not mapped: byte 10 or 11 not 0xff, or a nonzero byte before.
        (v4("10.0.0.0", 8), "[::feff:10.1.2.3]:1", false),
        (v4("10.0.0.0", 8), "[::fffe:10.1.2.3]:1", false),
        (v4("10.0.0.0", 8), "[::1:ffff:10.1.2.3]:1", false),
        (v4("10.0.0.0", 8), "[100::ffff:10.1.2.3]:1", false),
        // An IPv6 condition does not match an IPv4 socket.
        (src("::", 0), "10.0.0.1:1", false),
        (src("::ffff:10.0.0.0", 104), "10.0.0.1:1", false),
    ] {
        assert_eq!(e.matches(&at(l), &ctx()), want, "{e} on {l}");
    }
    // With no address bits, ss's rule (an IPv4 socket) and the kernel's
    // (mapped too) differ; the evaluator follows ss.
    let any4 = HostCond::ip("0.0.0.0".parse().unwrap(), 0, None);
    let mapped = at("[::ffff:10.1.2.3]:1");
    let v = view(&mapped);
    assert!(!cond_as(&any4, &v, true, false));
    assert!(cond_as(&any4, &v, true, true));
    let plain6 = at("[::1]:1");
    assert!(!cond_as(&any4, &view(&plain6), true, true));
}

#[test]
fn host_ports_and_sides() {
    let s = sock("10.0.0.1:443", "10.0.0.2:50000");
    let c = |p: u16| HostCond::any_port(Some(p));
    assert!(Expr::Src(c(443)).matches(&s, &ctx()));
    assert!(!Expr::Src(c(442)).matches(&s, &ctx()));
    assert!(!Expr::Src(c(444)).matches(&s, &ctx()));
    assert!(!Expr::Src(c(50000)).matches(&s, &ctx()));
    assert!(Expr::Dst(c(50000)).matches(&s, &ctx()));
    assert!(!Expr::Dst(c(443)).matches(&s, &ctx()));
    assert!(Expr::Dst(HostCond::any_port(None)).matches(&s, &ctx()));
    // Address and port together: both must agree.
    let hp = |a: &str, p: u16| HostCond::ip(a.parse().unwrap(), 32, Some(p));
    assert!(Expr::Dst(hp("10.0.0.2", 50000)).matches(&s, &ctx()));
    assert!(!Expr::Dst(hp("10.0.0.2", 50001)).matches(&s, &ctx()));
    assert!(!Expr::Dst(hp("10.0.0.1", 50000)).matches(&s, &ctx()));
    assert!(Expr::Src(hp("10.0.0.1", 443)).matches(&s, &ctx()));
    // Port comparisons at their operands, each side.
    for (e, want) in [
        (Expr::SportGe(443), true),
        (Expr::SportGe(444), false),
        (Expr::SportLe(443), true),
        (Expr::SportLe(442), false),
        (Expr::DportGe(50000), true),
        (Expr::DportGe(50001), false),
        (Expr::DportLe(50000), true),
        (Expr::DportLe(49999), false),
    ] {
        assert_eq!(e.matches(&s, &ctx()), want, "{e:?}");
    }
}

fn unix(name: UnixName) -> Socket {
    let mut s = Socket::new(Table::UnixStream, Family::Unix, State::Established);
    s.local = Endpoint::Unix { name, inode: 7 };
    s.peer = Endpoint::Unix {
        name: UnixName::UNNAMED,
        inode: 8,
    };
    s
}

#[test]
fn autobound_in_every_family() {
    // inet: a local port inside the range, both ends included.
    for (port, want) in [
        (999, false),
        (1000, true),
        (1500, true),
        (2000, true),
        (2001, false),
    ] {
        let s = sock(&format!("10.0.0.1:{port}"), "10.0.0.2:1500");
        assert_eq!(Expr::Autobound.matches(&s, &ctx()), want, "{port}");
        let s = sock(&format!("[::1]:{port}"), "[::1]:1500");
        assert_eq!(Expr::Autobound.matches(&s, &ctx()), want, "v6 {port}");
    }
    // unix: unnamed, or the kernel's five lower-case hex digits.
    for (name, want) in [
        (UnixName::UNNAMED, true),
        (UnixName::new_abstract(b"0a1f9"), true),
        (UnixName::new_abstract(b"0a1f"), false),
        (UnixName::new_abstract(b"0a1f9e"), false),
        (UnixName::new_abstract(b"0A1F9"), false),
        (UnixName::new_abstract(b"0a1g9"), false),
        (UnixName::new_path(b"/tmp/0a1f9"), false),
        (UnixName::new_path(b"0a1f9"), false),
    ] {
        let s = unix(name.clone());
        assert_eq!(Expr::Autobound.matches(&s, &ctx()), want, "{name:?}");
    }
    let mut s = Socket::new(Table::UnixStream, Family::Unix, State::Established);
    s.local = Endpoint::None;
    assert!(Expr::Autobound.matches(&s, &ctx()));
    // packet: no protocol bound.
    for (protocol, want) in [(0u16, true), (3, false), (0x0800, false)] {
        let mut s = Socket::new(Table::PacketRaw, Family::Packet, State::Close);
        s.local = Endpoint::Packet {
            protocol,
            ifindex: 0,
        };
        assert_eq!(Expr::Autobound.matches(&s, &ctx()), want, "{protocol}");
    }
    // netlink: a kernel-chosen port id is negative as an i32.
    for (portid, want) in [
        (0u32, false),
        (1, false),
        (0x7fff_ffff, false),
        (0x8000_0000, true),
        (u32::MAX, true),
    ] {
        let mut s = Socket::new(Table::Netlink, Family::Netlink, State::Close);
        s.local = Endpoint::Netlink {
            protocol: 0,
            portid,
            group: 0,
        };
        assert_eq!(Expr::Autobound.matches(&s, &ctx()), want, "{portid:#x}");
    }
}

#[test]
fn needs_context_only_with_autobound() {
    let a = || Box::new(Expr::Autobound);
    let p = || Box::new(Expr::SportGe(1));
    assert!(Expr::Autobound.needs_context());
    assert!(Expr::And(a(), p()).needs_context());
    assert!(Expr::And(p(), a()).needs_context());
    assert!(Expr::Or(a(), p()).needs_context());
    assert!(Expr::Or(p(), a()).needs_context());
    assert!(Expr::Not(a()).needs_context());
    assert!(!Expr::And(p(), p()).needs_context());
    assert!(!Expr::Or(p(), p()).needs_context());
    assert!(!Expr::Not(p()).needs_context());
    assert!(!Expr::Dev(1).needs_context());
}

#[test]
fn and_or_not_dev_mark_cgroup() {
    let mut s = sock("10.0.0.1:443", "10.0.0.2:50000");
    s.interface = 3;
    let t = || Box::new(Expr::SportGe(1));
    let f = || Box::new(Expr::SportGe(444));
    for (e, want) in [
        (Expr::And(t(), t()), true),
        (Expr::And(t(), f()), false),
        (Expr::And(f(), t()), false),
        (Expr::Or(f(), f()), false),
        (Expr::Or(f(), t()), true),
        (Expr::Or(t(), f()), true),
        (Expr::Not(t()), false),
        (Expr::Not(f()), true),
        (Expr::Dev(3), true),
        (Expr::Dev(4), false),
        (Expr::Mark { mark: 0, mask: 0 }, false),
        (Expr::Cgroup(9), false),
    ] {
        assert_eq!(e.matches(&s, &ctx()), want, "{e:?}");
    }
    s.mark = Some(0x1234);
    s.cgroup_id = Some(9);
    for (e, want) in [
        (Expr::Mark { mark: 0, mask: 0 }, true),
        (
            Expr::Mark {
                mark: 0x1200,
                mask: 0xff00,
            },
            true,
        ),
        (
            Expr::Mark {
                mark: 0x1234,
                mask: 0xff00,
            },
            false,
        ),
        (Expr::Cgroup(9), true),
        (Expr::Cgroup(10), false),
    ] {
        assert_eq!(e.matches(&s, &ctx()), want, "{e:?}");
    }
}

#[test]
fn unix_conditions() {
    let glob = |g: Option<&str>| HostCond {
        family: CondFamily::Unix,
        addr: [0; 16],
        prefix_len: 0,
        port: None,
        glob: g.map(str::to_string),
    };
    let s = unix(UnixName::new_path(b"/run/a.sock"));
    for (e, want) in [
        (Expr::Src(glob(None)), true),
        (Expr::Src(glob(Some("/run/*"))), true),
        (Expr::Src(glob(Some("/tmp/*"))), false),
        // The peer end has no name: only `*` matches it.
        (Expr::Dst(glob(Some("*"))), true),
        (Expr::Dst(glob(Some("/run/*"))), false),
        (Expr::Dst(glob(None)), true),
    ] {
        assert_eq!(e.matches(&s, &ctx()), want, "{e:?}");
    }
    // The inode is the unix socket's port.
    assert!(Expr::Src(HostCond::any_port(Some(7))).matches(&s, &ctx()));
    assert!(Expr::Dst(HostCond::any_port(Some(8))).matches(&s, &ctx()));
    assert!(!Expr::Dst(HostCond::any_port(Some(7))).matches(&s, &ctx()));
    // An unnamed local end is `*`.
    let u = unix(UnixName::UNNAMED);
    assert!(Expr::Src(glob(Some("*"))).matches(&u, &ctx()));
    assert!(!Expr::Src(glob(Some("/*"))).matches(&u, &ctx()));
    // Not a unix socket: no unix condition matches.
    let t = sock("10.0.0.1:1", "10.0.0.2:2");
    assert!(!Expr::Src(glob(None)).matches(&t, &ctx()));
    assert!(!Expr::Src(glob(Some("*"))).matches(&t, &ctx()));
    // A unix socket is neither IPv4 nor IPv6.
    assert!(!src("0.0.0.0", 0).matches(&s, &ctx()));
    assert!(!src("::", 0).matches(&s, &ctx()));
}

#[test]
fn view_reads_each_endpoint() {
    let s = sock("10.1.2.3:443", "[2001:db8::1]:80");
    let v = view(&s);
    assert_eq!(v.family, Some(CondFamily::Inet));
    assert_eq!(&v.local[..4], &[10, 1, 2, 3]);
    assert_eq!(&v.local[4..], &[0; 12]);
    assert_eq!(v.lport, 443);
    assert_eq!(
        v.remote,
        "2001:db8::1"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets()
    );
    assert_eq!(v.rport, 80);
    let mut p = Socket::new(Table::PacketRaw, Family::Packet, State::Close);
    p.local = Endpoint::Packet {
        protocol: 3,
        ifindex: 5,
    };
    let v = view(&p);
    assert_eq!((v.family, v.lport, v.rport), (None, 5, 0));
    let mut n = Socket::new(Table::Netlink, Family::Netlink, State::Close);
    n.local = Endpoint::Netlink {
        protocol: 0,
        portid: 77,
        group: 0,
    };
    assert_eq!(view(&n).lport, 77);
    let u = unix(UnixName::new_path(b"/x"));
    let v = view(&u);
    assert_eq!((v.family, v.lport, v.rport), (Some(CondFamily::Unix), 7, 8));
    assert_eq!(v.lname.map(unix_name_text).as_deref(), Some("/x"));
    let s6 = sock("[::1]:1", "[::1]:2");
    assert_eq!(view(&s6).family, Some(CondFamily::Inet6));
}
