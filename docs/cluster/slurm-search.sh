#!/bin/bash
# One shard of a gridscore search over a Slurm job array (docs/cluster.md).
#
#   jid=$(sbatch --parsable --array=1-16 slurm-search.sh)
#   sbatch --dependency=afterok:$jid slurm-merge.sh
#
# Array task I of N searches the tasks at sorted-id positions I-1, I-1+N, ...
# of $TASKS and writes $OUT/submission-I.json and $OUT/report-I.jsonl;
# slurm-merge.sh turns them into exactly what one run writes.
#SBATCH --job-name=gridscore-search
#SBATCH --cpus-per-task=8
#SBATCH --mem=16G
#SBATCH --time=04:00:00
#SBATCH --output=gridscore-search-%A_%a.log
set -euo pipefail

TASKS=${TASKS:-/data/arc/evaluation}   # a directory or a combined challenges file
OUT=${OUT:-shards}
DEPTH=${DEPTH:-3}
TIME_LIMIT=${TIME_LIMIT:-600}          # seconds per task

# Shard numbers are 1-based whatever the array's first index.
N=${SLURM_ARRAY_TASK_COUNT}
I=$((SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN + 1))

mkdir -p "$OUT"
gridscore search "$TASKS" --depth "$DEPTH" --time-limit "$TIME_LIMIT" \
    --threads "${SLURM_CPUS_PER_TASK:-0}" --shard "$I/$N" --quiet \
    --out "$OUT/submission-$I.json" --report "$OUT/report-$I.jsonl"
