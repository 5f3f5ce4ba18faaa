//! Subcommands that have outgrown `main.rs`, one module each.

pub mod audit;
pub mod mask;
pub mod merge;
pub mod subject;
