"""CogVLM2-Video in vLLM: our EVA2-CLIP-E tower (the transformers module itself) + vLLM's Llama, CogVLM positions.

Same numbers as :mod:`swift_video_ext.models.cogvlm2_video.modeling_cogvlm2_video`:

- every frame is one vLLM item: our template sends each sampled frame as a one-frame video and one pad id where the
  pt prompt has the frame's ``tokens_per_frame`` vision slots; vLLM expands it back and the tower fills the slots
  with [boi, patches, eoi];
- the language model is vLLM's Llama with CogVLM's weight names mapped (fused ``language_expert_query_key_value`` →
  ``qkv_proj``, ``language_expert_dense`` → ``o_proj``, ``mlp.language_mlp`` → ``mlp``);
- positions are CogVLM's (a frame's patches share one position), computed from the placeholder slots by
  :func:`build_position_ids` and handed to vLLM through its M-RoPE hook as three identical rows;
- RoPE's cos/sin come from the checkpoint's stored ``rotary_emb.inv_freq`` (bf16-rounded in the official
  checkpoints), computed in that tensor's dtype, as our transformers model does.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn
from transformers import LlamaConfig
from vllm.config import VllmConfig
from vllm.model_executor.models.interfaces import SupportsMRoPE, SupportsMultiModal, SupportsPP
from vllm.model_executor.models.utils import (
    AutoWeightsLoader,
    WeightsMapper,
    init_vllm_registered_model,
    maybe_prefix,
)
from vllm.multimodal import MULTIMODAL_REGISTRY

from ..models.cogvlm2_video.configuration_cogvlm2_video import CogVLM2VideoConfig
from ..models.cogvlm2_video.modeling_cogvlm2_video import EVA2CLIPModel, build_position_ids
from ..models.cogvlm2_video.processing_cogvlm2_video import CogVLM2VideoProcessor
from .frame_items import (
    FrameItemsDummyInputsBuilder,
    FrameItemsModelMixin,
    FrameItemsMultiModalProcessor,
    FrameItemsProcessingInfo,
)

INV_FREQ_SUFFIX = 'rotary_emb.inv_freq'


def llama_config(config: CogVLM2VideoConfig) -> LlamaConfig:
    """The language model's dims as the LlamaConfig vLLM's Llama reads (M-RoPE sections for CogVLM positions)."""
    return LlamaConfig(
        vocab_size=config.vocab_size, hidden_size=config.hidden_size, intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_hidden_layers, num_attention_heads=config.num_attention_heads,
        num_key_value_heads=config.num_multi_query_heads, head_dim=config.head_dim, hidden_act=config.hidden_act,
        rms_norm_eps=config.rms_norm_eps, max_position_embeddings=config.max_position_embeddings,
        rope_parameters={'rope_type': 'default', 'rope_theta': config.rope_theta,
                         'mrope_section': config.mrope_section},
        tie_word_embeddings=False, attention_bias=False, mlp_bias=False, bos_token_id=config.bos_token_id,
        eos_token_id=config.eos_token_id, pad_token_id=config.pad_token_id, architectures=['LlamaForCausalLM'])


def cogvlm_positions(num_tokens: int, slot_ranges: Iterable[tuple[int, int]]) -> torch.Tensor:
    """(num_tokens,) CogVLM positions of a prompt whose vision slots are ``[offset, offset + length)`` ranges."""
    token_types = torch.zeros(1, num_tokens, dtype=torch.long)
    for offset, length in slot_ranges:
        token_types[0, offset:offset + length] = 1
    return build_position_ids(token_types)[0]


def rope_cache(inv_freq: torch.Tensor, max_positions: int) -> torch.Tensor:
    """(max_positions, head_dim) [cos | sin] for integer positions, computed in ``inv_freq``'s dtype like
    :class:`CogVLMRotaryEmbedding` (positions cast to that dtype too)."""
    positions = torch.arange(max_positions, device=inv_freq.device)
    freqs = positions[:, None].to(inv_freq.dtype) * inv_freq
    return torch.cat([freqs.cos(), freqs.sin()], dim=-1)


class CogVLM2VideoProcessingInfo(FrameItemsProcessingInfo):
    def get_hf_config(self) -> CogVLM2VideoConfig:
        return self.ctx.get_hf_config(CogVLM2VideoConfig)

    def get_hf_processor(self, **kwargs: object) -> CogVLM2VideoProcessor:
        config = self.get_hf_config()
        return CogVLM2VideoProcessor(self.get_tokenizer(), image_size=config.vision_config.image_size,
                                     tokens_per_frame=config.tokens_per_frame)

    def placeholder_id(self) -> int:
        return self.get_hf_config().pad_token_id  # the vision slots hold the pad id (the official layout)


@MULTIMODAL_REGISTRY.register_processor(FrameItemsMultiModalProcessor, info=CogVLM2VideoProcessingInfo,
                                        dummy_inputs=FrameItemsDummyInputsBuilder)
class CogVLM2VideoForCausalLM(FrameItemsModelMixin, nn.Module, SupportsMultiModal, SupportsPP, SupportsMRoPE):
    """Weight names are our export's (and the official checkpoint's): ``model.vision.*``, ``model.layers.*``,
    ``model.embed_tokens``, ``model.norm``, ``lm_head``."""

    hf_to_vllm_mapper = WeightsMapper(
        orig_to_new_substr={'.language_expert_query_key_value.': '.qkv_proj.',
                            '.language_expert_dense.': '.o_proj.', '.mlp.language_mlp.': '.mlp.'},
        orig_to_new_prefix={'model.vision.': 'vision.', 'model.': 'language_model.model.',
                            'lm_head.': 'language_model.lm_head.'})

    @classmethod
    def get_placeholder_str(cls, modality: str, i: int) -> str | None:
        return None  # the vision slot is the pad token: prompts come from our template, not from text

    def __init__(self, *, vllm_config: VllmConfig, prefix: str = '') -> None:
        super().__init__()
        config: CogVLM2VideoConfig = vllm_config.model_config.hf_config
        self.config = config
        self.configure_mm_token_handling(vocab_size=config.vocab_size, mm_token_ids=[config.pad_token_id])
        with self._mark_tower_model(vllm_config, {'image', 'video'}):
            self.vision = EVA2CLIPModel(config)
        with self._mark_language_model(vllm_config):
            self.language_model = init_vllm_registered_model(vllm_config=vllm_config, hf_config=llama_config(config),
                                                             prefix=maybe_prefix(prefix, 'language_model'),
                                                             architectures=['LlamaForCausalLM'])
        self.make_empty_intermediate_tensors = self.language_model.make_empty_intermediate_tensors

    def _encode_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """(T, 3, S, S) → (T · tokens_per_frame, D)."""
        return self.vision(frames.to(self.vision.conv.weight.dtype)).flatten(0, 1)

    def get_mrope_input_positions(self, input_tokens: list[int], mm_features) -> tuple[torch.Tensor, int]:
        """CogVLM positions of the prompt as three identical rows, and the offset decoding continues from."""
        slots = [(feature.mm_position.offset, feature.mm_position.length) for feature in mm_features]
        positions = cogvlm_positions(len(input_tokens), slots)
        delta = int(positions.max()) + 1 - len(input_tokens) if len(input_tokens) else 0
        return positions.unsqueeze(0).expand(3, -1).clone(), delta

    def load_weights(self, weights: Iterable[tuple[str, torch.Tensor]]) -> set[str]:
        """The checkpoint's weights, with RoPE's cos/sin rebuilt from its stored ``inv_freq`` (every layer holds the
        same tensor; checkpoints without one keep vLLM's exact frequencies)."""
        stored: list[torch.Tensor] = []

        def without_inv_freq():
            for name, tensor in weights:
                if name.endswith(INV_FREQ_SUFFIX):
                    stored.append(tensor)
                else:
                    yield name, tensor

        loaded = AutoWeightsLoader(self).load_weights(without_inv_freq(), mapper=self.hf_to_vllm_mapper)
        if stored:
            self._use_stored_inv_freq(stored[0])
        return loaded

    @torch.no_grad()
    def _use_stored_inv_freq(self, inv_freq: torch.Tensor) -> None:
        for layer in self.language_model.model.layers:
            rotary = getattr(getattr(layer, 'self_attn', None), 'rotary_emb', None)
            if rotary is None:  # a pipeline-parallel placeholder layer
                continue
            cache = rope_cache(inv_freq.to(rotary.cos_sin_cache.device), rotary.cos_sin_cache.shape[0])
            rotary.cos_sin_cache.copy_(cache.to(rotary.cos_sin_cache.dtype))


__all__ = ['CogVLM2VideoForCausalLM', 'cogvlm_positions', 'llama_config', 'rope_cache']
