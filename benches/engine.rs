//! The detection engine alone: `Scanner::scan` over in-memory values.
//!
//! Three inputs of about 4 MiB each, cut into values of 1-4 KB:
//!
//! * `prose`: English prose (CPython's `pydoc_data.topics` text, read once
//!   through `python3`; a built-in paragraph repeated if that fails);
//! * `prose_pii_2pct`: the same values, with one detector example (from the
//!   built-in table's own `examples`) planted in every 50th value;
//! * `digits`: tables of numbers, dates, times, versions, ids and amounts,
//!   the text that keeps the digit-anchored detectors (cards, phones, SSNs,
//!   IPs, IBANs) busy.
//!
//! Throughput is in bytes of value text. Run with `cargo bench --bench engine`.

use std::hint::black_box;
use std::process::Command;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scour::detect::{builtin, Finding, Scanner};

/// Bytes of value text per input.
const TARGET_BYTES: usize = 4 << 20;
/// One value in this many carries a planted PII/secret example (2 %).
const PII_EVERY: usize = 50;

/// A small deterministic PRNG (xorshift64*), so the inputs are the same on
/// every run without a `rand` dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `lo..hi` (`hi > lo`).
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo) as u64) as usize
    }
}

const FALLBACK_PARAGRAPH: &str = "The data set was collected over several months from \
public documentation, mailing lists and the help pages of a programming language. Each \
record holds a short passage of running text, written by many different authors, with \
the usual mix of long and short sentences, parentheses, quotations and the occasional \
list of items. Nothing in this paragraph is personal data; it exists only so that the \
benchmark still has English text to scan when Python is not installed on the machine. \
Readers who want the real thing should install python3, whose pydoc topics hold about \
half a megabyte of prose.\n\n";

/// English prose: CPython's pydoc topics if `python3` is there, else a
/// built-in paragraph repeated. Returns the text and where it came from.
fn load_prose() -> (String, &'static str) {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys\nfrom pydoc_data.topics import topics\n\
             sys.stdout.write('\\n\\n'.join(topics[k] for k in sorted(topics)))",
        ])
        .output();
    if let Ok(out) = out {
        if out.status.success() && out.stdout.len() >= 100_000 {
            if let Ok(s) = String::from_utf8(out.stdout) {
                return (s, "pydoc_data.topics");
            }
        }
    }
    (FALLBACK_PARAGRAPH.repeat(200), "built-in paragraph")
}

/// Cuts `text` (wrapping around) into values of 1-4 KB ending at whitespace,
/// until `target` bytes are collected.
fn cut_values(text: &str, target: usize, rng: &mut Rng) -> Vec<String> {
    let mut values = Vec::new();
    let mut total = 0;
    let mut at = 0;
    while total < target {
        let want = rng.range(1024, 4096);
        let mut v = String::with_capacity(want + 64);
        while v.len() < want {
            if at >= text.len() {
                at = 0;
            }
            let rest = &text[at..];
            let room = want - v.len();
            // End after the first whitespace at or past `room` (whitespace is
            // ASCII, so the cut is always on a char boundary).
            let end = match rest
                .as_bytes()
                .iter()
                .skip(room)
                .position(|b| b.is_ascii_whitespace())
            {
                Some(k) => room + k + 1,
                None => rest.len(),
            };
            v.push_str(&rest[..end]);
            at += end;
        }
        total += v.len();
        values.push(v);
    }
    values
}

/// The same values with one detector example planted in every
/// `PII_EVERY`th value: each built-in detector in turn, then the next of
/// its examples. Returns the values and how many were planted.
fn plant_pii(values: &[String], rng: &mut Rng) -> (Vec<String>, usize) {
    let with_examples: Vec<_> = builtin()
        .iter()
        .filter(|d| !d.examples.is_empty())
        .collect();
    assert!(
        !with_examples.is_empty(),
        "the built-in table has no examples"
    );
    let mut planted = 0;
    let out = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if i % PII_EVERY != PII_EVERY / 2 {
                return v.clone();
            }
            // Every detector in turn, then its next example.
            let d = with_examples[planted % with_examples.len()];
            let ex = d.examples[(planted / with_examples.len()) % d.examples.len()];
            planted += 1;
            // Insert after a whitespace byte near a random point.
            let mut at = rng.range(0, v.len());
            while at < v.len() && !v.as_bytes()[at].is_ascii_whitespace() {
                at += 1;
            }
            let at = (at + 1).min(v.len());
            let mut s = String::with_capacity(v.len() + ex.len() + 2);
            s.push_str(&v[..at]);
            s.push_str(ex);
            s.push(' ');
            s.push_str(&v[at..]);
            s
        })
        .collect();
    (out, planted)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// One table cell of digit-heavy text.
