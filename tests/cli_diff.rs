//! Differential tests: `rss` and `/usr/bin/ss` on the same namespace, field
//! by field.
//!
//! Each test builds a private network namespace holding the sockets the CLI
//! issue lists (listeners with and without pending connections, established
//! pairs with unread data both ways, UDP with an unread datagram, IPv4, IPv6
//! v6only and dual-stack, unix path/abstract/pair sockets, a TIME-WAIT
//! socket, a socket held by several fds), runs both tools with the same
//! flags and compares the whitespace-separated fields of every line.
//!
//! Normalised, and only these (REFERENCE.md §2):
//! - the header's `Process` column, which ss 6.1 always prints (glued to
//!   `Port`) and v6.8+ prints only with `-p`;
//! - `-i` fields that ss 6.1 does not know (`rcv_wnd:`, `rehash:`, option
//!   word `usec_ts`);
//! - values that change between two runs: timer expiries, RTT-derived
//!   fields (`rtt`, `rto`, `ato`, `minrtt`, `rcv_rtt`, `send`,
//!   `pacing_rate`, `delivery_rate`, `busy`, `last*`);
//! - netlink rows of the diag tools' own sockets (each tool sees itself).

mod common;

use std::time::Duration;

use common::{compare, normalize, rss, world};
use testkit::{require_privileged, require_tool};

macro_rules! diff_tests {
    ($($name:ident: [$($arg:expr),*];)*) => {$(
        #[test]
        fn $name() {
            require_privileged!();
            require_tool!("/usr/bin/ss");
            let w = world();
            compare(&w, &[$($arg),*]);
        }
    )*};
}

diff_tests! {
    tan: ["-tan"];
    tln: ["-tln"];
    tlnp: ["-tlnp"];
    tl: ["-tl"];
    uan: ["-uan"];
    ua: ["-ua"];
    xa: ["-xa"];
    an: ["-an"];
    lnp: ["-lnp"];
    ta4: ["-ta4"];
    ta6: ["-ta6"];
    tano: ["-tano"];
    tani: ["-tani"];
    tane: ["-tane"];
    tanm: ["-tanm"];
    tan_oneline_info: ["-tanOi"];
    tanoiemp: ["-tanoiemp"];
    no_header: ["-Htan"];
    state_established: ["-tn", "state", "established"];
    exclude_listening: ["-tn", "exclude", "listening"];
    default_selection: [];
    unix_listening: ["-xl"];
    udp_extended: ["-uane"];
    filter_sport: ["-tan", "sport", "=", ":5000"];
    filter_or: ["-tan", "(", "dport", "=", ":7000", "or", "sport", "=", ":7000", ")"];
    filter_dst_prefix_not: ["-tan", "dst", "127.0.0.0/8", "and", "not", "sport", "=", ":5000"];
    filter_v6_host: ["-tan", "src", "[::1]"];
    filter_range: ["-tan", "sport", "gt", ":1000", "and", "sport", "lt", ":9000"];
    filter_service_name: ["-ta", "sport", "=", ":ssh"];
    filter_unix_glob: ["-xa", "src", "unix:/tmp/rss-diff-*"];
    filter_udp: ["-uan", "sport", "=", ":5353"];
    filter_state_and_expr: ["-tn", "state", "established", "dport", "=", ":5000"];
    filter_juxtaposed: ["-tan", "src", "127.0.0.1", "dport", "=", ":5000"];
    attached_option_values: ["-Atcp,udp", "-an"];
    options_after_the_filter: ["-tn", "sport", "=", ":5000", "-a"];
    filter_inet_any_on_dual_stack: ["-tan", "src", "inet:*"];
    filter_autobound: ["-tan", "autobound"];
    filter_not_autobound: ["-tan", "not", "autobound"];
}

/// `-N` resolves interface names inside the namespace: `%iface` on a
/// socket bound to a device, and `dev NAME` in a filter.
#[test]
fn interfaces_are_the_namespace_s() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let ns = testkit::NetNs::new().unwrap();
    // An interface name the host does not have, at an index the host may use for another.
    ns.sh_ok("ip link add rssv0 type veth peer name rssv1 && ip link set rssv0 up");
    let _held = ns.run(|| {
        let l = testkit::listener("0.0.0.0:8080".parse().unwrap(), 7, None).unwrap();
        l.bind_device(Some(b"rssv0")).unwrap();
        l
    });
    for args in [
        &["-tln"][..],
        &["-tln", "dev", "rssv0"][..],
        &["-tln", "dev", "=", "rssv0"][..],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rss"))
            .arg("-N")
            .arg(ns.path())
            .args(args)
            .output()
            .unwrap();
        let ours = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "rss {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs = ns.ss(args);
        assert!(ours.contains("%rssv0:8080"), "rss {args:?}:\n{ours}");
        assert_eq!(
            normalize(&ours),
            normalize(&theirs),
            "--- rss:\n{ours}--- ss:\n{theirs}"
        );
    }
}

#[test]
fn summary_matches_ss() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let w = world();
    // -s reads host-wide counters (TCP alloc, orphans) that other tests
    // running in parallel move: retry until ss reads the same before and
    // after rss, and rss agrees with both. A real difference never passes.
    let mut last = (String::new(), String::new());
    for _ in 0..100 {
        let before = w.ns.ss(&["-s"]);
        let ours = rss(&w, &["-s"]);
        let after = w.ns.ss(&["-s"]);
        if before == after && normalize(&ours) == normalize(&before) {
            return;
        }
        last = (ours, before);
        std::thread::sleep(Duration::from_millis(30));
    }
    panic!(
        "rss -s never matched a quiet ss -s\n--- rss:\n{}\n--- ss:\n{}",
        last.0, last.1
    );
}

/// MPTCP's `-i` line (`struct mptcp_info`). ss 6.1 knows the structure only
/// up to `rcv_nxt`; the fields added later (byte counters, subflow totals,
/// `last_*` times) are dropped from rss's line before comparing.
#[test]
fn mptcp_info_matches_ss() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let ns = testkit::NetNs::new().unwrap();
    let _held = ns.run(|| {
        use socket2::{Domain, Protocol, Socket, Type};
        let mptcp = || Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::from(262))).unwrap();
        let l = mptcp();
        let a: std::net::SocketAddr = "127.0.0.1:8443".parse().unwrap();
        l.bind(&a.into()).unwrap();
        l.listen(5).unwrap();
        let c = mptcp();
        c.connect(&a.into()).unwrap();
        let (s, _) = l.accept().unwrap();
        c.send(&[1u8; 10]).unwrap();
        vec![l, c, s]
    });
    let newer = [
        "bytes_sent:",
        "bytes_received:",
        "bytes_acked:",
        "bytes_retrans:",
        "retransmits:",
        "subflows_total:",
        "last_data_sent:",
        "last_data_recv:",
        "last_ack_recv:",
        "endp_laminar_max:",
        "local_addr_used:",
        "local_addr_max:",
        "csum_enabled:",
    ];
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rss"))
        .arg("-N")
        .arg(ns.path())
        .arg("-Mani")
        .output()
        .unwrap();
    assert!(out.status.success());
    let ours = String::from_utf8(out.stdout).unwrap();
    let theirs = ns.ss(&["-Mani"]);
    assert!(ours.contains("token:"), "{ours}");
    let strip = |t: &str| -> Vec<Vec<String>> {
        normalize(t)
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .filter(|f| !newer.iter().any(|p| f.starts_with(p)))
                    .collect()
            })
            .collect()
    };
    assert_eq!(
        strip(&ours),
        strip(&theirs),
        "--- rss:\n{ours}--- ss:\n{theirs}"
    );
}
