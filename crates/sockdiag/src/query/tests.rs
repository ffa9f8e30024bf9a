//! The dump logic on byte fixtures, no kernel: a [`Connection`] over
//! recorded datagrams ([`Connection::from_datagrams`]) runs the same state
//! machine and decoder as a live dump. Expected sockets come from the
//! captured fixtures (`fixtures.rs`) through the public decoder.

use super::*;
use crate::consts::*;
use crate::decode::{Message, decode_datagram};
use crate::error::Result;
use crate::error::{Error, Request};
use crate::fixture_tests::fixtures::{NETLINK, PACKET, TCP4, TCP6, UNIX};
use crate::inet::TCPDIAG_GETSOCK;
use crate::model::Socket;
use crate::model::{Family, Table, Tables};
use crate::wire::NlMsgs;
use crate::{Connection, Query, Source};

/// One netlink message: header, payload, padding.
fn msg(ty: u16, flags: u16, payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&((NLMSG_HDRLEN + payload.len()) as u32).to_ne_bytes());
    m.extend_from_slice(&ty.to_ne_bytes());
    m.extend_from_slice(&flags.to_ne_bytes());
    m.extend_from_slice(&[0; 8]);
    m.extend_from_slice(payload);
    m.resize(m.len().next_multiple_of(4), 0);
    m
}

fn done(code: i32) -> Vec<u8> {
    msg(NLMSG_DONE, NLM_F_MULTI, &code.to_ne_bytes())
}

/// `NLMSG_ERROR`: the code, then the header of the request it answers.
fn error(errno: i32) -> Vec<u8> {
    let mut p = (-errno).to_ne_bytes().to_vec();
    p.extend_from_slice(&[0; NLMSG_HDRLEN]);
    msg(NLMSG_ERROR, 0, &p)
}

/// The socket payloads of a captured fixture.
fn payloads(fixture: &[&'static [u8]]) -> Vec<&'static [u8]> {
    fixture
        .iter()
        .flat_map(|d| NlMsgs::new(d).map(|m| m.unwrap()))
        .filter(|m| m.ty == SOCK_DIAG_BY_FAMILY)
        .map(|m| m.payload)
        .collect()
}

/// The sockets the public decoder finds in a fixture.
fn sockets(table: Table, fixture: &[&[u8]]) -> Vec<Socket> {
    fixture
        .iter()
        .flat_map(|d| decode_datagram(table, d))
        .filter_map(|m| match m.unwrap() {
            Message::Socket(s) => Some(s),
            _ => None,
        })
        .collect()
}

/// The socket of one payload.
fn socket(table: Table, payload: &[u8]) -> Socket {
    sockets(table, &[&msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, payload)])
        .pop()
        .unwrap()
}

fn recorded(datagrams: &[&[u8]]) -> Connection {
    Connection::from_datagrams(datagrams.iter().map(|d| d.to_vec()).collect())
}

fn request(table: Table, family: Family) -> Request {
    Request { table, family }
}

/// `(nlmsg_type, sdiag_family)` of each request sent.
fn sent(conn: &Connection) -> Vec<(u16, u8)> {
    conn.transport
        .requests()
        .iter()
        .map(|r| (u16::from_ne_bytes([r[4], r[5]]), r[NLMSG_HDRLEN]))
        .collect()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn a_recorded_capture_dumps_as_the_decoder_reads_it() {
    let mut conn = recorded(TCP4);
    let q = Query::tcp().family(Family::Inet);
    let mut dump = conn.dump(&q);
    let got: Vec<Socket> = dump.by_ref().collect::<Result<_>>().unwrap();
    assert_eq!(got, sockets(Table::Tcp, TCP4));
    // The fixture's documentation: a listener, two accepted pair sockets,
    // the waiting pair and a TIME-WAIT socket.
    assert_eq!(got.len(), 6);
    assert_eq!(dump.batches(), TCP4.len() as u64);
    let bytes: usize = TCP4.iter().map(|d| d.len()).sum();
    assert_eq!(dump.bytes(), bytes as u64);
    assert!(!dump.interrupted());
    assert_eq!(
        dump.sources(),
        &[(request(Table::Tcp, Family::Inet), Source::Netlink)]
    );
    drop(dump);
    assert_eq!(sent(&conn), vec![(SOCK_DIAG_BY_FAMILY, AF_INET)]);
}

#[test]
fn several_tables_are_several_requests_in_order() {
    let datagrams: Vec<&[u8]> = [NETLINK, PACKET, UNIX].concat();
    let mut conn = recorded(&datagrams);
    let q = Query::new(Tables::NETLINK | Tables::PACKET | Tables::UNIX);
    let mut dump = conn.dump(&q);
    let got: Vec<Socket> = dump.by_ref().collect::<Result<_>>().unwrap();
    let mut want = sockets(Table::Netlink, NETLINK);
    let (n_netlink, n_packet) = (want.len(), sockets(Table::PacketRaw, PACKET).len());
    want.extend(sockets(Table::PacketRaw, PACKET));
    want.extend(sockets(Table::UnixStream, UNIX));
    assert_eq!(got, want);
    assert!(n_netlink > 0 && n_packet > 0 && got.len() > n_netlink + n_packet);
    let tables: Vec<Table> = dump.sources().iter().map(|(r, _)| r.table).collect();
    assert_eq!(
        tables,
        [Table::Netlink, Table::PacketRaw, Table::UnixStream]
    );
    assert!(dump.sources().iter().all(|(_, s)| *s == Source::Netlink));
    drop(dump);
    let families: Vec<u8> = sent(&conn).iter().map(|r| r.1).collect();
    assert_eq!(families, [AF_NETLINK, AF_PACKET, AF_UNIX]);
}

#[test]
fn an_error_mid_dump_ends_its_part_and_the_next_part_goes_on() {
    let v4 = payloads(TCP4);
    let v6 = payloads(TCP6);
    for (errno, want_permission) in [(libc::EIO, false), (libc::EPERM, true)] {
        // IPv4: a socket, the error, and a socket after it that is not read.
        let first = cat(&[
            &msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, v4[0]),
            &error(errno),
            &msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, v4[1]),
        ]);
        let second = cat(&[&msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, v6[0]), &done(0)]);
        let mut conn = recorded(&[&first, &second]);
        let got: Vec<Result<Socket>> = conn.dump(&Query::tcp()).collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0].as_ref().unwrap(), &socket(Table::Tcp, v4[0]));
        match &got[1] {
            Err(Error::PermissionDenied { request: r }) if want_permission => {
                assert_eq!(*r, request(Table::Tcp, Family::Inet))
            }
            Err(Error::Kernel {
                request: r,
                errno: e,
            }) if !want_permission => {
                assert_eq!((*r, *e), (request(Table::Tcp, Family::Inet), errno))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(got[2].as_ref().unwrap(), &socket(Table::Tcp, v6[0]));
    }
}

