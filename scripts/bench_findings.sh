#!/usr/bin/env bash
# What writing every finding costs: `scour scan` with and without
# `--findings`, next to `rg -c` on the same file in the same run.
#
#   scripts/bench_findings.sh FILE [--runs R] [--threads N]
#
# FILE is a corpus scour scans (make one with `scripts/bench.sh SIZE_MB`,
# which leaves it under bench-data/). Each run times, back to back so that
# load on the machine hits every variant alike:
#   scour scan FILE --quiet --output REPORT                     (plain)
#   scour scan ... --findings F.jsonl                           (JSON lines)
#   scour scan ... --findings F.parquet                         (Parquet)
#   scour scan ... --findings F.jsonl with SCOUR_PSEUDONYM_KEY  (+ fingerprints)
#   rg -c with the six PII patterns of scripts/bench.sh         (JSONL/text only)
# and prints medians, MB/s (10^6 bytes of FILE / wall second), each
# variant's time as a share of the plain scan's, and peak RSS. It checks
# that each findings file holds exactly the report's `findings_total`
# records (exit 1 when not).
#
# Environment: SCOUR_BIN=/path/to/binary times that binary (default: the
# release build under target/, built if missing).
set -uo pipefail

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "bench_findings.sh: $*" >&2; exit 2; }

FILE="" RUNS=3 THREADS=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=${2:-}; shift 2 || usage ;;
    --threads) THREADS=${2:-}; shift 2 || usage ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) [ -z "$FILE" ] || usage; FILE=$1; shift ;;
  esac
done
[ -n "$FILE" ] && [ -f "$FILE" ] || usage
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is required"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -n "${SCOUR_BIN:-}" ]; then
  BIN=$SCOUR_BIN
else
  (cd "$ROOT" && cargo build --release --quiet) || die "cargo build --release failed"
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/scour
fi
[ -x "$BIN" ] || die "no scour binary at $BIN"

WORK=$(mktemp -d /tmp/scour-bench-findings.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
BYTES=$(stat -c %s "$FILE")
KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

# One timed command: wall seconds and peak RSS (KiB) into WALL/RSS.
timed() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  local rc=$?
  read -r WALL RSS < <(tail -n1 "$WORK/$name.time")
  return $rc
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mbps() { awk -v s="$1" -v b="$BYTES" 'BEGIN{printf "%.1f", b/1e6/s}'; }

RG_ARGS=(--no-config -c
  -e '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}'
  -e '(?-u:\b)[0-9]{3}-[0-9]{2}-[0-9]{4}(?-u:\b)'
  -e '(?-u:\b)(?:[0-9]{4}[ -]?){3}[0-9]{4}(?-u:\b)'
  -e '\+?[0-9]{1,3}[ .-]?\(?[0-9]{3}\)?[ .-]?[0-9]{3}[ .-]?[0-9]{4}'
  -e '(?-u:\b)(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?-u:\b)'
  -e 'AKIA[0-9A-Z]{16}')
HAVE_RG=0
case "$FILE" in *.parquet|*.gz|*.zst) ;; *) command -v rg >/dev/null && HAVE_RG=1 ;; esac

cat "$FILE" >/dev/null   # warm the page cache
VARIANTS=(plain jsonl parquet keyed)
declare -A WALLS RSSES
FAIL=0
for i in $(seq 1 "$RUNS"); do
  for v in "${VARIANTS[@]}"; do
    args=(scan "$FILE" --quiet --threads "$THREADS" --output "$WORK/report.$v.json")
    env=()
    case $v in
      jsonl) args+=(--findings "$WORK/f.jsonl") ;;
      parquet) args+=(--findings "$WORK/f.parquet") ;;
      keyed) args+=(--findings "$WORK/k.jsonl"); env=(SCOUR_PSEUDONYM_KEY="$KEY") ;;
    esac
    timed "$v$i" env "${env[@]}" "$BIN" "${args[@]}"
    rc=$?
    [ $rc -le 1 ] || { cat "$WORK/$v$i.err" >&2; die "scour exited $rc ($v)"; }
    WALLS[$v]+="$WALL " RSSES[$v]+="$RSS "
    echo ">> run $i $v: $WALL s, $(mbps "$WALL") MB/s, peak RSS $((RSS / 1024)) MiB" >&2
  done
  if [ $HAVE_RG -eq 1 ]; then
    timed "rg$i" rg "${RG_ARGS[@]}" "$FILE"
    WALLS[rg]+="$WALL "
    echo ">> run $i rg: $WALL s, $(mbps "$WALL") MB/s" >&2
  fi
done

# Every finding, once: the files hold findings_total records.
TOTAL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["findings_total"])' "$WORK/report.plain.json")
COUNT_JSONL=$(wc -l <"$WORK/f.jsonl")
COUNT_KEYED=$(wc -l <"$WORK/k.jsonl")
# The Parquet findings file's row count, read by scour itself (its report's
# row_count), so no pyarrow is needed.
"$BIN" scan "$WORK/f.parquet" --quiet --skip-gate pii-density --skip-gate consent \
  --skip-gate provenance --skip-gate bias --skip-gate secrets --output "$WORK/pq.json" >/dev/null 2>&1
COUNT_PQ=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["row_count"])' "$WORK/pq.json" 2>/dev/null || echo "?")
for pair in "jsonl:$COUNT_JSONL" "keyed:$COUNT_KEYED" "parquet:$COUNT_PQ"; do
  name=${pair%%:*} n=${pair#*:}
  if [ "$n" = "?" ]; then
    echo ">> $name findings file: record count not readable" >&2
  elif [ "$n" -ne "$TOTAL" ]; then
    echo ">> MISMATCH: $name findings file holds $n records, report says $TOTAL" >&2; FAIL=1
  fi
done
grep -q '"fingerprint"' "$WORK/k.jsonl" || { [ "$TOTAL" -eq 0 ] || { echo ">> keyed run wrote no fingerprint" >&2; FAIL=1; }; }

# shellcheck disable=SC2086
PLAIN=$(median ${WALLS[plain]})
echo
echo "scour $("$BIN" --version 2>/dev/null | awk '{print $2}'), $(basename "$FILE") ($(awk -v b="$BYTES" 'BEGIN{printf "%.0f", b/1e6}') MB), $THREADS threads, $RUNS runs, $(nproc) cores, $(date -u +%F)"
printf '%-28s %8s %9s %10s %9s\n' variant "median s" "MB/s" "vs plain" "RSS MiB"
declare -A LABEL=([plain]="scan" [jsonl]="scan --findings F.jsonl" [parquet]="scan --findings F.parquet" [keyed]="scan --findings, keyed")
for v in "${VARIANTS[@]}"; do
  # shellcheck disable=SC2086
  m=$(median ${WALLS[$v]}) r=$(median ${RSSES[$v]})
  printf '%-28s %8.3f %9s %9.1f%% %9d\n' "${LABEL[$v]}" "$m" "$(mbps "$m")" \
    "$(awk -v a="$m" -v b="$PLAIN" 'BEGIN{print (a/b-1)*100}')" "$((${r%.*} / 1024))"
done
if [ $HAVE_RG -eq 1 ]; then
  # shellcheck disable=SC2086
  m=$(median ${WALLS[rg]})
  printf '%-28s %8.3f %9s   (%s)\n' "rg -c (6 patterns)" "$m" "$(mbps "$m")" "$(rg --version | sed -n 1p)"
fi
echo "findings_total $TOTAL; records: jsonl $COUNT_JSONL, keyed $COUNT_KEYED, parquet $COUNT_PQ"
exit $FAIL
