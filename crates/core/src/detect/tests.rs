//! Table-wide tests: every detector proves itself on its own examples, the
//! scanner resolves overlaps, and no input makes it panic.

use super::*;

fn scanner() -> &'static Scanner {
    static S: std::sync::LazyLock<Scanner> = std::sync::LazyLock::new(Scanner::builtin);
    &S
}

fn index(id: &str) -> usize {
    scanner()
        .detectors()
        .iter()
        .position(|d| d.id == id)
        .unwrap_or_else(|| panic!("no detector {id}"))
}

fn found(id: &str, text: &str) -> Vec<String> {
    let s = scanner();
    let mut scratch = s.scratch();
    let mut out = Vec::new();
    s.scan_one(index(id), text, &mut scratch, &mut out);
    out.iter().map(|f| text[f.range()].to_string()).collect()
}

fn scan(text: &str) -> Vec<(&'static str, String)> {
    let s = scanner();
    let mut scratch = s.scratch();
    let mut out = Vec::new();
    s.scan(text, &mut scratch, &mut out);
    out.iter()
        .map(|f| {
            (
                s.detectors()[usize::from(f.detector)].id,
                text[f.range()].to_string(),
            )
        })
        .collect()
}

#[test]
fn table_is_well_formed() {
    let table = builtin();
    let mut ids = std::collections::HashSet::new();
    for d in table {
        assert!(ids.insert(d.id), "duplicate id {}", d.id);
        assert!(
            d.id.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
            "{}",
            d.id
        );
        assert_eq!(d.placeholder, format!("[{}]", d.id));
        assert!(!d.description.is_empty() && !d.validator_name.is_empty());
        assert!(!d.examples.is_empty(), "{} has no examples", d.id);
        assert!(!d.near_misses.is_empty(), "{} has no near misses", d.id);
    }
}

