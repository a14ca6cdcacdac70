"""Frame-sampling strategies.

Every strategy maps the timestamps of the candidate frames (seconds, increasing, presentation order) to the
positions of the frames to keep: sorted, int64, unique except where a strategy reproduces an official loader that
repeats frames (``per_second``, ``window_uniform``: CogVLM2-Video). The other strategies never invent frames: a clip
with fewer frames than asked gives every frame once (model templates repeat or pad frames where their model needs a
fixed count).
Timestamps, not frame counts, drive the time-based strategies, so variable-frame-rate clips are sampled correctly.

Exceptions, for reproducing a reference implementation exactly: ``segment_middle_fixed`` and
``segment_random_fixed`` always return ``num_frames`` positions, sorted but with repeats on short clips, and apply
the ``[start, end)`` window themselves with the reference's frame-rate arithmetic (they see every frame's time).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np

_EPS = 1e-6


def _unique(positions: np.ndarray) -> np.ndarray:
    return np.unique(np.asarray(positions, dtype=np.int64))


def _nearest(times: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Position of the frame whose timestamp is nearest to each target time (ties go to the earlier frame)."""
    right = np.clip(np.searchsorted(times, targets, side='left'), 0, len(times) - 1)
    left = np.clip(right - 1, 0, len(times) - 1)
    pick_left = np.abs(times[left] - targets) <= np.abs(times[right] - targets)
    return np.where(pick_left, left, right)


def _check_count(name: str, value: int | None) -> int:
    if value is None or int(value) < 1:
        raise ValueError(f'{name} must be a positive integer, got {value!r}')
    return int(value)


def uniform(times: np.ndarray, *, num_frames: int) -> np.ndarray:
    """``num_frames`` evenly spaced frames including the first and the last (``linspace``, rounded).

    Shorter clips (fewer frames than ``num_frames``) give every frame once.
    """
    num_frames = _check_count('num_frames', num_frames)
    n = len(times)
    if n <= num_frames:
        return np.arange(n, dtype=np.int64)
    return _unique(np.round(np.linspace(0, n - 1, num_frames)))


def segment_middle(times: np.ndarray, *, num_frames: int) -> np.ndarray:
    """The middle frame of each of ``num_frames`` equal segments (VideoChat2 / PLLaVA evaluation).

    Positions are ``int(seg / 2 + round(seg * i))`` with ``seg = (n - 1) / num_frames``, as in the reference
    evaluation code. Shorter clips give every frame once.
    """
    num_frames = _check_count('num_frames', num_frames)
    n = len(times)
    if n <= num_frames:
        return np.arange(n, dtype=np.int64)
    seg = (n - 1) / num_frames
    return _unique((seg / 2 + np.round(seg * np.arange(num_frames))).astype(np.int64))


def segment_random(times: np.ndarray, *, num_frames: int, seed: int | None = None) -> np.ndarray:
    """One random frame from each of ``num_frames`` equal segments (training augmentation).

    ``seed`` makes the draw reproducible; ``None`` draws fresh entropy. Shorter clips give every frame once.
    """
    num_frames = _check_count('num_frames', num_frames)
    n = len(times)
    if n <= num_frames:
        return np.arange(n, dtype=np.int64)
    bounds = np.linspace(0, n, num_frames + 1).astype(np.int64)
    rng = np.random.default_rng(seed)
    return _unique(rng.integers(bounds[:-1], bounds[1:]))


def fps(times: np.ndarray, *, fps: float, min_frames: int = 1, max_frames: int | None = None) -> np.ndarray:
    """Frames at a target rate of ``fps`` frames per second over the clip, clamped to [min_frames, max_frames].

    The count is ``round(duration * fps)`` clamped, and the frames are those nearest to evenly spaced times from the
    first to the last frame. A clip with fewer frames than ``min_frames`` gives every frame once.
    """
    if fps is None or fps <= 0:
        raise ValueError(f'fps must be positive, got {fps!r}')
    n = len(times)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    span = float(times[-1] - times[0])
    frame_step = span / (n - 1) if n > 1 else 1.0
    count = int(round((span + frame_step) * fps))
    count = max(count, int(min_frames or 1))
    if max_frames:
        count = min(count, int(max_frames))
    count = max(1, min(count, n))
    targets = np.linspace(times[0], times[-1], count)
    return _unique(_nearest(times, targets))


