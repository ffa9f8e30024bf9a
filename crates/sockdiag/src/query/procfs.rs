//! The `/proc/net` fallback of a part whose diag module is missing.

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
        match self.conn.get().open_proc(name) {
            Ok(f) if part.kind == PartKind::Unix => {
                // ss lists /proc/net/unix sorted by type, then inode.
                self.answered(request, Source::Proc);
                let path = PathBuf::from("/proc/net").join(name);
                let mut all = Vec::new();
                let mut line = String::new();
                let mut reader = BufReader::with_capacity(RECV_BUF_LEN, f);
                let mut lineno = 0;
                loop {
                    line.clear();
                    match reader.read_line(&mut line) {
                        Ok(0) => break,
                        Ok(n) => {
                            lineno += 1;
                            self.bytes += n as u64;
                            match procnet::parse_line(part.table, part.family, &line) {
                                Ok(Some(s)) if self.query.wants(&s) => all.push(s),
                                Ok(_) => {}
                                Err(reason) => {
                                    return Some(Err(Error::Proc {
                                        path,
                                        line: lineno,
                                        reason,
                                    }));
                                }
                            }
                        }
                        Err(source) => return Some(Err(Error::File { path, source })),
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
                self.cur = Cursor::Proc {
                    reader: BufReader::with_capacity(RECV_BUF_LEN, f),
                    line: String::new(),
                    lineno: 0,
                    path: PathBuf::from("/proc/net").join(name),
                };
                None
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.answered(request, Source::Unsupported);
                Some(Err(Error::Unsupported { request }))
            }
            Err(source) => Some(Err(Error::File {
                path: PathBuf::from("/proc/net").join(name),
                source,
            })),
        }
    }
}
