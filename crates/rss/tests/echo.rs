//! The echo pair (`examples/echo_server.rs`, `examples/echo_client.rs`):
//! the seed's scripts' messages and line protocol, and the states the knobs
//! produce.
//!
//! The tests run the examples' own code in-process: both binaries are thin
//! wrappers around `lab::echo` (`crates/lab/src/echo.rs`), used here. Spawning the
//! example executables instead would need them built first, and
//! `cargo test --test main` does not build examples, so a test could pick up
//! a stale binary or none; in-process, the code under test is always the
//! code just compiled. What the binaries add — the `PID:` banner, the Ctrl-C
//! handler, `std::process::exit` — is a few lines in each `main`.
//!
//! The conversations run on the host's loopback with ports the kernel picks
//! (port 0), which needs no privilege, so these tests run everywhere; the
//! state checks look only at the sockets of those ports.

use lab::echo;

use std::io::{BufRead, BufReader, Cursor, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use echo::{ClientArgs, ClientEnd, ServerArgs};
use sockdiag::{Query, Socket, State, TimerKind};

fn server_args(extra: &[&str]) -> ServerArgs {
    let mut argv = vec!["echo_server", "--port", "0"];
    argv.extend_from_slice(extra);
    ServerArgs::try_parse_from(argv).unwrap()
}

fn client_args(port: u16, extra: &[&str]) -> ClientArgs {
    let port = port.to_string();
    let mut argv = vec!["echo_client", "--sport", &port];
    argv.extend_from_slice(extra);
    ClientArgs::try_parse_from(argv).unwrap()
}

/// Starts a server for `conns` connections; the handle returns what it
/// printed and the connections the knobs kept open.
fn start_server(
    args: ServerArgs,
    conns: usize,
) -> (SocketAddr, thread::JoinHandle<(String, Vec<TcpStream>)>) {
    let listener = echo::bind(&args).unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let mut out = Vec::new();
        let kept = echo::serve(&listener, &args, &mut out, Some(conns)).unwrap();
        (String::from_utf8(out).unwrap(), kept)
    });
    (addr, handle)
}

/// Runs the client over `input` and returns how it ended and what it printed.
fn run_client(args: &ClientArgs, input: &str) -> (ClientEnd, String) {
    let mut out = Vec::new();
    let end = echo::converse(args, &mut Cursor::new(input.as_bytes()), &mut out).unwrap();
    (end, String::from_utf8(out).unwrap())
}

/// The sockets of the current namespace with these two ends.
fn sockets(local: SocketAddr, peer: SocketAddr) -> Vec<Socket> {
    Query::tcp()
        .with_info()
        .dump()
        .unwrap()
        .map(Result::unwrap)
        .filter(|s| echo_addr(&s.local) == Some(local) && echo_addr(&s.peer) == Some(peer))
        .collect()
}

fn echo_addr(e: &sockdiag::Endpoint) -> Option<SocketAddr> {
    match *e {
        sockdiag::Endpoint::Inet { addr, port } => Some(SocketAddr::new(addr, port)),
        _ => None,
    }
}

/// Polls until the socket with these ends satisfies `cond`.
fn wait_socket(
    local: SocketAddr,
    peer: SocketAddr,
    what: &str,
    cond: impl Fn(&Socket) -> bool,
) -> Socket {
    let mut last = Vec::new();
    let found = testkit::wait_until(Duration::from_secs(10), || {
        last = sockets(local, peer);
        last.iter().any(&cond)
    });
    assert!(found, "{what}: {local} → {peer} is {last:?}");
    last.into_iter().find(cond).unwrap()
}

