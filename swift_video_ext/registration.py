"""Registration of swift-video-ext with ms-swift: :func:`register_all` (idempotent, no import side effect).

It loops over :data:`swift_video_ext.models.MODEL_SPECS` as ms-swift loops over its ``ModelMeta`` list: each spec's
register function (model type, templates), the no-remote-code probe guard for every model type and the guarded
architectures, and transformers' Auto classes; then our datasets and the ms-swift integrations.
:mod:`swift_video_ext.plugin` is the module to import for its side effect (``--external_plugins``, the start-up hook).
"""

from __future__ import annotations

_registered = False


def register_models() -> None:
    """Every spec: Auto classes, the probe guard, and its ms-swift registration (in :data:`MODEL_SPECS` order)."""
    from . import models
    from .common.remote_code import install_probe_guard
    from .models.spec import load

    specs = models.MODEL_SPECS
    models.register_auto_classes()
    install_probe_guard(model_types=tuple(spec.model_type for spec in specs if spec.guard_probe),
                        architectures=tuple(arch for spec in specs if spec.guard_probe
                                            for arch in spec.guard_architectures))
    for spec in specs:
        load(spec.register)()


def register_all() -> None:
    """Register every model type, template and dataset with ms-swift and install the integrations (once)."""
    global _registered
    if _registered:
        return
    from .common import padding_free, process_group, stream
    from .datasets.register import register as register_datasets
    from .eval import evalscope_benchmarks
    from .hooks import train_check

    register_models()
    register_datasets()
    train_check.install()
    process_group.install()
    padding_free.install()
    stream.install()
    evalscope_benchmarks.install()  # `swift eval`: our benchmarks (once ms-swift's eval arguments are imported)
    _registered = True


__all__ = ['register_all', 'register_models']
