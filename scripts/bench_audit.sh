#!/usr/bin/env bash
# Audit-log figures: append latency (lock, fsync and manifest update
# included) and `scour audit verify` throughput and peak RSS on a large log.
#
#   scripts/bench_audit.sh [ENTRIES] [APPENDS]     (default 1000000 and 1000)
#
# Writes under bench-data/audit/ (BENCH_DATA moves it). Builds release.
set -euo pipefail
cd "$(dirname "$0")/.."
entries=${1:-1000000}
appends=${2:-1000}
data=${BENCH_DATA:-bench-data}/audit
mkdir -p "$data"
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
export SCOUR_AUDIT_KEY=${SCOUR_AUDIT_KEY:-bench-audit-key}

cargo build --release --quiet --bin scour --example audit_bench
bin=target/release/scour
ex=target/release/examples/audit_bench

rm -f "$data/append.jsonl" "$data/append.jsonl.manifest.json"
echo "== $appends appends to a fresh log on $(df -P "$data" | awk 'NR==2 {print $1}')"
"$ex" append "$data/append.jsonl" "$appends"

log="$data/log-$entries.jsonl"
if [ ! -s "$log.manifest.json" ]; then "$ex" build "$log" "$entries"; fi
bytes=$(stat -c %s "$log")
cat "$log" > /dev/null
echo "== scour audit verify on $entries entries ($bytes bytes), 3 runs"
for i in 1 2 3; do
  /usr/bin/time -f "%e %M" "$bin" audit verify "$log" > "$data/verify.out" 2> "$data/time.$i" || { cat "$data/verify.out"; exit 1; }
done
tail -n 1 "$data/verify.out"
sort -n "$data"/time.? | awk -v b="$bytes" 'NR==2 {printf "median %.2f s = %.1f MB/s, peak RSS %.1f MB\n", $1, b/$1/1e6, $2/1024}'
