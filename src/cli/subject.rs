//! `scour subject find | export | purge`: arguments, the key, the run, the
//! summary, the receipt and the audit entries.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use serde_json::{json, Value};

use scour::config;
use scour::detect::{custom, Scanner};
use scour::fields::{FieldRules, DEFAULT_CONSENT, DEFAULT_PROVENANCE};
use scour::keys::{PseudonymKey, PSEUDONYM_KEY_ENV};
use scour::pipeline::PipelineOptions;
use scour::report::{pyjson, sign};
use scour::source::discover::discover;
use scour::source::SourceFile;
use scour::subject::export::ExportWriter;
use scour::subject::hits::HitsWriter;
use scour::subject::purge;
use scour::subject::receipt::{AuditRef, FileEntry, Receipt};
use scour::subject::select::{read_ids_file, Request};
use scour::subject::{self as subj, SubjectSink, Subjects, Wants};
use scour::util::{atomic::write_atomic, time::rfc3339_utc, ulid::new_ulid};

#[derive(Subcommand)]
pub enum SubjectCommand {
    /// List every occurrence of the subjects: file, split, row, line, field,
    /// match kind, detector, byte span and subject reference (never the
    /// identifier). Exit 0 found, 1 nothing found, 2 error.
    Find {
        #[command(flatten)]
        common: Common,
        /// Write the hits here: JSON lines, or Parquet when FILE ends in
        /// `.parquet`.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Write the rows where the subjects appear, with their origin, for an
    /// access request (mode 0600), and a summary without identifiers beside it.
    Export {
        #[command(flatten)]
        common: Common,
        /// The export (JSON lines); FILE.summary.json is written beside it.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Remove every row where the subjects appear, each file in its own
    /// format, atomically; write a receipt.
    Purge {
        #[command(flatten)]
        common: Common,
        /// Remove rows whose field FIELD holds exactly VALUE (repeatable).
        #[arg(long = "row-id", value_name = "FIELD=VALUE")]
        row_ids: Vec<String>,
        /// List what would be removed; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write the receipt here (default: stdout).
        #[arg(long, value_name = "FILE")]
        receipt: Option<PathBuf>,
        /// Record `data.erasure_requested` and `data.erasure_completed` (or
        /// `data.erasure_failed`) in this audit log, keyed by SCOUR_AUDIT_KEY.
        #[arg(long, value_name = "FILE")]
        audit_log: Option<PathBuf>,
    },
}

/// Arguments every subcommand shares: where, who, and how.
#[derive(clap::Args)]
pub struct Common {
    /// Files or directories (walked recursively, in sorted order).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// A subject's identifier (repeatable); its type is found by the
    /// detectors unless the --type after it names one.
    #[arg(long = "id", value_name = "VALUE")]
    ids: Vec<String>,
    /// The type of the --id before it: a detector id or `literal`.
    #[arg(long = "type", value_name = "TYPE")]
    types: Vec<String>,
    /// Subjects, one a line: VALUE or TYPE<TAB>VALUE.
    #[arg(long, value_name = "FILE")]
    ids_file: Option<PathBuf>,
    /// Pseudonym key file (its bytes without a trailing newline); default
    /// SCOUR_PSEUDONYM_KEY. Must be the key the corpus was masked with.
    #[arg(long, value_name = "F")]
    key_file: Option<PathBuf>,
    /// Config file (default: ./scour.toml if present).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// No progress bar and no summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(cmd: SubjectCommand) -> Result<u8> {
    match cmd {
        SubjectCommand::Find { common, output } => find(common, output),
        SubjectCommand::Export { common, out } => export(common, out),
        SubjectCommand::Purge {
            common,
            row_ids,
            dry_run,
            receipt,
            audit_log,
        } => purge_cmd(common, row_ids, dry_run, receipt, audit_log),
    }
}

/// `--id` values with the `--type` that follows each, in command-line
/// order (clap keeps each flag's values but not how they interleave).
fn id_requests(c: &Common, args: &[OsString]) -> Result<Vec<Request>> {
    let mut out: Vec<Request> = Vec::new();
    let mut ids = c.ids.iter();
    let mut types = c.types.iter();
    let mut it = args.iter().map(|a| a.to_string_lossy().into_owned());
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        match flag.as_str() {
            "--id" => {
                if inline.is_none() {
                    it.next();
                }
                if let Some(v) = ids.next() {
                    out.push(Request {
                        kind: None,
                        value: v.clone(),
                        origin: format!("--id #{}", out.len() + 1),
                    });
                }
            }
            "--type" => {
                if inline.is_none() {
                    it.next();
                }
                let Some(t) = types.next() else { continue };
                match out.last_mut() {
                    Some(r) if r.kind.is_none() => r.kind = Some(t.clone()),
                    _ => bail!("--type {t}: give it after the --id it types"),
                }
            }
            _ => {}
        }
    }
    if ids.next().is_some() || types.next().is_some() {
        bail!(
            "--id/--type: could not pair each --type with its --id; write `--id VALUE --type TYPE`"
        );
    }
    Ok(out)
}

/// Everything a subcommand needs before the scan.
struct Setup {
    files: Vec<SourceFile>,
    scanner: Scanner,
    opts: PipelineOptions,
    subjects: Arc<Subjects>,
    key: PseudonymKey,
    quiet: bool,
    audit_cfg: Option<PathBuf>,
}

fn setup(c: &Common, row_ids: &[String]) -> Result<Setup> {
    let (cfg_path, cfg) = config::load(c.config.as_deref())?;
    // A new key would match nothing: never created here.
    let key = match &c.key_file {
        Some(p) if !p.exists() => bail!("--key-file {}: no such file", p.display()),
        Some(p) => Some(PseudonymKey::from_file_or_create(p)?.0),
        None => PseudonymKey::from_env(),
    };
    let Some(key) = key else {
        bail!("no pseudonym key: set {PSEUDONYM_KEY_ENV} or give --key-file F (the key the corpus was masked with); subjects are named by keyed references only");
    };
    let args: Vec<OsString> = std::env::args_os().collect();
    let mut requests = id_requests(c, &args)?;
    if let Some(f) = &c.ids_file {
        requests.extend(read_ids_file(f)?);
    }
    let detectors = custom::select(&cfg.detectors.disable, &cfg.rules)
        .context("invalid detector configuration")?;
    let filter =
        custom::Filter::new(&detectors, &cfg.allowlist, &cfg.rules).context("invalid allowlist")?;
    let scanner = Scanner::new(detectors).context("cannot compile the detectors")?;
    let subjects = Subjects::build(&requests, row_ids, &scanner, &key)?;
    if !c.quiet {
        if let Some(p) = &cfg_path {
            eprintln!("scour: using config {}", p.display());
        }
    }
    let found = discover(&c.paths)?;
    let threads = c
        .threads
        .or(cfg.scan.threads)
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let rules = FieldRules::new(
        cfg.fields
            .consent
            .clone()
            .unwrap_or_else(|| DEFAULT_CONSENT.iter().map(|s| s.to_string()).collect()),
        cfg.fields
            .provenance
            .clone()
            .unwrap_or_else(|| DEFAULT_PROVENANCE.iter().map(|s| s.to_string()).collect()),
        Vec::new(),
    );
    let opts = PipelineOptions {
        threads,
        rules,
        progress: Arc::new(AtomicU64::new(0)),
        filter: Arc::new(filter),
    };
    Ok(Setup {
        files: found.files,
        scanner,
        opts,
        subjects: Arc::new(subjects),
        key,
        quiet: c.quiet,
        audit_cfg: cfg.audit.log.clone(),
    })
}

/// Run the pipeline with a progress bar.
fn scan(s: &Setup, wants: Wants, prepare: impl FnOnce(&mut SubjectSink)) -> Result<SubjectSink> {
    let total: u64 = s.files.iter().map(|f| f.size).sum();
    let bar = crate::progress::Progress::start(s.quiet, total, s.opts.progress.clone());
    let sink = subj::run(
        &s.files,
        &s.scanner,
        &s.opts,
        s.subjects.clone(),
        wants,
        prepare,
    )
    .context("cannot start worker threads")?;
    bar.finish();
    if let Some(e) = &sink.write_error {
        bail!("{e}");
    }
    Ok(sink)
}

/// Subjects with hits, hits per split and file, on stderr.
fn summary(sink: &SubjectSink, quiet: bool) {
    // A file read in part makes "not found" a guess: always said.
    for (f, r) in sink.files().iter().zip(&sink.results) {
        for p in &r.problems {
            eprintln!("scour: {}: {p}", f.display);
        }
    }
    if quiet {
        return;
    }
    let t = &sink.totals;
    let subjects = sink.subjects();
    let with = t.per_subject.iter().filter(|&&n| n > 0).count();
    eprintln!(
        "scour: {} hit(s) in {} row(s) of {} file(s); {with} of {} subject(s) found",
        t.hits,
        t.rows_matched,
        sink.files().len(),
        subjects.len()
    );
    for (split, n) in &t.per_split {
        eprintln!("scour:   split {split}: {n} hit(s)");
    }
    for (kind, n) in &t.per_kind {
        eprintln!("scour:   {kind}: {n} hit(s)");
    }
    for (f, r) in sink.files().iter().zip(&sink.results) {
        if r.hits > 0 {
            eprintln!(
                "scour:   {}: {} hit(s) in {} row(s)",
                f.display, r.hits, r.rows_matched
            );
        }
    }
    const SHOWN: usize = 20;
    let mut listed = 0;
    for (i, &n) in t.per_subject.iter().enumerate() {
        if n > 0 && listed < SHOWN {
            let s = &subjects.list[i];
            eprintln!("scour:   subject {} ({}): {n} hit(s)", s.reference, s.kind);
            listed += 1;
        }
    }
    if with > SHOWN {
        eprintln!("scour:   ... {} more subject(s) with hits", with - SHOWN);
    }
}

fn find(c: Common, output: Option<PathBuf>) -> Result<u8> {
    let s = setup(&c, &[])?;
    let writer = match &output {
        Some(p) => {
            Some(HitsWriter::create(p).with_context(|| format!("{}: cannot create", p.display()))?)
        }
        None => None,
    };
    let mut sink = scan(&s, Wants::default(), |sink| {
        if let Some(w) = writer {
            sink.write_hits(w);
        }
    })?;
    if let (Some(w), Some(p)) = (sink.take_hits(), &output) {
        w.finish()
            .with_context(|| format!("{}: cannot write the hits", p.display()))?;
    }
    summary(&sink, s.quiet);
    Ok(if sink.totals.hits > 0 { 0 } else { 1 })
}

fn export(c: Common, out: PathBuf) -> Result<u8> {
    let s = setup(&c, &[])?;
    let writer =
        ExportWriter::create(&out).with_context(|| format!("{}: cannot create", out.display()))?;
    let mut sink = scan(
        &s,
        Wants {
            export: true,
            purge: false,
        },
        |sink| sink.write_export(writer),
    )?;
    let rows = match sink.take_export() {
        Some(w) => {
            let rows = w.rows;
            w.finish()
                .with_context(|| format!("{}: cannot write", out.display()))?;
            rows
        }
        None => 0,
    };
    let mut name = out.as_os_str().to_os_string();
    name.push(".summary.json");
    let summary_path = PathBuf::from(name);
    let files: Vec<Value> = sink
        .files()
        .iter()
        .zip(&sink.results)
        .filter(|(_, r)| !r.matched_rows.is_empty())
        .map(|(f, r)| {
            json!({"file": f.display, "split": f.split.as_str(), "rows": r.matched_rows.len(), "hits": r.hits, "sha256": r.sha256})
        })
        .collect();
    let subjects: Vec<Value> = sink
        .subjects()
        .list
        .iter()
        .zip(&sink.totals.per_subject)
        .map(|(s, n)| json!({"subject": s.reference, "type": s.kind, "hits": n}))
        .collect();
    let doc = json!({
        "kind": "scour.subject_export",
        "scour_version": env!("CARGO_PKG_VERSION"),
        "export_file": out.display().to_string(),
        "created_at": rfc3339_utc(SystemTime::now()),
        "key_id": s.key.id(),
        "rows": rows,
        "hits": sink.totals.hits,
        "files": files,
        "subjects": subjects,
    });
    let mut text = pyjson::to_string_pretty(&doc);
    text.push('\n');
    write_atomic(&summary_path, text.as_bytes())
        .with_context(|| format!("{}: cannot write", summary_path.display()))?;
    summary(&sink, s.quiet);
    if !s.quiet {
        eprintln!(
            "scour: {rows} row(s) exported to {} (mode 0600: it holds personal data); summary {}",
            out.display(),
            summary_path.display()
        );
    }
    Ok(if rows > 0 { 0 } else { 1 })
}

fn purge_cmd(
    c: Common,
    row_ids: Vec<String>,
    dry_run: bool,
    receipt_path: Option<PathBuf>,
    audit_log: Option<PathBuf>,
) -> Result<u8> {
    let s = setup(&c, &row_ids)?;
    let audit = super::audit::Sink::resolve(audit_log, s.audit_cfg.clone())?;
    let signing = sign::key_from_env();
    let started_at = rfc3339_utc(SystemTime::now());
    let receipt_id = new_ulid();
    let sink = scan(
        &s,
        Wants {
            purge: true,
            export: false,
        },
        |_| {},
    )?;
    summary(&sink, s.quiet);
    let refs: Vec<String> = sink
        .subjects()
        .list
        .iter()
        .map(|x| x.reference.clone())
        .collect();
    let mut entries: Vec<FileEntry> = sink
        .files()
        .iter()
        .zip(&sink.results)
        .map(|(f, r)| FileEntry {
            file: f.display.clone(),
            split: f.split.as_str().to_string(),
            format: format!("{:?}", f.format).to_lowercase(),
            rows_removed: r.matched_rows.len() as u64,
            rows_before: r.rows,
            old_sha256: r.sha256.clone(),
            new_sha256: None,
            error: None,
            rows: if dry_run {
                r.matched_rows.clone()
            } else {
                Vec::new()
            },
        })
        .collect();
    let to_change: Vec<usize> = (0..entries.len())
        .filter(|&i| !sink.results[i].matched_rows.is_empty())
        .collect();
    // Refuse up front what cannot be done, before any file changes.
    for &i in &to_change {
        if let Err(e) = purge::check(&sink.files()[i], &sink.results[i]) {
            entries[i].error = Some(e);
        }
    }
    let mut audit_refs = Vec::new();
    if !dry_run && !to_change.is_empty() {
        if let Some(a) = &audit {
            let planned: Vec<Value> = to_change
                .iter()
                .map(|&i| json!({"file": entries[i].file, "rows": entries[i].rows_removed, "sha256": entries[i].old_sha256}))
                .collect();
            let payload = json!({
                "receipt_id": receipt_id,
                "key_id": s.key.id(),
                "subjects": refs,
                "files": planned,
            });
            let out = a
                .record_entry("data.erasure_requested", &payload)
                .with_context(|| {
                    format!(
                        "{}: cannot record the request; nothing was removed",
                        a.path.display()
                    )
                })?;
            audit_refs.push(AuditRef {
                event: "data.erasure_requested".into(),
                seq: out.seq,
                hash: out.hash,
            });
        }
        for &i in &to_change {
            if entries[i].error.is_some() {
                continue;
            }
            match purge::purge_file(&sink.files()[i], &sink.results[i]) {
                Ok(p) => entries[i].new_sha256 = Some(p.new_sha256),
                Err(e) => entries[i].error = Some(e),
            }
        }
    }
    let mut receipt = Receipt {
        receipt_id,
        dry_run,
        key_id: s.key.id(),
        subjects: refs,
        started_at,
        finished_at: rfc3339_utc(SystemTime::now()),
        files: entries,
        audit: audit_refs,
    };
    let failed = receipt.failed();
    if !dry_run && !to_change.is_empty() {
        if let Some(a) = &audit {
            let event = if failed == 0 {
                "data.erasure_completed"
            } else {
                "data.erasure_failed"
            };
            let files: Vec<Value> = receipt
                .files
                .iter()
                .filter(|f| f.rows_removed > 0)
                .map(|f| json!({"file": f.file, "rows_removed": if f.new_sha256.is_some() { f.rows_removed } else { 0 }, "old_sha256": f.old_sha256, "new_sha256": f.new_sha256, "error": f.error}))
                .collect();
            let payload = json!({
                "receipt_id": receipt.receipt_id,
                "subjects": receipt.subjects,
                "rows_removed": receipt.rows_removed(),
                "files_failed": failed,
                "files": files,
            });
            let out = a
                .record_entry(event, &payload)
                .with_context(|| format!("{}: cannot record the outcome", a.path.display()))?;
            receipt.audit.push(AuditRef {
                event: event.into(),
                seq: out.seq,
                hash: out.hash,
            });
        }
    }
    let mut doc = receipt.to_json();
    if let Some(k) = &signing {
        sign::attach_signature(&mut doc, k).context("cannot sign the receipt")?;
    } else if !s.quiet {
        eprintln!("scour: warning: SCOUR_SIGNING_KEY is not set; the receipt is unsigned");
    }
    let mut text = pyjson::to_string_pretty(&doc);
    text.push('\n');
    match &receipt_path {
        Some(p) => write_atomic(p, text.as_bytes())
            .with_context(|| format!("{}: cannot write the receipt", p.display()))?,
        None => {
            let mut so = std::io::stdout().lock();
            so.write_all(text.as_bytes())
                .and_then(|()| so.flush())
                .context("cannot write the receipt to stdout")?;
        }
    }
    // Failures are shown even with --quiet: they change the exit code.
    for f in &receipt.files {
        if let Some(e) = &f.error {
            eprintln!("scour: {}: {e}", f.file);
        }
    }
    if !s.quiet {
        let rows: u64 = receipt.files.iter().map(|f| f.rows_removed).sum();
        if dry_run {
            eprintln!(
                "scour: dry run: {rows} row(s) in {} file(s) would be removed; nothing changed",
                to_change.len()
            );
        } else {
            eprintln!(
                "scour: {} row(s) removed from {} file(s){}; receipt {}",
                receipt.rows_removed(),
                receipt
                    .files
                    .iter()
                    .filter(|f| f.new_sha256.is_some())
                    .count(),
                if failed > 0 {
                    format!(", {failed} file(s) failed")
                } else {
                    String::new()
                },
                receipt_path
                    .as_deref()
                    .map_or("on stdout".to_string(), |p: &Path| p.display().to_string())
            );
        }
    }
    Ok(if failed > 0 {
        2
    } else if to_change.is_empty() {
        1
    } else {
        0
    })
}
