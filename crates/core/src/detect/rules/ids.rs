//! National identifiers: United States, Europe and the UK, India, China.
//!
//! Checksum-validated ids need no context (their check digit is the proof);
//! ids whose format alone is too common (passport numbers, licences, ZIP
//! codes, NHS and BSN numbers that look like any 9-10 digits) require a
//! context word near them, as the conformance README lists per id.

use std::ops::Range;

use super::{alnum_upper, ascii_alnum, compact, digits_only, grouped_digits, split_3_2_4, DIGITS};
use crate::detect::context::{bounded, char_after, char_before, is_word, near, WINDOW};
use crate::detect::validators::ids;
use crate::detect::{Candidate, Category, Detector};

pub const DETECTORS: &[Detector] = &[
    US_ITIN,
    US_PASSPORT,
    US_DRIVER_LICENSE,
    US_ZIP,
    DE_ID_CARD,
    DE_TAX_ID,
    FR_NIR,
    TR_NATIONAL_ID,
    UK_NINO,
    UK_NHS,
    ES_DNI,
    ES_NIE,
    IT_CODICE_FISCALE,
    NL_BSN,
    PL_PESEL,
    IN_AADHAAR,
    IN_PAN,
    IN_VOTER_ID,
    IN_PASSPORT,
    IN_DRIVING_LICENSE,
    CN_RESIDENT_ID,
    CN_MOBILE,
    CN_BANK_CARD,
    CN_USCC,
    CN_PASSPORT,
];

/// Priorities: a check digit beats format and context alone.
/// A context-only type whose context word is present beats the context-free
/// formats of PHONE (30) and CN_MOBILE (40): eleven digits after `DL#` are a
/// licence number, not a Chinese mobile.
const CHECKSUM: u8 = 60;
const FORMAT: u8 = 35;
const CONTEXT: u8 = 42;

fn in_context(c: &Candidate<'_>, words: &[&str]) -> bool {
    near(c.text, c.start, c.end, words, WINDOW)
}

/// Bounded on both sides by anything but ASCII letters and digits.
fn alnum_bounded(c: &Candidate<'_>) -> bool {
    bounded(c.text, c.start, c.end, ascii_alnum)
}

fn digit_or_dash(x: char) -> bool {
    x.is_ascii_digit() || x == '-'
}

/// [`compact`], upper-cased: the form the validators check (check letters
/// may be written in lower case, `44011320141005001x`).
fn compact_upper<const N: usize>(v: &str) -> Option<([u8; N], usize)> {
    let (mut s, n) = compact::<N>(v)?;
    s.make_ascii_uppercase();
    Some((s, n))
}

// ================================================================ United States

const ITIN_CONTEXT: &[&str] = &["ITIN", "*taxpayer identification*"];

pub const US_ITIN: Detector = Detector {
    id: "US_ITIN",
    category: Category::Pii,
    description: "US Individual Taxpayer Identification Number; dashed form alone, bare or spaced with context",
    pattern: r"9[0-9]{2}[ \-]?[0-9]{2}[ \-]?[0-9]{4}",
    dfa_pattern: Some(r"[0-9]{3}[ \-]?[0-9]{2}[ \-]?[0-9]{4}"),
    anchors: DIGITS,
    context: ITIN_CONTEXT,
    validator: itin_span,
    validator_name: "area 9xx, group 70-88/90-92/94-99; context unless dashed",
    normaliser: digits_only,
    placeholder: "[US_ITIN]",
    regulations: &["CCPA", "GLBA"],
    priority: 45,
    examples: &["ITIN 925-88-8177", "Taxpayer record lists 934-78-0474 for the filer.", "ITIN: 992841397"],
    near_misses: &["ITIN 912-89-1234", "ITIN 812-70-1234", "Ref 912701234 closed.", "ITIN 912-70 1234"],
};

fn itin_span(c: &Candidate<'_>) -> Option<Range<usize>> {
    if !bounded(c.text, c.start, c.end, digit_or_dash) {
        return None;
    }
    let (d, sep) = split_3_2_4(c.value())?;
    (ids::itin(&d) && (sep == Some(b'-') || in_context(c, ITIN_CONTEXT))).then(|| c.range())
}

const PASSPORT_CONTEXT: &[&str] = &["*passport*"];

pub const US_PASSPORT: Detector = Detector {
    id: "US_PASSPORT",
    category: Category::Pii,
    description: "US passport number (9 digits, or a letter and 8 digits) near the word passport",
    pattern: r"[A-Z][0-9]{8}|[0-9]{9}",
    dfa_pattern: None,
    anchors: DIGITS,
    context: PASSPORT_CONTEXT,
    validator: us_passport,
    validator_name: "format + passport context",
    normaliser: alnum_upper,
    placeholder: "[US_PASSPORT]",
    regulations: &["CCPA"],
    priority: CONTEXT,
    examples: &["US passport number 353398105", "Passport No: A61290400"],
    near_misses: &[
        "Ticket 203188157 was issued.",
        "passport 7770833575 pending",
        "passport AB9345875",
    ],
};

fn us_passport(c: &Candidate<'_>) -> Option<Range<usize>> {
    (alnum_bounded(c) && in_context(c, PASSPORT_CONTEXT)).then(|| c.range())
}

const US_DL_CONTEXT: &[&str] = &[
    "*driver license*",
    "*driver licence*",
    "*drivers license*",
    "*drivers licence*",
    "*driver's license*",
    "*driver's licence*",
    "*driver’s license*",
    "*driver’s licence*",
    "*driving license*",
    "*driving licence*",
    "DL#",
    "DL #",
    "DL no",
    "DLno",
    "DL number*",
    "DLnumber*",
    "DLN",
];

