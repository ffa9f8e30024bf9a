//! Each socket's row: the Netid, State, queue, address, Process and
//! free-form tokens `ss` prints for inet, unix, packet and netlink sockets.
//! The `-i` fields are in [`super::tcpinfo`].

use std::io::Write;

use sockdiag::{Endpoint, Family, Socket, Table, UnixNameRef, ss};

use super::fmt;
use super::names::{Names, Transport};
use super::options::*;
use super::tcpinfo::{mptcp_stats, tcp_stats};

pub(super) fn build_row(
    row: &mut [Vec<u8>; COL_MAX],
    names: &mut Names,
    opts: &RenderOptions,
    s: &Socket,
) {
    row[COL_NETID].extend_from_slice(ss::netid_label(s.netid).as_bytes());
    row[COL_STATE].extend_from_slice(ss::socket_state_label(s).as_bytes());
    if opts.queues {
        // ss never fills Send-Q for packet sockets.
        let sendq = if s.family == Family::Packet {
            0
        } else {
            s.send_q
        };
        fmt::push_i64_left(&mut row[COL_RECVQ], (s.recv_q as i32).into(), 6);
        fmt::push_i64_left(&mut row[COL_SENDQ], (sendq as i32).into(), 6);
    }
    match s.family {
        Family::Inet | Family::Inet6 => inet_row(row, names, opts, s),
        Family::Unix => unix_row(row, opts, s),
        Family::Packet => packet_row(row, names, opts, s),
        Family::Netlink => netlink_row(row, names, opts, s),
        _ => {}
    }
    if opts.explain {
        let sep: &[u8] = if opts.oneline { b" " } else { b"\n\t" };
        row[COL_EXT].extend_from_slice(sep);
        row[COL_EXT].extend_from_slice(crate::explain::note(s).as_bytes());
    }
}

/// `--inet-sockopt`: the option words of `struct inet_diag_sockopt`, in
/// `ss`'s order and spelling.
fn inet_sockopt(ext: &mut Vec<u8>, oneline: bool, o: sockdiag::SockOpt) {
    use sockdiag::SockOpt as O;
    ext.extend_from_slice(if oneline {
        b" inet-sockopt: ("
    } else {
        b"\n\tinet-sockopt: ("
    });
    for (bit, word) in [
        (O::RECVERR, "recverr"),
        (O::IS_ICSK, "is_icsk"),
        (O::FREEBIND, "freebind"),
        (O::HDRINCL, "hdrincl"),
        (O::MC_LOOP, "mc_loop"),
        (O::TRANSPARENT, "transparent"),
        (O::MC_ALL, "mc_all"),
        (O::NODEFRAG, "nodefrag"),
        (O::BIND_ADDRESS_NO_PORT, "bind_addr_no_port"),
        (O::RECVERR_RFC4884, "recverr_rfc4884"),
        (O::DEFER_CONNECT, "defer_connect"),
    ] {
        if o.contains(bit) {
            ext.push(b' ');
            ext.extend_from_slice(word.as_bytes());
        }
    }
    ext.push(b')');
}

/// `proc_ctx_print`: ` users:(("comm",pid=N,fd=N),…)` in the Process column.
fn users(buf: &mut Vec<u8>, opts: &RenderOptions, s: &Socket) {
    if !opts.processes || s.processes().is_empty() || s.inode == 0 {
        return;
    }
    buf.extend_from_slice(b" users:(");
    for (i, p) in s.processes().iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"(\"");
        ss::push_command(buf, &p.command);
        out!(buf, "\",pid={},", p.pid);
        if opts.threads {
            out!(buf, "tid={},", p.tid.unwrap_or(p.pid));
        }
        out!(buf, "fd={})", p.fd);
    }
    buf.push(b')');
}

/// `format_host`: the resolved name with `-r` (bracketed when it has a
/// `:`), else the library's numeric text ([`ss::inet_host`]).
fn inet_host(buf: &mut Vec<u8>, names: &mut Names, opts: &RenderOptions, e: &ss::InetEnd) {
    if e.host.is_star() {
        buf.push(b'*');
        return;
    }
    match opts.resolve.then(|| names.host(e.addr)).flatten() {
        Some(h) if e.addr.is_ipv6() && h.contains(':') => out!(buf, "[{h}]"),
        Some(h) => buf.extend_from_slice(h.as_bytes()),
        // The dotted quad without core::fmt: every row prints two.
        None => match e.addr {
            std::net::IpAddr::V4(a) => fmt::push_ipv4(buf, &a),
            std::net::IpAddr::V6(_) => out!(buf, "{}", e.host),
        },
    }
}

