//! Text writers: a job's bytes back out, with some value spans replaced.
//!
//! The mirror of [`super::parse`]. A writer does not re-serialise rows: it
//! copies the job's bytes and splices only inside the records that have an
//! edit, so every other byte (key order, white space, number spellings,
//! escapes, line endings, a BOM, a CSV header, untouched quoting) is kept by
//! construction. To find where a decoded value sits in the raw bytes it
//! re-reads only those records, with the reader's own rules: a JSON row is
//! walked again by the same [`JsonWalker`] (which then records raw places),
//! a CSV record is cut into fields by RFC 4180. Every located value is
//! checked against the text the detectors saw; a mismatch is an error, never
//! a guess.

use std::borrow::Cow;
use std::ops::Range;

use super::discover::Format;
use super::jsonwalk::{JsonWalker, RawLeaf};
use super::parse::csv_column_name;
use super::produce::Job;
use crate::chunk::Chunk;
use crate::fields::FieldRules;

/// Replace bytes `start..end` of the decoded text of value `value` (an index
/// into [`Chunk::values`]) with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub value: u32,
    pub start: u32,
    pub end: u32,
    pub text: String,
}

/// A record that could not be spliced: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}row {row}: {message}", line.map(|l| format!("line {l}, ")).unwrap_or_default())]
pub struct SpliceError {
    /// Absolute 1-based line of the record.
    pub line: Option<u64>,
    /// Chunk-local 0-based row.
    pub row: u64,
    pub message: String,
}

/// Write `job`'s bytes to `out` with `edits` applied. `edits` must be
/// sorted by value and start and must not overlap within a value; `chunk`
/// is the job parsed with `rules`.
pub fn splice_job(
    job: &Job,
    chunk: &Chunk,
    edits: &[Edit],
    rules: &FieldRules,
    out: &mut Vec<u8>,
) -> Result<(), SpliceError> {
    let Some(data) = job.data() else {
        return Ok(());
    };
    out.reserve(data.len());
    if edits.is_empty() {
        out.extend_from_slice(data);
        return Ok(());
    }
    // The first value of each row (text readers push a row's values
    // together and in row order).
    let mut row_first = vec![u32::MAX; chunk.rows.len()];
    for (i, v) in chunk.values.iter().enumerate().rev() {
        if let Some(slot) = row_first.get_mut(v.row as usize) {
            *slot = i as u32;
        }
    }
    let mut walker = JsonWalker::record_raw();
    let mut copied = 0;
    let mut i = 0;
    while i < edits.len() {
        let row = chunk
            .values
            .get(edits[i].value as usize)
            .map_or(0, |v| v.row);
        let mut j = i;
        while j < edits.len()
            && chunk.values.get(edits[j].value as usize).map(|v| v.row) == Some(row)
        {
            j += 1;
        }
        let meta = chunk.rows.get(row as usize).copied().unwrap_or_default();
        let fail = |message: String| SpliceError {
            line: chunk.abs_line(meta.line as u64),
            row: row as u64,
            message,
        };
        if j == i {
            return Err(fail("an edit names a value the chunk does not have".into()));
        }
        let rec = meta.raw_start as usize..meta.raw_end as usize;
        if rec.start < copied || rec.end > data.len() {
            return Err(fail("edits are not in row order".into()));
        }
        let ctx = RowCtx {
            chunk,
            rec: &data[rec.clone()],
            first_value: row_first.get(row as usize).copied().unwrap_or(u32::MAX),
        };
        let mut pieces: Vec<(Range<usize>, Vec<u8>)> = Vec::new();
        let res = if meta.malformed {
            ctx.lossy_text(&edits[i..j], &mut pieces)
        } else {
            match format_of(job) {
                Format::Txt => ctx.lossy_text(&edits[i..j], &mut pieces),
                Format::Csv => ctx.csv(job, rules, &edits[i..j], &mut pieces),
                _ => ctx.json(rules, &mut walker, &edits[i..j], &mut pieces),
            }
        };
        res.map_err(fail)?;
        for (range, bytes) in pieces {
            out.extend_from_slice(&data[copied..rec.start + range.start]);
            out.extend_from_slice(&bytes);
            copied = rec.start + range.end;
        }
        i = j;
    }
    out.extend_from_slice(&data[copied..]);
    Ok(())
}

