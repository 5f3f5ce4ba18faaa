//! Parquet writer: a file copied row group by row group, batch by batch,
//! with some string values replaced.
//!
//! The mirror of [`super::parquet`]. It reads each row group in the same
//! batches the reader scanned (so a batch's values are the chunk's values,
//! in the same order), but with every column and the file's own Arrow types
//! (`Utf8`, `LargeUtf8`, dictionaries), walks a batch that has edits again
//! to find where each edited value sits, replaces those elements, and
//! writes the batch. The Arrow schema, the key-value metadata, each
//! column's codec and the row-group boundaries are kept; statistics are
//! recomputed by the writer.
//!
//! [`GroupEncoder`] does this for one row group at a time, on whichever
//! thread scanned it, once every batch of it has been scanned; the
//! [`GroupWriter`] appends the encoded row groups in order. [`rewrite`]
//! does it for a whole file at once on one thread. Memory: one decoded
//! batch and the column encoders per row group being encoded. Parquet lays
//! a row group out column by column while batches arrive row by row, so
//! every page of a row group waits until the row group is written: they
//! wait in files beside the output (see [`SpillPages`]), so that a row
//! group of any size costs no heap.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use ::parquet::arrow::arrow_writer::{
    compute_leaves, ArrowColumnChunk, ArrowRowGroupWriterFactory, ArrowWriterOptions, PageKey,
    PageStore, PageStoreArgs, PageStoreFactory,
};
use ::parquet::arrow::ArrowWriter;
use ::parquet::file::metadata::{KeyValue, ParquetMetaData};
use ::parquet::file::properties::WriterProperties;
use ::parquet::file::writer::SerializedFileWriter;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowDictionaryKeyType, ArrowPrimitiveType, Int32Type, Int64Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    downcast_dictionary_array, Array, ArrayRef, DictionaryArray, FixedSizeListArray,
    GenericListArray, GenericStringArray, MapArray, OffsetSizeTrait, PrimitiveArray, RecordBatch,
    StringViewArray, StructArray,
};
use arrow_schema::DataType;

use super::parquet::{rows_within_bytes, walk_with_places};
use super::splice::{apply, Edit};
use crate::fields::FieldRules;

/// The edits of one batch, with what the scanned chunk looked like, so
/// that the batch read again can be checked to be the same.
#[derive(Debug, Clone, Default)]
pub struct BatchEdits {
    /// Values in the scanned chunk.
    pub values: u32,
    /// Sorted by value and start.
    pub edits: Vec<Edit>,
    /// Decoded length of each edited value, in edit order.
    pub lengths: Vec<u32>,
}

