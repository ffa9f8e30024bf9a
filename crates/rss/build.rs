//! Lays out the release `rss` binary's code and read-only data so that a
//! short run touches few pages, and packs its relocations.
//!
//! The kernel maps a program's code 64 KiB around each page it faults on,
//! and every mapped page counts in the peak memory (`time -f %M`). Left to
//! the linker, the functions one `rss -s` runs are spread over most of the
//! 2.5 MB of code, so the whole of it is resident. `link-order.txt` lists
//! the functions that `rss`'s common commands run (written by
//! `benches/link_order.py`); the linker places them first, together.
//! `layout.ld` moves the sections outside `.rodata` and the ordered code
//! that every run reads (`.debug_gdb_scripts`; `.init`, `.fini`, `.plt`)
//! next to the tables the loader reads and before the ordered functions.
//!
//! Only for release builds linked by the toolchain's own `rust-lld` on
//! x86_64 Linux, the default since Rust 1.90: another linker may not know
//! `--symbol-ordering-file`. A name the binary no longer has (the file is
//! stale) is skipped silently; `benches/link_order.py --check` reports how
//! much of the file still applies.

use std::env;
use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=link-order.txt");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    if env::var("PROFILE").as_deref() != Ok("release")
        || env::var("TARGET").as_deref() != Ok("x86_64-unknown-linux-gnu")
        || env::var_os("RUSTC_LINKER").is_some()
    {
        return;
    }
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if ["linker", "fuse-ld", "link-self-contained"]
        .iter()
        .any(|f| flags.contains(f))
    {
        return;
    }
    if !toolchain_lld() {
        return;
    }
    // Relative relocations packed (DT_RELR): the loader reads 1 KB instead
    // of 70 KB at start. The binary then needs glibc 2.36 or later, so only
    // where it is built against one.
    if glibc_at_least(2, 36) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    let dir = env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    // Sections moved next to the ones a run reads anyway (see the file).
    let layout = Path::new(&dir).join("layout.ld");
    if layout.is_file() {
        println!("cargo:rerun-if-changed=layout.ld");
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", layout.display());
    }
    let order = Path::new(&dir).join("link-order.txt");
    if !order.is_file() {
        return;
    }
    println!(
        "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
        order.display()
    );
    println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
}

/// Whether this machine's glibc (`getconf GNU_LIBC_VERSION`: `glibc 2.36`)
/// is `major.minor` or later.
fn glibc_at_least(major: u32, minor: u32) -> bool {
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(version) = text.trim().strip_prefix("glibc ") else {
        return false;
    };
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(a), Some(b)) => (a, b) >= (major, minor),
        _ => false,
    }
}

/// Whether the compiler links with its own `rust-lld` (`gcc-ld/ld.lld` in
/// its sysroot), as rustup's toolchains do on x86_64 Linux.
fn toolchain_lld() -> bool {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(out) = Command::new(rustc).args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout);
    Path::new(sysroot.trim())
        .join("lib/rustlib/x86_64-unknown-linux-gnu/bin/gcc-ld/ld.lld")
        .is_file()
}
