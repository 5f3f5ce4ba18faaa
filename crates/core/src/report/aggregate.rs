//! The report sink: per-chunk tallies on the workers, an exact merge in file
//! and row order on the merging thread.
//!
//! Everything here merges exactly (sums, ordered lists capped after the
//! merge) except the vocabulary, whose bounded summary documents its own
//! error in the report.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::chunk::Chunk;
use crate::detect::{Category, Detector};
use crate::pipeline::{ChunkMap, Sink, ValueFinding, Worker};
use crate::source::produce::FileTail;
use crate::source::SourceFile;
use crate::stats::{VocabPart, VocabSummary};

/// How many errors and findings the report lists (the counts stay exact).
pub const LIST_CAP: usize = 100;

/// Tallies for one field path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldTally {
    pub values: u64,
    pub findings: u64,
    pub by_detector: BTreeMap<u16, u64>,
}

/// A listed problem, located absolutely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEntry {
    pub file: usize,
    pub line: Option<u64>,
    pub row: Option<u64>,
    pub message: String,
}

/// A listed finding: where, and what, never the value itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingEntry {
    pub file: usize,
    pub line: Option<u64>,
    pub row: u64,
    pub field: String,
    pub detector: u16,
    pub start: u32,
    pub end: u32,
    /// 1-based character columns of the span in its line, where the value
    /// is the line itself (`.txt`); other formats do not map a decoded
    /// value back to its place in the raw line.
    pub columns: Option<(u32, u32)>,
    /// The matched text: only collected when the user asked for values in
    /// a findings file (`--findings-values`).
    pub value: Option<String>,
    /// The keyed reference of the normalised value, when a pseudonym key
    /// is set.
    pub fingerprint: Option<String>,
    /// Whether the baseline (`--baseline`) holds the fingerprint.
    pub suppressed: bool,
}

/// What the findings file (`--findings`) receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingsOutput {
    None,
    Locations,
    WithValues,
}

/// What one chunk contributes.
pub struct ReportPart {
    rows: u64,
    malformed: u64,
    consented: u64,
    provenance: u64,
    text_chars: u64,
    detector_counts: Vec<u64>,
    /// Per detector: findings the baseline suppressed (empty without one).
    suppressed: Vec<u64>,
    fields: Vec<(String, FieldTally)>,
    /// (line, chunk-local row, message)
    errors: Vec<(Option<u64>, Option<u64>, String)>,
    /// Findings with chunk-local rows: at most LIST_CAP, or all of them
    /// when a findings file is written.
    findings: Vec<FindingEntry>,
    /// Always set by `map`; an Option only so the part can be built first.
    vocab: Option<VocabPart>,
}

/// Per-file totals.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FileTotals {
    pub rows: u64,
    pub errors: u64,
    pub findings: u64,
    pub pii: u64,
    pub secrets: u64,
    /// Characters of text fields, for the file's PII density.
    pub text_chars: u64,
    pub tail: FileTail,
}

/// Per-split totals.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SplitTotals {
    pub files: u64,
    pub rows: u64,
    pub findings: u64,
    pub pii: u64,
    pub secrets: u64,
    pub by_detector: BTreeMap<u16, u64>,
}

/// The merged state of a scan, from which the report is written.
pub struct Aggregate {
    pub detectors: Vec<&'static Detector>,
    pub files: Vec<SourceFile>,
    pub file_totals: Vec<FileTotals>,
    /// Per file: rows of row groups another shard scans, before the ones
    /// folded so far (rows stay numbered as in the whole file).
    rows_skipped: Vec<u64>,
    pub rows: u64,
    pub malformed_rows: u64,
    pub consented: u64,
    pub provenance: u64,
    pub text_chars: u64,
    pub detector_counts: Vec<u64>,
    pub fields: BTreeMap<String, FieldTally>,
    pub splits: BTreeMap<&'static str, SplitTotals>,
    pub error_count: u64,
    pub errors: Vec<ErrorEntry>,
    pub findings: Vec<FindingEntry>,
    pub vocab: VocabSummary,
    findings_output: FindingsOutput,
    findings_file: Option<crate::findings::FindingsWriter>,
    findings_error: Option<std::io::Error>,
    /// Makes findings' fingerprints, when a pseudonym key is set.
    referencer: Option<crate::keys::PseudonymKey>,
    /// Fingerprints of accepted findings (`--baseline`).
    baseline: Option<std::sync::Arc<std::collections::HashSet<String>>>,
    /// Per detector: findings the baseline suppressed.
    pub suppressed_counts: Vec<u64>,
    /// A baseline being written (`scour baseline create/update`).
    pub baseline_out: Option<crate::findings::baseline::Baseline>,
    /// Results for `--format sarif`, when asked for.
    pub sarif: Option<super::sarif::Results>,
}

