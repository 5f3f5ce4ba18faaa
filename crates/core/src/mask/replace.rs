//! What a masked span becomes, per mode.

use std::ops::Range;

use crate::detect::{Category, Detector};
use crate::keys::PseudonymKey;

/// How spans are replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The detector's typed placeholder, `[EMAIL]`.
    Placeholder,
    /// `[EMAIL:<reference>]`: one value, one pseudonym under one key.
    Pseudonym,
    /// A keyed stand-in of the same shape from space that belongs to no
    /// one (see [`super::surrogate`]); the placeholder where no rule fits.
    Surrogate,
    /// The span is removed.
    Redact,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Placeholder => "placeholder",
            Mode::Pseudonym => "pseudonym",
            Mode::Surrogate => "surrogate",
            Mode::Redact => "redact",
        }
    }

    /// Whether the mode needs the pseudonym key.
    pub fn needs_key(self) -> bool {
        matches!(self, Mode::Pseudonym | Mode::Surrogate)
    }
}

/// A mode with what it needs (the key for pseudonyms).
#[derive(Debug, Clone)]
pub struct Replacer {
    pub mode: Mode,
    pub key: Option<PseudonymKey>,
}

impl Replacer {
    /// The replacement of the span `range` of `text` that `detector`
    /// found. Secrets get the placeholder in pseudonym mode: nobody is
    /// looked up by a secret, and a keyed hex string after `token:` reads
    /// as a new secret.
    /// `accept` vets a surrogate where it would stand (see
    /// [`super::surrogate::Accept`]).
    pub fn replacement(
        &self,
        detector: &Detector,
        text: &str,
        range: Range<usize>,
        accept: super::surrogate::Accept<'_>,
    ) -> String {
        let value = text.get(range.clone()).unwrap_or("");
        match (self.mode, &self.key) {
            (Mode::Redact, _) => String::new(),
            (Mode::Surrogate, Some(key)) => {
                super::surrogate::surrogate(key, detector, text, range, accept)
                    .unwrap_or_else(|| detector.placeholder.to_string())
            }
            (Mode::Pseudonym, Some(key)) if detector.category == Category::Pii => {
                format!("[{}:{}]", label(detector), key.reference(detector, value))
            }
            // Without a key there is no pseudonym; the CLI refuses to get
            // here, and the placeholder never leaks the value.
            (Mode::Placeholder | Mode::Pseudonym | Mode::Surrogate, _) => {
                detector.placeholder.to_string()
            }
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
        let (t, span) = ("a@b.io", 0..6);
        let rep =
            |mode, key, text| r(mode, key).replacement(d, text, span.clone(), &mut |_, _| true);
        assert_eq!(rep(Mode::Placeholder, None, t), "[EMAIL]");
        assert_eq!(rep(Mode::Redact, None, t), "");
        let p = rep(Mode::Pseudonym, Some("k"), "A@B.io");
        assert_eq!(p.len(), "[EMAIL:]".len() + 16);
        assert!(p.starts_with("[EMAIL:"), "{p}");
        // The normaliser lower-cases e-mail: one person, one pseudonym.
        assert_eq!(p, rep(Mode::Pseudonym, Some("k"), t));
        assert_ne!(p, rep(Mode::Pseudonym, Some("k2"), t));
        let s = rep(Mode::Surrogate, Some("k"), t);
        assert!(s.ends_with(".invalid"), "{s}");
        // Secrets are never pseudonymised or given a surrogate.
        let aws = crate::detect::builtin()
            .iter()
            .find(|d| d.category == Category::Secret)
            .expect("a secret detector");
        for mode in [Mode::Pseudonym, Mode::Surrogate] {
            assert_eq!(
                r(mode, Some("k")).replacement(aws, "AKIAXXXX", 0..8, &mut |_, _| true),
                aws.placeholder
            );
        }
    }
}
