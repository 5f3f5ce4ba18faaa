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
//! Three things keep the pass cheap:
//!
//! * **Regions.** Every match contains one of its detector's anchors (a
//!   digit, `@`, `AKIA`, ...). A byte-table scan (single-byte anchors) and
//!   two Teddy passes (longer ones, exact and any case; see
//!   [`super::teddy`]; Aho-Corasick automata over a lower-cased copy on
//!   CPUs without AVX2) find them, and each anchor only needs the DFA over the bytes a match
//!   containing it can cover: the pattern's maximum length either side for
//!   bounded patterns, the run of bytes an unbounded pattern can consume
//!   otherwise (see [`super::window`]), clipped to the run of the bounded
//!   patterns' alphabet around the anchor (runs are measured a block at a
//!   time from nibble masks once they pass a word's length). A short value
//!   without any anchor (one block mask, one any-case automaton) is not
//!   looked at further, and a value without anchors is not walked at all.
//!   Where every match holds an
//!   anchor in one item of its concatenation (the key name of
//!   `[\w.-]*(?:password|token|...)\s*=\s*value`), the region starts no
//!   earlier than the run of bytes that item and those before it can hold.
//! * **Early exit.** Past the last anchor of its region, a walk whose DFA is
//!   back in its start state stops: no match is in progress, and one that
//!   starts later holds a later anchor with a region of its own. A key name
//!   in prose costs a few bytes of walking, not the rest of the line.
//! * **Families.** A region is walked only for the detectors whose kind of
//!   anchor found it: a digit's region by the digit-anchored patterns, an
//!   `AKIA`'s by the vendor-prefix ones.
//! * **Groups.** One DFA over many patterns multiplies their states (every
//!   pattern counts digits its own way, and the product of those counters
//!   does not fit any cache: the lazy DFA keeps building states, or
//!   thrashes). Each family is split into DFAs of a few patterns, each of
//!   which stays small, grouped by how many anchor bytes their matches
//!   need: a region is walked only by the groups whose matches it can hold
//!   (the four digits of a year by none, a five-digit number only by the
//!   group with postal codes, not by the ones that need eleven digits).
//!
//! None of these changes a finding: regions only skip bytes no match can
//! touch, and every DFA reports every match end of its patterns (the
//! differential test compares group sizes and the ungated walk).

use aho_corasick::AhoCorasick;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::{meta, Input, MatchKind};

use super::nibble::NibbleSet;
use super::teddy::{Literal, Teddy};
use super::window::{alphabet, left_alphabet, min_count, min_len, ByteSet, Reach, RunMemo};
use super::{DetectError, Detector, Engine, EngineScratch, Mark, MatchEnds, Spans};

/// Patterns per DFA: one DFA over many patterns multiplies their states
/// (every pattern counts digits its own way, and the product of those
/// counters outgrows any cache on digit-dense text), one per pattern
/// multiplies the passes. Six measured best on prose and on digit tables.
const GROUP: usize = 6;
/// Literals per anchor automaton.
const AUTOMATON: usize = 16;
/// Lazy-DFA cache limit per DFA and thread (memory is only used as states
/// appear). With about sixteen DFAs this bounds the engine at 32 MB per
/// thread whatever the input; 2 MB measured fastest on prose (8 MB: 5 %
/// slower, 10 % faster on digit tables) and keeps peak RSS lower as a
/// long scan keeps meeting new states.
const CACHE: usize = 2 << 20;

/// Lazy DFAs over the detector patterns, plus the anchor gate that finds
/// the regions worth walking.
#[derive(Debug)]
pub struct RegexEngine {
    /// Every pattern: walks whole values when there is no gate.
    all: Family,
    /// One per gate family (see [`Gate`]), in the gate's order.
    families: Vec<Family>,
    gate: Option<Gate>,
    patterns: usize,
}

/// The detectors one kind of anchor can reveal, in DFAs of a few patterns
/// each: a region found by a digit only needs the patterns anchored on
/// digits, not the forty-character key patterns whose counters would
/// multiply its states.
#[derive(Debug)]
struct Family {
    groups: Vec<Group>,
}

/// A family's (detector, least anchor bytes its matches hold) pairs, in
/// the order they are grouped.
type Members = Vec<(usize, usize)>;

/// One DFA: its pattern `i` is detector `members[i]`.
#[derive(Debug)]
struct Group {
    dfa: DFA,
    members: Vec<usize>,
    /// A region with fewer anchor bytes (of its byte family) or fewer
    /// bytes holds no match of this group: six digits are walked by the
    /// group that holds postal codes, not by the ones that need eleven.
    min_count: usize,
    min_len: usize,
}

impl Family {
    /// `members`: (detector, least anchor bytes its matches hold, 0 if not
    /// counted), in the order they are grouped.
    /// The DFAs walk each member's `dfa_pattern` where it has one; lengths
    /// come from its `pattern` (a looser pattern's can be shorter).
    fn new(
        detectors: &[&Detector],
        members: &[(usize, usize)],
        size: usize,
    ) -> Result<Family, String> {
        let mut groups = Vec::new();
        for chunk in members.chunks(size.max(1)) {
            let dets: Vec<&Detector> = chunk.iter().map(|&(i, _)| detectors[i]).collect();
            let pats: Vec<&str> = dets
                .iter()
                .map(|d| d.dfa_pattern.unwrap_or(d.pattern))
                .collect();
            groups.push(Group {
                dfa: build_dfa(&pats, CACHE)?,
                members: chunk.iter().map(|&(i, _)| i).collect(),
                min_count: chunk.iter().map(|&(_, n)| n).min().unwrap_or(0),
                min_len: dets.iter().map(|d| min_len(d.pattern)).min().unwrap_or(0),
            });
        }
        Ok(Family { groups })
    }

    /// The most anchor bytes any group asks a region for.
    fn max_count(&self) -> usize {
        self.groups.iter().map(|g| g.min_count).max().unwrap_or(0)
    }

    fn cache(&self) -> Vec<Cache> {
        self.groups.iter().map(|g| g.dfa.create_cache()).collect()
    }