pub const US_DRIVER_LICENSE: Detector = Detector {
    id: "US_DRIVER_LICENSE",
    category: Category::Pii,
    description: "US driver's licence number in one of the state shapes, near a licence word",
    pattern: concat!(
        r"[A-Z][0-9]{3}-[0-9]{3}-[0-9]{2}-[0-9]{3}-[0-9]",
        r"|[A-Z][0-9]{3}-[0-9]{4}-[0-9]{4}",
        r"|[A-Z]{1,2}[0-9]{5,14}",
        r"|[0-9]{7,12}",
    ),
    dfa_pattern: None,
    anchors: DIGITS,
    context: US_DL_CONTEXT,
    validator: us_driver_license,
    validator_name: "state shape (L+digits, 7-12 digits, FL/IL dashed) + licence context",
    normaliser: alnum_upper,
    placeholder: "[US_DRIVER_LICENSE]",
    regulations: &["CCPA", "DPPA"],
    priority: CONTEXT,
    examples: &[
        "Driver's license: D4737464 (California)",
        "Florida driver's license W361-920-52-670-2",
        "DL# M797539849995",
    ],
    near_misses: &[
        "license plate 7ABC123 was seen",
        "Order D8509052 shipped.",
        "driver's license expires 2029-08-14",
    ],
};

fn us_driver_license(c: &Candidate<'_>) -> Option<Range<usize>> {
    let glued = |x: char| x.is_ascii_alphanumeric() || x == '-';
    (bounded(c.text, c.start, c.end, glued) && in_context(c, US_DL_CONTEXT)).then(|| c.range())
}

const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI",
];
const ZIP_CONTEXT: &[&str] = &[
    "ZIP",
    "*zip code*",
    "*zipcode*",
    "*postal code*",
    "postcode",
];

pub const US_ZIP: Detector = Detector {
    id: "US_ZIP",
    category: Category::Pii,
    description: "US ZIP or ZIP+4 code after a state code or near a ZIP/postal-code word",
    pattern: r"[0-9]{5}(?:-[0-9]{4})?",
    dfa_pattern: None,
    anchors: DIGITS,
    context: ZIP_CONTEXT,
    validator: us_zip,
    validator_name: "not 00000; state code right before it, or ZIP context within 30 characters",
    normaliser: digits_only,
    placeholder: "[US_ZIP]",
    regulations: &["CCPA", "HIPAA"],
    // Above PHONE: `NJ 07363-1436` is also a plausible German number, but a
    // ZIP+4 shape with a state code or ZIP word beside it is an address.
    priority: 32,
    examples: &[
        "Mail it to 100 Main Street, Sacramento, CA 95814.",
        "zip: 02139",
        "Chicago, IL 60601-7501",
    ],
    near_misses: &[
        "We shipped 90210 units last year.",
        "ZIP 00000 is not assigned",
        "Code XQ 95814 printed on the box.",
        "ZIP 123456 is too long",
    ],
};

/// `Sacramento, CA 95814`: a state code, whitespace, then the value.
fn after_state_code(before: &str) -> bool {
    let t = before.trim_end();
    if t.len() == before.len() || t.len() < 2 {
        return false;
    }
    let Some(code) = t.get(t.len() - 2..) else {
        return false;
    };
    US_STATES.contains(&code) && !char_before(t, t.len() - 2).is_some_and(is_word)
}

fn us_zip(c: &Candidate<'_>) -> Option<Range<usize>> {
    let glued = |x: char| is_word(x) || x == '-';
    if !bounded(c.text, c.start, c.end, glued) || c.value().starts_with("00000") {
        return None;
    }
    (after_state_code(&c.text[..c.start]) || near(c.text, c.start, c.end, ZIP_CONTEXT, 30))
        .then(|| c.range())
}

// ================================================================ Europe and the UK

const DE_ID_CONTEXT: &[&str] = &[
    "*ausweis*",
    "*identity card*",
    "ID card",
    "ID-Karte",
    "*IDD<<",
];

pub const DE_ID_CARD: Detector = Detector {
    id: "DE_ID_CARD",
    category: Category::Pii,
    description:
        "German identity card (Personalausweis) number with its check digit, near an ID-card word",
    pattern: r"[A-Z0-9]{9}[0-9]",
    dfa_pattern: None,
    anchors: DIGITS,
    context: DE_ID_CONTEXT,
    validator: de_id_card,
    validator_name: "ICAO 9303 7-3-1 check digit, card alphabet + ID-card context",
    normaliser: alnum_upper,
    placeholder: "[DE_ID_CARD]",
    regulations: &["GDPR"],
    priority: CHECKSUM,
    examples: &[
        "Personalausweis-Nr. T220001293 (Musterausweis)",
        "MRZ: IDD<<Z4P584TP81<<<<<<<<<<<<<<<",
        "alter Personalausweis 9035984071",
        "Ausweisnummer LFGHJKLMN0",
    ],
    near_misses: &[
        "Personalausweis-Nr. T220001294",
        "Tracking NKPT53CJ53 delivered.",
        "Ausweisnummer VX8Z95GYR27",
        "Ausweisnummer LFGHJKLMN8",
        "Tracking CFGHJKLMN7 delivered.",
    ],
};

fn de_id_card(c: &Candidate<'_>) -> Option<Range<usize>> {
    (alnum_bounded(c) && ids::de_id_card(c.value().as_bytes()) && in_context(c, DE_ID_CONTEXT))
        .then(|| c.range())
}

const DE_TAX_CONTEXT: &[&str] = &[
    "*steuer-id*",
    "*steuerid*",
    "*steuer id*",
    "*steuer- id*",
    "*steueridentifikations*",
    "*identifikationsnummer*",
    "IdNr",
    "tax id*",
    "TIN",
];

