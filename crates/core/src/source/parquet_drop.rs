//! Parquet writer for purge: a file copied row group by row group without
//! some rows. The Arrow schema, the key-value metadata, each column's codec
//! and the row-group boundaries are kept (a row group loses exactly its
//! removed rows; one that loses all of them is left out); statistics are
//! recomputed by the writer. Memory: one batch at a time, plus the encoded
//! row group the writer holds until it is flushed.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use ::parquet::arrow::ArrowWriter;
use sha2::{Digest, Sha256};

/// Rows per decoded batch while copying.
const BATCH_ROWS: usize = 4096;

/// The SHA-256 of a file, read once.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Copy `input` to `out` without the rows `removed` (0-based, sorted,
/// distinct). `scanned_sha256` is the input's hash when it was scanned: a
/// file that changed since is refused. Returns `out` and the rows written.
pub fn drop_rows<W: Write + Send>(
    input: &Path,
    out: W,
    removed: &[u64],
    scanned_sha256: &str,
) -> Result<(W, u64), String> {
    let err = |what: &str, e: &dyn std::fmt::Display| format!("{what}: {e}");
    let now = sha256_file(input).map_err(|e| err("cannot read", &e))?;
    if now != scanned_sha256 {
        return Err(format!(
            "changed since it was scanned (SHA-256 {now}, scanned {scanned_sha256}); nothing was removed, run again"
        ));
    }
    let file = File::open(input).map_err(|e| err("cannot open", &e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| err("cannot read the footer", &e))?;
    let meta = builder.metadata().clone();
    let schema = builder.schema().clone();
    let props = super::parquet_write::writer_properties(&meta);
    let mut writer = ArrowWriter::try_new(out, schema, Some(props))
        .map_err(|e| err("cannot start writing", &e))?;
    drop(builder);
    let mut base = 0u64;
    let mut written = 0u64;
    let mut next = removed.iter().copied().peekable();
    for rg in 0..meta.num_row_groups() {
        let file = File::open(input).map_err(|e| err("cannot open", &e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| {
                b.with_row_groups(vec![rg])
                    .with_batch_size(BATCH_ROWS)
                    .build()
            })
            .map_err(|e| err(&format!("row group {rg}: cannot start decoding"), &e))?;
        for batch in reader {
            let batch = batch.map_err(|e| err(&format!("row group {rg}: cannot decode"), &e))?;
            let n = batch.num_rows() as u64;
            // Runs of kept rows between the removed ones.
            let mut at = 0u64;
            while at < n {
                let stop = match next.peek() {
                    Some(&r) if r < base + n => r - base,
                    _ => n,
                };
                if stop > at {
                    let slice = batch.slice(at as usize, (stop - at) as usize);
                    writer
                        .write(&slice)
                        .map_err(|e| err(&format!("row group {rg}: cannot write"), &e))?;
                    written += stop - at;
                }
                if stop < n {
                    next.next();
                }
                at = stop + 1;
            }
            base += n;
        }
        // One input row group, one output row group.
        writer
            .flush()
            .map_err(|e| err(&format!("row group {rg}: cannot write"), &e))?;
    }
    if let Some(r) = next.next() {
        return Err(format!(
            "row {r} to remove is past the file's {base} rows; nothing was removed"
        ));
    }
    let out = writer
        .into_inner()
        .map_err(|e| err("cannot finish the file", &e))?;
    Ok((out, written))
}
