//! Generates the man page and shell completions from the CLI's own clap
//! definitions, so they never drift from `rss --help`.
//!
//! ```text
//! cargo run --example gen_docs -- target/docs
//! man -l target/docs/rss.1
//! ```

use std::path::PathBuf;

use clap::CommandFactory;
use clap_complete::Shell;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(
        std::env::args_os()
            .nth(1)
            .unwrap_or_else(|| "target/docs".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let cmd = rss::args::Args::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    std::fs::write(dir.join("rss.1"), page)?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let path = clap_complete::generate_to(shell, &mut cmd.clone(), "rss", &dir)?;
        println!("{}", path.display());
    }
    println!("{}", dir.join("rss.1").display());
    Ok(())
}
