#!/usr/bin/env bash
# Stage 2, video captioning (CMD + WebVid in the paper): LoRA r=64 alpha=16 on the LLM's q_proj/v_proj plus the
# projector, an instruction drawn per row from the captioning pool (the registered `video_captions` preprocessor),
# subtitles where present (<id>.en.vtt next to the video, or SUBTITLE_ROOT). Starts from stage 1's checkpoint.
#   MODEL=output/minigpt4-stage1/v0-.../checkpoint-N VIDEO_CAPTIONS_PATH=/data/cmd_train.json VIDEO_ROOT=/data/cmd \
#     bash examples/minigpt4_video/stage2_video_captioning.sh
set -euo pipefail
MODEL=${MODEL:?set MODEL to the stage-1 checkpoint}
OUTPUT=${OUTPUT:-output/minigpt4-stage2}
export NUM_FRAMES=${NUM_FRAMES:-45}   # 90 for Mistral (the config's default when unset)
swift sft \
    --model "$MODEL" --model_type minigpt4_video --dataset video_captions \
    --tuner_type lora --lora_rank 64 --lora_alpha 16 --lora_dropout 0.05 \
    --target_regex '^language_model.*\.(q_proj|v_proj)$' --modules_to_save llama_proj \
    --learning_rate 1e-4 --lr_scheduler_type cosine --warmup_ratio 0.02 --weight_decay 0.05 \
    --num_train_epochs 1 --per_device_train_batch_size 4 --gradient_accumulation_steps 1 \
    --torch_dtype bfloat16 --gradient_checkpointing true --max_length 3900 \
    --dataloader_num_workers 4 --save_steps 1000 --save_total_limit 2 --output_dir "$OUTPUT" "$@"
swift export --adapters "$(ls -d "$OUTPUT"/v*/checkpoint-* | grep -v merged | sort -t- -k2 -n | tail -1)" \
    --merge_lora true
