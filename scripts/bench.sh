#!/usr/bin/env bash
# Benchmark `scour scan` on a generated corpus, next to `rg -c` in the same run.
#
#   scripts/bench.sh SIZE_MB [--format jsonl|csv|txt|json|parquet] [--threads N]
#                            [--seed S] [--runs R] [--command scan|mask]
#                            [--shape prose|wide] [--id-base N] [--row-group-rows N]
#                            [--no-single]
#
# --shape wide: a 20-column customer table of short values (names, cities,
# ids, amounts, dates, flags, short notes; ~2 % of rows with an e-mail,
# phone, card or SSN), bench-data/corpus-wide-<SIZE>mb-s<SEED>.csv; with
# --format parquet the same rows as all-string Parquet (zstd, row groups of
# --row-group-rows rows, default 1,048,576), and rg reads the CSV. The cost
# there is per value, not per byte. --id-base N (prose JSONL): every row's
# `id` is N + its index (1000000: a 7-digit integer per row, which scour
# scans as a value). --no-single skips the --threads 1 and one-core runs.
#
# Builds scour (cargo build --release) in the repository holding this script,
# generates bench-data/corpus-<SIZE>mb-s<SEED>.<FORMAT> (reused when it exists
# with the same size/seed/format/generator; parquet: the JSONL corpus converted
# by examples/make_bench_parquet.rs, same rows), warms the page cache, counts
# the rows (one untimed scan), then times:
#   scour scan FILE --quiet --output /dev/null --threads N   (R runs, default 3)
#   rg -c with six PII patterns over FILE (parquet: its JSONL) (R runs)
#   scour ... --threads 1                                     (R runs; 1 if slow)
#   taskset -c 0 scour ... --threads 1                        (the same, on one core)
# and prints medians, MB/s (10^6 bytes of FILE / wall second), rows/s, peak RSS
# and a summary block to paste into a note. scour exiting 1 (a gate failed) is
# normal here. --command mask also times, after those,
#   scour mask FILE --out TMPDIR --quiet --threads N           (R runs)
#   scour mask ... --threads 1                                (R runs; 1 if slow)
# and prints mask's throughput as a share of scan's from the same run, its
# peak RSS and the speed-up of N threads over 1. Mask includes its built-in
# check (the default, --verify inline: each edited value scanned again);
# MASK_VERIFY=full times the full re-scan of the copy instead.
#
# Environment:
#   SCOUR_BIN=/path/to/binary  time this binary instead; skips cargo build (the
#                              parquet converter is still built when needed)
#   BENCH_DATA=/dir            where corpora live (default: <repo>/bench-data)
#   CARGO_TARGET_DIR           honoured when locating target/release/scour
#   MASK_VERIFY=inline|full    --verify for the mask runs (default inline)
# Exit status: 0 done; 1 scour exited 2 or crashed; 2 usage or setup error.

set -uo pipefail

usage() { sed -n '2,43p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "bench.sh: $*" >&2; exit 2; }
log() { echo ">> $*" >&2; }

# ---------------------------------------------------------------- arguments
SIZE="" FORMAT="" THREADS="" SEED=42 RUNS=3 COMMAND=scan SHAPE=prose ID_BASE=0 RG_ROWS="" SINGLE=1
while [ $# -gt 0 ]; do
  case "$1" in
    --format) FORMAT=${2:-}; shift 2 || usage ;;
    --format=*) FORMAT=${1#*=}; shift ;;
    --threads) THREADS=${2:-}; shift 2 || usage ;;
    --threads=*) THREADS=${1#*=}; shift ;;
    --seed) SEED=${2:-}; shift 2 || usage ;;
    --seed=*) SEED=${1#*=}; shift ;;
    --runs) RUNS=${2:-}; shift 2 || usage ;;
    --runs=*) RUNS=${1#*=}; shift ;;
    --command) COMMAND=${2:-}; shift 2 || usage ;;
    --command=*) COMMAND=${1#*=}; shift ;;
    --shape) SHAPE=${2:-}; shift 2 || usage ;;
    --shape=*) SHAPE=${1#*=}; shift ;;
    --id-base) ID_BASE=${2:-}; shift 2 || usage ;;
    --id-base=*) ID_BASE=${1#*=}; shift ;;
    --row-group-rows) RG_ROWS=${2:-}; shift 2 || usage ;;
    --row-group-rows=*) RG_ROWS=${1#*=}; shift ;;
    --no-single) SINGLE=0; shift ;;
    -h|--help) usage ;;
    -*) echo "unknown option: $1" >&2; usage ;;
    *) [ -z "$SIZE" ] || usage; SIZE=$1; shift ;;
  esac
