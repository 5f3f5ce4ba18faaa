//! Readers: files in, [`crate::chunk::Chunk`]s out.
//!
//! Reading is split in two: [`produce`] runs sequentially per file (disk,
//! hash, decompression, record boundaries; for Parquet the footer, one job
//! per row group) and emits [`produce::Job`]s; [`parse`] (text) and
//! [`parquet`] run on any worker and turn a job into chunks.
//!
//! Writers sit beside the readers and mirror them: [`splice`] turns a text
//! job and its chunk's edits back into the job's bytes with only the spans
//! changed; [`parquet_write`] copies a Parquet file batch by batch with the
//! edited strings replaced.

pub mod discover;
pub mod drop_rows;
pub mod jsonwalk;
pub mod parquet;
pub mod parquet_drop;
pub mod parquet_rows;
pub mod parquet_write;
pub mod parse;
pub mod produce;
pub mod splice;

pub use discover::{Compression, Format, SourceFile, Split};

/// The input a chunk was read from, handed to sinks that write a copy of
/// it (the masker): a text job's bytes, or a Parquet batch.
#[derive(Debug, Clone, Copy)]
pub enum Raw<'a> {
    Job(&'a produce::Job),
    /// A Parquet batch (the masker's Parquet writer reads it from its
    /// own reader; see `write`).
    Batch,
}
