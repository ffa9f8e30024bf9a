//! The rules, one function per kind (two for the send queue). Each reads
//! the tracks and counters of a [`Ctx`] and pushes findings; none does I/O.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};

use super::{Evidence, Finding, Kind, Options, Severity, SocketRef, Thresholds, fill_level, inet};
use crate::model::{Socket, State, Table, TimerKind};
use crate::sample::{Sample, Track, track};
use crate::ss;

/// TCP listeners by local address, and wildcard listeners by port.
type Listeners<'a> = (HashMap<SocketAddr, &'a Socket>, HashMap<u16, &'a Socket>);

/// What every rule reads.
pub(super) struct Ctx<'a> {
    samples: &'a [Sample],
    tracks: Vec<Track<'a>>,
    since_boot: bool,
    t: &'a Thresholds,
    /// The last sample's inet sockets by (table, local, peer), built on the
    /// first lookup: `peer_of` runs per persisting connection, and a scan per
    /// lookup made a round quadratic (a minute at 200k sockets).
    by_ends: OnceCell<HashMap<(Table, SocketAddr, SocketAddr), &'a Socket>>,
    /// The last sample's TCP listeners by local address, and the wildcard
    /// ones by port, likewise.
    listeners: OnceCell<Listeners<'a>>,
}

impl<'a> Ctx<'a> {
    fn last(&self) -> &'a Sample {
        &self.samples[self.samples.len() - 1]
    }

    fn first(&self) -> &'a Sample {
        &self.samples[0]
    }

    /// The amount a counter counts for (its rise over the samples, or with
    /// `since_boot` its value in the last sample) and its values.
    fn counter(&self, name: &str) -> (u64, Vec<u64>) {
        let values: Vec<u64> = self
            .samples
            .iter()
            .map(|s| s.counters.value(name))
            .collect();
        let amount = if self.since_boot {
            self.last().counters.value(name)
        } else {
            self.last()
                .counters
                .value(name)
                .saturating_sub(self.first().counters.value(name))
        };
        (amount, values)
    }

    /// A counter's evidence, when it counts for at least `min`.
    fn counter_evidence(&self, name: &str, min: u64) -> Option<(u64, Evidence)> {
        let (amount, values) = self.counter(name);
        (amount >= min && min > 0).then(|| {
            (
                amount,
                Evidence {
                    name: name.to_string(),
                    socket: None,
                    values,
                    threshold: if self.since_boot {
                        format!(">= {min} (since boot)")
                    } else {
                        format!("rise >= {min}, {} per s", per_second(self.rate(amount)))
                    },
                    count: 1,
                },
            )
        })
    }

    /// Seconds between the first and the last sample (0 for one sample).
    fn window_secs(&self) -> f64 {
        self.last()
            .elapsed
            .saturating_sub(self.first().elapsed)
            .as_secs_f64()
    }

    /// `amount` per second of the window; 0 for a window of no length.
    fn rate(&self, amount: u64) -> f64 {
        let w = self.window_secs();
        if w > 0.0 { amount as f64 / w } else { 0.0 }
    }

    /// Whether `amount` of a counter reaches `per_sec`: judged as a rate
    /// over the window, or with `since_boot` (no window) as a count of at
    /// least 1.
    fn at_rate(&self, amount: u64, per_sec: f64) -> bool {
        if self.since_boot {
            amount >= 1
        } else {
            amount >= 1 && self.rate(amount) >= per_sec
        }
    }

    /// The listener whose accept queue holds `s`: an ESTABLISHED or
    /// CLOSE-WAIT TCP socket without an inode (accept() attaches the
    /// socket to a file, giving it one; a socket the application closed
    /// leaves these states) on a listener's address.
    fn queued_on(&self, s: &Socket) -> Option<&'a Socket> {
        if s.netid != Table::Tcp
            || s.inode != 0
            || !matches!(s.state, State::Established | State::CloseWait)
        {
            return None;
        }
        self.listener_of(inet(&s.local)?)
    }

    /// Persisting tracks (in every sample) whose last appearance matches.
    fn persisting(&self, f: impl Fn(&Socket) -> bool) -> Vec<&Track<'a>> {
        self.tracks
            .iter()
            .filter(|t| t.persisted() && t.present().all(&f))
            .collect()
    }

    /// The other end of a connection, when it is in the last sample
    /// (loopback, or both namespaces sampled together).
    fn peer_of(&self, s: &Socket) -> Option<&'a Socket> {
        let (l, p) = (inet(&s.local)?, inet(&s.peer)?);
        let index = self.by_ends.get_or_init(|| {
            let mut m = HashMap::new();
            for o in &self.last().sockets {
                if let (Some(ol), Some(op)) = (inet(&o.local), inet(&o.peer)) {
                    // The first of duplicates wins, as a scan would find it.
                    m.entry((o.netid, ol, op)).or_insert(o);
                }
            }
            m
        });
        index.get(&(s.netid, p, l)).copied()
    }

    /// The TCP listener a local address belongs to, in the last sample: the
    /// one bound to that address, else the first (in dump order) bound to
    /// the wildcard address of that port.
    fn listener_of(&self, local: SocketAddr) -> Option<&'a Socket> {
        let (by_addr, wild_by_port) = self.listeners.get_or_init(|| {
            let (mut by_addr, mut wild) = (HashMap::new(), HashMap::new());
            for o in &self.last().sockets {
                if o.netid != Table::Tcp || o.state != State::Listen {
                    continue;
                }
                if let Some(a) = inet(&o.local) {
                    by_addr.entry(a).or_insert(o);
                    if a.ip().is_unspecified() {
                        wild.entry(a.port()).or_insert(o);
                    }
                }
            }
            (by_addr, wild)
        });
        by_addr
            .get(&local)
            .or_else(|| wild_by_port.get(&local.port()))
            .copied()
    }
}

/// A finding from counters alone (no socket sampled shows the problem
/// itself): its summary lists each counter's rise. Nothing when no counter
/// counts.
fn counter_finding(
    out: &mut Vec<Finding>,
    kind: Kind,
    severity: Severity,
    summary: &str,
    counters: Vec<(u64, Evidence)>,
    explanation: &str,
    next_check: &str,
) {
    if counters.is_empty() {
        return;
    }
    let what: Vec<String> = counters
        .iter()
        .map(|(a, e)| format!("{} +{a}", e.name))
        .collect();
    out.push(Finding {
        kind,
        severity,
        summary: format!("{summary}: {}", what.join(", ")),
        sockets: Vec::new(),
        evidence: counters.into_iter().map(|(_, e)| e).collect(),
        explanation: explanation.into(),
        next_check: next_check.into(),
        subject: "namespace".into(),
    });
}

/// Runs every rule.
pub(super) fn run(samples: &[Sample], opts: &Options) -> Vec<Finding> {
    let ctx = Ctx {
        samples,
        tracks: track(samples),
        since_boot: opts.since_boot,
        t: &opts.thresholds,
        by_ends: OnceCell::new(),
        listeners: OnceCell::new(),
    };
    let mut out = Vec::new();
    let full = listen_queue_full(&ctx, &mut out);
    syn_sent_stuck(&ctx, &mut out, &full);
    syn_recv_pileup(&ctx, &mut out);
    let readers = recv_queue_growing(&ctx, &mut out);
    send_queue(&ctx, &mut out, &readers);
    close_wait_leak(&ctx, &mut out);
    retransmissions(&ctx, &mut out);
    resets(&ctx, &mut out);
    time_wait_pressure(&ctx, &mut out);
    port_exhaustion(&ctx, &mut out);
    udp_drops(&ctx, &mut out);
    unix_backlog_full(&ctx, &mut out);
    out
}

/// Consecutive retransmissions of the head segment (or SYN, SYN-ACK, FIN):
/// the `on` timer's count, or `tcp_info`'s when larger.
pub(crate) fn consecutive(s: &Socket) -> u8 {
    let timer = s
        .timer
        .filter(|t| t.kind == TimerKind::On)
        .map_or(0, |t| t.retransmits);
    let info = s.tcp_info.and_then(|i| i.retransmits()).unwrap_or(0);
    timer.max(info)
}

/// Bytes received and not read by the application: Recv-Q without the
/// peer's FIN, which takes one sequence number until the application reads
/// the end of file (states after the FIN arrived).
pub(crate) fn unread(s: &Socket) -> u32 {
    s.recv_q.saturating_sub(s.state.fin_in_recv_q())
}

/// Data bytes written and not acknowledged: Send-Q without our own FIN,
/// which is unacknowledged in FIN-WAIT-1, CLOSING and LAST-ACK by
/// definition of those states.
pub(crate) fn unacked_data(s: &Socket) -> u32 {
    s.send_q.saturating_sub(s.state.fin_in_send_q())
}

fn is_request(s: &Socket) -> bool {
    matches!(s.state, State::SynRecv | State::NewSynRecv)
}

