//! The sequential half of reading: bytes off the disk, hashed, decompressed
//! and cut at record boundaries into jobs that workers parse in parallel.
//!
//! One read per byte: the SHA-256 of the file, the progress counter and the
//! record splitting all happen on the bytes as they arrive. Cutting is cheap
//! (a reverse `memchr` for lines, a quote-parity scan for CSV, a structural
//! scan for JSON arrays) so that the expensive work — parsing, detection,
//! counting — runs on every core. Jobs are cut at a fixed byte target, never
//! by thread count, so chunking (and every output) is the same on any machine.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use memchr::{memchr2, memchr_iter, memrchr};
use sha2::{Digest, Sha256};

use super::discover::{Compression, Format, SourceFile};

/// Target size of one job's bytes.
pub const CHUNK_BYTES: usize = 4 << 20;
/// A single record longer than this is reported and skipped, so that one
/// runaway line cannot make memory grow with the file.
pub const MAX_RECORD_BYTES: usize = 256 << 20;

/// Job buffers handed back by workers once parsed, so the producer reads
/// into memory that is already mapped and initialised (a fresh 4 MiB
/// buffer per job cost a page fault per 4 KiB and a zero fill).
#[derive(Debug, Default)]
pub struct Buffers {
    spare: std::sync::Mutex<Vec<Vec<u8>>>,
    /// Spare buffers kept at most (more are freed).
    keep: usize,
}

impl Buffers {
    pub fn new(keep: usize) -> Buffers {
        Buffers {
            spare: Default::default(),
            keep,
        }
    }

    /// A buffer of any length and content.
    fn take(&self) -> Vec<u8> {
        let spare = self.spare.lock().unwrap_or_else(|p| p.into_inner()).pop();
        spare.unwrap_or_default()
    }

    /// Keeps `buf` for a later job (its content is not looked at again).
    /// Buffers grown for an oversized record are freed, not kept.
    pub fn give(&self, buf: Vec<u8>) {
        if (CHUNK_BYTES..=2 * CHUNK_BYTES).contains(&buf.capacity()) {
            let mut spare = self.spare.lock().unwrap_or_else(|p| p.into_inner());
            if spare.len() < self.keep {
                spare.push(buf);
            }
        }
    }
}

/// Work for one worker: a run of whole records. `first_line` is the
/// absolute 0-based line of the job's first record byte; lines inside a job
/// are relative to it.
///
/// The jobs of a text file hold every byte of its decoded stream, in order
/// and each once: writers (`scour mask`) copy them and splice only the
/// spans they change. Bytes that are not records (a BOM, a CSV header) are
/// the first `lead` bytes of a job's `data`; readers skip them.
#[derive(Debug)]
pub enum Job {
    /// Newline-separated records (JSONL, TXT) after `lead` bytes.
    Lines {
        format: Format,
        data: Vec<u8>,
        lead: usize,
        first_line: u64,
    },
    /// CSV records after `lead` bytes (a BOM, the header).
    Csv {
        header: Arc<Vec<String>>,
        data: Vec<u8>,
        lead: usize,
        first_line: u64,
    },
    /// Elements of a top-level JSON array (or one top-level value), each
    /// `(start, end, line)` with the job-relative line of its start; the
    /// bytes around them (brackets, commas, white space, a BOM) are in
    /// `data` too.
    JsonElements {
        data: Vec<u8>,
        elems: Vec<(usize, usize, u64)>,
        first_line: u64,
    },
    /// One Parquet row group.
    ParquetRowGroup { row_group: usize },
}

impl Job {
    /// The job's bytes, if it carries them.
    pub fn data(&self) -> Option<&[u8]> {
        match self {
            Job::Lines { data, .. } | Job::Csv { data, .. } | Job::JsonElements { data, .. } => {
                Some(data)
            }
            Job::ParquetRowGroup { .. } => None,
        }
    }

    /// The job's bytes, for [`Buffers::give`].
    pub fn into_data(self) -> Option<Vec<u8>> {
        match self {
            Job::Lines { data, .. } | Job::Csv { data, .. } | Job::JsonElements { data, .. } => {
                Some(data)
            }
            Job::ParquetRowGroup { .. } => None,
        }
    }
}

/// A problem found while reading a file sequentially.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReadProblem {
    /// Absolute 1-based line when known.
    pub line: Option<u64>,
    pub message: String,
}

