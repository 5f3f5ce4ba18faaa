//! A second [`Engine`] on the system Hyperscan library (cargo feature
//! `hyperscan`): every detector pattern in one block-mode database, asked
//! "which patterns match anywhere?".
//!
//! The engine only has to answer with a *superset* of the patterns that
//! match (see [`Engine`]), so findings stay identical to the default engine
//! as long as it never misses one. Everything below is built around that:
//!
//! * Patterns are not handed to Hyperscan as written. regex-automata and
//!   Hyperscan disagree on details that would make Hyperscan miss matches:
//!   Unicode `\w` (regex-automata counts combining marks and joiners as word
//!   characters, and its Unicode tables are newer), `$` (PCRE's also matches
//!   before a final newline), case folding (`(?i)k` also matches the Kelvin
//!   sign) and the behaviour of `HS_FLAG_UTF8` on invalid UTF-8, which the
//!   Hyperscan docs leave undefined while [`Engine::candidates`] takes any
//!   bytes. [`translate`] therefore rewrites each pattern into a byte-level
//!   pattern whose matches are a superset of the original's: ASCII exactly as
//!   written, every Unicode class widened to "this ASCII part, or any
//!   non-ASCII code point" (a UTF-8 lead byte and its continuation bytes),
//!   negated classes narrowed before they are complemented, case folding
//!   spelled out, and assertions (`^`, `$`, `\b`...) dropped, which can only
//!   add matches. Hyperscan then runs without `HS_FLAG_UTF8`/`HS_FLAG_UCP`, so
//!   no input is undefined behaviour and no Unicode table is consulted.
//! * A pattern the translator does not understand, or that Hyperscan rejects
//!   even in its prefilter mode (`HS_FLAG_PREFILTER`, which itself only ever
//!   widens a pattern), is not an error: it becomes "always a candidate" for
//!   every non-empty value and is listed in [`HyperscanEngine::fallbacks`].
//! * Anything unexpected at scan time (a value over 4 GiB, a scratch that
//!   cannot be allocated, a Hyperscan error) reports every pattern.
//!
//! The database is immutable once compiled and shared by all threads; each
//! thread scans with its own scratch, cloned from a prototype in
//! [`Engine::new_scratch`].

use std::ffi::{c_int, c_uint, c_ulonglong, c_void, CStr, CString};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::{DetectError, Detector, Engine, EngineScratch};

const ENGINE: &str = "hyperscan";

/// The few Hyperscan 5.4 declarations this engine uses (`hs_compile.h`,
/// `hs_runtime.h`, `hs_common.h`), written out by hand. `build.rs` links
/// `libhs` when the `hyperscan` feature is on.
#[allow(non_camel_case_types)]
mod ffi {
    use std::ffi::{c_char, c_int, c_uint, c_ulonglong, c_void};

    /// Opaque compiled pattern database.
    #[repr(C)]
    pub struct hs_database_t {
        _private: [u8; 0],
    }

    /// Opaque per-thread scratch space.
    #[repr(C)]
    pub struct hs_scratch_t {
        _private: [u8; 0],
    }

    /// Opaque target platform description; null means "this machine".
    #[repr(C)]
    pub struct hs_platform_info_t {
        _private: [u8; 0],
    }

    #[repr(C)]
    pub struct hs_compile_error_t {
        /// NUL-terminated message, owned by Hyperscan.
        pub message: *mut c_char,
        /// Index (into the arrays given to the compiler) of the expression
        /// that failed, or negative when the failure is not one expression's.
        pub expression: c_int,
    }

    pub type hs_error_t = c_int;

    pub type match_event_handler = Option<
        unsafe extern "C" fn(
            id: c_uint,
            from: c_ulonglong,
            to: c_ulonglong,
            flags: c_uint,
            context: *mut c_void,
        ) -> c_int,
    >;

    pub const HS_SUCCESS: hs_error_t = 0;
    pub const HS_SCAN_TERMINATED: hs_error_t = -3;

    /// Report at most one match per expression.
    pub const HS_FLAG_SINGLEMATCH: c_uint = 8;
    /// Compile a possibly-wider version of the expression (never narrower).
    pub const HS_FLAG_PREFILTER: c_uint = 128;

    pub const HS_MODE_BLOCK: c_uint = 1;

    extern "C" {
        pub fn hs_compile_multi(
            expressions: *const *const c_char,
            flags: *const c_uint,
            ids: *const c_uint,
            elements: c_uint,
            mode: c_uint,
            platform: *const hs_platform_info_t,
            db: *mut *mut hs_database_t,
            error: *mut *mut hs_compile_error_t,
        ) -> hs_error_t;

        pub fn hs_free_compile_error(error: *mut hs_compile_error_t) -> hs_error_t;

        pub fn hs_free_database(db: *mut hs_database_t) -> hs_error_t;

        pub fn hs_alloc_scratch(
            db: *const hs_database_t,
            scratch: *mut *mut hs_scratch_t,
        ) -> hs_error_t;

        pub fn hs_clone_scratch(
            src: *const hs_scratch_t,
            dest: *mut *mut hs_scratch_t,
        ) -> hs_error_t;

        pub fn hs_free_scratch(scratch: *mut hs_scratch_t) -> hs_error_t;

        pub fn hs_scan(
            db: *const hs_database_t,
            data: *const c_char,
            length: c_uint,
            flags: c_uint,
            scratch: *mut hs_scratch_t,
            on_event: match_event_handler,
            context: *mut c_void,
        ) -> hs_error_t;
    }
}

/// An owned, compiled database; freed on drop.
struct Database(NonNull<ffi::hs_database_t>);

