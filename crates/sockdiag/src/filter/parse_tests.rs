//! The parser word by word: what each accepted spelling parses to (by the
//! expression's exact text), and the exact message of each refusal.

use std::net::IpAddr;

use super::*;
use crate::ss::split_words;

/// The names the filter tests resolve, and nothing else (`filter::tests`
/// uses it too).
pub(super) struct Names;

impl Resolver for Names {
    fn service(&self, name: &str) -> Option<u16> {
        match name {
            "ssh" => Some(22),
            "https" => Some(443),
            _ => None,
        }
    }
    fn ifindex(&self, name: &str) -> Option<u32> {
        match name {
            "lo" => Some(1),
            "eth9" => Some(9),
            _ => None,
        }
    }
    fn host(&self, name: &str) -> Vec<IpAddr> {
        let ips: &[&str] = match name {
            "dual.test" => &["10.1.2.3", "fd00::7"],
            "three.test" => &["10.0.0.1", "10.0.0.2", "fd00::3"],
            "v4.test" => &["192.0.2.1"],
            _ => &[],
        };
        ips.iter().map(|s| s.parse().unwrap()).collect()
    }
    fn cgroup(&self, path: &str) -> Option<u64> {
        (path == "/user.slice").then_some(77)
    }
}

fn parse_words(words: &[String]) -> Result<Option<Expr>, FilterError> {
    parse_with(words, &Names)
}

/// The text of what `s` parses to.
fn text(s: &str) -> String {
    match parse_words(&split_words(s)) {
        Ok(Some(e)) => e.to_string(),
        Ok(None) => "(nothing)".to_string(),
        Err(e) => panic!("{s}: {}", e.message),
    }
}

/// The message `s` is refused with.
fn refusal(s: &str) -> String {
    match parse_words(&split_words(s)) {
        Ok(e) => panic!("{s}: accepted as {e:?}"),
        Err(e) => e.message,
    }
}

#[test]
fn port_predicates_parse_to_their_conditions() {
    for (f, want) in [
        ("sport = :22", "src *:22"),
        ("sport == 22", "src *:22"),
        ("sport eq :ssh", "src *:22"),
        ("sport ssh", "src *:22"),
        ("sport :22", "src *:22"),
        ("dport = :0", "dst *:0"),
        ("dport 65535", "dst *:65535"),
        ("dport != :443", "not dst *:443"),
        ("dport ne :https", "not dst *:443"),
        ("dport neq 443", "not dst *:443"),
        ("sport >= :1024", "sport >= :1024"),
        ("sport ge :1024", "sport >= :1024"),
        ("sport geq :1024", "sport >= :1024"),
        ("dport >= :1024", "dport >= :1024"),
        ("sport <= :1023", "sport <= :1023"),
        ("dport le :1023", "dport <= :1023"),
        ("dport leq :1023", "dport <= :1023"),
        ("sport > :1023", "not sport <= :1023"),
        ("dport gt :1023", "not dport <= :1023"),
        ("sport < :1024", "not sport >= :1024"),
        ("dport lt :1024", "not dport >= :1024"),
        // `*` is any port; negated only by `!=`.
        ("sport = *", "src *"),
        ("dport :*", "dst *"),
        ("sport != :*", "not src *"),
    ] {
        assert_eq!(text(f), want, "{f}");
    }
}

