//! Converts a JSONL corpus (the output of `scripts/gen_corpus.py`) into a
//! Parquet file with the same rows in the same order, for `scripts/bench.sh
//! --format parquet` and the `pipeline` bench:
//!
//! ```text
//! cargo run --release --example make_bench_parquet -- IN.jsonl OUT.parquet [--row-group-rows N]
//! ```
//!
//! One row per non-blank line (scour skips blank lines too). Columns:
//!
//! | column | type | value |
//! |---|---|---|
//! | `id` | Int64, nullable | the top-level `id` if it is an integer (or a float with no fraction), else null |
//! | `text` | Utf8 | every string leaf of the row except the top-level `source`, in document order, joined by `"\n"` (`""` if none) |
//! | `source` | Utf8, nullable | the top-level `source` (non-strings as compact JSON), null if absent or null |
//! | `consent` | Boolean, nullable | true for `true`, `1`, `"yes"`, `"y"`, `"true"`, `"1"` (case-insensitive), false for any other value, null if absent or null |
//!
//! Snappy compression, row groups of `--row-group-rows` rows (default
//! 100,000), written in batches of 8,192 rows: memory is bounded by one row
//! group, never by the corpus. Numbers are not copied into `text` (scour scans
//! integers of 6+ digits in JSON, so a JSONL scan can find a little more).
//! A line that is not valid JSON stops the conversion with its line number.
//!
//! With `--csv`, IN is a CSV file with a header (the wide customer table of
//! `gen_corpus.py --shape wide`): every column becomes a non-null Utf8
//! column of the same name, the rows the same, zstd compression, row groups
//! of `--row-group-rows` rows (default 1,048,576 for CSV: the row group a
//! writer's defaults give a table of short values).

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use arrow_array::builder::{BooleanBuilder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Rows per Arrow batch handed to the writer.
pub const BATCH_ROWS: usize = 8192;
/// Default rows per Parquet row group.
pub const ROW_GROUP_ROWS: usize = 100_000;
/// Default rows per row group for `--csv` (1 Mi: parquet's own default).
pub const CSV_ROW_GROUP_ROWS: usize = 1 << 20;

/// What a conversion wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Converted {
    pub rows: u64,
    pub row_groups: usize,
    pub bytes_in: u64,
}

/// One output row.
#[derive(Debug, Default)]
struct Row {
    id: Option<i64>,
    text: String,
    source: Option<String>,
    consent: Option<bool>,
}

impl Row {
    fn clear(&mut self) {
        self.id = None;
        self.text.clear();
        self.source = None;
        self.consent = None;
    }

    fn push_text(&mut self, s: &str) {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        self.text.push_str(s);
    }
}

/// A top-level value that fills a column: only scalars matter.
#[derive(Debug)]
enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// An object or array; its string leaves went to `text`.
    Composite,
}

/// Walks one JSON value, appending its string leaves to `row.text`; at the
/// top level (`top`) it also fills `id`, `source` and `consent`.
struct Leaves<'a> {
    row: &'a mut Row,
    top: bool,
}

impl<'de> DeserializeSeed<'de> for Leaves<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Leaves<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.row.push_text(v);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Leaves {
                row: &mut *self.row,
                top: false,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if self.top {
                if key == "id" {
                    self.row.id = match map.next_value_seed(ScalarSeed(&mut *self.row))? {
                        Scalar::Int(i) => Some(i),
                        Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
                        _ => None,
                    };
                    continue;
                }
                if key.eq_ignore_ascii_case("source") {
                    // Not text: its value goes to its own column only.
                    let mut scratch = Row::default();
                    let v = map.next_value_seed(ScalarSeed(&mut scratch))?;
                    self.row.source = match v {
                        Scalar::Null => None,
                        Scalar::Bool(b) => Some(b.to_string()),
                        Scalar::Int(i) => Some(i.to_string()),
                        Scalar::Float(f) => Some(f.to_string()),
                        Scalar::Str(s) => Some(s),
                        Scalar::Composite => Some(scratch.text),
                    };
                    continue;
                }
                if key.eq_ignore_ascii_case("consent") {
                    self.row.consent = match map.next_value_seed(ScalarSeed(&mut *self.row))? {
                        Scalar::Null => None,
                        Scalar::Bool(b) => Some(b),
                        Scalar::Int(i) => Some(i == 1),
                        Scalar::Float(f) => Some(f == 1.0),
                        Scalar::Str(s) => Some(
                            ["yes", "y", "true", "1"]
                                .iter()
                                .any(|w| s.trim().eq_ignore_ascii_case(w)),
                        ),
                        Scalar::Composite => Some(false),
                    };
                    continue;
                }
            }
            map.next_value_seed(Leaves {
                row: &mut *self.row,
                top: false,
            })?;
        }
        Ok(())
    }
}

