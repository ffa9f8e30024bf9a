//! Short names stored inline, and the name a unix socket is bound to.

use std::fmt;

/// A buffer of at most `N` bytes stored inline; serialised as a string, or
/// as an array of bytes when not UTF-8 (so nothing is lost).
///
/// ```
/// use sockdiag::InlineBytes;
/// let b = InlineBytes::<4>::new(b"cubic"); // truncated to 4 bytes
/// assert_eq!(b.as_bytes(), b"cubi");
/// assert_eq!(InlineBytes::<4>::new(b"\xffx").to_str_lossy(), "\u{fffd}x");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct InlineBytes<const N: usize> {
    len: u8,
    buf: [u8; N],
}

impl<const N: usize> InlineBytes<N> {
    /// Copies `b`, truncated to `N` bytes (and to 255).
    pub fn new(b: &[u8]) -> Self {
        let n = b.len().min(N).min(255);
        let mut buf = [0u8; N];
        buf[..n].copy_from_slice(&b[..n]);
        InlineBytes { len: n as u8, buf }
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }

    /// The bytes as text, with invalid UTF-8 replaced.
    pub fn to_str_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.as_bytes())
    }
}

impl<const N: usize> Default for InlineBytes<N> {
    fn default() -> Self {
        InlineBytes {
            len: 0,
            buf: [0; N],
        }
    }
}

impl<const N: usize> fmt::Debug for InlineBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_str_lossy())
    }
}

impl<const N: usize> fmt::Display for InlineBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_str_lossy())
    }
}

/// A congestion-control or ULP name: at most 15 bytes (`TCP_CA_NAME_MAX`
/// and `TCP_ULP_NAME_MAX` are 16 with the terminating NUL).
///
/// ```
/// use sockdiag::ShortName;
/// let cc = ShortName::new(b"cubic");
/// assert_eq!(cc.to_string(), "cubic");
/// assert_eq!(cc.as_bytes(), b"cubic");
/// ```
pub type ShortName = InlineBytes<{ crate::consts::TCP_CA_NAME_MAX - 1 }>;

/// The name a unix socket is bound to: none, a filesystem path or an
/// abstract name.
///
/// A name takes one pointer in the [`Endpoint`](crate::Endpoint) (it is stored behind a
/// `Box`, allocated only for named sockets), so that an [`Endpoint`](crate::Endpoint) and a
/// [`Socket`](crate::Socket) stay small. [`UnixName::view`] gives the three cases to
/// match on.
///
/// ```
/// use sockdiag::{UnixName, UnixNameRef};
/// let n = UnixName::from_sun_path(b"\0my-service");
/// assert_eq!(n.view(), UnixNameRef::Abstract(b"my-service"));
/// assert_eq!(n.to_string(), "@my-service");
/// let p = UnixName::new_path(b"/run/app.sock");
/// assert_eq!(p.path(), Some(&b"/run/app.sock"[..]));
/// assert!(UnixName::UNNAMED.is_unnamed());
/// assert_eq!(UnixName::UNNAMED.to_string(), "*");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct UnixName(Option<Box<NamedUnix>>);

/// A bound unix name (behind [`UnixName`]'s pointer).
#[derive(Clone, PartialEq, Eq, Hash)]
struct NamedUnix {
    is_abstract: bool,
    bytes: InlineBytes<{ crate::consts::UNIX_PATH_MAX }>,
}

/// A borrowed view of a [`UnixName`], to match on.
///
/// ```
/// use sockdiag::{UnixName, UnixNameRef};
/// let n = UnixName::new_path(b"/tmp/x");
/// let shown = match n.view() {
///     UnixNameRef::Unnamed => "*".to_string(),
///     UnixNameRef::Path(p) => String::from_utf8_lossy(p).into_owned(),
///     UnixNameRef::Abstract(a) => format!("@{}", String::from_utf8_lossy(a)),
/// };
/// assert_eq!(shown, "/tmp/x");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnixNameRef<'a> {
    /// Not bound (or an autobound socket before its name is read).
    Unnamed,
    /// A filesystem path (without a trailing NUL).
    Path(&'a [u8]),
    /// An abstract name, without its leading NUL byte.
    Abstract(&'a [u8]),
}

impl UnixName {
    /// No name.
    pub const UNNAMED: UnixName = UnixName(None);

    /// A filesystem path, truncated to `UNIX_PATH_MAX` (108) bytes.
    pub fn new_path(path: &[u8]) -> UnixName {
        UnixName::named(false, path)
    }

    /// An abstract name (given without its leading NUL), truncated to 108
    /// bytes.
    pub fn new_abstract(name: &[u8]) -> UnixName {
        UnixName::named(true, name)
    }

    fn named(is_abstract: bool, b: &[u8]) -> UnixName {
        UnixName(Some(Box::new(NamedUnix {
            is_abstract,
            bytes: InlineBytes::new(b),
        })))
    }

    /// Decodes `UNIX_DIAG_NAME` (or a `/proc/net/unix` path, `@` already
    /// replaced by NUL): empty is unnamed, a leading NUL marks an abstract
    /// name, a path ends at its first NUL.
    pub fn from_sun_path(b: &[u8]) -> UnixName {
        match b.split_first() {
            None => UnixName::UNNAMED,
            Some((0, rest)) => UnixName::new_abstract(rest),
            Some(_) => UnixName::new_path(crate::wire::cstr(b)),
        }
    }

    /// The three cases, borrowed.
    pub fn view(&self) -> UnixNameRef<'_> {
        match &self.0 {
            None => UnixNameRef::Unnamed,
            Some(n) if n.is_abstract => UnixNameRef::Abstract(n.bytes.as_bytes()),
            Some(n) => UnixNameRef::Path(n.bytes.as_bytes()),
        }
    }

    /// True when not bound.
    pub fn is_unnamed(&self) -> bool {
        self.0.is_none()
    }

    /// The filesystem path, if bound to one.
    pub fn path(&self) -> Option<&[u8]> {
        match self.view() {
            UnixNameRef::Path(p) => Some(p),
            _ => None,
        }
    }

    /// The abstract name (without its leading NUL), if bound to one.
    pub fn abstract_name(&self) -> Option<&[u8]> {
        match self.view() {
            UnixNameRef::Abstract(a) => Some(a),
            _ => None,
        }
    }
}

impl fmt::Debug for UnixName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match self.view() {
            UnixNameRef::Unnamed => f.write_str("Unnamed"),
            UnixNameRef::Path(p) => f.debug_tuple("Path").field(&text(p)).finish(),
            UnixNameRef::Abstract(a) => f.debug_tuple("Abstract").field(&text(a)).finish(),
        }
    }
}
