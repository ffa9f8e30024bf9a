//! `-j` value by value. One TCP dump is recorded with `rss -D` in a private
//! namespace holding sockets with timers, queued bytes, `tcp_info`, skmem,
//! an owner other than root, a mark, a TOS and a cgroup; the file is then
//! replayed (`TCPDIAG_FILE`) with each detail flag alone and combined, as a
//! table and as `-j`. Both outputs come from the same bytes, so nothing
//! that moves between runs can excuse a difference. For every socket:
//!
//! - every token of the table row has the same value in the JSON object,
//!   after the conversion rule named next to it (`ss`'s printing rules:
//!   `%g` of milliseconds for times kept in microseconds, bits per second
//!   for rates kept in bytes per second, hex for the cookie, ...); a token
//!   the test does not know fails it;
//! - every JSON field the flags ask for is printed in the row, unless it is
//!   a value `ss` leaves out (a zero, a `LISTEN` row's backlog, ...: each
//!   rule is named in [`unprinted`]);
//! - every JSON value equals the library's for the same socket (the same
//!   file decoded with `sockdiag::Query::tcp_from_file`), and the JSON has
//!   exactly the library's fields that the flags ask for.
//!
//! `-D` records the TCP table only, so UDP, unix and packet sockets are
//! dumped live instead, in a namespace where they are idle (their values
//! cannot move between the dumps), with the same checks. Netlink sockets
//! are left out: every dump lists the dumping tool's own diag socket and
//! the kernel's diag socket with a queue that moves (the two rows
//! `MASKED` in `tests/common/mod.rs` for the differential tests).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use socket2::{Domain, Protocol, Socket, Type};
use testkit::{NetNs, require_privileged};

/// The flag sets replayed: each detail flag alone, pairs, and all at once.
const FLAG_SETS: &[&[&str]] = &[
    &[],
    &["-e"],
    &["-m"],
    &["-i"],
    &["-o"],
    &["-p"],
    &["-p", "-T"],
    &["--tos"],
    &["--cgroup"],
    &["-o", "-e"],
    &["-i", "-m"],
    &["-e", "-i", "-m", "-o", "-p", "-T", "--tos", "--cgroup"],
];

fn rss_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rss"))
}

/// `rss ARGS` inside `ns`, replaying `file` when given; stdout.
fn rss_in(ns: &NetNs, args: &[&str], file: Option<&Path>) -> String {
    let mut c: Command = ns.command(rss_bin());
    c.args(args).env_remove("TCPDIAG_FILE");
    if let Some(f) = file {
        c.env("TCPDIAG_FILE", f);
    }
    let o = c.output().expect("rss");
    assert_eq!(
        o.status.code(),
        Some(0),
        "rss {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn setsockopt_int(s: &impl AsRawFd, level: i32, name: i32, v: i32) {
    // SAFETY: an int option on a descriptor this test owns.
    let r = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            level,
            name,
            (&v as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    assert_eq!(r, 0, "setsockopt {level}/{name}");
}

/// The sockets of the recording, made on the namespace thread; kept open
/// while the file is replayed so that `-p` finds their owners.
fn make_sockets() -> Vec<Socket> {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let tcp = || Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).unwrap();
    let l = testkit::listener(any, 16, None).unwrap();
    let at: SocketAddr = l.local_addr().unwrap().as_socket().unwrap();
    let mut keep = Vec::new();
    // A keepalive timer, a TOS, a mark; 100 unread bytes at the peer.
    let c1 = tcp();
    c1.set_keepalive(true).unwrap();
    setsockopt_int(&c1, libc::IPPROTO_IP, libc::IP_TOS, 0x10);
    setsockopt_int(&c1, libc::SOL_SOCKET, libc::SO_MARK, 7);
    c1.connect(&at.into()).unwrap();
    let (a1, _) = l.accept().unwrap();
    assert_eq!(c1.send(&[b'x'; 100]).unwrap(), 100);
    // Owned by uid 1234 (a socket's uid is its creator's fsuid); a peer
    // with a small receive buffer that reads nothing, so that the sender
    // queues bytes (Send-Q) and both have buffers in use.
    // SAFETY: setfsuid changes this thread's filesystem uid only.
    unsafe { libc::setfsuid(1234) };
    let c2 = tcp();
    // SAFETY: as above, back to root.
    unsafe { libc::setfsuid(0) };
    c2.connect(&at.into()).unwrap();
    let (a2, _) = l.accept().unwrap();
    a2.set_recv_buffer_size(4096).unwrap();
    c2.set_nonblocking(true).unwrap();
    let chunk = [b'y'; 65536];
    let mut sent = 0usize;
    while sent < 8 << 20 {
        match c2.send(&chunk) {
            Ok(n) => sent += n,
            Err(_) => break,
        }
    }
    // A connection closed by this side first: TIME-WAIT with its timer.
    let c3 = tcp();
    c3.connect(&at.into()).unwrap();
    let (a3, _) = l.accept().unwrap();
    drop(c3);
    drop(a3);
    // A connection waiting in the listener's queue (its Recv-Q).
    let c4 = tcp();
    c4.connect(&at.into()).unwrap();
    keep.extend([l, c1, a1, c2, a2, c4]);
    keep
}

/// Table rows: each row with its continuation lines (tab-indented) joined;
/// the header dropped.
fn rows(text: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            assert!(
                line.starts_with("State") || line.starts_with("Netid"),
                "header: {line}"
            );
            continue;
        }
        let toks = line.split_whitespace().map(str::to_string);
        if line.starts_with(char::is_whitespace) {
            out.last_mut().expect("continuation first").extend(toks);
        } else {
            out.push(toks.collect());
        }
    }
    out
}

