//! `-j`: a JSON array streamed as the dump arrives, one object per socket,
//! in the library model's serde form.

use std::io::{self, Write};

use sockdiag::{Socket, Table};

/// The optional fields a command line asked for (docs/guide.md, "JSON": "fields that the
/// request did not ask for ... are absent"); each is the `ss` option that
/// prints it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Asked {
    /// `-e`: uid, cookie, mark, v6only, shutdown, cgroup id; the unix,
    /// packet and netlink details (`unix`, `packet`, `netlink`).
    pub extended: bool,
    /// `-o` (or `-e`): the timer.
    pub timers: bool,
    /// `-m`: skmem, meminfo.
    pub memory: bool,
    /// `-i`: tcp_info, mptcp_info, congestion and its info, ulp (and, for
    /// TCP, raw and MPTCP sockets, skmem, which `ss -i` prints for them).
    pub info: bool,
    /// `--tos`: tos, tclass, class_id.
    pub tos: bool,
    /// `--cgroup`: the cgroup id.
    pub cgroup: bool,
    /// `--inet-sockopt`: sockopt.
    pub inet_sockopt: bool,
    /// `-b`: a packet socket's filter (`filter_len`, `filter`).
    pub bpf: bool,
}

/// Drops from `s` what the command line did not ask for.
pub fn strip_unasked(s: &mut Socket, a: &Asked) {
    if !a.extended {
        s.uid = None;
        s.cookie = None;
        s.mark = None;
        s.v6only = None;
        s.shutdown = None;
    }
    if !(a.extended || a.cgroup) {
        s.cgroup_id = None;
    }
    if !a.inet_sockopt {
        s.sockopt = None;
    }
    if !(a.timers || a.extended) {
        s.timer = None;
    }
    if !a.info {
        s.tcp_info = None;
        s.congestion = None;
        if let Some(d) = s.detail_mut() {
            d.mptcp_info = None;
            d.ulp = None;
            d.mptcp_subflow = None;
            d.tls = None;
            d.vegas = None;
            d.dctcp = None;
            d.bbr = None;
        }
    }
    // ss -m prints socket memory for every socket, ss -i for the inet
    // sockets other than UDP only (`show_mem || (show_tcpinfo && s->type !=
    // IPPROTO_UDP)`; its unix, packet and netlink rows test show_mem).
    let info_memory = a.info && matches!(s.netid, Table::Tcp | Table::Raw | Table::Mptcp);
    if !(a.memory || info_memory) {
        s.skmem = None;
        s.meminfo = None;
    }
    if !a.extended
        && let Some(d) = s.detail_mut()
    {
        // ss -e prints them: unix vfs and peers, netlink groups; packet
        // version, flags and fanout (which -b brings along with the filter).
        d.unix = None;
        d.netlink = None;
        if !a.bpf {
            d.packet = None;
        }
    }
    if !a.bpf
        && let Some(p) = s.detail_mut().and_then(|d| d.packet.as_mut())
    {
        p.filter_len = None;
        p.filter = Vec::new();
    }
    if !a.tos
        && let Some(d) = s.detail_mut()
    {
        d.tos = None;
        d.tclass = None;
        d.class_id = None;
    }
}

/// Writes one socket as JSON. The queues are written as the table prints
/// them (`ss`'s `%-6d` of the kernel's `u32`): a destroyed socket's
/// `4294967295` is `-1`.
pub fn write_socket(out: &mut impl Write, s: &Socket) -> io::Result<()> {
    if s.recv_q <= i32::MAX as u32 && s.send_q <= i32::MAX as u32 {
        return serde_json::to_writer(out, s).map_err(io::Error::from);
    }
    let mut v = serde_json::to_value(s).map_err(io::Error::from)?;
    v["recv_q"] = (s.recv_q as i32).into();
    v["send_q"] = (s.send_q as i32).into();
    serde_json::to_writer(out, &v).map_err(io::Error::from)
}

/// Writes `[`, then each socket as it comes, then `]`.
pub struct JsonWriter<W: Write> {
    out: W,
    first: bool,
    done: bool,
}

