//! The detector entries, grouped as the conformance README groups them.
//! Each file holds its detectors' patterns, validators and examples side by
//! side; `table.rs` concatenates the groups into the one built-in table.

pub mod ids;
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

/// Digits of a grouped number whose groups use one kind of separator
/// (space or dash), at most `N` of them.
pub fn grouped_digits<const N: usize>(v: &str) -> Option<([u8; N], usize)> {
    let (mut space, mut dash) = (false, false);
    let mut buf = [0u8; N];
    let mut n = 0;
    for b in v.bytes() {
        match b {
            b'0'..=b'9' => {
                *buf.get_mut(n)? = b;
                n += 1;
            }
            b' ' => space = true,
            b'-' => dash = true,
            _ => return None,
        }
    }
    if space && dash {
        return None;
    }
    Some((buf, n))
}

/// Splits `AAA?GG?SSSS` into its nine digits and its separator (`None` for
/// none); `None` overall when the two separators differ.
pub fn split_3_2_4(v: &str) -> Option<([u8; 9], Option<u8>)> {
    let b = v.as_bytes();
    let mut d = [0u8; 9];
    let mut n = 0;
    let mut seps = [0u8; 2];
    let mut s = 0;
    for &x in b {
        if x.is_ascii_digit() {
            *d.get_mut(n)? = x;
            n += 1;
        } else {
            if !(n == 3 || n == 5) || s == 2 {
                return None;
            }
            seps[s] = x;
            s += 1;
        }
    }
    if n != 9 {
        return None;
    }
    match s {
        0 => Some((d, None)),
        2 if seps[0] == seps[1] => Some((d, Some(seps[0]))),
        _ => None,
    }
}

/// Letters and digits of `v` with single separators (space, `-`, `.`)
/// removed, at most `N` of them; `None` on any other character.
pub fn compact<const N: usize>(v: &str) -> Option<([u8; N], usize)> {
    let mut buf = [0u8; N];
    let mut n = 0;
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() {
            *buf.get_mut(n)? = b;
            n += 1;
        } else if !matches!(b, b' ' | b'-' | b'.') {
            return None;
        }
    }
    Some((buf, n))
}
