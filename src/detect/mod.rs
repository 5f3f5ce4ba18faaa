//! Detectors: patterns, validators and the engines that run them.
//!
//! A detector is *data* (one [`Detector`] entry in the table returned by
//! [`builtin`]): a regex that matches a maximal candidate, a validator that
//! confirms (and maybe trims) it, a normaliser, a placeholder and its own
//! examples. Finding things happens in two steps so that a second engine can
//! be added without changing a single finding:
//!
//! 1. an [`Engine`] answers "which patterns occur anywhere in this value?"
//!    (the default is one multi-pattern regex-automata DFA, see
//!    [`regex_engine`]; Hyperscan can answer the same question later);
//! 2. for each pattern that occurs, the detector's own regex finds exact
//!    spans and its validator confirms each one.
//!
//! Overlaps between detectors are resolved once, here ([`Scanner::scan`]),
//! so the report, the masker and the subject matcher all see the same spans.

pub mod context;
pub mod custom;
#[cfg(feature = "hyperscan")]
pub mod hyperscan_engine;
mod nibble;
pub mod regex_engine;
pub mod rules;
mod table;
mod teddy;
pub mod validators;
pub mod window;

use std::any::Any;
use std::ops::Range;

use regex_automata::meta;
use regex_automata::Input;

pub use regex_engine::RegexEngine;
pub use window::MatchEnds;
use window::{Reach, Windows};

/// What kind of thing a detector finds; reports and gates treat them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Pii,
    Secret,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Pii => "pii",
            Category::Secret => "secret",
        }
    }
}

/// One detector: everything `scour rules` prints and everything the scanner
/// needs, so documentation and behaviour cannot drift apart.
///
/// `pattern` matches a *candidate*: the maximal run of the type's characters
/// and separators. The pattern language has no look-around, so boundaries
/// (not glued to same-kind characters), separator consistency, context words,
/// checksums and entropy are all the validator's job. A validator returns
/// the span to report: usually the match itself, sometimes trimmed (a
/// trailing dot after an e-mail domain) or, for a few detectors whose
/// pattern is only an anchor (IBAN groups, PEM blocks), extended in code.
#[derive(Debug, Clone, Copy)]
pub struct Detector {
    /// Stable id, spelled as in the conformance README (e.g. `EMAIL`).
    pub id: &'static str,
    pub category: Category,
    pub description: &'static str,
    /// regex-automata syntax; must not match the empty string.
    pub pattern: &'static str,
    /// A looser pattern the multi-pattern engines (the regex engine's DFAs,
    /// Hyperscan) search instead of `pattern` (`None`: `pattern` itself). Every match of `pattern` must end with a
    /// match of it (`+86 138 ...` ends with `138 ...`): the DFA then reports
    /// every end the detector's regex can have, and that regex still
    /// decides what matches, in windows around those ends. Worth it where the first
    /// byte class is narrower than the ones after it (`[1-9][0-9]{10}`):
    /// an unanchored DFA must then remember which recent bytes could have
    /// started a match, up to 2^n states that keep its lazy cache growing
    /// and clearing on digit-dense text, where `[0-9]{11}` is a counter.
    pub dfa_pattern: Option<&'static str>,
    /// Literals one of which occurs in every value where this detector
    /// reports something (usually inside the match; for context-bound
    /// detectors, in a required context word). Without upper-case letters an
    /// anchor matches in any case. Engines may skip values without any
    /// anchor; an empty list means "no such literal" and disables that.
    pub anchors: &'static [&'static str],
    /// Context words the validator requires near a candidate (empty when it
    /// needs none). A leading or trailing `*` means the word may be glued to
    /// other letters on that side (`*ausweis` also matches `Personalausweis`).
    pub context: &'static [&'static str],
    pub validator: fn(&Candidate<'_>) -> Option<Range<usize>>,
    /// Human-readable name of what the validator checks, for `scour rules`.
    pub validator_name: &'static str,
    /// Canonical form for subject matching (e-mail lower-cased, digits only...).
    pub normaliser: fn(&str) -> String,
    /// Typed mask, e.g. `[EMAIL]`.
    pub placeholder: &'static str,
    pub regulations: &'static [&'static str],
    /// Higher wins when two detectors claim overlapping spans; from
    /// [`VALIDATED_PRIORITY`] up, a finding also outranks every finding of
    /// another type wholly inside it (see [`Scanner::scan`]).
    pub priority: u8,
    /// Texts that must produce a finding of this detector when it runs alone.
    pub examples: &'static [&'static str],
    /// Texts that must not.
    pub near_misses: &'static [&'static str],
}