def per_second(times: np.ndarray, *, max_frames: int = 24) -> np.ndarray:
    """The frame nearest to each whole second, at most ``max_frames``: CogVLM2-Video's chat sampler.

    Seconds run from the first whole second of the window to ``round(t_last)`` (half to even, as Python's ``round``),
    ties go to the earlier frame, and a frame nearest to several seconds is repeated once per second, as the
    official loader does (``video_demo/cli_video_demo.py``, ``load_video(strategy='chat')``): a 0.5 fps clip of 40 s
    gives 24 positions ``[0, 0, 1, 1, …]``, so frame ordinal == second. A 5.3 s clip gives 6 frames; clips longer
    than ``max_frames`` seconds are cut to their first ``max_frames`` seconds. Positions are sorted, not unique.
    """
    max_frames = _check_count('max_frames', max_frames)
    if len(times) == 0:
        return np.zeros(0, dtype=np.int64)
    first, last = int(math.ceil(times[0] - _EPS)), int(round(float(times[-1])))
    seconds = np.arange(first, max(first, last) + 1, dtype=np.float64)[:max_frames]
    return _nearest(times, seconds).astype(np.int64)


def window_uniform(times: np.ndarray, *, num_frames: int, max_seconds: float | None = 60.0) -> np.ndarray:
    """``num_frames`` positions ``linspace(0, m - 1, num_frames)`` truncated to integers: CogVLM2-Video's base sampler.

    ``m`` is the number of frames in the window, capped at ``int(max_seconds * fps)`` with ``fps`` the average rate
    of the timestamps — the official ``load_video(strategy='base')`` takes ``int(60 * avg_fps)`` frames, one fewer
    than start within 60 s when ``60 * fps`` is not whole (29.97 fps: 1798, not 1799). Positions repeat when the
    window has fewer than ``num_frames`` frames (10 frames → ``[0, 0, 0, 1, 1, 1, 2, …]``), as the official does;
    sorted, not unique. ``max_seconds=None`` uses the whole window.
    """
    num_frames = _check_count('num_frames', num_frames)
    n = len(times)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if max_seconds is not None and n > 1 and times[-1] > times[0]:
        rate = (n - 1) / float(times[-1] - times[0])
        n = max(1, min(n, int(math.floor(max_seconds * rate + 1e-6))))
    return np.linspace(0, n - 1, num_frames).astype(np.int64)


