//! Tests of the filter: parser, compiler, audit, evaluator.

use super::context::*;
use super::*;
use crate::consts::*;
use crate::model::{Endpoint, Family, Socket, UnixName};
use crate::model::{State, Table};
use crate::ss::{split_words, words_from_file_text};

fn parse(s: &str) -> Result<Option<Expr>, FilterError> {
    parse_with(&split_words(s), &super::parse_tests::Names)
}

/// A TCP socket in ESTABLISHED from `local` to `remote` (`ADDR:PORT`),
/// for the filter's test modules.
pub(super) fn tcp(l: &str, r: &str) -> Socket {
    let l: std::net::SocketAddr = l.parse().unwrap();
    let r: std::net::SocketAddr = r.parse().unwrap();
    let fam = if l.is_ipv4() {
        Family::Inet
    } else {
        Family::Inet6
    };
    let mut s = Socket::new(Table::Tcp, fam, State::Established);
    s.local = Endpoint::Inet {
        addr: l.ip(),
        port: l.port(),
    };
    s.peer = Endpoint::Inet {
        addr: r.ip(),
        port: r.port(),
    };
    s
}

#[test]
fn words_split_like_ss() {
    assert_eq!(split_words(" dport  =\t:22 "), vec!["dport", "=", ":22"]);
    assert_eq!(
        split_words(r"src unix:/tmp/a\ b"),
        vec!["src", "unix:/tmp/a b"]
    );
    assert_eq!(
        words_from_file_text("# comment\ndport = :22\n# more\nor sport = :80\n").len(),
        7
    );
}

#[test]
fn precedence_and_binds_tighter() {
    let e = parse("sport = :1 or sport = :2 and dport = :3")
        .unwrap()
        .unwrap();
    assert!(matches!(e, Expr::Or(_, ref b) if matches!(**b, Expr::And(..))));
    // juxtaposition is and
    let e = parse("sport = :1 dport = :3").unwrap().unwrap();
    assert!(matches!(e, Expr::And(..)));
}

#[test]
fn operators_and_ports() {
    let s = tcp("10.0.0.1:443", "10.0.0.2:50000");
    for (f, want) in [
        ("sport = :443", true),
        ("sport == 443", true),
        ("sport eq :https", true),
        ("sport :443", true),
        ("sport != :443", false),
        ("sport > :442", true),
        ("sport gt :443", false),
        ("sport < :444", true),
        ("sport >= :443", true),
        ("sport le :442", false),
        ("dport geq :50000", true),
        ("dport = :*", true),
        ("not sport = :443", false),
        ("! ( sport = :443 )", false),
    ] {
        let e = parse(f).unwrap().unwrap();
        assert_eq!(e.matches(&s, &FilterContext::default()), want, "{f}");
        let bc = compile(&e, &FilterContext::default()).unwrap();
        audit(&bc).unwrap();
        assert_eq!(run_bytecode(&bc, &s, true), want, "bytecode {f}");
    }
}

#[test]
fn hosts_prefixes_and_families() {
    let s4 = tcp("10.0.0.1:443", "192.168.1.9:50000");
    let s6 = tcp("[fe80::1]:22", "[2001:db8::5]:40000");
    let mapped = tcp("[::ffff:10.9.9.9]:80", "[::ffff:192.168.1.1]:1");
    for (f, s, want) in [
        ("dst 192.168.0.0/16", &s4, true),
        ("dst 192.168.1.9", &s4, true),
        ("dst = 192.168.1.10", &s4, false),
        ("dst 192.168.1.9:50000", &s4, true),
        ("dst 192.168.1.9:1", &s4, false),
        ("dst *:50000", &s4, true),
        ("src inet:*", &s4, true),
        ("src inet6:*", &s4, false),
        ("src [fe80::]/10", &s6, true),
        ("src fe80::/10", &s6, true),
        ("src [fe80::1]:22", &s6, true),
        ("dst 2001:db8::/32", &s6, true),
        ("dst 2001:db8::/32", &s4, false),
        ("src 10.0.0.0/8", &mapped, true),
        ("dst 192.168.1.1", &mapped, true),
        ("src 10.0.0.0/8", &s6, false),
        ("src *", &s6, true),
        ("dst dual.test or src 10.0.0.1", &s4, true),
    ] {
        let e = parse(f).unwrap().unwrap();
        assert_eq!(
            e.matches(s, &FilterContext::default()),
            want,
            "{f} on {:?}",
            s.local
        );
        let bc = compile(&e, &FilterContext::default()).unwrap();
        audit(&bc).unwrap();
        assert_eq!(run_bytecode(&bc, s, true), want, "bytecode {f}");
    }
}

