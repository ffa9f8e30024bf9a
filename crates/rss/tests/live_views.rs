//! `-K` (kill with SOCK_DESTROY) and `-E` (destroy events), live.

use crate::common;

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{OUTPUTS, Out, pairs, pairs_on, rss_bin, run_command, run_tool};
use testkit::{NetNs, listener, require_oracle, require_privileged, require_tool};

#[test]
fn kill_closes_what_the_filter_selects_like_ss() {
    require_privileged!();
    let oracle = require_oracle!();
    let (ours_ns, theirs_ns) = (NetNs::new().unwrap(), NetNs::new().unwrap());
    let _a = pairs(&ours_ns);
    let _b = pairs(&theirs_ns);
    let args = ["-tnK", "dport", "=", ":5000"];
    let ours = run_tool(&ours_ns, &rss_bin(), &args, &[], Out::Piped);
    let theirs = run_tool(&theirs_ns, &oracle, &args, &[], Out::Piped);
    // Both clients were shown as closed, byte for byte as ss 7.1 shows them ...
    assert_eq!(ours.code, Some(0), "{}", ours.stderr);
    assert_eq!(ours.stdout.lines().count(), 3, "{}", ours.stdout);
    assert!(
        ours == theirs,
        "{}",
        common::describe(&args, Out::Piped, &ours, &theirs)
    );
    // ... and are gone; the server sides got a reset and closed too: only
    // the listener is left.
    let left = ours_ns.ss(&["-tanH"]);
    let rows: Vec<&str> = left.lines().collect();
    assert_eq!(rows.len(), 1, "{left}");
    assert!(
        rows[0].starts_with("LISTEN") && rows[0].contains("127.0.0.1:5000"),
        "{left}"
    );
}

