//! The one pipeline every command runs: files → jobs → chunks on all cores →
//! findings → sinks, merged in file and row order.
//!
//! Three roles run at once. The *producer* reads each file sequentially,
//! hashing and cutting it into jobs; a *rayon pool* of `threads` threads
//! parses each job into a chunk, runs the detectors and the sink's `map` on
//! it; the *merger* (a scoped thread) receives the results, puts them back in
//! job order and feeds them to the sink's `fold`. The producer runs on one of
//! the pool's threads and runs its own queued jobs whenever the window is
//! full, so `--threads N` is N busy threads with reading and hashing
//! included (one thread does everything with `--threads 1`; the merger only
//! folds small parts). At most `2 × threads + 2` jobs are in flight, which is
//! what bounds memory: chunk size × in-flight jobs, never the size of the
//! corpus. Because jobs are cut by byte count and merged by sequence number,
//! output is identical for any thread count.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};

use crate::chunk::Chunk;
use crate::detect::custom::Filter;
use crate::detect::{Finding, Scanner, Scratch};
use crate::fields::FieldRules;
use crate::shard::{FilePlan, ShardPlan};
use crate::source::jsonwalk::JsonWalker;
use crate::source::parse::parse_job_into;
use crate::source::produce::{self, FileTail, Job};
use crate::source::{parquet, Raw, SourceFile};
use crate::stats::VocabCounter;

/// Rows per Parquet batch (one chunk), at most: fewer where rows are wide
/// (see [`parquet::BATCH_BYTES`]). Decoded batches and their chunks are the
/// largest buffers of a Parquet scan: at 8,192 rows of ~1.8 KB the 1 GB
/// bench corpus peaked at 250–290 MB, at 4,096 at 161 MB, in the same time.
pub const PARQUET_BATCH_ROWS: usize = 4096;

/// A finding in a chunk: which value, and the detector's span in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueFinding {
    /// Index into [`Chunk::values`].
    pub value: u32,
    pub finding: Finding,
}

/// Per-thread reusable state for the map side of the pipeline.
pub struct Worker {
    pub scan: Scratch,
    pub vocab: VocabCounter,
    json: JsonWalker,
    /// The last chunk's buffers, emptied, for the next job's parse.
    spare: Chunk,
}

/// The map side of a sink: turns one chunk into a small, mergeable part.
/// Runs on any worker thread, in any order; must not depend on order.
/// `raw` is the input the chunk was read from, for sinks that write a copy
/// of it (see [`crate::source::write`]).
pub trait ChunkMap: Sync {
    type Part: Send;
    fn map(
        &self,
        file: usize,
        chunk: &Chunk,
        raw: Raw<'_>,
        findings: &[ValueFinding],
        worker: &mut Worker,
    ) -> Self::Part;

    /// Called on the thread that read Parquet row group `row_group` of
    /// `file`, once every batch of it has been mapped, with their parts in
    /// row order. A sink that writes a copy encodes the row group here, so
    /// that the heavy half of writing (decoding, compressing) runs on the
    /// pool, row groups in parallel, and the merger only appends.
    fn row_group_done(&self, _file: usize, _row_group: usize, _parts: &mut [Self::Part]) {}
}

/// A consumer of the pipeline: report aggregator, masker, subject matcher...
///
/// `fold` and `file_done` are called on one thread, in file order and, within
/// a file, in row order; `file_done` comes after every part of its file.
pub trait Sink {
    type Map: ChunkMap;
    fn mapper(&self) -> Self::Map;
    fn fold(&mut self, file: usize, part: <Self::Map as ChunkMap>::Part);
    /// `rows` rows of `file` that this run does not scan (row groups another
    /// shard scans), in their place among the parts: later rows keep their
    /// numbers in the whole file.
    fn rows_skipped(&mut self, _file: usize, _rows: u64) {}
    fn file_done(&mut self, file: usize, tail: FileTail);
}

/// How to run a scan.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    pub threads: usize,
    pub rules: FieldRules,
    /// Bytes read so far, for a progress display.
    pub progress: Arc<AtomicU64>,
    /// Allowlists and user entropy minimums.
    pub filter: Arc<Filter>,
}

enum Output<P> {
    Parts(usize, Vec<P>),
    Skipped(usize, u64),
    Tail(usize, FileTail),
}

/// Counts jobs in flight; the producer waits when the window is full.
struct Window {
    used: Mutex<usize>,
    freed: Condvar,
    limit: usize,
}

