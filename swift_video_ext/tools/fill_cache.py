"""Fill the frame cache ahead of training: every dataset video sampled once with the run's exact settings."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from ..common.template import resolve_video_source
from ..video import VideoDecodeError
from ..video.cache import CACHE_DIR_ENV, describe, frame_cache
from ..video.settings import VideoSampling


def dataset_videos(rows) -> list:
    """Every distinct video of the rows (paths, frame lists, bytes), in first-seen order."""
    seen, videos = set(), []
    for row in rows:
        for video in row.get('videos') or []:
            key = repr(video) if not isinstance(video, (str, bytes)) else video
            if key not in seen:
                seen.add(key)
                videos.append(video)
    return videos


def _sample_one(video, sampling: VideoSampling, training: bool) -> str | None:
    """Sample (and so cache) one video; the error text when it cannot be decoded."""
    try:
        sampling.sample(resolve_video_source(video), training=training, seed=0)
    except VideoDecodeError as error:
        return f'{error.source}: {error.reason}'
    return None


def fill_cache(videos: Sequence, sampling: VideoSampling, *, modes: Iterable[str] = ('train',), workers: int = 1,
               progress: bool = True) -> dict:
    """Sample every video in each mode (``train``: the training strategy, ``infer``: the inference one).

    Needs ``SWIFT_VIDEO_CACHE_DIR``. Returns entry counts and sizes before/after and the videos that failed.
    """
    cache = frame_cache()
    if cache is None:
        raise SystemExit(f'set {CACHE_DIR_ENV} (or pass --cache-dir) to say where the cache lives')
    before = describe(cache)
    jobs = [(video, mode == 'train') for mode in dict.fromkeys(modes) for video in videos]
    failures: list[str] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), desc='caching frames', unit='video')
    if workers <= 1:
        for video, training in jobs:
            error = _sample_one(video, sampling, training)
            if error:
                failures.append(error)
            if bar:
                bar.update()
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_sample_one, video, sampling, training) for video, training in jobs]
            for future in as_completed(futures):
                error = future.result()
                if error:
                    failures.append(error)
                if bar:
                    bar.update()
    if bar:
        bar.close()
    after = describe(cache)
    return {'cache_dir': after['root'], 'videos': len(videos), 'modes': list(dict.fromkeys(modes)),
            'new_entries': after['entries'] - before['entries'], 'entries': after['entries'],
            'size_gib': round(after['bytes'] / 2**30, 3),
            'max_gib': None if after['max_bytes'] is None else round(after['max_bytes'] / 2**30, 3),
            'failed': len(failures), 'failures': failures[:20]}


def clear_cache() -> int:
    """Delete every entry; returns how many."""
    cache = frame_cache()
    if cache is None:
        raise SystemExit(f'set {CACHE_DIR_ENV} (or pass --cache-dir)')
    entries = cache.entries()
    for entry in entries:
        os.unlink(entry.path)
    return len(entries)
