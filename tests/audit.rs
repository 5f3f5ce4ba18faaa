//! The audit log against the attacks and accidents it exists for: every
//! edit of a sample log of every event type is caught with the right kind
//! and line, concurrent writers in separate processes keep one chain, and a
//! writer killed at any point leaves a log that verifies (at worst with its
//! manifest behind) and that the next append repairs. The CLI is checked on
//! the built binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use scour::audit::record::{sha256_hex, NewEntry};
use scour::audit::{self, log::manifest_path, verify_log, Checkpoint, Kind, Report};
use serde_json::json;

const KEY: &[u8] = b"test audit key";
const EVENTS: &[&str] = &[
    "scan.completed",
    "mask.completed",
    "data.access_request_query",
    "data.export_completed",
    "data.erasure_requested",
    "data.erasure_completed",
    "data.erasure_failed",
];

fn sample(dir: &Path) -> PathBuf {
    let log = dir.join("audit.jsonl");
    for (i, e) in EVENTS.iter().enumerate() {
        let payload =
            json!({"n": i, "subject": format!("{:016x}", i * 977), "note": "ünïcode \"quoted\""});
        audit::append(&log, KEY, e, "tester@host", &payload).unwrap();
    }
    log
}

fn verify(log: &Path, cp: Option<&Checkpoint>) -> Report {
    verify_log(log, KEY, cp).unwrap()
}

fn kinds_at(rep: &Report) -> Vec<(Kind, u64)> {
    rep.violations.iter().map(|v| (v.kind, v.line)).collect()
}

/// Write `bytes` as the log (and `manifest` as its manifest) in a copy.
fn variant(dir: &Path, name: &str, bytes: &[u8], manifest: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    std::fs::write(manifest_path(&p), manifest).unwrap();
    p
}

fn line_spans(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            spans.push((start, i + 1));
            start = i + 1;
        }
    }
    spans
}

#[test]
fn an_untouched_log_verifies_clean() {
    let dir = tempfile::tempdir().unwrap();
    let log = sample(dir.path());
    let rep = verify(&log, None);
    assert!(rep.clean(), "{:?}", rep.violations);
    assert!(rep.notices.is_empty());
    assert_eq!(
        (rep.entries, rep.last_seq),
        (EVENTS.len() as u64, EVENTS.len() as u64)
    );
}

#[test]
fn every_byte_flip_is_caught_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = sample(dir.path());
    let bytes = std::fs::read(&log).unwrap();
    let manifest = std::fs::read(manifest_path(&log)).unwrap();
    let spans = line_spans(&bytes);
    for i in 0..bytes.len() {
        let line = spans.iter().position(|&(s, e)| s <= i && i < e).unwrap() as u64 + 1;
        let mut edited = bytes.clone();
        edited[i] ^= 0x01;
        let p = variant(dir.path(), "flip.jsonl", &edited, &manifest);
        let rep = verify(&p, None);
        assert!(
            rep.violations
                .iter()
                .any(|v| v.line == line && matches!(v.kind, Kind::BadHmac | Kind::Unparseable)),
            "flip at byte {i} (line {line}): {:?}",
            kinds_at(&rep)
        );
    }
}

#[test]
fn deleted_truncated_swapped_and_duplicated_lines_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    let log = sample(dir.path());
    let bytes = std::fs::read(&log).unwrap();
    let manifest = std::fs::read(manifest_path(&log)).unwrap();
    let spans = line_spans(&bytes);
    let n = spans.len();
    let join = |order: &[usize]| -> Vec<u8> {
        order
            .iter()
            .flat_map(|&k| bytes[spans[k].0..spans[k].1].to_vec())
            .collect()
    };
    for k in 0..n {
        // Delete line k+1 (1-based): a gap where the next line sits, or a
        // truncated log when it was the last.
        let order: Vec<usize> = (0..n).filter(|&j| j != k).collect();
        let rep = verify(
            &variant(dir.path(), "del.jsonl", &join(&order), &manifest),
            None,
        );
        let want = if k + 1 == n {
            (Kind::Truncated, (n - 1) as u64)
        } else {
            (Kind::Gap, k as u64 + 1)
        };
        assert!(
            kinds_at(&rep).contains(&want),
            "delete line {}: {:?}",
            k + 1,
            kinds_at(&rep)
        );

        // Duplicate line k+1.
        let mut order: Vec<usize> = (0..n).collect();
        order.insert(k + 1, k);
        let rep = verify(
            &variant(dir.path(), "dup.jsonl", &join(&order), &manifest),
            None,
        );
        assert!(
            kinds_at(&rep).contains(&(Kind::Duplicate, k as u64 + 2)),
            "duplicate line {}: {:?}",
            k + 1,
            kinds_at(&rep)
        );

        // Swap lines k+1 and k+2.
        if k + 1 < n {
            let mut order: Vec<usize> = (0..n).collect();
            order.swap(k, k + 1);
            let rep = verify(
                &variant(dir.path(), "swap.jsonl", &join(&order), &manifest),
                None,
            );
            assert!(
                rep.violations.iter().any(|v| v.kind == Kind::Reordered
                    && (v.line == k as u64 + 1 || v.line == k as u64 + 2)),
                "swap lines {} and {}: {:?}",
                k + 1,
                k + 2,
                kinds_at(&rep)
            );
            assert!(!rep.violations.iter().any(|v| v.kind == Kind::Tampered));
        }
    }
    // Truncation at every line boundary and inside every line.
    for cut in 0..bytes.len() {
        let rep = verify(
            &variant(dir.path(), "cut.jsonl", &bytes[..cut], &manifest),
            None,
        );
        assert!(
            rep.violations.iter().any(|v| v.kind == Kind::Truncated),
            "cut at byte {cut}: {:?}",
            kinds_at(&rep)
        );
        let inside = spans.iter().position(|&(s, e)| s < cut && cut < e);
        if let Some(l) = inside {
            assert!(
                kinds_at(&rep).contains(&(Kind::Unparseable, l as u64 + 1)),
                "cut at byte {cut}: {:?}",
                kinds_at(&rep)
            );
        }
    }
}

