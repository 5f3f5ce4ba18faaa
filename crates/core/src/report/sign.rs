//! HMAC-SHA256 report signatures that standard-library Python can check.
//!
//! The signature covers the report as `json.dumps(report, sort_keys=True)`
//! (see [`pyjson`](super::pyjson)) with the top-level `hmac_signature` key
//! removed, and is stored in that key as `hmac-sha256:<64 lower-case hex>`.
//! A verifier needs only:
//!
//! ```python
//! import hashlib, hmac, json
//! report = json.load(open(path))
//! sig = report.pop("hmac_signature")
//! body = json.dumps(report, sort_keys=True)
//! good = "hmac-sha256:" + hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
//! assert hmac.compare_digest(sig, good)
//! ```
//!
//! The key comes from the `SCOUR_SIGNING_KEY` environment variable, used as
//! raw bytes (UTF-8 as typed). There is deliberately no default key: without
//! one, reports are written unsigned.

use super::pyjson;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::ffi::OsString;

type HmacSha256 = Hmac<Sha256>;

/// Prefix of every signature string.
pub const PREFIX: &str = "hmac-sha256:";
/// Top-level report key holding the signature (excluded from the signed text).
pub const SIGNATURE_FIELD: &str = "hmac_signature";
/// Environment variable holding the signing key.
pub const KEY_ENV: &str = "SCOUR_SIGNING_KEY";

/// Why a report failed verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("report is not a JSON object")]
    NotAnObject,
    #[error("report has no {SIGNATURE_FIELD} (missing or empty)")]
    Unsigned,
    #[error("{SIGNATURE_FIELD} is malformed (expected \"{PREFIX}\" followed by 64 hex digits)")]
    Malformed,
    #[error("{SIGNATURE_FIELD} does not match the report contents (wrong key or tampered report)")]
    Mismatch,
}

/// The exact text that is signed: `json.dumps(report, sort_keys=True)` with
/// the top-level `hmac_signature` key (if any) removed. Non-object values are
/// signed as they are.
pub fn signed_text(report: &Value) -> String {
    match report {
        Value::Object(map) if map.contains_key(SIGNATURE_FIELD) => {
            let mut without = map.clone();
            without.remove(SIGNATURE_FIELD);
            pyjson::to_string(&Value::Object(without))
        }
        other => pyjson::to_string(other),
    }
}

fn mac_over(report: &Value, key: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(signed_text(report).as_bytes());
    mac
}

/// `hmac-sha256:` + lower-case hex HMAC-SHA256 of [`signed_text`].
pub fn sign(report: &Value, key: &[u8]) -> String {
    let tag = mac_over(report, key).finalize().into_bytes();
    format!("{PREFIX}{}", hex::encode(tag))
}

/// Sign `report` and store the signature in its `hmac_signature` key,
/// replacing any previous one.
pub fn attach_signature(report: &mut Value, key: &[u8]) -> Result<(), VerifyError> {
    let signature = sign(report, key);
    match report {
        Value::Object(map) => {
            map.insert(SIGNATURE_FIELD.to_owned(), Value::String(signature));
            Ok(())
        }
        _ => Err(VerifyError::NotAnObject),
    }
}

/// Check the report's `hmac_signature` against `key`, in constant time.
pub fn verify(report: &Value, key: &[u8]) -> Result<(), VerifyError> {
    let map = report.as_object().ok_or(VerifyError::NotAnObject)?;
    let signature = match map.get(SIGNATURE_FIELD) {
        None | Some(Value::Null) => return Err(VerifyError::Unsigned),
        Some(Value::String(s)) if s.is_empty() => return Err(VerifyError::Unsigned),
        Some(Value::String(s)) => s,
        Some(_) => return Err(VerifyError::Malformed),
    };
    let hex_part = signature
        .strip_prefix(PREFIX)
        .ok_or(VerifyError::Malformed)?;
    let mut tag = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut tag).map_err(|_| VerifyError::Malformed)?;
    mac_over(report, key)
        .verify_slice(&tag)
        .map_err(|_| VerifyError::Mismatch)
}

