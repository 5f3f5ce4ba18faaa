#!/usr/bin/env python3
"""Score scour's findings against the labels written by gen_labelled.py.

    accuracy.py FINDINGS.jsonl LABELS.jsonl [--implemented ID ...]
                [--rules-json RULES.json] [--corpus CORPUS.jsonl]
                [--examples 5] [--json SUMMARY.json]

FINDINGS.jsonl is what `scour scan ... --findings F --findings-values` writes:
one {"row", "field", "detector", "start", "end", "value", ...} per finding.
LABELS.jsonl is gen_labelled.py's OUT.labels.jsonl: one {"row", "field",
"type", "value", "expected", "start", "end", "note", ["also"],
["unspecified"]} per planted value.

Matching rule
-------------
A finding and a label match when they are in the same row and field and
  * exact:   the values are equal after removing spaces, dashes and dots and
             ignoring case (separator-tolerant types: cards, IBAN, SSN, NHS,
             Aadhaar, ...), or
  * partial: their byte spans overlap (labels without spans: one value
             contains the other). A partial match counts as found, but is
             listed apart ("part") because the reported span differs from the
             planted value (a boundary difference the owner may want to see).

Per detector id T:
  TP     positive labels of type T matched by a finding of type T
  alt    positive labels of type T matched only by a finding of a type in the
         label's `also` list (the rules allow both ids on that value, e.g. a
         UnionPay card reported as CN_BANK_CARD, `token: ghp_...` reported as
         GENERIC_SECRET); counted as found, shown apart
  FN     positive labels of type T not matched by T or an `also` type
  lost   the part of FN whose value *was* reported, under another id (an
         overlap-resolution loss rather than a detection miss; details say
         which id took it)
  FP     negative labels of type T (near misses planted for T) matched by a
         finding of type T
  cross  findings of type T matching a label planted for another type that
         does not list T in `also` (often legitimate: check.py's PHONE also
         fires on a spaced NHS number; shown with examples to judge)
  unlab  findings of type T matching no label (the prose may hold genuine
         values, e.g. version numbers that look like addresses)
  recall     (TP + alt) / positives
  precision  TP / (TP + FP)                       strict: planted near misses
  prec_all   TP / (TP + FP + cross + unlab)       every finding of T counted
Labels marked "unspecified" (cases the conformance README leaves open) are
not scored; how many were found is printed below the table.

Target: >= 99.5 % recall and precision for checksum-validated ids, >= 98 %
for context/format-only ids. PASS/FAIL is printed for each implemented id;
ids the binary does not implement (--implemented / --rules-json) are listed
as "not implemented". Exit 0 whatever the scores (this is a report); exit 2
when an input is missing or unreadable.
"""

import argparse
import json
import re
import sys
from collections import Counter, defaultdict

# ids whose rule includes a check digit / checksum (README "rule" column)
CHECKSUM = {
    "CREDIT_CARD", "IBAN", "DE_ID_CARD", "DE_TAX_ID", "FR_NIR", "TR_NATIONAL_ID", "UK_NHS",
    "ES_DNI", "ES_NIE", "IT_CODICE_FISCALE", "NL_BSN", "PL_PESEL", "IN_AADHAAR",
    "CN_RESIDENT_ID", "CN_BANK_CARD", "CN_USCC", "GITHUB_TOKEN", "NPM_TOKEN",
}
TARGET = {True: 99.5, False: 98.0}