impl<W: Write> JsonWriter<W> {
    /// A writer; `[` is written with the first socket (or by `finish`), so
    /// a dump that fails before any socket prints nothing.
    pub fn new(out: W) -> io::Result<Self> {
        Ok(JsonWriter {
            out,
            first: true,
            done: false,
        })
    }
}

impl<W: Write> JsonWriter<W> {
    /// Appends one socket.
    pub fn push(&mut self, s: &Socket) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"[\n" } else { b",\n" })?;
        self.first = false;
        write_socket(&mut self.out, s)
    }

    /// Closes the array (once).
    pub fn finish(&mut self) -> io::Result<()> {
        if !self.done {
            self.done = true;
            self.out
                .write_all(if self.first { b"[]\n" } else { b"\n]\n" })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockdiag::{Family, State, Table};

    #[test]
    fn empty_and_two_sockets_are_valid_json() {
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf).unwrap();
        w.finish().unwrap();
        assert_eq!(buf, b"[]\n");
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf).unwrap();
        let s = Socket::new(Table::Tcp, Family::Inet, State::Listen);
        w.push(&s).unwrap();
        w.push(&s).unwrap();
        w.finish().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 2);
        assert_eq!(v[1]["netid"], "tcp");
        assert_eq!(v[1]["state"], "listen");
    }

    #[test]
    fn queues_are_signed_as_in_the_table() {
        let mut s = Socket::new(Table::Tcp, Family::Inet, State::Close);
        s.send_q = u32::MAX;
        s.recv_q = 5;
        let mut buf = Vec::new();
        write_socket(&mut buf, &s).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["send_q"], -1);
        assert_eq!(v["recv_q"], 5);
    }

    #[test]
    fn unasked_fields_are_dropped() {
        let mut s = Socket::new(Table::Tcp, Family::Inet, State::Listen);
        s.uid = Some(0);
        s.cookie = Some(7);
        s.skmem = Some(Default::default());
        let mut plain = s.clone();
        strip_unasked(&mut plain, &Asked::default());
        assert_eq!((plain.uid, plain.cookie, plain.skmem), (None, None, None));
        let mut e = s.clone();
        strip_unasked(
            &mut e,
            &Asked {
                extended: true,
                ..Asked::default()
            },
        );
        assert_eq!((e.uid, e.cookie, e.skmem), (Some(0), Some(7), None));
        // Unix and netlink details are -e's.
        let mut u = Socket::new(Table::UnixStream, Family::Unix, State::Listen);
        u.detail_or_insert().unix = Some(Default::default());
        u.detail_or_insert().netlink = Some(Default::default());
        let mut plain = u.clone();
        strip_unasked(&mut plain, &Asked::default());
        assert_eq!((plain.unix(), plain.netlink()), (None, None));
        let mut e = u.clone();
        strip_unasked(
            &mut e,
            &Asked {
                extended: true,
                ..Asked::default()
            },
        );
        assert_eq!(e, u);
    }

    #[test]
    fn filters_and_subflows_only_when_asked() {
        let mut s = Socket::new(Table::PacketRaw, Family::Packet, State::Close);
        let mut p = sockdiag::PacketInfo::default();
        p.filter_len = Some(1);
        p.filter = vec![sockdiag::SockFilter::new(6, 0, 0, 0x40000)];
        s.detail_or_insert().packet = Some(p);
        s.detail_or_insert().mptcp_subflow = Some(Default::default());
        s.detail_or_insert().tls = Some(Default::default());
        let mut plain = s.clone();
        strip_unasked(&mut plain, &Asked::default());
        assert_eq!((plain.packet(), plain.mptcp_subflow()), (None, None));
        assert_eq!(plain.tls(), None);
        let mut e = s.clone();
        strip_unasked(
            &mut e,
            &Asked {
                extended: true,
                ..Asked::default()
            },
        );
        let p = e.packet().unwrap();
        assert_eq!((p.filter_len, p.filter.len()), (None, 0));
        let mut b = s.clone();
        strip_unasked(
            &mut b,
            &Asked {
                bpf: true,
                ..Asked::default()
            },
        );
        assert_eq!(b.packet(), s.packet());
        let mut asked = s.clone();
        let a = Asked {
            bpf: true,
            info: true,
            ..Asked::default()
        };
        strip_unasked(&mut asked, &a);
        assert_eq!(asked, s);
    }
}
