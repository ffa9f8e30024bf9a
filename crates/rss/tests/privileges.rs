//! rss without privileges: run as `nobody` through
//! `setpriv --reuid=65534 --regid=65534 --clear-groups` (util-linux), with
//! no capabilities.
//!
//! - listing works: sockets of every user are shown (inet_diag and
//!   unix_diag need no privilege);
//! - `-p` shows the processes this user may inspect, and no error for the
//!   others;
//! - `-N` says what it needs.
//!
//! The table under "Without privileges" in `docs/privileges.md` documents
//! every feature's needs.

use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use std::os::unix::process::CommandExt;
use testkit::{NetNs, require_privileged, require_tool};

const NOBODY: u32 = 65534;

/// `rss ARGS` as nobody, with no supplementary groups and no capabilities.
fn rss_as_nobody(args: &[&str]) -> Output {
    rss_as_nobody_with(args, &[])
}

/// [`rss_as_nobody`] with these environment variables set.
fn rss_as_nobody_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--",
        ])
        .arg(env!("CARGO_BIN_EXE_rss"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("TCPDIAG_FILE")
        .stdin(Stdio::null())
        .output()
        .expect("setpriv")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Kills and reaps a child at the end of the test.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `sleep` running as `uid` that holds `sock` (inherited as the same fd).
fn holder(sock: &TcpListener, uid: u32) -> Reaped {
    let fd = sock.as_raw_fd();
    // SAFETY: clears FD_CLOEXEC on a descriptor this test owns so that the
    // child inherits it.
    assert_eq!(unsafe { libc::fcntl(fd, libc::F_SETFD, 0) }, 0);
    let mut cmd = Command::new("sleep");
    cmd.arg("60").stdin(Stdio::null());
    if uid != 0 {
        cmd.uid(uid).gid(uid);
    }
    let child = cmd.spawn().expect("sleep");
    // SAFETY: restores FD_CLOEXEC on the same descriptor.
    unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    Reaped(child)
}

fn row_for(out: &str, port: u16) -> Option<&str> {
    let needle = format!("127.0.0.1:{port} ");
    out.lines().find(|l| l.contains(&needle))
}

/// The `-j` output has root's listener (`local` 127.0.0.1:PORT, `peer`
/// 0.0.0.0:0) and its client connection (`local` 127.0.0.1:CPORT, `peer`
/// 127.0.0.1:PORT): address and port checked in the object that holds them.
fn json_has_root_sockets(out: &str, port: u16, cport: u16) {
    let v: serde_json::Value =
        serde_json::from_str(out).unwrap_or_else(|e| panic!("-j is not JSON ({e}): {out:.2000}"));
    let socks = v.as_array().expect("-j prints an array");
    let end = |o: &serde_json::Value, which: &str| -> Option<(String, u64)> {
        let e = o.get(which)?;
        Some((
            e.get("addr")?.as_str()?.to_string(),
            e.get("port")?.as_u64()?,
        ))
    };
    let lo = |p: u16| Some(("127.0.0.1".to_string(), u64::from(p)));
    let listener = socks
        .iter()
        .find(|o| o["state"] == "listen" && end(o, "local") == lo(port));
    let listener = listener.unwrap_or_else(|| {
        panic!("-j as nobody: no listen object with local 127.0.0.1:{port}: {out:.2000}")
    });
    assert_eq!(
        end(listener, "peer"),
        Some(("0.0.0.0".to_string(), 0)),
        "listener's peer: {listener}"
    );
    assert!(
        socks.iter().any(|o| o["state"] == "established"
            && end(o, "local") == lo(cport)
            && end(o, "peer") == lo(port)),
        "-j as nobody: no established object with local 127.0.0.1:{cport} and peer 127.0.0.1:{port}: {out:.2000}"
    );
}

#[test]
fn listing_works_without_privileges() {
    require_privileged!();
    require_tool!("setpriv");
    // Sockets of root, in the host namespace (nobody cannot enter another).
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let cport = c.local_addr().unwrap().port();
    for args in [
        vec!["-tan"],
        vec!["-tani"],
        vec!["-tanoiem"],
        vec!["-tan", "-j"],
    ] {
        let o = rss_as_nobody(&args);
        let (out, err) = (text(&o.stdout), text(&o.stderr));
        assert_eq!(o.status.code(), Some(0), "rss {args:?}: {err}");
        assert!(err.is_empty(), "rss {args:?}: {err}");
        if args.contains(&"-j") {
            json_has_root_sockets(&out, port, cport);
            continue;
        }
        // The table: the listener's row has 127.0.0.1:PORT as its local
        // address (column 4 of -tan), the client's row has the client port
        // local and the listener's port as its peer (column 5).
        let rows: Vec<Vec<&str>> = out
            .lines()
            .filter(|l| !l.starts_with('\t'))
            .map(|l| l.split_whitespace().collect())
            .collect();
        let local = |p: u16| format!("127.0.0.1:{p}");
        assert!(
            rows.iter()
                .any(|r| r.len() > 4 && r[0] == "LISTEN" && r[3] == local(port)),
            "rss {args:?} as nobody misses root's listener {port}: {out:.2000}"
        );
        assert!(
            rows.iter()
                .any(|r| r.len() > 4 && r[3] == local(cport) && r[4] == local(port)),
            "rss {args:?} as nobody misses root's connection {cport} -> {port}: {out:.2000}"
        );
    }
    // Unix sockets and the summary, too.
    let o = rss_as_nobody(&["-xa"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
    let o = rss_as_nobody(&["-s"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).starts_with("Total: "),
        "{}",
        text(&o.stdout)
    );
    drop(c);
}

#[test]
fn processes_show_only_what_the_user_may_see() {
    require_privileged!();
    require_tool!("setpriv");
    // One listener held by a process of nobody, one by a process of root.
    let mine = TcpListener::bind("127.0.0.1:0").unwrap();
    let theirs = TcpListener::bind("127.0.0.1:0").unwrap();
    let (mport, tport) = (
        mine.local_addr().unwrap().port(),
        theirs.local_addr().unwrap().port(),
    );
    let nobody_holder = holder(&mine, NOBODY);
    let root_holder = holder(&theirs, 0);
    drop(mine);
    drop(theirs);
    // Give the children time to exec so that their comm is "sleep".
    std::thread::sleep(Duration::from_millis(200));
    let o = rss_as_nobody(&["-tlnp"]);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "-p as nobody printed errors: {err}");
    let m = row_for(&out, mport).unwrap_or_else(|| panic!("no row for {mport}: {out}"));
    assert!(
        m.contains(&format!("users:((\"sleep\",pid={},", nobody_holder.0.id())),
        "nobody's own process is not shown: {m}"
    );
    let t = row_for(&out, tport).unwrap_or_else(|| panic!("no row for {tport}: {out}"));
    assert!(
        !t.contains("users:"),
        "root's process must not be shown to nobody: {t}"
    );
    // Root sees both holders.
    let o = Command::new(env!("CARGO_BIN_EXE_rss"))
        .arg("-tlnp")
        .output()
        .unwrap();
    let out = text(&o.stdout);
    let t = row_for(&out, tport).unwrap();
    assert!(
        t.contains(&format!("pid={},", root_holder.0.id())),
        "root does not see its own holder: {t}"
    );
    // -T (threads) likewise prints no error.
    let o = rss_as_nobody(&["-tlnT"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
}

#[test]
fn the_kernel_s_holders_say_what_they_need() {
    require_privileged!();
    require_tool!("setpriv");
    // Asked for the task-file iterator, nobody gets an error naming what
    // it needs, and nothing on stdout.
    let o = rss_as_nobody_with(&["-tlnp"], &[("RSS_HOLDERS", "kernel")]);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(out, "");
    assert_eq!(
        err,
        "rss: the task-file iterator needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN), the \
         initial pid namespace with its /proc, and no thread holders: unsupported\n"
    );
    // The default falls back to the walk: no error.
    for holders in ["auto", "proc"] {
        let o = rss_as_nobody_with(&["-tlnp"], &[("RSS_HOLDERS", holders)]);
        assert_eq!(o.status.code(), Some(0), "{holders}: {}", text(&o.stderr));
        assert_eq!(text(&o.stderr), "", "{holders}");
    }
}

#[test]
fn namespaces_say_what_they_need() {
    require_privileged!();
    require_tool!("setpriv");
    let ns = NetNs::new().unwrap();
    // A process of nobody's in the namespace: nobody may open its
    // namespace file, and entering it needs CAP_SYS_ADMIN (EPERM).
    let sleeper = Reaped(
        ns.command("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "sleep",
                "60",
            ])
            .stdin(Stdio::null())
            .spawn()
            .expect("setpriv sleep in the namespace"),
    );
    let pid = sleeper.0.id();
    let status = format!("/proc/{pid}/status");
    let as_nobody = || {
        std::fs::read_to_string(&status)
            .is_ok_and(|s| s.contains("Name:\tsleep") && s.contains("Uid:\t65534"))
    };
    assert!(
        testkit::wait_until(Duration::from_secs(30), as_nobody),
        "the sleeper never ran as nobody"
    );
    let path = format!("/proc/{pid}/ns/net");
    let o = rss_as_nobody(&["-tan", "-N", &path]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
    assert_eq!(
        err,
        format!(
            "rss: network namespace {path}: Operation not permitted (os error 1) (entering a network namespace needs CAP_SYS_ADMIN)\n"
        )
    );
    // The test's own namespace file (root's /proc/PID/fd) cannot even be
    // opened by nobody: EACCES, which no capability hint explains.
    let path = ns.path().to_str().unwrap().to_string();
    let o = rss_as_nobody(&["-tan", "-N", &path]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(
        err,
        format!(
            "rss: network namespace {path}: Permission denied (os error 13) (opening the file was denied: its permissions, /proc's ptrace rules or a security module)\n"
        )
    );
}
