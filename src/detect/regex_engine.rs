//! The default [`Engine`]: regex-automata lazy DFAs over the detector
//! patterns with `MatchKind::All`, asked "which patterns match, and where do
//! their matches end?".
//!
//! `MatchKind::All` with a hand-rolled overlapping walk is what makes one
//! pass answer for many patterns at once (leftmost-first would hide a
//! pattern whose match starts inside another's); every match state the walk
//! enters names the patterns that have a match ending there. Lazy DFAs are
//! linear in the haystack, so no value, however hostile, costs more than a
//! constant number of passes.
//!
//! Two things keep the pass cheap:
//!
//! * **Regions.** Every match contains one of its detector's anchors (a
//!   digit, `@`, `AKIA`, ...). A byte-table scan (single-byte anchors) and an
//!   Aho-Corasick search (longer ones) find them, and each anchor only needs
//!   the DFA over the bytes a match containing it can cover: the pattern's
//!   maximum length either side for bounded patterns, the run of bytes an
//!   unbounded pattern can consume otherwise (see [`super::window`]). Prose
//!   with a number every few hundred bytes is walked over a tenth of its
//!   bytes; a value without anchors is not walked at all (the old "gate").
//! * **Groups.** One DFA over all ~40 patterns is small on prose but its
//!   states multiply on digit-dense text (every pattern counts digits its
//!   own way, and the product of those counters does not fit any cache: the
//!   lazy DFA then thrashes or gives up). Short regions use the all-pattern
//!   DFA; long ones (tables of numbers, hex dumps) use a few DFAs over small
//!   groups of patterns, each of which stays small.
//!
//! Neither changes a finding: regions only skip bytes no match can touch,
//! and both modes report every match end.

use aho_corasick::AhoCorasick;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::{meta, Input, MatchKind};

use super::window::{ByteSet, Reach, RunMemo};
use super::{DetectError, Detector, Engine, EngineScratch, MatchEnds};

/// Regions longer than this use the group DFAs.
const HEAVY: usize = 256;
/// Patterns per group DFA.
const GROUP: usize = 4;
/// Lazy-DFA cache limits (per thread; memory is only used as states appear).
const ALL_CACHE: usize = 16 << 20;
const GROUP_CACHE: usize = 4 << 20;

/// Lazy DFAs over the detector patterns, plus the anchor gate that finds
/// the regions worth walking.
#[derive(Debug)]
pub struct RegexEngine {
    all: DFA,
    groups: Vec<Group>,
    gate: Option<Gate>,
    patterns: usize,
    /// Regions longer than this use the group DFAs.
    heavy: usize,
}

/// One group DFA: its pattern `i` is detector `members[i]`.
#[derive(Debug)]
struct Group {
    dfa: DFA,
    members: Vec<usize>,
}

/// How far a match containing an anchor can reach from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct AnchorReach {
    /// Bytes either side (the longest bounded pattern with this anchor).
    bounded: usize,
    /// Index into [`Gate::runs`]: the bytes unbounded patterns can consume.
    run: Option<usize>,
    /// The anchor is a context word, not part of the match: the match can
    /// be anywhere in the value.
    whole: bool,
}

/// What an anchor's occurrence says about where matches are.
#[derive(Debug, Clone, Default)]
struct Slot {
    bounded: usize,
    run: Option<ByteSet>,
    whole: bool,
}

impl Slot {
    fn is_empty(&self) -> bool {
        self.bounded == 0 && self.run.is_none() && !self.whole
    }

    fn widen(&mut self, r: &Reach, context: bool) {
        if context {
            self.whole = true;
            return;
        }
        match r {
            Reach::Bounded(n) => self.bounded = self.bounded.max(*n),
            Reach::Run(set) => self.run.get_or_insert_with(ByteSet::empty).union(set),
            Reach::Whole => self.whole = true,
        }
    }
}

/// Where matches can be, from anchors alone. Exists only when every
/// detector declares anchors (one of which each of its matches contains)
/// and has no look-around; otherwise values are walked whole.
#[derive(Debug)]
struct Gate {
    /// Per byte: 0, or 1 + an index into `classes` for single-byte anchors.
    byte_class: [u8; 256],
    classes: Vec<AnchorReach>,
    /// Multi-byte anchors, one automaton per (any case, context) kind; one
    /// reach for all of an automaton's literals, because a leftmost-first
    /// search can hide an overlapping occurrence of another.
    literals: Vec<(AhoCorasick, AnchorReach)>,
    runs: Vec<ByteSet>,
}

