//! [`Connection`]: the `NETLINK_SOCK_DIAG` socket and its receive buffer.

use std::fs::File;
use std::path::PathBuf;

use netlink_sys::{Socket as NlSocket, SocketAddr};

use crate::consts::*;
use crate::error::{Error, Request, Result};
use crate::netns::NetNs;
use crate::wire::NlMsgs;

use super::RECV_BUF_LEN;
use super::builder::{Part, PartKind, Query};
use super::dump::Dump;

/// A `NETLINK_SOCK_DIAG` socket with its receive buffer.
///
/// Reuse one connection for many dumps: the buffer is allocated once.
pub struct Connection {
    /// `None` when netlink could not be opened: every table is read from
    /// `/proc/net` ([`Connection::open`]).
    sock: Option<NlSocket>,
    pub(super) portid: u32,
    seq: u32,
    pub(super) buf: Vec<u8>,
    req: Vec<u8>,
    netns: Option<NetNs>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("portid", &self.portid)
            .field("seq", &self.seq)
            .finish()
    }
}

impl Connection {
    /// Opens a connection in the caller's network namespace.
    pub fn new() -> Result<Connection> {
        let (sock, portid) = open_socket().map_err(Error::Open)?;
        Ok(Connection {
            sock: Some(sock),
            portid,
            seq: 0,
            buf: vec![0u8; RECV_BUF_LEN],
            req: Vec::with_capacity(128),
            netns: None,
        })
    }

    /// Opens a connection inside a network namespace; the caller's thread
    /// does not move. `/proc` fallbacks read that namespace's files too.
    pub fn in_netns(ns: &NetNs) -> Result<Connection> {
        let (sock, portid) = ns.run(open_socket)?.map_err(Error::Open)?;
        let own = NetNs::from_path(ns.path())?;
        Ok(Connection {
            sock: Some(sock),
            portid,
            seq: 0,
            buf: vec![0u8; RECV_BUF_LEN],
            req: Vec::with_capacity(128),
            netns: Some(own),
        })
    }

    /// Opens a connection in `ns` (or the caller's namespace), and when the
    /// `NETLINK_SOCK_DIAG` socket cannot be opened (a seccomp filter, a
    /// kernel without sock_diag), a connection that answers every table
    /// from `/proc/net` instead. [`Dump::sources`] says which answered.
    pub fn open(ns: Option<&NetNs>) -> Result<Connection> {
        let opened = match ns {
            None => Connection::new(),
            Some(ns) => Connection::in_netns(ns),
        };
        match opened {
            Err(Error::Open(_)) => Ok(Connection {
                sock: None,
                portid: 0,
                seq: 0,
                buf: vec![0u8; RECV_BUF_LEN],
                req: Vec::new(),
                netns: ns.map(|n| NetNs::from_path(n.path())).transpose()?,
            }),
            other => other,
        }
    }

    /// True when this connection has a netlink socket (see [`Connection::open`]).
    pub fn has_netlink(&self) -> bool {
        self.sock.is_some()
    }

    /// Runs a query on this connection.
    pub fn dump<'c>(&'c mut self, query: &Query) -> Dump<'c> {
        Dump::new(Slot::Borrowed(self), query.clone())
    }

    /// Sends every request of `query` and hands each raw reply datagram to
    /// `sink`, unparsed, until the kernel ends each part. This is what
    /// `ss -D` writes and what byte fixtures are captured with. An error
    /// code from the kernel is passed on in its datagram, not turned into an
    /// error here.
    pub fn raw_dump(
        &mut self,
        query: &Query,
        mut sink: impl FnMut(Request, &[u8]) -> Result<()>,
    ) -> Result<()> {
        // ss -D writes SOCK_DIAG_BY_FAMILY replies, one family after the other.
        for part in query.parts(false) {
            if part.kind == PartKind::Replay {
                continue;
            }
            let seq = self.send(query, &part)?;
            'part: loop {
                let n = self.recv().map_err(|source| Error::Io {
                    context: "receiving sock_diag replies",
                    source,
                })?;
                let n = n.min(self.buf.len());
                let mut done = false;
                for msg in NlMsgs::new(&self.buf[..n]) {
                    let msg = msg.map_err(|error| Error::Decode {
                        request: part.request(),
                        error,
                    })?;
                    if msg.seq == seq && matches!(msg.ty, NLMSG_DONE | NLMSG_ERROR) {
                        done = true;
                    }
                }
                sink(part.request(), &self.buf[..n])?;
                if done {
                    break 'part;
                }
            }
        }
        Ok(())
    }

    pub(super) fn send(&mut self, query: &Query, part: &Part) -> Result<u32> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let mut req = std::mem::take(&mut self.req);
        query.encode(part, seq, &mut req);
        let r = match &self.sock {
            Some(sock) => sock.send(&req, 0),
            None => Err(std::io::Error::from_raw_os_error(libc::ENOTCONN)),
        };
        self.req = req;
        match r {
            Ok(_) => Ok(seq),
            Err(e)
                if e.raw_os_error() == Some(libc::EPERM)
                    || e.raw_os_error() == Some(libc::EACCES) =>
            {
                Err(Error::PermissionDenied {
                    request: part.request(),
                })
            }
            Err(source) => Err(Error::Io {
                context: "sending a sock_diag request",
                source,
            }),
        }
    }

    /// One `recv` into the reusable buffer; returns the datagram length.
    pub(super) fn recv(&mut self) -> std::io::Result<usize> {
        use std::os::fd::AsFd;
        let Some(sock) = self.sock.as_ref() else {
            return Err(std::io::Error::from_raw_os_error(libc::ENOTCONN));
        };
        // MSG_TRUNC: a datagram longer than the buffer is caught, not cut.
        crate::sys::recv(sock.as_fd(), &mut self.buf, true)
    }

    /// The filter context of this connection's namespace, read now.
    pub(super) fn filter_context(&self) -> crate::filter::FilterContext {
        match &self.netns {
            None => crate::filter::FilterContext::current(),
            Some(ns) => ns
                .run(crate::filter::FilterContext::current)
                .unwrap_or_default(),
        }
    }

    pub(super) fn open_proc(&self, name: &str) -> std::io::Result<File> {
        let path = PathBuf::from("/proc/thread-self/net").join(name);
        match &self.netns {
            None => File::open(&path),
            Some(ns) => ns
                .run(|| File::open(&path))
                .map_err(|e| std::io::Error::other(e.to_string()))?,
        }
    }
}

fn open_socket() -> std::io::Result<(NlSocket, u32)> {
    let mut sock = NlSocket::new(NETLINK_SOCK_DIAG as isize)?;
    let addr = sock.bind_auto()?;
    sock.connect(&SocketAddr::new(0, 0))?;
    Ok((sock, addr.port_number()))
}

pub(super) enum Slot<'c> {
    Owned(Connection),
    Borrowed(&'c mut Connection),
}

impl Slot<'_> {
    pub(super) fn get(&mut self) -> &mut Connection {
        match self {
            Slot::Owned(c) => c,
            Slot::Borrowed(c) => c,
        }
    }
}