def interval(times: np.ndarray, *, num_frames: int) -> np.ndarray:
    """Every k-th frame with ``k = max(1, n // num_frames)``, starting at the first, at most ``num_frames``.

    This is MiniGPT4-Video's sampler; the tail past the ``num_frames``-th kept frame is dropped. Shorter clips
    give every frame once (the MiniGPT4-Video template pads by repeating the last frame).
    """
    num_frames = _check_count('num_frames', num_frames)
    n = len(times)
    step = max(1, n // num_frames)
    return np.arange(0, n, step, dtype=np.int64)[:num_frames]


def nominal_fps(times: np.ndarray) -> float:
    """The clip's frame rate from its timestamps, snapped to the nearest rate ``p/q`` with ``q <= 1001``.

    A constant-rate clip thus gives the container's rate exactly (25.0, 30000/1001, ...), as decord's
    ``get_avg_fps`` does, so ``round(t * fps)`` does not flip on half frames. A single frame gives 1.0.
    """
    n = len(times)
    if n < 2 or times[-1] <= times[0]:
        return 1.0
    measured = (n - 1) / float(times[-1] - times[0])
    snapped = float(Fraction(measured).limit_denominator(1001))
    return snapped if abs(snapped - measured) <= 1e-6 * measured else measured


def _fixed_window(times: np.ndarray, start: float | None, end: float | None) -> tuple[int, int, float]:
    """(first, last) frame positions of the reference eval window and the frame rate used, last inclusive.

    ``first = max(0, round(start * fps))``, ``last = min(round(end * fps), n - 1)`` (Python's half-to-even
    ``round``, like the reference). No window: ``(0, n - 1)``.
    """
    n, fps = len(times), nominal_fps(times)
    first = 0 if start is None else max(0, round(float(start) * fps))
    last = n - 1 if end is None else min(round(float(end) * fps), n - 1)
    if n == 0 or first > last:
        raise ValueError(f'no frame in the window [{start}, {end}) s of a {n}-frame clip at {fps:g} fps')
    return first, last, fps


def segment_middle_fixed(times: np.ndarray, *, num_frames: int, start: float | None = None,
                         end: float | None = None) -> np.ndarray:
    """Exactly ``num_frames`` positions: the middle of equal segments, repeats allowed (PLLaVA / VideoChat2 eval).

    With ``first, last`` the window's frame positions (``round(t * fps)``, see :func:`_fixed_window`) and
    ``seg = (last - first) / num_frames``, position ``i`` is ``int(first + seg / 2 + round(seg * i))``
    (half-to-even rounding). A clip shorter than ``num_frames`` repeats frames (7 frames, 16 segments →
    ``0,0,1,1,2,2,2,3,...``); 16 frames give 16 positions with one repeat and without the last frame.
    """
    num_frames = _check_count('num_frames', num_frames)
    first, last, _ = _fixed_window(times, start, end)
    seg = (last - first) / num_frames
    offsets = np.round(seg * np.arange(num_frames))  # numpy rounds half to even, as the reference does
    return (first + seg / 2 + offsets).astype(np.int64)


def rand_window(times: np.ndarray, start: float | None, end: float | None) -> tuple[int, int]:
    """(first position, frame count) of the reference training window: ``int((end - start) * fps)`` frames from
    ``int(start * fps)`` (nominal fps), cut to the clip; no window: the whole clip."""
    n, fps = len(times), nominal_fps(times)
    lo = 0 if start is None else min(max(0, int(float(start) * fps)), n)
    hi = n if end is None else min(n, lo + int((float(end) - float(start or 0.0)) * fps))
    if hi - lo < 1:
        raise ValueError(f'no frame in the window [{start}, {end}) s of a {n}-frame clip at {fps:g} fps')
    return lo, hi - lo


def rand_segments(count: int, num_frames: int) -> np.ndarray | None:
    """Segment bounds (``kept + 1`` positions) of the reference ``rand`` sampler over ``count`` frames, or None
    when a segment has a single frame (the reference then takes a sorted random subset)."""
    bounds = np.linspace(0, count, min(num_frames, count) + 1).astype(np.int64)
    return None if np.any(np.diff(bounds) < 2) else bounds


def segment_random_fixed(times: np.ndarray, *, num_frames: int, seed: int | None = None,
                         start: float | None = None, end: float | None = None) -> np.ndarray:
    """Exactly ``num_frames`` positions: one random frame per segment, padded with the last (PLLaVA training).

    The window (:func:`rand_window`) of ``k`` frames is split at ``linspace(0, k, min(num_frames, k) + 1)``
    truncated; each segment gives a frame from its range without its last frame. When a segment has a single
    frame, a sorted random subset of ``min(num_frames, k)`` distinct frames is taken instead. Fewer than
    ``num_frames`` positions are padded by repeating the last one. This is the distribution of the reference's
    ``rand`` sampler; the random stream itself is numpy's, seeded by ``seed``.
    """
    num_frames = _check_count('num_frames', num_frames)
    lo, count = rand_window(times, start, end)
    rng = np.random.default_rng(seed)
    bounds = rand_segments(count, num_frames)
    if bounds is None:
        picks = np.sort(rng.permutation(count)[:min(num_frames, count)])
    else:
        picks = rng.integers(bounds[:-1], bounds[1:] - 1)
    picks = np.concatenate([picks, np.full(num_frames - len(picks), picks[-1])])
    return lo + picks.astype(np.int64)


# Strategies that read the window themselves (they get every frame's time plus ``start``/``end``).
WINDOWED_STRATEGIES = frozenset({'segment_middle_fixed', 'segment_random_fixed'})


Strategy = Callable[..., np.ndarray]

STRATEGIES: dict[str, Strategy] = {
    'uniform': uniform,
    'segment_middle': segment_middle,
    'segment_random': segment_random,
    'fps': fps,
    'per_second': per_second,
    'window_uniform': window_uniform,
    'interval': interval,
    'segment_middle_fixed': segment_middle_fixed,
    'segment_random_fixed': segment_random_fixed,
}


def strategy_parameters(strategy: str) -> tuple[str, ...]:
    """Names of the keyword parameters a strategy accepts (the window, ``start``/``end``, is not one of them)."""
    func = get_strategy(strategy)
    return tuple(name for name, p in inspect.signature(func).parameters.items()
                 if p.kind == p.KEYWORD_ONLY and name not in ('start', 'end'))


def get_strategy(strategy: str) -> Strategy:
    try:
        return STRATEGIES[strategy]
    except KeyError:
        raise ValueError(f'unknown sampling strategy {strategy!r}; choose one of {sorted(STRATEGIES)}') from None


def window_positions(times: np.ndarray, start: float | None, end: float | None) -> tuple[int, int]:
    """Half-open range of frame positions whose timestamps lie in ``[start, end)`` seconds."""
    lo = 0 if start is None else int(np.searchsorted(times, float(start) - _EPS, side='left'))
    hi = len(times) if end is None else int(np.searchsorted(times, float(end) - _EPS, side='left'))
    return lo, max(lo, hi)


def select_indices(times: np.ndarray, strategy: str, *, start: float | None = None, end: float | None = None,
                   **params) -> np.ndarray:
    """Frame indices (into ``times``) chosen by ``strategy`` within the ``[start, end)`` window (seconds)."""
    func = get_strategy(strategy)
    accepted = strategy_parameters(strategy)
    unknown = sorted(k for k, v in params.items() if k not in accepted and v is not None)
    if unknown:
        raise ValueError(f'strategy {strategy!r} does not take {unknown}; it takes {list(accepted)}')
    kwargs = {k: v for k, v in params.items() if v is not None}
    if strategy in WINDOWED_STRATEGIES:
        return func(times, start=start, end=end, **kwargs)
    lo, hi = window_positions(times, start, end)
    return lo + func(times[lo:hi], **kwargs)
