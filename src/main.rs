//! The command-line edge: arguments, exit codes, progress, output.
//!
//! Exit codes: 0 every gate passed (or the check succeeded), 1 a gate failed
//! (or a report does not verify), 2 usage or input error.

mod cli;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use scour::config;
use scour::detect::{custom, Scanner};
use scour::fields::{FieldRules, DEFAULT_CONSENT, DEFAULT_PROVENANCE};
use scour::pipeline::{self, PipelineOptions};
use scour::report::aggregate::Aggregate;
use scour::report::build::{build, RunInfo};
use scour::report::{markdown, pyjson, sign};
use scour::source::discover::discover;
use scour::stats::BiasSignal;
use scour::util::{atomic::write_atomic, time::rfc3339_utc, ulid::new_ulid};

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
enum ReportFormat {
    Json,
    Markdown,
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
    /// Check a report's HMAC signature with SCOUR_SIGNING_KEY.
    VerifyReport {
        /// The report JSON file.
        report: PathBuf,
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
        Command::Scan(args) => scan(*args),
        Command::Mask(args) => cli::mask::mask(*args),
        Command::VerifyReport { report } => verify_report(&report),
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

fn scan(args: ScanArgs) -> Result<u8> {
    let (cfg_path, cfg) = config::load(args.config.as_deref())?;
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
    if key.is_none() {
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
    let bar = progress_bar(args.quiet, total_bytes);

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
    if let Some(p) = &args.findings {
        let f = scour::util::atomic::AtomicFile::create(p)
            .with_context(|| format!("{}: cannot create", p.display()))?;
        agg.write_findings(f, args.findings_values);
    }
    let opts = PipelineOptions {
        threads,
        rules,
        progress: progress.clone(),
        filter: Arc::new(filter),
    };
    let tick = || {
        if let Some(b) = &bar {
            b.set_position(progress.load(Ordering::Relaxed));
        }
    };
    pipeline::run(&found.files, &scanner, &opts, &mut agg, &tick)
        .context("cannot start worker threads")?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if let Some(p) = &args.findings {
        agg.finish_findings()
            .with_context(|| format!("{}: cannot write findings", p.display()))?;
    }

    let (mut report, failures) = build(&agg, &run, &gates);
    if let Some(k) = &key {
        let sig = sign::sign(&report, k);
        report["hmac_signature"] = serde_json::Value::String(sig);
    }
    let mut out = match args.format {
        ReportFormat::Json => pyjson::to_string_pretty(&report),
        ReportFormat::Markdown => markdown::render(&report),
    };
    if !out.ends_with('\n') {
        out.push('\n');
    }
    match &args.output {
        Some(p) => write_atomic(p, out.as_bytes())
            .with_context(|| format!("{}: cannot write report", p.display()))?,
        None => write_stdout(&out)?,
    }
    if !args.quiet {
        if agg.error_count > 0 {
            eprintln!(
                "scour: {} input problem(s); see \"errors\" in the report",
                agg.error_count
            );
        }
        for f in &failures {
            eprintln!("scour: gate {} failed: {}", f.gate, f.reason);
        }
    }
    Ok(if failures.is_empty() { 0 } else { 1 })
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

fn progress_bar(quiet: bool, total: u64) -> Option<indicatif::ProgressBar> {
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    if quiet || ci || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
    ) {
        bar.set_style(style);
    }
    Some(bar)
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
