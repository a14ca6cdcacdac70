"""vLLM processing for models whose every frame is one vLLM item (MiniGPT4-Video, CogVLM2-Video).

Our templates send each sampled frame (and each still image) as a one-frame video with one placeholder id; vLLM
expands that id to the frame's ``tokens_per_frame`` slots. Subclasses name the placeholder and the frame processor.
"""

from __future__ import annotations

from collections.abc import Mapping

from transformers import BatchFeature
from vllm.multimodal.processing import BaseDummyInputsBuilder, BaseMultiModalProcessor

from .base import MediaProcessingInfo, MediaProcessorMixin, WrappedLanguageModelMixin, frames_array


class FrameItemsProcessingInfo(MediaProcessingInfo):
    """Subclasses give ``get_hf_config`` / ``get_hf_processor`` (with ``preprocess_frames``) and
    :meth:`placeholder_id`; the config has ``tokens_per_frame`` and ``vision_config.image_size``."""

    def tokens_per_item(self) -> int:
        return self.get_hf_config().tokens_per_frame


class FrameItemsDummyInputsBuilder(BaseDummyInputsBuilder[FrameItemsProcessingInfo]):
    def get_dummy_text(self, mm_counts: Mapping[str, int]) -> str:
        token = self.info.get_tokenizer().convert_ids_to_tokens(self.info.placeholder_id())
        return token * (mm_counts.get('image', 0) + mm_counts.get('video', 0))

    def get_dummy_mm_data(self, seq_len: int, mm_counts: Mapping[str, int], mm_options=None):
        size = self.info.get_hf_config().vision_config.image_size
        return {'image': self._get_dummy_images(width=size, height=size, num_images=mm_counts.get('image', 0)),
                'video': self._get_dummy_videos(width=size, height=size, num_frames=1,
                                                num_videos=mm_counts.get('video', 0))}


class FrameItemsMultiModalProcessor(MediaProcessorMixin, BaseMultiModalProcessor[FrameItemsProcessingInfo]):
    """Frames preprocessed by the model's ``preprocess_frames``, one item per frame; each placeholder id →
    ``tokens_per_frame`` copies."""

    def _call_hf_processor(self, hf_data: Mapping[str, object], hf_kwargs: Mapping[str, object]) -> BatchFeature:
        processor = self.info.get_hf_processor()
        out = {}
        for key, field in (('images', 'pixel_values'), ('videos', 'pixel_values_videos')):
            items = hf_data.get(key) or []
            if items:
                out[field] = [processor.preprocess_frames(frames_array(item)) for item in items]
        return BatchFeature(out)


class FrameItemsModelMixin(WrappedLanguageModelMixin):
    """The model side (put first among the bases): ``embed_multimodal`` runs every image/video item's frames
    through the model's ``_encode_frames``, in order; the language model at ``self.language_model``."""

    def embed_multimodal(self, **kwargs: object) -> list:
        embeddings = []
        for key in kwargs:  # keyword order = modality order of the batch
            if key in ('pixel_values', 'pixel_values_videos') and kwargs[key] is not None:
                embeddings += [self._encode_frames(item) for item in kwargs[key]]
        return embeddings
