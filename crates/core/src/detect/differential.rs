//! Differential proof that the fast scan (engine regions, group DFAs,
//! windowed re-search) finds exactly what the plain algorithm finds: every
//! detector's regex over the whole value, each match validated, then the
//! same overlap resolution.
//!
//! Inputs: every row of the shared conformance CSVs, every detector's
//! examples and near misses (alone and packed densely together), generated
//! prose with planted examples, digit tables, hex words, and random strings
//! over the characters the patterns care about. Each is scanned by several
//! engine configurations (default; one DFA per anchor family; one DFA per
//! pattern; no anchor gate) and compared detector by detector before
//! resolution, and after it. `SCOUR_DIFF_CORPUS=file.jsonl` adds every
//! string leaf of a JSONL corpus (ignored test `differential_corpus`).

use super::*;

/// The reference: every detector's regex over the whole value.
fn reference_raw(s: &Scanner, scratch: &mut Scratch, text: &str) -> Vec<Finding> {
    let text = clamp(text);
    let mut raw = Vec::new();
    if text.is_empty() {
        return raw;
    }
    s.fix_scratch(scratch);
    for d in 0..s.regexes.len() {
        s.find(d, text, &mut scratch.caches[d], &mut raw);
    }
    raw.sort_unstable();
    raw
}

/// Every detector's raw regex matches (valid or not) over the whole value
/// and inside the windows `s`'s engine gives: they must be the same.
/// Returns how many there were.
fn same_candidates(label: &str, s: &Scanner, scratch: &mut Scratch, text: &str) -> usize {
    let Scratch {
        engine,
        windows,
        caches,
        ..
    } = scratch;
    let mut ends = MatchEnds::new(text.as_bytes(), &s.reach, windows);
    assert!(s.engine.locate(text.as_bytes(), engine, &mut ends));
    windows.finish();
    let mut n = 0;
    for (d, cache) in caches.iter_mut().enumerate() {
        // Without an anchor (a context word) the engine may skip the value.
        let det = s.detectors[d];
        if !det.anchors.iter().any(|a| det.anchor_occurs(a, text)) {
            continue;
        }
        let (mut whole, mut windowed) = (Vec::new(), Vec::new());
        s.matches_in(d, text, &[(0, text.len())], cache, |a, b| {
            whole.push((a, b))
        });
        s.matches_in(d, text, windows.of(d), cache, |a, b| windowed.push((a, b)));
        assert_eq!(
            whole, windowed,
            "{label}: {} candidates differ in {text:?}",
            s.detectors[d].id
        );
        n += whole.len();
    }
    n
}

fn fast_raw(s: &Scanner, scratch: &mut Scratch, text: &str) -> Vec<Finding> {
    let text = clamp(text);
    if text.is_empty() {
        return Vec::new();
    }
    s.fix_scratch(scratch);
    s.collect(text, Mark::UNKNOWN, scratch);
    let mut raw = scratch.raw.clone();
    raw.sort_unstable();
    raw
}

struct Harness {
    scanners: Vec<(&'static str, Scanner)>,
    scratches: Vec<Scratch>,
    reference: Scratch,
    values: usize,
    bytes: usize,
    findings: usize,
    candidates: usize,
}

impl Harness {
    fn new() -> Harness {
        let table: Vec<&'static Detector> = builtin().iter().collect();
        let engine = || RegexEngine::new(&table).expect("compiles");
        let grouped = |size| RegexEngine::with_group_size(&table, size).expect("compiles");
        let scanners = vec![
            ("default", Scanner::builtin()),
            (
                "one DFA per family",
                Scanner::with_engine(table.clone(), Box::new(grouped(usize::MAX)))
                    .expect("compiles"),
            ),
            (
                "one DFA per pattern",
                Scanner::with_engine(table.clone(), Box::new(grouped(1))).expect("compiles"),
            ),
            (
                "literal automata",
                Scanner::with_engine(table.clone(), Box::new(engine().with_literal_automata()))
                    .expect("compiles"),
            ),
            (
                "no gate",
                Scanner::with_engine(table.clone(), Box::new(engine().without_gate()))
                    .expect("compiles"),
            ),
        ];
        let scratches = scanners.iter().map(|(_, s)| s.scratch()).collect();
        let reference = scanners[0].1.scratch();
        Harness {
            scanners,
            scratches,
            reference,
            values: 0,
            bytes: 0,
            findings: 0,
            candidates: 0,
        }
    }

