//! `mask_manifest.json`: what was masked, where, under which key (by id),
//! and what the check found; signed like the report.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{FileResult, MaskPlan, Target};
use crate::detect::Detector;
use crate::keys::PseudonymKey;

/// The manifest's file name in the output directory.
pub const MANIFEST_NAME: &str = "mask_manifest.json";

fn by_id(detectors: &[&'static Detector], counts: &BTreeMap<u16, u64>) -> Map<String, Value> {
    let mut m = Map::new();
    for (&d, &n) in counts {
        if let Some(det) = detectors.get(d as usize) {
            m.insert(det.id.to_string(), json!(n));
        }
    }
    m
}

/// Whether the run is clean: every file written, no residual finding of a
/// masked type.
pub fn passed(plan: &MaskPlan, results: &[FileResult]) -> bool {
    results.iter().all(|r| {
        r.errors.is_empty()
            && r.output.is_some()
            && r.residual
                .keys()
                .all(|&d| !plan.masked.get(d as usize).copied().unwrap_or(false))
    })
}

/// The manifest, unsigned (`hmac_signature` empty).
#[allow(clippy::too_many_arguments)]
pub fn build(
    targets: &[Target],
    results: &[FileResult],
    plan: &MaskPlan,
    key: Option<&PseudonymKey>,
    detectors: &[&'static Detector],
    skipped: &[String],
    created_at: &str,
) -> Value {
    let mut files = Vec::new();
    let mut masked_total: BTreeMap<u16, u64> = BTreeMap::new();
    let mut residual_total: BTreeMap<u16, u64> = BTreeMap::new();
    let mut rows = 0;
    for (t, r) in targets.iter().zip(results) {
        rows += r.rows;
        for (&d, &n) in &r.masked {
            *masked_total.entry(d).or_insert(0) += n;
        }
        for (&d, &n) in &r.residual {
            *residual_total.entry(d).or_insert(0) += n;
        }
        files.push(json!({
            "input": t.input.display,
            "input_sha256": r.input_sha256,
            "output": t.relative.display().to_string().replace('\\', "/"),
            "output_sha256": r.output.as_ref().map(|o| o.0.clone()),
            "output_bytes": r.output.as_ref().map(|o| o.1),
            "format": t.input.format.as_str(),
            "compression": t.input.compression.as_str(),
            "rows": r.rows,
            "masked": by_id(detectors, &r.masked),
            "masked_total": r.masked.values().sum::<u64>(),
            "input_problems": r.input_problems,
            "residual": by_id(detectors, &r.residual),
            "nulled_columns": r.nulled,
            "errors": r.errors,
        }));
    }
    let types: Vec<&str> = detectors
        .iter()
        .zip(&plan.masked)
        .filter(|(_, &m)| m)
        .map(|(d, _)| d.id)
        .collect();
    json!({
        "scour_version": env!("CARGO_PKG_VERSION"),
        "created_at": created_at,
        "mode": plan.replacer.mode.as_str(),
        "verify": plan.verify.as_str(),
        "key_id": key.map(|k| k.id()),
        "masked_types": types,
        "files": files,
        "skipped_files": skipped,
        "totals": {
            "files": targets.len(),
            "files_written": results.iter().filter(|r| r.errors.is_empty() && r.output.is_some()).count(),
            "files_failed": results.iter().filter(|r| !r.errors.is_empty()).count(),
            "rows": rows,
            "masked": by_id(detectors, &masked_total),
            "masked_total": masked_total.values().sum::<u64>(),
            "residual": by_id(detectors, &residual_total),
            "residual_total": residual_total.values().sum::<u64>(),
        },
        "passed": passed(plan, results),
        "hmac_signature": "",
    })
}