fn inet_row(row: &mut [Vec<u8>; COL_MAX], names: &mut Names, opts: &RenderOptions, s: &Socket) {
    let transport = match s.netid {
        Table::Udp => Transport::Udp,
        Table::Raw => Transport::Raw,
        _ => Transport::Tcp,
    };
    for (col_addr, col_port, side) in [
        (COL_ADDR, COL_SERV, ss::Side::Local),
        (COL_RADDR, COL_RSERV, ss::Side::Peer),
    ] {
        let e = ss::inet_end(s, side);
        inet_host(&mut row[col_addr], names, opts, &e);
        if e.interface != 0 {
            row[col_addr].push(b'%');
            let n = names.ifname(e.interface).as_bytes().to_vec();
            row[col_addr].extend_from_slice(&n);
        }
        row[col_addr].push(b':');
        if e.port != 0 && names.numeric() {
            fmt::push_u64(&mut row[col_port], e.port.into());
        } else {
            let svc = names.service(e.port, transport);
            row[col_port].extend_from_slice(svc.as_bytes());
        }
    }
    users(&mut row[COL_PROC], opts, s);
    // Sockets read from /proc/net/{udp,raw} (no diag module; the only inet
    // sockets without a cookie): ss's dgram_show_line prints nothing more.
    if s.cookie.is_none() && matches!(s.netid, Table::Udp | Table::Raw) {
        return;
    }
    let ext = &mut row[COL_EXT];
    if (opts.timers || opts.extended)
        && let Some(t) = &s.timer
    {
        let ms = t.expires_ms;
        out!(
            ext,
            " timer:({},{},{})",
            t.kind.name(),
            fmt::ms_timer(ms),
            t.retransmits
        );
    }
    if opts.extended {
        details(ext, names, s);
        // The kernel sends v6only for IPv6 listeners and unconnected sockets.
        if s.family == Family::Inet6
            && let Some(v) = s.v6only
        {
            out!(ext, " v6only:{}", v as u8);
        }
        shutdown(ext, s);
    }
    if opts.tos {
        if let Some(t) = s.tos() {
            out!(ext, " tos:{}", fmt::alt_hex(t.into()));
        }
        if let Some(t) = s.tclass() {
            out!(ext, " tclass:{}", fmt::alt_hex(t.into()));
        }
        if let Some(c) = s.class_id() {
            out!(ext, " class_id:{}", fmt::alt_hex(c));
        }
    }
    if opts.cgroup
        && let Some(id) = s.cgroup_id
    {
        out!(ext, " cgroup:{}", names.cgroup_path(id));
    }
    if opts.inet_sockopt
        && let Some(o) = s.sockopt
    {
        inet_sockopt(ext, opts.oneline, o);
    }
    if opts.memory || (opts.info && s.netid != Table::Udp) {
        if !opts.oneline {
            ext.extend_from_slice(b"\n\t");
        }
        skmem(ext, s, true);
        // ss prints tcp_info whenever the kernel sent it, i.e. with -i.
        if opts.info {
            if let Some(mi) = s.mptcp_info() {
                mptcp_stats(ext, mi);
            } else if let Some(ti) = &s.tcp_info {
                tcp_stats(ext, opts, s, ti);
            }
        }
        // mptcp_show_info prints no ULP; tcp_show_info does.
        if s.netid != Table::Mptcp {
            if let Some(ulp) = s.ulp() {
                ext.extend_from_slice(b" tcp-ulp-");
                ext.extend_from_slice(ulp.as_bytes());
            }
            if let Some(t) = s.tls() {
                tls(ext, t);
            }
            if let Some(m) = s.mptcp_subflow() {
                mptcp_subflow(ext, m);
            }
        }
    }
}

/// ss's `tcp_tls_version`, `tcp_tls_cipher` and `tcp_tls_conf`: a kernel
/// TLS socket's ULP details, each printed when the kernel sent it (a cipher
/// ss does not know prints nothing).
fn tls(ext: &mut Vec<u8>, t: &sockdiag::TlsInfo) {
    match t.version {
        Some(0x0303) => ext.extend_from_slice(b" version: 1.2"),
        Some(0x0304) => ext.extend_from_slice(b" version: 1.3"),
        Some(v) => out!(ext, " version: unknown({v})"),
        None => {}
    }
    match t.cipher {
        Some(51) => ext.extend_from_slice(b" cipher: aes-gcm-128"),
        Some(52) => ext.extend_from_slice(b" cipher: aes-gcm-256"),
        _ => {}
    }
    for (name, conf) in [("rxconf", t.rxconf), ("txconf", t.txconf)] {
        match conf {
            Some(1) => out!(ext, " {name}: none"),
            Some(2) => out!(ext, " {name}: sw"),
            Some(3) => out!(ext, " {name}: hw"),
            Some(4) => out!(ext, " {name}: hw-record"),
            Some(v) => out!(ext, " {name}: unknown({v})"),
            None => {}
        }
    }
    if t.zc_ro_tx {
        ext.extend_from_slice(b" zc_ro_tx");
    }
    if t.rx_no_pad {
        ext.extend_from_slice(b" no_pad_rx");
    }
}