impl Detector {
    /// Whether `anchor` is one of this detector's context words (or part of
    /// one) rather than a literal inside its matches: then an occurrence
    /// says "something may be found in this value", not where.
    pub fn anchor_is_context(&self, anchor: &str) -> bool {
        let a = anchor.to_lowercase();
        self.context
            .iter()
            .any(|w| w.trim_matches('*').to_lowercase().contains(&a))
    }

    /// Whether `anchor` is read in any case: a context word or key name
    /// without upper-case letters (`password` also in `DB_PASSWORD`) is;
    /// a literal of a case-sensitive pattern (`hf_`, `AKIA`) only as
    /// written, so that vendor prefixes stay selective and cheap to find.
    /// A pattern counts as case-insensitive when it turns on `(?i` anywhere.
    pub fn anchor_any_case(&self, anchor: &str) -> bool {
        anchor.bytes().any(|b| b.is_ascii_lowercase())
            && !anchor.bytes().any(|b| b.is_ascii_uppercase())
            && (self.anchor_is_context(anchor) || self.pattern.contains("(?i"))
    }

    /// Whether `anchor` occurs in `text` as the engines read it.
    pub fn anchor_occurs(&self, anchor: &str, text: &str) -> bool {
        if self.anchor_any_case(anchor) {
            text.to_ascii_lowercase().contains(anchor)
        } else {
            text.contains(anchor)
        }
    }
}

/// The priority from which a detector's findings are validated identifiers
/// (a check digit, a registry shape, a vendor format): such a finding ranks
/// at least as high as any finding of another type wholly inside it, so the
/// UnionPay-looking digits of a Faroese IBAN or the first 17 digits of a
/// resident id are reported as the identifier they belong to, not as a
/// card inside it. Below it (context-only ids, URLs, GENERIC_SECRET)
/// priority alone decides, as the table's explicit pairs ask: a vendor
/// token inside a quoted `password = "..."` value is still the vendor's.
pub const VALIDATED_PRIORITY: u8 = 60;

/// A regex match handed to a validator: the whole value (for boundaries and
/// context) and the byte span the pattern matched.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
}

impl<'a> Candidate<'a> {
    /// The matched text. Falls back to "" if the span is not on char
    /// boundaries, which a regex over `&str` never produces.
    pub fn value(&self) -> &'a str {
        self.text.get(self.start..self.end).unwrap_or("")
    }

    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    /// The character just before the match, if any.
    pub fn before(&self) -> Option<char> {
        context::char_before(self.text, self.start)
    }

    /// The character just after the match, if any.
    pub fn after(&self) -> Option<char> {
        context::char_after(self.text, self.end)
    }
}

/// One confirmed finding in one value: a detector (an index into
/// [`Scanner::detectors`]) and a byte span. Never the matched text itself, so
/// findings can be kept, sorted and merged without holding personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Finding {
    pub detector: u16,
    pub start: u32,
    pub end: u32,
}

impl Finding {
    pub fn range(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Why a scanner could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("detector {id}: its pattern does not compile: {source}; fix the pattern in the detector table or scour.toml")]
    Pattern {
        id: &'static str,
        #[source]
        source: Box<regex_automata::meta::BuildError>,
    },
    #[error("detector {id}: its pattern matches the empty string; a detector must match at least one character")]
    EmptyMatch { id: &'static str },
    #[error("{count} detectors given; at most {max} fit in a finding")]
    TooMany { count: usize, max: usize },
    #[error("{engine} engine: {message}")]
    Engine {
        engine: &'static str,
        message: String,
    },
}

/// The table of built-in detectors, in a fixed order (ids and findings refer
/// to positions in it, so new detectors are only ever appended to a group).
pub fn builtin() -> &'static [Detector] {
    table::builtin()
}

/// Answers the first question of a scan: which patterns occur in a value.
///
/// The contract is one-sided: `candidates` must report every pattern index
/// (the position of the detector in the list the engine was built from) that
/// has at least one match in `hay`, where `hay` also holds one of the
/// detector's anchors (as [`Detector::anchor_occurs`] reads them: without
/// one the detector reports nothing there); it may report more (a superset costs
/// time, never correctness, because each detector's own regex and validator
/// run afterwards), never fewer. Indices may be reported in any order and
/// more than once. The engine is shared by all threads; everything mutable
/// lives in the [`EngineScratch`] it hands out.
pub trait Engine: Send + Sync {
    /// Report every pattern index that has at least one match in `hay` and
    /// one of its anchors there (a superset is allowed, never a subset).
    fn candidates(&self, hay: &[u8], scratch: &mut EngineScratch, out: &mut Vec<u16>);
    fn name(&self) -> &'static str;
    /// Fresh per-thread state for [`Engine::candidates`].
    fn new_scratch(&self) -> EngineScratch;

