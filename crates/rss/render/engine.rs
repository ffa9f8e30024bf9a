//! `ss`'s column engine: columns, alignment and batching, byte for byte
//! as iproute2 v7.1's `misc/ss.c` lays them out. Each socket's fields are
//! formatted in [`super::fields`] and [`super::tcpinfo`].
//!
//! The layout engine mirrors `ss`'s: each row is a list of column tokens
//! (Netid, State, Recv-Q, Send-Q, Local Address:, Port, Peer Address:, Port,
//! Process, and the free-form rest); widths are the longest token seen so
//! far plus the column's delimiter, and never shrink. Buffered rows are
//! rendered when `ss` would: once a fifth 1 MiB chunk of its token buffer is
//! in use (about 4 MiB; the accounting is `ss`'s, so batches end on the same
//! row) and at [`TableRenderer::finish`]. Memory therefore stays flat at any
//! table size.
//!
//! With a screen width (a terminal, or `COLUMNS`), spare width is spread
//! over the columns as `ss` does; without one ("compact" output) columns
//! are as wide as their longest value, and (v7.0+) the last visible column
//! before the free-form text gets no padding.
//!
//! This module never queries the kernel; names come from [`Names`].

use std::io::{self, Write};

use sockdiag::Socket;

use super::fields::build_row;
use super::names::Names;
use super::options::*;

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
/// Render once this many chunks are in use, as `ss` (`BUF_CHUNKS_MAX`):
/// batches end on the same rows as `ss`'s at any table size, so padding
/// near batch boundaries is `ss`'s too. Peak memory stays at or below
/// `ss`'s because rss holds the same tokens more compactly (see
/// [`Tokens`]).
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
        let n = n
            .min(CHUNK_DATA - self.used)
            .min(usize::from(u16::MAX) - self.cur_len);
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

/// Size of one segment of [`Tokens`]' storage.
const SEGMENT: usize = 64 * 1024;
/// Size of the first segment.
const FIRST_SEGMENT: usize = 8 * 1024;

/// Buffered tokens: every column value of the rows not yet rendered, and
/// the byte accounting `ss` would have done for them.
///
/// Each token is a length byte and its bytes (`ss` spends two bytes on the
/// length and pads each token to 2 bytes), in segments of 64 KiB (the
/// first of 8 KiB, so that a short table writes few pages) that are never
/// reallocated (the buffer never holds a growing copy of
/// itself); a token never straddles two segments. A token equal to the
/// previous one of its column (`ESTAB`, `0`, `127.0.0.1`, ...) is the one
/// byte [`REPEAT`]. A long token whose text without its digits was seen
/// before (the `-i` line: `rtt:0.01/0.005 ato:40 ...`) is [`PACKED`]: an
/// index into [`Skeletons`] and its digits, two per byte
/// ([`code_digits`]), so it takes about a third of its length. Length
/// bytes: below [`PACKED`] the length itself; [`LONG`] then a native `u16`.
///
/// Packing is one pass over the token: it is matched against the few
/// skeletons its column packed with last ([`RECENT`]), where nearly every
/// row's token is found; only a token that matches none of them is taken
/// apart and looked up by hash. A table's first [`PACK_AFTER`] segments of
/// each batch are stored literally: a small table is never packed, and a
/// large one spends the time of packing on the rest of each batch only.
#[derive(Debug, Default)]
struct Tokens {
    segs: Vec<Vec<u8>>,
    /// Segments in use (the ones after are kept for the next batch).
    used: usize,
    /// Tokens buffered.
    count: usize,
    /// Where the last literal token of each column is: segment, offset of
    /// its bytes, length.
    last: [Option<(usize, usize, usize)>; COL_MAX],
    sim: ChunkSim,
    /// Skeletons of packed tokens (see [`PACKED`]), kept across batches.
    skel: Skeletons,
    /// The skeletons each column packed with last, most recent first.
    recent: [[Option<u16>; RECENT]; COL_MAX],
    /// Scratch: the skeleton and the coded digits of the token being pushed.
    scratch: Vec<u8>,
    digits: Vec<u8>,
    /// Segments of each batch stored literally before long tokens are
    /// packed (the table's [`PACK_AFTER`]; 0 packs from the start).
    pack_after: usize,
}

/// Segments of a batch stored literally before packing: the first (8 KiB)
/// and sixteen of 64 KiB, 1 MiB and 8 KiB.
/// A batch holds about 4 MiB of `ss`'s accounting; with its first MiB
/// literal and the rest packed, `-tani` at 200,000 sockets still peaks
/// below `ss` (BENCHMARKS.md).
const PACK_AFTER: usize = 17;

/// Skeletons remembered per column for the one-pass match.
const RECENT: usize = 4;

/// The texts of long tokens with their digits taken out (`-i` and `-e`
/// lines differ from row to row mostly in their numbers), each stored
/// once; a packed token names its skeleton by index. Bounded: when full,
/// tokens with a new skeleton are stored literally.
#[derive(Debug, Default)]
struct Skeletons {
    /// Each skeleton's text, [`DIGITS`] for each run of digits, to its index.
    ids: std::collections::HashMap<Box<[u8]>, u16, BuildFx>,
    list: Vec<Skeleton>,
    /// Bytes of skeleton text held (each text once in `ids`, once in `list`).
    bytes: usize,
}

/// One skeleton as its literal pieces: a run of digits stands between each
/// two.
#[derive(Debug)]
struct Skeleton {
    /// The pieces, one after the other.
    text: Box<[u8]>,
    /// Where each piece ends in `text`.
    ends: Box<[usize]>,
}

impl Skeleton {
    fn new(skel: &[u8]) -> Skeleton {
        let mut ends = Vec::new();
        let mut text = Vec::with_capacity(skel.len());
        for piece in skel.split(|&c| c == DIGITS) {
            text.extend_from_slice(piece);
            ends.push(text.len());
        }
        Skeleton {
            text: text.into(),
            ends: ends.into(),
        }
    }
}