impl Window {
    /// Takes a slot. The producer runs on a pool thread (so that `--threads
    /// N` means N busy threads, reading and hashing included): while the
    /// window is full it runs the jobs it queued itself, and only waits
    /// once other threads hold them all. With one thread nothing else would
    /// ever run them.
    fn acquire(&self) {
        loop {
            {
                let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
                if *used < self.limit {
                    *used += 1;
                    return;
                }
            }
            if let Some(rayon::Yield::Executed) = rayon::yield_local() {
                continue;
            }
            let used = self.used.lock().unwrap_or_else(|p| p.into_inner());
            if *used >= self.limit {
                // Released by the merger or by a job on another thread.
                drop(self.freed.wait(used).unwrap_or_else(|p| p.into_inner()));
            }
        }
    }
    fn release(&self) {
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        *used = used.saturating_sub(1);
        self.freed.notify_one();
    }
}

/// Run the pipeline over `files`, feeding `sink`. Progress is only counted
/// (`opts.progress`); a display reads the counter from a thread of its own,
/// since no thread here can promise to call back at a steady rate.
pub fn run<S: Sink + Send>(
    files: &[SourceFile],
    scanner: &Scanner,
    opts: &PipelineOptions,
    sink: &mut S,
) -> Result<(), rayon::ThreadPoolBuildError> {
    run_shard(files, scanner, opts, None, sink)
}

