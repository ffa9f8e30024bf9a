//! `rss doctor --watch` on real scenes in private network namespaces: a
//! problem appears and the finding opens, once; it goes away and the
//! finding resolves, once; the exporter's background watcher opens and
//! resolves the same finding on the same scene.
//!
//! Needs root (namespaces). Without it the tests skip loudly, and fail with
//! `RSS_REQUIRE_PRIVILEGED=1` (CI).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use lab::scenarios::{ANY, Lab, Quiet, SERVER};
use serde_json::Value;
use testkit::require_privileged;

use crate::common::{exporter_beside_rss, rss_bin, spawn_lock};

/// How long a finding may take to open or resolve here: a window of 3
/// samples and a hold of 6 diagnoses at 1 s are 10 s; the rest is slack for
/// a loaded machine (where the /proc walk for processes alone can take
/// seconds per sample).
const PATIENCE: Duration = Duration::from_secs(120);

/// A child process, killed on drop if still running.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) on our own child's pid.
        let r = unsafe { libc::kill(self.0.id() as libc::pid_t, sig) };
        assert_eq!(r, 0, "kill: {}", std::io::Error::last_os_error());
    }

    /// Waits for the exit (the bound only guards against a hang).
    fn wait_exit(&mut self, what: &str) -> std::process::ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(s) = self.0.try_wait().unwrap() {
                return s;
            }
            assert!(Instant::now() < deadline, "{what} did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The lines of a child's stdout, as they come.
fn lines_of(out: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// `rss doctor --watch -N NS ARGS`, stdout piped, stderr kept.
fn doctor_watch(ns: &std::path::Path, args: &[&str]) -> (Proc, mpsc::Receiver<String>) {
    let _g = spawn_lock();
    let mut child = Command::new(rss_bin())
        .args(["doctor", "--watch", "-N"])
        .arg(ns)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rss doctor --watch");
    let out = child.stdout.take().unwrap();
    (Proc(child), lines_of(out))
}

/// Reads lines until one satisfies `want`, keeping every line read in
/// `seen`; fails after [`PATIENCE`] naming `what` it waited for.
fn wait_line(
    rx: &mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    what: &str,
    want: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                seen.push(line.clone());
                if want(&line) {
                    return line;
                }
            }
            Err(_) => panic!(
                "gave up waiting for {what}; lines so far:\n{}",
                seen.join("\n")
            ),
        }
    }
}

fn json(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

fn is_event(line: &str, change: &str, kind: &str, subject: &str) -> bool {
    let v = json(line);
    v["change"] == change && v["kind"] == kind && v["subject"] == subject
}

/// The watch JSON Schema, committed.
fn watch_schema_path() -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("schema/rss-doctor-watch.schema.json")
}

/// Every (kind, subject) alternates opened → (changed)* → resolved: never
/// opened twice while open, never changed or resolved while not open, and
/// a change always to another severity than reported.
fn check_protocol(lines: &[String]) {
    let mut open: BTreeMap<(String, String), String> = BTreeMap::new();
    for line in lines {
        let v = json(line);
        let key = (
            v["kind"].as_str().unwrap().to_owned(),
            v["subject"].as_str().unwrap().to_owned(),
        );
        let severity = v["severity"].as_str().unwrap().to_owned();
        match v["change"].as_str().unwrap() {
            "opened" => {
                assert!(
                    open.insert(key.clone(), severity).is_none(),
                    "{key:?} opened twice:\n{}",
                    lines.join("\n")
                );
            }
            "severity_changed" => {
                let was = open.get_mut(&key).unwrap_or_else(|| {
                    panic!("{key:?} changed while not open:\n{}", lines.join("\n"))
                });
                assert_eq!(v["previous_severity"], was.as_str(), "{line}");
                assert_ne!(*was, severity, "{line}");
                *was = severity;
            }
            "resolved" => {
                let was = open.remove(&key).unwrap_or_else(|| {
                    panic!("{key:?} resolved while not open:\n{}", lines.join("\n"))
                });
                assert_eq!(was, severity, "{line}");
            }
            other => panic!("unknown change {other:?}: {line}"),
        }
    }
}

