//! `cargo xtask TASK [ARGS]`: the repository's generators.
//!
//! ```text
//! cargo xtask gen-docs [DIR]   # man pages and completions into DIR (default target/docs)
//! cargo xtask gen-schemas      # the JSON Schemas under schema/
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask gen-docs [DIR] | gen-schemas\n\n\
    gen-docs [DIR]   rss's man pages and shell completions into DIR (default target/docs)\n\
    gen-schemas      the JSON Schemas of rss's JSON output, into schema/";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["gen-docs"] => gen_docs(PathBuf::from("target/docs")),
        ["gen-docs", dir] => gen_docs(PathBuf::from(dir)),
        ["gen-schemas"] => gen_schemas(),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn gen_schemas() -> ExitCode {
    // The repository root: xtask lives in crates/xtask.
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(root) = manifest.ancestors().nth(2) else {
        eprintln!(
            "xtask gen-schemas: no repository root above {}",
            manifest.display()
        );
        return ExitCode::FAILURE;
    };
    match xtask::gen_schemas::generate(root) {
        Ok(paths) => {
            for p in paths {
                println!("{}", p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask gen-schemas: {e}");
            ExitCode::FAILURE
        }
    }
}

fn gen_docs(dir: PathBuf) -> ExitCode {
    match xtask::gen_docs::generate(&dir) {
        Ok(paths) => {
            for p in paths {
                println!("{}", p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask gen-docs: {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
