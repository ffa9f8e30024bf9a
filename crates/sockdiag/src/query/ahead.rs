//! Read-ahead for long dumps: a helper thread receives the rest of one
//! part's reply datagrams while the caller decodes the ones before.
//!
//! Each `recv` of a dump is also where the kernel fills the next batch
//! (`netlink_recvmsg` runs `netlink_dump` before returning), so a dump on
//! one thread alternates kernel work and the caller's work. A large table
//! spends about as long in each; with a reader thread the two overlap.
//!
//! The reader owns a duplicate of the socket's descriptor
//! ([`DiagReceiver`]) and at most
//! [`BUFFERS`] buffers of [`RECV_BUF_LEN`](super::RECV_BUF_LEN) bytes (one
//! of them in the caller's [`Inbox`](super::Inbox) at any time): it takes
//! a free buffer (or makes one, up to the bound), receives into it and
//! hands it over, so memory stays bounded however far the caller lags. It stops after the datagram
//! that ends the part (`NLMSG_DONE` or `NLMSG_ERROR` answering the request,
//! the rule the dump itself ends a part by), after a receive error, or
//! after a datagram too long for its buffer; each reaches the caller in
//! order. A caller that leaves early (a dropped dump) stops taking
//! buffers: the reader then reads the part to its end into a buffer of its
//! own, so the socket is clean for the next request, and exits.
//!
//! The reader never starts a part's reading on its own: it is started only
//! when the caller is about to wait for a datagram of an unfinished part,
//! so it always has one to wait for.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::thread::JoinHandle;

use crate::consts::{NLMSG_DONE, NLMSG_ERROR};
use crate::wire::NlMsgs;

use super::source::{DiagReceiver, DiagSocket, Inbox};

/// Buffers of one read-ahead, the caller's included: at most this many
/// datagrams (32 KiB each, 512 KiB in all) are held at once. The reader
/// makes one only when none is free, so a caller that keeps up holds two
/// or three; the rest lets the kernel go on while the caller spends a
/// while on something else (a table renders every few MiB of rows).
pub(crate) const BUFFERS: usize = 16;

/// The reader's stack: it only receives and frames headers.
const STACK: usize = 64 * 1024;

/// What the reader hands over: a filled buffer with the datagram's full
/// length (more than the buffer when it was cut), or the receive error.
type Filled = io::Result<(Vec<u8>, usize)>;

/// The caller's side of a running reader.
pub(crate) struct Reader {
    filled: Option<Receiver<Filled>>,
    spare: Option<SyncSender<Vec<u8>>>,
    thread: Option<JoinHandle<()>>,
    /// What the reader says of its buffers (read by tests).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) gauge: Arc<Gauge>,
}

/// The reader's buffers, as it counts them.
#[derive(Debug, Default)]
pub(crate) struct Gauge {
    /// Buffers it made (the caller's inbox holds one more).
    pub(crate) made: AtomicUsize,
    /// It waits for the caller to hand a buffer back, every one in use.
    pub(crate) full: AtomicBool,
}

impl Reader {
    /// Starts a reader of `sock`'s replies to `seq`, on a duplicate of its
    /// descriptor. `None` when the descriptor cannot be duplicated or no
    /// thread can be started: the caller reads on its own thread.
    pub(crate) fn start(sock: &DiagSocket, seq: u32, buf_len: usize) -> Option<Reader> {
        let rx = sock.receiver().ok()?;
        // Room for every buffer in either channel: no send ever waits.
        let (spare_tx, spare_rx) = mpsc::sync_channel::<Vec<u8>>(BUFFERS);
        let (filled_tx, filled_rx) = mpsc::sync_channel::<Filled>(BUFFERS);
        let gauge = Arc::new(Gauge::default());
        let ends = Ends {
            seq,
            portid: rx.portid(),
        };
        let channels = (spare_rx, filled_tx, Arc::clone(&gauge));
        let thread = std::thread::Builder::new()
            .name("sockdiag-read".into())
            .stack_size(STACK)
            .spawn(move || read(rx, ends, buf_len, channels))
            .ok()?;
        Some(Reader {
            filled: Some(filled_rx),
            spare: Some(spare_tx),
            thread: Some(thread),
            gauge,
        })
    }

