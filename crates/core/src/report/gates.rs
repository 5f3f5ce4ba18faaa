//! Article 10 clauses and the CI gate built on them.
//!
//! Every clause is always evaluated and reported; the gate configuration only
//! decides which failures make the scan fail (exit 1).

use serde::{Deserialize, Serialize};

use crate::stats::BiasSignal;

/// Thresholds and which gates apply. Defaults follow the issue that defines
/// the report: PII density < 1.0, consent and provenance ≥ 80 %, bias low,
/// and any secret fails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GateConfig {
    /// PII findings per 1,000 estimated tokens must be below this.
    pub max_pii_density: f64,
    pub min_consent_pct: f64,
    pub min_provenance_pct: f64,
    /// Highest bias signal that still passes.
    pub max_bias: BiasSignal,
    /// Which gates fail the scan.
    pub pii_density: bool,
    pub consent: bool,
    pub provenance: bool,
    pub bias: bool,
    pub secrets: bool,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            max_pii_density: 1.0,
            min_consent_pct: 80.0,
            min_provenance_pct: 80.0,
            max_bias: BiasSignal::Low,
            pii_density: true,
            consent: true,
            provenance: true,
            bias: true,
            secrets: true,
        }
    }
}

/// Gate names as used by `--skip-gate` and `[gates]`.
pub const GATE_NAMES: &[&str] = &["pii-density", "consent", "provenance", "bias", "secrets"];

impl GateConfig {
    /// Turn a gate off by name; false for an unknown name.
    pub fn disable(&mut self, name: &str) -> bool {
        let slot = match name {
            "pii-density" | "pii_density" => &mut self.pii_density,
            "consent" => &mut self.consent,
            "provenance" => &mut self.provenance,
            "bias" => &mut self.bias,
            "secrets" => &mut self.secrets,
            _ => return false,
        };
        *slot = false;
        true
    }
}

/// One Article 10 clause as reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clause {
    pub clause_id: &'static str,
    pub title: &'static str,
    pub passed: bool,
    pub detail: String,
}

/// One failed gate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateFailure {
    pub gate: &'static str,
    pub reason: String,
}

/// The measured values the clauses judge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measures {
    pub pii_density: f64,
    pub consent_pct: f64,
    pub provenance_pct: f64,
    pub bias: BiasSignal,
    pub secrets: u64,
    pub rows: u64,
}

fn bias_rank(b: BiasSignal) -> u8 {
    match b {
        BiasSignal::Low => 0,
        BiasSignal::Medium => 1,
        BiasSignal::High => 2,
    }
}

/// Evaluate the clauses and the gate.
pub fn evaluate(m: &Measures, cfg: &GateConfig) -> (Vec<Clause>, Vec<GateFailure>) {
    let pii_ok = m.pii_density < cfg.max_pii_density;
    let consent_ok = m.consent_pct >= cfg.min_consent_pct;
    let prov_ok = m.provenance_pct >= cfg.min_provenance_pct;
    let bias_ok = bias_rank(m.bias) <= bias_rank(cfg.max_bias);
    let clauses = vec![
        Clause {
            clause_id: "Art.10(2)(a)",
            title: "Personal data minimisation: PII density",
            passed: pii_ok,
            detail: format!(
                "{:.4} PII findings per 1,000 estimated tokens (threshold < {})",
                m.pii_density, cfg.max_pii_density
            ),
        },
        Clause {
            clause_id: "Art.10(2)(b)",
            title: "Lawful basis: consent coverage",
            passed: consent_ok,
            detail: format!(
                "{:.2} % of {} rows carry a consent grant (threshold >= {} %)",
                m.consent_pct, m.rows, cfg.min_consent_pct
            ),
        },
        Clause {
            clause_id: "Art.10(2)(c)",
            title: "Data origin: provenance coverage",
            passed: prov_ok,
            detail: format!(
                "{:.2} % of {} rows name their source (threshold >= {} %)",
                m.provenance_pct, m.rows, cfg.min_provenance_pct
            ),
        },
        Clause {
            clause_id: "Art.10(2)(d)",
            title: "Examination for possible biases: vocabulary skew",
            passed: bias_ok,
            detail: format!(
                "bias signal {} (highest passing: {})",
                bias_name(m.bias),
                bias_name(cfg.max_bias)
            ),
        },
    ];
    let mut failed = Vec::new();
    let checks = [
        (
            cfg.pii_density && !pii_ok,
            "pii-density",
            &clauses[0].detail,
        ),
        (cfg.consent && !consent_ok, "consent", &clauses[1].detail),
        (cfg.provenance && !prov_ok, "provenance", &clauses[2].detail),
        (cfg.bias && !bias_ok, "bias", &clauses[3].detail),
    ];
    for (fails, gate, detail) in checks {
        if fails {
            failed.push(GateFailure {
                gate,
                reason: detail.clone(),
            });
        }
    }
    if cfg.secrets && m.secrets > 0 {
        failed.push(GateFailure {
            gate: "secrets",
            reason: format!("{} secret(s) found; any secret fails this gate", m.secrets),
        });
    }
    (clauses, failed)
}

pub fn bias_name(b: BiasSignal) -> &'static str {
    match b {
        BiasSignal::Low => "low",
        BiasSignal::Medium => "medium",
        BiasSignal::High => "high",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> Measures {
        Measures {
            pii_density: 0.5,
            consent_pct: 90.0,
            provenance_pct: 100.0,
            bias: BiasSignal::Low,
            secrets: 0,
            rows: 10,
        }
    }

    #[test]
    fn all_pass() {
        let (c, f) = evaluate(&m(), &GateConfig::default());
        assert!(c.iter().all(|c| c.passed));
        assert!(f.is_empty());
    }

    #[test]
    fn each_gate_fails_and_can_be_disabled() {
        type Spoil = fn(&mut Measures);
        let cases: [(&str, Spoil); 5] = [
            ("pii-density", |m| m.pii_density = 1.0),
            ("consent", |m| m.consent_pct = 79.99),
            ("provenance", |m| m.provenance_pct = 0.0),
            ("bias", |m| m.bias = BiasSignal::Medium),
            ("secrets", |m| m.secrets = 1),
        ];
        for (gate, spoil) in cases {
            let mut mm = m();
            spoil(&mut mm);
            let (_, f) = evaluate(&mm, &GateConfig::default());
            assert_eq!(f.len(), 1, "{gate}");
            assert_eq!(f[0].gate, gate);
            let mut cfg = GateConfig::default();
            assert!(cfg.disable(gate));
            let (_, f) = evaluate(&mm, &cfg);
            assert!(f.is_empty(), "{gate}");
        }
        assert!(!GateConfig::default().disable("nope"));
    }

    #[test]
    fn thresholds_are_configurable() {
        let cfg = GateConfig {
            max_bias: BiasSignal::Medium,
            min_consent_pct: 95.0,
            ..GateConfig::default()
        };
        let mut mm = m();
        mm.bias = BiasSignal::Medium;
        let (c, f) = evaluate(&mm, &cfg);
        assert!(c[3].passed);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].gate, "consent");
    }
}
