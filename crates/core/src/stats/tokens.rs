//! Tokeniser and token hashing for the vocabulary statistics.
//!
//! A *token* is a maximal run of Unicode alphanumeric characters
//! ([`char::is_alphanumeric`]) that is at least [`MIN_TOKEN_CHARS`] characters
//! long, lower-cased: ASCII letters by ASCII folding, every other character by
//! [`char::to_lowercase`]. The length rule counts the characters of the text as
//! written (before lower-casing). Everything else separates tokens.
//!
//! The hot path never allocates. The text is classified 64 bytes at a time into
//! a bit mask ("ASCII alphanumeric or any non-ASCII byte"); runs of set bits are
//! candidate tokens. A run of pure ASCII alphanumerics *is* a token: its
//! lower-case form is `byte | 0x20` for every byte (true for digits as well), so
//! it is hashed straight from the text, 16 bytes per step. Runs shorter than 3
//! bytes (so shorter than 3 characters) are skipped by mask arithmetic. A run
//! that contains a non-ASCII byte is re-walked character by character (the
//! slow path, with a table for the Basic Multilingual Plane), which splits it
//! at non-alphanumeric characters; a token whose characters are all their own
//! lower case (CJK, lower-case accented words) is then hashed from the text,
//! any other is lower-cased with `char::to_lowercase` into a small buffer.
//!
//! Note: no Unicode normalisation is applied. Combining marks are not
//! alphanumeric, so a decomposed (NFD) "u\u{308}" splits a word where the
//! composed "ü" does not.
//!
//! Every token is identified by a fixed 64-bit hash of its lower-cased UTF-8
//! bytes ([`token_hash`]); there is no per-process randomness, so results are
//! reproducible.

/// Minimum token length in characters.
pub const MIN_TOKEN_CHARS: usize = 3;

/// Token strings are kept (for display) truncated to this many bytes, at a
/// character boundary. Counting uses the hash of the whole token.
pub const MAX_TOKEN_BYTES: usize = 64;

const SEED: u64 = 0x243f_6a88_85a3_08d3;
const P0: u64 = 0xa076_1d64_78bd_642f;
const P1: u64 = 0xe703_7ed1_a0b4_28db;
const P2: u64 = 0x8ebc_6af0_9c88_c6e3;
const LOWER: u64 = 0x2020_2020_2020_2020;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// 64×64→128-bit multiply, folded (the wyhash mixing step).
#[inline(always)]
fn mum(a: u64, b: u64) -> u64 {
    let r = (a as u128) * (b as u128);
    (r as u64) ^ ((r >> 64) as u64)
}

#[inline(always)]
fn absorb(state: u64, a: u64, b: u64) -> u64 {
    mum(a ^ P0, b ^ state)
}

#[inline(always)]
fn finalize(state: u64, len: usize) -> u64 {
    mum(state ^ P1, (len as u64) ^ P2)
}

/// The token hash of already lower-cased token bytes (the reference definition).
///
/// The bytes are split into 16-byte blocks, the last one (1..=16 bytes)
/// zero-padded; each block is read as two little-endian `u64`s and absorbed
/// with a folded 128-bit multiply; the length is mixed in at the end.
pub fn token_hash(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    if len == 0 {
        return finalize(SEED, 0);
    }
    let mut state = SEED;
    let mut i = 0;
    while len - i > 16 {
        let a = u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap());
        let b = u64::from_le_bytes(bytes[i + 8..i + 16].try_into().unwrap());
        state = absorb(state, a, b);
        i += 16;
    }
    let rest = len - i; // 1..=16
    let (a, b) = if rest > 8 {
        (
            u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap()),
            load_partial(bytes, i + 8, rest - 8),
        )
    } else {
        (load_partial(bytes, i, rest), 0)
    };
    finalize(absorb(state, a, b), len)
}

/// Incremental form of [`token_hash`] for the slow (non-ASCII) path.
#[derive(Clone, Copy)]
struct StreamHasher {
    state: u64,
    buf: [u8; 16],
    fill: usize,
    len: usize,
}

