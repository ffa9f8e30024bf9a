//! A whole dump replayed from arbitrary bytes (`TCPDIAG_FILE`): the file is
//! written to a private tmpfs path and read back through `Query`, with and
//! without a filter. Sockets that come out must render.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

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

fuzz_target!(|data: &[u8]| {
    let p = path();
    std::fs::write(p, data).unwrap();
    let filter = sockdiag::Filter::parse_str("sport = :22 or dst 10.0.0.0/8").unwrap();
    let mut sockets = Vec::new();
    for q in [
        sockdiag::Query::tcp().tcp_from_file(p),
        sockdiag::Query::tcp()
            .states(sockdiag::States::all())
            .with_info()
            .filter(filter)
            .tcp_from_file(p),
    ] {
        let Ok(dump) = q.dump() else { return };
        for s in dump.take(10_000) {
            match s {
                Ok(s) => sockets.push(s),
                Err(_) => break,
            }
        }
    }
    common::render(&sockets);
});
