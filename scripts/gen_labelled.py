#!/usr/bin/env python3
"""Generate a labelled accuracy corpus for scour's detectors.

    gen_labelled.py [--rows 100000] [--seed 7] [--pos-rate 0.45]
                    [--neg-rate 0.25] [--verify] OUT.jsonl

Writes OUT.jsonl, one JSON object per line:

    {"id": i, "text": "...", "source": "...", "consent": true}

and OUT.labels.jsonl, one line per planted value:

    {"row": i, "field": "text", "type": "US_SSN", "value": "...",
     "expected": true|false, "start": B, "end": E, "note": "...",
     ["also": [...]], ["unspecified": true]}

Each row is 1-4 sentences of prose (pydoc_data.topics and
/usr/share/common-licenses, as in gen_corpus.py, with every sentence that holds
digits, '@', URLs, '=' or any detector's context word removed, so the filler is
free of accidental PII). About --pos-rate of the rows carry one valid value of
one detector type in a natural sentence; about --neg-rate carry one near miss
for one type (bad checksum, wrong length, missing context word, placeholder,
version string, ...). Types are drawn round-robin from a shuffled deck, so every
id of shared/conformance/README.md gets about the same number of rows (about
850 positives and 470 negatives per type at 100,000 rows).

Label fields:
  row, field      0-based row index and the field path ("text")
  type            the detector id the value was planted for
  value           the planted text, exactly as it appears in the row
  expected        true: the detector must report it; false: a near miss
  start, end      byte offsets of value in the UTF-8 text (scour's span unit)
  note            the variant (separator, context word and its distance, or
                  the near-miss kind)
  also            other detector ids that may legitimately report this very
                  value under their own rules (a UnionPay card is also a
                  CN_BANK_CARD; `password = <token>` is also GENERIC_SECRET;
                  a +86 mobile number is also PHONE). A finding of such a type
                  is neither a hit nor a false positive for the label.
  unspecified     the conformance README leaves this case open (bare SSN digits
                  with a context word); reported apart, not scored

Every positive is built by the rule in shared/conformance/README.md and
re-checked here with the same rule (standard library only); context words sit
within the rule's window (60 characters; 40 for DATE_OF_BIRTH, 30 for US_ZIP).
--verify additionally runs shared/conformance/check.py (needs python-stdnum and
phonenumbers) over every labelled row: positives must be found by the reference
implementation, negatives must not; exit 3 if any label disagrees.

Standard library only (except --verify). Deterministic: the output depends only
on the arguments and on the source text (the Python version and the licence
files present), not on PYTHONHASHSEED.
"""

import argparse
import base64
import datetime
import ipaddress
import json
import math
import os
import re
import string
import sys
import zlib
from collections import Counter
from random import Random

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_corpus  # noqa: E402  (prose sources, shared with the throughput corpus)

DIG = string.digits
UP = string.ascii_uppercase
LOW = string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B32 = string.ascii_uppercase + "234567"
HEX = "0123456789abcdef"
URLSAFE = ALNUM + "_-"
B64 = ALNUM + "+/"

# Detector ids of shared/conformance/README.md, in README order.
ALL_TYPES = [
    "EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "IP_ADDRESS", "DATE_OF_BIRTH", "URL_CREDENTIALS",
    "US_SSN", "US_ITIN", "US_PASSPORT", "US_DRIVER_LICENSE", "US_ZIP",
    "DE_ID_CARD", "DE_TAX_ID", "FR_NIR", "TR_NATIONAL_ID", "UK_NINO", "UK_NHS", "ES_DNI",
    "ES_NIE", "IT_CODICE_FISCALE", "NL_BSN", "PL_PESEL",
    "IN_AADHAAR", "IN_PAN", "IN_VOTER_ID", "IN_PASSPORT", "IN_DRIVING_LICENSE",
    "CN_RESIDENT_ID", "CN_MOBILE", "CN_BANK_CARD", "CN_USCC", "CN_PASSPORT",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "GITLAB_TOKEN",
    "SLACK_TOKEN", "SLACK_WEBHOOK", "STRIPE_SECRET_KEY", "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY", "GOOGLE_API_KEY", "HUGGINGFACE_TOKEN", "NPM_TOKEN", "PYPI_TOKEN",
    "AZURE_STORAGE_KEY", "TWILIO_API_KEY", "SENDGRID_API_KEY", "JWT", "PRIVATE_KEY",
    "DATABASE_URL_PASSWORD", "GENERIC_SECRET",
]

# ----------------------------------------------------------------------------
# context words (the rule's patterns, as in check.py) and windows

CTX = {
    "DATE_OF_BIRTH": [r"\bborn\b", r"\bbirth", r"\bDOB\b", r"\bD\.O\.B\.?", r"\bbirthday\b",
                      r"\bgeboren\b", r"geburtsdatum", r"\bnée?\b", r"date de naissance",
                      r"fecha de nacimiento", r"出生"],
    "US_SSN": [r"\bSSN\b", r"social security", r"\bSS#", r"\bsoc\.? ?sec"],
    "US_ITIN": [r"\bITIN\b", r"taxpayer identification"],
    "US_PASSPORT": [r"passport"],
    "US_DRIVER_LICENSE": [r"driver'?s? licen[cs]e", r"driving licen[cs]e",
                          r"\bDL\s?(?:#|no\b|number)", r"\bDLN\b"],
    "US_ZIP": [r"\bZIP\b", r"zip ?code", r"postal code", r"\bpostcode\b"],
    "DE_ID_CARD": [r"ausweis", r"identity card", r"\bID card\b", r"\bID-Karte\b", r"IDD<<"],
    "DE_TAX_ID": [r"steuer-?\s?id", r"steuer-?identifikationsnummer", r"steueridentifikations",
                  r"identifikationsnummer", r"\bIdNr\b", r"\btax id", r"\bTIN\b"],
    "UK_NHS": [r"\bNHS\b"],
    "NL_BSN": [r"\bBSN\b", r"burgerservicenummer", r"sofi-?nummer"],
    "PL_PESEL": [r"\bPESEL\b"],
    "IN_AADHAAR": [r"aadhaa?r", r"aadhar", "आधार", r"\bUIDAI?\b"],
    "IN_VOTER_ID": [r"\bvoter", r"\bEPIC\b", r"electoral"],
    "IN_PASSPORT": [r"passport", "पासपोर्ट"],
    "IN_DRIVING_LICENSE": [r"driving licen[cs]e", r"\bDL\s?(?:#|no\b|number)", r"licen[cs]e no"],
    "CN_PASSPORT": [r"passport", "护照", "護照"],
    "AWS_SECRET_ACCESS_KEY": [r"aws_?secret", r"secret_?access_?key", r"secretaccesskey",
                              r"aws secret", r"secret access key"],
}
WINDOW = {"DATE_OF_BIRTH": 40, "US_ZIP": 30}
CTX_RE = {t: [re.compile(p, re.I) for p in ps] for t, ps in CTX.items()}


def ctx_distance(text, start, end, typ):
    """(distance, matched word, side) of the nearest context word of typ, or None.
    distance = characters from the far edge of the word to the value, i.e.
    what has to fit in the rule's window."""
    best = None
    for rx in CTX_RE[typ]:
        for m in rx.finditer(text):
            if m.end() <= start:
                d, side = start - m.start(), "before"
            elif m.start() >= end:
                d, side = m.end() - end, "after"
            else:
                continue
            if best is None or d < best[0]:
                best = (d, m.group(0), side)
    return best


def has_ctx(text, typ):
    return any(rx.search(text) for rx in CTX_RE[typ])


# ----------------------------------------------------------------------------
# prose


FILLER_BAD = re.compile(
    r"\d|@|://|::|-----|\\|=|[<>{}\[\]#]|"
    r"\b(born|birth\w*|dob|d\.o\.b|geboren|geburts\w*|n[ée]e?|naissance|nacimiento|ssn|ss|"
    r"social security|soc|sec|itin|taxpayer|passport\w*|licen[cs]e no\w*|driver\w*|driving|"
    r"dl|dln|zip\w*|postal|postcode|\w*ausweis\w*|id|identity|id-karte|steuer\w*|"
    r"identifikationsnummer|idnr|tax|tin|nhs|bsn|burgerservicenummer|sofi\w*|pesel|"
    r"aadhaa?r|uid|uidai|voter\w*|epic|electoral|aws|accountkey|\w*password\w*|passwd|pwd|"
    r"\w*secret\w*|\w*token\w*|api_?key|apikey|access_?key|auth_?key|private_?key|credential\w*|"
    r"version|ver|release\w*)\b"
    r"|出生|护照|護照|आधार|पासपोर्ट", re.I)


def build_filler():
    sents, srcs = gen_corpus.build_sentences()
    out = [(t, s) for t, s in zip(sents, srcs) if len(t) <= 320 and not FILLER_BAD.search(t)]
    out += [(t, "web") for _, t in gen_corpus.MULTI if not FILLER_BAD.search(t)]
    return out


# ----------------------------------------------------------------------------
# checksums and rule helpers (the rules of shared/conformance/README.md)


def entropy(s):
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values()) if n else 0.0


def rnd_str(r, alphabet, n):
    return "".join(r.choice(alphabet) for _ in range(n))


def rnd_digits(r, n):
    return "".join(r.choice(DIG) for _ in range(n))


def high_entropy(r, alphabet, n, floor=3.3):
    while True:
        s = rnd_str(r, alphabet, n)
        if entropy(s) >= floor and not re.search(
                r"(?i)your|changeme|placeholder|redacted|example|dummy|test|sample|xxx", s):
            return s


def luhn_digit(partial):
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_ok(num):
    return len(num) > 1 and luhn_digit(num[:-1]) == num[-1]


def group(s, sizes, sep):
    out, i = [], 0
    for n in sizes:
        if i >= len(s):
            break
        out.append(s[i:i + n])
        i += n
    if i < len(s):
        out.append(s[i:])
    return sep.join(out)


def card_issuer(d):
    L = len(d)

    def rng(lo, hi, k):
        return len(d) >= k and lo <= int(d[:k]) <= hi
    if d[0] == "4" and L in (13, 16, 19):
        return "visa"
    if (rng(51, 55, 2) or rng(2221, 2720, 4)) and L == 16:
        return "mastercard"
    if d[:2] in ("34", "37") and L == 15:
        return "amex"
    if (d.startswith("6011") or rng(644, 649, 3) or d.startswith("65")) and 16 <= L <= 19:
        return "discover"
    if rng(3528, 3589, 4) and 16 <= L <= 19:
        return "jcb"
    if (rng(300, 305, 3) or d[:2] in ("36", "38", "39") or d.startswith("3095")) and 14 <= L <= 19:
        return "diners"
    if d.startswith("62") and 16 <= L <= 19:
        return "unionpay"
    return None


def card_ok(d):
    return 12 <= len(d) <= 19 and card_issuer(d) is not None and luhn_ok(d)


# IBAN registry subset: country -> BBAN shape (n digits, a upper letters, c alnum)
IBAN_SHAPES = {
    "AT": "5n11n", "BE": "3n7n2n", "CH": "5n12c", "CZ": "4n6n10n", "DE": "8n10n",
    "DK": "4n9n1n", "ES": "4n4n1n1n10n", "FI": "3n11n", "FR": "5n5n11c2n", "GB": "4a6n8n",
    "IE": "4a6n8n", "IT": "1a5n5n12c", "LU": "3n13c", "NL": "4a10n", "NO": "4n6n1n",
    "PL": "8n16n", "PT": "4n4n11n2n", "SE": "3n16n1n", "GR": "3n4n16c", "HU": "3n4n1n15n1n",
    "RO": "4a16c", "SI": "5n8n2n", "SK": "4n6n10n", "HR": "7n10n", "EE": "2n2n11n1n",
    "LT": "5n11n", "LV": "4a13c", "MT": "4a5n18c", "SA": "2n18c", "TR": "5n1n16c",
}
IBAN_WEIGHTS = {"DE": 6, "GB": 5, "FR": 5, "ES": 3, "IT": 3, "NL": 3, "BE": 2}


def iban_len(cc):
    return 4 + sum(int(n) for n, _ in re.findall(r"(\d+)([nac])", IBAN_SHAPES[cc]))


def iban_mod97(s):
    s = s.replace(" ", "").upper()
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97


