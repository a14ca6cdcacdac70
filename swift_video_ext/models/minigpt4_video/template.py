"""ms-swift templates for MiniGPT4-Video: training (default), and the reference evaluation / inference prompts.

Training (``minigpt4_video_llama2`` / ``minigpt4_video_mistral``), as the reference training code builds it
(labels on the answer and EOS only)::

    [BOS] "[INST] " + <Img><ImageHere>[<Cap>{words} ]… + "\\n" + {instruction} + "[/INST]" + {answer} + EOS

Inference (``…_infer``, ``minigpt4_video_inference.py``): ``[BOS] "<s>[INST] " + body + " [/INST]"`` — the
literal ``<s>`` is a second BOS, a reference bug kept here for parity only. Evaluation (``…_eval``,
``eval_minigpt4_video.py``): the same with two spaces after ``[INST]``. Frames are padded to N (training, eval) or
not (inference); subtitle rules follow each mode (:func:`.processing_minigpt4_video.frame_captions`).

Text between the image slots is tokenised segment by segment, as the reference does. A still image is
``<Img><ImageHere></Img>`` (the image stages). A system message goes where the reference ``Conversation`` puts it,
right before the ``[INST]`` of the first turn (before the literal ``<s>`` in the inference/eval templates). Rounds
of a multi-turn row follow each other (training: each answer ends with EOS; inference/eval: nothing between
rounds, as the reference ``SINGLE`` style), and a ``<video>`` tag stays in the turn where it is written.

Subtitles for a video: ``chat_template_kwargs: {"subtitles": "x.srt"}`` on the row (a path, or a list with one per
video), else ``$SUBTITLE_ROOT/<video stem>.{srt,vtt,en.vtt}``, else a file next to the video; none at all is fine.
An unreadable subtitle file is warned about (once per file), counted, and the row trains without subtitles.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from swift.template import TemplateMeta
from swift.template.template_inputs import StdTemplateInputs
from swift.template.utils import Context

from ...common.bad_samples import record_bad_subtitles
from ...common.template import SentinelMediaTemplate
from ...common.vllm_template import VllmTemplateMixin
from ...video.frames import image_frames
from ...video.settings import VideoSampling
from ...video.subtitles import SubtitleError, Subtitles
from .processing_minigpt4_video import VIDEO_SAMPLING, SubtitleMode, pad_frames

IMAGE_SENTINEL, FRAME_SENTINEL = -300, -301
TEMPLATE_LLAMA2, TEMPLATE_MISTRAL = 'minigpt4_video_llama2', 'minigpt4_video_mistral'
FAMILIES = (TEMPLATE_LLAMA2, TEMPLATE_MISTRAL)
SUBTITLE_ROOT_ENV, MAX_WORDS_ENV = 'SUBTITLE_ROOT', 'MAX_SUBTITLE_WORDS'


class MiniGPT4VideoTemplate(VllmTemplateMixin, SentinelMediaTemplate):
    """Training layout; frames padded to N; training subtitle rules.

    One sentinel per frame (and per image): ``replace_tag`` samples each video (its text needs the frames' captions)
    and keeps every frame, as a one-frame video, in the row's :meth:`encode_media`; :meth:`medium_frames` reads them
    back for the pt backend and for vLLM (each frame one vLLM item of ``tokens_per_frame`` tokens).
    """

    media_sentinels = vllm_sentinels = {IMAGE_SENTINEL: 'image', FRAME_SENTINEL: 'frame'}

    placeholder_tokens = []
    support_padding_free = True  # packed rows: frames concatenated in sample order fill the image slots in order
    subtitle_mode: SubtitleMode = 'train'
    pad_to_num_frames = True

    def resolve_sampling(self) -> VideoSampling:
        return dataclasses.replace(VIDEO_SAMPLING, num_frames=self.config.num_frames).with_env()

    def init_env_args(self) -> None:
        super().init_env_args()
        words = os.environ.get(MAX_WORDS_ENV)
        self.max_subtitle_words = int(words) if words else self.config.max_subtitle_words

    def subtitle_path(self, inputs: StdTemplateInputs, index: int) -> str | None:
        """The row's subtitle file for video ``index``: named in the row, else under ``$SUBTITLE_ROOT``, else next
        to the video; ``None`` if there is none."""
        named = inputs.chat_template_kwargs.get('subtitles') or inputs.extra_kwargs.get('subtitles')
        if isinstance(named, (list, tuple)):
            named = named[index] if index < len(named) else None
        if named:
            return str(named)
        video = inputs.videos[index]
        if not isinstance(video, str) or video.startswith(('http://', 'https://', 'data:')):
            return None
        root = os.environ.get(SUBTITLE_ROOT_ENV)
        found = (Subtitles.find_next_to(Path(root) / Path(video).name) if root else None) or \
            Subtitles.find_next_to(video)
        return str(found) if found else None

    def subtitles_for(self, inputs: StdTemplateInputs, index: int) -> Subtitles | None:
        """The subtitles of video ``index``; an unreadable file is counted, warned about once, and skipped."""
        path = self.subtitle_path(inputs, index)
        if path is None:
            return None
        try:
            return Subtitles.load(path)
        except SubtitleError as error:
            if self.decode_pixels:  # not while planning
                record_bad_subtitles(error.path, error.reason)
            return None

    def replace_tag(self, media_type: Literal['image', 'video', 'audio'], index: int,
                    inputs: StdTemplateInputs) -> list[Context]:
        if media_type == 'image':
            self.encode_media().add('image', image_frames(inputs.images[index]))
            return ['<Img>', [IMAGE_SENTINEL], '</Img>']
        if media_type != 'video':
            raise ValueError('MiniGPT4-Video does not take audio')
        video = self.sample_video(inputs.videos[index])
        subtitles = self.subtitles_for(inputs, index)
        captions = self.processor.frame_captions(subtitles.file_cues if subtitles else [], video.indices, video.fps,
                                                 self.subtitle_mode, self.max_subtitle_words)
        frames = video.frames
        if self.pad_to_num_frames:
            frames, _ = pad_frames(video.frames, video.timestamps, self.video_sampling.num_frames)
            captions += [''] * (len(frames) - len(captions))
        media = self.encode_media()
        for frame in frames:
            media.add('frame', frame[None])
        contexts: list[Context] = []
        for caption in captions:
            contexts += ['<Img>', [FRAME_SENTINEL]] + ([f'<Cap>{caption}'] if caption else [])
        return contexts + ['\n']

    def medium_frames(self, kind: str, index: int, inputs: StdTemplateInputs) -> np.ndarray:
        return self.encode_media().get(kind, index)

    def tokens_per_sentinel(self) -> int:
        return self.processor.tokens_per_frame

    def media_features(self, media: list[np.ndarray]) -> dict[str, torch.Tensor]:
        return {'pixel_values': self.processor.preprocess_frames([frame for frames in media for frame in frames])}


class MiniGPT4VideoEvalTemplate(MiniGPT4VideoTemplate):
    """The reference evaluation prompt (``eval_minigpt4_video.py``): frames padded to N; eval subtitle rules."""

    subtitle_mode = 'eval'


class MiniGPT4VideoInferTemplate(MiniGPT4VideoTemplate):
    """The reference inference prompt (``minigpt4_video_inference.py``): frames not padded; inference rules."""

    subtitle_mode = 'inference'
    pad_to_num_frames = False


# (suffix of the template name, class, text after the BOS, prompt of a round, between rounds)
LAYOUTS = (('', MiniGPT4VideoTemplate, '', '[INST] {{QUERY}}[/INST]', [['eos_token_id']]),
           ('_eval', MiniGPT4VideoEvalTemplate, '<s>', '[INST]  {{QUERY}} [/INST]', []),
           ('_infer', MiniGPT4VideoInferTemplate, '<s>', '[INST] {{QUERY}} [/INST]', []))


def template_names() -> list[str]:
    return [family + suffix for suffix, *_ in LAYOUTS for family in FAMILIES]


def template_metas() -> list[TemplateMeta]:
    metas = []
    for suffix, template_cls, after_bos, prompt, chat_sep in LAYOUTS:
        for family in FAMILIES:
            prefix = [['bos_token_id']] + ([after_bos] if after_bos else [])
            metas.append(TemplateMeta(family + suffix, prefix=prefix, prompt=[prompt], chat_sep=chat_sep,
                                      suffix=[['eos_token_id']], system_prefix=[['bos_token_id'],
                                                                                '{{SYSTEM}}' + after_bos],
                                      template_cls=template_cls))
    return metas


__all__ = ['LAYOUTS', 'MiniGPT4VideoEvalTemplate', 'MiniGPT4VideoInferTemplate', 'MiniGPT4VideoTemplate',
           'TEMPLATE_LLAMA2', 'TEMPLATE_MISTRAL', 'template_metas', 'template_names']