impl StreamHasher {
    #[inline]
    fn new() -> Self {
        StreamHasher {
            state: SEED,
            buf: [0; 16],
            fill: 0,
            len: 0,
        }
    }

    #[inline]
    fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.fill == 16 {
                self.absorb_buf();
            }
            self.buf[self.fill] = b;
            self.fill += 1;
        }
        self.len += bytes.len();
    }

    #[inline]
    fn absorb_buf(&mut self) {
        // Bytes past `fill` are stale; the masks zero them.
        let [ma, mb] = LEN_MASKS[self.fill];
        let a = u64::from_le_bytes(self.buf[..8].try_into().unwrap()) & ma;
        let b = u64::from_le_bytes(self.buf[8..].try_into().unwrap()) & mb;
        self.state = absorb(self.state, a, b);
        self.fill = 0;
    }

    #[inline]
    fn finish(mut self) -> u64 {
        if self.fill > 0 {
            self.absorb_buf();
        }
        finalize(self.state, self.len)
    }
}

#[inline(always)]
fn low_mask(n: usize) -> u64 {
    debug_assert!((1..=8).contains(&n));
    u64::MAX >> (64 - 8 * n)
}

/// Loads `n` (1..=8) bytes of `b` starting at `i` as a little-endian u64,
/// the unused high bytes zero. Requires `i + n <= b.len()`.
#[inline(always)]
fn load_partial(b: &[u8], i: usize, n: usize) -> u64 {
    if let Some(w) = b.get(i..i + 8) {
        u64::from_le_bytes(w.try_into().unwrap()) & low_mask(n)
    } else if i + n >= 8 {
        // Load the 8 bytes that end at i + n and shift the extra ones out.
        let w = &b[i + n - 8..i + n];
        u64::from_le_bytes(w.try_into().unwrap()) >> (64 - 8 * n)
    } else {
        let mut v = 0u64;
        for (k, &x) in b[i..i + n].iter().enumerate() {
            v |= (x as u64) << (8 * k);
        }
        v
    }
}

/// `LEN_MASKS[n]` keeps the first `n` bytes of a 16-byte block read as two
/// little-endian words.
static LEN_MASKS: [[u64; 2]; 17] = {
    let mut t = [[0u64; 2]; 17];
    let mut n = 1;
    while n <= 16 {
        t[n] = if n <= 8 {
            [u64::MAX >> (64 - 8 * n), 0]
        } else {
            [u64::MAX, u64::MAX >> (128 - 8 * n)]
        };
        n += 1;
    }
    t
};

/// Hashes the ASCII run `b[s..e]` (ASCII alphanumeric or non-ASCII bytes only)
/// as its lower-case form. Returns `None` if the run contains a non-ASCII byte.
#[inline(always)]
fn hash_ascii_run(b: &[u8], s: usize, e: usize) -> Option<u64> {
    let len = e - s;
    if len <= 16 {
        if let Some(w) = b.get(s..s + 16) {
            // Branch-free for the common short token with 16 readable bytes.
            let [mx, my] = LEN_MASKS[len];
            let x = u64::from_le_bytes(w[..8].try_into().unwrap()) & mx;
            let y = u64::from_le_bytes(w[8..].try_into().unwrap()) & my;
            if (x | y) & HIGH != 0 {
                return None;
            }
            return Some(finalize(
                absorb(SEED, (x | LOWER) & mx, (y | LOWER) & my),
                len,
            ));
        }
    }
    hash_ascii_run_general(b, s, e)
}

