//! Which leaves are scanned, which are metadata, and what consent means.
//!
//! Readers consult [`FieldRules`] for every leaf they meet. Consent and
//! provenance are recognised at the top level only, by case-insensitive name,
//! because nested keys called `source` (a citation inside a message, say) say
//! nothing about where the row came from.

/// Default top-level names of consent fields.
pub const DEFAULT_CONSENT: &[&str] = &["consent", "consented", "consent_given", "opt_in"];
/// Default top-level names of provenance fields.
pub const DEFAULT_PROVENANCE: &[&str] = &["source", "origin", "provenance", "data_source"];

/// The role a top-level field plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Consent,
    Provenance,
    Other,
}

/// Field selection and metadata naming for one scan.
#[derive(Debug, Clone)]
pub struct FieldRules {
    consent: Vec<String>,
    provenance: Vec<String>,
    /// When non-empty, only these paths are scanned (exact match).
    text_fields: Vec<String>,
}

impl Default for FieldRules {
    fn default() -> Self {
        FieldRules::new(
            DEFAULT_CONSENT.iter().map(|s| s.to_string()).collect(),
            DEFAULT_PROVENANCE.iter().map(|s| s.to_string()).collect(),
            Vec::new(),
        )
    }
}

impl FieldRules {
    pub fn new(consent: Vec<String>, provenance: Vec<String>, text_fields: Vec<String>) -> Self {
        FieldRules {
            consent: consent.into_iter().map(|s| s.to_lowercase()).collect(),
            provenance: provenance.into_iter().map(|s| s.to_lowercase()).collect(),
            text_fields,
        }
    }

    /// The role of a top-level field name.
    pub fn role(&self, top_level_name: &str) -> Role {
        let eq = |names: &[String]| names.iter().any(|n| n.eq_ignore_ascii_case(top_level_name));
        if eq(&self.consent) {
            Role::Consent
        } else if eq(&self.provenance) {
            Role::Provenance
        } else {
            Role::Other
        }
    }

    /// Whether a leaf at `path` is scanned at all.
    pub fn scans(&self, path: &str) -> bool {
        self.text_fields.is_empty() || self.text_fields.iter().any(|p| p == path)
    }

    pub fn consent_names(&self) -> &[String] {
        &self.consent
    }

    pub fn provenance_names(&self) -> &[String] {
        &self.provenance
    }

    pub fn text_fields(&self) -> &[String] {
        &self.text_fields
    }
}

/// A metadata value as readers see it, without building a DOM.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetaValue<'a> {
    Null,
    Bool(bool),
    Number(f64),
    Str(&'a str),
    /// An object or array with this many members.
    Composite(usize),
}

/// Whether a consent value grants consent (DESIGN.md, "Consent value").
pub fn is_consented(v: MetaValue<'_>) -> bool {
    match v {
        MetaValue::Null => false,
        MetaValue::Bool(b) => b,
        MetaValue::Number(n) => n == 1.0,
        MetaValue::Composite(n) => n > 0,
        MetaValue::Str(s) => {
            let t = s.trim();
            const YES: &[&str] = &["true", "yes", "y", "1", "granted", "opt-in", "opt_in"];
            const NO: &[&str] = &["false", "no", "n", "0", "none", "null", "revoked", "denied"];
            if YES.iter().any(|w| t.eq_ignore_ascii_case(w)) {
                return true;
            }
            if NO.iter().any(|w| t.eq_ignore_ascii_case(w)) {
                return false;
            }
            // A consent record id: 6+ characters that are no refusal word.
            t.chars().count() >= 6
        }
    }
}

/// Whether a provenance value names a source.
pub fn has_provenance(v: MetaValue<'_>) -> bool {
    match v {
        MetaValue::Null => false,
        MetaValue::Bool(_) | MetaValue::Number(_) => true,
        MetaValue::Str(s) => !s.trim().is_empty(),
        MetaValue::Composite(n) => n > 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_truthiness() {
        for yes in [
            "true",
            "YES",
            "y",
            "1",
            "granted",
            "opt-in",
            "opt_in",
            "rec-000123",
        ] {
            assert!(is_consented(MetaValue::Str(yes)), "{yes}");
        }
        for no in [
            "false", "no", "N", "0", "none", "null", "revoked", "denied", "", "abc",
        ] {
            assert!(!is_consented(MetaValue::Str(no)), "{no}");
        }
        assert!(is_consented(MetaValue::Bool(true)));
        assert!(!is_consented(MetaValue::Bool(false)));
        assert!(is_consented(MetaValue::Number(1.0)));
        assert!(!is_consented(MetaValue::Number(0.0)));
        assert!(!is_consented(MetaValue::Null));
        assert!(is_consented(MetaValue::Composite(2)));
        assert!(!is_consented(MetaValue::Composite(0)));
    }

    #[test]
    fn provenance_presence() {
        assert!(has_provenance(MetaValue::Str("common-crawl")));
        assert!(!has_provenance(MetaValue::Str("  ")));
        assert!(!has_provenance(MetaValue::Null));
        assert!(!has_provenance(MetaValue::Composite(0)));
    }

    #[test]
    fn roles_are_case_insensitive_and_configurable() {
        let r = FieldRules::default();
        assert_eq!(r.role("Consent"), Role::Consent);
        assert_eq!(r.role("DATA_SOURCE"), Role::Provenance);
        assert_eq!(r.role("text"), Role::Other);
        let r = FieldRules::new(
            vec!["gdpr_ok".into()],
            vec!["url".into()],
            vec!["text".into()],
        );
        assert_eq!(r.role("GDPR_OK"), Role::Consent);
        assert_eq!(r.role("consent"), Role::Other);
        assert!(r.scans("text"));
        assert!(!r.scans("meta.text"));
    }
}
