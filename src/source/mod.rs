//! Readers: files in, [`crate::chunk::Chunk`]s out.
pub mod parquet;