/// What the sequential read learned about the whole file.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FileTail {
    pub sha256: String,
    /// Bytes read from disk (compressed bytes for compressed files).
    pub bytes: u64,
    pub problems: Vec<ReadProblem>,
    /// Some of the file's bytes are in no job (it could not be opened or
    /// read to the end, or an oversized record was skipped): a copy made
    /// from the jobs would not be the whole file.
    pub incomplete: bool,
    /// Lines consumed before the first job (a CSV header), so that row
    /// lines come out right.
    pub header_lines: u64,
}

/// Counts and hashes bytes as they are read.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
    progress: Arc<AtomicU64>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        self.progress.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The first read target of a compressed file (see [`produce`]).
const FIRST_COMPRESSED_READ: usize = 64 << 10;

/// Hash a whole file (for Parquet, whose row groups are read out of order).
pub fn hash_file(file: &SourceFile, progress: &Arc<AtomicU64>) -> io::Result<(String, u64)> {
    let mut r = HashingReader {
        inner: File::open(&file.path)?,
        hasher: Sha256::new(),
        bytes: 0,
        progress: progress.clone(),
    };
    let mut buf = vec![0u8; 1 << 20];
    while r.read(&mut buf)? != 0 {}
    Ok((hex::encode(r.hasher.finalize()), r.bytes))
}

/// Read a file and hand its jobs to `send` in order: a text file's runs of
/// records, or a Parquet file's row groups (see [`super::parquet::produce`]).
/// I/O errors do not abort: they are returned as problems of the file,
/// after every complete record read before them has been sent.
pub fn produce(
    file: &SourceFile,
    progress: &Arc<AtomicU64>,
    buffers: &Buffers,
    send: &mut dyn FnMut(Job),
) -> FileTail {
    if file.format == Format::Parquet {
        return super::parquet::produce(file, progress, send);
    }
    let mut tail = FileTail::default();
    let raw = match File::open(&file.path) {
        Ok(f) => f,
        Err(e) => {
            tail.problems.push(ReadProblem {
                line: None,
                message: format!("cannot open: {e}"),
            });
            tail.incomplete = true;
            return tail;
        }
    };
    let hashing = HashingReader {
        inner: raw,
        hasher: Sha256::new(),
        bytes: 0,
        progress: progress.clone(),
    };
    let mut reader = match Decoded::new(hashing, file.compression) {
        Ok(r) => r,
        Err(e) => {
            tail.problems.push(ReadProblem {
                line: None,
                message: format!("cannot start decompression: {e}"),
            });
            tail.incomplete = true;
            return tail;
        }
    };
    let mut splitter: Box<dyn Splitter> = match file.format {
        Format::Jsonl | Format::Txt => Box::new(LineSplitter {
            format: file.format,
        }),
        Format::Csv => Box::new(CsvSplitter::default()),
        Format::Json => Box::new(JsonArraySplitter::default()),
        // Parquet was planned by row group above; never reached.
        Format::Parquet => Box::new(LineSplitter {
            format: Format::Txt,
        }),
    };
    // `buf[..filled]` is the data; the rest of `buf` is initialised space
    // to read into (a recycled buffer needs no zero fill).
    let mut buf = buffers.take();
    let mut filled = 0;
    // Read until this many bytes are buffered; grows while one record
    // spans more than a job. A small uncompressed file starts with its own
    // size (plus one byte, to see the end in the same loop): the part of
    // a recycled buffer past its last length is zero-filled up to the
    // target, which for a 4 MiB target and a 9 KB file was half the time
    // of a scan of many small files. A file that grew since it was listed
    // is still read whole, in more jobs. A compressed file's size says
    // nothing of its text: it starts at 64 KiB (a large one's first job is
    // that small).
    let mut target = match file.compression {
        Compression::None => usize::try_from(file.size)
            .map_or(CHUNK_BYTES, |size| size.saturating_add(1).min(CHUNK_BYTES)),
        Compression::Gzip | Compression::Zstd => FIRST_COMPRESSED_READ,
    };
    let mut first = true;
    // A BOM is kept in the first job's data, as non-record `lead` bytes.
    let mut lead = 0;
    let mut lines_before: u64 = 0;
    let mut eof = false;
    let mut any_data = false;
    while !eof {
        if buf.len() < target {
            buf.resize(target, 0);
        }
        while filled < target {
            match reader.read(&mut buf[filled..target]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    tail.problems.push(ReadProblem {
                        line: Some(lines_before + count_lines(&buf[..filled]) + 1),
                        message: format!(
                            "read failed ({}): {e}; the rest of the file was not scanned",
                            describe(file)
                        ),
                    });
                    tail.incomplete = true;
                    eof = true;
                    break;
                }
            }
        }
        if first {
            first = false;
            if buf[..filled].starts_with(b"\xEF\xBB\xBF") {
                lead = 3;
            }
        }
        let cut = if eof {
            Some(filled)
        } else {
            splitter.boundary(&buf[..filled])
        };
        let Some(cut) = cut else {
            if filled > MAX_RECORD_BYTES {
                let line = lines_before + 1;
                tail.problems.push(ReadProblem {
                    line: Some(line),
                    message: format!(
                        "record longer than {} MiB; skipped up to the next record boundary",
                        MAX_RECORD_BYTES >> 20
                    ),
                });
                lines_before += count_lines(&buf[..filled]);
                tail.incomplete = true;
                filled = 0;
                target = CHUNK_BYTES;
                buf = Vec::new();
                splitter.reset_after_skip();
            } else {
                // The record continues: read on.
                target = filled + CHUNK_BYTES;
            }
            continue;
        };
        let mut next = buffers.take();
        let rest = filled - cut;
        if next.len() < rest {
            next.resize(rest, 0);
        }
        next[..rest].copy_from_slice(&buf[cut..filled]);
        buf.truncate(cut);
        let data = std::mem::replace(&mut buf, next);
        filled = rest;
        target = CHUNK_BYTES.max(rest + (64 << 10));
        if data.is_empty() {
            buffers.give(data);
            continue;
        }
        any_data |= data.len() > lead;
        let lines = count_lines(&data);
        splitter.emit(
            data,
            std::mem::take(&mut lead),
            lines_before,
            &mut tail,
            send,
        );
        lines_before += lines;
    }
    splitter.finish(lines_before, &mut tail, send);
    if !any_data && file.format != Format::Json && tail.problems.is_empty() {
        tail.problems.push(ReadProblem {
            line: None,
            message: "empty file".into(),
        });
    }
    let hashing = reader.into_inner();
    tail.sha256 = hex::encode(hashing.hasher.finalize());
    tail.bytes = hashing.bytes;
    tail
}

