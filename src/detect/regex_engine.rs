//! The default [`Engine`]: every detector pattern in one regex-automata
//! multi-pattern regex, asked "which patterns match anywhere?".
//!
//! `MatchKind::All` with an overlapping search is what makes one pass answer
//! for all patterns at once (leftmost-first would hide a pattern whose match
//! starts inside another's). regex-automata's engines are all linear in the
//! haystack, so no value, however hostile, can take more than one pass per
//! hit detector.
//!
//! In front of the DFA sits a gate built from the detectors' anchors: most
//! values (prose without a digit, an `@` or a token prefix) cannot match any
//! pattern, and a byte-table scan plus an Aho-Corasick search for the
//! multi-byte anchors says so several times faster than the DFA pass. The
//! gate only ever skips values in which no pattern can match, so it never
//! changes a finding.

use aho_corasick::AhoCorasick;
use regex_automata::meta;
use regex_automata::nfa::thompson::WhichCaptures;
use regex_automata::{Input, MatchKind, PatternSet};

use super::{DetectError, Detector, Engine, EngineScratch};

/// Lazy-DFA cache per thread. Fifty-odd patterns searched for all at once
/// need about 3 MB of DFA states on English prose; regex-automata's 2 MB
/// default made the cache thrash until the search fell back to the PikeVM
/// (measured: 5-10 MB/s instead of ~280 MB/s). The cache grows only as
/// states are built, so this is a ceiling, not an allocation.
const HYBRID_CACHE: usize = 64 << 20;

/// One lazy-DFA pass over a value reports every detector whose pattern occurs.
#[derive(Debug)]
pub struct RegexEngine {
    set: meta::Regex,
    gate: Option<Gate>,
}

/// "Can any detector find something here?", from anchors alone. Exists
/// only when every detector declares anchors; a single detector without
/// them turns the gate off. An anchor without upper-case letters matches in
/// any case (`password` also finds `DB_PASSWORD`), one with them only as
/// written (`AKIA`, `SK`), so that short vendor prefixes stay selective.
#[derive(Debug)]
struct Gate {
    bytes: [bool; 256],
    exact: Option<AhoCorasick>,
    folded: Option<AhoCorasick>,
}

impl Gate {
    fn new(detectors: &[&'static Detector]) -> Option<Gate> {
        let mut bytes = [false; 256];
        let (mut exact, mut folded) = (Vec::new(), Vec::new());
        for d in detectors {
            if d.anchors.is_empty() || d.anchors.iter().any(|a| a.is_empty()) {
                return None;
            }
            for a in d.anchors {
                let any_case = !a.bytes().any(|b| b.is_ascii_uppercase());
                match a.as_bytes() {
                    [b] => {
                        bytes[usize::from(*b)] = true;
                        if any_case {
                            bytes[usize::from(b.to_ascii_uppercase())] = true;
                        }
                    }
                    _ if any_case => folded.push(*a),
                    _ => exact.push(*a),
                }
            }
        }
        Some(Gate {
            bytes,
            exact: searcher(&exact, false)?,
            folded: searcher(&folded, true)?,
        })
    }

    fn passes(&self, hay: &[u8]) -> bool {
        // OR a chunk's table lookups before branching: one branch per 32
        // bytes instead of one per byte.
        let mut chunks = hay.chunks_exact(32);
        for c in chunks.by_ref() {
            if c.iter()
                .fold(false, |acc, &b| acc | self.bytes[usize::from(b)])
            {
                return true;
            }
        }
        if chunks
            .remainder()
            .iter()
            .any(|&b| self.bytes[usize::from(b)])
        {
            return true;
        }
        self.exact.as_ref().is_some_and(|ac| ac.is_match(hay))
            || self.folded.as_ref().is_some_and(|ac| ac.is_match(hay))
    }
}

/// `Some(None)` for no literals; `None` when building fails (only on absurd
/// sizes), which turns the gate off. Leftmost matching lets aho-corasick use
/// its SIMD (Teddy) prefilter; any match at all is all the gate needs.
#[allow(clippy::option_option)]
fn searcher(literals: &[&str], any_case: bool) -> Option<Option<AhoCorasick>> {
    if literals.is_empty() {
        return Some(None);
    }
    AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
        .ascii_case_insensitive(any_case)
        .build(literals)
        .ok()
        .map(Some)
}

struct RegexScratch {
    cache: meta::Cache,
    patset: PatternSet,
}

impl RegexEngine {
    pub fn new(detectors: &[&'static Detector]) -> Result<RegexEngine, DetectError> {
        let patterns: Vec<&str> = detectors.iter().map(|d| d.pattern).collect();
        let set = meta::Regex::builder()
            .configure(
                meta::Regex::config()
                    .match_kind(MatchKind::All)
                    .which_captures(WhichCaptures::None)
                    .hybrid_cache_capacity(HYBRID_CACHE),
            )
            .build_many(&patterns)
            .map_err(|e| {
                // Name the detector whose pattern broke the build, if the
                // error says which one it was.
                let id = e
                    .pattern()
                    .and_then(|p| detectors.get(p.as_usize()))
                    .map_or("<set>", |d| d.id);
                DetectError::Pattern {
                    id,
                    source: Box::new(e),
                }
            })?;
        Ok(RegexEngine {
            set,
            gate: Gate::new(detectors),
        })
    }

    /// Drops the anchor gate (for measuring it, and for proving it changes
    /// no finding).
    pub fn without_gate(mut self) -> RegexEngine {
        self.gate = None;
        self
    }

    /// Whether the anchor gate is active (every detector has anchors).
    pub fn has_gate(&self) -> bool {
        self.gate.is_some()
    }
}

impl Engine for RegexEngine {
    fn candidates(&self, hay: &[u8], scratch: &mut EngineScratch, out: &mut Vec<u16>) {
        if self.gate.as_ref().is_some_and(|g| !g.passes(hay)) {
            return;
        }
        let n = self.set.pattern_len();
        let Some(s) = scratch.get_mut::<RegexScratch>() else {
            // Not our scratch: answering "all" keeps the contract.
            out.extend((0..n).filter_map(|i| u16::try_from(i).ok()));
            return;
        };
        s.patset.clear();
        self.set
            .which_overlapping_matches_with(&mut s.cache, &Input::new(hay), &mut s.patset);
        out.extend(
            s.patset
                .iter()
                .filter_map(|p| u16::try_from(p.as_usize()).ok()),
        );
    }

    fn name(&self) -> &'static str {
        "regex-automata"
    }

    fn new_scratch(&self) -> EngineScratch {
        EngineScratch::new(RegexScratch {
            cache: self.set.create_cache(),
            patset: PatternSet::new(self.set.pattern_len()),
        })
    }
}
