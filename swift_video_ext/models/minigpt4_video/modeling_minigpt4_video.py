"""MiniGPT4-Video: per frame, EVA ViT-g/14 → ln_vision → 4 adjacent patch tokens concatenated → linear → LLM.

There is no Q-Former. The vision tower is transformers' BLIP-2 vision embeddings + encoder (EVA's weights map onto
it one-to-one; BLIP-2's final LayerNorm is not used). Its 257 x 1408 output (CLS + 16x16 patches) goes through
``ln_vision`` (LayerNorm, eps 1e-5), loses CLS, and is reshaped from 256 x 1408 to 64 x 5632: output token j is the
concatenation of raster-order patches 4j .. 4j+3 (a 1x4 horizontal strip, *not* a 2x2 block). ``llama_proj`` maps
each to the LLM width; the 64 embeddings of a frame fill that frame's 64 ``image_token_id`` slots in the prompt.

One class wraps the whole causal LM (``language_model`` is a ``LlamaForCausalLM`` / ``MistralForCausalLM``), not
transformers' newer VLM split (``…Model`` holding vision + base LM, ``…ForConditionalGeneration`` adding
``lm_head``, as LLaVA). The split would rename every weight in memory (``language_model.model.*`` →
``model.language_model.*``, ``language_model.lm_head`` → ``lm_head``, ``vision_model.*`` → ``model.vision_model.*``):
a conversion mapping could keep the checkpoint files' keys, but ms-swift's model arch (freeze / LoRA targets) and
PEFT adapters trained on this layout address the in-memory names, so behaviour would not stay identical. The cost of
keeping it: ``base_model`` is the LLM, and a folder holding it alone (transformers' ``test_correct_missing_keys``)
has ``model_type`` llama, which :class:`MiniGPT4VideoConfig` refuses with a clear error instead of filling the
missing sub-configs with the released model's defaults.
"""

import torch
from torch import nn
from transformers import AutoModelForCausalLM, GenerationMixin, PreTrainedModel
from transformers.modeling_outputs import BaseModelOutput, BaseModelOutputWithPooling
from transformers.models.blip_2.modeling_blip_2 import Blip2Encoder, Blip2VisionEmbeddings
from transformers.utils import can_return_tuple

from ...common.dummy_vision import with_dummy_vision
from ...common.generation import FlatFramesGenerationMixin, per_sample_counts
from .configuration_minigpt4_video import MiniGPT4VideoConfig


