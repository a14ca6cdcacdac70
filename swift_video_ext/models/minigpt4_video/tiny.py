"""A tiny random MiniGPT4-Video checkpoint (BLIP-2/EVA vision + Llama or Mistral, small dims)."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import GenerationConfig

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


def build_tiny(output_dir: str | Path, *, family: str = 'llama2', num_frames: int = 6,
               max_subtitle_words: int = 12, image_size: int = 56, seed: int = 0) -> Path:
    """56 px frames → 16 patches → 4 tokens per frame; ``num_frames`` and the word budget are kept small."""
    output_dir = Path(output_dir)
    tokenizer = tiny_tokenizer()
    config = MiniGPT4VideoConfig(vision_config={**TINY_VISION, 'image_size': image_size},
                                 text_config=tiny_text_config(tokenizer, family),
                                 image_token_id=tokenizer.unk_token_id, num_frames=num_frames,
                                 max_subtitle_words=max_subtitle_words, max_context_len=4096)
    config.dtype = 'float32'
    torch.manual_seed(seed)
    MiniGPT4VideoForConditionalGeneration(config).float().save_pretrained(output_dir)
    MiniGPT4VideoProcessor(tokenizer, image_size=image_size, tokens_per_frame=config.tokens_per_frame,
                           image_token_id=config.image_token_id, num_frames=num_frames,
                           max_subtitle_words=max_subtitle_words).save_pretrained(output_dir)
    GenerationConfig(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                     pad_token_id=tokenizer.eos_token_id).save_pretrained(output_dir)
    return output_dir


def build_standin(output_dir: str | Path, family: str = 'llama2') -> Path:
    """MiniGPT4-Video's geometry (224 px frames → 64 tokens, 45 / 90 frames, 400 / 800 subtitle words) with tiny
    layers, for the planner."""
    defaults = FAMILY_DEFAULTS[family]
    return build_tiny(output_dir, family=family, num_frames=defaults['num_frames'],
                      max_subtitle_words=defaults['max_subtitle_words'], image_size=224)
