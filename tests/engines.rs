//! The Hyperscan engine against the default regex-automata engine: the same
//! findings on every detector example and near miss, every conformance row
//! and a generated corpus, and never fewer candidate patterns (the engine
//! contract: a superset, never a subset). A differential test over random
//! patterns checks the pattern translation itself.
//!
//! Needs the system library: `apt-get install -y libhyperscan-dev`, then
//! `cargo test --release --features hyperscan`.
#![cfg(feature = "hyperscan")]

mod common;

use std::cell::Cell;
use std::collections::BTreeSet;
use std::ops::Range;
use std::path::PathBuf;

use scour::detect::hyperscan_engine::{translate, HyperscanEngine};
use scour::detect::{
    builtin, Candidate, Category, Detector, Engine, EngineScratch, Finding, RegexEngine, Scanner,
    Scratch,
};

/// Deterministic xorshift64* generator: the same corpus on every run.
/// (A `Cell`, so nested draws like `f(rng, rng.below(5))` borrow-check.)
struct Rng(Cell<u64>);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(Cell::new(seed | 1))
    }

    fn next(&self) -> u64 {
        let mut x = self.0.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn chance(&self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

fn table() -> Vec<&'static Detector> {
    builtin().iter().collect()
}

/// Both scanners and both bare engines, with their scratches.
struct Pair {
    hs: Scanner,
    re: Scanner,
    hs_scratch: Scratch,
    re_scratch: Scratch,
    hs_engine: HyperscanEngine,
    re_engine: RegexEngine,
    hs_es: EngineScratch,
    re_es: EngineScratch,
    hs_out: Vec<Finding>,
    re_out: Vec<Finding>,
    checked: usize,
    with_findings: usize,
}

impl Pair {
    fn new() -> Pair {
        let hs_engine = HyperscanEngine::new(&table()).expect("hyperscan engine builds");
        let hs = Scanner::with_engine(table(), Box::new(hs_engine)).expect("scanner builds");
        let re = Scanner::builtin();
        let hs_engine = HyperscanEngine::new(&table()).expect("hyperscan engine builds");
        let re_engine = RegexEngine::new(&table()).expect("regex engine builds");
        Pair {
            hs_scratch: hs.scratch(),
            re_scratch: re.scratch(),
            hs_es: hs_engine.new_scratch(),
            re_es: re_engine.new_scratch(),
            hs,
            re,
            hs_engine,
            re_engine,
            hs_out: Vec::new(),
            re_out: Vec::new(),
            checked: 0,
            with_findings: 0,
        }
    }

    /// Same findings from both scanners, and Hyperscan's candidates a
    /// superset of the regex engine's.
    fn check(&mut self, text: &str) {
        self.hs.scan(text, &mut self.hs_scratch, &mut self.hs_out);
        self.re.scan(text, &mut self.re_scratch, &mut self.re_out);
        assert_eq!(self.hs_out, self.re_out, "findings differ on {text:?}");
        self.check_candidates(text.as_bytes());
        self.checked += 1;
        self.with_findings += usize::from(!self.re_out.is_empty());
    }

    fn check_candidates(&mut self, hay: &[u8]) {
        let hs = candidates(&self.hs_engine, &mut self.hs_es, hay);
        let re = candidates(&self.re_engine, &mut self.re_es, hay);
        let missed: Vec<&str> = re
            .difference(&hs)
            .map(|&i| builtin()[usize::from(i)].id)
            .collect();
        assert!(
            missed.is_empty(),
            "hyperscan misses {missed:?} in {:?}",
            String::from_utf8_lossy(hay)
        );
    }
}

fn candidates(engine: &dyn Engine, scratch: &mut EngineScratch, hay: &[u8]) -> BTreeSet<u16> {
    let mut out = Vec::new();
    engine.candidates(hay, scratch, &mut out);
    out.into_iter().collect()
}

#[test]
fn builtin_patterns_all_run_in_hyperscan() {
    let engine = HyperscanEngine::new(&table()).expect("builds");
    assert_eq!(engine.name(), "hyperscan");
    assert_eq!(engine.pattern_len(), builtin().len());
    assert_eq!(engine.fallbacks(), &[], "patterns fell back");
    println!("prefiltered: {:?}", engine.prefiltered());
    for d in builtin() {
        println!("{:<20} {}", d.id, translate(d.pattern).expect("translates"));
    }
    let s = Scanner::with_engine(table(), Box::new(engine)).expect("builds");
    assert_eq!(s.engine_name(), "hyperscan");
}

#[test]
fn empty_value_has_no_candidates() {
    let engine = HyperscanEngine::new(&table()).expect("builds");
    let mut scratch = engine.new_scratch();
    assert!(candidates(&engine, &mut scratch, b"").is_empty());
    assert!(candidates(&engine, &mut scratch, b"plain words only").is_empty());
}

#[test]
fn foreign_scratch_still_answers() {
    let a = HyperscanEngine::new(&table()).expect("builds");
    let b = HyperscanEngine::new(&table()).expect("builds");
    let re = RegexEngine::new(&table()).expect("builds");
    let hay = b"mail bob@example.com or call +1 (555) 010-9999";
    let mut own = a.new_scratch();
    let want = candidates(&a, &mut own, hay);
    assert!(!want.is_empty());
    // Another Hyperscan engine's scratch, and the regex engine's.
    let mut other = b.new_scratch();
    assert_eq!(candidates(&a, &mut other, hay), want);
    let mut regex = re.new_scratch();
    assert_eq!(candidates(&a, &mut regex, hay), want);
    // Once replaced, the scratch keeps working.
    assert_eq!(candidates(&a, &mut regex, hay), want);
}

#[test]
fn shared_across_threads() {
    fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<HyperscanEngine>();
    let engine = HyperscanEngine::new(&table()).expect("builds");
    let hay = b"key AKIAI3AJ36QEZUXAIAON and ssn 850-01-6533";
    let mut scratch = engine.new_scratch();
    let want = candidates(&engine, &mut scratch, hay);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut scratch = engine.new_scratch();
                for _ in 0..1000 {
                    assert_eq!(candidates(&engine, &mut scratch, hay), want);
                }
            });
        }
    });
}

