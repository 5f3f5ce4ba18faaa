//! Readers: files in, [`crate::chunk::Chunk`]s out.
//!
//! Reading is split in two: [`produce`] runs sequentially per file (disk,
//! hash, decompression, record boundaries) and emits [`produce::Job`]s;
//! [`parse`] runs on any worker and turns a job into a chunk. Parquet skips
//! the first half: its row groups are independent jobs.

pub mod discover;
pub mod jsonwalk;
pub mod parquet;
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