impl Gate {
    fn new(detectors: &[&'static Detector]) -> Option<Gate> {
        let reach: Vec<Reach> = detectors.iter().map(|d| Reach::of(d.pattern)).collect();
        let mut per_byte: Vec<Slot> = vec![Slot::default(); 256];
        // Multi-byte anchors by kind: [exact, any case] x [in match, context].
        let mut kinds: [(Slot, Vec<&str>); 4] = Default::default();
        for (d, r) in detectors.iter().zip(&reach) {
            if d.anchors.is_empty() || d.anchors.iter().any(|a| a.is_empty()) {
                return None;
            }
            if matches!(r, Reach::Whole) {
                return None;
            }
            for a in d.anchors {
                let context = d.anchor_is_context(a);
                match a.as_bytes() {
                    [b] => {
                        per_byte[usize::from(*b)].widen(r, context);
                        if Detector::anchor_any_case(a) {
                            per_byte[usize::from(b.to_ascii_uppercase())].widen(r, context);
                        }
                    }
                    _ => {
                        let k =
                            usize::from(Detector::anchor_any_case(a)) * 2 + usize::from(context);
                        kinds[k].0.widen(r, context);
                        kinds[k].1.push(*a);
                    }
                }
            }
        }
        let mut runs: Vec<ByteSet> = Vec::new();
        let mut intern = |slot: Slot| AnchorReach {
            bounded: slot.bounded,
            run: slot
                .run
                .map(|set| match runs.iter().position(|r| *r == set) {
                    Some(i) => i,
                    None => {
                        runs.push(set);
                        runs.len() - 1
                    }
                }),
            whole: slot.whole,
        };
        let mut byte_class = [0u8; 256];
        let mut classes: Vec<AnchorReach> = Vec::new();
        for (b, slot) in per_byte.into_iter().enumerate() {
            if slot.is_empty() {
                continue;
            }
            let r = intern(slot);
            let k = match classes.iter().position(|c| *c == r) {
                Some(k) => k,
                None => {
                    classes.push(r);
                    classes.len() - 1
                }
            };
            byte_class[b] = u8::try_from(k + 1).ok()?;
        }
        let mut literals = Vec::new();
        for (k, (slot, lits)) in kinds.into_iter().enumerate() {
            if lits.is_empty() {
                continue;
            }
            // Leftmost matching lets aho-corasick use its SIMD (Teddy)
            // prefilter. Every occurrence it skips starts inside one it
            // reports, so the region of a reported occurrence covers matches
            // around any literal starting inside it (see `reach`). Building
            // can only fail on absurd sizes, and then there is no gate.
            let ac = AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .ascii_case_insensitive(k >= 2)
                .build(&lits)
                .ok()?;
            literals.push((ac, intern(slot)));
        }
        Some(Gate {
            byte_class,
            classes,
            literals,
            runs,
        })
    }

    /// The sorted, disjoint byte ranges of `hay` that can hold a match.
    fn regions(&self, hay: &[u8], memos: &mut Vec<RunMemo>, out: &mut Vec<(usize, usize)>) {
        out.clear();
        memos.clear();
        memos.resize(self.runs.len(), RunMemo::default());
        let mut sorted = true;
        // Single-byte anchors: OR a chunk's table entries before branching,
        // one branch per 32 bytes instead of one per byte.
        let mut base = 0;
        for chunk in hay.chunks(32) {
            if chunk
                .iter()
                .fold(0u8, |acc, &b| acc | self.byte_class[usize::from(b)])
                != 0
            {
                for (i, &b) in chunk.iter().enumerate() {
                    let k = self.byte_class[usize::from(b)];
                    if k != 0 {
                        let r = self.classes[usize::from(k - 1)];
                        let (lo, hi) = self.reach(hay, base + i, 1, r, memos);
                        sorted &= push_region(out, lo, hi);
                    }
                }
            }
            base += chunk.len();
        }
        // Each automaton's regions are appended after the others': out of
        // order unless at most one list is non-empty.
        let mut lists = usize::from(!out.is_empty());
        for (ac, r) in &self.literals {
            let before = out.len();
            for m in ac.find_iter(hay) {
                let (lo, hi) = self.reach(hay, m.start(), m.len(), *r, memos);
                sorted &= push_region(out, lo, hi);
            }
            lists += usize::from(out.len() != before);
        }
        sorted &= lists <= 1;
        if !sorted {
            out.sort_unstable();
            let mut k = 0;
            for i in 1..out.len() {
                let (lo, hi) = out[i];
                if lo <= out[k].1 {
                    out[k].1 = out[k].1.max(hi);
                } else {
                    k += 1;
                    out[k] = (lo, hi);
                }
            }
            out.truncate(k + 1);
        }
    }

    /// Bytes a match containing `hay[at..at + len]` (or any anchor starting
    /// inside it) can cover.
    fn reach(
        &self,
        hay: &[u8],
        at: usize,
        len: usize,
        r: AnchorReach,
        memos: &mut [RunMemo],
    ) -> (usize, usize) {
        if r.whole {
            return (0, hay.len());
        }
        let mut lo = at.saturating_sub(r.bounded);
        let mut hi = (at + len).saturating_add(r.bounded).min(hay.len());
        if let Some(k) = r.run {
            for p in at..(at + len).min(hay.len()) {
                let run = memos[k].run(&self.runs[k], hay, p);
                if !run.is_empty() {
                    lo = lo.min(run.start);
                    hi = hi.max(run.end);
                }
            }
        }
        (lo, hi)
    }
}

/// Appends `lo..hi` to `out`, merging it into the last region when it starts
/// inside it; `false` if it starts before the last region (out of order).
fn push_region(out: &mut Vec<(usize, usize)>, lo: usize, hi: usize) -> bool {
    match out.last_mut() {
        Some(last) if lo >= last.0 && lo <= last.1 => {
            last.1 = last.1.max(hi);
            true
        }
        Some(last) => {
            let in_order = lo > last.1;
            out.push((lo, hi));
            in_order
        }
        None => {
            out.push((lo, hi));
            true
        }
    }
}

struct RegexScratch {
    all: Cache,
    groups: Vec<Cache>,
    regions: Vec<(usize, usize)>,
    memos: Vec<RunMemo>,
    seen: Vec<bool>,
}

fn build_dfa(patterns: &[&str], capacity: usize) -> Result<DFA, String> {
    DFA::builder()
        .configure(
            DFA::config()
                .match_kind(MatchKind::All)
                .cache_capacity(capacity)
                // Never give up: a thrashing cache is slow but still linear,
                // and there is no slower engine to fall back to here.
                .minimum_cache_clear_count(None),
        )
        .thompson(thompson::Config::new().which_captures(WhichCaptures::None))
        .build_many(patterns)
        .map_err(|e| e.to_string())
}

/// Walks `dfa` over `hay[lo..hi]` (unanchored, overlapping) and calls
/// `sink(pattern, end)` for every match end. `false` if the DFA failed (the
/// caller then assumes every pattern occurs anywhere).
#[inline]
fn walk(
    dfa: &DFA,
    cache: &mut Cache,
    hay: &[u8],
    lo: usize,
    hi: usize,
    sink: &mut impl FnMut(usize, usize),
) -> bool {
    let input = Input::new(hay).range(lo..hi);
    let Ok(mut sid) = dfa.start_state_forward(cache, &input) else {
        return false;
    };
    let mut at = lo;
    while at < hi {
        sid = match dfa.next_state(cache, sid, hay[at]) {
            Ok(s) => s,
            Err(_) => return false,
        };
        if sid.is_tagged() {
            // Match states are delayed by one byte: entering one after
            // byte `at` means matches end at `at`.
            if sid.is_match() {
                for i in 0..dfa.match_len(cache, sid) {
                    sink(dfa.match_pattern(cache, sid, i).as_usize(), at);
                }
            } else if sid.is_dead() {
                return true;
            } else if sid.is_quit() {
                return false;
            }
        }
        at += 1;
    }
    // End of the range: the byte after it (or end of input) settles
    // matches that end exactly at `hi`.
    let next = match hay.get(hi) {
        Some(&b) => dfa.next_state(cache, sid, b),
        None => dfa.next_eoi_state(cache, sid),
    };
    match next {
        Ok(sid) if sid.is_match() => {
            for i in 0..dfa.match_len(cache, sid) {
                sink(dfa.match_pattern(cache, sid, i).as_usize(), hi);
            }
            true
        }
        Ok(sid) => !sid.is_quit(),
        Err(_) => false,
    }
}

impl RegexEngine {
    pub fn new(detectors: &[&'static Detector]) -> Result<RegexEngine, DetectError> {
        let patterns: Vec<&str> = detectors.iter().map(|d| d.pattern).collect();
        let engine_error = |message: String| DetectError::Engine {
            engine: "regex-automata",
            message,
        };
        // Name the detector whose pattern is broken (with the same error
        // the per-detector regex would give) before building anything.
        for (d, p) in detectors.iter().zip(&patterns) {
            if let Err(e) = regex_automata::util::syntax::parse(p) {
                let source = meta::Regex::new(p)
                    .err()
                    .ok_or_else(|| engine_error(format!("detector {}: {e}", d.id)))?;
                return Err(DetectError::Pattern {
                    id: d.id,
                    source: Box::new(source),
                });
            }
        }
        let all = build_dfa(&patterns, ALL_CACHE).map_err(engine_error)?;
        let mut groups = Vec::new();
        let order: Vec<usize> = (0..patterns.len()).collect();
        for members in order.chunks(GROUP) {
            let pats: Vec<&str> = members.iter().map(|&i| patterns[i]).collect();
            groups.push(Group {
                dfa: build_dfa(&pats, GROUP_CACHE).map_err(engine_error)?,
                members: members.to_vec(),
            });
        }
        Ok(RegexEngine {
            all,
            groups,
            gate: Gate::new(detectors),
            patterns: patterns.len(),
            heavy: HEAVY,
        })
    }

    /// Drops the anchor gate (for measuring it, and for proving it changes
    /// no finding): every value is walked whole.
    pub fn without_gate(mut self) -> RegexEngine {
        self.gate = None;
        self
    }

    /// Sets the region length above which the group DFAs are used (tests
    /// force one mode or the other with 0 and `usize::MAX`).
    pub fn with_heavy(mut self, heavy: usize) -> RegexEngine {
        self.heavy = heavy;
        self
    }

    /// Whether the anchor gate is active (every detector has anchors).
    pub fn has_gate(&self) -> bool {
        self.gate.is_some()
    }

    /// Calls `sink(pattern, Some(end))` for every match end in `hay` (and
    /// maybe more), and `sink(pattern, None)` where a DFA failed and
    /// `pattern` must be assumed to occur anywhere.
    fn run(&self, hay: &[u8], s: &mut RegexScratch, sink: &mut impl FnMut(usize, Option<usize>)) {
        let RegexScratch {
            all,
            groups,
            regions,
            memos,
            ..
        } = s;
        match &self.gate {
            Some(gate) => gate.regions(hay, memos, regions),
            None => {
                regions.clear();
                if !hay.is_empty() {
                    regions.push((0, hay.len()));
                }
            }
        }
        for &(lo, hi) in regions.iter() {
            if hi - lo <= self.heavy {
                if !walk(&self.all, all, hay, lo, hi, &mut |p, end| {
                    sink(p, Some(end))
                }) {
                    (0..self.patterns).for_each(|p| sink(p, None));
                    return;
                }
                continue;
            }
            for (g, cache) in self.groups.iter().zip(groups.iter_mut()) {
                let members = &g.members;
                let ok = walk(&g.dfa, cache, hay, lo, hi, &mut |p, end| {
                    if let Some(&d) = members.get(p) {
                        sink(d, Some(end));
                    }
                });
                if !ok {
                    members.iter().for_each(|&d| sink(d, None));
                }
            }
        }
    }
}

impl Engine for RegexEngine {
    fn candidates(&self, hay: &[u8], scratch: &mut EngineScratch, out: &mut Vec<u16>) {
        let n = self.patterns;
        let Some(s) = scratch.get_mut::<RegexScratch>() else {
            // Not our scratch: answering "all" keeps the contract.
            out.extend((0..n).filter_map(|i| u16::try_from(i).ok()));
            return;
        };
        let mut seen = std::mem::take(&mut s.seen);
        seen.clear();
        seen.resize(n, false);
        self.run(hay, s, &mut |p, _| {
            if let Some(x) = seen.get_mut(p) {
                *x = true;
            }
        });
        out.extend(
            seen.iter()
                .enumerate()
                .filter(|(_, &x)| x)
                .filter_map(|(i, _)| u16::try_from(i).ok()),
        );
        s.seen = seen;
    }

    fn locate(&self, hay: &[u8], scratch: &mut EngineScratch, ends: &mut MatchEnds<'_>) -> bool {
        let Some(s) = scratch.get_mut::<RegexScratch>() else {
            return false;
        };
        self.run(hay, s, &mut |p, end| match end {
            Some(end) => ends.add(p, end),
            None => ends.whole(p),
        });
        true
    }

    fn name(&self) -> &'static str {
        "regex-automata"
    }

    fn new_scratch(&self) -> EngineScratch {
        EngineScratch::new(RegexScratch {
            all: self.all.create_cache(),
            groups: self.groups.iter().map(|g| g.dfa.create_cache()).collect(),
            regions: Vec::new(),
            memos: Vec::new(),
            seen: Vec::new(),
        })
    }
}
