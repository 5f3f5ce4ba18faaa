//! Masked files on disk: one temp file per output in its final directory,
//! hashed as written, published by fsync and rename.

use std::io::{self, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::source::Compression;
use crate::util::atomic::AtomicFile;

/// An output file being streamed; dropped without [`OutFile::commit`] it
/// leaves nothing under any name.
pub struct OutFile {
    file: AtomicFile,
    hasher: Sha256,
    bytes: u64,
}

impl OutFile {
    /// Creates the parent directories and the temp file.
    pub fn create(path: &Path) -> io::Result<OutFile> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        Ok(OutFile {
            file: AtomicFile::create(path)?,
            hasher: Sha256::new(),
            bytes: 0,
        })
    }

    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hasher.update(bytes);
        self.bytes += bytes.len() as u64;
        self.file.writer().write_all(bytes)
    }

    /// Publishes the file; returns the SHA-256 and size of what was written.
    pub fn commit(self) -> io::Result<(String, u64)> {
        let sha = hex::encode(self.hasher.finalize());
        self.file.commit()?;
        Ok((sha, self.bytes))
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        OutFile::write(self, buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.writer().flush()
    }
}

/// `data` as a self-contained piece of a file compressed with `c`: a gzip
/// member or a zstd frame (a file of several is a valid stream of either),
/// so pieces compress on the workers, in parallel, and the output does not
/// depend on the thread count.
pub fn encode_piece(c: Compression, data: Vec<u8>) -> io::Result<Vec<u8>> {
    match c {
        Compression::None => Ok(data),
        Compression::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(
                Vec::with_capacity(data.len() / 3),
                flate2::Compression::default(),
            );
            enc.write_all(&data)?;
            enc.finish()
        }
        Compression::Zstd => zstd::bulk::compress(&data, 3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn pieces_concatenate_into_one_stream() {
        for c in [Compression::Gzip, Compression::Zstd] {
            let mut all = encode_piece(c, b"one\n".to_vec()).unwrap();
            all.extend(encode_piece(c, b"two\n".to_vec()).unwrap());
            let mut text = String::new();
            match c {
                Compression::Gzip => {
                    flate2::read::MultiGzDecoder::new(&all[..]).read_to_string(&mut text)
                }
                _ => zstd::stream::read::Decoder::new(&all[..])
                    .unwrap()
                    .read_to_string(&mut text),
            }
            .unwrap();
            assert_eq!(text, "one\ntwo\n");
        }
    }
}
