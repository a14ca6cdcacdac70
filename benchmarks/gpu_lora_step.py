"""LoRA training step time and peak memory of full-size configs with random weights (no download needed).

One GPU, batch 1, bf16, AdamW on the LoRA and fully trained modules, gradient checkpointing as asked:
    python benchmarks/gpu_lora_step.py --model-type pllava --variant pooled     # (16,12,12) = 2304 tokens/video
    python benchmarks/gpu_lora_step.py --model-type pllava --variant unpooled   # (16,24,24) = 9216 tokens/video
Prints one JSON line per run (step time median over --steps after --warmup, samples/s, peak GiB) and, with
--markdown FILE, appends a table row. ``--tiny --device cpu`` runs the same code path on a tiny config (CI smoke).
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from swift_video_ext.common.checkpoint import random_model  # noqa: E402


@dataclass
class Case:
    model: torch.nn.Module
    batch: dict
    lora_regex: str
    modules_to_save: list[str]
    lora_rank: int
    lora_alpha: int
    description: str


def pllava_case(variant: str, tiny: bool, frames: int, device: str, dtype: torch.dtype) -> Case:
    from swift_video_ext.models.pllava import PllavaConfig, PllavaForConditionalGeneration

    pooling = {'pooled': [frames, 12, 12], 'unpooled': [frames, 24, 24]}[variant]
    if tiny:
        vision = {'hidden_size': 32, 'intermediate_size': 64, 'num_hidden_layers': 2, 'num_attention_heads': 4,
                  'image_size': 56, 'patch_size': 14}
        text = {'vocab_size': 512, 'hidden_size': 64, 'intermediate_size': 128, 'num_hidden_layers': 2,
                'num_attention_heads': 4, 'num_key_value_heads': 4}
        pooling = [frames, 2, 2] if variant == 'pooled' else [frames, 4, 4]
        image_size = 56
    else:  # PLLaVA-7B: CLIP ViT-L/14-336 + Vicuna-7B
        vision = {'hidden_size': 1024, 'intermediate_size': 4096, 'num_hidden_layers': 24, 'num_attention_heads': 16,
                  'image_size': 336, 'patch_size': 14, 'projection_dim': 768}
        text = {'vocab_size': 32064, 'hidden_size': 4096, 'intermediate_size': 11008, 'num_hidden_layers': 32,
                'num_attention_heads': 32, 'num_key_value_heads': 32, 'max_position_embeddings': 16384}
        image_size = 336
    config = PllavaConfig(vision_config=vision, text_config=text, image_token_index=text['vocab_size'] - 1,
                          num_frames=frames, pooling_shape=pooling)
    model = random_model(PllavaForConditionalGeneration, config, device=device, dtype=dtype)
    tokens = config.tokens_per_video
    text_tokens = 128
    input_ids = torch.randint(3, text['vocab_size'] - 2, (1, tokens + text_tokens), device=device)
    input_ids[0, 4:4 + tokens] = config.image_token_index
    labels = input_ids.clone()
    labels[0, :4 + tokens + 32] = -100
    batch = {'input_ids': input_ids, 'labels': labels, 'attention_mask': torch.ones_like(input_ids),
             'pixel_values': torch.randn(frames, 3, image_size, image_size, device=device, dtype=dtype),
             'frames_per_media': torch.tensor([frames], device=device)}
    name = 'tiny PLLaVA' if tiny else 'PLLaVA-7B'
    return Case(model, batch, r'^model\.language_model.*\.(q_proj|v_proj)$', ['multi_modal_projector'], 128, 32,
                f'{name}, {frames} frames, pooling {pooling} = {tokens} tokens/video, +{text_tokens} text tokens')


def cogvlm2_video_case(variant: str, tiny: bool, frames: int, device: str, dtype: torch.dtype) -> Case:
    from swift_video_ext.models.cogvlm2_video import CogVLM2VideoConfig, CogVLM2VideoForCausalLM

    if tiny:
        config = CogVLM2VideoConfig(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                    num_attention_heads=4, num_multi_query_heads=2, pad_token_id=2, bos_token_id=0,
                                    eos_token_id=1,
                                    vision_config={'hidden_size': 32, 'intermediate_size': 64, 'num_hidden_layers': 2,
                                                   'num_heads': 2, 'image_size': 56})
    else:  # the released model's dims (config.json of THUDM/cogvlm2-video-llama3-chat)
        config = CogVLM2VideoConfig()
    model = random_model(CogVLM2VideoForCausalLM, config, device=device, dtype=dtype)
    tokens, text_tokens, answer_tokens = config.tokens_per_frame, 48, 64
    ids, types = [config.bos_token_id], [0]
    for t in range(frames):  # chat layout: vision slots, then one timestamp token
        ids += [config.pad_token_id] * tokens + [100 + t]
        types += [1] * tokens + [0]
    ids += [300 + i for i in range(text_tokens + answer_tokens)]
    types += [0] * (text_tokens + answer_tokens)
    input_ids = torch.tensor([ids], device=device)
    labels = input_ids.clone()
    labels[0, :-answer_tokens] = -100
    size = config.vision_config.image_size
    batch = {'input_ids': input_ids, 'token_type_ids': torch.tensor([types], device=device), 'labels': labels,
             'attention_mask': torch.ones_like(input_ids),
             'pixel_values': torch.randn(frames, 3, size, size, device=device, dtype=dtype)}
    name = 'tiny CogVLM2-Video' if tiny else 'CogVLM2-Video-Llama3 (12.5B)'
    regex = r'^model\.layers.*\.(language_expert_query_key_value|language_expert_dense|gate_proj|up_proj|down_proj)$'
    return Case(model, batch, regex, [], 8, 32,
                f'{name}, {frames} frames x {tokens} tokens + timestamps, {len(ids)} tokens, LoRA r8 on the LLM')


def minigpt4_video_case(variant: str, tiny: bool, frames: int, device: str, dtype: torch.dtype) -> Case:
    from swift_video_ext.models.minigpt4_video import MiniGPT4VideoConfig, MiniGPT4VideoForConditionalGeneration

    if tiny:
        config = MiniGPT4VideoConfig(
            vision_config={'hidden_size': 32, 'intermediate_size': 64, 'num_hidden_layers': 2,
                           'num_attention_heads': 4, 'image_size': 56},
            text_config={'model_type': 'llama', 'vocab_size': 512, 'hidden_size': 64, 'intermediate_size': 128,
                         'num_hidden_layers': 2, 'num_attention_heads': 4})
    else:  # EVA ViT-g/14 (39 blocks) + Llama-2-7b-chat
        config = MiniGPT4VideoConfig(text_config={'model_type': 'llama', 'vocab_size': 32000, 'hidden_size': 4096,
                                                  'intermediate_size': 11008, 'num_hidden_layers': 32,
                                                  'num_attention_heads': 32, 'max_position_embeddings': 4096})
    model = random_model(MiniGPT4VideoForConditionalGeneration, config, device=device, dtype=dtype)
    tokens, caption_tokens, answer_tokens = config.tokens_per_frame, 6, 128
    ids = [1]
    for t in range(frames):  # <Img><ImageHere><Cap>{words} per frame
        ids += [3, 4, 5] + [config.image_token_id] * tokens + [6 + t % 100] * caption_tokens
    ids += [200 + i % 200 for i in range(32 + answer_tokens)]
    input_ids = torch.tensor([ids], device=device)
    labels = input_ids.clone()
    labels[0, :-answer_tokens] = -100
    size = config.vision_config.image_size
    batch = {'input_ids': input_ids, 'labels': labels, 'attention_mask': torch.ones_like(input_ids),
             'pixel_values': torch.randn(frames, 3, size, size, device=device, dtype=dtype)}
    name = 'tiny MiniGPT4-Video' if tiny else 'MiniGPT4-Video Llama-2-7B'
    return Case(model, batch, r'^language_model.*\.(q_proj|v_proj)$', ['llama_proj'], 64, 16,
                f'{name}, {frames} frames x {tokens} tokens + subtitles, {len(ids)} tokens, LoRA r64 q/v + projector')


def gemma4_case(variant: str, tiny: bool, frames: int, device: str, dtype: torch.dtype,
                config_json: str | None = None) -> Case:
    """Gemma-4 on 4-frame rows: the images through ms-swift's real gemma4 template and processor (tiny checkpoint
    written to a temporary folder for its processor), full-size text/vision dims from ``--config`` (the E4B's
    config.json; no weights needed) or transformers' defaults."""
    import json
    import tempfile

    import numpy as np
    from transformers import Gemma4Config, Gemma4ForConditionalGeneration

    from swift_video_ext.models.gemma4.tiny import build_tiny

    processor_dir = build_tiny(Path(tempfile.mkdtemp()) / 'gemma4-processor')
    if tiny:
        config = Gemma4Config.from_pretrained(processor_dir)
    elif config_json:
        config = Gemma4Config.from_dict(json.loads(Path(config_json).read_text()))
    else:
        config = Gemma4Config()
    model = random_model(Gemma4ForConditionalGeneration, config, device=device, dtype=dtype)
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(processor_dir)
    rng = np.random.default_rng(0)
    frames_list = [rng.integers(0, 256, (256, 340, 3), dtype=np.uint8) for _ in range(frames)]
    media = processor(text='\n'.join(['<|image|>'] * frames), images=frames_list, return_tensors='pt',
                      add_special_tokens=False)
    image_tokens = int((media['input_ids'] == processor.image_token_id).sum())
    answer_tokens, prompt_tokens = 16, 40
    tok = processor.tokenizer
    ids = [tok.bos_token_id] + [5] * prompt_tokens + [config.image_token_id] * image_tokens + [6] * answer_tokens
    input_ids = torch.tensor([ids], device=device)
    labels = input_ids.clone()
    labels[0, :-answer_tokens] = -100
    batch = {'input_ids': input_ids, 'labels': labels, 'attention_mask': torch.ones_like(input_ids),
             'pixel_values': media['pixel_values'].to(device, dtype),
             'image_position_ids': media['image_position_ids'].to(device)}
    name = 'tiny Gemma-4' if tiny else ('Gemma-4 (' + (Path(config_json).parent.name if config_json else
                                                       'transformers defaults') + ')')
    regex = r'^model\.language_model\.layers\.\d+\.(self_attn\.(q|k|v|o)_proj|mlp\.(gate|up|down)_proj)$'
    return Case(model, batch, regex, [], 16, 32,
                f'{name}, {frames} frames = {image_tokens} image tokens, {len(ids)} tokens, LoRA r16 text layers')


