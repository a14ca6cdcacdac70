#!/usr/bin/env bash
# LoRA SFT of CogVLM2-Video with timestamps on a VideoChatGPT-style jsonl
# ({"query", "response", "history", "videos"} rows), one GPU. The native type keeps the official chat layout
# (one frame per second up to 24, an ordinal timestamp token after each frame) and loads the official weights
# without remote code. Gradient checkpointing works here (the original code does not support it).
#   MODEL=/models/cogvlm2-video-llama3-chat DATASET=/data/videochatgpt.jsonl bash examples/cogvlm2_video/sft_lora.sh
set -euo pipefail
MODEL=${MODEL:-THUDM/cogvlm2-video-llama3-chat}
DATASET=${DATASET:-custom_datasets/video_qa_query_response.jsonl}
OUTPUT=${OUTPUT:-output/cogvlm2-video-lora}

swift sft \
    --model "$MODEL" --model_type cogvlm2_video_ts \
    --dataset "$DATASET" \
    --tuner_type lora --target_modules all-linear --lora_rank 8 --lora_alpha 32 --lora_dropout 0.05 \
    --freeze_vit true --freeze_aligner true \
    --torch_dtype bfloat16 --gradient_checkpointing true \
    --learning_rate 1e-4 --lr_scheduler_type cosine --warmup_ratio 0.05 \
    --num_train_epochs 3 --per_device_train_batch_size 1 --gradient_accumulation_steps 16 \
    --max_length 2048 --dataloader_num_workers 4 \
    --save_steps 200 --save_total_limit 2 --logging_steps 10 \
    --output_dir "$OUTPUT" "$@"
