//! The `scour` Python module: the CLI's scanner on Arrow data from any
//! PyCapsule producer (a pyarrow Table or RecordBatch, a Polars DataFrame,
//! a DuckDB result), without a copy, and the CLI's mergeable state, so a
//! batch engine (Ray, Spark, Polars) folds a scan the way `scour scan
//! --shard` and `scour merge` do.
//!
//! Nothing here scans: batches go through the library's pipeline
//! (`pipeline::run_batches`) into its report sink, and states and reports
//! are the library's, byte for byte.

use std::ffi::CStr;
use std::sync::Arc;

use arrow_array::ffi::{from_ffi, FFI_ArrowArray};
use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use arrow_array::{RecordBatch, StructArray};
use arrow_schema::ffi::FFI_ArrowSchema;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyCapsule, PyTuple};

use scour::config;
use scour::detect::custom::{self, Filter};
use scour::detect::Detector;
use scour::fields::{FieldRules, DEFAULT_CONSENT, DEFAULT_PROVENANCE};
use scour::pipeline::{self, BatchItem, PipelineOptions};
use scour::report::aggregate::Aggregate;
use scour::report::build::{build, RunInfo};
use scour::report::gates::GateConfig;
use scour::report::state::{self, Header, RunSettings};
use scour::report::{pyjson, sign};
use scour::source::discover::infer_split;
use scour::source::{Compression, Format, SourceFile};
use scour::util::{time::rfc3339_utc, ulid::new_ulid};

const STREAM: &CStr = c"arrow_array_stream";
const SCHEMA: &CStr = c"arrow_schema";
const ARRAY: &CStr = c"arrow_array";

