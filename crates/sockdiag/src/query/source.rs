//! Where a connection's reply datagrams come from: the only I/O a netlink
//! part of a dump does. A [`Transport`] sends a request and yields reply
//! datagrams, nothing more; the dump decodes each with the public decoder
//! ([`crate::decode`]). The other sources of a dump, the `/proc/net` rows
//! of a fallback and the messages of a replay file, are in `procfs.rs` and
//! `replay.rs`.
//!
//! [`DiagSocket`] is the crate's one opener of a `NETLINK_SOCK_DIAG`
//! socket and [`Inbox`] its one receive loop: a dump, `SOCK_DESTROY`
//! (`live.rs`), destroy events and the module probe all use them.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use netlink_sys::{Socket as NlSocket, SocketAddr};

use crate::consts::{NETLINK_SOCK_DIAG, NLMSG_HDRLEN};
use crate::wire::{DecodeError, NlMsg, NlMsgs, align4};

/// A `NETLINK_SOCK_DIAG` socket of the calling thread's namespace, bound
/// and connected to the kernel.
pub(crate) struct DiagSocket {
    sock: NlSocket,
    portid: u32,
}

impl DiagSocket {
    /// Opens one in the calling thread's network namespace, subscribed to
    /// the multicast `groups` (a bit mask; 0 for none), with the port id the
    /// kernel gives it, and connected to the kernel.
    pub(crate) fn open(groups: u32) -> io::Result<DiagSocket> {
        let mut sock = NlSocket::new(NETLINK_SOCK_DIAG as isize)?;
        sock.bind(&SocketAddr::new(0, groups))?;
        let mut addr = SocketAddr::new(0, 0);
        sock.get_address(&mut addr)?;
        sock.connect(&SocketAddr::new(0, 0))?;
        Ok(DiagSocket {
            sock,
            portid: addr.port_number(),
        })
    }

    /// The port id the kernel gave the socket.
    pub(crate) fn portid(&self) -> u32 {
        self.portid
    }

    /// Sends one request to the kernel.
    pub(crate) fn send(&self, request: &[u8]) -> io::Result<()> {
        self.sock.send(request, 0).map(drop)
    }

    /// Receives one datagram into `buf` and returns its full length, which
    /// is more than `buf.len()` when it did not fit (`MSG_TRUNC`).
    pub(crate) fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        crate::sys::recv(self.sock.as_fd(), buf, true)
    }

    /// [`DiagSocket::recv`] without blocking: `WouldBlock` when nothing is
    /// queued.
    pub(crate) fn recv_nowait(&self, buf: &mut [u8]) -> io::Result<usize> {
        crate::sys::recv_nowait(self.sock.as_fd(), buf)
    }

    /// The socket's descriptor, borrowed for a call.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }

    /// A receiver of this socket's replies on a duplicate of its
    /// descriptor, for another thread (a dump's read-ahead, `ahead.rs`).
    pub(crate) fn receiver(&self) -> io::Result<DiagReceiver> {
        Ok(DiagReceiver {
            fd: self.sock.as_fd().try_clone_to_owned()?,
            portid: self.portid,
        })
    }
}

/// A [`DiagSocket`]'s replies, received on a duplicate of its descriptor
/// (the same socket, one queue).
pub(crate) struct DiagReceiver {
    fd: OwnedFd,
    portid: u32,
}

impl DiagReceiver {
    /// The socket's port id (replies name it).
    pub(crate) fn portid(&self) -> u32 {
        self.portid
    }

    /// [`DiagSocket::recv`].
    pub(crate) fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        crate::sys::recv(self.fd.as_fd(), buf, true)
    }
}

/// The receive loop of a `NETLINK_SOCK_DIAG` socket: one datagram at a
/// time into a reusable buffer, handed out one framed message at a time.
pub(crate) struct Inbox {
    /// The buffer; a replay file reads its messages into it too.
    pub(crate) buf: Vec<u8>,
    pos: usize,
    len: usize,
}

impl Inbox {
    /// An empty inbox receiving datagrams of up to `capacity` bytes.
    pub(crate) fn new(capacity: usize) -> Inbox {
        Inbox {
            buf: vec![0u8; capacity],
            pos: 0,
            len: 0,
        }
    }

    /// True once every message of the last datagram was taken.
    pub(crate) fn is_read(&self) -> bool {
        self.pos >= self.len
    }

    /// Drops what is left of the last datagram.
    pub(crate) fn clear(&mut self) {
        self.pos = 0;
        self.len = 0;
    }

