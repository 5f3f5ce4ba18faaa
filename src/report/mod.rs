//! The Article 10 report: model, Python-compatible JSON, signing, Markdown.

pub mod aggregate;
pub mod build;
pub mod gates;
pub mod markdown;
pub mod pyjson;
pub mod sign;
