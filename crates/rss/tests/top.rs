//! `rss top` for real: in a tmux pane, on a scene of known connections in a
//! namespace this test makes. It must draw the rows, re-sort on a key
//! press, take a filter at the prompt, and quit on `q` with the terminal
//! restored.

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use testkit::{NetNs, listener, require_privileged, require_tool, wait_until};

struct Tmux {
    session: String,
}

impl Tmux {
    fn start(cmd: &str) -> Tmux {
        Tmux::start_sized(cmd, 140, 40)
    }

    fn start_sized(cmd: &str, cols: u16, rows: u16) -> Tmux {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let session = format!("rss-top-{}-{n}", std::process::id());
        // A tmux server whose last session just ended may still be going
        // away: try again a few times.
        let mut last = None;
        for _ in 0..5 {
            let out = Command::new("tmux")
                .args([
                    "new-session",
                    "-d",
                    "-s",
                    &session,
                    "-x",
                    &cols.to_string(),
                    "-y",
                    &rows.to_string(),
                    cmd,
                ])
                .output()
                .unwrap();
            if out.status.success() {
                last = None;
                break;
            }
            last = Some(String::from_utf8_lossy(&out.stderr).into_owned());
            std::thread::sleep(Duration::from_millis(200));
        }
        assert!(last.is_none(), "tmux new-session: {last:?}");
        Tmux { session }
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let st = Command::new("tmux")
            .args(["send-keys", "-t", &self.session])
            .args(keys)
            .status()
            .unwrap();
        assert!(st.success());
    }

