//! The subject matcher as a sink of the one pipeline.
//!
//! Workers match each chunk's findings and text against the selection
//! ([`super::select::Subjects`]) and describe what they found by row: the
//! hits (for `find`), the matched rows' own bytes (for `export`) and the
//! byte ranges a purge removes (for `purge`). The merging thread adds each
//! file's running row and byte base, streams hits and exported rows to
//! their files in file and row order, and keeps per file only the rows and
//! ranges that matched: memory grows with matches, never with the corpus.

use std::sync::Arc;

use serde_json::{json, Value};

use super::hits::{HitRecord, HitsWriter};
use super::select::{Hit, HitKind, Subjects};
use crate::chunk::Chunk;
use crate::detect::Detector;
use crate::pipeline::{ChunkMap, Sink, ValueFinding, Worker};
use crate::source::produce::{FileTail, Job};
use crate::source::splice::csv_fields;
use crate::source::{Format, Raw, SourceFile};

/// What the run needs besides counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wants {
    /// Rows to remove, with the byte ranges of text formats.
    pub purge: bool,
    /// Each matched row as JSON.
    pub export: bool,
}

/// What matching one file came to.
#[derive(Debug, Clone, Default)]
pub struct FileMatches {
    pub rows: u64,
    pub hits: u64,
    /// Rows with at least one hit.
    pub rows_matched: u64,
    /// Matched rows (0-based), in order; kept for purge and export.
    pub matched_rows: Vec<u64>,
    /// Decoded-stream byte ranges that removing the matched rows deletes
    /// (text formats; sorted, disjoint).
    pub cuts: Vec<(u64, u64)>,
    pub sha256: String,
    /// Why the file cannot be purged (read incompletely, a JSON file that
    /// is one value), if so.
    pub problems: Vec<String>,
    /// Input problems that did not stop the read (malformed rows).
    pub input_problems: u64,
    /// Whether the file could not be read whole.
    pub incomplete: bool,
}

/// One hit as the worker saw it (row chunk-local).
struct PartHit {
    row: u32,
    line: Option<u64>,
    field: String,
    hit: Hit,
}

/// A JSON array element: job-relative range, removed or kept.
type Elem = (u64, u64, bool);

/// What a worker makes of one chunk.
pub struct SubjectPart {
    rows: u64,
    problems: u64,
    hits: Vec<PartHit>,
    matched: Vec<u32>,
    /// The text job's byte length (its place in the decoded stream).
    data_len: u64,
    cuts: Vec<(u64, u64)>,
    elems: Option<Vec<Elem>>,
    /// Whether the job's bytes before its first element end in `[`.
    array_open: bool,
    exported: Vec<(u32, Value)>,
}

/// The worker side.
pub struct SubjectMap {
    subjects: Arc<Subjects>,
    detectors: Vec<&'static Detector>,
    files: Arc<Vec<SourceFile>>,
    wants: Wants,
}

impl ChunkMap for SubjectMap {
    type Part = SubjectPart;

