//! The default [`Engine`]: every detector pattern in one regex-automata
//! multi-pattern regex, asked "which patterns match anywhere?".
//!
//! `MatchKind::All` with an overlapping search is what makes one pass answer
//! for all patterns at once (leftmost-first would hide a pattern whose match
//! starts inside another's). regex-automata's engines are all linear in the
//! haystack, so no value, however hostile, can take more than one pass per
//! hit detector.

use regex_automata::meta;
use regex_automata::nfa::thompson::WhichCaptures;
use regex_automata::{Input, MatchKind, PatternSet};

use super::{DetectError, Detector, Engine, EngineScratch};

/// One lazy-DFA pass over a value reports every detector whose pattern occurs.
#[derive(Debug)]
pub struct RegexEngine {
    set: meta::Regex,
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
        Ok(RegexEngine { set })
    }
}

impl Engine for RegexEngine {
    fn candidates(&self, hay: &[u8], scratch: &mut EngineScratch, out: &mut Vec<u16>) {
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
