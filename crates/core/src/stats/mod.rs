//! Corpus statistics: bounded vocabulary counting and the Zipf fit.
//!
//! ## Use
//! Each worker owns a [`VocabCounter`] (reusable scratch), feeds it the text
//! fields of a chunk with [`VocabCounter::add_text`] and ends the chunk with
//! [`VocabCounter::finish_chunk`], which yields a bounded [`VocabPart`]. The
//! pipeline merges the parts into one [`VocabSummary`] **in file order** and
//! finally calls [`VocabSummary::finish`] for the [`ZipfReport`] and
//! [`bias_signal`] for the skew verdict.
//!
//! ## What a token is
//! A maximal run of 3 or more Unicode alphanumeric characters, lower-cased
//! (see [`tokens`]). Only text fields are fed in.
//!
//! ## Memory
//! Nothing here grows with the corpus or its vocabulary. With capacity `k`
//! (default [`DEFAULT_CAPACITY`] = 65,536):
//! * a [`VocabCounter`] holds an exact hash table for at most `k` distinct
//!   tokens (16-byte slots, at most half full, grown on demand from 4,096 to
//!   `(2k).next_power_of_two()`), their display strings (≤ 64 bytes each) and a
//!   16 KiB HyperLogLog. When a chunk has more than `k` distinct tokens, or
//!   more than 2^24 − 1 tokens, the table is *spilled* into a `k`-entry
//!   summary and reused, so a chunk of any size runs in the same memory;
//! * a [`VocabPart`] and a [`VocabSummary`] hold at most `k` counters, their
//!   strings and a 16 KiB HyperLogLog.
//!
//! [`VocabCounter::heap_bound`] and [`VocabSummary::heap_bound`] give
//! worst-case byte bounds that depend only on `k` (about 50 MiB and 40 MiB
//! for the default; measured peaks for 5 million distinct tokens are 11 MiB
//! and 6 MiB, and for an ordinary corpus under 1 MiB).
//!
//! ## Error bounds (reported in [`CounterBounds`])
//! * **Token counts** come from a mergeable Misra–Gries summary. A reported
//!   count is never above the true count and at most `max_count_error` below
//!   it; `max_count_error <= total_tokens / (k + 1)`. Every token whose true
//!   count exceeds `max_count_error` is in the summary. `max_count_error == 0`
//!   means every count is exact.
//! * **`vocabulary_size`** is exact (the number of summary entries) when
//!   `max_count_error == 0`, and then `vocabulary_size_relative_std_error` is
//!   0. Otherwise it is a HyperLogLog estimate with 2^14 registers and
//!   relative standard error `1.04 / sqrt(2^14)` ≈ 0.81 %.
//! * **`total_tokens`** is always exact.
//! * The Zipf fit and `top_token_ratio` use the reported (possibly
//!   under-estimated) counts.
//!
//! ## Determinism
//! Hashing is fixed (no per-process seed) and no result depends on hash-map
//! iteration order: the report is a function of the sequence of texts, how
//! they are cut into chunks, and the order in which parts are merged. The
//! pipeline merges in file order, so output is identical for any thread count.
//! When `max_count_error == 0` (no token was ever dropped) the report does
//! not even depend on the chunking or the merge order; once the summary has
//! had to drop tokens, a different chunking may give slightly different
//! (equally bounded) counts.

mod heavy;
pub mod hll;
pub mod tokens;
pub mod zipf;

use serde::Serialize;

use heavy::{ChunkTable, Mg, Probe};
use hll::Hll;
use tokens::{TokenSink, MAX_TOKEN_BYTES};

pub use zipf::{bias_signal, BiasSignal, ZipfFit, ZIPF_MAX_RANKS};

/// Default number of counters of the heavy-hitters summary.
pub const DEFAULT_CAPACITY: usize = 1 << 16;
/// Largest accepted capacity (keeps string-arena offsets well within 32 bits).
pub const MAX_CAPACITY: usize = 1 << 22;
/// Number of top tokens listed in the report.
pub const TOP_TOKENS: usize = 20;
/// The `method` string of [`CounterBounds`].
pub const METHOD: &str =
    "misra-gries mergeable summary (counts) + hyperloglog p=14 (vocabulary_size)";

fn check_capacity(capacity: usize) -> usize {
    assert!(
        (1..=MAX_CAPACITY).contains(&capacity),
        "vocabulary capacity {capacity} out of range 1..={MAX_CAPACITY}"
    );
    capacity
}

