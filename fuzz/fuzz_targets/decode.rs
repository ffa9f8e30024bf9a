//! The netlink response decoders of every table, on arbitrary bytes: as a
//! datagram of messages, and as the payload of one well-framed message (so
//! that every attribute, `tcp_info` and `mptcp_info` of any length, is
//! reached at once). Whatever decodes must then render (table and JSON).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::check_decode(data));
