//! `ss`'s table: columns, alignment and every per-socket field, byte for
//! byte as iproute2 v7.1's `misc/ss.c` prints them.
//!
//! The layout engine mirrors `ss`'s: each row is a list of column tokens
//! (Netid, State, Recv-Q, Send-Q, Local Address:, Port, Peer Address:, Port,
//! Process, and the free-form rest); widths are the longest token seen so
//! far plus the column's delimiter; buffered rows are rendered when about
//! 5 MiB of tokens have accumulated (accounted exactly as `ss`'s chunked
//! buffer does, so batches end on the same row) and at [`TableRenderer::finish`].
//! Memory therefore stays flat at any table size.
//!
//! With a screen width (a terminal, or `COLUMNS`), spare width is spread
//! over the columns as `ss` does; without one (v7.0+ "compact" output) the
//! last visible column before the free-form text gets no padding.
//!
//! This module never queries the kernel; names come from [`Names`].

use std::io::{self, Write};
use std::net::IpAddr;

use sockdiag::{Endpoint, Family, Socket, State, Table, TcpInfo, UnixName};

use super::fmt;
use super::names::{Names, Transport};

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
            tty: false,
            width: None,
        }
    }
}

/// `ss`'s `render_screen_width`: the terminal's columns when standard output
/// is one, else a positive `$COLUMNS`, else `None`.
pub fn screen_width(tty: bool) -> Option<usize> {
    if tty {
        // SAFETY: winsize is plain data; TIOCGWINSZ fills it or fails.
        let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
        // SAFETY: STDOUT_FILENO and a valid pointer to a winsize.
        if unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } != -1 && ws.ws_col > 0 {
            return Some(ws.ws_col as usize);
        }
    }
    let c: i64 = std::env::var("COLUMNS").ok()?.trim().parse().ok()?;
    (c > 0).then_some(c as usize)
}

// Column ids, in ss's order (`enum col_id`).
const COL_NETID: usize = 0;
const COL_STATE: usize = 1;
const COL_RECVQ: usize = 2;
const COL_SENDQ: usize = 3;
const COL_ADDR: usize = 4;
const COL_SERV: usize = 5;
const COL_RADDR: usize = 6;
const COL_RSERV: usize = 7;
const COL_PROC: usize = 8;
const COL_EXT: usize = 9;
const COL_MAX: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// `ss`'s `columns[]`: alignment, header, left delimiter.
const SPECS: [(Align, &str, &str); COL_MAX] = [
    (Align::Left, "Netid", ""),
    (Align::Left, "State", " "),
    (Align::Left, "Recv-Q", " "),
    (Align::Left, "Send-Q", " "),
    (Align::Right, "Local Address:", " "),
    (Align::Left, "Port", ""),
    (Align::Right, "Peer Address:", " "),
    (Align::Left, "Port", ""),
    (Align::Left, "Process", ""),
    (Align::Left, "", ""),
];

#[derive(Debug, Clone, Copy, Default)]
struct Column {
    disabled: bool,
    /// Computed at each render, spacing included.
    width: usize,
    /// Longest token flushed so far; never reset, as in `ss`.
    max_len: usize,
}

/// `BUF_CHUNK` minus the chunk header (`next` and `end` pointers).
const CHUNK_DATA: usize = 1024 * 1024 - 16;
/// `BUF_CHUNKS_MAX`: render once this many chunks are in use.
const CHUNKS_MAX: usize = 5;
/// A token's length descriptor (`uint16_t`).
const TOKEN_HDR: usize = 2;

/// Byte accounting of `ss`'s output buffer (chained 1 MiB chunks of
/// length-prefixed, 2-aligned tokens). Only the counts matter: they decide
/// after which row `ss` renders, and so where column widths may change.
#[derive(Debug, Default)]
struct ChunkSim {
    active: bool,
    chunks: usize,
    /// Bytes used in the current chunk, the current token's header included.
    used: usize,
    cur_len: usize,
    /// The current token starts the chunk (it is then never moved).
    cur_first: bool,
}

impl ChunkSim {
    fn new_chunk(&mut self) {
        self.active = true;
        self.chunks += 1;
        self.used = TOKEN_HDR;
        self.cur_len = 0;
        self.cur_first = true;
    }

    /// `vout` + `buf_update`: `n` bytes appended to the current token.
    fn write(&mut self, n: usize) {
        if !self.active {
            self.new_chunk();
        }
        if n >= CHUNK_DATA - self.used && !self.cur_first {
            // The token moves to a new chunk and is printed again there.
            self.chunks += 1;
            self.used = TOKEN_HDR + self.cur_len;
            self.cur_first = true;
        }
        let n = n.min(CHUNK_DATA - self.used).min(usize::from(u16::MAX) - self.cur_len);
        self.used += n;
        self.cur_len += n;
    }

    /// `field_flush`: close the token (2-aligned) and open the next one.
    fn flush(&mut self) {
        if !self.active {
            self.new_chunk();
        }
        let pad = self.cur_len % 2;
        if CHUNK_DATA.saturating_sub(self.used + pad) < TOKEN_HDR {
            self.chunks += 1;
            self.used = TOKEN_HDR;
            self.cur_first = true;
        } else {
            self.used += pad + TOKEN_HDR;
            self.cur_first = false;
        }
        self.cur_len = 0;
    }

    fn reset(&mut self) {
        *self = ChunkSim::default();
    }
}

/// Renders sockets as `ss`'s table into any writer.
///
/// Rows are buffered (about 5 MiB at most) so that columns align; call
/// [`finish`](Self::finish) (or [`render`](Self::render)) to print what is
/// buffered.
///
/// ```
/// use rss::render::{RenderOptions, TableRenderer};
/// use sockdiag::{Endpoint, Family, Socket, State, Table};
///
/// let mut s = Socket::new(Table::Tcp, Family::Inet, State::Listen);
/// s.send_q = 128;
/// s.local = Endpoint::Inet { addr: "0.0.0.0".parse().unwrap(), port: 8080 };
/// s.peer = Endpoint::Inet { addr: "0.0.0.0".parse().unwrap(), port: 0 };
/// let opts = RenderOptions { numeric: true, show_netid: false, width: Some(0), ..Default::default() };
/// let mut r = TableRenderer::new(Vec::new(), opts);
/// r.push(&s)?;
/// let out = String::from_utf8(r.finish()?).unwrap();
/// assert_eq!(out, "State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n\
///                  LISTEN 0      128          0.0.0.0:8080      0.0.0.0:*   \n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TableRenderer<W: Write> {
    out: W,
    opts: RenderOptions,
    names: Names,
    cols: [Column; COL_MAX],
    /// Buffered token bytes and the end offset of each token.
    data: Vec<u8>,
    ends: Vec<usize>,
    /// The last token is a row's free-form column, not yet flushed: `ss`
    /// flushes it (or renders) only when the next row starts.
    pending_ext: bool,
    sim: ChunkSim,
    row: [Vec<u8>; COL_MAX],
    text: Vec<u8>,
}

impl<W: Write> TableRenderer<W> {
    /// A renderer writing to `out`; the header is buffered now.
    pub fn new(out: W, opts: RenderOptions) -> Self {
        let names = Names::new(opts.numeric);
        Self::with_names(out, opts, names)
    }

    /// A renderer with its own name lookups (tests, or a caller that has
    /// already read the tables).
    pub fn with_names(out: W, opts: RenderOptions, names: Names) -> Self {
        let mut cols = [Column::default(); COL_MAX];
        cols[COL_NETID].disabled = !opts.show_netid;
        cols[COL_STATE].disabled = !opts.show_state;
        cols[COL_RECVQ].disabled = !opts.queues;
        cols[COL_SENDQ].disabled = !opts.queues;
        cols[COL_PROC].disabled = !opts.processes;
        let mut r = TableRenderer {
            out,
            opts,
            names,
            cols,
            data: Vec::with_capacity(64 * 1024),
            ends: Vec::with_capacity(4096),
            pending_ext: false,
            sim: ChunkSim::default(),
            row: Default::default(),
            text: Vec::with_capacity(64 * 1024),
        };
        if r.opts.header {
            for (c, spec) in SPECS.iter().enumerate().take(COL_EXT) {
                if !r.cols[c].disabled {
                    r.data.extend_from_slice(spec.1.as_bytes());
                    r.sim.write(spec.1.len());
                    r.close_token(c);
                }
            }
            r.ends.push(r.data.len());
            r.pending_ext = true;
        }
        r
    }

    /// The name lookups in use.
    pub fn names_mut(&mut self) -> &mut Names {
        &mut self.names
    }

    /// Buffers one socket's row; renders the buffer first when it is full.
    pub fn push(&mut self, s: &Socket) -> io::Result<()> {
        for f in &mut self.row {
            f.clear();
        }
        build_row(&mut self.row, &mut self.names, &self.opts, s);
        // The next row starts: ss's field_set(COL_NETID) from the last row's
        // free-form column renders or flushes it.
        if self.pending_ext {
            if self.sim.chunks >= CHUNKS_MAX {
                self.render()?;
            } else {
                self.close_token(COL_EXT);
            }
        }
        for c in 0..COL_MAX {
            if self.cols[c].disabled {
                continue;
            }
            let n = self.row[c].len();
            self.data.extend_from_slice(&self.row[c]);
            if n > 0 {
                self.sim.write(n);
            }
            if c == COL_EXT {
                self.ends.push(self.data.len());
                self.pending_ext = true;
            } else {
                self.close_token(c);
            }
        }
        Ok(())
    }