/// The Netid column's names, or `None` for a State.
fn netid_text(t: &str) -> Option<&'static str> {
    Some(match t {
        "tcp" => "tcp",
        "udp" => "udp",
        "u_str" => "unix_stream",
        "u_dgr" => "unix_dgram",
        "u_seq" => "unix_seqpacket",
        "p_raw" => "packet_raw",
        "p_dgr" => "packet_dgram",
        _ => return None,
    })
}

/// `ss`'s state names in the table.
fn state_json(text: &str) -> &'static str {
    match text {
        "ESTAB" => "established",
        "LISTEN" => "listen",
        "TIME-WAIT" => "time_wait",
        "SYN-SENT" => "syn_sent",
        "SYN-RECV" => "syn_recv",
        "FIN-WAIT-1" => "fin_wait1",
        "FIN-WAIT-2" => "fin_wait2",
        "CLOSE-WAIT" => "close_wait",
        "LAST-ACK" => "last_ack",
        "CLOSING" => "closing",
        "UNCONN" => "unconn",
        other => panic!("unknown state {other}"),
    }
}

/// `ADDR:PORT` as the table prints an IPv4 end (`*` for port 0).
fn end_text(e: &Value) -> String {
    let port = e["port"].as_u64().unwrap();
    let p = if port == 0 {
        "*".to_string()
    } else {
        port.to_string()
    };
    format!("{}:{p}", e["addr"].as_str().unwrap())
}

/// `ss`'s `print_ms_timer` (the rule for `timer:(NAME,EXPIRY,N)`): minutes,
/// then seconds (dropped from 10 minutes on), then milliseconds (dropped
/// with minutes or from 10 seconds on); `S.MMMms` when both are kept.
fn ms_timer(ms: u64) -> String {
    let (mut secs, minutes, mut msecs) = ((ms / 1000) % 60, ms / 60000, ms % 1000);
    let mut s = String::new();
    if minutes > 0 {
        msecs = 0;
        s += &format!("{minutes}min");
        if minutes > 9 {
            secs = 0;
        }
    }
    if secs > 0 {
        if secs > 9 {
            msecs = 0;
        }
        s += &format!("{secs}{}", if msecs > 0 { "." } else { "sec" });
    }
    if msecs > 0 {
        s += &format!("{msecs:03}ms");
    }
    s
}

/// A `%g` number of the table against `exact`: `%g` keeps 6 significant
/// digits, so they agree within half a unit of the 6th.
fn g_eq(text: &str, exact: f64) -> bool {
    let t: f64 = text.parse().unwrap_or(f64::NAN);
    (t - exact).abs() <= exact.abs() * 5e-6 + 1e-12
}

/// A JSON number as the table prints it (decimal).
fn txt(v: &Value) -> String {
    v.to_string()
}

fn num(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("not an unsigned number: {v}"))
}

