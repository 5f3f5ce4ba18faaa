//! The Article 10 report: model, Python-compatible JSON, signing, Markdown.
pub mod pyjson;
pub mod sign;
