//! Reading a file of raw `sock_diag` replies (`ss -D`'s output, `ss`'s
//! `TCPDIAG_FILE`) instead of asking the kernel.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use crate::consts::*;
use crate::wire::align4;

use super::RECV_BUF_LEN;

/// Largest message accepted from a replay file: a netlink datagram is at
/// most 32 KiB, so anything bigger is corruption, not data.
const MAX_REPLAY_MSG: usize = RECV_BUF_LEN;

/// A file of raw replies being read, one netlink message at a time: the
/// datagram source of a [`Query::tcp_from_file`](super::Query::tcp_from_file) dump.
pub(super) struct ReplayFile {
    reader: BufReader<File>,
    /// Bytes read so far.
    pub(super) offset: usize,
    pub(super) path: PathBuf,
}

impl ReplayFile {
    /// Opens `path`, a regular file or a FIFO (see
    /// [`open_checked`](crate::host::open_checked) and
    /// [`FileKind::Stream`](crate::host::FileKind::Stream): a device or
    /// directory is refused, and a FIFO without writer reads as empty
    /// instead of blocking).
    pub(super) fn open(path: PathBuf) -> std::io::Result<ReplayFile> {
        let f = crate::host::open_checked(&path, crate::host::FileKind::Stream)?;
        Ok(ReplayFile {
            reader: BufReader::with_capacity(RECV_BUF_LEN, f),
            offset: 0,
            path,
        })
    }

    /// Reads the next message into `buf`, header and payload: returns its
    /// `nlmsg_len` (the message is `buf[..len]`) and the bytes it took in
    /// the file with its padding, or `None` at a clean end of file. The
    /// offset moves past the message and its padding.
    pub(super) fn next_message(
        &mut self,
        buf: &mut [u8],
    ) -> std::io::Result<Option<(usize, usize)>> {
        let Some((len, consumed)) = read_replay_message(&mut self.reader, self.offset, buf)? else {
            return Ok(None);
        };
        self.offset += consumed;
        Ok(Some((len, consumed)))
    }

    /// The error for a file that ends before `NLMSG_DONE` (`ss` says
    /// "Unexpected EOF reading $TCPDIAG_FILE").
    pub(super) fn eof_error(&self) -> std::io::Error {
        let what = if self.offset == 0 {
            "empty file: unexpected EOF reading $TCPDIAG_FILE".to_string()
        } else {
            format!(
                "truncated: the file ends at byte {} before NLMSG_DONE",
                self.offset
            )
        };
        std::io::Error::new(std::io::ErrorKind::InvalidData, what)
    }
}

/// Reads one netlink message of a replay file into `buf`, header and
/// payload. Returns `(nlmsg_len, bytes consumed with the padding)`, or
/// `None` at a clean end of file.
fn read_replay_message(
    r: &mut BufReader<File>,
    offset: usize,
    buf: &mut [u8],
) -> std::io::Result<Option<(usize, usize)>> {
    use std::io::Read;
    let mut hdr = [0u8; NLMSG_HDRLEN];
    let mut got = 0;
    while got < hdr.len() {
        match r.read(&mut hdr[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if got == 0 {
        return Ok(None);
    }
    let bad = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    if got < NLMSG_HDRLEN {
        return Err(bad(format!(
            "truncated: the message header at byte {offset} needs {NLMSG_HDRLEN} bytes, \
             the file has {got} left"
        )));
    }
    let len = u32::from_ne_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]) as usize;
    let max = MAX_REPLAY_MSG.min(buf.len());
    if len < NLMSG_HDRLEN || len > max {
        return Err(bad(format!(
            "corrupt: the message at byte {offset} gives its length (nlmsg_len) as {len}, \
             not between {NLMSG_HDRLEN} and {max}: not a file written by ss -D or rss -D"
        )));
    }
    let payload = len - NLMSG_HDRLEN;
    let padded = align4(len) - NLMSG_HDRLEN;
    let Some(body) = buf.get_mut(NLMSG_HDRLEN..NLMSG_HDRLEN + padded) else {
        return Err(bad(format!(
            "corrupt: the message at byte {offset} does not fit the buffer"
        )));
    };
    let mut read = 0;
    while read < padded {
        match r.read(&mut body[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    // The last message may lack its alignment padding.
    if read < payload {
        return Err(bad(format!(
            "truncated: the message at byte {offset} is {len} bytes long, the file has {} left",
            NLMSG_HDRLEN + read
        )));
    }
    buf[..NLMSG_HDRLEN].copy_from_slice(&hdr);
    Ok(Some((len, NLMSG_HDRLEN + read)))
}
