//! Parquet reader: one row group in, [`Chunk`]s of `batch_rows` rows out.
//!
//! The pipeline first calls [`plan`], which reads only the footer, and then
//! runs one job per row group with [`read_row_group`]. Each job opens its own
//! file handle and Arrow reader, so row groups decode in parallel on any
//! thread, and memory is bounded by the batch size, not the file size. The
//! parsed footer is shared: the jobs of one file parse it once (see
//! `footer_cache`), however many row groups it has.
//!
//! # What a chunk holds
//! - One [`RowMeta`] per row of the batch (`line` is 0: Parquet has no lines).
//!   `consented` / `has_provenance` come from top-level columns whose name
//!   [`FieldRules::role`] recognises; a row with several such columns counts
//!   when any of them grants consent / names a source.
//! - Every non-null string leaf (Utf8, LargeUtf8, Utf8View, or a dictionary of
//!   those), nested ones included, under the JSON reader's path convention:
//!   `text`, `meta.contact`, `meta.tags[]`, `messages[].content`. A Map whose
//!   keys and values are strings reads like a JSON object (`attrs.<key>`);
//!   any other Map is walked as what it is physically, a list of key/value
//!   structs (`attrs[].key`, `attrs[].value`). Only paths that
//!   [`FieldRules::scans`] accepts are pushed; consent and provenance columns
//!   push their strings with `is_text = false`.
//!
//! Values are pushed column by column (all of `text`, then all of `meta.contact`,
//! ...), not row by row: each value carries its row, so consumers must not
//! assume values are sorted by row.
//!
//! # Errors
//! [`plan`] fails with a [`ParquetError`] that names the file. [`read_row_group`]
//! never fails and never panics on bad input: when decoding breaks, it emits a
//! chunk with no rows whose single error (row 0 of that empty chunk, i.e. the
//! first row that could not be decoded) names the file, the row group and the
//! cause, and stops that row group. Rows after the failure are not counted.

use std::fs::File;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use ::parquet::arrow::ProjectionMask;
use ::parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal128Type, Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{
    AnyDictionaryArray, Array, GenericStringArray, OffsetSizeTrait, RecordBatch, StringViewArray,
};
use arrow_schema::{DataType, Field, Fields, Schema};

use super::produce::{FileTail, Job, ReadProblem};
use crate::chunk::{Chunk, PathId, RowMeta, TextValue};
use crate::fields::{has_provenance, is_consented, FieldRules, MetaValue, Role};

/// Footer facts needed to plan parallel work: one job per row group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetPlan {
    /// Rows in each row group, in file order.
    pub row_group_rows: Vec<u64>,
    /// Compressed bytes of each row group: its weight in a shard plan.
    pub row_group_bytes: Vec<u64>,
}

impl ParquetPlan {
    /// Rows in the whole file.
    pub fn total_rows(&self) -> u64 {
        self.row_group_rows.iter().sum()
    }
}

/// Why a Parquet file cannot be planned. `Display` names the file, says what
/// is wrong, and what it probably means.
#[derive(Debug, thiserror::Error)]
pub enum ParquetError {
    #[error("{}: cannot open Parquet file: {source}", .path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a readable Parquet file: {detail} (is the file truncated, still being written, or not Parquet?)", .path.display())]
    Footer { path: PathBuf, detail: String },
}

/// Read only the footer of `path` and list its row groups.
pub fn plan(path: &Path) -> Result<ParquetPlan, ParquetError> {
    let open_err = |source| ParquetError::Open {
        path: path.to_owned(),
        source,
    };
    let footer_err = |detail: String| ParquetError::Footer {
        path: path.to_owned(),
        detail,
    };
    let file = File::open(path).map_err(open_err)?;
    let file_len = file.metadata().map_err(open_err)?.len();
    // "PAR1" + footer length + "PAR1": nothing smaller is Parquet.
    if file_len < 12 {
        return Err(footer_err(format!(
            "the file is {file_len} bytes, smaller than any Parquet file"
        )));
    }
    let metadata = catch_unwind(AssertUnwindSafe(|| {
        ParquetMetaDataReader::new().parse_and_finish(&file)
    }))
    .map_err(|p| footer_err(format!("the footer reader crashed: {}", panic_text(&p))))?
    .map_err(|e| footer_err(plain(&e.to_string()).to_owned()))?;

    let mut row_group_rows = Vec::with_capacity(metadata.num_row_groups());
    let mut row_group_bytes = Vec::with_capacity(metadata.num_row_groups());
    for (i, rg) in metadata.row_groups().iter().enumerate() {
        let rows = u64::try_from(rg.num_rows())
            .map_err(|_| footer_err(format!("row group {i} claims {} rows", rg.num_rows())))?;
        // A footer that survived while the data before it did not (a file cut
        // and re-terminated, a bad copy) points past the end of the file.
        for col in rg.columns() {
            let (start, len) = col.byte_range();
            if start.checked_add(len).map_or(true, |end| end > file_len) {
                return Err(footer_err(format!(
                    "row group {i} column `{}` lies at bytes {start}..{} but the file has {file_len} bytes",
                    col.column_path(),
                    start.saturating_add(len)
                )));
            }
        }
        row_group_rows.push(rows);
        row_group_bytes.push(u64::try_from(rg.compressed_size()).unwrap_or(0));
    }
    // The row-group jobs that follow reuse this footer instead of each
    // parsing it again. A footer whose schema Arrow cannot read is not
    // cached; those jobs report the problem.
    if let Ok(Ok(arrow)) = catch_unwind(AssertUnwindSafe(|| reader_metadata(Arc::new(metadata)))) {
        footer_cache::put(path, &file, arrow);
    }
    Ok(ParquetPlan {
        row_group_rows,
        row_group_bytes,
    })
}

/// The Arrow view of a footer, with string columns read as `Utf8View`: the
/// decoder then points views into the decompressed pages instead of
/// copying every string into a new values buffer, and the strings are
/// copied once, into the chunk. Falls back to the file's own types if the
/// hint is refused.
fn reader_metadata(
    metadata: Arc<ParquetMetaData>,
) -> Result<ArrowReaderMetadata, ::parquet::errors::ParquetError> {
    let plain = ArrowReaderMetadata::try_new(metadata.clone(), ArrowReaderOptions::new())?;
    let fields: Fields = plain.schema().fields().iter().map(as_views).collect();
    if fields == *plain.schema().fields() {
        return Ok(plain);
    }
    let hint = Arc::new(Schema::new_with_metadata(
        fields,
        plain.schema().metadata().clone(),
    ));
    Ok(
        ArrowReaderMetadata::try_new(metadata, ArrowReaderOptions::new().with_schema(hint))
            .unwrap_or(plain),
    )
}

/// `field` with its string leaves (nested in lists and structs too) as
/// `Utf8View`.
fn as_views(field: &Arc<Field>) -> Arc<Field> {
    let data_type = match field.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 => DataType::Utf8View,
        DataType::List(child) => DataType::List(as_views(child)),
        DataType::LargeList(child) => DataType::LargeList(as_views(child)),
        DataType::Struct(children) => DataType::Struct(children.iter().map(as_views).collect()),
        _ => return field.clone(),
    };
    Arc::new(field.as_ref().clone().with_data_type(data_type))
}

/// Uncompressed column bytes a batch may hold (by the row group's average
/// row), so that memory stays bounded by batch size however wide the rows:
/// 4,096 rows of a 1 MB document each would otherwise be a 4 GB batch.
pub const BATCH_BYTES: u64 = 8 << 20;

/// The sequential half of reading a Parquet file: one job per row group
/// (from the footer), then the file's hash. A file whose footer cannot be
/// read sends no job and is `incomplete`.
pub fn produce(
    file: &crate::source::SourceFile,
    progress: &std::sync::Arc<std::sync::atomic::AtomicU64>,
    send: &mut dyn FnMut(Job),
) -> FileTail {
    produce_parts(file, progress, true, send)
}

/// [`produce`], hashing the file only when `hash`: a shard that scans some
/// of a file's row groups but not the first leaves the file's provenance
/// to the shard that does, so that the file is read whole once.
pub fn produce_parts(
    file: &crate::source::SourceFile,
    progress: &std::sync::Arc<std::sync::atomic::AtomicU64>,
    hash: bool,
    send: &mut dyn FnMut(Job),
) -> FileTail {
    let mut tail = FileTail::default();
    match plan(&file.path) {
        Ok(plan) => {
            for row_group in 0..plan.row_group_rows.len() {
                send(Job::ParquetRowGroup { row_group });
            }
        }
        Err(e) => {
            tail.problems.push(ReadProblem {
                line: None,
                message: e.to_string(),
            });
            tail.incomplete = true;
        }
    }
    if !hash {
        return tail;
    }
    match super::produce::hash_file(file, progress) {
        Ok((sha, bytes)) => {
            tail.sha256 = sha;
            tail.bytes = bytes;
        }
        Err(e) => {
            tail.problems.push(ReadProblem {
                line: None,
                message: format!("read failed: {e}"),
            });
            tail.incomplete = true;
        }
    }
    tail
}

