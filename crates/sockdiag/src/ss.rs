//! `ss`'s spellings, in one place: the State column's labels, the text of
//! a socket's local and peer ends as `ss -n` prints them, a process's
//! command name as `ss -p` prints it (escaped, safe for a terminal), and
//! how `ss` splits filter text into words and reads a `-F` filter file.
//!
//! Everything here is numeric and does no I/O: service and host names
//! (`ss` without `-n`, or with `-r`) are the caller's business, and so are
//! interface names, which [`Address::of`] asks the caller for.
//!
//! ```
//! use sockdiag::{Endpoint, Family, Socket, State, Table};
//! use sockdiag::ss::{self, Side};
//! // A dual-stack IPv6 listener on port 80 (`IPV6_V6ONLY` off).
//! let mut s = Socket::new(Table::Tcp, Family::Inet6, State::Listen);
//! s.local = Endpoint::Inet { addr: "::".parse().unwrap(), port: 80 };
//! s.peer = Endpoint::Inet { addr: "::".parse().unwrap(), port: 0 };
//! s.v6only = Some(false);
//! assert_eq!(ss::state_label(s.state), "LISTEN");
//! assert_eq!(ss::local(&s).to_string(), "*:80");
//! assert_eq!(ss::peer(&s).to_string(), "*:*");
//! // The same socket with IPV6_V6ONLY set.
//! s.v6only = Some(true);
//! assert_eq!(ss::local(&s).to_string(), "[::]:80");
//! assert_eq!(ss::peer(&s).to_string(), "[::]:*");
//! ```
//!
//! Filter text, as the shell hands it over:
//!
//! ```
//! use sockdiag::filter::Filter;
//! use sockdiag::ss::split_words;
//! // `ss dport = :22 or dport = :443`.
//! let argv = ["dport", "=", ":22", "or", "dport = :443"];
//! let words: Vec<String> = argv.iter().flat_map(|a| split_words(a)).collect();
//! assert_eq!(words.len(), 7);
//! assert!(Filter::parse(&words)?.is_some());
//! # Ok::<(), sockdiag::filter::FilterError>(())
//! ```
#![deny(unsafe_code)]

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::{Endpoint, Family, Socket, State, Table, UnixName, UnixNameRef};

/// The label `ss` prints in its State column (`sstate_name`): `ESTAB`,
/// `SYN-SENT`, `UNCONN`, ... Request sockets (`NewSynRecv`) print as
/// `SYN-RECV`, TCP bound-inactive ones as `UNCONN`, numbers this library
/// does not know as `UNKNOWN`. [`socket_state_label`] adds what `ss` prints
/// for sockets without states.
///
/// ```
/// use sockdiag::State;
/// use sockdiag::ss::state_label;
/// assert_eq!(state_label(State::Established), "ESTAB");
/// assert_eq!(state_label(State::Close), "UNCONN");
/// assert_eq!(state_label(State::NewSynRecv), "SYN-RECV");
/// ```
pub fn state_label(s: State) -> &'static str {
    match s {
        State::Established => "ESTAB",
        State::SynSent => "SYN-SENT",
        State::SynRecv | State::NewSynRecv => "SYN-RECV",
        State::FinWait1 => "FIN-WAIT-1",
        State::FinWait2 => "FIN-WAIT-2",
        State::TimeWait => "TIME-WAIT",
        State::Close | State::BoundInactive => "UNCONN",
        State::CloseWait => "CLOSE-WAIT",
        State::LastAck => "LAST-ACK",
        State::Listen => "LISTEN",
        State::Closing => "CLOSING",
        State::Other(_) => "UNKNOWN",
    }
}

/// The Netid column of a table, as `ss` spells it: `tcp`, `udp`, `raw`,
/// `mptcp`, `u_str`, `u_dgr`, `u_seq`, `p_raw`, `p_dgr`, `nl`.
///
/// ```
/// use sockdiag::Table;
/// assert_eq!(sockdiag::ss::netid_label(Table::UnixStream), "u_str");
/// assert_eq!(sockdiag::ss::netid_label(Table::Netlink), "nl");
/// ```
pub fn netid_label(t: Table) -> &'static str {
    match t {
        Table::Tcp => "tcp",
        Table::Udp => "udp",
        Table::Raw => "raw",
        Table::Mptcp => "mptcp",
        Table::UnixStream => "u_str",
        Table::UnixDgram => "u_dgr",
        Table::UnixSeqpacket => "u_seq",
        Table::PacketRaw => "p_raw",
        Table::PacketDgram => "p_dgr",
        Table::Netlink => "nl",
    }
}

/// The State column of `s`: [`state_label`], except that packet and
/// netlink sockets, which have no state, print as `UNCONN`.
///
/// ```
/// use sockdiag::{Family, Socket, State, Table};
/// use sockdiag::ss::socket_state_label;
/// let s = Socket::new(Table::Netlink, Family::Netlink, State::Established);
/// assert_eq!(socket_state_label(&s), "UNCONN");
/// ```
pub fn socket_state_label(s: &Socket) -> &'static str {
    if matches!(s.family, Family::Packet | Family::Netlink) {
        "UNCONN"
    } else {
        state_label(s.state)
    }
}

/// Which end of a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The Local Address:Port column.
    Local,
    /// The Peer Address:Port column.
    Peer,
}

