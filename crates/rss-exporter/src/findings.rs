//! `rss doctor` findings as a gauge per kind, from a background sampler.
//!
//! Findings need samples over time, so a thread of their own takes them and
//! feeds each namespace's [`Watcher`] (the one behind `rss doctor --watch`:
//! the same window, the same rules, the same findings opened and resolved),
//! then publishes the open findings and the openings and resolutions per
//! kind here; a scrape only reads what was last published and never waits
//! for the sampler.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sockdiag::Query;
use sockdiag::diagnose::{Change, Kind as FindingKind, Options, Watcher};
use sockdiag::sample::{Sample, SampleOptions, Sampler};

use crate::metrics::{Def, Families, Kind, Value};
use crate::targets::{Errors, Scope, find_namespaces};

/// Samples a diagnosis looks at: the doctor's default (3 samples), spread
/// over two sampling intervals.
pub const WINDOW: usize = 3;

/// Starts the background sampler over `scope`, one sample of each
/// namespace every `interval` (zero: no sampler), and returns where it
/// publishes. Each round gives each namespace's [`Watcher`] a sample: it
/// runs the doctor's rules over the last [`WINDOW`] samples, as `rss doctor
/// --watch --samples 3` does, and a finding stays open until it was absent
/// from `2 × WINDOW` diagnoses.
///
/// A sample of more than `max_sockets` sockets is not diagnosed (the
/// namespace is reported in `rss_doctor_skipped`): the rules' cost grows
/// faster than the socket count. With [`Scope::All`], the namespaces are
/// those a scrape covers: at most `max_namespaces`, the exporter's own
/// included (`--max-namespaces`).
pub fn start(
    scope: &Scope,
    query: &Query,
    interval: Duration,
    max_sockets: usize,
    max_namespaces: usize,
) -> Option<Arc<Findings>> {
    if interval.is_zero() {
        return None;
    }
    let findings = Arc::new(Findings::new(
        FindingKind::ALL.iter().map(|k| k.name().to_owned()),
    ));
    let weak = Arc::downgrade(&findings);
    let (scope, query) = (scope.clone(), query.clone());
    std::thread::Builder::new()
        .name("rss-doctor-sampler".into())
        .spawn(move || {
            let mut watched = Watched::default();
            loop {
                let Some(findings) = weak.upgrade() else {
                    return;
                };
                let targets: Vec<(Option<String>, Option<PathBuf>)> = match &scope {
                    Scope::Current => vec![(None, None)],
                    Scope::One(p) => vec![(None, Some(p.clone()))],
                    Scope::All => std::iter::once((Some("host".to_owned()), None))
                        .chain(
                            find_namespaces(max_namespaces)
                                .0
                                .into_iter()
                                .map(|(l, p)| (Some(l), Some(p))),
                        )
                        .collect(),
                };
                watched.round(
                    targets,
                    max_sockets,
                    &findings,
                    |path| {
                        let ns = path.map(sockdiag::NetNs::from_path).transpose()?;
                        Sampler::new(query.clone(), ns.as_ref(), SampleOptions::default())
                    },
                    Sampler::sample,
                );
                drop(findings);
                std::thread::sleep(interval);
            }
        })
        .ok()?;
    Some(findings)
}

/// The namespaces the sampler watches, by `netns` label (`None` without
/// `--all-netns`): the source of each one's samples (a [`Sampler`]) and its
/// [`Watcher`].
#[derive(Debug)]
struct Watched<S> {
    by_label: BTreeMap<Option<String>, (S, Watcher)>,
}

impl<S> Default for Watched<S> {
    fn default() -> Self {
        Watched {
            by_label: BTreeMap::new(),
        }
    }
}

