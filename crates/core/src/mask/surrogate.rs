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
//! - IPv4 addresses: a host in 198.51.100.0/24 (TEST-NET-2, RFC 5737).
//! - Phones: NANP numbers become `NXX-555-01XX` (the never-assigned 555
//!   numbers), GB numbers with a ten-digit national number Ofcom's drama
//!   mobiles `07700 900XXX`, each with the original's digit count and
//!   separators (and its `+1`/`+44` or trunk prefix).
//! - The IP and phone detectors do not report exactly those ranges (see
//!   README for why the other documentation and drama ranges still are).
//! - Everything else (IPv6, phones of other plans) and every secret: no
//!   rule, so the caller writes the placeholder.
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
        Draw::seeded(key, detector, &(detector.normaliser)(value), attempt)
    }

    /// A draw seeded by `seed` as given (already normalised).
    fn seeded(key: &'k PseudonymKey, detector: &Detector, seed: &str, attempt: u32) -> Self {
        let mut seed = seed.as_bytes().to_vec();
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
    let rule = match detector.id {
        "EMAIL" => Rule::Email,
        "IP_ADDRESS" if crate::detect::validators::ip::ipv4(value) => Rule::Ipv4,
        "PHONE" => Rule::Phone(phone_plan(value)?),
        id if CHECKSUMMED.contains(&id) => Rule::SameShape,
        _ => return None,
    };
    for attempt in 0..TRIES {
        let mut d = match rule {
            // Seeded by the national number alone, so that `+1 415-555-2671`
            // and `(415) 555-2671` (one person) get the same fictional digits
            // and `scour subject` finds either spelling from the other.
            Rule::Phone(plan) => {
                Draw::seeded(key, detector, &national_digits(plan, value), attempt)
            }
            _ => Draw::new(key, detector, value, attempt),
        };
        let s = match rule {
            Rule::Email => email(&mut d, value),
            Rule::Ipv4 => format!("198.51.100.{}", 1 + d.below(254) as u16),
            Rule::Phone(plan) => phone(&mut d, plan, value),
            Rule::SameShape => same_shape(&mut d, detector.id, value),
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

#[derive(Clone, Copy)]
enum Rule {
    Email,
    Ipv4,
    Phone(FictionalPlan),
    SameShape,
}

/// Where a phone's surrogate comes from, and how many leading digits of the
/// original (a `1`/`44` calling code, a `1` or trunk `0`) it keeps.
#[derive(Clone, Copy)]
enum FictionalPlan {
    /// NANP: area code, then 555-01XX.
    Nanp { prefix: usize },
    /// GB: 7700 900XXX.
    GbMobile { prefix: usize },
}

/// The fictional plan for a phone as written, if it has one: `+1` or a
/// national US number, `+44` or a GB number with its trunk `0`, each with a
/// ten-digit national number. A `(0)` trunk in an international number,
/// other plans and other lengths have none.
fn phone_plan(value: &str) -> Option<FictionalPlan> {
    use crate::detect::validators::phone::{national_in, Plan};
    if value.contains("(0)") {
        return None;
    }
    let digits: Vec<u8> = value.bytes().filter(u8::is_ascii_digit).collect();
    let intl = value.trim_start().starts_with('+');
    match (intl, digits.len()) {
        (true, 11) if digits[0] == b'1' => Some(FictionalPlan::Nanp { prefix: 1 }),
        (true, 12) if digits.starts_with(b"44") => Some(FictionalPlan::GbMobile { prefix: 2 }),
        (false, 10) if national_in(Plan::Us, &digits) => Some(FictionalPlan::Nanp { prefix: 0 }),
        (false, 11) if digits[0] == b'1' && national_in(Plan::Us, &digits) => {
            Some(FictionalPlan::Nanp { prefix: 1 })
        }
        (false, 11) if national_in(Plan::Gb, &digits) => {
            Some(FictionalPlan::GbMobile { prefix: 1 })
        }
        _ => None,
    }
}

/// The national significant number: the digits after the calling code or
/// trunk prefix the surrogate keeps.
fn national_digits(plan: FictionalPlan, value: &str) -> String {
    let prefix = match plan {
        FictionalPlan::Nanp { prefix } | FictionalPlan::GbMobile { prefix } => prefix,
    };
    let digits = value.bytes().filter(u8::is_ascii_digit).skip(prefix);
    format!(
        "phone:{}",
        String::from_utf8_lossy(&digits.collect::<Vec<u8>>())
    )
}

/// The fictional number's digits poured into the original's digit places,
/// every other character kept.
fn phone(d: &mut Draw<'_>, plan: FictionalPlan, value: &str) -> String {
    let mut digits: Vec<u8> = value.bytes().filter(u8::is_ascii_digit).collect();
    let (prefix, nsn): (usize, Vec<u8>) = match plan {
        FictionalPlan::Nanp { prefix } => {
            // An area code that exists in shape: N[0-8]X, never N11.
            let a = b'2' + d.below(8);
            let b = b'0' + d.below(9);
            let c = if b == b'1' {
                b'2' + d.below(8)
            } else {
                b'0' + d.below(10)
            };
            let mut n = vec![a, b, c, b'5', b'5', b'5', b'0', b'1'];
            n.extend([b'0' + d.below(10), b'0' + d.below(10)]);
            (prefix, n)
        }
        FictionalPlan::GbMobile { prefix } => {
            let mut n = b"7700900".to_vec();
            n.extend((0..3).map(|_| b'0' + d.below(10)));
            (prefix, n)
        }
    };
    digits.truncate(prefix);
    digits.extend(nsn);
    let mut it = digits.into_iter();
    value
        .chars()
        .map(|c| match c {
            '0'..='9' => it.next().map_or(c, char::from),
            c => c,
        })
        .collect()
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
        // Phones and IPv4 addresses: fictional and documentation space,
        // shape kept; IPv6 and other plans: no rule.
        for (id, text, like) in [
            ("PHONE", "+1 202 555 0143", r"^\+1 [2-9][0-8]\d 555 01\d\d$"),
            ("PHONE", "(415) 555-2671", r"^\([2-9][0-8]\d\) 555-01\d\d$"),
            ("PHONE", "1-415-555-2671", r"^1-[2-9][0-8]\d-555-01\d\d$"),
            ("PHONE", "+44 20 7946 0958", r"^\+44 77 0090 0\d\d\d$"),
            ("PHONE", "0161 496 0123", r"^0770 090 0\d\d\d$"),
            ("PHONE", "07911 123456", r"^07700 900\d\d\d$"),
            ("IP_ADDRESS", "10.0.0.255", r"^198\.51\.100\.\d{1,3}$"),
        ] {
            let s = surrogate(&k1, det(id), text, 0..text.len(), &mut accept)
                .unwrap_or_else(|| panic!("{id}: no surrogate for {text}"));
            let re = regex_automata::meta::Regex::new(like).unwrap();
            assert!(re.is_match(&s), "{text} -> {s}");
            assert_ne!(
                Some(&s),
                surrogate(&k2, det(id), text, 0..text.len(), &mut accept).as_ref()
            );
            let mut found = Vec::new();
            scanner.scan(&s, &mut scratch, &mut found);
            assert!(found.is_empty(), "{s}: {found:?}");
        }
        for (id, text) in [
            ("PHONE", "+49 30 23125456"),
            ("PHONE", "+44 (0)20 7946 0958"),
            ("IP_ADDRESS", "2001:db8::1"),
        ] {
            let s = surrogate(&k1, det(id), text, 0..text.len(), &mut accept);
            assert!(s.is_none(), "{text} -> {s:?}");
        }
    }

    /// One number, any spelling: the same fictional digits (so a subject
    /// given in one spelling is found where the mask wrote another).
    #[test]
    fn a_phone_surrogate_does_not_depend_on_its_spelling() {
        let k = PseudonymKey::from_bytes(b"one".to_vec()).unwrap();
        let phone = det("PHONE");
        let mut yes = |_: &str, _: Range<usize>| true;
        let national = |s: &str| -> String {
            let d: String = s.chars().filter(char::is_ascii_digit).collect();
            d[d.len() - 10..].to_string()
        };
        let spellings = [
            "+1 415-555-2671",
            "(415) 555-2671",
            "415.555.2671",
            "1-415-555-2671",
        ];
        let drawn: Vec<String> = spellings
            .iter()
            .map(|v| surrogate(&k, phone, v, 0..v.len(), &mut yes).expect(v))
            .collect();
        for (v, s) in spellings.iter().zip(&drawn) {
            assert_eq!(s.len(), v.len(), "{v} -> {s}");
            assert_eq!(&national(s)[3..8], "55501", "{v} -> {s}");
            assert_eq!(national(s), national(&drawn[0]), "{v} -> {s}");
        }
        let other = "(415) 555-2672";
        let o = surrogate(&k, phone, other, 0..other.len(), &mut yes).unwrap();
        assert_ne!(national(&o), national(&drawn[0]));
    }
}
