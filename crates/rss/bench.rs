//! `rss bench`: how fast this host hands out its socket tables.
//!
//! ```text
//! rss bench [-t] [-u] [-x] [-w] [-0] [-4|-6] [-a|-l] [-i] [--runs N] [-j] [-N NS]
//! ```
//!
//! Dumps each selected table `--runs` times (default 5) without rendering
//! anything and reports, per table and source, the sockets seen, the
//! netlink datagrams ("batches") and bytes received, the minimum, median
//! and maximum wall time of one dump, and sockets per second at the median.
//! Sources are `netlink` (one reused `NETLINK_SOCK_DIAG` socket, no `/proc`
//! fallback), `netlink -i` (TCP with `tcp_info`, congestion control and
//! Vegas/BBR info, what `ss -i` asks for; only with `-i`), and the `/proc/net`
//! text files the same sockets appear in (`tcp`, `tcp6`, `udp`, `udp6`,
//! `raw`, `raw6`, `unix`, `packet`), read and parsed from the start each run.
//!
//! With no table flag, `-t -u -x`. States are all of them (`-a`, the
//! default) or listening and unconnected ones (`-l`). `-j` prints JSON.
//! Usage errors print one `rss: bench: ...` line and exit with status 2; a
//! system failure (namespace, netlink) exits with 1.

use std::ffi::OsString;
use std::hint::black_box;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, FromArgMatches, Parser, ValueHint};

use sockdiag::bench_support::{ProcRows, proc_file_name};
use sockdiag::{Connection, Error, Family, InetFamilies, NetNs, Query, States, Table, Tables};

use crate::exit::{EXIT_FAILURE, EXIT_OK};

/// What `rss bench` does, in one line (its `about`, listed by `rss --help`).
pub const ABOUT: &str = "Dump socket tables without rendering and report how fast each source is";

/// The help heading of the table flags.
const TABLES: &str = "Tables (default: -t -u -x)";

/// `rss bench`'s command line, but for the table flags ([`TABLE_FLAGS`],
/// added by [`command`]). Every option overrides itself: as with rss itself, a repeated
/// flag is no error (`-i -i`, `-N a -N b`: the last wins).
#[derive(Parser, Debug)]
#[command(
    name = "rss bench",
    bin_name = "rss bench",
    about = ABOUT,
    long_about = "Dump socket tables without rendering and report how fast each source is: \
                  per table and source, the sockets seen, the netlink datagrams (batches) and \
                  bytes received, the minimum, median and maximum time of one dump, and \
                  sockets per second at the median. Sources: netlink (one reused \
                  NETLINK_SOCK_DIAG socket, no /proc fallback), netlink -i (TCP with tcp_info, \
                  only with -i) and the /proc/net files of the same sockets.",
    after_help = "Exit status: 0 success, 1 the system refused (namespace, netlink), 2 bad usage.",
    disable_version_flag = true
)]
struct Args {
    /// IPv4 only (inet tables)
    #[arg(short = '4', long, overrides_with = "ipv4", help_heading = "Selection")]
    ipv4: bool,
    /// IPv6 only (inet tables)
    #[arg(short = '6', long, overrides_with = "ipv6", help_heading = "Selection")]
    ipv6: bool,
    /// every state (default)
    #[arg(short = 'a', long, overrides_with = "all", help_heading = "Selection")]
    all: bool,
    /// listening and unconnected sockets only
    #[arg(
        short = 'l',
        long,
        overrides_with = "listening",
        help_heading = "Selection"
    )]
    listening: bool,
    /// also dump TCP with tcp_info extensions (what ss -i asks for)
    #[arg(
        short = 'i',
        long,
        overrides_with = "info",
        help_heading = "Measurement"
    )]
    info: bool,
    /// dumps per table and source (1 to 100000)
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_RUNS,
        value_parser = parse_runs,
        overrides_with = "runs",
        help_heading = "Measurement"
    )]
    runs: usize,
    /// JSON output
    #[arg(
        short = 'j',
        long,
        overrides_with = "json",
        help_heading = "Measurement"
    )]
    json: bool,
    /// in network namespace NSNAME (/run/netns/NSNAME, or a path)
    #[arg(
        short = 'N',
        long = "net",
        value_name = "NSNAME",
        value_hint = ValueHint::AnyPath,
        overrides_with = "net",
        help_heading = "Measurement"
    )]
    net: Option<String>,
}

