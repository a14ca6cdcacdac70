"""CogVLM2-Video (arXiv 2408.16500), native: loads the official safetensors unchanged, no remote code.

Per frame: EVA2-CLIP-E (post-norm blocks, exact GELU, bidirectional attention, CLS dropped) → 2x2 stride-2 conv →
GLU/SwiGLU projector → [boi, (grid/2)² patches, eoi] = ``tokens_per_frame`` embeddings, written into the slots
whose ``token_type_ids`` are 1. The language model is Llama-3 under CogVLM's names: one fused
``language_expert_query_key_value`` (no bias) split into query / key / value heads (GQA), ``language_expert_dense``,
``mlp.language_mlp.*``; the video checkpoints have no visual experts, so every token uses these weights.

Positions follow CogVLM: a frame's boi, its patches (all sharing one position), its eoi and its timestamp token
take four consecutive positions; text advances by one per token. They are rebuilt from ``token_type_ids`` whenever
the caller gives none, in every path: a forward, ``generate()`` (prefill positions from the token types, then +1 per
new token, as the official model rebuilds them at every step) and ms-swift's batches (the templates pass them).

Padding-free rows (ms-swift's ``--padding_free`` / ``--packing``: several samples end to end, no attention mask, each
sample with its own positions from 0) are split at every position 0: a block-diagonal causal mask for sdpa / eager,
per-sample ``position_ids`` for flash attention's varlen path (:func:`packed_sample_positions`).

Rotary frequencies: each attention layer holds ``rotary_emb.inv_freq`` as the official checkpoint stores it (the
stored tensor is used as loaded, bf16-rounded values included; checkpoints without it get the exact frequencies);
angles are computed in that tensor's dtype, as the official ``pos_idx_in_fp32=False`` does.
"""

import torch
import torch.nn.functional as F
from torch import nn
from transformers import GenerationMixin, PreTrainedModel
from transformers.activations import ACT2FN
from transformers.cache_utils import Cache, DynamicCache
from transformers.masking_utils import create_causal_mask, packed_sequence_mask_function
from transformers.modeling_layers import GradientCheckpointingLayer
from transformers.modeling_outputs import BaseModelOutputWithPast, CausalLMOutputWithPast
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
from transformers.models.llama.modeling_llama import LlamaRMSNorm, apply_rotary_pos_emb, eager_attention_forward
from transformers.utils import can_return_tuple
from transformers.utils.output_capturing import capture_outputs

from ...common.dummy_vision import with_dummy_vision
from ...common.generation import FlatFramesGenerationMixin, per_sample_counts
from .configuration_cogvlm2_video import CogVLM2VideoConfig, CogVLM2VideoVisionConfig

LANGUAGE_TOKEN_TYPE, VISION_TOKEN_TYPE = 0, 1