    fn map(
        &self,
        file: usize,
        chunk: &Chunk,
        raw: Raw<'_>,
        found: &[ValueFinding],
        _worker: &mut Worker,
    ) -> SubjectPart {
        let mut hits: Vec<Hit> = Vec::new();
        let mut ids = Vec::new();
        for f in found {
            let d = f.finding.detector;
            if !self.subjects.wants(d) {
                continue;
            }
            let Some(v) = chunk.values.get(f.value as usize) else {
                continue;
            };
            let matched = chunk.value_text(v).get(f.finding.range()).unwrap_or("");
            ids.clear();
            self.subjects
                .plaintext(self.detectors[d as usize], d, matched, &mut ids);
            for &id in &ids {
                hits.push(Hit {
                    value: f.value,
                    start: f.finding.start,
                    end: f.finding.end,
                    subject: id,
                    kind: HitKind::Plaintext,
                    detector: Some(d),
                });
            }
        }
        let row_ids = self.subjects.has_row_ids();
        for (i, v) in chunk.values.iter().enumerate() {
            let text = chunk.value_text(v);
            self.subjects.search(i as u32, text, &mut hits);
            if row_ids {
                let path = &chunk.paths[v.path as usize];
                if let Some(id) = self.subjects.row_id(path, text) {
                    hits.push(Hit {
                        value: i as u32,
                        start: 0,
                        end: text.len() as u32,
                        subject: id,
                        kind: HitKind::RowId,
                        detector: None,
                    });
                }
            }
        }
        // By row, then field order, then span: the same for any thread
        // count (Parquet values come column by column).
        let row_of = |h: &Hit| chunk.values.get(h.value as usize).map_or(0, |v| v.row);
        hits.sort_by_key(|h| (row_of(h), h.value, h.start, h.end, h.subject, h.kind));
        hits.dedup_by_key(|h| (h.value, h.start, h.end, h.subject));
        let mut matched: Vec<u32> = hits.iter().map(row_of).collect();
        matched.dedup();
        let mut part = SubjectPart {
            rows: chunk.rows.len() as u64,
            problems: chunk.errors.len() as u64,
            hits: hits
                .iter()
                .map(|h| {
                    let v = chunk.values[h.value as usize];
                    let meta = chunk.rows.get(v.row as usize).copied().unwrap_or_default();
                    PartHit {
                        row: v.row,
                        line: chunk.abs_line(meta.line as u64),
                        field: chunk.paths[v.path as usize].clone(),
                        hit: *h,
                    }
                })
                .collect(),
            matched,
            data_len: 0,
            cuts: Vec::new(),
            elems: None,
            array_open: false,
            exported: Vec::new(),
        };
        let job = match raw {
            Raw::Job(job) => Some(job),
            Raw::Batch => None,
        };
        if let Some(job) = job {
            let data = job.data().unwrap_or(&[]);
            part.data_len = data.len() as u64;
            if self.wants.purge {
                self.cuts(job, chunk, &mut part);
            }
        }
        if self.wants.export {
            for &r in &part.matched {
                let row = self.export_row(file, chunk, job, r);
                part.exported.push((r, row));
            }
        }
        part
    }
}

impl SubjectMap {
    /// The job-relative ranges that removing the matched rows deletes.
    fn cuts(&self, job: &Job, chunk: &Chunk, part: &mut SubjectPart) {
        let data = job.data().unwrap_or(&[]);
        match job {
            Job::JsonElements { elems, .. } => {
                let first = elems.first().map_or(data.len(), |e| e.0);
                part.array_open = data[..first]
                    .iter()
                    .rev()
                    .find(|b| !b.is_ascii_whitespace())
                    == Some(&b'[');
                // Rows are the elements, in order.
                let mut m = part.matched.iter().peekable();
                part.elems = Some(
                    elems
                        .iter()
                        .enumerate()
                        .map(|(i, &(s, e, _))| {
                            let gone = m.next_if(|&&r| r as usize == i).is_some();
                            (s as u64, e as u64, gone)
                        })
                        .collect(),
                );
            }
            _ => {
                for &r in &part.matched {
                    let Some(meta) = chunk.rows.get(r as usize) else {
                        continue;
                    };
                    let (s, mut e) = (meta.raw_start as usize, meta.raw_end as usize);
                    // The record's line terminator goes with it.
                    if data.get(e) == Some(&b'\r') && data.get(e + 1) == Some(&b'\n') {
                        e += 2;
                    } else if matches!(data.get(e), Some(b'\n' | b'\r')) {
                        e += 1;
                    }
                    part.cuts.push((s as u64, e as u64));
                }
            }
        }
    }

