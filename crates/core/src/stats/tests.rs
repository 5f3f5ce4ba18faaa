//! Tests of the public vocabulary API (counter → parts → summary → report).

use std::collections::HashMap;

use super::*;

/// Deterministic pseudo-random numbers (PCG-style LCG, high bits).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 11
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 42) as f64
    }
}

/// Exact reference counts by the plain tokeniser.
fn exact_counts<'a>(texts: impl IntoIterator<Item = &'a str>) -> HashMap<String, u64> {
    let mut m = HashMap::new();
    for t in texts {
        for tok in tokens::tokens(t) {
            *m.entry(tok).or_insert(0) += 1;
        }
    }
    m
}

/// Counts texts in chunks of `per_chunk` texts, merging parts in order.
fn summarise(texts: &[String], per_chunk: usize, capacity: usize) -> VocabSummary {
    let mut c = VocabCounter::with_capacity(capacity);
    let mut s = VocabSummary::new(capacity);
    for chunk in texts.chunks(per_chunk.max(1)) {
        for t in chunk {
            c.add_text(t);
        }
        s.merge(c.finish_chunk());
        assert!(s.len() <= capacity);
    }
    s
}

/// A skewed (Zipf, s = 1.1) synthetic stream over `vocab` words, as texts of
/// 50 words each.
fn zipf_texts(words: usize, vocab: usize, seed: u64) -> Vec<String> {
    let weights: Vec<f64> = (1..=vocab).map(|r| 1.0 / (r as f64).powf(1.1)).collect();
    let total: f64 = weights.iter().sum();
    let mut cdf = Vec::with_capacity(vocab);
    let mut acc = 0.0;
    for w in &weights {
        acc += w / total;
        cdf.push(acc);
    }
    let mut rng = Lcg(seed);
    let mut texts = Vec::new();
    let mut cur = String::new();
    for i in 0..words {
        let u = rng.unit();
        let r = cdf.partition_point(|&c| c < u).min(vocab - 1);
        // Mixed case and punctuation: the counter must fold them together.
        if r % 3 == 0 {
            cur.push_str(&format!("Word{r}, "));
        } else {
            cur.push_str(&format!("word{r} "));
        }
        if i % 50 == 49 {
            texts.push(std::mem::take(&mut cur));
        }
    }
    texts.push(cur);
    texts
}

fn report_bits(r: &ZipfReport) -> String {
    format!(
        "{} {} {} {:?}",
        r.exponent.to_bits(),
        r.r2.to_bits(),
        r.top_token_ratio.to_bits(),
        r
    )
}

#[test]
fn example_sentence_counts() {
    let mut c = VocabCounter::new();
    c.add_text("Hello, WORLD hello! a an ab3 Ünïcode ÜNÏCODE 北京市 x12");
    let mut s = VocabSummary::default();
    s.merge(c.finish_chunk());
    let r = s.finish();
    assert_eq!(r.total_tokens, 8);
    assert_eq!(r.vocabulary_size, 6);
    assert_eq!(s.count("hello"), 2);
    assert_eq!(s.count("ünïcode"), 2);
    assert_eq!(s.count("world"), 1);
    assert_eq!(s.count("北京市"), 1);
    assert_eq!(s.count("ab3"), 1);
    assert_eq!(s.count("x12"), 1);
    assert_eq!(s.count("an"), 0);
    assert_eq!(
        r.top_tokens,
        vec![
            ("hello".to_string(), 2),
            ("ünïcode".to_string(), 2),
            ("ab3".to_string(), 1),
            ("world".to_string(), 1),
            ("x12".to_string(), 1),
            ("北京市".to_string(), 1),
        ]
    );
    assert_eq!(r.counter.max_count_error, 0);
    assert_eq!(bias_signal(&r), BiasSignal::Low); // fewer than 30 tokens
}

#[test]
fn parts_are_send() {
    fn send<T: Send + 'static>() {}
    send::<VocabPart>();
    send::<VocabSummary>();
    send::<VocabCounter>();
}

