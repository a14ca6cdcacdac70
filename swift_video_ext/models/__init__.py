"""Model folders, one per model type: configuration, modeling, processing, template and ms-swift registration.

Importing this package registers every model with transformers' Auto classes (``import swift_video_ext`` does it
lazily, see :mod:`swift_video_ext._auto_classes`)."""

from . import cogvlm2_video, gemma4, minigpt4_video, pllava

MODEL_PACKAGES = {'pllava': pllava, 'cogvlm2_video_ts': cogvlm2_video, 'minigpt4_video': minigpt4_video,
                  'gemma4': gemma4}


def register_auto_classes() -> None:
    """Register every model's config/model/processor classes with transformers' Auto registries."""
    for package in MODEL_PACKAGES.values():
        package.register_auto_classes()


def sampling_profiles() -> dict:
    """Model type (or template) → its default :class:`~swift_video_ext.video.settings.VideoSampling`."""
    profiles = {name: package.VIDEO_SAMPLING for name, package in MODEL_PACKAGES.items()}
    profiles['cogvlm2_video_base'] = cogvlm2_video.VIDEO_SAMPLING_BASE
    return profiles


def tiny_builders() -> dict:
    """Model type → function writing a tiny random checkpoint (``swift-video tiny-model TYPE DIR``)."""
    from .cogvlm2_video.tiny import build_tiny as cogvlm2_tiny
    from .gemma4.tiny import build_tiny as gemma4_tiny
    from .minigpt4_video.tiny import build_tiny as minigpt4_tiny
    from .pllava.tiny import build_tiny as pllava_tiny

    return {'pllava': pllava_tiny, 'cogvlm2_video_ts': cogvlm2_tiny, 'minigpt4_video': minigpt4_tiny,
            'gemma4': gemma4_tiny}


def standin_builders() -> dict:
    """Model type → function writing a stand-in: the released model's processor geometry with tiny layers."""
    from .cogvlm2_video.tiny import build_standin as cogvlm2_standin
    from .gemma4.tiny import build_standin as gemma4_standin
    from .minigpt4_video.tiny import build_standin as minigpt4_standin
    from .pllava.tiny import build_standin as pllava_standin

    return {'pllava': pllava_standin, 'cogvlm2_video_ts': cogvlm2_standin, 'minigpt4_video': minigpt4_standin,
            'gemma4': gemma4_standin}


register_auto_classes()