    /// The last datagram received, whole.
    pub(crate) fn datagram(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Receives the next datagram with `recv` (which returns the
    /// datagram's full length, as [`DiagSocket::recv`] does) and returns
    /// its length. A datagram longer than the buffer is an error: it is
    /// never read as whole, and nothing is left to take.
    pub(crate) fn fill(
        &mut self,
        recv: impl FnOnce(&mut [u8]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        self.clear();
        let n = recv(&mut self.buf)?;
        self.set_len(n)
    }

    /// Takes `buf`, whose first bytes are a datagram of full length `n`
    /// received elsewhere (a read-ahead thread), as the last datagram, as
    /// [`Inbox::fill`] would have; returns the buffer it held before.
    pub(crate) fn put(&mut self, buf: Vec<u8>, n: usize) -> (Vec<u8>, io::Result<usize>) {
        self.clear();
        let old = std::mem::replace(&mut self.buf, buf);
        (old, self.set_len(n))
    }

    fn set_len(&mut self, n: usize) -> io::Result<usize> {
        if n > self.buf.len() {
            return Err(io::Error::other(format!(
                "netlink datagram of {n} bytes truncated to {}",
                self.buf.len()
            )));
        }
        self.len = n;
        Ok(n)
    }

    /// Takes the next message of the last datagram, with its bytes (header,
    /// payload and padding); `None` once the datagram is read. Bytes that
    /// cannot be framed (a truncated header, a length past the end) are one
    /// error, and the rest of the datagram is dropped.
    #[inline]
    pub(crate) fn take(&mut self) -> Option<Result<(NlMsg<'_>, &[u8]), DecodeError>> {
        if self.pos >= self.len {
            return None;
        }
        let (pos, len) = (self.pos, self.len);
        let datagram = self.buf.get(pos..len).unwrap_or(&[]);
        match NlMsgs::new(datagram).next() {
            Some(Ok(msg)) => {
                let next = pos + align4(msg.payload.len() + NLMSG_HDRLEN).min(len - pos);
                self.pos = next;
                Some(Ok((msg, self.buf.get(pos..next).unwrap_or(&[]))))
            }
            framing => {
                self.pos = len;
                match framing {
                    Some(Err(e)) => Some(Err(e)),
                    _ => None,
                }
            }
        }
    }
}

/// The datagram source of a [`Connection`](super::Connection).
pub(super) enum Transport {
    /// A `NETLINK_SOCK_DIAG` socket.
    Netlink(DiagSocket),
    /// Datagrams given up front ([`Connection::from_datagrams`](super::Connection::from_datagrams)),
    /// one per `recv`, in order; requests are recorded, not sent.
    Recorded {
        datagrams: VecDeque<Vec<u8>>,
        requests: Vec<Vec<u8>>,
    },
    /// No sock_diag at all: every table is read from `/proc/net`.
    Missing,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Netlink(sock) => f
                .debug_struct("Netlink")
                .field("portid", &sock.portid())
                .finish(),
            Transport::Recorded { datagrams, .. } => f
                .debug_struct("Recorded")
                .field("datagrams_left", &datagrams.len())
                .finish(),
            Transport::Missing => f.write_str("Missing"),
        }
    }
}

impl Transport {
    /// Opens a `NETLINK_SOCK_DIAG` socket in the calling thread's namespace.
    pub(super) fn open_netlink() -> io::Result<Transport> {
        DiagSocket::open(0).map(Transport::Netlink)
    }

    /// True when requests are answered with sock_diag replies.
    pub(super) fn answers(&self) -> bool {
        !matches!(self, Transport::Missing)
    }

    /// Sends one request.
    pub(super) fn send(&mut self, request: &[u8]) -> io::Result<()> {
        match self {
            Transport::Netlink(sock) => sock.send(request),
            Transport::Recorded { requests, .. } => {
                requests.push(request.to_vec());
                Ok(())
            }
            Transport::Missing => Err(io::Error::from_raw_os_error(libc::ENOTCONN)),
        }
    }

    /// Receives one datagram into `buf` and returns its full length, which
    /// is more than `buf.len()` when it did not fit (`MSG_TRUNC`): the
    /// caller reports that, it never reads a cut datagram as whole.
    pub(super) fn recv(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Netlink(sock) => sock.recv(buf),
            Transport::Recorded { datagrams, .. } => {
                let Some(d) = datagrams.pop_front() else {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "no recorded datagram left",
                    ));
                };
                let n = d.len().min(buf.len());
                buf[..n].copy_from_slice(&d[..n]);
                Ok(d.len())
            }
            Transport::Missing => Err(io::Error::from_raw_os_error(libc::ENOTCONN)),
        }
    }

    /// Whether `msg` answers the request sent with `seq`. A netlink socket
    /// may still hold replies to an earlier, abandoned request; recorded
    /// datagrams answer whatever is asked, in order.
    #[inline]
    pub(super) fn is_reply(&self, msg: &NlMsg<'_>, seq: u32) -> bool {
        match self {
            Transport::Netlink(sock) => {
                msg.seq == seq && (msg.pid == sock.portid() || msg.pid == 0)
            }
            Transport::Recorded { .. } | Transport::Missing => true,
        }
    }

    /// The requests sent so far to a recorded transport.
    #[cfg(test)]
    pub(super) fn requests(&self) -> &[Vec<u8>] {
        match self {
            Transport::Recorded { requests, .. } => requests,
            _ => &[],
        }
    }
}
