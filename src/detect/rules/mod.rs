//! The detector entries, grouped as the conformance README groups them.
//! Each file holds its detectors' patterns, validators and examples side by
//! side; `table.rs` concatenates the groups into the one built-in table.

pub mod pii;
pub mod secrets;

/// Anchors of detectors whose every match contains a digit.
pub const DIGITS: &[&str] = &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// Canonical form for values compared as digit strings (cards, SSNs).
pub fn digits_only(s: &str) -> String {
    super::context::digits(s)
}

/// Canonical form for case-insensitive alphanumeric codes (IBAN).
pub fn alnum_upper(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Canonical form for values compared as written (secrets).
pub fn verbatim(s: &str) -> String {
    s.to_owned()
}

pub fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// ASCII letters and digits: the "same kind" for most token formats.
pub fn ascii_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// ASCII letters, digits and underscore (tokens with `_` in their prefix).
pub fn ascii_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}
