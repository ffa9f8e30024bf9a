//! `-K` made safe: which filters are narrow enough to close sockets with,
//! and the `CAP_NET_ADMIN` check done before anything is attempted.
//!
//! `ss -K` with no filter, or with only `state` words, closes every
//! connection of the host, the user's own SSH session included. rss refuses
//! that, and any filter that covers at least half of the socket space
//! ([`cover`]: judged on what the filter accepts, never on the sockets open
//! now), unless `--kill-all` says it is meant. This module only decides; it
//! never closes anything.

pub mod cover;

use sockdiag::States;
use sockdiag::filter::Expr;

use crate::args::Config;

/// The states of the sockets with no peer that `SOCK_DESTROY` can close: a
/// listener, an unconnected or closed socket. (A bound-inactive TCP socket,
/// in ss's default states, has no peer either, but the kernel's lookup by
/// id never finds one: `-K` cannot close it.)
const PEERLESS: States = States::LISTEN.union(States::CLOSE);

/// True when `e`, with `states` selected, covers less than half of the
/// socket space ([`cover::is_broad`]).
pub fn narrows(e: &Expr, states: States) -> bool {
    !cover::is_broad(e, states.intersects(PEERLESS))
}

/// Why `-K` must not run with this configuration, as the message to print
/// (without the `rss: ` prefix); `None` when it may.
pub fn refusal(config: &Config) -> Option<String> {
    if config.args.actions.kill_all {
        return None;
    }
    const HOW: &str = "narrow it (e.g. dport = :8080), preview with --dry-run, or add --kill-all";
    let Some(e) = config.filter_expr.as_ref() else {
        return Some(format!(
            "-K: refusing to close every selected socket: no filter narrows the selection \
             (states alone do not; this would include your own SSH session); {HOW}"
        ));
    };
    let peerless = config.states.intersects(PEERLESS);
    if !cover::is_broad(e, peerless) {
        return None;
    }
    let share = cover::coverage(e, peerless);
    Some(format!(
        "-K: refusing a broad filter: it covers up to {} of the {} it could select \
         (at least half is broad; judged on ports, addresses, marks, devices and cgroups, \
         not on the sockets open now); {HOW}",
        percent(share),
        if peerless { "sockets" } else { "connections" },
    ))
}

/// `share` (0 to 1) as a percentage, rounded down to a tenth, so that
/// 99.99% never reads as 100%.
fn percent(share: f64) -> String {
    let tenths = (share * 1000.0).floor() / 10.0;
    format!("{tenths:.1}%")
}

