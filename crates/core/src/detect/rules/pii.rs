//! General PII: e-mail, telephone, payment card, IBAN, US SSN, IP address.

use std::ops::Range;

use super::{
    alnum_upper, card_surroundings_ok, digits_only, grouped_digits, lower, split_3_2_4, DIGITS,
};
use crate::detect::context::{bounded, char_after, char_before, is_word, near, WINDOW};
use crate::detect::validators::{checksum, date, email, iban, ip, phone};
use crate::detect::{Candidate, Category, Detector};

pub const DETECTORS: &[Detector] = &[
    EMAIL,
    PHONE,
    CREDIT_CARD,
    IBAN,
    US_SSN,
    IP_ADDRESS,
    DATE_OF_BIRTH,
];

// ---------------------------------------------------------------- EMAIL

pub const EMAIL: Detector = Detector {
    id: "EMAIL",
    category: Category::Pii,
    description: "E-mail address (RFC 5322 dot-atom local part, internationalised domains)",
    pattern: r"[\w.!#$%&'*+/=?^`{|}~\-]+@[\w\-]+\.[\w.\-]+",
    dfa_pattern: None,
    anchors: &["@"],
    context: &[],
    validator: email_span,
    validator_name: "dot-atom local part + domain of 2+ labels with an alphabetic or xn-- TLD",
    normaliser: lower,
    placeholder: "[EMAIL]",
    regulations: &["GDPR", "CCPA", "DPDP", "PIPL"],
    priority: 50,
    examples: &[
        "write to alice@example.com soon",
        "Contact us at <support.team@example.org> for help.",
        "write to jörg@müller.example.com soon",
        "write to o'connor@example.ie soon",
        "mailto:ADMIN@EXAMPLE.COM.",
        "see https://example.com/invite?to=bob@example.net now",
    ],
    near_misses: &[
        "Send it to user@example..com please.",
        "Mail root@localhost for logs.",
        "Try john.doe@example.c today.",
        "write to v1.2.3@beta soon",
        "write to name at example dot com soon",
        "a .alice@example.com b",
        "alice.@example.com",
        "alice@example.com-",
    ],
};

fn email_span(c: &Candidate<'_>) -> Option<Range<usize>> {
    let v = c.value();
    let at = v.find('@')?;
    let mut start = c.start;
    let mut local = &v[..at];
    // A URL path or parameter glued in front (`?to=a@b.c`, `/u/a@b.c`) is
    // not part of the address, though `/`, `=` and `?` are atext.
    if let Some(i) = local
        .rfind(['/', '=', '?'])
        .filter(|&i| i + 1 < local.len())
    {
        start += i + 1;
        local = &local[i + 1..];
    }
    // Quotes and braces around an address are delimiters, not atext.
    let trimmed = local.trim_start_matches(['\'', '`', '{', '|']);
    if !trimmed.is_empty() && !trimmed.starts_with('.') {
        start += local.len() - trimmed.len();
        local = trimmed;
    }
    // A sentence may end right after the address.
    let domain = v[at + 1..].trim_end_matches('.');
    if !email::local_ok(local) || !email::domain_ok(domain) {
        return None;
    }
    Some(start..c.start + at + 1 + domain.len())
}

// ---------------------------------------------------------------- PHONE

pub const PHONE: Detector = Detector {
    id: "PHONE",
    category: Category::Pii,
    description: "Telephone number: +international valid for its calling code, or national (with separators) in the US, GB, DE, FR, IN or CN plan",
    pattern: r"\+?\(?[0-9](?:[ ().\-/]*[0-9]){6,}",
    dfa_pattern: None,
    anchors: DIGITS,
    context: &[],
    validator: phone_span,
    validator_name: "7-15 digits, no date shape, calling-code length table + US/GB/DE/FR/IN/CN plans; not NANP 555-0100..0199 or GB 07700 900xxx (fiction)",
    normaliser: phone_normal,
    placeholder: "[PHONE]",
    regulations: &["GDPR", "CCPA", "DPDP", "PIPL"],
    priority: 30,
    examples: &[
        "Call our London office on +44 20 7946 0958 before noon.",
        "The front desk number is (415) 555-2671.",
        "Telefon: 030 23125456 (Zentrale)",
        "请拨打 010-8765 4321 联系我们",
        "WhatsApp me at +91 98765 43210 after 6 pm.",
        "call tel:+33 1 99 00 12 34",
        "London: +44 (0)20 7946 0958",
        "Rome office: +39 06 2891 7554.",
        "Toronto: +1 416 411 7685 (office hours only)",
        "Fax the signed copy to +49 151 13606986 please.",
        "Ruf an: +49 152 54599371 (Büro)",
    ],
    near_misses: &[
        "Order 4155552671 was shipped today.",
        "Unix time 1700000000 marks the event.",
        "Logged at 2024-01-15 10:30:00 by the server.",
        "Call (000) 555-2671 now.",
        "Dial +44 20 7946 095 for info.",
        "ISBN 978-3-16-148410-0",
        "on 15/01/2024 415 555",
        "v1.415.555.2671",
        "US support: +4 415-555-2671 on weekdays.",
        "Host 921.206.57.75 does not answer.",
        "Call (212) 555-0142 in the film.",
        "Text +44 7700 900123 in the play.",
    ],
};

