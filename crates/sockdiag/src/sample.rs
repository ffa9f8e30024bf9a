//! Samples over time: the sockets of a namespace and its kernel counters,
//! taken again and again, with each socket matched across samples.
//!
//! This is the one sampler behind `rss doctor`, `rss --watch`, `rss top`
//! and the exporter. A [`Sampler`] owns one netlink connection (opened in
//! the namespace examined) and the namespace's counter files, opened once
//! *inside* that namespace, so every later read is that namespace's
//! (`/proc/net` files and `/proc/sys/net` sysctls bind to the namespace of
//! the thread that opens them). Each [`Sampler::sample`] is exactly one
//! dump, whatever the caller later asks of it: rules never dump again.
//!
//! A [`Sample`] holds:
//! - the sockets of the query (with `tcp_info`, congestion, memory and
//!   timers unless [`SampleOptions`] turns them off; processes when asked);
//! - [`Counters`]: every value of `/proc/net/netstat`, `/proc/net/snmp` and
//!   `/proc/net/snmp6`, named `Section.Key` (`TcpExt.ListenOverflows`,
//!   `Tcp.OutRsts`, `Udp6.RcvbufErrors`);
//! - [`Limits`]: the sysctls that bound socket counts
//!   (`tcp_max_tw_buckets`, `ip_local_port_range`).
//!
//! Matching: a socket is the same across samples when its [`SocketKey`] is:
//! the kernel's cookie when the source has one (netlink always does), else
//! (the `/proc/net` fallbacks) its table, inode and addresses. [`track`]
//! follows every socket through a run of samples, [`Sample::delta`]
//! compares two.
//!
//! This module does I/O only in [`Sampler`]; [`Counters::parse`],
//! [`track`] and [`Delta`] are pure and work on recorded samples.
//!
//! ```no_run
//! use std::time::Duration;
//! use sockdiag::sample::{SampleOptions, Sampler, track};
//! use sockdiag::Query;
//!
//! let mut sampler = Sampler::new(Query::tcp(), None, SampleOptions::default())?;
//! let samples = sampler.take(3, Duration::from_secs(1))?;
//! for t in track(&samples).iter().filter(|t| t.persisted()) {
//!     let last = t.latest().unwrap();
//!     println!("{:?} Recv-Q {:?}", last.local, t.values(|s| s.recv_q));
//! }
//! let d = samples[2].delta(&samples[0]);
//! println!("ListenOverflows +{}", d.counters.value("TcpExt.ListenOverflows"));
//! # Ok::<(), sockdiag::Error>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[cfg(feature = "serde")]
use serde::Serializer;

use crate::error::{Error, Result};
use crate::model::{Endpoint, Socket, Table};
use crate::netns::NetNs;
use crate::process::{ProcessMap, ProcessMapOptions};
use crate::{Connection, Query, Source};

/// What a [`Sampler`] asks for besides the sockets themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SampleOptions {
    /// Ask for `tcp_info`, congestion control and Vegas info (default on).
    pub info: bool,
    /// Ask for socket memory, `skmem` (default on).
    pub memory: bool,
    /// Ask unix listeners for their pending connections (default off).
    pub unix_icons: bool,
    /// Walk `/proc/*/fd` after each dump and attach the holders of each
    /// socket (default off: it costs more than the dump, in proportion to
    /// every descriptor on the host; for a run of samples,
    /// [`attach_processes`] walks once for all of them).
    pub processes: bool,
    /// Read the namespace's counters and limits with each sample (default on).
    pub counters: bool,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            info: true,
            memory: true,
            unix_icons: false,
            processes: false,
            counters: true,
        }
    }
}

impl SampleOptions {
    /// Attaches processes to every sample.
    pub fn processes(mut self, on: bool) -> Self {
        self.processes = on;
        self
    }

    /// Reads counters and limits (or not).
    pub fn counters(mut self, on: bool) -> Self {
        self.counters = on;
        self
    }

    /// Asks for `tcp_info` (or not).
    pub fn info(mut self, on: bool) -> Self {
        self.info = on;
        self
    }

    /// Asks for socket memory (or not).
    pub fn memory(mut self, on: bool) -> Self {
        self.memory = on;
        self
    }
}

