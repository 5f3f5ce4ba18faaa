//! The unit of work that flows from a reader to the detectors and sinks.
//!
//! A [`Chunk`] is a columnar view of a few thousand rows of one file: every
//! string leaf of every row, already decoded (JSON escapes resolved, UTF-8
//! checked), laid end to end in one buffer. Detectors and statistics read
//! slices of that buffer and never allocate per row; readers fill it and
//! reuse nothing across chunks, so chunks can be processed on any thread.
//!
//! Row and line numbers inside a chunk are *local* (0-based row, 1-based line
//! relative to the chunk's first line). The ordered merge in the pipeline adds
//! each file's running base, so workers never need to know how many rows came
//! before them and chunk boundaries never depend on the thread count.

use std::ops::Range;

/// Index of a field path in [`Chunk::paths`].
pub type PathId = u32;

/// One string (or number) leaf of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextValue {
    /// Chunk-local row index (into [`Chunk::rows`]).
    pub row: u32,
    /// Field path, an index into [`Chunk::paths`].
    pub path: PathId,
    /// Byte range of the decoded UTF-8 text in [`Chunk::text`].
    pub start: u32,
    pub end: u32,
    /// Text fields feed the vocabulary and the token estimate; metadata
    /// (consent/provenance columns, numbers) is scanned for PII but not counted.
    pub is_text: bool,
}

impl TextValue {
    pub fn range(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Per-row facts that are not text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowMeta {
    /// Chunk-local line number of the row's first byte, 0-based (the merge
    /// adds the chunk's first line). For Parquet this is 0 (no lines).
    pub line: u32,
    pub consented: bool,
    pub has_provenance: bool,
    /// The row could not be parsed; its raw bytes were scanned as text under
    /// the `<raw>` path so that nothing in it goes unseen.
    pub malformed: bool,
    /// Byte range of the record in its job's data (text formats; 0..0 for
    /// Parquet), line terminator excluded: writers splice inside it and
    /// copy everything else.
    pub raw_start: u32,
    pub raw_end: u32,
}

/// A problem with the input, located as precisely as the format allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// Chunk-local line (0-based) when the format has lines.
    pub line: Option<u64>,
    /// Chunk-local row (0-based) when the error belongs to a row.
    pub row: Option<u64>,
    pub message: String,
}

/// A chunk of rows of one file, decoded and ready to scan.
#[derive(Debug, Default)]
pub struct Chunk {
    pub rows: Vec<RowMeta>,
    pub values: Vec<TextValue>,
    /// Decoded text of every value, end to end.
    pub text: String,
    /// Field paths used by this chunk's values (chunk-local interning).
    pub paths: Vec<String>,
    pub errors: Vec<InputError>,
    /// Absolute 0-based line of the chunk's first byte; chunk-local lines
    /// are relative to it. Meaningless when `has_lines` is false (Parquet).
    pub first_line: u64,
    pub has_lines: bool,
}

impl Chunk {
    /// This chunk emptied for reuse, its buffers kept unless the text
    /// buffer grew past `keep` bytes (an oversized record): then a fresh
    /// chunk, so that one long record does not pin its memory for the rest
    /// of the scan.
    pub fn recycle(mut self, keep: usize) -> Chunk {
        if self.text.capacity() > keep {
            return Chunk::default();
        }
        self.rows.clear();
        self.values.clear();
        self.text.clear();
        self.paths.clear();
        self.errors.clear();
        self.first_line = 0;
        self.has_lines = false;
        self
    }

    /// The absolute 1-based line of a chunk-local 0-based line.
    pub fn abs_line(&self, local: u64) -> Option<u64> {
        self.has_lines.then_some(self.first_line + local + 1)
    }

    /// The decoded text of a value.
    pub fn value_text(&self, v: &TextValue) -> &str {
        // Values are pushed whole, so their ranges are char boundaries;
        // fall back to "" rather than panic if a reader ever breaks that.
        self.text.get(v.range()).unwrap_or("")
    }

    /// Intern a field path, returning its id. Linear search: a chunk rarely
    /// holds more than a few dozen distinct paths, and the common case is
    /// that the path was the last one interned.
    pub fn intern_path(&mut self, path: &str) -> PathId {
        if let Some(i) = self.paths.iter().rposition(|p| p == path) {
            return i as PathId;
        }
        self.paths.push(path.to_owned());
        (self.paths.len() - 1) as PathId
    }

    /// Append a value's text and record it.
    pub fn push_value(&mut self, row: u32, path: PathId, text: &str, is_text: bool) {
        let start = self.text.len() as u32;
        self.text.push_str(text);
        let end = self.text.len() as u32;
        self.values.push(TextValue {
            row,
            path,
            start,
            end,
            is_text,
        });
    }

    pub fn push_error(&mut self, line: Option<u64>, row: Option<u64>, message: impl Into<String>) {
        self.errors.push(InputError {
            line,
            row,
            message: message.into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(text_len: usize) -> Chunk {
        let mut c = Chunk {
            has_lines: true,
            first_line: 7,
            ..Chunk::default()
        };
        c.rows.push(RowMeta::default());
        let p = c.intern_path("text");
        c.push_value(0, p, &"x".repeat(text_len), true);
        c.push_error(Some(1), Some(0), "bad");
        c
    }

    #[test]
    fn recycle_empties_and_keeps_buffers() {
        let c = filled(1000);
        let cap = c.text.capacity();
        let r = c.recycle(1 << 20);
        assert!(r.rows.is_empty() && r.values.is_empty() && r.text.is_empty());
        assert!(r.paths.is_empty() && r.errors.is_empty());
        assert_eq!((r.first_line, r.has_lines), (0, false));
        assert_eq!(r.text.capacity(), cap);
        assert!(r.values.capacity() >= 1);
    }

    #[test]
    fn recycle_drops_an_oversized_text_buffer() {
        let r = filled(5000).recycle(4096);
        assert_eq!(r.text.capacity(), 0);
        assert!(r.rows.is_empty() && r.values.is_empty());
    }
}
