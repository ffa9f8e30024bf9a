//! Property tests: no public (or decoding) entry point panics on any value
//! a caller or the kernel can hand it, and what the filter compiler emits
//! always passes the kernel's audit.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use crate::filter::{
    CondFamily, Expr, Filter, FilterContext, HostCond, audit, glob_match, parse_with, run_bytecode,
};
use crate::model::*;
use crate::ss::{split_words, words_from_file_text};
use crate::{MptcpInfo, TcpInfo};

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|b| IpAddr::V4(Ipv4Addr::from(b))),
        any::<[u8; 16]>().prop_map(|b| IpAddr::V6(Ipv6Addr::from(b))),
        // v4-mapped IPv6, where IPv4 conditions apply too.
        any::<[u8; 4]>().prop_map(|b| IpAddr::V6(Ipv4Addr::from(b).to_ipv6_mapped())),
    ]
}

fn unix_name() -> impl Strategy<Value = UnixName> {
    prop_oneof![
        Just(UnixName::UNNAMED),
        proptest::collection::vec(any::<u8>(), 0..120).prop_map(|b| UnixName::from_sun_path(&b)),
    ]
}

fn endpoint() -> impl Strategy<Value = Endpoint> {
    prop_oneof![
        (ip(), any::<u16>()).prop_map(|(addr, port)| Endpoint::Inet { addr, port }),
        (unix_name(), any::<u64>()).prop_map(|(name, inode)| Endpoint::Unix { name, inode }),
        (any::<u16>(), any::<u32>())
            .prop_map(|(protocol, ifindex)| Endpoint::Packet { protocol, ifindex }),
        (any::<u8>(), any::<u32>(), any::<u32>()).prop_map(|(protocol, portid, group)| {
            Endpoint::Netlink {
                protocol,
                portid,
                group,
            }
        }),
        Just(Endpoint::None),
    ]
}

const TABLES: [Table; 10] = [
    Table::Tcp,
    Table::Udp,
    Table::Raw,
    Table::Mptcp,
    Table::UnixStream,
    Table::UnixDgram,
    Table::UnixSeqpacket,
    Table::PacketRaw,
    Table::PacketDgram,
    Table::Netlink,
];

const FAMILIES: [Family; 5] = [
    Family::Inet,
    Family::Inet6,
    Family::Unix,
    Family::Packet,
    Family::Netlink,
];

fn socket() -> impl Strategy<Value = Socket> {
    (
        (0..TABLES.len(), 0..FAMILIES.len(), any::<u8>()),
        (endpoint(), endpoint()),
        (
            any::<u32>(),
            any::<Option<u32>>(),
            any::<Option<u64>>(),
            any::<u64>(),
        ),
    )
        .prop_map(
            |((t, f, st), (local, peer), (interface, mark, cgroup_id, inode))| {
                let mut s = Socket::new(TABLES[t], FAMILIES[f], State::from_kernel(st));
                s.local = local;
                s.peer = peer;
                s.interface = interface;
                s.mark = mark;
                s.cgroup_id = cgroup_id;
                s.inode = inode;
                s
            },
        )
}

fn hostcond() -> impl Strategy<Value = HostCond> {
    (
        prop_oneof![
            Just(CondFamily::Any),
            Just(CondFamily::Inet),
            Just(CondFamily::Inet6),
            Just(CondFamily::Unix),
        ],
        any::<[u8; 16]>(),
        any::<u8>(),
        any::<Option<u16>>(),
        proptest::option::of("[a-z/*?\\[\\]!^\\\\-]{0,12}"),
    )
        .prop_map(|(family, addr, prefix_len, port, glob)| HostCond {
            family,
            addr,
            prefix_len,
            port,
            glob,
        })
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        hostcond().prop_map(Expr::Src),
        hostcond().prop_map(Expr::Dst),
        any::<u16>().prop_map(Expr::SportGe),
        any::<u16>().prop_map(Expr::SportLe),
        any::<u16>().prop_map(Expr::DportGe),
        any::<u16>().prop_map(Expr::DportLe),
        any::<u32>().prop_map(Expr::Dev),
        (any::<u32>(), any::<u32>()).prop_map(|(mark, mask)| Expr::Mark { mark, mask }),
        any::<u64>().prop_map(Expr::Cgroup),
        Just(Expr::Autobound),
    ];
    leaf.prop_recursive(5, 32, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Expr::Not(Box::new(a))),
        ]
    })
}

