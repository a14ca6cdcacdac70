"""Frame cache: sampled, resized frames kept on disk so later epochs (and later runs) skip decoding.

Enabled by ``SWIFT_VIDEO_CACHE_DIR``. An entry is one ``.npz`` file (numpy arrays only, read with
``allow_pickle=False``) named by the SHA-256 of

- the source's identity: a file's real path, size and ``st_mtime_ns``; a frame folder's or frame list's image
  names, sizes and mtimes (and ``timestamps.json``); in-memory bytes' SHA-256;
- the request: strategy and its parameters, window, resize, backend, frame-folder rate and the cache format version.

A changed file or parameter is therefore a different key (a miss); the stale entry ages out. An unreadable or
inconsistent entry is deleted and rebuilt with a warning, never fatal; a failed write only warns. Writes are atomic
(temporary file + ``os.replace``), so concurrent dataloader workers and ranks can share one directory. Total size is
capped by ``SWIFT_VIDEO_CACHE_MAX_GB`` (default 50): past it, least-recently-used entries (hits refresh the mtime) are
deleted down to 90 % of the cap.

Training augmentation: ``segment_random`` (and ``segment_random_fixed``) draws a fresh frame per segment on every
call, so caching one draw would freeze the augmentation. Instead the cache keeps a fixed pool of
``SWIFT_VIDEO_CACHE_RANDOM_POOL`` (default 4) random candidate frames per segment, and every call draws one
candidate per segment with the call's seed: each epoch still sees a different combination (``pool ** num_frames``
of them), from a random subset of each segment (``segment_random_fixed`` windows with a one-frame segment store
every frame and draw the strategy's subset). ``SWIFT_VIDEO_CACHE_RANDOM_POOL=0`` leaves them uncached (exact
augmentation, decoded every time).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .log import get_logger
from .types import SampledVideo

CACHE_DIR_ENV = 'SWIFT_VIDEO_CACHE_DIR'
MAX_GB_ENV = 'SWIFT_VIDEO_CACHE_MAX_GB'
RANDOM_POOL_ENV = 'SWIFT_VIDEO_CACHE_RANDOM_POOL'
COMPRESS_ENV = 'SWIFT_VIDEO_CACHE_COMPRESS'
DEFAULT_MAX_GB = 50.0
DEFAULT_RANDOM_POOL = 4
FORMAT_VERSION = 1
ENTRY_SUFFIX = '.npz'
_EVICT_TO = 0.9  # fraction of the cap left after an eviction

logger = get_logger()


@dataclass(frozen=True)
class CacheConfig:
    """Where and how the frame cache stores entries."""

    root: Path
    max_bytes: int | None = int(DEFAULT_MAX_GB * 2**30)  # None: unlimited
    random_pool: int = DEFAULT_RANDOM_POOL  # candidates per segment for segment_random; 0: do not cache it
    compress: bool = False  # zip-deflate entries (smaller, slower to read)

    @classmethod
    def from_env(cls) -> CacheConfig | None:
        """The configuration from the environment, or None when ``SWIFT_VIDEO_CACHE_DIR`` is unset."""
        root = os.environ.get(CACHE_DIR_ENV, '').strip()
        if not root:
            return None
        max_gb = _float_env(MAX_GB_ENV, DEFAULT_MAX_GB)
        pool = int(_float_env(RANDOM_POOL_ENV, DEFAULT_RANDOM_POOL))
        if pool < 0:
            raise ValueError(f'{RANDOM_POOL_ENV} must be >= 0, got {pool}')
        compress = os.environ.get(COMPRESS_ENV, '0').strip().lower() in ('1', 'true', 'yes')
        return cls(Path(root).expanduser(), None if max_gb <= 0 else int(max_gb * 2**30), pool, compress)


def _float_env(name: str, default: float) -> float:
    value = os.environ.get(name, '').strip()
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        raise ValueError(f'environment variable {name}={value!r} is not a number') from None


def _stat_identity(path: str | os.PathLike) -> list:
    stat = os.stat(path)
    return [os.path.realpath(path), stat.st_size, stat.st_mtime_ns]


def source_identity(source) -> list | None:
    """What makes a source's frames what they are: path, size and mtime of each file; None when unknown.

    Raises nothing for a missing file (returns None, so the decoder reports it).
    """
    from .backends.images import TIMESTAMPS_FILE, list_frame_images

    try:
        if isinstance(source, (bytes, bytearray, memoryview)):
            return ['bytes', hashlib.sha256(source).hexdigest()]
        if isinstance(source, (list, tuple)):
            return ['frames'] + [_stat_identity(p) for p in source]
        if os.path.isdir(source):
            folder = Path(source)
            files = list_frame_images(folder)
            timestamps = folder / TIMESTAMPS_FILE
            extra = [_stat_identity(timestamps)] if timestamps.is_file() else []
            return ['folder', os.path.realpath(folder)] + [_stat_identity(p) for p in files] + extra
        return ['file'] + _stat_identity(source)
    except (OSError, TypeError):
        return None


def entry_key(identity: list, request: dict) -> str:
    """The entry's name: SHA-256 of the identity and the request (hex)."""
    payload = json.dumps({'version': FORMAT_VERSION, 'identity': identity, 'request': request}, sort_keys=True,
                         default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


class FrameCache:
    """A directory of cache entries: ``load``/``store`` arrays by key, with size-capped LRU eviction."""

    def __init__(self, config: CacheConfig):
        self.config = config
        self._bytes_written_since_scan = 0
        self._bytes_at_scan: int | None = None
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    def path_for(self, key: str) -> Path:
        return self.config.root / f'v{FORMAT_VERSION}' / key[:2] / f'{key}{ENTRY_SUFFIX}'

    def load(self, key: str, label: str) -> dict[str, np.ndarray] | None:
        """The entry's arrays, or None on a miss; an unreadable or mismatched entry is deleted (and reported)."""
        path = self.path_for(key)
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
        except (FileNotFoundError, NotADirectoryError):
            return None
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as error:
            self._discard(path, label, f'unreadable ({type(error).__name__}: {error})')
            return None
        problem = _entry_problem(arrays, key)
        if problem:
            self._discard(path, label, problem)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # least-recently-used eviction reads mtimes
        return arrays

    def store(self, key: str, arrays: dict[str, np.ndarray], label: str) -> None:
        """Write an entry atomically; failures are warned about once and otherwise ignored."""
        path = self.path_for(key)
        temporary = path.with_name(f'.{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp.npz')
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            save = np.savez_compressed if self.config.compress else np.savez
            save(temporary, key=np.asarray(key), **arrays)
            os.replace(temporary, path)
            written = path.stat().st_size
        except OSError as error:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            self._warn_once('store', f'frame cache: cannot write to {self.config.root} ({error}); '
                                     f'continuing without caching {label}')
            return
        self._account(written)

    def _discard(self, path: Path, label: str, problem: str) -> None:
        logger.warning(f'frame cache entry {path.name} for {label} is {problem}; rebuilding it')
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)

    def _warn_once(self, topic: str, message: str) -> None:
        if topic not in self._warned:
            self._warned.add(topic)
            logger.warning(message)

    def _account(self, written: int) -> None:
        if self.config.max_bytes is None:
            return
        with self._lock:
            if self._bytes_at_scan is None:
                self._bytes_at_scan = self.size_bytes()
            else:
                self._bytes_written_since_scan += written
            if self._bytes_at_scan + self._bytes_written_since_scan > self.config.max_bytes:
                self.evict()

    def entries(self) -> list[os.DirEntry]:
        """Every entry file of this format version."""
        base = self.config.root / f'v{FORMAT_VERSION}'
        if not base.is_dir():
            return []
        found = []
        for shard in os.scandir(base):
            if shard.is_dir():
                found.extend(e for e in os.scandir(shard.path) if e.name.endswith(ENTRY_SUFFIX)
                             and not e.name.startswith('.'))
        return found

    def size_bytes(self) -> int:
        total = 0
        for entry in self.entries():
            with contextlib.suppress(OSError):
                total += entry.stat().st_size
        return total

    def evict(self, target_bytes: int | None = None) -> int:
        """Delete least-recently-used entries until the cache holds at most ``target_bytes``; returns how many."""
        if target_bytes is None:
            if self.config.max_bytes is None:
                return 0
            target_bytes = int(self.config.max_bytes * _EVICT_TO)
        stats = []
        for entry in self.entries():
            try:
                stat = entry.stat()
            except OSError:
                continue
            stats.append((stat.st_mtime_ns, stat.st_size, entry.path))
        total = sum(size for _, size, _ in stats)
        removed = 0
        for _, size, path in sorted(stats):
            if total <= target_bytes:
                break
            try:
                os.unlink(path)
            except OSError:
                continue
            total -= size
            removed += 1
        self._bytes_at_scan, self._bytes_written_since_scan = total, 0
        if removed:
            logger.info(f'frame cache: evicted {removed} least-recently-used entries '
                        f'({total / 2**30:.2f} GiB kept in {self.config.root})')
        return removed


