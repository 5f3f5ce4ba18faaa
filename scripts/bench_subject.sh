#!/usr/bin/env bash
# Benchmark `scour subject` on the bench corpus, beside `scour scan` and
# `rg -c` of the same file in the same run.
#
#   scripts/bench_subject.sh [FILE] [--threads N] [--runs R] [--no-purge]
#
# FILE defaults to $BENCH_DATA/corpus-1024mb-s42.jsonl (BENCH_DATA defaults
# to <repo>/bench-data; make it with scripts/bench.sh 1024). Builds scour
# (cargo build --release) unless SCOUR_BIN names a binary, warms the page
# cache, then times, R runs each (default 3), median reported:
#   scour scan FILE --quiet --output /dev/null --threads N
#   rg -c over FILE with the e-mail pattern
#   scour subject find FILE --id ONE-EMAIL-OF-THE-CORPUS --quiet   (1 subject)
#   scour subject find FILE --ids-file typed.tsv --quiet           (10,000 typed subjects:
#       that e-mail, 4,999 e-mails, 5,000 phones)
#   scour subject find FILE --ids-file mixed.tsv --quiet           (10,000 mixed subjects:
#       that e-mail, 2,500 e-mails, 2,500 phones, 2,500 names, 2,499 cards/IBANs)
# and, once each on a copy of FILE in a temp dir beside it (unless --no-purge):
#   scour subject purge COPY --id ONE-EMAIL --quiet --receipt R.json
#   scour mask FILE --out TMPDIR --quiet
# It prints MB/s (10^6 bytes of FILE per wall second), peak RSS, find's
# throughput as a share of scan's and the 10,000-subject run against the
# 1-subject run. The machine's load is printed too: figures on a shared
# machine are only comparable within one run.
#
# Environment: SCOUR_BIN, BENCH_DATA, CARGO_TARGET_DIR (as scripts/bench.sh).
# Exit status: 0 done; 1 a timed command failed; 2 usage or setup error.

set -uo pipefail

usage() { sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "bench_subject.sh: $*" >&2; exit 2; }
log() { echo ">> $*" >&2; }

FILE="" THREADS="" RUNS=3 PURGE=1
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) THREADS=${2:-}; shift 2 || usage ;;
    --runs) RUNS=${2:-}; shift 2 || usage ;;
    --no-purge) PURGE=0; shift ;;
    -h|--help) usage ;;
    -*) echo "unknown option: $1" >&2; usage ;;
    *) [ -z "$FILE" ] || usage; FILE=$1; shift ;;
  esac
done
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
DATA=${BENCH_DATA:-$ROOT/bench-data}
FILE=${FILE:-$DATA/corpus-1024mb-s42.jsonl}
[ -f "$FILE" ] || die "$FILE: no such file (make it with scripts/bench.sh 1024)"
THREADS=${THREADS:-$(nproc)}
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "--threads must be a positive integer"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is required"
command -v rg >/dev/null || die "rg (ripgrep) is required"

if [ -n "${SCOUR_BIN:-}" ]; then
  BIN=$SCOUR_BIN
else
  log "cargo build --release"
  (cd "$ROOT" && cargo build --release --quiet) || die "cargo build failed"
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/scour
fi
[ -x "$BIN" ] || die "$BIN: not executable"

WORK=$(mktemp -d "$(dirname "$FILE")/.bench-subject.XXXXXX") || die "cannot make a temp dir"
trap 'rm -rf "$WORK"' EXIT
export SCOUR_PSEUDONYM_KEY=${SCOUR_PSEUDONYM_KEY:-bench-key}
BYTES=$(stat -c %s "$FILE")

