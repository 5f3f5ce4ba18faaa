//! `scour subject find | export | purge`, the built binary on corpora
//! written here: every format and nesting, spelling variants of each type,
//! masked corpora, ten thousand subjects, purges checked byte by byte, and
//! a purge killed at many points.

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use serde_json::Value;

const KEY: &str = "subject-test-key";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scour"));
    c.env_remove("SCOUR_SIGNING_KEY")
        .env_remove("SCOUR_AUDIT_KEY")
        .env_remove("SCOUR_AUDIT_LOG")
        .env("SCOUR_PSEUDONYM_KEY", KEY)
        .env("CI", "true");
    c
}

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(p)
}

fn run(c: &mut Command, code: i32) -> Output {
    let out = c.output().expect("run scour");
    assert_eq!(
        out.status.code(),
        Some(code),
        "stderr: {}\nstdout: {}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data)
        .read_to_end(&mut out)
        .unwrap();
    out
}

const A_JSONL: &str = concat!(
    "{\"id\": \"a1\", \"text\": \"Mail Jane.Doe@Example.COM today\"}\n",
    "{\"id\": \"a2\", \"text\": \"nothing here\"}\n",
    "{\"id\": \"a3\", \"messages\": [{\"role\": \"user\", \"content\": \"call +1 415-555-2671 now\"}]}\n",
    "{\"id\": \"a4\", \"text\": \"escaped jane.doe\\u0040example.com\"}\n",
    "{\"id\": \"a5\", \"text\": \"neighbour jane.doe2@example.com and (415) 555-2672\"}\n",
    "{\"t\": broken jane.doe@example.com\n",
    "{\"id\": \"a7\", \"text\": \"card 4111-1111-1111-1111\"}\n",
    "{\"id\": \"a8\", \"text\": \"other card 5500 0000 0000 0004\"}\n",
);

const B_CSV: &str = "id,text\r\n1,call (415) 555 2671\r\n2,\"multi\r\nline jane.doe@example.com\"\r\n3,GB82WEST12345698765432\r\n4,jane.doe@example.org\r\n";

const C_JSON: &str = "[\n  {\"text\": \"first\"},\n  {\"text\": \"JANE.DOE@EXAMPLE.COM wrote\"} ,\n  {\"text\": \"last\"}\n]\n";

const D_TXT: &str = "Jane Doe wrote this line.\nJane Doerr wrote that one.\nnothing\n";

const E_JSONL: &str = "{\"text\": \"card 4111 1111 1111 1111\"}\n{\"text\": \"JANE.DOE@example.com\"}\n{\"text\": \"clean\"}\n";

/// 12 rows in row groups of 5, e-mail of the subject in rows 3 and 8, a
/// key-value pair and two codecs.
fn write_parquet(p: &Path) {
    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use parquet::arrow::ArrowWriter;
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::metadata::KeyValue;
    use parquet::file::properties::WriterProperties;
    use parquet::schema::types::ColumnPath;
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("text", DataType::Utf8, true),
    ]));
    let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(0..12));
    let text: ArrayRef = Arc::new(StringArray::from_iter_values((0..12).map(|i| {
        if i == 3 || i == 8 {
            format!("row {i} mail jane.doe@example.com")
        } else {
            format!("row {i} mail user{i}@example.com")
        }
    })));
    let batch = RecordBatch::try_new(schema.clone(), vec![ids, text]).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(5))
        .set_compression(Compression::SNAPPY)
        .set_column_compression(
            ColumnPath::from("text"),
            Compression::ZSTD(ZstdLevel::try_new(3).unwrap()),
        )
        .set_key_value_metadata(Some(vec![KeyValue::new(
            "origin".into(),
            "test".to_string(),
        )]))
        .build();
    let mut w = ArrowWriter::try_new(fs::File::create(p).unwrap(), schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn corpus(dir: &Path) -> PathBuf {
    let root = dir.join("corpus");
    for d in ["train", "validation", "test"] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    fs::write(root.join("train/a.jsonl"), A_JSONL).unwrap();
    fs::write(root.join("validation/b.csv"), B_CSV).unwrap();
    fs::write(root.join("test/c.json"), C_JSON).unwrap();
    fs::write(root.join("train/d.txt"), D_TXT).unwrap();
    fs::write(root.join("train/e.jsonl.gz"), gz(E_JSONL.as_bytes())).unwrap();
    write_parquet(&root.join("train/f.parquet"));
    fs::copy(
        fixture("parquet/nested.parquet"),
        root.join("train/nested.parquet"),
    )
    .unwrap();
    root
}

/// The selection used throughout: one person, by five identifiers.
fn jane(c: &mut Command) -> &mut Command {
    c.args(["--id", "Jane.Doe@example.com"])
        .args(["--id", "+14155552671", "--type", "PHONE"])
        .args(["--id", "4111 1111 1111 1111"])
        .args(["--id", "gb82 west 1234 5698 7654 32", "--type", "IBAN"])
        .args(["--id", "Jane Doe", "--type", "literal"])
}

fn jsonl(p: &Path) -> Vec<Value> {
    fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

type HitKey = (String, u64, String, String, String);

fn hit_keys(hits: &[Value]) -> BTreeSet<HitKey> {
    hits.iter()
        .map(|h| {
            (
                h["file"].as_str().unwrap().to_string(),
                h["row"].as_u64().unwrap(),
                h["kind"].as_str().unwrap().to_string(),
                h["detector"].as_str().unwrap_or("-").to_string(),
                h["field"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn key(f: &str, row: u64, kind: &str, det: &str, field: &str) -> HitKey {
    (f.into(), row, kind.into(), det.into(), field.into())
}

/// Raw pieces of the subject's identifiers that must never be written.
const RAW: &[&str] = &[
    "jane",
    "Jane",
    "JANE",
    "415-555",
    "555 2671",
    "4111",
    "GB82",
    "gb82",
    "example.com",
];

#[test]
fn hits_in_every_format_and_spelling_and_no_raw_identifier() {
    let dir = tempfile::tempdir().unwrap();
    let root = corpus(dir.path());
    let out = dir.path().join("hits.jsonl");
    let o = run(
        jane(bin().args(["subject", "find"]).arg(&root))
            .arg("--output")
            .arg(&out),
        0,
    );
    let hits = jsonl(&out);
    let got = hit_keys(&hits);
    let want: BTreeSet<HitKey> = [
        key("train/a.jsonl", 0, "plaintext", "EMAIL", "text"),
        key(
            "train/a.jsonl",
            2,
            "plaintext",
            "PHONE",
            "messages[].content",
        ),
        key("train/a.jsonl", 3, "plaintext", "EMAIL", "text"),
        key("train/a.jsonl", 5, "plaintext", "EMAIL", "<raw>"),
        key("train/a.jsonl", 6, "plaintext", "CREDIT_CARD", "text"),
        key("validation/b.csv", 0, "plaintext", "PHONE", "text"),
        key("validation/b.csv", 1, "plaintext", "EMAIL", "text"),
        key("validation/b.csv", 2, "plaintext", "IBAN", "text"),
        key("test/c.json", 1, "plaintext", "EMAIL", "text"),
        key("train/d.txt", 0, "literal", "-", "text"),
        key("train/e.jsonl.gz", 0, "plaintext", "CREDIT_CARD", "text"),
        key("train/e.jsonl.gz", 1, "plaintext", "EMAIL", "text"),
        key("train/f.parquet", 3, "plaintext", "EMAIL", "text"),
        key("train/f.parquet", 8, "plaintext", "EMAIL", "text"),
        key(
            "train/nested.parquet",
            0,
            "plaintext",
            "EMAIL",
            "meta.contact",
        ),
        key("train/nested.parquet", 1, "plaintext", "EMAIL", "text"),
        key(
            "train/nested.parquet",
            2,
            "plaintext",
            "CREDIT_CARD",
            "text",
        ),
        key(
            "train/nested.parquet",
            5,
            "plaintext",
            "CREDIT_CARD",
            "messages[].content",
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(got, want, "{hits:#?}");
    // Lines, splits, spans and references.
    let first = hits
        .iter()
        .find(|h| h["file"] == "train/a.jsonl" && h["row"] == 0)
        .unwrap();
    assert_eq!(first["line"], 1);
    assert_eq!(first["split"], "train");
    assert_eq!(
        (first["start"].as_u64(), first["end"].as_u64()),
        (Some(5), Some(25))
    );
    let csv_row1 = hits
        .iter()
        .find(|h| h["file"] == "validation/b.csv" && h["row"] == 1)
        .unwrap();
    assert_eq!(csv_row1["line"], 3);
    let refs: BTreeSet<&str> = hits
        .iter()
        .map(|h| h["subject"].as_str().unwrap())
        .collect();
    assert_eq!(refs.len(), 5, "one reference per subject");
    assert!(refs.iter().all(|r| r.len() == 16));
    // No raw identifier in the hits file or on stderr.
    let text = fs::read_to_string(&out).unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    for raw in RAW {
        assert!(!text.contains(raw), "{raw} in the hits file");
        assert!(!stderr.contains(raw), "{raw} on stderr: {stderr}");
    }
    assert!(stderr.contains("5 of 5 subject(s) found"), "{stderr}");

    // The same hits as Parquet.
    let pq = dir.path().join("hits.parquet");
    run(
        jane(bin().args(["subject", "find", "-q"]).arg(&root))
            .arg("--output")
            .arg(&pq),
        0,
    );
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        fs::File::open(&pq).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(rows, hits.len());

    // Output identical for any thread count.
    for threads in ["1", "3"] {
        let o2 = dir.path().join(format!("hits-{threads}.jsonl"));
        run(
            jane(
                bin()
                    .args(["subject", "find", "-q", "--threads", threads])
                    .arg(&root),
            )
            .arg("-o")
            .arg(&o2),
            0,
        );
        assert_eq!(fs::read(&o2).unwrap(), fs::read(&out).unwrap());
    }
}

#[test]
fn nothing_found_no_key_and_bad_types() {
    let dir = tempfile::tempdir().unwrap();
    let root = corpus(dir.path());
    // A neighbour of every identifier: nothing (exit 1).
    let o = run(
        bin()
            .args(["subject", "find"])
            .arg(&root)
            .args(["--id", "jane.doe3@example.com", "--id", "+1 415 555 2679"])
            .args([
                "--id",
                "4000 0000 0000 0002",
                "--id",
                "Jane Do",
                "--type",
                "literal",
            ]),
        1,
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("0 hit(s)"));
    // No key: exit 2 before anything.
    let o = run(
        bin()
            .env_remove("SCOUR_PSEUDONYM_KEY")
            .args(["subject", "find"])
            .arg(&root)
            .args(["--id", "jane.doe@example.com"]),
        2,
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("SCOUR_PSEUDONYM_KEY"));
    run(
        bin()
            .env_remove("SCOUR_PSEUDONYM_KEY")
            .args(["subject", "find"])
            .arg(&root)
            .args(["--id", "x", "--key-file"])
            .arg(dir.path().join("missing.key")),
        2,
    );
    let o = run(
        bin()
            .args(["subject", "find"])
            .arg(&root)
            .args(["--id", "x", "--type", "NOPE"]),
        2,
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown type"));
    run(bin().args(["subject", "find"]).arg(&root), 2);
    // A key file is the same key as the variable.
    let kf = dir.path().join("k");
    fs::write(&kf, format!("{KEY}\n")).unwrap();
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    run(
        jane(bin().args(["subject", "find", "-q"]).arg(&root))
            .arg("-o")
            .arg(&a),
        0,
    );
    run(
        jane(
            bin()
                .env_remove("SCOUR_PSEUDONYM_KEY")
                .args(["subject", "find", "-q"])
                .arg(&root),
        )
        .arg("--key-file")
        .arg(&kf)
        .arg("-o")
        .arg(&b),
        0,
    );
    assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
}

#[test]
fn masked_corpora_are_searched_by_pseudonym_and_surrogate() {
    let dir = tempfile::tempdir().unwrap();
    let root = corpus(dir.path());
    let plain = dir.path().join("plain.jsonl");
    run(
        jane(bin().args(["subject", "find", "-q"]).arg(&root))
            .arg("-o")
            .arg(&plain),
        0,
    );
    let plain_hits = jsonl(&plain);
    for mode in ["pseudonym", "surrogate"] {
        let masked = dir.path().join(mode);
        run(
            bin()
                .args(["mask", "-q", "--mode", mode])
                .arg(&root)
                .arg("--out")
                .arg(&masked),
            0,
        );
        let out = dir.path().join(format!("{mode}.jsonl"));
        run(
            jane(bin().args(["subject", "find", "-q"]).arg(&masked))
                .arg("-o")
                .arg(&out),
            0,
        );
        let hits = jsonl(&out);
        let kinds: BTreeSet<&str> = hits.iter().map(|h| h["kind"].as_str().unwrap()).collect();
        // The literal is not masked (no detector finds a name).
        let want: BTreeSet<&str> = [mode, "literal"].into_iter().collect();
        assert_eq!(kinds, want, "{hits:#?}");
        // Each masked occurrence is found at the same row and field, by
        // the same subject, as in the plain corpus (surrogates exist for
        // e-mails, cards, IBANs and NANP/GB phones, whatever their spelling).
        let located = |h: &Value| {
            (
                h["file"].as_str().unwrap().to_string(),
                h["row"].as_u64().unwrap(),
                h["field"].as_str().unwrap().to_string(),
                h["subject"].as_str().unwrap().to_string(),
            )
        };
        let got: BTreeSet<_> = hits.iter().map(located).collect();
        let want: BTreeSet<_> = plain_hits
            .iter()
            // The malformed line is copied with its raw text masked too.
            .map(located)
            .collect();
        assert_eq!(got, want, "{mode}");
        // Another key finds none of the masked occurrences.
        let o = run(
            jane(
                bin()
                    .env("SCOUR_PSEUDONYM_KEY", "another key")
                    .args(["subject", "find", "-q"])
                    .arg(&masked),
            )
            .arg("-o")
            .arg(dir.path().join("other.jsonl")),
            0,
        );
        let _ = o;
        let other = jsonl(&dir.path().join("other.jsonl"));
        assert!(
            other.iter().all(|h| h["kind"] == "literal"),
            "{mode}: {other:#?}"
        );
    }
}

#[test]
fn ten_thousand_subjects_in_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    let root = corpus(dir.path());
    let ids = dir.path().join("ids.tsv");
    let mut s = String::new();
    for i in 0..9_996 {
        match i % 4 {
            0 => s.push_str(&format!("someone.{i}@example.net\n")),
            1 => s.push_str(&format!("PHONE\t+1 212 555 {:04}\n", i % 10_000)),
            2 => s.push_str(&format!("literal\tPerson Number{i}\n")),
            _ => s.push_str(&format!("user-{i}\n")),
        }
    }
    // Four of them are in the corpus, spelled otherwise.
    s.push_str("JANE.DOE@EXAMPLE.COM\n");
    s.push_str("PHONE\t(415) 555-2671\n");
    s.push_str("IBAN\tGB82-WEST-1234-5698-7654-32\n");
    s.push_str("literal\tjane doe\n");
    fs::write(&ids, s).unwrap();
    let out = dir.path().join("hits.jsonl");
    let o = run(
        bin()
            .args(["subject", "find"])
            .arg(&root)
            .arg("--ids-file")
            .arg(&ids)
            .arg("-o")
            .arg(&out),
        0,
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("4 of 10000 subject(s) found"), "{stderr}");
    let hits = jsonl(&out);
    let dets: BTreeSet<&str> = hits
        .iter()
        .map(|h| h["detector"].as_str().unwrap_or("literal"))
        .collect();
    assert_eq!(
        dets,
        ["EMAIL", "IBAN", "PHONE", "literal"].into_iter().collect()
    );
    // The same references as when the four are asked alone.
    let alone = dir.path().join("alone.jsonl");
    run(
        bin()
            .args(["subject", "find", "-q"])
            .arg(&root)
            .args([
                "--id",
                "jane.doe@example.com",
                "--id",
                "+1 415 555 2671",
                "--type",
                "PHONE",
            ])
            .args([
                "--id",
                "GB82WEST12345698765432",
                "--id",
                "Jane Doe",
                "--type",
                "literal",
            ])
            .arg("-o")
            .arg(&alone),
        0,
    );
    assert_eq!(
        fs::read_to_string(&alone).unwrap(),
        fs::read_to_string(&out).unwrap()
    );
    // A bad line is named by file and line.
    fs::write(&ids, "EMAIL\ta@b.io\nNOPE\tx\n").unwrap();
    let o = run(
        bin()
            .args(["subject", "find"])
            .arg(&root)
            .arg("--ids-file")
            .arg(&ids),
        2,
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("ids.tsv:2"));
}

#[test]
fn export_hands_over_the_rows_privately_and_the_summary_names_no_one() {
    let dir = tempfile::tempdir().unwrap();
    let root = corpus(dir.path());
    let out = dir.path().join("export.jsonl");
    run(
        bin()
            .args(["subject", "export", "-q"])
            .arg(&root)
            .args(["--id", "jane.doe@example.com"])
            .arg("--out")
            .arg(&out),
        0,
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let rows = jsonl(&out);
    let origin: Vec<(String, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_string(),
                r["row"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        origin,
        [
            ("test/c.json", 1),
            ("train/a.jsonl", 0),
            ("train/a.jsonl", 3),
            ("train/a.jsonl", 5),
            ("train/e.jsonl.gz", 1),
            ("train/f.parquet", 3),
            ("train/f.parquet", 8),
            ("train/nested.parquet", 0),
            ("train/nested.parquet", 1),
            ("validation/b.csv", 1),
        ]
        .map(|(f, r)| (f.to_string(), r))
    );
    let a0 = &rows[1];
    let want: Value = serde_json::from_str(A_JSONL.lines().next().unwrap()).unwrap();
    assert_eq!(a0["record"], want);
    assert_eq!(a0["fields_matched"], serde_json::json!(["text"]));
    assert_eq!(a0["split"], "train");
    // Malformed: the raw line. CSV: by header.
    assert_eq!(rows[3]["record"], "{\"t\": broken jane.doe@example.com");
    assert_eq!(
        rows[9]["record"],
        serde_json::json!({"id": "2", "text": "multi\r\nline jane.doe@example.com"})
    );
    // Parquet: the whole row, every column as stored.
    assert_eq!(
        rows[5]["record"],
        serde_json::json!({"id": 3, "text": "row 3 mail jane.doe@example.com"})
    );
    assert_eq!(rows[6]["record"]["id"], 8);
    assert!(
        rows[7]["record"].as_object().unwrap().len() >= 2,
        "{}",
        rows[7]
    );
    let summary = fs::read_to_string(dir.path().join("export.jsonl.summary.json")).unwrap();
    for raw in RAW {
        assert!(!summary.contains(raw), "{raw} in {summary}");
    }
    let s: Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(s["rows"], 10);
    // Nobody found: exit 1, an empty export.
    run(
        bin()
            .args(["subject", "export", "-q"])
            .arg(&root)
            .args(["--id", "nobody@example.com"])
            .arg("--out")
            .arg(&out),
        1,
    );
    assert_eq!(fs::read(&out).unwrap(), b"");
}

fn read_parquet(
    p: &Path,
) -> (
    Arc<arrow_schema::Schema>,
    Vec<arrow_array::RecordBatch>,
    parquet::file::metadata::ParquetMetaData,
) {
    let b = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        fs::File::open(p).unwrap(),
    )
    .unwrap();
    let (schema, meta) = (b.schema().clone(), b.metadata().as_ref().clone());
    let batches = b.build().unwrap().map(|b| b.unwrap()).collect();
    (schema, batches, meta)
}

/// Every file's bytes under `root`, hidden ones included, by relative path.
fn snapshot(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// `text` without the lines (0-based, `\n`-separated) in `drop`.
fn without_lines(text: &str, drop: &[usize]) -> String {
    text.split_inclusive('\n')
        .enumerate()
        .filter(|(i, _)| !drop.contains(i))
        .map(|(_, l)| l)
        .collect()
}

fn purge_jane(root: &Path) -> Command {
    let mut c = bin();
    c.args(["subject", "purge", "-q"]).arg(root).args([
        "--id",
        "jane.doe@example.com",
        "--id",
        "Jane Doe",
        "--type",
        "literal",
    ]);
    c
}

#[test]
fn purge_removes_exactly_the_rows_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let root = corpus(dir.path());
    let before = snapshot(&root);

    // A dry run lists and changes nothing.
    let o = run(purge_jane(&root).arg("--dry-run"), 0);
    assert_eq!(snapshot(&root), before);
    let plan: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["totals"]["rows_removed"], 0);
    let would: u64 = plan["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rows_removed"].as_u64().unwrap())
        .sum();
    assert_eq!(would, 11);
    let a = plan["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == "train/a.jsonl")
        .unwrap();
    assert_eq!(a["rows_to_remove"], serde_json::json!([0, 3, 5]));
    assert_eq!(a["status"], "would_change");

    let log = dir.path().join("audit.log");
    let receipt = dir.path().join("receipt.json");
    run(
        purge_jane(&root)
            .env("SCOUR_AUDIT_KEY", "audit-key")
            .env("SCOUR_SIGNING_KEY", "sign-key")
            .arg("--audit-log")
            .arg(&log)
            .arg("--receipt")
            .arg(&receipt),
        0,
    );
    let after = snapshot(&root);
    let text = |p: &str| String::from_utf8(after[p].clone()).unwrap();
    assert_eq!(text("train/a.jsonl"), without_lines(A_JSONL, &[0, 3, 5]));
    assert_eq!(
        text("validation/b.csv"),
        "id,text\r\n1,call (415) 555 2671\r\n3,GB82WEST12345698765432\r\n4,jane.doe@example.org\r\n"
    );
    assert_eq!(
        text("test/c.json"),
        "[\n  {\"text\": \"first\"},\n  {\"text\": \"last\"}\n]\n"
    );
    assert_eq!(text("train/d.txt"), without_lines(D_TXT, &[0]));
    assert_eq!(after["train/e.jsonl.gz"][..2], [0x1f, 0x8b], "still gzip");
    assert_eq!(
        String::from_utf8(gunzip(&after["train/e.jsonl.gz"])).unwrap(),
        without_lines(E_JSONL, &[1])
    );
    // Parquet: same schema, codecs and key-value metadata, row groups of
    // 5, 5, 2 less rows 3 and 8, the other rows as they were.
    let (s1, _, _) = read_parquet(&fixture("parquet/nested.parquet"));
    let (s2, b2, m2) = read_parquet(&root.join("train/f.parquet"));
    let groups: Vec<i64> = m2.row_groups().iter().map(|g| g.num_rows()).collect();
    assert_eq!(groups, [4, 4, 2]);
    let codecs: Vec<String> = m2.row_groups()[0]
        .columns()
        .iter()
        .map(|c| format!("{:?}", c.compression()))
        .collect();
    assert_eq!(codecs[0], "SNAPPY");
    assert!(codecs[1].starts_with("ZSTD"), "{codecs:?}");
    let kv = m2.file_metadata().key_value_metadata().unwrap();
    assert!(kv
        .iter()
        .any(|k| k.key == "origin" && k.value.as_deref() == Some("test")));
    assert_eq!(s2.fields().len(), 2);
    let ids: Vec<i64> = b2
        .iter()
        .flat_map(|b| {
            use arrow_array::cast::AsArray;
            b.column(0)
                .as_primitive::<arrow_array::types::Int64Type>()
                .values()
                .to_vec()
        })
        .collect();
    assert_eq!(ids, [0, 1, 2, 4, 5, 6, 7, 9, 10, 11]);
    let (s3, b3, _) = read_parquet(&root.join("train/nested.parquet"));
    assert_eq!(s1, s3);
    let (_, b1, _) = read_parquet(&fixture("parquet/nested.parquet"));
    let rows = |b: &[arrow_array::RecordBatch]| b.iter().map(|b| b.num_rows()).sum::<usize>();
    assert_eq!(rows(&b3), rows(&b1) - 2);
    // Files without a match are untouched, byte for byte.
    for (p, bytes) in &before {
        if ![
            "train/a.jsonl",
            "validation/b.csv",
            "test/c.json",
            "train/d.txt",
            "train/e.jsonl.gz",
            "train/f.parquet",
            "train/nested.parquet",
        ]
        .contains(&p.as_str())
        {
            assert_eq!(&after[p], bytes, "{p}");
        }
    }
    assert_eq!(before.len(), after.len(), "no file left behind");

    // Later, nothing is found; the neighbour (jane.doe2, jane.doe@example.org) stays.
    run(
        bin().args(["subject", "find", "-q"]).arg(&root).args([
            "--id",
            "jane.doe@example.com",
            "--id",
            "Jane Doe",
            "--type",
            "literal",
        ]),
        1,
    );
    run(
        bin().args(["subject", "find", "-q"]).arg(&root).args([
            "--id",
            "jane.doe2@example.com",
            "--id",
            "jane.doe@example.org",
        ]),
        0,
    );

    // The receipt: signed, references only, hashes, audit entries.
    let r: Value = serde_json::from_slice(&fs::read(&receipt).unwrap()).unwrap();
    let rtext = fs::read_to_string(&receipt).unwrap();
    for raw in RAW {
        assert!(!rtext.contains(raw), "{raw} in the receipt");
    }
    assert_eq!(r["receipt_id"].as_str().unwrap().len(), 26);
    assert_eq!(r["totals"]["rows_removed"], 11);
    assert_eq!(r["totals"]["files_rewritten"], 7);
    assert_eq!(r["subjects"].as_array().unwrap().len(), 2);
    let a = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == "train/a.jsonl")
        .unwrap();
    use sha2::Digest;
    assert_eq!(
        a["old_sha256"],
        hex::encode(sha2::Sha256::digest(&before["train/a.jsonl"]))
    );
    assert_eq!(
        a["new_sha256"],
        hex::encode(sha2::Sha256::digest(&after["train/a.jsonl"]))
    );
    run(
        bin()
            .env("SCOUR_SIGNING_KEY", "sign-key")
            .arg("verify-report")
            .arg(&receipt),
        0,
    );
    run(
        bin()
            .env("SCOUR_SIGNING_KEY", "wrong")
            .arg("verify-report")
            .arg(&receipt),
        1,
    );
    // The audit log: two entries, verified, cited by seq and line hash.
    run(
        bin()
            .env("SCOUR_AUDIT_KEY", "audit-key")
            .args(["audit", "verify"])
            .arg(&log),
        0,
    );
    let log_text = fs::read_to_string(&log).unwrap();
    for raw in RAW {
        assert!(!log_text.contains(raw), "{raw} in the audit log");
    }
    let lines: Vec<&str> = log_text.lines().collect();
    let events: Vec<String> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["event"].as_str().map(str::to_string))
        .filter(|e| e.starts_with("data."))
        .collect();
    assert_eq!(events, ["data.erasure_requested", "data.erasure_completed"]);
    let cited = r["audit_entries"].as_array().unwrap();
    assert_eq!(cited.len(), 2);
    for c in cited {
        let line = lines
            .iter()
            .find(|l| {
                serde_json::from_str::<Value>(l)
                    .map(|v| v["seq"] == c["seq"])
                    .unwrap_or(false)
            })
            .unwrap();
        assert_eq!(
            c["hash"],
            hex::encode(sha2::Sha256::digest(line.as_bytes())),
            "{c}"
        );
    }

    // A second purge finds nothing to do and changes nothing.
    let again = snapshot(&root);
    run(&mut purge_jane(&root), 1);
    assert_eq!(snapshot(&root), again);
}

#[test]
fn purge_by_row_id_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let root = corpus(dir.path());
    run(
        bin()
            .args(["subject", "purge", "-q"])
            .arg(&root)
            .args(["--row-id", "id=a2", "--row-id", "id=3"]),
        0,
    );
    assert_eq!(
        fs::read_to_string(root.join("train/a.jsonl")).unwrap(),
        without_lines(A_JSONL, &[1])
    );
    assert_eq!(
        fs::read_to_string(root.join("validation/b.csv")).unwrap(),
        "id,text\r\n1,call (415) 555 2671\r\n2,\"multi\r\nline jane.doe@example.com\"\r\n4,jane.doe@example.org\r\n"
    );
    run(
        bin()
            .args(["subject", "purge", "-q"])
            .arg(&root)
            .args(["--row-id", "nofield"]),
        2,
    );
    // A JSON file that is one object, not an array: refused by name.
    let single = dir.path().join("single");
    fs::create_dir_all(&single).unwrap();
    let one = "{\"text\": \"jane.doe@example.com\"}\n";
    fs::write(single.join("one.json"), one).unwrap();
    let o = run(&mut purge_jane(&single), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("one.json") && err.contains("not an array"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(single.join("one.json")).unwrap(), one);
    // A read-only file is refused by name and left as it was; the
    // others are purged.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let d = root.join("train/d.txt");
        fs::set_permissions(&d, fs::Permissions::from_mode(0o444)).unwrap();
        let o = run(&mut purge_jane(&root), 2);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("d.txt") && err.contains("read-only"), "{err}");
        assert_eq!(fs::read_to_string(&d).unwrap(), D_TXT);
        assert!(!fs::read_to_string(root.join("test/c.json"))
            .unwrap()
            .contains("JANE"));
        let r: Value = serde_json::from_slice(&o.stdout).unwrap();
        let failed: Vec<&str> = r["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == "failed")
            .map(|f| f["file"].as_str().unwrap())
            .collect();
        assert_eq!(failed, ["train/d.txt"]);
    }
}

/// A corpus big enough that a purge takes a while: JSONL, gzip, zstd,
/// CSV, a JSON array and Parquet, the subject in each.
fn kill_corpus(root: &Path) {
    fs::create_dir_all(root.join("train")).unwrap();
    fs::create_dir_all(root.join("test")).unwrap();
    for f in 0..4 {
        let mut s = String::new();
        for i in 0..3000 {
            if i % 500 == 7 {
                s.push_str(&format!(
                    "{{\"id\": {i}, \"text\": \"write to Jane.Doe@example.com ({f})\"}}\n"
                ));
            } else {
                s.push_str(&format!("{{\"id\": {i}, \"text\": \"row {i} of file {f} is about nothing much, really\"}}\n"));
            }
        }
        let (name, bytes) = match f {
            0 | 2 => (format!("train/part-{f}.jsonl"), s.into_bytes()),
            1 => (format!("train/part-{f}.jsonl.gz"), gz(s.as_bytes())),
            _ => (
                format!("train/part-{f}.jsonl.zst"),
                zstd::bulk::compress(s.as_bytes(), 3).unwrap(),
            ),
        };
        fs::write(root.join(name), bytes).unwrap();
    }
    fs::write(root.join("test/b.csv"), B_CSV).unwrap();
    fs::write(root.join("test/c.json"), C_JSON).unwrap();
    write_parquet(&root.join("train/f.parquet"));
    fs::copy(
        fixture("parquet/nested.parquet"),
        root.join("train/nested.parquet"),
    )
    .unwrap();
}

fn copy_tree(from: &Path, to: &Path) {
    let _ = fs::remove_dir_all(to);
    for (rel, bytes) in snapshot(from) {
        let p = to.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn purge_killed_at_any_point_leaves_old_or_new_files_and_a_rerun_completes() {
    let dir = tempfile::tempdir().unwrap();
    let pristine = dir.path().join("pristine");
    kill_corpus(&pristine);
    let old = snapshot(&pristine);
    // The finished result, and how long a purge takes here.
    let done = dir.path().join("done");
    copy_tree(&pristine, &done);
    let t = std::time::Instant::now();
    run(&mut purge_jane(&done), 0);
    let took = t.elapsed();
    let new = snapshot(&done);
    assert_eq!(old.len(), new.len());
    assert!(
        old.keys().all(|k| old[k] != new[k]),
        "every file has a match"
    );

    let work = dir.path().join("work");
    let points = 60;
    let mut states = BTreeSet::new();
    for i in 0..points {
        copy_tree(&pristine, &work);
        let mut child = purge_jane(&work)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Spread over the run and a little past it.
        let at = took.mul_f64(1.2 * i as f64 / points as f64);
        std::thread::sleep(at);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = snapshot(&work);
        let mut n_new = 0;
        for (p, bytes) in &now {
            let name = Path::new(p).file_name().unwrap().to_string_lossy();
            if name.starts_with('.') {
                // A temp file of the killed run: hidden from scans and
                // removed by the next purge.
                assert!(name.contains(".tmp-"), "{p}");
                continue;
            }
            if *bytes == new[p] {
                n_new += 1;
            } else {
                assert_eq!(
                    *bytes, old[p],
                    "kill {i} at {at:?}: {p} is neither old nor new"
                );
            }
        }
        states.insert(match n_new {
            0 => "old",
            n if n == old.len() => "new",
            _ => "mixed",
        });
        // A rerun completes the purge.
        let o = purge_jane(&work).output().unwrap();
        assert!(matches!(o.status.code(), Some(0 | 1)), "{o:?}");
        // Every file new, and no temp file left behind.
        let finished: Vec<String> = snapshot(&work).into_keys().collect();
        assert_eq!(
            finished,
            new.keys().cloned().collect::<Vec<_>>(),
            "kill {i}"
        );
        assert!(
            snapshot(&work) == new,
            "kill {i}: the rerun did not complete"
        );
    }
    eprintln!("states seen over {points} kills: {states:?}");
    assert!(
        states.len() >= 2,
        "kills all landed in one state: {states:?}"
    );
}
