#!/bin/sh
# Installs rss and rss-exporter (which `rss exporter` runs) side by side,
# into cargo's bin directory (~/.cargo/bin, or --root DIR). Extra arguments
# go to both `cargo install`s, e.g. ./install.sh --root /usr/local
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cargo install --locked --path "$here/crates/rss" "$@"
cargo install --locked --path "$here/crates/rss-exporter" "$@"