def build_position_ids(token_type_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """(B, L) positions with CogVLM's semantics; padding (mask 0) does not advance, the first real token is 0.

    The first and last token of every contiguous vision run (a frame's boi/eoi, or the whole video's in the base
    layout) count as language tokens; every language token advances the position by one, and so does the first
    inner vision token after a non-inner-vision token; the other inner vision tokens repeat its position.
    """
    vision = token_type_ids == VISION_TOKEN_TYPE
    real = torch.ones_like(vision) if attention_mask is None else attention_mask.bool()
    vision = vision & real
    previous = F.pad(vision, (1, 0), value=False)[:, :-1]
    following = F.pad(vision, (0, 1), value=False)[:, 1:]
    inner = vision & previous & following  # not the first or last token of its run
    inner_previous = F.pad(inner, (1, 0), value=False)[:, :-1]
    advances = real & (~inner | ~inner_previous)
    positions = advances.long().cumsum(dim=-1) - 1
    return positions.clamp(min=0)


def packed_sample_positions(position_ids: torch.Tensor) -> torch.Tensor | None:
    """(B, L) CogVLM positions of padding-free rows → (B, L) index of each token within its own sample, or None.

    ms-swift's padding-free / packing collator puts several samples in one row, each with its own positions; every
    sample, and only a sample, starts at position 0 (:func:`build_position_ids`). None when no row holds more
    than one sample. The result restarts ``0, 1, 2, …`` at each sample, the form transformers' flash-attention
    path reads sample boundaries from (``position_ids`` equal to their minimum).
    """
    starts = position_ids == 0
    if not bool((starts.sum(dim=-1) > 1).any()):
        return None
    index = torch.arange(position_ids.shape[-1], device=position_ids.device).expand_as(position_ids)
    return index - torch.where(starts, index, torch.zeros_like(index)).cummax(dim=-1).values


# --------------------------------------------------------------------------------------------- vision: EVA2-CLIP-E
class EVA2CLIPPatchEmbedding(nn.Module):
    def __init__(self, config: CogVLM2VideoVisionConfig):
        super().__init__()
        self.proj = nn.Conv2d(config.in_channels, config.hidden_size, kernel_size=config.patch_size,
                              stride=config.patch_size)
        self.cls_embedding = nn.Parameter(torch.zeros(1, config.hidden_size))
        self.position_embedding = nn.Embedding(config.num_positions, config.hidden_size)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(T, 3, S, S) → (T, 1 + (S/patch)², hidden): CLS first, plus learned absolute positions."""
        patches = self.proj(images).flatten(2).transpose(1, 2)
        cls = self.cls_embedding.expand(patches.shape[0], -1).unsqueeze(1)
        return torch.cat([cls, patches], dim=1) + self.position_embedding.weight.unsqueeze(0)


class EVA2CLIPAttention(nn.Module):
    """Bidirectional multi-head attention with a fused, biased QKV laid out as [Q heads | K heads | V heads]."""

    def __init__(self, config: CogVLM2VideoVisionConfig):
        super().__init__()
        self.num_heads = config.num_heads
        self.head_dim = config.hidden_size // config.num_heads
        self.query_key_value = nn.Linear(config.hidden_size, 3 * config.hidden_size)
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        qkv = self.query_key_value(x).view(batch, length, 3, self.num_heads, self.head_dim)
        query, key, value = qkv.permute(2, 0, 3, 1, 4)  # each (B, heads, L, head_dim)
        out = F.scaled_dot_product_attention(query, key, value)
        return self.dense(out.transpose(1, 2).reshape(batch, length, -1))


class EVA2CLIPMLP(nn.Module):
    def __init__(self, config: CogVLM2VideoVisionConfig):
        super().__init__()
        self.fc1 = nn.Linear(config.hidden_size, config.intermediate_size)
        self.activation = ACT2FN[config.hidden_act]  # "gelu": exact (erf) GELU
        self.fc2 = nn.Linear(config.intermediate_size, config.hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.activation(self.fc1(x)))


class EVA2CLIPTransformerLayer(GradientCheckpointingLayer):
    """Post-norm "sandwich" block: ``h = x + LN(attn(x))``; ``out = h + LN(mlp(h))``."""

    def __init__(self, config: CogVLM2VideoVisionConfig):
        super().__init__()
        self.input_layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.attention = EVA2CLIPAttention(config)
        self.mlp = EVA2CLIPMLP(config)
        self.post_attention_layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.input_layernorm(self.attention(x))
        return x + self.post_attention_layernorm(self.mlp(x))


class EVA2CLIPTransformer(nn.Module):
    def __init__(self, config: CogVLM2VideoVisionConfig):
        super().__init__()
        self.layers = nn.ModuleList([EVA2CLIPTransformerLayer(config) for _ in range(config.num_hidden_layers)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class GLU(nn.Module):
    """Projector: linear → LayerNorm → GELU → SwiGLU (``down(silu(gate(x)) * up(x))``), vision → text width."""

    def __init__(self, config: CogVLM2VideoConfig):
        super().__init__()
        hidden = config.hidden_size
        self.linear_proj = nn.Linear(config.vision_config.hidden_size, hidden, bias=False)
        self.norm1 = nn.LayerNorm(hidden)
        self.act1 = nn.GELU()
        self.act2 = nn.SiLU()
        self.dense_h_to_4h = nn.Linear(hidden, config.intermediate_size, bias=False)
        self.gate_proj = nn.Linear(hidden, config.intermediate_size, bias=False)
        self.dense_4h_to_h = nn.Linear(config.intermediate_size, hidden, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act1(self.norm1(self.linear_proj(x)))
        return self.dense_4h_to_h(self.act2(self.gate_proj(x)) * self.dense_h_to_4h(x))


class EVA2CLIPModel(nn.Module):
    """Frames (T, 3, S, S) → (T, tokens_per_frame, text hidden): [boi, 2x2-conv-downsampled patches, eoi]."""

    def __init__(self, config: CogVLM2VideoConfig):
        super().__init__()
        vision = config.vision_config
        self.patch_embedding = EVA2CLIPPatchEmbedding(vision)
        self.transformer = EVA2CLIPTransformer(vision)
        self.linear_proj = GLU(config)
        self.conv = nn.Conv2d(vision.hidden_size, vision.hidden_size, kernel_size=2, stride=2)
        self.boi = nn.Parameter(torch.zeros(1, 1, config.hidden_size))
        self.eoi = nn.Parameter(torch.zeros(1, 1, config.hidden_size))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.transformer(self.patch_embedding(images))[:, 1:]  # drop CLS
        frames, patches, width = x.shape
        grid = int(patches ** 0.5)
        x = self.conv(x.view(frames, grid, grid, width).permute(0, 3, 1, 2))  # row-major patch grid, NCHW
        x = self.linear_proj(x.flatten(2).transpose(1, 2))
        return torch.cat([self.boi.expand(frames, -1, -1), x, self.eoi.expand(frames, -1, -1)], dim=1)


# --------------------------------------------------------------------------------------------- language: Llama-3
class CogVLMRotaryEmbedding(nn.Module):
    """Rotate-half RoPE with base ``rope_theta`` (500000).

    ``inv_freq`` (head_dim / 2,) is a saved buffer, so the official checkpoint's per-layer tensors load into it
    unchanged; angles are ``position · inv_freq`` in ``inv_freq``'s dtype (the official ``pos_idx_in_fp32=False``).
    """

    def __init__(self, config: CogVLM2VideoConfig):
        super().__init__()
        self.register_buffer('inv_freq', exact_inv_freq(config), persistent=True)

    @torch.no_grad()
    def forward(self, x: torch.Tensor, position_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, L) positions → cos, sin of shape (B, L, head_dim) in ``x``'s dtype."""
        inv_freq = self.inv_freq.to(x.device)
        freqs = position_ids[..., None].to(inv_freq.dtype) * inv_freq
        angles = torch.cat([freqs, freqs], dim=-1)
        return angles.cos().to(x.dtype), angles.sin().to(x.dtype)


def exact_inv_freq(config: CogVLM2VideoConfig) -> torch.Tensor:
    """``1 / theta^(2i / head_dim)`` in float32, (head_dim / 2,)."""
    dim = config.head_dim
    return 1.0 / (config.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))


