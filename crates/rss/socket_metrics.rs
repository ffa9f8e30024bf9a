//! What `--watch` and `rss top` follow of a socket between two samples:
//! its queues and counters, their rates, and the words they are shown with
//! (a socket's ends and state are `ss`'s, from [`sockdiag::ss`]).

use std::time::{SystemTime, UNIX_EPOCH};

use sockdiag::Socket;
use sockdiag::ss::{Address, Side};

/// The values of a socket that `--watch` and `rss top` follow.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Metrics {
    /// Recv-Q.
    pub recv_q: u64,
    /// Send-Q.
    pub send_q: u64,
    /// Bytes sent (`tcp_info` `bytes_sent`, else `bytes_acked`).
    pub bytes_sent: u64,
    /// Bytes received (`tcp_info` `bytes_received`).
    pub bytes_received: u64,
    /// Retransmitted segments (`tcp_info` `total_retrans`).
    pub retrans: u64,
    /// Smoothed RTT in microseconds (`tcp_info` `rtt`), 0 when unknown.
    pub rtt_us: u64,
}

impl Metrics {
    /// The metrics of `s`.
    pub fn of(s: &Socket) -> Metrics {
        let mut m = Metrics {
            recv_q: s.recv_q.into(),
            send_q: s.send_q.into(),
            ..Metrics::default()
        };
        if let Some(ti) = &s.tcp_info {
            m.bytes_sent = ti.bytes_sent().or(ti.bytes_acked()).unwrap_or(0);
            m.bytes_received = ti.bytes_received().unwrap_or(0);
            m.retrans = ti.total_retrans().unwrap_or(0).into();
            m.rtt_us = ti.rtt().unwrap_or(0).into();
        }
        m
    }
}

/// Per-second rates between two samples of one socket.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rates {
    /// Bytes sent per second.
    pub sent: f64,
    /// Bytes received per second.
    pub received: f64,
    /// Retransmits per second.
    pub retrans: f64,
}

impl Rates {
    /// Rates from `before` to `after` over `secs` (zero when `secs` is 0;
    /// a counter that went down, which a reused key cannot do, counts 0).
    pub fn between(before: &Metrics, after: &Metrics, secs: f64) -> Rates {
        if secs <= 0.0 {
            return Rates::default();
        }
        let r = |a: u64, b: u64| b.saturating_sub(a) as f64 / secs;
        Rates {
            sent: r(before.bytes_sent, after.bytes_sent),
            received: r(before.bytes_received, after.bytes_received),
            retrans: r(before.retrans, after.retrans),
        }
    }
}

/// The `side` end of `s` as `ss -n` prints it ([`sockdiag::ss`]), with
/// interface names as this process sees them (`ifN` for an index without
/// a name).
pub fn end_text(s: &Socket, side: Side) -> String {
    Address::of(s, side, &mut |i| {
        crate::sys::interface_name(i).unwrap_or_else(|| format!("if{i}"))
    })
    .to_string()
}

/// A byte count as ss prints sizes: `512`, `1.5K`, `2.0M`, `3.1G`.
pub fn human(v: f64) -> String {
    const UNITS: [(f64, &str); 3] = [(1e9, "G"), (1e6, "M"), (1e3, "K")];
    for (scale, unit) in UNITS {
        if v >= scale {
            return format!("{:.1}{unit}", v / scale);
        }
    }
    format!("{v:.0}")
}

/// `YYYY-MM-DD HH:MM:SS.mmm UTC` for a wall-clock time.
pub fn utc_text(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:03} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        d.subsec_millis()
    )
}