def _entry_problem(arrays: dict[str, np.ndarray], key: str) -> str | None:
    """Why a loaded entry cannot be used (None when it is consistent)."""
    required = ('key', 'frames', 'timestamps', 'indices', 'meta')
    missing = [name for name in required if name not in arrays]
    if missing:
        return f'missing {missing}'
    if str(arrays['key']) != key:
        return 'stored under another key'
    frames, timestamps, indices = arrays['frames'], arrays['timestamps'], arrays['indices']
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        return f'not (T, H, W, 3) uint8 frames ({frames.dtype}, {frames.shape})'
    if not len(frames) == len(timestamps) == len(indices) or len(frames) == 0:
        return 'inconsistent frame, timestamp and index counts'
    if 'segments' in arrays and len(arrays['segments']) != len(frames):
        return 'inconsistent segment count'
    return None


_caches: dict[CacheConfig, FrameCache] = {}


def frame_cache() -> FrameCache | None:
    """The process's cache for the current environment, or None when caching is off."""
    config = CacheConfig.from_env()
    if config is None:
        return None
    if config not in _caches:
        _caches[config] = FrameCache(config)
    return _caches[config]


# --- entries <-> SampledVideo -------------------------------------------------------------------------------------

def to_arrays(video: SampledVideo, segments: np.ndarray | None = None) -> dict[str, np.ndarray]:
    arrays = {'frames': video.frames, 'timestamps': video.timestamps, 'indices': video.indices,
              'meta': np.asarray(json.dumps({'fps': video.fps, 'duration': video.duration, 'backend': video.backend,
                                             'source': video.source,
                                             'num_source_frames': video.num_source_frames}))}
    if segments is not None:
        arrays['segments'] = segments
    return arrays


