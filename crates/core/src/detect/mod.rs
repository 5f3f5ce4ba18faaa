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

    /// Many values at once, laid end to end in `hay` at `spans` (sorted,
    /// disjoint byte ranges, as a chunk holds them; the scanner checks):
    /// `marks` gets one [`Mark`] per span. [`Mark::QUIET`] only where
    /// [`Engine::candidates`] and [`Engine::locate`] would report nothing
    /// for that value (no anchor in it), so the scanner passes it over
    /// without a call; other marks are handed back to
    /// [`Engine::locate_marked`] for that value. The default marks every
    /// value [`Mark::UNKNOWN`]; an engine overrides it where one pass over
    /// the values' bytes decides more cheaply than a call each.
    fn screen(
        &self,
        hay: &[u8],
        spans: &dyn Spans,
        scratch: &mut EngineScratch,
        marks: &mut Vec<u8>,
    ) {
        let _ = (hay, scratch);
        marks.clear();
        marks.resize(spans.count(), Mark::UNKNOWN);
    }

    /// [`Engine::locate`] for a value this engine's [`Engine::screen`]
    /// marked `mark` (never [`Mark::QUIET`]): an engine may skip what the
    /// mark rules out. The default ignores it.
    fn locate_marked(
        &self,
        hay: &[u8],
        mark: u8,
        scratch: &mut EngineScratch,
        ends: &mut MatchEnds<'_>,
    ) -> bool {
        let _ = mark;
        self.locate(hay, scratch, ends)
    }
}

/// What an engine's [`Engine::screen`] knows of one value, as bits.
#[derive(Debug, Clone, Copy)]
pub struct Mark;

impl Mark {
    /// No anchor at all: nothing can be found in the value.
    pub const QUIET: u8 = 0;
    /// It may hold single-byte anchors (a digit, an `@`).
    pub const BYTES: u8 = 1;
    /// It may hold a multi-byte anchor (a literal such as `AKIA`, `ssn`).
    pub const LITERALS: u8 = 2;
    /// Not looked at: anything may be there.
    pub const UNKNOWN: u8 = Mark::BYTES | Mark::LITERALS;
}

/// The byte ranges of many values laid end to end in one buffer (a
/// chunk's values in its text), read in place: a table chunk holds
/// hundreds of thousands of values, and a copy of their ranges would cost
/// megabytes per thread.
pub trait Spans {
    fn count(&self) -> usize;
    /// The byte range `(start, end)` of value `i` (`i < count()`).
    fn span(&self, i: usize) -> (usize, usize);
}

impl Spans for [(usize, usize)] {
    fn count(&self) -> usize {
        self.len()
    }
    fn span(&self, i: usize) -> (usize, usize) {
        self.get(i).copied().unwrap_or((0, 0))
    }
}

impl Spans for Vec<(usize, usize)> {
    fn count(&self) -> usize {
        self.len()
    }
    fn span(&self, i: usize) -> (usize, usize) {
        self.as_slice().span(i)
    }
}

impl Spans for [crate::chunk::TextValue] {
    fn count(&self) -> usize {
        self.len()
    }
    fn span(&self, i: usize) -> (usize, usize) {
        self.get(i)
            .map_or((0, 0), |v| (v.start as usize, v.end as usize))
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
    /// Unique per scanner built in this process: a [`Memo`] filled by one
    /// scanner is not trusted by another.
    id: u64,
}

/// The next [`Scanner::id`].
static SCANNER_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

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
    /// Per value of a [`Scanner::scan_many`] call: its [`Mark`].
    marks: Vec<u8>,
    found: Vec<Finding>,
    memo: Memo,
}

/// Short values recently scanned without a finding, per thread: a table's
/// columns repeat their values (ratings, flags, counts, dates, currency
/// codes), and a scan's findings depend on the value's text alone, so a
/// value seen here needs no second scan. Direct-mapped, a fixed
/// [`MEMO_SLOTS`] × 32 bytes; a slot holds the whole text (no hash is
/// trusted), so a collision only costs a scan.
#[derive(Debug, Clone)]
struct Memo {
    /// The [`Scanner::id`] whose scans filled it (0: none yet).
    owner: u64,
    /// Byte 0: the length (0: empty slot); then the text.
    slots: Vec<[u8; 32]>,
}

const MEMO_SLOTS: usize = 4096;
/// Longest value kept in the memo.
const MEMO_MAX: usize = 31;

impl Default for Memo {
    fn default() -> Memo {
        Memo {
            owner: 0,
            slots: vec![[0u8; 32]; MEMO_SLOTS],
        }
    }
}

impl Memo {
    /// Empties the memo unless `scanner` filled it.
    fn own(&mut self, scanner: u64) {
        if self.owner != scanner {
            self.slots.iter_mut().for_each(|s| s[0] = 0);
            self.owner = scanner;
        }
    }

