#!/bin/bash
# Submit the evaluation arrays and the merge that waits for them:
#   DATA=/shared/igcam deploy/slurm-submit.sh
# Score-CAM (one forward per channel: ~10x the others) goes in its own array of more shards.
set -euo pipefail
export DATA=${DATA:-/shared/igcam}
mkdir -p "$DATA/results" results/logs
cd "$(dirname "$0")"
main=$(sbatch --parsable --array=0-99 --export=ALL,TAG=main,METHODS=integrated-grad-cam,grad-cam,grad-cam++ slurm-evaluate.sbatch)
score=$(sbatch --parsable --array=0-299 --export=ALL,TAG=score,METHODS=score-cam slurm-evaluate.sbatch)
sbatch --dependency=afterok:${main%%;*}:${score%%;*} --job-name=igcam-merge --ntasks=1 --cpus-per-task=1 \
       --output=results/logs/merge-%j.out \
       --wrap "igcam evaluate merge $DATA/results/main-shard-*.csv $DATA/results/score-shard-*.csv > $DATA/results/table.md"
echo "queued: evaluation arrays $main and $score, then the merge into $DATA/results/table.md"
