//! The parser: words to an [`Expr`], names resolved by a [`Resolver`].

use std::net::{IpAddr, ToSocketAddrs};

use super::*;
use crate::ss::shown_word as shown;

/// Resolves names while parsing: services, interfaces, hosts, cgroups.
/// The default reads `/etc/services`, asks the kernel for interface
/// indexes, resolves host names with the system resolver and cgroups
/// under `/sys/fs/cgroup`.
pub trait Resolver {
    /// A TCP service name's port.
    fn service(&self, name: &str) -> Option<u16>;
    /// An interface name's index.
    fn ifindex(&self, name: &str) -> Option<u32>;
    /// Every address of a host name.
    fn host(&self, name: &str) -> Vec<IpAddr>;
    /// A cgroup v2 path's id.
    fn cgroup(&self, path: &str) -> Option<u64>;
}

/// The system's resolver (see [`Resolver`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn service(&self, name: &str) -> Option<u16> {
        let text = crate::host::read_services();
        crate::host::parse_services(&text)
            .find(|s| s.protocol == "tcp" && s.is_named(name))
            .map(|s| s.port)
    }

    fn ifindex(&self, name: &str) -> Option<u32> {
        crate::sys::if_nametoindex(name)
    }

    fn host(&self, name: &str) -> Vec<IpAddr> {
        let mut v: Vec<IpAddr> = match (name, 0u16).to_socket_addrs() {
            Ok(it) => it.map(|a| a.ip()).collect(),
            Err(_) => Vec::new(),
        };
        v.dedup();
        v
    }

    fn cgroup(&self, path: &str) -> Option<u64> {
        crate::host::cgroup_id(path)
    }
}

pub(super) struct Parser<'a, R: Resolver + ?Sized> {
    words: &'a [String],
    pos: usize,
    resolver: &'a R,
    depth: usize,
}

/// Most nested parentheses and `not`s a filter may use.
pub const MAX_DEPTH: usize = 100;
/// Most words a filter may have (a program must also fit the kernel's
/// 64 KiB attribute).
pub const MAX_WORDS: usize = 4096;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Eq,
    Ne,
    Ge,
    Le,
    Gt,
    Lt,
}

pub(super) fn op_of(w: &str) -> Option<Op> {
    Some(match w {
        "=" | "==" | "eq" => Op::Eq,
        "!=" | "ne" | "neq" => Op::Ne,
        ">=" | "ge" | "geq" => Op::Ge,
        "<=" | "le" | "leq" => Op::Le,
        ">" | "gt" => Op::Gt,
        "<" | "lt" => Op::Lt,
        _ => return None,
    })
}

pub(super) fn is_or(w: &str) -> bool {
    matches!(w, "|" | "||" | "or")
}

pub(super) fn is_and(w: &str) -> bool {
    matches!(w, "&" | "&&" | "and")
}

