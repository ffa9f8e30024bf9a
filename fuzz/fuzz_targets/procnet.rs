//! The `/proc/net/*` line parsers (the fallback without diag modules): the
//! first byte picks the table and family, the rest are lines. What parses
//! must render.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let table = common::TABLES[sel as usize % common::TABLES.len()];
    let family = common::FAMILIES[(sel as usize / common::TABLES.len()) % 2];
    let _ = sockdiag::bench_support::proc_file_name(table, family);
    let text = String::from_utf8_lossy(rest);
    let mut sockets = Vec::new();
    for line in text.lines() {
        if let Ok(Some(s)) = sockdiag::bench_support::parse_proc_line(table, family, line) {
            sockets.push(s);
        }
    }
    common::render(&sockets);
});
