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
use sockdiag::filter::{
    Expr, FilterContext, audit, parse_with, run_bytecode, words_from_file_text,
};

#[path = "common.rs"]
mod common;

fn mentions_autobound(e: &Expr) -> bool {
    e.to_string().contains("autobound")
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let text = String::from_utf8_lossy(&data[..split]);
    let rest = data.get(split + 1..).unwrap_or_default();
    let words = words_from_file_text(&text);
    let mut states = sockdiag::States::all();
    let Ok(words) = rss::filter::parse_states(&words, &mut states) else {
        return;
    };
    let Ok(Some(expr)) = parse_with(words, &common::FakeResolver) else {
        return;
    };
    let ctx = FilterContext::new((32768, 60999));
    let filter = match sockdiag::Filter::in_context(expr.clone(), ctx.clone()) {
        Ok(f) => f,
        // Only size may stop a program: one the audit refuses is a compiler bug.
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains("too large"), "{expr}: {msg}");
            return;
        }
    };
    if let Some(bc) = filter.bytecode() {
        audit(bc).expect("Filter keeps only audited programs");
    } else if expr.kernel_compatible() {
        panic!("a kernel-compatible expression has no program: {expr}");
    }
    check_agreement(&expr, &filter, rest);
});

fn check_agreement(expr: &Expr, filter: &sockdiag::Filter, rest: &[u8]) {
    for s in &common::sockets(rest) {
        let user = filter.matches(s);
        if let Some(bc) = filter.bytecode()
            && s.netid.is_inet()
            && !mentions_autobound(expr)
        {
            for bindport in [false, true] {
                assert_eq!(
                    run_bytecode(bc, s, bindport),
                    user,
                    "user space and bytecode disagree on {expr} for {s:?}"
                );
            }
        }
    }
}
