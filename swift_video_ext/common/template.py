"""Base of our ms-swift templates: per-model video sampling settings, media loading, bad-sample accounting."""

from __future__ import annotations

import base64
import contextlib
import contextvars
import dataclasses
import os
import random
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import torch
from swift.template import MaxLengthError, Template
from swift.template.template_inputs import TemplateInputs

from ..video import SampledVideo, VideoDecodeError
from ..video.fragment import split_time_fragment
from ..video.frames import image_frames
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


@dataclasses.dataclass
class EncodeMedia:
    """The (T, H, W, 3) frames a template sampled while encoding one row, by sentinel kind, in prompt order.

    For templates that sample in ``replace_tag`` (the text needs the frame count) and hand the frames to the model
    later in the same encode; :meth:`VideoTemplate.encode_media_scope` gives each row its own.
    """

    frames: dict[str, list[np.ndarray]] = dataclasses.field(default_factory=dict)

    def add(self, kind: str, frames: np.ndarray) -> None:
        self.frames.setdefault(kind, []).append(frames)

    def get(self, kind: str, index: int) -> np.ndarray:
        return self.frames[kind][index]


_ENCODE_MEDIA: contextvars.ContextVar[EncodeMedia | None] = contextvars.ContextVar('swift_video_encode_media',
                                                                                  default=None)


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

    @contextlib.contextmanager
    def encode_media_scope(self) -> Iterator[EncodeMedia]:
        """A fresh :class:`EncodeMedia` for the row encoded inside the block (:meth:`encode_media` returns it)."""
        token = _ENCODE_MEDIA.set(EncodeMedia())
        try:
            yield _ENCODE_MEDIA.get()
        finally:
            _ENCODE_MEDIA.reset(token)

    @staticmethod
    def encode_media() -> EncodeMedia:
        """The frames sampled so far for the row being encoded (inside :meth:`encode_media_scope`)."""
        media = _ENCODE_MEDIA.get()
        if media is None:
            raise RuntimeError('encode_media() outside encode_media_scope(): no row is being encoded')
        return media

    collated_counts: ClassVar[tuple[str, ...]] = ()  # per-row count tensors the collator concatenates, row order

    def _data_collator_mm_data(self, batch: list[dict[str, Any]]) -> dict[str, Any]:
        res = super()._data_collator_mm_data(batch)
        for key in self.collated_counts:
            counts = [b[key] for b in batch if b.get(key) is not None]
            if counts:
                res[key] = torch.cat(counts)
        return res


class SentinelMediaTemplate(VideoTemplate):
    """A template whose ``replace_tag`` writes one negative sentinel id per medium (or per frame), which
    :meth:`_encode` expands to :meth:`tokens_per_sentinel` image tokens (labels -100) while adding the pixel values
    of every sentinel's frames, in prompt order (PLLaVA, MiniGPT4-Video).

    Subclasses set :attr:`media_sentinels` and give :meth:`tokens_per_sentinel` and :meth:`media_features`.
    :meth:`medium_frames` reads images and samples videos; a template that samples in ``replace_tag`` keeps the
    frames in :meth:`encode_media` and overrides it to read them back.
    """

    media_sentinels: ClassVar[dict[int, str]] = {}  # sentinel id -> kind ('image', 'video', or the template's own)

    def tokens_per_sentinel(self) -> int:
        raise NotImplementedError

    def media_features(self, media: list[np.ndarray]) -> dict[str, torch.Tensor]:
        """Every sentinel's (T, H, W, 3) frames, in prompt order → the model inputs (``pixel_values`` and any more)."""
        raise NotImplementedError

    def medium_frames(self, kind: str, index: int, inputs) -> np.ndarray:
        """The ``index``-th sentinel of ``kind`` → its (T, H, W, 3) uint8 frames: an image as one frame, a video
        sampled through the video core."""
        items = inputs.images if kind == 'image' else inputs.videos
        if index >= len(items):
            raise ValueError(f'the prompt has more <{kind}> tags than the row has {kind}s ({len(items)})')
        if kind == 'image':
            return image_frames(items[index])
        return self.sample_video(items[index]).frames

    def sentinel_media(self, input_ids: list[int], inputs) -> tuple[list[int], list[np.ndarray]]:
        """Positions of the sentinels in ``input_ids`` and, in the same order, each one's frames."""
        positions, media, counts = [], [], dict.fromkeys(self.media_sentinels.values(), 0)
        for position, token in enumerate(input_ids):
            kind = self.media_sentinels.get(token)
            if kind is not None:
                positions.append(position)
                media.append(self.medium_frames(kind, counts[kind], inputs))
                counts[kind] += 1
        return positions, media

    def _encode(self, inputs) -> dict[str, Any]:
        with self.encode_media_scope():
            encoded = super()._encode(inputs)
            positions, media = self.sentinel_media(encoded['input_ids'], inputs)
        if not positions:
            return encoded
        tokens = [self.processor.image_token_id] * self.tokens_per_sentinel()
        input_ids, labels, loss_scale = self._extend_tokens(encoded['input_ids'], encoded['labels'],
                                                            encoded['loss_scale'], positions, lambda _: tokens)
        features = self.media_features(media)
        features['pixel_values'] = features['pixel_values'].to(self.model_info.torch_dtype)
        encoded.update(input_ids=input_ids, labels=labels, loss_scale=loss_scale, **features)
        return encoded

