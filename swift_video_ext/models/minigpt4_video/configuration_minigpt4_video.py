"""MiniGPT4-Video configuration (arXiv 2404.03413): EVA ViT-g/14 + Llama-2-7b-chat or Mistral-7B-Instruct-v0.2."""

from __future__ import annotations

from huggingface_hub.dataclasses import strict
from transformers import AutoConfig, Blip2VisionConfig, PreTrainedConfig

from ...common.configuration import RejectsForeignModelType

# Per LLM family: frames per video, subtitle word budget, context length of the released configs.
FAMILY_DEFAULTS = {'llama2': {'num_frames': 45, 'max_subtitle_words': 400, 'max_context_len': 3600},
                   'mistral': {'num_frames': 90, 'max_subtitle_words': 800, 'max_context_len': 7200}}


@strict
class MiniGPT4VideoConfig(RejectsForeignModelType, PreTrainedConfig):
    r"""EVA ViT-g/14 (``vision_config``: BLIP-2's vision config, 39 blocks) → ``ln_vision`` → CLS dropped →
    ``concat_tokens`` consecutive patch tokens concatenated → ``Linear(concat_tokens · 1408 → LLM hidden)``.

    Args:
        image_token_id: id filled with frame features; ``<unk>`` (0) by default — Llama-2 and Mistral have no spare
            special token and their byte-fallback tokenizers never emit ``<unk>`` for text.
        llm_family: ``llama2`` or ``mistral``; derived from ``text_config.model_type`` when omitted. It sets the
            defaults of ``num_frames`` (45 / 90) and ``max_subtitle_words`` (400 / 800).
    """

    model_type = 'minigpt4_video'
    foreign_model_type_hint = ('Released MiniGPT4-Video checkpoints are converted first: '
                               '`swift-video convert minigpt4-video`.')
    sub_configs = {'vision_config': Blip2VisionConfig, 'text_config': AutoConfig}

    vision_config: dict | PreTrainedConfig | None = None
    text_config: dict | PreTrainedConfig | None = None
    image_token_id: int = 0
    concat_tokens: int = 4
    ln_vision_eps: float = 1e-5
    llm_family: str | None = None
    num_frames: int | None = None
    max_subtitle_words: int | None = None
    max_context_len: int | None = None
    image_mean: list[float] | tuple[float, ...] = (0.485, 0.456, 0.406)
    image_std: list[float] | tuple[float, ...] = (0.229, 0.224, 0.225)
    tie_word_embeddings: bool = False

    def __post_init__(self, **kwargs):
        if isinstance(self.vision_config, dict):
            self.vision_config = Blip2VisionConfig(**self.vision_config)
        elif self.vision_config is None:
            self.vision_config = Blip2VisionConfig()
        if isinstance(self.text_config, dict):
            text = dict(self.text_config)
            self.text_config = AutoConfig.for_model(text.pop('model_type', 'llama'), **text)
        elif self.text_config is None:
            self.text_config = AutoConfig.for_model('llama')
        if self.llm_family is None:
            self.llm_family = 'mistral' if self.text_config.model_type == 'mistral' else 'llama2'
        if self.llm_family not in FAMILY_DEFAULTS:
            raise ValueError(f'llm_family must be one of {sorted(FAMILY_DEFAULTS)}, got {self.llm_family!r}')
        for key, value in FAMILY_DEFAULTS[self.llm_family].items():
            if getattr(self, key) is None:
                setattr(self, key, value)
        patches = (self.vision_config.image_size // self.vision_config.patch_size) ** 2
        if patches % self.concat_tokens:
            raise ValueError(f'{patches} patches per frame do not split into groups of {self.concat_tokens}')
        self.image_mean, self.image_std = list(self.image_mean), list(self.image_std)
        super().__post_init__(**kwargs)

    @property
    def tokens_per_frame(self) -> int:
        """LLM tokens per frame: patches / concat_tokens (256 / 4 = 64 for the released models)."""
        return (self.vision_config.image_size // self.vision_config.patch_size) ** 2 // self.concat_tokens

    @property
    def projector_in(self) -> int:
        return self.concat_tokens * self.vision_config.hidden_size


__all__ = ['FAMILY_DEFAULTS', 'MiniGPT4VideoConfig']
