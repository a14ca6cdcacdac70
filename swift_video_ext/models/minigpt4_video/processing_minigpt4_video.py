"""MiniGPT4-Video processing: frames, per-frame subtitles with a word budget, and the prompt body.

Frames: ``interval`` sampling (every ``n // N``-th frame from the first). The reference training and evaluation
datasets pad to exactly N frames by repeating the last one; the reference inference script does not. Pixels:
224 x 224 bicubic resize without crop (aspect not kept), ImageNet mean/std (not CLIP's).

Body of a video prompt (each ``<ImageHere>`` becomes ``tokens_per_frame`` image tokens)::

    <Img><ImageHere><Cap>{new subtitle text} <Img><ImageHere><Img><ImageHere><Cap>… \\n{instruction}

Subtitles follow the reference code's rules (:func:`frame_captions`), which differ by mode: every decoded frame
``i`` up to the last sampled one is tested against the cues at its own time (so a cue shown between two decoded
frames is never used); new text collects in a buffer that is emitted (with its trailing space) after the next
sampled frame while the running word count ``len(buffer.split(' '))`` is below the budget.
Without subtitles the body is just the frames — the reference inference crashed there (MiniGPT4-video issue #40).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch
from transformers import ProcessorMixin

from ...video.subtitles import SubtitleCue
from ...video.transforms import IMAGENET_MEAN, IMAGENET_STD, normalize
from .spec import VIDEO_SAMPLING

SubtitleMode = Literal['train', 'eval', 'inference']
SUBTITLE_MODES = ('train', 'eval', 'inference')


def pad_frames(frames: np.ndarray, timestamps: np.ndarray, num_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Repeat the last frame (and its timestamp) until there are ``num_frames``."""
    missing = num_frames - len(frames)
    if missing <= 0:
        return frames, timestamps
    return (np.concatenate([frames, np.repeat(frames[-1:], missing, axis=0)]),
            np.concatenate([timestamps, np.repeat(timestamps[-1:], missing)]))


def inference_milliseconds(seconds: float) -> int:
    """A cue time as the reference inference script compares it: webvtt-py prints it as ``hh:mm:ss.sss``, the
    script parses the three fields as floats and truncates ``(h·3600 + m·60 + s)·1000`` to an int."""
    hours = int(seconds / 3600)
    minutes = int(seconds / 60 - hours * 60)
    printed = f'{hours:02d}:{minutes:02d}:{seconds - hours * 3600 - minutes * 60:06.3f}'
    h, m, s = (float(field) for field in printed.split(':'))
    return int((h * 3600 + m * 60 + s) * 1000)


def nominal_fps(fps: float) -> float:
    """The frame rate a container reports (what cv2 / moviepy give the reference code) from a measured average:
    a whole number, or an NTSC rate k·1000/1001, when within 1e-6 of one; else the measured rate."""
    for rate in (round(fps), round(fps * 1.001) * 1000 / 1001):
        if rate > 0 and abs(fps - rate) < 1e-6 * rate:
            return float(rate)
    return float(fps)


class _InferenceLookup:
    """Inference: one cue per frame, found by bisection over the cues in file order (so of two overlapping cues
    the one bisection meets first wins); text stripped, newlines as spaces; frame time ``i / fps``."""

    def __init__(self, cues: Sequence[SubtitleCue], fps: float):
        self.cues = [(inference_milliseconds(c.start), inference_milliseconds(c.end),
                      c.raw_text.strip().replace('\n', ' ')) for c in cues]
        self.fps = fps

    def step(self, index: int, buffer: str, previous: str, seen: set[str]) -> str:
        t_ms, low, high = index / self.fps * 1000, 0, len(self.cues) - 1
        while low <= high:
            middle = (low + high) // 2
            start, end, text = self.cues[middle]
            if start <= t_ms <= end:
                if text and text not in seen:
                    seen.add(text)
                    return buffer + text + ' '
                return buffer
            low, high = (low, middle - 1) if t_ms < start else (middle + 1, high)
        return buffer