pub const DE_TAX_ID: Detector = Detector {
    id: "DE_TAX_ID",
    category: Category::Pii,
    description: "German tax identification number (Steuer-IdNr), near a tax-id word",
    // Groups 2-3-3-3, and a space before the check digit (`1123456789 0`,
    // as python-stdnum's own tests write it), in either form.
    pattern: r"[0-9]{2} ?[0-9]{3} ?[0-9]{3} ?[0-9]{2} ?[0-9]",
    dfa_pattern: None,
    anchors: DIGITS,
    context: DE_TAX_CONTEXT,
    validator: de_tax_id,
    validator_name: "digit-repetition rule + ISO 7064 MOD 11,10 + tax-id context",
    normaliser: digits_only,
    placeholder: "[DE_TAX_ID]",
    regulations: &["GDPR"],
    priority: CHECKSUM,
    examples: &[
        "Steuer-ID: 59 038 361 247",
        "IdNr 84359062744 laut Bescheid",
        "German tax ID 85823107943 on the payslip",
        "Steuer-ID 1123456789 0",
        "Steuer-ID: 59 038 361 24 7",
    ],
    near_misses: &[
        "Steuer-ID 14908423767",
        "Steuer-ID 01835497614",
        "Kundennummer 13978152048 bitte angeben",
        "Steuer-ID 1234567890 3",
        "Steuer-ID 1123456789  0",
    ],
};

fn de_tax_id(c: &Candidate<'_>) -> Option<Range<usize>> {
    if !bounded(c.text, c.start, c.end, |x| x.is_ascii_digit()) {
        return None;
    }
    let (d, n) = grouped_digits::<11>(c.value())?;
    (ids::de_idnr(&d[..n]) && in_context(c, DE_TAX_CONTEXT)).then(|| c.range())
}

pub const FR_NIR: Detector = Detector {
    id: "FR_NIR",
    category: Category::Pii,
    description: "French social security number (NIR / numéro INSEE), Corsica 2A/2B included",
    pattern: r"[1-478] ?[0-9]{2} ?[0-9]{2} ?(?:[0-9]{2}|2[AB]) ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}",
    dfa_pattern: Some(r"[0-9AB](?: ?[0-9AB]){14}"),
    anchors: DIGITS,
    context: &[],
    validator: fr_nir,
    validator_name: "sex and month rules + key 97 - (n mod 97)",
    normaliser: alnum_upper,
    placeholder: "[FR_NIR]",
    regulations: &["GDPR"],
    priority: CHECKSUM,
    examples: &[
        "Numéro de sécurité sociale : 2 69 05 49 588 157 80",
        "NIR 192112B03341235 (Haute-Corse)",
    ],
    near_misses: &[
        "NIR 288012A00432155",
        "NIR 185137800608425",
        "event at 1701234567890 ms",
    ],
};

fn fr_nir(c: &Candidate<'_>) -> Option<Range<usize>> {
    let glued = |x: char| x.is_ascii_digit() || x.is_ascii_uppercase();
    if !bounded(c.text, c.start, c.end, glued) {
        return None;
    }
    let (s, n) = compact::<15>(c.value())?;
    ids::fr_nir(&s[..n]).then(|| c.range())
}

pub const TR_NATIONAL_ID: Detector = Detector {
    id: "TR_NATIONAL_ID",
    category: Category::Pii,
    description: "Turkish identity number (T.C. Kimlik No)",
    pattern: r"[1-9][0-9]{10}",
    dfa_pattern: Some(r"[0-9]{11}"),
    anchors: DIGITS,
    context: &[],
    validator: tr_national_id,
    validator_name: "two check digits (d10, d11)",
    normaliser: digits_only,
    placeholder: "[TR_NATIONAL_ID]",
    regulations: &["KVKK"],
    priority: CHECKSUM,
    examples: &[
        "T.C. Kimlik No: 46037930934",
        "Başvuru sahibi 40971222490 ile giriş yaptı.",
    ],
    near_misses: &[
        "TC kimlik no 76624478915",
        "TC kimlik no 298448897325",
        "TC kimlik no 02345678902",
    ],
};

fn tr_national_id(c: &Candidate<'_>) -> Option<Range<usize>> {
    (bounded(c.text, c.start, c.end, |x| x.is_ascii_digit())
        && ids::tr_kimlik(c.value().as_bytes()))
    .then(|| c.range())
}

pub const UK_NINO: Detector = Detector {
    id: "UK_NINO",
    category: Category::Pii,
    description: "UK National Insurance number",
    pattern: r"[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]",
    dfa_pattern: None,
    anchors: DIGITS,
    context: &[],
    validator: uk_nino,
    validator_name: "HMRC prefix rules + suffix A-D",
    normaliser: alnum_upper,
    placeholder: "[UK_NINO]",
    regulations: &["UK GDPR"],
    priority: FORMAT,
    examples: &[
        "National Insurance number: CW 64 85 43 C",
        "NINO RW448712D",
        "Her NI number is TK 659123 C.",
    ],
    near_misses: &[
        "NINO QQ 12 34 56 C",
        "NINO BG 12 34 56 A",
        "NINO AO 12 34 56 A",
        "NINO AB 12 34 5 C",
    ],
};

fn uk_nino(c: &Candidate<'_>) -> Option<Range<usize>> {
    let v = c.value().as_bytes();
    let (first, last) = (v.first()?, v.last()?);
    (alnum_bounded(c) && ids::uk_nino([*first, *v.get(1)?], *last)).then(|| c.range())
}