    /// Moves the next datagram into `inbox` (its buffer goes back to the
    /// reader) and returns its length, as [`Inbox::fill`] does.
    pub(crate) fn next(&mut self, inbox: &mut Inbox) -> io::Result<usize> {
        let Some(filled) = &self.filled else {
            return Err(io::Error::other("the dump's read-ahead was stopped"));
        };
        match filled.recv() {
            Ok(Ok((buf, n))) => {
                let (old, got) = inbox.put(buf, n);
                if let Some(spare) = &self.spare {
                    // The reader has exited when it cannot take it back.
                    let _ = spare.try_send(old);
                }
                got
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(io::Error::other(
                "the read-ahead thread stopped before the end of the dump",
            )),
        }
    }
}

/// Dropping a reader stops taking datagrams and waits for it to have read
/// the part to its end (or to a receive error) and exited, so that the
/// socket holds nothing of the part afterwards.
impl Drop for Reader {
    fn drop(&mut self) {
        // With both channels closed, the reader reads on into a buffer of
        // its own.
        self.spare = None;
        self.filled = None;
        if let Some(t) = self.thread.take() {
            // A reader that panicked has already said so to `next`.
            let _ = t.join();
        }
    }
}

/// Which messages end the part: see [`ends_part`].
#[derive(Debug, Clone, Copy)]
struct Ends {
    seq: u32,
    portid: u32,
}

/// The reader thread: receive, hand over, until the part's end.
fn read(
    rx: DiagReceiver,
    ends: Ends,
    buf_len: usize,
    (spare, filled, gauge): (Receiver<Vec<u8>>, SyncSender<Filled>, Arc<Gauge>),
) {
    // Once the caller is gone, the rest is read into this one.
    let mut own: Option<Vec<u8>> = None;
    let mut caller = true;
    // Buffers made here; the caller's inbox brought one more.
    let mut made = 0;
    loop {
        let next = if caller {
            match spare.try_recv() {
                Ok(b) => Some(b),
                // A buffer is made only when the caller lags: memory follows
                // how far behind it is.
                Err(TryRecvError::Empty) if made + 1 < BUFFERS => {
                    made += 1;
                    gauge.made.store(made, Ordering::Relaxed);
                    Some(vec![0u8; buf_len])
                }
                Err(TryRecvError::Empty) => {
                    gauge.full.store(true, Ordering::Relaxed);
                    let b = spare.recv().ok();
                    gauge.full.store(false, Ordering::Relaxed);
                    b
                }
                Err(TryRecvError::Disconnected) => None,
            }
        } else {
            None
        };
        let mut buf = match next {
            Some(b) => b,
            None => {
                caller = false;
                own.take().unwrap_or_else(|| vec![0u8; buf_len])
            }
        };
        let got = rx.recv(&mut buf);
        let last = match &got {
            Ok(n) => *n > buf.len() || ends_part(&buf[..*n], ends.seq, ends.portid),
            Err(_) => true,
        };
        if caller {
            let sent = match got {
                Ok(n) => filled.send(Ok((buf, n))),
                Err(e) => filled.send(Err(e)),
            };
            if let Err(mpsc::SendError(Ok((b, _)))) = sent {
                caller = false;
                own = Some(b);
            } else if sent.is_err() {
                caller = false;
            }
        } else {
            own = Some(buf);
        }
        if last {
            return;
        }
    }
}

/// Whether `datagram` holds the message that ends the part answering `seq`
/// on the socket with port id `portid`: `NLMSG_DONE` or `NLMSG_ERROR`, as
/// the dump decides. Bytes that cannot be framed end the scan, as they end
/// the dump's reading of the datagram.
pub(crate) fn ends_part(datagram: &[u8], seq: u32, portid: u32) -> bool {
    NlMsgs::new(datagram).map_while(|m| m.ok()).any(|m| {
        m.seq == seq && (m.pid == portid || m.pid == 0) && matches!(m.ty, NLMSG_DONE | NLMSG_ERROR)
    })
}

#[cfg(test)]
mod tests {
    use std::net::{SocketAddr, TcpListener, TcpStream};

    use super::*;
    use crate::consts::NLMSG_HDRLEN;
    use crate::model::{Family, Socket, State};
    use crate::{Connection, Error, Query};
    use testkit::require_privileged;

