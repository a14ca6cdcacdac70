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
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np


def image_frames(image: Any) -> np.ndarray:
    """A loaded image (PIL) → (1, H, W, 3) uint8, as the ``pt`` path feeds it."""
    return np.asarray(image.convert('RGB'))[None]


class VllmTemplateMixin:
    """Replaces media sentinels by placeholder ids and passes sampled frames, in ms-swift's ``vllm`` mode only."""

    vllm_sentinels: ClassVar[dict[int, str]] = {}  # sentinel id -> 'image' | 'video'

    def vllm_placeholder_ids(self, media_type: str) -> list[int]:
        """The ids one medium is in the prompt vLLM receives (vLLM's processor expands them)."""
        return [self.processor.image_token_id]

    def vllm_frames(self, media_type: str, item: Any) -> np.ndarray:
        """One medium → the (T, H, W, 3) uint8 frames vLLM gets: our sampling for videos, the image itself else."""
        if media_type == 'image':
            return image_frames(item)
        return np.ascontiguousarray(self.sample_video(item).frames)

    def _encode_truncated(self, inputs) -> dict[str, Any]:
        encoded = super()._encode_truncated(inputs)
        if self.mode == 'vllm' and self.vllm_sentinels:
            self.vllm_finish(encoded, inputs)
        return encoded

    def vllm_finish(self, encoded: dict[str, Any], inputs) -> None:
        """Rewrite ``encoded`` in place: sentinels → placeholder ids, ``videos`` = every medium's frames in order."""
        input_ids, media = [], []
        counters = {'image': 0, 'video': 0}
        for token in encoded['input_ids']:
            media_type = self.vllm_sentinels.get(token)
            if media_type is None:
                input_ids.append(token)
                continue
            items = inputs.images if media_type == 'image' else inputs.videos
            index = counters[media_type]
            if index >= len(items):
                raise ValueError(f'the prompt has more <{media_type}> tags than the row has {media_type}s '
                                 f'({len(items)})')
            media.append(self.vllm_frames(media_type, items[index]))
            counters[media_type] += 1
            input_ids += self.vllm_placeholder_ids(media_type)
        encoded['input_ids'] = input_ids
        if encoded.get('labels') is not None and len(encoded['labels']) != len(input_ids):
            encoded['labels'] = None  # not used for generation
        encoded.pop('images', None)
        encoded.pop('videos', None)
        if media:
            encoded['videos'] = media