impl Aggregate {
    pub fn new(detectors: Vec<&'static Detector>, files: Vec<SourceFile>) -> Self {
        let n = detectors.len();
        let mut splits = BTreeMap::new();
        for f in &files {
            splits
                .entry(f.split.as_str())
                .or_insert_with(SplitTotals::default)
                .files += 1;
        }
        Aggregate {
            file_totals: vec![FileTotals::default(); files.len()],
            rows_skipped: vec![0; files.len()],
            detectors,
            files,
            rows: 0,
            malformed_rows: 0,
            consented: 0,
            provenance: 0,
            text_chars: 0,
            detector_counts: vec![0; n],
            fields: BTreeMap::new(),
            splits,
            error_count: 0,
            errors: Vec::new(),
            findings: Vec::new(),
            vocab: VocabSummary::default(),
            findings_output: FindingsOutput::None,
            findings_file: None,
            referencer: None,
            baseline: None,
            suppressed_counts: vec![0; n],
            baseline_out: None,
            findings_error: None,
            sarif: None,
        }
    }

    /// Keep results for a SARIF log (bounded: see [`super::sarif::Results`]).
    pub fn collect_sarif(&mut self) {
        self.sarif = Some(super::sarif::Results::default());
        if self.findings_output == FindingsOutput::None {
            self.findings_output = FindingsOutput::Locations;
        }
    }

    /// Fingerprint findings with this key's references.
    pub fn fingerprint_with(&mut self, r: crate::keys::PseudonymKey) {
        self.referencer = Some(r);
    }

    /// Suppress findings whose fingerprint is in `fingerprints` (they stay
    /// counted, apart, and do not fail gates). Needs [`fingerprint_with`](Self::fingerprint_with).
    pub fn suppress(&mut self, fingerprints: std::collections::HashSet<String>) {
        self.baseline = Some(std::sync::Arc::new(fingerprints));
    }

    /// Record every finding's fingerprint into `b` (baseline create/update).
    pub fn build_baseline(&mut self, b: crate::findings::baseline::Baseline) {
        self.baseline_out = Some(b);
        if self.findings_output == FindingsOutput::None {
            self.findings_output = FindingsOutput::Locations;
        }
    }

    /// Whether a baseline suppresses findings in this scan.
    pub fn has_baseline(&self) -> bool {
        self.baseline.is_some()
    }

    /// Stream every finding, in file and row order, to `file`.
    pub fn write_findings(&mut self, file: crate::findings::FindingsWriter, with_values: bool) {
        self.findings_file = Some(file);
        self.findings_output = if with_values {
            FindingsOutput::WithValues
        } else {
            FindingsOutput::Locations
        };
    }

    /// Publish the findings file (temp file + fsync + rename).
    pub fn finish_findings(&mut self) -> std::io::Result<()> {
        if let Some(e) = self.findings_error.take() {
            return Err(e);
        }
        match self.findings_file.take() {
            Some(f) => f.finish(),
            None => Ok(()),
        }
    }

    fn emit_finding(&mut self, f: &FindingEntry) {
        if self.findings_file.is_none() && self.baseline_out.is_none() {
            return;
        }
        let file = &self.files[f.file];
        let rec = crate::findings::Record {
            file: &file.display,
            split: file.split.as_str(),
            row: f.row,
            line: f.line,
            field: &f.field,
            detector: self.detectors[f.detector as usize],
            start: f.start,
            end: f.end,
            fingerprint: f.fingerprint.as_deref(),
            value: f.value.as_deref(),
            suppressed: f.suppressed,
        };
        if let Some(b) = &mut self.baseline_out {
            b.add(&rec);
        }
        if let Some(out) = self.findings_file.as_mut() {
            if self.findings_error.is_none() {
                if let Err(e) = out.write(&rec) {
                    self.findings_error = Some(e);
                }
            }
        }
    }

