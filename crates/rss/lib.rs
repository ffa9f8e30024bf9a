//! The `rss` command line: argument parsing, query building and renderers.
//!
//! `main.rs` only dispatches into [`run()`] so that examples (the scenario
//! lab), benches and later subcommands reuse the same code. Arguments become
//! a plain [`args::Config`]; the config becomes a `sockdiag::Query`; sockets
//! stream into a renderer ([`render`] for ss's table, [`json`] for `-j`).
#![deny(missing_docs)]

pub mod args;
pub mod bench;
pub mod commands;
pub mod doctor;
pub mod explain;
pub mod exporter;
pub mod filter;
pub mod json;
pub mod kill;
pub mod netns_all;
pub mod run;

pub use run::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE, run};
pub mod render;
pub mod summary;
pub mod top;
pub mod watch;
