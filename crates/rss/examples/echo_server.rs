//! The seed's `server_loop.py` in Rust: a line echo server, one client at a
//! time, plus knobs that produce the seed's socket states on purpose.
//!
//! ```text
//! cargo run --example echo_server -- [--host H] [--port P] [--backlog N]
//!                                    [--no-accept | --no-read | --no-close]
//! cargo run --example echo_server -- --help   # each knob and the state it makes
//! ```
//!
//! Its logic lives in the `lab` crate (`lab::echo`), shared with the client
//! and with `tests/echo.rs`.

use lab::echo;

use clap::Parser;

fn main() {
    let args = echo::ServerArgs::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    println!("{}", echo::server_banner(&args));
    if let Err(e) = echo::exit_on_sigint(true) {
        eprintln!("echo_server: cannot handle Ctrl-C: {e}");
    }
    let result =
        echo::bind(&args).and_then(|listener| echo::serve(&listener, &args, &mut out, None));
    if let Err(e) = result {
        eprintln!(
            "echo_server: {}:{}: {}",
            args.host,
            args.port,
            echo::py_err(&e)
        );
        std::process::exit(1);
    }
}