#[test]
fn every_detector_passes_its_own_examples() {
    let s = scanner();
    let mut scratch = s.scratch();
    let mut out = Vec::new();
    let mut failures = Vec::new();
    for (i, d) in s.detectors().iter().enumerate() {
        for ex in d.examples {
            s.scan_one(i, ex, &mut scratch, &mut out);
            if out.is_empty() {
                failures.push(format!("{}: example not found: {ex:?}", d.id));
            }
            // The engine must report the pattern of every example.
            let mut hits = Vec::new();
            s.engine
                .candidates(ex.as_bytes(), &mut scratch.engine, &mut hits);
            if !hits.contains(&(i as u16)) {
                failures.push(format!("{}: engine missed example {ex:?}", d.id));
            }
        }
        for nm in d.near_misses {
            s.scan_one(i, nm, &mut scratch, &mut out);
            if !out.is_empty() {
                let spans: Vec<&str> = out.iter().map(|f| &nm[f.range()]).collect();
                failures.push(format!("{}: near miss matched {spans:?} in {nm:?}", d.id));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The gate's reading of an anchor: as written, or in any case when it has
/// no upper-case letter.
fn has_anchor(d: &Detector, text: &str) -> bool {
    d.anchors.iter().any(|a| d.anchor_occurs(a, text))
}

/// The default engine only walks the bytes around an anchor, so an anchor
/// must lie inside each validated match, unless it is one of the
/// detector's context words (then a hit means "walk the whole value").
#[test]
fn anchors_lie_inside_matches_or_are_context_words() {
    let mut context_anchored = Vec::new();
    for d in builtin() {
        if d.anchors.iter().all(|a| d.anchor_is_context(a)) {
            context_anchored.push(d.id);
            continue;
        }
        assert!(
            !d.anchors.iter().any(|a| d.anchor_is_context(a)),
            "{}: mixes context and in-match anchors",
            d.id
        );
        let re = regex_automata::meta::Regex::new(d.pattern).expect("pattern");
        for ex in d.examples {
            for m in re.find_iter(*ex) {
                let c = Candidate {
                    text: ex,
                    start: m.start(),
                    end: m.end(),
                };
                if (d.validator)(&c).is_some() {
                    assert!(
                        has_anchor(d, &ex[m.range()]),
                        "{}: no anchor inside the match {:?}",
                        d.id,
                        &ex[m.range()]
                    );
                }
            }
        }
    }
    assert_eq!(context_anchored, ["DATE_OF_BIRTH", "AWS_SECRET_ACCESS_KEY"]);
}

#[test]
fn anchors_occur_in_every_example() {
    for d in builtin() {
        assert!(
            !d.anchors.is_empty(),
            "{} has no anchors; the gate would be off",
            d.id
        );
        for ex in d.examples {
            assert!(has_anchor(d, ex), "{}: no anchor in {ex:?}", d.id);
        }
    }
}

#[test]
fn spans_are_exact() {
    assert_eq!(
        found("EMAIL", "<support.team@example.org>"),
        ["support.team@example.org"]
    );
    assert_eq!(
        found("EMAIL", "mail ADMIN@EXAMPLE.COM."),
        ["ADMIN@EXAMPLE.COM"]
    );
    assert_eq!(found("EMAIL", "'alice@example.com'"), ["alice@example.com"]);
    assert_eq!(found("EMAIL", "?to=bob@example.net&x"), ["bob@example.net"]);
    assert_eq!(found("PHONE", "(0161 496 0123)"), ["0161 496 0123"]);
    assert_eq!(found("PHONE", "at (415) 555-2671."), ["(415) 555-2671"]);
    assert_eq!(
        found("IBAN", "IBAN: gb82 west 1234 5698 7654 32 ok"),
        ["gb82 west 1234 5698 7654 32"]
    );
    assert_eq!(
        found("IBAN", "transfer to DE89 3704 0044 0532 0130 00 please"),
        ["DE89 3704 0044 0532 0130 00"]
    );
    assert_eq!(
        found("IP_ADDRESS", "[2001:db8:0:1::53]:53"),
        ["2001:db8:0:1::53"]
    );
    assert_eq!(found("IP_ADDRESS", "ping ::1."), ["::1"]);
    assert_eq!(
        found("IP_ADDRESS", "10.0.0.1:80 and 10.0.0.2"),
        ["10.0.0.1", "10.0.0.2"]
    );
    let pem = "x\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASChAgTzu10nzDClbXz/Fp8xlPZ6Qgg4boQ\naknOEdU5blYOCs71aRteisRT4m8eW/PiGOXQDOiKRrqOCVMmq9G0F8U5co+Ele4O\n-----END PRIVATE KEY-----\ny";
    assert_eq!(found("PRIVATE_KEY", pem), [&pem[2..pem.len() - 2]]);
}

#[test]
fn maximal_candidates_only() {
    // 11 digits inside 12, a card inside a longer run, a quad inside an OID.
    assert!(found("CREDIT_CARD", "n 41111111111111110 x").is_empty());
    assert!(found("US_SSN", "n 1234-56-7890 x").is_empty());
    assert!(found("IP_ADDRESS", "1.3.6.1.4.1.311").is_empty());
    assert!(found("PHONE", "+44 20 7946 0958 1234 5678").is_empty());
    assert!(found(
        "AWS_ACCESS_KEY_ID",
        "AKIAI3AJ36QEZUXAIAONAKIAI3AJ36QEZUXAIAON"
    )
    .is_empty());
}

#[test]
fn scan_resolves_overlaps_by_priority() {
    // A JWT inside a URL-ish context, an e-mail next to a phone: no overlap.
    let text = "mail alice@example.com or call +44 20 7946 0958";
    assert_eq!(
        scan(text),
        [
            ("EMAIL", "alice@example.com".to_string()),
            ("PHONE", "+44 20 7946 0958".to_string())
        ]
    );
    // A SSN-shaped and phone-shaped overlap cannot both be reported.
    let findings = scan("SSN 165 89 5028 and 4111 1111 1111 1111");
    for w in findings.windows(2) {
        assert_ne!(w[0].1, w[1].1);
    }
    // The private key block swallows anything inside it.
    let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASChAgTzu10nzDClbXz/Fp8xlPZ6Qgg4boQ\naknOEdU5blYOCs71aRteisRT4m8eW/PiGOXQDOiKRrqOCVMmq9G0F8U5co+Ele4O\n-----END PRIVATE KEY-----";
    let got = scan(pem);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "PRIVATE_KEY");
}

#[test]
fn a_validated_identifier_beats_what_lies_inside_it() {
    // The SWIFT registry's Faroese example: its digits after `FO` are a
    // 62-prefixed Luhn number, which CN_BANK_CARD and CREDIT_CARD each
    // report when run alone.
    for text in [
        "konto FO6264600001631634 í dag",
        "konto FO62 6460 0001 6316 34 í dag",
        "konto FO 62 6460 0001 6316 34 í dag",
    ] {
        assert!(!found("CN_BANK_CARD", text).is_empty(), "{text}");
        assert!(!found("CREDIT_CARD", text).is_empty(), "{text}");
        let got = scan(text);
        assert_eq!(got.len(), 1, "{text}: {got:?}");
        assert_eq!(got[0].0, "IBAN", "{text}");
        assert!(got[0].1.starts_with("FO"), "{text}: {got:?}");
    }
    // A resident id whose first 17 digits are a UnionPay number (62 is
    // Gansu's region code): the id, not the card inside it.
    let rid = "身份证号 62010219900307350X 已核验";
    assert_eq!(found("CN_BANK_CARD", rid), ["62010219900307350"]);
    assert_eq!(
        scan(rid),
        [("CN_RESIDENT_ID", "62010219900307350X".to_string())]
    );
    // The explicit pairs still hold. Same span: CN_BANK_CARD over
    // CREDIT_CARD.
    assert_eq!(
        scan("银行卡号 6222947514149674251"),
        [("CN_BANK_CARD", "6222947514149674251".to_string())]
    );
    // A vendor token over GENERIC_SECRET, also when the quoted value holds
    // more than the token (GENERIC_SECRET is not a validated identifier).
    let token = "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";
    for text in [
        format!("token = \"{token}\""),
        format!("password = \"Bearer {token}\""),
    ] {
        assert!(!found("GENERIC_SECRET", &text).is_empty(), "{text}");
        assert_eq!(scan(&text), [("GITHUB_TOKEN", token.to_string())], "{text}");
    }
}

/// Which detectors are validated identifiers (see [`VALIDATED_PRIORITY`]):
/// moving one across the line changes which findings a longer span
/// swallows, so it should be a decision, not a side effect.
#[test]
fn validated_identifiers_are_the_checksum_and_vendor_types() {
    let below: Vec<&str> = builtin()
        .iter()
        .filter(|d| d.priority < VALIDATED_PRIORITY)
        .map(|d| d.id)
        .collect();
    assert_eq!(
        below,
        [
            "EMAIL",
            "PHONE",
            "US_SSN",
            "IP_ADDRESS",
            "DATE_OF_BIRTH",
            "US_ITIN",
            "US_PASSPORT",
            "US_DRIVER_LICENSE",
            "US_ZIP",
            "UK_NINO",
            "IN_PAN",
            "IN_VOTER_ID",
            "IN_PASSPORT",
            "IN_DRIVING_LICENSE",
            "CN_MOBILE",
            "CN_PASSPORT",
            "DATABASE_URL_PASSWORD",
            "URL_CREDENTIALS",
            "GENERIC_SECRET",
        ]
    );
}

#[test]
fn resolve_ranks_a_validated_span_by_what_it_contains() {
    let s = scanner();
    let (mut order, mut kept, mut out) = (Vec::new(), Vec::new(), Vec::new());
    let f = |id: &str, start: u32, end: u32| Finding {
        detector: index(id) as u16,
        start,
        end,
    };
    // IBAN (70) holds CN_BANK_CARD (75) and CREDIT_CARD (70).
    let mut raw = vec![
        f("IBAN", 0, 18),
        f("CN_BANK_CARD", 2, 18),
        f("CREDIT_CARD", 2, 18),
    ];
    s.resolve(&mut raw, &mut order, &mut kept, &mut out);
    assert_eq!(out, [f("IBAN", 0, 18)]);
    // Only spans wholly inside count: a partial overlap is decided by
    // priority alone, and the card keeps the bytes it shares.
    let mut raw = vec![f("IBAN", 0, 18), f("CN_BANK_CARD", 10, 26)];
    out.clear();
    s.resolve(&mut raw, &mut order, &mut kept, &mut out);
    assert_eq!(out, [f("CN_BANK_CARD", 10, 26)]);
    // A container below VALIDATED_PRIORITY is not raised.
    let mut raw = vec![f("GENERIC_SECRET", 0, 47), f("GITHUB_TOKEN", 7, 47)];
    out.clear();
    s.resolve(&mut raw, &mut order, &mut kept, &mut out);
    assert_eq!(out, [f("GITHUB_TOKEN", 7, 47)]);
    // The same span is never "inside": priority decides.
    let mut raw = vec![f("CREDIT_CARD", 5, 21), f("CN_BANK_CARD", 5, 21)];
    out.clear();
    s.resolve(&mut raw, &mut order, &mut kept, &mut out);
    assert_eq!(out, [f("CN_BANK_CARD", 5, 21)]);
    // A raised container that loses to a higher neighbour frees what it
    // held: the inner finding is judged on its own again.
    let mut raw = vec![
        f("PRIVATE_KEY", 0, 4),
        f("IBAN", 2, 20),
        f("CN_BANK_CARD", 4, 20),
    ];
    out.clear();
    s.resolve(&mut raw, &mut order, &mut kept, &mut out);
    assert_eq!(out, [f("PRIVATE_KEY", 0, 4), f("CN_BANK_CARD", 4, 20)]);
}

#[test]
fn cards_are_not_hex_or_calling_codes() {
    // A BNetzA drama number whose 13 digits pass Luhn with a Visa prefix.
    let phone = "Ruf an: +49 152 54599371 (Büro)";
    assert!(found("CREDIT_CARD", phone).is_empty());
    assert_eq!(scan(phone), [("PHONE", "+49 152 54599371".to_string())]);
    assert_eq!(
        found("CREDIT_CARD", "call 49 152 54599371 x"),
        ["49 152 54599371"],
        "without the + the digits are a Visa number"
    );
    for text in [
        "request 45320151-1283-0366-b5e3-2a7c9d1f4e08 done",
        "sha1 9f3e4532015112830366ab07c1d2e3f4a5b6c7d8 ok",
        "digest DEADBEEF4532015112830366 ok",
        "addr 0x4532015112830366 ok",
    ] {
        assert!(found("CREDIT_CARD", text).is_empty(), "{text}");
        assert!(
            scan(text).iter().all(|(id, _)| *id != "CREDIT_CARD"),
            "{text}"
        );
    }
    assert!(found("CN_BANK_CARD", "blob ab6222947514149674251cd ok").is_empty());
    for text in [
        "card 4532015112830366 ok",
        "ref a1b2c3 card 4532 0151 1283 0366",
        "Visa4532015112830366 ok",
    ] {
        assert_eq!(found("CREDIT_CARD", text).len(), 1, "{text}");
    }
}

#[test]
fn resolve_prefers_priority_then_length_then_index() {
    let s = scanner();
    let mut out = Vec::new();
    let (mut order, mut kept) = (Vec::new(), Vec::new());
    let card = index("CREDIT_CARD") as u16;
    let phone = index("PHONE") as u16;
    let email = index("EMAIL") as u16;
    let mut raw = vec![
        Finding {
            detector: phone,
            start: 0,
            end: 10,
        },
        Finding {
            detector: card,
            start: 5,
            end: 20,
        },
        Finding {
            detector: email,
            start: 18,
            end: 30,
        },
        Finding {
            detector: email,
            start: 40,
            end: 50,
        },
    ];
    s.resolve(&mut raw, &mut order, &mut kept, &mut out);
    assert_eq!(
        out,
        [
            Finding {
                detector: card,
                start: 5,
                end: 20
            },
            Finding {
                detector: email,
                start: 40,
                end: 50
            },
        ]
    );
    // Equal priority: the longer span wins, then the lower index.
    let mut raw = vec![
        Finding {
            detector: email,
            start: 0,
            end: 10,
        },
        Finding {
            detector: email,
            start: 2,
            end: 14,
        },
    ];
    out.clear();
    s.resolve(&mut raw, &mut order, &mut kept, &mut out);
    assert_eq!(
        out,
        [Finding {
            detector: email,
            start: 2,
            end: 14
        }]
    );
}

#[test]
fn no_panics_on_hostile_input() {
    let s = scanner();
    let mut scratch = s.scratch();
    let mut out = Vec::new();
    let table: Vec<&'static Detector> = builtin().iter().collect();
    let engine = RegexEngine::new(&table).expect("compiles");
    assert!(engine.has_gate());
    let ungated = Scanner::with_engine(table, Box::new(engine.without_gate())).expect("compiles");
    let mut ungated_scratch = ungated.scratch();
    let mut ungated_out = Vec::new();
    let mut one = Vec::new();
    // A small deterministic generator (no extra crates): xorshift.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let alphabet: Vec<char> =
        "0123456789 -./:()+@_AKIAghp_xoxb-eyJ=\\n\n\r\tabcXYZéü中文🙂\u{200b}\u{0}\"'`$<{[,;"
            .chars()
            .collect();
    for round in 0..3000 {
        let len = (next() % 200) as usize;
        let text: String = if round % 3 == 0 {
            // Random bytes, made valid UTF-8 the lossy way.
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect()
        };
        s.scan(&text, &mut scratch, &mut out);
        for f in &out {
            assert!(text.get(f.range()).is_some(), "bad span {f:?} in {text:?}");
        }
        // The gate may only skip values where nothing can match.
        ungated.scan(&text, &mut ungated_scratch, &mut ungated_out);
        assert_eq!(out, ungated_out, "gate changed findings in {text:?}");
        // Anchors are a promise: no finding in a value without one.
        for (i, d) in s.detectors().iter().enumerate() {
            s.scan_one(i, &text, &mut scratch, &mut one);
            if !one.is_empty() {
                assert!(
                    has_anchor(d, &text),
                    "{}: finding in {text:?} without an anchor",
                    d.id
                );
            }
        }
        for w in out.windows(2) {
            assert!(w[0].end <= w[1].start, "overlap {w:?} in {text:?}");
        }
        for d in 0..s.detectors().len() {
            s.scan_one(d, &text, &mut scratch, &mut out);
            for f in &out {
                assert!(text.get(f.range()).is_some());
            }
        }
    }
    // Long runs of one character class must stay linear and quiet.
    for unit in [
        "9",
        "9 ",
        "a@",
        "::",
        "AKIA",
        "eyJ.",
        "-----BEGIN PRIVATE KEY-----\n",
        "é",
    ] {
        let text = unit.repeat(50_000);
        s.scan(&text, &mut scratch, &mut out);
    }
    s.scan_one(usize::MAX, "x", &mut scratch, &mut out);
    assert!(out.is_empty());
}

#[test]
fn scratch_from_another_scanner_is_tolerated() {
    let small = Scanner::new(vec![&builtin()[0]]).expect("compiles");
    let mut foreign = small.scratch();
    let mut out = Vec::new();
    scanner().scan("mail alice@example.com", &mut foreign, &mut out);
    assert_eq!(out.len(), 1);
}

#[test]
fn bad_patterns_are_errors() {
    static BAD: Detector = Detector {
        pattern: "(",
        ..crate::detect::rules::pii::EMAIL
    };
    static EMPTY: Detector = Detector {
        pattern: "x*",
        ..crate::detect::rules::pii::EMAIL
    };
    assert!(matches!(
        Scanner::new(vec![&BAD]),
        Err(DetectError::Pattern { .. })
    ));
    assert!(matches!(
        Scanner::new(vec![&EMPTY]),
        Err(DetectError::EmptyMatch { .. })
    ));
    let msg = Scanner::new(vec![&BAD]).unwrap_err().to_string();
    assert!(msg.contains("EMAIL"), "{msg}");
}

#[test]
fn category_names() {
    assert_eq!(Category::Pii.as_str(), "pii");
    assert_eq!(Category::Secret.as_str(), "secret");
}

/// Single-core throughput of `Scanner::scan` on prose, one paragraph per
/// value (as text fields arrive from a JSONL corpus), with and without the
/// anchor gate, measured round-robin so machine noise hits all alike. Run
/// with `SCOUR_PROSE=/path/to/text cargo test --release --lib
/// bench_scan_prose -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_scan_prose() {
    let path = std::env::var("SCOUR_PROSE").unwrap_or_else(|_| "/tmp/prose.txt".into());
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("no corpus at {path}; skipping");
        return;
    };
    let paragraphs: Vec<&str> = text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .collect();
    let lines: Vec<&str> = text.lines().filter(|p| !p.trim().is_empty()).collect();
    let whole = [text.as_str()];
    let table: Vec<&'static Detector> = builtin().iter().collect();
    let engine = RegexEngine::new(&table).expect("compiles").without_gate();
    let ungated = Scanner::with_engine(table, Box::new(engine)).expect("compiles");
    let configs: Vec<(&str, &[&str], &Scanner)> = vec![
        ("paragraphs", &paragraphs, scanner()),
        ("paragraphs, no gate", &paragraphs, &ungated),
        ("lines", &lines, scanner()),
        ("lines, no gate", &lines, &ungated),
        ("whole text", &whole, scanner()),
        ("whole text, no gate", &whole, &ungated),
    ];
    let mut rates = vec![Vec::new(); configs.len()];
    let mut out = Vec::new();
    for _ in 0..9 {
        for (k, (_, values, s)) in configs.iter().enumerate() {
            let mut scratch = s.scratch();
            let bytes: usize = values.iter().map(|v| v.len()).sum();
            let t = std::time::Instant::now();
            let mut reps = 0usize;
            while t.elapsed().as_millis() < 150 {
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
            "scan {label:<22} {:>5} values {bytes:>7} bytes: median {:>4.0} MB/s (min {:.0}, max {:.0})",
            values.len(),
            r[r.len() / 2],
            r[0],
            r[r.len() - 1]
        );
    }
}

/// Differential testing against the conformance oracle (`check.py`): reads
/// `SCOUR_DIFF_IN` (one JSON array `[entity, text]` per line) and writes
/// `1`/`0` per line (what `scan_one` found) to `SCOUR_DIFF_OUT`; a script
/// compares that with check.py's reference functions on the same texts.
#[test]
#[ignore]
fn dump_scan_one() {
    let (Ok(inp), Ok(outp)) = (
        std::env::var("SCOUR_DIFF_IN"),
        std::env::var("SCOUR_DIFF_OUT"),
    ) else {
        eprintln!("set SCOUR_DIFF_IN and SCOUR_DIFF_OUT");
        return;
    };
    let s = scanner();
    let mut scratch = s.scratch();
    let mut out = Vec::new();
    let mut result = String::new();
    for line in std::fs::read_to_string(inp).expect("input").lines() {
        let (ent, text): (String, String) = serde_json::from_str(line).expect("json line");
        let found = match s.detectors().iter().position(|d| d.id == ent) {
            Some(d) => {
                s.scan_one(d, &text, &mut scratch, &mut out);
                if out.is_empty() {
                    "0"
                } else {
                    "1"
                }
            }
            None => "-",
        };
        result.push_str(found);
        result.push('\n');
    }
    std::fs::write(outp, result).expect("output");
}