fn describe(file: &SourceFile) -> String {
    match file.compression.as_str() {
        Some(c) => format!("{c} stream"),
        None => "file".into(),
    }
}

fn count_lines(b: &[u8]) -> u64 {
    memchr_iter(b'\n', b).count() as u64
}

/// The decompressed byte stream of a file.
enum Decoded<R: Read> {
    Plain(R),
    Gzip(Box<flate2::read::MultiGzDecoder<BufReader<R>>>),
    Zstd(Box<zstd::stream::read::Decoder<'static, BufReader<R>>>),
}

impl<R: Read> Decoded<R> {
    fn new(r: R, c: Compression) -> io::Result<Self> {
        Ok(match c {
            Compression::None => Decoded::Plain(r),
            Compression::Gzip => {
                let buffered = BufReader::with_capacity(1 << 20, r);
                Decoded::Gzip(Box::new(flate2::read::MultiGzDecoder::new(buffered)))
            }
            Compression::Zstd => Decoded::Zstd(Box::new(zstd::stream::read::Decoder::new(r)?)),
        })
    }

    fn into_inner(self) -> R {
        match self {
            Decoded::Plain(r) => r,
            Decoded::Gzip(d) => d.into_inner().into_inner(),
            Decoded::Zstd(d) => d.finish().into_inner(),
        }
    }
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoded::Plain(r) => r.read(buf),
            Decoded::Gzip(d) => d.read(buf),
            Decoded::Zstd(d) => d.read(buf),
        }
    }
}

/// Finds record boundaries in a buffer that starts at a record boundary.
trait Splitter {
    /// Position just after the last complete record in `buf`, if any.
    fn boundary(&mut self, buf: &[u8]) -> Option<usize>;
    /// Turn a run of whole records, after `lead` non-record bytes, into a job.
    fn emit(
        &mut self,
        data: Vec<u8>,
        lead: usize,
        lines_before: u64,
        tail: &mut FileTail,
        send: &mut dyn FnMut(Job),
    );
    /// End of file.
    fn finish(&mut self, _lines_before: u64, _tail: &mut FileTail, _send: &mut dyn FnMut(Job)) {}
    /// The buffer was dropped after an oversized record.
    fn reset_after_skip(&mut self) {}
}

