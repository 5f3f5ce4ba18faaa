//! `scour mask`: arguments, keys, safety checks, the run, the manifest.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::ValueEnum;

use scour::config;
use scour::detect::{custom, Category, Scanner};
use scour::fields::{FieldRules, DEFAULT_CONSENT, DEFAULT_PROVENANCE};
use scour::keys::{PseudonymKey, PSEUDONYM_KEY_ENV};
use scour::mask::manifest::{self, MANIFEST_NAME};
use scour::mask::{self as masking, MaskPlan, Mode, Replacer, Target, Verify};
use scour::pipeline::PipelineOptions;
use scour::report::{pyjson, sign};
use scour::source::discover::discover;
use scour::util::{atomic::write_atomic, time::rfc3339_utc};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MaskMode {
    /// The detector's typed placeholder, e.g. [EMAIL].
    Placeholder,
    /// [EMAIL:<16 hex>], keyed: one value, one pseudonym (needs a key).
    Pseudonym,
    /// A keyed stand-in of the same shape that belongs to no one (e-mail
    /// under .invalid, cards and ids with a wrong check digit, IPv4 in
    /// 198.51.100.0/24, NANP 555-01XX and GB 07700 900XXX phones); the
    /// placeholder for other types and for secrets (needs a key).
    Surrogate,
    /// The span is removed.
    Redact,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyMode {
    /// Scan each edited value again right after its edit (every other
    /// byte of a copy is the input's, already scanned).
    Inline,
    /// Read every written copy back and scan it whole.
    Full,
}

#[derive(clap::Args)]
pub struct MaskArgs {
    /// Files or directories (walked recursively, in sorted order).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output directory: one copy per input at the same relative path.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// What a masked span becomes.
    #[arg(long, value_enum, default_value = "placeholder")]
    mode: MaskMode,
    /// Pseudonym key file (its bytes without a trailing newline); created
    /// with a random key if missing. Default: SCOUR_PSEUDONYM_KEY.
    #[arg(long, value_name = "F")]
    key_file: Option<PathBuf>,
    /// Mask only these PII types (detector ids, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    types: Vec<String>,
    /// Leave secrets as they are (they are masked by default).
    #[arg(long)]
    keep_secrets: bool,
    /// Only scan and mask this field path (repeatable).
    #[arg(long = "text-field", value_name = "PATH")]
    text_fields: Vec<String>,
    /// Config file (default: ./scour.toml if present).
    #[arg(long)]
    config: Option<PathBuf>,
    /// How the copies are checked for residual findings: `inline` scans
    /// each edited value again as it is edited, `full` reads every copy
    /// back and scans it (same result, about twice the time).
    #[arg(long, value_enum, default_value = "inline")]
    verify: VerifyMode,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// No progress bar and no summary on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Record the run (`mask.completed`) in this audit log, keyed by
    /// SCOUR_AUDIT_KEY (also SCOUR_AUDIT_LOG, or `[audit] log` in scour.toml).
    #[arg(long, value_name = "FILE")]
    audit_log: Option<PathBuf>,
}

/// `path` made absolute and free of `.`/`..` and symlinks as far as it
/// exists, so that containment can be compared component by component.
fn resolved(path: &Path) -> Result<PathBuf> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .context("cannot read the current directory")?
            .join(path)
    };
    let mut existing = abs.clone();
    let mut rest = Vec::new();
    loop {
        if let Ok(c) = existing.canonicalize() {
            let mut out = c;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return Ok(out);
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => return Ok(abs),
        }
    }
}

/// Refuse an output directory that is, contains, or lies inside an input.
fn check_out_dir(out: &Path, inputs: &[PathBuf]) -> Result<PathBuf> {
    if out.exists() && !out.is_dir() {
        bail!("--out {}: exists and is not a directory", out.display());
    }
    let dir = resolved(out)?;
    for p in inputs {
        let input = resolved(p)?;
        if dir == input || dir.starts_with(&input) || input.starts_with(&dir) {
            bail!(
                "--out {}: must not be an input, lie inside one or contain one ({}); choose a directory outside the corpus",
                out.display(),
                p.display()
            );
        }
    }
    Ok(dir)
}

/// Each file of each argument and its output path.
fn targets(paths: &[PathBuf], out: &Path) -> Result<(Vec<Target>, Vec<String>)> {
    let mut targets: Vec<Target> = Vec::new();
    let mut skipped = Vec::new();
    let mut seen = std::collections::BTreeMap::new();
    for p in paths {
        let found = discover(std::slice::from_ref(p))?;
        skipped.extend(found.skipped);
        for f in found.files {
            let relative = if p.is_dir() {
                PathBuf::from(&f.display)
            } else {
                PathBuf::from(f.path.file_name().unwrap_or(f.path.as_os_str()))
            };
            if relative == Path::new(MANIFEST_NAME) {
                bail!(
                    "{}: its copy would overwrite {MANIFEST_NAME}; rename it or mask its directory",
                    f.display
                );
            }
            if let Some(other) = seen.insert(relative.clone(), f.display.clone()) {
                bail!(
                    "{} and {} would both be written to {}; mask them in separate runs",
                    other,
                    f.display,
                    out.join(&relative).display()
                );
            }
            targets.push(Target {
                output: out.join(&relative),
                relative,
                input: f,
            });
        }
    }
    Ok((targets, skipped))
}

