//! Appending to an audit log: one exclusive lock around read-head, append,
//! fsync and manifest update, so that writers in several processes never
//! interleave lines or fork the chain, and a crash at any point leaves a log
//! that verifies (at worst with its manifest one step behind, which the next
//! append repairs).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use super::record::{parse_line, sha256_hex, Head, Manifest, NewEntry};
use super::AuditError;
use crate::util::atomic::write_atomic;
use crate::util::time::rfc3339_utc_millis;
use crate::util::ulid::try_new_ulid;

/// What an append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendOutcome {
    pub seq: u64,
    /// SHA-256 of the new line: the head a checkpoint would pin.
    pub hash: String,
    /// What the append repaired before writing (an interrupted earlier
    /// append), if anything.
    pub repaired: Option<String>,
}

/// The manifest beside `log`: `FILE.manifest.json`.
pub fn manifest_path(log: &Path) -> PathBuf {
    let mut name = log.as_os_str().to_os_string();
    name.push(".manifest.json");
    PathBuf::from(name)
}

/// Append one event. Creates the log (and its manifest) if it does not
/// exist. Refuses, changing nothing, when the log and its manifest disagree
/// in a way only an edit explains (a shorter log, a different last line, a
/// manifest whose HMAC fails): appending would bury the evidence.
pub fn append(
    path: &Path,
    key: &[u8],
    event: &str,
    actor: &str,
    payload: &Value,
) -> Result<AppendOutcome, AuditError> {
    let io_err = |e| AuditError::io(path, e);
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(io_err)?;
    // Released when `file` is dropped, after the manifest is in place.
    lock_exclusive(&file).map_err(io_err)?;
    let len = file.metadata().map_err(io_err)?.len();
    let mpath = manifest_path(path);
    let mut manifest = match fs::read_to_string(&mpath) {
        Ok(text) => Manifest::parse(&text, key).map_err(|m| AuditError::refused(path, m))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound && len == 0 => {
            let id = try_new_ulid()
                .map_err(|e| AuditError::io(path, io::Error::other(e.to_string())))?;
            let m = Manifest::new(&id, &rfc3339_utc_millis(SystemTime::now()));
            write_atomic(&mpath, m.to_text(key).as_bytes())
                .map_err(|e| AuditError::io(&mpath, e))?;
            m
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(AuditError::refused(
                path,
                format!(
                    "the log has entries but its manifest {} is missing",
                    mpath.display()
                ),
            ))
        }
        Err(e) => return Err(AuditError::io(&mpath, e)),
    };

    let mut repaired = None;
    if len < manifest.head.length {
        return Err(AuditError::refused(
            path,
            format!(
                "the log is {len} bytes but its manifest records {} (cut off?)",
                manifest.head.length
            ),
        ));
    }
    if manifest.head.seq > 0 {
        let last = last_line_before(&mut file, manifest.head.length).map_err(io_err)?;
        if sha256_hex(&last) != manifest.head.hash {
            return Err(AuditError::refused(
                path,
                format!(
                    "the line at seq {} is not the one the manifest recorded",
                    manifest.head.seq
                ),
            ));
        }
    }
    if len > manifest.head.length {
        repaired = Some(catch_up(path, &mut file, len, key, &mut manifest.head)?);
    }

    let head = &manifest.head;
    let mut timestamp = rfc3339_utc_millis(SystemTime::now());
    // A clock stepped back (or another host's clock) must not make the log
    // look reordered: time never goes backwards within a log.
    if timestamp < head.timestamp {
        timestamp.clone_from(&head.timestamp);
    }
    let seq = head.seq + 1;
    let mut line = NewEntry {
        seq,
        timestamp: &timestamp,
        event,
        actor,
        payload,
        prev_hash: &head.hash,
    }
    .line(key);
    let hash = sha256_hex(line.as_bytes());
    let length = head.length + line.len() as u64 + 1;
    line.push('\n');
    // One write of the whole line: a crash leaves all of it or none of it
    // in practice, and a torn tail is cut by the next append anyway.
    file.write_all(line.as_bytes()).map_err(io_err)?;
    file.sync_data().map_err(io_err)?;
    if seq == 1 {
        sync_parent(path);
    }
    manifest.head = Head {
        seq,
        hash: hash.clone(),
        length,
        timestamp,
    };
    write_atomic(&mpath, manifest.to_text(key).as_bytes())
        .map_err(|e| AuditError::io(&mpath, e))?;
    Ok(AppendOutcome {
        seq,
        hash,
        repaired,
    })
}

