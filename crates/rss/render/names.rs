//! Names `ss` prints in place of numbers: services, hosts, interfaces,
//! Ethernet and netlink protocols, netlink peers' processes and cgroups.
//!
//! Each lookup follows the `ss`/iproute2 function it replaces (named on each
//! method) and is cached for the life of a [`Names`]: a dump of 100k
//! sockets reads `/etc/services` once and asks the resolver once per
//! address. Files are read lazily, on first use, so that a caller that
//! switches network namespace first (`-N`) sees that namespace's
//! `ip_local_port_range` and interfaces, as `ss` does.
//!
//! This module owns the renderer's only I/O besides the output itself; it
//! never fails: whatever cannot be read falls back to what `ss` prints then.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The transport whose service names apply (`ss`'s `dg_proto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// `tcp` in `/etc/services` (also used for MPTCP).
    Tcp,
    /// `udp` in `/etc/services`.
    Udp,
    /// Raw sockets: the "port" is an IP protocol, named from `/etc/protocols`.
    Raw,
}

/// `ETH_P_*` names from iproute2's `lib/ll_proto.c`, in its order: the first
/// match wins, so `0x0800` is `ip` (the later `ipv4` is never printed).
const LL_PROTO_NAMES: &[(u16, &str)] = &[
    (0x0060, "loop"),
    (0x0200, "pup"),
    (0x0201, "pupat"),
    (0x0800, "ip"),
    (0x0805, "x25"),
    (0x0806, "arp"),
    (0x08FF, "bpq"),
    (0x0a00, "ieeepup"),
    (0x0a01, "ieeepupat"),
    (0x6000, "dec"),
    (0x6001, "dna_dl"),
    (0x6002, "dna_rc"),
    (0x6003, "dna_rt"),
    (0x6004, "lat"),
    (0x6005, "diag"),
    (0x6006, "cust"),
    (0x6007, "sca"),
    (0x8035, "rarp"),
    (0x809B, "atalk"),
    (0x80F3, "aarp"),
    (0x8137, "ipx"),
    (0x86DD, "ipv6"),
    (0x8863, "ppp_disc"),
    (0x8864, "ppp_ses"),
    (0x884c, "atmmpoa"),
    (0x8884, "atmfate"),
    (0x0001, "802_3"),
    (0x0002, "ax25"),
    (0x0003, "all"),
    (0x0004, "802_2"),
    (0x0005, "snap"),
    (0x0006, "ddcmp"),
    (0x0007, "wan_ppp"),
    (0x0008, "ppp_mp"),
    (0x0009, "localtalk"),
    (0x000C, "can"),
    (0x0010, "ppptalk"),
    (0x0011, "tr_802_2"),
    (0x0015, "mobitex"),
    (0x0016, "control"),
    (0x0017, "irda"),
    (0x0018, "econet"),
    (0x88CA, "tipc"),
    (0x8892, "profinet"),
    (0x88A2, "aoe"),
    (0x88A4, "ethercat"),
    (0x8100, "802.1Q"),
    (0x88A8, "802.1ad"),
    (0x8847, "mpls_uc"),
    (0x8848, "mpls_mc"),
    (0x6558, "teb"),
    (0x8902, "cfm"),
    (0x88cc, "LLDP"),
];

/// Netlink protocol names from iproute2's `lib/rt_names.c` (`nl_proto_tab`),
/// before `/etc/iproute2/nl_protos` overrides them.
const NL_PROTO_NAMES: &[(u8, &str)] = &[
    (0, "rtnl"),
    (1, "unused"),
    (2, "usersock"),
    (3, "fw"),
    (4, "tcpdiag"),
    (5, "nflog"),
    (6, "xfrm"),
    (7, "selinux"),
    (8, "iscsi"),
    (9, "audit"),
    (10, "fiblookup"),
    (11, "connector"),
    (12, "nft"),
    (13, "ip6fw"),
    (14, "dec-rt"),
    (15, "uevent"),
    (16, "genl"),
    (18, "scsi-trans"),
    (19, "ecryptfs"),
    (20, "rdma"),
    (21, "crypto"),
];

