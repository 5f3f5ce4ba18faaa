//! `scour audit verify | checkpoint | show`, and the `--audit-log` plumbing
//! the other commands share.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use clap::{Subcommand, ValueEnum};
use serde_json::{json, Value};

use scour::audit::{self, Checkpoint, Report};
use scour::report::pyjson;
use scour::util::time::rfc3339_utc_millis;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check every line, the chain, the manifest and (optionally) a
    /// checkpoint. Exit 0 clean, 1 violations, 2 unreadable or no key.
    Verify {
        /// The audit log.
        log: PathBuf,
        /// A checkpoint printed earlier by `scour audit checkpoint`.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: VerifyFormat,
    },
    /// Print a signed statement of the log's current head, to keep outside
    /// the log's machine (a ticket, another system).
    Checkpoint {
        /// The audit log.
        log: PathBuf,
    },
    /// Print entries for people, as a table or as JSON lines.
    Show {
        /// The audit log.
        log: PathBuf,
        /// Only this event (e.g. `scan.completed`).
        #[arg(long)]
        event: Option<String>,
        /// Only entries at or after this RFC 3339 UTC time (a prefix such as
        /// `2026-12-07` works).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: ShowFormat,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Table,
    Jsonl,
}

pub fn run(cmd: AuditCommand) -> Result<u8> {
    match cmd {
        AuditCommand::Verify {
            log,
            checkpoint,
            format,
        } => verify(&log, checkpoint.as_deref(), format),
        AuditCommand::Checkpoint { log } => checkpoint(&log),
        AuditCommand::Show {
            log,
            event,
            since,
            format,
        } => show(&log, event.as_deref(), since.as_deref(), format),
    }
}

fn key() -> Result<Vec<u8>> {
    audit::key_from_env().with_context(|| {
        format!(
            "{} is not set: an audit log is checked and written with it (there is no default key)",
            audit::KEY_ENV
        )
    })
}

fn verify(log: &Path, checkpoint: Option<&Path>, format: VerifyFormat) -> Result<u8> {
    let key = key()?;
    let cp = match checkpoint {
        None => None,
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("{}: cannot read the checkpoint", p.display()))?;
            Some(
                Checkpoint::parse(&text, &key)
                    .map_err(|why| anyhow::anyhow!("{}: {why}", p.display()))?,
            )
        }
    };
    let rep = audit::verify_log(log, &key, cp.as_ref())?;
    let out = match format {
        VerifyFormat::Text => text_report(log, &rep),
        VerifyFormat::Json => {
            let mut s = pyjson::to_string_pretty(&json_report(log, &rep));
            s.push('\n');
            s
        }
    };
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(if rep.clean() { 0 } else { 1 })
}

fn text_report(log: &Path, rep: &Report) -> String {
    let mut s = String::new();
    for v in rep.violations.iter().chain(&rep.notices) {
        let at = if v.line == 0 {
            "manifest".to_string()
        } else {
            format!("line {}", v.line)
        };
        s.push_str(&format!(
            "{}: {at}: {}: {}\n",
            log.display(),
            v.kind.as_str(),
            v.detail
        ));
    }
    if rep.violation_count > rep.violations.len() as u64 {
        s.push_str(&format!(
            "{}: ... {} more violations not listed\n",
            log.display(),
            rep.violation_count - rep.violations.len() as u64
        ));
    }
    s.push_str(&format!(
        "{}: {} ({} lines, {} authentic entries, last seq {}, {} violations)\n",
        log.display(),
        if rep.clean() { "clean" } else { "NOT CLEAN" },
        rep.lines,
        rep.entries,
        rep.last_seq,
        rep.violation_count
    ));
    s
}

