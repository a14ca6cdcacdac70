"""Loading the official PLLaVA checkpoints (ermu2001/pllava-7b/13b/34b) into the native model, strictly.

The released repos store a full state dict whose language model is PEFT-wrapped and never merged:
``language_model.base_model.model.model.layers.N.self_attn.q_proj.base_layer.weight`` plus
``…q_proj.lora_A.default.weight`` / ``lora_B``; the vision tower keeps transformers-4.37 names
(``vision_tower.vision_model.*``). Conversion renames every tensor to the native layout and merges each LoRA pair at
the chosen alpha, ``W + (alpha / r) · B @ A`` in float32 — PLLaVA's "post-training optimisation" uses alpha 4 at
inference although training used 32. Any tensor left unused or any model tensor left missing is an error that lists
them (the reference loader's ``strict=False`` silently produced garbage, PLLaVA issues #5/#43/#81).
"""

from __future__ import annotations

import os
import re

import torch

from ...common.checkpoint import read_config_dict  # noqa: F401  (re-exported: models.pllava.register reads it here)

DEFAULT_LORA_ALPHA = 4.0
LORA_ALPHA_ENV = 'PLLAVA_LORA_ALPHA'
PEFT_PREFIX = 'language_model.base_model.model.'
_LORA = re.compile(r'^(?P<module>.+)\.lora_(?P<which>[AB])(?:\.default)?\.weight$')

# Official config keys that describe LLaVA-NeXT features PLLaVA does not use.
_IGNORED_CONFIG_KEYS = ('image_grid_pinpoints', 'gradient_checkpointing', 'auto_map')


class CheckpointMismatchError(ValueError):
    """Raised when a checkpoint does not map one-to-one onto the model; lists what is missing or unused."""

    def __init__(self, source: str, missing: list[str], unused: list[str]):
        self.missing, self.unused = missing, unused
        parts = [f'{source}: checkpoint does not match the PLLaVA model']
        if missing:
            parts.append(f'{len(missing)} model tensors missing: {missing[:20]}')
        if unused:
            parts.append(f'{len(unused)} checkpoint tensors unused: {unused[:20]}')
        super().__init__('; '.join(parts))


def is_official_layout(keys) -> bool:
    """True for the released repos' PEFT-wrapped or transformers-4.37 key layout."""
    return any(k.startswith((PEFT_PREFIX, 'language_model.model.', 'vision_tower.vision_model.')) for k in keys)


def lora_alpha_from_env() -> float:
    value = os.environ.get(LORA_ALPHA_ENV)
    return float(value) if value not in (None, '') else DEFAULT_LORA_ALPHA


def native_key(key: str) -> str | None:
    """Native name of an official tensor (LoRA factors keep their suffix); None if it has no place in the model."""
    key = key.replace('.base_layer.', '.')
    for old, new in ((PEFT_PREFIX + 'lm_head.', 'lm_head.'), (PEFT_PREFIX + 'model.', 'model.language_model.'),
                     ('language_model.lm_head.', 'lm_head.'), ('language_model.model.', 'model.language_model.'),
                     ('vision_tower.vision_model.', 'model.vision_tower.'), ('vision_tower.', 'model.vision_tower.'),
                     ('multi_modal_projector.', 'model.multi_modal_projector.')):
        if key.startswith(old):
            return new + key[len(old):]
    return None


def convert_official_state_dict(state: dict[str, torch.Tensor], expected_keys: set[str], *,
                                lora_alpha: float = DEFAULT_LORA_ALPHA,
                                source: str = 'checkpoint') -> dict[str, torch.Tensor]:
    """Rename an official state dict to native names and merge its LoRA at ``lora_alpha``; strict both ways."""
    converted: dict[str, torch.Tensor] = {}
    lora: dict[str, dict[str, torch.Tensor]] = {}
    unused: list[str] = []
    for key, tensor in state.items():
        name = native_key(key)
        match = _LORA.match(name) if name else None
        if match:
            lora.setdefault(match['module'], {})[match['which']] = tensor
        elif name is not None and name in expected_keys:
            converted[name] = tensor
        else:
            unused.append(key)
    for module, factors in lora.items():
        weight_key = module + '.weight'
        if set(factors) != {'A', 'B'} or weight_key not in converted:
            unused.extend(f'{module}.lora_{w}' for w in sorted(factors))
            continue
        a, b = factors['A'].float(), factors['B'].float()
        base = converted[weight_key]
        converted[weight_key] = (base.float() + (lora_alpha / a.shape[0]) * (b @ a)).to(base.dtype)
    missing = sorted(expected_keys - set(converted))
    if missing or unused:
        raise CheckpointMismatchError(source, missing, sorted(unused))
    return converted


def official_config_dict(config: dict) -> dict:
    """An official ``config.json`` (``model_type: llava``) as PllavaConfig keyword arguments."""
    config = {k: v for k, v in config.items() if k not in _IGNORED_CONFIG_KEYS}
    config['model_type'] = 'pllava'
    config.setdefault('num_frames', 16)
    config.setdefault('pooling_shape', [16, 12, 12])
    if config.get('num_frames') in (0, None):  # the reference code's text-only hack
        config['num_frames'] = 16
    return config
