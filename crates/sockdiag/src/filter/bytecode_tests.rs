//! The compiler's exact output, the audit at each of its bounds, and the
//! test interpreter on the ops the compiler never emits.
//!
//! Expected programs are spelled out byte by byte with a local `o` (not the
//! compiler's `op`), so a wrong header in the compiler cannot hide in the
//! expectation.

use std::net::IpAddr;

use super::tests::tcp as sock;
use super::*;
use crate::consts::*;

/// An op header: code, `yes`, `no` (native endian, as the kernel reads it).
fn o(code: u8, yes: u8, no: u16) -> Vec<u8> {
    let n = no.to_ne_bytes();
    vec![code, yes, n[0], n[1]]
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// `(offset, reason)` of the audit's refusal, `None` when it passes.
fn refusal(bc: &[u8]) -> Option<(usize, &'static str)> {
    audit(bc).err().map(|e| (e.offset, e.reason))
}

const NO_JUMP: &str = "'no' jump out of range or misaligned";
const YES_JUMP: &str = "'yes' jump out of range or misaligned";
const MIDDLE: &str = "'no' jump into the middle of an op";
const END: &str = "program does not end on an op boundary";

/// A host condition: header, family, prefix, port -1, `alen` address bytes.
fn hc(code: u8, yes: u8, no: u16, fam: u8, plen: u8, alen: usize) -> Vec<u8> {
    let mut v = o(code, yes, no);
    v.extend_from_slice(&[fam, plen, 0, 0]);
    v.extend_from_slice(&(-1i32).to_ne_bytes());
    v.extend(std::iter::repeat_n(0u8, alen));
    v
}

fn ctx() -> FilterContext {
    FilterContext::new((1000, 2000))
}

fn bc(e: &Expr) -> Vec<u8> {
    compile(e, &ctx()).unwrap()
}

#[test]
fn op_header_bytes() {
    assert_eq!(op(INET_DIAG_BC_JMP, 4, 0x1234).to_vec(), o(1, 4, 0x1234));
    assert_eq!(op(INET_DIAG_BC_S_COND, 28, 32).to_vec(), o(7, 28, 32));
}

#[test]
fn port_comparisons_compile_exactly() {
    for (e, code) in [
        (Expr::SportGe(5), INET_DIAG_BC_S_GE),
        (Expr::SportLe(5), INET_DIAG_BC_S_LE),
        (Expr::DportGe(5), INET_DIAG_BC_D_GE),
        (Expr::DportLe(5), INET_DIAG_BC_D_LE),
    ] {
        assert_eq!(bc(&e), cat(&[&o(code, 8, 12), &o(0, 0, 5)]), "{e:?}");
    }
}

#[test]
fn and_or_not_compile_exactly() {
    let a = Expr::SportGe(5);
    let b = Expr::DportLe(7);
    let pa = cat(&[&o(INET_DIAG_BC_S_GE, 8, 12), &o(0, 0, 5)]);
    let pb = cat(&[&o(INET_DIAG_BC_D_LE, 8, 12), &o(0, 0, 7)]);
    // and: a's "reject" (12: 4 past its end) moves past b as well.
    let and = Expr::And(Box::new(a.clone()), Box::new(b.clone()));
    assert_eq!(
        bc(&and),
        cat(&[&o(INET_DIAG_BC_S_GE, 8, 20), &o(0, 0, 5), &pb])
    );
    // or: a's success jumps over b; a's failure lands on b.
    let or = Expr::Or(Box::new(a.clone()), Box::new(b.clone()));
    assert_eq!(bc(&or), cat(&[&pa, &o(INET_DIAG_BC_JMP, 4, 12), &pb]));
    // not: success falls on a jump past the end, failure past the jump.
    let not = Expr::Not(Box::new(a.clone()));
    assert_eq!(bc(&not), cat(&[&pa, &o(INET_DIAG_BC_JMP, 4, 8)]));
    // Three terms: only the jumps that reject are moved.
    let and3 = Expr::And(Box::new(and.clone()), Box::new(Expr::SportLe(9)));
    assert_eq!(
        bc(&and3),
        cat(&[
            &o(INET_DIAG_BC_S_GE, 8, 28),
            &o(0, 0, 5),
            &o(INET_DIAG_BC_D_LE, 8, 20),
            &o(0, 0, 7),
            &o(INET_DIAG_BC_S_LE, 8, 12),
            &o(0, 0, 9),
        ])
    );
    // and over or: the or's inner jump (to b) is not a rejection.
    let or_and = Expr::And(Box::new(or), Box::new(Expr::SportLe(9)));
    assert_eq!(
        bc(&or_and),
        cat(&[
            &pa,
            &o(INET_DIAG_BC_JMP, 4, 12),
            &o(INET_DIAG_BC_D_LE, 8, 20),
            &o(0, 0, 7),
            &o(INET_DIAG_BC_S_LE, 8, 12),
            &o(0, 0, 9),
        ])
    );
    // dev has no kernel op: nothing around it compiles.
    for e in [
        Expr::And(Box::new(a.clone()), Box::new(Expr::Dev(1))),
        Expr::And(Box::new(Expr::Dev(1)), Box::new(a.clone())),
        Expr::Or(Box::new(a.clone()), Box::new(Expr::Dev(1))),
        Expr::Or(Box::new(Expr::Dev(1)), Box::new(a.clone())),
        Expr::Not(Box::new(Expr::Dev(1))),
    ] {
        assert_eq!(compile(&e, &ctx()), None, "{e:?}");
    }
}

#[test]
fn host_conditions_compile_exactly() {
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    // IPv4 with a prefix and a port.
    let c = HostCond::ip(ip("10.1.2.3"), 24, Some(0x0102));
    let mut want = o(INET_DIAG_BC_D_COND, 16, 20);
    want.extend_from_slice(&[AF_INET, 24, 0, 0]);
    want.extend_from_slice(&0x0102i32.to_ne_bytes());
    want.extend_from_slice(&[10, 1, 2, 3]);
    assert_eq!(bc(&Expr::Dst(c)), want);
    // IPv6, no port (-1).
    let c = HostCond::ip(ip("2001:db8::1"), 128, None);
    let mut want = o(INET_DIAG_BC_S_COND, 28, 32);
    want.extend_from_slice(&[AF_INET6, 128, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    want.extend_from_slice(&ip_bytes("2001:db8::1"));
    assert_eq!(bc(&Expr::Src(c)), want);
    // IPv6 with no address bits: still an IPv6 condition.
    let c = HostCond::ip(ip("::"), 0, Some(22));
    let mut want = o(INET_DIAG_BC_S_COND, 28, 32);
    want.extend_from_slice(&[AF_INET6, 0, 0, 0]);
    want.extend_from_slice(&22i32.to_ne_bytes());
    want.extend_from_slice(&[0; 16]);
    assert_eq!(bc(&Expr::Src(c)), want);
    // Any family, port only: no address.
    let mut want = o(INET_DIAG_BC_D_COND, 12, 16);
    want.extend_from_slice(&[0, 0, 0, 0]);
    want.extend_from_slice(&443i32.to_ne_bytes());
    assert_eq!(bc(&Expr::Dst(HostCond::any_port(Some(443)))), want);
}

fn ip_bytes(s: &str) -> Vec<u8> {
    match s.parse::<IpAddr>().unwrap() {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

#[test]
fn inet_any_compiles_to_ipv4_and_not_mapped() {
    let c = HostCond::ip("0.0.0.0".parse().unwrap(), 0, None);
    let mut want = o(INET_DIAG_BC_S_COND, 16, 52);
    want.extend_from_slice(&[AF_INET, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    want.extend(o(INET_DIAG_BC_S_COND, 28, 32));
    want.extend_from_slice(&[AF_INET6, 96, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0]);
    want.extend(o(INET_DIAG_BC_JMP, 4, 8));
    let e = Expr::Src(c.clone());
    assert_eq!(bc(&e), want);
    let d = bc(&Expr::Dst(c));
    assert_eq!(d[0], INET_DIAG_BC_D_COND);
    assert_eq!(d[16], INET_DIAG_BC_D_COND);
    // An IPv4 socket, a mapped one and a plain IPv6 one.
    for (l, want) in [
        ("10.0.0.1:1", true),
        ("[::ffff:10.0.0.1]:1", false),
        ("[2001:db8::1]:1", false),
        ("[::1]:1", false),
    ] {
        let s = sock(l, l);
        assert_eq!(run_bytecode(&want_bc(&e), &s, true), want, "{l}");
        assert_eq!(e.matches(&s, &ctx()), want, "{l}");
    }
}

fn want_bc(e: &Expr) -> Vec<u8> {
    let b = bc(e);
    audit(&b).unwrap();
    b
}

#[test]
fn autobound_compiles_exactly_both_ways() {
    let range = cat(&[
        &o(INET_DIAG_BC_S_GE, 8, 20),
        &o(0, 0, 1000),
        &o(INET_DIAG_BC_S_LE, 8, 12),
        &o(0, 0, 2000),
    ]);
    assert_eq!(
        bc(&Expr::Autobound),
        cat(&[&o(INET_DIAG_BC_AUTO, 4, 24), &range])
    );
    assert_eq!(
        bc(&Expr::Not(Box::new(Expr::Autobound))),
        cat(&[
            &o(INET_DIAG_BC_AUTO, 4, 8),
            &o(INET_DIAG_BC_JMP, 4, 20),
            &range,
            &o(INET_DIAG_BC_JMP, 4, 8),
        ])
    );
    // Under two nots, as without any.
    assert_eq!(
        bc(&Expr::Not(Box::new(Expr::Not(Box::new(Expr::Autobound))))),
        cat(&[
            &o(INET_DIAG_BC_AUTO, 4, 24),
            &range,
            &o(INET_DIAG_BC_JMP, 4, 8),
            &o(INET_DIAG_BC_JMP, 4, 8),
        ])
    );
}

#[test]
fn mark_and_cgroup_compile_exactly() {
    let mut want = o(INET_DIAG_BC_MARK_COND, 12, 16);
    want.extend_from_slice(&0x1200u32.to_ne_bytes());
    want.extend_from_slice(&0xff00u32.to_ne_bytes());
    assert_eq!(
        bc(&Expr::Mark {
            mark: 0x1200,
            mask: 0xff00
        }),
        want
    );
    let mut want = o(INET_DIAG_BC_CGROUP_COND, 12, 16);
    want.extend_from_slice(&0x0102_0304_0506_0708u64.to_ne_bytes());
    assert_eq!(bc(&Expr::Cgroup(0x0102_0304_0506_0708)), want);
}

#[test]
fn patch_moves_only_rejections() {
    // A rejection of the first op (12 = 4 past the end of 8 bytes) moves;
    // a jump to the end (8) does not; an operand that looks like a
    // rejection (12) is not an op and does not move.
    let mut p = cat(&[&o(INET_DIAG_BC_S_GE, 8, 12), &o(0, 0, 12)]);
    patch(&mut p, 100);
    assert_eq!(p, cat(&[&o(INET_DIAG_BC_S_GE, 8, 112), &o(0, 0, 12)]));
    let to_end = cat(&[&o(INET_DIAG_BC_JMP, 4, 8), &o(INET_DIAG_BC_AUTO, 4, 4)]);
    let mut p = to_end.clone();
    patch(&mut p, 8);
    assert_eq!(p, to_end);
    // The last op's rejection is 8 (4 past the end, from 4 bytes before it).
    let mut p = cat(&[&o(INET_DIAG_BC_AUTO, 4, 4), &o(INET_DIAG_BC_AUTO, 4, 8)]);
    patch(&mut p, 4);
    assert_eq!(
        p,
        cat(&[&o(INET_DIAG_BC_AUTO, 4, 4), &o(INET_DIAG_BC_AUTO, 4, 12)])
    );
    // A lone header, and an empty program.
    let mut p = o(INET_DIAG_BC_AUTO, 4, 8);
    patch(&mut p, 0x100);
    assert_eq!(p, o(INET_DIAG_BC_AUTO, 4, 0x108));
    let mut p: Vec<u8> = vec![];
    patch(&mut p, 4);
    assert!(p.is_empty());
    // A trailing partial op is left alone.
    let mut p = cat(&[&o(INET_DIAG_BC_AUTO, 4, 11), &[1, 2, 3]]);
    patch(&mut p, 4);
    assert_eq!(p, cat(&[&o(INET_DIAG_BC_AUTO, 4, 15), &[1, 2, 3]]));
}

#[test]
fn audit_bounds_of_plain_ops() {
    assert_eq!(refusal(&[]), None);
    // A NOP's `no` is its operand: never checked.
    assert_eq!(refusal(&o(INET_DIAG_BC_NOP, 4, 0)), None);
    assert_eq!(refusal(&o(INET_DIAG_BC_NOP, 4, 2)), None);
    assert_eq!(
        refusal(&cat(&[&o(INET_DIAG_BC_NOP, 4, 0), &[0, 0, 0]])),
        Some((4, "truncated op"))
    );
    assert_eq!(refusal(&[0, 4]), Some((0, "truncated op")));
    for code in [INET_DIAG_BC_JMP, INET_DIAG_BC_AUTO] {
        // `no`: at least the op, at most 4 past the end, a multiple of 4.
        assert_eq!(refusal(&o(code, 4, 0)), Some((0, NO_JUMP)));
        assert_eq!(refusal(&o(code, 4, 4)), None);
        assert_eq!(refusal(&o(code, 4, 8)), None);
        assert_eq!(refusal(&o(code, 4, 12)), Some((0, NO_JUMP)));
        assert_eq!(refusal(&o(code, 4, 6)), Some((0, NO_JUMP)));
        assert_eq!(refusal(&o(code, 4, 5)), Some((0, NO_JUMP)));
        // `yes`: the same bounds.
        assert_eq!(refusal(&o(code, 0, 8)), Some((0, YES_JUMP)));
        assert_eq!(refusal(&o(code, 5, 8)), Some((0, YES_JUMP)));
        assert_eq!(refusal(&o(code, 6, 8)), Some((0, YES_JUMP)));
        assert_eq!(refusal(&o(code, 12, 8)), Some((0, YES_JUMP)));
        assert_eq!(refusal(&o(code, 8, 8)), Some((8, END)));
        // Two ops: the second's bounds are relative to it.
        let two = cat(&[&o(INET_DIAG_BC_NOP, 4, 0), &o(code, 4, 8)]);
        assert_eq!(refusal(&two), None);
        let two = cat(&[&o(INET_DIAG_BC_NOP, 4, 0), &o(code, 4, 12)]);
        assert_eq!(refusal(&two), Some((4, NO_JUMP)));
        let two = cat(&[&o(code, 4, 12), &o(INET_DIAG_BC_NOP, 4, 0)]);
        assert_eq!(refusal(&two), None);
        let two = cat(&[&o(code, 4, 16), &o(INET_DIAG_BC_NOP, 4, 0)]);
        assert_eq!(refusal(&two), Some((0, NO_JUMP)));
        let two = cat(&[&o(code, 8, 12), &o(INET_DIAG_BC_NOP, 4, 0)]);
        assert_eq!(refusal(&two), None);
    }
    for code in [14, 99, 255] {
        assert_eq!(refusal(&o(code, 4, 8)), Some((0, "unknown op code")));
    }
}

#[test]
fn audit_bounds_of_conditions() {
    let port_ops = [
        INET_DIAG_BC_S_GE,
        INET_DIAG_BC_S_LE,
        INET_DIAG_BC_D_GE,
        INET_DIAG_BC_D_LE,
        INET_DIAG_BC_S_EQ,
        INET_DIAG_BC_D_EQ,
    ];
    let mut fixed: Vec<(u8, u8, &str)> = port_ops
        .iter()
        .map(|&c| (c, 8, "port comparison truncated"))
        .collect();
    fixed.push((INET_DIAG_BC_DEV_COND, 8, "devcond truncated"));
    fixed.push((INET_DIAG_BC_MARK_COND, 12, "markcond truncated"));
    fixed.push((INET_DIAG_BC_CGROUP_COND, 12, "cgroupcond truncated"));
    for (code, len, truncated) in fixed {
        let body = vec![0u8; len as usize - 4];
        let ok = cat(&[&o(code, len, len as u16 + 4), &body]);
        assert_eq!(refusal(&ok), None, "{code}");
        // To the end is as far as 4 past it.
        let ok = cat(&[&o(code, len, len as u16), &body]);
        assert_eq!(refusal(&ok), None, "{code}");
        assert_eq!(refusal(&ok[..len as usize - 1]), Some((0, truncated)));
        let short_yes = cat(&[&o(code, len - 4, len as u16 + 4), &body]);
        assert_eq!(refusal(&short_yes), Some((0, YES_JUMP)), "{code}");
        let short_no = cat(&[&o(code, len, len as u16 - 4), &body]);
        assert_eq!(refusal(&short_no), Some((0, NO_JUMP)), "{code}");
        let far_no = cat(&[&o(code, len, len as u16 + 8), &body]);
        assert_eq!(refusal(&far_no), Some((0, NO_JUMP)), "{code}");
    }
}

#[test]
fn audit_bounds_of_host_conditions() {
    for code in [INET_DIAG_BC_S_COND, INET_DIAG_BC_D_COND] {
        for (fam, alen, max) in [(0u8, 0usize, 0u8), (AF_INET, 4, 32), (AF_INET6, 16, 128)] {
            let len = 12 + alen as u8;
            let no = len as u16 + 4;
            assert_eq!(refusal(&hc(code, len, no, fam, max, alen)), None);
            assert_eq!(
                refusal(&hc(code, len, no, fam, max + 1, alen)),
                Some((0, "hostcond prefix longer than its address"))
            );
            let full = hc(code, len, no, fam, 0, alen);
            let want = if alen == 0 {
                "hostcond truncated"
            } else {
                "hostcond address truncated"
            };
            assert_eq!(refusal(&full[..full.len() - 1]), Some((0, want)));
            assert_eq!(
                refusal(&hc(code, len - 4, no, fam, 0, alen)),
                Some((0, YES_JUMP))
            );
            assert_eq!(
                refusal(&hc(code, len, no - 8, fam, 0, alen)),
                Some((0, NO_JUMP))
            );
        }
        assert_eq!(
            refusal(&hc(code, 16, 20, 1, 0, 4)),
            Some((0, "hostcond family"))
        );
        // An address family shorter than its header.
        assert_eq!(
            refusal(&hc(code, 16, 20, AF_INET, 0, 4)[..11]),
            Some((0, "hostcond truncated"))
        );
    }
}

#[test]
fn audit_no_jumps_land_on_ops() {
    let cond = hc(INET_DIAG_BC_S_COND, 12, 16, 0, 0, 0);
    let nop = o(INET_DIAG_BC_NOP, 4, 0);
    // JMP at 4, a 12-byte condition at 8, a NOP at 20 (24 bytes in all).
    let prog = |no: u16| cat(&[&nop, &o(INET_DIAG_BC_JMP, 4, no), &cond, &nop]);
    assert_eq!(refusal(&prog(16)), None);
    assert_eq!(refusal(&prog(20)), None); // to the end
    assert_eq!(refusal(&prog(4)), None); // to the condition
    assert_eq!(refusal(&prog(8)), Some((4, MIDDLE)));
    assert_eq!(refusal(&prog(12)), Some((4, MIDDLE)));
    // The same from offset 0.
    let prog = cat(&[&o(INET_DIAG_BC_JMP, 4, 8), &cond]);
    assert_eq!(refusal(&prog), Some((0, MIDDLE)));
    let prog = cat(&[&o(INET_DIAG_BC_JMP, 4, 4), &cond]);
    assert_eq!(refusal(&prog), None);
}

#[test]
fn interpreter_runs_the_ops_the_compiler_never_emits() {
    let mut s = sock("10.0.0.1:443", "10.0.0.2:50000");
    s.interface = 3;
    for (code, port, want) in [
        (INET_DIAG_BC_S_EQ, 443, true),
        (INET_DIAG_BC_S_EQ, 442, false),
        (INET_DIAG_BC_S_EQ, 444, false),
        (INET_DIAG_BC_D_EQ, 50000, true),
        (INET_DIAG_BC_D_EQ, 443, false),
        (INET_DIAG_BC_D_EQ, 50001, false),
    ] {
        let p = cat(&[&o(code, 8, 12), &o(0, 0, port)]);
        assert_eq!(run_bytecode(&p, &s, true), want, "{code} {port}");
    }
    for (dev, want) in [(3u32, true), (2, false), (4, false)] {
        let p = cat(&[&o(INET_DIAG_BC_DEV_COND, 8, 12), &dev.to_ne_bytes()]);
        assert_eq!(run_bytecode(&p, &s, true), want, "dev {dev}");
    }
    // A jump always jumps; to the end is acceptance.
    assert!(!run_bytecode(&o(INET_DIAG_BC_JMP, 4, 8), &s, true));
    assert!(run_bytecode(&o(INET_DIAG_BC_JMP, 4, 4), &s, true));
    assert!(run_bytecode(&o(INET_DIAG_BC_NOP, 4, 0), &s, true));
    assert!(run_bytecode(&[], &s, true));
    // A zero jump, an unknown op, a cut header: rejected.
    assert!(!run_bytecode(&o(INET_DIAG_BC_NOP, 0, 0), &s, true));
    assert!(!run_bytecode(&o(INET_DIAG_BC_JMP, 4, 0), &s, true));
    assert!(!run_bytecode(&o(99, 4, 4), &s, true));
    assert!(!run_bytecode(&[INET_DIAG_BC_NOP, 4], &s, true));
    assert!(!run_bytecode(
        &cat(&[&o(INET_DIAG_BC_NOP, 4, 0), &[0, 4]]),
        &s,
        true
    ));
    // AUTO: true without the bind lock.
    assert!(run_bytecode(&o(INET_DIAG_BC_AUTO, 4, 8), &s, false));
    assert!(!run_bytecode(&o(INET_DIAG_BC_AUTO, 4, 8), &s, true));
    // A port-only host condition of any family, and one with a port.
    let any = hc(INET_DIAG_BC_S_COND, 12, 16, 0, 0, 0);
    assert!(run_bytecode(&any, &s, true));
    let mut port = o(INET_DIAG_BC_D_COND, 12, 16);
    port.extend_from_slice(&[0, 0, 0, 0]);
    port.extend_from_slice(&50000i32.to_ne_bytes());
    assert!(run_bytecode(&port, &s, true));
    port[8..12].copy_from_slice(&443i32.to_ne_bytes());
    assert!(!run_bytecode(&port, &s, true));
    // Mark and cgroup read their operands at 4 and 8.
    s.mark = Some(0x1234);
    s.cgroup_id = Some(0x0102_0304_0506_0708);
    let mark = |m: u32, k: u32| cat(&[&o(10, 12, 16), &m.to_ne_bytes(), &k.to_ne_bytes()]);
    assert!(run_bytecode(&mark(0x1200, 0xff00), &s, true));
    assert!(!run_bytecode(&mark(0x1234, 0xff00), &s, true));
    let cg = |id: u64| cat(&[&o(13, 12, 16), &id.to_ne_bytes()]);
    assert!(run_bytecode(&cg(0x0102_0304_0506_0708), &s, true));
    assert!(!run_bytecode(&cg(0x0102_0304_0506_0709), &s, true));
}

/// A host condition with its port and address bytes.
fn cond(code: u8, fam: u8, plen: u8, port: i32, addr: &[u8]) -> Vec<u8> {
    let len = 12 + addr.len();
    cat(&[
        &o(code, len as u8, len as u16 + 4),
        &[fam, plen, 0, 0],
        &port.to_ne_bytes(),
        addr,
    ])
}

#[test]
fn interpreter_reads_each_op_at_its_own_offset() {
    let mut s = sock("10.0.0.1:443", "10.0.0.2:50000");
    s.interface = 3;
    s.mark = Some(0x1234);
    s.cgroup_id = Some(0x0102_0304_0506_0708);
    let s6 = sock("[2001:db8::1]:443", "[2001:db8::2]:50000");
    let port = |code: u8, p: u16| cat(&[&o(code, 8, 12), &o(0, 0, p)]);
    let v4 = |code: u8, plen: u8, p: i32, a: &str| cond(code, AF_INET, plen, p, &ip_bytes(a));
    let v6 = |code: u8, plen: u8, p: i32, a: &str| cond(code, AF_INET6, plen, p, &ip_bytes(a));
    let cases: Vec<(Vec<u8>, &Socket, bool)> = vec![
        (port(INET_DIAG_BC_S_GE, 443), &s, true),
        (port(INET_DIAG_BC_S_GE, 444), &s, false),
        (port(INET_DIAG_BC_S_LE, 443), &s, true),
        (port(INET_DIAG_BC_S_LE, 442), &s, false),
        (port(INET_DIAG_BC_D_GE, 50000), &s, true),
        (port(INET_DIAG_BC_D_GE, 50001), &s, false),
        (port(INET_DIAG_BC_D_LE, 50000), &s, true),
        (port(INET_DIAG_BC_D_LE, 49999), &s, false),
        (port(INET_DIAG_BC_S_EQ, 443), &s, true),
        (port(INET_DIAG_BC_S_EQ, 0), &s, false),
        (port(INET_DIAG_BC_D_EQ, 50000), &s, true),
        (port(INET_DIAG_BC_D_EQ, 443), &s, false),
        (v4(INET_DIAG_BC_S_COND, 32, -1, "10.0.0.1"), &s, true),
        (v4(INET_DIAG_BC_S_COND, 32, -1, "10.0.0.2"), &s, false),
        (v4(INET_DIAG_BC_D_COND, 24, 50000, "10.0.0.0"), &s, true),
        (v4(INET_DIAG_BC_D_COND, 24, 443, "10.0.0.0"), &s, false),
        (v4(INET_DIAG_BC_D_COND, 8, -1, "11.0.0.0"), &s, false),
        (v4(INET_DIAG_BC_S_COND, 0, 0, "0.0.0.0"), &s, false),
        (v6(INET_DIAG_BC_S_COND, 128, 443, "2001:db8::1"), &s6, true),
        (v6(INET_DIAG_BC_D_COND, 128, -1, "2001:db8::1"), &s6, false),
        (v6(INET_DIAG_BC_D_COND, 127, -1, "2001:db8::3"), &s6, true),
        (v6(INET_DIAG_BC_S_COND, 0, -1, "::"), &s, false),
        (v4(INET_DIAG_BC_S_COND, 0, -1, "0.0.0.0"), &s6, false),
        (cond(INET_DIAG_BC_S_COND, 0, 0, 443, &[]), &s6, true),
        (cond(INET_DIAG_BC_D_COND, 0, 0, 443, &[]), &s6, false),
        (
            cat(&[
                &o(INET_DIAG_BC_MARK_COND, 12, 16),
                &0x1200u32.to_ne_bytes(),
                &0xff00u32.to_ne_bytes(),
            ]),
            &s,
            true,
        ),
        (
            cat(&[
                &o(INET_DIAG_BC_MARK_COND, 12, 16),
                &0x1234u32.to_ne_bytes(),
                &0xff00u32.to_ne_bytes(),
            ]),
            &s,
            false,
        ),
        (
            cat(&[
                &o(INET_DIAG_BC_CGROUP_COND, 12, 16),
                &0x0102_0304_0506_0708u64.to_ne_bytes(),
            ]),
            &s,
            true,
        ),
        (
            cat(&[
                &o(INET_DIAG_BC_CGROUP_COND, 12, 16),
                &0x0102_0304_0506_0707u64.to_ne_bytes(),
            ]),
            &s,
            false,
        ),
        (
            cat(&[&o(INET_DIAG_BC_DEV_COND, 8, 12), &3u32.to_ne_bytes()]),
            &s,
            true,
        ),
        (
            cat(&[&o(INET_DIAG_BC_DEV_COND, 8, 12), &4u32.to_ne_bytes()]),
            &s,
            false,
        ),
    ];
    // The same op first, after a 4-byte op, and after a 20-byte one.
    let nop = o(INET_DIAG_BC_NOP, 4, 4);
    let host = v4(INET_DIAG_BC_S_COND, 8, -1, "10.0.0.0");
    let host6 = v6(INET_DIAG_BC_S_COND, 32, -1, "2001:db8::");
    for (i, (p, s, want)) in cases.iter().enumerate() {
        let before: &[u8] = if s.family == crate::model::Family::Inet {
            &host
        } else {
            &host6
        };
        for prefix in [&[][..], &nop, before] {
            assert_eq!(
                run_bytecode(&cat(&[prefix, p]), s, true),
                *want,
                "case {i} after {} bytes",
                prefix.len()
            );
        }
    }
}

#[test]
fn interpreter_takes_a_cut_condition_as_it_stands() {
    // The audit refuses these; the interpreter reads what is there: no
    // port bytes is any port, no address bytes is the zero address.
    let s = sock("10.0.0.1:443", "10.0.0.2:50000");
    let no_port = cat(&[&o(INET_DIAG_BC_S_COND, 8, 12), &[0, 0, 0, 0]]);
    assert!(run_bytecode(&no_port, &s, true));
    let no_addr = |plen: u8| {
        cat(&[
            &o(INET_DIAG_BC_S_COND, 12, 16),
            &[AF_INET, plen, 0, 0],
            &(-1i32).to_ne_bytes(),
        ])
    };
    assert!(run_bytecode(&no_addr(0), &s, true));
    assert!(!run_bytecode(&no_addr(8), &s, true));
    let zero = sock("0.0.0.7:443", "10.0.0.2:50000");
    assert!(run_bytecode(&no_addr(8), &zero, true));
}
