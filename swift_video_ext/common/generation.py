"""``generate()`` with several return sequences per prompt (beam search, ``num_return_sequences``) for models whose
frames arrive as one flat tensor (ΣT, 3, H, W) for the whole batch.

transformers expands every model input row by row (``repeat_interleave``), which for flat frames interleaves
single frames — ``[f0, f0, f1, f1]`` — and hands each copy of a prompt someone else's frames. Here each sample's
block of frames is repeated whole instead (``[f0, f1, f0, f1]``), as transformers does for encoded media.
"""

from __future__ import annotations

import torch


def repeat_blocks(tensor: torch.Tensor, block_sizes: list[int], times: int) -> torch.Tensor:
    """Rows of ``tensor`` in consecutive blocks of ``block_sizes``; each block repeated ``times`` in place."""
    if sum(block_sizes) != tensor.shape[0]:
        raise ValueError(f'{tensor.shape[0]} rows do not split into per-sample blocks {block_sizes}')
    return torch.cat([block for block in torch.split(tensor, block_sizes) for _ in range(times)])


def per_sample_counts(mask: torch.Tensor, per_item: int) -> list[int]:
    """(B, L) slot mask → items per sample (slots per sample / ``per_item``)."""
    return [int(n) // per_item for n in mask.sum(-1).tolist()]


class FlatFramesGenerationMixin:
    """Expands flat per-batch media tensors per sample for ``generate()``; subclasses name the blocks."""

    def flat_media_blocks(self, input_ids: torch.Tensor, model_kwargs: dict) -> dict[str, list[int]]:
        """Input name → rows per sample, for the inputs that are flat across the batch."""
        raise NotImplementedError

    def _expand_inputs_for_generation(self, expand_size=1, is_encoder_decoder=False, input_ids=None,
                                      **model_kwargs):
        if expand_size == 1 or input_ids is None:
            return super()._expand_inputs_for_generation(expand_size, is_encoder_decoder, input_ids,
                                                          **model_kwargs)
        blocks = self.flat_media_blocks(input_ids, model_kwargs)
        held = {key: model_kwargs.pop(key) for key in blocks if model_kwargs.get(key) is not None}
        input_ids, model_kwargs = super()._expand_inputs_for_generation(expand_size, is_encoder_decoder, input_ids,
                                                                        **model_kwargs)
        for key, tensor in held.items():
            model_kwargs[key] = repeat_blocks(tensor, blocks[key], expand_size)
        return input_ids, model_kwargs