/// At most `rows` rows per batch, fewer when the row group's average row
/// (`group_bytes / group_rows`, uncompressed) would put more than
/// [`BATCH_BYTES`] in one batch; at least one.
pub fn rows_within_bytes(rows: usize, group_rows: u64, group_bytes: u64) -> usize {
    if group_rows == 0 {
        return rows;
    }
    let per_row = group_bytes.div_ceil(group_rows).max(1);
    let fit = usize::try_from(BATCH_BYTES / per_row).unwrap_or(usize::MAX);
    rows.min(fit).max(1)
}

/// Decode row group `row_group` of `path` in batches of `batch_rows` rows and
/// call `emit` once per batch with a filled [`Chunk`].
///
/// Only the top-level columns that can yield something are decoded: consent
/// and provenance columns, and columns holding a string leaf that `rules`
/// scans. If none are left, rows are still emitted (counted from the footer).
/// On a decoding error, emits one chunk carrying the error and stops (see the
/// module documentation).
pub fn read_row_group(
    path: &Path,
    row_group: usize,
    rules: &FieldRules,
    batch_rows: usize,
    emit: &mut dyn FnMut(Chunk),
) {
    read_row_group_into(
        path,
        row_group,
        rules,
        batch_rows,
        &mut Chunk::default,
        emit,
    );
}

/// [`read_row_group`], filling chunks that `spare` hands out (emptied ones
/// whose buffers are reused, see [`Chunk::recycle`]) instead of new ones:
/// an 8 MB text buffer allocated per batch costs its page faults every time.
pub fn read_row_group_into(
    path: &Path,
    row_group: usize,
    rules: &FieldRules,
    batch_rows: usize,
    spare: &mut dyn FnMut() -> Chunk,
    emit: &mut dyn FnMut(Chunk),
) {
    let batch_rows = batch_rows.max(1);
    let fail = |emit: &mut dyn FnMut(Chunk), rows_done: u64, what: String| {
        let mut chunk = Chunk::default();
        chunk.push_error(
            None,
            Some(0),
            if rows_done == 0 {
                format!(
                    "{}: row group {row_group}: {what}; the row group was not scanned",
                    path.display()
                )
            } else {
                format!(
                    "{}: row group {row_group}: {what}; its rows from {rows_done} on were not scanned",
                    path.display()
                )
            },
        );
        emit(chunk);
    };

    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return fail(emit, 0, format!("cannot open: {e}")),
    };
    let builder = match catch_unwind(AssertUnwindSafe(|| {
        let arrow = match footer_cache::get(path, &file) {
            Some(arrow) => arrow,
            None => {
                let arrow = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())?;
                let arrow = reader_metadata(arrow.metadata().clone())?;
                footer_cache::put(path, &file, arrow.clone());
                arrow
            }
        };
        Ok::<_, ::parquet::errors::ParquetError>(
            ParquetRecordBatchReaderBuilder::new_with_metadata(file, arrow),
        )
    })) {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            return fail(
                emit,
                0,
                format!("cannot read the footer: {}", plain(&e.to_string())),
            )
        }
        Err(p) => {
            return fail(
                emit,
                0,
                format!("footer reader crashed: {}", panic_text(&p)),
            )
        }
    };
    let num_row_groups = builder.metadata().num_row_groups();
    if row_group >= num_row_groups {
        return fail(
            emit,
            0,
            format!("no such row group (the file has {num_row_groups})"),
        );
    }
    let group_rows = builder.metadata().row_group(row_group).num_rows().max(0) as u64;
    let group_bytes = builder
        .metadata()
        .row_group(row_group)
        .total_byte_size()
        .max(0) as u64;
    let batch_rows = rows_within_bytes(batch_rows, group_rows, group_bytes);

    let keep: Vec<usize> = builder
        .schema()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            rules.role(f.name()) != Role::Other
                || (has_string_leaf(f.data_type()) && wanted(rules, f.name()))
        })
        .map(|(i, _)| i)
        .collect();
    if keep.is_empty() {
        // Nothing to decode: the rows still count.
        let mut left = group_rows;
        while left > 0 {
            let n = left.min(batch_rows as u64);
            emit(Chunk {
                rows: vec![RowMeta::default(); n as usize],
                ..Chunk::default()
            });
            left -= n;
        }
        return;
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), keep);
    let reader = catch_unwind(AssertUnwindSafe(|| {
        builder
            .with_batch_size(batch_rows)
            .with_row_groups(vec![row_group])
            .with_projection(mask)
            .build()
    }));
    let mut reader = match reader {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            return fail(
                emit,
                0,
                format!("cannot start decoding: {}", plain(&e.to_string())),
            )
        }
        Err(p) => return fail(emit, 0, format!("decoder crashed: {}", panic_text(&p))),
    };

    let mut rows_done = 0u64;
    loop {
        let batch = match catch_unwind(AssertUnwindSafe(|| reader.next())) {
            Ok(None) => break,
            Ok(Some(Ok(batch))) => batch,
            Ok(Some(Err(e))) => {
                return fail(
                    emit,
                    rows_done,
                    format!("cannot decode: {}", plain(&e.to_string())),
                )
            }
            Err(p) => {
                return fail(
                    emit,
                    rows_done,
                    format!("decoder crashed: {}", panic_text(&p)),
                )
            }
        };
        match fill_chunk_into(&batch, rules, spare()) {
            Ok(chunk) => emit(chunk),
            Err(what) => return fail(emit, rows_done, what),
        }
        rows_done += batch.num_rows() as u64;
    }
}

/// An arrow/parquet error message without the layers of "X error:" prefixes.
fn plain(msg: &str) -> &str {
    let mut msg = msg;
    while let Some(rest) = [
        "Parquet argument error: ",
        "Parquet error: ",
        "External error: ",
    ]
    .iter()
    .find_map(|p| msg.strip_prefix(p))
    {
        msg = rest;
    }
    msg
}

/// The last few footers read, so that the jobs of one file parse its footer
/// once, not once per row group: a file with hundreds of small row groups
/// (common in Hugging Face conversions) would otherwise spend more time on
/// its footer than on its data. Keyed by path, length and modification time,
/// so a file rewritten in place is read afresh.
mod footer_cache {
    use std::fs::File;
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;
    use std::time::SystemTime;

    use ::parquet::arrow::arrow_reader::ArrowReaderMetadata;

    /// Enough for every file a pool of workers has in flight.
    const CAPACITY: usize = 16;

    type Key = (PathBuf, u64, Option<SystemTime>);

    static CACHE: Mutex<Vec<(Key, ArrowReaderMetadata)>> = Mutex::new(Vec::new());

    fn key(path: &Path, file: &File) -> Option<Key> {
        let meta = file.metadata().ok()?;
        Some((path.to_owned(), meta.len(), meta.modified().ok()))
    }

    pub(super) fn get(path: &Path, file: &File) -> Option<ArrowReaderMetadata> {
        let key = key(path, file)?;
        let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, m)| m.clone())
    }

    pub(super) fn put(path: &Path, file: &File, metadata: ArrowReaderMetadata) {
        let Some(key) = key(path, file) else {
            return;
        };
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        cache.retain(|(k, _)| k.0 != key.0);
        if cache.len() == CAPACITY {
            cache.remove(0);
        }
        cache.push((key, metadata));
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> &str {
    p.downcast_ref::<&str>()
        .copied()
        .or_else(|| p.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic")
}

/// Whether anything at or below `path` can be scanned.
fn wanted(rules: &FieldRules, path: &str) -> bool {
    let tf = rules.text_fields();
    tf.is_empty() || tf.iter().any(|t| t.starts_with(path))
}

fn is_string_type(dt: &DataType) -> bool {
    match dt {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => is_string_type(v),
        _ => false,
    }
}

/// Integer types wide enough for 6+ digits: scanned like JSON integers
/// (a card number stored as a number is still a card number).
fn is_scanned_integer(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Int32 | DataType::Int64 | DataType::UInt32 | DataType::UInt64
    )
}

/// Whether a column of this type can hold a leaf the walker reads: a
/// string, or an integer (see [`is_scanned_integer`]).
fn has_string_leaf(dt: &DataType) -> bool {
    match dt {
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::FixedSizeList(f, _)
        | DataType::Map(f, _) => has_string_leaf(f.data_type()),
        DataType::Struct(fs) => fs.iter().any(|f| has_string_leaf(f.data_type())),
        dt => is_string_type(dt) || is_scanned_integer(dt),
    }
}

/// Row of a masked element: its parent (a struct or list slot) is null, so
/// whatever the child holds there is not data.
const MASKED: u32 = u32::MAX;

/// Maps an element index of the array being walked to its top-level row.
#[derive(Clone, Copy)]
enum Rows<'a> {
    Identity,
    /// [`MASKED`] where the element belongs to no row.
    Mapped(&'a [u32]),
}

impl Rows<'_> {
    #[inline]
    fn get(self, i: usize) -> u32 {
        match self {
            Rows::Identity => i as u32,
            Rows::Mapped(m) => m[i],
        }
    }
}

