//! Diagnosis over time: [`Watcher`], [`Transitions`] and their [`Event`]s.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use super::{Finding, Kind, Options, Severity, diagnose};
use crate::sample::Sample;

/// What identifies one finding across diagnoses: its kind and its subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FindingKey {
    /// The rule.
    pub kind: Kind,
    /// What the finding is about, as text ([`Finding::subject`]); empty for
    /// a finding about the whole namespace.
    pub subject: String,
}

impl fmt::Display for FindingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.subject.is_empty() {
            f.write_str(self.kind.name())
        } else {
            write!(f, "{} {}", self.kind.name(), self.subject)
        }
    }
}

impl Finding {
    /// The finding's identity across diagnoses: its kind and its
    /// [`subject`](Finding::subject), which its rule sets to what the
    /// finding is about (the listener, the destination, the connection,
    /// the reader, the namespace), never to its wording or its numbers.
    pub fn key(&self) -> FindingKey {
        FindingKey {
            kind: self.kind,
            subject: self.subject.clone(),
        }
    }
}

/// How a finding changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Change {
    /// Found, and not open before.
    Opened,
    /// Open, with another severity than last reported.
    SeverityChanged,
    /// Open, and absent from the last `hold` diagnoses (see [`Watcher`]).
    Resolved,
}

