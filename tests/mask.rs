//! `scour mask`, the built binary on copies of the fixtures (and a few
//! corpora written here): only the spans change, every format keeps its
//! shape, pseudonyms follow the key, the output is the same for any thread
//! count, and unsafe output directories are refused.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use regex_automata::meta::Regex;
use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scour"));
    c.env_remove("SCOUR_SIGNING_KEY")
        .env_remove("SCOUR_PSEUDONYM_KEY")
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

/// The fixtures' text formats, a zstd copy, and a JSONL with a BOM, CRLF,
/// escapes, a card stored as a number and a malformed line.
fn corpus(dir: &Path) -> PathBuf {
    let root = dir.join("corpus");
    for f in [
        "jsonl/chat-train.jsonl",
        "jsonl/crm-train.jsonl.gz",
        "json/validation.json",
        "csv/test.csv",
        "txt/notes.txt",
        "broken/bad.jsonl",
        "parquet/nested.parquet",
    ] {
        let to = root.join(f);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(fixture(f), to).unwrap();
    }
    let chat = fs::read(fixture("jsonl/chat-train.jsonl")).unwrap();
    fs::write(
        root.join("jsonl/chat-copy.jsonl.zst"),
        zstd::bulk::compress(&chat, 3).unwrap(),
    )
    .unwrap();
    fs::write(
        root.join("jsonl/edge.jsonl"),
        "\u{feff}{\"t\" :  \"mail\\u0020jane.doe@example.com\\t\\\"now\\\"\", \"n\": 4111111111111111}\r\n\
         \r\n\
         {\"messages\": [{\"content\": \"call +44 20 7946 0958\"}], \"x\": 1.50e3}\r\n\
         {\"t\": \"broken jane.doe@example.com\r\n",
    )
    .unwrap();
    root
}