    fn slot(v: &[u8]) -> usize {
        // FxHash-style: words folded by rotate, xor and multiply.
        let mut h = v.len() as u64;
        for w in v.chunks(8) {
            let mut b = [0u8; 8];
            b[..w.len()].copy_from_slice(w);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
        (h >> 52) as usize % MEMO_SLOTS
    }

    /// Whether `v` is known to hold no finding.
    fn known(&self, v: &[u8]) -> bool {
        if v.is_empty() || v.len() > MEMO_MAX {
            return false;
        }
        let s = &self.slots[Memo::slot(v)];
        usize::from(s[0]) == v.len() && &s[1..=v.len()] == v
    }

    fn insert(&mut self, v: &[u8]) {
        if v.is_empty() || v.len() > MEMO_MAX {
            return;
        }
        let s = &mut self.slots[Memo::slot(v)];
        s[0] = v.len() as u8;
        s[1..=v.len()].copy_from_slice(v);
    }
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
            id: SCANNER_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
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
            marks: Vec::new(),
            found: Vec::new(),
            memo: Memo::default(),
        }
    }

    /// [`Scanner::scan`] over many values laid end to end in `text` (a
    /// chunk's text buffer), at byte ranges `spans`: calls `found(i, value,
    /// findings)` for every value `i` with findings, in order, with exactly
    /// what `scan` gives for it (a span that is not a char range of `text`
    /// is scanned as ""). The engine first screens all the values at once
    /// ([`Engine::screen`]), so a value without any anchor costs a few
    /// nanoseconds instead of a call through the engine; short values
    /// already seen without a finding on this thread are not scanned again.
    pub fn scan_many<S: Spans + ?Sized>(
        &self,
        text: &str,
        spans: &S,
        scratch: &mut Scratch,
        mut found: impl FnMut(usize, &str, &[Finding]),
    ) {
        self.fix_scratch(scratch);
        scratch.memo.own(self.id);
        let mut marks = std::mem::take(&mut scratch.marks);
        let n = spans.count();
        let sorted = (0..n).all(|i| {
            let (s, e) = spans.span(i);
            s <= e && (i + 1 == n || e <= spans.span(i + 1).0)
        });
        if sorted {
            let dynamic: &dyn Spans = &Dyn(spans);
            self.engine
                .screen(text.as_bytes(), dynamic, &mut scratch.engine, &mut marks);
        }
        if !sorted || marks.len() != n {
            marks.clear();
            marks.resize(n, Mark::UNKNOWN);
        }
        let mut out = std::mem::take(&mut scratch.found);
        for (i, &mark) in marks.iter().enumerate() {
            if mark == Mark::QUIET {
                continue;
            }
            let (s, e) = spans.span(i);
            let v = text.get(s..e).unwrap_or("");
            if scratch.memo.known(v.as_bytes()) {
                continue;
            }
            self.scan_marked(v, mark, scratch, &mut out);
            if out.is_empty() {
                scratch.memo.insert(v.as_bytes());
            } else {
                found(i, v, &out);
            }
        }
        scratch.found = out;
        scratch.marks = marks;
    }

    /// All findings in one value after overlap resolution: a span is reported once, as its
    /// highest-priority validated type (ties: longer span, then lower detector index); output sorted by start.
    /// A finding at or above [`VALIDATED_PRIORITY`] ranks as high as the highest finding of another
    /// type wholly inside a shorter span of it: an IBAN beats the card its digits contain.
    ///
    /// `out` is cleared first. Findings never overlap each other.
    pub fn scan(&self, text: &str, scratch: &mut Scratch, out: &mut Vec<Finding>) {
        self.scan_marked(text, Mark::UNKNOWN, scratch, out);
    }

    /// [`Scanner::scan`] of a value the engine's screen marked `mark`.
    fn scan_marked(&self, text: &str, mark: u8, scratch: &mut Scratch, out: &mut Vec<Finding>) {
        out.clear();
        let text = clamp(text);
        if text.is_empty() {
            return;
        }
        self.fix_scratch(scratch);
        self.collect(text, mark, scratch);
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
    fn collect(&self, text: &str, mark: u8, scratch: &mut Scratch) {
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
            self.engine
                .locate_marked(text.as_bytes(), mark, engine, &mut ends)
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

/// A `?Sized` [`Spans`] seen as a trait object.
struct Dyn<'a, S: ?Sized>(&'a S);

impl<S: Spans + ?Sized> Spans for Dyn<'_, S> {
    fn count(&self) -> usize {
        self.0.count()
    }
    fn span(&self, i: usize) -> (usize, usize) {
        self.0.span(i)
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
