//! The `/proc/net` fallback of a part whose diag module is missing: its
//! rows come from [`ProcRows`].

use crate::error::{Error, Result};
use crate::model::Socket;
use crate::procnet::ProcRows;

use super::builder::{Part, PartKind};
use super::dump::{Cursor, Dump, Source};

impl Dump<'_> {
    pub(super) fn fall_back(&mut self, part: Part) -> Option<Result<Socket>> {
        let request = part.request();
        if !self.query.fallback {
            self.answered(request, Source::Unsupported);
            return Some(Err(Error::Unsupported { request }));
        }
        let netns = self.conn.get().netns.as_ref();
        match ProcRows::open(part.table, part.family, netns) {
            Ok(mut rows) if part.kind == PartKind::Unix => {
                // ss lists /proc/net/unix sorted by type, then inode.
                self.answered(request, Source::Proc);
                let mut all = Vec::new();
                let mut failed = None;
                for s in &mut rows {
                    match s {
                        Ok(s) if self.query.wants(&s) => all.push(s),
                        Ok(_) => {}
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                self.bytes += rows.bytes();
                if let Some(e) = failed {
                    return Some(Err(e));
                }
                all.sort_by_key(|s| (s.netid, s.inode));
                self.cur = Cursor::Sorted {
                    items: all.into_iter(),
                };
                None
            }
            Ok(rows) => {
                self.answered(request, Source::Proc);
                self.cur = Cursor::Proc(rows);
                None
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.answered(request, Source::Unsupported);
                Some(Err(Error::Unsupported { request }))
            }
            Err(source) => {
                let path = std::path::Path::new("/proc/net")
                    .join(crate::procnet::file_name(part.table, part.family).unwrap_or_default());
                Some(Err(Error::File { path, source }))
            }
        }
    }
}
