//! Where a connection's reply datagrams come from: the only I/O a netlink
//! part of a dump does. A [`Transport`] sends a request and yields reply
//! datagrams, nothing more; the dump decodes each with the public decoder
//! ([`crate::decode`]). The other sources of a dump, the `/proc/net` rows
//! of a fallback and the messages of a replay file, are in `procfs.rs` and
//! `replay.rs`.

use std::collections::VecDeque;
use std::io;

use netlink_sys::{Socket as NlSocket, SocketAddr};

use crate::consts::NETLINK_SOCK_DIAG;
use crate::wire::NlMsg;

/// The datagram source of a [`Connection`](super::Connection).
pub(super) enum Transport {
    /// A `NETLINK_SOCK_DIAG` socket and the port id the kernel gave it.
    Netlink { sock: NlSocket, portid: u32 },
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
            Transport::Netlink { portid, .. } => {
                f.debug_struct("Netlink").field("portid", portid).finish()
            }
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
        let mut sock = NlSocket::new(NETLINK_SOCK_DIAG as isize)?;
        let addr = sock.bind_auto()?;
        sock.connect(&SocketAddr::new(0, 0))?;
        Ok(Transport::Netlink {
            sock,
            portid: addr.port_number(),
        })
    }

    /// True when requests are answered with sock_diag replies.
    pub(super) fn answers(&self) -> bool {
        !matches!(self, Transport::Missing)
    }

    /// Sends one request.
    pub(super) fn send(&mut self, request: &[u8]) -> io::Result<()> {
        match self {
            Transport::Netlink { sock, .. } => sock.send(request, 0).map(drop),
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
            Transport::Netlink { sock, .. } => {
                use std::os::fd::AsFd;
                crate::sys::recv(sock.as_fd(), buf, true)
            }
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
            Transport::Netlink { portid, .. } => {
                msg.seq == seq && (msg.pid == *portid || msg.pid == 0)
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