/// Most bytes of skeleton text [`Skeletons`] holds (twice: map and list).
const SKELETON_BYTES: usize = 64 * 1024;
/// Stands for one run of digits in a skeleton; a token holding this byte
/// is stored literally.
const DIGITS: u8 = 0;

impl Skeletons {
    fn id(&mut self, skel: &[u8]) -> Option<u16> {
        if let Some(&id) = self.ids.get(skel) {
            return Some(id);
        }
        if self.list.len() >= usize::from(u16::MAX) || self.bytes + skel.len() > SKELETON_BYTES {
            return None;
        }
        let id = self.list.len() as u16;
        self.bytes += skel.len();
        self.list.push(Skeleton::new(skel));
        self.ids.insert(skel.into(), id);
        Some(id)
    }
}

/// A multiply-rotate hash over 8-byte words (rustc's `FxHash`) for
/// [`Skeletons`]: far cheaper than SipHash on texts of a few hundred bytes.
/// The map holds at most [`SKELETON_BYTES`] of skeletons, so even crafted
/// collisions stay cheap.
#[derive(Debug, Default, Clone, Copy)]
struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut a = [0u8; 8];
            a.copy_from_slice(w);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(a)).wrapping_mul(K);
        }
        for &b in words.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type BuildFx = std::hash::BuildHasherDefault<Fx>;

/// Length byte: the token repeats its column's previous one.
const REPEAT: u8 = 0xff;
/// Length byte: a `u16` length follows.
const LONG: u8 = 0xfe;
/// Length byte: a packed token follows: a native `u16` skeleton index
/// ([`Skeletons`]), then the digits of each run of the skeleton, coded by
/// [`code_digits`].
const PACKED: u8 = 0xfd;
/// Tokens at least this long are considered for packing.
const PACK_MIN: usize = 24;

/// Digit codes: below this, two digits (`00`..`99`) and the run goes on;
/// this plus `00`..`99`, the run's last two digits.
const PAIR_END: u8 = 100;
/// This plus `0`..`9`: the run's last digit, alone.
const ONE_END: u8 = 200;

/// `00` to `99` as text, for decoding two digits at a time.
const PAIR_TEXT: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// Codes the run of digits starting at `bytes[at]` (a digit) two digits a
/// byte: a run of n digits takes ceil(n / 2) bytes, its end marked by the
/// last byte's code ([`PAIR_END`], [`ONE_END`]). Returns where the run ends.
fn code_digits(bytes: &[u8], mut at: usize, out: &mut Vec<u8>) -> usize {
    loop {
        let high = bytes[at].wrapping_sub(b'0');
        match bytes.get(at + 1) {
            Some(&c) if c.is_ascii_digit() => {
                let pair = high * 10 + (c - b'0');
                at += 2;
                if bytes.get(at).is_some_and(u8::is_ascii_digit) {
                    out.push(pair);
                } else {
                    out.push(PAIR_END + pair);
                    return at;
                }
            }
            _ => {
                out.push(ONE_END + high);
                return at + 1;
            }
        }
    }
}

/// Decodes one run of digits coded by [`code_digits`] from `seg[at..]`
/// onto `out`; returns where the run's codes end.
fn decode_digits(seg: &[u8], mut at: usize, out: &mut Vec<u8>) -> usize {
    loop {
        let c = seg[at];
        at += 1;
        if c < PAIR_END {
            out.extend_from_slice(&PAIR_TEXT[usize::from(c)]);
        } else if c < ONE_END {
            out.extend_from_slice(&PAIR_TEXT[usize::from(c - PAIR_END)]);
            return at;
        } else {
            out.push(b'0' + (c - ONE_END));
            return at;
        }
    }
}

/// Codes the digits of `bytes` into `digits` when `bytes` is `skel` with a
/// run of one or more digits between each two pieces; false (and `digits`
/// undefined) otherwise.
fn match_skeleton(skel: &Skeleton, bytes: &[u8], digits: &mut Vec<u8>) -> bool {
    digits.clear();
    let mut at = 0;
    let mut start = 0;
    for (k, &end) in skel.ends.iter().enumerate() {
        if k > 0 {
            if !bytes.get(at).is_some_and(u8::is_ascii_digit) {
                return false;
            }
            at = code_digits(bytes, at, digits);
        }
        let piece = &skel.text[start..end];
        start = end;
        if !same_start(&bytes[at..], piece) {
            return false;
        }
        at += piece.len();
    }
    at == bytes.len()
}

/// `bytes.starts_with(piece)` for short texts (a skeleton's pieces, a
/// column's tokens), without a call to `memcmp` for each.
#[inline]
fn same_start(bytes: &[u8], piece: &[u8]) -> bool {
    bytes.len() >= piece.len() && bytes.iter().zip(piece).all(|(a, b)| a == b)
}

impl Tokens {
    /// Appends one token of column `col`; returns its length.
    fn push(&mut self, col: usize, bytes: &[u8]) -> usize {
        let bytes = &bytes[..bytes.len().min(usize::from(u16::MAX))];
        if !bytes.is_empty() {
            self.sim.write(bytes.len());
        }
        self.count += 1;
        if let Some((sg, at, len)) = self.last[col]
            && len == bytes.len()
            && same_start(&self.segs[sg][at..at + len], bytes)
        {
            self.room(1);
            self.segs[self.used - 1].push(REPEAT);
            return bytes.len();
        }
        if bytes.len() >= PACK_MIN && self.used >= self.pack_after && self.pack(col, bytes) {
            self.last[col] = None;
            return bytes.len();
        }
        let hdr = if bytes.len() < usize::from(PACKED) {
            1
        } else {
            3
        };
        self.room(hdr + bytes.len());
        let sg = self.used - 1;
        let seg = &mut self.segs[sg];
        if hdr == 1 {
            seg.push(bytes.len() as u8);
        } else {
            seg.push(LONG);
            seg.extend_from_slice(&(bytes.len() as u16).to_ne_bytes());
        }
        self.last[col] = Some((sg, seg.len(), bytes.len()));
        seg.extend_from_slice(bytes);
        bytes.len()
    }

