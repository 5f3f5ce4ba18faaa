//! Text writer for purge: a file copied with some byte ranges of its
//! decoded stream left out (the removed rows and their line terminators,
//! or JSON array elements with one separator each), recompressed with the
//! file's own codec. Every other byte is copied, never re-serialised.
//!
//! The ranges come from the scan that found the rows (the reader's own
//! record boundaries); the input's SHA-256 is recomputed while copying
//! and must equal the scanned one, so a file that changed in between is
//! refused rather than cut at stale offsets.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};

use sha2::{Digest, Sha256};

use super::discover::{Compression, SourceFile};

/// Why a copy failed.
#[derive(Debug, thiserror::Error)]
pub enum DropError {
    #[error("{path}: {what}: {source}")]
    Io {
        path: String,
        what: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("{path}: changed since it was scanned (SHA-256 {now}, scanned {then}); nothing was removed, run again")]
    Changed {
        path: String,
        now: String,
        then: String,
    },
    #[error("{path}: a range to remove ({start}..{end}) lies outside the file's {len} bytes; nothing was removed")]
    OutOfRange {
        path: String,
        start: u64,
        end: u64,
        len: u64,
    },
}

/// Hashes and counts what passes through.
struct Hashing<T> {
    inner: T,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// What a copy came to: the output handed back for publishing, and the
/// SHA-256 of what was written.
pub struct Dropped<W> {
    pub out: W,
    pub sha256: String,
    pub bytes: u64,
}

/// Copy `file` into `out` without the decoded-stream byte ranges `cuts`
/// (sorted, disjoint), compressed like the input. `scanned_sha256` is the
/// input's hash when it was scanned.
pub fn drop_ranges<W: Write>(
    file: &SourceFile,
    cuts: &[(u64, u64)],
    scanned_sha256: &str,
    out: W,
) -> Result<Dropped<W>, DropError> {
    let path = file.path.display().to_string();
    let io = |what: &'static str| {
        let path = path.clone();
        move |source| DropError::Io {
            path: path.clone(),
            what,
            source,
        }
    };
    let raw = File::open(&file.path).map_err(io("cannot open"))?;
    let mut hashing = Hashing {
        inner: BufReader::with_capacity(1 << 20, raw),
        hasher: Sha256::new(),
        bytes: 0,
    };
    let out = Hashing {
        inner: out,
        hasher: Sha256::new(),
        bytes: 0,
    };
    let mut enc = Encoder::new(file.compression, out).map_err(io("cannot compress"))?;
    let mut decoded: u64 = 0;
    {
        let mut reader: Box<dyn Read + '_> = match file.compression {
            Compression::None => Box::new(&mut hashing),
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(&mut hashing)),
            Compression::Zstd => Box::new(
                zstd::stream::read::Decoder::new(&mut hashing)
                    .map_err(io("cannot start decompression"))?,
            ),
        };
        let mut buf = vec![0u8; 1 << 20];
        let mut next = cuts.iter().peekable();
        loop {
            let n = reader.read(&mut buf).map_err(io("cannot read"))?;
            if n == 0 {
                break;
            }
            let (lo, hi) = (decoded, decoded + n as u64);
            let mut at = lo;
            while at < hi {
                // Skip what a cut covers, copy up to the next cut.
                match next.peek() {
                    Some(&&(s, e)) if s <= at => {
                        if e <= at {
                            next.next();
                            continue;
                        }
                        at = e.min(hi);
                        if e <= hi {
                            next.next();
                        }
                    }
                    Some(&&(s, _)) => {
                        let to = s.min(hi);
                        enc.write_all(&buf[(at - lo) as usize..(to - lo) as usize])
                            .map_err(io("cannot write"))?;
                        at = to;
                    }
                    None => {
                        enc.write_all(&buf[(at - lo) as usize..n])
                            .map_err(io("cannot write"))?;
                        at = hi;
                    }
                }
            }
            decoded = hi;
        }
        // Drain a trailing gzip/zstd footer so the hash covers the file.
        drop(reader);
    }
    let mut rest = Vec::new();
    hashing.read_to_end(&mut rest).map_err(io("cannot read"))?;
    let now = hex::encode(hashing.hasher.finalize());
    if now != scanned_sha256 {
        return Err(DropError::Changed {
            path,
            now,
            then: scanned_sha256.to_string(),
        });
    }
    if let Some(&(s, e)) = cuts.iter().find(|c| c.1 > decoded) {
        return Err(DropError::OutOfRange {
            path,
            start: s,
            end: e,
            len: decoded,
        });
    }
    let out = enc.finish().map_err(io("cannot finish compressing"))?;
    Ok(Dropped {
        sha256: hex::encode(out.hasher.finalize()),
        bytes: out.bytes,
        out: out.inner,
    })
}

/// The output side: plain, gzip or zstd.
enum Encoder<W: Write> {
    Plain(W),
    Gzip(flate2::write::GzEncoder<W>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> Encoder<W> {
    fn new(c: Compression, w: W) -> io::Result<Encoder<W>> {
        Ok(match c {
            Compression::None => Encoder::Plain(w),
            Compression::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
                w,
                flate2::Compression::default(),
            )),
            Compression::Zstd => Encoder::Zstd(zstd::stream::write::Encoder::new(w, 3)?),
        })
    }

    fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        match self {
            Encoder::Plain(w) => w.write_all(b),
            Encoder::Gzip(w) => w.write_all(b),
            Encoder::Zstd(w) => w.write_all(b),
        }
    }

    fn finish(self) -> io::Result<W> {
        match self {
            Encoder::Plain(mut w) => {
                w.flush()?;
                Ok(w)
            }
            Encoder::Gzip(w) => w.finish(),
            Encoder::Zstd(w) => w.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::discover::{Format, Split};

    fn copy(content: &[u8], c: Compression, cuts: &[(u64, u64)]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let stored = match c {
            Compression::None => content.to_vec(),
            Compression::Gzip => {
                let mut e =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(content).unwrap();
                e.finish().unwrap()
            }
            Compression::Zstd => zstd::bulk::compress(content, 3).unwrap(),
        };
        std::fs::write(&p, &stored).unwrap();
        let sha = hex::encode(Sha256::digest(&stored));
        let file = SourceFile {
            path: p,
            display: "f".into(),
            format: Format::Jsonl,
            compression: c,
            split: Split::Train,
            size: stored.len() as u64,
            mtime: None,
        };
        let done = drop_ranges(&file, cuts, &sha, Vec::new()).unwrap();
        let mut out = Vec::new();
        match c {
            Compression::None => out = done.out,
            Compression::Gzip => {
                flate2::read::MultiGzDecoder::new(&done.out[..])
                    .read_to_end(&mut out)
                    .unwrap();
            }
            Compression::Zstd => {
                zstd::stream::read::Decoder::new(&done.out[..])
                    .unwrap()
                    .read_to_end(&mut out)
                    .unwrap();
            }
        }
        assert!(drop_ranges(&file, cuts, "0", Vec::new()).is_err());
        out
    }

    #[test]
    fn ranges_are_left_out_every_other_byte_kept() {
        let text = b"one\ntwo\r\nthree\nfour";
        for c in [Compression::None, Compression::Gzip, Compression::Zstd] {
            assert_eq!(copy(text, c, &[(4, 9), (15, 19)]), b"one\nthree\n");
            assert_eq!(copy(text, c, &[]), text);
            assert_eq!(copy(text, c, &[(0, 19)]), b"");
        }
    }
}
