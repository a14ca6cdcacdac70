#!/usr/bin/env bash
# PLLaVA's "post-training optimisation": train with lora_alpha 32, infer with a smaller alpha (the paper and every
# official evaluation script use 4, i.e. 1/8 of the trained LoRA delta; MVBench prefers ~20).
#   CKPT=output/pllava-lora/v0-.../checkpoint-1000 bash examples/pllava/post_training_optimisation.sh
set -euo pipefail
CKPT=${CKPT:?set CKPT to a swift sft checkpoint directory}
ALPHA=${ALPHA:-4}
OUT=${OUT:-${CKPT}-alpha${ALPHA}}

swift-video rescale-lora "$CKPT" --alpha "$ALPHA" -o "$OUT"
swift infer --adapters "$OUT" --max_new_tokens 256 --temperature 0 \
    --val_dataset "${VAL:-custom_datasets/video_qa.jsonl}"
swift export --adapters "$OUT" --merge_lora true          # writes ${OUT}-merged