    /// The richer answer, for engines that can give it: every pattern that
    /// occurs *and where its matches end*, reported into `ends` (same
    /// one-sided contract as `candidates`: every real `(pattern, end)`, maybe
    /// more). The scanner then searches each pattern only in windows around
    /// those ends instead of the whole value. Returns `false` when the
    /// engine cannot tell (the default), and the scanner uses
    /// [`Engine::candidates`] with whole-value searches.
    fn locate(&self, hay: &[u8], scratch: &mut EngineScratch, ends: &mut MatchEnds<'_>) -> bool {
        let _ = (hay, scratch, ends);
        false
    }
}

/// Per-thread mutable state of an [`Engine`], opaque to everyone else.
///
/// Each engine stores its own type inside and downcasts it back; an engine
/// handed a scratch it did not make must still answer correctly (the regex
/// engine then reports every pattern).
pub struct EngineScratch {
    inner: Box<dyn Any + Send>,
}

impl EngineScratch {
    pub fn new<T: Any + Send>(inner: T) -> EngineScratch {
        EngineScratch {
            inner: Box::new(inner),
        }
    }

    pub fn get_mut<T: Any + Send>(&mut self) -> Option<&mut T> {
        self.inner.downcast_mut::<T>()
    }
}

impl std::fmt::Debug for EngineScratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EngineScratch")
    }
}

/// The compiled detector set: one engine for "which patterns" and one regex
/// per detector for "where exactly". Built once, shared by every thread.
pub struct Scanner {
    detectors: Vec<&'static Detector>,
    regexes: Vec<meta::Regex>,
    /// Per detector: how far its matches reach from their ends (windows).
    reach: Vec<Reach>,
    engine: Box<dyn Engine>,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("detectors", &self.detectors.len())
            .field("engine", &self.engine.name())
            .finish()
    }
}

/// Per-thread reusable state for [`Scanner::scan`]: regex caches and buffers,
/// so the hot path allocates nothing per value.
#[derive(Debug)]
pub struct Scratch {
    engine: EngineScratch,
    caches: Vec<meta::Cache>,
    hits: Vec<u16>,
    raw: Vec<Finding>,
    order: Vec<(u8, u32)>,
    kept: Vec<(u32, u32)>,
    windows: Windows,
}

impl Scanner {
    /// Compiles the given detectors with the default (regex-automata) engine.
    pub fn new(detectors: Vec<&'static Detector>) -> Result<Scanner, DetectError> {
        let engine = RegexEngine::new(&detectors)?;
        Scanner::with_engine(detectors, Box::new(engine))
    }

    /// Compiles the per-detector regexes and pairs them with an engine that
    /// was built from the same detectors, in the same order.
    pub fn with_engine(
        detectors: Vec<&'static Detector>,
        engine: Box<dyn Engine>,
    ) -> Result<Scanner, DetectError> {
        if detectors.len() > usize::from(u16::MAX) {
            return Err(DetectError::TooMany {
                count: detectors.len(),
                max: usize::from(u16::MAX),
            });
        }
        let mut regexes = Vec::with_capacity(detectors.len());
        for d in &detectors {
            let re = meta::Regex::builder()
                .configure(
                    meta::Regex::config()
                        .which_captures(regex_automata::nfa::thompson::WhichCaptures::Implicit),
                )
                .build(d.pattern)
                .map_err(|e| DetectError::Pattern {
                    id: d.id,
                    source: Box::new(e),
                })?;
            if re.is_match("") {
                return Err(DetectError::EmptyMatch { id: d.id });
            }
            regexes.push(re);
        }
        let reach = detectors.iter().map(|d| Reach::of(d.pattern)).collect();
        Ok(Scanner {
            detectors,
            regexes,
            reach,
            engine,
        })
    }

    /// Every built-in detector with the default engine.
    pub fn builtin() -> Scanner {
        // The built-in table is compiled and tested as part of the test
        // suite, so failing here is a bug in this crate, not in any input.
        Scanner::new(builtin().iter().collect()).expect("built-in detectors compile")
    }

    pub fn detectors(&self) -> &[&'static Detector] {
        &self.detectors
    }

