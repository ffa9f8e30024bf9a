//! `rss doctor` and the sampler under it, on real sockets in private
//! network namespaces.
//!
//! Needs root (namespaces); the lab scenarios that use netfilter need
//! `iptables`. Without them the tests skip loudly, and fail with
//! `RSS_REQUIRE_PRIVILEGED=1` (CI).

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use sockdiag::sample::{SampleOptions, Sampler, track};
use sockdiag::{Query, State};
use testkit::{NetNs, listener, require_privileged};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// The sampler reads the counters of the namespace it examines, not the
/// caller's: refused connects in one namespace show in its `Tcp.OutRsts`
/// and `Tcp.AttemptFails`, and not in a second, idle namespace.
#[test]
fn sampler_counters_are_the_namespace_examined() {
    require_privileged!();
    let busy = NetNs::new().unwrap();
    let idle = NetNs::new().unwrap();
    let busy_ns = sockdiag::NetNs::from_path(busy.path()).unwrap();
    let idle_ns = sockdiag::NetNs::from_path(idle.path()).unwrap();
    let mut s_busy = Sampler::new(Query::tcp(), Some(&busy_ns), SampleOptions::default()).unwrap();
    let mut s_idle = Sampler::new(Query::tcp(), Some(&idle_ns), SampleOptions::default()).unwrap();
    // The sampler keeps what it opened in the namespace, not the handle.
    drop((busy_ns, idle_ns));
    let before = s_busy.sample().unwrap();
    for _ in 0..3 {
        let e = busy
            .run(|| TcpStream::connect(addr("127.0.0.1:9")))
            .unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ECONNREFUSED));
    }
    let after = s_busy.sample().unwrap();
    let d = after.delta(&before);
    assert_eq!(d.counters.value("Tcp.AttemptFails"), 3);
    assert_eq!(d.counters.value("Tcp.OutRsts"), 3);
    let quiet = s_idle.sample().unwrap();
    assert_eq!(quiet.counters.get("Tcp.OutRsts"), Some(0));
    assert_eq!(quiet.counters.get("Tcp.AttemptFails"), Some(0));
    // Limits come from the namespace's own sysctls.
    busy.sysctl("net.ipv4.ip_local_port_range", "40000 40009")
        .unwrap();
    let later = s_busy.sample().unwrap();
    assert_eq!(later.limits.ip_local_port_range, Some((40000, 40009)));
    assert_eq!(later.limits.local_ports(), Some(10));
    assert_ne!(
        s_idle.sample().unwrap().limits.ip_local_port_range,
        Some((40000, 40009))
    );
}

/// Sockets are matched across samples by cookie: a listener and an
/// established pair persist, a connection made between samples appears,
/// one closed between samples vanishes; processes are attached.
#[test]
fn sampler_matches_sockets_across_samples() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let l = ns
        .run(|| listener(addr("127.0.0.1:5000"), 5, None))
        .unwrap();
    let c1 = ns
        .run(|| TcpStream::connect(addr("127.0.0.1:5000")))
        .unwrap();
    let handle = sockdiag::NetNs::from_path(ns.path()).unwrap();
    let mut sampler = Sampler::new(
        Query::tcp(),
        Some(&handle),
        SampleOptions::default().processes(true),
    )
    .unwrap();
    let c1_port = c1.local_addr().unwrap().port();
    let s0 = sampler.sample().unwrap();
    let c2 = ns
        .run(|| TcpStream::connect(addr("127.0.0.1:5000")))
        .unwrap();
    drop(c1);
    let s1 = sampler.take(2, Duration::from_millis(50)).unwrap();
    assert_eq!(s0.seq, 0);
    assert_eq!((s1[0].seq, s1[1].seq), (1, 2));
    assert!(s1[1].elapsed >= Duration::from_millis(50));
    let samples = [s0, s1[0].clone(), s1[1].clone()];
    let tracks = track(&samples);
    let listener_track = tracks
        .iter()
        .find(|t| t.latest().unwrap().state == State::Listen)
        .unwrap();
    assert!(listener_track.persisted());
    let me = std::process::id() as i32;
    assert!(
        listener_track
            .latest()
            .unwrap()
            .processes()
            .iter()
            .any(|p| p.pid == me),
        "the listener's holder is this process"
    );
    let c2_port = c2.local_addr().unwrap().port();
    let d = samples[1].delta(&samples[0]);
    assert!(
        d.appeared
            .iter()
            .any(|s| s.local_port() == Some(c2_port) && s.state == State::Established)
    );
    // c1's server side (queued, never accepted) is the same socket before
    // and after the client's close: ESTABLISHED, then CLOSE-WAIT.
    assert!(
        d.kept.iter().any(|(a, b)| a.local_port() == Some(5000)
            && a.peer_port() == Some(c1_port)
            && a.state == State::Established
            && b.state == State::CloseWait),
        "{:?}",
        d.kept
    );
    drop((l, c2));
}

