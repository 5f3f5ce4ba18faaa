//! IBAN: the ISO 13616 registry's length and BBAN shape per country, and
//! the mod 97-10 check. National BBAN check digits and bank directories are
//! deliberately not checked (the registry's own example `BE68539007547034`
//! must pass).

use super::checksum::iban_mod97;

/// Country → (total length, BBAN shape). Shape notation as in the SWIFT
/// registry without the `!`: `8n10n` is 8 digits then 10 digits, `a` is an
/// upper-case letter, `c` a letter or digit.
const COUNTRIES: &[(&[u8; 2], u8, &str)] = &[
    (b"AD", 24, "4n4n12c"),
    (b"AE", 23, "3n16n"),
    (b"AL", 28, "8n16c"),
    (b"AT", 20, "5n11n"),
    (b"AZ", 28, "4a20c"),
    (b"BA", 20, "3n3n8n2n"),
    (b"BE", 16, "3n7n2n"),
    (b"BG", 22, "4a4n2n8c"),
    (b"BH", 22, "4a14c"),
    (b"BI", 27, "5n5n11n2n"),
    (b"BR", 29, "8n5n10n1a1c"),
    (b"BY", 28, "4c4n16c"),
    (b"CH", 21, "5n12c"),
    (b"CR", 22, "4n14n"),
    (b"CY", 28, "3n5n16c"),
    (b"CZ", 24, "4n6n10n"),
    (b"DE", 22, "8n10n"),
    (b"DJ", 27, "5n5n11n2n"),
    (b"DK", 18, "4n9n1n"),
    (b"DO", 28, "4c20n"),
    (b"EE", 20, "2n2n11n1n"),
    (b"EG", 29, "4n4n17n"),
    (b"ES", 24, "4n4n1n1n10n"),
    (b"FI", 18, "3n11n"),
    (b"FK", 18, "2a12n"),
    (b"FO", 18, "4n9n1n"),
    (b"FR", 27, "5n5n11c2n"),
    (b"GB", 22, "4a6n8n"),
    (b"GE", 22, "2a16n"),
    (b"GI", 23, "4a15c"),
    (b"GL", 18, "4n9n1n"),
    (b"GR", 27, "3n4n16c"),
    (b"GT", 28, "4c20c"),
    (b"HN", 28, "4a20n"),
    (b"HR", 21, "7n10n"),
    (b"HU", 28, "3n4n1n15n1n"),
    (b"IE", 22, "4a6n8n"),
    (b"IL", 23, "3n3n13n"),
    (b"IQ", 23, "4a3n12n"),
    (b"IS", 26, "4n2n6n10n"),
    (b"IT", 27, "1a5n5n12c"),
    (b"JO", 30, "4a4n18c"),
    (b"KW", 30, "4a22c"),
    (b"KZ", 20, "3n13c"),
    (b"LB", 28, "4n20c"),
    (b"LC", 32, "4a24c"),
    (b"LI", 21, "5n12c"),
    (b"LT", 20, "5n11n"),
    (b"LU", 20, "3n13c"),
    (b"LV", 21, "4a13c"),
    (b"LY", 25, "3n3n15n"),
    (b"MC", 27, "5n5n11c2n"),
    (b"MD", 24, "2c18c"),
    (b"ME", 22, "3n13n2n"),
    (b"MK", 19, "3n10c2n"),
    (b"MN", 20, "4n12n"),
    (b"MR", 27, "5n5n11n2n"),
    (b"MT", 31, "4a5n18c"),
    (b"MU", 30, "4a2n2n12n3n3a"),
    (b"NI", 28, "4a20n"),
    (b"NL", 18, "4a10n"),
    (b"NO", 15, "4n6n1n"),
    (b"OM", 23, "3n16c"),
    (b"PK", 24, "4a16c"),
    (b"PL", 28, "8n16n"),
    (b"PS", 29, "4a21c"),
    (b"PT", 25, "4n4n11n2n"),
    (b"QA", 29, "4a21c"),
    (b"RO", 24, "4a16c"),
    (b"RS", 22, "3n13n2n"),
    (b"RU", 33, "9n5n15c"),
    (b"SA", 24, "2n18c"),
    (b"SC", 31, "4a2n2n16n3a"),
    (b"SD", 18, "2n12n"),
    (b"SE", 24, "3n16n1n"),
    (b"SI", 19, "5n8n2n"),
    (b"SK", 24, "4n6n10n"),
    (b"SM", 27, "1a5n5n12c"),
    (b"SO", 23, "4n3n12n"),
    (b"ST", 25, "4n4n11n2n"),
    (b"SV", 28, "4a20n"),
    (b"TL", 23, "3n14n2n"),
    (b"TN", 24, "2n3n13n2n"),
    (b"TR", 26, "5n1n16c"),
    (b"UA", 29, "6n19c"),
    (b"VA", 22, "3n15n"),
    (b"VG", 24, "4a16n"),
    (b"XK", 20, "4n10n2n"),
    (b"YE", 30, "4a4n18c"),
];

