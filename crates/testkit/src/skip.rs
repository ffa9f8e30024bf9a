//! Deciding whether a live test can run here, and skipping it loudly when it
//! cannot.
//!
//! A skip is never silent: it prints `SKIP <test>: <reason>` to stderr. When
//! the environment variable [`REQUIRE_ENV`] is set (CI does), a skip becomes
//! a panic so that nothing is skipped where it matters.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Environment variable that turns every skip into a panic.
///
/// Any value other than empty or `0` counts as set; CI sets it to `1`.
pub const REQUIRE_ENV: &str = "RSS_REQUIRE_PRIVILEGED";

/// Returns `true` when this process can create network namespaces.
///
/// That means: the effective uid is 0 and a trial `unshare(CLONE_NEWNET)` in
/// a throwaway thread succeeds (the probe runs once per process and its
/// result is cached). When it cannot, this either panics with
/// `"<test>: privileged test cannot run: <reason>"` if [`REQUIRE_ENV`] is
/// set, or prints `SKIP <test>: <reason>` to stderr and returns `false`.
///
/// Most tests use the [`require_privileged!`](crate::require_privileged)
/// macro, which returns from the test function on `false`.
pub fn privileged(test: &str) -> bool {
    verdict(test, "privileged test cannot run", privilege_error())
}

/// Why this process cannot create network namespaces, or `None` if it can.
///
/// This is the probe behind [`privileged`], without its skip-or-panic
/// policy: benches and examples can use it to decide what to do themselves.
pub fn privilege_error() -> Option<&'static str> {
    static PROBE: OnceLock<Option<String>> = OnceLock::new();
    PROBE.get_or_init(probe_privilege).as_deref()
}

/// Returns `true` when the external tool `tool` can be run.
///
/// `tool` is either a path (anything containing `/`, e.g. `/usr/bin/ss`) or
/// a bare name looked up in `PATH` (e.g. `iptables`). It must be an
/// executable regular file. The skip-or-panic policy is the one of
/// [`privileged`]; the panic message is
/// `"<test>: required tool unavailable: <reason>"`.
pub fn require_tool(test: &str, tool: &str) -> bool {
    let reason = find_tool(tool).err();
    verdict(test, "required tool unavailable", reason.as_deref())
}

/// Returns `true` when `missing` is `None`; otherwise skips or fails the
/// test by the policy of [`privileged`], with `missing` as the reason.
///
/// For a condition of its own (a file that must exist, a kernel feature):
/// `if !testkit::require(name, (!ok).then_some("no procfs")) { return; }`.
/// The panic message is `"<test>: required environment unavailable: <reason>"`.
pub fn require(test: &str, missing: Option<&str>) -> bool {
    verdict(test, "required environment unavailable", missing)
}

/// Resolves `tool` the way [`require_tool`] does, returning its path or why
/// it is unusable.
pub fn find_tool(tool: &str) -> Result<PathBuf, String> {
    if tool.contains('/') {
        return check_executable(Path::new(tool)).map(|()| PathBuf::from(tool));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join(tool);
        if check_executable(&candidate).is_ok() {
            return Ok(candidate);
        }
    }
    Err(format!("{tool}: not found in PATH"))
}

fn check_executable(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{}: not a regular file", path.display()));
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(format!("{}: not executable", path.display()));
    }
    Ok(())
}

/// True when [`REQUIRE_ENV`] asks for skips to become failures.
fn strict() -> bool {
    std::env::var_os(REQUIRE_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

pub(crate) fn verdict(test: &str, what: &str, reason: Option<&str>) -> bool {
    let Some(reason) = reason else {
        return true;
    };
    if strict() {
        panic!("{test}: {what}: {reason}");
    }
    eprintln!("SKIP {test}: {reason}");
    false
}

fn probe_privilege() -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        return Some(format!("not root (euid {euid})"));
    }
    let trial = std::thread::Builder::new()
        .name("testkit-probe".into())
        .spawn(|| {
            // SAFETY: unshare(CLONE_NEWNET) only moves this short-lived
            // thread into a new network namespace; the thread exits right
            // after and the namespace goes with it.
            if unsafe { libc::unshare(libc::CLONE_NEWNET) } == 0 {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        });
    match trial.map(|handle| handle.join()) {
        Err(e) => Some(format!("cannot spawn the probe thread: {e}")),
        Ok(Err(_)) => Some("the probe thread panicked".into()),
        Ok(Ok(Err(e))) => Some(format!("unshare(CLONE_NEWNET) failed: {e}")),
        Ok(Ok(Ok(()))) => None,
    }
}

/// Expands to the path of the enclosing function as a `&'static str`
/// (for example `live::farm_counts`), for use as a test name.
#[macro_export]
macro_rules! test_name {
    () => {{
        fn __testkit_here() {}
        let name = $crate::__type_name_of(__testkit_here);
        name.strip_suffix("::__testkit_here").unwrap_or(name)
    }};
}

/// Returns from the enclosing function (which must return `()`) unless the
/// process can create network namespaces; see [`privileged`].
///
/// `require_privileged!()` names the test after the enclosing function;
/// `require_privileged!("name")` names it explicitly.
#[macro_export]
macro_rules! require_privileged {
    () => {
        $crate::require_privileged!($crate::test_name!())
    };
    ($test:expr) => {
        if !$crate::privileged($test) {
            return;
        }
    };
}

/// Returns from the enclosing function (which must return `()`) unless the
/// external tool can be run; see [`require_tool`](fn@crate::require_tool).
///
/// `require_tool!("/usr/bin/ss")` names the test after the enclosing
/// function; `require_tool!("name", "/usr/bin/ss")` names it explicitly.
#[macro_export]
macro_rules! require_tool {
    ($tool:expr) => {
        $crate::require_tool!($crate::test_name!(), $tool)
    };
    ($test:expr, $tool:expr) => {
        if !$crate::require_tool($test, $tool) {
            return;
        }
    };
}

/// Support for [`test_name!`](crate::test_name): the type name of a value.
#[doc(hidden)]
pub fn __type_name_of<T>(_: T) -> &'static str {
    std::any::type_name::<T>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_name_is_the_enclosing_function() {
        assert_eq!(
            crate::test_name!(),
            "testkit::skip::tests::test_name_is_the_enclosing_function"
        );
    }

    #[test]
    fn nothing_missing_is_no_skip() {
        assert!(require("t", None));
    }

    #[test]
    fn tools_are_resolved() {
        assert_eq!(find_tool("/bin/sh"), Ok(PathBuf::from("/bin/sh")));
        assert!(find_tool("sh").is_ok());
        assert!(find_tool("/nonexistent/tool").is_err());
        assert!(find_tool("no-such-tool-in-path-1f3a").is_err());
        assert!(find_tool("/etc").is_err(), "a directory is not a tool");
        assert!(find_tool("/etc/passwd").is_err(), "not executable");
    }
}
