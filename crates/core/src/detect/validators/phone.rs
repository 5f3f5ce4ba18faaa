//! Telephone numbers: plausible length per country calling code, and the
//! national plans of the six countries the README names (US, GB, DE, FR,
//! IN, CN) in more detail.
//!
//! This is not libphonenumber: it knows how long a national significant
//! number (NSN) may be in each country and, for the six plans, which leading
//! digits exist. That is enough to reject timestamps, order numbers and
//! numbers one digit short, which is what a scanner needs.

/// Country calling code → shortest and longest national significant number.
/// ITU-T E.164 assignments; lengths from the national plans. Codes are
/// prefix-free, so at most one of a number's 1-, 2- and 3-digit prefixes is
/// listed. The six detailed plans are checked by [`nsn_ok`] instead.
const CALLING_CODES: &[(u16, u8, u8)] = &[
    (1, 10, 10),
    (7, 10, 10),
    (20, 8, 10),
    (27, 9, 9),
    (30, 10, 10),
    (31, 9, 9),
    (32, 8, 9),
    (33, 9, 9),
    (34, 9, 9),
    (36, 8, 9),
    (39, 6, 11),
    (40, 9, 9),
    (41, 9, 9),
    (43, 4, 13),
    (44, 9, 10),
    (45, 8, 8),
    (46, 7, 10),
    (47, 5, 8),
    (48, 9, 9),
    (49, 6, 11),
    (51, 8, 9),
    (52, 10, 10),
    (53, 6, 8),
    (54, 10, 11),
    (55, 10, 11),
    (56, 9, 9),
    (57, 10, 10),
    (58, 10, 10),
    (60, 8, 10),
    (61, 9, 9),
    (62, 7, 12),
    (63, 8, 10),
    (64, 8, 10),
    (65, 8, 8),
    (66, 8, 9),
    (81, 9, 10),
    (82, 8, 10),
    (84, 9, 10),
    (86, 10, 11),
    (90, 10, 10),
    (91, 10, 10),
    (92, 8, 10),
    (93, 9, 9),
    (94, 9, 9),
    (95, 6, 10),
    (98, 10, 10),
    (211, 9, 9),
    (212, 9, 9),
    (213, 8, 9),
    (216, 8, 8),
    (218, 8, 9),
    (220, 7, 7),
    (221, 9, 9),
    (222, 8, 8),
    (223, 8, 8),
    (224, 8, 9),
    (225, 8, 10),
    (226, 8, 8),
    (227, 8, 8),
    (228, 8, 8),
    (229, 8, 10),
    (230, 7, 8),
    (231, 7, 9),
    (232, 8, 8),
    (233, 9, 9),
    (234, 7, 10),
    (235, 8, 8),
    (236, 8, 8),
    (237, 8, 9),
    (238, 7, 7),
    (239, 7, 7),
    (240, 9, 9),
    (241, 7, 8),
    (242, 9, 9),
    (243, 7, 9),
    (244, 9, 9),
    (245, 7, 9),
    (246, 7, 7),
    (247, 4, 6),
    (248, 7, 7),
    (249, 9, 9),
    (250, 9, 9),
    (251, 9, 9),
    (252, 7, 9),
    (253, 8, 8),
    (254, 9, 10),
    (255, 9, 9),
    (256, 9, 9),
    (257, 8, 8),
    (258, 8, 9),
    (260, 9, 9),
    (261, 9, 9),
    (262, 9, 9),
    (263, 9, 10),
    (264, 8, 9),
    (265, 7, 9),
    (266, 8, 8),
    (267, 7, 8),
    (268, 8, 8),
    (269, 7, 7),
    (290, 4, 5),
    (291, 7, 7),
    (297, 7, 7),
    (298, 6, 6),
    (299, 6, 6),
    (350, 8, 8),
    (351, 9, 9),
    (352, 4, 11),
    (353, 7, 9),
    (354, 7, 9),
    (355, 8, 9),
    (356, 8, 8),
    (357, 8, 8),
    (358, 5, 12),
    (359, 7, 9),
    (370, 8, 8),
    (371, 8, 8),
    (372, 7, 8),
    (373, 8, 8),
    (374, 8, 8),
    (375, 9, 10),
    (376, 6, 9),
    (377, 8, 9),
    (378, 6, 10),
    (380, 9, 9),
    (381, 8, 10),
    (382, 8, 8),
    (383, 8, 9),
    (385, 8, 9),
    (386, 8, 8),
    (387, 8, 9),
    (389, 8, 8),
    (420, 9, 9),
    (421, 9, 9),
    (423, 7, 9),
    (500, 5, 5),
    (501, 7, 7),
    (502, 8, 8),
    (503, 8, 8),
    (504, 8, 8),
    (505, 8, 8),
    (506, 8, 8),
    (507, 7, 8),
    (508, 6, 6),
    (509, 8, 8),
    (590, 9, 9),
    (591, 8, 8),
    (592, 7, 7),
    (593, 8, 9),
    (594, 9, 9),
    (595, 6, 9),
    (596, 9, 9),
    (597, 6, 7),
    (598, 8, 8),
    (599, 7, 7),
    (670, 7, 8),
    (672, 6, 6),
    (673, 7, 7),
    (674, 7, 7),
    (675, 7, 8),
    (676, 5, 7),
    (677, 5, 7),
    (678, 5, 7),
    (679, 7, 7),
    (680, 7, 7),
    (681, 6, 6),
    (682, 5, 5),
    (683, 4, 7),
    (685, 5, 7),
    (686, 5, 8),
    (687, 6, 6),
    (688, 5, 7),
    (689, 8, 8),
    (690, 4, 7),
    (691, 7, 7),
    (692, 7, 7),
    (800, 8, 8),
    (808, 8, 8),
    (850, 8, 10),
    (852, 8, 8),
    (853, 8, 8),
    (855, 8, 9),
    (856, 8, 10),
    (870, 9, 9),
    (880, 8, 10),
    (881, 8, 9),
    (882, 6, 12),
    (883, 7, 12),
    (886, 8, 9),
    (960, 7, 7),
    (961, 7, 8),
    (962, 8, 9),
    (963, 8, 9),
    (964, 8, 10),
    (965, 8, 8),
    (966, 9, 9),
    (967, 7, 9),
    (968, 8, 8),
    (970, 8, 9),
    (971, 8, 9),
    (972, 8, 9),
    (973, 8, 8),
    (974, 7, 8),
    (975, 7, 8),
    (976, 8, 8),
    (977, 8, 10),
    (992, 9, 9),
    (993, 8, 8),
    (994, 9, 9),
    (995, 9, 9),
    (996, 9, 9),
    (998, 9, 9),
];

