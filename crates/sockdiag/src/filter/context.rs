//! [`FilterContext`]: what a filter needs from the namespace it runs in.

/// What a filter needs to know about the network namespace it runs in,
/// read once per filter or dump instead of once per socket.
///
/// ```
/// use sockdiag::filter::FilterContext;
/// let ctx = FilterContext::new((40000, 40001));
/// assert_eq!(ctx.local_port_range(), (40000, 40001));
/// assert_eq!(FilterContext::default().local_port_range(), (32768, 60999));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FilterContext {
    local_port_range: (u16, u16),
}

impl Default for FilterContext {
    /// The kernel's default `ip_local_port_range`, 32768-60999.
    fn default() -> FilterContext {
        FilterContext::new((32768, 60999))
    }
}

impl FilterContext {
    /// A context with this `ip_local_port_range` (inclusive bounds).
    pub fn new(local_port_range: (u16, u16)) -> FilterContext {
        FilterContext { local_port_range }
    }

    /// Reads `/proc/sys/net/ipv4/ip_local_port_range` of the calling
    /// thread's network namespace; the kernel default when unreadable.
    pub fn current() -> FilterContext {
        crate::host::local_port_range()
            .map(FilterContext::new)
            .unwrap_or_default()
    }

    /// Parses the text of `ip_local_port_range` ("32768\t60999\n").
    ///
    /// ```
    /// use sockdiag::filter::FilterContext;
    /// let ctx = FilterContext::parse_port_range("1024\t2048\n").unwrap();
    /// assert_eq!(ctx.local_port_range(), (1024, 2048));
    /// assert!(FilterContext::parse_port_range("nonsense").is_none());
    /// ```
    pub fn parse_port_range(text: &str) -> Option<FilterContext> {
        crate::host::parse_port_range(text).map(FilterContext::new)
    }

    /// The local port range: ports the kernel picks for `autobound` sockets.
    pub fn local_port_range(&self) -> (u16, u16) {
        self.local_port_range
    }

    pub(super) fn range(&self) -> (u64, u64) {
        (
            self.local_port_range.0 as u64,
            self.local_port_range.1 as u64,
        )
    }
}
