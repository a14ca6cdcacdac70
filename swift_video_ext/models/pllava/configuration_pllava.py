"""PLLaVA configuration: LLaVA's plus the video pooling fields (arXiv 2404.16994)."""

from __future__ import annotations

import math

from huggingface_hub.dataclasses import strict
from transformers import LlavaConfig

from ...common.configuration import RejectsForeignModelType


@strict
class PllavaConfig(RejectsForeignModelType, LlavaConfig):
    r"""LLaVA with adaptive average pooling of the projected video features.

    Args:
        num_frames: frames per video the pooling expects; shorter clips and still images are repeated to it.
        pooling_shape: (T', h', w') output of the 3-D adaptive average pooling; each video becomes
            ``prod(pooling_shape)`` LLM tokens (16 * 12 * 12 = 2304 for the released models).
        frame_shape: (h, w) patch grid of one frame; derived from the vision config (image_size // patch_size)
            when omitted, so small test configs work.
        pooling_method: only ``"avg"`` (the released models' ``AdaptiveAvgPool3d``).
        use_pooling: kept for checkpoint compatibility; pooling always applies (as in the reference code).
    """

    model_type = 'pllava'
    foreign_model_type_hint = ('Official PLLaVA folders (model_type llava) load through ms-swift: '
                               '`--model_type pllava`.')

    num_frames: int = 16
    pooling_shape: list[int] | tuple[int, ...] = (16, 12, 12)
    frame_shape: list[int] | tuple[int, ...] | None = None
    pooling_method: str = 'avg'
    use_pooling: bool = True

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        if len(self.pooling_shape) != 3 or min(self.pooling_shape) < 1:
            raise ValueError(f'pooling_shape must be three positive ints (T, h, w), got {self.pooling_shape}')
        if self.pooling_method != 'avg':
            raise ValueError(f"pooling_method {self.pooling_method!r} is not supported; PLLaVA pools with 'avg'")
        grid = self.vision_config.image_size // self.vision_config.patch_size
        if self.frame_shape is None:
            self.frame_shape = (grid, grid)
        self.pooling_shape = [int(x) for x in self.pooling_shape]
        self.frame_shape = [int(x) for x in self.frame_shape]
        self.image_seq_length = self.tokens_per_video

    @property
    def tokens_per_video(self) -> int:
        """LLM tokens one video (or still image) becomes: ``prod(pooling_shape)``."""
        return math.prod(self.pooling_shape)


__all__ = ['PllavaConfig']
