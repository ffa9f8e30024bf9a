//! The fuzz targets' checks in `cargo test`: every committed seed
//! (`fuzz/seeds/TARGET/`) and every input a fuzzer once failed on
//! (`fuzz/regressions/TARGET/`, one file each, named after what it found)
//! runs through the same function the fuzzer calls
//! (`fuzz/fuzz_targets/checks.rs`), so a fixed crash stays fixed.
//!
//! Each test counts the inputs it ran and fails when a directory it reads
//! is missing or empty, or holds fewer inputs than are committed: a moved
//! corpus is a failure, never a pass over nothing.
//!
//! A finding that was a hang (`fuzz/regressions/filter/timeout-glob-many-stars`:
//! an exponential glob matcher) hangs again if the defect comes back; the
//! per-test timeout of the CI profile (`.config/nextest.toml`) then
//! terminates the test and names it as failed.

use std::path::{Path, PathBuf};

#[path = "../../../fuzz/fuzz_targets/checks.rs"]
mod checks;

const TARGETS: [&str; 5] = ["decode", "replay", "procnet", "filter", "argv"];

/// Seeds committed under `fuzz/seeds/` (all targets together).
const COMMITTED_SEEDS: usize = 26;
/// Findings committed under `fuzz/regressions/` (all targets together).
const COMMITTED_REGRESSIONS: usize = 1;

fn root(kind: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("fuzz")
        .join(kind)
}

/// The files of `dir`, sorted; `None` when the directory does not exist.
fn inputs(dir: &Path) -> Option<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    let mut v: Vec<PathBuf> = entries
        .map(|e| {
            e.unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path()
        })
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    Some(v)
}

/// Runs every input of `fuzz/KIND/TARGET/` through the target's check and
/// returns how many ran per target (`None`: no directory for the target).
fn replay_all(kind: &str) -> Vec<(&'static str, Option<usize>)> {
    let root = root(kind);
    assert!(root.is_dir(), "{} is missing", root.display());
    let scratch =
        std::env::temp_dir().join(format!("rss-fuzz-regression-{}-{kind}", std::process::id()));
    let mut counts = Vec::new();
    for target in TARGETS {
        let Some(files) = inputs(&root.join(target)) else {
            counts.push((target, None));
            continue;
        };
        let mut n = 0;
        for input in &files {
            let data = std::fs::read(input).unwrap();
            let r = std::panic::catch_unwind(|| checks::check(target, &data, &scratch));
            assert!(r.is_ok(), "{target} fails on {}", input.display());
            n += 1;
        }
        counts.push((target, Some(n)));
    }
    let _ = std::fs::remove_file(&scratch);
    counts
}

fn total(counts: &[(&str, Option<usize>)]) -> usize {
    counts.iter().filter_map(|(_, n)| *n).sum()
}

#[test]
fn seeds_pass_every_check() {
    let counts = replay_all("seeds");
    // Every target has seeds of its own.
    for (target, n) in &counts {
        assert!(
            n.is_some_and(|n| n > 0),
            "no seeds ran for {target}: fuzz/seeds/{target}/ is missing or empty ({counts:?})"
        );
    }
    let n = total(&counts);
    assert!(
        n >= COMMITTED_SEEDS,
        "{n} seeds ran, {COMMITTED_SEEDS} are committed under fuzz/seeds: {counts:?}"
    );
}

#[test]
fn past_fuzz_findings_stay_fixed() {
    let counts = replay_all("regressions");
    let n = total(&counts);
    assert!(
        n >= COMMITTED_REGRESSIONS,
        "{n} findings ran, {COMMITTED_REGRESSIONS} are committed under fuzz/regressions: {counts:?}"
    );
    // The glob hang found by the filter fuzzer is among them.
    let filter = counts.iter().find(|(t, _)| *t == "filter").unwrap().1;
    assert!(
        filter.is_some_and(|n| n >= 1),
        "fuzz/regressions/filter/ is missing or empty: {counts:?}"
    );
}
