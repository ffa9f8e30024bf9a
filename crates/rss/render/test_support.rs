//! Builders shared by the renderer's unit tests: names, options, sockets.

use sockdiag::{Endpoint, Family, Socket, State, Table};

use super::names::Names;
use super::options::RenderOptions;

pub(crate) fn names() -> Names {
    let mut n = Names::new(false);
    n.set_services("ssh 22/tcp\ndomain 53/tcp\ndomain 53/udp\nhttp 80/tcp\nhttps 443/tcp\nipp 631/tcp\nhttp-alt 8080/tcp\n");
    n.set_ephemeral_range(32768, 60999);
    n.set_ifname(1, "lo");
    n.set_ifname(2, "eth0");
    n.set_cgroup(1, "/");
    n
}

/// `ss … | cat` (no `COLUMNS`): compact output.
pub(crate) fn piped() -> RenderOptions {
    RenderOptions {
        width: Some(0),
        ..Default::default()
    }
}

/// Only the address columns, one row, no header: for field formats.
pub(crate) fn fields() -> RenderOptions {
    RenderOptions {
        show_netid: false,
        show_state: false,
        queues: false,
        header: false,
        numeric: true,
        ..piped()
    }
}

pub(crate) fn inet(
    table: Table,
    state: State,
    local: &str,
    lport: u16,
    peer: &str,
    pport: u16,
) -> Socket {
    let v6 = local.contains(':');
    let mut s = Socket::new(table, if v6 { Family::Inet6 } else { Family::Inet }, state);
    s.local = Endpoint::Inet {
        addr: local.parse().unwrap(),
        port: lport,
    };
    s.peer = Endpoint::Inet {
        addr: peer.parse().unwrap(),
        port: pport,
    };
    s.uid = Some(0);
    s
}

pub(crate) fn tcp(state: State, local: &str, lport: u16, peer: &str, pport: u16) -> Socket {
    inet(Table::Tcp, state, local, lport, peer, pport)
}