fn value_err(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// The record batches of any Arrow PyCapsule producer, read lazily: a
/// stream (`__arrow_c_stream__`: tables, readers, DataFrames) or one array
/// (`__arrow_c_array__`: a RecordBatch of an older pyarrow).
fn import(data: &Bound<'_, PyAny>) -> PyResult<Box<dyn Iterator<Item = BatchItem> + Send>> {
    if data.hasattr("__arrow_c_stream__")? {
        let capsule = data.call_method0("__arrow_c_stream__")?;
        let capsule = capsule.cast::<PyCapsule>()?;
        let ptr = capsule.pointer_checked(Some(STREAM))?;
        // Moves the stream out, leaving a released one for the capsule's
        // destructor: the data is ours now, not copied.
        let stream = unsafe { FFI_ArrowArrayStream::from_raw(ptr.as_ptr().cast()) };
        let reader = RecordBatchStreamReader::try_new(stream).map_err(value_err)?;
        return Ok(Box::new(reader.map(|b| b.map_err(|e| e.to_string()))));
    }
    if data.hasattr("__arrow_c_array__")? {
        let pair = data.call_method0("__arrow_c_array__")?;
        let pair = pair.cast::<PyTuple>()?;
        let schema = pair.get_item(0)?;
        let array = pair.get_item(1)?;
        let schema = schema.cast::<PyCapsule>()?;
        let array = array.cast::<PyCapsule>()?;
        let schema_ptr = schema.pointer_checked(Some(SCHEMA))?;
        let array_ptr = array.pointer_checked(Some(ARRAY))?;
        let ffi_array = unsafe { FFI_ArrowArray::from_raw(array_ptr.as_ptr().cast()) };
        let ffi_schema: &FFI_ArrowSchema = unsafe { &*schema_ptr.as_ptr().cast() };
        let data = unsafe { from_ffi(ffi_array, ffi_schema) }.map_err(value_err)?;
        let batch = RecordBatch::from(StructArray::from(data));
        return Ok(Box::new(std::iter::once(Ok(batch))));
    }
    Err(PyTypeError::new_err(
        "expected Arrow data: an object with __arrow_c_stream__ or __arrow_c_array__ (pyarrow, Polars, DuckDB)",
    ))
}

/// Detectors of every Scanner made in this process (built-ins and a
/// config's own rules), by which a state's detector ids are resolved for
/// its report.
static DETECTORS: std::sync::Mutex<Vec<&'static Detector>> = std::sync::Mutex::new(Vec::new());

fn remember(detectors: &[&'static Detector]) {
    let mut known = DETECTORS.lock().unwrap_or_else(|p| p.into_inner());
    for d in detectors {
        if !known.iter().any(|k| std::ptr::eq(*k, *d)) {
            known.push(d);
        }
    }
}

fn known_detectors() -> Vec<&'static Detector> {
    let mut all = DETECTORS.lock().unwrap_or_else(|p| p.into_inner()).clone();
    if let Ok(builtin) = custom::select(&[], &[]) {
        for d in builtin {
            if !all.iter().any(|k| k.id == d.id) {
                all.push(d);
            }
        }
    }
    all
}

/// The scanner: the CLI's detectors, config and field settings, on its own
/// thread pool.
#[pyclass(module = "scour", frozen)]
struct Scanner {
    scanner: scour::detect::Scanner,
    opts: PipelineOptions,
    pool: rayon::ThreadPool,
    gates: GateConfig,
    settings: RunSettings,
    config_sha256: String,
}

#[pymethods]
impl Scanner {
    /// `config`: a scour.toml (as `scour scan --config`; default: none, not
    /// ./scour.toml); `threads`: the pool's size (default: all cores); the
    /// field lists as `--text-field`, `--consent-field`,
    /// `--provenance-field`.
    #[new]
    #[pyo3(signature = (config=None, threads=None, text_fields=None, consent_fields=None, provenance_fields=None))]
    fn new(
        config: Option<std::path::PathBuf>,
        threads: Option<usize>,
        text_fields: Option<Vec<String>>,
        consent_fields: Option<Vec<String>>,
        provenance_fields: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let cfg = match &config {
            Some(p) => config::load(Some(p)).map_err(value_err)?.1,
            None => config::Config::default(),
        };
        let config_bytes = match &config {
            Some(p) => std::fs::read(p).map_err(value_err)?,
            None => Vec::new(),
        };
        let pick = |given: Option<Vec<String>>, conf: &Option<Vec<String>>, default: &[&str]| {
            given
                .or_else(|| conf.clone())
                .unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect())
        };
        let consent = pick(consent_fields, &cfg.fields.consent, DEFAULT_CONSENT);
        let provenance = pick(
            provenance_fields,
            &cfg.fields.provenance,
            DEFAULT_PROVENANCE,
        );
        let text = text_fields.unwrap_or_else(|| cfg.fields.text.clone());
        let detectors = custom::select(&cfg.detectors.disable, &cfg.rules).map_err(value_err)?;
        remember(&detectors);
        let filter = Filter::new(&detectors, &cfg.allowlist, &cfg.rules).map_err(value_err)?;
        let scanner = scour::detect::Scanner::new(detectors).map_err(value_err)?;
        let threads = threads
            .or(cfg.scan.threads)
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        Ok(Scanner {
            settings: RunSettings {
                dataset_paths: Vec::new(),
                skipped_files: Vec::new(),
                engine: scanner.engine_name().to_string(),
                text_fields: text.clone(),
                consent_fields: consent.clone(),
                provenance_fields: provenance.clone(),
            },
            opts: PipelineOptions {
                threads,
                rules: FieldRules::new(consent, provenance, text),
                progress: Arc::default(),
                filter: Arc::new(filter),
            },
            scanner,
            pool,
            gates: cfg.gates.clone(),
            config_sha256: state::config_sha256(&config_bytes),
        })
    }

    /// Scan Arrow data (any PyCapsule producer) as the rows of `source`
    /// (the name the report gives them; its split is inferred from it as
    /// for a file) and return the mergeable state. The GIL is released
    /// while the batches are scanned.
    #[pyo3(signature = (data, source="batch"))]
    fn scan_batch(&self, py: Python<'_>, data: &Bound<'_, PyAny>, source: &str) -> PyResult<State> {
        let mut batches = import(data)?;
        let file = SourceFile {
            path: source.into(),
            display: source.to_string(),
            format: Format::Parquet,
            compression: Compression::None,
            split: infer_split(source),
            size: 0,
            mtime: None,
        };
        let inner = py.detach(|| {
            let mut agg = Aggregate::new(self.scanner.detectors().to_vec(), vec![file]);
            pipeline::run_batches(
                &mut batches,
                0,
                &self.scanner,
                &self.opts,
                &self.pool,
                &mut agg,
            );
            let mut settings = self.settings.clone();
            settings.dataset_paths = vec![source.to_string()];
            let header = Header {
                format: state::FORMAT.to_string(),
                version: state::VERSION,
                scour_version: env!("CARGO_PKG_VERSION").to_string(),
                detector_table_sha256: state::detector_table_sha256(self.scanner.detectors()),
                config_sha256: self.config_sha256.clone(),
                shard: 0,
                shards: 0,
            };
            state::State::capture(&agg, header, settings, self.gates.clone(), vec![true])
        });
        Ok(State { inner })
    }
}