pub fn mask(args: MaskArgs) -> Result<u8> {
    let (cfg_path, cfg) = config::load(args.config.as_deref())?;
    let audit = super::audit::Sink::resolve(args.audit_log.clone(), cfg.audit.log.clone())?;
    let mode = match args.mode {
        MaskMode::Placeholder => Mode::Placeholder,
        MaskMode::Pseudonym => Mode::Pseudonym,
        MaskMode::Surrogate => Mode::Surrogate,
        MaskMode::Redact => Mode::Redact,
    };
    let out_dir = check_out_dir(&args.out, &args.paths)?;
    let text_fields = if args.text_fields.is_empty() {
        cfg.fields.text.clone()
    } else {
        args.text_fields.clone()
    };
    let rules = FieldRules::new(
        cfg.fields
            .consent
            .clone()
            .unwrap_or_else(|| DEFAULT_CONSENT.iter().map(|s| s.to_string()).collect()),
        cfg.fields
            .provenance
            .clone()
            .unwrap_or_else(|| DEFAULT_PROVENANCE.iter().map(|s| s.to_string()).collect()),
        text_fields,
    );
    let detectors = custom::select(&cfg.detectors.disable, &cfg.rules)
        .context("invalid detector configuration")?;
    for t in &args.types {
        if !detectors.iter().any(|d| d.id == t) {
            bail!("--types {t}: no such detector; `scour rules` lists them");
        }
    }
    let masked: Vec<bool> = detectors
        .iter()
        .map(|d| match d.category {
            Category::Secret => !args.keep_secrets,
            Category::Pii => args.types.is_empty() || args.types.iter().any(|t| t == d.id),
        })
        .collect();
    let (targets, skipped) = targets(&args.paths, &out_dir)?;

    let key = if mode.needs_key() {
        let key = match &args.key_file {
            Some(f) => {
                let (key, created) = PseudonymKey::from_file_or_create(f)?;
                if created {
                    eprintln!(
                        "scour: created key file {} (32 random bytes, mode 0600); keep it to get the same pseudonyms again",
                        f.display()
                    );
                }
                Some(key)
            }
            None => PseudonymKey::from_env(),
        };
        if key.is_none() {
            bail!(
                "--mode {}: no key; set {PSEUDONYM_KEY_ENV} or give --key-file F",
                mode.as_str()
            );
        }
        key
    } else {
        None
    };
    let signing = sign::key_from_env();
    if !args.quiet {
        if let Some(p) = &cfg_path {
            eprintln!("scour: using config {}", p.display());
        }
        if signing.is_none() {
            eprintln!(
                "scour: warning: SCOUR_SIGNING_KEY is not set; the manifest will be unsigned"
            );
        }
    }

    let threads = args
        .threads
        .or(cfg.scan.threads)
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let filter =
        custom::Filter::new(&detectors, &cfg.allowlist, &cfg.rules).context("invalid allowlist")?;
    let scanner = Scanner::new(detectors).context("cannot compile the detectors")?;
    let total: u64 = targets.iter().map(|t| t.input.size).sum();
    let progress = Arc::new(AtomicU64::new(0));
    let bar = crate::progress::Progress::start(args.quiet, total, progress.clone());
    let opts = PipelineOptions {
        threads,
        rules,
        progress: progress.clone(),
        filter: Arc::new(filter),
    };
    let plan = MaskPlan {
        replacer: Replacer {
            mode,
            key: key.clone(),
        },
        masked,
        verify: match args.verify {
            VerifyMode::Inline => Verify::Inline,
            VerifyMode::Full => Verify::Full,
        },
    };
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("{}: cannot create", out_dir.display()))?;
    let results = masking::mask_and_verify(targets.clone(), plan.clone(), &scanner, &opts)
        .context("cannot start worker threads")?;
    bar.finish();

    let mut doc = manifest::build(
        &targets,
        &results,
        &plan,
        key.as_ref(),
        scanner.detectors(),
        &skipped,
        &rfc3339_utc(std::time::SystemTime::now()),
    );
    if let Some(k) = &signing {
        sign::attach_signature(&mut doc, k).context("cannot sign the manifest")?;
    }
    let mut text = pyjson::to_string_pretty(&doc);
    text.push('\n');
    let manifest_path = out_dir.join(MANIFEST_NAME);
    write_atomic(&manifest_path, text.as_bytes())
        .with_context(|| format!("{}: cannot write", manifest_path.display()))?;

    let passed = manifest::passed(&plan, &results);
    if let Some(a) = &audit {
        let payload = serde_json::json!({
            "manifest_sha256": scour::audit::record::sha256_hex(text.as_bytes()),
            "manifest_signed": signing.is_some(),
            "mode": doc["mode"],
            "key_id": doc["key_id"],
            "masked": doc["totals"]["masked"],
            "masked_total": doc["totals"]["masked_total"],
            "residual_total": doc["totals"]["residual_total"],
            "files": doc["totals"]["files"],
            "files_failed": doc["totals"]["files_failed"],
            "passed": passed,
        });
        a.record("mask.completed", &payload)
            .with_context(|| format!("{}: cannot record the run", a.path.display()))?;
    }
    if !args.quiet {
        let spans: u64 = results.iter().flat_map(|r| r.masked.values()).sum();
        let written = results.iter().filter(|r| r.output.is_some()).count();
        eprintln!(
            "scour: {spans} span(s) masked in {written} of {} file(s) under {}; manifest {}",
            targets.len(),
            args.out.display(),
            manifest_path.display()
        );
        for (t, r) in targets.iter().zip(&results) {
            for e in &r.errors {
                eprintln!("scour: {}: {e}", t.input.display);
            }
            for (&d, &n) in &r.residual {
                let det = scanner.detectors()[d as usize];
                let fails = plan.masked.get(d as usize).copied().unwrap_or(false);
                eprintln!(
                    "scour: {}: {n} residual {} finding(s) in the copy{}",
                    t.relative.display(),
                    det.id,
                    if fails { "" } else { " (not a masked type)" }
                );
            }
        }
    }
    Ok(if passed { 0 } else { 1 })
}
