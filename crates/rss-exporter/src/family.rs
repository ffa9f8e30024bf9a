//! A metric family as the exporter builds it and the encoders write it:
//! name, help, type and labelled samples.

/// The type of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value that goes up and down.
    Gauge,
    /// A cumulative count; the encoders append `_total` to the name.
    Counter,
    /// Buckets, a sum and a count.
    Histogram,
}

/// One sample's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An integer gauge.
    Int(i64),
    /// A fractional gauge.
    Float(f64),
    /// A counter.
    Count(u64),
    /// A histogram: sum, count, and per-bucket (not cumulative) counts whose
    /// last bound is `+Inf`.
    Histogram {
        /// Sum of the observations.
        sum: f64,
        /// Number of observations.
        count: u64,
        /// `(upper bound, observations in this bucket only)`.
        buckets: Vec<(f64, u64)>,
    },
}

/// One labelled sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Label pairs, in output order.
    pub labels: Vec<(&'static str, String)>,
    /// The value.
    pub value: Value,
}

/// A metric family: name (without `_total` for counters), help, type and
/// samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// The name as written for gauges and histograms; counters get `_total`.
    pub name: &'static str,
    /// One line of help.
    pub help: &'static str,
    /// The type.
    pub kind: Kind,
    /// The samples.
    pub samples: Vec<Sample>,
}

impl Family {
    /// An empty family.
    pub fn new(name: &'static str, help: &'static str, kind: Kind) -> Family {
        Family {
            name,
            help,
            kind,
            samples: Vec::new(),
        }
    }

    /// Adds a sample.
    pub fn push(&mut self, labels: Vec<(&'static str, String)>, value: Value) {
        self.samples.push(Sample { labels, value });
    }
}
