//! Where a detector's regex must look again, so that one candidate in a
//! long value does not send every occurring detector over the whole value.
//!
//! An engine that can tell *where* each pattern's matches end reports
//! `(pattern, end)` pairs into [`MatchEnds`]; this module turns them into
//! merged byte windows, one list per pattern, that together contain every
//! match of the pattern:
//!
//! * a pattern whose matches are at most `L` bytes long (regex-syntax's
//!   `maximum_len`) has each match inside `[end - L, end]`;
//! * an unbounded pattern (`[0-9](?:[ \-]?[0-9]){11,}`) matches only bytes
//!   of its alphabet (every byte any transition of its NFA can consume), so
//!   each match lies in the maximal run of alphabet bytes around its last
//!   byte;
//! * a pattern with look-around assertions gets the whole value.
//!
//! Why searching only inside the windows gives exactly the matches of a
//! search over the whole value (the scanner's `find` loop: leftmost-first,
//! restarting at the previous match's end): a pattern without look-around
//! matches `text[s..e]` or not whatever lies outside `s..e`, so a match
//! found inside a window is a match of the whole value, and the regex keeps
//! the haystack whole (`Input::span`), so validators still see all of it.
//! Let `[s, e)` be the next match of the whole-value loop from position
//! `at`. Windows before the one containing `[s, e)` end at or before `s`,
//! so a match found in them would start in `[at, s)`, before the leftmost
//! one: there is none. In the window containing it the search starts at or
//! before `s`, finds no earlier start, and at `s` prefers the same match,
//! because every alternative the leftmost-first order prefers to `[s, e)`
//! already fails in the whole value and cannot succeed on a shorter
//! haystack. Induction on the matches gives the same sequence, and a
//! reported end that is not a real end only adds a window (a superset costs
//! time, never findings).

use std::ops::Range;

use super::nibble::NibbleSet;

use regex_automata::nfa::thompson::{State, NFA};
use regex_automata::util::syntax;

/// A set of bytes, as a 256-entry table (one load per test).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ByteSet(pub(crate) [bool; 256]);

impl ByteSet {
    pub(crate) fn empty() -> ByteSet {
        ByteSet([false; 256])
    }

    #[inline]
    pub(crate) fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b)]
    }

    pub(crate) fn insert_range(&mut self, lo: u8, hi: u8) {
        for b in lo..=hi {
            self.0[usize::from(b)] = true;
        }
    }

    pub(crate) fn union(&mut self, other: &ByteSet) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a |= *b;
        }
    }
}

impl std::fmt::Debug for ByteSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.iter().filter(|&&b| b).count();
        write!(f, "ByteSet({n} bytes)")
    }
}

/// How far a pattern's matches can reach from where they end.
#[derive(Debug, Clone)]
pub(crate) enum Reach {
    /// Every match is at most this many bytes long.
    Bounded(usize),
    /// Unbounded length, but every byte of a match is in the set.
    Run(Box<ByteSet>),
    /// Look-around (or a pattern this module cannot analyse): whole value.
    Whole,
}

impl Reach {
    /// What `pattern` allows; [`Reach::Whole`] when anything is in doubt.
    pub(crate) fn of(pattern: &str) -> Reach {
        let Ok(hir) = syntax::parse(pattern) else {
            return Reach::Whole;
        };
        let props = hir.properties();
        if !props.look_set().is_empty() {
            return Reach::Whole;
        }
        if let Some(max) = props.maximum_len() {
            return Reach::Bounded(max);
        }
        match alphabet(pattern) {
            Some(set) => Reach::Run(Box::new(set)),
            None => Reach::Whole,
        }
    }
}

/// Every byte a match of `pattern` can contain: the byte ranges of all NFA
/// states reachable from the anchored start (the unanchored prefix is not).
/// `None` on look-around or if the NFA does not build.
pub(crate) fn alphabet(pattern: &str) -> Option<ByteSet> {
    alphabet_of(&NFA::new(pattern).ok()?)
}