/// A file's text, decompressed by its name.
fn text_of(p: &Path) -> Vec<u8> {
    let raw = fs::read(p).unwrap();
    let name = p.to_string_lossy();
    let mut out = Vec::new();
    if name.ends_with(".gz") {
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .unwrap();
    } else if name.ends_with(".zst") {
        zstd::stream::read::Decoder::new(&raw[..])
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
    } else {
        out = raw;
    }
    out
}

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Asserts that `output` is `input` with some spans replaced by typed
/// placeholders (a JSON number may gain quotes): a regex made of the
/// output, each placeholder a wildcard, matches the input whole.
fn only_spans_differ(input: &[u8], output: &[u8], what: &str) {
    let out = String::from_utf8_lossy(output);
    let placeholder = Regex::new(r#""?\[[A-Z_]+(:[0-9a-f]{16})?\]"?"#).unwrap();
    let mut pattern = String::from("(?s)^");
    let mut at = 0;
    for m in placeholder.find_iter(out.as_bytes()) {
        pattern.push_str(&regex_syntax::escape(&out[at..m.start()]));
        pattern.push_str(".+?");
        at = m.end();
    }
    pattern.push_str(&regex_syntax::escape(&out[at..]));
    pattern.push('$');
    let re = Regex::new(&pattern).unwrap();
    let input = String::from_utf8_lossy(input);
    assert!(
        re.is_match(input.as_bytes()),
        "{what}: bytes outside the spans changed\ninput:\n{input}\noutput:\n{out}"
    );
    assert!(out.len() < input.len() + 4096, "{what}");
}

fn manifest(out: &Path) -> Value {
    serde_json::from_slice(&fs::read(out.join("mask_manifest.json")).unwrap()).unwrap()
}

#[test]
fn text_formats_change_only_inside_spans() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path());
    let out = dir.path().join("out");
    run(bin().arg("mask").arg(&corpus).arg("--out").arg(&out), 0);
    let m = manifest(&out);
    assert_eq!(m["passed"], true, "{m}");
    assert_eq!(m["mode"], "placeholder");
    assert_eq!(m["key_id"], Value::Null);
    assert_eq!(m["totals"]["residual_total"], 0);
    assert_eq!(m["totals"]["files_written"], 9);
    for input in files_under(&corpus) {
        if input.extension().is_some_and(|e| e == "parquet") {
            continue; // see parquet_files
        }
        let rel = input.strip_prefix(&corpus).unwrap();
        let output = out.join(rel);
        let (a, b) = (text_of(&input), text_of(&output));
        only_spans_differ(&a, &b, &rel.display().to_string());
        let entry = m["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["output"] == rel.display().to_string().as_str())
            .unwrap_or_else(|| panic!("{} not in the manifest", rel.display()));
        assert_eq!(
            entry["output_sha256"],
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
                fs::read(&output).unwrap()
            ))
        );
        // No digit of a phone or card is left beside its placeholder.
        let text = String::from_utf8_lossy(&b);
        for p in ["[PHONE]", "[CREDIT_CARD]", "[IBAN]"] {
            for (i, _) in text.match_indices(p) {
                let before = text[..i].chars().next_back();
                let after = text[i + p.len()..].chars().next();
                assert!(
                    !before.is_some_and(|c| c.is_ascii_digit())
                        && !after.is_some_and(|c| c.is_ascii_digit()),
                    "{}: a digit beside {p}: {text}",
                    rel.display()
                );
            }
        }
    }
    let edge = String::from_utf8(text_of(&out.join("jsonl/edge.jsonl"))).unwrap();
    assert_eq!(
        edge,
        "\u{feff}{\"t\" :  \"mail\\u0020[EMAIL]\\t\\\"now\\\"\", \"n\": \"[CREDIT_CARD]\"}\r\n\
         \r\n\
         {\"messages\": [{\"content\": \"call [PHONE]\"}], \"x\": 1.50e3}\r\n\
         {\"t\": \"broken [EMAIL]\r\n"
    );
    let chat = String::from_utf8(text_of(&out.join("jsonl/chat-copy.jsonl.zst"))).unwrap();
    assert!(chat.contains("\"content\": \"My card is [CREDIT_CARD], charge it.\""));
    assert!(chat.contains("\"text\": \"deploy creds: [AWS_ACCESS_KEY_ID] (rotate!)\""));
    let csv = String::from_utf8(text_of(&out.join("csv/test.csv"))).unwrap();
    assert!(csv.contains("a newline; mail [EMAIL]\",yes,forum"), "{csv}");

    // The masked corpus passes the PII-density and secrets gates; the rows
    // and the files are the same.
    let scan = |p: &Path| -> Value {
        let o = bin()
            .args([
                "scan",
                "--skip-gate",
                "consent",
                "--skip-gate",
                "provenance",
            ])
            .args(["--skip-gate", "bias"])
            .arg(p)
            .output()
            .unwrap();
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let before = scan(&corpus);
    let after = scan(&out.join("jsonl"));
    let after_all = {
        let o = bin()
            .args([
                "scan",
                "--skip-gate",
                "consent",
                "--skip-gate",
                "provenance",
            ])
            .args(["--skip-gate", "bias"])
            .args(
                files_under(&out)
                    .iter()
                    .filter(|p| !p.ends_with("mask_manifest.json")),
            )
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        serde_json::from_slice::<Value>(&o.stdout).unwrap()
    };
    assert_eq!(before["row_count"], after_all["row_count"]);
    assert_eq!(after_all["findings_total"], 0);
    assert_eq!(after["pii_total"], 0);
    assert!(before["pii_total"].as_u64().unwrap() > 10);
}