/// Words of the filter language, mixed with arbitrary ones.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        prop_oneof![
            Just("src"),
            Just("dst"),
            Just("sport"),
            Just("dport"),
            Just("dev"),
            Just("fwmark"),
            Just("cgroup"),
            Just("autobound"),
            Just("and"),
            Just("or"),
            Just("not"),
            Just("!"),
            Just("("),
            Just(")"),
            Just("="),
            Just("!="),
            Just(">="),
            Just("<"),
            Just("eq"),
            Just(":22"),
            Just("*"),
            Just("10.0.0.0/8"),
            Just("10.0.0.1/40"),
            Just("[::1]/200"),
            Just("[::ffff:1.2.3.4]:80"),
            Just("unix:/run/*.sock"),
            Just("inet:*"),
            Just("0x10/0xf0"),
            Just("lo"),
        ]
        .prop_map(str::to_string),
        "[ -~]{0,12}",
    ]
}

/// Resolves nothing: property tests stay off the network.
struct NoResolver;

impl crate::filter::Resolver for NoResolver {
    fn service(&self, _name: &str) -> Option<u16> {
        None
    }
    fn ifindex(&self, _name: &str) -> Option<u32> {
        Some(1)
    }
    fn host(&self, _name: &str) -> Vec<IpAddr> {
        Vec::new()
    }
    fn cgroup(&self, _path: &str) -> Option<u64> {
        None
    }
}