impl<R: Resolver + ?Sized> Parser<'_, R> {
    fn peek(&self) -> Option<&str> {
        self.words.get(self.pos).map(String::as_str)
    }

    fn next(&mut self) -> Option<&str> {
        let w = self.words.get(self.pos).map(String::as_str);
        self.pos += 1;
        w
    }

    fn expr(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.and()?;
        while self.peek().is_some_and(is_or) {
            self.pos += 1;
            if self.peek().is_none() {
                return err("expected an expression after 'or', found the end");
            }
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.unary()?;
        loop {
            match self.peek() {
                Some(w) if is_and(w) => {
                    self.pos += 1;
                    if self.peek().is_none() {
                        return err("expected an expression after 'and', found the end");
                    }
                }
                Some(w) if !is_or(w) && w != ")" => {}
                _ => return Ok(left),
            }
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        let Some(w) = self.next().map(str::to_owned) else {
            return err("expected an expression, found the end");
        };
        if matches!(w.as_str(), "!" | "not" | "(") {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return err(format!(
                    "expression nested too deeply (more than {MAX_DEPTH} levels of '(' and 'not')"
                ));
            }
        }
        let r = self.unary_word(&w);
        if matches!(w.as_str(), "!" | "not" | "(") {
            self.depth -= 1;
        }
        r
    }

    fn unary_word(&mut self, w: &str) -> Result<Expr, FilterError> {
        let w = w.to_owned();
        match w.as_str() {
            "!" | "not" => Ok(Expr::Not(Box::new(self.unary()?))),
            "(" => {
                let e = self.expr()?;
                match self.next() {
                    Some(")") => Ok(e),
                    Some(other) => err(format!("expected ')', found '{}'", shown(other))),
                    None => err("expected ')', found the end (unbalanced parentheses)"),
                }
            }
            ")" => err("unexpected ')' (unbalanced parentheses)"),
            "src" | "dst" => {
                if self.peek().is_some_and(|w| matches!(w, "=" | "==" | "eq")) {
                    self.pos += 1;
                }
                let Some(h) = self.next().map(str::to_owned) else {
                    return err(format!(
                        "expected an address after '{}', found the end",
                        shown(&w)
                    ));
                };
                let conds = self.host(&h, &w)?;
                let mk = |c: HostCond| {
                    if w == "src" {
                        Expr::Src(c)
                    } else {
                        Expr::Dst(c)
                    }
                };
                let mut it = conds.into_iter();
                let first = mk(it.next().expect("host() returns at least one condition"));
                Ok(it.fold(first, |acc, c| Expr::Or(Box::new(acc), Box::new(mk(c)))))
            }
            "sport" | "dport" => {
                let op = match self.peek().and_then(op_of) {
                    Some(op) => {
                        self.pos += 1;
                        op
                    }
                    None => Op::Eq,
                };
                let opword = self
                    .words
                    .get(self.pos - 1)
                    .map(String::as_str)
                    .unwrap_or("");
                let ctx = if op == Op::Eq && op_of(opword).is_none() {
                    w.clone()
                } else {
                    format!("{} {opword}", shown(&w))
                };
                let Some(p) = self.next().map(str::to_owned) else {
                    return err(format!("expected a port after '{ctx}', found the end"));
                };
                let port = self.port(&p, &ctx)?;
                let src = w == "sport";
                let Some(port) = port else {
                    // '*': any port.
                    let c = HostCond::any_port(None);
                    let e = if src { Expr::Src(c) } else { Expr::Dst(c) };
                    return Ok(if op == Op::Ne {
                        Expr::Not(Box::new(e))
                    } else {
                        e
                    });
                };
                let ge = |p| {
                    if src {
                        Expr::SportGe(p)
                    } else {
                        Expr::DportGe(p)
                    }
                };
                let le = |p| {
                    if src {
                        Expr::SportLe(p)
                    } else {
                        Expr::DportLe(p)
                    }
                };
                let eq = |p| {
                    let c = HostCond::any_port(Some(p));
                    if src { Expr::Src(c) } else { Expr::Dst(c) }
                };
                Ok(match op {
                    Op::Eq => eq(port),
                    Op::Ne => Expr::Not(Box::new(eq(port))),
                    Op::Ge => ge(port),
                    Op::Le => le(port),
                    Op::Gt => Expr::Not(Box::new(le(port))),
                    Op::Lt => Expr::Not(Box::new(ge(port))),
                })
            }
            "dev" | "fwmark" | "cgroup" => {
                let neg = match self.peek() {
                    Some("=" | "==" | "eq") => {
                        self.pos += 1;
                        false
                    }
                    Some("!=" | "ne" | "neq") => {
                        self.pos += 1;
                        true
                    }
                    _ => false,
                };
                let Some(v) = self.next().map(str::to_owned) else {
                    return err(format!(
                        "expected a value after '{}', found the end",
                        shown(&w)
                    ));
                };
                let e = match w.as_str() {
                    "dev" => Expr::Dev(self.dev(&v)?),
                    "fwmark" => parse_mark(&v)?,
                    _ => match self.resolver.cgroup(&v) {
                        Some(id) => Expr::Cgroup(id),
                        None => {
                            return err(format!(
                                "cgroup: no cgroup '{}' under /sys/fs/cgroup",
                                shown(v)
                            ));
                        }
                    },
                };
                Ok(if neg { Expr::Not(Box::new(e)) } else { e })
            }
            "autobound" => Ok(Expr::Autobound),
            other => err(format!(
                "expected src, dst, sport, dport, dev, fwmark, cgroup, autobound, 'not' or '(', found '{}'",
                shown(other)
            )),
        }
    }

    fn dev(&self, v: &str) -> Result<u32, FilterError> {
        if let Some(i) = self.resolver.ifindex(v) {
            return Ok(i);
        }
        match v.parse::<u32>() {
            Ok(i) if i > 0 => Ok(i),
            _ => err(format!("dev: no interface '{}'", shown(v))),
        }
    }

    /// A port word: `:22`, `22`, `:ssh`, `ssh`, `*` (any: `None`).
    fn port(&self, w: &str, ctx: &str) -> Result<Option<u16>, FilterError> {
        let p = w.strip_prefix(':').unwrap_or(w);
        if p == "*" {
            return Ok(None);
        }
        if p.is_empty() {
            return err(format!(
                "expected a port after '{ctx}', found '{}'",
                shown(w)
            ));
        }
        if p.bytes().all(|b| b.is_ascii_digit()) {
            return match p.parse::<u16>() {
                Ok(n) => Ok(Some(n)),
                Err(_) => err(format!(
                    "expected a port after '{ctx}', found '{}' (ports are 0-65535)",
                    shown(w)
                )),
            };
        }
        match self.resolver.service(p) {
            Some(n) => Ok(Some(n)),
            None => err(format!(
                "expected a port after '{ctx}', found '{}' (not a number or a known service)",
                shown(w)
            )),
        }
    }

    /// A HOST word, into one condition per address it names.
    fn host(&self, w: &str, ctx: &str) -> Result<Vec<HostCond>, FilterError> {
        let (family, rest) = match w.split_once(':') {
            Some(("inet", r)) => (Some(CondFamily::Inet), r),
            Some(("inet6", r)) => (Some(CondFamily::Inet6), r),
            Some(("unix", r)) => {
                let glob = if r.is_empty() { "*" } else { r };
                return Ok(vec![HostCond {
                    family: CondFamily::Unix,
                    addr: [0; 16],
                    prefix_len: 0,
                    port: None,
                    glob: Some(glob.to_string()),
                }]);
            }
            Some((f @ ("link" | "netlink" | "vsock" | "packet"), _)) => {
                return err(format!(
                    "{ctx}: '{}:' addresses are not supported",
                    shown(f)
                ));
            }
            // A path or an abstract name: a unix address even without
            // `unix:` (as `ss -x src /run/x.sock` reads it).
            _ if w.starts_with('/') || w.starts_with('@') => {
                return Ok(vec![HostCond {
                    family: CondFamily::Unix,
                    addr: [0; 16],
                    prefix_len: 0,
                    port: None,
                    glob: Some(w.to_string()),
                }]);
            }
            _ => (None, w),
        };
        // [v6addr[/prefix]][/prefix][:port]
        let (addr_part, port_part): (&str, Option<&str>) = if let Some(r) = rest.strip_prefix('[') {
            let Some((inner, after)) = r.split_once(']') else {
                return err(format!("expected ']' in '{}'", shown(w)));
            };
            let (prefix_after, port) = match after.split_once(':') {
                Some((pre, port)) => (pre, Some(port)),
                None => (after, None),
            };
            if !prefix_after.is_empty() && !prefix_after.starts_with('/') {
                return err(format!(
                    "expected ':port' after ']' in '{}', found '{}'",
                    shown(w),
                    shown(after)
                ));
            }
            let joined = if prefix_after.is_empty() {
                inner.to_string()
            } else {
                format!("{inner}{prefix_after}")
            };
            return self.addr_conds(&joined, port, family, w, ctx);
        } else if rest.matches(':').count() >= 2 {
            (rest, None)
        } else {
            match rest.rsplit_once(':') {
                Some((a, p)) => (a, Some(p)),
                None => (rest, None),
            }
        };
        self.addr_conds(addr_part, port_part, family, w, ctx)
    }

    fn addr_conds(
        &self,
        addr: &str,
        port: Option<&str>,
        family: Option<CondFamily>,
        word: &str,
        ctx: &str,
    ) -> Result<Vec<HostCond>, FilterError> {
        let port = match port {
            None => None,
            Some(p) => self.port(p, &format!("{ctx} {}", shown(word)))?,
        };
        if addr.is_empty() || addr == "*" {
            let mut c = family_only(family);
            c.port = port;
            return Ok(vec![c]);
        }
        let (a, prefix) = match addr.split_once('/') {
            Some((a, p)) => {
                let n: u8 = p.parse().map_err(|_| FilterError {
                    message: format!("bad prefix length '/{}' in '{}'", shown(p), shown(word)),
                })?;
                (a, Some(n))
            }
            None => (addr, None),
        };
        let ips: Vec<IpAddr> = match a.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => {
                if prefix.is_some() {
                    return err(format!(
                        "expected an address before the prefix in '{}', found '{}'",
                        shown(word),
                        shown(a)
                    ));
                }
                let v = self.resolver.host(a);
                if v.is_empty() {
                    return err(format!("{ctx}: cannot resolve host '{}'", shown(a)));
                }
                v
            }
        };
        let mut out = Vec::new();
        for ip in ips {
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let len = prefix.unwrap_or(max);
            if len > max {
                return err(format!(
                    "bad prefix length '/{len}' in '{}' (at most {max})",
                    shown(word)
                ));
            }
            let c = HostCond::ip(ip, len, port);
            if family.is_some_and(|f| f != c.family) {
                continue;
            }
            out.push(c);
        }
        if out.is_empty() {
            return err(format!(
                "{ctx}: '{}' has no address of the requested family",
                shown(word)
            ));
        }
        Ok(out)
    }
}

