//! Bounds-checked reading of netlink bytes: messages, attributes, integers.
//!
//! Pure code over `&[u8]`: no I/O, no allocation, never panics. Every read
//! checks its length once and reports a [`DecodeError`] naming what it was
//! decoding, the offset and both lengths.
#![deny(unsafe_code)]

use crate::consts::{NLA_HDRLEN, NLA_TYPE_MASK, NLMSG_HDRLEN};

/// Bytes that do not decode: what was being read, where, and the lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed {what} at offset {offset}: need {expected} bytes, have {actual}")]
pub struct DecodeError {
    /// The structure being decoded (`"inet_diag_msg"`, `"rtattr"`, ...).
    pub what: &'static str,
    /// Offset of the structure in the message or file.
    pub offset: usize,
    /// Bytes the structure needs.
    pub expected: usize,
    /// Bytes that were there.
    pub actual: usize,
}

/// Rounds `len` up to the 4-byte alignment of netlink messages and attributes.
#[inline]
pub(crate) const fn align4(len: usize) -> usize {
    (len + 3) & !3
}

#[inline]
pub(crate) fn u16_ne(b: &[u8], off: usize) -> u16 {
    match b.get(off..off + 2) {
        Some(s) => u16::from_ne_bytes([s[0], s[1]]),
        None => 0,
    }
}

#[inline]
pub(crate) fn u16_be(b: &[u8], off: usize) -> u16 {
    match b.get(off..off + 2) {
        Some(s) => u16::from_be_bytes([s[0], s[1]]),
        None => 0,
    }
}

#[inline]
pub(crate) fn u32_ne(b: &[u8], off: usize) -> u32 {
    match b.get(off..off + 4) {
        Some(s) => u32::from_ne_bytes([s[0], s[1], s[2], s[3]]),
        None => 0,
    }
}

#[inline]
pub(crate) fn u64_ne(b: &[u8], off: usize) -> u64 {
    match b.get(off..off + 8) {
        Some(s) => {
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            u64::from_ne_bytes(a)
        }
        None => 0,
    }
}

/// Checks that `buf` holds at least `need` bytes for `what`.
#[inline]
pub(crate) fn need(
    what: &'static str,
    buf: &[u8],
    offset: usize,
    need: usize,
) -> Result<(), DecodeError> {
    if buf.len() < need {
        Err(DecodeError {
            what,
            offset,
            expected: need,
            actual: buf.len(),
        })
    } else {
        Ok(())
    }
}

/// One netlink message: header fields and payload.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NlMsg<'a> {
    pub ty: u16,
    pub flags: u16,
    pub seq: u32,
    pub pid: u32,
    pub payload: &'a [u8],
}

/// Iterates over the netlink messages of one received datagram.
#[derive(Debug)]
pub(crate) struct NlMsgs<'a> {
    buf: &'a [u8],
    off: usize,
}

impl<'a> NlMsgs<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        NlMsgs { buf, off: 0 }
    }
}

impl<'a> Iterator for NlMsgs<'a> {
    type Item = Result<NlMsg<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.buf.get(self.off..)?;
        if rest.is_empty() {
            return None;
        }
        if rest.len() < NLMSG_HDRLEN {
            let e = DecodeError {
                what: "nlmsghdr",
                offset: self.off,
                expected: NLMSG_HDRLEN,
                actual: rest.len(),
            };
            self.off = self.buf.len();
            return Some(Err(e));
        }
        let len = u32_ne(rest, 0) as usize;
        if len < NLMSG_HDRLEN || len > rest.len() {
            let e = DecodeError {
                what: "nlmsg_len",
                offset: self.off,
                expected: len.max(NLMSG_HDRLEN),
                actual: rest.len(),
            };
            self.off = self.buf.len();
            return Some(Err(e));
        }
        let msg = NlMsg {
            ty: u16_ne(rest, 4),
            flags: u16_ne(rest, 6),
            seq: u32_ne(rest, 8),
            pid: u32_ne(rest, 12),
            payload: &rest[NLMSG_HDRLEN..len],
        };
        self.off += align4(len);
        Some(Ok(msg))
    }
}

