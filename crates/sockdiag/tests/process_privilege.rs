//! A process map says when it was built without the right to see other
//! users' processes: as root nothing is hidden; as `nobody` (this test
//! binary run again under uid and gid 65534) the root-owned test process
//! is hidden, the map is partial, and nobody's own socket is still found.

use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;

use sockdiag::{ProcessMap, ProcessMapOptions};
use testkit::require_privileged;

/// Set in the environment of the helper run as `nobody`.
const HELPER_ENV: &str = "SOCKDIAG_PROCESS_MAP_HELPER";
const HELPER: &str = "process_privilege::helper_prints_the_map_this_user_sees";
const NOBODY: u32 = 65534;

/// `(hidden, partial, own socket found with this pid)` of a map built now,
/// by this process, holding a listener of its own.
fn map_seen_by_this_process() -> (usize, bool, bool) {
    let l = TcpListener::bind("127.0.0.1:0").expect("a loopback listener");
    let inode = std::fs::metadata(format!("/proc/self/fd/{}", l.as_raw_fd()))
        .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
        .expect("the listener's inode");
    let map = ProcessMap::build(&ProcessMapOptions::new()).expect("/proc walks");
    let me = std::process::id() as i32;
    let own = map.get(inode).iter().any(|p| p.pid == me);
    (map.hidden(), map.is_partial(), own)
}

/// Run by the test below as `nobody`; by itself it does nothing.
#[test]
#[ignore = "a helper: run as nobody by who_may_see_processes_is_reported"]
fn helper_prints_the_map_this_user_sees() {
    if std::env::var_os(HELPER_ENV).is_none() {
        return;
    }
    let (hidden, partial, own) = map_seen_by_this_process();
    // On a line of its own (libtest prints the test name before it).
    println!("\nMAP hidden={hidden} partial={partial} own={own}");
}

#[test]
fn who_may_see_processes_is_reported() {
    require_privileged!();
    // As root: every process is readable.
    let (hidden, partial, own) = map_seen_by_this_process();
    assert_eq!((hidden, partial, own), (0, false, true), "as root");

    // As nobody: this root-owned process (at least) is hidden.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            HELPER,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HELPER_ENV, "1")
        .uid(NOBODY)
        .gid(NOBODY)
        .output()
        .expect("the test binary runs as nobody");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("MAP "))
        .unwrap_or_else(|| panic!("the helper printed its map: {stdout}"));
    let field = |k: &str| -> String {
        line.split(' ')
            .find_map(|kv| kv.strip_prefix(k)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("{k} in {line}"))
            .to_string()
    };
    let hidden: usize = field("hidden").parse().unwrap();
    assert!(hidden >= 1, "the root-owned test process is hidden: {line}");
    assert_eq!(field("partial"), "true", "{line}");
    assert_eq!(
        field("own"),
        "true",
        "nobody still sees its own socket: {line}"
    );
}
