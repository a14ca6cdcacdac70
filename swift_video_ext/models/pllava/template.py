"""ms-swift templates for PLLaVA: Vicuna (7B/13B) and ChatML (34B), one ``<image>`` per image or video.

Training layout of the reference code (label on the answer and its end token only)::

    <s>[{system} ]USER:<image>\\n{question}</s>ASSISTANT:{answer}</s>

Each ``<image>`` (from an ``<image>`` or ``<video>`` tag) expands to ``prod(pooling_shape)`` image tokens
(2304 for the released models). Videos are sampled with ``segment_middle`` at inference and ``segment_random`` in
training (NUM_FRAMES frames, default the checkpoint's ``num_frames``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np
import torch
from swift.template import TemplateMeta
from swift.template.template_inputs import StdTemplateInputs
from swift.template.utils import Context

from ...common.template import VideoTemplate
from ...video.settings import VideoSampling
from .processing_pllava import VIDEO_SAMPLING

IMAGE_SENTINEL, VIDEO_SENTINEL = -200, -201
TEMPLATE_VICUNA, TEMPLATE_CHATML = 'pllava', 'pllava_chatml'


class PllavaTemplate(VideoTemplate):
    placeholder_tokens = []

    def resolve_sampling(self) -> VideoSampling:
        num_frames = getattr(self.config, 'num_frames', None) or VIDEO_SAMPLING.num_frames
        return dataclasses.replace(VIDEO_SAMPLING, num_frames=num_frames).with_env()

    def replace_tag(self, media_type: Literal['image', 'video', 'audio'], index: int,
                    inputs: StdTemplateInputs) -> list[Context]:
        if media_type == 'audio':
            raise ValueError('PLLaVA does not take audio')
        return [[IMAGE_SENTINEL if media_type == 'image' else VIDEO_SENTINEL], '\n']

    def _media_frames(self, input_ids: list[int], inputs: StdTemplateInputs) -> tuple[list[int], list[np.ndarray]]:
        """Positions of the media sentinels and, in the same prompt order, each medium's (T, H, W, 3) frames."""
        positions, frames = [], []
        image_index = video_index = 0
        for position, token in enumerate(input_ids):
            if token == IMAGE_SENTINEL:
                frames.append(np.asarray(inputs.images[image_index].convert('RGB'))[None])
                image_index += 1
            elif token == VIDEO_SENTINEL:
                frames.append(self.sample_video(inputs.videos[video_index]).frames)
                video_index += 1
            else:
                continue
            positions.append(position)
        return positions, frames

    def _encode(self, inputs: StdTemplateInputs) -> dict[str, Any]:
        encoded = super()._encode(inputs)
        positions, media = self._media_frames(encoded['input_ids'], inputs)
        if not positions:
            return encoded
        processor = self.processor
        tokens = [processor.image_token_id] * processor.tokens_per_media
        input_ids, labels, loss_scale = self._extend_tokens(encoded['input_ids'], encoded['labels'],
                                                            encoded['loss_scale'], positions, lambda _: tokens)
        pixel_values = torch.cat([processor.preprocess_frames(frames) for frames in media])
        encoded.update(input_ids=input_ids, labels=labels, loss_scale=loss_scale,
                       pixel_values=pixel_values.to(self.model_info.torch_dtype),
                       frames_per_media=torch.tensor([len(m) for m in media], dtype=torch.long))
        return encoded

    def _data_collator_mm_data(self, batch: list[dict[str, Any]]) -> dict[str, Any]:
        res = super()._data_collator_mm_data(batch)
        counts = [b['frames_per_media'] for b in batch if b.get('frames_per_media') is not None]
        if counts:
            res['frames_per_media'] = torch.cat(counts)
        return res


def template_metas() -> list[TemplateMeta]:
    vicuna = TemplateMeta(TEMPLATE_VICUNA, prefix=[], system_prefix=['{{SYSTEM}} '],
                          prompt=['USER:{{QUERY}}', ['eos_token_id'], 'ASSISTANT:'], chat_sep=[['eos_token_id']],
                          suffix=[['eos_token_id']], auto_add_bos=True, template_cls=PllavaTemplate)
    chatml = TemplateMeta(TEMPLATE_CHATML, prefix=[], system_prefix=['{{SYSTEM}}<|im_end|>\n'],
                          prompt=['<|im_start|>user\n{{QUERY}}<|im_end|>\n<|im_start|>assistant\n'],
                          chat_sep=['<|im_end|>\n'], suffix=['<|im_end|>\n'], stop_words=['<|im_end|>'],
                          auto_add_bos=True, template_cls=PllavaTemplate)
    return [vicuna, chatml]
