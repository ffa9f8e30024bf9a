//! `--watch[=INTERVAL]`: the query again every interval, with what changed.

use std::io::Write;
use std::time::Duration;

use crate::args::Config;
use crate::run::Failure;

/// Parses a `--watch` interval: a positive number with an optional unit
/// (`ms`, `s`, `m`; seconds by default), e.g. `2s`, `500ms`, `1.5`.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "--watch: '{text}' is not an interval (a positive number with ms, s or m, e.g. --watch=2s)"
        )
    };
    let t = text.trim();
    let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(bad());
    }
    let v: f64 = num.parse().map_err(|_| bad())?;
    let secs = v * scale;
    if !(secs.is_finite()) || secs < 0.001 {
        return Err(bad());
    }
    if secs > 86_400.0 {
        return Err(format!("--watch: '{text}' is longer than a day"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Runs the watch loop.
pub(crate) fn run(
    _config: &Config,
    _out: &mut dyn Write,
    _err: &mut dyn Write,
) -> Result<(), Failure> {
    Err(Failure::Usage("--watch is not available yet".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_interval("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_interval("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_interval("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_interval("2m"), Ok(Duration::from_secs(120)));
        for bad in [
            "0", "0s", "-1s", "abc", "", "s", "1h", "1e3", "0.0001s", "1 s x",
        ] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
        assert!(parse_interval("2d").is_err());
        assert!(parse_interval("100000").is_err());
    }
}
