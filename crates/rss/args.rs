//! Command-line arguments, as `ss` spells them, and the plain [`Config`]
//! they turn into.
//!
//! Parsing never touches the kernel: it produces a `Config` that [`crate::run()`]
//! turns into library queries. Every mistake is a [`UsageError`] (exit 2).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Parser};
use sockdiag::{States, Tables};

pub use crate::exit::UsageError;
use crate::filter;
pub use crate::filter::{SS_ALL, SS_CONN};

// The filter grammar, one rule per line: `--help` prints it after the
// options, and the man page's FILTER section lays it out the same
// (`crates/xtask/src/gen_docs.rs`, through `FILTER_GRAMMAR`).
macro_rules! filter_grammar {
    () => {
        "FILTER := [ state STATE-FILTER | exclude STATE-FILTER ]...
           [ EXPRESSION ]
           (excl is exclude)

STATE-FILTER := all | connected | synchronized | bucket | big
           | TCP-STATE     (case-insensitive)

TCP-STATE := established | syn-sent | syn-recv | fin-wait-1
           | fin-wait-2 | time-wait | closed | close-wait
           | last-ack | listening | closing | bound-inactive
           (listen is listening; close and unconnected are closed)

EXPRESSION := PREDICATE
           | EXPRESSION and EXPRESSION   (also & or &&, or none)
           | EXPRESSION or EXPRESSION    (also | or ||)
           | not EXPRESSION              (also !)
           | ( EXPRESSION )
           (and binds tighter than or)

PREDICATE := src HOST | dst HOST
           | sport [OP] PORT | dport [OP] PORT
           | dev OP IFACE
           | fwmark OP MARK[/MASK]
           | cgroup OP PATH
           | autobound

OP := = | == | eq | != | ne | neq | < | lt | > | gt
           | <= | le | leq | >= | ge | geq
           (dev, fwmark and cgroup take = and != only)

HOST := [FAMILY:]ADDRESS[/PREFIXLEN][:PORT] | *[:PORT]
           | HOSTNAME[:PORT] | inet:* | inet6:* | unix:GLOB
           (IPv6 addresses go in brackets: [::1]:22, [fe80::]/10)

PORT := [:]NUMBER | [:]SERVICE-NAME | *
"
    };
}

/// The filter grammar, one rule per line (blank lines between rules), as
/// `rss --help` and the man page show it.
pub const FILTER_GRAMMAR: &str = filter_grammar!();

/// `rss`: socket statistics, as `ss` prints them, straight from `NETLINK_SOCK_DIAG`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "rss",
    version,
    about = "Socket statistics: a faster, scriptable ss",
    long_about = "rss prints the same tables as iproute2's ss, from the same kernel interface \
                  (NETLINK_SOCK_DIAG), with the same flags and filter words, plus JSON output (-j).",
    override_usage = "rss [OPTIONS] [FILTER]\n       rss COMMAND [OPTIONS]",
    after_help = concat!(
        filter_grammar!(),
        "\nTCPDIAG_FILE=FILE replays TCP sockets from a file written by -D instead of asking the kernel.\n\
         RSS_THREADS=N walks /proc for -p on N threads (default: the cores rss may run on).\n\
         RSS_HOLDERS=proc|kernel takes -p's holders from the /proc walk or the kernel's task-file \
         iterator (default auto: the iterator as root, else the walk).\n\n\
         Exit status: 0 success, 1 the kernel or the system refused (namespace, permission, I/O), 2 bad usage."
    ),
    disable_help_flag = true,
    disable_version_flag = true,
    // ss (getopt) takes a repeated option: `-t -t`, `-N a -N b` (the last wins).
    args_override_self = true
)]
pub struct Args {
    /// `-h`, `-V`.
    #[command(flatten)]
    pub about: AboutFlags,
    /// `-n`, `-r`, `-o`, `-e`, `-m`, `-p`, `-T`, `-i`, `-s`.
    #[command(flatten)]
    pub display: DisplayFlags,
    /// `--tos`, `--cgroup`, … `-j`, `-b`, `-Z`, `-z`.
    #[command(flatten)]
    pub detail: DetailFlags,
    /// `-a`, `-l`, `-B`, `-N`.
    #[command(flatten)]
    pub selection: SelectionFlags,
    /// `-4`, `-6`, `-0`, `-t`, … `-f`, `-A`.
    #[command(flatten)]
    pub tables: TableFlags,
    /// `-K`, `-E`, `-D`, `--kill-all`, `--dry-run`, `-F`.
    #[command(flatten)]
    pub actions: ActionFlags,
    /// `--watch`, `--all-netns`.
    #[command(flatten)]
    pub live: LiveFlags,

