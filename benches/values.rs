//! The cost of one short value, the unit a table's scan pays per cell:
//! nanoseconds per value (criterion's `elem/s`, inverted) for
//!
//! * `quiet`: words without any anchor (names, cities, flags, currency
//!   codes, plans): the values a wide table holds most of, which hold no
//!   candidate at all;
//! * `digits`: short numbers, dates, timestamps and amounts without a
//!   finding (they do hold digit anchors, so the engine looks at them);
//! * `table`: the cells of a 20-column customer table in row order, the
//!   shape of `scripts/gen_corpus.py --shape wide` (2 % of rows with an
//!   e-mail, phone, card or SSN).
//!
//! Each input is scanned two ways: `value` calls `Scanner::scan` once per
//! value (the pipeline before it scanned chunks as one buffer), `chunk`
//! lays the values end to end as a chunk does and calls
//! `Scanner::scan_many` once. Both find the same (`detect::differential`
//! proves it). Run with `cargo bench --bench values`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scour::detect::{Finding, Scanner};

/// Values per input.
const VALUES: usize = 200_000;

/// xorshift64*, as in the engine bench: the same inputs on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const FIRST: &[&str] = &[
    "James", "Mary", "Li", "Wei", "Fatima", "Olga", "Pierre", "Anna", "Raj", "Sofia", "Kenji",
    "Amara", "Lucas", "Emma", "Noah", "Chloe", "Mateo", "Hannah", "Omar", "Ines",
];
const LAST: &[&str] = &[
    "Smith", "Garcia", "Wang", "Muller", "Dupont", "Rossi", "Kowalski", "Tanaka", "Okafor",
    "Silva", "Novak", "Jensen", "Brown", "Kim", "Singh", "Ivanova", "Martin", "Lopez",
];
const CITIES: &[&str] = &[
    "London",
    "Paris",
    "Berlin",
    "Madrid",
    "Rome",
    "Lisbon",
    "Dublin",
    "Vienna",
    "Warsaw",
    "Prague",
    "Oslo",
    "Tokyo",
    "Austin",
    "Boston",
    "Seattle",
    "Toronto",
    "São Paulo",
    "Zürich",
];
const WORDS: &[&str] = &[
    "GB",
    "FR",
    "DE",
    "US",
    "EUR",
    "USD",
    "GBP",
    "free",
    "pro",
    "team",
    "enterprise",
    "active",
    "churned",
    "trial",
    "true",
    "false",
    "Y",
    "N",
    "smb",
    "mid-market",
    "web",
    "app",
    "store",
    "email",
    "sms",
    "post",
    "",
    "refund issued",
    "gift order",
    "needs VAT receipt",
];
const NOTES: &[&str] = &[
    "",
    "prefers morning delivery",
    "asked about invoice",
    "address change pending",
    "churn risk, call back",
    "ok",
];

fn quiet(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => rng.pick(FIRST),
        1 => rng.pick(LAST),
        2 => rng.pick(CITIES),
        _ => rng.pick(WORDS),
    }
    .to_owned()
}

fn digits(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => format!("{}", rng.below(60)),
        1 => format!("{}.{:02}", rng.below(5000), rng.below(100)),
        2 => format!(
            "20{:02}-{:02}-{:02}",
            10 + rng.below(15),
            1 + rng.below(12),
            1 + rng.below(28)
        ),
        3 => format!(
            "2024-{:02}-{:02} {:02}:{:02}",
            1 + rng.below(12),
            1 + rng.below(28),
            rng.below(24),
            rng.below(60)
        ),
        4 => format!("{}", 1 + rng.below(5)),
        _ => format!("{:05}", rng.below(100_000)),
    }
}

/// One row of the wide table: 20 cells.
fn row(rng: &mut Rng, i: usize, out: &mut Vec<String>) {
    out.push(format!("{}", 1_000_000 + i));
    out.push(rng.pick(FIRST).to_owned());
    out.push(rng.pick(LAST).to_owned());
    out.push(rng.pick(CITIES).to_owned());
    out.push(rng.pick(&WORDS[..4]).to_owned());
    out.push(format!("{:05}", rng.below(100_000)));
    for _ in 0..2 {
        out.push(digits(rng));
    }
    out.push(format!("{}", rng.below(60)));
    out.push(format!("{}.{:02}", rng.below(5000), rng.below(100)));
    for _ in 0..8 {
        out.push(rng.pick(&WORDS[4..]).to_owned());
    }
    let (contact, note) = match rng.below(200) {
        0 => ("anna.smith@example.com".to_owned(), String::new()),
        1 => ("+44 20 7946 0123".to_owned(), String::new()),
        2 => (String::new(), "card 4111 1111 1111 1111 on file".to_owned()),
        3 => (String::new(), "SSN 123-45-6780".to_owned()),
        _ => (
            rng.pick(&WORDS[23..]).to_owned(),
            rng.pick(NOTES).to_owned(),
        ),
    };
    out.push(contact);
    out.push(note);
}

fn inputs() -> Vec<(&'static str, Vec<String>)> {
    let mut rng = Rng(0x5C0_0A1E5);
    let q = (0..VALUES).map(|_| quiet(&mut rng)).collect();
    let d = (0..VALUES).map(|_| digits(&mut rng)).collect();
    let mut t = Vec::with_capacity(VALUES);
    let mut i = 0;
    while t.len() < VALUES {
        row(&mut rng, i, &mut t);
        i += 1;
    }
    vec![("quiet", q), ("digits", d), ("table", t)]
}

fn values(c: &mut Criterion) {
    let scanner = Scanner::builtin();
    let mut group = c.benchmark_group("values");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for (name, vals) in inputs() {
        group.throughput(Throughput::Elements(vals.len() as u64));
        let mut text = String::new();
        let mut spans = Vec::with_capacity(vals.len());
        for v in &vals {
            let s = text.len();
            text.push_str(v);
            spans.push((s, text.len()));
        }
        let mut scratch = scanner.scratch();
        let mut out: Vec<Finding> = Vec::new();
        group.bench_function(format!("{name}/value"), |b| {
            b.iter(|| {
                let mut n = 0;
                for v in &vals {
                    scanner.scan(black_box(v), &mut scratch, &mut out);
                    n += out.len();
                }
                black_box(n)
            })
        });
        // One scratch for every iteration, as a thread keeps it for a whole
        // scan: its memo of short values seen without a finding holds 4,096
        // of them, far fewer than an input's 200,000, so it is as warm as
        // in a long scan (a fresh scratch per iteration would time the
        // scratch's own setup instead).
        let mut scratch = scanner.scratch();
        group.bench_function(format!("{name}/chunk"), |b| {
            b.iter(|| {
                let mut n = 0;
                scanner.scan_many(black_box(&text), &spans, &mut scratch, |_, _, f| {
                    n += f.len()
                });
                black_box(n)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, values);
criterion_main!(benches);