#[test]
fn empty_input() {
    let mut c = VocabCounter::new();
    let mut s = VocabSummary::default();
    s.merge(c.finish_chunk());
    let r = s.finish();
    assert_eq!(
        (r.total_tokens, r.vocabulary_size, r.ranks_fitted),
        (0, 0, 0)
    );
    assert_eq!((r.exponent, r.r2, r.top_token_ratio), (0.0, 0.0, 0.0));
    assert!(r.top_tokens.is_empty());
    assert_eq!(bias_signal(&r), BiasSignal::Low);
}

#[test]
fn exact_when_vocabulary_fits() {
    let texts = zipf_texts(200_000, 5_000, 7);
    let truth = exact_counts(texts.iter().map(|s| s.as_str()));
    let s = summarise(&texts, 97, DEFAULT_CAPACITY);
    assert_eq!(s.max_count_error(), 0);
    assert_eq!(s.len(), truth.len());
    for (tok, &n) in &truth {
        assert_eq!(s.count(tok), n, "{tok}");
    }
    let r = s.finish();
    assert_eq!(r.total_tokens, truth.values().sum::<u64>());
    assert_eq!(r.vocabulary_size, truth.len() as u64);
    assert_eq!(r.counter.vocabulary_size_relative_std_error, 0.0);
    assert_eq!(r.ranks_fitted, 1_000);
    // Top tokens equal the exact ranking with the (count desc, token asc) order.
    let mut want: Vec<(String, u64)> = truth.into_iter().collect();
    want.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    want.truncate(TOP_TOKENS);
    assert_eq!(r.top_tokens, want);
    // A Zipf(1.1) sample fits an exponent near 1.1.
    assert!((r.exponent - 1.1).abs() < 0.15, "{r:?}");
    assert_eq!(bias_signal(&r), BiasSignal::Low);
}

#[test]
fn bounded_counts_with_small_capacity() {
    let texts = zipf_texts(300_000, 20_000, 11);
    let truth = exact_counts(texts.iter().map(|s| s.as_str()));
    let n: u64 = truth.values().sum();
    for (capacity, per_chunk) in [(200usize, 40usize), (1_000, 300), (64, 7)] {
        let s = summarise(&texts, per_chunk, capacity);
        let err = s.max_count_error();
        assert!(err > 0, "capacity {capacity} should have dropped tokens");
        assert!(err <= n / (capacity as u64 + 1), "err {err} > n/(k+1)");
        assert!(s.len() <= capacity);
        // Every count within [truth - err, truth]; every heavy token present.
        for (tok, &f) in &truth {
            let c = s.count(tok);
            assert!(
                c <= f && f - c <= err,
                "{tok}: true {f}, got {c}, err {err}"
            );
            if f > err {
                assert!(c > 0, "{tok} with count {f} > err {err} missing");
            }
        }
        // The true top 10 are all reported (their counts exceed the error).
        let mut want: Vec<(&String, &u64)> = truth.iter().collect();
        want.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        let r = s.finish();
        let got: Vec<&String> = r.top_tokens.iter().map(|(t, _)| t).collect();
        for (tok, &f) in want.iter().take(10) {
            assert!(f > err);
            assert!(
                got.contains(tok),
                "capacity {capacity}: {tok} missing from top"
            );
        }
        assert_eq!(r.total_tokens, n);
        assert_eq!(r.counter.max_count_error, err);
        assert_eq!(r.counter.capacity, capacity);
        // Vocabulary size is now the HyperLogLog estimate.
        assert!(r.counter.vocabulary_size_relative_std_error > 0.0);
        let v = truth.len() as f64;
        assert!(
            (r.vocabulary_size as f64 - v).abs() / v < 0.03,
            "{r:?} vs {v}"
        );
    }
}

#[test]
fn deterministic_for_fixed_chunking_and_order() {
    let texts = zipf_texts(100_000, 30_000, 3);
    for capacity in [100, DEFAULT_CAPACITY] {
        let a = summarise(&texts, 33, capacity).finish();
        let b = summarise(&texts, 33, capacity).finish();
        assert_eq!(report_bits(&a), report_bits(&b));
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
    }
}