/// Finds the calling code at the start of `digits`: (code, its length).
fn calling_code(digits: &[u8]) -> Option<(u16, usize)> {
    if digits.first() == Some(&b'0') {
        return None;
    }
    let mut code = 0u16;
    for (i, &b) in digits.iter().take(3).enumerate() {
        code = code * 10 + u16::from(b.wrapping_sub(b'0'));
        if let Ok(k) = CALLING_CODES.binary_search_by_key(&code, |e| e.0) {
            return Some((CALLING_CODES[k].0, i + 1));
        }
    }
    None
}

/// Length of the calling code `digits` start with, if it is one.
pub fn calling_code_len(digits: &[u8]) -> Option<usize> {
    calling_code(digits).map(|(_, k)| k)
}

/// A plan with rules beyond length (see module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Us,
    Gb,
    De,
    Fr,
    In,
    Cn,
}

const PLANS: [Plan; 6] = [Plan::Us, Plan::Gb, Plan::De, Plan::Fr, Plan::In, Plan::Cn];

fn plan_for(code: u16) -> Option<Plan> {
    match code {
        1 => Some(Plan::Us),
        44 => Some(Plan::Gb),
        49 => Some(Plan::De),
        33 => Some(Plan::Fr),
        91 => Some(Plan::In),
        86 => Some(Plan::Cn),
        _ => None,
    }
}

