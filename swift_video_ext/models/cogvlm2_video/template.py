"""ms-swift templates for CogVLM2-Video: ``cogvlm2_video_chat`` (timestamped) and ``cogvlm2_video_base``.

The whole token sequence is built by :meth:`CogVLM2VideoProcessor.build` so it matches the reference layout exactly
(the video first, one timestamp token after each frame's vision slots, ``Question: … Answer:`` text, history turns as
``Question: {q} Answer: {a}\\n``); labels cover the last answer and EOS only. One video (or one still image, as a
one-frame video) per sample; the ``<video>`` tag's position in the text does not matter, the video always comes first.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch
from swift.template import MaxLengthError, TemplateMeta
from swift.template.template_inputs import StdTemplateInputs

from ...common.template import VideoTemplate
from ...video.frames import image_frames
from ...video.settings import VideoSampling
from .modeling_cogvlm2_video import build_position_ids
from .processing_cogvlm2_video import TIMESTAMP_MODES, VIDEO_SAMPLING, VIDEO_SAMPLING_BASE

TEMPLATE_CHAT, TEMPLATE_BASE = 'cogvlm2_video_chat', 'cogvlm2_video_base'
TIMESTAMP_ENV = 'COGVLM2_TIMESTAMPS'  # "ordinal" (official) or "seconds" (long-video extension)


def split_conversation(messages: list[dict]) -> tuple[str | None, list[tuple[str, str]], str, str | None]:
    """messages → (system, history pairs, last query, last answer or None)."""
    system = None
    if messages and messages[0]['role'] == 'system':
        system, messages = messages[0]['content'], messages[1:]
    answer = None
    if messages and messages[-1]['role'] == 'assistant':
        answer, messages = messages[-1]['content'], messages[:-1]
    if not messages or messages[-1]['role'] != 'user':
        raise ValueError('CogVLM2-Video needs a user turn to answer')
    turns = messages[:-1]
    history = [(turns[i]['content'], turns[i + 1]['content']) for i in range(0, len(turns) - 1, 2)]
    return system, history, messages[-1]['content'], answer


def strip_media_tags(text: str) -> str:
    return text.replace('<video>', '').replace('<image>', '').strip()


def vllm_prompt_ids(input_ids: list[int], token_type_ids: list[int], tokens_per_frame: int) -> list[int]:
    """Each frame's ``tokens_per_frame`` vision slots (token type 1) → one slot; other tokens unchanged."""
    compact, vision_run = [], 0
    for token, kind in zip(input_ids, token_type_ids, strict=True):
        vision_run = vision_run + 1 if kind == 1 else 0
        if kind != 1 or (vision_run - 1) % tokens_per_frame == 0:  # a frame's first slot
            compact.append(token)
    return compact


