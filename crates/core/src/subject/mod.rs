//! `scour subject find | export | purge`: one person, or ten thousand,
//! looked up in every split and format, handed over or erased.
//!
//! A sink of the one pipeline ([`sink`]): the readers, the detectors and
//! their findings are the scan's own, so a subject is found exactly where
//! `scour scan` reports a value and `scour mask` replaces one, in every
//! string leaf and in the raw text of malformed lines. [`select`] turns the
//! requested identifiers into lookup tables once (normalised spellings,
//! pseudonyms and surrogates under the key, literals); [`hits`] and
//! [`export`] stream results as the scan goes; [`purge`] rewrites the
//! files with matches through the writers beside the readers
//! ([`crate::source::drop_rows`], [`crate::source::parquet_drop`]) and
//! [`receipt`] proves what was done. Subjects are only ever named by their
//! reference, never by the raw identifier.

pub mod export;
pub mod hits;
pub mod purge;
pub mod receipt;
pub mod select;
pub mod sink;

pub use select::{HitKind, Request, SelectError, Subjects};
pub use sink::{FileMatches, SubjectSink, Wants};

use std::sync::Arc;

use crate::detect::Scanner;
use crate::pipeline::PipelineOptions;
use crate::source::SourceFile;

/// Match `subjects` in `files`: one pass of the pipeline. Hits and
/// exported rows go to the writers attached to the returned sink's
/// builder (`prepare`) as the scan goes.
pub fn run(
    files: &[SourceFile],
    scanner: &Scanner,
    opts: &PipelineOptions,
    subjects: Arc<Subjects>,
    wants: Wants,
    prepare: impl FnOnce(&mut SubjectSink),
) -> Result<SubjectSink, rayon::ThreadPoolBuildError> {
    let mut sink = SubjectSink::new(
        subjects,
        scanner.detectors().to_vec(),
        files.to_vec(),
        wants,
    );
    prepare(&mut sink);
    crate::pipeline::run(files, scanner, opts, &mut sink)?;
    Ok(sink)
}