class LanguageMLP(nn.Module):
    def __init__(self, config: CogVLM2VideoConfig):
        super().__init__()
        self.gate_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.up_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.down_proj = nn.Linear(config.intermediate_size, config.hidden_size, bias=False)
        self.act_fn = ACT2FN[config.hidden_act]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


class CogVLMMLP(nn.Module):
    """Holds the language expert only (``mlp.language_mlp``), as the video checkpoints do."""

    def __init__(self, config: CogVLM2VideoConfig):
        super().__init__()
        self.language_mlp = LanguageMLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.language_mlp(x)


class CogVLMAttention(nn.Module):
    """Causal GQA attention from one fused projection: rows [0, H·d) query, then K·d key, then K·d value."""

    def __init__(self, config: CogVLM2VideoConfig, layer_idx: int):
        super().__init__()
        self.config = config
        self.layer_idx = layer_idx
        self.head_dim = config.head_dim
        self.num_heads = config.num_attention_heads
        self.num_key_value_heads = config.num_multi_query_heads
        self.num_key_value_groups = self.num_heads // self.num_key_value_heads
        self.scaling = self.head_dim ** -0.5
        self.is_causal = True
        qkv_size = (self.num_heads + 2 * self.num_key_value_heads) * self.head_dim
        self.language_expert_query_key_value = nn.Linear(config.hidden_size, qkv_size, bias=False)
        self.language_expert_dense = nn.Linear(config.hidden_size, config.hidden_size, bias=False)
        self.rotary_emb = CogVLMRotaryEmbedding(config)

    def forward(self, hidden_states, position_ids, attention_mask=None, past_key_values=None,
                sample_positions=None, **kwargs):
        """``position_ids`` (B, L): CogVLM positions (rotary); ``sample_positions`` (B, L): index within each packed
        sample (padding-free rows only), what flash attention splits the row at."""
        batch, length, _ = hidden_states.shape
        qkv = self.language_expert_query_key_value(hidden_states)
        q_size, kv_size = self.num_heads * self.head_dim, self.num_key_value_heads * self.head_dim
        query, key, value = qkv.split([q_size, kv_size, kv_size], dim=-1)
        query = query.view(batch, length, self.num_heads, self.head_dim).transpose(1, 2)
        key = key.view(batch, length, self.num_key_value_heads, self.head_dim).transpose(1, 2)
        value = value.view(batch, length, self.num_key_value_heads, self.head_dim).transpose(1, 2)
        cos, sin = self.rotary_emb(value, position_ids)
        query, key = apply_rotary_pos_emb(query, key, cos, sin)
        if past_key_values is not None:
            key, value = past_key_values.update(key, value, self.layer_idx)
        attention = ALL_ATTENTION_FUNCTIONS.get_interface(self.config._attn_implementation, eager_attention_forward)
        out, weights = attention(self, query, key, value, attention_mask, dropout=0.0, scaling=self.scaling,
                                 position_ids=sample_positions, **kwargs)
        return self.language_expert_dense(out.reshape(batch, length, -1).contiguous()), weights