    fn check(&mut self, text: &str) {
        let base = &self.scanners[0].1;
        let want = reference_raw(base, &mut self.reference, text);
        let mut want_resolved = Vec::new();
        {
            let (mut raw, mut order, mut kept) = (want.clone(), Vec::new(), Vec::new());
            base.resolve(&mut raw, &mut order, &mut kept, &mut want_resolved);
        }
        // The engine's contract: every pattern with a match (and an anchor:
        // context words need not be near it) is a candidate.
        let mut hits = Vec::new();
        base.engine.candidates(
            clamp(text).as_bytes(),
            &mut self.reference.engine,
            &mut hits,
        );
        for (d, re) in base.regexes.iter().enumerate() {
            let det = base.detectors[d];
            let anchored = det
                .anchors
                .iter()
                .any(|a| det.anchor_occurs(a, clamp(text)));
            if anchored && re.is_match(clamp(text)) {
                assert!(
                    hits.contains(&(d as u16)),
                    "engine missed {} in {text:?}",
                    base.detectors[d].id
                );
            }
        }
        let mut out = Vec::new();
        for ((label, s), scratch) in self.scanners.iter().zip(&mut self.scratches) {
            // Stronger than the findings: the very same regex matches, valid
            // or not, for every detector.
            if !clamp(text).is_empty() {
                s.fix_scratch(scratch);
                let n = same_candidates(label, s, scratch, clamp(text));
                if *label == "default" {
                    self.candidates += n;
                }
            }
            let got = fast_raw(s, scratch, text);
            if got != want {
                let name = |f: &Finding| s.detectors[usize::from(f.detector)].id;
                let missing: Vec<_> = want
                    .iter()
                    .filter(|f| !got.contains(f))
                    .map(|f| (name(f), &text[f.range()]))
                    .collect();
                let extra: Vec<_> = got
                    .iter()
                    .filter(|f| !want.contains(f))
                    .map(|f| (name(f), &text[f.range()]))
                    .collect();
                panic!("{label}: missing {missing:?}, extra {extra:?} in {text:?}");
            }
            s.scan(text, scratch, &mut out);
            assert_eq!(out, want_resolved, "{label}: resolved findings in {text:?}");
        }
        self.values += 1;
        self.bytes += text.len();
        self.findings += want.len();
    }
}

/// xorshift64*, as in the engine bench.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo) as u64) as usize
    }
}

fn conformance_texts() -> Vec<String> {
    // The mirrored shared vectors and the project's own (tests/common lists
    // the same two folders for the integration tests).
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data");
    let mut files: Vec<_> = ["conformance", "vectors"]
        .iter()
        .flat_map(|d| {
            let dir = root.join(d);
            std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("vector folder {}: {e}", dir.display()))
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "csv"))
                .collect::<Vec<_>>()
        })
        .collect();
    files.sort();
    let mut texts = Vec::new();
    for path in files {
        let mut rdr = csv::Reader::from_path(&path).expect("csv");
        for rec in rdr.records() {
            let rec = rec.expect("row");
            if let Some(t) = rec.get(1) {
                texts.push(t.to_string());
            }
        }
    }
    assert!(texts.len() > 100, "conformance rows: {}", texts.len());
    texts
}