#[test]
fn output_is_identical_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path());
    // Enough rows for several jobs per file.
    let mut big = fs::File::create(corpus.join("jsonl/big.jsonl")).unwrap();
    for i in 0..60_000 {
        writeln!(
            big,
            "{{\"id\": {i}, \"text\": \"row {i} mail user{}@example.com or 4111 1111 1111 1111 pad pad pad\"}}",
            i % 97
        )
        .unwrap();
    }
    drop(big);
    let mut shas = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = dir.path().join(format!("out{threads}"));
        run(
            bin()
                .arg("mask")
                .arg(&corpus)
                .arg("--out")
                .arg(&out)
                .args(["--threads", threads, "--mode", "pseudonym"])
                .env("SCOUR_PSEUDONYM_KEY", "k1"),
            0,
        );
        let all: Vec<(String, Vec<u8>)> = files_under(&out)
            .into_iter()
            .filter(|p| !p.ends_with("mask_manifest.json"))
            .map(|p| {
                (
                    p.strip_prefix(&out).unwrap().display().to_string(),
                    fs::read(&p).unwrap(),
                )
            })
            .collect();
        shas.push(all);
    }
    assert!(shas[0].len() == 10);
    assert_eq!(shas[0], shas[1]);
    assert_eq!(shas[0], shas[2]);
}

/// The `[EMAIL:<ref>]` pseudonyms in a file, in order.
fn pseudonyms(p: &Path) -> Vec<String> {
    let text = String::from_utf8(text_of(p)).unwrap();
    let re = Regex::new(r"\[EMAIL:[0-9a-f]{16}\]").unwrap();
    re.find_iter(text.as_bytes())
        .map(|m| text[m.range()].to_string())
        .collect()
}

#[test]
fn pseudonyms_follow_the_person_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("in/a.jsonl");
    let b = dir.path().join("in/b.csv");
    fs::create_dir_all(a.parent().unwrap()).unwrap();
    fs::write(
        &a,
        "{\"t\": \"Jane.Doe@Example.com wrote\"}\n{\"t\": \"x ops@example.org\"}\n",
    )
    .unwrap();
    fs::write(&b, "id,text\n1,from jane.doe@example.com\n").unwrap();
    let mask = |out: &str, key: &str| -> PathBuf {
        let out = dir.path().join(out);
        run(
            bin()
                .arg("mask")
                .arg(dir.path().join("in"))
                .arg("--out")
                .arg(&out)
                .args(["--mode", "pseudonym"])
                .env("SCOUR_PSEUDONYM_KEY", key),
            0,
        );
        out
    };
    let (o1, o2, o3) = (
        mask("o1", "key-one"),
        mask("o2", "key-one"),
        mask("o3", "key-two"),
    );
    let p1 = pseudonyms(&o1.join("a.jsonl"));
    assert_eq!(p1.len(), 2);
    assert_ne!(p1[0], p1[1]);
    // One person, one pseudonym, in every file and run under one key...
    assert_eq!(pseudonyms(&o1.join("b.csv")), vec![p1[0].clone()]);
    assert_eq!(pseudonyms(&o2.join("a.jsonl")), p1);
    // ...and unlinkable ones under another.
    let p3 = pseudonyms(&o3.join("a.jsonl"));
    assert!(p3[0] != p1[0] && p3[1] != p1[1]);
    let (m1, m3) = (manifest(&o1), manifest(&o3));
    assert_eq!(m1["key_id"].as_str().unwrap().len(), 16);
    assert_ne!(m1["key_id"], m3["key_id"]);
    assert!(!fs::read_to_string(o1.join("mask_manifest.json"))
        .unwrap()
        .contains("key-one"));

    // No key: exit 2 before anything is written.
    let none = dir.path().join("none");
    let o = run(
        bin()
            .arg("mask")
            .arg(dir.path().join("in"))
            .arg("--out")
            .arg(&none)
            .args(["--mode", "pseudonym"]),
        2,
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("SCOUR_PSEUDONYM_KEY"));
    assert!(!none.exists());

    // A missing key file is created, and then used again.
    let kf = dir.path().join("k.hex");
    let o = run(
        bin()
            .arg("mask")
            .arg(&a)
            .arg("--out")
            .arg(dir.path().join("kf1"))
            .args(["--mode", "pseudonym", "--key-file"])
            .arg(&kf),
        0,
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("created key file"));
    run(
        bin()
            .arg("mask")
            .arg(&a)
            .arg("--out")
            .arg(dir.path().join("kf2"))
            .args(["--mode", "pseudonym", "--key-file"])
            .arg(&kf),
        0,
    );
    assert_eq!(
        pseudonyms(&dir.path().join("kf1/a.jsonl")),
        pseudonyms(&dir.path().join("kf2/a.jsonl"))
    );
    // The file's key without its newline is the key.
    let key = fs::read_to_string(&kf).unwrap();
    let o4 = mask("o4", key.trim_end());
    assert_eq!(
        pseudonyms(&o4.join("a.jsonl")),
        pseudonyms(&dir.path().join("kf1/a.jsonl"))
    );
}

