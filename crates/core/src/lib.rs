//! scour: a streaming scanner for machine-learning training corpora.
//!
//! The pipeline (see `DESIGN.md` in the shared folder) is
//! `source` → `fields` → `detect` → sinks, run over rayon with an ordered
//! merge so that every output is identical for any thread count.

pub mod audit;
pub mod chunk;
pub mod config;
pub mod detect;
pub mod fields;
pub mod findings;
pub mod keys;
pub mod mask;
pub mod pipeline;
pub mod report;
pub mod shard;
pub mod source;
pub mod stats;
pub mod subject;
pub mod util;