pub const UK_NHS: Detector = Detector {
    id: "UK_NHS",
    category: Category::Pii,
    description: "NHS number (England, Wales, Isle of Man), near the word NHS",
    pattern: r"[0-9]{3}[ \-]?[0-9]{3}[ \-]?[0-9]{4}",
    dfa_pattern: None,
    anchors: DIGITS,
    context: &["NHS"],
    validator: uk_nhs,
    validator_name: "mod-11 check digit + NHS context",
    normaliser: digits_only,
    placeholder: "[UK_NHS]",
    regulations: &["UK GDPR"],
    priority: CHECKSUM,
    examples: &[
        "NHS number 999 791 1075",
        "Patient NHS number 999-698-8708",
        "NHS No: 9996479080",
    ],
    near_misses: &[
        "NHS number 9997194340",
        "Invoice 999 315 4415 paid.",
        "NHS number 999 791-1075",
    ],
};

fn uk_nhs(c: &Candidate<'_>) -> Option<Range<usize>> {
    if !bounded(c.text, c.start, c.end, digit_or_dash) {
        return None;
    }
    let (d, n) = grouped_digits::<10>(c.value())?;
    let v = c.value().as_bytes();
    let consistent = v.len() == 10 || (v.len() == 12 && v[3] == v[7]);
    (consistent && ids::uk_nhs(&d[..n]) && in_context(c, &["NHS"])).then(|| c.range())
}

pub const ES_DNI: Detector = Detector {
    id: "ES_DNI",
    category: Category::Pii,
    description: "Spanish national identity document (DNI/NIF)",
    pattern: r"(?:[0-9]{8}|[0-9]{2}\.[0-9]{3}\.[0-9]{3})[ \-]?[A-Za-z]",
    dfa_pattern: None,
    anchors: DIGITS,
    context: &[],
    validator: es_dni,
    validator_name: "mod-23 control letter (any case; lower case not after a space)",
    normaliser: alnum_upper,
    placeholder: "[ES_DNI]",
    regulations: &["GDPR"],
    priority: CHECKSUM,
    examples: &[
        "DNI 15405456X",
        "Su NIF es 89738304-D.",
        "Documento: 87.986.682-K",
        "dni 54362315k",
        "NIF: 54362315-k",
    ],
    near_misses: &[
        "DNI 04196111S",
        "DNI 678457681R",
        "DNI 06189520 sin letra",
        "dni 54362315z",
        "entre 54362315 k",
    ],
};

/// A letter written in lower case counts only glued to the digits or
/// after a dash: a lone lower-case letter after a space is a word, and the
/// Spanish `a`, `e` and `y` are control letters (`entre 54362315 y ...`).
fn lower_letter_apart(v: &[u8], letter_at: usize, apart_at: usize) -> bool {
    v.get(letter_at).is_some_and(u8::is_ascii_lowercase) && v.get(apart_at) == Some(&b' ')
}

fn es_dni(c: &Candidate<'_>) -> Option<Range<usize>> {
    let v = c.value();
    if char_before(c.text, c.start).is_some_and(|x| x.is_ascii_alphanumeric() || x == '.')
        || char_after(c.text, c.end).is_some_and(|x| x.is_ascii_alphanumeric())
    {
        return None;
    }
    let b = v.as_bytes();
    let last = b.len().checked_sub(1)?;
    if lower_letter_apart(b, last, last.checked_sub(1)?) {
        return None;
    }
    let (d, n) = compact::<8>(&v[..last])?;
    ids::es_dni(&d[..n], b[last].to_ascii_uppercase()).then(|| c.range())
}

pub const ES_NIE: Detector = Detector {
    id: "ES_NIE",
    category: Category::Pii,
    description: "Spanish foreigner identity number (NIE)",
    pattern: r"[XYZxyz][ \-]?[0-9]{7}[ \-]?[A-Za-z]",
    dfa_pattern: None,
    anchors: DIGITS,
    context: &[],
    validator: es_nie,
    validator_name: "X/Y/Z as 0/1/2 + mod-23 control letter (any case; lower case not spaced)",
    normaliser: alnum_upper,
    placeholder: "[ES_NIE]",
    regulations: &["GDPR"],
    priority: CHECKSUM,
    examples: &[
        "NIE X4708739H",
        "Número de identidad de extranjero: Y-2227833-K",
        "NIE: Y 7805383 W",
        "NIE x-2482300w",
        "nie: y2227833k",
    ],
    near_misses: &[
        "NIE Z9960096W",
        "NIE W9978867H",
        "NIE Y04941414T",
        "NIE x-2482300a",
        "NIE x 2482300 w",
    ],
};

fn es_nie(c: &Candidate<'_>) -> Option<Range<usize>> {
    if !alnum_bounded(c) {
        return None;
    }
    let b = c.value().as_bytes();
    let last = b.len().checked_sub(1)?;
    if lower_letter_apart(b, 0, 1) || lower_letter_apart(b, last, last.checked_sub(1)?) {
        return None;
    }
    let (s, n) = compact_upper::<9>(c.value())?;
    (n == 9 && ids::es_nie(s[0], &s[1..8], s[8])).then(|| c.range())
}

/// Digits, and the omocodia letters for a code whose seven digits were all
/// replaced: the last numeric position always holds one or the other. The
/// letters are read in capitals only, as the pattern is (a lower-case
/// anchor would open a region at most letters of prose).
const CF_ANCHORS: &[&str] = &[
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "L", "M", "N", "P", "Q", "R", "S", "T", "U",
    "V",
];

