//! Surrogates: realistic stand-ins of the same shape, drawn under the key
//! from space that belongs to no one, so that a scan of the output finds
//! none of them.
//!
//! - E-mail: same local-part shape, a random domain label, under the
//!   `.invalid` top-level domain (RFC 2606), which the e-mail detector does
//!   not report.
//! - Checksummed numbers (cards, IBANs, national ids): same length, same
//!   grouping and separators, same letters-versus-digits (an IBAN keeps its
//!   country code), drawn again until the detector's own validator rejects
//!   it in place (a wrong check digit, in effect). US SSNs get area 000,
//!   which is never issued.
//! - Everything else (phones and IP addresses included, see README) and
//!   every secret: no rule, so the caller writes the placeholder.
//!
//! Deterministic: the draw is seeded by HMAC(key, "surrogate" ‖ id ‖ 0x00 ‖
//! normalised value), so one person gets one surrogate in every file and
//! run under one key.

use std::ops::Range;

use crate::detect::{Candidate, Category, Detector};
use crate::keys::PseudonymKey;

/// Types whose surrogate keeps the shape and fails the checksum.
const CHECKSUMMED: &[&str] = &[
    "CREDIT_CARD",
    "CN_BANK_CARD",
    "IBAN",
    "DE_ID_CARD",
    "DE_TAX_ID",
    "FR_NIR",
    "TR_NATIONAL_ID",
    "UK_NHS",
    "ES_DNI",
    "ES_NIE",
    "IT_CODICE_FISCALE",
    "NL_BSN",
    "PL_PESEL",
    "IN_AADHAAR",
    "CN_RESIDENT_ID",
    "CN_USCC",
    "US_SSN",
];

/// Draws attempted before giving up (the caller then writes the placeholder).
const TRIES: u32 = 32;

/// A keyed byte stream for one value.
struct Draw<'k> {
    key: &'k PseudonymKey,
    seed: Vec<u8>,
    block: u32,
    buf: [u8; 32],
    at: usize,
}

impl<'k> Draw<'k> {
    fn new(key: &'k PseudonymKey, detector: &Detector, value: &str, attempt: u32) -> Self {
        let mut seed = (detector.normaliser)(value).into_bytes();
        seed.extend_from_slice(&attempt.to_be_bytes());
        let domain = format!("surrogate:{}", detector.id);
        let buf = key.mac(domain.as_bytes(), &seed);
        Draw {
            key,
            seed,
            block: 0,
            buf,
            at: 0,
        }
    }

    fn byte(&mut self) -> u8 {
        if self.at == self.buf.len() {
            self.block += 1;
            let mut s = self.seed.clone();
            s.extend_from_slice(&self.block.to_be_bytes());
            self.buf = self.key.mac(b"surrogate-more", &s);
            self.at = 0;
        }
        self.at += 1;
        self.buf[self.at - 1]
    }

    /// Uniform below `n` (n ≤ 256), by rejection.
    fn below(&mut self, n: u8) -> u8 {
        let limit = 256 - (256 % n as u16);
        loop {
            let b = self.byte();
            if (b as u16) < limit {
                return b % n;
            }
        }
    }

    fn digit(&mut self) -> char {
        (b'0' + self.below(10)) as char
    }

    fn lower(&mut self) -> char {
        (b'a' + self.below(26)) as char
    }
}

/// Whether a drawn surrogate may stand: given the value with the surrogate
/// spliced in and the surrogate's span in it. The mask sink passes the full
/// scanner (nothing may be found there); a number with a wrong check digit
/// for one type can still look like another (an NHS number like a phone).
pub type Accept<'a> = &'a mut dyn FnMut(&str, Range<usize>) -> bool;

/// The surrogate of the span `range` of `text` that `detector` found, or
/// `None` when the type has no surrogate rule or no draw was accepted.
pub fn surrogate(
    key: &PseudonymKey,
    detector: &Detector,
    text: &str,
    range: Range<usize>,
    accept: Accept<'_>,
) -> Option<String> {
    if detector.category == Category::Secret {
        return None;
    }
    let value = text.get(range.clone())?;
    let is_email = detector.id == "EMAIL";
    if !is_email && !CHECKSUMMED.contains(&detector.id) {
        return None;
    }
    for attempt in 0..TRIES {
        let mut d = Draw::new(key, detector, value, attempt);
        let s = if is_email {
            email(&mut d, value)
        } else {
            same_shape(&mut d, detector.id, value)
        };
        // Rejected by the detector's validator where it stands, and by
        // whatever else `accept` checks.
        let spliced = format!("{}{}{}", &text[..range.start], s, &text[range.end..]);
        let span = range.start..range.start + s.len();
        let cand = Candidate {
            text: &spliced,
            start: span.start,
            end: span.end,
        };
        if (detector.validator)(&cand).is_none() && accept(&spliced, span) {
            return Some(s);
        }
    }
    None
}

