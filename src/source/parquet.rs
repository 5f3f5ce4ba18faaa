//! Parquet reader: one row group in, [`Chunk`]s of `batch_rows` rows out.
//!
//! The pipeline first calls [`plan`], which reads only the footer, and then
//! runs one job per row group with [`read_row_group`]. Each job opens its own
//! file handle and Arrow reader, so row groups decode in parallel on any
//! thread, and memory is bounded by the batch size, not the file size.
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

use ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use ::parquet::arrow::ProjectionMask;
use ::parquet::file::metadata::ParquetMetaDataReader;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal128Type, Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{
    AnyDictionaryArray, Array, GenericStringArray, OffsetSizeTrait, RecordBatch, StringViewArray,
};
use arrow_schema::DataType;

use crate::chunk::{Chunk, PathId, RowMeta, TextValue};
use crate::fields::{has_provenance, is_consented, FieldRules, MetaValue, Role};

/// Footer facts needed to plan parallel work: one job per row group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetPlan {
    /// Rows in each row group, in file order.
    pub row_group_rows: Vec<u64>,
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
    .map_err(|e| footer_err(e.to_string()))?;

    let mut row_group_rows = Vec::with_capacity(metadata.num_row_groups());
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
    }
    Ok(ParquetPlan { row_group_rows })
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
    let batch_rows = batch_rows.max(1);
    let fail = |emit: &mut dyn FnMut(Chunk), rows_done: u64, what: String| {
        let mut chunk = Chunk::default();
        chunk.push_error(
            None,
            Some(0),
            format!(
                "{}: row group {row_group}: {what}; rows from {rows_done} of this row group on were not scanned",
                path.display()
            ),
        );
        emit(chunk);
    };

    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return fail(emit, 0, format!("cannot open: {e}")),
    };
    let builder = match catch_unwind(AssertUnwindSafe(|| {
        ParquetRecordBatchReaderBuilder::try_new(file)
    })) {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => return fail(emit, 0, format!("cannot read the footer: {e}")),
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
        Ok(Err(e)) => return fail(emit, 0, format!("cannot start decoding: {e}")),
        Err(p) => return fail(emit, 0, format!("decoder crashed: {}", panic_text(&p))),
    };

    let mut rows_done = 0u64;
    loop {
        let batch = match catch_unwind(AssertUnwindSafe(|| reader.next())) {
            Ok(None) => break,
            Ok(Some(Ok(batch))) => batch,
            Ok(Some(Err(e))) => return fail(emit, rows_done, format!("cannot decode: {e}")),
            Err(p) => {
                return fail(
                    emit,
                    rows_done,
                    format!("decoder crashed: {}", panic_text(&p)),
                )
            }
        };
        match fill_chunk(&batch, rules) {
            Ok(chunk) => emit(chunk),
            Err(what) => return fail(emit, rows_done, what),
        }
        rows_done += batch.num_rows() as u64;
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

/// Whether a column of this type can hold a string leaf the walker reads.
fn has_string_leaf(dt: &DataType) -> bool {
    match dt {
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::FixedSizeList(f, _)
        | DataType::Map(f, _) => has_string_leaf(f.data_type()),
        DataType::Struct(fs) => fs.iter().any(|f| has_string_leaf(f.data_type())),
        dt => is_string_type(dt),
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

/// Decode one record batch into a chunk. `Err` only when the batch's text
/// does not fit a chunk (4 GiB).
fn fill_chunk(batch: &RecordBatch, rules: &FieldRules) -> Result<Chunk, String> {
    let n = batch.num_rows();
    let mut walk = Walker {
        rules,
        chunk: Chunk {
            rows: vec![RowMeta::default(); n],
            ..Chunk::default()
        },
        path: String::new(),
        is_text: true,
        overflow: false,
    };
    let schema = batch.schema();
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
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
        walk.walk(column.as_ref(), Rows::Identity);
        if walk.overflow {
            return Err(format!(
                "the {n} rows of one batch hold more than 4 GiB of text; use smaller batches"
            ));
        }
    }
    Ok(walk.chunk)
}

struct Walker<'r> {
    rules: &'r FieldRules,
    chunk: Chunk,
    /// Path of the array being walked; children push and pop their suffix.
    path: String,
    is_text: bool,
    overflow: bool,
}

impl Walker<'_> {
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
                for (field, child) in s.fields().iter().zip(s.columns()) {
                    if !has_string_leaf(field.data_type()) {
                        continue;
                    }
                    self.path.push('.');
                    self.path.push_str(field.name());
                    self.walk(child.as_ref(), child_rows);
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
                    self.list(m, m.entries(), rows, span);
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
        let mut child_rows = vec![MASKED; child.len()];
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
        let len = self.path.len();
        self.path.push_str("[]");
        self.walk(child, Rows::Mapped(&child_rows));
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
                    self.push(row, id, value);
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
        for i in 0..s.len() {
            let row = rows.get(i);
            if row == MASKED {
                continue;
            }
            if let Some(text) = s.get(i) {
                self.push(row, id, text);
            }
        }
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
        for (i, &k) in keys.iter().enumerate() {
            let row = rows.get(i);
            if row == MASKED || nulls.is_some_and(|n| n.is_null(i)) {
                continue;
            }
            if let Some(text) = values.get(k) {
                self.push(row, id, text);
            }
        }
    }

    #[inline]
    fn push(&mut self, row: u32, path: PathId, text: &str) {
        let start = self.chunk.text.len();
        let end = start + text.len();
        if end > u32::MAX as usize {
            self.overflow = true;
            return;
        }
        self.chunk.text.extend_from_slice(text.as_bytes());
        self.chunk.values.push(TextValue {
            row,
            path,
            start: start as u32,
            end: end as u32,
            is_text: self.is_text,
        });
    }
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
