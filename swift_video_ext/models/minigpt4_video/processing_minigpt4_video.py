"""MiniGPT4-Video processing: frames, per-frame subtitles with a word budget, and the prompt body.

Frames: ``interval`` sampling (every ``n // N``-th frame from the first), padded to exactly N frames by repeating
the last one, as the reference training and evaluation datasets do. Pixels: 224 x 224 bicubic resize without crop
(aspect not kept), ImageNet mean/std (not CLIP's).

Body of a video prompt (each ``<ImageHere>`` becomes ``tokens_per_frame`` image tokens)::

    <Img><ImageHere><Cap>{new subtitle words} <Img><ImageHere><Img><ImageHere><Cap>… \\n{instruction}

A frame gets ``<Cap>`` only when subtitle text appeared since the previous sampled frame; captions stop once the
running word count reaches the budget (checked before appending, so the last one may overshoot, as in the original).
Without subtitles the body is just the frames — the reference inference crashed there (MiniGPT4-video issue #40).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from transformers import ProcessorMixin

from ...video.settings import VideoSampling
from ...video.subtitles import Subtitles
from ...video.transforms import IMAGENET_MEAN, IMAGENET_STD, normalize

VIDEO_SAMPLING = VideoSampling('interval', num_frames=45)


def pad_frames(frames: np.ndarray, timestamps: np.ndarray, num_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Repeat the last frame (and its timestamp) until there are ``num_frames``."""
    missing = num_frames - len(frames)
    if missing <= 0:
        return frames, timestamps
    return (np.concatenate([frames, np.repeat(frames[-1:], missing, axis=0)]),
            np.concatenate([timestamps, np.repeat(timestamps[-1:], missing)]))


def budgeted_captions(texts: Sequence[str], max_words: int) -> list[str]:
    """Per-frame captions, dropping those that start after the running word count reached ``max_words``."""
    captions, words = [], 0
    for text in texts:
        if text and words < max_words:
            captions.append(text)
            words += len(text.split())
        else:
            captions.append('')
    return captions


class MiniGPT4VideoProcessor(ProcessorMixin):
    """Tokenizer + frame preprocessing + subtitle alignment."""

    def __init__(self, tokenizer=None, image_size: int = 224, image_mean: Sequence[float] = IMAGENET_MEAN,
                 image_std: Sequence[float] = IMAGENET_STD, tokens_per_frame: int = 64, image_token_id: int = 0,
                 num_frames: int = 45, max_subtitle_words: int = 400, **kwargs):
        self.image_size = int(image_size)
        self.image_mean, self.image_std = list(image_mean), list(image_std)
        self.tokens_per_frame = int(tokens_per_frame)
        self.image_token_id = int(image_token_id)
        self.num_frames = int(num_frames)
        self.max_subtitle_words = int(max_subtitle_words)
        super().__init__(tokenizer)

    def preprocess_frames(self, frames: np.ndarray) -> torch.Tensor:
        """(T, H, W, 3) uint8 → (T, 3, S, S): PIL bicubic resize to S x S, /255, ImageNet normalisation."""
        from PIL import Image

        resized = np.stack([np.asarray(Image.fromarray(f).resize((self.image_size, self.image_size),
                                                                 Image.BICUBIC)) for f in frames])
        tensor = torch.from_numpy(resized).permute(0, 3, 1, 2).float().div_(255.0)
        return normalize(tensor, self.image_mean, self.image_std)

    def frame_captions(self, subtitles: Subtitles | None, timestamps: Sequence[float], real_frames: int,
                       max_words: int | None = None) -> list[str]:
        """Caption per frame: text new since the previous sampled frame, within the word budget; padded frames
        (beyond ``real_frames``) get none."""
        if subtitles is None or len(subtitles) == 0:
            return [''] * len(timestamps)
        texts = subtitles.new_per_frame(timestamps[:real_frames]) + [''] * (len(timestamps) - real_frames)
        return budgeted_captions(texts, self.max_subtitle_words if max_words is None else max_words)

    @staticmethod
    def body(captions: Sequence[str], instruction: str, image_placeholder: str = '<ImageHere>') -> str:
        """The reference prompt body for frames with these captions."""
        parts = [f'<Img>{image_placeholder}' + (f'<Cap>{c} ' if c else '') for c in captions]
        return ''.join(parts) + '\n' + instruction


__all__ = ['VIDEO_SAMPLING', 'MiniGPT4VideoProcessor', 'budgeted_captions', 'pad_frames']