#[test]
fn kill_without_cap_net_admin_is_refused() {
    require_privileged!();
    // Sockets of this test, in the host namespace, on ports nobody else uses.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let _c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let _s = l.accept().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rss"))
        .args(["-tnK", "dport", "=", &format!(":{port}")])
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{e}");
    assert!(
        e.starts_with("rss: ") && e.contains("permission denied") && e.lines().count() == 1,
        "{e}"
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn spawn_events(
    ns: &NetNs,
    args: &[&str],
) -> (std::process::Child, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rss"))
        .arg("-N")
        .arg(ns.path())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    (child, out)
}

fn read_line_within(r: &mut BufReader<std::process::ChildStdout>, what: &str) -> String {
    // The child is killed by the caller on timeout through the watchdog.
    let mut line = String::new();
    r.read_line(&mut line)
        .unwrap_or_else(|e| panic!("reading {what}: {e}"));
    assert!(!line.is_empty(), "rss -E ended before {what}");
    line
}

#[test]
fn events_report_each_destroyed_socket() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let (mut child, mut out) = spawn_events(&ns, &["-tEn", "-a"]);
    let pid = child.id() as i32;
    // A watchdog: a hung test must not hang CI. A liveness bound: rss
    // subscribes, and the header and five event rows arrive, within a
    // generous 60 s. Called off before the child is reaped (its pid may be
    // reused after that); a panic of the test kills the child at once.
    let (call_off, dog_rx) = std::sync::mpsc::channel::<()>();
    let dog = std::thread::spawn(move || {
        if dog_rx.recv_timeout(Duration::from_secs(60)).is_err() {
            // SAFETY: signalling our own child by pid, not yet reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    // As ss, the header comes with the first event: wait until the kernel
    // lists rss's subscription (a sock_diag socket joined to a destroy
    // group in the namespace); a liveness wait, generous for a busy machine.
    let diag_ns = sockdiag::NetNs::from_path(ns.path()).unwrap();
    let subscribed = testkit::wait_until(Duration::from_secs(30), || {
        sockdiag::Query::netlink()
            .dump_in(&diag_ns)
            .unwrap()
            .flatten()
            .any(|s| {
                matches!(s.local, sockdiag::Endpoint::Netlink { protocol: 4, .. })
                    && s.netlink().is_some_and(|n| !n.groups.is_empty())
            })
    });
    assert!(subscribed, "rss -E did not subscribe within 30 s");
    let held = pairs(&ns);
    drop(held);
    let header = read_line_within(&mut out, "the header");
    assert!(header.starts_with("State"), "{header}");
    let mut rows = Vec::new();
    // Piped, each row is flushed as it happens: block-buffered rows would
    // stay in rss's buffer until the watchdog's SIGKILL discards them, and
    // the reads would end in "rss -E ended before …".
    while rows.len() < 5 {
        rows.push(read_line_within(&mut out, "an event row"));
    }
    let _ = child.kill();
    let mut rest = String::new();
    let _ = out.read_to_string(&mut rest);
    let _ = call_off.send(());
    dog.join().unwrap();
    let _ = child.wait();
    let text = rows.concat();
    // Two clients, two server sides, one listener: each once, as UNCONN.
    for want in ["127.0.0.1:41001", "127.0.0.1:41002", "0.0.0.0:*"] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    assert!(rows.iter().all(|r| r.starts_with("UNCONN")), "{text}");
}

#[test]
fn events_as_json_lines() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let (mut child, mut out) = spawn_events(&ns, &["-tE", "-a", "-j", "sport", "=", ":5000"]);
    let pid = child.id() as i32;
    let dog = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(30));
        // SAFETY: signalling our own child by pid.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    });
    // No header in JSON mode: wait until the kernel lists a sock_diag
    // socket joined to a destroy group in the namespace (rss's subscription).
    let diag_ns = sockdiag::NetNs::from_path(ns.path()).unwrap();
    let subscribed = testkit::wait_until(Duration::from_secs(10), || {
        sockdiag::Query::netlink()
            .dump_in(&diag_ns)
            .unwrap()
            .flatten()
            .any(|s| {
                matches!(s.local, sockdiag::Endpoint::Netlink { protocol: 4, .. })
                    && s.netlink().is_some_and(|n| !n.groups.is_empty())
            })
    });
    assert!(subscribed, "rss -E never subscribed");
    drop(pairs(&ns));
    let mut objs = Vec::new();
    // Filter sport = :5000: the listener and the two server sides.
    while objs.len() < 3 {
        let line = read_line_within(&mut out, "an event");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        objs.push(v);
    }
    let _ = child.kill();
    let _ = child.wait();
    drop(dog);
    for v in &objs {
        assert_eq!(v["state"], "unconn");
        assert_eq!(v["local"]["port"], 5000);
    }
}

/// Runs rss with `args` in `ns` and returns its output.
fn rss_in(ns: &NetNs, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rss"))
        .arg("-N")
        .arg(ns.path())
        .args(args)
        .output()
        .unwrap()
}

fn established(ns: &NetNs) -> usize {
    ns.ss(&["-tnH", "state", "established"]).lines().count()
}

#[test]
fn kill_without_a_narrowing_filter_refuses_and_closes_nothing() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    let ns = NetNs::new().unwrap();
    let _held = pairs(&ns);
    assert_eq!(established(&ns), 4);
    for args in [
        &["-tK"][..],
        &["-tKa"],
        &["-K", "state", "established"],
        &["-tK", "not", "dport", "=", ":22"],
        &["-tK", "autobound"],
        &["-tK", "dport", "=", ":5000", "or", "autobound"],
    ] {
        let out = rss_in(&ns, args);
        let e = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {e}");
        assert!(
            e.starts_with("rss: -K: refusing")
                && e.contains("--kill-all")
                && e.lines().count() == 1,
            "{args:?}: {e}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_eq!(established(&ns), 4, "{args:?} closed something");
    }
    // --kill-all means it: every connection of the namespace goes.
    let out = rss_in(&ns, &["-tnK", "--kill-all"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        testkit::wait_until(Duration::from_secs(5), || established(&ns) == 0),
        "{}",
        ns.ss(&["-tan"])
    );
}

#[test]
fn kill_with_a_filter_resets_exactly_the_matching_connection() {
    require_privileged!();
    require_tool!("/usr/bin/ss");
    use std::io::{ErrorKind, Write};
    let ns = NetNs::new().unwrap();
    // Two connections to two ports; only the one to :5001 is killed.
    let (mut doomed_peer, mut kept_peer, _rest) = ns.run(|| {
        let l1 = listener("127.0.0.1:5001".parse().unwrap(), 4, None).unwrap();
        let l2 = listener("127.0.0.1:5002".parse().unwrap(), 4, None).unwrap();
        let c1 = TcpStream::connect("127.0.0.1:5001").unwrap();
        let c2 = TcpStream::connect("127.0.0.1:5002").unwrap();
        let (s1, _) = l1.accept().unwrap();
        let (s2, _) = l2.accept().unwrap();
        let rest: Vec<Box<dyn Send>> = vec![Box::new(l1), Box::new(l2), Box::new(c1), Box::new(c2)];
        (TcpStream::from(s1), TcpStream::from(s2), rest)
    });
    let out = rss_in(&ns, &["-tnK", "dport", "=", ":5001"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert!(rows[0].contains("127.0.0.1:5001"), "{text}");
    // The peer of the killed socket got a reset ...
    doomed_peer
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 8];
    let e = doomed_peer.read(&mut buf).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}");
    // ... and the other connection still works.
    kept_peer.write_all(b"ok").unwrap();
    let left = ns.ss(&["-tnH", "state", "established"]);
    assert!(left.lines().any(|l| l.contains(":5002")), "{left}");
    assert!(!left.lines().any(|l| l.contains(":5001")), "{left}");
}

#[test]
fn lost_events_are_counted() {
    require_privileged!();
    const CLOSES: usize = 3000;
    let ns = NetNs::new().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rss"))
        .arg("-N")
        .arg(ns.path())
        .args(["-uEanj"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let dog = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(60));
        // SAFETY: signalling our own child by pid.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    });
    let diag_ns = sockdiag::NetNs::from_path(ns.path()).unwrap();
    let subscribed = testkit::wait_until(Duration::from_secs(10), || {
        sockdiag::Query::netlink()
            .dump_in(&diag_ns)
            .unwrap()
            .flatten()
            .any(|s| s.netlink().is_some_and(|n| !n.groups.is_empty()))
    });
    assert!(subscribed, "rss -E never subscribed");
    // rss is stopped while the sockets close: its queue must overflow.
    // SAFETY: signalling our own child by pid.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    ns.run(|| {
        for _ in 0..CLOSES / 500 {
            let v: Vec<_> = (0..500)
                .map(|_| std::net::UdpSocket::bind("127.0.0.1:0").unwrap())
                .collect();
            drop(v);
        }
    });
    // Sockets are freed (and their events sent) a little after close.
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGCONT) };
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let (mut events, mut lost_json) = (0usize, 0usize);
    while events + lost_json < CLOSES {
        let line = read_line_within(&mut out, "an event or a loss count");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        match v.get("lost_events") {
            Some(n) => lost_json += n.as_u64().unwrap() as usize,
            None => {
                assert_eq!(v["netid"], "udp", "{line}");
                events += 1;
            }
        }
    }
    assert!(
        lost_json > 0,
        "nothing lost: the test did not overflow the queue"
    );
    // The same count on stderr.
    let mut lost_err = 0usize;
    while lost_err < lost_json {
        let mut line = String::new();
        err.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "stderr ended after {lost_err} lost");
        let n: usize = line
            .strip_prefix("rss: -E: ")
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected stderr line: {line}"));
        assert!(line.contains("events lost"), "{line}");
        lost_err += n;
    }
    assert_eq!(lost_err, lost_json);
    let _ = child.kill();
    let _ = child.wait();
    drop(dog);
}