#[test]
fn inet_any_excludes_v4_mapped_like_ss() {
    let mapped = tcp("[::ffff:10.9.9.9]:80", "[::ffff:192.168.1.1]:1");
    let plain = tcp("10.9.9.9:80", "192.168.1.1:1");
    for (f, s, want) in [
        ("src inet:*", &mapped, false),
        ("src inet:*", &plain, true),
        ("not src inet:*", &mapped, true),
        ("dst inet:*:1", &mapped, false),
        ("src 10.0.0.0/8", &mapped, true),
    ] {
        let e = parse(f).unwrap().unwrap();
        assert_eq!(e.matches(s, &FilterContext::default()), want, "{f}");
        let bc = compile(&e, &FilterContext::default()).unwrap();
        audit(&bc).unwrap();
        assert_eq!(run_bytecode(&bc, s, true), want, "bytecode {f}");
    }
}

#[test]
fn autobound_needs_both_the_kernel_and_the_port_range() {
    let (lo, _) = FilterContext::default().local_port_range();
    let client = tcp(&format!("127.0.0.1:{lo}"), "127.0.0.1:80");
    let accepted = tcp("127.0.0.1:80", &format!("127.0.0.1:{lo}"));
    let auto = compile(
        &parse("autobound").unwrap().unwrap(),
        &FilterContext::default(),
    )
    .unwrap();
    let not_auto = compile(
        &parse("not autobound").unwrap().unwrap(),
        &FilterContext::default(),
    )
    .unwrap();
    audit(&auto).unwrap();
    audit(&not_auto).unwrap();
    // A kernel-chosen port in the range: autobound either way.
    assert!(run_bytecode(&auto, &client, false));
    assert!(!run_bytecode(&not_auto, &client, false));
    // An accepted socket: no bind lock on it, but its port is the
    // listener's: ss shows it for neither `autobound` nor `not autobound`.
    assert!(!run_bytecode(&auto, &accepted, false));
    assert!(!run_bytecode(&not_auto, &accepted, false));
    // A listener (bind lock, port outside the range): not autobound.
    assert!(!run_bytecode(&auto, &accepted, true));
    assert!(run_bytecode(&not_auto, &accepted, true));
}

#[test]
fn fwmark_compares_the_mark_as_written() {
    let mut s = tcp("10.0.0.1:1", "10.0.0.2:2");
    s.mark = Some(0x1234);
    for (f, want) in [
        ("fwmark = 0x1234", true),
        ("fwmark = 0x1234/0xff00", false),
        ("fwmark = 0x1200/0xff00", true),
        ("fwmark != 0x1200/0xff00", false),
    ] {
        let e = parse(f).unwrap().unwrap();
        assert_eq!(e.matches(&s, &FilterContext::default()), want, "{f}");
        assert_eq!(
            run_bytecode(&compile(&e, &FilterContext::default()).unwrap(), &s, true),
            want,
            "bytecode {f}"
        );
    }
}

#[test]
fn errors_name_the_word() {
    let long = vec!["sport = :1 or"; 2000].join(" ") + " sport = :2";
    assert!(parse(&long).unwrap_err().message.contains("too long"));
    for (f, needle) in [
        (
            "sport = foo",
            "expected a port after 'sport =', found 'foo'",
        ),
        ("dport", "expected a port after 'dport', found the end"),
        ("( sport = :1", "unbalanced"),
        ("sport = :1 )", "unbalanced"),
        ("src 10.0.0.0/33", "bad prefix length"),
        ("src 10.0.0.0/x", "bad prefix length"),
        ("dst nosuch.invalid", "cannot resolve host 'nosuch.invalid'"),
        ("bogus", "found 'bogus'"),
        ("sport = :70000", "0-65535"),
        ("dev = nosuchif", "no interface"),
        ("fwmark = zz", "fwmark"),
        ("sport = :1 and", "after 'and'"),
        ("src [::1", "expected ']'"),
        (&"( ".repeat(200), "nested too deeply"),
        (&"not ".repeat(200), "nested too deeply"),
    ] {
        let e = parse(f).unwrap_err();
        assert!(e.message.contains(needle), "{f}: {}", e.message);
    }
}

