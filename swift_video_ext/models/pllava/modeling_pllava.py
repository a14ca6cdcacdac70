"""PLLaVA: LLaVA whose projected frame features are average-pooled over (time, height, width) per video.

Per video of T frames: CLIP ViT (layer ``vision_feature_layer``, CLS dropped) → LLaVA projector (linear, GELU,
linear) → (T, h·w, D) → repeated to ``num_frames`` when shorter → adaptive average pooling to ``pooling_shape``
(T', h', w') → T'·h'·w' tokens, frame-major then row-major, scattered into the video's placeholder tokens.
A still image is one frame repeated to ``num_frames``. Pooling happens after the projector (LLaVA-NeXT-Video pools
before it, which is not equivalent).

Weight initialisation is LLaVA's, CLIP's and Llama's own (``_init_weights`` of each transformers sub-model), so the
classes say they are library code (:func:`library_code`); see there why that matters for missing weights.
"""

import torch
import torch.nn.functional as F
from torch import nn
from transformers import LlavaForConditionalGeneration, LlavaModel
from transformers.modeling_outputs import BaseModelOutputWithPooling
from transformers.models.llava.modeling_llava import LlavaCausalLMOutputWithPast, LlavaPreTrainedModel
from transformers.utils import can_return_tuple

from ...common.dummy_vision import dummy_vision_needed, with_dummy_vision
from ...common.generation import FlatFramesGenerationMixin, per_sample_counts
from .configuration_pllava import PllavaConfig