/// The table flags, in `--help`'s order: long name (also the id), short
/// name, help, table.
const TABLE_FLAGS: [(&str, char, &str, BenchTable); 5] = [
    ("tcp", 't', "TCP", BenchTable::Tcp),
    ("udp", 'u', "UDP", BenchTable::Udp),
    ("unix", 'x', "unix sockets (all types)", BenchTable::Unix),
    ("raw", 'w', "raw IP sockets", BenchTable::Raw),
    ("packet", '0', "packet sockets", BenchTable::Packet),
];

/// The clap command of `rss bench` (also for the man page and
/// completions): the table flags, then the other options. A table flag appends
/// (`ArgAction::Append` of no value) so that clap keeps every place it was
/// given: the report follows the order in which they were first given.
pub fn command() -> clap::Command {
    let tables = TABLE_FLAGS.map(|(long, short, help, _)| {
        Arg::new(long)
            .short(short)
            .long(long)
            .help(help)
            .action(ArgAction::Append)
            .num_args(0)
            .default_missing_value("true")
            .value_parser(clap::value_parser!(bool))
            .help_heading(TABLES)
    });
    <Args as clap::Args>::augment_args(clap::Command::new("rss bench").args(tables))
}

fn parse_runs(v: &str) -> Result<usize, String> {
    match v.parse::<usize>() {
        Ok(n) if (1..=100_000).contains(&n) => Ok(n),
        _ => Err("not a number from 1 to 100000".into()),
    }
}

/// Default number of dumps per table and source.
const DEFAULT_RUNS: usize = 5;

/// A table as `rss bench` groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BenchTable {
    Tcp,
    Udp,
    Raw,
    Unix,
    Packet,
}

impl BenchTable {
    fn name(self) -> &'static str {
        match self {
            BenchTable::Tcp => "tcp",
            BenchTable::Udp => "udp",
            BenchTable::Raw => "raw",
            BenchTable::Unix => "unix",
            BenchTable::Packet => "packet",
        }
    }

    fn tables(self) -> Tables {
        match self {
            BenchTable::Tcp => Tables::TCP,
            BenchTable::Udp => Tables::UDP,
            BenchTable::Raw => Tables::RAW,
            BenchTable::Unix => Tables::UNIX,
            BenchTable::Packet => Tables::PACKET,
        }
    }

    /// The library table whose `/proc` parser reads this table's files.
    fn parser(self) -> Table {
        match self {
            BenchTable::Tcp => Table::Tcp,
            BenchTable::Udp => Table::Udp,
            BenchTable::Raw => Table::Raw,
            BenchTable::Unix => Table::UnixStream,
            BenchTable::Packet => Table::PacketRaw,
        }
    }

    fn is_inet(self) -> bool {
        matches!(self, BenchTable::Tcp | BenchTable::Udp | BenchTable::Raw)
    }
}

/// The parsed command line.
#[derive(Debug)]
struct Options {
    tables: Vec<BenchTable>,
    families: InetFamilies,
    states: States,
    runs: usize,
    info: bool,
    json: bool,
    netns: Option<String>,
}

/// One line of the report.
#[derive(Debug)]
struct Row {
    table: &'static str,
    source: String,
    sockets: u64,
    /// Netlink datagrams of one dump; `None` for `/proc` files.
    batches: Option<u64>,
    bytes: u64,
    /// One wall time per run, sorted.
    times: Vec<Duration>,
    /// Why nothing was measured (no diag module, no such file).
    unsupported: Option<String>,
}

impl Row {
    fn min(&self) -> Duration {
        self.times.first().copied().unwrap_or_default()
    }
    fn max(&self) -> Duration {
        self.times.last().copied().unwrap_or_default()
    }
    fn median(&self) -> Duration {
        let n = self.times.len();
        match n {
            0 => Duration::ZERO,
            _ if n % 2 == 1 => self.times[n / 2],
            _ => (self.times[n / 2 - 1] + self.times[n / 2]) / 2,
        }
    }
    fn rate(&self) -> f64 {
        let m = self.median().as_secs_f64();
        if m > 0.0 {
            self.sockets as f64 / m
        } else {
            0.0
        }
    }
}

/// Runs `rss bench` (`argv[0]` is the program, `argv[1]` is `bench`).
pub fn run(argv: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let opts = match parse(argv.into_iter().skip(1)) {
        Ok(o) => o,
        Err(e) => return crate::exit::clap_failure("bench", &e, out, err),
    };
    let rows = match measure(&opts) {
        Ok(rows) => rows,
        Err(e) => {
            let _ = writeln!(err, "rss: bench: {e}");
            return EXIT_FAILURE;
        }
    };
    let mut out = io::BufWriter::new(out);
    let written = if opts.json {
        write_json(&mut out, &opts, &rows)
    } else {
        write_table(&mut out, &opts, &rows)
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            let _ = writeln!(err, "rss: bench: write error: {e}");
            EXIT_FAILURE
        }
    }
}