/// A string column of any of the supported layouts.
#[derive(Clone, Copy)]
enum Strings<'a> {
    Small(&'a GenericStringArray<i32>),
    Large(&'a GenericStringArray<i64>),
    View(&'a StringViewArray),
}

impl<'a> Strings<'a> {
    fn of(a: &'a dyn Array) -> Option<Self> {
        match a.data_type() {
            DataType::Utf8 => Some(Strings::Small(a.as_string::<i32>())),
            DataType::LargeUtf8 => Some(Strings::Large(a.as_string::<i64>())),
            DataType::Utf8View => Some(Strings::View(a.as_string_view())),
            _ => None,
        }
    }

    /// The string at `i`, or `None` when it is null.
    #[inline]
    fn get(self, i: usize) -> Option<&'a str> {
        match self {
            Strings::Small(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::View(a) => a.is_valid(i).then(|| a.value(i)),
        }
    }

    fn len(self) -> usize {
        match self {
            Strings::Small(a) => a.len(),
            Strings::Large(a) => a.len(),
            Strings::View(a) => a.len(),
        }
    }
}

/// A batch decoded into a fresh chunk.
#[cfg(test)]
fn fill_chunk(batch: &RecordBatch, rules: &FieldRules) -> Result<Chunk, String> {
    fill_chunk_into(batch, rules, Chunk::default())
}

/// Decode one record batch into `chunk`, an empty (fresh or recycled) one.
/// `Err` only when the batch's text does not fit a chunk (4 GiB). Batches
/// from memory (the Python package) take the same path as Parquet's.
pub fn fill_chunk_into(
    batch: &RecordBatch,
    rules: &FieldRules,
    mut chunk: Chunk,
) -> Result<Chunk, String> {
    let n = batch.num_rows();
    chunk.rows.clear();
    chunk.rows.resize(n, RowMeta::default());
    let mut walk = Walker {
        rules,
        chunk,
        path: String::new(),
        is_text: true,
        overflow: false,
        at: Vec::new(),
        places: None,
    };
    walk_batch(batch, rules, &mut walk)?;
    Ok(walk.chunk)
}

/// Where each value of a batch's chunk sits in the batch: for value `k`,
/// `places[k]` is (index into `leaves`, element index in that leaf array);
/// a leaf is named by child indices from the batch's columns down (see
/// `super::parquet_write`).
#[derive(Debug, Default)]
pub struct Places {
    pub leaves: Vec<Vec<u16>>,
    pub places: Vec<(u32, u32)>,
}

/// The chunk of `batch` as [`read_row_group`] fills it, and where each of
/// its values sits in the batch: the writers' walk.
pub fn walk_with_places(
    batch: &RecordBatch,
    rules: &FieldRules,
) -> Result<(Chunk, Places), String> {
    let n = batch.num_rows();
    let mut chunk = Chunk::default();
    chunk.rows.resize(n, RowMeta::default());
    let mut walk = Walker {
        rules,
        chunk,
        path: String::new(),
        is_text: true,
        overflow: false,
        at: Vec::new(),
        places: Some(Places::default()),
    };
    walk_batch(batch, rules, &mut walk)?;
    Ok((walk.chunk, walk.places.unwrap_or_default()))
}

fn walk_batch(
    batch: &RecordBatch,
    rules: &FieldRules,
    walk: &mut Walker<'_>,
) -> Result<(), String> {
    let n = batch.num_rows();
    let schema = batch.schema();
    for (col, (field, column)) in schema.fields().iter().zip(batch.columns()).enumerate() {
        let role = rules.role(field.name());
        if role != Role::Other {
            apply_meta(&mut walk.chunk.rows, column.as_ref(), role);
        }
        if !has_string_leaf(field.data_type()) || !wanted(rules, field.name()) {
            continue;
        }
        walk.path.clear();
        walk.path.push_str(field.name());
        walk.is_text = role == Role::Other;
        walk.at.clear();
        walk.at.push(col as u16);
        walk.walk(column.as_ref(), Rows::Identity);
        if walk.overflow {
            return Err(format!(
                "the {n} rows of one batch hold more than 4 GiB of text; use smaller batches"
            ));
        }
    }
    Ok(())
}

struct Walker<'r> {
    rules: &'r FieldRules,
    chunk: Chunk,
    /// Path of the array being walked; children push and pop their suffix.
    path: String,
    is_text: bool,
    overflow: bool,
    /// Child indices from the batch down to the array being walked.
    at: Vec<u16>,
    /// When set, where each pushed value sits (the writers' walk).
    places: Option<Places>,
}

impl Walker<'_> {
    /// Starts a leaf: the array being walked (or its child `child`), for
    /// the places of the values pushed next.
    fn leaf(&mut self, child: Option<u16>) -> u32 {
        let Some(p) = &mut self.places else {
            return 0;
        };
        let mut at = self.at.clone();
        at.extend(child);
        p.leaves.push(at);
        (p.leaves.len() - 1) as u32
    }

    #[inline]
    fn place(&mut self, leaf: u32, element: usize) {
        if let Some(p) = &mut self.places {
            p.places.push((leaf, element as u32));
        }
    }

    fn walk(&mut self, array: &dyn Array, rows: Rows<'_>) {
        if self.overflow || !wanted(self.rules, &self.path) {
            return;
        }
        match array.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                if let Some(s) = Strings::of(array) {
                    self.strings(s, rows);
                }
            }
            DataType::Dictionary(_, v) if is_string_type(v) => {
                if let Some(d) = array.as_any_dictionary_opt() {
                    self.dictionary(d, rows);
                }
            }
            DataType::Int32 => self.integers(array.as_primitive::<Int32Type>(), rows, |v| {
                v.try_into().ok()
            }),
            DataType::Int64 => self.integers(array.as_primitive::<Int64Type>(), rows, |v| {
                v.try_into().ok()
            }),
            DataType::UInt32 => {
                self.integers(array.as_primitive::<UInt32Type>(), rows, |v| Some(v.into()))
            }
            DataType::UInt64 => self.integers(array.as_primitive::<UInt64Type>(), rows, Some),
            DataType::Struct(_) => {
                let s = array.as_struct();
                let masked;
                let child_rows = match s.nulls().filter(|n| n.null_count() > 0) {
                    None => rows,
                    Some(nulls) => {
                        masked = (0..s.len())
                            .map(|i| {
                                if nulls.is_null(i) {
                                    MASKED
                                } else {
                                    rows.get(i)
                                }
                            })
                            .collect::<Vec<u32>>();
                        Rows::Mapped(&masked)
                    }
                };
                let len = self.path.len();
                for (i, (field, child)) in s.fields().iter().zip(s.columns()).enumerate() {
                    if !has_string_leaf(field.data_type()) {
                        continue;
                    }
                    self.path.push('.');
                    self.path.push_str(field.name());
                    self.at.push(i as u16);
                    self.walk(child.as_ref(), child_rows);
                    self.at.pop();
                    self.path.truncate(len);
                }
            }
            DataType::List(_) => {
                let l = array.as_list::<i32>();
                let offsets = l.value_offsets();
                self.list(l, l.values().as_ref(), rows, |i| {
                    (offsets[i] as usize, offsets[i + 1] as usize)
                });
            }
            DataType::LargeList(_) => {
                let l = array.as_list::<i64>();
                let offsets = l.value_offsets();
                self.list(l, l.values().as_ref(), rows, |i| {
                    (offsets[i] as usize, offsets[i + 1] as usize)
                });
            }
            DataType::FixedSizeList(_, n) => {
                let l = array.as_fixed_size_list();
                let n = (*n).max(0) as usize;
                self.list(l, l.values().as_ref(), rows, |i| (i * n, i * n + n));
            }
            DataType::Map(_, _) => {
                let m = array.as_map();
                let offsets = m.value_offsets();
                let span = |i: usize| (offsets[i] as usize, offsets[i + 1] as usize);
                if is_string_type(m.key_type()) && is_string_type(m.value_type()) {
                    self.object(m, m.keys().as_ref(), m.values().as_ref(), rows, span);
                } else {
                    // Writers name the entry fields differently (key/value,
                    // keys/values); the path does not depend on that.
                    let entry_rows = child_rows(m, m.entries().len(), rows, span);
                    let len = self.path.len();
                    for (i, (name, child)) in [("[].key", m.keys()), ("[].value", m.values())]
                        .into_iter()
                        .enumerate()
                    {
                        if has_string_leaf(child.data_type()) {
                            self.path.push_str(name);
                            self.at.push(i as u16);
                            self.walk(child.as_ref(), Rows::Mapped(&entry_rows));
                            self.at.pop();
                            self.path.truncate(len);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Walk a list-like array's child under `path[]`, each child element
    /// mapped to the row of the list slot holding it.
    fn list(
        &mut self,
        list: &dyn Array,
        child: &dyn Array,
        rows: Rows<'_>,
        span: impl Fn(usize) -> (usize, usize),
    ) {
        let child_rows = child_rows(list, child.len(), rows, span);
        let len = self.path.len();
        self.path.push_str("[]");
        self.at.push(0);
        self.walk(child, Rows::Mapped(&child_rows));
        self.at.pop();
        self.path.truncate(len);
    }

    /// A string-to-string map read as a JSON object: each value under
    /// `path.<key>`.
    fn object(
        &mut self,
        map: &dyn Array,
        keys: &dyn Array,
        values: &dyn Array,
        rows: Rows<'_>,
        span: impl Fn(usize) -> (usize, usize),
    ) {
        // Resolve dictionaries once; the key/value lookups below are per entry.
        let (Some(keys), Some(values)) = (DictStrings::of(keys), DictStrings::of(values)) else {
            return;
        };
        let len = self.path.len();
        let nulls = map.nulls();
        let leaf = self.leaf(Some(1));
        for i in 0..map.len() {
            let row = rows.get(i);
            if row == MASKED || nulls.is_some_and(|n| n.is_null(i)) {
                continue;
            }
            let (start, end) = span(i);
            for j in start..end {
                let (Some(key), Some(value)) = (keys.get(j), values.get(j)) else {
                    continue;
                };
                self.path.push('.');
                self.path.push_str(key);
                if self.rules.scans(&self.path) {
                    let id = self.chunk.intern_path(&self.path);
                    if self.push(row, id, value) {
                        self.place(leaf, j);
                    }
                }
                self.path.truncate(len);
            }
        }
    }

    fn strings(&mut self, s: Strings<'_>, rows: Rows<'_>) {
        if !self.rules.scans(&self.path) {
            return;
        }
        let id = self.chunk.intern_path(&self.path);
        if let Strings::Small(a) = s {
            self.reserve_offsets(a);
        } else if let Strings::Large(a) = s {
            self.reserve_offsets(a);
        }
        self.chunk.values.reserve(s.len());
        let leaf = self.leaf(None);
        for i in 0..s.len() {
            let row = rows.get(i);
            if row == MASKED {
                continue;
            }
            if let Some(text) = s.get(i) {
                if self.push(row, id, text) {
                    self.place(leaf, i);
                }
            }
        }
    }

    /// Integers of 6+ digits, as their decimal text and never as text (the
    /// JSON reader's rule: `-123456` and `12345` are not scanned).
    fn integers<T: arrow_array::ArrowPrimitiveType>(
        &mut self,
        a: &arrow_array::PrimitiveArray<T>,
        rows: Rows<'_>,
        unsigned: impl Fn(T::Native) -> Option<u64>,
    ) {
        if !self.rules.scans(&self.path) {
            return;
        }
        let id = self.chunk.intern_path(&self.path);
        let leaf = self.leaf(None);
        let was_text = std::mem::replace(&mut self.is_text, false);
        for i in 0..a.len() {
            let row = rows.get(i);
            if row == MASKED || a.is_null(i) {
                continue;
            }
            let Some(mut v) = unsigned(a.value(i)).filter(|&v| v >= 100_000) else {
                continue;
            };
            let mut buf = [0u8; 20];
            let mut k = buf.len();
            while v > 0 {
                k -= 1;
                buf[k] = b'0' + (v % 10) as u8;
                v /= 10;
            }
            let digits = std::str::from_utf8(&buf[k..]).unwrap_or("");
            if self.push(row, id, digits) {
                self.place(leaf, i);
            }
        }
        self.is_text = was_text;
    }

    fn reserve_offsets<O: OffsetSizeTrait>(&mut self, a: &GenericStringArray<O>) {
        let offsets = a.value_offsets();
        let bytes = offsets[offsets.len() - 1].as_usize() - offsets[0].as_usize();
        self.chunk.text.reserve(bytes);
    }

    fn dictionary(&mut self, d: &dyn AnyDictionaryArray, rows: Rows<'_>) {
        if !self.rules.scans(&self.path) {
            return;
        }
        let Some(values) = Strings::of(d.values().as_ref()) else {
            return;
        };
        if values.len() == 0 {
            return; // every key is null
        }
        let id = self.chunk.intern_path(&self.path);
        let keys = d.normalized_keys();
        let nulls = d.nulls();
        self.chunk.values.reserve(keys.len());
        let leaf = self.leaf(None);
        for (i, &k) in keys.iter().enumerate() {
            let row = rows.get(i);
            if row == MASKED || nulls.is_some_and(|n| n.is_null(i)) {
                continue;
            }
            if let Some(text) = values.get(k) {
                if self.push(row, id, text) {
                    self.place(leaf, i);
                }
            }
        }
    }

    /// Pushes a value; false when the chunk is full.
    #[inline]
    fn push(&mut self, row: u32, path: PathId, text: &str) -> bool {
        let start = self.chunk.text.len();
        let end = start + text.len();
        if end > u32::MAX as usize {
            self.overflow = true;
            return false;
        }
        self.chunk.text.push_str(text);
        self.chunk.values.push(TextValue {
            row,
            path,
            start: start as u32,
            end: end as u32,
            is_text: self.is_text,
        });
        true
    }
}

/// Row of every element of a list-like array's child: the row of the valid
/// list slot whose `span` holds it, or [`MASKED`].
fn child_rows(
    list: &dyn Array,
    child_len: usize,
    rows: Rows<'_>,
    span: impl Fn(usize) -> (usize, usize),
) -> Vec<u32> {
    let mut child_rows = vec![MASKED; child_len];
    let nulls = list.nulls();
    for i in 0..list.len() {
        let row = rows.get(i);
        if row == MASKED || nulls.is_some_and(|n| n.is_null(i)) {
            continue;
        }
        let (start, end) = span(i);
        if let Some(slots) = child_rows.get_mut(start..end) {
            slots.fill(row);
        }
    }
    child_rows
}

/// A string column that may also be dictionary encoded.
enum DictStrings<'a> {
    Plain(Strings<'a>),
    /// Keys resolved to indices, the dictionary itself (for its nulls), values.
    Dict(Vec<usize>, &'a dyn Array, Strings<'a>),
}

impl<'a> DictStrings<'a> {
    fn of(a: &'a dyn Array) -> Option<Self> {
        if let Some(d) = a.as_any_dictionary_opt() {
            let values = Strings::of(d.values().as_ref())?;
            if values.len() == 0 {
                // Only null keys can point into an empty dictionary.
                return Some(DictStrings::Dict(Vec::new(), a, values));
            }
            return Some(DictStrings::Dict(d.normalized_keys(), a, values));
        }
        Strings::of(a).map(DictStrings::Plain)
    }

    fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            DictStrings::Plain(s) => s.get(i),
            DictStrings::Dict(keys, dict, values) => {
                if dict.is_null(i) {
                    return None;
                }
                values.get(*keys.get(i)?)
            }
        }
    }
}

/// A top-level metadata value: a [`MetaValue`], or a value of a type that
/// has no truthiness (a date, a timestamp, bytes that are not UTF-8).
enum Meta<'a> {
    Value(MetaValue<'a>),
    /// Present but neither consent (no truthiness) nor absent provenance.
    Opaque,
}

/// OR the consent or provenance facts of `column` into `rows`.
fn apply_meta(rows: &mut [RowMeta], column: &dyn Array, role: Role) {
    let set = |row: &mut RowMeta, meta: Meta<'_>| match (role, meta) {
        (Role::Consent, Meta::Value(v)) => row.consented |= is_consented(v),
        (Role::Provenance, Meta::Value(v)) => row.has_provenance |= has_provenance(v),
        (Role::Provenance, Meta::Opaque) => row.has_provenance = true,
        _ => {}
    };
    if let Some(d) = column.as_any_dictionary_opt() {
        if d.values().is_empty() {
            return; // every key is null
        }
        let keys = d.normalized_keys();
        for (i, row) in rows.iter_mut().enumerate() {
            if !d.is_null(i) {
                set(row, meta_at(d.values().as_ref(), keys[i]));
            }
        }
        return;
    }
    for (i, row) in rows.iter_mut().enumerate() {
        set(row, meta_at(column, i));
    }
}

fn meta_at(a: &dyn Array, i: usize) -> Meta<'_> {
    use MetaValue as V;
    if matches!(a.data_type(), DataType::Null) || a.is_null(i) {
        return Meta::Value(V::Null);
    }
    let num = |x: f64| Meta::Value(V::Number(x));
    match a.data_type() {
        DataType::Boolean => Meta::Value(V::Bool(a.as_boolean().value(i))),
        DataType::Int8 => num(a.as_primitive::<Int8Type>().value(i) as f64),
        DataType::Int16 => num(a.as_primitive::<Int16Type>().value(i) as f64),
        DataType::Int32 => num(a.as_primitive::<Int32Type>().value(i) as f64),
        DataType::Int64 => num(a.as_primitive::<Int64Type>().value(i) as f64),
        DataType::UInt8 => num(a.as_primitive::<UInt8Type>().value(i) as f64),
        DataType::UInt16 => num(a.as_primitive::<UInt16Type>().value(i) as f64),
        DataType::UInt32 => num(a.as_primitive::<UInt32Type>().value(i) as f64),
        DataType::UInt64 => num(a.as_primitive::<UInt64Type>().value(i) as f64),
        DataType::Float16 => num(a.as_primitive::<Float16Type>().value(i).to_f64()),
        DataType::Float32 => num(a.as_primitive::<Float32Type>().value(i) as f64),
        DataType::Float64 => num(a.as_primitive::<Float64Type>().value(i)),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => match Strings::of(a) {
            Some(s) => Meta::Value(s.get(i).map_or(V::Null, V::Str)),
            None => Meta::Opaque,
        },
        DataType::Binary => utf8_or_opaque(a.as_binary::<i32>().value(i)),
        DataType::LargeBinary => utf8_or_opaque(a.as_binary::<i64>().value(i)),
        DataType::BinaryView => utf8_or_opaque(a.as_binary_view().value(i)),
        DataType::Decimal128(_, scale) => {
            num(a.as_primitive::<Decimal128Type>().value(i) as f64 / 10f64.powi(*scale as i32))
        }
        DataType::Struct(fields) => Meta::Value(V::Composite(fields.len())),
        DataType::List(_) => Meta::Value(V::Composite(a.as_list::<i32>().value_length(i) as usize)),
        DataType::LargeList(_) => {
            Meta::Value(V::Composite(a.as_list::<i64>().value_length(i) as usize))
        }
        DataType::FixedSizeList(_, n) => Meta::Value(V::Composite((*n).max(0) as usize)),
        DataType::Map(_, _) => Meta::Value(V::Composite(a.as_map().value_length(i) as usize)),
        _ => Meta::Opaque,
    }
}

