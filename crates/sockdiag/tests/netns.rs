//! `NetNs::enter`: the calling thread moves into the namespace for good.
//!
//! Each test enters on a thread of its own (the test harness may run
//! other tests on its threads), and checks the move by its effects: the
//! thread's namespace file, a socket it opens afterwards (found by its
//! inode in the namespace's dump, absent from the host's), what the
//! library's `None` namespace means on it, and a thread it creates.

use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use sockdiag::{Connection, Error, Query, States, Tables};
use testkit::require_privileged;

/// The device and inode of a namespace file: equal for two files of the
/// same namespace.
fn ns_id(path: &Path) -> (u64, u64) {
    let m = std::fs::metadata(path).expect("the namespace file");
    (m.dev(), m.ino())
}

/// The namespace of the calling thread.
fn thread_ns() -> (u64, u64) {
    ns_id(Path::new("/proc/thread-self/ns/net"))
}

fn inode(fd: &impl AsRawFd) -> u64 {
    std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .expect("the socket's fd")
        .ino()
}

/// The inodes of the listening TCP sockets `conn` dumps.
fn listeners(conn: &mut Connection) -> Vec<u64> {
    let q = Query::new(Tables::TCP).states(States::LISTEN);
    conn.dump(&q).map(|s| s.expect("the dump").inode).collect()
}

#[test]
fn enter_moves_the_calling_thread_and_what_it_opens_afterwards() {
    require_privileged!();
    let ns = testkit::NetNs::new().expect("a private network namespace");
    let diag = sockdiag::NetNs::from_path(ns.path()).expect("the namespace file opens");
    let target = ns_id(&ns.path());
    let home = thread_ns();
    assert_ne!(home, target, "the test must start outside the namespace");
    let (entered, listener, seen_here, child) = std::thread::scope(|s| {
        s.spawn(|| {
            diag.enter().expect("enter");
            let entered = thread_ns();
            // Opened after the move: bound to the namespace.
            let l = TcpListener::bind("127.0.0.1:0").expect("a listener");
            // The library's `None` namespace is now this one.
            let mut conn = Connection::open(None).expect("a connection here");
            let seen_here = listeners(&mut conn);
            let child = std::thread::spawn(thread_ns)
                .join()
                .expect("a child thread");
            (entered, l, seen_here, child)
        })
        .join()
        .expect("the entering thread")
    });
    assert_eq!(entered, target, "the thread is not in the namespace");
    assert_eq!(child, target, "a thread it created is not in the namespace");
    assert_eq!(thread_ns(), home, "the test's own thread moved");
    let ino = inode(&listener);
    assert_eq!(seen_here, vec![ino], "a dump from the entered thread");
    let mut inside = Connection::in_netns(&diag).expect("a connection in the namespace");
    assert_eq!(listeners(&mut inside), vec![ino], "the namespace's dump");
    let mut host = Connection::new().expect("a connection here");
    assert!(
        !listeners(&mut host).contains(&ino),
        "the listener opened after enter is in the host's namespace"
    );
}

/// `capget`/`capset`'s header and data (`_LINUX_CAPABILITY_VERSION_3`).
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Drops `CAP_SYS_ADMIN` from the calling thread's effective set (the
/// other threads of the process keep theirs).
fn drop_sys_admin_here() {
    let mut hdr = CapHeader {
        version: 0x2008_0522,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: the header and two data entries are what version 3 reads and
    // writes; both outlive the calls.
    unsafe {
        assert_eq!(
            libc::syscall(
                libc::SYS_capget,
                &mut hdr as *mut CapHeader,
                data.as_mut_ptr()
            ),
            0,
            "capget: {}",
            std::io::Error::last_os_error()
        );
        data[0].effective &= !(1 << sockdiag::host::CAP_SYS_ADMIN);
        assert_eq!(
            libc::syscall(libc::SYS_capset, &mut hdr as *mut CapHeader, data.as_ptr()),
            0,
            "capset: {}",
            std::io::Error::last_os_error()
        );
    }
}

#[test]
fn enter_without_the_capability_names_the_namespace_and_leaves_the_thread() {
    require_privileged!();
    let ns = testkit::NetNs::new().expect("a private network namespace");
    let diag = sockdiag::NetNs::from_path(ns.path()).expect("the namespace file opens");
    let home = thread_ns();
    let (result, after) = std::thread::scope(|s| {
        s.spawn(|| {
            drop_sys_admin_here();
            (diag.enter(), thread_ns())
        })
        .join()
        .expect("the entering thread")
    });
    assert_eq!(after, home, "the thread moved although enter failed");
    match result {
        Err(Error::Namespace { path, source }) => {
            assert_eq!(path, ns.path());
            assert_eq!(source.raw_os_error(), Some(libc::EPERM));
        }
        other => panic!("expected EPERM naming the namespace, got {other:?}"),
    }
}