// ---------------------------------------------------------------------------
// The lab's scenarios, diagnosed at every step

use lab::scenarios;

use std::collections::BTreeSet;
use std::ffi::OsString;

use scenarios::{Lab, Observer, Step};
use sockdiag::diagnose::{Finding, Kind, Options, diagnose};
use sockdiag::{States, Tables};

const INTERVAL_MS: u64 = 200;
const SAMPLES: usize = 3;

/// What a scenario must produce.
struct Want {
    /// Kinds that must be found at some step.
    kinds: &'static [Kind],
    /// The role (in the step's expected rows) of the socket each required
    /// kind must name, with this process; `None` for counter-only kinds.
    role: Option<&'static str>,
    /// Other kinds the scenario may produce, each with why.
    also: &'static [(Kind, &'static str)],
    /// Whether that socket is held by this process (an orphan, closed by
    /// the application and finished by the kernel alone, is held by none).
    held: bool,
    /// Judge counters by what they hold (the namespace is new).
    since_boot: bool,
    /// Follow the bytes with `--conn` and expect them stuck here.
    conn_stuck_at: Option<&'static str>,
}

/// The doctor at every step, through the library and through the CLI.
struct Doctor {
    name: &'static str,
    want: Want,
    lib: BTreeSet<Kind>,
    cli: BTreeSet<Kind>,
    /// Required kinds seen naming the right socket and process.
    named: BTreeSet<Kind>,
    conn_checked: bool,
    steps: usize,
}

