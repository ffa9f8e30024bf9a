//! `rss doctor --conn` on real sockets in every TCP state: each lab
//! scenario, at each of its steps, followed from each end it lists (the
//! binary, as a user runs it, at 80 columns), and 20 connections whose SYNs
//! are dropped.
//!
//! Needs root (namespaces); the scenarios that drop packets need
//! `iptables` (inside the lab's private namespaces). Without them the tests
//! skip loudly, and fail with `RSS_REQUIRE_PRIVILEGED=1`.

use std::net::SocketAddr;
use std::process::Command;

use lab::scenarios::{self, Lab, Observer, Quiet, SERVER, Step};
use sockdiag::State;

use crate::common::rss_bin;

/// The terminal width the text is laid out for.
const COLUMNS: usize = 80;
/// One connection drawn in full fits one screen.
const SCREEN_LINES: usize = 24;

/// `rss doctor -N NS --conn --interval 100ms ARGS` at `COLUMNS=80`:
/// (exit status, stdout); stderr must be empty.
fn conn(ns: &std::path::Path, args: &[&str]) -> (i32, String) {
    finish(start(ns, args), args)
}

/// The text and `-j` of the same arguments, run at the same time (a scene
/// that ends soon, peer-gone's abort, is seen by both).
fn conn_both(ns: &std::path::Path, args: &[&str]) -> ((i32, String), (i32, String)) {
    let mut json = vec!["-j"];
    json.extend_from_slice(args);
    let (t, j) = (start(ns, args), start(ns, &json));
    (finish(t, args), finish(j, &json))
}

fn start(ns: &std::path::Path, args: &[&str]) -> std::process::Child {
    Command::new(rss_bin())
        .args(["doctor", "-N"])
        .arg(ns)
        .args(["--conn", "--interval", "100ms"])
        .args(args)
        .env("COLUMNS", COLUMNS.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: std::process::Child, args: &[&str]) -> (i32, String) {
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "{args:?}: {stderr}");
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// Every line fits the width; none runs two columns together.
fn fits(text: &str) {
    for l in text.lines() {
        assert!(
            l.chars().count() <= COLUMNS,
            "wider than {COLUMNS}: {l:?}\n{text}"
        );
    }
    assert!(!text.contains("not visible here"), "{text}");
}

fn is_handshake(s: State) -> bool {
    matches!(s, State::SynSent | State::SynRecv)
}

/// Follows every connection each step lists, from each of its ends.
struct Follow {
    name: &'static str,
    /// The held-up place expected at each step, in order (`None`: nothing
    /// held up).
    want: &'static [Option<&'static str>],
    /// The most ends followed per step.
    rows: usize,
    /// More options (`--no-processes` where the scene does not last).
    extra: &'static [&'static str],
    steps: usize,
    followed: Vec<State>,
}

impl Observer for Follow {
    fn step(&mut self, lab: &Lab, step: &Step) {
        let want = self.want[self.steps];
        self.steps += 1;
        let path = lab.ns.path();
        let listener = step.expect.iter().any(|e| e.state == State::Listen);
        // At most four ends per step (the backlog's six queued pairs are alike).
        for row in step
            .expect
            .iter()
            .filter(|e| e.state != State::Listen)
            .take(self.rows)
        {
            let filter = format!("src {} and dst {}", row.local, row.peer);
            let ctx = format!("{} / {:?} / {} {}", self.name, step.title, row.role, filter);
            let mut args: Vec<&str> = self.extra.to_vec();
            args.push(&filter);
            let ((_, text), (code, json)) = conn_both(&path, &args);
            let v: serde_json::Value =
                serde_json::from_str(&json).unwrap_or_else(|e| panic!("{ctx}: {e}: {json}"));
            let conns = v["connections"].as_array().unwrap();
            assert_eq!(conns.len(), 1, "{ctx}: {json}");
            let c = &conns[0];
            assert_eq!(c["stuck_at"].as_str(), want, "{ctx}: {json}");
            assert_eq!(code, i32::from(want.is_some()), "{ctx}");
            // The verdict's place is a held-up check.
            let checks = c["checks"].as_array().unwrap();
            if let Some(place) = want {
                assert!(
                    checks
                        .iter()
                        .any(|k| k["place"] == place && k["stuck"] == true),
                    "{ctx}: {json}"
                );
            }
            // Both ends found when both are in the namespace, the listener
            // when there is one for the server's address.
            let peer_listed = step
                .expect
                .iter()
                .any(|e| e.local == row.peer && e.peer == row.local);
            let (client, server) = (&c["client"], &c["server"]);
            if peer_listed {
                assert!(
                    client.is_object() && server.is_object(),
                    "{ctx}: an end missing: {json}"
                );
            }
            let to_server = if row.local == SERVER {
                row.local
            } else {
                row.peer
            };
            if listener && to_server == SERVER {
                assert_eq!(c["listener"]["socket"]["local"], "127.0.0.1:5000", "{ctx}");
            }
            // The text: fits 80 columns and one screen, marks the place,
            // and a handshake counts no bytes.
            fits(&text);
            assert!(
                text.lines().count() <= SCREEN_LINES,
                "{ctx}: {} lines\n{text}",
                text.lines().count()
            );
            assert!(text.contains("  verdict: "), "{ctx}\n{text}");
            let verdict = c["verdict"].as_str().unwrap();
            let first_words: String = verdict
                .split_whitespace()
                .take(self.rows)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                text.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .contains(&first_words),
                "{ctx}\n{text}"
            );
            assert_eq!(text.contains("<=="), want.is_some(), "{ctx}\n{text}");
            if is_handshake(row.state) {
                assert!(!text.contains("byte"), "{ctx}: a SYN is no byte\n{text}");
                assert_eq!(c["phase"], "handshake", "{ctx}");
            }
            self.followed.push(row.state);
        }
    }
}