fn format_of(job: &Job) -> Format {
    match job {
        Job::Lines { format, .. } => *format,
        Job::Csv { .. } => Format::Csv,
        Job::JsonElements { .. } => Format::Json,
        Job::ParquetRowGroup { .. } => Format::Parquet,
    }
}

/// One record being spliced; pieces are `(range in rec, new bytes)`.
struct RowCtx<'a> {
    chunk: &'a Chunk,
    rec: &'a [u8],
    first_value: u32,
}

type Pieces = Vec<(Range<usize>, Vec<u8>)>;

impl RowCtx<'_> {
    /// The value's index within its row.
    fn nth(&self, value: u32) -> Result<usize, String> {
        value
            .checked_sub(self.first_value)
            .map(|k| k as usize)
            .ok_or_else(|| "values are not grouped by row".to_string())
    }

    fn value_text(&self, value: u32) -> &str {
        self.chunk
            .values
            .get(value as usize)
            .map_or("", |v| self.chunk.value_text(v))
    }

    /// The record is the value, decoded lossily (TXT lines, and the `<raw>`
    /// text of a malformed row): spans map through the UTF-8 repair.
    fn lossy_text(&self, edits: &[Edit], pieces: &mut Pieces) -> Result<(), String> {
        let decoded = String::from_utf8_lossy(self.rec);
        for e in edits {
            if self.value_text(e.value) != decoded {
                return Err("the line no longer reads as it did when scanned".into());
            }
            let (Some(s), Some(t)) = (
                lossy_offset(self.rec, e.start as usize),
                lossy_offset(self.rec, e.end as usize),
            ) else {
                return Err("a span does not fall on a character boundary".into());
            };
            pieces.push((s..t, e.text.as_bytes().to_vec()));
        }
        Ok(())
    }

    /// A JSON value: walked again to find its leaves' raw places.
    fn json(
        &self,
        rules: &FieldRules,
        walker: &mut JsonWalker,
        edits: &[Edit],
        pieces: &mut Pieces,
    ) -> Result<(), String> {
        let text = std::str::from_utf8(self.rec).map_err(|e| e.to_string())?;
        let mut scratch = Chunk::default();
        walker
            .walk_row(text, 0, rules, &mut scratch)
            .map_err(|e| e.to_string())?;
        let leaves = walker.raw_leaves();
        let mut k = 0;
        while k < edits.len() {
            let value = edits[k].value;
            let mut l = k;
            while l < edits.len() && edits[l].value == value {
                l += 1;
            }
            let n = self.nth(value)?;
            let (Some(leaf), Some(v)) = (leaves.get(n), scratch.values.get(n)) else {
                return Err("the row no longer has the value that was scanned".into());
            };
            if scratch.value_text(v) != self.value_text(value) {
                return Err("a value no longer reads as it did when scanned".into());
            }
            json_leaf(text, *leaf, scratch.value_text(v), &edits[k..l], pieces)?;
            k = l;
        }
        Ok(())
    }

    /// A CSV record: cut into fields, each field unquoted and compared.
    fn csv(
        &self,
        job: &Job,
        rules: &FieldRules,
        edits: &[Edit],
        pieces: &mut Pieces,
    ) -> Result<(), String> {
        let Job::Csv { header, .. } = job else {
            return Err("not a CSV job".into());
        };
        let fields = csv_fields(self.rec);
        // Value k of the row is the k-th non-empty field whose column is scanned.
        let mut value_fields = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            let content = csv_unquote(&self.rec[f.clone()]);
            if !content.is_empty() && rules.scans(&csv_column_name(header, i)) {
                value_fields.push((f.clone(), content));
            }
        }
        let mut k = 0;
        while k < edits.len() {
            let value = edits[k].value;
            let mut l = k;
            while l < edits.len() && edits[l].value == value {
                l += 1;
            }
            let n = self.nth(value)?;
            let Some((range, content)) = value_fields.get(n) else {
                return Err("the record no longer has the field that was scanned".into());
            };
            if String::from_utf8_lossy(content) != self.value_text(value) {
                return Err("a field no longer reads as it did when scanned".into());
            }
            // Spliced as bytes, so that bytes which are not UTF-8 (read
            // as U+FFFD) stay as they were.
            let mut new = Vec::with_capacity(content.len());
            let mut at = 0;
            for e in &edits[k..l] {
                let (Some(s), Some(t)) = (
                    lossy_offset(content, e.start as usize),
                    lossy_offset(content, e.end as usize),
                ) else {
                    return Err("a span does not fall on a character boundary".into());
                };
                if s < at || t < s {
                    return Err("spans overlap".into());
                }
                new.extend_from_slice(&content[at..s]);
                new.extend_from_slice(e.text.as_bytes());
                at = t;
            }
            new.extend_from_slice(&content[at..]);
            pieces.push((range.clone(), csv_quote(&new)));
            k = l;
        }
        Ok(())
    }
}

