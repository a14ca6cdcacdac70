"""A tiny random PLLaVA checkpoint of the real architecture (CLIP ViT + Llama, small dims) for tests and demos."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import CLIPImageProcessor, GenerationConfig

from ...common.tokenizer import train_tiny_tokenizer
from .configuration_pllava import PllavaConfig
from .modeling_pllava import PllavaForConditionalGeneration
from .processing_pllava import PllavaProcessor


def build_tiny(output_dir: str | Path, *, num_frames: int = 4, pooling_shape=(4, 2, 2), image_size: int = 56,
               chatml: bool = False, seed: int = 0) -> Path:
    """Write config, float32 safetensors, a locally trained tokenizer and processor files to ``output_dir``.

    Defaults: 56 px frames (4x4 patches of 14 px), 4 frames pooled to (4, 2, 2) = 16 tokens per video.
    """
    output_dir = Path(output_dir)
    specials = ['<unk>', '<s>', '</s>', '<pad>', '<image>'] + (['<|im_start|>', '<|im_end|>'] if chatml else [])
    tokenizer = train_tiny_tokenizer(special_tokens=specials, bos_token='<s>',
                                     eos_token='<|im_end|>' if chatml else '</s>', pad_token='<pad>',
                                     unk_token='<unk>', extra_special_tokens=specials[4:])
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in ('<s>', '<pad>', '<image>')}
    config = PllavaConfig(
        vision_config={'hidden_size': 32, 'intermediate_size': 64, 'num_hidden_layers': 2, 'num_attention_heads': 4,
                       'image_size': image_size, 'patch_size': 14},
        text_config={'vocab_size': len(tokenizer), 'hidden_size': 64, 'intermediate_size': 128,
                     'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 2,
                     'max_position_embeddings': 4096, 'bos_token_id': ids['<s>'],
                     'eos_token_id': tokenizer.eos_token_id, 'pad_token_id': ids['<pad>']},
        image_token_index=ids['<image>'], num_frames=num_frames, pooling_shape=list(pooling_shape),
        pad_token_id=ids['<pad>'])
    config.dtype = 'float32'
    torch.manual_seed(seed)
    model = PllavaForConditionalGeneration(config).float()
    model.save_pretrained(output_dir)
    image_processor = CLIPImageProcessor(size={'shortest_edge': image_size},
                                         crop_size={'height': image_size, 'width': image_size})
    PllavaProcessor(image_processor, tokenizer, num_frames=num_frames,
                    pooling_shape=pooling_shape).save_pretrained(output_dir)
    GenerationConfig(bos_token_id=ids['<s>'], eos_token_id=tokenizer.eos_token_id,
                     pad_token_id=ids['<pad>']).save_pretrained(output_dir)
    return output_dir


def build_standin(output_dir: str | Path) -> Path:
    """PLLaVA-7B's geometry (16 frames of 336 px, pooling (16, 12, 12) = 2304 tokens) with tiny layers: token
    counts of the released models for the planner, without their weights."""
    return build_tiny(output_dir, num_frames=16, pooling_shape=(16, 12, 12), image_size=336)
