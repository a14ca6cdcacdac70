"""vLLM plugin: registers our architectures with vLLM (entry point ``vllm.general_plugins``).

vLLM calls :func:`register` in every process it starts, before it reads a model's config. Each architecture is
registered lazily (``"module:Class"``), so vLLM imports our model code only when it serves that model; a failure here
is a warning, never an error, so vLLM still starts for every other model.
"""

from __future__ import annotations

import warnings

# config.json "architectures" name -> class under swift_video_ext.vllm
ARCHITECTURES: dict[str, str] = {
    'PllavaForConditionalGeneration': 'swift_video_ext.vllm.pllava:PllavaForConditionalGeneration',
    'MiniGPT4VideoForConditionalGeneration':
        'swift_video_ext.vllm.minigpt4_video:MiniGPT4VideoForConditionalGeneration',
    'CogVLM2VideoForCausalLM': 'swift_video_ext.vllm.cogvlm2_video:CogVLM2VideoForCausalLM',
}
# config.json "model_type" -> our transformers config class (vLLM reads configs with AutoConfig)
CONFIGS: dict[str, str] = {
    'pllava': 'swift_video_ext.models.pllava.configuration_pllava:PllavaConfig',
    'minigpt4_video': 'swift_video_ext.models.minigpt4_video.configuration_minigpt4_video:MiniGPT4VideoConfig',
    # CogVLM2-Video's config with the M-RoPE field through which vLLM takes the model's own positions
    'cogvlm2_video': 'swift_video_ext.vllm.configs:CogVLM2VideoVllmConfig',
}


def _load(target: str):
    import importlib

    module, name = target.split(':')
    return getattr(importlib.import_module(module), name)


def register() -> list[str]:
    """Register our configs with transformers and our models with vLLM; returns the architectures registered."""
    registered = []
    try:
        from transformers import AutoConfig
        from vllm import ModelRegistry
    except Exception as exc:  # noqa: BLE001 - a broken install must not stop vLLM
        warnings.warn(f'swift_video_ext.vllm: nothing registered, vLLM/transformers import failed: {exc!r}',
                      stacklevel=2)
        return registered
    for model_type, target in CONFIGS.items():
        try:
            AutoConfig.register(model_type, _load(target), exist_ok=True)
        except Exception as exc:  # noqa: BLE001
            warnings.warn(f'swift_video_ext.vllm: config {model_type!r} not registered: {exc!r}', stacklevel=2)
    for arch, target in ARCHITECTURES.items():
        try:
            ModelRegistry.register_model(arch, target)
            registered.append(arch)
        except Exception as exc:  # noqa: BLE001
            warnings.warn(f'swift_video_ext.vllm: {arch} not registered: {exc!r}', stacklevel=2)
    return registered