/// `text` with the edits' spans replaced.
pub fn apply(text: &str, edits: &[Edit]) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        let (s, t) = (e.start as usize, e.end as usize);
        let Some(before) = text.get(at..s) else {
            return Err("spans overlap or are not on character boundaries".into());
        };
        if text.get(s..t).is_none() {
            return Err("a span is not on character boundaries".into());
        }
        out.push_str(before);
        out.push_str(&e.text);
        at = t;
    }
    out.push_str(text.get(at..).unwrap_or(""));
    Ok(out)
}

/// Splice one JSON leaf: inside a string only the spans change (the rest
/// stays as written, escapes included) and replacements are escaped; a
/// number holding a finding becomes a string.
fn json_leaf(
    row: &str,
    leaf: RawLeaf,
    decoded: &str,
    edits: &[Edit],
    pieces: &mut Pieces,
) -> Result<(), String> {
    let (ls, le) = (leaf.start as usize, leaf.end as usize);
    if leaf.number {
        let new = apply(decoded, edits)?;
        let mut quoted = Vec::with_capacity(new.len() + 2);
        quoted.push(b'"');
        json_escape_into(&new, &mut quoted);
        quoted.push(b'"');
        pieces.push((ls..le, quoted));
        return Ok(());
    }
    let body = row.get(ls..le).ok_or("a string's raw place is not text")?;
    for e in edits {
        let (Some(s), Some(t)) = (
            json_raw_offset(body, e.start as usize),
            json_raw_offset(body, e.end as usize),
        ) else {
            return Err("a span does not fall between a string's characters".into());
        };
        let mut esc = Vec::with_capacity(e.text.len());
        json_escape_into(&e.text, &mut esc);
        pieces.push((ls + s..ls + t, esc));
    }
    Ok(())
}

/// Append `s` as the body of a JSON string.
pub fn json_escape_into(s: &str, out: &mut Vec<u8>) {
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes());
            }
            c => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
}

fn hex4(b: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(b.get(..4)?).ok()?;
    u32::from_str_radix(s, 16).ok()
}

/// The raw offset in a JSON string body of decoded byte offset `decoded`,
/// decoding escapes exactly as [`JsonWalker`] does (a lone surrogate is one
/// U+FFFD). `None` when `decoded` falls inside one decoded character.
pub fn json_raw_offset(body: &str, decoded: usize) -> Option<usize> {
    let b = body.as_bytes();
    let (mut i, mut d) = (0, 0);
    while d < decoded {
        if i >= b.len() {
            return None;
        }
        if b[i] != b'\\' {
            i += 1;
            d += 1;
            continue;
        }
        let (raw, out) = match b.get(i + 1)? {
            b'u' => {
                let hi = hex4(&b[i + 2..])?;
                if (0xD800..0xDC00).contains(&hi)
                    && b.get(i + 6..i + 8) == Some(b"\\u")
                    && hex4(&b[i + 8..]).is_some_and(|lo| (0xDC00..0xE000).contains(&lo))
                {
                    (12, 4)
                } else if (0xD800..0xE000).contains(&hi) {
                    (6, 3)
                } else {
                    (6, char::from_u32(hi).map_or(3, char::len_utf8))
                }
            }
            _ => (2, 1),
        };
        i += raw;
        d += out;
    }
    (d == decoded).then_some(i)
}

