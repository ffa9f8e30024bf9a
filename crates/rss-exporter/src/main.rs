//! `rss-exporter`: dispatches to the library (`rss exporter` runs this
//! binary in its place).
#![deny(unsafe_code)]

fn main() {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let code = rss_exporter::run(
        std::env::args_os().collect(),
        &mut stdout.lock(),
        &mut stderr.lock(),
    );
    std::process::exit(code);
}