fn cli(argv: &[&str], ns: &std::path::Path) -> (i32, String, String) {
    let mut v: Vec<OsString> = vec!["rss".into(), "doctor".into(), "-N".into(), ns.into()];
    v.extend(argv.iter().map(OsString::from));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = rss::run(v, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

impl Doctor {
    fn check_named(&mut self, step: &Step, findings: &[Finding], via: &str) {
        let Some(role) = self.want.role else {
            return;
        };
        let Some(row) = step.expect.iter().find(|e| e.role == role) else {
            return;
        };
        let me = std::process::id() as i32;
        // Each required kind found at this step must name the role's
        // socket in one of its findings (a kind may have several: the
        // client's and the server's retransmissions).
        for kind in self.want.kinds {
            let of_kind: Vec<&Finding> = findings.iter().filter(|f| f.kind == *kind).collect();
            if of_kind.is_empty() {
                continue;
            }
            let hit = of_kind.iter().flat_map(|f| &f.sockets).any(|s| {
                s.local == row.local.to_string()
                    && (row.peer == scenarios::ANY || s.peer == row.peer.to_string())
                    && if self.want.held {
                        s.processes.iter().any(|p| p.pid == me)
                    } else {
                        s.processes.is_empty()
                    }
            });
            assert!(
                hit,
                "{} ({via}), step {:?}: {kind} does not name the {role} {} (held by pid {me}: {}): {of_kind:#?}",
                self.name, step.title, row.local, self.want.held
            );
            self.named.insert(*kind);
        }
    }
}

impl Observer for Doctor {
    fn step(&mut self, lab: &Lab, step: &Step) {
        self.steps += 1;
        let path = lab.ns.path();
        // The library (one sampler, three samples, the rules) and the CLI,
        // as a user runs it, at the same time: a step does not last forever
        // (peer-gone aborts ~6 s after its data was sent), and the /proc
        // walk for processes can take seconds on a busy host.
        let interval = format!("{INTERVAL_MS}ms");
        let since_boot = self.want.since_boot;
        let (found, (code, out, err)) = std::thread::scope(|scope| {
            let lib = scope.spawn(|| {
                let query = sockdiag::Query::new(
                    Tables::TCP | Tables::UDP | Tables::UNIX_STREAM | Tables::UNIX_SEQPACKET,
                )
                .states(States::ALL);
                let ns = sockdiag::NetNs::from_path(&path).unwrap();
                let mut sampler = Sampler::new(query, Some(&ns), SampleOptions::default()).unwrap();
                let mut samples = sampler
                    .take(SAMPLES, Duration::from_millis(INTERVAL_MS))
                    .unwrap();
                sockdiag::sample::attach_processes(&mut samples).unwrap();
                diagnose(&samples, &Options::new().since_boot(since_boot))
            });
            let mut argv = vec!["--interval", interval.as_str(), "-j"];
            if since_boot {
                argv.push("--since-boot");
            }
            let cli_result = cli(&argv, &path);
            (lib.join().unwrap(), cli_result)
        });
        self.lib.extend(found.iter().map(|f| f.kind));
        self.check_named(step, &found, "library");

        let report: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        let errors: Vec<String> = doctor_validator()
            .iter_errors(&report)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{}: not the schema's: {errors:#?}",
            self.name
        );
        let findings: Vec<Finding> = serde_json::from_value(report["findings"].clone()).unwrap();
        assert_eq!(
            code,
            if findings.is_empty() { 0 } else { 1 },
            "{}: exit status for {findings:#?}; {err}",
            self.name
        );
        assert_eq!(report["samples"], 3);
        self.cli.extend(findings.iter().map(|f| f.kind));
        self.check_named(step, &findings, "rss doctor -j");

        // --conn on the first step that has the connection.
        if let Some(place) = self.want.conn_stuck_at
            && !self.conn_checked
        {
            let (code, out, err) = cli(
                &["--conn", "--interval", &interval, "-j", "dport = :5000"],
                &path,
            );
            let v: serde_json::Value =
                serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
            let conns = v["connections"].as_array().unwrap();
            assert_eq!(conns.len(), 1, "{}: {out}", self.name);
            let c = &conns[0];
            assert_eq!(c["stuck_at"], place, "{}: {out}", self.name);
            assert_eq!(c["server"]["socket"]["local"], "127.0.0.1:5000");
            assert_eq!(code, 1);
            // The text form draws both ends and marks the place.
            let (_, text, _) = cli(&["--conn", "--interval", &interval, "dport = :5000"], &path);
            assert!(text.contains("<=="), "{text}");
            assert!(
                text.contains("(1) did the client's kernel send it?"),
                "{text}"
            );
            assert!(text.contains("verdict:"), "{text}");
            self.conn_checked = true;
        }
    }
}

fn doctor(name: &'static str, want: Want) {
    let mut d = Doctor {
        name,
        want,
        lib: BTreeSet::new(),
        cli: BTreeSet::new(),
        named: BTreeSet::new(),
        conn_checked: false,
        steps: 0,
    };
    scenarios::run(name, &mut d).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(d.steps > 0);
    eprintln!("[{name}] library {:?}, cli {:?}", d.lib, d.cli);
    let allowed: BTreeSet<Kind> = d
        .want
        .kinds
        .iter()
        .copied()
        .chain(d.want.also.iter().map(|(k, _)| *k))
        .collect();
    for (via, seen) in [("library", &d.lib), ("cli", &d.cli)] {
        for k in d.want.kinds {
            assert!(
                seen.contains(k),
                "{name} ({via}): {k} not found in {seen:?}"
            );
        }
        let extra: Vec<&Kind> = seen.difference(&allowed).collect();
        assert!(extra.is_empty(), "{name} ({via}): unexplained {extra:?}");
    }
    if d.want.role.is_some() {
        for k in d.want.kinds {
            assert!(d.named.contains(k), "{name}: {k} never named its socket");
        }
    }
    if d.want.conn_stuck_at.is_some() {
        assert!(d.conn_checked);
    }
}

macro_rules! lab_privileged {
    () => {
        testkit::require_privileged!();
    };
    (iptables) => {
        testkit::require_privileged!();
        testkit::require_tool!("iptables");
    };
}

#[test]
fn lab_backlog() {
    lab_privileged!();
    doctor(
        "backlog",
        Want {
            kinds: &[Kind::ListenQueueFull],
            role: Some("listener"),
            also: &[(
                Kind::SynSentStuck,
                "the 7th client's SYNs are dropped by the full listener",
            )],
            held: true,
            since_boot: false,
            conn_stuck_at: None,
        },
    );
}

#[test]
fn lab_syn_drop() {
    lab_privileged!(iptables);
    doctor(
        "syn-drop",
        Want {
            kinds: &[Kind::SynSentStuck],
            role: Some("client"),
            also: &[],
            held: true,
            since_boot: false,
            conn_stuck_at: None,
        },
    );
}

#[test]
fn lab_ack_drop() {
    lab_privileged!(iptables);
    doctor(
        "ack-drop",
        Want {
            kinds: &[Kind::SynRecvPileup],
            role: Some("listener"),
            also: &[],
            held: true,
            since_boot: false,
            conn_stuck_at: None,
        },
    );
}

#[test]
fn lab_recv_q() {
    lab_privileged!();
    doctor(
        "recv-q",
        Want {
            kinds: &[Kind::RecvQueueGrowing],
            role: Some("server side"),
            also: &[],
            held: true,
            since_boot: false,
            conn_stuck_at: Some("server.recv_q"),
        },
    );
}

#[test]
fn lab_send_q() {
    lab_privileged!();
    doctor(
        "send-q",
        Want {
            // One cause, one finding: the reader that does not read,
            // carrying the client's stuck Send-Q and zero window; the
            // client is one of its sockets.
            kinds: &[Kind::RecvQueueGrowing],
            role: Some("client"),
            also: &[],
            held: true,
            since_boot: false,
            conn_stuck_at: Some("server.recv_q"),
        },
    );
}

#[test]
fn lab_rst() {
    lab_privileged!();
    doctor(
        "rst",
        Want {
            kinds: &[Kind::Resets],
            role: None,
            also: &[],
            held: true,
            since_boot: true,
            conn_stuck_at: None,
        },
    );
}

#[test]
fn lab_refused() {
    lab_privileged!();
    doctor(
        "refused",
        Want {
            kinds: &[Kind::Resets],
            role: None,
            also: &[],
            held: true,
            since_boot: true,
            conn_stuck_at: None,
        },
    );
}

#[test]
fn lab_close_wait() {
    lab_privileged!();
    doctor(
        "close-wait",
        Want {
            kinds: &[Kind::CloseWaitLeak],
            role: Some("server side"),
            also: &[],
            held: true,
            since_boot: false,
            conn_stuck_at: None,
        },
    );
}

#[test]
fn lab_fin_unanswered() {
    lab_privileged!(iptables);
    doctor(
        "fin-unanswered",
        Want {
            kinds: &[Kind::Retransmissions],
            role: Some("client"),
            also: &[(
                Kind::CloseWaitLeak,
                "the server side sits in CLOSE-WAIT until the scenario closes it",
            )],
            held: false,
            since_boot: false,
            conn_stuck_at: None,
        },
    );
}

#[test]
fn lab_peer_gone() {
    lab_privileged!(iptables);
    doctor(
        "peer-gone",
        Want {
            kinds: &[Kind::Retransmissions],
            role: Some("client"),
            also: &[],
            held: true,
            since_boot: false,
            conn_stuck_at: None,
        },
    );
}

#[test]
fn lab_time_wait() {
    lab_privileged!();
    doctor(
        "time-wait",
        Want {
            kinds: &[],
            role: None,
            also: &[],
            held: true,
            since_boot: false,
            conn_stuck_at: None,
        },
    );
}

// ---------------------------------------------------------------------------
// Healthy traffic, counters, and the kinds the lab does not build

/// `rss doctor -N <ns> ARGS`: (exit status, stdout, stderr).
fn doctor_cli(ns: &NetNs, args: &[&str]) -> (i32, String, String) {
    cli(args, &ns.path())
}

fn kinds_of(json: &str) -> Vec<Kind> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let f: Vec<Finding> = serde_json::from_value(v["findings"].clone()).unwrap();
    f.into_iter().map(|f| f.kind).collect()
}

