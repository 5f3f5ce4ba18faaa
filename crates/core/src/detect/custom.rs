//! A team's own detectors and allowlists, from `scour.toml`.
//!
//! User rules share the built-in schema (an id, a regex, anchors, a
//! placeholder, a category) so that they flow through the same engine,
//! overlap resolution, report and masks as built-in ones. Allowlists drop
//! findings whose matched text is a known test value (`@example.com`, a
//! documented test card) globally or for one detector.
//!
//! Allowlists and a rule's entropy minimum are applied to the resolved
//! findings of a value: a finding dropped there does not bring back a
//! lower-priority finding it had displaced on the same span.

use std::collections::BTreeMap;
use std::ops::Range;

use regex_automata::meta;
use serde::Deserialize;
use thiserror::Error;

use super::context::{entropy, is_placeholder};
use super::{builtin, Candidate, Category, Detector, Finding};

/// `[[rules]]` in scour.toml.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Upper-case id, e.g. `ACME_EMPLOYEE_ID`.
    pub id: String,
    /// regex-automata syntax (like Rust's `regex`); must not match "".
    pub regex: String,
    /// Literals one of which every match contains (for prefiltering).
    #[serde(default)]
    pub anchors: Vec<String>,
    /// Minimum Shannon entropy in bits per character of the match.
    pub min_entropy: Option<f64>,
    /// Mask label; default `[ID]`.
    pub placeholder: Option<String>,
    /// `pii` (default) or `secret`.
    #[serde(default)]
    pub category: CategoryName,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub regulations: Vec<String>,
    /// Overlap priority (built-ins use 10–90); default 50.
    pub priority: Option<u8>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CategoryName {
    #[default]
    Pii,
    Secret,
}

/// `[detectors]` in scour.toml.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DetectorsConfig {
    /// Built-in detector ids not to run.
    pub disable: Vec<String>,
}

/// One allowlist: exact matched values and regexes over the matched text.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AllowEntry {
    pub values: Vec<String>,
    pub patterns: Vec<String>,
}

/// `[allowlist]` in scour.toml: global entries plus `[allowlist.detectors.ID]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AllowConfig {
    pub values: Vec<String>,
    pub patterns: Vec<String>,
    pub detectors: BTreeMap<String, AllowEntry>,
}

/// One step of the path to a value in scour.toml: a key of a table or an
/// index into an array (`rules`, 0, `regex` for the first rule's regex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStep {
    Key(String),
    Index(usize),
}

impl KeyStep {
    fn key(k: &str) -> KeyStep {
        KeyStep::Key(k.to_string())
    }
}

/// A bad value in `[[rules]]`, `[detectors]` or `[allowlist]`. Each names
/// its key in the message and its place in the file in [`CustomError::place`],
/// which `config` turns into a line.
#[derive(Debug, Error)]
pub enum CustomError {
    #[error("rules[{index}].id: {id:?} must be 1-64 characters of A-Z, 0-9 and _")]
    BadId { index: usize, id: String },
    #[error("rules.{id}.id: defined twice (or clashes with a built-in detector)")]
    Duplicate { index: usize, id: String },
    #[error("rules.{id}.regex: {message}")]
    Regex {
        index: usize,
        id: String,
        message: String,
    },
    #[error("rules.{id}.regex matches the empty string; a rule must match at least one character")]
    Empty { index: usize, id: String },
    #[error("{key}: unknown detector id {id:?}; `scour rules` lists them")]
    UnknownDetector {
        key: String,
        id: String,
        place: Vec<KeyStep>,
    },
    #[error("allowlist{key}.patterns: {message}")]
    AllowRegex {
        key: String,
        message: String,
        place: Vec<KeyStep>,
    },
}

