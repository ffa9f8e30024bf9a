//! The lab's scenarios: each builds one of the seed's socket situations in a
//! private network namespace, step by step.
//!
//! A scenario is a function that builds sockets (and, where the seed used
//! `iptables`, netfilter rules) inside a fresh anonymous [`NetNs`], waits
//! through the library until the kernel reached the situation, and hands
//! each [`Step`] to an [`Observer`]: the lab prints what rss shows, the
//! tests (`crates/rss/tests/lab.rs`) assert every expected
//! row through the library, the system `ss` and rss. The scenario returns a
//! [`Report`]: the values it measured and an explanation quoting them.
//!
//! Nothing here touches the host: sockets, rules and sysctls live in the
//! namespace, which vanishes with the [`Lab`] (sockets made inside keep it
//! alive only until they are dropped, with it).
//!
//! Waits poll with generous deadlines ([`PATIENCE`]) instead of sleeping
//! for fixed times, so a loaded machine makes a scenario slower, not wrong.

#![allow(dead_code)] // the lab and the tests use different parts

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::time::{Duration, Instant};

use sockdiag::{Endpoint, Query, Socket, State, States, TcpCounters, TimerKind};
use socket2::{Domain, Protocol, SockRef, Type};
use testkit::NetNs;

/// Every scenario: name and what it shows, in the order.
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "backlog",
        "listen(5), 6 clients never accepted: LISTEN Recv-Q 6 Send-Q 5; a 7th stays SYN-SENT",
    ),
    (
        "syn-drop",
        "iptables drops the client's SYN: SYN-SENT, Send-Q 1, timer on, retransmits climbing",
    ),
    (
        "ack-drop",
        "iptables drops the client's final ACK: the server's side stays SYN-RECV",
    ),
    (
        "recv-q",
        "the server never reads: its Recv-Q grows by what was sent",
    ),
    (
        "send-q",
        "the peer never reads: Send-Q grows, the window closes, persist timer",
    ),
    (
        "rst",
        "closed with reset: SO_LINGER 0, no row and no TIME-WAIT, ECONNRESET",
    ),
    (
        "close-wait",
        "the client closes, the server does not: CLOSE-WAIT and FIN-WAIT-2",
    ),
    (
        "time-wait",
        "a normal close: the active closer stays TIME-WAIT with the timewait timer",
    ),
    (
        "refused",
        "connect to a port nobody listens on: ECONNREFUSED, no row remains",
    ),
    (
        "fin-unanswered",
        "closed with error: the peer's packets dropped, FIN-WAIT-1 and LAST-ACK retransmit",
    ),
    (
        "peer-gone",
        "aborted: the peer vanishes with data outstanding, retransmits, then ETIMEDOUT",
    ),
];

/// The seed's server address; every namespace is private, so the seed's
/// port is free in each.
pub const SERVER: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 5000));

/// How long any wait may take before the scenario gives up. Every wait
/// returns as soon as its condition holds; this bounds a loaded machine.
pub const PATIENCE: Duration = Duration::from_secs(25);

/// `net.ipv4.tcp_retries2` inside the peer-gone namespace: the connection
/// times out after about 6.2 s (`(2 << 4) - 1` × 200 ms of backed-off RTOs)
/// instead of the default ~15 minutes.
pub const PEER_GONE_RETRIES2: u32 = 4;

/// Any error a scenario can meet, with a message saying which step failed.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// Result of a scenario step.
pub type Result<T> = std::result::Result<T, Error>;

/// What the timer of an expected row must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimerExpect {
    /// The timer's kind (`ss -o`'s first word).
    pub kind: TimerKind,
    /// Retransmissions (or probes) at least this many.
    pub min_retransmits: u8,
    /// Bound on the time left.
    pub bound: TimerBound,
}

/// The bound on a timer's expiry, checked against the same snapshot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimerBound {
    /// A retransmission timer armed with the socket's (backed-off) RTO:
    /// at most `tcp_info.rto`.
    Rto,
    /// A zero-window probe timer: at most `rto << backoff`, capped at
    /// `TCP_RTO_MAX` (120 s).
    Probe,
    /// A SYN-ACK timer of a request socket (no tcp_info): at most
    /// 1 s << retransmits, capped at 120 s.
    SynAck,
    /// Between these two values.
    Between(Duration, Duration),
}

/// Slack for timer bounds: jiffies rounding and the time between the
/// kernel arming a timer and the dump reading it.
pub const TIMER_SLACK: Duration = Duration::from_millis(20);

const RTO_MAX: Duration = Duration::from_secs(120);

impl TimerBound {
    /// The largest expiry `sock` may show, or `None` if the bound needs
    /// facts the socket lacks.
    pub fn max_for(&self, sock: &Socket) -> Option<Duration> {
        let rto = || {
            sock.tcp_info
                .as_ref()
                .and_then(|i| i.rto())
                .map(|us| Duration::from_micros(us.into()))
        };
        match *self {
            TimerBound::Rto => rto().map(|r| r + TIMER_SLACK),
            TimerBound::Probe => {
                let backoff = sock.tcp_info.as_ref().and_then(|i| i.backoff())?;
                let r = rto()?
                    .checked_mul(1u32 << backoff.min(16))
                    .unwrap_or(RTO_MAX);
                Some(r.min(RTO_MAX) + TIMER_SLACK)
            }
            TimerBound::SynAck => {
                let retrans = sock.timer.map_or(0, |t| t.retransmits);
                let t = Duration::from_secs(1u64 << retrans.min(7));
                Some(t.min(RTO_MAX) + TIMER_SLACK)
            }
            TimerBound::Between(_, hi) => Some(hi),
        }
    }

    /// The smallest expiry allowed.
    pub fn min(&self) -> Duration {
        match *self {
            TimerBound::Between(lo, _) => lo,
            _ => Duration::ZERO,
        }
    }
}

/// One row a step expects, identified by its two ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    /// Who this is, for messages: "7th client", "server side".
    pub role: String,
    /// Local address and port.
    pub local: SocketAddr,
    /// Peer address and port; `0.0.0.0:0` for a listener (`0.0.0.0:*`).
    pub peer: SocketAddr,
    /// The exact state.
    pub state: State,
    /// The exact Recv-Q.
    pub recv_q: u32,
    /// The exact Send-Q.
    pub send_q: u32,
    /// The timer, or `None` for no timer at all.
    pub timer: Option<TimerExpect>,
}