/// An IP address as `ss -n` prints it in an address column
/// (`inet_addr_print`): IPv4 dotted, IPv6 as glibc's `inet_ntop` writes it
/// in brackets, and the IPv6 wildcard `::` as `*` unless the socket is
/// `IPV6_V6ONLY`. Build it with [`inet_host`].
///
/// ```
/// use sockdiag::ss::inet_host;
/// assert_eq!(inet_host("10.0.0.1".parse().unwrap(), false).to_string(), "10.0.0.1");
/// assert_eq!(inet_host("::1".parse().unwrap(), false).to_string(), "[::1]");
/// assert_eq!(inet_host("::".parse().unwrap(), false).to_string(), "*");
/// assert_eq!(inet_host("::".parse().unwrap(), true).to_string(), "[::]");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InetHost {
    addr: IpAddr,
    v6only: bool,
}

/// The host text of `addr` on a socket whose `IPV6_V6ONLY` is `v6only`
/// (ignored for IPv4).
pub fn inet_host(addr: IpAddr, v6only: bool) -> InetHost {
    InetHost { addr, v6only }
}

impl fmt::Display for InetHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addr {
            IpAddr::V4(a) => fmt::Display::fmt(&a, f),
            IpAddr::V6(_) if self.is_star() => f.write_str("*"),
            IpAddr::V6(a) => write!(f, "[{}]", ipv6_text(&a)),
        }
    }
}

/// glibc's `inet_ntop(AF_INET6, ...)`, which `ss` prints: the longest run
/// (the first on a tie) of two or more zero groups becomes `::`, and
/// `::a.b.c.d` and `::ffff:a.b.c.d` end in a dotted quad.
///
/// ```
/// use sockdiag::ss::ipv6_text;
/// assert_eq!(ipv6_text(&"::ffff:127.0.0.1".parse().unwrap()), "::ffff:127.0.0.1");
/// assert_eq!(ipv6_text(&"::1.2.3.4".parse().unwrap()), "::1.2.3.4");
/// assert_eq!(ipv6_text(&"fe80::1".parse().unwrap()), "fe80::1");
/// ```
pub fn ipv6_text(addr: &Ipv6Addr) -> String {
    let w = addr.segments();
    // The longest run of zero groups: (start, length); length 0 for none.
    let (mut best, mut cur) = ((0usize, 0usize), (0usize, 0usize));
    for (i, &word) in w.iter().enumerate() {
        if word == 0 {
            if cur.1 == 0 {
                cur.0 = i;
            }
            cur.1 += 1;
            if cur.1 > best.1 {
                best = cur;
            }
        } else {
            cur.1 = 0;
        }
    }
    if best.1 < 2 {
        best = (0, 0);
    }
    let in_run = |i: usize| best.1 != 0 && i >= best.0 && i < best.0 + best.1;
    let mut s = String::with_capacity(40);
    let mut i = 0usize;
    while i < 8 {
        if in_run(i) {
            if i == best.0 {
                s.push(':');
            }
            i += 1;
            continue;
        }
        if i != 0 {
            s.push(':');
        }
        if i == 6 && best.1 != 0 && best.0 == 0 && (best.1 == 6 || (best.1 == 5 && w[5] == 0xffff))
        {
            let o = addr.octets();
            s.push_str(&Ipv4Addr::new(o[12], o[13], o[14], o[15]).to_string());
            return s;
        }
        s.push_str(&format!("{:x}", w[i]));
        i += 1;
    }
    if best.1 != 0 && best.0 + best.1 == 8 {
        s.push(':');
    }
    s
}

/// A port as `ss -n` prints it: `*` for 0, else the number.
///
/// ```
/// use sockdiag::ss::port_text;
/// assert_eq!(port_text(0), "*");
/// assert_eq!(port_text(443), "443");
/// ```
pub fn port_text(port: u16) -> String {
    if port == 0 {
        "*".into()
    } else {
        port.to_string()
    }
}

/// Appends a unix socket's name as `ss` prints it: `*` when unnamed, a
/// path up to its first NUL, or `@` and the abstract name with every NUL
/// turned into `@`. The bytes are the kernel's, not necessarily UTF-8.
///
/// ```
/// use sockdiag::UnixName;
/// use sockdiag::ss::push_unix_name;
/// let mut out = Vec::new();
/// push_unix_name(&mut out, UnixName::new_abstract(b"a\0b").view());
/// assert_eq!(out, b"@a@b");
/// ```
pub fn push_unix_name(out: &mut Vec<u8>, name: UnixNameRef<'_>) {
    match name {
        UnixNameRef::Unnamed => out.push(b'*'),
        UnixNameRef::Path(p) => out.extend(p.iter().take_while(|&&b| b != 0)),
        UnixNameRef::Abstract(n) => {
            out.push(b'@');
            out.extend(n.iter().map(|&b| if b == 0 { b'@' } else { b }));
        }
    }
}

fn unix_name_text(name: UnixNameRef<'_>) -> String {
    let mut b = Vec::new();
    push_unix_name(&mut b, name);
    String::from_utf8_lossy(&b).into_owned()
}

