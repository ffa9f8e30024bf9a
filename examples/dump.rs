//! The library's hello world: every TCP, UDP and UNIX socket of the current
//! network namespace as JSON lines, in the model's own serde form.
//!
//! ```text
//! cargo run --example dump
//! cargo run --example dump | jq -c 'select(.state == "listen") | .local'
//! ```

use std::io::Write;

use sockdiag::{Extensions, Query, Tables};

fn main() {
    let query = Query::new(Tables::TCP | Tables::UDP | Tables::UNIX)
        .extensions(Extensions::INFO | Extensions::CONG | Extensions::SKMEMINFO);
    if let Err(e) = run(&query) {
        eprintln!("dump: {e}");
        std::process::exit(1);
    }
}

fn run(query: &Query) -> Result<(), Box<dyn std::error::Error>> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for socket in query.dump()? {
        match socket {
            Ok(s) => {
                serde_json::to_writer(&mut out, &s)?;
                if let Err(e) = out.write_all(b"\n") {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        return Ok(());
                    }
                    return Err(e.into());
                }
            }
            Err(e) => eprintln!("dump: {e}"),
        }
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