fn examples() -> Vec<&'static str> {
    builtin()
        .iter()
        .flat_map(|d| d.examples.iter().chain(d.near_misses.iter()).copied())
        .collect()
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A table cell of the engine bench's digit-heavy text.
fn digit_cell(rng: &mut Rng, s: &mut String) {
    use std::fmt::Write;
    let y = rng.range(1990, 2031);
    let (m, d) = (rng.range(1, 13), rng.range(1, 29));
    let _ = match rng.range(0, 18) {
        0 => write!(s, "{y}-{m:02}-{d:02}"),
        1 => write!(s, "{d:02}/{m:02}/{y}"),
        2 => write!(s, "{} {d}, {y}", MONTHS[m - 1]),
        3 => write!(
            s,
            "{:02}:{:02}:{:02}",
            rng.range(0, 24),
            rng.range(0, 60),
            d
        ),
        4 => write!(s, "v{}.{}.{}", m, d, rng.range(0, 200)),
        5 => write!(
            s,
            "{}.{}.{}.{}",
            m,
            d,
            rng.range(0, 300),
            rng.range(0, 9000)
        ),
        6 => write!(s, "{}.{:04}", rng.range(0, 100_000), rng.range(0, 10_000)),
        7 => write!(
            s,
            "{},{:03},{:03}",
            m,
            rng.range(0, 1000),
            rng.range(0, 1000)
        ),
        8 => write!(s, "{}%", rng.range(0, 1000) as f64 / 10.0),
        9 => write!(s, "{}", rng.range(1_000_000_000, 2_000_000_000)),
        10 => write!(s, "#{}", rng.next() % 1_000_000_000_000),
        11 => write!(s, "0x{:08x}", rng.next() as u32),
        12 => write!(s, "{} ms", rng.range(0, 100_000)),
        13 => write!(s, "{y}{m:02}{d:02}.{}", rng.range(0, 100)),
        14 => write!(s, "{}-{}", rng.range(100, 1000), rng.range(1000, 10_000)),
        15 => write!(s, "{}", rng.next() % 10_000_000_000_000_000_000),
        16 => write!(
            s,
            "+{} {} {}",
            m,
            rng.range(100, 1000),
            rng.range(1000, 100_000)
        ),
        _ => write!(s, "{}", rng.range(0, 100)),
    };
}

const PROSE: &str = "The data set was collected over several months from public \
documentation, mailing lists and help pages. Each record holds a short passage of \
running text (written by many authors) with the usual mix of long and short sentences, \
quotations: lists of items; versions like 3.12 or PEP 8, and the odd year, 1999. ";

/// Random strings over the bytes the patterns care about, and a few others.
fn hostile(rng: &mut Rng, len: usize) -> String {
    const ALPHABETS: [&str; 4] = [
        "0123456789 -",
        "0123456789 -./:()+@abcdefABCDEFXYZEGx_ \n",
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ -.",
        "0123456789abcdef:. @_-=eyJAKIAghp_xoxb-sk_live_-----BEGIN PRIVATE KEY-----é中",
    ];
    let alphabet: Vec<char> = ALPHABETS[rng.range(0, ALPHABETS.len())].chars().collect();
    (0..len)
        .map(|_| alphabet[rng.range(0, alphabet.len())])
        .collect()
}

