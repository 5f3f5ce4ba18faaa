//! Where the bytes of a set are in a 64-byte block, as a bit mask.
//!
//! The region gate asks this for every block of every value, and almost
//! every block of prose holds none of the anchor bytes (digits, `@`, `:`).
//! A table lookup per byte costs a load per byte; the nibble method
//! classifies 32 bytes with two shuffles: split the set by high nibble into
//! at most eight buckets of identical low-nibble sets, then a byte is in the
//! set exactly when `lo[b & 15] & hi[b >> 4] != 0`.

/// A byte set classified by nibbles (see module docs).
#[derive(Debug, Clone)]
pub(crate) struct NibbleSet {
    lo: [u8; 16],
    hi: [u8; 16],
    avx2: bool,
}

impl NibbleSet {
    /// `None` when the set needs more than eight buckets.
    pub(crate) fn new(member: impl Fn(u8) -> bool) -> Option<NibbleSet> {
        let mut buckets: Vec<u16> = Vec::new();
        let mut lo = [0u8; 16];
        let mut hi = [0u8; 16];
        for h in 0..16u8 {
            let lows = (0..16u8)
                .filter(|&l| member(h << 4 | l))
                .fold(0u16, |m, l| m | 1 << l);
            if lows == 0 {
                continue;
            }
            let k = match buckets.iter().position(|&b| b == lows) {
                Some(k) => k,
                None => {
                    buckets.push(lows);
                    buckets.len() - 1
                }
            };
            let bit = 1u8.checked_shl(u32::try_from(k).ok()?).filter(|_| k < 8)?;
            hi[usize::from(h)] = bit;
            for (l, entry) in lo.iter_mut().enumerate() {
                if lows & (1 << l) != 0 {
                    *entry |= bit;
                }
            }
        }
        Some(NibbleSet {
            lo,
            hi,
            avx2: has_avx2(),
        })
    }

    #[inline(always)]
    fn contains(&self, b: u8) -> bool {
        self.lo[usize::from(b & 15)] & self.hi[usize::from(b >> 4)] != 0
    }

    /// Bit `i` set when `block[i]` is in the set.
    #[inline]
    pub(crate) fn mask64(&self, block: &[u8; 64]) -> u64 {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is true only when the CPU supports AVX2.
            return unsafe { mask64_avx2(&self.lo, &self.hi, block) };
        }
        block
            .iter()
            .enumerate()
            .fold(0u64, |m, (i, &b)| m | u64::from(self.contains(b)) << i)
    }

    /// The mask of `hay[base..]` (up to 64 bytes; bits past the end are 0).
    /// A short tail is classified as a whole block too (most values are
    /// shorter than 64 bytes, and a byte loop over them cost more than the
    /// shuffles).
    #[inline]
    pub(crate) fn mask_at(&self, hay: &[u8], base: usize) -> u64 {
        if let Some(block) = hay.get(base..base + 64) {
            return block.try_into().map_or(0, |b| self.mask64(b));
        }
        let n = hay.len();
        let Some(left) = n.checked_sub(base).filter(|&k| k > 0) else {
            return 0;
        };
        if let Some(last) = n.checked_sub(64).and_then(|s| hay.get(s..)) {
            // The last 64 bytes, shifted so that bit 0 is `base`.
            return last.try_into().map_or(0, |b| self.mask64(b) >> (64 - left));
        }
        let mut tail = [0u8; 64];
        tail[..left].copy_from_slice(&hay[base..]);
        self.mask64(&tail) & ((1u64 << left) - 1)
    }

    /// The end of the run of set bytes starting at `from`: the first index
    /// at or after it whose byte is not in the set (or `hay.len()`). Found
    /// 64 bytes at a time, without a branch per byte.
    pub(crate) fn run_end(&self, hay: &[u8], from: usize) -> usize {
        let n = hay.len();
        let mut hi = from;
        while hi < n {
            // Bits past the end are 0, so the run stops there.
            let gap = !self.mask_at(hay, hi);
            if gap != 0 {
                return (hi + gap.trailing_zeros() as usize).min(n);
            }
            hi += 64;
        }
        n
    }

    /// The start of the run of set bytes ending at `to`: the least `lo`
    /// with every byte of `hay[lo..to]` in the set.
    pub(crate) fn run_start(&self, hay: &[u8], to: usize) -> usize {
        let mut lo = to.min(hay.len());
        while lo > 0 {
            let start = lo.saturating_sub(64);
            let below = u64::MAX >> (64 - (lo - start));
            let gap = !self.mask_at(hay, start) & below;
            if gap != 0 {
                return start + 64 - gap.leading_zeros() as usize;
            }
            lo = start;
        }
        0
    }
}

