//! `rss-exporter --textfile PATH` writes safely in a directory others can
//! write to (a sticky `/tmp`-like one): nothing planted there redirects the
//! write or takes the file over. The temporary file is created exclusively
//! under an unpredictable name, owned by the writer, synced and renamed;
//! the result has mode 0644 whatever the umask.
//!
//! Root plants the traps with `nobody` as their owner, as a local user
//! would; the exporter runs as root, as it does under systemd.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use testkit::require_privileged;

const NOBODY: u32 = 65534;

/// A sticky, world-writable directory of this test (as `/tmp` is).
fn sticky_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rss-textfile-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777)).unwrap();
    dir
}

/// `rss-exporter --textfile PATH` under `umask 077` (tempfile's own mode
/// is 0600; the exporter must set 0644 itself).
fn write_textfile(path: &Path) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("umask 077; exec \"$0\" --process-refresh 0 --textfile \"$1\"")
        .arg(env!("CARGO_BIN_EXE_rss-exporter"))
        .arg(path)
        .output()
        .expect("run rss-exporter")
}

/// The next process ids the kernel hands out, from its last one.
fn next_pids(n: u32) -> impl Iterator<Item = u32> {
    let last: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .expect("ns_last_pid")
        .trim()
        .parse()
        .unwrap();
    (1..=n).map(move |i| last + i)
}

fn assert_written_safely(path: &Path, out: &Output) {
    assert!(out.status.success(), "{out:?}");
    let m = std::fs::symlink_metadata(path).unwrap();
    assert!(
        m.file_type().is_file(),
        "{path:?} is not a regular file: {m:?}"
    );
    assert_eq!(m.uid(), 0, "{path:?} is not owned by the writer (root)");
    assert_eq!(m.gid(), 0, "{path:?} is not in the writer's group");
    assert_eq!(m.mode() & 0o7777, 0o644, "mode of {path:?}");
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.starts_with("# HELP rss_sockets "), "{text:.300}");
}

#[test]
fn planted_links_do_not_redirect_the_write() {
    require_privileged!();
    let dir = sticky_dir("links");
    // A root-only file of the attacker's choosing.
    let victim_dir =
        std::env::temp_dir().join(format!("rss-textfile-victim-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&victim_dir);
    std::fs::create_dir_all(&victim_dir).unwrap();
    let victim = victim_dir.join("secret");
    std::fs::write(&victim, "root only\n").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    let path = dir.join("rss.prom");
    // Links at the names a writer could predict: `.rss.prom.PID.tmp` for
    // the next few hundred pids, `rss.prom.tmp`, and the path itself.
    let mut planted = Vec::new();
    let names = next_pids(400)
        .map(|pid| format!(".rss.prom.{pid}.tmp"))
        .chain([
            "rss.prom.tmp".to_string(),
            ".rss.prom.tmp".to_string(),
            "rss.prom".to_string(),
        ]);
    for name in names {
        let link = dir.join(name);
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        std::os::unix::fs::lchown(&link, Some(NOBODY), Some(NOBODY)).unwrap();
        planted.push(link);
    }
    let out = write_textfile(&path);
    assert_written_safely(&path, &out);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "root only\n");
    let vm = std::fs::metadata(&victim).unwrap();
    assert_eq!(vm.mode() & 0o7777, 0o600, "the victim's mode changed");
    // Every other planted link is still a link to the victim; nothing else
    // is left in the directory.
    for link in &planted[..planted.len() - 1] {
        assert_eq!(std::fs::read_link(link).unwrap(), victim, "{link:?}");
    }
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p != &path && !planted.contains(p))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&victim_dir);
}

#[test]
fn a_planted_file_does_not_take_ownership() {
    require_privileged!();
    let dir = sticky_dir("owner");
    let path = dir.join("rss.prom");
    // Regular files of nobody's, mode 0666, at the path and at the names a
    // writer could predict.
    let names = next_pids(400)
        .map(|pid| format!(".rss.prom.{pid}.tmp"))
        .chain(["rss.prom".to_string()]);
    for name in names {
        let f = dir.join(name);
        std::fs::write(&f, "planted\n").unwrap();
        std::os::unix::fs::chown(&f, Some(NOBODY), Some(NOBODY)).unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o666)).unwrap();
    }
    let out = write_textfile(&path);
    assert_written_safely(&path, &out);
    // A second write replaces the file, still root's and 0644.
    let ino = std::fs::metadata(&path).unwrap().ino();
    let out = write_textfile(&path);
    assert_written_safely(&path, &out);
    assert_ne!(
        std::fs::metadata(&path).unwrap().ino(),
        ino,
        "not replaced by a rename"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_textfile_that_is_not_a_file_is_refused() {
    let dir = std::env::temp_dir().join(format!("rss-textfile-kind-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub.prom")).unwrap();
    let file = dir.join("file");
    std::fs::write(&file, "x").unwrap();
    // A directory at PATH, and a PATH whose directory is a regular file.
    for (path, says) in [
        (
            dir.join("sub.prom"),
            "not a regular file (it is a directory)",
        ),
        (
            file.join("x.prom"),
            "not a directory (it is a regular file)",
        ),
    ] {
        let out = write_textfile(&path);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{path:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("rss: ") && err.contains(says),
            "{path:?}: {err}"
        );
    }
    assert!(dir.join("sub.prom").is_dir());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
    let _ = std::fs::remove_dir_all(&dir);
}