#[test]
fn invalid_utf8_is_defined_and_complete() {
    // `candidates` takes bytes; without HS_FLAG_UTF8 any bytes are fine.
    let mut pair = Pair::new();
    let rng = Rng::new(0x0BAD_F00D);
    for _ in 0..5000 {
        let len = rng.below(64);
        let mut hay: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if rng.chance(50) {
            let ex = rng.pick(all_examples().as_slice()).as_bytes().to_vec();
            let at = rng.below(hay.len() + 1);
            hay.splice(at..at, ex);
        }
        pair.check_candidates(&hay);
    }
}

fn all_examples() -> Vec<&'static str> {
    builtin()
        .iter()
        .flat_map(|d| d.examples.iter().chain(d.near_misses))
        .copied()
        .collect()
}

#[test]
fn same_findings_on_examples_and_near_misses() {
    let mut pair = Pair::new();
    for d in builtin() {
        for text in d.examples.iter().chain(d.near_misses) {
            pair.check(text);
        }
    }
    println!(
        "{} examples and near misses, {} with findings",
        pair.checked, pair.with_findings
    );
    assert!(pair.with_findings > 0);
}

#[test]
fn same_findings_on_conformance_rows() {
    let files: Vec<PathBuf> = common::vector_files();
    let mut pair = Pair::new();
    for path in &files {
        let mut rdr = csv::Reader::from_path(path)
            .unwrap_or_else(|e| panic!("{}: cannot open: {e}", path.display()));
        let col = rdr
            .headers()
            .unwrap_or_else(|e| panic!("{}: bad header: {e}", path.display()))
            .iter()
            .position(|h| h == "text")
            .unwrap_or_else(|| panic!("{}: no text column", path.display()));
        for rec in rdr.records() {
            let rec = rec.unwrap_or_else(|e| panic!("{}: malformed row: {e}", path.display()));
            pair.check(&rec[col]);
        }
    }
    println!(
        "{} conformance texts in {} files, {} with findings",
        pair.checked,
        files.len(),
        pair.with_findings
    );
    assert!(pair.checked > 500);
}

