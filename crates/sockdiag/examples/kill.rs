//! Closes one TCP connection, as `ss -K` does: a dump filtered to the
//! connection's two ends, then `SOCK_DESTROY` on what it found (the peer
//! gets a reset). Needs `CAP_NET_ADMIN`.
//!
//! ```text
//! cargo run -p sockdiag --example kill -- 127.0.0.1:40000 127.0.0.1:5000
//! ```
//!
//! The ends are `ADDR:PORT`, IPv6 in brackets (`[::1]:5000`); each socket
//! closed is printed as `killed LOCAL PEER`.

use sockdiag::{Filter, Killer, Query, ss};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [local, peer] = args.as_slice() else {
        return Err("usage: kill LOCAL-ADDR:PORT PEER-ADDR:PORT".into());
    };
    // The filter language of ss, parsed by the library.
    let filter = Filter::parse_str(&format!("src {local} and dst {peer}"))?;
    let mut killer = Killer::open(None)?;
    let mut killed = 0;
    for s in Query::tcp().filter(filter).dump()? {
        let s = s?;
        if killer.kill(&s)? {
            println!("killed {} {}", ss::local(&s), ss::peer(&s));
            killed += 1;
        }
    }
    if killed == 0 {
        return Err(format!("no connection {local} -> {peer}").into());
    }
    Ok(())
}