    /// Walks every group over the `regions` of `hay` that can hold its
    /// matches. With a byte family, a region's anchor bytes are counted
    /// (once, into `counts`, when a group first asks). A DFA that fails
    /// reports its patterns as "anywhere".
    fn walk_regions(
        &self,
        caches: &mut [Cache],
        hay: &[u8],
        regions: &[Region],
        anchors: Option<&ByteFamily>,
        counts: &mut Vec<usize>,
        sink: &mut impl FnMut(usize, Option<usize>),
    ) {
        const UNCOUNTED: usize = usize::MAX;
        if regions.is_empty() {
            // Most families have no region in a short value.
            return;
        }
        counts.clear();
        counts.resize(regions.len(), UNCOUNTED);
        let most = self.max_count();
        for (g, cache) in self.groups.iter().zip(caches.iter_mut()) {
            let members = &g.members;
            for (r, n) in regions.iter().zip(counts.iter_mut()) {
                if r.hi - r.lo < g.min_len {
                    continue;
                }
                if let (Some(fam), true) = (anchors, g.min_count > 1) {
                    if *n == UNCOUNTED {
                        *n = fam.count(hay, r, most);
                    }
                    if *n < g.min_count {
                        continue;
                    }
                }
                let ok = walk(&g.dfa, cache, hay, *r, &mut |p, end| {
                    if let Some(&d) = members.get(p) {
                        sink(d, Some(end));
                    }
                });
                if !ok {
                    members.iter().for_each(|&d| sink(d, None));
                    break;
                }
            }
        }
    }
}

/// How far a match containing an anchor can reach from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct AnchorReach {
    /// Bytes either side (the longest bounded pattern with this anchor).
    bounded: usize,
    /// Index into [`Gate::runs`]: the alphabet of those bounded patterns.
    /// Their matches also lie in its run around the anchor, so the window
    /// is clipped to it (`in 1990 the` needs ` 1990 `, not 21 bytes either
    /// side).
    clip: Option<usize>,
    /// Index into [`Gate::runs`]: the bytes unbounded patterns can consume.
    run: Option<usize>,
    /// Index into [`Gate::runs`]: the bytes every member's match can hold
    /// before its key anchor, when all members have such a set.
    left: Option<usize>,
    /// The anchor is a context word, not part of the match: the match can
    /// be anywhere in the value.
    whole: bool,
}

/// What an anchor's occurrence says about where matches are.
#[derive(Debug, Clone, Default)]
struct Slot {
    bounded: usize,
    clip: Option<ByteSet>,
    /// A bounded pattern without a known alphabet: no clipping.
    unclipped: bool,
    run: Option<ByteSet>,
    left: Option<ByteSet>,
    /// A member without a left alphabet: no left clipping.
    unleft: bool,
    whole: bool,
}

impl Slot {
    fn is_empty(&self) -> bool {
        self.bounded == 0 && self.run.is_none() && !self.whole
    }

    fn widen(
        &mut self,
        r: &Reach,
        alphabet: Option<&ByteSet>,
        left: Option<&ByteSet>,
        context: bool,
    ) {
        if context {
            self.whole = true;
            return;
        }
        match left {
            Some(l) => self.left.get_or_insert_with(ByteSet::empty).union(l),
            None => self.unleft = true,
        }
        match r {
            Reach::Bounded(n) => {
                self.bounded = self.bounded.max(*n);
                match alphabet {
                    Some(a) => self.clip.get_or_insert_with(ByteSet::empty).union(a),
                    None => self.unclipped = true,
                }
            }
            Reach::Run(set) => self.run.get_or_insert_with(ByteSet::empty).union(set),
            Reach::Whole => self.whole = true,
        }
    }
}

/// A multi-byte anchor automaton and what its occurrences say.
#[derive(Debug)]
struct Literals {
    ac: AhoCorasick,
    /// The shortest match of any member (as [`ByteFamily::min_len`]).
    min_len: usize,
    /// One reach for all of the automaton's literals, because a
    /// leftmost-first search can hide an overlapping occurrence of another.
    reach: AnchorReach,
    /// Its literals are lower-case and searched in a lower-cased copy of
    /// the value (an exact search keeps aho-corasick's SIMD prefilter,
    /// which a case-insensitive automaton loses).
    folded: bool,
}

/// The multi-byte anchors in two Teddy passes, exact and any case (see
/// [`super::teddy`]): one pass per kind over each value instead of one per
/// automaton, and no lower-cased copy. Which family a literal reveals, and
/// how far, stays as the automata define it.
#[derive(Debug)]
struct Screens {
    passes: Vec<Pass>,
}

#[derive(Debug)]
struct Pass {
    teddy: Teddy,
    /// Per literal of `teddy`: the literal families it belongs to.
    owners: Vec<Vec<u16>>,
}

impl Screens {
    /// `lits`: (any case, context, literal, detector) as the automata were
    /// built from them; `family[i]`: the automaton of `lits[i]`. `None`
    /// without AVX2 (the automata's SIMD search is faster than a portable
    /// Teddy) or when a pass cannot be built.
    fn new(lits: &[(bool, bool, String, usize)], family: &[usize]) -> Option<Screens> {
        if !super::nibble::has_avx2() || lits.len() != family.len() {
            return None;
        }
        let mut passes = Vec::new();
        for any_case in [false, true] {
            let mut literals: Vec<Literal> = Vec::new();
            let mut owners: Vec<Vec<u16>> = Vec::new();
            for (l, &f) in lits.iter().zip(family) {
                if l.0 != any_case {
                    continue;
                }
                let f = u16::try_from(f).ok()?;
                let bytes = l.2.as_bytes();
                let i = match literals.iter().position(|x| x.bytes == bytes) {
                    Some(i) => i,
                    None => {
                        literals.push(Literal {
                            bytes: bytes.to_vec(),
                            any_case,
                        });
                        owners.push(Vec::new());
                        literals.len() - 1
                    }
                };
                if !owners[i].contains(&f) {
                    owners[i].push(f);
                }
            }
            if !literals.is_empty() {
                passes.push(Pass {
                    teddy: Teddy::new(&literals)?,
                    owners,
                });
            }
        }
        Some(Screens { passes })
    }

    /// Whether any literal occurs in `hay`.
    fn any(&self, hay: &[u8]) -> bool {
        let mut seen = false;
        for pass in &self.passes {
            pass.teddy.for_each(hay, |_, _| {
                seen = true;
                false
            });
            if seen {
                return true;
            }
        }
        false
    }
}

/// A family found by single-byte anchors. A region is walked only by the
/// groups whose matches can fit it: with as many of these anchor bytes
/// (the four digits of a year hold no match of detectors that need five
/// or more) and as many bytes as their shortest match (see [`Group`]).
#[derive(Debug)]
struct ByteFamily {
    anchors: ByteSet,
    /// The shortest match of any member: a region shorter than this holds
    /// no match (see [`Gate::regions`]).
    min_len: usize,
    /// `anchors` in nibble form (counted a block at a time).
    anchor_nibbles: Option<NibbleSet>,
}

