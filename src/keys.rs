//! The pseudonym key and the one reference it makes per value.
//!
//! The first 16 hex digits of HMAC-SHA256(key, detector id ‖ 0x00 ‖
//! normalised value) is a value's pseudonym in masked output, a subject's
//! reference in hits and receipts, and a finding's fingerprint in the
//! findings file, SARIF and baselines: one function, so that a person found
//! in one output can be looked up in all the others, and no raw identifier
//! is ever written. An unkeyed hash is never written: the space of card
//! numbers or phones is small enough to reverse one.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::detect::Detector;

/// Environment variable holding the pseudonym key (its UTF-8 bytes).
pub const KEY_ENV: &str = "SCOUR_PSEUDONYM_KEY";

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

/// Where a key came from, for the one line a command prints about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Env,
    File,
    /// A key file that did not exist and was created.
    Created,
}

/// The pseudonym key: `key_file`'s bytes (without a trailing newline) when
/// given, else `SCOUR_PSEUDONYM_KEY`. A missing `key_file` is created with
/// 32 random bytes as 64 hex digits, mode 0600, when `create` is set.
/// `Ok(None)` when there is none: callers that need one exit 2.
pub fn pseudonym_key(
    key_file: Option<&Path>,
    create: bool,
) -> Result<Option<(Vec<u8>, KeySource)>, KeyError> {
    if let Some(path) = key_file {
        let shown = || path.display().to_string();
        return match fs::read(path) {
            Ok(mut bytes) => {
                while bytes.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
                    bytes.pop();
                }
                if bytes.is_empty() {
                    return Err(KeyError::Empty { path: shown() });
                }
                Ok(Some((bytes, KeySource::File)))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                let key = create_key_file(path).map_err(|source| KeyError::Create {
                    path: shown(),
                    source,
                })?;
                Ok(Some((key, KeySource::Created)))
            }
            Err(source) => Err(KeyError::Read {
                path: shown(),
                source,
            }),
        };
    }
    let env = std::env::var_os(KEY_ENV).map(|v| v.into_encoded_bytes());
    Ok(env.filter(|k| !k.is_empty()).map(|k| (k, KeySource::Env)))
}

fn create_key_file(path: &Path) -> io::Result<Vec<u8>> {
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| io::Error::other(e.to_string()))?;
    let key = hex::encode(raw).into_bytes();
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(&key)?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    Ok(key)
}

/// A key's public name: the first 16 hex digits of its SHA-256. Says which
/// key was used without revealing it.
pub fn key_id(key: &[u8]) -> String {
    let mut h = hex::encode(Sha256::digest(key));
    h.truncate(16);
    h
}

/// A keyed reference maker, with the HMAC's key schedule done once.
#[derive(Clone)]
pub struct Referencer {
    mac: Hmac<Sha256>,
}

impl Referencer {
    pub fn new(key: &[u8]) -> Referencer {
        Referencer {
            mac: Hmac::new_from_slice(key).expect("HMAC accepts keys of any length"),
        }
    }

    /// The reference of an already normalised value of detector `id`.
    pub fn of_normalised(&self, id: &str, normalised: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(id.as_bytes());
        mac.update(&[0]);
        mac.update(normalised.as_bytes());
        let mut h = hex::encode(mac.finalize().into_bytes());
        h.truncate(16);
        h
    }

    /// The reference of `value` as found by `detector` (normalised by the
    /// detector's own normaliser first, so every spelling of one value has
    /// one reference).
    pub fn of(&self, detector: &Detector, value: &str) -> String {
        self.of_normalised(detector.id, &(detector.normaliser)(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_is_the_documented_hmac() {
        // python3: hmac.new(b"k", b"EMAIL\x00a@b.example", hashlib.sha256).hexdigest()[:16]
        let r = Referencer::new(b"k").of_normalised("EMAIL", "a@b.example");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"k").unwrap();
        mac.update(b"EMAIL\x00a@b.example");
        assert_eq!(r, hex::encode(mac.finalize().into_bytes())[..16]);
        assert_eq!(r.len(), 16);
        assert_ne!(
            r,
            Referencer::new(b"k2").of_normalised("EMAIL", "a@b.example")
        );
        assert_ne!(
            r,
            Referencer::new(b"k").of_normalised("PHONE", "a@b.example")
        );
    }

    #[test]
    fn spellings_of_one_value_share_a_reference() {
        let email = crate::detect::builtin()
            .iter()
            .find(|d| d.id == "EMAIL")
            .unwrap();
        let r = Referencer::new(b"k");
        assert_eq!(
            r.of(email, "Ana@Example.ORG"),
            r.of(email, "ana@example.org")
        );
    }

    #[test]
    fn key_files_are_read_trimmed_and_created_private() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("key");
        assert!(pseudonym_key(Some(&p), false).is_err());
        let (k, src) = pseudonym_key(Some(&p), true).unwrap().unwrap();
        assert_eq!((k.len(), src), (64, KeySource::Created));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let (again, src) = pseudonym_key(Some(&p), true).unwrap().unwrap();
        assert_eq!((again, src), (k, KeySource::File));
        fs::write(&p, "\n").unwrap();
        assert!(matches!(
            pseudonym_key(Some(&p), false),
            Err(KeyError::Empty { .. })
        ));
        assert_eq!(key_id(b"k").len(), 16);
    }
}