/// `mptcp_subflow_info`: an MPTCP subflow's ULP details, each printed when
/// the kernel sent it (the token only with both tokens and both ids).
fn mptcp_subflow(ext: &mut Vec<u8>, m: &sockdiag::MptcpSubflowInfo) {
    if let Some(flags) = m.flags.filter(|&f| f != 0) {
        ext.extend_from_slice(b" flags:");
        for (bit, letter) in [
            (0, b'M'),
            (1, b'm'),
            (2, b'J'),
            (3, b'j'),
            (4, b'B'),
            (5, b'b'),
            (6, b'e'),
            (7, b'c'),
            (8, b'v'),
        ] {
            if flags & 1 << bit != 0 {
                ext.push(letter);
            }
        }
    }
    if let (Some(tr), Some(tl), Some(ir), Some(il)) = (m.token_rem, m.token_loc, m.id_rem, m.id_loc)
    {
        out!(ext, " token:{tr:04x}(id:{ir})/{tl:04x}(id:{il})");
    }
    if let Some(v) = m.map_seq {
        out!(ext, " seq:{v}");
    }
    if let Some(v) = m.map_sfseq {
        out!(ext, " sfseq:{v}");
    }
    if let Some(v) = m.ssn_offset {
        out!(ext, " ssnoff:{v}");
    }
    if let Some(v) = m.map_datalen {
        out!(ext, " maplen:{v}");
    }
}

/// `sock_details_print`: ` uid:U ino:I sk:COOKIE fwmark:0xM cgroup:PATH`.
fn details(ext: &mut Vec<u8>, names: &mut Names, s: &Socket) {
    if let Some(uid) = s.uid.filter(|&u| u != 0) {
        out!(ext, " uid:{uid}");
    }
    ext.extend_from_slice(b" ino:");
    fmt::push_u64(ext, u64::from(s.inode as u32));
    ext.extend_from_slice(b" sk:");
    fmt::push_hex(ext, s.cookie.unwrap_or(0));
    if let Some(m) = s.mark.filter(|&m| m != 0) {
        out!(ext, " fwmark:{m:#x}");
    }
    if let Some(id) = s.cgroup_id.filter(|&c| c != 0) {
        out!(ext, " cgroup:{}", names.cgroup_path(id));
    }
}

/// The shutdown marker: `<->`, `<` and `>` replaced by `-` once shut.
fn shutdown(ext: &mut Vec<u8>, s: &Socket) {
    if let Some(sh) = s.shutdown {
        out!(
            ext,
            " {}-{}",
            if sh.recv { '-' } else { '<' },
            if sh.send { '-' } else { '>' }
        );
    }
}

/// `print_skmeminfo`; `legacy` falls back to `inet_diag_meminfo` as for inet sockets.
fn skmem(ext: &mut Vec<u8>, s: &Socket, legacy: bool) {
    if let Some(m) = &s.skmem {
        out!(
            ext,
            " skmem:(r{},rb{},t{},tb{},f{},w{},o{},bl{},d{})",
            m.rmem_alloc,
            m.rcvbuf,
            m.wmem_alloc,
            m.sndbuf,
            m.fwd_alloc,
            m.wmem_queued,
            m.optmem,
            m.backlog,
            m.drops
        );
    } else if let (true, Some(m)) = (legacy, &s.meminfo) {
        out!(
            ext,
            " mem:(r{},w{},f{},t{})",
            m.rmem,
            m.wmem,
            m.fmem,
            m.tmem
        );
    }
}

fn unix_row(row: &mut [Vec<u8>; COL_MAX], opts: &RenderOptions, s: &Socket) {
    let (name, inode) = match &s.local {
        Endpoint::Unix { name, inode } => (name.view(), if *inode != 0 { *inode } else { s.inode }),
        _ => (UnixNameRef::Unnamed, s.inode),
    };
    let a = &mut row[COL_ADDR];
    ss::push_unix_name(a, name);
    a.push(b' ');
    fmt::push_u64(&mut row[COL_SERV], inode);
    let peer = match s.peer {
        Endpoint::Unix { inode, .. } => inode,
        _ => 0,
    };
    row[COL_RADDR].extend_from_slice(b"* ");
    fmt::push_u64(&mut row[COL_RSERV], peer);
    users(&mut row[COL_PROC], opts, s);
    let ext = &mut row[COL_EXT];
    if opts.memory {
        skmem(ext, s, false);
    }
    if opts.extended {
        shutdown(ext, s);
        if let Some(u) = s.unix() {
            if let Some(v) = &u.vfs {
                out!(
                    ext,
                    " ino:{} dev:{}/{}",
                    v.ino,
                    fmt::dev_major(v.dev.into()),
                    fmt::dev_minor(v.dev.into())
                );
            }
            if let Some(icons) = &u.icons {
                ext.extend_from_slice(b" peers:");
                for i in icons {
                    out!(ext, " {i}");
                }
            }
        }
    }
}