#[inline(always)]
fn hash_ascii_run_general(b: &[u8], s: usize, e: usize) -> Option<u64> {
    let len = e - s;
    let mut state = SEED;
    let mut i = s;
    // Full blocks while more than 16 bytes remain (the last block is handled below).
    while e - i > 16 {
        let x = u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
        let y = u64::from_le_bytes(b[i + 8..i + 16].try_into().unwrap());
        if (x | y) & HIGH != 0 {
            return None;
        }
        state = absorb(state, x | LOWER, y | LOWER);
        i += 16;
    }
    let rest = e - i; // 1..=16
    let (x, y) = if rest > 8 {
        (
            u64::from_le_bytes(b[i..i + 8].try_into().unwrap()),
            load_partial(b, i + 8, rest - 8),
        )
    } else {
        (load_partial(b, i, rest), 0)
    };
    if (x | y) & HIGH != 0 {
        return None;
    }
    let x = (x | LOWER) & low_mask(rest.min(8));
    let y = if rest > 8 {
        (y | LOWER) & low_mask(rest - 8)
    } else {
        0
    };
    Some(finalize(absorb(state, x, y), len))
}

/// Receives the tokens of a text, in order.
pub(crate) trait TokenSink {
    /// A pure-ASCII token: `raw` is the token as written (alphanumeric ASCII);
    /// its lower-case form is `raw[i] | 0x20`.
    fn ascii_token(&mut self, hash: u64, raw: &[u8]);
    /// Any other token: `lower` is its lower-case form truncated to
    /// [`MAX_TOKEN_BYTES`] at a character boundary.
    fn unicode_token(&mut self, hash: u64, lower: &[u8]);
}

/// Bit `j` of `.0` is set when byte `j` of the 64-byte block is ASCII
/// alphanumeric or non-ASCII (>= 0x80); bit `j` of `.1` when it is a UTF-8
/// continuation byte (`10xxxxxx`), so that characters are counted in the
/// same pass.
#[inline(always)]
fn block_mask(block: &[u8; 64]) -> (u64, u64) {
    #[cfg(target_arch = "x86_64")]
    {
        block_mask_sse2(block)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        block_mask_swar(block)
    }
}