    /// The family of the last family option given (`-4`, `-6`, `-0`, `-x`,
    /// `--vsock`, `--tipc`, `--xdp`, `-f`): `ss`'s `preferred_family`.
    /// Set by [`Config::parse`] from the order of the command line.
    #[arg(skip)]
    pub last_family: Option<String>,

    /// The filter words: state and exclude words, then an expression.
    // Options may come anywhere, before or after the filter, as with ss's
    // getopt; `--` ends the options.
    #[arg(
        value_name = "FILTER",
        help = "Filter: [state X] [exclude X] [EXPRESSION], e.g. state established '( dport = :443 or sport = :443 )'"
    )]
    pub filter: Vec<String>,
}

/// The "Information" options of [`Args`]: `-h` and `-V`.
///
/// One struct per group keeps each group's parser builder small: clap's
/// derive for all of them in one function took a 57 KB stack frame.
#[derive(Debug, Clone, clap::Args)]
pub struct AboutFlags {
    /// Print help
    #[arg(short = 'h', long, action = ArgAction::Help, help_heading = "Information")]
    help: Option<bool>,
    /// Print version
    #[arg(short = 'V', long, action = ArgAction::Version, help_heading = "Information")]
    version: Option<bool>,
}

/// The "Display" options of [`Args`]: What each row shows (the first half of "Display").
#[derive(Debug, Clone, clap::Args)]
pub struct DisplayFlags {
    /// Don't resolve service names
    #[arg(short = 'n', long, help_heading = "Display")]
    pub numeric: bool,
    /// Resolve host names
    #[arg(short = 'r', long, help_heading = "Display")]
    pub resolve: bool,
    /// Show timer information
    #[arg(short = 'o', long, help_heading = "Display")]
    pub options: bool,
    /// Show detailed socket information
    #[arg(short = 'e', long, help_heading = "Display")]
    pub extended: bool,
    /// Show socket memory usage
    #[arg(short = 'm', long, help_heading = "Display")]
    pub memory: bool,
    /// Show processes using the socket
    #[arg(short = 'p', long, help_heading = "Display")]
    pub processes: bool,
    /// Show threads using the socket
    #[arg(short = 'T', long, help_heading = "Display")]
    pub threads: bool,
    /// Show internal TCP information
    #[arg(short = 'i', long, help_heading = "Display")]
    pub info: bool,
    /// Show socket usage summary
    #[arg(short = 's', long, help_heading = "Display")]
    pub summary: bool,
}

/// The "Display" options of [`Args`]: More of what each row shows, and the output format (the second half of "Display").
#[derive(Debug, Clone, clap::Args)]
pub struct DetailFlags {
    /// Show tos and priority information
    #[arg(long, help_heading = "Display")]
    pub tos: bool,
    /// Show cgroup information
    #[arg(long, help_heading = "Display")]
    pub cgroup: bool,
    /// Show inet socket options (inet-sockopt: recverr, is_icsk, mc_loop, ...)
    #[arg(long = "inet-sockopt", help_heading = "Display")]
    pub inet_sockopt: bool,
    /// Show internal tipc socket information (no TIPC diag here: prints nothing)
    #[arg(long, help_heading = "Display")]
    pub tipcinfo: bool,
    /// Explain each row's Recv-Q and Send-Q in its state (not in ss)
    #[arg(long, help_heading = "Display")]
    pub explain: bool,
    /// Suppress the header line
    #[arg(short = 'H', long = "no-header", help_heading = "Display")]
    pub no_header: bool,
    /// Print each socket's data on a single line
    #[arg(short = 'O', long, help_heading = "Display")]
    pub oneline: bool,
    /// Don't show the Recv-Q and Send-Q columns
    #[arg(short = 'Q', long = "no-queues", help_heading = "Display")]
    pub no_queues: bool,
    /// Print JSON: an array of socket objects (the sockdiag model)
    #[arg(short = 'j', long, help_heading = "Display")]
    pub json: bool,
    /// Show bpf filter socket information (implies -o; packet sockets' classic BPF filters)
    #[arg(short = 'b', long, help_heading = "Display")]
    pub bpf: bool,
    /// Display SELinux security contexts (only where SELinux is enabled; not supported there)
    #[arg(short = 'Z', long, help_heading = "Display")]
    pub context: bool,
    /// Display SELinux socket contexts (only where SELinux is enabled; not supported there)
    #[arg(short = 'z', long, help_heading = "Display")]
    pub contexts: bool,
}

