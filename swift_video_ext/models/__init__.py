"""Model folders, one per model type: configuration, modeling, processing, template and ms-swift registration."""

from . import pllava

MODEL_PACKAGES = {'pllava': pllava}


def register_auto_classes() -> None:
    """Register every model's config/model/processor classes with transformers' Auto registries."""
    for package in MODEL_PACKAGES.values():
        package.register_auto_classes()


def sampling_profiles() -> dict:
    """Model type → its default :class:`~swift_video_ext.video.settings.VideoSampling`."""
    return {name: package.VIDEO_SAMPLING for name, package in MODEL_PACKAGES.items()}


def tiny_builders() -> dict:
    """Model type → function writing a tiny random checkpoint (``swift-video tiny-model TYPE DIR``)."""
    from .pllava.tiny import build_tiny as pllava_tiny

    return {'pllava': pllava_tiny}