/// Named kernel counters of one namespace: `Section.Key` → value.
///
/// `netstat` and `snmp` give `TcpExt.ListenOverflows`, `Tcp.OutRsts`,
/// `Udp.RcvbufErrors`, …; `snmp6` (one `Name value` per line) gives
/// `Ip6.*`, `Icmp6.*`, `Udp6.*` and `UdpLite6.*` (`Udp6RcvbufErrors` becomes
/// `Udp6.RcvbufErrors`). Negative values (`Tcp.MaxConn` is `-1`) and words
/// that are not numbers are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Counters(BTreeMap<String, u64>);

/// The snmp6 prefixes split off into a section name.
const SNMP6_SECTIONS: [&str; 5] = ["UdpLite6", "Icmp6", "Udp6", "Ip6", "Tcp6"];

impl Counters {
    /// No counters.
    pub fn new() -> Counters {
        Counters::default()
    }

    /// Parses `/proc/net/netstat`, `/proc/net/snmp` (both `Section: keys` /
    /// `Section: values` line pairs) and `/proc/net/snmp6`; any of them may
    /// be empty. Lines that do not parse are skipped.
    pub fn parse(netstat: &str, snmp: &str, snmp6: &str) -> Counters {
        let mut c = Counters::default();
        for text in [netstat, snmp] {
            let mut lines = text.lines();
            while let Some(keys) = lines.next() {
                let Some((section, keys)) = keys.split_once(':') else {
                    continue;
                };
                let Some(values) = lines.next() else { break };
                let Some((vsection, values)) = values.split_once(':') else {
                    continue;
                };
                if vsection != section {
                    continue;
                }
                for (k, v) in keys.split_whitespace().zip(values.split_whitespace()) {
                    if let Ok(v) = v.parse::<u64>() {
                        c.0.insert(format!("{section}.{k}"), v);
                    }
                }
            }
        }
        for line in snmp6.lines() {
            let mut words = line.split_whitespace();
            let (Some(name), Some(value)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(value) = value.parse::<u64>() else {
                continue;
            };
            let key = match SNMP6_SECTIONS
                .iter()
                .find(|p| name.len() > p.len() && name.starts_with(*p))
            {
                Some(p) => format!("{p}.{}", &name[p.len()..]),
                None => format!("Snmp6.{name}"),
            };
            c.0.insert(key, value);
        }
        c
    }

    /// A counter by name (`"TcpExt.ListenOverflows"`), if the kernel has it.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.0.get(name).copied()
    }

    /// A counter by name, 0 when missing.
    pub fn value(&self, name: &str) -> u64 {
        self.get(name).unwrap_or(0)
    }

    /// Sets a counter (recorded or constructed samples).
    pub fn insert(&mut self, name: impl Into<String>, value: u64) {
        self.0.insert(name.into(), value);
    }

    /// Every counter, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> + '_ {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// Number of counters.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none (counters were not read).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How much each counter of `self` rose since `earlier` (0 where it
    /// went backwards; a counter `earlier` lacks counts from 0).
    pub fn rise_since(&self, earlier: &Counters) -> Counters {
        Counters(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), v.saturating_sub(earlier.value(k))))
                .collect(),
        )
    }
}

/// Sysctls of the namespace that bound how many sockets it may hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Limits {
    /// `net.ipv4.tcp_max_tw_buckets`: most TIME-WAIT sockets kept.
    pub tcp_max_tw_buckets: Option<u64>,
    /// `net.ipv4.ip_local_port_range`: the ephemeral ports, inclusive.
    pub ip_local_port_range: Option<(u16, u16)>,
}

impl Limits {
    /// Number of ephemeral ports (`hi - lo + 1`), if known.
    pub fn local_ports(&self) -> Option<u32> {
        self.ip_local_port_range
            .map(|(lo, hi)| u32::from(hi.saturating_sub(lo)) + 1)
    }

    /// Parses the two sysctl files' text.
    pub fn parse(max_tw_buckets: &str, local_port_range: &str) -> Limits {
        Limits {
            tcp_max_tw_buckets: max_tw_buckets.trim().parse().ok(),
            ip_local_port_range: crate::host::parse_port_range(local_port_range),
        }
    }
}