pub(super) fn family_only(family: Option<CondFamily>) -> HostCond {
    let mut c = HostCond::any_port(None);
    c.family = family.unwrap_or(CondFamily::Any);
    c
}

pub(super) fn parse_u32(s: &str) -> Option<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

pub(super) fn parse_mark(v: &str) -> Result<Expr, FilterError> {
    let (m, mask) = match v.split_once('/') {
        Some((m, k)) => (m, Some(k)),
        None => (v, None),
    };
    let mark = parse_u32(m).ok_or_else(|| FilterError {
        message: format!("fwmark: expected MARK[/MASK], found '{}'", shown(v)),
    })?;
    let mask = match mask {
        Some(k) => parse_u32(k).ok_or_else(|| FilterError {
            message: format!("fwmark: bad mask in '{}'", shown(v)),
        })?,
        None => u32::MAX,
    };
    Ok(Expr::Mark { mark, mask })
}

/// Parses filter words with a resolver.
pub fn parse_with(
    words: &[String],
    resolver: &(impl Resolver + ?Sized),
) -> Result<Option<Expr>, FilterError> {
    if words.is_empty() {
        return Ok(None);
    }
    if words.len() > MAX_WORDS {
        return err(format!(
            "too long: {} words (at most {MAX_WORDS})",
            words.len()
        ));
    }
    let mut p = Parser {
        words,
        pos: 0,
        resolver,
        depth: 0,
    };
    let e = p.expr()?;
    if let Some(w) = p.peek() {
        if w == ")" {
            return err("unexpected ')' (unbalanced parentheses)");
        }
        return err(format!(
            "unexpected '{}' after a complete expression",
            shown(w)
        ));
    }
    Ok(Some(e))
}
