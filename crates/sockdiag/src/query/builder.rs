//! [`Query`]: what to ask the kernel, and the requests (parts) it makes.

use std::path::PathBuf;

use crate::consts::*;
use crate::error::{Error, Request, Result};
use crate::filter::Filter;
use crate::inet::{self, Extensions};
use crate::model::{Family, Socket, States, Table, Tables};
use crate::{netlink, packet, unix};

/// Which address families an inet query covers.
///
/// Built with [`InetFamilies::new`] or the constants; the fields are read
/// directly (more may come, so it is not built as a struct literal).
///
/// ```
/// use sockdiag::{InetFamilies, Query};
/// let v4_only = InetFamilies::new(true, false);
/// assert_eq!(v4_only, InetFamilies::V4);
/// assert!(v4_only.v4 && !v4_only.v6);
/// let q = Query::tcp().families(v4_only);
/// assert_eq!(q.inet_families(), InetFamilies::V4);
/// assert_eq!(Query::tcp().inet_families(), InetFamilies::BOTH);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct InetFamilies {
    /// Dump `AF_INET` sockets.
    pub v4: bool,
    /// Dump `AF_INET6` sockets.
    pub v6: bool,
}

impl InetFamilies {
    /// IPv4 and IPv6 (a query's default).
    pub const BOTH: InetFamilies = InetFamilies::new(true, true);
    /// IPv4 only (`ss -4`).
    pub const V4: InetFamilies = InetFamilies::new(true, false);
    /// IPv6 only (`ss -6`).
    pub const V6: InetFamilies = InetFamilies::new(false, true);

    /// The families with `v4` and `v6` on or off.
    pub const fn new(v4: bool, v6: bool) -> InetFamilies {
        InetFamilies { v4, v6 }
    }
}

/// What to ask the kernel: tables, families, states, extensions, filter.
///
/// ```no_run
/// use sockdiag::{Query, States};
/// let listeners = Query::tcp().states(States::LISTEN).with_info();
/// for socket in listeners.dump()? {
///     let socket = socket?;
///     println!("{:?} backlog {}", socket.local, socket.send_q);
/// }
/// # Ok::<(), sockdiag::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    tables: Tables,
    families: InetFamilies,
    states: States,
    ext: Extensions,
    unix_show: u32,
    packet_show: u32,
    bytecode: Option<Vec<u8>>,
    pub(super) filter: Option<Filter>,
    pub(super) replay: Option<PathBuf>,
    pub(super) fallback: bool,
}

impl Query {
    /// A query over `tables`, every family, every state (bound-inactive
    /// included), no extensions.
    pub fn new(tables: Tables) -> Query {
        Query {
            tables,
            families: InetFamilies { v4: true, v6: true },
            states: States::ALL | States::BOUND_INACTIVE,
            ext: Extensions::empty(),
            unix_show: unix::SHOW_ALL & !UDIAG_SHOW_ICONS,
            packet_show: packet::SHOW_ALL,
            bytecode: None,
            filter: None,
            replay: None,
            fallback: true,
        }
    }

    /// TCP sockets.
    pub fn tcp() -> Query {
        Query::new(Tables::TCP)
    }
    /// UDP sockets.
    pub fn udp() -> Query {
        Query::new(Tables::UDP)
    }
    /// Raw IP sockets.
    pub fn raw() -> Query {
        Query::new(Tables::RAW)
    }
    /// MPTCP sockets.
    pub fn mptcp() -> Query {
        Query::new(Tables::MPTCP)
    }
    /// Unix sockets of every type.
    pub fn unix() -> Query {
        Query::new(Tables::UNIX)
    }
    /// Packet sockets.
    pub fn packet() -> Query {
        Query::new(Tables::PACKET)
    }
    /// Netlink sockets.
    pub fn netlink() -> Query {
        Query::new(Tables::NETLINK)
    }
    /// Every table.
    pub fn all() -> Query {
        Query::new(Tables::all())
    }

    /// Restricts inet tables to one family (`Inet` or `Inet6`); other
    /// families are ignored.
    pub fn family(mut self, family: Family) -> Query {
        match family {
            Family::Inet => {
                self.families = InetFamilies {
                    v4: true,
                    v6: false,
                }
            }
            Family::Inet6 => {
                self.families = InetFamilies {
                    v4: false,
                    v6: true,
                }
            }
            _ => {}
        }
        self
    }

    /// Sets which inet families to dump.
    pub fn families(mut self, families: InetFamilies) -> Query {
        self.families = families;
        self
    }

    /// Sets the state filter, applied by the kernel where it can
    /// (inet, unix) and in user space otherwise.
    pub fn states(mut self, states: States) -> Query {
        self.states = states;
        self
    }

    /// Adds inet extensions.
    pub fn extensions(mut self, ext: Extensions) -> Query {
        self.ext |= ext;
        self
    }

