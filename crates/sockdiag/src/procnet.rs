//! The `/proc/net` text tables: the fallback when a diag module is missing.
//!
//! Pure parsing of one line at a time into a [`Socket`], and [`ProcRows`],
//! the one loop over a table's lines (a dump's fallback, `rss bench`).
//! These tables carry less than netlink: no backlog for listeners, no peer
//! inode for unix sockets, no extensions. Timer expiries are in clock ticks
//! (`USER_HZ` = 100).
#![deny(unsafe_code)]

use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::*;
use crate::netns::NetNs;

/// The file (relative to `/proc/thread-self/net`) holding a table.
pub(crate) fn file_name(table: Table, family: Family) -> Option<&'static str> {
    let v6 = family == Family::Inet6;
    Some(match table {
        Table::Tcp => ["tcp", "tcp6"][v6 as usize],
        Table::Udp => ["udp", "udp6"][v6 as usize],
        Table::Raw => ["raw", "raw6"][v6 as usize],
        Table::UnixStream | Table::UnixDgram | Table::UnixSeqpacket => "unix",
        Table::PacketRaw | Table::PacketDgram => "packet",
        Table::Netlink => "netlink",
        Table::Mptcp => return None,
    })
}

/// `USER_HZ`: the unit of `/proc/net/tcp`'s timer column.
const USER_HZ: u64 = 100;

fn hex_u32(s: &str) -> Result<u32, String> {
    u32::from_str_radix(s, 16).map_err(|_| format!("bad hex number {s:?}"))
}

fn dec<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("bad number {s:?}"))
}

/// Parses `ADDR:PORT` as printed by `/proc/net/{tcp,udp,raw}{,6}`: the address
/// words are the kernel's network-order words printed as host-order `%08X`.
fn inet_endpoint(s: &str, family: Family) -> Result<Endpoint, String> {
    let (a, p) = s
        .split_once(':')
        .ok_or_else(|| format!("bad address {s:?}"))?;
    let port = u16::from_str_radix(p, 16).map_err(|_| format!("bad port {p:?}"))?;
    let addr = match (family, a.len()) {
        (Family::Inet, 8) => IpAddr::V4(Ipv4Addr::from(hex_u32(a)?.to_ne_bytes())),
        (Family::Inet6, 32) => {
            let mut b = [0u8; 16];
            for i in 0..4 {
                let w = hex_u32(a.get(i * 8..i * 8 + 8).unwrap_or(""))?;
                b[i * 4..i * 4 + 4].copy_from_slice(&w.to_ne_bytes());
            }
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => return Err(format!("bad address {a:?}")),
    };
    Ok(Endpoint::Inet { addr, port })
}

/// Parses one line of `/proc/net/{tcp,udp,raw}{,6}`; `Ok(None)` for the header.
pub(crate) fn parse_inet(
    table: Table,
    family: Family,
    line: &str,
) -> Result<Option<Socket>, String> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.first().is_some_and(|w| *w == "sl") {
        return Ok(None);
    }
    if f.len() < 10 {
        return Err(format!("expected at least 10 fields, found {}", f.len()));
    }
    let state = u8::from_str_radix(f[3], 16).map_err(|_| format!("bad state {:?}", f[3]))?;
    let mut s = Socket::new(table, family, State::from_kernel(state));
    s.local = inet_endpoint(f[1], family)?;
    s.peer = inet_endpoint(f[2], family)?;
    let (tx, rx) = f[4].split_once(':').ok_or("bad queue field")?;
    s.send_q = hex_u32(tx)?;
    s.recv_q = hex_u32(rx)?;
    let (tr, when) = f[5].split_once(':').ok_or("bad timer field")?;
    let tr = u8::from_str_radix(tr, 16).map_err(|_| format!("bad timer {tr:?}"))?;
    // /proc/net/tcp numbers timers as inet_diag does (1 retransmit, 2 keepalive,
    // 3 TIME-WAIT, 4 zero-window probe), with 0 for none.
    if let Some(kind) = TimerKind::from_kernel(tr) {
        let ticks = hex_u32(when)? as u64;
        let retransmits = u8::try_from(hex_u32(f[6])?).unwrap_or(u8::MAX);
        let ms = u32::try_from(ticks * 1000 / USER_HZ).unwrap_or(u32::MAX);
        s.timer = Some(Timer::new(kind, ms, retransmits));
    }
    s.uid = Some(dec(f[7])?);
    s.inode = dec(f[9])?;
    Ok(Some(s))
}

