//! `--explain`: what a row's Recv-Q and Send-Q mean in its state.
//!
//! The seed's table, applied to each row: for a listener the accept queue
//! and the backlog, for a connection the bytes not yet read and the bytes
//! not yet acknowledged (counting the FIN's sequence number where the
//! state says it is in the queue), buffer space for UDP, raw, unix, packet
//! and netlink sockets. The renderer calls [`note`] and prints the text on
//! the row's detail line; this file owns the words.

use sockdiag::{Family, Socket, State, Table};

/// The note for one socket: one sentence per queue, with its values.
pub fn note(s: &Socket) -> String {
    let (r, q) = (s.recv_q, s.send_q);
    match (s.family, s.netid) {
        (Family::Inet | Family::Inet6, Table::Tcp | Table::Mptcp) => tcp(s.state, r, q),
        (Family::Inet | Family::Inet6, _) => format!(
            "Recv-Q {r}: bytes of datagrams waiting to be read (receive buffer in use); \
             Send-Q {q}: bytes queued to send"
        ),
        (Family::Unix, _) if s.state == State::Listen => listener(r, q, "unix "),
        (Family::Unix, Table::UnixDgram) => format!(
            "Recv-Q {r}: size of the next datagram waiting to be read; Send-Q {q}: bytes sent \
             and not yet read by the receiver"
        ),
        (Family::Unix, _) => format!(
            "Recv-Q {r}: bytes waiting to be read; Send-Q {q}: bytes sent and not yet read by \
             the peer"
        ),
        _ => {
            format!("Recv-Q {r}: bytes in the receive buffer; Send-Q {q}: bytes in the send buffer")
        }
    }
}

fn listener(r: u32, q: u32, what: &str) -> String {
    let full = if r > 0 && r >= q {
        ": full, new connections wait or are dropped (the application does not accept)"
    } else {
        ""
    };
    format!(
        "Recv-Q {r}: {what}connections waiting for accept() (accept queue); Send-Q {q}: the \
         backlog given to listen(){full}"
    )
}

fn tcp(state: State, r: u32, q: u32) -> String {
    let unread = |n: u32| {
        if n == 0 {
            "Recv-Q 0: nothing waiting to be read".to_string()
        } else {
            format!("Recv-Q {n}: bytes received, not yet read by the application")
        }
    };
    let unacked = |n: u32| {
        if n == 0 {
            "Send-Q 0: everything sent was acknowledged".to_string()
        } else {
            format!("Send-Q {n}: bytes sent, not yet acknowledged by the peer")
        }
    };
    // The peer's FIN counts in Recv-Q until the application reads the EOF.
    let with_fin = |n: u32| match n {
        0 => "Recv-Q 0: the end of file was read".to_string(),
        1 => "Recv-Q 1: the peer's FIN, end of file not yet read".to_string(),
        n => format!(
            "Recv-Q {n}: {} bytes not yet read, then the peer's FIN",
            n - 1
        ),
    };
    // Our FIN counts in Send-Q until the peer acknowledges it.
    let our_fin = |n: u32| match n {
        0 => "Send-Q 0".to_string(),
        1 => "Send-Q 1: our FIN, not yet acknowledged".to_string(),
        n => format!(
            "Send-Q {n}: {} bytes, then our FIN, not yet acknowledged",
            n - 1
        ),
    };
    match state {
        State::Listen => listener(r, q, ""),
        State::SynSent => {
            format!("Send-Q {q}: the SYN, not yet answered (connect() in progress); Recv-Q {r}")
        }
        State::SynRecv | State::NewSynRecv => {
            "a handshake waiting for the client's final ACK (no data queued)".to_string()
        }
        State::TimeWait => "closed; kept 60 s against late segments (no queues)".to_string(),
        State::CloseWait => format!(
            "{}; {} (the peer closed, the application has not)",
            with_fin(r),
            unacked(q)
        ),
        State::LastAck | State::Closing => format!("{}; {}", with_fin(r), our_fin(q)),
        State::FinWait1 => format!("{}; {}", unread(r), our_fin(q)),
        _ => format!("{}; {}", unread(r), unacked(q)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockdiag::Family;

    fn sock(netid: Table, family: Family, state: State, r: u32, q: u32) -> Socket {
        let mut s = Socket::new(netid, family, state);
        (s.recv_q, s.send_q) = (r, q);
        s
    }

    #[test]
    fn the_seeds_table() {
        let tcp = |st, r, q| note(&sock(Table::Tcp, Family::Inet, st, r, q));
        // LISTEN: accept queue and backlog; full at the backlog.
        let n = tcp(State::Listen, 0, 5);
        assert!(
            n.starts_with("Recv-Q 0: connections waiting for accept()"),
            "{n}"
        );
        assert!(n.contains("Send-Q 5: the backlog given to listen()") && !n.contains("full"));
        assert!(tcp(State::Listen, 6, 5).contains("full"));
        // ESTABLISHED: unread and unacknowledged bytes.
        let n = tcp(State::Established, 48, 0);
        assert!(n.contains("Recv-Q 48: bytes received, not yet read"), "{n}");
        assert!(
            n.contains("Send-Q 0: everything sent was acknowledged"),
            "{n}"
        );
        assert!(
            tcp(State::Established, 0, 21).contains("Send-Q 21: bytes sent, not yet acknowledged")
        );
        // The FINs.
        assert!(tcp(State::CloseWait, 1, 0).contains("Recv-Q 1: the peer's FIN"));
        assert!(tcp(State::CloseWait, 0, 0).contains("the end of file was read"));
        assert!(tcp(State::FinWait1, 0, 1).contains("Send-Q 1: our FIN"));
        assert!(tcp(State::LastAck, 0, 3).contains("2 bytes, then our FIN"));
        assert!(tcp(State::SynSent, 0, 1).contains("Send-Q 1: the SYN"));
        assert!(tcp(State::TimeWait, 0, 0).contains("60 s"));
        // UDP and unix: buffer space.
        let n = note(&sock(Table::Udp, Family::Inet, State::Close, 2304, 0));
        assert!(n.contains("Recv-Q 2304: bytes of datagrams waiting"), "{n}");
        let n = note(&sock(Table::UnixStream, Family::Unix, State::Listen, 3, 2));
        assert!(n.contains("unix connections waiting for accept()") && n.contains("full"));
        let n = note(&sock(
            Table::UnixStream,
            Family::Unix,
            State::Established,
            7,
            0,
        ));
        assert!(n.contains("Recv-Q 7: bytes waiting to be read"), "{n}");
    }
}