#[test]
fn chunking_and_order_independent_when_exact() {
    let texts = zipf_texts(60_000, 4_000, 5);
    let a = summarise(&texts, 1, DEFAULT_CAPACITY).finish();
    let b = summarise(&texts, 1_000_000, DEFAULT_CAPACITY).finish();
    let c = summarise(&texts, 17, DEFAULT_CAPACITY).finish();
    assert_eq!(a.counter.max_count_error, 0);
    assert_eq!(report_bits(&a), report_bits(&b));
    assert_eq!(report_bits(&a), report_bits(&c));
    // Reversed merge order of the same parts.
    let mut counter = VocabCounter::new();
    let mut parts = Vec::new();
    for chunk in texts.chunks(17) {
        for t in chunk {
            counter.add_text(t);
        }
        parts.push(counter.finish_chunk());
    }
    let mut s = VocabSummary::default();
    for p in parts.into_iter().rev() {
        s.merge(p);
    }
    assert_eq!(report_bits(&a), report_bits(&s.finish()));
}

#[test]
fn mid_chunk_spill_keeps_table_bounded() {
    // One chunk with 10x more distinct tokens than the table holds.
    let capacity = 1_000;
    let mut c = VocabCounter::with_capacity(capacity);
    let mut truth = HashMap::new();
    let mut rng = Lcg(99);
    for i in 0..200 {
        let mut text = String::new();
        for j in 0..100 {
            // Half the tokens from a small hot set, half new.
            let t = if j % 2 == 0 {
                format!("hot{}", rng.next() % 10)
            } else {
                format!("new{i}x{j}")
            };
            *truth.entry(t.clone()).or_insert(0u64) += 1;
            text.push_str(&t);
            text.push(' ');
        }
        c.add_text(&text);
        assert!(c.table_distinct() <= capacity);
    }
    assert!(c.spills() >= 9, "spills: {}", c.spills());
    let part = c.finish_chunk();
    assert!(part.len() <= capacity);
    assert_eq!(part.total_tokens(), 20_000);
    let err = part.max_count_error();
    let mut s = VocabSummary::new(capacity);
    s.merge(part);
    for i in 0..10 {
        let t = format!("hot{i}");
        let f = truth[&t];
        let got = s.count(&t);
        assert!(got <= f && f - got <= err, "{t}: {got} vs {f} (err {err})");
        assert!(got > 0);
    }
    // The counter is reusable after the chunk: a fresh exact chunk.
    c.add_text("alpha beta alpha");
    let p = c.finish_chunk();
    assert_eq!(p.max_count_error(), 0);
    assert_eq!(p.total_tokens(), 3);
}

/// Feeds `total` tokens made by `token(i)` in chunks of `per_chunk` tokens
/// (texts of up to 50,000 tokens) and returns the largest heap seen in the
/// counter and in the summary, and the report.
fn run_bounded(
    capacity: usize,
    total: u64,
    per_chunk: u64,
    token: impl Fn(u64, &mut String),
) -> (usize, usize, ZipfReport) {
    let mut c = VocabCounter::with_capacity(capacity);
    let mut s = VocabSummary::new(capacity);
    let mut text = String::with_capacity(1 << 20);
    let (mut next, mut counter_heap, mut summary_heap) = (0u64, 0, 0);
    while next < total {
        let end = (next + per_chunk).min(total);
        while next < end {
            let stop = (next + 50_000).min(end);
            text.clear();
            for i in next..stop {
                token(i, &mut text);
                text.push(' ');
            }
            c.add_text(&text);
            assert!(c.table_distinct() <= capacity);
            counter_heap = counter_heap.max(c.heap_bytes());
            next = stop;
        }
        let part = c.finish_chunk();
        assert!(part.len() <= capacity);
        counter_heap = counter_heap.max(c.heap_bytes());
        s.merge(part);
        assert!(s.len() <= capacity, "summary grew to {}", s.len());
        summary_heap = summary_heap.max(s.heap_bytes());
    }
    (counter_heap, summary_heap, s.finish())
}