fn phone_span(c: &Candidate<'_>) -> Option<Range<usize>> {
    let v = c.value();
    let intl = v.starts_with('+');
    if let Some(p) = c.before() {
        // `tel:+44...` is a number; `12:30 ...` is a clock.
        if is_word(p) || matches!(p, '+' | '.' | '-' | '/') || (p == ':' && !intl) {
            return None;
        }
    }
    if c.after().is_some_and(|n| is_word(n) || n == ':') {
        return None;
    }
    let mut buf = [0u8; 15];
    let mut n = 0usize;
    for b in v.bytes().filter(u8::is_ascii_digit) {
        *buf.get_mut(n)? = b;
        n += 1;
    }
    if n < 7 || phone::has_date_shape(v) || phone::is_dotted_quad(v) {
        return None;
    }
    let digits = &buf[..n];
    // A calling code is never split across groups: `+4 415 ...` is not +44.
    let first_group = v
        .trim_start_matches(['+', '('])
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    if intl && phone::calling_code_len(digits).is_some_and(|k| k > first_group) {
        return None;
    }
    // `+44 (0)20 ...`: the bracketed trunk zero is not dialled.
    let mut dialled = [0u8; 15];
    let mut digits = digits;
    if let Some(i) = v.find("(0)").filter(|_| intl) {
        let before = v[..i].bytes().filter(u8::is_ascii_digit).count();
        if phone::calling_code_len(digits) == Some(before) {
            dialled[..before].copy_from_slice(&digits[..before]);
            dialled[before..n - 1].copy_from_slice(&digits[before + 1..]);
            digits = &dialled[..n - 1];
        }
    }
    let ok = if intl {
        phone::international_ok(digits)
    } else {
        v.contains([' ', '(', ')', '.', '-', '/']) && phone::national_ok(digits)
    };
    // Numbers reserved for fiction belong to nobody (and are what mask's
    // surrogates are drawn from).
    if !ok || phone::fictional(intl, digits) {
        return None;
    }
    // `(0161 496 0123)`: the opening bracket belongs to the prose.
    let start = if v.starts_with('(') && !v.contains(')') {
        c.start + 1
    } else {
        c.start
    };
    Some(start..c.end)
}

fn phone_normal(s: &str) -> String {
    let d = digits_only(s);
    if s.trim_start().starts_with('+') {
        format!("+{d}")
    } else {
        d
    }
}

// ---------------------------------------------------------------- CREDIT_CARD

pub const CREDIT_CARD: Detector = Detector {
    id: "CREDIT_CARD",
    category: Category::Pii,
    description: "Payment card number (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay)",
    pattern: r"[0-9](?:[ \-]?[0-9]){11,}",
    dfa_pattern: None,
    anchors: DIGITS,
    context: &[],
    validator: card_span,
    validator_name: "issuer prefix + length + Luhn",
    normaliser: digits_only,
    placeholder: "[CREDIT_CARD]",
    regulations: &["PCI DSS", "GDPR", "CCPA"],
    priority: 70,
    examples: &[
        "paid with 4111111111111111 today",
        "paid with 4111 1111 1111 1111 today",
        "paid with 4111-1111-1111-1111 today",
        "paid with 3782 822463 10005 today",
        "paid with 6200000000000005 today",
        "paid with 30569309025904 today",
        "ref a1b2c3 card 4111 1111 1111 1111",
        "Visa4111111111111111 on file",
    ],
    near_misses: &[
        "ref 1234567812345670 in the ledger",
        "paid with 47936072520000653 today",
        "paid with 3787941940385360 today",
        "paid with 4111111111111112 today",
        "paid with 0000000000000000 today",
        "paid with 4111 1111-1111 1111 today",
        "id 94111111111111111 x",
        "ref -4111111111111111",
        "request 45320151-1283-0366-b5e3-2a7c9d1f4e08 done",
        "digest DEADBEEF4111111111111111 ok",
        "addr 0x4111111111111111",
        "Ruf an: +49 152 54599371 (Büro)",
    ],
};