/// A socket a step expects to be gone: every row matching the given ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Absent {
    /// Who this was.
    pub role: String,
    /// Local end to match, or any.
    pub local: Option<SocketAddr>,
    /// Peer end to match, or any.
    pub peer: Option<SocketAddr>,
}

impl Absent {
    /// True when `s` is a row this absence forbids.
    pub fn matches(&self, s: &Socket) -> bool {
        self.local.is_none_or(|a| inet(&s.local) == Some(a))
            && self.peer.is_none_or(|a| inet(&s.peer) == Some(a))
    }
}

/// One observable moment of a scenario.
#[derive(Debug, Clone)]
pub struct Step {
    /// What happened just before, e.g. "after one accept()".
    pub title: String,
    /// Rows that must be there, exactly.
    pub expect: Vec<Expect>,
    /// Rows that must not be there, in any state.
    pub absent: Vec<Absent>,
    /// The rss options worth showing here (`-tano`, `-tanoi`).
    pub show: &'static [&'static str],
}

/// Receives what a scenario does and sees.
pub trait Observer {
    /// An action the scenario just took (`listen(5) on 127.0.0.1:5000`).
    fn note(&mut self, _line: &str) {}
    /// A moment to look at: print it, or check it.
    fn step(&mut self, lab: &Lab, step: &Step);
}

/// An observer that ignores everything.
pub struct Quiet;

impl Observer for Quiet {
    fn step(&mut self, _: &Lab, _: &Step) {}
}

/// What a scenario measured, and what it means.
#[derive(Debug, Clone)]
pub struct Report {
    /// The scenario's name.
    pub name: &'static str,
    /// Measured values by name (`listen_overflows`, `errno`, …).
    pub facts: BTreeMap<&'static str, i64>,
    /// Two or three sentences quoting the facts.
    pub explanation: String,
    /// Wall time from namespace creation to the last step.
    pub elapsed: Duration,
}

impl Report {
    /// A measured value; panics with the scenario's name if it is missing.
    pub fn fact(&self, name: &str) -> i64 {
        match self.facts.get(name) {
            Some(v) => *v,
            None => panic!("{}: no fact {name:?} in {:?}", self.name, self.facts),
        }
    }
}

/// A private namespace with everything a scenario keeps alive in it.
pub struct Lab {
    /// The namespace (anonymous; gone when the lab and its sockets are).
    pub ns: NetNs,
    diag: sockdiag::NetNs,
    started: Instant,
    facts: BTreeMap<&'static str, i64>,
}

impl Lab {
    /// A fresh namespace with `lo` up.
    pub fn new() -> Result<Lab> {
        let ns = NetNs::new().map_err(|e| format!("cannot create a network namespace: {e}"))?;
        let diag = sockdiag::NetNs::from_path(ns.path())?;
        Ok(Lab {
            ns,
            diag,
            started: Instant::now(),
            facts: BTreeMap::new(),
        })
    }

    /// The namespace as the library sees it.
    pub fn diag(&self) -> &sockdiag::NetNs {
        &self.diag
    }

    /// Every TCP socket of the namespace, in every state, with tcp_info.
    pub fn sockets(&self) -> Result<Vec<Socket>> {
        let mut out = Vec::new();
        for s in Query::tcp()
            .states(States::ALL)
            .with_info()
            .dump_in(&self.diag)?
        {
            out.push(s?);
        }
        Ok(out)
    }

    /// The socket with these two ends, if the namespace has it.
    pub fn socket(&self, local: SocketAddr, peer: SocketAddr) -> Result<Option<Socket>> {
        Ok(find(&self.sockets()?, local, peer).cloned())
    }

    /// Polls the namespace's sockets until `cond` returns a value, or fails
    /// after [`PATIENCE`] saying what it was waiting for.
    pub fn wait_for<T>(
        &self,
        what: &str,
        mut cond: impl FnMut(&[Socket]) -> Option<T>,
    ) -> Result<T> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let socks = self.sockets()?;
            if let Some(v) = cond(&socks) {
                return Ok(v);
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "gave up after {PATIENCE:?} waiting for {what}; sockets: {}",
                    brief(&socks)
                )
                .into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the socket with these ends satisfies `cond`, and returns it.
    pub fn wait_socket(
        &self,
        what: &str,
        local: SocketAddr,
        peer: SocketAddr,
        mut cond: impl FnMut(&Socket) -> bool,
    ) -> Result<Socket> {
        self.wait_for(what, |socks| {
            find(socks, local, peer).filter(|s| cond(s)).cloned()
        })
    }

    /// The namespace's TCP counters (`/proc/net/snmp`, `netstat`).
    pub fn counters(&self) -> Result<TcpCounters> {
        Ok(TcpCounters::read_in(&self.diag)?)
    }

