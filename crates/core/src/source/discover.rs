//! Turning the paths a user typed into an ordered list of files to read.
//!
//! Directories are walked recursively in sorted order so that a scan's file
//! list — and therefore every output — does not depend on the file system's
//! directory order. Files whose format cannot be told from their name are
//! not guessed at: they are listed as skipped in the report.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use thiserror::Error;

/// The record format of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jsonl,
    Json,
    Csv,
    Txt,
    Parquet,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Txt => "txt",
            Format::Parquet => "parquet",
        }
    }
}

/// How a file's bytes are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            Compression::None => None,
            Compression::Gzip => Some("gzip"),
            Compression::Zstd => Some("zstd"),
        }
    }
}

/// The dataset split a file belongs to, inferred from its path.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Validation,
    Test,
}

impl Split {
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::Test => "test",
        }
    }
}

/// A file to scan.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The path as shown in reports: relative to the argument it was found
    /// under when that argument was a directory, else as given.
    pub display: String,
    pub format: Format,
    pub compression: Compression,
    pub split: Split,
    pub size: u64,
    pub mtime: Option<SystemTime>,
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<SourceFile>,
    /// Files skipped because their extension names no supported format.
    pub skipped: Vec<String>,
}

#[derive(Debug, Error)]
pub enum DiscoverError {
    #[error("{path}: no such file or directory")]
    Missing { path: String },
    #[error("{path}: cannot read: {source}")]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Format and compression from a file name, or `None` for unknown names.
pub fn sniff(name: &str) -> Option<(Format, Compression)> {
    let lower = name.to_ascii_lowercase();
    let (stem, compression) = if let Some(s) = lower.strip_suffix(".gz") {
        (s, Compression::Gzip)
    } else if let Some(s) = lower.strip_suffix(".zst") {
        (s, Compression::Zstd)
    } else if let Some(s) = lower.strip_suffix(".zstd") {
        (s, Compression::Zstd)
    } else {
        (lower.as_str(), Compression::None)
    };
    let ext = stem.rsplit_once('.')?.1;
    let format = match ext {
        "jsonl" | "ndjson" => Format::Jsonl,
        "json" => Format::Json,
        "csv" => Format::Csv,
        "txt" | "text" => Format::Txt,
        "parquet" | "pq" if compression == Compression::None => Format::Parquet,
        _ => return None,
    };
    Some((format, compression))
}

/// The split named by a path: the last path component (file name included)
/// that names one wins, so `data/test/train-0.jsonl` is train.
pub fn infer_split(path: &str) -> Split {
    let mut split = Split::Train;
    for comp in path.split(['/', '\\']) {
        if let Some(s) = split_of_component(comp) {
            split = s;
        }
    }
    split
}

fn split_of_component(comp: &str) -> Option<Split> {
    let lower = comp.to_ascii_lowercase();
    // Split the component into words: `train-00000-of-00002.parquet` → train, 00000, ...
    let mut found = None;
    for word in lower.split(|c: char| !c.is_ascii_alphanumeric()) {
        let s = match word {
            "train" | "training" => Some(Split::Train),
            "validation" | "valid" | "val" | "dev" => Some(Split::Validation),
            "test" | "testing" => Some(Split::Test),
            _ => None,
        };
        if s.is_some() {
            found = s;
            break;
        }
    }
    found
}

/// Expand the given paths into files, in a deterministic order.
pub fn discover(paths: &[PathBuf]) -> Result<Discovery, DiscoverError> {
    let mut out = Discovery::default();
    for p in paths {
        let meta = fs::metadata(p).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => DiscoverError::Missing {
                path: p.display().to_string(),
            },
            _ => DiscoverError::Unreadable {
                path: p.display().to_string(),
                source: e,
            },
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            for f in found {
                let rel = f
                    .strip_prefix(p)
                    .unwrap_or(&f)
                    .to_string_lossy()
                    .replace('\\', "/");
                add_file(&f, rel, &mut out)?;
            }
        } else {
            add_file(p, p.display().to_string(), &mut out)?;
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), DiscoverError> {
    let unreadable = |e| DiscoverError::Unreadable {
        path: dir.display().to_string(),
        source: e,
    };
    for entry in fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let path = entry.path();
        let ft = entry.file_type().map_err(unreadable)?;
        let name = entry.file_name();
        // Hidden entries (.git, .cache) are tooling, not data.
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if ft.is_dir() {
            walk(&path, out)?;
        } else if ft.is_file() || (ft.is_symlink() && path.is_file()) {
            out.push(path);
        }
    }
    Ok(())
}

fn add_file(path: &Path, display: String, out: &mut Discovery) -> Result<(), DiscoverError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some((format, compression)) = sniff(&name) else {
        out.skipped.push(display);
        return Ok(());
    };
    // Open now so that an unreadable file stops the scan before any work,
    // with its name, instead of surfacing as a half-written report.
    let unreadable = |e| DiscoverError::Unreadable {
        path: display.clone(),
        source: e,
    };
    let file = fs::File::open(path).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    out.files.push(SourceFile {
        path: path.to_path_buf(),
        split: infer_split(&display),
        display,
        format,
        compression,
        size: meta.len(),
        mtime: meta.modified().ok(),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_formats_and_compression() {
        assert_eq!(sniff("a.jsonl"), Some((Format::Jsonl, Compression::None)));
        assert_eq!(
            sniff("a.JSONL.GZ"),
            Some((Format::Jsonl, Compression::Gzip))
        );
        assert_eq!(sniff("a.csv.zst"), Some((Format::Csv, Compression::Zstd)));
        assert_eq!(
            sniff("x.parquet"),
            Some((Format::Parquet, Compression::None))
        );
        assert_eq!(sniff("x.parquet.gz"), None);
        assert_eq!(sniff("README.md"), None);
        assert_eq!(sniff("noext"), None);
        assert_eq!(sniff("a.txt"), Some((Format::Txt, Compression::None)));
        assert_eq!(sniff("a.json"), Some((Format::Json, Compression::None)));
    }

    #[test]
    fn infers_splits() {
        assert_eq!(
            infer_split("data/train-00000-of-00002.parquet"),
            Split::Train
        );
        assert_eq!(
            infer_split("data/validation-00000-of-00001.parquet"),
            Split::Validation
        );
        assert_eq!(infer_split("corpus/dev.jsonl"), Split::Validation);
        assert_eq!(infer_split("corpus/val/part1.jsonl"), Split::Validation);
        assert_eq!(infer_split("test.csv"), Split::Test);
        assert_eq!(infer_split("my_test_set/x.jsonl"), Split::Test);
        assert_eq!(infer_split("data/test/train-0.jsonl"), Split::Train);
        assert_eq!(infer_split("contest/latest.jsonl"), Split::Train);
        assert_eq!(infer_split("stuff.jsonl"), Split::Train);
    }
}