fn utf8_or_opaque(b: &[u8]) -> Meta<'_> {
    std::str::from_utf8(b).map_or(Meta::Opaque, |s| Meta::Value(MetaValue::Str(s)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{DEFAULT_CONSENT, DEFAULT_PROVENANCE};
    use ::parquet::arrow::ArrowWriter;
    use ::parquet::basic::Compression;
    use ::parquet::file::properties::WriterProperties;
    use arrow_array::builder::{
        FixedSizeListBuilder, Int64Builder, ListBuilder, MapBuilder, StringBuilder,
        StringDictionaryBuilder, StructBuilder,
    };
    use arrow_array::types::Int8Type as K8;
    use arrow_array::{
        ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int64Array, StringArray,
    };
    use arrow_schema::{Field, Fields};
    use std::collections::BTreeSet;
    use std::sync::Arc;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join("fixtures/parquet")
            .join(name)
    }

    fn rules_with_text_fields(text_fields: &[&str]) -> FieldRules {
        FieldRules::new(
            DEFAULT_CONSENT.iter().map(|s| s.to_string()).collect(),
            DEFAULT_PROVENANCE.iter().map(|s| s.to_string()).collect(),
            text_fields.iter().map(|s| s.to_string()).collect(),
        )
    }

    fn read(path: &Path, rg: usize, rules: &FieldRules, batch: usize) -> Vec<Chunk> {
        let mut chunks = Vec::new();
        read_row_group(path, rg, rules, batch, &mut |c| chunks.push(c));
        chunks
    }

    /// A value with its file-wide row: (row, path, text, is_text).
    type Flat = (u64, String, String, bool);

    /// Read every row group; return all rows and all values, rows made file-wide.
    fn read_file(path: &Path, rules: &FieldRules, batch: usize) -> (Vec<RowMeta>, Vec<Flat>) {
        let plan = plan(path).unwrap();
        let (mut rows, mut values) = (Vec::new(), Vec::new());
        for rg in 0..plan.row_group_rows.len() {
            let before = rows.len();
            for chunk in read(path, rg, rules, batch) {
                assert!(chunk.errors.is_empty(), "{:?}", chunk.errors);
                assert!(chunk.rows.len() <= batch.max(1));
                let base = rows.len() as u64;
                for v in &chunk.values {
                    assert!((v.row as usize) < chunk.rows.len());
                    values.push((
                        base + v.row as u64,
                        chunk.paths[v.path as usize].clone(),
                        chunk.value_text(v).to_owned(),
                        v.is_text,
                    ));
                }
                rows.extend_from_slice(&chunk.rows);
            }
            assert_eq!((rows.len() - before) as u64, plan.row_group_rows[rg]);
        }
        values.sort();
        (rows, values)
    }

    fn which(rows: &[RowMeta], f: impl Fn(&RowMeta) -> bool) -> Vec<usize> {
        (0..rows.len()).filter(|&i| f(&rows[i])).collect()
    }

    fn count(values: &[Flat], path: &str) -> usize {
        values.iter().filter(|v| v.1 == path).count()
    }

    fn has(values: &[Flat], row: u64, path: &str, text: &str, is_text: bool) -> bool {
        values
            .iter()
            .any(|v| v.0 == row && v.1 == path && v.2 == text && v.3 == is_text)
    }

    /// Write one batch to a temporary Parquet file.
    fn temp_parquet(
        batch: &RecordBatch,
        props: Option<WriterProperties>,
    ) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        let mut writer = ArrowWriter::try_new(file.as_file_mut(), batch.schema(), props).unwrap();
        writer.write(batch).unwrap();
        writer.close().unwrap();
        file
    }

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(columns).unwrap()
    }

    /// (row, path, text) of a chunk's values, sorted.
    fn triples(c: &Chunk) -> Vec<(u32, String, String)> {
        let mut v: Vec<_> = c
            .values
            .iter()
            .map(|v| {
                (
                    v.row,
                    c.paths[v.path as usize].clone(),
                    c.value_text(v).to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn wide_rows_make_smaller_batches() {
        // 40 rows of 512 KB: 20 MB of text in one row group.
        let row = "wide ".repeat(512 * 1024 / 5);
        let texts: Vec<String> = (0..40).map(|i| format!("{i} {row}")).collect();
        let b = batch(vec![(
            "text",
            Arc::new(StringArray::from(texts.clone())) as ArrayRef,
        )]);
        let file = temp_parquet(&b, None);
        let chunks = read(file.path(), 0, &FieldRules::default(), 4096);
        assert!(chunks.len() >= 3, "{} chunks", chunks.len());
        for c in &chunks {
            let bytes = c.text.len() as u64;
            assert!(
                bytes <= BATCH_BYTES + 600 * 1024,
                "a chunk of {bytes} bytes"
            );
        }
        let all: Vec<String> = chunks
            .iter()
            .flat_map(|c| c.values.iter().map(|v| c.value_text(v).to_owned()))
            .collect();
        assert_eq!(all, texts);
        assert_eq!(chunks.iter().map(|c| c.rows.len()).sum::<usize>(), 40);
    }

    #[test]
    fn batch_rows_follow_the_average_row() {
        assert_eq!(rows_within_bytes(4096, 100_000, 180_000_000), 4096);
        assert_eq!(rows_within_bytes(4096, 10, 10 << 20), 8);
        assert_eq!(rows_within_bytes(4096, 1, 1 << 30), 1);
        assert_eq!(rows_within_bytes(4096, 0, 0), 4096);
        assert_eq!(rows_within_bytes(4096, 5, 0), 4096);
    }

    #[test]
    fn plan_lists_row_groups() {
        assert_eq!(
            plan(&fixture("nested.parquet")).unwrap().row_group_rows,
            [6, 6]
        );
        for (name, rows) in [
            ("hf/data/train-00000-of-00002.parquet", 4),
            ("hf/data/train-00001-of-00002.parquet", 3),
            ("hf/data/test-00000-of-00001.parquet", 3),
        ] {
            let p = plan(&fixture(name)).unwrap();
            assert_eq!(p.row_group_rows, [rows], "{name}");
            let chunks = read(&fixture(name), 0, &FieldRules::default(), 1024);
            assert_eq!(chunks.len(), 1);
            assert_eq!(chunks[0].rows.len(), rows as usize);
            assert_eq!(chunks[0].values.len(), rows as usize, "one `text` per row");
        }
    }

    #[test]
    fn consent_and_provenance_match_fixture_facts() {
        let path = fixture("nested.parquet");
        let rules = FieldRules::default();
        let per_group: Vec<(usize, usize)> = (0..2)
            .map(|rg| {
                let rows: Vec<RowMeta> = read(&path, rg, &rules, 1024)
                    .into_iter()
                    .flat_map(|c| c.rows)
                    .collect();
                assert_eq!(rows.len(), 6);
                assert!(rows.iter().all(|r| r.line == 0 && !r.malformed));
                (
                    rows.iter().filter(|r| r.consented).count(),
                    rows.iter().filter(|r| r.has_provenance).count(),
                )
            })
            .collect();
        assert_eq!(per_group, [(3, 3), (3, 4)]);

        let (rows, _) = read_file(&path, &rules, 1024);
        assert_eq!(rows.len(), 12);
        assert_eq!(which(&rows, |r| r.consented), [0, 3, 4, 6, 9, 10]);
        assert_eq!(which(&rows, |r| r.has_provenance), [0, 3, 5, 6, 7, 9, 11]);
    }

    #[test]
    fn nested_paths_rows_and_text() {
        let (_, values) = read_file(&fixture("nested.parquet"), &FieldRules::default(), 1024);
        assert_eq!(values.len(), 57);
        for (path, n) in [
            ("text", 11),
            ("meta.contact", 6),
            ("meta.tags[]", 10),
            ("messages[].role", 11),
            ("messages[].content", 10),
            ("source", 9),
        ] {
            assert_eq!(count(&values, path), n, "{path}");
        }
        let paths: BTreeSet<&str> = values.iter().map(|v| v.1.as_str()).collect();
        assert_eq!(paths.len(), 6, "{paths:?}");

        assert!(has(
            &values,
            0,
            "text",
            "The quick brown fox jumps over the lazy dog.",
            true
        ));
        assert!(has(&values, 7, "text", "", true));
        assert!(has(
            &values,
            0,
            "meta.contact",
            "jane.doe@example.com",
            true
        ));
        assert!(has(&values, 7, "meta.contact", "", true));
        assert!(has(&values, 4, "meta.tags[]", "geo", true));
        assert!(has(&values, 4, "meta.tags[]", "water", true));
        assert!(has(&values, 11, "meta.tags[]", "end", true));
        assert!(has(&values, 4, "messages[].role", "system", true));
        assert!(has(
            &values,
            4,
            "messages[].content",
            "Tell me about rivers.",
            true
        ));
        assert!(has(&values, 6, "messages[].role", "assistant", true));
        assert!(has(
            &values,
            6,
            "messages[].content",
            "Leaves drift, cold wind hums.",
            true
        ));
        assert!(has(&values, 11, "messages[].content", "Goodbye.", true));
        assert!(has(&values, 0, "source", "wiki-sample", false));
        assert!(has(&values, 1, "source", "", false));
        assert!(has(&values, 4, "source", "   ", false));
        assert!(values.iter().all(|v| v.3 == (v.1 != "source")));
        // Null rows push nothing.
        assert!(!values.iter().any(|v| v.0 == 5 && v.1 == "text"));
        assert!(!values.iter().any(|v| v.0 == 3 && v.1.starts_with("meta")));
        assert!(!values
            .iter()
            .any(|v| (v.0 == 2 || v.0 == 10) && v.1.starts_with("messages")));

        // The PII facts documented in examples/make_parquet_fixtures.rs.
        for (pii, at) in [
            ("jane.doe@example.com", [(0, "meta.contact"), (1, "text")]),
            (
                "john.roe@example.org",
                [(4, "meta.contact"), (8, "messages[].content")],
            ),
            (
                "4111 1111 1111 1111",
                [(2, "text"), (5, "messages[].content")],
            ),
            (
                "AKIAZ7TESTFIXTURE234",
                [(3, "text"), (9, "messages[].content")],
            ),
        ] {
            let found: Vec<(u64, &str)> = values
                .iter()
                .filter(|v| v.2.contains(pii))
                .map(|v| (v.0, v.1.as_str()))
                .collect();
            assert_eq!(found, at, "{pii}");
        }
    }

    #[test]
    fn text_field_restriction_pushes_only_that_path() {
        let rules = rules_with_text_fields(&["meta.contact"]);
        let (rows, values) = read_file(&fixture("nested.parquet"), &rules, 1024);
        assert_eq!(values.len(), 6);
        assert!(values.iter().all(|v| v.1 == "meta.contact" && v.3));
        assert!(has(
            &values,
            4,
            "meta.contact",
            "john.roe@example.org",
            true
        ));
        // Consent and provenance are still read for the row facts.
        assert_eq!(which(&rows, |r| r.consented), [0, 3, 4, 6, 9, 10]);
        assert_eq!(which(&rows, |r| r.has_provenance), [0, 3, 5, 6, 7, 9, 11]);

        let rules = rules_with_text_fields(&["messages[].content"]);
        let (_, values) = read_file(&fixture("nested.parquet"), &rules, 1024);
        assert_eq!(values.len(), 10);
        assert!(values.iter().all(|v| v.1 == "messages[].content"));
    }

    #[test]
    fn columns_without_strings_still_count_rows() {
        let rules = rules_with_text_fields(&["no_such_column"]);
        let path = fixture("hf/data/train-00000-of-00002.parquet");
        let chunks = read(&path, 0, &rules, 3);
        assert_eq!(
            chunks.iter().map(|c| c.rows.len()).collect::<Vec<_>>(),
            [3, 1]
        );
        assert!(chunks
            .iter()
            .all(|c| c.values.is_empty() && c.errors.is_empty()));
    }

    #[test]
    fn small_batches_split_row_groups() {
        let path = fixture("nested.parquet");
        let rules = FieldRules::default();
        for rg in 0..2 {
            let sizes: Vec<usize> = read(&path, rg, &rules, 4)
                .iter()
                .map(|c| c.rows.len())
                .collect();
            assert_eq!(sizes, [4, 2]);
            assert_eq!(read(&path, rg, &rules, 1).len(), 6);
        }
        let whole = read_file(&path, &rules, 1024);
        assert_eq!(read_file(&path, &rules, 4), whole);
        assert_eq!(read_file(&path, &rules, 1), whole);
        assert_eq!(read_file(&path, &rules, 0), whole, "0 is read as 1");
    }

    #[test]
    fn utf8_view_and_dictionary_columns() {
        let mut lang = StringDictionaryBuilder::<Int32Type>::new();
        for v in [Some("en"), Some("de"), None, Some("en")] {
            lang.append_option(v);
        }
        let mut consent = StringDictionaryBuilder::<K8>::new();
        for v in [Some("yes"), Some("no"), None, Some("rec-000123")] {
            consent.append_option(v);
        }
        let body: StringViewArray = [
            Some("short"),
            Some("a longer view string that does not fit inline: jane.doe@example.com"),
            None,
            Some(""),
        ]
        .into_iter()
        .collect();
        let origin: StringViewArray = [Some("crawl"), None, Some(" "), Some("books")]
            .into_iter()
            .collect();
        let b = batch(vec![
            ("body", Arc::new(body)),
            ("lang", Arc::new(lang.finish())),
            ("consent", Arc::new(consent.finish())),
            ("origin", Arc::new(origin)),
        ]);
        let file = temp_parquet(&b, None);

        // The file really hands back views and dictionaries.
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(File::open(file.path()).unwrap()).unwrap();
        let types: Vec<DataType> = builder
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        assert_eq!(types[0], DataType::Utf8View);
        assert!(
            matches!(types[1], DataType::Dictionary(..)),
            "{:?}",
            types[1]
        );
        assert!(
            matches!(types[2], DataType::Dictionary(..)),
            "{:?}",
            types[2]
        );

        let (rows, values) = read_file(file.path(), &FieldRules::default(), 1024);
        assert_eq!(which(&rows, |r| r.consented), [0, 3]);
        assert_eq!(which(&rows, |r| r.has_provenance), [0, 3]);
        let expect: Vec<Flat> = [
            (0, "body", "short", true),
            (0, "consent", "yes", false),
            (0, "lang", "en", true),
            (0, "origin", "crawl", false),
            (
                1,
                "body",
                "a longer view string that does not fit inline: jane.doe@example.com",
                true,
            ),
            (1, "consent", "no", false),
            (1, "lang", "de", true),
            (2, "origin", " ", false),
            (3, "body", "", true),
            (3, "consent", "rec-000123", false),
            (3, "lang", "en", true),
            (3, "origin", "books", false),
        ]
        .into_iter()
        .map(|(r, p, t, x)| (r, p.to_owned(), t.to_owned(), x))
        .collect();
        assert_eq!(values, expect);
    }

    #[test]
    fn truncated_file_is_a_clear_plan_error() {
        let path = fixture("truncated.parquet");
        let err = plan(&path).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ParquetError::Footer { .. }));
        assert!(msg.contains("truncated.parquet"), "{msg}");
        assert!(msg.contains("truncated"), "{msg}");

        let chunks = read(&path, 0, &FieldRules::default(), 1024);
        assert_eq!(chunks.len(), 1);
        assert!(chunks[0].rows.is_empty());
        assert_eq!(chunks[0].errors.len(), 1);
        assert!(chunks[0].errors[0].message.contains("truncated.parquet"));

        let missing = fixture("no-such-file.parquet");
        assert!(matches!(plan(&missing), Err(ParquetError::Open { .. })));
        let tiny = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tiny.path(), b"PAR1").unwrap();
        assert!(plan(tiny.path())
            .unwrap_err()
            .to_string()
            .contains("4 bytes"));
    }

    #[test]
    fn bad_row_group_and_corrupt_pages_are_error_chunks() {
        let path = fixture("nested.parquet");
        let chunks = read(&path, 2, &FieldRules::default(), 1024);
        assert_eq!(chunks.len(), 1);
        assert!(chunks[0].errors[0].message.contains("no such row group"));

        // Overwrite the page headers of `text` in row group 1: the footer is
        // fine, row group 0 reads, row group 1 fails without panicking.
        let mut bytes = std::fs::read(&path).unwrap();
        let meta = ParquetMetaDataReader::new()
            .parse_and_finish(&File::open(&path).unwrap())
            .unwrap();
        let (start, len) = meta.row_group(1).column(1).byte_range();
        for b in &mut bytes[start as usize..(start + len.min(24)) as usize] {
            *b = 0xA5;
        }
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &bytes).unwrap();
        assert_eq!(plan(file.path()).unwrap().row_group_rows, [6, 6]);
        let ok = read(file.path(), 0, &FieldRules::default(), 1024);
        assert!(ok.iter().all(|c| c.errors.is_empty()));
        let bad = read(file.path(), 1, &FieldRules::default(), 4);
        let last = bad.last().unwrap();
        assert!(last.rows.is_empty());
        assert_eq!(last.errors.len(), 1);
        assert_eq!(last.errors[0].row, Some(0));
        let msg = &last.errors[0].message;
        assert!(
            msg.contains("row group 1") && msg.contains(&*file.path().to_string_lossy()),
            "{msg}"
        );
    }

    #[test]
    fn a_file_rewritten_in_place_is_read_afresh() {
        let file = tempfile::NamedTempFile::new().unwrap();
        for rows in [3usize, 5] {
            let text: ArrayRef = Arc::new(StringArray::from(vec!["same text"; rows]));
            let b = batch(vec![("text", text)]);
            let mut bytes = Vec::new();
            let mut w = ArrowWriter::try_new(&mut bytes, b.schema(), None).unwrap();
            w.write(&b).unwrap();
            w.close().unwrap();
            std::fs::write(file.path(), &bytes).unwrap();
            assert_eq!(plan(file.path()).unwrap().row_group_rows, [rows as u64]);
            let chunks = read(file.path(), 0, &FieldRules::default(), 1024);
            assert_eq!(chunks[0].rows.len(), rows);
        }
    }

    /// String leaves, nested ones included, are decoded as views (no copy
    /// into a values buffer); other columns keep their types.
    #[test]
    fn string_leaves_are_read_as_views() {
        fn leaves(t: &DataType, out: &mut Vec<DataType>) {
            match t {
                DataType::List(c) | DataType::LargeList(c) => leaves(c.data_type(), out),
                DataType::Struct(cs) => cs.iter().for_each(|c| leaves(c.data_type(), out)),
                other => out.push(other.clone()),
            }
        }
        let file = File::open(fixture("nested.parquet")).unwrap();
        let meta = ParquetMetaDataReader::new()
            .parse_and_finish(&file)
            .unwrap();
        let plain = ArrowReaderMetadata::try_new(Arc::new(meta.clone()), ArrowReaderOptions::new())
            .unwrap();
        let views = reader_metadata(Arc::new(meta)).unwrap();
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for f in plain.schema().fields() {
            leaves(f.data_type(), &mut before);
        }
        for f in views.schema().fields() {
            leaves(f.data_type(), &mut after);
        }
        assert_eq!(before.len(), after.len());
        let is_string = |t: &DataType| matches!(t, DataType::Utf8 | DataType::LargeUtf8);
        assert!(
            before.iter().filter(|t| is_string(t)).count() >= 3,
            "{before:?}"
        );
        for (b, a) in before.iter().zip(&after) {
            let want = if is_string(b) { &DataType::Utf8View } else { b };
            assert_eq!(a, want, "{before:?} -> {after:?}");
        }
    }

    #[test]
    fn null_parents_mask_their_children() {
        // Builders keep child data under null parent slots: exactly what the
        // walker must not report.
        let mut meta = StructBuilder::new(
            Fields::from(vec![Field::new("contact", DataType::Utf8, true)]),
            vec![Box::new(StringBuilder::new())],
        );
        let mut tags = ListBuilder::new(StringBuilder::new());
        let mut msgs = ListBuilder::new(StructBuilder::new(
            Fields::from(vec![Field::new("content", DataType::Utf8, true)]),
            vec![Box::new(StringBuilder::new())],
        ));
        for (row, visible) in [(0, true), (1, false), (2, true)] {
            let text = format!("row{row}");
            meta.field_builder::<StringBuilder>(0)
                .unwrap()
                .append_value(&text);
            meta.append(visible);
            tags.values().append_value(&text);
            tags.values().append_value(format!("{text}b"));
            tags.append(visible);
            // Row 2: a null message struct inside a valid list.
            let items = msgs.values();
            items
                .field_builder::<StringBuilder>(0)
                .unwrap()
                .append_value(&text);
            items.append(row != 2);
            msgs.append(visible);
        }
        let b = batch(vec![
            ("meta", Arc::new(meta.finish())),
            ("tags", Arc::new(tags.finish())),
            ("messages", Arc::new(msgs.finish())),
        ]);
        let chunk = fill_chunk(&b, &FieldRules::default()).unwrap();
        assert_eq!(chunk.rows.len(), 3);
        let got = triples(&chunk);
        let want: Vec<(u32, String, String)> = [
            (0, "messages[].content", "row0"),
            (0, "meta.contact", "row0"),
            (0, "tags[]", "row0"),
            (0, "tags[]", "row0b"),
            (2, "meta.contact", "row2"),
            (2, "tags[]", "row2"),
            (2, "tags[]", "row2b"),
        ]
        .into_iter()
        .map(|(r, p, t)| (r, p.to_owned(), t.to_owned()))
        .collect();
        assert_eq!(got, want);
        assert!(!chunk.text.contains("row1"), "masked text is not copied");

        // Decoded into a recycled chunk (one that held another batch), the
        // batch gives the same chunk.
        let mut used = fill_chunk(&b, &FieldRules::default()).unwrap();
        used.push_error(None, Some(1), "stale");
        let again = fill_chunk_into(&b, &FieldRules::default(), used.recycle(usize::MAX)).unwrap();
        assert_eq!(again.rows.len(), 3);
        assert_eq!(triples(&again), want);
        assert_eq!(again.text, chunk.text);
        assert!(again.errors.is_empty());
    }

    #[test]
    fn maps_and_fixed_size_lists() {
        let mut attrs = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
        attrs.keys().append_value("email");
        attrs.values().append_value("jane.doe@example.com");
        attrs.keys().append_value("note");
        attrs.values().append_null();
        attrs.append(true).unwrap();
        attrs.keys().append_value("email");
        attrs.values().append_value("john.roe@example.org");
        attrs.append(true).unwrap();
        attrs.append(false).unwrap();

        let mut scores = MapBuilder::new(None, Int64Builder::new(), StringBuilder::new());
        scores.keys().append_value(7);
        scores.values().append_value("seven");
        scores.append(true).unwrap();
        scores.append(true).unwrap();
        scores.keys().append_value(9);
        scores.values().append_value("nine");
        scores.append(true).unwrap();

        let mut pair = FixedSizeListBuilder::new(StringBuilder::new(), 2);
        for (a, ok) in [("q0", true), ("q1", false), ("q2", true)] {
            pair.values().append_value(a);
            pair.values().append_value(format!("{a}-answer"));
            pair.append(ok);
        }
        let b = batch(vec![
            ("attrs", Arc::new(attrs.finish())),
            ("scores", Arc::new(scores.finish())),
            ("pair", Arc::new(pair.finish())),
        ]);

        let want: Vec<(u32, String, String)> = [
            (0, "attrs.email", "jane.doe@example.com"),
            (0, "pair[]", "q0"),
            (0, "pair[]", "q0-answer"),
            (0, "scores[].value", "seven"),
            (1, "attrs.email", "john.roe@example.org"),
            (2, "pair[]", "q2"),
            (2, "pair[]", "q2-answer"),
            (2, "scores[].value", "nine"),
        ]
        .into_iter()
        .map(|(r, p, t)| (r, p.to_owned(), t.to_owned()))
        .collect();
        assert_eq!(
            triples(&fill_chunk(&b, &FieldRules::default()).unwrap()),
            want
        );

        // The same through a Parquet file.
        let file = temp_parquet(&b, None);
        let chunks = read(file.path(), 0, &FieldRules::default(), 1024);
        assert_eq!(chunks.len(), 1);
        assert_eq!(triples(&chunks[0]), want);

        let rules = rules_with_text_fields(&["attrs.email"]);
        let got = triples(&fill_chunk(&b, &rules).unwrap());
        assert_eq!(got.iter().map(|t| t.0).collect::<Vec<_>>(), [0, 1]);
    }

    #[test]
    fn consent_and_provenance_of_every_type() {
        let consent_int: ArrayRef =
            Arc::new(Int64Array::from(vec![Some(1), Some(0), None, Some(2)]));
        let consent_f: ArrayRef =
            Arc::new(Float64Array::from(vec![Some(0.0), Some(1.0), None, None]));
        let opt_in: ArrayRef = Arc::new(StringArray::from(vec![
            None,
            None,
            Some("granted"),
            Some("revoked"),
        ]));
        let origin: ArrayRef = Arc::new(BooleanArray::from(vec![Some(false), None, None, None]));
        let mut provenance = StructBuilder::new(
            Fields::from(vec![Field::new("url", DataType::Utf8, true)]),
            vec![Box::new(StringBuilder::new())],
        );
        for ok in [false, true, false, false] {
            provenance
                .field_builder::<StringBuilder>(0)
                .unwrap()
                .append_value("https://example.com/doc");
            provenance.append(ok);
        }
        let mut source = ListBuilder::new(StringBuilder::new());
        source.append(true); // empty list: no source
        source.append(false);
        source.values().append_value("crawl-2024");
        source.append(true);
        source.append(false);
        let consent_dict: ArrayRef = Arc::new(
            [Some("no"), None, None, Some("yes")]
                .into_iter()
                .collect::<DictionaryArray<K8>>(),
        );
        let b = batch(vec![
            ("consent", consent_int),
            ("Consented", consent_f),
            ("OPT_IN", opt_in),
            ("consent_given", consent_dict),
            ("origin", origin),
            ("provenance", Arc::new(provenance.finish())),
            ("source", Arc::new(source.finish())),
        ]);
        let chunk = fill_chunk(&b, &FieldRules::default()).unwrap();
        assert_eq!(which(&chunk.rows, |r| r.consented), [0, 1, 2, 3]);
        assert_eq!(which(&chunk.rows, |r| r.has_provenance), [0, 1, 2]);
        assert!(chunk.values.iter().all(|v| !v.is_text));
        assert_eq!(
            triples(&chunk)
                .iter()
                .map(|t| (t.0, t.1.as_str()))
                .collect::<Vec<_>>(),
            [
                (0, "consent_given"),
                (1, "provenance.url"),
                (2, "OPT_IN"),
                (2, "source[]"),
                (3, "OPT_IN"),
                (3, "consent_given"),
            ]
        );

        // Nothing consents, nothing names a source.
        let b = batch(vec![
            (
                "consent",
                Arc::new(Int64Array::from(vec![Some(3), None])) as ArrayRef,
            ),
            ("source", Arc::new(StringArray::from(vec![Some(" "), None]))),
        ]);
        let chunk = fill_chunk(&b, &FieldRules::default()).unwrap();
        assert!(chunk.rows.iter().all(|r| !r.consented && !r.has_provenance));
    }

    /// Throughput of `read_row_group` on ~50 MB of prose (real English from
    /// /usr/share/common-licenses), one thread and one thread per row group.
    /// `cargo test --release --lib source::parquet::tests::throughput -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn throughput() {
        use std::time::Instant;
        let mut paragraphs = Vec::new();
        for entry in std::fs::read_dir("/usr/share/common-licenses").unwrap() {
            let path = entry.unwrap().path();
            if let Ok(text) = std::fs::read_to_string(&path) {
                paragraphs.extend(
                    text.split("\n\n")
                        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
                        .filter(|p| p.len() > 40),
                );
            }
        }
        assert!(!paragraphs.is_empty());
        let target = 50 << 20;
        let (mut rows, mut bytes, mut seed) = (Vec::new(), 0usize, 0x2545_f491_4f6c_dd1du64);
        while bytes < target {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let take = 1 + (seed % 3) as usize;
            let mut row = String::new();
            for k in 0..take {
                row.push_str(&paragraphs[(seed as usize / 7 + k * 31) % paragraphs.len()]);
                row.push(' ');
            }
            bytes += row.len();
            rows.push(row);
        }
        let n = rows.len();
        let text = StringArray::from(rows);
        let ids = Int64Array::from((0..n as i64).collect::<Vec<_>>());
        let source = StringArray::from(vec![Some("common-licenses"); n]);
        let consent = BooleanArray::from(vec![true; n]);
        let b = batch(vec![
            ("id", Arc::new(ids) as ArrayRef),
            ("text", Arc::new(text)),
            ("source", Arc::new(source)),
            ("consent", Arc::new(consent)),
        ]);
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(8 * 1024))
            .build();
        let file = temp_parquet(&b, Some(props));
        let size = std::fs::metadata(file.path()).unwrap().len();
        let plan = plan(file.path()).unwrap();
        println!(
            "{n} rows, {:.1} MB of text, file {:.1} MB, {} row groups",
            bytes as f64 / 1e6,
            size as f64 / 1e6,
            plan.row_group_rows.len()
        );
        let rules = FieldRules::default();
        let groups = plan.row_group_rows.len();
        let run = |threads: usize| {
            let start = Instant::now();
            let (rows, text) = std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let (path, rules) = (file.path(), &rules);
                        s.spawn(move || {
                            let (mut rows, mut text) = (0usize, 0usize);
                            for rg in (t..groups).step_by(threads) {
                                read_row_group(path, rg, rules, 4096, &mut |c| {
                                    rows += c.rows.len();
                                    text += c.text.len();
                                });
                            }
                            (rows, text)
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap())
                    .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
            });
            let secs = start.elapsed().as_secs_f64();
            assert_eq!(rows, n);
            (secs, rows as f64 / secs, text as f64 / 1e6 / secs)
        };
        // Baseline: the Arrow decoder alone (same batches, no chunk filling).
        let decode_only = || {
            let start = Instant::now();
            for rg in 0..groups {
                let reader =
                    ParquetRecordBatchReaderBuilder::try_new(File::open(file.path()).unwrap())
                        .unwrap()
                        .with_batch_size(4096)
                        .with_row_groups(vec![rg])
                        .build()
                        .unwrap();
                for b in reader {
                    std::hint::black_box(b.unwrap());
                }
            }
            start.elapsed().as_secs_f64()
        };
        run(1); // warm the page cache
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let base = median((0..5).map(|_| decode_only()).collect());
        println!(
            "arrow decode only (all columns), 1 thread, median of 5: {base:.3}s, {:.2} M rows/s, {:.0} MB/s",
            n as f64 / base / 1e6,
            bytes as f64 / 1e6 / base
        );
        for threads in [1, 2] {
            let mut runs: Vec<_> = (0..5).map(|_| run(threads)).collect();
            runs.sort_by(|a, b| a.0.total_cmp(&b.0));
            let (secs, rps, mbs) = runs[2];
            println!(
                "read_row_group, {threads} thread(s), median of 5: {secs:.3}s, {:.2} M rows/s, {mbs:.0} MB/s of string data",
                rps / 1e6
            );
        }
    }
}