/// The sockets and counters of one namespace at one moment.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Sample {
    /// 0 for a sampler's first sample, then 1, 2, …
    pub seq: u64,
    /// Wall-clock time the dump started (serialised as ms since the epoch).
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_system_time"))]
    pub taken_at: SystemTime,
    /// Monotonic time since the sampler's first sample (serialised in ms):
    /// use this, not `taken_at`, for intervals and rates.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_duration_ms"))]
    pub elapsed: Duration,
    /// The sockets, in dump order.
    pub sockets: Vec<Socket>,
    /// The namespace's counters (empty when not read).
    pub counters: Counters,
    /// The namespace's limits (unknown when not read).
    pub limits: Limits,
    /// True when some table came from a `/proc/net` file instead of
    /// netlink (sockets then carry no cookie and less detail).
    pub from_proc: bool,
}

#[cfg(feature = "serde")]
fn ser_system_time<S: Serializer>(t: &SystemTime, s: S) -> std::result::Result<S::Ok, S::Error> {
    let ms = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    s.serialize_u64(ms)
}

#[cfg(feature = "serde")]
fn ser_duration_ms<S: Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

impl Sample {
    /// A sample built by hand (tests, recorded data): `seq`, `elapsed`,
    /// sockets; no counters, unknown limits, `taken_at` the epoch plus
    /// `elapsed`.
    pub fn new(seq: u64, elapsed: Duration, sockets: Vec<Socket>) -> Sample {
        Sample {
            seq,
            taken_at: UNIX_EPOCH + elapsed,
            elapsed,
            sockets,
            counters: Counters::default(),
            limits: Limits::default(),
            from_proc: false,
        }
    }

    /// The same sample with these counters.
    pub fn with_counters(mut self, counters: Counters) -> Sample {
        self.counters = counters;
        self
    }

    /// The same sample with these limits.
    pub fn with_limits(mut self, limits: Limits) -> Sample {
        self.limits = limits;
        self
    }

    /// Finds a socket by key.
    pub fn get(&self, key: &SocketKey) -> Option<&Socket> {
        self.sockets.iter().find(|s| SocketKey::of(s) == *key)
    }

    /// Attaches to every socket the processes holding it (one walk of
    /// `/proc/*/fd`, recording only this sample's inodes).
    pub fn attach_processes(&mut self) -> Result<()> {
        let inodes = self.sockets.iter().map(|s| s.inode).filter(|&i| i != 0);
        let map = ProcessMap::build(&ProcessMapOptions::new().wanted(inodes))?;
        for s in &mut self.sockets {
            map.attach(s);
        }
        Ok(())
    }

    /// What changed from `earlier` to this sample.
    pub fn delta<'a>(&'a self, earlier: &'a Sample) -> Delta<'a> {
        let before: HashMap<SocketKey, &Socket> = earlier
            .sockets
            .iter()
            .map(|s| (SocketKey::of(s), s))
            .collect();
        let mut kept = Vec::new();
        let mut appeared = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for s in &self.sockets {
            let k = SocketKey::of(s);
            seen.insert(k);
            match before.get(&k) {
                Some(old) => kept.push((*old, s)),
                None => appeared.push(s),
            }
        }
        let vanished = earlier
            .sockets
            .iter()
            .filter(|s| !seen.contains(&SocketKey::of(s)))
            .collect();
        Delta {
            interval: self.elapsed.saturating_sub(earlier.elapsed),
            kept,
            appeared,
            vanished,
            counters: self.counters.rise_since(&earlier.counters),
        }
    }
}

/// Attaches processes to every socket of a run of samples with one walk of
/// `/proc/*/fd` (recording only the inodes the samples hold), after the
/// samples were taken: the walk costs in proportion to every descriptor of
/// the host, so doing it once keeps the samples' spacing honest. A socket
/// closed before the walk gets no process.
pub fn attach_processes(samples: &mut [Sample]) -> Result<()> {
    let inodes: std::collections::HashSet<u64> = samples
        .iter()
        .flat_map(|s| s.sockets.iter().map(|s| s.inode))
        .filter(|&i| i != 0)
        .collect();
    let map = ProcessMap::build(&ProcessMapOptions::new().wanted(inodes))?;
    for s in samples.iter_mut().flat_map(|s| s.sockets.iter_mut()) {
        map.attach(s);
    }
    Ok(())
}

