//! `rss doctor --conn`: follow one TCP connection through its two ends.
//!
//! Every namespace given (or rss's own) is sampled in step, unfiltered;
//! the filter selects the ends to follow and their peers are searched in
//! everything sampled: the other end of the connection, else the listener
//! its SYN is addressed to. What is checked depends on the phase the ends
//! are in:
//!
//! - handshake (an end in SYN-SENT or SYN-RECV): SYN → SYN-ACK → ACK →
//!   accept(), with the listener's accept queue;
//! - open and closing (ESTABLISHED, CLOSE-WAIT, FIN-WAIT-1/2, LAST-ACK,
//!   CLOSING): where the bytes sit (client Send-Q → server Recv-Q → server
//!   Send-Q → client Recv-Q, a FIN not counted as a byte), whether the
//!   server application accepted the connection, and, closing, which end
//!   has not closed or whose FIN is not acknowledged;
//! - closed (TIME-WAIT): how it ended.
//!
//! A place is *held up* when the same thing holds there in every sample.
//! The verdict names the held-up place that explains the others: unread
//! bytes in the server's Recv-Q before the client's Send-Q they hold back
//! (the window is closed because the server does not read), a connection
//! never accepted before its unread bytes. One connection is drawn in full
//! (one screen); several are one table, grouped by what holds them up,
//! with each verdict once. Lines fit the terminal (its width, else
//! `$COLUMNS`, else 80).

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use sockdiag::sample::{Sample, SampleOptions, Sampler, SocketKey, Track, track};
use sockdiag::{Query, Socket, State, States, Table, TimerKind};

use super::{Args, EXIT_CLEAN, EXIT_FINDINGS, Failure, fmt_duration};

/// The narrowest layout; a smaller `$COLUMNS` is raised to it.
const MIN_WIDTH: usize = 40;
/// The width when standard output is no terminal and `$COLUMNS` is unset.
const DEFAULT_WIDTH: usize = 80;

/// A holder of a socket.
#[derive(Serialize, Clone, Debug)]
struct Holder {
    command: String,
    pid: i32,
    fd: i32,
}

/// A socket as `--conn` reports it (the last sample it was in).
#[derive(Serialize, Clone, Debug)]
struct SocketView {
    netid: String,
    /// Library name (`established`, `syn_sent`, …).
    state: String,
    local: String,
    peer: String,
    recv_q: u32,
    send_q: u32,
    inode: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    cookie: Option<u64>,
    processes: Vec<Holder>,
}

impl SocketView {
    fn of(s: &Socket) -> SocketView {
        SocketView {
            netid: s.netid.name().to_string(),
            state: s.state.name().to_string(),
            local: sockdiag::ss::local(s).to_string(),
            peer: sockdiag::ss::peer(s).to_string(),
            recv_q: s.recv_q,
            send_q: s.send_q,
            inode: s.inode,
            cookie: s.cookie,
            processes: s
                .processes()
                .iter()
                .map(|p| Holder {
                    command: p.command.clone(),
                    pid: p.pid,
                    fd: p.fd,
                })
                .collect(),
        }
    }
}

/// One end of a connection, with its values over the samples.
#[derive(Serialize, Debug)]
struct End {
    socket: SocketView,
    namespace: Option<String>,
    /// The state in each sample (library names), null where absent.
    states: Vec<Option<String>>,
    /// Recv-Q in each sample it was in.
    recv_q: Vec<u32>,
    /// Send-Q in each sample it was in.
    send_q: Vec<u32>,
    /// Retransmissions of its `on` timer (SYN, SYN-ACK, data, FIN), last sample.
    retransmits: u8,
    #[serde(skip)]
    state: State,
    /// Present in every sample, in the same state.
    #[serde(skip)]
    steady: bool,
    /// Bytes beyond the FIN in each sample, per queue: (recv, send).
    #[serde(skip)]
    data: (Vec<u32>, Vec<u32>),
    #[serde(skip)]
    timer: Option<TimerKind>,
    #[serde(skip)]
    expires_ms: u32,
}

/// The listener a connection's server end belongs to.
#[derive(Serialize, Debug)]
struct Listener {
    socket: SocketView,
    namespace: Option<String>,
    /// Connections waiting for accept() in each sample.
    accept_queue: Vec<u32>,
    /// The backlog given to listen().
    backlog: u32,
}

impl Listener {
    fn waiting(&self) -> u32 {
        self.accept_queue.last().copied().unwrap_or(0)
    }

    /// Full as the kernel judges it (`sk_acceptq_is_full`: more waiting than
    /// the backlog): new SYNs and final ACKs are dropped.
    fn full(&self) -> bool {
        self.waiting() > self.backlog
    }

    fn describe(&self) -> String {
        format!(
            "{} LISTEN, accept queue {} of {}{}, {}",
            self.socket.local,
            self.waiting(),
            self.backlog,
            if self.full() { " (full)" } else { "" },
            holders(&self.socket)
        )
    }
}

/// One check along the way.
#[derive(Serialize, Debug)]
struct Check {
    step: u8,
    question: &'static str,
    /// `client.syn`, `server.synack`, `server.ack`, `listener.accept_queue`,
    /// `client.send_q`, `server.recv_q`, `server.send_q`, `client.recv_q`,
    /// `client.close_wait`, `server.close_wait`, `client.fin`,
    /// `server.fin`, `client.gone`, `server.gone`, `closed`.
    place: &'static str,
    /// The bytes there in each sample (queues only; empty otherwise or when
    /// that end is not visible).
    bytes: Vec<u32>,
    answer: String,
    /// Held up here in every sample.
    stuck: bool,
}

#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
enum Phase {
    Handshake,
    Open,
    Closing,
    Closed,
}

#[derive(Serialize, Debug)]
struct Connection {
    phase: Phase,
    client: Option<End>,
    server: Option<End>,
    listener: Option<Listener>,
    checks: Vec<Check>,
    /// The held-up place that explains the others, or null.
    stuck_at: Option<&'static str>,
    verdict: String,
    /// Other held-up places, each with its own sentence.
    also: Vec<String>,
    /// The client's and server's addresses (either end may be invisible).
    #[serde(skip)]
    addrs: (String, String),
}

struct Side<'a> {
    ns: Option<&'a PathBuf>,
    samples: &'a [Sample],
    tracks: Vec<Track<'a>>,
    index: HashMap<SocketKey, usize>,
}

impl<'a> Side<'a> {
    fn new(ns: Option<&'a PathBuf>, samples: &'a [Sample]) -> Side<'a> {
        let tracks = track(samples);
        let index = tracks.iter().enumerate().map(|(i, t)| (t.key, i)).collect();
        Side {
            ns,
            samples,
            tracks,
            index,
        }
    }

    fn last(&self) -> &'a [Socket] {
        self.samples.last().map_or(&[], |s| &s.sockets)
    }

    fn track(&self, s: &Socket) -> Option<&Track<'a>> {
        self.index.get(&SocketKey::of(s)).map(|&i| &self.tracks[i])
    }
}

