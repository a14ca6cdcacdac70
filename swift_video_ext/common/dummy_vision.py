"""Run the vision path on text-only training batches, so every rank uses the same parameters.

Under DeepSpeed ZeRO-3 each parameter is gathered by a collective when its module runs: a rank whose batch has no
video would skip the vision tower while the others wait in its all-gather (a deadlock). Under DDP the skipped
parameters get no gradient on that rank. ms-swift's own types (InternVL, LLaVA, Kwai) feed zero pixels through the
vision tower and add ``0 * mean(features)`` to the text embeddings; this module does the same for our model types.

Use at a model's forward, where ``pixel_values is None``::

    inputs_embeds = with_dummy_vision(self, inputs_embeds, self.encode_frames, image_size=...)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import torch
from torch import nn

Features = torch.Tensor | Sequence[torch.Tensor]


def deepspeed_enabled() -> bool:
    """True while a DeepSpeed config is active (ms-swift's ``is_deepspeed_enabled``)."""
    try:
        from transformers.integrations import deepspeed_config
    except ImportError:  # pragma: no cover - transformers is a dependency
        return False
    return deepspeed_config() is not None


def world_size() -> int:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_world_size()
    return int(os.environ.get('WORLD_SIZE', '1'))


def dummy_vision_needed(module: nn.Module) -> bool:
    """Whether a text-only batch must still run the vision path: training with gradients, and DeepSpeed or >1 rank."""
    return module.training and torch.is_grad_enabled() and (deepspeed_enabled() or world_size() > 1)


def dummy_frames(image_size: int | tuple[int, int], *, like: torch.Tensor, num_frames: int = 1) -> torch.Tensor:
    """Zero pixels (num_frames, 3, H, W) on ``like``'s device; ``image_size`` is S (square) or (H, W)."""
    height, width = (image_size, image_size) if isinstance(image_size, int) else image_size
    return torch.zeros(num_frames, 3, height, width, device=like.device, dtype=like.dtype)


def keep_in_graph(inputs_embeds: torch.Tensor, features: Features) -> torch.Tensor:
    """``inputs_embeds + 0 * mean(features)``: the same values, with the features' parameters in the autograd graph.

    A non-finite feature would turn the sum into NaN, so it is refused rather than silently poisoning the batch.
    """
    parts = [features] if isinstance(features, torch.Tensor) else list(features)
    if not parts:
        raise ValueError('the vision path returned no features')
    anchor = sum(part.float().mean() for part in parts)
    if not torch.isfinite(anchor):
        raise ValueError('the dummy vision forward gave non-finite features; check the vision tower weights')
    return inputs_embeds + (anchor * 0.0).to(inputs_embeds.dtype)


def with_dummy_vision(module: nn.Module, inputs_embeds: torch.Tensor,
                      encode: Callable[[torch.Tensor], Features], *, image_size: int | tuple[int, int],
                      num_frames: int = 1, force: bool | None = None) -> torch.Tensor:
    """``inputs_embeds`` (B, L, D) unchanged in value; when needed (or ``force``), ``encode`` ran on zero frames.

    ``encode`` maps (num_frames, 3, H, W) pixels to features (any shape, or a list of tensors); the pixels take the
    dtype of the first floating parameter of ``module`` (the vision tower's, for a typical model).
    """
    needed = dummy_vision_needed(module) if force is None else force
    if not needed:
        return inputs_embeds
    reference = next((p for p in module.parameters() if p.is_floating_point()), inputs_embeds)
    pixels = dummy_frames(image_size, like=reference, num_frames=num_frames).to(inputs_embeds.device)
    return keep_in_graph(inputs_embeds, encode(pixels))


__all__ = ['dummy_frames', 'dummy_vision_needed', 'keep_in_graph', 'with_dummy_vision']