/// One end of a socket as `ss -n` prints it in its Address:Port columns:
/// the host part, the interface it is scoped to, the separator and the
/// port part. `Display` writes them in that order, the interface after a
/// `%`: `127.0.0.1%lo:22`, `*:80`, `/run/a.sock 1234`, `* 0`, `*`.
///
/// | socket | local | peer |
/// |---|---|---|
/// | inet | `HOST:PORT`, `HOST%IFACE:PORT` when bound to a device | `HOST:PORT` |
/// | inet host | `10.0.0.1`, `[::1]`; `::` is `*` unless `IPV6_V6ONLY` (`[::]`) | same |
/// | inet port | the number; `*` for 0 (a listener's peer: `0.0.0.0:*`) | same |
/// | unix | `NAME INODE` (`*`, a path, `@` abstract) | `* PEER-INODE` |
/// | packet | `*:IFACE` for all protocols, else `[PROTOCOL]:IFACE`; `*` for all interfaces | `*` |
/// | netlink | `PROTOCOL:PORTID` (`*` for -1) | `GROUP:PORTID` when connected, else `*` |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// `10.0.0.1`, `[::1]`, `*`, a unix name, a packet or netlink protocol.
    pub host: String,
    /// The interface name printed after the host (`%lo`), if any.
    pub interface: Option<String>,
    /// `:` (inet, packet, netlink), ` ` (unix), or empty for a lone `*`.
    pub separator: &'static str,
    /// The port, inode, interface or port id; empty for a lone `*`.
    pub port: String,
}

impl Address {
    /// The `side` end of `s`; `ifname` names an interface index (`ss`
    /// prints `ifN` for an index without a name, as [`local`] and [`peer`]
    /// do).
    pub fn of(s: &Socket, side: Side, ifname: &mut dyn FnMut(u32) -> String) -> Address {
        let lone_star = || Address {
            host: "*".into(),
            interface: None,
            separator: "",
            port: String::new(),
        };
        match (s.family, side) {
            (Family::Inet | Family::Inet6, _) => {
                let e = inet_end(s, side);
                Address {
                    host: e.host.to_string(),
                    interface: (e.interface != 0).then(|| ifname(e.interface)),
                    separator: ":",
                    port: port_text(e.port),
                }
            }
            (Family::Unix, Side::Local) => {
                let (name, inode) = match &s.local {
                    Endpoint::Unix { name, inode } => {
                        (name.view(), if *inode != 0 { *inode } else { s.inode })
                    }
                    _ => (UnixNameRef::Unnamed, s.inode),
                };
                Address {
                    host: unix_name_text(name),
                    interface: None,
                    separator: " ",
                    port: inode.to_string(),
                }
            }
            (Family::Unix, Side::Peer) => Address {
                host: "*".into(),
                interface: None,
                separator: " ",
                port: match s.peer {
                    Endpoint::Unix { inode, .. } => inode,
                    _ => 0,
                }
                .to_string(),
            },
            (Family::Packet, Side::Local) => {
                let (protocol, ifindex) = match s.local {
                    Endpoint::Packet { protocol, ifindex } => (protocol, ifindex),
                    _ => (0, 0),
                };
                Address {
                    host: packet_protocol_text(protocol),
                    interface: None,
                    separator: ":",
                    port: if ifindex == 0 {
                        "*".into()
                    } else {
                        ifname(ifindex)
                    },
                }
            }
            (Family::Netlink, Side::Local) => {
                let (protocol, portid) = match s.local {
                    Endpoint::Netlink {
                        protocol, portid, ..
                    } => (protocol, portid),
                    _ => (0, 0),
                };
                Address {
                    host: protocol.to_string(),
                    interface: None,
                    separator: ":",
                    port: netlink_port_text(portid),
                }
            }
            (Family::Netlink, Side::Peer) => match netlink_peer(s) {
                Some((group, portid)) => Address {
                    host: (group as i32).to_string(),
                    interface: None,
                    separator: ":",
                    port: (portid as i32).to_string(),
                },
                None => lone_star(),
            },
            _ => lone_star(),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.host)?;
        if let Some(i) = &self.interface {
            write!(f, "%{i}")?;
        }
        f.write_str(self.separator)?;
        f.write_str(&self.port)
    }
}

/// An inet socket's end in the parts `ss` prints before names are looked
/// up: the address and its numeric host text, the interface the host is
/// scoped to and the port. [`Address::of`] joins them; a caller that
/// resolves host or service names (`ss` without `-n`, `-r`) starts here.
///
/// ```
/// use sockdiag::{Endpoint, Family, Socket, State, Table};
/// use sockdiag::ss::{Side, inet_end};
/// let mut s = Socket::new(Table::Tcp, Family::Inet6, State::Listen);
/// s.local = Endpoint::Inet { addr: "::".parse().unwrap(), port: 80 };
/// s.interface = 2;
/// let e = inet_end(&s, Side::Local);
/// assert_eq!((e.host.to_string(), e.interface, e.port), ("*".to_string(), 2, 80));
/// // The peer is never scoped; an end without an address is the family's `::`.
/// let e = inet_end(&s, Side::Peer);
/// assert_eq!((e.host.to_string(), e.interface, e.port), ("*".to_string(), 0, 0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InetEnd {
    /// The address (`0.0.0.0` or `::` when the end has none).
    pub addr: IpAddr,
    /// Its numeric text, with the socket's `IPV6_V6ONLY` applied.
    pub host: InetHost,
    /// The interface the local end is bound to (`%NAME`), 0 for none and
    /// for the peer.
    pub interface: u32,
    /// The port; `ss` prints 0 as `*`.
    pub port: u16,
}