#[test]
fn host_predicates_parse_to_their_conditions() {
    for (f, want) in [
        ("src 10.0.0.1", "src 10.0.0.1/32"),
        ("src = 10.0.0.0/8", "src 10.0.0.0/8"),
        ("src == 10.0.0.0/8:80", "src 10.0.0.0/8:80"),
        ("dst eq 10.0.0.1:ssh", "dst 10.0.0.1/32:22"),
        ("dst 10.0.0.1/0", "dst 10.0.0.1/0"),
        ("dst 10.0.0.1/32", "dst 10.0.0.1/32"),
        ("dst ::1", "dst [::1]/128"),
        ("dst 1::2:3", "dst [1::2:3]/128"),
        ("dst fe80::/10", "dst [fe80::]/10"),
        ("dst [::1]", "dst [::1]/128"),
        ("dst [::1]:22", "dst [::1]/128:22"),
        ("dst [fe80::]/10", "dst [fe80::]/10"),
        ("dst [fe80::]/10:443", "dst [fe80::]/10:443"),
        ("dst [fe80::/10]:443", "dst [fe80::]/10:443"),
        ("dst [::1]/128", "dst [::1]/128"),
        ("dst [10.0.0.1]:5", "dst 10.0.0.1/32:5"),
        // Any address, with or without a port.
        ("src *", "src *"),
        ("src *:22", "src *:22"),
        ("src :22", "src *:22"),
        ("src *:*", "src *"),
        ("src [*]:22", "src *:22"),
        ("src []", "src *"),
        // A family alone, or with an address or a port.
        ("src inet:*", "src 0.0.0.0/0"),
        ("src inet:", "src 0.0.0.0/0"),
        ("src inet6:*", "src [::]/0"),
        ("dst inet6:", "dst [::]/0"),
        ("dst inet:*:22", "dst 0.0.0.0/0:22"),
        ("dst inet:10.1.2.3:5", "dst 10.1.2.3/32:5"),
        ("dst inet6:[::1]:5", "dst [::1]/128:5"),
        ("dst inet6:::1", "dst [::1]/128"),
        // Unix names: a glob, a path, an abstract name.
        ("src unix:", "src unix:*"),
        ("src unix:*", "src unix:*"),
        ("src unix:/run/*.sock", "src unix:/run/*.sock"),
        ("dst unix:a:b", "dst unix:a:b"),
        ("src /tmp/x.sock", "src unix:/tmp/x.sock"),
        ("dst @abstract", "dst unix:@abstract"),
        ("dst = /a:b", "dst unix:/a:b"),
        // A host name: one condition per address, in the resolver's
        // order, joined by `or` from the left.
        ("src dual.test", "( src 10.1.2.3/32 or src [fd00::7]/128 )"),
        (
            "dst three.test:22",
            "( ( dst 10.0.0.1/32:22 or dst 10.0.0.2/32:22 ) or dst [fd00::3]/128:22 )",
        ),
        (
            "dst inet:three.test",
            "( dst 10.0.0.1/32 or dst 10.0.0.2/32 )",
        ),
        ("src inet6:dual.test", "src [fd00::7]/128"),
        ("src inet:dual.test:443", "src 10.1.2.3/32:443"),
        ("dst v4.test", "dst 192.0.2.1/32"),
    ] {
        assert_eq!(text(f), want, "{f}");
    }
}

#[test]
fn host_conditions_carry_every_field() {
    let one = |s: &str| match parse_words(&split_words(s)).unwrap().unwrap() {
        Expr::Src(c) | Expr::Dst(c) => c,
        e => panic!("{s}: {e:?}"),
    };
    let mut want = HostCond::ip("10.0.0.0".parse().unwrap(), 8, Some(80));
    assert_eq!(one("src 10.0.0.0/8:80"), want);
    want.family = CondFamily::Inet;
    want.addr = [0; 16];
    want.prefix_len = 0;
    want.port = Some(22);
    assert_eq!(one("dst inet:*:22"), want);
    want.family = CondFamily::Inet6;
    want.port = None;
    assert_eq!(one("dst inet6:"), want);
    assert_eq!(one("src *"), HostCond::any_port(None));
    assert_eq!(one("src :7"), HostCond::any_port(Some(7)));
    let unix = one("src unix:/run/*");
    assert_eq!(
        (unix.family, unix.addr, unix.prefix_len, unix.port),
        (CondFamily::Unix, [0; 16], 0, None)
    );
    assert_eq!(unix.glob.as_deref(), Some("/run/*"));
    assert_eq!(one("src @x").glob.as_deref(), Some("@x"));
    assert_eq!(one("src unix:").glob.as_deref(), Some("*"));
}

#[test]
fn other_predicates_parse_to_their_conditions() {
    for (f, want) in [
        ("dev lo", "dev = 1"),
        ("dev = eth9", "dev = 9"),
        ("dev == 7", "dev = 7"),
        ("dev eq 4294967295", "dev = 4294967295"),
        ("dev != lo", "not dev = 1"),
        ("dev ne 3", "not dev = 3"),
        ("dev neq eth9", "not dev = 9"),
        ("fwmark 16", "fwmark = 0x10/0xffffffff"),
        ("fwmark = 0x10/0xf0", "fwmark = 0x10/0xf0"),
        ("fwmark = 0XfF/0X0f", "fwmark = 0xff/0xf"),
        ("fwmark = 4294967295/0", "fwmark = 0xffffffff/0x0"),
        ("fwmark != 0x1", "not fwmark = 0x1/0xffffffff"),
        ("cgroup /user.slice", "cgroup = id:77"),
        ("cgroup = /user.slice", "cgroup = id:77"),
        ("cgroup neq /user.slice", "not cgroup = id:77"),
        ("autobound", "autobound"),
    ] {
        assert_eq!(text(f), want, "{f}");
    }
}