pub const IT_CODICE_FISCALE: Detector = Detector {
    id: "IT_CODICE_FISCALE",
    category: Category::Pii,
    description: "Italian fiscal code of a person (16 characters, omocodia included)",
    // Omocodia may replace any of the seven digits, all of them included
    // (`RSSMRAQRCMNFNLRG`), so a code need not hold a digit.
    pattern: r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]",
    dfa_pattern: None,
    anchors: CF_ANCHORS,
    context: &[],
    validator: it_codice_fiscale,
    validator_name: "real birth date + odd/even check letter",
    normaliser: alnum_upper,
    placeholder: "[IT_CODICE_FISCALE]",
    regulations: &["GDPR"],
    priority: CHECKSUM,
    examples: &[
        "Codice fiscale: BNCLCU85C17H501R",
        "Codice fiscale omocodico MRNFNC70L30L2MVP",
        "Codice fiscale RSSMRAQRCMNFNLRG",
        "CF RSSMRA45C12F2L5N",
    ],
    near_misses: &[
        "Codice fiscale: BNCLCU85C17H501A",
        "Codice fiscale: BNCLCU85B31H501X",
        "Codice fiscale RSSMRAQRCMNFNLRA",
        "Codice fiscale RSSMRAQRCPNFNLRJ",
        "codice fiscale rssmraqrcmnfnlrg",
        "Partita IVA 12345678903 della società",
    ],
};

fn it_codice_fiscale(c: &Candidate<'_>) -> Option<Range<usize>> {
    (alnum_bounded(c) && ids::it_codice_fiscale(c.value().as_bytes())).then(|| c.range())
}

const BSN_CONTEXT: &[&str] = &[
    "BSN",
    "*burgerservicenummer*",
    "*sofinummer*",
    "*sofi-nummer*",
];

pub const NL_BSN: Detector = Detector {
    id: "NL_BSN",
    category: Category::Pii,
    description: "Dutch citizen service number (BSN), near a BSN word",
    pattern: r"[0-9]{9}|[0-9]{4}\.[0-9]{2}\.[0-9]{3}|[0-9]{3} [0-9]{3} [0-9]{3}",
    dfa_pattern: None,
    anchors: DIGITS,
    context: BSN_CONTEXT,
    validator: nl_bsn,
    validator_name: "11-proef + BSN context",
    normaliser: digits_only,
    placeholder: "[NL_BSN]",
    regulations: &["GDPR"],
    priority: CHECKSUM,
    examples: &[
        "BSN: 534442493",
        "Burgerservicenummer 4038.41.562",
        "Uw BSN is 180 037 638.",
    ],
    near_misses: &[
        "BSN 254460230",
        "Ordernummer 898697694 verzonden",
        "BSN 000000000",
    ],
};

fn nl_bsn(c: &Candidate<'_>) -> Option<Range<usize>> {
    if char_before(c.text, c.start).is_some_and(|x| x.is_ascii_digit() || x == '.')
        || char_after(c.text, c.end).is_some_and(|x| x.is_ascii_digit())
    {
        return None;
    }
    let tail = c.text.as_bytes().get(c.end..c.end + 2).unwrap_or(&[]);
    if tail.first() == Some(&b'.') && tail.get(1).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let (d, n) = compact::<9>(c.value())?;
    (ids::nl_bsn(&d[..n]) && in_context(c, BSN_CONTEXT)).then(|| c.range())
}

pub const PL_PESEL: Detector = Detector {
    id: "PL_PESEL",
    category: Category::Pii,
    description: "Polish national identification number (PESEL), near the word PESEL",
    pattern: r"[0-9]{11}",
    dfa_pattern: None,
    anchors: DIGITS,
    context: &["PESEL"],
    validator: pl_pesel,
    validator_name: "weights 1-3-7-9 check digit + real birth date + PESEL context",
    normaliser: digits_only,
    placeholder: "[PL_PESEL]",
    regulations: &["GDPR"],
    priority: CHECKSUM,
    examples: &[
        "PESEL: 78042317286",
        "Numer PESEL 03290144955 (urodzony w 2003)",
    ],
    near_misses: &[
        "PESEL 78042330316",
        "PESEL 78132370937",
        "Faktura 90123192672 opłacona",
    ],
};

fn pl_pesel(c: &Candidate<'_>) -> Option<Range<usize>> {
    (bounded(c.text, c.start, c.end, |x| x.is_ascii_digit())
        && ids::pl_pesel(c.value().as_bytes())
        && in_context(c, &["PESEL"]))
    .then(|| c.range())
}

// ================================================================ India

const AADHAAR_CONTEXT: &[&str] = &["*aadhaar*", "*aadhar*", "*आधार*", "UID", "UIDAI"];

pub const IN_AADHAAR: Detector = Detector {
    id: "IN_AADHAAR",
    category: Category::Pii,
    description: "Indian Aadhaar number, near an Aadhaar/UID word",
    pattern: r"[0-9]{4}[ \-]?[0-9]{4}[ \-]?[0-9]{4}",
    dfa_pattern: None,
    anchors: DIGITS,
    context: AADHAAR_CONTEXT,
    validator: in_aadhaar,
    validator_name: "first digit 2-9, Verhoeff check digit + Aadhaar context",
    normaliser: digits_only,
    placeholder: "[IN_AADHAAR]",
    regulations: &["DPDP"],
    priority: CHECKSUM,
    examples: &[
        "Aadhaar: 6019-3476-8811",
        "आधार संख्या 6957 8363 5710",
        "UIDAI number 404929442785 linked to the account",
    ],
    near_misses: &[
        "Order 8862 3868 1899 dispatched",
        "aadhaar number 234123412347",
        "aadhaar number 123412341234",
    ],
};

fn in_aadhaar(c: &Candidate<'_>) -> Option<Range<usize>> {
    if !bounded(c.text, c.start, c.end, digit_or_dash) {
        return None;
    }
    let v = c.value().as_bytes();
    let consistent = v.len() == 12 || (v.len() == 14 && v[4] == v[9]);
    let (d, n) = grouped_digits::<12>(c.value())?;
    (consistent && ids::in_aadhaar(&d[..n]) && in_context(c, AADHAAR_CONTEXT)).then(|| c.range())
}