impl InetHost {
    /// Whether this is the dual-stack wildcard `ss` prints as `*`, which it
    /// never resolves to a name.
    pub fn is_star(&self) -> bool {
        matches!(self.addr, IpAddr::V6(a) if a.is_unspecified() && !self.v6only)
    }
}

/// The `side` end of inet socket `s` ([`InetEnd`]); for another family,
/// the unspecified IPv4 address and port 0.
pub fn inet_end(s: &Socket, side: Side) -> InetEnd {
    let (end, interface) = match side {
        Side::Local => (&s.local, s.interface),
        Side::Peer => (&s.peer, 0),
    };
    let (addr, port) = match *end {
        Endpoint::Inet { addr, port } => (addr, port),
        _ if s.family == Family::Inet6 => (IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
        _ => (IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
    };
    let v6only = s.family == Family::Inet6 && s.v6only.unwrap_or(false);
    InetEnd {
        addr,
        host: inet_host(addr, v6only),
        interface,
        port,
    }
}

/// `ss`'s name for an interface index it cannot name: `ifN`.
fn unnamed_interface(index: u32) -> String {
    format!("if{index}")
}

/// The local end of `s` as `ss -n` prints it, interfaces named `ifN`
/// (use [`Address::of`] to name them).
///
/// ```
/// use sockdiag::{Endpoint, Family, Socket, State, Table};
/// let mut s = Socket::new(Table::Tcp, Family::Inet, State::Listen);
/// s.local = Endpoint::Inet { addr: "0.0.0.0".parse().unwrap(), port: 22 };
/// assert_eq!(sockdiag::ss::local(&s).to_string(), "0.0.0.0:22");
/// ```
pub fn local(s: &Socket) -> Address {
    Address::of(s, Side::Local, &mut unnamed_interface)
}

/// The peer end of `s` as `ss -n` prints it.
///
/// ```
/// use sockdiag::{Endpoint, Family, Socket, State, Table};
/// let mut s = Socket::new(Table::Tcp, Family::Inet, State::Listen);
/// s.peer = Endpoint::Inet { addr: "0.0.0.0".parse().unwrap(), port: 0 };
/// assert_eq!(sockdiag::ss::peer(&s).to_string(), "0.0.0.0:*");
/// ```
pub fn peer(s: &Socket) -> Address {
    Address::of(s, Side::Peer, &mut unnamed_interface)
}

/// A packet socket's protocol as `ss -n` prints it: `*` for `ETH_P_ALL`,
/// else the number in brackets (`ss` without `-n` names known ones).
fn packet_protocol_text(protocol: u16) -> String {
    if protocol == 3 {
        "*".into()
    } else {
        format!("[{protocol}]")
    }
}

/// A netlink port id as `ss -n` prints it: `*` for -1, else signed.
fn netlink_port_text(portid: u32) -> String {
    match portid as i32 {
        -1 => "*".into(),
        p => p.to_string(),
    }
}

/// A netlink socket's destination `(group, portid)` when `ss` prints one
/// (`GROUP:PORTID`): a connected socket (reported `Established`) or a
/// destination set; `None` when its peer column is `*`.
///
/// ```
/// use sockdiag::{Endpoint, Family, Socket, State, Table};
/// let mut s = Socket::new(Table::Netlink, Family::Netlink, State::Close);
/// assert_eq!(sockdiag::ss::netlink_peer(&s), None);
/// s.peer = Endpoint::Netlink { protocol: 0, portid: 0, group: 1 };
/// assert_eq!(sockdiag::ss::netlink_peer(&s), Some((1, 0)));
/// ```
pub fn netlink_peer(s: &Socket) -> Option<(u32, u32)> {
    let (portid, group) = match s.peer {
        Endpoint::Netlink { portid, group, .. } => (portid, group),
        _ => (0, 0),
    };
    (s.state == State::Established || portid != 0 || group != 0).then_some((group, portid))
}

impl fmt::Display for UnixName {
    /// `*` when unnamed, the path up to its first NUL, or `@` and the
    /// abstract name with every NUL as `@`: as `ss` prints the name
    /// ([`push_unix_name`]; bytes that are not UTF-8 print as U+FFFD).
    ///
    /// ```
    /// use sockdiag::UnixName;
    /// assert_eq!(UnixName::new_abstract(b"x\0y").to_string(), "@x@y");
    /// assert_eq!(UnixName::new_path(b"/run/a.sock").to_string(), "/run/a.sock");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&unix_name_text(self.view()))
    }
}

impl fmt::Display for Endpoint {
    /// The endpoint alone as `ss -n` prints it when the socket adds nothing:
    /// inet `HOST:PORT` ([`inet_host`], [`port_text`]: `10.0.0.1:22`,
    /// `[::1]:443`, `0.0.0.0:*` for port 0, and `*:PORT` for `::`, as `ss`
    /// prints a socket that is not `IPV6_V6ONLY`); unix `NAME INODE` (`*`
    /// for no name); packet `[PROTOCOL]:IFINDEX` (the protocol in decimal,
    /// `*` for `ETH_P_ALL`; `*` for all interfaces, else the index as a
    /// number); netlink `PROTOCOL:PORTID` (the port id signed, `*` for -1)
    /// and `/GROUP` when a group is set; `*` for [`Endpoint::None`].
    ///
    /// What it cannot know without the socket: whether it is `IPV6_V6ONLY`
    /// (`ss` then prints `::` as `[::]`), the interface it is bound to
    /// (`%lo` after the host), a unix socket's inode when the endpoint
    /// carries 0, and whether a netlink peer is connected. [`local`] and
    /// [`peer`] take the socket and print exactly `ss`'s columns.
    ///
    /// ```
    /// use sockdiag::Endpoint;
    /// let e = |a: &str, port| Endpoint::Inet { addr: a.parse().unwrap(), port };
    /// assert_eq!(e("10.0.0.1", 22).to_string(), "10.0.0.1:22");
    /// assert_eq!(e("::1", 443).to_string(), "[::1]:443");
    /// assert_eq!(e("0.0.0.0", 0).to_string(), "0.0.0.0:*");
    /// assert_eq!(e("::", 80).to_string(), "*:80");
    /// assert_eq!(Endpoint::None.to_string(), "*");
    /// let packet = |protocol, ifindex| Endpoint::Packet { protocol, ifindex };
    /// assert_eq!(packet(3, 0).to_string(), "*:*");
    /// assert_eq!(packet(0x88cc, 2).to_string(), "[35020]:2");
    /// let netlink = Endpoint::Netlink { protocol: 0, portid: u32::MAX, group: 1 };
    /// assert_eq!(netlink.to_string(), "0:*/1");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Inet { addr, port } => {
                write!(f, "{}:{}", inet_host(*addr, false), port_text(*port))
            }
            Endpoint::Unix { name, inode } => write!(f, "{name} {inode}"),
            Endpoint::Packet { protocol, ifindex } => {
                let iface = if *ifindex == 0 {
                    "*".to_string()
                } else {
                    ifindex.to_string()
                };
                write!(f, "{}:{iface}", packet_protocol_text(*protocol))
            }
            Endpoint::Netlink {
                protocol,
                portid,
                group,
            } => {
                write!(f, "{protocol}:{}", netlink_port_text(*portid))?;
                if *group != 0 {
                    write!(f, "/{group}")?;
                }
                Ok(())
            }
            Endpoint::None => f.write_str("*"),
        }
    }
}