fn follow(name: &'static str, want: &'static [Option<&'static str>]) -> Vec<State> {
    follow_with(name, want, 4, &[])
}

fn follow_with(
    name: &'static str,
    want: &'static [Option<&'static str>],
    rows: usize,
    extra: &'static [&'static str],
) -> Vec<State> {
    let mut f = Follow {
        name,
        want,
        rows,
        extra,
        steps: 0,
        followed: Vec::new(),
    };
    scenarios::run(name, &mut f).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(f.steps, want.len(), "{name}: steps");
    eprintln!("[{name}] followed {:?}", f.followed);
    f.followed
}

macro_rules! privileged {
    () => {
        testkit::require_privileged!();
    };
    (iptables) => {
        testkit::require_privileged!();
        testkit::require_tool!("iptables");
    };
}

/// SYN-SENT behind a full listener: the listener's queue is the cause;
/// the six clients in ESTABLISHED whose server ends wait in the accept
/// queue: never accepted, found from either end.
#[test]
fn backlog() {
    privileged!();
    let seen = follow("backlog", &[Some("listener.accept_queue"), None]);
    assert!(seen.contains(&State::SynSent) && seen.contains(&State::Established));
}

/// SYN-SENT, the SYN dropped: not a byte, the listener found beside it.
#[test]
fn syn_sent() {
    privileged!(iptables);
    let seen = follow("syn-drop", &[Some("client.syn")]);
    assert_eq!(seen, [State::SynSent]);
}

/// SYN-RECV, the final ACK dropped, from both ends.
#[test]
fn syn_recv() {
    privileged!(iptables);
    let seen = follow("ack-drop", &[Some("server.ack")]);
    assert!(seen.contains(&State::SynRecv) && seen.contains(&State::Established));
}

/// ESTABLISHED, the server not reading: its Recv-Q.
#[test]
fn established_unread() {
    privileged!();
    follow("recv-q", &[Some("server.recv_q")]);
}

/// ESTABLISHED, a stalled reader with a closed window: the server's unread
/// Recv-Q is the cause, not the client's Send-Q behind it.
#[test]
fn established_stalled_reader() {
    privileged!();
    follow("send-q", &[Some("server.recv_q")]);
}

/// ESTABLISHED and idle: nothing held up.
#[test]
fn established_idle() {
    privileged!();
    follow("rst", &[None, None]);
}

/// CLOSE-WAIT and FIN-WAIT-2: the server application has not closed.
#[test]
fn close_wait() {
    privileged!();
    let seen = follow(
        "close-wait",
        &[Some("server.close_wait"), Some("server.close_wait")],
    );
    assert!(seen.contains(&State::CloseWait) && seen.contains(&State::FinWait2));
}

/// TIME-WAIT: closed normally.
#[test]
fn time_wait() {
    privileged!();
    let seen = follow("time-wait", &[None]);
    assert_eq!(seen, [State::TimeWait]);
}

/// FIN-WAIT-1 with CLOSE-WAIT, then with LAST-ACK: the client's FIN is
/// not acknowledged (the server's packets are dropped).
#[test]
fn fin_wait_1_and_last_ack() {
    privileged!(iptables);
    let seen = follow("fin-unanswered", &[Some("client.fin"), Some("client.fin")]);
    assert!(seen.contains(&State::FinWait1) && seen.contains(&State::LastAck));
}

