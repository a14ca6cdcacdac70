"""Random MiniGPT4-Video checkpoints (BLIP-2/EVA vision + Llama or Mistral): tiny for tests, full-size for GPU
benchmarks."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import GenerationConfig

from ...common.checkpoint import save_random_model
from ...common.tokenizer import train_tiny_tokenizer
from .configuration_minigpt4_video import FAMILY_DEFAULTS, MiniGPT4VideoConfig
from .modeling_minigpt4_video import MiniGPT4VideoForConditionalGeneration
from .processing_minigpt4_video import MiniGPT4VideoProcessor

TINY_VISION = {'hidden_size': 32, 'intermediate_size': 64, 'num_hidden_layers': 2, 'num_attention_heads': 4,
               'image_size': 56, 'patch_size': 14}


def tiny_tokenizer():
    return train_tiny_tokenizer(special_tokens=['<unk>', '<s>', '</s>'], bos_token='<s>', eos_token='</s>',
                                pad_token='</s>', unk_token='<unk>')


def tiny_text_config(tokenizer, family: str = 'llama2') -> dict:
    return {'model_type': 'mistral' if family == 'mistral' else 'llama', 'vocab_size': len(tokenizer),
            'hidden_size': 64, 'intermediate_size': 128, 'num_hidden_layers': 2, 'num_attention_heads': 4,
            'num_key_value_heads': 2 if family == 'mistral' else 4, 'max_position_embeddings': 8192,
            'bos_token_id': tokenizer.bos_token_id, 'eos_token_id': tokenizer.eos_token_id}


# MiniGPT4-Video: EVA ViT-g/14 (the configuration's defaults) + Llama-2-7B-chat or Mistral-7B-Instruct-v0.2
FULL_TEXT = {'llama2': {'model_type': 'llama', 'vocab_size': 32000, 'hidden_size': 4096, 'intermediate_size': 11008,
                        'num_hidden_layers': 32, 'num_attention_heads': 32, 'num_key_value_heads': 32,
                        'max_position_embeddings': 4096},
             'mistral': {'model_type': 'mistral', 'vocab_size': 32000, 'hidden_size': 4096, 'intermediate_size': 14336,
                         'num_hidden_layers': 32, 'num_attention_heads': 32, 'num_key_value_heads': 8,
                         'max_position_embeddings': 32768}}


def build_tiny(output_dir: str | Path, *, family: str = 'llama2', num_frames: int = 6,
               max_subtitle_words: int = 12, image_size: int = 56, seed: int = 0, full_size: bool = False,
               device: str = 'cpu', dtype: torch.dtype = torch.float32) -> Path:
    """56 px frames → 16 patches → 4 tokens per frame; ``num_frames`` and the word budget are kept small.

    ``full_size``: EVA ViT-g and the 7B LLM's dims instead of the tiny ones.
    """
    output_dir = Path(output_dir)
    tokenizer = tiny_tokenizer()
    text = {**FULL_TEXT[family], 'bos_token_id': tokenizer.bos_token_id, 'eos_token_id': tokenizer.eos_token_id} \
        if full_size else tiny_text_config(tokenizer, family)
    vision = {'image_size': image_size} if full_size else {**TINY_VISION, 'image_size': image_size}
    config = MiniGPT4VideoConfig(vision_config=vision, text_config=text, image_token_id=tokenizer.unk_token_id,
                                 num_frames=num_frames, max_subtitle_words=max_subtitle_words,
                                 max_context_len=4096)
    save_random_model(MiniGPT4VideoForConditionalGeneration, config, output_dir, device=device, dtype=dtype,
                      seed=seed)
    MiniGPT4VideoProcessor(tokenizer, image_size=image_size, tokens_per_frame=config.tokens_per_frame,
                           image_token_id=config.image_token_id, num_frames=num_frames,
                           max_subtitle_words=max_subtitle_words).save_pretrained(output_dir)
    GenerationConfig(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                     pad_token_id=tokenizer.eos_token_id).save_pretrained(output_dir)
    return output_dir


def build_full_size(output_dir: str | Path, *, family: str = 'llama2', device: str = 'cuda',
                    dtype: torch.dtype = torch.bfloat16) -> Path:
    """MiniGPT4-Video's architecture (EVA ViT-g + 7B LLM, 224 px, released frame and word budgets), random weights,
    for GPU benchmarks."""
    defaults = FAMILY_DEFAULTS[family]
    return build_tiny(output_dir, family=family, num_frames=defaults['num_frames'],
                      max_subtitle_words=defaults['max_subtitle_words'], image_size=224, full_size=True,
                      device=device, dtype=dtype)


def build_standin(output_dir: str | Path, family: str = 'llama2') -> Path:
    """MiniGPT4-Video's geometry (224 px frames → 64 tokens, 45 / 90 frames, 400 / 800 subtitle words) with tiny
    layers, for the planner."""
    defaults = FAMILY_DEFAULTS[family]
    return build_tiny(output_dir, family=family, num_frames=defaults['num_frames'],
                      max_subtitle_words=defaults['max_subtitle_words'], image_size=224)