    /// A matched row as JSON: the record as written (parsed where it is
    /// JSON, by header where it is CSV) or, for Parquet, its string leaves
    /// by field path (replaced by the whole row when the file is done, see
    /// [`SubjectSink::export_parquet`]).
    fn export_row(&self, file: usize, chunk: &Chunk, job: Option<&Job>, r: u32) -> Value {
        let meta = chunk.rows.get(r as usize).copied().unwrap_or_default();
        let values = || {
            let mut fields = serde_json::Map::new();
            for v in chunk.values.iter().filter(|v| v.row == r) {
                let path = chunk.paths[v.path as usize].clone();
                let text = Value::String(chunk.value_text(v).to_string());
                match fields.get_mut(&path) {
                    Some(Value::Array(a)) => a.push(text),
                    _ => {
                        fields.insert(path, Value::Array(vec![text]));
                    }
                }
            }
            Value::Object(fields)
        };
        let Some(job) = job else {
            return values();
        };
        let data = job.data().unwrap_or(&[]);
        let rec = data
            .get(meta.raw_start as usize..meta.raw_end as usize)
            .unwrap_or(&[]);
        let text = String::from_utf8_lossy(rec);
        if meta.malformed {
            return Value::String(text.into_owned());
        }
        match (self.files[file].format, job) {
            (Format::Txt, _) => Value::String(text.into_owned()),
            (_, Job::Csv { header, .. }) => {
                let mut obj = serde_json::Map::new();
                for (i, f) in csv_fields(rec).into_iter().enumerate() {
                    let content = crate::source::splice::csv_unquote(&rec[f]);
                    let name = crate::source::parse::csv_column_name(header, i);
                    obj.insert(
                        name,
                        Value::String(String::from_utf8_lossy(&content).into_owned()),
                    );
                }
                Value::Object(obj)
            }
            _ => serde_json::from_str(&text).unwrap_or(Value::String(text.into_owned())),
        }
    }
}

/// Removed-element runs of a JSON array, streamed across jobs: a removed
/// element takes the separator before it when a kept element precedes it,
/// else the one after it, so the array stays valid and the kept elements
/// keep their own bytes and the separators between them.
#[derive(Debug, Default, Clone)]
struct ArrayCutter {
    last_kept_end: Option<u64>,
    /// Start and end of the run of removed elements being gathered.
    run: Option<(u64, u64)>,
}

impl ArrayCutter {
    fn elem(&mut self, (s, e, gone): Elem, cuts: &mut Vec<(u64, u64)>) {
        if gone {
            match &mut self.run {
                Some(run) => run.1 = e,
                None => self.run = Some((self.last_kept_end.unwrap_or(s), e)),
            }
            return;
        }
        if let Some((rs, re)) = self.run.take() {
            if self.last_kept_end.is_some() {
                cuts.push((rs, re));
            } else {
                cuts.push((rs, s));
            }
        }
        self.last_kept_end = Some(e);
    }

    fn finish(&mut self, cuts: &mut Vec<(u64, u64)>) {
        if let Some(run) = self.run.take() {
            cuts.push(run);
        }
    }
}

/// Per-subject and per-split totals for the summary.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub hits: u64,
    pub per_subject: Vec<u64>,
    pub per_split: std::collections::BTreeMap<&'static str, u64>,
    pub per_kind: std::collections::BTreeMap<&'static str, u64>,
    pub rows_matched: u64,
}

/// The merging side.
pub struct SubjectSink {
    subjects: Arc<Subjects>,
    detectors: Vec<&'static Detector>,
    files: Arc<Vec<SourceFile>>,
    wants: Wants,
    pub results: Vec<FileMatches>,
    pub totals: Totals,
    hits_out: Option<HitsWriter>,
    export_out: Option<super::export::ExportWriter>,
    /// Decoded bytes of the current file before the next part.
    offset: u64,
    array: ArrayCutter,
    json_single: bool,
    /// The first write error; the run fails with it.
    pub write_error: Option<String>,
    /// The current Parquet file's exported rows, their records to be
    /// replaced by the whole rows once the file is done.
    parquet_export: Vec<Value>,
}