/// Checks one table row against its JSON object; returns the JSON paths it
/// checked (`"tcp_info.rtt"`, `"uid"`, ...).
fn check_row(row: &[String], o: &Value, flags: &[&str], ctx: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut saw = |k: &str| {
        seen.insert(k.to_string());
    };
    let fail = |what: &str| -> ! { panic!("{ctx}: {what}\nrow: {row:?}\njson: {o}") };
    let ti = &o["tcp_info"];
    let t = |k: &str| num(&ti[k]);
    // Columns: [Netid] State Recv-Q Send-Q Local Peer; the Netid column
    // is there when the selection spans more than one table.
    let row = match netid_text(&row[0]) {
        Some(n) => {
            if o["netid"] != n {
                fail("netid");
            }
            &row[1..]
        }
        None => row,
    };
    assert!(row.len() >= 5, "{ctx}: short row {row:?}");
    if o["state"] != state_json(&row[0]) {
        fail("state");
    }
    if row[1] != txt(&o["recv_q"]) || row[2] != txt(&o["send_q"]) {
        fail("queues");
    }
    // Each end in its own object: the local column is `local`, the peer
    // column is `peer`.
    let mut i = 3;
    match o["family"].as_str() {
        Some("inet") => {
            if row[3] != end_text(&o["local"]) {
                fail("local");
            }
            if row[4] != end_text(&o["peer"]) {
                fail("peer");
            }
            i += 2;
        }
        // unix: `PATH INODE` (`*` unnamed, `@NAME` abstract), then the
        // peer's `* INODE`.
        Some("unix") => {
            let (l, p) = (&o["local"], &o["peer"]);
            let name = match (l.get("path"), l.get("abstract")) {
                (Some(p), _) => p.as_str().unwrap().to_string(),
                (None, Some(a)) => format!("@{}", a.as_str().unwrap()),
                _ => "*".to_string(),
            };
            let want = [name, txt(&l["inode"]), "*".to_string(), txt(&p["inode"])];
            if row.get(3..7) != Some(&want[..]) {
                fail(&format!("unix ends: want {want:?}"));
            }
            if o["inode"] != l["inode"] {
                fail("unix inode vs local.inode");
            }
            saw("inode");
            i += 4;
        }
        // packet: `PROTOCOL:IFACE` with `*` for ETH_P_ALL and for no
        // interface (ifindex 0); the peer is `*` (JSON null).
        Some("packet") => {
            let l = &o["local"];
            let proto = if l["protocol"] == 3 {
                "*".to_string()
            } else {
                txt(&l["protocol"])
            };
            let ifc = if l["ifindex"] == 0 {
                "*".to_string()
            } else {
                txt(&l["ifindex"])
            };
            if row[3] != format!("{proto}:{ifc}") {
                fail("packet local");
            }
            if row[4] != "*" || !o["peer"].is_null() {
                fail("packet peer");
            }
            i += 2;
        }
        _ => fail("family"),
    }
    for k in [
        "netid", "family", "state", "recv_q", "send_q", "local", "peer",
    ] {
        saw(k);
    }
    while i < row.len() {
        let tok = row[i].as_str();
        i += 1;
        let (key, val) = tok.split_once(':').unwrap_or((tok, ""));
        match key {
            // users:(("name",pid=N,fd=M)) or with -T (..,pid=N,tid=T,fd=M):
            // one entry per `processes` element, in order. A thread group
            // leader's entry has no `tid` in JSON (the model keeps a tid only
            // where it differs from the pid); -T prints its pid as the tid.
            "users" => {
                let body = val
                    .strip_prefix("((")
                    .and_then(|b| b.strip_suffix("))"))
                    .unwrap_or_else(|| fail("users form"));
                let want: Vec<String> = o["processes"]
                    .as_array()
                    .unwrap_or_else(|| fail("users without processes"))
                    .iter()
                    .map(|p| {
                        let tid = match p.get("tid") {
                            Some(t) => format!(",tid={t}"),
                            None if flags.contains(&"-T") => format!(",tid={}", p["pid"]),
                            None => String::new(),
                        };
                        format!("{},pid={}{tid},fd={}", p["command"], p["pid"], p["fd"])
                    })
                    .collect();
                if body.split("),(").collect::<Vec<_>>() != want {
                    fail("users vs processes");
                }
                saw("processes");
            }
            "timer" => {
                let tm = &o["timer"];
                let want = format!(
                    "({},{},{})",
                    tm["kind"].as_str().unwrap_or_else(|| fail("timer kind")),
                    ms_timer(num(&tm["expires_ms"])),
                    tm["retransmits"]
                );
                if val != want {
                    fail(&format!("timer: want {want}"));
                }
                saw("timer");
            }
            // ss prints uid only when it is not 0 (rule: uid 0 unprinted).
            "uid" => {
                if val != txt(&o["uid"]) {
                    fail("uid");
                }
                saw("uid");
            }
            // unix -e: the bound file's inode and device (glibc's
            // major/minor of the kernel's encoded dev), the listener's
            // pending peers.
            "ino" if o["family"] == "unix" => {
                if val != txt(&o["unix"]["vfs"]["ino"]) {
                    fail("unix vfs ino");
                }
                saw("unix");
            }
            "dev" if o["family"] == "unix" => {
                let d = num(&o["unix"]["vfs"]["dev"]);
                let major = ((d >> 8) & 0xfff) | ((d >> 32) & !0xfff);
                let minor = (d & 0xff) | ((d >> 12) & !0xff);
                if val != format!("{major}/{minor}") {
                    fail("unix vfs dev");
                }
            }
            "peers" if o["family"] == "unix" => {
                let mut got = Vec::new();
                while let Some(n) = row.get(i).and_then(|t| t.parse::<u64>().ok()) {
                    got.push(n);
                    i += 1;
                }
                let want: Vec<u64> = o["unix"]["icons"]
                    .as_array()
                    .unwrap_or_else(|| fail("peers without icons"))
                    .iter()
                    .map(num)
                    .collect();
                if got != want {
                    fail("peers vs unix.icons");
                }
            }
            // packet -e: ver, cpy_thresh, flags( NAMES ) (`0` for none).
            "ver" => {
                if val != txt(&o["packet"]["version"]) {
                    fail("ver");
                }
                saw("packet");
            }
            "cpy_thresh" => {
                if val != txt(&o["packet"]["copy_thresh"]) {
                    fail("cpy_thresh");
                }
            }
            "flags(" => {
                let f = num(&o["packet"]["flags"]);
                let mut want: Vec<&str> = [
                    (1, "running"),
                    (2, "auxdata"),
                    (4, "origdev"),
                    (8, "vnethdr"),
                    (16, "loss"),
                ]
                .iter()
                .filter(|(b, _)| f & b != 0)
                .map(|(_, n)| *n)
                .collect();
                if want.is_empty() {
                    want.push("0");
                }
                let mut got = Vec::new();
                while let Some(t) = row.get(i) {
                    i += 1;
                    if t == ")" {
                        break;
                    }
                    got.push(t.as_str());
                }
                if got != want {
                    fail("packet flags");
                }
            }
            "ino" => {
                if val != txt(&o["inode"]) {
                    fail("ino");
                }
                saw("inode");
            }
            // The cookie in hex.
            "sk" => {
                if u64::from_str_radix(val, 16).ok() != o["cookie"].as_u64() {
                    fail("sk vs cookie");
                }
                saw("cookie");
            }
            // The mark in hex, printed when not 0.
            "fwmark" => {
                let v = val.strip_prefix("0x").unwrap_or_else(|| fail("fwmark"));
                if u64::from_str_radix(v, 16).ok() != o["mark"].as_u64() {
                    fail("fwmark vs mark");
                }
                saw("mark");
            }
            // The cgroup's path, or `unreachable:ID` (hex) when the id has
            // no path under the cgroup2 mount.
            "cgroup" => {
                let id = o["cgroup_id"]
                    .as_u64()
                    .unwrap_or_else(|| fail("no cgroup_id"));
                match val.strip_prefix("unreachable:") {
                    Some(h) => {
                        if u64::from_str_radix(h, 16).ok() != Some(id) {
                            fail("cgroup vs cgroup_id");
                        }
                    }
                    None => {
                        use std::os::unix::fs::MetadataExt;
                        let ino = std::fs::metadata(format!("/sys/fs/cgroup{val}"))
                            .map(|m| m.ino())
                            .ok();
                        if ino != Some(id) {
                            fail("cgroup path vs cgroup_id");
                        }
                    }
                }
                saw("cgroup_id");
            }
            // -e's shutdown arrow: `<` becomes `-` when receiving is shut,
            // `>` when sending is.
            "<->" | "--->" | "<--" | "---" | "-->" => {
                let sd = &o["shutdown"];
                let want = format!(
                    "{}-{}",
                    if sd["recv"] == true { '-' } else { '<' },
                    if sd["send"] == true { '-' } else { '>' }
                );
                if tok != want {
                    fail("shutdown arrow");
                }
                saw("shutdown");
            }
            "tos" | "class_id" | "tclass" => {
                let v = val.strip_prefix("0x").unwrap_or(val);
                let v = if val.starts_with("0x") {
                    u64::from_str_radix(v, 16).ok()
                } else {
                    v.parse().ok()
                };
                if v != o[key].as_u64() {
                    fail(key);
                }
                saw(key);
            }
            "skmem" => {
                let names = [
                    ("r", "rmem_alloc"),
                    ("rb", "rcvbuf"),
                    ("t", "wmem_alloc"),
                    ("tb", "sndbuf"),
                    ("f", "fwd_alloc"),
                    ("w", "wmem_queued"),
                    ("o", "optmem"),
                    ("bl", "backlog"),
                    ("d", "drops"),
                ];
                let want: Vec<String> = names
                    .iter()
                    .map(|(p, k)| format!("{p}{}", o["skmem"][k]))
                    .collect();
                if val != format!("({})", want.join(",")) {
                    fail("skmem");
                }
                saw("skmem");
            }
            // tcp_info (`-i`), printed as ss's tcp_stats_print prints it.
            "ts" | "sack" | "ecn" | "ecnseen" | "fastopen" | "usec_ts" if val.is_empty() => {
                let bit = match key {
                    "ts" => 1,
                    "sack" => 2,
                    "ecn" => 8,
                    "ecnseen" => 16,
                    "fastopen" => 32,
                    _ => 64,
                };
                if t("options") & bit == 0 {
                    fail(key);
                }
                saw("tcp_info.options");
            }
            "app_limited" if val.is_empty() => {
                if ti["delivery_rate_app_limited"] != true {
                    fail("app_limited");
                }
                saw("tcp_info.delivery_rate_app_limited");
            }
            _ if val.is_empty() && o["congestion"] == key => saw("congestion"),
            "wscale" => {
                if val != format!("{},{}", ti["snd_wscale"], ti["rcv_wscale"]) {
                    fail("wscale");
                }
                saw("tcp_info.snd_wscale");
                saw("tcp_info.rcv_wscale");
            }
            // Times in microseconds, printed as `%g` milliseconds.
            "rto" | "ato" | "minrtt" | "rcv_rtt" => {
                let k = if key == "minrtt" { "min_rtt" } else { key };
                if !g_eq(val, t(k) as f64 / 1000.0) {
                    fail(key);
                }
                saw(&format!("tcp_info.{k}"));
            }
            "rtt" => {
                let (a, b) = val.split_once('/').unwrap_or_else(|| fail("rtt form"));
                if !g_eq(a, t("rtt") as f64 / 1000.0) || !g_eq(b, t("rttvar") as f64 / 1000.0) {
                    fail("rtt");
                }
                saw("tcp_info.rtt");
                saw("tcp_info.rttvar");
            }
            "retrans" => {
                if val != format!("{}/{}", ti["retrans"], ti["total_retrans"]) {
                    fail("retrans");
                }
                saw("tcp_info.retrans");
                saw("tcp_info.total_retrans");
            }
            // Plain counters under another name.
            "mss" | "rcvmss" | "cwnd" | "ssthresh" | "lastsnd" | "lastrcv" | "lastack"
            | "notsent" => {
                let k = match key {
                    "mss" => "snd_mss",
                    "rcvmss" => "rcv_mss",
                    "cwnd" => "snd_cwnd",
                    "ssthresh" => "snd_ssthresh",
                    "lastsnd" => "last_data_sent",
                    "lastrcv" => "last_data_recv",
                    "lastack" => "last_ack_recv",
                    _ => "notsent_bytes",
                };
                if val != txt(&ti[k]) {
                    fail(key);
                }
                saw(&format!("tcp_info.{k}"));
            }
            // Plain counters under their own name.
            "backoff" | "pmtu" | "advmss" | "bytes_sent" | "bytes_retrans" | "bytes_acked"
            | "bytes_received" | "segs_out" | "segs_in" | "data_segs_out" | "data_segs_in"
            | "delivered" | "delivered_ce" | "unacked" | "lost" | "sacked" | "dsack_dups"
            | "fackets" | "reordering" | "reord_seen" | "rcv_space" | "rcv_ssthresh"
            | "rcv_ooopack" | "snd_wnd" | "rcv_wnd" | "rehash" => {
                if val != txt(&ti[key]) {
                    fail(key);
                }
                saw(&format!("tcp_info.{key}"));
            }
            // busy_time in microseconds, printed as whole milliseconds.
            "busy" => {
                if val != format!("{}ms", t("busy_time") / 1000) {
                    fail("busy");
                }
                saw("tcp_info.busy_time");
            }
            // rwnd_limited:Nms(P%) and sndbuf_limited: microseconds printed
            // as whole milliseconds and as `%.1f` percent of busy_time.
            "rwnd_limited" | "sndbuf_limited" => {
                let us = t(key);
                let want = format!(
                    "{}ms({:.1}%)",
                    us / 1000,
                    us as f64 * 100.0 / t("busy_time") as f64
                );
                if val != want {
                    fail(&format!("{key}: want {want}"));
                }
                saw(&format!("tcp_info.{key}"));
            }
            // Rates kept in bytes per second, printed in bits per second
            // (`%.0f` of 8 × the value; -n prints no unit prefix).
            "pacing_rate" | "delivery_rate" if val.is_empty() => {
                let v = row.get(i).unwrap_or_else(|| fail(key));
                i += 1;
                let (rate, max) = match v.split_once('/') {
                    Some((a, b)) => (a, Some(b)),
                    None => (v.as_str(), None),
                };
                if rate != format!("{}bps", u128::from(t(key)) * 8) {
                    fail(key);
                }
                saw(&format!("tcp_info.{key}"));
                if let Some(m) = max {
                    if m != format!("{}bps", u128::from(t("max_pacing_rate")) * 8) {
                        fail("max_pacing_rate");
                    }
                    saw("tcp_info.max_pacing_rate");
                }
            }
            // Derived: snd_cwnd × snd_mss × 8 bits per rtt (µs), `%.0f`.
            "send" if val.is_empty() => {
                let v = row.get(i).unwrap_or_else(|| fail("send"));
                i += 1;
                let want = t("snd_cwnd") as f64 * t("snd_mss") as f64 * 8e6 / t("rtt") as f64;
                if *v != format!("{want:.0}bps") {
                    fail(&format!("send: want {want:.0}bps"));
                }
            }
            // bbr:(bw:Xbps,mrtt:%g[,pacing_gain:%g][,cwnd_gain:%g]): bw in
            // bits per second, min_rtt in ms, gains in units of 1/256.
            "bbr" => {
                let b = &o["bbr"];
                let body = val
                    .strip_prefix('(')
                    .and_then(|v| v.strip_suffix(')'))
                    .unwrap_or_else(|| fail("bbr form"));
                for part in body.split(',') {
                    let (k, v) = part.split_once(':').unwrap_or_else(|| fail("bbr part"));
                    let ok = match k {
                        "bw" => v == format!("{}bps", u128::from(num(&b["bw"])) * 8),
                        "mrtt" => g_eq(v, num(&b["min_rtt"]) as f64 / 1000.0),
                        "pacing_gain" | "cwnd_gain" => g_eq(v, num(&b[k]) as f64 / 256.0),
                        _ => false,
                    };
                    if !ok {
                        fail(&format!("bbr {k}"));
                    }
                }
                saw("bbr");
            }
            _ => fail(&format!("token {tok:?} not known to this test")),
        }
    }
    seen
}

