//! `scan --shard K/N --state` and `scour merge`: N shards give the report
//! one scan of the whole gives, field for field, for N = 1..4.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn scour(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scour"));
    cmd.args(args)
        .env_remove("SCOUR_SIGNING_KEY")
        .env_remove("SCOUR_PSEUDONYM_KEY")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .env_remove("SLURM_ARRAY_TASK_MIN")
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("SCOUR_SHARD_COUNT")
        .env_remove("SCOUR_SHARD_SPLIT_BYTES");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("scour runs")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The report minus what differs between any two runs.
fn comparable(report: &[u8]) -> Value {
    let mut v: Value = serde_json::from_slice(report).expect("a JSON report");
    let o = v.as_object_mut().expect("an object");
    for k in ["scan_id", "scanned_at", "hmac_signature"] {
        assert!(o.remove(k).is_some(), "the report has {k}");
    }
    v
}

/// Scan `paths` as N shards and merge; returns the merged report and the
/// exit codes of the merge.
fn sharded(
    paths: &[&str],
    n: u32,
    extra: &[&str],
    env: &[(&str, &str)],
    dir: &Path,
) -> (Output, Vec<PathBuf>) {
    let mut states = Vec::new();
    for k in 1..=n {
        let state = dir.join(format!("shard-{k}-of-{n}.scour-state"));
        let shard = format!("{k}/{n}");
        let mut args = vec!["scan", "--quiet", "--threads", "2", "--shard", &shard];
        let state_s = state.to_str().unwrap().to_string();
        args.extend(["--state", &state_s]);
        args.extend(extra);
        args.extend(paths);
        let out = scour(&args, env);
        assert_eq!(
            out.status.code(),
            Some(0),
            "shard {shard}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        states.push(state);
    }
    let mut args = vec!["merge".to_string(), "--quiet".to_string()];
    args.extend(states.iter().rev().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    (scour(&args, env), states)
}

/// A Parquet file of several row groups, PII in some rows, written with
/// the arrow crate (not by scour).
fn write_row_groups(path: &Path) {
    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use std::sync::Arc;
    let rows = 700usize;
    let text: Vec<String> = (0..rows)
        .map(|i| match i % 50 {
            3 => format!("write to person{i}@mail-host.org about the order"),
            17 => format!("card 4111 1111 1111 1111 on file, row {i}"),
            29 => format!("the quick brown fox {i} jumps over lazy dogs"),
            _ => format!("plain words about weather and trains, number {i}"),
        })
        .collect();
    let ids: Vec<i64> = (0..rows as i64).collect();
    let batch = RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(ids)) as ArrayRef),
        ("text", Arc::new(StringArray::from(text)) as ArrayRef),
    ])
    .unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(100))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// The fixtures plus a Parquet file of seven row groups, split by row group
/// (SCOUR_SHARD_SPLIT_BYTES=0), scanned as 1, 2, 3 and 4 shards.
#[test]
fn shards_merge_to_the_report_of_one_scan() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    copy_dir(&root().join("fixtures"), &corpus);
    write_row_groups(&corpus.join("parquet/groups.parquet"));
    let corpus_s = corpus.display().to_string();
    let whole = scour(&["scan", "--quiet", &corpus_s], &[]);
    assert_eq!(whole.status.code(), Some(1), "the fixtures fail gates");
    let want = comparable(&whole.stdout);
    assert!(want["row_count"].as_u64().unwrap() > 700);
    for n in 1..=4 {
        let states = dir.path().join(format!("n{n}"));
        std::fs::create_dir(&states).unwrap();
        let env = [("SCOUR_SHARD_SPLIT_BYTES", "0")];
        let (merged, written) = sharded(&[&corpus_s], n, &[], &env, &states);
        // The seven row groups of groups.parquet are dealt to the shards:
        // with N > 1 no shard holds all 700 rows.
        let rows_of_groups: Vec<u64> = written
            .iter()
            .map(|p| {
                let s: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
                let i = s["files"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .position(|f| f["display"] == "parquet/groups.parquet")
                    .unwrap();
                s["file_totals"][i]["rows"].as_u64().unwrap()
            })
            .collect();
        assert_eq!(rows_of_groups.iter().sum::<u64>(), 700, "N={n}");
        if n > 1 {
            assert!(
                rows_of_groups.iter().all(|&r| r < 700),
                "N={n}: {rows_of_groups:?}"
            );
        }
        assert_eq!(
            merged.status.code(),
            whole.status.code(),
            "N={n}: {}",
            String::from_utf8_lossy(&merged.stderr)
        );
        let got = comparable(&merged.stdout);
        for (k, v) in want.as_object().unwrap() {
            assert_eq!(&got[k], v, "N={n}: field {k}");
        }
        assert_eq!(got, want, "N={n}");
    }
}