#[test]
fn manifest_edits_and_rollbacks_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    audit::append(&log, KEY, "scan.completed", "t@h", &json!({"n": 0})).unwrap();
    audit::append(&log, KEY, "scan.completed", "t@h", &json!({"n": 1})).unwrap();
    let early_log = std::fs::read(&log).unwrap();
    let early_manifest = std::fs::read(manifest_path(&log)).unwrap();
    for e in &EVENTS[1..] {
        audit::append(&log, KEY, e, "t@h", &json!({})).unwrap();
    }
    let bytes = std::fs::read(&log).unwrap();
    let manifest = String::from_utf8(std::fs::read(manifest_path(&log)).unwrap()).unwrap();

    // Any edit of the manifest fails its HMAC.
    for (from, to) in [
        ("\"seq\": 8", "\"seq\": 7"),
        ("\"length\": ", "\"length\": 1"),
    ] {
        assert!(manifest.contains(from), "{from}");
        let p = variant(
            dir.path(),
            "m.jsonl",
            &bytes,
            manifest.replacen(from, to, 1).as_bytes(),
        );
        let rep = verify(&p, None);
        assert!(
            kinds_at(&rep).contains(&(Kind::ManifestMismatch, 0)),
            "{:?}",
            kinds_at(&rep)
        );
    }
    // A missing manifest.
    let p = dir.path().join("nomanifest.jsonl");
    std::fs::write(&p, &bytes).unwrap();
    assert!(kinds_at(&verify(&p, None)).contains(&(Kind::ManifestMismatch, 0)));

    // Log and manifest rolled back together verify on their own; a
    // checkpoint taken later catches them.
    let cp_text = {
        let rep = verify(&log, None);
        Checkpoint {
            log_id: rep.log_id.clone().unwrap(),
            seq: rep.last_seq,
            head_hash: rep.last_hash.clone(),
            time: "2026-12-07T12:00:00.000Z".into(),
        }
        .to_text(KEY)
    };
    let cp = Checkpoint::parse(&cp_text, KEY).unwrap();
    assert!(verify(&log, Some(&cp)).clean());
    let rolled = variant(dir.path(), "rolled.jsonl", &early_log, &early_manifest);
    assert!(verify(&rolled, None).clean());
    let rep = verify(&rolled, Some(&cp));
    assert!(
        kinds_at(&rep).contains(&(Kind::CheckpointMismatch, 0)),
        "{:?}",
        kinds_at(&rep)
    );
    // A checkpoint of another log.
    let other = dir.path().join("other.jsonl");
    audit::append(&other, KEY, "scan.completed", "t@h", &json!({})).unwrap();
    assert!(kinds_at(&verify(&other, Some(&cp))).contains(&(Kind::CheckpointMismatch, 0)));
}

