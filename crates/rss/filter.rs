//! The filter words of the command line.
//!
//! The leading `state X` / `exclude X` pairs, with every state name and
//! group `ss` accepts, are read here; the expression that follows
//! (`dport = :443 and ...`) is parsed by `sockdiag::filter`.

use sockdiag::States;
use sockdiag::filter::{Resolver, SystemResolver};

use crate::exit::UsageError;

/// The state set `ss -a` and `exclude` start from (`SS_ALL`): every state,
/// request sockets and (v6.8+) bound-inactive TCP sockets.
pub const SS_ALL: States = States::ALL.union(States::BOUND_INACTIVE);

/// `ss`'s `SS_CONN`, the default of most tables and families: every state
/// but LISTEN, CLOSE, TIME-WAIT and SYN-RECV (so bound-inactive TCP
/// sockets and request sockets are in).
pub const SS_CONN: States = SS_ALL.difference(
    States::LISTEN
        .union(States::CLOSE)
        .union(States::TIME_WAIT)
        .union(States::SYN_RECV),
);

/// The largest `-F` file read (1 MiB): far more than the 4096 words a
/// filter may have.
pub const MAX_FILTER_FILE: usize = 1 << 20;

/// Reads `-F FILE` (`-` for standard input): its words, `#` lines skipped.
pub fn read_filter_file(path: &std::path::Path) -> Result<Vec<String>, UsageError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    // At most MAX_FILTER_FILE + 1 bytes: an endless file (/dev/zero, a
    // pipe that never closes with data) is refused, not read forever.
    let limit = MAX_FILTER_FILE as u64 + 1;
    let r = if path.as_os_str() == "-" {
        std::io::stdin().take(limit).read_to_end(&mut bytes)
    } else {
        // A FIFO, device or directory is refused without blocking.
        sockdiag::host::open_checked(path, sockdiag::host::FileKind::Regular)
            .and_then(|f| f.take(limit).read_to_end(&mut bytes))
    };
    let fail = |e: &dyn std::fmt::Display| UsageError(format!("-F {}: {e}", path.display()));
    r.map_err(|e| fail(&e))?;
    if bytes.len() > MAX_FILTER_FILE {
        return Err(fail(&format_args!(
            "too long (more than {} KiB)",
            MAX_FILTER_FILE / 1024
        )));
    }
    let text = String::from_utf8(bytes).map_err(|_| fail(&"not a text file (invalid UTF-8)"))?;
    Ok(sockdiag::ss::words_from_file_text(&text))
}

/// How the CLI resolves the names in a filter under `-N` or `--all-netns`:
/// services, hosts and cgroups through the system, interface names (`dev`)
/// in the namespace dumped.
#[derive(Debug, Clone, Copy)]
pub(crate) enum NsResolver<'a> {
    /// Any interface name is accepted (as index `u32::MAX`): the syntax is
    /// checked before the namespace is entered, the names resolved in it
    /// later.
    SyntaxOnly,
    /// Interface names are those of this namespace.
    In(&'a sockdiag::NetNs),
}

impl Resolver for NsResolver<'_> {
    fn service(&self, name: &str) -> Option<u16> {
        SystemResolver.service(name)
    }
    fn ifindex(&self, name: &str) -> Option<u32> {
        match self {
            NsResolver::SyntaxOnly => Some(u32::MAX),
            NsResolver::In(ns) => ns.run(|| SystemResolver.ifindex(name)).ok().flatten(),
        }
    }
    fn host(&self, name: &str) -> Vec<std::net::IpAddr> {
        SystemResolver.host(name)
    }
    fn cgroup(&self, path: &str) -> Option<u64> {
        SystemResolver.cgroup(path)
    }
}

