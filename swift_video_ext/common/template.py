"""Base of our ms-swift templates: per-model video sampling settings, media loading, bad-sample accounting."""

from __future__ import annotations

import base64
import contextvars
import dataclasses
import os
import random
from typing import Any

from swift.template import MaxLengthError, Template
from swift.template.template_inputs import TemplateInputs

from ..video import SampledVideo, VideoDecodeError
from ..video.fragment import split_time_fragment
from ..video.settings import VideoSampling
from . import seam
from .bad_samples import check_media_tags, describe_row, record_encode_error, record_over_length

__all__ = ['VideoTemplate', 'describe_row', 'resolve_video_source']


def resolve_video_source(video: Any):
    """A dataset ``videos`` item → what ``sample_video`` takes: a local path, bytes, or a list of frame paths.

    Accepts local paths, ``file://`` and ``http(s)://`` URLs, ``data:video/...;base64,`` URIs, and lists of frame
    image paths (a pre-extracted video).
    """
    if isinstance(video, (list, tuple)):
        return [resolve_video_source(v) for v in video]
    if isinstance(video, dict):
        video = video.get('bytes') or video.get('path')
    if isinstance(video, (bytes, bytearray)):
        return bytes(video)
    if not isinstance(video, str):
        raise TypeError(f'unsupported video item of type {type(video).__name__}')
    if video.startswith('file://'):
        return video[len('file://'):]
    if video.startswith('data:'):
        return _decode_data_uri(video)
    if video.startswith(('http://', 'https://')):
        return video  # sample_video fetches it, with a bounded wait and errors naming the URL
    return os.path.expanduser(video)


def _decode_data_uri(uri: str) -> bytes:
    """The bytes of a ``data:...;base64,`` URI; VideoDecodeError (counted like any bad video) when malformed."""
    import binascii

    label = uri[:40] + ('...' if len(uri) > 40 else '')
    header, comma, payload = uri.partition(',')
    if not comma or not header.endswith(';base64'):
        raise VideoDecodeError(label, 'not a base64 data URI (expected data:<type>;base64,<data>)')
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as error:
        raise VideoDecodeError(label, f'invalid base64 data ({error})') from None


_CHECK_MEDIA_TAGS: contextvars.ContextVar[bool] = contextvars.ContextVar('swift_video_check_media_tags', default=True)


class VideoTemplate(Template):
    """A template whose model samples videos through :mod:`swift_video_ext.video`.

    Subclasses set :attr:`default_sampling` or override :meth:`resolve_sampling`; env knobs (NUM_FRAMES, FPS,
    VIDEO_MAX_PIXELS, …, or ``--model_kwargs``) apply on top and the effective values are logged once.
    """

    default_sampling: VideoSampling | None = None

    def set_mode(self, mode) -> None:
        super().set_mode(mode)
        seam.apply_pending()  # in case ms-swift's sft/infer module was mid-import when the plugin registered

    def init_env_args(self) -> None:
        super().init_env_args()
        self.video_sampling = self.resolve_sampling()
        self.video_sampling.log_once(self.template_meta.template_type)

    def resolve_sampling(self) -> VideoSampling:
        return self.default_sampling.with_env()

    def sample_video(self, video: Any) -> SampledVideo:
        """Sample one dataset video; an unusable one raises VideoDecodeError (counted per row by :meth:`encode`).

        A path or URL ending in a Media Fragments window (``clip.mp4#t=12.5,30``) is sampled within that window.
        """
        seed = random.getrandbits(32) if self.is_training else None
        sampling = self.video_sampling
        if isinstance(video, str) and '#t=' in video:
            video, start, end = split_time_fragment(video)
            sampling = dataclasses.replace(sampling, start=start, end=end)
        return sampling.sample(resolve_video_source(video), training=self.is_training, seed=seed,
                               pixels=self.decode_pixels)

    decode_pixels = True  # False: probe only, zero-filled frames (the token-budget planner)
    truncatable = True  # ms-swift's left/right truncation can cut this template's text (visual tokens are kept)

    def encode(self, inputs, *args, **kwargs):
        """ms-swift's encode; a row over ``max_length`` (training) or with an unusable video is counted and named.

        ms-swift's own ``encode`` tries a failing row three times; counting here, outside those tries, and by row
        (:mod:`.bad_samples`) makes each row count once.
        """
        # ms-swift itself encodes bare messages (GRPO logs its prompts as text, media stripped) as TemplateInputs;
        # the <video>-tag check is for rows users give: dataset dicts and InferRequests
        check = _CHECK_MEDIA_TAGS.set(not isinstance(inputs, TemplateInputs))
        try:
            return super().encode(inputs, *args, **kwargs)
        except MaxLengthError as error:
            if self.is_training:
                record_over_length(describe_row(inputs), str(error), self.max_length)
            raise
        except Exception as error:  # an unusable video, or any row ms-swift cannot encode
            if self.decode_pixels:  # not while planning
                record_encode_error(error, inputs, training=self.is_training)
            raise
        finally:
            _CHECK_MEDIA_TAGS.reset(check)

    def _preprocess_inputs(self, inputs) -> None:
        if _CHECK_MEDIA_TAGS.get():
            check_media_tags(inputs)  # a <video> tag without a video is a bad row, not a prompt with no frames
        super()._preprocess_inputs(inputs)

    def visual_token_ids(self) -> set[int]:
        """Ids of the tokens that stand for visual features."""
        return {self.processor.image_token_id}

    def visual_token_mask(self, encoded: dict) -> list[bool]:
        """Which of an encoded row's tokens are visual features (the rest is text)."""
        ids = self.visual_token_ids()
        return [token in ids for token in encoded['input_ids']]