impl ByteFamily {
    /// The anchor bytes in `hay[r.lo..r.hi]`, counted up to `limit` (or a
    /// little past it).
    fn count(&self, hay: &[u8], r: &Region, limit: usize) -> usize {
        let Some(nib) = &self.anchor_nibbles else {
            let bytes = hay.get(r.lo..r.hi).unwrap_or(&[]).iter();
            return bytes
                .filter(|&&b| self.anchors.contains(b))
                .take(limit)
                .count();
        };
        let mut seen = 0;
        let mut at = r.lo;
        while at < r.hi && seen < limit {
            let width = (r.hi - at).min(64);
            seen += (nib.mask_at(hay, at) & (u64::MAX >> (64 - width))).count_ones() as usize;
            at += 64;
        }
        seen
    }
}

/// Byte families are keyed by how many anchor bytes their matches need, up
/// to this (and by whether their alphabets hold letters, which make runs
/// long): prose is full of short digit runs (years, section numbers) that
/// only detectors needing few digits must look at.
const SHORT_RUN: usize = 4;

/// Where matches can be, from anchors alone. Exists only when every
/// detector declares anchors (one of which each of its matches contains)
/// and has no look-around; otherwise values are walked whole.
///
/// Regions come in families: first the families found by single-byte
/// anchors (keyed by whether their alphabets hold letters, which make runs
/// long, and by how many anchor bytes their matches need, counted up to
/// [`SHORT_RUN`] + 1), then one family per literal automaton. A family's
/// regions are walked with DFAs over its detectors only.
#[derive(Debug)]
struct Gate {
    /// Per byte: 0, or 1 + an index into `classes` for single-byte anchors.
    byte_class: [u8; 256],
    /// Per class: the byte families it reveals and how far.
    classes: Vec<Vec<(usize, AnchorReach)>>,
    /// Finds the bytes with a class, 64 at a time (`None`: a set too
    /// irregular for it; the table is used byte by byte).
    screen: Option<NibbleSet>,
    byte_families: Vec<ByteFamily>,
    /// Multi-byte anchors, automata of at most [`AUTOMATON`] literals of one
    /// (any case, context) kind: one family each.
    literals: Vec<Literals>,
    /// The same literals found by Teddy passes where the CPU has AVX2 (see
    /// [`Screens`]); `None` falls back to the automata.
    screens: Option<Screens>,
    /// Every literal in any case, in one automaton: most values are short
    /// (a language code, a role, a source name) and hold no anchor at all;
    /// one pass of it and one block mask prove that for less than the
    /// setup of the per-kind searches (where there are no Teddy passes,
    /// which are cheaper still).
    any_literal: AhoCorasick,
    runs: Vec<ByteSet>,
    /// `runs` in nibble form, where a set fits (most do): runs are then
    /// measured a block at a time.
    run_nibbles: Vec<Option<NibbleSet>>,
    /// The classes only long runs can use, and how to tell a value has one.
    long: Option<LongRuns>,
}

/// Anchor classes whose every region must fill a long run of their
/// alphabet: the codice fiscale's omocodia letters, which are anchors only
/// for the code with all seven digits replaced, sixteen capitals and
/// digits in a row. Prose has a capital in most blocks and a sixteen-byte
/// run of them in almost none, so one pass per value that finds no such run
/// takes those classes out of the screen, instead of measuring the word
/// around every capital.
#[derive(Debug)]
struct LongRuns {
    /// Per class (as [`Gate::classes`]): its regions need such a run.
    classes: Vec<bool>,
    /// The union of those classes' alphabets.
    set: ByteSet,
    /// The shortest run any of their regions can fill.
    len: usize,
    /// The anchor screen without those classes (`None`: not expressible;
    /// the classes are then skipped anchor by anchor).
    screen: Option<NibbleSet>,
}

/// A class counts as one of [`LongRuns`] when its shortest region is at
/// least this long (shorter ones gain little from the extra pass).
const LONG_RUN: usize = 12;

impl LongRuns {
    /// From the classes of a gate: `None` when none qualifies.
    fn new(
        byte_class: &[u8; 256],
        classes: &[Vec<(usize, AnchorReach)>],
        families: &[ByteFamily],
        runs: &[ByteSet],
    ) -> Option<LongRuns> {
        let mut set = ByteSet::empty();
        let mut len = usize::MAX;
        let mut long = vec![false; classes.len()];
        for (c, entries) in classes.iter().enumerate() {
            let anchors: Vec<u8> = (0..=255u8)
                .filter(|&b| usize::from(byte_class[usize::from(b)]) == c + 1)
                .collect();
            // Bounded reach clipped to an alphabet that holds the anchor
            // itself: every region lies inside one run of that alphabet.
            let shortest = entries.iter().try_fold(usize::MAX, |min, &(f, r)| {
                let clip = runs.get(r.clip?)?;
                let fam = families.get(f)?;
                (r.run.is_none() && !r.whole && anchors.iter().all(|&b| clip.contains(b)))
                    .then_some(min.min(fam.min_len))
            });
            if let Some(n) = shortest.filter(|n| (LONG_RUN..usize::MAX).contains(n)) {
                long[c] = true;
                len = len.min(n);
                for &(_, r) in entries {
                    if let Some(clip) = r.clip.and_then(|k| runs.get(k)) {
                        set.union(clip);
                    }
                }
            }
        }
        if !long.contains(&true) {
            return None;
        }
        let screen = NibbleSet::new(|b| {
            let k = usize::from(byte_class[usize::from(b)]);
            k != 0 && !long.get(k - 1).copied().unwrap_or(false)
        });
        Some(LongRuns {
            classes: long,
            set,
            len,
            screen,
        })
    }

    /// Whether `hay` holds `len` or more bytes of `set` in a row. Every
    /// such run covers a position `len - 1` modulo `len`, so only those are
    /// looked at, and the run around one only where it is in the set (a
    /// capital or a digit: one in twenty of prose's positions).
    fn found_in(&self, hay: &[u8]) -> bool {
        let len = self.len.max(1);
        let mut p = len - 1;
        while p < hay.len() {
            if self.set.contains(hay[p]) {
                let mut lo = p;
                while lo > 0 && self.set.contains(hay[lo - 1]) {
                    lo -= 1;
                }
                let mut hi = p + 1;
                while hi < hay.len() && self.set.contains(hay[hi]) {
                    hi += 1;
                }
                if hi - lo >= len {
                    return true;
                }
                // The next run starts after `hi`.
                while p < hi {
                    p += len;
                }
            } else {
                p += len;
            }
        }
        false
    }
}

/// Values up to this long are first checked for any anchor at all.
const QUIET_MAX: usize = 64;

/// What single-byte-anchored detectors share a family by: letters in their
/// alphabet, the anchor bytes a match needs (capped), the anchor bytes.
type ByteGroupKey = (bool, usize, Vec<u8>);