fn digit_cell(rng: &mut Rng, s: &mut String) {
    use std::fmt::Write;
    let y = rng.range(1990, 2031);
    let (m, d) = (rng.range(1, 13), rng.range(1, 29));
    let _ = match rng.range(0, 16) {
        0 => write!(s, "{y}-{m:02}-{d:02}"),
        1 => write!(s, "{d:02}/{m:02}/{y}"),
        2 => write!(s, "{} {d}, {y}", MONTHS[m - 1]),
        3 => write!(
            s,
            "{:02}:{:02}:{:02}",
            rng.range(0, 24),
            rng.range(0, 60),
            rng.range(0, 60)
        ),
        4 => write!(
            s,
            "v{}.{}.{}",
            rng.range(0, 20),
            rng.range(0, 40),
            rng.range(0, 200)
        ),
        5 => write!(
            s,
            "{}.{}.{}.{}",
            rng.range(1, 10),
            rng.range(0, 30),
            rng.range(0, 300),
            rng.range(0, 9000)
        ),
        6 => write!(s, "{}.{:04}", rng.range(0, 100_000), rng.range(0, 10_000)),
        7 => write!(
            s,
            "{},{:03},{:03}",
            rng.range(1, 1000),
            rng.range(0, 1000),
            rng.range(0, 1000)
        ),
        8 => write!(s, "{}%", rng.range(0, 1000) as f64 / 10.0),
        9 => write!(s, "{}", rng.range(1_000_000_000, 2_000_000_000)),
        10 => write!(s, "#{}", rng.next() % 1_000_000_000_000),
        11 => write!(s, "0x{:08x}", rng.next() as u32),
        12 => write!(s, "{} ms", rng.range(0, 100_000)),
        13 => write!(s, "{y}{m:02}{d:02}.{}", rng.range(0, 100)),
        14 => write!(s, "{}-{}", rng.range(100, 1000), rng.range(1000, 10_000)),
        _ => write!(s, "{}", rng.range(0, 100)),
    };
}

/// Digit-heavy values of 1-4 KB: rows of `|`-separated cells.
fn digit_values(target: usize, rng: &mut Rng) -> Vec<String> {
    let mut values = Vec::new();
    let mut total = 0;
    while total < target {
        let want = rng.range(1024, 4096);
        let mut v = String::with_capacity(want + 128);
        while v.len() < want {
            v.push('|');
            for _ in 0..rng.range(4, 10) {
                v.push(' ');
                digit_cell(rng, &mut v);
                v.push_str(" |");
            }
            v.push('\n');
        }
        total += v.len();
        values.push(v);
    }
    values
}

/// A one-line summary of the findings over all values: total, values with
/// at least one, and the count per detector id.
fn describe_findings(scanner: &Scanner, values: &[String]) -> String {
    let mut scratch = scanner.scratch();
    let mut out: Vec<Finding> = Vec::new();
    let mut per = vec![0usize; scanner.detectors().len()];
    let (mut findings, mut with) = (0, 0);
    for v in values {
        scanner.scan(v, &mut scratch, &mut out);
        findings += out.len();
        with += usize::from(!out.is_empty());
        for f in &out {
            per[usize::from(f.detector)] += 1;
        }
    }
    let by: Vec<String> = per
        .iter()
        .zip(scanner.detectors())
        .filter(|(n, _)| **n > 0)
        .map(|(n, d)| format!("{} {n}", d.id))
        .collect();
    format!("{findings} findings in {with} values [{}]", by.join(", "))
}

fn engine(c: &mut Criterion) {
    let scanner = Scanner::builtin();
    let mut rng = Rng(0x5C0D_2024_0BAD_F00D);
    let (prose, origin) = load_prose();
    let clean = cut_values(&prose, TARGET_BYTES, &mut rng);
    let (pii, planted) = plant_pii(&clean, &mut rng);
    let digits = digit_values(TARGET_BYTES, &mut rng);

    let inputs: [(&str, &[String]); 3] = [
        ("prose", &clean),
        ("prose_pii_2pct", &pii),
        ("digits", &digits),
    ];
    eprintln!(
        "engine bench: prose from {origin}; {planted} values planted; engine {}",
        scanner.engine_name()
    );
    for (name, values) in &inputs {
        let bytes: usize = values.iter().map(|v| v.len()).sum();
        eprintln!(
            "  {name:<15} {} values, {bytes} bytes, {}",
            values.len(),
            describe_findings(&scanner, values)
        );
    }

    let mut group = c.benchmark_group("scan");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for (name, values) in inputs {
        let bytes: usize = values.iter().map(|v| v.len()).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        let mut scratch = scanner.scratch();
        let mut out: Vec<Finding> = Vec::new();
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0;
                for v in values {
                    scanner.scan(black_box(v), &mut scratch, &mut out);
                    n += out.len();
                }
                black_box(n)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