struct LineSplitter {
    format: Format,
}

impl Splitter for LineSplitter {
    fn boundary(&mut self, buf: &[u8]) -> Option<usize> {
        memrchr(b'\n', buf).map(|i| i + 1)
    }
    fn emit(
        &mut self,
        data: Vec<u8>,
        lead: usize,
        first_line: u64,
        _: &mut FileTail,
        send: &mut dyn FnMut(Job),
    ) {
        send(Job::Lines {
            format: self.format,
            data,
            lead,
            first_line,
        });
    }
}

/// RFC 4180: a newline ends a record only outside quotes; `""` inside a
/// quoted field toggles the state twice, so counting quotes is exact.
#[derive(Default)]
struct CsvSplitter {
    header: Option<Arc<Vec<String>>>,
}

fn csv_boundary(buf: &[u8]) -> Option<usize> {
    let mut in_quotes = false;
    let mut last = None;
    let mut i = 0;
    while let Some(k) = memchr2(b'"', b'\n', &buf[i..]) {
        let p = i + k;
        if buf[p] == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            last = Some(p + 1);
        }
        i = p + 1;
    }
    last
}

fn first_record_end(buf: &[u8]) -> Option<usize> {
    let mut in_quotes = false;
    let mut i = 0;
    while let Some(k) = memchr2(b'"', b'\n', &buf[i..]) {
        let p = i + k;
        if buf[p] == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            return Some(p + 1);
        }
        i = p + 1;
    }
    None
}

impl CsvSplitter {
    fn take_header(&mut self, data: &[u8], tail: &mut FileTail) -> usize {
        let end = first_record_end(data).unwrap_or(data.len());
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(&data[..end]);
        let mut rec = csv::ByteRecord::new();
        let header: Vec<String> = match rdr.read_byte_record(&mut rec) {
            Ok(true) => rec
                .iter()
                .map(|f| String::from_utf8_lossy(f).trim().to_string())
                .collect(),
            Ok(false) => Vec::new(),
            Err(e) => {
                tail.problems.push(ReadProblem {
                    line: Some(1),
                    message: format!("unreadable CSV header: {e}"),
                });
                Vec::new()
            }
        };
        if header.iter().any(|h| h.is_empty()) {
            tail.problems.push(ReadProblem {
                line: Some(1),
                message: "CSV header has an empty column name; such columns are named column_N"
                    .into(),
            });
        }
        tail.header_lines = count_lines(&data[..end]);
        self.header = Some(Arc::new(header));
        end
    }
}

impl Splitter for CsvSplitter {
    fn boundary(&mut self, buf: &[u8]) -> Option<usize> {
        csv_boundary(buf)
    }
    fn emit(
        &mut self,
        data: Vec<u8>,
        mut lead: usize,
        mut first_line: u64,
        tail: &mut FileTail,
        send: &mut dyn FnMut(Job),
    ) {
        if self.header.is_none() {
            let end = lead + self.take_header(&data[lead..], tail);
            first_line += count_lines(&data[..end]);
            lead = end;
        }
        let header = self.header.clone().unwrap_or_default();
        send(Job::Csv {
            header,
            data,
            lead,
            first_line,
        });
    }
}

/// Structural scan of a top-level JSON array, element by element, with
/// state kept across blocks. A file whose top level is not an array is one
/// row (and is buffered whole: it is one record).
#[derive(Default)]
struct JsonArraySplitter {
    phase: Phase,
    depth: u32,
    in_str: bool,
    esc: bool,
    data: Vec<u8>,
    elems: Vec<(usize, usize, u64)>,
    job_first_line: u64,
    elem_start: usize,
    elem_line: u64,
    /// Absolute 0-based line of the next byte.
    line: u64,
}

#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    #[default]
    Start,
    BeforeElem,
    InElem,
    Done,
    Single,
}

impl Splitter for JsonArraySplitter {
    fn boundary(&mut self, buf: &[u8]) -> Option<usize> {
        // Elements are cut by `scan`, which keeps its state across blocks.
        Some(buf.len())
    }

    fn emit(
        &mut self,
        data: Vec<u8>,
        lead: usize,
        _lines_before: u64,
        tail: &mut FileTail,
        send: &mut dyn FnMut(Job),
    ) {
        self.data.extend_from_slice(&data[..lead]);
        self.scan(&data[lead..], tail, send);
    }