# run_timed TAG CMD...: sets RC, WALL (s), RSS_KB, CPU (user + sys s)
run_timed() {
  local tag=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -v -o "$WORK/$tag.time" "$@" >"$WORK/$tag.out" 2>"$WORK/$tag.err"
  RC=$?
  t1=$(date +%s.%N)
  WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
  RSS_KB=$(awk -F': *' '/Maximum resident set size/ {print $2}' "$WORK/$tag.time")
  CPU=$(awk -F': *' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$WORK/$tag.time")
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
mbps() { awk -v b="$BYTES" -v s="$1" 'BEGIN {printf "%.1f", b / 1e6 / s}'; }

FAILED=0
# timed TAG OKCODES CMD...: R runs; sets MED (s), MCPU (s) and RSS_MAX (KiB)
timed() {
  local tag=$1 ok=$2; shift 2
  local walls=() cpus=() i
  RSS_MAX=0
  for i in $(seq 1 "$RUNS"); do
    run_timed "$tag$i" "$@"
    if [[ ! " $ok " =~ " $RC " ]]; then
      log "$tag run $i exited $RC:"; tail -5 "$WORK/$tag$i.err" >&2; FAILED=1
    fi
    walls+=("$WALL") cpus+=("$CPU")
    [ "${RSS_KB:-0}" -gt "$RSS_MAX" ] && RSS_MAX=$RSS_KB
    log "$tag run $i: $WALL s, $(mbps "$WALL") MB/s, CPU $CPU s, peak RSS $((RSS_KB / 1024)) MiB, exit $RC"
  done
  MED=$(median "${walls[@]}")
  MCPU=$(median "${cpus[@]}")
}

log "warming the page cache"
cat "$FILE" >/dev/null

# One e-mail of the corpus, and 10,000 subjects around it.
EMAIL=$(head -c 50000000 "$FILE" | rg -o -m1 '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}' | head -1)
[ -n "$EMAIL" ] || die "no e-mail address in the first 50 MB of $FILE"
IDS=$WORK/10000.tsv
{
  printf 'EMAIL\t%s\n' "$EMAIL"
  python3 - <<'EOF'
import random
r = random.Random(7)
for i in range(2500):
    print(f"EMAIL\tbench.person{i}@mail{r.randrange(10**6)}.example.org")
    print(f"PHONE\t+1 {r.randrange(201, 990)} 555 {r.randrange(10**4):04d}")
    print(f"literal\tBenchfirst{i} Benchlast{r.randrange(10**6)}")
for i in range(2499):
    if i % 2:
        # Visa test range with a valid Luhn digit.
        d = [4] + [r.randrange(10) for _ in range(14)]
        s = sum((x * 2 - 9 if x * 2 > 9 else x * 2) if k % 2 == 0 else x
                for k, x in enumerate(reversed(d)))
        d.append((10 - s % 10) % 10)
        print("CREDIT_CARD\t" + "".join(map(str, d)))
    else:
        bban = f"{r.randrange(10**8):08d}{r.randrange(10**10):010d}"
        n = int(bban + "131400")  # DE + 00
        print(f"IBAN\tDE{98 - n % 97:02d}{bban}")
EOF
} >"$IDS"
TYPED=$WORK/typed.tsv
{
  printf 'EMAIL\t%s\n' "$EMAIL"
  python3 - <<'EOF'
import random
r = random.Random(11)
for i in range(5000):
    if i < 4999:
        print(f"EMAIL\tbench.typed{i}@mail{r.randrange(10**6)}.example.org")
    print(f"PHONE\t+44 20 7{r.randrange(10**3):03d} {r.randrange(10**4):04d}")
EOF
} >"$TYPED"
SUBJECTS=$(wc -l <"$IDS")
log "subjects: 1 (an e-mail of the corpus) and $SUBJECTS"

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
timed scan "0 1" "$BIN" scan "$FILE" --quiet --output /dev/null --threads "$THREADS"
SCAN=$MED SCAN_RSS=$RSS_MAX SCAN_CPU=$MCPU
timed rg "0 1" rg -c '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}' "$FILE"
RG=$MED
timed find1 "0 1" "$BIN" subject find "$FILE" --id "$EMAIL" --quiet --threads "$THREADS"
FIND1=$MED FIND1_RSS=$RSS_MAX FIND1_CPU=$MCPU
timed typed10k "0 1" "$BIN" subject find "$FILE" --ids-file "$TYPED" --quiet --threads "$THREADS"
TYPED10K=$MED TYPED10K_RSS=$RSS_MAX TYPED10K_CPU=$MCPU
timed find10k "0 1" "$BIN" subject find "$FILE" --ids-file "$IDS" --quiet --threads "$THREADS"
FIND10K=$MED FIND10K_RSS=$RSS_MAX FIND10K_CPU=$MCPU

PURGE_S="" PURGE_RSS="" MASK_S="" MASK_RSS=""
if [ "$PURGE" = 1 ]; then
  cp "$FILE" "$WORK/copy.${FILE##*.}"
  RUNS_SAVED=$RUNS; RUNS=1
  timed purge "0 1" "$BIN" subject purge "$WORK/copy.${FILE##*.}" --id "$EMAIL" --quiet \
    --receipt "$WORK/receipt.json" --threads "$THREADS"
  PURGE_S=$MED PURGE_RSS=$RSS_MAX PURGE_CPU=$MCPU
  rm -f "$WORK/copy.${FILE##*.}"
  timed mask "0 1" "$BIN" mask "$FILE" --out "$WORK/masked" --quiet --threads "$THREADS"
  MASK_S=$MED MASK_RSS=$RSS_MAX MASK_CPU=$MCPU
  rm -rf "$WORK/masked"
  RUNS=$RUNS_SAVED
  REMOVED=$(grep -o '"rows_removed": [0-9]*' "$WORK/receipt.json" | tail -1 | grep -o '[0-9]*$')
fi

pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", 100 * b / a}'; }
row() {   # row LABEL WALL CPU RSS_KB NOTE
  printf '%-28s %8s s %7s MB/s %7s s CPU %7s MB/CPU-s %5s MiB  %s\n' "$1" "$2" "$(mbps "$2")" "$3" "$(mbps "$3")" "$(($4 / 1024))" "$5"
}
echo
echo "scour subject benchmark: $(basename "$FILE") ($((BYTES / 1000000)) MB), $THREADS thread(s), $RUNS run(s), medians"
echo "machine: $(nproc) cores, load average at start $LOAD (shared: wall times are noisy; CPU seconds compare better)"
row "scour scan" "$SCAN" "$SCAN_CPU" "$SCAN_RSS" ""
printf '%-28s %8s s %7s MB/s\n' "rg -c (e-mail pattern)" "$RG" "$(mbps "$RG")"
row "subject find, 1" "$FIND1" "$FIND1_CPU" "$FIND1_RSS" "wall $(pct "$FIND1" "$SCAN")% of scan's MB/s, per CPU-s $(pct "$FIND1_CPU" "$SCAN_CPU")%"
row "subject find, $(wc -l <"$TYPED") typed" "$TYPED10K" "$TYPED10K_CPU" "$TYPED10K_RSS" "wall $(pct "$TYPED10K" "$FIND1")% of 1 subject's MB/s, per CPU-s $(pct "$TYPED10K_CPU" "$FIND1_CPU")%"
row "subject find, $SUBJECTS mixed" "$FIND10K" "$FIND10K_CPU" "$FIND10K_RSS" "wall $(pct "$FIND10K" "$FIND1")% of 1 subject's MB/s, per CPU-s $(pct "$FIND10K_CPU" "$FIND1_CPU")%"
if [ "$PURGE" = 1 ]; then
  row "subject purge, 1" "$PURGE_S" "$PURGE_CPU" "$PURGE_RSS" "${REMOVED:-?} row(s) removed"
  row "scour mask" "$MASK_S" "$MASK_CPU" "$MASK_RSS" ""
fi
exit $FAILED
