//! A socket's pending timer and its shutdown state.

use std::time::Duration;

/// The kind of timer pending on a socket (`idiag_timer`).
///
/// ```
/// use sockdiag::TimerKind;
/// assert_eq!(TimerKind::from_kernel(2), Some(TimerKind::Keepalive));
/// assert_eq!(TimerKind::from_kernel(0), None); // no timer
/// assert_eq!(TimerKind::from_kernel(9), Some(TimerKind::Unknown(9)));
/// assert_eq!(TimerKind::On.name(), "on");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimerKind {
    /// Retransmission, loss probe or SYN-ACK timer (`ss`: `on`).
    On,
    /// Keepalive.
    Keepalive,
    /// TIME-WAIT expiry.
    TimeWait,
    /// Zero-window probe (persist).
    Persist,
    /// Delayed ACK.
    Delack,
    /// A number this library does not know.
    Unknown(u8),
}

impl TimerKind {
    /// From `idiag_timer`; `None` for 0 (no timer).
    pub fn from_kernel(n: u8) -> Option<TimerKind> {
        Some(match n {
            0 => return None,
            1 => TimerKind::On,
            2 => TimerKind::Keepalive,
            3 => TimerKind::TimeWait,
            4 => TimerKind::Persist,
            5 => TimerKind::Delack,
            n => TimerKind::Unknown(n),
        })
    }

    /// Name as `ss -o` prints it (also the serde name).
    pub fn name(self) -> &'static str {
        match self {
            TimerKind::On => "on",
            TimerKind::Keepalive => "keepalive",
            TimerKind::TimeWait => "timewait",
            TimerKind::Persist => "persist",
            TimerKind::Delack => "delack",
            TimerKind::Unknown(_) => "unknown",
        }
    }
}

/// A pending timer (`idiag_timer`, `idiag_expires`, `idiag_retrans`).
///
/// The kernel reports the expiry in milliseconds as a 32-bit number; it is
/// kept as such ([`Timer::expires`] gives a `Duration`).
///
/// ```
/// use sockdiag::{Timer, TimerKind};
/// let t = Timer::new(TimerKind::Keepalive, 7_500, 0);
/// assert_eq!(t.expires(), std::time::Duration::from_millis(7_500));
/// # #[cfg(feature = "serde")]
/// assert_eq!(
///     serde_json::to_string(&t).unwrap(),
///     r#"{"kind":"keepalive","expires_ms":7500,"retransmits":0}"#
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct Timer {
    /// What the timer is for.
    pub kind: TimerKind,
    /// Milliseconds until it fires (`idiag_expires`).
    pub expires_ms: u32,
    /// Retransmissions (`on`) or probes (`keepalive`, `persist`) so far.
    pub retransmits: u8,
}

impl Timer {
    /// A timer of `kind` firing in `expires_ms` milliseconds.
    pub fn new(kind: TimerKind, expires_ms: u32, retransmits: u8) -> Timer {
        Timer {
            kind,
            expires_ms,
            retransmits,
        }
    }

    /// Time until it fires.
    pub fn expires(&self) -> Duration {
        Duration::from_millis(u64::from(self.expires_ms))
    }
}

/// Which directions have been shut down (`INET_DIAG_SHUTDOWN`, `UNIX_DIAG_SHUTDOWN`).
///
/// Exhaustive on purpose: a socket has two directions, and these are the
/// kernel's two `sk_shutdown` bits.
///
/// ```
/// use sockdiag::Shutdown;
/// assert_eq!(Shutdown::from_bits(2), Shutdown { recv: false, send: true });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Shutdown {
    /// `RCV_SHUTDOWN`: no more data will be received.
    pub recv: bool,
    /// `SEND_SHUTDOWN`: no more data will be sent.
    pub send: bool,
}

impl Shutdown {
    /// From the kernel's `sk_shutdown` bits.
    pub fn from_bits(b: u8) -> Shutdown {
        Shutdown {
            recv: b & 1 != 0,
            send: b & 2 != 0,
        }
    }
}
