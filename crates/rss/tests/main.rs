//! rss's integration tests, one binary: a module per area (each file of
//! this folder), with the helpers they share in `common/` (`MASKED`, the
//! oracle comparison). Nextest names a test `main` and `MODULE::TEST`
//! (`cargo nextest run -E 'package(rss) & binary(main) & test(/^churn::/)'`) and still runs
//! each in a process of its own.
//!
//! Every `.rs` file here is a module below; `scripts/check-test-targets`
//! fails on one that is not (`autotests = false` would leave it unbuilt).

mod common;

mod bad_input;
mod bench_cmd;
mod churn;
mod cli_diff;
mod cli_errors;
mod docs;
mod doctor;
mod doctor_conn;
mod doctor_watch;
mod echo;
mod fallback;
mod files;
mod fuzz_regressions;
mod json_schema;
mod json_values;
mod kill;
mod lab;
mod live_views;
mod privileges;
mod process_walk;
mod replay;
mod single_netns;
mod subcommands;
mod top;