const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "a",
    "to",
    "in",
    "is",
    "you",
    "that",
    "it",
    "he",
    "was",
    "for",
    "on",
    "are",
    "as",
    "with",
    "his",
    "they",
    "at",
    "be",
    "this",
    "have",
    "from",
    "or",
    "one",
    "had",
    "by",
    "word",
    "but",
    "not",
    "what",
    "all",
    "were",
    "we",
    "when",
    "your",
    "can",
    "said",
    "there",
    "use",
    "an",
    "each",
    "which",
    "she",
    "do",
    "how",
    "their",
    "if",
    "will",
    "up",
    "other",
    "about",
    "out",
    "many",
    "then",
    "them",
    "these",
    "so",
    "some",
    "her",
    "would",
    "make",
    "like",
    "him",
    "into",
    "time",
    "has",
    "look",
    "two",
    "more",
    "write",
    "go",
    "see",
    "number",
    "no",
    "way",
    "could",
    "people",
    "my",
    "than",
    "first",
    "water",
    "been",
    "call",
    "who",
    "oil",
    "its",
    "now",
    "find",
    "long",
    "down",
    "day",
    "did",
    "get",
    "come",
    "made",
    "may",
    "part",
    "SSN",
    "social",
    "security",
    "card",
    "phone",
    "tel",
    "IBAN",
    "account",
    "email",
    "key",
    "token",
    "secret",
    "password",
    "Ausweis",
    "Personalausweis",
    "DNI",
    "NIR",
    "passport",
    "AKIA",
    "ghp",
    "sk",
    "live",
    "xoxb",
    "eyJ",
    "BEGIN",
    "café",
    "naïve",
    "Straße",
    "Москва",
    "東京",
    "مرحبا",
    "ℹ️",
    "😀",
    "K",
    "ſ",
    "İstanbul",
    "ﬁle",
];

const UNICODE: &[&str] = &[
    "é",
    "e\u{301}",
    "\u{200D}",
    "\u{200C}",
    "\u{2060}",
    "\u{A0}",
    "\u{2009}",
    "\u{202F}",
    "\u{3000}",
    "ß",
    "Ж",
    "中",
    "😀",
    "👩\u{200D}💻",
    "\u{212A}",
    "\u{17F}",
    "\u{130}",
    "٣",
    "０",
    "１２３",
    "①",
    "²",
    "‿",
    "＿",
    "\u{FEFF}",
    "\u{2028}",
    "\u{85}",
    "\u{10FFFF}",
    "\u{E000}",
    "\u{1F1E9}\u{1F1EA}",
    "‐",
    "–",
    "—",
    "−",
    "＠",
    "．",
    "。",
];

const SEPARATORS: &[&str] = &[
    " ", " ", " ", "\n", "\t", ", ", ". ", ": ", "; ", "", "-", "_", "/", "@", ".", "(", ")", "\"",
    "'", "=", "\r\n", " | ",
];

fn random_from(rng: &Rng, alphabet: &[u8], len: usize) -> String {
    (0..len).map(|_| char::from(rng.pick(alphabet))).collect()
}

const HEX: &[u8] = b"0123456789abcdef";
const HEX_UPPER: &[u8] = b"0123456789ABCDEF";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const DIGITS: &[u8] = b"0123456789";

fn digits_with_separators(rng: &Rng) -> String {
    let groups = 1 + rng.below(6);
    let sep = rng.pick(&["", " ", "-", ".", "/", " - ", "  "]);
    let mut s = String::new();
    if rng.chance(15) {
        s.push('+');
    }
    if rng.chance(10) {
        s.push('(');
    }
    for g in 0..groups {
        if g > 0 {
            s.push_str(if rng.chance(85) {
                sep
            } else {
                rng.pick(&[")", ") ", "-", " "])
            });
        }
        let len = 1 + rng.below(5);
        s.push_str(&random_from(rng, DIGITS, len));
    }
    s
}

