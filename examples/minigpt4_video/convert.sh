#!/usr/bin/env bash
# Turn a released MiniGPT4-Video checkpoint into a directory `swift ... --model_type minigpt4_video` loads.
#   CKPT=checkpoints/video_llama_checkpoint_last.pth EVA=eva_vit_g.pth LLM=/models/Llama-2-7b-chat-hf \
#     bash examples/minigpt4_video/convert.sh
# Mistral: LLM=/models/Mistral-7B-Instruct-v0.2 CKPT=checkpoints/video_mistral_checkpoint_last.pth
set -euo pipefail
: "${CKPT:?set CKPT}" "${EVA:?set EVA}" "${LLM:?set LLM}"
OUT=${OUT:-converted/minigpt4-video}
swift-video convert minigpt4-video --ckpt "$CKPT" --eva "$EVA" --llm "$LLM" -o "$OUT" --dtype bfloat16
# Or keep the LoRA separate (to continue training it): add --lora-as-adapter, then
#   swift infer --model "$OUT" --adapters "$OUT/lora_adapter"
swift infer --model "$OUT" --model_type minigpt4_video --max_new_tokens 256 --temperature 0 \
    --val_dataset "${VAL:-custom_datasets/video_qa.jsonl}"