fn alphabet_of(nfa: &NFA) -> Option<ByteSet> {
    let mut set = ByteSet::empty();
    let mut seen = vec![false; nfa.states().len()];
    let mut stack = vec![nfa.start_anchored()];
    while let Some(id) = stack.pop() {
        let i = id.as_usize();
        if std::mem::replace(seen.get_mut(i)?, true) {
            continue;
        }
        match nfa.state(id) {
            State::ByteRange { trans } => {
                set.insert_range(trans.start, trans.end);
                stack.push(trans.next);
            }
            State::Sparse(sparse) => {
                for t in sparse.transitions.iter() {
                    set.insert_range(t.start, t.end);
                    stack.push(t.next);
                }
            }
            State::Dense(dense) => {
                for (b, &next) in dense.transitions.iter().enumerate() {
                    // A dense state's missing transitions lead to `Fail`.
                    if !matches!(nfa.state(next), State::Fail) {
                        let b = u8::try_from(b).ok()?;
                        set.insert_range(b, b);
                        stack.push(next);
                    }
                }
            }
            State::Look { .. } => return None,
            State::Union { alternates } => stack.extend(alternates.iter().copied()),
            State::BinaryUnion { alt1, alt2 } => stack.extend([*alt1, *alt2]),
            State::Capture { next, .. } => stack.push(*next),
            State::Fail | State::Match { .. } => {}
        }
    }
    Some(set)
}

/// The bytes a match of `pattern` can hold before an occurrence of one of
/// `anchors` that every match contains at a known place: the pattern is a
/// concatenation, and every string of one of its items holds an anchor
/// (the key-name alternation of `[\w.-]*(?:password|token|...)\s*=\s*...`).
/// The match then starts in the run of these bytes that ends at that
/// occurrence, so its region need not reach further left. `any_case`:
/// anchors are lower-case and found in any case. `None` when there is no
/// such item (or the analysis gives up).
pub(crate) fn left_alphabet(pattern: &str, anchors: &[&str], any_case: bool) -> Option<ByteSet> {
    use regex_automata::nfa::thompson::{Compiler, Config, WhichCaptures};
    use regex_syntax::hir::HirKind;
    let hir = syntax::parse(pattern).ok()?;
    let HirKind::Concat(items) = hir.kind() else {
        return None;
    };
    let compile = |h: &regex_syntax::hir::Hir| {
        Compiler::new()
            .configure(Config::new().which_captures(WhichCaptures::None))
            .build_from_hir(h)
            .ok()
    };
    let mut set = ByteSet::empty();
    for item in items {
        let nfa = compile(item)?;
        set.union(&alphabet_of(&nfa)?);
        if always_holds(&nfa, anchors, any_case)? {
            return Some(set);
        }
    }
    None
}

/// Whether every string `nfa` matches (anchored, whole) contains one of
/// `anchors`: a search over (NFA state, Aho-Corasick state) pairs for a
/// path to a match that never completes an anchor. `None` if it gives up.
fn always_holds(nfa: &NFA, anchors: &[&str], any_case: bool) -> Option<bool> {
    use aho_corasick::automaton::Automaton;
    use aho_corasick::Anchored;
    const LIMIT: usize = 200_000;
    let ac = aho_corasick::dfa::DFA::new(anchors).ok()?;
    let start = ac.start_state(Anchored::No).ok()?;
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![(nfa.start_anchored(), start)];
    while let Some((id, s)) = stack.pop() {
        if !seen.insert((id, s)) {
            continue;
        }
        if seen.len() > LIMIT {
            return None;
        }
        let mut step = |lo: u8, hi: u8, next| {
            for b in lo..=hi {
                let b = if any_case { b.to_ascii_lowercase() } else { b };
                let t = ac.next_state(Anchored::No, s, b);
                // A path that completes an anchor is fine whatever follows.
                if !ac.is_match(t) {
                    stack.push((next, t));
                }
            }
        };
        match nfa.state(id) {
            State::Match { .. } => return Some(false),
            State::ByteRange { trans } => step(trans.start, trans.end, trans.next),
            State::Sparse(sparse) => {
                for t in sparse.transitions.iter() {
                    step(t.start, t.end, t.next);
                }
            }
            State::Dense(dense) => {
                for (b, &next) in dense.transitions.iter().enumerate() {
                    if !matches!(nfa.state(next), State::Fail) {
                        let b = u8::try_from(b).ok()?;
                        step(b, b, next);
                    }
                }
            }
            State::Look { .. } => return None,
            State::Union { alternates } => stack.extend(alternates.iter().map(|&a| (a, s))),
            State::BinaryUnion { alt1, alt2 } => stack.extend([(*alt1, s), (*alt2, s)]),
            State::Capture { next, .. } => stack.push((*next, s)),
            State::Fail => {}
        }
    }
    Some(true)
}

