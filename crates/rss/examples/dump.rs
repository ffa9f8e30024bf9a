//! The library's hello world: every TCP, UDP and UNIX socket of the current
//! network namespace as JSON lines, in the model's own serde form.
//!
//! ```text
//! cargo run --example dump
//! cargo run --example dump | jq -c 'select(.state == "listen") | .local'
//! ```

use std::io::{self, Write};

use sockdiag::{Extensions, Query, Tables};

fn main() {
    let query = Query::new(Tables::TCP | Tables::UDP | Tables::UNIX)
        .extensions(Extensions::INFO | Extensions::CONG | Extensions::SKMEMINFO);
    let stdout = io::stdout();
    match write_sockets(&query, &mut io::BufWriter::new(stdout.lock())) {
        Ok(()) => {}
        // `dump | head -1`: the reader is gone, which is no error.
        Err(Failed::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("dump: {e}");
            std::process::exit(1);
        }
    }
}

/// Why the dump stopped.
#[derive(Debug)]
enum Failed {
    /// The library could not start the dump.
    Dump(sockdiag::Error),
    /// A socket did not serialise.
    Json(serde_json::Error),
    /// Writing stdout failed (a broken pipe included).
    Write(io::Error),
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failed::Dump(e) => e.fmt(f),
            Failed::Json(e) => write!(f, "JSON: {e}"),
            Failed::Write(e) => write!(f, "write error: {e}"),
        }
    }
}

/// Writes one JSON line per socket to `out`. A socket the library cannot
/// read is reported on stderr and skipped.
fn write_sockets(query: &Query, out: &mut impl Write) -> Result<(), Failed> {
    let mut line = Vec::with_capacity(1024);
    for socket in query.dump().map_err(Failed::Dump)? {
        match socket {
            Ok(s) => {
                // Serialise first, then write: a write error stays an
                // io::Error whose kind can be told.
                line.clear();
                serde_json::to_writer(&mut line, &s).map_err(Failed::Json)?;
                line.push(b'\n');
                out.write_all(&line).map_err(Failed::Write)?;
            }
            Err(e) => eprintln!("dump: {e}"),
        }
    }
    out.flush().map_err(Failed::Write)
}
