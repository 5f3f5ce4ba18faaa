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
//! recomputed by the writer. Memory: one batch at a time, plus the encoded
//! row group the writer holds until it is flushed.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use ::parquet::arrow::ArrowWriter;
use ::parquet::file::metadata::KeyValue;
use ::parquet::file::properties::WriterProperties;
use arrow_array::cast::AsArray;
use arrow_array::types::ArrowDictionaryKeyType;
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
    let mut writer = ArrowWriter::try_new(out, schema, Some(props.build()))
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

/// `batch` with the edited values replaced.
fn apply_batch(
    batch: &RecordBatch,
    rules: &FieldRules,
    e: &BatchEdits,
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
        let (&col, rest) = at.split_first().ok_or("an empty leaf path")?;
        let column = columns
            .get_mut(col as usize)
            .ok_or("a leaf names a column the batch does not have")?;
        *column = rebuild(column, rest, &news)?;
    }
    RecordBatch::try_new(batch.schema(), columns).map_err(|e| e.to_string())
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
    fn plain<O: OffsetSizeTrait>(a: &GenericStringArray<O>, news: &[(usize, String)]) -> ArrayRef {
        let mut it = news.iter().peekable();
        let out: GenericStringArray<O> = (0..a.len())
            .map(|i| match it.next_if(|n| n.0 == i) {
                Some(n) => Some(n.1.as_str()),
                None => a.is_valid(i).then(|| a.value(i)),
            })
            .collect();
        Arc::new(out)
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
        DataType::Utf8 => Ok(plain(array.as_string::<i32>(), news)),
        DataType::LargeUtf8 => Ok(plain(array.as_string::<i64>(), news)),
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
        other => Err(format!("cannot replace strings in a {other} array")),
    }
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