pub(super) fn run(
    args: &Args,
    query: Query,
    namespaces: &[PathBuf],
    out: &mut dyn Write,
) -> Result<i32, Failure> {
    let all = take(args, namespaces)?;
    let sides: Vec<Side<'_>> = all
        .iter()
        .map(|(ns, samples)| Side::new(*ns, samples))
        .collect();
    let conns = connections(&sides, &query, !args.no_processes);
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "connections": conns }))
            .map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        let width = width();
        let span = span(args.samples as usize, args.interval);
        match conns.len() {
            0 => writeln!(
                out,
                "rss doctor --conn: no TCP connection matches the filter."
            )?,
            1 => render_one(out, &conns[0], &span, width)?,
            _ => render_many(out, &conns, &span, width)?,
        }
    }
    Ok(
        if conns.is_empty() || conns.iter().any(|c| c.stuck_at.is_some()) {
            EXIT_FINDINGS
        } else {
            EXIT_CLEAN
        },
    )
}

/// A namespace (`None`: rss's own) and its samples.
type Sampled<'n> = (Option<&'n PathBuf>, Vec<Sample>);

/// Every namespace sampled in step, unfiltered.
fn take<'n>(args: &Args, namespaces: &'n [PathBuf]) -> Result<Vec<Sampled<'n>>, Failure> {
    let unfiltered = Query::tcp().states(States::ALL);
    let list: Vec<Option<&PathBuf>> = if namespaces.is_empty() {
        vec![None]
    } else {
        namespaces.iter().map(Some).collect()
    };
    let mut samplers = Vec::new();
    for ns in &list {
        let opts = SampleOptions::default()
            .processes(false)
            .counters(false)
            .memory(false);
        let handle = ns.map(sockdiag::NetNs::from_path).transpose()?;
        samplers.push(Sampler::new(unfiltered.clone(), handle.as_ref(), opts)?);
    }
    let mut all: Vec<Sampled<'_>> = list.iter().map(|ns| (*ns, Vec::new())).collect();
    for i in 0..args.samples {
        if i > 0 {
            std::thread::sleep(args.interval);
        }
        for (k, s) in samplers.iter_mut().enumerate() {
            all[k].1.push(s.sample()?);
        }
    }
    if !args.no_processes {
        for (_, samples) in &mut all {
            sockdiag::sample::attach_processes(samples)?;
        }
    }
    Ok(all)
}

/// The connections the query selects, each once (its two ends together).
fn connections(sides: &[Side<'_>], query: &Query, processes: bool) -> Vec<Connection> {
    let mut conns = Vec::new();
    let mut seen: Vec<(u64, u64)> = Vec::new();
    for (si, side) in sides.iter().enumerate() {
        // Every socket of any sample, as it was last seen: a connection
        // that ended during the sampling is still followed.
        for t in &side.tracks {
            let Some((k, s)) = t
                .seen
                .iter()
                .enumerate()
                .rev()
                .find_map(|(k, o)| o.map(|o| (k, o)))
            else {
                continue;
            };
            if !query.selects(s)
                || s.netid != Table::Tcp
                || matches!(s.state, State::Listen | State::Close)
            {
                continue;
            }
            let peer = find_peer(sides, si, s, k);
            let key = {
                let a = id(s);
                let b = peer.map_or(0, |(_, p)| id(p));
                (a.min(b), a.max(b))
            };
            if peer.is_some() && seen.contains(&key) {
                continue;
            }
            seen.push(key);
            conns.push(follow(sides, si, s, peer, processes));
        }
    }
    conns
}

fn id(s: &Socket) -> u64 {
    s.cookie.unwrap_or(s.inode)
}

/// The other end of `s`, in any sampled namespace, in sample `k` (where
/// `s` was last seen; the namespaces are sampled in step).
fn find_peer<'a>(
    sides: &'a [Side<'a>],
    own: usize,
    s: &Socket,
    k: usize,
) -> Option<(usize, &'a Socket)> {
    let (l, p) = (s.local_addr()?, s.peer_addr()?);
    // Its own namespace first (loopback), then the others.
    let order = std::iter::once(own).chain((0..sides.len()).filter(move |&i| i != own));
    for i in order {
        let Some(sample) = sides[i].samples.get(k) else {
            continue;
        };
        if let Some(o) = sample.sockets.iter().find(|o| {
            o.netid == Table::Tcp
                && o.state != State::Listen
                && o.local_addr() == Some(p)
                && o.peer_addr() == Some(l)
                && !(i == own && o.cookie == s.cookie)
        }) {
            return Some((i, o));
        }
    }
    None
}

/// The listener that takes connections to `to`: the same address or a
/// wildcard one, the address's own namespace first.
fn find_listener<'a>(
    sides: &'a [Side<'a>],
    own: usize,
    to: SocketAddr,
) -> Option<(usize, &'a Socket)> {
    let order = std::iter::once(own).chain((0..sides.len()).filter(move |&i| i != own));
    for i in order {
        let mut wildcard = None;
        for o in sides[i].last() {
            if o.netid != Table::Tcp || o.state != State::Listen {
                continue;
            }
            let Some(a) = o.local_addr() else { continue };
            if a.port() != to.port() {
                continue;
            }
            if a.ip() == to.ip() {
                return Some((i, o));
            }
            if a.ip().is_unspecified() && wildcard.is_none() {
                wildcard = Some((i, o));
            }
        }
        if wildcard.is_some() {
            return wildcard;
        }
    }
    None
}

fn is_listening_port(side: &Side<'_>, port: u16) -> bool {
    side.last()
        .iter()
        .any(|o| o.state == State::Listen && o.local_port() == Some(port))
}

fn end(side: &Side<'_>, s: &Socket) -> End {
    let t = side.track(s);
    let present: Vec<&Socket> = t.map_or_else(|| vec![s], |t| t.present().collect());
    let states = t.map_or_else(
        || vec![Some(s.state.name().to_string())],
        |t| {
            t.seen
                .iter()
                .map(|o| o.map(|o| o.state.name().to_string()))
                .collect()
        },
    );
    let steady = t.is_some_and(|t| t.persisted()) && present.iter().all(|o| o.state == s.state);
    let timer = s.timer;
    End {
        socket: SocketView::of(s),
        namespace: side.ns.map(|p| p.display().to_string()),
        states,
        recv_q: present.iter().map(|o| o.recv_q).collect(),
        send_q: present.iter().map(|o| o.send_q).collect(),
        retransmits: timer
            .filter(|t| t.kind == TimerKind::On)
            .map_or(0, |t| t.retransmits),
        state: s.state,
        steady,
        data: (
            present
                .iter()
                .map(|o| o.recv_q.saturating_sub(o.state.fin_in_recv_q()))
                .collect(),
            present
                .iter()
                .map(|o| o.send_q.saturating_sub(o.state.fin_in_send_q()))
                .collect(),
        ),
        timer: timer.map(|t| t.kind),
        expires_ms: timer.map_or(0, |t| t.expires_ms),
    }
}