impl Change {
    /// `opened`, `severity_changed`, `resolved` (the serde names).
    pub fn name(self) -> &'static str {
        match self {
            Change::Opened => "opened",
            Change::SeverityChanged => "severity_changed",
            Change::Resolved => "resolved",
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One change of one finding, reported by [`Watcher::push`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Event {
    /// What happened.
    pub change: Change,
    /// The finding's kind.
    pub kind: Kind,
    /// The finding's subject ([`Finding::subject`]).
    pub subject: String,
    /// The severity now reported (for `resolved`, the last one reported).
    pub severity: Severity,
    /// The severity reported before (`severity_changed` only).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub previous_severity: Option<Severity>,
    /// The `seq` of the sample whose diagnosis made the change.
    pub seq: u64,
    /// The finding as the last diagnosis that had it found it (for
    /// `resolved`, as last seen before it went away).
    pub finding: Finding,
}

impl Event {
    /// The finding's identity.
    pub fn key(&self) -> FindingKey {
        FindingKey {
            kind: self.kind,
            subject: self.subject.clone(),
        }
    }
}

/// Open findings and their recent history: the transitions of a watcher,
/// without its samples. [`Watcher`] feeds it one diagnosis per sample;
/// feed it directly to follow findings from elsewhere.
#[derive(Debug, Clone)]
pub struct Transitions {
    hold: usize,
    /// The severity of each key in each of the last `hold` diagnoses.
    history: VecDeque<BTreeMap<FindingKey, Severity>>,
    /// Each open key: the severity reported, and the finding last seen.
    open: BTreeMap<FindingKey, (Severity, Finding)>,
}

impl Transitions {
    /// Nothing open; a finding absent from `hold` diagnoses in a row is
    /// resolved (`hold` at least 1).
    pub fn new(hold: usize) -> Transitions {
        Transitions {
            hold: hold.max(1),
            history: VecDeque::new(),
            open: BTreeMap::new(),
        }
    }

    /// How many diagnoses a finding may be absent before it resolves.
    pub fn hold(&self) -> usize {
        self.hold
    }

    /// Takes one diagnosis (the findings of sample `seq`) and returns the
    /// changes, in key order. Two findings with one key in a diagnosis
    /// count as one, with the higher severity.
    pub fn update(&mut self, seq: u64, findings: Vec<Finding>) -> Vec<Event> {
        let mut now: BTreeMap<FindingKey, Finding> = BTreeMap::new();
        for f in findings {
            let key = f.key();
            match now.get(&key) {
                Some(old) if old.severity >= f.severity => {}
                _ => {
                    now.insert(key, f);
                }
            }
        }
        self.history
            .push_back(now.iter().map(|(k, f)| (k.clone(), f.severity)).collect());
        while self.history.len() > self.hold {
            self.history.pop_front();
        }
        let mut reported: BTreeMap<&FindingKey, Severity> = BTreeMap::new();
        for diagnosis in &self.history {
            for (k, s) in diagnosis {
                let e = reported.entry(k).or_insert(*s);
                *e = (*e).max(*s);
            }
        }
        let reported: BTreeMap<FindingKey, Severity> =
            reported.into_iter().map(|(k, s)| (k.clone(), s)).collect();

        let mut events = Vec::new();
        let event = |change, key: &FindingKey, severity, previous, finding: &Finding| Event {
            change,
            kind: key.kind,
            subject: key.subject.clone(),
            severity,
            previous_severity: previous,
            seq,
            finding: finding.clone(),
        };
        // Resolved: open, no longer reported.
        let gone: Vec<FindingKey> = self
            .open
            .keys()
            .filter(|k| !reported.contains_key(*k))
            .cloned()
            .collect();
        for key in gone {
            if let Some((severity, finding)) = self.open.remove(&key) {
                events.push(event(Change::Resolved, &key, severity, None, &finding));
            }
        }
        for (key, severity) in reported {
            let latest = now.remove(&key);
            match self.open.get_mut(&key) {
                Some((shown, finding)) => {
                    if let Some(f) = latest {
                        *finding = f;
                    }
                    if *shown != severity {
                        let before = *shown;
                        *shown = severity;
                        events.push(event(
                            Change::SeverityChanged,
                            &key,
                            severity,
                            Some(before),
                            finding,
                        ));
                    }
                }
                None => {
                    // A key reported but not open was found in this
                    // diagnosis: older ones only hold open keys.
                    let Some(f) = latest else { continue };
                    events.push(event(Change::Opened, &key, severity, None, &f));
                    self.open.insert(key, (severity, f));
                }
            }
        }
        events.sort_by_key(Event::key);
        events
    }

    /// The open findings, in key order, each as last seen, with the
    /// severity reported.
    pub fn open(&self) -> impl Iterator<Item = (&FindingKey, Severity, &Finding)> + '_ {
        self.open.iter().map(|(k, (s, f))| (k, *s, f))
    }
}

/// Diagnosis over time: a sliding window of samples of one namespace, and
/// the findings it opens, changes and resolves.
///
/// A watcher owns the last `window` samples. Each
/// [`Watcher::push`] adds a sample (dropping the oldest), runs every rule
/// over the window once it is full ([`diagnose`]) and returns what changed
/// since the previous diagnosis, as [`Event`]s:
///
/// - [`Change::Opened`]: a finding that was not open is found;
/// - [`Change::SeverityChanged`]: an open finding's severity is now another;
/// - [`Change::Resolved`]: an open finding was absent from the last `hold`
///   diagnoses.
///
/// A finding is the same finding from one diagnosis to the next when its
/// [`FindingKey`] is: its kind and its subject (the listener, the
/// connection, the destination, the process; see [`Finding::key`]), never
/// its wording or its numbers, which change as the problem evolves.
///
/// # Hold: no flapping
///
/// The severity a watcher reports for a finding is the highest it had in
/// the last `hold` diagnoses, and a finding is resolved only when none of
/// them had it. The default hold is twice the window: one sample without
/// the problem spoils the `window` diagnoses that include it (for a rule
/// that wants the problem in every sample), so a finding stays open, and
/// quiet, through a gap of up to `window` samples (a queue that drains for
/// a moment, a counter that did not rise in one interval). A worse
/// severity is reported at once, a better one only after the worse has
/// been absent for `hold` diagnoses. A finding is never reported open
/// twice: after `Opened` it is reported again only when its severity
/// changes or when it resolves.
///
/// The watcher is pure apart from what the caller gives it: the same
/// samples in the same order always give the same events.
///
/// ```
/// use std::time::Duration;
/// use sockdiag::diagnose::{Options, Watcher};
/// use sockdiag::sample::Sample;
///
/// let mut w = Watcher::new(Options::new(), 3);
/// for i in 0..5u64 {
///     let sample = Sample::new(i, Duration::from_secs(i), Vec::new());
///     for event in w.push(sample) {
///         println!("{} {} {}", event.change, event.kind, event.subject);
///     }
/// }
/// assert_eq!(w.open().count(), 0);
/// ```
#[derive(Debug, Clone)]
pub struct Watcher {
    opts: Options,
    size: usize,
    window: VecDeque<Sample>,
    transitions: Transitions,
}

impl Watcher {
    /// A watcher diagnosing the last `window` samples (at least 1) with
    /// `opts`; a finding absent from `2 × window` diagnoses in a row
    /// resolves (see [`hold`](Self::hold)).
    pub fn new(opts: Options, window: usize) -> Watcher {
        let size = window.max(1);
        Watcher {
            opts,
            size,
            window: VecDeque::with_capacity(size + 1),
            transitions: Transitions::new(2 * size),
        }
    }

    /// The same watcher with another hold: how many diagnoses in a row a
    /// finding must be absent from before it resolves (at least 1; default
    /// twice the window). Open findings are forgotten.
    pub fn hold(mut self, hold: usize) -> Watcher {
        self.transitions = Transitions::new(hold);
        self
    }

    /// The options the rules run with.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// How many samples a diagnosis looks at.
    pub fn window_size(&self) -> usize {
        self.size
    }

    /// The samples held, oldest first.
    pub fn samples(&self) -> impl Iterator<Item = &Sample> + '_ {
        self.window.iter()
    }

    /// Adds a sample, diagnoses the window when it is full, and returns the
    /// changes (none while the window fills).
    pub fn push(&mut self, sample: Sample) -> Vec<Event> {
        let seq = sample.seq;
        self.window.push_back(sample);
        while self.window.len() > self.size {
            self.window.pop_front();
        }
        if self.window.len() < self.size {
            return Vec::new();
        }
        let findings = diagnose(self.window.make_contiguous(), &self.opts);
        self.transitions.update(seq, findings)
    }

    /// Forgets the samples (a gap in sampling: the next diagnosis waits for
    /// a full window of new ones); open findings stay open.
    pub fn clear_window(&mut self) {
        self.window.clear();
    }

    /// The open findings, in key order, each as last seen.
    pub fn open(&self) -> impl Iterator<Item = &Finding> + '_ {
        self.transitions.open().map(|(_, _, f)| f)
    }

    /// The open findings with their keys and reported severities.
    pub fn open_findings(&self) -> impl Iterator<Item = (&FindingKey, Severity, &Finding)> + '_ {
        self.transitions.open()
    }
}
