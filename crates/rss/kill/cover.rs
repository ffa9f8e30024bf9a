//! How much of the socket space a filter covers: the measure `-K`'s guard
//! judges a filter by.
//!
//! A socket is a point in a space of independent dimensions: its local and
//! remote port (0–65535 each), its local and remote address (the IPv4 or
//! the IPv6 space), its firewall mark, the device it is bound to, its
//! cgroup, and whether its local port was chosen by the kernel
//! (`autobound`). A filter accepts a subset of that space. What it covers
//! is measured under a fixed set of *populations*: probability
//! distributions over the space that stand for the sockets a host has,
//! each taken on its own:
//!
//! - the family: IPv4 or IPv6 (address prefixes are measured in each
//!   family's own space; an IPv4 condition also covers the IPv4-mapped
//!   IPv6 addresses, as the kernel lets it);
//! - each port: uniform over 0–65535, or (on one side at a time) uniform
//!   over the kernel's default ephemeral range 32768–60999 ([`EPHEMERAL`]:
//!   the client side of every connection, the user's own SSH session
//!   included);
//! - addresses: uniform over the family's space;
//! - the mark: uniform over 32 bits, or 0 (an unmarked socket);
//! - the device: uniform, or none (a socket bound to no device);
//! - the cgroup: uniform over its 64-bit ids;
//! - `autobound`: true, or false;
//! - when the states selected include sockets with no peer (LISTEN,
//!   UNCONN/CLOSE, BOUND-INACTIVE: `-l`, `-a`, `state listening`), also
//!   populations of those: remote port 0, remote address the wildcard,
//!   local address uniform or the wildcard.
//!
//! Under each population the filter's measure is bounded from above:
//! exactly for a sub-expression of one dimension (`sport >= :1000 and
//! sport <= :2000`, `src 0.0.0.0/1 or src 128.0.0.0/1`), as a product for
//! `and`/`or` of sides on different dimensions (independent under a
//! population), and by the Fréchet bounds (`P(A and B) <= min(P(A),
//! P(B))`, `P(A or B) <= P(A) + P(B)`, a lower bound carried along for
//! `not`) when sides share a dimension. The filter is *broad* when this
//! upper bound reaches half under any population. Nothing here reads the
//! host: the answer depends on the filter and the states alone.

use sockdiag::filter::{CondFamily, Expr, HostCond};

/// The kernel's default `net.ipv4.ip_local_port_range`, inclusive: the
/// ports of the client side of connections.
pub const EPHEMERAL: (u16, u16) = (32768, 60999);

/// The fraction at and above which a filter is broad.
pub const BROAD: f64 = 0.5;

/// Room for rounding: a measure this close below [`BROAD`] counts as broad.
const ROUNDING: f64 = 1e-9;

/// A dimension of the socket space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dim {
    Sport,
    Dport,
    Src,
    Dst,
    Dev,
    Cgroup,
    Autobound,
    /// Marks are not intervals (`fwmark = 0x100/0xff00`): each mark
    /// condition is measured alone, and conditions on marks are combined
    /// by the Fréchet bounds.
    Mark,
}

impl Dim {
    fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// Inclusive ranges, sorted and disjoint.
type Ranges = Vec<(u128, u128)>;

/// The family a population's addresses come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fam {
    V4,
    V6,
}

impl Fam {
    fn addr_max(self) -> u128 {
        match self {
            Fam::V4 => u32::MAX as u128,
            Fam::V6 => u128::MAX,
        }
    }
}

fn max_of(d: Dim, fam: Fam) -> u128 {
    match d {
        Dim::Sport | Dim::Dport => u16::MAX as u128,
        Dim::Src | Dim::Dst => fam.addr_max(),
        Dim::Dev | Dim::Mark => u32::MAX as u128,
        Dim::Cgroup => u64::MAX as u128,
        Dim::Autobound => 1,
    }
}

