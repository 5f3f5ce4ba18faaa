//! The audit log: an append-only, hash-chained, HMAC-keyed record of what
//! scour did to a corpus (scanned, masked, searched for a person, erased),
//! that an auditor can check later without trusting the machine it sits on.
//!
//! Three things make a quiet edit visible, and each covers what the others
//! cannot:
//! - every line carries `prev_hash`, the SHA-256 of the previous line's
//!   bytes (the first line: of the genesis record), so removing, inserting
//!   or reordering lines breaks the chain;
//! - every line carries an `hmac` under `SCOUR_AUDIT_KEY`, so a line cannot
//!   be rewritten (nor the chain re-forged) without the key;
//! - a sidecar manifest (`FILE.manifest.json`, HMAC'd too) pins the genesis
//!   and the head (last seq, its hash, the file's length), so a cut-off tail
//!   is caught, which a chain alone accepts; and a checkpoint kept outside
//!   the machine ([`record::Checkpoint`]) catches a log rolled back together
//!   with its manifest.
//!
//! Formats live in [`record`], appending (locking, crash repair) in [`log`],
//! checking in [`verify`].

pub mod log;
pub mod record;
pub mod verify;

use std::ffi::OsString;
use std::path::PathBuf;

pub use log::{append, AppendOutcome};
pub use record::Checkpoint;
pub use verify::{verify_log, Kind, Report, Violation};

/// Environment variable holding the audit log's HMAC key.
pub const KEY_ENV: &str = "SCOUR_AUDIT_KEY";
/// Environment variable naming the audit log (below `--audit-log`, above scour.toml).
pub const LOG_ENV: &str = "SCOUR_AUDIT_LOG";
/// Environment variable naming who acted (default `user@host`).
pub const ACTOR_ENV: &str = "SCOUR_ACTOR";

/// Why an audit operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The log or its manifest is not in a state a new entry may follow.
    #[error("{path}: {message}; run `scour audit verify {path}` to see what changed")]
    Refused { path: String, message: String },
    #[error("{0}")]
    Checkpoint(String),
}

impl AuditError {
    fn io(path: &std::path::Path, source: std::io::Error) -> AuditError {
        AuditError::Io {
            path: path.display().to_string(),
            source,
        }
    }
    fn refused(path: &std::path::Path, message: impl Into<String>) -> AuditError {
        AuditError::Refused {
            path: path.display().to_string(),
            message: message.into(),
        }
    }
}

/// The audit key from `SCOUR_AUDIT_KEY` (its raw bytes), or `None` when
/// unset or empty. There is no default: a log keyed by a value in the source
/// code would prove nothing.
pub fn key_from_env() -> Option<Vec<u8>> {
    let bytes = std::env::var_os(KEY_ENV)?.into_encoded_bytes();
    (!bytes.is_empty()).then_some(bytes)
}

/// Which log a command writes to: the flag, else `SCOUR_AUDIT_LOG`, else the
/// config's `[audit] log`.
pub fn log_path(flag: Option<PathBuf>, config: Option<PathBuf>) -> Option<PathBuf> {
    flag.or_else(|| {
        std::env::var_os(LOG_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
    .or(config)
}

/// Who acted: `SCOUR_ACTOR`, else `user@host` from the environment and the
/// kernel's host name.
pub fn actor() -> String {
    if let Some(a) = std::env::var_os(ACTOR_ENV).filter(|v| !v.is_empty()) {
        return lossy(a);
    }
    let user = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var_os(v).filter(|v| !v.is_empty()))
        .map_or_else(|| "unknown".to_string(), lossy);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_string());
    format!("{user}@{host}")
}

fn lossy(v: OsString) -> String {
    v.to_string_lossy().into_owned()
}
