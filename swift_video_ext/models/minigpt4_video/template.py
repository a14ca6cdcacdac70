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
from typing import Any, Literal

from swift.template import TemplateMeta
from swift.template.template_inputs import StdTemplateInputs
from swift.template.utils import Context

from ...common.bad_samples import record_bad_subtitles
from ...common.template import VideoTemplate
from ...common.vllm_template import MiniGPT4VideoVllmMixin
from ...video.frames import image_frames
from ...video.settings import VideoSampling
from ...video.subtitles import SubtitleError, Subtitles
from .processing_minigpt4_video import VIDEO_SAMPLING, SubtitleMode, pad_frames

IMAGE_SENTINEL, FRAME_SENTINEL = -300, -301
TEMPLATE_LLAMA2, TEMPLATE_MISTRAL = 'minigpt4_video_llama2', 'minigpt4_video_mistral'
FAMILIES = (TEMPLATE_LLAMA2, TEMPLATE_MISTRAL)
SUBTITLE_ROOT_ENV, MAX_WORDS_ENV = 'SUBTITLE_ROOT', 'MAX_SUBTITLE_WORDS'


class MiniGPT4VideoTemplate(MiniGPT4VideoVllmMixin, VideoTemplate):
    vllm_sentinels = {IMAGE_SENTINEL: 'image', FRAME_SENTINEL: 'frame'}  # real placeholder ids in vLLM mode
    """Training layout; frames padded to N; training subtitle rules."""

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
            inputs.minigpt_images.append(image_frames(inputs.images[index])[0])
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
        inputs.minigpt_frames.extend(frames)
        contexts: list[Context] = []
        for caption in captions:
            contexts += ['<Img>', [FRAME_SENTINEL]] + ([f'<Cap>{caption}'] if caption else [])
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