/// The length of the shortest match of `pattern` (0 if unknown).
pub(crate) fn min_len(pattern: &str) -> usize {
    syntax::parse(pattern)
        .ok()
        .and_then(|hir| hir.properties().minimum_len())
        .unwrap_or(0)
}

/// The fewest bytes of `set` any match of `pattern` contains (a 0-1
/// shortest path over the NFA: a transition costs 1 only when every byte it
/// accepts is in `set`). A region with fewer such bytes holds no match.
/// `None` when the NFA does not build; look-around counts as free.
pub(crate) fn min_count(pattern: &str, set: &ByteSet) -> Option<usize> {
    use std::collections::VecDeque;
    let nfa = NFA::new(pattern).ok()?;
    let all_in = |lo: u8, hi: u8| (lo..=hi).all(|b| set.contains(b));
    let mut dist = vec![usize::MAX; nfa.states().len()];
    let mut queue = VecDeque::new();
    let start = nfa.start_anchored();
    dist[start.as_usize()] = 0;
    queue.push_back(start);
    // Each state is settled by the first pop at its final distance.
    let mut done = vec![false; nfa.states().len()];
    while let Some(id) = queue.pop_front() {
        let i = id.as_usize();
        if std::mem::replace(done.get_mut(i)?, true) {
            continue;
        }
        let d = dist[i];
        let mut relax = |next: regex_automata::util::primitives::StateID, cost: usize| {
            let j = next.as_usize();
            if d + cost < dist[j] {
                dist[j] = d + cost;
                if cost == 0 {
                    queue.push_front(next);
                } else {
                    queue.push_back(next);
                }
            }
        };
        match nfa.state(id) {
            State::Match { .. } => return Some(d),
            State::ByteRange { trans } => {
                relax(trans.next, usize::from(all_in(trans.start, trans.end)))
            }
            State::Sparse(sparse) => {
                for t in sparse.transitions.iter() {
                    relax(t.next, usize::from(all_in(t.start, t.end)));
                }
            }
            State::Dense(dense) => {
                for (b, &next) in dense.transitions.iter().enumerate() {
                    if !matches!(nfa.state(next), State::Fail) {
                        let b = u8::try_from(b).ok()?;
                        relax(next, usize::from(set.contains(b)));
                    }
                }
            }
            State::Look { next, .. } => relax(*next, 0),
            State::Union { alternates } => alternates.iter().for_each(|&a| relax(a, 0)),
            State::BinaryUnion { alt1, alt2 } => {
                relax(*alt1, 0);
                relax(*alt2, 0);
            }
            State::Capture { next, .. } => relax(*next, 0),
            State::Fail => {}
        }
    }
    None
}

/// The maximal run of `set` bytes containing `hay[at]` (empty if that byte
/// is not in the set), remembered so that a run is scanned once however
/// many positions inside it are asked about in increasing order.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct RunMemo {
    lo: usize,
    hi: usize,
}

impl RunMemo {
    pub(crate) fn run(&mut self, set: &ByteSet, hay: &[u8], at: usize) -> Range<usize> {
        self.run_with(set, None, hay, at)
    }

    /// [`RunMemo::run`], with the set's nibble form where it has one.
    #[inline(always)]
    pub(crate) fn run_with(
        &mut self,
        set: &ByteSet,
        nibbles: Option<&NibbleSet>,
        hay: &[u8],
        at: usize,
    ) -> Range<usize> {
        if self.lo <= at && at < self.hi {
            return self.lo..self.hi;
        }
        match hay.get(at) {
            Some(&b) if set.contains(b) => self.measure(set, nibbles, hay, at),
            _ => at..at,
        }
    }

    /// The run around `hay[at]`, which is in `set`; remembered.
    #[inline(never)]
    fn measure(
        &mut self,
        set: &ByteSet,
        nibbles: Option<&NibbleSet>,
        hay: &[u8],
        at: usize,
    ) -> Range<usize> {
        // Byte by byte first (most runs are a word long), then a block at
        // a time where the set has a nibble form.
        let floor = at.saturating_sub(BYTEWISE);
        let mut lo = at;
        while lo > floor && set.contains(hay[lo - 1]) {
            lo -= 1;
        }
        if lo == floor && lo > 0 && set.contains(hay[lo - 1]) {
            lo = match nibbles {
                Some(nib) => nib.run_start(hay, lo),
                None => (0..lo)
                    .rev()
                    .find(|&i| !set.contains(hay[i]))
                    .map_or(0, |i| i + 1),
            };
        }
        let ceiling = (at + 1 + BYTEWISE).min(hay.len());
        let mut hi = at + 1;
        while hi < ceiling && set.contains(hay[hi]) {
            hi += 1;
        }
        if hi == ceiling && hi < hay.len() && set.contains(hay[hi]) {
            hi = match nibbles {
                Some(nib) => nib.run_end(hay, hi),
                None => (hi..hay.len())
                    .find(|&i| !set.contains(hay[i]))
                    .unwrap_or(hay.len()),
            };
        }
        self.lo = lo;
        self.hi = hi;
        lo..hi
    }
}