    /// One `TcpExt:` counter of the namespace's `/proc/net/netstat`.
    pub fn tcp_ext(&self, key: &'static str) -> Result<i64> {
        let text = self
            .ns
            .run(|| std::io::read_to_string(sockdiag::host::open_proc_net("netstat")?))?;
        Ok(sockdiag::snmp_field(&text, "TcpExt", key)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Runs `iptables -w <rule>` in the namespace (never on the host).
    pub fn iptables(&self, obs: &mut dyn Observer, rule: &str) -> Result<()> {
        let tool = testkit::find_tool("iptables")
            .map_err(|e| format!("{e} (Debian: apt-get install iptables)"))?;
        obs.note(&format!("iptables {rule}"));
        let out = self
            .ns
            .command(&tool)
            .arg("-w")
            .args(rule.split_whitespace())
            .output()?;
        if !out.status.success() {
            return Err(format!(
                "iptables {rule}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )
            .into());
        }
        Ok(())
    }

    /// Packets counted by the first rule of an iptables chain.
    pub fn rule_packets(&self, chain: &str) -> Result<i64> {
        let out = self
            .ns
            .command(testkit::find_tool("iptables")?)
            .args(["-w", "-nvxL", chain])
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines()
            .nth(2)
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("cannot read the rule counters of {chain}: {text}").into())
    }

    /// A listener in the namespace with exactly `backlog` (SO_REUSEADDR, as
    /// the seed's server).
    pub fn listen(&self, obs: &mut dyn Observer, backlog: i32) -> Result<socket2::Socket> {
        obs.note(&format!("listen({backlog}) on {SERVER}"));
        Ok(self
            .ns
            .run(move || testkit::listener(SERVER, backlog, None))?)
    }

    /// A blocking connect from the namespace (completes on loopback as soon
    /// as the SYN-ACK is back).
    pub fn connect(&self, to: SocketAddr) -> Result<TcpStream> {
        Ok(self.ns.run(move || TcpStream::connect(to))?)
    }

    /// A non-blocking connect: returns at once, with the SYN sent.
    pub fn connect_nb(&self, to: SocketAddr) -> Result<socket2::Socket> {
        Ok(self.ns.run(move || -> io::Result<socket2::Socket> {
            let s = socket2::Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
            s.set_nonblocking(true)?;
            match s.connect(&to.into()) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
                Err(e) => return Err(e),
            }
            Ok(s)
        })?)
    }

    /// Records a measured value for the report.
    pub fn fact(&mut self, name: &'static str, value: impl TryInto<i64>) {
        self.facts
            .insert(name, value.try_into().unwrap_or(i64::MAX));
    }

    fn report(self, name: &'static str, explanation: String) -> Report {
        Report {
            name,
            facts: self.facts,
            explanation,
            elapsed: self.started.elapsed(),
        }
    }
}

/// The address of an inet endpoint.
pub fn inet(e: &Endpoint) -> Option<SocketAddr> {
    match *e {
        Endpoint::Inet { addr, port } => Some(SocketAddr::new(addr, port)),
        _ => None,
    }
}

/// The socket with these two ends.
pub fn find(socks: &[Socket], local: SocketAddr, peer: SocketAddr) -> Option<&Socket> {
    socks
        .iter()
        .find(|s| inet(&s.local) == Some(local) && inet(&s.peer) == Some(peer))
}

/// `0.0.0.0:0`, the peer of a listener.
pub const ANY: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));

/// One line per socket, for error messages.
pub fn brief(socks: &[Socket]) -> String {
    let mut out = String::new();
    for s in socks {
        let _ = write!(
            out,
            "\n  {} {} {} {:?} -> {:?} timer {:?}",
            s.state,
            s.recv_q,
            s.send_q,
            inet(&s.local),
            inet(&s.peer),
            s.timer.map(|t| (t.kind, t.expires(), t.retransmits))
        );
    }
    if out.is_empty() {
        out.push_str("(none)");
    }
    out
}

fn retransmits(s: &Socket) -> u8 {
    s.timer.map_or(0, |t| t.retransmits)
}

fn has_timer(s: &Socket, kind: TimerKind) -> bool {
    s.timer.is_some_and(|t| t.kind == kind)
}

fn local_of(s: &impl AsLocal) -> Result<SocketAddr> {
    s.local()
}

/// Reading the local address of the sockets the scenarios hold.
trait AsLocal {
    fn local(&self) -> Result<SocketAddr>;
}

impl AsLocal for TcpStream {
    fn local(&self) -> Result<SocketAddr> {
        Ok(self.local_addr()?)
    }
}

impl AsLocal for socket2::Socket {
    fn local(&self) -> Result<SocketAddr> {
        self.local_addr()?
            .as_socket()
            .ok_or_else(|| "not an inet socket".into())
    }
}

fn expect(
    role: impl Into<String>,
    local: SocketAddr,
    peer: SocketAddr,
    state: State,
    (recv_q, send_q): (u32, u32),
    timer: Option<TimerExpect>,
) -> Expect {
    Expect {
        role: role.into(),
        local,
        peer,
        state,
        recv_q,
        send_q,
        timer,
    }
}

fn on_timer(min_retransmits: u8, bound: TimerBound) -> Option<TimerExpect> {
    Some(TimerExpect {
        kind: TimerKind::On,
        min_retransmits,
        bound,
    })
}

fn absent(role: impl Into<String>, local: Option<SocketAddr>, peer: Option<SocketAddr>) -> Absent {
    Absent {
        role: role.into(),
        local,
        peer,
    }
}

const TABLE: &[&str] = &["-tano"];
const WITH_INFO: &[&str] = &["-tanoi"];

/// The seed's line protocol once: the client sends `hello`, the server
/// answers `Server reply: hello` (as examples/echo_server does).
fn echo_once(client: &mut TcpStream, server: &mut TcpStream) -> Result<()> {
    client.write_all(b"hello\n")?;
    let mut line = String::new();
    BufReader::new(&*server).read_line(&mut line)?;
    server.write_all(format!("Server reply: {}\n", line.trim_end()).as_bytes())?;
    line.clear();
    BufReader::new(&*client).read_line(&mut line)?;
    if line != "Server reply: hello\n" {
        return Err(format!("unexpected reply {line:?}").into());
    }
    Ok(())
}

/// A connected pair: the client and the accepted server side, after one
/// echo exchange, with no data in flight.
fn pair(
    lab: &Lab,
    obs: &mut dyn Observer,
    listener: &socket2::Socket,
) -> Result<(TcpStream, TcpStream, SocketAddr)> {
    let mut client = lab.connect(SERVER)?;
    let (conn, _) = listener.accept()?;
    let mut server: TcpStream = conn.into();
    let caddr = client.local_addr()?;
    obs.note(&format!(
        "connect() from {caddr}, accept(), one line echoed"
    ));
    echo_once(&mut client, &mut server)?;
    // Quiet on both sides: all data acknowledged, no timer left.
    lab.wait_socket("the client to be idle", caddr, SERVER, |s| {
        s.send_q == 0 && s.timer.is_none()
    })?;
    lab.wait_socket("the server side to be idle", SERVER, caddr, |s| {
        s.send_q == 0 && s.timer.is_none()
    })?;
    Ok((client, server, caddr))
}

/// Runs the scenario `name` in a fresh namespace.
pub fn run(name: &str, obs: &mut dyn Observer) -> Result<Report> {
    type Build = fn(Lab, &mut dyn Observer) -> Result<Report>;
    let build: Build = match name {
        "backlog" => backlog,
        "syn-drop" => syn_drop,
        "ack-drop" => ack_drop,
        "recv-q" => recv_q,
        "send-q" => send_q,
        "rst" => rst,
        "close-wait" => close_wait,
        "time-wait" => time_wait,
        "refused" => refused,
        "fin-unanswered" => fin_unanswered,
        "peer-gone" => peer_gone,
        other => return Err(format!("unknown scenario {other:?} (try --list)").into()),
    };
    build(Lab::new()?, obs)
}

