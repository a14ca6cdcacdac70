"""What our vLLM models share.

- :class:`MediaProcessingInfo` and :class:`MediaProcessorMixin`: images and videos, any number per prompt, each
  item one placeholder id in the prompt that vLLM expands to :meth:`MediaProcessingInfo.tokens_per_item` copies;
  pixel values in ``pixel_values`` (images) and ``pixel_values_videos`` (videos), one entry per item. Images and
  videos share the placeholder id, so vLLM assigns the placeholders to all images first, then all videos; our
  templates send every medium as a video, which keeps them in prompt order.
- :class:`WrappedLanguageModelMixin`: ``forward`` / ``compute_logits`` of a model whose text half is a vLLM causal LM
  at ``self.language_model``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from transformers import BatchFeature
from vllm.multimodal.inputs import MultiModalFieldConfig
from vllm.multimodal.processing import BaseProcessingInfo, PromptReplacement

from ..video.frames import as_frames

MODALITIES = ('image', 'video')


def frames_array(item) -> np.ndarray:
    """A vLLM image (PIL / HWC array) or video ((T, H, W, 3) array, list of frames, or (frames, metadata)) →
    (T, H, W, 3) uint8."""
    return as_frames(item[0] if isinstance(item, tuple) else item)


class MediaProcessingInfo(BaseProcessingInfo):
    """Subclasses give ``get_hf_config``, ``get_hf_processor``, :meth:`placeholder_id` and :meth:`tokens_per_item`."""

    def placeholder_id(self) -> int:
        """The prompt's id for one image or video (one frame, for frame-item models)."""
        raise NotImplementedError

    def tokens_per_item(self) -> int:
        """How many tokens one image or video item becomes."""
        raise NotImplementedError

    def get_supported_mm_limits(self) -> Mapping[str, int | None]:
        return dict.fromkeys(MODALITIES)

    def get_mm_max_tokens_per_item(self, seq_len: int, mm_counts: Mapping[str, int]) -> Mapping[str, int]:
        return dict.fromkeys(MODALITIES, self.tokens_per_item())


class MediaProcessorMixin:
    """Put first among the bases of a ``BaseMultiModalProcessor[MediaProcessingInfo]``; the subclass gives
    ``_call_hf_processor``."""

    def _get_mm_fields_config(self, hf_inputs: BatchFeature,
                              hf_processor_mm_kwargs: Mapping[str, object]) -> Mapping[str, MultiModalFieldConfig]:
        return {'pixel_values': MultiModalFieldConfig.batched('image'),
                'pixel_values_videos': MultiModalFieldConfig.batched('video')}

    def _get_prompt_updates(self, mm_items, hf_processor_mm_kwargs, out_mm_kwargs) -> Sequence[PromptReplacement]:
        """Each placeholder id → ``tokens_per_item`` copies of it."""
        token_id = self.info.placeholder_id()
        slots = [token_id] * self.info.tokens_per_item()
        return [PromptReplacement(modality=modality, target=[token_id], replacement=slots) for modality in MODALITIES]


class WrappedLanguageModelMixin:
    """``forward`` and ``compute_logits`` through ``self.language_model`` (put first among the model's bases)."""

    def forward(self, input_ids, positions, intermediate_tensors=None, inputs_embeds=None, **kwargs):
        if intermediate_tensors is not None:
            inputs_embeds = None
        return self.language_model.model(input_ids, positions, intermediate_tensors, inputs_embeds=inputs_embeds)

    def compute_logits(self, hidden_states: torch.Tensor) -> torch.Tensor | None:
        return self.language_model.compute_logits(hidden_states)


__all__ = ['MODALITIES', 'frames_array', 'MediaProcessingInfo', 'MediaProcessorMixin', 'WrappedLanguageModelMixin']