/// Name lookups with their caches; see the module documentation.
#[derive(Debug)]
pub struct Names {
    numeric: bool,
    proc_root: PathBuf,
    services: Option<HashMap<(u16, Transport), Box<str>>>,
    services_file: PathBuf,
    protocols: Option<HashMap<u16, Box<str>>>,
    ephemeral: Option<(i64, i64)>,
    ifnames: HashMap<u32, Box<str>>,
    hosts: HashMap<IpAddr, Option<Box<str>>>,
    nl_protos: Option<Vec<Option<Box<str>>>>,
    cgroups: Option<HashMap<u64, Box<str>>>,
    procs: HashMap<i32, Option<Box<str>>>,
}

impl Names {
    /// Lookups reading the system's files; `numeric` is `-n` (no service,
    /// protocol or netlink peer names). Host names (`-r`) are looked up only
    /// when asked for with [`host`](Self::host).
    pub fn new(numeric: bool) -> Names {
        Names {
            numeric,
            proc_root: std::env::var_os("PROC_ROOT")
                .map_or_else(|| PathBuf::from("/proc"), PathBuf::from),
            services: None,
            services_file: PathBuf::from(sockdiag::host::SERVICES_FILE),
            protocols: None,
            ephemeral: None,
            ifnames: HashMap::new(),
            hosts: HashMap::new(),
            nl_protos: None,
            cgroups: None,
            procs: HashMap::new(),
        }
    }

    /// Replaces `/etc/services` with `text` (same syntax); for tests and for
    /// callers that ship their own table.
    pub fn set_services(&mut self, text: &str) {
        self.services = Some(parse_services(text));
    }

    /// Replaces `/etc/protocols` with `text` (same syntax).
    pub fn set_protocols(&mut self, text: &str) {
        self.protocols = Some(parse_protocols(text));
    }

    /// Replaces `ip_local_port_range` (inclusive bounds).
    pub fn set_ephemeral_range(&mut self, lo: u16, hi: u16) {
        self.ephemeral = Some((lo as i64, hi as i64));
    }

    /// Sets the name printed for an interface index (a cache entry).
    pub fn set_ifname(&mut self, index: u32, name: &str) {
        self.ifnames.insert(index, name.into());
    }

    /// Sets the host name `-r` prints for an address (`None`: unresolvable).
    pub fn set_host(&mut self, addr: IpAddr, name: Option<&str>) {
        self.hosts.insert(addr, name.map(Into::into));
    }

    /// Sets the path printed for a cgroup id (a cache entry).
    pub fn set_cgroup(&mut self, id: u64, path: &str) {
        self.cgroups
            .get_or_insert_with(HashMap::new)
            .insert(id, path.into());
    }

    /// Uses `root` instead of `/proc` for netlink peers' command names.
    pub fn set_proc_root(&mut self, root: &Path) {
        self.proc_root = root.to_path_buf();
    }

    /// Turns `-n` on or off.
    pub fn set_numeric(&mut self, numeric: bool) {
        self.numeric = numeric;
    }

    /// Whether `-n` is in force.
    pub fn numeric(&self) -> bool {
        self.numeric
    }

    /// `ss`'s `is_ephemeral`: inside `ip_local_port_range` (read once;
    /// 1024–4999 when unreadable, as `ss` assumes).
    pub fn is_ephemeral(&mut self, port: u16) -> bool {
        let (lo, hi) = *self.ephemeral.get_or_insert_with(read_ephemeral_range);
        (lo..=hi).contains(&(port as i64))
    }

