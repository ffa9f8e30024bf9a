//! Argument vectors: arbitrary words (split on 0 bytes) parsed as rss's
//! command line, then turned into a query and render options. Parsing must
//! never panic; nothing is executed against the kernel. The target runs in
//! a private network namespace (when it can) so that host names in filters
//! fail at once instead of waiting on DNS, and with standard input on
//! /dev/null so that `-F -` ends.
#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::sync::Once;

use libfuzzer_sys::fuzz_target;

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
    let mut argv = vec![OsString::from("rss")];
    argv.extend(
        data.split(|&b| b == 0)
            .take(64)
            .map(|w| OsString::from_vec(w.to_vec())),
    );
    // Subcommands do their own work (bench builds farms): not here.
    if argv.get(1).is_some_and(|a| a == "bench") {
        return;
    }
    if let Ok(config) = rss::args::Config::parse(argv) {
        let _ = rss::run::build_query(&config);
        let _ = rss::run::render_options(&config, false);
    }
});
