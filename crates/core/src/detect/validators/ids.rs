//! National identifiers: the published structure and check of each, on
//! compact values (separators already removed). Rules and oracles are in the
//! conformance README; python-stdnum is the reference where it has the type.

use super::checksum::{icao9303, iso7064_mod11_10, iso7064_mod11_2, luhn, verhoeff};
use super::date;

fn all_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

fn num(s: &[u8]) -> u64 {
    s.iter().fold(0u64, |a, &b| {
        a.wrapping_mul(10)
            .wrapping_add(u64::from(b.wrapping_sub(b'0')))
    })
}

fn val(b: u8) -> u32 {
    u32::from(b.wrapping_sub(b'0'))
}

// ------------------------------------------------------------ United States

/// IRS ITIN: area 9xx, group 70-88, 90-92 or 94-99.
pub fn itin(d: &[u8; 9]) -> bool {
    let group = num(&d[3..5]);
    d[0] == b'9' && all_digits(d) && (70..=99).contains(&group) && group != 89 && group != 93
}

// ------------------------------------------------------------ Europe / UK

/// French NIR: sex, month rule, department (2A/2B for Corsica) and the key
/// 97 - (first 13 digits mod 97), with 2A read as 19 and 2B as 18.
pub fn fr_nir(s: &[u8]) -> bool {
    if s.len() != 15 || !matches!(s[0], b'1'..=b'4' | b'7' | b'8') {
        return false;
    }
    if !all_digits(&s[..5]) || !all_digits(&s[7..]) {
        return false;
    }
    let month = num(&s[3..5]);
    if !((1..=12).contains(&month) || (20..=42).contains(&month) || (50..=99).contains(&month)) {
        return false;
    }
    let dept: [u8; 2] = match &s[5..7] {
        b"2A" => *b"19",
        b"2B" => *b"18",
        d if all_digits(d) => [d[0], d[1]],
        _ => return false,
    };
    let mut head = [0u8; 13];
    head[..5].copy_from_slice(&s[..5]);
    head[5..7].copy_from_slice(&dept);
    head[7..].copy_from_slice(&s[7..13]);
    97 - num(&head) % 97 == num(&s[13..])
}

/// German tax id (IdNr): 11 digits, no leading zero, exactly one digit of
/// the first ten repeated (twice or three times), ISO 7064 MOD 11,10.
pub fn de_idnr(d: &[u8]) -> bool {
    if d.len() != 11 || !all_digits(d) || d[0] == b'0' {
        return false;
    }
    let mut counts = [0u8; 10];
    for &b in &d[..10] {
        counts[usize::from(b - b'0')] += 1;
    }
    let repeated: Vec<u8> = counts.iter().copied().filter(|&c| c > 1).collect();
    if repeated.len() != 1 || !matches!(repeated[0], 2 | 3) {
        return false;
    }
    iso7064_mod11_10(&d[..10]) == Some(d[10])
}

const DE_ID_ALPHABET: &[u8] = b"CFGHJKLMNPRTVWXYZ0123456789";

/// German identity card (Personalausweis) number with its check digit:
/// since 2010 a letter then the restricted alphabet, before 2010 ten
/// digits; ICAO 9303 7-3-1 check digit. The alphabet lets a new-style
/// serial hold no digit at all ((17/27)^8, about 2.5 % of them do), so
/// none is required: the check digit and the context word decide.
pub fn de_id_card(s: &[u8]) -> bool {
    if s.len() != 10 || !s[9].is_ascii_digit() {
        return false;
    }
    let body = &s[..9];
    if !body.iter().all(|b| DE_ID_ALPHABET.contains(b)) {
        return false;
    }
    (body[0].is_ascii_uppercase() || all_digits(body)) && icao9303(body) == Some(s[9])
}

/// Turkish T.C. Kimlik No.
pub fn tr_kimlik(d: &[u8]) -> bool {
    if d.len() != 11 || !all_digits(d) || d[0] == b'0' {
        return false;
    }
    let odd: u32 = d[..9].iter().step_by(2).map(|&b| val(b)).sum();
    let even: u32 = d[1..8].iter().step_by(2).map(|&b| val(b)).sum();
    let c10 = (7 * odd + 10 * 9 - even) % 10;
    let c11 = (d[..10].iter().map(|&b| val(b)).sum::<u32>()) % 10;
    val(d[9]) == c10 && val(d[10]) == c11
}

