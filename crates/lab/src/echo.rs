//! The echo pair of the seed's experiments: `server_loop.py` and
//! `client_loop.py` in Rust, shared by rss's examples `echo_server` and
//! `echo_client` and its test `crates/rss/tests/echo.rs`.
//!
//! The binaries are thin: they parse arguments, print the `PID:…` banner,
//! install the Ctrl-C handler and call [`serve`] or [`converse`]. Everything
//! the scripts print goes through an `out: &mut dyn Write`, so the tests run
//! the very same code in-process and read what it printed.
//!
//! Messages are the scripts' own, addresses included: Python prints a peer
//! as its `(host, port)` tuple, so do we (see [`py_addr`]); errors read like
//! Python's `OSError` (`[Errno 104] Connection reset by peer`, see
//! [`py_err`]). Lines added for the knobs say which knob is acting.

#![allow(dead_code)] // each includer uses its own half

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::Duration;

use clap::Parser;
use socket2::{Domain, Protocol, Socket, Type};

/// `echo_server`: the arguments of `server_loop.py` plus the knobs.
#[derive(Parser, Debug, Clone, PartialEq, Eq)]
#[command(
    name = "echo_server",
    about = "Line echo server of the seed's experiments (server_loop.py in Rust)",
    long_about = "Line echo server of the seed's experiments (server_loop.py in Rust).\n\n\
        Listens on HOST:PORT with SO_REUSEADDR, serves one client at a time and \
        answers every line with `Server reply: <line>`. Ctrl-C prints \
        `Server exiting.` and exits.\n\n\
        The --backlog/--no-* knobs produce the seed's socket states on purpose; \
        watch them with `rss -tano` (or `ss -tano`) while a client runs.",
    after_help = "Examples:\n  \
        cargo run --example echo_server -- --no-accept --backlog 5\n  \
        cargo run --example echo_server -- --no-read"
)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 5000)]
    pub port: u16,
    /// listen(2) backlog. The LISTEN row shows it as Send-Q; its Recv-Q
    /// counts handshakes completed but not yet accepted, at most backlog+1.
    /// Beyond that the kernel drops new SYNs (ListenOverflows rises) and
    /// those clients stay SYN-SENT, retransmitting.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub backlog: i32,
    /// Never accept(2). Clients still complete the handshake and show
    /// ESTAB, while the LISTEN row's Recv-Q climbs to backlog+1; later
    /// clients stay SYN-SENT (see --backlog).
    #[arg(long)]
    pub no_accept: bool,
    /// Accept but never read, and keep every connection open. The server's
    /// ESTAB row shows Recv-Q growing by every byte the client sends; once
    /// the receive buffer is full the client's Send-Q grows instead, the
    /// window closes and the client's timer becomes `persist`.
    #[arg(long)]
    pub no_read: bool,
    /// Never close a connection after the client leaves (EOF is read, the
    /// socket is kept). The server's row stays CLOSE-WAIT with Recv-Q 0,
    /// the client's FIN-WAIT-2 with a `timewait` timer (tcp_fin_timeout)
    /// once it has closed.
    #[arg(long)]
    pub no_close: bool,
}

/// `echo_client`: the arguments of `client_loop.py` plus the knobs.
#[derive(Parser, Debug, Clone, PartialEq, Eq)]
#[command(
    name = "echo_client",
    about = "Line echo client of the seed's experiments (client_loop.py in Rust)",
    long_about = "Line echo client of the seed's experiments (client_loop.py in Rust).\n\n\
        Connects to SERVER:SPORT (from CPORT when given, with SO_REUSEADDR), sends \
        every stdin line and prints the server's reply. End of stdin (Ctrl-D) \
        closes the connection; Ctrl-C prints `Client exiting.` and exits.\n\n\
        The knobs produce the seed's closing situations on purpose; watch them \
        with `rss -tano` (or `ss -tano`).",
    after_help = "Examples:\n  \
        cargo run --example echo_client -- --sport 5000\n  \
        printf 'hi\\n' | cargo run --example echo_client -- --linger0"
)]
pub struct ClientArgs {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    pub server: String,
    /// Server port.
    #[arg(long, default_value_t = 5000)]
    pub sport: u16,
    /// Client (source) port, 0 = auto.
    #[arg(long, default_value_t = 0)]
    pub cport: u16,
    /// Close with SO_LINGER {on, 0}: close(2) sends RST instead of FIN. No
    /// row and no TIME-WAIT remain on this side, the server's next read
    /// fails with ECONNRESET and the counters OutRsts and EstabResets move.
    #[arg(long)]
    pub linger0: bool,
    /// Send lines but never read the replies: this client's ESTAB row shows
    /// Recv-Q growing by every `Server reply: …` line. Closing with replies
    /// unread makes close(2) send a RST instead of a FIN.
    #[arg(long)]
    pub no_read: bool,
    /// Keep the socket open after stdin ends instead of closing it: both
    /// rows stay ESTAB (idle, no timer). If the server then closes, this
    /// side shows CLOSE-WAIT and the server's FIN-WAIT-2.
    #[arg(long)]
    pub stay: bool,
}

