//! Every occurrence of a few dozen short literals, exact or in any ASCII
//! case, in one pass: a Teddy search (the SIMD multi-literal algorithm of
//! Hyperscan, also behind aho-corasick's packed searcher) shaped for the
//! anchor gate.
//!
//! Why not aho-corasick's own: the gate needs about fifty literals (vendor
//! prefixes, key names, context words), half of them in any case. There,
//! each automaton of sixteen literals is a pass of its own, any-case ones
//! need a lower-cased copy of the value, and every fingerprint is a
//! literal's first three bytes, which for `gho_` or `token` are three of
//! the commonest letters of English. Here:
//!
//! * **One pass** for all literals, exact and any-case together.
//! * **Any case without a copy.** ASCII letters differ from their other case
//!   in the high nibble only, so an any-case literal puts both high nibbles
//!   in its bucket's table; nothing is lower-cased.
//! * **Rare fingerprints.** A literal's fingerprint is the three bytes of
//!   it that are least frequent in text (`hp_` of `ghp_`, `kFJ` of
//!   `T3BlbkFJ`), from a table of typical byte frequencies, and literals are
//!   put into the eight buckets so that the nibble tables' cross products
//!   stay rare.
//!
//! A block of 32 positions costs six shuffles; a position whose three bytes
//! pass some bucket's tables is a *candidate*, and every literal of those
//! buckets is compared there. Every occurrence of every literal is
//! reported, overlapping ones included.

/// One literal to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Literal {
    pub bytes: Vec<u8>,
    /// ASCII letters match in either case.
    pub any_case: bool,
}

#[derive(Debug, Clone)]
struct Entry {
    /// Lower-cased when `any_case`.
    bytes: Vec<u8>,
    any_case: bool,
    /// Where the fingerprint starts inside the literal.
    off: usize,
    /// The first (up to) eight bytes as a little-endian word, the bytes
    /// they cover, and 0x20 on those that are letters read in any case:
    /// `(word | fold) & mask == head` compares them without a call.
    head: u64,
    mask: u64,
    fold: u64,
}

impl Entry {
    fn new(bytes: Vec<u8>, any_case: bool, off: usize) -> Entry {
        let (mut head, mut mask, mut fold) = (0u64, 0u64, 0u64);
        for (k, &b) in bytes.iter().take(8).enumerate() {
            head |= u64::from(b) << (8 * k);
            mask |= 0xff << (8 * k);
            if any_case && b.is_ascii_alphabetic() {
                fold |= 0x20 << (8 * k);
            }
        }
        Entry {
            bytes,
            any_case,
            off,
            head,
            mask,
            fold,
        }
    }

    /// Whether the literal occurs at `hay[s..]`.
    #[inline(always)]
    fn is_at(&self, hay: &[u8], s: usize) -> bool {
        let Some(text) = hay.get(s..s + self.bytes.len()) else {
            return false;
        };
        if let Some(w) = hay.get(s..s + 8) {
            let w = u64::from_le_bytes(w.try_into().unwrap_or([0; 8]));
            if (w | self.fold) & self.mask != self.head {
                return false;
            }
            if self.bytes.len() <= 8 {
                return true;
            }
        }
        if self.any_case {
            text.eq_ignore_ascii_case(&self.bytes)
        } else {
            text == self.bytes.as_slice()
        }
    }
}

const BUCKETS: usize = 8;
/// Fingerprint width; two-byte literals leave the third byte free.
const WIDTH: usize = 3;

/// A Teddy searcher over a fixed set of literals (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Teddy {
    entries: Vec<Entry>,
    /// The literals (indices into `entries`) of each bucket.
    buckets: [Vec<u16>; BUCKETS],
    /// Per fingerprint byte: bucket bits by low and high nibble.
    lo: [[u8; 16]; WIDTH],
    hi: [[u8; 16]; WIDTH],
    /// Per fingerprint byte: bucket bits by byte (the portable path; fewer
    /// candidates than the nibble tables, same occurrences).
    exact: Box<[[u8; 256]; WIDTH]>,
    avx2: bool,
}

