//! The fuzz targets' checks in `cargo test`: every committed seed
//! (`fuzz/seeds/TARGET/`) and every input a fuzzer once failed on
//! (`fuzz/regressions/TARGET/`, one file each, named after what it found)
//! runs through the same function the fuzzer calls
//! (`fuzz/fuzz_targets/checks.rs`), so a fixed crash stays fixed.

use std::path::{Path, PathBuf};

#[path = "../fuzz/fuzz_targets/checks.rs"]
mod checks;

const TARGETS: [&str; 5] = ["decode", "replay", "procnet", "filter", "argv"];

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn replay_all(kind: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind);
    let scratch =
        std::env::temp_dir().join(format!("rss-fuzz-regression-{}-{kind}", std::process::id()));
    let mut n = 0;
    for target in TARGETS {
        for input in inputs(&root.join(target)) {
            let data = std::fs::read(&input).unwrap();
            let r = std::panic::catch_unwind(|| checks::check(target, &data, &scratch));
            assert!(r.is_ok(), "{target} fails on {}", input.display());
            n += 1;
        }
    }
    let _ = std::fs::remove_file(&scratch);
    n
}

#[test]
fn seeds_pass_every_check() {
    let n = replay_all("seeds");
    assert!(n >= 20, "only {n} seeds found under fuzz/seeds");
}

#[test]
fn past_fuzz_findings_stay_fixed() {
    replay_all("regressions");
}