#[test]
fn redact_types_and_keep_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    fs::write(
        &input,
        "mail jane.doe@example.com, card 4111 1111 1111 1111, key 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.\n",
    )
    .unwrap();
    let out = dir.path().join("o");
    run(
        bin()
            .arg("mask")
            .arg(&input)
            .arg("--out")
            .arg(&out)
            .args(["--mode", "redact"]),
        0,
    );
    assert_eq!(
        fs::read_to_string(out.join("in.txt")).unwrap(),
        "mail , card , key .\n"
    );
    let out = dir.path().join("o2");
    let o = run(
        bin().arg("mask").arg(&input).arg("--out").arg(&out).args([
            "--types",
            "EMAIL",
            "--keep-secrets",
        ]),
        0,
    );
    assert_eq!(
        fs::read_to_string(out.join("in.txt")).unwrap(),
        "mail [EMAIL], card 4111 1111 1111 1111, key 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.\n"
    );
    // What was left on purpose is reported, but does not fail the run.
    let m = manifest(&out);
    assert_eq!(m["files"][0]["residual"]["CREDIT_CARD"], 1);
    assert_eq!(m["masked_types"], serde_json::json!(["EMAIL"]));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a masked type"));
    run(
        bin()
            .arg("mask")
            .arg(&input)
            .arg("--out")
            .arg(dir.path().join("o3"))
            .args(["--types", "NOPE"]),
        2,
    );
}

#[test]
fn unsafe_output_directories_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path());
    for out in [
        corpus.clone(),
        corpus.join("masked"),
        dir.path().to_path_buf(),
        corpus.join("jsonl/../csv/x"),
    ] {
        let o = run(bin().arg("mask").arg(&corpus).arg("--out").arg(&out), 2);
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("must not be an input"),
            "{}",
            out.display()
        );
    }
    assert!(!corpus.join("masked").exists() && !corpus.join("csv/x").exists());
    assert!(!dir.path().join("mask_manifest.json").exists());
    // A file given twice under one name.
    let o = run(
        bin()
            .arg("mask")
            .arg(corpus.join("csv/test.csv"))
            .arg(corpus.join("csv/test.csv"))
            .arg("--out")
            .arg(dir.path().join("o")),
        2,
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("both be written"));
}

#[test]
fn unreadable_files_are_not_written_and_fail_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir_all(&input).unwrap();
    fs::copy(
        fixture("parquet/truncated.parquet"),
        input.join("t.parquet"),
    )
    .unwrap();
    fs::copy(fixture("txt/notes.txt"), input.join("notes.txt")).unwrap();
    let out = dir.path().join("o");
    let o = run(
        bin()
            .arg("mask")
            .arg(&input)
            .arg("--out")
            .arg(&out)
            .env("SCOUR_SIGNING_KEY", "sig"),
        1,
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("t.parquet"));
    assert!(!out.join("t.parquet").exists());
    assert!(out.join("notes.txt").exists());
    let m = manifest(&out);
    assert_eq!(m["passed"], false);
    assert_eq!(m["totals"]["files_failed"], 1);
    let names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
    // Signed like a report.
    run(
        bin()
            .arg("verify-report")
            .arg(out.join("mask_manifest.json"))
            .env("SCOUR_SIGNING_KEY", "sig"),
        0,
    );
    run(
        bin()
            .arg("verify-report")
            .arg(out.join("mask_manifest.json"))
            .env("SCOUR_SIGNING_KEY", "other"),
        1,
    );
}

