#!/usr/bin/env python3
"""Generate a deterministic, realistic benchmark corpus for scour.

    gen_corpus.py --size-mb N --format jsonl|csv|txt|json [--shape prose|wide] [--seed S]
                  [--pii-rate 0.02] [--near-miss-rate 0.02] [--id-base N] [--labels] OUT

Prose comes from text that exists on every CPython/Debian machine: the
`pydoc_data.topics` help text and `/usr/share/common-licenses/*` (whichever
files exist; stdlib docstrings are the last resort). Sentences are split out
and recombined into rows of 200-3000 characters. About `--pii-rate` of the
rows carry one or more synthetic PII/secret values (valid by the rules in
shared/conformance/README.md); about `--near-miss-rate` carry look-alikes that
must NOT be reported (timestamps, versions, order numbers, UUIDs, git SHAs,
bad checksums, placeholders).

Standard library only. Deterministic: the output depends only on the seed, the
arguments and the source text (i.e. the Python version and the licence files
present); a smaller corpus is a prefix of a larger one with the same seed.
With --labels, OUT.labels.jsonl gets one line per planted value:
{"row", "field", "type", "value", "expected"[, "escaped"]}; `row` is the
0-based record index (JSONL/TXT line, CSV record after the header, JSON array
element), `expected` is false for near misses.
"""

import argparse
import base64
import glob
import ipaddress
import json
import math
import os
import re
import string
import sys
import uuid
import zlib
from collections import Counter
from random import Random

MB = 1_000_000          # sizes are decimal megabytes, like the MB/s figures
BLOCK_ROWS = 2048       # rows rendered per write

# ----------------------------------------------------------------------------
# source text


def _load_sources():
    """Return [(source_name, text)], best effort."""
    out = []
    try:
        from pydoc_data.topics import topics
        out.append(("pydoc", "\n\n".join(topics[k] for k in sorted(topics))))
    except Exception:
        pass
    lic_dir = "/usr/share/common-licenses"
    seen = set()
    for path in sorted(glob.glob(os.path.join(lic_dir, "*"))):
        try:
            real = os.path.realpath(path)
            if real in seen or not os.path.isfile(real):
                continue
            seen.add(real)
            with open(real, "rb") as f:
                out.append(("license", f.read().decode("utf-8", "replace")))
        except OSError:
            continue
    if sum(len(t) for _, t in out) < 50_000:
        # Fallback: docstrings of stdlib modules (always there).
        import importlib
        docs = []
        for name in ("builtins", "os", "re", "json", "collections", "itertools",
                     "functools", "string", "random", "argparse", "textwrap",
                     "pathlib", "subprocess", "threading", "logging", "typing",
                     "dataclasses", "decimal", "fractions", "statistics"):
            try:
                mod = importlib.import_module(name)
            except Exception:
                continue
            for attr in sorted(dir(mod)):
                doc = getattr(getattr(mod, attr, None), "__doc__", None)
                if isinstance(doc, str) and len(doc) > 80:
                    docs.append(doc)
        out.append(("docstring", "\n\n".join(docs)))
    return out


_SENT_SPLIT = re.compile(r'(?<=[.!?])\s+(?=[A-Z"(\[])')
_WS = re.compile(r"\s+")


def build_sentences():
    """Deduplicated sentences in source order, with their source name."""
    sents, srcs, seen = [], [], set()
    for src, text in _load_sources():
        for para in re.split(r"\n\s*\n", text):
            para = _WS.sub(" ", para).strip()
            if not para:
                continue
            for s in _SENT_SPLIT.split(para):
                s = s.strip()
                if 20 <= len(s) <= 600 and s not in seen:
                    seen.add(s)
                    sents.append(s)
                    srcs.append(src)
    if not sents:
        sents, srcs = ["The quick brown fox jumps over the lazy dog."], ["builtin"]
    return sents, srcs


# Hand-written multilingual lines (exercise UTF-8, \u escapes, surrogate pairs).
MULTI = [
    ("fr", "Le café était fermé, alors nous avons marché jusqu'à la gare."),
    ("fr", "Cette licence s'applique à l'ensemble du logiciel — sans exception."),
    ("fr", "Un naïf résumé « entre guillemets » n'engage personne."),
    ("de", "Die Straße war nass, und die Bäume standen still im Nebel."),
    ("de", "Größere Dateien werden in Blöcken verarbeitet, nicht zeilenweise."),
    ("es", "El niño comió una piña en la mañana del sábado."),
    ("es", "¿Dónde está la biblioteca? ¡Está cerrada hasta el lunes!"),
    ("pt", "A execução terminou sem erros, mas a conexão ficou lenta."),
    ("zh", "这是一个用于测试的中文句子，包含标点符号。"),
    ("zh", "数据集中的每一行都应该被仔细检查。"),
    ("zh", "请在下周一之前提交报告，谢谢。"),
    ("ja", "このファイルは自動的に生成されました。"),
    ("ja", "東京の天気は晴れ、気温は二十度です。"),
    ("ko", "이 문장은 한국어로 작성되었습니다."),
    ("ru", "Быстрая коричневая лиса прыгает через ленивую собаку."),
    ("ru", "Файл слишком большой, попробуйте ещё раз."),
    ("el", "Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο."),
    ("ar", "هذه جملة تجريبية باللغة العربية."),
    ("hi", "यह वाक्य हिंदी में लिखा गया है।"),
    ("en", "Great job on the release! 🎉🚀"),
    ("en", "I can't believe it worked on the first try 😅 — thanks!"),
    ("en", "Weather today: ☀️ then 🌧️, about 18 °C."),
    ("en", "The naïve approach costs O(n²) — use a heap instead ✅."),
    ("en", "Price: €12.50 or £10.80 (≈ $13.70)."),
    ("en", "She said \"it's fine\" and left; the door went 'click'."),
    ("en", "Path on Windows: C:\\Users\\admin\\Documents\\report.txt"),
    ("en", "Tab\tseparated\tvalues\tshow up in scraped tables."),
    ("en", "Zero‑width joiners (👩‍💻) and flags (🇩🇪🇯🇵) are single glyphs."),
]

