#!/usr/bin/env bash
# One scour scan as a Slurm job array of N tasks, and a merge job that runs
# once every task has succeeded.
#
#   CORPUS=/data/corpus OUT=/scratch/scour N=16 examples/slurm/scour-array.sh
#
# Every task sees the same CORPUS path (a shared file system) and computes
# its part of the work from the file list alone (`--shard auto` reads
# SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT). The merge job prints the
# report of the whole and exits 1 when a gate fails, like one scan would.
set -euo pipefail
: "${CORPUS:?set CORPUS to the corpus directory}"
: "${OUT:?set OUT to a directory every node can write}"
N=${N:-8}
CPUS=${CPUS:-8}
SCOUR=${SCOUR:-scour}
mkdir -p "$OUT"

array=$(sbatch --parsable --job-name=scour-scan --array="0-$((N - 1))" \
  --cpus-per-task="$CPUS" --output="$OUT/scan-%a.log" \
  --wrap="$SCOUR scan '$CORPUS' --shard auto --threads $CPUS --quiet \
          --state '$OUT/shard-\${SLURM_ARRAY_TASK_ID}.scour-state'")

# afterok: only when every array task succeeded (a failed shard would make
# the merge refuse anyway: it names the missing shard).
sbatch --parsable --job-name=scour-merge --dependency="afterok:$array" \
  --output="$OUT/merge.log" \
  --wrap="$SCOUR merge '$OUT'/shard-*.scour-state -o '$OUT/report.json' \
          && $SCOUR merge '$OUT'/shard-*.scour-state --format html -o '$OUT/report.html' --quiet"
echo "scour: array job $array ($N shards), merge after it; report in $OUT/report.json"
