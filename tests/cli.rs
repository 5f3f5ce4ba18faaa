//! The built binary on the bundled fixtures: every format, bad input, gates,
//! exit codes, signing and determinism. Expected numbers are the fixtures'
//! known contents (see the comment above each test).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sha2::{Digest, Sha256};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scour"));
    c.env_remove("SCOUR_SIGNING_KEY").env("CI", "true");
    c
}

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(p)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run scour")
}

/// Scan and parse the JSON report, asserting the exit code.
fn scan(paths: &[&Path], extra: &[&str], code: i32) -> Value {
    let mut c = bin();
    c.arg("scan").args(paths).args(extra);
    let out = c.output().expect("run scour");
    assert_eq!(
        out.status.code(),
        Some(code),
        "stderr: {}\nstdout: {}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).expect("report is JSON")
}

/// Waits for `child`, killing it and failing after `secs` seconds (for
/// bugs that hang rather than fail). Returns its exit code.
fn finish_within(child: &mut std::process::Child, secs: u64, what: &str) -> Option<i32> {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if started.elapsed() > std::time::Duration::from_secs(secs) {
            child.kill().ok();
            panic!("scan of {what} did not finish in {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn det(r: &Value, id: &str) -> u64 {
    r["detectors"][id].as_u64().unwrap_or(0)
}

fn sha256_of(p: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(p).unwrap()))
}

// chat-train.jsonl: 5 rows, nested messages and meta; consent true/"yes"/1 on
// rows 1, 2, 5 (row 3 false, row 4 "revoked"); provenance on rows 1, 2, 5
// (row 4 ""). Findings: EMAIL in text and meta.contact, a Visa test card in
// messages[].content, an IPv4 address, and an AWS key id whose first letter
// is written as the JSON escape \u0041.
#[test]
fn nested_jsonl_numbers() {
    let p = fixture("jsonl/chat-train.jsonl");
    let r = scan(&[&p], &[], 1);
    assert_eq!(r["file_count"], 1);
    assert_eq!(r["row_count"], 5);
    assert_eq!(r["consent_coverage_pct"], 60.0);
    assert_eq!(r["provenance_coverage_pct"], 60.0);
    assert_eq!(det(&r, "EMAIL"), 2);
    assert_eq!(det(&r, "CREDIT_CARD"), 1);
    assert_eq!(det(&r, "IP_ADDRESS"), 1);
    assert_eq!(
        det(&r, "AWS_ACCESS_KEY_ID"),
        1,
        "escaped secret must be found: {}",
        r["detectors"]
    );
    assert_eq!(r["pii_total"], 4);
    assert_eq!(r["secrets_total"], 1);
    assert_eq!(r["fields"]["meta.contact"]["findings"], 1);
    assert_eq!(r["fields"]["messages[].content"]["values"], 2);
    assert_eq!(
        r["fields"]["messages[].content"]["detectors"]["CREDIT_CARD"],
        1
    );
    assert_eq!(r["splits"]["train"]["rows"], 5);
    assert_eq!(r["files"][0]["sha256"], sha256_of(&p));
    assert_eq!(r["files"][0]["bytes"], std::fs::metadata(&p).unwrap().len());
    assert_eq!(r["files"][0]["format"], "jsonl");
    assert_eq!(r["errors"]["count"], 0);
    assert_eq!(r["gates"]["passed"], false);
    let failed: Vec<&str> = r["gates"]["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["gate"].as_str().unwrap())
        .collect();
    assert!(
        failed.contains(&"secrets") && failed.contains(&"consent"),
        "{failed:?}"
    );
    // Locations are listed, values never.
    let text = serde_json::to_string(&r).unwrap();
    assert!(!text.contains("jane.doe@example.com") && !text.contains("KIAZ3MPL4R7QW2XK5TN"));
    let f = r["findings"]["list"].as_array().unwrap();
    assert_eq!(f.len(), 5);
    assert!(f
        .iter()
        .any(|f| f["detector"] == "AWS_ACCESS_KEY_ID" && f["line"] == 4 && f["row"] == 3));
    // Eleven characters per token is not the point; the estimate is chars / 4.
    assert!(r["token_estimate"].as_u64().unwrap() > 50);
}

// --text-field restricts scanning: with only `text`, the card in messages and
// the e-mail in meta.contact are not seen; consent is still evaluated.
#[test]
fn text_field_restriction() {
    let r = scan(
        &[&fixture("jsonl/chat-train.jsonl")],
        &["--text-field", "text"],
        1,
    );
    assert_eq!(det(&r, "CREDIT_CARD"), 0);
    assert_eq!(det(&r, "EMAIL"), 1);
    assert_eq!(r["consent_coverage_pct"], 60.0);
    assert!(r["fields"].get("meta.contact").is_none());
}

// validation.json: a top-level array of 3 objects, all consented with a
// source; a phone number in +44 form and a dashed SSN.
#[test]
fn json_array() {
    let r = scan(&[&fixture("json/validation.json")], &[], 1);
    assert_eq!(r["row_count"], 3);
    assert_eq!(det(&r, "PHONE"), 1);
    assert_eq!(det(&r, "US_SSN"), 1);
    assert_eq!(r["consent_coverage_pct"], 100.0);
    assert_eq!(r["provenance_coverage_pct"], 100.0);
    assert_eq!(r["splits"]["validation"]["rows"], 3);
    assert_eq!(r["files"][0]["split"], "validation");
    // 2 PII in a few dozen tokens is far above 1 per 1,000.
    assert_eq!(
        r["eu_ai_act_article_10_clauses"][0]["clause_id"],
        "Art.10(2)(a)"
    );
    assert_eq!(r["eu_ai_act_article_10_clauses"][0]["passed"], false);
    assert_eq!(r["eu_ai_act_article_10_clauses"][1]["passed"], true);
}

// test.csv: header + 3 records; record 1 is quoted with "" and a newline
// (lines 2-3) and holds an e-mail; record 3 (line 5) is ragged.
#[test]
fn csv_with_quotes_and_a_ragged_row() {
    let r = scan(&[&fixture("csv/test.csv")], &[], 1);
    assert_eq!(r["row_count"], 3);
    assert_eq!(det(&r, "EMAIL"), 1);
    assert_eq!(r["errors"]["count"], 1);
    let e = &r["errors"]["list"][0];
    assert_eq!(e["line"], 5);
    assert_eq!(e["row"], 2);
    assert!(e["message"].as_str().unwrap().contains("ragged row"));
    assert_eq!(r["consent_coverage_pct"], 33.33);
    assert_eq!(r["provenance_coverage_pct"], 66.67);
    assert_eq!(r["splits"]["test"]["rows"], 3);
}

// notes.txt: 4 lines: a spaced German IBAN, a GitHub token with a valid
// checksum, a JWT, and a clean line.
#[test]
fn txt_lines() {
    let r = scan(&[&fixture("txt/notes.txt")], &[], 1);
    assert_eq!(r["row_count"], 4);
    assert_eq!(det(&r, "IBAN"), 1);
    assert_eq!(det(&r, "GITHUB_TOKEN"), 1);
    assert_eq!(det(&r, "JWT"), 1);
    assert_eq!(r["secrets_total"], 2);
    assert_eq!(r["consent_coverage_pct"], 0.0);
}

// crm-train.jsonl.gz: 2 rows, an e-mail and a US phone number with
// separators, +1 (202) 555-0143: in NANP's block for fiction (555-0100 to
// 0199), which belongs to nobody and is not reported (README, `scour mask`).
#[test]
fn gzip_jsonl() {
    let p = fixture("jsonl/crm-train.jsonl.gz");
    let r = scan(&[&p], &[], 1);
    assert_eq!(r["row_count"], 2);
    assert_eq!(det(&r, "EMAIL"), 1);
    assert_eq!(det(&r, "PHONE"), 0);
    assert_eq!(r["files"][0]["compression"], "gzip");
    assert_eq!(
        r["files"][0]["sha256"],
        sha256_of(&p),
        "hash of the file's (compressed) bytes"
    );
    assert_eq!(r["consent_coverage_pct"], 100.0);
}

// bad.jsonl: line 2 is cut off mid-object (and holds a Stripe live key, which
// must still be found), line 3 has a Latin-1 byte; empty.jsonl is empty.
#[test]
fn corrupt_input_is_counted_located_and_still_scanned() {
    let r = scan(&[&fixture("broken")], &[], 1);
    assert_eq!(r["file_count"], 2);
    assert_eq!(r["row_count"], 4);
    assert_eq!(r["malformed_rows"], 2);
    assert_eq!(
        det(&r, "STRIPE_SECRET_KEY"),
        1,
        "a secret in a malformed line is still a secret"
    );
    assert_eq!(r["errors"]["count"], 3);
    let list = r["errors"]["list"].as_array().unwrap();
    let at = |file: &str, line: u64| list.iter().any(|e| e["file"] == file && e["line"] == line);
    assert!(at("bad.jsonl", 2) && at("bad.jsonl", 3), "{list:?}");
    assert!(list
        .iter()
        .any(|e| e["file"] == "empty.jsonl" && e["message"] == "empty file"));
    assert!(list
        .iter()
        .any(|e| e["message"].as_str().unwrap().contains("invalid UTF-8")));
    assert_eq!(r["files"][0]["errors"], 2);
}

/// A record longer than a job (4 MiB) is read on until it ends, in every
/// text format (this once spun forever), with a BOM and lines after it.
#[test]
fn records_longer_than_a_job() {
    let dir = tempfile::tempdir().unwrap();
    let long = format!("{} contact ana@example.org", "word ".repeat(1_100_000));
    let jsonl = dir.path().join("long.jsonl");
    std::fs::write(
        &jsonl,
        format!(
            "\u{feff}{}\n{}\n",
            serde_json::json!({ "text": long }),
            serde_json::json!({ "text": "call +44 20 7946 0958" })
        ),
    )
    .unwrap();
    let txt = dir.path().join("long.txt");
    std::fs::write(&txt, format!("{long}\nshort line\n")).unwrap();
    let csv = dir.path().join("long.csv");
    std::fs::write(&csv, format!("id,text\n1,\"{long}\"\n2,plain\n")).unwrap();
    for (path, rows) in [(&jsonl, 2), (&txt, 2), (&csv, 2)] {
        // A watchdog: the bug this guards against was a hang, not an error.
        let mut child = bin()
            .args(["scan", "--threads", "2", "--output"])
            .arg(dir.path().join("report.json"))
            .arg(path)
            .spawn()
            .expect("run scour");
        finish_within(&mut child, 60, &path.display().to_string());
        let report = std::fs::read(dir.path().join("report.json")).unwrap();
        let r: Value = serde_json::from_slice(&report).unwrap();
        assert_eq!(r["row_count"], rows, "{}", path.display());
        assert_eq!(det(&r, "EMAIL"), 1, "{}", path.display());
        assert_eq!(r["errors"]["count"], 0, "{}", path.display());
        assert_eq!(r["files"][0]["sha256"], sha256_of(path));
    }
}

#[test]
fn whole_fixture_tree() {
    let r = scan(&[&fixture("")], &[], 1);
    assert!(r["file_count"].as_u64().unwrap() >= 7);
    let skipped: Vec<&str> = r["skipped_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(skipped.contains(&"README.md"), "{skipped:?}");
    // Sorted walk: file order is the sorted relative path order.
    let files: Vec<&str> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted);
    for s in ["train", "validation", "test"] {
        assert!(r["splits"][s]["rows"].as_u64().unwrap() > 0, "{s}");
    }
}

#[test]
fn usage_and_input_errors_exit_2() {
    let out = run(&["scan", "/definitely/not/here.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/definitely/not/here.jsonl") && err.contains("no such file"),
        "{err}"
    );
    assert_eq!(run(&["scan"]).status.code(), Some(2));
    assert_eq!(
        run(&["scan", "--skip-gate", "nope", "fixtures"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("scour.toml");
    std::fs::write(&cfg, "[gates]\nmin_consent_pct = 10\nmax_pii_densty = 3\n").unwrap();
    let out = run(&[
        "scan",
        "--config",
        cfg.to_str().unwrap(),
        fixture("txt").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3") && err.contains("max_pii_densty"),
        "{err}"
    );
}

/// A deterministic corpus of Zipf-distributed prose with consent and source,
/// and one e-mail every `pii_every` rows.
fn write_corpus(path: &Path, rows: usize, pii_every: usize) {
    use std::io::Write;
    let words: Vec<String> = (0..3000).map(|i| format!("w{}x{}", i % 97, i)).collect();
    let weights: Vec<f64> = (1..=words.len()).map(|r| 1.0 / r as f64).collect();
    let total: f64 = weights.iter().sum();
    let mut cdf = Vec::with_capacity(words.len());
    let mut acc = 0.0;
    for w in &weights {
        acc += w / total;
        cdf.push(acc);
    }
    let mut state: u64 = 0x9E3779B97F4A7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..rows {
        let mut text = String::new();
        for _ in 0..120 {
            let u = next();
            let k = cdf.partition_point(|&c| c < u).min(words.len() - 1);
            text.push_str(&words[k]);
            text.push(' ');
        }
        if pii_every > 0 && i % pii_every == 0 {
            text.push_str(&format!("mail user{i}@example.com"));
        }
        writeln!(
            f,
            "{}",
            serde_json::json!({"id": i, "text": text, "source": "gen", "consent": true})
        )
        .unwrap();
    }
}

fn strip_run_ids(mut r: Value) -> Value {
    for k in ["scan_id", "scanned_at", "hmac_signature"] {
        r.as_object_mut().unwrap().remove(k);
    }
    r
}

#[test]
fn clean_corpus_passes_every_gate_and_output_is_thread_independent() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("train.jsonl");
    // ~13 MB: several 4 MiB jobs, so the ordered merge really reorders.
    write_corpus(&p, 13_000, 0);
    let r1 = scan(&[&p], &["--threads", "1"], 0);
    let r2 = scan(&[&p], &["--threads", "2"], 0);
    let r4 = scan(&[&p], &["--threads", "4"], 0);
    assert_eq!(r1["row_count"], 13_000);
    assert_eq!(r1["bias_signal"], "low", "{}", r1["zipf"]);
    assert!(r1["eu_ai_act_article_10_clauses"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["passed"] == true));
    assert_eq!(r1["gates"]["passed"], true);
    let (a, b, c) = (strip_run_ids(r1), strip_run_ids(r2), strip_run_ids(r4));
    assert_eq!(a, b);
    assert_eq!(a, c);
}

/// Every format, Parquet row groups and corrupt files included, gives the
/// same report on any number of threads. With one thread the producer must
/// run the jobs it queued itself (waiting for another thread would hang).
#[test]
fn fixtures_report_is_thread_independent() {
    let dir = tempfile::tempdir().unwrap();
    let report = |threads: &str| {
        let out = dir.path().join(format!("report-{threads}.json"));
        let mut child = bin()
            .args(["scan", "--quiet", "--threads", threads, "--output"])
            .arg(&out)
            .arg(fixture(""))
            .spawn()
            .expect("run scour");
        let code = finish_within(&mut child, 60, &format!("fixtures/ on {threads} threads"));
        assert_eq!(code, Some(1), "the fixtures fail a gate");
        serde_json::from_slice::<Value>(&std::fs::read(&out).unwrap()).unwrap()
    };
    let (r1, r2, r3) = (report("1"), report("2"), report("3"));
    assert!(
        r1["row_count"].as_u64().unwrap() > 30,
        "{}",
        r1["row_count"]
    );
    let (a, b, c) = (strip_run_ids(r1), strip_run_ids(r2), strip_run_ids(r3));
    assert_eq!(a, b);
    assert_eq!(a, c);
}

#[test]
fn pii_density_gate_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("train.jsonl");
    // One e-mail per row of ~120 words (~1,000 chars): ~4 per 1,000 tokens.
    write_corpus(&p, 300, 1);
    let r = scan(&[&p], &[], 1);
    assert_eq!(det(&r, "EMAIL"), 300);
    assert_eq!(r["gates"]["failed"][0]["gate"], "pii-density");
    scan(&[&p], &["--max-pii-density", "50"], 0);
    scan(&[&p], &["--skip-gate", "pii-density"], 0);
    let md = bin()
        .args(["scan", "--format", "markdown"])
        .arg(&p)
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.starts_with("# scour report — FAILED"), "{md}");
    assert!(md.contains("| Art.10(2)(a) |") && md.contains("**pii-density** failed"));
}

#[test]
fn signature_verifies_in_python_and_with_verify_report() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("report.json");
    let key = "test-key-ünïcode";
    let out = bin()
        .env("SCOUR_SIGNING_KEY", key)
        .args(["scan", "--output"])
        .arg(&out_path)
        .arg(fixture(""))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    let sig = report["hmac_signature"].as_str().unwrap();
    assert!(
        sig.starts_with("hmac-sha256:") && sig.len() == 12 + 64,
        "{sig}"
    );

    let verify = |p: &Path| {
        bin()
            .env("SCOUR_SIGNING_KEY", key)
            .arg("verify-report")
            .arg(p)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(verify(&out_path), Some(0));
    let tampered = dir.path().join("tampered.json");
    let text = std::fs::read_to_string(&out_path).unwrap();
    let row_count = format!("\"row_count\": {}", report["row_count"]);
    assert!(text.contains(&row_count));
    std::fs::write(&tampered, text.replace(&row_count, "\"row_count\": 1")).unwrap();
    assert_eq!(verify(&tampered), Some(1));

    let py = "import hmac, hashlib, json, os, sys\n\
              r = json.load(open(sys.argv[1], encoding='utf-8'))\n\
              sig = r.pop('hmac_signature')\n\
              body = json.dumps(r, sort_keys=True)\n\
              want = 'hmac-sha256:' + hmac.new(os.environ['SCOUR_SIGNING_KEY'].encode(), body.encode(), hashlib.sha256).hexdigest()\n\
              sys.exit(0 if hmac.compare_digest(sig, want) else 1)\n";
    match Command::new("python3")
        .env("SCOUR_SIGNING_KEY", key)
        .arg("-c")
        .arg(py)
        .arg(&out_path)
        .output()
    {
        Ok(o) => {
            assert_eq!(
                o.status.code(),
                Some(0),
                "python says the signature is invalid: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let o = Command::new("python3")
                .env("SCOUR_SIGNING_KEY", key)
                .arg("-c")
                .arg(py)
                .arg(&tampered)
                .output()
                .unwrap();
            assert_eq!(o.status.code(), Some(1));
        }
        Err(_) => eprintln!("python3 not found: skipping the Python half of the signature test"),
    }
}

#[test]
fn unsigned_reports_warn_and_can_be_refused() {
    let out = run(&["scan", fixture("txt").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["hmac_signature"], "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("SCOUR_SIGNING_KEY is not set"));
    let out = run(&[
        "scan",
        "--require-signature",
        fixture("txt").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.json");
    std::fs::write(&p, out.stdout).unwrap();
    let unsigned = dir.path().join("u.json");
    std::fs::write(&unsigned, serde_json::to_vec(&r).unwrap()).unwrap();
    let o = bin()
        .env("SCOUR_SIGNING_KEY", "k")
        .arg("verify-report")
        .arg(&unsigned)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn rules_lists_the_table() {
    let out = run(&["rules", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    for id in [
        "EMAIL",
        "CREDIT_CARD",
        "IBAN",
        "US_SSN",
        "JWT",
        "PRIVATE_KEY",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
    let text = String::from_utf8(run(&["rules"]).stdout).unwrap();
    assert!(text.contains("CREDIT_CARD"));
}

// nested.parquet (see examples/make_parquet_fixtures.rs): 12 rows in two row
// groups; consent on 6 rows, provenance on 7; two e-mails in meta.contact and
// two elsewhere, a test card twice, an AWS-shaped key id twice.
#[test]
fn parquet_nested_columns() {
    let r = scan(&[&fixture("parquet/nested.parquet")], &[], 1);
    assert_eq!(r["row_count"], 12);
    assert_eq!(r["consent_coverage_pct"], 50.0);
    assert_eq!(r["provenance_coverage_pct"], 58.33);
    assert_eq!(det(&r, "EMAIL"), 4);
    assert_eq!(det(&r, "CREDIT_CARD"), 2);
    assert_eq!(det(&r, "AWS_ACCESS_KEY_ID"), 2);
    assert_eq!(r["fields"]["meta.contact"]["detectors"]["EMAIL"], 2);
    assert_eq!(r["fields"]["messages[].content"]["values"], 10);
    assert_eq!(r["fields"]["meta.tags[]"]["values"], 10);
    assert_eq!(r["files"][0]["format"], "parquet");
    assert_eq!(
        r["files"][0]["sha256"],
        sha256_of(&fixture("parquet/nested.parquet"))
    );
    // The same rows restricted to one nested path.
    let r = scan(
        &[&fixture("parquet/nested.parquet")],
        &["--text-field", "meta.contact", "--skip-gate", "secrets"],
        1,
    );
    assert_eq!(det(&r, "EMAIL"), 2);
    assert_eq!(det(&r, "AWS_ACCESS_KEY_ID"), 0);
}

// hf/data: HF-style shards; splits come from the file names.
#[test]
fn parquet_hf_layout_splits_and_truncation() {
    let r = scan(&[&fixture("parquet/hf")], &[], 1);
    assert_eq!(r["file_count"], 3);
    assert_eq!(r["splits"]["train"]["rows"], 7);
    assert_eq!(r["splits"]["test"]["rows"], 3);
    assert_eq!(r["splits"]["test"]["detectors"]["EMAIL"], 1);
    let r = scan(&[&fixture("parquet/truncated.parquet")], &[], 1);
    assert_eq!(r["row_count"], 0);
    assert_eq!(r["errors"]["count"], 1);
    let msg = r["errors"]["list"][0]["message"].as_str().unwrap();
    assert!(msg.contains("truncated.parquet"), "{msg}");
}

// .zst is decompressed on the fly; the hash is of the compressed bytes.
#[test]
fn zstd_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dev.jsonl.zst");
    let body =
        "{\"text\": \"write to a.b@example.com\", \"source\": \"s\", \"consent\": \"granted\"}\n"
            .repeat(1000);
    std::fs::write(&p, zstd::encode_all(body.as_bytes(), 3).unwrap()).unwrap();
    let r = scan(&[&p], &[], 1);
    assert_eq!(r["row_count"], 1000);
    assert_eq!(det(&r, "EMAIL"), 1000);
    assert_eq!(r["files"][0]["compression"], "zstd");
    assert_eq!(r["files"][0]["split"], "validation");
    assert_eq!(r["files"][0]["sha256"], sha256_of(&p));
    assert_eq!(r["consent_coverage_pct"], 100.0);
    // A corrupt stream is an error of the file, not a crash.
    let bad = dir.path().join("bad.jsonl.gz");
    std::fs::write(&bad, b"\x1f\x8b\x08\x00garbage-not-deflate").unwrap();
    let r = scan(&[&bad], &[], 1);
    assert_eq!(r["errors"]["count"], 1, "{}", r["errors"]);
    assert!(r["errors"]["list"][0]["message"]
        .as_str()
        .unwrap()
        .contains("read failed"));
}

// Fields appear, vanish and change type from line to line.
#[test]
fn heterogeneous_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mixed.jsonl");
    std::fs::write(
        &p,
        concat!(
            "{\"text\": \"plain a@example.com\"}\n",
            "{\"text\": 12345678}\n",
            "{\"text\": [\"list b@example.com\", {\"deep\": \"c@example.com\"}]}\n",
            "{\"text\": {\"nested\": null}, \"extra\": true}\n",
            "{}\n",
            "\"a bare string d@example.com\"\n",
            "[1, 2, \"e@example.com\"]\n",
        ),
    )
    .unwrap();
    let r = scan(&[&p], &["--skip-gate", "pii-density"], 1);
    assert_eq!(r["row_count"], 7);
    assert_eq!(r["errors"]["count"], 0);
    assert_eq!(det(&r, "EMAIL"), 5);
    assert_eq!(r["fields"]["text[].deep"]["findings"], 1);
    assert_eq!(r["fields"]["$"]["findings"], 1);
    assert_eq!(r["fields"]["[]"]["findings"], 1);
}

// The error list is capped; the count stays exact.
#[test]
fn error_list_is_capped_and_count_exact() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.jsonl");
    let mut s = String::new();
    for i in 0..250 {
        s.push_str(if i % 2 == 0 {
            "{\"text\": \"ok\"}\n"
        } else {
            "{oops\n"
        });
    }
    std::fs::write(&p, s).unwrap();
    let r = scan(&[&p], &[], 1);
    assert_eq!(r["errors"]["count"], 125);
    assert_eq!(r["errors"]["listed"], 100);
    assert_eq!(r["errors"]["list"][0]["line"], 2);
    assert_eq!(r["errors"]["list"][99]["line"], 200);
    assert_eq!(r["malformed_rows"], 125);
}

// --findings writes every location; values only with --findings-values.
#[test]
fn findings_file_locations_and_opt_in_values() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("findings.jsonl");
    let p = fixture("jsonl/chat-train.jsonl");
    scan(&[&p], &["--findings", f.to_str().unwrap()], 1);
    let lines: Vec<Value> = std::fs::read_to_string(&f)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert!(lines.iter().all(|l| l.get("value").is_none()));
    let aws = lines
        .iter()
        .find(|l| l["detector"] == "AWS_ACCESS_KEY_ID")
        .unwrap();
    assert_eq!(
        (
            aws["line"].as_u64(),
            aws["row"].as_u64(),
            aws["field"].as_str()
        ),
        (Some(4), Some(3), Some("text"))
    );
    scan(
        &[&p],
        &["--findings", f.to_str().unwrap(), "--findings-values"],
        1,
    );
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(
        text.contains("\"value\":\"AKIAZ3MPL4R7QW2XK5TN\""),
        "{text}"
    );
    assert!(text.contains("\"value\":\"4111 1111 1111 1111\""));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left behind"
    );
    assert_eq!(
        run(&["scan", "--findings-values", p.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
}

// scour.toml: a user rule, a disabled built-in and allowlists.
#[test]
fn config_rules_disable_and_allowlists() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("scour.toml");
    std::fs::write(
        &cfg,
        concat!(
            "[detectors]\ndisable = [\"IP_ADDRESS\"]\n\n",
            "[[rules]]\nid = \"ACME_EMPLOYEE_ID\"\nregex = 'ACME-[0-9]{6}'\nanchors = [\"ACME-\"]\nplaceholder = \"[EMPLOYEE]\"\n\n",
            "[allowlist]\nvalues = [\"4111111111111111\"]\n",
            "[allowlist.detectors.EMAIL]\npatterns = ['@example\\.com$']\n",
        ),
    )
    .unwrap();
    let data = dir.path().join("train.jsonl");
    std::fs::write(
        &data,
        "{\"text\": \"badge ACME-123456, card 4111 1111 1111 1111, a@example.com, b@corp.io, host 192.0.2.1\"}\n",
    )
    .unwrap();
    let r = scan(&[&data], &["--config", cfg.to_str().unwrap()], 1);
    assert_eq!(det(&r, "ACME_EMPLOYEE_ID"), 1);
    assert_eq!(det(&r, "CREDIT_CARD"), 0, "allowlisted test card");
    assert_eq!(det(&r, "EMAIL"), 1, "only the non-example address");
    assert_eq!(det(&r, "IP_ADDRESS"), 0, "disabled");
    let out = run(&[
        "rules",
        "--format",
        "json",
        "--config",
        cfg.to_str().unwrap(),
    ]);
    let rules: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"ACME_EMPLOYEE_ID") && !ids.contains(&"IP_ADDRESS"));
    // Errors name what is wrong.
    std::fs::write(&cfg, "[[rules]]\nid = \"X_Y\"\nregex = '('\n").unwrap();
    let out = run(&[
        "scan",
        "--config",
        cfg.to_str().unwrap(),
        data.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rules.X_Y.regex"));
    std::fs::write(&cfg, "[detectors]\ndisable = [\"NOT_A_DETECTOR\"]\n").unwrap();
    let out = run(&[
        "scan",
        "--config",
        cfg.to_str().unwrap(),
        data.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NOT_A_DETECTOR"));
}

// Both engines give the same report (but for the engine's name).
#[test]
fn engine_choice() {
    let p = fixture("");
    let regex = strip_run_ids(scan(&[&p], &["--engine", "regex"], 1));
    assert_eq!(regex["engine"], "regex-automata");
    if cfg!(feature = "hyperscan") {
        let mut hs = strip_run_ids(scan(&[&p], &["--engine", "hyperscan"], 1));
        assert_eq!(hs["engine"], "hyperscan");
        hs["engine"] = regex["engine"].clone();
        assert_eq!(hs, regex);
    } else {
        let out = run(&["scan", "--engine", "hyperscan", p.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("--features hyperscan"));
    }
}

// An invalid regex in a user rule: exit 2, and stderr names the file, the
// line and the key, with regex-syntax's message and where in the pattern.
#[test]
fn config_regex_error_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("scour.toml");
    std::fs::write(
        &cfg,
        concat!(
            "[gates]\nmax_bias = \"medium\"\n\n",
            "[[rules]]\nid = \"GOOD\"\nregex = 'GOOD-[0-9]{4}'\n\n",
            "[[rules]]\nid = \"BROKEN\"\nplaceholder = \"[B]\"\nregex = 'ACME-[0-9'\n",
        ),
    )
    .unwrap();
    let shown = cfg.display().to_string();
    for args in [
        vec!["scan", "--config", &shown, "fixtures/txt"],
        vec!["rules", "--config", &shown],
    ] {
        let out = bin()
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("run scour");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            out.stdout.is_empty(),
            "{args:?}: no report on a config error"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("{shown}: line 11: rules.BROKEN.regex: ")),
            "{err}"
        );
        assert!(
            err.contains("unclosed character class at column 6 of the pattern"),
            "{err}"
        );
        assert!(err.contains("    ACME-[0-9\n         ^"), "{err}");
    }
}