fn intersect(a: &Ranges, b: &Ranges) -> Ranges {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let lo = a[i].0.max(b[j].0);
        let hi = a[i].1.min(b[j].1);
        if lo <= hi {
            out.push((lo, hi));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

fn complement(a: &Ranges, max: u128) -> Ranges {
    let mut out = Vec::new();
    let mut next = Some(0u128);
    for &(lo, hi) in a {
        if let Some(n) = next
            && n < lo
        {
            out.push((n, lo - 1));
        }
        next = hi.checked_add(1);
    }
    if let Some(n) = next
        && n <= max
    {
        out.push((n, max));
    }
    out
}

fn union(a: &Ranges, b: &Ranges, max: u128) -> Ranges {
    complement(&intersect(&complement(a, max), &complement(b, max)), max)
}

/// The share of `r` in the uniform distribution over `lo..=hi`.
fn share(r: &Ranges, lo: u128, hi: u128) -> f64 {
    let inside: f64 = intersect(r, &vec![(lo, hi)])
        .iter()
        .map(|&(a, b)| (b - a) as f64 + 1.0)
        .sum();
    inside / ((hi - lo) as f64 + 1.0)
}

/// A filter with each sub-expression of one dimension folded into the set
/// of values it accepts.
#[derive(Debug, Clone)]
enum Shape {
    Set(Dim, Ranges),
    Mark { mark: u32, mask: u32 },
    And(Box<Shape>, Box<Shape>),
    Or(Box<Shape>, Box<Shape>),
    Not(Box<Shape>),
}

/// Every value of `d`.
fn full(d: Dim, fam: Fam) -> Shape {
    Shape::Set(d, vec![(0, max_of(d, fam))])
}

/// `a and b`, with the conditions on one dimension, anywhere in a chain
/// of `and`s, folded into one set.
fn and(a: Shape, b: Shape, fam: Fam) -> Shape {
    join(a, b, fam, true)
}

/// `a or b`, folded as [`and`] folds.
fn or(a: Shape, b: Shape, fam: Fam) -> Shape {
    join(a, b, fam, false)
}

fn join(a: Shape, b: Shape, fam: Fam, conj: bool) -> Shape {
    let mut parts = Vec::new();
    split(a, conj, &mut parts);
    split(b, conj, &mut parts);
    let mut sets: Vec<(Dim, Ranges)> = Vec::new();
    let mut rest = Vec::new();
    for p in parts {
        match p {
            Shape::Set(d, r) => match sets.iter_mut().find(|(e, _)| *e == d) {
                Some((_, have)) => {
                    *have = if conj {
                        intersect(have, &r)
                    } else {
                        union(have, &r, max_of(d, fam))
                    }
                }
                None => sets.push((d, r)),
            },
            p => rest.push(p),
        }
    }
    let whole = |d: Dim, r: &Ranges| r.as_slice() == [(0, max_of(d, fam))];
    let mut out: Option<Shape> = None;
    for p in sets
        .into_iter()
        .filter(|(d, r)| !conj || !whole(*d, r))
        .map(|(d, r)| Shape::Set(d, r))
        .chain(rest)
    {
        out = Some(match out {
            None => p,
            Some(o) if conj => Shape::And(Box::new(o), Box::new(p)),
            Some(o) => Shape::Or(Box::new(o), Box::new(p)),
        });
    }
    // Every part was a whole dimension: `and` of nothing accepts all.
    out.unwrap_or_else(|| full(Dim::Sport, fam))
}

/// The parts of a chain of `and`s (`conj`) or of `or`s.
fn split(s: Shape, conj: bool, out: &mut Vec<Shape>) {
    match s {
        Shape::And(a, b) if conj => {
            split(*a, conj, out);
            split(*b, conj, out);
        }
        Shape::Or(a, b) if !conj => {
            split(*a, conj, out);
            split(*b, conj, out);
        }
        s => out.push(s),
    }
}

fn shape(e: &Expr, fam: Fam) -> Shape {
    match e {
        Expr::And(a, b) => and(shape(a, fam), shape(b, fam), fam),
        Expr::Or(a, b) => or(shape(a, fam), shape(b, fam), fam),
        Expr::Not(a) => match shape(a, fam) {
            Shape::Set(d, x) => Shape::Set(d, complement(&x, max_of(d, fam))),
            a => Shape::Not(Box::new(a)),
        },
        Expr::Src(c) => host(c, Dim::Src, Dim::Sport, fam),
        Expr::Dst(c) => host(c, Dim::Dst, Dim::Dport, fam),
        Expr::SportGe(p) => Shape::Set(Dim::Sport, vec![(*p as u128, u16::MAX as u128)]),
        Expr::SportLe(p) => Shape::Set(Dim::Sport, vec![(0, *p as u128)]),
        Expr::DportGe(p) => Shape::Set(Dim::Dport, vec![(*p as u128, u16::MAX as u128)]),
        Expr::DportLe(p) => Shape::Set(Dim::Dport, vec![(0, *p as u128)]),
        Expr::Dev(i) => Shape::Set(Dim::Dev, vec![(*i as u128, *i as u128)]),
        Expr::Cgroup(id) => Shape::Set(Dim::Cgroup, vec![(*id as u128, *id as u128)]),
        Expr::Mark { mark, mask } => Shape::Mark {
            mark: *mark,
            mask: *mask,
        },
        Expr::Autobound => Shape::Set(Dim::Autobound, vec![(1, 1)]),
        // A condition this analysis does not know is taken as accepting
        // everything: never narrower than it is.
        _ => full(Dim::Src, fam),
    }
}

/// A `src`/`dst` condition: its addresses and its port, on the two
/// dimensions they range on.
fn host(c: &HostCond, addr_dim: Dim, port_dim: Dim, fam: Fam) -> Shape {
    let addrs = match (c.family, fam) {
        (CondFamily::Any, _) => vec![(0, fam.addr_max())],
        (CondFamily::Inet, Fam::V4) => prefix(&c.addr[..4], c.prefix_len, 32),
        // The kernel's rule: an IPv4 condition covers the IPv4-mapped
        // IPv6 addresses (::ffff:a.b.c.d), whatever its prefix.
        (CondFamily::Inet, Fam::V6) => {
            let mut mapped = [0u8; 16];
            mapped[10] = 0xff;
            mapped[11] = 0xff;
            mapped[12..].copy_from_slice(&c.addr[..4]);
            prefix(&mapped, 96 + c.prefix_len.min(32), 128)
        }
        (CondFamily::Inet6, Fam::V6) => prefix(&c.addr, c.prefix_len, 128),
        // Other families' conditions (unix, IPv6 on IPv4) accept no inet
        // socket of this family.
        _ => Vec::new(),
    };
    let addr = Shape::Set(addr_dim, addrs);
    match c.port {
        Some(p) => and(
            addr,
            Shape::Set(port_dim, vec![(p as u128, p as u128)]),
            fam,
        ),
        None => addr,
    }
}

/// The addresses of `bytes/len` in a space of `bits` bits.
fn prefix(bytes: &[u8], len: u8, bits: u32) -> Ranges {
    let mut v: u128 = 0;
    for b in bytes {
        v = (v << 8) | *b as u128;
    }
    let len = (len as u32).min(bits);
    let host_bits = bits - len;
    let span = if host_bits == 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    let lo = v & !span;
    vec![(lo, lo | span)]
}

/// How one dimension's values are spread in a population.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spread {
    /// Uniform over the whole dimension.
    Uniform,
    /// Uniform over the ephemeral ports.
    Ephemeral,
    /// Always this value (0: no peer, no mark, no device, the wildcard).
    Is(u128),
}

/// One population: how each dimension is spread.
#[derive(Debug, Clone, Copy)]
struct Population {
    fam: Fam,
    sport: Spread,
    dport: Spread,
    src: Spread,
    dst: Spread,
    mark: Spread,
    dev: Spread,
    autobound: Spread,
}

impl Population {
    fn spread(&self, d: Dim) -> Spread {
        match d {
            Dim::Sport => self.sport,
            Dim::Dport => self.dport,
            Dim::Src => self.src,
            Dim::Dst => self.dst,
            Dim::Mark => self.mark,
            Dim::Dev => self.dev,
            Dim::Autobound => self.autobound,
            Dim::Cgroup => Spread::Uniform,
        }
    }

    fn measure(&self, d: Dim, r: &Ranges) -> f64 {
        match self.spread(d) {
            Spread::Uniform => share(r, 0, max_of(d, self.fam)),
            Spread::Ephemeral => share(r, EPHEMERAL.0 as u128, EPHEMERAL.1 as u128),
            Spread::Is(v) => share(r, v, v),
        }
    }

    fn mark_measure(&self, mark: u32, mask: u32) -> f64 {
        match self.mark {
            Spread::Is(v) => f64::from(u8::from(v as u32 & mask == mark)),
            _ if mark & !mask != 0 => 0.0,
            _ => 0.5f64.powi(mask.count_ones() as i32),
        }
    }
}

/// Bounds on the measure of a shape under one population, and the
/// dimensions it depends on (none when it is certain: 0 or 1).
#[derive(Debug, Clone, Copy)]
struct Bounds {
    lo: f64,
    hi: f64,
    dims: u16,
}

impl Bounds {
    fn exact(m: f64, dims: u16) -> Bounds {
        let m = m.clamp(0.0, 1.0);
        let dims = if m == 0.0 || m == 1.0 { 0 } else { dims };
        Bounds { lo: m, hi: m, dims }
    }
}

fn bounds(s: &Shape, p: &Population) -> Bounds {
    match s {
        Shape::Set(d, r) => Bounds::exact(p.measure(*d, r), d.bit()),
        Shape::Mark { mark, mask } => Bounds::exact(p.mark_measure(*mark, *mask), Dim::Mark.bit()),
        Shape::Not(a) => {
            let a = bounds(a, p);
            Bounds {
                lo: 1.0 - a.hi,
                hi: 1.0 - a.lo,
                dims: a.dims,
            }
        }
        Shape::And(a, b) => {
            let (a, b) = (bounds(a, p), bounds(b, p));
            let (lo, hi) = if a.dims & b.dims == 0 {
                (a.lo * b.lo, a.hi * b.hi)
            } else {
                ((a.lo + b.lo - 1.0).max(0.0), a.hi.min(b.hi))
            };
            Bounds {
                lo,
                hi,
                dims: a.dims | b.dims,
            }
        }
        Shape::Or(a, b) => {
            let (a, b) = (bounds(a, p), bounds(b, p));
            let (lo, hi) = if a.dims & b.dims == 0 {
                (
                    1.0 - (1.0 - a.lo) * (1.0 - b.lo),
                    1.0 - (1.0 - a.hi) * (1.0 - b.hi),
                )
            } else {
                (a.lo.max(b.lo), (a.hi + b.hi).min(1.0))
            };
            Bounds {
                lo,
                hi,
                dims: a.dims | b.dims,
            }
        }
    }
}

/// Every population; those of sockets without a peer only when `peerless`.
fn populations(peerless: bool) -> Vec<Population> {
    use Spread::*;
    // A connection has at most one client side: (ephemeral, ephemeral) is
    // no population.
    let mut ends = vec![
        (Uniform, Uniform, Uniform, Uniform),
        (Ephemeral, Uniform, Uniform, Uniform),
        (Uniform, Ephemeral, Uniform, Uniform),
    ];
    for sport in [Uniform, Ephemeral] {
        if peerless {
            for src in [Uniform, Is(0)] {
                ends.push((sport, Is(0), src, Is(0)));
            }
        }
    }
    let mut out = Vec::new();
    for fam in [Fam::V4, Fam::V6] {
        for &(sport, dport, src, dst) in &ends {
            for mark in [Uniform, Is(0)] {
                for dev in [Uniform, Is(0)] {
                    for autobound in [Is(0), Is(1)] {
                        out.push(Population {
                            fam,
                            sport,
                            dport,
                            src,
                            dst,
                            mark,
                            dev,
                            autobound,
                        });
                    }
                }
            }
        }
    }
    out
}

/// The largest share of sockets `e` can select, over every population:
/// an upper bound, from 0 to 1. `peerless`: the states selected include
/// sockets without a peer (listeners, unconnected sockets).
pub fn coverage(e: &Expr, peerless: bool) -> f64 {
    let shapes = [shape(e, Fam::V4), shape(e, Fam::V6)];
    populations(peerless)
        .iter()
        .map(|p| {
            let s = &shapes[usize::from(p.fam == Fam::V6)];
            bounds(s, p).hi.clamp(0.0, 1.0)
        })
        .fold(0.0, f64::max)
}

/// True when `e` covers at least half of the socket space ([`coverage`]).
pub fn is_broad(e: &Expr, peerless: bool) -> bool {
    coverage(e, peerless) >= BROAD - ROUNDING
}
