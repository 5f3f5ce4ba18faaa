//! `scour.toml`: thresholds, gates and field names shared by a team.
//!
//! Unknown keys are errors, not ignored: a misspelt threshold that silently
//! falls back to its default would pass a gate it should fail.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::detect::custom::{AllowConfig, DetectorsConfig, RuleConfig};
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
pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let message = match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line}: {}", e.message())
            }
            None => e.message().to_string(),
        };
        ConfigError::Parse {
            path: path.to_string(),
            message,
        }
    })
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
}