/// The "Selection" options of [`Args`]: Which sockets: states and namespace.
#[derive(Debug, Clone, clap::Args)]
pub struct SelectionFlags {
    /// Display all sockets (listening, connected, bound-inactive)
    #[arg(short = 'a', long, help_heading = "Selection")]
    pub all: bool,
    /// Display listening sockets
    #[arg(short = 'l', long, help_heading = "Selection")]
    pub listening: bool,
    /// Display only bound-inactive TCP sockets
    #[arg(short = 'B', long = "bound-inactive", help_heading = "Selection")]
    pub bound_inactive: bool,
    /// Switch to the network namespace NAME (/run/netns/NAME), or a namespace file if it contains '/'
    #[arg(
        short = 'N',
        long = "net",
        value_name = "NSNAME",
        help_heading = "Selection"
    )]
    pub net: Option<OsString>,
}

/// The "Tables" options of [`Args`]: Which tables and families.
#[derive(Debug, Clone, clap::Args)]
pub struct TableFlags {
    /// Display only IP version 4 sockets
    #[arg(short = '4', long, help_heading = "Tables")]
    pub ipv4: bool,
    /// Display only IP version 6 sockets
    #[arg(short = '6', long, help_heading = "Tables")]
    pub ipv6: bool,
    /// Display PACKET sockets
    #[arg(short = '0', long, help_heading = "Tables")]
    pub packet: bool,
    /// Display only TCP sockets
    #[arg(short = 't', long, help_heading = "Tables")]
    pub tcp: bool,
    /// Display only MPTCP sockets
    #[arg(short = 'M', long, help_heading = "Tables")]
    pub mptcp: bool,
    /// Display only SCTP sockets (no diag module here: prints nothing)
    #[arg(short = 'S', long, help_heading = "Tables")]
    pub sctp: bool,
    /// Display only UDP sockets
    #[arg(short = 'u', long, help_heading = "Tables")]
    pub udp: bool,
    /// Display only DCCP sockets (removed from Linux: prints nothing)
    #[arg(short = 'd', long, help_heading = "Tables")]
    pub dccp: bool,
    /// Display only RAW sockets
    #[arg(short = 'w', long, help_heading = "Tables")]
    pub raw: bool,
    /// Display only Unix domain sockets
    #[arg(short = 'x', long, help_heading = "Tables")]
    pub unix: bool,
    /// Display only netlink sockets
    #[arg(long, help_heading = "Tables")]
    pub netlink: bool,
    /// Display only vsock sockets (no diag module here: prints nothing)
    #[arg(long, help_heading = "Tables")]
    pub vsock: bool,
    /// Display only TIPC sockets (no diag module here: prints nothing)
    #[arg(long, help_heading = "Tables")]
    pub tipc: bool,
    /// Display only XDP sockets (no diag module here: prints nothing)
    #[arg(long, help_heading = "Tables")]
    pub xdp: bool,
    /// Display sockets of type FAMILY: inet, inet6, link, unix, netlink, vsock, tipc, xdp
    #[arg(short = 'f', long, value_name = "FAMILY", help_heading = "Tables")]
    pub family: Vec<String>,
    /// Comma list of tables: all, inet, tcp, udp, raw, unix, unix_stream, ... (a leading ! excludes)
    #[arg(
        short = 'A',
        long = "query",
        alias = "socket",
        value_name = "QUERY",
        help_heading = "Tables"
    )]
    pub query: Vec<String>,
}

/// The "Actions" options of [`Args`]: What to do besides listing.
#[derive(Debug, Clone, clap::Args)]
pub struct ActionFlags {
    /// Forcibly close sockets, display what was closed; a filter covering half or more of the ports, addresses, marks, devices or cgroups is refused without --kill-all
    #[arg(short = 'K', long, help_heading = "Actions")]
    pub kill: bool,
    /// Continually display sockets as they are destroyed
    #[arg(short = 'E', long, help_heading = "Actions")]
    pub events: bool,
    /// Dump raw information about TCP sockets to FILE ('-' for stdout), as ss -D
    #[arg(
        short = 'D',
        long = "diag",
        value_name = "FILE",
        help_heading = "Actions"
    )]
    pub diag: Option<PathBuf>,
    /// With -K: close every selected socket even when the filter is broad (covers at least half of the ports, addresses, marks, devices or cgroups it ranges on) or absent
    #[arg(long = "kill-all", requires = "kill", help_heading = "Actions")]
    pub kill_all: bool,
    /// With -K: print the sockets that would be closed and how many (on stderr), close nothing
    #[arg(long = "dry-run", requires = "kill", help_heading = "Actions")]
    pub dry_run: bool,
    /// Read the filter expression from FILE ('-' for stdin); '#' starts a comment line
    #[arg(
        short = 'F',
        long = "filter",
        value_name = "FILE",
        help_heading = "Actions"
    )]
    pub filter_file: Option<PathBuf>,
}