/// A named namespace (`/run/netns/NAME`) made from an anonymous one,
/// removed on drop.
struct Named {
    name: String,
    ns: NetNs,
    holder: std::process::Child,
}

impl Named {
    fn new(tag: &str) -> Named {
        let ns = NetNs::new().unwrap();
        let holder = ns
            .command("sleep")
            .arg("120")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        // The pid zero-padded: names of the same tag have the same length
        // in every run of this binary.
        let name = format!("rss-test-{:07}-{tag}", std::process::id());
        let st = Command::new("ip")
            .args(["netns", "attach", &name, &holder.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success(), "ip netns attach {name}");
        Named { name, ns, holder }
    }
}

impl Drop for Named {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// An `--all-netns` table split into its `Netns` column and the rest: rss
/// writes each line as the label padded to the column's width and a blank,
/// then the line of the table as `ss` would print it; the header (`Netns`)
/// tells the width. Returns the width, the header's rest, and each row's
/// label and rest (a detail line, led by a tab, has an empty label).
fn strip_netns_column(text: &str) -> (usize, String, Vec<(String, String)>) {
    let mut lines = text.split_inclusive('\n');
    let header = lines.next().unwrap_or_default();
    assert!(header.starts_with("Netns "), "no Netns column:\n{text}");
    let width = "Netns".len()
        + header["Netns".len()..]
            .bytes()
            .take_while(|&b| b == b' ')
            .count()
        - 1;
    let cut = |l: &str| -> (String, String) {
        assert!(
            l.len() > width && l.as_bytes()[width] == b' ',
            "a line without a Netns cell {width} wide: {l:?}\n{text}"
        );
        (
            l[..width].trim_end().to_string(),
            l[width + 1..].to_string(),
        )
    };
    let (_, head) = cut(header);
    (width, head, lines.map(cut).collect())
}

/// `--all-netns`: for each namespace, its rows (the `Netns` column taken
/// off, see [`strip_netns_column`]) are the bytes ss 7.1 prints in that
/// namespace, piped and on 80- and 200-column terminals; the column is as
/// wide as the longest namespace name.
#[test]
fn all_netns_lists_every_namespace_like_ss_n() {
    require_privileged!();
    let oracle = require_oracle!();
    require_tool!("ip");
    // The same sockets (so the same column widths) in a namespace of a short
    // name, one of a long name, and the host, on ports of this test only.
    let a = Named::new("a");
    let long = Named::new(&"long".repeat(12));
    let _pa = pairs_on(&a.ns, 29500, [29501, 29502]);
    let _pl = pairs_on(&long.ns, 29500, [29501, 29502]);
    let host = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hp = host.local_addr().unwrap().port();
    let _hc = [
        TcpStream::connect(("127.0.0.1", hp)).unwrap(),
        TcpStream::connect(("127.0.0.1", hp)).unwrap(),
    ];
    let _hs = [host.accept().unwrap(), host.accept().unwrap()];
    assert!(hp > 9999, "the host's port {hp} is not 5 digits like 29500");
    let filter = format!("( sport = :29500 or dport = :29500 or sport = :{hp} or dport = :{hp} )");
    let args = ["-tan", filter.as_str()];
    for out in OUTPUTS {
        let mut c = Command::new(rss_bin());
        c.arg("--all-netns").args(args);
        let ours = run_command(c, false, out);
        assert_eq!(ours.code, Some(0), "{}", ours.stderr);
        let (width, head, rows) = strip_netns_column(&ours.stdout);
        // The column: as wide as the longest label (the long name; this
        // test's namespaces are the only ones with so long a name), every
        // cell padded to it.
        assert_eq!(width, long.name.len(), "{}", ours.stdout);
        for (n, ns) in [
            (&a.name, Some(&a.ns)),
            (&long.name, Some(&long.ns)),
            (&"host".to_string(), None),
        ] {
            // ss in the namespace (as `ss -N NAME` enters it), or here.
            let mut c = match ns {
                Some(ns) => ns.command(&oracle),
                None => Command::new(&oracle),
            };
            c.args(args);
            let theirs = run_command(c, false, out);
            let mine: String = std::iter::once(head.clone())
                .chain(rows.iter().filter(|(l, _)| l == n).map(|(_, r)| r.clone()))
                .collect();
            assert_eq!(
                mine, theirs.stdout.text,
                "netns {n} ({out:?}): rss --all-netns, Netns column taken off, \
                 and ss 7.1 in that namespace differ; whole rss output:\n{}",
                ours.stdout
            );
            assert_eq!(theirs.stdout.lines().count(), 6, "{}", theirs.stdout);
        }
    }

    // An unnamed namespace that only a process is in: only with =pids,
    // labelled pid:N.
    let c = NetNs::new().unwrap();
    let _pc = pairs_on(&c, 29500, [29501, 29502]);
    let mut c_holder = c.command("sleep").arg("120").spawn().unwrap();
    let c_label = format!("pid:{}", c_holder.id());
    let pids = |scope: &str| {
        let mut cmd = Command::new(rss_bin());
        cmd.arg(scope)
            .args(["-tan", "( sport = :29500 or dport = :29500 )"]);
        let r = run_command(cmd, false, Out::Piped);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        strip_netns_column(&r.stdout)
    };
    let (_, _, rows) = pids("--all-netns");
    assert!(!rows.iter().any(|(l, _)| *l == c_label), "{rows:?}");
    let (_, head, rows) = pids("--all-netns=pids");
    let mine: String = std::iter::once(head)
        .chain(
            rows.iter()
                .filter(|(l, _)| *l == c_label)
                .map(|(_, r)| r.clone()),
        )
        .collect();
    let theirs = run_tool(
        &c,
        &oracle,
        &["-tan", "( sport = :29500 or dport = :29500 )"],
        &[],
        Out::Piped,
    );
    assert_eq!(mine, theirs.stdout.text, "{c_label}");
    // The named ones once each, under their names, not as pid:N.
    let holder_a = format!("pid:{}", a.holder.id());
    assert!(!rows.iter().any(|(l, _)| *l == holder_a), "{rows:?}");
    assert_eq!(
        rows.iter().filter(|(l, _)| *l == a.name).count(),
        5,
        "{rows:?}"
    );

    // JSON: the same sockets, each with a netns field.
    const PORTS: &str = "( sport = :29500 or dport = :29500 )";
    let out = Command::new(env!("CARGO_BIN_EXE_rss"))
        .args(["--all-netns", "-tanj", PORTS])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let in_a: Vec<_> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["netns"] == a.name.as_str())
        .collect();
    assert_eq!(in_a.len(), 5, "{v}");
    assert!(in_a.iter().all(|s| s["netid"] == "tcp"));