mod parquet_files {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int32Type;
    use arrow_array::{
        Array, ArrayRef, DictionaryArray, Int64Array, LargeStringArray, ListArray, RecordBatch,
        StringArray, StructArray,
    };
    use arrow_schema::{DataType, Field, Fields, Schema};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ArrowWriter;
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::metadata::KeyValue;
    use parquet::file::properties::WriterProperties;
    use parquet::schema::types::ColumnPath;
    use std::sync::Arc;

    /// 12 rows in row groups of 5: an id, a text with an e-mail in every
    /// third row, a dictionary column, and messages as list<struct<role,
    /// content: large_utf8>> with a card in row 4.
    fn write_fixture(p: &Path) {
        let content = Field::new("content", DataType::LargeUtf8, true);
        let msg_fields = Fields::from(vec![Field::new("role", DataType::Utf8, true), content]);
        let item = Arc::new(Field::new(
            "item",
            DataType::Struct(msg_fields.clone()),
            true,
        ));
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("text", DataType::Utf8, true),
            Field::new(
                "who",
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                true,
            ),
            Field::new("messages", DataType::List(item.clone()), true),
        ]));
        let n = 12;
        let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(0..n as i64));
        let text: ArrayRef = Arc::new(StringArray::from_iter((0..n).map(|i| {
            (i != 7).then(|| {
                if i % 3 == 0 {
                    format!("row {i} mail user{i}@example.com now")
                } else {
                    format!("row {i} nothing")
                }
            })
        })));
        let who: DictionaryArray<Int32Type> = (0..n)
            .map(|i| ["clean", "jane.doe@example.com", "ops"][i % 3])
            .collect();
        let roles = StringArray::from_iter_values((0..n).map(|_| "user"));
        let contents = LargeStringArray::from_iter_values((0..n).map(|i| {
            if i == 4 {
                "card 4111 1111 1111 1111 ok".to_string()
            } else {
                format!("msg {i}")
            }
        }));
        let structs = StructArray::new(
            msg_fields,
            vec![Arc::new(roles) as ArrayRef, Arc::new(contents)],
            None,
        );
        let offsets = arrow_buffer::OffsetBuffer::from_lengths(std::iter::repeat(1).take(n));
        let messages = ListArray::new(item, offsets, Arc::new(structs), None);
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![ids, text, Arc::new(who), Arc::new(messages)],
        )
        .unwrap();
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
        let mut w =
            ArrowWriter::try_new(fs::File::create(p).unwrap(), schema, Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    fn read(
        p: &Path,
    ) -> (
        Arc<Schema>,
        Vec<RecordBatch>,
        parquet::file::metadata::ParquetMetaData,
    ) {
        let b = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(p).unwrap()).unwrap();
        let (schema, meta) = (b.schema().clone(), b.metadata().as_ref().clone());
        let batches = b.build().unwrap().map(|b| b.unwrap()).collect();
        (schema, batches, meta)
    }

    #[test]
    fn parquet_keeps_schema_row_groups_codecs_and_other_values() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        fs::create_dir_all(&input).unwrap();
        write_fixture(&input.join("t.parquet"));
        fs::copy(
            fixture("parquet/nested.parquet"),
            input.join("nested.parquet"),
        )
        .unwrap();
        let out = dir.path().join("out");
        run(bin().arg("mask").arg(&input).arg("--out").arg(&out), 0);
        let (s1, b1, m1) = read(&input.join("t.parquet"));
        let (s2, b2, m2) = read(&out.join("t.parquet"));
        assert_eq!(s1, s2);
        let groups = |m: &parquet::file::metadata::ParquetMetaData| -> Vec<(i64, Vec<String>)> {
            m.row_groups()
                .iter()
                .map(|g| {
                    (
                        g.num_rows(),
                        g.columns()
                            .iter()
                            .map(|c| format!("{:?}", c.compression()))
                            .collect(),
                    )
                })
                .collect()
        };
        assert_eq!(groups(&m1), groups(&m2));
        assert_eq!(groups(&m2).len(), 3);
        let kv = m2.file_metadata().key_value_metadata().unwrap();
        assert!(kv
            .iter()
            .any(|k| k.key == "origin" && k.value.as_deref() == Some("test")));
        let one =
            |b: &[RecordBatch]| arrow_select::concat::concat_batches(&b[0].schema(), b).unwrap();
        let (t1, t2) = (one(&b1), one(&b2));
        assert_eq!(t1.num_rows(), t2.num_rows());
        assert_eq!(t1.column(0), t2.column(0), "the id column is unchanged");
        let text = t2.column(1).as_string::<i32>();
        for i in 0..12 {
            let want = (i != 7).then(|| {
                if i % 3 == 0 {
                    format!("row {i} mail [EMAIL] now")
                } else {
                    format!("row {i} nothing")
                }
            });
            assert_eq!(text.is_valid(i).then(|| text.value(i).to_string()), want);
        }
        let who = t2.column(2).as_dictionary::<Int32Type>();
        let who_values = who.values().as_string::<i32>();
        let got: Vec<&str> = who
            .keys()
            .iter()
            .map(|k| who_values.value(k.unwrap() as usize))
            .collect();
        let want: Vec<&str> = (0..12)
            .map(|i| ["clean", "[EMAIL]", "ops"][i % 3])
            .collect();
        assert_eq!(got, want);
        let msgs = t2.column(3).as_list::<i32>();
        let content = msgs.values().as_struct().column(1).as_string::<i64>();
        assert_eq!(content.value(4), "card [CREDIT_CARD] ok");
        assert_eq!(content.value(5), "msg 5");

        // The fixture: same rows, same ids, the nested e-mail and card gone.
        let (sa, ba, _) = read(&fixture("parquet/nested.parquet"));
        let (sb, bb, _) = read(&out.join("nested.parquet"));
        assert_eq!(sa, sb);
        let (ta, tb) = (one(&ba), one(&bb));
        assert_eq!(ta.num_rows(), tb.num_rows());
        assert_eq!(ta.column(0), tb.column(0));
        let m = manifest(&out);
        assert_eq!(m["totals"]["residual_total"], 0);
        assert!(m["totals"]["masked"]["EMAIL"].as_u64().unwrap() >= 8);
    }

    /// An integer column holding a card number: scanned like a JSON integer
    /// of 6+ digits, and in the copy that value is null (the manifest names
    /// the column); other integers, short or without a finding, stay. A
    /// non-nullable column cannot take the null: the file is not written.
    #[test]
    fn parquet_integers_holding_a_finding_become_null() {
        use arrow_array::UInt64Array;
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        fs::create_dir_all(&input).unwrap();
        let write = |name: &str, nullable: bool| {
            let schema = Arc::new(Schema::new(vec![
                Field::new("id", DataType::Int64, false),
                Field::new("acct", DataType::Int64, nullable),
                Field::new("n", DataType::UInt64, true),
            ]));
            let batch = RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int64Array::from(vec![123456, 2, 3])) as ArrayRef,
                    Arc::new(Int64Array::from(vec![
                        4111111111111111,
                        -4111111111111111,
                        7,
                    ])),
                    Arc::new(UInt64Array::from(vec![
                        Some(5555555555554444),
                        None,
                        Some(1),
                    ])),
                ],
            )
            .unwrap();
            let mut w =
                ArrowWriter::try_new(fs::File::create(input.join(name)).unwrap(), schema, None)
                    .unwrap();
            w.write(&batch).unwrap();
            w.close().unwrap();
        };
        write("ints.parquet", true);
        // scan finds both cards (the negative one is not scanned, as in JSON).
        let o = bin()
            .arg("scan")
            .arg(input.join("ints.parquet"))
            .output()
            .unwrap();
        let r: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["detectors"]["CREDIT_CARD"], 2, "{}", r["detectors"]);
        let out = dir.path().join("out");
        run(bin().arg("mask").arg(&input).arg("--out").arg(&out), 0);
        let (s1, _, _) = read(&input.join("ints.parquet"));
        let (s2, b2, _) = read(&out.join("ints.parquet"));
        assert_eq!(s1, s2);
        let t = &b2[0];
        let ids = t.column(0).as_primitive::<arrow_array::types::Int64Type>();
        assert_eq!(ids.values().to_vec(), vec![123456, 2, 3]);
        let acct = t.column(1).as_primitive::<arrow_array::types::Int64Type>();
        assert!(acct.is_null(0));
        assert_eq!((acct.value(1), acct.value(2)), (-4111111111111111, 7));
        let n = t.column(2).as_primitive::<arrow_array::types::UInt64Type>();
        assert!(n.is_null(0) && n.is_null(1));
        assert_eq!(n.value(2), 1);
        let m = manifest(&out);
        assert_eq!(m["files"][0]["nulled_columns"]["acct"], 1);
        assert_eq!(m["files"][0]["nulled_columns"]["n"], 1);
        assert_eq!(m["totals"]["masked"]["CREDIT_CARD"], 2);
        // Not nullable: not written, exit 1.
        fs::remove_file(input.join("ints.parquet")).unwrap();
        write("strict.parquet", false);
        let out = dir.path().join("out2");
        run(bin().arg("mask").arg(&input).arg("--out").arg(&out), 1);
        assert!(!out.join("strict.parquet").exists());
        let m = manifest(&out);
        assert!(
            m["files"][0]["errors"][0]
                .as_str()
                .unwrap()
                .contains("null"),
            "{m}"
        );
    }
}