#[test]
fn done_carrying_an_error_code() {
    let q = Query::udp().family(Family::Inet).fallback(false);
    // A missing diag module, no fallback: unsupported.
    let mut conn = recorded(&[&done(-libc::ENOENT)]);
    let mut dump = conn.dump(&q);
    let got: Vec<_> = dump.by_ref().collect();
    let udp4 = request(Table::Udp, Family::Inet);
    assert!(matches!(got[..], [Err(Error::Unsupported { request: r })] if r == udp4));
    assert_eq!(dump.sources(), &[(udp4, Source::Unsupported)]);
    drop(dump);
    // Any other code is the kernel's error, for that request.
    let mut conn = recorded(&[&done(-libc::EINVAL)]);
    let got: Vec<_> = conn.dump(&q).collect();
    assert!(
        matches!(got[..], [Err(Error::Kernel { request: r, errno })] if r == udp4 && errno == libc::EINVAL),
        "{got:?}"
    );
    // A DONE too short to carry its code is a decode error, and still ends
    // the part: the next part is asked.
    let short = msg(NLMSG_DONE, NLM_F_MULTI, &[0, 0]);
    let v6 = payloads(TCP6);
    let second = cat(&[&msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, v6[0]), &done(0)]);
    let mut conn = recorded(&[&short, &second]);
    let got: Vec<_> = conn.dump(&Query::tcp()).collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(matches!(&got[0], Err(Error::Decode { error, .. }) if error.what == "NLMSG_DONE code"));
    assert_eq!(got[1].as_ref().unwrap(), &socket(Table::Tcp, v6[0]));
}

#[test]
fn dump_intr_is_reported_and_the_sockets_still_yielded() {
    let v4 = payloads(TCP4);
    let flagged = cat(&[
        &msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, v4[0]),
        &msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI | NLM_F_DUMP_INTR, v4[1]),
        &done(0),
    ]);
    let q = Query::tcp().family(Family::Inet);
    let mut conn = recorded(&[&flagged]);
    let mut dump = conn.dump(&q);
    assert!(!dump.interrupted());
    assert_eq!(dump.next().unwrap().unwrap(), socket(Table::Tcp, v4[0]));
    assert!(!dump.interrupted(), "not before the flagged message");
    assert_eq!(dump.next().unwrap().unwrap(), socket(Table::Tcp, v4[1]));
    assert!(dump.interrupted());
    assert!(dump.next().is_none());
    drop(dump);
    // Only NLMSG_DONE flagged: still an interrupted dump.
    let mut conn = recorded(&[&msg(NLMSG_DONE, NLM_F_MULTI | NLM_F_DUMP_INTR, &[0; 4])]);
    let mut dump = conn.dump(&q);
    assert!(dump.next().is_none());
    assert!(dump.interrupted());
}