done
[ -n "$SIZE" ] || usage
[[ $SIZE =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "SIZE_MB must be a number, got '$SIZE'"
case "$SHAPE" in prose|wide) ;; *) die "--shape must be prose or wide" ;; esac
[ -n "$FORMAT" ] || { [ "$SHAPE" = wide ] && FORMAT=csv || FORMAT=jsonl; }
case "$FORMAT" in jsonl|csv|txt|json|parquet) ;; *) die "--format must be jsonl, csv, txt, json or parquet" ;; esac
[ "$SHAPE" = prose ] || [ "$FORMAT" = csv ] || [ "$FORMAT" = parquet ] || die "--shape wide needs --format csv or parquet"
[[ $ID_BASE =~ ^[0-9]+$ ]] || die "--id-base must be a non-negative integer"
[ -z "$RG_ROWS" ] || [[ $RG_ROWS =~ ^[1-9][0-9]*$ ]] || die "--row-group-rows must be a positive integer"
[[ $SEED =~ ^[0-9]+$ ]] || die "--seed must be a non-negative integer"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
case "$COMMAND" in scan|mask) ;; *) die "--command must be scan or mask" ;; esac
NPROC=$(nproc)
THREADS=${THREADS:-$NPROC}
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "--threads must be a positive integer"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
DATA=${BENCH_DATA:-$ROOT/bench-data}
command -v python3 >/dev/null || die "python3 is required (gen_corpus.py)"

# ---------------------------------------------------------------- tools
SUDO=""
[ "$(id -u)" -eq 0 ] || { command -v sudo >/dev/null && SUDO="sudo"; }
apt_install() {   # apt_install PACKAGE: install; apt-get update only if needed
  command -v apt-get >/dev/null || return 1
  log "installing $1 with apt-get"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "$1" >/dev/null 2>&1 && return 0
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -q >/dev/null 2>&1
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "$1" >/dev/null 2>&1
}
[ -x /usr/bin/time ] || apt_install time || true
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is missing and could not be installed"
command -v rg >/dev/null || apt_install ripgrep || true
HAVE_RG=0; command -v rg >/dev/null && HAVE_RG=1
[ $HAVE_RG -eq 1 ] || log "ripgrep unavailable: the rg baseline will be skipped"

# ---------------------------------------------------------------- build
if [ -n "${SCOUR_BIN:-}" ]; then
  BIN=$(command -v -- "$SCOUR_BIN") || die "SCOUR_BIN=$SCOUR_BIN is not executable"
  log "SCOUR_BIN set: timing $BIN (no cargo build)"
else
  command -v cargo >/dev/null || die "cargo not found (or set SCOUR_BIN)"
  log "cargo build --release in $ROOT"
  (cd "$ROOT" && cargo build --release --quiet) || die "cargo build --release failed"
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/scour
  [ -x "$BIN" ] || die "built binary not found at $BIN"
fi

# ---------------------------------------------------------------- corpus
mkdir -p "$DATA" || die "cannot create $DATA"
GEN_FORMAT=$FORMAT
[ "$FORMAT" = parquet ] && GEN_FORMAT=jsonl   # parquet is converted from JSONL
[ "$SHAPE" = wide ] && GEN_FORMAT=csv          # ... or, wide, from CSV
NAME=corpus
[ "$SHAPE" = wide ] && NAME=corpus-wide
[ "$ID_BASE" != 0 ] && NAME=$NAME-id$ID_BASE
SRC=$DATA/${NAME}-${SIZE}mb-s${SEED}.${GEN_FORMAT}
GEN=$SCRIPT_DIR/gen_corpus.py
GEN_ARGS=(--shape "$SHAPE")
[ "$ID_BASE" != 0 ] && GEN_ARGS+=(--id-base "$ID_BASE")
STAMP="size=$SIZE seed=$SEED format=$GEN_FORMAT ${GEN_ARGS[*]} gen=$(sha256sum "$GEN" | cut -c1-16) $(python3 -V 2>&1)"
if [ -f "$SRC" ] && [ "$(cat "$SRC.stamp" 2>/dev/null)" = "$STAMP" ]; then
  log "reusing $SRC"
