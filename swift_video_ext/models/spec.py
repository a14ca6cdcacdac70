"""What one model package declares: :class:`ModelSpec`, ms-swift's ``ModelMeta`` idea for the whole plugin.

Every registry of swift-video-ext loops over the specs listed in :data:`swift_video_ext.models.MODEL_SPECS`: ms-swift
registration and the no-remote-code probe guard (:func:`swift_video_ext.registration.register_all`), transformers'
Auto classes, sampling profiles, tiny and stand-in builders (``swift-video tiny-model``, ``plan``, ``cache``,
``sheet``) and vLLM's architectures (:mod:`swift_video_ext.vllm`). Adding a model is one package with a ``spec.py``
and one line in that list.

A spec names each thing it points at — code to register, builders, classes — as a ``"module:attribute"`` string,
imported only when that registry runs: importing a spec (and :mod:`swift_video_ext.models`) imports no torch,
transformers, ms-swift or vLLM, so ``swift-video --help`` and the video core stay light.

Names: a model has up to four names that saved checkpoints and users' commands already depend on, so none is
renamed; the spec is the one place that maps them. For CogVLM2-Video: the package ``cogvlm2_video``
(:attr:`ModelSpec.name`), ms-swift's ``--model_type cogvlm2_video_ts`` (:attr:`ModelSpec.model_type`), the
``model_type`` of its ``config.json`` ``cogvlm2_video`` (:attr:`AutoClasses.model_type`) and the class
``CogVLM2VideoForCausalLM`` (:attr:`AutoClasses.model`, :attr:`VllmClasses.architecture`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..video.settings import VideoSampling

# transformers' Auto model classes our models register with, unless a spec says otherwise
AUTO_MODELS = ('AutoModelForImageTextToText', 'AutoModelForCausalLM')


def load(target: str) -> Any:
    """``"package.module:attribute"`` → that attribute (imports the module)."""
    module, _, name = target.partition(':')
    if not name:
        raise ValueError(f'{target!r} is not "module:attribute"')
    return getattr(importlib.import_module(module), name)


def lazy_exports(package: str, exports: Mapping[str, str]):
    """``__getattr__`` and ``__dir__`` for a model package that imports its (heavy) modules on first use, as
    transformers' model packages do: ``exports`` maps each public name to its module within ``package``."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f'module {package!r} has no attribute {name!r}')
        return getattr(importlib.import_module(f'{package}.{exports[name]}'), name)

    def __dir__() -> list[str]:
        return sorted(set(exports) | set(vars(importlib.import_module(package))))

    return __getattr__, __dir__


@dataclass(frozen=True)
class AutoClasses:
    """Our classes for transformers' Auto registries (``from_pretrained`` of an export, no remote code)."""

    model_type: str  #: the ``model_type`` of ``config.json`` (the config class's ``model_type``)
    config: str  #: config class, ``"module:Class"``
    model: str  #: model class, registered with every class of :attr:`auto_models`
    processor: str  #: processor class (``AutoProcessor``)
    sub_configs: Mapping[str, str] = field(default_factory=dict)  #: more ``model_type`` → config class
    auto_models: tuple[str, ...] = AUTO_MODELS

    def configs(self) -> dict[str, str]:
        """Every ``model_type`` → config class this model registers with ``AutoConfig``."""
        return {self.model_type: self.config, **self.sub_configs}


@dataclass(frozen=True)
class VllmClasses:
    """Our vLLM model (``swift infer/deploy --infer_backend vllm``); vLLM reads the config with ``AutoConfig``."""

    architecture: str  #: the ``architectures`` entry of ``config.json`` vLLM looks up
    model: str  #: vLLM model class, ``"module:Class"`` (under :mod:`swift_video_ext.vllm`)


@dataclass(frozen=True)
class ModelSpec:
    """One model package of swift-video-ext, declared once in its ``spec.py``."""

    name: str  #: the package folder under :mod:`swift_video_ext.models`
    model_type: str  #: ms-swift's ``--model_type`` (ours, or ms-swift's own one that the package extends)
    templates: tuple[str, ...]  #: ms-swift ``--template`` names the package registers
    register: str  #: ``"module:function"`` registering model type and templates with ms-swift (ms-swift imported)
    sampling: Mapping[str, VideoSampling]  #: model type (or template) → default sampling (``swift-video sheet``)
    tiny: str  #: ``"module:function"`` writing a tiny random checkpoint (``swift-video tiny-model``)
    standin: str  #: ``"module:function"``: the released processor geometry with tiny layers (``plan``/``cache``)
    full_size: str | None = None  #: ``"module:function"``: the released architecture, random weights (benchmarks)
    auto: AutoClasses | None = None  #: None: the classes are transformers' own
    vllm: VllmClasses | None = None  #: None: not served by our vLLM plugin
    #: ms-swift's model probe never runs a folder's remote code for :attr:`model_type`, nor for a folder whose
    #: ``config.json`` names one of :attr:`guard_architectures` (when no model type is given)
    guard_probe: bool = True
    guard_architectures: tuple[str, ...] = ()
    #: ``swift-video sheet --model`` without ``--template``: this template instead of the model type's default
    video_template: str | None = None
    #: ``--template`` → keyword arguments of :attr:`standin` (e.g. the LLM family a template is for)
    standin_options: Callable[[str | None], dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        if self.model_type not in self.sampling:
            raise ValueError(f'{self.name}: no sampling profile for its model type {self.model_type!r}')

    def build_tiny(self, output_dir, **options):
        """Write a tiny random checkpoint to ``output_dir``; returns its path."""
        return load(self.tiny)(output_dir, **options)

    def build_standin(self, output_dir, template_type: str | None = None):
        """Write a stand-in for ``--template template_type`` to ``output_dir``; returns its path."""
        options = self.standin_options(template_type) if self.standin_options else {}
        return load(self.standin)(output_dir, **options)


__all__ = ['AUTO_MODELS', 'AutoClasses', 'ModelSpec', 'VllmClasses', 'lazy_exports', 'load']
