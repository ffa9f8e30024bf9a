//! Differential tests: `rss` and the `ss` 7.1 oracle (iproute2 v7.1.0's
//! `ss`, built by `../shared/oracle/build-ss.sh`, path in `RSS_SS_ORACLE`)
//! on the same namespace, compared BYTE for byte: stdout piped and on
//! pseudo-terminals of 80 and 200 columns, stderr, and the exit status.
//!
//! Each test builds a private network namespace holding the sockets the CLI
//! issue lists (listeners with and without pending connections, established
//! pairs with unread data both ways, UDP with an unread datagram, IPv4, IPv6
//! v6only and dual-stack, unix path/abstract/pair sockets, TIME-WAIT,
//! CLOSE-WAIT and FIN-WAIT-2, a bound-only TCP socket, raw, packet and
//! netlink sockets, a socket held by several fds).
//!
//! Masked, and only that: what `common::MASKED` names, with its reasons.
//! Without an oracle the tests print SKIP (a failure under
//! `RSS_REQUIRE_PRIVILEGED=1`).

mod common;

use std::time::Duration;

use common::{OUTPUTS, Out, oracle_compare, oracle_diff, run_tool, world};
use testkit::{require_oracle, require_privileged};

macro_rules! diff_tests {
    ($($name:ident: [$($arg:expr),*];)*) => {$(
        #[test]
        fn $name() {
            require_privileged!();
            let oracle = require_oracle!();
            let w = world();
            oracle_compare(&w.ns, &oracle, &[$($arg),*]);
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
    all: ["-a"];
    lnp: ["-lnp"];
    ta4: ["-ta4"];
    ta6: ["-ta6"];
    tano: ["-tano"];
    tani: ["-tani"];
    tane: ["-tane"];
    tanm: ["-tanm"];
    tan_oneline_info: ["-tanOi"];
    tanoiemp: ["-tanoiemp"];
    tanoie: ["-tanoie"];
    tanie: ["-tanie"];
    uanm: ["-uanm"];
    xapm: ["-xapm"];
    pan: ["-pan"];
    // -p with a filter: the narrow path (a first pass picks the inodes).
    tanp_filtered: ["-tanp", "not", "dport", "=", ":1"];
    tnp: ["-tnp"];
    packet_processes: ["-0ap"];
    tan_oneline: ["-tanO"];
    resolve_tcp: ["-tanr"];
    no_header: ["-Htan"];
    state_established: ["-tn", "state", "established"];
    state_connected: ["-tn", "state", "connected"];
    state_synchronized: ["-tn", "state", "synchronized"];
    state_big: ["-tn", "state", "big"];
    exclude_listening: ["-tn", "exclude", "listening"];
    default_selection: [];
    default_tcp: ["-t"];
    default_numeric: ["-n"];
    default_ipv4: ["-4"];
    default_unix: ["-x"];
    default_packet: ["-0"];
    default_udp_single_state: ["-u"];
    default_raw_single_state: ["-w"];
    raw_all: ["-wa"];
    packet_all: ["-0a"];
    bound_inactive: ["-B"];
    netlink: ["-A", "netlink"];
    query_unix_dgram: ["-A", "unix_dgram"];
    query_packet: ["-A", "packet"];
    family_link: ["-f", "link"];
    mptcp: ["-M"];
    mptcp_all: ["-Ma"];
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
    threads_alone: ["-T"];
    threads_alone_tcp: ["-tanT"];
    ipv4_then_ipv6: ["-4", "-6"];
    ipv6_then_ipv4: ["-6", "-4"];
    tcp_ipv4_then_ipv6: ["-t", "-4", "-6"];
    family_then_ipv4: ["-f", "inet6", "-4", "-t"];
    vsock: ["--vsock"];
    xdp: ["--xdp"];
    tipc: ["--tipc"];
    tipcinfo: ["--tipc", "--tipcinfo"];
    sctp: ["-S"];
    dccp: ["-d"];
    bpf: ["-b"];
    bpf_packet: ["-0ab"];
    selinux_contexts: ["-Z"];
    selinux_socket_contexts: ["-z"];
    inet_sockopt: ["--inet-sockopt"];
    inet_sockopt_all: ["-tuan", "--inet-sockopt"];
    inet_sockopt_oneline: ["-tanO", "--inet-sockopt"];
}

/// `--bpf-maps` and `--bpf-map-id` exist only in an ss built with libbpf;
/// the oracle (built without) rejects them as unknown options, and so does
/// rss: nothing on stdout, a usage error (rss exits 2 with one line, ss
/// prints its usage and exits 255: README "Differences from ss").
#[test]
fn bpf_map_options_are_unknown() {
    require_privileged!();
    let oracle = require_oracle!();
    let w = world();
    for args in [&["--bpf-maps"][..], &["--bpf-map-id=1"][..]] {
        let ours = run_tool(&w.ns, &common::rss_bin(), args, &[], Out::Piped);
        let theirs = run_tool(&w.ns, &oracle, args, &[], Out::Piped);
        assert!(ours.stdout.is_empty() && theirs.stdout.is_empty());
        assert_eq!(theirs.code, Some(255), "{theirs:?}");
        assert_eq!(ours.code, Some(2), "{ours:?}");
        assert!(theirs.stderr.contains("unrecognized option"), "{theirs:?}");
        assert!(ours.stderr.contains("unexpected argument"), "{ours:?}");
        assert_eq!(ours.stderr.lines().count(), 2, "{ours:?}");
    }
}

/// `%iface` on a socket bound to a device, and `dev NAME` in a filter:
/// interface names are the namespace's.
#[test]
fn interfaces_are_the_namespace_s() {
    require_privileged!();
    let oracle = require_oracle!();
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
        let ours = run_tool(&ns, &common::rss_bin(), args, &[], Out::Piped);
        assert!(
            ours.stdout.contains("%rssv0:8080"),
            "rss {args:?}:\n{ours:?}"
        );
        oracle_compare(&ns, &oracle, args);
    }
    // The same from outside, with -N: `dev` names resolved in the namespace.
    let path = ns.path();
    for args in [
        &["-tln", "dev", "rssv0"][..],
        &["-tln", "dev", "!=", "rssv0"],
    ] {
        let theirs = run_tool(&ns, &oracle, args, &[], Out::Piped);
        let o = std::process::Command::new(common::rss_bin())
            .arg("-N")
            .arg(&path)
            .args(args)
            .env_remove("COLUMNS")
            .output()
            .unwrap();
        let ours = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "rss -N {args:?}: {o:?}");
        assert_eq!(ours, theirs.stdout, "rss -N {args:?}");
    }
}

/// `-s`: the summary. Its TCP counters (alloc, orphans, timewait) are
/// host-wide and move with other tests running in parallel: retry until
/// the oracle reads the same before and after rss, and rss agrees with
/// both. A real difference never passes.
#[test]
fn summary() {
    require_privileged!();
    let oracle = require_oracle!();
    let w = world();
    let mut last = String::new();
    for _ in 0..100 {
        let mut all = true;
        for out in OUTPUTS {
            let before = run_tool(&w.ns, &oracle, &["-s"], &[], out);
            let d = oracle_diff(&w.ns, &oracle, &["-s"], &[]);
            let after = run_tool(&w.ns, &oracle, &["-s"], &[], out);
            if before != after {
                all = false;
                break;
            }
            if let Some(d) = d {
                last = d;
                all = false;
                break;
            }
        }
        if all {
            return;
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    panic!("rss -s never matched a quiet ss -s\n{last}");
}

/// MPTCP sockets and their `-i` line (`struct mptcp_info`).
#[test]
fn mptcp_info() {
    require_privileged!();
    let oracle = require_oracle!();
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
    let ours = run_tool(&ns, &common::rss_bin(), &["-Mani"], &[], Out::Piped);
    assert!(ours.stdout.contains("token:"), "{ours:?}");
    for args in [&["-Mani"][..], &["-Man"][..]] {
        oracle_compare(&ns, &oracle, args);
    }
}

/// At 100,000 sockets (50,000 established pairs of the testkit farm, plus
/// its listeners and a few IPv6 pairs dumped last, whose wider rows widen
/// the columns of the last batch only), `-tan`, `-tani` and `-tanp` are the
/// oracle's bytes: rss renders its buffered rows exactly where `ss` does
/// (after 4 MiB of `ss`'s token accounting), so rows near batch boundaries
/// are padded alike. The one 100k-socket test CI runs (about a minute:
/// the oracle's own `-tanp` takes most of it).
#[test]
fn farm_of_100k_sockets() {
    require_privileged!();
    let oracle = require_oracle!();
    let ns = testkit::NetNs::new().unwrap();
    let _farm = testkit::Farm::start(&ns, 50_000).unwrap();
    let built = std::time::Instant::now();
    let _wide = ns.run(|| {
        let l = testkit::listener("[::]:8443".parse().unwrap(), 16, Some(false)).unwrap();
        let mut held = Vec::new();
        for _ in 0..3 {
            let c = testkit::connect("127.0.0.1:8443".parse().unwrap()).unwrap();
            let (s, _) = l.accept().unwrap();
            held.push((c, s));
        }
        (l, held)
    });
    for args in [&["-tan"][..], &["-tani"][..], &["-tanp"][..]] {
        if args[0] == "-tani" {
            // The ages (lastsnd:, lastrcv:, lastack:, masked) count in the
            // batch accounting: both runs must see them with as many
            // digits, 5 from 10 s after the pairs were made until 100 s.
            std::thread::sleep(Duration::from_millis(10_500).saturating_sub(built.elapsed()));
        }
        let ours = run_tool(&ns, &common::rss_bin(), args, &[], Out::Piped);
        let theirs = run_tool(&ns, &oracle, args, &[], Out::Piped);
        assert!(
            ours.stdout.lines().count() > 100_000,
            "{args:?}: {} lines",
            ours.stdout.lines().count()
        );
        if ours != theirs {
            let (a, b): (Vec<&str>, Vec<&str>) = (
                ours.stdout.lines().collect(),
                theirs.stdout.lines().collect(),
            );
            let i = (0..a.len().max(b.len()))
                .find(|&i| a.get(i) != b.get(i))
                .unwrap_or(0);
            panic!(
                "rss {args:?} differs from ss 7.1 at line {} of {}/{}:\nrss: {:?}\nss:  {:?}\nstderr rss {:?} ss {:?}, exit rss {:?} ss {:?}",
                i + 1,
                a.len(),
                b.len(),
                a.get(i),
                b.get(i),
                ours.stderr,
                theirs.stderr,
                ours.code,
                theirs.code
            );
        }
    }
}

/// `-E` (destroy events) without `-a`: rss and the oracle follow the same
/// namespace at once; two pairs and a listener are closed; both print the
/// same bytes (ss selects events by family and filter, not by state: a
/// destroyed socket is CLOSE).
#[test]
fn events_without_all() {
    require_privileged!();
    let oracle = require_oracle!();
    let ns = testkit::NetNs::new().unwrap();
    let spawn = |prog: &std::path::Path| {
        let _g = common::spawn_lock();
        let mut c = ns
            .command(prog)
            .args(["-tEn"])
            .env_remove("COLUMNS")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let out = std::io::BufReader::new(c.stdout.take().unwrap());
        (c, out)
    };
    let (mut ours, mut our_out) = spawn(&common::rss_bin());
    let (mut theirs, mut their_out) = spawn(&oracle);
    let pids = [ours.id() as i32, theirs.id() as i32];
    let dog = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(30));
        for pid in pids {
            // SAFETY: signalling our own children by pid.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    use std::io::BufRead;
    let (mut a, mut b) = (String::new(), String::new());
    // Both print the header with the first event: give them time to
    // subscribe.
    std::thread::sleep(Duration::from_millis(700));
    let held = ns.run(|| {
        let l = testkit::listener("127.0.0.1:41000".parse().unwrap(), 8, None).unwrap();
        let mut v = Vec::new();
        for _ in 0..2 {
            let c = testkit::connect("127.0.0.1:41000".parse().unwrap()).unwrap();
            let (s, _) = l.accept().unwrap();
            // Reset on close: every socket is destroyed at once (no TIME-WAIT).
            socket2::SockRef::from(&c)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
            s.set_linger(Some(Duration::ZERO)).unwrap();
            v.push((c, s));
        }
        (l, v)
    });
    drop(held);
    for _ in 0..6 {
        our_out.read_line(&mut a).unwrap();
        their_out.read_line(&mut b).unwrap();
    }
    let _ = ours.kill();
    let _ = theirs.kill();
    let _ = ours.wait();
    let _ = theirs.wait();
    drop(dog);
    assert_eq!(a.lines().count(), 6, "rss:\n{a}\nss:\n{b}");
    assert_eq!(a, b, "rss -tEn:\n{a}\nss -tEn:\n{b}");
}

/// `-j` on the world's TCP sockets, value by value: against the text table
/// (itself the oracle's bytes) and against the library's own dump of the
/// same namespace; and only the fields each option asks for.
#[test]
fn json_values_match_the_table_and_the_library() {
    require_privileged!();
    let w = world();
    let json: serde_json::Value = serde_json::from_str(&common::rss(&w, &["-tan", "-j"])).unwrap();
    let rows = json.as_array().unwrap();
    let table = common::rss(&w, &["-tanH"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), lines.len(), "{table}");
    let ss_state = |s: &str| match s {
        "established" => "ESTAB",
        "listen" => "LISTEN",
        "time_wait" => "TIME-WAIT",
        "close_wait" => "CLOSE-WAIT",
        "fin_wait2" => "FIN-WAIT-2",
        "unconn" | "bound_inactive" => "UNCONN",
        other => panic!("state {other} not in the world"),
    };
    // The library, same namespace, same selection, same order.
    let ns = sockdiag::NetNs::from_path(w.ns.path()).unwrap();
    let lib: Vec<sockdiag::Socket> = sockdiag::Query::tcp()
        .states(sockdiag::States::all())
        .dump_in(&ns)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(lib.len(), rows.len());
    // ss prints a dual-stack socket's `::` as `*`.
    let endpoint = |e: &serde_json::Value, peer: bool, dual: bool| {
        let addr = e["addr"].as_str().unwrap();
        let port = e["port"].as_u64().unwrap();
        let host = match addr {
            "::" if dual => "*".to_string(),
            a if a.contains(':') => format!("[{a}]"),
            a => a.to_string(),
        };
        let port = if peer && port == 0 {
            "*".to_string()
        } else {
            port.to_string()
        };
        format!("{host}:{port}")
    };
    for ((row, line), s) in rows.iter().zip(&lines).zip(&lib) {
        let t: Vec<&str> = line.split_whitespace().collect();
        let dual = s.v6only == Some(false);
        assert_eq!(t[0], ss_state(row["state"].as_str().unwrap()), "{line}");
        assert_eq!(t[1], row["recv_q"].to_string(), "{line}");
        assert_eq!(t[2], row["send_q"].to_string(), "{line}");
        assert_eq!(t[3], endpoint(&row["local"], false, dual), "{line}");
        assert_eq!(t[4], endpoint(&row["peer"], true, dual), "{line}");
        // Only what -tan asks for.
        for absent in [
            "uid",
            "cookie",
            "mark",
            "cgroup_id",
            "sockopt",
            "skmem",
            "tcp_info",
            "timer",
        ] {
            assert!(row.get(absent).is_none(), "{absent} in {row}");
        }
        assert_eq!(row["inode"].as_u64().unwrap(), s.inode);
        assert_eq!(row["recv_q"].as_i64().unwrap(), i64::from(s.recv_q));
        assert_eq!(row["send_q"].as_i64().unwrap(), i64::from(s.send_q));
        assert_eq!(row["local"], serde_json::to_value(&s.local).unwrap());
        assert_eq!(row["peer"], serde_json::to_value(&s.peer).unwrap());
    }
    // Each option adds its own fields.
    for (flag, present) in [
        ("-e", &["uid", "cookie"][..]),
        ("-m", &["skmem"][..]),
        ("-i", &["tcp_info"][..]),
        ("-o", &[][..]),
    ] {
        let j: serde_json::Value = serde_json::from_str(&common::rss(
            &w,
            &["-tan", flag, "-j", "state", "established"],
        ))
        .unwrap();
        for row in j.as_array().unwrap() {
            for f in present {
                assert!(row.get(*f).is_some(), "{flag}: no {f} in {row}");
            }
            if flag != "-i" {
                assert!(row.get("tcp_info").is_none(), "{flag}: {row}");
            }
            if flag != "-e" {
                assert!(row.get("uid").is_none(), "{flag}: {row}");
            }
        }
    }
    let tw: serde_json::Value =
        serde_json::from_str(&common::rss(&w, &["-tano", "-j", "state", "time-wait"])).unwrap();
    assert_eq!(tw[0]["timer"]["kind"], "timewait", "{tw}");
}