/// Why a JSON field that the flags ask for may be missing from the row:
/// `ss` leaves it out. `None` if the row must print it.
fn unprinted(o: &Value, path: &str, flags: &[&str]) -> Option<&'static str> {
    let v = path.split('.').fold(o, |v, k| &v[k]);
    let zero = v == 0 || v == false;
    match path {
        // ss prints a unix row without sock_details_print (no uid:,
        // ino:, sk:, fwmark:, cgroup:).
        "uid" | "cookie" | "mark" | "cgroup_id" if o["family"] == "unix" => {
            Some("ss's unix rows print no uid:, sk:, fwmark: or cgroup:")
        }
        // Not columns of the table or printed with another field.
        "inode" if !flags.contains(&"-e") => Some("ss prints ino: with -e only"),
        "tcp_info.state" => Some("the State column"),
        "tcp_info.options" if zero => Some("no option bits: no words"),
        "tcp_info.options" if !flags.contains(&"-o") => {
            Some("ss prints the option words (ts sack ecn ...) only with -o")
        }
        "tcp_info.sacked" if o["state"] == "listen" => {
            Some("LISTEN: the kernel puts the backlog there; ss does not print it")
        }
        "tcp_info.reordering" if v == 3 => Some("ss prints reordering only when not 3"),
        "tcp_info.snd_ssthresh" if num(v) >= 0xFFFF => {
            Some("ss prints ssthresh only below 0xFFFF (the kernel's 'infinite' is 2^31-1)")
        }
        "tcp_info.max_pacing_rate" if v == u64::MAX => {
            Some("ss prints the max pacing rate only when it is not ~0 (unlimited)")
        }
        "tcp_info.pacing_rate" if v == u64::MAX => {
            Some("a listener's unlimited pacing rate: ss prints none when ~0")
        }
        "tcp_info.rtt" | "tcp_info.rttvar" if o["tcp_info"]["rtt"] == 0 => Some("no rtt sample"),
        "tcp_info.snd_wscale" | "tcp_info.rcv_wscale"
            if o["tcp_info"]["options"].as_u64().unwrap_or(0) & 4 == 0 =>
        {
            Some("wscale only when the window-scale option is on")
        }
        // Fields of struct tcp_info that ss 7.1's table never prints.
        "tcp_info.ca_state"
        | "tcp_info.retransmits"
        | "tcp_info.probes"
        | "tcp_info.last_ack_sent"
        | "tcp_info.fastopen_client_fail"
        | "tcp_info.total_rto"
        | "tcp_info.total_rto_recoveries"
        | "tcp_info.total_rto_time"
        | "tcp_info.received_ce"
        | "tcp_info.delivered_e1_bytes"
        | "tcp_info.delivered_e0_bytes"
        | "tcp_info.delivered_ce_bytes"
        | "tcp_info.received_e1_bytes"
        | "tcp_info.received_e0_bytes"
        | "tcp_info.received_ce_bytes"
        | "tcp_info.accecn_fail_mode"
        | "tcp_info.accecn_opt_seen" => Some("a struct tcp_info field ss 7.1 does not print"),
        // Printed by ss under -e only when set.
        "uid" | "mark" if zero => Some("ss prints uid and fwmark only when not 0"),
        _ if path.starts_with("tcp_info.") && zero => Some("ss prints a zero counter as nothing"),
        _ => None,
    }
}

