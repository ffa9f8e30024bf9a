//! `ss`'s command-line conventions, for tools that accept `ss`-style
//! arguments (the `rss` binary is one): how `ss` splits filter text into
//! words and reads a `-F` filter file. They are not part of the socket
//! model; [`crate::filter::Filter::parse_str`] uses [`split_words`].
//!
//! ```
//! use sockdiag::filter::Filter;
//! use sockdiag::ss_conventions::split_words;
//! // `ss dport = :22 or dport = :443`, as the shell hands it over.
//! let argv = ["dport", "=", ":22", "or", "dport = :443"];
//! let words: Vec<String> = argv.iter().flat_map(|a| split_words(a)).collect();
//! assert_eq!(words.len(), 7);
//! assert!(Filter::parse(&words)?.is_some());
//! # Ok::<(), sockdiag::FilterError>(())
//! ```
#![deny(unsafe_code)]

/// Splits filter text into words as `ss` does: on spaces, tabs and line
/// ends, with `\` escaping the next character.
///
/// ```
/// use sockdiag::ss_conventions::split_words;
/// assert_eq!(split_words(" dport  =\t:22 "), ["dport", "=", ":22"]);
/// assert_eq!(split_words(r"src unix:/tmp/a\ b"), ["src", "unix:/tmp/a b"]);
/// ```
pub fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// The words of an `ss -F` filter file: lines starting with `#` are
/// comments, the rest is split as [`split_words`] does.
///
/// ```
/// use sockdiag::ss_conventions::words_from_file_text;
/// let words = words_from_file_text("# web\ndport = :443\nor dport = :80\n");
/// assert_eq!(words, ["dport", "=", ":443", "or", "dport", "=", ":80"]);
/// ```
pub fn words_from_file_text(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(split_words)
        .collect()
}