/// Rough frequency of a byte in prose, code and JSON, per 10,000 bytes:
/// what a fingerprint is scored by. Only the order matters much.
fn frequency(b: u8) -> u32 {
    const LOWER: [u32; 26] = [
        // a    b    c    d    e    f    g    h    i   j   k    l    m
        600, 110, 250, 300, 900, 150, 140, 400, 550, 10, 50, 300, 200,
        // n   o    p   q    r    s    t    u   v    w   x   y   z
        550, 580, 140, 8, 450, 500, 650, 200, 80, 150, 15, 130, 6,
    ];
    match b {
        b' ' => 1500,
        b'a'..=b'z' => LOWER[usize::from(b - b'a')],
        // Capitals: mostly sentence and name initials.
        b'A'..=b'Z' => LOWER[usize::from(b - b'A')] / 12 + 2,
        b'0'..=b'9' => 40,
        b'.' | b',' | b'"' => 100,
        // Rules and separators (`-----`, `--flag`, `//`) make these
        // commoner than in prose.
        b'-' | b'/' => 60,
        b'\n' | b'\'' | b'(' | b')' | b':' => 25,
        b'_' | b'=' | b';' | b'[' | b']' | b'{' | b'}' | b'\\' | b'*' => 6,
        0x80..=0xff => 8,
        _ => 3,
    }
}

/// The bytes a fingerprint byte `b` of a literal accepts in text.
fn variants(b: u8, any_case: bool) -> impl Iterator<Item = u8> {
    let other = (any_case && b.is_ascii_alphabetic()).then_some(b ^ 0x20);
    std::iter::once(b).chain(other)
}

impl Teddy {
    /// `None` when a literal is shorter than two bytes, when there are
    /// none or more than `u16::MAX`.
    pub(crate) fn new(literals: &[Literal]) -> Option<Teddy> {
        if literals.is_empty()
            || literals.len() > usize::from(u16::MAX)
            || literals.iter().any(|l| l.bytes.len() < 2)
        {
            return None;
        }
        let entries: Vec<Entry> = literals
            .iter()
            .map(|l| {
                let bytes = if l.any_case {
                    l.bytes.to_ascii_lowercase()
                } else {
                    l.bytes.clone()
                };
                let off = (0..=bytes.len().saturating_sub(WIDTH))
                    .min_by_key(|&o| {
                        bytes[o..(o + WIDTH).min(bytes.len())]
                            .iter()
                            .map(|&b| {
                                variants(b, l.any_case)
                                    .map(|v| u64::from(frequency(v)))
                                    .sum::<u64>()
                            })
                            .product::<u64>()
                    })
                    .unwrap_or(0);
                Entry::new(bytes, l.any_case, off)
            })
            .collect();

        // Greedy bucket assignment, costliest fingerprint first: each goes
        // where it adds the least expected candidates, counting the
        // cross product the nibble tables accept.
        let mut order: Vec<usize> = (0..entries.len()).collect();
        let fp_cost = |e: &Entry| -> u64 {
            fingerprint(e)
                .iter()
                .map(|set| set.iter().map(|&v| u64::from(frequency(v))).sum::<u64>())
                .product()
        };
        order.sort_by_key(|&i| (std::cmp::Reverse(fp_cost(&entries[i])), i));
        let mut tables = [Sets::default(); BUCKETS];
        let mut costs = [0u64; BUCKETS];
        let mut buckets: [Vec<u16>; BUCKETS] = Default::default();
        for i in order {
            let fp = fingerprint(&entries[i]);
            let (best, with) = (0..BUCKETS)
                .map(|b| {
                    let mut with = tables[b];
                    with.add(&fp);
                    (b, with)
                })
                .min_by_key(|(b, with)| (with.cost() - costs[*b], *b))?;
            costs[best] = with.cost();
            tables[best] = with;
            buckets[best].push(u16::try_from(i).ok()?);
        }
        let mut lo = [[0u8; 16]; WIDTH];
        let mut hi = [[0u8; 16]; WIDTH];
        let mut exact = Box::new([[0u8; 256]; WIDTH]);
        for (b, members) in buckets.iter().enumerate() {
            let bit = 1u8 << b;
            for k in 0..WIDTH {
                for n in 0..16 {
                    if tables[b].nibbles[k][0] & (1 << n) != 0 {
                        lo[k][n] |= bit;
                    }
                    if tables[b].nibbles[k][1] & (1 << n) != 0 {
                        hi[k][n] |= bit;
                    }
                }
            }
            for &i in members {
                for (k, set) in fingerprint(&entries[usize::from(i)]).iter().enumerate() {
                    set.iter().for_each(|&v| exact[k][usize::from(v)] |= bit);
                }
            }
        }
        Some(Teddy {
            entries,
            buckets,
            lo,
            hi,
            exact,
            avx2: super::nibble::has_avx2(),
        })
    }