/// Lower-case hex HMAC-SHA256 of `text` under `key`: the recipe of report
/// signatures, shared by every other signed record (audit log lines, their
/// manifest, checkpoints) so that one Python snippet checks them all.
pub fn mac_hex(key: &[u8], text: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(text.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `tag` (64 hex digits) is [`mac_hex`] of `text`, compared in
/// constant time.
pub fn mac_matches(key: &[u8], text: &str, tag: &str) -> bool {
    let mut raw = [0u8; 32];
    if hex::decode_to_slice(tag, &mut raw).is_err() {
        return false;
    }
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(text.as_bytes());
    mac.verify_slice(&raw).is_ok()
}

/// The signing key from `SCOUR_SIGNING_KEY`, or `None` if unset or empty.
pub fn key_from_env() -> Option<Vec<u8>> {
    key_from_var(std::env::var_os(KEY_ENV))
}

/// The key bytes of an environment value: its raw bytes (UTF-8 for any key
/// typed as text), `None` when absent or empty.
fn key_from_var(value: Option<OsString>) -> Option<Vec<u8>> {
    let bytes = value?.into_encoded_bytes();
    (!bytes.is_empty()).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &[u8] = b"secret key";

    fn report() -> Value {
        json!({"b": 1, "a": "é", "f": [0.5, 1e-7]})
    }

    #[test]
    fn known_vector_from_python() {
        // python3: hmac.new(b"secret key", json.dumps(r, sort_keys=True).encode(),
        //                   hashlib.sha256).hexdigest()
        let expected =
            "hmac-sha256:24513bfa99c730c8202ac375cb86ca1d7bf4723667da1a6f212efdfed2d33c3f";
        assert_eq!(
            signed_text(&report()),
            r#"{"a": "\u00e9", "b": 1, "f": [0.5, 1e-07]}"#
        );
        assert_eq!(sign(&report(), KEY), expected);
        // The existing signature field is not part of the signed text.
        let mut with_sig = report();
        with_sig[SIGNATURE_FIELD] = json!("hmac-sha256:00");
        assert_eq!(sign(&with_sig, KEY), expected);
        // Empty key, empty object.
        assert_eq!(
            sign(&json!({}), b""),
            "hmac-sha256:22f8eea909400af98adf3681a9f31923ef6b7fcba4abb553d92823a3e9d5c25e"
        );
    }

    #[test]
    fn only_top_level_signature_is_excluded() {
        let nested = json!({"x": {"hmac_signature": "keep me"}});
        assert_eq!(
            signed_text(&nested),
            r#"{"x": {"hmac_signature": "keep me"}}"#
        );
    }

    #[test]
    fn attach_then_verify() {
        let mut r = report();
        attach_signature(&mut r, KEY).unwrap();
        assert_eq!(verify(&r, KEY), Ok(()));
        // Re-signing replaces the old signature and still verifies.
        attach_signature(&mut r, KEY).unwrap();
        assert_eq!(verify(&r, KEY), Ok(()));
        assert_eq!(
            attach_signature(&mut json!([1]), KEY),
            Err(VerifyError::NotAnObject)
        );
    }

    #[test]
    fn verify_errors() {
        let mut r = report();
        attach_signature(&mut r, KEY).unwrap();

        assert_eq!(verify(&r, b"other key"), Err(VerifyError::Mismatch));

        let mut tampered = r.clone();
        tampered["b"] = json!(2);
        assert_eq!(verify(&tampered, KEY), Err(VerifyError::Mismatch));

        // 1 (int) and 1.0 (float) serialise differently, so they sign differently.
        let mut retyped = r.clone();
        retyped["b"] = json!(1.0);
        assert_eq!(verify(&retyped, KEY), Err(VerifyError::Mismatch));

        assert_eq!(verify(&json!("x"), KEY), Err(VerifyError::NotAnObject));
        assert_eq!(verify(&report(), KEY), Err(VerifyError::Unsigned));

        let with = |sig: Value| {
            let mut r = report();
            r[SIGNATURE_FIELD] = sig;
            verify(&r, KEY)
        };
        assert_eq!(with(json!("")), Err(VerifyError::Unsigned));
        assert_eq!(with(Value::Null), Err(VerifyError::Unsigned));
        assert_eq!(with(json!(42)), Err(VerifyError::Malformed));
        let good = sign(&report(), KEY);
        let hex_part = good.strip_prefix(PREFIX).unwrap();
        assert_eq!(with(json!(hex_part)), Err(VerifyError::Malformed));
        assert_eq!(
            with(json!(format!("hmac-sha1:{hex_part}"))),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            with(json!(&good[..good.len() - 2])),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            with(json!(format!("{good}00"))),
            Err(VerifyError::Malformed)
        );
        let not_hex = format!("{PREFIX}{}", "zz".repeat(32));
        assert_eq!(with(json!(not_hex)), Err(VerifyError::Malformed));
        let flipped = format!("{PREFIX}{}", "00".repeat(32));
        assert_eq!(with(json!(flipped)), Err(VerifyError::Mismatch));
        assert_eq!(with(json!(good)), Ok(()));
    }

    #[test]
    fn key_from_environment_value() {
        assert_eq!(key_from_var(None), None);
        assert_eq!(key_from_var(Some(OsString::new())), None);
        assert_eq!(
            key_from_var(Some(OsString::from("clé"))),
            Some("clé".as_bytes().to_vec())
        );
    }
}