// SAFETY: a compiled Hyperscan database is immutable; `hs_scan` only reads
// it, and the Hyperscan docs allow one database to be used by many threads at
// once, each with its own scratch. Freeing happens once, in `Drop`, when no
// other reference can exist.
unsafe impl Send for Database {}
// SAFETY: see `Send` above: shared use is read-only.
unsafe impl Sync for Database {}

impl Drop for Database {
    fn drop(&mut self) {
        // SAFETY: the pointer came from a successful `hs_compile_multi`, is
        // owned by this value alone and is freed exactly once, here.
        unsafe {
            ffi::hs_free_database(self.0.as_ptr());
        }
    }
}

/// An owned scratch space; freed on drop. Used by one thread at a time.
struct Scratch(NonNull<ffi::hs_scratch_t>);

// SAFETY: a scratch may move between threads; it is only ever used through
// `&mut` (or under a mutex), so never by two threads at once.
unsafe impl Send for Scratch {}

impl Drop for Scratch {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `hs_alloc_scratch` or
        // `hs_clone_scratch`, is owned by this value alone and is freed
        // exactly once, here.
        unsafe {
            ffi::hs_free_scratch(self.0.as_ptr());
        }
    }
}

impl Scratch {
    fn alloc(db: &Database) -> Result<Scratch, String> {
        let mut raw = ptr::null_mut();
        // SAFETY: `db` is a live database; `raw` is a valid out-pointer that
        // starts null, which asks Hyperscan for a fresh allocation.
        let rc = unsafe { ffi::hs_alloc_scratch(db.0.as_ptr(), &mut raw) };
        match NonNull::new(raw) {
            Some(p) if rc == ffi::HS_SUCCESS => Ok(Scratch(p)),
            _ => Err(format!("hs_alloc_scratch failed with error {rc}")),
        }
    }

    fn try_clone(&self) -> Option<Scratch> {
        let mut raw = ptr::null_mut();
        // SAFETY: `self` is a live scratch (only read by the clone, and the
        // caller holds it exclusively); `raw` is a valid out-pointer.
        let rc = unsafe { ffi::hs_clone_scratch(self.0.as_ptr(), &mut raw) };
        NonNull::new(raw)
            .filter(|_| rc == ffi::HS_SUCCESS)
            .map(Scratch)
    }
}

/// The per-thread state this engine keeps in an [`EngineScratch`], tagged
/// with the engine it belongs to (a scratch must match its database).
struct HsScratch {
    engine: u64,
    scratch: Option<Scratch>,
}

/// Gives each engine a distinct tag, so a scratch made by another engine is
/// recognised and replaced instead of handed to the wrong database.
static NEXT_ENGINE: AtomicU64 = AtomicU64::new(1);

/// A pattern that Hyperscan does not run: it is reported as a candidate for
/// every non-empty value, which keeps findings identical at some cost in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fallback {
    /// Position of the detector in the list the engine was built from.
    pub index: usize,
    pub id: &'static str,
    /// Why: the construct the translator does not handle, or Hyperscan's
    /// compile error.
    pub reason: String,
}

/// One Hyperscan database pass over a value reports every detector whose
/// pattern (widened as described in the module docs) occurs.
pub struct HyperscanEngine {
    db: Option<Database>,
    /// Cloned for each new thread; the lock makes the read-only clone trivially
    /// safe to call from many threads.
    proto: Option<Mutex<Scratch>>,
    tag: u64,
    /// Patterns in the database (the scan stops once all have matched).
    in_db: usize,
    /// Patterns reported for every non-empty value.
    always: Vec<u16>,
    fallbacks: Vec<Fallback>,
    prefiltered: Vec<&'static str>,
    len: usize,
}

impl std::fmt::Debug for HyperscanEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperscanEngine")
            .field("patterns", &self.len)
            .field("in_database", &self.in_db)
            .field("fallbacks", &self.fallbacks)
            .field("prefiltered", &self.prefiltered)
            .finish()
    }
}

/// A Hyperscan compile failure: the message, and which expression (an index
/// into the arrays given to the compiler) caused it, when one did.
struct CompileError {
    message: String,
    expression: Option<usize>,
}

/// Compiles expressions into one block-mode database.
fn compile(exprs: &[&CString], flags: &[c_uint], ids: &[c_uint]) -> Result<Database, CompileError> {
    let count = c_uint::try_from(exprs.len()).map_err(|_| CompileError {
        message: "too many expressions".into(),
        expression: None,
    })?;
    let ptrs: Vec<*const std::ffi::c_char> = exprs.iter().map(|e| e.as_ptr()).collect();
    let mut db = ptr::null_mut();
    let mut err = ptr::null_mut();
    // SAFETY: `ptrs`, `flags` and `ids` each hold `count` elements (the
    // caller passes slices of one length) and every expression is a
    // NUL-terminated string that outlives the call; a null platform means
    // "this machine"; `db` and `err` are valid out-pointers.
    let rc = unsafe {
        ffi::hs_compile_multi(
            ptrs.as_ptr(),
            flags.as_ptr(),
            ids.as_ptr(),
            count,
            ffi::HS_MODE_BLOCK,
            ptr::null(),
            &mut db,
            &mut err,
        )
    };
    if rc == ffi::HS_SUCCESS {
        if let Some(db) = NonNull::new(db) {
            return Ok(Database(db));
        }
    }
    let mut out = CompileError {
        message: format!("hs_compile_multi failed with error {rc}"),
        expression: None,
    };
    if !err.is_null() {
        // SAFETY: on failure Hyperscan hands back a valid error struct whose
        // message is a NUL-terminated string; both are read before the
        // struct is freed, exactly once, with the matching free function.
        unsafe {
            let e = &*err;
            if !e.message.is_null() {
                out.message = CStr::from_ptr(e.message).to_string_lossy().into_owned();
            }
            out.expression = usize::try_from(e.expression).ok();
            ffi::hs_free_compile_error(err);
        }
    }
    Err(out)
}

