//! The pseudonym key and the one reference function built on it.
//!
//! A value's reference is the first 16 hex digits of HMAC-SHA256(key,
//! detector id ‖ 0x00 ‖ normalised value). It is the value's pseudonym in
//! masked output and, later, a subject's reference in hits, receipts and the
//! audit log and a finding's fingerprint: one function, so that a person
//! found anywhere can be looked up everywhere, without a raw identifier or
//! an unkeyed hash (a card's or phone's space is small enough to reverse)
//! ever being written.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::detect::Detector;

/// The environment variable holding the pseudonym key (its UTF-8 bytes).
pub const PSEUDONYM_KEY_ENV: &str = "SCOUR_PSEUDONYM_KEY";

/// Keys pseudonyms, surrogates, subject references and fingerprints.
/// Never printed or written: [`PseudonymKey::id`] names it instead.
#[derive(Clone)]
pub struct PseudonymKey(Vec<u8>);

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PseudonymKey({})", self.id())
    }
}

/// Why no key could be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: cannot read the key file: {source}")]
    Read {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path}: cannot create the key file: {source}")]
    Create {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path}: the key file is empty")]
    Empty { path: String },
}

impl PseudonymKey {
    /// A key from its bytes; `None` when empty.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Option<PseudonymKey> {
        let b = bytes.into();
        (!b.is_empty()).then_some(PseudonymKey(b))
    }

    /// `SCOUR_PSEUDONYM_KEY`, or `None` if unset or empty.
    pub fn from_env() -> Option<PseudonymKey> {
        Self::from_bytes(std::env::var_os(PSEUDONYM_KEY_ENV)?.into_encoded_bytes())
    }

    /// The key in `path` (its bytes without a trailing newline). A missing
    /// file is created with 32 random bytes as 64 hex digits, mode 0600;
    /// the flag says it was.
    pub fn from_file_or_create(path: &Path) -> Result<(PseudonymKey, bool), KeyError> {
        let shown = path.display().to_string();
        match fs::read(path) {
            Ok(mut bytes) => {
                if bytes.last() == Some(&b'\n') {
                    bytes.pop();
                    if bytes.last() == Some(&b'\r') {
                        bytes.pop();
                    }
                }
                let key = Self::from_bytes(bytes).ok_or(KeyError::Empty { path: shown })?;
                Ok((key, false))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let create = |e| KeyError::Create {
                    path: shown.clone(),
                    source: e,
                };
                let mut raw = [0u8; 32];
                getrandom::fill(&mut raw).map_err(|e| create(io::Error::other(e.to_string())))?;
                let text = hex::encode(raw);
                let mut opts = fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts.open(path).map_err(create)?;
                f.write_all(text.as_bytes())
                    .and_then(|()| f.write_all(b"\n"))
                    .and_then(|()| f.sync_all())
                    .map_err(create)?;
                Ok((PseudonymKey(text.into_bytes()), true))
            }
            Err(e) => Err(KeyError::Read {
                path: shown,
                source: e,
            }),
        }
    }

    /// Names the key without revealing it: the first 16 hex digits of its
    /// SHA-256.
    pub fn id(&self) -> String {
        let mut s = hex::encode(Sha256::digest(&self.0));
        s.truncate(16);
        s
    }

    /// Keyed bytes for anything derived from a value (surrogates draw from
    /// these): HMAC-SHA256(key, `domain` ‖ 0x00 ‖ `data`).
    pub fn mac(&self, domain: &[u8], data: &[u8]) -> [u8; 32] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(domain);
        mac.update(&[0]);
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// The reference of `value` as found by `detector`: the first 16 hex
    /// digits of HMAC-SHA256(key, detector id ‖ 0x00 ‖ normalised value).
    pub fn reference(&self, detector: &Detector, value: &str) -> String {
        self.reference_of(detector.id, &(detector.normaliser)(value))
    }

    /// [`PseudonymKey::reference`] of an already normalised value.
    pub fn reference_of(&self, detector_id: &str, normalised: &str) -> String {
        let tag = self.mac(detector_id.as_bytes(), normalised.as_bytes());
        hex::encode(&tag[..8])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_is_hmac_of_id_nul_value() {
        let k = PseudonymKey::from_bytes(b"k".to_vec()).unwrap();
        // python3: hmac.new(b"k", b"EMAIL\0a@b.io", "sha256").hexdigest()[:16]
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"k").unwrap();
        mac.update(b"EMAIL\0a@b.io");
        let want = hex::encode(mac.finalize().into_bytes());
        assert_eq!(k.reference_of("EMAIL", "a@b.io"), want[..16]);
        let other = PseudonymKey::from_bytes(b"k2".to_vec()).unwrap();
        assert_ne!(other.reference_of("EMAIL", "a@b.io"), want[..16]);
        assert_eq!(k.id().len(), 16);
        assert!(format!("{k:?}").contains(&k.id()));
    }

    #[test]
    fn key_file_is_created_once_and_read_without_its_newline() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("key");
        let (k1, created) = PseudonymKey::from_file_or_create(&p).unwrap();
        assert!(created);
        let text = fs::read_to_string(&p).unwrap();
        assert_eq!(text.len(), 65);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (k2, created) = PseudonymKey::from_file_or_create(&p).unwrap();
        assert!(!created);
        assert_eq!(k1.id(), k2.id());
        assert_eq!(k2.0, text.trim_end().as_bytes());
        fs::write(&p, "\n").unwrap();
        assert!(PseudonymKey::from_file_or_create(&p).is_err());
    }
}
