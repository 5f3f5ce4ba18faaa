//! The per-chunk work of a scan, one worker, no I/O: what one core does with
//! one job. Run with `cargo bench --bench pipeline`.
//!
//! Input: one JSONL job of `CHUNK_BYTES` (4 MiB) cut from a corpus made by
//! `scripts/gen_corpus.py` (seed 42; rows of built-in prose if `python3` is
//! missing), and the same rows converted to Parquet (one row group, snappy)
//! with the `make_bench_parquet` example's code.
//!
//! * `jsonl/parse_job`: JSON walking into a chunk (`parse_job` on a
//!   `Job::Lines`); throughput in bytes of JSONL.
//! * `jsonl/chunk_path`: parse, `Scanner::scan` on every value, vocabulary on
//!   the text values (`add_text`, `finish_chunk`), merge into a
//!   `VocabSummary`: the whole map side of the report sink minus its
//!   bookkeeping. Bytes of JSONL.
//! * `vocab/add_text_finish_chunk`: the vocabulary alone over the job's text
//!   values. Bytes of text.
//! * `parquet/read_row_group`, `parquet/chunk_path`: the same two steps on the
//!   Parquet copy, in batches of `PARQUET_BATCH_ROWS`; throughput in rows
//!   (the file's bytes are compressed, so bytes/s would not compare).

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scour::chunk::Chunk;
use scour::detect::{Finding, Scanner, Scratch};
use scour::fields::FieldRules;
use scour::pipeline::PARQUET_BATCH_ROWS;
use scour::source::jsonwalk::JsonWalker;
use scour::source::parse::parse_job;
use scour::source::produce::{Job, CHUNK_BYTES};
use scour::source::{parquet, Format};
use scour::stats::{VocabCounter, VocabSummary};

#[path = "../examples/make_bench_parquet.rs"]
#[allow(dead_code)]
mod make_bench_parquet;

/// A JSONL corpus of at least `bytes` bytes: `gen_corpus.py` output if it
/// runs, else rows of a built-in paragraph. Returns the bytes and their origin.
fn make_jsonl(dir: &Path, bytes: usize) -> (Vec<u8>, &'static str) {
    let gen = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/gen_corpus.py");
    let out = dir.join("gen.jsonl");
    let size_mb = format!("{:.6}", (bytes + 65536) as f64 / 1e6);
    let ok = Command::new("python3")
        .arg(&gen)
        .args(["--size-mb", &size_mb, "--format", "jsonl", "--seed", "42"])
        .arg(&out)
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        if let Ok(data) = std::fs::read(&out) {
            if data.len() >= bytes {
                return (data, "gen_corpus.py --seed 42");
            }
        }
    }
    let para = "The data set was collected over several months from public documentation, \
        mailing lists and the help pages of a programming language. Each record holds a \
        short passage of running text, with the usual mix of long and short sentences, \
        parentheses, quotations and the occasional list of items. ";
    let mut data = Vec::with_capacity(bytes + 4096);
    let mut i = 0u64;
    while data.len() < bytes {
        let row = serde_json::json!({
            "id": i,
            "text": para.repeat(1 + (i % 9) as usize),
            "source": "builtin",
            "consent": i % 10 != 0,
        });
        serde_json::to_writer(&mut data, &row).expect("serialise a row");
        data.push(b'\n');
        i += 1;
    }
    (data, "built-in paragraph rows")
}

/// Per-thread state of the chunk path.
struct Worker {
    walker: JsonWalker,
    scratch: Scratch,
    findings: Vec<Finding>,
    vocab: VocabCounter,
    summary: VocabSummary,
}

impl Worker {
    fn new(scanner: &Scanner) -> Worker {
        Worker {
            walker: JsonWalker::new(),
            scratch: scanner.scratch(),
            findings: Vec::new(),
            vocab: VocabCounter::new(),
            summary: VocabSummary::default(),
        }
    }