fn context() -> impl Strategy<Value = FilterContext> {
    (any::<u16>(), any::<u16>()).prop_map(FilterContext::new)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn built_expressions_never_panic(e in expr(), s in socket(), ctx in context(), locked in any::<bool>()) {
        let _ = e.matches(&s, &ctx);
        let _ = e.to_string();
        match Filter::in_context(e.clone(), ctx) {
            Ok(f) => {
                let _ = f.matches(&s);
                if let Some(bc) = f.bytecode() {
                    prop_assert!(audit(bc).is_ok());
                    let _ = run_bytecode(bc, &s, locked);
                }
            }
            // Refused only when the kernel would refuse the program.
            Err(err) => prop_assert!(
                err.message.contains("rejected") || err.message.contains("too large"),
                "{err}"
            ),
        }
    }

    #[test]
    fn parsed_words_never_panic(words in proptest::collection::vec(word(), 0..16), s in socket()) {
        if let Ok(Some(e)) = parse_with(&words, &NoResolver) {
            let _ = e.matches(&s, &FilterContext::default());
            if let Ok(f) = Filter::in_context(e, FilterContext::default()) {
                let _ = f.matches(&s);
                if let Some(bc) = f.bytecode() {
                    prop_assert!(audit(bc).is_ok());
                    let _ = run_bytecode(bc, &s, false);
                }
            }
        }
    }

    #[test]
    fn text_helpers_never_panic(text in "\\PC{0,64}", pat in "[a-z*?\\[\\]!^\\\\-]{0,10}") {
        let _ = split_words(&text);
        let _ = words_from_file_text(&text);
        let _ = glob_match(&pat, &text);
        let _ = FilterContext::parse_port_range(&text);
    }

    #[test]
    fn arbitrary_bytecode_never_panics(bc in proptest::collection::vec(any::<u8>(), 0..96), s in socket(), locked in any::<bool>()) {
        let _ = audit(&bc);
        let _ = run_bytecode(&bc, &s, locked);
    }

    #[test]
    fn hostcond_programs_run_on_any_socket(code in 7u8..9, fam in prop_oneof![Just(0u8), Just(2), Just(10), any::<u8>()], plen in any::<u8>(), rest in proptest::collection::vec(any::<u8>(), 0..24), s in socket()) {
        let mut bc = vec![code, 28, 32, 0, fam, plen, 0, 0];
        bc.extend_from_slice(&rest);
        bc.resize(28, 0);
        let _ = audit(&bc);
        let _ = run_bytecode(&bc, &s, false);
    }

    #[test]
    fn message_decoders_never_panic(msg in proptest::collection::vec(any::<u8>(), 0..512), t in 0..TABLES.len()) {
        let _ = crate::inet::decode(TABLES[t], &msg);
        let _ = crate::inet::table_of(&msg);
        let _ = crate::unix::decode(&msg);
        let _ = crate::packet::decode(&msg);
        let _ = crate::netlink::decode(&msg);
        let _ = TcpInfo::from_bytes(&msg);
        let m = MptcpInfo::from_bytes(&msg);
        let _ = m.fields().count();
        let _ = SkMemInfo::from_bytes(&msg);
        let _ = UnixName::from_sun_path(&msg);
        // The public sans-I/O decoder, on the same bytes as a datagram.
        let mut d = crate::decode::decode_datagram(TABLES[t], &msg);
        for _ in d.by_ref() {}
        let _ = d.interrupted();
        for r in crate::wire::NlMsgs::new(&msg) {
            if r.is_err() {
                break;
            }
        }
    }

    /// A whole dump over recorded datagrams of any bytes (framed as
    /// netlink messages of the types a dump meets, lengths that lie
    /// included) never panics and always ends; so does reading a probe's
    /// answer from them.
    #[test]
    fn recorded_dumps_never_panic_and_end(
        msgs in proptest::collection::vec(
            (prop_oneof![Just(1u16), Just(2), Just(3), Just(20), any::<u16>()],
             any::<u16>(), any::<bool>(),
             proptest::collection::vec(any::<u8>(), 0..160)),
            0..8),
        t in 0..TABLES.len(),
        all in any::<bool>(),
    ) {
        let mut datagrams = Vec::new();
        for (ty, flags, honest, payload) in msgs {
            let len = if honest { 16 + payload.len() as u32 } else { u32::from(flags) };
            let mut d = Vec::with_capacity(16 + payload.len());
            d.extend_from_slice(&len.to_ne_bytes());
            d.extend_from_slice(&ty.to_ne_bytes());
            d.extend_from_slice(&flags.to_ne_bytes());
            d.extend_from_slice(&[0u8; 8]);
            d.extend_from_slice(&payload);
            let _ = crate::query::probe_answer(&d);
            datagrams.push(d);
        }
        let query = if all { crate::Query::all() } else { crate::Query::new(TABLES[t].bit()) };
        let mut conn = crate::Connection::from_datagrams(datagrams);
        let mut n = 0usize;
        for _ in conn.dump(&query) {
            n += 1;
            prop_assert!(n < 100_000, "the dump does not end");
        }
    }

    #[test]
    fn inet_messages_with_attributes_never_panic(
        head in proptest::collection::vec(any::<u8>(), 72..=72),
        attrs in proptest::collection::vec((any::<u16>(), 0u16..64, proptest::collection::vec(any::<u8>(), 0..64)), 0..8),
        t in 0..4usize,
    ) {
        // A well-framed header and attributes of any type and length
        // (lengths that lie included).
        let mut msg = head;
        msg[0] = [2, 10][t % 2];
        for (ty, len, payload) in attrs {
            msg.extend_from_slice(&len.to_ne_bytes());
            msg.extend_from_slice(&(ty % 32).to_ne_bytes());
            msg.extend_from_slice(&payload);
        }
        let _ = crate::inet::decode(TABLES[t], &msg);
        let _ = crate::unix::decode(&msg);
        let _ = crate::packet::decode(&msg);
        let _ = crate::netlink::decode(&msg);
    }

    #[test]
    fn proc_parsers_never_panic(line in "\\PC{0,200}", t in 0..TABLES.len(), f in 0..2usize) {
        let _ = crate::procnet::parse_line(TABLES[t], FAMILIES[f], &line);
    }

    #[test]
    fn proc_lines_of_the_right_shape_never_panic(
        fields in proptest::collection::vec(prop_oneof!["[0-9A-F]{1,32}", "[0-9A-F]{8}:[0-9A-F]{4}", "[0-9A-F]{32}:[0-9A-F]{4}", "[0-9]{1,22}", "@?[ -~]{0,20}"], 0..20),
        t in 0..TABLES.len(),
        f in 0..2usize,
    ) {
        let line = fields.join(" ");
        let _ = crate::procnet::parse_line(TABLES[t], FAMILIES[f], &line);
        let line = format!("   0: {line}");
        let _ = crate::procnet::parse_line(TABLES[t], FAMILIES[f], &line);
    }

    #[test]
    fn summary_parsers_never_panic(a in "\\PC{0,200}", b in "\\PC{0,200}", c in "\\PC{0,200}") {
        let _ = crate::Summary::parse(&a, &b, &c);
        let _ = crate::TcpCounters::parse(&a, &b);
        let _ = crate::snmp_field(&a, &b, &c);
    }
}