/// Per-thread tokenising and counting scratch, reused across chunks.
#[derive(Debug, Clone)]
pub struct VocabCounter {
    table: ChunkTable,
    /// What was spilled from the table during the current chunk.
    pending: Option<Mg>,
    hll: Hll,
    total: u64,
    capacity: usize,
    spills: u64,
}

impl Default for VocabCounter {
    fn default() -> Self {
        Self::new()
    }
}

impl VocabCounter {
    /// A counter whose parts have [`DEFAULT_CAPACITY`] entries at most.
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    /// A counter whose per-chunk table holds at most `capacity` distinct
    /// tokens and whose parts hold at most `capacity` entries. Use the same
    /// capacity as the [`VocabSummary`].
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = check_capacity(capacity);
        VocabCounter {
            table: ChunkTable::new(capacity),
            pending: None,
            hll: Hll::default(),
            total: 0,
            capacity,
            spills: 0,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Distinct tokens currently in the per-chunk table (never above
    /// [`VocabCounter::capacity`]).
    pub fn table_distinct(&self) -> usize {
        self.table.distinct()
    }

    /// How many times a table filled up and was spilled mid-chunk (lifetime
    /// total; diagnostic).
    pub fn spills(&self) -> u64 {
        self.spills
    }

    /// Tokens added since the last [`VocabCounter::finish_chunk`].
    pub fn chunk_tokens(&self) -> u64 {
        self.total
    }

    /// Heap bytes held (vector capacities), never above
    /// [`VocabCounter::heap_bound`].
    pub fn heap_bytes(&self) -> usize {
        self.table.heap_bytes()
            + self.hll.registers()
            + self.pending.as_ref().map_or(0, |p| p.heap_bytes())
    }

    /// A worst-case bound of [`VocabCounter::heap_bytes`] for `capacity`,
    /// whatever the corpus: the table, the 16 KiB HyperLogLog and a spill
    /// summary. For the default capacity the bound is about 50 MiB; measured
    /// peaks are 11 MiB for 5 million distinct short tokens and 18 MiB for a
    /// million distinct 64-byte tokens (an ordinary corpus: well under 1 MiB).
    pub fn heap_bound(capacity: usize) -> usize {
        ChunkTable::heap_bound(capacity) + (1 << hll::DEFAULT_PRECISION) + Mg::heap_bound(capacity)
    }

    /// Tokenises `text` and counts its tokens; returns the number of
    /// characters in `text` (counted in the same pass, for the token
    /// estimate). Allocates nothing per token.
    pub fn add_text(&mut self, text: &str) -> u64 {
        if self.table.slots() < PREFETCH_MIN_SLOTS {
            // A small table stays in cache: count each token as it is found.
            return tokens::tokenize(text, self);
        }
        let mut batch = Batch {
            counter: self,
            text: text.as_bytes(),
            items: [(0, 0, 0); BATCH],
            n: 0,
        };
        let chars = tokens::tokenize(text, &mut batch);
        batch.flush();
        chars
    }

    /// The bounded summary of everything added since the previous call; the
    /// counter is reset and ready for the next chunk.
    pub fn finish_chunk(&mut self) -> VocabPart {
        if std::env::var("VDBG").is_ok() {
            eprintln!(
                "slots {} distinct {} tokens {}",
                self.table.slots(),
                self.table.distinct(),
                self.total
            );
        }
        let mg = self.table.drain(self.capacity, &mut self.hll);
        let mg = match self.pending.take() {
            None => mg,
            Some(mut p) => {
                p.merge(mg, self.capacity);
                p.tighten();
                p
            }
        };
        let hll = std::mem::take(&mut self.hll);
        VocabPart {
            mg,
            hll,
            total: std::mem::take(&mut self.total),
        }
    }

    #[cold]
    #[inline(never)]
    fn spill(&mut self) {
        self.spills += 1;
        let mg = self.table.drain(self.capacity, &mut self.hll);
        match &mut self.pending {
            None => self.pending = Some(mg),
            Some(p) => p.merge(mg, self.capacity),
        }
    }

    #[inline(always)]
    fn count(&mut self, hash: u64, display: &[u8], fold: bool) {
        self.total += 1;
        if self.table.tokens() >= ChunkTable::MAX_TOKENS {
            self.spill();
        }
        if let Probe::Vacant(mut slot) = self.table.probe(hash) {
            if self.table.is_full() {
                self.spill();
                slot = match self.table.probe(hash) {
                    Probe::Vacant(s) => s,
                    Probe::Counted => unreachable!("empty table"),
                };
            }
            self.table.insert(slot, hash, display, fold);
        }
    }
}

/// Tables of at least this many slots (512 KiB) are probed in batches.
const PREFETCH_MIN_SLOTS: usize = 1 << 15;

/// With a large table, ASCII tokens are counted in small batches: each token's home slot is
/// prefetched when the tokeniser finds it and probed a few tokens later, so
/// the table's cache misses overlap instead of stalling one by one.
const BATCH: usize = 16;

struct Batch<'a> {
    counter: &'a mut VocabCounter,
    text: &'a [u8],
    /// (hash, start, end) of pending ASCII tokens in `text`.
    items: [(u64, usize, usize); BATCH],
    n: usize,
}

impl Batch<'_> {
    #[inline(always)]
    fn flush(&mut self) {
        for &(hash, s, e) in &self.items[..self.n] {
            let raw = &self.text[s..e];
            let display = &raw[..raw.len().min(MAX_TOKEN_BYTES)];
            self.counter.count(hash, display, true);
        }
        self.n = 0;
    }
}