/// Iterates over the `rtattr`/`nlattr` list that follows a fixed header.
///
/// A malformed attribute ends the iteration with one error; attributes
/// before it are still returned, so a decoder can choose to keep them.
pub(crate) struct Attrs<'a> {
    buf: &'a [u8],
    off: usize,
    base: usize,
}

impl<'a> Attrs<'a> {
    /// `base` is the offset of `buf` inside its message, for error reports.
    pub(crate) fn new(buf: &'a [u8], base: usize) -> Self {
        Attrs { buf, off: 0, base }
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<(u16, &'a [u8]), DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.buf.get(self.off..)?;
        if rest.len() < NLA_HDRLEN {
            // Trailing padding shorter than a header is not an attribute.
            self.off = self.buf.len();
            return None;
        }
        let len = u16_ne(rest, 0) as usize;
        let ty = u16_ne(rest, 2) & NLA_TYPE_MASK;
        if len < NLA_HDRLEN || len > rest.len() {
            let e = DecodeError {
                what: "rtattr",
                offset: self.base + self.off,
                expected: len.max(NLA_HDRLEN),
                actual: rest.len(),
            };
            self.off = self.buf.len();
            return Some(Err(e));
        }
        let payload = &rest[NLA_HDRLEN..len];
        self.off += align4(len);
        Some(Ok((ty, payload)))
    }
}

/// Appends one attribute (header, payload, padding) to `out`.
pub(crate) fn push_attr(out: &mut Vec<u8>, ty: u16, payload: &[u8]) {
    let len = NLA_HDRLEN + payload.len();
    out.extend_from_slice(&(len as u16).to_ne_bytes());
    out.extend_from_slice(&ty.to_ne_bytes());
    out.extend_from_slice(payload);
    out.resize(out.len() + (align4(len) - len), 0);
}

/// A NUL-terminated (or not) C string from an attribute, as UTF-8 lossless bytes.
pub(crate) fn cstr(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_on_alignment() {
        let mut buf = Vec::new();
        for (ty, payload) in [(20u16, &b"abcde"[..]), (3, &b"\0\0\0\0"[..])] {
            let len = (NLMSG_HDRLEN + payload.len()) as u32;
            buf.extend_from_slice(&len.to_ne_bytes());
            buf.extend_from_slice(&ty.to_ne_bytes());
            buf.extend_from_slice(&2u16.to_ne_bytes());
            buf.extend_from_slice(&7u32.to_ne_bytes());
            buf.extend_from_slice(&9u32.to_ne_bytes());
            buf.extend_from_slice(payload);
            buf.resize(align4(buf.len()), 0);
        }
        let msgs: Vec<_> = NlMsgs::new(&buf).collect::<Result<_, _>>().unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].ty, 20);
        assert_eq!(msgs[0].payload, b"abcde");
        assert_eq!((msgs[0].seq, msgs[0].pid, msgs[0].flags), (7, 9, 2));
        assert_eq!(msgs[1].ty, 3);
    }

    #[test]
    fn bad_lengths_are_errors_not_panics() {
        // nlmsg_len larger than the buffer
        let mut buf = 64u32.to_ne_bytes().to_vec();
        buf.resize(20, 0);
        let r: Vec<_> = NlMsgs::new(&buf).collect();
        assert_eq!(r.len(), 1);
        let e = r[0].as_ref().unwrap_err();
        assert_eq!((e.expected, e.actual), (64, 20));
        // nlmsg_len smaller than a header
        let buf = 3u32.to_ne_bytes().repeat(5);
        assert!(NlMsgs::new(&buf).next().unwrap().is_err());
        // every prefix of every byte pattern: no panic
        for n in 0..40 {
            let b: Vec<u8> = (0..n).map(|i| (i * 37 + n) as u8).collect();
            let _ = NlMsgs::new(&b).count();
            let _ = Attrs::new(&b, 0).count();
        }
    }

    #[test]
    fn attrs_roundtrip_and_mask_flags() {
        let mut b = Vec::new();
        push_attr(&mut b, 4, b"cubic\0");
        push_attr(&mut b, 8 | 1 << 15, &[3]);
        let a: Vec<_> = Attrs::new(&b, 0).collect::<Result<_, _>>().unwrap();
        assert_eq!(a, vec![(4, &b"cubic\0"[..]), (8, &[3u8][..])]);
        assert_eq!(cstr(a[0].1), b"cubic");
        // rtattr claiming 200 bytes in a 12-byte buffer
        let mut bad = 200u16.to_ne_bytes().to_vec();
        bad.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let e = Attrs::new(&bad, 72).next().unwrap().unwrap_err();
        assert_eq!((e.offset, e.expected, e.actual), (72, 200, 12));
    }

    #[test]
    fn lengths_at_their_boundaries() {
        for (n, want) in [(0, 0), (1, 4), (3, 4), (4, 4), (5, 8), (8, 8)] {
            assert_eq!(align4(n), want, "align4({n})");
        }
        // Exactly enough is enough; one byte short is an error naming both.
        assert!(need("x", &[0; 4], 8, 4).is_ok());
        let e = need("x", &[0; 3], 8, 4).unwrap_err();
        assert_eq!((e.what, e.offset, e.expected, e.actual), ("x", 8, 4, 3));

        // A message that is only its header, filling the buffer.
        let mut h = 16u32.to_ne_bytes().to_vec();
        h.extend_from_slice(&3u16.to_ne_bytes());
        h.resize(16, 0);
        let m: Vec<_> = NlMsgs::new(&h).collect::<Result<_, _>>().unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].ty, 3);
        assert!(m[0].payload.is_empty());
        // One byte short of a header: one error.
        let r: Vec<_> = NlMsgs::new(&h[..15]).collect();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].as_ref().unwrap_err().what, "nlmsghdr");

        // An attribute that is only its header, filling the buffer.
        let mut b = Vec::new();
        push_attr(&mut b, 6, b"");
        let mut want = 4u16.to_ne_bytes().to_vec();
        want.extend_from_slice(&6u16.to_ne_bytes());
        assert_eq!(b, want);
        let a: Vec<_> = Attrs::new(&b, 0).collect::<Result<_, _>>().unwrap();
        assert_eq!(a, vec![(6, &[][..])]);
        // An unaligned payload: the header counts it, zero padding follows.
        let mut b = Vec::new();
        push_attr(&mut b, 1, b"abcde");
        assert_eq!(b.len(), 12);
        assert_eq!(u16_ne(&b, 0), 9);
        assert_eq!(&b[4..], b"abcde\0\0\0");
        // Fewer trailing bytes than a header are padding, not an attribute.
        b.extend_from_slice(&[1, 2, 3]);
        let a: Vec<_> = Attrs::new(&b, 0).collect::<Result<_, _>>().unwrap();
        assert_eq!(a, vec![(1, &b"abcde"[..])]);
    }

    #[test]
    fn integers_read_at_the_end_or_not_at_all() {
        let b = [1u8, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(u16_ne(&b, 6), u16::from_ne_bytes([7, 8]));
        assert_eq!(u16_ne(&b, 7), 0);
        assert_eq!(u16_be(&b, 6), 0x0708);
        assert_eq!(u16_be(&b, 7), 0);
        assert_eq!(u32_ne(&b, 4), u32::from_ne_bytes([5, 6, 7, 8]));
        assert_eq!(u32_ne(&b, 5), 0);
        assert_eq!(u64_ne(&b, 0), u64::from_ne_bytes(b));
        assert_eq!(u64_ne(&b, 1), 0);
    }
}
