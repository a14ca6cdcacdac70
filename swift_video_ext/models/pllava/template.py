"""ms-swift templates for PLLaVA: Vicuna (7B/13B) and ChatML (34B), one ``<image>`` per image or video.

``pllava`` / ``pllava_chatml`` (defaults) reproduce the official training text of the released models
(``scripts/train_pllava_*.sh``: ``mm_alone False``, no second message; ``it_dataset.py`` ``process_qa``); the
label covers each answer and its end token::

    <s>[{system} ]USER:<image>\\n{q1}</s>ASSISTANT:{a1}</s>USER:{q2}</s>ASSISTANT:{a2}</s>
    <s>[{system}<|im_end|>\\n]<|im_start|>user\\n<image>\\n{q1}<|im_end|>\\n<|im_start|>assistant\\n{a1}<|im_end|>\\n

``pllava_eval`` / ``pllava_chatml_eval`` reproduce the official evaluation prompts (``eval_utils.py``
``eval_vcgbench`` / ``eval_vcg_llavanext``): the Video-ChatGPT system prompt by default and every image or video
in its own user turn before the question::

    <s>{system} USER: <image>\\n USER: {q1} ASSISTANT:{a1}</s>USER: {q2} ASSISTANT:
    <s>{system}<|im_end|>\\n<|im_start|>user\\n<image>\\n<|im_end|>\\n<|im_start|>user\\n{q1}<|im_end|>\\n<|im_start|>assistant\\n

``pllava_eval_interleaved`` is the official VideoQA layout (``eval_videoqabench``, ``MM_INTERLEAF``): no default
system, each medium stays where its tag is in the question (``USER: <image>\\n {q} ASSISTANT:``).

``<s>`` is the tokenizer's BOS when its tokenizer adds one (as the official code tokenizes). Each ``<image>``
expands to ``prod(pooling_shape)`` image tokens (2304 for the released models). Videos are sampled with
``segment_middle_fixed`` at inference and ``segment_random_fixed`` in training (NUM_FRAMES frames, default the
checkpoint's ``num_frames``).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Literal

import numpy as np
import torch
from swift.template import TemplateMeta
from swift.template.template_inputs import StdTemplateInputs
from swift.template.utils import Context

from ...common.template import SentinelMediaTemplate
from ...common.vllm_template import VllmTemplateMixin
from ...video.settings import VideoSampling
from .processing_pllava import VIDEO_SAMPLING

IMAGE_SENTINEL, VIDEO_SENTINEL = -200, -201
TEMPLATE_VICUNA, TEMPLATE_CHATML = 'pllava', 'pllava_chatml'
TEMPLATE_VICUNA_EVAL, TEMPLATE_CHATML_EVAL = 'pllava_eval', 'pllava_chatml_eval'
TEMPLATE_VICUNA_EVAL_INTERLEAVED = 'pllava_eval_interleaved'
# The official evaluation system prompt (eval_utils.py conv_eval_vcg; no space before "Follow", as there).
VCG_SYSTEM = ('You are Video-ChatGPT, a large vision-language assistant. You are able to understand the video '
              'content that the user provides, and assist the user with a variety of tasks using natural language.'
              'Follow the instructions carefully and explain your answers in detail based on the provided video.')
MEDIA_TAG = re.compile(r'<(?:image|video)>')


class PllavaTemplate(VllmTemplateMixin, SentinelMediaTemplate):
    media_sentinels = vllm_sentinels = {IMAGE_SENTINEL: 'image', VIDEO_SENTINEL: 'video'}
    collated_counts = ('frames_per_media',)
    placeholder_tokens = []
    support_padding_free = True  # packed rows: frames (+ frames_per_media) concatenated in sample order
    media_turn: str | None = None  # text after each medium when media get their own user turn (eval layouts)

    def resolve_sampling(self) -> VideoSampling:
        num_frames = getattr(self.config, 'num_frames', None) or VIDEO_SAMPLING.num_frames
        return dataclasses.replace(VIDEO_SAMPLING, num_frames=num_frames).with_env()

    def replace_tag(self, media_type: Literal['image', 'video', 'audio'], index: int,
                    inputs: StdTemplateInputs) -> list[Context]:
        if media_type == 'audio':
            raise ValueError('PLLaVA does not take audio')
        return [[IMAGE_SENTINEL if media_type == 'image' else VIDEO_SENTINEL], self.media_turn or '\n']

    def _media_first(self, inputs: StdTemplateInputs) -> None:
        """Move the media tags of each user message to its front: there they become their own turn."""
        for message in inputs.messages:
            content = message.get('content')
            if message.get('role') == 'user' and isinstance(content, str) and MEDIA_TAG.search(content):
                tags = ''.join(MEDIA_TAG.findall(content))
                message['content'] = tags + MEDIA_TAG.sub('', content)

    def tokens_per_sentinel(self) -> int:
        return self.processor.tokens_per_media

    def media_features(self, media: list[np.ndarray]) -> dict[str, torch.Tensor]:
        """Each medium preprocessed on its own (the crop is per medium), and its frame count."""
        return {'pixel_values': torch.cat([self.processor.preprocess_frames(frames) for frames in media]),
                'frames_per_media': torch.tensor([len(frames) for frames in media], dtype=torch.long)}

    def _preprocess_inputs(self, inputs: StdTemplateInputs) -> None:
        super()._preprocess_inputs(inputs)
        if self.media_turn is not None:  # here, not in _encode: ms-swift's vllm mode skips the template's _encode
            self._media_first(inputs)


class PllavaEvalTemplate(PllavaTemplate):
    """Vicuna evaluation layout: ``USER: <image>\\n USER: {query} ASSISTANT:``."""

    media_turn = '\n USER: '


class PllavaChatmlEvalTemplate(PllavaTemplate):
    """ChatML evaluation layout: ``<|im_start|>user\\n<image>\\n<|im_end|>\\n<|im_start|>user\\n{query}...``."""

    media_turn = '\n<|im_end|>\n<|im_start|>user\n'


def template_metas() -> list[TemplateMeta]:
    vicuna = TemplateMeta(TEMPLATE_VICUNA, prefix=[], system_prefix=['{{SYSTEM}} '],
                          prompt=['USER:{{QUERY}}', ['eos_token_id'], 'ASSISTANT:'], chat_sep=[['eos_token_id']],
                          suffix=[['eos_token_id']], auto_add_bos=True, template_cls=PllavaTemplate)
    chatml = TemplateMeta(TEMPLATE_CHATML, prefix=[], system_prefix=['{{SYSTEM}}<|im_end|>\n'],
                          prompt=['<|im_start|>user\n{{QUERY}}<|im_end|>\n<|im_start|>assistant\n'],
                          chat_sep=['<|im_end|>\n'], suffix=['<|im_end|>\n'], stop_words=['<|im_end|>'],
                          auto_add_bos=True, template_cls=PllavaTemplate)
    vicuna_eval = TemplateMeta(TEMPLATE_VICUNA_EVAL, prefix=[], system_prefix=['{{SYSTEM}} '],
                               prompt=['USER: {{QUERY}} ASSISTANT:'], chat_sep=[['eos_token_id']],
                               suffix=[['eos_token_id']], default_system=VCG_SYSTEM, auto_add_bos=True,
                               template_cls=PllavaEvalTemplate)
    chatml_eval = TemplateMeta(TEMPLATE_CHATML_EVAL, prefix=[], system_prefix=['{{SYSTEM}}<|im_end|>\n'],
                               prompt=['<|im_start|>user\n{{QUERY}}<|im_end|>\n<|im_start|>assistant\n'],
                               chat_sep=['<|im_end|>\n'], suffix=['<|im_end|>\n'], stop_words=['<|im_end|>'],
                               default_system=VCG_SYSTEM, auto_add_bos=True, template_cls=PllavaChatmlEvalTemplate)
    vicuna_eval_interleaved = TemplateMeta(TEMPLATE_VICUNA_EVAL_INTERLEAVED, prefix=[], system_prefix=['{{SYSTEM}} '],
                                           prompt=['USER: {{QUERY}} ASSISTANT:'], chat_sep=[['eos_token_id']],
                                           suffix=[['eos_token_id']], default_system=None, auto_add_bos=True,
                                           template_cls=PllavaTemplate)
    return [vicuna, chatml, vicuna_eval, chatml_eval, vicuna_eval_interleaved]