/// Copy `input` to `out` with `edits` (by batch ordinal in the file, batches
/// cut as the reader cut them with `batch_rows`) applied. Returns `out`
/// and the rows written.
pub fn rewrite<W: Write + Send>(
    input: &Path,
    out: W,
    batch_rows: usize,
    rules: &FieldRules,
    edits: &BTreeMap<u64, BatchEdits>,
) -> Result<(W, u64), String> {
    let err = |what: &str, e: &dyn std::fmt::Display| format!("{what}: {e}");
    let file = File::open(input).map_err(|e| err("cannot open", &e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| err("cannot read the footer", &e))?;
    let meta = builder.metadata().clone();
    let schema = builder.schema().clone();
    let options = ArrowWriterOptions::new().with_properties(writer_properties(&meta));
    let mut writer = ArrowWriter::try_new_with_options(out, schema, options)
        .map_err(|e| err("cannot start writing", &e))?;
    drop(builder);
    let mut ordinal = 0u64;
    let mut rows = 0u64;
    for rg in 0..meta.num_row_groups() {
        let group = meta.row_group(rg);
        let per_batch = rows_within_bytes(
            batch_rows,
            group.num_rows().max(0) as u64,
            group.total_byte_size().max(0) as u64,
        );
        let file = File::open(input).map_err(|e| err("cannot open", &e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| {
                b.with_row_groups(vec![rg])
                    .with_batch_size(per_batch)
                    .build()
            })
            .map_err(|e| err(&format!("row group {rg}: cannot start decoding"), &e))?;
        for batch in reader {
            let mut batch =
                batch.map_err(|e| err(&format!("row group {rg}: cannot decode"), &e))?;
            if let Some(e) = edits.get(&ordinal) {
                batch = apply_batch(&batch, rules, e)
                    .map_err(|m| format!("row group {rg}, rows from {rows}: {m}"))?;
            }
            rows += batch.num_rows() as u64;
            writer
                .write(&batch)
                .map_err(|e| err(&format!("row group {rg}: cannot write"), &e))?;
            ordinal += 1;
        }
        // One input row group, one output row group.
        writer
            .flush()
            .map_err(|e| err(&format!("row group {rg}: cannot write"), &e))?;
    }
    let out = writer
        .into_inner()
        .map_err(|e| err("cannot finish the file", &e))?;
    Ok((out, rows))
}

/// The input's writer settings: each column's codec (from the first row
/// group), its key-value metadata (the Arrow schema is written afresh), and
/// no row-group size limit (the caller flushes at the input's boundaries).
pub(crate) fn writer_properties(meta: &ParquetMetaData) -> WriterProperties {
    let mut props = WriterProperties::builder().set_max_row_group_row_count(None);
    if meta.num_row_groups() > 0 {
        for c in meta.row_group(0).columns() {
            props = props.set_column_compression(c.column_path().clone(), c.compression());
        }
    }
    let kv: Vec<KeyValue> = meta
        .file_metadata()
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .filter(|k| k.key != "ARROW:schema")
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if !kv.is_empty() {
        props = props.set_key_value_metadata(Some(kv));
    }
    props.build()
}

/// One row group of a copy, encoded off the merging thread: its column
/// chunks, whose pages wait in spill files (see [`SpillPages`]) until
/// [`GroupWriter::append`] copies them into the output. Decoding the input
/// a second time and compressing the copy are most of a Parquet copy's
/// cost; done here they run on every worker, one row group each, instead
/// of on the one merging thread.
pub struct EncodedGroup {
    pub rows: u64,
    /// Non-string values set to null, per column path.
    pub nulled: BTreeMap<String, u64>,
    chunks: Vec<ArrowColumnChunk>,
}

/// What a worker needs to encode any row group of one input's copy: the
/// input's footer (read once per file, not once per row group) and the
/// column writers' factory, built with the same settings as the
/// [`GroupWriter`] that appends the chunks, so that a chunk is the same
/// whichever thread encoded it.
pub struct GroupEncoder {
    input: PathBuf,
    meta: ArrowReaderMetadata,
    factory: ArrowRowGroupWriterFactory,
    rules: FieldRules,
    batch_rows: usize,
}

impl GroupEncoder {
    /// Reads `input`'s footer; pages will be spilled to unnamed files in
    /// `spill_dir` (the output's directory: the same file system, and
    /// never a RAM-backed /tmp).
    pub fn open(
        input: &Path,
        batch_rows: usize,
        rules: &FieldRules,
        spill_dir: &Path,
    ) -> Result<GroupEncoder, String> {
        let file = File::open(input).map_err(|e| format!("cannot open: {e}"))?;
        let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
            .map_err(|e| format!("cannot read the footer: {e}"))?;
        // The factory only depends on the schema and the properties; the
        // file writer it comes from writes nowhere.
        let (_, factory) = ArrowWriter::try_new_with_options(
            std::io::sink(),
            meta.schema().clone(),
            options(meta.metadata(), spill_dir),
        )
        .and_then(|w| w.into_serialized_writer())
        .map_err(|e| format!("cannot start writing: {e}"))?;
        Ok(GroupEncoder {
            input: input.to_path_buf(),
            meta,
            factory,
            rules: rules.clone(),
            batch_rows,
        })
    }

    /// Row group `rg` of the input, decoded in the batches the reader cut
    /// (one [`BatchEdits`] per batch, in order), edited and encoded.
    pub fn encode(&self, rg: usize, edits: &[BatchEdits]) -> Result<EncodedGroup, String> {
        let metadata = self.meta.metadata();
        if rg >= metadata.num_row_groups() {
            return Err(format!("no row group {rg}"));
        }
        let group = metadata.row_group(rg);
        let per_batch = rows_within_bytes(
            self.batch_rows,
            group.num_rows().max(0) as u64,
            group.total_byte_size().max(0) as u64,
        );
        let file = File::open(&self.input).map_err(|e| format!("cannot open: {e}"))?;
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.meta.clone())
            .with_row_groups(vec![rg])
            .with_batch_size(per_batch)
            .build()
            .map_err(|e| format!("row group {rg}: cannot start decoding: {e}"))?;
        let mut writers = self
            .factory
            .create_column_writers(rg)
            .map_err(|e| format!("row group {rg}: cannot start writing: {e}"))?;
        let schema = self.meta.schema().clone();
        let mut nulled = BTreeMap::new();
        let mut rows = 0u64;
        let mut scanned = edits.iter();
        for batch in reader {
            let mut batch = batch.map_err(|e| format!("row group {rg}: cannot decode: {e}"))?;
            let e = scanned
                .next()
                .ok_or("the file has more batches than were scanned")?;
            if !e.edits.is_empty() {
                batch = apply_batch_counting(&batch, &self.rules, e, &mut nulled)
                    .map_err(|m| format!("row group {rg}, rows from {rows}: {m}"))?;
            }
            rows += batch.num_rows() as u64;
            let write =
                |e: ::parquet::errors::ParquetError| format!("row group {rg}: cannot write: {e}");
            let mut leaves = writers.iter_mut();
            for (field, column) in schema.fields().iter().zip(batch.columns()) {
                for leaf in compute_leaves(field, column).map_err(write)? {
                    leaves
                        .next()
                        .ok_or("more leaf columns than the schema has")?
                        .write(&leaf)
                        .map_err(write)?;
                }
            }
        }
        if scanned.next().is_some() {
            return Err("the file has fewer batches than were scanned".into());
        }
        let chunks = writers
            .into_iter()
            .map(|w| w.close())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("row group {rg}: cannot write: {e}"))?;
        Ok(EncodedGroup {
            rows,
            nulled,
            chunks,
        })
    }
}