fn fragment(rng: &Rng, examples: &[&str]) -> String {
    match rng.below(17) {
        0..=3 => {
            let n = 1 + rng.below(12);
            (0..n)
                .map(|_| rng.pick(WORDS))
                .collect::<Vec<_>>()
                .join(" ")
        }
        4 | 5 => digits_with_separators(rng),
        6 => {
            let len = 1 + rng.below(25);
            random_from(rng, DIGITS, len)
        }
        7 => {
            // e-mail-ish, sometimes with Unicode and odd punctuation
            let local = if rng.chance(30) {
                format!("{}{}", rng.pick(WORDS), rng.pick(UNICODE))
            } else {
                random_from(rng, b"abcxyz.+_-019", 1 + rng.below(10))
            };
            let domain = random_from(rng, b"abcdexyz-09", 1 + rng.below(8));
            let tld = if rng.chance(20) {
                rng.pick(UNICODE).to_string()
            } else {
                random_from(rng, b"comrgde.", 1 + rng.below(5))
            };
            format!("{local}@{domain}.{tld}")
        }
        8 => {
            let len = 4 + rng.below(70);
            random_from(rng, if rng.chance(50) { HEX } else { HEX_UPPER }, len)
        }
        9 => {
            let len = 4 + rng.below(90);
            let mut s = random_from(rng, BASE64, len);
            if rng.chance(30) {
                s.push_str("==");
            }
            s
        }
        10 => (0..1 + rng.below(6))
            .map(|_| rng.pick(UNICODE))
            .collect::<String>(),
        11 => {
            // IPv4 / IPv6-ish
            if rng.chance(50) {
                (0..3 + rng.below(3))
                    .map(|_| rng.below(300).to_string())
                    .collect::<Vec<_>>()
                    .join(".")
            } else {
                (0..2 + rng.below(7))
                    .map(|_| random_from(rng, HEX, rng.below(5)))
                    .collect::<Vec<_>>()
                    .join(":")
            }
        }
        12 => {
            // token prefixes with plausible bodies
            let prefix = rng.pick(&[
                "AKIA",
                "ASIA",
                "A3TX",
                "ghp_",
                "gho_",
                "github_pat_",
                "xoxb-",
                "xoxp-",
                "xapp-1-",
                "sk_live_",
                "rk_live_",
                "eyJ",
                "-----BEGIN ",
                "-----BEGIN RSA ",
            ]);
            let body_len = rng.below(100);
            let alphabet = rng.pick(&[BASE32, ALNUM, BASE64URL, DIGITS]);
            let mut s = format!("{prefix}{}", random_from(rng, alphabet, body_len));
            if rng.chance(30) {
                s.push_str(&format!(".{}", random_from(rng, BASE64URL, rng.below(40))));
            }
            if rng.chance(20) {
                s.push_str("PRIVATE KEY-----");
            }
            s
        }
        13 => {
            // IBAN-ish: country code, check digits, groups
            let cc = random_from(rng, b"ABDEFGILNRSTX", 2);
            let mut s = format!("{cc}{:02}", rng.below(100));
            for _ in 0..rng.below(6) {
                if rng.chance(50) {
                    s.push(' ');
                }
                s.push_str(&random_from(rng, ALNUM, 4));
            }
            s
        }
        14 | 15 => mutate(rng, rng.pick(examples)),
        _ => rng.pick(SEPARATORS).repeat(1 + rng.below(3)),
    }
}

/// An example with a small random edit (or none), to land near boundaries.
fn mutate(rng: &Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    match rng.below(6) {
        0 => {
            chars.remove(rng.below(chars.len()));
        }
        1 => {
            let at = rng.below(chars.len());
            chars[at] = char::from(rng.pick(ALNUM));
        }
        2 => {
            let at = rng.below(chars.len() + 1);
            let u: Vec<char> = rng.pick(UNICODE).chars().collect();
            chars.splice(at..at, u);
        }
        _ => {}
    }
    chars.into_iter().collect()
}

