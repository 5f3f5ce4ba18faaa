//! The hits file (`subject find --output FILE`): one record per occurrence,
//! in file and row order, written as the scan goes. JSON lines, or Parquet
//! when FILE ends in `.parquet`. A hit names its subject by reference only:
//! the raw identifier is never written here.

use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{StringBuilder, UInt32Builder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde_json::json;

use crate::util::atomic::AtomicFile;

/// One hit as written.
#[derive(Debug, Clone, Copy)]
pub struct HitRecord<'a> {
    pub file: &'a str,
    pub split: &'a str,
    /// 0-based row in the file.
    pub row: u64,
    /// 1-based line of the row's first byte (text formats).
    pub line: Option<u64>,
    pub field: &'a str,
    /// `plaintext`, `pseudonym`, `surrogate`, `literal` or `row_id`.
    pub kind: &'a str,
    pub detector: Option<&'a str>,
    /// Byte span in the decoded value.
    pub start: u32,
    pub end: u32,
    /// The subject's reference.
    pub subject: &'a str,
}

/// Records per Parquet batch and row group.
const BATCH: usize = 65_536;

/// A hits file being written; [`HitsWriter::finish`] publishes it.
pub enum HitsWriter {
    Jsonl(AtomicFile),
    Parquet(Box<ParquetHits>),
}

impl HitsWriter {
    pub fn create(path: &Path) -> io::Result<HitsWriter> {
        let file = AtomicFile::create(path)?;
        let parquet = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
        Ok(if parquet {
            HitsWriter::Parquet(Box::new(ParquetHits::new(file)?))
        } else {
            HitsWriter::Jsonl(file)
        })
    }

    pub fn write(&mut self, r: &HitRecord) -> io::Result<()> {
        match self {
            HitsWriter::Jsonl(f) => {
                let v = json!({
                    "file": r.file,
                    "split": r.split,
                    "row": r.row,
                    "line": r.line,
                    "field": r.field,
                    "kind": r.kind,
                    "detector": r.detector,
                    "start": r.start,
                    "end": r.end,
                    "subject": r.subject,
                });
                let w = f.writer();
                serde_json::to_writer(&mut *w, &v).map_err(io::Error::from)?;
                w.write_all(b"\n")
            }
            HitsWriter::Parquet(p) => p.write(r),
        }
    }

    /// Flush, fsync and rename into place.
    pub fn finish(self) -> io::Result<()> {
        match self {
            HitsWriter::Jsonl(f) => f.commit(),
            HitsWriter::Parquet(p) => p.finish(),
        }
    }
}

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("writing Parquet: {e}"))
}

/// Hits as Parquet, one row group per [`BATCH`] records.
pub struct ParquetHits {
    writer: ArrowWriter<AtomicFile>,
    schema: SchemaRef,
    strings: [StringBuilder; 6],
    row: UInt64Builder,
    line: UInt64Builder,
    start: UInt32Builder,
    end: UInt32Builder,
    pending: usize,
}

const STRING_COLUMNS: [(&str, bool); 6] = [
    ("file", false),
    ("split", false),
    ("field", false),
    ("kind", false),
    ("detector", true),
    ("subject", false),
];

impl ParquetHits {
    fn new(out: AtomicFile) -> io::Result<ParquetHits> {
        let s = |i: usize| Field::new(STRING_COLUMNS[i].0, DataType::Utf8, STRING_COLUMNS[i].1);
        let schema = Arc::new(Schema::new(vec![
            s(0),
            s(1),
            Field::new("row", DataType::UInt64, false),
            Field::new("line", DataType::UInt64, true),
            s(2),
            s(3),
            s(4),
            Field::new("start", DataType::UInt32, false),
            Field::new("end", DataType::UInt32, false),
            s(5),
        ]));
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(BATCH))
            .build();
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(io_err)?;
        Ok(ParquetHits {
            writer,
            schema,
            strings: Default::default(),
            row: UInt64Builder::new(),
            line: UInt64Builder::new(),
            start: UInt32Builder::new(),
            end: UInt32Builder::new(),
            pending: 0,
        })
    }

    fn write(&mut self, r: &HitRecord) -> io::Result<()> {
        self.strings[0].append_value(r.file);
        self.strings[1].append_value(r.split);
        self.strings[2].append_value(r.field);
        self.strings[3].append_value(r.kind);
        self.strings[4].append_option(r.detector);
        self.strings[5].append_value(r.subject);
        self.row.append_value(r.row);
        self.line.append_option(r.line);
        self.start.append_value(r.start);
        self.end.append_value(r.end);
        self.pending += 1;
        if self.pending >= BATCH {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> io::Result<()> {
        if self.pending == 0 {
            return Ok(());
        }
        let [file, split, field, kind, detector, subject] = &mut self.strings;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(file.finish()),
            Arc::new(split.finish()),
            Arc::new(self.row.finish()),
            Arc::new(self.line.finish()),
            Arc::new(field.finish()),
            Arc::new(kind.finish()),
            Arc::new(detector.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.end.finish()),
            Arc::new(subject.finish()),
        ];
        let batch = RecordBatch::try_new(self.schema.clone(), cols).map_err(io_err)?;
        self.writer.write(&batch).map_err(io_err)?;
        self.writer.flush().map_err(io_err)?;
        self.pending = 0;
        Ok(())
    }

    fn finish(mut self) -> io::Result<()> {
        self.flush_batch()?;
        let out = self.writer.into_inner().map_err(io_err)?;
        out.commit()
    }
}
