//! The command-line edge: arguments, exit codes, progress, output.
//!
//! Exit codes: 0 every gate passed (or the check succeeded), 1 a gate failed
//! (or a report does not verify), 2 usage or input error.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

mod cli;

use scour::config;
use scour::detect::{custom, Scanner};
use scour::fields::{FieldRules, DEFAULT_CONSENT, DEFAULT_PROVENANCE};
use scour::findings::baseline::Baseline;
use scour::pipeline::{self, PipelineOptions};
use scour::report::aggregate::Aggregate;
use scour::report::build::{build, RunInfo};
use scour::report::{html, markdown, pyjson, sarif, sign};
use scour::source::discover::discover;
use scour::stats::BiasSignal;
use scour::util::{atomic::write_atomic, time::rfc3339_utc, ulid::new_ulid};

mod progress;
use progress::Progress;

#[derive(Parser)]
#[command(
    name = "scour",
    version,
    about = "Find PII, secrets, consent gaps and skew in ML training data"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    Json,
    Markdown,
    /// One self-contained page with inline SVG charts.
    Html,
    /// SARIF 2.1.0 for code-scanning views (GitHub code scanning).
    Sarif,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RulesFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EngineKind {
    /// Pure Rust (regex-automata); always available.
    Regex,
    /// The system Hyperscan library; needs a build with `--features hyperscan`.
    Hyperscan,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Bias {
    Low,
    Medium,
    High,
}

#[derive(Subcommand)]
enum Command {
    /// Scan files or directories and write the signed Article 10 report.
    Scan(Box<ScanArgs>),
    /// Write masked copies of a corpus, same format, only the found spans changed.
    Mask(Box<cli::mask::MaskArgs>),
    /// Find, export or erase the rows where data subjects appear.
    Subject {
        #[command(subcommand)]
        command: cli::subject::SubjectCommand,
    },
    /// Merge the states of `scan --shard K/N --state FILE` into the report of the whole.
    Merge(Box<cli::merge::MergeArgs>),
    /// Check a report's HMAC signature with SCOUR_SIGNING_KEY.
    VerifyReport {
        /// The report JSON file.
        report: PathBuf,
    },
    /// Accept today's findings: later scans with --baseline fail only on new ones.
    Baseline {
        #[command(subcommand)]
        action: BaselineAction,
    },
    /// Verify, checkpoint or show an audit log.
    Audit {
        #[command(subcommand)]
        command: cli::audit::AuditCommand,
    },
    /// List every detector scour scans with (built-ins and scour.toml rules).
    Rules {
        #[arg(long, value_enum, default_value = "text")]
        format: RulesFormat,
        /// Config file (default: ./scour.toml if present).
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Files or directories (walked recursively, in sorted order).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "json")]
    format: ReportFormat,
    /// Write the report here (atomically) instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Config file (default: ./scour.toml if present).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Which engine finds candidate detectors; findings are identical.
    #[arg(long, value_enum, default_value = "regex")]
    engine: EngineKind,
    /// No progress bar and no warnings on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Fail (exit 2) when SCOUR_SIGNING_KEY is not set.
    #[arg(long)]
    require_signature: bool,
    /// Only scan these field paths, e.g. `text` or `messages[].content` (repeatable).
    #[arg(long = "text-field", value_name = "PATH")]
    text_fields: Vec<String>,
    /// Top-level consent field name (repeatable; replaces the defaults).
    #[arg(long = "consent-field", value_name = "NAME")]
    consent_fields: Vec<String>,
    /// Top-level provenance field name (repeatable; replaces the defaults).
    #[arg(long = "provenance-field", value_name = "NAME")]
    provenance_fields: Vec<String>,
    /// Fail when PII findings per 1,000 tokens reach this (default 1.0).
    #[arg(long)]
    max_pii_density: Option<f64>,
    /// Fail when consent coverage is below this percentage (default 80).
    #[arg(long)]
    min_consent_pct: Option<f64>,
    /// Fail when provenance coverage is below this percentage (default 80).
    #[arg(long)]
    min_provenance_pct: Option<f64>,
    /// Highest bias signal that passes (default low).
    #[arg(long, value_enum)]
    max_bias: Option<Bias>,
    /// Write every finding (file, line, row, field, detector, byte span) to
    /// FILE as JSON lines. Values are not written unless --findings-values.
    #[arg(long, value_name = "FILE")]
    findings: Option<PathBuf>,
    /// Include the matched values in the --findings file. They are raw PII
    /// and secrets: only for a file you protect.
    #[arg(long, requires = "findings")]
    findings_values: bool,
    /// Do not fail on this gate: pii-density, consent, provenance, bias, secrets (repeatable).
    #[arg(long = "skip-gate", value_name = "GATE")]
    skip_gates: Vec<String>,
    /// Record the scan (`scan.completed`) in this audit log, keyed by
    /// SCOUR_AUDIT_KEY (also SCOUR_AUDIT_LOG, or `[audit] log` in scour.toml).
    #[arg(long, value_name = "FILE")]
    audit_log: Option<PathBuf>,
    /// Pseudonym key file for fingerprints (else SCOUR_PSEUDONYM_KEY): the
    /// findings file, SARIF and baselines then name each finding by the
    /// keyed reference of its normalised value.
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// Findings whose fingerprint this baseline holds are reported (as
    /// suppressed) but fail no gate. Needs the baseline's key.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Scan only shard K of N of the work (files, and the row groups of
    /// large Parquet files); `auto` reads SLURM_ARRAY_TASK_ID/COUNT or
    /// JOB_COMPLETION_INDEX with SCOUR_SHARD_COUNT. Needs --state.
    #[arg(long, value_name = "K/N|auto", requires = "state")]
    shard: Option<String>,
    /// Write this run's mergeable state to FILE instead of a report
    /// (`scour merge` turns the states of all shards into the report).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["output", "baseline", "audit_log"])]
    state: Option<PathBuf>,
}