fn listener(side: &Side<'_>, s: &Socket) -> Listener {
    let t = side.track(s);
    Listener {
        socket: SocketView::of(s),
        namespace: side.ns.map(|p| p.display().to_string()),
        accept_queue: t.map_or_else(|| vec![s.recv_q], |t| t.values(|o| o.recv_q)),
        backlog: s.send_q,
    }
}

fn follow(
    sides: &[Side<'_>],
    si: usize,
    s: &Socket,
    peer: Option<(usize, &Socket)>,
    processes: bool,
) -> Connection {
    // The server is the end whose port a listener holds (else the end in
    // SYN-RECV, else the lower port); an end alone is the server when it
    // is in SYN-RECV or its port is listened on.
    let s_is_server = match peer {
        Some((pi, p)) => {
            let mine = s
                .local_port()
                .is_some_and(|port| is_listening_port(&sides[si], port));
            let theirs = p
                .local_port()
                .is_some_and(|port| is_listening_port(&sides[pi], port));
            match (mine, theirs) {
                (true, false) => true,
                (false, true) => false,
                _ if s.state == State::SynRecv || p.state == State::SynSent => true,
                _ if p.state == State::SynRecv || s.state == State::SynSent => false,
                _ => s.local_port() < p.local_port(),
            }
        }
        None => {
            s.state == State::SynRecv
                || (s.state != State::SynSent
                    && s.local_port()
                        .is_some_and(|port| is_listening_port(&sides[si], port)))
        }
    };
    let (client, server, server_side) = match (peer, s_is_server) {
        (Some((pi, p)), true) => (Some(end(&sides[pi], p)), Some(end(&sides[si], s)), si),
        (Some((pi, p)), false) => (Some(end(&sides[si], s)), Some(end(&sides[pi], p)), pi),
        (None, true) => (None, Some(end(&sides[si], s)), si),
        (None, false) => (Some(end(&sides[si], s)), None, si),
    };
    // The server's address: its own end, else what the client connects to.
    let server_addr = if s_is_server {
        s.local_addr()
    } else {
        s.peer_addr()
    };
    let listener = server_addr
        .and_then(|a| find_listener(sides, server_side, a))
        .map(|(li, l)| listener(&sides[li], l));
    let (caddr, saddr) = if s_is_server {
        (
            sockdiag::ss::peer(s).to_string(),
            sockdiag::ss::local(s).to_string(),
        )
    } else {
        (
            sockdiag::ss::local(s).to_string(),
            sockdiag::ss::peer(s).to_string(),
        )
    };
    // A missing end of a loopback connection is gone: it would be here.
    let gone = server_addr.is_some_and(|a| a.ip().is_loopback());
    judge(Parts {
        client,
        server,
        listener,
        addrs: (caddr, saddr),
        gone,
        processes,
    })
}

/// What [`judge`] looks at.
struct Parts {
    client: Option<End>,
    server: Option<End>,
    listener: Option<Listener>,
    addrs: (String, String),
    /// The missing end would be visible if it existed (loopback).
    gone: bool,
    /// Processes were read.
    processes: bool,
}

fn phase(client: Option<&End>, server: Option<&End>) -> Phase {
    let states: Vec<State> = [client, server]
        .into_iter()
        .flatten()
        .map(|e| e.state)
        .collect();
    if states
        .iter()
        .any(|s| matches!(s, State::SynSent | State::SynRecv))
    {
        Phase::Handshake
    } else if states
        .iter()
        .all(|s| matches!(s, State::TimeWait | State::Close))
    {
        Phase::Closed
    } else if states.iter().all(|s| *s == State::Established) {
        Phase::Open
    } else {
        Phase::Closing
    }
}

/// Holders as one phrase: `"server" pid 42 fd 4`, or why none is named.
fn holders(s: &SocketView) -> String {
    if s.processes.is_empty() {
        return "no process".into();
    }
    let v: Vec<String> = s
        .processes
        .iter()
        .map(|p| format!("{:?} pid {} fd {}", p.command, p.pid, p.fd))
        .collect();
    v.join(", ")
}

fn times(n: u8) -> String {
    match n {
        1 => "once".into(),
        n => format!("{n} times"),
    }
}

fn label(st: State) -> &'static str {
    sockdiag::ss::state_label(st)
}

/// Held up: present in every sample with more than `limit` in each.
fn sits(e: &End, v: &[u32]) -> bool {
    e.steady && !v.is_empty() && v.iter().all(|&b| b > 0)
}

