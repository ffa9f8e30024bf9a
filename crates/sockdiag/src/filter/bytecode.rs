//! The compiler to `INET_DIAG_REQ_BYTECODE`, the audit that checks a
//! program as the kernel does, and (for tests) an interpreter.

use crate::consts::*;
#[cfg(any(test, feature = "internals"))]
use crate::model::Socket;

use super::*;

pub(super) fn op(code: u8, yes: usize, no: usize) -> [u8; 4] {
    let no = no as u16;
    [code, yes as u8, no.to_ne_bytes()[0], no.to_ne_bytes()[1]]
}

pub(super) fn hostcond_bytes(code: u8, c: &HostCond) -> Vec<u8> {
    let (fam, alen) = match c.family {
        CondFamily::Inet => (AF_INET, 4),
        CondFamily::Inet6 => (AF_INET6, 16),
        _ => (0u8, 0),
    };
    let len = 4 + 8 + alen;
    let mut v = Vec::with_capacity(len);
    v.extend_from_slice(&op(code, len, len + 4));
    v.push(fam);
    v.push(c.prefix_len);
    v.extend_from_slice(&[0, 0]);
    let port: i32 = c.port.map_or(-1, i32::from);
    v.extend_from_slice(&port.to_ne_bytes());
    v.extend_from_slice(&c.addr[..alen]);
    v
}

/// The prefix `::ffff:0:0/96` of IPv4-mapped IPv6 addresses.
pub(super) fn v4_mapped_prefix() -> HostCond {
    let mut addr = [0u8; 16];
    addr[10] = 0xff;
    addr[11] = 0xff;
    HostCond {
        family: CondFamily::Inet6,
        addr,
        prefix_len: 96,
        port: None,
        glob: None,
    }
}

/// Compiles `e` (which must be [`Expr::kernel_compatible`]); `None` otherwise.
pub(super) fn compile(e: &Expr, ctx: &FilterContext) -> Option<Vec<u8>> {
    compile_in(e, false, ctx)
}

/// `negated`: whether `e` sits under an odd number of `not`s, for the one
/// predicate whose program depends on it (`autobound`).
pub(super) fn compile_in(e: &Expr, negated: bool, ctx: &FilterContext) -> Option<Vec<u8>> {
    Some(match e {
        // An IPv4 condition with no address bits (`inet:*`) means "an IPv4
        // socket": the kernel would also take IPv4-mapped IPv6 sockets, ss
        // does not. Exclude them explicitly.
        Expr::Src(c) | Expr::Dst(c) if c.family == CondFamily::Inet && c.prefix_len == 0 => {
            let (code, mapped) = match e {
                Expr::Src(_) => (INET_DIAG_BC_S_COND, Expr::Src(v4_mapped_prefix())),
                _ => (INET_DIAG_BC_D_COND, Expr::Dst(v4_mapped_prefix())),
            };
            let mut a = hostcond_bytes(code, c);
            let b = compile_in(&Expr::Not(Box::new(mapped)), negated, ctx)?;
            patch(&mut a, b.len());
            a.extend_from_slice(&b);
            a
        }
        Expr::Src(c) => hostcond_bytes(INET_DIAG_BC_S_COND, c),
        Expr::Dst(c) => hostcond_bytes(INET_DIAG_BC_D_COND, c),
        Expr::SportGe(p) | Expr::SportLe(p) | Expr::DportGe(p) | Expr::DportLe(p) => {
            let code = match e {
                Expr::SportGe(_) => INET_DIAG_BC_S_GE,
                Expr::SportLe(_) => INET_DIAG_BC_S_LE,
                Expr::DportGe(_) => INET_DIAG_BC_D_GE,
                _ => INET_DIAG_BC_D_LE,
            };
            let mut v = op(code, 8, 12).to_vec();
            v.extend_from_slice(&op(INET_DIAG_BC_NOP, 0, *p as usize));
            v
        }
        Expr::Autobound => {
            // ss filters twice: the kernel's AUTO (no bind lock) and, in user
            // space, a local port inside ip_local_port_range. Its answer is
            // both; under `not`, neither. Build that answer in one program.
            let (lo, hi) = ctx.local_port_range();
            let range = Expr::And(Box::new(Expr::SportGe(lo)), Box::new(Expr::SportLe(hi)));
            let auto = op(INET_DIAG_BC_AUTO, 4, 8).to_vec();
            let range = compile_in(&range, negated, ctx)?;
            let mut a = auto;
            if negated {
                a.extend_from_slice(&op(INET_DIAG_BC_JMP, 4, range.len() + 4));
            } else {
                patch(&mut a, range.len());
            }
            a.extend_from_slice(&range);
            a
        }
        Expr::Mark { mark, mask } => {
            let mut v = op(INET_DIAG_BC_MARK_COND, 12, 16).to_vec();
            v.extend_from_slice(&mark.to_ne_bytes());
            v.extend_from_slice(&mask.to_ne_bytes());
            v
        }
        Expr::Cgroup(id) => {
            let mut v = op(INET_DIAG_BC_CGROUP_COND, 12, 16).to_vec();
            v.extend_from_slice(&id.to_ne_bytes());
            v
        }
        Expr::Dev(_) => return None,
        Expr::And(a, b) => {
            let mut a = compile_in(a, negated, ctx)?;
            let b = compile_in(b, negated, ctx)?;
            patch(&mut a, b.len());
            a.extend_from_slice(&b);
            a
        }
        Expr::Or(a, b) => {
            let mut a = compile_in(a, negated, ctx)?;
            let b = compile_in(b, negated, ctx)?;
            a.extend_from_slice(&op(INET_DIAG_BC_JMP, 4, b.len() + 4));
            a.extend_from_slice(&b);
            a
        }
        Expr::Not(a) => {
            let mut a = compile_in(a, !negated, ctx)?;
            a.extend_from_slice(&op(INET_DIAG_BC_JMP, 4, 8));
            a
        }
    })
}

