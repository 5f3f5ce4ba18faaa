//! Bounded token counting: the per-chunk hash table and the mergeable
//! Misra–Gries summary.
//!
//! ## The summary ([`Mg`])
//! A Misra–Gries summary with capacity `k` holds at most `k` (token, count)
//! entries. Two summaries merge as in Agarwal et al., *Mergeable Summaries*
//! (PODS 2012): add the counters of equal tokens; if more than `k` remain,
//! subtract the (k+1)-th largest counter `d` from every counter and drop the
//! ones that are no longer positive. The sum of all such `d` (including those
//! of the parts merged in) is kept as [`Mg::error`]. For every token `x` with
//! true count `f(x)` and summary count `f̂(x)` (0 when absent):
//!
//! * `f(x) - error <= f̂(x) <= f(x)`: counts are never over-estimated and are
//!   under-estimated by at most `error`;
//! * `error <= (n - Σ f̂) / (k + 1) <= n / (k + 1)` for `n` tokens counted,
//!   because each subtraction of `d` removes at least `(k + 1) * d` from the
//!   total held by the counters;
//! * every token with `f(x) > error` is present;
//! * `error == 0` means nothing was ever dropped: the counts are exact and
//!   the summary holds every distinct token.
//!
//! Tokens are keyed by their 64-bit hash; two different tokens with equal
//! hashes (probability about `v² / 2^65` for `v` distinct tokens) would be
//! counted as one.
//!
//! ## The chunk table ([`ChunkTable`])
//! Exact counting of one chunk's tokens in an open-addressing table keyed by
//! the token hash, linear probing from the slot named by the hash's top bits,
//! at most half full. Each distinct token's
//! display string (lower-cased, at most 64 bytes) is copied once into an arena
//! when it is first seen. The table holds at most `limit` distinct tokens; the
//! counter spills it into a summary before that is exceeded. Draining it
//! yields a summary sorted by hash and clears the used slots.

use super::hll::Hll;

/// One counter of a summary; its display string is `arena[off..off + len]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    pub hash: u64,
    pub count: u64,
    pub off: u32,
    pub len: u32,
}

/// Arena garbage allowed before compaction, beyond the live bytes.
const ARENA_SLACK: usize = 1 << 16;

/// A mergeable Misra–Gries summary (see the module documentation).
///
/// Entries are kept sorted by hash (hashes are distinct), so two summaries
/// merge in one linear pass, and the result is a deterministic function of
/// the two operands. A merge appends the other summary's string arena in one
/// copy; strings of merged or dropped entries become garbage, and the arena is
/// compacted once garbage exceeds the live bytes (plus 64 KiB), so it stays
/// below `2 * live + 64 KiB + the last part's arena`. Scratch vectors are kept,
/// so steady-state merging allocates nothing but the appended arena's growth.
#[derive(Debug, Clone, Default)]
pub(crate) struct Mg {
    entries: Vec<Entry>,
    arena: Vec<u8>,
    /// Sum of `len` over `entries`.
    live: usize,
    error: u64,
    spare_entries: Vec<Entry>,
    spare_arena: Vec<u8>,
    counts: Vec<u64>,
}