    /// Waits until the screen satisfies `cond`; returns the last screen.
    fn wait(&self, what: &str, cond: impl Fn(&str) -> bool) -> String {
        let mut last = String::new();
        let ok = wait_until(Duration::from_secs(30), || {
            last = self.screen();
            cond(&last)
        });
        assert!(ok, "waiting for {what}; screen:\n{last}");
        last
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}

/// The line number of the first line containing `needle`.
fn line_of(screen: &str, needle: &str) -> Option<usize> {
    screen.lines().position(|l| l.contains(needle))
}

#[test]
fn top_draws_sorts_filters_and_quits() {
    require_privileged!();
    require_tool!("tmux");
    let ns = NetNs::new().unwrap();
    // Two connections to :5000 whose server sides hold 3000 and 100 unread
    // bytes (Recv-Q), from fixed client ports.
    let _held = ns.run(|| {
        let l = listener("127.0.0.1:5000".parse().unwrap(), 8, None).unwrap();
        let mut held: Vec<Box<dyn Send>> = Vec::new();
        for (port, bytes) in [(41001u16, 3000usize), (41002, 100)] {
            use socket2::{Domain, Socket, Type};
            let c = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
            let from: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            c.bind(&from.into()).unwrap();
            c.connect(
                &"127.0.0.1:5000"
                    .parse::<std::net::SocketAddr>()
                    .unwrap()
                    .into(),
            )
            .unwrap();
            let mut c = TcpStream::from(c);
            c.write_all(&vec![b'x'; bytes]).unwrap();
            let (s, _) = l.accept().unwrap();
            held.push(Box::new(c));
            held.push(Box::new(s));
        }
        held.push(Box::new(l));
        held
    });
    let ns_path = ns.path();
    let cmd = format!(
        "{} top -N {} --interval=200ms; echo rss-exit=$?; sleep 60",
        env!("CARGO_BIN_EXE_rss"),
        ns_path.display()
    );
    let t = Tmux::start(&cmd);
    // The rows of the scene: the two server sides with their queues.
    let s = t.wait("the scene's rows", |s| {
        s.contains("127.0.0.1:5000        127.0.0.1:41001       3000")
            && s.contains("127.0.0.1:5000        127.0.0.1:41002       100 ")
    });
    assert!(s.starts_with("rss top "), "{s}");
    assert!(s.contains("5 of 5 sockets"), "{s}");
    // `1`: by Recv-Q, largest first.
    t.keys(&["1"]);
    let s = t.wait("sort by Recv-Q", |s| s.contains("sort Recv-Qv"));
    let (big, small) = (
        line_of(&s, "127.0.0.1:41001       3000").unwrap(),
        line_of(&s, "127.0.0.1:41002       100 ").unwrap(),
    );
    assert!(big < small, "{s}");
    // `1` again: smallest first.
    t.keys(&["1"]);
    let s = t.wait("sort by Recv-Q ascending", |s| s.contains("sort Recv-Q^"));
    let (big, small) = (
        line_of(&s, "127.0.0.1:41001       3000").unwrap(),
        line_of(&s, "127.0.0.1:41002       100 ").unwrap(),
    );
    assert!(small < big, "{s}");
    // A filter typed at the prompt: only the client on 41002.
    t.keys(&["/"]);
    t.wait("the prompt", |s| s.contains("filter> _"));
    t.keys(&["-l", "sport = :41002"]);
    t.keys(&["Enter"]);
    let s = t.wait("the filter applied", |s| s.contains("1 of 5 sockets"));
    assert!(s.contains("filter: sport = :41002"), "{s}");
    assert!(s.contains("127.0.0.1:41002       127.0.0.1:5000"), "{s}");
    assert!(!s.contains("127.0.0.1:41001"), "{s}");
    // `q` quits: the full screen is gone and rss exited 0.
    t.keys(&["q"]);
    let s = t.wait("rss to exit", |s| s.contains("rss-exit="));
    assert!(s.contains("rss-exit=0"), "{s}");
    assert!(!s.contains("rss top "), "the screen was not restored:\n{s}");
}

/// By default LISTEN is shown (with its accept queue) and TIME-WAIT
/// hidden; `t` shows TIME-WAIT. The prompt, opened on a filter in force,
/// edits like a shell line: typing replaces the filter, Ctrl-U and Ctrl-W
/// delete, the arrows move the cursor.
#[test]
fn top_shows_listeners_hides_time_wait_and_edits_the_filter_line() {
    require_privileged!();
    require_tool!("tmux");
    let ns = NetNs::new().unwrap();
    // A listener with one connection waiting in its accept queue, and a
    // connection closed client first: the client's end in TIME-WAIT.
    let _held = ns.run(|| {
        let l = listener("127.0.0.1:5000".parse().unwrap(), 8, None).unwrap();
        let bound = |port: u16| {
            use socket2::{Domain, Socket, Type};
            let c = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
            let from: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            c.bind(&from.into()).unwrap();
            c.connect(
                &"127.0.0.1:5000"
                    .parse::<std::net::SocketAddr>()
                    .unwrap()
                    .into(),
            )
            .unwrap();
            TcpStream::from(c)
        };
        let closed = bound(41003);
        let (s, _) = l.accept().unwrap();
        drop(closed);
        drop(s);
        let waiting = bound(41004);
        let held: Vec<Box<dyn Send>> = vec![Box::new(l), Box::new(waiting)];
        held
    });
    let t = Tmux::start(&format!(
        "{} top -N {} --interval=200ms; echo rss-exit=$?; sleep 60",
        env!("CARGO_BIN_EXE_rss"),
        ns.path().display()
    ));
    let s = t.wait("the listener and the waiting client", |s| {
        s.contains("LISTEN") && s.contains("127.0.0.1:41004") && s.contains("TIME-WAIT hidden (t)")
    });
    assert!(s.contains("127.0.0.1:5000        0.0.0.0:*"), "{s}");
    let tw_row = |s: &str| {
        s.lines()
            .any(|l| l.starts_with(" TIME-WAIT") || l.starts_with(">TIME-WAIT"))
    };
    assert!(!tw_row(&s), "TIME-WAIT shown by default:\n{s}");
    assert!(!s.contains("127.0.0.1:41003"), "{s}");
    t.keys(&["t"]);
    let s = t.wait("TIME-WAIT shown", |s| s.contains("TIME-WAIT shown (t)"));
    let s = if s.contains("127.0.0.1:41003") {
        s
    } else {
        t.wait("the TIME-WAIT row", |s| s.contains("127.0.0.1:41003"))
    };
    assert!(tw_row(&s), "{s}");
    // A filter, then the prompt again: pre-filled, typing replaces it.
    t.keys(&["/"]);
    t.keys(&["-l", "sport = :41004"]);
    t.keys(&["Enter"]);
    t.wait("the filter applied", |s| {
        s.contains("filter: sport = :41004")
    });
    t.keys(&["/"]);
    t.wait("the pre-filled prompt", |s| {
        s.contains("filter> sport = :41004_   (type to replace;")
    });
    t.keys(&["-l", "dport = :5000"]);
    t.wait("the filter replaced", |s| {
        s.contains("filter> dport = :5000_")
    });
    // Ctrl-W deletes the last word, Ctrl-U the whole line.
    t.keys(&["C-w"]);
    t.wait("a word deleted", |s| s.contains("filter> dport = _"));
    t.keys(&["C-u"]);
    t.wait("the line deleted", |s| s.contains("filter> _"));
    // Arrows move the cursor: insert before the last word.
    t.keys(&["-l", "sport = 41004"]);
    t.keys(&["Left", "Left", "Left", "Left", "Left"]);
    t.keys(&["-l", ":"]);
    t.keys(&["Enter"]);
    let s = t.wait("the edited filter applied", |s| {
        s.contains("filter: sport = :41004")
    });
    assert!(s.contains("1 of "), "{s}");
    t.keys(&["q"]);
    let s = t.wait("rss to exit", |s| s.contains("rss-exit="));
    assert!(s.contains("rss-exit=0"), "{s}");
}

#[test]
fn top_refuses_bad_usage_before_touching_the_terminal() {
    for (args, msg) in [
        (&["top", "--interval=0"][..], "rss: top: --interval: '0'"),
        (&["top", "--sort=size"], "rss: top: --sort: 'size'"),
        (&["top", "dport", "="], "rss: top: filter: "),
        (&["top"], "rss: top: needs a terminal"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_rss"))
            .args(args)
            .output()
            .unwrap();
        let e = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {e}");
        assert!(
            e.starts_with(msg) && e.lines().count() == 1,
            "{args:?}: {e}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// Ctrl-C quits like `q`; a panic (forced by the test hook) still leaves
/// the terminal restored, with the message printed on the normal screen.
#[test]
fn top_restores_the_terminal_on_ctrl_c_and_on_panic() {
    require_privileged!();
    require_tool!("tmux");
    let ns = NetNs::new().unwrap();
    let _l = ns.run(|| listener("127.0.0.1:5000".parse().unwrap(), 8, None).unwrap());
    let rss = env!("CARGO_BIN_EXE_rss");
    let ns_path = ns.path();
    let t = Tmux::start(&format!(
        "{rss} top -a -N {}; echo rss-exit=$?; sleep 60",
        ns_path.display()
    ));
    t.wait("the listener", |s| {
        s.contains("LISTEN") && s.contains("127.0.0.1:5000")
    });
    t.keys(&["C-c"]);
    let s = t.wait("rss to exit", |s| s.contains("rss-exit="));
    assert!(s.contains("rss-exit=0"), "{s}");
    assert!(!s.contains("rss top "), "the screen was not restored:\n{s}");
    drop(t);
    let t = Tmux::start(&format!(
        "RSS_TOP_TEST_PANIC=1 {rss} top -a -N {}; echo rss-exit=$?; sleep 60",
        ns_path.display()
    ));
    let s = t.wait("rss to exit", |s| s.contains("rss-exit="));
    assert!(s.contains("rss-exit=101"), "{s}");
    assert!(s.contains("panicking after the first draw"), "{s}");
    assert!(!s.contains("rss top "), "the screen was not restored:\n{s}");
    // Raw mode is off again: the terminal echoes what is typed (to
    // `sleep`, which does not read it; in raw mode nothing would show).
    t.keys(&["-l", "echo-is-on"]);
    t.wait("a cooked terminal", |s| s.contains("echo-is-on"));
}

/// `--watch` on a terminal redraws in place: one status line on screen
/// however many samples were taken, and the changes under the table.
#[test]
fn watch_on_a_terminal_redraws_in_place() {
    require_privileged!();
    require_tool!("tmux");
    let ns = NetNs::new().unwrap();
    let srv = ns.run(|| listener("127.0.0.1:5000".parse().unwrap(), 8, None).unwrap());
    let t = Tmux::start(&format!(
        "{} -N {} --watch=200ms -tn; echo rss-exit=$?; sleep 60",
        env!("CARGO_BIN_EXE_rss"),
        ns.path().display()
    ));
    t.wait("a few samples", |s| {
        s.starts_with("--- ") && s.contains("0 sockets")
    });
    let _c = ns.run(|| TcpStream::connect("127.0.0.1:5000").unwrap());
    let _s = srv.accept().unwrap();
    // The new pair shows up under the table of that sample (the next one
    // clears it again: only look for it while it is there).
    let s = t.wait("the new pair", |s| s.contains("+ new   tcp   ESTAB"));
    assert_eq!(
        s.lines().filter(|l| l.starts_with("--- ")).count(),
        1,
        "{s}"
    );
    let s = t.wait("the next samples", |s| s.contains("2 sockets  +0 new"));
    assert_eq!(
        s.lines().filter(|l| l.starts_with("--- ")).count(),
        1,
        "{s}"
    );
    assert!(s.starts_with("--- "), "{s}");
    t.keys(&["C-c"]);
    let s = t.wait("rss to exit", |s| s.contains("rss-exit="));
    assert!(s.contains("rss-exit=0"), "{s}");
}

/// `--watch` on a terminal smaller than its table (60 listeners, 80×20):
/// every frame fits the screen, the status line stays on top and the
/// change lines under it are visible, the rows left out are counted, and
/// `q` quits (exit 0, the shell's next line below the frame).
#[test]
fn watch_on_a_small_terminal_shows_the_changes_and_quits_on_q() {
    require_privileged!();
    require_tool!("tmux");
    let ns = NetNs::new().unwrap();
    let listeners: Vec<socket2::Socket> = ns.run(|| {
        (0..60)
            .map(|i| {
                let a: std::net::SocketAddr = format!("127.0.0.1:{}", 6000 + i).parse().unwrap();
                listener(a, 8, None).unwrap()
            })
            .collect()
    });
    let t = Tmux::start_sized(
        &format!(
            "{} -N {} --watch=200ms -tan; echo rss-exit=$?; sleep 60",
            env!("CARGO_BIN_EXE_rss"),
            ns.path().display()
        ),
        80,
        20,
    );
    let fits = |s: &str| {
        let lines: Vec<&str> = s.lines().collect();
        assert!(lines.len() <= 20, "{s}");
        assert!(lines.iter().all(|l| l.chars().count() <= 80), "{s}");
        assert!(s.starts_with("--- "), "the status line is not on top:\n{s}");
    };
    let s = t.wait("a frame of the 60 listeners", |s| {
        s.contains("60 sockets  +0 new  -0 gone")
    });
    fits(&s);
    assert!(
        s.contains("more row(s) of 61 not shown (q quits"),
        "no count of the rows left out:\n{s}"
    );
    // A new connection: the change lines show under the status line,
    // although the table does not fit.
    let _c = ns.run(|| TcpStream::connect("127.0.0.1:6000").unwrap());
    let s = t.wait("the new pair", |s| s.contains("+ new   tcp   ESTAB"));
    fits(&s);
    assert!(s.contains("62 sockets  +2 new  -0 gone"), "{s}");
    assert_eq!(
        s.lines()
            .filter(|l| l.contains("+ new   tcp   ESTAB"))
            .count(),
        2,
        "{s}"
    );
    t.keys(&["q"]);
    let s = t.wait("rss to exit", |s| s.contains("rss-exit="));
    assert!(
        s.lines().any(|l| l == "rss-exit=0"),
        "q did not quit cleanly, or the prompt shares the frame's line:\n{s}"
    );
    drop(listeners);
}
