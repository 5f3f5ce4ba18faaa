//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// Every vector CSV the tests read, in a fixed order: the mirrored shared
/// conformance folder first (`tests/data/conformance/`, refreshed by
/// `scripts/sync_conformance.sh`), then the project's own
/// (`tests/data/vectors/`). Both live in the repository, so the tests pass
/// from a fresh clone; an empty or missing mirror fails loudly.
#[allow(dead_code)]
pub fn vector_files() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut all = Vec::new();
    for dir in ["conformance", "vectors"] {
        let dir = root.join(dir);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("vector folder {} is missing: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "csv"))
            .collect();
        files.sort();
        if dir.ends_with("conformance") {
            assert!(!files.is_empty(), "no *.csv in {}", dir.display());
        }
        all.extend(files);
    }
    all
}
