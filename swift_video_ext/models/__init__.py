"""Model folders, one per model: configuration, modeling, processing, template, ms-swift registration, and a
``spec.py`` declaring it (:class:`~swift_video_ext.models.spec.ModelSpec`).

:data:`MODEL_SPECS` lists them; every registry below (and ms-swift's, transformers', vLLM's) loops over it. Adding a
model is adding its package and its name to :data:`PACKAGES`. Importing this package is light (specs only); the
functions import the code they need. Our classes reach transformers' Auto classes through
:func:`register_auto_classes`, which ``import swift_video_ext`` arranges to run once transformers' Auto modules are
imported (:mod:`swift_video_ext._auto_classes`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from ..video.settings import VideoSampling
from .spec import ModelSpec, load

PACKAGES = ('pllava', 'cogvlm2_video', 'minigpt4_video', 'gemma4')  # a new model: its package, and its name here
MODEL_SPECS: tuple[ModelSpec, ...] = tuple(importlib.import_module(f'{__name__}.{name}.spec').SPEC for name in PACKAGES)


def spec_for(model_type: str | None) -> ModelSpec | None:
    """The spec of ms-swift ``--model_type model_type``, or None when it is not one of ours."""
    return next((spec for spec in MODEL_SPECS if spec.model_type == model_type), None)


def register_auto_classes() -> None:
    """Register every model's config/model/processor classes with transformers' Auto registries (idempotent)."""
    import transformers

    for spec in MODEL_SPECS:
        if spec.auto is None:
            continue
        for model_type, config in spec.auto.configs().items():
            transformers.AutoConfig.register(model_type, load(config), exist_ok=True)
        config_class, model_class = load(spec.auto.config), load(spec.auto.model)
        for auto_model in spec.auto.auto_models:
            getattr(transformers, auto_model).register(config_class, model_class, exist_ok=True)
        transformers.AutoProcessor.register(config_class, load(spec.auto.processor), exist_ok=True)


def sampling_profiles() -> dict[str, VideoSampling]:
    """Model type (or template) → its default :class:`~swift_video_ext.video.settings.VideoSampling`."""
    return {name: sampling for spec in MODEL_SPECS
            for name, sampling in spec.sampling.items()}


def tiny_builders() -> dict[str, Callable[..., Path]]:
    """Model type → function writing a tiny random checkpoint (``swift-video tiny-model TYPE DIR``)."""
    return {spec.model_type: spec.build_tiny for spec in MODEL_SPECS}


def standin_builders() -> dict[str, Callable[..., Path]]:
    """Model type → function ``(output_dir, template_type=None)`` writing a stand-in: the released model's processor
    geometry with tiny layers (for ``--template template_type``)."""
    return {spec.model_type: spec.build_standin for spec in MODEL_SPECS}


__all__ = ['MODEL_SPECS', 'PACKAGES', 'ModelSpec', 'register_auto_classes',
           'sampling_profiles', 'spec_for', 'standin_builders', 'tiny_builders']