impl<S> Watched<S> {
    /// One round: a sample of each of `targets` (label and namespace file,
    /// `None` for the exporter's own), taken by `sample` from the source
    /// `open` made for it, given to its watcher; then the open findings,
    /// the changes and the skipped namespaces are published to
    /// `findings`. A namespace no longer among `targets` is forgotten. A
    /// source that cannot be made, or a sample that fails, is counted as
    /// a failure; the namespace keeps its source and its watcher (its
    /// window and open findings), and the next round resumes with them.
    fn round<E, F>(
        &mut self,
        targets: Vec<(Option<String>, Option<PathBuf>)>,
        max_sockets: usize,
        findings: &Findings,
        mut open: impl FnMut(Option<PathBuf>) -> Result<S, E>,
        mut sample: impl FnMut(&mut S) -> Result<Sample, F>,
    ) {
        self.by_label
            .retain(|k, _| targets.iter().any(|(l, _)| l == k));
        let mut found = Vec::new();
        let mut changes = Vec::new();
        let mut sampled = Vec::new();
        let mut skipped = Vec::new();
        for (label, path) in targets {
            if !self.by_label.contains_key(&label) {
                match open(path) {
                    Ok(s) => {
                        let watcher = Watcher::new(Options::new(), WINDOW);
                        self.by_label.insert(label.clone(), (s, watcher));
                    }
                    Err(_) => {
                        findings.failed();
                        continue;
                    }
                }
            }
            let Some((source, watcher)) = self.by_label.get_mut(&label) else {
                continue;
            };
            match sample(source) {
                Ok(s) if s.sockets.len() > max_sockets => {
                    watcher.clear_window();
                    skipped.push(label);
                }
                Ok(s) => {
                    for e in watcher.push(s) {
                        changes.push((label.clone(), e.change, e.kind.name()));
                    }
                    for f in watcher.open() {
                        found.push((label.clone(), f.kind.name()));
                    }
                    sampled.push(label);
                }
                Err(_) => findings.failed(),
            }
        }
        findings.publish(sampled, found);
        findings.count(changes);
        findings.skip(skipped);
    }
}

const FINDINGS: Def = (
    "rss_doctor_findings",
    "Findings of the rss doctor rules open now, by kind (0 for a known kind with none); as rss doctor --watch --samples 3 opens and resolves them.",
    Kind::Gauge,
);
const OPENED: Def = (
    "rss_doctor_findings_opened",
    "Findings of the rss doctor rules opened since the exporter started, by kind.",
    Kind::Counter,
);
const RESOLVED: Def = (
    "rss_doctor_findings_resolved",
    "Findings of the rss doctor rules resolved since the exporter started, by kind.",
    Kind::Counter,
);
const AGE: Def = (
    "rss_doctor_last_diagnosis_age_seconds",
    "Seconds since the background sampler last published a diagnosis.",
    Kind::Gauge,
);
const SKIPPED: Def = (
    "rss_doctor_skipped",
    "1 for a namespace whose last sample held more sockets than --sample-max-sockets, so it was not diagnosed.",
    Kind::Gauge,
);
const ROUNDS: Def = (
    "rss_doctor_diagnoses",
    "Diagnoses the background sampler completed since the exporter started.",
    Kind::Counter,
);

#[derive(Debug, Default)]
struct Latest {
    /// Namespaces diagnosed (their netns label).
    namespaces: Vec<Option<String>>,
    /// Namespaces not diagnosed: too many sockets.
    skipped: Vec<Option<String>>,
    by_kind: BTreeMap<(Option<String>, String), u64>,
    /// Findings opened and resolved so far, by namespace and kind.
    opened: BTreeMap<(Option<String>, String), u64>,
    resolved: BTreeMap<(Option<String>, String), u64>,
    at: Option<Instant>,
    rounds: u64,
    failures: u64,
    reported_failures: u64,
}

/// The findings published by the sampler.
#[derive(Debug)]
pub struct Findings {
    kinds: Vec<String>,
    latest: Mutex<Latest>,
}

impl Findings {
    /// Findings whose every kind in `kinds` is exported, as 0 until found.
    pub fn new(kinds: impl IntoIterator<Item = String>) -> Findings {
        Findings {
            kinds: kinds.into_iter().collect(),
            latest: Mutex::new(Latest::default()),
        }
    }

    /// Publishes one diagnosis of `namespaces`: the namespace and kind of
    /// each finding.
    pub fn publish<'a>(
        &self,
        namespaces: Vec<Option<String>>,
        found: impl IntoIterator<Item = (Option<String>, &'a str)>,
    ) {
        let mut by_kind = BTreeMap::new();
        for (ns, k) in found {
            *by_kind.entry((ns, k.to_owned())).or_insert(0) += 1;
        }
        if let Ok(mut l) = self.latest.lock() {
            l.namespaces = namespaces;
            l.by_kind = by_kind;
            l.at = Some(Instant::now());
            l.rounds += 1;
        }
    }