/// A single-walk TCP dump (`TCPDIAG_GETSOCK` over both families) on
/// recorded datagrams, holding back at most `cap` bytes of IPv6.
fn single_walk(datagrams: &[&[u8]], cap: usize) -> Connection {
    let mut conn = recorded(datagrams);
    conn.single_walk = true;
    conn.deferred_v6_max = cap;
    conn
}

#[test]
fn single_walk_yields_ipv4_first_and_holds_ipv6_up_to_the_cap() {
    let (v4, v6) = (payloads(TCP4), payloads(TCP6));
    let walk = |m: &[u8]| msg(TCPDIAG_GETSOCK, NLM_F_MULTI, m);
    let held = walk(v6[0]).len() + walk(v6[1]).len();
    let replies = cat(&[
        &walk(v6[0]),
        &walk(v4[0]),
        &walk(v6[1]),
        &walk(v4[1]),
        &done(0),
    ]);
    let tcp = |p: &[u8]| socket(Table::Tcp, p);
    // Exactly at the cap: everything held is kept, yielded after IPv4.
    let mut conn = single_walk(&[&replies], held);
    let mut dump = conn.dump(&Query::tcp());
    let got: Vec<Socket> = dump.by_ref().collect::<Result<_>>().unwrap();
    assert_eq!(got, [tcp(v4[0]), tcp(v4[1]), tcp(v6[0]), tcp(v6[1])]);
    assert_eq!(
        dump.sources(),
        &[
            (request(Table::Tcp, Family::Inet), Source::Netlink),
            (request(Table::Tcp, Family::Inet6), Source::Netlink)
        ]
    );
    drop(dump);
    assert_eq!(sent(&conn), [(TCPDIAG_GETSOCK, 0)], "one walk, AF_UNSPEC");

    // Past the cap (by one message's worth of alignment): what was held is
    // dropped, IPv4 still streams, and IPv6 is asked again on its own; its
    // answer (here a different socket) is what the dump yields for IPv6.
    let again = cat(&[&msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, v6[2]), &done(0)]);
    let mut conn = single_walk(&[&replies, &again], held - 4);
    let mut dump = conn.dump(&Query::tcp());
    let got: Vec<Socket> = dump.by_ref().collect::<Result<_>>().unwrap();
    assert_eq!(got, [tcp(v4[0]), tcp(v4[1]), tcp(v6[2])]);
    assert_eq!(
        dump.sources(),
        &[
            (request(Table::Tcp, Family::Inet), Source::Netlink),
            (request(Table::Tcp, Family::Inet6), Source::Netlink)
        ]
    );
    drop(dump);
    assert_eq!(
        sent(&conn),
        [(TCPDIAG_GETSOCK, 0), (SOCK_DIAG_BY_FAMILY, AF_INET6)]
    );
}

#[test]
fn a_refused_single_walk_asks_each_family_on_its_own() {
    let (v4, v6) = (payloads(TCP4), payloads(TCP6));
    let first = cat(&[&msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, v4[0]), &done(0)]);
    let second = cat(&[&msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, v6[0]), &done(0)]);
    let mut conn = single_walk(&[&error(libc::EINVAL), &first, &second], 1 << 20);
    let got: Vec<Socket> = conn.dump(&Query::tcp()).collect::<Result<_>>().unwrap();
    assert_eq!(got, [socket(Table::Tcp, v4[0]), socket(Table::Tcp, v6[0])]);
    assert_eq!(
        sent(&conn),
        [
            (TCPDIAG_GETSOCK, 0),
            (SOCK_DIAG_BY_FAMILY, AF_INET),
            (SOCK_DIAG_BY_FAMILY, AF_INET6)
        ]
    );
}