def iban_check(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def iban_ok(s):
    c = s.replace(" ", "").upper()
    cc = c[:2]
    if cc not in IBAN_SHAPES or len(c) != iban_len(cc):
        return False
    spec = re.findall(r"(\d+)([nac])", IBAN_SHAPES[cc])
    rx = "".join({"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}[k] + "{%s}" % n for n, k in spec)
    return bool(re.fullmatch(rx, c[4:])) and iban_mod97(c) == 1


def gen_bban(r, cc):
    out = ""
    for n, k in re.findall(r"(\d+)([nac])", IBAN_SHAPES[cc]):
        n = int(n)
        if k == "n":
            out += rnd_digits(r, n)
        elif k == "a":
            out += rnd_str(r, UP, n)
        else:
            out += rnd_digits(r, n) if r.random() < 0.7 else rnd_str(r, UP + DIG, n)
    return out


def ssn_ok(v):
    d = re.sub(r"\D", "", v)
    a, g, s = d[:3], d[3:5], d[5:]
    return (len(d) == 9 and a not in ("000", "666") and a[0] != "9" and g != "00" and s != "0000"
            and "%s-%s-%s" % (a, g, s) not in ("078-05-1120", "219-09-9999", "457-55-5462"))


ITIN_GROUPS = [g for g in range(70, 100) if g not in (89, 93)]


def itin_ok(v):
    d = re.sub(r"\D", "", v)
    return len(d) == 9 and d[0] == "9" and int(d[3:5]) in ITIN_GROUPS


ICAO = {c: i for i, c in enumerate(DIG + UP)}


def icao_digit(s):
    return str(sum(ICAO[c] * (7, 3, 1)[i % 3] for i, c in enumerate(s)) % 10)


def mod_11_10_sum(number):
    check = 5
    for n in number:
        check = (((check or 10) * 2) % 11 + int(n)) % 10
    return check


def mod_11_10_digit(number):
    return str((1 - ((mod_11_10_sum(number) or 10) * 2) % 11) % 10)


def idnr_ok(d):
    if len(d) != 11 or d[0] == "0" or not d.isdigit():
        return False
    counts = [c for c in Counter(d[:10]).values() if c > 1]
    return len(counts) == 1 and counts[0] in (2, 3) and mod_11_10_sum(d) == 1


def nir_key(s13):
    dep = s13[5:7]
    if dep == "2A":
        s13 = s13[:5] + "19" + s13[7:]
    elif dep == "2B":
        s13 = s13[:5] + "18" + s13[7:]
    return "%02d" % (97 - int(s13) % 97)


def nir_ok(v):
    c = v.replace(" ", "")
    if len(c) != 15 or c[0] not in "123478":
        return False
    m = int(c[3:5])
    if not (1 <= m <= 12 or 20 <= m <= 42 or 50 <= m <= 99):
        return False
    if not (c[:5].isdigit() and c[7:].isdigit() and (c[5:7].isdigit() or c[5:7] in ("2A", "2B"))):
        return False
    return nir_key(c[:13]) == c[13:]


def tr_ok(d):
    if len(d) != 11 or not d.isdigit() or d[0] == "0":
        return False
    x = [int(c) for c in d]
    return ((7 * sum(x[0:9:2]) - sum(x[1:8:2])) % 10 == x[9]) and sum(x[:10]) % 10 == x[10]


def tr_make(body9):
    x = [int(c) for c in body9]
    d10 = (7 * sum(x[0:9:2]) - sum(x[1:8:2])) % 10
    d11 = (sum(x) + d10) % 10
    return body9 + str(d10) + str(d11)


NINO_BAD = ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ")


def nino_prefix_ok(p):
    return p[0] not in "DFIQUV" and p[1] not in "DFIOQUV" and p not in NINO_BAD


def nhs_check(d9):
    s = sum(int(c) * w for c, w in zip(d9, range(10, 1, -1)))
    c = 11 - s % 11
    return "0" if c == 11 else (None if c == 10 else str(c))


def nhs_ok(v):
    d = re.sub(r"\D", "", v)
    return len(d) == 10 and nhs_check(d[:9]) == d[9]


DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"

CF_ODD = dict(zip(DIG + UP, [1, 0, 5, 7, 9, 13, 15, 17, 19, 21] +
                  [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10,
                   22, 25, 24, 23]))
CF_EVEN = dict(zip(DIG + UP, list(range(10)) + list(range(26))))
CF_MONTHS = "ABCDEHLMPRST"
CF_OMO = "LMNPQRSTUV"


def cf_check(s15):
    return UP[sum(CF_ODD[c] if i % 2 == 0 else CF_EVEN[c] for i, c in enumerate(s15)) % 26]


def cf_date_ok(cf):
    dd = {c: i for i, c in enumerate(DIG)}
    dd.update({c: i for i, c in enumerate(CF_OMO)})
    try:
        day = (dd[cf[9]] * 10 + dd[cf[10]]) % 40
        month = CF_MONTHS.index(cf[8]) + 1
        year = dd[cf[6]] * 10 + dd[cf[7]]
        year += 1900 if year >= 20 else 2000
        datetime.date(year, month, day)
        return True
    except (ValueError, KeyError):
        return False


def cf_ok(cf):
    return (bool(re.fullmatch(r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}"
                              r"[A-Z][0-9LMNPQRSTUV]{3}[A-Z]", cf))
            and cf_check(cf[:15]) == cf[15] and cf_date_ok(cf))


def bsn_ok(d):
    return (len(d) == 9 and d.isdigit() and int(d) > 0 and
            (sum((9 - i) * int(c) for i, c in enumerate(d[:8])) - int(d[8])) % 11 == 0)


PESEL_W = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)


def pesel_check(d10):
    return str((10 - sum(w * int(c) for w, c in zip(PESEL_W, d10)) % 10) % 10)


def pesel_ok(d):
    if len(d) != 11 or not d.isdigit() or pesel_check(d[:10]) != d[10]:
        return False
    m = int(d[2:4])
    century = {0: 1900, 1: 2000, 2: 2100, 3: 2200, 4: 1800}.get(m // 20)
    try:
        datetime.date(century + int(d[:2]), m % 20, int(d[4:6]))
        return True
    except (ValueError, TypeError):
        return False


V_D = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
       [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
       [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
       [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
       [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]
V_P = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
       [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
       [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
       [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]]
V_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def verhoeff_sum(num):
    c = 0
    for i, ch in enumerate(reversed(num)):
        c = V_D[c][V_P[i % 8][int(ch)]]
    return c


def verhoeff_digit(partial):
    return str(V_INV[verhoeff_sum(partial + "0")])


def aadhaar_ok(v):
    d = re.sub(r"\D", "", v)
    return len(d) == 12 and d[0] in "23456789" and d != d[::-1] and verhoeff_sum(d) == 0


PAN_HOLDERS = "ABCFGHJKLPT"
IN_STATES = ("AN AP AR AS BR CG CH DD DL DN GA GJ HP HR JH JK KA KL LA LD MH ML MN MP MZ NL OD "
             "OR PB PY RJ SK TN TR TS UK UP WB").split()

# GB/T 2260 county codes with the first year python-stdnum accepts them
CN_REGIONS = [("110101", 1900), ("110102", 1900), ("110105", 1900), ("110108", 1900),
              ("120101", 1900), ("120103", 1900), ("310101", 1900), ("310104", 1900),
              ("310105", 1900), ("310115", 1992), ("320102", 1983), ("330106", 1983),
              ("350102", 1983), ("370102", 1983), ("410102", 1983), ("420102", 1983),
              ("440103", 1983), ("440104", 1983), ("440301", 1983), ("450102", 1983),
              ("510104", 1990), ("510107", 1990), ("520102", 1983), ("530102", 1983),
              ("610102", 1983), ("210102", 1983), ("220102", 1983), ("230102", 1983),
              ("130102", 1983), ("360102", 1983), ("620102", 1983), ("650102", 1983),
              ("150102", 1983)]


def ric_check(d17):
    c = (1 - 2 * int(d17, 13)) % 11
    return "X" if c == 10 else str(c)


def ric_ok(v):
    if not re.fullmatch(r"\d{17}[\dX]", v) or ric_check(v[:17]) != v[17]:
        return False
    try:
        dt = datetime.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return False
    return dt.year >= 1900 and v[:2] in ("11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 "
                                         "45 46 50 51 52 53 54 61 62 63 64 65").split()


CN_MOBILE_PREFIXES = [130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 145, 147, 150, 151, 152,
                      153, 155, 156, 157, 158, 159, 162, 165, 166, 167, 170, 171, 172, 173, 175,
                      176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191,
                      192, 193, 195, 196, 197, 198, 199]
USCC_ALPHA = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check(s17):
    return USCC_ALPHA[(31 - sum(USCC_ALPHA.index(c) * w for c, w in zip(s17, USCC_W)) % 31) % 31]


def uscc_ok(v):
    return (len(v) == 18 and v[:8].isdigit() and all(c in USCC_ALPHA for c in v)
            and uscc_check(v[:17]) == v[17])


def orgcode_check(s8):
    t = sum(w * (int(c) if c.isdigit() else ord(c) - 55)
            for w, c in zip((3, 7, 9, 10, 5, 8, 4, 2), s8))
    c = 11 - t % 11
    return "X" if c == 10 else ("0" if c == 11 else str(c))


def b62(n, width):
    s = ""
    while n > 0:
        s = B62[n % 62] + s
        n //= 62
    return s.rjust(width, "0")


def crc_tail(body30):
    return b62(zlib.crc32(body30.encode()) & 0xFFFFFFFF, 6)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


PLACEHOLDER_WORDS = {
    "changeme", "change_me", "change-me", "password", "passwd", "secret", "mysecret", "example",
    "sample", "dummy", "test", "testing", "redacted", "none", "null", "nil", "todo", "tbd",
    "placeholder", "xxx", "your_password", "yourpassword", "your-password", "your_token",
    "your_api_key", "secret_key", "api_key", "token", "undefined"}


def is_placeholder(v):
    lv = v.lower()
    return (not v or bool(re.fullmatch(r"(.)\1*", v)) or v[0] in "$<[{%"
            or bool(re.search(r"your[_-]?|changeme|placeholder|redacted|example|dummy", lv))
            or lv in PLACEHOLDER_WORDS)


# ----------------------------------------------------------------------------
# quick finders: the context-free rules of check.py, used to find other
# detector types that a planted value legitimately (or accidentally) matches

EMAIL_RE = re.compile(
    r"(?<![\w.!#$%&'*+/=?^`{|}~-])"
    r"([\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*)"
    r"@((?:[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?\.)+"
    r"(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{2,59}))"
    r"(?![\w-]|\.[\w])")
URL_USERINFO = re.compile(
    r"(?<![\w+.\-])((?:jdbc:)?[A-Za-z][A-Za-z0-9+.\-]*)://([^\s:/?#@\"'<>]*):([^\s/?#@\"']*)@"
    r"([A-Za-z0-9.\-\[\]:]+)")
DB_SCHEMES = ("postgres", "postgresql", "mysql", "mariadb", "mongodb", "mongodb+srv", "redis",
              "rediss", "mssql", "sqlserver", "oracle", "cockroachdb", "clickhouse", "couchdb",
              "neo4j")
SECRET_KEY_NAME = re.compile(
    r"(?i)(?<![A-Za-z0-9])([A-Za-z0-9_.\-]*(?:password|passwd|pwd|secret(?:[_\-]?key)?|token|"
    r"api[_\-]?key|apikey|access[_\-]?key|auth[_\-]?key|private[_\-]?key))"
    r"[\"']?\s*(?::=|=>|=|:)\s*")
CARD_CAND = re.compile(r"(?<![\d\-])(\d(?:[ \-]?\d){11,18})(?!\d|[ \-]\d)")
IPV4_CAND = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w]|\.\d)")
IPV6_CAND = re.compile(r"(?<![\w:.])([0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)(?![\w:])")
VERSION_BEFORE = re.compile(r"(?i)(?:\bversion|\bver\.?|\brelease|\bv)\s*$")


def q_email(t):
    return [(m.start(), m.end()) for m in EMAIL_RE.finditer(t)]


def _userinfo(t, want_db):
    out = []
    for m in URL_USERINFO.finditer(t):
        scheme = m.group(1).lower()
        if scheme.startswith("jdbc:"):
            scheme = scheme[5:]
        if (scheme in DB_SCHEMES) != want_db or is_placeholder(m.group(3)):
            continue
        if not want_db and not m.group(2):
            continue
        out.append((m.start(), m.end()))
    return out


def q_generic(t):
    out = []
    for m in SECRET_KEY_NAME.finditer(t):
        rest = t[m.end():]
        q = re.match(r"([\"'`])(.*?)\1", rest)
        if q:
            value, s = q.group(2), m.end() + 1
        else:
            u = re.match(r"[^\s,;\"'`]+", rest)
            if not u:
                continue
            value, s = u.group(0), m.end()
        if len(value) < 8 or is_placeholder(value) or entropy(value) < 3.0:
            continue
        if re.fullmatch(r"[A-Za-z_.\-]+", value) or "(" in value or "[" in value:
            continue
        out.append((s, s + len(value)))
    return out


def q_card(t, want_cn=False):
    out = []
    for m in CARD_CAND.finditer(t):
        c = m.group(1)
        if len(set(re.findall(r"[ \-]", c))) > 1:
            continue
        d = re.sub(r"\D", "", c)
        if want_cn:
            if 16 <= len(d) <= 19 and d.startswith("62") and luhn_ok(d):
                out.append(m.span(1))
        elif card_ok(d):
            out.append(m.span(1))
    return out


def q_ip(t):
    out = []
    for m in IPV4_CAND.finditer(t):
        if VERSION_BEFORE.search(t[:m.start()]):
            continue
        try:
            a = ipaddress.IPv4Address(m.group(1))
            # 198.51.100.0/24 is surrogate space: scour does not report it
            if a not in ipaddress.IPv4Network("198.51.100.0/24"):
                out.append(m.span(1))
        except ValueError:
            pass
    for m in IPV6_CAND.finditer(t):
        c = m.group(1).rstrip(".")
        if not re.search(r"[0-9A-Fa-f]", c):
            continue
        try:
            ipaddress.IPv6Address(c)
            out.append((m.start(1), m.start(1) + len(c)))
        except ValueError:
            pass
    return out


def q_tr(t):
    return [m.span(1) for m in re.finditer(r"(?<!\d)([1-9]\d{10})(?!\d)", t) if tr_ok(m.group(1))]


def q_ric(t):
    return [m.span(1) for m in re.finditer(r"(?<![0-9A-Za-z])(\d{17}[\dX])(?![0-9A-Za-z])", t)
            if ric_ok(m.group(1))]


def q_nir(t):
    return [m.span() for m in re.finditer(
        r"(?<![\dA-Z])([1-478]) ?(\d{2}) ?(\d{2}) ?(\d{2}|2[AB]) ?(\d{3}) ?(\d{3}) ?(\d{2})(?![\dA-Z])", t)
        if nir_ok("".join(m.groups()))]


def q_iban(t):
    out = []
    for m in re.finditer(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}", t):
        i, buf, ends = m.end(), m.group(0), []
        while i < len(t):
            ch = t[i]
            if ch.isascii() and ch.isalnum():
                buf += ch
            elif ch == " " and i + 1 < len(t) and t[i + 1].isascii() and t[i + 1].isalnum():
                ends.append(buf)
                buf += ch
            else:
                break
            i += 1
        ends.append(buf)
        for cand in ends:
            if iban_ok(cand):
                out.append((m.start(), m.start() + len(cand)))
                break
    return out


def q_uscc(t):
    return [m.span(1) for m in re.finditer(r"(?<![0-9A-Z])([0-9A-Z]{18})(?![0-9A-Z])", t)
            if uscc_ok(m.group(1))]


def q_dni(t):
    return [m.span() for m in re.finditer(
        r"(?<![A-Za-z0-9.])(\d{8}|\d{2}\.\d{3}\.\d{3})[ \-]?([A-Z])(?![A-Za-z0-9])", t)
        if DNI_LETTERS[int(re.sub(r"\D", "", m.group(1))) % 23] == m.group(2)]


def q_pan(t):
    return [m.span(1) for m in re.finditer(r"(?<![A-Za-z0-9])([A-Z]{5}\d{4}[A-Z])(?![A-Za-z0-9])", t)
            if m.group(1)[3] in PAN_HOLDERS and m.group(1)[5:9] != "0000"]


def q_nino(t):
    return [m.span() for m in re.finditer(
        r"(?<![A-Za-z0-9])([A-Z]{2}) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])(?![A-Za-z0-9])", t)
        if nino_prefix_ok(m.group(1))]


QUICK = {
    "EMAIL": q_email, "GENERIC_SECRET": q_generic, "URL_CREDENTIALS": lambda t: _userinfo(t, False),
    "DATABASE_URL_PASSWORD": lambda t: _userinfo(t, True), "CREDIT_CARD": q_card,
    "CN_BANK_CARD": lambda t: q_card(t, True), "IP_ADDRESS": q_ip, "TR_NATIONAL_ID": q_tr,
    "CN_RESIDENT_ID": q_ric, "FR_NIR": q_nir, "IBAN": q_iban, "CN_USCC": q_uscc, "ES_DNI": q_dni,
    "IN_PAN": q_pan, "UK_NINO": q_nino,
}

# Overlaps that the rules make legitimate: a finding of an `also` type on the
# value is correct, not a false positive.
ALLOWED_ALSO = {
    "CREDIT_CARD": {"CN_BANK_CARD"},
    "CN_BANK_CARD": {"CREDIT_CARD"},
    "URL_CREDENTIALS": {"EMAIL", "IP_ADDRESS"},
    "DATABASE_URL_PASSWORD": {"URL_CREDENTIALS", "EMAIL", "IP_ADDRESS"},
}
for _t in ("AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "GITLAB_TOKEN", "SLACK_TOKEN", "STRIPE_SECRET_KEY",
           "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_API_KEY", "HUGGINGFACE_TOKEN", "NPM_TOKEN",
           "PYPI_TOKEN", "TWILIO_API_KEY", "SENDGRID_API_KEY", "JWT", "AWS_ACCESS_KEY_ID",
           "PRIVATE_KEY", "AZURE_STORAGE_KEY"):
    ALLOWED_ALSO.setdefault(_t, set()).add("GENERIC_SECRET")


def overlapping(text, s, e, skip):
    """Quick-finder types (other than skip) with a match overlapping text[s:e]."""
    out = []
    for typ in sorted(QUICK):
        if typ == skip:
            continue
        if any(a < e and s < b for a, b in QUICK[typ](text)):
            out.append(typ)
    return out


# ----------------------------------------------------------------------------
# sentence templates

# Generic ID sentences: {p} is a phrase holding the context word, {v} the value.
BEFORE = [
    ("{P}: {v}", 3), ("{P} {v}", 2), ("My {p} is {v}.", 3), ("Her {p} is {v}, if you need it.", 2),
    ("The {p} on file is {v}.", 3), ("Please double-check the {p} {v} before submitting the claim.", 2),
    ("{P} (as printed on the form): {v}", 1), ("We have {p} {v} for the applicant.", 2),
    ("Under {p}, the intake sheet simply says {v}.", 1),
    ("The {p} that the clerk copied from the old form was {v}.", 1),
]
AFTER = [
    ("{v} is the {p} we have on record.", 2), ("Use {v} as the {p}.", 1), ("{v} ({p})", 1),
    ("She wrote {v} next to the line marked {p}.", 1),
]
NOCTX = [
    "The reference {v} appears twice in the ledger.", "Ticket {v} was closed yesterday afternoon.",
    "Please quote {v} in all correspondence.", "{v} was written on the back of the envelope.",
    "The form lists {v} in the second box.", "We received {v} from the front desk this morning.",
    "The value {v} kept showing up in the export.", "Someone scribbled {v} on the whiteboard.",
]


def wchoice(r, items):
    return r.choices([t for t, _ in items], [w for _, w in items])[0]


def ctx_sentence(r, typ, phrases, v, after_rate=0.25):
    """A sentence with value v and one of the phrases (each contains a context
    word of typ), within typ's window."""
    window = WINDOW.get(typ, 60)
    for _ in range(50):
        p = r.choice(phrases)
        tpl = wchoice(r, AFTER if r.random() < after_rate else BEFORE)
        s = tpl.format(p=p, P=p[0].upper() + p[1:], v=v)
        i = s.index(v)
        d = ctx_distance(s, i, i + len(v), typ)
        if d and d[0] <= window - 4:
            return s
    raise RuntimeError("no template fits %s within %d: %r" % (typ, window, phrases))


def nocx(r, v, templates=NOCTX):
    return r.choice(templates).format(v=v)


# ----------------------------------------------------------------------------
# value generators and carrier sentences, one pair per type.
# Each pos_/neg_ function returns (sentence, value, note[, extra dict]).

FIRST = ["james", "mary", "li", "wei", "fatima", "olga", "pierre", "anna", "raj", "sofia",
         "kenji", "amara", "lucas", "emma", "noah", "chloe", "mateo", "hannah", "omar", "ines",
         "david", "yuki", "sara", "tom", "giulia", "marco", "priya", "arjun", "zhang", "mei"]
LAST = ["smith", "garcia", "wang", "muller", "dupont", "rossi", "kowalski", "tanaka", "okafor",
        "silva", "novak", "jensen", "brown", "kim", "singh", "ivanova", "martin", "lopez",
        "nguyen", "cohen", "bianchi", "sharma", "chen", "weber", "moreau"]
HOSTS = ["example.com", "example.org", "example.net", "mail.example.com", "corp.example.co.uk",
         "dept.example.co.jp", "example.de", "lists.example.org", "students.example.edu",
         "example.fr", "my-company.example.com", "x.example.io"]


def pos_EMAIL(r):
    f, l = r.choice(FIRST), r.choice(LAST)
    local = r.choice([f + "." + l, f[0] + l, "%s%d" % (f, r.randint(1, 9999)), f + "_" + l,
                      "%s.%s+%s" % (f, l, r.choice(("news", "work", "git", "2024"))),
                      r.choice(("support", "info", "admin", "billing", "noreply", "jobs")),
                      r.choice(("josé.garcía", "müller", "françois", "zoë.k", "o'brien",
                                "first-last", "a.b.c", "user%team", "x_y-z"))])
    x = r.random()
    if x < 0.85:
        dom = r.choice(HOSTS)
    elif x < 0.93:
        dom = r.choice(("bücher.example.de", "münchen.example.com", "café.example.fr"))
    else:
        dom = r.choice(("shop.xn--p1ai", "mail.xn--fiqs8s", "example.xn--mgbaam7a8h"))
    v = local + "@" + dom
    s = r.choice(["Contact me at {v} if anything breaks.", "Reply-To: {v}",
                  "Send the logs to <{v}> before Friday.", "My email is {v}, feel free to write.",
                  "You can reach the maintainer ({v}) on weekdays.", "mailto:{v}",
                  "Forwarded from {v}.", "CC {v} on the thread, please."]).format(v=v)
    return s, v, "email"


def neg_EMAIL(r):
    f, l = r.choice(FIRST), r.choice(LAST)
    k, v = r.choice([
        ("no-dot-domain", "%s@localhost" % f), ("no-dot-domain", "%s@server" % f),
        ("version-pin", "%s@%d.%d.%d" % (r.choice(("lodash", "react", "express", "left-pad")),
                                          r.randint(1, 20), r.randint(0, 30), r.randint(0, 40))),
        ("one-letter-tld", "%s@example.c" % f), ("double-dot", "%s..%s@example.com" % (f, l)),
        ("trailing-dot", "%s.@example.com" % f), ("leading-hyphen-label", "%s@-example.com" % f),
        ("handle", "@%s_%s" % (f, l))])
    s = r.choice(["The string {v} is not a mailbox.", "Install {v} and rerun the build.",
                  "Ping {v} in the chat.", "The config says {v} for the sender."]).format(v=v)
    return s, v, "neg:" + k


US_AREAS = ("201", "202", "206", "212", "213", "303", "305", "312", "408", "415", "503", "512",
            "617", "646", "702", "713", "718", "773", "818", "917")


def pos_PHONE(r):
    x = r.random()
    g = lambda n: rnd_digits(r, n)  # noqa: E731
    if x < 0.25:
        a, ex = r.choice(US_AREAS), str(r.randint(2, 9)) + g(2)
        if ex == "555":  # 555-0100..0199 is fictional: not reported
            ex = "556"
        v = r.choice(("(%s) %s-%s", "%s-%s-%s", "%s.%s.%s", "+1 %s-%s-%s", "+1 (%s) %s-%s",
                      "+1 %s %s %s")) % (a, ex, g(4))
        k = "US"
    elif x < 0.45:
        # Ofcom's drama ranges (reserved for fiction, valid in the numbering plan)
        loc = r.choice([("20", "7946", "0" + g(3)), ("161", "496", "0" + g(3)),
                        ("113", "496", "0" + g(3)), ("121", "496", "0" + g(3)),
                        ("131", "496", "0" + g(3)), ("117", "496", "0" + g(3)),
                        ("28", "9649", "6" + g(3)), ("29", "2018", "0" + g(3)),
                        ("191", "498", "0" + g(3))])
        v = ("+44 " + " ".join(loc)) if r.random() < 0.5 else ("0" + " ".join(loc))
        k = "GB"
    elif x < 0.58:
        v, k = r.choice((("+49 30 %s" % (str(r.randint(2, 9)) + g(7)), "DE-fixed"),
                         ("030 %s" % (str(r.randint(2, 9)) + g(7)), "DE-fixed"),
                         ("+49 151 %s" % g(8), "DE-mobile"), ("0151 %s" % g(8), "DE-mobile"),
                         ("089 %s" % (str(r.randint(2, 9)) + g(6)), "DE-fixed")))
    elif x < 0.70:
        pairs = " ".join(["%02d" % r.randint(10, 89)] + [g(2) for _ in range(3)])
        if pairs.startswith("39"):
            pairs = "4" + pairs[1:]
        v = r.choice(("+33 1 %s", "01 %s", "+33 6 %s", "06 %s")) % pairs
        if r.random() < 0.2 and v.startswith("01"):
            v = v.replace(" ", ".")
        k = "FR-mobile" if v[:2] == "06" or v[:5] == "+33 6" else "FR-fixed"
    elif x < 0.80:
        v = r.choice(("+91 %s %s", "0%s %s")) % (r.choice("6789") + g(4), g(5))
        k = "IN"
    elif x < 0.86:
        v = r.choice(("+86 10 %s %s", "010-%s-%s")) % (str(r.randint(5, 8)) + g(3), g(4))
        k = "CN-landline"
    else:
        v, k = r.choice([("+81 3-%s-%s" % (str(r.randint(1, 9)) + g(3), g(4)), "JP-fixed"),
                         ("+61 2 %s %s" % (str(r.randint(8, 9)) + g(3), g(4)), "AU-fixed"),
                         ("+34 91 %s %s %s" % (str(r.randint(1, 9)) + g(2), g(2), g(2)), "ES-fixed"),
                         ("+39 06 %s %s" % (str(r.randint(1, 9)) + g(3), g(4)), "IT-fixed"),
                         ("+31 20 %s %s" % (str(r.randint(1, 9)) + g(2), g(4)), "NL-fixed"),
                         ("+55 11 9%s-%s" % (g(4), g(4)), "BR-mobile"),
                         ("+1 416 %s %s" % (str(r.randint(2, 9)) + g(2), g(4)), "CA")])
    s = r.choice(["Call me on {v} after six.", "Phone: {v}", "Tel. {v} (office hours only).",
                  "You can reach the front desk at {v}.", "Her number is {v}, mobile or landline.",
                  "Fax the signed copy to {v} please."]).format(v=v)
    return s, v, "phone:" + k


def neg_PHONE(r):
    y, m, d = r.randint(1990, 2024), r.randint(1, 12), r.randint(1, 28)
    k, v = r.choice([
        ("bare-digit-run", str(r.randint(2, 9)) + rnd_digits(r, 9)),
        ("date-iso", "%04d-%02d-%02d" % (y, m, d)),
        ("date-dmy", "%02d/%02d/%04d" % (d, m, y)),
        ("date-dot", "%02d.%02d.%04d" % (d, m, y)),
        ("timestamp", "%04d-%02d-%02d %02d:%02d:%02d" % (y, m, d, r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))),
        ("too-short", "%d-%02d" % (r.randint(100, 999), r.randint(10, 99))),
        ("version", "%d.%d.%d" % (r.randint(1, 9), r.randint(0, 20), r.randint(0, 99))),
        ("fictional-555-01xx", "(%s) 555-01%02d" % (r.choice(US_AREAS), r.randint(0, 99))),
        ("fictional-07700-900", "07700 900%03d" % r.randint(0, 999)),
    ])
    s = r.choice(["Order {v} shipped late.", "Build {v} passed all checks.", "See entry {v} in the log.",
                  "The ledger shows {v} for that line."]).format(v=v)
    return s, v, "neg:" + k


def card_number(r, issuer):
    pre, lengths = {
        "visa": (lambda: "4", (16, 16, 16, 13, 19)),
        "mastercard": (lambda: str(r.randint(51, 55)) if r.random() < .7 else str(r.randint(2221, 2720)), (16,)),
        "amex": (lambda: r.choice(("34", "37")), (15,)),
        "discover": (lambda: r.choice(("6011", str(r.randint(644, 649)), "65")), (16, 16, 17, 18, 19)),
        "jcb": (lambda: str(r.randint(3528, 3589)), (16, 16, 17, 18, 19)),
        "diners": (lambda: r.choice(("300", "301", "302", "303", "304", "305", "36", "38", "39", "3095")),
                   (14, 14, 15, 16, 17, 18, 19)),
        "unionpay": (lambda: "62", (16, 16, 17, 18, 19)),
    }[issuer]
    p = pre()
    n = r.choice(lengths)
    body = p + rnd_digits(r, n - len(p) - 1)
    return body + luhn_digit(body)


def fmt_card(r, num, style=None):
    style = style if style is not None else r.random()
    if style < 0.45:
        return num, "compact"
    sep = " " if style < 0.8 else "-"
    n = len(num)
    if n == 15:
        return group(num, (4, 6, 5), sep), "grouped"
    if n == 14:
        return group(num, (4, 6, 4), sep), "grouped"
    return group(num, (4,) * 5, sep), "grouped"


CARD_TPL = ["Card number: {v}", "I paid with {v} last week.", "Please charge {v} for the renewal.",
            "The card ending in this number, {v}, was declined.", "Visa/MC {v} exp 09/27",
            "{v} is the card on file."]


def pos_CREDIT_CARD(r):
    iss = r.choices(["visa", "mastercard", "amex", "discover", "jcb", "diners", "unionpay"],
                    [30, 22, 12, 10, 9, 9, 8])[0]
    num = card_number(r, iss)
    v, k = fmt_card(r, num)
    extra = {"also": ["CN_BANK_CARD"]} if iss == "unionpay" else {}
    return r.choice(CARD_TPL).format(v=v), v, "card:%s:%d:%s" % (iss, len(num), k), extra


def neg_CREDIT_CARD(r):
    x = r.random()
    if x < 0.3:
        num = card_number(r, r.choice(["visa", "mastercard", "amex", "discover", "jcb", "diners"]))
        num = num[:-1] + str((int(num[-1]) + r.randint(1, 9)) % 10)
        k = "bad-luhn"
    elif x < 0.55:
        body = r.choice("1789") + rnd_digits(r, 14)
        num, k = body + luhn_digit(body), "luhn-valid-no-issuer"
    elif x < 0.75:
        body = r.choice(("34", "37", "4")) + rnd_digits(r, 12 if r.random() < .5 else 15)
        body = body[:15] if body[0] == "4" else body
        num, k = body + luhn_digit(body), "wrong-length-for-issuer"
        if card_ok(num):
            return neg_CREDIT_CARD(r)
    else:
        num = card_number(r, "visa")
        while len(num) != 16:
            num = card_number(r, "visa")
        v = num[:4] + " " + num[4:8] + "-" + num[8:12] + " " + num[12:]
        return r.choice(CARD_TPL).format(v=v), v, "neg:mixed-separators"
    v, _ = fmt_card(r, num)
    return r.choice(CARD_TPL).format(v=v), v, "neg:" + k


def pos_IBAN(r):
    cc = r.choices(sorted(IBAN_SHAPES), [IBAN_WEIGHTS.get(c, 1) for c in sorted(IBAN_SHAPES)])[0]
    bban = gen_bban(r, cc)
    v = cc + iban_check(cc, bban) + bban
    k = "compact"
    if r.random() < 0.5:
        v, k = group(v, (4,) * 9, " "), "spaced"
    if r.random() < 0.06:
        v, k = v.lower(), k + "-lower"
    s = r.choice(["IBAN: {v}", "Please transfer the deposit to {v} by Monday.",
                  "Bank details: {v} (Sparkasse)", "Our account {v} is in good standing.",
                  "Wire it to IBAN {v} please", "{v} is the account for refunds."]).format(v=v)
    return s, v, "iban:%s:%s" % (cc, k)


def neg_IBAN(r):
    cc = r.choices(sorted(IBAN_SHAPES), [IBAN_WEIGHTS.get(c, 1) for c in sorted(IBAN_SHAPES)])[0]
    bban = gen_bban(r, cc)
    chk = iban_check(cc, bban)
    x = r.random()
    if x < 0.45:
        bad = "%02d" % r.choice([c for c in range(2, 99) if c != int(chk)])
        v, k = cc + bad + bban, "bad-check-digits"
    elif x < 0.75:
        b2 = bban[:-1]
        v, k = cc + iban_check(cc, b2) + b2, "wrong-length"
    else:
        v, k = "QZ" + iban_check("QZ", bban) + bban, "unknown-country"
    if iban_ok(v):
        return neg_IBAN(r)
    if r.random() < 0.5:
        v = group(v, (4,) * 9, " ")
    return "IBAN: %s" % v if r.random() < 0.5 else "Transfer to %s failed." % v, v, "neg:" + k


def rand_v4(r):
    x = r.random()
    if x < 0.3:
        # 198.51.100.0/24 is scour's surrogate space and not reported
        return r.choice(("192.0.2.", "203.0.113.")) + str(r.randint(0, 255))
    if x < 0.5:
        return "10.%d.%d.%d" % (r.randint(0, 255), r.randint(0, 255), r.randint(0, 255))
    if x < 0.65:
        return "192.168.%d.%d" % (r.randint(0, 255), r.randint(1, 254))
    if x < 0.75:
        return "172.%d.%d.%d" % (r.randint(16, 31), r.randint(0, 255), r.randint(1, 254))
    return "%d.%d.%d.%d" % (r.randint(1, 255), r.randint(0, 255), r.randint(0, 255), r.randint(0, 255))


def rand_v6(r):
    x = r.random()
    if x < 0.12:
        return "::ffff:" + rand_v4(r), "v4-mapped"
    if x < 0.18:
        return "64:ff9b::" + rand_v4(r), "nat64"
    if x < 0.22:
        return "::1", "loopback"
    base = 0x20010db8 << 96
    if x < 0.55:
        n = base | (r.getrandbits(16) << 64) | r.getrandbits(16)
    elif x < 0.75:
        n = (0xfe80 << 112) | r.getrandbits(64)
    else:
        n = base | r.getrandbits(96)
    a = ipaddress.IPv6Address(n)
    y = r.random()
    if y < 0.2:
        return a.exploded, "full"
    if y < 0.3:
        return a.compressed.upper(), "upper"
    return a.compressed, "compressed"


def pos_IP_ADDRESS(r):
    if r.random() < 0.55:
        v, k = rand_v4(r), "v4"
        x = r.random()
        if x < 0.15:
            s = "Connect to {v}:%d and retry." % r.choice((22, 80, 443, 8080, 5432))
        elif x < 0.25:
            s = "Listening on [{v}] since boot."
        else:
            s = r.choice(["The server at {v} stopped responding.", "Allow traffic from {v} only.",
                          "ssh admin into {v} to fix it.", "Her laptop got {v} from DHCP.",
                          "Requests came from {v}, {v2} and nowhere else."])
        s = s.replace("{v2}", "the gateway")
    else:
        v, k = rand_v6(r)
        k = "v6-" + k
        if r.random() < 0.15:
            s = "Open http://[{v}]:%d/ in the browser." % r.choice((80, 8080, 8443))
        else:
            s = r.choice(["The host resolves to {v} on the lab network.", "Ping {v} to check the route.",
                          "Add {v} to the allow list.", "Traffic from {v} was dropped."])
    return s.format(v=v), v, "ip:" + k


def neg_IP_ADDRESS(r):
    q = "%d.%d.%d.%d" % (r.randint(1, 20), r.randint(0, 30), r.randint(0, 99), r.randint(0, 999) % 256)
    k, s, v = r.choice([
        ("version-word", "Upgrade to version {v} before Friday.", q),
        ("ver-dot", "Tested with ver. {v} only.", q),
        ("release-word", "The release {v} fixed the crash.", q),
        ("glued-v", "Pinned to v{v} in the lockfile.", q),
        ("oid", "The OID {v} names the vendor arc.",
         "1.3.6.1.4.1.%d.%d" % (r.randint(1000, 60000), r.randint(1, 99))),
        ("octet-over-255", "The value {v} is not an address.",
         "%d.%d.%d.%d" % (r.randint(256, 999), r.randint(0, 255), r.randint(0, 255), r.randint(0, 255))),
        ("three-parts", "Section {v} covers the rest.", "%d.%d.%d" % (r.randint(1, 30), r.randint(1, 30), r.randint(1, 30))),
        ("five-parts", "The dotted id {v} is a tree path.",
         "10.%d.%d.%d.%d" % (r.randint(0, 255), r.randint(0, 255), r.randint(0, 255), r.randint(0, 255))),
        ("mac", "The NIC has MAC {v}.", ":".join("%02x" % r.randint(0, 255) for _ in range(6))),
        ("clock", "The job ran at {v} sharp.", "%02d:%02d:%02d" % (r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))),
        ("double-compression", "The string {v} is malformed.", "2001:db8::%x::%x" % (r.randint(1, 65535), r.randint(1, 65535))),
        ("surrogate-range", "The stand-in host {v} is TEST-NET-2.", "198.51.100.%d" % r.randint(0, 255)),
    ])
    return s.format(v=v), v, "neg:" + k


MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December"]


def fmt_date(r, dt, fmt=None):
    fmts = ["ymd-", "ymd/", "dmy/", "mdy/", "dmy.", "dmy-", "d Month y", "Month d, y"]
    f = fmt or r.choice(fmts)
    y, m, d = dt.year, dt.month, dt.day
    return {"ymd-": "%04d-%02d-%02d" % (y, m, d), "ymd/": "%04d/%02d/%02d" % (y, m, d),
            "dmy/": "%02d/%02d/%04d" % (d, m, y), "mdy/": "%02d/%02d/%04d" % (m, d, y),
            "dmy.": "%02d.%02d.%04d" % (d, m, y), "dmy-": "%02d-%02d-%04d" % (d, m, y),
            "d Month y": "%d %s %d" % (d, MONTH_NAMES[m - 1], y),
            "Month d, y": "%s %d, %d" % (MONTH_NAMES[m - 1], d, y)}[f], f


def rand_date(r, y0=1920, y1=2015):
    return datetime.date(y0, 1, 1) + datetime.timedelta(days=r.randint(0, (datetime.date(y1, 12, 31) - datetime.date(y0, 1, 1)).days))


DOB_TPL = [
    "She was born on {v} in a small town.", "DOB: {v}", "D.O.B. {v}", "Date of birth: {v}",
    "Geburtsdatum: {v}", "Er ist am {v} geboren.", "Marie Dupont, née le {v}, habite à Lyon.",
    "Jean Martin, né le {v}, est arrivé hier.", "Date de naissance : {v}",
    "Fecha de nacimiento: {v}", "出生日期：{v}", "Birthday {v}, so plan the party early.",
    "{v} is the birth date printed on the card.", "The patient (DOB {v}) arrived at noon.",
    "He was born, as far as the records show, on {v}.",
    "Born {v}; moved to the coast much later.",
]


def pos_DATE_OF_BIRTH(r):
    dt = rand_date(r)
    v, f = fmt_date(r, dt)
    for _ in range(20):
        s = r.choice(DOB_TPL).format(v=v)
        i = s.index(v)
        d = ctx_distance(s, i, i + len(v), "DATE_OF_BIRTH")
        if d and d[0] <= 36:
            return s, v, "dob:%s ctx=%s d=%d %s" % (f, d[1], d[0], d[2])
    raise RuntimeError("DOB template")


def neg_DATE_OF_BIRTH(r):
    x = r.random()
    if x < 0.35:
        v, f = fmt_date(r, rand_date(r))
        s = r.choice(["The meeting on {v} ran long.", "Invoice dated {v} is still open.",
                      "The backup from {v} restored cleanly.", "Deadline: {v}"]).format(v=v)
        return s, v, "neg:no-context:" + f
    if x < 0.6:
        y = r.randint(1930, 2010)
        v, k = r.choice([("%02d/02/%04d" % (r.choice((30, 31)), y), "feb-30/31"),
                         ("%04d-02-%02d" % (y, r.choice((30, 31))), "feb-30/31"),
                         ("31.04.%04d" % y, "apr-31"), ("%04d-13-%02d" % (y, r.randint(13, 28)), "month-13"),
                         ("29.02.%04d" % r.choice((1900, 1925, 1970, 1983, 2001, 2015)), "feb-29-non-leap")])
        return r.choice(["She was born on {v}.", "DOB: {v}", "Date of birth: {v}"]).format(v=v), v, "neg:invalid-date:" + k
    if x < 0.8:
        v, f = fmt_date(r, datetime.date(r.randint(2090, 2099), r.randint(1, 12), r.randint(1, 28)))
        return "Born {v}, according to the typo in the form.".format(v=v), v, "neg:future:" + f
    if x < 0.9:
        v, f = fmt_date(r, datetime.date(r.randint(1800, 1898), r.randint(1, 12), r.randint(1, 28)))
        return "DOB: {v}".format(v=v), v, "neg:before-1900:" + f
    v = str(r.randint(1940, 2010))
    return "He was born in {v}, the archive says.".format(v=v), v, "neg:year-only"


def url_password(r):
    x = r.random()
    if x < 0.7:
        return high_entropy(r, ALNUM + "!*-_.~", r.randint(10, 24))
    return r.choice(("bluefish", "tangerine", "Hopscotch", "marble", "copper")) + str(r.randint(10, 9999)) + r.choice(("", "!", "_x"))


def pos_URL_CREDENTIALS(r):
    scheme = r.choice(("https", "https", "http", "ftp", "sftp", "ssh", "amqp", "amqps", "smtp",
                       "imap", "ldap", "git+https", "s3"))
    user = r.choice(FIRST) + r.choice(("", "_admin", ".bot", str(r.randint(1, 99))))
    pw = url_password(r)
    host = r.choice(("files.example.com", "mq.example.net", "ftp.example.org", "git.example.io",
                     "203.0.113.%d" % r.randint(1, 254), "backup.example.co.uk"))
    v = "%s://%s:%s@%s" % (scheme, user, pw, host)
    tail = r.choice(("", "", ":%d" % r.randint(1024, 65000), "/incoming/", "/repo.git"))
    s = r.choice(["Mirror from {v}{t} every night.", "The job pulls {v}{t} on start-up.",
                  "Old config: url = {v}{t}", "Try {v}{t} if the VPN is down."]).format(v=v, t=tail)
    return s, v, "url:%s" % scheme


def neg_URL_CREDENTIALS(r):
    scheme = r.choice(("https", "http", "ftp", "sftp", "amqp"))
    user = r.choice(FIRST)
    host = r.choice(("files.example.com", "mq.example.net", "ftp.example.org"))
    k, v = r.choice([
        ("placeholder-pw", "%s://%s:%s@%s" % (scheme, user, r.choice(
            ("changeme", "${PASSWORD}", "<password>", "****", "xxxxxx", "password", "your_password",
             "PLACEHOLDER", "redacted", "%(pw)s", "{{ password }}")), host)),
        ("empty-pw", "%s://%s:@%s" % (scheme, user, host)),
        ("no-pw", "%s://%s@%s" % (scheme, user, host)),
        ("empty-user", "%s://:%s@%s" % (scheme, url_password(r), host)),
        ("port-not-userinfo", "%s://%s:%d/path" % (scheme, host, r.randint(1024, 65000))),
    ])
    return "Fetch {v} with the client.".format(v=v), v, "neg:" + k


SSN_PHRASES = ["SSN", "social security number", "Social Security no.", "SS#", "soc. sec. number",
               "soc sec no"]


def rand_ssn(r):
    while True:
        a = r.randint(1, 899)
        if a in (666,):
            continue
        v = "%03d-%02d-%04d" % (a, r.randint(1, 99), r.randint(1, 9999))
        if ssn_ok(v) and v != "123-45-6789":
            return v


def pos_US_SSN(r):
    v = rand_ssn(r)
    x = r.random()
    if x < 0.4:
        return nocx(r, v), v, "ssn:dashed no-context"
    if x < 0.6:
        return ctx_sentence(r, "US_SSN", SSN_PHRASES, v), v, "ssn:dashed ctx"
    if x < 0.85:
        v = v.replace("-", " ")
        return ctx_sentence(r, "US_SSN", SSN_PHRASES, v), v, "ssn:spaced ctx"
    v = v.replace("-", "")
    return ctx_sentence(r, "US_SSN", SSN_PHRASES, v), v, "ssn:bare ctx", {"unspecified": True}


def neg_US_SSN(r):
    x = r.random()
    a, g, s = r.randint(1, 899), r.randint(1, 99), r.randint(1, 9999)
    if x < 0.15:
        a, k = 0, "area-000"
    elif x < 0.3:
        a, k = 666, "area-666"
    elif x < 0.45:
        a, g, k = r.randint(900, 999), r.randint(1, 49), "area-9xx"
    elif x < 0.55:
        g, k = 0, "group-00"
    elif x < 0.65:
        s, k = 0, "serial-0000"
    elif x < 0.75:
        v = r.choice(("078-05-1120", "219-09-9999", "457-55-5462"))
        return ctx_sentence(r, "US_SSN", SSN_PHRASES, v), v, "neg:retired"
    else:
        v = rand_ssn(r).replace("-", r.choice(("", " ")))
        return nocx(r, v), v, "neg:undashed-no-context"
    v = "%03d-%02d-%04d" % (a, g, s)
    sent = ctx_sentence(r, "US_SSN", SSN_PHRASES, v) if r.random() < 0.5 else nocx(r, v)
    return sent, v, "neg:" + k


ITIN_PHRASES = ["ITIN", "individual taxpayer identification number", "ITIN number",
                "taxpayer identification no."]


def pos_US_ITIN(r):
    v = "9%02d-%02d-%04d" % (r.randint(0, 99), r.choice(ITIN_GROUPS), r.randint(1, 9999))
    x = r.random()
    if x < 0.4:
        return nocx(r, v), v, "itin:dashed no-context"
    if x < 0.6:
        return ctx_sentence(r, "US_ITIN", ITIN_PHRASES, v), v, "itin:dashed ctx"
    v2 = v.replace("-", " " if x < 0.8 else "")
    return ctx_sentence(r, "US_ITIN", ITIN_PHRASES, v2), v2, "itin:%s ctx" % ("spaced" if x < 0.8 else "bare")


def neg_US_ITIN(r):
    x = r.random()
    if x < 0.6:
        g = r.choice((89, 93) + tuple(range(10, 50)))
        v = "9%02d-%02d-%04d" % (r.randint(0, 99), g, r.randint(1, 9999))
        s = ctx_sentence(r, "US_ITIN", ITIN_PHRASES, v) if r.random() < 0.5 else nocx(r, v)
        return s, v, "neg:group-%02d" % g
    v = "9%02d%s%02d%s%04d" % (r.randint(0, 99), "", r.choice(ITIN_GROUPS), "", r.randint(1, 9999))
    if r.random() < 0.5:
        v = v[:3] + " " + v[3:5] + " " + v[5:]
    return nocx(r, v), v, "neg:undashed-no-context"


PASSPORT_PHRASES = ["passport", "passport number", "passport no.", "US passport", "Passport No",
                    "passport book number"]


def pos_US_PASSPORT(r):
    if r.random() < 0.5:
        v, k = rnd_digits(r, 9), "9-digits"
    else:
        v, k = r.choice("ABCDFHJKLMNPRSTUVWXYZ") + rnd_digits(r, 8), "letter+8"
    return ctx_sentence(r, "US_PASSPORT", PASSPORT_PHRASES, v), v, "us-passport:" + k


def neg_US_PASSPORT(r):
    x = r.random()
    if x < 0.6:
        v = rnd_digits(r, 9) if r.random() < 0.5 else r.choice("ABCDFHJKLMNP") + rnd_digits(r, 8)
        return nocx(r, v), v, "neg:no-context"
    v = rnd_digits(r, r.choice((7, 8, 10, 11))) if x < 0.8 else r.choice("ABCD") + rnd_digits(r, 9)
    return ctx_sentence(r, "US_PASSPORT", PASSPORT_PHRASES, v), v, "neg:wrong-length"


US_DL_PHRASES = ["driver's license", "driver's licence", "driver license", "driving licence",
                 "DL#", "DL no", "DL number", "DLN", "driver's license number"]


def in_dl_shape(v):
    m = re.fullmatch(r"([A-Z]{2})(\d{2})(\d{4})(\d{7})", v)
    return bool(m) and m.group(1) in IN_STATES and 1950 <= int(m.group(3)) <= 2026


def pos_US_DRIVER_LICENSE(r):
    x = r.random()
    if x < 0.45:
        v = rnd_str(r, UP, r.choice((1, 1, 2))) + rnd_digits(r, r.randint(5, 14))
        k = "letters+digits"
        if in_dl_shape(v):
            return pos_US_DRIVER_LICENSE(r)
    elif x < 0.75:
        v, k = str(r.randint(1, 9)) + rnd_digits(r, r.randint(6, 11)), "digits"
    elif x < 0.88:
        L = r.choice(UP)
        v, k = "%s%s-%s-%s-%s-%s" % (L, rnd_digits(r, 3), rnd_digits(r, 3), rnd_digits(r, 2),
                                     rnd_digits(r, 3), rnd_digits(r, 1)), "florida"
    else:
        v, k = "%s%s-%s-%s" % (r.choice(UP), rnd_digits(r, 3), rnd_digits(r, 4), rnd_digits(r, 4)), "illinois"
    return ctx_sentence(r, "US_DRIVER_LICENSE", US_DL_PHRASES, v), v, "us-dl:" + k


def neg_US_DRIVER_LICENSE(r):
    x = r.random()
    if x < 0.6:
        v = rnd_str(r, UP, 1) + rnd_digits(r, r.randint(6, 9)) if r.random() < .5 else str(r.randint(1, 9)) + rnd_digits(r, 7)
        return nocx(r, v), v, "neg:no-context"
    v = r.choice([rnd_str(r, UP, 3) + rnd_digits(r, 5), str(r.randint(1, 9)) + rnd_digits(r, r.randint(3, 5)),
                  rnd_str(r, UP, 2) + rnd_digits(r, 3)])
    return ctx_sentence(r, "US_DRIVER_LICENSE", US_DL_PHRASES, v), v, "neg:wrong-shape"


ZIP_STATES = [("CA", "Sacramento", 900, 961), ("NY", "Albany", 100, 149), ("TX", "Austin", 750, 799),
              ("FL", "Tampa", 320, 349), ("IL", "Chicago", 600, 629), ("WA", "Seattle", 980, 994),
              ("MA", "Boston", 10, 27), ("PA", "Pittsburgh", 150, 196), ("OH", "Columbus", 430, 459),
              ("GA", "Atlanta", 300, 319), ("CO", "Denver", 800, 816), ("AZ", "Phoenix", 850, 865),
              ("OR", "Portland", 970, 979), ("MI", "Detroit", 480, 499), ("NJ", "Newark", 70, 89),
              ("VA", "Richmond", 220, 246), ("NC", "Raleigh", 270, 289), ("MN", "Duluth", 550, 567)]


def pos_US_ZIP(r):
    st, city, lo, hi = r.choice(ZIP_STATES)
    v = "%03d%02d" % (r.randint(lo, hi), r.randint(1, 99))
    if r.random() < 0.3:
        v += "-%04d" % r.randint(1, 9999)
    x = r.random()
    if x < 0.55:
        s = r.choice(["Ship it to %d Main St, %s, %s {v} by Friday." % (r.randint(1, 999), city, st),
                      "The office moved to %s, %s {v} last spring." % (city, st),
                      "%s %s {v}, USA" % (city, st)]).format(v=v)
        return s, v, "zip:state-before"
    s = r.choice(["ZIP: {v}", "Zip code {v} covers the whole campus.", "Enter postal code {v} at checkout.",
                  "The postcode is {v}, not the old one.", "{v} (ZIP) is printed on the label.",
                  "Use ZIP {v} for the billing address."]).format(v=v)
    i = s.index(v)
    d = ctx_distance(s, i, i + len(v), "US_ZIP")
    assert d and d[0] <= 26, s
    return s, v, "zip:ctx=%s d=%d" % (d[1], d[0])


def neg_US_ZIP(r):
    x = r.random()
    if x < 0.4:
        v = "%05d" % r.randint(1001, 99999)
        return r.choice(["There were {v} entries in the log.", "The batch had {v} rows.",
                         "Room {v} is on the fifth floor."]).format(v=v), v, "neg:no-context"
    if x < 0.6:
        v = "00000"
        return "ZIP code {v} is what the form defaults to.".format(v=v), v, "neg:all-zero"
    if x < 0.8:
        v = "%06d" % r.randint(110001, 855999)
        return "Postal code {v} is in Bengaluru.".format(v=v), v, "neg:six-digits"
    v = "%05d" % r.randint(10000, 99999)
    return r.choice(["Lyon, FR {v} is the new office.", "Osaka, JP {v} handles the returns.",
                     "Leeds, UK {v} was the old depot."]).format(v=v), v, "neg:non-us-country-code"


DE_ID_ALPHA = "CFGHJKLMNPRTVWXYZ"
DE_ID_BODY = "CFGHJKLMNPRTVWXYZ0123456789"
DE_ID_PHRASES = ["Ausweisnummer", "Personalausweis", "Ausweis-Nr.", "ID card", "identity card number",
                 "ID-Karte", "Ausweis"]


def de_id_value(r):
    if r.random() < 0.8:
        while True:
            body = r.choice(DE_ID_ALPHA) + rnd_str(r, DE_ID_BODY, 8)
            if any(c.isdigit() for c in body):
                break
        k = "new"
    else:
        body, k = rnd_digits(r, 9), "old"
    return body + icao_digit(body), k


def pos_DE_ID_CARD(r):
    v, k = de_id_value(r)
    if r.random() < 0.12:
        return "MRZ line: IDD<<%s<<<<<<<<<<<<<<<" % v, v, "de-id:%s mrz" % k
    return ctx_sentence(r, "DE_ID_CARD", DE_ID_PHRASES, v), v, "de-id:" + k


def neg_DE_ID_CARD(r):
    v, k = de_id_value(r)
    x = r.random()
    if x < 0.4:
        v = v[:9] + str((int(v[9]) + r.randint(1, 9)) % 10)
        return ctx_sentence(r, "DE_ID_CARD", DE_ID_PHRASES, v), v, "neg:bad-check-digit"
    if x < 0.6:
        body = r.choice("ABDEIOQSU") + rnd_str(r, DE_ID_BODY, 7) + r.choice(DIG)
        v = body + icao_digit(body)
        return ctx_sentence(r, "DE_ID_CARD", DE_ID_PHRASES, v), v, "neg:letter-outside-alphabet"
    return nocx(r, v), v, "neg:no-context"


DE_TAX_PHRASES = ["Steuer-ID", "Steueridentifikationsnummer", "steuerliche Identifikationsnummer",
                  "IdNr", "tax ID", "TIN", "Steuer-Identifikationsnummer"]


def idnr_value(r):
    while True:
        ds = r.sample(DIG, 9)
        if r.random() < 0.3:
            ds = r.sample(DIG, 8)
            rep = r.choice(ds)
            ds = ds + [rep, rep]
        else:
            ds = ds + [r.choice(ds)]
        r.shuffle(ds)
        body = "".join(ds)
        if body[0] == "0":
            continue
        v = body + mod_11_10_digit(body)
        if idnr_ok(v):
            return v


def pos_DE_TAX_ID(r):
    v = idnr_value(r)
    k = "compact"
    if r.random() < 0.4:
        v, k = group(v, (2, 3, 3, 3), " "), "spaced"
    return ctx_sentence(r, "DE_TAX_ID", DE_TAX_PHRASES, v), v, "de-tax:" + k


def neg_DE_TAX_ID(r):
    v = idnr_value(r)
    x = r.random()
    if x < 0.35:
        v = v[:10] + str((int(v[10]) + r.randint(1, 9)) % 10)
        k = "bad-check-digit"
    elif x < 0.55:
        body = "0"
        while body[0] == "0":        # ten distinct digits: no digit repeated
            body = "".join(r.sample(DIG, 10))
        v = body + mod_11_10_digit(body)
        k = "no-repeated-digit"
        if idnr_ok(v):
            return neg_DE_TAX_ID(r)
    else:
        return nocx(r, v), v, "neg:no-context"
    return ctx_sentence(r, "DE_TAX_ID", DE_TAX_PHRASES, v), v, "neg:" + k


def nir_value(r, sex=None, month=None, dep=None):
    sex = sex or r.choices("123478", [45, 45, 2, 2, 3, 3])[0]
    yy = "%02d" % r.randint(0, 99)
    mm = "%02d" % (month if month is not None else (
        r.randint(1, 12) if r.random() < 0.9 else r.choice(list(range(20, 43)) + list(range(50, 100)))))
    dep = dep or (r.choice(("2A", "2B")) if r.random() < 0.08 else "%02d" % r.choice(
        [x for x in range(1, 96) if x != 20]))
    s13 = sex + yy + mm + dep + "%03d" % r.randint(1, 990) + "%03d" % r.randint(1, 999)
    return s13 + nir_key(s13)


NIR_TPL = ["Numéro de sécurité sociale : {v}", "NIR {v}", "Son numéro INSEE est le {v}.",
           "Carte Vitale {v}", "{v} figure sur l'attestation."]


def pos_FR_NIR(r):
    v = nir_value(r)
    k = "compact"
    if r.random() < 0.45:
        v, k = " ".join((v[0], v[1:3], v[3:5], v[5:7], v[7:10], v[10:13], v[13:])), "spaced"
    return r.choice(NIR_TPL).format(v=v), v, "nir:" + k


def neg_FR_NIR(r):
    x = r.random()
    if x < 0.45:
        v = nir_value(r)
        v = v[:13] + "%02d" % ((int(v[13:]) + r.randint(1, 90)) % 97 + 1)
        k = "bad-key"
    elif x < 0.7:
        s13 = r.choice("569") + rnd_digits(r, 2) + "%02d" % r.randint(1, 12) + "%02d" % r.randint(1, 95) + rnd_digits(r, 6)
        v, k = s13 + nir_key(s13), "bad-sex-digit"
    else:
        s13 = r.choice("12") + rnd_digits(r, 2) + "%02d" % r.choice(list(range(13, 20)) + list(range(43, 50))) + \
            "%02d" % r.randint(1, 95) + rnd_digits(r, 6)
        v, k = s13 + nir_key(s13), "bad-month"
    if nir_ok(v):
        return neg_FR_NIR(r)
    if r.random() < 0.4:
        v = " ".join((v[0], v[1:3], v[3:5], v[5:7], v[7:10], v[10:13], v[13:]))
    return r.choice(NIR_TPL).format(v=v), v, "neg:" + k


TR_TPL = ["T.C. Kimlik No: {v}", "TC kimlik numarası {v} olarak kayıtlı.", "Turkish national ID {v}",
          "{v} numaralı kimlik kartı.", "Kimlik: {v}"]


def pos_TR_NATIONAL_ID(r):
    v = tr_make(str(r.randint(1, 9)) + rnd_digits(r, 8))
    s = r.choice(TR_TPL + NOCTX[:3]).format(v=v)
    return s, v, "tr"


def neg_TR_NATIONAL_ID(r):
    v = tr_make(str(r.randint(1, 9)) + rnd_digits(r, 8))
    x = r.random()
    if x < 0.4:
        v, k = v[:9] + str((int(v[9]) + r.randint(1, 9)) % 10) + v[10], "bad-d10"
    elif x < 0.8:
        v, k = v[:10] + str((int(v[10]) + r.randint(1, 9)) % 10), "bad-d11"
    else:
        v, k = tr_make("0" + rnd_digits(r, 8)), "leading-zero"
    return r.choice(TR_TPL).format(v=v), v, "neg:" + k


def nino_prefix(r):
    while True:
        p = r.choice(UP) + r.choice(UP)
        if nino_prefix_ok(p):
            return p


NINO_TPL = ["National Insurance number: {v}", "NI number {v}", "My NINO is {v}.",
            "{v} is on the payslip.", "NI No. {v}"]


def pos_UK_NINO(r):
    p, d, sfx = nino_prefix(r), rnd_digits(r, 6), r.choice("ABCD")
    v, k = r.choice([(p + d + sfx, "compact"), ("%s %s %s %s %s" % (p, d[:2], d[2:4], d[4:], sfx), "spaced-pairs"),
                     ("%s %s %s" % (p, d, sfx), "spaced")])
    return r.choice(NINO_TPL).format(v=v), v, "nino:" + k


def neg_UK_NINO(r):
    d = rnd_digits(r, 6)
    k, p, sfx = r.choice([
        ("unallocated-prefix", r.choice(NINO_BAD), r.choice("ABCD")),
        ("bad-first-letter", r.choice("DFIQUV") + r.choice("ABCEGHJKLMNPRSTWXYZ"), r.choice("ABCD")),
        ("bad-second-letter", r.choice("ABCEGHJKLMNPRSTWXYZ") + r.choice("DFIOQUV"), r.choice("ABCD")),
        ("bad-suffix", nino_prefix(r), r.choice("EFGHJKXYZ")),
    ])
    v = p + d + sfx if r.random() < 0.6 else "%s %s %s %s %s" % (p, d[:2], d[2:4], d[4:], sfx)
    return r.choice(NINO_TPL).format(v=v), v, "neg:" + k


NHS_PHRASES = ["NHS number", "NHS no.", "NHS", "NHS Number"]


def nhs_value(r):
    while True:
        d9 = str(r.randint(1, 9)) + rnd_digits(r, 8)
        c = nhs_check(d9)
        if c is not None:
            return d9 + c


def fmt_nhs(r, v):
    x = r.random()
    if x < 0.4:
        return v, "compact"
    sep = " " if x < 0.8 else "-"
    return group(v, (3, 3, 4), sep), "grouped"


def pos_UK_NHS(r):
    v, k = fmt_nhs(r, nhs_value(r))
    return ctx_sentence(r, "UK_NHS", NHS_PHRASES, v), v, "nhs:" + k


def neg_UK_NHS(r):
    x = r.random()
    if x < 0.5:
        while True:
            d9 = str(r.randint(1, 9)) + rnd_digits(r, 8)
            c = nhs_check(d9)
            if c is None:
                v, k = d9 + r.choice(DIG), "check-10-invalid"
                break
            if r.random() < 0.5:
                v, k = d9 + str((int(c) + r.randint(1, 9)) % 10), "bad-check-digit"
                break
        v, _ = fmt_nhs(r, v)
        return ctx_sentence(r, "UK_NHS", NHS_PHRASES, v), v, "neg:" + k
    v, _ = fmt_nhs(r, nhs_value(r))
    return nocx(r, v), v, "neg:no-context"


DNI_TPL = ["DNI {v}", "Mi DNI es {v}.", "NIF: {v}", "con DNI {v} y domicilio en Madrid",
           "{v} aparece en la fotocopia del documento."]


def pos_ES_DNI(r):
    n = r.randint(1, 99999999)
    num = "%08d" % n
    L = DNI_LETTERS[n % 23]
    x = r.random()
    if x < 0.5:
        v, k = num + L, "compact"
    elif x < 0.7:
        v, k = num + "-" + L, "dash"
    elif x < 0.85:
        v, k = num + " " + L, "space"
    else:
        v, k = "%s.%s.%s-%s" % (num[:2], num[2:5], num[5:], L), "dotted"
    return r.choice(DNI_TPL).format(v=v), v, "dni:" + k


def neg_ES_DNI(r):
    n = r.randint(1, 99999999)
    if r.random() < 0.7:
        L = r.choice([c for c in DNI_LETTERS if c != DNI_LETTERS[n % 23]])
        v, k = "%08d%s" % (n, L), "wrong-letter"
    else:
        n = r.randint(1000000, 9999999)
        v, k = "%07d%s" % (n, DNI_LETTERS[n % 23]), "seven-digits"
    return r.choice(DNI_TPL).format(v=v), v, "neg:" + k


NIE_TPL = ["NIE {v}", "Número de identidad de extranjero: {v}", "Su NIE es {v}.",
           "{v} figura en la tarjeta de residencia."]


def pos_ES_NIE(r):
    p = r.choice("XYZ")
    n = rnd_digits(r, 7)
    v = p + n + DNI_LETTERS[int(str("XYZ".index(p)) + n) % 23]
    return r.choice(NIE_TPL).format(v=v), v, "nie"


def neg_ES_NIE(r):
    p = r.choice("XYZ")
    n = rnd_digits(r, 7)
    good = DNI_LETTERS[int(str("XYZ".index(p)) + n) % 23]
    if r.random() < 0.7:
        v, k = p + n + r.choice([c for c in DNI_LETTERS if c != good]), "wrong-letter"
    else:
        v, k = r.choice("WKLM") + n + DNI_LETTERS[int(n) % 23], "bad-prefix"
    return r.choice(NIE_TPL).format(v=v), v, "neg:" + k


IT_SURNAMES = ["ROSSI", "RUSSO", "FERRARI", "ESPOSITO", "BIANCHI", "ROMANO", "COLOMBO", "RICCI",
               "MARINO", "GRECO", "BRUNO", "GALLO", "CONTI", "DE LUCA", "COSTA", "GIORDANO", "FO", "RE"]
IT_NAMES = ["MARIO", "LUCA", "GIULIA", "FRANCESCA", "MARCO", "ANNA", "PAOLO", "CHIARA", "ANDREA",
            "SARA", "GIUSEPPE", "ELENA", "ALESSANDRO", "LUIGI", "EVA", "UGO"]
BELFIORE = ["H501", "F205", "A944", "L219", "G273", "F839", "D612", "L736", "Z404", "Z133", "B157",
            "C351", "E506"]


def cf_letters(name, is_first):
    name = name.replace(" ", "")
    cons = [c for c in name if c not in "AEIOU"]
    vows = [c for c in name if c in "AEIOU"]
    if is_first and len(cons) >= 4:
        cons = [cons[0], cons[2], cons[3]]
    return ("".join(cons + vows) + "XXX")[:3]


def cf_value(r):
    dt = rand_date(r, 1925, 2015)
    while dt.month == 2 and dt.day == 29:
        dt = rand_date(r, 1925, 2015)
    female = r.random() < 0.5
    s = cf_letters(r.choice(IT_SURNAMES), False) + cf_letters(r.choice(IT_NAMES), True)
    s += "%02d" % (dt.year % 100) + CF_MONTHS[dt.month - 1] + "%02d" % (dt.day + (40 if female else 0))
    s += r.choice(BELFIORE)
    k = "plain"
    if r.random() < 0.12:           # omocodia: replace digits from the right
        s = list(s)
        for pos in [14, 13, 12, 10, 9, 7, 6][:r.randint(1, 3)]:
            s[pos] = CF_OMO[int(s[pos])]
        s, k = "".join(s), "omocodia"
    return s + cf_check(s), k


CF_TPL = ["Codice fiscale: {v}", "Il mio codice fiscale è {v}.", "CF {v}",
          "{v} è riportato sulla tessera sanitaria.", "Tax code (Italy) {v}"]


def pos_IT_CODICE_FISCALE(r):
    v, k = cf_value(r)
    return r.choice(CF_TPL).format(v=v), v, "cf:" + k


def neg_IT_CODICE_FISCALE(r):
    v, _ = cf_value(r)
    if r.random() < 0.6:
        v, k = v[:15] + r.choice([c for c in UP if c != v[15]]), "bad-check-letter"
    else:
        s = v[:8] + r.choice(("D31", "B30", "S31", "B70", "H31", "A32"))[0:3] + v[11:15]
        v, k = s + cf_check(s), "impossible-date"
        if cf_ok(v):
            return neg_IT_CODICE_FISCALE(r)
    return r.choice(CF_TPL).format(v=v), v, "neg:" + k


BSN_PHRASES = ["BSN", "burgerservicenummer", "sofinummer", "BSN-nummer", "Burgerservicenummer (BSN)"]


def bsn_value(r):
    while True:
        d8 = str(r.randint(1, 9)) + rnd_digits(r, 7)
        c = sum((9 - i) * int(ch) for i, ch in enumerate(d8)) % 11
        if c < 10:
            return d8 + str(c)


def fmt_bsn(r, v):
    x = r.random()
    if x < 0.6:
        return v, "compact"
    if x < 0.8:
        return "%s.%s.%s" % (v[:4], v[4:6], v[6:]), "dotted"
    return "%s %s %s" % (v[:3], v[3:6], v[6:]), "spaced"


def pos_NL_BSN(r):
    v, k = fmt_bsn(r, bsn_value(r))
    return ctx_sentence(r, "NL_BSN", BSN_PHRASES, v), v, "bsn:" + k


def neg_NL_BSN(r):
    if r.random() < 0.5:
        v = bsn_value(r)
        v = v[:8] + str((int(v[8]) + r.randint(1, 9)) % 10)
        if bsn_ok(v):
            return neg_NL_BSN(r)
        v, _ = fmt_bsn(r, v)
        return ctx_sentence(r, "NL_BSN", BSN_PHRASES, v), v, "neg:fails-11-proef"
    v, _ = fmt_bsn(r, bsn_value(r))
    return nocx(r, v), v, "neg:no-context"


def pesel_value(r):
    dt = rand_date(r, 1900, 2015)
    off = 0 if dt.year < 2000 else 20
    d10 = "%02d%02d%02d" % (dt.year % 100, dt.month + off, dt.day) + rnd_digits(r, 4)
    return d10 + pesel_check(d10)


PESEL_PHRASES = ["PESEL", "numer PESEL", "PESEL number", "nr PESEL"]


def pos_PL_PESEL(r):
    v = pesel_value(r)
    return ctx_sentence(r, "PL_PESEL", PESEL_PHRASES, v), v, "pesel"


def neg_PL_PESEL(r):
    x = r.random()
    if x < 0.4:
        v = pesel_value(r)
        v, k = v[:10] + str((int(v[10]) + r.randint(1, 9)) % 10), "bad-check"
    elif x < 0.65:
        d10 = "%02d%02d%02d" % (r.randint(0, 99), r.choice((2, 22)), r.choice((30, 31))) + rnd_digits(r, 4)
        v, k = d10 + pesel_check(d10), "impossible-date"
    else:
        v = pesel_value(r)
        return nocx(r, v), v, "neg:no-context"
    return ctx_sentence(r, "PL_PESEL", PESEL_PHRASES, v), v, "neg:" + k


AADHAAR_PHRASES = ["Aadhaar", "Aadhaar number", "Aadhar no.", "आधार संख्या", "UID", "UIDAI number",
                   "Aadhaar card"]


def aadhaar_value(r):
    while True:
        p = str(r.randint(2, 9)) + rnd_digits(r, 10)
        v = p + verhoeff_digit(p)
        if aadhaar_ok(v):
            return v


def fmt_4x3(r, v):
    x = r.random()
    if x < 0.35:
        return v, "compact"
    sep = " " if x < 0.8 else "-"
    return group(v, (4, 4, 4), sep), "grouped"


def pos_IN_AADHAAR(r):
    v, k = fmt_4x3(r, aadhaar_value(r))
    return ctx_sentence(r, "IN_AADHAAR", AADHAAR_PHRASES, v), v, "aadhaar:" + k


def neg_IN_AADHAAR(r):
    x = r.random()
    if x < 0.4:
        v = aadhaar_value(r)
        v, k = v[:11] + str((int(v[11]) + r.randint(1, 9)) % 10), "bad-verhoeff"
    elif x < 0.6:
        p = r.choice("01") + rnd_digits(r, 10)
        v, k = p + verhoeff_digit(p), "leading-0-or-1"
    else:
        v, _ = fmt_4x3(r, aadhaar_value(r))
        return nocx(r, v), v, "neg:no-context"
    v, _ = fmt_4x3(r, v)
    return ctx_sentence(r, "IN_AADHAAR", AADHAAR_PHRASES, v), v, "neg:" + k


PAN_TPL = ["PAN: {v}", "PAN card number {v}", "My PAN is {v}.", "{v} was quoted on the invoice.",
           "Permanent Account Number {v}"]


def pos_IN_PAN(r):
    v = rnd_str(r, UP, 3) + r.choice(PAN_HOLDERS) + r.choice(UP) + "%04d" % r.randint(1, 9999) + r.choice(UP)
    return r.choice(PAN_TPL).format(v=v), v, "pan"


def neg_IN_PAN(r):
    if r.random() < 0.7:
        v, k = rnd_str(r, UP, 3) + r.choice("DEIMNOQRSUVWXYZ") + r.choice(UP) + "%04d" % r.randint(1, 9999) + r.choice(UP), "bad-holder-type"
    else:
        v, k = rnd_str(r, UP, 3) + r.choice(PAN_HOLDERS) + r.choice(UP) + "0000" + r.choice(UP), "digits-0000"
    return r.choice(PAN_TPL).format(v=v), v, "neg:" + k


# (not "Electors Photo Identity Card" or "voter ID card": "identity card" and
# "ID card" are DE_ID_CARD context words, and a valid EPIC passes the ICAO check
# one time in ten: two rules on one span, whose winner the README leaves open)
VOTER_PHRASES = ["voter ID", "EPIC number", "voter card", "voter ID number", "EPIC no.",
                 "electoral roll number"]


def epic_value(r):
    d6 = rnd_digits(r, 6)
    return rnd_str(r, UP, 3) + d6 + luhn_digit(d6)


def pos_IN_VOTER_ID(r):
    v = epic_value(r)
    return ctx_sentence(r, "IN_VOTER_ID", VOTER_PHRASES, v), v, "epic"


def neg_IN_VOTER_ID(r):
    if r.random() < 0.7:
        v = epic_value(r)
        return nocx(r, v), v, "neg:no-context"
    d6 = rnd_digits(r, 6)
    v = rnd_str(r, UP, r.choice((2, 4))) + d6 + luhn_digit(d6)
    return ctx_sentence(r, "IN_VOTER_ID", VOTER_PHRASES, v), v, "neg:wrong-letter-count"


IN_PP_PHRASES = ["passport", "Indian passport", "passport no.", "पासपोर्ट संख्या", "passport number"]


def pos_IN_PASSPORT(r):
    v = r.choice(UP) + str(r.randint(1, 9)) + rnd_digits(r, 6)
    return ctx_sentence(r, "IN_PASSPORT", IN_PP_PHRASES, v), v, "in-passport"


def neg_IN_PASSPORT(r):
    if r.random() < 0.6:
        v = r.choice(UP) + str(r.randint(1, 9)) + rnd_digits(r, 6)
        return nocx(r, v), v, "neg:no-context"
    v = r.choice(UP) + "0" + rnd_digits(r, 6)
    return ctx_sentence(r, "IN_PASSPORT", IN_PP_PHRASES, v), v, "neg:first-digit-0"


IN_DL_PHRASES = ["driving licence", "driving license", "DL no", "DL number", "DL#", "licence no.",
                 "driving licence number"]


def in_dl_value(r, state=None, year=None):
    st = state or r.choice(IN_STATES)
    rto = "%02d" % r.randint(1, 99)
    yr = "%04d" % (year or r.randint(1975, 2023))
    ser = rnd_digits(r, 7)
    x = r.random()
    if x < 0.35:
        return st + rto + yr + ser, "compact"
    if x < 0.6:
        return "%s-%s-%s-%s" % (st, rto, yr, ser), "dashed"
    if x < 0.8:
        return "%s %s %s %s" % (st, rto, yr, ser), "spaced"
    return "%s%s %s%s" % (st, rto, yr, ser), "state-rto space"


def pos_IN_DRIVING_LICENSE(r):
    v, k = in_dl_value(r)
    s = ctx_sentence(r, "IN_DRIVING_LICENSE", IN_DL_PHRASES, v)
    extra = {}
    if has_ctx(s, "US_DRIVER_LICENSE"):
        # "driving licence", "DL no" are context words of both rules; the
        # compact value (2 letters + 13 digits) and the digit groups of the
        # spaced forms fit US shapes too
        extra["also"] = ["US_DRIVER_LICENSE"]
    return s, v, "in-dl:" + k, extra


def neg_IN_DRIVING_LICENSE(r):
    x = r.random()
    if x < 0.35:
        v, _ = in_dl_value(r, state=r.choice(("XX", "ZZ", "QA", "BB", "IN")))
        v = v.replace(" ", "-") if " " in v else v
        k = "bad-state-code"
    elif x < 0.6:
        v, _ = in_dl_value(r, year=r.choice((1901, 1925, 1949, 2090, 2099)))
        v = v.replace(" ", "-") if " " in v else v
        k = "bad-year"
    else:
        v, _ = in_dl_value(r)
        return nocx(r, v), v, "neg:no-context"
    # keep these out of the US shape (1-2 letters + 5-14 digits): separators
    if re.fullmatch(r"[A-Z]{2}\d+", v):
        v = "%s-%s-%s-%s" % (v[:2], v[2:4], v[4:8], v[8:])
    return ctx_sentence(r, "IN_DRIVING_LICENSE", IN_DL_PHRASES, v), v, "neg:" + k


def ric_value(r):
    code, y0 = r.choice(CN_REGIONS)
    dt = rand_date(r, max(y0, 1930), 2010)
    d17 = code + dt.strftime("%Y%m%d") + rnd_digits(r, 3)
    return d17 + ric_check(d17)


RIC_TPL = ["身份证号码：{v}", "Resident ID {v}", "居民身份证 {v}", "ID number {v} (PRC)",
           "{v} is printed on the back of the card."]


def pos_CN_RESIDENT_ID(r):
    v = ric_value(r)
    return r.choice(RIC_TPL).format(v=v), v, "ric:%s" % ("X" if v.endswith("X") else "digit")


def neg_CN_RESIDENT_ID(r):
    if r.random() < 0.55:
        v = ric_value(r)
        v, k = v[:17] + r.choice([c for c in "0123456789X" if c != v[17]]), "bad-check"
    else:
        code, _ = r.choice(CN_REGIONS)
        d17 = code + "%04d%s" % (r.randint(1950, 2005), r.choice(("0230", "0231", "1301", "0431", "0015"))) + rnd_digits(r, 3)
        v, k = d17 + ric_check(d17), "impossible-date"
    return r.choice(RIC_TPL).format(v=v), v, "neg:" + k


def cn_mobile_value(r):
    p = str(r.choice(CN_MOBILE_PREFIXES))
    a, b = rnd_digits(r, 4), rnd_digits(r, 4)
    x = r.random()
    if x < 0.25:
        return p + a + b, "compact", False
    if x < 0.45:
        return "%s %s %s" % (p, a, b), "spaced", True
    if x < 0.6:
        return "%s-%s-%s" % (p, a, b), "dashed", True
    if x < 0.8:
        return "+86 %s %s %s" % (p, a, b), "+86 spaced", True
    if x < 0.9:
        return "+86" + p + a + b, "+86 compact", True
    return "0086 %s%s%s" % (p, a, b), "0086", True


CN_MOB_TPL = ["手机：{v}", "Mobile: {v}", "请拨打 {v} 联系我。", "WeChat / phone {v}",
              "Call {v} after nine."]


def pos_CN_MOBILE(r):
    v, k, phone = cn_mobile_value(r)
    return r.choice(CN_MOB_TPL).format(v=v), v, "cn-mobile:" + k, ({"also": ["PHONE"]} if phone else {})


def neg_CN_MOBILE(r):
    x = r.random()
    if x < 0.45:
        p = r.choice(("120", "121", "125", "140", "141", "143", "144", "154", "194"))
        v, k = p + rnd_digits(r, 8), "not-mobile-prefix"
        if tr_ok(v):
            return neg_CN_MOBILE(r)
    elif x < 0.7:
        v, k = str(r.choice(CN_MOBILE_PREFIXES)) + rnd_digits(r, 7), "ten-digits"
    else:
        v = "+86 10 %d%s %s" % (r.randint(5, 8), rnd_digits(r, 3), rnd_digits(r, 4))
        return r.choice(CN_MOB_TPL).format(v=v), v, "neg:landline", {"also": ["PHONE"]}
    return r.choice(CN_MOB_TPL).format(v=v), v, "neg:" + k


CNB_TPL = ["银行卡号：{v}", "UnionPay card {v}", "请转账到 {v}。", "Bank card: {v}",
           "{v} is the debit card on the account."]


def pos_CN_BANK_CARD(r):
    num = card_number(r, "unionpay")
    v, k = fmt_card(r, num)
    return r.choice(CNB_TPL).format(v=v), v, "cn-bank:%d:%s" % (len(num), k), {"also": ["CREDIT_CARD"]}


def neg_CN_BANK_CARD(r):
    x = r.random()
    if x < 0.6:
        num = card_number(r, "unionpay")
        num, k = num[:-1] + str((int(num[-1]) + r.randint(1, 9)) % 10), "bad-luhn"
    else:
        body = "62" + rnd_digits(r, 12)
        num, k = body + luhn_digit(body), "fifteen-digits"
    v, _ = fmt_card(r, num)
    return r.choice(CNB_TPL).format(v=v), v, "neg:" + k


USCC_REGIONS = ["110105", "110108", "310115", "440300", "440305", "330100", "320500", "510100",
                "420100", "370200", "120116", "350200"]


def uscc_value(r):
    head = r.choice(("91", "91", "91", "92", "93", "11", "12", "51", "52")) + r.choice(USCC_REGIONS)
    oc = rnd_str(r, DIG, 8) if r.random() < 0.7 else rnd_str(r, DIG, 2) + rnd_str(r, "0123456789ABCDEFGHJKLMNPQRTUWXY", 6)
    oc += orgcode_check(oc)
    s17 = head + oc
    return s17 + uscc_check(s17)


USCC_TPL = ["统一社会信用代码：{v}", "Unified social credit code {v}", "USCC {v}",
            "{v} appears on the business permit scan.", "信用代码 {v}"]


def pos_CN_USCC(r):
    v = uscc_value(r)
    return r.choice(USCC_TPL).format(v=v), v, "uscc"


def neg_CN_USCC(r):
    v = uscc_value(r)
    if r.random() < 0.6:
        v, k = v[:17] + r.choice([c for c in USCC_ALPHA if c != v[17]]), "bad-check"
    else:
        i = r.randint(10, 16)
        v = v[:i] + r.choice("IOSVZ") + v[i + 1:17]
        v, k = v + uscc_check(v.replace("I", "1").replace("O", "0").replace("S", "5").replace("V", "U").replace("Z", "2")), "forbidden-letter"
    return r.choice(USCC_TPL).format(v=v), v, "neg:" + k


CN_PP_PHRASES = ["护照", "护照号码", "護照號碼", "passport", "Chinese passport", "passport no."]


def pos_CN_PASSPORT(r):
    x = r.random()
    if x < 0.6:
        v, k = r.choice("EG") + rnd_digits(r, 8), "E/G+8"
    else:
        v, k = "E" + r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + rnd_digits(r, 7), "E+letter+7"
    s = ctx_sentence(r, "CN_PASSPORT", CN_PP_PHRASES, v)
    extra = {}
    if k == "E/G+8" and has_ctx(s, "US_PASSPORT"):
        extra["also"] = ["US_PASSPORT"]
    return s, v, "cn-passport:" + k, extra


def neg_CN_PASSPORT(r):
    x = r.random()
    if x < 0.6:
        v = r.choice("EG") + rnd_digits(r, 8) if r.random() < .5 else "E" + r.choice("ABCDFGH") + rnd_digits(r, 7)
        return nocx(r, v), v, "neg:no-context"
    v = "E" + r.choice("IO") + rnd_digits(r, 7)
    return ctx_sentence(r, "CN_PASSPORT", ["护照", "护照号码", "護照號碼"], v), v, "neg:letter-I-or-O"


# ---- secrets ---------------------------------------------------------------

def aws_key_id(r):
    p = r.choice(("AKIA", "AKIA", "AKIA", "ASIA", "ABIA", "ACCA", "A3T" + r.choice(UP + DIG)))
    while True:
        v = p + rnd_str(r, B32, 16)
        if entropy(v) >= 3.3 and "EXAMPLE" not in v:
            return v


AWS_ID_TPL = ["aws_access_key_id = {v}", "export AWS_ACCESS_KEY_ID={v}", '"AccessKeyId": "{v}",',
              "The key id {v} belongs to the CI user.", "Rotate {v} before the audit."]


def pos_AWS_ACCESS_KEY_ID(r):
    v = aws_key_id(r)
    return r.choice(AWS_ID_TPL).format(v=v), v, "aws-id:" + v[:4]


def neg_AWS_ACCESS_KEY_ID(r):
    x = r.random()
    if x < 0.3:
        v, k = "AKIA" + r.choice(("X" * 16, "XXXXXXXXXXXXXXXX", "0000000000000000")), "placeholder"
    elif x < 0.5:
        v, k = aws_key_id(r)[:-1], "fifteen-chars"
    elif x < 0.7:
        v, k = aws_key_id(r).lower(), "lower-case"
    elif x < 0.85:
        v = "AKIA" + rnd_str(r, B32, 14) + r.choice("0189") + rnd_str(r, B32, 1)
        k = "non-base32-char"
    else:
        v, k = r.choice(("X", "Q", "Z")) + aws_key_id(r), "glued-letter"
    return r.choice(AWS_ID_TPL).format(v=v), v, "neg:" + k


AWS_SECRET_TPL = ["aws_secret_access_key = {v}", "AWS_SECRET_ACCESS_KEY={v}", '"SecretAccessKey": "{v}"',
                  "My AWS secret is {v}, rotate it.", "secret access key: {v}",
                  "The aws_secret for staging is {v}."]


def pos_AWS_SECRET_ACCESS_KEY(r):
    v = high_entropy(r, B64, 40, 4.0)
    s = r.choice(AWS_SECRET_TPL).format(v=v)
    return s, v, "aws-secret"


def neg_AWS_SECRET_ACCESS_KEY(r):
    x = r.random()
    if x < 0.4:
        v = "".join(r.choice(HEX) for _ in range(40)) if r.random() < 0.5 else high_entropy(r, B64, 40, 4.0)
        s = r.choice(["commit {v} fixed the flaky test.", "The checksum {v} matched.",
                      "Blob {v} was garbage-collected."]).format(v=v)
        return s, v, "neg:no-context"
    if x < 0.7:
        v, k = high_entropy(r, B64, r.choice((39, 41)), 4.0), "wrong-length"
    else:
        v, k = r.choice(("X" * 40, "A" * 40, "abcdabcdabcdabcdabcdabcdabcdabcdabcdabcd")), "placeholder"
    return "My AWS secret is {v}, rotate it.".format(v=v), v, "neg:" + k


def gh_classic(r, prefix=None):
    body = rnd_str(r, B62, 30)
    return (prefix or r.choice(("ghp_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_"))) + body + crc_tail(body)


GH_TPL = ["token: {v}", "GITHUB_TOKEN={v}", "git clone https://{v}@github.com/acme/app.git",
          "Leaked PAT {v} was revoked.", "Use {v} for the release workflow."]


def pos_GITHUB_TOKEN(r):
    if r.random() < 0.8:
        v, k = gh_classic(r), "classic"
    else:
        v, k = "github_pat_" + rnd_str(r, ALNUM, 22) + "_" + rnd_str(r, ALNUM, 59), "fine-grained"
    return r.choice(GH_TPL).format(v=v), v, "github:" + k


def neg_GITHUB_TOKEN(r):
    x = r.random()
    if x < 0.55:
        v = gh_classic(r)
        tail = v[-6:]
        bad = tail[:-1] + r.choice([c for c in B62 if c != tail[-1]])
        v, k = v[:-6] + bad, "bad-crc"
    elif x < 0.75:
        v, k = gh_classic(r)[:-2], "short"
    elif x < 0.9:
        v, k = "ghp_" + "x" * 36, "placeholder"
    else:
        v, k = "ghx_" + gh_classic(r)[4:], "unknown-prefix"
    return r.choice(GH_TPL[3:]).format(v=v), v, "neg:" + k


GL_TPL = ["GITLAB_TOKEN={v}", "private-token: {v}", "Use {v} for the runner.", "The deploy token {v} expired."]


def pos_GITLAB_TOKEN(r):
    if r.random() < 0.75:
        v, k = r.choice(("glpat-", "glpat-", "gldt-", "glrt-")) + high_entropy(r, URLSAFE, 20), "20"
    else:
        v, k = "glpat-" + high_entropy(r, URLSAFE, r.randint(27, 60)) + "." + rnd_str(r, DIG + LOW, 9), "routable"
    return r.choice(GL_TPL).format(v=v), v, "gitlab:" + k


def neg_GITLAB_TOKEN(r):
    k, v = r.choice([("19-chars", "glpat-" + high_entropy(r, ALNUM, 19)),
                     ("21-chars", "glpat-" + high_entropy(r, ALNUM, 21)),
                     ("placeholder", "glpat-" + "x" * 20),
                     ("unknown-prefix", "glxyz-" + high_entropy(r, ALNUM, 20))])
    return r.choice(GL_TPL[2:]).format(v=v), v, "neg:" + k


SLACK_TPL = ["SLACK_BOT_TOKEN={v}", "slack token: {v}", "The bot posts with {v} every hour.",
             "Revoke {v} in the workspace settings."]


def slack_value(r, kind):
    d = lambda: str(r.randint(1, 9)) + rnd_digits(r, r.randint(9, 12))  # noqa: E731
    if kind == "xoxb":
        return "xoxb-%s-%s-%s" % (d(), d(), high_entropy(r, ALNUM, 24))
    if kind == "xoxp":
        return "xoxp-%s-%s-%s-%s" % (d(), d(), d(), rnd_str(r, HEX, 32))
    return "xapp-%d-%s-%s-%s" % (r.randint(1, 9), rnd_str(r, UP + DIG, r.randint(9, 12)), d(), rnd_str(r, HEX, 64))


def pos_SLACK_TOKEN(r):
    kind = r.choice(("xoxb", "xoxb", "xoxp", "xapp"))
    v = slack_value(r, kind)
    return r.choice(SLACK_TPL).format(v=v), v, "slack:" + kind


def neg_SLACK_TOKEN(r):
    x = r.random()
    if x < 0.25:
        v, k = r.choice(("xoxb-your-token-here", "xoxb-XXXXXXXXXXX-XXXXXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXX",
                         "xoxb-0000000000-0000000000-000000000000000000000000")), "placeholder"
    elif x < 0.5:
        v, k = slack_value(r, "xoxb")[:-1], "short-last-group"
    elif x < 0.75:
        v, k = slack_value(r, "xoxp")[:-1], "xoxp-31-hex"
    else:
        v, k = "xoxz-" + slack_value(r, "xoxb")[5:], "unknown-prefix"
    return r.choice(SLACK_TPL[2:]).format(v=v), v, "neg:" + k


def webhook(r, last=None):
    t = "T" + rnd_str(r, UP + DIG, r.randint(8, 12))
    b = "B" + rnd_str(r, UP + DIG, r.randint(8, 12))
    return "hooks.slack.com/services/%s/%s/%s" % (t, b, last or high_entropy(r, ALNUM, 24))


def pos_SLACK_WEBHOOK(r):
    v = webhook(r)
    if r.random() < 0.8:
        v = "https://" + v
    s = r.choice(["Post alerts to {v} from the cron job.", "SLACK_WEBHOOK_URL={v}",
                  "curl -X POST -d @msg.json {v}", "The webhook ({v}) was rotated."]).format(v=v)
    return s, v, "slack-webhook:%s" % ("scheme" if v.startswith("http") else "bare")


def neg_SLACK_WEBHOOK(r):
    x = r.random()
    if x < 0.4:
        v, k = "https://" + webhook(r, "X" * 24), "placeholder"
    elif x < 0.7:
        v, k = "https://" + webhook(r, high_entropy(r, ALNUM, 23)), "23-chars"
    else:
        v, k = "https://hooks.slack.com/workflows/%s/%s" % ("T" + rnd_str(r, UP + DIG, 9), high_entropy(r, ALNUM, 24)), "not-services"
    return "Post alerts to {v} from the cron job.".format(v=v), v, "neg:" + k


STRIPE_TPL = ["STRIPE_SECRET_KEY={v}", "stripe.api_key = '{v}'", "Charge with {v} in production.",
              "The restricted key {v} can only read charges."]


def pos_STRIPE_SECRET_KEY(r):
    v = r.choice(("sk_live_", "sk_live_", "sk_live_", "rk_live_")) + high_entropy(r, ALNUM, r.choice((24, 24, 34, 99, r.randint(24, 99))))
    return r.choice(STRIPE_TPL).format(v=v), v, "stripe:" + v[:2]


def neg_STRIPE_SECRET_KEY(r):
    k, v = r.choice([("test-key", "sk_test_" + high_entropy(r, ALNUM, 24)),
                     ("publishable", "pk_live_" + high_entropy(r, ALNUM, 24)),
                     ("short", "sk_live_" + high_entropy(r, ALNUM, 16))])
    return r.choice(STRIPE_TPL[2:]).format(v=v), v, "neg:" + k


OPENAI_TPL = ["OPENAI_API_KEY={v}", "openai.api_key = \"{v}\"", "The notebook still has {v} in it.",
              "Authorization: Bearer {v}"]


def openai_value(r, marker="T3BlbkFJ"):
    if r.random() < 0.3:
        return "sk-" + rnd_str(r, ALNUM, 20) + marker + rnd_str(r, ALNUM, 20), "legacy"
    p = r.choice(("sk-proj-", "sk-proj-", "sk-svcacct-", "sk-admin-"))
    a, b = r.choice((74, 58)), r.choice((74, 58))
    return p + rnd_str(r, URLSAFE, a) + marker + rnd_str(r, URLSAFE, b), p[3:-1]


def pos_OPENAI_API_KEY(r):
    v, k = openai_value(r)
    return r.choice(OPENAI_TPL).format(v=v), v, "openai:" + k


def neg_OPENAI_API_KEY(r):
    if r.random() < 0.6:
        v, _ = openai_value(r, marker=rnd_str(r, ALNUM, 8))
        if "T3BlbkFJ" in v:
            return neg_OPENAI_API_KEY(r)
        k = "no-T3BlbkFJ"
    else:
        v, k = "sk-" + rnd_str(r, ALNUM, 20) + "T3BlbkFJ" + rnd_str(r, ALNUM, 19), "legacy-short"
    return r.choice(OPENAI_TPL[2:]).format(v=v), v, "neg:" + k


ANTH_TPL = ["ANTHROPIC_API_KEY={v}", "x-api-key: {v}", "The key {v} was pasted into the issue.",
            "client = Anthropic(api_key=\"{v}\")"]


def pos_ANTHROPIC_API_KEY(r):
    p = r.choice(("sk-ant-api03-", "sk-ant-api03-", "sk-ant-admin01-"))
    v = p + rnd_str(r, URLSAFE, 93) + "AA"
    return r.choice(ANTH_TPL).format(v=v), v, "anthropic:" + p[7:-1]


def neg_ANTHROPIC_API_KEY(r):
    k, v = r.choice([("no-AA-suffix", "sk-ant-api03-" + rnd_str(r, URLSAFE, 93) + r.choice(("AB", "Aa", "QQ"))),
                     ("short", "sk-ant-api03-" + rnd_str(r, URLSAFE, 80) + "AA"),
                     ("unknown-version", "sk-ant-api99-" + rnd_str(r, URLSAFE, 93) + "AA")])
    return r.choice(ANTH_TPL[2:3]).format(v=v), v, "neg:" + k


GOOGLE_TPL = ["GOOGLE_API_KEY={v}", "https://maps.googleapis.com/maps/api/js?key={v}&callback=init",
              "The Maps key {v} is restricted to our domain.", "apiKey: \"{v}\","]


def pos_GOOGLE_API_KEY(r):
    v = "AIza" + high_entropy(r, URLSAFE, 35)
    return r.choice(GOOGLE_TPL).format(v=v), v, "google"


def neg_GOOGLE_API_KEY(r):
    k, v = r.choice([("34-chars", "AIza" + high_entropy(r, URLSAFE, 34)),
                     ("36-chars", "AIza" + high_entropy(r, ALNUM, 36)),
                     ("placeholder", "AIza" + "X" * 35)])
    return GOOGLE_TPL[2].format(v=v), v, "neg:" + k


HF_TPL = ["HF_TOKEN={v}", "huggingface-cli login --token {v}", "The model card leaked {v} again.",
          "Use {v} to pull the gated weights."]


def pos_HUGGINGFACE_TOKEN(r):
    p = "hf_" if r.random() < 0.85 else "api_org_"
    v = p + high_entropy(r, string.ascii_letters, 34)
    return r.choice(HF_TPL).format(v=v), v, "hf:" + p


def neg_HUGGINGFACE_TOKEN(r):
    k, v = r.choice([("33-letters", "hf_" + high_entropy(r, string.ascii_letters, 33)),
                     ("has-digits", "hf_" + high_entropy(r, string.ascii_letters, 30) + rnd_digits(r, 4)),
                     ("placeholder", "hf_" + "x" * 34)])
    if k == "has-digits":
        lst = list(v[3:])
        r.shuffle(lst)
        v = "hf_" + "".join(lst)
    return r.choice(HF_TPL[2:]).format(v=v), v, "neg:" + k


NPM_TPL = ["//registry.npmjs.org/:_authToken={v}", "NPM_TOKEN={v}", "Publish with {v} from CI.",
           "The npm token {v} was revoked."]


def pos_NPM_TOKEN(r):
    body = rnd_str(r, B62, 30)
    v = "npm_" + body + crc_tail(body)
    return r.choice(NPM_TPL).format(v=v), v, "npm"


def neg_NPM_TOKEN(r):
    body = rnd_str(r, B62, 30)
    tail = crc_tail(body)
    if r.random() < 0.75:
        v, k = "npm_" + body + tail[:-1] + r.choice([c for c in B62 if c != tail[-1]]), "bad-crc"
    else:
        v, k = "npm_" + body + tail[:4], "short"
    return r.choice(NPM_TPL[2:]).format(v=v), v, "neg:" + k


PYPI_TPL = ["password = {v}", "TWINE_PASSWORD={v}", "Upload with {v} as the API token.",
            "The token {v} is scoped to one project."]


def pos_PYPI_TOKEN(r):
    v = "pypi-AgEIcHlwaS5vcmc" + rnd_str(r, URLSAFE, r.choice((50, 80, 120, 160, r.randint(50, 200))))
    return r.choice(PYPI_TPL).format(v=v), v, "pypi"


def neg_PYPI_TOKEN(r):
    k, v = r.choice([("short", "pypi-AgEIcHlwaS5vcmc" + rnd_str(r, URLSAFE, 40)),
                     ("testpypi", "pypi-AgENdGVzdC5weXBpLm9yZw" + rnd_str(r, URLSAFE, 120))])
    return PYPI_TPL[2].format(v=v), v, "neg:" + k


def pos_AZURE_STORAGE_KEY(r):
    v = base64.b64encode(bytes(r.getrandbits(8) for _ in range(64))).decode()
    acct = r.choice(("prodlogs", "mlcorpus", "backup01", "stagingdata"))
    x = r.random()
    if x < 0.6:
        s = "DefaultEndpointsProtocol=https;AccountName=%s;AccountKey=%s;EndpointSuffix=core.windows.net" % (acct, v)
    elif x < 0.8:
        s = "AZURE_STORAGE_CONNECTION_STRING=\"AccountName=%s;AccountKey=%s\"" % (acct, v)
    else:
        s = "Set AccountKey=%s in the local settings file." % v
    return s, v, "azure"


def neg_AZURE_STORAGE_KEY(r):
    x = r.random()
    if x < 0.4:
        v, k = r.choice(("<your-account-key>", "${AZURE_STORAGE_KEY}", "YOUR_KEY_HERE", "xxxxxxxx")), "placeholder"
    elif x < 0.7:
        v, k = base64.b64encode(bytes(r.getrandbits(8) for _ in range(44))).decode(), "short-key"
    else:
        v, k = base64.b64encode(bytes(r.getrandbits(8) for _ in range(65))).decode(), "65-bytes"
    return "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=%s;EndpointSuffix=core.windows.net" % v, v, "neg:" + k


TW_TPL = ["TWILIO_API_KEY={v}", "The Twilio key {v} was created last week.", "api key sid: {v}"]


def pos_TWILIO_API_KEY(r):
    v = "SK" + high_entropy(r, HEX, 32)
    return r.choice(TW_TPL).format(v=v), v, "twilio"


def neg_TWILIO_API_KEY(r):
    k, v = r.choice([("account-sid", "AC" + high_entropy(r, HEX, 32)), ("31-hex", "SK" + high_entropy(r, HEX, 31)),
                     ("placeholder", "SK" + "0" * 32)])
    return "The Twilio id {v} was created last week.".format(v=v), v, "neg:" + k


SG_TPL = ["SENDGRID_API_KEY={v}", "sg.api_key = '{v}'", "Mail goes out with {v} from the worker."]


def pos_SENDGRID_API_KEY(r):
    v = "SG." + rnd_str(r, URLSAFE, 22) + "." + rnd_str(r, URLSAFE, 43)
    return r.choice(SG_TPL).format(v=v), v, "sendgrid"


def neg_SENDGRID_API_KEY(r):
    k, v = r.choice([("42-chars", "SG." + rnd_str(r, URLSAFE, 22) + "." + rnd_str(r, URLSAFE, 42)),
                     ("placeholder", "SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
                     ("21-chars", "SG." + rnd_str(r, URLSAFE, 21) + "." + rnd_str(r, URLSAFE, 43))])
    return SG_TPL[2].format(v=v), v, "neg:" + k


def jwt_value(r, header=None, sig=True):
    alg = r.choice(("HS256", "RS256", "ES256", "HS512", "EdDSA"))
    hdr = header or r.choice(('{"alg":"%s","typ":"JWT"}' % alg, '{"typ":"JWT","alg":"%s"}' % alg,
                              '{"alg":"%s","kid":"%s"}' % (alg, rnd_str(r, HEX, 8))))
    body = json.dumps({"sub": str(r.randint(1000, 99999999)), "name": r.choice(FIRST).title(),
                       "iat": r.randint(1_500_000_000, 1_760_000_000)}, separators=(",", ":"))
    nsig = {"HS256": 32, "HS512": 64, "RS256": 256, "ES256": 64, "EdDSA": 64}[alg]
    s = b64u(bytes(r.getrandbits(8) for _ in range(nsig))) if sig else ""
    return b64u(hdr.encode()) + "." + b64u(body.encode()) + "." + s


JWT_TPL = ["Authorization: Bearer {v}", "The cookie held {v} until logout.", "id_token={v}",
           "Decode {v} to see the claims."]


def pos_JWT(r):
    v = jwt_value(r)
    return r.choice(JWT_TPL).format(v=v), v, "jwt"


def neg_JWT(r):
    x = r.random()
    if x < 0.3:
        v, k = jwt_value(r, header='{"typ":"JWT"}'), "no-alg"
    elif x < 0.45:
        v, k = jwt_value(r, header='{"alg":256,"typ":"JWT"}'), "alg-not-string"
    elif x < 0.65:
        v, k = jwt_value(r, sig=False), "empty-signature"
    elif x < 0.85:
        v = jwt_value(r)
        v, k = v[:v.rindex(".")], "two-segments"
    else:
        v, k = b64u(b'{"alg":"HS256","typ":"JWT"') + "." + jwt_value(r).split(".", 1)[1], "header-not-json"
    return r.choice(JWT_TPL[1:]).format(v=v), v, "neg:" + k


PEM_KINDS = ["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY",
             "ENCRYPTED PRIVATE KEY", "DSA PRIVATE KEY", "PGP PRIVATE KEY BLOCK"]


def pem_body(r, nbytes):
    b = base64.b64encode(bytes(r.getrandbits(8) for _ in range(nbytes))).decode()
    return [b[i:i + 64] for i in range(0, len(b), 64)]


def pos_PRIVATE_KEY(r):
    kind = r.choice(PEM_KINDS)
    lines = pem_body(r, r.choice((48, 96, 150, 300, 600)))
    head = []
    if kind == "PGP PRIVATE KEY BLOCK":
        head = ["Version: GnuPG v2", ""]
        lines.append("=" + rnd_str(r, B64, 4))
    elif kind == "RSA PRIVATE KEY" and r.random() < 0.25:
        head = ["Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-128-CBC,%s" % rnd_str(r, "0123456789ABCDEF", 32), ""]
    nl = "\n" if r.random() < 0.7 else "\\n"
    block = ["-----BEGIN %s-----" % kind] + head + lines
    truncated = r.random() < 0.08
    if not truncated:
        block.append("-----END %s-----" % kind)
    v = nl.join(block)
    k = "%s %s%s" % (kind, "real-newlines" if nl == "\n" else "literal-\\n", " no-END" if truncated else "")
    if truncated:
        return "The file was cut off here:\n" + v, v, "pem:" + k, {"at_end": True}
    if nl == "\\n":
        s = r.choice(['KEY = "{v}\\n"', 'const pem = "{v}";', "key_pem: \"{v}\""]).format(v=v)
    else:
        s = r.choice(["Here is the key:\n{v}\nDo not share it.", "{v}", "id_rsa contents:\n{v}"]).format(v=v)
    return s, v, "pem:" + k


def neg_PRIVATE_KEY(r):
    x = r.random()
    if x < 0.25:
        kind = r.choice(("PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE", "CERTIFICATE REQUEST"))
        v = "\n".join(["-----BEGIN %s-----" % kind] + pem_body(r, 200) + ["-----END %s-----" % kind])
        k = "public-or-cert"
    elif x < 0.5:
        kind = r.choice(PEM_KINDS)
        v = "-----BEGIN %s-----" % kind
        return ("Your key file should start with %s and nothing else before it." % v), v, "neg:header-in-prose"
    elif x < 0.75:
        kind = r.choice(PEM_KINDS[:4])
        v = "-----BEGIN %s-----\n...\n-----END %s-----" % (kind, kind)
        k = "ellipsis-body"
    else:
        kind = r.choice(PEM_KINDS[:4])
        v = "-----BEGIN %s-----\n%s\n-----END %s-----" % (kind, base64.b64encode(bytes(r.getrandbits(8) for _ in range(36))).decode(), kind)
        k = "short-body"
    return "Example from the docs:\n%s\nend of example." % v, v, "neg:" + k


def db_url(r, pw, user=True):
    scheme = r.choice(DB_SCHEMES + ("jdbc:postgresql", "jdbc:mysql", "postgres", "postgresql", "mysql", "mongodb+srv"))
    u = (r.choice(("app", "admin", "etl", "readonly", "svc_ml", "root")) if user else "")
    host = r.choice(("db.example.com", "10.0.%d.%d" % (r.randint(0, 255), r.randint(1, 254)), "cluster0.example.net",
                     "pg-primary.internal.example.org", "localhost"))
    v = "%s://%s:%s@%s" % (scheme, u, pw, host)
    return v, scheme, r.choice(("", ":5432/analytics", ":3306/shop", "/prod?sslmode=require", ":27017/admin", ":6379/0"))


def pos_DATABASE_URL_PASSWORD(r):
    pw = url_password(r)
    user = not (r.random() < 0.1)
    v, scheme, tail = db_url(r, pw, user)
    s = r.choice(["DATABASE_URL={v}{t}", "Connect with {v}{t} from the notebook.", "dsn: \"{v}{t}\"",
                  "The old string was {v}{t} before the migration."]).format(v=v, t=tail)
    return s, v, "db:%s%s" % (scheme, "" if user else " empty-user")


def neg_DATABASE_URL_PASSWORD(r):
    x = r.random()
    if x < 0.55:
        pw = r.choice(("changeme", "${DB_PASSWORD}", "<password>", "****", "password", "your_password",
                       "xxxxxxxx", "{{ db_pass }}", "%(password)s", "REDACTED", "[PASSWORD]"))
        v, _, tail = db_url(r, pw)
        k = "placeholder-pw"
    elif x < 0.75:
        v, _, tail = db_url(r, "x")
        v = v.replace(":x@", "@")
        k = "no-password"
    elif x < 0.9:
        v, _, tail = db_url(r, "")
        k = "empty-password"
    else:
        v = "postgres://db.example.com:5432/analytics"
        tail, k = "", "no-userinfo"
    return "DATABASE_URL={v}{t}".format(v=v, t=tail), v, "neg:" + k


GEN_KEYS = ["password", "passwd", "pwd", "secret", "secret_key", "token", "api_key", "apikey",
            "access_key", "auth_key", "private_key", "DB_PASSWORD", "client_secret", "SMTP_PASSWORD",
            "admin_pwd", "JWT_SECRET", "session_token", "AUTH_TOKEN", "stripeApiKey", "clientSecret",
            "MYSQL_ROOT_PASSWORD", "app.secret_key", "webhook-secret", "REDIS_PASSWD", "x_auth_key"]


def generic_value(r):
    while True:
        n = r.randint(10, 32)
        v = rnd_str(r, ALNUM, n - 2) + rnd_str(r, "!#%^&*-_+.~" + DIG, 2)
        v = "".join(r.sample(v, len(v)))
        if (entropy(v) >= 3.2 and re.search(r"\d", v) and v[0] not in "$<[{%"
                and not is_placeholder(v) and not re.search(r"(?i)your|xxx|test", v)):
            return v


def generic_line(r, key, v, quote=None):
    q = quote if quote is not None else r.choice(('"', "'", ""))
    style = r.random()
    if style < 0.35:
        return "%s = %s%s%s" % (key, q, v, q)
    if style < 0.55:
        return "%s: %s%s%s" % (key, q, v, q)
    if style < 0.65:
        return "%s=%s%s%s" % (key.upper(), q, v, q)
    if style < 0.75:
        return '"%s": "%s",' % (key, v)
    if style < 0.85:
        return "%s := \"%s\"" % (key, v)
    return "'%s' => '%s'," % (key, v)


def pos_GENERIC_SECRET(r):
    key = r.choice(GEN_KEYS)
    v = generic_value(r)
    line = generic_line(r, key, v)
    s = r.choice(["{l}", "In the config: {l}", "{l}  # do not commit", "Found this in .env: {l}"]).format(l=line)
    return s, v, "generic:%s" % key


def neg_GENERIC_SECRET(r):
    key = r.choice(GEN_KEYS)
    env = key.upper().replace(".", "_").replace("-", "_")
    k, sep, shown, v = r.choice([
        ("placeholder", " = ", "changeme", "changeme"),
        ("placeholder", ": ", '"${%s}"' % env, "${%s}" % env),
        ("placeholder", " = ", "<your-%s>" % key.lower(), "<your-%s>" % key.lower()),
        ("placeholder", " = ", '"your_api_key_here"', "your_api_key_here"),
        ("placeholder", ": ", '"{{ vault_secret }}"', "{{ vault_secret }}"),
        ("placeholder", " = ", "xxxxxxxxxxxx", "xxxxxxxxxxxx"),
        ("placeholder", " = ", '"REDACTED-%d"' % r.randint(100, 999), None),
        ("placeholder", " = ", '"example-%s-%d"' % (key.lower(), r.randint(100, 999)), None),
        ("attribute-path", " = ", "settings.%s" % env, None),
        ("call-or-index", " = ", 'os.environ["%s"]' % env, None),
        ("call-or-index", " = ", "get_secret('prod/%s')" % key.lower(), None),
        ("low-entropy", " = ", '"aaaabbbbaaaa"', "aaaabbbbaaaa"),
        ("too-short", " = ", '"%s"' % generic_value(r)[:7], None),
    ])
    if r.random() < 0.15:
        k, key, sep = "not-a-secret-key", r.choice(("password_hint", "token_count", "secret_santa_list",
                                                     "api_key_rotation_days", "pwd_changed_at")), " = "
        shown = '"%s"' % generic_value(r)
        v = None
    line = key + sep + shown
    if v is None:
        v = shown[1:-1] if shown[:1] in "\"'" and shown[-1:] == shown[:1] else shown
    s = r.choice(["{l}", "In the config: {l}", "Found this in .env: {l}"]).format(l=line)
    return s, v, "neg:" + k


# ----------------------------------------------------------------------------
# self-checks of positives with the same rules (stdlib), per type

def _compact(v):
    return re.sub(r"[ \-.]", "", v)


SELF_CHECK = {
    "CREDIT_CARD": lambda v: card_ok(_compact(v)),
    "IBAN": iban_ok,
    "US_SSN": ssn_ok, "US_ITIN": itin_ok,
    "DE_ID_CARD": lambda v: icao_digit(v[:9]) == v[9],
    "DE_TAX_ID": lambda v: idnr_ok(_compact(v)),
    "FR_NIR": nir_ok, "TR_NATIONAL_ID": tr_ok, "UK_NHS": nhs_ok,
    "ES_DNI": lambda v: DNI_LETTERS[int(re.sub(r"\D", "", v)) % 23] == v[-1],
    "ES_NIE": lambda v: DNI_LETTERS[int(str("XYZ".index(v[0])) + v[1:8]) % 23] == v[8],
    "IT_CODICE_FISCALE": cf_ok, "NL_BSN": lambda v: bsn_ok(_compact(v)),
    "PL_PESEL": pesel_ok, "IN_AADHAAR": aadhaar_ok,
    "IN_VOTER_ID": lambda v: luhn_ok(v[3:]),
    "CN_RESIDENT_ID": ric_ok, "CN_USCC": uscc_ok,
    "CN_BANK_CARD": lambda v: _compact(v).startswith("62") and luhn_ok(_compact(v)),
    "GITHUB_TOKEN": lambda v: v.startswith("github_pat_") or crc_tail(v[4:34]) == v[34:],
    "NPM_TOKEN": lambda v: crc_tail(v[4:34]) == v[34:],
    "AZURE_STORAGE_KEY": lambda v: len(base64.b64decode(v)) == 64 and len(v) == 88,
    "JWT": lambda v: isinstance(json.loads(base64.urlsafe_b64decode(
        v.split(".")[0] + "=" * (-len(v.split(".")[0]) % 4))).get("alg"), str),
}

SECRET_TYPES = ALL_TYPES[ALL_TYPES.index("AWS_ACCESS_KEY_ID"):]


def self_check(typ, v, sentence, expected):
    if expected:
        f = SELF_CHECK.get(typ)
        if f is not None and not f(v):
            raise AssertionError("generator bug: %s positive %r fails its rule" % (typ, v))
        if typ in SECRET_TYPES and typ not in ("PRIVATE_KEY", "GENERIC_SECRET", "JWT") and entropy(v) < 3.0:
            raise AssertionError("generator bug: %s positive %r below entropy" % (typ, v))
        if typ in CTX:
            i = sentence.index(v)
            d = ctx_distance(sentence, i, i + len(v), typ)
            if typ == "US_ZIP" and d is None:
                return
            if typ in ("US_SSN", "US_ITIN") and "-" in v and d is None:
                return
            if d is None or d[0] > WINDOW.get(typ, 60):
                raise AssertionError("generator bug: %s positive %r has no context: %r" % (typ, v, sentence))


# ----------------------------------------------------------------------------
# rows

GEN = {t: (globals()["pos_" + t], globals()["neg_" + t]) for t in ALL_TYPES}


class Corpus:
    def __init__(self, seed, pos_rate, neg_rate):
        self.r = Random(seed)
        self.pos_rate, self.neg_rate = pos_rate, neg_rate
        self.filler = build_filler()
        self.decks = {True: [], False: []}
        self.stats = Counter()

    def _next_type(self, positive):
        deck = self.decks[positive]
        if not deck:
            deck.extend(ALL_TYPES)
            self.r.shuffle(deck)
        return deck.pop()

    def _filler(self, n):
        r = self.r
        out, srcs = [], []
        for _ in range(n):
            t, s = self.filler[int(r.random() * len(self.filler))]
            out.append(t)
            srcs.append(s)
        return out, srcs

    def _plant(self, typ, positive):
        """(sentence, value, note, extra) for typ, avoiding accidental matches
        of other context-free detectors on the value."""
        r = self.r
        fn = GEN[typ][0 if positive else 1]
        for attempt in range(40):
            res = fn(r)
            sent, v, note = res[:3]
            extra = dict(res[3]) if len(res) > 3 else {}
            i = sent.find(v)
            if i < 0:
                raise AssertionError("generator bug: value %r not in %r" % (v, sent))
            also = set(extra.get("also", ()))
            clash = []
            for other in overlapping(sent, i, i + len(v), typ):
                if other in ALLOWED_ALSO.get(typ, ()) or other in also:
                    also.add(other)
                else:
                    clash.append(other)
            if clash:
                self.stats["regenerated:%s(%s)" % (typ, ",".join(clash))] += 1
                continue
            if not positive and typ in QUICK:
                if any(a < i + len(v) and i < b for a, b in QUICK[typ](sent)):
                    raise AssertionError("generator bug: %s negative %r matches its own rule" % (typ, v))
            self_check(typ, v, sent, positive)
            if typ in CTX and " d=" not in note:
                d = ctx_distance(sent, i, i + len(v), typ)
                if d:
                    note += " ctx=%s d=%d %s" % (d[1], d[0], d[2])
                elif positive and "no-context" not in note and "state-before" not in note:
                    note += " no-ctx"
            if also:
                extra["also"] = sorted(also)
            else:
                extra.pop("also", None)
            return sent, v, note, extra
        raise RuntimeError("could not plant a clean %s value" % typ)

    def row(self, i):
        r = self.r
        x = r.random()
        planted = None
        if x < self.pos_rate:
            planted = (self._next_type(True), True)
        elif x < self.pos_rate + self.neg_rate:
            planted = (self._next_type(False), False)
        nfill = r.randint(1, 3) if planted else r.randint(1, 4)
        sents, srcs = self._filler(nfill)
        label = None
        if planted:
            typ, positive = planted
            sent, v, note, extra = self._plant(typ, positive)
            at_end = extra.pop("at_end", False)
            pos = len(sents) if at_end else r.randint(0, len(sents))
            sents.insert(pos, sent)
            text = " ".join(sents)
            start = sum(len(t) + 1 for t in sents[:pos]) + sent.index(v)
            assert text[start:start + len(v)] == v
            if not positive and typ in CTX and "no-context" in note:
                if has_ctx(text, typ):
                    raise AssertionError("no-context negative has a context word: %r" % text)
            bstart = len(text[:start].encode("utf-8"))
            label = {"row": i, "field": "text", "type": typ, "value": v, "expected": positive,
                     "start": bstart, "end": bstart + len(v.encode("utf-8")), "note": note}
            label.update(extra)
            src = "synthetic"
        else:
            text = " ".join(sents)
            src = srcs[0]
        obj = {"id": i, "text": text, "source": src, "consent": True}
        return obj, label


def verify(rows_labels, cross=True):
    """Re-check every label with shared/conformance/check.py (python-stdnum,
    phonenumbers). Returns the number of disagreements."""
    cands = [os.path.join(HERE, "..", "..", "shared", "conformance"),
             os.path.join(HERE, "..", "shared", "conformance"), "/work/shared/conformance"]
    for c in cands:
        if os.path.exists(os.path.join(c, "check.py")):
            sys.path.insert(0, os.path.abspath(c))
            break
    import check  # noqa: E402  (exits 2 if stdnum/phonenumbers are missing)
    bad = Counter()
    seen = Counter()
    examples = {}
    for text, lab in rows_labels:
        typ, v = lab["type"], lab["value"]
        try:
            found = check.DETECTORS[typ](text)
        except Exception as e:     # an oracle crash counts as a disagreement
            found = []
            print("verify: check.py raised %r on %r" % (e, text[:120]))
        s = text.index(v) if v in text else -1
        hit = False
        for f in found:
            j = text.find(f)
            while j >= 0:
                if j < s + len(v) and s < j + len(f):
                    hit = True
                    break
                j = text.find(f, j + 1)
            if hit:
                break
        key = (typ, lab["expected"])
        seen[key] += 1
        if hit != lab["expected"]:
            bad[key] += 1
            examples.setdefault(key, []).append((lab["note"], v, text[:200]))
    total = sum(bad.values())
    print("verify: %d labels re-checked with check.py, %d disagree" % (sum(seen.values()), total))
    for key in sorted(bad):
        print("  %-24s %-5s %d/%d disagree" % (key[0], key[1], bad[key], seen[key]))
        for ex in examples[key][:3]:
            print("      %s | %r | %r" % ex)
    if cross:
        # Informational: other detectors that the reference implementation
        # also fires on a planted value (not listed in `also`). A scour finding
        # of that type there is allowed by the rules; accuracy.py counts it
        # under "cross", not as a false positive.
        cx = Counter()
        for text, lab in rows_labels:
            v = lab["value"]
            s = text.index(v)
            for other, fn in check.DETECTORS.items():
                if other == lab["type"] or other in lab.get("also", ()):
                    continue
                try:
                    found = fn(text)
                except Exception:      # python-stdnum raises on a few region codes
                    continue
                for f in found:
                    j = text.find(f)
                    if j >= 0 and j < s + len(v) and s < j + len(f):
                        cx[(lab["type"], lab["expected"], other)] += 1
                        break
        print("verify: other detector ids that check.py also fires on planted values:")
        for (t, e, o), n in sorted(cx.items()):
            print("  %-24s %-5s -> %-20s %d" % (t, e, o, n))
    return total


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pos-rate", type=float, default=0.45, help="fraction of rows with one positive")
    ap.add_argument("--neg-rate", type=float, default=0.25, help="fraction of rows with one near miss")
    ap.add_argument("--verify", action="store_true",
                    help="re-check every label with shared/conformance/check.py (needs python-stdnum, phonenumbers)")
    ap.add_argument("out", metavar="OUT.jsonl")
    a = ap.parse_args(argv)
    if a.rows <= 0 or a.pos_rate + a.neg_rate > 1:
        ap.error("need --rows > 0 and --pos-rate + --neg-rate <= 1")
    c = Corpus(a.seed, a.pos_rate, a.neg_rate)
    labels_path = (a.out[:-6] if a.out.endswith(".jsonl") else a.out) + ".labels.jsonl"
    keep = [] if a.verify else None
    counts = Counter()
    with open(a.out, "w", encoding="utf-8") as fo, open(labels_path, "w", encoding="utf-8") as fl:
        for i in range(a.rows):
            obj, lab = c.row(i)
            fo.write(json.dumps(obj, ensure_ascii=False) + "\n")
            if lab:
                fl.write(json.dumps(lab, ensure_ascii=False) + "\n")
                counts[(lab["type"], lab["expected"])] += 1
                if keep is not None:
                    keep.append((obj["text"], lab))
    npos = sum(v for (t, e), v in counts.items() if e)
    print("%s: %d rows, %d positive and %d negative labels over %d types -> %s" % (
        a.out, a.rows, npos, sum(counts.values()) - npos, len(ALL_TYPES), labels_path), file=sys.stderr)
    low = [t for t in ALL_TYPES if counts[(t, True)] < 300]
    if low and a.rows >= 100_000:
        print("warning: fewer than 300 positives for %s" % ", ".join(low), file=sys.stderr)
    if c.stats:
        print("regenerated values (accidental match of another detector): %d" % sum(c.stats.values()),
              file=sys.stderr)
    if keep is not None:
        return 3 if verify(keep) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