#[test]
fn windowed_scan_equals_whole_value_scan() {
    let mut h = Harness::new();
    let mut rng = Rng(0x00D1_FF5E_ED00_0042);
    for t in conformance_texts() {
        h.check(&t);
    }
    let ex = examples();
    for t in &ex {
        h.check(t);
    }
    // Examples packed densely, with different separators, so that windows
    // of many detectors touch and overlap.
    for sep in ["", " ", "\n", " | ", "-", "0", ", "] {
        for chunk in ex.chunks(7) {
            h.check(&chunk.join(sep));
        }
        h.check(&ex.join(sep));
    }
    // Prose with planted examples, long and short.
    for i in 0..400 {
        let mut v = String::new();
        for _ in 0..rng.range(1, 12) {
            v.push_str(&PROSE[..rng.range(0, PROSE.len())]);
            if i % 3 != 0 {
                v.push_str(ex[rng.range(0, ex.len())]);
                v.push(' ');
            }
        }
        h.check(&v);
    }
    // Anchors away from the match or in another case: a context word far
    // ahead of a key without digits, upper-case key names (the gate reads an
    // all-lower-case anchor in any case).
    for pad in [0, 1, 30, 60, 79, 200] {
        let gap = " ".repeat(pad);
        for t in [
            format!("aws_secret_access_key ={gap} AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGhIjKlMn"),
            format!("SecretAccessKey:{gap}\"qwertyuiopASDFGHJKLzxcvbnm/+QWERTYUIOPasdf\""),
            format!("DB_PASSWORD ={gap} \"hUnTeRtWoFoXtRoTqUiLl\""),
            format!("X-API-KEY:{gap}ZyXwVuTsRqPoNmLkJiHgFeDcBa"),
            format!("The Date Of Birth:{gap} March fourth, or 4 March 1987."),
            // A context word makes its family's region the whole value
            // before a key name further on is reached.
            format!("Access to it.{gap} Found in .env: REDIS_PASSWD = 'WxTRO31DG&AuF6o8TJF-8J2' x"),
            format!("born in{gap} 1970; token: 'Zr5Tx1Wv7Y3LmQ8p' and dob 1970-01-02"),
        ] {
            h.check(&t);
        }
    }
    // Codes without a digit (the codice fiscale with every digit replaced)
    // are found from letters that only open regions in values holding a
    // long run of capitals: at every offset against the 64-byte blocks and
    // the run samples, beside other capitals, one byte short, and twice.
    for pad in 0..70 {
        let lead = "x".repeat(pad);
        for t in [
            format!("{lead}RSSMRAQRCMNFNLRG"),
            format!("{lead} CF RSSMRAQRCMNFNLRG."),
            format!("{lead}SSMRAQRCMNFNLRG QRS"),
            format!("{lead}ABC RSSMRAQRCMNFNLRG RSSMRAQRCMNFNLRG TUV"),
            format!("{lead}XRSSMRAQRCMNFNLRG7 The Quick LMN"),
        ] {
            h.check(&t);
        }
    }
    // Key names glued to, or overlapping, other key names and values: a
    // walk may stop early only when no match is in progress, and a match's
    // start lies only in the identifier run before its key name.
    for t in [
        "secretoken=Xq7pL2vRz9Wm4",
        "aaaa_token_aaaa_password=Vt3kq9ZLm2wQ",
        "tokentoken: abc123XYZ987qwe",
        "api_api_key = 'c7f1e2a9b8d3f6e9a0b1'",
        "my.private-key.pwd => hU2nTeRtWoFoX9",
        "the token is passed; password = Zr5Tx1Wv7Y3Lm; auth_token:Pq8Zr5Tx1Wv7Y",
        "x=1 accesskey=Lm3Pq8Zr5Tx1Wv7Y, secret_key := 'Lm3Pq8Zr5Tx1Wv7Y'",
        "passwpasswordpwd=Lm3Pq8Zr5Tx1Wv7Y",
        "tel 415 555 2671x12345 and 4111 1111 1111 1111 then 123-45-6789",
        "1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6",
    ] {
        h.check(t);
        h.check(&t.to_uppercase());
        h.check(&format!("{t} {t}"));
    }
    // Digit tables and hex words, of every size around the heavy threshold.
    for _ in 0..300 {
        let want = rng.range(1, 3000);
        let mut v = String::new();
        while v.len() < want {
            v.push('|');
            for _ in 0..rng.range(1, 8) {
                v.push(' ');
                digit_cell(&mut rng, &mut v);
                v.push_str(" |");
            }
            v.push('\n');
        }
        h.check(&v);
        let mut hex = String::new();
        for _ in 0..rng.range(1, 300) {
            hex.push_str(&format!("{:012x} ", rng.next() >> 16));
        }
        h.check(&hex);
    }
    for _ in 0..3000 {
        let len = rng.range(0, 600);
        h.check(&hostile(&mut rng, len));
    }
    eprintln!(
        "differential: {} values, {} bytes, {} candidates, {} raw findings, all equal",
        h.values, h.bytes, h.candidates, h.findings
    );
    assert!(
        h.findings > 2_000 && h.candidates > 50_000,
        "too few findings to prove anything"
    );
}

/// Every substring a detector's `pattern` matches must end with a match of
/// its `dfa_pattern` (so the DFA reports every end the regex can have):
/// checked on every substring of the conformance rows, the examples and
/// near misses, digit tables and random strings over the patterns' bytes.
#[test]
fn dfa_patterns_hold_every_match_of_their_pattern() {
    use regex_automata::meta::Regex;
    let loose: Vec<(&Detector, Regex, Regex)> = builtin()
        .iter()
        .filter_map(|d| {
            let dfa = d.dfa_pattern?;
            let whole = Regex::new(&format!("^(?:{})$", d.pattern)).expect("pattern");
            let suffix = Regex::new(&format!("(?:{dfa})$")).expect("dfa pattern");
            Some((d, whole, suffix))
        })
        .collect();
    assert!(
        loose.len() >= 5,
        "detectors with a dfa_pattern: {}",
        loose.len()
    );
    let mut texts = conformance_texts();
    texts.extend(examples().into_iter().map(str::to_owned));
    let mut rng = Rng(0x5eed_1005e);
    for _ in 0..300 {
        let mut s = String::new();
        for _ in 0..4 {
            digit_cell(&mut rng, &mut s);
            s.push(' ');
        }
        texts.push(s);
        let len = rng.range(8, 40);
        texts.push(hostile(&mut rng, len));
    }
    // Runs of digits with separators where the narrow first classes bite.
    for _ in 0..2000 {
        let len = rng.range(10, 30);
        texts.push(
            (0..len)
                .map(|_| b"0123456789012345678969AB -+X"[rng.range(0, 28)] as char)
                .collect(),
        );
    }
    let mut checked = 0;
    for text in &texts {
        let b = text.as_bytes();
        for s in (0..b.len()).filter(|&s| text.is_char_boundary(s)) {
            for e in (s + 1..=b.len().min(s + 64)).filter(|&e| text.is_char_boundary(e)) {
                for (d, strict, dfa) in &loose {
                    if strict.is_match(&text[s..e]) {
                        checked += 1;
                        assert!(
                            dfa.is_match(&text[s..e]),
                            "{}: dfa_pattern misses {:?} (in {text:?})",
                            d.id,
                            &text[s..e]
                        );
                    }
                }
            }
        }
    }
    assert!(checked > 1000, "matches checked: {checked}");
}

