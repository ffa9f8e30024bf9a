//! Closes one TCP connection, as `ss -K` does, by its two ends: the kernel
//! finds the socket by its addresses and ports (`SOCK_DESTROY`) and the peer
//! gets a reset. Needs `CAP_NET_ADMIN`.
//!
//! ```text
//! cargo run -p sockdiag --example kill -- 127.0.0.1:40000 127.0.0.1:5000
//! ```
//!
//! The ends are `ADDR:PORT`, IPv6 in brackets (`[::1]:5000`), local first;
//! the connection closed is printed as `killed LOCAL PEER`. To close by
//! cookie alone, dump with a filter and kill what it yields
//! ([`sockdiag::Killer`]'s documentation shows how).

use std::net::SocketAddr;

use sockdiag::{Killer, SocketId};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [local, peer] = args.as_slice() else {
        return Err("usage: kill LOCAL-ADDR:PORT PEER-ADDR:PORT".into());
    };
    let (local, peer): (SocketAddr, SocketAddr) = (local.parse()?, peer.parse()?);
    // Without a cookie the library looks the connection up first, so the
    // listener on the local port is never closed in its place.
    if !Killer::open(None)?.kill_id(&SocketId::tcp(local, peer))? {
        return Err(format!("no connection {local} -> {peer}").into());
    }
    println!("killed {local} {peer}");
    Ok(())
}
