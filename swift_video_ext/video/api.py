"""``sample_video``: the one entry point every model template uses to turn a video into frames."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .backends.base import (
    Orientation,
    ProbeMismatch,
    VideoReader,
    VideoSource,
    orient_frames,
    source_label,
    target_size,
)
from .backends.images import ImageSequenceReader
from .cache import (
    cached,
    draw_fixed_from_pool,
    draw_from_pool,
    entry_key,
    fixed_pool_candidates,
    frame_cache,
    pool_candidates,
    source_identity,
)
from .errors import VideoDecodeError
from .remote import fetch_url, is_url
from .sampling import rand_window, select_indices, window_positions
from .types import SampledVideo, VideoInfo

BACKENDS = ('pyav', 'decord', 'torchcodec')
BACKEND_ENV = 'VIDEO_LOAD_BACKEND'  # ms-swift's name for the same choice


def _reader_class(backend: str) -> type[VideoReader]:
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


def open_reader(source, *, backend: str | None = None, source_fps: float | None = None) -> VideoReader:
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
                 backend: str | None = None, source_fps: float | None = None, pixels: bool = True,
                 **params) -> SampledVideo:
    """Sample frames from a video and return them with their true timestamps.

    Args:
        source: a video file path, an ``http(s)://`` URL (fetched with a bounded wait, :mod:`.remote`), the video's
            bytes, a folder of frame images, or a list of image paths.
        strategy: one of :data:`swift_video_ext.video.sampling.STRATEGIES`; ``params`` are its keyword arguments
            (``num_frames``, ``fps``, ``min_frames``, ``max_frames``, ``seed``).
        start, end: restrict sampling to frames with timestamps in ``[start, end)`` seconds.
        shortest_edge, max_pixels: resize at decode (short side to ``shortest_edge`` pixels, then shrink to at most
            ``max_pixels`` pixels); aspect ratio is kept.
        backend: ``pyav`` (default, or the ``VIDEO_LOAD_BACKEND`` env var), ``decord`` or ``torchcodec``.
        source_fps: frame rate of a frame-image source, used for its timestamps (default 1 frame per second).
        pixels: False probes only: the same indices, timestamps and frame size, with zero-filled frames (planning).

    With ``SWIFT_VIDEO_CACHE_DIR`` set, results come from and go to the frame cache (:mod:`.cache`).

    Raises:
        VideoDecodeError: naming the source and the reason (missing, empty, truncated, not a video, audio-only,
            no decodable frame, no frame in the window).
    """
    if is_url(source):
        return _sample_url(source, strategy, start=start, end=end, shortest_edge=shortest_edge,
                           max_pixels=max_pixels, backend=backend, source_fps=source_fps, pixels=pixels, **params)
    window = {'start': start, 'end': end}
    decode = functools.partial(_decode, source, window=window, shortest_edge=shortest_edge, max_pixels=max_pixels,
                               backend=backend, source_fps=source_fps, pixels=pixels)
    choose = functools.partial(_choose, strategy=strategy, window=window, params=params)
    cache = frame_cache() if pixels else None
    identity = source_identity(source) if cache is not None else None
    pooled = strategy in ('segment_random', 'segment_random_fixed')
    if identity is None or (pooled and cache.config.random_pool == 0):
        return decode(choose)[0]
    request = {'strategy': strategy, 'window': window, 'shortest_edge': shortest_edge, 'max_pixels': max_pixels,
               'backend': 'images' if is_frame_source(source) else _backend_name(backend),
               'source_fps': source_fps if is_frame_source(source) else None,
               'params': {k: v for k, v in sorted(params.items()) if v is not None and k != 'seed'},
               'oriented': True}  # frames as displayed (entries from before the display matrix was applied miss)
    label = source_label(source) if not is_frame_source(source) else str(identity[1])
    if not pooled:
        return cached(cache, identity, request, label, lambda: decode(choose))
    request['pool'] = cache.config.random_pool
    pool_seed = int(entry_key(identity, request)[:15], 16)
    fixed = strategy == 'segment_random_fixed'
    choose_pool = functools.partial(_choose_pool, window=window, num_frames=params.get('num_frames'),
                                    pool=cache.config.random_pool, seed=pool_seed, fixed=fixed)
    if fixed:
        pick = functools.partial(draw_fixed_from_pool, num_frames=int(params.get('num_frames') or 0),
                                 seed=params.get('seed'))
    else:
        pick = functools.partial(draw_from_pool, seed=params.get('seed'))
    return cached(cache, identity, request, label, lambda: decode(choose_pool), pick=pick)


def _sample_url(url: str, strategy: str, **kwargs) -> SampledVideo:
    """``sample_video`` of a URL's body; errors and the result name the URL."""
    try:
        video = sample_video(fetch_url(url), strategy, **kwargs)
    except VideoDecodeError as error:
        if error.source == url:
            raise
        raise VideoDecodeError(url, error.reason) from None
    video.source = url
    return video


