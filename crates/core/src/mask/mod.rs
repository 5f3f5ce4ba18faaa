//! `scour mask`: masked copies of a corpus, a sink of the one pipeline.
//!
//! Workers turn each chunk's findings into edits and let the format's
//! writer (beside its reader in [`crate::source`]) splice them into a copy
//! of the chunk's input; the merging thread streams those pieces, in file
//! and row order, into one temp file per output and publishes it when the
//! file is complete. A Parquet row group is copied on the worker that read
//! it, once all its batches are scanned: the input's row group decoded
//! again, its batches' edits applied, its column chunks encoded into spill
//! files ([`GroupEncoder`]); the merging thread only appends the finished
//! chunks in order ([`GroupWriter`]). Nothing holds a whole file: memory
//! stays bounded by the pipeline's jobs in flight. Each edited value is checked where it is
//! edited (its new text scanned again, see [`Verify::Inline`]); on request
//! the whole outputs are scanned again instead ([`verify`]). The run is
//! written up in a signed manifest ([`manifest`]).

pub mod manifest;
pub mod output;
pub mod replace;
pub mod surrogate;
pub mod verify;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::chunk::Chunk;
use crate::detect::custom::Filter;
use crate::detect::Detector;
use crate::fields::FieldRules;
use crate::pipeline::{ChunkMap, Sink, ValueFinding, Worker};
use crate::source::parquet_write::{BatchEdits, EncodedGroup, GroupEncoder, GroupWriter};
use crate::source::produce::FileTail;
use crate::source::splice::{apply, splice_job, Edit};
use crate::source::{Format, Raw, SourceFile};

pub use replace::{Mode, Replacer};

use output::{encode_piece, OutFile};

/// How the built-in check finds residual findings in the copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verify {
    /// Each edited value's new text is scanned again on the worker, right
    /// after the edit; the findings of every other value are counted as
    /// the input scan found them. The writers keep every byte outside the
    /// spans by construction and a value's findings depend on its text
    /// alone, so a copy read back would yield exactly these findings: the
    /// same result as [`Verify::Full`] (the test suite compares them) at
    /// the cost of the edited values only, not of a second pass over every
    /// output.
    #[default]
    Inline,
    /// The written outputs are read back and scanned whole, as `scour scan`
    /// would read them: independent of the writers' guarantees, and as
    /// costly as the masking itself.
    Full,
}

impl Verify {
    pub fn as_str(self) -> &'static str {
        match self {
            Verify::Inline => "inline",
            Verify::Full => "full",
        }
    }
}

/// What to mask and how.
#[derive(Debug, Clone)]
pub struct MaskPlan {
    pub replacer: Replacer,
    /// Per detector (index into the scanner's table): whether its spans are
    /// masked.
    pub masked: Vec<bool>,
    pub verify: Verify,
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
    /// Parquet: values of non-string columns (integers) that held a finding
    /// and were set to null, per column path.
    pub nulled: BTreeMap<String, u64>,
}

/// What a worker makes of one chunk.
pub struct MaskPart {
    rows: u64,
    masked: Vec<(u16, u64)>,
    problems: u64,
    /// The chunk's piece of the output, compressed like the input.
    bytes: Vec<u8>,
    /// A Parquet batch's edits, until its row group is encoded.
    batch: Option<BatchEdits>,
    /// A Parquet batch scanned without error: its copy comes with its row
    /// group's `group`, not in `bytes`.
    parquet: bool,
    /// The last batch of a Parquet row group: the row group's copy.
    group: Option<Result<EncodedGroup, String>>,
    /// (line, chunk-local row, message) when the chunk could not be masked.
    error: Option<(Option<u64>, Option<u64>, String)>,
    /// Findings per detector in the chunk's copy ([`Verify::Inline`]).
    residual: Vec<(u16, u64)>,
}

