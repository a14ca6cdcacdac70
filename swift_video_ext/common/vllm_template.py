"""vLLM mode of our templates (``swift infer/deploy --infer_backend vllm``).

In vLLM mode ms-swift encodes text only (``Template._encode``) and hands vLLM the prompt ids plus the raw media.
Our templates mark each medium with a negative sentinel id, which vLLM rejects; :class:`VllmTemplateMixin` turns
each sentinel into the model's real placeholder id (vLLM's multimodal processor expands it) and hands vLLM the
frames our video core sampled, the same frames the ``pt`` backend feeds the model.

Every medium goes to vLLM as a *video* (a still image is a one-frame ``(1, H, W, 3)`` video), in prompt order:
our vLLM models treat a one-frame video as that image, and one modality keeps vLLM's placeholder assignment in
prompt order even where images and videos share one placeholder token.

Use: put the mixin first among the template's bases and set :attr:`VllmTemplateMixin.vllm_sentinels`::

    class PllavaTemplate(VllmTemplateMixin, VideoTemplate):
        vllm_sentinels = {IMAGE_SENTINEL: 'image', VIDEO_SENTINEL: 'video'}

    class MiniGPT4VideoTemplate(MiniGPT4VideoVllmMixin, VideoTemplate):
        vllm_sentinels = {IMAGE_SENTINEL: 'image', FRAME_SENTINEL: 'frame'}
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..video.frames import image_frames


class VllmTemplateMixin:
    """Replaces media sentinels by placeholder ids and passes sampled frames, in ms-swift's ``vllm`` mode only.

    Hooks for templates whose sentinels are not one per image/video: :meth:`vllm_prepare` (before encoding) and
    :meth:`vllm_frames` (the frames of the n-th sentinel of a kind).
    """

    vllm_sentinels: ClassVar[dict[int, str]] = {}  # sentinel id -> kind ('image', 'video', or the template's own)

    def vllm_placeholder_ids(self, kind: str) -> list[int]:
        """The ids one sentinel becomes in the prompt vLLM receives (vLLM's processor expands them)."""
        return [self.processor.image_token_id]

    def vllm_prepare(self, inputs) -> None:
        """Called before ms-swift encodes the text of a row in vllm mode."""

    def vllm_frames(self, kind: str, index: int, inputs) -> np.ndarray:
        """The ``index``-th sentinel of ``kind`` → the (T, H, W, 3) uint8 frames vLLM gets: our sampling for
        videos, the image itself for images."""
        items = inputs.images if kind == 'image' else inputs.videos
        if index >= len(items):
            raise ValueError(f'the prompt has more <{kind}> tags than the row has {kind}s ({len(items)})')
        if kind == 'image':
            return image_frames(items[index])
        return np.ascontiguousarray(self.sample_video(items[index]).frames)

    def _encode_truncated(self, inputs) -> dict[str, Any]:
        vllm = self.mode == 'vllm' and bool(self.vllm_sentinels)
        if vllm:
            self.vllm_prepare(inputs)
        encoded = super()._encode_truncated(inputs)
        if vllm:
            self.vllm_finish(encoded, inputs)
        return encoded

    def vllm_finish(self, encoded: dict[str, Any], inputs) -> None:
        """Rewrite ``encoded`` in place: sentinels → placeholder ids, ``videos`` = every medium's frames in order."""
        input_ids, media = [], []
        counters = dict.fromkeys(self.vllm_sentinels.values(), 0)
        for token in encoded['input_ids']:
            kind = self.vllm_sentinels.get(token)
            if kind is None:
                input_ids.append(token)
                continue
            media.append(self.vllm_frames(kind, counters[kind], inputs))
            counters[kind] += 1
            input_ids += self.vllm_placeholder_ids(kind)
        encoded['input_ids'] = input_ids
        if encoded.get('labels') is not None and len(encoded['labels']) != len(input_ids):
            encoded['labels'] = None  # not used for generation
        encoded.pop('images', None)
        encoded.pop('videos', None)
        if media:
            encoded['videos'] = media


class MiniGPT4VideoVllmMixin(VllmTemplateMixin):
    """MiniGPT4-Video: one sentinel per frame (its ``replace_tag`` samples the video and keeps the frames on
    ``inputs``); each frame goes to vLLM as a one-frame video of ``tokens_per_frame`` tokens."""

    def vllm_prepare(self, inputs) -> None:
        inputs.minigpt_images, inputs.minigpt_frames = [], []

    def vllm_frames(self, kind: str, index: int, inputs) -> np.ndarray:
        frames = inputs.minigpt_images if kind == 'image' else inputs.minigpt_frames
        return np.ascontiguousarray(frames[index])[None]