fn packet_row(row: &mut [Vec<u8>; COL_MAX], names: &mut Names, opts: &RenderOptions, s: &Socket) {
    let (protocol, ifindex) = match s.local {
        Endpoint::Packet { protocol, ifindex } => (protocol, ifindex),
        _ => (0, 0),
    };
    if protocol == 3 {
        row[COL_ADDR].push(b'*');
    } else {
        row[COL_ADDR].extend_from_slice(names.eth_proto(protocol).as_bytes());
    }
    row[COL_ADDR].push(b':');
    if ifindex == 0 {
        row[COL_SERV].push(b'*');
    } else {
        row[COL_SERV].extend_from_slice(names.ifname(ifindex).as_bytes());
    }
    row[COL_RADDR].push(b'*');
    users(&mut row[COL_PROC], opts, s);
    let ext = &mut row[COL_EXT];
    if opts.extended {
        // Packet sockets carry no mark or cgroup in packet_diag.
        if let Some(uid) = s.uid.filter(|&u| u != 0) {
            out!(ext, " uid:{uid}");
        }
        out!(
            ext,
            " ino:{} sk:{:x}",
            s.inode as u32,
            s.cookie.unwrap_or(0)
        );
        if let Some(p) = s.packet() {
            let nl = if opts.oneline { " " } else { "\n\t" };
            out!(
                ext,
                "{nl}ver:{} cpy_thresh:{} flags( ",
                p.version as i32,
                p.copy_thresh as i32
            );
            for (bit, word) in [
                (0x1, "running"),
                (0x2, " auxdata"),
                (0x4, " origdev"),
                (0x8, " vnethdr"),
                (0x10, " loss"),
            ] {
                if p.flags & bit != 0 {
                    ext.extend_from_slice(word.as_bytes());
                }
            }
            if p.flags == 0 {
                ext.push(b'0');
            }
            ext.extend_from_slice(b" )");
            if let Some(f) = p.fanout {
                out!(ext, "{nl}fanout(id:{},type:", (f & 0xffff) as i32);
                match (f >> 16) & 0xffff {
                    0 => ext.extend_from_slice(b"hash"),
                    1 => ext.extend_from_slice(b"lb"),
                    2 => ext.extend_from_slice(b"cpu"),
                    3 => ext.extend_from_slice(b"roll"),
                    4 => ext.extend_from_slice(b"random"),
                    5 => ext.extend_from_slice(b"qm"),
                    t => out!(ext, "{t:#x}"),
                }
                ext.push(b')');
            }
        }
    }
    // -b: the attached classic BPF filter, `{code, jt, jf, k}` each.
    if opts.bpf
        && let Some(p) = s.packet()
        && let Some(n) = p.filter_len
    {
        let nl = if opts.oneline { " " } else { "\n\t" };
        out!(ext, "{nl}bpf filter ({}): ", n as i32);
        for f in p.filter.iter().take(n as usize) {
            out!(ext, " 0x{:02x} {} {} {},", f.code, f.jt, f.jf, f.k);
        }
    }
    if opts.memory {
        skmem(ext, s, false);
    }
}

fn netlink_row(row: &mut [Vec<u8>; COL_MAX], names: &mut Names, opts: &RenderOptions, s: &Socket) {
    let (protocol, portid) = match s.local {
        Endpoint::Netlink {
            protocol, portid, ..
        } => (protocol, portid),
        _ => (0, 0),
    };
    row[COL_ADDR].extend_from_slice(names.netlink_proto(protocol).as_bytes());
    row[COL_ADDR].push(b':');
    let port = names.netlink_port(portid);
    row[COL_SERV].extend_from_slice(port.as_bytes());
    match ss::netlink_peer(s) {
        Some((group, portid)) => {
            out!(row[COL_RADDR], "{}:", group as i32);
            out!(row[COL_RSERV], "{}", portid as i32);
        }
        None => row[COL_RADDR].push(b'*'),
    }
    // ss prints no users for netlink sockets, and its details land in the
    // Process column (lost when that column is off).
    let p = &mut row[COL_PROC];
    if opts.extended {
        let groups = s.netlink().map_or(0u32, |n| {
            n.groups
                .iter()
                .filter(|&&g| (1..=32).contains(&g))
                .fold(0, |m, &g| m | 1 << (g - 1))
        });
        out!(p, " sk=0 cb=0 groups=0x{groups:08x}");
    }
    if opts.memory {
        p.push(b'\t');
        skmem(p, s, false);
    }
}
