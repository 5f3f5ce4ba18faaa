//! The parallel half of reading: a job's bytes become a [`Chunk`].
//!
//! Runs on worker threads. A record that cannot be parsed is reported with
//! its line and row, and its raw bytes (lossily decoded) are still scanned
//! under the `<raw>` path: a secret in a broken line is still a secret.

use super::discover::Format;
use super::jsonwalk::JsonWalker;
use super::produce::Job;
use crate::chunk::Chunk;
use crate::chunk::{PathId, RowMeta};
use crate::fields::{has_provenance, is_consented, FieldRules, MetaValue, Role};

/// Path under which the raw bytes of an unparseable record are scanned.
pub const RAW_PATH: &str = "<raw>";
/// Path of a TXT line.
pub const TXT_PATH: &str = "text";

/// Parse a text-format job into one chunk.
pub fn parse_job(job: &Job, rules: &FieldRules, walker: &mut JsonWalker) -> Chunk {
    parse_job_into(job, rules, walker, Chunk::default())
}

/// [`parse_job`] into `chunk`, an empty chunk whose buffers are reused (see
/// [`Chunk::recycle`]): a worker that parses job after job keeps one text
/// buffer of a job's size instead of growing a new one, doubling by
/// doubling, for every job.
pub fn parse_job_into(
    job: &Job,
    rules: &FieldRules,
    walker: &mut JsonWalker,
    mut chunk: Chunk,
) -> Chunk {
    debug_assert!(chunk.rows.is_empty() && chunk.values.is_empty() && chunk.text.is_empty());
    chunk.has_lines = true;
    if let Some(data) = job.data() {
        // Decoded text is never longer than the bytes it came from; a little
        // slack spares a reallocation for the next, slightly longer job.
        if chunk.text.capacity() < data.len() {
            chunk.text.reserve_exact(data.len() + data.len() / 8);
        }
    }
    match job {
        Job::Lines {
            format,
            data,
            lead,
            first_line,
        } => {
            chunk.first_line = *first_line;
            parse_lines(*format, data, *lead, rules, walker, &mut chunk);
        }
        Job::Csv {
            header,
            data,
            lead,
            first_line,
        } => {
            chunk.first_line = *first_line;
            parse_csv(header, data, *lead, rules, &mut chunk);
        }
        Job::JsonElements {
            data,
            elems,
            first_line,
        } => {
            chunk.first_line = *first_line;
            let whole = simdutf8::basic::from_utf8(data).ok();
            for &(s, e, line) in elems {
                let row = chunk.rows.len() as u32;
                let valid = whole.and_then(|w| w.get(s..e));
                let mut meta = json_row(&data[s..e], valid, row, line, rules, walker, &mut chunk);
                (meta.raw_start, meta.raw_end) = (s as u32, e as u32);
                chunk.rows.push(meta);
            }
        }
        Job::ParquetRowGroup { .. } => {}
    }
    chunk
}

fn parse_lines(
    format: Format,
    data: &[u8],
    lead: usize,
    rules: &FieldRules,
    walker: &mut JsonWalker,
    chunk: &mut Chunk,
) {
    // One SIMD pass over the whole job; only if it fails are lines checked
    // one by one (to locate the bad ones).
    let whole = simdutf8::basic::from_utf8(data).ok();
    let mut start = lead;
    let mut line: u64 = 0;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |k| start + k);
        let rec_end = if end > start && data[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        let rec = &data[start..rec_end];
        // Cut at ASCII bytes, so a char boundary of the validated text.
        let rec_str = whole.and_then(|w| w.get(start..rec_end));
        if !rec.iter().all(|b| b.is_ascii_whitespace()) {
            let row = chunk.rows.len() as u32;
            let mut meta = match format {
                Format::Txt => txt_row(rec, rec_str, row, line, rules, chunk),
                _ => json_row(rec, rec_str, row, line, rules, walker, chunk),
            };
            (meta.raw_start, meta.raw_end) = (start as u32, rec_end as u32);
            chunk.rows.push(meta);
        }
        start = end + 1;
        line += 1;
    }
}