#[test]
fn memory_bounded_on_five_million_distinct_tokens() {
    use std::fmt::Write;
    let k = DEFAULT_CAPACITY;
    // An ordinary corpus: a 5,000-word vocabulary.
    let (c0, s0, r0) = run_bounded(k, 5_000_000, 400_000, |i, t| {
        write!(t, "w{}", (i * 2_654_435_761) % 5_000).unwrap()
    });
    assert_eq!(r0.counter.max_count_error, 0);
    // Nearly every token new: 5e6 distinct, 400k per chunk (more distinct
    // tokens per chunk than the table holds, so tables spill mid-chunk).
    let total = 5_000_000u64;
    let (c1, s1, r1) = run_bounded(k, total, 400_000, |i, t| write!(t, "tok{i:x}").unwrap());
    // The worst case for the string arenas: 1e6 distinct 64-byte tokens.
    let (c2, s2, _) = run_bounded(k, 1_000_000, 200_000, |i, t| write!(t, "{i:064x}").unwrap());
    eprintln!(
        "heap bytes (counter, summary): ordinary ({c0}, {s0}), 5e6 distinct ({c1}, {s1}), \
         64-byte distinct ({c2}, {s2}); documented bounds ({}, {})",
        VocabCounter::heap_bound(k),
        VocabSummary::heap_bound(k)
    );
    for c in [c0, c1, c2] {
        assert!(c <= VocabCounter::heap_bound(k), "counter heap {c}");
    }
    for s in [s0, s1, s2] {
        assert!(s <= VocabSummary::heap_bound(k), "summary heap {s}");
    }
    assert_eq!(r1.total_tokens, total);
    let rel = (r1.vocabulary_size as f64 - total as f64).abs() / total as f64;
    assert!(rel < 0.03, "vocabulary {} vs {total}", r1.vocabulary_size);
    assert!(r1.counter.max_count_error >= 1);
    assert!(r1.counter.max_count_error <= total / (k as u64 + 1));
}

#[test]
fn table_count_limit_spills_exactly() {
    // Slot counts are 24-bit: a chunk with more occurrences of one token
    // than that spills and still counts exactly.
    let n = ChunkTable::MAX_TOKENS + 1000;
    let text = "the ".repeat(1 << 20);
    let mut c = VocabCounter::new();
    let mut added = 0u64;
    while added + (1 << 20) <= n {
        c.add_text(&text);
        added += 1 << 20;
    }
    c.add_text(&"the ".repeat((n - added) as usize));
    assert!(c.spills() >= 1);
    let mut s = VocabSummary::default();
    s.merge(c.finish_chunk());
    assert_eq!(s.count("the"), n);
    assert_eq!(s.max_count_error(), 0);
    assert_eq!(s.finish().top_token_ratio, 1.0);
}

#[test]
fn hll_vocabulary_within_three_percent() {
    for n in [100_000u64, 1_000_000] {
        let mut c = VocabCounter::with_capacity(1_000);
        let mut s = VocabSummary::new(1_000);
        let mut text = String::new();
        for i in 0..n {
            use std::fmt::Write;
            write!(text, "v{i}z ").unwrap();
            if i % 10_000 == 9_999 {
                c.add_text(&text);
                text.clear();
                s.merge(c.finish_chunk());
            }
        }
        c.add_text(&text);
        s.merge(c.finish_chunk());
        let r = s.finish();
        let rel = (r.vocabulary_size as f64 - n as f64).abs() / n as f64;
        assert!(rel < 0.03, "n={n}: estimate {}", r.vocabulary_size);
        assert!((r.counter.vocabulary_size_relative_std_error - 1.04 / 128.0).abs() < 1e-12);
    }
}

#[test]
fn long_tokens_are_shown_truncated_but_counted_whole() {
    let a = "x".repeat(100);
    let b = format!("{}y", "x".repeat(99));
    let mut c = VocabCounter::new();
    c.add_text(&format!("{a} {b} {a}"));
    let mut s = VocabSummary::default();
    s.merge(c.finish_chunk());
    let r = s.finish();
    assert_eq!(r.vocabulary_size, 2);
    assert_eq!(r.top_tokens[0], ("x".repeat(64), 2));
    assert_eq!(r.top_tokens[1], ("x".repeat(64), 1));
}

#[test]
fn merge_summary_of_shards() {
    let texts = zipf_texts(40_000, 2_000, 13);
    let (left, right) = texts.split_at(texts.len() / 2);
    let mut a = summarise(left, 10, DEFAULT_CAPACITY);
    let b = summarise(right, 10, DEFAULT_CAPACITY);
    a.merge_summary(&b);
    let whole = summarise(&texts, 10, DEFAULT_CAPACITY);
    assert_eq!(report_bits(&a.finish()), report_bits(&whole.finish()));
}

