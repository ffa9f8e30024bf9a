//! The user-space evaluator: an [`Expr`] judged on a socket.

use std::net::IpAddr;

use crate::model::{Endpoint, Family, Socket, UnixName, UnixNameRef};

use super::*;

/// What the evaluator needs to know about a socket.
pub(super) struct View<'a> {
    pub(super) family: Option<CondFamily>,
    pub(super) local: [u8; 16],
    pub(super) remote: [u8; 16],
    pub(super) lport: u64,
    pub(super) rport: u64,
    pub(super) lname: Option<&'a UnixName>,
    pub(super) s: &'a Socket,
}

pub(super) fn view(s: &Socket) -> View<'_> {
    let ip = |e: &Endpoint| -> ([u8; 16], u64) {
        match e {
            Endpoint::Inet {
                addr: IpAddr::V4(a),
                port,
            } => {
                let mut b = [0u8; 16];
                b[..4].copy_from_slice(&a.octets());
                (b, *port as u64)
            }
            Endpoint::Inet {
                addr: IpAddr::V6(a),
                port,
            } => (a.octets(), *port as u64),
            Endpoint::Unix { inode, .. } => ([0; 16], *inode),
            Endpoint::Packet { ifindex, .. } => ([0; 16], *ifindex as u64),
            Endpoint::Netlink { portid, .. } => ([0; 16], *portid as u64),
            Endpoint::None => ([0; 16], 0),
        }
    };
    let (local, lport) = ip(&s.local);
    let (remote, rport) = ip(&s.peer);
    let family = match s.family {
        Family::Inet => Some(CondFamily::Inet),
        Family::Inet6 => Some(CondFamily::Inet6),
        Family::Unix => Some(CondFamily::Unix),
        _ => None,
    };
    let lname = match &s.local {
        Endpoint::Unix { name, .. } => Some(name),
        _ => None,
    };
    View {
        family,
        local,
        remote,
        lport,
        rport,
        lname,
        s,
    }
}

/// The first `bits` bits of `a` and `b` agree. A prefix longer than the
/// shorter address compares the whole address (the kernel's audit refuses
/// such a condition; user space never panics on one).
pub(super) fn bits_match(a: &[u8], b: &[u8], bits: usize) -> bool {
    let bits = bits.min(8 * a.len().min(b.len()));
    let full = bits / 8;
    if a[..full] != b[..full] {
        return false;
    }
    let rest = bits % 8;
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (a[full] ^ b[full]) & mask == 0
}

pub(super) fn unix_name_text(n: &UnixName) -> String {
    n.to_string()
}

/// One element of a glob: `*`, or something that matches exactly one char.
pub(super) enum GlobTok {
    Star,
    Any,
    Lit(char),
    Class { neg: bool, items: Vec<(char, char)> },
}

impl GlobTok {
    fn matches(&self, c: char) -> bool {
        match self {
            GlobTok::Star => true,
            GlobTok::Any => true,
            GlobTok::Lit(l) => *l == c,
            GlobTok::Class { neg, items } => {
                items.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *neg
            }
        }
    }
}

pub(super) fn glob_tokens(p: &[char]) -> Vec<GlobTok> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '*' => {
                out.push(GlobTok::Star);
                i += 1;
            }
            '?' => {
                out.push(GlobTok::Any);
                i += 1;
            }
            '[' => {
                let mut j = i + 1;
                let neg = matches!(p.get(j), Some('!') | Some('^'));
                if neg {
                    j += 1;
                }
                let mut items = Vec::new();
                let mut first = true;
                while j < p.len() && (first || p[j] != ']') {
                    first = false;
                    if j + 2 < p.len() && p[j + 1] == '-' && p[j + 2] != ']' {
                        items.push((p[j], p[j + 2]));
                        j += 3;
                    } else {
                        items.push((p[j], p[j]));
                        j += 1;
                    }
                }
                if j >= p.len() {
                    // No closing bracket: '[' is literal.
                    out.push(GlobTok::Lit('['));
                    i += 1;
                } else {
                    out.push(GlobTok::Class { neg, items });
                    i = j + 1;
                }
            }
            '\\' if i + 1 < p.len() => {
                out.push(GlobTok::Lit(p[i + 1]));
                i += 2;
            }
            c => {
                out.push(GlobTok::Lit(c));
                i += 1;
            }
        }
    }
    out
}

/// `fnmatch(3)` without flags: `*`, `?`, `[...]` (with `!`/`^` and ranges), `\`.
///
/// Linear in the pattern times the text: every element but `*` matches
/// exactly one character, so on a mismatch only the last `*` needs to take
/// one more character (a recursive matcher took exponential time on
/// patterns with many `*`s, found by fuzzing).
pub fn glob_match(pat: &str, s: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let toks = glob_tokens(&p);
    let s: Vec<char> = s.chars().collect();
    let (mut ti, mut si) = (0, 0);
    // The last `*` seen and the text position it currently stops at.
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match toks.get(ti) {
            Some(GlobTok::Star) => {
                star = Some((ti, si));
                ti += 1;
                continue;
            }
            Some(t) if t.matches(s[si]) => {
                ti += 1;
                si += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((st, ss)) => {
                ti = st + 1;
                si = ss + 1;
                star = Some((st, ss + 1));
            }
            None => return false,
        }
    }
    toks[ti..].iter().all(|t| matches!(t, GlobTok::Star))
}