FIRST = ["james", "mary", "li", "wei", "fatima", "olga", "pierre", "anna", "raj",
         "sofia", "kenji", "amara", "lucas", "emma", "noah", "chloe", "mateo",
         "hannah", "omar", "ines", "david", "yuki", "sara", "tom"]
LAST = ["smith", "garcia", "wang", "muller", "dupont", "rossi", "kowalski",
        "tanaka", "okafor", "silva", "novak", "jensen", "brown", "kim", "singh",
        "ivanova", "martin", "lopez", "nguyen", "cohen"]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com",
           "dept.example.co.jp", "corp.example.co.uk", "example.de",
           "lists.example.org", "students.example.edu", "example.fr"]
URL_HOSTS = ["www.example.com", "blog.example.org", "docs.example.net",
             "forum.example.com", "news.example.co.uk", "wiki.example.org",
             "example.edu", "shop.example.de", "archive.example.net"]
WORDS = ("data model python license software release guide notes archive "
         "thread post article help faq install config error update stream "
         "parser tutorial review history").split()

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B32 = string.ascii_uppercase + "234567"
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
PLACEHOLDER_BITS = ("your", "changeme", "placeholder", "redacted", "example",
                    "dummy", "test", "sample", "secret", "token", "password",
                    "xxxx", "todo", "null", "none")


def entropy(s):
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def _secret_ok(v):
    low = v.lower()
    return entropy(v) >= 3.0 and not any(b in low for b in PLACEHOLDER_BITS)


# ----------------------------------------------------------------------------
# PII / secret generators (each returns the bare value)


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
    return luhn_digit(num[:-1]) == num[-1]


CARD_ISSUERS = [  # (weight, prefix chooser, lengths, grouping by length)
    (40, lambda r: "4", (16, 16, 16, 13, 19)),
    (25, lambda r: str(r.randint(51, 55)) if r.random() < .7 else str(r.randint(2221, 2720)), (16,)),
    (12, lambda r: r.choice(("34", "37")), (15,)),
    (8, lambda r: r.choice(("6011", str(r.randint(644, 649)), "65")), (16, 16, 19)),
    (6, lambda r: str(r.randint(3528, 3589)), (16,)),
    (4, lambda r: r.choice(("300", "301", "302", "303", "304", "305", "36", "38")), (14,)),
    (5, lambda r: "62", (16, 19)),
]
_CARD_W = [w for w, _, _ in CARD_ISSUERS]


def _group(s, sizes, sep):
    out, i = [], 0
    for n in sizes:
        if i >= len(s):
            break
        out.append(s[i:i + n])
        i += n
    if i < len(s):
        out.append(s[i:])
    return sep.join(out)


def gen_card(r):
    _, pre, lengths = r.choices(CARD_ISSUERS, _CARD_W)[0]
    p = pre(r)
    n = r.choice(lengths)
    body = p + "".join(r.choices(string.digits, k=n - len(p) - 1))
    num = body + luhn_digit(body)
    style = r.random()
    if style < 0.45:
        return num
    sep = " " if style < 0.8 else "-"
    if n == 15:
        return _group(num, (4, 6, 5), sep)
    if n == 14:
        return _group(num, (4, 6, 4), sep)
    return _group(num, (4,) * 5, sep)