/// A peer address as Python prints the `addr` of `accept()`:
/// `('127.0.0.1', 43210)`, or `('::1', 43210, 0, 0)` for IPv6.
pub fn py_addr(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!("('{}', {})", a.ip(), a.port()),
        SocketAddr::V6(a) => format!(
            "('{}', {}, {}, {})",
            a.ip(),
            a.port(),
            a.flowinfo(),
            a.scope_id()
        ),
    }
}

/// An error as Python's `str(OSError)` prints it:
/// `[Errno 111] Connection refused`.
pub fn py_err(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => {
            let text = e.to_string();
            let suffix = format!(" (os error {code})");
            let msg = text.strip_suffix(&suffix).unwrap_or(&text);
            format!("[Errno {code}] {msg}")
        }
        None => e.to_string(),
    }
}

/// The first line both scripts print.
pub fn server_banner(args: &ServerArgs) -> String {
    format!(
        "PID:{} server listening on {}:{}",
        std::process::id(),
        args.host,
        args.port
    )
}

/// The first line of the client.
pub fn client_banner(args: &ClientArgs) -> String {
    let from = match args.cport {
        0 => "auto".to_owned(),
        p => p.to_string(),
    };
    format!(
        "PID:{} client connecting {}:{} from local port {from}",
        std::process::id(),
        args.server,
        args.sport
    )
}

fn resolve(host: &str, port: u16) -> io::Result<SocketAddr> {
    (host, port).to_socket_addrs()?.next().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            format!("{host}: no address"),
        )
    })
}

/// The script's listening socket: SO_REUSEADDR, bind, `listen(backlog)`.
pub fn bind(args: &ServerArgs) -> io::Result<TcpListener> {
    let addr = resolve(&args.host, args.port)?;
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    sock.set_reuse_address(true)?;
    sock.bind(&addr.into())?;
    sock.listen(args.backlog)?;
    Ok(sock.into())
}

/// Sleeps forever (until Ctrl-C, or until the process ends).
fn park_forever() -> ! {
    loop {
        std::thread::park();
    }
}

/// The server loop of `server_loop.py`, one client at a time.
///
/// Returns after `limit` connections when given (tests), with the
/// connections `--no-read`/`--no-close` kept open; otherwise runs until the
/// process is interrupted. With `--no-accept` it never returns.
pub fn serve(
    listener: &TcpListener,
    args: &ServerArgs,
    out: &mut dyn Write,
    limit: Option<usize>,
) -> io::Result<Vec<TcpStream>> {
    if args.no_accept {
        say(
            out,
            "Not accepting (--no-accept): handshakes wait in the accept queue.",
        )?;
        park_forever();
    }
    // Connections the knobs keep open; never read, never closed.
    let mut kept: Vec<TcpStream> = Vec::new();
    let mut served = 0;
    while limit.is_none_or(|n| served < n) {
        let (conn, addr) = listener.accept()?;
        served += 1;
        let who = py_addr(addr);
        say(out, &format!("Accepted connection from {who}"))?;
        if args.no_read {
            say(
                out,
                &format!("Not reading from {who} (--no-read), waiting next connection..."),
            )?;
            kept.push(conn);
            continue;
        }
        if let Err(e) = echo_lines(&conn, &who, out) {
            say(out, &format!("Connection {who} error: {}", py_err(&e)))?;
        }
        if args.no_close {
            kept.push(conn);
            say(
                out,
                &format!("Connection {who} left open (--no-close), waiting next connection..."),
            )?;
        } else {
            drop(conn);
            say(
                out,
                &format!("Connection {who} closed, waiting next connection..."),
            )?;
        }
    }
    Ok(kept)
}

/// Reads lines until EOF and answers each; an I/O error ends the
/// connection (the script's `except Exception`).
fn echo_lines(conn: &TcpStream, who: &str, out: &mut dyn Write) -> io::Result<()> {
    let mut rf = BufReader::new(conn);
    let mut wf = conn;
    let mut line = Vec::new();
    loop {
        line.clear();
        if rf.read_until(b'\n', &mut line)? == 0 {
            return say(out, &format!("Client {who} closed connection"));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches('\n');
        say(out, &format!("Recv from {who}: {text}"))?;
        wf.write_all(format!("Server reply: {text}\n").as_bytes())?;
        wf.flush()?;
    }
}

/// How a client run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientEnd {
    /// stdin ended (or the server closed); the socket was closed.
    Closed,
    /// The connection failed: the script exits 1.
    Failed,
}

