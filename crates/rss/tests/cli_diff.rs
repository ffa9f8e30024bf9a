//! Differential tests: `rss` and the `ss` 7.1 oracle (iproute2 v7.1.0's
//! `ss`, built by `testdata/oracle/build-ss.sh`, path in `RSS_SS_ORACLE`)
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

use crate::common;

use std::time::Duration;

use common::{OUTPUTS, Out, oracle_compare, run_tool, world};
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
/// prints its usage and exits 255: docs/differences.md).
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
        assert_eq!(ours, theirs.stdout.text, "rss -N {args:?}");
    }
}

/// `-s`: the summary. Its TCP line is made of host-wide counters (sockets
/// allocated, orphans) that move whenever any socket on the host is made or
/// freed, so two runs agree only at a quiet moment. CI runs this test alone
/// (`threads-required` in `.config/nextest.toml`). For each output, it
/// waits for a quiet moment, the oracle printing the same before and after
/// rss, and compares rss with it then: a difference at a quiet moment fails
/// at once, never retried.
#[test]
fn summary() {
    require_privileged!();
    let oracle = require_oracle!();
    let w = world();
    for out in OUTPUTS {
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            let before = run_tool(&w.ns, &oracle, &["-s"], &[], out);
            let ours = run_tool(&w.ns, &common::rss_bin(), &["-s"], &[], out);
            let after = run_tool(&w.ns, &oracle, &["-s"], &[], out);
            if before == after {
                assert!(
                    ours == before,
                    "at a quiet moment: {}",
                    common::describe(&["-s"], out, &ours, &before)
                );
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "waited 120 s for a quiet moment (ss -s printing the same \
                 before and after rss) and saw none; last:\n{before:?}\n{after:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
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

/// MPTCP subflows: the TCP sockets under an MPTCP connection, whose `-i`
/// line ends with the ULP's details (`tcp-ulp-mptcp flags:… token:…
/// seq:… sfseq:… ssnoff:… maplen:…`). A second subflow joins from
/// 127.0.0.2 (an `ip mptcp endpoint` of the namespace), so both the
/// MP_CAPABLE and the MP_JOIN forms are compared.
#[test]
fn mptcp_subflows() {
    require_privileged!();
    let oracle = require_oracle!();
    let ns = testkit::NetNs::new().unwrap();
    ns.sh_ok(
        "ip addr add 127.0.0.2/8 dev lo && ip mptcp limits set subflow 2 add_addr_accepted 2 \
         && ip mptcp endpoint add 127.0.0.2 dev lo subflow",
    );
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
        s.send(&[2u8; 5]).unwrap();
        vec![l, c, s]
    });
    // Settled: the joined subflow is up on both sides, and the data read
    // into the MPTCP sockets (so that no mapping moves any more).
    let settled = || {
        let t = run_tool(&ns, &common::rss_bin(), &["-tniH"], &[], Out::Piped).stdout;
        t.matches("tcp-ulp-mptcp flags:").count() == 4
            && t.contains("flags:Jjec ")
            && t.contains("flags:Jec ")
    };
    assert!(
        testkit::wait_until(Duration::from_secs(10), settled),
        "no joined subflow: {:?}",
        run_tool(&ns, &common::rss_bin(), &["-tni"], &[], Out::Piped)
    );
    std::thread::sleep(Duration::from_millis(200));
    for args in [
        &["-tni"][..],
        &["-tniO"][..],
        &["-tanie"][..],
        &["-tnim"][..],
        &["-tn"][..],
        &["-Mani"][..],
    ] {
        oracle_compare(&ns, &oracle, args);
    }
    // -j: each subflow's `mptcp_subflow`, value by value against the
    // oracle's text for the same socket (by its ports); none without -i.
    let text = run_tool(&ns, &oracle, &["-tniHO"], &[], Out::Piped).stdout;
    let json = |args: &[&str]| -> Vec<serde_json::Value> {
        let r = run_tool(&ns, &common::rss_bin(), args, &[], Out::Piped);
        serde_json::from_str(&r.stdout).unwrap()
    };
    let socks = json(&["-tnij"]);
    assert_eq!(socks.len(), 4, "{socks:?}");
    for s in &socks {
        let m = &s["mptcp_subflow"];
        let hex = |k: &str| format!("{:04x}", m[k].as_u64().unwrap());
        // Local and peer columns (4th and 5th with -H -O), by their ports
        // (a joined subflow's local address reads `127.0.0.2%lo`).
        let (lport, pport) = (
            format!(":{}", s["local"]["port"]),
            format!(":{}", s["peer"]["port"]),
        );
        let line = text
            .lines()
            .find(|l| {
                let t: Vec<&str> = l.split_whitespace().collect();
                t.len() > 4 && t[3].ends_with(&lport) && t[4].ends_with(&pport)
            })
            .unwrap_or_else(|| panic!("no line for {lport} -> {pport} in\n{text}"));
        let want = format!(
            " token:{}(id:{})/{}(id:{}) seq:{} sfseq:{} ssnoff:{} maplen:{}",
            hex("token_rem"),
            m["id_rem"],
            hex("token_loc"),
            m["id_loc"],
            m["map_seq"],
            m["map_sfseq"],
            m["ssn_offset"],
            m["map_datalen"]
        );
        assert!(line.contains(&want), "{want:?} not in {line:?}");
        let flags = m["flags"].as_u64().unwrap();
        let letters: String = "MmJjBbecv"
            .chars()
            .enumerate()
            .filter(|(i, _)| flags & 1 << i != 0)
            .map(|(_, c)| c)
            .collect();
        assert!(
            flags != 0 && line.contains(&format!(" tcp-ulp-mptcp flags:{letters} token:")),
            "flags {flags:#x} ({letters}) not in {line:?}"
        );
        assert!(m["relwrite_seq"].is_u64(), "{m}");
    }
    for s in json(&["-tnj"]) {
        assert!(s.get("mptcp_subflow").is_none(), "-j without -i: {s}");
    }
}

/// The classic BPF program attached to `sock` (`SO_ATTACH_FILTER`).
fn attach_filter(sock: &socket2::Socket, prog: &[libc::sock_filter]) {
    use std::os::fd::AsRawFd;
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_ptr().cast_mut(),
    };
    // SAFETY: a valid socket, and a sock_fprog pointing at `prog` (which
    // the kernel copies) of the size given.
    let r = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            (&fprog as *const libc::sock_fprog).cast(),
            std::mem::size_of::<libc::sock_fprog>() as u32,
        )
    };
    assert_eq!(
        r,
        0,
        "SO_ATTACH_FILTER: {}",
        std::io::Error::last_os_error()
    );
}

