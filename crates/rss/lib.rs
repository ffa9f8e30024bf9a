//! The `rss` command line: argument parsing, query building and renderers.
//!
//! `main.rs` only dispatches into [`run_main()`] ([`run()`], which may move
//! the main thread into `-N`'s namespace) so that examples (the scenario
//! lab, through [`run()`]), benches and later subcommands reuse the same
//! code. Arguments become
//! a plain [`args::Config`]; the config becomes a `sockdiag::Query`; sockets
//! stream into a renderer ([`render`] for ss's table, [`json`] for `-j`).
//!
//! No `unsafe` outside the private `sys` module, which wraps each C library
//! call the CLI needs (interface names, reverse lookups, the terminal's
//! width, stop signals) in a safe function.
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod args;
pub mod bench;
pub mod commands;
pub mod doctor;
pub mod exit;
pub mod explain;
pub mod exporter;
pub mod filter;
pub mod json;
pub mod kill;
pub mod namespaces;
pub mod netns_all;
pub mod plan;
pub mod run;

pub use commands::{run, run_main};
pub use exit::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};
pub mod render;
pub mod socket_metrics;
pub mod summary;
#[allow(unsafe_code)]
mod sys;
pub mod top;
pub mod watch;