    /// Scan every value, count the text values' tokens, merge the chunk's
    /// vocabulary. Returns the number of findings.
    fn map(&mut self, scanner: &Scanner, chunk: &Chunk) -> usize {
        let mut n = 0;
        for v in &chunk.values {
            let text = chunk.value_text(v);
            scanner.scan(text, &mut self.scratch, &mut self.findings);
            n += self.findings.len();
            if v.is_text {
                self.vocab.add_text(text);
            }
        }
        self.summary.merge(self.vocab.finish_chunk());
        n
    }
}

fn configure(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
}

fn pipeline(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (mut data, origin) = make_jsonl(dir.path(), CHUNK_BYTES);
    // One job, cut at the last line end within CHUNK_BYTES (as produce does).
    if data.len() > CHUNK_BYTES {
        let end = memchr::memrchr(b'\n', &data[..CHUNK_BYTES]).map_or(data.len(), |k| k + 1);
        data.truncate(end);
    }
    let job_bytes = data.len();
    let jsonl_path = dir.path().join("job.jsonl");
    let parquet_path = dir.path().join("job.parquet");
    std::fs::write(&jsonl_path, &data).expect("write the job's JSONL");
    let converted = make_bench_parquet::convert_file(&jsonl_path, &parquet_path, usize::MAX, false)
        .expect("convert the job to Parquet");
    let job = Job::Lines {
        format: Format::Jsonl,
        data,
        lead: 0,
        first_line: 0,
    };
    let rules = FieldRules::default();
    let scanner = Scanner::builtin();

    let chunk = parse_job(&job, &rules, &mut JsonWalker::new());
    let rows = chunk.rows.len() as u64;
    assert_eq!(rows, converted.rows, "the Parquet copy has other rows");
    let texts: Vec<&str> = chunk
        .values
        .iter()
        .filter(|v| v.is_text)
        .map(|v| chunk.value_text(v))
        .collect();
    let text_bytes: usize = texts.iter().map(|t| t.len()).sum();
    let parquet_bytes = std::fs::metadata(&parquet_path).map_or(0, |m| m.len());
    let findings = Worker::new(&scanner).map(&scanner, &chunk);
    eprintln!(
        "pipeline bench: {origin}; job {job_bytes} bytes, {rows} rows, {} values \
         ({} text, {text_bytes} bytes), {findings} findings, errors {}; \
         Parquet copy {parquet_bytes} bytes",
        chunk.values.len(),
        texts.len(),
        chunk.errors.len()
    );

    let mut group = c.benchmark_group("jsonl");
    configure(&mut group);
    group.throughput(Throughput::Bytes(job_bytes as u64));
    let mut walker = JsonWalker::new();
    group.bench_function("parse_job", |b| {
        b.iter(|| black_box(parse_job(black_box(&job), &rules, &mut walker).values.len()))
    });
    let mut worker = Worker::new(&scanner);
    group.bench_function("chunk_path", |b| {
        b.iter(|| {
            let chunk = parse_job(black_box(&job), &rules, &mut worker.walker);
            black_box(worker.map(&scanner, &chunk))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("vocab");
    configure(&mut group);
    group.throughput(Throughput::Bytes(text_bytes as u64));
    let mut vocab = VocabCounter::new();
    group.bench_function("add_text_finish_chunk", |b| {
        b.iter(|| {
            for t in &texts {
                vocab.add_text(black_box(t));
            }
            black_box(vocab.finish_chunk().total_tokens())
        })
    });
    group.finish();

    let mut group = c.benchmark_group("parquet");
    configure(&mut group);
    group.throughput(Throughput::Elements(rows));
    let plan = parquet::plan(&parquet_path).expect("plan the Parquet copy");
    assert_eq!(plan.total_rows(), rows);
    group.bench_function("read_row_group", |b| {
        b.iter(|| {
            let mut n = 0;
            parquet::read_row_group(&parquet_path, 0, &rules, PARQUET_BATCH_ROWS, &mut |c| {
                n += c.values.len();
            });
            black_box(n)
        })
    });
    let mut worker = Worker::new(&scanner);
    group.bench_function("chunk_path", |b| {
        b.iter(|| {
            let mut n = 0;
            parquet::read_row_group(&parquet_path, 0, &rules, PARQUET_BATCH_ROWS, &mut |c| {
                n += worker.map(&scanner, &c);
            });
            black_box(n)
        })
    });
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
