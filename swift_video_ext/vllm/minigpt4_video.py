"""MiniGPT4-Video in vLLM: vLLM's BLIP-2/EVA vision tower → ``ln_vision`` → CLS dropped → 4 adjacent patch tokens
concatenated → ``llama_proj`` → Llama/Mistral, as :mod:`swift_video_ext.models.minigpt4_video.modeling_minigpt4_video`.

Every frame (and every still image) is one vLLM item of ``tokens_per_frame`` tokens: our template sends each as a
one-frame video and one ``image_token_id`` per frame; vLLM expands it.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn
from vllm.config import VllmConfig
from vllm.model_executor.models.blip import BlipVisionModel
from vllm.model_executor.models.interfaces import SupportsMultiModal, SupportsPP
from vllm.model_executor.models.utils import AutoWeightsLoader, init_vllm_registered_model, maybe_prefix
from vllm.multimodal import MULTIMODAL_REGISTRY

from ..models.minigpt4_video.configuration_minigpt4_video import MiniGPT4VideoConfig
from ..models.minigpt4_video.modeling_minigpt4_video import concat_adjacent_tokens
from ..models.minigpt4_video.processing_minigpt4_video import MiniGPT4VideoProcessor
from .frame_items import (
    FrameItemsDummyInputsBuilder,
    FrameItemsModelMixin,
    FrameItemsMultiModalProcessor,
    FrameItemsProcessingInfo,
)


class MiniGPT4VideoProcessingInfo(FrameItemsProcessingInfo):
    def get_hf_config(self) -> MiniGPT4VideoConfig:
        return self.ctx.get_hf_config(MiniGPT4VideoConfig)

    def get_hf_processor(self, **kwargs: object) -> MiniGPT4VideoProcessor:
        config = self.get_hf_config()
        return MiniGPT4VideoProcessor(self.get_tokenizer(), image_size=config.vision_config.image_size,
                                      image_mean=config.image_mean, image_std=config.image_std,
                                      tokens_per_frame=config.tokens_per_frame, image_token_id=config.image_token_id,
                                      num_frames=config.num_frames)

    def placeholder_id(self) -> int:
        return self.get_hf_config().image_token_id


@MULTIMODAL_REGISTRY.register_processor(FrameItemsMultiModalProcessor, info=MiniGPT4VideoProcessingInfo,
                                        dummy_inputs=FrameItemsDummyInputsBuilder)
class MiniGPT4VideoForConditionalGeneration(FrameItemsModelMixin, nn.Module, SupportsMultiModal, SupportsPP):
    """Weight names are our export's: ``vision_model.*``, ``ln_vision.*``, ``llama_proj.*``, ``language_model.*``."""

    @classmethod
    def get_placeholder_str(cls, modality: str, i: int) -> str | None:
        return None  # the image token is <unk>: prompts come from our template, not from text

    def __init__(self, *, vllm_config: VllmConfig, prefix: str = '') -> None:
        super().__init__()
        config: MiniGPT4VideoConfig = vllm_config.model_config.hf_config
        self.config = config
        self.configure_mm_token_handling(vocab_size=config.text_config.vocab_size,
                                         mm_token_ids=[config.image_token_id])
        with self._mark_tower_model(vllm_config, {'image', 'video'}):
            self.vision_model = BlipVisionModel(config.vision_config, vllm_config.quant_config,
                                                require_post_norm=False, prefix=maybe_prefix(prefix, 'vision_model'))
            self.ln_vision = nn.LayerNorm(config.vision_config.hidden_size, eps=config.ln_vision_eps)
            self.llama_proj = nn.Linear(config.projector_in, config.text_config.hidden_size)
        with self._mark_language_model(vllm_config):
            self.language_model = init_vllm_registered_model(vllm_config=vllm_config, hf_config=config.text_config,
                                                             prefix=maybe_prefix(prefix, 'language_model'))
        self.make_empty_intermediate_tensors = self.language_model.make_empty_intermediate_tensors

    def _encode_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """(T, 3, S, S) → (T · tokens_per_frame, D)."""
        frames = frames.to(self.llama_proj.weight.dtype)
        hidden = self.ln_vision(self.vision_model(frames))
        return self.llama_proj(concat_adjacent_tokens(hidden[:, 1:], self.config.concat_tokens)).flatten(0, 1)

    def load_weights(self, weights: Iterable[tuple[str, torch.Tensor]]) -> set[str]:
        return AutoWeightsLoader(self).load_weights(weights)


__all__ = ['MiniGPT4VideoForConditionalGeneration']