def _iban_check(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_ok(iban):
    s = iban.replace(" ", "").upper()
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def gen_iban(r):
    cc = r.choice(("DE", "DE", "GB", "FR"))
    if cc == "DE":      # 22: 8-digit bank code + 10-digit account
        bban = "".join(r.choices(string.digits, k=18))
    elif cc == "GB":    # 22: 4-letter bank + 6-digit sort code + 8-digit account
        bban = r.choice(("NWBK", "BARC", "MIDL", "LOYD", "WEST", "HBUK")) + \
            "".join(r.choices(string.digits, k=14))
    else:               # 27: 5 bank + 5 branch + 11 account (alnum) + 2 key
        acct = "".join(r.choices(string.digits, k=11)) if r.random() < .8 else \
            "".join(r.choices(string.digits + string.ascii_uppercase, k=11))
        bban = "".join(r.choices(string.digits, k=10)) + acct + \
            "".join(r.choices(string.digits, k=2))
    iban = cc + _iban_check(cc, bban) + bban
    if r.random() < 0.5:
        iban = _group(iban, (4,) * 7, " ")
    if r.random() < 0.05:
        iban = iban.lower()
    return iban


_SSN_RETIRED = {"078-05-1120", "219-09-9999", "457-55-5462", "123-45-6789"}


def gen_ssn(r):
    while True:
        area = r.randint(1, 899)
        if area == 666:
            continue
        v = "%03d-%02d-%04d" % (area, r.randint(1, 99), r.randint(1, 9999))
        if v not in _SSN_RETIRED:
            return v


US_AREAS = ("201", "202", "206", "212", "213", "305", "312", "408", "415",
            "503", "512", "617", "646", "702", "713", "718", "773", "818", "917")


def gen_phone(r):
    x = r.random()
    if x < 0.45:   # UK, Ofcom drama ranges
        kind = r.random()
        if kind < 0.5:
            local = ("20", "7946", "0%03d" % r.randint(0, 999))
        elif kind < 0.75:
            local = ("161", "496", "0%03d" % r.randint(0, 999))
        else:
            local = ("113", "496", "0%03d" % r.randint(0, 999))
        if r.random() < 0.6:
            return "+44 " + " ".join(local)
        return "0" + " ".join(local)
    # US 555 numbers in real area codes, outside 555-0100..0199: that block is
    # fictional, scour's surrogates come from it and scan does not report it
    a, line = r.choice(US_AREAS), "%04d" % r.randint(200, 9999)
    return r.choice(("(%s) 555-%s", "%s-555-%s", "%s.555.%s", "+1 %s-555-%s",
                     "+1 (%s) 555-%s", "+1 %s 555 %s")) % (a, line)


def gen_email(r):
    f, l = r.choice(FIRST), r.choice(LAST)
    x = r.random()
    if x < 0.3:
        local = f + "." + l
    elif x < 0.5:
        local = f[0] + l
    elif x < 0.65:
        local = "%s%d" % (f, r.randint(1, 9999))
    elif x < 0.8:
        local = "%s_%s" % (f, l)
    elif x < 0.9:
        local = "%s.%s+%s" % (f, l, r.choice(("news", "work", "git", "2024")))
    elif x < 0.96:
        local = r.choice(("support", "info", "admin", "billing", "noreply", "jobs"))
    else:
        local = r.choice(("josé.garcía", "müller", "françois", "zoë.k"))
    return local + "@" + r.choice(DOMAINS)


def gen_ipv4(r):
    x = r.random()
    if x < 0.4:
        # documentation ranges the detector reports (198.51.100.0/24 is
        # surrogate space, not reported)
        return r.choice(("192.0.2.", "203.0.113.")) + str(r.randint(1, 254))
    if x < 0.6:
        return "10.%d.%d.%d" % (r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))
    if x < 0.75:
        return "192.168.%d.%d" % (r.randint(0, 255), r.randint(1, 254))
    if x < 0.85:
        return "172.%d.%d.%d" % (r.randint(16, 31), r.randint(0, 255), r.randint(1, 254))
    return "%d.%d.%d.%d" % (r.randint(1, 223), r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))


def gen_ipv6(r):
    x = r.random()
    if x < 0.15:
        return "::ffff:" + gen_ipv4(r)
    base = 0x20010db8 << 96
    if x < 0.55:   # sparse -> compresses with ::
        n = base | (r.getrandbits(16) << 64) | r.getrandbits(16)
    elif x < 0.75:
        n = (0xfe80 << 112) | r.getrandbits(64)
    else:
        n = base | r.getrandbits(96)
    a = ipaddress.IPv6Address(n)
    return a.exploded if r.random() < 0.2 else a.compressed


def gen_aws(r):
    while True:
        v = r.choice(("AKIA", "AKIA", "AKIA", "ASIA")) + "".join(r.choices(B32, k=16))
        if _secret_ok(v):
            return v


def b62(n, width):
    s = ""
    while n > 0:
        s = B62[n % 62] + s
        n //= 62
    return s.rjust(width, "0")


def gen_github(r):
    body = "".join(r.choices(B62, k=30))
    return r.choice(("ghp_", "ghp_", "ghp_", "gho_", "ghs_")) + body + b62(zlib.crc32(body.encode()), 6)


def github_ok(tok):
    return b62(zlib.crc32(tok[4:34].encode()), 6) == tok[34:40]


def gen_stripe(r):
    while True:
        v = "".join(r.choices(ALNUM, k=r.randint(24, 40)))
        if _secret_ok(v):
            return ("sk_live_" if r.random() < .85 else "rk_live_") + v


def _b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt(r):
    alg = r.choice(("HS256", "RS256", "ES256", "HS512"))
    if r.random() < 0.5:
        hdr = '{"alg":"%s","typ":"JWT"}' % alg
    else:
        hdr = '{"typ":"JWT","alg":"%s"}' % alg
    body = json.dumps({"sub": str(r.randint(1000, 99999999)),
                       "name": r.choice(FIRST).title() + " " + r.choice(LAST).title(),
                       "iat": r.randint(1_500_000_000, 1_760_000_000)},
                      separators=(",", ":"))
    nsig = {"HS256": 32, "HS512": 64, "RS256": 256, "ES256": 64}[alg]
    sig = bytes(r.getrandbits(8) for _ in range(nsig))
    return _b64u(hdr.encode()) + "." + _b64u(body.encode()) + "." + _b64u(sig)