/// Whether `nsn` (ASCII digits, no trunk prefix) exists in `plan`.
pub fn nsn_ok(plan: Plan, nsn: &[u8]) -> bool {
    let n = nsn.len();
    let d = |i: usize| nsn.get(i).map_or(0xff, |b| b.wrapping_sub(b'0'));
    match plan {
        // NANP: NXX-NXX-XXXX; area codes N[0-8]X and never an N11 service
        // code. N11 exchanges are left alone: the national plans (and
        // libphonenumber) do not rule them out, e.g. +1 416 411 ....
        Plan::Us => {
            n == 10
                && (2..=9).contains(&d(0))
                && d(1) <= 8
                && !(d(1) == 1 && d(2) == 1)
                && (2..=9).contains(&d(3))
        }
        // Ofcom: 011x and 01x1 cities 10 digits, other 01 areas 9-10;
        // 02 only as 020/023/024/028/029; 03/05/07/09 10 digits; 08 9-10.
        Plan::Gb => match d(0) {
            1 => match (d(1), d(2)) {
                (1, 3..=8) => n == 10,
                (1, _) | (0, _) => false,
                (_, 1) => n == 10,
                _ => n == 9 || n == 10,
            },
            2 => matches!(d(1), 0 | 3 | 4 | 8 | 9) && n == 10,
            3 | 5 | 7 | 9 => n == 10,
            8 => n == 9 || n == 10,
            _ => false,
        },
        // Bundesnetzagentur: mobile 015x/0160/0162/0163/017x 10-11 digits,
        // 180x service, geographic 2-9 with 2-5 digit area codes: 6-11 digits.
        Plan::De => match d(0) {
            1 => match d(1) {
                5 | 7 => n == 10 || n == 11,
                6 => matches!(d(2), 0 | 2 | 3) && (n == 10 || n == 11),
                8 => d(2) == 0 && (7..=11).contains(&n),
                _ => false,
            },
            2..=9 => (6..=11).contains(&n),
            _ => false,
        },
        // ARCEP: nine digits after the trunk 0, first 1-9.
        Plan::Fr => n == 9 && (1..=9).contains(&d(0)),
        // TRAI: ten digits; mobiles start 6-9, landlines with a 2-4 digit
        // STD code start 1-8.
        Plan::In => n == 10 && (1..=9).contains(&d(0)),
        // MIIT: mobiles 1[3-9] + 9 digits; Beijing 10 and the 2x cities
        // + 8 digits; other 3-digit area codes + 7-8 digits.
        Plan::Cn => match d(0) {
            1 => match d(1) {
                3..=9 => n == 11,
                0 => n == 10,
                _ => false,
            },
            2 => n == 10,
            3..=9 => n == 10 || n == 11,
            _ => false,
        },
    }
}

/// `+` form: `digits` are everything after the `+` (a `(0)` trunk already
/// removed). Valid when the calling code exists and the rest fits its plan.
pub fn international_ok(digits: &[u8]) -> bool {
    let Some((code, k)) = calling_code(digits) else {
        return false;
    };
    let nsn = &digits[k..];
    if let Some(plan) = plan_for(code) {
        return nsn_ok(plan, nsn);
    }
    let Ok(i) = CALLING_CODES.binary_search_by_key(&code, |e| e.0) else {
        return false;
    };
    let (_, lo, hi) = CALLING_CODES[i];
    // Italy kept the leading 0 of fixed lines in the international form:
    // +39 06 ... is Rome.
    let leading_zero_ok = code == 39;
    nsn.first().is_some_and(|&b| b != b'0' || leading_zero_ok)
        && (usize::from(lo)..=usize::from(hi)).contains(&nsn.len())
}