pub const IN_PAN: Detector = Detector {
    id: "IN_PAN",
    category: Category::Pii,
    description: "Indian Permanent Account Number (PAN)",
    pattern: r"[A-Z]{5}[0-9]{4}[A-Z]",
    dfa_pattern: None,
    anchors: DIGITS,
    context: &[],
    validator: in_pan,
    validator_name: "holder-type letter + serial not 0000",
    normaliser: alnum_upper,
    placeholder: "[IN_PAN]",
    regulations: &["DPDP"],
    priority: FORMAT,
    examples: &["PAN: KGSPY8332I", "Firm registered with LCVFX7552Q for TDS"],
    near_misses: &["PAN XIYXC8637K", "PAN BQPPF0000I", "PAN MFCP55547Q"],
};

fn in_pan(c: &Candidate<'_>) -> Option<Range<usize>> {
    (alnum_bounded(c) && ids::in_pan(c.value().as_bytes())).then(|| c.range())
}

const VOTER_CONTEXT: &[&str] = &["voter*", "EPIC", "*electoral*"];

pub const IN_VOTER_ID: Detector = Detector {
    id: "IN_VOTER_ID",
    category: Category::Pii,
    description: "Indian voter id (EPIC number), near a voter/EPIC/electoral word",
    pattern: r"[A-Z]{3}[0-9]{7}",
    dfa_pattern: None,
    anchors: DIGITS,
    context: VOTER_CONTEXT,
    // The election commission does not publish a check-digit algorithm, so
    // none is assumed (python-stdnum's Luhn guess would cost recall).
    validator: in_voter_id,
    validator_name: "3 letters + 7 digits + voter context",
    normaliser: alnum_upper,
    placeholder: "[IN_VOTER_ID]",
    regulations: &["DPDP"],
    priority: CONTEXT,
    examples: &[
        "Voter ID: XPK7368384",
        "EPIC no. QFW6236491 printed on the card",
    ],
    near_misses: &[
        "Parcel LIF2256998 delivered",
        "Voter ID VD0522375",
        "Voter ID DG77447584",
    ],
};

fn in_voter_id(c: &Candidate<'_>) -> Option<Range<usize>> {
    (alnum_bounded(c) && in_context(c, VOTER_CONTEXT)).then(|| c.range())
}

const IN_PASSPORT_CONTEXT: &[&str] = &["*passport*", "*पासपोर्ट*"];

pub const IN_PASSPORT: Detector = Detector {
    id: "IN_PASSPORT",
    category: Category::Pii,
    description: "Indian passport number (a letter and 7 digits), near the word passport",
    pattern: r"[A-Z][1-9][0-9]{6}",
    dfa_pattern: None,
    anchors: DIGITS,
    context: IN_PASSPORT_CONTEXT,
    validator: in_passport,
    validator_name: "format + passport context",
    normaliser: alnum_upper,
    placeholder: "[IN_PASSPORT]",
    regulations: &["DPDP"],
    priority: CONTEXT,
    examples: &["Indian passport no. C1244115", "पासपोर्ट संख्या B1827004"],
    near_misses: &[
        "Ref L1285730 in the ledger",
        "passport W211995",
        "passport W72669414",
    ],
};

fn in_passport(c: &Candidate<'_>) -> Option<Range<usize>> {
    (alnum_bounded(c) && in_context(c, IN_PASSPORT_CONTEXT)).then(|| c.range())
}

const IN_DL_CONTEXT: &[&str] = &[
    "*driving license*",
    "*driving licence*",
    "DL#",
    "DL #",
    "DL no",
    "DLno",
    "DL number*",
    "DLnumber*",
    "*license no*",
    "*licence no*",
];

pub const IN_DRIVING_LICENSE: Detector = Detector {
    id: "IN_DRIVING_LICENSE",
    category: Category::Pii,
    description: "Indian driving licence number, near a licence word",
    pattern: r"[A-Z]{2}[ \-]?[0-9]{2}[ \-]?[0-9]{4}[ \-]?[0-9]{7}",
    dfa_pattern: None,
    anchors: DIGITS,
    context: IN_DL_CONTEXT,
    validator: in_driving_license,
    validator_name: "state code + RTO + issue year 1950-now + 7-digit serial + licence context",
    normaliser: alnum_upper,
    placeholder: "[IN_DRIVING_LICENSE]",
    regulations: &["DPDP"],
    priority: CONTEXT,
    examples: &[
        "Driving licence no. MH16 20247283247",
        "Driving Licence: TN-23-1996-4665513",
    ],
    near_misses: &[
        "Shipment MH0220027862229 arrived",
        "Driving licence no. XX03 20056213703",
        "Driving licence no. MH12 30110830978",
    ],
};

fn in_driving_license(c: &Candidate<'_>) -> Option<Range<usize>> {
    if !alnum_bounded(c) {
        return None;
    }
    let (s, n) = compact::<15>(c.value())?;
    (ids::in_driving_licence(&s[..n]) && in_context(c, IN_DL_CONTEXT)).then(|| c.range())
}

// ================================================================ China

