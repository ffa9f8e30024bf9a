//! A whole dump replayed from arbitrary bytes (`TCPDIAG_FILE`): the file is
//! written to a private tmpfs path and read back through `Query`, with and
//! without a filter. Sockets that come out must render.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "checks.rs"]
mod checks;

fn path() -> &'static std::path::Path {
    static P: OnceLock<std::path::PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        let dir = if std::path::Path::new("/dev/shm").is_dir() {
            std::path::PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        dir.join(format!("rss-fuzz-replay-{}", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| checks::check_replay(data, path()));