/// Issuer prefix and length table (the README's CREDIT_CARD row).
pub fn card_issuer_ok(d: &[u8]) -> bool {
    let l = d.len();
    let num = |k: usize| -> u32 {
        d.iter()
            .take(k)
            .fold(0u32, |a, &b| a * 10 + u32::from(b.wrapping_sub(b'0')))
    };
    let (p2, p3, p4) = (num(2), num(3), num(4));
    match d.first() {
        Some(b'4') => matches!(l, 13 | 16 | 19),
        Some(b'5') => (51..=55).contains(&p2) && l == 16,
        Some(b'2') => (2221..=2720).contains(&p4) && l == 16,
        Some(b'3') => {
            ((p2 == 34 || p2 == 37) && l == 15)
                || ((3528..=3589).contains(&p4) && (16..=19).contains(&l))
                || (((300..=305).contains(&p3) || matches!(p2, 36 | 38 | 39) || p4 == 3095)
                    && (14..=19).contains(&l))
        }
        Some(b'6') => {
            (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || p2 == 62)
                && (16..=19).contains(&l)
        }
        _ => false,
    }
}

fn card_span(c: &Candidate<'_>) -> Option<Range<usize>> {
    if char_before(c.text, c.start).is_some_and(|p| p.is_ascii_digit() || p == '-')
        || char_after(c.text, c.end).is_some_and(|n| n.is_ascii_digit())
    {
        return None;
    }
    let (buf, n) = grouped_digits::<19>(c.value())?;
    let d = &buf[..n];
    (n >= 12 && card_issuer_ok(d) && checksum::luhn(d) && card_surroundings_ok(c))
        .then(|| c.range())
}

// ---------------------------------------------------------------- IBAN

pub const IBAN: Detector = Detector {
    id: "IBAN",
    category: Category::Pii,
    description:
        "International Bank Account Number, compact or grouped by single spaces, dashes or dots",
    // Only the start: the value's end depends on the country's length, and
    // a grouped IBAN may end at any group boundary, so the validator walks
    // on. A country code set apart from its check digits (`NO 93 8601 ...`)
    // must be upper case: `at 12` or `no 10` in prose is not one.
    pattern: r"[A-Za-z]{2}[0-9]{2}|[A-Z]{2}[ .\-][0-9]{2}",
    dfa_pattern: None,
    anchors: DIGITS,
    context: &[],
    validator: iban_span,
    validator_name: "registry length + BBAN shape + ISO 7064 mod 97-10",
    normaliser: alnum_upper,
    placeholder: "[IBAN]",
    regulations: &["GDPR", "CCPA"],
    priority: 70,
    examples: &[
        "transfer to GB82WEST12345698765432 please",
        "IBAN: gb82 west 1234 5698 7654 32",
        "transfer to DE89 3704 0044 0532 0130 00 please",
        "transfer to BE68539007547034 please",
        "transfer to NO9386011117947 please",
        "pay DE89 3704 0044 0532 0130 00 then GB82 WEST 1234 5698 7654 32",
        "Kontonummer NO 93 8601 1117947 (DNB)",
        "IBAN ME 25 5050 0001 2345 6789 51.",
        "cuenta ES15-0049-1806-9121-1186-9374 en euros",
        "konto NO07.8380.08.06006, forfall i dag",
        "konto NO93 8601 11 17947",
        "cuenta ES91 2100 0418 45 0200051332",
        "cuenta ES72 2013-0692-81-0201150993",
        "konto NO 44 1850.05.14562",
        "konto FO 62 6460 0001 6316 34",
    ],
    near_misses: &[
        "transfer to DE5137040044053201300 please",
        "transfer to DE89 3704 0044 0532 0130 please",
        "transfer to GB82WEST12345698765433 please",
        "transfer to XX82WEST12345698765432 please",
        "transfer to XGB82WEST12345698765432 please",
        "transfer to GB82WEST123456987654321 please",
        "Kontonummer NO 93 8601 1117948 (DNB)",
        "konto no 93 8601 1117947",
        "konto NO93  8601 1117 947",
        "konto NO93 8601 1117 947-1",
        "cuenta ES15-0049-1806-9121-1186-9374-2 en euros",
        "konto NO07.8380.08.06006.5",
        "konto NO07/8380/08/06006",
        "konto NO07..8380.08.06006",
    ],
};

