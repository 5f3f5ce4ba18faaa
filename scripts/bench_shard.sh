#!/usr/bin/env bash
# What sharding a scan costs: one `scour scan` beside the same scan as N
# shards (`--shard K/N --state`, run one after another on this machine)
# plus `scour merge`, and `rg -c` with scripts/bench.sh's six patterns on a
# text file of the same rows, in the same run.
#
#   scripts/bench_shard.sh FILE [--shards "2 3 4"] [--runs R] [--rg TEXTFILE]
#
# FILE: a corpus (a Parquet file of 64 MiB or more is split by row group;
# a single text file is never split, so give Parquet or a directory). Per
# N it prints the sum of the shard times (the work done), the slowest shard
# (the wall time on N machines), the merge, and checks that the merged
# report equals the one scan's, all but scan id and time (exit 1 if not).
# Medians of R runs; MB/s are 10^6 bytes of FILE per wall second.
# SCOUR_BIN=/path/to/scour times that binary (default target/release/scour).
set -uo pipefail
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
FILE="" SHARDS="2 3 4" RUNS=3 RGFILE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --shards) SHARDS=${2:-}; shift 2 || usage ;;
    --runs) RUNS=${2:-}; shift 2 || usage ;;
    --rg) RGFILE=${2:-}; shift 2 || usage ;;
    -h|--help) usage ;;
    *) [ -z "$FILE" ] || usage; FILE=$1; shift ;;
  esac
done
[ -n "$FILE" ] && [ -e "$FILE" ] || usage
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${SCOUR_BIN:-$ROOT/target/release/scour}
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release --quiet) || exit 2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/scour-shard.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
BYTES=$(du -sb "$FILE" | cut -f1)
cat "$FILE" >/dev/null 2>&1 || find "$FILE" -type f -exec cat {} + >/dev/null

now() { date +%s.%N; }
timed() { local t0; t0=$(now); "$@" >/dev/null 2>&1; local rc=$?; echo "$(now) $t0 $rc" | awk '{printf "%.3f %d\n", $1-$2, $3}'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
same() {  # same REPORT_A REPORT_B: equal but for scan id and time
  python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for r in (a, b):
    for k in ("scan_id", "scanned_at", "hmac_signature"):
        r.pop(k, None)
sys.exit(0 if a == b else 1)
PY
}

declare -A T
# The six patterns of scripts/bench.sh, as bench_findings.sh runs them.
RG_ARGS=(--no-config -c
  -e '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}'
  -e '(?-u:\b)[0-9]{3}-[0-9]{2}-[0-9]{4}(?-u:\b)'
  -e '(?-u:\b)(?:[0-9]{4}[ -]?){3}[0-9]{4}(?-u:\b)'
  -e '\+?[0-9]{1,3}[ .-]?\(?[0-9]{3}\)?[ .-]?[0-9]{3}[ .-]?[0-9]{4}'
  -e '(?-u:\b)(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?-u:\b)'
  -e 'AKIA[0-9A-Z]{16}')
BAD=0
for run in $(seq "$RUNS"); do
  if [ -n "$RGFILE" ] && command -v rg >/dev/null; then
    read -r t _ < <(timed rg "${RG_ARGS[@]}" "$RGFILE"); T[rg]+="$t "
  fi
  read -r t rc < <(timed "$BIN" scan "$FILE" --quiet -o "$WORK/one.json"); T[one]+="$t "
  for n in $SHARDS; do
    sum=0 max=0
    rm -f "$WORK"/s-*.state
    for k in $(seq "$n"); do
      read -r t rc < <(timed "$BIN" scan "$FILE" --quiet --shard "$k/$n" --state "$WORK/s-$k.state")
      [ "$rc" = 0 ] || { echo "shard $k/$n failed (exit $rc)" >&2; exit 1; }
      sum=$(echo "$sum $t" | awk '{print $1+$2}')
      max=$(echo "$max $t" | awk '{print ($2>$1)?$2:$1}')
    done
    read -r t rc < <(timed "$BIN" merge --quiet -o "$WORK/merged.json" "$WORK"/s-*.state)
    T[sum$n]+="$sum " T[max$n]+="$max " T[merge$n]+="$t "
    same "$WORK/one.json" "$WORK/merged.json" || { echo "N=$n: the merged report differs from one scan's" >&2; BAD=1; }
  done
done
mbps() { awk -v b="$BYTES" -v t="$1" 'BEGIN {printf "%.0f MB/s", b/1e6/t}'; }
m() { echo "${T[$1]}" | tr ' ' '\n' | grep . | median; }
ONE=$(m one)
printf 'corpus %s (%s bytes), %s runs, %s cores, %s\n' "$FILE" "$BYTES" "$RUNS" "$(nproc)" "$("$BIN" --version)"
[ -n "${T[rg]:-}" ] && printf '%-34s %7.3f s  (%s)\n' "rg -c, 6 patterns, $(basename "$RGFILE")" "$(m rg)" "$(rg --version | sed -n 1p)"
printf '%-34s %7.3f s  %s\n' "scour scan (one)" "$ONE" "$(mbps "$ONE")"
for n in $SHARDS; do
  printf '%-34s %7.3f s  sum %7.3f s (%.2fx one), slowest shard %7.3f s, merge %6.3f s\n' \
    "N=$n shards + merge (sequential)" "$(echo "$(m sum$n) $(m merge$n)" | awk '{print $1+$2}')" \
    "$(m sum$n)" "$(echo "$(m sum$n) $ONE" | awk '{print $1/$2}')" "$(m max$n)" "$(m merge$n)"
done
[ $BAD = 0 ] && echo "merged reports: identical to one scan's (but scan id and time)"
exit $BAD
