//! A scan's mergeable state: what `scour scan --shard K/N --state FILE`
//! writes and `scour merge` folds, so that N shards give the report one scan
//! of the whole would.
//!
//! Exact figures merge by sum. The capped lists (the first errors and
//! findings) merge by file and row: each shard keeps its own first ones, so
//! the first ones of the whole are among them. The vocabulary summary merges
//! by its own rule (bounded, stated error, deterministic in shard order).
//! A file's provenance (sha256, bytes, read problems) comes from the one
//! shard that owns the file's first unit of work, so it is counted once.
//!
//! A state never holds a finding's value: findings are listed by place and
//! detector only (the list a report prints); the vocabulary summary holds
//! the word tokens the report's vocabulary figures are computed from.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::aggregate::{Aggregate, ErrorEntry, FieldTally, FileTotals, FindingEntry, SplitTotals};
use super::gates::GateConfig;
use crate::detect::Detector;
use crate::source::SourceFile;
use crate::stats::{VocabState, VocabSummary};

/// The file's first line names what it is; the version changes whenever
/// a field changes meaning.
pub const FORMAT: &str = "scour-state";
pub const VERSION: u32 = 1;

/// Why states cannot be read or merged.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a scour state: {detail}")]
    Parse { path: String, detail: String },
    #[error("{path}: state format {found} (this scour reads {FORMAT} version {VERSION})")]
    Version { path: String, found: String },
    #[error("the states disagree: {0}")]
    Disagree(String),
}

/// Who wrote the state and with what: states merge only when all of it
/// agrees (the shard index aside).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    pub scour_version: String,
    /// SHA-256 of the detector table the scan ran (ids, categories, patterns).
    pub detector_table_sha256: String,
    /// SHA-256 of the scour.toml the scan read ("" bytes when none).
    pub config_sha256: String,
    /// This state's shard, 1-based, of `shards`.
    pub shard: u32,
    pub shards: u32,
}

/// The run's settings that the report prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSettings {
    pub dataset_paths: Vec<String>,
    pub skipped_files: Vec<String>,
    pub engine: String,
    pub text_fields: Vec<String>,
    pub consent_fields: Vec<String>,
    pub provenance_fields: Vec<String>,
}

/// The serialised [`Aggregate`] of one shard.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub header: Header,
    pub run: RunSettings,
    pub gates: GateConfig,
    /// Detector ids, in table order (indices below refer to it).
    pub detectors: Vec<String>,
    pub files: Vec<SourceFile>,
    /// Per file: whether this shard owns its provenance (sha256, bytes,
    /// read problems), because it ran the file's first unit.
    pub tail_owner: Vec<bool>,
    pub file_totals: Vec<FileTotals>,
    pub rows: u64,
    pub malformed_rows: u64,
    pub consented: u64,
    pub provenance: u64,
    pub text_chars: u64,
    pub detector_counts: Vec<u64>,
    pub suppressed_counts: Vec<u64>,
    pub fields: BTreeMap<String, FieldTally>,
    pub splits: BTreeMap<String, SplitTotals>,
    pub error_count: u64,
    pub errors: Vec<ErrorEntry>,
    pub findings: Vec<FindingEntry>,
    pub vocab: VocabState,
}

