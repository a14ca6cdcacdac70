"""``sample_video``: the one entry point every model template uses to turn a video into frames."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from .backends.base import ProbeMismatch, VideoSource, source_label, target_size
from .backends.images import ImageSequenceReader
from .errors import VideoDecodeError
from .sampling import select_indices
from .types import SampledVideo, VideoInfo

BACKENDS = ('pyav', 'decord', 'torchcodec')
BACKEND_ENV = 'VIDEO_LOAD_BACKEND'  # ms-swift's name for the same choice


def _reader_class(backend: str):
    if backend == 'pyav':
        from .backends.pyav import PyAVReader
        return PyAVReader
    if backend == 'decord':
        from .backends.decord import DecordReader
        return DecordReader
    if backend == 'torchcodec':
        from .backends.torchcodec import TorchCodecReader
        return TorchCodecReader
    raise ValueError(f'unknown video backend {backend!r}; choose one of {list(BACKENDS)}')


def is_frame_source(source) -> bool:
    """True for a folder of frame images or a list of image paths."""
    if isinstance(source, (list, tuple)):
        return True
    return isinstance(source, (str, os.PathLike)) and os.path.isdir(source)


def open_reader(source, *, backend: str | None = None, source_fps: float | None = None):
    """A reader (context manager with ``probe``/``read``) for a video file, video bytes or frame images."""
    if is_frame_source(source):
        return ImageSequenceReader(source, source_fps=source_fps or 1.0)
    backend = (backend or os.environ.get(BACKEND_ENV) or 'pyav').lower()
    reader_class = _reader_class(backend)
    try:
        return reader_class(source)
    except ImportError as error:
        raise ImportError(f'video backend {backend!r} is not installed ({error}); '
                          f'`pip install swift-video-ext[{backend}]` or use {BACKEND_ENV}=pyav') from None


def probe_video(source: VideoSource | Sequence[str], *, source_fps: float | None = None) -> VideoInfo:
    """Frame count, per-frame timestamps (seconds), frame rate and size, without decoding pixels."""
    with open_reader(source, backend='pyav', source_fps=source_fps) as reader:
        return reader.probe()


def sample_video(source: VideoSource | Sequence[str], strategy: str = 'uniform', *, start: float | None = None,
                 end: float | None = None, shortest_edge: int | None = None, max_pixels: int | None = None,
                 backend: str | None = None, source_fps: float | None = None, **params) -> SampledVideo:
    """Sample frames from a video and return them with their true timestamps.

    Args:
        source: a video file path, the video's bytes, a folder of frame images, or a list of image paths.
        strategy: one of :data:`swift_video_ext.video.sampling.STRATEGIES`; ``params`` are its keyword arguments
            (``num_frames``, ``fps``, ``min_frames``, ``max_frames``, ``seed``).
        start, end: restrict sampling to frames with timestamps in ``[start, end)`` seconds.
        shortest_edge, max_pixels: resize at decode (short side to ``shortest_edge`` pixels, then shrink to at most
            ``max_pixels`` pixels); aspect ratio is kept.
        backend: ``pyav`` (default, or the ``VIDEO_LOAD_BACKEND`` env var), ``decord`` or ``torchcodec``.
        source_fps: frame rate of a frame-image source, used for its timestamps (default 1 frame per second).

    Raises:
        VideoDecodeError: naming the source and the reason (missing, empty, truncated, not a video, audio-only,
            no decodable frame, no frame in the window).
    """
    with open_reader(source, backend=backend, source_fps=source_fps) as reader:
        info = reader.probe()
        indices = select_indices(info.frame_times, strategy, start=start, end=end, **params)
        if len(indices) == 0:
            raise VideoDecodeError(reader.label, f'no frame in the window [{start}, {end}) s '
                                   f'(the video lasts {info.duration:.3f} s)')
        size = target_size(info.width, info.height, shortest_edge=shortest_edge, max_pixels=max_pixels)
        try:
            frames = reader.read(info, indices, size)
        except ProbeMismatch:  # the packet probe disagreed with the decoder: index a full decode instead
            info = reader.probe_by_decoding()
            indices = select_indices(info.frame_times, strategy, start=start, end=end, **params)
            frames = reader.read(info, indices, size)
        return SampledVideo(frames=frames, timestamps=info.frame_times[indices].astype(np.float64),
                            indices=np.asarray(indices, dtype=np.int64), fps=info.fps, duration=info.duration,
                            backend=reader.name, source=source_label(source) if not is_frame_source(source)
                            else reader.label, num_source_frames=info.num_frames)


def decode_all_frames(source: VideoSource) -> tuple[np.ndarray, np.ndarray]:
    """Every frame of a full sequential PyAV decode and its timestamp (seconds from the first frame).

    The reference the sampled frames are checked against; memory grows with the clip, so keep it for short clips.
    """
    import av

    from .backends.pyav import PyAVReader

    frames, times = [], []
    with PyAVReader(source) as reader:
        reader.stream.thread_type = 'SLICE'
        try:
            for frame in reader.container.decode(reader.stream):
                frames.append(frame.to_ndarray(format='rgb24'))
                times.append(frame.time)
        except av.error.FFmpegError as error:
            raise VideoDecodeError(reader.label, f'decoding failed: {error}') from None
    if not frames:
        raise VideoDecodeError(source_label(source), 'no decodable frame')
    times = np.asarray(times, dtype=np.float64)
    return np.stack(frames), times - times[0]