fn judge(p: Parts) -> Connection {
    let Parts {
        client,
        server,
        listener,
        addrs,
        gone,
        processes,
    } = p;
    let phase = phase(client.as_ref(), server.as_ref());
    let missing = |role: &str| {
        if gone {
            format!("the {role}'s end is gone (it would be visible here)")
        } else {
            format!(
                "the {role}'s end is not visible here (another host or namespace: give it with a \
                 second -N)"
            )
        }
    };
    let mut checks = Vec::new();
    let mut verdicts: Vec<(&'static str, String)> = Vec::new();
    match phase {
        Phase::Handshake => {
            let c = client.as_ref();
            let s = server.as_ref();
            let full = listener.as_ref().is_some_and(Listener::full);
            // (1) the SYN.
            let syn_stuck =
                c.is_some_and(|c| c.state == State::SynSent && c.steady) && s.is_none() && !full;
            checks.push(Check {
                step: 1,
                question: "did the client send its SYN?",
                place: "client.syn",
                bytes: Vec::new(),
                answer: match c {
                    Some(c) if c.state == State::SynSent => format!(
                        "yes: the client is in SYN-SENT{}",
                        if c.retransmits > 0 {
                            format!(", its SYN sent again {}", times(c.retransmits))
                        } else {
                            String::new()
                        }
                    ),
                    Some(c) => format!(
                        "yes, and the SYN-ACK came back: the client is {}",
                        label(c.state)
                    ),
                    None => missing("client"),
                },
                stuck: syn_stuck,
            });
            // (2) the SYN-ACK.
            checks.push(Check {
                step: 2,
                question: "did the server's kernel answer (SYN-ACK)?",
                place: "server.synack",
                bytes: Vec::new(),
                answer: match (s, &listener) {
                    (Some(s), _) if s.state == State::SynRecv => format!(
                        "yes: the server holds a SYN-RECV request for it{}",
                        if s.retransmits > 0 {
                            format!(", its SYN-ACK sent again {}", times(s.retransmits))
                        } else {
                            String::new()
                        }
                    ),
                    (Some(s), _) => format!("yes: the server's end is {}", label(s.state)),
                    (None, Some(l)) if l.full() => format!(
                        "no: the listener's accept queue is full ({} of backlog {}), so its \
                         kernel drops the SYN",
                        l.waiting(),
                        l.backlog
                    ),
                    (None, Some(l)) => format!(
                        "no: the listener {} holds no request from this client: the SYN does \
                         not reach it",
                        l.socket.local
                    ),
                    (None, None) if gone => format!(
                        "no: no socket listens on {} here, and the SYN gets no answer",
                        addrs.1
                    ),
                    (None, None) => missing("server"),
                },
                stuck: false,
            });
            // (3) the final ACK.
            let ack_stuck = s.is_some_and(|s| s.state == State::SynRecv && s.steady) && !full;
            checks.push(Check {
                step: 3,
                question: "did the client's ACK complete the handshake?",
                place: "server.ack",
                bytes: Vec::new(),
                answer: match (c, s) {
                    (Some(c), Some(s))
                        if c.state != State::SynSent && s.state == State::SynRecv =>
                    {
                        format!(
                            "no: the client is {}, the server still SYN-RECV: the client's ACK \
                             does not reach the server",
                            label(c.state)
                        )
                    }
                    (_, Some(s)) if s.state == State::SynRecv => {
                        "not yet: the server waits for the client's ACK".into()
                    }
                    _ => "not yet".into(),
                },
                stuck: ack_stuck,
            });
            // (4) accept(), and the listener's queue.
            let queue_stuck = full && listener.as_ref().is_some_and(steady_full);
            checks.push(Check {
                step: 4,
                question: "is there room in the listener's accept queue?",
                place: "listener.accept_queue",
                bytes: listener
                    .as_ref()
                    .map_or_else(Vec::new, |l| l.accept_queue.clone()),
                answer: match &listener {
                    Some(l) if l.full() => format!(
                        "no: {} waiting, more than the backlog of {}: the application ({}) \
                         does not call accept() fast enough",
                        l.waiting(),
                        l.backlog,
                        holders(&l.socket)
                    ),
                    Some(l) => format!("yes: {} waiting, backlog {}", l.waiting(), l.backlog),
                    None => format!("no listener on {} is visible here", addrs.1),
                },
                stuck: queue_stuck,
            });
            if queue_stuck {
                let l = listener.as_ref().expect("a full listener");
                verdicts.push((
                    "listener.accept_queue",
                    format!(
                        "the accept queue of the listener {} is full ({} of backlog {}): its \
                         kernel drops this connection's {}; the server application ({}) does \
                         not call accept() fast enough",
                        l.socket.local,
                        l.waiting(),
                        l.backlog,
                        if s.is_some() { "final ACK" } else { "SYN" },
                        holders(&l.socket)
                    ),
                ));
            }
            if ack_stuck {
                let s = s.expect("a SYN-RECV end");
                verdicts.push((
                    "server.ack",
                    format!(
                        "the handshake does not complete: the server answered with a SYN-ACK{} \
                         and {}, but the client's final ACK never arrives: something on the \
                         way drops it (a firewall rule?){}",
                        if s.retransmits > 0 {
                            format!(" (sent again {})", times(s.retransmits))
                        } else {
                            String::new()
                        },
                        match c {
                            Some(c) => format!("the client is {}", label(c.state)),
                            None => "the client is not visible here".into(),
                        },
                        if c.is_none() && !gone {
                            ", or the client is gone"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            if syn_stuck {
                let c = c.expect("a SYN-SENT end");
                let why = match &listener {
                    Some(l) => format!(
                        "although the listener {} has room ({} of backlog {}): something on \
                         the way drops the SYN (a firewall rule?)",
                        l.socket.local,
                        l.waiting(),
                        l.backlog
                    ),
                    None if gone => format!(
                        "and no socket listens on {} here: something drops the SYN (a \
                         firewall rule?)",
                        addrs.1
                    ),
                    None => "and the server is not visible here: the SYN is dropped on the way \
                             or the server is down (give the server's namespace with a second -N)"
                        .into(),
                };
                verdicts.push((
                    "client.syn",
                    format!(
                        "the client's SYN gets no answer{} {why}",
                        if c.retransmits > 0 {
                            format!(" (sent again {})", times(c.retransmits))
                        } else {
                            String::new()
                        }
                    ),
                ));
            }
        }
        Phase::Open | Phase::Closing => {
            let c = client.as_ref();
            let s = server.as_ref();
            let bytes = |e: Option<&End>, recv: bool| -> Vec<u32> {
                e.map_or_else(Vec::new, |e| {
                    if recv {
                        e.recv_q.clone()
                    } else {
                        e.send_q.clone()
                    }
                })
            };
            let data = |e: Option<&End>, recv: bool| -> Vec<u32> {
                e.map_or_else(Vec::new, |e| {
                    if recv {
                        e.data.0.clone()
                    } else {
                        e.data.1.clone()
                    }
                })
            };
            let last = |v: &[u32]| v.last().copied().unwrap_or(0);
            let held = |e: Option<&End>, recv: bool| {
                e.is_some_and(|e| sits(e, if recv { &e.data.0 } else { &e.data.1 }))
            };
            let (c_send, s_recv, s_send, c_recv) =
                (held(c, false), held(s, true), held(s, false), held(c, true));
            let fin_note = |e: Option<&End>, recv: bool| -> &'static str {
                match e {
                    Some(e) if recv && e.state.fin_in_recv_q() > 0 && last(&e.recv_q) > 0 => {
                        " (the FIN not counted)"
                    }
                    Some(e) if !recv && e.state.fin_in_send_q() > 0 && last(&e.send_q) > 0 => {
                        " (the FIN not counted)"
                    }
                    _ => "",
                }
            };
            let retrans = |e: Option<&End>| -> String {
                match e {
                    Some(e) if e.retransmits > 0 => {
                        format!(", sent again {}", times(e.retransmits))
                    }
                    Some(e) if e.timer == Some(TimerKind::Persist) => {
                        ", the peer's window is zero (persist timer)".into()
                    }
                    _ => String::new(),
                }
            };
            let n = last(&data(c, false));
            checks.push(Check {
                step: 1,
                question: "did the client's kernel send it?",
                place: "client.send_q",
                bytes: bytes(c, false),
                answer: match c {
                    None => missing("client"),
                    Some(_) if n > 0 => format!(
                        "{n} byte(s) not acknowledged (Send-Q){}{}",
                        fin_note(c, false),
                        retrans(c)
                    ),
                    Some(_) => format!("yes: all acknowledged{}", fin_note(c, false)),
                },
                stuck: c_send,
            });
            let n = last(&data(s, true));
            checks.push(Check {
                step: 2,
                question: "did the server's kernel receive it?",
                place: "server.recv_q",
                bytes: bytes(s, true),
                answer: match s {
                    None => missing("server"),
                    Some(_) if n > 0 => format!(
                        "yes, and {n} byte(s) wait unread (Recv-Q){}",
                        fin_note(s, true)
                    ),
                    Some(_) => format!("yes: all read{}", fin_note(s, true)),
                },
                stuck: s_recv,
            });
            let n = last(&data(s, false));
            checks.push(Check {
                step: 3,
                question: "did the server answer?",
                place: "server.send_q",
                bytes: bytes(s, false),
                answer: match s {
                    None => missing("server"),
                    Some(_) if n > 0 => format!(
                        "{n} byte(s) not acknowledged (Send-Q){}{}",
                        fin_note(s, false),
                        retrans(s)
                    ),
                    Some(_) => format!(
                        "Send-Q empty: what it wrote was acknowledged{}",
                        fin_note(s, false)
                    ),
                },
                stuck: s_send,
            });
            let n = last(&data(c, true));
            checks.push(Check {
                step: 4,
                question: "did the client receive it?",
                place: "client.recv_q",
                bytes: bytes(c, true),
                answer: match c {
                    None => missing("client"),
                    Some(_) if n > 0 => format!(
                        "yes, and {n} byte(s) wait unread (Recv-Q){}",
                        fin_note(c, true)
                    ),
                    Some(_) => format!("Recv-Q empty: what arrived was read{}", fin_note(c, true)),
                },
                stuck: c_recv,
            });
            // (5) accept(): a connection in ESTABLISHED or CLOSE-WAIT without
            // an inode has no socket file yet: it waits in the accept queue
            // (an orphan, closed by its application, is past both states).
            let queued = s.is_some_and(|s| {
                matches!(s.state, State::Established | State::CloseWait) && s.socket.inode == 0
            }) && listener.is_some();
            let queue_stuck = queued && s.is_some_and(|s| s.steady);
            checks.push(Check {
                step: 5,
                question: "did the server application accept it?",
                place: "listener.accept_queue",
                bytes: Vec::new(),
                answer: match (s, &listener) {
                    (None, _) => missing("server"),
                    (Some(_), Some(l)) if queued => {
                        format!(
                            "no: it waits in the listener's accept queue ({} of {})",
                            l.waiting(),
                            l.backlog
                        )
                    }
                    (Some(s), _) if s.socket.inode == 0 => {
                        "it did, and has closed it since (no process holds it: an orphan the \
                         kernel finishes alone)"
                            .into()
                    }
                    (Some(s), _) if !processes => {
                        format!("yes (inode {}; processes not read)", s.socket.inode)
                    }
                    (Some(s), _) => format!("yes: {}", holders(&s.socket)),
                },
                stuck: queue_stuck,
            });
            // (6) closing: who has not closed, whose FIN is not acknowledged.
            let mut close_stuck: Vec<(&'static str, String)> = Vec::new();
            if phase == Phase::Closing {
                let mut parts = Vec::new();
                for (role, other, e, wait_place, fin_place) in [
                    ("client", "server", c, "client.close_wait", "client.fin"),
                    ("server", "client", s, "server.close_wait", "server.fin"),
                ] {
                    let Some(e) = e else { continue };
                    let part = match e.state {
                        State::CloseWait => {
                            if e.steady && !(role == "server" && queued) {
                                close_stuck.push((
                                    wait_place,
                                    format!(
                                        "the {other} closed the connection and the {role} \
                                         application ({}) has not closed its end (CLOSE-WAIT \
                                         in every sample): it misses the end of file, or \
                                         leaks the descriptor",
                                        holders(&e.socket)
                                    ),
                                ));
                            }
                            format!(
                                "the {role} got the {other}'s FIN and has not closed (CLOSE-WAIT)"
                            )
                        }
                        State::FinWait1 | State::LastAck | State::Closing => {
                            if e.steady && e.retransmits > 0 {
                                close_stuck.push((
                                    fin_place,
                                    format!(
                                        "the {role}'s FIN is not acknowledged (sent again {}, \
                                         {}): the {other}'s end is gone or the path drops its \
                                         packets",
                                        times(e.retransmits),
                                        label(e.state)
                                    ),
                                ));
                            }
                            format!(
                                "the {role} closed, its FIN not acknowledged yet ({}{})",
                                label(e.state),
                                if e.retransmits > 0 {
                                    format!(", sent again {}", times(e.retransmits))
                                } else {
                                    String::new()
                                }
                            )
                        }
                        State::FinWait2 => format!(
                            "the {role} closed, its FIN acknowledged; it waits for the {other}'s \
                             FIN (FIN-WAIT-2)"
                        ),
                        State::TimeWait => {
                            format!("the {role} closed first and waits out TIME-WAIT")
                        }
                        st => format!("the {role} is {}", label(st)),
                    };
                    parts.push(part);
                }
                let stuck = !close_stuck.is_empty();
                checks.push(Check {
                    step: 6,
                    question: "did both ends close?",
                    place: close_stuck.first().map_or("closed", |(p, _)| *p),
                    bytes: Vec::new(),
                    answer: parts.join("; "),
                    stuck,
                });
            }
            // (7) an end gone (it would be visible) while the other waits on.
            let mut gone_stuck = None;
            if gone && (c.is_none() != s.is_none()) {
                let (role, other, e) = match (c, s) {
                    (None, Some(e)) => ("client", "server", e),
                    (Some(e), _) => ("server", "client", e),
                    (None, None) => unreachable!("one end is present"),
                };
                let place = if role == "client" {
                    "client.gone"
                } else {
                    "server.gone"
                };
                checks.push(Check {
                    step: 7,
                    question: "are both ends still there?",
                    place,
                    bytes: Vec::new(),
                    answer: format!(
                        "no: the {role}'s end is gone, the {other}'s is {}",
                        label(e.state)
                    ),
                    stuck: e.steady,
                });
                if e.steady {
                    gone_stuck = Some((
                        place,
                        format!(
                            "the {role}'s end is gone (aborted, or reset without the {other} \
                             hearing it) while the {other} ({}) still holds the connection in \
                             {}: it waits on a dead connection until keepalive or an \
                             application timeout notices",
                            holders(&e.socket),
                            label(e.state)
                        ),
                    ));
                }
            }
            // Root causes first: a connection never accepted, then unread
            // bytes (which close the window the sender waits on), then
            // unacknowledged bytes, then the close.
            if queue_stuck {
                let l = listener.as_ref().expect("a listener");
                verdicts.push((
                    "listener.accept_queue",
                    format!(
                        "never accepted: the server's end waits in the accept queue of the \
                         listener {} ({} of backlog {}){}; the server application ({}) does not \
                         call accept()",
                        l.socket.local,
                        l.waiting(),
                        l.backlog,
                        match last(&data(s, true)) {
                            0 => String::new(),
                            n => format!(" with {n} byte(s) from the client"),
                        },
                        holders(&l.socket)
                    ),
                ));
            }
            if s_recv && !queue_stuck {
                let s = s.expect("a server end");
                verdicts.push((
                    "server.recv_q",
                    format!(
                        "{} byte(s) sit unread in the server's Recv-Q in every sample: the server \
                         application ({}) does not read them{}",
                        last(&s.data.0),
                        holders(&s.socket),
                        if c_send {
                            format!(
                                "; the client's {} unacknowledged byte(s) wait behind them \
                                 (the server's window is closed)",
                                last(&data(c, false))
                            )
                        } else {
                            String::new()
                        }
                    ),
                ));
            } else if c_send && !queue_stuck {
                let c = c.expect("a client end");
                verdicts.push((
                    "client.send_q",
                    format!(
                        "{} byte(s) sit in the client's Send-Q in every sample, not \
                         acknowledged{}: {}",
                        last(&c.data.1),
                        retrans(Some(c)),
                        match s {
                            Some(_) => "the server's Recv-Q is empty, so they are lost on the way \
                                        (the path drops them)"
                                .to_string(),
                            None if gone =>
                                "the server's end is gone: nothing acknowledges them".to_string(),
                            None => "the server's end is not visible here: the path drops them, \
                                     or the server's window is closed (look at the server's \
                                     Recv-Q on its host)"
                                .to_string(),
                        }
                    ),
                ));
            }
            if c_recv {
                let c = c.expect("a client end");
                verdicts.push((
                    "client.recv_q",
                    format!(
                        "{} byte(s) of the answer sit unread in the client's Recv-Q in every \
                         sample: the client application ({}) does not read them{}",
                        last(&c.data.0),
                        holders(&c.socket),
                        if s_send {
                            "; the server's unacknowledged answer waits behind them"
                        } else {
                            ""
                        }
                    ),
                ));
            } else if s_send {
                let s = s.expect("a server end");
                verdicts.push((
                    "server.send_q",
                    format!(
                        "{} byte(s) of the server's answer sit in its Send-Q in every sample, not \
                         acknowledged{}: {}",
                        last(&s.data.1),
                        retrans(Some(s)),
                        match c {
                            Some(_) => "the client's Recv-Q is empty, so they are lost on the way",
                            None if gone => "the client's end is gone: nothing acknowledges them",
                            None => "the client's end is not visible here (look at its Recv-Q)",
                        }
                    ),
                ));
            }
            // A FIN not acknowledged is the path's; CLOSE-WAIT the application's.
            close_stuck.sort_by_key(|(p, _)| !p.ends_with(".fin"));
            verdicts.extend(close_stuck);
            verdicts.extend(gone_stuck);
        }
        Phase::Closed => {
            let parts: Vec<String> = [("client", client.as_ref()), ("server", server.as_ref())]
                .into_iter()
                .map(|(role, e)| match e {
                    Some(e) if e.state == State::TimeWait => format!(
                        "the {role} closed first and waits out TIME-WAIT ({} s left)",
                        e.expires_ms.div_ceil(1000)
                    ),
                    Some(e) => format!("the {role} is {}", label(e.state)),
                    None if gone => format!("the {role}'s end is gone: fully closed"),
                    None => missing(role),
                })
                .collect();
            checks.push(Check {
                step: 1,
                question: "how did it end?",
                place: "closed",
                bytes: Vec::new(),
                answer: parts.join("; "),
                stuck: false,
            });
        }
    }
    let (stuck_at, verdict) = match verdicts.first() {
        Some((p, v)) => (Some(*p), v.clone()),
        None => (
            None,
            match phase {
                Phase::Handshake => "the handshake is under way: nothing is held up in every \
                                     sample"
                    .into(),
                Phase::Open => "nothing is held up: no bytes sit anywhere in every sample (the \
                                data moves, or nothing was sent)"
                    .into(),
                Phase::Closing => {
                    "the connection is closing: nothing is held up in every sample".into()
                }
                Phase::Closed => {
                    "closed normally: nothing is held up, TIME-WAIT ends by itself".into()
                }
            },
        ),
    };
    let also = verdicts.iter().skip(1).map(|(_, v)| v.clone()).collect();
    // Every held-up place stays marked; the verdict says which explains.
    Connection {
        phase,
        client,
        server,
        listener,
        checks,
        stuck_at,
        verdict,
        also,
        addrs,
    }
}

/// Full in every sample.
fn steady_full(l: &Listener) -> bool {
    !l.accept_queue.is_empty() && l.accept_queue.iter().all(|&q| q > l.backlog)
}

// ---------------------------------------------------------------------------
// Text

/// The width to lay out for: the terminal's, else `$COLUMNS`, else 80.
fn width() -> usize {
    crate::render::screen_width(io::stdout().is_terminal())
        .unwrap_or(DEFAULT_WIDTH)
        .max(MIN_WIDTH)
}

fn span(samples: usize, interval: Duration) -> String {
    if samples > 1 {
        format!("{samples} samples {} apart", fmt_duration(interval))
    } else {
        "1 sample".into()
    }
}

/// Values over the samples in at most `room` characters: `0→26→26`, or
/// the first and last around an ellipsis, or the last alone.
fn series(v: &[u32], room: usize) -> String {
    if v.is_empty() {
        return "?".into();
    }
    let all: Vec<String> = v.iter().map(u32::to_string).collect();
    let joined = all.join("→");
    if joined.chars().count() <= room {
        return joined;
    }
    let ends = format!("{}→…→{}", all[0], all[all.len() - 1]);
    if ends.chars().count() <= room {
        ends
    } else {
        all[all.len() - 1].clone()
    }
}

/// Writes `text` after `lead`, wrapped at `width` columns with the lead's
/// indent (a word longer than the line stands alone).
fn wrapped(out: &mut dyn Write, lead: &str, text: &str, width: usize) -> io::Result<()> {
    let indent = " ".repeat(lead.chars().count());
    let mut line = lead.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            writeln!(out, "{line}")?;
            line.clone_from(&indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    writeln!(out, "{line}")
}

fn end_line(e: Option<&End>, addr: &str, processes_hint: &str) -> String {
    match e {
        Some(e) => format!("{addr}, {}, {}", label(e.state), holders(&e.socket)),
        None => format!("{addr}, {processes_hint}"),
    }
}

fn render_one(out: &mut dyn Write, c: &Connection, span: &str, width: usize) -> io::Result<()> {
    wrapped(
        out,
        "",
        &format!("connection {} → {} ({span})", c.addrs.0, c.addrs.1),
        width,
    )?;
    let gone = c.checks.iter().any(|k| k.answer.contains("end is gone"));
    let none = match c.phase {
        Phase::Handshake => "no socket yet",
        _ if gone => "gone",
        _ => "not visible here (give its namespace with a second -N)",
    };
    wrapped(
        out,
        "  client    ",
        &end_line(c.client.as_ref(), &c.addrs.0, none),
        width,
    )?;
    wrapped(
        out,
        "  server    ",
        &end_line(c.server.as_ref(), &c.addrs.1, none),
        width,
    )?;
    if let Some(l) = &c.listener {
        wrapped(out, "  listener  ", &l.describe(), width)?;
    }
    if matches!(c.phase, Phase::Open | Phase::Closing) {
        writeln!(out)?;
        for line in diagram(c, width) {
            writeln!(out, "{line}")?;
        }
    }
    writeln!(out)?;
    // The byte checks in one line when both ends are here and no queue
    // holds a byte (a FIN aside) in the last sample.
    let empty = |e: Option<&End>| {
        e.is_some_and(|e| e.data.0.last() == Some(&0) && e.data.1.last() == Some(&0))
    };
    let all_quiet = matches!(c.phase, Phase::Open | Phase::Closing)
        && empty(c.client.as_ref())
        && empty(c.server.as_ref());
    if all_quiet {
        wrapped(
            out,
            "  (1-4) ",
            "did the bytes get through? yes: no queue holds a byte (a FIN aside)",
            width,
        )?;
    }
    for ch in &c.checks {
        if all_quiet && (1..=4).contains(&ch.step) {
            continue;
        }
        // Accepted normally: the server's line names its holder already.
        if ch.step == 5 && !ch.stuck && ch.answer.starts_with("yes") {
            continue;
        }
        let lead = format!("  ({}) ", ch.step);
        let text = format!(
            "{} {}{}",
            ch.question,
            ch.answer,
            if ch.stuck { " <==" } else { "" }
        );
        wrapped(out, &lead, &text, width)?;
    }
    writeln!(out)?;
    wrapped(out, "  verdict: ", &c.verdict, width)?;
    for a in &c.also {
        wrapped(out, "  also:    ", a, width)?;
    }
    Ok(())
}

/// The queues of both directions, client on the left, server on the
/// right, each over the samples, held-up places marked; the value series
/// shrink until the lines fit `width`.
fn diagram(c: &Connection, width: usize) -> Vec<String> {
    let q = |e: Option<&End>, recv: bool| -> Vec<u32> {
        e.map_or_else(Vec::new, |e| {
            if recv {
                e.recv_q.clone()
            } else {
                e.send_q.clone()
            }
        })
    };
    let mark = |place: &str| c.checks.iter().any(|k| k.place == place && k.stuck);
    let marks = [
        match (mark("client.send_q"), mark("server.recv_q")) {
            (true, true) => "<== (1)(2)",
            (true, false) => "<== (1)",
            (false, true) => "<== (2)",
            _ => "",
        },
        match (mark("client.recv_q"), mark("server.send_q")) {
            (true, true) => "<== (4)(3)",
            (true, false) => "<== (4)",
            (false, true) => "<== (3)",
            _ => "",
        },
    ];
    let (cl, sv) = (c.client.as_ref(), c.server.as_ref());
    let mut room = width;
    loop {
        let left = [
            format!("(1) Send-Q {}", series(&q(cl, false), room)),
            format!("(4) Recv-Q {}", series(&q(cl, true), room)),
        ];
        let right = [
            format!("(2) Recv-Q {}", series(&q(sv, true), room)),
            format!("(3) Send-Q {}", series(&q(sv, false), room)),
        ];
        let lw = left.iter().map(|s| s.chars().count()).max().unwrap_or(0);
        let rw = right.iter().map(|s| s.chars().count()).max().unwrap_or(0);
        let mut lines = vec![format!("  {:<lw$}        {}", "client", "server")];
        for (i, arrow) in ["--->", "<---"].iter().enumerate() {
            let line = format!(
                "  {:<lw$}  {arrow}  {:<rw$}  {}",
                left[i], right[i], marks[i]
            );
            lines.push(line.trim_end().to_string());
        }
        if room <= 1 || lines.iter().all(|l| l.chars().count() <= width) {
            return lines;
        }
        room -= 1;
    }
}

/// What holds a connection up, in a few words (the summary table's column).
fn held_words(place: Option<&str>) -> &'static str {
    match place {
        Some("client.syn") => "SYN unanswered",
        Some("server.ack") => "final ACK lost",
        Some("listener.accept_queue") => "accept queue",
        Some("client.send_q") => "client Send-Q",
        Some("server.recv_q") => "server Recv-Q",
        Some("server.send_q") => "server Send-Q",
        Some("client.recv_q") => "client Recv-Q",
        Some("client.close_wait") => "client CLOSE-WAIT",
        Some("server.close_wait") => "server CLOSE-WAIT",
        Some("client.fin") => "client FIN",
        Some("server.fin") => "server FIN",
        Some("client.gone") => "client gone",
        Some("server.gone") => "server gone",
        Some(_) => "held up",
        None => "-",
    }
}

fn states_word(c: &Connection) -> String {
    let st = |e: Option<&End>| e.map_or("-", |e| label(e.state));
    format!("{}/{}", st(c.client.as_ref()), st(c.server.as_ref()))
}

fn render_many(
    out: &mut dyn Write,
    conns: &[Connection],
    span: &str,
    width: usize,
) -> io::Result<()> {
    // Groups: the same server, states and held-up place.
    let mut groups: Vec<(String, String, Option<&'static str>, Vec<&Connection>)> = Vec::new();
    for c in conns {
        let key = (c.addrs.1.clone(), states_word(c), c.stuck_at);
        match groups
            .iter_mut()
            .find(|g| (g.0.as_str(), g.1.as_str(), g.2) == (key.0.as_str(), key.1.as_str(), key.2))
        {
            Some(g) => g.3.push(c),
            None => groups.push((key.0, key.1, key.2, vec![c])),
        }
    }
    let held = conns.iter().filter(|c| c.stuck_at.is_some()).count();
    wrapped(
        out,
        "",
        &format!(
            "rss doctor --conn: {} connections ({span}), {held} held up",
            conns.len()
        ),
        width,
    )?;
    writeln!(out)?;
    let rows: Vec<[String; 5]> = groups
        .iter()
        .enumerate()
        .map(|(i, (server, states, place, members))| {
            let client = if members.len() == 1 {
                members[0].addrs.0.clone()
            } else {
                format!("{} clients", members.len())
            };
            [
                format!("[{}]", i + 1),
                client,
                server.clone(),
                states.clone(),
                held_words(*place).to_string(),
            ]
        })
        .collect();
    let head = ["", "CLIENT", "SERVER", "STATES", "HELD UP AT"];
    let mut w = [0usize; 5];
    for r in rows
        .iter()
        .map(|r| r.each_ref().map(String::as_str))
        .chain([head])
    {
        for (k, cell) in r.iter().enumerate() {
            w[k] = w[k].max(cell.chars().count());
        }
    }
    let total = 2 + w.iter().sum::<usize>() + 2 * 4;
    let line = |r: [&str; 5]| -> Vec<String> {
        if total <= width {
            let l = format!(
                "  {:<a$}  {:<b$}  {:<c$}  {:<d$}  {}",
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                a = w[0],
                b = w[1],
                c = w[2],
                d = w[3]
            );
            vec![l.trim_end().to_string()]
        } else {
            // Too wide: the ends on one line (or one each), states and
            // place below.
            let ends = format!("  {:<a$}  {} → {}", r[0], r[1], r[2], a = w[0]);
            let mut v = if ends.chars().count() <= width {
                vec![ends]
            } else {
                vec![
                    format!("  {:<a$}  {}", r[0], r[1], a = w[0]),
                    format!("  {:<a$}  → {}", "", r[2], a = w[0]),
                ]
            };
            v.push(
                format!("  {:<a$}  {}  {}", "", r[3], r[4], a = w[0])
                    .trim_end()
                    .to_string(),
            );
            v
        }
    };
    if total <= width {
        for l in line(head) {
            writeln!(out, "{l}")?;
        }
    }
    for r in &rows {
        for l in line(r.each_ref().map(String::as_str)) {
            writeln!(out, "{l}")?;
        }
    }
    writeln!(out)?;
    for (i, (_, _, _, members)) in groups.iter().enumerate() {
        let c = members[0];
        let lead = format!("  [{}] ", i + 1);
        let text = if members.len() > 1 {
            format!("{} (e.g. {} → {})", c.verdict, c.addrs.0, c.addrs.1)
        } else {
            c.verdict.clone()
        };
        wrapped(out, &lead, &text, width)?;
    }
    writeln!(out)?;
    wrapped(
        out,
        "",
        "A filter that selects one connection (its client's port: 'sport = :PORT') \
         draws it in full; -j lists every connection.",
        width,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(state: State, recv_q: &[u32], send_q: &[u32]) -> End {
        let s = Socket::new(Table::Tcp, sockdiag::Family::Inet, state);
        End {
            socket: SocketView {
                inode: 7,
                ..SocketView::of(&s)
            },
            namespace: None,
            states: vec![Some(state.name().into()); recv_q.len()],
            recv_q: recv_q.to_vec(),
            send_q: send_q.to_vec(),
            retransmits: 0,
            state,
            steady: true,
            data: (
                recv_q
                    .iter()
                    .map(|b| b.saturating_sub(state.fin_in_recv_q()))
                    .collect(),
                send_q
                    .iter()
                    .map(|b| b.saturating_sub(state.fin_in_send_q()))
                    .collect(),
            ),
            timer: None,
            expires_ms: 0,
        }
    }

    fn conn(client: Option<End>, server: Option<End>, listener: Option<Listener>) -> Connection {
        judge(Parts {
            client,
            server,
            listener,
            addrs: ("127.0.0.1:40000".into(), "127.0.0.1:5000".into()),
            gone: true,
            processes: true,
        })
    }

    fn listening(waiting: u32, backlog: u32) -> Listener {
        let s = Socket::new(Table::Tcp, sockdiag::Family::Inet, State::Listen);
        Listener {
            socket: SocketView::of(&s),
            namespace: None,
            accept_queue: vec![waiting; 3],
            backlog,
        }
    }

    #[test]
    fn a_fin_in_a_queue_is_no_stuck_byte() {
        // The client closed (its FIN unacknowledged in Send-Q), the
        // server has not read the end of file (the FIN in Recv-Q).
        let c = conn(
            Some(end(State::FinWait1, &[0, 0], &[1, 1])),
            Some(end(State::CloseWait, &[1, 1], &[0, 0])),
            None,
        );
        assert!(!c.checks[..4].iter().any(|k| k.stuck), "{c:#?}");
        assert!(c.checks[1].answer.contains("FIN not counted"), "{c:#?}");
        // The same byte counts in states without a FIN there.
        let c = conn(
            Some(end(State::Established, &[0, 0], &[1, 1])),
            Some(end(State::Established, &[0, 0], &[0, 0])),
            None,
        );
        assert_eq!(c.stuck_at, Some("client.send_q"));
        // LAST-ACK holds both: the peer's FIN read or not, and its own.
        let c = conn(
            Some(end(State::FinWait2, &[0, 0], &[0, 0])),
            Some(end(State::LastAck, &[1, 1], &[1, 1])),
            None,
        );
        assert_eq!(c.stuck_at, None);
        let c = conn(
            Some(end(State::FinWait2, &[0, 0], &[0, 0])),
            Some(end(State::LastAck, &[2, 2], &[0, 0])),
            None,
        );
        assert_eq!(c.stuck_at, Some("server.recv_q"));
    }

    #[test]
    fn a_stalled_reader_is_blamed_not_its_client() {
        let c = conn(
            Some(end(State::Established, &[0, 0], &[9000, 9000])),
            Some(end(State::Established, &[6000, 6000], &[0, 0])),
            None,
        );
        assert_eq!(c.stuck_at, Some("server.recv_q"));
        assert!(c.verdict.contains("server application"), "{}", c.verdict);
        assert!(c.verdict.contains("9000"), "{}", c.verdict);
        // Both places stay marked, the verdict explains them.
        assert!(c.checks[0].stuck && c.checks[1].stuck);
    }

    #[test]
    fn a_syn_is_not_a_byte() {
        let mut client = end(State::SynSent, &[0, 0, 0], &[1, 1, 1]);
        client.retransmits = 2;
        let c = conn(Some(client), None, Some(listening(0, 5)));
        assert_eq!(c.phase, Phase::Handshake);
        assert_eq!(c.stuck_at, Some("client.syn"));
        let words: Vec<&str> = c
            .checks
            .iter()
            .map(|k| k.answer.as_str())
            .chain([c.verdict.as_str()])
            .collect();
        assert!(!words.iter().any(|w| w.contains("byte")), "{words:?}");
        assert!(c.verdict.contains("has room"), "{}", c.verdict);
        // A full listener is the cause, not the path.
        let client = end(State::SynSent, &[0, 0, 0], &[1, 1, 1]);
        let c = conn(Some(client), None, Some(listening(6, 5)));
        assert_eq!(c.stuck_at, Some("listener.accept_queue"));
    }

    #[test]
    fn the_summary_table_fits_narrow_screens() {
        let long = |port: u16| format!("[2001:db8:1234:5678:9abc:def0:1234:5678]:{port}");
        let mut conns = Vec::new();
        for port in [40000, 40001, 40002] {
            let mut c = conn(
                Some(end(State::SynSent, &[0, 0], &[1, 1])),
                None,
                Some(listening(0, 5)),
            );
            c.addrs = (long(port), long(443));
            conns.push(c);
        }
        let mut c = conn(
            Some(end(State::Established, &[0, 0], &[0, 0])),
            Some(end(State::Established, &[7, 7], &[0, 0])),
            None,
        );
        c.addrs = (long(40003), long(443));
        conns.push(c);
        for width in [40, 60, 80, 200] {
            let mut out = Vec::new();
            render_many(&mut out, &conns, "2 samples 1 s apart", width).unwrap();
            let text = String::from_utf8(out).unwrap();
            // An address longer than the screen stands alone on its line;
            // every other line fits.
            for l in text.lines() {
                let words: Vec<&str> = l
                    .split_whitespace()
                    .filter(|w| *w != "→" && !(w.starts_with('[') && w.ends_with(']')))
                    .collect();
                assert!(
                    l.chars().count() <= width || words.len() == 1,
                    "{width}: {l:?}\n{text}"
                );
            }
            assert!(text.contains("3 clients"), "{text}");
            assert!(text.contains("server Recv-Q"), "{text}");
            assert_eq!(text.matches("[1] ").count(), 2, "{text}");
        }
    }

    #[test]
    fn series_fit_their_room() {
        assert_eq!(series(&[1, 2, 3], 20), "1→2→3");
        assert_eq!(series(&[123456, 1, 1, 1, 234567], 15), "123456→…→234567");
        assert_eq!(series(&[123456, 1, 1, 1, 234567], 10), "234567");
        assert_eq!(series(&[], 10), "?");
    }
}