def concat_adjacent_tokens(patches: torch.Tensor, group: int) -> torch.Tensor:
    """(N, P, C) → (N, P / group, group · C): token j = [p(group·j) | … | p(group·j + group - 1)]."""
    frames, count, width = patches.shape
    return patches.reshape(frames, count // group, group * width)


class EvaVisionTransformer(nn.Module):
    """EVA ViT-g/14 as BLIP-2 uses it: patch + CLS + absolute positions, pre-norm blocks, no final norm."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.embeddings = Blip2VisionEmbeddings(config)
        self.encoder = Blip2Encoder(config)

    def forward(self, pixel_values: torch.Tensor, output_hidden_states: bool = False,
                output_attentions: bool = False) -> BaseModelOutput:
        """(N, 3, S, S) → ``last_hidden_state`` (N, 1 + patches, hidden); on request the embeddings and every block's
        output (``hidden_states``, blocks + 1) and every block's attention weights (``attentions``, eager only)."""
        if self.config._attn_implementation is None:  # a plain sub-module: from_pretrained does not set it
            self.config._attn_implementation = 'sdpa'  # unmasked, bidirectional: SDPA is exact everywhere
        hidden = self.embeddings(pixel_values)
        states, attentions = [hidden] if output_hidden_states else None, []
        hooks = [layer.self_attn.register_forward_hook(lambda _, __, out: attentions.append(out[1]))
                 for layer in self.encoder.layers] if output_attentions else []
        try:
            for layer in self.encoder.layers:  # Blip2Encoder.forward's loop, keeping each block's output
                hidden = layer(hidden)
                if states is not None:  # kept only on request: one (N, 1 + patches, hidden) tensor per block
                    states.append(hidden)
        finally:
            for hook in hooks:
                hook.remove()
        return BaseModelOutput(last_hidden_state=hidden, hidden_states=None if states is None else tuple(states),
                               attentions=tuple(a for a in attentions if a is not None) if output_attentions else None)


class MiniGPT4VideoPreTrainedModel(PreTrainedModel):
    config: MiniGPT4VideoConfig
    config_class = MiniGPT4VideoConfig
    base_model_prefix = 'language_model'
    supports_gradient_checkpointing = True
    _no_split_modules = ['Blip2EncoderLayer', 'LlamaDecoderLayer', 'MistralDecoderLayer']
    _skip_keys_device_placement = ['past_key_values']
    _supports_sdpa = True
    _supports_attention_backend = True
    _supports_flash_attn = True  # attention through transformers' interface; padding-free rows split by position_ids

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        std = getattr(self.config.text_config, 'initializer_range', 0.02)
        if isinstance(module, Blip2VisionEmbeddings):
            nn.init.trunc_normal_(module.position_embedding, std=std)
            nn.init.trunc_normal_(module.class_embedding, std=std)
        elif isinstance(module, (nn.Linear, nn.Conv2d)):
            nn.init.normal_(module.weight, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)


class MiniGPT4VideoForConditionalGeneration(FlatFramesGenerationMixin, MiniGPT4VideoPreTrainedModel, GenerationMixin):
    _tied_weights_keys: dict = {}

    def __init__(self, config: MiniGPT4VideoConfig):
        super().__init__(config)
        self.vision_model = EvaVisionTransformer(config.vision_config)
        self.ln_vision = nn.LayerNorm(config.vision_config.hidden_size, eps=config.ln_vision_eps)
        self.llama_proj = nn.Linear(config.projector_in, config.text_config.hidden_size)
        self.language_model = AutoModelForCausalLM.from_config(config.text_config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Module:
        return self.language_model.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.language_model.set_input_embeddings(value)

    def get_output_embeddings(self) -> nn.Module:
        return self.language_model.get_output_embeddings()

    def set_output_embeddings(self, value: nn.Module) -> None:
        self.language_model.set_output_embeddings(value)

    def flat_media_blocks(self, input_ids: torch.Tensor, model_kwargs: dict) -> dict[str, list[int]]:
        """Frames per sample from its image slots."""
        frames = per_sample_counts(input_ids == self.config.image_token_id, self.config.tokens_per_frame)
        return {'pixel_values': frames}

    def get_decoder(self) -> nn.Module:
        return self.language_model.get_decoder()

    def encode_frames(self, pixel_values: torch.Tensor, output_hidden_states: bool = False,
                      output_attentions: bool = False) -> BaseModelOutputWithPooling:
        """(ΣT, 3, S, S) frames → ``last_hidden_state`` ``ln_vision(EVA(frames))`` (ΣT, 1 + patches, vision hidden),
        ``pooler_output`` the projected tokens (ΣT, tokens_per_frame, LLM hidden), and EVA's ``hidden_states`` /
        ``attentions`` on request."""
        vision = self.vision_model(pixel_values.to(self.vision_model.embeddings.patch_embedding.weight.dtype),
                                   output_hidden_states=output_hidden_states, output_attentions=output_attentions)
        hidden = self.ln_vision(vision.last_hidden_state)
        tokens = concat_adjacent_tokens(hidden[:, 1:], self.config.concat_tokens)
        return BaseModelOutputWithPooling(last_hidden_state=hidden,
                                          pooler_output=self.llama_proj(tokens.to(self.llama_proj.weight.dtype)),
                                          hidden_states=vision.hidden_states, attentions=vision.attentions)

    def frame_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """(ΣT, 3, S, S) frames → (ΣT, tokens_per_frame, LLM hidden)."""
        return self.encode_frames(pixel_values).pooler_output

    @can_return_tuple
    def get_video_features(self, pixel_values_videos: torch.Tensor, output_hidden_states: bool | None = None,
                           output_attentions: bool | None = None, **kwargs) -> BaseModelOutputWithPooling:
        """transformers' convention: ``pixel_values_videos`` (V, T, 3, S, S), or flat frames (ΣT, 3, S, S) →
        ``pooler_output`` (ΣT, tokens_per_frame, LLM hidden), the embeddings that fill the image slots;
        ``last_hidden_state`` (ΣT, 1 + patches, vision hidden), the vision tower's output after ``ln_vision``;
        ``hidden_states`` (EVA blocks + 1) and ``attentions`` (EVA blocks, eager attention) when asked for, by
        argument or by the config; a tuple when ``return_dict=False``."""
        frames = pixel_values_videos.flatten(0, 1) if pixel_values_videos.dim() == 5 else pixel_values_videos
        if output_hidden_states is None:
            output_hidden_states = bool(self.config.output_hidden_states)
        if output_attentions is None:
            output_attentions = bool(self.config.output_attentions)
        return self.encode_frames(frames, output_hidden_states=output_hidden_states,
                                  output_attentions=output_attentions)

    def image_slots(self, input_ids: torch.Tensor | None, inputs_embeds: torch.Tensor) -> torch.Tensor:
        """(B, L) mask of the image slots: from ``input_ids``, or, given only embeddings, the positions whose
        embedding is the image token's (as transformers' LLaVA does)."""
        if input_ids is not None:
            return input_ids == self.config.image_token_id
        token = torch.tensor(self.config.image_token_id, device=inputs_embeds.device)
        return (inputs_embeds == self.get_input_embeddings()(token)).all(-1)

    def forward(self, input_ids=None, pixel_values=None, attention_mask=None, position_ids=None,
                past_key_values=None, inputs_embeds=None, labels=None, use_cache=None, logits_to_keep=0,
                pixel_values_videos=None, **kwargs):
        """``pixel_values`` (ΣT, 3, S, S) (or ``pixel_values_videos`` (V, T, 3, S, S)) fill the ``image_token_id``
        slots of the prompt in order, frame-major."""
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError('pass exactly one of input_ids or inputs_embeds')
        if inputs_embeds is None:
            inputs_embeds = self.get_input_embeddings()(input_ids)
        frames = pixel_values if pixel_values is not None else pixel_values_videos
        if frames is not None:
            slots = self.image_slots(input_ids, inputs_embeds)
            features = self.frame_features(frames).flatten(0, 1)
            if features.shape[0] != int(slots.sum()):
                raise ValueError(f'{int(slots.sum())} image slots in the prompt but {features.shape[0]} embeddings '
                                 f'from the frames ({self.config.tokens_per_frame} per frame)')
            inputs_embeds = inputs_embeds.masked_scatter(slots.unsqueeze(-1), features.to(inputs_embeds.dtype))
        else:  # text-only batch: under DDP / ZeRO-3 training the vision tower still runs, on zero frames
            inputs_embeds = with_dummy_vision(self, inputs_embeds, self.frame_features,
                                              image_size=self.config.vision_config.image_size)
        return self.language_model(inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                                   position_ids=position_ids, past_key_values=past_key_values, labels=labels,
                                   use_cache=use_cache, logits_to_keep=logits_to_keep, **kwargs)


__all__ = ['MiniGPT4VideoForConditionalGeneration', 'concat_adjacent_tokens']
