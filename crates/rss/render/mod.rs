//! Rendering sockets as `ss` prints them: the column engine ([`engine`]),
//! each socket's fields ([`fields`], the `-i` ones in [`tcpinfo`]), and the
//! formatting ([`fmt`]) and name lookups ([`names`]) they are built from.
//!
//! The renderer is pure with respect to the kernel: it turns
//! [`sockdiag::Socket`] values into text. Spellings that are `ss`'s own
//! (`ESTAB`, `u_str`, `users:(…)`) live here, not in the library.

/// `write!` into a byte buffer, which cannot fail.
macro_rules! out {
    ($buf:expr, $($arg:tt)*) => {{
        let _ = write!($buf, $($arg)*);
    }};
}

pub mod engine;
pub mod fields;
pub mod fmt;
pub mod names;
pub mod options;
pub mod tcpinfo;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

pub use engine::TableRenderer;
pub use names::{Names, Transport};
pub use options::{RenderOptions, screen_width};