class _ActiveCues:
    """Eval / training: the cues showing at frame time ``i / int(fps)`` (start ≤ t ≤ end), in file order."""

    def __init__(self, cues: Sequence[SubtitleCue], fps: float):
        self.cues = [(c.start, c.end, c.raw_text.replace('\n', ' ')) for c in cues]
        self.by_start = sorted(range(len(self.cues)), key=lambda k: self.cues[k][0])
        self.next, self.showing = 0, set()
        self.rate = max(1, int(fps))

    def at(self, index: int) -> list[str]:
        t = index / self.rate
        while self.next < len(self.by_start) and self.cues[self.by_start[self.next]][0] <= t:
            self.showing.add(self.by_start[self.next])
            self.next += 1
        self.showing = {k for k in self.showing if self.cues[k][1] >= t}
        return [self.cues[k][2] for k in sorted(self.showing)]


class _EvalLookup(_ActiveCues):
    """Eval: the first showing cue whose text is not already in the buffer is taken (once per text) and the
    search stops there, so a cue inside a longer, already emitted one is dropped."""

    def step(self, index: int, buffer: str, previous: str, seen: set[str]) -> str:
        for text in self.at(index):
            if text not in buffer:
                if text not in seen:
                    buffer += text + ' '
                seen.add(text)
                break
        return buffer


class _TrainLookup(_ActiveCues):
    """Training: every showing cue not seen before (by text) adds its ``' '``-separated words, except words that
    occur (as substrings) in the buffer or in the previous emitted caption."""

    def step(self, index: int, buffer: str, previous: str, seen: set[str]) -> str:
        for text in self.at(index):
            if text not in seen:
                for word in text.split(' '):
                    if word not in buffer and word not in previous:
                        buffer += word + ' '
            seen.add(text)
        return buffer


_LOOKUPS = {'inference': _InferenceLookup, 'eval': _EvalLookup, 'train': _TrainLookup}


def frame_captions(cues: Sequence[SubtitleCue], indices: Sequence[int], fps: float, max_words: int,
                   mode: SubtitleMode = 'train') -> list[str]:
    """One caption per sampled frame, ``''`` when it gets none, by the reference rules of ``mode``.

    ``cues`` in file order; ``indices`` (T,) positions of the sampled frames in a full sequential decode; ``fps``
    frames per second of that decode (snapped by :func:`nominal_fps`). Frames are walked from the first sampled one
    (frame 0 in the reference; the start of a ``VIDEO_START`` window here). A caption keeps the reference's
    trailing space (``'hello there '``).
    """
    if mode not in _LOOKUPS:
        raise ValueError(f'subtitle mode {mode!r}: expected one of {SUBTITLE_MODES}')
    indices = [int(i) for i in indices]
    if not cues or not indices:
        return [''] * len(indices)
    lookup, sampled = _LOOKUPS[mode](cues, nominal_fps(fps)), set(indices)
    emitted: dict[int, str] = {}
    buffer, previous, words, seen = '', '', 0, set()
    for index in range(min(indices), max(indices) + 1):  # the reference starts at 0, its first sampled frame
        buffer = lookup.step(index, buffer, previous, seen)
        if index in sampled and buffer and words < max_words:
            emitted[index], previous, buffer = buffer, buffer, ''
            words += len(previous.split(' '))
    return [emitted.pop(i, '') for i in indices]


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

    def frame_captions(self, cues: Sequence[SubtitleCue], indices: Sequence[int], fps: float,
                       mode: SubtitleMode = 'train', max_words: int | None = None) -> list[str]:
        """:func:`frame_captions` with this processor's word budget unless ``max_words`` is given."""
        return frame_captions(cues, indices, fps, self.max_subtitle_words if max_words is None else max_words, mode)

    @staticmethod
    def body(captions: Sequence[str], instruction: str, image_placeholder: str = '<ImageHere>') -> str:
        """The reference prompt body for frames with these captions (each with its trailing space)."""
        parts = [f'<Img>{image_placeholder}' + (f'<Cap>{c}' if c else '') for c in captions]
        return ''.join(parts) + '\n' + instruction


__all__ = ['SUBTITLE_MODES', 'VIDEO_SAMPLING', 'MiniGPT4VideoProcessor', 'frame_captions', 'pad_frames']
