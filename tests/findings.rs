//! The findings file (JSON lines and Parquet), fingerprints, and baselines,
//! on the built binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

fn scour() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scour"));
    c.env("CI", "1")
        .env_remove("SCOUR_SIGNING_KEY")
        .env_remove("SCOUR_PSEUDONYM_KEY")
        .env_remove("SCOUR_AUDIT_LOG");
    c
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn report_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"))
}

fn lines(p: &Path) -> Vec<Value> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The documented reference: HMAC-SHA256(key, detector ‖ 0x00 ‖ normalised)[:16 hex].
fn reference(key: &str, detector: &str, normalised: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(detector.as_bytes());
    mac.update(&[0]);
    mac.update(normalised.as_bytes());
    hex::encode(mac.finalize().into_bytes())[..16].to_string()
}

#[test]
fn every_finding_is_recorded_without_values_or_unkeyed_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f.jsonl");
    let out = scour()
        .args(["scan", "--quiet", "--findings"])
        .arg(&f)
        .arg(fixtures())
        .output()
        .unwrap();
    let report = report_of(&out);
    let recs = lines(&f);
    assert_eq!(
        recs.len() as u64,
        report["findings_total"].as_u64().unwrap()
    );
    for r in &recs {
        for k in [
            "file",
            "split",
            "row",
            "field",
            "detector",
            "category",
            "regulations",
            "start",
            "end",
        ] {
            assert!(!r[k].is_null(), "{k} missing in {r}");
        }
        assert!(
            r.get("fingerprint").is_none() && r.get("value").is_none(),
            "{r}"
        );
    }
    // In file and row order.
    let order: Vec<(String, u64)> = recs
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_string(),
                r["row"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
}

#[test]
fn fingerprints_are_the_keyed_reference_and_values_need_asking() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f.jsonl");
    let out = scour()
        .env("SCOUR_PSEUDONYM_KEY", "fp key")
        .args(["scan", "--findings"])
        .arg(&f)
        .arg("--findings-values")
        .arg(fixtures())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("raw PII and secrets"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let recs = lines(&f);
    let mut emails = 0;
    for r in &recs {
        let fp = r["fingerprint"].as_str().unwrap();
        assert_eq!(fp.len(), 16);
        if r["detector"] == "EMAIL" {
            let v = r["value"].as_str().unwrap();
            assert_eq!(fp, reference("fp key", "EMAIL", &v.to_lowercase()));
            emails += 1;
        }
    }
    assert!(emails > 0);
}

#[test]
fn a_parquet_findings_file_holds_the_same_records() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let dir = tempfile::tempdir().unwrap();
    let (j, p) = (dir.path().join("f.jsonl"), dir.path().join("f.parquet"));
    for f in [&j, &p] {
        scour()
            .env("SCOUR_PSEUDONYM_KEY", "k")
            .args(["scan", "--quiet", "--findings"])
            .arg(f)
            .arg(fixtures())
            .output()
            .unwrap();
    }
    let recs = lines(&j);
    let reader = SerializedFileReader::new(std::fs::File::open(&p).unwrap()).unwrap();
    let meta = reader.metadata();
    assert_eq!(meta.file_metadata().num_rows() as usize, recs.len());
    let cols: Vec<String> = meta
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.path().string())
        .collect();
    for want in [
        "file",
        "split",
        "row",
        "line",
        "field",
        "detector",
        "category",
        "start",
        "end",
        "fingerprint",
    ] {
        assert!(cols.iter().any(|c| c == want), "{want} not in {cols:?}");
    }
    assert!(!cols.iter().any(|c| c == "value"));
    // Same fingerprints, same order.
    let mut fps = Vec::new();
    for row in reader.get_row_iter(None).unwrap() {
        let row = row.unwrap();
        for (name, field) in row.get_column_iter() {
            if name == "fingerprint" {
                fps.push(field.to_string().trim_matches('"').to_string());
            }
        }
    }
    let want: Vec<String> = recs
        .iter()
        .map(|r| r["fingerprint"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fps, want);
}

