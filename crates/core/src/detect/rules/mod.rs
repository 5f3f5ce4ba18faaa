//! The detector entries, grouped as the conformance README groups them.
//! Each file holds its detectors' patterns, validators and examples side by
//! side; `table.rs` concatenates the groups into the one built-in table.

pub mod ids;
pub mod pii;
pub mod secrets;

use super::Candidate;

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

/// How far [`card_surroundings_ok`] follows a token glued to a card-shaped
/// run, each way: past a UUID (36 characters) and a SHA-256 digest (64). A
/// longer glued run is judged by this much of it, which keeps a megabyte of
/// hex linear.
const HEX_LOOK: usize = 72;

/// Whether a card-shaped digit run stands where a card number can: not
/// right after a `+` (a calling code: `+49 152 54599371` is a phone number
/// whose 13 digits happen to pass Luhn), and not inside a hex string or a
/// UUID (a digest or an id whose letters leave a Luhn-valid run of digits).
///
/// The run is inside a hex string when the letters and digits glued to it
/// (`tx-9f3e4532...ab`: `9f3e`, `ab`), or the whole dash-joined token around
/// it (a UUID), are hex digits with a letter `a`-`f` or a `0x` prefix.
/// `Visa4111...` (not hex) and a card beside a hex word (not glued) stay
/// cards.
pub fn card_surroundings_ok(c: &Candidate<'_>) -> bool {
    let b = c.text.as_bytes();
    let (Some(head), Some(tail)) = (b.get(..c.start), b.get(c.end..)) else {
        return false;
    };
    if head.last() == Some(&b'+') {
        return false;
    }
    let in_token = |x: &&u8| x.is_ascii_alphanumeric() || **x == b'-';
    let in_segment = |x: &&u8| x.is_ascii_alphanumeric();
    let left = |glued: &dyn Fn(&&u8) -> bool| {
        let n = head.iter().rev().take(HEX_LOOK).take_while(glued).count();
        &head[head.len() - n..]
    };
    let right = |glued: &dyn Fn(&&u8) -> bool| {
        let n = tail.iter().take(HEX_LOOK).take_while(glued).count();
        &tail[..n]
    };
    !hex_around(left(&in_segment), right(&in_segment))
        && !hex_around(left(&in_token), right(&in_token))
}

/// Whether the bytes glued left and right of a digit run make it part of a
/// hex string: only hex digits (and dashes), with a letter or a leading
/// `0x`.
fn hex_around(left: &[u8], right: &[u8]) -> bool {
    let prefixed = left.len() >= 2 && left[..2].eq_ignore_ascii_case(b"0x");
    let left = if prefixed { &left[2..] } else { left };
    let rest = || left.iter().chain(right);
    rest().all(|x| x.is_ascii_hexdigit() || *x == b'-')
        && (prefixed || rest().any(|x| x.is_ascii_alphabetic()))
}