fn txt_row(
    rec: &[u8],
    valid: Option<&str>,
    row: u32,
    line: u64,
    rules: &FieldRules,
    chunk: &mut Chunk,
) -> RowMeta {
    let text = match valid.map_or_else(|| std::str::from_utf8(rec), Ok) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(e) => {
            chunk.push_error(
                Some(line),
                Some(row as u64),
                format!(
                    "invalid UTF-8 at byte {}; scanned with replacement characters",
                    e.valid_up_to() + 1
                ),
            );
            String::from_utf8_lossy(rec)
        }
    };
    if rules.scans(TXT_PATH) {
        let id = chunk.intern_path(TXT_PATH);
        chunk.push_value(row, id, &text, true);
    }
    RowMeta {
        line: line as u32,
        ..RowMeta::default()
    }
}

fn json_row(
    rec: &[u8],
    valid: Option<&str>,
    row: u32,
    line: u64,
    rules: &FieldRules,
    walker: &mut JsonWalker,
    chunk: &mut Chunk,
) -> RowMeta {
    let mut meta = RowMeta {
        line: line as u32,
        ..RowMeta::default()
    };
    let checked = valid.map_or_else(|| std::str::from_utf8(rec), Ok);
    let problem = match checked {
        Err(e) => format!("invalid UTF-8 at byte {}", e.valid_up_to() + 1),
        Ok(text) => match walker.walk_row(text, row, rules, chunk) {
            Ok(facts) => {
                meta.consented = facts.consented;
                meta.has_provenance = facts.has_provenance;
                return meta;
            }
            Err(e) => e.to_string(),
        },
    };
    chunk.push_error(
        Some(line),
        Some(row as u64),
        format!("{problem}; raw line scanned as text"),
    );
    meta.malformed = true;
    let id = chunk.intern_path(RAW_PATH);
    chunk.push_value(row, id, &String::from_utf8_lossy(rec), false);
    meta
}

/// A CSV cell that is only a number is metadata, not prose.
fn looks_numeric(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty()
        && t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
}

/// The name a CSV column's values are scanned under: its header, or
/// `column_N` (1-based) when the header has none.
pub fn csv_column_name(header: &[String], i: usize) -> String {
    match header.get(i) {
        Some(h) if !h.is_empty() => h.clone(),
        _ => format!("column_{}", i + 1),
    }
}