/// Reads a top-level field's value: a scalar is returned (a string is also
/// appended to `text`); an object or array has its string leaves appended.
struct ScalarSeed<'a>(&'a mut Row);

impl<'de> DeserializeSeed<'de> for ScalarSeed<'_> {
    type Value = Scalar;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed<'_> {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
        Ok(i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_unit<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        self.0.push_text(v);
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scalar, A::Error> {
        Leaves {
            row: self.0,
            top: false,
        }
        .visit_seq(seq)?;
        Ok(Scalar::Composite)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar, A::Error> {
        Leaves {
            row: self.0,
            top: false,
        }
        .visit_map(map)?;
        Ok(Scalar::Composite)
    }
}

/// Column builders for one batch.
struct Batch {
    schema: SchemaRef,
    id: Int64Builder,
    text: StringBuilder,
    source: StringBuilder,
    consent: BooleanBuilder,
    rows: usize,
}

impl Batch {
    fn new() -> Batch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("text", DataType::Utf8, false),
            Field::new("source", DataType::Utf8, true),
            Field::new("consent", DataType::Boolean, true),
        ]));
        Batch {
            schema,
            id: Int64Builder::with_capacity(BATCH_ROWS),
            text: StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 2048),
            source: StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 16),
            consent: BooleanBuilder::with_capacity(BATCH_ROWS),
            rows: 0,
        }
    }

    fn push(&mut self, row: &Row) {
        self.id.append_option(row.id);
        self.text.append_value(&row.text);
        self.source.append_option(row.source.as_deref());
        self.consent.append_option(row.consent);
        self.rows += 1;
    }

    /// The rows pushed so far as a record batch; the builders start empty.
    fn finish(&mut self) -> anyhow::Result<RecordBatch> {
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(self.text.finish()),
            Arc::new(self.source.finish()),
            Arc::new(self.consent.finish()),
        ];
        Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
    }
}

/// Converts JSONL from `input` into Parquet written to `output`, streaming.
pub fn convert<R: BufRead, W: Write + Send>(
    mut input: R,
    output: W,
    row_group_rows: usize,
) -> anyhow::Result<Converted> {
    let mut batch = Batch::new();
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(row_group_rows.max(1)))
        .build();
    let mut writer = ArrowWriter::try_new(output, batch.schema.clone(), Some(props))?;
    let mut line = String::new();
    let mut row = Row::default();
    let (mut rows, mut bytes_in, mut line_no) = (0u64, 0u64, 0u64);
    loop {
        line.clear();
        let n = input
            .read_line(&mut line)
            .with_context(|| format!("reading line {}", line_no + 1))?;
        if n == 0 {
            break;
        }
        bytes_in += n as u64;
        line_no += 1;
        let rec = line.trim_end_matches(['\n', '\r']);
        if rec.bytes().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        row.clear();
        let mut de = serde_json::Deserializer::from_str(rec);
        Leaves {
            row: &mut row,
            top: true,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .with_context(|| format!("line {line_no} is not valid JSON"))?;
        batch.push(&row);
        rows += 1;
        if batch.rows == BATCH_ROWS {
            writer.write(&batch.finish()?)?;
        }
    }
    if batch.rows > 0 {
        writer.write(&batch.finish()?)?;
    }
    let meta = writer.close()?;
    Ok(Converted {
        rows,
        row_groups: meta.num_row_groups(),
        bytes_in,
    })
}

