//! Shared conventions every validator follows: boundaries, context windows,
//! entropy and placeholders (see the conformance README, "Conventions").

/// How far, in characters, a context word may be from a value.
pub const WINDOW: usize = 60;

/// Secrets below this many bits per character are placeholders (`xxxx...`).
pub const MIN_ENTROPY: f64 = 3.0;

pub fn char_before(text: &str, i: usize) -> Option<char> {
    text.get(..i)?.chars().next_back()
}

pub fn char_after(text: &str, i: usize) -> Option<char> {
    text.get(i..)?.chars().next()
}

/// Python's `\w`: what "glued to a word" means for boundaries and whole words.
pub fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// True when neither neighbour of `text[start..end]` satisfies `glued`.
pub fn bounded(text: &str, start: usize, end: usize, glued: impl Fn(char) -> bool) -> bool {
    !char_before(text, start).is_some_and(&glued) && !char_after(text, end).is_some_and(&glued)
}

/// The `n` characters before byte offset `start`.
pub fn window_before(text: &str, start: usize, n: usize) -> &str {
    let Some(head) = text.get(..start) else {
        return "";
    };
    if n == 0 {
        return "";
    }
    let from = head.char_indices().rev().nth(n - 1).map_or(0, |(i, _)| i);
    &head[from..]
}

/// The `n` characters after byte offset `end`.
pub fn window_after(text: &str, end: usize, n: usize) -> &str {
    let Some(tail) = text.get(end..) else {
        return "";
    };
    let to = tail.char_indices().nth(n).map_or(tail.len(), |(i, _)| i);
    &tail[..to]
}

/// True when one of `words` appears (case-insensitive, whole word) within
/// `window` characters before or after `text[start..end]`. The value itself
/// is not searched, so a word can never be half inside it.
pub fn near(text: &str, start: usize, end: usize, words: &[&str], window: usize) -> bool {
    let before = window_before(text, start, window);
    let after = window_after(text, end, window);
    if before.is_empty() && after.is_empty() {
        // A value that is the candidate alone (a table cell) has no
        // context: no word list to walk.
        return false;
    }
    words
        .iter()
        .any(|w| contains_word(before, w) || contains_word(after, w))
}

/// Case-insensitive whole-word search. A `*` at either end of `word` lifts
/// the boundary on that side (`birth*` matches `birthday`); a side whose
/// outer character is not a word character (`SS#`) needs no boundary.
pub fn contains_word(hay: &str, word: &str) -> bool {
    let (open_left, w) = match word.strip_prefix('*') {
        Some(w) => (true, w),
        None => (false, word),
    };
    let (open_right, w) = match w.strip_suffix('*') {
        Some(w) => (true, w),
        None => (false, w),
    };
    let Some(first) = w.chars().next() else {
        return false;
    };
    let need_left = !open_left && is_word(first);
    let need_right = !open_right && w.chars().next_back().is_some_and(is_word);
    let found_at = |i: usize| {
        let Some(len) = match_ci(&hay[i..], w) else {
            return false;
        };
        let glued_left = need_left && char_before(hay, i).is_some_and(is_word);
        let glued_right = need_right && char_after(hay, i + len).is_some_and(is_word);
        !glued_left && !glued_right
    };
    if first.is_ascii() {
        // Only the first character's own bytes (either case) can start a
        // match, and one non-ASCII character: the Kelvin sign, whose lower
        // case is `k` (see `only_the_kelvin_sign_folds_to_ascii`).
        let (lo, up) = (
            first.to_ascii_lowercase() as u8,
            first.to_ascii_uppercase() as u8,
        );
        let b = hay.as_bytes();
        return if lo == b'k' {
            memchr::memchr3_iter(lo, up, KELVIN_LEAD, b).any(found_at)
        } else {
            memchr::memchr2_iter(lo, up, b).any(found_at)
        };
    }
    hay.char_indices().any(|(i, _)| found_at(i))
}

/// The first UTF-8 byte of U+212A KELVIN SIGN.
const KELVIN_LEAD: u8 = 0xE2;

/// If `hay` starts with `word` ignoring case, the byte length it covers.
fn match_ci(hay: &str, word: &str) -> Option<usize> {
    let mut h = hay.char_indices();
    for wc in word.chars() {
        let (_, hc) = h.next()?;
        if !eq_ci(hc, wc) {
            return None;
        }
    }
    Some(h.next().map_or(hay.len(), |(i, _)| i))
}

fn eq_ci(a: char, b: char) -> bool {
    if a == b {
        return true;
    }
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(&b);
    }
    a.to_lowercase().eq(b.to_lowercase())
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut n = 0usize;
    let mut counts = [0u32; 128];
    let mut other: Vec<char> = Vec::new();
    for c in s.chars() {
        n += 1;
        if c.is_ascii() {
            counts[c as usize] += 1;
        } else {
            other.push(c);
        }
    }
    if n == 0 {
        return 0.0;
    }
    other.sort_unstable();
    let mut freqs: Vec<u32> = counts.iter().copied().filter(|&c| c > 0).collect();
    let mut k = 0;
    while k < other.len() {
        let mut j = k;
        while j < other.len() && other[j] == other[k] {
            j += 1;
        }
        freqs.push((j - k) as u32);
        k = j;
    }
    let n = n as f64;
    -freqs
        .iter()
        .map(|&c| {
            let p = f64::from(c) / n;
            p * p.log2()
        })
        .sum::<f64>()
}

/// Words that are never a real secret value on their own.
const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "password",
    "passwd",
    "secret",
    "mysecret",
    "example",
    "sample",
    "dummy",
    "test",
    "testing",
    "redacted",
    "none",
    "null",
    "nil",
    "todo",
    "tbd",
    "placeholder",
    "xxx",
    "your_password",
    "yourpassword",
    "your-password",
    "your_token",
    "your_api_key",
    "secret_key",
    "api_key",
    "token",
    "undefined",
];