pub const CN_RESIDENT_ID: Detector = Detector {
    id: "CN_RESIDENT_ID",
    category: Category::Pii,
    description: "PRC resident identity card number (18 characters)",
    pattern: r"[0-9]{17}[0-9Xx]",
    dfa_pattern: None,
    anchors: DIGITS,
    context: &[],
    validator: cn_resident_id,
    validator_name: "province code + birth date + ISO 7064 MOD 11-2 (X or x)",
    normaliser: alnum_upper,
    placeholder: "[CN_RESIDENT_ID]",
    regulations: &["PIPL"],
    priority: CHECKSUM,
    examples: &[
        "公民身份号码：110101198807161002",
        "证件号码 33010619861105104X",
        "身份证号 44011320141005001x",
    ],
    near_misses: &[
        "身份证号 110101199002301236",
        "身份证号 000000198807161232",
        "身份证号 110105194912310020",
        "身份证号 36042619910102009x",
    ],
};

fn cn_resident_id(c: &Candidate<'_>) -> Option<Range<usize>> {
    if !alnum_bounded(c) {
        return None;
    }
    let (s, n) = compact_upper::<18>(c.value())?;
    ids::cn_resident_id(&s[..n]).then(|| c.range())
}

pub const CN_MOBILE: Detector = Detector {
    id: "CN_MOBILE",
    category: Category::Pii,
    description: "Mainland China mobile number, optionally with +86/0086",
    pattern: r"(?:(?:\+|00)86[ \-]?)?1[3-9][0-9][ \-]?[0-9]{4}[ \-]?[0-9]{4}",
    dfa_pattern: Some(r"[0-9]{3}[ \-]?[0-9]{4}[ \-]?[0-9]{4}"),
    anchors: DIGITS,
    context: &[],
    validator: cn_mobile,
    validator_name: "mobile number ranges of the CN plan",
    normaliser: cn_mobile_normal,
    placeholder: "[CN_MOBILE]",
    regulations: &["PIPL"],
    priority: 40,
    examples: &[
        "手机：158 3519 3628",
        "Call me on +86 138 7547 9388.",
        "请联系 0086 13979870864",
    ],
    near_misses: &[
        "订单号 12345678901",
        "手机 139551020757",
        "Office line +86 10 6552 9988",
        "Fax the signed copy to +49 151 13606986 please.",
        "Driving licence: AN93 19916113835",
        "Driver's license number: A145-9749-9178",
        "token xoxz-18494142562-2666119735-h4MCBkMKSX0Qu",
    ],
};

fn cn_mobile(c: &Candidate<'_>) -> Option<Range<usize>> {
    // Not glued to letters or digits: `A145-9749-9178` is an Illinois
    // licence, `X13812345678` an identifier.
    if char_after(c.text, c.end).is_some_and(|x| x.is_ascii_alphanumeric()) {
        return None;
    }
    // Nor a dash-joined piece of a token: `xoxz-18494142562-2666119735-...`.
    let word = |x: char| x.is_ascii_alphanumeric() || x == '_';
    if char_after(c.text, c.end) == Some('-') && char_after(c.text, c.end + 1).is_some_and(word) {
        return None;
    }
    if char_before(c.text, c.start) == Some('-')
        && c.start > 0
        && char_before(c.text, c.start - 1).is_some_and(word)
    {
        return None;
    }
    let glued =
        |at: usize| char_before(c.text, at).is_some_and(|x| x.is_ascii_alphanumeric() || x == '+');
    let v = c.value();
    // `3+86 138...`: the prefix is glued to something, the number is not.
    let start = if !glued(c.start) {
        c.start
    } else {
        let national = c.start + v.find('1').filter(|&i| i > 0 && v[..i].contains("86"))?;
        if glued(national) {
            return None;
        }
        national
    };
    // `+49 151 13606986`, `AN93 19916113835`: a short digit group glued by
    // one separator in front makes the number a piece of a longer run.
    if start == c.start && matches!(char_before(c.text, start), Some(' ' | '-')) {
        let (mut len, mut digits, mut in_digits) = (0usize, 0usize, true);
        for x in c.text[..start - 1]
            .chars()
            .rev()
            .take_while(char::is_ascii_alphanumeric)
            .take(6)
        {
            len += 1;
            in_digits &= x.is_ascii_digit();
            digits += usize::from(in_digits);
        }
        if (1..=4).contains(&digits) && len <= 5 {
            return None;
        }
    }
    let (d, n) = compact::<15>(c.text[start..c.end].trim_start_matches('+'))?;
    ids::cn_mobile(&d[n.checked_sub(11)?..n]).then_some(start..c.end)
}

fn cn_mobile_normal(s: &str) -> String {
    let d = digits_only(s);
    d.get(d.len().saturating_sub(11)..).unwrap_or("").to_owned()
}

pub const CN_BANK_CARD: Detector = Detector {
    id: "CN_BANK_CARD",
    category: Category::Pii,
    description: "China UnionPay bank card number",
    pattern: r"6(?:[ \-]?[0-9]){15,}",
    dfa_pattern: Some(r"[0-9](?:[ \-]?[0-9]){15,}"),
    anchors: DIGITS,
    context: &[],
    validator: cn_bank_card,
    validator_name: "62 prefix + 16-19 digits + Luhn",
    normaliser: digits_only,
    placeholder: "[CN_BANK_CARD]",
    regulations: &["PIPL", "PCI DSS"],
    priority: 75,
    examples: &[
        "银行卡号 6222947514149674251",
        "卡号：6217 5177 6098 3468 066",
        "储蓄卡 6212-9184-5166-9620",
    ],
    near_misses: &[
        "银行卡号 6222429871021577640",
        "银行卡号 6322927402200955573",
        "银行卡号 62220502624747335460",
        "blob ab6222947514149674251cd",
    ],
};

fn cn_bank_card(c: &Candidate<'_>) -> Option<Range<usize>> {
    if !bounded(c.text, c.start, c.end, digit_or_dash) {
        return None;
    }
    let (d, n) = grouped_digits::<19>(c.value())?;
    (ids::cn_bank_card(&d[..n]) && super::card_surroundings_ok(c)).then(|| c.range())
}

