"""CogVLM2-Video with timestamps, native: ``--model_type cogvlm2_video_ts``. Declared in :mod:`.spec`; the classes
load on first use."""

from ..spec import lazy_exports
from .spec import SPEC, VIDEO_SAMPLING, VIDEO_SAMPLING_BASE

_EXPORTS = {'CogVLM2VideoConfig': 'configuration_cogvlm2_video',
            'CogVLM2VideoVisionConfig': 'configuration_cogvlm2_video',
            'CogVLM2VideoForCausalLM': 'modeling_cogvlm2_video', 'CogVLM2VideoModel': 'modeling_cogvlm2_video',
            'build_position_ids': 'modeling_cogvlm2_video', 'CogVLM2VideoProcessor': 'processing_cogvlm2_video'}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ['SPEC', 'VIDEO_SAMPLING', 'VIDEO_SAMPLING_BASE', *_EXPORTS]