/// UK National Insurance number prefix and suffix rules (HMRC).
pub fn uk_nino(prefix: [u8; 2], suffix: u8) -> bool {
    prefix.iter().all(u8::is_ascii_uppercase)
        && !b"DFIQUV".contains(&prefix[0])
        && !b"DFIOQUV".contains(&prefix[1])
        && !matches!(
            &prefix,
            b"BG" | b"GB" | b"KN" | b"NK" | b"NT" | b"TN" | b"ZZ"
        )
        && (b'A'..=b'D').contains(&suffix)
}

/// NHS number: weights 10..1 over all ten digits sum to 0 mod 11.
pub fn uk_nhs(d: &[u8]) -> bool {
    d.len() == 10
        && all_digits(d)
        && d.iter()
            .enumerate()
            .map(|(i, &b)| (10 - i as u32) * val(b))
            .sum::<u32>()
            % 11
            == 0
}

const DNI_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

/// Spanish DNI: 8 digits and the mod-23 letter.
pub fn es_dni(d: &[u8], letter: u8) -> bool {
    d.len() == 8 && all_digits(d) && DNI_LETTERS[(num(d) % 23) as usize] == letter
}

/// Spanish NIE: X/Y/Z (as 0/1/2) + 7 digits and the DNI letter.
pub fn es_nie(prefix: u8, d: &[u8], letter: u8) -> bool {
    let Some(p) = b"XYZ".iter().position(|&x| x == prefix) else {
        return false;
    };
    d.len() == 7
        && all_digits(d)
        && DNI_LETTERS[((p as u64 * 10_000_000 + num(d)) % 23) as usize] == letter
}

const CF_ODD: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];
const CF_OMOCODIA: &[u8] = b"LMNPQRSTUV";
const CF_MONTHS: &[u8] = b"ABCDEHLMPRST";

/// A date digit of a codice fiscale, plain or replaced by its omocodia letter.
fn cf_digit(b: u8) -> Option<u32> {
    if b.is_ascii_digit() {
        return Some(val(b));
    }
    CF_OMOCODIA.iter().position(|&x| x == b).map(|p| p as u32)
}

/// Italian codice fiscale (16-character personal form): layout, a real
/// birth date, and the odd/even check letter.
pub fn it_codice_fiscale(s: &[u8]) -> bool {
    if s.len() != 16
        || !s
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return false;
    }
    let letters = [0, 1, 2, 3, 4, 5, 8, 11, 15];
    if letters.iter().any(|&i| !s[i].is_ascii_uppercase()) {
        return false;
    }
    let mut digits = [0u32; 16];
    for i in [6, 7, 9, 10, 12, 13, 14] {
        match cf_digit(s[i]) {
            Some(v) => digits[i] = v,
            None => return false,
        }
    }
    let Some(month) = CF_MONTHS.iter().position(|&x| x == s[8]) else {
        return false;
    };
    let yy = digits[6] * 10 + digits[7];
    let year = if yy < 20 { 2000 + yy } else { 1900 + yy } as i32;
    let day = (digits[9] * 10 + digits[10]) % 40;
    if !date::real(year, month as u32 + 1, day) {
        return false;
    }
    let sum: u32 = s[..15]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let idx = if b.is_ascii_digit() {
                val(b)
            } else {
                u32::from(b - b'A')
            };
            if i % 2 == 0 {
                CF_ODD[idx as usize]
            } else {
                idx
            }
        })
        .sum();
    s[15] == b'A' + (sum % 26) as u8
}

/// Dutch BSN: 11-proef, not all zeros.
pub fn nl_bsn(d: &[u8]) -> bool {
    if d.len() != 9 || !all_digits(d) || num(d) == 0 {
        return false;
    }
    let s: i64 = d[..8]
        .iter()
        .enumerate()
        .map(|(i, &b)| (9 - i as i64) * i64::from(val(b)))
        .sum::<i64>()
        - i64::from(val(d[8]));
    s.rem_euclid(11) == 0
}