#[test]
fn truncated_and_trailing_bytes() {
    let v4 = payloads(TCP4);
    let q = Query::tcp().family(Family::Inet);
    let one = msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, v4[0]);
    let two = msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, v4[1]);
    let decode_error = |r: &Result<Socket>| match r {
        Err(Error::Decode { request: r, error }) => {
            assert_eq!(*r, request(Table::Tcp, Family::Inet));
            error.what
        }
        other => panic!("{other:?}"),
    };
    // A message cut short (its length points past the datagram's end): one
    // error, the rest of that datagram is dropped, the next one is read.
    let cut = cat(&[&one, &two[..two.len() - 8]]);
    let mut conn = recorded(&[&cut, &cat(&[&two, &done(0)])]);
    let got: Vec<_> = conn.dump(&q).collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].as_ref().unwrap(), &socket(Table::Tcp, v4[0]));
    assert_eq!(decode_error(&got[1]), "nlmsg_len");
    assert_eq!(got[2].as_ref().unwrap(), &socket(Table::Tcp, v4[1]));
    // Trailing bytes shorter than a header.
    let trailing = cat(&[&one, &[1, 2, 3, 4, 5]]);
    let mut conn = recorded(&[&trailing, &done(0)]);
    let got: Vec<_> = conn.dump(&q).collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(decode_error(&got[1]), "nlmsghdr");
    // A framed message whose payload is too short for its struct: an error
    // for it, the next message of the same datagram still decodes.
    let short = cat(&[
        &msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, &v4[0][..40]),
        &two,
        &done(0),
    ]);
    let mut conn = recorded(&[&short]);
    let got: Vec<_> = conn.dump(&q).collect();
    assert_eq!(decode_error(&got[0]), "inet_diag_msg");
    assert_eq!(got[1].as_ref().unwrap(), &socket(Table::Tcp, v4[1]));
    assert_eq!(got.len(), 2);
    // Bytes after the message that ends the part are not read.
    let after = cat(&[&one, &done(0), &two]);
    let mut conn = recorded(&[&after]);
    let got: Vec<Socket> = conn.dump(&q).collect::<Result<_>>().unwrap();
    assert_eq!(got, [socket(Table::Tcp, v4[0])]);
}

#[test]
fn io_errors_end_the_dump() {
    let v4 = payloads(TCP4);
    let q = Query::tcp();
    // A datagram longer than the receive buffer (the kernel's MSG_TRUNC):
    // reported, never read as whole, and the dump ends (no IPv6 part).
    let mut huge = Vec::new();
    while huge.len() <= RECV_BUF_LEN {
        huge.extend(msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, v4[0]));
    }
    let mut conn = recorded(&[&huge, &done(0)]);
    let got: Vec<_> = conn.dump(&q).collect();
    assert!(
        matches!(&got[..], [Err(Error::Io { source, .. })] if source.to_string().contains("truncated")),
        "{got:?}"
    );
    // Replies that stop before the part's end.
    let open = msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, v4[0]);
    let mut conn = recorded(&[&open]);
    let got: Vec<_> = conn.dump(&q).collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].is_ok());
    assert!(
        matches!(&got[1], Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::UnexpectedEof)
    );
}

#[test]
fn dropping_a_dump_early_drains_its_part() {
    let mut both: Vec<&[u8]> = TCP4.to_vec();
    both.extend_from_slice(TCP4);
    let mut conn = recorded(&both);
    let q = Query::tcp().family(Family::Inet);
    let first = conn.dump(&q).next().unwrap().unwrap();
    let all: Vec<Socket> = conn.dump(&q).collect::<Result<_>>().unwrap();
    assert_eq!(all, sockets(Table::Tcp, TCP4));
    assert_eq!(first, all[0]);
    // Nothing is left for a third dump.
    let got: Vec<_> = conn.dump(&q).collect();
    assert!(matches!(got[..], [Err(Error::Io { .. })]), "{got:?}");
}

#[test]
fn shared_parts_are_selected_here_by_state() {
    // The unix fixture has listeners and connected sockets; ask for
    // listeners only. (The kernel would filter states itself; a recorded
    // reply is filtered again here for unix, packet and netlink parts.)
    let q = Query::unix().states(crate::model::States::LISTEN);
    let mut conn = recorded(UNIX);
    let got: Vec<Socket> = conn.dump(&q).collect::<Result<_>>().unwrap();
    let want: Vec<Socket> = sockets(Table::UnixStream, UNIX)
        .into_iter()
        .filter(|s| s.state == crate::model::State::Listen)
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

#[test]
fn raw_dump_never_hands_out_a_cut_datagram() {
    let v4 = payloads(TCP4);
    let q = Query::tcp().family(Family::Inet);
    // A datagram longer than the receive buffer (the kernel's MSG_TRUNC):
    // an I/O error, and the sink gets nothing of it.
    let mut huge = Vec::new();
    while huge.len() <= RECV_BUF_LEN {
        huge.extend(msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, v4[0]));
    }
    let mut conn = recorded(&[&huge, &done(0)]);
    let mut handed = Vec::new();
    let got = conn.raw_dump(&q, |_, d| {
        handed.push(d.len());
        Ok(())
    });
    assert!(
        matches!(&got, Err(Error::Io { source, .. }) if source.to_string().contains("truncated")),
        "{got:?}"
    );
    assert_eq!(handed, [0usize; 0]);
    // Whole datagrams are handed out as received, up to the part's end.
    let whole = msg(SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, v4[0]);
    let mut conn = recorded(&[&whole, &done(0)]);
    let mut handed = Vec::new();
    conn.raw_dump(&q, |_, d| {
        handed.push(d.to_vec());
        Ok(())
    })
    .unwrap();
    assert_eq!(handed, [whole, done(0)]);
}
