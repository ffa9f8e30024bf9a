//! Port comparisons at their boundary: for every operator, a port operand
//! `N` is tried against sockets on `N - 1`, `N` and `N + 1`, through the
//! user-space evaluator and through the compiled kernel program (run by the
//! port of `inet_diag_bc_run`). An operand that is one off in the parser,
//! the compiler or the interpreter changes the answer for one of the three.

use super::*;
use crate::model::{Endpoint, Family, Socket, State, Table};

/// Operands, including both ends of the port space.
const OPERANDS: &[u16] = &[0, 1, 2, 443, 1023, 1024, 32768, 65534, 65535];

/// A TCP socket from `127.0.0.1:lport` to `127.0.0.2:rport`.
fn sock(lport: u16, rport: u16) -> Socket {
    let mut s = Socket::new(Table::Tcp, Family::Inet, State::Established);
    s.local = Endpoint::Inet {
        addr: "127.0.0.1".parse().unwrap(),
        port: lport,
    };
    s.peer = Endpoint::Inet {
        addr: "127.0.0.2".parse().unwrap(),
        port: rport,
    };
    s
}

/// `n - 1`, `n`, `n + 1`, as far as they are ports.
fn around(n: u16) -> Vec<u16> {
    let mut v = vec![n];
    if let Some(lo) = n.checked_sub(1) {
        v.insert(0, lo);
    }
    if let Some(hi) = n.checked_add(1) {
        v.push(hi);
    }
    v
}

/// Checks `text` on the socket with `port` on the side it names, the other
/// side on a port no operand is near, against `want`.
fn check(text: &str, src: bool, port: u16, want: bool) {
    let words = crate::ss::split_words(text);
    let e = parse_with(&words, &SystemResolver)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .expect("an expression");
    let s = if src {
        sock(port, 5000)
    } else {
        sock(5000, port)
    };
    let ctx = FilterContext::default();
    assert_eq!(
        e.matches(&s, &ctx),
        want,
        "evaluator: {text} on port {port}"
    );
    let bc = compile(&e, &ctx).unwrap_or_else(|| panic!("{text} compiles"));
    audit(&bc).unwrap_or_else(|err| panic!("{text}: {err}"));
    assert_eq!(
        run_bytecode(&bc, &s, true),
        want,
        "bytecode: {text} on port {port}"
    );
}

#[test]
fn every_operator_at_its_boundary() {
    type Truth = fn(u16, u16) -> bool;
    let ops: [(&str, Truth); 12] = [
        ("=", |p, n| p == n),
        ("==", |p, n| p == n),
        ("eq", |p, n| p == n),
        ("!=", |p, n| p != n),
        ("ne", |p, n| p != n),
        (">=", |p, n| p >= n),
        ("ge", |p, n| p >= n),
        ("<=", |p, n| p <= n),
        ("le", |p, n| p <= n),
        (">", |p, n| p > n),
        ("<", |p, n| p < n),
        ("lt", |p, n| p < n),
    ];
    for (side, src) in [("sport", true), ("dport", false)] {
        for &n in OPERANDS {
            for (op, truth) in ops {
                let text = format!("{side} {op} :{n}");
                for p in around(n) {
                    check(&text, src, p, truth(p, n));
                    check(&format!("not {text}"), src, p, !truth(p, n));
                }
            }
        }
    }
}

#[test]
fn ranges_at_both_ends() {
    // Ranges of width 0, 1 and 2, with each end tried one port inside and
    // one port outside.
    for (side, src) in [("sport", true), ("dport", false)] {
        for &lo in OPERANDS {
            for width in 0..=2u16 {
                let Some(hi) = lo.checked_add(width) else {
                    continue;
                };
                let inclusive = format!("{side} >= :{lo} and {side} <= :{hi}");
                let exclusive = format!("{side} > :{lo} and {side} < :{hi}");
                let outside = format!("{side} < :{lo} or {side} > :{hi}");
                let mut ports = around(lo);
                ports.extend(around(hi));
                for p in ports {
                    let inside = lo <= p && p <= hi;
                    check(&inclusive, src, p, inside);
                    check(&format!("not ( {inclusive} )"), src, p, !inside);
                    check(&exclusive, src, p, lo < p && p < hi);
                    check(&outside, src, p, !inside);
                }
            }
        }
    }
}

#[test]
fn the_compiled_operand_is_the_port_written() {
    // The bytes the kernel compares with: `>=` and `<=` carry the operand
    // in the NOP that follows the comparison; `=` in the host condition.
    let ctx = FilterContext::default();
    for &n in OPERANDS {
        for (text, code) in [
            (format!("sport >= :{n}"), crate::consts::INET_DIAG_BC_S_GE),
            (format!("sport <= :{n}"), crate::consts::INET_DIAG_BC_S_LE),
            (format!("dport >= :{n}"), crate::consts::INET_DIAG_BC_D_GE),
            (format!("dport <= :{n}"), crate::consts::INET_DIAG_BC_D_LE),
        ] {
            let words = crate::ss::split_words(&text);
            let e = parse_with(&words, &SystemResolver).unwrap().unwrap();
            let bc = compile(&e, &ctx).unwrap();
            assert_eq!(bc.len(), 8, "{text}");
            assert_eq!(bc[0], code, "{text}");
            assert_eq!(u16::from_ne_bytes([bc[6], bc[7]]), n, "{text}");
        }
        let words = crate::ss::split_words(&format!("dport = :{n}"));
        let e = parse_with(&words, &SystemResolver).unwrap().unwrap();
        let bc = compile(&e, &ctx).unwrap();
        assert_eq!(bc[0], crate::consts::INET_DIAG_BC_D_COND);
        assert_eq!(
            i32::from_ne_bytes([bc[8], bc[9], bc[10], bc[11]]),
            i32::from(n),
            "dport = :{n}"
        );
    }
}