/// Parses the arguments from `bench` on (`bench` is clap's program name);
/// help, version and usage errors are clap's errors.
fn parse<I: IntoIterator<Item = OsString>>(args: I) -> Result<Options, clap::Error> {
    let m = command().try_get_matches_from(args)?;
    let a = Args::from_arg_matches(&m)?;
    // Where a flag was last given on the command line, if it was.
    let at = |id: &str| {
        (m.value_source(id) == Some(ValueSource::CommandLine))
            .then(|| m.indices_of(id).and_then(|i| i.max()))
            .flatten()
    };
    // Tables in the order they were first given, as before: the report follows it.
    let mut given: Vec<(usize, BenchTable)> = TABLE_FLAGS
        .into_iter()
        .filter_map(|(id, _, _, t)| {
            let first = m.indices_of(id)?.min()?;
            (m.value_source(id) == Some(ValueSource::CommandLine)).then_some((first, t))
        })
        .collect();
    given.sort_unstable_by_key(|(i, _)| *i);
    let mut tables: Vec<BenchTable> = given.into_iter().map(|(_, t)| t).collect();
    if tables.is_empty() {
        tables = vec![BenchTable::Tcp, BenchTable::Udp, BenchTable::Unix];
    }
    let families = if a.ipv4 != a.ipv6 {
        InetFamilies::new(a.ipv4, a.ipv6)
    } else {
        InetFamilies::BOTH
    };
    // -a and -l: the last one given wins.
    let listening = match (at("all"), at("listening")) {
        (Some(all), Some(l)) => l > all,
        (_, l) => l.is_some(),
    };
    let states = if listening {
        States::LISTEN | States::CLOSE
    } else {
        States::ALL | States::BOUND_INACTIVE
    };
    Ok(Options {
        tables,
        families,
        states,
        runs: a.runs,
        info: a.info,
        json: a.json,
        netns: a.net,
    })
}

fn open_netns(name: &str) -> Result<NetNs, Error> {
    if name.contains('/') {
        NetNs::from_path(PathBuf::from(name))
    } else {
        NetNs::named(name)
    }
}

/// Every measurement, in report order.
fn measure(opts: &Options) -> Result<Vec<Row>, Error> {
    let netns = opts.netns.as_deref().map(open_netns).transpose()?;
    let mut conn = match &netns {
        None => Connection::new()?,
        Some(ns) => Connection::in_netns(ns)?,
    };
    let mut rows = Vec::new();
    for &table in &opts.tables {
        let query = Query::new(table.tables())
            .families(opts.families)
            .states(opts.states)
            .fallback(false);
        rows.push(bench_netlink(
            &mut conn, table, "netlink", &query, opts.runs,
        )?);
        if opts.info && table == BenchTable::Tcp {
            rows.push(bench_netlink(
                &mut conn,
                table,
                "netlink -i",
                &query.clone().with_info(),
                opts.runs,
            )?);
        }
        let families: &[Family] = if !table.is_inet() {
            &[Family::Unix]
        } else {
            match (opts.families.v4, opts.families.v6) {
                (true, false) => &[Family::Inet],
                (false, true) => &[Family::Inet6],
                _ => &[Family::Inet, Family::Inet6],
            }
        };
        for &family in families {
            if proc_file_name(table.parser(), family).is_some() {
                rows.push(bench_proc(netns.as_ref(), table, family, opts)?);
            }
        }
    }
    Ok(rows)
}

