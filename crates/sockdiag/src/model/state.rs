//! Socket states, numbered as the kernel's, and sets of states.

use std::fmt;

/// A socket state, numbered as the kernel's TCP states (`<net/tcp_states.h>`).
///
/// Unix, UDP, raw, packet and netlink sockets report the same numbers:
/// `Close` for unconnected sockets (what `ss` prints as `UNCONN`),
/// `Established` for connected ones, `Listen` for listeners.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum State {
    /// `TCP_ESTABLISHED` (1)
    Established,
    /// `TCP_SYN_SENT` (2)
    SynSent,
    /// `TCP_SYN_RECV` (3)
    SynRecv,
    /// `TCP_FIN_WAIT1` (4)
    FinWait1,
    /// `TCP_FIN_WAIT2` (5)
    FinWait2,
    /// `TCP_TIME_WAIT` (6)
    TimeWait,
    /// `TCP_CLOSE` (7): closed or never connected; serialised `"unconn"`.
    Close,
    /// `TCP_CLOSE_WAIT` (8)
    CloseWait,
    /// `TCP_LAST_ACK` (9)
    LastAck,
    /// `TCP_LISTEN` (10)
    Listen,
    /// `TCP_CLOSING` (11)
    Closing,
    /// `TCP_NEW_SYN_RECV` (12)
    NewSynRecv,
    /// `TCP_BOUND_INACTIVE` (13): bound, neither listening nor connecting.
    BoundInactive,
    /// A number this library does not know.
    Other(u8),
}

impl State {
    /// Every known state, by kernel number.
    pub const KNOWN: [State; 13] = [
        State::Established,
        State::SynSent,
        State::SynRecv,
        State::FinWait1,
        State::FinWait2,
        State::TimeWait,
        State::Close,
        State::CloseWait,
        State::LastAck,
        State::Listen,
        State::Closing,
        State::NewSynRecv,
        State::BoundInactive,
    ];

    /// From the kernel's number.
    pub fn from_kernel(n: u8) -> State {
        match n {
            1..=13 => State::KNOWN[n as usize - 1],
            _ => State::Other(n),
        }
    }

    /// The kernel's number.
    pub fn to_kernel(self) -> u8 {
        match self {
            State::Other(n) => n,
            s => State::KNOWN
                .iter()
                .position(|k| *k == s)
                .map_or(0, |i| i as u8 + 1),
        }
    }

    /// Canonical lower-case name (the serde name).
    pub fn name(self) -> &'static str {
        match self {
            State::Established => "established",
            State::SynSent => "syn_sent",
            State::SynRecv => "syn_recv",
            State::FinWait1 => "fin_wait1",
            State::FinWait2 => "fin_wait2",
            State::TimeWait => "time_wait",
            State::Close => "unconn",
            State::CloseWait => "close_wait",
            State::LastAck => "last_ack",
            State::Listen => "listen",
            State::Closing => "closing",
            State::NewSynRecv => "new_syn_recv",
            State::BoundInactive => "bound_inactive",
            State::Other(_) => "unknown",
        }
    }

    /// The state named `name` ([`State::name`]), `None` for a name no
    /// state has.
    ///
    /// ```
    /// use sockdiag::State;
    /// assert_eq!(State::from_name("fin_wait1"), Some(State::FinWait1));
    /// assert_eq!(State::from_name("FIN-WAIT-1"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<State> {
        State::KNOWN.into_iter().find(|s| s.name() == name)
    }

    /// Whether this side's FIN is sent and not yet acknowledged, which
    /// holds in `FIN-WAIT-1`, `CLOSING` and `LAST-ACK` by definition of
    /// those states: the FIN takes one sequence number, so a TCP socket's
    /// Send-Q counts it as one byte there. [`State::fin_in_recv_q`] is the
    /// peer's FIN in the Recv-Q.
    ///
    /// ```
    /// use sockdiag::State;
    /// assert_eq!(State::FinWait1.fin_in_send_q(), 1);
    /// assert_eq!(State::Established.fin_in_send_q(), 0);
    /// ```
    pub fn fin_in_send_q(self) -> u32 {
        u32::from(matches!(
            self,
            State::FinWait1 | State::LastAck | State::Closing
        ))
    }

    /// Whether the peer's FIN arrived (`CLOSE-WAIT`, `LAST-ACK`,
    /// `CLOSING`): it takes one sequence number, so a TCP socket's Recv-Q
    /// counts it as one byte until the application reads the end of file.
    ///
    /// ```
    /// use sockdiag::State;
    /// assert_eq!(State::CloseWait.fin_in_recv_q(), 1);
    /// assert_eq!(State::FinWait2.fin_in_recv_q(), 0);
    /// ```
    pub fn fin_in_recv_q(self) -> u32 {
        u32::from(matches!(
            self,
            State::CloseWait | State::LastAck | State::Closing
        ))
    }

    /// The bit of this state in [`States`] (`1 << number`, as the kernel's
    /// `idiag_states`); `Other` states above 31 have none.
    pub fn bit(self) -> States {
        States::from_bits_retain(1u32.checked_shl(self.to_kernel() as u32).unwrap_or(0))
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            State::Other(n) => write!(f, "unknown({n})"),
            s => f.write_str(s.name()),
        }
    }
}

