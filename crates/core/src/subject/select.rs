//! Who is looked for: `--id`/`--ids-file` values turned into lookup tables.
//!
//! Every subject becomes, once, the set of canonical spellings it may take
//! in a corpus (the detector's normalisation, and for phones its E.164 and
//! national forms), the pseudonyms `scour mask` would write for those
//! spellings, and the surrogates it would draw for them. Matching a chunk
//! is then a hash lookup per finding plus token and literal searches whose
//! cost does not grow with the number of subjects.

use std::collections::HashMap;
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind as AcMatchKind};

/// Literal and surrogate bytes up to which the automaton is a DFA (about
/// 40 MB of tables at this size).
const DFA_PATTERN_BYTES: usize = 1 << 20;

use crate::detect::{Category, Detector, Finding, Scanner};
use crate::keys::PseudonymKey;
use crate::mask::surrogate::surrogate;

/// The type name of a subject no detector accepts: matched as a
/// case-insensitive whole word.
pub const LITERAL: &str = "literal";

/// How a hit was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HitKind {
    /// A detector found the value and its normalised form is the subject's.
    Plaintext,
    /// `[TYPE:16hex]` as `scour mask --mode pseudonym` writes it.
    Pseudonym,
    /// The stand-in `scour mask --mode surrogate` draws under the same key.
    Surrogate,
    /// A literal subject, as a case-insensitive whole word.
    Literal,
    /// A row named by `--row-id FIELD=VALUE` (purge).
    RowId,
}

impl HitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HitKind::Plaintext => "plaintext",
            HitKind::Pseudonym => "pseudonym",
            HitKind::Surrogate => "surrogate",
            HitKind::Literal => "literal",
            HitKind::RowId => "row_id",
        }
    }
}

/// One requested subject as given: an optional type and the raw value.
#[derive(Clone)]
pub struct Request {
    pub kind: Option<String>,
    pub value: String,
    /// Where it came from (`--id`, `FILE:LINE`), for error messages.
    pub origin: String,
}

impl std::fmt::Debug for Request {
    // Never the raw value, even in a debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Request({:?} from {})", self.kind, self.origin)
    }
}

/// Why a selection could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("{origin}: unknown type {kind:?}; expected `literal` or a detector id (`scour rules` lists them)")]
    UnknownType { origin: String, kind: String },
    #[error("{origin}: empty value")]
    Empty { origin: String },
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: not UTF-8")]
    NotUtf8 { path: String, line: usize },
    #[error("--row-id {0:?}: expected FIELD=VALUE")]
    RowId(String),
    #[error("no subject given: use --id VALUE, --ids-file FILE or --row-id FIELD=VALUE")]
    Nothing,
    #[error("cannot build the literal matcher: {0}")]
    Automaton(String),
}

/// Requests from an ids file: one a line, `TYPE<TAB>VALUE` or `VALUE`;
/// blank lines are skipped.
pub fn read_ids_file(path: &Path) -> Result<Vec<Request>, SelectError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| SelectError::Read {
        path: shown.clone(),
        source: e,
    })?;
    let mut out = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = std::str::from_utf8(line).map_err(|_| SelectError::NotUtf8 {
            path: shown.clone(),
            line: i + 1,
        })?;
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let (kind, value) = match line.split_once('\t') {
            Some((k, v)) => (Some(k.trim().to_string()), v.to_string()),
            None => (None, line.to_string()),
        };
        out.push(Request {
            kind,
            value,
            origin: format!("{shown}:{}", i + 1),
        });
    }
    Ok(out)
}

/// A resolved subject: its type and its reference. The raw value is not
/// kept past [`Subjects::build`].
#[derive(Debug, Clone)]
pub struct Subject {
    /// Detector id, or [`LITERAL`].
    pub kind: String,
    /// First 16 hex digits of HMAC-SHA256(key, kind ‖ 0x00 ‖ canonical
    /// normalised value): its pseudonym, and its only name in any output.
    pub reference: String,
}

/// What a pattern of the literal automaton stands for.
#[derive(Debug, Clone, Copy)]
struct Pattern {
    subject: u32,
    kind: HitKind,
    detector: Option<u16>,
}