/// Whether this process holds `CAP_NET_ADMIN` in its effective set, from
/// `CapEff` in `/proc/thread-self/status`. `None` when that cannot be read (then
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

    /// The states of a plain `-tK`: connections only.
    const CONNECTED: States = States::DEFAULT;

    /// Filters the issue found closing every connection, and their kin:
    /// each covers at least half of the space.
    #[test]
    fn broad_filters() {
        for f in [
            "sport >= :1",
            "dport >= :1",
            "sport <= :65534",
            "sport > :0",
            "dport > :0",
            "fwmark = 0/0xffffffff",
            "fwmark = 0/0x1",
            "not fwmark = 0x1",
            "not fwmark = 0/0xffffffff",
            "src 0.0.0.0/1 or src 128.0.0.0/1",
            "dst 0.0.0.0/1 or dst 128.0.0.0/1",
            "src ::/1 or src 8000::/1",
            "dst ::/1 or dst 8000::/1",
            "src 0.0.0.0/0",
            "src ::/0",
            "dport = :1 or sport >= :1",
            "sport >= :1 and not dport = :1",
            "not dport = :1",
            "not dport = :22",
            "not dev = lo",
            "autobound",
            "not autobound",
            "src *",
            "dst *",
            "sport = :*",
            "dport >= :0",
            "sport <= :65535",
            "dport = :80 or autobound",
            "fwmark = 0/0",
            "sport >= :32768",
            "dport >= :1024",
            "sport >= :30000 and sport <= :62000",
            "dport = :443 or not dport = :443",
            "not ( dport = :443 and sport = :40000 )",
            "( sport >= :1 and dport >= :1 ) and not ( dst 10.0.0.0/8 and src 10.0.0.0/8 )",
            // Sides on the same dimensions are not independent: each is a
            // quarter of IPv4, together half (a product would say 44%).
            "( sport >= :1 and dst 0.0.0.0/2 ) or ( sport >= :1 and dst 64.0.0.0/2 )",
            // The same half twice is still half (a product would say 25%).
            "( sport >= :1 and dst 0.0.0.0/1 ) and ( sport >= :1 and dst 0.0.0.0/1 )",
        ] {
            let e = words(f);
            assert!(
                !narrows(&e, CONNECTED),
                "{f}: covers {}",
                cover::coverage(&e, false)
            );
        }
    }

    #[test]
    fn narrow_filters() {
        for f in [
            "dport = :443",
            "dport = :8080",
            "sport = :22",
            "dst 10.0.0.5",
            "dst 10.0.0.1",
            "src 127.0.0.0/8",
            "src 10.1.0.0/16 and dport = :5432",
            "dst 2001:db8::/32",
            "dev = lo",
            "fwmark = 0x1",
            "fwmark = 0x1/0x3",
            "autobound and dport = :80",
            "( dport = :80 or sport = :80 )",
            "dst 10.0.0.0/8 and not dport = :22",
            "sport >= :30000 and sport <= :35000",
            "dport >= :1 and dport <= :1000",
            "dport = :0",
            "dst 0.0.0.0",
            "dport <= :1024",
            "sport >= :40000 and dport >= :40000",
            "src 0.0.0.0/2 or dst 0.0.0.0/2",
        ] {
            let e = words(f);
            assert!(
                narrows(&e, CONNECTED),
                "{f}: covers {}",
                cover::coverage(&e, false)
            );
        }
    }

    /// With listeners or unconnected sockets selected (`-a`, `-l`), a
    /// filter that holds every socket without a peer is broad: it would
    /// close every listener.
    #[test]
    fn peerless_states_widen_what_is_broad() {
        let all = States::ALL;
        for f in [
            "dport = :0",
            "dport <= :1024",
            "dst 0.0.0.0",
            "dst ::",
            "src 0.0.0.0",
            "dst 0.0.0.0/8",
            "sport >= :1",
        ] {
            assert!(!narrows(&words(f), all), "{f}");
        }
        for f in [
            "dport = :443",
            "dst 10.0.0.5",
            "sport = :22",
            "src 10.1.0.0/16",
        ] {
            assert!(narrows(&words(f), all), "{f}");
            assert!(narrows(&words(f), States::LISTEN), "{f}");
        }
        assert!(!narrows(&words("dport = :0"), States::LISTEN));
        assert!(!narrows(&words("dport = :0"), States::CLOSE));
        assert!(narrows(&words("dport = :0"), CONNECTED));
    }

    /// `sport > :0` and `sport >= :1` are the same set of ports and get
    /// the same answer and the same measure.
    #[test]
    fn the_same_set_gets_the_same_answer() {
        for (a, b) in [
            ("sport > :0", "sport >= :1"),
            ("dport < :1024", "dport <= :1023"),
            ("not dport = :22", "dport != :22"),
            ("src 0.0.0.0/1 or src 128.0.0.0/1", "src 0.0.0.0/0"),
        ] {
            assert_eq!(
                cover::coverage(&words(a), false),
                cover::coverage(&words(b), false),
                "{a} / {b}"
            );
        }
    }

    #[test]
    fn measures() {
        let c = |f: &str| cover::coverage(&words(f), false);
        assert_eq!(
            c("sport >= :32768"),
            1.0,
            "the ephemeral ports, all of them"
        );
        assert_eq!(c("dport = :443"), 1.0 / 65536.0);
        assert_eq!(c("src 0.0.0.0/1"), 0.5);
        assert_eq!(c("src 8000::/1"), 0.5);
        assert_eq!(c("src 10.0.0.0/8"), 1.0 / 256.0);
        assert_eq!(c("fwmark = 0x1/0x3"), 0.25);
        assert_eq!(c("sport >= :30000 and sport <= :35000"), 2233.0 / 28232.0);
        // Different dimensions multiply.
        assert_eq!(c("src 0.0.0.0/1 and dst 0.0.0.0/1"), 0.25);
        assert_eq!(c("src 0.0.0.0/1 or dst 0.0.0.0/1"), 0.75);
        assert!(!cover::is_broad(
            &words("src 0.0.0.0/1 and dst 0.0.0.0/1"),
            false
        ));
        assert!(cover::is_broad(
            &words("src 0.0.0.0/1 or dst 0.0.0.0/1"),
            false
        ));
        assert_eq!(c("sport = :1 and sport = :2"), 0.0);
    }

    /// How chains are folded: a whole dimension in an `or` is kept (it
    /// accepts every socket); an `and` inside an `or` is not split into the
    /// `or`'s parts, nor an `or` inside an `and`; conditions on one
    /// dimension fold together from anywhere in their chain.
    #[test]
    fn chains_fold_by_dimension() {
        let c = |f: &str| cover::coverage(&words(f), false);
        assert_eq!(c("dport = :80 or src *"), 1.0);
        assert_eq!(
            c("( src 0.0.0.0/1 and dst 0.0.0.0/1 ) or dport = :1"),
            1.0 - (1.0 - 1.0 / 65536.0) * 0.75
        );
        assert!(cover::is_broad(
            &words("( src 0.0.0.0/1 or dst 0.0.0.0/1 ) and sport >= :1"),
            false
        ));
        assert_eq!(
            c("sport >= :30000 and dport = :1 and sport <= :35000"),
            c("sport >= :30000 and sport <= :35000 and dport = :1")
        );
        assert_eq!(
            c("( src 0.0.0.0/2 or dport = :1 ) or src 64.0.0.0/2"),
            c("src 0.0.0.0/1 or dport = :1")
        );
    }

    /// The conditions measured on their own dimension: a cgroup is one of
    /// 2^64 ids; a mark with bits outside its mask matches no socket; an
    /// IPv4 condition holds the IPv4-mapped IPv6 addresses (and its
    /// negation does not).
    #[test]
    fn cgroups_marks_and_mapped_addresses() {
        let c = |f: &str| cover::coverage(&words(f), false);
        assert_eq!(cover::coverage(&Expr::Cgroup(4242), false), 0.5f64.powi(64));
        assert!(narrows(&Expr::Cgroup(4242), CONNECTED));
        assert_eq!(c("fwmark = 0x3/0x1"), 0.0);
        assert_eq!(c("fwmark = 0x1/0x1"), 0.5);
        assert_eq!(
            c("src 10.0.0.0/8 and src ::ffff:10.0.0.0/104"),
            0.5f64.powi(104)
        );
        assert_eq!(c("not src 10.0.0.0/8 and src ::ffff:10.0.0.0/104"), 0.0);
    }

    /// Sides that share dimensions are bounded by the Fréchet bounds,
    /// independent ones multiply, and `not` turns the lower bound into the
    /// upper one; a dimension whose measure is certain (0 or 1) under a
    /// population does not make sides share it.
    #[test]
    fn bounds_through_not_and_shared_dimensions() {
        let c = |f: &str| cover::coverage(&words(f), false);
        // autobound is certain under each population: the sides share no
        // dimension, 1 - 0.5 × 0.5.
        assert_eq!(
            c("( autobound and src 0.0.0.0/1 ) or ( autobound and dst 0.0.0.0/1 )"),
            0.75
        );
        // Independent: the lower bound of the `and` is 0.25, of the `or` 0.75.
        assert_eq!(c("not ( sport >= :32768 and dport >= :32768 )"), 0.75);
        assert_eq!(c("not ( sport >= :32768 or dport >= :32768 )"), 0.25);
        assert_eq!(
            c("not ( not ( sport >= :32768 and dport >= :32768 ) )"),
            c("sport >= :32768 and dport >= :32768")
        );
        // Shared: P(A and B) >= P(A) + P(B) - 1; the truth is 4 in 2^32
        // (both ports 0 or 1), the bound 2^-32 + 2^-30.
        let m = c("not ( ( sport >= :1 or dport >= :1 ) and ( sport >= :2 or dport >= :2 ) )");
        assert!(
            (4.0 * 0.5f64.powi(32)..=6.0 * 0.5f64.powi(32)).contains(&m),
            "{m}"
        );
        // An `and` or an `or` depends on both its sides' dimensions.
        assert_eq!(
            c(
                "( ( src 0.0.0.0/1 or dst 0.0.0.0/1 ) and ( src 0.0.0.0/2 or dst 0.0.0.0/2 ) ) \
               or src 128.0.0.0/2"
            ),
            0.6875
        );
        assert_eq!(
            c("( src 0.0.0.0/1 or dst 0.0.0.0/1 ) and src 0.0.0.0/2"),
            0.25
        );
        assert_eq!(
            c(
                "( ( src 0.0.0.0/2 and dst 0.0.0.0/2 ) or ( src 64.0.0.0/2 and dst 64.0.0.0/2 ) ) \
               and src 0.0.0.0/2"
            ),
            0.125
        );
    }

    /// On one port, the measure is exact: it is the share of ports, over
    /// 0–65535 and over the ephemeral range, on which the filter's own
    /// evaluator accepts a socket.
    #[test]
    fn port_measures_agree_with_the_evaluator() {
        use sockdiag::filter::FilterContext;
        use sockdiag::{Endpoint, Family, Socket, State, Table};
        let ctx = FilterContext::default();
        let at = |local: u16, remote: u16| {
            let mut s = Socket::new(Table::Tcp, Family::Inet, State::Established);
            let ip = std::net::IpAddr::from([10, 0, 0, 1]);
            s.local = Endpoint::Inet {
                addr: ip,
                port: local,
            };
            s.peer = Endpoint::Inet {
                addr: ip,
                port: remote,
            };
            s
        };
        for f in [
            "sport >= :1",
            "sport > :0",
            "sport <= :65534",
            "sport = :*",
            "sport != :22",
            "sport >= :30000 and sport <= :35000",
            "not ( sport >= :100 and sport <= :40000 )",
            "sport = :80 or sport = :443 or sport >= :60000",
            "sport < :1024 or sport > :50000",
            "dport >= :1024",
            "dport = :1 or dport >= :32769",
            "not dport = :1",
        ] {
            let e = words(f);
            let on_sport = f.starts_with("sport") || f.contains("( sport");
            let share = |lo: u16, hi: u16| {
                let hits = (lo..=hi)
                    .filter(|&p| {
                        let s = if on_sport { at(p, 5) } else { at(5, p) };
                        e.matches(&s, &ctx)
                    })
                    .count();
                hits as f64 / (f64::from(hi - lo) + 1.0)
            };
            let exact = share(0, u16::MAX).max(share(cover::EPHEMERAL.0, cover::EPHEMERAL.1));
            assert_eq!(cover::coverage(&e, false), exact, "{f}");
        }
    }

    /// The table of examples in docs/guide.md: every row's verdict is
    /// this module's.
    #[test]
    fn the_guide_table_is_true() {
        let guide = include_str!("../../docs/guide.md");
        let start = guide
            .find("| Filter | States | Verdict |")
            .expect("the -K table in docs/guide.md");
        let mut rows = 0;
        for line in guide[start..].lines().skip(2) {
            let Some(row) = line.strip_prefix('|') else {
                break;
            };
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let filter = cells[0].trim_matches('`');
            let states = match cells[1] {
                "connected" => CONNECTED,
                "-a" => States::ALL,
                "-l" => States::LISTEN,
                other => panic!("states '{other}' in the guide's table"),
            };
            let broad = match cells[2] {
                "broad" => true,
                "narrow" => false,
                other => panic!("verdict '{other}' in the guide's table"),
            };
            assert_eq!(!narrows(&words(filter), states), broad, "{line}");
            rows += 1;
        }
        assert!(rows >= 20, "{rows} rows");
    }
}
