//! Network namespaces: run a query inside one without moving the caller.
//!
//! `setns(2)` moves only the calling thread, so every operation that must
//! happen inside a namespace (opening the netlink socket, opening a
//! `/proc/net` file) runs on a short-lived helper thread that enters the
//! namespace first. A socket or file opened there stays bound to that
//! namespace for its whole life, wherever it is used afterwards.
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
