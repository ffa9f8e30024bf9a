//! The repository's generators, run as `cargo xtask TASK` (the alias in
//! `.cargo/config.toml`). rss's tests call the same functions, so what they
//! check is what the task writes.
//!
//! - [`gen_docs`]: `rss.1`, one `rss-NAME.1` per subcommand, and the bash,
//!   zsh and fish completions.
//! - [`gen_schemas`]: the JSON Schemas under `schema/`.

pub mod gen_docs;
pub mod gen_schemas;
