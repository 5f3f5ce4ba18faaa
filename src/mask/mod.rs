//! `scour mask`: masked copies of a corpus, a sink of the one pipeline.
//!
//! Workers turn each chunk's findings into edits and let the format's
//! writer (beside its reader in [`crate::source`]) splice them into a copy
//! of the chunk's input; the merging thread streams those pieces, in file
//! and row order, into one temp file per output and publishes it when the
//! file is complete. Nothing holds a whole file: memory stays bounded by
//! the pipeline's jobs in flight. The outputs are then scanned again
//! ([`verify`]) and the run is written up in a signed manifest
//! ([`manifest`]).

pub mod manifest;
pub mod output;
pub mod replace;
pub mod surrogate;
pub mod verify;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::chunk::Chunk;
use crate::detect::Detector;
use crate::fields::FieldRules;
use crate::pipeline::{ChunkMap, Sink, ValueFinding, Worker};
use crate::source::parquet_write::{rewrite, BatchEdits};
use crate::source::produce::FileTail;
use crate::source::splice::{splice_job, Edit};
use crate::source::{Format, Raw, SourceFile};

pub use replace::{Mode, Replacer};

use output::{encode_piece, OutFile};

/// What to mask and how.
#[derive(Debug, Clone)]
pub struct MaskPlan {
    pub replacer: Replacer,
    /// Per detector (index into the scanner's table): whether its spans are
    /// masked.
    pub masked: Vec<bool>,
}

/// One input and where its masked copy goes.
#[derive(Debug, Clone)]
pub struct Target {
    pub input: SourceFile,
    /// Output path, relative to the output directory.
    pub relative: PathBuf,
    /// Output path.
    pub output: PathBuf,
}

/// What masking one file came to.
#[derive(Debug, Clone, Default)]
pub struct FileResult {
    pub rows: u64,
    /// Masked spans per detector index.
    pub masked: BTreeMap<u16, u64>,
    /// Records that could not be parsed (copied with their raw text
    /// masked) and other input problems that did not stop the copy.
    pub input_problems: u64,
    /// Why the file was not written; empty when it was.
    pub errors: Vec<String>,
    pub input_sha256: String,
    /// SHA-256 and size of the output as written, when it was.
    pub output: Option<(String, u64)>,
    /// Residual findings per detector index in the output (see [`verify`]).
    pub residual: BTreeMap<u16, u64>,
}

/// What a worker makes of one chunk.
pub struct MaskPart {
    rows: u64,
    masked: Vec<(u16, u64)>,
    problems: u64,
    /// The chunk's piece of the output, compressed like the input.
    bytes: Vec<u8>,
    /// A Parquet batch's edits (its file is rewritten when complete).
    batch: Option<BatchEdits>,
    /// (line, chunk-local row, message) when the chunk could not be masked.
    error: Option<(Option<u64>, Option<u64>, String)>,
}

/// The worker side: findings → edits → the format's writer.
pub struct MaskMap<'s> {
    scanner: &'s crate::detect::Scanner,
    targets: Arc<Vec<Target>>,
    plan: Arc<MaskPlan>,
    detectors: Vec<&'static Detector>,
    rules: FieldRules,
}

impl ChunkMap for MaskMap<'_> {
    type Part = MaskPart;

    fn map(
        &self,
        file: usize,
        chunk: &Chunk,
        raw: Raw<'_>,
        found: &[ValueFinding],
        worker: &mut Worker,
    ) -> MaskPart {
        let mut part = MaskPart {
            rows: chunk.rows.len() as u64,
            masked: Vec::new(),
            problems: chunk.errors.len() as u64,
            bytes: Vec::new(),
            batch: None,
            error: None,
        };
        let mut counts: BTreeMap<u16, u64> = BTreeMap::new();
        let mut edits = Vec::new();
        for f in found {
            let d = f.finding.detector;
            if !self.plan.masked.get(d as usize).copied().unwrap_or(false) {
                continue;
            }
            let Some(v) = chunk.values.get(f.value as usize) else {
                continue;
            };
            let detector = self.detectors[d as usize];
            let scanner = self.scanner;
            let mut found = Vec::new();
            // A surrogate must not be found by any detector where it stands.
            let mut accept = |t: &str, span: std::ops::Range<usize>| {
                found.clear();
                scanner.scan(t, &mut worker.scan, &mut found);
                !found
                    .iter()
                    .any(|f| (f.start as usize) < span.end && f.end as usize > span.start)
            };
            let text = self.plan.replacer.replacement(
                detector,
                chunk.value_text(v),
                f.finding.range(),
                &mut accept,
            );
            edits.push(Edit {
                value: f.value,
                start: f.finding.start,
                end: f.finding.end,
                text,
            });
            *counts.entry(d).or_insert(0) += 1;
        }
        part.masked = counts.into_iter().collect();
        edits.sort_by_key(|e| (e.value, e.start));
        let Raw::Job(job) = raw else {
            if let Some(e) = chunk.errors.first() {
                part.error = Some((None, None, e.message.clone()));
                return part;
            }
            let lengths = edits
                .iter()
                .map(|e| {
                    chunk
                        .values
                        .get(e.value as usize)
                        .map_or(0, |v| v.end - v.start)
                })
                .collect();
            part.batch = Some(BatchEdits {
                values: chunk.values.len() as u32,
                edits,
                lengths,
            });
            return part;
        };
        let mut out = Vec::new();
        if let Err(e) = splice_job(job, chunk, &edits, &self.rules, &mut out) {
            part.error = Some((e.line, Some(e.row), format!("cannot mask: {}", e.message)));
            return part;
        }
        let compression = self.targets[file].input.compression;
        match encode_piece(compression, out) {
            Ok(b) => part.bytes = b,
            Err(e) => part.error = Some((None, None, format!("cannot compress: {e}"))),
        }
        part
    }
}