/// The "Live" options of [`Args`]: Views that keep running.
#[derive(Debug, Clone, clap::Args)]
pub struct LiveFlags {
    /// Re-run every INTERVAL (default 1s; only as --watch=2s) and show what changed, keyed by socket cookie
    #[arg(
        long,
        value_name = "INTERVAL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "1s",
        help_heading = "Live"
    )]
    pub watch: Option<String>,
    /// Query the host and every /run/netns namespace (=pids: also every namespace of a running process); adds a Netns column
    #[arg(
        long = "all-netns",
        value_name = "pids",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "named",
        help_heading = "Live"
    )]
    pub all_netns: Option<String>,
}

/// Why the command line was refused.
#[derive(Debug)]
pub enum ParseError {
    /// clap's own report (also `--help` and `--version`, which are not errors).
    Clap(clap::Error),
    /// A value clap accepted but rss cannot use.
    Usage(UsageError),
}

/// Tables ss knows that this kernel has no interface for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// SCTP (`-S`): no sctp_diag module.
    Sctp,
    /// DCCP (`-d`): removed from Linux.
    Dccp,
    /// vsock (`--vsock`): no vsock_diag.
    Vsock,
    /// TIPC (`--tipc`).
    Tipc,
    /// XDP (`--xdp`).
    Xdp,
}

impl Missing {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Missing::Sctp => "sctp",
            Missing::Dccp => "dccp",
            Missing::Vsock => "vsock",
            Missing::Tipc => "tipc",
            Missing::Xdp => "xdp",
        }
    }
}

/// Where to run: the caller's namespace, a named one, or a namespace file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Namespace {
    /// The namespace rss runs in.
    Current,
    /// `/run/netns/NAME`.
    Named(String),
    /// A namespace file such as `/proc/PID/ns/net`.
    Path(PathBuf),
}

/// What the user asked for, resolved: plain data, no I/O.
#[derive(Debug, Clone)]
pub struct Config {
    /// Tables to dump.
    pub tables: Tables,
    /// Inet families.
    pub v4: bool,
    /// Inet families.
    pub v6: bool,
    /// States to show.
    pub states: States,
    /// Tables asked for by name that this kernel cannot show.
    pub missing: Vec<Missing>,
    /// The namespace.
    pub netns: Namespace,
    /// The filter expression (after the state words and `-F`'s file),
    /// parsed.
    pub filter_expr: Option<sockdiag::filter::Expr>,
    /// The filter compiled for the caller's namespace; `None` under `-N` and
    /// `--all-netns`, where it is compiled once per namespace, in it
    /// (`plan::filter_in`).
    pub filter: Option<sockdiag::filter::Filter>,
    /// The expression's words, for resolving names again inside `-N`'s namespace.
    pub filter_words: Vec<String>,
    /// No table, family or `-A` option was given (ss's `do_default`): `-s`
    /// alone then prints only the summary.
    pub default_selection: bool,
    /// `--watch`: the interval between samples.
    pub watch: Option<std::time::Duration>,
    /// `--all-netns`: which namespaces to visit.
    pub all_netns: Option<Scope>,
    /// Raw flags for renderers.
    pub args: Args,
}

/// Which namespaces `--all-netns` visits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The host (the namespace rss runs in) and `/run/netns/*`.
    Named,
    /// Those, and every namespace a running process is in (`lsns -t net`).
    Pids,
}

impl Scope {
    /// Parses the value of `--all-netns[=pids]` and checks the flags it
    /// cannot be combined with.
    pub fn parse(value: &str, args: &Args) -> Result<Scope, String> {
        let scope = match value {
            "named" => Scope::Named,
            "pids" => Scope::Pids,
            other => return Err(format!("--all-netns: '{other}' is not 'pids'")),
        };
        for (on, flag) in [
            (args.selection.net.is_some(), "-N"),
            (args.actions.kill, "-K"),
            (args.actions.events, "-E"),
            (args.actions.diag.is_some(), "-D"),
            (args.display.summary, "-s"),
        ] {
            if on {
                return Err(format!("--all-netns cannot be combined with {flag}"));
            }
        }
        Ok(scope)
    }
}

/// Families as ss tracks them (`FAMILY_MASK(af)`), for merging defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Fams {
    inet: bool,
    inet6: bool,
    unix: bool,
    packet: bool,
    netlink: bool,
    other: bool,
}