/// Inserts `needle` into `hay` at a random character boundary.
fn splice(rng: &Rng, hay: &str, needle: &str) -> String {
    let bounds: Vec<usize> = hay
        .char_indices()
        .map(|(i, _)| i)
        .chain([hay.len()])
        .collect();
    let at = rng.pick(&bounds);
    let glue = |rng: &Rng| -> &'static str {
        if rng.chance(70) {
            " "
        } else {
            rng.pick(SEPARATORS)
        }
    };
    let (g1, g2) = (glue(rng), glue(rng));
    format!("{}{g1}{needle}{g2}{}", &hay[..at], &hay[at..])
}

fn corpus(n: usize, seed: u64) -> Vec<String> {
    let examples = all_examples();
    let rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n + examples.len() * 4);
    // Every example and near miss, spliced into prose at random offsets.
    for round in 0..4 {
        for ex in &examples {
            let prose = fragment_prose(&rng);
            let text = if round == 0 {
                ex.to_string()
            } else {
                splice(&rng, &prose, ex)
            };
            out.push(text);
        }
    }
    while out.len() < n {
        let parts = 1 + rng.below(8);
        let mut s = String::new();
        for _ in 0..parts {
            if !s.is_empty() {
                s.push_str(rng.pick(SEPARATORS));
            }
            s.push_str(&fragment(&rng, &examples));
        }
        if rng.chance(25) {
            let ex = mutate(&rng, rng.pick(&examples));
            s = splice(&rng, &s, &ex);
        }
        out.push(s);
    }
    out
}

fn fragment_prose(rng: &Rng) -> String {
    let n = 3 + rng.below(30);
    (0..n)
        .map(|_| rng.pick(WORDS))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn same_findings_on_generated_corpus() {
    let values = corpus(25_000, 0x5C0D_2026);
    assert!(values.len() >= 20_000);
    let mut pair = Pair::new();
    let mut per_detector = vec![0usize; builtin().len()];
    for v in &values {
        pair.check(v);
        for f in &pair.re_out {
            per_detector[usize::from(f.detector)] += 1;
        }
    }
    println!(
        "{} generated values, {} with findings",
        pair.checked, pair.with_findings
    );
    for (d, n) in builtin().iter().zip(&per_detector) {
        println!("  {:<22} {n:>6} findings", d.id);
        assert!(*n > 0, "the corpus never exercises {}", d.id);
    }
}

/// A table: the generated values cut into short cells and laid end to end
/// as a chunk holds them; `scan_many` of both scanners (the regex engine
/// screens the cells, Hyperscan does not) finds, cell by cell, what `scan`
/// finds.
#[test]
fn same_findings_on_a_table() {
    let values = corpus(4_000, 0x7AB1_E000);
    let rng = Rng::new(0x7AB1_E001);
    let mut cells: Vec<String> = Vec::new();
    for v in &values {
        let mut rest = v.as_str();
        while !rest.is_empty() {
            let mut cut = (1 + rng.below(40)).min(rest.len());
            while !rest.is_char_boundary(cut) {
                cut += 1;
            }
            cells.push(rest[..cut].to_owned());
            rest = &rest[cut..];
        }
        cells.push(v.clone());
        cells.push(String::new());
    }
    let mut text = String::new();
    let mut spans = Vec::new();
    for c in &cells {
        let s = text.len();
        text.push_str(c);
        spans.push((s, text.len()));
    }
    let mut pair = Pair::new();
    let mut found = 0;
    for scanner in [&pair.hs, &pair.re] {
        let mut got = vec![Vec::new(); cells.len()];
        let mut scratch = scanner.scratch();
        scanner.scan_many(&text, &spans, &mut scratch, |i, _, f| got[i] = f.to_vec());
        let mut one = scanner.scratch();
        for (c, g) in cells.iter().zip(&got) {
            let mut out = Vec::new();
            scanner.scan(c, &mut one, &mut out);
            assert_eq!(&out, g, "{}: {c:?}", scanner.engine_name());
        }
        found += got.iter().filter(|g| !g.is_empty()).count();
    }
    for c in cells.iter().step_by(7) {
        pair.check(c);
    }
    assert!(found > 1000, "cells with findings: {found}");
}

// ------------------------------------------------- random patterns

fn whole(c: &Candidate<'_>) -> Option<Range<usize>> {
    Some(c.range())
}

fn same(s: &str) -> String {
    s.to_owned()
}

fn leak_detector(pattern: String) -> &'static Detector {
    Box::leak(Box::new(Detector {
        id: "RANDOM",
        category: Category::Pii,
        description: "random pattern",
        pattern: Box::leak(pattern.into_boxed_str()),
        dfa_pattern: None,
        anchors: &[],
        context: &[],
        validator: whole,
        validator_name: "none",
        normaliser: same,
        placeholder: "[RANDOM]",
        regulations: &[],
        priority: 1,
        examples: &[],
        near_misses: &[],
    }))
}

