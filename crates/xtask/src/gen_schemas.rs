//! `cargo xtask gen-schemas`: the committed JSON Schemas of rss's JSON
//! output, generated from the library's types (`sockdiag`, feature
//! `schema`). rss's tests compare each committed file with what
//! [`schemas`] gives, and validate real output against it.

use std::path::{Path, PathBuf};

/// Each schema: its path under the repository root, and its text.
pub fn schemas() -> Vec<(&'static str, String)> {
    vec![
        (
            "schema/rss-socket.schema.json",
            sockdiag::socket_list_schema(),
        ),
        (
            "schema/rss-doctor.schema.json",
            sockdiag::diagnose::report_schema(),
        ),
        (
            "schema/rss-doctor-watch.schema.json",
            sockdiag::diagnose::watch_schema(),
        ),
    ]
}

/// Writes every schema under `root` (the repository), returning the paths
/// written.
pub fn generate(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (rel, text) in schemas() {
        let path = root.join(rel);
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}