    pub fn total_in(&self, cat: Category) -> u64 {
        self.detectors
            .iter()
            .zip(&self.detector_counts)
            .filter(|(d, _)| d.category == cat)
            .map(|(_, n)| n)
            .sum()
    }

    fn push_error(&mut self, e: ErrorEntry) {
        self.error_count += 1;
        self.file_totals[e.file].errors += 1;
        if self.errors.len() < LIST_CAP {
            self.errors.push(e);
        }
    }
}

/// The worker side of the report sink.
pub struct ReportMap {
    detectors: Vec<&'static Detector>,
    referencer: Option<crate::keys::PseudonymKey>,
    baseline: Option<std::sync::Arc<std::collections::HashSet<String>>>,
    categories: Vec<Category>,
    output: FindingsOutput,
    /// Per file: whether each value is its whole line (`.txt`), so that a
    /// span's character columns are known.
    line_values: Vec<bool>,
}

impl ChunkMap for ReportMap {
    type Part = ReportPart;

    fn map(
        &self,
        file: usize,
        chunk: &Chunk,
        _raw: crate::source::Raw<'_>,
        found: &[ValueFinding],
        worker: &mut Worker,
    ) -> ReportPart {
        let mut part = ReportPart {
            rows: chunk.rows.len() as u64,
            malformed: 0,
            consented: 0,
            provenance: 0,
            text_chars: 0,
            detector_counts: vec![0; self.categories.len()],
            suppressed: if self.baseline.is_some() {
                vec![0; self.categories.len()]
            } else {
                Vec::new()
            },
            fields: chunk
                .paths
                .iter()
                .map(|p| (p.clone(), FieldTally::default()))
                .collect(),
            errors: chunk
                .errors
                .iter()
                .map(|e| {
                    (
                        e.line.and_then(|l| chunk.abs_line(l)),
                        e.row,
                        e.message.clone(),
                    )
                })
                .collect(),
            findings: Vec::new(),
            vocab: None,
        };
        for r in &chunk.rows {
            part.malformed += r.malformed as u64;
            part.consented += r.consented as u64;
            part.provenance += r.has_provenance as u64;
        }
        for v in &chunk.values {
            part.fields[v.path as usize].1.values += 1;
            if v.is_text {
                let text = chunk.value_text(v);
                part.text_chars += worker.vocab.add_text(text);
            }
        }
        // Every finding is counted; which are listed is decided after they
        // are put in row order: Parquet values come column by column, so
        // the first findings met are not the first rows' (a batch whose
        // first column holds 100 findings would hide a later column's
        // finding in row 0).
        let mut listed: Vec<(u32, usize, Option<String>, bool)> = Vec::new();
        for (i, f) in found.iter().enumerate() {
            let v = chunk.values[f.value as usize];
            let d = f.finding.detector;
            part.detector_counts[d as usize] += 1;
            let tally = &mut part.fields[v.path as usize].1;
            tally.findings += 1;
            *tally.by_detector.entry(d).or_insert(0) += 1;
            let fingerprint = self.referencer.as_ref().map(|r| {
                let t = chunk.value_text(&v);
                let matched = t.get(f.finding.range()).unwrap_or("");
                r.reference(self.detectors[d as usize], matched)
            });
            let suppressed = match (&self.baseline, &fingerprint) {
                (Some(b), Some(fp)) => b.contains(fp),
                _ => false,
            };
            if suppressed {
                part.suppressed[d as usize] += 1;
            }
            listed.push((v.row, i, fingerprint, suppressed));
        }
        // Stable: within a row, in field order.
        listed.sort_by_key(|l| l.0);
        if self.output == FindingsOutput::None {
            listed.truncate(LIST_CAP);
        }
        for (_, i, fingerprint, suppressed) in listed {
            let f = &found[i];
            let v = chunk.values[f.value as usize];
            let d = f.finding.detector;
            let row = chunk.rows.get(v.row as usize).copied().unwrap_or_default();
            part.findings.push(FindingEntry {
                file: 0,
                line: chunk.abs_line(row.line as u64),
                row: v.row as u64,
                field: chunk.paths[v.path as usize].clone(),
                detector: d,
                start: f.finding.start,
                end: f.finding.end,
                columns: self
                    .line_values
                    .get(file)
                    .copied()
                    .unwrap_or(false)
                    .then(|| {
                        let t = chunk.value_text(&v);
                        let col = |at: u32| {
                            t.get(..at as usize).map_or(0, |p| p.chars().count()) as u32 + 1
                        };
                        (col(f.finding.start), col(f.finding.end))
                    }),
                value: (self.output == FindingsOutput::WithValues).then(|| {
                    let t = chunk.value_text(&v);
                    t.get(f.finding.start as usize..f.finding.end as usize)
                        .unwrap_or("")
                        .to_string()
                }),
                fingerprint,
                suppressed,
            });
        }
        part.vocab = Some(worker.vocab.finish_chunk());
        part
    }
}

