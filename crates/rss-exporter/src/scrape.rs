//! One scrape: a fresh dump of every target namespace, its kernel counters,
//! the latest findings and the exporter's own health.
//!
//! The process map (who holds which socket) is the only thing cached: a
//! background thread rebuilds it, and a scrape uses the last one built. A
//! scrape never waits for the map or for the findings sampler.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use sockdiag::{Connection, Error, NetNs, ProcessMap, ProcessMapOptions, Query, States, Tables};

use crate::findings::Findings;
use crate::metrics::{self, Aggregate, Def, Families, Family, Kind, Limits, Value};
use crate::targets::STAGES;
use crate::targets::find_namespaces;
pub use crate::targets::{Errors, Scope, all_namespaces};

/// How process labels are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessLookup {
    /// Never: every `process` label is empty.
    Off,
    /// One map, built when the exporter starts (`--textfile`).
    Once,
    /// Built at start, then rebuilt in the background every period.
    Every(Duration),
}

/// The exporter's state between scrapes.
#[derive(Debug)]
pub struct Exporter {
    query: Query,
    scope: Scope,
    limits: Limits,
    processes: RwLock<Option<(Arc<ProcessMap>, Instant)>>,
    errors: Errors,
    scrapes: AtomicU64,
    last_error: Mutex<Option<String>>,
    findings: Option<Arc<Findings>>,
}

const HEALTH_DURATION: Def = (
    "rss_exporter_scrape_duration_seconds",
    "Time this scrape took to dump sockets and read counters.",
    Kind::Gauge,
);
const HEALTH_SEEN: Def = (
    "rss_exporter_sockets_seen",
    "Sockets this scrape dumped, all namespaces.",
    Kind::Gauge,
);
const HEALTH_ERRORS: Def = (
    "rss_exporter_errors",
    "Failed scrape steps since the exporter started, by stage (netns, dump, counters, processes, findings).",
    Kind::Counter,
);
const HEALTH_SCRAPES: Def = (
    "rss_exporter_scrapes",
    "Scrapes served since the exporter started.",
    Kind::Counter,
);
const HEALTH_FOLDED: Def = (
    "rss_exporter_folded_series",
    "Series a cardinality cap folded into the (other) series in this scrape, by metric.",
    Kind::Gauge,
);
const HEALTH_PROC_AGE: Def = (
    "rss_exporter_process_map_age_seconds",
    "Age of the cached socket-to-process map used for process labels (absent when process lookup is off).",
    Kind::Gauge,
);
const HEALTH_NS_FOLDED: Def = (
    "rss_exporter_namespaces_folded",
    "Network namespaces found but left out of this scrape, beyond --max-namespaces.",
    Kind::Gauge,
);
const HEALTH_NAMESPACES: Def = (
    "rss_exporter_namespaces",
    "Network namespaces this scrape dumped (those with rss_namespace_up 1).",
    Kind::Gauge,
);
const NAMESPACE_UP: Def = (
    "rss_namespace_up",
    "1 when this scrape dumped the namespace's sockets, 0 when it could not (not entered, refused); a namespace at 0 has no other series.",
    Kind::Gauge,
);

/// A namespace to dump (`None`: the exporter's own), or why its file
/// could not be opened.
type Target = Result<Option<NetNs>, Error>;

/// What one scrape could read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Namespaces whose sockets were dumped.
    pub read: usize,
    /// Namespaces that could not be dumped: label (empty without
    /// `--all-netns`) and why.
    pub unread: Vec<(String, String)>,
}

