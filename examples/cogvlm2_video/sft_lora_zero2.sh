#!/usr/bin/env bash
# The same LoRA SFT on 4 GPUs with DeepSpeed ZeRO-2 (pip install 'swift-video-ext[deepspeed]').
set -euo pipefail
MODEL=${MODEL:-THUDM/cogvlm2-video-llama3-chat}
DATASET=${DATASET:-custom_datasets/video_qa_query_response.jsonl}
OUTPUT=${OUTPUT:-output/cogvlm2-video-lora-zero2}
export NPROC_PER_NODE=${NPROC_PER_NODE:-4}

swift sft \
    --model "$MODEL" --model_type cogvlm2_video_ts \
    --dataset "$DATASET" \
    --tuner_type lora --target_modules all-linear --lora_rank 8 --lora_alpha 32 --lora_dropout 0.05 \
    --torch_dtype bfloat16 --gradient_checkpointing true --deepspeed zero2 \
    --learning_rate 1e-4 --lr_scheduler_type cosine --warmup_ratio 0.05 \
    --num_train_epochs 3 --per_device_train_batch_size 1 --gradient_accumulation_steps 4 \
    --max_length 2048 --dataloader_num_workers 4 \
    --save_steps 200 --save_total_limit 2 --logging_steps 10 \
    --output_dir "$OUTPUT" "$@"
