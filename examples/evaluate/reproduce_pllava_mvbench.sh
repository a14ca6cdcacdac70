#!/usr/bin/env bash
# PLLaVA-7B on MVBench, as the paper scored it (58.1), through ms-swift + swift-video-ext (needs a GPU).
#   PLLAVA_DIR   the released ermu2001/pllava-7b folder (official PEFT layout; loaded natively, LoRA merged)
#   MVBENCH_DIR  OpenGVLab/MVBench (json/ + video/)
#   ALPHA        LoRA alpha merged at load (paper Fig. 9: ~20 best for MVBench; the official eval.sh used 4)
#   BACKEND      pt (default) or vllm
set -euo pipefail
: "${PLLAVA_DIR:?set PLLAVA_DIR}" "${MVBENCH_DIR:?set MVBENCH_DIR}"
ALPHA=${ALPHA:-20}
BACKEND=${BACKEND:-pt}
OUT=${OUT:-eval_pllava7b_mvbench_a${ALPHA}}
mkdir -p "$OUT"

swift-video eval prepare mvbench --data "$MVBENCH_DIR" --model-type pllava -o "$OUT/rows.jsonl"
# The protocol's knobs (16 frames; 3 fps for the frame-folder task), PLLaVA's merge alpha, greedy, 100 new tokens.
NUM_FRAMES=16 VIDEO_SOURCE_FPS=3 swift infer --model "$PLLAVA_DIR" --model_type pllava --template pllava_eval \
    --model_kwargs "{\"PLLAVA_LORA_ALPHA\": $ALPHA}" --infer_backend "$BACKEND" --torch_dtype bfloat16 \
    --val_dataset "$OUT/rows.jsonl" --temperature 0 --max_new_tokens 100 --max_batch_size 8 \
    --result_path "$OUT/results.jsonl"
swift-video eval mvbench --results "$OUT/results.jsonl" --lora-alpha "$ALPHA" -o "$OUT/report.json"
python - "$OUT/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
print(f"MVBench Avg {report['scores']['table']['Avg']:.1f} (paper: 58.1 for PLLaVA-7B); "
      f"items {report['counts']}")
PY