impl TokenSink for VocabCounter {
    #[inline(always)]
    fn ascii_token(&mut self, hash: u64, raw: &[u8]) {
        let display = &raw[..raw.len().min(MAX_TOKEN_BYTES)];
        self.count(hash, display, true);
    }

    #[inline(always)]
    fn unicode_token(&mut self, hash: u64, lower: &[u8]) {
        self.count(hash, lower, false);
    }
}

impl TokenSink for Batch<'_> {
    #[inline(always)]
    fn ascii_token(&mut self, hash: u64, raw: &[u8]) {
        self.counter.table.prefetch(hash);
        let s = raw.as_ptr() as usize - self.text.as_ptr() as usize;
        self.items[self.n] = (hash, s, s + raw.len());
        self.n += 1;
        if self.n == BATCH {
            self.flush();
        }
    }

    #[inline(always)]
    fn unicode_token(&mut self, hash: u64, lower: &[u8]) {
        self.flush();
        self.counter.count(hash, lower, false);
    }
}

/// The bounded result of one chunk: at most `capacity` token counters, the
/// chunk's HyperLogLog and its exact token count.
#[derive(Debug, Clone)]
pub struct VocabPart {
    mg: Mg,
    hll: Hll,
    total: u64,
}

impl VocabPart {
    /// Tokens counted in the chunk (exact).
    pub fn total_tokens(&self) -> u64 {
        self.total
    }

    /// Counters held.
    pub fn len(&self) -> usize {
        self.mg.len()
    }

    pub fn is_empty(&self) -> bool {
        self.mg.len() == 0
    }

    /// Maximum under-count of any token in this part.
    pub fn max_count_error(&self) -> u64 {
        self.mg.error()
    }
}

/// A [`VocabSummary`] as a scan state stores it (`--state`): the counters,
/// their tokens, the error bound and the HyperLogLog registers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct VocabState {
    pub capacity: usize,
    pub total: u64,
    pub error: u64,
    /// (hash, count, token length) per counter, in hash order.
    pub counters: Vec<[u64; 3]>,
    /// The counters' tokens, concatenated, base64.
    pub tokens: String,
    pub hll_precision: u32,
    /// The HyperLogLog registers, base64.
    pub hll_registers: String,
}

/// The global vocabulary summary: bounded, mergeable.
#[derive(Debug, Clone)]
pub struct VocabSummary {
    mg: Mg,
    hll: Hll,
    total: u64,
    capacity: usize,
}

impl Default for VocabSummary {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl VocabSummary {
    /// A summary of at most `capacity` counters (`1..=MAX_CAPACITY`).
    pub fn new(capacity: usize) -> Self {
        VocabSummary {
            mg: Mg::default(),
            hll: Hll::default(),
            total: 0,
            capacity: check_capacity(capacity),
        }
    }

    /// Adds a part. Merge parts in a fixed order (file order) for
    /// reproducible output.
    pub fn merge(&mut self, part: VocabPart) {
        self.mg.merge(part.mg, self.capacity);
        self.hll.merge(&part.hll);
        self.total += part.total;
    }