    /// Stores `bytes` of column `col` packed when that is shorter; returns
    /// whether it did.
    fn pack(&mut self, col: usize, bytes: &[u8]) -> bool {
        let recent = self.recent[col];
        let known = recent.iter().enumerate().find_map(|(i, id)| {
            let id = (*id)?;
            match_skeleton(&self.skel.list[usize::from(id)], bytes, &mut self.digits)
                .then_some((i, id))
        });
        let (slot, id) = match known {
            Some(found) => found,
            None => {
                let Some(id) = self.skeleton_of(bytes) else {
                    return false;
                };
                (RECENT - 1, id)
            }
        };
        // Most recent first.
        self.recent[col].copy_within(..slot, 1);
        self.recent[col][0] = Some(id);
        let packed = 3 + self.digits.len();
        if packed >= bytes.len() {
            return false;
        }
        self.room(packed);
        let seg = &mut self.segs[self.used - 1];
        seg.push(PACKED);
        seg.extend_from_slice(&id.to_ne_bytes());
        seg.extend_from_slice(&self.digits);
        true
    }

    /// Takes `bytes` apart into its skeleton and its coded digits; interns
    /// the skeleton when packing gains. `None` when `bytes` holds a
    /// [`DIGITS`] byte, would not be shorter packed, or the skeletons are
    /// full.
    fn skeleton_of(&mut self, bytes: &[u8]) -> Option<u16> {
        self.scratch.clear();
        self.digits.clear();
        let mut at = 0;
        while let Some(&b) = bytes.get(at) {
            if b.is_ascii_digit() {
                self.scratch.push(DIGITS);
                at = code_digits(bytes, at, &mut self.digits);
            } else if b == DIGITS {
                return None;
            } else {
                self.scratch.push(b);
                at += 1;
            }
        }
        if 3 + self.digits.len() >= bytes.len() {
            return None;
        }
        self.skel.id(&self.scratch)
    }

    /// Makes room for `need` bytes in the current segment.
    fn room(&mut self, need: usize) {
        let fits = self
            .used
            .checked_sub(1)
            .is_some_and(|i| self.segs[i].capacity() - self.segs[i].len() >= need);
        if fits {
            return;
        }
        if self.used == self.segs.len() {
            // The first segment is small: a short table writes few pages.
            let size = if self.segs.is_empty() {
                FIRST_SEGMENT
            } else {
                SEGMENT
            };
            self.segs.push(Vec::with_capacity(size.max(need)));
        } else if self.segs[self.used].capacity() < need {
            self.segs[self.used] = Vec::with_capacity(need);
        }
        self.used += 1;
    }

    /// Bytes held.
    fn len(&self) -> usize {
        self.segs[..self.used].iter().map(Vec::len).sum()
    }

    fn clear(&mut self) {
        for s in &mut self.segs[..self.used] {
            s.clear();
        }
        self.used = 0;
        self.count = 0;
        self.last = [None; COL_MAX];
        self.sim.reset();
    }

    /// Calls `f` with the buffered tokens in order; `cols` are the enabled
    /// columns, in the order rows push them.
    fn each(&self, cols: &[usize], mut f: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        let mut last: [&[u8]; COL_MAX] = [&[]; COL_MAX];
        let mut unpacked = Vec::new();
        let mut k = 0;
        for seg in &self.segs[..self.used] {
            let mut at = 0;
            while at < seg.len() {
                let col = cols[k];
                k += 1;
                if k == cols.len() {
                    k = 0;
                }
                let b = seg[at];
                at += 1;
                if b == REPEAT {
                    f(last[col])?;
                    continue;
                }
                if b == PACKED {
                    let id = u16::from_ne_bytes([seg[at], seg[at + 1]]);
                    at += 2;
                    unpacked.clear();
                    let skel = &self.skel.list[usize::from(id)];
                    let mut start = 0;
                    for (k, &end) in skel.ends.iter().enumerate() {
                        if k > 0 {
                            at = decode_digits(seg, at, &mut unpacked);
                        }
                        unpacked.extend_from_slice(&skel.text[start..end]);
                        start = end;
                    }
                    f(&unpacked)?;
                    continue;
                }
                let len = if b == LONG {
                    let l = usize::from(u16::from_ne_bytes([seg[at], seg[at + 1]]));
                    at += 2;
                    l
                } else {
                    usize::from(b)
                };
                let t = &seg[at..at + len];
                at += len;
                last[col] = t;
                f(t)?;
            }
        }
        Ok(())
    }
}

/// Renders sockets as `ss`'s table into any writer.
///
/// Rows are buffered (about 4 MiB at most, as `ss` does) so that columns
/// align; [`finish`](Self::finish) (or [`render`](Self::render)) prints
/// what is buffered.
///
/// ```
/// use rss::render::{RenderOptions, TableRenderer};
/// use sockdiag::{Endpoint, Family, Socket, State, Table};
///
/// let mut s = Socket::new(Table::Tcp, Family::Inet, State::Listen);
/// s.send_q = 128;
/// s.local = Endpoint::Inet { addr: "0.0.0.0".parse().unwrap(), port: 8080 };
/// s.peer = Endpoint::Inet { addr: "0.0.0.0".parse().unwrap(), port: 0 };
/// // `ss -tln | cat`: no Netid column, numeric, no screen width.
/// let opts = RenderOptions { numeric: true, show_netid: false, width: Some(0), ..Default::default() };
/// let mut r = TableRenderer::new(Vec::new(), opts);
/// r.push(&s)?;
/// let out = String::from_utf8(r.finish()?).unwrap();
/// assert_eq!(out, "State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n\
///                  LISTEN 0      128          0.0.0.0:8080      0.0.0.0:*\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TableRenderer<W: Write> {
    out: W,
    // Boxed: the renderer is a writer and a pointer, cheap to move or to
    // hold beside other sinks.
    t: Box<Layout>,
}