#[derive(Subcommand)]
enum BaselineAction {
    /// Scan and record the fingerprints of every finding (no values).
    Create {
        /// The baseline to write.
        #[arg(long, value_name = "FILE", default_value = "scour-baseline.json")]
        out: PathBuf,
        #[command(flatten)]
        scan: Box<ScanArgs>,
    },
    /// Scan and add what is new to the baseline given by --baseline, after review.
    Update {
        #[command(flatten)]
        scan: Box<ScanArgs>,
    },
}

/// An error that maps to exit code 2 with a message.
fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let res = match cli.command {
        Command::Scan(args) => scan(*args, None),
        Command::Baseline { action } => match action {
            BaselineAction::Create { out, scan: args } => scan(*args, Some((out, false))),
            BaselineAction::Update { scan: args } => match args.baseline.clone() {
                Some(b) => scan(*args, Some((b, true))),
                None => Err(anyhow::anyhow!(
                    "baseline update: --baseline FILE names the baseline to update"
                )),
            },
        },
        Command::Mask(args) => cli::mask::mask(*args),
        Command::Merge(args) => cli::merge::merge(*args),
        Command::Subject { command } => cli::subject::run(command),
        Command::VerifyReport { report } => verify_report(&report),
        Command::Audit { command } => cli::audit::run(command),
        Command::Rules { format, config } => rules(format, config.as_deref()),
    };
    match res {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("scour: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `baseline_write`: write a baseline to this file instead of failing on
/// gates (`true`: update the existing one).
fn scan(mut args: ScanArgs, baseline_write: Option<(PathBuf, bool)>) -> Result<u8> {
    let (cfg_path, cfg) = config::load(args.config.as_deref())?;
    let audit = cli::audit::Sink::resolve(args.audit_log.clone(), cfg.audit.log.clone())?;
    let mut gates = cfg.gates.clone();
    if let Some(v) = args.max_pii_density {
        gates.max_pii_density = v;
    }
    if let Some(v) = args.min_consent_pct {
        gates.min_consent_pct = v;
    }
    if let Some(v) = args.min_provenance_pct {
        gates.min_provenance_pct = v;
    }
    if let Some(b) = args.max_bias {
        gates.max_bias = match b {
            Bias::Low => BiasSignal::Low,
            Bias::Medium => BiasSignal::Medium,
            Bias::High => BiasSignal::High,
        };
    }
    for g in &args.skip_gates {
        if !gates.disable(g) {
            bail!(
                "--skip-gate {g}: unknown gate; expected one of {}",
                scour::report::gates::GATE_NAMES.join(", ")
            );
        }
    }
    let pick = |flag: &[String], conf: &Option<Vec<String>>, default: &[&str]| -> Vec<String> {
        if !flag.is_empty() {
            flag.to_vec()
        } else if let Some(c) = conf {
            c.clone()
        } else {
            default.iter().map(|s| s.to_string()).collect()
        }
    };
    let consent = pick(&args.consent_fields, &cfg.fields.consent, DEFAULT_CONSENT);
    let provenance = pick(
        &args.provenance_fields,
        &cfg.fields.provenance,
        DEFAULT_PROVENANCE,
    );
    let text_fields = if args.text_fields.is_empty() {
        cfg.fields.text.clone()
    } else {
        args.text_fields.clone()
    };
    let rules = FieldRules::new(consent.clone(), provenance.clone(), text_fields.clone());

    let key = sign::key_from_env();
    // A state is not a report: the merge signs the report of the whole.
    if key.is_none() && args.state.is_none() {
        if args.require_signature {
            bail!("SCOUR_SIGNING_KEY is not set and --require-signature was given");
        }
        if !args.quiet {
            eprintln!("scour: warning: SCOUR_SIGNING_KEY is not set; the report will be unsigned");
        }
    }
    if let Some(p) = &cfg_path {
        if !args.quiet {
            eprintln!("scour: using config {}", p.display());
        }
    }

    let found = discover(&args.paths)?;
    let shard = match args.shard.as_deref() {
        None => None,
        Some("auto") => Some(
            scour::shard::Shard::from_env(|k| std::env::var(k).ok())
                .map_err(|e| anyhow::anyhow!("--shard auto: {e}"))?,
        ),
        Some(s) => Some(
            s.parse::<scour::shard::Shard>()
                .map_err(|e| anyhow::anyhow!("--shard {e}"))?,
        ),
    };
    if args.state.is_some() {
        if baseline_write.is_some() {
            bail!("--state writes a scan state, not a baseline");
        }
        if args.format != ReportFormat::Json {
            bail!("--state writes a scan state, not a report: give --format to scour merge");
        }
    }
    let split_bytes = match std::env::var("SCOUR_SHARD_SPLIT_BYTES") {
        Ok(v) => v
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("SCOUR_SHARD_SPLIT_BYTES={v:?} is not a byte count"))?,
        Err(_) => scour::shard::SPLIT_BYTES,
    };
    let plan = shard.map(|s| scour::shard::plan(&found.files, s, split_bytes));
    let threads = args
        .threads
        .or(cfg.scan.threads)
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let detectors = custom::select(&cfg.detectors.disable, &cfg.rules)
        .context("invalid detector configuration")?;
    let filter =
        custom::Filter::new(&detectors, &cfg.allowlist, &cfg.rules).context("invalid allowlist")?;
    let scanner = build_scanner(detectors, args.engine)?;
    let total_bytes: u64 = found.files.iter().map(|f| f.size).sum();
    let progress = Arc::new(AtomicU64::new(0));
    let bar = Progress::start(args.quiet, total_bytes, progress.clone());

    let run = RunInfo {
        scan_id: new_ulid(),
        scanned_at: rfc3339_utc(std::time::SystemTime::now()),
        dataset_paths: args.paths.iter().map(|p| p.display().to_string()).collect(),
        skipped_files: found.skipped.clone(),
        engine: scanner.engine_name(),
        text_fields,
        consent_fields: consent,
        provenance_fields: provenance,
    };
    let mut agg = Aggregate::new(scanner.detectors().to_vec(), found.files.clone());
    if args.format == ReportFormat::Sarif {
        agg.collect_sarif();
    }
    // Fingerprints never create a key: a new one would match nothing.
    let pkey = match &args.key_file {
        Some(p) if !p.exists() => bail!("--key-file {}: no such file", p.display()),
        Some(p) => Some(scour::keys::PseudonymKey::from_file_or_create(p)?.0),
        None => scour::keys::PseudonymKey::from_env(),
    };
    if pkey.is_none() && (args.baseline.is_some() || baseline_write.is_some()) {
        bail!(
            "a baseline names findings by keyed fingerprints: set {} or give --key-file",
            scour::keys::PSEUDONYM_KEY_ENV
        );
    }
    if let Some(k) = &pkey {
        if args.findings.is_some()
            || args.baseline.is_some()
            || baseline_write.is_some()
            || args.format == ReportFormat::Sarif
        {
            agg.fingerprint_with(k.clone());
        }
    }
    let key_id = pkey.as_ref().map(|k| k.id()).unwrap_or_default();
    if let Some((path, update)) = &baseline_write {
        let b = if *update {
            let mut b = Baseline::load(path, &key_id)?;
            b.reset_counts();
            b
        } else {
            Baseline::default()
        };
        // Building a baseline counts every finding; nothing is suppressed.
        args.baseline = None;
        agg.build_baseline(b);
    } else if let Some(path) = &args.baseline {
        let b = Baseline::load(path, &key_id)?;
        agg.suppress(b.fingerprints());
    }
    if let Some(p) = &args.findings {
        let f = scour::findings::FindingsWriter::create(p, args.findings_values, pkey.is_some())
            .with_context(|| format!("{}: cannot create", p.display()))?;
        if args.findings_values && !args.quiet {
            eprintln!(
                "scour: warning: {} holds raw PII and secrets (--findings-values); it is readable by you alone (mode 0600): protect it",
                p.display()
            );
        }
        agg.write_findings(f, args.findings_values);
    }
    let opts = PipelineOptions {
        threads,
        rules,
        progress: progress.clone(),
        filter: Arc::new(filter),
    };
    pipeline::run_shard(&found.files, &scanner, &opts, plan.as_ref(), &mut agg)
        .context("cannot start worker threads")?;
    bar.finish();
    if let Some(path) = &args.state {
        let shard = shard.unwrap_or(scour::shard::Shard { index: 1, count: 1 });
        let owners = match &plan {
            Some(p) => p.files.iter().map(|f| f.owns_tail()).collect(),
            None => vec![true; found.files.len()],
        };
        let state = cli::merge::capture(&agg, &run, &gates, cfg_path.as_deref(), shard, owners)?;
        if let Some(p) = &args.findings {
            agg.finish_findings()
                .with_context(|| format!("{}: cannot write findings", p.display()))?;
        }
        write_atomic(path, &state.to_bytes())
            .with_context(|| format!("{}: cannot write the state", path.display()))?;
        if !args.quiet {
            let scanned = owners_scanned(plan.as_ref(), found.files.len());
            eprintln!(
                "scour: shard {shard}: {scanned} of {} file(s), {} rows; state written to {}",
                found.files.len(),
                agg.rows,
                path.display()
            );
        }
        return Ok(0);
    }
    if let Some(p) = &args.findings {
        agg.finish_findings()
            .with_context(|| format!("{}: cannot write findings", p.display()))?;
    }

    if let Some((path, update)) = &baseline_write {
        let before = if *update {
            Baseline::load(path, &key_id)?.len()
        } else {
            0
        };
        let b = agg.baseline_out.take().unwrap_or_default();
        write_atomic(path, b.to_text(&key_id).as_bytes())
            .with_context(|| format!("{}: cannot write the baseline", path.display()))?;
        eprintln!(
            "scour: baseline {}: {} fingerprints ({} new), key {key_id}",
            path.display(),
            b.len(),
            b.len() - before
        );
        return Ok(0);
    }
    let (report, out, failures) = write_report(
        &agg,
        &run,
        &gates,
        args.format,
        args.output.as_deref(),
        key.as_deref(),
    )?;
    if let Some(a) = &audit {
        let failed: Vec<&str> = failures.iter().map(|f| f.gate).collect();
        let payload = serde_json::json!({
            "scan_id": run.scan_id,
            "report_sha256": scour::audit::record::sha256_hex(out.as_bytes()),
            "report_signed": key.is_some(),
            "gates_passed": failures.is_empty(),
            "gates_failed": failed,
            "file_count": found.files.len(),
            "row_count": report["row_count"],
            "findings_total": report["findings_total"],
            "dataset_paths": run.dataset_paths,
        });
        a.record("scan.completed", &payload)
            .with_context(|| format!("{}: cannot record the scan", a.path.display()))?;
    }
    if !args.quiet {
        tell_failures(&agg, &failures);
    }
    Ok(if failures.is_empty() { 0 } else { 1 })
}

/// Files a shard plan has this shard read (some or all of).
fn owners_scanned(plan: Option<&scour::shard::ShardPlan>, files: usize) -> usize {
    plan.map_or(files, |p| {
        p.files
            .iter()
            .filter(|f| !matches!(f, scour::shard::FilePlan::Skip))
            .count()
    })
}

/// Input problems and failed gates, on stderr.
pub(crate) fn tell_failures(agg: &Aggregate, failures: &[scour::report::gates::GateFailure]) {
    if agg.error_count > 0 {
        eprintln!(
            "scour: {} input problem(s); see \"errors\" in the report",
            agg.error_count
        );
    }
    for f in failures {
        eprintln!("scour: gate {} failed: {}", f.gate, f.reason);
    }
}

/// Build, sign, render and write the report (to `output`, else stdout):
/// the one way `scan` and `merge` produce it. Returns the report, the text
/// written and the failed gates.
pub(crate) fn write_report(
    agg: &Aggregate,
    run: &RunInfo,
    gates: &scour::report::gates::GateConfig,
    format: ReportFormat,
    output: Option<&std::path::Path>,
    key: Option<&[u8]>,
) -> Result<(
    serde_json::Value,
    String,
    Vec<scour::report::gates::GateFailure>,
)> {
    let (mut report, failures) = build(agg, run, gates);
    if let Some(k) = key {
        let sig = sign::sign(&report, k);
        report["hmac_signature"] = serde_json::Value::String(sig);
    }
    let mut out = match format {
        ReportFormat::Json => pyjson::to_string_pretty(&report),
        ReportFormat::Markdown => markdown::render(&report),
        ReportFormat::Html => html::render(&report, &agg.detectors),
        ReportFormat::Sarif => match &agg.sarif {
            Some(results) => pyjson::to_string_pretty(&sarif::render(
                &report,
                &agg.detectors,
                &agg.files,
                results,
            )),
            None => bail!("SARIF needs every finding's location: scour merge cannot write it; run scour scan --format sarif"),
        },
    };
    if !out.ends_with('\n') {
        out.push('\n');
    }
    match output {
        Some(p) => write_atomic(p, out.as_bytes())
            .with_context(|| format!("{}: cannot write report", p.display()))?,
        None => write_stdout(&out)?,
    }
    Ok((report, out, failures))
}

fn build_scanner(
    detectors: Vec<&'static scour::detect::Detector>,
    engine: EngineKind,
) -> Result<Scanner> {
    match engine {
        EngineKind::Regex => Scanner::new(detectors).context("cannot compile the detectors"),
        #[cfg(feature = "hyperscan")]
        EngineKind::Hyperscan => {
            let hs = scour::detect::hyperscan_engine::HyperscanEngine::new(&detectors)
                .context("cannot build the Hyperscan engine")?;
            Scanner::with_engine(detectors, Box::new(hs)).context("cannot compile the detectors")
        }
        #[cfg(not(feature = "hyperscan"))]
        EngineKind::Hyperscan => {
            bail!("--engine hyperscan: this scour was built without Hyperscan (cargo build --release --features hyperscan)")
        }
    }
}

fn verify_report(path: &PathBuf) -> Result<u8> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let report: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a JSON report", path.display()))?;
    let Some(key) = sign::key_from_env() else {
        bail!("SCOUR_SIGNING_KEY is not set: there is nothing to verify the signature with");
    };
    match sign::verify(&report, &key) {
        Ok(()) => {
            println!("{}: signature valid", path.display());
            Ok(0)
        }
        Err(e) => {
            println!("{}: signature INVALID: {e}", path.display());
            Ok(1)
        }
    }
}