/// One of ss's socket tables ("dbs"), including those this kernel lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Db {
    Have(Tables),
    Missing(Missing),
}

fn query_dbs(name: &str) -> Result<Vec<Db>, UsageError> {
    use Db::*;
    Ok(match name {
        // Groups name no missing table: only naming SCTP or DCCP itself earns a note.
        "all" => vec![Have(Tables::all())],
        "inet" => vec![Have(Tables::INET)],
        "tcp" => vec![Have(Tables::TCP)],
        "udp" => vec![Have(Tables::UDP)],
        "raw" => vec![Have(Tables::RAW)],
        "mptcp" => vec![Have(Tables::MPTCP)],
        "unix" => vec![Have(Tables::UNIX)],
        "unix_stream" | "u_str" => vec![Have(Tables::UNIX_STREAM)],
        "unix_dgram" | "u_dgr" => vec![Have(Tables::UNIX_DGRAM)],
        "unix_seqpacket" | "u_seq" => vec![Have(Tables::UNIX_SEQPACKET)],
        "packet" => vec![Have(Tables::PACKET)],
        "packet_raw" | "p_raw" => vec![Have(Tables::PACKET_RAW)],
        "packet_dgram" | "p_dgr" => vec![Have(Tables::PACKET_DGRAM)],
        "netlink" => vec![Have(Tables::NETLINK)],
        "dccp" => vec![Missing(self::Missing::Dccp)],
        "sctp" => vec![Missing(self::Missing::Sctp)],
        "vsock" | "vsock_stream" | "v_str" | "vsock_dgram" | "v_dgr" => {
            vec![Missing(self::Missing::Vsock)]
        }
        "tipc" => vec![Missing(self::Missing::Tipc)],
        "xdp" => vec![Missing(self::Missing::Xdp)],
        other => return Err(UsageError(format!("-A: '{other}' is not a socket table"))),
    })
}

/// The words `-f`/`--family` takes (`help` aside), for completions and the man page.
pub const FAMILIES: &[&str] = &[
    "inet", "inet6", "link", "unix", "netlink", "vsock", "tipc", "xdp",
];

/// The table names `-A`/`--query` takes (in a comma list, each may start
/// with `!`), for completions and the man page: every name `query_dbs` knows.
pub const QUERY_NAMES: &[&str] = &[
    "all",
    "inet",
    "tcp",
    "udp",
    "raw",
    "mptcp",
    "unix",
    "unix_stream",
    "u_str",
    "unix_dgram",
    "u_dgr",
    "unix_seqpacket",
    "u_seq",
    "packet",
    "packet_raw",
    "p_raw",
    "packet_dgram",
    "p_dgr",
    "netlink",
    "dccp",
    "sctp",
    "vsock",
    "vsock_stream",
    "v_str",
    "vsock_dgram",
    "v_dgr",
    "tipc",
    "xdp",
];

/// `TIPC_SS_CONN`.
const TIPC_SS_CONN: States = States::ESTABLISHED
    .union(States::LISTEN)
    .union(States::CLOSE);

/// `default_dbs[db].states`: the states a table adds when it is selected.
fn table_states(t: Tables) -> States {
    let mut st = States::empty();
    if t.intersects(Tables::TCP | Tables::MPTCP | Tables::UNIX_STREAM | Tables::UNIX_SEQPACKET) {
        st |= SS_CONN;
    }
    if t.intersects(Tables::UDP | Tables::RAW) {
        st |= States::ESTABLISHED;
    }
    if t.intersects(Tables::UNIX_DGRAM | Tables::PACKET | Tables::NETLINK) {
        st |= States::CLOSE;
    }
    st
}

/// `default_dbs[db].states` of the tables rss cannot dump.
fn missing_states(m: Missing) -> States {
    match m {
        Missing::Sctp | Missing::Dccp | Missing::Vsock => SS_CONN,
        Missing::Tipc => TIPC_SS_CONN,
        Missing::Xdp => States::CLOSE,
    }
}

/// Accumulates ss's `struct filter` while flags are read, then merges
/// defaults exactly as `filter_merge_defaults` does.
#[derive(Debug, Default)]
struct Selection {
    dbs: Tables,
    missing: Vec<Missing>,
    fams: Fams,
    states: States,
    do_default: bool,
}

impl Selection {
    fn db(&mut self, db: Db) {
        match db {
            Db::Have(t) => {
                self.states |= table_states(t);
                self.dbs |= t;
            }
            Db::Missing(m) => {
                self.states |= missing_states(m);
                if !self.missing.contains(&m) {
                    self.missing.push(m);
                }
            }
        }
        self.do_default = false;
    }

