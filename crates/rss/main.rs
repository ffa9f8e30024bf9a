//! `rss`: dispatches to the library.
#![deny(unsafe_code)]

fn main() {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let code = rss::run(
        std::env::args_os().collect(),
        &mut stdout.lock(),
        &mut stderr.lock(),
    );
    std::process::exit(code);
}