    /// `ss`'s `resolve_service`: `*` for port 0, the number with `-n`, the
    /// IP protocol name for raw sockets, the service name outside the
    /// ephemeral range, else the number.
    pub fn service(&mut self, port: u16, transport: Transport) -> Cow<'_, str> {
        if port == 0 {
            return Cow::Borrowed("*");
        }
        if self.numeric {
            return Cow::Owned(port.to_string());
        }
        if transport == Transport::Raw {
            // inet_proto_n2a: getprotobynumber, else "ipproto-N".
            let protos = self
                .protocols
                .get_or_insert_with(|| parse_protocols(&sockdiag::host::read_protocols()));
            return match protos.get(&port) {
                Some(n) => Cow::Borrowed(&**n),
                None => Cow::Owned(format!("ipproto-{port}")),
            };
        }
        if self.is_ephemeral(port) {
            return Cow::Owned(port.to_string());
        }
        let file = &self.services_file;
        let services = self
            .services
            .get_or_insert_with(|| parse_services(&read_text(file)));
        match services.get(&(port, transport)) {
            Some(n) => Cow::Borrowed(&**n),
            None => Cow::Owned(port.to_string()),
        }
    }

    /// iproute2's `ll_index_to_name`: the interface's name, `if<N>` when the
    /// index is unknown.
    pub fn ifname(&mut self, index: u32) -> &str {
        self.ifnames
            .entry(index)
            .or_insert_with(|| match crate::sys::interface_name(index) {
                Some(n) => n.into(),
                None => format!("if{index}").into(),
            })
    }

    /// iproute2's `resolve_address` for `-r`: the host name of `addr`, or
    /// `None` (print the number). IPv4-mapped IPv6 addresses are looked up
    /// as IPv4, as `ss` does. Answers, negative ones too, are cached.
    pub fn host(&mut self, addr: IpAddr) -> Option<&str> {
        let key = match addr {
            IpAddr::V6(a) => a.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            a => a,
        };
        self.hosts
            .entry(key)
            .or_insert_with(|| crate::sys::reverse_lookup(key).map(Into::into))
            .as_deref()
    }

    /// iproute2's `ll_proto_n2a` for packet sockets: the `ETH_P_*` name, or
    /// `[N]` (always with `-n`).
    pub fn eth_proto(&self, proto: u16) -> Cow<'static, str> {
        if !self.numeric
            && let Some(&(_, n)) = LL_PROTO_NAMES.iter().find(|&&(id, _)| id == proto)
        {
            return Cow::Borrowed(n);
        }
        Cow::Owned(format!("[{proto}]"))
    }

    /// iproute2's `nl_proto_n2a`: `rtnl`, `tcpdiag`, … (overridable in
    /// `/etc/iproute2/nl_protos`), the number with `-n` or when unnamed.
    pub fn netlink_proto(&mut self, proto: u8) -> Cow<'_, str> {
        if self.numeric {
            return Cow::Owned(proto.to_string());
        }
        let tab = self.nl_protos.get_or_insert_with(load_nl_protos);
        match tab.get(proto as usize).and_then(|n| n.as_deref()) {
            Some(n) => Cow::Borrowed(n),
            None => Cow::Owned(proto.to_string()),
        }
    }

    /// What `ss` prints for a netlink socket's port id (`netlink_show_one`):
    /// `*` for -1, the number with `-n`, `kernel` for 0, `comm/pid` when a
    /// process with that pid exists (command cut at the first `)`, as `ss`
    /// reads it), else the number (signed).
    pub fn netlink_port(&mut self, portid: u32) -> String {
        let pid = portid as i32;
        if pid == -1 {
            return "*".to_string();
        }
        if self.numeric {
            return pid.to_string();
        }
        if pid == 0 {
            return "kernel".to_string();
        }
        if pid > 0 {
            let root = &self.proc_root;
            let name = self.procs.entry(pid).or_insert_with(|| {
                let stat = std::fs::read(root.join(pid.to_string()).join("stat")).ok()?;
                let mut s = String::from_utf8_lossy(stat_comm(&stat)?).into_owned();
                s.push('/');
                s.push_str(&pid.to_string());
                // procname[64] in ss
                truncate_bytes(&mut s, 63);
                Some(s.into())
            });
            if let Some(n) = name {
                return n.to_string();
            }
        }
        pid.to_string()
    }

    /// iproute2's `cg_id_to_path`: the cgroup v2 path of an id, relative to
    /// the cgroup2 mount (`/` for the root), or `unreachable:<hex id>`.
    pub fn cgroup_path(&mut self, id: u64) -> Cow<'_, str> {
        let map = self.cgroups.get_or_insert_with(load_cgroups);
        match map.get(&id) {
            Some(p) => Cow::Borrowed(&**p),
            None => Cow::Owned(format!("unreachable:{id:x}")),
        }
    }
}

