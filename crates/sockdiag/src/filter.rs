//! `ss`'s filter language: parsed into a typed [`Expr`], compiled to
//! `INET_DIAG_REQ_BYTECODE` for the kernel, or evaluated in user space.
//!
//! ```
//! use sockdiag::filter::Filter;
//! let f = Filter::parse_str("dport = :443 and ( dst 10.0.0.0/8 or dst [fe80::]/10 )").unwrap();
//! assert!(f.bytecode().is_some());
//! ```
//!
//! Grammar (words as `ss` splits them: on spaces and tabs, `\` escapes):
//!
//! ```text
//! expr    := and ( ('|' | '||' | 'or') and )*
//! and     := unary ( ('&' | '&&' | 'and')? unary )*
//! unary   := ('!' | 'not') unary | '(' expr ')' | pred
//! pred    := ('src' | 'dst') ['=' | '==' | 'eq'] HOST
//!          | ('sport' | 'dport') OP PORT
//!          | 'dev' ('=' | '!=') IFACE | 'fwmark' ('=' | '!=') MARK[/MASK]
//!          | 'cgroup' ('=' | '!=') PATH | 'autobound'
//! OP      := '=' '==' 'eq' | '!=' 'ne' 'neq' | '>=' 'ge' 'geq' | '<=' 'le' 'leq' | '>' 'gt' | '<' 'lt' | nothing (=)
//! ```
//!
//! `and` binds tighter than `or`, as `ss`'s manual documents. (iproute2's
//! yacc grammar in fact gives `and` and `or` the same precedence and
//! evaluates left to right; `a or b and c` is `a or (b and c)` here and
//! `(a or b) and c` there. Use parentheses to be portable.)
//!
//! The compiler follows the kernel's bytecode model (`inet_diag_bc_run`):
//! a program accepts a socket when execution runs exactly off its end; a
//! failed test jumps to four bytes past the end. Every program is checked
//! by [`audit`], a port of the kernel's `inet_diag_bc_audit`, before it is
//! returned, so the kernel never sees a bad jump.
#![deny(unsafe_code)]

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};

use crate::consts::*;
use crate::model::{Endpoint, Family, Socket, UnixName, UnixNameRef};

/// A parse error: the word at fault and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    /// Human-readable message naming the word and what was expected.
    pub message: String,
}

fn err<T>(message: impl Into<String>) -> Result<T, FilterError> {
    Err(FilterError {
        message: message.into(),
    })
}

/// The family a host condition is restricted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CondFamily {
    /// Any family (`*`, port-only conditions).
    Any,
    /// IPv4.
    Inet,
    /// IPv6.
    Inet6,
    /// Unix sockets (`unix:GLOB`).
    Unix,
}

/// A `src`/`dst` (or port equality) condition: `inet_diag_hostcond`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostCond {
    /// Family the address belongs to.
    pub family: CondFamily,
    /// Address bytes (network order; 4 used for IPv4).
    pub addr: [u8; 16],
    /// Prefix length in bits; 0 matches every address.
    pub prefix_len: u8,
    /// Port, when one was given.
    pub port: Option<u16>,
    /// Unix path glob (`unix:` conditions only).
    pub glob: Option<String>,
}

impl HostCond {
    fn any_port(port: Option<u16>) -> HostCond {
        HostCond {
            family: CondFamily::Any,
            addr: [0; 16],
            prefix_len: 0,
            port,
            glob: None,
        }
    }

    fn ip(addr: IpAddr, prefix_len: u8, port: Option<u16>) -> HostCond {
        let (family, bytes) = match addr {
            IpAddr::V4(a) => {
                let mut b = [0u8; 16];
                b[..4].copy_from_slice(&a.octets());
                (CondFamily::Inet, b)
            }
            IpAddr::V6(a) => (CondFamily::Inet6, a.octets()),
        };
        HostCond {
            family,
            addr: bytes,
            prefix_len,
            port,
            glob: None,
        }
    }
}

/// A filter expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Expr {
    /// Both.
    And(Box<Expr>, Box<Expr>),
    /// Either.
    Or(Box<Expr>, Box<Expr>),
    /// Negation.
    Not(Box<Expr>),
    /// Local address/port condition (`src`, `sport =`).
    Src(HostCond),
    /// Remote address/port condition (`dst`, `dport =`).
    Dst(HostCond),
    /// `sport >= N`.
    SportGe(u16),
    /// `sport <= N`.
    SportLe(u16),
    /// `dport >= N`.
    DportGe(u16),
    /// `dport <= N`.
    DportLe(u16),
    /// `dev = IFACE` (by index; evaluated in user space).
    Dev(u32),
    /// `fwmark = MARK/MASK`.
    Mark {
        /// Value after masking.
        mark: u32,
        /// Mask.
        mask: u32,
    },
    /// `cgroup = PATH` (cgroup v2 id).
    Cgroup(u64),
    /// `autobound`: the local port was chosen by the kernel.
    Autobound,
}