impl Mg {
    /// A summary of exact counts. `entries` must be sorted by hash, distinct.
    fn from_sorted(entries: Vec<Entry>, arena: Vec<u8>) -> Mg {
        debug_assert!(entries.windows(2).all(|w| w[0].hash < w[1].hash));
        let live = entries.iter().map(|e| e.len as usize).sum();
        Mg {
            entries,
            arena,
            live,
            ..Mg::default()
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn error(&self) -> u64 {
        self.error
    }

    /// Entries, sorted by hash.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    #[cfg(test)]
    pub fn arena_len(&self) -> usize {
        self.arena.len()
    }

    /// Heap bytes held, scratch included.
    pub fn heap_bytes(&self) -> usize {
        (self.entries.capacity() + self.spare_entries.capacity()) * std::mem::size_of::<Entry>()
            + self.arena.capacity()
            + self.spare_arena.capacity()
            + self.counts.capacity() * 8
    }

    pub fn token(&self, e: &Entry) -> &[u8] {
        &self.arena[e.off as usize..(e.off + e.len) as usize]
    }

    /// The count held for `hash` (0 if absent).
    pub fn get(&self, hash: u64) -> u64 {
        match self.entries.binary_search_by_key(&hash, |e| e.hash) {
            Ok(i) => self.entries[i].count,
            Err(_) => 0,
        }
    }

    /// The summary as (hash, count, token length) triples in hash order, the
    /// tokens concatenated in that order, and the error: what a scan state
    /// stores.
    pub fn export(&self) -> (Vec<[u64; 3]>, Vec<u8>, u64) {
        let mut tokens = Vec::with_capacity(self.live);
        let entries = self
            .entries
            .iter()
            .map(|e| {
                tokens.extend_from_slice(self.token(e));
                [e.hash, e.count, e.len as u64]
            })
            .collect();
        (entries, tokens, self.error)
    }

    /// The inverse of [`export`](Self::export); `None` when the parts do not
    /// fit together (hashes out of order, lengths past the tokens).
    pub fn import(entries: &[[u64; 3]], tokens: Vec<u8>, error: u64) -> Option<Mg> {
        if tokens.len() > u32::MAX as usize {
            return None;
        }
        let mut off = 0u64;
        let mut out = Vec::with_capacity(entries.len());
        for (i, &[hash, count, len]) in entries.iter().enumerate() {
            if i > 0 && entries[i - 1][0] >= hash {
                return None;
            }
            if off + len > tokens.len() as u64 {
                return None;
            }
            out.push(Entry {
                hash,
                count,
                off: off as u32,
                len: len as u32,
            });
            off += len;
        }
        let mut mg = Mg::from_sorted(out, tokens);
        mg.error = error;
        Some(mg)
    }

    /// Adds `other` into `self` and prunes to `capacity` entries.
    pub fn merge(&mut self, mut other: Mg, capacity: usize) {
        if self.entries.is_empty() && self.error == 0 {
            // Adopt the other summary, keeping our scratch.
            std::mem::swap(&mut self.entries, &mut other.entries);
            std::mem::swap(&mut self.arena, &mut other.arena);
            self.live = other.live;
            self.error = other.error;
            self.prune(capacity);
            return;
        }
        let base = self.arena.len();
        assert!(
            base + other.arena.len() <= u32::MAX as usize,
            "summary arena exceeds 4 GiB"
        );
        self.arena.extend_from_slice(&other.arena);
        let base = base as u32;
        let mut out = std::mem::take(&mut self.spare_entries);
        out.clear();
        out.reserve_exact(self.entries.len() + other.entries.len());
        let (a, b) = (&self.entries, &other.entries);
        let (mut i, mut j) = (0, 0);
        let mut live = 0usize;
        while i < a.len() && j < b.len() {
            let (x, y) = (a[i], b[j]);
            let e = if x.hash < y.hash {
                i += 1;
                x
            } else if x.hash > y.hash {
                j += 1;
                Entry {
                    off: y.off + base,
                    ..y
                }
            } else {
                i += 1;
                j += 1;
                Entry {
                    count: x.count + y.count,
                    ..x
                }
            };
            live += e.len as usize;
            out.push(e);
        }
        for &x in &a[i..] {
            live += x.len as usize;
            out.push(x);
        }
        for &y in &b[j..] {
            live += y.len as usize;
            out.push(Entry {
                off: y.off + base,
                ..y
            });
        }
        self.spare_entries = std::mem::replace(&mut self.entries, out);
        self.live = live;
        self.error += other.error;
        self.prune(capacity);
    }

    /// If more than `capacity` entries are held, subtracts the
    /// (capacity+1)-th largest count `d` from all, drops the non-positive ones
    /// and adds `d` to the error. Entry order is preserved. Compacts the arena
    /// when its garbage exceeds the live bytes plus [`ARENA_SLACK`].
    pub fn prune(&mut self, capacity: usize) {
        assert!(capacity >= 1, "summary capacity must be at least 1");
        if self.entries.len() > capacity {
            self.counts.clear();
            self.counts.extend(self.entries.iter().map(|e| e.count));
            let (_, &mut d, _) = self
                .counts
                .select_nth_unstable_by(capacity, |a, b| b.cmp(a));
            let mut live = 0usize;
            self.entries.retain_mut(|e| {
                if e.count <= d {
                    return false;
                }
                e.count -= d;
                live += e.len as usize;
                true
            });
            self.live = live;
            self.error += d;
        }
        if self.arena.len() > 2 * self.live + ARENA_SLACK {
            self.compact();
        }
    }

    /// Compacts the arena if it holds more than [`ARENA_SLACK`] of garbage
    /// (used before a summary is handed on as a part).
    pub fn tighten(&mut self) {
        if self.arena.len() > self.live + ARENA_SLACK {
            self.compact();
        }
    }

    /// An upper bound of [`Mg::heap_bytes`] for a summary of capacity `k`
    /// into which only parts of capacity `k` that were [`Mg::tighten`]ed (or
    /// drained from a table) are merged: entries and their scratch hold at
    /// most `2k` entries (the merge result before pruning), the arena at most
    /// `2·live + slack + the part's live + slack` bytes with live ≤ 64k,
    /// twice that in capacity, and the scratch arena `2·live + slack`.
    pub fn heap_bound(k: usize) -> usize {
        let strings = k * crate::stats::tokens::MAX_TOKEN_BYTES;
        2 * (2 * k * std::mem::size_of::<Entry>())
            + 2 * (2 * k * 8)
            + 2 * (3 * strings + 2 * ARENA_SLACK)
            + (2 * strings + ARENA_SLACK)
    }

    /// Rewrites the arena to hold exactly the live strings.
    fn compact(&mut self) {
        let mut arena = std::mem::take(&mut self.spare_arena);
        arena.clear();
        arena.reserve(self.live);
        for e in &mut self.entries {
            let (s, n) = (e.off as usize, e.len as usize);
            e.off = arena.len() as u32;
            arena.extend_from_slice(&self.arena[s..s + n]);
        }
        self.spare_arena = std::mem::replace(&mut self.arena, arena);
        // Do not keep a large scratch arena around after a big compaction.
        self.spare_arena.clear();
        self.spare_arena.shrink_to(2 * self.live + ARENA_SLACK);
    }
}

#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
struct Slot {
    hash: u64,
    /// Count in the low 24 bits, display length (3..=64) in the high 8;
    /// 0 = empty.
    count_len: u32,
    /// Arena offset of the display string.
    off: u32,
}

const COUNT_BITS: u32 = 24;
const COUNT_MASK: u32 = (1 << COUNT_BITS) - 1;

/// Exact per-chunk counts (see the module documentation).
///
/// A slot's home is given by the *top* bits of the hash, so the slot array,
/// read in order, is nearly sorted by hash; draining it needs only an
/// insertion sort.
#[derive(Debug, Clone)]
pub(crate) struct ChunkTable {
    slots: Vec<Slot>,
    /// `64 - log2(slots.len())`.
    shift: u32,
    /// Slot index of every used slot (valid only while it is short; see `drain`).
    used: Vec<u32>,
    distinct: usize,
    /// Display strings of the distinct tokens, back to back.
    arena: Vec<u8>,
    limit: usize,
    max_slots: usize,
    /// Tokens counted since the last clear.
    tokens: u64,
}

/// Result of looking a hash up in the table.
pub(crate) enum Probe {
    /// The token was present and has been counted.
    Counted,
    /// The token is new; insert it at this slot (if the table is not full).
    Vacant(usize),
}

const INITIAL_SLOTS: usize = 1 << 12;
/// `used` is maintained only up to this many entries; beyond, drains scan.
const USED_MAX: usize = 1 << 10;

impl ChunkTable {
    /// Tokens a table may count before it must be drained (slot counts are
    /// 24-bit).
    pub const MAX_TOKENS: u64 = COUNT_MASK as u64;

    /// A table for at most `limit` distinct tokens (`limit >= 1`).
    pub fn new(limit: usize) -> Self {
        let max_slots = (limit.max(1) * 2).next_power_of_two().max(2);
        let n = INITIAL_SLOTS.min(max_slots);
        ChunkTable {
            slots: vec![Slot::default(); n],
            shift: 64 - n.trailing_zeros(),
            used: Vec::with_capacity(USED_MAX),
            distinct: 0,
            arena: Vec::new(),
            limit: limit.max(1),
            max_slots,
            tokens: 0,
        }
    }

    pub fn distinct(&self) -> usize {
        self.distinct
    }

    pub fn tokens(&self) -> u64 {
        self.tokens
    }

    pub fn is_full(&self) -> bool {
        self.distinct >= self.limit
    }

    /// Current number of slots.
    pub fn slots(&self) -> usize {
        self.slots.len()
    }

    /// An upper bound of [`ChunkTable::heap_bytes`] for `limit` distinct
    /// tokens: the largest slot array, the used list, and an arena of at most
    /// `64 * limit` bytes (twice that in capacity).
    pub fn heap_bound(limit: usize) -> usize {
        let slots = (limit.max(1) * 2).next_power_of_two().max(2);
        slots * std::mem::size_of::<Slot>()
            + USED_MAX * 4
            + 2 * limit * crate::stats::tokens::MAX_TOKEN_BYTES
    }

    /// Bytes held by the table and its arena (capacity, not length).
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.used.capacity() * 4
            + self.arena.capacity()
    }

    #[inline(always)]
    fn home(&self, hash: u64) -> usize {
        (hash >> self.shift) as usize
    }

    /// Hints the CPU to fetch the home slot of `hash`.
    #[inline(always)]
    pub fn prefetch(&self, hash: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let p = self.slots.as_ptr().wrapping_add(self.home(hash));
            // SAFETY: a prefetch is only a hint and never faults; SSE is
            // part of the x86_64 baseline.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p as *const i8) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = hash;
    }

    /// Counts `hash` if present. The caller keeps `tokens() < MAX_TOKENS`.
    #[inline(always)]
    pub fn probe(&mut self, hash: u64) -> Probe {
        debug_assert!(self.tokens < Self::MAX_TOKENS);
        self.tokens += 1;
        let mask = self.slots.len() - 1;
        let mut i = self.home(hash);
        loop {
            let s = &mut self.slots[i];
            if s.count_len == 0 {
                return Probe::Vacant(i);
            }
            if s.hash == hash {
                s.count_len += 1;
                return Probe::Counted;
            }
            i = (i + 1) & mask;
        }
    }

    /// Inserts a new token at the slot returned by [`ChunkTable::probe`] with
    /// count 1. `display` is its lower-cased form, 3..=64 bytes; `fold`
    /// applies `| 0x20` (ASCII tokens as written). The caller ensures
    /// `!is_full()`. May grow the table, which invalidates slot indices.
    #[inline]
    pub fn insert(&mut self, slot: usize, hash: u64, display: &[u8], fold: bool) {
        debug_assert!(!self.is_full());
        debug_assert!((1..=255).contains(&display.len()));
        let off = self.arena.len() as u32;
        if fold {
            self.arena.extend(display.iter().map(|b| b | 0x20));
        } else {
            self.arena.extend_from_slice(display);
        }
        self.slots[slot] = Slot {
            hash,
            count_len: (display.len() as u32) << COUNT_BITS | 1,
            off,
        };
        if self.distinct < USED_MAX {
            self.used.push(slot as u32);
        }
        self.distinct += 1;
        if self.distinct * 2 > self.slots.len() && self.slots.len() < self.max_slots {
            self.grow();
        }
    }

    #[cold]
    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        let n = old.len() * 2;
        self.slots = vec![Slot::default(); n];
        self.shift = 64 - n.trailing_zeros();
        let mask = n - 1;
        self.used.clear();
        for s in old.into_iter().filter(|s| s.count_len != 0) {
            let mut i = self.home(s.hash);
            while self.slots[i].count_len != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = s;
            if self.used.len() < USED_MAX {
                self.used.push(i as u32);
            }
        }
    }