def from_arrays(arrays: dict[str, np.ndarray], keep: np.ndarray | None = None) -> SampledVideo:
    """The entry as a SampledVideo; ``keep`` selects rows (positions into the stored frames)."""
    meta = json.loads(str(arrays['meta']))
    rows = slice(None) if keep is None else keep
    return SampledVideo(frames=np.ascontiguousarray(arrays['frames'][rows]),
                        timestamps=arrays['timestamps'][rows].astype(np.float64),
                        indices=arrays['indices'][rows].astype(np.int64), fps=float(meta['fps']),
                        duration=float(meta['duration']), backend=meta['backend'], source=meta['source'],
                        num_source_frames=int(meta['num_source_frames']))


# --- segment_random through a fixed candidate pool ------------------------------------------------------------------

def pool_candidates(num_window_frames: int, num_frames: int, pool: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate positions (within the window) and each one's segment, for ``segment_random`` with a pool.

    The window is split into the same ``num_frames`` segments as :func:`~swift_video_ext.video.sampling.
    segment_random`; each segment contributes ``min(pool, its length)`` distinct random positions, drawn with
    ``seed``. A window with at most ``num_frames`` frames gives every frame as its own segment.
    """
    if num_window_frames <= num_frames:
        positions = np.arange(num_window_frames, dtype=np.int64)
        return positions, positions.copy()
    bounds = np.linspace(0, num_window_frames, num_frames + 1).astype(np.int64)
    rng = np.random.default_rng(seed)
    positions, segments = [], []
    for segment, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        chosen = np.sort(rng.choice(np.arange(lo, hi), size=min(pool, hi - lo), replace=False))
        positions.append(chosen)
        segments.append(np.full(len(chosen), segment))
    return np.concatenate(positions).astype(np.int64), np.concatenate(segments).astype(np.int64)


def fixed_pool_candidates(num_window_frames: int, num_frames: int, pool: int,
                          seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidates (positions within the window) and segments for ``segment_random_fixed`` with a pool.

    Each segment of :func:`~swift_video_ext.video.sampling.rand_segments` contributes ``min(pool, its length - 1)``
    distinct positions (its last frame is never drawn). When a segment has a single frame the strategy draws a
    subset of the whole window, so every frame is stored, with segment -1.
    """
    from .sampling import rand_segments

    bounds = rand_segments(num_window_frames, num_frames)
    if bounds is None:
        return np.arange(num_window_frames, dtype=np.int64), np.full(num_window_frames, -1, dtype=np.int64)
    rng = np.random.default_rng(seed)
    positions, segments = [], []
    for segment, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        chosen = np.sort(rng.choice(np.arange(lo, hi - 1), size=min(pool, hi - 1 - lo), replace=False))
        positions.append(chosen)
        segments.append(np.full(len(chosen), segment))
    return np.concatenate(positions).astype(np.int64), np.concatenate(segments).astype(np.int64)


def draw_fixed_from_pool(segments: np.ndarray, num_frames: int, seed: int | None) -> np.ndarray:
    """``num_frames`` stored rows for ``segment_random_fixed``: one per segment, or a sorted random subset of an
    all-frames entry (segment -1), padded by repeating the last row."""
    if len(segments) and segments[0] < 0:
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.permutation(len(segments))[:min(num_frames, len(segments))])
    else:
        rows = draw_from_pool(segments, seed)
    return np.concatenate([rows, np.full(num_frames - len(rows), rows[-1])]).astype(np.int64)