# (type, generator, weight, templates)
PII = [
    ("EMAIL", gen_email, 20, [
        "Contact me at {v} if anything breaks.", "Reply-To: {v}",
        "Send the logs to <{v}> before Friday.", "My email is {v}, feel free to write.",
        "cc {v} on the thread please."]),
    ("PHONE", gen_phone, 14, [
        "Call me on {v} tomorrow morning.", "Phone: {v}",
        "You can reach the front desk at {v} between 9 and 5.",
        "If it fails again, ring {v} and ask for Sam."]),
    ("CREDIT_CARD", gen_card, 12, [
        "My card number is {v}, please charge it.", "Paid with card {v} last week.",
        "Card: {v} exp 04/29 cvv 123", "Use {v} for the deposit."]),
    ("IBAN", gen_iban, 8, [
        "Please wire the money to IBAN {v} today.", "Account: {v}",
        "Bankverbindung: {v} (Sparkasse)", "Refunds go to {v} within five days."]),
    ("US_SSN", gen_ssn, 8, [
        "SSN {v}", "My social security number is {v}, as requested.",
        "Employee record {v} was updated on file.", "ssn: {v}"]),
    ("IP_ADDRESS", gen_ipv4, 10, [
        "The request came from {v} at noon.", "Server at {v} is down again.",
        "The API listens on {v}:8443 now.", "Blocked host {v} after the scan."]),
    ("IP_ADDRESS", gen_ipv6, 4, [
        "Resolver at [{v}]:53 answered.", "Interface address {v} assigned.",
        "Traffic from {v} was dropped."]),
    ("AWS_ACCESS_KEY_ID", gen_aws, 6, [
        "aws_access_key_id = {v}", "export AWS_ACCESS_KEY_ID={v}",
        "The key {v} was leaked in the CI logs."]),
    ("GITHUB_TOKEN", gen_github, 6, [
        "GITHUB_TOKEN={v}", "Use the token {v} to push the release.",
        "git remote set-url origin https://{v}@github.com/acme/site.git"]),
    ("STRIPE_SECRET_KEY", gen_stripe, 5, [
        "STRIPE_KEY={v}", 'stripe.api_key = "{v}"', "Live key {v} must be rotated."]),
    ("JWT", gen_jwt, 7, [
        "Authorization: Bearer {v}", "token={v}", "The session cookie was {v} for a day."]),
]
_PII_W = [p[2] for p in PII]
# A digit-like value never ends its sentence: the next sentence ("1. check
# ...") must not extend it into a longer candidate.
_DIGITY = ("PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS")
PII = [(t, g, w, [x + ", thanks." if t in _DIGITY and x.endswith("{v}") else x for x in tp])
       for t, g, w, tp in PII]


def _neg_ts(r):
    y, mo, d = r.randint(2015, 2025), r.randint(1, 12), r.randint(1, 28)
    h, mi, s = r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)
    return r.choice(("%04d-%02d-%02dT%02d:%02d:%02dZ" % (y, mo, d, h, mi, s),
                     "%04d-%02d-%02d %02d:%02d:%02d" % (y, mo, d, h, mi, s),
                     str(r.randint(1_500_000_000, 1_760_000_000))))


def _neg_card(r):
    body = "4" + "".join(r.choices(string.digits, k=14))
    bad = str((int(luhn_digit(body)) + r.randint(1, 9)) % 10)
    return _group(body + bad, (4,) * 4, r.choice((" ", "-", "")))


def _neg_iban(r):
    bban = "".join(r.choices(string.digits, k=18))
    good = _iban_check("DE", bban)
    bad = "%02d" % ((int(good) + r.randint(1, 50) - 2) % 97 + 2)
    return "DE" + (bad if bad != good else "%02d" % ((int(good) + 1) % 97 + 2)) + bban


def _neg_gh(r):
    body = "".join(r.choices(B62, k=30))
    chk = b62(zlib.crc32(body.encode()), 6)
    bad = chk[:5] + B62[(B62.index(chk[5]) + 1) % 62]
    return "ghp_" + body + bad


_DIGITS7 = re.compile(r"[0-9]{7}")


def _neg_uuid(r):
    while True:   # no all-digit group (those read as digit runs to loose scanners)
        v = str(uuid.UUID(int=r.getrandbits(128), version=4))
        if not any(g.isdigit() for g in v.split("-")):
            return v


def _neg_sha(r):
    while True:   # no long digit run inside (it could read as an SSN or a card)
        v = "".join(r.choices(HEX, k=r.choice((40, 40, 7, 12))))
        if not v[:4].isdigit() and not _DIGITS7.search(v):
            return v