/// Polish PESEL: check digit, and a real birth date with the century in
/// the month.
pub fn pl_pesel(d: &[u8]) -> bool {
    if d.len() != 11 || !all_digits(d) {
        return false;
    }
    const W: [u32; 10] = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
    let s: u32 = W.iter().zip(d).map(|(w, &b)| w * val(b)).sum();
    if (10 - s % 10) % 10 != val(d[10]) {
        return false;
    }
    let mm = num(&d[2..4]) as u32;
    let century = match mm / 20 {
        0 => 1900,
        1 => 2000,
        2 => 2100,
        3 => 2200,
        _ => 1800,
    };
    date::real(century + num(&d[..2]) as i32, mm % 20, num(&d[4..6]) as u32)
}

// ------------------------------------------------------------ India

/// Aadhaar: 12 digits, first 2-9, not a palindrome, Verhoeff check.
pub fn in_aadhaar(d: &[u8]) -> bool {
    d.len() == 12 && all_digits(d) && d[0] >= b'2' && !d.iter().eq(d.iter().rev()) && verhoeff(d)
}

/// PAN: 5 letters (4th the holder type) + 4 digits (not 0000) + a letter.
pub fn in_pan(s: &[u8]) -> bool {
    s.len() == 10
        && s[..5].iter().all(u8::is_ascii_uppercase)
        && all_digits(&s[5..9])
        && s[9].is_ascii_uppercase()
        && b"ABCFGHJKLPT".contains(&s[3])
        && &s[5..9] != b"0000"
}

const IN_STATES: &[&[u8; 2]] = &[
    b"AN", b"AP", b"AR", b"AS", b"BR", b"CG", b"CH", b"DD", b"DL", b"DN", b"GA", b"GJ", b"HP",
    b"HR", b"JH", b"JK", b"KA", b"KL", b"LA", b"LD", b"MH", b"ML", b"MN", b"MP", b"MZ", b"NL",
    b"OD", b"OR", b"PB", b"PY", b"RJ", b"SK", b"TN", b"TR", b"TS", b"UK", b"UP", b"WB",
];

/// Indian driving licence: state code + RTO + issue year 1950..=this year
/// + 7-digit serial (compact, 15 characters).
pub fn in_driving_licence(s: &[u8]) -> bool {
    if s.len() != 15 || !all_digits(&s[2..]) {
        return false;
    }
    let year = num(&s[4..8]) as i32;
    IN_STATES.iter().any(|st| st[..] == s[..2]) && (1950..=date::today().0).contains(&year)
}

// ------------------------------------------------------------ China

const CN_PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

/// Resident identity card: province, a plausible birth date, MOD 11-2.
pub fn cn_resident_id(s: &[u8]) -> bool {
    if s.len() != 18 || !all_digits(&s[..17]) {
        return false;
    }
    if !CN_PROVINCES.contains(&(num(&s[..2]) as u8)) {
        return false;
    }
    let (y, m, d) = (
        num(&s[6..10]) as i32,
        num(&s[10..12]) as u32,
        num(&s[12..14]) as u32,
    );
    date::plausible_birth(y, m, d) && iso7064_mod11_2(&s[..17]) == Some(s[17])
}

/// Mainland mobile number ranges (libphonenumber's CN mobile plan).
pub fn cn_mobile(d: &[u8]) -> bool {
    if d.len() != 11 || !all_digits(d) || d[0] != b'1' {
        return false;
    }
    match d[1] {
        b'3' | b'8' => true,
        b'4' => matches!(d[2], b'5' | b'7'),
        b'5' | b'9' => d[2] != b'4',
        b'6' => matches!(d[2], b'2' | b'5'..=b'7') || &d[2..4] == b"10",
        b'7' => (d[2] != b'4' && d[2] != b'9') || (&d[2..4] == b"40" && d[4] <= b'5'),
        _ => false,
    }
}