    /// Asks for `tcp_info`, the congestion algorithm and Vegas/DCTCP/BBR info
    /// (what `ss -i` shows).
    pub fn with_info(self) -> Query {
        self.extensions(Extensions::INFO | Extensions::CONG | Extensions::VEGASINFO)
    }

    /// Asks for socket memory (what `ss -m` shows).
    pub fn with_memory(self) -> Query {
        self.extensions(Extensions::SKMEMINFO | Extensions::MEMINFO)
    }

    /// Asks for TOS, traffic class and class id (what `ss --tos` shows).
    pub fn with_tos(self) -> Query {
        self.extensions(Extensions::TOS | Extensions::TCLASS)
    }

    /// Asks unix listeners for the inodes of their pending connections.
    pub fn with_unix_icons(mut self) -> Query {
        self.unix_show |= UDIAG_SHOW_ICONS;
        self
    }

    /// Attaches a hand-written `INET_DIAG_REQ_BYTECODE` program to inet
    /// requests, checked first by [`crate::filter::audit`] (the kernel's
    /// own checks): a program it would refuse is an error here.
    ///
    /// The program is an extra kernel-side condition, independent of
    /// [`Query::filter`] and of the order the two are set in: with both,
    /// the kernel runs this program and the filter is judged in user space.
    ///
    /// ```
    /// use sockdiag::Query;
    /// // INET_DIAG_BC_NOP: accepts every socket.
    /// assert!(Query::tcp().bytecode(vec![0, 4, 8, 0]).is_ok());
    /// // A jump into nowhere is refused before the kernel sees it.
    /// assert!(Query::tcp().bytecode(vec![1, 4, 200, 0]).is_err());
    /// ```
    pub fn bytecode(mut self, program: Vec<u8>) -> Result<Query> {
        crate::filter::audit(&program)?;
        if program.len() > u16::MAX as usize {
            return Err(Error::Bytecode(crate::filter::BytecodeError {
                offset: u16::MAX as usize,
                reason: "program longer than 64 KiB",
            }));
        }
        self.bytecode = Some(program);
        Ok(self)
    }

    /// Filters sockets with an `ss` expression. Inet dumps carry its
    /// bytecode and the kernel does the work; unix, packet and netlink
    /// tables, `/proc` fallbacks and expressions the kernel cannot run
    /// (`dev`, unix globs) are filtered here. Each socket is filtered once.
    /// A filter that needs a [`crate::filter::FilterContext`] (`autobound`)
    /// is re-judged in the namespace a dump runs in, read once per dump.
    pub fn filter(mut self, filter: Filter) -> Query {
        self.filter = Some(filter);
        self
    }

    /// The kernel program of inet requests: the one given to
    /// [`Query::bytecode`], else the filter's.
    fn kernel_program(&self) -> Option<&[u8]> {
        self.bytecode
            .as_deref()
            .or_else(|| self.filter.as_ref().and_then(Filter::bytecode))
    }

    /// The filter, if any.
    pub fn filter_expr(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }

    /// Reads TCP sockets from a file of raw `sock_diag` replies (what `ss -D`
    /// and `rss -D` write; `ss`'s `TCPDIAG_FILE`) instead of asking the
    /// kernel. As in `ss`, the first `NLMSG_DONE` ends the file and only the
    /// filter expression selects (in user space): states and families do not.
    pub fn tcp_from_file(mut self, path: impl Into<PathBuf>) -> Query {
        self.replay = Some(path.into());
        self
    }

    /// Whether to read `/proc/net` when a table has no diag module (default on).
    pub fn fallback(mut self, on: bool) -> Query {
        self.fallback = on;
        self
    }

    /// The tables asked for.
    pub fn tables(&self) -> Tables {
        self.tables
    }

    /// The states asked for.
    pub fn state_set(&self) -> States {
        self.states
    }

    /// The inet families asked for.
    pub fn inet_families(&self) -> InetFamilies {
        self.families
    }

    /// Whether a socket belongs to this query's selection: table, state,
    /// inet family and filter, all judged in user space. (Dumps leave what
    /// they can to the kernel; this is for sockets from elsewhere, such as
    /// destroy events.)
    pub fn selects(&self, s: &Socket) -> bool {
        self.wants(s) && self.wants_family(s.family)
    }

    /// The inet extensions asked for.
    pub fn extension_set(&self) -> Extensions {
        self.ext
    }