/// Appends a process's command name ([`Process::command`](crate::Process::command)) as `ss -p`
/// prints it inside `users:(("NAME",...))`, safe to write to a terminal or
/// a table: `ss` reads the name from `/proc/PID/stat`, so it ends before
/// the first `)` (a name that starts with `)` is empty), and escapes it
/// with iproute2's `escape_str` in the C locale (`ss` never calls
/// `setlocale`): every control character (`\n`, `\t`, `ESC`, ...) and DEL
/// becomes `.`, every byte of a non-ASCII character `?`, and an
/// undecodable byte (read as U+FFFD, see [`Process::command`](crate::Process::command)) one `?`.
/// Quotes, backslashes and spaces are kept, as `ss` keeps them. The output
/// is printable ASCII only.
///
/// ```
/// use sockdiag::ss::push_command;
/// let mut out = Vec::new();
/// push_command(&mut out, "evil\x1b[31m\n");
/// assert_eq!(out, b"evil.[31m.");
/// ```
pub fn push_command(out: &mut Vec<u8>, name: &str) {
    let name = name.split(')').next().unwrap_or("");
    for c in name.chars() {
        match c {
            '\0' => break,
            '\u{1}'..='\u{1f}' | '\u{7f}' => out.push(b'.'),
            // One byte that was not UTF-8.
            char::REPLACEMENT_CHARACTER => out.push(b'?'),
            c if !c.is_ascii() => out.extend(std::iter::repeat_n(b'?', c.len_utf8())),
            c => out.push(c as u8),
        }
    }
}

/// [`push_command`] as a `String`: the command name as `ss -p` prints it.
///
/// ```
/// use sockdiag::ss::command_text;
/// assert_eq!(command_text("nginx"), "nginx");
/// assert_eq!(command_text("a\tb\u{7f}"), "a.b.");
/// assert_eq!(command_text("caf\u{e9}"), "caf??");
/// assert_eq!(command_text("web (1)"), "web (1");
/// assert_eq!(command_text("q\"u"), "q\"u");
/// ```
pub fn command_text(name: &str) -> String {
    let mut out = Vec::with_capacity(name.len());
    push_command(&mut out, name);
    // Printable ASCII only.
    String::from_utf8(out).unwrap_or_default()
}

/// Splits filter text into words as `ss` does: on spaces, tabs and line
/// ends, with `\` escaping the next character.
///
/// ```
/// use sockdiag::ss::split_words;
/// assert_eq!(split_words(" dport  =\t:22 "), ["dport", "=", ":22"]);
/// assert_eq!(split_words(r"src unix:/tmp/a\ b"), ["src", "unix:/tmp/a b"]);
/// ```
pub fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// The words of an `ss -F` filter file: lines starting with `#` are
/// comments, the rest is split as [`split_words`] does.
///
/// ```
/// use sockdiag::ss::words_from_file_text;
/// let words = words_from_file_text("# web\ndport = :443\nor dport = :80\n");
/// assert_eq!(words, ["dport", "=", ":443", "or", "dport", "=", ":80"]);
/// ```
pub fn words_from_file_text(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(split_words)
        .collect()
}

/// Most characters of a word quoted in a message ([`shown_word`]).
pub const SHOWN_WORD_MAX: usize = 32;

