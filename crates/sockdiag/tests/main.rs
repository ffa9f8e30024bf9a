//! sockdiag's integration tests, one binary: a module per area (each file
//! of this folder). `no_alloc.rs` is a binary of its own: it installs a
//! counting `#[global_allocator]` for its whole process.
//!
//! Every `.rs` file here is a module below or a `[[test]]` of its own in
//! `Cargo.toml`; `scripts/check-test-targets` fails on one that is neither.

mod events;
mod examples;
mod filter_property;
mod json;
mod kill;
mod live;
mod netns;
mod process_privilege;
mod ss_text;
mod tcp_single_walk;