/// The worker side: findings → edits → the format's writer.
pub struct MaskMap<'s> {
    scanner: &'s crate::detect::Scanner,
    targets: Arc<Vec<Target>>,
    plan: Arc<MaskPlan>,
    detectors: Vec<&'static Detector>,
    rules: FieldRules,
    filter: Arc<Filter>,
    /// Parquet encoders of the files being copied (a few: row groups of
    /// consecutive files may be in flight at once).
    encoders: Mutex<Vec<(usize, Arc<GroupEncoder>)>>,
}

/// Where a copy's Parquet pages are spilled: the output's directory (the
/// same file system, and never a RAM-backed /tmp).
fn spill_dir(target: &Target) -> &std::path::Path {
    target
        .output
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."))
}

impl MaskMap<'_> {
    /// The encoder of `file`'s copy, its footer read once for all its row
    /// groups.
    fn encoder(&self, file: usize) -> Result<Arc<GroupEncoder>, String> {
        let mut cache = self.encoders.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, e)) = cache.iter().find(|(f, _)| *f == file) {
            return Ok(e.clone());
        }
        let target = &self.targets[file];
        // The merger creates it with the output file, which may come later
        // than this file's first row group.
        std::fs::create_dir_all(spill_dir(target))
            .map_err(|e| format!("{}: cannot create: {e}", spill_dir(target).display()))?;
        let e = Arc::new(GroupEncoder::open(
            &target.input.path,
            crate::pipeline::PARQUET_BATCH_ROWS,
            &self.rules,
            spill_dir(target),
        )?);
        if cache.len() >= 4 {
            cache.remove(0);
        }
        cache.push((file, e.clone()));
        Ok(e)
    }

    /// The findings the chunk's copy holds, per detector, without reading
    /// the copy: a value without an edit keeps its text, so its findings
    /// are the ones the input scan kept (`found`); an edited value is
    /// scanned again as it now reads. `edits` are sorted by value.
    fn residual(
        &self,
        chunk: &Chunk,
        found: &[ValueFinding],
        edits: &[Edit],
        worker: &mut Worker,
    ) -> Vec<(u16, u64)> {
        let mut counts: BTreeMap<u16, u64> = BTreeMap::new();
        for f in found {
            if edits.binary_search_by_key(&f.value, |e| e.value).is_err() {
                *counts.entry(f.finding.detector).or_insert(0) += 1;
            }
        }
        let mut again = Vec::new();
        for group in edits.chunk_by(|a, b| a.value == b.value) {
            let Some(v) = chunk.values.get(group[0].value as usize) else {
                continue;
            };
            // A span that cannot be applied fails the splice, and the
            // file, on its own; nothing is left to count.
            let Ok(new) = apply(chunk.value_text(v), group) else {
                continue;
            };
            self.scanner.scan(&new, &mut worker.scan, &mut again);
            for f in &again {
                if self.filter.keep(self.scanner.detectors(), &new, f) {
                    *counts.entry(f.detector).or_insert(0) += 1;
                }
            }
        }
        counts.into_iter().collect()
    }
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
            parquet: false,
            group: None,
            error: None,
            residual: Vec::new(),
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
        if self.plan.verify == Verify::Inline {
            part.residual = self.residual(chunk, found, &edits, worker);
        }
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
            part.parquet = true;
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

    /// Encodes the row group's copy here, on the pool: the merger, one
    /// thread for the whole run, would otherwise decode and compress every
    /// row group alone. A row group with a batch that could not be read is
    /// not encoded: the merger fails its file on that batch's error.
    fn row_group_done(&self, file: usize, row_group: usize, parts: &mut [MaskPart]) {
        if parts.iter().any(|p| !p.parquet || p.error.is_some()) {
            // The error part names what went wrong; the others carry
            // nothing to copy.
            for p in parts.iter_mut() {
                p.batch = None;
            }
            return;
        }
        if parts.is_empty() {
            return;
        }
        let edits: Vec<BatchEdits> = parts.iter_mut().filter_map(|p| p.batch.take()).collect();
        let group = self.encoder(file).and_then(|e| e.encode(row_group, &edits));
        if let Some(last) = parts.last_mut() {
            last.group = Some(group);
        }
    }
}