/// An echo server and several clients exchanging lines, connections opened
/// and closed normally, a listener with a short backlog accepted promptly:
/// nothing to report, exit 0 (counter rises and, the namespace being new,
/// everything the counters hold).
#[test]
fn healthy_traffic_produces_nothing() {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::atomic::{AtomicBool, Ordering};
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let l = ns
        .run(|| listener(addr("127.0.0.1:5000"), 4, None))
        .unwrap();
    let stop = AtomicBool::new(false);
    let exchanges = std::sync::atomic::AtomicUsize::new(0);
    // The server accepts until the last client is done, so that no
    // connection is left in the accept queue waiting for a reply.
    let clients_left = std::sync::atomic::AtomicUsize::new(3);
    std::thread::scope(|scope| {
        // The seed's server: one thread per connection, echo each line,
        // close at end of file.
        scope.spawn(|| {
            l.set_nonblocking(true).unwrap();
            while clients_left.load(Ordering::Relaxed) > 0 {
                match l.accept() {
                    Ok((c, _)) => {
                        let c: TcpStream = c.into();
                        c.set_nonblocking(false).unwrap();
                        std::thread::spawn(move || {
                            let mut w = c.try_clone().unwrap();
                            for line in BufReader::new(c).lines() {
                                let Ok(line) = line else { break };
                                if w.write_all(format!("Server reply: {line}\n").as_bytes())
                                    .is_err()
                                {
                                    break;
                                }
                            }
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        // Three clients (never more than the backlog waiting), each
        // connecting again and again: five lines, five replies, close.
        for _ in 0..3 {
            scope.spawn(|| {
                // Counted down however the client ends (a failed assert too).
                struct Done<'a>(&'a std::sync::atomic::AtomicUsize);
                impl Drop for Done<'_> {
                    fn drop(&mut self) {
                        self.0.fetch_sub(1, Ordering::Relaxed);
                    }
                }
                let _done = Done(&clients_left);
                while !stop.load(Ordering::Relaxed) {
                    let c = ns
                        .run(|| TcpStream::connect(addr("127.0.0.1:5000")))
                        .unwrap();
                    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                    let mut w = c.try_clone().unwrap();
                    let mut r = BufReader::new(c);
                    for i in 0..5 {
                        w.write_all(format!("line {i}\n").as_bytes()).unwrap();
                        let mut reply = String::new();
                        r.read_line(&mut reply).unwrap();
                        assert_eq!(reply, format!("Server reply: line {i}\n"));
                    }
                    exchanges.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(20));
                }
            });
        }
        std::thread::sleep(Duration::from_millis(200));
        let (code, out, err) = doctor_cli(&ns, &["--interval", "300ms"]);
        let (code_j, json, _) = doctor_cli(&ns, &["--interval", "300ms", "-j", "--since-boot"]);
        stop.store(true, Ordering::Relaxed);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.starts_with("rss doctor: no problem found"), "{out}");
        assert_eq!(code_j, 0, "{json}");
        assert!(kinds_of(&json).is_empty(), "{json}");
    });
    assert!(exchanges.into_inner() >= 10, "the traffic did flow");
}

/// Counter evidence comes from the namespace examined: refused connects in
/// one namespace are `resets` there (`--since-boot`), and nothing in a
/// second, idle one; without `--since-boot`, only what rises while sampling
/// counts.
#[test]
fn counters_are_read_from_the_namespace_examined() {
    use std::sync::atomic::{AtomicBool, Ordering};
    require_privileged!();
    let busy = NetNs::new().unwrap();
    let idle = NetNs::new().unwrap();
    for _ in 0..2 {
        busy.run(|| TcpStream::connect(addr("127.0.0.1:9")))
            .unwrap_err();
    }
    let (code, json, err) = doctor_cli(&busy, &["--samples", "1", "-j", "--since-boot"]);
    assert_eq!((code, kinds_of(&json)), (1, vec![Kind::Resets]), "{err}");
    assert!(json.contains("Tcp.AttemptFails"), "{json}");
    let (code, json, _) = doctor_cli(&idle, &["--samples", "1", "-j", "--since-boot"]);
    assert_eq!((code, kinds_of(&json)), (0, vec![]), "{json}");
    // The refusals are history: without --since-boot, nothing rises.
    let (code, json, _) = doctor_cli(&busy, &["--samples", "2", "--interval", "100ms", "-j"]);
    assert_eq!((code, kinds_of(&json)), (0, vec![]), "{json}");
    // Refusals while sampling are a rise.
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                busy.run(|| TcpStream::connect(addr("127.0.0.1:9")))
                    .unwrap_err();
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let (code, json, _) = doctor_cli(&busy, &["--samples", "3", "--interval", "200ms", "-j"]);
        stop.store(true, Ordering::Relaxed);
        assert_eq!((code, kinds_of(&json)), (1, vec![Kind::Resets]), "{json}");
    });
}

/// One sample has no counter rise: the header says counters are not
/// judged, never "counter rises".
#[test]
fn one_sample_does_not_claim_counter_rises() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let (code, out, err) = doctor_cli(&ns, &["--samples", "1"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("1 sample, counters not judged: one sample has no rise"),
        "{out}"
    );
    assert!(!out.contains("counter rises"), "{out}");
    let (_, out, _) = doctor_cli(&ns, &["--samples", "2", "--interval", "10ms"]);
    assert!(out.contains("counter rises"), "{out}");
    let (_, out, _) = doctor_cli(&ns, &["--samples", "1", "--since-boot"]);
    assert!(out.contains("counters since boot"), "{out}");
}

/// `port_exhaustion` and `time_wait_pressure` against the namespace's own
/// sysctls: 9 connections to one destination with 10 ephemeral ports, and
/// TIME-WAIT sockets past `tcp_max_tw_buckets`.
#[test]
fn port_and_time_wait_limits() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    ns.sysctl("net.ipv4.ip_local_port_range", "40000 40009")
        .unwrap();
    ns.sysctl("net.ipv4.tcp_max_tw_buckets", "4").unwrap();
    let l = ns
        .run(|| listener(addr("127.0.0.1:5000"), 64, None))
        .unwrap();
    let mut held = Vec::new();
    for _ in 0..9 {
        let c = ns
            .run(|| TcpStream::connect(addr("127.0.0.1:5000")))
            .unwrap();
        held.push((c, l.accept().unwrap().0));
    }
    let (code, json, _) = doctor_cli(&ns, &["--samples", "1", "-j"]);
    assert_eq!(
        (code, kinds_of(&json)),
        (1, vec![Kind::PortExhaustion]),
        "{json}"
    );
    assert!(json.contains("127.0.0.1:5000"), "{json}");
    // Close 5 client-first: 4 TIME-WAIT (the bucket limit), the 5th
    // overflows; ports are still taken by the rest and the TIME-WAITs.
    for (c, s) in held.drain(..5) {
        drop(c);
        drop(s);
    }
    let tw = |ns: &NetNs| {
        sockdiag::Query::tcp()
            .states(States::TIME_WAIT)
            .dump_in(&sockdiag::NetNs::from_path(ns.path()).unwrap())
            .unwrap()
            .count()
    };
    // A liveness wait, generous for a busy machine.
    assert!(
        testkit::wait_until(Duration::from_secs(30), || tw(&ns) == 4),
        "4 TIME-WAIT sockets did not show within 30 s (last count {})",
        tw(&ns)
    );
    let (code, json, _) = doctor_cli(&ns, &["--samples", "1", "-j", "--since-boot"]);
    let kinds = kinds_of(&json);
    assert_eq!(code, 1);
    assert!(kinds.contains(&Kind::TimeWaitPressure), "{json}");
    // 4 established + 4 TIME-WAIT still take 8 of the 10 ports.
    assert!(kinds.contains(&Kind::PortExhaustion), "{json}");
    assert!(json.contains("use 8 of the 10 local ports"), "{json}");
    assert!(json.contains("4 in TIME-WAIT"), "{json}");
    assert_eq!(kinds.len(), 2, "{json}");
    assert!(json.contains("TCPTimeWaitOverflow"), "{json}");
    drop(held);
}

