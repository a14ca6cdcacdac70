"""vLLM mode of our templates (``swift infer/deploy --infer_backend vllm``).

In vLLM mode ms-swift encodes text only (``Template._encode``) and hands vLLM the prompt ids plus the raw media.
Our templates mark each medium with a negative sentinel id, which vLLM rejects; :class:`VllmTemplateMixin` turns
each sentinel into the model's real placeholder id (vLLM's multimodal processor expands it) and hands vLLM the
frames our video core sampled, the same frames the ``pt`` backend feeds the model.

Every medium goes to vLLM as a *video* (a still image is a one-frame ``(1, H, W, 3)`` video), in prompt order:
our vLLM models treat a one-frame video as that image, and one modality keeps vLLM's placeholder assignment in
prompt order even where images and videos share one placeholder token.

Use: put the mixin first among the bases of a :class:`~.template.SentinelMediaTemplate` and set
:attr:`VllmTemplateMixin.vllm_sentinels`; vLLM gets each sentinel's ``medium_frames``, the frames the ``pt`` backend
preprocesses::

    class PllavaTemplate(VllmTemplateMixin, SentinelMediaTemplate):
        media_sentinels = vllm_sentinels = {IMAGE_SENTINEL: 'image', VIDEO_SENTINEL: 'video'}
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np


class VllmTemplateMixin:
    """Replaces media sentinels by placeholder ids and passes sampled frames, in ms-swift's ``vllm`` mode only."""

    vllm_sentinels: ClassVar[dict[int, str]] = {}  # sentinel id -> kind ('image', 'video', or the template's own)

    def vllm_placeholder_ids(self, kind: str) -> list[int]:
        """The ids one sentinel becomes in the prompt vLLM receives (vLLM's processor expands them)."""
        return [self.processor.image_token_id]

    def vllm_frames(self, kind: str, index: int, inputs) -> np.ndarray:
        """The ``index``-th sentinel of ``kind`` → the (T, H, W, 3) uint8 frames vLLM gets: the pt backend's."""
        return np.ascontiguousarray(self.medium_frames(kind, index, inputs))

    def _encode_truncated(self, inputs) -> dict[str, Any]:
        if not (self.mode == 'vllm' and self.vllm_sentinels):
            return super()._encode_truncated(inputs)
        with self.encode_media_scope():  # frames a replace_tag samples stay the row's until vllm_finish reads them
            encoded = super()._encode_truncated(inputs)
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