/// The state `hs_scan` hands back to [`on_match`].
struct MatchContext<'a> {
    out: &'a mut Vec<u16>,
    /// Patterns in the database not reported yet.
    left: usize,
}

/// Hyperscan's match callback: records the pattern, and stops the scan once
/// every pattern in the database has been seen (`HS_FLAG_SINGLEMATCH`
/// reports each at most once).
unsafe extern "C" fn on_match(
    id: c_uint,
    _from: c_ulonglong,
    _to: c_ulonglong,
    _flags: c_uint,
    context: *mut c_void,
) -> c_int {
    // SAFETY: `context` is the `&mut MatchContext` that `candidates` passed
    // to `hs_scan`, which calls back only during that call, on this thread.
    let cx = unsafe { &mut *context.cast::<MatchContext<'_>>() };
    if let Ok(id) = u16::try_from(id) {
        cx.out.push(id);
    }
    cx.left = cx.left.saturating_sub(1);
    c_int::from(cx.left == 0)
}

impl HyperscanEngine {
    /// Compiles the detectors' patterns (translated, see the module docs)
    /// into one database. A pattern Hyperscan cannot run becomes a
    /// [`Fallback`], not an error; errors are reserved for failures of the
    /// library itself (the database as a whole, or scratch allocation).
    pub fn new(detectors: &[&'static Detector]) -> Result<HyperscanEngine, DetectError> {
        let max = usize::from(u16::MAX);
        if detectors.len() > max {
            return Err(DetectError::TooMany {
                count: detectors.len(),
                max,
            });
        }
        let mut fallbacks = Vec::new();
        let mut prefiltered = Vec::new();
        // (detector index, expression, flags) of every pattern Hyperscan takes.
        let mut accepted: Vec<(usize, CString, c_uint)> = Vec::new();
        for (index, d) in detectors.iter().enumerate() {
            // The looser pattern where there is one, as the regex engine's
            // DFAs search it: the candidates stay a superset of theirs.
            match Self::accept(d.dfa_pattern.unwrap_or(d.pattern)) {
                Ok((expr, flags)) => {
                    if flags & ffi::HS_FLAG_PREFILTER != 0 {
                        prefiltered.push(d.id);
                    }
                    accepted.push((index, expr, flags));
                }
                Err(reason) => fallbacks.push(Fallback {
                    index,
                    id: d.id,
                    reason,
                }),
            }
        }
        // Every pattern compiles alone; together they may still hit a limit
        // that one of them is blamed for. Drop that one and try again.
        let db = loop {
            if accepted.is_empty() {
                break None;
            }
            let exprs: Vec<&CString> = accepted.iter().map(|a| &a.1).collect();
            let flags: Vec<c_uint> = accepted.iter().map(|a| a.2).collect();
            // Indices fit: there are at most u16::MAX detectors.
            let ids: Vec<c_uint> = accepted.iter().map(|a| a.0 as c_uint).collect();
            match compile(&exprs, &flags, &ids) {
                Ok(db) => break Some(db),
                Err(CompileError {
                    message,
                    expression: Some(k),
                }) if k < accepted.len() => {
                    let (index, _, _) = accepted.remove(k);
                    let id = detectors[index].id;
                    prefiltered.retain(|p| *p != id);
                    fallbacks.push(Fallback {
                        index,
                        id,
                        reason: format!("rejected in the combined database: {message}"),
                    });
                }
                Err(e) => {
                    return Err(DetectError::Engine {
                        engine: ENGINE,
                        message: format!("the pattern database does not compile: {}", e.message),
                    })
                }
            }
        };
        fallbacks.sort_by_key(|f| f.index);
        let proto = match &db {
            Some(db) => Some(Mutex::new(Scratch::alloc(db).map_err(|message| {
                DetectError::Engine {
                    engine: ENGINE,
                    message,
                }
            })?)),
            None => None,
        };
        Ok(HyperscanEngine {
            db,
            proto,
            tag: NEXT_ENGINE.fetch_add(1, Ordering::Relaxed),
            in_db: accepted.len(),
            always: fallbacks.iter().map(|f| f.index as u16).collect(),
            fallbacks,
            prefiltered,
            len: detectors.len(),
        })
    }

    /// Translates one pattern and checks that Hyperscan compiles it, first
    /// as is, then in prefilter mode. Returns the expression and its flags,
    /// or why the pattern must fall back.
    fn accept(pattern: &str) -> Result<(CString, c_uint), String> {
        let expr = translate(pattern)?;
        let expr = CString::new(expr).map_err(|_| "NUL in the translated pattern".to_owned())?;
        let mut last = String::new();
        for flags in [
            ffi::HS_FLAG_SINGLEMATCH,
            ffi::HS_FLAG_SINGLEMATCH | ffi::HS_FLAG_PREFILTER,
        ] {
            match compile(&[&expr], &[flags], &[0]) {
                Ok(_) => return Ok((expr, flags)),
                Err(e) => last = e.message,
            }
        }
        Err(format!("Hyperscan rejects it: {last}"))
    }

    /// Patterns that Hyperscan does not run (reported for every non-empty
    /// value), in detector order.
    pub fn fallbacks(&self) -> &[Fallback] {
        &self.fallbacks
    }

    /// Ids of patterns compiled in Hyperscan's prefilter mode (a wider
    /// approximation, still run by Hyperscan).
    pub fn prefiltered(&self) -> &[&'static str] {
        &self.prefiltered
    }

    /// How many patterns the engine was built from.
    pub fn pattern_len(&self) -> usize {
        self.len
    }

    fn report_all(&self, out: &mut Vec<u16>) {
        out.extend((0..self.len).filter_map(|i| u16::try_from(i).ok()));
    }

    fn make_scratch(&self) -> HsScratch {
        let scratch = self.proto.as_ref().and_then(|p| {
            let guard = p.lock().unwrap_or_else(|e| e.into_inner());
            guard.try_clone()
        });
        HsScratch {
            engine: self.tag,
            scratch,
        }
    }
}

impl Engine for HyperscanEngine {
    fn candidates(&self, hay: &[u8], scratch: &mut EngineScratch, out: &mut Vec<u16>) {
        if hay.is_empty() {
            return;
        }
        out.extend_from_slice(&self.always);
        let Some(db) = &self.db else {
            return;
        };
        let Ok(len) = c_uint::try_from(hay.len()) else {
            self.report_all(out);
            return;
        };
        let ours = match scratch.get_mut::<HsScratch>() {
            Some(s) => s.engine == self.tag,
            None => false,
        };
        if !ours {
            *scratch = EngineScratch::new(self.make_scratch());
        }
        let Some(s) = scratch
            .get_mut::<HsScratch>()
            .and_then(|s| s.scratch.as_mut())
        else {
            self.report_all(out);
            return;
        };
        // No allocation inside the callback.
        out.reserve(self.in_db);
        let mut cx = MatchContext {
            out,
            left: self.in_db,
        };
        // SAFETY: `db` is a live database and `s` a live scratch allocated
        // for it (checked by the tag above) and used by this thread alone;
        // `hay` is valid for `len` bytes for the whole call; the callback
        // only dereferences `cx`, which outlives the call.
        let rc = unsafe {
            ffi::hs_scan(
                db.0.as_ptr(),
                hay.as_ptr().cast(),
                len,
                0,
                s.0.as_ptr(),
                Some(on_match),
                (&mut cx as *mut MatchContext<'_>).cast(),
            )
        };
        if rc != ffi::HS_SUCCESS && rc != ffi::HS_SCAN_TERMINATED {
            self.report_all(out);
        }
    }

    fn name(&self) -> &'static str {
        ENGINE
    }

    fn new_scratch(&self) -> EngineScratch {
        EngineScratch::new(self.make_scratch())
    }
}

// ---------------------------------------------------------------------------
// Pattern translation
// ---------------------------------------------------------------------------

/// Any non-ASCII code point in UTF-8: a lead byte and one to three
/// continuation bytes (a superset of every valid encoding).
const NON_ASCII: &str = r"[\xC2-\xF4][\x80-\xBF]{1,3}";
/// `.` with `s` set: any code point.
const ANY: &str = r"(?:[\x00-\x7F]|[\xC2-\xF4][\x80-\xBF]{1,3})";
/// `.` without `s`: any code point but `\n`.
const ANY_BUT_NL: &str = r"(?:[\x00-\x09\x0B-\x7F]|[\xC2-\xF4][\x80-\xBF]{1,3})";

/// ASCII sets of the Perl classes, exactly as regex-automata's Unicode
/// classes restrict to ASCII.
const DIGIT: u128 = bits(b'0', b'9');
const WORD: u128 = DIGIT | bits(b'A', b'Z') | bits(b'a', b'z') | bits(b'_', b'_');
const SPACE: u128 = bits(0x09, 0x0D) | bits(b' ', b' ');
/// The ASCII letters that share a simple case folding with a non-ASCII
/// character: `k`/`K` with U+212A KELVIN SIGN, `s`/`S` with U+017F LONG S.
const FOLD_PARTNERS: [(u8, u8, char); 2] = [(b'k', b'K', '\u{212A}'), (b's', b'S', '\u{17F}')];

const fn bits(lo: u8, hi: u8) -> u128 {
    let mut set = 0u128;
    let mut b = lo;
    while b <= hi {
        set |= 1u128 << b;
        if b == u8::MAX {
            break;
        }
        b += 1;
    }
    set
}

/// Translates a regex-automata pattern into a byte-level Hyperscan pattern
/// (no `HS_FLAG_UTF8`) that matches wherever the original does, and maybe
/// elsewhere. Returns why not for constructs it does not handle (the caller
/// then falls back to "always a candidate").
///
/// The output is pure ASCII: every byte that is not a letter or digit is
/// written as `\xHH`.
pub fn translate(pattern: &str) -> Result<String, String> {
    Translator {
        chars: pattern.chars().collect(),
        pos: 0,
        out: String::with_capacity(pattern.len() * 2),
    }
    .run()
}

#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    /// `i`: case-insensitive.
    fold: bool,
    /// `s`: `.` matches `\n`.
    dot_nl: bool,
}

/// What the previous token was, for deciding whether a repetition may follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// Start of the pattern or of a group, `|`, or a flag setting.
    Start,
    /// An atom whose output starts at this offset.
    Atom(usize),
    /// A repeated atom whose output starts at this offset.
    Repetition(usize),
    /// A dropped assertion.
    Assertion,
}