/// A scan's mergeable state: the CLI's `--state` format.
#[pyclass(module = "scour", frozen)]
struct State {
    inner: state::State,
}

#[pymethods]
impl State {
    /// This state followed by `others`: rows of a source seen again
    /// continue its row numbers, new sources are added in order.
    #[pyo3(signature = (*others))]
    fn merge(&self, py: Python<'_>, others: Vec<PyRef<'_, State>>) -> PyResult<State> {
        let mut all = vec![self.inner.clone()];
        all.extend(others.iter().map(|s| s.inner.clone()));
        let inner = py.detach(|| state::State::concat(all)).map_err(value_err)?;
        Ok(State { inner })
    }

    /// The state's bytes (`scour merge` reads them).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<State> {
        let inner = state::State::from_bytes(data, "<bytes>").map_err(value_err)?;
        Ok(State { inner })
    }

    /// Rows scanned.
    #[getter]
    fn rows(&self) -> u64 {
        self.inner.rows
    }

    /// The report (JSON text, as `scour scan` prints it), signed with
    /// `signing_key` when given. The gates are the scanner's.
    #[pyo3(signature = (signing_key=None))]
    fn report(&self, signing_key: Option<&[u8]>) -> PyResult<String> {
        let known = known_detectors();
        let detectors: Vec<_> = self
            .inner
            .detectors
            .iter()
            .map(|id| {
                known.iter().find(|d| d.id == id).copied().ok_or_else(|| {
                    value_err(format!(
                        "the state names detector {id}, which no Scanner of this process has"
                    ))
                })
            })
            .collect::<PyResult<_>>()?;
        let s = self.inner.clone();
        let run = RunInfo {
            scan_id: new_ulid(),
            scanned_at: rfc3339_utc(std::time::SystemTime::now()),
            dataset_paths: s.run.dataset_paths.clone(),
            skipped_files: s.run.skipped_files.clone(),
            engine: Box::leak(s.run.engine.clone().into_boxed_str()),
            text_fields: s.run.text_fields.clone(),
            consent_fields: s.run.consent_fields.clone(),
            provenance_fields: s.run.provenance_fields.clone(),
        };
        let gates = s.gates.clone();
        let agg = s.into_aggregate(detectors).map_err(value_err)?;
        let (mut report, _) = build(&agg, &run, &gates);
        if let Some(k) = signing_key.filter(|k| !k.is_empty()) {
            report["hmac_signature"] = serde_json::Value::String(sign::sign(&report, k));
        }
        let mut out = pyjson::to_string_pretty(&report);
        if !out.ends_with('\n') {
            out.push('\n');
        }
        Ok(out)
    }
}

#[pymodule]
#[pyo3(name = "scour")]
fn scour_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Scanner>()?;
    m.add_class::<State>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