def adaptive_avg_pool_3d(x: torch.Tensor, output_size: tuple[int, int, int]) -> torch.Tensor:
    """``F.adaptive_avg_pool3d`` on (N, C, T, H, W); a reshape-mean when every size divides evenly.

    The reshape-mean gives the same numbers and, unlike CUDA's adaptive pooling backward, is deterministic.
    """
    n, c, t, h, w = x.shape
    ot, oh, ow = output_size
    if t % ot == 0 and h % oh == 0 and w % ow == 0:
        return x.view(n, c, ot, t // ot, oh, h // oh, ow, w // ow).mean(dim=(3, 5, 7))
    return F.adaptive_avg_pool3d(x, output_size)


def repeat_frames(features: torch.Tensor, num_frames: int) -> torch.Tensor:
    """(T, ...) frames → (num_frames, ...) when T < num_frames, as the reference projector does.

    Every frame is repeated ``num_frames // T + 1`` times and the result cut to ``num_frames``, so the last
    frames may be repeated less or dropped (2 → 4 frames: ``0,0,0,1``; 7 → 16: ``0,0,0,1,1,1,...,4,5``).
    """
    t = features.shape[0]
    if t >= num_frames:
        return features
    copies = num_frames // t + 1
    index = torch.arange(num_frames, device=features.device) // copies
    return features.index_select(0, index)


def library_code(cls) -> bool:
    """``is_custom_code()`` for the PLLaVA classes: False, as for transformers' own LLaVA.

    transformers treats classes defined outside its package as remote code whose ``_init_weights`` may write tensors
    in place, and, for such models, skips every module whose own parameters are all initialised, vacuously so a
    module with none. CLIP initialises its attention and MLP ``Linear`` weights from the parent module (which owns no
    parameter), so a missing CLIP weight (e.g. ``from_pretrained`` of a partial checkpoint) would keep whatever memory
    it was given. Every ``_init_weights`` PLLaVA runs is transformers' own, which honours the initialised flags.
    """
    return False


class PllavaModel(LlavaModel):
    config: PllavaConfig
    config_class = PllavaConfig
    is_custom_code = classmethod(library_code)

    def pool_video(self, frame_features: torch.Tensor) -> torch.Tensor:
        """(T, h·w, D) projected features of one video → (prod(pooling_shape), D) tokens."""
        h, w = self.config.frame_shape
        t, hw, dim = frame_features.shape
        if hw != h * w:
            raise ValueError(f'vision tower gives {hw} patches per frame but frame_shape is {h}x{w}; '
                             'fix frame_shape in config.json')
        frames = repeat_frames(frame_features, self.config.num_frames)
        grid = frames.view(frames.shape[0], h, w, dim).permute(3, 0, 1, 2).unsqueeze(0)  # (1, D, T, h, w)
        pooled = adaptive_avg_pool_3d(grid, tuple(self.config.pooling_shape))
        return pooled.squeeze(0).flatten(1).transpose(0, 1)  # (T'·h'·w', D), frame-major, row-major

    def get_media_features(self, pixel_values: torch.Tensor, frames_per_media: torch.Tensor | None = None,
                           vision_feature_layer: int | list[int] | None = None,
                           vision_feature_select_strategy: str | None = None) -> list[torch.Tensor]:
        """(ΣT, 3, H, W) frames of M media (``frames_per_media``: (M,), default one frame each) → M token tensors."""
        outputs = self.get_image_features(pixel_values=pixel_values, vision_feature_layer=vision_feature_layer,
                                          vision_feature_select_strategy=vision_feature_select_strategy,
                                          return_dict=True)
        projected = torch.stack(list(outputs.pooler_output))  # (ΣT, h·w, D)
        if frames_per_media is None:
            counts = [1] * projected.shape[0]
        else:
            counts = [int(c) for c in frames_per_media.reshape(-1).tolist()]
        if sum(counts) != projected.shape[0]:
            raise ValueError(f'frames_per_media sums to {sum(counts)} but {projected.shape[0]} frames were given')
        return [self.pool_video(chunk) for chunk in torch.split(projected, counts)]

    def forward(self, input_ids=None, pixel_values=None, attention_mask=None, position_ids=None,
                past_key_values=None, inputs_embeds=None, vision_feature_layer=None,
                vision_feature_select_strategy=None, frames_per_media=None, pixel_values_videos=None, **kwargs):
        pixel_values, frames_per_media = flatten_media(pixel_values, pixel_values_videos, frames_per_media)
        mm_encoder_outputs = kwargs.pop('mm_encoder_outputs', None)
        if pixel_values is not None:
            features = self.get_media_features(pixel_values, frames_per_media, vision_feature_layer,
                                               vision_feature_select_strategy)
            mm_encoder_outputs = {'image': BaseModelOutputWithPooling(pooler_output=features)}
        elif dummy_vision_needed(self):  # text-only batch under DDP / ZeRO-3 training: run the vision path anyway
            if inputs_embeds is None:
                inputs_embeds, input_ids = self.get_input_embeddings()(input_ids), None
            inputs_embeds = with_dummy_vision(self, inputs_embeds, self.get_media_features,
                                              image_size=self.config.vision_config.image_size, force=True)
        return super().forward(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                               past_key_values=past_key_values, inputs_embeds=inputs_embeds,
                               mm_encoder_outputs=mm_encoder_outputs, **kwargs)


def flatten_media(pixel_values: torch.Tensor | None, pixel_values_videos: torch.Tensor | None,
                  frames_per_media: torch.Tensor | None) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Bring every input form to flat frames (ΣT, 3, H, W) plus per-media frame counts (M,).

    Accepted: ``pixel_values`` (N, 3, H, W) = N still images (or flat frames with ``frames_per_media``);
    ``pixel_values_videos`` (V, T, 3, H, W) = V videos of T frames. Images come before videos when both are given.
    """
    parts, counts = [], []
    if pixel_values is not None and pixel_values.dim() == 4:
        parts.append(pixel_values)
        counts.append(frames_per_media.reshape(-1) if frames_per_media is not None else
                      torch.ones(pixel_values.shape[0], dtype=torch.long, device=pixel_values.device))
    five_d = [v for v in (pixel_values, pixel_values_videos) if v is not None and v.dim() == 5]
    for videos in five_d:
        parts.append(videos.flatten(0, 1))
        counts.append(torch.full((videos.shape[0],), videos.shape[1], dtype=torch.long, device=videos.device))
    if not parts:
        return None, None
    return torch.cat(parts), torch.cat(counts)


class PllavaForConditionalGeneration(FlatFramesGenerationMixin, LlavaForConditionalGeneration):
    config: PllavaConfig
    config_class = PllavaConfig
    is_custom_code = classmethod(library_code)

    def flat_media_blocks(self, input_ids: torch.Tensor, model_kwargs: dict) -> dict[str, list[int]]:
        """Media per sample from its image tokens; frames per sample from ``frames_per_media``."""
        media = per_sample_counts(input_ids == self.config.image_token_index, self.config.tokens_per_video)
        frames_per_media = model_kwargs.get('frames_per_media')
        if frames_per_media is None:
            return {'pixel_values': media, 'pixel_values_videos': media}
        frames = [int(chunk.sum()) for chunk in torch.split(frames_per_media.reshape(-1), media)]
        return {'pixel_values': frames, 'frames_per_media': media}

    def __init__(self, config: PllavaConfig):
        LlavaPreTrainedModel.__init__(self, config)
        self.model = PllavaModel(config)
        self.lm_head = nn.Linear(config.text_config.hidden_size, config.text_config.vocab_size, bias=False)
        self.post_init()

    @can_return_tuple
    def forward(self, input_ids=None, pixel_values=None, attention_mask=None, position_ids=None,
                past_key_values=None, inputs_embeds=None, vision_feature_layer=None,
                vision_feature_select_strategy=None, labels=None, logits_to_keep=0, frames_per_media=None,
                pixel_values_videos=None, **kwargs) -> LlavaCausalLMOutputWithPast:
        """As LLaVA's forward, plus ``frames_per_media`` (M,) and ``pixel_values_videos`` (V, T, 3, H, W)."""
        outputs = self.model(input_ids=input_ids, pixel_values=pixel_values, attention_mask=attention_mask,
                             position_ids=position_ids, past_key_values=past_key_values, inputs_embeds=inputs_embeds,
                             vision_feature_layer=vision_feature_layer,
                             vision_feature_select_strategy=vision_feature_select_strategy,
                             frames_per_media=frames_per_media, pixel_values_videos=pixel_values_videos,
                             return_dict=True, **kwargs)
        hidden_states = outputs.last_hidden_state
        slice_indices = slice(-logits_to_keep, None) if isinstance(logits_to_keep, int) else logits_to_keep
        logits = self.lm_head(hidden_states[:, slice_indices, :])
        loss = None
        if labels is not None:
            loss = self.loss_function(logits=logits, labels=labels, vocab_size=self.config.text_config.vocab_size,
                                      **kwargs)
        return LlavaCausalLMOutputWithPast(loss=loss, logits=logits, past_key_values=outputs.past_key_values,
                                           hidden_states=outputs.hidden_states, attentions=outputs.attentions,
                                           image_hidden_states=outputs.image_hidden_states)


__all__ = ['PllavaForConditionalGeneration', 'PllavaModel', 'adaptive_avg_pool_3d']