/// Same letters-versus-digits and separators, new characters.
fn same_shape(d: &mut Draw<'_>, id: &str, value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut digits = 0;
    for (i, c) in value.chars().enumerate() {
        let keep = id == "IBAN" && i < 2;
        out.push(match c {
            _ if keep => c,
            '0'..='9' => {
                digits += 1;
                if id == "US_SSN" && digits <= 3 {
                    '0'
                } else {
                    d.digit()
                }
            }
            'a'..='z' => d.lower(),
            'A'..='Z' => d.lower().to_ascii_uppercase(),
            c => c,
        });
    }
    out
}

/// `local@label.invalid`, the local part's shape kept.
fn email(d: &mut Draw<'_>, value: &str) -> String {
    let (local, domain) = value.rsplit_once('@').unwrap_or((value, "x"));
    let mut out = String::with_capacity(value.len() + 8);
    for c in local.chars() {
        out.push(match c {
            '.' | '-' | '_' | '+' => c,
            '0'..='9' => d.digit(),
            _ => d.lower(),
        });
    }
    out.push('@');
    let label = domain.split('.').next().map_or(4, |l| l.chars().count());
    for _ in 0..label.clamp(3, 20) {
        out.push(d.lower());
    }
    out.push_str(".invalid");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Scanner, Scratch};

    fn nothing_in(
        scanner: &Scanner,
        scratch: &mut Scratch,
        text: &str,
        span: Range<usize>,
    ) -> bool {
        let mut found = Vec::new();
        scanner.scan(text, scratch, &mut found);
        !found
            .iter()
            .any(|f| (f.start as usize) < span.end && f.end as usize > span.start)
    }

    fn det(id: &str) -> &'static Detector {
        crate::detect::builtin()
            .iter()
            .find(|d| d.id == id)
            .unwrap_or_else(|| panic!("{id}"))
    }

    /// Surrogates keep the shape, are stable under one key, differ under
    /// another, and no detector finds anything where they stand (checked
    /// on each detector's own first example).
    #[test]
    fn same_shape_found_by_no_detector() {
        let k1 = PseudonymKey::from_bytes(b"one".to_vec()).unwrap();
        let k2 = PseudonymKey::from_bytes(b"two".to_vec()).unwrap();
        let scanner = Scanner::builtin();
        let mut scratch = scanner.scratch();
        let mut tested = 0;
        let check = Scanner::builtin();
        let mut check_scratch = check.scratch();
        let mut accept =
            |t: &str, span: Range<usize>| nothing_in(&check, &mut check_scratch, t, span);
        for id in std::iter::once("EMAIL").chain(CHECKSUMMED.iter().copied()) {
            let d = det(id);
            let text = d.examples[0];
            let mut found = Vec::new();
            scanner.scan(text, &mut scratch, &mut found);
            // The example itself is found, or the test proves nothing.
            let f = found
                .iter()
                .find(|f| scanner.detectors()[f.detector as usize].id == id)
                .unwrap_or_else(|| panic!("{id}: its example {text:?} is not found"));
            let range = f.range();
            let value = &text[range.clone()];
            let Some(s) = surrogate(&k1, d, text, range.clone(), &mut accept) else {
                panic!("{id}: no surrogate for {value}");
            };
            tested += 1;
            let again = surrogate(&k1, d, text, range.clone(), &mut accept);
            assert_eq!(Some(&s), again.as_ref());
            let other = surrogate(&k2, d, text, range.clone(), &mut accept);
            assert_ne!(Some(&s), other.as_ref());
            assert_ne!(s, value);
            if id == "EMAIL" {
                assert!(s.ends_with(".invalid"), "{s}");
            } else {
                let shape = |t: &str| -> String {
                    t.chars()
                        .map(|c| match c {
                            '0'..='9' => '9',
                            'a'..='z' => 'a',
                            'A'..='Z' => 'A',
                            c => c,
                        })
                        .collect()
                };
                assert_eq!(shape(&s), shape(value), "{id}: {value} -> {s}");
            }
            let out = format!("{}{}{}", &text[..range.start], s, &text[range.end..]);
            found.clear();
            scanner.scan(&out, &mut scratch, &mut found);
            let end = range.start + s.len();
            assert!(
                !found
                    .iter()
                    .any(|f| (f.start as usize) < end && f.end as usize > range.start),
                "{id}: {out} -> {found:?}"
            );
        }
        assert_eq!(tested, CHECKSUMMED.len() + 1);
        let phone = surrogate(&k1, det("PHONE"), "+1 202 555 0143", 0..15, &mut accept);
        assert!(phone.is_none());
    }
}
