//! Files and paths from users and from `/run/netns`: a FIFO at any entry
//! point is refused at once (never waited on), and only network namespace
//! files in `/run/netns` count, each once, under a stable label; the
//! caller's own namespace is read without entering it, so `--all-netns`
//! works without privileges. (`bad_input` covers `-F`, `-N`, `-E -N` and
//! replay files; this module the subcommands and `/run/netns`.)
//!
//! `/run/netns` is shared with everything else on the host, so the tests
//! that fill it run their command in a private mount namespace with a
//! tmpfs over it (`unshare --mount`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use testkit::{NetNs, require_privileged, require_tool};

/// Liveness bound of one run: a command still going after this long is
/// taken for blocked on a special file, killed, and named in the failure.
/// Sized for a busy machine, not a measure of speed.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// Runs `cmd` to its end, or fails the test when it is still running after
/// [`HANG_GUARD`] (it would be waiting on a FIFO).
fn run_bounded(mut cmd: Command) -> Output {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > HANG_GUARD {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still running after {HANG_GUARD:?}: blocked on a special file");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rss-files-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rss(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rss"));
    c.args(args).env_remove("TCPDIAG_FILE");
    c
}

/// Exactly one `rss: ` line on stderr, containing `needle`; nothing on
/// stdout; exit status `code`.
fn assert_refused(o: &Output, code: i32, needle: &str) {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert!(o.stdout.is_empty(), "stdout: {}", text(&o.stdout));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("rss: ") && err.contains(needle),
        "want {needle:?} in {err}"
    );
}