/// Redirects every "reject" jump of `prog` (to 4 bytes past its end) to 4
/// bytes past the end of `prog` followed by `reloc` more bytes.
pub(super) fn patch(prog: &mut [u8], reloc: usize) {
    let len = prog.len();
    let mut off = 0;
    while off + 4 <= len {
        let yes = prog[off + 1] as usize;
        let no = u16::from_ne_bytes([prog[off + 2], prog[off + 3]]) as usize;
        if no == len - off + 4 {
            let n = ((no + reloc) as u16).to_ne_bytes();
            prog[off + 2] = n[0];
            prog[off + 3] = n[1];
        }
        if yes == 0 {
            break;
        }
        off += yes;
    }
}

/// A bytecode program the kernel would refuse, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid inet_diag bytecode at offset {offset}: {reason}")]
#[non_exhaustive]
pub struct BytecodeError {
    /// Offset of the offending op.
    pub offset: usize,
    /// What is wrong.
    pub reason: &'static str,
}

/// Checks a program as the kernel's `inet_diag_bc_audit` does (6.18):
/// known op codes, condition lengths, and jumps that are 4-byte aligned,
/// land on an op boundary and go at most 4 bytes past the end.
pub fn audit(bc: &[u8]) -> Result<(), BytecodeError> {
    let total = bc.len();
    // Op boundaries reachable by walking `yes`, for the kernel's valid_cc.
    let mut starts = Vec::new();
    let mut off = 0;
    while off < total {
        let rem = total - off;
        let bad = |reason| {
            Err(BytecodeError {
                offset: off,
                reason,
            })
        };
        if rem < 4 {
            return bad("truncated op");
        }
        let code = bc[off];
        let yes = bc[off + 1] as usize;
        let no = u16::from_ne_bytes([bc[off + 2], bc[off + 3]]) as usize;
        let mut min_len = 4;
        match code {
            INET_DIAG_BC_S_COND | INET_DIAG_BC_D_COND => {
                if rem < 12 {
                    return bad("hostcond truncated");
                }
                let fam = bc[off + 4];
                let plen = bc[off + 5] as usize;
                let alen = match fam {
                    0 => 0,
                    AF_INET => 4,
                    AF_INET6 => 16,
                    _ => return bad("hostcond family"),
                };
                min_len = 12 + alen;
                if rem < min_len {
                    return bad("hostcond address truncated");
                }
                if plen > alen * 8 {
                    return bad("hostcond prefix longer than its address");
                }
            }
            INET_DIAG_BC_S_EQ | INET_DIAG_BC_S_GE | INET_DIAG_BC_S_LE | INET_DIAG_BC_D_EQ
            | INET_DIAG_BC_D_GE | INET_DIAG_BC_D_LE => {
                min_len = 8;
                if rem < 8 {
                    return bad("port comparison truncated");
                }
            }
            INET_DIAG_BC_DEV_COND => {
                min_len = 8;
                if rem < 8 {
                    return bad("devcond truncated");
                }
            }
            INET_DIAG_BC_MARK_COND => {
                min_len = 12;
                if rem < 12 {
                    return bad("markcond truncated");
                }
            }
            INET_DIAG_BC_CGROUP_COND => {
                min_len = 12;
                if rem < 12 {
                    return bad("cgroupcond truncated");
                }
            }
            INET_DIAG_BC_AUTO | INET_DIAG_BC_JMP | INET_DIAG_BC_NOP => {}
            _ => return bad("unknown op code"),
        }
        if code != INET_DIAG_BC_NOP {
            if no < min_len || no > rem + 4 || no & 3 != 0 {
                return bad("'no' jump out of range or misaligned");
            }
            if no < rem {
                starts.push((off, off + no));
            }
        }
        if yes < min_len || yes > rem + 4 || yes & 3 != 0 {
            return bad("'yes' jump out of range or misaligned");
        }
        off += yes;
    }
    if off != total {
        return Err(BytecodeError {
            offset: off,
            reason: "program does not end on an op boundary",
        });
    }
    // valid_cc: every in-range 'no' target is the start of an op.
    let mut boundaries = Vec::new();
    let mut o = 0;
    while o < total {
        boundaries.push(o);
        o += (bc[o + 1] as usize).max(4);
    }
    for (from, to) in starts {
        if boundaries.binary_search(&to).is_err() {
            return Err(BytecodeError {
                offset: from,
                reason: "'no' jump into the middle of an op",
            });
        }
    }
    Ok(())
}