fn rules(format: RulesFormat, config: Option<&std::path::Path>) -> Result<u8> {
    let (_, cfg) = config::load(config)?;
    let table = custom::select(&cfg.detectors.disable, &cfg.rules)
        .context("invalid detector configuration")?;
    match format {
        RulesFormat::Json => {
            let v: Vec<serde_json::Value> = table
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "id": d.id,
                        "category": d.category.as_str(),
                        "description": d.description,
                        "regulations": d.regulations,
                        "validator": d.validator_name,
                        "context": d.context,
                        "anchors": d.anchors,
                        "placeholder": d.placeholder,
                        "priority": d.priority,
                    })
                })
                .collect();
            let mut out = pyjson::to_string_pretty(&serde_json::Value::Array(v));
            out.push('\n');
            write_stdout(&out)?;
        }
        RulesFormat::Text => {
            use std::fmt::Write as _;
            let mut out = format!(
                "{:<24} {:<7} {:<22} {:<34} placeholder\n",
                "id", "kind", "regulations", "validator"
            );
            for d in table {
                let _ = writeln!(
                    out,
                    "{:<24} {:<7} {:<22} {:<34} {}",
                    d.id,
                    d.category.as_str(),
                    d.regulations.join(","),
                    d.validator_name,
                    d.placeholder
                );
            }
            write_stdout(&out)?;
        }
    }
    Ok(0)
}

/// Writes to stdout; a closed pipe (`scour rules | head`) is not an error:
/// the reader has what it wanted.
fn write_stdout(s: &str) -> anyhow::Result<()> {
    let mut so = std::io::stdout().lock();
    match so.write_all(s.as_bytes()).and_then(|()| so.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to stdout")
        }
        _ => Ok(()),
    }
}