/// The separators people write inside an IBAN: spaces (the registry's
/// print form), dashes (`ES15-0049-...`) and dots (Norwegian account
/// numbers, `8380.08.06006`), one at a time and mixed within one value.
fn iban_separator(b: u8) -> bool {
    matches!(b, b' ' | b'-' | b'.')
}

fn iban_span(c: &Candidate<'_>) -> Option<Range<usize>> {
    if char_before(c.text, c.start).is_some_and(|p| p.is_ascii_alphanumeric()) {
        return None;
    }
    let bytes = c.text.as_bytes();
    let want = iban::country_length(bytes.get(c.start..c.start + 2)?)?;
    let alnum_at = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_alphanumeric);
    let mut buf = [0u8; 34];
    let mut n = 0usize;
    let mut i = c.start;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() {
            *buf.get_mut(n)? = b;
            n += 1;
            if n == want {
                // The value must end here: the run stops, or a new word
                // follows a separator. A dash or dot followed by a digit
                // carries the number on, so it is longer than an IBAN.
                let next = bytes.get(i + 1).copied();
                if next.is_some_and(|x| x.is_ascii_alphanumeric())
                    || (matches!(next, Some(b'-' | b'.'))
                        && bytes.get(i + 2).is_some_and(u8::is_ascii_digit))
                {
                    return None;
                }
                return iban::valid(&buf[..n]).then_some(c.start..i + 1);
            }
        } else if !(iban_separator(b) && alnum_at(i + 1)) {
            // Separators stand alone, between two characters of the value.
            return None;
        }
        i += 1;
    }
    None
}

// ---------------------------------------------------------------- US_SSN

const SSN_CONTEXT: &[&str] = &[
    "SSN",
    "*social security*",
    "SS#",
    "soc sec*",
    "soc. sec*",
    "soc.sec*",
    "socsec*",
];

pub const US_SSN: Detector = Detector {
    id: "US_SSN",
    category: Category::Pii,
    description: "US Social Security number; dashed form alone, bare or spaced form with context",
    pattern: r"[0-9]{3}[ \-]?[0-9]{2}[ \-]?[0-9]{4}",
    dfa_pattern: None,
    anchors: DIGITS,
    context: SSN_CONTEXT,
    validator: ssn_span,
    validator_name: "SSA area/group/serial rules + retired numbers; context unless dashed",
    normaliser: digits_only,
    placeholder: "[US_SSN]",
    regulations: &["CCPA", "HIPAA", "GLBA"],
    priority: 45,
    examples: &[
        "Record 850-01-6533 was updated by payroll.",
        "SSN 165895028 on the W-2",
        "social security no. 842 18 2548",
        "Employee SS# 315-11-3412",
    ],
    near_misses: &[
        "SSN 078-05-1120 on file",
        "Order 279585579 shipped yesterday.",
        "Seats 198 79 3658 are free.",
        "SSN 666-12-3456 on file",
        "SSN 900-12-3456 on file",
        "SSN 123-00-4567 on file",
        "SSN 123-45-0000 on file",
        "SSN 123-45 6789",
        "id 850-01-65331",
    ],
};

/// Social Security Administration rules for the nine digits.
pub fn ssn_ok(d: &[u8; 9]) -> bool {
    let area = &d[..3];
    if area == b"000" || area == b"666" || area[0] == b'9' {
        return false;
    }
    if &d[3..5] == b"00" || &d[5..] == b"0000" {
        return false;
    }
    !matches!(d, b"078051120" | b"219099999" | b"457555462")
}