impl Gate {
    /// The gate and the members of each of its families.
    fn new(detectors: &[&'static Detector]) -> Option<(Gate, Vec<Members>)> {
        let reach: Vec<Reach> = detectors.iter().map(|d| Reach::of(d.pattern)).collect();
        let alphabets: Vec<Option<ByteSet>> =
            detectors.iter().map(|d| alphabet(d.pattern)).collect();
        let lefts: Vec<Option<ByteSet>> = detectors
            .iter()
            .map(|d| {
                if d.anchors.iter().all(|a| d.anchor_any_case(a)) {
                    let lower: Vec<String> =
                        d.anchors.iter().map(|a| a.to_ascii_lowercase()).collect();
                    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
                    left_alphabet(d.pattern, &lower, true)
                } else {
                    left_alphabet(d.pattern, d.anchors, false)
                }
            })
            .collect();
        // Single-byte anchors: (letters in the alphabet, anchor bytes a
        // match needs, capped above SHORT_RUN, the anchor bytes) -> members.
        let mut byte_groups: Vec<(ByteGroupKey, Vec<usize>)> = Vec::new();
        // Multi-byte anchors: (any case, context, literal, detector).
        let mut lits: Vec<(bool, bool, String, usize)> = Vec::new();
        // Per detector: its single-byte anchors (both cases where read in
        // any case) and whether each is a context word.
        let mut singles: Vec<Vec<(u8, bool)>> = vec![Vec::new(); detectors.len()];
        for (i, (d, r)) in detectors.iter().zip(&reach).enumerate() {
            if d.anchors.is_empty() || d.anchors.iter().any(|a| a.is_empty()) {
                return None;
            }
            if matches!(r, Reach::Whole) {
                return None;
            }
            for a in d.anchors {
                let context = d.anchor_is_context(a);
                let any_case = d.anchor_any_case(a);
                match a.as_bytes() {
                    [b] => {
                        singles[i].push((*b, context));
                        if any_case && b.to_ascii_uppercase() != *b {
                            singles[i].push((b.to_ascii_uppercase(), context));
                        }
                    }
                    // Literals without ASCII letters (`://`, `出生`) read the
                    // same in the lower-cased copy: they join the any-case
                    // automata rather than make exact ones of their own.
                    _ if any_case || !a.bytes().any(|b| b.is_ascii_alphabetic()) => {
                        lits.push((true, context, a.to_ascii_lowercase(), i))
                    }
                    _ => lits.push((false, context, (*a).to_owned(), i)),
                }
            }
            if !singles[i].is_empty() {
                let mut own = ByteSet::empty();
                singles[i].iter().for_each(|&(b, _)| own.insert_range(b, b));
                let letters = alphabets[i].as_ref().map_or(true, |s| {
                    (0..=255u8).any(|b| b.is_ascii_alphabetic() && s.contains(b))
                });
                let need = min_count(d.pattern, &own).unwrap_or(0).min(SHORT_RUN + 1);
                // Detectors with other anchor bytes form families of their
                // own: the codice fiscale's capital letters must not send
                // every capital of prose to the digit detectors' DFAs.
                let bytes: Vec<u8> = (0..=255u8).filter(|&b| own.contains(b)).collect();
                let key = (letters, need, bytes);
                match byte_groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, m)) => m.push(i),
                    None => byte_groups.push((key, vec![i])),
                }
            }
        }
        byte_groups.sort_by(|a, b| a.0.cmp(&b.0));

        let mut runs: Vec<ByteSet> = Vec::new();
        let mut intern_set = |set: ByteSet| match runs.iter().position(|r| *r == set) {
            Some(i) => i,
            None => {
                runs.push(set);
                runs.len() - 1
            }
        };
        let mut intern = |slot: Slot| AnchorReach {
            bounded: slot.bounded,
            clip: if slot.unclipped {
                None
            } else {
                slot.clip.map(&mut intern_set)
            },
            run: slot.run.map(&mut intern_set),
            left: if slot.unleft {
                None
            } else {
                slot.left.map(&mut intern_set)
            },
            whole: slot.whole,
        };

        // Per byte, per byte family: the reach of its members anchored there.
        let mut members = Vec::new();
        let mut byte_families = Vec::new();
        let mut per_byte: Vec<Vec<(usize, AnchorReach)>> = vec![Vec::new(); 256];
        for (f, (_, group)) in byte_groups.iter().enumerate() {
            let mut anchors = ByteSet::empty();
            for &i in group {
                singles[i]
                    .iter()
                    .for_each(|&(b, _)| anchors.insert_range(b, b));
            }
            let needs: Vec<usize> = group
                .iter()
                .map(|&i| min_count(detectors[i].pattern, &anchors).unwrap_or(0))
                .collect();
            let mut slots: Vec<Slot> = vec![Slot::default(); 256];
            for &i in group {
                for &(b, context) in &singles[i] {
                    slots[usize::from(b)].widen(
                        &reach[i],
                        alphabets[i].as_ref(),
                        lefts[i].as_ref(),
                        context,
                    );
                }
            }
            for (b, slot) in slots.into_iter().enumerate() {
                if !slot.is_empty() {
                    per_byte[b].push((f, intern(slot)));
                }
            }
            byte_families.push(ByteFamily {
                anchor_nibbles: NibbleSet::new(|b| anchors.contains(b)),
                anchors,
                min_len: group
                    .iter()
                    .map(|&i| min_len(detectors[i].pattern))
                    .min()
                    .unwrap_or(0),
            });
            // Grouped by how many anchor bytes they need, so that a short
            // run of digits is walked by few DFAs.
            let mut sorted: Vec<(usize, usize)> = group.iter().copied().zip(needs).collect();
            sorted.sort_by_key(|&(i, need)| (need, min_len(detectors[i].pattern)));
            members.push(sorted);
        }
        let mut byte_class = [0u8; 256];
        let mut classes: Vec<Vec<(usize, AnchorReach)>> = Vec::new();
        for (b, entry) in per_byte.into_iter().enumerate() {
            if entry.is_empty() {
                continue;
            }
            let k = match classes.iter().position(|c| *c == entry) {
                Some(k) => k,
                None => {
                    classes.push(entry);
                    classes.len() - 1
                }
            };
            byte_class[b] = u8::try_from(k + 1).ok()?;
        }

        // One automaton per kind (exact or any case, in match or context,
        // two bytes or longer) and per AUTOMATON literals of it: a Teddy
        // search over a few literals runs at several GB/s, over forty at a
        // fraction of that (nibble fingerprints collide), and a few passes
        // cost less. One two-byte literal (`SK`) would make Teddy match on
        // the first two bytes of every literal (`ey`, `ap`, `gh`: much of
        // English), so short ones are searched apart.
        let kind = |l: &(bool, bool, String, usize)| (l.0, l.1, l.2.len() > 2);
        lits.sort_by(|a, b| (kind(a), a).cmp(&(kind(b), b)));
        let mut literals = Vec::new();
        // Per entry of `lits`: its automaton (its family among the literal ones).
        let mut literals_of: Vec<usize> = Vec::with_capacity(lits.len());
        for kind in lits.chunk_by(|a, b| kind(a) == kind(b)) {
            for chunk in kind.chunks(AUTOMATON) {
                literals_of.extend(std::iter::repeat(literals.len()).take(chunk.len()));
                let mut slot = Slot::default();
                let mut chunk_members: Vec<usize> = Vec::new();
                for (_, context, _, i) in chunk {
                    slot.widen(
                        &reach[*i],
                        alphabets[*i].as_ref(),
                        lefts[*i].as_ref(),
                        *context,
                    );
                    if !chunk_members.contains(i) {
                        chunk_members.push(*i);
                    }
                }
                chunk_members.sort_unstable();
                let chunk_members: Vec<(usize, usize)> =
                    chunk_members.into_iter().map(|i| (i, 0)).collect();
                // Leftmost matching lets aho-corasick use its SIMD (Teddy)
                // prefilter. Every occurrence it skips starts inside one it
                // reports, so the region of a reported occurrence covers
                // matches around any literal starting inside it (see
                // `reach`). Building can only fail on absurd sizes, and then
                // there is no gate.
                let ac = AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                    .build(chunk.iter().map(|l| l.2.as_str()))
                    .ok()?;
                literals.push(Literals {
                    ac,
                    min_len: chunk_members
                        .iter()
                        .map(|&(i, _)| min_len(detectors[i].pattern))
                        .min()
                        .unwrap_or(0),
                    reach: intern(slot),
                    folded: chunk[0].0,
                });
                members.push(chunk_members);
            }
        }
        let screens = Screens::new(&lits, &literals_of);
        let any_literal = AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .ascii_case_insensitive(true)
            .build(lits.iter().map(|l| l.2.as_str()))
            .ok()?;
        let long = LongRuns::new(&byte_class, &classes, &byte_families, &runs);
        Some((
            Gate {
                byte_class,
                screen: NibbleSet::new(|b| byte_class[usize::from(b)] != 0),
                classes,
                byte_families,
                literals,
                screens,
                any_literal,
                run_nibbles: runs
                    .iter()
                    .map(|r| NibbleSet::new(|b| r.contains(b)))
                    .collect(),
                long,
                runs,
            },
            members,
        ))
    }

    /// The anchor screen for a value, and the classes to pass over in it:
    /// without a long run, the [`LongRuns`] classes have no region there.
    fn screen_for(&self, hay: &[u8]) -> (Option<&NibbleSet>, Option<&[bool]>) {
        match &self.long {
            Some(long) if !long.found_in(hay) => (
                long.screen.as_ref().or(self.screen.as_ref()),
                Some(&long.classes),
            ),
            _ => (self.screen.as_ref(), None),
        }
    }

    /// `hay` is short and holds no anchor: no family has a region in it.
    fn quiet(&self, hay: &[u8]) -> bool {
        if hay.len() > QUIET_MAX {
            return false;
        }
        let (screen, skip) = self.screen_for(hay);
        let skipped = |b: u8| {
            let k = usize::from(self.byte_class[usize::from(b)]);
            k == 0 || skip.is_some_and(|s| s.get(k - 1).copied().unwrap_or(false))
        };
        let bytes = match screen {
            Some(screen) => {
                let m = screen.mask_at(hay, 0);
                m != 0 && (skip.is_none() || hay.iter().any(|&b| !skipped(b)))
            }
            None => hay.iter().any(|&b| !skipped(b)),
        };
        if bytes {
            return false;
        }
        match &self.screens {
            Some(screens) => !screens.any(hay),
            None => !self.any_literal.is_match(hay),
        }
    }

    /// [`Gate::quiet`] for many values at once, and more: `marks[i]` (see
    /// [`Mark`]) for `hay[spans[i]]` says whether it may hold an anchor
    /// byte ([`Mark::BYTES`]) and whether it may hold a literal
    /// ([`Mark::LITERALS`]); [`Mark::QUIET`] exactly where `quiet` says
    /// `true`, or [`Mark::UNKNOWN`] for a value not looked at (longer than
    /// [`QUIET_MAX`]: prose, where the per-value passes are the cheaper
    /// ones). `spans` must be sorted and disjoint (the caller checks).
    ///
    /// Single-byte anchors are read per value (one block mask at the
    /// value's offset: a short value fits one block); literals by one Teddy
    /// pass per kind over each run of short values, instead of two passes,
    /// with their setup, per value. A literal occurrence marks every value
    /// it touches: one that crosses a boundary occurs in neither value,
    /// and marking both only costs their walk. Without Teddy passes or
    /// nibble screens every value is asked `quiet` on its own.
    fn screen_values(&self, hay: &[u8], spans: &dyn Spans, marks: &mut [u8]) {
        let nolong = match &self.long {
            Some(long) => long.screen.as_ref(),
            None => self.screen.as_ref(),
        };
        let (Some(full), Some(nolong), Some(screens)) =
            (self.screen.as_ref(), nolong, self.screens.as_ref())
        else {
            for (i, m) in marks.iter_mut().enumerate() {
                let (s, e) = spans.span(i);
                let quiet = hay.get(s..e).is_some_and(|v| self.quiet(v));
                *m = if quiet { Mark::QUIET } else { Mark::UNKNOWN };
            }
            return;
        };
        for (i, m) in marks.iter_mut().enumerate() {
            let (s, e) = spans.span(i);
            let n = e.saturating_sub(s);
            *m = Mark::UNKNOWN;
            if n > QUIET_MAX || e > hay.len() {
                continue;
            }
            *m = Mark::QUIET;
            if n == 0 {
                continue;
            }
            let within = u64::MAX >> (64 - n);
            if nolong.mask_at(hay, s) & within != 0
                || (full.mask_at(hay, s) & within != 0
                    && self
                        .long
                        .as_ref()
                        .is_some_and(|long| long.found_in(&hay[s..e])))
            {
                *m = Mark::BYTES;
            }
        }
        // The short values, in runs for the literal passes: a run spans
        // the (long) values between its members while that gap is short,
        // since a Teddy pass costs less per byte than a new one to start.
        const GAP: usize = 256;
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for (i, _) in marks
            .iter()
            .enumerate()
            .filter(|(_, &m)| m != Mark::UNKNOWN)
        {
            let (s, e) = spans.span(i);
            if s == e {
                continue;
            }
            match runs.last_mut() {
                Some((_, b)) if s <= *b + GAP => *b = e.max(*b),
                _ => runs.push((s, e)),
            }
        }
        for (a, b) in runs {
            let Some(text) = hay.get(a..b) else {
                continue;
            };
            for pass in &screens.passes {
                pass.teddy.for_each(text, |at, i| {
                    let (p, q) = (a + at, a + at + pass.teddy.literal_len(i).max(1));
                    // The first value ending after `p` (ends are sorted).
                    let (mut lo, mut hi) = (0, marks.len());
                    while lo < hi {
                        let mid = lo + (hi - lo) / 2;
                        if spans.span(mid).1 <= p {
                            lo = mid + 1;
                        } else {
                            hi = mid;
                        }
                    }
                    for (k, m) in marks.iter_mut().enumerate().skip(lo) {
                        if spans.span(k).0 >= q {
                            break;
                        }
                        *m |= Mark::LITERALS;
                    }
                    true
                });
            }
        }
    }

    /// Per family, the sorted, disjoint byte ranges of `hay` that can hold a
    /// match of one of its detectors. `out` has one list per family.
    fn regions(
        &self,
        hay: &[u8],
        literals: bool,
        lower: &mut Vec<u8>,
        memos: &mut Vec<RunMemo>,
        out: &mut [Vec<Region>],
    ) {
        out.iter_mut().for_each(Vec::clear);
        memos.clear();
        memos.resize(self.runs.len(), RunMemo::default());
        let nb = self.byte_families.len().min(out.len());
        let (bytes, lists) = out.split_at_mut(nb);
        // Single-byte anchors: a bit mask of them per 64-byte block (most
        // blocks of prose have none). A run of anchor bytes of one class
        // (the digits of a number) is one anchor: the union of their
        // regions is the region of the run. Regions come in order of their
        // anchors; a wider reach can still start earlier.
        // Bit f: byte family f's regions came out of order.
        let mut unsorted: u32 = 0;
        let class_of = |b: u8| self.byte_class[usize::from(b)];
        let (screen, skip) = self.screen_for(hay);
        let mut done: usize = 0; // bytes before this are classified
        let mut base = 0;
        while base < hay.len() && !self.classes.is_empty() {
            let mut m = match screen {
                Some(screen) => screen.mask_at(hay, base),
                None => hay[base..hay.len().min(base + 64)]
                    .iter()
                    .enumerate()
                    .fold(0u64, |m, (i, &b)| m | u64::from(class_of(b) != 0) << i),
            };
            m &= bits_from(done.saturating_sub(base));
            while m != 0 {
                let i = base + m.trailing_zeros() as usize;
                let k = class_of(hay[i]);
                let mut j = i + 1;
                while j < hay.len() && class_of(hay[j]) == k {
                    j += 1;
                }
                let passed = usize::from(k)
                    .checked_sub(1)
                    .is_some_and(|c| skip.is_some_and(|s| s.get(c).copied().unwrap_or(false)));
                if let Some(class) = usize::from(k)
                    .checked_sub(1)
                    .and_then(|k| self.classes.get(k))
                    .filter(|_| !passed)
                {
                    for &(f, r) in class {
                        // A bounded reach lies inside the run of its
                        // alphabet around an anchor in it: where the bytes
                        // either side are outside it, that run is the anchor
                        // itself, and its length decides without measuring (the
                        // capital letter opening a word of prose, for the
                        // codice fiscale's letters).
                        if let (Some(k), None, false) = (r.clip, r.run, r.whole) {
                            let set = &self.runs[k];
                            let shut = |p: Option<&u8>| !p.is_some_and(|&b| set.contains(b));
                            if !shut(hay.get(i))
                                && shut(i.checked_sub(1).and_then(|p| hay.get(p)))
                                && shut(hay.get(j))
                                && self
                                    .byte_families
                                    .get(f)
                                    .is_some_and(|fam| j - i < fam.min_len)
                            {
                                continue;
                            }
                        }
                        let region = self.reach(hay, i, j - i, r, memos);
                        // Every match holding this anchor lies in its
                        // region: one too short for any member's match
                        // holds none (most digits of prose: a year, a
                        // section number).
                        if self
                            .byte_families
                            .get(f)
                            .is_some_and(|fam| region.hi - region.lo < fam.min_len)
                        {
                            continue;
                        }
                        if let Some(list) = bytes.get_mut(f) {
                            if !push_region(list, region) {
                                unsorted |= 1 << (f % 32);
                            }
                        }
                    }
                }
                done = j;
                m &= bits_from(j - base);
            }
            base += 64;
        }
        // Regions with too few anchor bytes or bytes for a group are
        // skipped when it walks (`Family::walk_regions`).
        for (f, list) in bytes.iter_mut().enumerate() {
            if unsorted & (1 << (f % 32)) != 0 {
                merge(list);
            }
        }
        if let Some(screens) = &self.screens {
            // Without a literal (the chunk's screen ran these very passes
            // over the value) no literal family has a region.
            if literals {
                self.literal_regions(screens, hay, memos, lists);
            }
            return;
        }
        let mut lowered = false;
        for (lit, list) in self.literals.iter().zip(lists.iter_mut()) {
            let text: &[u8] = if lit.folded {
                if !lowered {
                    lower.clear();
                    lower.extend(hay.iter().map(u8::to_ascii_lowercase));
                    lowered = true;
                }
                lower
            } else {
                hay
            };
            let mut sorted = true;
            for m in lit.ac.find_iter(text) {
                let region = self.reach(hay, m.start(), m.len(), lit.reach, memos);
                if region.hi - region.lo < lit.min_len {
                    continue;
                }
                sorted &= push_literal_region(list, region, hay.len());
                if is_whole(list, hay.len()) {
                    break;
                }
            }
            if !sorted {
                merge(list);
            }
        }
    }

    /// The literal families' regions from the Teddy passes: every
    /// occurrence of a literal gives its family the region of its reach.
    fn literal_regions(
        &self,
        screens: &Screens,
        hay: &[u8],
        memos: &mut [RunMemo],
        lists: &mut [Vec<Region>],
    ) {
        // Bit f % 64: family f's regions may have come out of order.
        let mut unsorted = 0u64;
        for pass in &screens.passes {
            pass.teddy.for_each(hay, |at, i| {
                for &f in &pass.owners[i] {
                    let f = usize::from(f);
                    let bit = 1u64 << (f % 64);
                    let (Some(lit), Some(list)) = (self.literals.get(f), lists.get_mut(f)) else {
                        continue;
                    };
                    if is_whole(list, hay.len()) {
                        continue;
                    }
                    let region = self.reach(hay, at, pass.teddy.literal_len(i), lit.reach, memos);
                    if region.hi - region.lo < lit.min_len {
                        continue;
                    }
                    if !push_literal_region(list, region, hay.len()) {
                        unsorted |= bit;
                    }
                }
                true
            });
        }
        for (f, list) in lists.iter_mut().enumerate() {
            if unsorted & (1 << (f % 64)) != 0 {
                merge(list);
            }
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
    ) -> Region {
        let stop = (at + len).min(hay.len());
        if r.whole {
            return Region {
                lo: 0,
                hi: hay.len(),
                stop: hay.len(),
            };
        }
        let mut lo = at.saturating_sub(r.bounded);
        let mut hi = (at + len).saturating_add(r.bounded).min(hay.len());
        if let Some(k) = r.clip {
            // Every bounded match holds the anchor and only alphabet bytes.
            // (An anchor outside its alphabet breaks the anchor contract;
            // the plain window is kept then.)
            let run = memos[k].run_with(&self.runs[k], self.run_nibbles[k].as_ref(), hay, at);
            if !run.is_empty() {
                lo = lo.max(run.start);
                hi = hi.min(run.end.max(at + len));
            }
        }
        if let Some((start, end)) = r
            .run
            .and_then(|k| self.runs_across(k, hay, at, stop, memos))
        {
            lo = lo.min(start);
            hi = hi.max(end);
        }
        if let Some(k) = r.left {
            // Every match holds an anchor in its key item, and before it
            // only bytes of the left alphabet (see `window::left_alphabet`);
            // an anchor hidden inside this one starts within it.
            let start = self
                .runs_across(k, hay, at, stop, memos)
                .map_or(at, |(start, _)| start.min(at));
            lo = lo.max(start);
        }
        Region { lo, hi, stop }
    }

    /// The first start and last end of the runs of `runs[k]` that hold a
    /// byte of `hay[at..stop]`; `None` if none does.
    #[inline]
    fn runs_across(
        &self,
        k: usize,
        hay: &[u8],
        at: usize,
        stop: usize,
        memos: &mut [RunMemo],
    ) -> Option<(usize, usize)> {
        let (mut start, mut end, mut any) = (usize::MAX, 0, false);
        let mut p = at;
        while p < stop {
            let run = memos[k].run_with(&self.runs[k], self.run_nibbles[k].as_ref(), hay, p);
            if run.is_empty() {
                p += 1;
            } else {
                start = start.min(run.start);
                end = run.end;
                any = true;
                p = run.end;
            }
        }
        any.then_some((start, end))
    }
}

