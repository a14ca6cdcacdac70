"""Per-video time windows written as W3C Media Fragments: ``clip.mp4#t=12.5,30`` samples only [12.5, 30) seconds.

A dataset row can then restrict one video without a run-wide ``VIDEO_START``/``VIDEO_END`` (e.g. MVBench's bounded
tasks, which give a start and end per question). Only the temporal dimension in seconds (``t=start,end``,
``t=start``, ``t=,end``, optionally ``npt:``-prefixed) is understood; any other fragment is left in the path.
"""

from __future__ import annotations

import re

_FRAGMENT = re.compile(r'#t=(?:npt:)?(?P<start>\d+(?:\.\d+)?)?(?:,(?P<end>\d+(?:\.\d+)?))?$')


def split_time_fragment(source: str) -> tuple[str, float | None, float | None]:
    """``'a.mp4#t=1.5,4'`` → ``('a.mp4', 1.5, 4.0)``; a source without a temporal fragment → ``(source, None, None)``.

    Raises ValueError for an empty or reversed window (``#t=5,2``), naming the source.
    """
    match = _FRAGMENT.search(source) if '#t=' in source else None
    if match is None or (match.group('start') is None and match.group('end') is None):
        return source, None, None
    start = float(match.group('start')) if match.group('start') is not None else None
    end = float(match.group('end')) if match.group('end') is not None else None
    if start is not None and end is not None and end <= start:
        raise ValueError(f'{source}: empty time window (end {end} s is not after start {start} s)')
    return source[:match.start()], start, end


def with_time_fragment(path: str, start: float | None, end: float | None) -> str:
    """``path`` with a ``#t=start,end`` window (``path`` itself when both are None)."""
    if start is None and end is None:
        return path
    return f'{path}#t={"" if start is None else f"{start:g}"}{"" if end is None else f",{end:g}"}'
