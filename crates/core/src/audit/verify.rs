//! Checking an audit log in one pass and constant memory: every line, the
//! chain between lines, the manifest's head and, when given, a checkpoint.
//!
//! Each problem is reported once, as the kind that explains it, at the
//! line where it shows: a deleted line is a `gap` at the line after it, not
//! also a broken `prev_hash` there; a line after a reported one is not
//! blamed for the chain its predecessor broke.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use serde_json::Value;

use super::log::manifest_path;
use super::record::{parse_line, sha256_hex, Checkpoint, LineError, Manifest};
use super::AuditError;

/// At most this many violations are listed; all are counted.
pub const MAX_LISTED: usize = 1000;

/// What is wrong with a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Not a JSON object with the entry's fields, or cut off inside the line.
    Unparseable,
    /// The line's HMAC does not match it: edited without the key.
    BadHmac,
    /// A line that authenticates but does not follow its predecessor's hash.
    Tampered,
    /// Sequence numbers skip: lines were removed.
    Gap,
    /// A line whose sequence number belongs earlier.
    Reordered,
    /// The same sequence number twice in a row.
    Duplicate,
    NonMonotonicTimestamp,
    /// The manifest's head lies beyond the end of the log.
    Truncated,
    /// The manifest fails its HMAC, is missing, or names another last line.
    ManifestMismatch,
    /// Not tampering: authentic entries follow the manifest's head (an
    /// append died between its fsync and its manifest update; the next
    /// append records them). Does not fail verification.
    ManifestBehind,
    /// The log no longer holds the entry a checkpoint pinned.
    CheckpointMismatch,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Unparseable => "unparseable",
            Kind::BadHmac => "bad_hmac",
            Kind::Tampered => "tampered",
            Kind::Gap => "gap",
            Kind::Reordered => "reordered",
            Kind::Duplicate => "duplicate",
            Kind::NonMonotonicTimestamp => "non_monotonic_timestamp",
            Kind::Truncated => "truncated",
            Kind::ManifestMismatch => "manifest_mismatch",
            Kind::ManifestBehind => "manifest_behind",
            Kind::CheckpointMismatch => "checkpoint_mismatch",
        }
    }

    /// Whether this kind fails verification.
    pub fn fails(self) -> bool {
        self != Kind::ManifestBehind
    }
}

/// One problem: its kind, the 1-based line of the log it shows at (0 for
/// the manifest or the checkpoint as a whole) and what was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub kind: Kind,
    pub line: u64,
    pub detail: String,
}

/// The outcome of [`verify_log`].
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Lines read.
    pub lines: u64,
    pub bytes: u64,
    /// Lines that authenticate.
    pub entries: u64,
    /// Highest sequence number of an authentic line, and that line's hash.
    pub last_seq: u64,
    pub last_hash: String,
    pub log_id: Option<String>,
    /// Failing problems (the first [`MAX_LISTED`]) and their total.
    pub violations: Vec<Violation>,
    pub violation_count: u64,
    /// Problems that do not fail verification (`manifest_behind`).
    pub notices: Vec<Violation>,
}

impl Report {
    pub fn clean(&self) -> bool {
        self.violation_count == 0
    }

    fn report(&mut self, kind: Kind, line: u64, detail: impl Into<String>) {
        let v = Violation {
            kind,
            line,
            detail: detail.into(),
        };
        if !kind.fails() {
            self.notices.push(v);
            return;
        }
        self.violation_count += 1;
        if self.violations.len() < MAX_LISTED {
            self.violations.push(v);
        }
    }
}

/// One line of the log as read: its bytes without the newline, and whether
/// it had one.
#[derive(Default)]
struct RawLine {
    bytes: Vec<u8>,
    terminated: bool,
    present: bool,
}

fn read_line(r: &mut impl BufRead, into: &mut RawLine) -> io::Result<()> {
    into.bytes.clear();
    let n = r.read_until(b'\n', &mut into.bytes)?;
    into.present = n > 0;
    into.terminated = into.bytes.last() == Some(&b'\n');
    if into.terminated {
        into.bytes.pop();
    }
    Ok(())
}