/// What identifies one socket across samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum SocketKey {
    /// The kernel's socket cookie (netlink sources): unique per boot.
    Cookie(u64),
    /// For sources without cookies (`/proc/net`): table, inode (0 for
    /// TIME-WAIT and request sockets) and both addresses (inet only).
    Fallback {
        /// The table.
        table: Table,
        /// The inode.
        inode: u64,
        /// Local address and port (inet).
        local: Option<SocketAddr>,
        /// Peer address and port (inet).
        peer: Option<SocketAddr>,
    },
}

impl SocketKey {
    /// The key of a socket.
    pub fn of(s: &Socket) -> SocketKey {
        match s.cookie {
            Some(c) => SocketKey::Cookie(c),
            None => SocketKey::Fallback {
                table: s.netid,
                inode: s.inode,
                local: inet(&s.local),
                peer: inet(&s.peer),
            },
        }
    }
}

fn inet(e: &Endpoint) -> Option<SocketAddr> {
    match *e {
        Endpoint::Inet { addr, port } => Some(SocketAddr::new(addr, port)),
        _ => None,
    }
}

/// What changed between two samples ([`Sample::delta`]).
#[derive(Debug, Clone)]
pub struct Delta<'a> {
    /// Monotonic time between the two samples.
    pub interval: Duration,
    /// Sockets in both: (earlier, later).
    pub kept: Vec<(&'a Socket, &'a Socket)>,
    /// Sockets only in the later sample.
    pub appeared: Vec<&'a Socket>,
    /// Sockets only in the earlier sample.
    pub vanished: Vec<&'a Socket>,
    /// How much each counter rose.
    pub counters: Counters,
}

/// One socket followed through a run of samples ([`track`]).
#[derive(Debug, Clone)]
pub struct Track<'a> {
    /// Its key.
    pub key: SocketKey,
    /// The socket in each sample, `None` where it was absent.
    pub seen: Vec<Option<&'a Socket>>,
}

impl<'a> Track<'a> {
    /// True when the socket was in every sample.
    pub fn persisted(&self) -> bool {
        self.seen.iter().all(Option::is_some)
    }

    /// In how many samples it was.
    pub fn count(&self) -> usize {
        self.seen.iter().filter(|s| s.is_some()).count()
    }

    /// Its last appearance.
    pub fn latest(&self) -> Option<&'a Socket> {
        self.seen.iter().rev().find_map(|s| *s)
    }

    /// Its first appearance.
    pub fn first(&self) -> Option<&'a Socket> {
        self.seen.iter().find_map(|s| *s)
    }

    /// Its appearances, in order.
    pub fn present(&self) -> impl Iterator<Item = &'a Socket> + '_ {
        self.seen.iter().filter_map(|s| *s)
    }

    /// A value read from each appearance, in order (absent samples skipped).
    pub fn values<T>(&self, f: impl Fn(&Socket) -> T) -> Vec<T> {
        self.present().map(f).collect()
    }
}

/// Follows every socket through `samples`: one [`Track`] per key, in the
/// order sockets first appear (dump order within a sample).
pub fn track(samples: &[Sample]) -> Vec<Track<'_>> {
    let mut index: HashMap<SocketKey, usize> = HashMap::new();
    let mut tracks: Vec<Track<'_>> = Vec::new();
    for (i, sample) in samples.iter().enumerate() {
        for s in &sample.sockets {
            let key = SocketKey::of(s);
            let t = *index.entry(key).or_insert_with(|| {
                tracks.push(Track {
                    key,
                    seen: vec![None; samples.len()],
                });
                tracks.len() - 1
            });
            // A key twice in one dump (a table changing under the dump):
            // the first stays.
            if tracks[t].seen[i].is_none() {
                tracks[t].seen[i] = Some(s);
            }
        }
    }
    tracks
}

