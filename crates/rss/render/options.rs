//! What a table shows ([`RenderOptions`]), the screen width it is laid out
//! for, and the ids of `ss`'s columns: what the engine, the field writers
//! and the `tcp_info` writer share.

/// What to print; each field is the `ss` option named beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// `-n`: numeric ports, protocols and netlink peers.
    pub numeric: bool,
    /// `-r`: resolve host names.
    pub resolve: bool,
    /// The Netid column (`ss` drops it when exactly one table is selected).
    pub show_netid: bool,
    /// The State column (`ss` drops it when exactly one state is selected).
    pub show_state: bool,
    /// `-p`: the Process column with `users:(…)`.
    pub processes: bool,
    /// `-T`: `tid=` in `users:(…)` (shown only with the Process column, as in `ss`).
    pub threads: bool,
    /// `-e`: uid, inode, cookie, mark, cgroup, v6only, shutdown; unix vfs
    /// and peers; packet details; netlink `sk=`.
    pub extended: bool,
    /// `-m`: `skmem:(…)`.
    pub memory: bool,
    /// `-i`: the `tcp_info` line (and MPTCP's `mptcp_info`).
    pub info: bool,
    /// `-o`: `timer:(…)` and the TCP option words (`-e` implies it, as in `ss`).
    pub timers: bool,
    /// `-O`: `-i`/`-m`/`-e` details on the socket's line instead of a new one.
    pub oneline: bool,
    /// Print the header line (`-H` clears it).
    pub header: bool,
    /// The Recv-Q and Send-Q columns (`-Q` clears it).
    pub queues: bool,
    /// `--tos`: `tos:`, `tclass:`, `class_id:`.
    pub tos: bool,
    /// `--cgroup`: `cgroup:PATH`.
    pub cgroup: bool,
    /// `--inet-sockopt`: the `inet-sockopt: (…)` line of inet sockets.
    pub inet_sockopt: bool,
    /// `-b`: a packet socket's attached classic BPF filter (`bpf filter (N): …`).
    pub bpf: bool,
    /// `--explain` (rss only): a note of what Recv-Q and Send-Q mean.
    pub explain: bool,
    /// Standard output is a terminal: with `width` unset, its width is asked
    /// for (`TIOCGWINSZ`), as `ss` does.
    pub tty: bool,
    /// Screen width. `None`: the terminal's when `tty`, else `$COLUMNS`,
    /// else none (`ss`'s compact output). `Some(0)` forces compact output;
    /// `Some(n)` lays out for `n` columns.
    pub width: Option<usize>,
}

impl Default for RenderOptions {
    /// `ss` with no option: every column, header on, not a terminal.
    fn default() -> Self {
        RenderOptions {
            numeric: false,
            resolve: false,
            show_netid: true,
            show_state: true,
            processes: false,
            threads: false,
            extended: false,
            memory: false,
            info: false,
            timers: false,
            oneline: false,
            header: true,
            queues: true,
            tos: false,
            cgroup: false,
            inet_sockopt: false,
            bpf: false,
            explain: false,
            tty: false,
            width: None,
        }
    }
}

/// `ss`'s `render_screen_width`: the terminal's columns when standard output
/// is one, else a positive `$COLUMNS`, else `None`.
pub fn screen_width(tty: bool) -> Option<usize> {
    let tty_cols = if tty {
        crate::sys::stdout_columns()
    } else {
        None
    };
    width_from(tty_cols, std::env::var_os("COLUMNS").as_deref())
}

/// [`screen_width`] from the terminal's columns (if any) and `$COLUMNS`.
fn width_from(tty_cols: Option<u16>, columns: Option<&std::ffi::OsStr>) -> Option<usize> {
    if let Some(cols) = tty_cols {
        return Some(usize::from(cols));
    }
    let c = atoi(columns?.as_encoded_bytes());
    (c > 0).then_some((c as usize).min(MAX_SCREEN_WIDTH))
}

/// The widest screen `rss` lays out for: the most columns a terminal can
/// report (`winsize.ws_col` is 16 bits). A larger `$COLUMNS` is capped here,
/// a documented difference from `ss`, which pads every line to it (about
/// 1.2 billion columns for `COLUMNS=99999999999`), so that time and memory
/// stay bounded.
pub const MAX_SCREEN_WIDTH: usize = u16::MAX as usize;

/// C's `atoi`: leading blanks, a sign, then digits; anything else ends it.
fn atoi(b: &[u8]) -> i64 {
    let mut it = b.iter().skip_while(|c| c.is_ascii_whitespace()).peekable();
    let neg = match it.peek() {
        Some(b'-') => {
            it.next();
            true
        }
        Some(b'+') => {
            it.next();
            false
        }
        _ => false,
    };
    let mut v: i64 = 0;
    for c in it.take_while(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    if neg { -v } else { v }
}

// Column ids, in ss's order (`enum col_id`).
pub(super) const COL_NETID: usize = 0;
pub(super) const COL_STATE: usize = 1;
pub(super) const COL_RECVQ: usize = 2;
pub(super) const COL_SENDQ: usize = 3;
pub(super) const COL_ADDR: usize = 4;
pub(super) const COL_SERV: usize = 5;
pub(super) const COL_RADDR: usize = 6;
pub(super) const COL_RSERV: usize = 7;
pub(super) const COL_PROC: usize = 8;
pub(super) const COL_EXT: usize = 9;
pub(super) const COL_MAX: usize = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_variable_like_atoi() {
        assert_eq!(atoi(b"80"), 80);
        assert_eq!(atoi(b" 120x"), 120);
        assert_eq!(atoi(b"-5"), -5);
        assert_eq!(atoi(b"abc"), 0);
        assert_eq!(atoi(b""), 0);
        assert_eq!(atoi(b"+7"), 7);
        assert_eq!(atoi(b"99999999999999999999999"), i64::MAX);
    }

    #[test]
    fn screen_width_from_terminal_or_columns() {
        use std::ffi::OsStr;
        assert_eq!(width_from(Some(132), Some(OsStr::new("80"))), Some(132));
        assert_eq!(width_from(Some(0), None), Some(0));
        assert_eq!(width_from(None, Some(OsStr::new("80"))), Some(80));
        assert_eq!(width_from(None, Some(OsStr::new("1"))), Some(1));
        assert_eq!(width_from(None, Some(OsStr::new("0"))), None);
        assert_eq!(width_from(None, Some(OsStr::new("-5"))), None);
        assert_eq!(width_from(None, Some(OsStr::new("x"))), None);
        assert_eq!(width_from(None, None), None);
        assert_eq!(
            width_from(None, Some(OsStr::new("99999999999"))),
            Some(MAX_SCREEN_WIDTH)
        );
        assert_eq!(MAX_SCREEN_WIDTH, 65_535);
        // Not a terminal: `$COLUMNS` of this process decides.
        let env = std::env::var_os("COLUMNS");
        assert_eq!(screen_width(false), width_from(None, env.as_deref()));
    }
}