#[test]
fn time_going_backwards_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    audit::append(&log, KEY, "scan.completed", "t@h", &json!({})).unwrap();
    let first = std::fs::read_to_string(&log).unwrap();
    // A line forged with the key, one day in the past, chained correctly.
    let prev = sha256_hex(first.trim_end().as_bytes());
    let line = NewEntry {
        seq: 2,
        timestamp: "2000-01-01T00:00:00.000Z",
        event: "scan.completed",
        actor: "t@h",
        payload: &json!({}),
        prev_hash: &prev,
    }
    .line(KEY);
    std::fs::write(&log, format!("{first}{line}\n")).unwrap();
    let rep = verify(&log, None);
    assert!(
        kinds_at(&rep).contains(&(Kind::NonMonotonicTimestamp, 2)),
        "{:?}",
        kinds_at(&rep)
    );
}

/// Entry point of the child processes below (run only when asked to).
#[test]
#[ignore = "a child process of the concurrency and crash tests"]
fn appender_child() {
    let Some(log) = std::env::var_os("SCOUR_TEST_APPEND_LOG") else {
        return;
    };
    let count: usize = std::env::var("SCOUR_TEST_APPEND_COUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(usize::MAX);
    for i in 0..count {
        audit::append(
            Path::new(&log),
            KEY,
            "scan.completed",
            "child@host",
            &json!({"i": i, "pid": std::process::id()}),
        )
        .unwrap();
    }
}

fn child(log: &Path, count: Option<usize>) -> Command {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args([
        "--exact",
        "appender_child",
        "--ignored",
        "--test-threads",
        "1",
        "-q",
    ])
    .env("SCOUR_TEST_APPEND_LOG", log)
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    if let Some(n) = count {
        c.env("SCOUR_TEST_APPEND_COUNT", n.to_string());
    }
    c
}

#[test]
fn eight_processes_appending_at_once_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let kids: Vec<_> = (0..8)
        .map(|_| child(&log, Some(50)).spawn().unwrap())
        .collect();
    for mut k in kids {
        assert!(k.wait().unwrap().success());
    }
    let rep = verify(&log, None);
    assert!(rep.clean(), "{:?}", rep.violations);
    assert!(rep.notices.is_empty());
    assert_eq!((rep.entries, rep.last_seq), (400, 400));
}

#[test]
fn a_writer_killed_at_any_point_leaves_a_log_the_next_append_repairs() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    audit::append(&log, KEY, "scan.completed", "t@h", &json!({})).unwrap();
    let mut behind = 0;
    for round in 0..30u64 {
        let mut k = child(&log, None).spawn().unwrap();
        // Spread the kills over start-up and steady appending.
        std::thread::sleep(std::time::Duration::from_micros(
            2_000 + round * 1_737 % 40_000,
        ));
        k.kill().unwrap();
        k.wait().unwrap();
        let rep = verify(&log, None);
        assert!(rep.clean(), "round {round}: {:?}", rep.violations);
        behind += rep
            .notices
            .iter()
            .filter(|v| v.kind == Kind::ManifestBehind)
            .count();
        let out =
            audit::append(&log, KEY, "scan.completed", "t@h", &json!({"round": round})).unwrap();
        let rep = verify(&log, None);
        assert!(
            rep.clean() && rep.notices.is_empty(),
            "round {round} after repair: {:?} {:?}",
            rep.violations,
            rep.notices
        );
        assert_eq!(out.seq, rep.last_seq);
    }
    println!("{behind} of 30 kills left the manifest behind");
}

// ---- the CLI ----

fn scour() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scour"));
    c.env_remove("SCOUR_AUDIT_KEY")
        .env_remove("SCOUR_AUDIT_LOG")
        .env_remove("SCOUR_SIGNING_KEY")
        .env("CI", "1");
    c
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/txt")
}