/// Files of the namespace, opened inside it once and re-read per sample.
#[derive(Debug)]
struct CounterFiles {
    netstat: Option<File>,
    snmp: Option<File>,
    snmp6: Option<File>,
    max_tw: Option<File>,
    port_range: Option<File>,
}

const NET_DIR: &str = crate::host::PROC_NET;
const SYSCTL_TW: &str = "net.ipv4.tcp_max_tw_buckets";

impl CounterFiles {
    /// Opens the files in the calling thread's namespace. `snmp` and
    /// `netstat` must exist; the others may not (no IPv6, no sysctl).
    fn open() -> Result<CounterFiles> {
        let must = |name: &str| {
            let path = Path::new(NET_DIR).join(name);
            File::open(&path)
                .map(Some)
                .map_err(|source| Error::File { path, source })
        };
        let sysctl = |key: &str| File::open(crate::host::sysctl_file(Path::new("/proc"), key)).ok();
        Ok(CounterFiles {
            netstat: must("netstat")?,
            snmp: must("snmp")?,
            snmp6: File::open(Path::new(NET_DIR).join("snmp6")).ok(),
            max_tw: sysctl(SYSCTL_TW),
            port_range: File::open(crate::host::port_range_file(Path::new("/proc"))).ok(),
        })
    }

    fn read(&mut self) -> Result<(Counters, Limits)> {
        let netstat = reread(&mut self.netstat, "netstat")?;
        let snmp = reread(&mut self.snmp, "snmp")?;
        let snmp6 = reread(&mut self.snmp6, "snmp6").unwrap_or_default();
        let tw = reread(&mut self.max_tw, SYSCTL_TW).unwrap_or_default();
        let ports = reread(&mut self.port_range, "ip_local_port_range").unwrap_or_default();
        Ok((
            Counters::parse(&netstat, &snmp, &snmp6),
            Limits::parse(&tw, &ports),
        ))
    }
}

/// Reads a proc file again from its start (empty when it was not opened).
fn reread(file: &mut Option<File>, name: &str) -> Result<String> {
    let Some(f) = file else {
        return Ok(String::new());
    };
    let mut text = String::new();
    f.seek(SeekFrom::Start(0))
        .and_then(|_| f.read_to_string(&mut text))
        .map_err(|source| Error::File {
            path: Path::new(NET_DIR).join(name),
            source,
        })?;
    Ok(text)
}

/// Takes [`Sample`]s of one query in one namespace: one dump per sample.
///
/// The connection and the counter files are opened once, in the namespace,
/// by [`Sampler::new`]; a namespace or permission problem shows there. The
/// sampler does not keep the [`NetNs`]: what it opened stays bound to the
/// namespace.
#[derive(Debug)]
pub struct Sampler {
    query: Query,
    conn: Connection,
    files: Option<CounterFiles>,
    opts: SampleOptions,
    first: Option<Instant>,
    seq: u64,
}

impl Sampler {
    /// A sampler of `query` in `ns` (or the caller's namespace), as `opts`
    /// say (extensions are added to the query: `tcp_info` and memory unless
    /// turned off).
    ///
    /// ```no_run
    /// use sockdiag::sample::{SampleOptions, Sampler};
    /// use sockdiag::{NetNs, Query};
    ///
    /// let ns = NetNs::named("lab")?;
    /// let mut sampler = Sampler::new(Query::tcp(), Some(&ns), SampleOptions::default())?;
    /// let sample = sampler.sample()?;
    /// println!("{} sockets in {}", sample.sockets.len(), ns.path().display());
    /// # Ok::<(), sockdiag::Error>(())
    /// ```
    pub fn new(query: Query, ns: Option<&NetNs>, opts: SampleOptions) -> Result<Sampler> {
        let mut query = query;
        if opts.info {
            query = query.with_info();
        }
        if opts.memory {
            query = query.with_memory();
        }
        if opts.unix_icons {
            query = query.with_unix_icons();
        }
        let conn = Connection::open(ns)?;
        let files = if opts.counters {
            Some(match ns {
                Some(ns) => ns.run(CounterFiles::open)??,
                None => CounterFiles::open()?,
            })
        } else {
            None
        };
        Ok(Sampler {
            query,
            conn,
            files,
            opts,
            first: None,
            seq: 0,
        })
    }

