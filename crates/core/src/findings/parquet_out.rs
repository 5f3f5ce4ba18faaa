//! Findings as Parquet: the same fields as the JSON lines, in batches of
//! [`BATCH`] records, each batch its own row group, so that memory holds
//! one batch whatever the number of findings.

use std::io;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, ListBuilder, StringBuilder, UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::Record;
use crate::util::atomic::AtomicFile;

/// Records per batch and row group.
const BATCH: usize = 65_536;

pub struct ParquetFindings {
    writer: ArrowWriter<AtomicFile>,
    schema: SchemaRef,
    values: bool,
    fingerprints: bool,
    file: StringBuilder,
    split: StringBuilder,
    row: UInt64Builder,
    line: UInt64Builder,
    field: StringBuilder,
    detector: StringBuilder,
    category: StringBuilder,
    regulations: ListBuilder<StringBuilder>,
    start: UInt32Builder,
    end: UInt32Builder,
    fingerprint: StringBuilder,
    suppressed: BooleanBuilder,
    value: StringBuilder,
    pending: usize,
}

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("writing Parquet: {e}"))
}

impl ParquetFindings {
    pub fn new(out: AtomicFile, values: bool, fingerprints: bool) -> io::Result<ParquetFindings> {
        let text = |n: &str, null: bool| Field::new(n, DataType::Utf8, null);
        let mut fields = vec![
            text("file", false),
            text("split", false),
            Field::new("row", DataType::UInt64, false),
            Field::new("line", DataType::UInt64, true),
            text("field", false),
            text("detector", false),
            text("category", false),
            Field::new(
                "regulations",
                DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
                false,
            ),
            Field::new("start", DataType::UInt32, false),
            Field::new("end", DataType::UInt32, false),
            Field::new("suppressed", DataType::Boolean, false),
        ];
        if fingerprints {
            fields.push(text("fingerprint", false));
        }
        if values {
            fields.push(text("value", false));
        }
        let schema = Arc::new(Schema::new(fields));
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(BATCH))
            .build();
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(io_err)?;
        Ok(ParquetFindings {
            writer,
            schema,
            values,
            fingerprints,
            file: StringBuilder::new(),
            split: StringBuilder::new(),
            row: UInt64Builder::new(),
            line: UInt64Builder::new(),
            field: StringBuilder::new(),
            detector: StringBuilder::new(),
            category: StringBuilder::new(),
            regulations: ListBuilder::new(StringBuilder::new()),
            start: UInt32Builder::new(),
            end: UInt32Builder::new(),
            fingerprint: StringBuilder::new(),
            suppressed: BooleanBuilder::new(),
            value: StringBuilder::new(),
            pending: 0,
        })
    }

    pub fn write(&mut self, r: &Record) -> io::Result<()> {
        self.file.append_value(r.file);
        self.split.append_value(r.split);
        self.row.append_value(r.row);
        self.line.append_option(r.line);
        self.field.append_value(r.field);
        self.detector.append_value(r.detector.id);
        self.category.append_value(r.detector.category.as_str());
        for reg in r.detector.regulations {
            self.regulations.values().append_value(reg);
        }
        self.regulations.append(true);
        self.start.append_value(r.start);
        self.end.append_value(r.end);
        self.suppressed.append_value(r.suppressed);
        if self.fingerprints {
            self.fingerprint.append_value(r.fingerprint.unwrap_or(""));
        }
        if self.values {
            self.value.append_value(r.value.unwrap_or(""));
        }
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
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(self.file.finish()),
            Arc::new(self.split.finish()),
            Arc::new(self.row.finish()),
            Arc::new(self.line.finish()),
            Arc::new(self.field.finish()),
            Arc::new(self.detector.finish()),
            Arc::new(self.category.finish()),
            Arc::new(self.regulations.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.end.finish()),
            Arc::new(self.suppressed.finish()),
        ];
        if self.fingerprints {
            cols.push(Arc::new(self.fingerprint.finish()));
        }
        if self.values {
            cols.push(Arc::new(self.value.finish()));
        }
        let batch = RecordBatch::try_new(self.schema.clone(), cols).map_err(io_err)?;
        self.writer.write(&batch).map_err(io_err)?;
        self.writer.flush().map_err(io_err)?;
        self.pending = 0;
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.flush_batch()?;
        let out = self.writer.into_inner().map_err(io_err)?;
        out.commit()
    }
}