class CogVLM2VideoTemplate(VideoTemplate):
    template_version = 'chat'
    placeholder_tokens = []
    support_padding_free = True  # packed rows keep each sample's CogVLM positions; the model splits at position 0
    truncatable = False  # the whole sequence is built here; an over-long row raises MaxLengthError

    def resolve_sampling(self) -> VideoSampling:
        return (VIDEO_SAMPLING if self.template_version == 'chat' else VIDEO_SAMPLING_BASE).with_env()

    def init_env_args(self) -> None:
        super().init_env_args()
        mode = os.environ.get(TIMESTAMP_ENV, 'ordinal').strip().lower()
        if mode not in TIMESTAMP_MODES:
            raise ValueError(f'{TIMESTAMP_ENV}={mode!r}: choose one of {TIMESTAMP_MODES}')
        self.timestamp_mode = mode

    def _frames(self, inputs: StdTemplateInputs) -> tuple[np.ndarray | None, np.ndarray]:
        media = len(inputs.videos) + len(inputs.images)
        if media > 1:
            raise ValueError(f'CogVLM2-Video takes one video per sample, got {media} videos/images')
        if inputs.videos:
            video = self.sample_video(inputs.videos[0])
            return video.frames, video.timestamps
        if inputs.images:
            return image_frames(inputs.images[0]), np.zeros(1)
        return None, np.zeros(0)

    def _encode(self, inputs: StdTemplateInputs) -> dict[str, Any]:
        encoded, frames = self._build(inputs)
        if frames is not None:
            encoded['pixel_values'] = self.processor.preprocess_frames(frames).to(self.model_info.torch_dtype)
        return encoded

    def _build(self, inputs: StdTemplateInputs) -> tuple[dict[str, Any], np.ndarray | None]:
        """The sample's ids, token types, labels and CogVLM positions, plus its (T, H, W, 3) frames (or None)."""
        self._swift_prepare_inputs(inputs)
        system, history, query, answer = split_conversation(inputs.messages)
        frames, timestamps = self._frames(inputs)
        processor = self.processor
        built = processor.build(strip_media_tags(query), history=[(strip_media_tags(q), a) for q, a in history],
                                answer=answer if self.is_training else None, system=system,
                                timestamp_texts=processor.timestamp_texts(timestamps, self.timestamp_mode),
                                num_frames=len(timestamps), template_version=self.template_version)
        if self.max_length is not None and len(built['input_ids']) > self.max_length:
            raise MaxLengthError(f'{len(built["input_ids"])} tokens ({len(timestamps)} frames) exceed max_length '
                                 f'{self.max_length}; lower NUM_FRAMES or raise --max_length')
        token_types = built['token_type_ids']
        encoded = {'input_ids': built['input_ids'], 'labels': built['labels'], 'loss_scale': None,
                   'token_type_ids': token_types,
                   'position_ids': build_position_ids(torch.tensor([token_types]))[0].tolist()}
        return encoded, frames

    def _encode_truncated(self, inputs: StdTemplateInputs) -> dict[str, Any]:
        """vllm mode (``--infer_backend vllm``): the same prompt with one pad id per frame where the pt prompt has
        ``tokens_per_frame`` vision slots (vLLM's processor expands each back), and every sampled frame as a
        one-frame video, in order; ms-swift's own vllm-mode encoding would lay the prompt out differently."""
        if self.mode != 'vllm':
            return super()._encode_truncated(inputs)
        self._preprocess_inputs(inputs)
        built, frames = self._build(inputs)
        input_ids = vllm_prompt_ids(built['input_ids'], built['token_type_ids'], self.processor.tokens_per_frame)
        encoded = {'input_ids': input_ids, 'labels': None, 'length': len(built['input_ids'])}
        if frames is not None:
            encoded['videos'] = [np.ascontiguousarray(frame[None]) for frame in frames]
        return encoded

    def visual_token_mask(self, encoded: dict) -> list[bool]:
        return [kind == 1 for kind in encoded['token_type_ids']]

    def _data_collator(self, batch: list[dict[str, Any]], *, padding_to: int | None = None) -> dict[str, Any]:
        """ms-swift's collator, except that left-padded training batches keep each row's CogVLM positions (ms-swift
        replaces them with ``arange`` there)."""
        res = super()._data_collator(batch, padding_to=padding_to)
        rows = [b.get('position_ids') for b in batch]
        if self.padding_free or 'position_ids' not in res or any(r is None for r in rows):
            return res
        length = res['position_ids'].shape[-1]
        left = (self.padding_side if self.is_training else 'left') == 'left'
        padded = [[0] * (length - len(r)) + list(r) if left else list(r) + [0] * (length - len(r)) for r in rows]
        res['position_ids'] = torch.tensor(padded, dtype=torch.long)
        return res


class CogVLM2VideoBaseTemplate(CogVLM2VideoTemplate):
    template_version = 'base'


def template_metas() -> list[TemplateMeta]:
    return [
        TemplateMeta(TEMPLATE_CHAT, prefix=[['bos_token_id']], prompt=['Question: {{QUERY}} Answer:'],
                     chat_sep=['\n'], suffix=[['eos_token_id']], template_cls=CogVLM2VideoTemplate),
        TemplateMeta(TEMPLATE_BASE, prefix=[['bos_token_id']], prompt=['{{QUERY}}'], chat_sep=None,
                     suffix=[['eos_token_id']], template_cls=CogVLM2VideoBaseTemplate),
    ]