/// The JSON paths a flag set asks for (docs/guide.md, "JSON": `-e` uid, cookie,
/// mark, shutdown, cgroup; `-o`/`-e` timer; `-m` skmem; `-i` tcp_info,
/// congestion and its info, skmem; `--tos` tos, class_id; `--cgroup`
/// cgroup_id; `-p` processes), over the fields every object has.
/// `ss -i` prints socket memory too on inet sockets other than UDP (ss.c:
/// `show_mem || (show_tcpinfo && s->type != IPPROTO_UDP)`); its unix,
/// packet and netlink rows print it with `-m` only.
fn asked(flags: &[&str], netid: &Value) -> BTreeSet<&'static str> {
    let has = |f: &str| flags.contains(&f);
    let mut a: BTreeSet<&str> = [
        "netid", "family", "state", "recv_q", "send_q", "local", "peer", "inode",
    ]
    .into();
    if has("-e") {
        a.extend([
            "uid",
            "cookie",
            "mark",
            "shutdown",
            "cgroup_id",
            "timer",
            "unix",
            "packet",
            "netlink",
        ]);
    }
    if has("-o") {
        a.insert("timer");
    }
    if has("-m") || (has("-i") && (netid == "tcp" || netid == "raw" || netid == "mptcp")) {
        a.insert("skmem");
    }
    if has("-i") {
        a.extend(["tcp_info", "congestion", "bbr", "dctcp", "vegas"]);
    }
    if has("--tos") {
        a.extend(["tos", "tclass", "class_id"]);
    }
    if has("--cgroup") {
        a.insert("cgroup_id");
    }
    if has("-p") {
        a.insert("processes");
    }
    a
}