    // An entry that is not a namespace is ignored with a note; the others
    // still print, and the exit status stays 0.
    let bad = format!("/run/netns/rss-test-{:07}-bad", std::process::id());
    std::fs::write(&bad, b"").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rss"))
        .args(["--all-netns", "-tan", PORTS])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&bad);
    let text = String::from_utf8(out.stdout).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.lines().any(|l| l
            == format!(
                "rss: netns rss-test-{0:07}-bad: {bad}: not a network namespace file \
                 (it is a file of another filesystem); ignored",
                std::process::id()
            )),
        "{err}"
    );
    let (_, _, rows) = strip_netns_column(&text);
    assert_eq!(
        rows.iter().filter(|(l, _)| *l == a.name).count(),
        5,
        "{text}"
    );
    let _ = c_holder.kill();
    let _ = c_holder.wait();
}

#[test]
fn watch_rejects_bad_intervals() {
    for bad in [
        "--watch=0",
        "--watch=-1s",
        "--watch=abc",
        "--watch=",
        "--watch=1h",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_rss"))
            .arg(bad)
            .output()
            .unwrap();
        let e = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {e}");
        assert!(
            e.starts_with("rss: --watch: ") && e.lines().count() == 1,
            "{bad}: {e}"
        );
        assert!(out.stdout.is_empty());
    }
    // The value is only taken after '=': a following word is the filter.
    let out = Command::new(env!("CARGO_BIN_EXE_rss"))
        .args(["--watch", "2s"])
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.starts_with("rss: filter: ") && e.contains("'2s'"), "{e}");
}