def _backend_name(backend: str | None) -> str:
    return (backend or os.environ.get(BACKEND_ENV) or 'pyav').lower()


def _choose(times: np.ndarray, *, strategy: str, window: dict, params: dict) -> tuple[np.ndarray, None]:
    return select_indices(times, strategy, **window, **params), None


def _choose_pool(times: np.ndarray, *, window: dict, num_frames: int | None, pool: int, seed: int,
                 fixed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Every candidate of a pooled ``segment_random`` (``fixed``: ``segment_random_fixed``) entry (indices into
    ``times``) and its segment."""
    if num_frames is None or int(num_frames) < 1:
        raise ValueError(f'num_frames must be a positive integer, got {num_frames!r}')
    if fixed:
        lo, count = rand_window(times, window['start'], window['end'])
        positions, segments = fixed_pool_candidates(count, int(num_frames), pool, seed)
        return lo + positions, segments
    lo, hi = window_positions(times, window['start'], window['end'])
    positions, segments = pool_candidates(hi - lo, int(num_frames), pool, seed)
    return lo + positions, segments


def _decode(source, choose: Callable[[np.ndarray], tuple[np.ndarray, Any]], *, window: dict,
            shortest_edge: int | None, max_pixels: int | None, backend: str | None, source_fps: float | None,
            pixels: bool = True) -> tuple[SampledVideo, Any]:
    """Probe, pick indices with ``choose(frame_times)`` → (indices, extra) and decode them; returns (video, extra)."""
    with open_reader(source, backend=backend, source_fps=source_fps) as reader:
        info = reader.probe()
        indices, extra = choose(info.frame_times)
        if len(indices) == 0:
            raise VideoDecodeError(reader.label, f"no frame in the window [{window['start']}, {window['end']}) s "
                                   f'(the video lasts {info.duration:.3f} s)')
        size = target_size(info.width, info.height, shortest_edge=shortest_edge, max_pixels=max_pixels)
        try:
            frames = _read_once(reader, info, indices, size) if pixels else _blank_frames(len(indices), info, size)
        except ProbeMismatch:  # the packet probe disagreed with the decoder: index a full decode instead
            info = reader.probe_by_decoding()
            indices, extra = choose(info.frame_times)
            frames = _read_once(reader, info, indices, size)
        frames = orient_frames(frames, _orientation(reader))
        video = SampledVideo(frames=frames, timestamps=info.frame_times[indices].astype(np.float64),
                             indices=np.asarray(indices, dtype=np.int64), fps=info.fps, duration=info.duration,
                             backend=reader.name, source=source_label(source) if not is_frame_source(source)
                             else reader.label, num_source_frames=info.num_frames)
        return video, extra


def _read_once(reader, info: VideoInfo, indices: np.ndarray, size) -> np.ndarray:
    """Frames at ``indices``; a position repeated by the strategy is decoded once and its frame repeated."""
    unique, inverse = np.unique(np.asarray(indices, dtype=np.int64), return_inverse=True)
    if len(unique) == len(indices):
        return reader.read(info, indices, size)
    return reader.read(info, unique, size)[inverse.reshape(-1)]


def _orientation(reader) -> Orientation:
    """The display transform of the reader's video (decord/torchcodec readers probe through PyAV)."""
    probe = getattr(reader, 'probe_reader', reader)
    return probe.orientation() if hasattr(probe, 'orientation') else Orientation()


def _blank_frames(count: int, info: VideoInfo, size) -> np.ndarray:
    """(count, H, W, 3) zeros at the size decoding would give."""
    width, height = (size.width, size.height) if size else (info.width, info.height)
    return np.zeros((count, height, width, 3), dtype=np.uint8)


def decode_all_frames(source: VideoSource) -> tuple[np.ndarray, np.ndarray]:
    """Every frame of a full sequential PyAV decode, as displayed (display matrix applied), and its timestamp
    (seconds from the first frame).

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
        orientation = reader.orientation()
    times = np.asarray(times, dtype=np.float64)
    return orient_frames(np.stack(frames), orientation), times - times[0]