/// [`run`] over one shard's part of `files` (`scour scan --shard`): files
/// the plan gives to other shards are not read, and split Parquet files
/// only in this shard's row groups (the others reach the sink as
/// [`Sink::rows_skipped`], so that rows keep their numbers).
pub fn run_shard<S: Sink + Send>(
    files: &[SourceFile],
    scanner: &Scanner,
    opts: &PipelineOptions,
    shard: Option<&ShardPlan>,
    sink: &mut S,
) -> Result<(), rayon::ThreadPoolBuildError> {
    let threads = opts.threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let window = Window {
        used: Mutex::new(0),
        freed: Condvar::new(),
        limit: 2 * threads + 2,
    };
    // At most `threads + 1` Parquet row groups are decoded at once: their
    // batches are the largest buffers of a scan, and a row-group job that
    // scans its batches on the pool (`map_parallel`) lets rayon start
    // another row-group job on the waiting thread, so without a limit more
    // decoders would join (peak RSS 306 MB on a 1 GB corpus before string
    // views). One more than `threads` keeps a decoded batch ready when a
    // thread frees up (1 GB corpus, 2 threads: 2.23 -> 2.17 s, peak RSS
    // 118 -> 135 MB). Only the producer waits here.
    let decoding = Window {
        used: Mutex::new(0),
        freed: Condvar::new(),
        limit: threads + 1,
    };
    let workers: Mutex<Vec<Worker>> = Mutex::new(Vec::new());
    // A row group job keeps `threads` batches pending while the pool scans
    // the previous ones.
    let spares = Spares {
        pool: Mutex::new(Vec::new()),
        limit: threads + 1,
    };
    // Enough spare job buffers for the jobs in flight.
    let buffers = produce::Buffers::new(window.limit + 1);
    let mapper = sink.mapper();
    let (tx, rx) = mpsc::channel::<(u64, Output<<S::Map as ChunkMap>::Part>)>();

    std::thread::scope(|scope| {
        let window = &window;
        let decoding = &decoding;
        let buffers = &buffers;
        // The merger: reorder and fold.
        scope.spawn(move || {
            let mut pending = BTreeMap::new();
            let mut next: u64 = 0;
            while let Ok((seq, out)) = rx.recv() {
                pending.insert(seq, out);
                while let Some(out) = pending.remove(&next) {
                    match out {
                        Output::Parts(file, parts) => {
                            for p in parts {
                                sink.fold(file, p);
                            }
                            window.release();
                        }
                        Output::Skipped(file, rows) => sink.rows_skipped(file, rows),
                        Output::Tail(file, tail) => sink.file_done(file, tail),
                    }
                    next += 1;
                }
            }
        });

        // The producer, on a pool thread, spawning parse+scan work on the pool.
        pool.scope(|pool_scope| {
            // Sequence numbers of jobs and file tails, in the merger's order.
            let seq = std::cell::Cell::new(0u64);
            let next = || seq.replace(seq.get() + 1);
            let spawn_job = |file_idx: usize, file: &SourceFile, job: Job, seq: u64| {
                window.acquire();
                let tx = tx.clone();
                let mapper = &mapper;
                let workers = &workers;
                let spares = &spares;
                let rules = &opts.rules;
                let filter = &*opts.filter;
                let path: PathBuf = file.path.clone();
                pool_scope.spawn(move |_| {
                    let mut worker = take_worker(workers, scanner);
                    let mut parts = Vec::new();
                    let mut process = |chunk: Chunk, raw: Raw<'_>, worker: &mut Worker| {
                        let found = detect_chunk(scanner, filter, &chunk, worker);
                        parts.push(mapper.map(file_idx, &chunk, raw, &found, worker));
                        worker.spare = chunk.recycle(2 * produce::CHUNK_BYTES);
                    };
                    match &job {
                        Job::ParquetRowGroup { row_group } => {
                            // A row group can be large (100k+ rows) and a
                            // file may have only one: decode batches here
                            // and scan a window of them on the whole pool.
                            let mut pending = Vec::new();
                            let flush = |pending: &mut Vec<Chunk>, parts: &mut Vec<_>| {
                                let batch = std::mem::take(pending);
                                parts.extend(map_parallel(
                                    batch, scanner, filter, mapper, file_idx, workers, spares,
                                ));
                            };
                            parquet::read_row_group_into(
                                &path,
                                *row_group,
                                rules,
                                PARQUET_BATCH_ROWS,
                                &mut || spares.take(),
                                &mut |c| {
                                    pending.push(c);
                                    if pending.len() >= threads {
                                        flush(&mut pending, &mut parts);
                                    }
                                },
                            );
                            flush(&mut pending, &mut parts);
                            // Within the decoding window: a copy's encoder
                            // decodes the row group again.
                            mapper.row_group_done(file_idx, *row_group, &mut parts);
                            decoding.release();
                        }
                        _ => {
                            let spare = std::mem::take(&mut worker.spare);
                            let chunk = parse_job_into(&job, rules, &mut worker.json, spare);
                            process(chunk, Raw::Job(&job), &mut worker);
                            if let Some(data) = job.into_data() {
                                buffers.give(data);
                            }
                        }
                    }
                    workers
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(worker);
                    let _ = tx.send((seq, Output::Parts(file_idx, parts)));
                });
            };
            for (file_idx, file) in files.iter().enumerate() {
                let mut send = |job: Job| {
                    if matches!(job, Job::ParquetRowGroup { .. }) {
                        decoding.acquire();
                    }
                    spawn_job(file_idx, file, job, next());
                };
                // Every format is read through one call; only how a job
                // runs differs (a text job parses whole, a row group
                // streams its batches onto the pool).
                let tail = match shard.and_then(|s| s.files.get(file_idx)) {
                    None | Some(FilePlan::Whole) => {
                        produce::produce(file, &opts.progress, buffers, &mut send)
                    }
                    Some(FilePlan::Skip) => continue,
                    Some(FilePlan::RowGroups { owned, rows, tail }) => {
                        parquet::produce_parts(file, &opts.progress, *tail, &mut |job| {
                            if let Job::ParquetRowGroup { row_group } = job {
                                if !owned.get(row_group).copied().unwrap_or(false) {
                                    let n = rows.get(row_group).copied().unwrap_or(0);
                                    let _ = tx.send((next(), Output::Skipped(file_idx, n)));
                                    return;
                                }
                            }
                            send(job)
                        })
                    }
                };
                let _ = tx.send((next(), Output::Tail(file_idx, tail)));
            }
        });
        drop(tx);
    });
    Ok(())
}

/// A batch of rows held in memory, or why the next one could not be had.
pub type BatchItem = Result<arrow_array::RecordBatch, String>;