    /// Prints everything buffered now, as `ss`'s `render()` does (after each
    /// socket in `-E` mode, and at the end). Widths keep growing across
    /// calls.
    pub fn render(&mut self) -> io::Result<()> {
        if self.data.is_empty() && self.ends.iter().all(|&e| e == 0) {
            self.clear_buffer();
            return Ok(());
        }
        let width = match self.opts.width {
            Some(0) => None,
            Some(w) => Some(w),
            None => screen_width(self.opts.tty),
        };
        let compact = self.calc_width(width);
        let last_visible = (0..COL_EXT).rev().find(|&c| !self.cols[c].disabled).unwrap_or(COL_NETID);
        let mut f = (0..COL_MAX).find(|&c| self.cols[c].width != 0).or_else(|| (0..COL_MAX).find(|&c| !self.cols[c].disabled)).unwrap_or(COL_EXT);
        let mut line_started = false;
        let mut start = 0;
        self.text.clear();
        for &end in &self.ends {
            let token = &self.data[start..end];
            start = end;
            let spec = SPECS[f];
            let col = self.cols[f];
            let mut printed = 0usize;
            if line_started {
                self.text.extend_from_slice(spec.2.as_bytes());
                printed = spec.2.len();
            }
            line_started = true;
            // print_left_spacing
            if col.width != 0 && spec.0 == Align::Right {
                let s = col.width as i64 - token.len() as i64 - printed as i64;
                if s > 0 {
                    self.text.resize(self.text.len() + s as usize, b' ');
                    printed += s as usize;
                }
            }
            self.text.extend_from_slice(token);
            printed += token.len();
            // print_right_spacing
            if (!compact || f != last_visible) && col.width != 0 && spec.0 == Align::Left {
                let s = col.width as i64 - printed as i64;
                if s > 0 {
                    self.text.resize(self.text.len() + s as usize, b' ');
                }
            }
            loop {
                if f == COL_EXT {
                    self.text.push(b'\n');
                    f = COL_NETID;
                    line_started = false;
                } else {
                    f += 1;
                }
                if !self.cols[f].disabled {
                    break;
                }
            }
            if self.text.len() >= 64 * 1024 {
                self.out.write_all(&self.text)?;
                self.text.clear();
            }
        }
        if line_started {
            self.text.push(b'\n');
        }
        self.out.write_all(&self.text)?;
        self.text.clear();
        self.clear_buffer();
        Ok(())
    }

    /// Renders what is buffered and hands the writer back (not flushed).
    pub fn finish(mut self) -> io::Result<W> {
        self.render()?;
        Ok(self.out)
    }

    fn clear_buffer(&mut self) {
        self.data.clear();
        self.ends.clear();
        self.sim.reset();
        self.pending_ext = false;
    }

    /// `field_flush`: the token that ends here is complete.
    fn close_token(&mut self, c: usize) {
        let start = self.ends.last().copied().unwrap_or(0);
        let end = self.data.len();
        if !self.pending_ext || c != COL_EXT {
            self.ends.push(end);
        }
        let len = if c == COL_EXT && self.pending_ext {
            let n = self.ends.len();
            let prev = if n >= 2 { self.ends[n - 2] } else { 0 };
            self.ends[n - 1] - prev
        } else {
            end - start
        };
        let col = &mut self.cols[c];
        col.max_len = col.max_len.max(len);
        self.sim.flush();
        if c == COL_EXT {
            self.pending_ext = false;
        }
    }

    /// `render_calc_width`; returns whether output is compact (no screen width).
    fn calc_width(&mut self, screen: Option<usize>) -> bool {
        let compact = screen.is_none();
        let sw = screen.map_or(i64::MAX, |w| w as i64);
        let mut first = true;
        for c in 0..COL_MAX {
            let col = &mut self.cols[c];
            if col.disabled {
                continue;
            }
            let w = if !first && col.max_len != 0 { col.max_len + SPECS[c].2.len() } else { col.max_len };
            col.width = (w as i64).min(sw) as usize;
            if col.width != 0 {
                first = false;
            }
        }
        if compact {
            return true;
        }
        let width = |cols: &[Column; COL_MAX], i: isize| cols[i as usize].width as i64;
        let (mut len, mut linecols, mut eol) = (0i64, 0i64, -1isize);
        let mut c: isize = 0;
        while c < COL_MAX as isize {
            if width(&self.cols, c) == 0 {
                c += 1;
                continue;
            }
            linecols += 1;
            len += width(&self.cols, c);
            let last = (c as usize + 1..COL_MAX).all(|t| self.cols[t].width == 0);
            if !last && len < sw {
                c += 1;
                continue;
            }
            if len != sw {
                if len > sw {
                    len -= width(&self.cols, c);
                    c -= 1;
                    linecols -= 1;
                }
                let pad = sw - len;
                let spacing = pad / linecols.max(1);
                let mut rem = pad % linecols.max(1);
                let mut tmp = c;
                while tmp > eol {
                    let t = &mut self.cols[tmp as usize];
                    if t.width != 0 {
                        t.width = (t.width as i64 + spacing) as usize;
                        if rem != 0 {
                            t.width += 1;
                            rem -= 1;
                        }
                    }
                    tmp -= 1;
                }
            }
            eol = c;
            len = 0;
            linecols = 0;
            c += 1;
        }
        false
    }
}

impl<W: Write> std::fmt::Debug for TableRenderer<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableRenderer").field("opts", &self.opts).field("buffered", &self.data.len()).finish()
    }
}

/// `write!` into a byte buffer, which cannot fail.
macro_rules! out {
    ($buf:expr, $($arg:tt)*) => {{
        let _ = write!($buf, $($arg)*);
    }};
}

/// `ss`'s Netid spellings.
pub fn netid_name(t: Table) -> &'static str {
    match t {
        Table::Tcp => "tcp",
        Table::Udp => "udp",
        Table::Raw => "raw",
        Table::Mptcp => "mptcp",
        Table::UnixStream => "u_str",
        Table::UnixDgram => "u_dgr",
        Table::UnixSeqpacket => "u_seq",
        Table::PacketRaw => "p_raw",
        Table::PacketDgram => "p_dgr",
        Table::Netlink => "nl",
        _ => "unknown",
    }
}

/// `ss`'s State spellings (`sstate_name`). Request sockets and TCP
/// bound-inactive sockets, which the kernel reports as SYN-RECV and CLOSE,
/// print as those.
pub fn state_name(s: State) -> &'static str {
    match s {
        State::Established => "ESTAB",
        State::SynSent => "SYN-SENT",
        State::SynRecv | State::NewSynRecv => "SYN-RECV",
        State::FinWait1 => "FIN-WAIT-1",
        State::FinWait2 => "FIN-WAIT-2",
        State::TimeWait => "TIME-WAIT",
        State::Close | State::BoundInactive => "UNCONN",
        State::CloseWait => "CLOSE-WAIT",
        State::LastAck => "LAST-ACK",
        State::Listen => "LISTEN",
        State::Closing => "CLOSING",
        _ => "UNKNOWN",
    }
}

fn build_row(row: &mut [Vec<u8>; COL_MAX], names: &mut Names, opts: &RenderOptions, s: &Socket) {
    row[COL_NETID].extend_from_slice(netid_name(s.netid).as_bytes());
    // Packet and netlink sockets have no state: ss prints SS_CLOSE.
    let stateless = matches!(s.family, Family::Packet | Family::Netlink);
    row[COL_STATE].extend_from_slice(if stateless { "UNCONN" } else { state_name(s.state) }.as_bytes());
    if opts.queues {
        // ss never fills Send-Q for packet sockets.
        let sendq = if s.family == Family::Packet { 0 } else { s.send_q };
        out!(row[COL_RECVQ], "{:<6}", s.recv_q as i32);
        out!(row[COL_SENDQ], "{:<6}", sendq as i32);
    }
    match s.family {
        Family::Inet | Family::Inet6 => inet_row(row, names, opts, s),
        Family::Unix => unix_row(row, opts, s),
        Family::Packet => packet_row(row, names, opts, s),
        Family::Netlink => netlink_row(row, names, opts, s),
        _ => {}
    }
}

/// `proc_ctx_print`: ` users:(("comm",pid=N,fd=N),…)` in the Process column.
fn users(buf: &mut Vec<u8>, opts: &RenderOptions, s: &Socket) {
    if !opts.processes || s.processes.is_empty() || s.inode == 0 {
        return;
    }
    buf.extend_from_slice(b" users:(");
    for (i, p) in s.processes.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"(\"");
        fmt::escape_comm(buf, p.command.as_bytes());
        out!(buf, "\",pid={},", p.pid);
        if opts.threads {
            out!(buf, "tid={},", p.tid.unwrap_or(p.pid));
        }
        out!(buf, "fd={})", p.fd);
    }
    buf.push(b')');
}

/// `format_host` + `inet_addr_print`'s bracketing: `*` for a dual-stack
/// IPv6 wildcard, `[v6]`, or the resolved name with `-r`.
fn inet_host(buf: &mut Vec<u8>, names: &mut Names, opts: &RenderOptions, addr: IpAddr, v6only: bool) {
    match addr {
        IpAddr::V4(a) => {
            match opts.resolve.then(|| names.host(addr)).flatten() {
                Some(h) => buf.extend_from_slice(h.as_bytes()),
                None => out!(buf, "{a}"),
            };
        }
        IpAddr::V6(a) => {
            if !v6only && a.is_unspecified() {
                buf.push(b'*');
                return;
            }
            let text = match opts.resolve.then(|| names.host(addr)).flatten() {
                Some(h) => h.to_string(),
                None => fmt::inet6_ntop(&a),
            };
            if text.contains(':') {
                out!(buf, "[{text}]");
            } else {
                buf.extend_from_slice(text.as_bytes());
            }
        }
    }
}