/// Dumps `query` `runs` times on `conn`, counting sockets and timing each dump.
fn bench_netlink(
    conn: &mut Connection,
    table: BenchTable,
    source: &str,
    query: &Query,
    runs: usize,
) -> Result<Row, Error> {
    let mut row = Row {
        table: table.name(),
        source: source.to_owned(),
        sockets: 0,
        batches: Some(0),
        bytes: 0,
        times: Vec::with_capacity(runs),
        unsupported: None,
    };
    for _ in 0..runs {
        let start = Instant::now();
        let mut dump = conn.dump(query);
        let mut sockets = 0u64;
        for s in &mut dump {
            match s {
                Ok(s) => {
                    black_box(&s);
                    sockets += 1;
                }
                Err(Error::Unsupported { request }) => {
                    row.unsupported = Some(format!(
                        "no diag module for {} {}",
                        request.table, request.family
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        let elapsed = start.elapsed();
        row.times.push(elapsed);
        row.sockets = sockets;
        row.batches = Some(dump.batches());
        row.bytes = dump.bytes();
    }
    row.times.sort_unstable();
    Ok(row)
}

/// Reads and parses `/proc/net/<file>` `runs` times (opened once, in the
/// namespace, and rewound for each run: procfs regenerates it).
fn bench_proc(
    netns: Option<&NetNs>,
    table: BenchTable,
    family: Family,
    opts: &Options,
) -> Result<Row, Error> {
    let opened = ProcRows::open(table.parser(), family, netns);
    let display =
        PathBuf::from("/proc/net").join(proc_file_name(table.parser(), family).unwrap_or_default());
    let mut row = Row {
        table: table.name(),
        source: display.display().to_string(),
        sockets: 0,
        batches: None,
        bytes: 0,
        times: Vec::with_capacity(opts.runs),
        unsupported: None,
    };
    let mut rows = match opened {
        Ok(rows) => rows,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            row.unsupported = Some("no such file".into());
            return Ok(row);
        }
        Err(source) => {
            return Err(Error::File {
                path: display,
                source,
            });
        }
    };
    let tables = table.tables();
    for _ in 0..opts.runs {
        let start = Instant::now();
        rows.rewind()?;
        let mut sockets = 0u64;
        for s in &mut rows {
            let s = s?;
            if tables.contains(s.netid.bit()) && opts.states.contains(s.state.bit()) {
                black_box(&s);
                sockets += 1;
            }
        }
        row.times.push(start.elapsed());
        row.sockets = sockets;
        row.bytes = rows.bytes();
    }
    row.times.sort_unstable();
    Ok(row)
}

fn ms(d: Duration) -> String {
    format!("{:.2}ms", d.as_secs_f64() * 1e3)
}

fn human_bytes(b: u64) -> String {
    match b {
        _ if b >= 1 << 20 => format!("{:.1}MiB", b as f64 / (1u64 << 20) as f64),
        _ if b >= 1 << 10 => format!("{:.1}KiB", b as f64 / 1024.0),
        _ => format!("{b}B"),
    }
}

fn human_rate(r: f64) -> String {
    match r {
        _ if r >= 1e6 => format!("{:.2}M/s", r / 1e6),
        _ if r >= 1e3 => format!("{:.1}k/s", r / 1e3),
        _ => format!("{r:.0}/s"),
    }
}

fn write_table(out: &mut dyn Write, opts: &Options, rows: &[Row]) -> io::Result<()> {
    let ns = opts
        .netns
        .as_deref()
        .map(|n| format!(", namespace {n}"))
        .unwrap_or_default();
    writeln!(
        out,
        "rss bench: {} run(s) per table and source{ns}",
        opts.runs
    )?;
    writeln!(
        out,
        "{:<7} {:<18} {:>9} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "TABLE", "SOURCE", "SOCKETS", "BATCHES", "BYTES", "MIN", "MEDIAN", "MAX", "SOCKETS/S"
    )?;
    for r in rows {
        if let Some(why) = &r.unsupported
            && r.sockets == 0
        {
            writeln!(out, "{:<7} {:<18} ({why})", r.table, r.source)?;
            continue;
        }
        writeln!(
            out,
            "{:<7} {:<18} {:>9} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10}",
            r.table,
            r.source,
            r.sockets,
            r.batches.map_or_else(|| "-".to_owned(), |b| b.to_string()),
            human_bytes(r.bytes),
            ms(r.min()),
            ms(r.median()),
            ms(r.max()),
            human_rate(r.rate()),
        )?;
    }
    Ok(())
}

fn write_json(out: &mut dyn Write, opts: &Options, rows: &[Row]) -> io::Result<()> {
    let results: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "table": r.table,
                "source": r.source,
                "sockets": r.sockets,
                "batches": r.batches,
                "bytes": r.bytes,
                "runs": r.times.len(),
                "min_s": r.min().as_secs_f64(),
                "median_s": r.median().as_secs_f64(),
                "max_s": r.max().as_secs_f64(),
                "sockets_per_s": r.rate(),
                "unsupported": r.unsupported,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "runs": opts.runs,
        "namespace": opts.netns,
        "results": results,
    });
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::EXIT_USAGE;

    fn p(args: &[&str]) -> Result<Options, clap::Error> {
        parse(
            std::iter::once("bench")
                .chain(args.iter().copied())
                .map(OsString::from),
        )
    }

    #[test]
    fn flags_combine_like_ss() {
        let o = p(&["-tuxa", "--runs", "3", "-N", "farm", "-4i"]).unwrap();
        assert_eq!(
            o.tables,
            vec![BenchTable::Tcp, BenchTable::Udp, BenchTable::Unix]
        );
        assert_eq!(o.runs, 3);
        assert_eq!(o.netns.as_deref(), Some("farm"));
        assert_eq!(o.families, InetFamilies::V4);
        assert!(o.info && !o.json);
        assert_eq!(o.states, States::ALL | States::BOUND_INACTIVE);
        let o = p(&["-l", "--runs=7", "-Nns", "-w0j"]).unwrap();
        assert_eq!(o.states, States::LISTEN | States::CLOSE);
        assert_eq!((o.runs, o.netns.as_deref(), o.json), (7, Some("ns"), true));
        assert_eq!(o.tables, vec![BenchTable::Raw, BenchTable::Packet]);
        let o = p(&[]).unwrap();
        assert_eq!(o.tables.len(), 3);
        assert_eq!(o.runs, DEFAULT_RUNS);
        assert_eq!(o.families, InetFamilies::BOTH);
        assert_eq!(o.states, States::ALL | States::BOUND_INACTIVE);
        for help in ["--help", "-h"] {
            let e = p(&[help]).unwrap_err();
            assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp);
        }
    }

    #[test]
    fn order_and_repeats_as_given() {
        // The report follows the order tables were first named in.
        let o = p(&["-x", "-t", "-x", "--udp"]).unwrap();
        assert_eq!(
            o.tables,
            vec![BenchTable::Unix, BenchTable::Tcp, BenchTable::Udp]
        );
        // -a and -l: the last wins; -4 -6 together: both families.
        assert_eq!(
            p(&["-l", "-a"]).unwrap().states,
            States::ALL | States::BOUND_INACTIVE
        );
        assert_eq!(
            p(&["-a", "-l"]).unwrap().states,
            States::LISTEN | States::CLOSE
        );
        assert_eq!(
            p(&["-al", "-a", "-l"]).unwrap().states,
            States::LISTEN | States::CLOSE
        );
        assert_eq!(p(&["-4", "-6"]).unwrap().families, InetFamilies::BOTH);
        assert_eq!(
            p(&["-N", "a", "-N", "b"]).unwrap().netns.as_deref(),
            Some("b")
        );
    }

    #[test]
    fn bad_flags_are_usage_errors() {
        for (args, needle) in [
            (&["-q"][..], "'-q'"),
            (&["--bogus"], "'--bogus'"),
            (&["--runs"], "a value is required"),
            (&["--runs", "0"], "'0'"),
            (&["--runs", "100001"], "'100001'"),
            (&["--runs", "x"], "'x'"),
            (&["-N"], "a value is required"),
            (&["state", "established"], "'state'"),
        ] {
            let e = p(args).unwrap_err().to_string();
            assert!(e.contains(needle), "{args:?}: {e}");
        }
    }

    #[test]
    fn errors_are_one_rss_bench_line_and_help_is_stdout() {
        let call = |args: &[&str]| {
            let argv = ["rss", "bench"]
                .iter()
                .chain(args)
                .map(OsString::from)
                .collect();
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let code = run(argv, &mut out, &mut err);
            (
                code,
                String::from_utf8(out).unwrap(),
                String::from_utf8(err).unwrap(),
            )
        };
        let (code, out, err) = call(&["--runs", "0"]);
        assert_eq!(code, EXIT_USAGE);
        assert!(out.is_empty());
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{err}");
        assert!(
            lines[0].starts_with("rss: bench: invalid value '0' for '--runs <N>'"),
            "{err}"
        );
        assert_eq!(lines[1], "Try 'rss bench --help' for more information.");
        let (code, out, err) = call(&["--help"]);
        assert_eq!((code, err.as_str()), (EXIT_OK, ""));
        assert!(out.starts_with("Dump socket tables"), "{out}");
        assert!(out.contains("Usage: rss bench [OPTIONS]"), "{out}");
        assert!(out.contains("--runs <N>"), "{out}");
    }

    #[test]
    fn median_of_even_and_odd_runs() {
        let ms = Duration::from_millis;
        let mut r = Row {
            table: "tcp",
            source: "netlink".into(),
            sockets: 10,
            batches: Some(1),
            bytes: 1,
            times: vec![ms(1), ms(2), ms(9)],
            unsupported: None,
        };
        assert_eq!((r.min(), r.median(), r.max()), (ms(1), ms(2), ms(9)));
        r.times = vec![ms(2), ms(4)];
        assert_eq!(r.median(), ms(3));
        assert!((r.rate() - 10.0 / 0.003).abs() < 1e-6);
    }
}
