//! Asking the kernel whether it has a diag module for a socket family this
//! crate does not decode (SCTP, DCCP, vsock, TIPC, XDP), so that a tool can
//! say why it shows none of those sockets instead of printing fixed text.

use std::io;

use super::source::{DiagSocket, Inbox};

/// A socket family whose diag module can be probed but whose sockets this
/// crate does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProbedFamily {
    /// SCTP over `inet_diag` (`sctp_diag`).
    Sctp,
    /// DCCP over `inet_diag` (`dccp_diag`; DCCP left Linux in 6.16).
    Dccp,
    /// `AF_VSOCK` (`vsock_diag`).
    Vsock,
    /// `AF_TIPC` (`tipc_diag`).
    Tipc,
    /// `AF_XDP` (`xsk_diag`).
    Xdp,
}

/// What the kernel answered a dump request for a [`ProbedFamily`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DiagModule {
    /// Sockets or an empty dump came back: the kernel has a diag module.
    Present,
    /// `ENOENT`: no diag module for the family (not built, not loaded).
    Absent,
    /// Another error, with its errno (`EPERM`, `EINVAL`, …); also when no
    /// `NETLINK_SOCK_DIAG` socket could be opened or used.
    Refused(i32),
}

/// The `SOCK_DIAG_BY_FAMILY` dump request that probes `family`: a netlink
/// header, then the family's request struct (`inet_diag_req_v2`,
/// `vsock_diag_req`, `tipc_sock_diag_req`, `xdp_diag_req`) with every state
/// asked where it has a states field and every other field zero.
///
/// ```
/// use sockdiag::query::{ProbedFamily, probe_request};
///
/// let req = probe_request(ProbedFamily::Sctp, 1);
/// assert_eq!(req.len(), 16 + 56); // nlmsghdr + inet_diag_req_v2
/// assert_eq!(req[16], libc::AF_INET as u8);
/// assert_eq!(req[17], libc::IPPROTO_SCTP as u8);
/// ```
pub fn probe_request(family: ProbedFamily, seq: u32) -> Vec<u8> {
    // (family, protocol, request struct length, offset of its states field)
    let (af, protocol, len, states_at): (i32, i32, usize, Option<usize>) = match family {
        ProbedFamily::Sctp => (libc::AF_INET, libc::IPPROTO_SCTP, 56, Some(4)),
        ProbedFamily::Dccp => (libc::AF_INET, libc::IPPROTO_DCCP, 56, Some(4)),
        ProbedFamily::Vsock => (libc::AF_VSOCK, 0, 24, Some(4)),
        ProbedFamily::Tipc => (libc::AF_TIPC, 0, 8, Some(4)),
        ProbedFamily::Xdp => (libc::AF_XDP, 0, 20, None),
    };
    let total = 16 + len;
    let mut req = vec![0u8; total];
    let flags = (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16;
    req[0..4].copy_from_slice(&(total as u32).to_ne_bytes());
    req[4..6].copy_from_slice(&crate::consts::SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    req[6..8].copy_from_slice(&flags.to_ne_bytes());
    req[8..12].copy_from_slice(&seq.to_ne_bytes());
    req[16] = af as u8;
    req[17] = protocol as u8;
    if let Some(at) = states_at {
        req[16 + at..20 + at].copy_from_slice(&u32::MAX.to_ne_bytes());
    }
    req
}

/// Reads the first reply datagram to a [`probe_request`]: an
/// `NLMSG_ERROR` or `NLMSG_DONE` carrying a negative code is the kernel's
/// refusal (`ENOENT` when it has no module); anything else (a socket, an
/// empty dump, bytes too short to hold a code) means a module answered.
///
/// ```
/// use sockdiag::query::{DiagModule, probe_answer};
///
/// // NLMSG_ERROR (type 2) carrying -ENOENT
/// let mut reply = vec![0u8; 36];
/// reply[0..4].copy_from_slice(&36u32.to_ne_bytes());
/// reply[4..6].copy_from_slice(&2u16.to_ne_bytes());
/// reply[16..20].copy_from_slice(&(-libc::ENOENT).to_ne_bytes());
/// assert_eq!(probe_answer(&reply), DiagModule::Absent);
/// ```
pub fn probe_answer(reply: &[u8]) -> DiagModule {
    let (Some(ty), Some(code)) = (reply.get(4..6), reply.get(16..20)) else {
        return DiagModule::Present;
    };
    let ty = u16::from_ne_bytes([ty[0], ty[1]]);
    let code = i32::from_ne_bytes([code[0], code[1], code[2], code[3]]);
    // An inet dump's error comes in its NLMSG_DONE, others in NLMSG_ERROR.
    let done_or_error = ty == libc::NLMSG_ERROR as u16 || ty == libc::NLMSG_DONE as u16;
    match code {
        c if !done_or_error || c >= 0 => DiagModule::Present,
        c if c == -libc::ENOENT => DiagModule::Absent,
        c => DiagModule::Refused(c.saturating_neg()),
    }
}

/// Asks the kernel, from the calling thread's network namespace, whether it
/// has a diag module for `family`: one dump request, one reply read.
///
/// ```no_run
/// use sockdiag::query::{DiagModule, ProbedFamily, probe_diag_module};
///
/// match probe_diag_module(ProbedFamily::Sctp) {
///     DiagModule::Absent => println!("no sctp_diag: SCTP sockets cannot be listed"),
///     DiagModule::Present => println!("sctp_diag answers"),
///     DiagModule::Refused(errno) => println!("refused: errno {errno}"),
///     _ => {}
/// }
/// ```
pub fn probe_diag_module(family: ProbedFamily) -> DiagModule {
    let errno = |e: io::Error| DiagModule::Refused(e.raw_os_error().unwrap_or(libc::EIO));
    let sock = match DiagSocket::open(0) {
        Ok(s) => s,
        Err(e) => return errno(e),
    };
    if let Err(e) = sock.send(&probe_request(family, 1)) {
        return errno(e);
    }
    let mut inbox = Inbox::new(super::RECV_BUF_LEN);
    match inbox.fill(|buf| sock.recv(buf)) {
        Err(e) => errno(e),
        Ok(_) => probe_answer(inbox.datagram()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(ty: u16, code: i32) -> Vec<u8> {
        let mut r = vec![0u8; 20];
        r[0..4].copy_from_slice(&20u32.to_ne_bytes());
        r[4..6].copy_from_slice(&ty.to_ne_bytes());
        r[16..20].copy_from_slice(&code.to_ne_bytes());
        r
    }

    #[test]
    fn answers() {
        let (error, done) = (libc::NLMSG_ERROR as u16, libc::NLMSG_DONE as u16);
        assert_eq!(
            probe_answer(&reply(error, -libc::ENOENT)),
            DiagModule::Absent
        );
        assert_eq!(
            probe_answer(&reply(done, -libc::ENOENT)),
            DiagModule::Absent
        );
        assert_eq!(
            probe_answer(&reply(error, -libc::EPERM)),
            DiagModule::Refused(libc::EPERM)
        );
        assert_eq!(probe_answer(&reply(done, 0)), DiagModule::Present);
        assert_eq!(probe_answer(&reply(error, 0)), DiagModule::Present);
        // A socket message (SOCK_DIAG_BY_FAMILY) whatever its bytes 16..20.
        assert_eq!(probe_answer(&reply(20, -2)), DiagModule::Present);
        assert_eq!(probe_answer(&[]), DiagModule::Present);
        assert_eq!(
            probe_answer(&reply(error, i32::MIN)),
            DiagModule::Refused(i32::MAX)
        );
    }

    #[test]
    fn requests() {
        for (f, af, len) in [
            (ProbedFamily::Sctp, libc::AF_INET, 56),
            (ProbedFamily::Dccp, libc::AF_INET, 56),
            (ProbedFamily::Vsock, libc::AF_VSOCK, 24),
            (ProbedFamily::Tipc, libc::AF_TIPC, 8),
            (ProbedFamily::Xdp, libc::AF_XDP, 20),
        ] {
            let r = probe_request(f, 7);
            assert_eq!(r.len(), 16 + len, "{f:?}");
            assert_eq!(
                u32::from_ne_bytes(r[0..4].try_into().unwrap()) as usize,
                r.len()
            );
            assert_eq!(u16::from_ne_bytes([r[4], r[5]]), 20);
            assert_eq!(u32::from_ne_bytes(r[8..12].try_into().unwrap()), 7);
            assert_eq!(r[16] as i32, af, "{f:?}");
            let states = f != ProbedFamily::Xdp;
            assert_eq!(r[20..24] == [0xff; 4], states, "{f:?}");
        }
    }

    /// This kernel (see the README's machine notes) has no SCTP diag
    /// module, and DCCP is gone from Linux: both must be reported absent
    /// by the kernel itself, not assumed.
    #[test]
    fn live_kernel_has_no_sctp_or_dccp_diag() {
        let procfs = std::path::Path::new("/proc/net/sockstat").exists();
        if !testkit::require(testkit::test_name!(), (!procfs).then_some("no procfs")) {
            return;
        }
        let sctp_loaded = std::fs::read_to_string("/proc/modules")
            .is_ok_and(|m| m.lines().any(|l| l.starts_with("sctp_diag ")));
        if !sctp_loaded {
            assert_eq!(probe_diag_module(ProbedFamily::Sctp), DiagModule::Absent);
        }
        assert_eq!(probe_diag_module(ProbedFamily::Dccp), DiagModule::Absent);
    }
}
