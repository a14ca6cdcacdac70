"""CogVLM2-Video configuration: EVA2-CLIP-E vision tower + Llama-3-8B under CogVLM's names.

Field names match the official ``config.json`` of ``THUDM/cogvlm2-video-llama3-chat`` / ``-base`` (which has no
``model_type``, no ``rope_theta`` and calls the key/value heads ``num_multi_query_heads``), so that file loads
unchanged. RoPE's base 500000 is hard-coded in the reference modeling code; here it is a field with that default.
"""

from __future__ import annotations

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from ...common.configuration import RejectsForeignModelType


@strict
class CogVLM2VideoVisionConfig(PreTrainedConfig):
    """EVA2-CLIP-E per frame: ``image_size`` px, ``patch_size`` px patches, post-norm ("sandwich") blocks."""

    model_type = 'cogvlm2_video_vision'
    base_config_key = 'vision_config'

    hidden_size: int = 1792
    intermediate_size: int = 15360
    num_hidden_layers: int = 63
    num_heads: int = 16
    patch_size: int = 14
    image_size: int = 224
    in_channels: int = 3
    hidden_act: str = 'gelu'
    layer_norm_eps: float = 1e-6
    dropout_prob: float = 0.0
    num_positions: int | None = None

    def __post_init__(self, **kwargs):
        grid = self.image_size // self.patch_size
        if self.num_positions is None:
            self.num_positions = grid * grid + 1
        if self.num_positions != grid * grid + 1:
            raise ValueError(f'num_positions={self.num_positions} but a {self.image_size} px image of {self.patch_size}'
                             f' px patches has {grid * grid} patches + CLS')
        if grid % 2:
            raise ValueError(f'the 2x2 stride-2 conv needs an even patch grid, got {grid}x{grid}')
        super().__post_init__(**kwargs)


@strict
class CogVLM2VideoConfig(RejectsForeignModelType, PreTrainedConfig):
    """Language model (Llama-3 dims by default) plus ``vision_config``.

    ``tokens_per_frame`` = (grid / 2)² patches after the 2x2 conv + boi + eoi = 66 for the released model.
    """

    model_type = 'cogvlm2_video'
    sub_configs = {'vision_config': CogVLM2VideoVisionConfig}
    attribute_map = {'num_key_value_heads': 'num_multi_query_heads'}
    keys_to_ignore_at_inference = ['past_key_values']

    vocab_size: int = 128256
    hidden_size: int = 4096
    intermediate_size: int = 14336
    num_hidden_layers: int = 32
    num_attention_heads: int = 32
    num_multi_query_heads: int = 8
    hidden_act: str = 'silu'
    rms_norm_eps: float = 1e-5
    max_position_embeddings: int = 2048
    rope_theta: float = 500000.0
    initializer_range: float = 0.02
    template_version: str = 'chat'
    vision_config: dict | PreTrainedConfig | None = None
    bos_token_id: int | None = 128000
    eos_token_id: int | list[int] | None = 128001
    pad_token_id: int | None = 128002
    tie_word_embeddings: bool = False
    use_cache: bool = True

    def __post_init__(self, **kwargs):
        if isinstance(self.vision_config, dict):
            self.vision_config = CogVLM2VideoVisionConfig(**self.vision_config)
        elif self.vision_config is None:
            self.vision_config = CogVLM2VideoVisionConfig()
        if self.hidden_size % self.num_attention_heads or self.num_attention_heads % self.num_multi_query_heads:
            raise ValueError('hidden_size must divide into num_attention_heads, and those into num_multi_query_heads')
        super().__post_init__(**kwargs)

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @property
    def tokens_per_frame(self) -> int:
        grid = self.vision_config.image_size // self.vision_config.patch_size
        return (grid // 2) ** 2 + 2

    @property
    def mrope_section(self) -> list[int]:
        """For vLLM only: the M-RoPE field through which vLLM lets the model hand it its own positions.

        CogVLM positions are not ``arange``: a frame's patches share one position (see
        :func:`~swift_video_ext.models.cogvlm2_video.modeling_cogvlm2_video.build_position_ids`). vLLM lets a model
        compute its prompt positions only through M-RoPE, so the vLLM model gives three identical position rows and
        any split of the rotary half-dimension across them is plain 1-D RoPE. transformers and ms-swift never read it.
        """
        half = self.head_dim // 2
        return [half - 2 * (half // 4), half // 4, half // 4]


__all__ = ['CogVLM2VideoConfig', 'CogVLM2VideoVisionConfig']
