"""CogVLM2-Video processing: the reference pixel pipeline and the exact prompt layouts.

Pixels (per frame, without pytorchvideo): /255 → CLIP mean/std → short side to ``image_size`` (bilinear, no
antialias) → centre crop ``image_size`` → (T, 3, S, S) float32.

Chat layout (``template_version='chat'``, what the official demos use for the chat checkpoint)::

    [BOS] + for each frame t: [pad]*tokens_per_frame (type 1) + tokenize(str(t)) (type 0)
          + tokenize("Question: {q1} Answer: {a1}\\n" … "Question: {query} Answer:") + [answer + EOS]

Base layout (``'base'``): ``[BOS] + [pad]*(tokens_per_frame * T) (type 1) + tokenize(query) [+ answer + EOS]``,
history ignored. Labels cover the answer and EOS only. The timestamp of frame t is its ordinal in the sampled list,
as the official ``build_conversation_input_ids`` writes it; the chat sampler takes the frame nearest each whole
second and repeats a frame nearest to several seconds (low-fps clips), as the official loader does, so ordinal ==
second. ``timestamp_mode='seconds'`` instead writes each frame's real time rounded to whole seconds — an opt-in
extension for sampling beyond 24 s, not the official layout.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from transformers import ProcessorMixin

from ...video.transforms import CLIP_MEAN, CLIP_STD, center_crop, frames_to_tensor, normalize, short_side_scale
from .spec import VIDEO_SAMPLING, VIDEO_SAMPLING_BASE

TEMPLATE_VERSIONS = ('chat', 'base')
TIMESTAMP_MODES = ('ordinal', 'seconds')


class CogVLM2VideoProcessor(ProcessorMixin):
    """Tokenizer + frame preprocessing + prompt layout. ``__call__`` builds one sample for HF-native use."""

    def __init__(self, tokenizer=None, image_size: int = 224, tokens_per_frame: int = 66,
                 template_version: str = 'chat', timestamp_mode: str = 'ordinal', **kwargs):
        if template_version not in TEMPLATE_VERSIONS:
            raise ValueError(f'template_version must be one of {TEMPLATE_VERSIONS}, got {template_version!r}')
        if timestamp_mode not in TIMESTAMP_MODES:
            raise ValueError(f'timestamp_mode must be one of {TIMESTAMP_MODES}, got {timestamp_mode!r}')
        self.image_size = int(image_size)
        self.tokens_per_frame = int(tokens_per_frame)
        self.template_version = template_version
        self.timestamp_mode = timestamp_mode
        super().__init__(tokenizer)

    def preprocess_frames(self, frames: np.ndarray) -> torch.Tensor:
        """(T, H, W, 3) uint8 → (T, 3, S, S) float32: the reference's scale to [0, 1], normalise, short-side resize
        (bilinear), centre crop — with the per-channel affine steps applied after the resize, which they commute
        with (bilinear weights sum to 1), so they run on S x S pixels instead of full frames."""
        video = frames_to_tensor(frames, scale=False)
        cropped = center_crop(short_side_scale(video, self.image_size), self.image_size)
        return normalize(cropped.div_(255.0), CLIP_MEAN, CLIP_STD)

    def timestamp_texts(self, timestamps: Sequence[float], mode: str | None = None) -> list[str]:
        """Text after each frame: its ordinal ("0", "1", …) or its time in whole seconds."""
        mode = mode or self.timestamp_mode
        if mode == 'seconds':
            return [str(int(round(float(t)))) for t in timestamps]
        return [str(i) for i in range(len(timestamps))]

    def _encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def build(self, query: str, *, history: Sequence[tuple[str, str]] = (),
              answer: str | list[int] | dict | None = None, timestamp_texts: Sequence[str] = (),
              num_frames: int | None = None, template_version: str | None = None,
              system: str | None = None) -> dict[str, list[int] | None]:
        """Token ids, token types (1 = vision slot) and labels (None without an answer) of one sample."""
        version = template_version or self.template_version
        tokenizer = self.tokenizer
        num_frames = len(timestamp_texts) if num_frames is None else num_frames
        pad, slots = tokenizer.pad_token_id, self.tokens_per_frame
        ids, types = [tokenizer.bos_token_id], [0]
        if version == 'chat':
            for ts_text in timestamp_texts:
                ts_ids = self._encode(ts_text)
                ids += [pad] * slots + ts_ids
                types += [1] * slots + [0] * len(ts_ids)
            text = ''.join(f'Question: {q} Answer: {a}\n' for q, a in history) + f'Question: {query} Answer:'
        else:
            ids += [pad] * (slots * num_frames)
            types += [1] * (slots * num_frames)
            text = query
        if system:
            text = f'{system}\n{text}'
        text_ids = self._encode(text)
        ids += text_ids
        types += [0] * len(text_ids)
        labels = None
        if answer is not None:
            answer_ids, answer_labels = self._answer(answer)
            labels = [-100] * len(ids) + answer_labels
            ids += answer_ids
            types += [0] * len(answer_ids)
        return {'input_ids': ids, 'token_type_ids': types, 'labels': labels}

    def _answer(self, answer: str | list[int] | dict) -> tuple[list[int], list[int]]:
        """Ids and labels of the answer and its EOS. ``answer`` is text, or token ids as ms-swift's GRPO passes a
        sampled completion (a list, or ``{'input_ids', 'loss_scale'}``; kept as sampled, EOS added if missing)."""
        eos = self.tokenizer.eos_token_id
        if isinstance(answer, str):
            answer_ids = self._encode(answer) + [eos]
            return answer_ids, list(answer_ids)
        scale = None
        if isinstance(answer, dict):
            answer, scale = answer.get('token_ids', answer.get('input_ids')), answer.get('loss_scale')
        answer_ids = [int(i) for i in answer]
        labels = answer_ids if scale is None else [i if s else -100 for i, s in zip(answer_ids, scale, strict=True)]
        if not answer_ids or answer_ids[-1] != eos:
            answer_ids, labels = answer_ids + [eos], labels + [eos]
        return answer_ids, labels

    def __call__(self, query: str, video: np.ndarray | None = None, timestamps: Sequence[float] | None = None,
                 history: Sequence[tuple[str, str]] = (), answer: str | None = None, return_tensors='pt', **kwargs):
        """One sample: ``video`` (T, H, W, 3) uint8 with ``timestamps`` (seconds) → batched tensors."""
        frames = 0 if video is None else len(video)
        timestamps = list(range(frames)) if timestamps is None else timestamps
        built = self.build(query, history=history, answer=answer, timestamp_texts=self.timestamp_texts(timestamps)
                           if frames else [], num_frames=frames)
        output = {key: torch.tensor([value]) for key, value in built.items() if value is not None}
        output['attention_mask'] = torch.ones_like(output['input_ids'])
        if frames:
            output['pixel_values'] = self.preprocess_frames(video)
        return output


__all__ = ['VIDEO_SAMPLING', 'VIDEO_SAMPLING_BASE', 'CogVLM2VideoProcessor']