#[test]
fn report_serializes() {
    let texts = zipf_texts(5_000, 500, 1);
    let r = summarise(&texts, 100, DEFAULT_CAPACITY).finish();
    let v = serde_json::to_value(&r).unwrap();
    for key in [
        "exponent",
        "r2",
        "ranks_fitted",
        "vocabulary_size",
        "total_tokens",
        "top_token_ratio",
        "top_tokens",
        "counter",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    assert_eq!(v["counter"]["capacity"], DEFAULT_CAPACITY);
    assert!(v["top_tokens"][0][0].is_string());
    assert_eq!(serde_json::to_value(bias_signal(&r)).unwrap(), "low");
}

/// English prose: CPython's pydoc topics (about 0.47 MB, much indentation).
fn pydoc_prose() -> Option<String> {
    let o = std::process::Command::new("python3")
        .args([
            "-c",
            "import pydoc_data.topics as t; print('\\n'.join(t.topics.values()))",
        ])
        .output()
        .ok()?;
    (o.status.success() && o.stdout.len() > 100_000).then(|| String::from_utf8(o.stdout).ok())?
}

/// Denser English prose: Debian's common licenses (about 0.26 MB).
fn license_prose() -> Option<String> {
    let mut paths: Vec<_> = std::fs::read_dir("/usr/share/common-licenses")
        .ok()?
        .map(|d| d.unwrap().path())
        .collect();
    paths.sort();
    let mut s = String::new();
    for p in paths {
        if let Ok(t) = std::fs::read_to_string(&p) {
            s.push_str(&t);
            s.push_str("\n\n");
        }
    }
    (s.len() > 10_000).then_some(s)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Tokenising alone (no counting), for comparison.
struct NullSink(u64);
impl TokenSink for NullSink {
    fn ascii_token(&mut self, hash: u64, _raw: &[u8]) {
        self.0 ^= hash;
    }
    fn unicode_token(&mut self, hash: u64, _lower: &[u8]) {
        self.0 ^= hash;
    }
}

/// CPU time of the calling thread in seconds (Linux schedstat; falls back to
/// 0 elsewhere, and then only wall-clock figures are meaningful).
fn thread_cpu_s() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

/// Feeds ~64 MB of `base`, one paragraph per add_text (a "row"), in chunks of
/// ~4 MB, 5 times; prints the median MB/s of add_text, finish_chunk, merge
/// and finish together, by wall clock and by thread CPU time (the machine is
/// shared), the CPU share of finish_chunk and merge, and tokenising alone.
fn measure(name: &str, base: &str) {
    // SCOUR_VOCAB_BENCH=word runs only the corpora whose name contains it.
    if let Ok(only) = std::env::var("SCOUR_VOCAB_BENCH") {
        if !name.contains(only.as_str()) {
            return;
        }
    }
    let reps = (64 << 20) / base.len() + 1;
    let paragraphs: Vec<&str> = base.split("\n\n").filter(|p| !p.is_empty()).collect();
    let bytes: usize = paragraphs.iter().map(|p| p.len()).sum::<usize>() * reps;
    let mb = bytes as f64 / 1e6;
    let chunk_bytes = 4 << 20;
    let (mut wall, mut cpu, mut fin, mut mrg, mut tok) = (vec![], vec![], vec![], vec![], vec![]);
    let mut report = None;
    // SCOUR_VOCAB_CAP=k sets the capacity.
    let cap: usize = std::env::var("SCOUR_VOCAB_CAP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CAPACITY);
    for _ in 0..5 {
        let mut c = VocabCounter::with_capacity(cap);
        let mut s = VocabSummary::new(cap);
        let (mut t_fin, mut t_mrg) = (0.0, 0.0);
        let mut end_chunk = |c: &mut VocabCounter, s: &mut VocabSummary| {
            let a = thread_cpu_s();
            let part = c.finish_chunk();
            let b = thread_cpu_s();
            s.merge(part);
            t_fin += b - a;
            t_mrg += thread_cpu_s() - b;
        };
        let (w0, c0) = (std::time::Instant::now(), thread_cpu_s());
        let mut in_chunk = 0;
        for _ in 0..reps {
            for p in &paragraphs {
                c.add_text(p);
                in_chunk += p.len();
                if in_chunk >= chunk_bytes {
                    end_chunk(&mut c, &mut s);
                    in_chunk = 0;
                }
            }
        }
        end_chunk(&mut c, &mut s);
        let r = s.finish();
        let (dw, dc) = (w0.elapsed().as_secs_f64(), thread_cpu_s() - c0);
        wall.push(mb / dw);
        cpu.push(mb / dc);
        fin.push(100.0 * t_fin / dc);
        mrg.push(100.0 * t_mrg / dc);
        report = Some(r);

        let mut null = NullSink(0);
        let c0 = thread_cpu_s();
        for _ in 0..reps {
            for p in &paragraphs {
                tokens::tokenize(p, &mut null);
            }
        }
        std::hint::black_box(null.0);
        tok.push(mb / (thread_cpu_s() - c0));
    }
    let r = report.unwrap();
    println!(
        "{name}: {:.0} MB/s CPU (runs {:?}), {:.0} MB/s wall; finish_chunk {:.1} % and merge {:.1} % of CPU; tokenise+hash alone {:.0} MB/s CPU. {mb:.1} MB, {:.1} bytes/token, vocabulary {}, max_count_error {}, exponent {:.3}, r2 {:.3}, top {:?}",
        median(cpu.clone()),
        cpu.iter().map(|x| x.round()).collect::<Vec<_>>(),
        median(wall),
        median(fin),
        median(mrg),
        median(tok),
        bytes as f64 / r.total_tokens as f64,
        r.vocabulary_size,
        r.counter.max_count_error,
        r.exponent,
        r.r2,
        &r.top_tokens[..3]
    );
}

/// Single-core throughput of add_text + finish_chunk + merge on English prose.
/// `cargo test --release --lib stats::tests::throughput -- --ignored --nocapture`
#[test]
#[ignore]
fn throughput_english_prose() {
    let mut any = false;
    if let Some(p) = pydoc_prose() {
        measure("pydoc topics", &p);
        any = true;
    }
    if let Some(p) = license_prose() {
        measure("common-licenses", &p);
        any = true;
    }
    // A large vocabulary: Zipf(1.0) over 1M pseudo-words, so each 4 MB chunk
    // has tens of thousands of distinct tokens and the summary prunes.
    let mut rng = Lcg(17);
    let words: Vec<String> = (0..1_000_000)
        .map(|_| {
            let len = 3 + rng.next() % 8;
            (0..len)
                .map(|_| (b'a' + (rng.next() % 26) as u8) as char)
                .collect()
        })
        .collect();
    let h: f64 = (1..=words.len()).map(|r| 1.0 / r as f64).sum();
    let mut text = String::new();
    while text.len() < 8 << 20 {
        // Approximate inverse-CDF sampling of Zipf(1): r = exp(u * H).
        let r = ((rng.unit() * h).exp() as usize).clamp(1, words.len());
        text.push_str(&words[r - 1]);
        text.push_str(if rng.next() % 12 == 0 { ".\n\n" } else { " " });
    }
    measure("synthetic Zipf(1), 1M words", &text);
    // Non-ASCII: Zipf-ish pseudo-words of 2-4 CJK characters and accented
    // Latin words (the character-by-character path).
    let mut text = String::new();
    let accented = [
        "café", "naïve", "Übung", "straße", "résumé", "Ørsted", "años",
    ];
    while text.len() < 4 << 20 {
        if rng.next() % 2 == 0 {
            let len = 2 + rng.next() % 3;
            for _ in 0..len {
                let c = 0x4e00 + (rng.next() % 3000) as u32;
                text.push(char::from_u32(c).unwrap());
            }
        } else {
            text.push_str(accented[(rng.next() % accented.len() as u64) as usize]);
        }
        text.push_str(if rng.next() % 12 == 0 { "。\n\n" } else { " " });
    }
    measure("non-ASCII (CJK and accented Latin)", &text);
    assert!(
        any,
        "no English prose found (python3 pydoc_data or /usr/share/common-licenses)"
    );
}