/// Bytes a run is followed byte by byte before it is measured a block at a
/// time.
const BYTEWISE: usize = 16;

/// Windows closer than this are searched as one (fewer regex calls; a
/// larger window is always safe).
const GAP: usize = 16;

/// Per-thread window lists for every pattern, reused across values.
#[derive(Debug, Default)]
pub(crate) struct Windows {
    per: Vec<PatternWindows>,
    /// Patterns with at least one window, in the order first reported.
    touched: Vec<u16>,
}

#[derive(Debug, Default)]
struct PatternWindows {
    list: Vec<(usize, usize)>,
    sorted: bool,
    whole: bool,
    memo: RunMemo,
}

impl Windows {
    /// Forgets the previous value's windows, sized for `patterns` patterns.
    pub(crate) fn reset(&mut self, patterns: usize) {
        for &p in &self.touched {
            if let Some(w) = self.per.get_mut(usize::from(p)) {
                w.list.clear();
                w.whole = false;
                w.memo = RunMemo::default();
            }
        }
        self.touched.clear();
        if self.per.len() != patterns {
            self.per.clear();
            self.per.resize_with(patterns, PatternWindows::default);
        }
    }

    /// Sorts and merges lists that were reported out of order, and the
    /// touched patterns by index.
    pub(crate) fn finish(&mut self) {
        for &p in &self.touched {
            let w = &mut self.per[usize::from(p)];
            if w.sorted {
                continue;
            }
            w.list.sort_unstable();
            let mut k = 0;
            for i in 1..w.list.len() {
                let (s, e) = w.list[i];
                if s <= w.list[k].1 + GAP {
                    w.list[k].1 = w.list[k].1.max(e);
                } else {
                    k += 1;
                    w.list[k] = (s, e);
                }
            }
            w.list.truncate(k + 1);
            w.sorted = true;
        }
        self.touched.sort_unstable();
    }

    pub(crate) fn touched(&self) -> &[u16] {
        &self.touched
    }

    /// The merged windows of pattern `p`, sorted (after [`Windows::finish`]).
    pub(crate) fn of(&self, p: usize) -> &[(usize, usize)] {
        self.per.get(p).map_or(&[], |w| &w.list)
    }
}

/// Where an engine reports the ends of pattern matches in one value (see
/// [`crate::detect::Engine::locate`]).
///
/// The contract mirrors [`crate::detect::Engine::candidates`]: every
/// `(pattern, end)` such that some match of the pattern ends at byte offset
/// `end` must be reported; extra pairs cost time, never findings. Ends of
/// one pattern are cheapest in increasing order, but any order is correct.
pub struct MatchEnds<'a> {
    hay: &'a [u8],
    reach: &'a [Reach],
    windows: &'a mut Windows,
}

impl std::fmt::Debug for MatchEnds<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatchEnds")
            .field("len", &self.hay.len())
            .field("touched", &self.windows.touched.len())
            .finish()
    }
}

impl<'a> MatchEnds<'a> {
    pub(crate) fn new(hay: &'a [u8], reach: &'a [Reach], windows: &'a mut Windows) -> Self {
        windows.reset(reach.len());
        MatchEnds {
            hay,
            reach,
            windows,
        }
    }

