//! The expression's text, which expressions the kernel can run, the host
//! condition constructors and the filter context.

use std::net::IpAddr;

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn unix(glob: Option<&str>) -> HostCond {
    HostCond {
        family: CondFamily::Unix,
        addr: [0; 16],
        prefix_len: 0,
        port: None,
        glob: glob.map(str::to_string),
    }
}

#[test]
fn every_expression_prints_exactly() {
    let b = Box::new;
    for (e, want) in [
        (
            Expr::And(b(Expr::SportGe(1)), b(Expr::SportLe(2))),
            "( sport >= :1 and sport <= :2 )",
        ),
        (
            Expr::Or(b(Expr::DportGe(3)), b(Expr::DportLe(4))),
            "( dport >= :3 or dport <= :4 )",
        ),
        (Expr::Not(b(Expr::Autobound)), "not autobound"),
        (Expr::Src(HostCond::any_port(None)), "src *"),
        (Expr::Dst(HostCond::any_port(Some(22))), "dst *:22"),
        (
            Expr::Src(HostCond::ip(ip("10.1.2.3"), 24, Some(80))),
            "src 10.1.2.3/24:80",
        ),
        (
            Expr::Dst(HostCond::ip(ip("fe80::1"), 10, None)),
            "dst [fe80::1]/10",
        ),
        (Expr::Src(unix(Some("/run/*"))), "src unix:/run/*"),
        (Expr::Src(unix(None)), "src unix:*"),
        (Expr::Dev(3), "dev = 3"),
        (
            Expr::Mark {
                mark: 0x10,
                mask: 0xf0,
            },
            "fwmark = 0x10/0xf0",
        ),
        (Expr::Cgroup(77), "cgroup = id:77"),
    ] {
        assert_eq!(e.to_string(), want);
    }
}

#[test]
fn kernel_compatible_without_dev_or_unix() {
    let b = Box::new;
    let k = || b(Expr::SportGe(1));
    let dev = || b(Expr::Dev(1));
    for (e, want) in [
        (Expr::And(k(), k()), true),
        (Expr::Or(k(), k()), true),
        (Expr::And(k(), dev()), false),
        (Expr::And(dev(), k()), false),
        (Expr::Or(k(), dev()), false),
        (Expr::Or(dev(), k()), false),
        (Expr::Not(k()), true),
        (Expr::Not(dev()), false),
        (Expr::Dev(1), false),
        (Expr::Src(unix(None)), false),
        (Expr::Dst(unix(Some("*"))), false),
        (Expr::Src(HostCond::any_port(Some(1))), true),
        (Expr::Dst(HostCond::ip(ip("10.0.0.1"), 32, None)), true),
        (Expr::Autobound, true),
        (Expr::Cgroup(1), true),
    ] {
        assert_eq!(e.kernel_compatible(), want, "{e}");
    }
}

#[test]
fn host_condition_constructors() {
    let c = HostCond::any_port(Some(22));
    assert_eq!(
        (c.family, c.addr, c.prefix_len, c.port, c.glob),
        (CondFamily::Any, [0; 16], 0, Some(22), None)
    );
    let c = HostCond::ip(ip("10.1.2.3"), 24, None);
    let mut a = [0u8; 16];
    a[..4].copy_from_slice(&[10, 1, 2, 3]);
    assert_eq!(
        (c.family, c.addr, c.prefix_len, c.port),
        (CondFamily::Inet, a, 24, None)
    );
    let c = HostCond::ip(ip("2001:db8::1"), 64, Some(1));
    let want: std::net::Ipv6Addr = "2001:db8::1".parse().unwrap();
    assert_eq!(
        (c.family, c.addr, c.prefix_len, c.port),
        (CondFamily::Inet6, want.octets(), 64, Some(1))
    );
    let e: Result<(), FilterError> = err("no such word");
    assert_eq!(e.unwrap_err().message, "no such word");
}

#[test]
fn context_ranges() {
    let c = FilterContext::new((1000, 2000));
    assert_eq!(c.local_port_range(), (1000, 2000));
    assert_eq!(c.range(), (1000, 2000));
    let c = FilterContext::new((65534, 65535));
    assert_eq!(c.range(), (65534, 65535));
    assert_eq!(FilterContext::default().local_port_range(), (32768, 60999));
    assert_eq!(
        FilterContext::parse_port_range("1024\t2048\n"),
        Some(FilterContext::new((1024, 2048)))
    );
    assert_eq!(FilterContext::parse_port_range("nonsense"), None);
}

/// `FilterContext::current` reads the calling thread's namespace: a fresh
/// one with its own range gives that range, not the host's (which is the
/// kernel default here, the same as `FilterContext::default()`).
#[test]
fn context_current_reads_its_namespace() {
    testkit::require_privileged!();
    let ns = testkit::NetNs::new().unwrap();
    ns.sysctl("net.ipv4.ip_local_port_range", "40000 40009")
        .unwrap();
    let c = ns.run(FilterContext::current);
    assert_eq!(c.local_port_range(), (40000, 40009));
}