/// Run the pipeline over Arrow record batches in memory (the Python
/// package's `scan_batch`) as the rows of the sink's file `file`: each
/// batch is cut into slices of at most [`PARQUET_BATCH_ROWS`] rows (views,
/// not copies; fewer rows where they are wide), each slice becomes a chunk
/// as a Parquet batch does, is scanned on `pool` and folded in order. Items
/// are pulled `2 × threads` slices at a time, so memory is bounded by that
/// window, not by the input. An `Err` item is a problem of the file at the
/// row reached, and the rows after it are still read.
pub fn run_batches<S: Sink>(
    batches: &mut dyn Iterator<Item = BatchItem>,
    file: usize,
    scanner: &Scanner,
    opts: &PipelineOptions,
    pool: &rayon::ThreadPool,
    sink: &mut S,
) {
    use rayon::prelude::*;
    let mapper = sink.mapper();
    let workers: Mutex<Vec<Worker>> = Mutex::new(Vec::new());
    let window = 2 * pool.current_num_threads().max(1);
    let filter = &*opts.filter;
    let mut current: Option<(arrow_array::RecordBatch, usize, usize)> = None;
    let mut pending: Vec<BatchItem> = Vec::with_capacity(window);
    loop {
        while pending.len() < window {
            if let Some((batch, at, step)) = &mut current {
                if *at < batch.num_rows() {
                    let len = (*step).min(batch.num_rows() - *at);
                    pending.push(Ok(batch.slice(*at, len)));
                    *at += len;
                    continue;
                }
                current = None;
            }
            match batches.next() {
                None => break,
                Some(Err(e)) => pending.push(Err(e)),
                Some(Ok(b)) => {
                    let bytes = b.get_array_memory_size() as u64;
                    let step =
                        parquet::rows_within_bytes(PARQUET_BATCH_ROWS, b.num_rows() as u64, bytes);
                    current = Some((b, 0, step));
                }
            }
        }
        if pending.is_empty() {
            return;
        }
        let parts: Vec<_> = pool.install(|| {
            pending
                .par_drain(..)
                .map(|item| {
                    let mut worker = take_worker(&workers, scanner);
                    let chunk = match item
                        .and_then(|b| parquet::fill_chunk_into(&b, &opts.rules, Chunk::default()))
                    {
                        Ok(chunk) => chunk,
                        Err(message) => {
                            let mut chunk = Chunk::default();
                            chunk.push_error(None, Some(0), message);
                            chunk
                        }
                    };
                    let found = detect_chunk(scanner, filter, &chunk, &mut worker);
                    let part = mapper.map(file, &chunk, Raw::Batch, &found, &mut worker);
                    workers
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(worker);
                    part
                })
                .collect()
        });
        for p in parts {
            sink.fold(file, p);
        }
    }
}

fn take_worker(workers: &Mutex<Vec<Worker>>, scanner: &Scanner) -> Worker {
    let reused = workers.lock().unwrap_or_else(|p| p.into_inner()).pop();
    reused.unwrap_or_else(|| Worker {
        scan: scanner.scratch(),
        vocab: VocabCounter::new(),
        json: JsonWalker::new(),
        spare: Chunk::default(),
    })
}

/// Detect and map several chunks on the pool, keeping their order.
#[allow(clippy::too_many_arguments)]
fn map_parallel<M: ChunkMap>(
    chunks: Vec<Chunk>,
    scanner: &Scanner,
    filter: &Filter,
    mapper: &M,
    file_idx: usize,
    workers: &Mutex<Vec<Worker>>,
    spares: &Spares,
) -> Vec<M::Part> {
    use rayon::prelude::*;
    chunks
        .into_par_iter()
        .map(|chunk| {
            let mut worker = take_worker(workers, scanner);
            let found = detect_chunk(scanner, filter, &chunk, &mut worker);
            let part = mapper.map(file_idx, &chunk, Raw::Batch, &found, &mut worker);
            workers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(worker);
            spares.give(chunk);
            part
        })
        .collect()
}

/// Emptied Parquet chunks for the next batches to be decoded into (see
/// [`parquet::read_row_group_into`]); at most `limit` are kept.
struct Spares {
    pool: Mutex<Vec<Chunk>>,
    limit: usize,
}

impl Spares {
    fn take(&self) -> Chunk {
        self.pool
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_default()
    }

    fn give(&self, chunk: Chunk) {
        let chunk = chunk.recycle(2 * parquet::BATCH_BYTES as usize);
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < self.limit {
            pool.push(chunk);
        }
    }
}

/// Run every detector over every value of a chunk: one
/// [`Scanner::scan_many`] call over the chunk's text buffer, so that the
/// engine screens all the values in one pass and only values that may hold
/// a candidate are scanned one by one.
fn detect_chunk(
    scanner: &Scanner,
    filter: &Filter,
    chunk: &Chunk,
    worker: &mut Worker,
) -> Vec<ValueFinding> {
    let mut out = Vec::new();
    scanner.scan_many(
        &chunk.text,
        &chunk.values[..],
        &mut worker.scan,
        |i, text, found| {
            out.extend(
                found
                    .iter()
                    .filter(|f| filter.keep(scanner.detectors(), text, f))
                    .map(|&finding| ValueFinding {
                        value: i as u32,
                        finding,
                    }),
            );
        },
    );
    out
}
