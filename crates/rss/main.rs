fn main() {
    eprintln!("rss: the command line is not built yet");
    std::process::exit(1);
}
