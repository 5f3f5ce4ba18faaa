//! `scour merge`: the report of a scan run as N shards (`scan --shard K/N
//! --state FILE`), identical in every exact figure to one scan of the whole.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use scour::config;
use scour::detect::custom;
use scour::report::aggregate::Aggregate;
use scour::report::build::RunInfo;
use scour::report::gates::GateConfig;
use scour::report::sign;
use scour::report::state::{self, Header, RunSettings, State};
use scour::shard::Shard;
use scour::util::{time::rfc3339_utc, ulid::new_ulid};

use crate::ReportFormat;

#[derive(clap::Args)]
pub struct MergeArgs {
    /// The state files of every shard (`scour scan --shard K/N --state FILE`).
    #[arg(required = true, value_name = "STATE")]
    states: Vec<PathBuf>,
    /// Report format (SARIF needs every finding's location: use `scan`).
    #[arg(long, value_enum, default_value = "json")]
    format: ReportFormat,
    /// Write the report here (atomically) instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// The config the shards ran with (default: ./scour.toml if present);
    /// its hash must match the states'.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Fail (exit 2) when SCOUR_SIGNING_KEY is not set.
    #[arg(long)]
    require_signature: bool,
    /// No warnings on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// The bytes a config hash is taken over: the file's, or none.
fn config_bytes(path: Option<&Path>) -> Result<Vec<u8>> {
    match path {
        Some(p) => std::fs::read(p).with_context(|| format!("{}: cannot read", p.display())),
        None => Ok(Vec::new()),
    }
}

/// The state of a finished shard scan.
pub fn capture(
    agg: &Aggregate,
    run: &RunInfo,
    gates: &GateConfig,
    config_path: Option<&Path>,
    shard: Shard,
    tail_owner: Vec<bool>,
) -> Result<State> {
    let header = Header {
        format: state::FORMAT.to_string(),
        version: state::VERSION,
        scour_version: env!("CARGO_PKG_VERSION").to_string(),
        detector_table_sha256: state::detector_table_sha256(&agg.detectors),
        config_sha256: state::config_sha256(&config_bytes(config_path)?),
        shard: shard.index,
        shards: shard.count,
    };
    let settings = RunSettings {
        dataset_paths: run.dataset_paths.clone(),
        skipped_files: run.skipped_files.clone(),
        engine: run.engine.to_string(),
        text_fields: run.text_fields.clone(),
        consent_fields: run.consent_fields.clone(),
        provenance_fields: run.provenance_fields.clone(),
    };
    Ok(State::capture(
        agg,
        header,
        settings,
        gates.clone(),
        tail_owner,
    ))
}

pub fn merge(args: MergeArgs) -> Result<u8> {
    let key = sign::key_from_env();
    if key.is_none() {
        if args.require_signature {
            bail!("SCOUR_SIGNING_KEY is not set and --require-signature was given");
        }
        if !args.quiet {
            eprintln!("scour: warning: SCOUR_SIGNING_KEY is not set; the report will be unsigned");
        }
    }
    let states = args
        .states
        .iter()
        .map(|p| State::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let merged = State::merge(states)?;

    let (cfg_path, cfg) = config::load(args.config.as_deref())?;
    let config_sha = state::config_sha256(&config_bytes(cfg_path.as_deref())?);
    if config_sha != merged.header.config_sha256 {
        bail!(
            "the shards ran with a config of sha256 {}, this merge reads {} ({}): give --config the file the shards used",
            merged.header.config_sha256,
            config_sha,
            cfg_path.map_or("no config".into(), |p| p.display().to_string())
        );
    }
    let detectors = custom::select(&cfg.detectors.disable, &cfg.rules)
        .context("invalid detector configuration")?;
    if state::detector_table_sha256(&detectors) != merged.header.detector_table_sha256 {
        bail!("the shards ran another detector table than this scour's (scour {} wrote them, this is {})",
            merged.header.scour_version, env!("CARGO_PKG_VERSION"));
    }
    let gates = merged.gates.clone();
    let settings = merged.run.clone();
    let run = RunInfo {
        scan_id: new_ulid(),
        scanned_at: rfc3339_utc(std::time::SystemTime::now()),
        dataset_paths: settings.dataset_paths,
        skipped_files: settings.skipped_files,
        // One of a few engine names, once per merge.
        engine: Box::leak(settings.engine.into_boxed_str()),
        text_fields: settings.text_fields,
        consent_fields: settings.consent_fields,
        provenance_fields: settings.provenance_fields,
    };
    let agg = merged.into_aggregate(detectors)?;
    let (_, _, failures) = crate::write_report(
        &agg,
        &run,
        &gates,
        args.format,
        args.output.as_deref(),
        key.as_deref(),
    )?;
    if !args.quiet {
        crate::tell_failures(&agg, &failures);
    }
    Ok(if failures.is_empty() { 0 } else { 1 })
}
