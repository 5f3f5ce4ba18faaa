#!/usr/bin/env bash
# Detector accuracy benchmark: labelled corpus -> scour scan -> per-id table.
#
#   scripts/accuracy.sh [ROWS] [SEED]        (defaults: 100000 rows, seed 7)
#
# 1. builds scour (cargo build --release) unless SCOUR_BIN is set;
# 2. generates bench-data/labelled-<ROWS>-s<SEED>.jsonl and its .labels.jsonl
#    with scripts/gen_labelled.py (reused while the generator is unchanged);
# 3. runs `scour rules --format json` (the ids this binary implements) and
#    `scour scan FILE --quiet --output REPORT --findings F --findings-values`
#    (exit 1 is normal: the gates fail on a corpus full of PII);
# 4. prints scripts/accuracy.py's per-detector table, misses and false
#    positives. Outputs stay in bench-data/accuracy-<ROWS>-s<SEED>/.
#
# Environment:
#   SCOUR_BIN=/path/to/binary  score this binary; skips cargo build
#   BENCH_DATA=/dir            where corpora and outputs live (default <repo>/bench-data)
#   CARGO_TARGET_DIR           honoured when locating target/release/scour. Caution:
#                              in a target dir shared by several checkouts of this
#                              crate, cargo hashes the units identically and may call
#                              the build "fresh" from another checkout's sources,
#                              leaving that checkout's binary; the script copies the
#                              binary at once and refuses one without
#                              --findings-values, but prefer a per-checkout target
#                              dir or SCOUR_BIN for scores you quote
#   EXAMPLES=N                 examples per category in the details (default 5)
#   VERIFY=1                   also re-check every label with shared/conformance/check.py
#                              (needs python-stdnum and phonenumbers)
# Exit status: 0 report printed (whatever the scores); 1 scour exited 2 or
# crashed; 2 usage or setup error.

set -uo pipefail

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "accuracy.sh: $*" >&2; exit 2; }
log() { echo ">> $*" >&2; }

case "${1:-}" in -h|--help) usage ;; esac
[ $# -le 2 ] || usage
ROWS=${1:-100000}
SEED=${2:-7}
[[ $ROWS =~ ^[1-9][0-9]*$ ]] || die "ROWS must be a positive integer, got '$ROWS'"
[[ $SEED =~ ^[0-9]+$ ]] || die "SEED must be a non-negative integer, got '$SEED'"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
DATA=${BENCH_DATA:-$ROOT/bench-data}
command -v python3 >/dev/null || die "python3 is required"

# ---------------------------------------------------------------- build
if [ -n "${SCOUR_BIN:-}" ]; then
  BIN=$(command -v -- "$SCOUR_BIN") || die "SCOUR_BIN=$SCOUR_BIN is not executable"
  log "SCOUR_BIN set: scoring $BIN (no cargo build)"
else
  command -v cargo >/dev/null || die "cargo not found (or set SCOUR_BIN)"
  log "cargo build --release in $ROOT"
  (cd "$ROOT" && cargo build --release --quiet) || die "cargo build --release failed"
  BUILT=${CARGO_TARGET_DIR:-$ROOT/target}/release/scour
  [ -x "$BUILT" ] || die "built binary not found at $BUILT"
  # snapshot it at once: a CARGO_TARGET_DIR shared with other checkouts may
  # get another branch's binary written over it during the run
  mkdir -p "$DATA" || die "cannot create $DATA"
  BIN=$DATA/scour-accuracy.$$
  cp "$BUILT" "$BIN" || die "cannot copy $BUILT"
  trap 'rm -f "$BIN"' EXIT
fi
"$BIN" scan --help 2>/dev/null | grep -q -- '--findings-values' \
  || die "$BIN has no \`scan --findings-values\` (an older build? with a shared CARGO_TARGET_DIR another checkout may have replaced it; rerun or set SCOUR_BIN)"

# ---------------------------------------------------------------- corpus
mkdir -p "$DATA" || die "cannot create $DATA"
BASE=$DATA/labelled-${ROWS}-s${SEED}
FILE=$BASE.jsonl
LABELS=$BASE.labels.jsonl
GEN=$SCRIPT_DIR/gen_labelled.py
STAMP="rows=$ROWS seed=$SEED gen=$(cat "$GEN" "$SCRIPT_DIR/gen_corpus.py" | sha256sum | cut -c1-16) $(python3 -V 2>&1)"
if [ -f "$FILE" ] && [ -f "$LABELS" ] && [ "$(cat "$FILE.stamp" 2>/dev/null)" = "$STAMP" ] \
   && [ "${VERIFY:-0}" = 0 ]; then
  log "reusing $FILE"
else
  log "generating $FILE ($ROWS rows, seed $SEED)"
  rm -f "$FILE" "$LABELS" "$FILE.stamp"
  VFLAG=()
  [ "${VERIFY:-0}" = 0 ] || VFLAG=(--verify)
  python3 "$GEN" --rows "$ROWS" --seed "$SEED" "${VFLAG[@]}" "$BASE.tmp.jsonl" >&2
  grc=$?
  if { [ $grc -ne 0 ] && [ $grc -ne 3 ]; } || [ ! -s "$BASE.tmp.jsonl" ]; then
    rm -f "$BASE.tmp.jsonl" "$BASE.tmp.labels.jsonl"; die "gen_labelled.py failed"
  fi
  [ $grc -eq 0 ] || log "gen_labelled.py --verify: some labels disagree with check.py (see above)"
  mv "$BASE.tmp.jsonl" "$FILE" && mv "$BASE.tmp.labels.jsonl" "$LABELS" && echo "$STAMP" >"$FILE.stamp"
fi

# ---------------------------------------------------------------- scan
OUT=$DATA/accuracy-${ROWS}-s${SEED}
mkdir -p "$OUT" || die "cannot create $OUT"
"$BIN" rules --format json >"$OUT/rules.json" 2>"$OUT/rules.err" \
  || die "\`$BIN rules --format json\` failed: $(head -c 300 "$OUT/rules.err")"
log "binary: $BIN ($("$BIN" --version 2>/dev/null))"
log "scour implements $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$OUT/rules.json") detector ids"
log "scanning $FILE"
t0=$(date +%s%N)
"$BIN" scan "$FILE" --quiet --output "$OUT/report.json" \
  --findings "$OUT/findings.jsonl" --findings-values 2>"$OUT/scan.err"
rc=$?
t1=$(date +%s%N)
case $rc in
  0|1) log "scan done in $(awk -v ns=$((t1 - t0)) 'BEGIN{printf "%.1f", ns/1e9}') s (exit $rc; 1 = a gate failed, expected here)" ;;
  *) echo "accuracy.sh: scour scan exited $rc:" >&2; head -c 2000 "$OUT/scan.err" >&2; exit 1 ;;
esac
[ -f "$OUT/findings.jsonl" ] || { echo "accuracy.sh: scour wrote no findings file" >&2; exit 1; }

# ---------------------------------------------------------------- score
python3 "$SCRIPT_DIR/accuracy.py" "$OUT/findings.jsonl" "$LABELS" \
  --rules-json "$OUT/rules.json" --corpus "$FILE" --examples "${EXAMPLES:-5}" \
  --json "$OUT/summary.json" | tee "$OUT/accuracy.txt"
prc=${PIPESTATUS[0]}
[ "$prc" -eq 0 ] || die "accuracy.py failed (exit $prc)"
log "outputs in $OUT (findings.jsonl, report.json, accuracy.txt, summary.json)"
exit 0
