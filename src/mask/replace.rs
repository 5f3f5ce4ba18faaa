//! What a masked span becomes, per mode.

use crate::detect::{Category, Detector};
use crate::keys::PseudonymKey;

/// How spans are replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The detector's typed placeholder, `[EMAIL]`.
    Placeholder,
    /// `[EMAIL:<reference>]`: one value, one pseudonym under one key.
    Pseudonym,
    /// The span is removed.
    Redact,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Placeholder => "placeholder",
            Mode::Pseudonym => "pseudonym",
            Mode::Redact => "redact",
        }
    }

    /// Whether the mode needs the pseudonym key.
    pub fn needs_key(self) -> bool {
        matches!(self, Mode::Pseudonym)
    }
}

/// A mode with what it needs (the key for pseudonyms).
#[derive(Debug, Clone)]
pub struct Replacer {
    pub mode: Mode,
    pub key: Option<PseudonymKey>,
}

impl Replacer {
    /// The replacement of `value`, a span `detector` found. Secrets get
    /// the placeholder in pseudonym mode: nobody is looked up by a secret,
    /// and a keyed hex string after `token:` reads as a new secret.
    pub fn replacement(&self, detector: &Detector, value: &str) -> String {
        match (self.mode, &self.key) {
            (Mode::Redact, _) => String::new(),
            (Mode::Pseudonym, Some(key)) if detector.category == Category::Pii => {
                format!("[{}:{}]", label(detector), key.reference(detector, value))
            }
            // Without a key there is no pseudonym; the CLI refuses to get
            // here, and the placeholder never leaks the value.
            (Mode::Placeholder | Mode::Pseudonym, _) => detector.placeholder.to_string(),
        }
    }
}

/// The placeholder's label (`EMAIL` of `[EMAIL]`), or the detector id.
fn label(d: &Detector) -> &str {
    d.placeholder
        .strip_prefix('[')
        .and_then(|p| p.strip_suffix(']'))
        .filter(|p| !p.is_empty())
        .unwrap_or(d.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> &'static Detector {
        crate::detect::builtin()
            .iter()
            .find(|d| d.id == "EMAIL")
            .expect("EMAIL detector")
    }

    #[test]
    fn modes() {
        let d = email();
        let r = |mode, key: Option<&str>| Replacer {
            mode,
            key: key.and_then(|k| PseudonymKey::from_bytes(k.as_bytes().to_vec())),
        };
        assert_eq!(
            r(Mode::Placeholder, None).replacement(d, "a@b.io"),
            "[EMAIL]"
        );
        assert_eq!(r(Mode::Redact, None).replacement(d, "a@b.io"), "");
        let p = r(Mode::Pseudonym, Some("k")).replacement(d, "A@B.io");
        assert_eq!(p.len(), "[EMAIL:]".len() + 16);
        assert!(p.starts_with("[EMAIL:"), "{p}");
        // The normaliser lower-cases e-mail: one person, one pseudonym.
        assert_eq!(p, r(Mode::Pseudonym, Some("k")).replacement(d, "a@b.io"));
        assert_ne!(p, r(Mode::Pseudonym, Some("k2")).replacement(d, "a@b.io"));
    }
}
