#!/usr/bin/env bash
# Kinetics clips → frames/<clip_id>/frame_{1..4}.jpg + kinetics_frames_{train,val}.json (+ labels.txt).
#   KINETICS_CSV=kinetics400/train.csv VIDEO_ROOT=/data/kinetics400/videos OUT=/data/k400_frames \
#     bash examples/gemma4_kinetics/extract_frames.sh
# Resumable: rerun after an interruption and finished clips are skipped. Failures go to $OUT/failures.tsv.
set -euo pipefail
OUT=${OUT:?set OUT}
if [ -n "${KINETICS_CSV:-}" ]; then
    SOURCE=(--kinetics-csv "$KINETICS_CSV" --video-root "${VIDEO_ROOT:?set VIDEO_ROOT}")
else
    SOURCE=(--clips "${CLIPS:?set CLIPS (a folder of <label>/<clip>.mp4) or KINETICS_CSV}")
fi
swift-video extract-frames "${SOURCE[@]}" -o "$OUT" --num-frames 4 --strategy "${STRATEGY:-uniform}" \
    --workers "${WORKERS:-8}" --val-ratio "${VAL_RATIO:-0.1}" --as-video
