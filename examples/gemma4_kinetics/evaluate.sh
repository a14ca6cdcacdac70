#!/usr/bin/env bash
# The held-out evaluation the published adapter never had: predict on the val split, then top-1 accuracy,
# per-class accuracy and the most common confusions (free-text answers mapped to the nearest class).
#   FRAMES=/data/k400_frames CKPT=output/gemma4-e4b-kinetics/v0-.../checkpoint-1000 bash examples/gemma4_kinetics/evaluate.sh
set -euo pipefail
FRAMES=${FRAMES:?set FRAMES}
CKPT=${CKPT:?set CKPT}
RESULT=${RESULT:-$CKPT/kinetics_val_predictions.jsonl}
KINETICS_FRAMES_PATH=$FRAMES/kinetics_frames_val.json KINETICS_FRAMES_ROOT=$FRAMES \
    swift infer --adapters "$CKPT" --val_dataset kinetics_frames --max_new_tokens 32 --temperature 0 \
    --max_batch_size 8 --result_path "$RESULT"
swift-video eval action --results "$RESULT" --labels "$FRAMES/labels.txt"
# The same samples as one video each (frames with their real mm:ss stamps):
#   KINETICS_FRAMES_PATH=$FRAMES/kinetics_frames_video_val.json ... swift infer --template gemma4_frames_nothinking