impl Expr {
    /// True when the kernel can run this expression (no `dev`, no unix globs).
    pub fn kernel_compatible(&self) -> bool {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => a.kernel_compatible() && b.kernel_compatible(),
            Expr::Not(a) => a.kernel_compatible(),
            Expr::Src(c) | Expr::Dst(c) => c.family != CondFamily::Unix,
            Expr::Dev(_) => false,
            _ => true,
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn cond(f: &mut fmt::Formatter<'_>, c: &HostCond) -> fmt::Result {
            match c.family {
                CondFamily::Any => f.write_str("*")?,
                CondFamily::Unix => write!(f, "unix:{}", c.glob.as_deref().unwrap_or("*"))?,
                CondFamily::Inet => write!(
                    f,
                    "{}/{}",
                    Ipv4Addr::new(c.addr[0], c.addr[1], c.addr[2], c.addr[3]),
                    c.prefix_len
                )?,
                CondFamily::Inet6 => write!(f, "[{}]/{}", Ipv6Addr::from(c.addr), c.prefix_len)?,
            }
            match c.port {
                Some(p) => write!(f, ":{p}"),
                None => Ok(()),
            }
        }
        match self {
            Expr::And(a, b) => write!(f, "( {a} and {b} )"),
            Expr::Or(a, b) => write!(f, "( {a} or {b} )"),
            Expr::Not(a) => write!(f, "not {a}"),
            Expr::Src(c) => {
                f.write_str("src ")?;
                cond(f, c)
            }
            Expr::Dst(c) => {
                f.write_str("dst ")?;
                cond(f, c)
            }
            Expr::SportGe(p) => write!(f, "sport >= :{p}"),
            Expr::SportLe(p) => write!(f, "sport <= :{p}"),
            Expr::DportGe(p) => write!(f, "dport >= :{p}"),
            Expr::DportLe(p) => write!(f, "dport <= :{p}"),
            Expr::Dev(i) => write!(f, "dev = {i}"),
            Expr::Mark { mark, mask } => write!(f, "fwmark = {mark:#x}/{mask:#x}"),
            Expr::Cgroup(id) => write!(f, "cgroup = id:{id}"),
            Expr::Autobound => f.write_str("autobound"),
        }
    }
}

// ---------------------------------------------------------------- lexing

/// Splits filter text into words as `ss` does: on spaces and tabs, with `\`
/// escaping the next character.
pub fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Reads a `-F` filter file: lines starting with `#` are comments.
pub fn words_from_file_text(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(split_words)
        .collect()
}

// ---------------------------------------------------------------- parsing

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
        let text = std::fs::read_to_string("/etc/services").ok()?;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut f = line.split_whitespace();
            let (Some(svc), Some(pp)) = (f.next(), f.next()) else {
                continue;
            };
            let Some((port, proto)) = pp.split_once('/') else {
                continue;
            };
            if proto != "tcp" {
                continue;
            }
            if svc == name || f.any(|alias| alias == name) {
                return port.parse().ok();
            }
        }
        None
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
        use std::os::unix::fs::MetadataExt;
        let rel = path.trim_start_matches('/');
        std::fs::metadata(std::path::Path::new("/sys/fs/cgroup").join(rel))
            .ok()
            .map(|m| m.ino())
    }
}

struct Parser<'a, R: Resolver + ?Sized> {
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
enum Op {
    Eq,
    Ne,
    Ge,
    Le,
    Gt,
    Lt,
}