/// Characters the random patterns and haystacks share, chosen to hit the
/// differences between the two engines: case-fold partners (Kelvin sign,
/// long s), combining marks and joiners (word characters in
/// regex-automata's `\w`), Unicode digits and spaces, newlines.
const PATTERN_CHARS: &[char] = &[
    'a', 'b', 'k', 's', 'K', 'S', 'z', '0', '7', '_', '-', '.', '@', ' ', '\n', '\r', 'é', 'É',
    'ß', '\u{212A}', '\u{17F}', '\u{301}', '\u{200D}', '\u{A0}', '\u{3000}', '٣', '²', 'Ж', '😀',
    '\u{FEFF}', '‿',
];

fn gen_char(rng: &Rng) -> String {
    let c = rng.pick(PATTERN_CHARS);
    if "\\.+*?()|[]{}^$#&-~".contains(c) {
        format!("\\{c}")
    } else if c == '\n' {
        "\\n".into()
    } else if c == '\r' {
        "\\r".into()
    } else if rng.chance(10) {
        format!("\\x{{{:X}}}", u32::from(c))
    } else {
        c.to_string()
    }
}

fn gen_class(rng: &Rng) -> String {
    let mut s = String::from("[");
    if rng.chance(35) {
        s.push('^');
    }
    for _ in 0..1 + rng.below(4) {
        s.push_str(match rng.below(12) {
            0 => r"\w",
            1 => r"\d",
            2 => r"\s",
            3 => r"\W",
            4 => r"\S",
            5 => "a-f",
            6 => "0-9",
            7 => "[:alpha:]",
            8 => "é-ü",
            9 => r"\p{L}",
            10 => "A-Z",
            _ => "",
        });
        if s.ends_with('[') || s.ends_with('^') || rng.chance(40) {
            let c = gen_char(rng);
            // `-` only escaped; `^` and `]` never first
            s.push_str(&c);
        }
    }
    s.push(']');
    s
}

fn gen_atom(rng: &Rng, depth: usize) -> String {
    match rng.below(if depth > 2 { 6 } else { 10 }) {
        0..=2 => gen_char(rng),
        3 => gen_class(rng),
        4 => rng
            .pick(&[r"\w", r"\d", r"\s", r"\W", r"\D", r"\S", "."])
            .to_string(),
        5 => rng
            .pick(&["^", "$", r"\b", r"\B", r"\A", r"\z"])
            .to_string(),
        6 => format!("({})", gen_alt(rng, depth + 1)),
        7 => format!(
            "({}{})",
            rng.pick(&["?:", "?i:", "?s:", "?-i:", "?is:", "?m:", "?P<g>"]),
            gen_alt(rng, depth + 1)
        ),
        8 => rng.pick(&["(?i)", "(?s)", "(?-i)", "(?U)"]).to_string(),
        _ => format!("(?:{})", gen_alt(rng, depth + 1)),
    }
}