    fn family(&mut self, f: &str) -> Result<(), UsageError> {
        match f {
            "inet" => self.fams.inet = true,
            "inet6" => self.fams.inet6 = true,
            "link" => self.fams.packet = true,
            "unix" => self.fams.unix = true,
            "netlink" => self.fams.netlink = true,
            "vsock" | "tipc" | "xdp" => {
                self.fams.other = true;
                let m = match f {
                    "vsock" => Missing::Vsock,
                    "tipc" => Missing::Tipc,
                    _ => Missing::Xdp,
                };
                if !self.missing.contains(&m) {
                    self.missing.push(m);
                }
            }
            "help" => {
                return Err(UsageError(
                    "FAMILY := {inet|inet6|link|unix|netlink|vsock|tipc|xdp}".into(),
                ));
            }
            other => return Err(UsageError(format!("\"{other}\" is invalid family"))),
        }
        // default_afs[af].states
        self.states |= match f {
            "link" | "netlink" | "xdp" => States::CLOSE,
            "tipc" => TIPC_SS_CONN,
            _ => SS_CONN,
        };
        self.do_default = false;
        Ok(())
    }

    /// The tables and families the table and family flags (`-t`, `-x`,
    /// `-4`, `-f`, ...) select, each with its default states.
    fn from_flags(args: &Args) -> Result<Selection, UsageError> {
        let mut sel = Selection {
            do_default: true,
            ..Selection::default()
        };
        for (on, t) in [
            (args.tables.tcp, Tables::TCP),
            (args.tables.udp, Tables::UDP),
            (args.tables.raw, Tables::RAW),
            (args.tables.mptcp, Tables::MPTCP),
            (args.tables.netlink, Tables::NETLINK),
        ] {
            if on {
                sel.db(Db::Have(t));
            }
        }
        for (on, m) in [
            (args.tables.sctp, Missing::Sctp),
            (args.tables.dccp, Missing::Dccp),
        ] {
            if on {
                sel.db(Db::Missing(m));
            }
        }
        for (on, f) in [
            (args.tables.unix, "unix"),
            (args.tables.ipv4, "inet"),
            (args.tables.ipv6, "inet6"),
            (args.tables.packet, "link"),
            (args.tables.vsock, "vsock"),
            (args.tables.tipc, "tipc"),
            (args.tables.xdp, "xdp"),
        ] {
            if on {
                sel.family(f)?;
            }
        }
        for f in &args.tables.family {
            sel.family(f)?;
        }
        Ok(sel)
    }

    /// `-A`: the first replaces the tables chosen so far (and, when no
    /// `-a`/`-l` set `state_filter`, the states become `SS_CONN`); each
    /// word adds its tables, `!word` removes them.
    fn query(&mut self, query: &[String], state_filter: &mut States) -> Result<(), UsageError> {
        if query.is_empty() {
            return Ok(());
        }
        self.dbs = Tables::empty();
        self.missing.clear();
        if state_filter.is_empty() {
            *state_filter = SS_CONN;
        }
        self.do_default = false;
        for q in query {
            for word in q.split(',') {
                let (neg, w) = match word.strip_prefix('!') {
                    Some(w) => (true, w),
                    None => (false, word),
                };
                for db in query_dbs(w)? {
                    match (neg, db) {
                        (false, db) => self.db(db),
                        (true, Db::Have(t)) => self.dbs &= !t,
                        (true, Db::Missing(m)) => self.missing.retain(|x| *x != m),
                    }
                }
            }
        }
        Ok(())
    }

    /// The final states and tables: with no table, family or `-A` option,
    /// every table in connected states; a non-empty `state_filter` (from
    /// `-a`, `-l`, `state`, `exclude`) replaces the tables' defaults; then
    /// [`Selection::merge`].
    fn settle(&mut self, mut state_filter: States) {
        if self.do_default {
            if state_filter.is_empty() {
                state_filter = SS_CONN;
            }
            self.dbs = Tables::all();
            self.states |= SS_CONN;
        }
        if !state_filter.is_empty() {
            self.states = state_filter;
        }
        self.merge();
    }

