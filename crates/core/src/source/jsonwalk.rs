//! A validating JSON walker that yields string leaves without building a DOM.
//!
//! Most of a corpus row's bytes sit inside a few long strings, so the walker
//! jumps from quote to quote with `memchr`, decodes escapes only where a
//! backslash occurs, and appends each decoded leaf straight into the chunk's
//! text buffer together with its path (`messages[].content`). Detectors then
//! see what the string *means*: `\u0040` is an `@`, and a key written with
//! escapes is still a key.
//!
//! It checks the grammar (a malformed line is reported, not half-scanned)
//! but is lenient in one place: raw control characters inside strings are
//! accepted, since rejecting them would hide the rest of the row from the
//! detectors for no gain.

use memchr::memchr2;

use crate::chunk::Chunk;
use crate::fields::{has_provenance, is_consented, FieldRules, MetaValue, Role};

/// Nesting deeper than this is reported as malformed instead of recursing.
const MAX_DEPTH: usize = 256;

/// A syntax error at a byte offset of the value being walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub offset: usize,
    pub message: &'static str,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "invalid JSON at byte {}: {}",
            self.offset + 1,
            self.message
        )
    }
}

/// What walking one row found besides its leaves.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RowFacts {
    pub consented: bool,
    pub has_provenance: bool,
}

/// Where a pushed leaf's text sits in the walked bytes, so that a writer
/// can splice into the original instead of re-serialising the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawLeaf {
    /// Byte range in the walked text: a string's body between its quotes
    /// (escapes as written), or a number's digits.
    pub start: u32,
    pub end: u32,
    pub number: bool,
}

/// Reusable walker state (path buffer, decode buffer). One per worker.
#[derive(Debug, Default)]
pub struct JsonWalker {
    path: String,
    key: String,
    /// When set, one entry per pushed value (see [`JsonWalker::record_raw`]).
    raw: Option<Vec<RawLeaf>>,
}

type Res<T> = Result<T, JsonError>;

struct Cursor<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn err<T>(&self, message: &'static str) -> Res<T> {
        Err(JsonError {
            offset: self.i.min(self.b.len()),
            message,
        })
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn expect_lit(&mut self, lit: &[u8]) -> Res<()> {
        if self.b[self.i..].starts_with(lit) {
            self.i += lit.len();
            Ok(())
        } else {
            self.err("invalid literal")
        }
    }

    /// Parse a number, returning its text.
    fn number(&mut self) -> Res<&'a str> {
        let start = self.i;
        let b = self.b;
        if b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match b.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                while matches!(b.get(self.i), Some(b'0'..=b'9')) {
                    self.i += 1;
                }
            }
            _ => return self.err("invalid number"),
        }
        if b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if !matches!(b.get(self.i), Some(b'0'..=b'9')) {
                return self.err("invalid number: digit expected after '.'");
            }
            while matches!(b.get(self.i), Some(b'0'..=b'9')) {
                self.i += 1;
            }
        }
        if matches!(b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !matches!(b.get(self.i), Some(b'0'..=b'9')) {
                return self.err("invalid number: digit expected in exponent");
            }
            while matches!(b.get(self.i), Some(b'0'..=b'9')) {
                self.i += 1;
            }
        }
        // Only ASCII bytes were consumed.
        Ok(self.s.get(start..self.i).unwrap_or(""))
    }

    /// Decode a string (cursor on the opening quote) and append it to `out`.
    fn string_into(&mut self, out: &mut String) -> Res<()> {
        self.i += 1;
        loop {
            let rest = &self.b[self.i..];
            let Some(k) = memchr2(b'"', b'\\', rest) else {
                self.i = self.b.len();
                return self.err("unterminated string");
            };
            // Both ends follow or precede an ASCII byte: char boundaries.
            out.push_str(self.s.get(self.i..self.i + k).unwrap_or(""));
            self.i += k;
            if self.b[self.i] == b'"' {
                self.i += 1;
                return Ok(());
            }
            self.escape(out)?;
        }
    }

    /// Skip a string without decoding it, returning its raw body.
    fn string_raw(&mut self) -> Res<&'a str> {
        self.i += 1;
        let start = self.i;
        loop {
            let rest = &self.b[self.i..];
            let Some(k) = memchr2(b'"', b'\\', rest) else {
                self.i = self.b.len();
                return self.err("unterminated string");
            };
            self.i += k;
            if self.b[self.i] == b'"' {
                let body = self.s.get(start..self.i).unwrap_or("");
                self.i += 1;
                return Ok(body);
            }
            // Validate the escape without keeping the output.
            let mut sink = String::new();
            self.escape(&mut sink)?;
        }
    }

    fn hex4(&mut self) -> Res<u32> {
        let Some(h) = self.b.get(self.i..self.i + 4) else {
            return self.err("truncated \\u escape");
        };
        let mut v = 0u32;
        for &c in h {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return self.err("invalid \\u escape"),
            };
            v = v * 16 + d as u32;
        }
        self.i += 4;
        Ok(v)
    }

    /// Cursor on a backslash: decode one escape into `out`.
    fn escape(&mut self, out: &mut String) -> Res<()> {
        self.i += 1;
        let Some(&c) = self.b.get(self.i) else {
            return self.err("unterminated string");
        };
        self.i += 1;
        let simple = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let hi = self.hex4()?;
                let cp = if (0xD800..0xDC00).contains(&hi) {
                    // A high surrogate must be followed by \uDC00..\uDFFF.
                    if self.b.get(self.i..self.i + 2) == Some(b"\\u") {
                        let save = self.i;
                        self.i += 2;
                        let lo = self.hex4()?;
                        if (0xDC00..0xE000).contains(&lo) {
                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                        } else {
                            self.i = save;
                            0xFFFD
                        }
                    } else {
                        0xFFFD
                    }
                } else if (0xDC00..0xE000).contains(&hi) {
                    0xFFFD
                } else {
                    hi
                };
                out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                return Ok(());
            }
            _ => {
                self.i -= 1;
                return self.err("invalid escape");
            }
        };
        out.push(char::from(simple));
        Ok(())
    }
}