impl CustomError {
    /// Where the bad value is in scour.toml.
    pub fn place(&self) -> Vec<KeyStep> {
        let rule = |index: usize, field: &str| {
            vec![
                KeyStep::key("rules"),
                KeyStep::Index(index),
                KeyStep::key(field),
            ]
        };
        match self {
            CustomError::BadId { index, .. } | CustomError::Duplicate { index, .. } => {
                rule(*index, "id")
            }
            CustomError::Regex { index, .. } | CustomError::Empty { index, .. } => {
                rule(*index, "regex")
            }
            CustomError::UnknownDetector { place, .. } | CustomError::AllowRegex { place, .. } => {
                place.clone()
            }
        }
    }
}

/// A regex's build error as its user needs it: regex-syntax's own message
/// for a syntax error, with where in the pattern it is (its caret drawing
/// below), else the build error and its causes (a size limit).
pub fn regex_error(pattern: &str, e: &meta::BuildError) -> String {
    let at = |kind: &dyn std::fmt::Display, span: &regex_syntax::ast::Span| {
        let (line, column) = (span.start.line, span.start.column);
        let place = if pattern.contains('\n') {
            format!("line {line}, column {column}")
        } else {
            format!("column {column}")
        };
        format!("invalid regex {pattern:?}: {kind} at {place} of the pattern")
    };
    match e.syntax_error() {
        Some(err @ regex_syntax::Error::Parse(x)) => {
            format!("{}\n{err}", at(x.kind(), x.span()))
        }
        Some(err @ regex_syntax::Error::Translate(x)) => {
            format!("{}\n{err}", at(x.kind(), x.span()))
        }
        _ => {
            let mut message = format!("invalid regex {pattern:?}: {e}");
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                message.push_str(&format!(": {s}"));
                source = s.source();
            }
            message
        }
    }
}

fn leak(s: String) -> &'static str {
    // User rules live for the whole process; leaking a few strings once at
    // start-up is what lets them share the `&'static` built-in table type.
    Box::leak(s.into_boxed_str())
}

/// The validator of every user rule: not glued to word characters, and for
/// secrets not a placeholder. The entropy minimum is applied in [`Filter`].
fn custom_validator(c: &Candidate<'_>) -> Option<Range<usize>> {
    let glued = |ch: Option<char>| ch.is_some_and(|ch| ch.is_alphanumeric() || ch == '_');
    let v = c.value();
    let first_word = v
        .chars()
        .next()
        .is_some_and(|ch| ch.is_alphanumeric() || ch == '_');
    let last_word = v
        .chars()
        .last()
        .is_some_and(|ch| ch.is_alphanumeric() || ch == '_');
    if (first_word && glued(c.before())) || (last_word && glued(c.after())) {
        return None;
    }
    Some(c.range())
}

fn identity(s: &str) -> String {
    s.trim().to_string()
}

/// Checks rule `index` against the ids `seen` before it: its id, and a
/// regex that compiles and does not match "".
fn check_rule(index: usize, r: &RuleConfig, seen: &[&str]) -> Result<(), CustomError> {
    let ok_id = !r.id.is_empty()
        && r.id.len() <= 64
        && r.id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if !ok_id {
        return Err(CustomError::BadId {
            index,
            id: r.id.clone(),
        });
    }
    if seen.contains(&r.id.as_str()) {
        return Err(CustomError::Duplicate {
            index,
            id: r.id.clone(),
        });
    }
    let re = meta::Regex::new(&r.regex).map_err(|e| CustomError::Regex {
        index,
        id: r.id.clone(),
        message: regex_error(&r.regex, &e),
    })?;
    if re.is_match("") {
        return Err(CustomError::Empty {
            index,
            id: r.id.clone(),
        });
    }
    Ok(())
}