impl SubjectSink {
    pub fn new(
        subjects: Arc<Subjects>,
        detectors: Vec<&'static Detector>,
        files: Vec<SourceFile>,
        wants: Wants,
    ) -> SubjectSink {
        SubjectSink {
            totals: Totals {
                per_subject: vec![0; subjects.len()],
                ..Totals::default()
            },
            subjects,
            detectors,
            results: vec![FileMatches::default(); files.len()],
            files: Arc::new(files),
            wants,
            hits_out: None,
            export_out: None,
            offset: 0,
            array: ArrayCutter::default(),
            json_single: false,
            write_error: None,
            parquet_export: Vec::new(),
        }
    }

    /// Stream every hit to `w` as the scan goes.
    pub fn write_hits(&mut self, w: HitsWriter) {
        self.hits_out = Some(w);
    }

    /// Stream every matched row to `w` as the scan goes.
    pub fn write_export(&mut self, w: super::export::ExportWriter) {
        self.export_out = Some(w);
    }

    pub fn take_hits(&mut self) -> Option<HitsWriter> {
        self.hits_out.take()
    }

    pub fn take_export(&mut self) -> Option<super::export::ExportWriter> {
        self.export_out.take()
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    pub fn subjects(&self) -> &Subjects {
        &self.subjects
    }

    fn fail_write(&mut self, e: std::io::Error, what: &str) {
        if self.write_error.is_none() {
            self.write_error = Some(format!("cannot write {what}: {e}"));
        }
    }
}

impl SubjectSink {
    /// Writes a Parquet file's exported rows whole (every column, as
    /// stored); if the file cannot be read back, with the string leaves
    /// the scan saw.
    fn export_parquet(&mut self, file: usize) {
        let mut recs = std::mem::take(&mut self.parquet_export);
        if recs.is_empty() {
            return;
        }
        let rows: Vec<u64> = recs.iter().filter_map(|r| r["row"].as_u64()).collect();
        if let Ok(whole) = crate::source::parquet_rows::rows_json(&self.files[file].path, &rows) {
            for (rec, row) in recs.iter_mut().zip(whole) {
                rec["record"] = row;
            }
        }
        let Some(w) = &mut self.export_out else {
            return;
        };
        let mut err = None;
        for rec in &recs {
            if let Err(e) = w.write(rec) {
                err = Some(e);
                break;
            }
        }
        if let Some(e) = err {
            self.fail_write(e, "the export file");
        }
    }
}

impl Sink for SubjectSink {
    type Map = SubjectMap;

    fn mapper(&self) -> SubjectMap {
        SubjectMap {
            subjects: self.subjects.clone(),
            detectors: self.detectors.clone(),
            files: self.files.clone(),
            wants: self.wants,
        }
    }

