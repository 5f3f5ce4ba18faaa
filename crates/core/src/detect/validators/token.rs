//! Structured secrets: JSON Web Tokens and PEM/OpenSSH/PGP private-key
//! blocks.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

/// base64url as Python's `urlsafe_b64decode` accepts it once padded: no
/// padding required, non-zero trailing bits tolerated.
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Standard base64 with padding, as Python's `b64decode(validate=True)`
/// reads it (non-zero trailing bits tolerated).
pub const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

fn b64url(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() || s.len() % 4 == 1 {
        return None;
    }
    B64URL.decode(s).ok()
}

/// `header.payload.signature`, all three non-empty and base64url-decodable,
/// the header a JSON object (UTF-8) with a string `alg`.
pub fn jwt(value: &str) -> bool {
    let mut parts = value.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Some(header) = b64url(h) else {
        return false;
    };
    if b64url(p).is_none() || b64url(s).is_none() {
        return false;
    }
    match serde_json::from_slice::<serde_json::Value>(&header) {
        Ok(serde_json::Value::Object(m)) => m.get("alg").is_some_and(|a| a.is_string()),
        _ => false,
    }
}

/// Where a private key's body ends: `rest` is the text right after the
/// `-----BEGIN ... PRIVATE KEY-----` line. Counts base64 characters on the
/// lines that follow (real newlines, CRLF, or a literal `\n` as in a key
/// pasted into a source string), skipping blank lines and armour headers
/// (`Version: ...`), up to `-----END` or the first other line. Returns the
/// count and the byte offset in `rest` where the block ends (after the END
/// line's closing dashes when there is one).
pub fn pem_body(rest: &str) -> (usize, usize) {
    let end_marker = memchr::memmem::find(rest.as_bytes(), b"-----END ");
    let body = end_marker.map_or(rest, |e| &rest[..e]);
    let mut b64 = 0usize;
    let mut consumed = 0usize;
    let mut pos = 0usize;
    let mut complete = true;
    while pos <= body.len() {
        let line_start = pos;
        let (line, next) = next_line(body, pos);
        let t = line.trim();
        pos = next;
        if t.is_empty() || is_armour_header(t) {
            if next > body.len() {
                break;
            }
            continue;
        }
        if t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        {
            b64 += t.len();
            consumed = line_start + line.len();
        } else {
            complete = false;
            break;
        }
        if next > body.len() {
            break;
        }
    }
    let end = match end_marker {
        Some(e) if complete => {
            // Include the END line up to its closing dashes.
            let after = e + "-----END ".len();
            let tail = &rest[after..];
            tail.as_bytes()
                .get(..tail.len().min(64))
                .and_then(|t| memchr::memmem::find(t, b"-----"))
                .map_or(after, |c| after + c + 5)
        }
        _ => consumed,
    };
    (b64, end)
}

/// The line starting at `pos` and where the next one starts (past the
/// separator); lines end at `\n`, `\r\n` or a literal backslash-n.
fn next_line(s: &str, pos: usize) -> (&str, usize) {
    let bytes = s.as_bytes();
    let mut i = pos;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                let line_end = if i > pos && bytes[i - 1] == b'\r' {
                    i - 1
                } else {
                    i
                };
                return (&s[pos..line_end], i + 1);
            }
            b'\\' if bytes.get(i + 1) == Some(&b'n') => return (&s[pos..i], i + 2),
            _ => i += 1,
        }
    }
    (&s[pos.min(s.len())..], s.len() + 1)
}

/// `Name: value` lines in PGP armour (`Version:`, `Comment:`, `Proc-Type:`).
fn is_armour_header(line: &str) -> bool {
    let Some((name, _)) = line.split_once(": ") else {
        return false;
    };
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwts() {
        assert!(jwt("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"));
        // no alg
        assert!(!jwt("eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ1c2VyLTEwMDEifQ.mwBw6J3KBO4KlqtUfOa6z8f_ZOCO_ecoiw8ihNAJJ2w"));
        // two segments, four segments, empty segment
        assert!(!jwt("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0"));
        assert!(!jwt("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abc.def"));
        assert!(!jwt("eyJhbGciOiJIUzI1NiJ9..abcd"));
        // header not JSON / not UTF-8 / alg not a string / not an object
        assert!(!jwt("eyJnotajwt.abc.def"));
        assert!(!jwt(
            "eyJ__79_Pv6-fj3.eyJzdWIiOiJ4In0.OOW2DLdHjIK9i9bUjhZSsyx9U8m63zDyGJo_9_ooAXs"
        ));
        assert!(!jwt("eyJhbGciOjF9.e30.e30"));
        assert!(!jwt("WyJhbGciXQ.e30.e30"));
        // a segment of length 1 mod 4 cannot be base64
        assert!(!jwt("eyJhbGciOiJIUzI1NiJ9.e30.abcde"));
    }

    #[test]
    fn pem_bodies() {
        let body = "\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASChAgTzu10nzDClbXz/Fp8xlPZ6Qgg4boQ\naknOEdU5blYOCs71aRteisRT4m8eW/PiGOXQDOiKRrqOCVMmq9G0F8U5co+Ele4O\n-----END PRIVATE KEY-----\ntrailer";
        let (n, end) = pem_body(body);
        assert_eq!(n, 128);
        assert_eq!(&body[..end], &body[..body.len() - "\ntrailer".len()]);
        let escaped = "\\nMIIEoww7pmk9Vx5xJGHhaTTMF2qDioeFmYt6foRhZq87LTsPVvb5ZiiWdp/RdOek\\neO4WZPJMGbDQdQ94mejD0RVL1SD5odOTxdGnUkQfjN0rKkfbbGYUoIYMZhYY9Xaa\\n-----END RSA PRIVATE KEY-----\\n";
        assert_eq!(pem_body(escaped).0, 128);
        let crlf = "\r\nQUJD\r\nREVG\r\n";
        assert_eq!(pem_body(crlf).0, 8);
        let pgp = "\nVersion: Example 1.0\n\nlQOYBFz2\n=Vmcm\n-----END PGP PRIVATE KEY BLOCK-----";
        assert_eq!(pem_body(pgp).0, 13);
        assert_eq!(pem_body("\n...\n-----END RSA PRIVATE KEY-----").0, 0);
        assert_eq!(pem_body("\" and nothing else.").0, 0);
        assert_eq!(pem_body(""), (0, 0));
        // No END: the block ends with its last base64 line.
        let (n, end) = pem_body("\nQUJD\nnot base64 here\n");
        assert_eq!((n, end), (4, 5));
    }
}
