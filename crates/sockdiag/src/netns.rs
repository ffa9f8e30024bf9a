//! Network namespaces: run a query inside one without moving the caller,
//! or move the calling thread into one for good.
//!
//! `setns(2)` moves only the calling thread. [`NetNs::run`] runs each
//! operation that must happen inside a namespace (opening the netlink
//! socket, opening a `/proc/net` file) on a short-lived helper thread that
//! enters the namespace first, so the caller never moves: what a program
//! that visits several namespaces needs. A socket or file opened there
//! stays bound to that namespace for its whole life, wherever it is used
//! afterwards. [`NetNs::enter`] moves the calling thread itself, as `ss -N`
//! does: for a program whose whole run belongs to one namespace, which then
//! passes no namespace (`None`) to the library and needs no helper thread.
#![deny(unsafe_code)]

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// An open network namespace file (`/run/netns/NAME`, `/proc/PID/ns/net`, ...).
#[derive(Debug)]
pub struct NetNs {
    file: File,
    path: PathBuf,
}

impl NetNs {
    /// Opens the namespace that `ip netns add NAME` created (`/run/netns/NAME`).
    pub fn named(name: &str) -> Result<NetNs> {
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(Error::Namespace {
                path: PathBuf::from(name),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "not a namespace name",
                ),
            });
        }
        NetNs::from_path(Path::new("/run/netns").join(name))
    }

    /// Opens any network namespace file. Anything else (a FIFO, a regular
    /// file, another kind of namespace) is refused without blocking (see
    /// [`open_checked`](crate::host::open_checked)).
    pub fn from_path(path: impl Into<PathBuf>) -> Result<NetNs> {
        let path = path.into();
        let file = crate::host::open_checked(&path, crate::host::FileKind::NetNamespace).map_err(
            |source| Error::Namespace {
                path: path.clone(),
                source,
            },
        )?;
        Ok(NetNs { file, path })
    }

    /// The path this namespace was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the calling thread into this namespace, for good: every socket
    /// it opens afterwards, every `/proc/thread-self/net` file and
    /// `/proc/sys/net` setting it reads, every interface name it resolves,
    /// and every thread it creates afterwards belong to this namespace.
    /// Other threads of the process stay where they are, and so does
    /// `/proc/net` (`/proc/self/net`, which follows the thread group
    /// leader) unless the caller is the main thread.
    ///
    /// After it, the library's `None` namespace (as in
    /// [`Connection::open`](crate::Connection::open)) is this one: no
    /// helper thread is created. There is no way back but entering another
    /// namespace file (opened before, such as `/proc/thread-self/ns/net`).
    ///
    /// # Errors
    ///
    /// [`Error::Namespace`] with this namespace's path when `setns(2)`
    /// fails (`EPERM` without `CAP_SYS_ADMIN`); the thread has not moved.
    pub fn enter(&self) -> Result<()> {
        crate::sys::setns_net(std::os::fd::AsFd::as_fd(&self.file)).map_err(|source| {
            Error::Namespace {
                path: self.path.clone(),
                source,
            }
        })
    }

    /// Runs `f` on a helper thread that has entered this namespace, and
    /// returns its result. The calling thread never changes namespace.
    pub fn run<F, R>(&self, f: F) -> Result<R>
    where
        F: FnOnce() -> R + Send,
        R: Send,
    {
        let fd = std::os::fd::AsFd::as_fd(&self.file);
        std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    // `self.file` keeps the descriptor open for the whole scope.
                    crate::sys::setns_net(fd)?;
                    Ok(f())
                })
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
        .map_err(|source| Error::Namespace {
            path: self.path.clone(),
            source,
        })
    }
}
