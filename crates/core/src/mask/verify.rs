//! The built-in check with `--verify full`: the outputs read back and
//! scanned again, in the same run, by the same detectors over the same
//! fields (the default, in-line check is [`super::Verify::Inline`]). A masked type found in an output is
//! a residual finding (a replacement that joined its neighbours into a new
//! match, a record that could not be read back) and fails the run.

use std::collections::BTreeMap;

use crate::chunk::Chunk;
use crate::pipeline::{ChunkMap, Sink, ValueFinding, Worker};
use crate::source::produce::FileTail;
use crate::source::Raw;

/// Findings per detector index, per file.
#[derive(Debug, Default)]
pub struct Residual {
    pub per_file: Vec<BTreeMap<u16, u64>>,
    /// Files whose copy could not be read back whole.
    pub unreadable: Vec<Option<String>>,
}

impl Residual {
    pub fn new(files: usize) -> Residual {
        Residual {
            per_file: vec![BTreeMap::new(); files],
            unreadable: vec![None; files],
        }
    }
}

pub struct ResidualMap;

impl ChunkMap for ResidualMap {
    type Part = Vec<(u16, u64)>;

    fn map(
        &self,
        _file: usize,
        _chunk: &Chunk,
        _raw: Raw<'_>,
        found: &[ValueFinding],
        _worker: &mut Worker,
    ) -> Self::Part {
        let mut counts: BTreeMap<u16, u64> = BTreeMap::new();
        for f in found {
            *counts.entry(f.finding.detector).or_insert(0) += 1;
        }
        counts.into_iter().collect()
    }
}

impl Sink for Residual {
    type Map = ResidualMap;

    fn mapper(&self) -> ResidualMap {
        ResidualMap
    }

    fn fold(&mut self, file: usize, part: Vec<(u16, u64)>) {
        for (d, n) in part {
            *self.per_file[file].entry(d).or_insert(0) += n;
        }
    }

    fn file_done(&mut self, file: usize, tail: FileTail) {
        if tail.incomplete {
            let why: Vec<String> = tail.problems.iter().map(|p| p.message.clone()).collect();
            self.unreadable[file] = Some(why.join("; "));
        }
    }
}