/// Portable SWAR classification (8 bytes per step).
#[inline(always)]
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn block_mask_swar(block: &[u8; 64]) -> (u64, u64) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let gather = |hit: u64| ((hit >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) & 0xff;
    let (mut m, mut c) = (0u64, 0u64);
    for (w, bytes) in block.chunks_exact(8).enumerate() {
        let x = u64::from_le_bytes(bytes.try_into().unwrap());
        let hi = x & HIGH;
        let low = x & !HIGH;
        // For 7-bit bytes v, (v + (0x80 - lo)) has its high bit set iff v >= lo;
        // no byte can carry into the next.
        let ge0 = low + ONES * (0x80 - b'0' as u64);
        let gt9 = low + ONES * (0x7f - b'9' as u64);
        let f = low | LOWER;
        let gea = f + ONES * (0x80 - b'a' as u64);
        let gtz = f + ONES * (0x7f - b'z' as u64);
        let hit = ((ge0 & !gt9) | (gea & !gtz) | hi) & HIGH;
        m |= gather(hit) << (8 * w);
        // Bit 7 set and bit 6 clear.
        c |= gather(x & !(x << 1) & HIGH) << (8 * w);
    }
    (m, c)
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn block_mask_sse2(block: &[u8; 64]) -> (u64, u64) {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of the x86_64 baseline; loads are unaligned loads
    // of 16 bytes inside the 64-byte array.
    unsafe {
        let zero_m1 = _mm_set1_epi8((b'0' - 1) as i8);
        let nine_p1 = _mm_set1_epi8((b'9' + 1) as i8);
        let a_m1 = _mm_set1_epi8((b'a' - 1) as i8);
        let z_p1 = _mm_set1_epi8((b'z' + 1) as i8);
        let lower = _mm_set1_epi8(0x20);
        // Continuation bytes 0x80..=0xBF are the signed bytes below -64.
        let lead = _mm_set1_epi8(-64);
        let (mut m, mut c) = (0u64, 0u64);
        for k in 0..4 {
            let x = _mm_loadu_si128(block.as_ptr().add(16 * k) as *const __m128i);
            let digit = _mm_and_si128(_mm_cmpgt_epi8(x, zero_m1), _mm_cmplt_epi8(x, nine_p1));
            let f = _mm_or_si128(x, lower);
            let letter = _mm_and_si128(_mm_cmpgt_epi8(f, a_m1), _mm_cmplt_epi8(f, z_p1));
            // Bytes >= 0x80 are negative: never digit/letter, but their sign
            // bit is set in `x` itself.
            let hit = _mm_or_si128(_mm_or_si128(digit, letter), x);
            m |= (_mm_movemask_epi8(hit) as u32 as u64) << (16 * k);
            let cont = _mm_cmplt_epi8(x, lead);
            c |= (_mm_movemask_epi8(cont) as u32 as u64) << (16 * k);
        }
        (m, c)
    }
}

/// The run and continuation masks of the 64-byte block at `base`; bytes
/// past the end of the text count as separators (0 bits), so a block
/// wholly past the end is (0, 0).
#[inline(always)]
fn mask_at(b: &[u8], base: usize) -> (u64, u64) {
    match b.get(base..base + 64) {
        Some(block) => block_mask(block.try_into().unwrap()),
        None if base < b.len() => {
            let n = b.len();
            if n >= 64 {
                // Classify the last 64 bytes and shift out those before `base`.
                let (m, c) = block_mask(b[n - 64..].try_into().unwrap());
                let shift = 64 - (n - base);
                (m >> shift, c >> shift)
            } else {
                let mut tail = [0u8; 64];
                tail[..n - base].copy_from_slice(&b[base..]);
                block_mask(&tail)
            }
        }
        None => (0, 0),
    }
}

/// Calls the sink for every token of `text`, in order, and returns the
/// number of characters of `text` (counted from the same block masks).
///
/// Per block, `starts` marks the first byte of every run and `long` every
/// byte followed by two more run bytes (looking into the next block), so
/// `starts & long` are the starts of runs of 3+ bytes; shorter runs (fewer
/// than 3 bytes is fewer than 3 characters) are never visited.
#[inline]
pub(crate) fn tokenize<S: TokenSink>(text: &str, sink: &mut S) -> u64 {
    let b = text.as_bytes();
    let n = b.len();
    let mut base = 0;
    let (mut cur, mut cont) = mask_at(b, 0);
    let mut continuations = 0u64;
    let mut prev_top = 0u64;
    while base < n {
        continuations += u64::from(cont.count_ones());
        let (next, next_cont) = mask_at(b, base + 64);
        let starts = cur & !((cur << 1) | prev_top);
        let long = cur & ((cur >> 1) | (next << 63)) & ((cur >> 2) | (next << 62));
        let mut ls = starts & long;
        while ls != 0 {
            let s = ls.trailing_zeros() as usize;
            ls &= ls - 1;
            let z = !cur & (u64::MAX << s);
            let e = if z != 0 {
                base + z.trailing_zeros() as usize
            } else {
                run_end(b, base + 64, next)
            };
            emit_long_run(text, base + s, e, sink);
        }
        prev_top = cur >> 63;
        cur = next;
        cont = next_cont;
        base += 64;
    }
    n as u64 - continuations
}

/// End of a run that reaches the block boundary `from`; `next` is the mask
/// of the block at `from`.
#[inline(never)]
fn run_end(b: &[u8], from: usize, next: u64) -> usize {
    if next != u64::MAX {
        return from + (!next).trailing_zeros() as usize;
    }
    let mut i = from + 64;
    loop {
        let (m, _) = mask_at(b, i);
        if m != u64::MAX {
            return i + (!m).trailing_zeros() as usize;
        }
        i += 64;
    }
}

/// `text[s..e]` is a maximal run of 3+ ASCII-alphanumeric and non-ASCII
/// bytes; both ends are character boundaries (the neighbours are ASCII or
/// the ends of the text).
#[inline(always)]
fn emit_long_run<S: TokenSink>(text: &str, s: usize, e: usize, sink: &mut S) {
    let b = text.as_bytes();
    match hash_ascii_run(b, s, e) {
        Some(h) => sink.ascii_token(h, &b[s..e]),
        None => slow_run(&text[s..e], sink),
    }
}

/// Per-character facts for the Basic Multilingual Plane, computed once from
/// the standard library: `alnum` is [`char::is_alphanumeric`], `same` says
/// that [`char::to_lowercase`] is the character itself. (Table lookups instead
/// of the standard library's binary searches: several times faster on CJK.)
struct Bmp {
    alnum: [u64; 1024],
    same: [u64; 1024],
}

fn bmp() -> &'static Bmp {
    static BMP: std::sync::OnceLock<Box<Bmp>> = std::sync::OnceLock::new();
    BMP.get_or_init(|| {
        let mut t = Box::new(Bmp {
            alnum: [0; 1024],
            same: [0; 1024],
        });
        for c in (0..0x1_0000u32).filter_map(char::from_u32) {
            let (w, bit) = ((c as u32 >> 6) as usize, 1u64 << (c as u32 & 63));
            if c.is_alphanumeric() {
                t.alnum[w] |= bit;
            }
            if lower_is_same(c) {
                t.same[w] |= bit;
            }
        }
        t
    })
}