/// `-b`: packet sockets' attached classic BPF filters (`bpf filter (N):
/// 0xCODE JT JF K, …`), with and without `-e`, `-O`, `-m`; and in `-j`,
/// the instructions attached, only when `-b` asked for them.
#[test]
fn packet_bpf_filters() {
    require_privileged!();
    let oracle = require_oracle!();
    let ns = testkit::NetNs::new().unwrap();
    let ins = |code: u16, jt: u8, jf: u8, k: u32| libc::sock_filter { code, jt, jf, k };
    // tcpdump -dd 'ip and tcp': ldh [12]; jeq #0x800; ldb [23]; jeq #6; ret; ret
    let ip_tcp = [
        ins(0x28, 0, 0, 12),
        ins(0x15, 0, 3, 0x800),
        ins(0x30, 0, 0, 23),
        ins(0x15, 0, 1, 6),
        ins(0x06, 0, 0, 0x40000),
        ins(0x06, 0, 0, 0),
    ];
    let accept_all = [ins(0x06, 0, 0, u32::MAX)];
    let _held = ns.run(move || {
        use socket2::{Domain, Protocol, Socket, Type};
        let packet = |ty, proto: u16| {
            Socket::new(
                Domain::PACKET,
                ty,
                Some(Protocol::from(i32::from(proto.to_be()))),
            )
            .unwrap()
        };
        let raw = packet(Type::RAW, 0x0003);
        attach_filter(&raw, &ip_tcp);
        let dgram = packet(Type::DGRAM, 0x0800);
        attach_filter(&dgram, &accept_all);
        let plain = packet(Type::RAW, 0x86dd);
        vec![raw, dgram, plain]
    });
    let ours = run_tool(&ns, &common::rss_bin(), &["-0ab"], &[], Out::Piped);
    assert!(
        ours.stdout
            .contains("bpf filter (6):  0x28 0 0 12, 0x15 0 3 2048, 0x30 0 0 23,"),
        "{ours:?}"
    );
    for args in [
        &["-0b"][..],
        &["-0ab"][..],
        &["-b", "-0", "-e"][..],
        &["-0abeO"][..],
        &["-0abm"][..],
        &["-0abemO"][..],
        &["-0a"][..],
        &["-A", "packet_dgram", "-b"][..],
    ] {
        oracle_compare(&ns, &oracle, args);
    }
    // Without CAP_NET_ADMIN the kernel withholds the instructions (an
    // empty PACKET_DIAG_FILTER on every packet socket): `bpf filter (0): `.
    let nobody = |prog: &std::path::Path| {
        let prog = prog.to_str().unwrap();
        let args = [
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--",
            prog,
            "-0ab",
        ];
        run_tool(&ns, std::path::Path::new("setpriv"), &args, &[], Out::Piped)
    };
    let ours = nobody(&common::rss_bin());
    assert_eq!(
        ours.stdout.matches("\n\tbpf filter (0): \n").count(),
        3,
        "{ours:?}"
    );
    assert_eq!(ours, nobody(&oracle), "-0ab without privileges");
    // -j: the instructions attached, value by value; none without -b.
    let json = |args: &[&str]| -> Vec<serde_json::Value> {
        let r = run_tool(&ns, &common::rss_bin(), args, &[], Out::Piped);
        serde_json::from_str(&r.stdout).unwrap()
    };
    let with = json(&["-0aj", "-b"]);
    assert_eq!(with.len(), 3, "{with:?}");
    let filter_of = |proto: u64| {
        with.iter()
            .find(|s| s["local"]["protocol"] == proto)
            .unwrap_or_else(|| panic!("no packet socket of protocol {proto:#x}: {with:?}"))["packet"]
            .clone()
    };
    let want = |prog: &[libc::sock_filter]| -> serde_json::Value {
        prog.iter()
            .map(|i| serde_json::json!({"code": i.code, "jt": i.jt, "jf": i.jf, "k": i.k}))
            .collect()
    };
    let raw = filter_of(3);
    assert_eq!(raw["filter_len"], 6);
    assert_eq!(raw["filter"], want(&ip_tcp));
    let dgram = filter_of(0x800);
    assert_eq!(dgram["filter_len"], 1);
    assert_eq!(dgram["filter"], want(&accept_all));
    let plain = filter_of(0x86dd);
    assert!(
        plain.get("filter_len").is_none() && plain.get("filter").is_none(),
        "{plain}"
    );
    // Without -b: no filter; the rest of `packet` is -e's (as ss prints it).
    for s in json(&["-0aj"]) {
        assert!(s.get("packet").is_none(), "-j without -e or -b: {s}");
    }
    for s in json(&["-0aje"]) {
        let p = &s["packet"];
        assert!(
            p["flags"].is_u64() && p.get("filter").is_none() && p.get("filter_len").is_none(),
            "-j -e without -b: {s}"
        );
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
            let i = ours.stdout.first_difference(&theirs.stdout).unwrap_or(0);
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

/// The own-netlink-socket mask drops the diag tool's own netlink row and
/// nothing else: a line whose `NAME:N` token merely equals the tool's pid
/// (a port, `lastsnd:`, `rcvmss:`) is compared, not removed. In the
/// farm's `-tani`, the ages of some 20 to 130 sockets' `-i` lines equal
/// any given pid between about 10,600 and 24,000 (ages are multiples of
/// 4 ms), and 536 is every line's `rcvmss:`.
#[test]
fn own_netlink_row_mask_spares_other_lines() {
    let tani = "State Recv-Q Send-Q Local Address:Port Peer Address:Port\n\
                ESTAB 0      0          127.0.0.1:12344   127.0.0.1:40000\n\
                \t bbr wscale:10,10 rto:204 mss:32741 rcvmss:536 \
                lastsnd:12344 lastrcv:12344 lastack:12344 rcv_wnd:65483\n";
    let masked = "State Recv-Q Send-Q Local Address:Port Peer Address:Port\n\
                  ESTAB 0      0          127.0.0.1:12344   127.0.0.1:40000\n\
                  \t bbr wscale:10,10 rto:204 mss:32741 rcvmss:536 \
                  lastsnd:* lastrcv:* lastack:* rcv_wnd:65483\n";
    for pid in [12344, 536, 40000, 204] {
        assert_eq!(common::mask(tani, pid, false).text, masked, "pid {pid}");
    }
    // The own row is still dropped: by name, and with -n by port id.
    let all = "Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n\
               nl    UNCONN 0      0          rtnl:kernel           *\n\
               nl    UNCONN 4352   0      tcpdiag:rss/29735         *\n\
               tcp   ESTAB  0      0         127.0.0.1:29735 127.0.0.1:40000\n";
    assert_eq!(
        common::mask(all, 29735, false).text,
        "Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n\
         nl    UNCONN 0      0          rtnl:kernel           *\n\
         tcp   ESTAB  0      0         127.0.0.1:29735 127.0.0.1:40000\n"
    );
    let numeric = "State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n\
                   UNCONN 0      0                  0:0              *\n\
                   UNCONN 4352   0                  4:29736          *\n";
    assert_eq!(
        common::mask(numeric, 29736, true).text,
        "State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n\
         UNCONN 0      0                  0:0              *\n"
    );
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

/// Command names a process chose to be hostile (a `)`, a leading `)`, an
/// escape sequence, a newline, a quote, a non-ASCII letter) print in
/// `users:((...))` exactly as `ss` prints them: cut at the first `)` and
/// escaped (`sockdiag::ss::command_text`).
#[test]
fn hostile_command_names_as_ss() {
    use std::os::fd::IntoRawFd;
    require_privileged!();
    let oracle = require_oracle!();
    let ns = testkit::NetNs::new().expect("a private network namespace");
    let dir = std::env::temp_dir().join(format!("rss-comm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).unwrap();
    let names = ["a)b", ")x", "e\u{1b}[31mz", "n\nl", "q\"u", "caf\u{e9}"];
    let mut children = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let port = 7400 + i as u16;
        // A listener without close-on-exec, inherited by `sleep` run under
        // the hostile name, then closed here.
        let fd = ns.run(move || {
            let s =
                socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
            let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            s.bind(&addr.into()).unwrap();
            s.listen(4).unwrap();
            s.set_cloexec(false).unwrap();
            s.into_raw_fd()
        });
        children.push(
            testkit::spawn_named(&dir, name, "/bin/sleep", &["60"]).expect("sleep runs renamed"),
        );
        // SAFETY: `fd` is the listener's descriptor, owned here alone.
        drop(unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) });
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        oracle_compare(&ns, &oracle, &["-tlnp"])
    }));
    for mut c in children {
        let _ = c.kill();
        let _ = c.wait();
    }
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
