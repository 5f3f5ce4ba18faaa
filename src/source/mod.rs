//! Readers: files in, [`crate::chunk::Chunk`]s out.
//!
//! Reading is split in two: [`produce`] runs sequentially per file (disk,
//! hash, decompression, record boundaries) and emits [`produce::Job`]s;
//! [`parse`] runs on any worker and turns a job into a chunk. Parquet skips
//! the first half: its row groups are independent jobs.

pub mod discover;
pub mod jsonwalk;
pub mod parquet;
pub mod parse;
pub mod produce;

pub use discover::{Compression, Format, SourceFile, Split};