fn inet_row(row: &mut [Vec<u8>; COL_MAX], names: &mut Names, opts: &RenderOptions, s: &Socket) {
    let transport = match s.netid {
        Table::Udp => Transport::Udp,
        Table::Raw => Transport::Raw,
        _ => Transport::Tcp,
    };
    let v6only = s.family == Family::Inet6 && s.v6only.unwrap_or(false);
    for (col_addr, col_port, ep, iface) in [(COL_ADDR, COL_SERV, &s.local, s.interface), (COL_RADDR, COL_RSERV, &s.peer, 0)] {
        let (addr, port) = match *ep {
            Endpoint::Inet { addr, port } => (addr, port),
            _ => (if s.family == Family::Inet6 { IpAddr::from([0u16; 8]) } else { IpAddr::from([0u8; 4]) }, 0),
        };
        inet_host(&mut row[col_addr], names, opts, addr, v6only);
        if iface != 0 {
            row[col_addr].push(b'%');
            let n = names.ifname(iface).as_bytes().to_vec();
            row[col_addr].extend_from_slice(&n);
        }
        row[col_addr].push(b':');
        let svc = names.service(port, transport);
        row[col_port].extend_from_slice(svc.as_bytes());
    }
    users(&mut row[COL_PROC], opts, s);
    let ext = &mut row[COL_EXT];
    if opts.timers || opts.extended {
        if let Some(t) = &s.timer {
            out!(ext, " timer:({},{},{})", t.kind.name(), fmt::ms_timer(t.expires.as_millis().min(u32::MAX as u128) as u32), t.retransmits);
        }
    }
    if opts.extended {
        details(ext, names, s);
        if s.family == Family::Inet6 {
            if let Some(v) = s.v6only {
                out!(ext, " v6only:{}", v as u8);
            }
        }
        shutdown(ext, s);
    }
    if opts.tos {
        if let Some(t) = s.tos {
            out!(ext, " tos:{}", fmt::alt_hex(t.into()));
        }
        if let Some(t) = s.tclass {
            out!(ext, " tclass:{}", fmt::alt_hex(t.into()));
        }
        if let Some(c) = s.class_id {
            out!(ext, " class_id:{}", fmt::alt_hex(c));
        }
    }
    if opts.cgroup {
        if let Some(id) = s.cgroup_id {
            out!(ext, " cgroup:{}", names.cgroup_path(id));
        }
    }
    if opts.memory || (opts.info && s.netid != Table::Udp) {
        if !opts.oneline {
            ext.extend_from_slice(b"\n\t");
        }
        skmem(ext, s, true);
        if opts.info {
            if let Some(ti) = &s.tcp_info {
                if s.netid == Table::Mptcp {
                    mptcp_stats(ext, ti);
                } else {
                    tcp_stats(ext, opts, s, ti);
                }
            }
        }
        if s.netid != Table::Mptcp {
            if let Some(ulp) = &s.ulp {
                ext.extend_from_slice(b" tcp-ulp-");
                ext.extend_from_slice(ulp.as_bytes());
            }
        }
    }
}

/// `sock_details_print`: ` uid:U ino:I sk:COOKIE fwmark:0xM cgroup:PATH`.
fn details(ext: &mut Vec<u8>, names: &mut Names, s: &Socket) {
    if let Some(uid) = s.uid.filter(|&u| u != 0) {
        out!(ext, " uid:{uid}");
    }
    out!(ext, " ino:{} sk:{:x}", s.inode as u32, s.cookie.unwrap_or(0));
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
        out!(ext, " {}-{}", if sh.recv { '-' } else { '<' }, if sh.send { '-' } else { '>' });
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
        out!(ext, " mem:(r{},w{},f{},t{})", m.rmem, m.wmem, m.fmem, m.tmem);
    }
}

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
fn tcp_stats(ext: &mut Vec<u8>, opts: &RenderOptions, s: &Socket, ti: &TcpInfo) {
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
        out!(ext, " wscale:{},{}", ti.snd_wscale().unwrap_or(0), ti.rcv_wscale().unwrap_or(0));
    }
    let rto = z32(ti.rto());
    if rto != 0 && rto != 3_000_000 {
        out!(ext, " rto:{}", g(rto as f64 / 1000.0));
    }
    let backoff = ti.backoff().unwrap_or(0);
    if backoff != 0 {
        out!(ext, " backoff:{backoff}");
    }
    let rtt_us = z32(ti.rtt());
    if rtt_us != 0 {
        out!(ext, " rtt:{}/{}", g(rtt_us as f64 / 1000.0), g(z32(ti.rttvar()) as f64 / 1000.0));
    }
    let ato = z32(ti.ato());
    if ato != 0 {
        out!(ext, " ato:{}", g(ato as f64 / 1000.0));
    }
    let mss = z32(ti.snd_mss());
    for (name, v) in [("mss", mss), ("pmtu", z32(ti.pmtu())), ("rcvmss", z32(ti.rcv_mss())), ("advmss", z32(ti.advmss()))] {
        if v != 0 {
            if name == "pmtu" {
                out!(ext, " {name}:{v}");
            } else {
                out!(ext, " {name}:{}", v as i32);
            }
        }
    }
    let cwnd = z32(ti.snd_cwnd());
    if cwnd != 0 {
        out!(ext, " cwnd:{cwnd}");
    }
    let ssthresh = z32(ti.snd_ssthresh());
    if ssthresh != 0 && ssthresh < 0xFFFF {
        out!(ext, " ssthresh:{ssthresh}");
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
            out!(ext, " {name}:{v}");
        }
    }
    if let Some(d) = &s.dctcp {
        if d.enabled != 0 {
            out!(ext, " dctcp:(ce_state:{},alpha:{},ab_ecn:{},ab_tot:{})", d.ce_state, d.alpha, d.ab_ecn, d.ab_tot);
        } else {
            ext.extend_from_slice(b" dctcp:fallback_mode");
        }
    }
    if let Some(b) = &s.bbr {
        out!(ext, " bbr:(bw:{}bps,mrtt:{}", fmt::bw(b.bw as f64 * 8.0, opts.numeric), g(b.min_rtt as f64 / 1000.0));
        if b.pacing_gain != 0 {
            out!(ext, ",pacing_gain:{}", g(b.pacing_gain as f64 / 256.0));
        }
        if b.cwnd_gain != 0 {
            out!(ext, ",cwnd_gain:{}", g(b.cwnd_gain as f64 / 256.0));
        }
        ext.push(b')');
    }
    let mut rtt = rtt_us as f64;
    if let Some(v) = &s.vegas {
        if v.enabled != 0 && v.rtt != 0 && v.rtt != 0x7fff_ffff {
            rtt = v.rtt as f64;
        }
    }
    if rtt > 0.0 && mss != 0 && cwnd != 0 {
        out!(ext, " send {}bps", fmt::bw(cwnd as f64 * mss as f64 * 8_000_000.0 / rtt, opts.numeric));
    }
    for (name, v) in [("lastsnd", ti.last_data_sent()), ("lastrcv", ti.last_data_recv()), ("lastack", ti.last_ack_recv())] {
        let v = z32(v);
        if v != 0 {
            out!(ext, " {name}:{v}");
        }
    }
    let pacing = z64(ti.pacing_rate());
    if pacing != 0 && pacing != u64::MAX {
        out!(ext, " pacing_rate {}bps", fmt::bw(pacing as f64 * 8.0, opts.numeric));
        let max = z64(ti.max_pacing_rate());
        if max != 0 && max != u64::MAX {
            out!(ext, "/{}bps", fmt::bw(max as f64 * 8.0, opts.numeric));
        }
    }
    let delivery = z64(ti.delivery_rate());
    if delivery != 0 {
        out!(ext, " delivery_rate {}bps", fmt::bw(delivery as f64 * 8.0, opts.numeric));
    }
    for (name, v) in [("delivered", ti.delivered()), ("delivered_ce", ti.delivered_ce())] {
        let v = z32(v);
        if v != 0 {
            out!(ext, " {name}:{v}");
        }
    }
    if ti.delivery_rate_app_limited().unwrap_or(false) {
        ext.extend_from_slice(b" app_limited");
    }
    let busy = z64(ti.busy_time());
    if busy != 0 {
        out!(ext, " busy:{}ms", busy / 1000);
        for (name, v) in [("rwnd_limited", z64(ti.rwnd_limited())), ("sndbuf_limited", z64(ti.sndbuf_limited()))] {
            if v != 0 {
                out!(ext, " {name}:{}ms({:.1}%)", v / 1000, 100.0 * v as f64 / busy as f64);
            }
        }
    }
    let unacked = z32(ti.unacked());
    if unacked != 0 {
        out!(ext, " unacked:{unacked}");
    }
    let (retrans, total) = (z32(ti.retrans()), z32(ti.total_retrans()));
    if retrans != 0 || total != 0 {
        out!(ext, " retrans:{retrans}/{total}");
    }
    let lost = z32(ti.lost());
    if lost != 0 {
        out!(ext, " lost:{lost}");
    }
    let sacked = z32(ti.sacked());
    if sacked != 0 && s.state != State::Listen {
        out!(ext, " sacked:{sacked}");
    }
    for (name, v) in [("dsack_dups", ti.dsack_dups()), ("fackets", ti.fackets())] {
        let v = z32(v);
        if v != 0 {
            out!(ext, " {name}:{v}");
        }
    }
    let reordering = z32(ti.reordering());
    if reordering != 3 {
        out!(ext, " reordering:{}", reordering as i32);
    }
    let reord_seen = z32(ti.reord_seen());
    if reord_seen != 0 {
        out!(ext, " reord_seen:{}", reord_seen as i32);
    }
    let rcv_rtt = z32(ti.rcv_rtt());
    if rcv_rtt != 0 {
        out!(ext, " rcv_rtt:{}", g(rcv_rtt as f64 / 1000.0));
    }
    let rcv_space = z32(ti.rcv_space());
    if rcv_space != 0 {
        out!(ext, " rcv_space:{}", rcv_space as i32);
    }
    for (name, v) in [("rcv_ssthresh", ti.rcv_ssthresh()), ("notsent", ti.notsent_bytes())] {
        let v = z32(v);
        if v != 0 {
            out!(ext, " {name}:{v}");
        }
    }
    let min_rtt = z32(ti.min_rtt());
    if min_rtt != 0 && min_rtt != u32::MAX {
        out!(ext, " minrtt:{}", g(min_rtt as f64 / 1000.0));
    }
    for (name, v) in [("rcv_ooopack", ti.rcv_ooopack()), ("snd_wnd", ti.snd_wnd()), ("rcv_wnd", ti.rcv_wnd()), ("rehash", ti.rehash())] {
        let v = z32(v);
        if v != 0 {
            out!(ext, " {name}:{v}");
        }
    }
}