NEG = [
    ("TIMESTAMP", _neg_ts, ["Logged at {v} by the server.", "created_at: {v}",
                            "The job finished at {v} without errors."]),
    # at most 6 digits in all, so no 7-15 digit phone reading exists
    ("VERSION", lambda r: "%d.%d.%d.%d" % (r.randint(1, 9), r.randint(0, 19), r.randint(0, 9), r.randint(0, 9)),
     ["Upgrade to version {v} today.", "Changelog for v{v} is out.", "release {v} fixes it."]),
    ("ORDER_NUMBER", lambda r: r.choice((
        "%03d-%07d-%07d" % (r.randint(100, 199), r.randint(0, 9999999), r.randint(0, 9999999)),
        "INV-%d-%06d" % (r.randint(2015, 2025), r.randint(0, 999999)),
        "%010d" % r.randint(1_000_000_000, 9_999_999_999))),
     ["Order {v} was shipped today.", "Invoice {v} is attached.", "Your order number is {v}, thanks."]),
    ("UUID", _neg_uuid,
     ["request_id={v}", "Trace {v} shows the retry.", "object {v} deleted"]),
    ("GIT_SHA", _neg_sha,
     ["Fixed in commit {v}.", "Reverts {v} (flaky test).", "HEAD is now at {v}."]),
    ("CARD_BAD_LUHN", _neg_card, ["Tracking number {v} is not a card.", "ref {v} in the ledger"]),
    ("IBAN_BAD_CHECK", _neg_iban, ["transfer to {v} please"]),
    ("SSN_INVALID", lambda r: r.choice(("000-%02d-%04d" % (r.randint(1, 99), r.randint(1, 9999)),
                                        "666-%02d-%04d" % (r.randint(1, 99), r.randint(1, 9999)),
                                        "%03d-00-%04d" % (r.randint(1, 665), r.randint(1, 9999)),
                                        "%03d-%02d-0000" % (r.randint(1, 665), r.randint(1, 99)))),
     ["Form field {v} was rejected.", "bad value {v}"]),
    ("AWS_PLACEHOLDER", lambda r: r.choice(("AKIAXXXXXXXXXXXXXXXX", "AKIA" + "A" * 16,
                                            "AKIA" + "".join(r.choices(B32, k=15)))),
     ["aws_access_key_id = {v}", "key {v} from the docs"]),
    ("STRIPE_TEST", lambda r: r.choice(("sk_test_", "pk_live_")) + "".join(r.choices(ALNUM, k=24)),
     ["STRIPE_KEY={v}", "the key {v} is fine to share"]),
    ("GITHUB_BAD_CHECKSUM", _neg_gh, ["GITHUB_TOKEN={v}"]),
    ("OID", lambda r: "1.3.6.1.%d.%d" % (r.randint(1, 9), r.randint(1, 9)),
     ["The OID {v} names the vendor.", "See arc {v} in the MIB."]),
]

NEG = [(t, g, [x + " (ok)." if x.endswith("{v}") else x for x in tp]) for t, g, tp in NEG]

# ----------------------------------------------------------------------------
# the wide customer table (--shape wide): short values, the cost per value

WIDE_COLUMNS = ("customer_id", "first_name", "last_name", "city", "country", "postcode",
                "signup_date", "last_order", "orders", "total_spent", "currency", "plan",
                "status", "newsletter", "vip", "segment", "channel", "rating", "contact",
                "note")
WIDE_CITIES = ("London", "Paris", "Berlin", "Madrid", "Rome", "Lisbon", "Dublin", "Vienna",
               "Warsaw", "Prague", "Oslo", "Tokyo", "Osaka", "Austin", "Boston", "Denver",
               "Seattle", "Toronto", "Lagos", "Nairobi", "São Paulo", "Zürich", "Kraków")
WIDE_COUNTRIES = ("GB", "FR", "DE", "ES", "IT", "PT", "IE", "AT", "PL", "CZ", "NO", "JP",
                  "US", "CA", "NG", "KE", "BR", "CH")
WIDE_POSTCODES = ("SW1A 1AA", "EC1A 1BB", "75008", "10115", "28013", "00184", "D02 X285",
                  "1010", "00-001", "110 00", "0150", "100-0001", "M5V 2T6")
WIDE_CONTACT = ("", "", "", "email", "sms", "post", "none", "do not call")
WIDE_NOTES = ("", "", "", "", "prefers morning delivery", "asked about invoice",
              "address change pending", "VIP since 2019", "refund issued", "gift order",
              "churn risk, call back", "moved to annual plan", "duplicate account?",
              "needs VAT receipt", "ok")
WIDE_PII_NOTES = {
    "CREDIT_CARD": ("card {v} on file", "paid with {v}", "{v}"),
    "US_SSN": ("SSN {v}", "ssn: {v} verified", "tax id {v}"),
}


# ----------------------------------------------------------------------------
# corpus


def _esc_json_u(s):
    return json.dumps(s, ensure_ascii=False)[1:-1]


def _esc_json_a(s):
    return json.dumps(s, ensure_ascii=True)[1:-1]


def _esc_csv(s):
    return s.replace('"', '""')


def _esc_txt(s):
    return s.replace("\n", " ")