/// Every check [`select`] and [`Filter::new`] make, without building
/// anything: what `config` runs on a freshly read scour.toml, so that a bad
/// value is reported with its line.
pub fn check(
    disable: &[String],
    rules: &[RuleConfig],
    allow: &AllowConfig,
) -> Result<(), CustomError> {
    check_disable(disable)?;
    let mut seen: Vec<&str> = builtin().iter().map(|d| d.id).collect();
    for (index, r) in rules.iter().enumerate() {
        check_rule(index, r, &seen)?;
        seen.push(&r.id);
    }
    let active: Vec<&str> = seen
        .into_iter()
        .filter(|id| !disable.iter().any(|x| x == id))
        .collect();
    check_allow(&active, allow)
}

fn check_disable(disable: &[String]) -> Result<(), CustomError> {
    for (i, id) in disable.iter().enumerate() {
        if !builtin().iter().any(|d| d.id == id) {
            return Err(CustomError::UnknownDetector {
                key: "detectors.disable".into(),
                id: id.clone(),
                place: vec![
                    KeyStep::key("detectors"),
                    KeyStep::key("disable"),
                    KeyStep::Index(i),
                ],
            });
        }
    }
    Ok(())
}

/// Allowlists name detectors that run (`active` ids) and hold patterns
/// that compile.
fn check_allow(active: &[&str], allow: &AllowConfig) -> Result<(), CustomError> {
    for id in allow.detectors.keys() {
        if !active.contains(&id.as_str()) {
            return Err(CustomError::UnknownDetector {
                key: format!("allowlist.detectors.{id}"),
                id: id.clone(),
                place: vec![
                    KeyStep::key("allowlist"),
                    KeyStep::key("detectors"),
                    KeyStep::key(id),
                ],
            });
        }
    }
    Allow::build(
        &AllowEntry {
            values: Vec::new(),
            patterns: allow.patterns.clone(),
        },
        "",
    )?;
    for (id, e) in &allow.detectors {
        Allow::build(e, &format!(".detectors.{id}"))?;
    }
    Ok(())
}

/// Turn user rules into detectors.
pub fn rules_to_detectors(rules: &[RuleConfig]) -> Result<Vec<&'static Detector>, CustomError> {
    let mut seen: Vec<&str> = builtin().iter().map(|d| d.id).collect();
    let mut out = Vec::new();
    for (index, r) in rules.iter().enumerate() {
        check_rule(index, r, &seen)?;
        let id = leak(r.id.clone());
        seen.push(id);
        let anchors: Vec<&'static str> = r.anchors.iter().map(|a| leak(a.clone())).collect();
        let regulations: Vec<&'static str> =
            r.regulations.iter().map(|a| leak(a.clone())).collect();
        let d = Detector {
            id,
            category: match r.category {
                CategoryName::Pii => Category::Pii,
                CategoryName::Secret => Category::Secret,
            },
            description: leak(if r.description.is_empty() {
                format!("user rule {}", r.id)
            } else {
                r.description.clone()
            }),
            pattern: leak(r.regex.clone()),
            dfa_pattern: None,
            anchors: Box::leak(anchors.into_boxed_slice()),
            context: &[],
            validator: custom_validator,
            validator_name: if r.min_entropy.is_some() {
                "user rule: boundaries + entropy"
            } else {
                "user rule: boundaries"
            },
            normaliser: identity,
            placeholder: leak(r.placeholder.clone().unwrap_or_else(|| "[ID]".into())),
            regulations: Box::leak(regulations.into_boxed_slice()),
            priority: r.priority.unwrap_or(50),
            examples: &[],
            near_misses: &[],
        };
        out.push(&*Box::leak(Box::new(d)));
    }
    Ok(out)
}

/// The detectors a scan runs with: built-ins minus the disabled ones, plus
/// the user's rules.
pub fn select(
    disable: &[String],
    rules: &[RuleConfig],
) -> Result<Vec<&'static Detector>, CustomError> {
    check_disable(disable)?;
    let mut out: Vec<&'static Detector> = builtin()
        .iter()
        .filter(|d| !disable.iter().any(|x| x == d.id))
        .collect();
    out.extend(rules_to_detectors(rules)?);
    Ok(out)
}

