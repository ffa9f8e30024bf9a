//! The plan of a run: the namespace a single-namespace run enters, the
//! library query, the renderer's options and the JSON fields a
//! configuration asks for. `run`, `watch` and `netns_all` build on it.

use std::borrow::Cow;
use std::io;

use sockdiag::filter::{Filter, FilterContext, FilterError, SystemResolver};
use sockdiag::{Extensions, InetFamilies, NetNs, Query};

use crate::args::{Config, Missing, Namespace};
use crate::exit::Failure;
use crate::filter::NsResolver;
use crate::render::RenderOptions;

/// The library query for a configuration.
pub fn build_query(config: &Config) -> Query {
    let a = &config.args;
    let mut q = Query::new(config.tables)
        .families(InetFamilies::new(config.v4, config.v6))
        .states(config.states);
    if a.display.info {
        q = q.with_info();
    }
    if a.display.memory {
        q = q.extensions(Extensions::SKMEMINFO);
    }
    if a.detail.tos {
        q = q.with_tos();
    }
    if a.display.extended {
        // ss -e shows a unix listener's pending connections (`peers:`).
        q = q.with_unix_icons();
    }
    if let Some(f) = &config.filter {
        q = q.filter(f.clone());
    }
    if let Some(path) = std::env::var_os("TCPDIAG_FILE") {
        q = q.tcp_from_file(std::path::PathBuf::from(path));
    }
    q
}

/// The optional JSON fields a configuration asks for.
pub fn json_asked(config: &Config) -> crate::json::Asked {
    let a = &config.args;
    crate::json::Asked {
        extended: a.display.extended,
        timers: a.display.options || a.detail.bpf,
        memory: a.display.memory,
        info: a.display.info,
        tos: a.detail.tos,
        cgroup: a.detail.cgroup,
        inet_sockopt: a.detail.inet_sockopt,
        bpf: a.detail.bpf,
    }
}

/// Renderer options for a configuration; `tty` says whether stdout is a terminal.
pub fn render_options(config: &Config, tty: bool) -> RenderOptions {
    let a = &config.args;
    RenderOptions {
        numeric: a.display.numeric,
        resolve: a.display.resolve,
        show_netid: config.show_netid(),
        show_state: config.show_state(),
        // ss 7.1: -T alone neither adds the Process column nor users.
        processes: a.display.processes,
        threads: a.display.threads,
        extended: a.display.extended,
        memory: a.display.memory,
        info: a.display.info,
        // -b implies -o, as in ss.
        timers: a.display.options || a.display.extended || a.detail.bpf,
        oneline: a.detail.oneline,
        header: !a.detail.no_header,
        queues: !a.detail.no_queues,
        tos: a.detail.tos,
        cgroup: a.detail.cgroup,
        inet_sockopt: a.detail.inet_sockopt,
        bpf: a.detail.bpf,
        explain: a.detail.explain,
        tty,
        width: None,
    }
}

/// `-N`'s namespace, opened; `None` for the caller's own.
pub(crate) fn open_netns(ns: &Namespace) -> Result<Option<NetNs>, sockdiag::Error> {
    match ns {
        Namespace::Current => Ok(None),
        Namespace::Named(n) => NetNs::named(n).map(Some),
        Namespace::Path(p) => NetNs::from_path(p.clone()).map(Some),
    }
}

/// Whether a run in one namespace (`-N` without `--all-netns`) moves the
/// calling thread into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thread {
    /// The calling thread never changes namespace: what must happen in
    /// `-N`'s namespace runs on helper threads ([`NetNs::run`]).
    Stays,
    /// The calling thread enters `-N`'s namespace for good before anything
    /// is opened in it, as `ss -N` does ([`NetNs::enter`]); the run then
    /// goes on as one in the caller's own namespace, with no helper thread.
    Moves,
}

/// `config` ready to run on `thread`: under [`Thread::Moves`] with a single
/// `-N` namespace, that namespace entered and `config` turned into a run
/// in the caller's own namespace (its filter compiled there: `dev` names
/// and the local port range are the namespace's). Otherwise unchanged.
pub(crate) fn enter_netns(config: &Config, thread: Thread) -> Result<Cow<'_, Config>, Failure> {
    if thread == Thread::Stays || config.all_netns.is_some() {
        return Ok(Cow::Borrowed(config));
    }
    let Some(ns) = open_netns(&config.netns)? else {
        return Ok(Cow::Borrowed(config));
    };
    ns.enter()?;
    let mut c = config.clone();
    c.netns = Namespace::Current;
    c.filter = filter_here(&c).map_err(|e| Failure::Usage(format!("filter: {e}")))?;
    Ok(Cow::Owned(c))
}