/// Whether a scenario needs `iptables`.
pub fn needs_iptables(name: &str) -> bool {
    matches!(
        name,
        "syn-drop" | "ack-drop" | "fin-unanswered" | "peer-gone"
    )
}

fn backlog(mut lab: Lab, obs: &mut dyn Observer) -> Result<Report> {
    let listener = lab.listen(obs, 5)?;
    let before = lab.counters()?;
    let mut clients = Vec::new();
    for _ in 0..6 {
        clients.push(lab.connect(SERVER)?);
    }
    obs.note("6 × connect(), never accepted");
    lab.wait_socket("6 connections in the accept queue", SERVER, ANY, |s| {
        s.recv_q == 6
    })?;

    let seventh = lab.connect_nb(SERVER)?;
    let local7 = local_of(&seventh)?;
    obs.note(&format!("a 7th connect() from {local7}"));
    let first = lab.wait_socket(
        "the 7th client's first SYN retransmission",
        local7,
        SERVER,
        |s| s.state == State::SynSent && retransmits(s) >= 1,
    )?;
    let overflows_first = lab.counters()?.since(&before).listen_overflows;
    let second = lab.wait_socket(
        "the 7th client's second SYN retransmission",
        local7,
        SERVER,
        |s| s.state == State::SynSent && retransmits(s) >= 2,
    )?;
    let overflows = lab.counters()?.since(&before).listen_overflows;
    lab.fact("retransmits_first", retransmits(&first));
    lab.fact("overflows_first", overflows_first);
    lab.fact("retransmits", retransmits(&second));
    lab.fact("listen_overflows", overflows);

    let mut rows = vec![
        expect("listener", SERVER, ANY, State::Listen, (6, 5), None),
        expect(
            "7th client",
            local7,
            SERVER,
            State::SynSent,
            (0, 1),
            on_timer(2, TimerBound::Rto),
        ),
    ];
    for (i, c) in clients.iter().enumerate() {
        let caddr = c.local_addr()?;
        let n = i + 1;
        rows.push(expect(
            format!("client {n}"),
            caddr,
            SERVER,
            State::Established,
            (0, 0),
            None,
        ));
        rows.push(expect(
            format!("queued connection {n} (server side, not accepted)"),
            SERVER,
            caddr,
            State::Established,
            (0, 0),
            None,
        ));
    }
    obs.step(
        &lab,
        &Step {
            title: "6 connections wait in the accept queue; the 7th knocks".into(),
            expect: rows,
            absent: vec![],
            show: TABLE,
        },
    );

    // The 7th gives up before the accept, so that nothing can refill the
    // queue between the accept and the look.
    drop(seventh);
    obs.note("the 7th client gives up (close)");
    let (accepted, from) = listener.accept()?;
    let from = from
        .as_socket()
        .ok_or("accept returned a non-inet address")?;
    obs.note(&format!("accept() takes the connection from {from}"));
    let after = lab.wait_socket("the accept queue to shrink", SERVER, ANY, |s| s.recv_q == 5)?;
    lab.fact("recv_q_after_accept", after.recv_q);
    obs.step(
        &lab,
        &Step {
            title: "after one accept()".into(),
            expect: vec![
                expect("listener", SERVER, ANY, State::Listen, (5, 5), None),
                expect(
                    "accepted connection",
                    SERVER,
                    from,
                    State::Established,
                    (0, 0),
                    None,
                ),
            ],
            absent: vec![absent("7th client", Some(local7), None)],
            show: TABLE,
        },
    );
    drop((accepted, clients, listener));

    let f = &lab.facts;
    let explanation = format!(
        "The LISTEN row reads Recv-Q 6, Send-Q 5: Send-Q is the backlog given to listen(5), \
         Recv-Q the handshakes completed and waiting for accept(); the kernel admits \
         backlog + 1 before calling the queue full. The 7th client stayed SYN-SENT with \
         Send-Q 1 (its SYN) and {} retransmissions while TcpExt ListenOverflows rose by {}: \
         the listener dropped its SYNs silently, it did not refuse them. One accept() brought \
         Recv-Q down to {}.",
        f["retransmits"], f["listen_overflows"], f["recv_q_after_accept"]
    );
    Ok(lab.report("backlog", explanation))
}

fn syn_drop(mut lab: Lab, obs: &mut dyn Observer) -> Result<Report> {
    let listener = lab.listen(obs, 5)?;
    lab.iptables(
        obs,
        "-I OUTPUT 1 -o lo -p tcp --dport 5000 --tcp-flags SYN SYN -j DROP",
    )?;
    let client = lab.connect_nb(SERVER)?;
    let caddr = local_of(&client)?;
    obs.note(&format!("non-blocking connect() from {caddr}"));
    let first = lab.wait_socket("the first SYN retransmission", caddr, SERVER, |s| {
        s.state == State::SynSent && retransmits(s) >= 1
    })?;
    let s = lab.wait_socket("the second SYN retransmission", caddr, SERVER, |s| {
        s.state == State::SynSent && retransmits(s) >= 2
    })?;
    lab.fact("retransmits_first", retransmits(&first));
    lab.fact("retransmits", retransmits(&s));
    lab.fact(
        "rto_ms",
        s.tcp_info.and_then(|i| i.rto()).unwrap_or(0) / 1000,
    );
    lab.fact("dropped", lab.rule_packets("OUTPUT")?);
    obs.step(
        &lab,
        &Step {
            title: "the client's SYNs are dropped".into(),
            expect: vec![
                expect("listener", SERVER, ANY, State::Listen, (0, 5), None),
                expect(
                    "client",
                    caddr,
                    SERVER,
                    State::SynSent,
                    (0, 1),
                    on_timer(2, TimerBound::Rto),
                ),
            ],
            absent: vec![absent("server side", Some(SERVER), Some(caddr))],
            show: WITH_INFO,
        },
    );
    drop((client, listener));
    let f = &lab.facts;
    let explanation = format!(
        "The client is SYN-SENT with Send-Q 1: the one unacknowledged sequence number is its \
         SYN. Its `on` timer is the SYN retransmission timer; the count went from {} to {} \
         retransmissions, one RTO ({} ms) apart (the first SYN retries are linear, \
         tcp_syn_linear_timeouts), and the DROP rule counted {} SYNs. The listener's Recv-Q \
         stays 0: no handshake ever reached it.",
        f["retransmits_first"], f["retransmits"], f["rto_ms"], f["dropped"]
    );
    Ok(lab.report("syn-drop", explanation))
}