    /// Counts findings opened and resolved (severity changes are not
    /// counted): the namespace, the change and the kind of each.
    pub fn count<'a>(&self, changes: impl IntoIterator<Item = (Option<String>, Change, &'a str)>) {
        if let Ok(mut l) = self.latest.lock() {
            for (ns, change, kind) in changes {
                let to = match change {
                    Change::Opened => &mut l.opened,
                    Change::Resolved => &mut l.resolved,
                    _ => continue,
                };
                *to.entry((ns, kind.to_owned())).or_insert(0) += 1;
            }
        }
    }

    /// Records the namespaces whose last sample was too large to diagnose.
    pub fn skip(&self, namespaces: Vec<Option<String>>) {
        if let Ok(mut l) = self.latest.lock() {
            l.skipped = namespaces;
        }
    }

    /// Records that a sampling round failed (counted as a `findings` error
    /// at the next scrape).
    pub fn failed(&self) {
        if let Ok(mut l) = self.latest.lock() {
            l.failures += 1;
        }
    }

    /// Writes the gauges.
    pub fn write(&self, out: &mut Families, errors: &Errors) {
        let Ok(mut l) = self.latest.lock() else {
            return;
        };
        while l.reported_failures < l.failures {
            l.reported_failures += 1;
            errors.count("findings");
        }
        out.declare(FINDINGS);
        for ns in &l.namespaces {
            let mut all: BTreeMap<&str, u64> = self.kinds.iter().map(|k| (k.as_str(), 0)).collect();
            for ((n, k), count) in &l.by_kind {
                if n == ns {
                    all.insert(k, *count);
                }
            }
            for (k, count) in all {
                let mut labels: Vec<(&'static str, String)> =
                    ns.iter().map(|n| ("netns", n.clone())).collect();
                labels.push(("kind", k.to_owned()));
                out.get(FINDINGS).push(labels, Value::Int(count as i64));
            }
        }
        for (def, counts) in [(OPENED, &l.opened), (RESOLVED, &l.resolved)] {
            out.declare(def);
            for ((ns, k), n) in counts {
                let mut labels: Vec<(&'static str, String)> =
                    ns.iter().map(|n| ("netns", n.clone())).collect();
                labels.push(("kind", k.clone()));
                out.get(def).push(labels, Value::Count(*n));
            }
        }
        for ns in &l.skipped {
            let labels: Vec<(&'static str, String)> =
                ns.iter().map(|n| ("netns", n.clone())).collect();
            out.get(SKIPPED).push(labels, Value::Int(1));
        }
        if let Some(at) = l.at {
            out.get(AGE)
                .push(vec![], Value::Float(at.elapsed().as_secs_f64()));
        }
        out.get(ROUNDS).push(vec![], Value::Count(l.rounds));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(
        out: &mut Families,
        name: &'static str,
    ) -> Vec<(Vec<(&'static str, String)>, Value)> {
        out.get((name, "", Kind::Gauge))
            .samples
            .iter()
            .map(|s| (s.labels.clone(), s.value.clone()))
            .collect()
    }

    /// A TCP listener on 127.0.0.1:5000 with backlog 5 and `queued`
    /// connections in its accept queue.
    fn listener(queued: u32) -> sockdiag::Socket {
        use sockdiag::{Endpoint, Family, Socket, State, Table};
        let mut s = Socket::new(Table::Tcp, Family::Inet, State::Listen);
        s.cookie = Some(7);
        s.inode = 77;
        s.local = Endpoint::Inet {
            addr: "127.0.0.1".parse().unwrap(),
            port: 5000,
        };
        s.peer = Endpoint::Inet {
            addr: "0.0.0.0".parse().unwrap(),
            port: 0,
        };
        (s.recv_q, s.send_q) = (queued, 5);
        s
    }

    #[test]
    fn a_failed_sample_keeps_the_namespace_watcher() {
        use std::cell::RefCell;
        use std::collections::VecDeque;
        use std::rc::Rc;
        // Sources of samples, all on one sequence: each round takes the
        // next; `None` fails.
        type Source = Rc<RefCell<(u64, VecDeque<Option<u32>>)>>;
        let take = |src: &mut Source| -> Result<Sample, &'static str> {
            let mut src = src.borrow_mut();
            let seq = src.0;
            src.0 += 1;
            match src.1.pop_front().flatten() {
                Some(q) => Ok(Sample::new(
                    seq,
                    Duration::from_secs(seq),
                    vec![listener(q)],
                )),
                None => Err("dump failed"),
            }
        };
        let f = Findings::new(FindingKind::ALL.iter().map(|k| k.name().to_owned()));
        let mut w: Watched<Source> = Watched::default();
        let mut opened = 0;
        // A full accept queue in every sample but the fourth, which fails.
        let levels = [Some(6), Some(6), Some(6), None, Some(6), Some(6), Some(6)];
        let source: Source = Rc::new(RefCell::new((0, levels.into_iter().collect())));
        let mut opens = 0;
        for round in 0..levels.len() {
            w.round(
                vec![(Some("web".into()), None)],
                1000,
                &f,
                |_| {
                    opens += 1;
                    Ok::<_, ()>(Rc::clone(&source))
                },
                take,
            );
            let l = f.latest.lock().unwrap();
            opened = l
                .opened
                .get(&(Some("web".into()), "listen_queue_full".into()))
                .copied()
                .unwrap_or(0);
            // Opened once the window holds 3 samples; still open after.
            assert_eq!(opened, u64::from(round >= 2), "round {round}");
            let open = l
                .by_kind
                .contains_key(&(Some("web".into()), "listen_queue_full".into()));
            assert_eq!(open, round >= 2 && round != 3, "round {round}");
            assert!(l.resolved.is_empty(), "round {round}: {:?}", l.resolved);
            assert_eq!(l.failures, u64::from(round >= 3), "round {round}");
        }
        assert_eq!(opened, 1);
        assert_eq!(opens, 1, "the source was made again");
    }

    #[test]
    fn a_sample_over_max_sockets_is_skipped() {
        // Each source gives samples of as many full listeners as its path
        // says; at most 1 socket is diagnosed.
        let f = Findings::new(FindingKind::ALL.iter().map(|k| k.name().to_owned()));
        let mut w: Watched<(usize, u64)> = Watched::default();
        let ns = |l: &str, n: &str| (Some(l.to_owned()), Some(PathBuf::from(n)));
        for _ in 0..WINDOW {
            w.round(
                vec![ns("big", "2"), ns("fits", "1")],
                1,
                &f,
                |p| {
                    let n = p.and_then(|p| p.to_str()?.parse().ok()).ok_or(())?;
                    Ok::<_, ()>((n, 0))
                },
                |(n, seq)| {
                    *seq += 1;
                    Ok::<_, ()>(Sample::new(
                        *seq,
                        Duration::from_secs(*seq),
                        vec![listener(6); *n],
                    ))
                },
            );
        }
        let l = f.latest.lock().unwrap();
        assert_eq!(l.skipped, [Some("big".to_owned())]);
        assert_eq!(l.namespaces, [Some("fits".to_owned())]);
        let kinds: Vec<_> = l.by_kind.keys().collect();
        assert_eq!(
            kinds,
            [&(Some("fits".to_owned()), "listen_queue_full".to_owned())]
        );
        assert_eq!(l.failures, 0);
    }

    #[test]
    fn every_known_kind_is_a_series_per_namespace() {
        let f = Findings::new(["a".to_owned(), "b".to_owned()]);
        let errors = Errors::default();
        let mut out = Families::new();
        f.write(&mut out, &errors);
        // Before the first diagnosis: the family, no series.
        assert!(samples(&mut out, FINDINGS.0).is_empty());

        f.publish(
            vec![Some("host".into()), Some("web".into())],
            [
                (Some("web".to_owned()), "b"),
                (Some("web".to_owned()), "b"),
                (Some("host".to_owned()), "c"),
            ],
        );
        f.failed();
        f.skip(vec![Some("big".into())]);
        let mut out = Families::new();
        f.write(&mut out, &errors);
        let l = |ns: &str, k: &str| vec![("netns", ns.to_owned()), ("kind", k.to_owned())];
        assert_eq!(
            samples(&mut out, FINDINGS.0),
            vec![
                (l("host", "a"), Value::Int(0)),
                (l("host", "b"), Value::Int(0)),
                (l("host", "c"), Value::Int(1)),
                (l("web", "a"), Value::Int(0)),
                (l("web", "b"), Value::Int(2)),
            ]
        );
        // Openings and resolutions: counters, a series once counted.
        assert!(samples(&mut out, OPENED.0).is_empty());
        f.count([
            (Some("web".to_owned()), Change::Opened, "b"),
            (Some("web".to_owned()), Change::SeverityChanged, "b"),
            (Some("web".to_owned()), Change::Opened, "b"),
            (Some("web".to_owned()), Change::Resolved, "b"),
            (Some("host".to_owned()), Change::Opened, "c"),
        ]);
        let mut out = Families::new();
        f.write(&mut out, &errors);
        let counters = |out: &mut Families, name| -> Vec<(Vec<(&'static str, String)>, Value)> {
            out.get((name, "", Kind::Counter))
                .samples
                .iter()
                .map(|s| (s.labels.clone(), s.value.clone()))
                .collect()
        };
        assert_eq!(
            counters(&mut out, OPENED.0),
            vec![
                (l("host", "c"), Value::Count(1)),
                (l("web", "b"), Value::Count(2))
            ]
        );
        assert_eq!(
            counters(&mut out, RESOLVED.0),
            vec![(l("web", "b"), Value::Count(1))]
        );
        assert_eq!(
            errors
                .0
                .iter()
                .map(|a| a.load(std::sync::atomic::Ordering::Relaxed))
                .sum::<u64>(),
            1
        );
    }
}
