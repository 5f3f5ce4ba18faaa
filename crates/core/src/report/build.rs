//! From the merged aggregate to the report document.
//!
//! The report is built as a `serde_json::Value` because that is what gets
//! signed: the signature covers the Python-compatible serialisation of this
//! exact value, so there is one representation, not a struct and a copy.

use serde_json::{json, Map, Value};

use super::aggregate::Aggregate;
use super::gates::{self, GateConfig, GateFailure, Measures};
use crate::detect::Category;
use crate::stats::bias_signal;

/// Report format version; bumped when a field changes meaning.
pub const SCHEMA: &str = "scour.report/1";

/// Facts about the run that the aggregate does not hold.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub scan_id: String,
    pub scanned_at: String,
    pub dataset_paths: Vec<String>,
    pub skipped_files: Vec<String>,
    pub engine: &'static str,
    pub text_fields: Vec<String>,
    pub consent_fields: Vec<String>,
    pub provenance_fields: Vec<String>,
}

/// Round for presentation; the signed value is whatever is stored here.
fn round(x: f64, places: i32) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    let p = 10f64.powi(places);
    (x * p).round() / p
}

fn pct(n: u64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        round(100.0 * n as f64 / d as f64, 2)
    }
}

/// Build the report (unsigned: `hmac_signature` is "") and the gate verdict.
pub fn build(agg: &Aggregate, run: &RunInfo, cfg: &GateConfig) -> (Value, Vec<GateFailure>) {
    let token_estimate = agg.text_chars / 4;
    let pii_total = agg.total_in(Category::Pii);
    let secrets_total = agg.total_in(Category::Secret);
    let density = |pii: u64| {
        if token_estimate == 0 {
            0.0
        } else {
            round(pii as f64 * 1000.0 / token_estimate as f64, 4)
        }
    };
    let pii_density = density(pii_total);
    // Findings a baseline accepted are reported but judge no gate.
    let suppressed_in = |cat: Category| -> u64 {
        agg.detectors
            .iter()
            .zip(&agg.suppressed_counts)
            .filter(|(d, _)| d.category == cat)
            .map(|(_, n)| n)
            .sum()
    };
    let (suppressed_pii, suppressed_secrets) = (
        suppressed_in(Category::Pii),
        suppressed_in(Category::Secret),
    );
    let zipf = agg.vocab.finish();
    let bias = bias_signal(&zipf);
    let consent_pct = pct(agg.consented, agg.rows);
    let provenance_pct = pct(agg.provenance, agg.rows);
    let measures = Measures {
        pii_density: density(pii_total - suppressed_pii),
        consent_pct,
        provenance_pct,
        bias,
        secrets: secrets_total - suppressed_secrets,
        rows: agg.rows,
    };
    let (clauses, failures) = gates::evaluate(&measures, cfg);
    let id = |d: u16| agg.detectors[d as usize].id;

    let detectors: Map<String, Value> = agg
        .detectors
        .iter()
        .zip(&agg.detector_counts)
        .filter(|(_, &n)| n > 0)
        .map(|(d, &n)| (d.id.to_string(), json!(n)))
        .collect();
    let by_det = |m: &std::collections::BTreeMap<u16, u64>| -> Value {
        Value::Object(
            m.iter()
                .map(|(&d, &n)| (id(d).to_string(), json!(n)))
                .collect(),
        )
    };

    let files: Vec<Value> = agg
        .files
        .iter()
        .zip(&agg.file_totals)
        .map(|(f, t)| {
            json!({
                "path": f.display,
                "format": f.format.as_str(),
                "compression": f.compression.as_str(),
                "split": f.split.as_str(),
                "rows": t.rows,
                "bytes": t.tail.bytes,
                "sha256": t.tail.sha256,
                "mtime": f.mtime.map(crate::util::time::rfc3339_utc),
                "errors": t.errors,
                "findings": t.findings,
                "pii": t.pii,
                "secrets": t.secrets,
                "token_estimate": t.text_chars / 4,
            })
        })
        .collect();

    let splits: Map<String, Value> = agg
        .splits
        .iter()
        .map(|(name, s)| {
            (
                name.to_string(),
                json!({
                    "files": s.files,
                    "rows": s.rows,
                    "findings": s.findings,
                    "pii": s.pii,
                    "secrets": s.secrets,
                    "detectors": by_det(&s.by_detector),
                }),
            )
        })
        .collect();

    let fields: Map<String, Value> = agg
        .fields
        .iter()
        .map(|(p, t)| {
            (
                p.clone(),
                json!({"values": t.values, "findings": t.findings, "detectors": by_det(&t.by_detector)}),
            )
        })
        .collect();

    let file_name = |i: usize| agg.files[i].display.clone();
    let errors: Vec<Value> = agg
        .errors
        .iter()
        .map(|e| json!({"file": file_name(e.file), "line": e.line, "row": e.row, "message": e.message}))
        .collect();
    let findings: Vec<Value> = agg
        .findings
        .iter()
        .map(|f| {
            let d = agg.detectors[f.detector as usize];
            json!({
                "file": file_name(f.file), "line": f.line, "row": f.row, "field": f.field,
                "detector": d.id, "category": d.category.as_str(), "start": f.start, "end": f.end,
            })
        })
        .collect();
    let findings_total: u64 = agg.detector_counts.iter().sum();

    let top_tokens: Vec<Value> = zipf
        .top_tokens
        .iter()
        .map(|(t, n)| json!({"token": t, "count": n}))
        .collect();

    let zipf_json = json!({
        "exponent": round(zipf.exponent, 6),
        "r2": round(zipf.r2, 6),
        "ranks_fitted": zipf.ranks_fitted,
        "log_intercept": round(zipf.log_intercept, 6),
        "rank_frequency": zipf.rank_frequency.iter().map(|&(r, c)| json!([r, c])).collect::<Vec<_>>(),
        "vocabulary_size": zipf.vocabulary_size,
        "total_tokens": zipf.total_tokens,
        "top_token_ratio": round(zipf.top_token_ratio, 6),
        "top_tokens": top_tokens,
        "counter": {
            "method": zipf.counter.method,
            "capacity": zipf.counter.capacity,
            "max_count_error": zipf.counter.max_count_error,
            "vocabulary_size_relative_std_error": round(zipf.counter.vocabulary_size_relative_std_error, 6),
            "note": "top-token counts may undercount by at most max_count_error; vocabulary_size is a HyperLogLog estimate",
        },
    });
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("schema", json!(SCHEMA));
    put(
        "tool",
        json!({"name": "scour", "version": env!("CARGO_PKG_VERSION")}),
    );
    put("scan_id", json!(run.scan_id));
    put("scanned_at", json!(run.scanned_at));
    put("dataset_path", json!(run.dataset_paths.join(", ")));
    put("dataset_paths", json!(run.dataset_paths));
    put("file_count", json!(agg.files.len()));
    put("row_count", json!(agg.rows));
    put("malformed_rows", json!(agg.malformed_rows));
    put("token_estimate", json!(token_estimate));
    put("pii_density_score", json!(pii_density));
    put("consent_coverage_pct", json!(consent_pct));
    put("provenance_coverage_pct", json!(provenance_pct));
    put("bias_signal", json!(gates::bias_name(bias)));
    put("eu_ai_act_article_10_clauses", json!(clauses));
    put("hmac_signature", json!(""));
    put("files", Value::Array(files));
    put("skipped_files", json!(run.skipped_files));
    put("detectors", Value::Object(detectors));
    put("detectors_enabled", json!(agg.detectors.len()));
    put("engine", json!(run.engine));
    put("splits", Value::Object(splits));
    put("fields", Value::Object(fields));
    put("pii_total", json!(pii_total));
    if agg.has_baseline() {
        let by: Map<String, Value> = agg
            .detectors
            .iter()
            .zip(&agg.suppressed_counts)
            .filter(|(_, &n)| n > 0)
            .map(|(d, &n)| (d.id.to_string(), json!(n)))
            .collect();
        put(
            "baseline",
            json!({
                "suppressed": suppressed_pii + suppressed_secrets,
                "suppressed_pii": suppressed_pii,
                "suppressed_secrets": suppressed_secrets,
                "detectors": by,
                "pii_density_unsuppressed": density(pii_total - suppressed_pii),
                "note": "findings whose fingerprint the baseline holds are counted here and in the totals, but the gates judge only the others",
            }),
        );
    }
    put("secrets_total", json!(secrets_total));
    put("findings_total", json!(findings_total));
    put(
        "findings",
        json!({"count": findings_total, "listed": findings.len(), "list": findings,
               "note": "locations only; values are never written to the report"}),
    );
    put(
        "errors",
        json!({"count": agg.error_count, "listed": errors.len(), "list": errors}),
    );
    put("zipf", zipf_json);
    put(
        "gates",
        json!({"passed": failures.is_empty(), "failed": failures, "config": cfg}),
    );
    put(
        "scan",
        json!({
            "text_fields": run.text_fields,
            "consent_fields": run.consent_fields,
            "provenance_fields": run.provenance_fields,
        }),
    );
    let report = Value::Object(m);
    (report, failures)
}