/// UnionPay-issued bank card: 16-19 digits starting 62, Luhn.
pub fn cn_bank_card(d: &[u8]) -> bool {
    (16..=19).contains(&d.len()) && d.starts_with(b"62") && luhn(d)
}

const USCC_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// GB 11714 organisation code: 8 characters + check (`X` for 10).
fn gb11714(s: &[u8]) -> bool {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let mut sum = 0;
    for (w, &b) in W.iter().zip(s) {
        let v = match b {
            b'0'..=b'9' => val(b),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        sum += w * v;
    }
    let c = 11 - sum % 11;
    let want = match c {
        10 => b'X',
        11 => b'0',
        _ => b'0' + c as u8,
    };
    s.len() == 9 && s[8] == want
}

/// Unified social credit code (GB 32100): alphabet, administrative
/// division digits, embedded GB 11714 organisation code, check character.
pub fn cn_uscc(s: &[u8]) -> bool {
    if s.len() != 18 || !all_digits(&s[2..8]) {
        return false;
    }
    let mut sum = 0u32;
    for (w, b) in USCC_WEIGHTS.iter().zip(&s[..17]) {
        let Some(v) = USCC_ALPHABET.iter().position(|x| x == b) else {
            return false;
        };
        sum += w * v as u32;
    }
    USCC_ALPHABET[((31 - sum % 31) % 31) as usize] == s[17] && gb11714(&s[8..17])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> &[u8] {
        s.as_bytes()
    }

    #[test]
    fn us_itin() {
        assert!(itin(b"925888177"));
        assert!(itin(b"992841397"));
        for bad in [b"912891234", b"912931234", b"812701234", b"912123456"] {
            assert!(!itin(bad));
        }
    }

    #[test]
    fn fr() {
        assert!(fr_nir(b("269054958815780")));
        assert!(fr_nir(b("192112B03341235")));
        assert!(fr_nir(b("185052A00608435")));
        assert!(!fr_nir(b("288012A00432155")));
        assert!(!fr_nir(b("185137800608425")), "month 13");
        assert!(!fr_nir(b("585057800608485")), "sex 5");
        assert!(!fr_nir(b("269054958815781")));
        assert!(!fr_nir(b("18505780060849")));
        assert!(!fr_nir(b("1850578006084X1")));
    }

    #[test]
    fn de() {
        assert!(de_idnr(b("59038361247")));
        assert!(de_idnr(b("36574261809")));
        assert!(!de_idnr(b("14908423767")));
        assert!(!de_idnr(b("01835497614")));
        assert!(!de_idnr(b("27168453900")), "ten distinct digits");
        assert!(de_id_card(b("T220001293")));
        assert!(de_id_card(b("9035984071")));
        assert!(!de_id_card(b("T220001294")));
        assert!(!de_id_card(b("ZWOGYG55G1")), "O is not in the alphabet");
        assert!(!de_id_card(b("APM9J9C4Y6")), "A is not in the alphabet");
        // New-style serials without a digit: the alphabet allows them.
        assert!(de_id_card(b("LFGHJKLMN0")));
        assert!(de_id_card(b("CFGHJKLMN7")));
        assert!(!de_id_card(b("LFGHJKLMN8")), "check digit should be 0");
        assert!(!de_id_card(b("AFGHJKLMN3")), "A is not in the alphabet");
        assert!(
            !de_id_card(b("1FGHJKLMN0")),
            "a new-style serial starts with a letter"
        );
    }

    #[test]
    fn tr_uk_es() {
        assert!(tr_kimlik(b("10000000146")));
        assert!(tr_kimlik(b("46037930934")));
        assert!(!tr_kimlik(b("76624478915")));
        assert!(!tr_kimlik(b("12345678901")));
        assert!(!tr_kimlik(b("02345678902")));
        assert!(uk_nino(*b"CW", b'C'));
        assert!(!uk_nino(*b"QQ", b'C'));
        assert!(!uk_nino(*b"AO", b'A'));
        assert!(!uk_nino(*b"BG", b'A'));
        assert!(!uk_nino(*b"AB", b'E'));
        assert!(uk_nhs(b("9997911075")));
        assert!(!uk_nhs(b("9997194340")));
        assert!(!uk_nhs(b("9993985660")), "check value 10");
        assert!(es_dni(b("15405456"), b'X'));
        assert!(!es_dni(b("04196111"), b'S'));
        assert!(es_nie(b'X', b("4708739"), b'H'));
        assert!(!es_nie(b'Z', b("9960096"), b'W'));
        assert!(!es_nie(b'W', b("9978867"), b'H'));
    }

    #[test]
    fn it_nl_pl() {
        assert!(it_codice_fiscale(b("BNCLCU85C17H501R")));
        assert!(it_codice_fiscale(b("VRDGLI92S45F205X")));
        assert!(it_codice_fiscale(b("MRNFNC70L30L2MVP")), "omocodia");
        // python-stdnum's omocodia series: one to all seven digits replaced
        // (0-9 as L M N P Q R S T U V), the check letter over the code as
        // written, the date read after the substitution.
        for code in [
            "RSSMRA45C12F205C",
            "RSSMRA45C12F20RX",
            "RSSMRA45C12F2L5N",
            "RSSMRA45C12F2LRI",
            "RSSMRAQRCMNFNLRG",
        ] {
            assert!(it_codice_fiscale(b(code)), "{code}");
        }
        assert!(!it_codice_fiscale(b("RSSMRAQRCMNFNLRA")), "check letter");
        assert!(!it_codice_fiscale(b("RSSMRAQRCPNFNLRJ")), "day 32 (P N)");
        assert!(
            !it_codice_fiscale(b("RSSMRAQRCMWFNLRG")),
            "W is no omocodia letter"
        );
        assert!(!it_codice_fiscale(b("rssmraqrcmnfnlrg")), "capitals only");
        assert!(!it_codice_fiscale(b("BNCLCU85C17H501A")));
        assert!(!it_codice_fiscale(b("BNCLCU85F17H501Z")), "F is no month");
        assert!(!it_codice_fiscale(b("BNCLCU85B31H501X")), "31 February");
        assert!(nl_bsn(b("534442493")));
        assert!(!nl_bsn(b("254460230")));
        assert!(!nl_bsn(b("000000000")));
        assert!(pl_pesel(b("78042317286")));
        assert!(pl_pesel(b("03290144955")));
        assert!(!pl_pesel(b("78042330316")));
        assert!(!pl_pesel(b("78132370937")), "month 13");
    }

    #[test]
    fn india() {
        assert!(in_aadhaar(b("234123412346")));
        assert!(!in_aadhaar(b("234123412347")));
        assert!(!in_aadhaar(b("123412341234")));
        assert!(in_pan(b("KGSPY8332I")));
        assert!(!in_pan(b("XIYXC8637K")));
        assert!(!in_pan(b("BQPPF0000I")));
        assert!(in_driving_licence(b("MH1620247283247")));
        assert!(!in_driving_licence(b("XX0320056213703")));
        assert!(!in_driving_licence(b("MH1230110830978")));
    }

    #[test]
    fn china() {
        assert!(cn_resident_id(b("11010519491231002X")));
        assert!(cn_resident_id(b("110101198807161002")));
        assert!(!cn_resident_id(b("110101199002301236")), "30 February");
        assert!(!cn_resident_id(b("000000198807161232")), "no province 00");
        assert!(!cn_resident_id(b("110105194912310020")));
        assert!(cn_mobile(b("13800138000")));
        assert!(cn_mobile(b("19958043648")));
        assert!(cn_mobile(b("17400012345")));
        assert!(!cn_mobile(b("17460012345")));
        assert!(!cn_mobile(b("12345678901")));
        assert!(!cn_mobile(b("11012345678")));
        assert!(!cn_mobile(b("14012345678")));
        assert!(cn_bank_card(b("6222947514149674251")));
        assert!(!cn_bank_card(b("6322927402200955573")));
        assert!(cn_uscc(b("911101085400434154")));
        assert!(cn_uscc(b("91440300718528285T")));
        assert!(!cn_uscc(b("91110108719258598M")));
        assert!(!cn_uscc(b("9111010830I9607016")));
        assert!(!cn_uscc(b("91110108246037807")));
    }
}