#[test]
fn a_fifo_is_refused_by_the_subcommands() {
    crate::common::exporter_beside_rss();
    let dir = scratch("fifo");
    let fifo = dir.join("fifo");
    testkit::mkfifo(&fifo);
    let f = fifo.to_str().unwrap();
    let ns_says = "fifo: not a network namespace file (it is a FIFO)";
    // rss doctor: 3 is its status for a refusal by the system.
    let o = run_bounded(rss(&["doctor", "-N", f]));
    assert_refused(&o, 3, ns_says);
    let prom = dir.join("x.prom");
    let o = run_bounded(rss(&[
        "exporter",
        "-N",
        f,
        "--textfile",
        prom.to_str().unwrap(),
    ]));
    assert_refused(&o, 1, ns_says);
    assert!(!prom.exists(), "a textfile was written");
    // A FIFO where the textfile's directory should be.
    let o = run_bounded(rss(&["exporter", "--textfile", &format!("{f}/x.prom")]));
    assert_refused(&o, 1, "not a directory (it is a FIFO)");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `unshare --mount` running `argv` with a private `/run/netns` holding:
/// `blue` (a bind mount of `ns`), `junk` (a regular file), `fifo`,
/// `aaa-passwd` (a link to /etc/passwd), `aaa-link` (a link to `blue`,
/// sorting first) and `ESC[31mred` (a bind mount of `red`, its name with
/// an escape sequence).
fn with_private_run_netns(ns: &Path, red: &Path, argv: &[&str]) -> Command {
    let mut c = testkit::with_private_run_netns(
        r#"touch /run/netns/blue
mount --bind "$1" /run/netns/blue
echo junk > /run/netns/junk
mkfifo /run/netns/fifo
ln -s /etc/passwd /run/netns/aaa-passwd
ln -s /run/netns/blue /run/netns/aaa-link
esc=$(printf '\033[31mred')
touch "/run/netns/$esc"
mount --bind "$2" "/run/netns/$esc"
shift 2"#,
    );
    c.arg(ns).arg(red).args(argv).env_remove("TCPDIAG_FILE");
    c
}

/// The notes for the entries of [`with_private_run_netns`] that are not
/// namespaces, sorted.
const IGNORED: [&str; 3] = [
    "rss: netns aaa-passwd: /run/netns/aaa-passwd: not a network namespace file (it is a file of another filesystem); ignored",
    "rss: netns fifo: /run/netns/fifo: not a network namespace file (it is a FIFO); ignored",
    "rss: netns junk: /run/netns/junk: not a network namespace file (it is a file of another filesystem); ignored",
];

#[test]
fn run_netns_counts_only_namespaces_each_once() {
    require_privileged!();
    require_tool!("unshare");
    std::fs::create_dir_all("/run/netns").unwrap();
    let ns = NetNs::new().unwrap();
    let l = ns.run(|| TcpListener::bind("127.0.0.1:0").unwrap());
    let port = l.local_addr().unwrap().port();
    let nsp = ns.path();
    let red = NetNs::new().unwrap();
    let red_l = red.run(|| TcpListener::bind("127.0.0.1:0").unwrap());
    let redp = red.path();
    let o = run_bounded(with_private_run_netns(
        &nsp,
        &redp,
        &[env!("CARGO_BIN_EXE_rss"), "--all-netns", "-tln"],
    ));
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(0), "{err}");
    let mut notes: Vec<&str> = err.lines().collect();
    notes.sort();
    assert_eq!(notes, IGNORED, "{err}");
    let labels: std::collections::BTreeSet<&str> = out
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(labels, ["blue", "host", r"\e[31mred"].into(), "{out}");
    assert!(!out.contains('\x1b'), "{out}");
    let local = format!("127.0.0.1:{port}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("blue ") && l.split_whitespace().nth(4) == Some(&local)),
        "no row of blue's listener {local}:\n{out}"
    );

    // The exporter: the same namespaces, nothing for the junk.
    crate::common::exporter_beside_rss();
    let dir = scratch("exporter-netns");
    let prom = dir.join("x.prom");
    let o = run_bounded(with_private_run_netns(
        &nsp,
        &redp,
        &[
            env!("CARGO_BIN_EXE_rss"),
            "exporter",
            "--all-netns",
            "--process-refresh",
            "0",
            "--textfile",
            prom.to_str().unwrap(),
        ],
    ));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let t = std::fs::read_to_string(&prom).unwrap();
    let mut netns: Vec<&str> = t
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| Some(l.split("netns=\"").nth(1)?.split('"').next().unwrap()))
        .collect();
    netns.sort();
    netns.dedup();
    // Named ones and the host; other namespaces of processes are net:[INODE].
    let named: Vec<&str> = netns
        .into_iter()
        .filter(|n| !n.starts_with("net:["))
        .collect();
    // Prometheus's text format writes the label's backslash as two.
    assert_eq!(named, ["\\\\e[31mred", "blue", "host"], "{t:.3000}");
    assert!(!t.contains('\x1b'), "{t:.3000}");
    assert!(
        t.lines().any(|l| l
            .starts_with("rss_listener_backlog{netns=\"blue\",address=\"127.0.0.1\"")
            && l.contains(&format!("port=\"{port}\""))),
        "{t:.3000}"
    );
    assert!(
        t.contains("\nrss_exporter_namespaces_folded 0\n"),
        "{t:.3000}"
    );
    drop((l, red_l));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn all_netns_without_privileges_reads_its_own_namespace() {
    require_privileged!();
    require_tool!("unshare");
    require_tool!("setpriv");
    std::fs::create_dir_all("/run/netns").unwrap();
    let ns = NetNs::new().unwrap();
    // A listener in the host namespace (where the test runs).
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let local = format!("127.0.0.1:{}", l.local_addr().unwrap().port());
    let red = NetNs::new().unwrap();
    let o = run_bounded(with_private_run_netns(
        &ns.path(),
        &red.path(),
        &[
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--",
            env!("CARGO_BIN_EXE_rss"),
            "--all-netns",
            "-tln",
        ],
    ));
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    // blue cannot be entered: said on stderr, exit 1; the host's sockets
    // are there.
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("host ") && l.split_whitespace().nth(4) == Some(&local)),
        "no host row of {local}:\n{out}\n{err}"
    );
    let mut want: Vec<&str> = IGNORED.to_vec();
    want.extend([
        "rss: netns blue: cannot enter /run/netns/blue: Operation not permitted (os error 1)",
        r"rss: netns \e[31mred: cannot enter /run/netns/\e[31mred: Operation not permitted (os error 1)",
    ]);
    let mut got: Vec<&str> = err.lines().collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{err}");
    drop(l);
}