impl JsonWalker {
    pub fn new() -> Self {
        Self::default()
    }

    /// A walker that also records where each pushed value sits in the
    /// walked text ([`JsonWalker::raw_leaves`]): the writers' walker. It
    /// pushes exactly the values a reading walker pushes, in the same order.
    pub fn record_raw() -> Self {
        JsonWalker {
            raw: Some(Vec::new()),
            ..Self::default()
        }
    }

    /// The raw places of the values pushed since the last [`JsonWalker::walk_row`]
    /// began (empty unless built by [`JsonWalker::record_raw`]).
    pub fn raw_leaves(&self) -> &[RawLeaf] {
        self.raw.as_deref().unwrap_or(&[])
    }

    fn note_raw(&mut self, start: usize, end: usize, number: bool) {
        if let Some(r) = &mut self.raw {
            r.push(RawLeaf {
                start: start as u32,
                end: end as u32,
                number,
            });
        }
    }

    /// Walk one JSON value (a JSONL line or a JSON array element) as row
    /// `row` of `chunk`, pushing every scanned string (and number) leaf.
    ///
    /// `line` is text: the caller checks UTF-8 first, so it can report the
    /// encoding error itself. On a syntax error nothing of the row is left
    /// in the chunk; the caller decides how to report and rescan it.
    pub fn walk_row(
        &mut self,
        line: &str,
        row: u32,
        rules: &FieldRules,
        chunk: &mut Chunk,
    ) -> Result<RowFacts, JsonError> {
        let mark_values = chunk.values.len();
        let mark_text = chunk.text.len();
        self.path.clear();
        if let Some(r) = &mut self.raw {
            r.clear();
        }
        let mut cur = Cursor {
            s: line,
            b: line.as_bytes(),
            i: 0,
        };
        let mut facts = RowFacts::default();
        let res = (|| {
            cur.skip_ws();
            if cur.peek() == Some(b'{') {
                self.top_object(&mut cur, row, rules, chunk, &mut facts)?;
            } else {
                self.value(&mut cur, row, rules, chunk, 0, true)?;
            }
            cur.skip_ws();
            if cur.i != line.len() {
                return cur.err("unexpected data after the value");
            }
            Ok(())
        })();
        match res {
            Ok(()) => Ok(facts),
            Err(e) => {
                chunk.values.truncate(mark_values);
                chunk.text.truncate(mark_text);
                Err(e)
            }
        }
    }