/// `__SO_ACCEPTCON` in `/proc/net/unix`'s Flags column: a listening socket.
const SO_ACCEPTCON: u32 = 1 << 16;
/// `SS_CONNECTED` in the St column.
const SS_CONNECTED: u8 = 3;

/// Parses one line of `/proc/net/unix`; `Ok(None)` for the header.
pub(crate) fn parse_unix(line: &str) -> Result<Option<Socket>, String> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.first().is_some_and(|w| *w == "Num") {
        return Ok(None);
    }
    if f.len() < 7 {
        return Err(format!("expected at least 7 fields, found {}", f.len()));
    }
    let flags = hex_u32(f[3])?;
    let ty = u8::from_str_radix(f[4], 16).map_err(|_| format!("bad type {:?}", f[4]))?;
    let st = u8::from_str_radix(f[5], 16).map_err(|_| format!("bad state {:?}", f[5]))?;
    let Some(table) = crate::unix::table(ty) else {
        return Ok(None);
    };
    // The St column is the socket's `SS_*` state; read it as ss does:
    // SS_UNCONNECTED, SS_CONNECTING, SS_CONNECTED, SS_DISCONNECTING map to
    // UNCONN, SYN-SENT, ESTAB, CLOSING, a listener flag wins, and ss shows
    // every datagram socket as ESTAB (the table cannot tell them apart).
    let state = if flags & SO_ACCEPTCON != 0 {
        State::Listen
    } else {
        match st {
            SS_CONNECTED => State::Established,
            2 => State::SynSent,
            4 => State::Closing,
            _ if table == Table::UnixDgram => State::Established,
            _ => State::Close,
        }
    };
    let mut s = Socket::new(table, Family::Unix, state);
    let inode: u64 = dec(f[6])?;
    s.inode = inode;
    // The path is the rest of the line from its eighth column (it may
    // contain spaces; the inode before it is padded to five characters);
    // abstract names are printed with '@' for the leading NUL.
    let name = match nth_field_start(line, 7) {
        None => UnixName::UNNAMED,
        Some(idx) => {
            let raw = line[idx..].trim_end_matches('\n');
            match raw.strip_prefix('@') {
                Some(a) => UnixName::new_abstract(a.as_bytes()),
                None => UnixName::new_path(raw.as_bytes()),
            }
        }
    };
    s.local = Endpoint::Unix { name, inode };
    s.peer = Endpoint::Unix {
        name: UnixName::UNNAMED,
        inode: 0,
    };
    Ok(Some(s))
}

/// Byte offset where the `n`th (0-based) whitespace-separated field starts.
fn nth_field_start(line: &str, n: usize) -> Option<usize> {
    let mut count = 0;
    let mut in_field = false;
    for (i, c) in line.char_indices() {
        if c.is_whitespace() {
            in_field = false;
        } else if !in_field {
            if count == n {
                return Some(i);
            }
            count += 1;
            in_field = true;
        }
    }
    None
}

/// Parses one line of `/proc/net/packet`; `Ok(None)` for the header.
pub(crate) fn parse_packet(line: &str) -> Result<Option<Socket>, String> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.first().is_some_and(|w| *w == "sk") {
        return Ok(None);
    }
    if f.len() < 9 {
        return Err(format!("expected 9 fields, found {}", f.len()));
    }
    let table = match dec::<u8>(f[2])? {
        crate::consts::SOCK_RAW => Table::PacketRaw,
        crate::consts::SOCK_DGRAM => Table::PacketDgram,
        _ => return Ok(None),
    };
    let mut s = Socket::new(table, Family::Packet, State::Close);
    let protocol = u16::from_str_radix(f[3], 16).map_err(|_| format!("bad protocol {:?}", f[3]))?;
    s.local = Endpoint::Packet {
        protocol,
        ifindex: dec(f[4])?,
    };
    s.recv_q = dec(f[6])?;
    s.uid = Some(dec(f[7])?);
    s.inode = dec(f[8])?;
    Ok(Some(s))
}