class CogVLMDecoderLayer(GradientCheckpointingLayer):
    def __init__(self, config: CogVLM2VideoConfig, layer_idx: int):
        super().__init__()
        self.input_layernorm = LlamaRMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.self_attn = CogVLMAttention(config, layer_idx)
        self.post_attention_layernorm = LlamaRMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.mlp = CogVLMMLP(config)

    def forward(self, hidden_states, position_ids, attention_mask=None, past_key_values=None, **kwargs):
        attended, _ = self.self_attn(self.input_layernorm(hidden_states), position_ids, attention_mask,
                                     past_key_values, **kwargs)
        hidden_states = hidden_states + attended
        return hidden_states + self.mlp(self.post_attention_layernorm(hidden_states))


class CogVLM2VideoPreTrainedModel(PreTrainedModel):
    config: CogVLM2VideoConfig
    config_class = CogVLM2VideoConfig
    base_model_prefix = 'model'
    supports_gradient_checkpointing = True
    _no_split_modules = ['CogVLMDecoderLayer', 'EVA2CLIPTransformerLayer']
    _skip_keys_device_placement = ['past_key_values']
    _keys_to_ignore_on_load_missing = [r'rotary_emb\.inv_freq']  # absent from older exports: exact values then
    _supports_sdpa = True
    _supports_eager = True
    _supports_flash_attn = True  # attention through transformers' interface; padding-free rows split by position_ids
    _supports_attention_backend = True
    _can_record_outputs = {'hidden_states': CogVLMDecoderLayer, 'attentions': CogVLMAttention}

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        std = self.config.initializer_range
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            nn.init.normal_(module.weight, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=std)
        elif isinstance(module, (nn.LayerNorm, LlamaRMSNorm)):
            nn.init.ones_(module.weight)
            if getattr(module, 'bias', None) is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, EVA2CLIPPatchEmbedding):
            nn.init.normal_(module.cls_embedding, std=std)
        elif isinstance(module, EVA2CLIPModel):
            nn.init.normal_(module.boi, std=std)
            nn.init.normal_(module.eoi, std=std)
        elif isinstance(module, CogVLMRotaryEmbedding):
            module.inv_freq.copy_(exact_inv_freq(self.config))


