//! Every row of every vector CSV (the mirrored shared conformance folder
//! and the project's own, see `tests/common`), for every detector id scour
//! implements: run that detector alone on `text` and compare "found
//! something" with `expected_match`.
//!
//! A missing folder, an empty mirror or a malformed file fails the test: a
//! conformance suite that silently checks nothing is worse than none.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use scour::detect::{builtin, Scanner};

#[derive(Default)]
struct Tally {
    checked: usize,
    passed: usize,
}

#[test]
fn conformance_rows() {
    let files: Vec<PathBuf> = common::vector_files();

    let scanner = Scanner::builtin();
    let index: BTreeMap<&str, usize> = scanner
        .detectors()
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id, i))
        .collect();
    assert_eq!(index.len(), builtin().len());
    let mut scratch = scanner.scratch();
    let mut out = Vec::new();

    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut rows = 0usize;
    for path in &files {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let mut rdr = csv::Reader::from_path(path)
            .unwrap_or_else(|e| panic!("{}: cannot open: {e}", path.display()));
        let headers = rdr
            .headers()
            .unwrap_or_else(|e| panic!("{name}: bad header: {e}"))
            .clone();
        assert_eq!(
            headers.iter().collect::<Vec<_>>(),
            ["entity", "text", "expected_match", "note"],
            "{name}: unexpected header"
        );
        for rec in rdr.records() {
            let rec = rec.unwrap_or_else(|e| panic!("{name}: malformed row: {e}"));
            rows += 1;
            let line = rec.position().map_or(0, |p| p.line());
            let (entity, text, expected) = (&rec[0], &rec[1], &rec[2]);
            assert!(
                expected == "yes" || expected == "no",
                "{name}:{line}: expected_match must be yes or no, got {expected:?}"
            );
            let Some(&det) = index.get(entity) else {
                *skipped.entry(entity.to_string()).or_default() += 1;
                continue;
            };
            scanner.scan_one(det, text, &mut scratch, &mut out);
            let found = !out.is_empty();
            let t = tally.entry(entity.to_string()).or_default();
            t.checked += 1;
            if found == (expected == "yes") {
                t.passed += 1;
            } else {
                let spans: Vec<&str> = out.iter().map(|f| &text[f.range()]).collect();
                failures.push(format!(
                    "{name}:{line}: {entity} expected {expected}, found {spans:?} in {:?} ({})",
                    text, &rec[3]
                ));
            }
        }
    }
    assert!(rows > 0, "conformance files hold no rows");

    println!("conformance: {rows} rows in {} files", files.len());
    for (id, t) in &tally {
        println!("  {id:<24} {:>3}/{:<3} passed", t.passed, t.checked);
    }
    let skipped_rows: usize = skipped.values().sum();
    println!(
        "  skipped {skipped_rows} rows of {} ids not implemented yet: {}",
        skipped.len(),
        skipped.keys().cloned().collect::<Vec<_>>().join(", ")
    );
    for d in builtin() {
        if !tally.contains_key(d.id) {
            println!("  note: {} has no conformance rows", d.id);
        }
    }
    assert!(
        failures.is_empty(),
        "{} conformance rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