/// Reads JSON lines from `--watch -j` until `pred` holds for a delta;
/// returns that delta.
fn next_delta(
    r: &mut BufReader<std::process::ChildStdout>,
    what: &str,
    pred: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    for _ in 0..50 {
        let line = read_line_within(r, what);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["type"], "delta", "{line}");
        if pred(&v) {
            return v;
        }
    }
    panic!("no delta with {what}");
}

fn cookies_with_port(list: &serde_json::Value, port: u16) -> Vec<u64> {
    list.as_array()
        .unwrap()
        .iter()
        .filter(|s| s["local"]["port"] == port)
        .map(|s| s["cookie"].as_u64().unwrap())
        .collect()
}

#[test]
fn watch_follows_sockets_by_cookie() {
    require_privileged!();
    use std::io::Write;
    let ns = NetNs::new().unwrap();
    let srv = ns.run(|| listener("127.0.0.1:5000".parse().unwrap(), 8, None).unwrap());
    let (mut child, mut out) = spawn_events(&ns, &["--watch=300ms", "-tnj"]);
    let pid = child.id() as i32;
    let dog = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(60));
        // SAFETY: signalling our own child by pid.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    });
    let first: serde_json::Value =
        serde_json::from_str(&read_line_within(&mut out, "the snapshot")).unwrap();
    assert_eq!(first["type"], "snapshot");
    // Default states: the listener is not shown.
    assert_eq!(first["sockets"].as_array().unwrap().len(), 0, "{first}");
    let srv = std::sync::Arc::new(srv);
    let connect_from = |port: u16| {
        let srv = srv.clone();
        ns.run(move || {
            use socket2::{Domain, Socket, Type};
            let c = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
            c.set_reuse_address(true).unwrap();
            let from: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            c.bind(&from.into()).unwrap();
            // The reset of the previous connection on this 4-tuple is
            // processed in softirq context; on a loaded machine the tuple
            // can still be hashed for a moment (EADDRNOTAVAIL). That is
            // the kernel's bookkeeping, not what this test is about: wait
            // for it, briefly.
            let to: SocketAddr = "127.0.0.1:5000".parse().unwrap();
            let mut tries = 0;
            while let Err(e) = c.connect(&to.into()) {
                tries += 1;
                assert!(
                    e.kind() == std::io::ErrorKind::AddrNotAvailable && tries < 100,
                    "connect from {from}: {e}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            // Closing sends a reset: no TIME-WAIT holds the port.
            c.set_linger(Some(Duration::ZERO)).unwrap();
            let (s, _) = srv.accept().unwrap();
            s.set_linger(Some(Duration::ZERO)).unwrap();
            (TcpStream::from(c), TcpStream::from(s))
        })
    };
    // A socket appears ...
    let (mut c, s) = connect_from(41001);
    let d = next_delta(&mut out, "the new client", |v| {
        !cookies_with_port(&v["new"], 41001).is_empty()
    });
    let cookie = cookies_with_port(&d["new"], 41001)[0];
    // ... its peer's receive queue grows ...
    c.write_all(&[b'x'; 1000]).unwrap();
    let d = next_delta(&mut out, "a grown queue", |v| {
        v["changed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["socket"]["local"]["port"] == 5000 && c["after"]["recv_q"] == 1000)
    });
    let grown = d["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["socket"]["local"]["port"] == 5000)
        .unwrap();
    assert_eq!(grown["before"]["recv_q"], 0, "{grown}");
    assert_eq!(grown["key"]["cookie"], grown["socket"]["cookie"]);
    // The sender's bytes_sent rose by 1000 over the interval.
    let sender = d["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"]["cookie"] == cookie)
        .expect("the client moved too");
    let sent = sender["after"]["bytes_sent"].as_u64().unwrap()
        - sender["before"]["bytes_sent"].as_u64().unwrap();
    assert_eq!(sent, 1000, "{sender}");
    let rate = sender["rates"]["sent"].as_f64().unwrap();
    let secs = d["interval_ms"].as_f64().unwrap() / 1000.0;
    // interval_ms is whole milliseconds: within 1%.
    assert!((rate * secs - 1000.0).abs() < 10.0, "{rate} over {secs}s");
    // ... and the port is reused by a new connection in one interval: one
    // socket gone (the old cookie), one new (another cookie), not "moved".
    drop((c, s));
    let (_c2, _s2) = connect_from(41001);
    let d = next_delta(&mut out, "the old client gone", |v| {
        cookies_with_port(&v["gone"], 41001).contains(&cookie)
    });
    let renewed = if cookies_with_port(&d["new"], 41001).is_empty() {
        next_delta(&mut out, "the new client", |v| {
            !cookies_with_port(&v["new"], 41001).is_empty()
        })
    } else {
        d.clone()
    };
    let new_cookie = cookies_with_port(&renewed["new"], 41001)[0];
    assert_ne!(new_cookie, cookie);
    assert!(
        d["changed"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["key"]["cookie"] != cookie),
        "{d}"
    );
    // SIGINT ends it cleanly.
    // SAFETY: signalling our own child by pid.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    drop(dog);
}

#[test]
fn watch_piped_prints_timestamped_snapshots_and_ends_on_a_closed_pipe() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let _held = pairs(&ns);
    let (mut child, mut out) = spawn_events(&ns, &["--watch=100ms", "-tn"]);
    let mut blocks = 0;
    let mut rows = 0;
    while blocks < 3 {
        let line = read_line_within(&mut out, "a block");
        if line.starts_with("--- ") {
            // `--- YYYY-MM-DD HH:MM:SS.mmm UTC  every 100ms  4 sockets ...`
            assert!(line.contains(" UTC  every 100ms  4 sockets"), "{line}");
            blocks += 1;
        } else if line.starts_with("ESTAB") {
            rows += 1;
        }
    }
    assert!(rows >= 8, "{rows}");
    // The reader goes away: rss ends by itself, quietly, with status 0.
    drop(out);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    let mut e = String::new();
    child.stderr.take().unwrap().read_to_string(&mut e).unwrap();
    assert!(e.is_empty(), "{e}");
}

/// A socket that closed between the dump and the kill is passed over
/// (`ENOENT`), not an error: what `-K` relies on when connections end
/// while it works.
#[test]
fn kill_passes_over_a_socket_that_closed_meanwhile() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let (c, s, l) = ns.run(|| {
        let l = listener("127.0.0.1:5000".parse().unwrap(), 4, None).unwrap();
        let c = TcpStream::connect("127.0.0.1:5000").unwrap();
        let (s, _) = l.accept().unwrap();
        (c, TcpStream::from(s), l)
    });
    let diag_ns = sockdiag::NetNs::from_path(ns.path()).unwrap();
    let client_port = c.local_addr().unwrap().port();
    let dumped: Vec<sockdiag::Socket> = sockdiag::Query::tcp()
        .dump_in(&diag_ns)
        .unwrap()
        .flatten()
        .filter(|x| x.local_port() == Some(client_port))
        .collect();
    assert_eq!(dumped.len(), 1);
    // Both ends go with a reset: no TIME-WAIT socket is left behind.
    socket2::SockRef::from(&c)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(c);
    drop((s, l));
    assert!(
        testkit::wait_until(Duration::from_secs(5), || {
            sockdiag::Query::tcp()
                .dump_in(&diag_ns)
                .unwrap()
                .flatten()
                .all(|x| x.cookie != dumped[0].cookie)
        }),
        "the client socket did not go away"
    );
    let mut killer = sockdiag::Killer::open(Some(&diag_ns)).unwrap();
    assert!(!killer.kill(&dumped[0]).unwrap());
}

