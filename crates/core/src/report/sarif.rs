//! SARIF 2.1.0 for code-scanning views (GitHub code scanning and others):
//! one rule per detector, one result per finding, never a value.
//!
//! GitHub rejects a run of more than 25,000 results and shows only the
//! 5,000 most severe, so a run holds at most [`MAX_RESULTS`]: every secret
//! first (level `error`), then PII (`warning`), each in file and row order;
//! `run.properties` says how many were left out. Keeping two capped lists
//! also keeps memory bounded on a corpus of any size.

use std::path::Path;

use serde_json::{json, Map, Value};

use super::aggregate::FindingEntry;
use crate::detect::{Category, Detector};
use crate::source::{Format, SourceFile};

/// Results per run: GitHub code scanning's display limit.
pub const MAX_RESULTS: usize = 5_000;
/// Tags per rule GitHub shows.
const MAX_TAGS: usize = 10;
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The findings a SARIF run lists, capped (secrets before PII).
#[derive(Debug, Default)]
pub struct Results {
    secrets: Vec<FindingEntry>,
    pii: Vec<FindingEntry>,
    total: u64,
}

impl Results {
    pub fn push(&mut self, f: &FindingEntry, category: Category) {
        self.total += 1;
        let list = match category {
            Category::Secret => &mut self.secrets,
            Category::Pii => &mut self.pii,
        };
        if list.len() < MAX_RESULTS {
            let mut f = f.clone();
            f.value = None;
            list.push(f);
        }
    }

    /// What the run lists: every secret kept, then PII up to the cap.
    fn listed(&self) -> impl Iterator<Item = &FindingEntry> {
        let room = MAX_RESULTS.saturating_sub(self.secrets.len());
        self.secrets.iter().chain(self.pii.iter().take(room))
    }
}

/// Where files are relative to: one base id per path given to the scan,
/// so that artifact URIs stay relative to the scanned root.
fn base_ids(paths: &[String]) -> (Vec<(String, String)>, Map<String, Value>) {
    let mut roots = Vec::new();
    let mut ids = Map::new();
    for (i, p) in paths.iter().enumerate() {
        let path = Path::new(p);
        let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let dir = if abs.is_dir() {
            abs
        } else {
            abs.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        let id = format!("ROOT{}", i + 1);
        let mut uri = format!("file://{}", uri_path(&dir.to_string_lossy()));
        if !uri.ends_with('/') {
            uri.push('/');
        }
        ids.insert(id.clone(), json!({"uri": uri}));
        roots.push((id, p.clone()));
    }
    (roots, ids)
}

/// Percent-encodes what a URI path may not hold as is.
fn uri_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The SARIF log of a scan: `report` for the run's figures, `detectors` for
/// the rules, `files` for each result's artifact, `results` for the results.
pub fn render(
    report: &Value,
    detectors: &[&Detector],
    files: &[SourceFile],
    results: &Results,
) -> Value {
    let rules: Vec<Value> = detectors.iter().map(|d| rule(d)).collect();
    let paths: Vec<String> = report["dataset_paths"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect();
    let (roots, base_ids) = base_ids(&paths);
    // A file found under a directory argument has a display path relative
    // to it; a file given by name is relative to its own directory.
    let artifact = |f: &SourceFile| -> Value {
        let root = roots
            .iter()
            .find(|(_, p)| Path::new(p).is_dir() && f.path.starts_with(p))
            .or_else(|| roots.iter().find(|(_, p)| Path::new(p) == f.path.as_path()));
        match root {
            Some((id, p)) if Path::new(p).is_dir() => {
                json!({"uri": uri_path(&f.display), "uriBaseId": id})
            }
            Some((id, _)) => {
                let name = f.path.file_name().map(|n| n.to_string_lossy().into_owned());
                json!({"uri": uri_path(&name.unwrap_or_default()), "uriBaseId": id})
            }
            None => json!({"uri": uri_path(&f.display)}),
        }
    };
    let mut listed = Vec::new();
    for f in results.listed() {
        let d = detectors[f.detector as usize];
        let file = &files[f.file];
        let mut physical = json!({"artifactLocation": artifact(file)});
        let mut loc = Map::new();
        if let (Some(line), true) = (f.line, file.format != Format::Parquet) {
            let mut region = json!({"startLine": line});
            if let Some((start, end)) = f.columns {
                region["startColumn"] = json!(start);
                region["endColumn"] = json!(end);
            }
            physical["region"] = region;
        }
        loc.insert("physicalLocation".into(), physical);
        if file.format == Format::Parquet || f.line.is_none() {
            loc.insert(
                "logicalLocations".into(),
                json!([{
                    "name": f.field,
                    "fullyQualifiedName": format!("row {}/{}", f.row, f.field),
                    "kind": "member",
                }]),
            );
        }
        let where_ = match f.line {
            Some(l) if file.format != Format::Parquet => format!("line {l}"),
            _ => format!("row {}", f.row),
        };
        let mut extra = Map::new();
        if let Some(fp) = &f.fingerprint {
            extra.insert(
                "partialFingerprints".into(),
                json!({"scourFingerprint/v1": fp}),
            );
        }
        if f.suppressed {
            extra.insert(
                "suppressions".into(),
                json!([{"kind": "external", "justification": "accepted in the scour baseline"}]),
            );
        }
        let mut result = json!({
            "ruleId": d.id,
            "ruleIndex": f.detector,
            "level": level(d.category),
            "message": {"text": format!(
                "{} ({}) in field `{}` at {where_} of {}; the value is not shown",
                d.id, d.category.as_str(), f.field, file.display
            )},
            "locations": [Value::Object(loc)],
            "properties": {
                "row": f.row,
                "field": f.field,
                "split": file.split.as_str(),
                "byteSpanInValue": [f.start, f.end],
            },
        });
        if let Value::Object(m) = &mut result {
            m.extend(extra);
        }
        listed.push(result);
    }
    let mut props = json!({
        "scanId": report["scan_id"],
        "findingsTotal": results.total,
        "resultsListed": listed.len(),
        "gatesPassed": report["gates"]["passed"],
    });
    if results.total > listed.len() as u64 {
        props["resultsNote"] = json!(format!(
            "{} of {} findings listed: GitHub code scanning shows at most {MAX_RESULTS} results per run. \
             Secrets come first, then PII, each in file and row order; the JSON report and \
             `--findings FILE` hold every finding.",
            listed.len(),
            results.total
        ));
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "scour",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "originalUriBaseIds": base_ids,
            "automationDetails": {"id": format!("scour/{}", text(&report["scan_id"]))},
            "columnKind": "unicodeCodePoints",
            "results": listed,
            "properties": props,
        }],
    })
}

