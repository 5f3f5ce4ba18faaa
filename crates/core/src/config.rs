//! `scour.toml`: thresholds, gates and field names shared by a team.
//!
//! Unknown keys are errors, not ignored: a misspelt threshold that silently
//! falls back to its default would pass a gate it should fail.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::detect::custom::{self, AllowConfig, DetectorsConfig, KeyStep, RuleConfig};
use crate::report::gates::GateConfig;

/// The name looked for in the working directory.
pub const DEFAULT_NAME: &str = "scour.toml";

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub gates: GateConfig,
    pub fields: FieldsConfig,
    pub scan: ScanConfig,
    pub detectors: DetectorsConfig,
    /// User detectors, same schema as the built-ins.
    pub rules: Vec<RuleConfig>,
    pub allowlist: AllowConfig,
    pub audit: AuditConfig,
}

/// `[audit]`: where commands record what they did (see `scour audit`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// The audit log (`--audit-log` and `SCOUR_AUDIT_LOG` override it).
    pub log: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FieldsConfig {
    /// Top-level consent field names (replace the defaults when given).
    pub consent: Option<Vec<String>>,
    /// Top-level provenance field names (replace the defaults when given).
    pub provenance: Option<Vec<String>>,
    /// Restrict scanning to these field paths.
    pub text: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ScanConfig {
    pub threads: Option<usize>,
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
}

/// Parse a config from text; `path` names it in errors.
///
/// Values that only the detector set can judge (a rule's regex, a
/// detector id) are checked here too, so that every bad value is reported
/// with the file, line and key, as the TOML parser reports a bad type.
pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
    let line_of = |at: usize| text[..at.min(text.len())].matches('\n').count() + 1;
    let config: Config = toml::from_str(text).map_err(|e| {
        let message = match e.span() {
            Some(span) => format!("line {}: {}", line_of(span.start), e.message()),
            None => e.message().to_string(),
        };
        ConfigError::Parse {
            path: path.to_string(),
            message,
        }
    })?;
    custom::check(&config.detectors.disable, &config.rules, &config.allowlist).map_err(|e| {
        ConfigError::Parse {
            path: path.to_string(),
            message: match span_of(text, &e.place()) {
                Some(span) => format!("line {}: {e}", line_of(span.start)),
                None => e.to_string(),
            },
        }
    })?;
    Ok(config)
}