/// The merging side: pieces streamed into the output files, in order.
pub struct MaskSink<'s> {
    scanner: &'s crate::detect::Scanner,
    targets: Arc<Vec<Target>>,
    plan: Arc<MaskPlan>,
    detectors: Vec<&'static Detector>,
    rules: FieldRules,
    current: Option<(usize, OutFile)>,
    /// The Parquet file being read: its batches so far and their edits.
    batches: u64,
    parquet_edits: BTreeMap<u64, BatchEdits>,
    pub results: Vec<FileResult>,
}

impl<'s> MaskSink<'s> {
    pub fn new(
        scanner: &'s crate::detect::Scanner,
        targets: Vec<Target>,
        plan: MaskPlan,
        detectors: Vec<&'static Detector>,
        rules: FieldRules,
    ) -> MaskSink<'s> {
        MaskSink {
            scanner,
            results: vec![FileResult::default(); targets.len()],
            targets: Arc::new(targets),
            plan: Arc::new(plan),
            detectors,
            rules,
            current: None,
            batches: 0,
            parquet_edits: BTreeMap::new(),
        }
    }

    /// Writes a Parquet file's copy once all its batches are in.
    fn rewrite_parquet(&mut self, file: usize) {
        let edits = std::mem::take(&mut self.parquet_edits);
        self.batches = 0;
        let target = &self.targets[file];
        let out = match OutFile::create(&target.output) {
            Ok(o) => o,
            Err(e) => {
                let msg = format!("{}: cannot create: {e}", target.output.display());
                self.fail(file, msg);
                return;
            }
        };
        let res = rewrite(
            &target.input.path,
            out,
            crate::pipeline::PARQUET_BATCH_ROWS,
            &self.rules,
            &edits,
        );
        match res {
            Ok((out, rows)) if rows == self.results[file].rows => match out.commit() {
                Ok(done) => self.results[file].output = Some(done),
                Err(e) => self.fail(file, format!("cannot publish: {e}")),
            },
            Ok((_, rows)) => self.fail(
                file,
                format!(
                    "{rows} rows written, {} scanned; not written",
                    self.results[file].rows
                ),
            ),
            Err(e) => self.fail(file, format!("cannot write the copy: {e}")),
        }
    }

    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    pub fn plan(&self) -> &MaskPlan {
        &self.plan
    }

    /// Open `file`'s output if it is not open yet.
    fn output(&mut self, file: usize) -> Option<&mut OutFile> {
        if self.current.as_ref().map(|c| c.0) != Some(file) {
            let path = &self.targets[file].output;
            match OutFile::create(path) {
                Ok(f) => self.current = Some((file, f)),
                Err(e) => {
                    self.current = None;
                    self.results[file]
                        .errors
                        .push(format!("{}: cannot create: {e}", path.display()));
                    return None;
                }
            }
        }
        self.current.as_mut().map(|c| &mut c.1)
    }

    fn fail(&mut self, file: usize, message: String) {
        self.results[file].errors.push(message);
        // Dropping the temp file leaves nothing under the final name.
        if self.current.as_ref().map(|c| c.0) == Some(file) {
            self.current = None;
        }
    }
}

impl<'s> Sink for MaskSink<'s> {
    type Map = MaskMap<'s>;