/// `mptcp_stats_print` over `struct mptcp_info` (`<linux/mptcp.h>`), which
/// MPTCP sockets send where TCP sends `tcp_info`.
fn mptcp_stats(ext: &mut Vec<u8>, info: &TcpInfo) {
    let b = info.as_bytes();
    let u8_at = |o: usize| b.get(o).copied().unwrap_or(0) as u64;
    let u32_at = |o: usize| b.get(o..o + 4).map_or(0, |s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]])) as u64;
    let u64_at = |o: usize| {
        b.get(o..o + 8).map_or(0, |s| {
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            u64::from_ne_bytes(a)
        })
    };
    for (name, v) in [
        ("subflows", u8_at(0)),
        ("add_addr_signal", u8_at(1)),
        ("add_addr_accepted", u8_at(2)),
        ("subflows_max", u8_at(3)),
        ("add_addr_signal_max", u8_at(4)),
        ("add_addr_accepted_max", u8_at(5)),
    ] {
        if v != 0 {
            out!(ext, " {name}:{v}");
        }
    }
    let flags = u32_at(8);
    if flags & 1 != 0 {
        ext.extend_from_slice(b" fallback");
    }
    if flags & 2 != 0 {
        ext.extend_from_slice(b" remote_key");
    }
    let token = u32_at(12);
    if token != 0 {
        out!(ext, " token:{token:x}");
    }
    for (name, v) in [
        ("write_seq", u64_at(16)),
        ("snd_una", u64_at(24)),
        ("rcv_nxt", u64_at(32)),
        ("local_addr_used", u8_at(40)),
        ("local_addr_max", u8_at(41)),
        ("csum_enabled", u8_at(42)),
        ("retransmits", u32_at(44)),
        ("bytes_retrans", u64_at(48)),
        ("bytes_sent", u64_at(56)),
        ("bytes_received", u64_at(64)),
        ("bytes_acked", u64_at(72)),
        ("subflows_total", u8_at(80)),
        ("endp_laminar_max", u8_at(81)),
        ("last_data_sent", u32_at(84)),
        ("last_data_recv", u32_at(88)),
        ("last_ack_recv", u32_at(92)),
    ] {
        if v != 0 {
            out!(ext, " {name}:{v}");
        }
    }
}