/// The output side of a copy whose row groups were encoded elsewhere
/// ([`GroupEncoder`]): appends them in order and writes the footer.
pub struct GroupWriter<W: Write + Send> {
    writer: SerializedFileWriter<W>,
    rows: u64,
    nulled: BTreeMap<String, u64>,
}

impl<W: Write + Send> GroupWriter<W> {
    /// Starts the copy of `input` (its footer only is read) into `out`.
    pub fn open(input: &Path, out: W, spill_dir: &Path) -> Result<GroupWriter<W>, String> {
        let file = File::open(input).map_err(|e| format!("cannot open: {e}"))?;
        let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
            .map_err(|e| format!("cannot read the footer: {e}"))?;
        let (writer, _) = ArrowWriter::try_new_with_options(
            out,
            meta.schema().clone(),
            options(meta.metadata(), spill_dir),
        )
        .and_then(|w| w.into_serialized_writer())
        .map_err(|e| format!("cannot start writing: {e}"))?;
        Ok(GroupWriter {
            writer,
            rows: 0,
            nulled: BTreeMap::new(),
        })
    }

    /// Non-string values set to null so far, per column path.
    pub fn nulled(&self) -> &BTreeMap<String, u64> {
        &self.nulled
    }

    /// Appends the next row group (one input row group, one output row
    /// group): its pages are copied out of their spill files.
    pub fn append(&mut self, group: EncodedGroup) -> Result<(), String> {
        let at = self.writer.flushed_row_groups().len();
        let write =
            |e: ::parquet::errors::ParquetError| format!("row group {at}: cannot write: {e}");
        let mut rg = self.writer.next_row_group().map_err(write)?;
        for chunk in group.chunks {
            chunk.append_to_row_group(&mut rg).map_err(write)?;
        }
        rg.close().map_err(write)?;
        self.rows += group.rows;
        for (k, n) in group.nulled {
            *self.nulled.entry(k).or_insert(0) += n;
        }
        Ok(())
    }

    /// Writes the footer; returns the output and the rows written.
    pub fn finish(self) -> Result<(W, u64), String> {
        let out = self
            .writer
            .into_inner()
            .map_err(|e| format!("cannot finish the file: {e}"))?;
        Ok((out, self.rows))
    }
}

/// The writer options of a copy of a file with footer `meta`: its
/// properties ([`writer_properties`]) and pages spilled to `spill_dir`.
fn options(meta: &ParquetMetaData, spill_dir: &Path) -> ArrowWriterOptions {
    ArrowWriterOptions::new()
        .with_properties(writer_properties(meta))
        .with_page_store_factory(Arc::new(SpillPages {
            dir: spill_dir.to_path_buf(),
        }))
}

