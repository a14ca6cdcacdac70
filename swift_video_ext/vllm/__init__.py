"""vLLM plugin: registers our architectures with vLLM (entry point ``vllm.general_plugins``).

vLLM calls :func:`register` in every process it starts, before it reads a model's config. Each architecture is
registered lazily (``"module:Class"``), so vLLM imports our model code only when it serves that model; a failure here
is a warning, never an error, so vLLM still starts for every other model.
"""

from __future__ import annotations

import warnings


def architectures() -> dict[str, str]:
    """config.json ``architectures`` name → our vLLM class (``"module:Class"``), from every spec that has one."""
    from ..models import MODEL_SPECS

    return {spec.vllm.architecture: spec.vllm.model for spec in MODEL_SPECS if spec.vllm is not None}


def configs() -> dict[str, str]:
    """config.json ``model_type`` → our transformers config class (vLLM reads configs with ``AutoConfig``): the same
    classes :func:`swift_video_ext.models.register_auto_classes` registers, for every spec served by vLLM."""
    from ..models import MODEL_SPECS

    return {model_type: config for spec in MODEL_SPECS if spec.vllm is not None and spec.auto is not None
            for model_type, config in spec.auto.configs().items()}


def register() -> list[str]:
    """Register our configs with transformers and our models with vLLM; returns the architectures registered."""
    from ..models.spec import load

    registered = []
    try:
        from transformers import AutoConfig
        from vllm import ModelRegistry
    except Exception as exc:  # noqa: BLE001 - a broken install must not stop vLLM
        warnings.warn(f'swift_video_ext.vllm: nothing registered, vLLM/transformers import failed: {exc!r}',
                      stacklevel=2)
        return registered
    for model_type, target in configs().items():
        try:
            AutoConfig.register(model_type, load(target), exist_ok=True)
        except Exception as exc:  # noqa: BLE001
            warnings.warn(f'swift_video_ext.vllm: config {model_type!r} not registered: {exc!r}', stacklevel=2)
    for arch, target in architectures().items():
        try:
            ModelRegistry.register_model(arch, target)
            registered.append(arch)
        except Exception as exc:  # noqa: BLE001
            warnings.warn(f'swift_video_ext.vllm: {arch} not registered: {exc!r}', stacklevel=2)
    return registered