/// Top-level keys and `tcp_info.KEY` paths of an object.
fn paths(o: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (k, v) in o.as_object().unwrap() {
        match (k.as_str(), v) {
            ("tcp_info", Value::Object(m)) => {
                out.extend(m.keys().map(|f| format!("tcp_info.{f}")));
            }
            _ => {
                out.insert(k.clone());
            }
        }
    }
    out
}

/// Compares one table output and one `-j` output of the same sockets
/// (`flags` asked for both) row by row, and each JSON object with `lib`,
/// the library's sockets in their JSON form; returns the JSON paths that
/// were printed in some row.
fn compare(flags: &[&str], text: &str, json: &str, lib: &[Value]) -> BTreeSet<String> {
    let mut printed_somewhere: BTreeSet<String> = BTreeSet::new();
    let json: Value = serde_json::from_str(json).unwrap();
    let objs = json.as_array().unwrap();
    let rows = rows(text);
    assert_eq!(
        rows.len(),
        objs.len(),
        "{flags:?}: rows vs objects\n{text}\n{json}"
    );
    assert_eq!(
        objs.len(),
        lib.len(),
        "{flags:?}: objects vs the library's sockets"
    );
    for (n, (row, o)) in rows.iter().zip(objs).enumerate() {
        let ctx = format!("{flags:?} socket {n}");
        // JSON against the library, value by value.
        let l = lib
            .iter()
            .find(|l| {
                l["cookie"] == o["cookie"]
                    || (o.get("cookie").is_none()
                        && l["inode"] == o["inode"]
                        && l["local"] == o["local"]
                        && l["peer"] == o["peer"])
            })
            .unwrap_or_else(|| panic!("{ctx}: no library socket for {o}"));
        for (k, v) in o.as_object().unwrap() {
            if k == "processes" {
                continue; // from /proc, not from the dump
            }
            assert_eq!(&l[k], v, "{ctx}: {k}: JSON vs library");
        }
        // Exactly the library's fields the flags ask for.
        let want_keys = asked(flags, &o["netid"]);
        let got: BTreeSet<&str> = o.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want: BTreeSet<&str> = l
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| want_keys.contains(k))
            .collect();
        if want_keys.contains("processes")
            && o.get("inode").and_then(Value::as_u64).unwrap_or(0) != 0
        {
            want.insert("processes");
        }
        assert_eq!(
            got, want,
            "{ctx}: JSON fields vs the library's that {flags:?} ask for"
        );
        // The row against the JSON, both ways.
        let seen = check_row(row, o, flags, &ctx);
        for p in paths(o) {
            if !seen.contains(&p) {
                if unprinted(o, &p, flags).is_some() {
                    continue;
                }
                panic!(
                    "{ctx}: JSON has {p} = {}, the row does not print it: {row:?}",
                    p.split('.').fold(o, |v, k| &v[k])
                );
            } else {
                printed_somewhere.insert(p);
            }
        }
    }
    printed_somewhere
}