/// The raw offset in `rec` of decoded byte offset `decoded` of
/// `String::from_utf8_lossy(rec)` (each invalid sequence is one U+FFFD).
pub fn lossy_offset(rec: &[u8], decoded: usize) -> Option<usize> {
    let (mut i, mut d) = (0, 0);
    for chunk in rec.utf8_chunks() {
        let v = chunk.valid().len();
        if decoded <= d + v {
            return Some(i + decoded - d);
        }
        (i, d) = (i + v, d + v);
        let bad = chunk.invalid().len();
        if bad > 0 {
            if decoded == d {
                return Some(i);
            }
            (i, d) = (i + bad, d + 3);
        }
    }
    (decoded == d).then_some(i)
}

/// The raw byte ranges of a CSV record's fields (quotes included), RFC 4180.
pub fn csv_fields(rec: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        let mut i = start;
        if rec.get(i) == Some(&b'"') {
            i += 1;
            while i < rec.len() {
                if rec[i] == b'"' {
                    if rec.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
        }
        let end = memchr::memchr(b',', &rec[i.min(rec.len())..]).map_or(rec.len(), |k| i + k);
        out.push(start..end);
        if end >= rec.len() {
            return out;
        }
        start = end + 1;
    }
}

/// A raw CSV field's content: quotes removed and `""` read as `"` (bytes
/// after a closing quote are kept, as the csv crate keeps them).
pub fn csv_unquote(field: &[u8]) -> Cow<'_, [u8]> {
    let Some(inner) = field.strip_prefix(b"\"") else {
        return Cow::Borrowed(field);
    };
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        if inner[i] == b'"' {
            if inner.get(i + 1) == Some(&b'"') {
                out.push(b'"');
                i += 2;
                continue;
            }
            out.extend_from_slice(&inner[i + 1..]);
            break;
        }
        out.push(inner[i]);
        i += 1;
    }
    Cow::Owned(out)
}

