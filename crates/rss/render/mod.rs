//! Rendering sockets as `ss` prints them: the table ([`table`]) and the
//! formatting ([`fmt`]) and name lookups ([`names`]) it is built from.
//!
//! The renderer is pure with respect to the kernel: it turns
//! [`sockdiag::Socket`] values into text. Spellings that are `ss`'s own
//! (`ESTAB`, `u_str`, `users:(…)`) live here, not in the library.

pub mod fmt;
pub mod names;
pub mod table;

pub use names::{Names, Transport};
pub use table::{RenderOptions, TableRenderer, netid_name, screen_width, state_name};