fn subflow() -> impl Strategy<Value = MptcpSubflowInfo> {
    (
        (
            any::<Option<u32>>(),
            any::<Option<u32>>(),
            any::<Option<u32>>(),
            any::<Option<u64>>(),
            any::<Option<u32>>(),
        ),
        (
            any::<Option<u32>>(),
            any::<Option<u16>>(),
            any::<Option<u32>>(),
            any::<Option<u8>>(),
            any::<Option<u8>>(),
        ),
    )
        .prop_map(
            |((tr, tl, rw, seq, sfseq), (ssn, len, flags, ir, il))| MptcpSubflowInfo {
                token_rem: tr,
                token_loc: tl,
                relwrite_seq: rw,
                map_seq: seq,
                map_sfseq: sfseq,
                ssn_offset: ssn,
                map_datalen: len.map(u32::from),
                flags,
                id_rem: ir,
                id_loc: il,
            },
        )
}

/// An `inet_diag_msg` of a TCP subflow whose `INET_DIAG_ULP_INFO` nests the
/// name `mptcp` and `m` as the kernel lays it out (mptcp/diag.c: a u16
/// datalen, u8 ids, a pad attribute before the u64 when `pad`).
fn subflow_message(m: &MptcpSubflowInfo, pad: bool) -> Vec<u8> {
    use crate::consts::*;
    use crate::wire::push_attr;
    let mut sf = Vec::new();
    let mut put = |ty: u16, v: Option<Vec<u8>>| {
        if let Some(v) = v {
            push_attr(&mut sf, ty, &v);
        }
    };
    put(
        MPTCP_SUBFLOW_ATTR_TOKEN_REM,
        m.token_rem.map(|v| v.to_ne_bytes().to_vec()),
    );
    put(
        MPTCP_SUBFLOW_ATTR_TOKEN_LOC,
        m.token_loc.map(|v| v.to_ne_bytes().to_vec()),
    );
    put(
        MPTCP_SUBFLOW_ATTR_RELWRITE_SEQ,
        m.relwrite_seq.map(|v| v.to_ne_bytes().to_vec()),
    );
    if pad {
        put(11, Some(Vec::new())); // MPTCP_SUBFLOW_ATTR_PAD
    }
    put(
        MPTCP_SUBFLOW_ATTR_MAP_SEQ,
        m.map_seq.map(|v| v.to_ne_bytes().to_vec()),
    );
    put(
        MPTCP_SUBFLOW_ATTR_MAP_SFSEQ,
        m.map_sfseq.map(|v| v.to_ne_bytes().to_vec()),
    );
    put(
        MPTCP_SUBFLOW_ATTR_SSN_OFFSET,
        m.ssn_offset.map(|v| v.to_ne_bytes().to_vec()),
    );
    put(
        MPTCP_SUBFLOW_ATTR_MAP_DATALEN,
        m.map_datalen.map(|v| (v as u16).to_ne_bytes().to_vec()),
    );
    put(
        MPTCP_SUBFLOW_ATTR_FLAGS,
        m.flags.map(|v| v.to_ne_bytes().to_vec()),
    );
    put(MPTCP_SUBFLOW_ATTR_ID_REM, m.id_rem.map(|v| vec![v]));
    put(MPTCP_SUBFLOW_ATTR_ID_LOC, m.id_loc.map(|v| vec![v]));
    let mut ulp = Vec::new();
    push_attr(&mut ulp, INET_ULP_INFO_NAME, b"mptcp\0");
    push_attr(&mut ulp, INET_ULP_INFO_MPTCP, &sf);
    let mut msg = vec![0u8; INET_DIAG_MSG_LEN];
    msg[0] = 2; // AF_INET
    msg[1] = 1; // TCP_ESTABLISHED
    push_attr(&mut msg, INET_DIAG_ULP_INFO, &ulp);
    msg
}