ORDER = [
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


def norm(v):
    return re.sub(r"[\s\-.]", "", v).lower()


def load_jsonl(path, what):
    out = []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    out.append(json.loads(line))
                except ValueError as e:
                    sys.stderr.write("%s:%d: bad JSON (%s), skipped\n" % (path, n, e))
    except OSError as e:
        sys.stderr.write("accuracy.py: cannot read %s %s: %s\n" % (what, path, e))
        sys.exit(2)
    return out


def match_kind(f, lab):
    """'exact', 'partial' or None."""
    fv, lv = f.get("value"), lab["value"]
    if fv is not None and (fv == lv or norm(fv) == norm(lv)):
        return "exact"
    if "start" in lab and f.get("start") is not None:
        if f["start"] < lab["end"] and lab["start"] < f["end"]:
            return "partial"
        return None
    if fv is not None and (fv in lv or lv in fv or norm(fv) in norm(lv) or norm(lv) in norm(fv)):
        return "partial"
    return None


def variant(note):
    """A label note without the context distance, for grouping misses."""
    return re.sub(r" d=\d+", "", note or "")


def dist_bucket(note):
    m = re.search(r" d=(\d+)", note or "")
    if not m:
        return None
    d = int(m.group(1))
    return "d<=20" if d <= 20 else ("d21-40" if d <= 40 else "d>40")


def pct(a, b):
    return 100.0 * a / b if b else None


def fmt_pct(x):
    return "     -" if x is None else "%6.2f" % x


def short(v, n=70):
    v = v.replace("\n", "\\n")
    return v if len(v) <= n else v[:n - 3] + "..."


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__[__doc__.index("Matching rule"):])
    ap.add_argument("findings", help="scour --findings output (with --findings-values)")
    ap.add_argument("labels", help="gen_labelled.py OUT.labels.jsonl")
    ap.add_argument("--implemented", nargs="*", default=None, metavar="ID",
                    help="detector ids the binary implements (default: every id with findings or labels)")
    ap.add_argument("--rules-json", help="output of `scour rules --format json` (sets --implemented)")
    ap.add_argument("--corpus", help="the scanned JSONL, to print text around examples")
    ap.add_argument("--examples", type=int, default=5, help="examples per category (default 5)")
    ap.add_argument("--json", dest="json_out", help="also write the per-id numbers as JSON")
    a = ap.parse_args(argv)

    labels = load_jsonl(a.labels, "labels")
    findings = load_jsonl(a.findings, "findings")
    implemented = None
    if a.rules_json:
        try:
            with open(a.rules_json, encoding="utf-8") as f:
                rules = json.load(f)
            implemented = {d["id"] for d in rules}
        except (OSError, ValueError, KeyError, TypeError) as e:
            sys.stderr.write("accuracy.py: cannot read rules %s: %s\n" % (a.rules_json, e))
            sys.exit(2)
    if a.implemented is not None:
        implemented = (implemented or set()) | set(a.implemented)
    if findings and all(f.get("value") is None for f in findings[:100]):
        sys.stderr.write("accuracy.py: findings carry no values; run scour with --findings-values "
                         "(matching falls back to spans)\n")

    texts = {}
    if a.corpus:
        for n, line in enumerate(open(a.corpus, encoding="utf-8")):
            try:
                texts[n] = json.loads(line).get("text")
            except ValueError:
                pass

    by_row = defaultdict(list)
    for lab in labels:
        by_row[(lab["row"], lab.get("field", "text"))].append(lab)
    hits = defaultdict(list)          # id(label) -> [(finding, kind)]
    lab_by_id = {id(lab): lab for lab in labels}
    unlab = Counter()
    unlab_ex = defaultdict(list)
    cross = Counter()
    cross_ex = defaultdict(list)
    nfind = Counter()
    for f in findings:
        det = f.get("detector")
        nfind[det] += 1
        matched = False
        for lab in by_row.get((f.get("row"), f.get("field")), ()):
            k = match_kind(f, lab)
            if k is None:
                continue
            matched = True
            hits[id(lab)].append((f, k))
            if det != lab["type"] and det not in lab.get("also", ()):
                cross[det] += 1
                cross_ex[det].append((f, lab))
        if not matched:
            unlab[det] += 1
            unlab_ex[det].append(f)

    types = [t for t in ORDER if any(lab["type"] == t for lab in labels) or nfind[t]]
    types += sorted(({lab["type"] for lab in labels} | set(nfind)) - set(types) - {None})
    types = list(dict.fromkeys(types))
    S = {t: Counter() for t in types}
    ex = {t: defaultdict(list) for t in types}
    fn_variants = {t: Counter() for t in types}
    all_variants = {t: Counter() for t in types}
    fn_dist = {t: Counter() for t in types}
    all_dist = {t: Counter() for t in types}
    for lab in labels:
        t = lab["type"]
        hs = hits.get(id(lab), [])
        same = [k for f, k in hs if f.get("detector") == t]
        alts = [f for f, k in hs if f.get("detector") in lab.get("also", ())]
        others = sorted({f.get("detector") for f, k in hs if f.get("detector") != t})
        if lab.get("unspecified"):
            S[t]["unspec"] += 1
            S[t]["unspec_found"] += bool(same or alts)
            continue
        if lab["expected"]:
            S[t]["pos"] += 1
            all_variants[t][variant(lab.get("note"))] += 1
            b = dist_bucket(lab.get("note"))
            if b:
                all_dist[t][b] += 1
            if same:
                S[t]["tp"] += 1
                if "exact" not in same:
                    S[t]["part"] += 1
                    f = next(f for f, k in hs if f.get("detector") == t)
                    ex[t]["part"].append((lab, f))
            elif alts:
                S[t]["alt"] += 1
            else:
                S[t]["fn"] += 1
                S[t]["lost"] += bool(others)
                fn_variants[t][variant(lab.get("note"))] += 1
                if b:
                    fn_dist[t][b] += 1
                ex[t]["fn"].append((lab, others))
        else:
            S[t]["neg"] += 1
            if same:
                S[t]["fp"] += 1
                f = next(f for f, k in hs if f.get("detector") == t)
                ex[t]["fp"].append((lab, f))
    for t in types:
        S[t]["cross"] = cross[t]
        S[t]["unlab"] = unlab[t]
        S[t]["findings"] = nfind[t]

    # ---- table ----------------------------------------------------------------
    head = ("%-22s %-5s %5s %5s %4s %4s %4s %4s %7s %5s %4s %7s %5s %5s %7s  %s" % (
        "detector", "class", "pos", "TP", "alt", "part", "FN", "lost", "recall", "neg", "FP", "prec",
        "cross", "unlab", "prec_all", "result"))
    print(head)
    print("-" * len(head))
    results = {}
    tot = Counter()
    for t in types:
        s = S[t]
        chk = t in CHECKSUM
        target = TARGET[chk]
        impl = implemented is None or t in implemented
        rec = pct(s["tp"] + s["alt"], s["pos"])
        prec = pct(s["tp"], s["tp"] + s["fp"])
        prec_all = pct(s["tp"], s["tp"] + s["fp"] + s["cross"] + s["unlab"])
        if not impl:
            res = "not implemented"
            rec = prec = prec_all = None     # alt credit would come from other ids only
        elif s["pos"] == 0:
            res = "no labels"
        else:
            why = []
            if rec is not None and rec < target:
                why.append("recall")
            if prec is not None and prec < target:
                why.append("precision")
            res = "PASS" if not why else "FAIL (%s < %.1f%%)" % (" and ".join(why), target)
        results[t] = res
        if impl:
            for k in ("pos", "tp", "alt", "part", "fn", "lost", "neg", "fp", "cross", "unlab"):
                tot[k] += s[k]
        print("%-22s %-5s %5d %5d %4d %4d %4d %4d %7s %5d %4d %7s %5d %5d %7s  %s" % (
            t, "chk" if chk else "ctx", s["pos"], s["tp"], s["alt"], s["part"], s["fn"], s["lost"], fmt_pct(rec),
            s["neg"], s["fp"], fmt_pct(prec), s["cross"], s["unlab"], fmt_pct(prec_all), res))
    print("-" * len(head))
    print("%-22s %-5s %5d %5d %4d %4d %4d %4d %7s %5d %4d %7s %5d %5d %7s" % (
        "implemented, total", "", tot["pos"], tot["tp"], tot["alt"], tot["part"], tot["fn"], tot["lost"],
        fmt_pct(pct(tot["tp"] + tot["alt"], tot["pos"])), tot["neg"], tot["fp"],
        fmt_pct(pct(tot["tp"], tot["tp"] + tot["fp"])), tot["cross"], tot["unlab"],
        fmt_pct(pct(tot["tp"], tot["tp"] + tot["fp"] + tot["cross"] + tot["unlab"]))))
    print("class: chk = checksum-validated (target %.1f %%), ctx = context/format only (target %.1f %%)"
          % (TARGET[True], TARGET[False]))
    passed = [t for t in types if results[t] == "PASS"]
    failed = [t for t in types if results[t].startswith("FAIL")]
    notimpl = [t for t in types if results[t] == "not implemented"]
    print("\nsummary: %d PASS, %d FAIL, %d not implemented (of %d ids with labels)" % (
        len(passed), len(failed), len(notimpl), len(types)))
    if failed:
        print("  FAIL: " + ", ".join(failed))
    if notimpl:
        print("  not implemented: " + ", ".join(notimpl))
    extra = sorted(set(implemented or ()) - set(types))
    if extra:
        print("  implemented but no labels: " + ", ".join(extra))
    unspec = [(t, S[t]["unspec_found"], S[t]["unspec"]) for t in types if S[t]["unspec"]]
    for t, f, n in unspec:
        print("  unspecified cases (not scored): %s %d/%d found" % (t, f, n))
    print("  findings: %d total, %d matched no label (unlab), %d on another type's label (cross)"
          % (len(findings), sum(unlab.values()), sum(cross.values())))

    # ---- details ----------------------------------------------------------------
    N = a.examples

    def ctx(row, fl):
        t = texts.get(row)
        if not t or fl is None:
            return ""
        b = t.encode("utf-8")
        s, e = fl.get("start"), fl.get("end")
        if s is None:
            return ""
        pre = b[max(0, s - 40):s].decode("utf-8", "replace")
        post = b[e:e + 40].decode("utf-8", "replace")
        return "   …%s[[%s]]%s…" % (short(pre, 40), short(b[s:e].decode("utf-8", "replace"), 60), short(post, 40))

    print("\n==== details (implemented ids; up to %d examples each) ====" % N)
    for t in types:
        if results[t] == "not implemented":
            continue
        s = S[t]
        lines = []
        if s["fn"]:
            lines.append("  FN %d/%d; misses by variant (missed/planted):" % (s["fn"], s["pos"]))
            for v, n in fn_variants[t].most_common():
                lines.append("      %4d/%-4d %s" % (n, all_variants[t][v], v))
            if fn_dist[t]:
                lines.append("      by context distance: " + ", ".join(
                    "%s %d/%d" % (b, fn_dist[t][b], all_dist[t][b]) for b in ("d<=20", "d21-40", "d>40")
                    if all_dist[t][b]))
            for lab, others in ex[t]["fn"][:N]:
                lines.append("    miss row %d %r  [%s]%s" % (
                    lab["row"], short(lab["value"]), lab.get("note", ""),
                    ("  reported as " + ",".join(others)) if others else ""))
                c = ctx(lab["row"], lab)
                if c:
                    lines.append("      " + c)
        if s["fp"]:
            fpv = Counter(variant(lab.get("note")) for lab, f in ex[t]["fp"])
            lines.append("  FP %d/%d near misses reported; by variant: %s" % (
                s["fp"], s["neg"], ", ".join("%s %d" % kv for kv in fpv.most_common())))
            for lab, f in ex[t]["fp"][:N]:
                lines.append("    FP row %d %r  [%s]  reported %r" % (
                    lab["row"], short(lab["value"]), lab.get("note", ""), short(f.get("value") or "")))
                c = ctx(lab["row"], f)
                if c:
                    lines.append("      " + c)
        if s["part"]:
            lines.append("  partial (span differs from the planted value): %d" % s["part"])
            for lab, f in ex[t]["part"][:N]:
                lines.append("    row %d planted %r  reported %r  [%s]" % (
                    lab["row"], short(lab["value"], 50), short(f.get("value") or "", 50), lab.get("note", "")))
        if s["cross"]:
            cv = Counter((lab["type"], lab["expected"]) for f, lab in cross_ex[t])
            lines.append("  cross %d (on values planted for: %s)" % (s["cross"], ", ".join(
                "%s%s %d" % (ty, "" if e else "(neg)", n) for (ty, e), n in cv.most_common())))
            shown = Counter()
            for f, lab in cross_ex[t]:
                key = (lab["type"], lab["expected"])
                if shown[key] >= max(1, N // 2):
                    continue
                shown[key] += 1
                lines.append("    row %d reported %r on %s %s %r [%s]" % (
                    f.get("row"), short(f.get("value") or ""), lab["type"],
                    "positive" if lab["expected"] else "near-miss", short(lab["value"], 50), lab.get("note", "")))
        if s["unlab"]:
            uv = Counter(f.get("value") for f in unlab_ex[t])
            lines.append("  unlabelled %d (%d distinct values); most common:" % (s["unlab"], len(uv)))
            for v, n in uv.most_common(N):
                f = next(f for f in unlab_ex[t] if f.get("value") == v)
                lines.append("    %4dx %r (e.g. row %s field %s)%s" % (
                    n, short(v or ""), f.get("row"), f.get("field"), ctx(f.get("row"), f)))
        if lines:
            print("\n%s  [%s]" % (t, results[t]))
            print("\n".join(lines))

    if a.json_out:
        out = {t: dict(S[t], result=results[t], checksum=t in CHECKSUM,
                       recall=pct(S[t]["tp"] + S[t]["alt"], S[t]["pos"]),
                       precision=pct(S[t]["tp"], S[t]["tp"] + S[t]["fp"]),
                       precision_all=pct(S[t]["tp"], S[t]["tp"] + S[t]["fp"] + S[t]["cross"] + S[t]["unlab"]))
               for t in types}
        with open(a.json_out, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