impl Expr {
    /// Evaluates the expression on a socket in user space, with the same
    /// semantics as the kernel's bytecode (IPv4 conditions match
    /// IPv4-mapped IPv6 addresses; unix sockets compare their inode as the
    /// port and their name against `unix:` globs). `autobound` is a local
    /// port inside the context's `ip_local_port_range` (as `ss` judges it
    /// in user space). Pure: no I/O.
    ///
    /// ```
    /// use sockdiag::filter::{parse_with, FilterContext, SystemResolver};
    /// let words = sockdiag::ss::split_words("sport = :22");
    /// let e = parse_with(&words, &SystemResolver).unwrap().unwrap();
    /// use sockdiag::{Family, Socket, State, Table};
    /// let s = Socket::new(Table::Tcp, Family::Inet, State::Listen);
    /// assert!(!e.matches(&s, &FilterContext::default()));
    /// ```
    pub fn matches(&self, s: &Socket, ctx: &FilterContext) -> bool {
        self.eval(&view(s), ctx.range())
    }

    /// True when the expression depends on a [`FilterContext`] (`autobound`).
    pub fn needs_context(&self) -> bool {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => a.needs_context() || b.needs_context(),
            Expr::Not(a) => a.needs_context(),
            Expr::Autobound => true,
            _ => false,
        }
    }

    fn eval(&self, v: &View<'_>, range: (u64, u64)) -> bool {
        match self {
            Expr::And(a, b) => a.eval(v, range) && b.eval(v, range),
            Expr::Or(a, b) => a.eval(v, range) || b.eval(v, range),
            Expr::Not(a) => !a.eval(v, range),
            Expr::Src(c) => cond(c, v, true),
            Expr::Dst(c) => cond(c, v, false),
            Expr::SportGe(p) => v.lport >= *p as u64,
            Expr::SportLe(p) => v.lport <= *p as u64,
            Expr::DportGe(p) => v.rport >= *p as u64,
            Expr::DportLe(p) => v.rport <= *p as u64,
            Expr::Dev(i) => v.s.interface == *i,
            Expr::Mark { mark, mask } => v.s.mark.is_some_and(|m| m & mask == *mark),
            Expr::Cgroup(id) => v.s.cgroup_id == Some(*id),
            Expr::Autobound => match v.s.family {
                Family::Inet | Family::Inet6 => v.lport >= range.0 && v.lport <= range.1,
                Family::Unix => match v.lname.map(UnixName::view) {
                    None | Some(UnixNameRef::Unnamed) => true,
                    Some(UnixNameRef::Abstract(b)) => {
                        b.len() == 5
                            && b.iter()
                                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
                    }
                    Some(UnixNameRef::Path(_)) => false,
                },
                Family::Packet => matches!(v.s.local, Endpoint::Packet { protocol: 0, .. }),
                Family::Netlink => (v.lport as u32 as i32) < 0,
            },
        }
    }
}

pub(super) fn cond(c: &HostCond, v: &View<'_>, local: bool) -> bool {
    cond_as(c, v, local, false)
}

/// `kernel`: the kernel's rule for IPv4 conditions on IPv4-mapped IPv6
/// sockets (any prefix, `inet:*` included) instead of ss's (address bits only).
pub(super) fn cond_as(c: &HostCond, v: &View<'_>, local: bool, kernel: bool) -> bool {
    let (addr, port) = if local {
        (&v.local, v.lport)
    } else {
        (&v.remote, v.rport)
    };
    if let Some(p) = c.port
        && p as u64 != port
    {
        return false;
    }
    match c.family {
        CondFamily::Any => true,
        CondFamily::Unix => {
            if v.family != Some(CondFamily::Unix) {
                return false;
            }
            let name = if local {
                v.lname.map(unix_name_text)
            } else {
                None
            };
            match (&c.glob, name) {
                (None, _) => true,
                (Some(g), Some(n)) => glob_match(g, &n),
                (Some(g), None) => g == "*",
            }
        }
        fam => {
            if v.family != Some(fam) {
                // The kernel lets an IPv4 condition match an IPv4-mapped IPv6 address.
                // (ss: only for a condition with address bits; `inet:*`
                // means an IPv4 socket.)
                if v.family == Some(CondFamily::Inet6)
                    && fam == CondFamily::Inet
                    && (kernel || c.prefix_len > 0)
                {
                    let mapped =
                        addr[..10].iter().all(|b| *b == 0) && addr[10] == 0xff && addr[11] == 0xff;
                    return mapped
                        && bits_match(&addr[12..16], &c.addr[..4], c.prefix_len as usize);
                }
                return false;
            }
            c.prefix_len == 0 || bits_match(addr, &c.addr, c.prefix_len as usize)
        }
    }
}