/// National form (no `+`): valid as written in at least one of the six
/// plans. GB, DE and FR numbers are written with their trunk `0`; US numbers
/// may carry a leading `1`; IN landlines carry `0`, IN mobiles may not; CN
/// mobiles have no trunk, CN landlines do.
pub fn national_ok(digits: &[u8]) -> bool {
    PLANS.iter().any(|&p| national_in(p, digits))
}

pub fn national_in(plan: Plan, digits: &[u8]) -> bool {
    let trunk0 = digits.first() == Some(&b'0');
    let after0 = digits.get(1..).unwrap_or(&[]);
    match plan {
        Plan::Us => {
            nsn_ok(Plan::Us, digits) || (digits.first() == Some(&b'1') && nsn_ok(Plan::Us, after0))
        }
        Plan::Gb | Plan::De | Plan::Fr => trunk0 && nsn_ok(plan, after0),
        Plan::In => {
            (trunk0 && nsn_ok(Plan::In, after0))
                || (digits.len() == 10 && matches!(digits[0], b'6'..=b'9'))
        }
        Plan::Cn => {
            (trunk0 && after0.first() != Some(&b'1') && nsn_ok(Plan::Cn, after0))
                || (digits.len() == 11 && digits[0] == b'1' && matches!(digits[1], b'3'..=b'9'))
        }
    }
}

/// Numbers set aside for fiction, which nobody can hold, in the two ranges
/// that `scour mask --mode surrogate` draws from: NANP `NXX-555-0100` to
/// `-0199` (the only 555 numbers never assigned) and Ofcom's drama mobiles
/// `07700 900000` to `900999`. `digits` are the number's digits as
/// validated (`intl`: after the `+`, a `(0)` trunk removed). The other
/// fictional ranges (Ofcom's drama landlines such as 020 7946 0xxx and
/// 0161 496 0xxx) are not here: the shared conformance vectors require
/// them to be reported.
pub fn fictional(intl: bool, digits: &[u8]) -> bool {
    let nanp = |nsn: &[u8]| nsn.len() == 10 && &nsn[3..6] == b"555" && &nsn[6..8] == b"01";
    let uk_mobile = |nsn: &[u8]| nsn.len() == 10 && nsn.starts_with(b"7700900");
    match digits {
        [b'1', rest @ ..] if intl => nanp(rest),
        [b'4', b'4', rest @ ..] if intl => uk_mobile(rest),
        _ if intl => false,
        [b'1', rest @ ..] if rest.len() == 10 => nanp(rest),
        [b'0', rest @ ..] => uk_mobile(rest),
        _ => nanp(digits),
    }
}

/// True when `s` is four dot-separated groups of 1-3 digits: the shape of
/// an IPv4 address (`921.206.57.75` is a bad address, not a phone number).
pub fn is_dotted_quad(s: &str) -> bool {
    let mut groups = 0;
    for g in s.split('.') {
        if g.is_empty() || g.len() > 3 || !g.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        groups += 1;
    }
    groups == 4
}

/// True when `s` contains a date shape (`YYYY-MM-DD`, `DD/MM/YYYY`,
/// `DD.MM.YYYY` and mixes of those separators) anywhere, as the README asks
/// phone candidates to be checked.
pub fn has_date_shape(s: &str) -> bool {
    // Split into digit groups and the single character that follows each.
    let mut groups: [(usize, u8); 3] = [(0, 0); 3];
    let mut filled = 0usize;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            // A non-digit that is not a single date separator breaks the chain.
            filled = 0;
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let sep = bytes.get(i).copied().unwrap_or(0);
        let g = (i - start, sep);
        if filled == 3 {
            groups.rotate_left(1);
            groups[2] = g;
        } else {
            groups[filled] = g;
            filled += 1;
        }
        if filled == 3 {
            let [(a, s1), (b, s2), (c, _)] = groups;
            let seps = is_date_sep(s1) && is_date_sep(s2);
            if seps && (1..=2).contains(&b) && (a >= 4 || c >= 4) {
                return true;
            }
        }
        if !is_date_sep(sep) {
            filled = 0;
        }
        i += 1;
    }
    false
}

