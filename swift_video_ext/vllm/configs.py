"""Configs as vLLM reads them: light (no vLLM import), registered with transformers' AutoConfig by the plugin."""

from __future__ import annotations

from ..models.cogvlm2_video.configuration_cogvlm2_video import CogVLM2VideoConfig


class CogVLM2VideoVllmConfig(CogVLM2VideoConfig):
    """CogVLM2-Video's config plus the one field that makes vLLM hand the model its own positions (M-RoPE).

    CogVLM positions are not ``arange``: a frame's patches share one position (see
    :func:`~swift_video_ext.models.cogvlm2_video.modeling_cogvlm2_video.build_position_ids`). vLLM lets a model
    compute its prompt positions only through M-RoPE, so the model gives three identical position rows and any
    split of the rotary half-dimension across them is plain 1-D RoPE.
    """

    @property
    def mrope_section(self) -> list[int]:
        half = self.head_dim // 2
        return [half - 2 * (half // 4), half // 4, half // 4]


__all__ = ['CogVLM2VideoVllmConfig']
