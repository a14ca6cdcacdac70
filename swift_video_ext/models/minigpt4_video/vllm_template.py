"""MiniGPT4-Video's vLLM mode (``swift infer/deploy --infer_backend vllm``): one sentinel per frame."""

from __future__ import annotations

import numpy as np

from ...common.vllm_template import VllmTemplateMixin


class MiniGPT4VideoVllmMixin(VllmTemplateMixin):
    """MiniGPT4-Video: one sentinel per frame (its ``replace_tag`` samples the video and keeps the frames on
    ``inputs``); each frame goes to vLLM as a one-frame video of ``tokens_per_frame`` tokens."""

    def vllm_prepare(self, inputs) -> None:
        inputs.minigpt_images, inputs.minigpt_frames = [], []

    def vllm_frames(self, kind: str, index: int, inputs) -> np.ndarray:
        frames = inputs.minigpt_images if kind == 'image' else inputs.minigpt_frames
        return np.ascontiguousarray(frames[index])[None]


__all__ = ['MiniGPT4VideoVllmMixin']