fn ssn_span(c: &Candidate<'_>) -> Option<Range<usize>> {
    if !bounded(c.text, c.start, c.end, |x| x.is_ascii_digit() || x == '-') {
        return None;
    }
    let (d, sep) = split_3_2_4(c.value())?;
    if !ssn_ok(&d) {
        return None;
    }
    (sep == Some(b'-') || near(c.text, c.start, c.end, SSN_CONTEXT, WINDOW)).then(|| c.range())
}

// ---------------------------------------------------------------- IP_ADDRESS

pub const IP_ADDRESS: Detector = Detector {
    id: "IP_ADDRESS",
    category: Category::Pii,
    description: "IPv4 dotted quad or IPv6 address (any RFC 4291 text form)",
    pattern: r"[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*|[0-9]+(?:\.[0-9]+){3,}",
    dfa_pattern: None,
    anchors: &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ":"],
    context: &[],
    validator: ip_span,
    validator_name:
        "octets 0-255 / RFC 4291 groups; not a version number or longer dotted sequence; not 198.51.100.0/24 (TEST-NET-2)",
    normaliser: ip_normal,
    placeholder: "[IP_ADDRESS]",
    regulations: &["GDPR", "CCPA"],
    priority: 40,
    examples: &[
        "The API listens on 203.0.113.42:8443 now.",
        "Resolver at [2001:db8:0:1::53]:53 answered.",
        "Mapped address ::ffff:192.0.2.128 seen.",
        "Gateway is 10.0.0.255 on this subnet.",
        "host fe80::1ff:fe23:4567:890a responded",
        "ping 8.8.8.8.",
        "mangled ::fffff:192.0.2.128 still holds an IPv4 address",
    ],
    near_misses: &[
        "host 999.1.1.1 responded",
        "Upgrade to version 1.2.3.4 today.",
        "Changelog for v1.2.3.4 is out.",
        "The OID 1.3.6.1.4.1.311 names the vendor.",
        "MAC 00:1a:2b:3c:4d:5e is registered.",
        "Bad literal 2001:db8::1::2 rejected.",
        "host 12:30:45 responded",
        "use std::io::Read;",
        "Release 10.0.0.1 notes",
        "mapped ::fffff:10.0.0.1.5 here",
        "docs host 198.51.100.7 answered",
    ],
};

/// `version 1.2.3.4`, `ver. 1.2.3.4`, `release 1.2.3.4`, `v 1.2.3.4`.
fn after_version_word(before: &str) -> bool {
    let t = before.trim_end();
    for w in ["version", "release", "ver.", "ver", "v"] {
        let Some(k) = t.len().checked_sub(w.len()) else {
            continue;
        };
        let Some(tail) = t.get(k..) else {
            continue;
        };
        if tail.eq_ignore_ascii_case(w) && !char_before(t, k).is_some_and(is_word) {
            return true;
        }
    }
    false
}

fn ip_span(c: &Candidate<'_>) -> Option<Range<usize>> {
    let v = c.value();
    if !v.contains(':') {
        return ipv4_span(c);
    }
    let glued = |x: char| is_word(x) || x == ':';
    let t = v.trim_end_matches('.');
    if !c.before().is_some_and(|p| glued(p) || p == '.')
        && !c.after().is_some_and(glued)
        && t.bytes().any(|b| b.is_ascii_hexdigit())
        && ip::ipv6(t)
    {
        return Some(c.start..c.start + t.len());
    }
    // Not an IPv6 address, but a dotted quad after its last colon is still
    // an IPv4 address (`host:10.0.0.1`, a mangled `::ffff:` form).
    let colon = t.rfind(':')? + 1;
    let tail = Candidate {
        text: c.text,
        start: c.start + colon,
        end: c.start + t.len(),
    };
    if tail.start < tail.end && tail.value().contains('.') {
        ipv4_span(&tail)
    } else {
        None
    }
}

fn ipv4_span(c: &Candidate<'_>) -> Option<Range<usize>> {
    let v = c.value();
    if c.before().is_some_and(|p| is_word(p) || p == '.') || c.after().is_some_and(is_word) {
        return None;
    }
    // TEST-NET-2 belongs to nobody (and is what mask's surrogates use).
    if after_version_word(&c.text[..c.start]) || !ip::ipv4(v) || ip::test_net_2(v) {
        return None;
    }
    Some(c.range())
}

fn ip_normal(s: &str) -> String {
    s.trim_matches(['[', ']']).to_ascii_lowercase()
}

