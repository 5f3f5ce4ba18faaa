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
//! the token hash, linear probing, at most half full. Each distinct token's
//! display string (lower-cased, at most 64 bytes) is copied once into an arena
//! when it is first seen. The table holds at most `limit` distinct tokens; the
//! counter spills it into a summary before that is exceeded. Clearing touches
//! only the used slots.

use super::hll::Hll;

/// One counter of a summary; its display string is `arena[off..off + len]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub hash: u64,
    pub count: u64,
    pub off: u32,
    pub len: u32,
}

/// Open-addressing index from hash to entry position (u32::MAX = empty).
#[derive(Debug, Clone, Default)]
struct Index {
    slots: Vec<u32>,
}

impl Index {
    const EMPTY: u32 = u32::MAX;

    fn rebuild(&mut self, entries: &[Entry], min_entries: usize) {
        let want = (min_entries.max(entries.len()).max(8) * 2).next_power_of_two();
        if self.slots.len() < want {
            self.slots = vec![Self::EMPTY; want];
        } else {
            self.slots.fill(Self::EMPTY);
        }
        for (i, e) in entries.iter().enumerate() {
            self.insert_new(e.hash, i as u32);
        }
    }

    #[inline]
    fn find_or_slot(&self, hash: u64, entries: &[Entry]) -> Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let s = self.slots[i];
            if s == Self::EMPTY {
                return Err(i);
            }
            if entries[s as usize].hash == hash {
                return Ok(s as usize);
            }
            i = (i + 1) & mask;
        }
    }

    fn insert_new(&mut self, hash: u64, pos: u32) {
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        while self.slots[i] != Self::EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = pos;
    }
}

/// A mergeable Misra–Gries summary (see the module documentation).
#[derive(Debug, Clone, Default)]
pub(crate) struct Mg {
    entries: Vec<Entry>,
    arena: Vec<u8>,
    error: u64,
    /// Built on first merge into this summary; valid while `indexed`.
    index: Index,
    indexed: bool,
}

impl Mg {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn error(&self) -> u64 {
        self.error
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn arena_len(&self) -> usize {
        self.arena.len()
    }

    pub fn token(&self, e: &Entry) -> &[u8] {
        &self.arena[e.off as usize..(e.off + e.len) as usize]
    }

    /// Adds `other` into `self` and prunes to `capacity` entries.
    ///
    /// Entries new to `self` are appended in `other`'s order, so the result is
    /// a deterministic function of the two operands.
    pub fn merge(&mut self, other: &Mg, capacity: usize) {
        if self.entries.is_empty() && self.error == 0 && !self.indexed {
            // Fast path: adopt the other summary (its hashes are distinct).
            self.entries.clone_from(&other.entries);
            self.arena.clone_from(&other.arena);
            self.error = other.error;
            self.prune(capacity);
            return;
        }
        let need = self.entries.len() + other.entries.len();
        if !self.indexed || self.index.slots.len() < need * 2 {
            self.index.rebuild(&self.entries, need);
            self.indexed = true;
        }
        for e in &other.entries {
            match self.index.find_or_slot(e.hash, &self.entries) {
                Ok(i) => self.entries[i].count += e.count,
                Err(slot) => {
                    let off = self.arena.len() as u32;
                    self.arena.extend_from_slice(other.token(e));
                    self.index.slots[slot] = self.entries.len() as u32;
                    self.entries.push(Entry {
                        hash: e.hash,
                        count: e.count,
                        off,
                        len: e.len,
                    });
                }
            }
        }
        self.error += other.error;
        self.prune(capacity);
    }