#[test]
fn surrogates_keep_the_shape_and_are_found_by_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    fs::write(
        &input,
        "mail Jane.Doe@example.com, card 4111 1111 1111 1111, iban DE89 3704 0044 0532 0130 00, call +44 20 7946 0958, (415) 555-2671 or 07911 123456, host 203.0.113.42, v6 2001:db8::1\n",
    )
    .unwrap();
    let mask = |out: &str, key: &str| -> String {
        let out = dir.path().join(out);
        run(
            bin()
                .arg("mask")
                .arg(&input)
                .arg("--out")
                .arg(&out)
                .args(["--mode", "surrogate"])
                .env("SCOUR_PSEUDONYM_KEY", key),
            0,
        );
        assert_eq!(manifest(&out)["mode"], "surrogate");
        fs::read_to_string(out.join("in.txt")).unwrap()
    };
    let (a, b, c) = (mask("a", "k1"), mask("b", "k1"), mask("c", "k2"));
    assert_eq!(a, b);
    assert_ne!(a, c);
    let re = Regex::new(
        r"^mail [a-z]{4}\.[a-z]{3}@[a-z]{7}\.invalid, card \d{4} \d{4} \d{4} \d{4}, iban DE\d\d \d{4} \d{4} \d{4} \d{4} \d\d, call \+44 77 0090 0\d{3}, \([2-9][0-8]\d\) 555-01\d\d or 07700 900\d{3}, host 198\.51\.100\.\d{1,3}, v6 \[IP_ADDRESS\]\n$",
    )
    .unwrap();
    assert!(re.is_match(a.as_bytes()), "{a}");
    assert!(!a.contains("4111 1111") && !a.contains("3704 0044"), "{a}");
    // Nothing in the output is found by scan.
    let o = bin()
        .arg("scan")
        .arg(dir.path().join("a"))
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["findings_total"], 0, "{}", r["detectors"]);
    // No key: exit 2.
    run(
        bin()
            .arg("mask")
            .arg(&input)
            .arg("--out")
            .arg(dir.path().join("d"))
            .args(["--mode", "surrogate"]),
        2,
    );
}