    fn mapper(&self) -> MaskMap<'s> {
        MaskMap {
            scanner: self.scanner,
            targets: self.targets.clone(),
            plan: self.plan.clone(),
            detectors: self.detectors.clone(),
            rules: self.rules.clone(),
        }
    }

    fn fold(&mut self, file: usize, part: MaskPart) {
        let res = &mut self.results[file];
        let row_base = res.rows;
        res.rows += part.rows;
        res.input_problems += part.problems;
        for (d, n) in part.masked {
            *res.masked.entry(d).or_insert(0) += n;
        }
        if !res.errors.is_empty() {
            return;
        }
        if let Some(b) = part.batch {
            if !b.edits.is_empty() {
                self.parquet_edits.insert(self.batches, b);
            }
            self.batches += 1;
            return;
        }
        if let Some((line, row, message)) = part.error {
            let at = match (line, row) {
                (Some(l), Some(r)) => format!("line {l}, row {}: ", r + row_base + 1),
                (None, Some(r)) => format!("row {}: ", r + row_base + 1),
                _ => String::new(),
            };
            self.fail(file, format!("{at}{message}"));
            return;
        }
        let written = match self.output(file) {
            Some(out) => out.write(&part.bytes),
            None => return,
        };
        if let Err(e) = written {
            let path = self.targets[file].output.display().to_string();
            self.fail(file, format!("{path}: cannot write: {e}"));
        }
    }

    fn file_done(&mut self, file: usize, tail: FileTail) {
        self.results[file].input_sha256 = tail.sha256.clone();
        if tail.incomplete {
            let why: Vec<String> = tail.problems.iter().map(|p| p.message.clone()).collect();
            self.fail(
                file,
                format!("could not be read whole ({}); not written", why.join("; ")),
            );
        } else {
            self.results[file].input_problems += tail.problems.len() as u64;
        }
        if !self.results[file].errors.is_empty() {
            self.current = None;
            self.parquet_edits.clear();
            self.batches = 0;
            return;
        }
        if self.targets[file].input.format == Format::Parquet {
            self.rewrite_parquet(file);
            return;
        }
        // A file with no records still gets its (empty) copy.
        if self.current.as_ref().map(|c| c.0) != Some(file) {
            let empty = encode_piece(self.targets[file].input.compression, Vec::new());
            match (empty, self.output(file)) {
                (Ok(bytes), Some(out)) => {
                    if let Err(e) = out.write(&bytes) {
                        self.fail(file, format!("cannot write: {e}"));
                        return;
                    }
                }
                (Err(e), _) => {
                    self.fail(file, format!("cannot compress: {e}"));
                    return;
                }
                (_, None) => return,
            }
        }
        if let Some((_, out)) = self.current.take() {
            let path = self.targets[file].output.display().to_string();
            match out.commit() {
                Ok(done) => self.results[file].output = Some(done),
                Err(e) => self.fail(file, format!("{path}: cannot publish: {e}")),
            }
        }
    }
}

/// Mask `targets` with `plan`, then scan the written copies again. Returns
/// one result per target, residual findings included.
pub fn mask_and_verify(
    targets: Vec<Target>,
    plan: MaskPlan,
    scanner: &crate::detect::Scanner,
    opts: &crate::pipeline::PipelineOptions,
) -> Result<Vec<FileResult>, rayon::ThreadPoolBuildError> {
    let inputs: Vec<SourceFile> = targets.iter().map(|t| t.input.clone()).collect();
    let mut sink = MaskSink::new(
        scanner,
        targets,
        plan,
        scanner.detectors().to_vec(),
        opts.rules.clone(),
    );
    crate::pipeline::run(&inputs, scanner, opts, &mut sink)?;
    // The copies, read as their inputs were.
    let mut written = Vec::new();
    let mut copies = Vec::new();
    for (i, (t, r)) in sink.targets.iter().zip(&sink.results).enumerate() {
        if let Some((_, size)) = r.output {
            written.push(i);
            copies.push(SourceFile {
                path: t.output.clone(),
                display: t.relative.display().to_string(),
                size,
                mtime: None,
                ..t.input.clone()
            });
        }
    }
    let mut residual = verify::Residual::new(copies.len());
    let quiet = crate::pipeline::PipelineOptions {
        progress: Default::default(),
        ..opts.clone()
    };
    crate::pipeline::run(&copies, scanner, &quiet, &mut residual)?;
    let mut results = sink.results;
    for (k, &i) in written.iter().enumerate() {
        results[i].residual = std::mem::take(&mut residual.per_file[k]);
        if let Some(why) = residual.unreadable[k].take() {
            results[i]
                .errors
                .push(format!("the written copy could not be read back: {why}"));
        }
    }
    Ok(results)
}