    fn fold(&mut self, file: usize, part: SubjectPart) {
        let res = &mut self.results[file];
        if res.rows == 0 && self.offset == 0 {
            // A new file: the JSON array state starts over.
            self.array = ArrayCutter::default();
            self.json_single = part.elems.is_some() && !part.array_open;
        }
        let row_base = res.rows;
        res.rows += part.rows;
        res.input_problems += part.problems;
        res.hits += part.hits.len() as u64;
        res.rows_matched += part.matched.len() as u64;
        let files = self.files.clone();
        let src = &files[file];
        let split = src.split.as_str();
        for h in &part.hits {
            self.totals.hits += 1;
            self.totals.per_subject[h.hit.subject as usize] += 1;
            *self.totals.per_split.entry(split).or_insert(0) += 1;
            *self.totals.per_kind.entry(h.hit.kind.as_str()).or_insert(0) += 1;
        }
        self.totals.rows_matched += part.matched.len() as u64;
        if let Some(w) = &mut self.hits_out {
            let mut err = None;
            for h in &part.hits {
                let rec = HitRecord {
                    file: &src.display,
                    split,
                    row: row_base + h.row as u64,
                    line: h.line,
                    field: &h.field,
                    kind: h.hit.kind.as_str(),
                    detector: h.hit.detector.map(|d| self.detectors[d as usize].id),
                    start: h.hit.start,
                    end: h.hit.end,
                    subject: &self.subjects.list[h.hit.subject as usize].reference,
                };
                if let Err(e) = w.write(&rec) {
                    err = Some(e);
                    break;
                }
            }
            if let Some(e) = err {
                self.fail_write(e, "the hits file");
            }
        }
        if let Some(w) = &mut self.export_out {
            let mut err = None;
            for (r, row) in &part.exported {
                let fields: Vec<&str> = part
                    .hits
                    .iter()
                    .filter(|h| h.row == *r)
                    .map(|h| h.field.as_str())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let line = part.hits.iter().find(|h| h.row == *r).and_then(|h| h.line);
                let rec = json!({
                    "file": src.display,
                    "split": split,
                    "row": row_base + *r as u64,
                    "line": line,
                    "fields_matched": fields,
                    "record": row,
                });
                if src.format == Format::Parquet {
                    // The whole row is read back when the file is done.
                    self.parquet_export.push(rec);
                    continue;
                }
                if let Err(e) = w.write(&rec) {
                    err = Some(e);
                    break;
                }
            }
            if let Some(e) = err {
                self.fail_write(e, "the export file");
            }
        }
        let res = &mut self.results[file];
        if self.wants.purge || self.wants.export {
            res.matched_rows
                .extend(part.matched.iter().map(|&r| row_base + r as u64));
        }
        if self.wants.purge {
            let base = self.offset;
            if let Some(elems) = part.elems {
                for (s, e, gone) in elems {
                    self.array.elem((base + s, base + e, gone), &mut res.cuts);
                }
            } else {
                res.cuts
                    .extend(part.cuts.iter().map(|&(s, e)| (base + s, base + e)));
            }
        }
        self.offset += part.data_len;
    }

    fn file_done(&mut self, file: usize, tail: FileTail) {
        self.export_parquet(file);
        let res = &mut self.results[file];
        self.array.finish(&mut res.cuts);
        res.sha256 = tail.sha256.clone();
        res.incomplete = tail.incomplete;
        res.input_problems += tail.problems.len() as u64;
        if tail.incomplete {
            let why: Vec<String> = tail.problems.iter().map(|p| p.message.clone()).collect();
            res.problems
                .push(format!("could not be read whole ({})", why.join("; ")));
        }
        if self.json_single && !res.matched_rows.is_empty() && self.wants.purge {
            res.problems.push(
                "a JSON file holding one value, not an array: removing its only row would leave no JSON; delete the file instead".into(),
            );
        }
        self.offset = 0;
        self.json_single = false;
        self.array = ArrayCutter::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(elems: &[(u64, u64, bool)]) -> Vec<(u64, u64)> {
        let mut c = ArrayCutter::default();
        let mut out = Vec::new();
        for &e in elems {
            c.elem(e, &mut out);
        }
        c.finish(&mut out);
        out
    }

    /// `[A, B, C]` at A=1..2, B=4..5, C=7..8.
    #[test]
    fn array_runs_take_one_separator() {
        let e = |a, b, c| [(1, 2, a), (4, 5, b), (7, 8, c)];
        let apply = |cuts: Vec<(u64, u64)>| {
            let mut s = String::new();
            let src = "[A, B, C]";
            let mut at = 0;
            for (a, b) in cuts {
                s.push_str(&src[at..a as usize]);
                at = b as usize;
            }
            s.push_str(&src[at..]);
            s
        };
        assert_eq!(apply(cut(&e(false, true, false))), "[A, C]");
        assert_eq!(apply(cut(&e(true, false, false))), "[B, C]");
        assert_eq!(apply(cut(&e(false, false, true))), "[A, B]");
        assert_eq!(apply(cut(&e(true, true, false))), "[C]");
        assert_eq!(apply(cut(&e(true, false, true))), "[B]");
        assert_eq!(apply(cut(&e(true, true, true))), "[]");
        assert_eq!(apply(cut(&e(false, false, false))), "[A, B, C]");
    }
}
