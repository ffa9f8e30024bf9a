//! `rss`: dispatches to the library, on the main thread, which a run in
//! one namespace (`-N`) moves into it (`rss::run_main`).
#![deny(unsafe_code)]

fn main() {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let code = rss::run_main(
        std::env::args_os().collect(),
        &mut stdout.lock(),
        &mut stderr.lock(),
    );
    std::process::exit(code);
}