/// Encoded pages of the row group being written, kept in an unnamed file
/// (one per column chunk) instead of on the heap: Parquet lays a row group
/// out column by column, so every page of it waits until the row group is
/// flushed, and at the input's row-group size (100,000 rows of prose is
/// ~100 MB compressed) that would be most of the run's memory.
#[derive(Debug)]
struct SpillPages {
    dir: PathBuf,
}

impl PageStoreFactory for SpillPages {
    fn create(&self, _args: &PageStoreArgs<'_>) -> ::parquet::errors::Result<Box<dyn PageStore>> {
        Ok(Box::new(SpillFile {
            file: unnamed_file(&self.dir)?,
            end: 0,
            pages: Vec::new(),
        }))
    }
}

/// A file that is removed as soon as it is open (on Unix it then lives
/// until closed, and a crash leaves nothing behind); elsewhere it is
/// removed when dropped.
fn unnamed_file(dir: &Path) -> std::io::Result<SpillHandle> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".scour-pages-{}-{n}", std::process::id()));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => {
                let removed = std::fs::remove_file(&path).is_ok();
                return Ok(SpillHandle {
                    file,
                    path: (!removed).then_some(path),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

struct SpillHandle {
    file: File,
    /// Still to remove (where an open file cannot be removed).
    path: Option<PathBuf>,
}

impl Drop for SpillHandle {
    fn drop(&mut self) {
        if let Some(p) = &self.path {
            let _ = std::fs::remove_file(p);
        }
    }
}

struct SpillFile {
    file: SpillHandle,
    end: u64,
    /// (offset, length) per page key.
    pages: Vec<(u64, usize)>,
}

impl PageStore for SpillFile {
    fn put(&mut self, value: bytes::Bytes) -> ::parquet::errors::Result<PageKey> {
        use std::io::{Seek, SeekFrom};
        self.file.file.seek(SeekFrom::Start(self.end))?;
        self.file.file.write_all(&value)?;
        let key = PageKey::new(self.pages.len() as u64);
        self.pages.push((self.end, value.len()));
        self.end += value.len() as u64;
        Ok(key)
    }

    fn take(&mut self, key: PageKey) -> ::parquet::errors::Result<bytes::Bytes> {
        use std::io::{Read, Seek, SeekFrom};
        let &(at, len) = self.pages.get(key.get() as usize).ok_or_else(|| {
            ::parquet::errors::ParquetError::General(format!("no spilled page {}", key.get()))
        })?;
        let mut buf = vec![0u8; len];
        self.file.file.seek(SeekFrom::Start(at))?;
        self.file.file.read_exact(&mut buf)?;
        Ok(bytes::Bytes::from(buf))
    }
}

/// `batch` with the edited values replaced.
fn apply_batch(
    batch: &RecordBatch,
    rules: &FieldRules,
    e: &BatchEdits,
) -> Result<RecordBatch, String> {
    apply_batch_counting(batch, rules, e, &mut BTreeMap::new())
}

/// [`apply_batch`], counting in `nulled` the values of non-string columns
/// (by column path) that were set to null: an integer holding a finding
/// cannot hold its replacement, and any other number would be a made-up
/// value, so it becomes null and the manifest names the column.
fn apply_batch_counting(
    batch: &RecordBatch,
    rules: &FieldRules,
    e: &BatchEdits,
    nulled: &mut BTreeMap<String, u64>,
) -> Result<RecordBatch, String> {
    let (chunk, places) = walk_with_places(batch, rules)?;
    if chunk.values.len() != e.values as usize || places.places.len() != chunk.values.len() {
        return Err("the batch no longer reads as it did when scanned".into());
    }
    // New text per (leaf, element).
    let mut by_leaf: BTreeMap<u32, Vec<(usize, String)>> = BTreeMap::new();
    let mut k = 0;
    while k < e.edits.len() {
        let value = e.edits[k].value;
        let mut l = k;
        while l < e.edits.len() && e.edits[l].value == value {
            l += 1;
        }
        let v = chunk
            .values
            .get(value as usize)
            .ok_or("an edit names a value the batch does not have")?;
        let text = chunk.value_text(v);
        if Some(&(text.len() as u32)) != e.lengths.get(k) {
            return Err("a value no longer reads as it did when scanned".into());
        }
        let (leaf, element) = places.places[value as usize];
        by_leaf
            .entry(leaf)
            .or_default()
            .push((element as usize, apply(text, &e.edits[k..l])?));
        k = l;
    }
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    for (leaf, mut news) in by_leaf {
        news.sort_by_key(|n| n.0);
        let at = &places.leaves[leaf as usize];
        if let Some(name) = integer_leaf(batch, at) {
            *nulled.entry(name).or_insert(0) += news.len() as u64;
        }
        let (&col, rest) = at.split_first().ok_or("an empty leaf path")?;
        let column = columns
            .get_mut(col as usize)
            .ok_or("a leaf names a column the batch does not have")?;
        *column = rebuild(column, rest, &news)?;
    }
    RecordBatch::try_new(batch.schema(), columns).map_err(|e| e.to_string())
}

/// The path (`meta.ids[]`) of the leaf at child path `at` when it is an
/// integer column, which [`replace_strings`] nulls.
fn integer_leaf(batch: &RecordBatch, at: &[u16]) -> Option<String> {
    let (&col, rest) = at.split_first()?;
    let schema = batch.schema();
    let field = schema.fields().get(col as usize)?;
    let mut name = field.name().clone();
    let mut dt = field.data_type().clone();
    for &i in rest {
        dt = match &dt {
            DataType::Struct(fs) => {
                let f = fs.get(i as usize)?;
                name.push('.');
                name.push_str(f.name());
                f.data_type().clone()
            }
            DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
                name.push_str("[]");
                f.data_type().clone()
            }
            DataType::Map(f, _) => {
                let DataType::Struct(kv) = f.data_type() else {
                    return None;
                };
                name.push_str(if i == 0 { "[].key" } else { "[].value" });
                kv.get(i as usize)?.data_type().clone()
            }
            _ => return None,
        };
    }
    matches!(
        dt,
        DataType::Int32 | DataType::Int64 | DataType::UInt32 | DataType::UInt64
    )
    .then_some(name)
}

/// `array` with the string leaf at child path `at` given new values.
fn rebuild(array: &ArrayRef, at: &[u16], news: &[(usize, String)]) -> Result<ArrayRef, String> {
    let Some((&i, rest)) = at.split_first() else {
        return replace_strings(array, news);
    };
    let e = |e: arrow_schema::ArrowError| e.to_string();
    Ok(match array.data_type() {
        DataType::Struct(fields) => {
            let s = array.as_struct();
            let mut cols = s.columns().to_vec();
            let c = cols.get_mut(i as usize).ok_or("no such struct field")?;
            *c = rebuild(c, rest, news)?;
            Arc::new(StructArray::try_new(fields.clone(), cols, s.nulls().cloned()).map_err(e)?)
        }
        DataType::List(field) => {
            let l = array.as_list::<i32>();
            let values = rebuild(l.values(), rest, news)?;
            Arc::new(
                GenericListArray::<i32>::try_new(
                    field.clone(),
                    l.offsets().clone(),
                    values,
                    l.nulls().cloned(),
                )
                .map_err(e)?,
            )
        }
        DataType::LargeList(field) => {
            let l = array.as_list::<i64>();
            let values = rebuild(l.values(), rest, news)?;
            Arc::new(
                GenericListArray::<i64>::try_new(
                    field.clone(),
                    l.offsets().clone(),
                    values,
                    l.nulls().cloned(),
                )
                .map_err(e)?,
            )
        }
        DataType::FixedSizeList(field, n) => {
            let l = array.as_fixed_size_list();
            let values = rebuild(l.values(), rest, news)?;
            Arc::new(
                FixedSizeListArray::try_new(field.clone(), *n, values, l.nulls().cloned())
                    .map_err(e)?,
            )
        }
        DataType::Map(field, ordered) => {
            let m = array.as_map();
            let entries = m.entries();
            let mut cols = entries.columns().to_vec();
            let c = cols.get_mut(i as usize).ok_or("no such map child")?;
            *c = rebuild(c, rest, news)?;
            let entries =
                StructArray::try_new(entries.fields().clone(), cols, entries.nulls().cloned())
                    .map_err(e)?;
            Arc::new(
                MapArray::try_new(
                    field.clone(),
                    m.offsets().clone(),
                    entries,
                    m.nulls().cloned(),
                    *ordered,
                )
                .map_err(e)?,
            )
        }
        other => return Err(format!("cannot descend into a {other} array")),
    })
}

/// A string array (of any layout, or a dictionary of one) with elements
/// `news` replaced; nulls and every other element kept.
fn replace_strings(array: &ArrayRef, news: &[(usize, String)]) -> Result<ArrayRef, String> {
    /// The runs of elements between edited ones are copied whole into
    /// buffers of the final size: almost every batch of a prose corpus has
    /// an edit, and appending element by element to a growing builder
    /// cost the copy ~5 % of its time in copies and fresh pages.
    fn plain<O: OffsetSizeTrait>(
        a: &GenericStringArray<O>,
        news: &[(usize, String)],
    ) -> Result<ArrayRef, String> {
        use arrow_buffer::{Buffer, OffsetBuffer, ScalarBuffer};
        let offsets = a.value_offsets();
        let data = a.value_data();
        let at = |i: usize| -> Result<usize, String> {
            offsets
                .get(i)
                .map(|o| o.as_usize())
                .ok_or_else(|| format!("no string element {i}"))
        };
        let mut size = at(a.len())?.saturating_sub(at(0)?);
        for (i, text) in news {
            let old = at(i + 1)?.saturating_sub(at(*i)?);
            size = size.saturating_sub(old) + text.len();
        }
        let mut values: Vec<u8> = Vec::with_capacity(size);
        let mut out: Vec<O> = Vec::with_capacity(a.len() + 1);
        out.push(O::usize_as(0));
        let offset = |n: usize| O::from_usize(n).ok_or("too much text for the column's offsets");
        // Elements `from..to` as they were.
        let copy = |values: &mut Vec<u8>, out: &mut Vec<O>, from: usize, to: usize| {
            let start = at(from)?;
            let base = values.len();
            for k in from + 1..=to {
                out.push(offset(base + at(k)? - start)?);
            }
            let run = data
                .get(start..at(to)?)
                .ok_or("string offsets out of range")?;
            values.extend_from_slice(run);
            Ok::<(), String>(())
        };
        let mut next = 0;
        for (i, text) in news {
            if *i < next || *i >= a.len() {
                return Err("edited elements out of order".into());
            }
            copy(&mut values, &mut out, next, *i)?;
            values.extend_from_slice(text.as_bytes());
            out.push(offset(values.len())?);
            next = i + 1;
        }
        copy(&mut values, &mut out, next, a.len())?;
        let array = GenericStringArray::<O>::try_new(
            OffsetBuffer::new(ScalarBuffer::from(out)),
            Buffer::from_vec(values),
            a.nulls().cloned(),
        )
        .map_err(|e| e.to_string())?;
        Ok(Arc::new(array))
    }
    fn dict<K: ArrowDictionaryKeyType>(
        d: &DictionaryArray<K>,
        news: &[(usize, String)],
    ) -> Result<ArrayRef, String> {
        use arrow_buffer::ArrowNativeType;
        // Edited elements point to new dictionary entries appended after
        // the old ones; the old entries stay (other rows may use them).
        let old = d.values().len();
        let mut appended = Vec::with_capacity(news.len());
        let mut it = news.iter().peekable();
        let keys = d.keys();
        let mut new_keys = Vec::with_capacity(keys.len());
        for i in 0..keys.len() {
            if let Some(n) = it.next_if(|n| n.0 == i) {
                let k = K::Native::from_usize(old + appended.len())
                    .ok_or("too many dictionary entries for the key type")?;
                appended.push((n.0, n.1.clone()));
                new_keys.push(Some(k));
            } else {
                new_keys.push(keys.is_valid(i).then(|| keys.value(i)));
            }
        }
        let extra: Vec<(usize, String)> = appended
            .iter()
            .enumerate()
            .map(|(j, (_, s))| (old + j, s.clone()))
            .collect();
        let values = extend_strings(d.values(), &extra)?;
        let keys: PrimitiveArray<K> = new_keys.into_iter().collect();
        Ok(Arc::new(
            DictionaryArray::<K>::try_new(keys, values).map_err(|e| e.to_string())?,
        ))
    }
    match array.data_type() {
        DataType::Utf8 => plain(array.as_string::<i32>(), news),
        DataType::LargeUtf8 => plain(array.as_string::<i64>(), news),
        DataType::Utf8View => {
            let a = array.as_string_view();
            let mut it = news.iter().peekable();
            let out: StringViewArray = (0..a.len())
                .map(|i| match it.next_if(|n| n.0 == i) {
                    Some(n) => Some(n.1.as_str()),
                    None => a.is_valid(i).then(|| a.value(i)),
                })
                .collect();
            Ok(Arc::new(out))
        }
        DataType::Dictionary(_, _) => downcast_dictionary_array!(
            array => dict(array, news),
            t => Err(format!("cannot replace strings in a {t} array"))
        ),
        DataType::Int32 => Ok(nulled(array.as_primitive::<Int32Type>(), news)),
        DataType::Int64 => Ok(nulled(array.as_primitive::<Int64Type>(), news)),
        DataType::UInt32 => Ok(nulled(array.as_primitive::<UInt32Type>(), news)),
        DataType::UInt64 => Ok(nulled(array.as_primitive::<UInt64Type>(), news)),
        other => Err(format!("cannot replace strings in a {other} array")),
    }
}

/// An integer array with elements `news` set to null (see
/// [`apply_batch_counting`]); a column declared non-nullable then fails the
/// batch, and the file is not written.
fn nulled<T: ArrowPrimitiveType>(a: &PrimitiveArray<T>, news: &[(usize, String)]) -> ArrayRef {
    let mut it = news.iter().peekable();
    let out: PrimitiveArray<T> = (0..a.len())
        .map(|i| match it.next_if(|n| n.0 == i) {
            Some(_) => None,
            None => a.is_valid(i).then(|| a.value(i)),
        })
        .collect();
    Arc::new(out.with_data_type(a.data_type().clone()))
}

/// A string array with `extra` (index, text) elements appended at the
/// given indices, which follow the old ones in order.
fn extend_strings(values: &ArrayRef, extra: &[(usize, String)]) -> Result<ArrayRef, String> {
    let old = values.len();
    fn grow<'a, O: OffsetSizeTrait>(
        a: &'a GenericStringArray<O>,
        extra: &'a [(usize, String)],
    ) -> ArrayRef {
        let out: GenericStringArray<O> = (0..a.len())
            .map(|i| a.is_valid(i).then(|| a.value(i)))
            .chain(extra.iter().map(|e| Some(e.1.as_str())))
            .collect();
        Arc::new(out)
    }
    debug_assert!(extra.iter().enumerate().all(|(j, e)| e.0 == old + j));
    match values.data_type() {
        DataType::Utf8 => Ok(grow(values.as_string::<i32>(), extra)),
        DataType::LargeUtf8 => Ok(grow(values.as_string::<i64>(), extra)),
        DataType::Utf8View => {
            let a = values.as_string_view();
            let out: StringViewArray = (0..a.len())
                .map(|i| a.is_valid(i).then(|| a.value(i)))
                .chain(extra.iter().map(|e| Some(e.1.as_str())))
                .collect();
            Ok(Arc::new(out))
        }
        other => Err(format!("cannot extend a dictionary of {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{LargeStringArray, StringArray};

    fn strings(a: &ArrayRef) -> Vec<Option<String>> {
        let a = a.as_string::<i32>();
        (0..a.len())
            .map(|i| a.is_valid(i).then(|| a.value(i).to_string()))
            .collect()
    }

    #[test]
    fn replaced_strings_keep_every_other_element_and_null() {
        let whole = StringArray::from(vec![
            Some("skip"),
            Some("a@b.c here"),
            None,
            Some(""),
            Some("keep"),
            Some("last 4111"),
        ]);
        // A slice, as the reader may hand out: offsets not from zero.
        let a: ArrayRef = Arc::new(whole.slice(1, 5));
        let news = vec![
            (0, "[EMAIL] here".to_string()),
            (4, "last [CC]".to_string()),
        ];
        let out = replace_strings(&a, &news).unwrap();
        assert_eq!(
            strings(&out),
            vec![
                Some("[EMAIL] here".into()),
                None,
                Some("".into()),
                Some("keep".into()),
                Some("last [CC]".into()),
            ]
        );
        assert_eq!(strings(&replace_strings(&a, &[]).unwrap()), strings(&a));
        let large: ArrayRef = Arc::new(LargeStringArray::from(vec!["x", "y"]));
        let out = replace_strings(&large, &[(1, "z".into())]).unwrap();
        let out = out.as_string::<i64>();
        assert_eq!((out.value(0), out.value(1)), ("x", "z"));
        // An element the array does not have is an error, not a panic.
        assert!(replace_strings(&a, &[(5, "?".into())]).is_err());
    }
}