fn json_report(log: &Path, rep: &Report) -> Value {
    let list = |vs: &[audit::Violation]| -> Vec<Value> {
        vs.iter()
            .map(|v| json!({"kind": v.kind.as_str(), "line": v.line, "detail": v.detail}))
            .collect()
    };
    json!({
        "log": log.display().to_string(),
        "log_id": rep.log_id,
        "clean": rep.clean(),
        "lines": rep.lines,
        "bytes": rep.bytes,
        "entries": rep.entries,
        "last_seq": rep.last_seq,
        "violation_count": rep.violation_count,
        "violations": list(&rep.violations),
        "notices": list(&rep.notices),
    })
}

fn checkpoint(log: &Path) -> Result<u8> {
    let key = key()?;
    let rep = audit::verify_log(log, &key, None)?;
    if !rep.clean() {
        eprint!("{}", text_report(log, &rep));
        bail!(
            "{}: the log does not verify; a checkpoint would vouch for a damaged log",
            log.display()
        );
    }
    let Some(log_id) = rep.log_id.clone() else {
        bail!("{}: no manifest, no log id", log.display());
    };
    if rep.last_seq == 0 {
        bail!(
            "{}: the log has no entries yet; there is nothing to checkpoint",
            log.display()
        );
    }
    let c = Checkpoint {
        log_id,
        seq: rep.last_seq,
        head_hash: rep.last_hash.clone(),
        time: rfc3339_utc_millis(SystemTime::now()),
    };
    println!("{}", c.to_text(&key));
    Ok(0)
}

fn show(log: &Path, event: Option<&str>, since: Option<&str>, format: ShowFormat) -> Result<u8> {
    let f = std::fs::File::open(log).with_context(|| format!("{}: cannot open", log.display()))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if format == ShowFormat::Table {
        writeln!(
            out,
            "{:>6}  {:<24}  {:<26}  {:<20}  payload",
            "seq", "timestamp", "event", "actor"
        )?;
    }
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("{}: line {}", log.display(), i + 1))?;
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            eprintln!(
                "scour: {}: line {}: not JSON (see `scour audit verify`)",
                log.display(),
                i + 1
            );
            continue;
        };
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
        if event.is_some_and(|e| e != s("event")) || since.is_some_and(|t| s("timestamp") < t) {
            continue;
        }
        match format {
            ShowFormat::Jsonl => writeln!(out, "{line}")?,
            ShowFormat::Table => {
                let payload = v.get("payload").map(pyjson::to_string).unwrap_or_default();
                writeln!(
                    out,
                    "{:>6}  {:<24}  {:<26}  {:<20}  {}",
                    v.get("seq").and_then(Value::as_u64).unwrap_or(0),
                    s("timestamp"),
                    s("event"),
                    s("actor"),
                    payload
                )?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}

/// The audit log a command writes to, with its key, resolved before the
/// command does anything: a log without a key is a usage error (exit 2),
/// not a run whose record is silently missing.
pub struct Sink {
    pub path: PathBuf,
    key: Vec<u8>,
}

impl Sink {
    pub fn resolve(flag: Option<PathBuf>, config: Option<PathBuf>) -> Result<Option<Sink>> {
        let Some(path) = audit::log_path(flag, config) else {
            return Ok(None);
        };
        let key = audit::key_from_env().with_context(|| {
            format!(
                "an audit log ({}) was given but {} is not set; nothing was done",
                path.display(),
                audit::KEY_ENV
            )
        })?;
        Ok(Some(Sink { path, key }))
    }

    /// Append one event; its failure fails the command (exit 2), since an
    /// action that should have been recorded was not.
    pub fn record(&self, event: &str, payload: &Value) -> Result<()> {
        self.record_entry(event, payload).map(|_| ())
    }

    /// [`Sink::record`], returning the entry's seq and hash (a receipt
    /// cites them).
    pub fn record_entry(&self, event: &str, payload: &Value) -> Result<audit::AppendOutcome> {
        let out = audit::append(&self.path, &self.key, event, &audit::actor(), payload)?;
        if let Some(what) = &out.repaired {
            eprintln!("scour: audit log {}: {what}", self.path.display());
        }
        Ok(out)
    }
}