    /// The summary as a scan state stores it.
    pub fn to_state(&self) -> VocabState {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let (counters, tokens, error) = self.mg.export();
        VocabState {
            capacity: self.capacity,
            total: self.total,
            error,
            counters,
            tokens: b64.encode(tokens),
            hll_precision: self.hll.precision(),
            hll_registers: b64.encode(self.hll.register_bytes()),
        }
    }

    /// The summary a state holds; an error names what does not fit.
    pub fn from_state(s: &VocabState) -> Result<VocabSummary, String> {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let bad = |what: &str| format!("the vocabulary summary's {what} is damaged");
        if !(1..=MAX_CAPACITY).contains(&s.capacity) {
            return Err(bad("capacity"));
        }
        let tokens = b64.decode(&s.tokens).map_err(|_| bad("token list"))?;
        let regs = b64
            .decode(&s.hll_registers)
            .map_err(|_| bad("HyperLogLog"))?;
        Ok(VocabSummary {
            mg: Mg::import(&s.counters, tokens, s.error).ok_or_else(|| bad("counter list"))?,
            hll: Hll::from_registers(s.hll_precision, &regs).ok_or_else(|| bad("HyperLogLog"))?,
            total: s.total,
            capacity: s.capacity,
        })
    }

    /// Adds another summary (e.g. from another shard), as if it were a part.
    pub fn merge_summary(&mut self, other: &VocabSummary) {
        self.mg.merge(other.mg.clone(), self.capacity);
        self.hll.merge(&other.hll);
        self.total += other.total;
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Counters held; never above [`VocabSummary::capacity`] after a merge.
    pub fn len(&self) -> usize {
        self.mg.len()
    }

    pub fn is_empty(&self) -> bool {
        self.mg.len() == 0
    }

    pub fn total_tokens(&self) -> u64 {
        self.total
    }

    /// Heap bytes held (vector capacities), never above
    /// [`VocabSummary::heap_bound`].
    pub fn heap_bytes(&self) -> usize {
        self.mg.heap_bytes() + self.hll.registers()
    }

    /// A worst-case bound of [`VocabSummary::heap_bytes`] for `capacity`.
    pub fn heap_bound(capacity: usize) -> usize {
        Mg::heap_bound(capacity) + (1 << hll::DEFAULT_PRECISION)
    }

    /// Maximum under-count of any reported token count (see the module docs).
    pub fn max_count_error(&self) -> u64 {
        self.mg.error()
    }

    /// The summary's count of `token` (lower-cased), 0 if absent. At most
    /// [`VocabSummary::max_count_error`] below the true count.
    pub fn count(&self, token: &str) -> u64 {
        self.mg.get(tokens::token_hash(token.as_bytes()))
    }

    /// `vocabulary_size` and its relative standard error: exact when no token
    /// was ever dropped, otherwise the HyperLogLog estimate (rounded).
    pub fn vocabulary_size(&self) -> (u64, f64) {
        if self.mg.error() == 0 {
            (self.mg.len() as u64, 0.0)
        } else {
            (
                self.hll.estimate().round() as u64,
                self.hll.relative_std_error(),
            )
        }
    }

    /// The `n` most frequent tokens, ordered by count (descending), then
    /// token string, then hash: a total order, so ties are deterministic.
    pub fn top(&self, n: usize) -> Vec<(String, u64)> {
        self.sorted_prefix(n)
            .into_iter()
            .map(|e| {
                let s = String::from_utf8_lossy(self.mg.token(&e)).into_owned();
                (s, e.count)
            })
            .collect()
    }

    fn sorted_prefix(&self, n: usize) -> Vec<heavy::Entry> {
        let mut v: Vec<heavy::Entry> = self.mg.entries().to_vec();
        let cmp = |a: &heavy::Entry, b: &heavy::Entry| {
            b.count
                .cmp(&a.count)
                .then_with(|| self.mg.token(a).cmp(self.mg.token(b)))
                .then_with(|| a.hash.cmp(&b.hash))
        };
        if n < v.len() {
            v.select_nth_unstable_by(n, cmp);
            v.truncate(n);
        }
        v.sort_unstable_by(cmp);
        v
    }

    /// The Zipf report of everything merged so far.
    pub fn finish(&self) -> ZipfReport {
        let ranked = self.sorted_prefix(ZIPF_MAX_RANKS.max(TOP_TOKENS));
        let counts: Vec<u64> = ranked.iter().map(|e| e.count).collect();
        let f = zipf::fit(&counts);
        let (vocabulary_size, rse) = self.vocabulary_size();
        let top_token_ratio = match counts.first() {
            Some(&c) if self.total > 0 => c as f64 / self.total as f64,
            _ => 0.0,
        };
        ZipfReport {
            exponent: f.exponent,
            r2: f.r2,
            ranks_fitted: f.ranks_fitted,
            log_intercept: f.log_intercept,
            rank_frequency: rank_sample(f.ranks_fitted)
                .map(|r| (r, counts[r - 1]))
                .collect(),
            vocabulary_size,
            total_tokens: self.total,
            top_token_ratio,
            top_tokens: ranked
                .iter()
                .take(TOP_TOKENS)
                .map(|e| {
                    let s = String::from_utf8_lossy(self.mg.token(e)).into_owned();
                    (s, e.count)
                })
                .collect(),
            counter: CounterBounds {
                method: METHOD,
                capacity: self.capacity,
                max_count_error: self.mg.error(),
                vocabulary_size_relative_std_error: rse,
            },
        }
    }
}

/// Ranks `1..=n` thinned to about 60 spread evenly on a log scale, always
/// with the first and the last.
fn rank_sample(n: usize) -> impl Iterator<Item = usize> {
    let mut last = 0usize;
    let step = (n.max(2) as f64).ln() / 60.0;
    (0..=60).filter_map(move |i| {
        if n == 0 {
            return None;
        }
        let r = if i == 60 {
            n
        } else {
            ((i as f64 * step).exp().round() as usize).clamp(1, n)
        };
        (r > last).then(|| {
            last = r;
            r
        })
    })
}

#[cfg(test)]
#[test]
fn rank_samples_are_increasing_and_span_the_fit() {
    assert_eq!(rank_sample(0).count(), 0);
    assert_eq!(rank_sample(1).collect::<Vec<_>>(), [1]);
    assert_eq!(rank_sample(5).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    let r: Vec<usize> = rank_sample(1000).collect();
    assert_eq!((r[0], r[r.len() - 1]), (1, 1000));
    assert!(
        r.windows(2).all(|w| w[0] < w[1]) && r.len() <= 61 && r.len() > 40,
        "{r:?}"
    );
}

/// Vocabulary statistics of a scan.
///
/// * `exponent`, `r2`, `ranks_fitted`: least squares of ln(count) on ln(rank)
///   over the `min(1000, distinct)` most frequent tokens; `exponent` is minus
///   the slope. With fewer than 2 ranks, or all counts equal, `exponent` and
///   `r2` are 0 (not meaningful).
/// * `vocabulary_size`: distinct tokens (exact or estimated, see `counter`).
/// * `total_tokens`: tokens counted (exact).
/// * `top_token_ratio`: count of the most frequent token / `total_tokens`
///   (0 when there are no tokens).
/// * `top_tokens`: up to 20 (token, count), by count descending then token;
///   tokens longer than 64 bytes are shown truncated to 64 bytes.
/// * `counter`: how the counts were bounded and their error bounds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZipfReport {
    pub exponent: f64,
    pub r2: f64,
    pub ranks_fitted: usize,
    /// `a` of the fitted line `ln(count) = a - exponent * ln(rank)`.
    pub log_intercept: f64,
    /// `(rank, count)` at about 60 ranks spread evenly on a log scale over
    /// the fitted ranks (all of them below 20): enough to draw the
    /// rank-frequency curve, small enough for any report.
    pub rank_frequency: Vec<(usize, u64)>,
    pub vocabulary_size: u64,
    pub total_tokens: u64,
    pub top_token_ratio: f64,
    pub top_tokens: Vec<(String, u64)>,
    pub counter: CounterBounds,
}

/// How the vocabulary counts were bounded.
///
/// * `method`: the algorithms ([`METHOD`]).
/// * `capacity`: counters in the heavy-hitters summary (`k`).
/// * `max_count_error`: every reported count `c` of a token with true count
///   `f` satisfies `f - max_count_error <= c <= f`; any token with
///   `f > max_count_error` is reported when in the top ranks. Always
///   `<= total_tokens / (k + 1)`; 0 means exact counts.
/// * `vocabulary_size_relative_std_error`: 0 when `vocabulary_size` is exact
///   (`max_count_error == 0`), else the HyperLogLog's `1.04 / sqrt(2^14)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CounterBounds {
    pub method: &'static str,
    pub capacity: usize,
    pub max_count_error: u64,
    pub vocabulary_size_relative_std_error: f64,
}

#[cfg(test)]
mod tests;