    /// The sub-requests, in `ss`'s output order: netlink, packet, unix, raw,
    /// udp, tcp, mptcp; IPv4 before IPv6. With `single_walk`, TCP over both
    /// families is one `TCPDIAG_GETSOCK` request (see [`PartKind::TcpBoth`]).
    pub(super) fn parts(&self, single_walk: bool) -> Vec<Part> {
        let mut parts = Vec::new();
        let nonconn = self.states.contains(States::CLOSE);
        if self.tables.contains(Tables::NETLINK) && nonconn {
            parts.push(Part {
                kind: PartKind::Netlink,
                table: Table::Netlink,
                family: Family::Netlink,
            });
        }
        if self.tables.intersects(Tables::PACKET) && nonconn {
            parts.push(Part {
                kind: PartKind::Packet,
                table: Table::PacketRaw,
                family: Family::Packet,
            });
        }
        if self.tables.intersects(Tables::UNIX) {
            let first = self
                .tables
                .intersection(Tables::UNIX)
                .iter_tables()
                .next()
                .unwrap_or(Table::UnixStream);
            parts.push(Part {
                kind: PartKind::Unix,
                table: first,
                family: Family::Unix,
            });
        }
        for table in [Table::Raw, Table::Udp, Table::Tcp, Table::Mptcp] {
            if !self.tables.contains(table.bit()) {
                continue;
            }
            if table == Table::Tcp && self.replay.is_some() {
                parts.push(Part {
                    kind: PartKind::Replay,
                    table,
                    family: Family::Inet,
                });
                continue;
            }
            if table == Table::Tcp && single_walk && self.families.v4 && self.families.v6 {
                parts.push(Part {
                    kind: PartKind::TcpBoth,
                    table,
                    family: Family::Inet,
                });
                continue;
            }
            for (on, family) in [
                (self.families.v4, Family::Inet),
                (self.families.v6, Family::Inet6),
            ] {
                if on {
                    parts.push(Part {
                        kind: PartKind::Inet,
                        table,
                        family,
                    });
                }
            }
        }
        parts
    }

    pub(super) fn encode(&self, part: &Part, seq: u32, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(&[0u8; NLMSG_HDRLEN]);
        match part.kind {
            PartKind::Inet => inet::encode_request(
                out,
                part.table,
                part.family,
                self.states.bits(),
                self.ext,
                self.kernel_program(),
            ),
            PartKind::Unix => unix::encode_request(out, self.states.bits(), self.unix_show),
            PartKind::Packet => packet::encode_request(out, self.packet_show),
            PartKind::Netlink => netlink::encode_request(out),
            PartKind::TcpBoth => inet::encode_compat_request(
                out,
                self.states.bits(),
                self.ext,
                self.kernel_program(),
            ),
            PartKind::Replay => {}
        }
        let ty = match part.kind {
            PartKind::TcpBoth => inet::TCPDIAG_GETSOCK,
            _ => SOCK_DIAG_BY_FAMILY,
        };
        let len = out.len() as u32;
        out[0..4].copy_from_slice(&len.to_ne_bytes());
        out[4..6].copy_from_slice(&ty.to_ne_bytes());
        out[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
        out[8..12].copy_from_slice(&seq.to_ne_bytes());
        // nlmsg_pid 0: the kernel fills in the sender.
    }

    /// Whether a socket decoded from a shared part (unix, packet, `/proc`)
    /// belongs to this query.
    pub(super) fn wants(&self, s: &Socket) -> bool {
        self.tables.contains(s.netid.bit())
            && self.states.contains(s.state.bit())
            && self.user_filter(s)
    }

    /// Whether an inet socket's family was asked for.
    fn wants_family(&self, f: Family) -> bool {
        match f {
            Family::Inet => self.families.v4,
            Family::Inet6 => self.families.v6,
            _ => true,
        }
    }

    /// The user-space side of the filter, for sockets the kernel did not filter.
    pub(super) fn user_filter(&self, s: &Socket) -> bool {
        self.filter.as_ref().is_none_or(|f| f.matches(s))
    }

    /// True when the kernel runs the filter for an inet dump.
    pub(super) fn kernel_filters(&self) -> bool {
        match &self.filter {
            None => true,
            Some(f) => self.bytecode.is_none() && f.bytecode().is_some(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PartKind {
    Inet,
    Unix,
    Packet,
    Netlink,
    /// TCP sockets read from a file of raw replies (`ss -D`), not the kernel.
    Replay,
    /// TCP over IPv4 and IPv6 in one `TCPDIAG_GETSOCK` request: the kernel
    /// walks its hash tables once instead of once per family (the IPv6 walk
    /// of a host with 100k IPv4 sockets costs as much as the IPv4 one and
    /// finds nothing). IPv4 sockets are yielded as they come; IPv6 replies
    /// are held back (up to [`DEFERRED_V6_MAX`](super::DEFERRED_V6_MAX) bytes) and yielded after, so
    /// the order is `ss`'s. If the kernel refuses the request, the part is
    /// replaced by one `Inet` part per family.
    TcpBoth,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Part {
    pub(super) kind: PartKind,
    pub(super) table: Table,
    pub(super) family: Family,
}

impl Part {
    /// True for parts the kernel's `inet_diag` answers (and filters).
    pub(super) fn is_inet(&self) -> bool {
        matches!(self.kind, PartKind::Inet | PartKind::TcpBoth)
    }

    pub(super) fn request(&self) -> Request {
        Request {
            table: self.table,
            family: self.family,
        }
    }
}

/// Convenience: runs `query` and collects every socket (stops at the first error).
pub fn collect(query: &Query) -> Result<Vec<Socket>> {
    query.dump()?.collect()
}