/// Converts a CSV table from `input` (header first) into Parquet written to
/// `output`: one Utf8 column per header field, streaming, zstd.
pub fn convert_csv<R: std::io::Read, W: Write + Send>(
    input: R,
    output: W,
    row_group_rows: usize,
) -> anyhow::Result<Converted> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(input);
    let names: Vec<String> = rdr.headers()?.iter().map(str::to_owned).collect();
    let schema: SchemaRef = Arc::new(Schema::new(
        names
            .iter()
            .map(|n| Field::new(n, DataType::Utf8, false))
            .collect::<Vec<_>>(),
    ));
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(Default::default()))
        .set_max_row_group_row_count(Some(row_group_rows.max(1)))
        .build();
    let mut writer = ArrowWriter::try_new(output, schema.clone(), Some(props))?;
    let new_builders = || -> Vec<StringBuilder> {
        (0..names.len())
            .map(|_| StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 16))
            .collect()
    };
    let mut cols = new_builders();
    let (mut rows, mut pending) = (0u64, 0usize);
    let mut rec = csv::StringRecord::new();
    let flush =
        |cols: &mut Vec<StringBuilder>, writer: &mut ArrowWriter<W>| -> anyhow::Result<()> {
            let arrays: Vec<ArrayRef> = cols
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef)
                .collect();
            writer.write(&RecordBatch::try_new(schema.clone(), arrays)?)?;
            Ok(())
        };
    while rdr
        .read_record(&mut rec)
        .with_context(|| format!("CSV record {}", rows + 1))?
    {
        if rec.len() != names.len() {
            bail!(
                "CSV record {} has {} fields, the header {}",
                rows + 1,
                rec.len(),
                names.len()
            );
        }
        for (b, v) in cols.iter_mut().zip(rec.iter()) {
            b.append_value(v);
        }
        rows += 1;
        pending += 1;
        if pending == BATCH_ROWS {
            flush(&mut cols, &mut writer)?;
            pending = 0;
        }
    }
    if pending > 0 {
        flush(&mut cols, &mut writer)?;
    }
    let meta = writer.close()?;
    Ok(Converted {
        rows,
        row_groups: meta.num_row_groups(),
        bytes_in: rdr.position().byte(),
    })
}

/// Converts the file `input` into the file `output`.
pub fn convert_file(
    input: &Path,
    output: &Path,
    row_group_rows: usize,
    csv: bool,
) -> anyhow::Result<Converted> {
    let reader = File::open(input).with_context(|| format!("cannot open {}", input.display()))?;
    let out =
        File::create(output).with_context(|| format!("cannot create {}", output.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let input_buf = BufReader::with_capacity(1 << 20, reader);
    let done = if csv {
        convert_csv(input_buf, &mut out, row_group_rows)
    } else {
        convert(input_buf, &mut out, row_group_rows)
    }
    .with_context(|| format!("converting {}", input.display()))?;
    out.into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .with_context(|| format!("writing {}", output.display()))?;
    Ok(done)
}

fn main() -> anyhow::Result<()> {
    let mut paths = Vec::new();
    let mut row_group_rows = None;
    let mut csv = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--row-group-rows" => {
                let v = args.next().unwrap_or_default();
                row_group_rows = match v.parse() {
                    Ok(n) if n > 0 => Some(n),
                    _ => bail!("--row-group-rows needs a positive integer, got '{v}'"),
                };
            }
            "--csv" => csv = true,
            "-h" | "--help" => {
                eprintln!(
                    "usage: make_bench_parquet IN.jsonl OUT.parquet [--row-group-rows N (default {ROW_GROUP_ROWS})]\n       make_bench_parquet --csv IN.csv OUT.parquet [--row-group-rows N (default {CSV_ROW_GROUP_ROWS})]"
                );
                return Ok(());
            }
            _ => paths.push(a),
        }
    }
    let [input, output] = paths.as_slice() else {
        bail!("usage: make_bench_parquet [--csv] IN OUT.parquet [--row-group-rows N]");
    };
    let row_group_rows = row_group_rows.unwrap_or(if csv {
        CSV_ROW_GROUP_ROWS
    } else {
        ROW_GROUP_ROWS
    });
    let t0 = Instant::now();
    let done = convert_file(Path::new(input), Path::new(output), row_group_rows, csv)?;
    let bytes_out = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "make_bench_parquet: {} rows, {} row groups, {} -> {} bytes in {:.1} s",
        done.rows,
        done.row_groups,
        done.bytes_in,
        bytes_out,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