    /// `filter_merge_defaults`: a table whose families are all unselected
    /// adds its families; a family with no selected table adds its tables.
    fn merge(&mut self) {
        let f = &mut self.fams;
        if self.dbs.intersects(Tables::INET) && !(f.inet || f.inet6) {
            f.inet = true;
            f.inet6 = true;
        }
        if self.dbs.intersects(Tables::UNIX) {
            f.unix = true;
        }
        if self.dbs.intersects(Tables::PACKET) {
            f.packet = true;
        }
        if self.dbs.contains(Tables::NETLINK) {
            f.netlink = true;
        }
        if (f.inet || f.inet6)
            && !self.dbs.intersects(Tables::INET)
            && self
                .missing
                .iter()
                .all(|m| !matches!(m, Missing::Sctp | Missing::Dccp))
        {
            self.dbs |= Tables::INET;
        }
        if f.unix && !self.dbs.intersects(Tables::UNIX) {
            self.dbs |= Tables::UNIX;
        }
        if f.packet && !self.dbs.intersects(Tables::PACKET) {
            self.dbs |= Tables::PACKET;
        }
        if f.netlink {
            self.dbs |= Tables::NETLINK;
        }
    }
}

/// The states `-B`, `-a` or `-l` start from (empty without them).
fn flag_states(args: &Args) -> States {
    if args.selection.bound_inactive {
        States::BOUND_INACTIVE
    } else if args.selection.all {
        SS_ALL
    } else if args.selection.listening {
        States::LISTEN | States::CLOSE
    } else {
        States::empty()
    }
}

/// The filter's words: the expression left after the leading `state` and
/// `exclude` words (which update `state_filter`), split as `ss` splits
/// them, then the words of `-F`'s file (read by [`filter::read_filter_file`]).
fn filter_words(args: &Args, state_filter: &mut States) -> Result<Vec<String>, UsageError> {
    let rest = filter::parse_states(&args.filter, state_filter)?;
    // ss splits every argument on spaces and tabs too: 'dport = :22' is three words.
    let mut words: Vec<String> = rest
        .iter()
        .flat_map(|w| sockdiag::ss::split_words(w))
        .collect();
    if let Some(path) = &args.actions.filter_file {
        words.extend(filter::read_filter_file(path)?);
    }
    Ok(words)
}

/// Whether `message` quotes one of `words` (as a filter error quotes the
/// word at fault).
fn quotes_a_word(message: &str, words: &[String]) -> bool {
    words
        .iter()
        .any(|w| message.contains(&format!("'{}", sockdiag::ss::shown_word(w))))
}

/// Parses the filter expression and compiles it for the caller's namespace;
/// for another namespace (`elsewhere`) only its syntax is checked, and the
/// compilation is deferred to `plan::filter_in`.
fn compile_or_defer(
    words: &[String],
    elsewhere: bool,
) -> Result<
    (
        Option<sockdiag::filter::Expr>,
        Option<sockdiag::filter::Filter>,
    ),
    UsageError,
> {
    let usage = |e: sockdiag::filter::FilterError| UsageError(format!("filter: {e}"));
    let expr = if elsewhere {
        sockdiag::filter::parse_with(words, &filter::NsResolver::SyntaxOnly)
    } else {
        sockdiag::filter::parse_with(words, &sockdiag::filter::SystemResolver)
    }
    .map_err(usage)?;
    let compiled = match &expr {
        Some(e) if !elsewhere => Some(sockdiag::filter::Filter::new(e.clone()).map_err(usage)?),
        _ => None,
    };
    Ok((expr, compiled))
}

/// The inet families asked of the kernel: both unless the selection names
/// one, and only the last of `-4`/`-6` when that was the last family option
/// (`last_family`).
fn inet_families(sel: &Selection, last_family: Option<&str>) -> (bool, bool) {
    let (mut v4, mut v6) = match (sel.fams.inet, sel.fams.inet6) {
        (false, false) => (true, true),
        f => f,
    };
    // ss asks the kernel for IPv4 only or IPv6 only when the last family
    // option given was -4 or -6 (`-4 -6` shows IPv6, `-6 -4` IPv4).
    match last_family {
        Some("inet") => v6 = false,
        Some("inet6") => v4 = false,
        _ => {}
    }
    (v4, v6)
}

/// `-N`'s namespace: a name under `/run/netns`, or a path when it has a `/`.
fn namespace(args: &Args) -> Result<Namespace, UsageError> {
    Ok(match &args.selection.net {
        None => Namespace::Current,
        Some(n) => {
            let s = n.to_string_lossy().into_owned();
            if s.is_empty() {
                return Err(UsageError("-N: empty namespace name".into()));
            }
            if s.contains('/') {
                Namespace::Path(PathBuf::from(n))
            } else {
                Namespace::Named(s)
            }
        }
    })
}

/// `--watch`'s interval.
fn watch_interval(args: &Args) -> Result<Option<std::time::Duration>, UsageError> {
    match &args.live.watch {
        None => Ok(None),
        Some(w) => crate::exit::parse_interval(w).map(Some).map_err(UsageError),
    }
}