/// Substrings that mark a value as a stand-in (`your-key-here`, `<redacted>`).
const PLACEHOLDER_PARTS: &[&str] = &[
    "your",
    "changeme",
    "placeholder",
    "redacted",
    "example",
    "dummy",
];

/// Placeholder values that must never be reported as secrets: empty, one
/// character repeated, templated (`${X}`, `<key>`, `{{ x }}`, `%(x)s`), or a
/// stand-in word.
pub fn is_placeholder(v: &str) -> bool {
    let Some(first) = v.chars().next() else {
        return true;
    };
    if v.chars().all(|c| c == first) {
        return true;
    }
    if matches!(first, '$' | '<' | '[' | '{' | '%') {
        return true;
    }
    let lower = v.to_lowercase();
    if PLACEHOLDER_PARTS.iter().any(|p| lower.contains(p)) {
        return true;
    }
    PLACEHOLDER_WORDS.contains(&lower.as_str())
}

/// Digits of `s`, in order.
pub fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words() {
        assert!(contains_word("my SSN: 1", "SSN"));
        assert!(contains_word("my ssn", "SSN"));
        assert!(!contains_word("SSNs", "SSN"));
        assert!(!contains_word("_SSN", "SSN"));
        assert!(contains_word("Employee SS# 3", "SS#"));
        assert!(contains_word("Personalausweis", "*ausweis"));
        assert!(!contains_word("Personalausweis", "ausweis"));
        assert!(contains_word("birthday", "birth*"));
        assert!(contains_word("Geburtsdatum", "geburtsdatum"));
        assert!(contains_word("出生日期", "出生*"));
        assert!(contains_word("NÉE le", "née"));
        assert!(!contains_word("", "x"));
        assert!(!contains_word("abc", ""));
    }

    #[test]
    fn only_the_kelvin_sign_folds_to_ascii() {
        // `contains_word` looks for an ASCII first character at its own
        // bytes and at the Kelvin sign's lead byte only.
        for c in (0x80..=0x10_FFFFu32).filter_map(char::from_u32) {
            for a in (0u8..0x80).map(char::from) {
                if eq_ci(c, a) {
                    assert_eq!((c, a.to_ascii_lowercase()), ('\u{212A}', 'k'));
                    assert_eq!(c.to_string().as_bytes()[0], KELVIN_LEAD);
                }
            }
        }
        assert!(contains_word("the \u{212A}ey is", "key"));
        assert!(contains_word("a \u{212A}EY", "*KEY*"));
    }

    /// The character-by-character definition `contains_word` must agree with.
    fn contains_word_reference(hay: &str, word: &str) -> bool {
        let (open_left, w) = word.strip_prefix('*').map_or((false, word), |w| (true, w));
        let (open_right, w) = w.strip_suffix('*').map_or((false, w), |w| (true, w));
        let Some(first) = w.chars().next() else {
            return false;
        };
        let need_left = !open_left && is_word(first);
        let need_right = !open_right && w.chars().next_back().is_some_and(is_word);
        hay.char_indices().any(|(i, _)| {
            match_ci(&hay[i..], w).is_some_and(|len| {
                let glued_left = need_left && char_before(hay, i).is_some_and(is_word);
                let glued_right = need_right && char_after(hay, i + len).is_some_and(is_word);
                !glued_left && !glued_right
            })
        })
    }

    #[test]
    fn whole_words_agree_with_the_reference() {
        let alphabet: Vec<char> = "kKsSnN #’\u{212A}é_1-".chars().collect();
        let words = [
            "ssn",
            "SS#",
            "*kn*",
            "kk",
            "#",
            "né",
            "key*",
            "*s",
            "’s",
            "\u{212A}n",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for len in 0..40 {
            for _ in 0..40 {
                let hay: String = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        alphabet[(state % alphabet.len() as u64) as usize]
                    })
                    .collect();
                for w in words {
                    assert_eq!(
                        contains_word(&hay, w),
                        contains_word_reference(&hay, w),
                        "{hay:?} {w:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn windows_count_characters() {
        let t = "ééééé123";
        assert_eq!(window_before(t, 10, 2), "éé");
        assert_eq!(window_before(t, 10, 0), "");
        assert_eq!(window_before(t, 10, 100), "ééééé");
        assert_eq!(window_after("12abc", 2, 2), "ab");
        assert_eq!(window_after("12abc", 2, 100), "abc");
        assert_eq!(window_after("é", 1, 3), "");
        assert!(near("SSN is 123", 7, 10, &["ssn"], 60));
        assert!(!near("SSN is 123", 7, 10, &["ssn"], 3));
    }

    #[test]
    fn entropy_and_placeholders() {
        assert_eq!(entropy(""), 0.0);
        assert_eq!(entropy("aaaa"), 0.0);
        assert!((entropy("abcd") - 2.0).abs() < 1e-9);
        assert!(entropy("AKIAXXXXXXXXXXXXXXXX") < MIN_ENTROPY);
        assert!(entropy("AKIAI3AJ36QEZUXAIAON") >= MIN_ENTROPY);
        assert!((entropy("éèéè") - 1.0).abs() < 1e-9);
        for p in [
            "",
            "xxx",
            "****",
            "${TOKEN}",
            "<your-key>",
            "{{ s }}",
            "%(pw)s",
            "changeme",
            "Password",
            "my_dummy_value",
            "none",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for v in ["hunter2!x", "S3cr3tV4lue", "tok-9f8e7d"] {
            assert!(!is_placeholder(v), "{v}");
        }
    }
}