/// Inputs whose findings touch or nest: adjacent e-mails, cards and IPs,
/// a span inside a number, values that redaction could join into new
/// matches, in JSONL, CSV and TXT.
fn crowded(root: &Path) {
    let rows = [
        "a@b.io,c@d.io;e@f.io",
        "card 4111111111111111 4111 1111 1111 1111 4111-1111-1111-1111",
        "ip 198.51.100.7 10.1.2.3.4 203.0.113.42/24 2001:db8::1",
        "4111 1111 jane@x.io 1111 1111",
        "ssn 078-05-1120 078-05-1120078-05-1120",
        "mail x@y.com@z.com and AKIAIOSFODNN7EXAMPLE jane@x.io",
        "iban DE89 3704 0044 0532 0130 00DE89370400440532013000",
        "call +44 20 7946 0958 or 0161 496 0123 or (212) 555-0123 a@b.io",
    ];
    fs::create_dir_all(root).unwrap();
    let mut jsonl = String::new();
    let mut csv = String::from("id,text\n");
    let mut txt = String::new();
    for (i, r) in rows.iter().enumerate() {
        jsonl.push_str(&format!(
            "{{\"text\": {}, \"n\": 4111111111111111, \"m\": [{{\"content\": {}}}]}}\n",
            serde_json::to_string(r).unwrap(),
            serde_json::to_string(&format!("{r} {r}")).unwrap()
        ));
        csv.push_str(&format!("{i},\"{}\"\n", r.replace('"', "\"\"")));
        txt.push_str(r);
        txt.push('\n');
    }
    fs::write(root.join("crowded.jsonl"), jsonl).unwrap();
    fs::write(root.join("crowded.csv"), csv).unwrap();
    fs::write(root.join("crowded.txt"), txt).unwrap();
}