pub const CN_USCC: Detector = Detector {
    id: "CN_USCC",
    category: Category::Pii,
    description: "PRC unified social credit code of an organisation (18 characters)",
    // Compact, or in its groups (authority and type, division, organisation
    // code and check) with one kind of separator: `91 110000 600037341L`,
    // `9 1 110000 600037341L`. Letters in either case.
    pattern: concat!(
        "[0-9A-HJ-NPQRTUW-Ya-hj-npqrtuw-y]",
        "(?:[0-9A-HJ-NPQRTUW-Ya-hj-npqrtuw-y][0-9]{6}",
        "| ?[0-9A-HJ-NPQRTUW-Ya-hj-npqrtuw-y] [0-9]{6} ",
        "|-?[0-9A-HJ-NPQRTUW-Ya-hj-npqrtuw-y]-[0-9]{6}-)",
        "[0-9A-HJ-NPQRTUW-Ya-hj-npqrtuw-y]{10}",
    ),
    dfa_pattern: None,
    anchors: DIGITS,
    context: &[],
    validator: cn_uscc,
    validator_name: "GB 32100 check character (any case) + embedded GB 11714 organisation code",
    normaliser: alnum_upper,
    placeholder: "[CN_USCC]",
    regulations: &["PIPL"],
    priority: CHECKSUM,
    examples: &[
        "统一社会信用代码：911101085400434154",
        "Unified social credit code 91440300718528285T",
        "统一社会信用代码 91 110000 600037341L",
        "USCC 91-310115-MA1K3BTP2B",
        "信用代码 91440300718528285t",
    ],
    near_misses: &[
        "统一社会信用代码 91110108719258598M",
        "统一社会信用代码 9111010830I9607016",
        "注册号 110108199266383",
        "统一社会信用代码 91 110000 600037341N",
        "统一社会信用代码 91 110000-600037341L",
        "统一社会信用代码 91 110000600037341L",
    ],
};

fn cn_uscc(c: &Candidate<'_>) -> Option<Range<usize>> {
    if !alnum_bounded(c) {
        return None;
    }
    let (s, n) = compact_upper::<18>(c.value())?;
    ids::cn_uscc(&s[..n]).then(|| c.range())
}

const CN_PASSPORT_CONTEXT: &[&str] = &["*passport*", "*护照*", "*護照*"];

pub const CN_PASSPORT: Detector = Detector {
    id: "CN_PASSPORT",
    category: Category::Pii,
    description:
        "PRC passport number (E/G + 8 digits, or E + letter + 7 digits), near a passport word",
    pattern: r"[EG][0-9]{8}|E[A-HJ-NP-Z][0-9]{7}",
    dfa_pattern: None,
    anchors: DIGITS,
    context: CN_PASSPORT_CONTEXT,
    validator: cn_passport,
    validator_name: "format + passport context",
    normaliser: alnum_upper,
    placeholder: "[CN_PASSPORT]",
    regulations: &["PIPL"],
    priority: CONTEXT,
    examples: &[
        "护照号码 E77697000",
        "中国护照 ED9529172",
        "Passport No. EK7441213 (PRC)",
    ],
    near_misses: &["订单 E54427947 已发货", "护照 E4331951", "护照 EO3163019"],
};

fn cn_passport(c: &Candidate<'_>) -> Option<Range<usize>> {
    (alnum_bounded(c) && in_context(c, CN_PASSPORT_CONTEXT)).then(|| c.range())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_codes() {
        assert!(after_state_code("Sacramento, CA "));
        assert!(after_state_code("CA  "));
        assert!(!after_state_code("Sacramento, CA"));
        assert!(!after_state_code("Code XQ "));
        assert!(!after_state_code("XCA "));
        assert!(!after_state_code(" "));
    }

    /// Values written with lower-case check letters and separators are
    /// found, and normalise to the canonical form: upper case, compact.
    #[test]
    fn check_characters_in_any_case_normalise_to_the_canonical_form() {
        for (d, text, written, canonical) in [
            (
                CN_RESIDENT_ID,
                "",
                "44011320141005001x",
                "44011320141005001X",
            ),
            (ES_NIE, "", "x-2482300w", "X2482300W"),
            (ES_DNI, "", "54362315-k", "54362315K"),
            (CN_USCC, "", "91 110000 600037341L", "91110000600037341L"),
            (CN_USCC, "", "91440300718528285t", "91440300718528285T"),
            (DE_TAX_ID, "Steuer-ID ", "1123456789 0", "11234567890"),
            (
                IT_CODICE_FISCALE,
                "",
                "RSSMRAQRCMNFNLRG",
                "RSSMRAQRCMNFNLRG",
            ),
        ] {
            let text = format!("{text}{written}");
            let start = text.len() - written.len();
            let c = Candidate {
                text: &text,
                start,
                end: text.len(),
            };
            assert_eq!((d.validator)(&c), Some(start..text.len()), "{}", d.id);
            assert_eq!((d.normaliser)(written), canonical, "{}", d.id);
        }
    }

    #[test]
    fn lower_case_letters_stand_by_the_digits() {
        let v = |d: Detector, t: &str| {
            (d.validator)(&Candidate {
                text: t,
                start: 0,
                end: t.len(),
            })
        };
        assert!(v(ES_DNI, "54362315k").is_some());
        assert!(v(ES_DNI, "54362315 K").is_some());
        assert!(
            v(ES_DNI, "54362315 k").is_none(),
            "a lone word after a space"
        );
        assert!(v(ES_NIE, "X 2482300 W").is_some());
        assert!(v(ES_NIE, "x 2482300w").is_none());
        assert!(v(ES_NIE, "x2482300 w").is_none());
    }
}