/// The `seq` a line claims, authentic or not (for telling a swap from a gap).
fn claimed_seq(line: &[u8]) -> Option<u64> {
    serde_json::from_slice::<Value>(line)
        .ok()?
        .get("seq")?
        .as_u64()
}

/// Verify the log at `path` with `key`, and `checkpoint` if given.
pub fn verify_log(
    path: &Path,
    key: &[u8],
    checkpoint: Option<&Checkpoint>,
) -> Result<Report, AuditError> {
    let file = File::open(path).map_err(|e| AuditError::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut rep = Report::default();

    let mpath = manifest_path(path);
    let manifest = match fs::read_to_string(&mpath) {
        Ok(text) => match Manifest::parse(&text, key) {
            Ok(m) => Some(m),
            Err(why) => {
                rep.report(
                    Kind::ManifestMismatch,
                    0,
                    format!("{}: {why}", mpath.display()),
                );
                None
            }
        },
        // A log created by an append that died before writing its
        // manifest is empty: nothing was recorded, nothing can be wrong.
        Err(e)
            if e.kind() == io::ErrorKind::NotFound
                && reader.get_ref().metadata().is_ok_and(|m| m.len() == 0) =>
        {
            None
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            rep.report(
                Kind::ManifestMismatch,
                0,
                format!("{} is missing", mpath.display()),
            );
            None
        }
        Err(e) => return Err(AuditError::io(&mpath, e)),
    };
    rep.log_id = manifest.as_ref().map(|m| m.log_id().to_string());

    // The hash the next line must name as prev_hash (unknown without a
    // manifest until the first line is read).
    let mut expected_prev = manifest.as_ref().map(|m| m.genesis_hash.clone());
    let mut last_seq = 0u64;
    let mut last_ts = String::new();
    let mut prev_flagged = false;
    // (hash, end offset) of the authentic lines the manifest and the
    // checkpoint point at.
    let mut at_head: Option<(String, u64)> = None;
    let mut at_checkpoint: Option<String> = None;
    let head_seq = manifest.as_ref().map(|m| m.head.seq);
    let cp_seq = checkpoint.map(|c| c.seq);

    let mut cur = RawLine::default();
    let mut next = RawLine::default();
    read_line(&mut reader, &mut cur).map_err(|e| AuditError::io(path, e))?;
    while cur.present {
        read_line(&mut reader, &mut next).map_err(|e| AuditError::io(path, e))?;
        rep.lines += 1;
        let line = rep.lines;
        rep.bytes += cur.bytes.len() as u64 + u64::from(cur.terminated);
        let hash = sha256_hex(&cur.bytes);
        let mut flagged = false;
        if !cur.terminated {
            rep.report(
                Kind::Unparseable,
                line,
                "the last line has no newline: the log was cut inside it, or an append died mid-write",
            );
            flagged = true;
        }
        match parse_line(&cur.bytes, key) {
            Err(e) => {
                if !flagged {
                    let (kind, why) = match e {
                        LineError::Unparseable(w) => (Kind::Unparseable, w),
                        LineError::BadHmac(w) => (Kind::BadHmac, w),
                    };
                    rep.report(kind, line, why);
                }
                flagged = true;
                // Assume it held the next entry.
                last_seq += 1;
            }
            Ok(e) => {
                let s = e.seq;
                // After a line that could not be trusted, any later seq is
                // a fresh baseline (a merged or garbled line may have held
                // several entries); the damage is already reported.
                let resync = prev_flagged && s > last_seq;
                if s != last_seq + 1 && !resync {
                    flagged = true;
                    if s == last_seq && s > 0 {
                        rep.report(Kind::Duplicate, line, format!("seq {s} again"));
                    } else if s <= last_seq {
                        rep.report(
                            Kind::Reordered,
                            line,
                            format!("seq {s} after seq {last_seq}"),
                        );
                    } else if next.present && claimed_seq(&next.bytes) == Some(last_seq + 1) {
                        rep.report(
                            Kind::Reordered,
                            line,
                            format!("seq {s} before seq {}", last_seq + 1),
                        );
                    } else {
                        let missing = if s == last_seq + 2 {
                            format!("seq {} is missing", last_seq + 1)
                        } else {
                            format!("seq {}..{} are missing", last_seq + 1, s - 1)
                        };
                        rep.report(Kind::Gap, line, missing);
                    }
                }
                if !flagged && !prev_flagged {
                    if let Some(p) = &expected_prev {
                        if *p != e.prev_hash {
                            flagged = true;
                            let what = if line == 1 {
                                "the genesis record".to_string()
                            } else {
                                format!("line {}", line - 1)
                            };
                            rep.report(
                                Kind::Tampered,
                                line,
                                format!("prev_hash is not the hash of {what}"),
                            );
                        }
                    }
                }
                if e.timestamp < last_ts {
                    rep.report(
                        Kind::NonMonotonicTimestamp,
                        line,
                        format!("{} after {last_ts}", e.timestamp),
                    );
                } else {
                    last_ts = e.timestamp;
                }
                rep.entries += 1;
                if s >= rep.last_seq {
                    rep.last_seq = s;
                    rep.last_hash.clone_from(&hash);
                }
                if Some(s) == head_seq {
                    at_head = Some((hash.clone(), rep.bytes));
                }
                if Some(s) == cp_seq {
                    at_checkpoint = Some(hash.clone());
                }
                last_seq = last_seq.max(s);
            }
        }
        expected_prev = Some(hash);
        prev_flagged = flagged;
        std::mem::swap(&mut cur, &mut next);
    }

    if let Some(m) = &manifest {
        check_head(&mut rep, m, at_head);
    }
    if let Some(c) = checkpoint {
        check_checkpoint(&mut rep, c, at_checkpoint);
    }
    Ok(rep)
}

fn check_head(rep: &mut Report, m: &Manifest, at_head: Option<(String, u64)>) {
    let head = &m.head;
    if rep.bytes < head.length || rep.last_seq < head.seq {
        rep.report(
            Kind::Truncated,
            rep.lines,
            format!(
                "the manifest's head is seq {} at byte {}; the log ends at seq {}, byte {}",
                head.seq, head.length, rep.last_seq, rep.bytes
            ),
        );
        return;
    }
    if head.seq == 0 {
        if head.length != 0 {
            rep.report(
                Kind::ManifestMismatch,
                0,
                "an empty head with a non-zero length",
            );
        } else if rep.entries > 0 {
            rep.report(
                Kind::ManifestBehind,
                0,
                format!(
                    "entries 1..{} follow the manifest's head (an append died before its manifest update; the next append records them)",
                    rep.last_seq
                ),
            );
        }
        return;
    }
    match at_head {
        None => rep.report(
            Kind::ManifestMismatch,
            0,
            format!("the log holds no authentic entry with the manifest's head seq {}", head.seq),
        ),
        Some((hash, _)) if hash != head.hash => rep.report(
            Kind::ManifestMismatch,
            0,
            format!("the entry at seq {} is not the one the manifest recorded", head.seq),
        ),
        Some((_, end)) if end != head.length => rep.report(
            Kind::ManifestMismatch,
            0,
            format!(
                "the entry at seq {} ends at byte {end}, the manifest says {}",
                head.seq, head.length
            ),
        ),
        Some(_) if rep.last_seq > head.seq => rep.report(
            Kind::ManifestBehind,
            0,
            format!(
                "entries {}..{} follow the manifest's head (an append died before its manifest update; the next append records them)",
                head.seq + 1,
                rep.last_seq
            ),
        ),
        Some(_) => {}
    }
}

fn check_checkpoint(rep: &mut Report, c: &Checkpoint, at: Option<String>) {
    if rep.log_id.as_deref().is_some_and(|id| id != c.log_id) {
        rep.report(
            Kind::CheckpointMismatch,
            0,
            format!(
                "the checkpoint is of log {}, this is log {}",
                c.log_id,
                rep.log_id.as_deref().unwrap_or("")
            ),
        );
        return;
    }
    match at {
        None => rep.report(
            Kind::CheckpointMismatch,
            0,
            format!(
                "the log no longer holds seq {} (checkpoint of {}); it ends at seq {}",
                c.seq, c.time, rep.last_seq
            ),
        ),
        Some(h) if h != c.head_hash => rep.report(
            Kind::CheckpointMismatch,
            0,
            format!(
                "the entry at seq {} is not the one checkpointed at {}",
                c.seq, c.time
            ),
        ),
        Some(_) => {}
    }
}
