//! Listening TCP sockets with the processes holding them, one line each as
//! `ss -tlnpH` prints its columns: `LOCAL RECV-Q SEND-Q users:((...))`.
//!
//! ```text
//! cargo run -p sockdiag --example listeners
//! ```
//!
//! Without root only the caller's own processes can be seen; the example
//! then says how many were hidden.

use std::io::Write;

use sockdiag::{ProcessMap, ProcessMapOptions, Query, States, ss};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sockets = Query::tcp()
        .states(States::LISTEN)
        .dump()?
        .collect::<Result<Vec<_>, _>>()?;
    // Walk /proc for these sockets only.
    let wanted = sockets.iter().map(|s| s.inode);
    let map = ProcessMap::build(&ProcessMapOptions::new().wanted(wanted))?;
    let mut out = std::io::stdout().lock();
    for s in &sockets {
        let users: Vec<String> = map
            .get(s.inode)
            .iter()
            // A command name is raw bytes of the process's choosing:
            // print it as ss does, escaped.
            .map(|p| {
                format!(
                    "(\"{}\",pid={},fd={})",
                    ss::command_text(&p.command),
                    p.pid,
                    p.fd
                )
            })
            .collect();
        let users = match users.is_empty() {
            true => String::new(),
            false => format!(" users:({})", users.join(",")),
        };
        writeln!(out, "{} {} {}{users}", ss::local(s), s.recv_q, s.send_q)?;
    }
    if map.is_partial() {
        eprintln!("{} processes hidden: run as root to see them", map.hidden());
    }
    Ok(())
}