#[test]
fn dev_and_unix_stay_in_user_space() {
    let f = Filter::new(parse("dev = lo and sport = :22").unwrap().unwrap()).unwrap();
    assert!(f.bytecode().is_none());
    let f = Filter::new(parse("src unix:/run/*.sock").unwrap().unwrap()).unwrap();
    assert!(f.bytecode().is_none());
    let mut u = Socket::new(Table::UnixStream, Family::Unix, State::Listen);
    u.local = Endpoint::Unix {
        name: UnixName::from_sun_path(b"/run/a.sock"),
        inode: 5,
    };
    assert!(f.matches(&u));
    u.local = Endpoint::Unix {
        name: UnixName::from_sun_path(b"/tmp/a.sock"),
        inode: 5,
    };
    assert!(!f.matches(&u));
    // A path without `unix:` is a unix address too.
    assert!(
        parse("src /tmp/a.sock")
            .unwrap()
            .unwrap()
            .matches(&u, &FilterContext::default())
    );
    assert!(
        !parse("src /tmp/b.sock")
            .unwrap()
            .unwrap()
            .matches(&u, &FilterContext::default())
    );
    let g = Filter::new(
        parse("fwmark = 0x10/0xf0 or cgroup = /user.slice or autobound")
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    audit(g.bytecode().unwrap()).unwrap();
}

/// The former recursive matcher (exponential in `*`s), as a reference.
fn glob_reference(pat: &str, s: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some('*') => (0..=s.len()).any(|i| go(&p[1..], &s[i..])),
            Some('?') => !s.is_empty() && go(&p[1..], &s[1..]),
            Some('[') => {
                let Some(c) = s.first() else { return false };
                let mut i = 1;
                let neg = matches!(p.get(1), Some('!') | Some('^'));
                if neg {
                    i += 1;
                }
                let mut matched = false;
                let mut first = true;
                while i < p.len() && (first || p[i] != ']') {
                    first = false;
                    if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
                        if p[i] <= *c && *c <= p[i + 2] {
                            matched = true;
                        }
                        i += 3;
                    } else {
                        if p[i] == *c {
                            matched = true;
                        }
                        i += 1;
                    }
                }
                if i >= p.len() {
                    // No closing bracket: '[' is literal.
                    return *c == '[' && go(&p[1..], &s[1..]);
                }
                matched != neg && go(&p[i + 1..], &s[1..])
            }
            Some('\\') if p.len() > 1 => !s.is_empty() && s[0] == p[1] && go(&p[2..], &s[1..]),
            Some(c) => !s.is_empty() && s[0] == *c && go(&p[1..], &s[1..]),
        }
    }
    let p: Vec<char> = pat.chars().collect();
    let s: Vec<char> = s.chars().collect();
    go(&p, &s)
}

#[test]
fn globs_agree_with_the_reference_matcher() {
    // A small xorshift: every pattern and text over a tricky alphabet.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let palette: Vec<char> = "ab*?[]!^-\\".chars().collect();
    let text: Vec<char> = "ab[]-!\\".chars().collect();
    for _ in 0..50_000 {
        let pl = (next() % 8) as usize;
        let tl = (next() % 7) as usize;
        let pat: String = (0..pl)
            .map(|_| palette[(next() % palette.len() as u64) as usize])
            .collect();
        let s: String = (0..tl)
            .map(|_| text[(next() % text.len() as u64) as usize])
            .collect();
        assert_eq!(
            glob_match(&pat, &s),
            glob_reference(&pat, &s),
            "{pat:?} on {s:?}"
        );
    }
}