else
  log "generating $SRC"
  rm -f "$SRC" "$SRC.stamp"
  t0=$(date +%s%N)
  python3 "$GEN" --size-mb "$SIZE" --format "$GEN_FORMAT" --seed "$SEED" "${GEN_ARGS[@]}" "$SRC.tmp" \
    || { rm -f "$SRC.tmp"; die "gen_corpus.py failed"; }
  t1=$(date +%s%N)
  mv "$SRC.tmp" "$SRC" && echo "$STAMP" >"$SRC.stamp"
  log "generated in $(awk -v ns=$((t1 - t0)) 'BEGIN{printf "%.1f", ns/1e9}') s"
fi
FILE=$SRC
if [ "$FORMAT" = parquet ]; then
  # Same rows, same order: examples/make_bench_parquet.rs (snappy, row groups
  # of 100,000 rows). Reused while the JSONL and the converter are unchanged.
  CONV_ARGS=()
  [ "$SHAPE" = wide ] && CONV_ARGS+=(--csv)
  [ -n "$RG_ROWS" ] && CONV_ARGS+=(--row-group-rows "$RG_ROWS")
  FILE=$DATA/${NAME}-${SIZE}mb-s${SEED}${RG_ROWS:+-rg$RG_ROWS}.parquet
  CONV=$ROOT/examples/make_bench_parquet.rs
  PQ_STAMP="$STAMP conv=$(sha256sum "$CONV" | cut -c1-16) ${CONV_ARGS[*]}"
  if [ -f "$FILE" ] && [ "$(cat "$FILE.stamp" 2>/dev/null)" = "$PQ_STAMP" ]; then
    log "reusing $FILE"
  else
    command -v cargo >/dev/null || die "cargo is needed to build examples/make_bench_parquet.rs"
    log "cargo build --release --example make_bench_parquet"
    (cd "$ROOT" && cargo build --release --quiet --example make_bench_parquet) \
      || die "cargo build --release --example make_bench_parquet failed"
    CONV_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/make_bench_parquet
    log "converting $SRC to $FILE"
    rm -f "$FILE" "$FILE.stamp"
    "$CONV_BIN" "${CONV_ARGS[@]}" "$SRC" "$FILE.tmp" || { rm -f "$FILE.tmp"; die "make_bench_parquet failed"; }
    mv "$FILE.tmp" "$FILE" && echo "$PQ_STAMP" >"$FILE.stamp"
  fi
fi
BYTES=$(stat -c %s "$FILE")
SRC_BYTES=$(stat -c %s "$SRC")

log "warming the page cache"
cat "$FILE" >/dev/null
[ "$SRC" = "$FILE" ] || cat "$SRC" >/dev/null