/// SHA-256 of the detector table: what each detector is and matches.
pub fn detector_table_sha256(detectors: &[&'static Detector]) -> String {
    let mut h = Sha256::new();
    for d in detectors {
        for part in [d.id, d.category.as_str(), d.pattern, d.validator_name] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        for a in d.anchors.iter().chain(d.context) {
            h.update(a.as_bytes());
            h.update([1]);
        }
        h.update([2]);
    }
    hex::encode(h.finalize())
}

/// SHA-256 of a config file's bytes (of nothing when there is none).
pub fn config_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl State {
    /// Capture a finished aggregate.
    pub fn capture(
        agg: &Aggregate,
        header: Header,
        run: RunSettings,
        gates: GateConfig,
        tail_owner: Vec<bool>,
    ) -> State {
        let mut file_totals = agg.file_totals.clone();
        for (t, &own) in file_totals.iter_mut().zip(&tail_owner) {
            if !own {
                t.tail = Default::default();
            }
        }
        State {
            header,
            run,
            gates,
            detectors: agg.detectors.iter().map(|d| d.id.to_string()).collect(),
            files: agg.files.clone(),
            tail_owner,
            file_totals,
            rows: agg.rows,
            malformed_rows: agg.malformed_rows,
            consented: agg.consented,
            provenance: agg.provenance,
            text_chars: agg.text_chars,
            detector_counts: agg.detector_counts.clone(),
            suppressed_counts: agg.suppressed_counts.clone(),
            fields: agg.fields.clone(),
            splits: agg
                .splits
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            error_count: agg.error_count,
            errors: agg.errors.clone(),
            findings: agg
                .findings
                .iter()
                .map(|f| FindingEntry {
                    value: None,
                    ..f.clone()
                })
                .collect(),
            vocab: agg.vocab.to_state(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    pub fn from_bytes(bytes: &[u8], path: &str) -> Result<State, StateError> {
        // The header first, so that another version is named as such
        // rather than as a parse error somewhere in the body.
        #[derive(Deserialize)]
        struct Peek {
            header: Header,
        }
        let peek: Peek = serde_json::from_slice(bytes).map_err(|e| StateError::Parse {
            path: path.to_string(),
            detail: e.to_string(),
        })?;
        if peek.header.format != FORMAT || peek.header.version != VERSION {
            return Err(StateError::Version {
                path: path.to_string(),
                found: format!("{} version {}", peek.header.format, peek.header.version),
            });
        }
        serde_json::from_slice(bytes).map_err(|e| StateError::Parse {
            path: path.to_string(),
            detail: e.to_string(),
        })
    }

    pub fn read(path: &Path) -> Result<State, StateError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| StateError::Read {
            path: shown.clone(),
            source,
        })?;
        State::from_bytes(&bytes, &shown)
    }

    /// Fold `states` (any order) into the state of the whole scan. They
    /// must be the N shards of one run, each exactly once, with the same
    /// scour, detectors, config, settings and files.
    /// States of in-memory scans (shard 0 of 0: the Python package's)
    /// are concatenated in the order given instead (see [`State::concat`]).
    pub fn merge(mut states: Vec<State>) -> Result<State, StateError> {
        if !states.is_empty() && states.iter().all(|s| s.header.shards == 0) {
            return State::concat(states);
        }
        states.sort_by_key(|s| s.header.shard);
        let Some(first) = states.first() else {
            return Err(StateError::Disagree("no states to merge".into()));
        };
        let n = first.header.shards;
        let mut want = first.header.clone();
        for s in &states {
            want.shard = s.header.shard;
            let h = &s.header;
            let differ = |what: &str, a: &str, b: &str| {
                StateError::Disagree(format!(
                    "shard {}/{} has {what} {b}, shard {}/{} has {a}",
                    h.shard, h.shards, first.header.shard, first.header.shards
                ))
            };
            if h.scour_version != want.scour_version {
                return Err(differ("scour", &want.scour_version, &h.scour_version));
            }
            if h.detector_table_sha256 != want.detector_table_sha256 {
                return Err(differ(
                    "detector table",
                    &want.detector_table_sha256,
                    &h.detector_table_sha256,
                ));
            }
            if h.config_sha256 != want.config_sha256 {
                return Err(differ(
                    "config (sha256)",
                    &want.config_sha256,
                    &h.config_sha256,
                ));
            }
            if h.shards != n {
                return Err(differ("shard count", &n.to_string(), &h.shards.to_string()));
            }
            if s.run != first.run {
                return Err(StateError::Disagree(format!(
                    "shard {}/{} ran with other paths or field settings than shard {}/{}",
                    h.shard, n, first.header.shard, n
                )));
            }
            if s.gates != first.gates {
                return Err(StateError::Disagree(format!(
                    "shard {}/{} has other gate thresholds than shard {}/{}",
                    h.shard, n, first.header.shard, n
                )));
            }
            if s.detectors != first.detectors {
                return Err(StateError::Disagree(format!(
                    "shard {}/{} ran other detectors than shard {}/{}",
                    h.shard, n, first.header.shard, n
                )));
            }
            let same_files = s.files.len() == first.files.len()
                && s.files.iter().zip(&first.files).all(|(a, b)| {
                    a.display == b.display
                        && a.format == b.format
                        && a.split == b.split
                        && a.size == b.size
                });
            if !same_files {
                return Err(StateError::Disagree(format!(
                    "shard {}/{} saw other files than shard {}/{} (did the corpus change between shards?)",
                    h.shard, n, first.header.shard, n
                )));
            }
        }
        let shards: Vec<u32> = states.iter().map(|s| s.header.shard).collect();
        let expected: Vec<u32> = (1..=n).collect();
        if shards != expected {
            let missing: Vec<String> = expected
                .iter()
                .filter(|k| !shards.contains(k))
                .map(|k| format!("{k}/{n}"))
                .collect();
            let twice: Vec<String> = shards
                .windows(2)
                .filter(|w| w[0] == w[1])
                .map(|w| format!("{}/{n}", w[0]))
                .collect();
            let mut why = Vec::new();
            if !missing.is_empty() {
                why.push(format!("missing shard(s) {}", missing.join(", ")));
            }
            if !twice.is_empty() {
                why.push(format!("shard(s) given twice: {}", twice.join(", ")));
            }
            return Err(StateError::Disagree(why.join("; ")));
        }

        let mut it = states.into_iter();
        let mut acc = it.next().expect("checked non-empty");
        let mut vocab = VocabSummary::from_state(&acc.vocab).map_err(StateError::Disagree)?;
        for s in it {
            for (i, (t, o)) in acc.file_totals.iter_mut().zip(&s.file_totals).enumerate() {
                t.rows += o.rows;
                t.errors += o.errors;
                t.findings += o.findings;
                t.pii += o.pii;
                t.secrets += o.secrets;
                t.text_chars += o.text_chars;
                if s.tail_owner[i] {
                    t.tail = o.tail.clone();
                    acc.tail_owner[i] = true;
                }
            }
            add_sums(&mut acc, &s);
            acc.errors = merge_ordered(std::mem::take(&mut acc.errors), s.errors, |e| {
                (e.file, e.row.unwrap_or(u64::MAX))
            });
            acc.findings = merge_ordered(std::mem::take(&mut acc.findings), s.findings, |f| {
                (f.file, f.row)
            });
            let other = VocabSummary::from_state(&s.vocab).map_err(StateError::Disagree)?;
            vocab.merge_summary(&other);
        }
        acc.errors.truncate(super::aggregate::LIST_CAP);
        acc.findings.truncate(super::aggregate::LIST_CAP);
        acc.vocab = vocab.to_state();
        acc.header.shard = 1;
        acc.header.shards = 1;
        Ok(acc)
    }

    /// Concatenate the states of in-memory scans (the Python package's
    /// `scan_batch`, header shard 0 of 0) in the order given, as if their
    /// rows had been read one after another: a source seen again continues
    /// its row numbers, a new one is added to the file list. They must
    /// agree on scour, detectors, config, settings and gates.
    pub fn concat(states: Vec<State>) -> Result<State, StateError> {
        let mut it = states.into_iter();
        let Some(mut acc) = it.next() else {
            return Err(StateError::Disagree("no states to merge".into()));
        };
        let mut vocab = VocabSummary::from_state(&acc.vocab).map_err(StateError::Disagree)?;
        for s in it {
            let h = &s.header;
            if h.scour_version != acc.header.scour_version
                || h.detector_table_sha256 != acc.header.detector_table_sha256
                || h.config_sha256 != acc.header.config_sha256
                || h.shards != acc.header.shards
            {
                return Err(StateError::Disagree(format!(
                    "a state of scour {} (detectors {}, config {}) cannot join one of scour {} (detectors {}, config {})",
                    h.scour_version,
                    &h.detector_table_sha256[..h.detector_table_sha256.len().min(16)],
                    &h.config_sha256[..h.config_sha256.len().min(16)],
                    acc.header.scour_version,
                    &acc.header.detector_table_sha256[..acc.header.detector_table_sha256.len().min(16)],
                    &acc.header.config_sha256[..acc.header.config_sha256.len().min(16)],
                )));
            }
            if h.shards != 0 {
                return Err(StateError::Disagree(
                    "states of `scan --shard` merge with `scour merge`, shard by shard".into(),
                ));
            }
            let same_settings = RunSettings {
                dataset_paths: Vec::new(),
                ..s.run.clone()
            } == RunSettings {
                dataset_paths: Vec::new(),
                ..acc.run.clone()
            };
            if !same_settings || s.gates != acc.gates || s.detectors != acc.detectors {
                return Err(StateError::Disagree(
                    "the states were scanned with other field settings, gates or detectors".into(),
                ));
            }
            // Where each of this state's files lands, and the rows before it.
            let mut map = Vec::with_capacity(s.files.len());
            for (i, f) in s.files.iter().enumerate() {
                let at = match acc.files.iter().position(|g| g.display == f.display) {
                    Some(at) => at,
                    None => {
                        acc.files.push(f.clone());
                        acc.tail_owner.push(s.tail_owner[i]);
                        acc.file_totals.push(FileTotals::default());
                        acc.splits
                            .entry(f.split.as_str().to_string())
                            .or_default()
                            .files += 1;
                        acc.files.len() - 1
                    }
                };
                map.push((at, acc.file_totals[at].rows));
            }
            for p in &s.run.dataset_paths {
                if !acc.run.dataset_paths.contains(p) {
                    acc.run.dataset_paths.push(p.clone());
                }
            }
            for (i, o) in s.file_totals.iter().enumerate() {
                let t = &mut acc.file_totals[map[i].0];
                t.rows += o.rows;
                t.errors += o.errors;
                t.findings += o.findings;
                t.pii += o.pii;
                t.secrets += o.secrets;
                t.text_chars += o.text_chars;
            }
            add_sums(&mut acc, &s);
            let relocate = |file: usize, row: u64| (map[file].0, row + map[file].1);
            let errors = s.errors.into_iter().map(|mut e| {
                let (f, _) = relocate(e.file, 0);
                e.row = e.row.map(|r| relocate(e.file, r).1);
                e.file = f;
                e
            });
            let findings = s.findings.into_iter().map(|mut x| {
                (x.file, x.row) = relocate(x.file, x.row);
                x
            });
            let mut errors: Vec<_> = acc.errors.drain(..).chain(errors).collect();
            errors.sort_by_key(|e| (e.file, e.row.unwrap_or(u64::MAX)));
            errors.truncate(super::aggregate::LIST_CAP);
            acc.errors = errors;
            let mut findings: Vec<_> = acc.findings.drain(..).chain(findings).collect();
            findings.sort_by_key(|f| (f.file, f.row));
            findings.truncate(super::aggregate::LIST_CAP);
            acc.findings = findings;
            let other = VocabSummary::from_state(&s.vocab).map_err(StateError::Disagree)?;
            vocab.merge_summary(&other);
        }
        acc.vocab = vocab.to_state();
        Ok(acc)
    }

    /// The aggregate the report is built from. `detectors` is the table
    /// the merging scour builds from the same config (checked by id).
    pub fn into_aggregate(
        self,
        detectors: Vec<&'static Detector>,
    ) -> Result<Aggregate, StateError> {
        let ids: Vec<&str> = detectors.iter().map(|d| d.id).collect();
        if ids
            != self
                .detectors
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        {
            return Err(StateError::Disagree(
                "the states were written with other detectors than this scour and config build"
                    .into(),
            ));
        }
        let vocab = VocabSummary::from_state(&self.vocab).map_err(StateError::Disagree)?;
        let mut agg = Aggregate::new(detectors, self.files);
        agg.file_totals = self.file_totals;
        agg.rows = self.rows;
        agg.malformed_rows = self.malformed_rows;
        agg.consented = self.consented;
        agg.provenance = self.provenance;
        agg.text_chars = self.text_chars;
        agg.detector_counts = self.detector_counts;
        agg.suppressed_counts = self.suppressed_counts;
        agg.fields = self.fields;
        for (name, t) in self.splits {
            if let Some(e) = agg.splits.get_mut(name.as_str()) {
                let files = e.files;
                *e = SplitTotals { files, ..t };
            }
        }
        agg.error_count = self.error_count;
        agg.errors = self.errors;
        agg.findings = self.findings;
        agg.vocab = vocab;
        Ok(agg)
    }
}

/// Add `s`'s whole-scan sums into `acc`: rows, coverage, per detector,
/// per field and per split (files per split come from the file list, not
/// from the sum).
fn add_sums(acc: &mut State, s: &State) {
    acc.rows += s.rows;
    acc.malformed_rows += s.malformed_rows;
    acc.consented += s.consented;
    acc.provenance += s.provenance;
    acc.text_chars += s.text_chars;
    add_all(&mut acc.detector_counts, &s.detector_counts);
    add_all(&mut acc.suppressed_counts, &s.suppressed_counts);
    for (path, t) in &s.fields {
        let e = acc.fields.entry(path.clone()).or_default();
        e.values += t.values;
        e.findings += t.findings;
        for (&d, &n) in &t.by_detector {
            *e.by_detector.entry(d).or_insert(0) += n;
        }
    }
    for (name, t) in &s.splits {
        let e = acc.splits.entry(name.clone()).or_default();
        e.rows += t.rows;
        e.findings += t.findings;
        e.pii += t.pii;
        e.secrets += t.secrets;
        for (&d, &n) in &t.by_detector {
            *e.by_detector.entry(d).or_insert(0) += n;
        }
    }
    acc.error_count += s.error_count;
}

fn add_all(acc: &mut [u64], more: &[u64]) {
    for (a, b) in acc.iter_mut().zip(more) {
        *a += b;
    }
}

/// Merge two lists already in order by `key`, keeping each list's own
/// order among equal keys (`a` first).
fn merge_ordered<T, K: Ord>(a: Vec<T>, b: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut a = a.into_iter().peekable();
    let mut b = b.into_iter().peekable();
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => key(x) <= key(y),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_a { a.next() } else { b.next() };
        out.extend(next);
        if out.len() >= super::aggregate::LIST_CAP {
            break;
        }
    }
    out
}