#[test]
fn json_matches_the_table_and_the_library_value_by_value() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let socks = ns.run(make_sockets);
    let file = std::env::temp_dir().join(format!("rss-json-values-{}.D", std::process::id()));
    let f = file.to_str().unwrap();
    rss_in(&ns, &["-tan", "-eimo", "--tos", "--cgroup", "-D", f], None);
    // The library's decoding of the same bytes, by cookie.
    let lib = sockdiag::collect(&sockdiag::Query::tcp().tcp_from_file(&file)).unwrap();
    let lib: Vec<Value> = lib
        .iter()
        .map(|s| serde_json::to_value(s).unwrap())
        .collect();
    // What the recording must hold for this test to mean something.
    let states: BTreeSet<&str> = lib.iter().filter_map(|o| o["state"].as_str()).collect();
    for s in ["listen", "established", "time_wait"] {
        assert!(states.contains(s), "no {s} socket recorded: {states:?}");
    }
    let any = |f: &dyn Fn(&Value) -> bool| lib.iter().any(f);
    assert!(any(&|o| o["uid"] == 1234), "no socket of uid 1234");
    assert!(any(&|o| o["mark"] == 7), "no marked socket");
    assert!(any(&|o| o["tos"] == 0x10), "no socket with TOS 0x10");
    assert!(
        any(&|o| num(&o["send_q"]) > 0 && o["state"] == "established"),
        "no Send-Q"
    );
    assert!(
        any(&|o| num(&o["recv_q"]) > 0 && o["state"] == "established"),
        "no Recv-Q"
    );
    for kind in ["keepalive", "timewait"] {
        assert!(any(&|o| o["timer"]["kind"] == kind), "no {kind} timer");
    }
    assert!(
        any(&|o| o["tcp_info"]["rtt"].as_u64().unwrap_or(0) > 0),
        "no rtt"
    );
    assert!(
        any(&|o| o["skmem"]["rmem_alloc"].as_u64().unwrap_or(0) > 0),
        "no skmem in use"
    );
    assert!(
        any(&|o| o["cgroup_id"].as_u64().unwrap_or(0) > 0),
        "no cgroup id"
    );

    let mut printed_somewhere: BTreeSet<String> = BTreeSet::new();
    for flags in FLAG_SETS {
        let mut args = vec!["-tan"];
        args.extend_from_slice(flags);
        let text = rss_in(&ns, &args, Some(&file));
        args.push("-j");
        let json = rss_in(&ns, &args, Some(&file));
        printed_somewhere.extend(compare(flags, &text, &json, &lib));
    }
    // The recording exercises the rules: these were printed and compared.
    for p in [
        "timer",
        "uid",
        "cookie",
        "mark",
        "cgroup_id",
        "shutdown",
        "tos",
        "class_id",
        "skmem",
        "processes",
        "congestion",
        "tcp_info.rtt",
        "tcp_info.rto",
        "tcp_info.bytes_acked",
        "tcp_info.pacing_rate",
        "tcp_info.snd_cwnd",
    ] {
        assert!(
            printed_somewhere.contains(p),
            "{p} was never printed and compared"
        );
    }
    drop(socks);
    let _ = std::fs::remove_file(&file);
}