/// Runs a program on a socket as the kernel's `inet_diag_bc_run` would, for
/// tests: true when execution runs exactly off the end. `userlocks_bindport`
/// stands for `SOCK_BINDPORT_LOCK` (an explicitly bound port).
///
/// Not part of the stable API: only with the `internals` feature, for the
/// fuzzers and the CLI's tests that check the compiler against the
/// user-space evaluator.
#[cfg(any(test, feature = "internals"))]
#[doc(hidden)]
pub fn run_bytecode(bc: &[u8], s: &Socket, userlocks_bindport: bool) -> bool {
    let v = view(s);
    let mut off: isize = 0;
    let len = bc.len() as isize;
    while off < len {
        let o = off as usize;
        let Some(hdr) = bc.get(o..o + 4) else {
            return false;
        };
        let (code, yes, no) = (
            hdr[0],
            hdr[1] as isize,
            u16::from_ne_bytes([hdr[2], hdr[3]]) as isize,
        );
        let port_arg = || {
            bc.get(o + 6..o + 8)
                .map_or(0, |b| u16::from_ne_bytes([b[0], b[1]]) as u64)
        };
        let ok = match code {
            INET_DIAG_BC_NOP => true,
            INET_DIAG_BC_JMP => false,
            INET_DIAG_BC_S_GE => v.lport >= port_arg(),
            INET_DIAG_BC_S_LE => v.lport <= port_arg(),
            INET_DIAG_BC_D_GE => v.rport >= port_arg(),
            INET_DIAG_BC_D_LE => v.rport <= port_arg(),
            INET_DIAG_BC_S_EQ => v.lport == port_arg(),
            INET_DIAG_BC_D_EQ => v.rport == port_arg(),
            INET_DIAG_BC_AUTO => !userlocks_bindport,
            INET_DIAG_BC_S_COND | INET_DIAG_BC_D_COND => {
                let fam = bc.get(o + 4).copied().unwrap_or(0);
                let plen = bc.get(o + 5).copied().unwrap_or(0);
                let port = bc
                    .get(o + 8..o + 12)
                    .map_or(-1, |b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
                let mut addr = [0u8; 16];
                let alen = if fam == AF_INET {
                    4
                } else if fam == AF_INET6 {
                    16
                } else {
                    0
                };
                if let Some(a) = bc.get(o + 12..o + 12 + alen) {
                    addr[..alen].copy_from_slice(a);
                }
                let c = HostCond {
                    family: match fam {
                        AF_INET => CondFamily::Inet,
                        AF_INET6 => CondFamily::Inet6,
                        _ => CondFamily::Any,
                    },
                    addr,
                    prefix_len: plen,
                    port: if port < 0 { None } else { Some(port as u16) },
                    glob: None,
                };
                cond_as(&c, &v, code == INET_DIAG_BC_S_COND, true)
            }
            INET_DIAG_BC_MARK_COND => {
                let m = crate::wire::u32_ne(bc, o + 4);
                let k = crate::wire::u32_ne(bc, o + 8);
                s.mark.is_some_and(|x| x & k == m)
            }
            INET_DIAG_BC_CGROUP_COND => s.cgroup_id == Some(crate::wire::u64_ne(bc, o + 4)),
            INET_DIAG_BC_DEV_COND => s.interface == crate::wire::u32_ne(bc, o + 4),
            _ => return false,
        };
        off += if ok { yes } else { no };
        if (ok && yes == 0) || (!ok && no == 0) {
            return false;
        }
    }
    off == len
}
