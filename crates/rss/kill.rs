//! `-K` made safe: which filters are narrow enough to close sockets with,
//! and the `CAP_NET_ADMIN` check done before anything is attempted.
//!
//! `ss -K` with no filter, or with only `state` words, closes every
//! connection of the host, the user's own SSH session included. rss refuses
//! that unless `--kill-all` says it is meant. This module only decides; it
//! never closes anything.

use sockdiag::filter::Expr;

use crate::args::Config;

/// True when `e` selects sockets by address, port, device, mark or cgroup,
/// so that it cannot match every connection of the host.
///
/// `and` narrows when either side does, `or` when both do. `not` never
/// counts: `not dport = :22` still matches almost everything. A wildcard
/// (`src *`, `sport >= :0`, a zero mask) does not narrow.
pub fn narrows(e: &Expr) -> bool {
    match e {
        Expr::And(a, b) => narrows(a) || narrows(b),
        Expr::Or(a, b) => narrows(a) && narrows(b),
        Expr::Not(_) => false,
        Expr::Src(h) | Expr::Dst(h) => h.prefix_len > 0 || h.port.is_some() || h.glob.is_some(),
        Expr::SportGe(p) | Expr::DportGe(p) => *p > 0,
        Expr::SportLe(p) | Expr::DportLe(p) => *p < u16::MAX,
        Expr::Dev(_) | Expr::Cgroup(_) => true,
        Expr::Mark { mask, .. } => *mask != 0,
        Expr::Autobound => false,
        _ => false,
    }
}

/// Why `-K` must not run with this configuration, as the message to print
/// (without the `rss: ` prefix); `None` when it may.
pub fn refusal(config: &Config) -> Option<String> {
    if config.args.kill_all {
        return None;
    }
    if config.filter_expr.as_ref().is_some_and(narrows) {
        return None;
    }
    Some(
        "-K: refusing to close sockets selected by no address, port, device, mark or cgroup \
         (this would include your own SSH session); narrow the filter (e.g. dport = :8080) \
         or add --kill-all"
            .into(),
    )
}

/// Whether this process holds `CAP_NET_ADMIN` in its effective set, from
/// `CapEff` in `/proc/self/status`. `None` when that cannot be read (then
/// the kernel's own answer decides).
pub fn has_net_admin() -> Option<bool> {
    sockdiag::host::has_capability(sockdiag::host::CAP_NET_ADMIN)
}

/// The message for `-K` without `CAP_NET_ADMIN`.
pub const NO_CAP: &str =
    "-K: permission denied: closing sockets needs CAP_NET_ADMIN (run as root); nothing was closed";

#[cfg(test)]
mod tests {
    use super::*;
    use sockdiag::filter::Filter;

    fn words(s: &str) -> Expr {
        Filter::parse_str(s).unwrap().expr().clone()
    }

    #[test]
    fn narrow_filters() {
        for f in [
            "dport = :8080",
            "sport = :22",
            "dst 10.0.0.1",
            "src 127.0.0.0/8",
            "dport >= :1024",
            "dev = lo",
            "fwmark = 0x1",
            "autobound and dport = :80",
            "( dport = :80 or sport = :80 )",
            "dst 10.0.0.0/8 and not dport = :22",
        ] {
            assert!(narrows(&words(f)), "{f}");
        }
    }

    #[test]
    fn wide_filters() {
        for f in [
            "not dport = :22",
            "autobound",
            "src *",
            "dst *",
            "dport >= :0",
            "sport <= :65535",
            "dport = :80 or autobound",
            "fwmark = 0/0",
        ] {
            assert!(!narrows(&words(f)), "{f}");
        }
    }
}