fn ack_drop(mut lab: Lab, obs: &mut dyn Observer) -> Result<Report> {
    let listener = lab.listen(obs, 5)?;
    // Everything from the client after its SYN carries ACK and not SYN.
    lab.iptables(
        obs,
        "-I OUTPUT 1 -o lo -p tcp --dport 5000 --tcp-flags SYN,ACK ACK -j DROP",
    )?;
    let client = lab.connect(SERVER)?;
    let caddr = client.local_addr()?;
    obs.note(&format!(
        "connect() from {caddr} returns: the client got the SYN-ACK"
    ));
    let s = lab.wait_socket("the server's SYN-ACK retransmissions", SERVER, caddr, |s| {
        s.state == State::SynRecv && retransmits(s) >= 2
    })?;
    lab.fact("retransmits", retransmits(&s));
    lab.fact("dropped", lab.rule_packets("OUTPUT")?);
    let listen = lab.wait_socket("the listener", SERVER, ANY, |_| true)?;
    lab.fact("listener_recv_q", listen.recv_q);
    obs.step(
        &lab,
        &Step {
            title: "the client's final ACK is dropped".into(),
            expect: vec![
                expect("listener", SERVER, ANY, State::Listen, (0, 5), None),
                expect(
                    "server side (request socket)",
                    SERVER,
                    caddr,
                    State::SynRecv,
                    (0, 0),
                    on_timer(2, TimerBound::SynAck),
                ),
                expect("client", caddr, SERVER, State::Established, (0, 0), None),
            ],
            absent: vec![],
            show: TABLE,
        },
    );
    drop((client, listener));
    let f = &lab.facts;
    let explanation = format!(
        "The client is ESTAB (it got the SYN-ACK and sent its ACK) but the server's side is \
         SYN-RECV: a request socket in the SYN queue whose `on` timer retransmitted the \
         SYN-ACK {} times; the DROP rule ate {} of the client's ACKs. The listener's Recv-Q \
         is {} because only completed handshakes enter the accept queue.",
        f["retransmits"], f["dropped"], f["listener_recv_q"]
    );
    Ok(lab.report("ack-drop", explanation))
}

fn recv_q(mut lab: Lab, obs: &mut dyn Observer) -> Result<Report> {
    let listener = lab.listen(obs, 5)?;
    let mut client = lab.connect(SERVER)?;
    let (server, _) = listener.accept()?;
    let caddr = client.local_addr()?;
    obs.note(&format!(
        "connect() from {caddr}, accept(); the server never reads"
    ));
    let mut sent = 0u32;
    let mut seen = Vec::new();
    for line in [
        "hello\n",
        "are you reading?\n",
        "third line, still unread\n",
    ] {
        client.write_all(line.as_bytes())?;
        sent += line.len() as u32;
        obs.note(&format!("client sends {line:?} ({} bytes)", line.len()));
        let s = lab.wait_socket("the data in the server's Recv-Q", SERVER, caddr, |s| {
            s.recv_q == sent
        })?;
        seen.push(s.recv_q);
    }
    lab.wait_socket("the client's data acknowledged", caddr, SERVER, |s| {
        s.send_q == 0 && s.timer.is_none()
    })?;
    lab.wait_socket("the server side to settle", SERVER, caddr, |s| {
        s.timer.is_none()
    })?;
    lab.fact("sent", sent);
    for (name, v) in ["recv_q_1", "recv_q_2", "recv_q_3"].into_iter().zip(&seen) {
        lab.fact(name, *v);
    }
    obs.step(
        &lab,
        &Step {
            title: format!("{sent} bytes sent, none read"),
            expect: vec![
                expect(
                    "server side",
                    SERVER,
                    caddr,
                    State::Established,
                    (sent, 0),
                    None,
                ),
                expect("client", caddr, SERVER, State::Established, (0, 0), None),
            ],
            absent: vec![],
            show: TABLE,
        },
    );
    drop((client, server, listener));
    let f = &lab.facts;
    let explanation = format!(
        "The server's ESTAB row counts bytes received but not yet read: Recv-Q went {} → {} → \
         {}, exactly the {} bytes the client wrote. The client's Send-Q is 0 because the \
         kernel acknowledged every byte on arrival: a non-empty Recv-Q means the data reached \
         the machine and the application is not reading it.",
        f["recv_q_1"], f["recv_q_2"], f["recv_q_3"], f["sent"]
    );
    Ok(lab.report("recv-q", explanation))
}