fn tls_info() -> impl Strategy<Value = TlsInfo> {
    (
        any::<Option<u16>>(),
        any::<Option<u16>>(),
        any::<Option<u16>>(),
        any::<Option<u16>>(),
        any::<bool>(),
        any::<bool>(),
        any::<Option<u16>>(),
    )
        .prop_map(
            |(version, cipher, txconf, rxconf, zc, nopad, maxlen)| TlsInfo {
                version,
                cipher,
                txconf,
                rxconf,
                zc_ro_tx: zc,
                rx_no_pad: nopad,
                tx_max_payload_len: maxlen,
            },
        )
}

/// An `inet_diag_msg` whose `INET_DIAG_ULP_INFO` nests the name `tls` and
/// `t` as the kernel lays it out (tls_main.c: u16s, empty flags).
fn tls_message(t: &TlsInfo) -> Vec<u8> {
    use crate::consts::*;
    use crate::wire::push_attr;
    let mut nest = Vec::new();
    for (ty, v) in [
        (TLS_INFO_VERSION, t.version),
        (TLS_INFO_CIPHER, t.cipher),
        (TLS_INFO_TXCONF, t.txconf),
        (TLS_INFO_RXCONF, t.rxconf),
        (TLS_INFO_TX_MAX_PAYLOAD_LEN, t.tx_max_payload_len),
    ] {
        if let Some(v) = v {
            push_attr(&mut nest, ty, &v.to_ne_bytes());
        }
    }
    if t.zc_ro_tx {
        push_attr(&mut nest, TLS_INFO_ZC_RO_TX, &[]);
    }
    if t.rx_no_pad {
        push_attr(&mut nest, TLS_INFO_RX_NO_PAD, &[]);
    }
    let mut ulp = Vec::new();
    push_attr(&mut ulp, INET_ULP_INFO_NAME, b"tls\0");
    push_attr(&mut ulp, INET_ULP_INFO_TLS, &nest);
    let mut msg = vec![0u8; INET_DIAG_MSG_LEN];
    msg[0] = 10; // AF_INET6
    msg[1] = 1; // TCP_ESTABLISHED
    push_attr(&mut msg, INET_DIAG_ULP_INFO, &ulp);
    msg
}

/// Classic BPF instructions as `PACKET_DIAG_FILTER` carries them.
fn filter_bytes(f: &[SockFilter]) -> Vec<u8> {
    f.iter().flat_map(|i| i.to_bytes()).collect()
}

proptest! {
    #[test]
    fn subflow_info_decodes_as_the_kernel_encodes_it(m in subflow(), pad in any::<bool>()) {
        let s = crate::inet::decode(Table::Tcp, &subflow_message(&m, pad)).unwrap();
        prop_assert_eq!(s.ulp().map(|u| u.as_bytes().to_vec()), Some(b"mptcp".to_vec()));
        prop_assert_eq!(s.mptcp_subflow(), Some(&m));
    }

    #[test]
    fn tls_info_decodes_as_the_kernel_encodes_it(t in tls_info()) {
        let s = crate::inet::decode(Table::Tcp, &tls_message(&t)).unwrap();
        prop_assert_eq!(s.ulp().map(|u| u.as_bytes().to_vec()), Some(b"tls".to_vec()));
        prop_assert_eq!(s.tls(), Some(&t));
    }

    #[test]
    fn packet_filters_decode_as_the_kernel_encodes_them(
        f in proptest::collection::vec((any::<u16>(), any::<u8>(), any::<u8>(), any::<u32>()), 0..40),
        ragged in 0usize..8,
    ) {
        let f: Vec<SockFilter> = f.into_iter().map(|(c, t, e, k)| SockFilter::new(c, t, e, k)).collect();
        let mut msg = vec![0u8; crate::consts::PACKET_DIAG_MSG_LEN];
        msg[0] = 17; // AF_PACKET
        msg[1] = 3; // SOCK_RAW
        let mut bytes = filter_bytes(&f);
        // A trailing part of an instruction is no instruction (ss: payload / 8).
        bytes.extend(std::iter::repeat_n(0xee, ragged));
        crate::wire::push_attr(&mut msg, crate::consts::PACKET_DIAG_FILTER, &bytes);
        let s = crate::packet::decode(&msg).unwrap().unwrap();
        let p = s.packet().unwrap().clone();
        prop_assert_eq!(p.filter_len, Some(f.len() as u32));
        prop_assert_eq!(p.filter, f);
    }
}