/// The labelled corpus (scripts/gen_labelled.py: many PII types, near
/// misses, several thousand rows) as 1..4 shards. Text files are never
/// split; the vocabulary summary is exact below its capacity, so every
/// field matches.
#[test]
fn labelled_corpus_shards_merge_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir_all(corpus.join("train")).unwrap();
    std::fs::create_dir_all(corpus.join("test")).unwrap();
    for (split, seed) in [("train", "7"), ("test", "8")] {
        for part in 0..3 {
            let out = corpus.join(split).join(format!("part-{part}.jsonl"));
            let seed = format!("{seed}{part}");
            let st = Command::new("python3")
                .arg(root().join("scripts/gen_labelled.py"))
                .args(["--rows", "1500", "--seed", &seed])
                .arg(&out)
                .output()
                .expect("python3 runs");
            assert!(
                st.status.success(),
                "{}",
                String::from_utf8_lossy(&st.stderr)
            );
            // The answer key beside it is not part of the corpus.
            std::fs::remove_file(out.with_extension("labels.jsonl")).unwrap();
        }
    }
    let corpus_s = corpus.display().to_string();
    let whole = scour(&["scan", "--quiet", &corpus_s], &[]);
    let want = comparable(&whole.stdout);
    assert_eq!(want["row_count"], 9000);
    assert!(want["findings_total"].as_u64().unwrap() > 1000);
    for n in 1..=4 {
        let states = dir.path().join(format!("n{n}"));
        std::fs::create_dir(&states).unwrap();
        let (merged, _) = sharded(&[&corpus_s], n, &[], &[], &states);
        assert_eq!(merged.status.code(), whole.status.code(), "N={n}");
        let got = comparable(&merged.stdout);
        for (k, v) in want.as_object().unwrap() {
            assert_eq!(&got[k], v, "N={n}: field {k}");
        }
    }
}

/// No finding's value is ever written to a state.
#[test]
fn a_state_holds_no_raw_value() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = root().join("fixtures").display().to_string();
    let values = dir.path().join("values.jsonl");
    let out = scour(
        &[
            "scan",
            "--quiet",
            "--findings",
            values.to_str().unwrap(),
            "--findings-values",
            &fixtures,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let (_, states) = sharded(&[&fixtures], 2, &[], &[], dir.path());
    let text: String = states
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let mut checked = 0;
    for line in std::fs::read_to_string(&values).unwrap().lines() {
        let rec: Value = serde_json::from_str(line).unwrap();
        let value = rec["value"].as_str().unwrap();
        assert!(!value.is_empty());
        let escaped = serde_json::to_string(value).unwrap();
        assert!(
            !text.contains(value) && !text.contains(escaped.trim_matches('"')),
            "a state holds the {} value {value:?}",
            rec["detector"]
        );
        checked += 1;
    }
    assert!(checked >= 20, "{checked} values checked");
}

#[test]
fn states_that_disagree_or_miss_a_shard_do_not_merge() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = root().join("fixtures").display().to_string();
    let st = |name: &str, shard: &str, extra: &[&str]| -> String {
        let p = dir.path().join(name).display().to_string();
        let mut args = vec!["scan", "--quiet", "--shard", shard, "--state", &p];
        args.extend(extra);
        args.push(&fixtures);
        let out = scour(&args, &[]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        p
    };
    let a = st("a", "1/2", &[]);
    let b = st("b", "2/2", &[]);
    let b_other = st("b2", "2/2", &["--text-field", "text"]);
    let c = st("c", "2/3", &[]);

    let merge = |states: &[&str]| {
        let mut args = vec!["merge", "--quiet"];
        args.extend(states);
        scour(&args, &[])
    };
    assert_eq!(
        merge(&[&a, &b]).status.code(),
        Some(1),
        "fixtures fail gates"
    );
    for (states, says) in [
        (vec![&a[..]], "missing shard(s) 2/2"),
        (vec![&a[..], &b[..], &b[..]], "given twice: 2/2"),
        (vec![&a[..], &b_other[..]], "field settings"),
        (vec![&a[..], &c[..]], "shard count"),
    ] {
        let out = merge(&states);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{states:?}: {err}");
        assert!(err.contains(says), "{states:?}: {err}");
        assert!(out.stdout.is_empty());
    }

    // Another version of the state format is named as such.
    let text = std::fs::read_to_string(&b).unwrap();
    let newer = dir.path().join("newer");
    std::fs::write(
        &newer,
        text.replacen("\"version\":1,", "\"version\":99,", 1),
    )
    .unwrap();
    let out = merge(&[&a, newer.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("version 99"), "{err}");

    // A config the shards did not run with.
    let cfg = dir.path().join("scour.toml");
    std::fs::write(&cfg, "[gates]\nmax_pii_density = 5.0\n").unwrap();
    let out = scour(
        &[
            "merge",
            "--quiet",
            "--config",
            cfg.to_str().unwrap(),
            &a,
            &b,
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("config"), "{err}");
}

/// `--shard auto` takes the shard from a Slurm array or a Kubernetes
/// indexed Job, and gives the state `--shard K/N` gives.
#[test]
fn auto_shards_come_from_the_scheduler() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = root().join("fixtures").display().to_string();
    let run = |name: &str, shard: &str, env: &[(&str, &str)]| -> Value {
        let p = dir.path().join(name);
        let out = scour(
            &[
                "scan",
                "--quiet",
                "--shard",
                shard,
                "--state",
                p.to_str().unwrap(),
                &fixtures,
            ],
            env,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    };
    let explicit = run("explicit", "2/3", &[]);
    let slurm = run(
        "slurm",
        "auto",
        &[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ],
    );
    let k8s = run(
        "k8s",
        "auto",
        &[("JOB_COMPLETION_INDEX", "1"), ("SCOUR_SHARD_COUNT", "3")],
    );
    assert_eq!(slurm, explicit);
    assert_eq!(k8s, explicit);
    let out = scour(
        &[
            "scan", "--quiet", "--shard", "auto", "--state", "x", &fixtures,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SLURM_ARRAY_TASK_ID"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}