impl Sink for Aggregate {
    type Map = ReportMap;

    fn mapper(&self) -> ReportMap {
        ReportMap {
            detectors: self.detectors.clone(),
            referencer: self.referencer.clone(),
            baseline: self.baseline.clone(),
            categories: self.detectors.iter().map(|d| d.category).collect(),
            output: self.findings_output,
            line_values: self
                .files
                .iter()
                .map(|f| f.format == crate::source::Format::Txt)
                .collect(),
        }
    }

    fn fold(&mut self, file: usize, part: ReportPart) {
        let row_base = self.file_totals[file].rows + self.rows_skipped[file];
        let split = self.files[file].split.as_str();
        self.rows += part.rows;
        self.malformed_rows += part.malformed;
        self.consented += part.consented;
        self.provenance += part.provenance;
        self.text_chars += part.text_chars;
        let mut chunk_findings = 0;
        let ft = &mut self.file_totals[file];
        ft.text_chars += part.text_chars;
        let st = self.splits.entry(split).or_default();
        st.rows += part.rows;
        for (d, &n) in part.detector_counts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            self.detector_counts[d] += n;
            chunk_findings += n;
            *st.by_detector.entry(d as u16).or_insert(0) += n;
            match self.detectors[d].category {
                Category::Pii => {
                    st.pii += n;
                    ft.pii += n;
                }
                Category::Secret => {
                    st.secrets += n;
                    ft.secrets += n;
                }
            }
        }
        st.findings += chunk_findings;
        for (d, &n) in part.suppressed.iter().enumerate() {
            self.suppressed_counts[d] += n;
        }
        for (path, t) in part.fields {
            let e = self.fields.entry(path).or_default();
            e.values += t.values;
            e.findings += t.findings;
            for (d, n) in t.by_detector {
                *e.by_detector.entry(d).or_insert(0) += n;
            }
        }
        for (line, row, message) in part.errors {
            self.push_error(ErrorEntry {
                file,
                line,
                row: row.map(|r| r + row_base),
                message,
            });
        }
        for mut f in part.findings {
            f.file = file;
            f.row += row_base;
            self.emit_finding(&f);
            if let Some(s) = &mut self.sarif {
                s.push(&f, self.detectors[f.detector as usize].category);
            }
            if self.findings.len() < LIST_CAP {
                f.value = None;
                self.findings.push(f);
            }
        }
        if let Some(v) = part.vocab {
            self.vocab.merge(v);
        }
        let ft = &mut self.file_totals[file];
        ft.rows += part.rows;
        ft.findings += chunk_findings;
    }

    fn rows_skipped(&mut self, file: usize, rows: u64) {
        self.rows_skipped[file] += rows;
    }

    fn file_done(&mut self, file: usize, tail: FileTail) {
        for p in &tail.problems {
            self.push_error(ErrorEntry {
                file,
                line: p.line,
                row: None,
                message: p.message.clone(),
            });
        }
        self.file_totals[file].tail = tail;
    }
}