fn holders(s: &Socket) -> String {
    SocketRef::of(s).holders()
}

fn sock_evidence(name: &str, socket: usize, values: Vec<u64>, threshold: String) -> Evidence {
    Evidence {
        name: name.into(),
        socket: Some(socket),
        values,
        threshold,
        count: 1,
    }
}

fn total_evidence(name: &str, values: Vec<u64>, threshold: String) -> Evidence {
    Evidence {
        name: name.into(),
        socket: None,
        values,
        threshold,
        count: 1,
    }
}

/// A rate as text: `0.4`, `12`, `1500`.
fn per_second(r: f64) -> String {
    if r >= 10.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// A share as a percentage: `0.5 %`, `12 %`.
fn percent(r: f64) -> String {
    let p = r * 100.0;
    if p >= 10.0 {
        format!("{p:.0} %")
    } else {
        format!("{p:.1} %")
    }
}

/// `ip:port` of an inet address, IPv6 in brackets.
fn addr_text(a: SocketAddr) -> String {
    crate::model::Endpoint::Inet {
        addr: a.ip(),
        port: a.port(),
    }
    .to_string()
}

fn arrow(values: &[u64]) -> String {
    let v: Vec<String> = values.iter().map(u64::to_string).collect();
    v.join(" → ")
}

// ---------------------------------------------------------------------------

/// Per listener (by its local address, the key of [`Ctx::listener_of`]):
/// the tracks of the connections in its accept queue.
fn queued_by_listener<'c, 'a>(
    ctx: &'c Ctx<'a>,
) -> BTreeMap<SocketAddr, (&'a Socket, Vec<&'c Track<'a>>)> {
    let mut m: BTreeMap<SocketAddr, (&'a Socket, Vec<&'c Track<'a>>)> = BTreeMap::new();
    for tr in &ctx.tracks {
        let Some(s) = tr.latest() else { continue };
        if let Some(l) = ctx.queued_on(s)
            && let Some(la) = inet(&l.local)
        {
            m.entry(la).or_insert_with(|| (l, Vec::new())).1.push(tr);
        }
    }
    m
}

/// The connections of a listener's queue that show it is not accepting:
/// the same ones in every sample (two or more), or closed by their client
/// already (CLOSE-WAIT: the client gave up waiting).
fn waiting<'c, 'a>(ctx: &Ctx<'a>, tracks: &[&'c Track<'a>]) -> Vec<&'c Track<'a>> {
    tracks
        .iter()
        .copied()
        .filter(|tr| {
            (ctx.samples.len() >= 2 && tr.persisted())
                || tr.latest().is_some_and(|s| s.state == State::CloseWait)
        })
        .collect()
}

/// The queued connections as sockets and evidence of a listener's
/// finding (the listener is socket 0): how many wait in each sample, how
/// many of them their clients closed, and the first 16 sockets.
fn queue_evidence(
    ctx: &Ctx<'_>,
    queued: &[&Track<'_>],
    sockets: &mut Vec<SocketRef>,
    evidence: &mut Vec<Evidence>,
) -> (u64, u64) {
    let per_sample = |f: &dyn Fn(&Socket) -> bool| -> Vec<u64> {
        (0..ctx.samples.len())
            .map(|i| queued.iter().filter(|t| t.seen[i].is_some_and(f)).count() as u64)
            .collect()
    };
    let all = per_sample(&|_| true);
    let closed = per_sample(&|s| s.state == State::CloseWait);
    let (n, c) = (
        all.last().copied().unwrap_or(0),
        closed.last().copied().unwrap_or(0),
    );
    if n > 0 {
        evidence.push(total_evidence(
            "never_accepted",
            all,
            "in the accept queue, held by no process".into(),
        ));
    }
    if c > 0 {
        evidence.push(total_evidence(
            "never_accepted_closed_by_client",
            closed,
            "CLOSE-WAIT in the accept queue".into(),
        ));
    }
    sockets.extend(
        queued
            .iter()
            .filter_map(|t| t.latest())
            .take(16)
            .map(SocketRef::of),
    );
    (n, c)
}

/// `listen_queue_full`, with the connections in the queue and the clients
/// stuck in SYN-SENT towards a full listener; then `never_accepted` for
/// listeners that are not full. Returns the full listeners' addresses.
fn listen_queue_full(ctx: &Ctx<'_>, out: &mut Vec<Finding>) -> HashSet<SocketAddr> {
    let t = ctx.t;
    let counters: Vec<(u64, Evidence)> = ["TcpExt.ListenOverflows", "TcpExt.ListenDrops"]
        .iter()
        .filter_map(|n| ctx.counter_evidence(n, t.listen_drops))
        .collect();
    let mut queued = queued_by_listener(ctx);
    let mut full = HashSet::new();
    for tr in ctx.persisting(|s| s.netid == Table::Tcp && s.state == State::Listen) {
        let Some(last) = tr.latest() else { continue };
        let level = fill_level(t.listen_queue_ratio, last.send_q);
        if !tr.present().all(|s| u64::from(s.recv_q) >= level) {
            continue;
        }
        let Some(la) = inet(&last.local) else {
            continue;
        };
        full.insert(la);
        let mut sockets = vec![SocketRef::of(last)];
        let mut evidence = vec![sock_evidence(
            "recv_q",
            0,
            tr.values(|s| u64::from(s.recv_q)),
            format!(">= {level} (backlog {})", last.send_q),
        )];
        let in_queue = queued.remove(&la).map(|(_, v)| v).unwrap_or_default();
        let (n, closed) = queue_evidence(ctx, &in_queue, &mut sockets, &mut evidence);
        // Clients on this host whose SYNs the full queue drops.
        let clients: Vec<&Socket> = ctx
            .last()
            .sockets
            .iter()
            .filter(|s| {
                s.netid == Table::Tcp
                    && s.state == State::SynSent
                    && inet(&s.peer)
                        .and_then(|p| ctx.listener_of(p))
                        .and_then(|l| inet(&l.local))
                        == Some(la)
            })
            .collect();
        if !clients.is_empty() {
            evidence.push(total_evidence(
                "syn_sent_clients",
                vec![clients.len() as u64],
                "SYN-SENT towards this listener (last sample)".into(),
            ));
            sockets.extend(clients.iter().take(16).map(|s| SocketRef::of(s)));
        }
        evidence.extend(counters.iter().map(|(_, e)| e.clone()));
        let local = ss::local(last).to_string();
        let closed_note = if closed > 0 {
            format!(
                " {closed} of the waiting connections were closed by their clients already \
                 (CLOSE-WAIT in the queue: they gave up waiting); they are not a leak, they \
                 go when the application accepts and closes them."
            )
        } else {
            String::new()
        };
        let seen = if n > 0 {
            format!(" ({n} of them seen here, held by no process: never accepted)")
        } else {
            String::new()
        };
        let clients_note = if clients.is_empty() {
            String::new()
        } else {
            format!(
                " {} client(s) here wait in SYN-SENT for this listener, their SYNs dropped.",
                clients.len()
            )
        };
        out.push(Finding {
            kind: Kind::ListenQueueFull,
            severity: Severity::Critical,
            summary: format!(
                "listener {local}: accept queue {} of backlog {} ({})",
                last.recv_q,
                last.send_q,
                holders(last)
            ),
            sockets,
            evidence,
            explanation: format!(
                "The LISTEN row's Recv-Q is the number of connections that finished the \
                 handshake and wait for accept(); its Send-Q is the backlog given to listen(). \
                 {local} has {} waiting with a backlog of {} in every sample{seen}: the \
                 application is not calling accept() (or not fast enough). While the queue is full the kernel drops new \
                 SYNs and final ACKs silently (TcpExt ListenOverflows), so clients wait in \
                 SYN-SENT and retry instead of being refused.{closed_note}{clients_note}",
                last.recv_q, last.send_q
            ),
            next_check: format!(
                "Is {} alive and in its accept loop? `strace -f -p PID -e trace=accept,accept4` \
                 shows whether it accepts; a stack dump shows where it is stuck. A larger \
                 listen() backlog (capped by net.core.somaxconn) only buys time.",
                holders(last)
            ),
            subject: format!("listener {local}"),
        });
    }
    for (_, (listener, tracks)) in queued {
        never_accepted(ctx, listener, &tracks, out);
    }
    if full.is_empty() {
        let amount: u64 = counters.iter().map(|(a, _)| *a).max().unwrap_or(0);
        let severity = if ctx.at_rate(amount, t.listen_drop_rate) {
            Severity::Warning
        } else {
            Severity::Info
        };
        counter_finding(
            out,
            Kind::ListenQueueFull,
            severity,
            "listeners dropped connections",
            counters,
            "A listener's accept queue overflowed (ListenOverflows) or a listener \
             dropped a SYN or final ACK for another reason (ListenDrops), but no \
             listener stayed full through every sample: bursts fill the queue \
             faster than the application accepts.",
            "Watch the LISTEN rows' Recv-Q against Send-Q (`rss -ltn`, `rss -ltn \
             --watch`); `nstat -az TcpExtListenOverflows TcpExtListenDrops`.",
        );
    }
    full
}

/// `never_accepted`: a listener that is not full but does not accept the
/// connections in its queue.
fn never_accepted<'a>(
    ctx: &Ctx<'a>,
    listener: &Socket,
    tracks: &[&Track<'a>],
    out: &mut Vec<Finding>,
) {
    let stuck = waiting(ctx, tracks);
    if stuck.is_empty() {
        return;
    }
    let mut sockets = vec![SocketRef::of(listener)];
    let lt = ctx
        .tracks
        .iter()
        .find(|t| t.latest().is_some_and(|s| std::ptr::eq(s, listener)));
    let mut evidence = vec![sock_evidence(
        "recv_q",
        0,
        lt.map_or_else(
            || vec![u64::from(listener.recv_q)],
            |t| t.values(|s| u64::from(s.recv_q)),
        ),
        format!("backlog {}", listener.send_q),
    )];
    let (_, closed) = queue_evidence(ctx, &stuck, &mut sockets, &mut evidence);
    let n = stuck.len();
    let local = ss::local(listener).to_string();
    let why = if closed > 0 {
        format!(
            " {closed} of them were closed by their clients already (CLOSE-WAIT in the \
             queue: the clients gave up waiting); no process holds them because none ever \
             accepted them, so they are not a descriptor leak."
        )
    } else {
        String::new()
    };
    out.push(Finding {
        kind: Kind::NeverAccepted,
        severity: Severity::Warning,
        summary: format!(
            "listener {local}: {n} connection(s) wait in the accept queue, never accepted \
             (queue {} of backlog {}; {})",
            listener.recv_q,
            listener.send_q,
            holders(listener)
        ),
        sockets,
        evidence,
        explanation: format!(
            "These connections finished the handshake and wait in {local}'s accept queue \
             (the LISTEN row's Recv-Q, {} now) for the application to call accept(); the \
             same ones stay there from sample to sample, so the application is not \
             accepting.{why} When the queue reaches the backlog ({}), new connections are \
             dropped (listen_queue_full).",
            listener.recv_q, listener.send_q
        ),
        next_check: format!(
            "Is {} alive and in its accept loop? `strace -f -p PID -e trace=accept,accept4`; \
             a stack dump shows where it waits.",
            holders(listener)
        ),
        subject: format!("listener {local}"),
    });
}

fn syn_sent_stuck(ctx: &Ctx<'_>, out: &mut Vec<Finding>, full: &HashSet<SocketAddr>) {
    let t = ctx.t;
    let syn_sent = |s: &Socket| s.netid == Table::Tcp && s.state == State::SynSent;
    // SYN-SENT sockets seen in any sample, by destination.
    let mut by_dst: BTreeMap<SocketAddr, Vec<&Track<'_>>> = BTreeMap::new();
    for tr in &ctx.tracks {
        let Some(s) = tr.present().find(|s| syn_sent(s)) else {
            continue;
        };
        let Some(dst) = inet(&s.peer) else { continue };
        // The clients of a full listener are in its finding.
        if ctx
            .listener_of(dst)
            .and_then(|l| inet(&l.local))
            .is_some_and(|l| full.contains(&l))
        {
            continue;
        }
        by_dst.entry(dst).or_default().push(tr);
    }
    let (amount, values) = ctx.counter("TcpExt.TCPSynRetrans");
    let rate = ctx.rate(amount);
    let counter_says = t.syn_retrans_rate > 0.0
        && if ctx.since_boot {
            amount >= 1
        } else {
            amount >= 1 && rate >= t.syn_retrans_rate
        };
    // A socket's most SYN retransmissions over its SYN-SENT appearances.
    let most = |tr: &Track<'_>| {
        tr.present()
            .filter(|s| syn_sent(s))
            .map(consecutive)
            .max()
            .unwrap_or(0)
    };
    let counts: Vec<u64> = ctx
        .samples
        .iter()
        .map(|s| s.sockets.iter().filter(|s| syn_sent(s)).count() as u64)
        .collect();
    for (dst, tracks) in by_dst {
        let max = tracks.iter().map(|t| most(t)).max().unwrap_or(0);
        let by_socket = t.syn_retransmits > 0 && max >= t.syn_retransmits;
        // Without a retransmission seen on a socket, the counter speaks
        // for sockets that lasted from one sample to the next.
        let lasting = tracks.iter().any(|t| t.count() >= 2);
        if !(by_socket || (counter_says && lasting)) {
            continue;
        }
        // Held sockets first: they name the process (a socket gone by the
        // end of sampling has no holder left to find).
        let mut lasts: Vec<&Socket> = tracks
            .iter()
            .filter_map(|t| t.present().filter(|s| syn_sent(s)).last())
            .collect();
        lasts.sort_by_key(|s| s.processes().is_empty());
        let mut evidence = vec![total_evidence(
            "syn_sent_sockets",
            counts.clone(),
            "SYN-SENT sockets (all destinations), seen in any sample".into(),
        )];
        for tr in tracks.iter().take(16) {
            if let Some(s) = tr.present().filter(|s| syn_sent(s)).last()
                && let Some(pos) = lasts.iter().position(|l| std::ptr::eq(*l, s))
            {
                evidence.push(sock_evidence(
                    "syn_retransmits",
                    pos,
                    tr.values(|s| u64::from(consecutive(s))),
                    format!(">= {} in any sample", t.syn_retransmits),
                ));
            }
        }
        if amount > 0 {
            evidence.push(total_evidence(
                "TcpExt.TCPSynRetrans",
                values.clone(),
                if ctx.since_boot {
                    "since boot".into()
                } else {
                    format!(
                        "{} per s (>= {} per s)",
                        per_second(rate),
                        per_second(t.syn_retrans_rate)
                    )
                },
            ));
        }
        let dst_text = addr_text(dst);
        let seen = tracks.len();
        let mut explanation = format!(
            "connect() to {dst_text} sent its SYN and heard nothing back: {seen} socket(s) seen \
             in SYN-SENT over the samples, SYNs retransmitted up to {max} times (each wait twice \
             the last)"
        );
        if amount > 0 && !ctx.since_boot {
            explanation.push_str(&format!(
                ", and this namespace retransmitted {amount} SYN(s) while sampling ({} per s)",
                per_second(rate)
            ));
        }
        explanation.push_str(
            ". The SYN or the answering SYN-ACK is dropped on the way: a firewall rule that \
             drops (a REJECT would refuse at once), a host that is down, a wrong route, or a \
             listener whose accept queue is full. Clients with a short connect timeout give up \
             and retry, so the sockets come and go.",
        );
        out.push(Finding {
            kind: Kind::SynSentStuck,
            severity: if max >= t.critical_retransmits {
                Severity::Critical
            } else {
                Severity::Warning
            },
            summary: format!(
                "{seen} connect(s) to {dst_text} unanswered in SYN-SENT, SYN retransmitted up to \
                 {max} times ({})",
                lasts.first().map(|s| holders(s)).unwrap_or_default()
            ),
            sockets: lasts.iter().map(|s| SocketRef::of(s)).collect(),
            evidence,
            explanation,
            next_check: format!(
                "Packet filters on both hosts (`iptables -nvL`, `nft list ruleset`: DROP \
                 counters that grow); `ip route get {}`; is anything listening on {dst_text} \
                 (`rss -ltn` there) and is its accept queue full?",
                dst.ip()
            ),
            subject: format!("destination {dst_text}"),
        });
    }
}

fn syn_recv_pileup(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let t = ctx.t;
    let counters: Vec<(u64, Evidence)> = [
        "TcpExt.SyncookiesSent",
        "TcpExt.TCPReqQFullDrop",
        "TcpExt.TCPReqQFullDoCookies",
    ]
    .iter()
    .filter_map(|n| ctx.counter_evidence(n, t.syncookies))
    .collect();
    // Request sockets by local address (the listener they belong to).
    let mut groups: BTreeMap<SocketAddr, Vec<&Track<'_>>> = BTreeMap::new();
    for tr in &ctx.tracks {
        if let Some(s) = tr
            .latest()
            .filter(|s| s.netid == Table::Tcp && is_request(s))
            && let Some(local) = inet(&s.local)
        {
            groups.entry(local).or_default().push(tr);
        }
    }
    let mut found = false;
    for (local, tracks) in groups {
        let counts: Vec<u64> = (0..ctx.samples.len())
            .map(|i| tracks.iter().filter(|t| t.seen[i].is_some()).count() as u64)
            .collect();
        let pile = t.syn_recv_count > 0 && counts.iter().all(|&c| c >= t.syn_recv_count as u64);
        let stuck: Vec<&&Track<'_>> = tracks
            .iter()
            .filter(|tr| {
                tr.persisted()
                    && t.synack_retransmits > 0
                    && tr
                        .latest()
                        .is_some_and(|s| consecutive(s) >= t.synack_retransmits)
            })
            .collect();
        if !pile && stuck.is_empty() {
            continue;
        }
        found = true;
        let listener = ctx.listener_of(local);
        let mut sockets: Vec<SocketRef> = listener.iter().map(|l| SocketRef::of(l)).collect();
        let base = sockets.len();
        let mut evidence = vec![total_evidence(
            "syn_recv_sockets",
            counts.clone(),
            format!(">= {} (or retransmitting)", t.syn_recv_count),
        )];
        let max = stuck
            .iter()
            .filter_map(|t| t.latest())
            .map(consecutive)
            .max()
            .unwrap_or(0);
        for (i, tr) in stuck.iter().take(16).enumerate() {
            if let Some(s) = tr.latest() {
                sockets.push(SocketRef::of(s));
                evidence.push(sock_evidence(
                    "synack_retransmits",
                    base + i,
                    tr.values(|s| u64::from(consecutive(s))),
                    format!(">= {}", t.synack_retransmits),
                ));
            }
        }
        evidence.extend(counters.iter().map(|(_, e)| e.clone()));
        let n = counts.last().copied().unwrap_or(0);
        let local_text = crate::model::Endpoint::Inet {
            addr: local.ip(),
            port: local.port(),
        }
        .to_string();
        out.push(Finding {
            kind: Kind::SynRecvPileup,
            severity: if pile {
                Severity::Critical
            } else {
                Severity::Warning
            },
            summary: format!(
                "{n} handshake(s) to {local_text} stuck in SYN-RECV, SYN-ACK retransmitted up to \
                 {max} times (listener: {})",
                listener.map_or_else(|| "none seen".into(), holders)
            ),
            sockets,
            evidence,
            explanation: format!(
                "The server answered each SYN with a SYN-ACK and waits in SYN-RECV for the \
                 client's final ACK, retransmitting the SYN-ACK ({max} times so far). Only a \
                 completed handshake enters the accept queue, so the application never sees \
                 these connections, while the client may already think it is connected. The \
                 final ACK is lost on the way back (a firewall, an asymmetric route), or the \
                 SYNs are spoofed (a SYN flood: the syncookie counters rise)."
            ),
            next_check: format!(
                "Capture on the server: `tcpdump -ni any 'tcp port {}'` shows SYN-ACKs without \
                 ACKs; check packet filters between the hosts for the client's ACKs; `nstat -az \
                 TcpExtSyncookiesSent TcpExtTCPReqQFullDrop`.",
                local.port()
            ),
            subject: format!("listener {local_text}"),
        });
    }
    if !found {
        counter_finding(
            out,
            Kind::SynRecvPileup,
            Severity::Warning,
            "SYN queue overflowed",
            counters,
            "A listener's SYN queue overflowed: the kernel answered with syncookies \
                          or dropped SYNs. Either far more handshakes start than complete (a SYN \
                          flood), or the application's accept queue is full too.",
            "`nstat -az TcpExtSyncookiesSent TcpExtTCPReqQFullDrop`; count SYN-RECV \
                         rows per listener (`rss -tan state syn-recv`).",
        );
    }
}

fn data_state(s: &Socket) -> bool {
    matches!(
        s.state,
        State::Established
            | State::CloseWait
            | State::FinWait1
            | State::FinWait2
            | State::LastAck
            | State::Closing
    )
}

/// Bytes the application read between two appearances, from `tcp_info`'s
/// `bytes_received` (`None` without it).
fn read_between(a: &Socket, b: &Socket) -> Option<u64> {
    let ra = a.tcp_info?.bytes_received()?;
    let rb = b.tcp_info?.bytes_received()?;
    let arrived = rb.checked_sub(ra)?;
    Some((u64::from(unread(a)) + arrived).saturating_sub(u64::from(unread(b))))
}

/// Bytes acknowledged between two appearances (`tcp_info` `bytes_acked`).
fn acked_between(a: &Socket, b: &Socket) -> Option<u64> {
    let aa = a.tcp_info?.bytes_acked()?;
    let ab = b.tcp_info?.bytes_acked()?;
    Some(ab.saturating_sub(aa))
}

/// True when `f(a, b)` holds for every pair of consecutive appearances.
fn pairs_all(tr: &Track<'_>, f: impl Fn(&Socket, &Socket) -> bool) -> bool {
    let v: Vec<&Socket> = tr.present().collect();
    v.windows(2).all(|w| f(w[0], w[1]))
}

/// A connection's two ends, `(local, peer)`.
type Ends = (SocketAddr, SocketAddr);

/// `recv_queue_growing`. Returns the findings' connections (reader's
/// local and peer ends) and their index in `out`, for `send_queue` to add
/// the sender's side.
fn recv_queue_growing(ctx: &Ctx<'_>, out: &mut Vec<Finding>) -> HashMap<Ends, usize> {
    let t = ctx.t;
    let mut readers = HashMap::new();
    if ctx.samples.len() < 2 || t.recv_q_bytes == 0 {
        return readers;
    }
    // One finding per reader: the holding process and the address it
    // serves (a listener's, or the connection's own end), so a server
    // that stopped reading all its connections is one finding.
    type Key = (Option<i32>, Option<SocketAddr>, String);
    let mut groups: BTreeMap<Key, Vec<&Track<'_>>> = BTreeMap::new();
    for tr in ctx.persisting(|s| s.netid == Table::Tcp && data_state(s)) {
        let Some(last) = tr.latest() else { continue };
        if !tr.present().all(|s| unread(s) >= t.recv_q_bytes) {
            continue;
        }
        let not_read = pairs_all(tr, |a, b| match read_between(a, b) {
            Some(read) => read == 0,
            None => unread(b) >= unread(a),
        });
        if !not_read {
            continue;
        }
        let pid = last.processes().first().map(|p| p.pid);
        let served = inet(&last.local)
            .and_then(|l| ctx.listener_of(l))
            .and_then(|l| inet(&l.local));
        let key = match (pid, served) {
            (Some(_), Some(_)) => (pid, served, String::new()),
            _ => (pid, None, format!("{} {}", ss::local(last), ss::peer(last))),
        };
        groups.entry(key).or_default().push(tr);
    }
    for (_, tracks) in groups {
        let Some(first) = tracks.first().and_then(|t| t.latest()) else {
            continue;
        };
        let mut sockets = Vec::new();
        let mut evidence = Vec::new();
        let mut total = 0u64;
        let mut grew = false;
        for tr in &tracks {
            let Some(last) = tr.latest() else { continue };
            let values = tr.values(|s| u64::from(unread(s)));
            grew |= values.last() > values.first();
            total += u64::from(unread(last));
            if let (Some(l), Some(p)) = (inet(&last.local), inet(&last.peer)) {
                readers.insert((l, p), out.len());
            }
            evidence.push(sock_evidence(
                "unread_bytes",
                sockets.len(),
                values,
                format!(
                    ">= {} in every sample, none read between samples",
                    t.recv_q_bytes
                ),
            ));
            sockets.push(SocketRef::of(last));
            if let Some(p) = ctx.peer_of(last) {
                sockets.push(SocketRef::of(p));
            }
        }
        let n = tracks.len();
        let local = ss::local(first).to_string();
        let peer = ss::peer(first).to_string();
        let state = if grew { "growing" } else { "not draining" };
        let (summary, subject) = if n == 1 {
            (
                format!(
                    "{local} ← {peer}: {total} unread byte(s) in Recv-Q, {state} ({})",
                    holders(first)
                ),
                format!("connection {local} {peer}"),
            )
        } else {
            (
                format!(
                    "{n} connections on {local} not read: {total} unread byte(s) in their \
                     Recv-Q, {state} ({})",
                    holders(first)
                ),
                format!("reader {local}"),
            )
        };
        let what = if n == 1 {
            format!(
                "here {}",
                arrow(&tracks[0].values(|s| u64::from(unread(s))))
            )
        } else {
            format!("here {total} bytes over {n} connections")
        };
        out.push(Finding {
            kind: Kind::RecvQueueGrowing,
            severity: Severity::Warning,
            summary,
            sockets,
            evidence,
            explanation: format!(
                "Recv-Q on a connection counts bytes the kernel received and acknowledged but \
                 the application has not read: {what}, and the application read nothing \
                 between samples. The data reached this host; the problem is the application \
                 (blocked elsewhere, busy, or no longer reading this socket). When the receive \
                 buffer fills, the window closes and the sender stalls."
            ),
            next_check: format!(
                "What is {} doing? `strace -p PID -e trace=read,recvfrom,recvmsg` shows whether \
                 it reads; a stack dump (`cat /proc/PID/task/*/stack`, `gdb -p`, `py-spy dump`) \
                 where it waits.",
                holders(first)
            ),
            subject,
        });
    }
    readers
}

/// `send_queue_stuck` and `zero_window`: one finding per connection (a
/// zero window is why its Send-Q is stuck), or evidence added to the
/// reader's `recv_queue_growing` when the reader is visible here.
fn send_queue(ctx: &Ctx<'_>, out: &mut Vec<Finding>, readers: &HashMap<Ends, usize>) {
    let t = ctx.t;
    let tcp_data = |s: &Socket| s.netid == Table::Tcp && data_state(s);
    let zero = |s: &Socket| {
        s.timer.is_some_and(|t| t.kind == TimerKind::Persist)
            || (s.send_q > 0
                && matches!(s.state, State::Established | State::CloseWait)
                && s.tcp_info.and_then(|i| i.snd_wnd()) == Some(0))
    };
    for tr in ctx.persisting(tcp_data) {
        let Some(last) = tr.latest() else { continue };
        let local = ss::local(last).to_string();
        let peer = ss::peer(last).to_string();
        let is_zero = tr.present().all(zero);
        let retrans = consecutive(last);
        let stuck = ctx.samples.len() >= 2
            && t.send_q_bytes > 0
            && tr.present().all(|s| unacked_data(s) >= t.send_q_bytes)
            && pairs_all(tr, |a, b| match acked_between(a, b) {
                Some(acked) => acked == 0,
                None => unacked_data(b) >= unacked_data(a),
            });
        if !stuck && !is_zero {
            continue;
        }
        // Stuck behind a head segment retransmitted again and again: one
        // cause, the retransmissions finding carries the Send-Q.
        if !is_zero && conn_retrans(ctx, tr, last).stalled {
            continue;
        }
        let unacked = tr.values(|s| u64::from(unacked_data(s)));
        let wnd: Vec<u64> =
            tr.values(|s| s.tcp_info.and_then(|i| i.snd_wnd()).map_or(0, u64::from));
        let probes: Vec<u64> = tr.values(|s| {
            s.timer
                .filter(|t| t.kind == TimerKind::Persist)
                .map_or(0, |t| u64::from(t.retransmits))
        });
        let stuck_threshold = format!(
            ">= {} in every sample, none acknowledged between samples",
            t.send_q_bytes
        );
        // The reader is here: its finding carries this side.
        let reader = inet(&last.local)
            .zip(inet(&last.peer))
            .and_then(|(l, p)| readers.get(&(p, l)).copied());
        if let Some(i) = reader {
            let f = &mut out[i];
            let me = match f
                .sockets
                .iter()
                .position(|r| r.local == local && r.peer == peer)
            {
                Some(k) => k,
                None => {
                    f.sockets.push(SocketRef::of(last));
                    f.sockets.len() - 1
                }
            };
            if stuck {
                f.evidence
                    .push(sock_evidence("unacked_bytes", me, unacked, stuck_threshold));
            }
            if is_zero {
                f.evidence.push(sock_evidence(
                    "snd_wnd",
                    me,
                    wnd,
                    "0 in every sample".into(),
                ));
                if probes.iter().any(|&p| p > 0) {
                    f.evidence.push(sock_evidence(
                        "persist_probes",
                        me,
                        probes,
                        "persist timer".into(),
                    ));
                }
            }
            let what = match (stuck, is_zero) {
                (true, true) => ", none acknowledged, and the window offered to it is zero",
                (true, false) => ", none acknowledged",
                _ => " and the window offered to it is zero",
            };
            if f.subject.starts_with("connection ") {
                f.summary.push_str(&format!(
                    "; the sender {local} has {} byte(s) waiting",
                    unacked_data(last)
                ));
                f.explanation.push_str(&format!(
                    " The sender is on this host: {local} ({}) has {} byte(s) in Send-Q{what}: \
                     the reader's side is the cause, this the effect.",
                    holders(last),
                    unacked_data(last)
                ));
            } else if !f.explanation.contains("The senders are on this host") {
                f.explanation.push_str(&format!(
                    " The senders are on this host ({}): their Send-Q waits for the reader, the \
                     cause; their evidence is here.",
                    holders(last)
                ));
            }
            continue;
        }
        let sockets = vec![SocketRef::of(last)];
        if is_zero {
            let mut evidence = vec![sock_evidence("snd_wnd", 0, wnd, "0 in every sample".into())];
            if stuck {
                evidence.push(sock_evidence("unacked_bytes", 0, unacked, stuck_threshold));
            } else {
                evidence.push(sock_evidence(
                    "send_q",
                    0,
                    tr.values(|s| u64::from(s.send_q)),
                    "> 0".into(),
                ));
            }
            if probes.iter().any(|&p| p > 0) {
                evidence.push(sock_evidence(
                    "persist_probes",
                    0,
                    probes,
                    "persist timer".into(),
                ));
            }
            out.push(Finding {
                kind: Kind::ZeroWindow,
                severity: Severity::Warning,
                summary: format!(
                    "{peer} advertises a zero window to {local}: {} byte(s) wait ({})",
                    last.send_q,
                    holders(last)
                ),
                sockets,
                evidence,
                explanation: format!(
                    "The peer {peer} advertises a zero receive window: its receive buffer is \
                     full because its application does not read. This side keeps {} byte(s) in \
                     Send-Q and, instead of data, sends window probes (the `persist` timer), \
                     further and further apart. Nothing is lost; everything waits for the \
                     reader.",
                    last.send_q
                ),
                next_check: format!(
                    "Look at the receiver {peer}: its Recv-Q (`rss -tn src {peer}` on its host) \
                     and why its application stopped reading."
                ),
                subject: format!("connection {local} {peer}"),
            });
            continue;
        }
        let why = if retrans > 0 {
            format!(
                "segments leave and no acknowledgement comes back (retransmitted {retrans} \
                 times): the peer or the path is gone"
            )
        } else {
            "nothing was acknowledged while sampling".to_string()
        };
        out.push(Finding {
            kind: Kind::SendQueueStuck,
            severity: if retrans >= t.critical_retransmits {
                Severity::Critical
            } else {
                Severity::Warning
            },
            summary: format!(
                "{local} → {peer}: {} byte(s) in Send-Q not draining ({})",
                unacked_data(last),
                holders(last)
            ),
            sockets,
            evidence: vec![sock_evidence(
                "unacked_bytes",
                0,
                unacked.clone(),
                stuck_threshold,
            )],
            explanation: format!(
                "Send-Q counts bytes the application wrote that the peer has not \
                 acknowledged: here {}, and none was acknowledged between samples, so {why}. \
                 The application's writes succeed until the send buffer is full, then block.",
                arrow(&unacked)
            ),
            next_check: format!(
                "On the peer {peer}: is its Recv-Q full (its application not reading) or is \
                 the connection gone? `rss -tni dst {peer}` here shows the window (snd_wnd), \
                 rto and retransmissions."
            ),
            subject: format!("connection {local} {peer}"),
        });
    }
}

fn close_wait_leak(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let t = ctx.t;
    if t.close_wait_count == 0 {
        return;
    }
    // Group by holding process (pid, command); sockets without one together.
    let mut groups: BTreeMap<Option<(i32, String)>, Vec<&Track<'_>>> = BTreeMap::new();
    // Connections never accepted are their listener's (never_accepted).
    for tr in ctx.persisting(|s| {
        s.netid == Table::Tcp && s.state == State::CloseWait && ctx.queued_on(s).is_none()
    }) {
        let Some(last) = tr.latest() else { continue };
        let key = last.processes().first().map(|p| (p.pid, p.command.clone()));
        groups.entry(key).or_default().push(tr);
    }
    for (who, tracks) in groups {
        if tracks.len() < t.close_wait_count {
            continue;
        }
        let lasts: Vec<&Socket> = tracks.iter().filter_map(|t| t.latest()).collect();
        let counts: Vec<u64> = (0..ctx.samples.len())
            .map(|i| {
                ctx.samples[i]
                    .sockets
                    .iter()
                    .filter(|s| {
                        s.netid == Table::Tcp
                            && s.state == State::CloseWait
                            && ctx.queued_on(s).is_none()
                            && s.processes().first().map(|p| (p.pid, p.command.clone())) == who
                    })
                    .count() as u64
            })
            .collect();
        let name = who.as_ref().map_or_else(
            || "sockets without a known process".to_string(),
            |(pid, cmd)| format!("{cmd:?} (pid {pid})"),
        );
        let mut peers: Vec<String> = lasts.iter().map(|s| ss::peer(s).to_string()).collect();
        peers.sort();
        peers.dedup();
        let n = lasts.len();
        let grow = if counts.last() > counts.first() {
            " The count grows: a descriptor leak, some path that sees end of file (read() \
             returning 0) or an error does not close the socket."
        } else {
            " Each is a descriptor the application still holds: some path that sees end of \
             file (read() returning 0) or an error does not close the socket, or closes it late."
        };
        let subject = match &who {
            Some((pid, cmd)) => format!("process {cmd:?} pid {pid}"),
            None => "process unknown".to_string(),
        };
        out.push(Finding {
            subject,
            kind: Kind::CloseWaitLeak,
            severity: if n >= t.close_wait_critical {
                Severity::Critical
            } else {
                Severity::Warning
            },
            summary: format!(
                "{n} connection(s) of {name} in CLOSE-WAIT (peers: {})",
                peers.join(", ")
            ),
            sockets: lasts.iter().map(|s| SocketRef::of(s)).collect(),
            evidence: vec![total_evidence(
                "close_wait_sockets",
                counts,
                format!(">= {} in every sample", t.close_wait_count),
            )],
            explanation: format!(
                "CLOSE-WAIT means the peer closed its side (its FIN arrived and was \
                 acknowledged) and the application has not called close(). The kernel keeps the \
                 connection until it does, forever if it never does: {name} holds {n} such \
                 socket(s) through every sample, each a descriptor and memory.{grow}"
            ),
            next_check: match &who {
                Some((pid, cmd)) => format!(
                    "Find where {cmd:?} handles end of file and closes connections; watch \
                     `ls /proc/{pid}/fd | wc -l` grow; `rss -tanp state close-wait` over time."
                ),
                None => "No holder was found for them: processes were not sampled, or are \
                         not visible to this user (`rss -tanp state close-wait` as root)."
                    .into(),
            },
        });
    }
}

/// A connection's retransmissions over the window.
struct Retrans {
    /// Consecutive retransmissions of the head segment, last sample.
    head: u8,
    /// Stalled: `head` at the threshold and nothing acknowledged between
    /// the last two samples.
    stalled: bool,
    /// Stalled through the whole window: nothing acknowledged from the
    /// first appearance to the last (one sample: `stalled`).
    stalled_all: bool,
    /// Segments retransmitted and sent during the window (or since the
    /// connection began, with `since_boot`).
    retrans: u64,
    sent: u64,
}

impl Retrans {
    fn ratio(&self) -> f64 {
        if self.sent == 0 {
            0.0
        } else {
            self.retrans as f64 / self.sent as f64
        }
    }
}

/// The severity a share of retransmitted segments earns: `None` below the
/// info line or below the segment floor.
fn ratio_severity(t: &Thresholds, retrans: u64, sent: u64) -> Option<Severity> {
    if sent == 0 || sent < t.retrans_min_segments.max(1) || retrans == 0 {
        return None;
    }
    let r = retrans as f64 / sent as f64;
    if r >= t.retrans_ratio.min(RETRANS_ALWAYS_WARNING) {
        Some(Severity::Warning)
    } else if r >= t.retrans_info_ratio {
        Some(Severity::Info)
    } else {
        None
    }
}

/// A share of segments retransmitted that is at least a warning at any
/// setting.
const RETRANS_ALWAYS_WARNING: f64 = 0.2;

fn conn_retrans(ctx: &Ctx<'_>, tr: &Track<'_>, last: &Socket) -> Retrans {
    let t = ctx.t;
    let head = consecutive(last);
    let single = ctx.samples.len() == 1;
    let v: Vec<&Socket> = tr.present().collect();
    let stalled = t.retransmits > 0
        && u32::from(head) >= t.retransmits
        && (single
            || (v.len() >= 2 && {
                let (a, b) = (v[v.len() - 2], v[v.len() - 1]);
                match acked_between(a, b) {
                    Some(acked) => acked == 0,
                    None => u32::from(consecutive(a)) >= t.retransmits,
                }
            }));
    let stalled_all = stalled
        && (single
            || match (v.first(), v.last()) {
                (Some(a), Some(b)) => match acked_between(a, b) {
                    Some(acked) => acked == 0,
                    None => v.iter().all(|s| u32::from(consecutive(s)) >= t.retransmits),
                },
                _ => false,
            });
    let total = |s: &Socket| {
        s.tcp_info
            .and_then(|i| i.total_retrans())
            .map_or(0, u64::from)
    };
    let segs = |s: &Socket| s.tcp_info.and_then(|i| i.segs_out()).map_or(0, u64::from);
    let (retrans, sent) = if ctx.since_boot {
        (total(last), segs(last))
    } else {
        tr.first().map_or((0, 0), |f| {
            (
                total(last).saturating_sub(total(f)),
                segs(last).saturating_sub(segs(f)),
            )
        })
    };
    Retrans {
        head,
        stalled,
        stalled_all,
        retrans,
        sent,
    }
}

fn retransmissions(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let t = ctx.t;
    struct Hit<'t, 'a> {
        track: &'t Track<'a>,
        last: &'a Socket,
        r: Retrans,
        severity: Severity,
    }
    let mut groups: BTreeMap<(u8, String), Vec<Hit<'_, '_>>> = BTreeMap::new();
    for tr in &ctx.tracks {
        // Only sockets in the last sample: the others are history.
        let Some(last) = tr.seen.last().copied().flatten() else {
            continue;
        };
        if last.netid != Table::Tcp
            || matches!(
                last.state,
                State::SynSent | State::Listen | State::TimeWait | State::Close
            )
            || is_request(last)
        {
            continue;
        }
        let r = conn_retrans(ctx, tr, last);
        let by_ratio = ratio_severity(t, r.retrans, r.sent);
        // Critical only when nothing moved through the whole window: a
        // lossy path stalls now and then and recovers, which is a warning
        // whatever the sample caught.
        let by_stall = r
            .stalled
            .then_some(if r.stalled_all && r.head >= t.critical_retransmits {
                Severity::Critical
            } else {
                Severity::Warning
            });
        let Some(severity) = by_ratio.max(by_stall) else {
            continue;
        };
        groups
            .entry((last.state.to_kernel(), ss::peer(last).to_string()))
            .or_default()
            .push(Hit {
                track: tr,
                last,
                r,
                severity,
            });
    }
    let found = !groups.is_empty();
    for ((_, peer), hits) in groups {
        let Some(first) = hits.first().map(|h| h.last) else {
            continue;
        };
        let state = first.state;
        let severity = hits
            .iter()
            .map(|h| h.severity)
            .max()
            .unwrap_or(Severity::Info);
        let max = hits.iter().map(|h| h.r.head).max().unwrap_or(0);
        let stalled = hits.iter().filter(|h| h.r.stalled).count();
        let (retrans, sent) = hits
            .iter()
            .fold((0, 0), |(a, b), h| (a + h.r.retrans, b + h.r.sent));
        let share = if sent > 0 {
            retrans as f64 / sent as f64
        } else {
            0.0
        };
        let mut evidence = Vec::new();
        for (i, h) in hits.iter().enumerate() {
            if h.r.stalled {
                evidence.push(sock_evidence(
                    "retransmits_in_a_row",
                    i,
                    h.track.values(|s| u64::from(consecutive(s))),
                    format!(
                        ">= {}, nothing acknowledged between the last samples",
                        t.retransmits
                    ),
                ));
                let unacked = h.track.values(|s| u64::from(unacked_data(s)));
                if unacked.iter().any(|&b| b > 0) {
                    evidence.push(sock_evidence(
                        "unacked_bytes",
                        i,
                        unacked,
                        "in Send-Q, waiting for the retransmission".into(),
                    ));
                }
            }
            if h.r.sent > 0 {
                evidence.push(sock_evidence(
                    "retransmitted_of_sent",
                    i,
                    vec![h.r.retrans, h.r.sent],
                    format!(
                        "{} retransmitted (info >= {}, warning >= {}, from {} segments)",
                        percent(h.r.ratio()),
                        percent(t.retrans_info_ratio),
                        percent(t.retrans_ratio.min(RETRANS_ALWAYS_WARNING)),
                        t.retrans_min_segments
                    ),
                ));
            }
        }
        let rto = first
            .tcp_info
            .and_then(|i| i.rto())
            .map_or(String::new(), |us| format!(", rto {} ms", us / 1000));
        let what = match state {
            State::FinWait1 => format!(
                "This side closed and its FIN (the 1 byte of Send-Q) is not acknowledged, so \
                 TCP resends it ({max} times in a row{rto}). The peer or the path is gone: when \
                 tcp_orphan_retries runs out the kernel drops the connection, what a test tool \
                 reports as \"closed with error\"."
            ),
            State::LastAck => format!(
                "The peer closed, this side closed too, and its FIN (the 1 byte of Send-Q) is \
                 not acknowledged, so TCP resends it ({max} times in a row{rto}). The peer or \
                 the path is gone."
            ),
            State::Closing => format!(
                "Both sides closed at once and this side's FIN is not acknowledged ({max} \
                 retransmissions in a row{rto})."
            ),
            _ if stalled > 0 => format!(
                "Data sent to {peer} is not acknowledged, so TCP resends it, each time waiting \
                 twice as long ({max} retransmissions in a row{rto}, nothing acknowledged \
                 between the last samples). The peer vanished or the path drops everything; \
                 after tcp_retries2 the kernel aborts the connection (ETIMEDOUT, \
                 TCPAbortOnTimeout)."
            ),
            _ => format!(
                "{} of the segments sent to {peer} were retransmitted ({retrans} of {sent}) and \
                 the data still moves. Some loss is how TCP finds a path's capacity; up to \
                 {} is healthy. More means the path (or the peer's receive side) drops \
                 segments: each loss halves the sending rate.",
                percent(share),
                percent(t.retrans_info_ratio)
            ),
        };
        let orphan = if first.processes().is_empty()
            && matches!(state, State::FinWait1 | State::LastAck | State::Closing)
        {
            " No process holds the socket any more: the application closed it and the kernel \
             finishes the close alone (an orphan)."
        } else {
            ""
        };
        let how = if stalled > 0 {
            format!("stalled, {max} in a row")
        } else {
            format!("{} of segments retransmitted", percent(share))
        };
        out.push(Finding {
            kind: Kind::Retransmissions,
            severity,
            summary: format!(
                "{} connection(s) to {peer} in {} retransmitting ({how}; {})",
                hits.len(),
                ss::state_label(state),
                holders(first)
            ),
            sockets: hits.iter().map(|h| SocketRef::of(h.last)).collect(),
            evidence,
            explanation: format!("{what}{orphan}"),
            next_check: format!(
                "Is {peer} up and reachable (`ping`, `ip route get`)? Packet filter DROP \
                 counters on both hosts; `rss -tnoi dst {peer}` for rto, backoff and lost; \
                 `nstat -az TcpRetransSegs TcpExtTCPLostRetransmit`."
            ),
            subject: format!("destination {peer} {}", ss::state_label(state)),
        });
    }
    if found {
        return;
    }
    // The namespace's share, for connections gone or not sampled: SYNs are
    // syn_sent_stuck's.
    let (rs, rs_values) = ctx.counter("Tcp.RetransSegs");
    let (syn, _) = ctx.counter("TcpExt.TCPSynRetrans");
    let (os, os_values) = ctx.counter("Tcp.OutSegs");
    let retrans = rs.saturating_sub(syn);
    let Some(severity) = ratio_severity(t, retrans, os) else {
        return;
    };
    let share = retrans as f64 / os as f64;
    let when = if ctx.since_boot {
        "since the namespace (or host) started"
    } else {
        "while sampling"
    };
    out.push(Finding {
        kind: Kind::Retransmissions,
        severity,
        summary: format!(
            "{} of TCP segments retransmitted {when} ({retrans} of {os}, SYNs aside)",
            percent(share)
        ),
        sockets: Vec::new(),
        evidence: vec![
            total_evidence(
                "Tcp.RetransSegs",
                rs_values,
                format!("{retrans} without {syn} SYN retransmissions"),
            ),
            total_evidence(
                "Tcp.OutSegs",
                os_values,
                format!(
                    "{} retransmitted (info >= {}, warning >= {}, from {} segments)",
                    percent(share),
                    percent(t.retrans_info_ratio),
                    percent(t.retrans_ratio.min(RETRANS_ALWAYS_WARNING)),
                    t.retrans_min_segments
                ),
            ),
        ],
        explanation: format!(
            "{} of the segments this namespace sent {when} were retransmissions. Up to {} \
             is healthy; more means some path drops segments. No connection sampled shows it \
             on its own (they may have ended, or be outside the filter).",
            percent(share),
            percent(t.retrans_info_ratio)
        ),
        next_check: "Which connections? `rss -tni` shows each one's retrans and lost; `nstat \
                     -az TcpRetransSegs TcpOutSegs TcpExtTCPLostRetransmit`; packet filter \
                     DROP counters."
            .into(),
        subject: "namespace".into(),
    });
}

/// The reset and abort counters, with what each means.
const RESET_COUNTERS: &[(&str, &str)] = &[
    (
        "Tcp.AttemptFails",
        "connection attempts failed: a SYN was answered with a RST (connection refused: nothing \
         listens on the port) or a handshake was reset",
    ),
    (
        "Tcp.EstabResets",
        "established connections were reset: a peer closed with SO_LINGER 0, crashed and its \
         kernel answered with RST, or a middlebox dropped the connection",
    ),
    (
        "Tcp.OutRsts",
        "this host sent RSTs: answering SYNs for ports without a listener, segments for \
         connections it no longer knows, or an abortive close",
    ),
    (
        "TcpExt.TCPAbortOnData",
        "connections were aborted because data arrived after the application closed",
    ),
    (
        "TcpExt.TCPAbortOnClose",
        "the application closed with unread data, so its kernel sent RST instead of FIN",
    ),
    (
        "TcpExt.TCPAbortOnMemory",
        "connections were aborted for lack of memory (too many orphans)",
    ),
    (
        "TcpExt.TCPAbortOnTimeout",
        "connections were aborted after their retransmissions ran out: the peer vanished",
    ),
    (
        "TcpExt.TCPAbortOnLinger",
        "connections were aborted in FIN-WAIT-2 after the linger time",
    ),
    (
        "TcpExt.TCPAbortFailed",
        "the kernel failed to send a RST for an abort",
    ),
];

fn resets(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let t = ctx.t;
    let hits: Vec<(u64, Evidence, &str)> = RESET_COUNTERS
        .iter()
        .filter_map(|(n, why)| ctx.counter_evidence(n, t.resets).map(|(a, e)| (a, e, *why)))
        .collect();
    // Connection attempts that failed while handshakes are found stuck
    // (SYNs unanswered, a full listener, SYN-RECV piling up) are that
    // finding's: a SYN that times out counts in Tcp.AttemptFails (and in
    // TCPAbortOnTimeout), it is no reset.
    let handshake = out.iter().position(|f| {
        matches!(
            f.kind,
            Kind::SynSentStuck | Kind::ListenQueueFull | Kind::SynRecvPileup
        )
    });
    let mut hits = hits;
    if let Some(i) = handshake
        && let Some(k) = hits
            .iter()
            .position(|(_, e, _)| e.name == "Tcp.AttemptFails")
    {
        let (failed, e, _) = hits.remove(k);
        out[i].evidence.push(e);
        // A SYN that times out counts in TCPAbortOnTimeout too: no more
        // of those than failed attempts are the same connections.
        if let Some(k) = hits
            .iter()
            .position(|(a, e, _)| e.name == "TcpExt.TCPAbortOnTimeout" && *a <= failed)
        {
            let (_, e, _) = hits.remove(k);
            out[i].evidence.push(e);
        }
    }
    if hits.is_empty() {
        return;
    }
    let what: Vec<String> = hits
        .iter()
        .map(|(a, e, _)| format!("{} +{a}", e.name))
        .collect();
    let why: Vec<String> = hits
        .iter()
        .map(|(a, e, w)| format!("{} {a}: {w}.", e.name))
        .collect();
    let when = if ctx.since_boot {
        "since the namespace (or host) started"
    } else {
        "while sampling"
    };
    // Tcp.OutRsts counts the resets this host sent, which the other
    // counters count again by cause: the most of any one is the amount.
    let amount = hits.iter().map(|(a, _, _)| *a).max().unwrap_or(0);
    let severity = if t.reset_rate > 0.0 && !ctx.at_rate(amount, t.reset_rate) {
        Severity::Info
    } else {
        Severity::Warning
    };
    let rate = if ctx.since_boot {
        String::new()
    } else {
        format!(" ({} per s)", per_second(ctx.rate(amount)))
    };
    out.push(Finding {
        subject: "namespace".into(),
        kind: Kind::Resets,
        severity,
        summary: format!("resets and aborts {when}{rate}: {}", what.join(", ")),
        sockets: Vec::new(),
        evidence: hits.into_iter().map(|(_, e, _)| e).collect(),
        explanation: format!(
            "Connections ended with a reset instead of a close {when}. A reset ends a \
             connection at once, with no TIME-WAIT; the other side's next read or write fails \
             (ECONNRESET, ECONNREFUSED). {}",
            why.join(" ")
        ),
        next_check: "Capture the RSTs: `tcpdump -ni any 'tcp[tcpflags] & tcp-rst != 0'` names \
                     the ports; a refused connect means nothing listens there (`rss -ltn`); \
                     `nstat -az TcpOutRsts TcpEstabResets 'TcpExtTCPAbort*'` over time."
            .into(),
    });
}

fn time_wait_pressure(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let t = ctx.t;
    let counts: Vec<u64> = ctx
        .samples
        .iter()
        .map(|s| {
            s.sockets
                .iter()
                .filter(|s| s.netid == Table::Tcp && s.state == State::TimeWait)
                .count() as u64
        })
        .collect();
    let n = counts.last().copied().unwrap_or(0);
    let max = ctx.last().limits.tcp_max_tw_buckets;
    let overflow = ctx.counter_evidence("TcpExt.TCPTimeWaitOverflow", 1);
    let level = max
        .filter(|&m| m > 0)
        .map(|m| fill_level(t.time_wait_ratio, u32::try_from(m).unwrap_or(u32::MAX)));
    let near = level.is_some_and(|l| n >= l);
    if !near && overflow.is_none() {
        return;
    }
    let max_text = max.map_or_else(|| "unknown".to_string(), |m| m.to_string());
    let mut evidence = vec![total_evidence(
        "time_wait_sockets",
        counts,
        level.map_or_else(
            || "TCPTimeWaitOverflow rising".into(),
            |l| format!(">= {l} (tcp_max_tw_buckets {max_text})"),
        ),
    )];
    let critical = overflow.is_some();
    evidence.extend(overflow.map(|(_, e)| e));
    out.push(Finding {
        kind: Kind::TimeWaitPressure,
        severity: if critical {
            Severity::Critical
        } else {
            Severity::Warning
        },
        summary: format!("{n} TIME-WAIT sockets of at most {max_text} (tcp_max_tw_buckets)"),
        subject: "namespace".into(),
        sockets: Vec::new(),
        evidence,
        explanation: format!(
            "Each TIME-WAIT socket is a connection this side closed first, kept 60 s so that late \
             segments are not taken for a new connection on the same ports. {n} of at most \
             {max_text}: past the limit the kernel destroys new ones at once \
             (TCPTimeWaitOverflow), losing that protection, and for outgoing connections they \
             also hold local ports (port_exhaustion)."
        ),
        next_check: "Which peers? `rss -tan state time-wait` grouped by destination. Reuse \
                     connections (keep-alive, pooling), let clients close first, or enable \
                     net.ipv4.tcp_tw_reuse for outgoing connections."
            .into(),
    });
}

fn port_exhaustion(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let t = ctx.t;
    let last = ctx.last();
    let (Some((lo, hi)), Some(size)) = (last.limits.ip_local_port_range, last.limits.local_ports())
    else {
        return;
    };
    let level = fill_level(t.port_ratio, size);
    let key = |s: &Socket| -> Option<(IpAddr, SocketAddr)> {
        if s.netid != Table::Tcp || matches!(s.state, State::Listen | State::Close) {
            return None;
        }
        let (l, p) = (inet(&s.local)?, inet(&s.peer)?);
        (l.port() >= lo && l.port() <= hi).then_some((l.ip(), p))
    };
    let count_in = |sample: &Sample| {
        let mut m: BTreeMap<(IpAddr, SocketAddr), u64> = BTreeMap::new();
        for s in &sample.sockets {
            if let Some(k) = key(s) {
                *m.entry(k).or_default() += 1;
            }
        }
        m
    };
    let per_sample: Vec<BTreeMap<(IpAddr, SocketAddr), u64>> =
        ctx.samples.iter().map(count_in).collect();
    let Some(now) = per_sample.last() else { return };
    for (&(src, dst), &n) in now {
        if n < level {
            continue;
        }
        let values = per_sample
            .iter()
            .map(|m| m.get(&(src, dst)).copied().unwrap_or(0))
            .collect();
        let tw = last
            .sockets
            .iter()
            .filter(|s| key(s) == Some((src, dst)) && s.state == State::TimeWait)
            .count();
        let dst_text = crate::model::Endpoint::Inet {
            addr: dst.ip(),
            port: dst.port(),
        }
        .to_string();
        out.push(Finding {
            kind: Kind::PortExhaustion,
            severity: if n >= u64::from(size) {
                Severity::Critical
            } else {
                Severity::Warning
            },
            summary: format!(
                "{n} connections from {src} to {dst_text} use {n} of the {size} local ports \
                 ({lo}-{hi}); {tw} in TIME-WAIT"
            ),
            sockets: Vec::new(),
            evidence: vec![total_evidence(
                "connections",
                values,
                format!(">= {level} of {size} ports (ip_local_port_range)"),
            )],
            subject: format!("from {src} to {dst_text}"),
            explanation: format!(
                "Every connection from one source address to one destination needs its own \
                 local port from ip_local_port_range ({lo}-{hi}, {size} ports). {n} are taken \
                 ({tw} of them by TIME-WAIT sockets, which keep their port for 60 s); when none \
                 is left, connect() fails with EADDRNOTAVAIL (\"Cannot assign requested \
                 address\")."
            ),
            next_check: "Reuse connections (keep-alive, pooling) instead of opening one per \
                         request; widen net.ipv4.ip_local_port_range; spread over more source \
                         addresses; net.ipv4.tcp_tw_reuse for TIME-WAIT ports."
                .into(),
        });
    }
}

fn udp_drops(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let t = ctx.t;
    if t.udp_drops == 0 {
        return;
    }
    let counters: Vec<(u64, Evidence)> = ["Udp.RcvbufErrors", "Udp6.RcvbufErrors"]
        .iter()
        .filter_map(|n| ctx.counter_evidence(n, t.udp_drops))
        .collect();
    let drops = |s: &Socket| s.skmem.map_or(0, |m| u64::from(m.drops));
    let mut found = false;
    for tr in &ctx.tracks {
        let Some(last) = tr.seen.last().copied().flatten() else {
            continue;
        };
        if last.netid != Table::Udp {
            continue;
        }
        let amount = if ctx.since_boot {
            drops(last)
        } else {
            tr.first()
                .map_or(0, |f| drops(last).saturating_sub(drops(f)))
        };
        if amount < t.udp_drops {
            continue;
        }
        found = true;
        let mut evidence = vec![sock_evidence(
            "drops",
            0,
            tr.values(drops),
            if ctx.since_boot {
                format!(">= {}", t.udp_drops)
            } else {
                format!("rise >= {}", t.udp_drops)
            },
        )];
        evidence.push(sock_evidence(
            "recv_q",
            0,
            tr.values(|s| u64::from(s.recv_q)),
            "buffer in use".into(),
        ));
        evidence.extend(counters.iter().map(|(_, e)| e.clone()));
        let rcvbuf = last.skmem.map_or(0, |m| m.rcvbuf);
        let local = ss::local(last).to_string();
        out.push(Finding {
            kind: Kind::UdpDrops,
            severity: Severity::Warning,
            subject: format!("udp {local}"),
            summary: format!(
                "UDP {local}: {amount} datagram(s) dropped, receive buffer full ({})",
                holders(last)
            ),
            sockets: vec![SocketRef::of(last)],
            evidence,
            explanation: format!(
                "Datagrams for {local} were dropped because its receive buffer ({rcvbuf} bytes, \
                 Recv-Q {} in use) was full: the application does not read as fast as they \
                 arrive. UDP does not retransmit: those datagrams are lost.",
                last.recv_q
            ),
            next_check: format!(
                "Does {} read fast enough (more threads, recvmmsg)? A larger SO_RCVBUF \
                 (net.core.rmem_max) absorbs bursts; `nstat -az UdpRcvbufErrors \
                 Udp6RcvbufErrors`.",
                holders(last)
            ),
        });
    }
    if !found {
        counter_finding(
            out,
            Kind::UdpDrops,
            Severity::Warning,
            "UDP receive buffers overflowed",
            counters,
            "Datagrams were dropped because a UDP socket's receive buffer was \
                          full; no socket sampled shows the drops itself (it may be closed, or \
                          outside the filter).",
            "`rss -uanm` shows each socket's drops (skmem d); `nstat -az \
                         UdpRcvbufErrors Udp6RcvbufErrors`.",
        );
    }
}

fn unix_backlog_full(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let t = ctx.t;
    for tr in ctx.persisting(|s| {
        matches!(s.netid, Table::UnixStream | Table::UnixSeqpacket) && s.state == State::Listen
    }) {
        let Some(last) = tr.latest() else { continue };
        let level = fill_level(t.unix_queue_ratio, last.send_q);
        if !tr.present().all(|s| u64::from(s.recv_q) >= level) {
            continue;
        }
        let name = ss::local(last).to_string();
        out.push(Finding {
            kind: Kind::UnixBacklogFull,
            subject: format!("unix listener {name}"),
            severity: Severity::Critical,
            summary: format!(
                "unix listener {name}: {} waiting of backlog {} ({})",
                last.recv_q,
                last.send_q,
                holders(last)
            ),
            sockets: vec![SocketRef::of(last)],
            evidence: vec![sock_evidence(
                "recv_q",
                0,
                tr.values(|s| u64::from(s.recv_q)),
                format!(">= {level} (backlog {})", last.send_q),
            )],
            explanation: format!(
                "The unix listener {name} has {} connections waiting for accept(), its backlog \
                 is {}: new connect() calls block, or fail with EAGAIN when non-blocking. The \
                 application is not accepting (or not fast enough).",
                last.recv_q, last.send_q
            ),
            next_check: format!(
                "Is {} alive and accepting (`strace -p PID -e trace=accept,accept4`)? A larger \
                 backlog (listen(), net.core.somaxconn) only buys time.",
                holders(last)
            ),
        });
    }
}