class Gen:
    """Row generator. Sentences are escaped once for the output format, so a
    row is mostly a join of ready-made fragments (that is what makes it fast)."""

    def __init__(self, fmt, seed, pii_rate, neg_rate, labels, id_base=0):
        self.fmt, self.pii_rate, self.neg_rate = fmt, pii_rate, neg_rate
        self.id_base = id_base
        self.want_labels = labels
        self.r = Random(seed)
        self.rnd = self.r.random
        sents, _ = build_sentences()
        self.n = len(sents)
        cum = [0]
        for t in sents:
            cum.append(cum[-1] + len(t) + 1)
        self.cum = cum
        if fmt in ("jsonl", "json"):
            esc_u, esc_a = _esc_json_u, _esc_json_a
            self.nl = "\\n"            # a newline inside a JSON string
        elif fmt == "csv":
            esc_u = esc_a = _esc_csv
            self.nl = "\n"             # real newline inside a quoted CSV field
        else:
            esc_u = esc_a = _esc_txt
            self.nl = " "
        # [0] = UTF-8 pool, [1] = ASCII-only (\uXXXX) pool for ensure_ascii rows
        self.esc = (esc_u, esc_a)
        self.pools = ([esc_u(t) for t in sents], [esc_a(t) for t in sents])
        self.titles = ([esc_u(t[:60]) for t in sents], [esc_a(t[:60]) for t in sents])
        self.multi = ([(l, esc_u(t)) for l, t in MULTI], [(l, esc_a(t)) for l, t in MULTI])
        pr = Random(seed ^ 0x5EED)   # pool RNG, independent of the row stream
        self.urls = ["https://%s/%s/%s-%d%s" % (
            pr.choice(URL_HOSTS), pr.choice(WORDS), pr.choice(WORDS), pr.randint(1, 99999),
            pr.choice(("", "", ".html", "?page=%d" % pr.randint(2, 40), "#intro")))
            for _ in range(4096)]

    # -- text pieces ---------------------------------------------------------
    def _parts(self, target, a=0):
        """List of escaped sentence runs totalling >= target characters."""
        rnd, pool, cum, n = self.rnd, self.pools[a], self.cum, self.n
        parts, got, join = [], 0, " ".join
        # Runs of 1-6 consecutive sentences from random places, at least two
        # runs per text (so short rows are rarely exact duplicates), trimmed
        # so the text overshoots its target by at most ~300 characters.
        while got < target or len(parts) < 2:
            s = int(rnd() * n)
            e = s + 1 + int(rnd() * 6)
            if e > n:
                e = n
            room = target - got + 300
            while e > s + 1 and cum[e] - cum[s] > room:
                e -= 1
            parts.append(join(pool[s:e]))
            got += cum[e] - cum[s]
        if rnd() < 0.08:   # a few non-English / emoji / escape-heavy sentences
            multi = self.multi[a]
            for _ in range(1 + int(rnd() * 2)):
                parts.insert(int(rnd() * (len(parts) + 1)), multi[int(rnd() * len(multi))][1])
        return parts

    def _row_len(self):
        return 200 + int(2800 * self.rnd() ** 1.7)

    def _join(self, parts):
        x = self.rnd()
        if x < 0.7:
            return " ".join(parts)
        return (self.nl if x < 0.85 else self.nl * 2).join(parts)

    def _foreign(self, target, a):
        multi = self.multi[a]
        lang = multi[int(self.rnd() * len(multi))][0]
        pool = [t for l, t in multi if l == lang]
        parts, got = [], 0
        while got < target // 3:
            t = pool[int(self.rnd() * len(pool))]
            parts.append(t)
            got += len(t)
        return lang, parts

    def _plant(self, fields, row, labels, a=0):
        """Maybe insert PII / near misses into one of `fields` (name -> parts)."""
        rnd, r = self.rnd, self.r
        names = list(fields)
        if rnd() < self.pii_rate:
            k = 1 + (rnd() < 0.3) + (rnd() < 0.1)
            for _ in range(k):
                typ, gen, _, tpls = r.choices(PII, _PII_W)[0]
                v = gen(r)
                f = names[int(rnd() * len(names))]
                parts = fields[f]
                text = self.esc[a](tpls[int(rnd() * len(tpls))].format(v=v))
                esc = False
                if self.fmt in ("jsonl", "json") and typ in ("EMAIL", "AWS_ACCESS_KEY_ID") \
                        and rnd() < 0.05 and v.isascii():
                    # the value written with a JSON escape (\u0040 / \u0041KIA):
                    # a scanner must match the decoded text
                    esc = True
                    text = text.replace(v, v.replace("@", "\\u0040") if "@" in v
                                        else "\\u0041" + v[1:])
                parts.insert(int(rnd() * (len(parts) + 1)), text)
                if labels is not None:
                    d = {"row": row, "field": f, "type": typ, "value": v, "expected": True}
                    if esc:
                        d["escaped"] = True
                    labels.append(d)
        if rnd() < self.neg_rate:
            typ, gen, tpls = NEG[int(rnd() * len(NEG))]
            v = gen(r)
            f = names[int(rnd() * len(names))]
            parts = fields[f]
            parts.insert(int(rnd() * (len(parts) + 1)),
                         self.esc[a](tpls[int(rnd() * len(tpls))].format(v=v)))
            if labels is not None:
                labels.append({"row": row, "field": f, "type": "NEAR_MISS:" + typ,
                               "value": v, "expected": False})

    # -- rows ----------------------------------------------------------------
    def _meta(self, lang):
        return {"lang": lang, "url": self.urls[int(self.rnd() * 4096)]}

    def row_json(self, i, labels):
        """One JSON object. Prose values are placeholders "@@k@@" in a small
        skeleton that json.dumps encodes; the pre-escaped prose is spliced in."""
        rnd = self.rnd
        rid = self.id_base + i               # the row's `id`
        a = 1 if rnd() < 0.1 else 0          # ensure_ascii-style row
        texts = []

        def ph(s):
            texts.append(s)
            return "@@%d@@" % (len(texts) - 1)

        x = rnd()
        if x < 0.55:                                   # plain text row
            lang = "en"
            if rnd() < 0.02:
                lang, parts = self._foreign(self._row_len(), a)
            else:
                parts = self._parts(self._row_len(), a)
            self._plant({"text": parts}, i, labels, a)
            y = rnd()
            src = "web" if (y < 0.1 or lang != "en") else ("pydoc" if y < 0.6 else "license")
            obj = {"id": rid, "text": ph(self._join(parts)), "meta": self._meta(lang),
                   "source": src, "consent": rnd() < 0.93}
        elif x < 0.75:                                 # chat row
            msgs, fields = [], {}
            if rnd() < 0.25:
                msgs.append({"role": "system", "content": "You are a helpful assistant."})
            for _ in range(1 + (rnd() < 0.35) + (rnd() < 0.1)):
                for role, lo, hi in (("user", 40, 500), ("assistant", 150, 1500)):
                    parts = self._parts(lo + int(rnd() * (hi - lo)), a)
                    fields["messages[%d].content" % len(msgs)] = parts
                    msgs.append({"role": role, "content": parts})
            self._plant(fields, i, labels, a)
            for m in msgs:
                if isinstance(m["content"], list):
                    m["content"] = ph(self._join(m["content"]))
            obj = {"id": rid, "messages": msgs, "source": "synthetic-chat", "consent": True}
            if rnd() < 0.5:
                obj["meta"] = {"lang": "en", "turns": len(msgs)}
        elif x < 0.85:                                 # instruction row
            fields = {"instruction": self._parts(60 + int(rnd() * 300), a),
                      "output": self._parts(self._row_len(), a)}
            has_input = rnd() < 0.4
            if has_input:
                fields["input"] = self._parts(40 + int(rnd() * 400), a)
            self._plant(fields, i, labels, a)
            obj = {"id": rid, "instruction": ph(self._join(fields["instruction"])),
                   "input": ph(self._join(fields["input"])) if has_input else "",
                   "output": ph(self._join(fields["output"])),
                   "source": "license" if rnd() < 0.5 else "pydoc"}
        else:                                          # heterogeneous shapes
            parts = self._parts(self._row_len(), a)
            v = int(rnd() * 8)
            field = "body" if v == 4 else "text"
            self._plant({field: parts}, i, labels, a)
            text = ph(self._join(parts))
            if v == 0:
                obj = {"id": "doc-%07d" % rid, "text": text, "meta": self._meta("en")}
            elif v == 1:
                obj = {"text": text, "id": rid, "consent": ("yes", "no", 1, 0, None, "true")[int(rnd() * 6)]}
            elif v == 2:
                obj = {"id": rid, "text": text, "meta": None, "source": "web", "consent": True}
            elif v == 3:
                m = self._meta("en")
                m["crawl"] = {"ts": 1_600_000_000 + int(rnd() * 150_000_000), "ok": True, "status": 200}
                m["license"] = ("CC-BY-4.0", "GPL-3.0", "MIT", None)[int(rnd() * 4)]
                obj = {"id": rid, "meta": m, "text": text, "source": "web", "consent": True,
                       "tags": ["docs", "python"] if rnd() < .5 else [], "score": round(rnd(), 4)}
            elif v == 4:
                title = ph(self.titles[a][int(rnd() * self.n)])
                obj = {"id": float(rid) if rnd() < .5 else rid, "title": title, "body": text,
                       "consent": "true"}
            elif v == 5:
                obj = {"id": rid, "text": text, "meta": {"lang": "en", "url": None}, "consent": False}
            elif v == 6:
                obj = {"id": rid, "text": text, "extra": {"a": [1, 2.5, True, None, {"b": "c"}]},
                       "source": "pydoc", "consent": True}
            else:
                obj = {"id": rid, "text": text, "source": "license"}
            if rnd() < 0.002:    # rare: text of another type, nothing planted
                del texts[:]
                other = (None, 12345, ["a", "list"], {"nested": ph(self.pools[a][int(rnd() * self.n)])})
                obj = {"id": rid, "text": other[int(rnd() * 4)], "consent": True}
                if labels is not None:
                    labels[:] = [d for d in labels if d["row"] != i]
        line = json.dumps(obj, separators=(", ", ": ") if rnd() < 0.7 else (",", ":"))
        for k, t in enumerate(texts):
            line = line.replace('"@@%d@@"' % k, '"' + t + '"', 1)
        return line

    def row_csv(self, i, labels):
        rnd = self.rnd
        parts = self._parts(self._row_len())
        self._plant({"text": parts}, i, labels)
        c = rnd()
        consent = "true" if c < 0.9 else ("false" if c < 0.95 else "")
        src = "pydoc" if rnd() < 0.6 else "license"
        return '%d,"%s",%s,en,%s,%s' % (i, self._join(parts), src,
                                       self.urls[int(rnd() * 4096)], consent)

    def row_txt(self, i, labels):
        if self.rnd() < 0.05:
            return ""
        parts = self._parts(self._row_len())
        self._plant({"line": parts}, i, labels)
        return " ".join(parts)

    # -- wide table ----------------------------------------------------------
    def row_wide(self, i, labels):
        """One row of a 20-column customer table of short values (see
        WIDE_COLUMNS); about `pii_rate` of the rows hold an e-mail or phone
        in `contact`, or a card or SSN in `note`."""
        rnd, r = self.rnd, self.r
        pick = lambda seq: seq[int(rnd() * len(seq))]
        y, mo, d = 2015 + int(rnd() * 10), 1 + int(rnd() * 12), 1 + int(rnd() * 28)
        contact = pick(WIDE_CONTACT)
        note = pick(WIDE_NOTES)
        if rnd() < self.pii_rate:
            typ = pick(("EMAIL", "EMAIL", "PHONE", "PHONE", "CREDIT_CARD", "US_SSN"))
            if typ in ("EMAIL", "PHONE"):
                v = contact = (gen_email if typ == "EMAIL" else gen_phone)(r)
                field = "contact"
            else:
                v = (gen_card if typ == "CREDIT_CARD" else gen_ssn)(r)
                note = pick(WIDE_PII_NOTES[typ]).format(v=v)
                field = "note"
            if labels is not None:
                labels.append({"row": i, "field": field, "type": typ, "value": v,
                               "expected": True})
        cells = (
            str(1_000_000 + i),                                   # customer_id
            pick(FIRST).capitalize(), pick(LAST).capitalize(),
            pick(WIDE_CITIES), pick(WIDE_COUNTRIES),
            "%05d" % int(rnd() * 100000) if rnd() < 0.5 else pick(WIDE_POSTCODES),
            "%04d-%02d-%02d" % (y, mo, d),                        # signup_date
            "%04d-%02d-%02d %02d:%02d" % (2024, 1 + int(rnd() * 12), 1 + int(rnd() * 28),
                                          int(rnd() * 24), int(rnd() * 60)),
            str(int(rnd() * 60)),                                 # orders
            "%.2f" % (rnd() * 5000),                              # total_spent
            pick(("EUR", "USD", "GBP", "JPY")),
            pick(("free", "pro", "team", "enterprise")),
            pick(("active", "churned", "trial", "paused")),
            "true" if rnd() < 0.4 else "false",                   # newsletter
            "Y" if rnd() < 0.1 else "N",                          # vip
            pick(("smb", "mid-market", "enterprise", "consumer")),
            pick(("web", "app", "store", "partner", "phone")),
            str(1 + int(rnd() * 5)),                              # rating
            contact, note,
        )
        return ",".join('"%s"' % _esc_csv(c) if ("," in c or '"' in c) else c
                        for c in cells)

    # -- driver --------------------------------------------------------------
    def write(self, out, target_bytes, labels_out):
        """Write rows until target_bytes is reached; returns (bytes, rows)."""
        fmt = self.fmt
        row_fn = {"jsonl": self.row_json, "json": self.row_json,
                  "csv": self.row_csv, "txt": self.row_txt, "wide": self.row_wide}[fmt]
        head = {"csv": "id,text,source,lang,url,consent\n", "json": "[\n",
                "wide": ",".join(WIDE_COLUMNS) + "\n"}.get(fmt, "")
        hb = head.encode()
        out.write(hb)
        total, i = len(hb), 0
        want = self.want_labels
        while total < target_bytes:
            labels = [] if want else None
            rows = [row_fn(j, labels) for j in range(i, i + BLOCK_ROWS)]
            if fmt == "json":   # array elements: ",\n" before all but the first
                blob_s = ",\n".join(rows)
                if i:
                    blob_s = ",\n" + blob_s
            else:
                blob_s = "\n".join(rows) + "\n"
            blob = blob_s.encode()
            n_rows = BLOCK_ROWS
            if total + len(blob) > target_bytes:   # last block: stop at the first row end past target
                pieces, acc = [], total
                for k, row in enumerate(rows):
                    if fmt == "json":
                        b = ((",\n" if i + k else "") + row).encode()
                    else:
                        b = (row + "\n").encode()
                    pieces.append(b)
                    acc += len(b)
                    if acc >= target_bytes:
                        break
                blob, n_rows = b"".join(pieces), len(pieces)
                if labels is not None:
                    labels = [d for d in labels if d["row"] < i + n_rows]
            out.write(blob)
            total += len(blob)
            i += n_rows
            if labels and labels_out is not None:
                labels_out.write("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in labels))
        if fmt == "json":
            out.write(b"\n]\n")
            total += 3
        return total, i


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=float, required=True,
                    help="target size in MB (10^6 bytes); output ends at the first row end past it")
    ap.add_argument("--format", choices=("jsonl", "csv", "txt", "json"), default="jsonl")
    ap.add_argument("--shape", choices=("prose", "wide"), default="prose",
                    help="prose rows (default) or a 20-column customer table of short "
                         "values (CSV only)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--pii-rate", type=float, default=0.02,
                    help="fraction of rows carrying planted PII/secrets (default 0.02)")
    ap.add_argument("--near-miss-rate", type=float, default=0.02,
                    help="fraction of rows carrying look-alikes that are not PII (default 0.02)")
    ap.add_argument("--labels", action="store_true", help="also write OUT.labels.jsonl")
    ap.add_argument("--id-base", type=int, default=0,
                    help="JSON rows' `id` is this plus the row index (1000000: every row "
                         "carries a 7-digit integer id, which scour scans as a value)")
    ap.add_argument("out", metavar="OUT")
    a = ap.parse_args(argv)
    if a.size_mb <= 0:
        ap.error("--size-mb must be positive")
    if a.shape == "wide" and a.format != "csv":
        ap.error("--shape wide is CSV only (bench.sh converts it to Parquet)")
    g = Gen("wide" if a.shape == "wide" else a.format, a.seed, a.pii_rate,
            a.near_miss_rate, a.labels, a.id_base)
    labels_f = open(a.out + ".labels.jsonl", "w", encoding="utf-8") if a.labels else None
    try:
        with open(a.out, "wb", buffering=0) as f:
            g.write(f, int(a.size_mb * MB), labels_f)
    finally:
        if labels_f:
            labels_f.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