pub(crate) fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn mask64_avx2(lo: &[u8; 16], hi: &[u8; 16], block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::*;
    let lo_t = _mm256_broadcastsi128_si256(_mm_loadu_si128(lo.as_ptr().cast()));
    let hi_t = _mm256_broadcastsi128_si256(_mm_loadu_si128(hi.as_ptr().cast()));
    let nib = _mm256_set1_epi8(0x0f);
    let zero = _mm256_setzero_si256();
    let mut m = 0u64;
    for k in 0..2 {
        // In bounds: two 32-byte loads inside the 64-byte array.
        let v = _mm256_loadu_si256(block.as_ptr().add(32 * k).cast());
        let l = _mm256_and_si256(v, nib);
        let h = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
        let x = _mm256_and_si256(_mm256_shuffle_epi8(lo_t, l), _mm256_shuffle_epi8(hi_t, h));
        let none = _mm256_movemask_epi8(_mm256_cmpeq_epi8(x, zero)) as u32;
        m |= u64::from(!none) << (32 * k);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_agree_with_the_set_for_every_byte() {
        let sets: [&dyn Fn(u8) -> bool; 4] = [
            &|b: u8| b.is_ascii_digit() || b == b':' || b == b'@',
            &|b: u8| b.is_ascii_alphanumeric(),
            &|b: u8| b >= 0x80 || b == 0,
            &|_| false,
        ];
        let mut hay: Vec<u8> = (0..=255u8).collect();
        hay.extend((0..=255u8).rev());
        hay.extend(b"abc 1990 x@y.z 12:30");
        for member in sets {
            let set = NibbleSet::new(member).expect("at most eight buckets");
            // The SIMD path where the CPU has it, and the portable one.
            let mut portable = set.clone();
            portable.avx2 = false;
            for set in [set, portable] {
                // Long values, and short ones (tails padded with bytes
                // that may be in the set, `0` here, must not show).
                let short = (0..70).map(|n| &hay[hay.len() - n..]);
                for hay in std::iter::once(&hay[..]).chain(short) {
                    for base in (0..hay.len() + 2).step_by(13) {
                        let m = set.mask_at(hay, base);
                        for i in 0..64 {
                            let want = hay.get(base + i).is_some_and(|&b| member(b));
                            assert_eq!(m >> i & 1 == 1, want, "{} bytes, {base}+{i}", hay.len());
                        }
                    }
                }
            }
        }
        // Runs agree with a byte loop, across blocks and at both ends.
        let member = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
        let set = NibbleSet::new(member).expect("three buckets");
        let mut hay = Vec::new();
        for k in 0..200usize {
            hay.extend(std::iter::repeat(b'a').take(k % 70));
            hay.push(if k % 3 == 0 { b' ' } else { b'.' });
        }
        for at in (0..hay.len()).filter(|&i| member(hay[i])) {
            let (mut lo, mut hi) = (at, at + 1);
            while lo > 0 && member(hay[lo - 1]) {
                lo -= 1;
            }
            while hi < hay.len() && member(hay[hi]) {
                hi += 1;
            }
            assert_eq!(set.run_start(&hay, at), lo, "at {at}");
            assert_eq!(set.run_end(&hay, at), hi, "at {at}");
            assert_eq!(set.run_end(&hay[..hi], at), hi, "at {at}, run at the end");
        }
        // Nine distinct low-nibble sets need nine buckets.
        assert!(NibbleSet::new(|b: u8| (b & 15) < (b >> 4) && b < 0xa0).is_none());
    }
}
