"""A tiny random Gemma-4 checkpoint: transformers' Gemma4Config / Gemma4ForConditionalGeneration with small dims,
the Gemma-4 processor (image, video, audio feature extractor) and a local tokenizer with the special tokens
ms-swift's ``gemma4`` templates use (``<bos>``, ``<|turn>``, ``<turn|>``, ``<|image|>``, ``<|video|>`` …).
No audio tower (the E4B's audio encoder is not needed for frames)."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import (
    Gemma4AudioFeatureExtractor,
    Gemma4Config,
    Gemma4ForConditionalGeneration,
    Gemma4ImageProcessor,
    Gemma4Processor,
    Gemma4VideoProcessor,
    GenerationConfig,
    PreTrainedTokenizerFast,
)

from ...common.checkpoint import save_random_model
from ...common.tokenizer import train_tiny_tokenizer

SPECIALS = ['<pad>', '<eos>', '<bos>', '<unk>', '<mask>', '<|image>', '<image|>', '<|image|>', '<|video|>',
            '<|audio>', '<audio|>', '<|audio|>', '<|turn>', '<turn|>', '<|think|>', '<|channel>', '<channel|>',
            '<|tool_response>']
NAMED = {'image_token': '<|image|>', 'boi_token': '<|image>', 'eoi_token': '<image|>', 'audio_token': '<|audio|>',
         'boa_token': '<|audio>', 'eoa_token': '<audio|>'}
MAX_SOFT_TOKENS = 70  # the smallest budget Gemma-4's image processor accepts
# Std of the tiny model's (tied) token embeddings. With the default 0.02 and hidden size 64 the output head's logits
# stay within about ±1.3 whatever the layers compute (final RMSNorm, tied weights), so LoRA on the layers cannot
# make any answer likely and greedy output ignores the images; a trained Gemma-4's logits span tens.
TINY_EMBEDDING_STD = 0.3


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    trained = train_tiny_tokenizer(special_tokens=SPECIALS, bos_token='<bos>', eos_token='<eos>', pad_token='<pad>',
                                   unk_token='<unk>', corpus=['user model system thought'])
    return PreTrainedTokenizerFast(tokenizer_object=trained.backend_tokenizer, bos_token='<bos>', eos_token='<eos>',
                                   pad_token='<pad>', unk_token='<unk>', extra_special_tokens=NAMED,
                                   model_max_length=8192)


TINY_DIMS = {
    'text': {'hidden_size': 64, 'intermediate_size': 128, 'num_hidden_layers': 2, 'num_attention_heads': 4,
             'num_key_value_heads': 2, 'head_dim': 16, 'hidden_size_per_layer_input': 8, 'sliding_window': 512,
             'max_position_embeddings': 8192, 'layer_types': ['sliding_attention', 'full_attention']},
    'vision': {'hidden_size': 32, 'intermediate_size': 64, 'num_hidden_layers': 2, 'num_attention_heads': 4,
               'num_key_value_heads': 4, 'head_dim': 8, 'patch_size': 16, 'pooling_kernel_size': 3,
               'position_embedding_size': 1024},
    'audio': None,
}
# Gemma-4-E4B's text dims (public config.json); vision and audio towers: transformers' defaults. Pass the real
# config.json to the benchmarks (--config) where you have it.
FULL_DIMS = {
    'text': {'vocab_size': 262144, 'vocab_size_per_layer_input': 262144, 'hidden_size': 2560,
             'intermediate_size': 10240, 'num_hidden_layers': 42, 'num_attention_heads': 8, 'num_key_value_heads': 2,
             'head_dim': 256, 'global_head_dim': 512, 'hidden_size_per_layer_input': 256, 'num_kv_shared_layers': 18,
             'max_position_embeddings': 131072},
    'vision': {},
    'audio': {},
}


def build_tiny(output_dir: str | Path, *, image_soft_tokens: int = MAX_SOFT_TOKENS,
               video_soft_tokens: int = MAX_SOFT_TOKENS, seed: int = 0, dims: dict | None = None,
               device: str = 'cpu', dtype: torch.dtype = torch.float32,
               embedding_std: float | None = TINY_EMBEDDING_STD) -> Path:
    """Config, safetensors, tokenizer and processor; ``dims`` replaces the tower sizes (see :data:`FULL_DIMS`);
    ``embedding_std`` re-draws the token embeddings (``None``: the config's initializer range)."""
    output_dir = Path(output_dir)
    dims = dims or TINY_DIMS
    tokenizer = tiny_tokenizer()
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIALS}
    vocab = len(tokenizer)
    config = Gemma4Config(
        text_config={'vocab_size': vocab, 'vocab_size_per_layer_input': vocab, **dims['text'],
                     'pad_token_id': ids['<pad>'], 'eos_token_id': ids['<eos>'], 'bos_token_id': ids['<bos>']},
        vision_config=dims['vision'], audio_config=dims['audio'], boi_token_id=ids['<|image>'],
        eoi_token_id=ids['<image|>'], image_token_id=ids['<|image|>'], video_token_id=ids['<|video|>'],
        boa_token_id=ids['<|audio>'], eoa_token_index=ids['<audio|>'], audio_token_id=ids['<|audio|>'])
    save_random_model(Gemma4ForConditionalGeneration, config, output_dir, device=device, dtype=dtype, seed=seed,
                      embedding_std=embedding_std)
    Gemma4Processor(feature_extractor=Gemma4AudioFeatureExtractor(),
                    image_processor=Gemma4ImageProcessor(max_soft_tokens=image_soft_tokens),
                    video_processor=Gemma4VideoProcessor(max_soft_tokens=video_soft_tokens),
                    tokenizer=tokenizer, image_seq_length=image_soft_tokens).save_pretrained(output_dir)
    GenerationConfig(bos_token_id=ids['<bos>'], eos_token_id=[ids['<eos>'], ids['<turn|>']],
                     pad_token_id=ids['<pad>']).save_pretrained(output_dir)
    return output_dir


def build_full_size(output_dir: str | Path, *, device: str = 'cuda', dtype: torch.dtype = torch.bfloat16) -> Path:
    """Gemma-4-E4B's architecture with random weights (280 soft tokens per image, 70 per video frame)."""
    return build_tiny(output_dir, image_soft_tokens=280, video_soft_tokens=70, dims=FULL_DIMS, device=device,
                      dtype=dtype, embedding_std=None)


def build_standin(output_dir: str | Path) -> Path:
    """Gemma-4-E4B's processor budgets (280 soft tokens per image, 70 per video frame) with tiny layers, for the
    planner."""
    return build_tiny(output_dir, image_soft_tokens=280, video_soft_tokens=70)