bitflags::bitflags! {
    /// A set of states, laid out as the kernel's `idiag_states` bitmask
    /// (`1 << TCP_*`).
    ///
    /// ```
    /// use sockdiag::{State, States};
    /// assert!(States::CONNECTED.contains(State::Established.bit()));
    /// assert!(!States::DEFAULT.contains(States::TIME_WAIT));
    /// assert_eq!(States::LISTEN.bits(), 1 << 10);
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct States: u32 {
        /// ESTABLISHED
        const ESTABLISHED = 1 << 1;
        /// SYN-SENT
        const SYN_SENT = 1 << 2;
        /// SYN-RECV
        const SYN_RECV = 1 << 3;
        /// FIN-WAIT-1
        const FIN_WAIT1 = 1 << 4;
        /// FIN-WAIT-2
        const FIN_WAIT2 = 1 << 5;
        /// TIME-WAIT
        const TIME_WAIT = 1 << 6;
        /// CLOSE (unconnected)
        const CLOSE = 1 << 7;
        /// CLOSE-WAIT
        const CLOSE_WAIT = 1 << 8;
        /// LAST-ACK
        const LAST_ACK = 1 << 9;
        /// LISTEN
        const LISTEN = 1 << 10;
        /// CLOSING
        const CLOSING = 1 << 11;
        /// NEW-SYN-RECV (request sockets; the kernel reports them as SYN-RECV)
        const NEW_SYN_RECV = 1 << 12;
        /// BOUND-INACTIVE (kernel 6.8+)
        const BOUND_INACTIVE = 1 << 13;

        /// `ss`'s "all": every classic state (bits 1–12), not bound-inactive.
        const ALL = 0x1ffe;
        /// `connected`: all but LISTEN and CLOSE.
        const CONNECTED = Self::ALL.bits() & !(Self::LISTEN.bits() | Self::CLOSE.bits());
        /// `synchronized`: connected but not SYN-SENT.
        const SYNCHRONIZED = Self::CONNECTED.bits() & !Self::SYN_SENT.bits();
        /// `bucket`: SYN-RECV and TIME-WAIT (minisockets).
        const BUCKET = Self::SYN_RECV.bits() | Self::TIME_WAIT.bits() | Self::NEW_SYN_RECV.bits();
        /// `big`: all but the bucket states.
        const BIG = Self::ALL.bits() & !Self::BUCKET.bits();
        /// What `ss` shows without a state option: connected states
        /// except TIME-WAIT and SYN-RECV.
        const DEFAULT = Self::CONNECTED.bits() & !Self::BUCKET.bits();
    }
}
