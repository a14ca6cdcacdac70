"""MiniGPT4-Video: ``--model_type minigpt4_video``. Declared in :mod:`.spec`; the classes load on first use."""

from ..spec import lazy_exports
from .spec import SPEC, VIDEO_SAMPLING

_EXPORTS = {'FAMILY_DEFAULTS': 'configuration_minigpt4_video', 'MiniGPT4VideoConfig': 'configuration_minigpt4_video',
            'MiniGPT4VideoForConditionalGeneration': 'modeling_minigpt4_video',
            'concat_adjacent_tokens': 'modeling_minigpt4_video', 'MiniGPT4VideoProcessor': 'processing_minigpt4_video'}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ['SPEC', 'VIDEO_SAMPLING', *_EXPORTS]
