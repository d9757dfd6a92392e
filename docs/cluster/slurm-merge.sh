#!/bin/bash
# Merges the shards of slurm-search.sh (run it after the array, with
# --dependency=afterok:JOBID): exactly the files of one run.
#SBATCH --job-name=gridscore-merge
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --time=00:10:00
#SBATCH --output=gridscore-merge-%j.log
set -euo pipefail

OUT=${OUT:-shards}
gridscore merge "$OUT"/submission-*.json --out submission.json
gridscore merge "$OUT"/report-*.jsonl --out report.jsonl
