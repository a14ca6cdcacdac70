#!/usr/bin/env bash
# The published recipe of the Gemma-4-E4B action-recognition adapter, with plain `swift sft`:
# LoRA r=16, alpha=32, dropout 0.05 on q,k,v,o,gate,up,down of the TEXT layers only (vision tower and projector
# frozen), bf16, DeepSpeed ZeRO-2, paged_adamw_8bit (needs bitsandbytes), lr 2e-4, weight decay 0, warmup 0.03,
# cosine, 3 epochs, batch 1 x grad-accum 8, gradient checkpointing, save every 200 steps keeping 2.
# Data: 4 sequential frames per clip (kinetic_3K.json format) through the registered `kinetics_frames` dataset.
#   FRAMES=/data/k400_frames NPROC_PER_NODE=1 bash examples/gemma4_kinetics/sft_lora.sh
set -euo pipefail
MODEL=${MODEL:-google/gemma-4-E4B-it}
FRAMES=${FRAMES:?set FRAMES to the extract-frames output folder}
OUTPUT=${OUTPUT:-output/gemma4-e4b-kinetics}
export KINETICS_FRAMES_PATH=$FRAMES/kinetics_frames_train.json KINETICS_FRAMES_ROOT=$FRAMES
export NPROC_PER_NODE=${NPROC_PER_NODE:-1}

swift sft \
    --model "$MODEL" --model_type gemma4 --template gemma4_nothinking \
    --dataset kinetics_frames \
    --tuner_type lora --lora_rank 16 --lora_alpha 32 --lora_dropout 0.05 \
    --target_regex '^model\.language_model\.layers\.\d+\.(self_attn\.(q|k|v|o)_proj|mlp\.(gate|up|down)_proj)$' \
    --freeze_vit true --freeze_aligner true \
    --torch_dtype bfloat16 --deepspeed zero2 --optim paged_adamw_8bit \
    --learning_rate 2e-4 --weight_decay 0 --warmup_ratio 0.03 --lr_scheduler_type cosine \
    --num_train_epochs 3 --per_device_train_batch_size 1 --gradient_accumulation_steps 8 \
    --gradient_checkpointing true \
    --save_steps 200 --save_total_limit 2 --logging_steps 10 \
    --max_length 2048 --dataloader_num_workers 4 \
    --output_dir "$OUTPUT" "$@"
