//! The seed's `client_loop.py` in Rust: sends each stdin line to the echo
//! server and prints its reply, plus knobs that close the connection the
//! seed's abnormal ways.
//!
//! ```text
//! cargo run --example echo_client -- [--server H] [--sport P] [--cport P]
//!                                    [--linger0] [--no-read] [--stay]
//! cargo run --example echo_client -- --help   # each knob and the state it makes
//! ```
//!
//! Its logic lives in the `lab` crate (`lab::echo`), shared with the server
//! and with `tests/echo.rs`.

use lab::echo;

use clap::Parser;

fn main() {
    let args = echo::ClientArgs::parse();
    println!("{}", echo::client_banner(&args));
    if let Err(e) = echo::exit_on_sigint(false) {
        eprintln!("echo_client: cannot handle Ctrl-C: {e}");
    }
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let code = match echo::converse(&args, &mut stdin.lock(), &mut stdout.lock()) {
        Ok(echo::ClientEnd::Closed) => 0,
        Ok(echo::ClientEnd::Failed) => 1,
        Err(e) => {
            eprintln!("echo_client: {}", echo::py_err(&e));
            1
        }
    };
    std::process::exit(code);
}
