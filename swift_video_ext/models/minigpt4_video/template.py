"""ms-swift templates for MiniGPT4-Video (``minigpt4_video_llama2`` / ``minigpt4_video_mistral``, same layout).

Training layout of the reference code (labels on the answer and EOS only; one round)::

    [BOS] "[INST] " + <Img><ImageHere>[<Cap>{words} ]… + "\\n" + {instruction} + "[/INST]" + {answer} + EOS

Text between the image slots is tokenised segment by segment, as the reference does. A still image is
``<Img><ImageHere></Img>`` (the image stages). Subtitles for a video: ``chat_template_kwargs: {"subtitles": "x.srt"}``
on the row (a path, or a list with one per video), else ``$SUBTITLE_ROOT/<video stem>.{srt,vtt,en.vtt}``, else a file
next to the video; none at all is fine.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
from swift.template import TemplateMeta
from swift.template.template_inputs import StdTemplateInputs
from swift.template.utils import Context

from ...common.template import VideoTemplate
from ...video.settings import VideoSampling
from ...video.subtitles import Subtitles
from .processing_minigpt4_video import VIDEO_SAMPLING, pad_frames

IMAGE_SENTINEL, FRAME_SENTINEL = -300, -301
TEMPLATE_LLAMA2, TEMPLATE_MISTRAL = 'minigpt4_video_llama2', 'minigpt4_video_mistral'
SUBTITLE_ROOT_ENV, MAX_WORDS_ENV = 'SUBTITLE_ROOT', 'MAX_SUBTITLE_WORDS'


class MiniGPT4VideoTemplate(VideoTemplate):
    placeholder_tokens = []

    def resolve_sampling(self) -> VideoSampling:
        return dataclasses.replace(VIDEO_SAMPLING, num_frames=self.config.num_frames).with_env()

    def init_env_args(self) -> None:
        super().init_env_args()
        words = os.environ.get(MAX_WORDS_ENV)
        self.max_subtitle_words = int(words) if words else self.config.max_subtitle_words

    def subtitles_for(self, inputs: StdTemplateInputs, index: int) -> Subtitles | None:
        named = inputs.chat_template_kwargs.get('subtitles') or inputs.extra_kwargs.get('subtitles')
        if isinstance(named, (list, tuple)):
            named = named[index] if index < len(named) else None
        if named:
            return Subtitles.load(named)
        video = inputs.videos[index]
        if not isinstance(video, str) or video.startswith(('http://', 'https://', 'data:')):
            return None
        root = os.environ.get(SUBTITLE_ROOT_ENV)
        found = (Subtitles.find_next_to(Path(root) / Path(video).name) if root else None) or \
            Subtitles.find_next_to(video)
        return Subtitles.load(found) if found else None

    def replace_tag(self, media_type: Literal['image', 'video', 'audio'], index: int,
                    inputs: StdTemplateInputs) -> list[Context]:
        if media_type == 'image':
            inputs.minigpt_images.append(np.asarray(inputs.images[index].convert('RGB')))
            return ['<Img>', [IMAGE_SENTINEL], '</Img>']
        if media_type != 'video':
            raise ValueError('MiniGPT4-Video does not take audio')
        video = self.sample_video(inputs.videos[index])
        frames, timestamps = pad_frames(video.frames, video.timestamps, self.video_sampling.num_frames)
        captions = self.processor.frame_captions(self.subtitles_for(inputs, index), timestamps, len(video),
                                                 self.max_subtitle_words)
        inputs.minigpt_frames.extend(frames)
        contexts: list[Context] = []
        for caption in captions:
            contexts += ['<Img>', [FRAME_SENTINEL]] + ([f'<Cap>{caption} '] if caption else [])
        return contexts + ['\n']

    def _encode(self, inputs: StdTemplateInputs) -> dict[str, Any]:
        inputs.minigpt_images, inputs.minigpt_frames = [], []
        encoded = super()._encode(inputs)
        images, frames = iter(inputs.minigpt_images), iter(inputs.minigpt_frames)
        positions, ordered = [], []
        for position, token in enumerate(encoded['input_ids']):
            if token in (IMAGE_SENTINEL, FRAME_SENTINEL):
                positions.append(position)
                ordered.append(next(images) if token == IMAGE_SENTINEL else next(frames))
        if not positions:
            return encoded
        processor = self.processor
        tokens = [processor.image_token_id] * processor.tokens_per_frame
        input_ids, labels, loss_scale = self._extend_tokens(encoded['input_ids'], encoded['labels'],
                                                            encoded['loss_scale'], positions, lambda _: tokens)
        pixel_values = processor.preprocess_frames(ordered).to(self.model_info.torch_dtype)
        encoded.update(input_ids=input_ids, labels=labels, loss_scale=loss_scale, pixel_values=pixel_values)
        return encoded


def template_metas() -> list[TemplateMeta]:
    return [TemplateMeta(name, prefix=[['bos_token_id']], prompt=['[INST] {{QUERY}}[/INST]'], chat_sep=None,
                         suffix=[['eos_token_id']], template_cls=MiniGPT4VideoTemplate)
            for name in (TEMPLATE_LLAMA2, TEMPLATE_MISTRAL)]


__all__ = ['MiniGPT4VideoTemplate', 'TEMPLATE_LLAMA2', 'TEMPLATE_MISTRAL', 'template_metas']
