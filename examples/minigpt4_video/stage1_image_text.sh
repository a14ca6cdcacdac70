#!/usr/bin/env bash
# Stage 1, image-text alignment: LLM and EVA frozen, only the projector (llama_proj) trained.
# Data: image rows ({"messages": [user "<image>{instruction}", assistant "{caption}"], "images": [...]}).
# Start from a converted directory (examples/minigpt4_video/convert.sh with image_llama2_checkpoint.pth) or from
# EVA + a plain LLM.
set -euo pipefail
MODEL=${MODEL:?set MODEL to a minigpt4_video directory}
DATASET=${DATASET:?set DATASET to an image-caption jsonl}
OUTPUT=${OUTPUT:-output/minigpt4-stage1}
swift sft \
    --model "$MODEL" --model_type minigpt4_video --dataset "$DATASET" \
    --tuner_type full --freeze_llm true --freeze_vit true --freeze_aligner false \
    --learning_rate 3e-5 --lr_scheduler_type cosine --warmup_ratio 0.05 --weight_decay 0.05 \
    --num_train_epochs 1 --per_device_train_batch_size 12 --gradient_accumulation_steps 1 \
    --torch_dtype bfloat16 --gradient_checkpointing true --max_length 512 \
    --save_steps 1000 --save_total_limit 1 --output_dir "$OUTPUT" "$@"