// ---------------------------------------------------------------- DATE_OF_BIRTH

const DOB_CONTEXT: &[&str] = &[
    "born",
    "birth*",
    "DOB",
    "D.O.B*",
    "geboren",
    "*geburtsdatum*",
    "né",
    "née",
    "*date de naissance*",
    "*fecha de nacimiento*",
    "*出生*",
];

/// Birth words must be this close (characters) to the date.
const DOB_WINDOW: usize = 40;

pub const DATE_OF_BIRTH: Detector = Detector {
    id: "DATE_OF_BIRTH",
    category: Category::Pii,
    description: "A calendar date near a birth word (DOB, born, Geburtsdatum, né, 出生, ...)",
    pattern: concat!(
        r"[0-9]{4}[\-/.][0-9]{1,2}[\-/.][0-9]{1,2}",
        r"|[0-9]{1,2}[\-/.][0-9]{1,2}[\-/.][0-9]{4}",
        r"|[0-9]{1,2}(?i-u:st|nd|rd|th)?\s+(?:(?i-u:of)\s+)?",
        r"(?i-u:january|february|march|april|may|june|july|august|september|october|november|december",
        r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?,?\s+[0-9]{4}",
        r"|(?i-u:january|february|march|april|may|june|july|august|september|october|november|december",
        r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?\s+[0-9]{1,2}(?i-u:st|nd|rd|th)?,?\s+[0-9]{4}",
    ),
    // Its birth words, not its digits: every finding needs one, and digits
    // are everywhere (a date's month-name run would otherwise spread a
    // digit's region over whole sentences).
    dfa_pattern: None,
    anchors: &[
        "born",
        "birth",
        "dob",
        "d.o.b",
        "geboren",
        "geburtsdatum",
        "né",
        "nÉ",
        "naissance",
        "nacimiento",
        "出生",
    ],
    context: DOB_CONTEXT,
    validator: date_of_birth,
    validator_name:
        "real date 1900-today (either day/month order) + birth context within 40 characters",
    normaliser: verbatim_trim,
    placeholder: "[DATE_OF_BIRTH]",
    regulations: &["GDPR", "CCPA", "HIPAA", "DPDP", "PIPL"],
    priority: 20,
    examples: &[
        "Patient DOB: 1985-03-12, admitted Monday.",
        "She was born on 12 March 1985 in a small town.",
        "He was born July 4, 1990, the form says.",
        "Elle est née le 14/07/1975 à Lyon.",
        "D.O.B. 02/29/1996 (leap year)",
        "born on the 3rd of Sept. 1971",
    ],
    near_misses: &[
        "DOB: 1990-02-30",
        "The invoice dated 1985-03-12 was paid.",
        "Date of birth: 31/02/1985",
        "He was born in 1985 in Ohio.",
        "DOB 2023-02-29 on the form",
        "DOB 1985-03-12.5",
        "DOB 1985-03/12",
        "born 12 Marchx 1985",
    ],
};

fn verbatim_trim(s: &str) -> String {
    s.trim().to_owned()
}

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Month number of an English month name or abbreviation (`Sept.` too).
fn month_number(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_ascii_lowercase();
    let i = MONTHS.iter().position(|m| w.starts_with(m))?;
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ][i];
    (w == MONTHS[i] || w == full || w == "sept").then_some(i as u32 + 1)
}

fn date_of_birth(c: &Candidate<'_>) -> Option<Range<usize>> {
    let v = c.value();
    let ok = if v
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'/' | b'.'))
    {
        numeric_date(c)
    } else {
        written_date(c)
    };
    (ok && near(c.text, c.start, c.end, DOB_CONTEXT, DOB_WINDOW)).then(|| c.range())
}

/// `YYYY-MM-DD`, `DD/MM/YYYY`, `MM/DD/YYYY`, ... with one separator, not
/// part of a longer run of digits and separators.
fn numeric_date(c: &Candidate<'_>) -> bool {
    let dateish = |x: char| x.is_ascii_digit() || matches!(x, '.' | '-' | '/');
    if c.before().is_some_and(dateish) {
        return false;
    }
    let tail = c.text[c.end..].chars().take_while(|&x| dateish(x));
    if tail.clone().any(|x| x.is_ascii_digit()) {
        return false;
    }
    let v = c.value();
    let Some(sep) = v.chars().find(|x| !x.is_ascii_digit()) else {
        return false;
    };
    let parts: Vec<u32> = v.split(sep).filter_map(|p| p.parse().ok()).collect();
    let [a, b, d] = parts[..] else {
        return false;
    };
    if v.split(sep).next().is_some_and(|p| p.len() == 4) {
        date::plausible_birth(a as i32, b, d)
    } else {
        date::plausible_birth(d as i32, b, a) || date::plausible_birth(d as i32, a, b)
    }
}