/// `unix_backlog_full`: a unix stream listener with backlog 2 and three
/// connections it never accepts.
#[test]
fn unix_listener_at_its_backlog() {
    use socket2::{Domain, SockAddr, Socket, Type};
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let name = format!("\0rss-doctor-{}", std::process::id());
    let (l, clients) = ns.run(move || {
        let a = SockAddr::unix(&name).unwrap();
        let l = Socket::new(Domain::UNIX, Type::STREAM, None).unwrap();
        l.bind(&a).unwrap();
        l.listen(2).unwrap();
        let mut clients = Vec::new();
        for _ in 0..3 {
            let c = Socket::new(Domain::UNIX, Type::STREAM, None).unwrap();
            c.set_nonblocking(true).unwrap();
            c.connect(&a).unwrap();
            clients.push(c);
        }
        (l, clients)
    });
    let (code, json, err) = doctor_cli(&ns, &["-x", "--interval", "100ms", "-j"]);
    assert_eq!(
        (code, kinds_of(&json)),
        (1, vec![Kind::UnixBacklogFull]),
        "{json}{err}"
    );
    assert!(json.contains("@rss-doctor-"), "{json}");
    drop((l, clients));
}

/// `udp_drops`: a UDP socket with the smallest receive buffer, flooded.
#[test]
fn udp_receive_buffer_overflow() {
    use std::net::UdpSocket;
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let (rx, tx) = ns.run(|| {
        let rx = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
        rx.set_recv_buffer_size(1).unwrap();
        rx.bind(&addr("127.0.0.1:5353").into()).unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        (rx, tx)
    });
    for _ in 0..200 {
        tx.send_to(&[0u8; 512], "127.0.0.1:5353").unwrap();
    }
    let (code, json, _) = doctor_cli(&ns, &["-u", "--samples", "1", "-j", "--since-boot"]);
    assert_eq!((code, kinds_of(&json)), (1, vec![Kind::UdpDrops]), "{json}");
    assert!(json.contains("127.0.0.1:5353"), "{json}");
    // Without --since-boot, only drops while sampling count.
    let (code, json, _) = doctor_cli(&ns, &["-u", "--samples", "2", "--interval", "100ms", "-j"]);
    assert_eq!((code, kinds_of(&json)), (0, vec![]), "{json}");
    drop((rx, tx));
}