#[test]
fn a_line_sent_gets_server_reply() {
    let (addr, server) = start_server(server_args(&[]), 1);
    let (end, client_out) = run_client(&client_args(addr.port(), &[]), "hello\nrss lab\n");
    let (server_out, kept) = server.join().unwrap();
    assert!(kept.is_empty());
    assert_eq!(end, ClientEnd::Closed);
    assert_eq!(
        client_out,
        "Connected. Type lines to send. Ctrl-C to quit.\n\
         Server reply: hello\n\
         Server reply: rss lab\n\
         EOF from stdin, closing.\n"
    );
    let first = server_out.lines().next().unwrap();
    let who = first
        .strip_prefix("Accepted connection from ")
        .unwrap_or_else(|| panic!("{server_out}"));
    assert!(
        who.starts_with("('127.0.0.1', ") && who.ends_with(')'),
        "{who}"
    );
    assert_eq!(
        server_out,
        format!(
            "Accepted connection from {who}\n\
             Recv from {who}: hello\n\
             Recv from {who}: rss lab\n\
             Client {who} closed connection\n\
             Connection {who} closed, waiting next connection...\n"
        )
    );
}

#[test]
fn a_last_line_without_newline_is_still_sent() {
    // Python's input() returns a final line without its newline; the
    // script sends it with one.
    let (addr, server) = start_server(server_args(&[]), 1);
    let (_, client_out) = run_client(&client_args(addr.port(), &[]), "no newline");
    server.join().unwrap();
    assert!(
        client_out.contains("Server reply: no newline\n"),
        "{client_out}"
    );
}

#[test]
fn one_client_at_a_time_in_order() {
    let (addr, server) = start_server(server_args(&[]), 2);
    for line in ["first", "second"] {
        let (_, out) = run_client(&client_args(addr.port(), &[]), &format!("{line}\n"));
        assert!(out.contains(&format!("Server reply: {line}\n")), "{out}");
    }
    let (server_out, _) = server.join().unwrap();
    assert_eq!(server_out.matches("Accepted connection from").count(), 2);
    assert_eq!(server_out.matches("waiting next connection...").count(), 2);
}

#[test]
fn client_source_port_is_bound() {
    // A port that was free a moment ago.
    let cport = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (addr, server) = start_server(server_args(&[]), 1);
    let args = client_args(addr.port(), &["--cport", &cport.to_string()]);
    assert!(echo::client_banner(&args).ends_with(&format!("from local port {cport}")));
    run_client(&args, "x\n");
    let (server_out, _) = server.join().unwrap();
    assert!(
        server_out.starts_with(&format!(
            "Accepted connection from ('127.0.0.1', {cport})\n"
        )),
        "{server_out}"
    );
}

#[test]
fn refused_connect_fails_like_the_script() {
    // A port that was free a moment ago: nobody listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (end, out) = run_client(&client_args(port, &[]), "hello\n");
    assert_eq!(end, ClientEnd::Failed);
    assert_eq!(out, "Connect failed: [Errno 111] Connection refused\n");
}

#[test]
fn linger0_resets_the_server_read() {
    let (addr, server) = start_server(server_args(&[]), 1);
    let (end, client_out) = run_client(&client_args(addr.port(), &["--linger0"]), "bye\n");
    assert_eq!(end, ClientEnd::Closed);
    assert!(client_out.ends_with("EOF from stdin, closing.\nClosing with RST (--linger0).\n"));
    let (server_out, _) = server.join().unwrap();
    let lines: Vec<&str> = server_out.lines().collect();
    assert_eq!(lines.len(), 4, "{server_out}");
    assert!(lines[1].ends_with(": bye"), "{server_out}");
    assert!(
        lines[2].starts_with("Connection ('127.0.0.1', ")
            && lines[2].ends_with(" error: [Errno 104] Connection reset by peer"),
        "{server_out}"
    );
    assert!(lines[3].ends_with("closed, waiting next connection..."));
}

#[test]
fn no_close_leaves_close_wait_and_fin_wait_2() {
    let (addr, server) = start_server(server_args(&["--no-close"]), 1);
    let mut client = TcpStream::connect(addr).unwrap();
    let caddr = client.local_addr().unwrap();
    client.write_all(b"hi\n").unwrap();
    let mut reply = String::new();
    BufReader::new(&client).read_line(&mut reply).unwrap();
    assert_eq!(reply, "Server reply: hi\n");
    drop(client);
    let (server_out, kept) = server.join().unwrap();
    assert_eq!(kept.len(), 1, "{server_out}");
    assert!(server_out.ends_with("left open (--no-close), waiting next connection...\n"));
    let sv = wait_socket(addr, caddr, "server CLOSE-WAIT", |s| {
        s.state == State::CloseWait
    });
    assert_eq!((sv.recv_q, sv.send_q), (0, 0), "EOF was read");
    let cl = wait_socket(caddr, addr, "client FIN-WAIT-2", |s| {
        s.state == State::FinWait2
    });
    assert_eq!(cl.timer.map(|t| t.kind), Some(TimerKind::TimeWait));
    drop(kept);
}