#[test]
fn connectives_group_as_documented() {
    for (f, want) in [
        ("autobound", "autobound"),
        ("sport 1 dport 2", "( src *:1 and dst *:2 )"),
        (
            "sport 1 dport 2 sport 3",
            "( ( src *:1 and dst *:2 ) and src *:3 )",
        ),
        ("sport 1 and dport 2", "( src *:1 and dst *:2 )"),
        ("sport 1 && dport 2", "( src *:1 and dst *:2 )"),
        ("sport 1 & dport 2", "( src *:1 and dst *:2 )"),
        ("sport 1 or dport 2", "( src *:1 or dst *:2 )"),
        ("sport 1 || dport 2", "( src *:1 or dst *:2 )"),
        ("sport 1 | dport 2", "( src *:1 or dst *:2 )"),
        (
            "sport 1 or dport 2 or sport 3",
            "( ( src *:1 or dst *:2 ) or src *:3 )",
        ),
        (
            "sport 1 or dport 2 and sport 3",
            "( src *:1 or ( dst *:2 and src *:3 ) )",
        ),
        (
            "sport 1 and dport 2 or sport 3",
            "( ( src *:1 and dst *:2 ) or src *:3 )",
        ),
        (
            "sport 1 dport 2 or sport 3 dport 4",
            "( ( src *:1 and dst *:2 ) or ( src *:3 and dst *:4 ) )",
        ),
        ("not sport 1 and dport 2", "( not src *:1 and dst *:2 )"),
        ("! ( sport 1 or dport 2 )", "not ( src *:1 or dst *:2 )"),
        ("not not autobound", "not not autobound"),
        (
            "( sport 1 or dport 2 ) sport 3",
            "( ( src *:1 or dst *:2 ) and src *:3 )",
        ),
        ("( ( autobound ) )", "autobound"),
        ("", "(nothing)"),
    ] {
        assert_eq!(text(f), want, "{f}");
    }
}

#[test]
fn nesting_and_length_limits_are_exact() {
    let nots = |n: usize| "not ".repeat(n) + "autobound";
    let parens = |n: usize| "( ".repeat(n) + "autobound" + &" )".repeat(n);
    assert_eq!(text(&nots(MAX_DEPTH)), nots(MAX_DEPTH));
    assert_eq!(text(&parens(MAX_DEPTH)), "autobound");
    let deep =
        format!("expression nested too deeply (more than {MAX_DEPTH} levels of '(' and 'not')");
    assert_eq!(refusal(&nots(MAX_DEPTH + 1)), deep);
    assert_eq!(refusal(&parens(MAX_DEPTH + 1)), deep);
    // Depth is nesting, not a count: a level closed is given back.
    let side_by_side = vec![nots(MAX_DEPTH); 3].join(" or ");
    assert!(text(&side_by_side).starts_with("( ( not not "));
    let siblings = vec![parens(MAX_DEPTH / 2 + 1); 3].join(" and ");
    assert_eq!(
        text(&siblings),
        "( ( autobound and autobound ) and autobound )"
    );

    // Words: at most MAX_WORDS, counted before anything is parsed.
    let words = |n: usize| vec!["autobound".to_string(); n];
    let e = parse_words(&words(MAX_WORDS)).unwrap().unwrap();
    let (mut n, mut left) = (1, &e);
    while let Expr::And(l, r) = left {
        assert_eq!(**r, Expr::Autobound);
        (n, left) = (n + 1, &**l);
    }
    assert_eq!((n, left), (MAX_WORDS, &Expr::Autobound));
    assert_eq!(
        parse_words(&words(MAX_WORDS + 1)).unwrap_err().message,
        format!("too long: {} words (at most {MAX_WORDS})", MAX_WORDS + 1)
    );
    assert_eq!(parse_words(&[]), Ok(None));
}