fn parse_csv(header: &[String], data: &[u8], lead: usize, rules: &FieldRules, chunk: &mut Chunk) {
    let data = &data[lead..];
    let mut names: Vec<String> = (0..header.len())
        .map(|i| csv_column_name(header, i))
        .collect();
    let mut roles: Vec<Role> = names.iter().map(|n| rules.role(n)).collect();
    // Per column: whether it is scanned, and its path id once interned (at
    // its first value, so ids come in the order they always did): a table
    // has tens of short values per row, and looking a path up per value
    // cost more than parsing it.
    let mut scans: Vec<bool> = names.iter().map(|n| rules.scans(n)).collect();
    let mut ids: Vec<Option<PathId>> = vec![None; names.len()];
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(data);
    let mut rec = csv::ByteRecord::new();
    // Lines are counted from byte offsets: the csv crate's own line count
    // does not include newlines inside quoted fields.
    let (mut seen_byte, mut seen_line) = (0usize, 0u64);
    let mut line_at = |byte: usize| -> u64 {
        // The csv crate places a record after a CRLF at the CRLF's `\n`.
        let mut byte = byte.min(data.len());
        while matches!(data.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        if byte >= seen_byte {
            seen_line += memchr::memchr_iter(b'\n', &data[seen_byte..byte]).count() as u64;
            seen_byte = byte;
        }
        seen_line
    };
    loop {
        let line = line_at(rdr.position().byte() as usize);
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let row = chunk.rows.len() as u64;
                chunk.push_error(Some(line), Some(row), format!("unreadable CSV record: {e}"));
                break;
            }
        }
        let rec_start = rec.position().map_or(0, |p| p.byte() as usize);
        let line = rec.position().map_or(line, |_| line_at(rec_start));
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) {
            continue; // a blank line
        }
        let row = chunk.rows.len() as u32;
        // The csv crate places a record after a CRLF at the CRLF's `\n`.
        let mut raw_start = rec_start.min(data.len());
        while matches!(data.get(raw_start), Some(b'\r' | b'\n')) {
            raw_start += 1;
        }
        let mut raw_end = (rdr.position().byte() as usize).clamp(raw_start, data.len());
        while raw_end > raw_start && matches!(data[raw_end - 1], b'\r' | b'\n') {
            raw_end -= 1;
        }
        let mut meta = RowMeta {
            line: line as u32,
            raw_start: (lead + raw_start) as u32,
            raw_end: (lead + raw_end) as u32,
            ..RowMeta::default()
        };
        if rec.len() != header.len() {
            chunk.push_error(
                Some(line),
                Some(row as u64),
                format!(
                    "ragged row: {} fields, the header has {}; every field scanned",
                    rec.len(),
                    header.len()
                ),
            );
        }
        for (i, field) in rec.iter().enumerate() {
            if i >= names.len() {
                names.push(csv_column_name(header, i));
                roles.push(Role::Other);
                scans.push(rules.scans(&names[i]));
                ids.push(None);
            }
            if field.is_empty() {
                continue;
            }
            let text = match std::str::from_utf8(field) {
                Ok(s) => std::borrow::Cow::Borrowed(s),
                Err(e) => {
                    chunk.push_error(
                        Some(line),
                        Some(row as u64),
                        format!(
                            "invalid UTF-8 in field {} at byte {}; scanned with replacement characters",
                            names[i],
                            e.valid_up_to() + 1
                        ),
                    );
                    String::from_utf8_lossy(field)
                }
            };
            match roles[i] {
                Role::Consent => meta.consented |= is_consented(MetaValue::Str(&text)),
                Role::Provenance => meta.has_provenance |= has_provenance(MetaValue::Str(&text)),
                Role::Other => {}
            }
            if scans[i] {
                let is_text = roles[i] == Role::Other && !looks_numeric(&text);
                let id = *ids[i].get_or_insert_with(|| chunk.intern_path(&names[i]));
                chunk.push_value(row, id, &text, is_text);
            }
        }
        chunk.rows.push(meta);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn lines(format: Format, s: &str) -> Chunk {
        let job = Job::Lines {
            format,
            data: s.as_bytes().to_vec(),
            lead: 0,
            first_line: 10,
        };
        parse_job(&job, &FieldRules::default(), &mut JsonWalker::new())
    }

    #[test]
    fn a_recycled_chunk_parses_like_a_fresh_one() {
        let rules = FieldRules::default();
        let mut walker = JsonWalker::new();
        let first = Job::Lines {
            format: Format::Txt,
            data: "one line\nanother line with more text in it\n"
                .repeat(50)
                .into_bytes(),
            lead: 0,
            first_line: 3,
        };
        let second = Job::Lines {
            format: Format::Jsonl,
            data: b"{\"text\": \"a\", \"meta\": {\"url\": \"x\"}}\n{broken\n".to_vec(),
            lead: 0,
            first_line: 100,
        };
        let used = parse_job(&first, &rules, &mut walker).recycle(1 << 20);
        let reused = parse_job_into(&second, &rules, &mut walker, used);
        let fresh = parse_job(&second, &rules, &mut JsonWalker::new());
        assert_eq!(reused.rows, fresh.rows);
        assert_eq!(reused.values, fresh.values);
        assert_eq!(reused.text, fresh.text);
        assert_eq!(reused.paths, fresh.paths);
        assert_eq!(reused.errors, fresh.errors);
        assert_eq!(
            (reused.first_line, reused.has_lines),
            (fresh.first_line, fresh.has_lines)
        );
    }

    #[test]
    fn jsonl_rows_errors_and_raw_rescan() {
        let c = lines(
            Format::Jsonl,
            "{\"text\": \"a\"}\r\n\n{\"text\": \"b\", \"consent\": true}\n{\"text\": broken AKIA}\n[1]\n",
        );
        assert_eq!(c.rows.len(), 4);
        assert_eq!(c.rows[1].line, 2);
        assert!(c.rows[1].consented);
        assert!(c.rows[2].malformed);
        assert_eq!(c.errors.len(), 1);
        assert_eq!(c.errors[0].line, Some(3));
        assert_eq!(c.abs_line(3), Some(14));
        let raw: Vec<_> = c
            .values
            .iter()
            .filter(|v| c.paths[v.path as usize] == RAW_PATH)
            .map(|v| c.value_text(v))
            .collect();
        assert_eq!(raw, vec!["{\"text\": broken AKIA}"]);
    }

    #[test]
    fn invalid_utf8_is_reported_and_still_scanned() {
        let job = Job::Lines {
            format: Format::Jsonl,
            data: b"{\"t\": \"caf\xff\"}\n".to_vec(),
            lead: 0,
            first_line: 0,
        };
        let c = parse_job(&job, &FieldRules::default(), &mut JsonWalker::new());
        assert_eq!(c.errors.len(), 1);
        assert!(
            c.errors[0].message.contains("invalid UTF-8 at byte 11"),
            "{}",
            c.errors[0].message
        );
        assert_eq!(c.value_text(&c.values[0]), "{\"t\": \"caf\u{FFFD}\"}");
        let job = Job::Lines {
            format: Format::Txt,
            data: b"ok line\nbad \xc3\n".to_vec(),
            lead: 0,
            first_line: 0,
        };
        let c = parse_job(&job, &FieldRules::default(), &mut JsonWalker::new());
        assert_eq!(c.rows.len(), 2);
        assert_eq!(c.errors[0].line, Some(1));
    }

    #[test]
    fn csv_quotes_ragged_rows_and_roles() {
        let header = Arc::new(vec![
            "id".to_string(),
            "text".into(),
            "consent".into(),
            "source".into(),
        ]);
        let data =
            b"1,\"hello, \"\"world\"\"\nsecond line\",yes,web\n2,short\n3,x,no,,extra\n".to_vec();
        let job = Job::Csv {
            header,
            data,
            lead: 0,
            first_line: 1,
        };
        let c = parse_job(&job, &FieldRules::default(), &mut JsonWalker::new());
        assert_eq!(c.rows.len(), 3);
        assert!(c.rows[0].consented && c.rows[0].has_provenance);
        assert!(!c.rows[2].consented && !c.rows[2].has_provenance);
        assert_eq!(c.rows[1].line, 2);
        assert_eq!(c.errors.len(), 2, "{:?}", c.errors);
        assert!(c.errors[0].message.starts_with("ragged row: 2 fields"));
        let texts: Vec<_> = c
            .values
            .iter()
            .map(|v| {
                (
                    c.paths[v.path as usize].as_str(),
                    c.value_text(v),
                    v.is_text,
                )
            })
            .collect();
        assert!(texts.contains(&("text", "hello, \"world\"\nsecond line", true)));
        assert!(texts.contains(&("id", "1", false)));
        assert!(texts.contains(&("column_5", "extra", true)));
        assert!(texts.contains(&("consent", "yes", false)));
    }

    #[test]
    fn json_elements() {
        let data = br#"{"text": "a", "source": "s"}{"text": oops}"#.to_vec();
        let job = Job::JsonElements {
            elems: vec![(0, 28, 0), (28, data.len(), 3)],
            data,
            first_line: 5,
        };
        let c = parse_job(&job, &FieldRules::default(), &mut JsonWalker::new());
        assert_eq!(c.rows.len(), 2);
        assert!(c.rows[0].has_provenance);
        assert!(c.rows[1].malformed);
        assert_eq!(c.abs_line(c.errors[0].line.unwrap_or(0)), Some(9));
    }
}
#[cfg(test)]
mod crlf_tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn csv_crlf_lines() {
        let header = Arc::new(vec!["id".to_string(), "text".into()]);
        let data = b"1,\"a\nb\"\r\n2,x\r\n3\r\n".to_vec();
        let job = Job::Csv {
            header,
            data,
            lead: 0,
            first_line: 1,
        };
        let c = parse_job(&job, &FieldRules::default(), &mut JsonWalker::new());
        let lines: Vec<u32> = c.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![0, 2, 3]);
    }
}
