"""PLLaVA in vLLM: vLLM's LLaVA (CLIP tower, projector, Llama) plus PLLaVA's pooling inside ``embed_multimodal``.

Same numbers as :mod:`swift_video_ext.models.pllava.modeling_pllava`: per image or video, CLIP features of each frame
(CLS dropped) → projector → (T, h·w, D) → repeated to ``num_frames`` → adaptive average pooling to ``pooling_shape``
→ ``prod(pooling_shape)`` tokens. A still image is a one-frame video. Each ``<image>`` in the prompt is one medium;
vLLM expands it to ``prod(pooling_shape)`` placeholder tokens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import torch
from transformers import AutoImageProcessor, BatchFeature
from vllm.model_executor.models.llava import LlavaDummyInputsBuilder, LlavaForConditionalGeneration
from vllm.model_executor.models.utils import WeightsMapper
from vllm.multimodal import MULTIMODAL_REGISTRY
from vllm.multimodal.processing import BaseMultiModalProcessor

from ..models.pllava.configuration_pllava import PllavaConfig
from ..models.pllava.modeling_pllava import adaptive_avg_pool_3d, repeat_frames
from ..models.pllava.processing_pllava import PllavaProcessor
from .base import MediaProcessingInfo, MediaProcessorMixin, frames_array

IMAGE_TOKEN = '<image>'


def pool_media(frame_features: torch.Tensor, config: PllavaConfig) -> torch.Tensor:
    """(T, h·w, D) projected features of one medium → (prod(pooling_shape), D), frame-major then row-major."""
    h, w = config.frame_shape
    t, hw, dim = frame_features.shape
    if hw != h * w:
        raise ValueError(f'vision tower gives {hw} patches per frame but frame_shape is {h}x{w} (config.json)')
    frames = repeat_frames(frame_features, config.num_frames)
    grid = frames.reshape(frames.shape[0], h, w, dim).permute(3, 0, 1, 2).unsqueeze(0)  # (1, D, T, h, w)
    pooled = adaptive_avg_pool_3d(grid, tuple(config.pooling_shape))
    return pooled.squeeze(0).flatten(1).transpose(0, 1)


class PllavaProcessingInfo(MediaProcessingInfo):
    def get_hf_config(self) -> PllavaConfig:
        return self.ctx.get_hf_config(PllavaConfig)

    def get_hf_processor(self, **kwargs: object) -> PllavaProcessor:
        config = self.get_hf_config()
        image_processor = AutoImageProcessor.from_pretrained(self.ctx.model_config.model)
        return PllavaProcessor(image_processor, self.get_tokenizer(), num_frames=config.num_frames,
                               pooling_shape=config.pooling_shape, image_token=IMAGE_TOKEN)

    def placeholder_id(self) -> int:
        return self.get_hf_config().image_token_index

    def tokens_per_item(self) -> int:
        return self.get_hf_config().tokens_per_video  # prod(pooling_shape), for an image as for a video


class PllavaDummyInputsBuilder(LlavaDummyInputsBuilder[PllavaProcessingInfo]):
    def get_dummy_text(self, mm_counts: Mapping[str, int]) -> str:
        return IMAGE_TOKEN * (mm_counts.get('image', 0) + mm_counts.get('video', 0))

    def get_dummy_mm_data(self, seq_len: int, mm_counts: Mapping[str, int], mm_options):
        size = self.info.get_hf_config().vision_config.image_size
        return {
            'image': self._get_dummy_images(width=size, height=size, num_images=mm_counts.get('image', 0)),
            'video': self._get_dummy_videos(width=size, height=size, num_frames=self.info.get_hf_config().num_frames,
                                            num_videos=mm_counts.get('video', 0)),
        }


class PllavaMultiModalProcessor(MediaProcessorMixin, BaseMultiModalProcessor[PllavaProcessingInfo]):
    """CLIP preprocessing of every frame, as :meth:`PllavaProcessor.preprocess_frames` does for the pt backend; each
    ``<image>`` → ``prod(pooling_shape)`` placeholder tokens."""

    def _call_hf_processor(self, hf_data: Mapping[str, object], hf_kwargs: Mapping[str, object]) -> BatchFeature:
        processor = self.info.get_hf_processor()
        out = {}
        images = hf_data.get('images') or []
        if images:
            out['pixel_values'] = torch.cat([processor.preprocess_frames(frames_array(i)) for i in images])
        videos = hf_data.get('videos') or []
        if videos:
            out['pixel_values_videos'] = [processor.preprocess_frames(frames_array(v)) for v in videos]
        return BatchFeature(out)


@MULTIMODAL_REGISTRY.register_processor(PllavaMultiModalProcessor, info=PllavaProcessingInfo,
                                        dummy_inputs=PllavaDummyInputsBuilder)
class PllavaForConditionalGeneration(LlavaForConditionalGeneration):
    """vLLM's LLaVA whose ``embed_multimodal`` pools each medium's projected frame features (PLLaVA)."""

    # Our exports (transformers 5) save the CLIP tower without its ``vision_model.`` level; older LLaVA-layout ones
    # keep it. Both map onto vLLM's CLIPVisionModel.
    hf_to_vllm_mapper = WeightsMapper(orig_to_new_regex={
        re.compile(r'^model\.vision_tower\.(?!vision_model\.)'): 'vision_tower.vision_model.',
    }, orig_to_new_prefix={
        'model.language_model.': 'language_model.model.',
        'model.vision_tower.': 'vision_tower.',
        'model.multi_modal_projector.': 'multi_modal_projector.',
        'lm_head.': 'language_model.lm_head.',
    })

    @classmethod
    def get_placeholder_str(cls, modality: str, i: int) -> str | None:
        if modality.startswith(('image', 'video')):
            return IMAGE_TOKEN
        raise ValueError(f'PLLaVA takes images and videos, not {modality}')

    def _encode_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """(T, 3, S, S) → (prod(pooling_shape), D)."""
        dtype = next(self.vision_tower.parameters()).dtype
        strategy = self.config.vision_feature_select_strategy
        features = self.vision_tower(frames.to(dtype), feature_select_strategy=strategy)
        return pool_media(self.multi_modal_projector(features), self.config)

    def embed_multimodal(self, **kwargs: object):
        embeddings: list[torch.Tensor] = []
        for key in kwargs:  # keyword order = modality order of the batch
            value = kwargs[key]
            if value is None:
                continue
            if key == 'pixel_values':
                embeddings += [self._encode_frames(frame[None]) for frame in value]
            elif key == 'pixel_values_videos':
                embeddings += [self._encode_frames(video) for video in value]
        return embeddings


__all__ = ['PllavaForConditionalGeneration', 'pool_media']
