//! A queue watch loop: every INTERVAL milliseconds (default 1000), the
//! established TCP connections whose Recv-Q or Send-Q changed since the
//! last sample, keyed by socket cookie (stable for a socket's life, unlike
//! its ports). Each sample starts with `# sample N`; a line is
//! `LOCAL PEER RECV-Q SEND-Q`, the ends as `ss -tn` prints them.
//!
//! ```text
//! cargo run -p sockdiag --example watch -- 500
//! ```

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use sockdiag::{Connection, Query, States, ss};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let interval: u64 = std::env::args().nth(1).map_or(Ok(1000), |a| a.parse())?;
    let query = Query::tcp().states(States::ESTABLISHED);
    // One connection for every sample: its buffer is allocated once.
    let mut conn = Connection::new()?;
    let mut last: HashMap<u64, (u32, u32)> = HashMap::new();
    let mut out = std::io::stdout().lock();
    for n in 1u64.. {
        let mut now = HashMap::new();
        writeln!(out, "# sample {n}")?;
        for s in conn.dump(&query) {
            let s = s?;
            let key = s.cookie.unwrap_or(s.inode);
            let queues = (s.recv_q, s.send_q);
            if last.get(&key) != Some(&queues) {
                let (local, peer) = (ss::local(&s), ss::peer(&s));
                writeln!(out, "{local} {peer} {} {}", queues.0, queues.1)?;
            }
            now.insert(key, queues);
        }
        out.flush()?;
        last = now;
        std::thread::sleep(Duration::from_millis(interval));
    }
    Ok(())
}