/// The filter of `config` for namespace `ns`: its words parsed again with
/// that namespace's interface names, and compiled once, in that
/// namespace's context (its local port range), which a dump in `ns` then
/// keeps.
pub(crate) fn filter_in(config: &Config, ns: &NetNs) -> Result<Option<Filter>, FilterError> {
    if config.filter_expr.is_none() {
        return Ok(None);
    }
    let Some(expr) = sockdiag::filter::parse_with(&config.filter_words, &NsResolver::In(ns))?
    else {
        return Ok(None);
    };
    let ctx = if expr.needs_context() {
        ns.run(FilterContext::current).unwrap_or_default()
    } else {
        FilterContext::default()
    };
    Filter::in_context(expr, ctx).map(Some)
}

/// The filter of `config` for the calling thread's namespace: its words
/// parsed again with the interface names seen from here, compiled for a
/// dump from here (which reads its local port range).
pub(crate) fn filter_here(config: &Config) -> Result<Option<Filter>, FilterError> {
    let Some(expr) = &config.filter_expr else {
        return Ok(None);
    };
    let expr = sockdiag::filter::parse_with(&config.filter_words, &SystemResolver)?
        .unwrap_or_else(|| expr.clone());
    Filter::new(expr).map(Some)
}

/// The query of `config` for namespace `ns`: interface names in the filter
/// are that namespace's.
pub(crate) fn query_in(config: &Config, ns: &NetNs) -> Result<Query, sockdiag::Error> {
    let mut c = config.clone();
    if config.filter_expr.is_some() {
        c.filter = filter_in(config, ns).map_err(|e| sockdiag::Error::Io {
            context: "resolving the filter in the namespace",
            source: io::Error::new(io::ErrorKind::InvalidInput, e.to_string()),
        })?;
    }
    Ok(build_query(&c))
}

/// The query of `config` for `ns`, or for the caller's own namespace
/// (`None`: names resolved here, without entering anything).
pub(crate) fn query_for(config: &Config, ns: Option<&NetNs>) -> Result<Query, sockdiag::Error> {
    if let Some(ns) = ns {
        return query_in(config, ns);
    }
    let mut c = config.clone();
    c.filter = filter_here(config).map_err(|e| sockdiag::Error::Io {
        context: "resolving the filter",
        source: io::Error::new(io::ErrorKind::InvalidInput, e.to_string()),
    })?;
    Ok(build_query(&c))
}

/// The stderr note for a table rss cannot show, from the kernel's answer
/// to a dump request for it (asked, not assumed).
pub(crate) fn missing_note(m: Missing) -> String {
    use sockdiag::query::{DiagModule, ProbedFamily, probe_diag_module};
    let family = match m {
        Missing::Sctp => ProbedFamily::Sctp,
        Missing::Dccp => ProbedFamily::Dccp,
        Missing::Vsock => ProbedFamily::Vsock,
        Missing::Tipc => ProbedFamily::Tipc,
        Missing::Xdp => ProbedFamily::Xdp,
    };
    match probe_diag_module(family) {
        DiagModule::Absent => format!(
            "rss: {}: this kernel has no diag module for it; no sockets shown",
            m.name()
        ),
        DiagModule::Refused(e) => format!(
            "rss: {}: the kernel's diag module refused a dump ({}); no sockets shown",
            m.name(),
            io::Error::from_raw_os_error(e)
        ),
        _ => format!(
            "rss: {}: the kernel has a diag module for it, but rss cannot show these sockets yet",
            m.name()
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::*;

    /// Under `-N` the filter is parsed, not compiled, with the command line,
    /// and compiled once, in the namespace: in its local port range, which
    /// is what a dump there judges `autobound` by, so the dump has nothing to
    /// compile again.
    #[test]
    fn a_filter_for_another_namespace_is_compiled_once_in_it() {
        testkit::require_privileged!();
        let ns = testkit::NetNs::new().unwrap();
        ns.sysctl("net.ipv4.ip_local_port_range", "40000 40009")
            .unwrap();
        let netns = NetNs::from_path(ns.path()).unwrap();
        let argv = ["rss", "-tn", "-N", "elsewhere", "autobound"]
            .into_iter()
            .map(OsString::from)
            .collect();
        let config = Config::parse(argv).unwrap();
        assert!(config.filter_expr.is_some());
        assert!(
            config.filter.is_none(),
            "compiled before its namespace is known"
        );
        assert_ne!(
            FilterContext::current().local_port_range(),
            (40000, 40009),
            "the caller's range must differ for this test to mean anything"
        );
        let filter = filter_in(&config, &netns).unwrap().unwrap();
        assert_eq!(filter.context().local_port_range(), (40000, 40009));
        assert!(filter.bytecode().is_some());
    }
}
