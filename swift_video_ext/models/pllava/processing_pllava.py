"""PLLaVA processor: CLIP preprocessing of frames and expansion of each ``<image>`` to the pooled token count."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from transformers import ProcessorMixin

from ...video.frames import as_frames, image_frames
from .spec import VIDEO_SAMPLING

LONG_EDGE_CAP = 640  # pixels: the official processor shrinks frames whose long edge exceeds this before CLIP


def longshort_size(height: int, width: int, clip_size: int) -> tuple[int, int, int]:
    """(short edge after the first resize, long edge after it, long edge kept by the crop) in pixels.

    The official ``PllavaProcessor.resize_crop_longshort`` for one video: the short edge becomes
    ``max(clip_size, min(short, int(min(640, long) / ratio)))`` with ``ratio = long / short``, the long edge
    ``int(new_short * long / short)``; the crop keeps ``int(new_short * ratio)`` of it.
    """
    short, long = min(height, width), max(height, width)
    ratio = long / short
    new_short = max(clip_size, min(short, int(min(LONG_EDGE_CAP, long) / ratio)))
    return new_short, int(new_short * long / short), int(new_short * ratio)


def longshort_frames(frames: np.ndarray, clip_size: int) -> list[np.ndarray]:
    """(T, H, W, 3) uint8 frames of one video → T frames resized (PIL bicubic) and cropped as the official
    processor does before its CLIP step. The crop starts a quarter of the excess in, as the official does."""
    from PIL import Image

    height, width = frames.shape[1:3]
    new_short, new_long, kept = longshort_size(height, width, clip_size)
    portrait = height > width
    size = (new_short, new_long) if portrait else (new_long, new_short)  # PIL (width, height)
    start = (new_long - kept) // 2 // 2
    out = []
    for frame in frames:
        image = Image.fromarray(np.ascontiguousarray(frame))
        resized = np.asarray(image.resize(size, resample=Image.BICUBIC) if image.size != size else image)
        out.append(resized[start:start + kept] if portrait else resized[:, start:start + kept])
    return out


class PllavaProcessor(ProcessorMixin):
    """Image processor (CLIP, 336 px for the released models) + tokenizer.

    Every still image or video is one ``<image>`` in the text, expanded to ``prod(pooling_shape)`` image tokens.
    ``__call__`` returns ``pixel_values`` (ΣT, 3, S, S) and ``frames_per_media`` (M,), images first, then videos.
    """

    def __init__(self, image_processor=None, tokenizer=None, num_frames: int = 16,
                 pooling_shape: Sequence[int] = (16, 12, 12), image_token: str = '<image>', chat_template=None,
                 **kwargs):
        self.num_frames = int(num_frames)
        self.pooling_shape = [int(x) for x in pooling_shape]
        self.image_token = image_token
        self.image_token_id = tokenizer.convert_tokens_to_ids(image_token) if tokenizer is not None else None
        super().__init__(image_processor, tokenizer, chat_template=chat_template)

    @property
    def tokens_per_media(self) -> int:
        return math.prod(self.pooling_shape)

    def preprocess_frames(self, frames: Sequence[np.ndarray] | np.ndarray) -> torch.Tensor:
        """(N, H, W, 3) uint8 frames of one video or image (same size) → (N, 3, S, S) float32 pixel values.

        As the official processor: the long-edge cap and crop of :func:`longshort_frames`, then the image
        processor (the PIL-backed CLIP processor for the released models: see ``register.py``).
        """
        frames = as_frames(list(frames))
        clip_size = int(self.image_processor.size['shortest_edge'])
        images = longshort_frames(frames, clip_size)
        return self.image_processor(images=images, return_tensors='pt')['pixel_values']

    def expand_text(self, text: str, num_media: int) -> str:
        if text.count(self.image_token) != num_media:
            raise ValueError(f'text has {text.count(self.image_token)} {self.image_token} placeholders for '
                             f'{num_media} images/videos')
        return text.replace(self.image_token, self.image_token * self.tokens_per_media)

    def __call__(self, text: str | list[str] | None = None, images=None, videos=None, return_tensors='pt',
                 **kwargs):
        media = [image_frames(image) for image in images or []]
        media += [np.asarray(video) for video in videos or []]
        output = {}
        if media:
            output['pixel_values'] = torch.cat([self.preprocess_frames(m.reshape(-1, *m.shape[-3:])) for m in media])
            output['frames_per_media'] = torch.tensor([len(m) for m in media], dtype=torch.long)
        if text is not None:
            texts = [text] if isinstance(text, str) else list(text)
            per_text = [t.count(self.image_token) for t in texts]
            if sum(per_text) != len(media):
                raise ValueError(f'{sum(per_text)} {self.image_token} placeholders for {len(media)} media')
            texts = [self.expand_text(t, n) for t, n in zip(texts, per_text, strict=True)]
            output.update(self.tokenizer(texts, return_tensors=return_tensors, padding=len(texts) > 1, **kwargs))
        return output


__all__ = ['PllavaProcessor', 'VIDEO_SAMPLING']
