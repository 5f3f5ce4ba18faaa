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

/// One lazy-DFA pass over a value reports every detector whose pattern occurs.
#[derive(Debug)]
pub struct RegexEngine {
    set: meta::Regex,
    gate: Option<Gate>,
}

/// "Can any pattern match here?", from anchors alone. Exists only when
/// every detector declares anchors (one of which each of its matches
/// contains); a single detector without them turns the gate off.
#[derive(Debug)]
struct Gate {
    bytes: [bool; 256],
    literals: Option<AhoCorasick>,
}

impl Gate {
    fn new(detectors: &[&'static Detector]) -> Option<Gate> {
        let mut bytes = [false; 256];
        let mut literals = Vec::new();
        for d in detectors {
            if d.anchors.is_empty() || d.anchors.iter().any(|a| a.is_empty()) {
                return None;
            }
            for a in d.anchors {
                match a.as_bytes() {
                    [b] => bytes[usize::from(*b)] = true,
                    _ => literals.push(*a),
                }
            }
        }
        let literals = if literals.is_empty() {
            None
        } else {
            // Leftmost matching lets aho-corasick use its SIMD (Teddy)
            // prefilter; any match at all is all the gate needs. Building can
            // only fail on absurd sizes, and then there is no gate.
            Some(
                AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                    .build(&literals)
                    .ok()?,
            )
        };
        Some(Gate { bytes, literals })
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
        self.literals.as_ref().is_some_and(|ac| ac.is_match(hay))
    }
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
                    .which_captures(WhichCaptures::None),
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
