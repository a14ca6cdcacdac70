"""PLLaVA processor: CLIP preprocessing of frames and expansion of each ``<image>`` to the pooled token count."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from transformers import ProcessorMixin

from ...video.settings import VideoSampling

# Frames at inference: the middle of 16 equal segments (VideoChat2 / PLLaVA evaluation); in training one random
# frame per segment (the reference training code's "rand" sampling). NUM_FRAMES overrides the count.
VIDEO_SAMPLING = VideoSampling('segment_middle', num_frames=16, train_strategy='segment_random')


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
        """(N, H, W, 3) uint8 frames (or PIL images) → (N, 3, S, S) float pixel values."""
        return self.image_processor(images=list(frames), return_tensors='pt')['pixel_values']

    def expand_text(self, text: str, num_media: int) -> str:
        if text.count(self.image_token) != num_media:
            raise ValueError(f'text has {text.count(self.image_token)} {self.image_token} placeholders for '
                             f'{num_media} images/videos')
        return text.replace(self.image_token, self.image_token * self.tokens_per_media)

    def __call__(self, text: str | list[str] | None = None, images=None, videos=None, return_tensors='pt',
                 **kwargs):
        media = [np.asarray(image.convert('RGB'))[None] if hasattr(image, 'convert') else np.asarray(image)[None]
                 for image in images or []]
        media += [np.asarray(video) for video in videos or []]
        output = {}
        if media:
            output['pixel_values'] = self.preprocess_frames(np.concatenate([m.reshape(-1, *m.shape[-3:])
                                                                            for m in media]))
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
