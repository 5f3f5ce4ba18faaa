//! The report as Markdown, for humans and CI summaries.
//!
//! Rendered from the same JSON value that is signed, so the two can never
//! disagree.

use std::fmt::Write;

use serde_json::Value;

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// Escape a table cell.
fn cell(v: &str) -> String {
    v.replace('|', "\\|").replace('\n', " ")
}

pub fn render(r: &Value) -> String {
    let mut o = String::new();
    let passed = r["gates"]["passed"].as_bool().unwrap_or(false);
    let _ = writeln!(
        o,
        "# scour report — {}",
        if passed { "PASSED" } else { "FAILED" }
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "- Dataset: `{}`", s(&r["dataset_path"]));
    let _ = writeln!(
        o,
        "- Scan id: `{}` at {}",
        s(&r["scan_id"]),
        s(&r["scanned_at"])
    );
    let _ = writeln!(
        o,
        "- Files: {} · rows: {} · malformed rows: {} · estimated tokens: {}",
        s(&r["file_count"]),
        s(&r["row_count"]),
        s(&r["malformed_rows"]),
        s(&r["token_estimate"])
    );
    let _ = writeln!(
        o,
        "- PII findings: {} · secrets: {} · PII density: {} per 1,000 tokens",
        s(&r["pii_total"]),
        s(&r["secrets_total"]),
        s(&r["pii_density_score"])
    );
    let _ = writeln!(
        o,
        "- Consent coverage: {} % · provenance coverage: {} % · bias signal: {}",
        s(&r["consent_coverage_pct"]),
        s(&r["provenance_coverage_pct"]),
        s(&r["bias_signal"])
    );
    let sig = s(&r["hmac_signature"]);
    let _ = writeln!(
        o,
        "- Signature: {}",
        if sig.is_empty() {
            "unsigned (no SCOUR_SIGNING_KEY)".to_string()
        } else {
            format!("`{sig}`")
        }
    );

    let _ = writeln!(o, "\n## EU AI Act Article 10\n");
    let _ = writeln!(o, "| clause | title | result | detail |\n|---|---|---|---|");
    for c in r["eu_ai_act_article_10_clauses"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            s(&c["clause_id"]),
            cell(&s(&c["title"])),
            if c["passed"].as_bool() == Some(true) {
                "pass"
            } else {
                "FAIL"
            },
            cell(&s(&c["detail"]))
        );
    }

    let _ = writeln!(o, "\n## Gate\n");
    let failed = r["gates"]["failed"].as_array().cloned().unwrap_or_default();
    if failed.is_empty() {
        let _ = writeln!(o, "All enforced gates passed.");
    }
    for f in &failed {
        let _ = writeln!(o, "- **{}** failed: {}", s(&f["gate"]), s(&f["reason"]));
    }

    if let Some(d) = r["detectors"].as_object().filter(|d| !d.is_empty()) {
        let _ = writeln!(o, "\n## Findings by detector\n");
        let _ = writeln!(o, "| detector | count |\n|---|---:|");
        for (k, v) in d {
            let _ = writeln!(o, "| {} | {} |", k, s(v));
        }
    }

    if let Some(sp) = r["splits"].as_object() {
        let _ = writeln!(o, "\n## Splits\n");
        let _ = writeln!(
            o,
            "| split | files | rows | PII | secrets |\n|---|---:|---:|---:|---:|"
        );
        for (k, v) in sp {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                k,
                s(&v["files"]),
                s(&v["rows"]),
                s(&v["pii"]),
                s(&v["secrets"])
            );
        }
    }

    if let Some(fields) = r["fields"].as_object() {
        let _ = writeln!(o, "\n## Fields\n");
        let _ = writeln!(o, "| field | values | findings |\n|---|---:|---:|");
        for (k, v) in fields {
            let _ = writeln!(
                o,
                "| `{}` | {} | {} |",
                cell(k),
                s(&v["values"]),
                s(&v["findings"])
            );
        }
    }

    let _ = writeln!(o, "\n## Files\n");
    let _ = writeln!(
        o,
        "| file | format | split | rows | bytes | errors | sha256 |\n|---|---|---|---:|---:|---:|---|"
    );
    for f in r["files"].as_array().into_iter().flatten() {
        let sha = s(&f["sha256"]);
        let _ = writeln!(
            o,
            "| `{}` | {} | {} | {} | {} | {} | `{}…` |",
            cell(&s(&f["path"])),
            s(&f["format"]),
            s(&f["split"]),
            s(&f["rows"]),
            s(&f["bytes"]),
            s(&f["errors"]),
            sha.get(..16).unwrap_or(&sha)
        );
    }
    if let Some(sk) = r["skipped_files"].as_array().filter(|a| !a.is_empty()) {
        let _ = writeln!(
            o,
            "\nSkipped (unknown format): {}",
            sk.iter().map(s).collect::<Vec<_>>().join(", ")
        );
    }

    let z = &r["zipf"];
    let _ = writeln!(o, "\n## Vocabulary\n");
    let _ = writeln!(
        o,
        "Zipf exponent {} (r² {}, {} ranks), vocabulary ≈ {}, {} tokens, top token share {}.",
        s(&z["exponent"]),
        s(&z["r2"]),
        s(&z["ranks_fitted"]),
        s(&z["vocabulary_size"]),
        s(&z["total_tokens"]),
        s(&z["top_token_ratio"])
    );

    let errs = &r["errors"];
    let _ = writeln!(o, "\n## Input errors: {}\n", s(&errs["count"]));
    for e in errs["list"].as_array().into_iter().flatten() {
        let at = match (e.get("line"), e.get("row")) {
            (Some(l), _) if !l.is_null() => format!(":{}", s(l)),
            (_, Some(rw)) if !rw.is_null() => format!(" row {}", s(rw)),
            _ => String::new(),
        };
        let _ = writeln!(o, "- `{}{}`: {}", s(&e["file"]), at, s(&e["message"]));
    }
    let listed = errs["listed"].as_u64().unwrap_or(0);
    let count = errs["count"].as_u64().unwrap_or(0);
    if count > listed {
        let _ = writeln!(o, "- … and {} more", count - listed);
    }
    o
}