    /// Some match of `pattern` ends at byte offset `end`.
    #[inline]
    pub fn add(&mut self, pattern: usize, end: usize) {
        let (Some(reach), Some(w)) = (self.reach.get(pattern), self.windows.per.get_mut(pattern))
        else {
            return;
        };
        if w.whole {
            return;
        }
        let end = end.min(self.hay.len());
        let start = match reach {
            Reach::Bounded(max) => end.saturating_sub(*max),
            Reach::Run(set) => {
                // Matches are never empty, so a real end is at least 1.
                let Some(last) = end.checked_sub(1) else {
                    return;
                };
                let run = w.memo.run(set, self.hay, last);
                // An end whose last byte cannot be in a match is not a real
                // end; searching from the start keeps even that correct.
                if run.is_empty() {
                    0
                } else {
                    run.start
                }
            }
            Reach::Whole => {
                self.whole(pattern);
                return;
            }
        };
        match w.list.last_mut() {
            None => {
                w.sorted = true;
                // `pattern` indexes `per`, which has at most u16::MAX + 1
                // entries (the scanner refuses more detectors).
                self.windows.touched.push(pattern as u16);
                w.list.push((start, end));
            }
            Some(last) if end >= last.1 && start >= last.0 && start <= last.1 + GAP => {
                last.1 = end;
            }
            Some(last) => {
                // Out of order: `finish` sorts and merges, so that windows
                // never overlap (the equivalence argument needs that).
                if end < last.1 || start < last.0 {
                    w.sorted = false;
                }
                w.list.push((start, end));
            }
        }
    }

    /// `pattern` occurs somewhere: search the whole value for it.
    pub fn whole(&mut self, pattern: usize) {
        let Some(w) = self.windows.per.get_mut(pattern) else {
            return;
        };
        if w.list.is_empty() {
            self.windows.touched.push(pattern as u16);
        }
        w.list.clear();
        w.list.push((0, self.hay.len()));
        w.whole = true;
        w.sorted = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_of_patterns() {
        assert!(matches!(Reach::of(r"[0-9]{3}-[0-9]{4}"), Reach::Bounded(8)));
        assert!(matches!(Reach::of(r"\bx"), Reach::Whole));
        let Reach::Run(set) = Reach::of(r"[0-9](?:[ \-]?[0-9]){11,}") else {
            panic!("unbounded");
        };
        let bytes: Vec<u8> = (0..=255u8).filter(|&b| set.contains(b)).collect();
        assert_eq!(bytes, b" -0123456789");
        let Reach::Run(set) = Reach::of(r"\w+@") else {
            panic!("unbounded");
        };
        assert!(set.contains(b'@') && set.contains(b'_') && set.contains(0xC3));
        assert!(!set.contains(b' ') && !set.contains(b'.'));
    }

    #[test]
    fn least_anchor_bytes_and_shortest_match() {
        let mut digits = ByteSet::empty();
        digits.insert_range(b'0', b'9');
        assert_eq!(min_count(r"[0-9]{3}-[0-9]{4}", &digits), Some(7));
        // A class that also takes a letter may hold no digit at all.
        assert_eq!(min_count(r"[0-9A-Z]{5}[0-9]", &digits), Some(1));
        assert_eq!(min_count(r"[0-9]+(?:\.[0-9]+){3}|::", &digits), Some(0));
        assert_eq!(min_count(r"ab[0-9]{2}|[0-9]{9}", &digits), Some(2));
        assert_eq!(min_len(r"[0-9]{3}-[0-9]{4}"), 8);
        assert_eq!(min_len(r"[0-9]{5}(?:-[0-9]{4})?"), 5);
    }

    #[test]
    fn left_alphabet_stops_at_the_key_item() {
        let p = r"[a-z_]*(?:token|secret)\s*=\s*[^\s]+";
        let left = left_alphabet(p, &["token", "secret"], true).expect("key item");
        assert!(left.contains(b'_') && left.contains(b'k'));
        // The value may hold spaces; the part before the key may not.
        assert!(!left.contains(b' ') && !left.contains(b'='));
        // `tok` does not always hold an anchor: no key item.
        assert!(left_alphabet(r"[a-z]*(?:tok|secret)=", &["token", "secret"], true).is_none());
        // Not a concatenation.
        assert!(left_alphabet(r"token|secret", &["token", "secret"], true).is_none());
    }

    #[test]
    fn windows_merge_and_sort() {
        let hay = b"0123456789 abc 0123456789";
        let reach = vec![Reach::Bounded(3), Reach::of(r"[0-9]+")];
        let mut w = Windows::default();
        let mut ends = MatchEnds::new(hay, &reach, &mut w);
        ends.add(0, 5);
        ends.add(0, 6);
        ends.add(0, 2);
        ends.add(1, 3);
        ends.add(1, 9);
        ends.add(1, 20);
        ends.add(7, 1);
        w.finish();
        assert_eq!(w.touched(), [0, 1]);
        assert_eq!(w.of(0), [(0, 6)]);
        assert_eq!(w.of(1), [(0, 20)]);
    }
}
