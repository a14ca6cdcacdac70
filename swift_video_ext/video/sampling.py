"""Frame-sampling strategies.

Every strategy maps the timestamps of the candidate frames (seconds, increasing, presentation order) to the
positions of the frames to keep: sorted, int64, unique except where a strategy reproduces an official loader that
repeats frames (``per_second``, ``window_uniform``: CogVLM2-Video). The other strategies never invent frames: a clip
with fewer frames than asked gives every frame once (model templates repeat or pad frames where their model needs a
fixed count).
Timestamps, not frame counts, drive the time-based strategies, so variable-frame-rate clips are sampled correctly.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable

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


Strategy = Callable[..., np.ndarray]

STRATEGIES: dict[str, Strategy] = {
    'uniform': uniform,
    'segment_middle': segment_middle,
    'segment_random': segment_random,
    'fps': fps,
    'per_second': per_second,
    'window_uniform': window_uniform,
    'interval': interval,
}


def strategy_parameters(strategy: str) -> tuple[str, ...]:
    """Names of the keyword parameters a strategy accepts."""
    func = get_strategy(strategy)
    return tuple(name for name, p in inspect.signature(func).parameters.items() if p.kind == p.KEYWORD_ONLY)


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
    lo, hi = window_positions(times, start, end)
    return lo + func(times[lo:hi], **kwargs)
