#!/usr/bin/env bash
# Stage 3, video instruction tuning on VideoInstruct-100K (subtitles used when present, e.g. SUBTITLE_ROOT=/data/
# videoinstruct_subtitles): LoRA + projector again, starting from stage 2's merged export.
#   MODEL=output/minigpt4-stage2/v0-.../checkpoint-N-merged VIDEOINSTRUCT100K_PATH=/data/VideoInstruct_Dataset.json \
#   VIDEO_ROOT=/data/activitynet_videos bash examples/minigpt4_video/stage3_video_qa.sh
set -euo pipefail
MODEL=${MODEL:?set MODEL to stage 2 merged}
OUTPUT=${OUTPUT:-output/minigpt4-stage3}
swift sft \
    --model "$MODEL" --model_type minigpt4_video --dataset videoinstruct100k \
    --tuner_type lora --lora_rank 64 --lora_alpha 16 --lora_dropout 0.05 \
    --target_regex '^language_model.*\.(q_proj|v_proj)$' --modules_to_save llama_proj \
    --learning_rate 1e-4 --lr_scheduler_type cosine --warmup_ratio 0.02 --weight_decay 0.05 \
    --num_train_epochs 1 --per_device_train_batch_size 4 --gradient_accumulation_steps 1 \
    --torch_dtype bfloat16 --gradient_checkpointing true --max_length 3900 \
    --dataloader_num_workers 4 --save_steps 1000 --save_total_limit 2 --output_dir "$OUTPUT" "$@"