fn is_date_sep(b: u8) -> bool {
    matches!(b, b'-' | b'/' | b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Vec<u8> {
        s.bytes().filter(u8::is_ascii_digit).collect()
    }

    #[test]
    fn table_is_sorted_and_prefix_free() {
        for w in CALLING_CODES.windows(2) {
            assert!(w[0].0 < w[1].0, "{:?}", w);
        }
        for &(a, lo, hi) in CALLING_CODES {
            assert!(lo <= hi && hi <= 14, "{a}");
            for &(b, _, _) in CALLING_CODES {
                let (sa, sb) = (a.to_string(), b.to_string());
                assert!(a == b || !sb.starts_with(&sa), "{a} is a prefix of {b}");
            }
        }
    }

    #[test]
    fn international() {
        for ok in [
            "+44 20 7946 0958",
            "+1 415-555-2671",
            "+49 30 23125456",
            "+33 1 99 00 12 34",
            "+91 98765 43210",
            "+86 10 6552 9988",
            "+86 138 0013 8000",
            "+34 912 345 678",
            "+61 2 9374 4000",
            "+81 3-1234-5678",
            "+353 1 234 5678",
            // BNetzA drama number; its 13 digits also pass Luhn with a Visa
            // prefix, so the card rules must leave `+` numbers alone.
            "+49 152 54599371",
        ] {
            assert!(international_ok(&d(ok)), "{ok}");
        }
        for bad in [
            "+44 20 7946 095",
            "+1 015-555-2671",
            "+1 415-155-2671",
            "+33 01 99 00 12 34",
            "+86 12 3456 7890",
            "+999 1234567",
            "+01 98765 43210",
            "+44 22 7946 0958",
            "+44 119 496 0123",
            "+",
            "+34 12 34",
        ] {
            assert!(!international_ok(&d(bad)), "{bad}");
        }
    }

    #[test]
    fn national() {
        for ok in [
            "(415) 555-2671",
            "1 415 555 2671",
            "030 23125456",
            "01 99 00 12 34",
            "010-8765 4321",
            "0161 496 0123",
            "98765 43210",
            "138 0013 8000",
            "0171 1234567",
        ] {
            assert!(national_ok(&d(ok)), "{ok}");
        }
        for bad in [
            "(000) 555-2671",
            "1700000000",
            "12 34 56",
            "555 1234",
            "00 12 34 56 78",
            "4155552671 123",
            "0161 496 01203",
        ] {
            assert!(!national_ok(&d(bad)), "{bad}");
        }
    }

    #[test]
    fn fictional_ranges() {
        for yes in [
            "+1 212 555 0100",
            "+1 (212) 555-0199",
            "(212) 555-0142",
            "1 212 555 0123",
            "07700 900000",
            "07700 900999",
            "+44 7700 900123",
        ] {
            assert!(fictional(yes.starts_with('+'), &d(yes)), "{yes}");
        }
        for no in [
            "+1 415-555-2671",
            "(415) 555-2671",
            "(212) 555-0200",
            "(212) 555-0099",
            "(212) 556-0123",
            "07700 901000",
            "07700 899999",
            "+44 20 7946 0958",
            "0161 496 0123",
            "+44 7700 90012",
            "+49 7700 900123",
        ] {
            assert!(!fictional(no.starts_with('+'), &d(no)), "{no}");
        }
    }

    #[test]
    fn date_shapes() {
        for s in [
            "2024-01-15",
            "2024-01-15 10",
            "15/01/2024",
            "1.2.2024",
            "12024-01/155",
        ] {
            assert!(has_date_shape(s), "{s}");
        }
        for s in [
            "415-555-2671",
            "01.99.00.12.34",
            "+44 20 7946 0958",
            "2024 01 15",
            "",
            "-",
        ] {
            assert!(!has_date_shape(s), "{s}");
        }
    }
}