class CogVLM2VideoModel(CogVLM2VideoPreTrainedModel):
    def __init__(self, config: CogVLM2VideoConfig):
        super().__init__(config)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList([CogVLMDecoderLayer(config, i) for i in range(config.num_hidden_layers)])
        self.norm = LlamaRMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.vision = EVA2CLIPModel(config)
        self.rope_deltas: torch.Tensor | None = None
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embed_tokens = value

    def encode_frames(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """(ΣT, 3, S, S) → (ΣT · tokens_per_frame, hidden) vision embeddings, frame-major."""
        vision_dtype = self.vision.conv.weight.dtype
        return self.vision(pixel_values.to(vision_dtype)).flatten(0, 1)

    def positions(self, token_type_ids, attention_mask, past_length: int, length: int, device) -> torch.Tensor:
        """Positions when the caller gives none: CogVLM's for a prompt; after a prompt, its last position + 1 per
        token (``rope_deltas`` holds each sample's offset, for hand-written decoding loops)."""
        if past_length == 0:
            position_ids = build_position_ids(token_type_ids, attention_mask)
            self.rope_deltas = position_ids.max(dim=-1, keepdim=True).values + 1 - token_type_ids.shape[1]
            return position_ids
        steps = torch.arange(past_length, past_length + length, device=device).unsqueeze(0)
        return steps + (self.rope_deltas.to(device) if self.rope_deltas is not None else 0)

    @capture_outputs
    def forward(self, input_ids=None, token_type_ids=None, pixel_values=None, attention_mask=None,
                position_ids=None, past_key_values: Cache | None = None, inputs_embeds=None, use_cache=None,
                **kwargs) -> BaseModelOutputWithPast:
        """``token_type_ids`` (B, L): 1 marks the vision slots ``pixel_values`` (ΣT, 3, S, S) fill, frame-major."""
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError('pass exactly one of input_ids or inputs_embeds')
        if inputs_embeds is None:
            inputs_embeds = self.embed_tokens(input_ids)
        batch, length = inputs_embeds.shape[:2]
        if token_type_ids is None:
            token_type_ids = torch.zeros(batch, length, dtype=torch.long, device=inputs_embeds.device)
        if pixel_values is not None:
            vision_slots = token_type_ids == VISION_TOKEN_TYPE
            features = self.encode_frames(pixel_values)
            if features.shape[0] != int(vision_slots.sum()):
                raise ValueError(f'{int(vision_slots.sum())} vision slots in token_type_ids but pixel_values give '
                                 f'{features.shape[0]} embeddings ({pixel_values.shape[0]} frames x '
                                 f'{self.config.tokens_per_frame} tokens)')
            inputs_embeds = inputs_embeds.masked_scatter(vision_slots.unsqueeze(-1),
                                                         features.to(inputs_embeds.dtype))
        else:  # text-only batch: under DDP / ZeRO-3 training the vision tower still runs, on zero frames
            inputs_embeds = with_dummy_vision(self, inputs_embeds, self.encode_frames,
                                              image_size=self.config.vision_config.image_size)
        if use_cache is None:
            use_cache = self.config.use_cache and not self.training
        if use_cache and past_key_values is None:
            past_key_values = DynamicCache(config=self.config)
        past_length = past_key_values.get_seq_length() if past_key_values is not None else 0
        if position_ids is None:
            position_ids = self.positions(token_type_ids, attention_mask, past_length, length, inputs_embeds.device)
        # padding-free rows (no mask, several samples): each sample attends only to itself, whatever the attention
        # (sdpa / eager: a block-diagonal causal mask; flash: varlen segments from the per-sample positions)
        sample_positions = packed_sample_positions(position_ids) if attention_mask is None else None
        packed = None if sample_positions is None else packed_sequence_mask_function(position_ids.eq(0).cumsum(-1))
        mask = create_causal_mask(config=self.config, inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                                  past_key_values=past_key_values, position_ids=None, and_mask_function=packed)
        hidden_states = inputs_embeds
        for layer in self.layers:
            hidden_states = layer(hidden_states, position_ids, mask, past_key_values,
                                  sample_positions=sample_positions, **kwargs)
        return BaseModelOutputWithPast(last_hidden_state=self.norm(hidden_states),
                                       past_key_values=past_key_values if use_cache else None)


class CogVLM2VideoForCausalLM(FlatFramesGenerationMixin, CogVLM2VideoPreTrainedModel, GenerationMixin):
    _tied_weights_keys: dict = {}

    def __init__(self, config: CogVLM2VideoConfig):
        super().__init__(config)
        self.model = CogVLM2VideoModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.model.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.model.embed_tokens = value

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head

    def set_output_embeddings(self, value: nn.Linear) -> None:
        self.lm_head = value

    @can_return_tuple
    def forward(self, input_ids=None, token_type_ids=None, pixel_values=None, attention_mask=None,
                position_ids=None, past_key_values=None, inputs_embeds=None, labels=None, use_cache=None,
                logits_to_keep=0, **kwargs) -> CausalLMOutputWithPast:
        """``token_type_ids`` (B, L): 1 marks the vision slots ``pixel_values`` (ΣT, 3, S, S) fill, frame-major;
        ``position_ids`` (B, L) default to CogVLM's (see :func:`build_position_ids`)."""
        outputs = self.model(input_ids=input_ids, token_type_ids=token_type_ids, pixel_values=pixel_values,
                             attention_mask=attention_mask, position_ids=position_ids, past_key_values=past_key_values,
                             inputs_embeds=inputs_embeds, use_cache=use_cache, return_dict=True, **kwargs)
        hidden_states = outputs.last_hidden_state
        keep = slice(-logits_to_keep, None) if isinstance(logits_to_keep, int) else logits_to_keep
        logits = self.lm_head(hidden_states[:, keep, :])
        loss = None
        if labels is not None:
            loss = self.loss_function(logits=logits, labels=labels, vocab_size=self.config.vocab_size, **kwargs)
        return CausalLMOutputWithPast(loss=loss, logits=logits, past_key_values=outputs.past_key_values,
                                      hidden_states=outputs.hidden_states, attentions=outputs.attentions)

    def flat_media_blocks(self, input_ids: torch.Tensor, model_kwargs: dict) -> dict[str, list[int]]:
        """Frames per sample from its vision slots."""
        token_type_ids = model_kwargs.get('token_type_ids')
        if token_type_ids is None:
            return {}
        return {'pixel_values': per_sample_counts(token_type_ids == VISION_TOKEN_TYPE, self.config.tokens_per_frame)}

    def _prepare_attention_mask_for_generation(self, inputs_tensor, generation_config, model_kwargs):
        """No mask given: every token is real. The vision slots hold the pad id (the official layout), so padding
        cannot be inferred from ids; batches with padding pass their mask (ms-swift always does)."""
        return torch.ones(inputs_tensor.shape[:2], dtype=torch.long, device=inputs_tensor.device)

    def _prepare_position_ids_for_generation(self, inputs_tensor, model_kwargs):
        """``generate()``'s prefill positions: CogVLM's, from ``token_type_ids`` and the attention mask (each new
        token then advances by one, which is what the official model's per-step rebuild amounts to)."""
        token_type_ids = model_kwargs.get('token_type_ids')
        if token_type_ids is None:
            return super()._prepare_position_ids_for_generation(inputs_tensor, model_kwargs)
        return build_position_ids(token_type_ids, model_kwargs.get('attention_mask'))


__all__ = ['CogVLM2VideoForCausalLM', 'CogVLM2VideoModel', 'build_position_ids', 'packed_sample_positions']