#[derive(Debug, Default)]
struct Allow {
    values: Vec<String>,
    patterns: Vec<meta::Regex>,
}

impl Allow {
    /// `key` is the entry's key after `allowlist` (`""` for the global
    /// one, `.detectors.EMAIL`).
    fn build(e: &AllowEntry, key: &str) -> Result<Allow, CustomError> {
        let patterns = e
            .patterns
            .iter()
            .enumerate()
            .map(|(i, p)| {
                meta::Regex::new(p).map_err(|err| {
                    let mut place = vec![KeyStep::key("allowlist")];
                    place.extend(key.split('.').filter(|k| !k.is_empty()).map(KeyStep::key));
                    place.extend([KeyStep::key("patterns"), KeyStep::Index(i)]);
                    CustomError::AllowRegex {
                        key: key.to_string(),
                        message: regex_error(p, &err),
                        place,
                    }
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Allow {
            values: e.values.clone(),
            patterns,
        })
    }

    fn allows(&self, text: &str, normalised: &str) -> bool {
        self.values.iter().any(|v| v == text || v == normalised)
            || self.patterns.iter().any(|p| p.is_match(text))
    }

    fn is_empty(&self) -> bool {
        self.values.is_empty() && self.patterns.is_empty()
    }
}

/// Post-resolution filter: allowlists and user entropy minimums.
#[derive(Debug, Default)]
pub struct Filter {
    global: Allow,
    /// Indexed like the scanner's detectors.
    per_detector: Vec<Allow>,
    min_entropy: Vec<Option<f64>>,
    active: bool,
}

impl Filter {
    /// Build for `detectors` (the scanner's list, in its order).
    pub fn new(
        detectors: &[&'static Detector],
        allow: &AllowConfig,
        rules: &[RuleConfig],
    ) -> Result<Filter, CustomError> {
        let active: Vec<&str> = detectors.iter().map(|d| d.id).collect();
        check_allow(&active, allow)?;
        let global = Allow::build(
            &AllowEntry {
                values: allow.values.clone(),
                patterns: allow.patterns.clone(),
            },
            "",
        )?;
        let mut per_detector = Vec::with_capacity(detectors.len());
        let mut min_entropy = Vec::with_capacity(detectors.len());
        for d in detectors {
            per_detector.push(match allow.detectors.get(d.id) {
                Some(e) => Allow::build(e, &format!(".detectors.{}", d.id))?,
                None => Allow::default(),
            });
            min_entropy.push(
                rules
                    .iter()
                    .find(|r| r.id == d.id)
                    .and_then(|r| r.min_entropy),
            );
        }
        let active = !global.is_empty()
            || per_detector.iter().any(|a| !a.is_empty())
            || min_entropy.iter().any(Option::is_some);
        Ok(Filter {
            global,
            per_detector,
            min_entropy,
            active,
        })
    }

    /// Whether a finding survives.
    pub fn keep(&self, detectors: &[&'static Detector], text: &str, f: &Finding) -> bool {
        if !self.active {
            return true;
        }
        let d = f.detector as usize;
        let matched = text.get(f.start as usize..f.end as usize).unwrap_or("");
        if let Some(Some(min)) = self.min_entropy.get(d) {
            if entropy(matched) < *min
                || (detectors[d].category == Category::Secret && is_placeholder(matched))
            {
                return false;
            }
        }
        let normalised = (detectors[d].normaliser)(matched);
        if self.global.allows(matched, &normalised) {
            return false;
        }
        !self
            .per_detector
            .get(d)
            .is_some_and(|a| a.allows(matched, &normalised))
    }

    pub fn is_active(&self) -> bool {
        self.active
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Scanner;

    fn rule(id: &str, regex: &str) -> RuleConfig {
        RuleConfig {
            id: id.into(),
            regex: regex.into(),
            anchors: vec![],
            min_entropy: None,
            placeholder: Some("[EMP]".into()),
            category: CategoryName::Pii,
            description: String::new(),
            regulations: vec!["GDPR".into()],
            priority: None,
        }
    }

    fn scan(dets: Vec<&'static Detector>, filter: &Filter, text: &str) -> Vec<&'static str> {
        let s = Scanner::new(dets).unwrap();
        let mut scratch = s.scratch();
        let mut out = Vec::new();
        s.scan(text, &mut scratch, &mut out);
        out.iter()
            .filter(|f| filter.keep(s.detectors(), text, f))
            .map(|f| s.detectors()[f.detector as usize].id)
            .collect()
    }

    #[test]
    fn user_rules_find_with_boundaries() {
        let dets = select(&[], &[rule("ACME_EMPLOYEE_ID", r"ACME-[0-9]{6}")]).unwrap();
        let f = Filter::default();
        assert_eq!(
            scan(dets.clone(), &f, "badge ACME-123456 issued"),
            vec!["ACME_EMPLOYEE_ID"]
        );
        assert!(scan(dets.clone(), &f, "badge XACME-1234567 issued").is_empty());
        assert!(scan(dets, &f, "nothing here").is_empty());
    }

    #[test]
    fn entropy_minimum_and_placeholders() {
        let mut r = rule("INTERNAL_TOKEN", r"itk_[A-Za-z0-9]{16}");
        r.category = CategoryName::Secret;
        r.min_entropy = Some(3.0);
        let dets = select(&[], std::slice::from_ref(&r)).unwrap();
        let f = Filter::new(&dets, &AllowConfig::default(), std::slice::from_ref(&r)).unwrap();
        assert_eq!(
            scan(dets.clone(), &f, "key itk_9fT2mQx7LpR4vZ8b"),
            vec!["INTERNAL_TOKEN"]
        );
        assert!(scan(dets, &f, "key itk_aaaaaaaaaaaaaaaa").is_empty());
    }

    #[test]
    fn allowlists_global_and_per_detector() {
        let dets = select(&[], &[]).unwrap();
        let allow = AllowConfig {
            values: vec!["4111111111111111".into()],
            patterns: vec![],
            detectors: BTreeMap::from([(
                "EMAIL".to_string(),
                AllowEntry {
                    values: vec![],
                    patterns: vec![r"@example\.(com|org)$".into()],
                },
            )]),
        };
        let f = Filter::new(&dets, &allow, &[]).unwrap();
        assert!(f.is_active());
        assert!(scan(
            dets.clone(),
            &f,
            "card 4111 1111 1111 1111 mail a@example.com"
        )
        .is_empty());
        assert_eq!(scan(dets.clone(), &f, "mail a@corp.io"), vec!["EMAIL"]);
        assert_eq!(
            scan(dets, &f, "card 5555 5555 5555 4444"),
            vec!["CREDIT_CARD"]
        );
    }

    #[test]
    fn disable_and_errors() {
        let dets = select(&["EMAIL".into()], &[]).unwrap();
        assert!(!dets.iter().any(|d| d.id == "EMAIL"));
        assert!(matches!(
            select(&["NOPE".into()], &[]),
            Err(CustomError::UnknownDetector { .. })
        ));
        assert!(matches!(
            select(&[], &[rule("EMAIL", "x+")]),
            Err(CustomError::Duplicate { .. })
        ));
        assert!(matches!(
            select(&[], &[rule("bad id", "x+")]),
            Err(CustomError::BadId { .. })
        ));
        assert!(matches!(
            select(&[], &[rule("A_B", "(")]),
            Err(CustomError::Regex { .. })
        ));
        assert!(matches!(
            select(&[], &[rule("A_B", "x*")]),
            Err(CustomError::Empty { .. })
        ));
        let allow = AllowConfig {
            patterns: vec!["(".into()],
            ..AllowConfig::default()
        };
        assert!(Filter::new(&builtin().iter().collect::<Vec<_>>(), &allow, &[]).is_err());
    }
}