    fn finish(&mut self, _lines_before: u64, tail: &mut FileTail, send: &mut dyn FnMut(Job)) {
        match self.phase {
            Phase::Start => tail.problems.push(ReadProblem {
                line: None,
                message: "empty file".into(),
            }),
            Phase::InElem | Phase::BeforeElem => {
                if self.phase == Phase::InElem {
                    self.end_elem(self.data.len());
                }
                tail.problems.push(ReadProblem {
                    line: Some(self.line + 1),
                    message: "unexpected end of file: the top-level array is not closed".into(),
                });
            }
            Phase::Single => self.end_elem(self.data.len()),
            Phase::Done => {}
        }
        // The last job also carries the bytes after the last element.
        if !self.elems.is_empty() || !self.data.is_empty() {
            self.flush(self.data.len(), send);
        }
    }
}

impl JsonArraySplitter {
    /// The element in progress ends at `end`, an offset in `self.data`.
    fn end_elem(&mut self, end: usize) {
        self.elems.push((self.elem_start, end, self.elem_line));
    }

    /// Sends `self.data[..at]` and its elements as a job; the bytes after
    /// `at` start the next one.
    fn flush(&mut self, at: usize, send: &mut dyn FnMut(Job)) {
        let rest = self.data.split_off(at);
        let data = std::mem::replace(&mut self.data, rest);
        let elems = std::mem::take(&mut self.elems);
        send(Job::JsonElements {
            data,
            elems,
            first_line: self.job_first_line,
        });
        self.job_first_line = self.line;
    }