/// A subject found in a value: which bytes, how, and who.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    pub value: u32,
    pub start: u32,
    pub end: u32,
    pub subject: u32,
    pub kind: HitKind,
    /// The detector whose type the match is of (`None` for literals).
    pub detector: Option<u16>,
}

/// The lookup tables of a selection.
pub struct Subjects {
    pub list: Vec<Subject>,
    /// Per detector index: canonical spelling → subjects.
    typed: Vec<HashMap<String, Vec<u32>>>,
    /// Pseudonym reference (16 hex as a number) → (subject, detector).
    pseudonyms: HashMap<u64, Vec<(u32, u16)>>,
    /// Pseudonym labels (`EMAIL` of `[EMAIL:..]`) per detector index.
    labels: Vec<String>,
    /// E-mail surrogates, lower-cased, → subject.
    email_surrogates: HashMap<String, Vec<u32>>,
    email: Option<u16>,
    /// Number surrogates (compact, upper-cased) → (subject, detector).
    number_surrogates: HashMap<String, Vec<(u32, u16)>>,
    /// Which compact lengths `number_surrogates` holds.
    number_lengths: [bool; MAX_NUMBER + 1],
    /// Literals and the other surrogates, case-insensitive.
    automaton: Option<AhoCorasick>,
    patterns: Vec<Pattern>,
    /// `--row-id FIELD=VALUE`: field → values → subject.
    row_ids: HashMap<String, HashMap<String, u32>>,
}

/// A phone's spellings that name the same line: E.164 and national (trunk
/// `0`, or NANP without `1`). The first is the canonical one when known.
fn phone_variants(normalised: &str) -> Vec<String> {
    use crate::detect::validators::phone::calling_code_len;
    let mut out = Vec::new();
    let digits: &str = normalised.trim_start_matches('+');
    if normalised.starts_with('+') {
        let mut d = digits.to_string();
        if let Some(cc) = calling_code_len(d.as_bytes()) {
            // `+44 (0)20 ...`: the bracketed trunk zero is not dialled.
            if d.as_bytes().get(cc) == Some(&b'0') {
                d.remove(cc);
            }
            out.push(format!("+{d}"));
            let nsn = &d[cc..];
            if &d[..cc] == "1" {
                out.push(nsn.to_string());
                out.push(d.clone());
            } else {
                out.push(format!("0{nsn}"));
            }
        } else {
            out.push(normalised.to_string());
        }
    } else if digits.len() == 10 && !digits.starts_with(['0', '1']) {
        out.push(format!("+1{digits}"));
        out.push(digits.to_string());
        out.push(format!("1{digits}"));
    } else if digits.len() == 11 && digits.starts_with('1') {
        out.push(format!("+{digits}"));
        out.push(digits[1..].to_string());
        out.push(digits.to_string());
    } else {
        out.push(digits.to_string());
    }
    out.dedup();
    out
}

