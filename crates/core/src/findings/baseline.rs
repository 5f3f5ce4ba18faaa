//! Baselines: the fingerprints of findings a team has reviewed and
//! accepted, so that CI fails on what is new and not on what is known.
//!
//! A baseline holds no raw value: only each finding's keyed fingerprint
//! (see [`crate::keys`]), its detector, how often it occurs and where it
//! was first seen, for review. It is sorted by fingerprint, one entry per
//! line, so that it diffs well in version control. It records the key's id:
//! fingerprints made under another key would match nothing, so a baseline
//! is refused under another key rather than silently suppressing nothing.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde_json::{json, Value};

use super::Record;

/// `format` of a baseline file.
pub const FORMAT: &str = "scour-baseline/1";

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{path}: cannot read the baseline: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a scour baseline: {why}")]
    Format { path: String, why: String },
    #[error("{path}: made under key {theirs}, this run's key is {ours}; its fingerprints would match nothing (use the same SCOUR_PSEUDONYM_KEY or --key-file)")]
    OtherKey {
        path: String,
        theirs: String,
        ours: String,
    },
}

/// Where a baselined finding was first seen.
#[derive(Debug, Clone, PartialEq, Eq)]
struct First {
    file: String,
    row: u64,
    line: Option<u64>,
    field: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    detector: String,
    count: u64,
    first: First,
}

/// A baseline being built (or loaded and extended by `baseline update`).
#[derive(Debug, Default)]
pub struct Baseline {
    entries: BTreeMap<String, Entry>,
}

impl Baseline {
    /// Loads `path`, checking it was made under the key with id `key_id`.
    pub fn load(path: &Path, key_id: &str) -> Result<Baseline, BaselineError> {
        let shown = || path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: shown(),
            source,
        })?;
        let bad = |why: &str| BaselineError::Format {
            path: shown(),
            why: why.to_string(),
        };
        let v: Value = serde_json::from_str(&text).map_err(|e| bad(&e.to_string()))?;
        if v["format"] != FORMAT {
            return Err(bad(&format!("format is not {FORMAT}")));
        }
        let theirs = v["key_id"].as_str().ok_or_else(|| bad("no key_id"))?;
        if theirs != key_id {
            return Err(BaselineError::OtherKey {
                path: shown(),
                theirs: theirs.to_string(),
                ours: key_id.to_string(),
            });
        }
        let mut entries = BTreeMap::new();
        for e in v["findings"]
            .as_array()
            .ok_or_else(|| bad("no findings list"))?
        {
            let fp = e["fingerprint"]
                .as_str()
                .ok_or_else(|| bad("an entry has no fingerprint"))?;
            let f = &e["first"];
            entries.insert(
                fp.to_string(),
                Entry {
                    detector: e["detector"].as_str().unwrap_or("").to_string(),
                    count: e["count"].as_u64().unwrap_or(0),
                    first: First {
                        file: f["file"].as_str().unwrap_or("").to_string(),
                        row: f["row"].as_u64().unwrap_or(0),
                        line: f["line"].as_u64(),
                        field: f["field"].as_str().unwrap_or("").to_string(),
                    },
                },
            );
        }
        Ok(Baseline { entries })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The fingerprints, for suppressing findings during a scan.
    pub fn fingerprints(&self) -> HashSet<String> {
        self.entries.keys().cloned().collect()
    }

    /// Counts `r` (which must carry a fingerprint); returns whether its
    /// fingerprint is new to this baseline.
    pub fn add(&mut self, r: &Record) -> bool {
        let Some(fp) = r.fingerprint else {
            return false;
        };
        if let Some(e) = self.entries.get_mut(fp) {
            e.count += 1;
            return false;
        }
        self.entries.insert(
            fp.to_string(),
            Entry {
                detector: r.detector.id.to_string(),
                count: 1,
                first: First {
                    file: r.file.to_string(),
                    row: r.row,
                    line: r.line,
                    field: r.field.to_string(),
                },
            },
        );
        true
    }

    /// Counts seen during an update are this scan's, not the sum of runs.
    pub fn reset_counts(&mut self) {
        for e in self.entries.values_mut() {
            e.count = 0;
        }
    }

    /// The file's text: sorted by fingerprint, one entry per line.
    pub fn to_text(&self, key_id: &str) -> String {
        let mut s = format!(
            "{{\"format\": \"{FORMAT}\", \"key_id\": {}, \"scour_version\": {}, \"count\": {}, \"findings\": [\n",
            json!(key_id),
            json!(env!("CARGO_PKG_VERSION")),
            self.entries.len()
        );
        for (i, (fp, e)) in self.entries.iter().enumerate() {
            let entry = json!({
                "fingerprint": fp,
                "detector": e.detector,
                "count": e.count,
                "first": {"file": e.first.file, "row": e.first.row, "line": e.first.line, "field": e.first.field},
            });
            s.push_str("  ");
            s.push_str(&crate::report::pyjson::to_string(&entry));
            s.push_str(if i + 1 < self.entries.len() {
                ",\n"
            } else {
                "\n"
            });
        }
        s.push_str("]}\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_sorted_and_refuses_another_key() {
        let email = crate::detect::builtin()
            .iter()
            .find(|d| d.id == "EMAIL")
            .unwrap();
        let rec = |fp: &'static str, row| Record {
            file: "a.jsonl",
            split: "train",
            row,
            line: Some(row + 1),
            field: "text",
            detector: email,
            start: 0,
            end: 3,
            fingerprint: Some(fp),
            value: None,
            suppressed: false,
        };
        let mut b = Baseline::default();
        assert!(b.add(&rec("ff00000000000000", 3)));
        assert!(b.add(&rec("0a00000000000000", 5)));
        assert!(!b.add(&rec("ff00000000000000", 9)));
        let text = b.to_text("k1");
        let first = text.find("0a00").unwrap();
        assert!(first < text.find("ff00").unwrap(), "sorted: {text}");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.json");
        std::fs::write(&p, &text).unwrap();
        let again = Baseline::load(&p, "k1").unwrap();
        assert_eq!(again.to_text("k1"), text);
        assert_eq!(again.len(), 2);
        assert!(matches!(
            Baseline::load(&p, "k2"),
            Err(BaselineError::OtherKey { .. })
        ));
    }
}