/// A state name or group, as `ss`'s `scan_state` spells it (case-insensitive).
pub fn scan_state(word: &str) -> Option<States> {
    let w = word.to_ascii_lowercase();
    Some(match w.as_str() {
        "established" => States::ESTABLISHED,
        "syn-sent" => States::SYN_SENT,
        "syn-recv" => States::SYN_RECV,
        "fin-wait-1" => States::FIN_WAIT1,
        "fin-wait-2" => States::FIN_WAIT2,
        "time-wait" => States::TIME_WAIT,
        "close" | "closed" | "unconnected" => States::CLOSE,
        "close-wait" => States::CLOSE_WAIT,
        "last-ack" => States::LAST_ACK,
        "listening" | "listen" => States::LISTEN,
        "closing" => States::CLOSING,
        "bound-inactive" => States::BOUND_INACTIVE,
        "all" => SS_ALL,
        "connected" => SS_ALL.difference(States::CLOSE.union(States::LISTEN)),
        "synchronized" => {
            SS_ALL.difference(States::CLOSE.union(States::LISTEN).union(States::SYN_SENT))
        }
        "bucket" => States::SYN_RECV | States::TIME_WAIT,
        "big" => SS_ALL.difference(States::SYN_RECV.union(States::TIME_WAIT)),
        _ => return None,
    })
}

/// Consumes leading `state X` / `exclude X` (or `excl X`) pairs, updating
/// `states` as `ss` does: the first `state` starts from nothing, the first
/// `exclude` from every state. Returns the words left for an expression.
pub fn parse_states<'a>(
    words: &'a [String],
    states: &mut States,
) -> Result<&'a [String], UsageError> {
    let mut saw = false;
    let mut i = 0;
    while i < words.len() {
        let kw = words[i].as_str();
        let exclude = match kw {
            "state" => false,
            "exclude" | "excl" => true,
            _ => break,
        };
        let Some(name) = words.get(i + 1) else {
            return Err(UsageError(format!(
                "filter: expected a state name after '{kw}'"
            )));
        };
        let set = scan_state(name).ok_or_else(|| {
            UsageError(format!(
                "filter: wrong state name '{name}' (expected established, syn-sent, syn-recv, fin-wait-1, \
                 fin-wait-2, time-wait, closed, close-wait, last-ack, listening, closing, bound-inactive, \
                 all, connected, synchronized, bucket or big)"
            ))
        })?;
        if !saw {
            *states = if exclude { SS_ALL } else { States::empty() };
            saw = true;
        }
        if exclude {
            *states &= !set;
        } else {
            *states |= set;
        }
        i += 2;
    }
    Ok(&words[i..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_only_takes_any_interface_and_asks_the_system_for_the_rest() {
        let r = NsResolver::SyntaxOnly;
        assert_eq!(r.ifindex("rss-no-such-device"), Some(u32::MAX));
        assert_eq!(r.ifindex("lo"), Some(u32::MAX));
        assert_eq!(r.host("127.0.0.1"), SystemResolver.host("127.0.0.1"));
        assert_eq!(r.service("ssh"), SystemResolver.service("ssh"));
    }

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn state_words_or_together_and_exclude_subtracts() {
        let mut st = SS_CONN;
        let w = words("state established state LISTENING dport = :22");
        let rest = parse_states(&w, &mut st).unwrap();
        assert_eq!(st, States::ESTABLISHED | States::LISTEN);
        assert_eq!(rest, &w[4..]);
        let mut st = SS_CONN;
        parse_states(&words("exclude listening exclude bucket"), &mut st).unwrap();
        assert_eq!(
            st,
            SS_ALL & !(States::LISTEN | States::SYN_RECV | States::TIME_WAIT)
        );
    }

    #[test]
    fn groups_match_ss_manual() {
        // ss 7.1: the groups are taken from SS_ALL, bound-inactive included.
        assert_eq!(
            scan_state("connected"),
            Some(SS_ALL & !(States::LISTEN | States::CLOSE))
        );
        assert!(
            scan_state("connected")
                .unwrap()
                .contains(States::BOUND_INACTIVE)
        );
        assert!(scan_state("big").unwrap().contains(States::BOUND_INACTIVE));
        assert!(
            !scan_state("synchronized")
                .unwrap()
                .contains(States::SYN_SENT)
        );
        assert!(
            !scan_state("big")
                .unwrap()
                .intersects(States::SYN_RECV | States::TIME_WAIT)
        );
        assert_eq!(scan_state("closed"), Some(States::CLOSE));
    }

    #[test]
    fn bad_words_are_usage_errors() {
        let mut st = States::empty();
        let e = parse_states(&words("state bogus"), &mut st).unwrap_err();
        assert!(e.0.contains("'bogus'"), "{}", e.0);
        let e = parse_states(&words("exclude"), &mut st).unwrap_err();
        assert!(e.0.contains("after 'exclude'"));
    }
}