impl Exporter {
    /// An exporter over `scope` with `query`, looking processes up as
    /// `lookup` says.
    pub fn new(
        query: Query,
        scope: Scope,
        limits: Limits,
        lookup: ProcessLookup,
        findings: Option<Arc<Findings>>,
    ) -> Arc<Exporter> {
        let ex = Arc::new(Exporter {
            query,
            scope,
            limits,
            processes: RwLock::new(None),
            errors: Errors::default(),
            scrapes: AtomicU64::new(0),
            last_error: Mutex::new(None),
            findings,
        });
        if lookup != ProcessLookup::Off {
            ex.refresh_processes();
        }
        if let ProcessLookup::Every(period) = lookup {
            let weak = Arc::downgrade(&ex);
            let spawned = std::thread::Builder::new()
                .name("rss-procmap".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(period);
                        let Some(ex) = weak.upgrade() else { return };
                        ex.refresh_processes();
                    }
                });
            if spawned.is_err() {
                ex.errors.count("processes");
            }
        }
        ex
    }

    fn refresh_processes(&self) {
        match ProcessMap::build(&ProcessMapOptions::default()) {
            Ok(map) => {
                if let Ok(mut slot) = self.processes.write() {
                    *slot = Some((Arc::new(map), Instant::now()));
                }
            }
            Err(e) => self.fail("processes", &e),
        }
    }

    fn fail(&self, stage: &str, e: &dyn std::fmt::Display) {
        self.errors.count(stage);
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(format!("{stage}: {e}"));
        }
    }

    /// The last error seen, for the landing page and `--textfile`.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|l| l.clone())
    }

    /// The namespaces to dump, with their `netns` label (a namespace file
    /// that cannot be opened is a target that failed), and how many were
    /// left out beyond the bound.
    fn targets(&self) -> (Vec<(Option<String>, Target)>, usize) {
        match &self.scope {
            Scope::Current => (vec![(None, Ok(None))], 0),
            Scope::One(p) => (vec![(None, NetNs::from_path(p.clone()).map(Some))], 0),
            Scope::All => {
                let mut v = vec![(Some("host".to_owned()), Ok(None))];
                let (found, folded) = find_namespaces(self.limits.namespaces);
                for (label, path) in found {
                    match NetNs::from_path(path) {
                        Ok(ns) => v.push((Some(label), Ok(Some(ns)))),
                        // A process that exited between listing and opening.
                        Err(Error::Namespace { source, .. })
                            if source.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => v.push((Some(label), Err(e))),
                    }
                }
                (v, folded)
            }
        }
    }

    /// Dumps one namespace into `agg`; an error means its sockets are
    /// unknown (none written).
    fn dump(
        &self,
        ns: &Result<Option<NetNs>, Error>,
        agg: &mut Aggregate,
        holders: &dyn metrics::Holders,
    ) -> Result<(), String> {
        let ns = ns.as_ref().map_err(|e| {
            self.fail("netns", e);
            e.to_string()
        })?;
        let mut conn = Connection::open(ns.as_ref()).map_err(|e| {
            self.fail("dump", &e);
            e.to_string()
        })?;
        for s in conn.dump(&self.query) {
            match s {
                Ok(s) => agg.push(&s, holders),
                // A table this kernel cannot dump is not an error.
                Err(Error::Unsupported { .. }) => {}
                Err(e) => {
                    self.fail("dump", &e);
                    return Err(e.to_string());
                }
            }
        }
        Ok(())
    }

    /// Whether the sockets of at least one target namespace can be dumped
    /// (entering each and dumping its TCP listeners): the check at start.
    /// The error is that of the first namespace that could not.
    pub fn probe(&self) -> Result<(), String> {
        let query = Query::new(Tables::TCP).states(States::LISTEN);
        let mut first = None;
        for (_, ns) in self.targets().0 {
            let tried = ns.and_then(|ns| {
                let mut conn = Connection::open(ns.as_ref())?;
                for s in conn.dump(&query) {
                    match s {
                        Ok(_) | Err(Error::Unsupported { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            });
            match tried {
                Ok(()) => return Ok(()),
                Err(e) => {
                    first.get_or_insert(e.to_string());
                }
            }
        }
        Err(first.unwrap_or_else(|| "no namespace to read".to_owned()))
    }

    /// Takes a fresh dump and returns every family.
    pub fn scrape(&self) -> Vec<Family> {
        self.scrape_outcome().0
    }

    /// Takes a fresh dump and returns every family, and what could be
    /// read. A namespace that could not be dumped gets
    /// `rss_namespace_up 0` and no socket or counter series.
    pub fn scrape_outcome(&self) -> (Vec<Family>, Outcome) {
        let start = Instant::now();
        self.scrapes.fetch_add(1, Ordering::Relaxed);
        let mut out = Families::new();
        for def in [
            metrics::SOCKETS,
            metrics::ACCEPT_Q,
            metrics::BACKLOG,
            metrics::RECV_Q,
            metrics::RECV_Q_MAX,
            metrics::SEND_Q,
            metrics::SEND_Q_MAX,
            metrics::CLOSE_WAIT,
            NAMESPACE_UP,
        ] {
            out.declare(def);
        }
        let procs = self
            .processes
            .read()
            .ok()
            .and_then(|p| p.as_ref().map(|(m, t)| (Arc::clone(m), *t)));
        let holders: &dyn metrics::Holders = match &procs {
            Some((m, _)) => &**m,
            None => &metrics::NoHolders,
        };
        let (targets, ns_folded) = self.targets();
        let mut outcome = Outcome::default();
        let mut seen = 0;
        let mut folded: BTreeMap<&'static str, u64> = BTreeMap::new();
        let mut counters = Vec::new();
        for (label, ns) in &targets {
            let prefix: Vec<(&'static str, String)> =
                label.iter().map(|l| ("netns", l.clone())).collect();
            let mut agg = Aggregate::new();
            let dumped = self.dump(ns, &mut agg, holders);
            out.get(NAMESPACE_UP)
                .push(prefix.clone(), Value::Int(i64::from(dumped.is_ok())));
            if let Err(e) = dumped {
                outcome.unread.push((label.clone().unwrap_or_default(), e));
                continue;
            }
            outcome.read += 1;
            seen += agg.seen();
            for (name, n) in agg.write(&prefix, self.limits, &mut out) {
                *folded.entry(name).or_default() += n;
            }
            let ns = ns.as_ref().ok().and_then(Option::as_ref);
            match read_counters(ns) {
                Ok(texts) => counters.push((prefix, texts)),
                Err(e) => self.fail("counters", &e),
            }
        }
        // Kernel counters after the socket families, each family whole.
        for (prefix, (snmp, netstat)) in &counters {
            metrics::write_kernel_counters(snmp, netstat, prefix, &mut out);
        }
        if let Some(f) = &self.findings {
            f.write(&mut out, &self.errors);
        }

        out.get(HEALTH_DURATION)
            .push(vec![], Value::Float(start.elapsed().as_secs_f64()));
        out.get(HEALTH_SEEN).push(vec![], Value::Int(seen as i64));
        out.get(HEALTH_NAMESPACES)
            .push(vec![], Value::Int(outcome.read as i64));
        out.get(HEALTH_NS_FOLDED)
            .push(vec![], Value::Int(ns_folded as i64));
        out.get(HEALTH_SCRAPES)
            .push(vec![], Value::Count(self.scrapes.load(Ordering::Relaxed)));
        for (i, stage) in STAGES.iter().enumerate() {
            out.get(HEALTH_ERRORS).push(
                vec![("stage", (*stage).to_owned())],
                Value::Count(self.errors.0[i].load(Ordering::Relaxed)),
            );
        }
        out.declare(HEALTH_FOLDED);
        for (name, n) in folded {
            out.get(HEALTH_FOLDED)
                .push(vec![("metric", name.to_owned())], Value::Int(n as i64));
        }
        if let Some((_, built)) = procs {
            out.get(HEALTH_PROC_AGE)
                .push(vec![], Value::Float(built.elapsed().as_secs_f64()));
        }
        (out.into_vec(), outcome)
    }
}

/// `snmp` and `netstat` of a namespace (the calling thread's when `None`).
fn read_counters(ns: Option<&NetNs>) -> Result<(String, String), String> {
    fn read() -> Result<(String, String), String> {
        let dir = Path::new(sockdiag::host::PROC_NET);
        let get = |name: &str| {
            std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{name}: {e}"))
        };
        Ok((get("snmp")?, get("netstat")?))
    }
    match ns {
        None => read(),
        Some(ns) => ns.run(read).map_err(|e| e.to_string())?,
    }
}
