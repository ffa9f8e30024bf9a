//! The `/proc/net/*` line parsers (the fallback without diag modules): the
//! first byte picks the table and family, the rest are lines. What parses
//! must render.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::check_procnet(data));