    /// If more than `capacity` entries are held, subtracts the (capacity+1)-th
    /// largest count from all, drops the non-positive ones and compacts the
    /// arena. Entry order is preserved.
    pub fn prune(&mut self, capacity: usize) {
        assert!(capacity >= 1, "summary capacity must be at least 1");
        if self.entries.len() <= capacity {
            return;
        }
        let mut counts: Vec<u64> = self.entries.iter().map(|e| e.count).collect();
        let (_, &mut d, _) = counts.select_nth_unstable_by(capacity, |a, b| b.cmp(a));
        let mut arena = Vec::with_capacity(self.arena.len().min(capacity * 65));
        let old = std::mem::take(&mut self.arena);
        self.entries.retain_mut(|e| {
            if e.count <= d {
                return false;
            }
            e.count -= d;
            let s = &old[e.off as usize..(e.off + e.len) as usize];
            e.off = arena.len() as u32;
            arena.extend_from_slice(s);
            true
        });
        self.arena = arena;
        self.error += d;
        if self.indexed {
            self.index.rebuild(&self.entries, 0);
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
struct Slot {
    hash: u64,
    /// 0 = empty.
    count: u32,
    /// Arena offset of the length byte that precedes the display string.
    off: u32,
}

/// Exact per-chunk counts (see the module documentation).
#[derive(Debug, Clone)]
pub(crate) struct ChunkTable {
    slots: Vec<Slot>,
    mask: usize,
    /// Slot index of every used slot, in first-occurrence order.
    used: Vec<u32>,
    /// Per distinct token: one length byte, then the display string.
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

impl ChunkTable {
    /// A table for at most `limit` distinct tokens (`limit >= 1`).
    pub fn new(limit: usize) -> Self {
        let max_slots = (limit.max(1) * 2).next_power_of_two();
        let n = INITIAL_SLOTS.min(max_slots);
        ChunkTable {
            slots: vec![Slot::default(); n],
            mask: n - 1,
            used: Vec::new(),
            arena: Vec::new(),
            limit: limit.max(1),
            max_slots,
            tokens: 0,
        }
    }

    pub fn distinct(&self) -> usize {
        self.used.len()
    }

    pub fn tokens(&self) -> u64 {
        self.tokens
    }

    pub fn is_full(&self) -> bool {
        self.used.len() >= self.limit
    }

    /// Bytes held by the table and its arena (capacity, not length).
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.used.capacity() * 4
            + self.arena.capacity()
    }

    #[inline(always)]
    pub fn probe(&mut self, hash: u64) -> Probe {
        self.tokens += 1;
        let mut i = hash as usize & self.mask;
        loop {
            let s = &mut self.slots[i];
            if s.count == 0 {
                return Probe::Vacant(i);
            }
            if s.hash == hash {
                s.count += 1;
                return Probe::Counted;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Inserts a new token at the slot returned by [`ChunkTable::probe`] with
    /// count 1. `display` is its lower-cased form, at most 64 bytes; `fold`
    /// applies `| 0x20` (ASCII tokens as written). The caller ensures
    /// `!is_full()`. May grow the table, which invalidates slot indices.
    #[inline]
    pub fn insert(&mut self, slot: usize, hash: u64, display: &[u8], fold: bool) {
        debug_assert!(!self.is_full());
        let off = self.arena.len() as u32;
        self.arena.push(display.len() as u8);
        if fold {
            self.arena.extend(display.iter().map(|b| b | 0x20));
        } else {
            self.arena.extend_from_slice(display);
        }
        self.slots[slot] = Slot {
            hash,
            count: 1,
            off,
        };
        self.used.push(slot as u32);
        if self.used.len() * 2 > self.slots.len() && self.slots.len() < self.max_slots {
            self.grow();
        }
    }

    #[cold]
    fn grow(&mut self) {
        let n = self.slots.len() * 2;
        let mut slots = vec![Slot::default(); n];
        let mask = n - 1;
        for u in self.used.iter_mut() {
            let s = self.slots[*u as usize];
            let mut i = s.hash as usize & mask;
            while slots[i].count != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = s;
            *u = i as u32;
        }
        self.slots = slots;
        self.mask = mask;
    }

    /// Moves the table's exact counts into a summary pruned to `capacity`,
    /// adds every distinct hash to `hll`, and clears the table.
    pub fn drain(&mut self, capacity: usize, hll: &mut Hll) -> Mg {
        let mut entries = Vec::with_capacity(self.used.len());
        for &u in &self.used {
            let s = &mut self.slots[u as usize];
            hll.insert(s.hash);
            entries.push(Entry {
                hash: s.hash,
                count: s.count as u64,
                off: s.off + 1,
                len: self.arena[s.off as usize] as u32,
            });
            s.count = 0;
        }
        let mut mg = Mg {
            entries,
            arena: self.arena.clone(),
            error: 0,
            index: Index::default(),
            indexed: false,
        };
        mg.prune(capacity);
        self.used.clear();
        self.arena.clear();
        self.tokens = 0;
        mg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mg_of(items: &[(&str, u64)]) -> Mg {
        let mut mg = Mg::default();
        for (t, c) in items {
            mg.entries.push(Entry {
                hash: crate::stats::tokens::token_hash(t.as_bytes()),
                count: *c,
                off: mg.arena.len() as u32,
                len: t.len() as u32,
            });
            mg.arena.extend_from_slice(t.as_bytes());
        }
        mg
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
        a.merge(&b, 10);
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
        // The arena was compacted to the two surviving strings.
        assert_eq!(a.arena_len(), 6);
        // Merging after a prune still finds existing entries.
        a.merge(&mg_of(&[("aaa", 1), ("zzz", 1)]), 2);
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
        assert_eq!(mg.token(&mg.entries()[7]), b"t7");
        assert_eq!(t.distinct(), 0);
        assert_eq!(t.tokens(), 0);
        assert!((hll.estimate() - 10_000.0).abs() < 200.0);
    }
}