    fn scan(&mut self, b: &[u8], tail: &mut FileTail, send: &mut dyn FnMut(Job)) {
        // Every byte goes into the job data; `base + i` is the offset in
        // `self.data` of `b[i]` (it moves when a job is flushed).
        let mut base = self.data.len();
        self.data.extend_from_slice(b);
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            match self.phase {
                Phase::Single => {
                    self.line += count_lines(&b[i..]);
                    return;
                }
                Phase::InElem => {
                    if self.esc {
                        self.esc = false;
                        if c == b'\n' {
                            self.line += 1;
                        }
                        i += 1;
                        continue;
                    }
                    if self.in_str {
                        match memchr2(b'"', b'\\', &b[i..]) {
                            Some(k) => {
                                self.line += count_lines(&b[i..i + k]);
                                i += k;
                                if b[i] == b'"' {
                                    self.in_str = false;
                                } else {
                                    self.esc = true;
                                }
                                i += 1;
                            }
                            None => {
                                self.line += count_lines(&b[i..]);
                                i = b.len();
                            }
                        }
                        continue;
                    }
                    match c {
                        b'"' => self.in_str = true,
                        b'{' | b'[' => self.depth += 1,
                        b'}' | b']' if self.depth > 0 => self.depth -= 1,
                        b']' | b',' if self.depth == 0 => {
                            let at = base.wrapping_add(i);
                            self.end_elem(at);
                            if at >= CHUNK_BYTES {
                                self.flush(at, send);
                                base = 0usize.wrapping_sub(i);
                            }
                            self.phase = if c == b']' {
                                Phase::Done
                            } else {
                                Phase::BeforeElem
                            };
                        }
                        b'\n' => self.line += 1,
                        _ => {}
                    }
                    i += 1;
                }
                _ if matches!(c, b' ' | b'\t' | b'\r' | b'\n') => {
                    if c == b'\n' {
                        self.line += 1;
                    }
                    i += 1;
                }
                Phase::Start => {
                    if c == b'[' {
                        self.phase = Phase::BeforeElem;
                        i += 1;
                    } else {
                        self.phase = Phase::Single;
                        self.elem_start = base.wrapping_add(i);
                        self.elem_line = self.line - self.job_first_line;
                    }
                }
                Phase::BeforeElem if c == b']' => {
                    self.phase = Phase::Done;
                    i += 1;
                }
                Phase::BeforeElem => {
                    // An element starts (a stray comma gives an empty
                    // element, which the element parser reports).
                    self.phase = Phase::InElem;
                    self.depth = 0;
                    self.in_str = false;
                    self.esc = false;
                    self.elem_start = base.wrapping_add(i);
                    self.elem_line = self.line - self.job_first_line;
                }
                Phase::Done => {
                    tail.problems.push(ReadProblem {
                        line: Some(self.line + 1),
                        message: "unexpected data after the top-level array".into(),
                    });
                    self.line += count_lines(&b[i..]);
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feed `text` to the JSON splitter in blocks of `block` bytes.
    fn split_json(text: &[u8], block: usize) -> (Vec<(String, u64)>, Vec<ReadProblem>) {
        let mut sp = JsonArraySplitter::default();
        let mut tail = FileTail::default();
        let mut jobs = Vec::new();
        for b in text.chunks(block) {
            sp.emit(b.to_vec(), 0, 0, &mut tail, &mut |j| jobs.push(j));
        }
        sp.finish(0, &mut tail, &mut |j| jobs.push(j));
        let mut out = Vec::new();
        for j in jobs {
            if let Job::JsonElements {
                data,
                elems,
                first_line,
            } = j
            {
                for (s, e, l) in elems {
                    out.push((
                        String::from_utf8_lossy(&data[s..e]).trim().to_string(),
                        first_line + l,
                    ));
                }
            }
        }
        (out, tail.problems)
    }

    #[test]
    fn json_array_elements_any_block_size() {
        let text = b"[\n  {\"a\": \"x,]\\\"}\", \"b\": [1, {\"c\": 2}]},\n  2,\n  \"s\\\\\",\n  {\"d\": {}}\n]\n";
        for block in [1, 2, 3, 7, 64, 4096] {
            let (elems, problems) = split_json(text, block);
            let got: Vec<(&str, u64)> = elems.iter().map(|(s, l)| (s.as_str(), *l)).collect();
            assert_eq!(
                got,
                vec![
                    ("{\"a\": \"x,]\\\"}\", \"b\": [1, {\"c\": 2}]}", 1),
                    ("2", 2),
                    ("\"s\\\\\"", 3),
                    ("{\"d\": {}}", 4)
                ],
                "block {block}"
            );
            assert!(problems.is_empty(), "{problems:?}");
        }
    }

    #[test]
    fn json_top_level_object_and_truncation() {
        let (elems, problems) = split_json(b"  {\"a\": [1, 2]}\n", 3);
        assert_eq!(elems, vec![("{\"a\": [1, 2]}".to_string(), 0)]);
        assert!(problems.is_empty());
        let (elems, problems) = split_json(b"[{\"a\": 1}, {\"b\": ", 4);
        assert_eq!(elems.len(), 2);
        assert!(problems[0].message.contains("not closed"));
        let (_, problems) = split_json(b"", 4);
        assert_eq!(problems[0].message, "empty file");
        let (elems, problems) = split_json(b"[1] x", 4);
        assert_eq!(elems.len(), 1);
        assert!(problems[0].message.contains("after the top-level array"));
    }

    /// A file listed smaller than it is (it grew, or the size was a guess)
    /// is still read whole, in order, with its lines counted.
    #[test]
    fn listed_size_only_sizes_the_first_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grown.jsonl");
        let text: String = (0..50_000).map(|i| format!("{{\"n\": {i}}}\n")).collect();
        std::fs::write(&path, &text).unwrap();
        for size in [0, 10, text.len() as u64, u64::MAX] {
            let file = SourceFile {
                path: path.clone(),
                display: "grown.jsonl".into(),
                format: Format::Jsonl,
                compression: Compression::None,
                split: super::super::discover::Split::Train,
                size,
                mtime: None,
            };
            let mut read = Vec::new();
            let mut next_line = 0;
            let tail = produce(
                &file,
                &Arc::new(AtomicU64::new(0)),
                &Buffers::new(2),
                &mut |job| {
                    if let Job::Lines {
                        data, first_line, ..
                    } = job
                    {
                        assert_eq!(first_line, next_line, "size {size}");
                        next_line += count_lines(&data);
                        read.extend_from_slice(&data);
                    }
                },
            );
            assert!(tail.problems.is_empty(), "{:?}", tail.problems);
            assert_eq!(read, text.as_bytes(), "size {size}");
            assert_eq!(next_line, 50_000);
        }
    }

    #[test]
    fn csv_boundaries_respect_quotes() {
        assert_eq!(csv_boundary(b"a,b\n\"x\ny\",z\n\"open\n"), Some(12));
        assert_eq!(csv_boundary(b"\"a\"\"\nb\"\n"), Some(8));
        assert_eq!(csv_boundary(b"\"no end\n"), None);
        assert_eq!(first_record_end(b"h1,\"h\n2\"\nrow\n"), Some(9));
    }
}
