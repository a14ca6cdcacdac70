#!/usr/bin/env bash
# The same recipe on 8 GPUs with DeepSpeed ZeRO-2 (pip install 'swift-video-ext[deepspeed]'):
# global batch 128 = 8 GPUs x 8 per device x 2 accumulation steps, as in the paper's 7B run.
# The plugin registers itself in every torchrun worker (no --external_plugins needed).
set -euo pipefail
MODEL=${MODEL:-ermu2001/pllava-7b}
DATASET=${DATASET:-videoinstruct100k}
OUTPUT=${OUTPUT:-output/pllava-lora-zero2}
export NUM_FRAMES=${NUM_FRAMES:-16}
export NPROC_PER_NODE=${NPROC_PER_NODE:-8}

swift sft \
    --model "$MODEL" --model_type pllava \
    --dataset "$DATASET" \
    --tuner_type lora --lora_rank 128 --lora_alpha 32 --lora_dropout 0.05 \
    --target_regex '^model\.language_model.*\.(q_proj|v_proj)$' \
    --modules_to_save multi_modal_projector \
    --freeze_vit true \
    --learning_rate 2e-5 --lr_scheduler_type cosine --warmup_ratio 0.03 --weight_decay 0.02 \
    --num_train_epochs 1 --per_device_train_batch_size 8 --gradient_accumulation_steps 2 \
    --torch_dtype bfloat16 --gradient_checkpointing true \
    --deepspeed zero2 \
    --max_length 4096 --dataloader_num_workers 4 \
    --save_steps 500 --save_total_limit 2 --logging_steps 10 \
    --output_dir "$OUTPUT" "$@"