/// The text form: severity words, sockets with processes, evidence, and
/// no colour when NO_COLOR is set or the output is not a terminal.
#[test]
fn text_report_of_a_full_listener() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let l = ns
        .run(|| listener(addr("127.0.0.1:5000"), 1, None))
        .unwrap();
    let c: Vec<TcpStream> = (0..2)
        .map(|_| {
            ns.run(|| TcpStream::connect(addr("127.0.0.1:5000")))
                .unwrap()
        })
        .collect();
    let (code, out, _) = doctor_cli(&ns, &["--interval", "100ms", "-t", "state", "listening"]);
    assert_eq!(code, 1, "{out}");
    let me = std::process::id();
    assert!(out.contains("CRITICAL listen_queue_full"), "{out}");
    assert!(out.contains("accept queue 2 of backlog 1"), "{out}");
    assert!(out.contains(&format!("pid={me}")), "{out}");
    assert!(out.contains("recv_q: 2 → 2 → 2"), "{out}");
    assert!(
        out.contains("  why:  ") && out.contains("  next: "),
        "{out}"
    );
    assert!(!out.contains('\x1b'), "no colour off a terminal: {out}");
    let (_, coloured, _) = doctor_cli(&ns, &["--samples", "1", "--color", "always"]);
    assert!(coloured.contains("\x1b[1;31mCRITICAL\x1b[0m"), "{coloured}");
    drop((l, c));
}

