"""Random PLLaVA checkpoints of the real architecture (CLIP ViT + Llama): tiny for tests and demos, full-size for
GPU benchmarks."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import CLIPImageProcessor, GenerationConfig

from ...common.checkpoint import save_random_model
from ...common.tokenizer import train_tiny_tokenizer
from .configuration_pllava import PllavaConfig
from .modeling_pllava import PllavaForConditionalGeneration
from .processing_pllava import PllavaProcessor

TINY_DIMS = {'vision': {'hidden_size': 32, 'intermediate_size': 64, 'num_hidden_layers': 2, 'num_attention_heads': 4},
             'text': {'hidden_size': 64, 'intermediate_size': 128, 'num_hidden_layers': 2, 'num_attention_heads': 4,
                      'num_key_value_heads': 2, 'max_position_embeddings': 4096}}
# PLLaVA-7B: CLIP ViT-L/14-336 + Vicuna-7B (llava-v1.6-vicuna-7b's dims)
FULL_DIMS = {'vision': {'hidden_size': 1024, 'intermediate_size': 4096, 'num_hidden_layers': 24,
                        'num_attention_heads': 16, 'projection_dim': 768},
             'text': {'vocab_size': 32064, 'hidden_size': 4096, 'intermediate_size': 11008, 'num_hidden_layers': 32,
                      'num_attention_heads': 32, 'num_key_value_heads': 32, 'max_position_embeddings': 4096}}


def build_tiny(output_dir: str | Path, *, num_frames: int = 4, pooling_shape=(4, 2, 2), image_size: int = 56,
               chatml: bool = False, seed: int = 0, dims: dict | None = None, device: str = 'cpu',
               dtype: torch.dtype = torch.float32) -> Path:
    """Write config, safetensors, a locally trained tokenizer and processor files to ``output_dir``.

    Defaults: 56 px frames (4x4 patches of 14 px), 4 frames pooled to (4, 2, 2) = 16 tokens per video, float32.
    ``dims`` replaces the layer sizes (see :data:`FULL_DIMS`).
    """
    output_dir = Path(output_dir)
    dims = dims or TINY_DIMS
    specials = ['<unk>', '<s>', '</s>', '<pad>', '<image>'] + (['<|im_start|>', '<|im_end|>'] if chatml else [])
    tokenizer = train_tiny_tokenizer(special_tokens=specials, bos_token='<s>',
                                     eos_token='<|im_end|>' if chatml else '</s>', pad_token='<pad>',
                                     unk_token='<unk>', extra_special_tokens=specials[4:])
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in ('<s>', '<pad>', '<image>')}
    config = PllavaConfig(
        vision_config={**dims['vision'], 'image_size': image_size, 'patch_size': 14},
        text_config={'vocab_size': len(tokenizer), **dims['text'], 'bos_token_id': ids['<s>'],
                     'eos_token_id': tokenizer.eos_token_id, 'pad_token_id': ids['<pad>']},
        image_token_index=ids['<image>'], num_frames=num_frames, pooling_shape=list(pooling_shape),
        pad_token_id=ids['<pad>'])
    save_random_model(PllavaForConditionalGeneration, config, output_dir, device=device, dtype=dtype, seed=seed)
    image_processor = CLIPImageProcessor(size={'shortest_edge': image_size},
                                         crop_size={'height': image_size, 'width': image_size})
    PllavaProcessor(image_processor, tokenizer, num_frames=num_frames,
                    pooling_shape=pooling_shape).save_pretrained(output_dir)
    GenerationConfig(bos_token_id=ids['<s>'], eos_token_id=tokenizer.eos_token_id,
                     pad_token_id=ids['<pad>']).save_pretrained(output_dir)
    return output_dir


def build_full_size(output_dir: str | Path, *, device: str = 'cuda', dtype: torch.dtype = torch.bfloat16) -> Path:
    """PLLaVA-7B's architecture with random weights (16 frames, 336 px, pooling (16, 12, 12)) for GPU benchmarks."""
    return build_tiny(output_dir, num_frames=16, pooling_shape=(16, 12, 12), image_size=336, dims=FULL_DIMS,
                      device=device, dtype=dtype)


def build_standin(output_dir: str | Path) -> Path:
    """PLLaVA-7B's geometry (16 frames of 336 px, pooling (16, 12, 12) = 2304 tokens) with tiny layers: token
    counts of the released models for the planner, without their weights."""
    return build_tiny(output_dir, num_frames=16, pooling_shape=(16, 12, 12), image_size=336)