fn op_of(w: &str) -> Option<Op> {
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

fn is_or(w: &str) -> bool {
    matches!(w, "|" | "||" | "or")
}

fn is_and(w: &str) -> bool {
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
                    Some(other) => err(format!("expected ')', found '{other}'")),
                    None => err("expected ')', found the end (unbalanced parentheses)"),
                }
            }
            ")" => err("unexpected ')' (unbalanced parentheses)"),
            "src" | "dst" => {
                if self.peek().is_some_and(|w| matches!(w, "=" | "==" | "eq")) {
                    self.pos += 1;
                }
                let Some(h) = self.next().map(str::to_owned) else {
                    return err(format!("expected an address after '{w}', found the end"));
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
                    format!("{w} {opword}")
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
                    return err(format!("expected a value after '{w}', found the end"));
                };
                let e = match w.as_str() {
                    "dev" => Expr::Dev(self.dev(&v)?),
                    "fwmark" => parse_mark(&v)?,
                    _ => match self.resolver.cgroup(&v) {
                        Some(id) => Expr::Cgroup(id),
                        None => {
                            return err(format!("cgroup: no cgroup '{v}' under /sys/fs/cgroup"));
                        }
                    },
                };
                Ok(if neg { Expr::Not(Box::new(e)) } else { e })
            }
            "autobound" => Ok(Expr::Autobound),
            other => err(format!(
                "expected src, dst, sport, dport, dev, fwmark, cgroup, autobound, 'not' or '(', found '{other}'"
            )),
        }
    }

    fn dev(&self, v: &str) -> Result<u32, FilterError> {
        if let Some(i) = self.resolver.ifindex(v) {
            return Ok(i);
        }
        match v.parse::<u32>() {
            Ok(i) if i > 0 => Ok(i),
            _ => err(format!("dev: no interface '{v}'")),
        }
    }

    /// A port word: `:22`, `22`, `:ssh`, `ssh`, `*` (any: `None`).
    fn port(&self, w: &str, ctx: &str) -> Result<Option<u16>, FilterError> {
        let p = w.strip_prefix(':').unwrap_or(w);
        if p == "*" {
            return Ok(None);
        }
        if p.is_empty() {
            return err(format!("expected a port after '{ctx}', found '{w}'"));
        }
        if p.bytes().all(|b| b.is_ascii_digit()) {
            return match p.parse::<u16>() {
                Ok(n) => Ok(Some(n)),
                Err(_) => err(format!(
                    "expected a port after '{ctx}', found '{w}' (ports are 0-65535)"
                )),
            };
        }
        match self.resolver.service(p) {
            Some(n) => Ok(Some(n)),
            None => err(format!(
                "expected a port after '{ctx}', found '{w}' (not a number or a known service)"
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
                return err(format!("{ctx}: '{f}:' addresses are not supported"));
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
        if rest == "*" || rest.is_empty() {
            return Ok(vec![family_only(family)]);
        }
        // [v6addr[/prefix]][/prefix][:port]
        let (addr_part, port_part): (&str, Option<&str>) = if let Some(r) = rest.strip_prefix('[') {
            let Some((inner, after)) = r.split_once(']') else {
                return err(format!("expected ']' in '{w}'"));
            };
            let (prefix_after, port) = match after.split_once(':') {
                Some((pre, port)) => (pre, Some(port)),
                None => (after, None),
            };
            if !prefix_after.is_empty() && !prefix_after.starts_with('/') {
                return err(format!(
                    "expected ':port' after ']' in '{w}', found '{after}'"
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
            Some(p) => self.port(p, &format!("{ctx} {word}"))?,
        };
        if addr.is_empty() || addr == "*" {
            let mut c = family_only(family);
            c.port = port;
            return Ok(vec![c]);
        }
        let (a, prefix) = match addr.split_once('/') {
            Some((a, p)) => {
                let n: u8 = p.parse().map_err(|_| FilterError {
                    message: format!("bad prefix length '/{p}' in '{word}'"),
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
                        "expected an address before the prefix in '{word}', found '{a}'"
                    ));
                }
                let v = self.resolver.host(a);
                if v.is_empty() {
                    return err(format!("{ctx}: cannot resolve host '{a}'"));
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
                    "bad prefix length '/{len}' in '{word}' (at most {max})"
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
                "{ctx}: '{word}' has no address of the requested family"
            ));
        }
        Ok(out)
    }
}

fn family_only(family: Option<CondFamily>) -> HostCond {
    let mut c = HostCond::any_port(None);
    c.family = family.unwrap_or(CondFamily::Any);
    c
}

fn parse_u32(s: &str) -> Option<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn parse_mark(v: &str) -> Result<Expr, FilterError> {
    let (m, mask) = match v.split_once('/') {
        Some((m, k)) => (m, Some(k)),
        None => (v, None),
    };
    let mark = parse_u32(m).ok_or_else(|| FilterError {
        message: format!("fwmark: expected MARK[/MASK], found '{v}'"),
    })?;
    let mask = match mask {
        Some(k) => parse_u32(k).ok_or_else(|| FilterError {
            message: format!("fwmark: bad mask in '{v}'"),
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
        return err(format!("unexpected '{w}' after a complete expression"));
    }
    Ok(Some(e))
}

// ---------------------------------------------------------------- compiling

fn op(code: u8, yes: usize, no: usize) -> [u8; 4] {
    let no = no as u16;
    [code, yes as u8, no.to_ne_bytes()[0], no.to_ne_bytes()[1]]
}

fn hostcond_bytes(code: u8, c: &HostCond) -> Vec<u8> {
    let (fam, alen) = match c.family {
        CondFamily::Inet if c.prefix_len > 0 => (AF_INET, 4),
        CondFamily::Inet6 if c.prefix_len > 0 => (AF_INET6, 16),
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
fn v4_mapped_prefix() -> HostCond {
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
fn compile(e: &Expr, ctx: &FilterContext) -> Option<Vec<u8>> {
    compile_in(e, false, ctx)
}

/// `negated`: whether `e` sits under an odd number of `not`s, for the one
/// predicate whose program depends on it (`autobound`).
fn compile_in(e: &Expr, negated: bool, ctx: &FilterContext) -> Option<Vec<u8>> {
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
fn patch(prog: &mut [u8], reloc: usize) {
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

// ---------------------------------------------------------------- evaluating

/// What the evaluator needs to know about a socket.
struct View<'a> {
    family: Option<CondFamily>,
    local: [u8; 16],
    remote: [u8; 16],
    lport: u64,
    rport: u64,
    lname: Option<&'a UnixName>,
    s: &'a Socket,
}

fn view(s: &Socket) -> View<'_> {
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
fn bits_match(a: &[u8], b: &[u8], bits: usize) -> bool {
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

fn unix_name_text(n: &UnixName) -> String {
    n.to_string()
}

/// One element of a glob: `*`, or something that matches exactly one char.
enum GlobTok {
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

fn glob_tokens(p: &[char]) -> Vec<GlobTok> {
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

/// What a filter needs to know about the network namespace it runs in,
/// read once per filter or dump instead of once per socket.
///
/// ```
/// use sockdiag::filter::FilterContext;
/// let ctx = FilterContext::new((40000, 40001));
/// assert_eq!(ctx.local_port_range(), (40000, 40001));
/// assert_eq!(FilterContext::default().local_port_range(), (32768, 60999));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FilterContext {
    local_port_range: (u16, u16),
}

impl Default for FilterContext {
    /// The kernel's default `ip_local_port_range`, 32768-60999.
    fn default() -> FilterContext {
        FilterContext::new((32768, 60999))
    }
}

impl FilterContext {
    /// A context with this `ip_local_port_range` (inclusive bounds).
    pub fn new(local_port_range: (u16, u16)) -> FilterContext {
        FilterContext { local_port_range }
    }

    /// Reads `/proc/sys/net/ipv4/ip_local_port_range` of the calling
    /// thread's network namespace; the kernel default when unreadable.
    pub fn current() -> FilterContext {
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .ok()
            .and_then(|t| FilterContext::parse_port_range(&t))
            .unwrap_or_default()
    }

    /// Parses the text of `ip_local_port_range` ("32768\t60999\n").
    ///
    /// ```
    /// use sockdiag::filter::FilterContext;
    /// let ctx = FilterContext::parse_port_range("1024\t2048\n").unwrap();
    /// assert_eq!(ctx.local_port_range(), (1024, 2048));
    /// assert!(FilterContext::parse_port_range("nonsense").is_none());
    /// ```
    pub fn parse_port_range(text: &str) -> Option<FilterContext> {
        let mut it = text.split_whitespace().map(|w| w.parse::<u16>().ok());
        Some(FilterContext::new((it.next()??, it.next()??)))
    }

    /// The local port range: ports the kernel picks for `autobound` sockets.
    pub fn local_port_range(&self) -> (u16, u16) {
        self.local_port_range
    }

    fn range(&self) -> (u64, u64) {
        (
            self.local_port_range.0 as u64,
            self.local_port_range.1 as u64,
        )
    }
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
    /// let words = sockdiag::filter::split_words("sport = :22");
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

fn cond(c: &HostCond, v: &View<'_>, local: bool) -> bool {
    cond_as(c, v, local, false)
}

/// `kernel`: the kernel's rule for IPv4 conditions on IPv4-mapped IPv6
/// sockets (any prefix, `inet:*` included) instead of ss's (address bits only).
fn cond_as(c: &HostCond, v: &View<'_>, local: bool, kernel: bool) -> bool {
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

// ---------------------------------------------------------------- the filter

/// A parsed filter with its kernel program, ready to attach to a query.
///
/// ```
/// use sockdiag::filter::{Filter, FilterContext};
/// let f = Filter::parse_str("sport = :22")?;
/// assert!(f.bytecode().is_some());
/// let s = sockdiag::Socket::new(sockdiag::Table::Tcp, sockdiag::Family::Inet, sockdiag::State::Listen);
/// assert!(!f.matches(&s));
/// // The same expression judged in another namespace's context:
/// let g = f.with_context(FilterContext::new((1000, 2000)))?;
/// assert_eq!(g.context().local_port_range(), (1000, 2000));
/// # Ok::<(), sockdiag::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Filter {
    expr: Expr,
    ctx: FilterContext,
    bytecode: Option<Vec<u8>>,
}

impl Filter {
    /// Builds a filter from an expression, compiling it when the kernel can
    /// run it, in the context of the calling thread's namespace (read only
    /// when the expression needs one, see [`Expr::needs_context`]).
    ///
    /// A program the kernel would refuse ([`audit`] fails, for example a
    /// prefix longer than its address, or a program longer than 64 KiB) is
    /// an error, not a silent fallback.
    pub fn new(expr: Expr) -> Result<Filter, FilterError> {
        let ctx = if expr.needs_context() {
            FilterContext::current()
        } else {
            FilterContext::default()
        };
        Filter::in_context(expr, ctx)
    }

    /// Builds a filter judged in `ctx` (see [`Filter::new`]).
    pub fn in_context(expr: Expr, ctx: FilterContext) -> Result<Filter, FilterError> {
        let bytecode = if expr.kernel_compatible() {
            compile(&expr, &ctx)
        } else {
            None
        };
        if let Some(b) = &bytecode {
            if b.len() > u16::MAX as usize {
                return err(format!(
                    "filter too large for the kernel ({} bytes of bytecode, at most {})",
                    b.len(),
                    u16::MAX
                ));
            }
            if let Err(e) = audit(b) {
                return err(format!("filter rejected: {e}"));
            }
        }
        Ok(Filter {
            expr,
            ctx,
            bytecode,
        })
    }

    /// The same expression in another context (recompiled).
    pub fn with_context(&self, ctx: FilterContext) -> Result<Filter, FilterError> {
        Filter::in_context(self.expr.clone(), ctx)
    }

    /// Parses filter words (`ss`'s arguments after the options) with the
    /// system resolver; `Ok(None)` for no words.
    pub fn parse(words: &[String]) -> Result<Option<Filter>, FilterError> {
        parse_with(words, &SystemResolver)?
            .map(Filter::new)
            .transpose()
    }

    /// Parses a filter written as one string.
    pub fn parse_str(text: &str) -> Result<Filter, FilterError> {
        match Filter::parse(&split_words(text))? {
            Some(f) => Ok(f),
            None => err("empty filter"),
        }
    }

    /// The expression.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// The context the filter is judged in.
    pub fn context(&self) -> &FilterContext {
        &self.ctx
    }

    /// The kernel program, when the whole expression compiles.
    pub fn bytecode(&self) -> Option<&[u8]> {
        self.bytecode.as_deref()
    }

    /// Evaluates in user space, in the filter's context. Pure: no I/O.
    pub fn matches(&self, s: &Socket) -> bool {
        self.expr.matches(s, &self.ctx)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{State, Table};

    struct Fake;
    impl Resolver for Fake {
        fn service(&self, name: &str) -> Option<u16> {
            match name {
                "ssh" => Some(22),
                "https" => Some(443),
                _ => None,
            }
        }
        fn ifindex(&self, name: &str) -> Option<u32> {
            (name == "lo").then_some(1)
        }
        fn host(&self, name: &str) -> Vec<IpAddr> {
            if name == "dual.test" {
                vec!["10.1.2.3".parse().unwrap(), "fd00::7".parse().unwrap()]
            } else {
                vec![]
            }
        }
        fn cgroup(&self, path: &str) -> Option<u64> {
            (path == "/user.slice").then_some(77)
        }
    }

    fn parse(s: &str) -> Result<Option<Expr>, FilterError> {
        parse_with(&split_words(s), &Fake)
    }

    fn tcp(l: &str, r: &str) -> Socket {
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

    #[test]
    fn globs_with_many_stars_are_fast() {
        // Found by the filter fuzzer: exponential before.
        let pat = format!("@{}12", "*".repeat(40));
        let s = format!("@{}", "x".repeat(200));
        let t = std::time::Instant::now();
        assert!(!glob_match(&pat, &s));
        assert!(glob_match(&pat, &format!("{s}12")));
        assert!(t.elapsed() < std::time::Duration::from_secs(1));
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
}