#[test]
fn messages_never_echo_a_file_nor_control_characters() {
    let dir = scratch("messages");
    // A file that is not a filter, with a secret in its first line.
    let secret = dir.join("shadow");
    std::fs::write(
        &secret,
        "root:$y$j9T$SECRETHASH:20228:0:99999:7:::\nbin:*:20228::::::\n",
    )
    .unwrap();
    let o = run_bounded(rss(&["-tn", "-F", secret.to_str().unwrap()]));
    assert_refused(&o, 2, "not a valid filter (its words are not shown");
    let err = text(&o.stderr);
    for leak in ["root", "SECRET", "20228", "bin"] {
        assert!(!err.contains(leak), "{leak:?} echoed: {err}");
    }
    // Escape sequences in a filter file, and on the command line.
    let esc = dir.join("esc");
    std::fs::write(&esc, "sport = \x1b]0;pwned\x07\x1b[31mRED\u{9b}2J\n").unwrap();
    let o = run_bounded(rss(&["-tn", "-F", esc.to_str().unwrap()]));
    assert_refused(&o, 2, "not a valid filter");
    let o = run_bounded(rss(&[
        "-tn",
        "sport",
        "=",
        "\x1b]0;pwned\x07\x1b[31mRED\u{9b}2J",
    ]));
    assert_refused(
        &o,
        2,
        r"found '\e]0;pwned\a\e[31mRED\u{9b}2J' (not a number or a known service)",
    );
    // In a path, too.
    let o = run_bounded(rss(&["-tn", "-F", "/nonexistent/\x1b[31m\x07"]));
    assert_refused(&o, 2, r"-F /nonexistent/\e[31m\a: No such file");
    let o = run_bounded(rss(&["-tn", "-N", "\x1b[2J"]));
    assert_refused(&o, 1, r"/run/netns/\e[2J: No such file");
    // The subcommands' messages, too.
    crate::common::exporter_beside_rss();
    let bad = "/nonexistent/\x1b[31m\x07";
    let o = run_bounded(rss(&["doctor", "-N", bad]));
    assert_refused(&o, 3, r"/nonexistent/\e[31m\a: No such file");
    let prom = dir.join("x.prom");
    let o = run_bounded(rss(&[
        "exporter",
        "-N",
        bad,
        "--textfile",
        prom.to_str().unwrap(),
    ]));
    assert_refused(&o, 1, r"/nonexistent/\e[31m\a: No such file");
    let o = run_bounded(rss(&["exporter", "--textfile", &format!("{bad}/x.prom")]));
    assert_refused(&o, 1, r"/nonexistent/\e[31m\a/x.prom: No such file");
    // A long word: at most 32 characters of it.
    let long = format!("{}SECRET", "a".repeat(40));
    let o = run_bounded(rss(&["-tn", "sport", "=", &long]));
    assert_refused(&o, 2, &format!("found '{}…'", "a".repeat(32)));
    assert!(!text(&o.stderr).contains("SECRET"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_denied_namespace_file_is_not_blamed_on_capabilities() {
    require_privileged!();
    require_tool!("setpriv");
    // Root without the capabilities that override file permissions, but
    // with CAP_SYS_ADMIN, opening a namespace through a directory only
    // nobody may search: EACCES, not EPERM.
    let ns = NetNs::new().unwrap();
    let dir = scratch("eacces");
    let private = dir.join("private");
    std::fs::create_dir(&private).unwrap();
    std::os::unix::fs::symlink(ns.path(), private.join("ns")).unwrap();
    std::os::unix::fs::chown(&private, Some(65534), Some(65534)).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut c = Command::new("setpriv");
    c.args([
        "--inh-caps=-dac_override,-dac_read_search",
        "--bounding-set=-dac_override,-dac_read_search",
        "--",
        env!("CARGO_BIN_EXE_rss"),
        "-tn",
        "-N",
    ])
    .arg(private.join("ns"));
    let o = run_bounded(c);
    assert_refused(
        &o,
        1,
        "Permission denied (os error 13) (opening the file was denied",
    );
    assert!(
        !text(&o.stderr).contains("needs CAP_SYS_ADMIN"),
        "{}",
        text(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_exporter_dumps_at_most_max_namespaces_and_counts_the_rest() {
    require_privileged!();
    require_tool!("unshare");
    crate::common::exporter_beside_rss();
    std::fs::create_dir_all("/run/netns").unwrap();
    let ns = NetNs::new().unwrap();
    let dir = scratch("exporter-bound");
    let prom = dir.join("x.prom");
    // Three more named namespaces than `blue`: with room for two, the host
    // and the first name in order (`blue`) are dumped, the other named ones
    // (and every process's own namespace) are counted.
    let mut c = testkit::with_private_run_netns(
        r#"touch /run/netns/blue
mount --bind "$1" /run/netns/blue
for n in c1 c2 c3; do touch /run/netns/$n; unshare --net=/run/netns/$n true; done
shift"#,
    );
    c.arg(ns.path())
        .args([
            env!("CARGO_BIN_EXE_rss"),
            "exporter",
            "--all-netns",
            "--max-namespaces",
            "2",
            "--process-refresh",
            "0",
            "--sample-interval",
            "0",
            "--textfile",
        ])
        .arg(&prom);
    let o = run_bounded(c);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let t = std::fs::read_to_string(&prom).unwrap();
    let mut netns: Vec<&str> = t
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| Some(l.split("netns=\"").nth(1)?.split('"').next().unwrap()))
        .collect();
    netns.sort();
    netns.dedup();
    assert_eq!(netns, ["blue", "host"], "{t:.3000}");
    assert!(t.contains("\nrss_exporter_namespaces 2\n"), "{t:.3000}");
    let folded: u64 = t
        .lines()
        .find_map(|l| l.strip_prefix("rss_exporter_namespaces_folded "))
        .unwrap_or_else(|| panic!("no rss_exporter_namespaces_folded in {t:.3000}"))
        .parse()
        .unwrap();
    assert!(folded >= 3, "c1, c2 and c3 are not counted: {folded}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_replay_streams_through_a_pipe() {
    // A FIFO with a writer is a stream to replay (`ss -D - | TCPDIAG_FILE=
    // /dev/stdin rss`); without one it is an empty file (bad_input).
    let dir = scratch("pipe");
    let dump = dir.join("dump");
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let o = run_bounded(rss(&["-tl", "-D", dump.to_str().unwrap()]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let from_file = run_bounded({
        let mut c = rss(&["-tan"]);
        c.env("TCPDIAG_FILE", &dump);
        c
    });
    assert_eq!(
        from_file.status.code(),
        Some(0),
        "{}",
        text(&from_file.stderr)
    );
    let port = format!("127.0.0.1:{}", l.local_addr().unwrap().port());
    assert!(
        text(&from_file.stdout).contains(&port),
        "{}",
        text(&from_file.stdout)
    );
    let mut c = Command::new("sh");
    c.args([
        "-c",
        "cat \"$1\" | TCPDIAG_FILE=/dev/stdin \"$2\" -tan",
        "sh",
    ])
    .arg(&dump)
    .arg(env!("CARGO_BIN_EXE_rss"));
    let piped = run_bounded(c);
    assert_eq!(piped.status.code(), Some(0), "{}", text(&piped.stderr));
    assert!(piped.stderr.is_empty(), "{}", text(&piped.stderr));
    assert_eq!(text(&piped.stdout), text(&from_file.stdout));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn watch_all_netns_without_privileges_samples_its_own_namespace() {
    use std::io::BufRead;
    require_privileged!();
    require_tool!("unshare");
    require_tool!("setpriv");
    std::fs::create_dir_all("/run/netns").unwrap();
    let (ns, red) = (NetNs::new().unwrap(), NetNs::new().unwrap());
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let filter = format!("sport = :{port}");
    let mut c = with_private_run_netns(
        &ns.path(),
        &red.path(),
        &[
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--",
            env!("CARGO_BIN_EXE_rss"),
            "--all-netns",
            "--watch=300ms",
            "-tlnj",
            &filter,
        ],
    );
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The liveness bound: the watch runs until killed, by the test once it
    // has what it waits for, or by the watchdog after HANG_GUARD.
    let pid = child.id();
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let dog = std::thread::spawn(move || {
        if wait.recv_timeout(HANG_GUARD).is_err() {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    });
    let out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut host = None;
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        if v["type"] == "snapshot" && v["netns"] == "host" {
            host = Some(v);
            break;
        }
    }
    let _ = child.kill();
    let o = child.wait_with_output().unwrap();
    let _ = done.send(());
    dog.join().unwrap();
    let err = text(&o.stderr);
    let host = host.unwrap_or_else(|| {
        panic!("no snapshot of the host namespace within {HANG_GUARD:?}: {err}")
    });
    let sockets = host["sockets"].as_array().unwrap();
    assert!(
        sockets
            .iter()
            .any(|s| s["state"] == "listen" && s["local"]["port"] == u64::from(port)),
        "the host's listener {port} is missing: {host}"
    );
    assert!(!err.contains("netns host"), "{err}");
    assert!(
        err.contains("rss: netns blue: cannot enter /run/netns/blue: Operation not permitted"),
        "{err}"
    );
    drop(l);
}
