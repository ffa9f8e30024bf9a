//! sockdiag under tokio (a dev-dependency of the example only): a dump on
//! tokio's blocking pool, then the sockets that close, as `ss -E` reports
//! them, read through `AsyncFd`. Stops after COUNT events (default: never).
//!
//! ```text
//! cargo run -p sockdiag --example async_events -- 10
//! ```
//!
//! A dump blocks while the kernel answers, so it runs in `spawn_blocking`.
//! `Events` is a descriptor that polls readable when events are queued:
//! wait for that, then take events with `next_timeout(Duration::ZERO)`,
//! which never blocks, until it says the socket is drained.

use std::time::Duration;

use sockdiag::{Events, Query, Tables, ss};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = std::env::args()
        .nth(1)
        .map_or(Ok(usize::MAX), |a| a.parse())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    runtime.block_on(async {
        let dump = || Query::tcp().dump()?.collect::<Result<Vec<_>, _>>();
        let sockets = tokio::task::spawn_blocking(dump).await??;
        println!("{} tcp sockets", sockets.len());

        let events = Events::subscribe(&Query::new(Tables::TCP | Tables::UDP), None)?;
        // SAFETY: an `Events` owns its netlink socket for its whole life,
        // and `as_raw_fd` always returns that descriptor.
        let mut events = unsafe { AsyncFd::register_with_interest(events, Interest::READABLE) }?;
        println!("watching");
        let mut seen = 0;
        while seen < count {
            let mut ready = events.readable_mut().await?;
            match ready.get_inner_mut().next_timeout(Duration::ZERO)? {
                Some(s) => {
                    println!("closed {} {} {}", s.netid, ss::local(&s), ss::peer(&s));
                    seen += 1;
                }
                // Drained: wait until the descriptor is readable again.
                None => ready.clear_ready(),
            }
        }
        Ok(())
    })
}
