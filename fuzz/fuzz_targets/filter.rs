//! The filter language end to end: text (as a `-F` file) -> words -> the
//! leading state words -> expression (with a resolver that never touches
//! the network) -> kernel bytecode -> audit; then every socket decoded from
//! the rest of the input is evaluated in user space and, when the program
//! exists, in the bytecode interpreter: both must agree. The expression's
//! printed form must parse back to one that agrees as well.
//!
//! Input: filter text, a 0 byte, socket bytes (as in the `decode` target).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockdiag::filter::{Expr, audit, parse_with, run_bytecode, words_from_file_text};

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
    let filter = sockdiag::Filter::new(expr.clone());
    if let Some(bc) = filter.bytecode() {
        audit(bc).expect("Filter::new keeps only audited programs");
    } else if expr.kernel_compatible() && words.len() < 64 {
        panic!(
            "a small kernel-compatible expression did not compile to an audited program: {expr}"
        );
    }
    // The printed form parses back.
    let printed = expr.to_string();
    let again = parse_with(
        &sockdiag::filter::split_words(&printed),
        &common::FakeResolver,
    )
    .unwrap_or_else(|e| panic!("{printed:?} does not parse back: {e}"))
    .expect("non-empty");
    let sockets = common::sockets(rest);
    for s in &sockets {
        let user = filter.matches(s);
        assert_eq!(again.matches(s), user, "{expr} vs printed {printed}");
        if let Some(bc) = filter.bytecode()
            && s.netid.is_inet()
            && !mentions_autobound(&expr)
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
});