fn lower_is_same(c: char) -> bool {
    let mut l = c.to_lowercase();
    l.next() == Some(c) && l.next().is_none()
}

/// (is alphanumeric, lower-cases to itself)
#[inline(always)]
fn classify(c: char, t: &Bmp) -> (bool, bool) {
    let u = c as u32;
    if u < 0x1_0000 {
        let (w, b) = ((u >> 6) as usize, u & 63);
        ((t.alnum[w] >> b) & 1 != 0, (t.same[w] >> b) & 1 != 0)
    } else {
        (c.is_alphanumeric(), lower_is_same(c))
    }
}

/// One token being lower-cased character by character.
struct Builder {
    hasher: StreamHasher,
    shown: [u8; MAX_TOKEN_BYTES],
    shown_len: usize,
    shown_full: bool,
}

impl Builder {
    #[inline]
    fn new() -> Self {
        Builder {
            hasher: StreamHasher::new(),
            shown: [0; MAX_TOKEN_BYTES],
            shown_len: 0,
            shown_full: false,
        }
    }

    /// Appends the lower-cased bytes (1..=4) of one character.
    #[inline(always)]
    fn push(&mut self, bytes: &[u8]) {
        self.hasher.push(bytes);
        if !self.shown_full {
            if self.shown_len + bytes.len() <= MAX_TOKEN_BYTES {
                // A byte loop: these copies are too short for memcpy.
                for &b in bytes {
                    self.shown[self.shown_len] = b;
                    self.shown_len += 1;
                }
            } else {
                self.shown_full = true;
            }
        }
    }
}

/// A run with non-ASCII characters: split at non-alphanumeric characters,
/// lower-case with `char::to_lowercase`, hash.
///
/// A token whose characters all lower-case to themselves (CJK, lower-case
/// accented words, ...) is hashed straight from the text like an ASCII token;
/// only tokens that change under lower-casing are rebuilt character by
/// character.
#[cold]
#[inline(never)]
fn slow_run<S: TokenSink>(run: &str, sink: &mut S) {
    let t = bmp();
    let mut start = 0;
    let mut chars = 0;
    let mut same = true;
    for (i, c) in run.char_indices() {
        let (alnum, unchanged) = classify(c, t);
        if !alnum {
            if chars >= MIN_TOKEN_CHARS {
                emit_unicode(&run[start..i], same, t, sink);
            }
            chars = 0;
            continue;
        }
        if chars == 0 {
            start = i;
            same = true;
        }
        chars += 1;
        same &= unchanged;
    }
    if chars >= MIN_TOKEN_CHARS {
        emit_unicode(&run[start..], same, t, sink);
    }
}