/// A word from the user (or a file) as a message quotes it: at most
/// [`SHOWN_WORD_MAX`] characters (then `…`), with control characters
/// escaped ([`escape_controls`]), so that no escape sequence reaches a
/// terminal and no long text is echoed.
///
/// ```
/// use sockdiag::ss::shown_word;
/// assert_eq!(shown_word("bogus"), "bogus");
/// assert_eq!(shown_word("\x1b]0;x\x07"), "\\e]0;x\\a");
/// assert_eq!(shown_word(&"a".repeat(40)), format!("{}…", "a".repeat(32)));
/// ```
pub fn shown_word(word: impl AsRef<str>) -> String {
    let word = word.as_ref();
    let mut cut: String = word.chars().take(SHOWN_WORD_MAX).collect();
    if cut.len() < word.len() {
        cut.push('…');
    }
    escape_controls(&cut).into_owned()
}

/// `text` with every control character (C0, DEL, C1) written as an escape:
/// `\e`, `\a`, `\n`, `\t`, `\r`, or `\xNN` / `\u{NN}`; other text unchanged.
///
/// ```
/// use sockdiag::ss::escape_controls;
/// assert_eq!(escape_controls("a\x1b[31mb\u{9b}"), "a\\e[31mb\\u{9b}");
/// assert_eq!(escape_controls("plain"), "plain");
/// ```
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    use std::fmt::Write as _;
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\x1b' => out.push_str("\\e"),
            '\x07' => out.push_str("\\a"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    //! Expected strings are `ss` 7.1's (`ss -tan`, `-uan`, `-xa`) for
    //! sockets made for the purpose in a private network namespace.
    use super::*;
    use crate::model::Table;

    fn inet(table: Table, state: State, local: &str, peer: &str, v6only: Option<bool>) -> Socket {
        let sa = |t: &str| {
            let a: std::net::SocketAddr = t.parse().unwrap();
            Endpoint::Inet {
                addr: a.ip(),
                port: a.port(),
            }
        };
        let l = sa(local);
        let family = match l {
            Endpoint::Inet {
                addr: IpAddr::V6(_),
                ..
            } => Family::Inet6,
            _ => Family::Inet,
        };
        let mut s = Socket::new(table, family, state);
        s.local = l;
        s.peer = sa(peer);
        s.v6only = v6only;
        s
    }

    fn ends(s: &Socket) -> (String, String) {
        (local(s).to_string(), peer(s).to_string())
    }

    #[test]
    fn tcp_ends_as_ss() {
        use State::{Established as E, Listen as L};
        let cases = [
            // A listener's peer is 0.0.0.0 port 0: ss prints the port as `*`.
            (
                (L, "127.0.0.1:5000", "0.0.0.0:0", None),
                ("127.0.0.1:5000", "0.0.0.0:*"),
            ),
            // A wildcard IPv4 listener keeps its address: `0.0.0.0:22`, not `*:22`.
            (
                (L, "0.0.0.0:22", "0.0.0.0:0", None),
                ("0.0.0.0:22", "0.0.0.0:*"),
            ),
            (
                (E, "127.0.0.1:5000", "127.0.0.1:40746", None),
                ("127.0.0.1:5000", "127.0.0.1:40746"),
            ),
            // Dual-stack: `::` is `*` ...
            ((L, "[::]:2222", "[::]:0", Some(false)), ("*:2222", "*:*")),
            // ... and `[::]` on an IPV6_V6ONLY socket.
            (
                (L, "[::]:2223", "[::]:0", Some(true)),
                ("[::]:2223", "[::]:*"),
            ),
            (
                (L, "[::1]:5001", "[::]:0", Some(true)),
                ("[::1]:5001", "[::]:*"),
            ),
            (
                (
                    E,
                    "[::ffff:127.0.0.1]:40746",
                    "[::ffff:127.0.0.1]:5000",
                    None,
                ),
                ("[::ffff:127.0.0.1]:40746", "[::ffff:127.0.0.1]:5000"),
            ),
            (
                (E, "[::1]:42406", "[::1]:5001", None),
                ("[::1]:42406", "[::1]:5001"),
            ),
        ];
        for ((state, l, p, v6only), want) in cases {
            let s = inet(Table::Tcp, state, l, p, v6only);
            assert_eq!(ends(&s), (want.0.into(), want.1.into()), "{l} {p}");
        }
    }

    #[test]
    fn udp_ends_as_ss() {
        use State::{Close as U, Established as E};
        let cases = [
            (
                (U, "0.0.0.0:53", "0.0.0.0:0", None),
                ("0.0.0.0:53", "0.0.0.0:*"),
            ),
            (
                (E, "127.0.0.1:6000", "127.0.0.1:6001", None),
                ("127.0.0.1:6000", "127.0.0.1:6001"),
            ),
            ((U, "[::]:5353", "[::]:0", Some(false)), ("*:5353", "*:*")),
            (
                (U, "[::]:5354", "[::]:0", Some(true)),
                ("[::]:5354", "[::]:*"),
            ),
            (
                (U, "[::1]:6002", "[::]:0", Some(true)),
                ("[::1]:6002", "[::]:*"),
            ),
        ];
        for ((state, l, p, v6only), want) in cases {
            let s = inet(Table::Udp, state, l, p, v6only);
            assert_eq!(ends(&s), (want.0.into(), want.1.into()), "{l} {p}");
        }
    }

    #[test]
    fn a_bound_device_scopes_the_local_host() {
        // `ss -tan`: `127.0.0.1%lo:2225  0.0.0.0:*` (SO_BINDTODEVICE lo).
        let mut s = inet(
            Table::Tcp,
            State::Listen,
            "127.0.0.1:2225",
            "0.0.0.0:0",
            None,
        );
        s.interface = 1;
        let name = |i: u32| {
            if i == 1 {
                "lo".to_string()
            } else {
                format!("if{i}")
            }
        };
        let l = Address::of(&s, Side::Local, &mut { name });
        let p = Address::of(&s, Side::Peer, &mut { name });
        assert_eq!(l.to_string(), "127.0.0.1%lo:2225");
        assert_eq!(p.to_string(), "0.0.0.0:*");
        assert_eq!(
            l,
            Address {
                host: "127.0.0.1".into(),
                interface: Some("lo".into()),
                separator: ":",
                port: "2225".into()
            }
        );
        // Without names: ss's own text for an index it cannot name.
        assert_eq!(local(&s).to_string(), "127.0.0.1%if1:2225");
    }

    #[test]
    fn unix_ends_as_ss() {
        let unix = |state, name: UnixName, inode, peer| {
            let mut s = Socket::new(Table::UnixStream, Family::Unix, state);
            s.inode = inode;
            s.local = Endpoint::Unix { name, inode };
            s.peer = Endpoint::Unix {
                name: UnixName::default(),
                inode: peer,
            };
            s
        };
        let cases = [
            (
                unix(State::Established, UnixName::default(), 9800579, 9800578),
                ("* 9800579", "* 9800578"),
            ),
            (
                unix(
                    State::Listen,
                    UnixName::new_path(b"/tmp/h10.sock"),
                    9800575,
                    0,
                ),
                ("/tmp/h10.sock 9800575", "* 0"),
            ),
            // Every NUL of an abstract name is `@`, the leading one too.
            (
                unix(
                    State::Listen,
                    UnixName::new_abstract(b"h10\0abs"),
                    9800576,
                    0,
                ),
                ("@h10@abs 9800576", "* 0"),
            ),
        ];
        for (s, want) in cases {
            assert_eq!(ends(&s), (want.0.into(), want.1.into()));
        }
        // The inode comes from the socket when the endpoint has none.
        let mut s = unix(State::Close, UnixName::default(), 0, 0);
        s.inode = 9800577;
        assert_eq!(ends(&s), ("* 9800577".into(), "* 0".into()));
        s.peer = Endpoint::None;
        assert_eq!(peer(&s).to_string(), "* 0");
    }

    #[test]
    fn packet_and_netlink_ends_as_ss_n() {
        let mut s = Socket::new(Table::PacketRaw, Family::Packet, State::Close);
        s.local = Endpoint::Packet {
            protocol: 3,
            ifindex: 0,
        };
        assert_eq!(ends(&s), ("*:*".into(), "*".into()));
        s.local = Endpoint::Packet {
            protocol: 0x88cc,
            ifindex: 2,
        };
        let l = Address::of(&s, Side::Local, &mut |_| "eth0".into());
        assert_eq!(l.to_string(), "[35020]:eth0");
        let mut s = Socket::new(Table::Netlink, Family::Netlink, State::Close);
        s.local = Endpoint::Netlink {
            protocol: 0,
            portid: u32::MAX,
            group: 0,
        };
        assert_eq!(ends(&s), ("0:*".into(), "*".into()));
        s.local = Endpoint::Netlink {
            protocol: 4,
            portid: 1234,
            group: 0,
        };
        s.peer = Endpoint::Netlink {
            protocol: 4,
            portid: 0,
            group: 5,
        };
        assert_eq!(ends(&s), ("4:1234".into(), "5:0".into()));
        assert_eq!(socket_state_label(&s), "UNCONN");
    }

    #[test]
    fn endpoint_display_is_ss_text_for_the_endpoint_alone() {
        let e = |a: &str| {
            let a: std::net::SocketAddr = a.parse().unwrap();
            Endpoint::Inet {
                addr: a.ip(),
                port: a.port(),
            }
            .to_string()
        };
        // A listener's peer: port 0 is `*`.
        assert_eq!(e("0.0.0.0:0"), "0.0.0.0:*");
        assert_eq!(e("0.0.0.0:22"), "0.0.0.0:22");
        // `::` as ss prints it when the socket is not IPV6_V6ONLY.
        assert_eq!(e("[::]:80"), "*:80");
        assert_eq!(e("[::1]:443"), "[::1]:443");
        assert_eq!(e("[::ffff:127.0.0.1]:5000"), "[::ffff:127.0.0.1]:5000");
        let u = Endpoint::Unix {
            name: UnixName::new_abstract(b"h10\0abs"),
            inode: 7,
        };
        assert_eq!(u.to_string(), "@h10@abs 7");
        let u = Endpoint::Unix {
            name: UnixName::default(),
            inode: 0,
        };
        assert_eq!(u.to_string(), "* 0");
        let n = Endpoint::Netlink {
            protocol: 0,
            portid: u32::MAX,
            group: 1,
        };
        assert_eq!(n.to_string(), "0:*/1");
        let p = Endpoint::Packet {
            protocol: 3,
            ifindex: 2,
        };
        assert_eq!(p.to_string(), "*:2");
    }

    #[test]
    fn command_names_as_ss_p() {
        // ss 7.1 `-tlnp` for a listener whose thread name was set with
        // PR_SET_NAME to each of these.
        for (name, want) in [
            ("a)b", "a"),
            (")zz", ""),
            ("x\x1b[31my", "x.[31my"),
            ("q\"u", "q\"u"),
            ("caf\u{e9}", "caf??"),
            ("c\u{fffd}m", "c?m"),
            ("tab\there\n", "tab.here."),
            ("back\\slash", "back\\slash"),
            ("", ""),
        ] {
            assert_eq!(command_text(name), want, "{name:?}");
        }
    }

    #[test]
    fn state_labels_as_ss() {
        for (st, label) in [
            (State::Established, "ESTAB"),
            (State::SynSent, "SYN-SENT"),
            (State::SynRecv, "SYN-RECV"),
            (State::NewSynRecv, "SYN-RECV"),
            (State::FinWait1, "FIN-WAIT-1"),
            (State::FinWait2, "FIN-WAIT-2"),
            (State::TimeWait, "TIME-WAIT"),
            (State::Close, "UNCONN"),
            (State::BoundInactive, "UNCONN"),
            (State::CloseWait, "CLOSE-WAIT"),
            (State::LastAck, "LAST-ACK"),
            (State::Listen, "LISTEN"),
            (State::Closing, "CLOSING"),
            (State::Other(0), "UNKNOWN"),
            (State::Other(99), "UNKNOWN"),
        ] {
            assert_eq!(state_label(st), label, "{st:?}");
        }
    }

    #[test]
    fn netid_labels_as_ss() {
        for (t, label) in [
            (Table::Tcp, "tcp"),
            (Table::Udp, "udp"),
            (Table::Raw, "raw"),
            (Table::Mptcp, "mptcp"),
            (Table::UnixStream, "u_str"),
            (Table::UnixDgram, "u_dgr"),
            (Table::UnixSeqpacket, "u_seq"),
            (Table::PacketRaw, "p_raw"),
            (Table::PacketDgram, "p_dgr"),
            (Table::Netlink, "nl"),
        ] {
            assert_eq!(netid_label(t), label, "{t:?}");
        }
        assert_eq!(Table::ALL.len(), 10, "a new table needs its label here");
    }

    /// Each control character by its class: the five named escapes, C0
    /// and DEL as `\xNN`, C1 (U+0080 to U+009F) as `\u{NN}`; text without
    /// one comes back borrowed; other characters, ASCII or not, unchanged.
    #[test]
    fn controls_escaped_by_class() {
        use std::borrow::Cow;
        for plain in ["", "plain", "caf\u{e9} \u{a0}\u{2028}"] {
            assert!(
                matches!(escape_controls(plain), Cow::Borrowed(t) if t == plain),
                "{plain:?}"
            );
        }
        for (text, want) in [
            ("a\x1bb", "a\\eb"),
            ("\x07\n\t\r", "\\a\\n\\t\\r"),
            ("x\x00\x01\x1f\x7f", "x\\x00\\x01\\x1f\\x7f"),
            ("\u{80}\u{9b}\u{9f}", "\\u{80}\\u{9b}\\u{9f}"),
            ("\x01caf\u{e9}\u{a0}~ ", "\\x01caf\u{e9}\u{a0}~ "),
        ] {
            assert_eq!(escape_controls(text), want, "{text:?}");
        }
    }

    /// A quoted word is cut at [`SHOWN_WORD_MAX`] characters (not bytes),
    /// marked by `…` only when something was cut, then escaped.
    #[test]
    fn shown_words_cut_at_the_limit() {
        let a = |n: usize| "a".repeat(n);
        let e = |n: usize| "\u{e9}".repeat(n);
        assert_eq!(shown_word("bogus"), "bogus");
        assert_eq!(shown_word(""), "");
        assert_eq!(shown_word(a(31)), a(31));
        assert_eq!(shown_word(a(32)), a(32));
        assert_eq!(shown_word(a(33)), format!("{}…", a(32)));
        assert_eq!(shown_word(e(32)), e(32));
        assert_eq!(shown_word(e(33)), format!("{}…", e(32)));
        assert_eq!(
            shown_word("\x1b".repeat(40)),
            format!("{}…", "\\e".repeat(32))
        );
        assert_eq!(shown_word("\x1b]0;x\x07"), "\\e]0;x\\a");
    }

    #[test]
    fn ipv6_like_glibc_inet_ntop() {
        // Expected strings from glibc's inet_ntop.
        let cases = [
            ("::", "::"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("fe80::1", "fe80::1"),
            ("2001:db8::1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
            ("1:0:0:0:2:0:0:3", "1::2:0:0:3"),
            ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
            ("::ffff:0:0", "::ffff:0.0.0.0"),
            ("::1.2.3.4", "::1.2.3.4"),
            ("::0.0.1.0", "::100"),
            ("0:0:0:0:0:1:0:0", "::1:0:0"),
            (
                "abcd:ef01:2345:6789:abcd:ef01:2345:6789",
                "abcd:ef01:2345:6789:abcd:ef01:2345:6789",
            ),
        ];
        for (a, want) in cases {
            let addr: Ipv6Addr = a.parse().unwrap();
            assert_eq!(ipv6_text(&addr), want, "{a}");
        }
    }
}