/// The canonical spellings of a value found by `d`.
pub fn variants(d: &Detector, value: &str) -> Vec<String> {
    let n = (d.normaliser)(value);
    if d.id == "PHONE" {
        phone_variants(&n)
    } else {
        vec![n]
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `text[start..end]` is a whole word (no letter, digit or `_`
/// glued on either side).
fn whole_word(text: &str, start: usize, end: usize) -> bool {
    let before = text.get(..start).and_then(|s| s.chars().next_back());
    let after = text.get(end..).and_then(|s| s.chars().next());
    !before.is_some_and(is_word) && !after.is_some_and(is_word)
}

/// One request worked out: its type and, per detector it is registered
/// under, its spellings, their pseudonyms and surrogates. Computed for
/// every request in parallel (surrogates run the detectors), merged after.
struct Resolved {
    /// `None`: a literal (lower-cased value in `canonical`).
    kind: Option<usize>,
    canonical: String,
    reference: String,
    types: Vec<TypeEntry>,
}

struct TypeEntry {
    detector: usize,
    spellings: Vec<String>,
    pseudonyms: Vec<u64>,
    /// E-mail surrogates (lower-cased), looked up from `.invalid`.
    email_surrogates: Vec<String>,
    /// Surrogates of numbers (digits, an IBAN's country code first),
    /// compact and upper-cased, looked up from digit runs.
    number_surrogates: Vec<String>,
    /// Other surrogates, for the automaton.
    surrogates: Vec<String>,
}

/// Longest compact number surrogate looked up (an IBAN has at most 34).
const MAX_NUMBER: usize = 40;

/// Digits, or two letters and digits (an IBAN keeps its country code): a
/// surrogate found from the digit run it starts.
fn number_like(compact: &str) -> bool {
    let b = compact.as_bytes();
    let digits_from = if b.len() > 2 && b[..2].iter().all(u8::is_ascii_alphabetic) {
        2
    } else {
        0
    };
    b.len() <= MAX_NUMBER && b.get(digits_from).is_some_and(u8::is_ascii_digit)
}

/// Per-thread detector state for [`resolve`].
struct ResolveScratch {
    scan: crate::detect::Scratch,
    found: Vec<Finding>,
}

fn resolve(
    r: &Request,
    scanner: &Scanner,
    key: &PseudonymKey,
    sc: &mut ResolveScratch,
) -> Result<Resolved, SelectError> {
    let dets = scanner.detectors();
    let value = r.value.trim();
    if value.is_empty() {
        return Err(SelectError::Empty {
            origin: r.origin.clone(),
        });
    }
    // The detectors that claim the whole value.
    scanner.scan(value, &mut sc.scan, &mut sc.found);
    let whole: Vec<usize> = sc
        .found
        .iter()
        .filter(|f| f.start == 0 && f.end as usize == value.len())
        .map(|f| f.detector as usize)
        .collect();
    let kind = match &r.kind {
        Some(k) if k.eq_ignore_ascii_case(LITERAL) => None,
        Some(k) => match dets.iter().position(|d| d.id.eq_ignore_ascii_case(k)) {
            Some(i) => Some(i),
            None => {
                return Err(SelectError::UnknownType {
                    origin: r.origin.clone(),
                    kind: k.clone(),
                })
            }
        },
        None => whole
            .first()
            .copied()
            .filter(|&i| dets[i].category == Category::Pii),
    };
    let Some(d) = kind else {
        let lower = value.to_lowercase();
        return Ok(Resolved {
            kind: None,
            reference: key.reference_of(LITERAL, &lower),
            canonical: lower,
            types: Vec::new(),
        });
    };
    let det = dets[d];
    let vs = variants(det, value);
    let canonical = vs.first().cloned().unwrap_or_default();
    // The mask also redraws a surrogate that some other detector would
    // find where it stands; that depends on the text around it, which is
    // not known here, and is rare, so the first draw its own validator
    // rejects is taken (running every detector on each draw cost more
    // than the scan of a small corpus with 10,000 subjects).
    let mut accept = |_: &str, _: std::ops::Range<usize>| true;
    // The asked type, and any other detector that claims the whole value
    // (a UnionPay card is a CN_BANK_CARD finding).
    let mut types = Vec::new();
    for t in std::iter::once(d).chain(whole.iter().copied().filter(|&i| i != d)) {
        let tdet = dets[t];
        if tdet.category != Category::Pii {
            continue;
        }
        let spellings = if t == d {
            vs.clone()
        } else {
            variants(tdet, value)
        };
        let pseudonyms = spellings
            .iter()
            .filter_map(|v| u64::from_str_radix(&key.reference_of(tdet.id, v), 16).ok())
            .collect();
        let mut e = TypeEntry {
            detector: t,
            spellings,
            pseudonyms,
            email_surrogates: Vec::new(),
            number_surrogates: Vec::new(),
            surrogates: Vec::new(),
        };
        for v in &e.spellings {
            if tdet.id == "EMAIL" {
                if let Some(sur) = surrogate(key, tdet, v, 0..v.len(), &mut accept) {
                    e.email_surrogates.push(sur.to_lowercase());
                }
                continue;
            }
            // The compact spelling: `scour mask` keeps a number's grouping
            // but its draws skip separators, so every grouping of one
            // number gets the same digits (found from digit runs).
            if let Some(sur) = surrogate(key, tdet, v, 0..v.len(), &mut accept) {
                let compact = crate::detect::rules::alnum_upper(&sur);
                if number_like(&compact) {
                    if !e.number_surrogates.contains(&compact) {
                        e.number_surrogates.push(compact);
                    }
                } else {
                    e.surrogates.push(sur.to_lowercase());
                }
            }
        }
        types.push(e);
    }
    Ok(Resolved {
        kind: Some(d),
        reference: key.reference_of(det.id, &canonical),
        canonical,
        types,
    })
}

impl Subjects {
    /// Resolve `requests` (untyped ones by running the detectors on the
    /// value) and build the tables. `row_ids` are `FIELD=VALUE` strings.
    pub fn build(
        requests: &[Request],
        row_ids: &[String],
        scanner: &Scanner,
        key: &PseudonymKey,
    ) -> Result<Subjects, SelectError> {
        use rayon::prelude::*;
        if requests.is_empty() && row_ids.is_empty() {
            return Err(SelectError::Nothing);
        }
        let dets = scanner.detectors();
        let mut s = Subjects {
            list: Vec::new(),
            typed: vec![HashMap::new(); dets.len()],
            pseudonyms: HashMap::new(),
            labels: dets.iter().map(|d| label(d).to_string()).collect(),
            email_surrogates: HashMap::new(),
            email: dets.iter().position(|d| d.id == "EMAIL").map(|i| i as u16),
            number_surrogates: HashMap::new(),
            number_lengths: [false; MAX_NUMBER + 1],
            automaton: None,
            patterns: Vec::new(),
            row_ids: HashMap::new(),
        };
        // Thousands of subjects: worked out on all cores (rayon's global
        // pool, before the scan's own), in request order.
        let resolved: Vec<Resolved> = requests
            .par_iter()
            .map_init(
                || ResolveScratch {
                    scan: scanner.scratch(),
                    found: Vec::new(),
                },
                |sc, r| resolve(r, scanner, key, sc),
            )
            .collect::<Result<_, _>>()?;
        let mut literals: Vec<String> = Vec::new();
        // One subject per distinct (type, canonical value).
        let mut seen: HashMap<(Option<usize>, String), u32> = HashMap::new();
        for r in resolved {
            let skey = (r.kind, r.canonical);
            if seen.contains_key(&skey) {
                continue;
            }
            let id = s.list.len() as u32;
            s.list.push(Subject {
                kind: r.kind.map_or(LITERAL, |d| dets[d].id).to_string(),
                reference: r.reference,
            });
            if r.kind.is_none() {
                literals.push(skey.1.clone());
                s.patterns.push(Pattern {
                    subject: id,
                    kind: HitKind::Literal,
                    detector: None,
                });
            }
            seen.insert(skey, id);
            for t in r.types {
                for v in t.spellings {
                    let slot = s.typed[t.detector].entry(v).or_default();
                    if !slot.contains(&id) {
                        slot.push(id);
                    }
                }
                for n in t.pseudonyms {
                    let e = s.pseudonyms.entry(n).or_default();
                    if !e.contains(&(id, t.detector as u16)) {
                        e.push((id, t.detector as u16));
                    }
                }
                for sur in t.email_surrogates {
                    let e = s.email_surrogates.entry(sur).or_default();
                    if !e.contains(&id) {
                        e.push(id);
                    }
                }
                for sur in t.number_surrogates {
                    s.number_lengths[sur.len()] = true;
                    let e = s.number_surrogates.entry(sur).or_default();
                    if !e.contains(&(id, t.detector as u16)) {
                        e.push((id, t.detector as u16));
                    }
                }
                for sur in t.surrogates {
                    literals.push(sur);
                    s.patterns.push(Pattern {
                        subject: id,
                        kind: HitKind::Surrogate,
                        detector: Some(t.detector as u16),
                    });
                }
            }
        }
        for r in row_ids {
            let Some((field, value)) = r.split_once('=') else {
                return Err(SelectError::RowId(r.clone()));
            };
            if field.is_empty() {
                return Err(SelectError::RowId(r.clone()));
            }
            let id = s.list.len() as u32;
            s.list.push(Subject {
                kind: "row_id".into(),
                reference: key.reference_of("row_id", r),
            });
            s.row_ids
                .entry(field.to_string())
                .or_default()
                .insert(value.to_string(), id);
        }
        if !literals.is_empty() {
            // A DFA is the fastest automaton (one table lookup per byte,
            // whatever the number of patterns); its memory grows with the
            // patterns' total length, so past a few MB of patterns the
            // crate picks a (slower, smaller) NFA.
            let bytes: usize = literals.iter().map(String::len).sum();
            let kind = (bytes <= DFA_PATTERN_BYTES).then_some(AhoCorasickKind::DFA);
            let ac = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(AcMatchKind::LeftmostLongest)
                .kind(kind)
                .build(&literals)
                .map_err(|e| SelectError::Automaton(e.to_string()))?;
            s.automaton = Some(ac);
        }
        Ok(s)
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Whether some subject is a `--row-id`.
    pub fn has_row_ids(&self) -> bool {
        !self.row_ids.is_empty()
    }

    /// Whether detector `d`'s findings can be a subject.
    pub fn wants(&self, d: u16) -> bool {
        self.typed.get(d as usize).is_some_and(|m| !m.is_empty())
    }

    /// Subjects whose spelling a finding of `d` with text `matched` is.
    pub fn plaintext(&self, d: &Detector, index: u16, matched: &str, out: &mut Vec<u32>) {
        let Some(m) = self.typed.get(index as usize) else {
            return;
        };
        let from = out.len();
        for v in variants(d, matched) {
            if let Some(ids) = m.get(&v) {
                out.extend_from_slice(ids);
            }
        }
        // A subject registered under several spellings is one hit.
        out[from..].sort_unstable();
        let mut seen = from;
        for i in from..out.len() {
            if i == from || out[i] != out[seen - 1] {
                out[seen] = out[i];
                seen += 1;
            }
        }
        out.truncate(seen);
    }

    /// A `--row-id` subject whose field `path` holds exactly `text`.
    pub fn row_id(&self, path: &str, text: &str) -> Option<u32> {
        self.row_ids.get(path)?.get(text).copied()
    }

    /// Pseudonyms, surrogates and literals in one value's text.
    pub fn search(&self, value: u32, text: &str, out: &mut Vec<Hit>) {
        let bytes = text.as_bytes();
        if !self.pseudonyms.is_empty() {
            // `[LABEL:` + 16 hex + `]`, found from its closing bracket.
            for close in memchr::memchr_iter(b']', bytes) {
                let Some(colon) = close.checked_sub(17) else {
                    continue;
                };
                if bytes[colon] != b':' {
                    continue;
                }
                let hex = &text[colon + 1..close];
                let Ok(n) = u64::from_str_radix(hex, 16) else {
                    continue;
                };
                if !hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                {
                    continue;
                }
                let Some(ids) = self.pseudonyms.get(&n) else {
                    continue;
                };
                let Some(open) = memchr::memrchr(b'[', &bytes[..colon]) else {
                    continue;
                };
                let label = &text[open + 1..colon];
                for &(id, d) in ids {
                    if self.labels.get(d as usize).is_some_and(|l| l == label) {
                        out.push(Hit {
                            value,
                            start: open as u32,
                            end: close as u32 + 1,
                            subject: id,
                            kind: HitKind::Pseudonym,
                            detector: Some(d),
                        });
                    }
                }
            }
        }
        if !self.email_surrogates.is_empty() {
            let finder = memchr::memmem::Finder::new(".invalid");
            for at in finder.find_iter(bytes) {
                let end = at + ".invalid".len();
                if bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric()) {
                    continue;
                }
                let start = text[..at]
                    .char_indices()
                    .rev()
                    .take_while(|&(_, c)| {
                        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+' | '@')
                    })
                    .last()
                    .map_or(at, |(i, _)| i);
                let found = text[start..end].trim_start_matches(['.', '-', '_', '+']);
                let start = end - found.len();
                if let Some(ids) = self.email_surrogates.get(&found.to_lowercase()) {
                    for &id in ids {
                        out.push(Hit {
                            value,
                            start: start as u32,
                            end: end as u32,
                            subject: id,
                            kind: HitKind::Surrogate,
                            detector: self.email,
                        });
                    }
                }
            }
        }
        if !self.number_surrogates.is_empty() {
            self.numbers(value, bytes, out);
        }
        if let Some(ac) = &self.automaton {
            for m in ac.find_iter(text) {
                let (st, en) = (m.start(), m.end());
                if !text.is_char_boundary(st) || !text.is_char_boundary(en) {
                    continue;
                }
                if !whole_word(text, st, en) {
                    continue;
                }
                let p = self.patterns[m.pattern().as_usize()];
                out.push(Hit {
                    value,
                    start: st as u32,
                    end: en as u32,
                    subject: p.subject,
                    kind: p.kind,
                    detector: p.detector,
                });
            }
        }
    }
}

impl Subjects {
    /// Number surrogates: from each digit run that starts a word (an
    /// IBAN's two letters before it included), groups of letters and
    /// digits joined by one or two of ` -.()` are gathered, and the
    /// compact form is looked up at each group's end. One pass over the
    /// bytes whatever the number of subjects.
    fn numbers(&self, value: u32, b: &[u8], out: &mut Vec<Hit>) {
        let mut compact = [0u8; MAX_NUMBER];
        let mut i = 0;
        while let Some(k) = b[i..].iter().position(u8::is_ascii_digit) {
            let d = i + k;
            let glued = |at: usize| at > 0 && b[at - 1].is_ascii_alphanumeric();
            let start = if d >= 2
                && b[d - 1].is_ascii_alphabetic()
                && b[d - 2].is_ascii_alphabetic()
                && !glued(d - 2)
            {
                d - 2
            } else if glued(d) {
                // Inside a word: skip to its end.
                i = d + b[d..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .count();
                continue;
            } else {
                d
            };
            let (mut n, mut j) = (0, start);
            loop {
                while j < b.len() && b[j].is_ascii_alphanumeric() && n < MAX_NUMBER {
                    compact[n] = b[j].to_ascii_uppercase();
                    n += 1;
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_alphanumeric() {
                    break; // longer than any surrogate
                }
                if self.number_lengths[n] {
                    let key = std::str::from_utf8(&compact[..n]).unwrap_or("");
                    if let Some(ids) = self.number_surrogates.get(key) {
                        for &(id, det) in ids {
                            out.push(Hit {
                                value,
                                start: start as u32,
                                end: j as u32,
                                subject: id,
                                kind: HitKind::Surrogate,
                                detector: Some(det),
                            });
                        }
                    }
                }
                // Groups are joined by one or two separators: a card's
                // space or dash, a phone's `) `, `-` or `.`.
                let sep = b[j..]
                    .iter()
                    .take(3)
                    .take_while(|c| matches!(c, b' ' | b'-' | b'.' | b'(' | b')'))
                    .count();
                if (1..=2).contains(&sep) && j + sep < b.len() && b[j + sep].is_ascii_alphanumeric()
                {
                    j += sep;
                } else {
                    break;
                }
            }
            i = j.max(d + 1);
        }
    }
}

/// The placeholder's label (`EMAIL` of `[EMAIL]`), as pseudonyms carry it.
fn label(d: &Detector) -> &str {
    d.placeholder
        .strip_prefix('[')
        .and_then(|p| p.strip_suffix(']'))
        .filter(|p| !p.is_empty())
        .unwrap_or(d.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PseudonymKey {
        PseudonymKey::from_bytes(b"k".to_vec()).unwrap()
    }

    fn req(kind: Option<&str>, v: &str) -> Request {
        Request {
            kind: kind.map(str::to_string),
            value: v.into(),
            origin: "--id".into(),
        }
    }

    fn hits(s: &Subjects, scanner: &Scanner, text: &str) -> Vec<(String, HitKind)> {
        let mut out = Vec::new();
        s.search(0, text, &mut out);
        let mut scratch = scanner.scratch();
        let mut found = Vec::new();
        scanner.scan(text, &mut scratch, &mut found);
        for f in found {
            let d = scanner.detectors()[f.detector as usize];
            let mut ids = Vec::new();
            s.plaintext(d, f.detector, &text[f.range()], &mut ids);
            for id in ids {
                out.push(Hit {
                    value: 0,
                    start: f.start,
                    end: f.end,
                    subject: id,
                    kind: HitKind::Plaintext,
                    detector: Some(f.detector),
                });
            }
        }
        out.iter()
            .map(|h| (text[h.start as usize..h.end as usize].to_string(), h.kind))
            .collect()
    }

    #[test]
    fn untyped_values_get_their_detector_else_literal() {
        let scanner = Scanner::builtin();
        let s = Subjects::build(
            &[
                req(None, "Jane.Doe@Example.com"),
                req(None, "Jane Doe"),
                req(Some("PHONE"), "(415) 555-2671"),
                req(Some("literal"), "jdoe42"),
            ],
            &[],
            &scanner,
            &key(),
        )
        .unwrap();
        let kinds: Vec<&str> = s.list.iter().map(|x| x.kind.as_str()).collect();
        assert_eq!(kinds, ["EMAIL", "literal", "PHONE", "literal"]);
        assert!(s.list.iter().all(|x| x.reference.len() == 16));
        // The reference of an e-mail is its pseudonym.
        let email = scanner
            .detectors()
            .iter()
            .find(|d| d.id == "EMAIL")
            .unwrap();
        assert_eq!(
            s.list[0].reference,
            key().reference(email, "jane.doe@example.com")
        );
        let bad = Subjects::build(&[req(Some("NOPE"), "x")], &[], &scanner, &key());
        assert!(matches!(bad, Err(SelectError::UnknownType { .. })));
        assert!(matches!(
            Subjects::build(&[], &[], &scanner, &key()),
            Err(SelectError::Nothing)
        ));
    }

    #[test]
    fn spellings_of_one_person_match_and_a_neighbour_does_not() {
        let scanner = Scanner::builtin();
        let s = Subjects::build(
            &[
                req(None, "jane.doe@example.com"),
                req(Some("PHONE"), "+1 415 555 2671"),
                req(None, "Jane Doe"),
            ],
            &[],
            &scanner,
            &key(),
        )
        .unwrap();
        let h = hits(
            &s,
            &scanner,
            "mail JANE.DOE@EXAMPLE.COM or jane.doe2@example.com",
        );
        assert_eq!(h, [("JANE.DOE@EXAMPLE.COM".into(), HitKind::Plaintext)]);
        let h = hits(&s, &scanner, "call (415) 555-2671 or (415) 555-2672");
        assert_eq!(h, [("(415) 555-2671".into(), HitKind::Plaintext)]);
        let h = hits(&s, &scanner, "jane doe wrote; Jane Doenitz did not");
        assert_eq!(h, [("jane doe".into(), HitKind::Literal)]);
    }

    #[test]
    fn number_surrogates_are_found_in_any_grouping_as_whole_words() {
        let scanner = Scanner::builtin();
        let s = Subjects::build(
            &[
                req(None, "4111 1111 1111 1111"),
                req(Some("IBAN"), "GB82 WEST 1234 5698 7654 32"),
            ],
            &[],
            &scanner,
            &key(),
        )
        .unwrap();
        let det = |id: &str| scanner.detectors().iter().find(|d| d.id == id).unwrap();
        let draw = |id: &str, v: &str| {
            surrogate(&key(), det(id), v, 0..v.len(), &mut |_, _| true).unwrap()
        };
        // As `scour mask` would write them for other spellings.
        let card = draw("CREDIT_CARD", "4111-1111-1111-1111");
        assert_eq!(card.len(), 19);
        assert_eq!(
            crate::detect::rules::digits_only(&card),
            crate::detect::rules::digits_only(&draw("CREDIT_CARD", "4111111111111111"))
        );
        let iban = draw("IBAN", "GB82WEST12345698765432");
        for text in [
            format!("card {card} ok"),
            format!("card {} ok", card.replace('-', " ")),
            format!("card {} ok", card.replace('-', "")),
            format!("iban {iban}."),
        ] {
            let h = hits(&s, &scanner, &text);
            assert_eq!(h.len(), 1, "{text}: {h:?}");
            assert_eq!(h[0].1, HitKind::Surrogate);
        }
        for text in [
            format!("card x{} ok", card.replace('-', "")),
            format!("card {}7 ok", card.replace('-', "")),
            format!("card {} 7 ok", &card[..14]),
        ] {
            assert!(hits(&s, &scanner, &text).is_empty(), "{text}");
        }
    }

    #[test]
    fn phone_variants_cover_national_and_international() {
        assert_eq!(
            phone_variants("+442079460958"),
            ["+442079460958", "02079460958"]
        );
        assert_eq!(
            phone_variants("+4402079460958"),
            ["+442079460958", "02079460958"]
        );
        assert_eq!(
            phone_variants("4155552671"),
            ["+14155552671", "4155552671", "14155552671"]
        );
    }
}