fn truncate_bytes(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

fn read_text(path: impl AsRef<Path>) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// `/etc/services` as glibc's files backend reads it: `name port/proto
/// aliases… # comment`; the first line for a (port, proto) wins.
fn parse_services(text: &str) -> HashMap<(u16, Transport), Box<str>> {
    let mut m = HashMap::new();
    for s in sockdiag::host::parse_services(text) {
        let t = match s.protocol {
            "tcp" => Transport::Tcp,
            "udp" => Transport::Udp,
            _ => continue,
        };
        m.entry((s.port, t)).or_insert_with(|| s.name.into());
    }
    m
}

/// `/etc/protocols`: `name number aliases…`; the first line for a number wins.
fn parse_protocols(text: &str) -> HashMap<u16, Box<str>> {
    let mut m = HashMap::new();
    for (num, name) in sockdiag::host::parse_protocols(text) {
        m.entry(num).or_insert_with(|| name.into());
    }
    m
}

/// `ss`'s `ephemeral_ports_open`: `$PROC_IP_LOCAL_PORT_RANGE`, else
/// `$PROC_ROOT/sys/net/ipv4/ip_local_port_range`; two integers, else
/// 1024–4999.
fn read_ephemeral_range() -> (i64, i64) {
    let path = match std::env::var_os("PROC_IP_LOCAL_PORT_RANGE") {
        Some(p) => PathBuf::from(p),
        None => sockdiag::host::port_range_file(
            &std::env::var_os("PROC_ROOT").map_or_else(|| PathBuf::from("/proc"), PathBuf::from),
        ),
    };
    sockdiag::host::read_port_range(&path)
        .map_or((1024, 4999), |(lo, hi)| (i64::from(lo), i64::from(hi)))
}

/// `scanf("%*d (%[^)])")` on `/proc/PID/stat`: the command between the
/// first `(` and the next `)`.
fn stat_comm(stat: &[u8]) -> Option<&[u8]> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let head = std::str::from_utf8(&stat[..open]).ok()?.trim();
    head.parse::<i64>().ok()?;
    let rest = &stat[open + 1..];
    let end = rest.iter().position(|&b| b == b')').unwrap_or(rest.len());
    if end == 0 { None } else { Some(&rest[..end]) }
}

/// iproute2's `rtnl_tab_initialize` over `nl_protos`: `/etc/iproute2`
/// first, `/usr/share/iproute2` when that is missing.
fn load_nl_protos() -> Vec<Option<Box<str>>> {
    let mut tab: Vec<Option<Box<str>>> = vec![None; 256];
    for &(id, n) in NL_PROTO_NAMES {
        tab[id as usize] = Some(n.into());
    }
    if let Some(text) = sockdiag::host::read_nl_protos() {
        apply_rt_tab(&mut tab, &text);
    }
    tab
}

/// One iproute2 `rt_*` table file: `ID NAME` lines (ID decimal or `0x` hex),
/// `#` comments; a malformed line ends the reading, as in iproute2.
fn apply_rt_tab(tab: &mut [Option<Box<str>>], text: &str) {
    for line in text.lines() {
        let line = line.trim_start_matches([' ', '\t']);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut it = line.split_whitespace();
        let (Some(id), Some(name)) = (it.next(), it.next()) else {
            return;
        };
        let id = match id.strip_prefix("0x") {
            Some(h) => i64::from_str_radix(h, 16).ok(),
            None => id.parse::<i64>().ok(),
        };
        let Some(id) = id else { return };
        if let Some(slot) = usize::try_from(id).ok().and_then(|i| tab.get_mut(i)) {
            *slot = Some(name.into());
        }
    }
}