#[test]
fn refusals_name_the_word_and_what_was_expected() {
    for (f, want) in [
        ("not", "expected an expression, found the end"),
        (
            "autobound or",
            "expected an expression after 'or', found the end",
        ),
        (
            "autobound ||",
            "expected an expression after 'or', found the end",
        ),
        (
            "autobound and",
            "expected an expression after 'and', found the end",
        ),
        (
            "autobound &",
            "expected an expression after 'and', found the end",
        ),
        (
            "( autobound",
            "expected ')', found the end (unbalanced parentheses)",
        ),
        (")", "unexpected ')' (unbalanced parentheses)"),
        ("autobound )", "unexpected ')' (unbalanced parentheses)"),
        ("( autobound ) )", "unexpected ')' (unbalanced parentheses)"),
        (
            "frob",
            "expected src, dst, sport, dport, dev, fwmark, cgroup, autobound, 'not' or '(', found 'frob'",
        ),
        (
            "autobound or =",
            "expected src, dst, sport, dport, dev, fwmark, cgroup, autobound, 'not' or '(', found '='",
        ),
        // Ports.
        ("sport", "expected a port after 'sport', found the end"),
        ("dport =", "expected a port after 'dport =', found the end"),
        (
            "dport geq",
            "expected a port after 'dport geq', found the end",
        ),
        ("sport = :", "expected a port after 'sport =', found ':'"),
        (
            "sport 65536",
            "expected a port after 'sport', found '65536' (ports are 0-65535)",
        ),
        (
            "dport lt :99999999999",
            "expected a port after 'dport lt', found ':99999999999' (ports are 0-65535)",
        ),
        (
            "sport = :ftp",
            "expected a port after 'sport =', found ':ftp' (not a number or a known service)",
        ),
        (
            "sport = -1",
            "expected a port after 'sport =', found '-1' (not a number or a known service)",
        ),
        // Hosts.
        ("src", "expected an address after 'src', found the end"),
        ("dst =", "expected an address after 'dst', found the end"),
        ("src link:x", "src: 'link:' addresses are not supported"),
        (
            "dst netlink:*",
            "dst: 'netlink:' addresses are not supported",
        ),
        ("dst vsock:1", "dst: 'vsock:' addresses are not supported"),
        ("src packet:", "src: 'packet:' addresses are not supported"),
        ("src [::1", "expected ']' in '[::1'"),
        (
            "src [::1]x",
            "expected ':port' after ']' in '[::1]x', found 'x'",
        ),
        ("src [::1]/64x", "bad prefix length '/64x' in '[::1]/64x'"),
        (
            "src 10.0.0.1/33",
            "bad prefix length '/33' in '10.0.0.1/33' (at most 32)",
        ),
        (
            "src [::1]/129",
            "bad prefix length '/129' in '[::1]/129' (at most 128)",
        ),
        ("src ::1/256", "bad prefix length '/256' in '::1/256'"),
        ("src 10.0.0.1/", "bad prefix length '/' in '10.0.0.1/'"),
        (
            "src v4.test/8",
            "expected an address before the prefix in 'v4.test/8', found 'v4.test'",
        ),
        ("dst nosuch.test", "dst: cannot resolve host 'nosuch.test'"),
        ("dst 10.0.0.256", "dst: cannot resolve host '10.0.0.256'"),
        (
            "src inet6:10.0.0.1",
            "src: 'inet6:10.0.0.1' has no address of the requested family",
        ),
        (
            "src inet6:v4.test:22",
            "src: 'inet6:v4.test:22' has no address of the requested family",
        ),
        (
            "dst inet:[::1]",
            "dst: 'inet:[::1]' has no address of the requested family",
        ),
        (
            "src 10.0.0.1:x",
            "expected a port after 'src 10.0.0.1:x', found 'x' (not a number or a known service)",
        ),
        ("dst [::1]:", "expected a port after 'dst [::1]:', found ''"),
        // dev, fwmark, cgroup.
        ("dev", "expected a value after 'dev', found the end"),
        ("fwmark =", "expected a value after 'fwmark', found the end"),
        (
            "cgroup !=",
            "expected a value after 'cgroup', found the end",
        ),
        ("dev = eth0", "dev: no interface 'eth0'"),
        ("dev = 0", "dev: no interface '0'"),
        ("dev = -3", "dev: no interface '-3'"),
        ("fwmark = zz", "fwmark: expected MARK[/MASK], found 'zz'"),
        ("fwmark = 0x", "fwmark: expected MARK[/MASK], found '0x'"),
        (
            "fwmark = 4294967296",
            "fwmark: expected MARK[/MASK], found '4294967296'",
        ),
        ("fwmark = 1/zz", "fwmark: bad mask in '1/zz'"),
        ("fwmark = 1/", "fwmark: bad mask in '1/'"),
        (
            "cgroup = /nope",
            "cgroup: no cgroup '/nope' under /sys/fs/cgroup",
        ),
    ] {
        assert_eq!(refusal(f), want, "{f}");
    }
}