/// The in-line check (each edited value scanned again where it is edited)
/// gives what reading every copy back and scanning it whole gives: the same
/// residual findings per file and detector, the same outputs, the same exit.
#[test]
fn inline_check_equals_a_full_rescan() {
    let dir = tempfile::tempdir().unwrap();
    let root = corpus(dir.path());
    crowded(&root.join("crowded"));
    let runs: [&[&str]; 5] = [
        &[],
        &["--mode", "redact"],
        &["--mode", "surrogate"],
        &["--types", "EMAIL"],
        &[
            "--mode",
            "redact",
            "--types",
            "EMAIL,CREDIT_CARD",
            "--keep-secrets",
        ],
    ];
    let mut some_residual = false;
    for (k, extra) in runs.iter().enumerate() {
        let mut got = Vec::new();
        for verify in ["inline", "full"] {
            let out = dir.path().join(format!("out{k}-{verify}"));
            let o = bin()
                .arg("mask")
                .arg(&root)
                .arg("--out")
                .arg(&out)
                .args(["--quiet", "--verify", verify])
                .args(*extra)
                .env("SCOUR_PSEUDONYM_KEY", "k1")
                .output()
                .unwrap();
            let m = manifest(&out);
            assert_eq!(m["verify"], verify);
            let files: Vec<(Value, Value, Value)> = m["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["output"].clone(),
                        f["output_sha256"].clone(),
                        f["residual"].clone(),
                    )
                })
                .collect();
            got.push((o.status.code(), files, m["totals"]["residual"].clone()));
        }
        assert_eq!(got[0], got[1], "{extra:?}");
        some_residual |= got[0].2.as_object().is_some_and(|o| !o.is_empty());
    }
    // Types left unmasked on purpose stay in the copies: both checks count them.
    assert!(some_residual);
}