    /// The root object: its keys decide consent and provenance.
    fn top_object(
        &mut self,
        cur: &mut Cursor<'_>,
        row: u32,
        rules: &FieldRules,
        chunk: &mut Chunk,
        facts: &mut RowFacts,
    ) -> Res<()> {
        cur.i += 1;
        cur.skip_ws();
        if cur.peek() == Some(b'}') {
            cur.i += 1;
            return Ok(());
        }
        loop {
            cur.skip_ws();
            if cur.peek() != Some(b'"') {
                return cur.err("expected a key");
            }
            self.read_key(cur)?;
            cur.skip_ws();
            if cur.peek() != Some(b':') {
                return cur.err("expected ':'");
            }
            cur.i += 1;
            cur.skip_ws();
            self.path.clear();
            self.path.push_str(&self.key);
            match rules.role(&self.key) {
                Role::Other => {
                    self.value(cur, row, rules, chunk, 1, true)?;
                }
                role => {
                    let meta = self.meta_value(cur, row, rules, chunk)?;
                    match role {
                        Role::Consent => facts.consented |= is_consented(meta),
                        _ => facts.has_provenance |= has_provenance(meta),
                    }
                }
            }
            cur.skip_ws();
            match cur.peek() {
                Some(b',') => cur.i += 1,
                Some(b'}') => {
                    cur.i += 1;
                    return Ok(());
                }
                _ => return cur.err("expected ',' or '}'"),
            }
        }
    }