    /// Moves the table's exact counts into a summary (sorted by hash) pruned
    /// to `capacity`, adds every distinct hash to `hll`, and clears the table.
    pub fn drain(&mut self, capacity: usize, hll: &mut Hll) -> Mg {
        let mut entries = Vec::with_capacity(self.distinct);
        fn take(s: &mut Slot, entries: &mut Vec<Entry>) {
            entries.push(Entry {
                hash: s.hash,
                count: (s.count_len & COUNT_MASK) as u64,
                off: s.off,
                len: s.count_len >> COUNT_BITS,
            });
            s.count_len = 0;
        }
        if self.distinct <= USED_MAX {
            for &u in &self.used {
                take(&mut self.slots[u as usize], &mut entries);
            }
            entries.sort_unstable_by_key(|e| e.hash);
        } else {
            // Scan in slot order. Entries of the first cluster whose home is
            // past their slot wrapped around the end: they go last.
            let shift = self.shift;
            let mut wrapped = Vec::new();
            let mut i = 0;
            while i < self.slots.len() && self.slots[i].count_len != 0 {
                let s = &mut self.slots[i];
                if (s.hash >> shift) as usize > i {
                    take(s, &mut wrapped);
                } else {
                    take(s, &mut entries);
                }
                i += 1;
            }
            // The rest without a data-dependent branch: write every slot at
            // the end of `entries`, advance only past occupied ones.
            let mut n = entries.len();
            entries.resize(self.distinct + 1, Entry::default());
            for s in &mut self.slots[i..] {
                entries[n] = Entry {
                    hash: s.hash,
                    count: (s.count_len & COUNT_MASK) as u64,
                    off: s.off,
                    len: s.count_len >> COUNT_BITS,
                };
                n += (s.count_len != 0) as usize;
                s.count_len = 0;
            }
            entries.truncate(n);
            entries.append(&mut wrapped);
            insertion_sort_by_hash(&mut entries);
        }
        for e in &entries {
            hll.insert(e.hash);
        }
        let mut mg = Mg::from_sorted(entries, self.arena.clone());
        mg.prune(capacity);
        self.used.clear();
        self.distinct = 0;
        self.arena.clear();
        self.tokens = 0;
        mg
    }
}