    /// The query each sample runs (with the extensions added).
    pub fn query(&self) -> &Query {
        &self.query
    }

    /// The options.
    pub fn options(&self) -> &SampleOptions {
        &self.opts
    }

    /// Takes one sample: one dump, then the counters, then (if asked) the
    /// processes. A table the kernel cannot answer at all is left out; any
    /// other error ends the sample.
    pub fn sample(&mut self) -> Result<Sample> {
        let now = Instant::now();
        let first = *self.first.get_or_insert(now);
        let taken_at = SystemTime::now();
        let mut sockets = Vec::new();
        let mut from_proc = false;
        {
            let mut dump = self.conn.dump(&self.query);
            for s in dump.by_ref() {
                match s {
                    Ok(s) => sockets.push(s),
                    Err(Error::Unsupported { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            from_proc = from_proc || dump.sources().iter().any(|(_, s)| *s == Source::Proc);
        }
        let (counters, limits) = match &mut self.files {
            Some(f) => f.read()?,
            None => (Counters::default(), Limits::default()),
        };
        let mut sample = Sample {
            seq: self.seq,
            taken_at,
            elapsed: now.duration_since(first),
            sockets,
            counters,
            limits,
            from_proc,
        };
        self.seq += 1;
        if self.opts.processes {
            sample.attach_processes()?;
        }

        Ok(sample)
    }

    /// Takes `n` samples, starting one every `interval` (measured from the
    /// start of the previous one; a dump slower than the interval is
    /// followed at once by the next).
    pub fn take(&mut self, n: usize, interval: Duration) -> Result<Vec<Sample>> {
        let mut out = Vec::with_capacity(n);
        let mut next = Instant::now();
        for i in 0..n {
            if i > 0 {
                next += interval;
                let now = Instant::now();
                if next > now {
                    std::thread::sleep(next - now);
                } else {
                    next = now;
                }
            }
            out.push(self.sample()?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Family, State};

    // Shapes of the kernel 6.18 files, cut short.
    const NETSTAT: &str = "TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPAbortOnData
TcpExt: 0 6 7 2
IpExt: InNoRoutes InOctets
IpExt: 0 632
";
    const SNMP: &str = "Tcp: RtoAlgorithm MaxConn OutRsts EstabResets
Tcp: 1 -1 3 2
Udp: InDatagrams RcvbufErrors
Udp: 5 1
";
    const SNMP6: &str = "Ip6InReceives                   	11
Udp6RcvbufErrors                	4
UdpLite6InDatagrams             	0
Icmp6OutMsgs                    	2
Weird 	x
";

    #[test]
    fn counters_parse_every_section() {
        let c = Counters::parse(NETSTAT, SNMP, SNMP6);
        assert_eq!(c.get("TcpExt.ListenOverflows"), Some(6));
        assert_eq!(c.get("TcpExt.ListenDrops"), Some(7));
        assert_eq!(c.get("IpExt.InOctets"), Some(632));
        assert_eq!(c.get("Tcp.OutRsts"), Some(3));
        assert_eq!(c.get("Tcp.MaxConn"), None, "negative values are left out");
        assert_eq!(c.get("Udp.RcvbufErrors"), Some(1));
        assert_eq!(c.get("Udp6.RcvbufErrors"), Some(4));
        assert_eq!(c.get("UdpLite6.InDatagrams"), Some(0));
        assert_eq!(c.get("Icmp6.OutMsgs"), Some(2));
        assert_eq!(c.get("Ip6.InReceives"), Some(11));
        assert_eq!(c.get("Snmp6.Weird"), None);
        assert_eq!(c.value("TcpExt.Missing"), 0);
    }

    #[test]
    fn counters_ignore_garbage() {
        let c = Counters::parse("TcpExt: A B\n", "Tcp: A\nUdp: 1\nnonsense\n", "x");
        assert!(c.is_empty());
    }

    #[test]
    fn counter_rises_saturate() {
        let mut a = Counters::new();
        a.insert("Tcp.OutRsts", 5);
        a.insert("Tcp.EstabResets", 9);
        let mut b = Counters::new();
        b.insert("Tcp.OutRsts", 8);
        b.insert("Tcp.EstabResets", 1); // went backwards (a new namespace?)
        b.insert("Tcp.New", 4);
        let r = b.rise_since(&a);
        assert_eq!(r.value("Tcp.OutRsts"), 3);
        assert_eq!(r.value("Tcp.EstabResets"), 0);
        assert_eq!(r.value("Tcp.New"), 4);
    }

    #[test]
    fn limits_parse() {
        let l = Limits::parse("262144\n", "32768\t60999\n");
        assert_eq!(l.tcp_max_tw_buckets, Some(262144));
        assert_eq!(l.ip_local_port_range, Some((32768, 60999)));
        assert_eq!(l.local_ports(), Some(28232));
        assert_eq!(Limits::parse("", "1"), Limits::default());
    }

    fn sock(cookie: Option<u64>, inode: u64, lport: u16, recv_q: u32) -> Socket {
        let mut s = Socket::new(Table::Tcp, Family::Inet, State::Established);
        s.cookie = cookie;
        s.inode = inode;
        s.recv_q = recv_q;
        s.local = Endpoint::Inet {
            addr: "127.0.0.1".parse().unwrap(),
            port: lport,
        };
        s.peer = Endpoint::Inet {
            addr: "127.0.0.1".parse().unwrap(),
            port: 5000,
        };
        s
    }

    #[test]
    fn matching_by_cookie_and_fallback() {
        let ms = Duration::from_millis;
        let s0 = Sample::new(
            0,
            ms(0),
            vec![sock(Some(1), 10, 4000, 0), sock(Some(2), 11, 4001, 5)],
        );
        // Cookie 1's addresses changed? Impossible, but the cookie decides.
        let s1 = Sample::new(
            1,
            ms(500),
            vec![sock(Some(2), 11, 4001, 7), sock(Some(3), 12, 4002, 0)],
        );
        let s2 = Sample::new(
            2,
            ms(1000),
            vec![sock(Some(3), 12, 4002, 0), sock(Some(2), 11, 4001, 9)],
        );
        let samples = [s0, s1, s2];
        let tracks = track(&samples);
        assert_eq!(tracks.len(), 3);
        assert_eq!(tracks[0].key, SocketKey::Cookie(1));
        assert_eq!(tracks[0].count(), 1);
        assert_eq!(tracks[1].key, SocketKey::Cookie(2));
        assert!(tracks[1].persisted());
        assert_eq!(tracks[1].values(|s| s.recv_q), vec![5, 7, 9]);
        assert_eq!(tracks[2].first().map(|s| s.inode), Some(12));
        assert!(!tracks[2].persisted());

        let d = samples[1].delta(&samples[0]);
        assert_eq!(d.interval, ms(500));
        assert_eq!(d.kept.len(), 1);
        assert_eq!((d.kept[0].0.recv_q, d.kept[0].1.recv_q), (5, 7));
        assert_eq!(d.appeared.len(), 1);
        assert_eq!(d.vanished[0].cookie, Some(1));

        // /proc sources: no cookie; inode and addresses decide, so two
        // TIME-WAIT rows (inode 0) stay apart.
        let p0 = Sample::new(
            0,
            ms(0),
            vec![sock(None, 0, 4000, 0), sock(None, 0, 4001, 0)],
        );
        let p1 = Sample::new(
            1,
            ms(9),
            vec![sock(None, 0, 4001, 0), sock(None, 7, 4000, 0)],
        );
        let both = [p0, p1];
        let t = track(&both);
        assert_eq!(t.len(), 3);
        assert_eq!(t.iter().filter(|t| t.persisted()).count(), 1);
        assert!(matches!(
            t[1].key,
            SocketKey::Fallback { inode: 0, local: Some(a), .. } if a.port() == 4001
        ));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn sample_serialises_times_in_ms() {
        let s = Sample::new(2, Duration::from_millis(1500), vec![]);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["elapsed"], 1500);
        assert_eq!(v["taken_at"], 1500);
        assert_eq!(v["seq"], 2);
    }
}
