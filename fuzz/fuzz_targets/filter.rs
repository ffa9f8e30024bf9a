//! The filter language end to end: text (as a `-F` file) -> words -> the
//! leading state words -> expression (with a resolver that never touches
//! the network) -> kernel bytecode -> audit; then every socket decoded from
//! the rest of the input is evaluated in user space and, when the program
//! exists, in the bytecode interpreter: both must agree. (The printed form
//! of an expression is for people: `cgroup = id:N`, unquoted unix paths;
//! it is not checked to parse back.)
//!
//! Input: filter text, a 0 byte, socket bytes (as in the `decode` target).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::check_filter(data));