/// Sorts nearly sorted entries (each at most a probe cluster away from its
/// place) in `O(n + inversions)`.
fn insertion_sort_by_hash(v: &mut [Entry]) {
    for i in 1..v.len() {
        let x = v[i];
        let mut j = i;
        while j > 0 && v[j - 1].hash > x.hash {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mg_of(items: &[(&str, u64)]) -> Mg {
        let mut entries = Vec::new();
        let mut arena = Vec::new();
        for (t, c) in items {
            entries.push(Entry {
                hash: crate::stats::tokens::token_hash(t.as_bytes()),
                count: *c,
                off: arena.len() as u32,
                len: t.len() as u32,
            });
            arena.extend_from_slice(t.as_bytes());
        }
        entries.sort_by_key(|e| e.hash);
        Mg::from_sorted(entries, arena)
    }

    fn as_vec(mg: &Mg) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = mg
            .entries()
            .iter()
            .map(|e| (String::from_utf8(mg.token(e).to_vec()).unwrap(), e.count))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn merge_adds_and_prunes_by_k_plus_first() {
        let mut a = mg_of(&[("aaa", 10), ("bbb", 5), ("ccc", 2)]);
        let b = mg_of(&[("bbb", 1), ("ddd", 3), ("eee", 1)]);
        a.merge(b, 10);
        assert_eq!(
            as_vec(&a),
            [
                ("aaa".into(), 10),
                ("bbb".into(), 6),
                ("ccc".into(), 2),
                ("ddd".into(), 3),
                ("eee".into(), 1)
            ]
        );
        assert_eq!(a.error(), 0);
        // Capacity 2: counts 10,6,3,2,1 -> d = 3 (third largest).
        a.prune(2);
        assert_eq!(as_vec(&a), [("aaa".into(), 7), ("bbb".into(), 3)]);
        assert_eq!(a.error(), 3);
        // Small arenas are not compacted (garbage below the slack).
        assert_eq!(a.arena_len(), 18);
        a.compact();
        assert_eq!(a.arena_len(), 6);
        assert_eq!(as_vec(&a), [("aaa".into(), 7), ("bbb".into(), 3)]);
        // Merging after a prune still finds existing entries.
        a.merge(mg_of(&[("aaa", 1), ("zzz", 1)]), 2);
        assert_eq!(as_vec(&a), [("aaa".into(), 7), ("bbb".into(), 2)]);
        assert_eq!(a.error(), 4);
    }

    #[test]
    fn ties_at_the_boundary_drop_all_tied() {
        let mut a = mg_of(&[("aaa", 4), ("bbb", 4), ("ccc", 4)]);
        a.prune(2);
        assert_eq!(a.len(), 0);
        assert_eq!(a.error(), 4);
    }

    #[test]
    fn table_counts_grows_and_drains() {
        let mut t = ChunkTable::new(100_000);
        let mut hll = Hll::default();
        for round in 0..3u64 {
            for i in 0..10_000u64 {
                let s = format!("t{i}");
                let h = crate::stats::tokens::token_hash(s.as_bytes());
                match t.probe(h) {
                    Probe::Counted => assert!(round > 0),
                    Probe::Vacant(slot) => {
                        assert_eq!(round, 0);
                        t.insert(slot, h, s.as_bytes(), false)
                    }
                }
            }
        }
        assert_eq!(t.distinct(), 10_000);
        assert_eq!(t.tokens(), 30_000);
        let mg = t.drain(1_000_000, &mut hll);
        assert_eq!(mg.len(), 10_000);
        assert!(mg.entries().iter().all(|e| e.count == 3));
        assert!(mg.entries().windows(2).all(|w| w[0].hash < w[1].hash));
        let h7 = crate::stats::tokens::token_hash(b"t7");
        let e7 = mg.entries().iter().find(|e| e.hash == h7).unwrap();
        assert_eq!(mg.token(e7), b"t7");
        assert_eq!(mg.get(h7), 3);
        assert_eq!(t.distinct(), 0);
        assert_eq!(t.tokens(), 0);
        assert!((hll.estimate() - 10_000.0).abs() < 200.0);
    }
}
