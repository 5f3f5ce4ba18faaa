//! Check-digit algorithms. Each takes ASCII text and returns false (never
//! panics) on anything outside its alphabet.

/// Luhn (ISO/IEC 7812) over ASCII digits: payment cards, CN bank cards.
pub fn luhn(digits: &[u8]) -> bool {
    if digits.is_empty() {
        return false;
    }
    let mut sum = 0u32;
    for (i, &b) in digits.iter().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// ISO 7064 mod 97-10 as IBAN uses it: the first four characters moved to
/// the end, letters as 10..35 (either case), remainder must be 1.
pub fn iban_mod97(iban: &[u8]) -> bool {
    if iban.len() < 5 {
        return false;
    }
    let (head, tail) = iban.split_at(4);
    let mut rem = 0u32;
    for &b in tail.iter().chain(head) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            b'a'..=b'z' => u32::from(b - b'a') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// Verhoeff over ASCII digits, check digit last (Aadhaar).
pub fn verhoeff(digits: &[u8]) -> bool {
    if digits.is_empty() {
        return false;
    }
    let mut c = 0u8;
    for (i, &b) in digits.iter().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        c = VERHOEFF_D[usize::from(c)][usize::from(VERHOEFF_P[i % 8][usize::from(b - b'0')])];
    }
    c == 0
}

/// ISO 7064 MOD 11-2 check character (`0`-`9` or `X`) for the given digits
/// (CN resident identity card).
pub fn iso7064_mod11_2(digits: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        sum = ((sum + u32::from(b - b'0')) * 2) % 11;
    }
    let check = (12 - sum % 11) % 11;
    Some(if check == 10 {
        b'X'
    } else {
        b'0' + check as u8
    })
}

/// ISO 7064 MOD 11,10 check digit for the given digits (DE tax id).
pub fn iso7064_mod11_10(digits: &[u8]) -> Option<u8> {
    let mut p = 10u32;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        let mut s = (u32::from(b - b'0') + p) % 10;
        if s == 0 {
            s = 10;
        }
        p = (s * 2) % 11;
    }
    Some(b'0' + ((11 - p) % 10) as u8)
}

/// ICAO 9303 check digit: weights 7,3,1 repeating, letters A=10 ... Z=35,
/// `<` = 0 (machine-readable travel documents, the German ID card).
pub fn icao9303(s: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    for (i, &b) in s.iter().enumerate() {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            b'<' => 0,
            _ => return None,
        };
        sum += v * [7, 3, 1][i % 3];
    }
    Some(b'0' + (sum % 10) as u8)
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// CRC-32 of `body` written in base62, six characters, zero-padded: the
/// checksum GitHub (and npm) append to classic tokens.
pub fn base62_crc32(body: &[u8]) -> [u8; 6] {
    let mut n = crc32fast::hash(body);
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// `prefix_` + 30 random base62 + the 6-character base62 CRC-32 of those 30.
pub fn crc_token(token: &str) -> bool {
    let Some((_, body)) = token.split_once('_') else {
        return false;
    };
    let body = body.as_bytes();
    body.len() == 36
        && body.iter().all(u8::is_ascii_alphanumeric)
        && base62_crc32(&body[..30]) == body[30..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_cases() {
        assert!(luhn(b"4111111111111111"));
        assert!(luhn(b"79927398713"));
        assert!(
            luhn(b"0000000000000000"),
            "all zeros pass Luhn; the issuer rule rejects them"
        );
        assert!(
            luhn(b"6264600001631634"),
            "the digits of the registry's Faroese IBAN FO6264600001631634 \
             are a 62-prefixed Luhn number: overlap resolution decides"
        );
        assert!(!luhn(b"4111111111111112"));
        assert!(!luhn(b"79927398710"));
        assert!(!luhn(b""));
        assert!(!luhn(b"4111-1111"));
    }

    #[test]
    fn mod97_cases() {
        assert!(iban_mod97(b"GB82WEST12345698765432"));
        assert!(iban_mod97(b"gb82west12345698765432"));
        assert!(iban_mod97(b"BE68539007547034"));
        assert!(iban_mod97(b"FO6264600001631634"));
        assert!(!iban_mod97(b"GB82WEST12345698765433"));
        assert!(!iban_mod97(b"GB82 WEST"));
        assert!(!iban_mod97(b"GB82"));
    }

    #[test]
    fn verhoeff_cases() {
        assert!(verhoeff(b"2363"));
        assert!(verhoeff(b"234123412346"));
        assert!(!verhoeff(b"234123412347"));
        assert!(!verhoeff(b""));
        assert!(!verhoeff(b"12a"));
    }

    #[test]
    fn mod11_cases() {
        // GB 11643-1999 worked example.
        assert_eq!(iso7064_mod11_2(b"11010519491231002"), Some(b'X'));
        assert_eq!(iso7064_mod11_2(b"44052418800101001"), Some(b'4'));
        assert_eq!(iso7064_mod11_2(b"4405a"), None);
        // stdnum.de.idnr examples.
        assert_eq!(iso7064_mod11_10(b"3657426180"), Some(b'9'));
        assert_eq!(iso7064_mod11_10(b"x"), None);
    }

    #[test]
    fn icao_cases() {
        assert_eq!(icao9303(b"L898902C<"), Some(b'3'));
        assert_eq!(icao9303(b"T22000129"), Some(b'3'));
        assert_eq!(icao9303(b"122000129"), Some(b'7'));
        assert_eq!(icao9303(b"t22"), None);
    }

    #[test]
    fn github_checksum() {
        assert_eq!(&base62_crc32(b""), b"000000");
        assert!(crc_token("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"));
        assert!(!crc_token("ghp_qQ4hiE5dGze0Qpm3y5lQO5KZ9WCgbv2lwXqK"));
        assert!(!crc_token("ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"));
        assert!(!crc_token("ghp_short"));
        assert!(!crc_token("nounderscore"));
        assert!(!crc_token("ghp_HaSiWdheCyZC9dHwitzt8NEREILuDg0XUAPé"));
    }
}