fn gen_piece(rng: &Rng, depth: usize) -> String {
    let atom = gen_atom(rng, depth);
    let sets_flags = ["(?i)", "(?s)", "(?-i)", "(?U)"].contains(&atom.as_str());
    if sets_flags || rng.chance(60) {
        return atom;
    }
    let q = match rng.below(7) {
        0 => "*".to_string(),
        1 => "+".to_string(),
        2 => "?".to_string(),
        3 => format!("{{{}}}", rng.below(4)),
        4 => format!("{{{},}}", rng.below(3)),
        5 => {
            let lo = rng.below(3);
            format!("{{{lo},{}}}", lo + rng.below(4))
        }
        _ => "+?".to_string(),
    };
    format!("{atom}{q}")
}

fn gen_alt(rng: &Rng, depth: usize) -> String {
    let branches = if rng.chance(25) { 2 + rng.below(2) } else { 1 };
    (0..branches)
        .map(|_| {
            (0..1 + rng.below(4))
                .map(|_| gen_piece(rng, depth))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("|")
}

fn gen_hay(rng: &Rng) -> String {
    (0..rng.below(24))
        .map(|_| rng.pick(PATTERN_CHARS))
        .collect()
}

#[test]
fn translation_never_misses_on_random_patterns() {
    let rng = Rng::new(0x00DD_BA11);
    let (mut patterns, mut fell_back, mut rejected, mut hits) = (0usize, 0usize, 0usize, 0usize);
    let mut reasons = std::collections::BTreeMap::<String, (usize, &str)>::new();
    let hays: Vec<String> = (0..400).map(|_| gen_hay(&rng)).collect();
    for _ in 0..300 {
        // Groups of patterns in one database, to exercise ids too.
        let mut group = Vec::new();
        while group.len() < 6 {
            let p = gen_alt(&rng, 0);
            let d = leak_detector(p);
            // Keep what the scanner would accept: compiles, never empty.
            match Scanner::new(vec![d]) {
                Ok(_) => group.push(d),
                Err(_) => rejected += 1,
            }
        }
        let re = RegexEngine::new(&group).expect("accepted patterns compile together");
        let hs = HyperscanEngine::new(&group).expect("hyperscan never fails on patterns");
        patterns += group.len();
        fell_back += hs.fallbacks().len();
        for f in hs.fallbacks() {
            // Hyperscan's messages end in a position; group without it.
            let key: String = f.reason.split(" at index").next().unwrap_or("").into();
            reasons.entry(key).or_insert((0, group[f.index].pattern)).0 += 1;
        }
        let (mut re_s, mut hs_s) = (re.new_scratch(), hs.new_scratch());
        for hay in hays.iter().chain([&gen_hay(&rng)]) {
            let want = candidates(&re, &mut re_s, hay.as_bytes());
            let got = candidates(&hs, &mut hs_s, hay.as_bytes());
            hits += want.len();
            if let Some(i) = want.difference(&got).next() {
                let p = group[usize::from(*i)].pattern;
                panic!(
                    "hyperscan misses {p:?} (translated {:?}) in {hay:?}",
                    translate(p)
                );
            }
        }
    }
    println!(
        "{patterns} random patterns ({rejected} rejected by regex-automata), \
         {fell_back} fell back, {hits} pattern hits checked"
    );
    for (r, (n, p)) in &reasons {
        println!("  {n:>4} {r}, e.g. {p:?} -> {:?}", translate(p));
    }
    assert!(hits > 10_000, "random patterns rarely match: {hits}");
    assert!(
        fell_back * 5 < patterns,
        "too many fallbacks: {fell_back} of {patterns}"
    );
}

// ------------------------------------------------- throughput

/// Single-core `Scanner::scan` throughput of both engines on English prose
/// (CPython's pydoc topics, or the file named by `SCOUR_PROSE`), one
/// paragraph, one line or the whole text per value, measured round-robin so
/// machine noise hits both alike. Run with `cargo test --release --features
/// hyperscan --test engines bench_engines -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_engines() {
    let text = match std::env::var("SCOUR_PROSE") {
        Ok(path) => std::fs::read_to_string(&path).expect("SCOUR_PROSE is readable"),
        Err(_) => {
            let out = std::process::Command::new("python3")
                .args([
                    "-c",
                    "import pydoc_data.topics as t; print('\\n'.join(t.topics.values()))",
                ])
                .output()
                .expect("python3 runs");
            assert!(out.status.success(), "python3 failed");
            String::from_utf8(out.stdout).expect("prose is UTF-8")
        }
    };
    let paragraphs: Vec<&str> = text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .collect();
    let lines: Vec<&str> = text.lines().filter(|p| !p.trim().is_empty()).collect();
    let whole = [text.as_str()];
    let hs = Scanner::with_engine(
        table(),
        Box::new(HyperscanEngine::new(&table()).expect("builds")),
    )
    .expect("builds");
    let re = Scanner::builtin();
    let re_ungated = Scanner::with_engine(
        table(),
        Box::new(RegexEngine::new(&table()).expect("builds").without_gate()),
    )
    .expect("builds");
    // Both engines must agree here too.
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let (mut sa, mut sb) = (hs.scratch(), re.scratch());
    for p in &paragraphs {
        hs.scan(p, &mut sa, &mut a);
        re.scan(p, &mut sb, &mut b);
        assert_eq!(a, b);
    }
    let configs: Vec<(&str, &[&str], &Scanner)> = vec![
        ("paragraphs  hyperscan", &paragraphs, &hs),
        ("paragraphs  regex", &paragraphs, &re),
        ("paragraphs  regex, no gate", &paragraphs, &re_ungated),
        ("lines       hyperscan", &lines, &hs),
        ("lines       regex", &lines, &re),
        ("lines       regex, no gate", &lines, &re_ungated),
        ("whole text  hyperscan", &whole, &hs),
        ("whole text  regex", &whole, &re),
        ("whole text  regex, no gate", &whole, &re_ungated),
    ];
    let mut rates = vec![Vec::new(); configs.len()];
    let mut out = Vec::new();
    for _ in 0..9 {
        for (k, (_, values, s)) in configs.iter().enumerate() {
            let mut scratch = s.scratch();
            let bytes: usize = values.iter().map(|v| v.len()).sum();
            let t = std::time::Instant::now();
            let mut reps = 0usize;
            while t.elapsed().as_millis() < 200 {
                for v in values.iter() {
                    s.scan(v, &mut scratch, &mut out);
                }
                reps += 1;
            }
            rates[k].push((bytes * reps) as f64 / t.elapsed().as_secs_f64() / 1e6);
        }
    }
    for ((label, values, _), r) in configs.iter().zip(&mut rates) {
        r.sort_by(f64::total_cmp);
        let bytes: usize = values.iter().map(|v| v.len()).sum();
        println!(
            "scan {label:<28} {:>5} values {bytes:>8} bytes: median {:>5.0} MB/s (min {:.0}, max {:.0})",
            values.len(),
            r[r.len() / 2],
            r[0],
            r[r.len() - 1]
        );
    }
}

/// Where a pass-through `HS_FLAG_UTF8 | HS_FLAG_UCP` database would miss:
/// PCRE's Unicode `\w` has no combining marks, regex-automata's has, so
/// `e` + U+0301 right before the `@` is part of an e-mail only for the
/// latter.
#[test]
fn combining_mark_before_at() {
    let mut pair = Pair::new();
    let text = "write to re\u{301}sume\u{301}@example.com today";
    pair.check(text);
    let email = builtin()
        .iter()
        .position(|d| d.id == "EMAIL")
        .expect("EMAIL");
    assert!(
        pair.re_out.iter().any(|f| usize::from(f.detector) == email),
        "{:?}",
        pair.re_out
    );
}
