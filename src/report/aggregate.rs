//! The report sink: per-chunk tallies on the workers, an exact merge in file
//! and row order on the merging thread.
//!
//! Everything here merges exactly (sums, ordered lists capped after the
//! merge) except the vocabulary, whose bounded summary documents its own
//! error in the report.

use std::collections::BTreeMap;

use crate::chunk::Chunk;
use crate::detect::{Category, Detector};
use crate::pipeline::{ChunkMap, Sink, ValueFinding, Worker};
use crate::source::produce::FileTail;
use crate::source::SourceFile;
use crate::stats::{VocabPart, VocabSummary};

/// How many errors and findings the report lists (the counts stay exact).
pub const LIST_CAP: usize = 100;

/// Tallies for one field path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldTally {
    pub values: u64,
    pub findings: u64,
    pub by_detector: BTreeMap<u16, u64>,
}

/// A listed problem, located absolutely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorEntry {
    pub file: usize,
    pub line: Option<u64>,
    pub row: Option<u64>,
    pub message: String,
}

/// A listed finding: where, and what, never the value itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingEntry {
    pub file: usize,
    pub line: Option<u64>,
    pub row: u64,
    pub field: String,
    pub detector: u16,
    pub start: u32,
    pub end: u32,
    /// The matched text: only collected when the user asked for values in
    /// a findings file (`--findings-values`).
    pub value: Option<String>,
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
#[derive(Debug, Clone, Default)]
pub struct FileTotals {
    pub rows: u64,
    pub errors: u64,
    pub findings: u64,
    pub tail: FileTail,
}

/// Per-split totals.
#[derive(Debug, Clone, Default)]
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
    findings_file: Option<crate::util::atomic::AtomicFile>,
    findings_error: Option<std::io::Error>,
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
            findings_error: None,
        }
    }

    /// Stream every finding, in file and row order, to `file` as JSON lines.
    pub fn write_findings(&mut self, file: crate::util::atomic::AtomicFile, with_values: bool) {
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
            Some(f) => f.commit(),
            None => Ok(()),
        }
    }

    fn emit_finding(&mut self, f: &FindingEntry) {
        use std::io::Write;
        let Some(out) = self.findings_file.as_mut() else {
            return;
        };
        if self.findings_error.is_some() {
            return;
        }
        let d = self.detectors[f.detector as usize];
        let mut rec = serde_json::json!({
            "file": self.files[f.file].display,
            "line": f.line,
            "row": f.row,
            "field": f.field,
            "detector": d.id,
            "category": d.category.as_str(),
            "start": f.start,
            "end": f.end,
        });
        if let Some(v) = &f.value {
            rec["value"] = serde_json::Value::String(v.clone());
        }
        let w = out.writer();
        if let Err(e) = serde_json::to_writer(&mut *w, &rec)
            .map_err(std::io::Error::from)
            .and_then(|_| w.write_all(b"\n"))
        {
            self.findings_error = Some(e);
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
    categories: Vec<Category>,
    output: FindingsOutput,
}

impl ChunkMap for ReportMap {
    type Part = ReportPart;

    fn map(
        &self,
        _file: usize,
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
        for f in found {
            let v = chunk.values[f.value as usize];
            let d = f.finding.detector;
            part.detector_counts[d as usize] += 1;
            let tally = &mut part.fields[v.path as usize].1;
            tally.findings += 1;
            *tally.by_detector.entry(d).or_insert(0) += 1;
            if part.findings.len() < LIST_CAP || self.output != FindingsOutput::None {
                let row = chunk.rows.get(v.row as usize).copied().unwrap_or_default();
                part.findings.push(FindingEntry {
                    file: 0,
                    line: chunk.abs_line(row.line as u64),
                    row: v.row as u64,
                    field: chunk.paths[v.path as usize].clone(),
                    detector: d,
                    start: f.finding.start,
                    end: f.finding.end,
                    value: (self.output == FindingsOutput::WithValues).then(|| {
                        let t = chunk.value_text(&v);
                        t.get(f.finding.start as usize..f.finding.end as usize)
                            .unwrap_or("")
                            .to_string()
                    }),
                });
            }
        }
        part.vocab = Some(worker.vocab.finish_chunk());
        part
    }
}

impl Sink for Aggregate {
    type Map = ReportMap;

    fn mapper(&self) -> ReportMap {
        ReportMap {
            categories: self.detectors.iter().map(|d| d.category).collect(),
            output: self.findings_output,
        }
    }

    fn fold(&mut self, file: usize, part: ReportPart) {
        let row_base = self.file_totals[file].rows;
        let split = self.files[file].split.as_str();
        self.rows += part.rows;
        self.malformed_rows += part.malformed;
        self.consented += part.consented;
        self.provenance += part.provenance;
        self.text_chars += part.text_chars;
        let mut chunk_findings = 0;
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
                Category::Pii => st.pii += n,
                Category::Secret => st.secrets += n,
            }
        }
        st.findings += chunk_findings;
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