/// `SCOUR_DIFF_CORPUS=corpus.jsonl cargo test --release --lib
/// differential_corpus -- --ignored --nocapture`: every string leaf of every
/// line (up to `SCOUR_DIFF_MB` megabytes, default 50).
#[test]
#[ignore]
fn differential_corpus() {
    let Ok(path) = std::env::var("SCOUR_DIFF_CORPUS") else {
        eprintln!("set SCOUR_DIFF_CORPUS");
        return;
    };
    let limit: usize = std::env::var("SCOUR_DIFF_MB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50)
        << 20;
    let file = std::fs::File::open(&path).expect("corpus");
    let mut h = Harness::new();
    let mut read = 0;
    fn leaves(v: &serde_json::Value, h: &mut Harness) {
        match v {
            serde_json::Value::String(s) => h.check(s),
            serde_json::Value::Array(a) => a.iter().for_each(|x| leaves(x, h)),
            serde_json::Value::Object(o) => o.values().for_each(|x| leaves(x, h)),
            _ => {}
        }
    }
    use std::io::BufRead;
    for line in std::io::BufReader::new(file).lines() {
        let line = line.expect("line");
        read += line.len() + 1;
        match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(v) => leaves(&v, &mut h),
            Err(_) => h.check(&line),
        }
        if read >= limit {
            break;
        }
    }
    eprintln!(
        "differential corpus: {} values, {} bytes, {} candidates, {} raw findings, all equal",
        h.values, h.bytes, h.candidates, h.findings
    );
}

/// The short values of a wide customer table (the shape of `gen_corpus.py
/// --shape wide`), with detector examples, conformance rows, digit cells
/// and random strings mixed in, and literals split across two cells.
fn table_cells(rng: &mut Rng, rows: usize) -> Vec<String> {
    const WORDS: [&str; 24] = [
        "Yuki",
        "Garcia",
        "Prague",
        "GB",
        "EUR",
        "free",
        "active",
        "true",
        "N",
        "smb",
        "web",
        "",
        "sms",
        "refund issued",
        "São Paulo",
        "Zürich",
        "SW1A 1AA",
        "do not call",
        "pass",
        "word",
        "ss",
        "n: ",
        "AKIA",
        "ghp_",
    ];
    let ex = examples();
    let conf = conformance_texts();
    let mut cells = Vec::new();
    for i in 0..rows {
        cells.push(format!("{}", 1_000_000 + i));
        for _ in 0..19 {
            let mut s = String::new();
            match rng.range(0, 20) {
                0..=9 => s.push_str(WORDS[rng.range(0, WORDS.len())]),
                10..=14 => digit_cell(rng, &mut s),
                15 => s.push_str(ex[rng.range(0, ex.len())]),
                16 => s.push_str(&conf[rng.range(0, conf.len())]),
                17 => {
                    let len = rng.range(0, 40);
                    s.push_str(&hostile(rng, len));
                }
                18 => s.push_str(&format!("{:.2}", rng.range(0, 500_000) as f64 / 100.0)),
                _ => s.push_str(&PROSE[..rng.range(0, PROSE.len())]),
            }
            cells.push(s);
        }
    }
    cells
}

