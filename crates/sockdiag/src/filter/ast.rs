//! The parsed form of a filter: [`Expr`], its host conditions and errors.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A parse error: the word at fault and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct FilterError {
    /// Human-readable message naming the word and what was expected.
    pub message: String,
}

pub(super) fn err<T>(message: impl Into<String>) -> Result<T, FilterError> {
    Err(FilterError {
        message: message.into(),
    })
}

/// The family a host condition is restricted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
///
/// Made by the parser, or by [`HostCond::ip`] and [`HostCond::any_port`];
/// the fields are read directly (more may come).
///
/// ```
/// use sockdiag::filter::{CondFamily, Expr, Filter, HostCond};
/// let net = HostCond::ip("10.0.0.0".parse().unwrap(), 8, None);
/// assert_eq!(net.family, CondFamily::Inet);
/// let f = Filter::new(Expr::Dst(net))?;
/// assert_eq!(f, Filter::parse_str("dst 10.0.0.0/8")?);
/// // A prefix longer than the address is refused, not run.
/// assert!(Filter::new(Expr::Dst(HostCond::ip("10.0.0.0".parse().unwrap(), 40, None))).is_err());
/// assert_eq!(HostCond::any_port(Some(22)).port, Some(22));
/// # Ok::<(), sockdiag::filter::FilterError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
    /// Any address of any family, with `port` when given (`*:PORT`).
    pub fn any_port(port: Option<u16>) -> HostCond {
        HostCond {
            family: CondFamily::Any,
            addr: [0; 16],
            prefix_len: 0,
            port,
            glob: None,
        }
    }

    /// `addr/prefix_len`, with `port` when given. A prefix longer than
    /// the address (33 and up for IPv4) is kept as given and refused by
    /// [`Filter::new`](super::Filter::new), as the kernel would.
    pub fn ip(addr: IpAddr, prefix_len: u8, port: Option<u16>) -> HostCond {
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
