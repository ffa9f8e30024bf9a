//! The scenario lab and the echo pair, shared by rss's examples (`lab`,
//! `echo_server`, `echo_client`) and tests (`lab`, `echo`, `doctor`).
//!
//! - [`scenarios`]: each scenario builds one of the seed's socket situations
//!   in a private network namespace and hands every step to an
//!   [`Observer`](scenarios::Observer);
//! - [`echo`]: the seed's line echo server and client, with the knobs that
//!   produce its socket states.

pub mod echo;
pub mod scenarios;