/// The non-ASCII part of a class item.
#[derive(Debug, Clone)]
enum NonAscii {
    /// These code points (maybe none).
    Chars(Vec<char>),
    /// Every non-ASCII code point (an over-approximation for Unicode classes).
    All,
}

/// One class item: a literal, a range, a Perl, POSIX or Unicode class.
#[derive(Debug, Clone)]
struct Item {
    ascii: u128,
    /// Whether `ascii` is exactly the item's ASCII part (false for Unicode
    /// property classes, where it is all of ASCII: an over-approximation).
    exact: bool,
    non_ascii: NonAscii,
}

impl Item {
    fn range(lo: char, hi: char) -> Item {
        let (lo, hi) = (u32::from(lo), u32::from(hi));
        let ascii = if lo < 0x80 {
            bits(lo as u8, hi.min(0x7F) as u8)
        } else {
            0
        };
        let non_ascii = if hi < 0x80 {
            NonAscii::Chars(Vec::new())
        } else if hi - lo.max(0x80) < 32 {
            NonAscii::Chars((lo.max(0x80)..=hi).filter_map(char::from_u32).collect())
        } else {
            NonAscii::All
        };
        Item {
            ascii,
            exact: true,
            non_ascii,
        }
    }

    /// A Perl or POSIX class given by its ASCII part; in Unicode mode the
    /// Perl classes and every negated class also cover non-ASCII code
    /// points, over-approximated as all of them.
    fn class(ascii: u128, non_ascii: bool) -> Item {
        Item {
            ascii,
            exact: true,
            non_ascii: if non_ascii {
                NonAscii::All
            } else {
                NonAscii::Chars(Vec::new())
            },
        }
    }

