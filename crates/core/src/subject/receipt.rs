//! The erasure receipt: what a purge removed, from which files, for whom
//! (by reference only), when, and which audit entries recorded it; signed
//! by the report's recipe when `SCOUR_SIGNING_KEY` is set, so that it can
//! be shown later and checked with `scour verify-report`.

use serde_json::{json, Value};

/// One file in a receipt.
#[derive(Debug, Clone)]
pub struct FileEntry {
    pub file: String,
    pub split: String,
    pub format: String,
    pub rows_removed: u64,
    pub rows_before: u64,
    pub old_sha256: String,
    /// `None` when the file was not changed.
    pub new_sha256: Option<String>,
    pub error: Option<String>,
    /// The 0-based rows that would go (a dry run lists them).
    pub rows: Vec<u64>,
}

/// An audit entry the run wrote.
#[derive(Debug, Clone)]
pub struct AuditRef {
    pub event: String,
    pub seq: u64,
    pub hash: String,
}

/// Everything a receipt says.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub receipt_id: String,
    pub dry_run: bool,
    pub key_id: String,
    pub subjects: Vec<String>,
    pub started_at: String,
    pub finished_at: String,
    pub files: Vec<FileEntry>,
    pub audit: Vec<AuditRef>,
}

impl Receipt {
    pub fn rows_removed(&self) -> u64 {
        self.files
            .iter()
            .filter(|f| f.new_sha256.is_some())
            .map(|f| f.rows_removed)
            .sum()
    }

    pub fn failed(&self) -> usize {
        self.files.iter().filter(|f| f.error.is_some()).count()
    }

    /// The receipt as JSON (unsigned).
    pub fn to_json(&self) -> Value {
        let files: Vec<Value> = self
            .files
            .iter()
            .map(|f| {
                let status = match (&f.error, &f.new_sha256) {
                    (Some(_), _) => "failed",
                    (None, Some(_)) => "rewritten",
                    (None, None) if self.dry_run && f.rows_removed > 0 => "would_change",
                    (None, None) => "unchanged",
                };
                let mut v = json!({
                    "file": f.file,
                    "split": f.split,
                    "format": f.format,
                    "status": status,
                    "rows_before": f.rows_before,
                    "rows_removed": f.rows_removed,
                    "old_sha256": f.old_sha256,
                    "new_sha256": f.new_sha256,
                    "error": f.error,
                });
                if self.dry_run {
                    v["rows_to_remove"] = json!(f.rows);
                }
                v
            })
            .collect();
        json!({
            "receipt_id": self.receipt_id,
            "kind": "scour.erasure_receipt",
            "scour_version": env!("CARGO_PKG_VERSION"),
            "dry_run": self.dry_run,
            "key_id": self.key_id,
            "subject_count": self.subjects.len(),
            "subjects": self.subjects,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "files": files,
            "totals": {
                "files": self.files.len(),
                "files_rewritten": self.files.iter().filter(|f| f.new_sha256.is_some()).count(),
                "files_failed": self.failed(),
                "rows_removed": self.rows_removed(),
            },
            "audit_entries": self.audit.iter().map(|a| json!({
                "event": a.event, "seq": a.seq, "hash": a.hash,
            })).collect::<Vec<_>>(),
        })
    }
}