#[test]
fn long_prefixes_do_not_panic() {
    // The cases: a prefix of 40 bits on an IPv4 condition judged on
    // a v4-mapped IPv6 socket, and a program with a prefix of 200 bits.
    let mut s = Socket::new(Table::Tcp, Family::Inet6, State::Established);
    s.local = Endpoint::Inet {
        addr: IpAddr::V6(Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped()),
        port: 1,
    };
    let mut addr = [0u8; 16];
    addr[..4].copy_from_slice(&[10, 0, 0, 1]);
    let e = Expr::Src(HostCond {
        family: CondFamily::Inet,
        addr,
        prefix_len: 40,
        port: None,
        glob: None,
    });
    assert!(e.matches(&s, &FilterContext::default()));
    // The kernel would refuse this program: an error, not a silent drop.
    let err = Filter::in_context(e, FilterContext::default()).unwrap_err();
    assert!(err.message.contains("prefix longer"), "{err}");
    let mut bc = vec![7u8, 28, 32, 0, 10, 200, 0, 0, 0xff, 0xff, 0xff, 0xff];
    bc.extend_from_slice(&[0; 16]);
    assert!(audit(&bc).is_err());
    assert!(!run_bytecode(&bc, &s, false));
}

#[test]
fn bytecode_and_filter_commute() {
    let f = Filter::parse_str("sport = :22").unwrap();
    let nop = vec![0u8, 4, 8, 0];
    let a = crate::Query::tcp()
        .bytecode(nop.clone())
        .unwrap()
        .filter(f.clone());
    let b = crate::Query::tcp().filter(f).bytecode(nop).unwrap();
    assert_eq!(a, b);
    // A program the kernel would refuse is refused here.
    assert!(matches!(
        crate::Query::tcp().bytecode(vec![7, 4, 8, 0]),
        Err(crate::Error::Bytecode(_))
    ));
}

#[cfg(feature = "serde")]
proptest! {
    #[test]
    fn any_socket_round_trips_through_json(
        mut s in socket(),
        info in proptest::option::of(proptest::collection::vec(any::<u8>(), crate::TCP_INFO_LEN..=crate::TCP_INFO_LEN)),
        mptcp in proptest::option::of(proptest::collection::vec(any::<u8>(), crate::MPTCP_INFO_LEN..=crate::MPTCP_INFO_LEN)),
        timer in proptest::option::of((1u8..=255, any::<u32>(), any::<u8>())),
        sf in proptest::option::of(subflow()),
        tls in proptest::option::of(tls_info()),
        filter in proptest::option::of(proptest::collection::vec((any::<u16>(), any::<u8>(), any::<u8>(), any::<u32>()), 0..8)),
    ) {
        s.detail_or_insert().mptcp_subflow = sf;
        s.detail_or_insert().tls = tls;
        s.detail_or_insert().packet = filter.map(|f| PacketInfo {
            filter_len: Some(f.len() as u32),
            filter: f.into_iter().map(|(c, t, e, k)| SockFilter::new(c, t, e, k)).collect(),
            ..PacketInfo::default()
        });
        // The 5 bits after the bit-fields of byte 7 are zero on the wire.
        s.tcp_info = info.map(|mut b| {
            b[7] &= 7;
            TcpInfo::from_bytes(&b)
        });
        // Holes of struct mptcp_info are zero on the wire.
        s.detail_or_insert().mptcp_info = mptcp.map(|mut b| {
            b[6] = 0;
            b[7] = 0;
            b[43] = 0;
            b[83] = 0;
            MptcpInfo::from_bytes(&b)
        });
        s.timer = timer.map(|(k, ms, r)| Timer::new(TimerKind::from_kernel(k).unwrap(), ms, r));
        let text = serde_json::to_string(&s).unwrap();
        let back: Socket = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, s);
    }
}