    /// The length of literal `i` (0 if there is none).
    pub(crate) fn literal_len(&self, i: usize) -> usize {
        self.entries.get(i).map_or(0, |e| e.bytes.len())
    }

    /// Calls `found(start, literal)` for every occurrence of every literal
    /// in `hay`, overlapping ones included, ordered by where their
    /// fingerprints start. Stops early when `found` returns `false`.
    pub(crate) fn for_each(&self, hay: &[u8], mut found: impl FnMut(usize, usize) -> bool) {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is true only when the CPU supports AVX2.
            unsafe { self.for_each_avx2(hay, &mut found) };
            return;
        }
        self.for_each_portable(hay, &mut found);
    }

    /// The byte-table search, for CPUs without AVX2 (and as the reference
    /// in tests).
    fn for_each_portable(&self, hay: &[u8], found: &mut impl FnMut(usize, usize) -> bool) {
        let n = hay.len();
        let at = |i: usize| hay.get(i).copied().unwrap_or(0);
        for p in 0..n {
            let bits = (0..WIDTH).fold(u8::MAX, |m, k| m & self.exact[k][usize::from(at(p + k))]);
            if bits != 0 && !self.verify(hay, p, bits, found) {
                return;
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn for_each_avx2(&self, hay: &[u8], found: &mut impl FnMut(usize, usize) -> bool) {
        use std::arch::x86_64::*;
        let table = |t: &[u8; 16]| {
            let x = _mm_loadu_si128(t.as_ptr() as *const __m128i);
            _mm256_broadcastsi128_si256(x)
        };
        let lo: [__m256i; WIDTH] = std::array::from_fn(|k| table(&self.lo[k]));
        let hi: [__m256i; WIDTH] = std::array::from_fn(|k| table(&self.hi[k]));
        let nib = _mm256_set1_epi8(0x0f);
        let zero = _mm256_setzero_si256();
        let classify = |p: *const u8| -> __m256i {
            let mut acc = _mm256_set1_epi8(-1);
            for k in 0..WIDTH {
                let v = _mm256_loadu_si256(p.add(k) as *const __m256i);
                let l = _mm256_shuffle_epi8(lo[k], _mm256_and_si256(v, nib));
                let h = _mm256_shuffle_epi8(hi[k], _mm256_and_si256(_mm256_srli_epi16(v, 4), nib));
                acc = _mm256_and_si256(acc, _mm256_and_si256(l, h));
            }
            acc
        };
        let n = hay.len();
        let mut i = 0;
        let mut bits = [0u8; 32];
        // Whole blocks: positions i..i+32 read bytes up to i+34.
        while i + 32 + WIDTH - 1 <= n {
            let c = classify(hay.as_ptr().add(i));
            let mut m = !(_mm256_movemask_epi8(_mm256_cmpeq_epi8(c, zero)) as u32);
            if m != 0 {
                _mm256_storeu_si256(bits.as_mut_ptr() as *mut __m256i, c);
                while m != 0 {
                    let j = m.trailing_zeros() as usize;
                    m &= m - 1;
                    let p = i + j;
                    // The nibble tables accept cross products; the byte
                    // tables drop most of those before any comparison.
                    let exact =
                        (0..WIDTH).fold(bits[j], |m, k| m & self.exact[k][usize::from(hay[p + k])]);
                    if exact != 0 && !self.verify(hay, p, exact, found) {
                        return;
                    }
                }
            }
            i += 32;
        }
        // The tail, zero-padded (no literal holds a zero byte in its
        // fingerprint except as the free third byte, and `verify` reads
        // the real haystack).
        if i < n {
            let mut buf = [0u8; 32 + 32 + WIDTH];
            buf[..n - i].copy_from_slice(&hay[i..]);
            let mut j0 = 0;
            while i + j0 < n {
                let c = classify(buf.as_ptr().add(j0));
                let mut m = !(_mm256_movemask_epi8(_mm256_cmpeq_epi8(c, zero)) as u32);
                if m != 0 {
                    _mm256_storeu_si256(bits.as_mut_ptr() as *mut __m256i, c);
                    while m != 0 {
                        let j = m.trailing_zeros() as usize;
                        m &= m - 1;
                        let p = i + j0 + j;
                        if p >= n {
                            break;
                        }
                        let q = j0 + j;
                        let exact = (0..WIDTH)
                            .fold(bits[j], |m, k| m & self.exact[k][usize::from(buf[q + k])]);
                        if exact != 0 && !self.verify(hay, p, exact, found) {
                            return;
                        }
                    }
                }
                j0 += 32;
            }
        }
    }

    /// Compares the literals of the buckets in `bits` whose fingerprint
    /// would start at `p`.
    #[inline(always)]
    fn verify(
        &self,
        hay: &[u8],
        p: usize,
        bits: u8,
        found: &mut impl FnMut(usize, usize) -> bool,
    ) -> bool {
        let mut bits = bits;
        while bits != 0 {
            let b = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            for &i in &self.buckets[b] {
                let i = usize::from(i);
                let e = &self.entries[i];
                let Some(s) = p.checked_sub(e.off) else {
                    continue;
                };
                if e.is_at(hay, s) && !found(s, i) {
                    return false;
                }
            }
        }
        true
    }
}

/// The bytes each fingerprint position accepts (all bytes where a
/// two-byte literal leaves it free).
fn fingerprint(e: &Entry) -> [Vec<u8>; WIDTH] {
    let mut out: [Vec<u8>; WIDTH] = Default::default();
    for (k, set) in out.iter_mut().enumerate() {
        match e.bytes.get(e.off + k) {
            Some(&b) => set.extend(variants(b, e.any_case)),
            None => set.extend(0..=255u8),
        }
    }
    out
}

/// What a bucket's fingerprints accept at each position: the (low, high)
/// nibble sets the shuffles test, and the bytes the byte tables test.
#[derive(Debug, Clone, Copy, Default)]
struct Sets {
    nibbles: [[u16; 2]; WIDTH],
    bytes: [[u64; 4]; WIDTH],
}

impl Sets {
    fn add(&mut self, fp: &[Vec<u8>; WIDTH]) {
        for (k, set) in fp.iter().enumerate() {
            for &v in set {
                self.nibbles[k][0] |= 1 << (v & 15);
                self.nibbles[k][1] |= 1 << (v >> 4);
                self.bytes[k][usize::from(v >> 6)] |= 1 << (v & 63);
            }
        }
    }

    /// Expected work per 10,000^3 positions: candidates of the nibble
    /// tables (a branch each), plus those that also pass the byte tables
    /// (literal comparisons, weighted as dearer).
    fn cost(&self) -> u64 {
        let freq = |accept: &dyn Fn(u8) -> bool| {
            (0..=255u8)
                .filter(|&v| accept(v))
                .map(|v| u64::from(frequency(v)))
                .sum::<u64>()
        };
        let nibble: u64 = self
            .nibbles
            .iter()
            .map(|&[lo, hi]| freq(&|v| lo & (1 << (v & 15)) != 0 && hi & (1 << (v >> 4)) != 0))
            .product();
        let byte: u64 = self
            .bytes
            .iter()
            .map(|set| freq(&|v| set[usize::from(v >> 6)] & (1 << (v & 63)) != 0))
            .product();
        nibble + 4 * byte
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(spec: &[(&str, bool)]) -> Vec<Literal> {
        spec.iter()
            .map(|&(s, any_case)| Literal {
                bytes: s.as_bytes().to_vec(),
                any_case,
            })
            .collect()
    }

    /// Every occurrence by brute force.
    fn naive(lits: &[Literal], hay: &[u8]) -> Hits {
        let mut out = Vec::new();
        for s in 0..hay.len() {
            for (i, l) in lits.iter().enumerate() {
                if let Some(t) = hay.get(s..s + l.bytes.len()) {
                    let hit = if l.any_case {
                        t.eq_ignore_ascii_case(&l.bytes)
                    } else {
                        t == l.bytes.as_slice()
                    };
                    if hit {
                        out.push((s, i));
                    }
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// (start, literal) pairs, sorted.
    type Hits = Vec<(usize, usize)>;

    /// The occurrences found by the dispatching search and by the portable one.
    fn both(t: &Teddy, hay: &[u8]) -> (Hits, Hits) {
        let mut fast = Vec::new();
        t.for_each(hay, |s, i| {
            fast.push((s, i));
            true
        });
        let mut slow = Vec::new();
        t.for_each_portable(hay, &mut |s, i| {
            slow.push((s, i));
            true
        });
        fast.sort_unstable();
        slow.sort_unstable();
        (fast, slow)
    }

    const GATE: &[(&str, bool)] = &[
        ("SK", false),
        ("-----BEGIN ", false),
        ("AKIA", false),
        ("ghp_", false),
        ("eyJ", false),
        ("hooks.slack.com/services/", false),
        ("xoxb-", false),
        ("://", true),
        ("passw", true),
        ("token", true),
        ("api", true),
        ("né", true),
        ("出生", true),
        ("dob", true),
    ];

    #[test]
    fn finds_every_occurrence_at_every_offset() {
        let l = lits(GATE);
        let t = Teddy::new(&l).expect("builds");
        let texts = [
            "my ghp_ token is AKIA and eyJ in SKY; Passw0rd://x, TOKEN né 出生 DoB",
            "xoxb-xoxb-ghp_ghp_SKSKSK tokentoken",
            "https://hooks.slack.com/services/T0/B0 -----BEGIN RSA",
            "",
            "S",
            "SK",
            "to",
            "DOB",
        ];
        for text in texts {
            // Every alignment, so that blocks and the tail both see each.
            for pad in 0..70 {
                let hay = format!("{}{}{}", " ".repeat(pad), text, ".".repeat(pad % 7));
                let (fast, slow) = both(&t, hay.as_bytes());
                let want = naive(&l, hay.as_bytes());
                assert_eq!(fast, want, "avx2/auto path on {hay:?}");
                assert_eq!(slow, want, "portable path on {hay:?}");
            }
        }
    }

    #[test]
    fn random_texts_match_brute_force() {
        let l = lits(GATE);
        let t = Teddy::new(&l).expect("builds");
        let alphabet: &[u8] = b"SKskAIaighp_-:/.eyJtokenTOKENpasswdob \n1x";
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for round in 0..300 {
            let len = round % 200;
            let hay: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    alphabet[(x % alphabet.len() as u64) as usize]
                })
                .collect();
            let (fast, slow) = both(&t, &hay);
            let want = naive(&l, &hay);
            assert_eq!(fast, want);
            assert_eq!(slow, want);
        }
    }

    #[test]
    fn exact_literals_keep_their_case() {
        let l = lits(&[("AKIA", false), ("secret", true)]);
        let t = Teddy::new(&l).expect("builds");
        let (fast, _) = both(&t, b"akia AKIA SECRET Secret");
        assert_eq!(fast, vec![(5, 0), (10, 1), (17, 1)]);
    }

    #[test]
    fn stops_when_asked() {
        let t = Teddy::new(&lits(&[("ab", false)])).expect("builds");
        let mut seen = 0;
        t.for_each(b"ab ab ab ab", |_, _| {
            seen += 1;
            seen < 2
        });
        assert_eq!(seen, 2);
    }

    #[test]
    fn refuses_single_bytes_and_empty_sets() {
        assert!(Teddy::new(&[]).is_none());
        assert!(Teddy::new(&lits(&[("a", false)])).is_none());
    }

    #[test]
    fn fingerprints_avoid_common_letters() {
        let t = Teddy::new(&lits(&[("ghp_", false), ("T3BlbkFJ", false)])).expect("builds");
        assert_eq!(t.entries[0].off, 1, "hp_");
        assert_eq!(&t.entries[1].bytes[t.entries[1].off..][..3], b"kFJ");
    }
}