/// Bytes `lo..hi` of a value that can hold matches. Every anchor the
/// region was made for ends by `stop`; past it, a walk whose DFA is back in
/// its start state (no match in progress) can end early: a match starting
/// later holds a later anchor, whose own region covers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Region {
    lo: usize,
    hi: usize,
    stop: usize,
}

/// The bits at and above `n` (none for `n >= 64`).
fn bits_from(n: usize) -> u64 {
    u64::MAX
        .checked_shl(u32::try_from(n).unwrap_or(u32::MAX))
        .unwrap_or(0)
}

/// Sorts `out` and merges overlapping regions.
fn merge(out: &mut Vec<Region>) {
    if out.is_empty() {
        return;
    }
    out.sort_unstable();
    let mut k = 0;
    for i in 1..out.len() {
        let r = out[i];
        if r.lo <= out[k].hi {
            out[k].hi = out[k].hi.max(r.hi);
            out[k].stop = out[k].stop.max(r.stop);
        } else {
            k += 1;
            out[k] = r;
        }
    }
    out.truncate(k + 1);
}

/// [`push_region`] for a literal's occurrence. A region that is the whole
/// value (of `len` bytes) replaces the list and is walked to its end: once
/// a family has it, later occurrences are not looked at ([`is_whole`]).
fn push_literal_region(out: &mut Vec<Region>, r: Region, len: usize) -> bool {
    if r.lo == 0 && r.hi == len {
        out.clear();
        out.push(Region {
            lo: 0,
            hi: len,
            stop: len,
        });
        return true;
    }
    push_region(out, r)
}