    /// A Unicode property class: anything at all, as far as we can tell.
    fn unicode() -> Item {
        Item {
            ascii: u128::MAX,
            exact: false,
            non_ascii: NonAscii::All,
        }
    }
}

/// A set of code points to emit: exact ASCII bytes plus some or all
/// non-ASCII code points.
#[derive(Debug, Default)]
struct Set {
    ascii: u128,
    chars: Vec<char>,
    all_non_ascii: bool,
}

impl Set {
    fn add(&mut self, item: Item) {
        self.ascii |= item.ascii;
        match item.non_ascii {
            NonAscii::All => self.all_non_ascii = true,
            NonAscii::Chars(cs) => self.chars.extend(cs),
        }
    }

    /// Widens the set to everything it matches case-insensitively.
    fn fold(&mut self) {
        if !self.chars.is_empty() {
            // A non-ASCII character folds to unknown non-ASCII partners, or
            // (the Kelvin sign, the long s) to ASCII k or s.
            self.all_non_ascii = true;
            self.chars.clear();
            for (lower, upper, _) in FOLD_PARTNERS {
                self.ascii |= (1u128 << lower) | (1u128 << upper);
            }
        }
        let upper = self.ascii & bits(b'A', b'Z');
        let lower = self.ascii & bits(b'a', b'z');
        self.ascii |= (upper << 32) | (lower >> 32);
        for (lower, _, partner) in FOLD_PARTNERS {
            if self.ascii & (1u128 << lower) != 0 {
                self.chars.push(partner);
            }
        }
    }

    /// Writes the set as one atom (safe to follow with a repetition).
    fn emit(mut self, out: &mut String) -> Result<(), String> {
        self.chars.sort_unstable();
        self.chars.dedup();
        let mut alts: Vec<String> = Vec::new();
        if self.ascii != 0 {
            alts.push(ascii_class(self.ascii));
        }
        if self.all_non_ascii {
            alts.push(NON_ASCII.to_owned());
        } else {
            for &c in &self.chars {
                let mut s = String::new();
                push_utf8(c, &mut s);
                alts.push(s);
            }
        }
        match alts.len() {
            0 => return Err("a class that matches nothing".into()),
            1 if self.ascii != 0 => out.push_str(&alts[0]),
            _ => {
                out.push_str("(?:");
                out.push_str(&alts.join("|"));
                out.push(')');
            }
        }
        Ok(())
    }
}

/// `[...]` of the given ASCII bytes, as `\xHH` ranges.
fn ascii_class(set: u128) -> String {
    let mut s = String::from("[");
    let mut b = 0u32;
    while b < 128 {
        if set & (1u128 << b) == 0 {
            b += 1;
            continue;
        }
        let lo = b;
        while b + 1 < 128 && set & (1u128 << (b + 1)) != 0 {
            b += 1;
        }
        push_hex(lo as u8, &mut s);
        if b > lo {
            s.push('-');
            push_hex(b as u8, &mut s);
        }
        b += 1;
    }
    s.push(']');
    s
}

fn push_hex(b: u8, out: &mut String) {
    out.push_str(&format!("\\x{b:02X}"));
}

/// The UTF-8 bytes of `c` as `\xHH` escapes (one atom only when ASCII).
fn push_utf8(c: char, out: &mut String) {
    let mut buf = [0u8; 4];
    for &b in c.encode_utf8(&mut buf).as_bytes() {
        push_hex(b, out);
    }
}

/// What an escape sequence stands for.
enum Escape {
    Char(char),
    Class(Item),
    /// A zero-width assertion (`\b`, `\B`, `\A`, `\z`, `\<`, `\>`...).
    Assertion,
}

struct Translator {
    chars: Vec<char>,
    pos: usize,
    out: String,
}