/// `Scanner::scan_many` over a chunk-like buffer gives, value by value,
/// exactly what `Scanner::scan` gives, for every engine configuration, with
/// a fresh scratch and with one whose memo is warm; and a value the engine
/// screens out has no candidate pattern at all.
#[test]
fn table_scan_equals_value_scan() {
    let h = Harness::new();
    let mut rng = Rng(0x7AB1_E5EE_D000_0020);
    let cells = table_cells(&mut rng, 600);
    let mut text = String::new();
    let mut spans = Vec::new();
    for c in &cells {
        let s = text.len();
        text.push_str(c);
        spans.push((s, text.len()));
    }
    let mut found_any = 0;
    for (label, s) in &h.scanners {
        let mut one = s.scratch();
        let want: Vec<Vec<Finding>> = cells
            .iter()
            .map(|c| {
                let mut out = Vec::new();
                s.scan(c, &mut one, &mut out);
                out
            })
            .collect();
        let mut many = s.scratch();
        for pass in 0..2 {
            let mut got = vec![Vec::new(); cells.len()];
            s.scan_many(&text, &spans, &mut many, |i, v, f| {
                assert_eq!(v, cells[i]);
                got[i] = f.to_vec();
            });
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g, w, "{label}, pass {pass}: value {i} {:?}", cells[i]);
            }
            found_any += got.iter().filter(|g| !g.is_empty()).count();
        }
        // Screened-out values hold no candidate at all; a value marked
        // without literals holds none, and its windows are those of a
        // value not screened.
        let mut marks = Vec::new();
        let mut es = s.engine.new_scratch();
        s.engine
            .screen(text.as_bytes(), &spans, &mut es, &mut marks);
        assert_eq!(marks.len(), spans.len());
        let mut quiet = 0;
        let mut one = s.scratch();
        for (c, &m) in cells.iter().zip(&marks) {
            let mut hits = Vec::new();
            s.engine.candidates(c.as_bytes(), &mut es, &mut hits);
            if m == Mark::QUIET {
                assert!(
                    hits.is_empty(),
                    "{label}: screened out {c:?}, candidates {hits:?}"
                );
                quiet += 1;
            }
            if m & Mark::LITERALS == 0 {
                let lits: Vec<&str> = builtin()
                    .iter()
                    .flat_map(|d| {
                        d.anchors
                            .iter()
                            .filter(|a| a.len() > 1)
                            .map(move |a| (d, a))
                    })
                    .filter(|(d, a)| d.anchor_occurs(a, c))
                    .map(|(_, a)| *a)
                    .collect();
                assert!(
                    lits.is_empty(),
                    "{label}: {c:?} marked without literals holds {lits:?}"
                );
            }
            let mut ends = MatchEnds::new(c.as_bytes(), &s.reach, &mut one.windows);
            s.engine.locate(c.as_bytes(), &mut es, &mut ends);
            one.windows.finish();
            let plain: Vec<(u16, Vec<(usize, usize)>)> = one
                .windows
                .touched()
                .iter()
                .map(|&d| (d, one.windows.of(usize::from(d)).to_vec()))
                .collect();
            let mut ends = MatchEnds::new(c.as_bytes(), &s.reach, &mut one.windows);
            if m != Mark::QUIET {
                s.engine.locate_marked(c.as_bytes(), m, &mut es, &mut ends);
            }
            one.windows.finish();
            let marked: Vec<(u16, Vec<(usize, usize)>)> = one
                .windows
                .touched()
                .iter()
                .map(|&d| (d, one.windows.of(usize::from(d)).to_vec()))
                .collect();
            assert_eq!(plain, marked, "{label}: windows of {c:?} marked {m}");
        }
        if s.engine_name() == "regex-automata" && *label != "no gate" {
            assert!(
                quiet > cells.len() / 4,
                "{label}: only {quiet} values screened out"
            );
        }
    }
    // Unsorted spans are scanned value by value, with the same findings.
    let s = &h.scanners[0].1;
    let mut rev: Vec<(usize, usize)> = spans.iter().rev().copied().collect();
    rev.push((text.len() + 5, text.len() + 9));
    let mut n = 0;
    s.scan_many(&text, &rev, &mut s.scratch(), |_, _, _| n += 1);
    let mut m = 0;
    s.scan_many(&text, &spans, &mut s.scratch(), |_, _, _| m += 1);
    assert_eq!(n, m);
    assert!(found_any > 100, "values with findings: {found_any}");
}
