//! ULIDs (<https://github.com/ulid/spec>): 48-bit big-endian millisecond
//! timestamp + 80 random bits, as 26 Crockford base32 characters. They sort
//! lexicographically by creation time (to the millisecond).

use std::time::SystemTime;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const MAX_MS: u64 = (1 << 48) - 1;

/// A fresh ULID for the current time, with randomness from the OS.
///
/// # Panics
/// If the operating system's random source fails (see [`try_new_ulid`]).
pub fn new_ulid() -> String {
    try_new_ulid().expect("OS random number generator failed")
}

/// A fresh ULID, or the error from the OS random source.
pub fn try_new_ulid() -> Result<String, getrandom::Error> {
    let mut rand = [0u8; 10];
    getrandom::fill(&mut rand)?;
    let ms = super::time::unix_millis(SystemTime::now()).max(0) as u64;
    Ok(ulid_from_parts(ms, rand))
}

/// Encode a ULID from its timestamp (ms since the Unix epoch; only the low 48
/// bits are used, enough until the year 10889) and 80 random bits.
pub fn ulid_from_parts(ms: u64, rand: [u8; 10]) -> String {
    let mut value = u128::from(ms & MAX_MS) << 80;
    for (i, b) in rand.iter().enumerate() {
        value |= u128::from(*b) << (8 * (9 - i));
    }
    (0..26)
        .map(|i| ALPHABET[((value >> (125 - 5 * i)) & 31) as usize] as char)
        .collect()
}

/// Split a ULID back into `(ms, rand)`. Accepts upper or lower case; `None`
/// for a wrong length, a character outside the alphabet, or overflow.
pub fn ulid_parts(ulid: &str) -> Option<(u64, [u8; 10])> {
    if ulid.len() != 26 || !ulid.is_ascii() || ulid.as_bytes()[0] > b'7' {
        return None;
    }
    let mut value: u128 = 0;
    for c in ulid.bytes() {
        let digit = ALPHABET.iter().position(|&a| a == c.to_ascii_uppercase())?;
        value = (value << 5) | digit as u128;
    }
    let ms = (value >> 80) as u64;
    let mut rand = [0u8; 10];
    for (i, b) in rand.iter_mut().enumerate() {
        *b = (value >> (8 * (9 - i))) as u8;
    }
    Some((ms, rand))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The ULID spec's example, split with a few lines of Python.
    const SPEC_EXAMPLE: &str = "01ARYZ6S41TSV4RRFFQ69G5FAV";
    const SPEC_MS: u64 = 1_469_918_176_385;
    const SPEC_RAND: [u8; 10] = [0xd6, 0x76, 0x4c, 0x61, 0xef, 0xb9, 0x93, 0x02, 0xbd, 0x5b];

    #[test]
    fn spec_vector() {
        assert_eq!(ulid_from_parts(SPEC_MS, SPEC_RAND), SPEC_EXAMPLE);
        assert!(ulid_from_parts(SPEC_MS, [0; 10]).starts_with("01ARYZ6S41"));
        assert_eq!(ulid_parts(SPEC_EXAMPLE), Some((SPEC_MS, SPEC_RAND)));
        assert_eq!(
            ulid_parts(&SPEC_EXAMPLE.to_ascii_lowercase()),
            Some((SPEC_MS, SPEC_RAND))
        );
    }

    #[test]
    fn edges() {
        assert_eq!(ulid_from_parts(0, [0; 10]), "0".repeat(26));
        assert_eq!(
            ulid_from_parts(MAX_MS, [0xff; 10]),
            format!("7{}", "Z".repeat(25))
        );
        let mut one = [0; 10];
        one[9] = 1;
        assert_eq!(ulid_from_parts(1, one), "00000000010000000000000001");
        // Timestamps are truncated to 48 bits.
        assert_eq!(ulid_from_parts(MAX_MS + 1, [0; 10]), "0".repeat(26));
        assert_eq!(ulid_parts("8ZZZZZZZZZZZZZZZZZZZZZZZZZ"), None);
        assert_eq!(ulid_parts("01ARYZ6S41TSV4RRFFQ69G5FA"), None);
        assert_eq!(ulid_parts("01ARYZ6S41TSV4RRFFQ69G5FAU"), None); // U not in alphabet
    }

    #[test]
    fn fresh_ulids() {
        let a = new_ulid();
        let b = new_ulid();
        assert_eq!(a.len(), 26);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)), "{a}");
        assert_ne!(a, b);
        let (ms_a, _) = ulid_parts(&a).unwrap();
        let (ms_b, _) = ulid_parts(&b).unwrap();
        assert!(ms_a <= ms_b);
        let now = super::super::time::unix_millis(SystemTime::now()) as u64;
        assert!(now - ms_b < 60_000, "timestamp {ms_b} vs now {now}");
        // Time-ordered prefix: a ULID a second later sorts after.
        assert!(ulid_from_parts(ms_a + 1000, [0; 10]) > a);
    }
}