/// Entries past the manifest's head: an append that wrote and synced its
/// line but died before updating the manifest. Each such line must verify
/// and follow the chain; then the head moves to the last one. A final
/// fragment without a newline was never acknowledged to anyone (its writer
/// died inside the write) and is cut off.
fn catch_up(
    path: &Path,
    file: &mut File,
    len: u64,
    key: &[u8],
    head: &mut Head,
) -> Result<String, AuditError> {
    let io_err = |e| AuditError::io(path, e);
    let start = head.length;
    file.seek(SeekFrom::Start(start)).map_err(io_err)?;
    let mut tail = Vec::new();
    file.take(len - start)
        .read_to_end(&mut tail)
        .map_err(io_err)?;
    let mut caught = 0u64;
    let mut at = 0usize;
    while let Some(nl) = memchr::memchr(b'\n', &tail[at..]) {
        let line = &tail[at..at + nl];
        let entry = parse_line(line, key).map_err(|e| {
            AuditError::refused(
                path,
                format!("an entry after the manifest's head does not verify: {e:?}"),
            )
        })?;
        if entry.seq != head.seq + 1 || entry.prev_hash != head.hash {
            return Err(AuditError::refused(
                path,
                format!(
                    "the entry after the manifest's head (seq {}) does not continue the chain",
                    head.seq
                ),
            ));
        }
        at += nl + 1;
        caught += 1;
        *head = Head {
            seq: entry.seq,
            hash: sha256_hex(line),
            length: start + at as u64,
            timestamp: entry.timestamp,
        };
    }
    let mut what = format!(
        "recorded {caught} entr{} the manifest had missed",
        if caught == 1 { "y" } else { "ies" }
    );
    if at < tail.len() {
        file.set_len(head.length).map_err(io_err)?;
        file.sync_data().map_err(io_err)?;
        what.push_str(&format!(
            "; cut an unfinished final line of {} bytes",
            tail.len() - at
        ));
    }
    Ok(what)
}

/// The line that ends at byte `end` (its newline at `end - 1`), read
/// backwards in blocks so that the log's size does not matter.
fn last_line_before(file: &mut File, end: u64) -> io::Result<Vec<u8>> {
    const BLOCK: u64 = 64 * 1024;
    if end == 0 {
        return Ok(Vec::new());
    }
    let stop = end - 1; // the newline itself
    let mut line: Vec<u8> = Vec::new();
    let mut pos = stop;
    while pos > 0 {
        let from = pos.saturating_sub(BLOCK);
        let mut block = vec![0u8; (pos - from) as usize];
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(&mut block)?;
        if let Some(nl) = memchr::memrchr(b'\n', &block) {
            block.drain(..=nl);
            block.extend_from_slice(&line);
            return Ok(block);
        }
        block.extend_from_slice(&line);
        line = block;
        pos = from;
    }
    Ok(line)
}

/// Blocks until this process holds the log's exclusive lock; the kernel
/// drops it when the file is closed, also when the process dies.
#[cfg(unix)]
fn lock_exclusive(file: &File) -> io::Result<()> {
    use std::os::unix::io::AsRawFd;
    loop {
        // SAFETY: flock on a file descriptor this `File` owns and keeps open.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(not(unix))]
fn lock_exclusive(_file: &File) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "audit logs need flock(2); this platform has no exclusive file lock scour supports",
    ))
}

/// A new log's directory entry must survive a crash too.
fn sync_parent(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &[u8] = b"k";

    #[test]
    fn appends_chain_and_refuse_after_an_edit() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("audit.jsonl");
        let a = append(&log, KEY, "scan.completed", "t@h", &json!({"n": 1})).unwrap();
        let b = append(&log, KEY, "scan.completed", "t@h", &json!({"n": 2})).unwrap();
        assert_eq!((a.seq, b.seq), (1, 2));
        let text = fs::read_to_string(&log).unwrap();
        let second = text.lines().nth(1).unwrap();
        assert!(second.contains(&format!("\"prev_hash\": \"{}\"", a.hash)));
        // Another key: the manifest does not verify, nothing is written.
        assert!(append(&log, b"other", "x", "t@h", &json!({})).is_err());
        // An edited last line: refused, nothing is written.
        fs::write(&log, text.replace("\"n\": 2", "\"n\": 3")).unwrap();
        let before = fs::read(&log).unwrap();
        assert!(matches!(
            append(&log, KEY, "x", "t@h", &json!({})),
            Err(AuditError::Refused { .. })
        ));
        assert_eq!(fs::read(&log).unwrap(), before);
    }

    #[test]
    fn a_manifest_left_behind_is_caught_up_and_a_torn_tail_cut() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("audit.jsonl");
        append(&log, KEY, "e", "t@h", &json!({})).unwrap();
        let m1 = fs::read(manifest_path(&log)).unwrap();
        append(&log, KEY, "e", "t@h", &json!({})).unwrap();
        // As if the second append died before its manifest update, and a
        // third inside its write.
        fs::write(manifest_path(&log), &m1).unwrap();
        let mut f = OpenOptions::new().append(true).open(&log).unwrap();
        f.write_all(b"{\"seq\": 3, \"tim").unwrap();
        drop(f);
        let c = append(&log, KEY, "e", "t@h", &json!({})).unwrap();
        assert_eq!(c.seq, 3);
        let what = c.repaired.unwrap();
        assert!(
            what.contains("1 entry") && what.contains("unfinished"),
            "{what}"
        );
        assert_eq!(fs::read_to_string(&log).unwrap().lines().count(), 3);
    }

    #[test]
    fn the_last_line_is_found_across_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let long = "x".repeat(200_000);
        fs::write(&p, format!("a\n{long}\n")).unwrap();
        let mut f = File::open(&p).unwrap();
        let len = f.metadata().unwrap().len();
        assert_eq!(last_line_before(&mut f, len).unwrap(), long.as_bytes());
        assert_eq!(last_line_before(&mut f, 2).unwrap(), b"a");
    }
}