/// Whether `list` is the whole value of `len` bytes, walked to its end.
fn is_whole(list: &[Region], len: usize) -> bool {
    matches!(list, [only] if only.lo == 0 && only.stop == len)
}

/// Appends `r` to `out`, merging it into the last region when it starts
/// inside it; `false` if it starts before the last region (out of order).
fn push_region(out: &mut Vec<Region>, r: Region) -> bool {
    match out.last_mut() {
        Some(last) if r.lo >= last.lo && r.lo <= last.hi => {
            last.hi = last.hi.max(r.hi);
            last.stop = last.stop.max(r.stop);
            true
        }
        Some(last) => {
            let in_order = r.lo > last.hi;
            out.push(r);
            in_order
        }
        None => {
            out.push(r);
            true
        }
    }
}

struct RegexScratch {
    all: Vec<Cache>,
    families: Vec<Vec<Cache>>,
    regions: Vec<Vec<Region>>,
    lower: Vec<u8>,
    memos: Vec<RunMemo>,
    /// Anchor bytes per region of the family being walked.
    counts: Vec<usize>,
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
    region: Region,
    sink: &mut impl FnMut(usize, usize),
) -> bool {
    let Region { lo, hi, stop } = region;
    let input = Input::new(hay).range(lo..hi);
    let Ok(start) = dfa.start_state_forward(cache, &input) else {
        return false;
    };
    // State ids change when the cache is cleared: compare only while the
    // start state's id is still valid.
    let clears = cache.clear_count();
    let mut sid = start;
    let mut at = lo;
    while at < hi {
        if at >= stop && sid == start && cache.clear_count() == clears {
            // Back in the start state past every anchor: nothing in
            // progress, and later matches hold later anchors.
            return true;
        }
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
        RegexEngine::with_group_size(detectors, GROUP)
    }

    /// With `size` patterns per DFA (tests compare 1, the default and one
    /// DFA per family).
    pub fn with_group_size(
        detectors: &[&'static Detector],
        size: usize,
    ) -> Result<RegexEngine, DetectError> {
        let engine_error = |message: String| DetectError::Engine {
            engine: "regex-automata",
            message,
        };
        // Name the detector whose pattern is broken (with the same error
        // the per-detector regex would give) before building anything.
        for d in detectors {
            for p in std::iter::once(d.pattern).chain(d.dfa_pattern) {
                let Err(e) = regex_automata::util::syntax::parse(p) else {
                    continue;
                };
                let source = meta::Regex::new(p)
                    .err()
                    .ok_or_else(|| engine_error(format!("detector {}: {e}", d.id)))?;
                return Err(DetectError::Pattern {
                    id: d.id,
                    source: Box::new(source),
                });
            }
        }
        let every: Vec<(usize, usize)> = (0..detectors.len()).map(|i| (i, 0)).collect();
        let all = Family::new(detectors, &every, size).map_err(engine_error)?;
        let (gate, families) = match Gate::new(detectors) {
            Some((gate, members)) => {
                let families = members
                    .into_iter()
                    .map(|m| Family::new(detectors, &m, size))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(engine_error)?;
                (Some(gate), families)
            }
            None => (None, Vec::new()),
        };
        Ok(RegexEngine {
            all,
            families,
            gate,
            patterns: detectors.len(),
        })
    }

    /// Drops the anchor gate (for measuring it, and for proving it changes
    /// no finding): every value is walked whole.
    pub fn without_gate(mut self) -> RegexEngine {
        self.gate = None;
        self.families.clear();
        self
    }

    /// Finds the multi-byte anchors with the per-kind automata even where
    /// the Teddy passes are available (the tests prove both find the same).
    pub fn with_literal_automata(mut self) -> RegexEngine {
        if let Some(gate) = &mut self.gate {
            gate.screens = None;
        }
        self
    }

    /// Whether the anchor gate is active (every detector has anchors).
    pub fn has_gate(&self) -> bool {
        self.gate.is_some()
    }

    /// Calls `sink(pattern, Some(end))` for every match end in `hay` (and
    /// maybe more), and `sink(pattern, None)` where a DFA failed and
    /// `pattern` must be assumed to occur anywhere.
    /// `mark` (see [`Mark`]): what the chunk's screen knows of `hay`
    /// ([`Mark::UNKNOWN`] when nothing).
    fn run(
        &self,
        hay: &[u8],
        mark: u8,
        s: &mut RegexScratch,
        sink: &mut impl FnMut(usize, Option<usize>),
    ) {
        let RegexScratch {
            all,
            families,
            regions,
            lower,
            memos,
            counts,
            ..
        } = s;
        match &self.gate {
            Some(_) if mark == Mark::QUIET => {}
            Some(gate) if mark == Mark::UNKNOWN && gate.quiet(hay) => {}
            Some(gate) => {
                regions.resize_with(self.families.len(), Vec::new);
                let literals = mark & Mark::LITERALS != 0 || gate.screens.is_none();
                gate.regions(hay, literals, lower, memos, regions);
                for (k, ((f, cache), list)) in self
                    .families
                    .iter()
                    .zip(families.iter_mut())
                    .zip(regions.iter())
                    .enumerate()
                {
                    let anchors = gate.byte_families.get(k);
                    f.walk_regions(cache, hay, list, anchors, counts, sink);
                }
            }
            None => {
                if !hay.is_empty() {
                    let whole = Region {
                        lo: 0,
                        hi: hay.len(),
                        stop: hay.len(),
                    };
                    self.all
                        .walk_regions(all, hay, &[whole], None, counts, sink);
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
        self.run(hay, Mark::UNKNOWN, s, &mut |p, _| {
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
        self.locate_marked(hay, Mark::UNKNOWN, scratch, ends)
    }

    fn locate_marked(
        &self,
        hay: &[u8],
        mark: u8,
        scratch: &mut EngineScratch,
        ends: &mut MatchEnds<'_>,
    ) -> bool {
        let Some(s) = scratch.get_mut::<RegexScratch>() else {
            return false;
        };
        self.run(hay, mark, s, &mut |p, end| match end {
            Some(end) => ends.add(p, end),
            None => ends.whole(p),
        });
        true
    }

    fn screen(
        &self,
        hay: &[u8],
        spans: &dyn Spans,
        _scratch: &mut EngineScratch,
        marks: &mut Vec<u8>,
    ) {
        marks.clear();
        marks.resize(spans.count(), Mark::UNKNOWN);
        if let Some(gate) = &self.gate {
            gate.screen_values(hay, spans, marks);
        }
    }

    fn name(&self) -> &'static str {
        "regex-automata"
    }

    fn new_scratch(&self) -> EngineScratch {
        EngineScratch::new(RegexScratch {
            all: self.all.cache(),
            families: self.families.iter().map(Family::cache).collect(),
            regions: Vec::new(),
            lower: Vec::new(),
            memos: Vec::new(),
            counts: Vec::new(),
            seen: Vec::new(),
        })
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_only_without_any_anchor() {
        let detectors: Vec<&'static Detector> = super::super::builtin().iter().collect();
        let (gate, _) = Gate::new(&detectors).expect("built-ins have a gate");
        for quiet in ["en", "assistant", "pydoc", "Hello world"] {
            assert!(gate.quiet(quiet.as_bytes()), "{quiet}");
        }
        // A digit, an `@`, literals in any case, and anything long.
        let long = "a".repeat(QUIET_MAX + 1);
        for loud in ["x1", "a@b", "my PASSWORD", "ghp_", "DoB", long.as_str()] {
            assert!(!gate.quiet(loud.as_bytes()), "{loud}");
        }
    }

    #[test]
    fn long_run_classes_need_a_long_run() {
        let detectors: Vec<&'static Detector> = super::super::builtin().iter().collect();
        let (gate, _) = Gate::new(&detectors).expect("built-ins have a gate");
        // The codice fiscale's omocodia letters are such a class; digits,
        // which short matches also use, are not.
        let long = gate.long.as_ref().expect("a long-run class");
        let class = |b: u8| usize::from(gate.byte_class[usize::from(b)]) - 1;
        assert!(long.classes[class(b'Q')] && !long.classes[class(b'7')]);
        assert_eq!(long.len, 16);
        let run = "RSSMRAQRCMNFNLRG";
        for pad in 0..70 {
            let text = format!("{}{run} x", "a".repeat(pad));
            assert!(long.found_in(text.as_bytes()), "{pad}");
            // One byte short, wherever it lies against the samples.
            let short = format!("{}{} x", "a".repeat(pad), &run[1..]);
            assert!(!long.found_in(short.as_bytes()), "{pad}");
            assert!(
                !long.found_in(&short.as_bytes()[..short.len() - 2]),
                "{pad}"
            );
        }
        assert!(!long.found_in(b"The Quick Brown Fox, TWELVE CAPS and 2026-12-07"));
        assert!(long.found_in(run.as_bytes()));
        assert!(!long.found_in(b""));
        // Without a long run, capitals open no region; short values with
        // nothing else are quiet.
        assert!(gate.quiet(b"Le Monde, Paris"));
        assert!(!gate.quiet(run.as_bytes()));
    }
}