def draw_from_pool(segments: np.ndarray, seed: int | None) -> np.ndarray:
    """One stored row per segment, drawn uniformly with ``seed`` (rows are positions into the entry)."""
    rng = np.random.default_rng(seed)
    rows = []
    for segment in np.unique(segments):
        members = np.flatnonzero(segments == segment)
        rows.append(members[rng.integers(len(members))])
    return np.asarray(rows, dtype=np.int64)


def cached(cache: FrameCache, identity: list, request: dict, label: str,
           build: Callable[[], tuple[SampledVideo, np.ndarray | None]],
           pick: Callable[[np.ndarray], np.ndarray] | None = None) -> SampledVideo:
    """The entry for ``(identity, request)``, built with ``build()`` (video, segments) and stored on a miss.

    ``pick(segments)`` selects the rows to return from a pooled entry.
    """
    key = entry_key(identity, request)
    arrays = cache.load(key, label)
    if arrays is None:
        video, segments = build()
        arrays = to_arrays(video, segments)
        cache.store(key, arrays, label)
    if pick is not None and 'segments' in arrays:
        return from_arrays(arrays, pick(arrays['segments']))
    return from_arrays(arrays)


def describe(cache: FrameCache) -> dict:
    """Entry count and total size of a cache (for ``swift-video cache --stats``)."""
    entries = cache.entries()
    total = sum(e.stat().st_size for e in entries)
    return {'root': str(cache.config.root), 'entries': len(entries), 'bytes': total,
            'max_bytes': cache.config.max_bytes}


__all__ = ('CACHE_DIR_ENV', 'CacheConfig', 'FrameCache', 'cached', 'draw_fixed_from_pool', 'draw_from_pool',
           'entry_key', 'fixed_pool_candidates', 'frame_cache', 'pool_candidates', 'source_identity')
