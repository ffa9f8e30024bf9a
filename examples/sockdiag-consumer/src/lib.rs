//! Three jobs a monitoring tool does with `sockdiag`, written against its
//! public API only (this crate is a workspace member so that CI builds and
//! tests it as a dependent would).
//!
//! 1. [`listeners`]: listening TCP sockets with the processes holding them.
//! 2. [`SendQueueWatch`]: established connections whose Send-Q grew since
//!    the last sample, keyed by socket cookie.
//! 3. [`to_json`] / [`from_json`]: every socket to JSON and back into
//!    [`Socket`]s.

use std::collections::HashMap;

use sockdiag::{
    Endpoint, NetNs, Process, ProcessMap, ProcessMapOptions, Query, Socket, State, States,
};

/// A listening socket and who holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// Where it listens.
    pub local: Endpoint,
    /// Connections waiting to be accepted (Recv-Q of a listener).
    pub pending: u32,
    /// Its backlog (Send-Q of a listener).
    pub backlog: u32,
    /// The processes holding it open.
    pub processes: Vec<Process>,
}

/// Job 1: every listening TCP socket of `ns` (the caller's namespace when
/// `None`), with its processes, sorted by address.
pub fn listeners(ns: Option<&NetNs>) -> sockdiag::Result<Vec<Listener>> {
    let query = Query::tcp().states(States::LISTEN);
    let dump = match ns {
        Some(ns) => query.dump_in(ns)?,
        None => query.dump()?,
    };
    let sockets: Vec<Socket> = dump.collect::<sockdiag::Result<_>>()?;
    let map = ProcessMap::build(&ProcessMapOptions::new().wanted(sockets.iter().map(|s| s.inode)))?;
    let mut out: Vec<Listener> = sockets
        .into_iter()
        .map(|s| Listener {
            local: s.local,
            pending: s.recv_q,
            backlog: s.send_q,
            processes: map.get(s.inode).to_vec(),
        })
        .collect();
    out.sort_by_key(|l| l.local.to_string());
    Ok(out)
}

/// A connection whose Send-Q grew between two samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Growth {
    /// The socket's cookie: stable for its lifetime, unlike its addresses.
    pub cookie: u64,
    /// Its local end.
    pub local: Endpoint,
    /// Its remote end.
    pub peer: Endpoint,
    /// Send-Q at the previous sample (0 if the socket is new).
    pub before: u32,
    /// Send-Q now: bytes sent and not yet acknowledged.
    pub now: u32,
}

/// Job 2: remembers each established connection's Send-Q by cookie and
/// reports the ones that grew.
#[derive(Debug, Default)]
pub struct SendQueueWatch {
    last: HashMap<u64, u32>,
}

impl SendQueueWatch {
    /// A watch with no samples yet.
    pub fn new() -> SendQueueWatch {
        SendQueueWatch::default()
    }

    /// Takes a sample of `ns` and returns the connections whose Send-Q is
    /// larger than at the previous sample, sorted by cookie. Connections
    /// that went away are forgotten.
    pub fn sample(&mut self, ns: Option<&NetNs>) -> sockdiag::Result<Vec<Growth>> {
        let query = Query::tcp().states(States::ESTABLISHED);
        let dump = match ns {
            Some(ns) => query.dump_in(ns)?,
            None => query.dump()?,
        };
        let mut now = HashMap::new();
        let mut grew = Vec::new();
        for s in dump {
            let s = s?;
            let Some(cookie) = s.cookie else { continue };
            debug_assert_eq!(s.state, State::Established);
            let before = self.last.get(&cookie).copied().unwrap_or(0);
            if s.send_q > before {
                grew.push(Growth {
                    cookie,
                    local: s.local,
                    peer: s.peer,
                    before,
                    now: s.send_q,
                });
            }
            now.insert(cookie, s.send_q);
        }
        self.last = now;
        grew.sort_by_key(|g| g.cookie);
        Ok(grew)
    }
}

/// Job 3a: every socket of every table in `ns`, as the JSON `rss -j` prints.
pub fn to_json(ns: Option<&NetNs>) -> sockdiag::Result<(Vec<Socket>, String)> {
    let dump = match ns {
        Some(ns) => Query::all().dump_in(ns)?,
        None => Query::all().dump()?,
    };
    let sockets: Vec<Socket> = dump.collect::<sockdiag::Result<_>>()?;
    let text = serde_json::to_string(&sockets).expect("sockets serialise");
    Ok((sockets, text))
}

/// Job 3b: JSON (ours or `rss -j`'s) back into sockets.
pub fn from_json(text: &str) -> serde_json::Result<Vec<Socket>> {
    serde_json::from_str(text)
}