// The counter and limit parsers (`ss -s`, the sampler's counters and
// limits, `autobound`'s port range): any bytes, read as the text a file
// reader would hand over, never panic; a table written in the kernel's
// format parses back to the values written.

/// Bytes as the parsers receive them: text, lossily.
fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A section of an snmp-style file: its name and its `(key, value)` pairs,
/// keys distinct; a value may be negative (`Tcp: MaxConn` is `-1`).
fn snmp_section() -> impl Strategy<Value = (String, Vec<(String, i64)>)> {
    (
        "[A-Z][A-Za-z0-9]{0,9}",
        proptest::collection::btree_map(
            "[A-Z][A-Za-z0-9]{0,15}",
            prop_oneof![
                4 => 0..=i64::MAX,
                1 => i64::MIN..0,
            ],
            0..12,
        ),
    )
        .prop_map(|(name, keys)| (name, keys.into_iter().collect()))
}

/// Distinct sections.
fn snmp_sections() -> impl Strategy<Value = Vec<(String, Vec<(String, i64)>)>> {
    proptest::collection::vec(snmp_section(), 0..6).prop_map(|v| {
        let mut seen = std::collections::BTreeSet::new();
        v.into_iter()
            .filter(|(n, _)| seen.insert(n.clone()))
            .collect()
    })
}

/// `/proc/net/snmp` and `netstat` as `net/ipv4/proc.c` prints them: a line
/// of keys, then a line of values, each after `Section:`.
fn snmp_text(sections: &[(String, Vec<(String, i64)>)]) -> String {
    let mut out = String::new();
    for (name, kv) in sections {
        out.push_str(name);
        out.push(':');
        for (k, _) in kv {
            out.push(' ');
            out.push_str(k);
        }
        out.push('\n');
        out.push_str(name);
        out.push(':');
        for (_, v) in kv {
            out.push_str(&format!(" {v}"));
        }
        out.push('\n');
    }
    out
}