    /// A consent/provenance value: judged by its first token, its leaves
    /// pushed as metadata (scanned for PII, not counted as text).
    fn meta_value<'b>(
        &mut self,
        cur: &mut Cursor<'b>,
        row: u32,
        rules: &FieldRules,
        chunk: &mut Chunk,
    ) -> Res<MetaValue<'b>> {
        match cur.peek() {
            Some(b'"') => {
                let start = cur.i;
                let raw = cur.string_raw()?;
                let body = (start + 1, cur.i - 1, false);
                if !raw.contains('\\') {
                    self.push_leaf(row, rules, chunk, raw, false, body);
                    Ok(MetaValue::Str(raw))
                } else {
                    // Escaped: decode into the chunk and judge the decoded text.
                    cur.i = start;
                    let t0 = chunk.text.len();
                    cur.string_into(&mut chunk.text)?;
                    let decoded = chunk.text.get(t0..).unwrap_or("").to_owned();
                    chunk.text.truncate(t0);
                    self.push_leaf(row, rules, chunk, &decoded, false, body);
                    let yes = is_consented(MetaValue::Str(&decoded));
                    let present = has_provenance(MetaValue::Str(&decoded));
                    // Re-express the verdict as an equivalent value.
                    Ok(match (yes, present) {
                        (true, _) => MetaValue::Bool(true),
                        (false, true) => MetaValue::Str("n"),
                        _ => MetaValue::Str(""),
                    })
                }
            }
            Some(b'{') | Some(b'[') => {
                let n = self.value(cur, row, rules, chunk, 1, false)?;
                Ok(MetaValue::Composite(n))
            }
            Some(b't') => {
                cur.expect_lit(b"true")?;
                Ok(MetaValue::Bool(true))
            }
            Some(b'f') => {
                cur.expect_lit(b"false")?;
                Ok(MetaValue::Bool(false))
            }
            Some(b'n') => {
                cur.expect_lit(b"null")?;
                Ok(MetaValue::Null)
            }
            Some(b'-' | b'0'..=b'9') => {
                let t = cur.number()?;
                Ok(MetaValue::Number(t.parse().unwrap_or(f64::NAN)))
            }
            _ => cur.err("expected a value"),
        }
    }

    fn read_key(&mut self, cur: &mut Cursor<'_>) -> Res<()> {
        let raw = cur.string_raw()?;
        self.key.clear();
        if !raw.contains('\\') {
            self.key.push_str(raw);
        } else {
            let mut c = Cursor {
                s: raw,
                b: raw.as_bytes(),
                i: 0,
            };
            // Re-run the decoder over the body (it stops at the end).
            while c.i < raw.len() {
                match memchr::memchr(b'\\', &c.b[c.i..]) {
                    Some(k) => {
                        self.key.push_str(raw.get(c.i..c.i + k).unwrap_or(""));
                        c.i += k;
                        c.escape(&mut self.key)?;
                    }
                    None => {
                        self.key.push_str(raw.get(c.i..).unwrap_or(""));
                        c.i = raw.len();
                    }
                }
            }
        }
        Ok(())
    }

    /// Push a leaf whose raw place is `raw` (start, end, is a number).
    fn push_leaf(
        &mut self,
        row: u32,
        rules: &FieldRules,
        chunk: &mut Chunk,
        s: &str,
        is_text: bool,
        raw: (usize, usize, bool),
    ) {
        let path = if self.path.is_empty() {
            "$"
        } else {
            self.path.as_str()
        };
        if s.is_empty() || !rules.scans(path) {
            return;
        }
        let id = chunk.intern_path(path);
        chunk.push_value(row, id, s, is_text);
        self.note_raw(raw.0, raw.1, raw.2);
    }

    /// Any value at the cursor. Returns the member count for containers.
    fn value(
        &mut self,
        cur: &mut Cursor<'_>,
        row: u32,
        rules: &FieldRules,
        chunk: &mut Chunk,
        depth: usize,
        is_text: bool,
    ) -> Res<usize> {
        if depth > MAX_DEPTH {
            return cur.err("nesting too deep");
        }
        match cur.peek() {
            Some(b'"') => {
                let path = if self.path.is_empty() {
                    "$"
                } else {
                    self.path.as_str()
                };
                if rules.scans(path) {
                    let raw_start = cur.i + 1;
                    let start = chunk.text.len() as u32;
                    cur.string_into(&mut chunk.text)?;
                    let end = chunk.text.len() as u32;
                    if end > start {
                        let id = chunk.intern_path(path);
                        chunk.values.push(crate::chunk::TextValue {
                            row,
                            path: id,
                            start,
                            end,
                            is_text,
                        });
                        self.note_raw(raw_start, cur.i - 1, false);
                    }
                } else {
                    cur.string_raw()?;
                }
                Ok(0)
            }
            Some(b'{') => {
                cur.i += 1;
                let base = self.path.len();
                let mut n = 0;
                cur.skip_ws();
                if cur.peek() == Some(b'}') {
                    cur.i += 1;
                    return Ok(0);
                }
                loop {
                    cur.skip_ws();
                    if cur.peek() != Some(b'"') {
                        return cur.err("expected a key");
                    }
                    self.read_key(cur)?;
                    cur.skip_ws();
                    if cur.peek() != Some(b':') {
                        return cur.err("expected ':'");
                    }
                    cur.i += 1;
                    cur.skip_ws();
                    if base > 0 {
                        self.path.push('.');
                    }
                    self.path.push_str(&self.key);
                    self.value(cur, row, rules, chunk, depth + 1, is_text)?;
                    self.path.truncate(base);
                    n += 1;
                    cur.skip_ws();
                    match cur.peek() {
                        Some(b',') => cur.i += 1,
                        Some(b'}') => {
                            cur.i += 1;
                            return Ok(n);
                        }
                        _ => return cur.err("expected ',' or '}'"),
                    }
                }
            }
            Some(b'[') => {
                cur.i += 1;
                let base = self.path.len();
                self.path.push_str("[]");
                let mut n = 0;
                cur.skip_ws();
                if cur.peek() == Some(b']') {
                    cur.i += 1;
                    self.path.truncate(base);
                    return Ok(0);
                }
                loop {
                    cur.skip_ws();
                    self.value(cur, row, rules, chunk, depth + 1, is_text)?;
                    n += 1;
                    cur.skip_ws();
                    match cur.peek() {
                        Some(b',') => cur.i += 1,
                        Some(b']') => {
                            cur.i += 1;
                            self.path.truncate(base);
                            return Ok(n);
                        }
                        _ => return cur.err("expected ',' or ']'"),
                    }
                }
            }
            Some(b't') => cur.expect_lit(b"true").map(|_| 0),
            Some(b'f') => cur.expect_lit(b"false").map(|_| 0),
            Some(b'n') => cur.expect_lit(b"null").map(|_| 0),
            Some(b'-' | b'0'..=b'9') => {
                let start = cur.i;
                let t = cur.number()?;
                // Numbers are scanned (a card number stored as a number is
                // still a card number) but are never text.
                if t.len() >= 6 && t.bytes().all(|b| b.is_ascii_digit()) {
                    self.push_leaf(row, rules, chunk, t, false, (start, cur.i, true));
                }
                Ok(0)
            }
            None => cur.err("unexpected end of input"),
            _ => cur.err("expected a value"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Walked = (Result<RowFacts, JsonError>, Vec<(String, String, bool)>);

    fn walk(s: &str) -> Walked {
        walk_with(s, &FieldRules::default())
    }

    fn walk_with(s: &str, rules: &FieldRules) -> Walked {
        let mut chunk = Chunk::default();
        let mut w = JsonWalker::new();
        let r = w.walk_row(s, 0, rules, &mut chunk);
        let leaves = chunk
            .values
            .iter()
            .map(|v| {
                (
                    chunk.paths[v.path as usize].clone(),
                    chunk.value_text(v).to_string(),
                    v.is_text,
                )
            })
            .collect();
        (r, leaves)
    }

    #[test]
    fn paths_of_nested_leaves() {
        let (r, leaves) = walk(
            r#"{"id": 7, "messages": [{"role": "user", "content": "hi there"}, {"role": "bot", "content": "yo"}], "meta": {"contact": "a@b.io", "tags": ["x", "y"]}}"#,
        );
        assert!(r.is_ok());
        let paths: Vec<_> = leaves
            .iter()
            .map(|l| (l.0.as_str(), l.1.as_str()))
            .collect();
        assert_eq!(
            paths,
            vec![
                ("messages[].role", "user"),
                ("messages[].content", "hi there"),
                ("messages[].role", "bot"),
                ("messages[].content", "yo"),
                ("meta.contact", "a@b.io"),
                ("meta.tags[]", "x"),
                ("meta.tags[]", "y"),
            ]
        );
    }

    #[test]
    fn escapes_are_decoded() {
        let (r, leaves) = walk(r#"{"t": "a\u0040b.com \"q\" \n \ud83d\ude00 caf\u00e9 \/"}"#);
        assert!(r.is_ok());
        assert_eq!(leaves[0].1, "a@b.com \"q\" \n 😀 café /");
        // Escaped keys are keys.
        let (_, leaves) = walk(r#"{"me\u0074a": {"x": "v"}}"#);
        assert_eq!(leaves[0].0, "meta.x");
        // A lone surrogate becomes U+FFFD rather than an error.
        let (r, leaves) = walk(r#"{"t": "\ud800x"}"#);
        assert!(r.is_ok());
        assert_eq!(leaves[0].1, "\u{FFFD}x");
    }

    #[test]
    fn consent_and_provenance() {
        let (r, leaves) = walk(r#"{"text": "x y", "Consent": true, "source": "crawl"}"#);
        assert_eq!(
            r.unwrap(),
            RowFacts {
                consented: true,
                has_provenance: true
            }
        );
        // Metadata strings are scanned but are not text.
        assert!(leaves.iter().any(|l| l.0 == "source" && !l.2));
        let (r, _) = walk(r#"{"consent": false, "source": ""}"#);
        assert_eq!(r.unwrap(), RowFacts::default());
        let (r, _) = walk(r#"{"consent": "revoked", "origin": null}"#);
        assert_eq!(r.unwrap(), RowFacts::default());
        let (r, _) =
            walk(r#"{"consent": {"id": "c-1", "at": "2024"}, "provenance": {"url": "u"}}"#);
        assert_eq!(
            r.unwrap(),
            RowFacts {
                consented: true,
                has_provenance: true
            }
        );
        let (r, _) = walk(r#"{"opt_in": "y\u0065s"}"#);
        assert!(r.unwrap().consented);
        // Nested keys named consent are not the row's consent.
        let (r, _) = walk(r#"{"meta": {"consent": true}}"#);
        assert!(!r.unwrap().consented);
    }

    #[test]
    fn malformed_rows_are_errors_and_leave_nothing() {
        for bad in [
            r#"{"a": "b""#,
            r#"{"a": "b",}"#,
            r#"{"a" "b"}"#,
            r#"{"a": tru}"#,
            r#"{"a": 01}"#,
            r#"{"a": "\x"}"#,
            r#"{"a": "b"} x"#,
            r#"[1, 2"#,
            r#""#,
            r#"{"a": 1.}"#,
        ] {
            let mut chunk = Chunk::default();
            let r = JsonWalker::new().walk_row(bad, 0, &FieldRules::default(), &mut chunk);
            assert!(r.is_err(), "{bad}");
            assert!(chunk.values.is_empty() && chunk.text.is_empty(), "{bad}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let s = "[".repeat(100_000);
        let (r, _) = walk(&s);
        assert_eq!(r.unwrap_err().message, "nesting too deep");
    }

    #[test]
    fn numbers_are_metadata_and_scalars_at_root() {
        let (r, leaves) = walk(r#"{"card": 4111111111111111, "n": 12, "f": -1.5e3}"#);
        assert!(r.is_ok());
        assert_eq!(
            leaves,
            vec![("card".into(), "4111111111111111".into(), false)]
        );
        let (r, leaves) = walk(r#""just a string""#);
        assert!(r.is_ok());
        assert_eq!(leaves[0].0, "$");
    }

    #[test]
    fn text_field_restriction() {
        let rules = FieldRules::new(vec!["consent".into()], vec![], vec!["meta.contact".into()]);
        let (r, leaves) = walk_with(
            r#"{"text": "a", "meta": {"contact": "c", "x": "d"}, "consent": true}"#,
            &rules,
        );
        assert!(r.unwrap().consented);
        assert_eq!(leaves, vec![("meta.contact".into(), "c".into(), true)]);
    }
}