/// Rendered text is written out once it holds this much: as much as the
/// `rss` binary's output buffer holds, so that a `BufWriter` of that size
/// passes it on without copying it.
const TEXT_FLUSH: usize = 16 * 1024;
/// Room past [`TEXT_FLUSH`] for the last row's text before the check: the
/// buffer then never grows (a copy into a new block of twice the size,
/// whose pages would be written too) unless one token is longer than this.
const TEXT_SLACK: usize = 4 * 1024;

/// Everything but the writer.
struct Layout {
    opts: RenderOptions,
    names: Names,
    cols: [Column; COL_MAX],
    tokens: Tokens,
    /// Length of the last row's free-form token: `ss` flushes it (or
    /// renders) only when the next row starts, so it is not measured yet.
    pending_ext: Option<usize>,
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
    /// filled them already). `opts.numeric` overrides the lookups' own.
    pub fn with_names(out: W, opts: RenderOptions, names: Names) -> Self {
        TableRenderer {
            out,
            t: Box::new(Layout::new(opts, names)),
        }
    }

    /// The name lookups in use.
    pub fn names_mut(&mut self) -> &mut Names {
        &mut self.t.names
    }

    /// Buffers one socket's row; renders the buffer first when `ss` would.
    pub fn push(&mut self, s: &Socket) -> io::Result<()> {
        self.t.push(s, &mut self.out)
    }

    /// Prints everything buffered now, as `ss`'s `render()` does (after each
    /// socket in `-E` mode, and at the end). Column widths keep growing
    /// from one call to the next.
    pub fn render(&mut self) -> io::Result<()> {
        self.t.render(&mut self.out)
    }

    /// Flushes the writer (after [`TableRenderer::render`] in `-E` mode).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Renders what is buffered and hands the writer back (not flushed).
    pub fn finish(mut self) -> io::Result<W> {
        self.t.render(&mut self.out)?;
        Ok(self.out)
    }
}

impl Layout {
    fn new(opts: RenderOptions, mut names: Names) -> Layout {
        names.set_numeric(opts.numeric);
        let mut cols = [Column::default(); COL_MAX];
        cols[COL_NETID].disabled = !opts.show_netid;
        cols[COL_STATE].disabled = !opts.show_state;
        cols[COL_RECVQ].disabled = !opts.queues;
        cols[COL_SENDQ].disabled = !opts.queues;
        cols[COL_PROC].disabled = !opts.processes;
        let mut r = Layout {
            opts,
            names,
            cols,
            tokens: Tokens {
                pack_after: PACK_AFTER,
                ..Tokens::default()
            },
            pending_ext: None,
            row: Default::default(),
            text: Vec::with_capacity(TEXT_FLUSH + TEXT_SLACK),
        };
        if r.opts.header {
            // print_header: every visible column's title, the free-form
            // column left open (empty).
            for (c, spec) in SPECS.iter().enumerate().take(COL_EXT) {
                if !r.cols[c].disabled {
                    let n = r.tokens.push(c, spec.1.as_bytes());
                    r.flush_token(c, n);
                }
            }
            r.pending_ext = Some(r.tokens.push(COL_EXT, b""));
        }
        r
    }

    fn push(&mut self, s: &Socket, out: &mut impl Write) -> io::Result<()> {
        for f in &mut self.row {
            f.clear();
        }
        build_row(&mut self.row, &mut self.names, &self.opts, s);
        // ss's field_set(COL_NETID) for the new row leaves the last row's
        // free-form column: it renders there if 5 chunks are in use, else
        // flushes (measures) that token.
        if let Some(n) = self.pending_ext.take() {
            if self.tokens.sim.chunks >= CHUNKS_MAX {
                self.render(out)?;
            } else {
                self.flush_token(COL_EXT, n);
            }
        }
        for c in 0..COL_MAX {
            if self.cols[c].disabled {
                continue;
            }
            let n = self.tokens.push(c, &self.row[c]);
            if c == COL_EXT {
                self.pending_ext = Some(n);
            } else {
                self.flush_token(c, n);
            }
        }
        Ok(())
    }

    /// `ss`'s `render()`: lay out and print the buffered tokens.
    fn render(&mut self, out: &mut impl Write) -> io::Result<()> {
        self.pending_ext = None;
        if self.tokens.count == 0 {
            self.tokens.clear();
            return Ok(());
        }
        let width = match self.opts.width {
            Some(0) => None,
            Some(w) => Some(w),
            None => screen_width(self.opts.tty),
        };
        let compact = self.calc_width(width);
        let last_visible = (0..COL_EXT)
            .rev()
            .find(|&c| !self.cols[c].disabled)
            .unwrap_or(COL_NETID);
        let first_enabled = (0..COL_MAX)
            .find(|&c| !self.cols[c].disabled)
            .unwrap_or(COL_EXT);
        let mut f = (0..COL_MAX)
            .find(|&c| self.cols[c].width != 0)
            .unwrap_or(first_enabled);
        let mut line_started = false;
        self.text.clear();
        let enabled: Vec<usize> = (0..COL_MAX).filter(|&c| !self.cols[c].disabled).collect();
        let tokens = std::mem::take(&mut self.tokens);
        let cols = &self.cols;
        let text = &mut self.text;
        let res = tokens.each(&enabled, |token| {
            let (align, _, ldelim) = SPECS[f];
            let width = cols[f].width;
            let mut printed = 0usize;
            if line_started {
                text.extend_from_slice(ldelim.as_bytes());
                printed = ldelim.len();
            }
            line_started = true;
            // print_left_spacing
            if width != 0 && align == Align::Right {
                let pad = width.saturating_sub(token.len() + printed);
                text.resize(text.len() + pad, b' ');
                printed += pad;
            }
            text.extend_from_slice(token);
            printed += token.len();
            // print_right_spacing, except after the last visible column of
            // compact output (v7.0)
            if (!compact || f != last_visible) && width != 0 && align == Align::Left {
                let pad = width.saturating_sub(printed);
                text.resize(text.len() + pad, b' ');
            }
            loop {
                if f == COL_EXT {
                    text.push(b'\n');
                    f = COL_NETID;
                    line_started = false;
                } else {
                    f += 1;
                }
                if !cols[f].disabled {
                    break;
                }
            }
            if text.len() >= TEXT_FLUSH {
                out.write_all(text)?;
                text.clear();
            }
            Ok(())
        });
        self.tokens = tokens;
        if let Err(e) = res {
            self.tokens.clear();
            return Err(e);
        }
        if line_started {
            self.text.push(b'\n');
        }
        out.write_all(&self.text)?;
        self.text.clear();
        self.tokens.clear();
        Ok(())
    }

