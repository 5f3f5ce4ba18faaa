//! The Article 10 report: model, Python-compatible JSON, signing, Markdown, HTML, SARIF.

pub mod aggregate;
pub mod build;
pub mod gates;
pub mod html;
pub mod markdown;
pub mod pyjson;
pub mod sarif;
pub mod sign;
pub mod state;