    /// The engine that answers "which patterns" (for logs and reports).
    pub fn engine_name(&self) -> &'static str {
        self.engine.name()
    }

    pub fn scratch(&self) -> Scratch {
        Scratch {
            engine: self.engine.new_scratch(),
            caches: self.regexes.iter().map(|r| r.create_cache()).collect(),
            hits: Vec::new(),
            raw: Vec::new(),
            order: Vec::new(),
            kept: Vec::new(),
            windows: Windows::default(),
        }
    }

    /// All findings in one value after overlap resolution: a span is reported once, as its
    /// highest-priority validated type (ties: longer span, then lower detector index); output sorted by start.
    /// A finding at or above [`VALIDATED_PRIORITY`] ranks as high as the highest finding of another
    /// type wholly inside a shorter span of it: an IBAN beats the card its digits contain.
    ///
    /// `out` is cleared first. Findings never overlap each other.
    pub fn scan(&self, text: &str, scratch: &mut Scratch, out: &mut Vec<Finding>) {
        out.clear();
        let text = clamp(text);
        if text.is_empty() {
            return;
        }
        self.fix_scratch(scratch);
        self.collect(text, scratch);
        if scratch.raw.is_empty() {
            return;
        }
        let Scratch {
            raw, order, kept, ..
        } = scratch;
        self.resolve(raw, order, kept, out);
    }

    /// Every detector's validated matches in `text` (a non-empty, clamped
    /// value), unsorted, into `scratch.raw`: the engine says which patterns
    /// occur and, if it can, where their matches end; each occurring
    /// detector's regex then runs in windows around those ends, or over the
    /// whole value.
    fn collect(&self, text: &str, scratch: &mut Scratch) {
        let Scratch {
            engine,
            caches,
            hits,
            raw,
            windows,
            ..
        } = scratch;
        raw.clear();
        let located = {
            let mut ends = MatchEnds::new(text.as_bytes(), &self.reach, windows);
            self.engine.locate(text.as_bytes(), engine, &mut ends)
        };
        if located {
            windows.finish();
            for &d in windows.touched() {
                let d = usize::from(d);
                if d < self.regexes.len() {
                    self.find_in(d, text, windows.of(d), &mut caches[d], raw);
                }
            }
            return;
        }
        hits.clear();
        self.engine.candidates(text.as_bytes(), engine, hits);
        hits.sort_unstable();
        hits.dedup();
        for &d in hits.iter() {
            let d = usize::from(d);
            if d < self.regexes.len() {
                self.find(d, text, &mut caches[d], raw);
            }
        }
    }

    /// One detector alone, no overlap resolution (what the conformance rows test).
    ///
    /// `out` is cleared first; findings are sorted by start and deduplicated.
    /// An index out of range yields no findings.
    pub fn scan_one(
        &self,
        detector: usize,
        text: &str,
        scratch: &mut Scratch,
        out: &mut Vec<Finding>,
    ) {
        out.clear();
        let text = clamp(text);
        if detector >= self.regexes.len() || text.is_empty() {
            return;
        }
        self.fix_scratch(scratch);
        self.find(detector, text, &mut scratch.caches[detector], out);
        out.sort_unstable();
        out.dedup();
    }

    /// A scratch made by another scanner would index the wrong caches;
    /// rebuild it rather than panic.
    fn fix_scratch(&self, scratch: &mut Scratch) {
        if scratch.caches.len() != self.regexes.len() {
            *scratch = self.scratch();
        }
    }

    /// Runs detector `d`'s regex over the whole value and validates each match.
    fn find(&self, d: usize, text: &str, cache: &mut meta::Cache, out: &mut Vec<Finding>) {
        self.find_in(d, text, &[(0, text.len())], cache, out);
    }

    /// Detector `d`'s matches inside `windows` (sorted, disjoint, together
    /// holding every match of the pattern; see [`window`]), each validated
    /// against the whole value. The same matches as a whole-value search:
    /// leftmost-first, each search restarting where the previous match
    /// ended, the haystack always the whole value.
    fn find_in(
        &self,
        d: usize,
        text: &str,
        windows: &[(usize, usize)],
        cache: &mut meta::Cache,
        out: &mut Vec<Finding>,
    ) {
        let validator = self.detectors[d].validator;
        self.matches_in(d, text, windows, cache, |start, end| {
            let cand = Candidate { text, start, end };
            if let Some(r) = validator(&cand) {
                if r.start < r.end && r.end <= text.len() {
                    if let (Ok(start), Ok(end), Ok(detector)) = (
                        u32::try_from(r.start),
                        u32::try_from(r.end),
                        u16::try_from(d),
                    ) {
                        out.push(Finding {
                            detector,
                            start,
                            end,
                        });
                    }
                }
            }
        });
    }

    /// The raw regex matches (candidates) of detector `d` inside `windows`,
    /// in order, before validation.
    fn matches_in(
        &self,
        d: usize,
        text: &str,
        windows: &[(usize, usize)],
        cache: &mut meta::Cache,
        mut each: impl FnMut(usize, usize),
    ) {
        let re = &self.regexes[d];
        let mut at = 0;
        for &(from, to) in windows {
            let to = to.min(text.len());
            at = at.max(from);
            while at < to {
                let input = Input::new(text).span(at..to);
                let Some(m) = re.search_with(cache, &input) else {
                    break;
                };
                each(m.start(), m.end());
                // Patterns never match empty (checked at build time), but a
                // zero-width step would loop forever, so step one char anyway.
                at = if m.end() > at {
                    m.end()
                } else {
                    next_char(text, at)
                };
            }
        }
    }

    /// Keeps, for each group of overlapping spans, the highest-ranked ones
    /// that do not overlap each other (ties: longer span, then lower detector
    /// index, then earlier start), and returns them sorted by start. A
    /// span's rank is its detector's priority, raised for a validated
    /// identifier to that of any other type's finding wholly inside it.
    fn resolve(
        &self,
        raw: &mut Vec<Finding>,
        order: &mut Vec<(u8, u32)>,
        kept: &mut Vec<(u32, u32)>,
        out: &mut Vec<Finding>,
    ) {
        raw.sort_unstable_by_key(|f| (f.start, f.end, f.detector));
        raw.dedup();
        let mut i = 0;
        while i < raw.len() {
            // A cluster: spans linked by overlap, found by a sweep on start.
            let mut j = i + 1;
            let mut reach = raw[i].end;
            while j < raw.len() && raw[j].start < reach {
                reach = reach.max(raw[j].end);
                j += 1;
            }
            if j == i + 1 {
                out.push(raw[i]);
            } else {
                self.resolve_cluster(&raw[i..j], order, kept, out);
            }
            i = j;
        }
        out.sort_unstable_by_key(|f| (f.start, f.end, f.detector));
    }

    /// `cluster` is sorted by (start, end, detector), as `resolve` leaves
    /// it, so the findings inside one start in a run after a binary search.
    fn resolve_cluster(
        &self,
        cluster: &[Finding],
        order: &mut Vec<(u8, u32)>,
        kept: &mut Vec<(u32, u32)>,
        out: &mut Vec<Finding>,
    ) {
        let priority = |f: &Finding| {
            self.detectors
                .get(usize::from(f.detector))
                .map_or(0, |d| d.priority)
        };
        order.clear();
        for (k, outer) in cluster.iter().enumerate() {
            let mut rank = priority(outer);
            if rank >= VALIDATED_PRIORITY {
                // Findings inside `outer` start in [outer.start, outer.end).
                let from = cluster.partition_point(|f| f.start < outer.start);
                for inner in cluster[from..].iter().take_while(|f| f.start < outer.end) {
                    if inner.detector != outer.detector
                        && inner.end <= outer.end
                        && inner.end - inner.start < outer.end - outer.start
                    {
                        rank = rank.max(priority(inner));
                    }
                }
            }
            order.push((rank, k as u32));
        }
        order.sort_unstable_by_key(|&(rank, k)| {
            let f = &cluster[k as usize];
            (
                std::cmp::Reverse(rank),
                std::cmp::Reverse(f.end - f.start),
                f.detector,
                f.start,
            )
        });
        // `kept` holds accepted spans sorted by start; they never overlap, so
        // a candidate only needs checking against its two neighbours.
        kept.clear();
        for &(_, k) in order.iter() {
            let f = cluster[k as usize];
            let pos = kept.partition_point(|&(s, _)| s < f.start);
            let clash_prev = pos > 0 && kept[pos - 1].1 > f.start;
            let clash_next = pos < kept.len() && kept[pos].0 < f.end;
            if !clash_prev && !clash_next {
                kept.insert(pos, (f.start, f.end));
                out.push(f);
            }
        }
    }
}

/// Findings carry u32 offsets; a value beyond 4 GiB is scanned up to there.
fn clamp(text: &str) -> &str {
    if text.len() <= u32::MAX as usize {
        return text;
    }
    let mut end = u32::MAX as usize;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn next_char(text: &str, at: usize) -> usize {
    text.get(at..)
        .and_then(|s| s.chars().next())
        .map_or(text.len(), |c| at + c.len_utf8())
}

#[cfg(test)]
mod differential;
#[cfg(test)]
mod tests;