/// A pattern of 40 `*`s (found by the filter fuzzer) gives the right
/// answers. An exponential matcher does not finish on it: the test then
/// hangs until the per-test timeout (`.config/nextest.toml`) fails it.
#[test]
fn globs_with_many_stars() {
    let pat = format!("@{}12", "*".repeat(40));
    let s = format!("@{}", "x".repeat(200));
    assert!(!glob_match(&pat, &s));
    assert!(glob_match(&pat, &format!("{s}12")));
    assert!(glob_match(&pat, &format!("{s}12x12")));
    assert!(!glob_match(&pat, &format!("{s}12x1")));
    assert!(!glob_match(&pat, &format!("x{s}12")));
}

#[test]
fn globs_like_fnmatch() {
    assert!(glob_match("/run/*.sock", "/run/a.sock"));
    assert!(glob_match("@rss-?", "@rss-1"));
    assert!(glob_match("[a-c]x", "bx"));
    assert!(!glob_match("[!a-c]x", "bx"));
    assert!(glob_match("*", ""));
    assert!(!glob_match("a", "ab"));
}

#[test]
fn audit_rejects_what_the_kernel_rejects() {
    assert!(audit(&op(INET_DIAG_BC_JMP, 4, 6)).is_err()); // misaligned
    assert!(audit(&op(INET_DIAG_BC_JMP, 4, 12)).is_err()); // past end + 4
    assert!(audit(&op(99, 4, 8)).is_err()); // unknown op
    assert!(audit(&op(INET_DIAG_BC_S_GE, 4, 8)).is_err()); // port arg missing
    let mut jump_into_cond = op(INET_DIAG_BC_JMP, 4, 8).to_vec();
    jump_into_cond.extend(hostcond_bytes(
        INET_DIAG_BC_S_COND,
        &HostCond::any_port(Some(1)),
    ));
    // JMP 'no' = 8 lands inside the 12-byte S_COND that starts at 4.
    assert!(audit(&jump_into_cond).is_err());
    audit(&op(INET_DIAG_BC_AUTO, 4, 8)).unwrap();
    assert!(audit(&[]).is_ok());
}

#[test]
fn random_expressions_compile_to_valid_programs_that_agree() {
    // A deterministic generator: every program must pass the audit, and
    // running it must agree with the evaluator on a set of sockets.
    let socks = [
        tcp("10.0.0.1:443", "10.0.0.2:50000"),
        tcp("127.0.0.1:22", "127.0.0.1:40000"),
        tcp("[::1]:8080", "[::1]:33000"),
        tcp("[::ffff:10.0.0.3]:80", "[::ffff:10.0.0.4]:1000"),
    ];
    let leaves = [
        "sport = :443",
        "dport > :40000",
        "src 10.0.0.0/8",
        "dst [::1]",
        "sport < :100",
        "dst 10.0.0.4",
        "src *:22",
        "dport != :1000",
    ];
    let mut seed = 0x1234_5678u64;
    let mut rnd = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for _ in 0..500 {
        fn make(depth: usize, rnd: &mut dyn FnMut(usize) -> usize, leaves: &[&str]) -> String {
            if depth == 0 || rnd(3) == 0 {
                return leaves[rnd(leaves.len())].to_string();
            }
            match rnd(3) {
                0 => format!(
                    "( {} and {} )",
                    make(depth - 1, rnd, leaves),
                    make(depth - 1, rnd, leaves)
                ),
                1 => format!(
                    "( {} or {} )",
                    make(depth - 1, rnd, leaves),
                    make(depth - 1, rnd, leaves)
                ),
                _ => format!("not {}", make(depth - 1, rnd, leaves)),
            }
        }
        let text = make(4, &mut rnd, &leaves);
        let e = parse(&text).unwrap().unwrap();
        let bc = compile(&e, &FilterContext::default()).unwrap();
        audit(&bc).unwrap_or_else(|err| panic!("{text}: {err}"));
        for s in &socks {
            assert_eq!(
                run_bytecode(&bc, s, true),
                e.matches(s, &FilterContext::default()),
                "{text} on {:?}",
                s.local
            );
        }
    }
}