    fn msg(ty: u16, seq: u32, pid: u32) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&((NLMSG_HDRLEN + 4) as u32).to_ne_bytes());
        m.extend_from_slice(&ty.to_ne_bytes());
        m.extend_from_slice(&0u16.to_ne_bytes());
        m.extend_from_slice(&seq.to_ne_bytes());
        m.extend_from_slice(&pid.to_ne_bytes());
        m.extend_from_slice(&0i32.to_ne_bytes());
        m
    }

    #[test]
    fn the_end_of_a_part_is_done_or_error_answering_its_request() {
        const SOCK: u16 = 20; // SOCK_DIAG_BY_FAMILY: a reply, not an end.
        let cat = |ms: &[Vec<u8>]| ms.concat();
        assert!(ends_part(
            &cat(&[msg(SOCK, 7, 99), msg(NLMSG_DONE, 7, 99)]),
            7,
            99
        ));
        assert!(ends_part(&msg(NLMSG_ERROR, 7, 99), 7, 99));
        // The kernel's own port id (0) answers too, as `Transport::is_reply` says.
        assert!(ends_part(&msg(NLMSG_DONE, 7, 0), 7, 99));
        assert!(!ends_part(&msg(SOCK, 7, 99), 7, 99));
        // An end answering another request or another socket is not this one's.
        assert!(!ends_part(&msg(NLMSG_DONE, 6, 99), 7, 99));
        assert!(!ends_part(&msg(NLMSG_DONE, 7, 98), 7, 99));
        // Bytes that cannot be framed end the scan before a later end.
        let mut cut = msg(SOCK, 7, 99);
        cut[0] = 200;
        assert!(!ends_part(&cat(&[cut, msg(NLMSG_DONE, 7, 99)]), 7, 99));
        assert!(!ends_part(&[], 7, 99));
    }

    /// `pairs` IPv4 and `pairs6` IPv6 loopback connections to two
    /// listeners, held open.
    fn connections(pairs: usize, pairs6: usize) -> Vec<std::os::fd::OwnedFd> {
        let mut held = Vec::new();
        for (addr, n) in [("127.0.0.1:0", pairs), ("[::1]:0", pairs6)] {
            let l = TcpListener::bind(addr.parse::<SocketAddr>().unwrap()).unwrap();
            let to = l.local_addr().unwrap();
            for _ in 0..n {
                held.push(TcpStream::connect(to).unwrap().into());
                held.push(l.accept().unwrap().0.into());
            }
            held.push(l.into());
        }
        held
    }

    fn key(s: &Socket) -> (Family, State, u64, String, String) {
        (
            s.family,
            s.state,
            s.inode,
            format!("{:?}", s.local),
            format!("{:?}", s.peer),
        )
    }

    /// A connection in `ns` reading ahead from its `after`th datagram on,
    /// or on its own thread only (`None`).
    fn conn(ns: &crate::NetNs, after: Option<u64>) -> Connection {
        let mut c = Connection::in_netns(ns).unwrap();
        match after {
            Some(n) => c.read_ahead_after = n,
            None => {
                // Off, whatever the threshold.
                c.read_ahead_after = 0;
                c.set_read_ahead(false);
            }
        }
        c
    }

    fn in_namespace(
        pairs: usize,
        pairs6: usize,
    ) -> (testkit::NetNs, crate::NetNs, Vec<std::os::fd::OwnedFd>) {
        let ns = testkit::NetNs::new().unwrap();
        let held = ns.run(move || connections(pairs, pairs6));
        let diag = crate::NetNs::from_path(ns.path()).unwrap();
        (ns, diag, held)
    }

    #[test]
    fn reading_ahead_yields_the_sockets_and_order_of_a_dump_on_one_thread() {
        require_privileged!();
        // About 3,400 sockets: a dozen datagrams, IPv6 held back behind IPv4.
        let (_ns, diag, held) = in_namespace(1500, 200);
        let query = Query::tcp();
        for after in [0, 1, 5] {
            let mut ahead = conn(&diag, Some(after));
            let mut dump = ahead.dump(&query);
            let got: Vec<Socket> = dump.by_ref().collect::<Result<_, _>>().unwrap();
            let (started, batches, sources) = (
                dump.readers_started,
                dump.batches(),
                dump.sources().to_vec(),
            );
            drop(dump);
            let mut alone = conn(&diag, None);
            let mut dump = alone.dump(&query);
            let want: Vec<Socket> = dump.by_ref().collect::<Result<_, _>>().unwrap();
            assert_eq!(dump.readers_started, 0, "read-ahead off starts no thread");
            assert_eq!(want.len(), 2 + 2 * 1700);
            assert_eq!(
                got.iter().map(key).collect::<Vec<_>>(),
                want.iter().map(key).collect::<Vec<_>>(),
                "after {after}"
            );
            assert_eq!(started, 1, "one reader for the one request (after {after})");
            assert!(
                batches > after + 4,
                "the reader handed over datagrams: {batches}"
            );
            assert_eq!(batches, dump.batches(), "the same datagrams, counted once");
            assert_eq!(sources, dump.sources());
        }
        drop(held);
    }

    #[test]
    fn a_dump_reads_ahead_only_past_its_threshold() {
        require_privileged!();
        let (_ns, diag, held) = in_namespace(1500, 0);
        let query = Query::tcp().family(Family::Inet);
        // The default threshold: a table of a dozen datagrams stays on one thread.
        let mut c = Connection::in_netns(&diag).unwrap();
        let mut dump = c.dump(&query);
        let n = dump.by_ref().count();
        assert_eq!(n, 3001);
        assert!(
            dump.batches() < super::super::READ_AHEAD_AFTER,
            "{} datagrams",
            dump.batches()
        );
        assert_eq!(dump.readers_started, 0);
        drop(dump);
        // A threshold below the table's datagrams starts one.
        let batches = {
            let mut dump = c.dump(&query);
            dump.by_ref().for_each(drop);
            dump.batches()
        };
        c.read_ahead_after = batches - 2;
        {
            let mut dump = c.dump(&query);
            assert_eq!(dump.by_ref().count(), 3001);
            assert_eq!(dump.readers_started, 1);
        }
        // At the threshold, the part has ended: no reader waits for nothing.
        c.read_ahead_after = batches;
        let mut dump = c.dump(&query);
        assert_eq!(dump.by_ref().count(), 3001);
        assert_eq!(dump.readers_started, 0);
        drop(dump);
        drop(held);
    }

    #[test]
    fn a_dump_dropped_while_its_reader_runs_leaves_the_connection_clean() {
        require_privileged!();
        let (_ns, diag, held) = in_namespace(1500, 50);
        let query = Query::tcp();
        let mut c = conn(&diag, Some(1));
        for take in [0, 1, 400, 2000, 3000] {
            let mut dump = c.dump(&query);
            let first: Vec<_> = dump.by_ref().take(take).collect::<Result<_, _>>().unwrap();
            assert_eq!(first.len(), take);
            drop(dump);
            // The next dump on the same socket gets its own answer whole.
            let mut dump = c.dump(&query);
            let all: Vec<Socket> = dump.by_ref().collect::<Result<_, _>>().unwrap();
            assert_eq!(all.len(), 2 + 2 * 1550, "after dropping a dump at {take}");
            assert_eq!(dump.readers_started, 1);
            assert!(!dump.interrupted());
        }
        drop(held);
    }

    #[test]
    fn a_lagging_caller_holds_the_reader_to_its_buffers() {
        require_privileged!();
        // About 6,000 sockets: more datagrams than the reader may hold.
        let (_ns, diag, held) = in_namespace(3000, 0);
        let query = Query::tcp().family(Family::Inet);
        let mut c = conn(&diag, Some(0));
        let mut dump = c.dump(&query);
        // The first socket starts the reader; then the caller stops taking.
        dump.next().unwrap().unwrap();
        let gauge = std::sync::Arc::clone(&dump.ahead.as_ref().expect("a reader").gauge);
        // A liveness bound: the reader fills every buffer and waits.
        assert!(
            testkit::wait_until(std::time::Duration::from_secs(30), || gauge
                .full
                .load(Ordering::Relaxed)),
            "in 30 s the reader did not come to wait for a buffer ({} made)",
            gauge.made.load(Ordering::Relaxed)
        );
        assert_eq!(
            gauge.made.load(Ordering::Relaxed),
            BUFFERS - 1,
            "with the inbox's, BUFFERS in all"
        );
        // The rest comes whole once the caller takes again.
        assert_eq!(dump.by_ref().count(), 2 * 3000 + 1 - 1);
        assert!(
            dump.batches() > BUFFERS as u64,
            "{} datagrams",
            dump.batches()
        );
        assert_eq!(gauge.made.load(Ordering::Relaxed), BUFFERS - 1);
        drop(dump);
        drop(held);
    }

    #[test]
    fn a_datagram_too_long_for_the_buffer_ends_the_dump_with_an_error() {
        require_privileged!();
        let (_ns, diag, held) = in_namespace(200, 0);
        let query = Query::tcp().family(Family::Inet);
        for after in [Some(0), None] {
            let mut c = conn(&diag, after);
            // The kernel fills a dump batch of about a page: 1 KiB cannot hold it.
            c.inbox = super::super::source::Inbox::new(1024);
            let got: Vec<_> = c.dump(&query).collect();
            assert!(
                matches!(&got[..], [Err(Error::Io { source, .. })] if source.to_string().contains("truncated")),
                "{after:?}: {got:?}"
            );
        }
        drop(held);
    }
}