/// The byte span of the value at `place` in `text` (a TOML document that
/// parsed), read again only to tell where a bad value is.
fn span_of(text: &str, place: &[KeyStep]) -> Option<std::ops::Range<usize>> {
    use toml_edit::{Item, Table, Value};
    enum At<'a> {
        Item(&'a Item),
        Value(&'a Value),
        Table(&'a Table),
    }
    let doc = toml_edit::ImDocument::parse(text).ok()?;
    let mut at = At::Table(doc.as_table());
    for step in place {
        at = match (at, step) {
            (At::Table(t), KeyStep::Key(k)) => At::Item(t.get(k)?),
            (At::Item(Item::Table(t)), KeyStep::Key(k)) => At::Item(t.get(k)?),
            (At::Item(Item::Value(Value::InlineTable(t))), KeyStep::Key(k))
            | (At::Value(Value::InlineTable(t)), KeyStep::Key(k)) => At::Value(t.get(k)?),
            (At::Item(Item::ArrayOfTables(a)), KeyStep::Index(i)) => At::Table(a.get(*i)?),
            (At::Item(Item::Value(Value::Array(a))), KeyStep::Index(i))
            | (At::Value(Value::Array(a)), KeyStep::Index(i)) => At::Value(a.get(*i)?),
            _ => return None,
        };
    }
    match at {
        At::Item(i) => i.span(),
        At::Value(v) => v.span(),
        At::Table(t) => t.span(),
    }
}

/// Load the given config, or `scour.toml` from the working directory if it
/// exists. Returns where it came from.
pub fn load(explicit: Option<&Path>) -> Result<(Option<PathBuf>, Config), ConfigError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let p = PathBuf::from(DEFAULT_NAME);
            if !p.is_file() {
                return Ok((None, Config::default()));
            }
            p
        }
    };
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    Ok((Some(path), parse(&text, &shown)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::BiasSignal;

    #[test]
    fn parses_a_full_config() {
        let c = parse(
            "[gates]\nmax_pii_density = 2.5\nmin_consent_pct = 50\nmax_bias = \"medium\"\nsecrets = false\n\n[fields]\nconsent = [\"ok\"]\ntext = [\"text\"]\n\n[scan]\nthreads = 3\n",
            "scour.toml",
        )
        .unwrap();
        assert_eq!(c.gates.max_pii_density, 2.5);
        assert_eq!(c.gates.min_consent_pct, 50.0);
        assert_eq!(c.gates.max_bias, BiasSignal::Medium);
        assert!(!c.gates.secrets && c.gates.consent);
        assert_eq!(c.fields.consent, Some(vec!["ok".to_string()]));
        assert_eq!(c.fields.provenance, None);
        assert_eq!(c.scan.threads, Some(3));
    }

    #[test]
    fn parses_rules_and_allowlists() {
        let c = parse(
            "[detectors]\ndisable = [\"PHONE\"]\n\n[[rules]]\nid = \"ACME_ID\"\nregex = 'ACME-[0-9]{6}'\nanchors = [\"ACME-\"]\nmin_entropy = 2.0\ncategory = \"secret\"\n\n[allowlist]\nvalues = [\"x\"]\n[allowlist.detectors.EMAIL]\npatterns = ['@example\\.com$']\n",
            "scour.toml",
        )
        .unwrap();
        assert_eq!(c.detectors.disable, vec!["PHONE".to_string()]);
        assert_eq!(c.rules[0].id, "ACME_ID");
        assert_eq!(c.rules[0].min_entropy, Some(2.0));
        assert_eq!(
            c.allowlist.detectors["EMAIL"].patterns,
            vec!["@example\\.com$".to_string()]
        );
        let e = parse("[[rules]]\nid = \"X\"\nregexp = \"a\"\n", "s.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3") && e.contains("regexp"), "{e}");
    }

    #[test]
    fn unknown_keys_name_the_key_and_line() {
        let e = parse("[gates]\nmax_pii_densty = 2.5\n", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.toml: line 2"), "{e}");
        assert!(e.contains("max_pii_densty"), "{e}");
        let e = parse("[gates]\nmax_bias = \"extreme\"\n", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
        let e = parse("[gates\n", "x.toml").unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
    }

    /// Values only the detector set can judge are placed like the rest:
    /// file, line, key, and for a regex regex-syntax's message and column.
    #[test]
    fn detector_values_name_file_line_and_key() {
        let text = concat!(
            "[gates]\nmax_bias = \"low\"\n\n",
            "[[rules]]\nid = \"GOOD\"\nregex = 'G-[0-9]+'\n\n",
            "[[rules]]\nid = \"BROKEN\"\n# a comment\nregex = 'ACME-[0-9'\n",
        );
        let e = parse(text, "team/scour.toml").unwrap_err().to_string();
        assert!(
            e.starts_with("team/scour.toml: line 11: rules.BROKEN.regex: "),
            "{e}"
        );
        assert!(e.contains("unclosed character class at column 6"), "{e}");
        // regex-syntax's own rendering, with its caret under the class.
        assert!(e.contains("    ACME-[0-9\n         ^"), "{e}");
        let cases = [
            (
                "[[rules]]\nid = \"A\"\nregex = 'x*'\n",
                "line 3: rules.A.regex matches the empty",
            ),
            (
                "[[rules]]\nid = \"a b\"\nregex = 'x'\n",
                "line 2: rules[0].id",
            ),
            (
                "\n[[rules]]\nid = \"EMAIL\"\nregex = 'x'\n",
                "line 3: rules.EMAIL.id: defined twice",
            ),
            (
                "[detectors]\ndisable = [\"EMAIL\",\n  \"NOPE\"]\n",
                "line 3: detectors.disable: unknown detector id \"NOPE\"",
            ),
            (
                "[allowlist]\npatterns = ['ok', '(']\n",
                "line 2: allowlist.patterns: invalid regex \"(\"",
            ),
            (
                "[allowlist.detectors.EMAIL]\n\npatterns = ['[z-a]']\n",
                "line 3: allowlist.detectors.EMAIL.patterns: invalid regex",
            ),
            (
                "[detectors]\ndisable = [\"EMAIL\"]\n[allowlist.detectors.EMAIL]\nvalues = []\n",
                "allowlist.detectors.EMAIL: unknown detector id",
            ),
        ];
        for (text, want) in cases {
            let e = parse(text, "s.toml").unwrap_err().to_string();
            assert!(e.contains(want), "{want:?} not in {e:?}");
        }
    }
}
