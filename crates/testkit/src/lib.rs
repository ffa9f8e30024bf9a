//! Test and bench support for rss: private network namespaces, the system
//! `ss`, socket farms.
//!
//! A "scenario lab" for live tests, benches and examples:
//!
//! - [`privileged`] / [`require_privileged!`] and [`require_tool`](fn@require_tool) /
//!   [`require_tool!`](macro@require_tool) skip a test loudly when it cannot
//!   run here, or fail it when `RSS_REQUIRE_PRIVILEGED=1` (CI).
//! - [`NetNs`] is an anonymous network namespace owned by a dedicated
//!   thread: run closures in it, start processes in it (the system `ss` as
//!   the oracle), set its sysctls.
//! - [`listener`], [`connect`] and [`wait_until`] build and observe sockets
//!   inside it.
//! - [`Farm`] holds established loopback TCP pairs in child processes
//!   (500,000 pairs, a million sockets, in `benches/scale.py`), for scale
//!   tests and benches.
//!
//! This crate must never depend on the sockdiag library it helps to test:
//! it sees sockets only through the system `ss` and the kernel.
//!
//! ```no_run
//! use testkit::{NetNs, listener, require_privileged, require_tool};
//!
//! fn listener_is_visible() {
//!     require_privileged!();
//!     require_tool!("/usr/bin/ss");
//!     let ns = NetNs::new().unwrap();
//!     let sock = ns
//!         .run(|| listener("127.0.0.1:0".parse().unwrap(), 5, None))
//!         .unwrap();
//!     let port = testkit::local_port(&sock).unwrap();
//!     assert!(ns.ss(&["-tlnH"]).contains(&format!("127.0.0.1:{port}")));
//! }
//! # listener_is_visible();
//! ```
#![deny(missing_docs)]
#![cfg(target_os = "linux")]

mod farm;
mod netns;
mod oracle;
mod skip;
mod sock;
mod tty;

pub use farm::{Farm, MAX_PAIRS_PER_CHILD, READY_TIMEOUT};
pub use netns::{NetNs, SS_PATH, with_private_run_netns};
pub use oracle::{ORACLE_DEFAULT, ORACLE_ENV, oracle_path, require_oracle};
#[doc(hidden)]
pub use skip::__type_name_of;
pub use skip::{REQUIRE_ENV, find_tool, privilege_error, privileged, require, require_tool};
pub use sock::{connect, listener, local_port, mkfifo, spawn_named, wait_until};
pub use tty::output_on_tty;