/// Idle UDP, unix and packet sockets, made on the namespace thread: a
/// marked UDP socket with a TOS, owned by uid 1234, holding a queued
/// datagram; a unix listener on a path, a connection with unread bytes
/// and a datagram pair; a raw packet socket.
fn make_quiet_sockets(dir: PathBuf) -> Vec<Socket> {
    // SAFETY: setfsuid changes this thread's filesystem uid only.
    unsafe { libc::setfsuid(1234) };
    let u = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
    // SAFETY: as above, back to root.
    unsafe { libc::setfsuid(0) };
    setsockopt_int(&u, libc::IPPROTO_IP, libc::IP_TOS, 0x20);
    setsockopt_int(&u, libc::SOL_SOCKET, libc::SO_MARK, 5);
    u.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    let to = u.local_addr().unwrap();
    let v = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
    assert_eq!(v.send_to(&[b'd'; 30], &to).unwrap(), 30);
    let path = dir.join("listener");
    let l = Socket::new(Domain::UNIX, Type::STREAM, None).unwrap();
    l.bind(&socket2::SockAddr::unix(&path).unwrap()).unwrap();
    l.listen(8).unwrap();
    let c = Socket::new(Domain::UNIX, Type::STREAM, None).unwrap();
    c.connect(&socket2::SockAddr::unix(&path).unwrap()).unwrap();
    let (a, _) = l.accept().unwrap();
    assert_eq!(c.send(&[b'q'; 50]).unwrap(), 50);
    let (d1, d2) = Socket::pair(Domain::UNIX, Type::DGRAM, None).unwrap();
    assert_eq!(d1.send(&[b'g'; 7]).unwrap(), 7);
    // ETH_P_ALL: sees every frame of the namespace; nothing is sent in it
    // from here on.
    let p = Socket::new(
        Domain::PACKET,
        Type::RAW,
        Some(Protocol::from(i32::from((libc::ETH_P_ALL as u16).to_be()))),
    )
    .unwrap();
    vec![u, v, l, c, a, d1, d2, p]
}

/// UDP, unix and packet sockets cannot be recorded (`-D` records TCP
/// only), so these are dumped live, from a namespace where nothing moves:
/// the sockets are idle and their queues fixed before the first dump, so a
/// value that differs between the table, the JSON and the library is a
/// difference, never excused.
#[test]
fn quiet_udp_unix_and_packet_sockets_match_value_by_value() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let dir = std::env::temp_dir().join(format!("rss-json-values-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.clone();
    let socks = ns.run(move || make_quiet_sockets(d));
    let mut printed: BTreeSet<String> = BTreeSet::new();
    for (table, q) in [
        ("-u", sockdiag::Query::udp()),
        ("-x", sockdiag::Query::unix()),
        ("-0", sockdiag::Query::packet()),
    ] {
        let q = q.with_info().with_memory().with_tos().with_unix_icons();
        let lib = ns.run(move || sockdiag::collect(&q).unwrap());
        let lib: Vec<Value> = lib
            .iter()
            .map(|s| serde_json::to_value(s).unwrap())
            .collect();
        for flags in FLAG_SETS {
            let mut args = vec![table, "-an"];
            args.extend_from_slice(flags);
            let text = rss_in(&ns, &args, None);
            args.push("-j");
            let json = rss_in(&ns, &args, None);
            let mut ctx = vec![table];
            ctx.extend_from_slice(flags);
            printed.extend(compare(&ctx, &text, &json, &lib));
        }
    }
    for p in [
        "uid",
        "mark",
        "tos",
        "skmem",
        "processes",
        "unix",
        "packet",
        "cookie",
    ] {
        assert!(printed.contains(p), "{p} was never printed and compared");
    }
    drop(socks);
    let _ = std::fs::remove_dir_all(&dir);
}