/// iproute2's `cg_init_map`: every cgroup v2 id and its path
/// ([`sockdiag::host::cgroup_paths`]); the first path of an id wins.
fn load_cgroups() -> HashMap<u64, Box<str>> {
    let mut map = HashMap::new();
    for (id, path) in sockdiag::host::cgroup_paths() {
        map.entry(id).or_insert_with(|| path.into_boxed_str());
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICES: &str = "\
# comment
ssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol
domain\t\t53/tcp
domain\t\t53/udp
http\t\t80/tcp\t\twww
x11\t\t6000/tcp\tx11-0
socks\t\t1080/tcp
dup\t\t22/tcp
";

    #[test]
    fn services_like_resolve_service() {
        let mut n = Names::new(false);
        n.set_services(SERVICES);
        n.set_ephemeral_range(32768, 60999);
        assert_eq!(n.service(0, Transport::Tcp), "*");
        assert_eq!(n.service(22, Transport::Tcp), "ssh");
        assert_eq!(n.service(22, Transport::Udp), "22");
        assert_eq!(n.service(53, Transport::Udp), "domain");
        assert_eq!(n.service(80, Transport::Tcp), "http");
        assert_eq!(n.service(8080, Transport::Tcp), "8080");
        // Inside ip_local_port_range no name is looked up.
        n.set_ephemeral_range(1000, 2000);
        assert_eq!(n.service(1080, Transport::Tcp), "1080");
        let mut num = Names::new(true);
        num.set_services(SERVICES);
        assert_eq!(num.service(22, Transport::Tcp), "22");
        assert_eq!(num.service(0, Transport::Tcp), "*");
    }

    #[test]
    fn raw_ports_are_ip_protocols() {
        let mut n = Names::new(false);
        n.set_protocols("ip\t0\tIP\nicmp\t1\tICMP\nipv6-icmp 58 IPv6-ICMP\n");
        assert_eq!(n.service(1, Transport::Raw), "icmp");
        assert_eq!(n.service(58, Transport::Raw), "ipv6-icmp");
        assert_eq!(n.service(253, Transport::Raw), "ipproto-253");
        assert_eq!(Names::new(true).service(1, Transport::Raw), "1");
        // The table given replaces /etc/protocols.
        n.set_protocols("rss-test-proto 1\n");
        assert_eq!(n.service(1, Transport::Raw), "rss-test-proto");
        assert_eq!(n.service(58, Transport::Raw), "ipproto-58");
        assert!(!n.numeric());
        assert!(Names::new(true).numeric());
        n.set_numeric(true);
        assert!(n.numeric());
    }

    #[test]
    fn port_range_file() {
        use sockdiag::host::parse_port_range;
        assert_eq!(parse_port_range("32768\t60999\n"), Some((32768, 60999)));
        assert_eq!(parse_port_range(""), None);
        assert_eq!(parse_port_range("x y"), None);
    }

    #[test]
    fn eth_and_netlink_protocols() {
        let n = Names::new(false);
        assert_eq!(n.eth_proto(0x0800), "ip");
        assert_eq!(n.eth_proto(0x86DD), "ipv6");
        assert_eq!(n.eth_proto(0x0806), "arp");
        assert_eq!(n.eth_proto(0x8100), "802.1Q");
        assert_eq!(n.eth_proto(0x88cc), "LLDP");
        assert_eq!(n.eth_proto(0x1234), "[4660]");
        assert_eq!(Names::new(true).eth_proto(0x0800), "[2048]");
        let mut tab: Vec<Option<Box<str>>> = vec![None; 256];
        apply_rt_tab(
            &mut tab,
            "# x\n0   rtnl\n0x4 tcpdiag\n 16\tgenl # c\nbad line\n21 crypto\n",
        );
        assert_eq!(tab[0].as_deref(), Some("rtnl"));
        assert_eq!(tab[4].as_deref(), Some("tcpdiag"));
        assert_eq!(tab[16].as_deref(), Some("genl"));
        assert_eq!(tab[21], None, "reading stops at a malformed line");
        let mut n = Names::new(false);
        assert_eq!(n.netlink_proto(0), "rtnl");
        assert_eq!(n.netlink_proto(4), "tcpdiag");
        assert_eq!(n.netlink_proto(200), "200");
        assert_eq!(Names::new(true).netlink_proto(4), "4");
    }

    #[test]
    fn netlink_ports() {
        let dir = std::env::temp_dir().join(format!("rss-names-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("4242")).unwrap();
        std::fs::write(dir.join("4242/stat"), "4242 (my) prog) S 1 2 3\n").unwrap();
        let mut n = Names::new(false);
        n.set_proc_root(&dir);
        assert_eq!(n.netlink_port(0), "kernel");
        assert_eq!(n.netlink_port(u32::MAX), "*");
        assert_eq!(n.netlink_port(4242), "my/4242");
        assert_eq!(n.netlink_port(4243), "4243");
        assert_eq!(n.netlink_port(-4096i32 as u32), "-4096");
        let mut num = Names::new(true);
        num.set_proc_root(&dir);
        assert_eq!(num.netlink_port(4242), "4242");
        assert_eq!(num.netlink_port(0), "0");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn stat_comm_like_scanf() {
        assert_eq!(stat_comm(b"1 (systemd) S 0"), Some(&b"systemd"[..]));
        assert_eq!(stat_comm(b"1 (a b) S"), Some(&b"a b"[..]));
        assert_eq!(stat_comm(b"1 () S"), None);
        assert_eq!(stat_comm(b"x (a) S"), None);
    }

    #[test]
    fn interfaces_and_cgroups() {
        let mut n = Names::new(false);
        assert_eq!(n.ifname(1), "lo");
        assert_eq!(n.ifname(999_999), "if999999");
        n.set_cgroup(77, "/system.slice");
        assert_eq!(n.cgroup_path(77), "/system.slice");
        assert_eq!(n.cgroup_path(0xdead_beef_0000), "unreachable:deadbeef0000");
    }

    /// `ss` prints `procname[64]`: the command, `/` and the pid cut at 63
    /// bytes by `snprintf`; rss cuts at the char boundary at or below that.
    #[test]
    fn netlink_port_names_are_cut_at_63_bytes() {
        let dir = std::env::temp_dir().join(format!("rss-names-cut-{}", std::process::id()));
        let long = "c".repeat(60);
        let wide = format!("{}\u{e9}", "w".repeat(62));
        for (pid, comm) in [(4242, &long), (4243, &wide)] {
            std::fs::create_dir_all(dir.join(pid.to_string())).unwrap();
            std::fs::write(
                dir.join(format!("{pid}/stat")),
                format!("{pid} ({comm}) S 1\n"),
            )
            .unwrap();
        }
        let mut n = Names::new(false);
        n.set_proc_root(&dir);
        assert_eq!(n.netlink_port(4242), format!("{long}/42"));
        assert_eq!(n.netlink_port(4243), "w".repeat(62));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn text_files_read_lossily_or_as_empty() {
        let path = std::env::temp_dir().join(format!("rss-names-text-{}", std::process::id()));
        std::fs::write(&path, b"tcp 6 TCP\n\xff\n").unwrap();
        assert_eq!(read_text(&path), "tcp 6 TCP\n\u{fffd}\n");
        std::fs::remove_file(&path).unwrap();
        assert_eq!(read_text(&path), "");
    }

    /// Unset, the ephemeral range is the running kernel's
    /// `ip_local_port_range`, bounds included.
    #[test]
    fn ephemeral_range_is_the_kernels() {
        let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap();
        let mut it = text.split_whitespace().map(|v| v.parse::<i64>().unwrap());
        let (lo, hi) = (it.next().unwrap(), it.next().unwrap());
        assert_eq!(read_ephemeral_range(), (lo, hi));
        let mut n = Names::new(false);
        n.set_ephemeral_range(1000, 2000);
        assert!(!n.is_ephemeral(999));
        assert!(n.is_ephemeral(1000));
        assert!(n.is_ephemeral(2000));
        assert!(!n.is_ephemeral(2001));
    }

    #[test]
    fn protocols_and_services_files() {
        let p = parse_protocols("# c\nicmp 1 ICMP # x\nbad\nnan x\nother 1\n  tcp\t6\n");
        assert_eq!(p.len(), 2);
        assert_eq!(p[&1].as_ref(), "icmp");
        assert_eq!(p[&6].as_ref(), "tcp");
        let s = parse_services(SERVICES);
        assert_eq!(s.len(), 6);
        assert_eq!(s[&(22, Transport::Tcp)].as_ref(), "ssh");
        assert_eq!(s[&(53, Transport::Udp)].as_ref(), "domain");
    }

    #[test]
    fn rt_tab_skips_blank_lines_and_ids_out_of_range() {
        let mut tab: Vec<Option<Box<str>>> = vec![None; 256];
        apply_rt_tab(&mut tab, "\n\t# c\n-1 neg\n256 big\n0x1f hex\n17 last\n");
        assert_eq!(tab[31].as_deref(), Some("hex"));
        assert_eq!(tab[17].as_deref(), Some("last"));
        assert_eq!(tab.iter().flatten().count(), 2);
        // The built-in names, with /etc/iproute2/nl_protos applied over them.
        let tab = load_nl_protos();
        assert_eq!(tab[0].as_deref(), Some("rtnl"));
        assert_eq!(tab[21].as_deref(), Some("crypto"));
        assert_eq!(tab[17], None);
    }

    /// The cgroup2 mount's root is `/` and a cgroup made under it is named
    /// by its path from there.
    #[test]
    fn cgroups_are_walked_from_the_cgroup2_mount() {
        use std::os::unix::fs::MetadataExt;
        testkit::require_privileged!();
        let mounts = std::fs::read_to_string("/proc/mounts").unwrap();
        let mnt =
            PathBuf::from(sockdiag::host::parse_cgroup2_mount(&mounts).expect("a cgroup2 mount"));
        let sub = mnt.join(format!("rss-names-{}", std::process::id()));
        let inner = sub.join("inner");
        std::fs::create_dir_all(&inner).unwrap();
        let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();
        let (root, sub_ino, inner_ino) = (ino(&mnt), ino(&sub), ino(&inner));
        let map = load_cgroups();
        std::fs::remove_dir(&inner).unwrap();
        std::fs::remove_dir(&sub).unwrap();
        assert_eq!(map.get(&root).map(AsRef::as_ref), Some("/"));
        let name = sub.file_name().unwrap().to_str().unwrap();
        assert_eq!(
            map.get(&sub_ino).map(AsRef::as_ref),
            Some(&*format!("/{name}"))
        );
        assert_eq!(
            map.get(&inner_ino).map(AsRef::as_ref),
            Some(&*format!("/{name}/inner"))
        );
    }

    #[test]
    fn hosts_are_cached_and_mapped() {
        let mut n = Names::new(false);
        n.set_host("127.0.0.1".parse().unwrap(), Some("localhost"));
        assert_eq!(n.host("127.0.0.1".parse().unwrap()), Some("localhost"));
        assert_eq!(
            n.host("::ffff:127.0.0.1".parse().unwrap()),
            Some("localhost")
        );
        n.set_host("192.0.2.1".parse().unwrap(), None);
        assert_eq!(n.host("192.0.2.1".parse().unwrap()), None);
    }
}