    /// `field_flush`: a token of column `c` is complete and is measured.
    fn flush_token(&mut self, c: usize, len: usize) {
        let col = &mut self.cols[c];
        col.max_len = col.max_len.max(len);
        self.tokens.sim.flush();
    }

    /// `render_calc_width`; returns whether output is compact (no screen width).
    fn calc_width(&mut self, screen: Option<usize>) -> bool {
        let compact = screen.is_none();
        let sw = screen.map_or(i64::MAX, |w| w as i64);
        // First pass: each visible column's measured length, plus its
        // delimiter unless it starts the line.
        let mut first = true;
        for (col, spec) in self.cols.iter_mut().zip(SPECS) {
            if col.disabled {
                continue;
            }
            let w = if !first && col.max_len != 0 {
                col.max_len + spec.2.len()
            } else {
                col.max_len
            };
            col.width = (w as i64).min(sw) as usize;
            if col.width != 0 {
                first = false;
            }
        }
        if compact {
            return true;
        }
        // Second pass: break lines at the screen width and spread each
        // line's spare room over its columns, the rightmost first.
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
        f.debug_struct("TableRenderer")
            .field("opts", &self.t.opts)
            .field("buffered", &self.t.tokens.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::test_support::{fields, names, tcp};
    use sockdiag::{Endpoint, State};

    /// Skeletons are bounded at 65,536 bytes; a known one keeps its index.
    #[test]
    fn skeletons_are_bounded() {
        assert_eq!(SKELETON_BYTES, 65_536);
        let mut k = Skeletons::default();
        assert_eq!(k.id(&[b'a'; 40_000]), Some(0));
        assert_eq!(k.id(&[b'b'; 30_000]), None);
        assert_eq!(k.id(&[b'c'; 25_536]), Some(1));
        assert_eq!(k.id(b"d"), None);
        assert_eq!(k.id(&[b'a'; 40_000]), Some(0));
        assert_eq!((k.list.len(), k.bytes), (2, 65_536));
    }

    /// Bytes held, worked by hand from the layout described on [`Tokens`].
    #[test]
    fn tokens_take_the_bytes_described() {
        let mut t = Tokens::default();
        t.push(COL_STATE, b"ESTAB"); // length byte + 5
        assert_eq!(t.len(), 6);
        t.push(COL_STATE, b"ESTAB"); // REPEAT
        assert_eq!(t.len(), 7);
        // 31 bytes, six runs of digits (0, 01, 0, 005, 40, 32768), two
        // digits a byte, each run rounded up: 1 + 1 + 1 + 2 + 1 + 3 = 9
        // bytes after PACKED and the skeleton's u16.
        t.push(COL_EXT, b"rtt:0.01/0.005 ato:40 mss:32768");
        assert_eq!(t.len(), 19);
        // The same skeleton, found among the column's recent ones: runs 12,
        // 5, 1, 25, 200, 65483 take 1 + 1 + 1 + 1 + 2 + 3 = 9 bytes after
        // the 3.
        t.push(COL_EXT, b"rtt:12.5/1.25 ato:200 mss:65483");
        assert_eq!(t.len(), 31);
        // A NUL byte keeps it literal: LONG, u16, 300 bytes.
        t.push(COL_EXT, &[0; 300]);
        assert_eq!(t.len(), 334);
        // Too short to pack: length byte + 23.
        t.push(COL_EXT, b"12345678901234567890123");
        assert_eq!(t.len(), 358);
        // 24 digits: 12 bytes after PACKED and the u16.
        t.push(COL_EXT, b"123456789012345678901234");
        assert_eq!(t.len(), 373);
        // 253 bytes (PACKED itself) take LONG and a u16 length.
        t.push(COL_EXT, &[0; 253]);
        assert_eq!(t.len(), 629);
        let mut back = Vec::new();
        t.each(
            &[
                COL_STATE, COL_STATE, COL_EXT, COL_EXT, COL_EXT, COL_EXT, COL_EXT, COL_EXT,
            ],
            |b| {
                back.push(b.len());
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(back, [5, 5, 31, 31, 300, 23, 24, 253]);
        // A first segment of 8 KiB, then 64 KiB ones: 390 literal tokens of
        // 21 bytes fit in the first (8,190 bytes), 3,120 more in the second
        // (65,520), and the next one starts a third.
        let mut t = Tokens::default();
        for i in 0..3600 {
            t.push(
                COL_STATE,
                if i % 2 == 0 {
                    b"aaaaaaaaaaaaaaaaaaaa"
                } else {
                    b"bbbbbbbbbbbbbbbbbbbb"
                },
            );
            match i {
                389 => assert_eq!((t.used, t.len()), (1, 8_190)),
                390 => assert_eq!((t.used, t.len()), (2, 8_211)),
                3509 => assert_eq!((t.used, t.len()), (2, 73_710)),
                3510 => assert_eq!((t.used, t.len()), (3, 73_731)),
                _ => {}
            }
        }
        assert_eq!((t.used, t.len()), (3, 75_600));
        assert_eq!(t.segs[0].capacity(), FIRST_SEGMENT);
        t.clear();
        assert_eq!((t.used, t.len(), t.count, t.sim.chunks), (0, 0, 0, 0));
    }

    /// `ss`'s buffer accounting (`buf_update`, `field_flush`), worked by
    /// hand: a 1 MiB chunk holds 1,048,560 bytes after its header; a token
    /// is a 2-byte length and its bytes, padded to even; a token that does
    /// not fit moves, length and all, to a new chunk unless it starts its
    /// chunk; a token is cut at 65,535 bytes; a new chunk starts when the
    /// next length does not fit.
    #[test]
    fn chunk_accounting_like_ss() {
        assert_eq!(CHUNK_DATA, 1_048_560);
        let state = |s: &ChunkSim| (s.chunks, s.used, s.cur_len, s.cur_first);
        let mut s = ChunkSim::default();
        s.write(10);
        assert_eq!(state(&s), (1, 12, 10, true));
        s.flush();
        assert_eq!(state(&s), (1, 14, 0, false));
        s.write(5);
        s.flush();
        assert_eq!(state(&s), (1, 22, 0, false));
        // Fifteen tokens of 65,534 bytes (65,536 each with the next length).
        let mut s = ChunkSim::default();
        for _ in 0..15 {
            s.write(65_534);
            s.flush();
        }
        assert_eq!(state(&s), (1, 983_042, 0, false));
        // 65,518 bytes are left: 65,517 fit, one more does not.
        s.write(65_517);
        assert_eq!(state(&s), (1, 1_048_559, 65_517, false));
        s.write(1);
        assert_eq!(state(&s), (2, 65_520, 65_518, true));
        // Cut at 65,535 bytes.
        s.write(100);
        assert_eq!(state(&s), (2, 65_537, 65_535, true));
        s.write(5);
        assert_eq!(state(&s), (2, 65_537, 65_535, true));
        s.flush();
        assert_eq!(state(&s), (2, 65_540, 0, false));
        // The cut holds over all of a token's writes.
        let mut s = ChunkSim::default();
        s.write(65_535);
        s.write(1);
        assert_eq!(state(&s), (1, 65_537, 65_535, true));
        // An empty first token.
        let mut s = ChunkSim::default();
        s.flush();
        assert_eq!(state(&s), (1, 4, 0, false));
        // Next to the chunk's end: the padding counts, and two bytes left
        // hold the next length.
        let near = |used, cur_len| ChunkSim {
            active: true,
            chunks: 1,
            used,
            cur_len,
            cur_first: false,
        };
        let mut s = near(CHUNK_DATA - 3, 1);
        s.flush();
        assert_eq!(state(&s), (1, CHUNK_DATA, 0, false));
        s.flush();
        assert_eq!(state(&s), (2, 2, 0, true));
        let mut s = near(CHUNK_DATA - 2, 1);
        s.flush();
        assert_eq!(state(&s), (2, 2, 0, true));
        let mut s = near(CHUNK_DATA - 2, 2);
        s.flush();
        assert_eq!(state(&s), (1, CHUNK_DATA, 0, false));
        s.reset();
        assert_eq!(state(&s), (0, 0, 0, false));
        assert!(!s.active);
    }

    /// With `pack_after` segments, long tokens are stored literally until
    /// that many segments are in use, packed after; they come back alike.
    #[test]
    fn packing_starts_after_the_literal_segments() {
        let mut t = Tokens {
            pack_after: 2,
            ..Tokens::default()
        };
        let token = |i: usize| format!("rtt:{i}.5/0.25 ato:40 mss:{}", i * 7).into_bytes();
        let mut texts = Vec::new();
        let mut sizes = Vec::new();
        for i in 0..6000 {
            let (before, used) = (t.len(), t.used);
            let b = token(i);
            t.push(COL_EXT, &b);
            sizes.push((used, t.len() - before, b.len()));
            texts.push(b);
        }
        // Pushed with less than two segments in use: literal (length byte +
        // text); after: PACKED, the skeleton's u16, a third of the text or
        // less.
        for &(used, took, len) in &sizes {
            if used < 2 {
                assert_eq!(took, 1 + len);
            } else {
                assert!(took <= 3 + len / 3, "{took} bytes for {len}");
            }
        }
        assert!(sizes.iter().any(|s| s.0 >= 2));
        let mut back = Vec::new();
        t.each(&[COL_EXT], |b| {
            back.push(b.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(back, texts);
        // After a batch, the next starts literal again.
        t.clear();
        t.push(COL_EXT, &token(1));
        assert_eq!(t.len(), 1 + token(1).len());
    }

    #[test]
    fn tokens_come_back_as_pushed() {
        // Packed (digits at either end, leading zeros, odd and even digit
        // counts), literal (a NUL byte, too short, no gain), repeated, and
        // long tokens, in two columns.
        let texts: Vec<Vec<u8>> = vec![
            b"7 cubic wscale:7,7 rto:204 rtt:0.01/0.005 ato:40 mss:32768".to_vec(),
            b"ESTAB".to_vec(),
            b" cubic wscale:7,7 rto:204 rtt:0.01/0.005 ato:40 mss:3276".to_vec(),
            b"ESTAB".to_vec(),
            b"0000000000000000000000000000000000000000000000000000000000".to_vec(),
            b"\0\0".to_vec(),
            b"abc\0def 123456789 123456789 123456789 123456789 123".to_vec(),
            b"".to_vec(),
            b"no digits at all in this fairly long token".to_vec(),
            b"".to_vec(),
            b"no digits at all in this fairly long token".to_vec(),
            b"x".repeat(300),
            b" cubic wscale:7,7 rto:204 rtt:0.01/0.005 ato:40 mss:32768 9".to_vec(),
            b"x".repeat(300),
            // A known skeleton's text with more digits after its end, or
            // letters where it has digits: not that skeleton.
            b" cubic wscale:7,7 rto:204 rtt:0.01/0.005 ato:40 mss:32768 91".to_vec(),
            b"ESTAB".to_vec(),
            b" cubic wscale:7,7 rto:204 rtt:0.01/0.005 ato:40 mss:32768 9x".to_vec(),
            b"ESTAB".to_vec(),
            b" cubic wscale:7,7 rto:204 rtt:0.01/0.005 ato:x mss:32768 9".to_vec(),
            b"ESTAB".to_vec(),
            // Runs of every length from 1 to 41 digits, at either end.
            (1..=41)
                .map(|n| "9".repeat(n))
                .collect::<Vec<_>>()
                .join(":")
                .into_bytes(),
        ];
        // Six skeletons in turn in one column: more than it remembers.
        let mut texts = texts;
        for round in 0..3u32 {
            for k in 0..6u32 {
                texts.push(
                    format!("k{k} rtt:{round}.{k}/{} ato:40 mss:{}", k * 7, 1 << k).into_bytes(),
                );
                texts.push(b"ESTAB".to_vec());
            }
        }
        let cols = [COL_STATE, COL_EXT];
        let mut t = Tokens::default();
        for (i, b) in texts.iter().enumerate() {
            assert_eq!(t.push(cols[i % 2], b), b.len());
        }
        assert!(t.len() < texts.iter().map(Vec::len).sum::<usize>());
        let mut back = Vec::new();
        t.each(&cols, |b| {
            back.push(b.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(back, texts);
    }

    #[test]
    fn batches_render_after_four_chunks() {
        // ss renders when its 5th 1 MiB chunk has been allocated
        // (CHUNKS_MAX), i.e. after 4 chunks of 1,048,560 data bytes,
        // counted as ss counts them. Each row here is five tokens, each a
        // 2-byte length plus its text rounded up to even: "10.0.0.1:" 12, a
        // 4-digit port 6, "10.0.0.2:" 12, "2" 4, " cgroup:" + 1000 bytes
        // 1010: 1,044 bytes, so the 5th chunk comes with row 4,017.
        let mut n = names();
        let text = "x".repeat(1000);
        for i in 0..6000u64 {
            n.set_cgroup(i, &text);
        }
        let mut r = TableRenderer::with_names(
            Vec::new(),
            RenderOptions {
                header: false,
                cgroup: true,
                ..fields()
            },
            n,
        );
        let mut s = tcp(State::Established, "10.0.0.1", 1, "10.0.0.2", 2);
        let mut rendered_at = None;
        for i in 0..6000u32 {
            s.local = Endpoint::Inet {
                addr: "10.0.0.1".parse().unwrap(),
                port: i as u16 + 1,
            };
            s.cgroup_id = Some(i.into());
            let before = r.t.tokens.len();
            r.push(&s).unwrap();
            if r.t.tokens.len() < before && rendered_at.is_none() {
                rendered_at = Some(i);
            }
        }
        let at = rendered_at.expect("a batch was rendered");
        assert!((4015..=4019).contains(&at), "rendered at row {at}");
        let out = String::from_utf8(r.finish().unwrap()).unwrap();
        assert_eq!(out.lines().count(), 6000);
    }

    /// `render_calc_width`, worked by hand from `ss.c`: each column's
    /// measured length plus its delimiter (none for the line's first
    /// column), capped at the screen; then each line's spare room spread
    /// over its columns, the remainder one by one from the rightmost; a
    /// column that would overflow the line starts the next one.
    #[test]
    fn widths_spread_like_ss() {
        let widths = |disabled: &[usize], lens: [usize; COL_MAX], screen: Option<usize>| {
            let mut l = Layout::new(
                RenderOptions {
                    header: false,
                    ..RenderOptions::default()
                },
                names(),
            );
            for (c, col) in l.cols.iter_mut().enumerate() {
                col.disabled = disabled.contains(&c);
                col.max_len = lens[c];
            }
            let compact = l.calc_width(screen);
            (compact, l.cols.map(|c| c.width))
        };
        // Netid 3, State 5, the queues 1, the addresses 8, the ports 5 and
        // 2, no Process, no free-form text: 3+6+2+2+9+5+9+2 = 38.
        let lens = [3, 5, 1, 1, 8, 5, 8, 2, 0, 0];
        let first_pass = [3, 6, 2, 2, 9, 5, 9, 2, 0, 0];
        assert_eq!(widths(&[COL_PROC], lens, None), (true, first_pass));
        // Exact fit.
        assert_eq!(widths(&[COL_PROC], lens, Some(38)), (false, first_pass));
        // 12 spare over 8 columns: 1 each, and 4 more from the right.
        assert_eq!(
            widths(&[COL_PROC], lens, Some(50)),
            (false, [4, 7, 3, 3, 11, 7, 11, 4, 0, 0])
        );
        // 20 columns: Local Address overflows the first line (13 + 9),
        // which spreads 7 over 4 columns; Peer Address overflows the second
        // (14 + 9), 6 over 2; the third spreads 9 over its 2.
        assert_eq!(
            widths(&[COL_PROC], lens, Some(20)),
            (false, [4, 8, 4, 4, 12, 8, 13, 7, 0, 0])
        );
        // 13 columns: the first line fills them exactly (3+6+2+2) and is
        // left as it is; Local Address and Port each overflow with the next
        // column and take a line alone; the last line spreads 2 over 2.
        assert_eq!(
            widths(&[COL_PROC], lens, Some(13)),
            (false, [3, 6, 2, 2, 13, 13, 10, 3, 0, 0])
        );
        // No Netid: State starts the line, without its delimiter; an empty
        // first column leaves the next one first too.
        assert_eq!(
            widths(&[COL_NETID, COL_PROC], lens, None),
            (true, [0, 5, 2, 2, 9, 5, 9, 2, 0, 0])
        );
        let mut empty_first = lens;
        empty_first[COL_NETID] = 0;
        assert_eq!(
            widths(&[COL_PROC], empty_first, None),
            (true, [0, 5, 2, 2, 9, 5, 9, 2, 0, 0])
        );
        // 10 columns, and free-form text wider than the screen: cut to 10,
        // it fills the last line exactly; two columns a line before it, or
        // one (1 spare over Netid and State goes to State; 6 over the queues).
        let mut wide = lens;
        wide[COL_EXT] = 30;
        assert_eq!(
            widths(&[COL_PROC], wide, Some(10)),
            (false, [3, 7, 5, 5, 10, 10, 10, 10, 0, 10])
        );
    }

    /// `Debug` names the options and the bytes buffered: the header's nine
    /// tokens, each a length byte and its text (66 bytes).
    #[test]
    fn debug_shows_options_and_bytes_buffered() {
        let opts = RenderOptions::default();
        let r = TableRenderer::with_names(Vec::new(), opts.clone(), names());
        assert_eq!(
            format!("{r:?}"),
            format!("TableRenderer {{ opts: {opts:?}, buffered: 66 }}")
        );
    }

    /// `flush` flushes the writer (`-E` prints each event at once), and
    /// `names_mut` gives the lookups the rows are printed with.
    #[test]
    fn flush_reaches_the_writer_and_names_are_the_renderers() {
        #[derive(Default)]
        struct Sink {
            flushes: std::rc::Rc<std::cell::Cell<usize>>,
        }
        impl Write for Sink {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                self.flushes.set(self.flushes.get() + 1);
                Ok(())
            }
        }
        let sink = Sink::default();
        let flushes = sink.flushes.clone();
        let mut r = TableRenderer::with_names(sink, fields(), names());
        r.render().unwrap();
        assert_eq!(flushes.get(), 0);
        r.flush().unwrap();
        assert_eq!(flushes.get(), 1);

        let opts = RenderOptions {
            numeric: false,
            ..fields()
        };
        let mut r = TableRenderer::with_names(Vec::new(), opts, names());
        r.names_mut().set_services("xyzzy 4000/tcp\n");
        r.push(&tcp(State::Established, "10.0.0.1", 4000, "10.0.0.2", 22))
            .unwrap();
        let out = String::from_utf8(r.finish().unwrap()).unwrap();
        assert_eq!(out, "10.0.0.1:xyzzy 10.0.0.2:22\n");
    }

    /// The rendered text goes out in pieces of at least [`TEXT_FLUSH`]
    /// bytes (what a `BufWriter` of that size passes on uncopied), and its
    /// buffer keeps the block it was made with.
    #[test]
    fn rendered_text_goes_out_in_flush_sized_pieces_from_one_block() {
        #[derive(Default)]
        struct Sink {
            pieces: std::rc::Rc<std::cell::RefCell<Vec<usize>>>,
        }
        impl Write for Sink {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.pieces.borrow_mut().push(b.len());
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let sink = Sink::default();
        let pieces = sink.pieces.clone();
        let mut r = TableRenderer::with_names(sink, fields(), names());
        for i in 0..2000u16 {
            r.push(&tcp(
                State::Established,
                "10.0.0.1",
                1000 + i,
                "10.0.0.2",
                22,
            ))
            .unwrap();
        }
        r.render().unwrap();
        assert_eq!(r.t.text.capacity(), TEXT_FLUSH + TEXT_SLACK);
        let pieces = pieces.borrow();
        // "10.0.0.1:NNNN 10.0.0.2:22\n", 26 bytes a row.
        assert_eq!(pieces.iter().sum::<usize>(), 2000 * 26);
        assert!(pieces.len() >= 3, "{pieces:?}");
        let (last, whole) = pieces.split_last().unwrap();
        assert!(
            whole
                .iter()
                .all(|&n| (TEXT_FLUSH..TEXT_FLUSH + 26).contains(&n)),
            "{pieces:?}"
        );
        assert!(*last < TEXT_FLUSH);
    }

    /// A token is packed with one of its column's recent skeletons only
    /// when it is that skeleton's text with a run of digits between each
    /// two pieces: not with a run before the first piece, nor a piece
    /// without the run before it, nor text left after the last piece, nor
    /// other text of the same length.
    #[test]
    fn recent_skeletons_match_only_their_own_tokens() {
        let p1 = "abcdefghijklmnopqrstuvwxyz";
        let texts: Vec<Vec<u8>> = [
            "first part of a long token 7 and its end".to_string(),
            "5first part of a long token 7 and its end".to_string(),
            "5first part of a long token  and its end".to_string(),
            "first part of a long token  and its end".to_string(),
            "no digits at all in this fairly long token".to_string(),
            "NO DIGITS AT ALL IN THIS FAIRLY LONG TOKEN".to_string(),
            format!("12{p1}"),
            format!("34{p1}ABCDEFGHIJKLMNOPQRSTUVWX"),
            "first part of a long token 8 and its end".to_string(),
        ]
        .into_iter()
        .map(String::into_bytes)
        .collect();
        let mut t = Tokens::default();
        for b in &texts {
            t.push(COL_EXT, b);
        }
        let mut back = Vec::new();
        t.each(&[COL_EXT], |b| {
            back.push(String::from_utf8_lossy(b).into_owned());
            Ok(())
        })
        .unwrap();
        let texts: Vec<String> = texts
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect();
        assert_eq!(back, texts);
    }
}
