//! The `-i` fields: `tcp_info` (and the congestion controls' own info)
//! and MPTCP's, as `ss` prints them.

use std::io::Write;

use sockdiag::{Socket, State, TcpInfo};

use super::fmt;
use super::options::RenderOptions;

const TCPI_OPT_TIMESTAMPS: u8 = 1;
const TCPI_OPT_SACK: u8 = 2;
const TCPI_OPT_WSCALE: u8 = 4;
const TCPI_OPT_ECN: u8 = 8;
const TCPI_OPT_ECN_SEEN: u8 = 16;
const TCPI_OPT_SYN_DATA: u8 = 32;
const TCPI_OPT_USEC_TS: u8 = 64;

/// `tcp_show_info` + `tcp_stats_print`: the `-i` fields, each only when `ss`
/// prints it. Fields a short (older kernel) `tcp_info` lacks count as zero,
/// as `ss` zero-fills the struct.
/// ` name:value` for an unsigned integer, without `fmt` (the `-i` hot path).
fn kv(ext: &mut Vec<u8>, name: &str, v: impl Into<u64>) {
    ext.push(b' ');
    ext.extend_from_slice(name.as_bytes());
    ext.push(b':');
    fmt::push_u64(ext, v.into());
}

/// ` name:value` for a `%g` value of microseconds in milliseconds
/// (`usec / 1000.0` in ss).
fn kms(ext: &mut Vec<u8>, name: &str, usec: u32) {
    ext.push(b' ');
    ext.extend_from_slice(name.as_bytes());
    ext.push(b':');
    fmt::push_g_milli(ext, usec);
}

/// ` name:value` for a `%d` value.
fn ki(ext: &mut Vec<u8>, name: &str, v: i32) {
    ext.push(b' ');
    ext.extend_from_slice(name.as_bytes());
    ext.push(b':');
    fmt::push_i64(ext, v.into());
}

