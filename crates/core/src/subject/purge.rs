//! Erasure: each file with matched rows rewritten without them, in its own
//! format, published atomically (temp file in the same directory, fsync,
//! rename, directory fsync), so an interrupted purge leaves every file
//! wholly old or wholly new and a rerun finishes the job.

use std::path::Path;

use super::sink::FileMatches;
use crate::source::drop_rows::drop_ranges;
use crate::source::parquet_drop::{drop_rows, sha256_file};
use crate::source::{Format, SourceFile};
use crate::util::atomic::AtomicFile;

/// What purging one file came to.
#[derive(Debug, Clone, Default)]
pub struct Purged {
    pub rows_removed: u64,
    pub new_sha256: String,
    pub rows_after: u64,
}

/// Why a file is not purged before anything is written: problems found by
/// the scan, or a file scour may not replace.
pub fn check(src: &SourceFile, m: &FileMatches) -> Result<(), String> {
    let path = src.path.display();
    if let Some(p) = m.problems.first() {
        return Err(format!("{path}: {p}; not changed"));
    }
    let meta = std::fs::metadata(&src.path).map_err(|e| format!("{path}: {e}"))?;
    if meta.permissions().readonly() {
        return Err(format!(
            "{path}: the file is read-only; nothing was removed (make it writable to erase from it)"
        ));
    }
    Ok(())
}

/// Temp files an interrupted earlier run left beside `path` (they are
/// hidden, so no scan reads them, but they hold the old rows).
pub fn remove_stale_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.tmp-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let n = e.file_name();
        let n = n.to_string_lossy();
        if let Some(pid) = n.strip_prefix(&prefix) {
            if pid.bytes().all(|b| b.is_ascii_digit()) && pid != std::process::id().to_string() {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Rewrite `src` without its matched rows.
pub fn purge_file(src: &SourceFile, m: &FileMatches) -> Result<Purged, String> {
    check(src, m)?;
    let path = src.path.display().to_string();
    remove_stale_temps(&src.path);
    let mode = std::fs::metadata(&src.path)
        .map(|m| m.permissions())
        .map_err(|e| format!("{path}: {e}"))?;
    let mut out = AtomicFile::create(&src.path)
        .map_err(|e| format!("{path}: cannot create a temp file beside it: {e}"))?;
    // The new file keeps the old one's permissions.
    out.writer()
        .get_ref()
        .set_permissions(mode)
        .map_err(|e| format!("{path}: cannot set permissions: {e}"))?;
    let removed = m.matched_rows.len() as u64;
    let (out, sha, rows_after) = if src.format == Format::Parquet {
        let (out, rows) = drop_rows(&src.path, out, &m.matched_rows, &m.sha256)
            .map_err(|e| format!("{path}: {e}"))?;
        if rows + removed != m.rows {
            return Err(format!(
                "{path}: {rows} rows written and {removed} removed, {} scanned; not changed",
                m.rows
            ));
        }
        (out, None, rows)
    } else {
        let d = drop_ranges(src, &m.cuts, &m.sha256, out).map_err(|e| e.to_string())?;
        (d.out, Some(d.sha256), m.rows.saturating_sub(removed))
    };
    out.commit()
        .map_err(|e| format!("{path}: cannot write or publish (disk full?): {e}; not changed"))?;
    let new_sha256 = match sha {
        Some(s) => s,
        None => sha256_file(&src.path).map_err(|e| format!("{path}: cannot read back: {e}"))?,
    };
    Ok(Purged {
        rows_removed: removed,
        new_sha256,
        rows_after,
    })
}
