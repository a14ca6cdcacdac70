"""Data classes shared by the video core."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np


@dataclass(frozen=True)
class VideoInfo:
    """What a probe learns about a video without decoding pixels.

    ``frame_times`` holds one entry per frame of a full sequential decode, in presentation order, in seconds
    from the first frame (so the first frame is at 0.0), each the frame's own presentation timestamp.
    ``frame_pts``/``keyframe_pts`` are stream timestamps (``time_base`` units) for container sources and ``None`` for
    frame folders. ``width``/``height`` are the stored size (before the display matrix turns it).
    """

    source: str
    frame_times: np.ndarray  # (N,) float64 seconds
    fps: float  # average frame rate, frames per second
    width: int  # pixels
    height: int  # pixels
    frame_pts: np.ndarray | None = None  # (N,) int64, time_base units
    keyframe_pts: np.ndarray | None = None  # (K,) int64, sorted
    time_base: Fraction | None = None
    exact_pts: bool = True  # False: timestamps came from a decode, reads must decode sequentially
    reordered: bool = False  # frames are stored out of presentation order (B-frames)
    decode_positions: np.ndarray | None = None  # (N,) int64: frame i is the decode's frame decode_positions[i]

    @property
    def num_frames(self) -> int:
        return int(self.frame_times.shape[0])

    @property
    def duration(self) -> float:
        """Seconds from the first frame to the end of the last one."""
        if self.num_frames == 0:
            return 0.0
        return float(self.frame_times[-1]) + 1.0 / self.fps


@dataclass
class SampledVideo:
    """Frames sampled from a video, with their true timestamps.

    ``frames`` is (T, H, W, 3) uint8 RGB; ``timestamps`` (T,) seconds from the first frame of the source, taken
    from decoded presentation timestamps (or from ``source_fps`` for frame folders); ``indices`` (T,) positions of
    the frames in a full sequential decode; ``fps``/``duration``/``num_source_frames`` describe the source.
    """

    frames: np.ndarray
    timestamps: np.ndarray
    indices: np.ndarray
    fps: float
    duration: float
    backend: str
    source: str = ''
    num_source_frames: int = 0

    def __len__(self) -> int:
        return int(self.frames.shape[0])