pub(super) fn tcp_stats(ext: &mut Vec<u8>, opts: &RenderOptions, s: &Socket, ti: &TcpInfo) {
    let z32 = |v: Option<u32>| v.unwrap_or(0);
    let z64 = |v: Option<u64>| v.unwrap_or(0);
    let g = fmt::g;
    let options = ti.options().unwrap_or(0);
    if opts.timers || opts.extended {
        for (bit, word) in [
            (TCPI_OPT_TIMESTAMPS, " ts"),
            (TCPI_OPT_USEC_TS, " usec_ts"),
            (TCPI_OPT_SACK, " sack"),
            (TCPI_OPT_ECN, " ecn"),
            (TCPI_OPT_ECN_SEEN, " ecnseen"),
            (TCPI_OPT_SYN_DATA, " fastopen"),
        ] {
            if options & bit != 0 {
                ext.extend_from_slice(word.as_bytes());
            }
        }
    }
    if let Some(c) = s.congestion.as_ref().filter(|c| !c.as_bytes().is_empty()) {
        ext.push(b' ');
        // cong_alg[16], strncpy'd with room for the NUL
        let b = c.as_bytes();
        ext.extend_from_slice(&b[..b.len().min(15)]);
    }
    if options & TCPI_OPT_WSCALE != 0 {
        ext.extend_from_slice(b" wscale:");
        fmt::push_u64(ext, ti.snd_wscale().unwrap_or(0).into());
        ext.push(b',');
        fmt::push_u64(ext, ti.rcv_wscale().unwrap_or(0).into());
    }
    let rto = z32(ti.rto());
    if rto != 0 && rto != 3_000_000 {
        kms(ext, "rto", rto);
    }
    let backoff = ti.backoff().unwrap_or(0);
    if backoff != 0 {
        kv(ext, "backoff", backoff);
    }
    let rtt_us = z32(ti.rtt());
    if rtt_us != 0 {
        kms(ext, "rtt", rtt_us);
        ext.push(b'/');
        fmt::push_g_milli(ext, z32(ti.rttvar()));
    }
    let ato = z32(ti.ato());
    if ato != 0 {
        kms(ext, "ato", ato);
    }
    let mss = z32(ti.snd_mss());
    for (name, v) in [
        ("mss", mss),
        ("pmtu", z32(ti.pmtu())),
        ("rcvmss", z32(ti.rcv_mss())),
        ("advmss", z32(ti.advmss())),
    ] {
        if v != 0 {
            if name == "pmtu" {
                kv(ext, name, v);
            } else {
                ki(ext, name, v as i32);
            }
        }
    }
    let cwnd = z32(ti.snd_cwnd());
    if cwnd != 0 {
        kv(ext, "cwnd", cwnd);
    }
    let ssthresh = z32(ti.snd_ssthresh());
    if ssthresh != 0 && ssthresh < 0xFFFF {
        kv(ext, "ssthresh", ssthresh);
    }
    for (name, v) in [
        ("bytes_sent", z64(ti.bytes_sent())),
        ("bytes_retrans", z64(ti.bytes_retrans())),
        ("bytes_acked", z64(ti.bytes_acked())),
        ("bytes_received", z64(ti.bytes_received())),
        ("segs_out", z32(ti.segs_out()).into()),
        ("segs_in", z32(ti.segs_in()).into()),
        ("data_segs_out", z32(ti.data_segs_out()).into()),
        ("data_segs_in", z32(ti.data_segs_in()).into()),
    ] {
        if v != 0 {
            kv(ext, name, v);
        }
    }
    if let Some(d) = s.dctcp() {
        if d.enabled != 0 {
            out!(
                ext,
                " dctcp:(ce_state:{},alpha:{},ab_ecn:{},ab_tot:{})",
                d.ce_state,
                d.alpha,
                d.ab_ecn,
                d.ab_tot
            );
        } else {
            ext.extend_from_slice(b" dctcp:fallback_mode");
        }
    }
    if let Some(b) = s.bbr() {
        out!(
            ext,
            " bbr:(bw:{}bps,mrtt:{}",
            fmt::bw(b.bw as f64 * 8.0, opts.numeric),
            g(b.min_rtt as f64 / 1000.0)
        );
        if b.pacing_gain != 0 {
            out!(ext, ",pacing_gain:{}", g(b.pacing_gain as f64 / 256.0));
        }
        if b.cwnd_gain != 0 {
            out!(ext, ",cwnd_gain:{}", g(b.cwnd_gain as f64 / 256.0));
        }
        ext.push(b')');
    }
    let mut rtt = rtt_us as f64;
    if let Some(v) = s.vegas()
        && v.enabled != 0
        && v.rtt != 0
        && v.rtt != 0x7fff_ffff
    {
        rtt = v.rtt as f64;
    }
    if rtt > 0.0 && mss != 0 && cwnd != 0 {
        ext.extend_from_slice(b" send ");
        fmt::push_bw(
            ext,
            cwnd as f64 * mss as f64 * 8_000_000.0 / rtt,
            opts.numeric,
        );
        ext.extend_from_slice(b"bps");
    }
    for (name, v) in [
        ("lastsnd", ti.last_data_sent()),
        ("lastrcv", ti.last_data_recv()),
        ("lastack", ti.last_ack_recv()),
    ] {
        let v = z32(v);
        if v != 0 {
            kv(ext, name, v);
        }
    }
    let pacing = z64(ti.pacing_rate());
    if pacing != 0 && pacing != u64::MAX {
        ext.extend_from_slice(b" pacing_rate ");
        fmt::push_bw(ext, pacing as f64 * 8.0, opts.numeric);
        ext.extend_from_slice(b"bps");
        let max = z64(ti.max_pacing_rate());
        if max != 0 && max != u64::MAX {
            ext.push(b'/');
            fmt::push_bw(ext, max as f64 * 8.0, opts.numeric);
            ext.extend_from_slice(b"bps");
        }
    }
    let delivery = z64(ti.delivery_rate());
    if delivery != 0 {
        ext.extend_from_slice(b" delivery_rate ");
        fmt::push_bw(ext, delivery as f64 * 8.0, opts.numeric);
        ext.extend_from_slice(b"bps");
    }
    for (name, v) in [
        ("delivered", ti.delivered()),
        ("delivered_ce", ti.delivered_ce()),
    ] {
        let v = z32(v);
        if v != 0 {
            kv(ext, name, v);
        }
    }
    if ti.delivery_rate_app_limited().unwrap_or(false) {
        ext.extend_from_slice(b" app_limited");
    }
    let busy = z64(ti.busy_time());
    if busy != 0 {
        out!(ext, " busy:{}ms", busy / 1000);
        for (name, v) in [
            ("rwnd_limited", z64(ti.rwnd_limited())),
            ("sndbuf_limited", z64(ti.sndbuf_limited())),
        ] {
            if v != 0 {
                out!(
                    ext,
                    " {name}:{}ms({:.1}%)",
                    v / 1000,
                    100.0 * v as f64 / busy as f64
                );
            }
        }
    }
    let unacked = z32(ti.unacked());
    if unacked != 0 {
        kv(ext, "unacked", unacked);
    }
    let (retrans, total) = (z32(ti.retrans()), z32(ti.total_retrans()));
    if retrans != 0 || total != 0 {
        out!(ext, " retrans:{retrans}/{total}");
    }
    let lost = z32(ti.lost());
    if lost != 0 {
        kv(ext, "lost", lost);
    }
    let sacked = z32(ti.sacked());
    if sacked != 0 && s.state != State::Listen {
        kv(ext, "sacked", sacked);
    }
    for (name, v) in [("dsack_dups", ti.dsack_dups()), ("fackets", ti.fackets())] {
        let v = z32(v);
        if v != 0 {
            kv(ext, name, v);
        }
    }
    let reordering = z32(ti.reordering());
    if reordering != 3 {
        ki(ext, "reordering", reordering as i32);
    }
    let reord_seen = z32(ti.reord_seen());
    if reord_seen != 0 {
        ki(ext, "reord_seen", reord_seen as i32);
    }
    let rcv_rtt = z32(ti.rcv_rtt());
    if rcv_rtt != 0 {
        kms(ext, "rcv_rtt", rcv_rtt);
    }
    let rcv_space = z32(ti.rcv_space());
    if rcv_space != 0 {
        ki(ext, "rcv_space", rcv_space as i32);
    }
    for (name, v) in [
        ("rcv_ssthresh", ti.rcv_ssthresh()),
        ("notsent", ti.notsent_bytes()),
    ] {
        let v = z32(v);
        if v != 0 {
            kv(ext, name, v);
        }
    }
    let min_rtt = z32(ti.min_rtt());
    if min_rtt != 0 && min_rtt != u32::MAX {
        kms(ext, "minrtt", min_rtt);
    }
    for (name, v) in [
        ("rcv_ooopack", ti.rcv_ooopack()),
        ("snd_wnd", ti.snd_wnd()),
        ("rcv_wnd", ti.rcv_wnd()),
        ("rehash", ti.rehash()),
    ] {
        let v = z32(v);
        if v != 0 {
            kv(ext, name, v);
        }
    }
}