proptest! {
    #[test]
    fn counter_and_limit_parsers_never_panic(
        a in proptest::collection::vec(any::<u8>(), 0..300),
        b in proptest::collection::vec(any::<u8>(), 0..300),
        c in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let (a, b, c) = (text_of(&a), text_of(&b), text_of(&c));
        let _ = crate::sample::Counters::parse(&a, &b, &c);
        let _ = crate::sample::Limits::parse(&a, &b);
        let _ = crate::Summary::parse(&a, &b, &c);
        let _ = crate::TcpCounters::parse(&a, &b);
        let _ = crate::snmp_field(&a, &b, &c);
        let _ = FilterContext::parse_port_range(&a);
    }

    #[test]
    fn snmp_tables_parse_back(
        netstat in snmp_sections(),
        snmp in snmp_sections(),
        snmp6 in proptest::collection::btree_map(
            (0..6usize, "[A-Z][A-Za-z0-9]{0,20}"),
            any::<u64>(),
            0..16,
        ),
    ) {
        // snmp and netstat never share a section name.
        let snmp: Vec<_> = snmp
            .into_iter()
            .filter(|(n, _)| netstat.iter().all(|(m, _)| m != n))
            .collect();
        let (netstat_text, snmp_text) = (snmp_text(&netstat), snmp_text(&snmp));
        // snmp6: `%-32s\t%lu` per line, the section a prefix of the name.
        let prefixes = ["Ip6", "Icmp6", "Udp6", "UdpLite6", "Tcp6", "Snmp6"];
        let mut snmp6_text = String::new();
        let mut want = std::collections::BTreeMap::new();
        for ((p, rest), v) in &snmp6 {
            let (name, key) = match prefixes[*p] {
                // A name outside the known sections lands under `Snmp6`.
                "Snmp6" => (format!("X{rest}"), format!("Snmp6.X{rest}")),
                p => (format!("{p}{rest}"), format!("{p}.{rest}")),
            };
            snmp6_text.push_str(&format!("{name:<32}\t{v}\n"));
            want.insert(key, *v);
        }
        for (section, kv) in netstat.iter().chain(&snmp) {
            for (k, v) in kv {
                let text = if netstat.iter().any(|(n, _)| n == section) { &netstat_text } else { &snmp_text };
                let written = v.to_string();
                prop_assert_eq!(crate::snmp_field(text, section, k), Some(written.as_str()));
                if let Ok(v) = u64::try_from(*v) {
                    want.insert(format!("{section}.{k}"), v);
                }
            }
        }
        let got = crate::sample::Counters::parse(&netstat_text, &snmp_text, &snmp6_text);
        let got: std::collections::BTreeMap<String, u64> =
            got.iter().map(|(k, v)| (k.to_owned(), v)).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn tcp_counters_parse_back(
        v in proptest::array::uniform5(any::<u64>()),
        other in snmp_sections(),
    ) {
        let other: Vec<_> = other.into_iter().filter(|(n, _)| n != "Tcp" && n != "TcpExt").collect();
        let mut snmp = other.clone();
        snmp.push(("Tcp".into(), vec![
            ("RtoAlgorithm".into(), 1),
            ("MaxConn".into(), -1),
            ("AttemptFails".into(), v[0] as i64 & i64::MAX),
            ("EstabResets".into(), v[1] as i64 & i64::MAX),
            ("OutRsts".into(), v[2] as i64 & i64::MAX),
        ]));
        let mut netstat = other;
        netstat.insert(0, ("TcpExt".into(), vec![
            ("SyncookiesSent".into(), 0),
            ("ListenOverflows".into(), v[3] as i64 & i64::MAX),
            ("ListenDrops".into(), v[4] as i64 & i64::MAX),
        ]));
        let c = crate::TcpCounters::parse(&snmp_text(&snmp), &snmp_text(&netstat));
        let m = |x: u64| x & i64::MAX as u64;
        prop_assert_eq!(
            (c.attempt_fails, c.estab_resets, c.out_rsts, c.listen_overflows, c.listen_drops),
            (m(v[0]), m(v[1]), m(v[2]), m(v[3]), m(v[4]))
        );
    }

    #[test]
    fn sockstat_parses_back(v in proptest::array::uniform19(any::<u32>())) {
        // `net/ipv4/proc.c` and `net/ipv6/proc.c`, field for field.
        let sockstat = format!(
            "sockets: used {}\nTCP: inuse {} orphan {} tw {} alloc {} mem {}\nUDP: inuse {} mem {}\nUDPLITE: inuse {}\nRAW: inuse {}\nFRAG: inuse {} memory {}\n",
            v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]
        );
        let sockstat6 = format!(
            "TCP6: inuse {}\nUDP6: inuse {}\nUDPLITE6: inuse {}\nRAW6: inuse {}\nFRAG6: inuse {} memory {}\n",
            v[12], v[13], v[14], v[15], v[16], v[17]
        );
        let snmp = snmp_text(&[("Tcp".into(), vec![("MaxConn".into(), -1), ("CurrEstab".into(), i64::from(v[18]))])]);
        let s = crate::Summary::parse(&sockstat, &sockstat6, &snmp);
        let got = [
            s.sockets_used, s.tcp_inuse, s.tcp_orphan, s.tcp_tw, s.tcp_alloc, s.tcp_mem,
            s.udp_inuse, s.udp_mem, s.udplite_inuse, s.raw_inuse, s.frag_inuse, s.frag_memory,
            s.tcp6_inuse, s.udp6_inuse, s.udplite6_inuse, s.raw6_inuse, s.frag6_inuse,
            s.frag6_memory, s.tcp_estab,
        ];
        prop_assert_eq!(got, v.map(u64::from));
    }

    #[test]
    fn limits_parse_back(tw in any::<u32>(), lo in any::<u16>(), hi in any::<u16>()) {
        // `proc_dointvec` prints one value per line, a vector tab-separated.
        let l = crate::sample::Limits::parse(&format!("{tw}\n"), &format!("{lo}\t{hi}\n"));
        prop_assert_eq!(l.tcp_max_tw_buckets, Some(u64::from(tw)));
        prop_assert_eq!(l.ip_local_port_range, Some((lo, hi)));
        let ctx = FilterContext::parse_port_range(&format!("{lo}\t{hi}\n"));
        prop_assert_eq!(ctx.map(|c| c.local_port_range()), Some((lo, hi)));
    }
}
