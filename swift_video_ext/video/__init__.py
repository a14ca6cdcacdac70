"""The video core: decode, sample, timestamps, subtitles, cache. Every model type samples frames through here."""

from .api import decode_all_frames, open_reader, probe_video, sample_video
from .errors import VideoDecodeError
from .sampling import STRATEGIES, select_indices
from .types import SampledVideo, VideoInfo

__all__ = [
    'STRATEGIES', 'SampledVideo', 'VideoDecodeError', 'VideoInfo', 'decode_all_frames', 'open_reader',
    'probe_video', 'sample_video', 'select_indices'
]