#[test]
fn watch_all_netns_labels_each_namespace() {
    require_privileged!();
    require_tool!("ip");
    let a = Named::new("wa");
    let b = Named::new("wb");
    let _lb =
        b.ns.run(|| listener("127.0.0.1:6000".parse().unwrap(), 4, None).unwrap());
    // Only this test's ports: other tools' namespaces may hold 100k
    // sockets, which the kernel then filters out cheaply.
    let mut child = Command::new(env!("CARGO_BIN_EXE_rss"))
        .args([
            "--all-netns",
            "--watch=300ms",
            "-tnj",
            "( sport = :6000 or sport = :5000 or dport = :5000 )",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let dog = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(60));
        // SAFETY: signalling our own child by pid.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    });
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut next = |what: &str| -> serde_json::Value {
        serde_json::from_str(&read_line_within(&mut out, what)).unwrap()
    };
    // One snapshot per namespace, ours among them, each labelled.
    let mut snapshots = std::collections::BTreeMap::new();
    loop {
        let v = next("a snapshot");
        if v["type"] != "snapshot" {
            break;
        }
        snapshots.insert(v["netns"].as_str().unwrap().to_string(), v);
    }
    assert!(snapshots.contains_key("host"), "{snapshots:?}");
    assert_eq!(snapshots[&a.name]["sockets"].as_array().unwrap().len(), 0);
    // A connection in namespace a: new there, not in b or the host.
    let _pair = pairs(&a.ns);
    let mut seen_in = Vec::new();
    for _ in 0..200 {
        let v = next("a delta");
        assert_eq!(v["type"], "delta");
        if !cookies_with_port(&v["new"], 41001).is_empty() {
            seen_in.push(v["netns"].as_str().unwrap().to_string());
            if v["netns"] == a.name.as_str() {
                break;
            }
        }
    }
    // Other tests' namespaces may hold the same port: only ours count.
    assert!(seen_in.contains(&a.name), "{seen_in:?}");
    assert!(
        !seen_in.iter().any(|l| *l == b.name || l == "host"),
        "{seen_in:?}"
    );
    let _ = child.kill();
    let _ = child.wait();
    drop(dog);
}