# ---------------------------------------------------------------- helpers
WORK=$(mktemp -d "${TMPDIR:-/tmp}/scour-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# run_timed TAG CMD...: sets RC, WALL (s), RSS_KB, CPU (user+sys s), SIGNALED
run_timed() {
  local tag=$1; shift
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -v -o "$WORK/$tag.time" "$@" >"$WORK/$tag.out" 2>"$WORK/$tag.err"
  RC=$?
  t1=$(date +%s%N)
  WALL=$(awk -v ns=$((t1 - t0)) 'BEGIN{printf "%.4f", ns/1e9}')
  RSS_KB=$(awk -F': *' '/Maximum resident set size/ {print $2}' "$WORK/$tag.time")
  CPU=$(awk -F': *' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$WORK/$tag.time")
  SIGNALED=0
  grep -q 'terminated by signal' "$WORK/$tag.time" && SIGNALED=1
  return 0
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.4f\n", (a[NR/2]+a[NR/2+1])/2}'; }
# mbps SECONDS [BYTES]: 10^6 bytes (default: of FILE) per second
mbps() { awk -v b="${2:-$BYTES}" -v s="$1" 'BEGIN{ if (s > 0) printf "%.1f", b/1e6/s; else print "inf" }'; }
# rps SECONDS: rows per second (ROWS from the untimed first scan)
rps() { awk -v r="$ROWS" -v s="$1" 'BEGIN{ if (r !~ /^[0-9]+$/) print "?"; else if (s > 0) printf "%.0f", r/s; else print "inf" }'; }
fmt3() { local out="" x; for x in "$@"; do out="$out${out:+/}$(printf '%.3f' "$x")"; done; echo "$out"; }

FAILED=0
# scour_runs TAG THREADS N [PREFIX...]: runs scour N times (under PREFIX,
# e.g. taskset); fills S_WALLS, S_RSS_MAX, S_RC, S_CPU. RUN_CMD=mask times
# `scour mask` into $WORK/masked instead of `scour scan`.
RUN_CMD=scan
scour_runs() {
  local tag=$1 th=$2 n=$3 i
  shift 3
  S_WALLS=() S_CPUS=() S_RSS_MAX=0 S_RC=""
  local what=(scan "$FILE" --quiet --output /dev/null --threads "$th")
  [ "$RUN_CMD" = mask ] && what=(mask "$FILE" --out "$WORK/masked" --quiet --threads "$th" --verify "${MASK_VERIFY:-inline}")
  for ((i = 1; i <= n; i++)); do
    run_timed "$tag$i" "$@" "$BIN" "${what[@]}"
    if [ $SIGNALED -eq 1 ] || { [ $RC -ne 0 ] && [ $RC -ne 1 ]; }; then
      echo "bench.sh: scour failed (exit $RC$([ $SIGNALED -eq 1 ] && echo ', killed by a signal'))" >&2
      echo "--- $BIN ${what[*]}: stderr (tail)" >&2
      tail -n 20 "$WORK/$tag$i.err" >&2
      grep '^Command ' "$WORK/$tag$i.time" >&2
      FAILED=1
      return 1
    fi
    S_WALLS+=("$WALL"); S_CPUS+=("$CPU"); S_RC=$RC
    [ "${RSS_KB:-0}" -gt "$S_RSS_MAX" ] && S_RSS_MAX=$RSS_KB
    log "$tag run $i: ${WALL} s, $(mbps "$WALL") MB/s, $(rps "$WALL") rows/s, exit $RC, peak RSS $((RSS_KB / 1024)) MiB"
  done
}

# ---------------------------------------------------------------- rows
# One untimed scan (also a warm-up) writes a report; its row_count is the
# number of rows for rows/s (same rows for a parquet file and its JSONL).
ROWS="?"
run_timed rows "$BIN" scan "$FILE" --quiet --output "$WORK/rows.json" --threads "$THREADS"
if [ $SIGNALED -eq 0 ] && { [ $RC -eq 0 ] || [ $RC -eq 1 ]; }; then
  ROWS=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["row_count"])' \
    "$WORK/rows.json" 2>/dev/null) || ROWS="?"
  [[ $ROWS =~ ^[0-9]+$ ]] || ROWS="?"
  log "untimed scan: $ROWS rows, ${WALL} s"
else
  log "untimed scan failed (exit $RC); rows/s will be '?'"
fi

# ---------------------------------------------------------------- scour, N threads
scour_runs scour "$THREADS" "$RUNS" || exit 1
SC_MED=$(median "${S_WALLS[@]}"); SC_WALLS=("${S_WALLS[@]}")
SC_CPU=$(median "${S_CPUS[@]}")
SC_RSS_MB=$(awk -v k="$S_RSS_MAX" 'BEGIN{printf "%.1f", k*1024/1e6}')
SC_RC=$S_RC
SC_MBPS=$(mbps "$SC_MED")

# ---------------------------------------------------------------- rg baseline
# Six PII patterns, one rg pass (-c: count matching lines). ASCII word
# boundaries (?-u:\b) and [0-9] keep rg on its fast DFA path for non-ASCII text.
B='(?-u:\b)'
RG_PATTERNS=(
  "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"   # email
  "${B}[0-9]{3}-[0-9]{2}-[0-9]{4}${B}"                                  # US SSN
  "${B}[0-9](?:[ -]?[0-9]){12,18}${B}"                                  # card digit run
  "${B}(?:[0-9]{1,3}\.){3}[0-9]{1,3}${B}"                               # IPv4
  "${B}(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}${B}"             # AWS key id
  "(?:\+[0-9]{1,3}[ .-])?\(?[0-9]{2,4}\)?[ .-][0-9]{3,4}[ .-][0-9]{3,4}${B}"  # phone
)
RG_ARGS=(--no-config -c)
for p in "${RG_PATTERNS[@]}"; do RG_ARGS+=(-e "$p"); done
RG_MED="" RG_MBPS="n/a" RATIO="n/a" TIME_RATIO="n/a" RG_LINES="?" RG_VER="ripgrep not available"
# rg on a Parquet file would search compressed bytes: it reads the JSONL (or,
# wide, the CSV) of the same rows instead, so the ratio compares rows/s.
RG_FILE=$SRC RG_BYTES=$SRC_BYTES
if [ $HAVE_RG -eq 1 ]; then
  RG_VER=$(rg --version 2>/dev/null | sed -n 1p)
  RG_WALLS=()
  for ((i = 1; i <= RUNS; i++)); do
    run_timed "rg$i" rg "${RG_ARGS[@]}" "$RG_FILE"
    if [ $RC -gt 1 ] || [ $SIGNALED -eq 1 ]; then
      log "rg failed (exit $RC): $(head -c 300 "$WORK/rg$i.err")"; RG_WALLS=(); break
    fi
    RG_WALLS+=("$WALL"); RG_LINES=$(head -n1 "$WORK/rg$i.out"); RG_LINES=${RG_LINES:-0}
    log "rg run $i: ${WALL} s, $(mbps "$WALL" "$RG_BYTES") MB/s, $(rps "$WALL") rows/s, $RG_LINES matching lines"
  done
  if [ ${#RG_WALLS[@]} -gt 0 ]; then
    RG_MED=$(printf '%.3f' "$(median "${RG_WALLS[@]}")")
    RG_MBPS=$(mbps "$RG_MED" "$RG_BYTES")
    RATIO=$(awk -v a="$RG_MED" -v b="$SC_MED" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a" }')
    TIME_RATIO=$(awk -v a="$RG_MED" -v b="$SC_MED" 'BEGIN{ if (a > 0) printf "%.2f", b/a; else print "n/a" }')
  fi
fi

# ---------------------------------------------------------------- scour, 1 thread
# median of RUNS when a run is cheap (< 20 s), otherwise a single run
N1=$(awk -v s="$SC_MED" -v r="$RUNS" 'BEGIN{ print (s * '"$THREADS"' < 20 ? r : 1) }')
if [ "$SINGLE" -eq 0 ]; then
  S1_MED=0
elif [ "$THREADS" -ne 1 ]; then
  scour_runs scour1t 1 "$N1" || exit 1
  S1_MED=$(median "${S_WALLS[@]}")
else   # the main runs already were single-threaded
  N1=${#SC_WALLS[@]} S1_MED=$SC_MED
fi
S1_MBPS=$(mbps "$S1_MED")
SPEEDUP=$(awk -v a="$S1_MED" -v b="$SC_MED" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a" }')

# ---------------------------------------------------------------- scour, 1 core
# `--threads 1` reads, hashes and scans on one thread (the merger only folds
# small parts): pinned to one core it should run as fast; a gap would show
# work leaking onto a second core.
CORE_LINE=""
if [ "$SINGLE" -eq 1 ] && [ "$THREADS" -ne 1 ] && command -v taskset >/dev/null 2>&1; then
  scour_runs scour1core 1 "$N1" taskset -c 0 || exit 1
  C1_MED=$(median "${S_WALLS[@]}")
  C1_SPEEDUP=$(awk -v a="$C1_MED" -v b="$SC_MED" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a" }')
  CORE_LINE="scour 1c: --threads 1 on one core (taskset -c 0)  median $(printf '%.3f' "$C1_MED") s of $N1  $(mbps "$C1_MED") MB/s  speed-up ${THREADS}t/1 core = ${C1_SPEEDUP}x"
fi

# ---------------------------------------------------------------- scour mask
MASK_LINES=""
if [ "$COMMAND" = mask ]; then
  RUN_CMD=mask
  scour_runs mask "$THREADS" "$RUNS" || exit 1
  MK_MED=$(median "${S_WALLS[@]}"); MK_WALLS=("${S_WALLS[@]}")
  MK_CPU=$(median "${S_CPUS[@]}")
  MK_RSS_MB=$(awk -v k="$S_RSS_MAX" 'BEGIN{printf "%.1f", k*1024/1e6}')
  MK_RC=$S_RC
  MK_SHARE=$(awk -v a="$SC_MED" -v b="$MK_MED" 'BEGIN{ if (b > 0) printf "%.0f", 100*a/b; else print "n/a" }')
  RESIDUAL=$(python3 -c 'import json, sys; t = json.load(open(sys.argv[1]))["totals"]; print(t["masked_total"], "masked,", t["residual_total"], "residual")' \
    "$WORK/masked/mask_manifest.json" 2>/dev/null || echo "manifest unreadable")
  N1M=$(awk -v s="$MK_MED" -v r="$RUNS" 'BEGIN{ print (s * '"$THREADS"' < 20 ? r : 1) }')
  if [ "$THREADS" -ne 1 ]; then
    scour_runs mask1t 1 "$N1M" || exit 1
    M1_MED=$(median "${S_WALLS[@]}")
  else
    N1M=${#MK_WALLS[@]} M1_MED=$MK_MED
  fi
  M1_SPEEDUP=$(awk -v a="$M1_MED" -v b="$MK_MED" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a" }')
  MASK_LINES="mask    : --threads $THREADS  median $(printf '%.3f' "$MK_MED") s of ${#MK_WALLS[@]} ($(fmt3 "${MK_WALLS[@]}"))  $(mbps "$MK_MED") MB/s  $(rps "$MK_MED") rows/s  peak RSS $MK_RSS_MB MB  cpu ${MK_CPU} s  exit $MK_RC  ($RESIDUAL)
mask 1t : --threads 1  median $(printf '%.3f' "$M1_MED") s of $N1M  $(mbps "$M1_MED") MB/s  speed-up ${THREADS}t/1t = ${M1_SPEEDUP}x
mask/scan: mask throughput = ${MK_SHARE} % of scan's (same run, --threads $THREADS; mask --verify ${MASK_VERIFY:-inline})"
fi

# ---------------------------------------------------------------- summary
CPU_MODEL=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null)
[ -n "$CPU_MODEL" ] || CPU_MODEL=$(uname -m)
FLAGS=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
SIMD=""; for f in avx2 avx512f sha_ni; do [[ " $FLAGS " == *" $f "* ]] && SIMD="$SIMD $f"; done
MEM_GB=$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo 2>/dev/null)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")
BRANCH=$(git -C "$ROOT" rev-parse --abbrev-ref HEAD 2>/dev/null || echo "?")
[ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] && COMMIT="$COMMIT+dirty"
[ -n "${SCOUR_BIN:-}" ] && COMMIT="$COMMIT (SCOUR_BIN=$BIN)"
PQ_NOTE="" SC_SRC_NOTE="" RG_NOTE="" RATIO_NOTE=""
if [ "$FORMAT" = parquet ]; then
  if [ "$SHAPE" = wide ]; then
    PQ_NOTE=" (converted from $(basename "$SRC") = $SRC_BYTES bytes; all Utf8, zstd, row groups of ${RG_ROWS:-1048576} rows)"
    SC_SRC_NOTE=" (= $(mbps "$SC_MED" "$SRC_BYTES") MB/s of the CSV)"
  else
    PQ_NOTE=" (converted from $(basename "$SRC") = $SRC_BYTES bytes; snappy, row groups of ${RG_ROWS:-100000} rows)"
    SC_SRC_NOTE=" (= $(mbps "$SC_MED" "$SRC_BYTES") MB/s of the JSONL)"
  fi
  RG_NOTE=", over $(basename "$SRC")"
  RATIO_NOTE=" (same rows: rows/s ratio)"
fi

cat <<EOF

==== scour bench $(date -u +%Y-%m-%dT%H:%MZ) ====
machine : nproc=$NPROC; $CPU_MODEL; simd:${SIMD:- none of avx2/avx512f/sha_ni}; ${MEM_GB} GB RAM; Linux $(uname -r)
build   : $COMMIT on $BRANCH
corpus  : $(basename "$FILE") = $BYTES bytes ($FORMAT, $SHAPE, seed $SEED$([ "$ID_BASE" != 0 ] && echo ", ids from $ID_BASE")), $ROWS rows, page cache warm$PQ_NOTE
scour   : --threads $THREADS  median $(printf '%.3f' "$SC_MED") s of ${#SC_WALLS[@]} ($(fmt3 "${SC_WALLS[@]}"))  $SC_MBPS MB/s  $(rps "$SC_MED") rows/s$SC_SRC_NOTE  peak RSS $SC_RSS_MB MB  cpu ${SC_CPU} s  exit $SC_RC
$([ "$SINGLE" -eq 1 ] && echo "scour 1t: --threads 1  median $(printf '%.3f' "$S1_MED") s of $N1  $S1_MBPS MB/s  $(rps "$S1_MED") rows/s  speed-up ${THREADS}t/1t = ${SPEEDUP}x" || echo "scour 1t: skipped (--no-single)")${CORE_LINE:+
$CORE_LINE}
rg -c   : 6 patterns   median ${RG_MED:-n/a} s of $RUNS  $RG_MBPS MB/s  $([ -n "$RG_MED" ] && rps "$RG_MED" || echo n/a) rows/s  ($RG_VER, 1 file = 1 thread, $RG_LINES matching lines$RG_NOTE)
ratio   : scour/rg throughput = ${RATIO}x$RATIO_NOTE; scour time = ${TIME_RATIO}x rg's${MASK_LINES:+
$MASK_LINES}
EOF
exit $FAILED
