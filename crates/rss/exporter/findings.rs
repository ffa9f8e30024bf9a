//! `rss doctor` findings as a gauge per kind, from a background sampler.
//!
//! Findings need samples over time, so a thread of their own takes them and
//! publishes the latest count per kind here; a scrape only reads the last
//! published counts and never waits for the sampler.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sockdiag::Query;

use super::metrics::{Def, Families, Kind, Value};
use super::scrape::{Errors, Scope};

/// Starts the background sampler over `scope` (one sample every `interval`,
/// 0 for none) and returns where it publishes.
///
/// Hook for the doctor's sampler and rules (`sockdiag::sample`,
/// `sockdiag::diagnose`): until they are part of this build, no sampler runs
/// and no findings are exported.
pub fn start(_scope: &Scope, _query: &Query, interval: Duration) -> Option<Arc<Findings>> {
    if interval.is_zero() {
        return None;
    }
    None
}

const FINDINGS: Def = (
    "rss_doctor_findings",
    "Findings of the rss doctor rules in the last diagnosis, by kind (0 for a known kind with none).",
    Kind::Gauge,
);
const AGE: Def = (
    "rss_doctor_last_diagnosis_age_seconds",
    "Seconds since the background sampler last published a diagnosis.",
    Kind::Gauge,
);
const ROUNDS: Def = (
    "rss_doctor_diagnoses",
    "Diagnoses the background sampler completed since the exporter started.",
    Kind::Counter,
);

#[derive(Debug, Default)]
struct Latest {
    by_kind: BTreeMap<String, u64>,
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

    /// Publishes one diagnosis: the kind of each finding.
    pub fn publish<'a>(&self, kinds: impl IntoIterator<Item = &'a str>) {
        let mut by_kind = BTreeMap::new();
        for k in kinds {
            *by_kind.entry(k.to_owned()).or_insert(0) += 1;
        }
        if let Ok(mut l) = self.latest.lock() {
            l.by_kind = by_kind;
            l.at = Some(Instant::now());
            l.rounds += 1;
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
        if l.at.is_some() {
            let mut all: BTreeMap<&str, u64> = self.kinds.iter().map(|k| (k.as_str(), 0)).collect();
            for (k, n) in &l.by_kind {
                all.insert(k, *n);
            }
            for (k, n) in all {
                out.get(FINDINGS)
                    .push(vec![("kind", k.to_owned())], Value::Int(n as i64));
            }
        }
        if let Some(at) = l.at {
            out.get(AGE)
                .push(vec![], Value::Float(at.elapsed().as_secs_f64()));
        }
        out.get(ROUNDS).push(vec![], Value::Count(l.rounds));
    }
}
