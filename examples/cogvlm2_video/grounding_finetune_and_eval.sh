#!/usr/bin/env bash
# Temporal grounding: fine-tune on Charades-STA train, predict on Charades-STA test, score R@1@IoU and mIoU.
#   CHARADES_TRAIN=/data/charades_sta_train.txt CHARADES_TEST=/data/charades_sta_test.txt \
#   VIDEO_ROOT=/data/Charades_v1_480 bash examples/cogvlm2_video/grounding_finetune_and_eval.sh
# Charades clips are ~30 s: the chat sampler sees the first 24 s. To cover whole clips with real-second timestamps
# (a departure from the official layout), add: VIDEO_STRATEGY=fps FPS=0.75 FPS_MAX_FRAMES=24 COGVLM2_TIMESTAMPS=seconds
set -euo pipefail
MODEL=${MODEL:-THUDM/cogvlm2-video-llama3-chat}
OUTPUT=${OUTPUT:-output/cogvlm2-grounding}
: "${CHARADES_TRAIN:?set CHARADES_TRAIN}" "${CHARADES_TEST:?set CHARADES_TEST}" "${VIDEO_ROOT:?set VIDEO_ROOT}"

CHARADES_STA_PATH=$CHARADES_TRAIN swift sft \
    --model "$MODEL" --model_type cogvlm2_video_ts --dataset charades_sta \
    --tuner_type lora --target_modules all-linear --lora_rank 8 --lora_alpha 32 \
    --torch_dtype bfloat16 --gradient_checkpointing true \
    --learning_rate 1e-4 --num_train_epochs 2 --per_device_train_batch_size 1 --gradient_accumulation_steps 16 \
    --max_length 2048 --save_steps 500 --save_total_limit 1 --output_dir "$OUTPUT" "$@"

CKPT=$(ls -d "$OUTPUT"/v*/checkpoint-* | grep -v merged | sort -t- -k2 -n | tail -1)
RESULT=$OUTPUT/charades_test_predictions.jsonl
CHARADES_STA_PATH=$CHARADES_TEST swift infer --adapters "$CKPT" --val_dataset charades_sta \
    --max_new_tokens 32 --temperature 0 --max_batch_size 8 --result_path "$RESULT"
swift-video eval grounding --results "$RESULT"