/// A listener of backlog 5 with 6 connections never accepted: its accept
/// queue is full. Returns what keeps it so.
fn full_listener(lab: &Lab) -> (socket2::Socket, Vec<TcpStream>) {
    let listener = lab.listen(&mut Quiet, 5).unwrap();
    let clients: Vec<TcpStream> = (0..6).map(|_| lab.connect(SERVER).unwrap()).collect();
    lab.wait_socket("6 connections in the accept queue", SERVER, ANY, |s| {
        s.recv_q == 6
    })
    .unwrap();
    (listener, clients)
}

/// A full accept queue appears: `rss doctor --watch -j` reports it opened,
/// once, naming the listener and this process, and so does the text form;
/// the queue goes away: both report it resolved, once; SIGTERM (JSON) and
/// SIGINT (text) end them with exit 0. Every line is the committed
/// schema's and carries its version.
#[test]
fn doctor_watch_opens_and_resolves_a_full_accept_queue() {
    require_privileged!();
    let lab = Lab::new().unwrap();
    let ns = lab.ns.path();
    let args = ["--interval", "200ms", "--samples", "3"];
    let (mut jw, jrx) = doctor_watch(&ns, &[&args[..], &["-j"]].concat());
    // The text form without processes: one /proc walk per sample is enough.
    let (mut tw, trx) = doctor_watch(&ns, &[&args[..], &["--no-processes"]].concat());
    let (mut jlines, mut tlines) = (Vec::new(), Vec::new());

    let (listener, clients) = full_listener(&lab);
    let subject = format!("listener {SERVER}");
    let opened = wait_line(&jrx, &mut jlines, "listen_queue_full opened", |l| {
        is_event(l, "opened", "listen_queue_full", &subject)
    });
    let v = json(&opened);
    assert_eq!(v["schema_version"], sockdiag::diagnose::SCHEMA_VERSION);
    assert_eq!(v["namespace"], ns.display().to_string());
    assert_eq!(v["severity"], "critical");
    assert!(v["time_ms"].as_u64().unwrap() > 1_600_000_000_000, "{v}");
    let listener_ref = &v["finding"]["sockets"][0];
    assert_eq!(listener_ref["local"], SERVER.to_string());
    assert_eq!(listener_ref["state"], "listen");
    let me = std::process::id();
    assert!(
        listener_ref["processes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["pid"] == me),
        "the listener's holder is this process: {v}"
    );
    let text_opened = wait_line(&trx, &mut tlines, "the text line of the opening", |l| {
        l.contains("  opened    CRITICAL  listen_queue_full  ")
    });
    // `YYYY-MM-DD HH:MM:SS.mmm UTC  opened ...`
    let (time, _) = text_opened.split_once(" UTC  ").unwrap();
    assert_eq!(time.len(), 23, "{text_opened}");
    assert!(
        time.starts_with("20") && time.as_bytes()[10] == b' ',
        "{text_opened}"
    );
    assert!(text_opened.contains(&subject), "{text_opened}");

    // The problem stays for several windows: nothing more about it.
    std::thread::sleep(Duration::from_secs(2));
    drop((clients, listener));
    wait_line(&jrx, &mut jlines, "listen_queue_full resolved", |l| {
        is_event(l, "resolved", "listen_queue_full", &subject)
    });
    wait_line(&trx, &mut tlines, "the text line of the resolution", |l| {
        l.contains("  resolved  CRITICAL  listen_queue_full  ")
    });

    jw.signal(libc::SIGTERM);
    assert_eq!(jw.wait_exit("doctor --watch -j").code(), Some(0));
    tw.signal(libc::SIGINT);
    assert_eq!(tw.wait_exit("doctor --watch").code(), Some(0));
    // Whatever was printed before the end.
    jlines.extend(jrx.try_iter());
    tlines.extend(trx.try_iter());

    check_protocol(&jlines);
    let of_scene: Vec<String> = jlines
        .iter()
        .map(|l| json(l))
        .filter(|v| v["kind"] == "listen_queue_full" && v["subject"] == subject.as_str())
        .map(|v| v["change"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(of_scene, ["opened", "resolved"], "{}", jlines.join("\n"));
    let text_of_scene = tlines
        .iter()
        .filter(|l| l.contains("listen_queue_full"))
        .count();
    assert_eq!(text_of_scene, 2, "{}", tlines.join("\n"));

    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(watch_schema_path()).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    for line in &jlines {
        let v = json(line);
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{line}: {errors:#?}");
    }
    let mut stderr = String::new();
    tw.0.stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.starts_with("rss doctor: watching "), "{stderr}");
    let mut stderr = String::new();
    jw.0.stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(stderr, "", "JSON Lines mode says nothing on stderr");
}

/// `n` connections accepted by `listener` whose clients closed: the server
/// ends, held by this process, wait in CLOSE-WAIT.
fn close_waits(lab: &Lab, listener: &socket2::Socket, n: usize) -> Vec<socket2::Socket> {
    let mut held = Vec::new();
    for _ in 0..n {
        let client = lab.connect(SERVER).unwrap();
        let (server, _) = listener.accept().unwrap();
        let port = client.local_addr().unwrap();
        drop(client);
        lab.wait_socket("the server end in CLOSE-WAIT", SERVER, port, |s| {
            s.state == sockdiag::State::CloseWait
        })
        .unwrap();
        held.push(server);
    }
    held
}

/// A process leaks CLOSE-WAIT sockets: one, the finding opens as a
/// warning naming this process; three (`--close-wait-critical 3`), the same
/// finding changes to critical, once; all closed, it resolves, once.
#[test]
fn doctor_watch_reports_a_severity_change_once() {
    require_privileged!();
    let lab = Lab::new().unwrap();
    let ns = lab.ns.path();
    let (mut w, rx) = doctor_watch(
        &ns,
        &[
            "--interval",
            "200ms",
            "--samples",
            "3",
            "--close-wait-critical",
            "3",
            "-j",
        ],
    );
    let mut lines = Vec::new();
    let listener = lab.listen(&mut Quiet, 16).unwrap();
    let me = format!(" pid {}", std::process::id());
    let is_leak = |l: &str, change: &str| {
        let v = json(l);
        v["change"] == change
            && v["kind"] == "close_wait_leak"
            && v["subject"].as_str().is_some_and(|s| s.ends_with(&me))
    };

    let mut held = close_waits(&lab, &listener, 1);
    let opened = wait_line(&rx, &mut lines, "close_wait_leak opened", |l| {
        is_leak(l, "opened")
    });
    assert_eq!(json(&opened)["severity"], "warning", "{opened}");
    held.extend(close_waits(&lab, &listener, 2));
    let changed = wait_line(&rx, &mut lines, "close_wait_leak critical", |l| {
        is_leak(l, "severity_changed")
    });
    let v = json(&changed);
    assert_eq!(
        (v["severity"].as_str(), v["previous_severity"].as_str()),
        (Some("critical"), Some("warning")),
        "{changed}"
    );
    assert_eq!(v["subject"], json(&opened)["subject"], "one finding");
    assert_eq!(
        v["finding"]["sockets"].as_array().unwrap().len(),
        3,
        "{changed}"
    );
    drop(held);
    wait_line(&rx, &mut lines, "close_wait_leak resolved", |l| {
        is_leak(l, "resolved")
    });
    w.signal(libc::SIGTERM);
    assert_eq!(w.wait_exit("doctor --watch").code(), Some(0));
    lines.extend(rx.try_iter());
    check_protocol(&lines);
    // This process's leak. (Closing races the /proc walk that follows each
    // dump: a socket closed in between is seen in CLOSE-WAIT held by no
    // process, another subject.)
    let of_leak: Vec<String> = lines
        .iter()
        .map(|l| json(l))
        .filter(|v| v["kind"] == "close_wait_leak" && v["subject"] == json(&opened)["subject"])
        .map(|v| v["change"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        of_leak,
        ["opened", "severity_changed", "resolved"],
        "{}",
        lines.join("\n")
    );
    drop(listener);
}

/// Every committed schema under `schema/` (among them
/// `rss-doctor-watch.schema.json`) is what `cargo xtask gen-schemas` writes
/// from the library's types; the watch schema names every change.
#[test]
fn committed_schemas_are_what_xtask_generates() {
    let root = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let all = xtask::gen_schemas::schemas();
    assert!(all.iter().any(|(p, _)| root.join(p) == watch_schema_path()));
    for (rel, generated) in all {
        let committed = std::fs::read_to_string(root.join(rel)).unwrap_or_default();
        assert!(
            committed == generated,
            "{rel} is stale: run `cargo xtask gen-schemas`"
        );
    }
    let watch = std::fs::read_to_string(watch_schema_path()).unwrap();
    for word in ["opened", "severity_changed", "resolved", "schema_version"] {
        assert!(watch.contains(&format!("\"{word}\"")), "{word}");
    }
}

/// `--watch` takes no `--conn`, and a namespace that cannot be opened is
/// the system's refusal (3), before anything is printed.
#[test]
fn doctor_watch_usage_and_refusal() {
    let run = |args: &[&str]| {
        let mut argv: Vec<std::ffi::OsString> =
            vec!["rss".into(), "doctor".into(), "--watch".into()];
        argv.extend(args.iter().map(Into::into));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = rss::run(argv, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    };
    let (code, out, err) = run(&["--conn", "sport = :1"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(
        err.contains("'--watch' cannot be used with '--conn'"),
        "{err}"
    );
    let (code, out, err) = run(&["-N", "/nonexistent/h23w-none"]);
    assert_eq!((code, out.as_str()), (3, ""), "{err}");
    assert!(
        err.starts_with("rss: doctor: ") && err.contains("/nonexistent/h23w-none"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// The exporter's background watcher, on the same scene

/// `rss exporter -N NS --sample-interval 1 --listen 127.0.0.1:0`, and the
/// address it printed.
fn exporter(ns: &std::path::Path) -> (Proc, SocketAddr) {
    exporter_beside_rss();
    let _g = spawn_lock();
    let mut child = Command::new(rss_bin())
        .args([
            "exporter",
            "--listen",
            "127.0.0.1:0",
            "--sample-interval",
            "1",
            "-N",
        ])
        .arg(ns)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rss exporter");
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("rss: exporter listening on http://")
        .and_then(|r| r.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .parse()
        .unwrap();
    (Proc(child), addr)
}

/// The value of the series `name{labels}` in a scrape (0 when absent).
fn series(addr: SocketAddr, series: &str) -> f64 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text.lines()
        .find_map(|l| {
            l.strip_prefix(series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0.0)
}

/// Polls the exporter until `series` has `value`; fails after [`PATIENCE`].
fn wait_series(addr: SocketAddr, name: &str, value: f64) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let v = series(addr, name);
        if v == value {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "gave up waiting for {name} = {value} (it is {v})"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// On one scene, `rss doctor --watch` and the exporter (same window of 3
/// samples, 1 s apart) open the full listener's finding, each once, and
/// resolve it, each once: the exporter's open-findings gauge follows, and
/// its opened/resolved counters count one of each.
#[test]
fn doctor_watch_and_exporter_open_and_resolve_the_same_finding() {
    require_privileged!();
    let lab = Lab::new().unwrap();
    let ns = lab.ns.path();
    // Without processes, as the exporter's sampler: the same cadence.
    let (mut dw, rx) = doctor_watch(
        &ns,
        &["--interval", "1s", "--samples", "3", "-j", "--no-processes"],
    );
    let (mut ex, addr) = exporter(&ns);
    let gauge = r#"rss_doctor_findings{kind="listen_queue_full"}"#;
    let opened = r#"rss_doctor_findings_opened_total{kind="listen_queue_full"}"#;
    let resolved = r#"rss_doctor_findings_resolved_total{kind="listen_queue_full"}"#;
    let subject = format!("listener {SERVER}");
    let mut lines = Vec::new();

    let (listener, clients) = full_listener(&lab);
    wait_line(&rx, &mut lines, "doctor: listen_queue_full opened", |l| {
        is_event(l, "opened", "listen_queue_full", &subject)
    });
    wait_series(addr, opened, 1.0);
    wait_series(addr, gauge, 1.0);
    assert_eq!(series(addr, resolved), 0.0);

    drop((clients, listener));
    wait_line(&rx, &mut lines, "doctor: listen_queue_full resolved", |l| {
        is_event(l, "resolved", "listen_queue_full", &subject)
    });
    wait_series(addr, resolved, 1.0);
    assert_eq!(series(addr, gauge), 0.0);
    assert_eq!(series(addr, opened), 1.0, "opened once");

    dw.signal(libc::SIGTERM);
    assert_eq!(dw.wait_exit("doctor --watch").code(), Some(0));
    ex.signal(libc::SIGTERM);
    ex.wait_exit("rss exporter");
    lines.extend(rx.try_iter());
    check_protocol(&lines);
}