/// The merging side: pieces streamed into the output files, in order.
pub struct MaskSink<'s> {
    scanner: &'s crate::detect::Scanner,
    targets: Arc<Vec<Target>>,
    plan: Arc<MaskPlan>,
    detectors: Vec<&'static Detector>,
    rules: FieldRules,
    filter: Arc<Filter>,
    current: Option<(usize, OutFile)>,
    /// The Parquet copy being written, row group by row group as the parts
    /// arrive.
    parquet: Option<(usize, GroupWriter<OutFile>)>,
    pub results: Vec<FileResult>,
}

impl<'s> MaskSink<'s> {
    pub fn new(
        scanner: &'s crate::detect::Scanner,
        targets: Vec<Target>,
        plan: MaskPlan,
        detectors: Vec<&'static Detector>,
        rules: FieldRules,
        filter: Arc<Filter>,
    ) -> MaskSink<'s> {
        MaskSink {
            scanner,
            filter,
            results: vec![FileResult::default(); targets.len()],
            targets: Arc::new(targets),
            plan: Arc::new(plan),
            detectors,
            rules,
            current: None,
            parquet: None,
        }
    }

    /// Opens `file`'s Parquet copy if it is not open yet.
    fn parquet_open(&mut self, file: usize) {
        if self.parquet.as_ref().map(|p| p.0) == Some(file) {
            return;
        }
        self.parquet = None;
        let target = &self.targets[file];
        let out = match OutFile::create(&target.output) {
            Ok(o) => o,
            Err(e) => {
                let msg = format!("{}: cannot create: {e}", target.output.display());
                self.fail(file, msg);
                return;
            }
        };
        match GroupWriter::open(&target.input.path, out, spill_dir(target)) {
            Ok(w) => self.parquet = Some((file, w)),
            Err(e) => self.fail(file, format!("cannot write the copy: {e}")),
        }
    }

    /// Appends one row group, encoded on a worker, to `file`'s copy.
    fn parquet_group(&mut self, file: usize, group: Result<EncodedGroup, String>) {
        self.parquet_open(file);
        let appended = match (group, &mut self.parquet) {
            (Ok(g), Some((_, w))) => w.append(g),
            (Err(e), _) => Err(e),
            // Could not be opened: already failed.
            (Ok(_), None) => return,
        };
        if let Err(e) = appended {
            self.fail(file, format!("cannot write the copy: {e}"));
        }
    }

    /// Finishes a Parquet file's copy once all its row groups are in.
    fn finish_parquet(&mut self, file: usize) {
        self.parquet_open(file);
        let Some((_, writer)) = self.parquet.take() else {
            return;
        };
        self.results[file].nulled = writer.nulled().clone();
        match writer.finish() {
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
        if self.parquet.as_ref().map(|p| p.0) == Some(file) {
            self.parquet = None;
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
            filter: self.filter.clone(),
            encoders: Mutex::new(Vec::new()),
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
        for (d, n) in part.residual {
            *res.residual.entry(d).or_insert(0) += n;
        }
        if !res.errors.is_empty() {
            return;
        }
        if part.parquet {
            match part.group {
                Some(g) => self.parquet_group(file, g),
                // Not encoded: a row group is only ever handed over whole.
                None if part.batch.is_some() => {
                    self.fail(file, "a row group was scanned but not copied".into())
                }
                None => {}
            }
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
            self.parquet = None;
            return;
        }
        if self.targets[file].input.format == Format::Parquet {
            self.finish_parquet(file);
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

/// Mask `targets` with `plan`, checking the copies as `plan.verify` says.
/// Returns one result per target, residual findings included.
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
        opts.filter.clone(),
    );
    crate::pipeline::run(&inputs, scanner, opts, &mut sink)?;
    if sink.plan.verify == Verify::Inline {
        let mut results = sink.results;
        // Only copies that were written are checked (as with a full re-scan).
        for r in results.iter_mut().filter(|r| r.output.is_none()) {
            r.residual.clear();
        }
        return Ok(results);
    }
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