impl Translator {
    fn next(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.pos + k).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn run(mut self) -> Result<String, String> {
        let mut flags = Flags::default();
        // Flags outside each open group, and where its output starts.
        let mut groups: Vec<(Flags, usize)> = Vec::new();
        let mut prev = Prev::Start;
        while let Some(c) = self.next() {
            let at = self.out.len();
            prev = match c {
                '\\' => match self.escape()? {
                    Escape::Char(c) => {
                        self.literal(c, flags)?;
                        Prev::Atom(at)
                    }
                    Escape::Class(item) => {
                        let mut set = Set::default();
                        set.add(item);
                        if flags.fold {
                            set.fold();
                        }
                        set.emit(&mut self.out)?;
                        Prev::Atom(at)
                    }
                    Escape::Assertion => Prev::Assertion,
                },
                '[' => {
                    let set = self.class(flags)?;
                    set.emit(&mut self.out)?;
                    Prev::Atom(at)
                }
                '(' => match self.group(flags)? {
                    Some(inner) => {
                        groups.push((flags, at));
                        flags = inner;
                        self.out.push_str("(?:");
                        Prev::Start
                    }
                    None => {
                        // `(?flags)`: applies to the rest of the group.
                        flags = self.flag_set(flags)?;
                        Prev::Start
                    }
                },
                ')' => {
                    let (outer, start) = groups.pop().ok_or("unbalanced ')'")?;
                    flags = outer;
                    self.out.push(')');
                    Prev::Atom(start)
                }
                '|' => {
                    self.out.push('|');
                    Prev::Start
                }
                '*' | '+' | '?' | '{' => {
                    let (min, max) = match c {
                        '*' => (0, None),
                        '+' => (1, None),
                        '?' => (0, Some(1)),
                        _ => self.counted()?,
                    };
                    self.eat('?'); // lazy: the same set of matches
                    self.repeat(prev, min, max)?
                }
                '.' => {
                    self.out
                        .push_str(if flags.dot_nl { ANY } else { ANY_BUT_NL });
                    Prev::Atom(at)
                }
                '^' | '$' => Prev::Assertion,
                c => {
                    self.literal(c, flags)?;
                    Prev::Atom(at)
                }
            };
        }
        if !groups.is_empty() {
            return Err("unclosed group".into());
        }
        Ok(self.out)
    }

    /// Applies a repetition to what came before it.
    fn repeat(&mut self, prev: Prev, min: u32, max: Option<u32>) -> Result<Prev, String> {
        let start = match prev {
            Prev::Atom(start) => start,
            Prev::Repetition(start) => {
                // `a*+`-style: repeat the repetition as a whole.
                self.out.insert_str(start, "(?:");
                self.out.push(')');
                start
            }
            // A repeated assertion is at most that assertion: dropped too.
            Prev::Assertion => return Ok(Prev::Assertion),
            Prev::Start => return Err("a repetition of nothing".into()),
        };
        match (min, max) {
            // `x{0}` matches only the empty string (Hyperscan refuses it).
            (_, Some(0)) => self.out.truncate(start),
            (0, None) => self.out.push('*'),
            (1, None) => self.out.push('+'),
            (0, Some(1)) => self.out.push('?'),
            (min, None) => self.out.push_str(&format!("{{{min},}}")),
            (min, Some(max)) if min == max => self.out.push_str(&format!("{{{min}}}")),
            (min, Some(max)) => self.out.push_str(&format!("{{{min},{max}}}")),
        }
        Ok(Prev::Repetition(start))
    }

    /// One literal character as one atom.
    fn literal(&mut self, c: char, flags: Flags) -> Result<(), String> {
        if flags.fold && (!c.is_ascii() || c.is_ascii_alphabetic()) {
            let mut set = Set::default();
            set.add(Item::range(c, c));
            set.fold();
            return set.emit(&mut self.out);
        }
        if c.is_ascii_alphanumeric() {
            self.out.push(c);
        } else if c.is_ascii() {
            push_hex(c as u8, &mut self.out);
        } else {
            self.out.push_str("(?:");
            push_utf8(c, &mut self.out);
            self.out.push(')');
        }
        Ok(())
    }

    /// After `(`: `Some(flags inside)` for a group, `None` for `(?flags)`
    /// (whose flags are then read by [`Translator::flag_set`]).
    fn group(&mut self, flags: Flags) -> Result<Option<Flags>, String> {
        if !self.eat('?') || self.eat(':') {
            return Ok(Some(flags));
        }
        if self.peek() == Some('P') && self.peek_at(1) == Some('<') {
            self.pos += 2;
            self.group_name()?;
            return Ok(Some(flags));
        }
        if self.eat('<') {
            if matches!(self.peek(), Some('=' | '!')) {
                return Err("look-behind".into());
            }
            self.group_name()?;
            return Ok(Some(flags));
        }
        // `(?flags:...)` or `(?flags)`: find which before committing.
        let mut k = 0;
        while let Some(c) = self.peek_at(k) {
            match c {
                ':' => {
                    let inner = self.flag_set(flags)?;
                    return Ok(Some(inner));
                }
                ')' => return Ok(None),
                _ => k += 1,
            }
        }
        Err("unclosed group".into())
    }

    fn group_name(&mut self) -> Result<(), String> {
        loop {
            match self.next() {
                Some('>') => return Ok(()),
                Some(c) if c.is_alphanumeric() || matches!(c, '_' | '.' | '[' | ']') => {}
                _ => return Err("a malformed group name".into()),
            }
        }
    }

    /// Reads flags up to and including `:` or `)` and applies them.
    fn flag_set(&mut self, mut flags: Flags) -> Result<Flags, String> {
        let mut negate = false;
        let mut any = false;
        loop {
            let c = self.next().ok_or("unclosed group")?;
            match c {
                ':' | ')' if any => return Ok(flags),
                'i' => flags.fold = !negate,
                's' => flags.dot_nl = !negate,
                // Multi-line and CRLF only change assertions, which are
                // dropped; CRLF also keeps `.` from `\r` (narrower); swapped
                // greed changes no set of matches.
                'm' | 'R' | 'U' => {}
                // `(?-u)` narrows folding and Perl classes to ASCII; keeping
                // the Unicode reading is a superset. (`(?-u:.)` would match
                // lone bytes, but regex-automata rejects it in UTF-8 mode.)
                'u' => {}
                'x' if negate => {}
                'x' => return Err("verbose mode (?x)".into()),
                '-' if !negate => {
                    negate = true;
                    continue;
                }
                _ => return Err(format!("flag {c:?}")),
            }
            any = true;
        }
    }

