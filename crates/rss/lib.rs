//! The `rss` command line: argument parsing, query building and renderers.
//!
//! `main.rs` only dispatches into this library so that examples, benches and
//! later subcommands reuse the same code.