/// `rss -tan --explain`: each row gains the note of what its queues mean.
#[test]
fn explain_notes_on_the_ordinary_table() {
    use std::io::Write;
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let l = ns
        .run(|| listener(addr("127.0.0.1:5000"), 5, None))
        .unwrap();
    let mut c = ns
        .run(|| TcpStream::connect(addr("127.0.0.1:5000")))
        .unwrap();
    c.write_all(b"hello\n").unwrap();
    let (s, _) = l.accept().unwrap();
    let port = c.local_addr().unwrap().port();
    let server_row = |out: &str| {
        let lines: Vec<&str> = out.lines().collect();
        let i = lines
            .iter()
            .position(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                w.len() >= 5 && w[..3] == ["ESTAB", "6", "0"] && w[4] == format!("127.0.0.1:{port}")
            })
            .unwrap_or_else(|| panic!("{out}"));
        lines[i + 1].to_string()
    };
    let mut out = Vec::new();
    let mut err = Vec::new();
    let argv: Vec<OsString> = vec![
        "rss".into(),
        "-N".into(),
        ns.path().into(),
        "-tan".into(),
        "--explain".into(),
    ];
    assert_eq!(rss::run(argv, &mut out, &mut err), 0);
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("\tRecv-Q 0: connections waiting for accept() (accept queue); Send-Q 5: the backlog given to listen()"),
        "{out}"
    );
    assert_eq!(
        server_row(&out).trim(),
        "Recv-Q 6: bytes received, not yet read by the application; Send-Q 0: everything sent was acknowledged"
    );
    // Without --explain the table is ss's.
    let mut plain = Vec::new();
    let argv: Vec<OsString> = vec!["rss".into(), "-N".into(), ns.path().into(), "-tan".into()];
    assert_eq!(rss::run(argv, &mut plain, &mut err), 0);
    assert!(!String::from_utf8(plain).unwrap().contains("Recv-Q 6:"));
    drop((l, c, s));
}

// ---------------------------------------------------------------------------
// The JSON schema of `rss doctor -j`

fn doctor_schema_path() -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("schema/rss-doctor.schema.json")
}

fn doctor_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(doctor_schema_path()).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

/// `schema/rss-doctor.schema.json` is generated from the library's types
/// (`sockdiag::diagnose::report_schema`); regenerate it with
/// `RSS_UPDATE_SCHEMA=1 cargo test --test main doctor::doctor_schema`. Real
/// output is validated against it in every lab scenario above.
#[test]
fn committed_doctor_schema_is_the_generated_one() {
    let generated = sockdiag::diagnose::report_schema();
    if std::env::var_os("RSS_UPDATE_SCHEMA").is_some() {
        std::fs::write(doctor_schema_path(), &generated).unwrap();
    }
    let committed = std::fs::read_to_string(doctor_schema_path()).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/rss-doctor.schema.json is stale: RSS_UPDATE_SCHEMA=1 cargo test --test main doctor::doctor_schema"
    );
    // Every kind and severity is in it, by its stable name.
    for k in Kind::ALL {
        assert!(committed.contains(&format!("\"{}\"", k.name())), "{k}");
    }
}