#[test]
fn a_baseline_accepts_what_was_reviewed_and_fails_on_what_is_new() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let notes = data.join("notes.txt");
    std::fs::write(
        &notes,
        "deploy with AKIAI3AJ36QEZUXAIAON\nmail ana.lopez@example.org about it\n",
    )
    .unwrap();
    let base = dir.path().join("scour-baseline.json");
    let skip = [
        "--skip-gate",
        "consent",
        "--skip-gate",
        "provenance",
        "--skip-gate",
        "bias",
        "--max-pii-density",
        "1000",
    ];
    let scan = |key: &str, extra: &[&str]| {
        let mut c = scour();
        c.env("SCOUR_PSEUDONYM_KEY", key)
            .args(["scan", "--quiet"])
            .args(skip)
            .args(extra)
            .arg(&data);
        c.output().unwrap()
    };
    assert_eq!(
        scan("k", &[]).status.code(),
        Some(1),
        "a secret fails the gate"
    );

    // No key: a baseline cannot be made.
    let nokey = scour()
        .args(["baseline", "create", "--quiet", "--out"])
        .arg(&base)
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(nokey.status.code(), Some(2));

    let created = scour()
        .env("SCOUR_PSEUDONYM_KEY", "k")
        .args(["baseline", "create", "--quiet", "--out"])
        .arg(&base)
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(created.status.code(), Some(0), "{created:?}");
    let text = std::fs::read_to_string(&base).unwrap();
    assert!(!text.contains("AKIAI3AJ36QEZUXAIAON") && !text.contains("ana.lopez"));
    let b: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(b["findings"].as_array().unwrap().len(), 2);
    assert_eq!(b["findings"][0]["first"]["file"], "notes.txt");

    let base_arg = ["--baseline", base.to_str().unwrap()];
    let ok = scan("k", &base_arg);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let r = report_of(&ok);
    assert_eq!(r["secrets_total"], 1, "still reported");
    assert_eq!(r["baseline"]["suppressed_secrets"], 1);
    assert_eq!(r["baseline"]["suppressed"], 2);
    // Another key: refused, not silently matching nothing.
    assert_eq!(scan("other", &base_arg).status.code(), Some(2));

    // A new secret fails again until the baseline is updated.
    std::fs::write(
        &notes,
        "deploy with AKIAI3AJ36QEZUXAIAON\nmail ana.lopez@example.org about it\nand AKIAYLPUE6EALVUPAFCA too\n",
    )
    .unwrap();
    let new = scan("k", &base_arg);
    assert_eq!(new.status.code(), Some(1));
    assert_eq!(report_of(&new)["baseline"]["suppressed_secrets"], 1);
    let updated = scour()
        .env("SCOUR_PSEUDONYM_KEY", "k")
        .args(["baseline", "update", "--quiet", "--baseline"])
        .arg(&base)
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(updated.status.code(), Some(0), "{updated:?}");
    assert!(String::from_utf8_lossy(&updated.stderr).contains("3 fingerprints (1 new)"));
    assert_eq!(scan("k", &base_arg).status.code(), Some(0));

    // SARIF marks the accepted ones as suppressed and carries fingerprints.
    let sarif = scan(
        "k",
        &["--format", "sarif", "--baseline", base.to_str().unwrap()],
    );
    let s: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for res in results {
        assert_eq!(
            res["partialFingerprints"]["scourFingerprint/v1"]
                .as_str()
                .unwrap()
                .len(),
            16
        );
        assert_eq!(res["suppressions"][0]["kind"], "external");
    }
}

/// The report lists the first findings in row order even where a Parquet
/// batch's first column alone holds more than the list: a later column's
/// finding in row 0 comes first.
#[test]
fn the_report_lists_the_first_rows_findings_whatever_the_column() {
    use arrow_array::{ArrayRef, RecordBatch, StringArray};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.parquet");
    let a: Vec<String> = (0..300)
        .map(|i| match i {
            0 => "nothing".to_string(),
            _ => format!("mail user{i}@mail-host.org"),
        })
        .collect();
    let b: Vec<String> = (0..300)
        .map(|i| match i {
            0 => "card 4111 1111 1111 1111".to_string(),
            _ => "nothing".to_string(),
        })
        .collect();
    let batch = RecordBatch::try_from_iter([
        ("a", Arc::new(StringArray::from(a)) as ArrayRef),
        ("b", Arc::new(StringArray::from(b)) as ArrayRef),
    ])
    .unwrap();
    let file = std::fs::File::create(&path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let out = scour().arg("scan").arg(&path).output().unwrap();
    let r = report_of(&out);
    assert_eq!(r["findings_total"], 300);
    let list = r["findings"]["list"].as_array().unwrap();
    assert_eq!(list.len(), 100);
    assert_eq!(list[0]["row"], 0);
    assert_eq!(list[0]["field"], "b");
    assert_eq!(list[0]["detector"], "CREDIT_CARD");
    let rows: Vec<u64> = list.iter().map(|f| f["row"].as_u64().unwrap()).collect();
    assert_eq!(rows, (0..100).collect::<Vec<u64>>());
}