/// `12 March 1985`, `3rd of Sept. 1971`, `March 12, 1985`.
fn written_date(c: &Candidate<'_>) -> bool {
    let v = c.value();
    if c.after().is_some_and(|x| x.is_ascii_digit()) {
        return false;
    }
    let starts_with_day = v.starts_with(|x: char| x.is_ascii_digit());
    if starts_with_day && c.before().is_some_and(|x| x.is_ascii_digit()) {
        return false;
    }
    if !starts_with_day && c.before().is_some_and(is_word) {
        return false;
    }
    let words: Vec<&str> = v
        .split(|x: char| x.is_whitespace() || x == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let Some(year) = words.last().and_then(|y| y.parse::<i32>().ok()) else {
        return false;
    };
    let day_word = if starts_with_day {
        words.first()
    } else {
        words.get(1)
    };
    let day: Option<u32> = day_word.and_then(|w| {
        w.trim_end_matches(|x: char| x.is_ascii_alphabetic())
            .parse()
            .ok()
    });
    let month = words
        .iter()
        .find(|w| w.starts_with(|x: char| x.is_ascii_alphabetic()) && !w.eq_ignore_ascii_case("of"))
        .and_then(|w| {
            // `12th` is the day, not a month word.
            if w.starts_with(|x: char| x.is_ascii_digit()) {
                None
            } else {
                month_number(w)
            }
        });
    match (day, month) {
        (Some(d), Some(m)) => date::plausible_birth(year, m, d),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers() {
        for ok in [
            "4222222222222",
            "5555555555554444",
            "2223003122003222",
            "378282246310005",
            "6011111111111117",
            "3530111333300000",
            "30569309025904",
            "38520000023237",
            "6200000000000005",
            "6445644564456445",
        ] {
            assert!(card_issuer_ok(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "1234567812345670",
            "47936072520000653",
            "3787941940385360",
            "9111111111111111",
            "2220003122003222",
            "5655555555554444",
            "",
            "4",
        ] {
            assert!(!card_issuer_ok(bad.as_bytes()), "{bad}");
        }
    }

    /// The IBAN validator from a candidate at `start` (the pattern's match
    /// is only the first four or five characters; the walk does the rest).
    fn iban_at(text: &str, start: usize) -> Option<&str> {
        let c = Candidate {
            text,
            start,
            end: start + 4,
        };
        iban_span(&c).and_then(|r| text.get(r))
    }

    #[test]
    fn iban_spellings() {
        // python-stdnum's tests/test_iban.doctest spellings of valid IBANs.
        for ok in [
            "NO 93 8601 1117947",
            "NO93 8601 1117 947",
            "NO 19 4920 06 96270",
            "NO 21 650 405 251 19",
            "NO 402333 06 01019",
            "NO 44 1850.05.14562",
            "NO07.8380.08.06006",
            "ME 25 5403 0000 2379 9201 09",
            "ME 25510260797324001246",
            "ES15-0049-1806-9121-1186-9374",
            "ES72 2013-0692-81-0201150993",
            "ES10 0075 0080 11 0600658108",
            "MK072 5012 0000 0589 84",
            "TL 38 008 00123456789101 57",
            "MC11 1273 9000 7000 1111 1000 h79",
        ] {
            assert_eq!(iban_at(ok, 0), Some(ok), "{ok}");
        }
        // The value ends at the country's length; a word may follow.
        assert_eq!(
            iban_at("NO93 8601 1117 947 and more", 0),
            Some("NO93 8601 1117 947")
        );
        assert_eq!(iban_at("NO9386011117947.pdf", 0), Some("NO9386011117947"));
        assert_eq!(iban_at("NO9386011117947.", 0), Some("NO9386011117947"));
        // A space and a digit start the next word (as before dashes and
        // dots were separators too).
        assert_eq!(iban_at("NO9386011117947 0", 0), Some("NO9386011117947"));
        for bad in [
            "NO93 8601 1117 947-1", // a dash and a digit carry the number on
            "NO93 8601 1117 947.5", // so do a dot and a digit
            "NO93  8601 1117 947",  // two separators in a row
            "NO93 -8601 1117 947",  // two different ones
            "NO93 8601 1117 94",    // one short
            "NO93 8601 1117 948",   // mod 97
            "NO93/8601/1117/947",   // not a separator
            "NO93 8601 1117 947x",  // glued to a longer word
        ] {
            assert_eq!(iban_at(bad, 0), None, "{bad}");
        }
        // Any grouping: the characters decide, not where the gaps fall.
        assert_eq!(
            iban_at("NO93 8601 1117 94 7", 0),
            Some("NO93 8601 1117 94 7")
        );
        assert_eq!(iban_at("xNO9386011117947", 1), None);
        assert_eq!(iban_at("-NO9386011117947", 1), Some("NO9386011117947"));
    }

    fn surroundings_ok(text: &str, value: &str) -> bool {
        let start = text.find(value).expect("value in text");
        card_surroundings_ok(&Candidate {
            text,
            start,
            end: start + value.len(),
        })
    }

    #[test]
    fn card_surroundings() {
        let card = "4532015112830366";
        for (text, ok) in [
            ("card 4532015112830366 ok", true),
            ("4532015112830366", true),
            ("Visa4532015112830366", true),
            ("4532015112830366-EXP", true),
            ("cafe 4532015112830366 babe", true),
            ("deadbeef4532015112830366", false),
            ("4532015112830366abc", false),
            ("DEADBEEF4532015112830366", false),
            ("0x4532015112830366", false),
            ("0X4532015112830366", false),
            ("+4532015112830366", false),
            ("tx-9f3e4532015112830366ab", false),
        ] {
            assert_eq!(surroundings_ok(text, card), ok, "{text}");
        }
        // A UUID whose first three groups are digits.
        let uuid = "45320151-1283-0366-b5e3-2a7c9d1f4e08";
        assert!(!surroundings_ok(uuid, "45320151-1283-0366"));
        assert!(surroundings_ok(
            "45320151-1283-0366 b5e3",
            "45320151-1283-0366"
        ));
        // A hex run longer than the look-ahead is still hex.
        let long = format!("{}{card}", "ab".repeat(100));
        assert!(!surroundings_ok(&long, card));
        let long = format!("xyz{}{card}", "ab".repeat(100));
        assert!(!surroundings_ok(&long, card));
    }

    #[test]
    fn ssn_shapes() {
        assert_eq!(split_3_2_4("123-45-6789").map(|x| x.1), Some(Some(b'-')));
        assert_eq!(split_3_2_4("123456789").map(|x| x.1), Some(None));
        assert!(split_3_2_4("123-45 6789").is_none());
        assert!(split_3_2_4("12-345-6789").is_none());
        assert!(ssn_ok(b"078051121"));
        assert!(!ssn_ok(b"457555462"));
        assert!(!ssn_ok(b"000123456"));
    }

    #[test]
    fn version_words() {
        assert!(after_version_word("Upgrade to version "));
        assert!(after_version_word("see Ver. "));
        assert!(after_version_word("v"));
        assert!(!after_version_word("server "));
        assert!(!after_version_word("host "));
        assert!(!after_version_word(""));
    }

    #[test]
    fn month_names() {
        assert_eq!(month_number("March"), Some(3));
        assert_eq!(month_number("mar."), Some(3));
        assert_eq!(month_number("Sept."), Some(9));
        assert_eq!(month_number("sep"), Some(9));
        assert_eq!(month_number("May"), Some(5));
        assert_eq!(month_number("marc"), None);
        assert_eq!(month_number("of"), None);
    }

    #[test]
    fn normalisers() {
        assert_eq!(phone_normal("+44 20 7946 0958"), "+442079460958");
        assert_eq!(phone_normal("(415) 555-2671"), "4155552671");
        assert_eq!(ip_normal("[2001:DB8::1]"), "2001:db8::1");
        assert_eq!(alnum_upper("gb82 west"), "GB82WEST");
        assert_eq!(lower("ADMIN@EXAMPLE.COM"), "admin@example.com");
    }
}
