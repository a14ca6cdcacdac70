"""Registers every model type, template and dataset of swift-video-ext with ms-swift (idempotent)."""

from __future__ import annotations

_registered = False


def register_all() -> None:
    global _registered
    if _registered:
        return
    from .common import padding_free, process_group, stream
    from .common.remote_code import install_probe_guard
    from .datasets.register import register as register_datasets
    from .eval import evalscope_benchmarks
    from .hooks import train_check
    from .models import MODEL_PACKAGES
    from .models.cogvlm2_video.register import register as register_cogvlm2_video
    from .models.gemma4.register import register as register_gemma4
    from .models.minigpt4_video.register import register as register_minigpt4_video
    from .models.pllava.register import register as register_pllava

    install_probe_guard(model_types=tuple(MODEL_PACKAGES))
    register_pllava()
    register_cogvlm2_video()
    register_minigpt4_video()
    register_gemma4()
    register_datasets()
    train_check.install()
    process_group.install()
    padding_free.install()
    stream.install()
    evalscope_benchmarks.install()  # `swift eval`: our benchmarks (once ms-swift's eval arguments are imported)
    _registered = True


register_all()