/// ESTABLISHED with every packet dropped: bytes in the client's Send-Q,
/// retransmitted, the server's Recv-Q empty (lost on the way); then the
/// client reset, its RST dropped too: the server waits on a dead
/// connection. (The lab's peer-gone scene aborts by itself after ~6 s, too
/// soon for a loaded machine; here the default tcp_retries2 holds the
/// scene for minutes.)
#[test]
fn established_lost_then_gone() {
    privileged!(iptables);
    use std::io::Write;
    let lab = Lab::new().unwrap();
    let listener = lab.listen(&mut Quiet, 5).unwrap();
    let mut client = lab.connect(SERVER).unwrap();
    let (server, _) = listener.accept().unwrap();
    let caddr = client.local_addr().unwrap();
    for rule in [
        "-I INPUT 1 -i lo -p tcp --dport 5000 -j DROP",
        "-I INPUT 1 -i lo -p tcp --sport 5000 -j DROP",
    ] {
        lab.iptables(&mut Quiet, rule).unwrap();
    }
    client.write_all(b"hello\n").unwrap();
    lab.wait_socket("the client's data retransmitted", caddr, SERVER, |s| {
        s.send_q == 6 && s.timer.is_some_and(|t| t.retransmits >= 1)
    })
    .unwrap();
    let path = lab.ns.path();
    let filter = format!("sport = :{}", caddr.port());
    let ((code, text), (_, json)) = conn_both(&path, &[&filter]);
    fits(&text);
    assert_eq!(code, 1, "{text}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let c = &v["connections"][0];
    assert_eq!(c["stuck_at"], "client.send_q", "{json}");
    assert!(c["server"].is_object(), "{json}");
    assert!(
        c["verdict"].as_str().unwrap().contains("lost on the way"),
        "{json}"
    );
    assert!(
        text.contains("(1) Send-Q 6→6→6") && text.contains("<== (1)"),
        "{text}"
    );

    // The client resets; its RST is dropped: the server end stays.
    socket2::SockRef::from(&client)
        .set_linger(Some(std::time::Duration::ZERO))
        .unwrap();
    drop(client);
    lab.wait_for("the client's socket to vanish", |socks| {
        scenarios::find(socks, caddr, SERVER)
            .is_none()
            .then_some(())
    })
    .unwrap();
    let filter = format!("dport = :{}", caddr.port());
    let ((code, text), (_, json)) = conn_both(&path, &[&filter]);
    fits(&text);
    assert_eq!(code, 1, "{text}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let c = &v["connections"][0];
    assert_eq!(c["stuck_at"], "client.gone", "{json}");
    assert!(c["client"].is_null(), "{json}");
    assert!(text.contains("client    127.0.0.1:"), "{text}");
    assert!(text.contains(", gone"), "{text}");
    drop((server, listener));
}

/// 20 connections whose SYNs are dropped: one summary table, not 20
/// diagrams, within 80 columns; each connection in the JSON.
#[test]
fn many_syn_sent_are_one_table() {
    privileged!(iptables);
    let lab = Lab::new().unwrap();
    lab.iptables(&mut Quiet, "-A INPUT -p tcp --dport 5000 --syn -j DROP")
        .unwrap();
    let listener = lab.listen(&mut Quiet, 5).unwrap();
    let clients: Vec<socket2::Socket> = (0..20).map(|_| lab.connect_nb(SERVER).unwrap()).collect();
    lab.wait_for("20 SYN-SENT sockets with a SYN retransmitted", |socks| {
        (socks
            .iter()
            .filter(|s| s.state == State::SynSent && s.timer.is_some_and(|t| t.retransmits >= 1))
            .count()
            == 20)
            .then_some(())
    })
    .unwrap();
    let path = lab.ns.path();
    let (code, text) = conn(&path, &["dport = :5000"]);
    assert_eq!(code, 1);
    fits(&text);
    assert!(text.lines().count() <= 12, "{text}");
    assert!(text.contains("20 clients"), "{text}");
    assert!(text.contains("SYN unanswered"), "{text}");
    assert!(!text.contains("byte"), "{text}");
    let (_, json) = conn(&path, &["-j", "dport = :5000"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let conns = v["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 20);
    let ports: std::collections::BTreeSet<String> = clients
        .iter()
        .map(|c| {
            c.local_addr()
                .unwrap()
                .as_socket()
                .map(|a: SocketAddr| a.to_string())
                .unwrap()
        })
        .collect();
    for c in conns {
        assert_eq!(c["stuck_at"], "client.syn", "{c}");
        assert!(ports.contains(c["client"]["socket"]["local"].as_str().unwrap()));
        assert_eq!(c["listener"]["socket"]["local"], "127.0.0.1:5000");
    }
    drop((listener, clients));
}

/// On a terminal the width is the terminal's (`TIOCGWINSZ`), `$COLUMNS`
/// aside: a stalled reader drawn on a 60-column pseudo-terminal.
#[test]
fn the_terminal_width_is_the_terminals() {
    privileged!();
    use std::io::Write;
    let lab = Lab::new().unwrap();
    let listener = lab.listen(&mut Quiet, 5).unwrap();
    let mut client = lab.connect(SERVER).unwrap();
    let (server, _) = listener.accept().unwrap();
    client.write_all(&[b'x'; 3000]).unwrap();
    let caddr = client.local_addr().unwrap();
    lab.wait_socket("3000 unread bytes", SERVER, caddr, |s| s.recv_q == 3000)
        .unwrap();
    let mut cmd = Command::new(rss_bin());
    cmd.args(["doctor", "-N"])
        .arg(lab.ns.path())
        .args(["--conn", "--interval", "100ms", "--color", "never"])
        .arg(format!("sport = :{}", caddr.port()))
        .env("COLUMNS", "200");
    let (out, _) = testkit::output_on_tty(cmd, 60).unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("<== (2)"), "{text}");
    for l in text.lines() {
        assert!(l.chars().count() <= 60, "wider than 60: {l:?}\n{text}");
    }
    assert!(
        text.lines().any(|l| l.chars().count() > 50),
        "not laid out for 60 columns:\n{text}"
    );
    drop((client, server, listener));
}
