//! The `/proc/net` fallback of a part whose diag module is missing.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::model::Socket;
use crate::procnet;

use super::RECV_BUF_LEN;
use super::builder::{Part, PartKind};
use super::dump::{Cursor, Dump, Source};

impl Dump<'_> {
    pub(super) fn fall_back(&mut self, part: Part) -> Option<Result<Socket>> {
        let request = part.request();
        let name = if self.query.fallback {
            procnet::file_name(part.table, part.family)
        } else {
            None
        };
        let Some(name) = name else {
            self.answered(request, Source::Unsupported);
            return Some(Err(Error::Unsupported { request }));
        };
        let path = PathBuf::from("/proc/net").join(name);
        match self.conn.get().open_proc(name) {
            Ok(f) if part.kind == PartKind::Unix => {
                // ss lists /proc/net/unix sorted by type, then inode.
                self.answered(request, Source::Proc);
                let mut rows = ProcRows::new(f, path);
                let mut all = Vec::new();
                loop {
                    match rows.next_row() {
                        Ok(0) => break,
                        Ok(n) => {
                            self.bytes += n as u64;
                            match rows.parse(part) {
                                Ok(Some(s)) if self.query.wants(&s) => all.push(s),
                                Ok(_) => {}
                                Err(e) => return Some(Err(e)),
                            }
                        }
                        Err(e) => return Some(Err(e)),
                    }
                }
                all.sort_by_key(|s| (s.netid, s.inode));
                self.cur = Cursor::Sorted {
                    items: all.into_iter(),
                };
                None
            }
            Ok(f) => {
                self.answered(request, Source::Proc);
                self.cur = Cursor::Proc(ProcRows::new(f, path));
                None
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.answered(request, Source::Unsupported);
                Some(Err(Error::Unsupported { request }))
            }
            Err(source) => Some(Err(Error::File { path, source })),
        }
    }
}

/// The rows of a `/proc/net` table being read, one line at a time: the
/// source of a part that falls back to `/proc`, each row decoded by
/// [`procnet::parse_line`].
pub(super) struct ProcRows {
    reader: BufReader<File>,
    line: String,
    lineno: usize,
    path: PathBuf,
}

impl ProcRows {
    pub(super) fn new(file: File, path: PathBuf) -> ProcRows {
        ProcRows {
            reader: BufReader::with_capacity(RECV_BUF_LEN, file),
            line: String::new(),
            lineno: 0,
            path,
        }
    }

    /// Reads the next row; returns its length in bytes, 0 at the end.
    pub(super) fn next_row(&mut self) -> Result<usize> {
        self.line.clear();
        let n = self
            .reader
            .read_line(&mut self.line)
            .map_err(|source| Error::File {
                path: self.path.clone(),
                source,
            })?;
        if n > 0 {
            self.lineno += 1;
        }
        Ok(n)
    }

    /// Decodes the row read last as a socket of `part` (`None` for the
    /// header line and rows of other tables).
    pub(super) fn parse(&self, part: Part) -> Result<Option<Socket>> {
        procnet::parse_line(part.table, part.family, &self.line).map_err(|reason| Error::Proc {
            path: self.path.clone(),
            line: self.lineno,
            reason,
        })
    }
}
