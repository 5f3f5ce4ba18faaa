//! Whole Parquet rows as JSON, for `subject export`: the scan reads only
//! string leaves, but an access request hands over the row as stored, every
//! column included. Only the requested rows are converted; the file is read
//! row group by row group, one batch at a time.

use std::fs::File;
use std::path::Path;

use ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use serde_json::{Map, Number, Value};

/// The rows `rows` (0-based, sorted, distinct) of the Parquet file at
/// `path`, each as a JSON object by column name, in order.
pub fn rows_json(path: &Path, rows: &[u64]) -> Result<Vec<Value>, String> {
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(4096).build())
        .map_err(|e| format!("cannot read: {e}"))?;
    let mut out = Vec::with_capacity(rows.len());
    let mut next = rows.iter().copied().peekable();
    let mut base = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| format!("cannot decode: {e}"))?;
        let n = batch.num_rows() as u64;
        while let Some(r) = next.next_if(|&r| r < base + n) {
            out.push(row_json(&batch, (r - base) as usize));
        }
        base += n;
        if next.peek().is_none() {
            break;
        }
    }
    if out.len() != rows.len() {
        return Err(format!("{} of {} rows found", out.len(), rows.len()));
    }
    Ok(out)
}

fn row_json(batch: &RecordBatch, i: usize) -> Value {
    let mut obj = Map::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        obj.insert(f.name().clone(), value_json(c.as_ref(), i));
    }
    Value::Object(obj)
}

fn float(v: f64) -> Value {
    Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// One element of an Arrow array as JSON: numbers, strings, booleans,
/// lists, structs, maps and dictionaries as themselves; binary as hex;
/// other types (dates, times, decimals) as Arrow prints them.
fn value_json(a: &dyn Array, i: usize) -> Value {
    if a.is_null(i) {
        return Value::Null;
    }
    let list = |v: std::sync::Arc<dyn Array>| -> Value {
        Value::Array((0..v.len()).map(|j| value_json(v.as_ref(), j)).collect())
    };
    match a.data_type() {
        DataType::Boolean => a.as_boolean().value(i).into(),
        DataType::Int8 => a.as_primitive::<Int8Type>().value(i).into(),
        DataType::Int16 => a.as_primitive::<Int16Type>().value(i).into(),
        DataType::Int32 => a.as_primitive::<Int32Type>().value(i).into(),
        DataType::Int64 => a.as_primitive::<Int64Type>().value(i).into(),
        DataType::UInt8 => a.as_primitive::<UInt8Type>().value(i).into(),
        DataType::UInt16 => a.as_primitive::<UInt16Type>().value(i).into(),
        DataType::UInt32 => a.as_primitive::<UInt32Type>().value(i).into(),
        DataType::UInt64 => a.as_primitive::<UInt64Type>().value(i).into(),
        DataType::Float32 => float(a.as_primitive::<Float32Type>().value(i) as f64),
        DataType::Float64 => float(a.as_primitive::<Float64Type>().value(i)),
        DataType::Utf8 => a.as_string::<i32>().value(i).into(),
        DataType::LargeUtf8 => a.as_string::<i64>().value(i).into(),
        DataType::Utf8View => a.as_string_view().value(i).into(),
        DataType::Binary => hex::encode(a.as_binary::<i32>().value(i)).into(),
        DataType::LargeBinary => hex::encode(a.as_binary::<i64>().value(i)).into(),
        DataType::List(_) => list(a.as_list::<i32>().value(i)),
        DataType::LargeList(_) => list(a.as_list::<i64>().value(i)),
        DataType::FixedSizeList(_, _) => list(a.as_fixed_size_list().value(i)),
        DataType::Struct(fields) => {
            let s = a.as_struct();
            let mut obj = Map::new();
            for (f, c) in fields.iter().zip(s.columns()) {
                obj.insert(f.name().clone(), value_json(c.as_ref(), i));
            }
            Value::Object(obj)
        }
        DataType::Map(_, _) => {
            let m = a.as_map();
            let entries = m.value(i);
            let (k, v) = (entries.column(0), entries.column(1));
            Value::Array(
                (0..entries.len())
                    .map(|j| {
                        Value::Array(vec![value_json(k.as_ref(), j), value_json(v.as_ref(), j)])
                    })
                    .collect(),
            )
        }
        DataType::Dictionary(_, _) => {
            let d = a.as_any_dictionary();
            let keys = d.normalized_keys();
            match keys.get(i) {
                Some(&k) => value_json(d.values().as_ref(), k),
                None => Value::Null,
            }
        }
        _ => Value::String(
            format!("{:?}", a.slice(i, 1))
                .lines()
                .skip(1)
                .map(str::trim)
                .filter(|l| !l.is_empty() && *l != "]")
                .collect::<Vec<_>>()
                .join(" ")
                .trim_end_matches(',')
                .to_string(),
        ),
    }
}