/// Parses one line of `/proc/net/netlink`; `Ok(None)` for the header.
pub(crate) fn parse_netlink(line: &str) -> Result<Option<Socket>, String> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.first().is_some_and(|w| *w == "sk") {
        return Ok(None);
    }
    if f.len() < 10 {
        return Err(format!("expected 10 fields, found {}", f.len()));
    }
    let protocol: u8 = dec(f[1])?;
    let mut s = Socket::new(Table::Netlink, Family::Netlink, State::Close);
    s.local = Endpoint::Netlink {
        protocol,
        portid: dec(f[2])?,
        group: 0,
    };
    s.peer = Endpoint::Netlink {
        protocol,
        portid: 0,
        group: 0,
    };
    s.recv_q = dec(f[4])?;
    s.send_q = dec(f[5])?;
    s.inode = dec(f[9])?;
    Ok(Some(s))
}

/// Parses a line of the file for `table`/`family`.
pub(crate) fn parse_line(
    table: Table,
    family: Family,
    line: &str,
) -> Result<Option<Socket>, String> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    match table {
        Table::Tcp | Table::Udp | Table::Raw | Table::Mptcp => parse_inet(table, family, line),
        Table::UnixStream | Table::UnixDgram | Table::UnixSeqpacket => parse_unix(line),
        Table::PacketRaw | Table::PacketDgram => parse_packet(line),
        Table::Netlink => parse_netlink(line),
    }
}

/// Bytes a [`ProcRows`] reads from its file at a time.
const READ_BUF_LEN: usize = 32 * 1024;

/// The rows of one `/proc/net` socket table, read one line at a time and
/// parsed by the line parsers above: yields each socket in file order. A line that
/// does not parse is an error and reading goes on; a read error is the
/// last item.
#[derive(Debug)]
pub struct ProcRows {
    reader: BufReader<File>,
    line: String,
    lineno: usize,
    bytes: u64,
    path: PathBuf,
    table: Table,
    family: Family,
    failed: bool,
}

impl ProcRows {
    /// Opens the file of `table` over `family` in the `/proc/net` of `ns`
    /// (the caller's namespace for `None`). A table `/proc/net` does not
    /// have (MPTCP) is a [`NotFound`](io::ErrorKind::NotFound) error, as a
    /// missing file is.
    pub fn open(table: Table, family: Family, ns: Option<&NetNs>) -> io::Result<ProcRows> {
        let Some(name) = file_name(table, family) else {
            return Err(io::ErrorKind::NotFound.into());
        };
        let file = match ns {
            None => crate::host::open_proc_net(name),
            Some(ns) => ns
                .run(|| crate::host::open_proc_net(name))
                .map_err(|e| io::Error::other(e.to_string()))?,
        }?;
        Ok(ProcRows {
            reader: BufReader::with_capacity(READ_BUF_LEN, file),
            line: String::new(),
            lineno: 0,
            bytes: 0,
            path: Path::new("/proc/net").join(name),
            table,
            family,
            failed: false,
        })
    }

    /// The file, as errors name it (`/proc/net/tcp`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Reads the file again from its start (procfs regenerates it).
    pub fn rewind(&mut self) -> Result<()> {
        self.reader
            .seek(SeekFrom::Start(0))
            .map_err(|source| Error::File {
                path: self.path.clone(),
                source,
            })?;
        (self.lineno, self.bytes, self.failed) = (0, 0, false);
        Ok(())
    }
}

impl Iterator for ProcRows {
    type Item = Result<Socket>;

