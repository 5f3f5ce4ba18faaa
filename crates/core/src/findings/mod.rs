//! The findings file (`scan --findings FILE`): every finding, one record
//! each, in file and row order, written as the scan goes so that memory
//! stays bounded whatever the corpus. JSON lines, or Parquet when FILE ends
//! in `.parquet`. Never a raw value unless the user asked for values; then
//! the file is readable by its owner alone.
//!
//! Baselines ([`baseline`]) are built from the same records' fingerprints.

pub mod baseline;
mod parquet_out;

use std::io::{self, Write};
use std::path::Path;

use serde_json::{json, Value};

use crate::detect::Detector;
use crate::util::atomic::AtomicFile;

/// One finding as written.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub file: &'a str,
    pub split: &'a str,
    pub row: u64,
    /// 1-based line of the row's first byte, for formats with lines.
    pub line: Option<u64>,
    pub field: &'a str,
    pub detector: &'a Detector,
    /// Byte span in the decoded value.
    pub start: u32,
    pub end: u32,
    /// The keyed reference of the normalised value (see [`crate::keys`]),
    /// when a pseudonym key is set.
    pub fingerprint: Option<&'a str>,
    /// The matched text, only with `--findings-values`.
    pub value: Option<&'a str>,
    /// Whether a baseline holds this finding's fingerprint.
    pub suppressed: bool,
}

impl Record<'_> {
    fn to_json(self) -> Value {
        let mut rec = json!({
            "file": self.file,
            "split": self.split,
            "row": self.row,
            "line": self.line,
            "field": self.field,
            "detector": self.detector.id,
            "category": self.detector.category.as_str(),
            "regulations": self.detector.regulations,
            "start": self.start,
            "end": self.end,
        });
        if let Some(f) = self.fingerprint {
            rec["fingerprint"] = json!(f);
        }
        if self.suppressed {
            rec["suppressed"] = json!(true);
        }
        if let Some(v) = self.value {
            rec["value"] = json!(v);
        }
        rec
    }
}

/// A findings file being written.
pub enum FindingsWriter {
    Jsonl(AtomicFile),
    Parquet(Box<parquet_out::ParquetFindings>),
}

impl FindingsWriter {
    /// Creates `path` (Parquet if it ends in `.parquet`, else JSON lines)
    /// under a temporary name; [`finish`](Self::finish) publishes it.
    /// With `values` the file is created with mode 0600.
    pub fn create(path: &Path, values: bool, fingerprints: bool) -> io::Result<FindingsWriter> {
        let file = if values {
            AtomicFile::create_private(path)?
        } else {
            AtomicFile::create(path)?
        };
        let parquet = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
        Ok(if parquet {
            FindingsWriter::Parquet(Box::new(parquet_out::ParquetFindings::new(
                file,
                values,
                fingerprints,
            )?))
        } else {
            FindingsWriter::Jsonl(file)
        })
    }

    pub fn write(&mut self, r: &Record) -> io::Result<()> {
        match self {
            FindingsWriter::Jsonl(f) => {
                let w = f.writer();
                serde_json::to_writer(&mut *w, &r.to_json()).map_err(io::Error::from)?;
                w.write_all(b"\n")
            }
            FindingsWriter::Parquet(p) => p.write(r),
        }
    }

    /// Flush, fsync and rename into place.
    pub fn finish(self) -> io::Result<()> {
        match self {
            FindingsWriter::Jsonl(f) => f.commit(),
            FindingsWriter::Parquet(p) => p.finish(),
        }
    }
}