fn level(c: Category) -> &'static str {
    match c {
        Category::Secret => "error",
        Category::Pii => "warning",
    }
}

fn rule(d: &Detector) -> Value {
    let regs = if d.regulations.is_empty() {
        "none listed".to_string()
    } else {
        d.regulations.join(", ")
    };
    let help = format!(
        "{} Confirmed by: {}. Regulations: {regs}. Masked as {}.",
        d.description, d.validator_name, d.placeholder
    );
    let mut tags: Vec<String> = vec![d.category.as_str().to_string()];
    tags.extend(d.regulations.iter().map(|r| r.to_string()));
    tags.truncate(MAX_TAGS);
    json!({
        "id": d.id,
        "name": d.id,
        "shortDescription": {"text": d.description},
        "fullDescription": {"text": format!("{} ({}).", d.description, d.category.as_str())},
        "help": {"text": help.clone(), "markdown": help},
        "defaultConfiguration": {"level": level(d.category)},
        "properties": {"tags": tags, "validator": d.validator_name},
    })
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(detector: u16, row: u64) -> FindingEntry {
        FindingEntry {
            file: 0,
            line: Some(row + 1),
            row,
            field: "text".into(),
            detector,
            start: 0,
            end: 1,
            columns: None,
            value: Some("raw".into()),
            fingerprint: None,
            suppressed: false,
        }
    }

    #[test]
    fn secrets_come_first_and_the_cap_holds() {
        let mut r = Results::default();
        for i in 0..(MAX_RESULTS as u64 + 10) {
            r.push(&finding(0, i), Category::Pii);
        }
        for i in 0..3 {
            r.push(&finding(1, i), Category::Secret);
        }
        let listed: Vec<_> = r.listed().collect();
        assert_eq!(listed.len(), MAX_RESULTS);
        assert!(listed[..3].iter().all(|f| f.detector == 1));
        assert_eq!(r.total, MAX_RESULTS as u64 + 13);
        assert!(
            listed.iter().all(|f| f.value.is_none()),
            "no raw value is kept"
        );
    }

    #[test]
    fn uri_paths_are_encoded() {
        assert_eq!(uri_path("a b/ü#.txt"), "a%20b/%C3%BC%23.txt");
        assert_eq!(uri_path("data/train-1.jsonl"), "data/train-1.jsonl");
    }
}
