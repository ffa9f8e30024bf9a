//! Destroy events (`Events`) without blocking forever: a stopper wakes a
//! thread blocked in `next`, `next_timeout` returns when nothing comes and
//! yields the event when a socket closes, and the descriptor (`AsFd`)
//! polls readable exactly when an event is queued. Each test subscribes
//! in a private network namespace, so only its own sockets close there.

use std::net::UdpSocket;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::mpsc;
use std::time::Duration;

use sockdiag::{Events, Query, State, Tables};
use testkit::require_privileged;

/// Liveness bound of a wait for a thread or an event that is due at once:
/// generous for a busy machine.
const WAIT: Duration = Duration::from_secs(30);

fn lab() -> (testkit::NetNs, sockdiag::NetNs) {
    let ns = testkit::NetNs::new().expect("a private network namespace");
    let diag = sockdiag::NetNs::from_path(ns.path()).expect("the namespace file opens");
    (ns, diag)
}

/// Whether thread `tid` of this process is asleep (blocked in a call).
fn sleeping(tid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap_or_default();
    let state = stat.rsplit(')').next().unwrap_or("").trim_start();
    state.starts_with('S')
}

/// Whether `fd` has input, without waiting.
fn readable(fd: std::os::fd::BorrowedFd<'_>) -> bool {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one initialised pollfd, borrowed for the call.
    let rc = unsafe { libc::poll(&mut p, 1, 0) };
    rc == 1 && p.revents & libc::POLLIN != 0
}

#[test]
fn a_stopper_ends_a_next_blocked_in_another_thread() {
    require_privileged!();
    let (_ns, diag) = lab();
    let mut events =
        Events::subscribe(&Query::new(Tables::TCP | Tables::UDP), Some(&diag)).expect("subscribed");
    let stopper = events.stopper();
    let (tid_tx, tid_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        // SAFETY: gettid takes no arguments.
        tid_tx.send(unsafe { libc::gettid() }).unwrap();
        let first = events.next().map(|r| r.map(|s| s.local.to_string()));
        let again = events.next().is_none();
        done_tx
            .send((first.is_none(), again, events.is_stopped()))
            .unwrap();
    });
    let tid = tid_rx
        .recv_timeout(WAIT)
        .expect("the watcher thread started");
    // Nothing closes in the namespace: the watcher blocks in `next`.
    assert!(
        testkit::wait_until(WAIT, || sleeping(tid)),
        "waited for the watcher to block in next"
    );
    assert!(
        done_rx.try_recv().is_err(),
        "next returned with nothing closed"
    );
    stopper.stop().expect("stopped");
    let (ended, stays_ended, stopped) = done_rx
        .recv_timeout(WAIT)
        .expect("waited for the blocked next to return after stop");
    assert!(ended, "a stopped subscription's next is None");
    assert!(stays_ended, "and stays None");
    assert!(stopped);
    // Stopping again is harmless.
    stopper.stop().expect("a second stop");
}

#[test]
fn next_timeout_and_the_descriptor_follow_what_closes() {
    require_privileged!();
    let (ns, diag) = lab();
    let mut events = Events::subscribe(&Query::new(Tables::UDP), Some(&diag)).expect("subscribed");
    assert_eq!(events.as_raw_fd(), events.as_fd().as_raw_fd());
    // Nothing closed yet: nothing queued, and a zero timeout returns at once.
    assert!(!readable(events.as_fd()));
    assert!(
        events
            .next_timeout(Duration::ZERO)
            .expect("no error")
            .is_none()
    );
    assert!(!events.is_stopped());
    let port = ns.run(|| {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = s.local_addr().unwrap().port();
        drop(s);
        port
    });
    // The close is queued on the descriptor before it is read.
    assert!(
        testkit::wait_until(WAIT, || readable(events.as_fd())),
        "waited for the destroy event to be queued"
    );
    let s = events
        .next_timeout(Duration::ZERO)
        .expect("no error")
        .expect("the queued event, without waiting");
    assert_eq!(s.state, State::Close);
    assert_eq!(s.local_port(), Some(port));
    assert_eq!(s.local.to_string(), format!("127.0.0.1:{port}"));
    // Drained: nothing more, and the descriptor says so.
    assert!(
        events
            .next_timeout(Duration::ZERO)
            .expect("no error")
            .is_none()
    );
    assert!(!readable(events.as_fd()));
    // A stopped subscription's next_timeout is Ok(None) at once, however long
    // the timeout.
    events.stopper().stop().unwrap();
    assert!(
        events
            .next_timeout(Duration::MAX)
            .expect("no error")
            .is_none()
    );
    assert!(events.is_stopped());
}

#[test]
fn set_read_timeout_sets_so_rcvtimeo_and_a_replay_connection_has_no_fd() {
    require_privileged!();
    let (_ns, diag) = lab();
    let mut conn = sockdiag::Connection::in_netns(&diag).expect("a connection");
    let fd = conn
        .netlink_fd()
        .expect("a live connection has its socket")
        .as_raw_fd();
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let mut len = std::mem::size_of::<libc::timeval>() as libc::socklen_t;
    conn.set_read_timeout(Some(Duration::from_millis(2500)))
        .expect("SO_RCVTIMEO set");
    // SAFETY: `tv` and `len` describe a writable timeval for the call.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&raw mut tv).cast(),
            &mut len,
        )
    };
    assert_eq!(rc, 0);
    assert_eq!((tv.tv_sec, tv.tv_usec), (2, 500_000));
    // The dump still works under the bound.
    let n = conn.dump(&Query::tcp()).count();
    assert_eq!(n, 0, "a fresh namespace has no TCP socket");
    let replay = sockdiag::Connection::from_datagrams(Vec::new());
    assert!(replay.netlink_fd().is_none());
}