/// Connects as the script does: SO_REUSEADDR, bind `0.0.0.0:cport` when
/// given, connect.
pub fn connect(args: &ClientArgs) -> io::Result<TcpStream> {
    let addr = resolve(&args.server, args.sport)?;
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    sock.set_reuse_address(true)?;
    if args.cport != 0 {
        let any: SocketAddr = match addr {
            SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, args.cport).into(),
            SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, args.cport).into(),
        };
        sock.bind(&any.into())?;
    }
    sock.connect(&addr.into())?;
    Ok(sock.into())
}

/// The client of `client_loop.py` after its banner: connect, then one line
/// out and one reply in per stdin line, then close.
///
/// With `--stay` it never returns once stdin ends (Ctrl-C ends it).
pub fn converse(
    args: &ClientArgs,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> io::Result<ClientEnd> {
    let conn = match connect(args) {
        Ok(c) => c,
        Err(e) => {
            say(out, &format!("Connect failed: {}", py_err(&e)))?;
            return Ok(ClientEnd::Failed);
        }
    };
    say(out, "Connected. Type lines to send. Ctrl-C to quit.")?;
    let (end, eof) = match exchange(&conn, args, input, out)? {
        Ok(eof) => (ClientEnd::Closed, eof),
        Err(e) => {
            // The script has no handler here: Python would print a
            // traceback ending in this error and exit 1.
            say(out, &format!("Connection error: {}", py_err(&e)))?;
            (ClientEnd::Failed, false)
        }
    };
    if args.stay {
        if !eof {
            say(out, "Keeping the socket open (--stay). Ctrl-C to quit.")?;
        }
        park_forever();
    }
    if args.linger0 {
        // SO_LINGER {on, 0}: close(2) aborts the connection with a RST.
        socket2::SockRef::from(&conn).set_linger(Some(Duration::ZERO))?;
        say(out, "Closing with RST (--linger0).")?;
    }
    drop(conn);
    Ok(end)
}

/// The line loop; the outer `Result` is the terminal's (stdin, stdout), the
/// inner one the connection's: `true` when stdin ended, `false` when the
/// server closed.
fn exchange(
    conn: &TcpStream,
    args: &ClientArgs,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> io::Result<io::Result<bool>> {
    let mut rf = BufReader::new(conn);
    let mut wf = conn;
    let mut line = String::new();
    let mut resp = Vec::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            if args.stay {
                say(
                    out,
                    "EOF from stdin, keeping the socket open (--stay). Ctrl-C to quit.",
                )?;
            } else {
                say(out, "EOF from stdin, closing.")?;
            }
            return Ok(Ok(true));
        }
        // input() drops the newline; the script sends its own.
        let text = line.strip_suffix('\n').unwrap_or(&line);
        if let Err(e) = wf.write_all(format!("{text}\n").as_bytes()) {
            return Ok(Err(e));
        }
        if args.no_read {
            continue;
        }
        resp.clear();
        match rf.read_until(b'\n', &mut resp) {
            Ok(0) => {
                say(out, "Server closed connection.")?;
                return Ok(Ok(false));
            }
            Ok(_) => {
                let text = String::from_utf8_lossy(&resp);
                say(out, text.trim_end_matches('\n'))?;
            }
            Err(e) => return Ok(Err(e)),
        }
    }
}

/// Prints one line and flushes, as Python's line-buffered print on a tty.
fn say(out: &mut dyn Write, line: &str) -> io::Result<()> {
    writeln!(out, "{line}")?;
    out.flush()
}

/// Makes Ctrl-C print `\n<message>` and exit 0, as the scripts' SIGINT
/// handlers do.
///
/// The handler only calls `write(2)` and `_exit(2)`, which are
/// async-signal-safe. `_exit` skips destructors: the kernel closes the
/// sockets, which is what the script's `with socket…` does on `sys.exit`.
pub fn exit_on_sigint(server: bool) -> io::Result<()> {
    extern "C" fn on_sigint_server(_: libc::c_int) {
        leave(b"\nServer exiting.\n")
    }
    extern "C" fn on_sigint_client(_: libc::c_int) {
        leave(b"\nClient exiting.\n")
    }
    fn leave(msg: &[u8]) {
        // SAFETY: write(2) from a static buffer and _exit(2) are
        // async-signal-safe; nothing else runs in the handler.
        unsafe {
            libc::write(1, msg.as_ptr().cast(), msg.len());
            libc::_exit(0);
        }
    }
    let handler: extern "C" fn(libc::c_int) = if server {
        on_sigint_server
    } else {
        on_sigint_client
    };
    // SAFETY: an all-zero sigaction is a valid "no flags, empty mask" value;
    // we then set the handler and install it for SIGINT only.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = handler as libc::sighandler_t;
        libc::sigemptyset(&mut act.sa_mask);
        if libc::sigaction(libc::SIGINT, &act, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