/// `token` is a whole token as written (alphanumeric characters only).
#[inline]
fn emit_unicode<S: TokenSink>(token: &str, same: bool, t: &Bmp, sink: &mut S) {
    if same {
        sink.unicode_token(
            token_hash(token.as_bytes()),
            display_prefix(token).as_bytes(),
        );
        return;
    }
    let bytes = token.as_bytes();
    let mut tok = Builder::new();
    for (i, c) in token.char_indices() {
        if classify(c, t).1 {
            tok.push(&bytes[i..i + c.len_utf8()]);
        } else {
            for lc in c.to_lowercase() {
                let mut enc = [0u8; 4];
                tok.push(lc.encode_utf8(&mut enc).as_bytes());
            }
        }
    }
    sink.unicode_token(tok.hasher.finish(), &tok.shown[..tok.shown_len]);
}

/// The tokens of `text` as owned strings (not truncated), by the plain
/// character-by-character definition. For tests and tools; allocates.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = 0;
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_alphanumeric() {
            chars += 1;
            if c.is_ascii() {
                cur.push(c.to_ascii_lowercase());
            } else {
                cur.extend(c.to_lowercase());
            }
        } else {
            if chars >= MIN_TOKEN_CHARS {
                out.push(std::mem::take(&mut cur));
            }
            cur.clear();
            chars = 0;
        }
    }
    out
}

