//! The library's one error type.
#![deny(unsafe_code)]

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::model::{Family, Table};
use crate::wire::DecodeError;

/// Which request an error answered: the table and address family asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// The socket table queried.
    pub table: Table,
    /// The address family of the dump (`Inet`/`Inet6` for inet tables).
    pub family: Family,
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.family {
            Family::Inet | Family::Inet6 => write!(f, "{} ({}) dump", self.table, self.family),
            _ => write!(f, "{} dump", self.table),
        }
    }
}

/// Everything that can go wrong while asking the kernel about sockets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The `NETLINK_SOCK_DIAG` socket could not be opened or bound.
    #[error("cannot open a NETLINK_SOCK_DIAG socket: {0}")]
    Open(#[source] io::Error),
    /// The kernel answered a request with an error code.
    #[error("{request}: {}", io::Error::from_raw_os_error(*errno))]
    Kernel {
        /// The request the error answered.
        request: Request,
        /// The positive errno.
        errno: i32,
    },
    /// The caller lacks the privilege the request needs.
    #[error("{request}: permission denied")]
    PermissionDenied {
        /// The request that was refused.
        request: Request,
    },
    /// The kernel has neither a diag module nor a `/proc/net` file for a table.
    #[error("{request}: not supported by this kernel")]
    Unsupported {
        /// The request that cannot be answered.
        request: Request,
    },
    /// A reply or a file did not decode.
    #[error("{request}: {error}")]
    Decode {
        /// The request whose reply was malformed.
        request: Request,
        /// What was wrong.
        error: DecodeError,
    },
    /// A file of raw replies (`TCPDIAG_FILE`) is truncated or corrupt.
    #[error("{}: {error}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What was wrong, with the byte offset in the file.
        error: DecodeError,
    },
    /// A `/proc` text file did not parse.
    #[error("{}:{line}: {reason}", path.display())]
    Proc {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was wrong with the line.
        reason: String,
    },
    /// A network namespace could not be opened or entered.
    #[error("network namespace {}: {source}", path.display())]
    Namespace {
        /// The namespace file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Sending or receiving on the netlink socket failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A filter did not parse, or the kernel would refuse its program.
    #[error("filter: {0}")]
    Filter(#[from] crate::filter::FilterError),
    /// A kernel program given to [`crate::Query::bytecode`] fails the audit.
    #[error("{0}")]
    Bytecode(#[from] crate::filter::BytecodeError),
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl Error {
    /// The errno behind this error, when there is one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Kernel { errno, .. } => Some(*errno),
            Error::PermissionDenied { .. } => Some(libc::EPERM),
            Error::Open(e)
            | Error::Namespace { source: e, .. }
            | Error::Io { source: e, .. }
            | Error::File { source: e, .. } => e.raw_os_error(),
            _ => None,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