/// `mptcp_stats_print` over `struct mptcp_info` (`<linux/mptcp.h>`), which
/// MPTCP sockets send where TCP sends `tcp_info`; fields through the
/// library's typed accessors (its one offset table), absent ones as 0.
pub(super) fn mptcp_stats(ext: &mut Vec<u8>, m: &sockdiag::MptcpInfo) {
    let n8 = |v: Option<u8>| v.map_or(0, u64::from);
    let n32 = |v: Option<u32>| v.map_or(0, u64::from);
    let n64 = |v: Option<u64>| v.unwrap_or(0);
    for (name, v) in [
        ("subflows", n8(m.subflows())),
        ("add_addr_signal", n8(m.add_addr_signal())),
        ("add_addr_accepted", n8(m.add_addr_accepted())),
        ("subflows_max", n8(m.subflows_max())),
        ("add_addr_signal_max", n8(m.add_addr_signal_max())),
        ("add_addr_accepted_max", n8(m.add_addr_accepted_max())),
    ] {
        if v != 0 {
            out!(ext, " {name}:{v}");
        }
    }
    let flags = n32(m.flags());
    if flags & 1 != 0 {
        ext.extend_from_slice(b" fallback");
    }
    if flags & 2 != 0 {
        ext.extend_from_slice(b" remote_key");
    }
    let token = n32(m.token());
    if token != 0 {
        out!(ext, " token:{token:x}");
    }
    // Sequence numbers in decimal (`%llu`), as ss 7.1 prints them.
    for (name, v) in [
        ("write_seq", n64(m.write_seq())),
        ("snd_una", n64(m.snd_una())),
        ("rcv_nxt", n64(m.rcv_nxt())),
        ("local_addr_used", n8(m.local_addr_used())),
        ("local_addr_max", n8(m.local_addr_max())),
        ("csum_enabled", n8(m.csum_enabled())),
        ("retransmits", n32(m.retransmits())),
        ("bytes_retrans", n64(m.bytes_retrans())),
        ("bytes_sent", n64(m.bytes_sent())),
        ("bytes_received", n64(m.bytes_received())),
        ("bytes_acked", n64(m.bytes_acked())),
        ("subflows_total", n8(m.subflows_total())),
        ("endp_laminar_max", n8(m.endp_laminar_max())),
        ("last_data_sent", n32(m.last_data_sent())),
        ("last_data_recv", n32(m.last_data_recv())),
        ("last_ack_recv", n32(m.last_ack_recv())),
    ] {
        if v != 0 {
            out!(ext, " {name}:{v}");
        }
    }
}
