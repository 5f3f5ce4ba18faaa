//! The export file (`subject export --out FILE.jsonl`): the matched rows
//! themselves, for an access request. It holds raw personal data by the
//! user's explicit request, so it is created readable by its owner alone
//! (mode 0600) and published atomically when complete.

use std::io::{self, Write};
use std::path::Path;

use serde_json::Value;

use crate::util::atomic::AtomicFile;

/// JSON lines, one matched row each, in file and row order.
pub struct ExportWriter {
    file: AtomicFile,
    pub rows: u64,
}

impl ExportWriter {
    pub fn create(path: &Path) -> io::Result<ExportWriter> {
        Ok(ExportWriter {
            file: AtomicFile::create_private(path)?,
            rows: 0,
        })
    }

    pub fn write(&mut self, row: &Value) -> io::Result<()> {
        let w = self.file.writer();
        serde_json::to_writer(&mut *w, row).map_err(io::Error::from)?;
        w.write_all(b"\n")?;
        self.rows += 1;
        Ok(())
    }

    /// Flush, fsync and rename into place.
    pub fn finish(self) -> io::Result<()> {
        self.file.commit()
    }
}