/// Truncates a lower-cased token to [`MAX_TOKEN_BYTES`] at a char boundary.
pub fn display_prefix(token: &str) -> &str {
    if token.len() <= MAX_TOKEN_BYTES {
        return token;
    }
    let mut end = MAX_TOKEN_BYTES;
    while !token.is_char_boundary(end) {
        end -= 1;
    }
    &token[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect(Vec<(u64, String)>);
    impl TokenSink for Collect {
        fn ascii_token(&mut self, hash: u64, raw: &[u8]) {
            // `raw` is the whole token; the counter shows its first 64 bytes.
            let shown = &raw[..raw.len().min(MAX_TOKEN_BYTES)];
            let s: Vec<u8> = shown.iter().map(|b| b | 0x20).collect();
            self.0.push((hash, String::from_utf8(s).unwrap()));
        }
        fn unicode_token(&mut self, hash: u64, lower: &[u8]) {
            self.0
                .push((hash, String::from_utf8(lower.to_vec()).unwrap()));
        }
    }

    fn fast(text: &str) -> Vec<(u64, String)> {
        let mut c = Collect::default();
        let chars = tokenize(text, &mut c);
        assert_eq!(chars, text.chars().count() as u64, "characters of {text:?}");
        c.0
    }

    /// The fast tokeniser agrees with the reference definition, hash and string.
    fn check(text: &str) {
        let want: Vec<(u64, String)> = tokens(text)
            .into_iter()
            .map(|t| (token_hash(t.as_bytes()), display_prefix(&t).to_string()))
            .collect();
        assert_eq!(fast(text), want, "text {text:?}");
    }

    #[test]
    fn example_sentence() {
        let text = "Hello, WORLD hello! a an ab3 Ünïcode ÜNÏCODE 北京市 x12";
        let got: Vec<String> = fast(text).into_iter().map(|(_, s)| s).collect();
        assert_eq!(
            got,
            [
                "hello",
                "world",
                "hello",
                "ab3",
                "ünïcode",
                "ünïcode",
                "北京市",
                "x12"
            ]
        );
        // Both spellings of the same token hash alike.
        let f = fast(text);
        assert_eq!(f[0].0, f[2].0);
        assert_eq!(f[4].0, f[5].0);
        assert_ne!(f[0].0, f[1].0);
        check(text);
    }

    #[test]
    fn two_chars_excluded_three_included() {
        assert!(tokens("ab 日本 x1 é9").is_empty());
        assert_eq!(
            tokens("abc 日本語 x12 é9z"),
            ["abc", "日本語", "x12", "é9z"]
        );
        check("ab 日本 x1 é9 abc 日本語 x12 é9z");
    }

    #[test]
    fn separators_and_mixed_runs() {
        for text in [
            "héllo wörld",
            "中文字符串测试一二三四五",
            "😀 emoji 😀😀 and ascii text longer than eight",
            "\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}",
            "",
            "a",
            "abc",
            "don’t stop—now…ok",
            "naïve café RÉSUMÉ straße İstanbul ΣΊΣΥΦΟΣ",
            "x\u{0}yz\u{7f}abc\u{80}def",
            "tab\tnew\nline\r\nend",
            "[brackets]{braces}`ticks`@at^caret_underscore",
            "0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz",
            "emoji🙂between🙂words ²³⁴ ½¾ Ⅻ ٣٤٥",
        ] {
            check(text);
        }
    }

    #[test]
    fn block_boundaries_and_long_tokens() {
        // Runs crossing 64-byte block edges, tokens longer than 16 and 64 bytes,
        // texts ending inside a run, at every alignment.
        let long = "Supercalifragilisticexpialidocious".repeat(3);
        let uni = "Ünïcodé".repeat(12);
        for pad in 0..70 {
            let prefix = " ".repeat(pad);
            check(&format!("{prefix}{long} and {uni} x"));
            check(&format!("{prefix}{long}"));
            check(&format!("{prefix}{uni}"));
            check(&format!("{prefix}abcdefghijklmnop qrstuvwxyz0123456 q"));
        }
        let f = fast(&long);
        assert_eq!(f[0].1.len(), MAX_TOKEN_BYTES);
    }

    #[test]
    fn pseudo_random_texts_agree_with_reference() {
        let alphabet: Vec<char> = "aZ9 ,.-_éÜß北京\u{1F642}’\n0İx".chars().collect();
        let mut state = 0x1234_5678_9abc_def0u64;
        for len in 0..400 {
            let mut s = String::new();
            for _ in 0..len {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push(alphabet[(state >> 33) as usize % alphabet.len()]);
            }
            check(&s);
        }
    }

    #[test]
    fn bmp_table_agrees_with_std() {
        let t = bmp();
        for c in (0..0x11_0000u32).step_by(1).filter_map(char::from_u32) {
            assert_eq!(
                classify(c, t),
                (c.is_alphanumeric(), lower_is_same(c)),
                "{c:?}"
            );
        }
    }

    #[test]
    fn swar_and_sse2_masks_agree() {
        let mut block = [0u8; 64];
        for start in 0..4u32 {
            for (i, b) in block.iter_mut().enumerate() {
                *b = ((i as u32 + start * 64) & 0xff) as u8;
            }
            let want = block
                .iter()
                .enumerate()
                .filter(|(_, &b)| b.is_ascii_alphanumeric() || b >= 0x80)
                .fold(0u64, |m, (i, _)| m | 1 << i);
            let cont = block
                .iter()
                .enumerate()
                .filter(|(_, &b)| b & 0xc0 == 0x80)
                .fold(0u64, |m, (i, _)| m | 1 << i);
            assert_eq!(block_mask_swar(&block), (want, cont));
            assert_eq!(block_mask(&block), (want, cont));
        }
    }

    #[test]
    fn hash_paths_agree() {
        for len in 1..100 {
            let t: String = (0..len).map(|i| (b'a' + (i % 26) as u8) as char).collect();
            let upper = t.to_ascii_uppercase();
            let padded = format!("{upper} ");
            let h = token_hash(t.as_bytes());
            assert_eq!(hash_ascii_run(upper.as_bytes(), 0, len), Some(h));
            assert_eq!(hash_ascii_run(padded.as_bytes(), 0, len), Some(h));
            let long_pad = format!("{upper}{}", " ".repeat(20));
            assert_eq!(hash_ascii_run(long_pad.as_bytes(), 0, len), Some(h));
            assert_eq!(hash_ascii_run_general(long_pad.as_bytes(), 0, len), Some(h));
        }
        assert_ne!(token_hash(b"abc"), token_hash(b"abcd"));
        // The streaming hasher agrees with the slice hasher at every length
        // and however the bytes are pushed.
        let text: Vec<u8> = (0..200u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..text.len() {
            let mut h = StreamHasher::new();
            for piece in text[..len].chunks(3) {
                h.push(piece);
            }
            assert_eq!(h.finish(), token_hash(&text[..len]), "len {len}");
        }
    }
}