CASES = {'pllava': pllava_case, 'cogvlm2_video_ts': cogvlm2_video_case, 'minigpt4_video': minigpt4_video_case,
         'gemma4': gemma4_case}


def run(args) -> dict:
    from peft import LoraConfig, get_peft_model

    dtype = torch.bfloat16 if args.dtype == 'bf16' else torch.float32
    extra = {'config_json': args.config} if args.model_type == 'gemma4' else {}
    case = CASES[args.model_type](args.variant, args.tiny, args.frames, args.device, dtype, **extra)
    # identical samples: token tensors stack on the batch axis, frame tensors on the frame axis
    case.batch = {k: torch.cat([v] * args.batch_size) for k, v in case.batch.items()}
    model = case.model
    if args.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={'use_reentrant': False})
        model.enable_input_require_grads()
    model = get_peft_model(model, LoraConfig(r=case.lora_rank, lora_alpha=case.lora_alpha, lora_dropout=0.05,
                                             target_modules=case.lora_regex, modules_to_save=case.modules_to_save))
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=2e-5)
    cuda = args.device.startswith('cuda')
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    times = []
    for step in range(args.warmup + args.steps):
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        loss = model(**case.batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if cuda:
            torch.cuda.synchronize()
        if step >= args.warmup:
            times.append(time.perf_counter() - start)
    step_s = statistics.median(times)
    return {
        'model_type': args.model_type, 'variant': args.variant, 'description': case.description,
        'gradient_checkpointing': args.gradient_checkpointing, 'dtype': args.dtype, 'batch_size': args.batch_size,
        'step_s': round(step_s, 4), 'samples_per_s': round(args.batch_size / step_s, 3),
        'peak_gib': round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
        'trainable_params_m': round(sum(p.numel() for p in trainable) / 1e6, 2),
        'device': torch.cuda.get_device_name() if cuda else 'cpu', 'loss': round(float(loss), 4),
        'date': datetime.date.today().isoformat(), 'tiny': args.tiny,
    }


def sweep(args) -> list[dict]:
    """Every (batch size, gradient checkpointing) setting that fits in memory, printed as it finishes."""
    import copy

    results = []
    for checkpointing in (False, True):
        for batch_size in (1, 2, 4, 8):
            trial = copy.copy(args)
            trial.batch_size, trial.gradient_checkpointing = batch_size, checkpointing
            try:
                result = run(trial)
            except torch.OutOfMemoryError:
                print(json.dumps({'batch_size': batch_size, 'gradient_checkpointing': checkpointing, 'oom': True}))
                break
            finally:
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
            print(json.dumps(result))
            results.append(result)
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model-type', choices=sorted(CASES), default='pllava')
    parser.add_argument('--variant', default='pooled')
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--dtype', choices=['bf16', 'fp32'], default='bf16')
    parser.add_argument('--device', default='cuda')
    parser.add_argument('--gradient-checkpointing', action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument('--tiny', action='store_true', help='tiny config (CPU smoke test of the script)')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--config', help='gemma4: a config.json with the real dims (e.g. google/gemma-4-E4B-it)')
    parser.add_argument('--sweep', action='store_true', help='try batch 1/2/4/8 x checkpointing on/off, report all '
                        'that fit and the fastest')
    parser.add_argument('--markdown', help='append a table row to this markdown file')
    args = parser.parse_args(argv)
    if args.sweep:
        results = sweep(args)
        result = max(results, key=lambda r: r['samples_per_s'])
        print(json.dumps({'fastest': result}))
    else:
        result = run(args)
        print(json.dumps(result))
    if args.markdown:
        with open(args.markdown, 'a') as f:
            f.write(f"| {result['date']} | {result['device']} | {result['description']} | "
                    f"{'on' if result['gradient_checkpointing'] else 'off'} | {result['step_s']} | "
                    f"{result['samples_per_s']} | {result['peak_gib']} |\n")


if __name__ == '__main__':
    main()