/// Registry length for a country code (either case), if it issues IBANs.
pub fn country_length(cc: &[u8]) -> Option<usize> {
    entry(cc).map(|e| usize::from(e.1))
}

fn entry(cc: &[u8]) -> Option<&'static (&'static [u8; 2], u8, &'static str)> {
    let cc = [
        cc.first()?.to_ascii_uppercase(),
        cc.get(1)?.to_ascii_uppercase(),
    ];
    COUNTRIES
        .binary_search_by_key(&&cc, |e| e.0)
        .ok()
        .map(|i| &COUNTRIES[i])
}

/// Does `bban` (upper-cased) follow the registry shape?
fn shape_ok(shape: &str, bban: &[u8]) -> bool {
    let mut pos = 0usize;
    let mut count = 0usize;
    for c in shape.bytes() {
        if c.is_ascii_digit() {
            count = count * 10 + usize::from(c - b'0');
            continue;
        }
        let Some(part) = bban.get(pos..pos + count) else {
            return false;
        };
        let ok = match c {
            b'n' => part.iter().all(u8::is_ascii_digit),
            b'a' => part.iter().all(u8::is_ascii_uppercase),
            _ => part
                .iter()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
        };
        if !ok {
            return false;
        }
        pos += count;
        count = 0;
    }
    pos == bban.len()
}

/// A compact IBAN (no spaces, either case): known country, registry length,
/// BBAN shape, two check digits and mod 97-10.
pub fn valid(iban: &[u8]) -> bool {
    let Some(&(_, len, shape)) = entry(iban) else {
        return false;
    };
    if iban.len() != usize::from(len) || !iban[2..4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut up = [0u8; 34];
    let Some(buf) = up.get_mut(..iban.len()) else {
        return false;
    };
    for (o, b) in buf.iter_mut().zip(iban) {
        *o = b.to_ascii_uppercase();
    }
    shape_ok(shape, &buf[4..]) && iban_mod97(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        for w in COUNTRIES.windows(2) {
            assert!(w[0].0 < w[1].0, "{:?}", w[0].0);
        }
        for (cc, len, shape) in COUNTRIES {
            let total: usize = shape
                .split(|c: char| c.is_ascii_alphabetic())
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<usize>().unwrap())
                .sum();
            assert_eq!(
                total + 4,
                usize::from(*len),
                "{}",
                String::from_utf8_lossy(*cc)
            );
        }
    }

    #[test]
    fn registry_examples() {
        for ok in [
            "GB82WEST12345698765432",
            "gb82west12345698765432",
            "DE89370400440532013000",
            "FR1420041010050500013M02606",
            "NL91ABNA0417164300",
            "ES9121000418450200051332",
            "IT60X0542811101000000123456",
            "BE68539007547034",
            "CH9300762011623852957",
            "PL61109010140000071219812874",
            "TR330006100519786457841326",
            "AT611904300234573201",
            "SE4550000000058398257466",
            "NO9386011117947",
            "FO6264600001631634",
            "ME25505000012345678951",
            "MK07250120000058984",
            "MU17BOMM0101101030300200000MUR",
            "TL380080012345678910157",
            "XK051212012345678906",
        ] {
            assert!(valid(ok.as_bytes()), "{ok}");
        }
    }

    #[test]
    fn near_misses() {
        for bad in [
            "GB82WEST12345698765433", // check fails
            "DE5137040044053201300",  // mod-97 passes, 21 characters
            "XX82WEST12345698765432", // no such country
            "GB821EST12345698765432", // bank code must be letters
            "GB8XWEST12345698765432", // check digits must be digits
            "DE89370400440532013000000000000000000",
            "",
            "G",
        ] {
            assert!(!valid(bad.as_bytes()), "{bad}");
        }
        assert_eq!(country_length(b"de"), Some(22));
        assert_eq!(country_length(b"X"), None);
    }
}