    fn next(&mut self) -> Option<Result<Socket>> {
        while !self.failed {
            self.line.clear();
            let n = match self.reader.read_line(&mut self.line) {
                Ok(0) => return None,
                Ok(n) => n,
                Err(source) => {
                    self.failed = true;
                    return Some(Err(Error::File {
                        path: self.path.clone(),
                        source,
                    }));
                }
            };
            self.lineno += 1;
            self.bytes += n as u64;
            match parse_line(self.table, self.family, &self.line) {
                Ok(Some(s)) => return Some(Ok(s)),
                // The header line, or a row of another table.
                Ok(None) => {}
                Err(reason) => {
                    return Some(Err(Error::Proc {
                        path: self.path.clone(),
                        line: self.lineno,
                        reason,
                    }));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Lines captured on this machine (kernel 6.18) with `cat /proc/net/...`.
    #[test]
    fn tcp_listener_and_timewait() {
        let l = "   0: 0100007F:1388 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 41275 1 0000000000000000 100 0 0 10 0";
        let s = parse_inet(Table::Tcp, Family::Inet, l).unwrap().unwrap();
        assert_eq!(s.state, State::Listen);
        assert_eq!(
            s.local,
            Endpoint::Inet {
                addr: "127.0.0.1".parse().unwrap(),
                port: 5000
            }
        );
        assert_eq!((s.recv_q, s.send_q, s.inode, s.uid), (3, 0, 41275, Some(0)));
        assert!(s.timer.is_none());
        let tw = "   1: 0100007F:A2C4 0100007F:1388 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000";
        let s = parse_inet(Table::Tcp, Family::Inet, tw).unwrap().unwrap();
        assert_eq!(s.state, State::TimeWait);
        let t = s.timer.unwrap();
        assert_eq!(
            (t.kind, t.expires()),
            (TimerKind::TimeWait, std::time::Duration::from_secs(60))
        );
    }

    #[test]
    fn tcp6_words_are_host_order() {
        let l = "   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0";
        let s = parse_inet(Table::Tcp, Family::Inet6, l).unwrap().unwrap();
        assert_eq!(
            s.local,
            Endpoint::Inet {
                addr: "::1".parse().unwrap(),
                port: 22
            }
        );
    }

    #[test]
    fn unix_lines() {
        let hdr = "Num       RefCount Protocol Flags    Type St Inode Path";
        assert!(parse_unix(hdr).unwrap().is_none());
        let l = "0000000000000000: 00000002 00000000 00010000 0001 01 20462 /run/my sock";
        let s = parse_unix(l).unwrap().unwrap();
        assert_eq!(
            (s.netid, s.state, s.inode),
            (Table::UnixStream, State::Listen, 20462)
        );
        assert_eq!(
            s.local,
            Endpoint::Unix {
                name: UnixName::from_sun_path(b"/run/my sock"),
                inode: 20462
            }
        );
        let a = "0000000000000000: 00000003 00000000 00000000 0002 01 99 @abs";
        let s = parse_unix(a).unwrap().unwrap();
        assert_eq!((s.netid, s.state), (Table::UnixDgram, State::Established));
        assert_eq!(
            s.local,
            Endpoint::Unix {
                name: UnixName::from_sun_path(b"\0abs"),
                inode: 99
            }
        );
        let u = "0000000000000000: 00000003 00000000 00000000 0005 01 7";
        assert_eq!(
            parse_unix(u).unwrap().unwrap().local,
            Endpoint::Unix {
                name: UnixName::UNNAMED,
                inode: 7
            }
        );
    }

    #[test]
    fn garbage_is_an_error() {
        for l in [
            "x",
            "   0: zz:1 00000000:0000 0A 0:0 0:0 0 0 0 1",
            "0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 x",
        ] {
            assert!(parse_inet(Table::Tcp, Family::Inet, l).is_err(), "{l}");
        }
        assert!(parse_unix("0000: 1 2 zz 0001 01 5").is_err());
        assert!(parse_packet("a b c").is_err());
        assert!(parse_netlink("a b c").is_err());
    }

    fn v6(a: &str, port: u16) -> Endpoint {
        Endpoint::Inet {
            addr: a.parse().unwrap(),
            port,
        }
    }

    #[test]
    fn tcp_every_column() {
        // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
        let l = "   3: 0A01A8C0:01BB 0B01A8C0:D431 01 0000002A:00000007 01:000001F4 00000003  1000        0 77777 1 0000000000000000 20 4 30 10 -1";
        let s = parse_inet(Table::Tcp, Family::Inet, l).unwrap().unwrap();
        assert_eq!(
            (s.netid, s.family, s.state),
            (Table::Tcp, Family::Inet, State::Established)
        );
        assert_eq!(s.local, v6("192.168.1.10", 443));
        assert_eq!(s.peer, v6("192.168.1.11", 0xd431));
        assert_eq!(
            (s.send_q, s.recv_q, s.uid, s.inode),
            (42, 7, Some(1000), 77777)
        );
        // 0x1F4 = 500 ticks of 1/100 s; 3 retransmissions.
        assert_eq!(s.timer, Some(Timer::new(TimerKind::On, 5000, 3)));
        // Keepalive; more retransmissions than a u8 holds; ticks whose
        // milliseconds overflow a u32: both saturate.
        let l = "   3: 0A01A8C0:01BB 0B01A8C0:D431 01 00000000:00000000 02:FFFFFFFF 00000100  1000        0 77777";
        let s = parse_inet(Table::Tcp, Family::Inet, l).unwrap().unwrap();
        assert_eq!(
            s.timer,
            Some(Timer::new(TimerKind::Keepalive, u32::MAX, 255))
        );
        // A timer number with no kind (0) and a timer column that is not hex
        // past it: no timer, the column is not read.
        let l = "   3: 0A01A8C0:01BB 0B01A8C0:D431 07 00000000:00000000 00:zz 00000000 0 0 5";
        let s = parse_inet(Table::Udp, Family::Inet, l).unwrap().unwrap();
        assert_eq!((s.state, s.timer, s.inode), (State::Close, None, 5));
    }

    #[test]
    fn tcp6_every_word_in_place() {
        // 2001:db8:1:2:3:4:5:6 as four network-order words printed host-order.
        let l = "   0: B80D0120020001000400030006000500:0050 000080FE000000000000000001000000:1F90 01 00000000:00000000 00:00000000 00000000     0        0 9 1";
        let s = parse_inet(Table::Tcp, Family::Inet6, l).unwrap().unwrap();
        assert_eq!(s.local, v6("2001:db8:1:2:3:4:5:6", 80));
        assert_eq!(s.peer, v6("fe80::1", 8080));
        // An IPv4 address in a v6 table and the reverse are errors.
        let v4in6 =
            "   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 9";
        assert_eq!(
            parse_inet(Table::Tcp, Family::Inet6, v4in6).unwrap_err(),
            r#"bad address "0100007F""#
        );
        assert!(parse_inet(Table::Tcp, Family::Inet, l).is_err());
    }

    #[test]
    fn inet_errors_name_the_column() {
        let ok = "0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 9";
        assert!(parse_inet(Table::Tcp, Family::Inet, ok).unwrap().is_some());
        assert_eq!(
            parse_inet(Table::Tcp, Family::Inet, "  sl  local_address rem_address").unwrap(),
            None
        );
        let nine = "0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0";
        assert_eq!(
            parse_inet(Table::Tcp, Family::Inet, nine).unwrap_err(),
            "expected at least 10 fields, found 9"
        );
        for (line, err) in [
            (
                "0: 0100007F 00000000:0000 0A 0:0 00:0 0 0 0 9",
                r#"bad address "0100007F""#,
            ),
            (
                "0: 0100007F:zz 00000000:0000 0A 0:0 00:0 0 0 0 9",
                r#"bad port "zz""#,
            ),
            (
                "0: 0100007G:0050 00000000:0000 0A 0:0 00:0 0 0 0 9",
                r#"bad hex number "0100007G""#,
            ),
            (
                "0: 0100007F:0050 00000000:0000 0X 0:0 00:0 0 0 0 9",
                r#"bad state "0X""#,
            ),
            (
                "0: 0100007F:0050 00000000:0000 0A 00 00:0 0 0 0 9",
                "bad queue field",
            ),
            (
                "0: 0100007F:0050 00000000:0000 0A 0:0 000 0 0 0 9",
                "bad timer field",
            ),
            (
                "0: 0100007F:0050 00000000:0000 0A 0:0 0x:0 0 0 0 9",
                r#"bad timer "0x""#,
            ),
            (
                "0: 0100007F:0050 00000000:0000 0A 0:0 00:0 0 -1 0 9",
                r#"bad number "-1""#,
            ),
            (
                "0: 0100007F:0050 00000000:0000 0A 0:0 00:0 0 0 0 x9",
                r#"bad number "x9""#,
            ),
        ] {
            assert_eq!(
                parse_inet(Table::Tcp, Family::Inet, line).unwrap_err(),
                err,
                "{line}"
            );
        }
    }

    #[test]
    fn unix_states_flags_and_names() {
        let line = |flags: &str, ty: &str, st: &str| {
            format!("0000000000000000: 00000002 00000000 {flags} {ty} {st} 31")
        };
        let state = |flags, ty, st| {
            parse_unix(&line(flags, ty, st))
                .unwrap()
                .map(|s| (s.netid, s.state))
        };
        use State::*;
        use Table::*;
        assert_eq!(state("00000000", "0001", "01"), Some((UnixStream, Close)));
        assert_eq!(state("00000000", "0001", "02"), Some((UnixStream, SynSent)));
        assert_eq!(
            state("00000000", "0001", "03"),
            Some((UnixStream, Established))
        );
        assert_eq!(
            state("00000000", "0005", "04"),
            Some((UnixSeqpacket, Closing))
        );
        assert_eq!(
            state("00000000", "0005", "01"),
            Some((UnixSeqpacket, Close))
        );
        assert_eq!(
            state("00000000", "0002", "01"),
            Some((UnixDgram, Established))
        );
        assert_eq!(state("00000000", "0002", "02"), Some((UnixDgram, SynSent)));
        // The listener flag wins over the St column; other flag bits do not.
        assert_eq!(state("00010000", "0001", "03"), Some((UnixStream, Listen)));
        assert_eq!(
            state("00030000", "0005", "01"),
            Some((UnixSeqpacket, Listen))
        );
        assert_eq!(state("FFFEFFFF", "0001", "01"), Some((UnixStream, Close)));
        // A type ss does not list.
        assert_eq!(state("00000000", "0003", "01"), None);
        // Exactly seven columns: no name; six are too few.
        let s = parse_unix(&line("00000000", "0001", "01"))
            .unwrap()
            .unwrap();
        assert_eq!(
            s.local,
            Endpoint::Unix {
                name: UnixName::UNNAMED,
                inode: 31
            }
        );
        assert_eq!(
            s.peer,
            Endpoint::Unix {
                name: UnixName::UNNAMED,
                inode: 0
            }
        );
        assert_eq!(
            parse_unix("0000000000000000: 00000002 00000000 00000000 0001 01").unwrap_err(),
            "expected at least 7 fields, found 6"
        );
        for (l, err) in [
            ("0: 2 0 zz 0001 01 5", r#"bad hex number "zz""#),
            ("0: 2 0 0 00x1 01 5", r#"bad type "00x1""#),
            ("0: 2 0 0 0001 0y 5", r#"bad state "0y""#),
            ("0: 2 0 0 0001 01 -5", r#"bad number "-5""#),
        ] {
            assert_eq!(parse_unix(l).unwrap_err(), err, "{l}");
        }
        // The path is the rest of the line, inner blanks kept, the newline
        // dropped. The kernel prints the inode as `%5lu`: below 10000 it is
        // padded with blanks, and the path is still the eighth column.
        let s =
            parse_unix("0000000000000000: 00000002 00000000 00010000 0001 01   334 /run/a  b c\n")
                .unwrap()
                .unwrap();
        assert_eq!(
            s.local,
            Endpoint::Unix {
                name: UnixName::new_path(b"/run/a  b c"),
                inode: 334
            }
        );
        let s = parse_unix("0000000000000000: 00000002 00000000 00000000 0002 01     7 @n\n")
            .unwrap()
            .unwrap();
        assert_eq!(
            s.local,
            Endpoint::Unix {
                name: UnixName::new_abstract(b"n"),
                inode: 7
            }
        );
        let s = parse_unix("0000000000000000: 00000002 00000000 00000000 0001 01   334\n")
            .unwrap()
            .unwrap();
        assert_eq!(
            s.local,
            Endpoint::Unix {
                name: UnixName::UNNAMED,
                inode: 334
            }
        );
        let s = parse_unix(" 0: 2 0 0 0001 01 31 @x y").unwrap().unwrap();
        assert_eq!(
            s.local,
            Endpoint::Unix {
                name: UnixName::new_abstract(b"x y"),
                inode: 31
            }
        );
        assert_eq!(nth_field_start("  ab cd\t ef ", 0), Some(2));
        assert_eq!(nth_field_start("  ab cd\t ef ", 1), Some(5));
        assert_eq!(nth_field_start("  ab cd\t ef ", 2), Some(9));
        assert_eq!(nth_field_start("  ab cd\t ef ", 3), None);
        assert_eq!(nth_field_start("é b", 1), Some(3));
    }

    #[test]
    fn packet_lines() {
        let hdr = "sk               RefCnt Type Proto  Iface R Rmem   User   Inode";
        assert_eq!(parse_packet(hdr).unwrap(), None);
        let l = "ffff8c3a4e0f0000 3      3    0003   0     1 0      0      12345";
        let s = parse_packet(l).unwrap().unwrap();
        assert_eq!(
            (s.netid, s.family, s.state),
            (Table::PacketRaw, Family::Packet, State::Close)
        );
        assert_eq!(
            s.local,
            Endpoint::Packet {
                protocol: 3,
                ifindex: 0
            }
        );
        let l = "ffff8c3a4e0f0800 3      2    0800   2     1 1280   1000   54321";
        let s = parse_packet(l).unwrap().unwrap();
        assert_eq!(s.netid, Table::PacketDgram);
        assert_eq!(
            s.local,
            Endpoint::Packet {
                protocol: 0x800,
                ifindex: 2
            }
        );
        assert_eq!((s.recv_q, s.uid, s.inode), (1280, Some(1000), 54321));
        // Another socket type; too few columns; a protocol that is not hex.
        assert_eq!(parse_packet("ffff 3 5 0003 0 1 0 0 1").unwrap(), None);
        assert_eq!(
            parse_packet("ffff 3 3 0003 0 1 0 0").unwrap_err(),
            "expected 9 fields, found 8"
        );
        assert_eq!(
            parse_packet("ffff 3 3 00g3 0 1 0 0 1").unwrap_err(),
            r#"bad protocol "00g3""#
        );
    }

    #[test]
    fn netlink_lines() {
        let hdr = "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode";
        assert_eq!(parse_netlink(hdr).unwrap(), None);
        let l = "ffff8c3a41a3c800 4   1234       00000001 100      200      0     2        0        5555";
        let s = parse_netlink(l).unwrap().unwrap();
        assert_eq!(
            (s.netid, s.family, s.state),
            (Table::Netlink, Family::Netlink, State::Close)
        );
        assert_eq!(
            s.local,
            Endpoint::Netlink {
                protocol: 4,
                portid: 1234,
                group: 0
            }
        );
        assert_eq!(
            s.peer,
            Endpoint::Netlink {
                protocol: 4,
                portid: 0,
                group: 0
            }
        );
        assert_eq!((s.recv_q, s.send_q, s.inode), (100, 200, 5555));
        assert_eq!(
            parse_netlink("ffff 4 1 0 0 0 0 2 0").unwrap_err(),
            "expected 10 fields, found 9"
        );
    }

    #[test]
    fn lines_go_to_their_table_parser() {
        let tcp = "0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 9";
        let unix = "0000000000000000: 00000002 00000000 00000000 0002 01 31";
        let packet = "ffff 3 3 0003 0 1 0 0 1";
        let netlink = "ffff 4 1 0 0 0 0 2 0 1";
        let table = |t: Table, f: Family, l: &str| parse_line(t, f, l).unwrap().map(|s| s.netid);
        assert_eq!(table(Table::Raw, Family::Inet, tcp), Some(Table::Raw));
        assert_eq!(table(Table::Udp, Family::Inet, tcp), Some(Table::Udp));
        assert_eq!(
            table(Table::UnixStream, Family::Unix, unix),
            Some(Table::UnixDgram)
        );
        assert_eq!(
            table(Table::PacketDgram, Family::Packet, packet),
            Some(Table::PacketRaw)
        );
        assert_eq!(
            table(Table::Netlink, Family::Netlink, netlink),
            Some(Table::Netlink)
        );
        for blank in ["", "\n", " \t \n"] {
            assert_eq!(parse_line(Table::Tcp, Family::Inet, blank), Ok(None));
        }
        assert_eq!(file_name(Table::Raw, Family::Inet6), Some("raw6"));
        assert_eq!(file_name(Table::Mptcp, Family::Inet), None);
    }

    /// A `ProcRows` over a file of this test's own making.
    fn rows_of(table: Table, family: Family, text: &str) -> (ProcRows, PathBuf) {
        let path = std::env::temp_dir().join(format!(
            "sockdiag-procnet-{}-{:?}-{}",
            std::process::id(),
            table,
            text.len()
        ));
        std::fs::write(&path, text).unwrap();
        let rows = ProcRows {
            reader: BufReader::with_capacity(READ_BUF_LEN, File::open(&path).unwrap()),
            line: String::new(),
            lineno: 0,
            bytes: 0,
            path: Path::new("/proc/net").join("tcp"),
            table,
            family,
            failed: false,
        };
        (rows, path)
    }

    #[test]
    fn rows_in_file_order_with_line_numbers() {
        let text = "  sl  local_address\n\
            0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 9\n\
            1: garbage\n\
            \n\
            2: 0100007F:0051 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 10\n";
        let (mut rows, tmp) = rows_of(Table::Tcp, Family::Inet, text);
        assert_eq!(rows.path(), Path::new("/proc/net/tcp"));
        assert_eq!(rows.next().unwrap().unwrap().inode, 9);
        let first_two = text
            .split_inclusive('\n')
            .take(2)
            .map(str::len)
            .sum::<usize>();
        assert_eq!(rows.bytes(), first_two as u64);
        match rows.next().unwrap() {
            Err(Error::Proc { path, line, reason }) => {
                assert_eq!((path.as_path(), line), (Path::new("/proc/net/tcp"), 3));
                assert_eq!(reason, "expected at least 10 fields, found 2");
            }
            other => panic!("{other:?}"),
        }
        // Reading goes on after a bad line; the blank one is passed over.
        assert_eq!(rows.next().unwrap().unwrap().inode, 10);
        assert!(rows.next().is_none());
        assert_eq!(rows.bytes(), text.len() as u64);
        // From the start again.
        rows.rewind().unwrap();
        assert_eq!(rows.bytes(), 0);
        assert_eq!(rows.next().unwrap().unwrap().inode, 9);
        assert!(matches!(
            rows.next(),
            Some(Err(Error::Proc { line: 3, .. }))
        ));
        std::fs::remove_file(tmp).unwrap();
    }

    #[test]
    fn a_read_error_is_the_last_item() {
        // A directory opens, and every read of it fails (EISDIR).
        let mut rows = rows_of(Table::Tcp, Family::Inet, "").0;
        rows.reader = BufReader::new(File::open(std::env::temp_dir()).unwrap());
        match rows.next() {
            Some(Err(Error::File { path, source })) => {
                assert_eq!(path, Path::new("/proc/net/tcp"));
                assert_eq!(source.raw_os_error(), Some(libc::EISDIR));
            }
            other => panic!("{other:?}"),
        }
        assert!(rows.next().is_none());
        assert!(rows.next().is_none());
        // A rewind clears the failure (and fails the same way again).
        rows.rewind().unwrap();
        assert!(matches!(rows.next(), Some(Err(Error::File { .. }))));
    }

    #[test]
    fn open_reads_the_namespace_table() {
        testkit::require_privileged!();
        assert_eq!(
            ProcRows::open(Table::Mptcp, Family::Inet, None)
                .unwrap_err()
                .kind(),
            io::ErrorKind::NotFound
        );
        let ns = testkit::NetNs::new().unwrap();
        let netns = NetNs::from_path(ns.path()).unwrap();
        let (_l, port) = ns.run(|| {
            let l = testkit::listener("127.0.0.1:0".parse().unwrap(), 5, None).unwrap();
            let port = testkit::local_port(&l).unwrap();
            (l, port)
        });
        // The thread's own /proc/net: /proc/net follows the thread group
        // leader, which stays in the test harness's namespace.
        let file = ns
            .run(|| std::fs::read_to_string(Path::new(crate::host::PROC_NET).join("tcp")).unwrap());
        let mut rows = ProcRows::open(Table::Tcp, Family::Inet, Some(&netns)).unwrap();
        assert_eq!(rows.path(), Path::new("/proc/net/tcp"));
        let socks: Vec<Socket> = rows.by_ref().map(Result::unwrap).collect();
        assert_eq!(socks.len(), 1, "{socks:?}");
        assert_eq!(socks[0].state, State::Listen);
        assert_eq!(socks[0].local, v6("127.0.0.1", port));
        assert_eq!(file.lines().count(), 2, "{file}"); // the header and the listener
        assert_eq!(rows.bytes(), file.len() as u64);
        // The v6 table of the namespace has nothing.
        assert_eq!(
            ProcRows::open(Table::Tcp, Family::Inet6, Some(&netns))
                .unwrap()
                .count(),
            0
        );
    }
}