fn send_q(mut lab: Lab, obs: &mut dyn Observer) -> Result<Report> {
    let listener = lab.listen(obs, 5)?;
    let mut client = lab.connect(SERVER)?;
    let (server, _) = listener.accept()?;
    let caddr = client.local_addr()?;
    obs.note(&format!(
        "connect() from {caddr}, accept(); the server never reads"
    ));
    client.set_nonblocking(true)?;
    let chunk = vec![b'x'; 64 * 1024];
    let mut written: u64 = 0;
    let deadline = Instant::now() + PATIENCE;
    // Write until the kernel refuses more and the client probes a zero
    // window (persist timer) with everything else acknowledged. A window
    // smaller than a segment is not enough: the probe would carry as much
    // data as it allows, and the queues would still move.
    let (c, s) = loop {
        loop {
            match client.write(&chunk) {
                Ok(n) => written += n as u64,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e.into()),
            }
        }
        let socks = lab.sockets()?;
        let zero_window = |c: &Socket| {
            has_timer(c, TimerKind::Persist) && c.tcp_info.and_then(|i| i.snd_wnd()) == Some(0)
        };
        if let (Some(c), Some(s)) = (find(&socks, caddr, SERVER), find(&socks, SERVER, caddr))
            && zero_window(c)
            && u64::from(c.send_q) + u64::from(s.recv_q) == written
        {
            // Settled if the next look agrees.
            std::thread::sleep(Duration::from_millis(200));
            let again = lab.sockets()?;
            if let (Some(c2), Some(s2)) = (find(&again, caddr, SERVER), find(&again, SERVER, caddr))
                && (c2.send_q, s2.recv_q) == (c.send_q, s.recv_q)
                && zero_window(c2)
            {
                break (c2.clone(), s2.clone());
            }
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "gave up waiting for a closed window after {written} bytes: {}",
                brief(&socks)
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    obs.note(&format!(
        "client wrote {written} bytes (non-blocking, until EAGAIN)"
    ));
    lab.fact("written", written as i64);
    lab.fact("send_q", c.send_q);
    lab.fact("recv_q", s.recv_q);
    let info = c.tcp_info.ok_or("no tcp_info for the client")?;
    lab.fact("snd_wnd", info.snd_wnd().unwrap_or(0));
    lab.fact("mss", info.snd_mss().unwrap_or(0));
    lab.fact("backoff", info.backoff().unwrap_or(0));
    obs.step(
        &lab,
        &Step {
            title: "the receiver's window is closed".into(),
            expect: vec![
                expect(
                    "client",
                    caddr,
                    SERVER,
                    State::Established,
                    (0, c.send_q),
                    Some(TimerExpect {
                        kind: TimerKind::Persist,
                        min_retransmits: 0,
                        bound: TimerBound::Probe,
                    }),
                ),
                expect(
                    "server side",
                    SERVER,
                    caddr,
                    State::Established,
                    (s.recv_q, 0),
                    None,
                ),
            ],
            absent: vec![],
            show: WITH_INFO,
        },
    );
    drop((client, server, listener));
    let f = &lab.facts;
    let explanation = format!(
        "The client wrote {} bytes: {} sit in the server's Recv-Q (its receive buffer is \
         full) and the other {} in the client's Send-Q, written but not acknowledged (here: \
         not even sent), so the two queues add up to what was written. The server advertises \
         a zero window (tcp_info snd_wnd {}, so the client's -i line, which shows only \
         non-zero fields, has no snd_wnd), and the client's timer is `persist`: instead of data it sends window probes, further and further apart \
         (backoff {}).",
        f["written"], f["recv_q"], f["send_q"], f["snd_wnd"], f["backoff"]
    );
    Ok(lab.report("send-q", explanation))
}

fn rst(mut lab: Lab, obs: &mut dyn Observer) -> Result<Report> {
    let listener = lab.listen(obs, 5)?;
    let (client, mut server, caddr) = pair(&lab, obs, &listener)?;
    obs.step(
        &lab,
        &Step {
            title: "connected, one line echoed".into(),
            expect: vec![
                expect("client", caddr, SERVER, State::Established, (0, 0), None),
                expect(
                    "server side",
                    SERVER,
                    caddr,
                    State::Established,
                    (0, 0),
                    None,
                ),
            ],
            absent: vec![],
            show: TABLE,
        },
    );
    let before = lab.counters()?;
    SockRef::from(&client).set_linger(Some(Duration::ZERO))?;
    drop(client);
    obs.note("client: SO_LINGER {on, 0}, close() (like echo_client --linger0)");
    server.set_read_timeout(Some(PATIENCE))?;
    let err = match server.read(&mut [0u8; 64]) {
        Ok(n) => return Err(format!("the server read {n} bytes instead of an error").into()),
        Err(e) => e,
    };
    obs.note(&format!("server: read() fails: {err}"));
    lab.fact("errno", err.raw_os_error().unwrap_or(0));
    lab.wait_for("both rows to vanish", |socks| {
        (find(socks, caddr, SERVER).is_none() && find(socks, SERVER, caddr).is_none()).then_some(())
    })?;
    let delta = lab.counters()?.since(&before);
    lab.fact("out_rsts", delta.out_rsts);
    lab.fact("estab_resets", delta.estab_resets);
    obs.step(
        &lab,
        &Step {
            title: "after close() with SO_LINGER 0".into(),
            expect: vec![expect("listener", SERVER, ANY, State::Listen, (0, 5), None)],
            absent: vec![
                absent("client (no TIME-WAIT either)", Some(caddr), None),
                absent("server side", Some(SERVER), Some(caddr)),
            ],
            show: TABLE,
        },
    );
    drop((server, listener));
    let f = &lab.facts;
    let explanation = format!(
        "close() with SO_LINGER {{on, 0}} aborts: the client sent a RST instead of a FIN, so \
         neither side went through FIN-WAIT or TIME-WAIT and both rows vanished at once. The \
         server's next read failed with errno {} (ECONNRESET), and the namespace's counters \
         moved: OutRsts +{}, EstabResets +{} (one per side that left ESTABLISHED for CLOSED).",
        f["errno"], f["out_rsts"], f["estab_resets"]
    );
    Ok(lab.report("rst", explanation))
}

fn close_wait(mut lab: Lab, obs: &mut dyn Observer) -> Result<Report> {
    let listener = lab.listen(obs, 5)?;
    let (client, mut server, caddr) = pair(&lab, obs, &listener)?;
    drop(client);
    obs.note("client: close() (like echo_client at end of input)");
    let unread = lab.wait_socket("the server side in CLOSE-WAIT", SERVER, caddr, |s| {
        s.state == State::CloseWait
    })?;
    let cl = lab.wait_socket("the client in FIN-WAIT-2", caddr, SERVER, |s| {
        s.state == State::FinWait2 && has_timer(s, TimerKind::TimeWait)
    })?;
    lab.fact("recv_q_fin_unread", unread.recv_q);
    lab.fact(
        "fin_timeout_s",
        cl.timer
            .map_or(0, |t| t.expires().as_secs_f64().round() as i64),
    );
    let fin_wait2 = || {
        expect(
            "client",
            caddr,
            SERVER,
            State::FinWait2,
            (0, 0),
            Some(TimerExpect {
                kind: TimerKind::TimeWait,
                min_retransmits: 0,
                bound: TimerBound::Between(Duration::from_secs(50), Duration::from_secs(60)),
            }),
        )
    };
    obs.step(
        &lab,
        &Step {
            title: "the client closed; the server has not read the EOF yet".into(),
            expect: vec![
                expect("server side", SERVER, caddr, State::CloseWait, (1, 0), None),
                fin_wait2(),
            ],
            absent: vec![],
            show: TABLE,
        },
    );
    server.set_read_timeout(Some(PATIENCE))?;
    let n = server.read(&mut [0u8; 64])?;
    if n != 0 {
        return Err(format!("the server read {n} bytes instead of EOF").into());
    }
    obs.note("server: read() returns 0 (EOF) and never closes (like echo_server --no-close)");
    let sv = lab.wait_socket("the EOF consumed", SERVER, caddr, |s| {
        s.state == State::CloseWait && s.recv_q == 0
    })?;
    lab.fact("server_recv_q", sv.recv_q);
    obs.step(
        &lab,
        &Step {
            title: "the server read the EOF and does not close".into(),
            expect: vec![
                expect("server side", SERVER, caddr, State::CloseWait, (0, 0), None),
                fin_wait2(),
            ],
            absent: vec![],
            show: TABLE,
        },
    );
    drop((server, listener));
    let f = &lab.facts;
    let explanation = format!(
        "The client's FIN was acknowledged, so it waits in FIN-WAIT-2 for the server's FIN; \
         having no process any more, it is kept by a `timewait` timer of about {} s \
         (tcp_fin_timeout) and then dropped. The server's side is CLOSE-WAIT, with Recv-Q {} \
         until it read the EOF (the FIN takes one sequence number) and {} after; CLOSE-WAIT \
         lasts until the application calls close(), forever if it never does.",
        f["fin_timeout_s"], f["recv_q_fin_unread"], f["server_recv_q"]
    );
    Ok(lab.report("close-wait", explanation))
}

fn time_wait(mut lab: Lab, obs: &mut dyn Observer) -> Result<Report> {
    let listener = lab.listen(obs, 5)?;
    let (client, mut server, caddr) = pair(&lab, obs, &listener)?;
    drop(client);
    obs.note("client: close()");
    server.set_read_timeout(Some(PATIENCE))?;
    let n = server.read(&mut [0u8; 64])?;
    if n != 0 {
        return Err(format!("the server read {n} bytes instead of EOF").into());
    }
    drop(server);
    obs.note("server: read() returns 0 (EOF), close()");
    let tw = lab.wait_socket("the client in TIME-WAIT", caddr, SERVER, |s| {
        s.state == State::TimeWait
    })?;
    lab.wait_for("the server side to vanish", |socks| {
        find(socks, SERVER, caddr).is_none().then_some(())
    })?;
    lab.fact(
        "timewait_ms",
        tw.timer.map_or(0, |t| t.expires().as_millis() as i64),
    );
    obs.step(
        &lab,
        &Step {
            title: "after a normal close, client first".into(),
            expect: vec![
                expect("listener", SERVER, ANY, State::Listen, (0, 5), None),
                expect(
                    "client (active closer)",
                    caddr,
                    SERVER,
                    State::TimeWait,
                    (0, 0),
                    Some(TimerExpect {
                        kind: TimerKind::TimeWait,
                        min_retransmits: 0,
                        bound: TimerBound::Between(
                            Duration::from_secs(50),
                            Duration::from_secs(60),
                        ),
                    }),
                ),
            ],
            absent: vec![absent("server side", Some(SERVER), Some(caddr))],
            show: TABLE,
        },
    );
    drop(listener);
    let f = &lab.facts;
    let explanation = format!(
        "The side that closed first ends in TIME-WAIT: the client's row has the `timewait` \
         timer, {:.1} s left of the fixed 60 s, which keeps the address pair from being reused \
         while late segments may still arrive. The server, the passive closer, went through \
         LAST-ACK and is gone; TIME-WAIT rows have no process and Recv-Q/Send-Q 0.",
        f["timewait_ms"] as f64 / 1000.0
    );
    Ok(lab.report("time-wait", explanation))
}

fn refused(mut lab: Lab, obs: &mut dyn Observer) -> Result<Report> {
    let before = lab.counters()?;
    obs.note(&format!("connect() to {SERVER}, where nobody listens"));
    let err = match lab.connect(SERVER) {
        Ok(s) => {
            return Err(format!("connect succeeded from {:?}", s.local_addr()).into());
        }
        Err(e) => e,
    };
    let errno = err
        .downcast_ref::<io::Error>()
        .and_then(|e| e.raw_os_error())
        .unwrap_or(0);
    obs.note(&format!("connect() fails: {err}"));
    lab.fact("errno", errno);
    let delta = lab.counters()?.since(&before);
    lab.fact("attempt_fails", delta.attempt_fails);
    lab.fact("out_rsts", delta.out_rsts);
    lab.fact("rows", lab.sockets()?.len());
    obs.step(
        &lab,
        &Step {
            title: "after the refused connect".into(),
            expect: vec![],
            absent: vec![
                absent("client", None, Some(SERVER)),
                absent("anything", None, None),
            ],
            show: TABLE,
        },
    );
    let f = &lab.facts;
    let explanation = format!(
        "The SYN reached a port without a listener, so the kernel answered with a RST \
         (OutRsts +{}) and connect() failed at once with errno {} (ECONNREFUSED); the attempt \
         is counted in AttemptFails (+{}). Nothing is left to show: the table has {} rows, \
         no SYN-SENT, no TIME-WAIT.",
        f["out_rsts"], f["errno"], f["attempt_fails"], f["rows"]
    );
    Ok(lab.report("refused", explanation))
}

fn fin_unanswered(mut lab: Lab, obs: &mut dyn Observer) -> Result<Report> {
    let listener = lab.listen(obs, 5)?;
    let (client, mut server, caddr) = pair(&lab, obs, &listener)?;
    // INPUT, not OUTPUT: the server's segments leave it and are lost on the
    // way, as on a network. Dropped in OUTPUT, they would fail inside the
    // sender's stack (EPERM), which then waits with its probe timer
    // (`persist`) instead of retransmitting.
    lab.iptables(obs, "-I INPUT 1 -i lo -p tcp --sport 5000 -j DROP")?;
    drop(client);
    obs.note("client: close() (its FIN reaches the server, the ACK is dropped)");
    server.set_read_timeout(Some(PATIENCE))?;
    let n = server.read(&mut [0u8; 64])?;
    if n != 0 {
        return Err(format!("the server read {n} bytes instead of EOF").into());
    }
    obs.note("server: read() returns 0 (EOF)");
    let c1 = lab.wait_socket("the client's FIN retransmissions", caddr, SERVER, |s| {
        s.state == State::FinWait1 && retransmits(s) >= 2
    })?;
    lab.wait_socket("the server side in CLOSE-WAIT", SERVER, caddr, |s| {
        s.state == State::CloseWait && s.recv_q == 0
    })?;
    lab.fact("client_retransmits", retransmits(&c1));
    obs.step(
        &lab,
        &Step {
            title: "the client closed; the server's answers are dropped".into(),
            expect: vec![
                expect(
                    "client",
                    caddr,
                    SERVER,
                    State::FinWait1,
                    (0, 1),
                    on_timer(2, TimerBound::Rto),
                ),
                expect("server side", SERVER, caddr, State::CloseWait, (0, 0), None),
            ],
            absent: vec![],
            show: WITH_INFO,
        },
    );
    drop(server);
    obs.note("server: close() (its FIN is dropped too)");
    let sv = lab.wait_socket("the server's FIN retransmissions", SERVER, caddr, |s| {
        s.state == State::LastAck && retransmits(s) >= 2
    })?;
    let c2 = lab.wait_socket("more FIN retransmissions", caddr, SERVER, |s| {
        s.state == State::FinWait1 && retransmits(s) > retransmits(&c1)
    })?;
    lab.fact("server_retransmits", retransmits(&sv));
    lab.fact("client_retransmits_later", retransmits(&c2));
    obs.step(
        &lab,
        &Step {
            title: "the server closed too".into(),
            expect: vec![
                expect(
                    "client",
                    caddr,
                    SERVER,
                    State::FinWait1,
                    (0, 1),
                    on_timer(retransmits(&c2), TimerBound::Rto),
                ),
                expect(
                    "server side (passive closer)",
                    SERVER,
                    caddr,
                    State::LastAck,
                    (0, 1),
                    on_timer(2, TimerBound::Rto),
                ),
            ],
            absent: vec![],
            show: TABLE,
        },
    );
    drop(listener);
    let f = &lab.facts;
    let explanation = format!(
        "Each side's FIN is the one byte of Send-Q nobody acknowledges: the client stays \
         FIN-WAIT-1, its `on` timer retransmitting the FIN with a doubling RTO ({} then {} \
         retransmissions), and the server, having read the EOF and closed too, LAST-ACK \
         ({} retransmissions). Neither can finish the close: when tcp_orphan_retries runs out \
         the kernel drops them, what a test tool reports as \"closed with error\".",
        f["client_retransmits"], f["client_retransmits_later"], f["server_retransmits"]
    );
    Ok(lab.report("fin-unanswered", explanation))
}

fn peer_gone(mut lab: Lab, obs: &mut dyn Observer) -> Result<Report> {
    lab.ns
        .sysctl("net.ipv4.tcp_retries2", &PEER_GONE_RETRIES2.to_string())?;
    obs.note(&format!(
        "sysctl net.ipv4.tcp_retries2={PEER_GONE_RETRIES2} (inside the namespace only)"
    ));
    let listener = lab.listen(obs, 5)?;
    let (mut client, server, caddr) = pair(&lab, obs, &listener)?;
    // Lost on the way in both directions (INPUT: see fin-unanswered).
    lab.iptables(obs, "-I INPUT 1 -i lo -p tcp --dport 5000 -j DROP")?;
    lab.iptables(obs, "-I INPUT 1 -i lo -p tcp --sport 5000 -j DROP")?;
    let before = lab.tcp_ext("TCPAbortOnTimeout")?;
    let msg = b"are you still there?\n";
    client.write_all(msg)?;
    let sent_at = Instant::now();
    obs.note(&format!("client sends {} bytes into the void", msg.len()));
    let len = msg.len() as u32;
    let first = lab.wait_socket("the first retransmission", caddr, SERVER, |s| {
        s.send_q == len && retransmits(s) >= 1
    })?;
    let s = lab.wait_socket("more retransmissions", caddr, SERVER, |s| {
        s.send_q == len && retransmits(s) >= 3
    })?;
    lab.fact("sent", len);
    lab.fact("retransmits_first", retransmits(&first));
    lab.fact("retransmits", retransmits(&s));
    lab.fact(
        "rto_ms",
        s.tcp_info.and_then(|i| i.rto()).unwrap_or(0) / 1000,
    );
    obs.step(
        &lab,
        &Step {
            title: "the peer has vanished; data outstanding".into(),
            expect: vec![
                expect(
                    "client",
                    caddr,
                    SERVER,
                    State::Established,
                    (0, len),
                    on_timer(3, TimerBound::Rto),
                ),
                expect(
                    "server side (never heard of it)",
                    SERVER,
                    caddr,
                    State::Established,
                    (0, 0),
                    None,
                ),
            ],
            absent: vec![],
            show: WITH_INFO,
        },
    );
    client.set_read_timeout(Some(PATIENCE))?;
    let err = match client.read(&mut [0u8; 64]) {
        Ok(n) => return Err(format!("the client read {n} bytes instead of an error").into()),
        Err(e) => e,
    };
    let waited = sent_at.elapsed();
    obs.note(&format!(
        "client: read() fails after {:.1} s: {err}",
        waited.as_secs_f64()
    ));
    lab.fact("errno", err.raw_os_error().unwrap_or(0));
    lab.fact("timeout_ms", waited.as_millis() as i64);
    lab.fact(
        "abort_on_timeout",
        lab.tcp_ext("TCPAbortOnTimeout")? - before,
    );
    lab.wait_for("the client's row to vanish", |socks| {
        find(socks, caddr, SERVER).is_none().then_some(())
    })?;
    obs.step(
        &lab,
        &Step {
            title: "after the retransmissions ran out".into(),
            expect: vec![expect(
                "server side (still waiting)",
                SERVER,
                caddr,
                State::Established,
                (0, 0),
                None,
            )],
            absent: vec![absent("client", Some(caddr), None)],
            show: TABLE,
        },
    );
    drop((server, listener));
    let f = &lab.facts;
    let explanation = format!(
        "With nothing coming back, the client's {} bytes stay in Send-Q and its `on` timer \
         retransmits them with a doubling RTO ({} retransmissions, rto {} ms at the look). \
         With tcp_retries2={} the kernel gave up after {:.1} s: the connection was aborted \
         (TCPAbortOnTimeout +{}), the pending read failed with errno {} (ETIMEDOUT), and the \
         row vanished without any FIN or RST on the wire.",
        f["sent"],
        f["retransmits"],
        f["rto_ms"],
        PEER_GONE_RETRIES2,
        f["timeout_ms"] as f64 / 1000.0,
        f["abort_on_timeout"],
        f["errno"]
    );
    Ok(lab.report("peer-gone", explanation))
}