#[test]
fn no_read_leaves_data_in_recv_q() {
    let (addr, server) = start_server(server_args(&["--no-read"]), 1);
    let mut client = TcpStream::connect(addr).unwrap();
    let caddr = client.local_addr().unwrap();
    let (server_out, kept) = server.join().unwrap();
    assert_eq!(kept.len(), 1);
    assert!(
        server_out.contains("Not reading from ('127.0.0.1', "),
        "{server_out}"
    );
    client.write_all(b"hello\nworld\n").unwrap();
    let sv = wait_socket(addr, caddr, "server Recv-Q 12", |s| s.recv_q == 12);
    assert_eq!(sv.state, State::Established);
    drop((client, kept));
}

#[test]
fn options_and_defaults_mirror_the_scripts() {
    let s = ServerArgs::try_parse_from(["echo_server"]).unwrap();
    assert_eq!((s.host.as_str(), s.port, s.backlog), ("127.0.0.1", 5000, 5));
    assert!(!s.no_accept && !s.no_read && !s.no_close);
    let c = ClientArgs::try_parse_from(["echo_client"]).unwrap();
    assert_eq!(
        (c.server.as_str(), c.sport, c.cport),
        ("127.0.0.1", 5000, 0)
    );
    assert!(!c.linger0 && !c.no_read && !c.stay);
    let c = ClientArgs::try_parse_from([
        "echo_client",
        "--server",
        "10.0.0.1",
        "--sport",
        "80",
        "--cport",
        "4000",
    ])
    .unwrap();
    assert_eq!(
        (c.server.as_str(), c.sport, c.cport),
        ("10.0.0.1", 80, 4000)
    );
    assert!(
        echo::client_banner(&ClientArgs::try_parse_from(["echo_client"]).unwrap())
            .ends_with("client connecting 127.0.0.1:5000 from local port auto")
    );
    assert!(echo::server_banner(&s).starts_with("PID:"));
    assert!(echo::server_banner(&s).ends_with(" server listening on 127.0.0.1:5000"));
}

#[test]
fn every_knob_says_which_state_it_makes() {
    let help = |mut cmd: clap::Command| cmd.render_long_help().to_string();
    let server = help(ServerArgs::command());
    let client = help(ClientArgs::command());
    for (text, knob, state) in [
        (&server, "--backlog", "SYN-SENT"),
        (&server, "--no-accept", "ESTAB"),
        (&server, "--no-read", "persist"),
        (&server, "--no-close", "CLOSE-WAIT"),
        (&client, "--linger0", "TIME-WAIT"),
        (&client, "--no-read", "Recv-Q"),
        (&client, "--stay", "CLOSE-WAIT"),
    ] {
        // Options are listed as `      --name`, one paragraph each.
        let at = text
            .find(&format!("\n      {knob}"))
            .unwrap_or_else(|| panic!("{knob} missing:\n{text}"));
        let section = &text[at + 1..];
        let end = section[2..]
            .find("\n      -")
            .map_or(section.len(), |i| i + 2);
        assert!(
            section[..end].contains(state),
            "{knob} does not mention {state}:\n{}",
            &section[..end]
        );
    }
}

#[test]
fn addresses_and_errors_print_as_python_does() {
    assert_eq!(
        echo::py_addr("127.0.0.1:43210".parse().unwrap()),
        "('127.0.0.1', 43210)"
    );
    assert_eq!(
        echo::py_addr("[::1]:80".parse().unwrap()),
        "('::1', 80, 0, 0)"
    );
    let e = std::io::Error::from_raw_os_error(libc::ECONNRESET);
    assert_eq!(echo::py_err(&e), "[Errno 104] Connection reset by peer");
    let e = std::io::Error::other("plain");
    assert_eq!(echo::py_err(&e), "plain");
}