/// A field's new content, quoted only if it needs to be.
pub fn csv_quote(s: &[u8]) -> Vec<u8> {
    if !s.iter().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        return s.to_vec();
    }
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(b'"');
    for &b in s {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::parse::parse_job;
    use std::sync::Arc;

    /// Parse `job`, then replace every occurrence of `needle` in every
    /// value with `with`, and splice.
    fn mask(job: &Job, needle: &str, with: &str) -> Result<String, SpliceError> {
        let rules = FieldRules::default();
        let chunk = parse_job(job, &rules, &mut JsonWalker::new());
        let mut edits = Vec::new();
        for (i, v) in chunk.values.iter().enumerate() {
            let t = chunk.value_text(v);
            for (s, _) in t.match_indices(needle) {
                edits.push(Edit {
                    value: i as u32,
                    start: s as u32,
                    end: (s + needle.len()) as u32,
                    text: with.into(),
                });
            }
        }
        let mut out = Vec::new();
        splice_job(job, &chunk, &edits, &rules, &mut out)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    fn lines(format: Format, s: &[u8], lead: usize) -> Job {
        Job::Lines {
            format,
            data: s.to_vec(),
            lead,
            first_line: 0,
        }
    }

    #[test]
    fn jsonl_keeps_every_byte_outside_the_spans() {
        let src = "\u{feff}{\"b\" :  \"x a@b.io\\n\\u0041 a@b.io\",\"a\":[1.50e3, {\"c\":\"a@b.io\"}]}\r\n\n  {\"n\": 4111111111111111}\n";
        let job = lines(Format::Jsonl, src.as_bytes(), 3);
        let got = mask(&job, "a@b.io", "[EMAIL]").unwrap();
        assert_eq!(
            got,
            "\u{feff}{\"b\" :  \"x [EMAIL]\\n\\u0041 [EMAIL]\",\"a\":[1.50e3, {\"c\":\"[EMAIL]\"}]}\r\n\n  {\"n\": 4111111111111111}\n"
        );
        let got = mask(&job, "4111111111111111", "[CREDIT_CARD]").unwrap();
        assert!(got.ends_with("{\"n\": \"[CREDIT_CARD]\"}\n"), "{got}");
    }

    #[test]
    fn json_spans_after_escapes_map_to_raw_bytes() {
        // \u00e9 is 2 decoded bytes, a surrogate pair 4, \" 1.
        let src = r#"{"t": "caf\u00e9 \ud83d\ude00 \"q\" a\u0040b.io end"}"#;
        let job = lines(Format::Jsonl, src.as_bytes(), 0);
        assert_eq!(
            mask(&job, "a@b.io", "[E\"]").unwrap(),
            r#"{"t": "caf\u00e9 \ud83d\ude00 \"q\" [E\"] end"}"#
        );
        let body = r#"a\u0041\ud800x"#;
        assert_eq!(json_raw_offset(body, 1), Some(1));
        assert_eq!(json_raw_offset(body, 2), Some(7));
        assert_eq!(json_raw_offset(body, 5), Some(13));
        assert_eq!(json_raw_offset(body, 3), None);
    }

    #[test]
    fn malformed_and_invalid_utf8_lines_are_masked_in_their_raw_text() {
        let src = b"{\"t\": broken a@b.io\n{\"t\": \"caf\xff a@b.io\"}\nok \xc3 a@b.io\n";
        let job = lines(Format::Jsonl, src, 0);
        let got = mask(&job, "a@b.io", "[EMAIL]").unwrap();
        // Invalid bytes are kept as they were (the lossy test helper shows
        // them as U+FFFD); only the spans change.
        assert_eq!(
            got,
            "{\"t\": broken [EMAIL]\n{\"t\": \"caf\u{fffd} [EMAIL]\"}\nok \u{fffd} [EMAIL]\n"
        );
    }

    #[test]
    fn csv_requotes_only_what_needs_it() {
        let header = Arc::new(vec!["id".to_string(), "text".into(), "note".into()]);
        let data = b"\xef\xbb\xbfid,text,note\r\n1,\"mail a@b.io, now\",\"keep \"\"q\"\"\"\r\n2,a@b.io,x\r\n3,\"say \"\"a@b.io\"\"\",y\n";
        let job = Job::Csv {
            header,
            data: data.to_vec(),
            lead: 17,
            first_line: 1,
        };
        assert_eq!(
            mask(&job, "a@b.io", "[EMAIL]").unwrap(),
            "\u{feff}id,text,note\r\n1,\"mail [EMAIL], now\",\"keep \"\"q\"\"\"\r\n2,[EMAIL],x\r\n3,\"say \"\"[EMAIL]\"\"\",y\n"
        );
        assert_eq!(
            mask(&job, "mail a@b.io, now", "plain").unwrap(),
            "\u{feff}id,text,note\r\n1,plain,\"keep \"\"q\"\"\"\r\n2,a@b.io,x\r\n3,\"say \"\"a@b.io\"\"\",y\n"
        );
    }

    #[test]
    fn csv_field_with_invalid_utf8_keeps_its_bytes() {
        let header = Arc::new(vec!["text".to_string()]);
        let job = Job::Csv {
            header,
            data: b"text\n\"caf\xe9, a@b.io\"\n".to_vec(),
            lead: 5,
            first_line: 1,
        };
        let rules = FieldRules::default();
        let chunk = parse_job(&job, &rules, &mut JsonWalker::new());
        let t = chunk.value_text(&chunk.values[0]);
        let s = t.find("a@b.io").unwrap();
        let edits = [Edit {
            value: 0,
            start: s as u32,
            end: (s + 6) as u32,
            text: "[EMAIL]".into(),
        }];
        let mut out = Vec::new();
        splice_job(&job, &chunk, &edits, &rules, &mut out).unwrap();
        assert_eq!(out, b"text\n\"caf\xe9, [EMAIL]\"\n");
    }

    #[test]
    fn json_array_keeps_brackets_commas_and_white_space() {
        let data = b"[\n  {\"t\": \"a@b.io\"} ,\n  7,\n  \"a@b.io\"\n]\n".to_vec();
        let job = Job::JsonElements {
            elems: vec![(4, 21, 1), (22, 27, 2), (28, 39, 3)],
            data,
            first_line: 0,
        };
        assert_eq!(
            mask(&job, "a@b.io", "").unwrap(),
            "[\n  {\"t\": \"\"} ,\n  7,\n  \"\"\n]\n"
        );
    }
}