/// `--all-netns`'s scope.
fn all_netns_scope(args: &Args) -> Result<Option<Scope>, UsageError> {
    match &args.live.all_netns {
        None => Ok(None),
        Some(s) => Scope::parse(s, args).map(Some).map_err(UsageError),
    }
}

/// `ss`'s `preferred_family`: the family of the family option given last.
fn last_family(m: &clap::ArgMatches) -> Option<String> {
    use clap::parser::ValueSource;
    let mut best: Option<(usize, String)> = None;
    let mut see = |i: usize, f: &str| {
        if best.as_ref().is_none_or(|(b, _)| i > *b) {
            best = Some((i, f.to_string()));
        }
    };
    for (id, fam) in [
        ("ipv4", "inet"),
        ("ipv6", "inet6"),
        ("packet", "link"),
        ("unix", "unix"),
        ("vsock", "vsock"),
        ("tipc", "tipc"),
        ("xdp", "xdp"),
    ] {
        if m.value_source(id) == Some(ValueSource::CommandLine)
            && let Some(i) = m.index_of(id)
        {
            see(i, fam);
        }
    }
    if let (Some(idx), Some(vals)) = (m.indices_of("family"), m.get_many::<String>("family")) {
        for (i, v) in idx.zip(vals) {
            see(i, v);
        }
    }
    best.map(|(_, f)| f)
}

impl Config {
    /// Parses `argv` (with the program name first).
    pub fn parse(argv: Vec<OsString>) -> Result<Config, ParseError> {
        use clap::CommandFactory;
        Config::parse_with(Args::command(), argv)
    }

    /// Parses `argv` with `cmd`, [`Args`]'s clap command as the caller
    /// dressed it (`crate::run()` lists the subcommands in its help).
    pub fn parse_with(cmd: clap::Command, argv: Vec<OsString>) -> Result<Config, ParseError> {
        use clap::FromArgMatches;
        let m = cmd.try_get_matches_from(argv).map_err(ParseError::Clap)?;
        let mut args = Args::from_arg_matches(&m).map_err(ParseError::Clap)?;
        args.last_family = last_family(&m);
        Config::resolve_args(args).map_err(ParseError::Usage)
    }

    /// Resolves flags into tables, families, states and namespace, following
    /// ss's `main()`: table flags and families accumulate default states;
    /// `-a`/`-l`/`state`/`exclude` replace them; with no table or family
    /// flag every table is shown, connected states only.
    pub fn resolve_args(args: Args) -> Result<Config, UsageError> {
        let mut state_filter = flag_states(&args);
        let mut sel = Selection::from_flags(&args)?;
        sel.query(&args.tables.query, &mut state_filter)?;
        let words = filter_words(&args, &mut state_filter)?;
        // Under -N, interface names and the local port range belong to that
        // namespace: check the syntax here, and let `plan::filter_in`
        // resolve `dev` names and compile the filter inside it.
        let elsewhere = args.selection.net.is_some() || args.live.all_netns.is_some();
        let (expr, compiled) = compile_or_defer(&words, elsewhere).map_err(|e| {
            // A filter file's words are not echoed: it may be any file
            // (`-F /etc/shadow`).
            match &args.actions.filter_file {
                Some(path) if path.as_os_str() != "-" && quotes_a_word(&e.0, &words) => UsageError(format!(
                    "-F {}: not a valid filter (its words are not shown; give them as arguments to see the one at fault)",
                    path.display()
                )),
                _ => e,
            }
        })?;
        let default_selection = sel.do_default;
        sel.settle(state_filter);
        let (v4, v6) = inet_families(&sel, args.last_family.as_deref());
        let netns = namespace(&args)?;
        let watch = watch_interval(&args)?;
        let all_netns = all_netns_scope(&args)?;
        Ok(Config {
            watch,
            all_netns,
            tables: sel.dbs,
            v4,
            v6,
            states: sel.states,
            missing: sel.missing,
            netns,
            filter_expr: expr,
            filter: compiled,
            filter_words: words,
            default_selection,
            args,
        })
    }

    /// `ss` drops the Netid column when exactly one table is selected.
    pub fn show_netid(&self) -> bool {
        // vsock is two tables in ss (v_str, v_dgr).
        let missing: u32 = self
            .missing
            .iter()
            .map(|m| if *m == Missing::Vsock { 2 } else { 1 })
            .sum();
        self.tables.bits().count_ones() + missing > 1
    }

    /// `ss` drops the State column when exactly one state is selected.
    pub fn show_state(&self) -> bool {
        self.states.bits().count_ones() > 1
    }
}
