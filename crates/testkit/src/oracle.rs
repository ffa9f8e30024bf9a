//! The `ss` 7.1 oracle: iproute2 v7.1.0's `ss`, built from the source kept
//! in the repository (`testdata/oracle/build-ss.sh DIR`, test data only), against which
//! the differential tests compare `rss` byte for byte.

use std::path::{Path, PathBuf};

use crate::skip::{find_tool, verdict};

/// Environment variable holding the oracle's path (`.ci/run` sets it).
pub const ORACLE_ENV: &str = "RSS_SS_ORACLE";

/// Where `.ci/run` builds the oracle when [`ORACLE_ENV`] is unset, relative
/// to the workspace root.
pub const ORACLE_DEFAULT: &str = "target/ss-oracle/iproute2-7.1.0/misc/ss";

/// The oracle's path, or why there is none: [`ORACLE_ENV`] if set, else
/// [`ORACLE_DEFAULT`] under the workspace root when it was built there.
pub fn oracle_path() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(ORACLE_ENV).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return find_tool(&p.to_string_lossy()).map_err(|e| format!("{ORACLE_ENV}: {e}"));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let p = root.join(ORACLE_DEFAULT);
    if p.exists() {
        return find_tool(&p.to_string_lossy());
    }
    Err(format!(
        "no ss 7.1 oracle: {ORACLE_ENV} is unset and {ORACLE_DEFAULT} was not built \
         (testdata/oracle/build-ss.sh target/ss-oracle builds it)"
    ))
}

/// The oracle's path, or `None` after printing `SKIP <test>: <reason>`
/// (a panic when [`REQUIRE_ENV`](crate::REQUIRE_ENV) is set).
pub fn require_oracle(test: &str) -> Option<PathBuf> {
    match oracle_path() {
        Ok(p) => Some(p),
        Err(e) => {
            verdict(test, "ss oracle unavailable", Some(&e));
            None
        }
    }
}

/// Binds the oracle's path to `$var`, or returns from the enclosing test
/// (which must return `()`) after a SKIP; see [`require_oracle`].
#[macro_export]
macro_rules! require_oracle {
    () => {
        match $crate::require_oracle($crate::test_name!()) {
            Some(p) => p,
            None => return,
        }
    };
}