    /// After `{`: `min`, and `max` (`None` = unbounded), through `}`.
    fn counted(&mut self) -> Result<(u32, Option<u32>), String> {
        let min = self.number();
        let (min, max) = if self.eat(',') {
            (min.unwrap_or(0), self.number())
        } else {
            let n = min.ok_or("a malformed repetition")?;
            (n, Some(n))
        };
        if !self.eat('}') {
            return Err("a malformed repetition".into());
        }
        if max.is_some_and(|max| max < min) {
            return Err("a repetition with max < min".into());
        }
        Ok((min, max))
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == start {
            return None;
        }
        self.chars[start..self.pos]
            .iter()
            .collect::<String>()
            .parse()
            .ok()
    }

    /// After `\`.
    fn escape(&mut self) -> Result<Escape, String> {
        let c = self.next().ok_or("a trailing backslash")?;
        Ok(match c {
            'd' => Escape::Class(Item::class(DIGIT, true)),
            'D' => Escape::Class(Item::class(!DIGIT, true)),
            'w' => Escape::Class(Item::class(WORD, true)),
            'W' => Escape::Class(Item::class(!WORD, true)),
            's' => Escape::Class(Item::class(SPACE, true)),
            'S' => Escape::Class(Item::class(!SPACE, true)),
            'p' | 'P' => {
                if self.eat('{') {
                    while self.next().ok_or("an unclosed \\p{")? != '}' {}
                } else {
                    self.next().ok_or("a bare \\p")?;
                }
                Escape::Class(Item::unicode())
            }
            'b' => {
                if self.peek() == Some('{')
                    && self.peek_at(1).is_some_and(|c| c.is_ascii_alphabetic())
                {
                    self.pos += 1;
                    let mut name = String::new();
                    loop {
                        match self.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => return Err("an unclosed \\b{".into()),
                        }
                    }
                    if !matches!(name.as_str(), "start" | "end" | "start-half" | "end-half") {
                        return Err(format!("\\b{{{name}}}"));
                    }
                }
                Escape::Assertion
            }
            'B' | 'A' | 'z' | '<' | '>' => Escape::Assertion,
            'x' => Escape::Char(self.hex(2)?),
            'u' => Escape::Char(self.hex(4)?),
            'U' => Escape::Char(self.hex(8)?),
            'n' => Escape::Char('\n'),
            't' => Escape::Char('\t'),
            'r' => Escape::Char('\r'),
            'f' => Escape::Char('\x0C'),
            'v' => Escape::Char('\x0B'),
            'a' => Escape::Char('\x07'),
            c if c.is_ascii_punctuation() => Escape::Char(c),
            c => return Err(format!("the escape \\{c}")),
        })
    }

    /// `\x`, `\u`, `\U` digits: exactly `n`, or any number in braces.
    fn hex(&mut self, n: usize) -> Result<char, String> {
        let mut digits = String::new();
        if self.eat('{') {
            loop {
                match self.next() {
                    Some('}') => break,
                    Some(c) => digits.push(c),
                    None => return Err("an unclosed hex escape".into()),
                }
            }
        } else {
            for _ in 0..n {
                digits.push(self.next().ok_or("a short hex escape")?);
            }
        }
        if digits.is_empty() || digits.len() > 8 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("the hex escape {digits:?}"));
        }
        u32::from_str_radix(&digits, 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| format!("the hex escape {digits:?}"))
    }

    /// After `[`: a bracketed class, widened to a superset (see the module
    /// docs): items of a positive class are over-approximated; items of a
    /// negated class are under-approximated (their exact ASCII part only)
    /// before the complement is taken.
    fn class(&mut self, flags: Flags) -> Result<Set, String> {
        let negated = self.eat('^');
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let c = self.next().ok_or("an unclosed class")?;
            match c {
                ']' if !first => break,
                '[' => {
                    if !self.eat(':') {
                        return Err("a nested class".into());
                    }
                    items.push(self.posix()?);
                }
                '&' if self.peek() == Some('&') => return Err("class intersection".into()),
                '-' if self.peek() == Some('-') => return Err("class difference".into()),
                '~' if self.peek() == Some('~') => return Err("class symmetric difference".into()),
                _ => {
                    let lo = if c == '\\' {
                        match self.escape()? {
                            Escape::Char(c) => c,
                            Escape::Class(item) => {
                                items.push(item);
                                first = false;
                                continue;
                            }
                            Escape::Assertion => return Err("an assertion in a class".into()),
                        }
                    } else {
                        c
                    };
                    let is_range =
                        self.peek() == Some('-') && self.peek_at(1).is_some_and(|n| n != ']');
                    if is_range {
                        self.pos += 1;
                        let h = self.next().ok_or("an unclosed class")?;
                        let hi = match h {
                            '\\' => match self.escape()? {
                                Escape::Char(c) => c,
                                _ => return Err("a range ending in a class".into()),
                            },
                            '[' => return Err("a range ending in a class".into()),
                            h => h,
                        };
                        if hi < lo {
                            return Err("a reversed range".into());
                        }
                        items.push(Item::range(lo, hi));
                    } else {
                        items.push(Item::range(lo, lo));
                    }
                }
            }
            first = false;
        }
        let mut set = Set::default();
        if negated {
            // Under-approximate the items (exact ASCII parts only; case
            // folding ignored, which only shrinks them), so the complement
            // over-approximates: their ASCII complement plus all non-ASCII.
            let mut ascii = 0u128;
            for item in items.iter().filter(|i| i.exact) {
                ascii |= item.ascii;
            }
            set.ascii = !ascii;
            set.all_non_ascii = true;
        } else {
            for item in items {
                set.add(item);
            }
            if flags.fold {
                set.fold();
            }
        }
        Ok(set)
    }

    /// After `[:`: a POSIX class through `:]` (ASCII-only in regex-automata;
    /// a negated one also covers every non-ASCII code point).
    fn posix(&mut self) -> Result<Item, String> {
        let negated = self.eat('^');
        let mut name = String::new();
        loop {
            match self.next() {
                Some(':') if self.eat(']') => break,
                Some(c) if c.is_ascii_lowercase() => name.push(c),
                _ => return Err("a malformed POSIX class".into()),
            }
        }
        let ascii = match name.as_str() {
            "alnum" => DIGIT | bits(b'A', b'Z') | bits(b'a', b'z'),
            "alpha" => bits(b'A', b'Z') | bits(b'a', b'z'),
            "ascii" => bits(0, 0x7F),
            "blank" => bits(b'\t', b'\t') | bits(b' ', b' '),
            "cntrl" => bits(0, 0x1F) | bits(0x7F, 0x7F),
            "digit" => DIGIT,
            "graph" => bits(b'!', b'~'),
            "lower" => bits(b'a', b'z'),
            "print" => bits(b' ', b'~'),
            "punct" => bits(b'!', b'/') | bits(b':', b'@') | bits(b'[', b'`') | bits(b'{', b'~'),
            "space" => SPACE,
            "upper" => bits(b'A', b'Z'),
            "word" => WORD,
            "xdigit" => DIGIT | bits(b'A', b'F') | bits(b'a', b'f'),
            _ => return Err(format!("the POSIX class [:{name}:]")),
        };
        Ok(if negated {
            Item::class(!ascii, true)
        } else {
            Item::class(ascii, false)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_builtin_patterns() {
        for d in super::super::builtin() {
            for p in std::iter::once(d.pattern).chain(d.dfa_pattern) {
                let t = translate(p);
                assert!(t.is_ok(), "{}: {:?}", d.id, t);
            }
        }
    }

    #[test]
    fn ascii_is_kept_exactly() {
        assert_eq!(translate("ab1").unwrap(), "ab1");
        assert_eq!(translate(r"a\.b").unwrap(), r"a\x2Eb");
        assert_eq!(translate("[0-9]{2,4}").unwrap(), r"[\x30-\x39]{2,4}");
        assert_eq!(translate("x{3}").unwrap(), "x{3}");
        assert_eq!(translate("x{3,}?").unwrap(), "x{3,}");
        assert_eq!(translate("(?:ab|c)+").unwrap(), "(?:ab|c)+");
        assert_eq!(translate("(?P<n>a)(?<m>b)(c)").unwrap(), "(?:a)(?:b)(?:c)");
    }

    #[test]
    fn unicode_classes_widen() {
        assert_eq!(
            translate(r"\w").unwrap(),
            format!(r"(?:[\x30-\x39\x41-\x5A\x5F\x61-\x7A]|{NON_ASCII})")
        );
        // A negated class keeps all non-ASCII and its ASCII complement.
        assert_eq!(
            translate(r"[^\w\x{e9}]").unwrap(),
            format!(r"(?:[\x00-\x2F\x3A-\x40\x5B-\x5E\x60\x7B-\x7F]|{NON_ASCII})")
        );
        assert_eq!(translate("é").unwrap(), r"(?:\xC3\xA9)");
        assert_eq!(translate("[é]").unwrap(), r"(?:\xC3\xA9)");
    }

    #[test]
    fn assertions_are_dropped() {
        assert_eq!(translate(r"^\ba\b$").unwrap(), "a");
        assert_eq!(translate(r"\b{start}a\>").unwrap(), "a");
        assert_eq!(translate(r"\b+a$*").unwrap(), "a");
        assert_eq!(translate(r"ab{0}c").unwrap(), "ac");
        assert_eq!(translate(r"a(?:bc){0,0}").unwrap(), "a");
    }

    #[test]
    fn case_folding_is_spelled_out() {
        assert_eq!(translate("(?i)a").unwrap(), r"[\x41\x61]");
        assert_eq!(translate("(?i)k").unwrap(), r"(?:[\x4B\x6B]|\xE2\x84\xAA)");
        assert_eq!(translate("(?i:a)b").unwrap(), r"(?:[\x41\x61])b");
        assert_eq!(translate("a(?i)b|c").unwrap(), r"a[\x42\x62]|[\x43\x63]");
        assert_eq!(translate("((?i)a)b").unwrap(), r"(?:[\x41\x61])b");
        assert_eq!(translate("(?i)(?-i)a").unwrap(), "a");
    }

    #[test]
    fn ascii_mode_is_read_as_unicode_superset() {
        let t = translate("(?i-u:k)").unwrap();
        let hs_k = translate("(?i:k)").unwrap();
        assert_eq!(t, hs_k, "(?-u) keeps the wider Unicode folding");
    }

    #[test]
    fn unsupported_constructs_are_refused() {
        for p in [
            "(?x)a", "[a&&b]", "[a--b]", "[[a]]", "(?=a)", "(?<=a)b", r"\1", r"\Q", "a)", "(a",
            "*a", "|*",
        ] {
            assert!(translate(p).is_err(), "{p}");
        }
    }
}