#[test]
fn scan_records_itself_and_the_cli_verifies_checkpoints_and_shows() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let report = dir.path().join("report.json");

    // No key: exit 2 before anything is written.
    let out = scour()
        .args(["scan", "--quiet", "--audit-log"])
        .arg(&log)
        .arg("--output")
        .arg(&report)
        .arg(fixtures())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SCOUR_AUDIT_KEY"));
    assert!(!log.exists() && !report.exists());

    for _ in 0..2 {
        let out = scour()
            .env("SCOUR_AUDIT_KEY", "k1")
            .args(["scan", "--quiet", "--audit-log"])
            .arg(&log)
            .arg("--output")
            .arg(&report)
            .arg(fixtures())
            .output()
            .unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.lines().count(), 2);
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["event"], "scan.completed");
    assert_eq!(first["seq"], 1);
    assert_eq!(first["actor"].as_str().map(|a| a.contains('@')), Some(true));
    let report_bytes = std::fs::read(&report).unwrap();
    let second: serde_json::Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    assert_eq!(
        second["payload"]["report_sha256"],
        sha256_hex(&report_bytes)
    );
    // No raw value from the fixtures reaches the log.
    let fixture_text = std::fs::read_to_string(fixtures().join("notes.txt")).unwrap();
    for word in fixture_text
        .split_whitespace()
        .filter(|w| w.contains('@') || w.chars().filter(char::is_ascii_digit).count() >= 6)
    {
        assert!(!text.contains(word), "{word} in the audit log");
    }

    let verify = |extra: &[&str], key: &str| {
        let mut c = scour();
        if !key.is_empty() {
            c.env("SCOUR_AUDIT_KEY", key);
        }
        c.args(["audit", "verify"])
            .arg(&log)
            .args(extra)
            .output()
            .unwrap()
    };
    let ok = verify(&[], "k1");
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("clean"));
    assert_eq!(verify(&[], "wrong").status.code(), Some(1));
    assert_eq!(verify(&[], "").status.code(), Some(2));
    let json_out = verify(&["--format", "json"], "k1");
    let v: serde_json::Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(
        (v["clean"].as_bool(), v["entries"].as_u64()),
        (Some(true), Some(2))
    );

    let cp = scour()
        .env("SCOUR_AUDIT_KEY", "k1")
        .args(["audit", "checkpoint"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(cp.status.code(), Some(0));
    let cp_file = dir.path().join("cp.json");
    std::fs::write(&cp_file, &cp.stdout).unwrap();
    let with_cp = verify(&["--checkpoint", cp_file.to_str().unwrap()], "k1");
    assert_eq!(with_cp.status.code(), Some(0));
    // Drop the last line and re-seal nothing: caught, with and without the checkpoint.
    let first_line = format!("{}\n", text.lines().next().unwrap());
    std::fs::write(&log, first_line).unwrap();
    let bad = verify(&["--checkpoint", cp_file.to_str().unwrap()], "k1");
    assert_eq!(bad.status.code(), Some(1));
    let said = String::from_utf8_lossy(&bad.stdout);
    assert!(
        said.contains("truncated") && said.contains("checkpoint_mismatch"),
        "{said}"
    );

    let show = scour()
        .args([
            "audit",
            "show",
            "--event",
            "scan.completed",
            "--format",
            "jsonl",
        ])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(show.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&show.stdout).lines().count(), 1);
    let none = scour()
        .args(["audit", "show", "--since", "2999"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&none.stdout).lines().count(),
        1,
        "header only"
    );
}

#[test]
fn python_alone_checks_every_line_and_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let log = sample(dir.path());
    let script = r#"
import hashlib, hmac, json, os, sys
key = os.environ["SCOUR_AUDIT_KEY"].encode()
log = sys.argv[1]
m = json.load(open(log + ".manifest.json"))
mtag = m.pop("hmac")
assert hmac.compare_digest(mtag, hmac.new(key, json.dumps(m, sort_keys=True).encode(), hashlib.sha256).hexdigest()), "manifest"
prev = hashlib.sha256(json.dumps(m["genesis"], sort_keys=True).encode()).hexdigest()
assert prev == m["genesis_hash"]
n = 0
for raw in open(log, "rb"):
    raw = raw.rstrip(b"\n")
    line = json.loads(raw)
    tag = line.pop("hmac")
    assert hmac.compare_digest(tag, hmac.new(key, json.dumps(line, sort_keys=True).encode(), hashlib.sha256).hexdigest()), n
    assert line["prev_hash"] == prev, n
    prev = hashlib.sha256(raw).hexdigest()
    n += 1
assert prev == m["head"]["hash"] and n == m["head"]["seq"]
print(n)
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&log)
        .env("SCOUR_AUDIT_KEY", std::str::from_utf8(KEY).unwrap())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        EVENTS.len().to_string()
    );
}

#[test]
fn mask_records_itself_without_a_key_it_does_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let out = dir.path().join("masked");
    let run = |key: Option<&str>| {
        let mut c = scour();
        if let Some(k) = key {
            c.env("SCOUR_AUDIT_KEY", k);
        }
        c.args(["mask", "--quiet", "--audit-log"])
            .arg(&log)
            .arg("--out")
            .arg(&out)
            .arg(fixtures())
            .output()
            .unwrap()
    };
    let refused = run(None);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        !out.exists() && !log.exists(),
        "nothing is done without the key"
    );
    let done = run(Some("k1"));
    assert!(matches!(done.status.code(), Some(0 | 1)), "{done:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    let entry: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
    assert_eq!(entry["event"], "mask.completed");
    assert_eq!(entry["payload"]["mode"], "placeholder");
    let manifest = std::fs::read(out.join("mask_manifest.json")).unwrap();
    assert_eq!(entry["payload"]["manifest_sha256"], sha256_hex(&manifest));
    let rep = verify_log(&log, b"k1", None).unwrap();
    assert!(rep.clean());
}