fn unix_row(row: &mut [Vec<u8>; COL_MAX], opts: &RenderOptions, s: &Socket) {
    let (name, inode) = match s.local {
        Endpoint::Unix { name, inode } => (name, if inode != 0 { inode } else { s.inode as u32 }),
        _ => (UnixName::Unnamed, s.inode as u32),
    };
    let a = &mut row[COL_ADDR];
    match name {
        UnixName::Unnamed => a.push(b'*'),
        UnixName::Path(p) => a.extend(p.as_bytes().iter().take_while(|&&b| b != 0)),
        // ss turns every NUL of an abstract name into '@', the leading one too.
        UnixName::Abstract(n) => {
            a.push(b'@');
            a.extend(n.as_bytes().iter().map(|&b| if b == 0 { b'@' } else { b }));
        }
    }
    a.push(b' ');
    out!(row[COL_SERV], "{inode}");
    let peer = match s.peer {
        Endpoint::Unix { inode, .. } => inode,
        _ => 0,
    };
    row[COL_RADDR].extend_from_slice(b"* ");
    out!(row[COL_RSERV], "{peer}");
    users(&mut row[COL_PROC], opts, s);
    let ext = &mut row[COL_EXT];
    if opts.memory {
        skmem(ext, s, false);
    }
    if opts.extended {
        shutdown(ext, s);
        if let Some(u) = &s.unix {
            if let Some(v) = &u.vfs {
                out!(ext, " ino:{} dev:{}/{}", v.ino, fmt::dev_major(v.dev.into()), fmt::dev_minor(v.dev.into()));
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
        out!(ext, " ino:{} sk:{:x}", s.inode as u32, s.cookie.unwrap_or(0));
        if let Some(p) = &s.packet {
            let nl = if opts.oneline { " " } else { "\n\t" };
            out!(ext, "{nl}ver:{} cpy_thresh:{} flags( ", p.version as i32, p.copy_thresh as i32);
            for (bit, word) in [(0x1, "running"), (0x2, " auxdata"), (0x4, " origdev"), (0x8, " vnethdr"), (0x10, " loss")] {
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
    if opts.memory {
        skmem(ext, s, false);
    }
}

fn netlink_row(row: &mut [Vec<u8>; COL_MAX], names: &mut Names, opts: &RenderOptions, s: &Socket) {
    let (protocol, portid) = match s.local {
        Endpoint::Netlink { protocol, portid, .. } => (protocol, portid),
        _ => (0, 0),
    };
    row[COL_ADDR].extend_from_slice(names.netlink_proto(protocol).as_bytes());
    row[COL_ADDR].push(b':');
    let port = names.netlink_port(portid);
    row[COL_SERV].extend_from_slice(port.as_bytes());
    let (dst_portid, dst_group) = match s.peer {
        Endpoint::Netlink { portid, group, .. } => (portid, group),
        _ => (0, 0),
    };
    // NETLINK_CONNECTED: the model keeps the peer only; a connected socket
    // has a destination (or is reported Established).
    if s.state == State::Established || dst_portid != 0 || dst_group != 0 {
        out!(row[COL_RADDR], "{}:", dst_group as i32);
        out!(row[COL_RSERV], "{}", dst_portid as i32);
    } else {
        row[COL_RADDR].push(b'*');
    }
    // ss prints no users for netlink sockets, and its details land in the
    // Process column (lost when that column is off).
    let p = &mut row[COL_PROC];
    if opts.extended {
        let groups = s.netlink.as_ref().map_or(0u32, |n| {
            n.groups.iter().filter(|&&g| (1..=32).contains(&g)).fold(0, |m, &g| m | 1 << (g - 1))
        });
        out!(p, " sk=0 cb=0 groups=0x{groups:08x}");
    }
    if opts.memory {
        p.push(b'\t');
        skmem(p, s, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockdiag::{Process, Shutdown, SkMemInfo, Timer, TimerKind};
    use std::time::Duration;

    fn names() -> Names {
        let mut n = Names::new(false);
        n.set_services("ssh 22/tcp\ndomain 53/tcp\ndomain 53/udp\nhttp 80/tcp\nhttps 443/tcp\nipp 631/tcp\n");
        n.set_ephemeral_range(32768, 60999);
        n.set_ifname(1, "lo");
        n.set_ifname(2, "eth0");
        n
    }

    fn render(opts: RenderOptions, socks: &[Socket]) -> String {
        let mut r = TableRenderer::with_names(Vec::new(), opts, names());
        for s in socks {
            r.push(s).unwrap();
        }
        String::from_utf8(r.finish().unwrap()).unwrap()
    }

    /// Compact layout (`ss … | cat` with no COLUMNS), numeric.
    fn compact() -> RenderOptions {
        RenderOptions { width: Some(0), numeric: true, ..Default::default() }
    }

    fn tcp(state: State, local: &str, lport: u16, peer: &str, pport: u16) -> Socket {
        let v6 = local.contains(':');
        let mut s = Socket::new(Table::Tcp, if v6 { Family::Inet6 } else { Family::Inet }, state);
        s.local = Endpoint::Inet { addr: local.parse().unwrap(), port: lport };
        s.peer = Endpoint::Inet { addr: peer.parse().unwrap(), port: pport };
        s
    }

    /// The single row after the header, without its newline.
    fn row(opts: RenderOptions, s: &Socket) -> String {
        let out = render(RenderOptions { header: false, ..opts }, std::slice::from_ref(s));
        out.strip_suffix('\n').unwrap().to_string()
    }

    #[test]
    fn compact_layout_matches_ss() {
        // ss -tln | cat (ss 7.1 rules: widths = longest token + delimiter;
        // address right-aligned, port left-aligned; no padding after the
        // last visible column).
        let mut a = tcp(State::Listen, "0.0.0.0", 22, "0.0.0.0", 0);
        a.send_q = 128;
        let mut b = tcp(State::Listen, "::", 22, "::", 0);
        b.send_q = 128;
        b.v6only = Some(true);
        let mut c = tcp(State::Listen, "127.0.0.53", 53, "0.0.0.0", 0);
        c.send_q = 4096;
        c.interface = 1;
        let opts = RenderOptions { show_netid: false, show_state: false, ..compact() };
        let out = render(opts, &[a, b, c]);
        assert_eq!(
            out,
            "Recv-Q Send-Q   Local Address:Port Peer Address:Port\n\
             0      128            0.0.0.0:22        0.0.0.0:*   \n\
             0      128               [::]:22           [::]:*   \n\
             0      4096    127.0.0.53%lo:53        0.0.0.0:*   \n"
        );
    }

    #[test]
    fn header_variants() {
        let s = tcp(State::Established, "10.0.0.1", 40000, "10.0.0.2", 22);
        let full = render(compact(), std::slice::from_ref(&s));
        assert_eq!(full.lines().next().unwrap(), "Netid State Recv-Q Send-Q Local Address:Port  Peer Address:Port");
        let p = render(RenderOptions { processes: true, ..compact() }, std::slice::from_ref(&s));
        // Process is glued to the port column, whose width is "Port"'s here.
        assert_eq!(p.lines().next().unwrap(), "Netid State Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess");
        let q = render(RenderOptions { queues: false, show_state: false, ..compact() }, std::slice::from_ref(&s));
        assert_eq!(q.lines().next().unwrap(), "Netid Local Address:Port  Peer Address:Port");
        let h = render(RenderOptions { header: false, ..compact() }, std::slice::from_ref(&s));
        assert_eq!(h, "tcp   ESTAB 0      0           10.0.0.1:40000     10.0.0.2:22\n");
        // No sockets and -H: nothing at all.
        assert_eq!(render(RenderOptions { header: false, ..compact() }, &[]), "");
        assert_eq!(render(compact(), &[]), "Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port\n");
    }

    #[test]
    fn states_and_netids() {
        let cases = [
            (State::Established, "ESTAB"),
            (State::SynSent, "SYN-SENT"),
            (State::SynRecv, "SYN-RECV"),
            (State::NewSynRecv, "SYN-RECV"),
            (State::FinWait1, "FIN-WAIT-1"),
            (State::FinWait2, "FIN-WAIT-2"),
            (State::TimeWait, "TIME-WAIT"),
            (State::Close, "UNCONN"),
            (State::BoundInactive, "UNCONN"),
            (State::CloseWait, "CLOSE-WAIT"),
            (State::LastAck, "LAST-ACK"),
            (State::Listen, "LISTEN"),
            (State::Closing, "CLOSING"),
        ];
        for (st, name) in cases {
            assert_eq!(state_name(st), name);
        }
        let t = [
            (Table::Tcp, "tcp"),
            (Table::Udp, "udp"),
            (Table::Raw, "raw"),
            (Table::Mptcp, "mptcp"),
            (Table::UnixStream, "u_str"),
            (Table::UnixDgram, "u_dgr"),
            (Table::UnixSeqpacket, "u_seq"),
            (Table::PacketRaw, "p_raw"),
            (Table::PacketDgram, "p_dgr"),
            (Table::Netlink, "nl"),
        ];
        for (tb, name) in t {
            assert_eq!(netid_name(tb), name);
        }
    }

    #[test]
    fn inet_addresses() {
        let o = RenderOptions { show_netid: false, show_state: false, queues: false, ..compact() };
        let r = |s: &Socket| row(o.clone(), s);
        // IPv6 wildcard: '*' unless v6only (or v6only unknown → dual-stack).
        let mut dual = tcp(State::Listen, "::", 80, "::", 0);
        assert_eq!(r(&dual), "*:80 *:*");
        dual.v6only = Some(false);
        assert_eq!(r(&dual), "*:80 *:*");
        dual.v6only = Some(true);
        assert_eq!(r(&dual), "[::]:80 [::]:*");
        let v6 = tcp(State::Established, "2001:db8::1", 443, "::ffff:10.1.2.3", 51000);
        assert_eq!(r(&v6), "[2001:db8::1]:443 [::ffff:10.1.2.3]:51000");
        let mut dev = tcp(State::Listen, "fe80::1", 22, "::", 0);
        dev.interface = 2;
        dev.v6only = Some(true);
        assert_eq!(r(&dev), "[fe80::1]%eth0:22 [::]:*");
        let mut unknown_dev = tcp(State::Listen, "0.0.0.0", 22, "0.0.0.0", 0);
        unknown_dev.interface = 4242;
        let mut n = names();
        n.set_ifname(4242, "if4242");
        let mut rr = TableRenderer::with_names(Vec::new(), RenderOptions { header: false, ..o.clone() }, n);
        rr.push(&unknown_dev).unwrap();
        assert_eq!(String::from_utf8(rr.finish().unwrap()).unwrap(), "0.0.0.0%if4242:22 0.0.0.0:*\n");
    }

    #[test]
    fn service_names_and_ephemeral_ports() {
        let o = RenderOptions { show_netid: false, show_state: false, queues: false, ..Default::default() };
        let o = RenderOptions { width: Some(0), ..o };
        let s = tcp(State::Established, "10.0.0.1", 22, "10.0.0.2", 40000);
        assert_eq!(row(o.clone(), &s), "10.0.0.1:ssh 10.0.0.2:40000");
        let s = tcp(State::Established, "10.0.0.1", 8080, "10.0.0.2", 443);
        assert_eq!(row(o.clone(), &s), "10.0.0.1:8080 10.0.0.2:https");
        let mut u = s.clone();
        u.netid = Table::Udp;
        u.local = Endpoint::Inet { addr: "0.0.0.0".parse().unwrap(), port: 53 };
        assert_eq!(row(o.clone(), &u), "0.0.0.0:domain 10.0.0.2:443");
        // 631 is named for tcp only in our table.
        u.local = Endpoint::Inet { addr: "0.0.0.0".parse().unwrap(), port: 631 };
        assert_eq!(row(o.clone(), &u), "0.0.0.0:631 10.0.0.2:443");
        // Port inside ip_local_port_range: never a name (ss would not say "socks").
        let mut n = names();
        n.set_services("x11 6000/tcp\n");
        n.set_ephemeral_range(1000, 7000);
        let mut r = TableRenderer::with_names(Vec::new(), RenderOptions { header: false, ..o.clone() }, n);
        r.push(&tcp(State::Listen, "0.0.0.0", 6000, "0.0.0.0", 0)).unwrap();
        assert_eq!(String::from_utf8(r.finish().unwrap()).unwrap(), "0.0.0.0:6000 0.0.0.0:*\n");
    }

    #[test]
    fn resolved_hosts() {
        let o = RenderOptions { show_netid: false, show_state: false, queues: false, resolve: true, numeric: true, width: Some(0), header: false, ..Default::default() };
        let mut n = names();
        n.set_host("127.0.0.1".parse().unwrap(), Some("localhost"));
        n.set_host("::1".parse().unwrap(), Some("ip6-localhost"));
        n.set_host("10.9.9.9".parse().unwrap(), None);
        n.set_host("0.0.0.0".parse().unwrap(), None);
        let mut r = TableRenderer::with_names(Vec::new(), o, n);
        r.push(&tcp(State::Established, "127.0.0.1", 22, "10.9.9.9", 1)).unwrap();
        r.push(&tcp(State::Established, "::1", 22, "::ffff:127.0.0.1", 1)).unwrap();
        assert_eq!(
            String::from_utf8(r.finish().unwrap()).unwrap(),
            "    localhost:22 10.9.9.9:1\n\
             ip6-localhost:22 localhost:1\n"
        );
    }

    fn unix(table: Table, state: State, name: &[u8], inode: u32, peer: u32) -> Socket {
        let mut s = Socket::new(table, Family::Unix, state);
        s.inode = inode.into();
        s.local = Endpoint::Unix { name: UnixName::from_sun_path(name), inode };
        s.peer = Endpoint::Unix { name: UnixName::Unnamed, inode: peer };
        s
    }

    #[test]
    fn unix_rows() {
        // From ss -x: "u_str ESTAB 0 0 /run/dbus/system_bus_socket 23456 * 23455"
        // (compact spacing: address right-aligned with its trailing blank).
        let socks = [
            unix(Table::UnixStream, State::Established, b"/run/dbus/system_bus_socket", 23456, 23455),
            unix(Table::UnixStream, State::Established, b"", 23455, 23456),
            unix(Table::UnixDgram, State::Close, b"\0abstract\0x", 77, 0),
            unix(Table::UnixSeqpacket, State::Listen, b"/tmp/s", 78, 0),
        ];
        let out = render(compact(), &socks);
        assert_eq!(
            out,
            "Netid State  Recv-Q Send-Q               Local Address:Port  Peer Address:Port \n\
             u_str ESTAB  0      0      /run/dbus/system_bus_socket 23456            * 23455\n\
             u_str ESTAB  0      0                                * 23455            * 23456\n\
             u_dgr UNCONN 0      0                 @abstract@x 77               * 0    \n\
             u_seq LISTEN 0      0                          /tmp/s 78               * 0    \n"
        );
    }

    #[test]
    fn unix_extended_and_memory() {
        let mut s = unix(Table::UnixStream, State::Listen, b"/run/x.sock", 100, 0);
        s.shutdown = Some(Shutdown { recv: false, send: false });
        let mut u = sockdiag::UnixInfo::default();
        u.vfs = Some(sockdiag::UnixVfs { ino: 555, dev: 0x80_0001 });
        u.icons = Some(vec![201, 202]);
        s.unix = Some(u);
        s.skmem = Some(SkMemInfo { rcvbuf: 212992, sndbuf: 212992, ..Default::default() });
        let o = RenderOptions { extended: true, memory: true, show_netid: false, show_state: false, queues: false, ..compact() };
        assert_eq!(
            row(o, &s),
            "/run/x.sock 100 * 0 skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0) <-> ino:555 dev:0/2049 peers: 201 202"
        );
    }

    #[test]
    fn users_column() {
        let mut s = tcp(State::Listen, "0.0.0.0", 22, "0.0.0.0", 0);
        s.inode = 1234;
        s.processes = vec![
            Process { command: "sshd".into(), pid: 812, fd: 3, tid: None },
            Process { command: "we\"ird)\tname\u{e9}".into(), pid: 9, fd: 7, tid: Some(10) },
        ];
        let o = RenderOptions { processes: true, show_netid: false, show_state: false, queues: false, ..compact() };
        assert_eq!(row(o.clone(), &s), "0.0.0.0:22 0.0.0.0:* users:((\"sshd\",pid=812,fd=3),(\"we\"ird).name??\",pid=9,fd=7))");
        let t = RenderOptions { threads: true, ..o.clone() };
        assert_eq!(
            row(t, &s),
            "0.0.0.0:22 0.0.0.0:* users:((\"sshd\",pid=812,tid=812,fd=3),(\"we\"ird).name??\",pid=9,tid=10,fd=7))"
        );
        // Without -p the column is off: nothing, even with processes attached.
        let off = RenderOptions { processes: false, ..o.clone() };
        assert_eq!(row(off, &s), "0.0.0.0:22 0.0.0.0:*");
        // Inode 0 (TIME-WAIT): ss finds no users.
        s.inode = 0;
        assert_eq!(row(o, &s), "0.0.0.0:22 0.0.0.0:*");
    }

    #[test]
    fn timers_and_extended() {
        let o = RenderOptions { show_netid: false, show_state: false, queues: false, ..compact() };
        let mut s = tcp(State::Established, "10.0.0.1", 22, "10.0.0.2", 50000);
        s.inode = 4321;
        s.cookie = Some(0xffff_8f00_1234_5678);
        s.uid = Some(0);
        s.timer = Some(Timer { kind: TimerKind::Keepalive, expires: Duration::from_millis(65_000), retransmits: 0 });
        s.shutdown = Some(Shutdown { recv: false, send: true });
        let t = RenderOptions { timers: true, ..o.clone() };
        assert_eq!(row(t, &s), "10.0.0.1:22 10.0.0.2:50000 timer:(keepalive,1min5sec,0)");
        let e = RenderOptions { extended: true, ..o.clone() };
        assert_eq!(row(e.clone(), &s), "10.0.0.1:22 10.0.0.2:50000 timer:(keepalive,1min5sec,0) ino:4321 sk:ffff8f0012345678 <--");
        s.uid = Some(1000);
        s.mark = Some(0x2a);
        s.timer = Some(Timer { kind: TimerKind::On, expires: Duration::from_millis(200), retransmits: 2 });
        s.shutdown = Some(Shutdown { recv: true, send: true });
        assert_eq!(row(e.clone(), &s), "10.0.0.1:22 10.0.0.2:50000 timer:(on,200ms,2) uid:1000 ino:4321 sk:ffff8f0012345678 fwmark:0x2a ---");
        // IPv6 sockets add v6only; a zero cgroup id prints nothing.
        let mut v6 = tcp(State::Listen, "::", 22, "::", 0);
        v6.v6only = Some(false);
        v6.cookie = Some(0x1001);
        v6.inode = 433;
        v6.cgroup_id = Some(0);
        v6.shutdown = Some(Shutdown::default());
        assert_eq!(row(e, &v6), "*:22 *:* ino:433 sk:1001 v6only:0 <->");
        // Timer kinds and the delack name (v7.1).
        for (k, name) in [(TimerKind::Persist, "persist"), (TimerKind::TimeWait, "timewait"), (TimerKind::Delack, "delack"), (TimerKind::Unknown(9), "unknown")] {
            s.timer = Some(Timer { kind: k, expires: Duration::from_millis(9373), retransmits: 0 });
            let t = RenderOptions { timers: true, ..o.clone() };
            assert_eq!(row(t, &s), format!("10.0.0.1:22 10.0.0.2:50000 timer:({name},9.373sec,0)"));
        }
    }

    #[test]
    fn cgroup_and_tos() {
        let mut n = names();
        n.set_cgroup(1, "/");
        n.set_cgroup(77, "/system.slice/ssh.service");
        let o = RenderOptions { show_netid: false, show_state: false, queues: false, header: false, extended: true, cgroup: true, tos: true, ..compact() };
        let mut s = tcp(State::Listen, "0.0.0.0", 22, "0.0.0.0", 0);
        s.inode = 433;
        s.cookie = Some(0x1001);
        s.cgroup_id = Some(77);
        s.tos = Some(0);
        s.class_id = Some(0);
        let mut v6 = tcp(State::Listen, "::1", 22, "::", 0);
        v6.cgroup_id = Some(9);
        v6.tclass = Some(0x10);
        v6.class_id = Some(0x10001);
        let mut r = TableRenderer::with_names(Vec::new(), o, n);
        r.push(&s).unwrap();
        r.push(&v6).unwrap();
        assert_eq!(
            String::from_utf8(r.finish().unwrap()).unwrap(),
            "0.0.0.0:22 0.0.0.0:* ino:433 sk:1001 cgroup:/system.slice/ssh.service tos:0 class_id:0 cgroup:/system.slice/ssh.service\n\
             \u{20}\u{20}[::1]:22       *:* ino:0 sk:0 cgroup:unreachable:9 tclass:0x10 class_id:0x10001 cgroup:unreachable:9                  \n"
        );
    }

    fn info_bytes(f: &[(usize, u64, usize)]) -> TcpInfo {
        let mut b = vec![0u8; sockdiag::TCP_INFO_LEN];
        for &(off, v, size) in f {
            b[off..off + size].copy_from_slice(&v.to_ne_bytes()[..size]);
        }
        TcpInfo::from_bytes(&b)
    }

    #[test]
    fn tcp_info_line() {
        // A loopback connection as ss 6.1 -tnoi showed it here (fields and
        // order from tcp_stats_print; values of a real socket):
        //  ts sack cubic wscale:7,7 rto:204 rtt:0.035/0.017 ato:40 mss:32768
        //  pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_sent:5 bytes_acked:6
        //  segs_out:3 segs_in:2 data_segs_out:1 send 74.9Gbps lastsnd:1016
        //  lastrcv:1016 lastack:1016 pacing_rate 150Gbps delivery_rate 13.1Gbps
        //  delivered:2 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.02
        //  snd_wnd:65536 rcv_wnd:65536
        let ti = info_bytes(&[
            (0, 1, 1),            // state
            (5, 7, 1),            // options: ts sack wscale
            (6, 0x77, 1),         // wscale 7,7
            (7, 1, 1),            // app limited
            (8, 204_000, 4),      // rto
            (12, 40_000, 4),      // ato
            (16, 32768, 4),       // snd_mss
            (20, 536, 4),         // rcv_mss
            (44, 1016, 4),        // last_data_sent
            (52, 1016, 4),        // last_data_recv
            (56, 1016, 4),        // last_ack_recv
            (60, 65535, 4),       // pmtu
            (64, 65483, 4),       // rcv_ssthresh
            (68, 35, 4),          // rtt
            (72, 17, 4),          // rttvar
            (76, 0x7fff_ffff, 4), // snd_ssthresh: infinite
            (80, 10, 4),          // cwnd
            (84, 65483, 4),       // advmss
            (88, 3, 4),           // reordering
            (96, 65483, 4),       // rcv_space
            (104, 18_750_000_000, 8), // pacing_rate (B/s)
            (112, u64::MAX, 8),   // max_pacing_rate: unlimited
            (120, 6, 8),          // bytes_acked
            (136, 3, 4),          // segs_out
            (140, 2, 4),          // segs_in
            (148, 20, 4),         // min_rtt
            (156, 1, 4),          // data_segs_out
            (160, 1_638_400_000, 8), // delivery_rate
            (192, 2, 4),          // delivered
            (200, 5, 8),          // bytes_sent
            (228, 65536, 4),      // snd_wnd
            (232, 65536, 4),      // rcv_wnd
        ]);
        let mut s = tcp(State::Established, "127.0.0.1", 40000, "127.0.0.1", 5000);
        s.tcp_info = Some(ti);
        s.congestion = Some(sockdiag::ShortName::new(b"cubic"));
        let o = RenderOptions { show_netid: false, show_state: false, queues: false, info: true, timers: true, ..compact() };
        assert_eq!(
            row(o.clone(), &s),
            "127.0.0.1:40000 127.0.0.1:5000\n\t ts sack cubic wscale:7,7 rto:204 rtt:0.035/0.017 ato:40 mss:32768 pmtu:65535 \
             rcvmss:536 advmss:65483 cwnd:10 bytes_sent:5 bytes_acked:6 segs_out:3 segs_in:2 data_segs_out:1 \
             send 74.9Gbps lastsnd:1016 lastrcv:1016 lastack:1016 pacing_rate 150Gbps delivery_rate 13.1Gbps \
             delivered:2 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.02 snd_wnd:65536 rcv_wnd:65536"
        );
        // Without -o/-e the option words go; -O keeps it on one line; -n
        // prints raw rates.
        let o2 = RenderOptions { timers: false, oneline: true, numeric: true, ..o.clone() };
        let line = row(o2, &s);
        assert!(line.starts_with("127.0.0.1:40000 127.0.0.1:5000 cubic wscale:7,7 rto:204 "), "{line}");
        assert!(line.contains(" send 74898285714bps "), "{line}");
        assert!(line.contains(" pacing_rate 150000000000bps delivery_rate 13107200000bps "), "{line}");
    }

    #[test]
    fn tcp_info_rare_fields() {
        let ti = info_bytes(&[
            (4, 3, 1),             // backoff
            (5, 8 | 16 | 32 | 64, 1), // ecn ecnseen fastopen usec_ts
            (8, 3_000_000, 4),     // rto at its initial 3 s: hidden
            (24, 4, 4),            // unacked
            (28, 2, 4),            // sacked
            (32, 1, 4),            // lost
            (36, 1, 4),            // retrans
            (40, 1, 4),            // fackets
            (68, 1500, 4),         // rtt (µs)
            (76, 20, 4),           // ssthresh
            (80, 4, 4),            // cwnd
            (16, 1448, 4),         // mss
            (88, 5, 4),            // reordering
            (92, 2500, 4),         // rcv_rtt
            (100, 7, 4),           // total_retrans
            (104, 1000, 8),        // pacing 8 kbps
            (112, 125_000, 8),     // max pacing 1 Mbps
            (144, 100, 4),         // notsent
            (148, u32::MAX as u64, 4), // min_rtt unknown: hidden
            (168, 2_000_000, 8),   // busy 2000 ms
            (176, 500_000, 8),     // rwnd_limited 500 ms (25%)
            (184, 1_000, 8),       // sndbuf_limited 1 ms (0.05%)
            (196, 9, 4),           // delivered_ce
            (208, 1448, 8),        // bytes_retrans
            (216, 1, 4),           // dsack_dups
            (220, 2, 4),           // reord_seen
            (224, 3, 4),           // rcv_ooopack
            (236, 4, 4),           // rehash
        ]);
        let mut s = tcp(State::Established, "10.0.0.1", 1, "10.0.0.2", 2);
        s.tcp_info = Some(ti);
        s.dctcp = Some(sockdiag::DctcpInfo { enabled: 1, ce_state: 0, alpha: 1024, ab_ecn: 10, ab_tot: 20 });
        s.bbr = Some(sockdiag::BbrInfo { bw: 1_250_000, min_rtt: 1500, pacing_gain: 739, cwnd_gain: 512 });
        let o = RenderOptions { show_netid: false, show_state: false, queues: false, info: true, extended: true, oneline: true, ..compact() };
        let line = row(o, &s);
        let want = " ino:0 sk:0 ecn ecnseen fastopen backoff:3 rtt:1.5/0 mss:1448 cwnd:4 ssthresh:20 bytes_retrans:1448 \
            dctcp:(ce_state:0,alpha:1024,ab_ecn:10,ab_tot:20) bbr:(bw:10Mbps,mrtt:1.5,pacing_gain:2.88672,cwnd_gain:2) \
            send 30.9Mbps pacing_rate 8kbps/1Mbps delivered_ce:9 busy:2000ms rwnd_limited:500ms(25.0%) \
            sndbuf_limited:1ms(0.1%) unacked:4 retrans:1/7 lost:1 sacked:2 dsack_dups:1 fackets:1 reordering:5 \
            reord_seen:2 rcv_rtt:2.5 notsent:100 rcv_ooopack:3 rehash:4";
        assert_eq!(line, format!("10.0.0.1:1 10.0.0.2:2{want}"));
        // The usec_ts word comes right after ts.
        let ti = info_bytes(&[(5, 1 | 64 | 2, 1), (88, 3, 4)]);
        s.tcp_info = Some(ti);
        s.dctcp = Some(sockdiag::DctcpInfo::default());
        s.bbr = None;
        s.state = State::Listen;
        let o = RenderOptions { show_netid: false, show_state: false, queues: false, info: true, timers: true, oneline: true, ..compact() };
        assert_eq!(row(o, &s), "10.0.0.1:1 10.0.0.2:2 ts usec_ts sack dctcp:fallback_mode");
    }

    #[test]
    fn short_tcp_info_counts_as_zero() {
        // A 104-byte tcp_info (2.6-era kernel): later fields are absent and
        // print nothing; reordering 0 != 3 prints, as ss's zero-fill does.
        let full = info_bytes(&[(80, 10, 4), (88, 3, 4)]);
        let short = TcpInfo::from_bytes(&full.as_bytes()[..80]);
        let mut s = tcp(State::Established, "10.0.0.1", 1, "10.0.0.2", 2);
        s.tcp_info = Some(short);
        let o = RenderOptions { show_netid: false, show_state: false, queues: false, info: true, oneline: true, ..compact() };
        assert_eq!(row(o, &s), "10.0.0.1:1 10.0.0.2:2 reordering:0");
    }

    #[test]
    fn memory_line_and_udp() {
        let mut s = tcp(State::Listen, "0.0.0.0", 2024, "0.0.0.0", 0);
        s.send_q = 128;
        s.inode = 433;
        s.cookie = Some(0x1001);
        s.cgroup_id = Some(1);
        s.shutdown = Some(Shutdown::default());
        s.skmem = Some(SkMemInfo { rcvbuf: 131072, sndbuf: 16384, ..Default::default() });
        s.tcp_info = Some(info_bytes(&[(8, 3_000_000, 4), (80, 10, 4), (88, 3, 4), (76, 0x7fff_ffff, 4)]));
        s.congestion = Some(sockdiag::ShortName::new(b"bbr"));
        let mut n = names();
        n.set_cgroup(1, "/");
        // Real ss 6.1 here: `ss -tan -eoim` for a listener:
        // "LISTEN 0      128          0.0.0.0:2024      0.0.0.0:*    ino:433 sk:1001 cgroup:/ <->"
        // "\t skmem:(r0,rb131072,t0,tb16384,f0,w0,o0,bl0,d0) bbr cwnd:10"
        let o = RenderOptions { show_netid: false, header: false, extended: true, timers: true, info: true, memory: true, ..compact() };
        let mut r = TableRenderer::with_names(Vec::new(), o, n);
        r.push(&s).unwrap();
        assert_eq!(
            String::from_utf8(r.finish().unwrap()).unwrap(),
            "LISTEN 0      128          0.0.0.0:2024      0.0.0.0:* ino:433 sk:1001 cgroup:/ <->\n\t skmem:(r0,rb131072,t0,tb16384,f0,w0,o0,bl0,d0) bbr cwnd:10\n"
        );
        // UDP: -i adds nothing, -m adds the skmem line.
        let mut u = s.clone();
        u.netid = Table::Udp;
        u.state = State::Close;
        u.tcp_info = None;
        u.skmem = None;
        let o = RenderOptions { show_netid: false, show_state: false, queues: false, info: true, ..compact() };
        assert_eq!(row(o.clone(), &u), "0.0.0.0:2024 0.0.0.0:*");
        let m = RenderOptions { memory: true, ..o.clone() };
        assert_eq!(row(m.clone(), &u), "0.0.0.0:2024 0.0.0.0:*\n\t");
        u.meminfo = Some(sockdiag::MemInfo { rmem: 1, wmem: 2, fmem: 3, tmem: 4 });
        assert_eq!(row(m, &u), "0.0.0.0:2024 0.0.0.0:*\n\t mem:(r1,w2,f3,t4)");
    }

    #[test]
    fn mptcp_info_line() {
        let mut b = vec![0u8; 96];
        b[0] = 2; // subflows
        b[8] = 2; // flags: remote key received
        b[12..16].copy_from_slice(&0xabcdu32.to_ne_bytes());
        b[16..24].copy_from_slice(&100u64.to_ne_bytes());
        b[42] = 1; // csum_enabled
        b[80] = 3; // subflows_total
        b[92..96].copy_from_slice(&7u32.to_ne_bytes());
        let mut s = tcp(State::Established, "10.0.0.1", 1, "10.0.0.2", 2);
        s.netid = Table::Mptcp;
        s.tcp_info = Some(TcpInfo::from_bytes(&b));
        s.ulp = Some(sockdiag::ShortName::new(b"mptcp"));
        let o = RenderOptions { show_netid: false, show_state: false, queues: false, info: true, oneline: true, ..compact() };
        assert_eq!(row(o, &s), "10.0.0.1:1 10.0.0.2:2 subflows:2 remote_key token:abcd write_seq:100 csum_enabled:1 subflows_total:3 last_ack_recv:7");
    }

    #[test]
    fn ulp_name() {
        let mut s = tcp(State::Established, "10.0.0.1", 1, "10.0.0.2", 2);
        s.ulp = Some(sockdiag::ShortName::new(b"tls"));
        let o = RenderOptions { show_netid: false, show_state: false, queues: false, memory: true, oneline: true, ..compact() };
        assert_eq!(row(o, &s), "10.0.0.1:1 10.0.0.2:2 tcp-ulp-tls");
    }

    fn packet(table: Table, protocol: u16, ifindex: u32) -> Socket {
        let mut s = Socket::new(table, Family::Packet, State::Close);
        s.local = Endpoint::Packet { protocol, ifindex };
        s.peer = Endpoint::None;
        s
    }

    #[test]
    fn packet_rows() {
        let mut a = packet(Table::PacketRaw, 3, 0);
        a.recv_q = 0;
        a.send_q = 768; // ss never shows Send-Q for packet sockets
        let b = packet(Table::PacketDgram, 0x0806, 2);
        let c = packet(Table::PacketRaw, 0x1234, 4242);
        let mut n = names();
        n.set_ifname(4242, "if4242");
        let o = RenderOptions { header: false, ..Default::default() };
        let o = RenderOptions { width: Some(0), ..o };
        let mut r = TableRenderer::with_names(Vec::new(), o.clone(), n);
        for s in [&a, &b, &c] {
            r.push(s).unwrap();
        }
        assert_eq!(
            String::from_utf8(r.finish().unwrap()).unwrap(),
            "p_raw UNCONN 0      0         *:*      *\n\
             p_dgr UNCONN 0      0       arp:eth0   *\n\
             p_raw UNCONN 0      0      [4660]:if4242 *\n"
        );
        let num = RenderOptions { numeric: true, show_netid: false, show_state: false, queues: false, ..o };
        assert_eq!(row(num.clone(), &b), "[2054]:eth0 *");
        // -e details, -O and -m.
        let mut d = packet(Table::PacketRaw, 3, 0);
        d.inode = 99;
        d.cookie = Some(0x2002);
        d.uid = Some(0);
        let mut info = sockdiag::PacketInfo::default();
        info.version = 2;
        info.flags = 0x1 | 0x2;
        info.fanout = Some(0x0003_0007);
        d.packet = Some(info);
        d.skmem = Some(SkMemInfo::default());
        let e = RenderOptions { extended: true, memory: true, ..num };
        assert_eq!(
            row(e.clone(), &d),
            "*:* * ino:99 sk:2002\n\tver:2 cpy_thresh:0 flags( running auxdata )\n\tfanout(id:7,type:roll) skmem:(r0,rb0,t0,tb0,f0,w0,o0,bl0,d0)"
        );
        let mut info = sockdiag::PacketInfo::default();
        info.flags = 0;
        d.packet = Some(info);
        assert_eq!(row(RenderOptions { oneline: true, memory: false, ..e }, &d), "*:* * ino:99 sk:2002 ver:0 cpy_thresh:0 flags( 0 )");
    }

    fn netlink(protocol: u8, portid: u32) -> Socket {
        let mut s = Socket::new(Table::Netlink, Family::Netlink, State::Close);
        s.local = Endpoint::Netlink { protocol, portid, group: 0 };
        s.peer = Endpoint::Netlink { protocol, portid: 0, group: 0 };
        s
    }

    #[test]
    fn netlink_rows() {
        let dir = std::env::temp_dir().join(format!("rss-nl-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("812")).unwrap();
        std::fs::write(dir.join("812/stat"), "812 (systemd-udevd) S 1\n").unwrap();
        let mut n = names();
        n.set_proc_root(&dir);
        let mut a = netlink(0, 0);
        a.recv_q = 0;
        let b = netlink(15, 812);
        let c = netlink(4, (-4131i32) as u32);
        let mut d = netlink(16, 900);
        d.peer = Endpoint::Netlink { protocol: 16, portid: 0, group: 5 };
        let o = RenderOptions { header: false, ..Default::default() };
        let o = RenderOptions { width: Some(0), ..o };
        let mut r = TableRenderer::with_names(Vec::new(), o, n);
        for s in [&a, &b, &c, &d] {
            r.push(s).unwrap();
        }
        assert_eq!(
            String::from_utf8(r.finish().unwrap()).unwrap(),
            "nl UNCONN 0      0        rtnl:kernel               *   \n\
             nl UNCONN 0      0      uevent:systemd-udevd/812    *   \n\
             nl UNCONN 0      0     tcpdiag:-4131                *   \n\
             nl UNCONN 0      0        genl:900                 5:0\n"
        );
        let mut n = names();
        n.set_proc_root(&dir);
        let o = RenderOptions { numeric: true, header: false, show_netid: false, show_state: false, queues: false, width: Some(0), ..Default::default() };
        let mut r = TableRenderer::with_names(Vec::new(), o, n);
        r.push(&b).unwrap();
        r.push(&c).unwrap();
        assert_eq!(String::from_utf8(r.finish().unwrap()).unwrap(), "15:812   *\n 4:-4131 *\n");
        std::fs::remove_dir_all(&dir).unwrap();
        // -e / -m land in the Process column: shown with -p only.
        let mut e = netlink(4, 0);
        let mut info = sockdiag::NetlinkInfo::default();
        info.groups = vec![1, 5, 40];
        e.netlink = Some(info);
        e.skmem = Some(SkMemInfo::default());
        let o = RenderOptions { numeric: true, extended: true, memory: true, show_netid: false, show_state: false, queues: false, ..compact() };
        assert_eq!(row(o.clone(), &e), "4:0 *");
        let p = RenderOptions { processes: true, ..o };
        assert_eq!(row(p, &e), "4:0 * sk=0 cb=0 groups=0x00000011\t skmem:(r0,rb0,t0,tb0,f0,w0,o0,bl0,d0)");
    }

    #[test]
    fn oneline_and_newlines() {
        let mut s = tcp(State::Established, "10.0.0.1", 1, "10.0.0.2", 2);
        s.skmem = Some(SkMemInfo::default());
        let o = RenderOptions { show_netid: false, show_state: false, queues: false, memory: true, header: false, ..compact() };
        assert_eq!(render(o.clone(), std::slice::from_ref(&s)), "10.0.0.1:1 10.0.0.2:2\n\t skmem:(r0,rb0,t0,tb0,f0,w0,o0,bl0,d0)\n");
        let one = RenderOptions { oneline: true, ..o };
        assert_eq!(render(one, std::slice::from_ref(&s)), "10.0.0.1:1 10.0.0.2:2 skmem:(r0,rb0,t0,tb0,f0,w0,o0,bl0,d0)\n");
    }

    #[test]
    fn compact_pads_free_text_to_its_widest() {
        // ss 7.x compact mode pads every column but the last visible one; the
        // free-form column is padded to the widest flushed value (not the last
        // row's, which is never flushed).
        let mut a = tcp(State::Established, "10.0.0.1", 1, "10.0.0.2", 2);
        a.timer = Some(Timer { kind: TimerKind::On, expires: Duration::from_millis(200), retransmits: 0 });
        let b = tcp(State::Established, "10.0.0.1", 3, "10.0.0.2", 4);
        let mut c = b.clone();
        c.timer = Some(Timer { kind: TimerKind::Keepalive, expires: Duration::from_millis(7_200_000), retransmits: 0 });
        let o = RenderOptions { show_netid: false, show_state: false, queues: false, header: false, timers: true, ..compact() };
        assert_eq!(
            render(o, &[a, b, c]),
            "10.0.0.1:1 10.0.0.2:2 timer:(on,200ms,0)\n\
             10.0.0.1:3 10.0.0.2:4                   \n\
             10.0.0.1:3 10.0.0.2:4 timer:(keepalive,120min,0)\n"
        );
    }

    #[test]
    fn screen_width_spreads_spacing() {
        // ss 6.1 piped (its screen width is 80 when not a terminal), `-tlnp`
        // with the Process column on, as printed here:
        // "State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess"
        // "LISTEN 0      128          0.0.0.0:2024       0.0.0.0:*          "
        let mut s = tcp(State::Listen, "0.0.0.0", 2024, "0.0.0.0", 0);
        s.send_q = 128;
        let o = RenderOptions { show_netid: false, processes: true, numeric: true, width: Some(80), ..Default::default() };
        assert_eq!(
            render(o, &[s]),
            "State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess\n\
             LISTEN 0      128          0.0.0.0:2024       0.0.0.0:*          \n"
        );
    }

    #[test]
    fn narrow_screen_wraps_columns() {
        // Columns that do not fit start a new (terminal-wrapped) line: the
        // spare width of each line is spread over that line's columns.
        let mut s = tcp(State::Established, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1", 40000, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:2", 443);
        s.send_q = 1;
        let o = RenderOptions { numeric: true, width: Some(40), header: false, ..Default::default() };
        let out = render(o, &[s]);
        // Every printed line but the last is a whole number of screens wide.
        let line = out.strip_suffix('\n').unwrap();
        assert_eq!(line.len() % 40, 0, "{line:?}");
    }

    #[test]
    fn batches_render_at_five_chunks() {
        // 5 chunks of ~1 MiB: rows of 1 KiB of free text render in batches,
        // and widths only grow from one batch to the next.
        let mut r = TableRenderer::with_names(Vec::new(), RenderOptions { header: false, ..compact() }, names());
        let mut s = tcp(State::Established, "10.0.0.1", 1, "10.0.0.2", 2);
        s.processes = Vec::new();
        s.tcp_info = None;
        let mut rendered_at = None;
        for i in 0..6000u32 {
            s.local = Endpoint::Inet { addr: "10.0.0.1".parse().unwrap(), port: (i % 60000) as u16 + 1 };
            s.ulp = None;
            s.congestion = None;
            // ~1 KiB of free-form text per row through the cgroup field
            s.cgroup_id = Some(i as u64);
            r.names_mut().set_cgroup(i as u64, &"x".repeat(1000));
            let before = r.data.len();
            let opts = RenderOptions { cgroup: true, ..r.opts.clone() };
            r.opts = opts;
            r.push(&s).unwrap();
            if r.data.len() < before && rendered_at.is_none() {
                rendered_at = Some(i);
            }
        }
        let at = rendered_at.expect("a batch was rendered");
        // 5 chunks hold ~5 MiB: about 5 * 1048560 / (1000 + tokens) rows.
        assert!((4900..5200).contains(&at), "rendered at row {at}");
        let out = String::from_utf8(r.finish().unwrap()).unwrap();
        assert_eq!(out.lines().count(), 6000);
    }
}
