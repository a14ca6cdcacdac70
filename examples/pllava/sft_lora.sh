#!/usr/bin/env bash
# PLLaVA's training recipe (arXiv 2404.16994, §3.2) with plain `swift sft`, on one GPU:
#   LoRA r=128, alpha=32, dropout 0.05 on the LLM's q_proj/v_proj; the projector fully trained
#   (modules_to_save); the CLIP vision tower frozen; lr 2e-5, cosine, warmup 0.03; 16 frames pooled to
#   (16, 12, 12) = 2304 tokens per video; bf16 with gradient checkpointing.
# Data: VideoInstruct-100K through the registered preprocessor (or any jsonl with "videos", see docs/datasets.md).
#
#   MODEL=/models/pllava-7b VIDEOINSTRUCT100K_PATH=/data/VideoInstruct_Dataset.json VIDEO_ROOT=/data/videos \
#     bash examples/pllava/sft_lora.sh
set -euo pipefail
MODEL=${MODEL:-ermu2001/pllava-7b}          # a local directory works too (official or merged layout)
DATASET=${DATASET:-videoinstruct100k}       # or: custom_datasets/video_qa.jsonl (with ROOT_IMAGE_DIR)
OUTPUT=${OUTPUT:-output/pllava-lora}
export NUM_FRAMES=${NUM_FRAMES:-16}

swift sft \
    --model "$MODEL" --model_type pllava \
    --dataset "$DATASET" \
    --tuner_type lora --lora_rank 128 --lora_alpha 32 --lora_dropout 0.05 \
    --target_regex '^model\.language_model.*\.(q_proj|v_proj)$' \
    --modules_to_save multi_modal_projector \
    --freeze_vit true \
    --learning_rate 2e-5 --lr_scheduler_type cosine --warmup_ratio 0.03 --weight_decay 0.02 \
    --num_train_epochs 1 --per_device_train_batch_size 1 --gradient_accumulation_steps 16 \
    --torch_dtype bfloat16 --gradient_checkpointing true \
    --max_length 4096 --truncation_strategy delete \
    --dataloader_num_workers 4 --save_steps 500 --save_total_limit 2 --logging_steps 10 \
    --output_dir "$OUTPUT" "$@"
