//! Argument vectors: arbitrary words (split on 0 bytes) parsed as rss's
//! command line, then turned into a query and render options. Parsing must
//! never panic; nothing is executed against the kernel. The target runs in
//! a private network namespace (when it can) so that host names in filters
//! fail at once instead of waiting on DNS, and with standard input on
//! /dev/null so that `-F -` ends.
#![no_main]

use std::sync::Once;

use libfuzzer_sys::fuzz_target;

#[path = "checks.rs"]
mod checks;

fn isolate() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: plain syscalls on this process; failure only means slower DNS.
        unsafe {
            let _ = libc::unshare(libc::CLONE_NEWNET);
            let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
            if fd >= 0 {
                libc::dup2(fd, 0);
                libc::close(fd);
            }
        }
    });
}

fuzz_target!(|data: &[u8]| {
    isolate();
    checks::check_argv(data);
});
