"""Random CogVLM2-Video checkpoints of the real architecture: tiny for tests and demos, full-size for GPU benchmarks.

Tiny: 56 px frames → 4x4 patches → 2x2 after the conv → 4 + boi + eoi = 6 tokens per frame; 2-layer EVA and Llama.
The tokenizer mirrors Llama-3's special tokens (``<|begin_of_text|>``, ``<|end_of_text|>``, and
``<|reserved_special_token_0|>`` as the pad/vision-slot token).
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import GenerationConfig

from ...common.checkpoint import save_random_model
from ...common.tokenizer import train_tiny_tokenizer
from .configuration_cogvlm2_video import CogVLM2VideoConfig
from .modeling_cogvlm2_video import CogVLM2VideoForCausalLM
from .processing_cogvlm2_video import CogVLM2VideoProcessor

BOS, EOS, PAD = '<|begin_of_text|>', '<|end_of_text|>', '<|reserved_special_token_0|>'


TINY_DIMS = {'hidden_size': 64, 'intermediate_size': 128, 'num_hidden_layers': 2, 'num_attention_heads': 4,
             'num_multi_query_heads': 2, 'max_position_embeddings': 4096,
             'vision_config': {'hidden_size': 32, 'intermediate_size': 64, 'num_hidden_layers': 2, 'num_heads': 2}}
# the configuration's defaults are the released model's (cogvlm2-video-llama3), its vocabulary included
FULL_DIMS = {'vocab_size': CogVLM2VideoConfig.vocab_size, 'vision_config': {}}


def build_tiny(output_dir: str | Path, *, image_size: int = 56, seed: int = 0, dims: dict | None = None,
               device: str = 'cpu', dtype: torch.dtype = torch.float32) -> Path:
    """Config, safetensors, tokenizer and processor; ``dims`` replaces the layer sizes (see :data:`FULL_DIMS`); the
    vocabulary is the tiny tokenizer's unless ``dims`` sets ``vocab_size``."""
    output_dir = Path(output_dir)
    dims = TINY_DIMS if dims is None else dims
    # Numbers 0-99 as standalone texts so, like Llama-3's tokenizer, each ordinal timestamp is one token.
    tokenizer = train_tiny_tokenizer(special_tokens=[BOS, EOS, PAD], bos_token=BOS, eos_token=EOS, pad_token=PAD,
                                     corpus=[str(i) for i in range(100)] * 5, vocab_size=600)
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in (BOS, EOS, PAD)}
    text_dims = {k: v for k, v in dims.items() if k != 'vision_config'}
    config = CogVLM2VideoConfig(
        **{'vocab_size': len(tokenizer), **text_dims},
        vision_config={**dims['vision_config'], 'patch_size': 14, 'image_size': image_size},
        bos_token_id=ids[BOS], eos_token_id=ids[EOS], pad_token_id=ids[PAD])
    config.architectures = ['CogVLM2VideoForCausalLM']
    save_random_model(CogVLM2VideoForCausalLM, config, output_dir, device=device, dtype=dtype, seed=seed)
    CogVLM2VideoProcessor(tokenizer, image_size=image_size,
                          tokens_per_frame=config.tokens_per_frame).save_pretrained(output_dir)
    GenerationConfig(bos_token_id=ids[BOS], eos_token_id=ids[EOS], pad_token_id=ids[PAD]).save_pretrained(output_dir)
    return output_dir


def build_full_size(output_dir: str | Path, *, device: str = 'cuda', dtype: torch.dtype = torch.bfloat16) -> Path:
    """CogVLM2-Video-Llama3's architecture (12.5B) with random weights, 224 px frames, for GPU benchmarks."""
    return build_tiny(output_dir, image_size=224, dims=FULL_DIMS, device=device, dtype=dtype)


def build_standin(output_dir: str | Path) -> Path:
    """CogVLM2-Video's geometry (224 px frames, 66 tokens per frame) with tiny layers, for the planner."""
    return build_tiny(output_dir, image_size=224)
