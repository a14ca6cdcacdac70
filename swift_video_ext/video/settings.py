"""Per-model-type sampling settings and the environment knobs that override them.

The knobs use ms-swift's names, so ``--model_kwargs '{"NUM_FRAMES": 8}'`` (which ms-swift exports as environment
variables) overrides them per run:

- ``NUM_FRAMES``: frame count of count-based strategies; the frame cap of ``per_second``.
- ``FPS``, ``FPS_MIN_FRAMES``, ``FPS_MAX_FRAMES``: the ``fps`` strategy's rate and clamps.
- ``VIDEO_MAX_PIXELS``: shrink decoded frames to at most this many pixels (resize at decode).
- ``VIDEO_SHORTEST_EDGE``: scale decoded frames so their short side has this many pixels.
- ``VIDEO_LOAD_BACKEND``: ``pyav`` (default), ``decord`` or ``torchcodec``.
- ``VIDEO_STRATEGY`` / ``VIDEO_TRAIN_STRATEGY``: the strategy at inference / in training.
- ``VIDEO_START`` / ``VIDEO_END``: sample only within ``[start, end)`` seconds.
- ``VIDEO_SOURCE_FPS``: frame rate of frame-folder videos (for their timestamps).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from .log import get_logger
from .sampling import get_strategy, strategy_parameters

logger = get_logger()

_COUNT_STRATEGIES = {'uniform', 'segment_middle', 'segment_random', 'window_uniform', 'interval',
                     'segment_middle_fixed', 'segment_random_fixed'}
_logged: set[tuple] = set()


def _env(name: str, cast):
    value = os.environ.get(name)
    if value is None or value.strip() == '':
        return None
    try:
        return cast(value)
    except ValueError:
        raise ValueError(f'environment variable {name}={value!r} is not a valid {cast.__name__}') from None


@dataclass(frozen=True)
class VideoSampling:
    """How a model type turns a video into frames (strategy, its parameters, resize and backend)."""

    strategy: str
    num_frames: int | None = None
    fps: float | None = None
    min_frames: int | None = None
    max_frames: int | None = None
    start: float | None = None  # seconds
    end: float | None = None  # seconds
    shortest_edge: int | None = None  # pixels
    max_pixels: int | None = None  # pixels
    backend: str | None = None
    train_strategy: str | None = None  # used instead of ``strategy`` in training (augmentation)
    source_fps: float = 1.0  # frame-folder videos: frames per second

    def __post_init__(self):
        get_strategy(self.strategy)
        if self.train_strategy:
            get_strategy(self.train_strategy)

    def with_env(self) -> VideoSampling:
        """A copy with the environment knobs applied."""
        updates = {
            'strategy': _env('VIDEO_STRATEGY', str),
            'train_strategy': _env('VIDEO_TRAIN_STRATEGY', str),
            'fps': _env('FPS', float),
            'min_frames': _env('FPS_MIN_FRAMES', int),
            'max_pixels': _env('VIDEO_MAX_PIXELS', int),
            'shortest_edge': _env('VIDEO_SHORTEST_EDGE', int),
            'backend': _env('VIDEO_LOAD_BACKEND', str),
            'start': _env('VIDEO_START', float),
            'end': _env('VIDEO_END', float),
            'source_fps': _env('VIDEO_SOURCE_FPS', float),
        }
        num_frames, fps_max = _env('NUM_FRAMES', int), _env('FPS_MAX_FRAMES', int)
        strategy = updates['strategy'] or self.strategy
        if strategy == 'per_second':
            updates['max_frames'] = num_frames
        else:
            updates['num_frames'] = num_frames
            updates['max_frames'] = fps_max
        return dataclasses.replace(self, **{k: v for k, v in updates.items() if v is not None})

    def strategy_for(self, training: bool) -> str:
        return (self.train_strategy or self.strategy) if training else self.strategy

    def strategy_kwargs(self, strategy: str, seed: int | None = None) -> dict:
        """The keyword arguments ``strategy`` takes, from these settings."""
        accepted = strategy_parameters(strategy)
        values = {'num_frames': self.num_frames, 'fps': self.fps, 'min_frames': self.min_frames,
                  'max_frames': self.max_frames, 'seed': seed}
        if strategy in _COUNT_STRATEGIES and self.num_frames is None:
            raise ValueError(f'strategy {strategy!r} needs num_frames (set NUM_FRAMES)')
        if strategy == 'fps' and self.fps is None:
            raise ValueError("strategy 'fps' needs a rate (set FPS)")
        return {k: v for k, v in values.items() if k in accepted and v is not None}

    def sample(self, source, *, training: bool = False, seed: int | None = None, pixels: bool = True):
        """Sample ``source`` with these settings; returns a :class:`~swift_video_ext.video.SampledVideo`.

        ``pixels=False`` probes only (zero-filled frames of the right count and size).
        """
        from .api import sample_video

        strategy = self.strategy_for(training)
        return sample_video(source, strategy, start=self.start, end=self.end, shortest_edge=self.shortest_edge,
                            max_pixels=self.max_pixels, backend=self.backend, source_fps=self.source_fps,
                            pixels=pixels, **self.strategy_kwargs(strategy, seed))

    @property
    def frame_count_knob(self) -> str:
        """The environment knob that caps the frame count of this strategy."""
        return 'FPS_MAX_FRAMES' if self.strategy == 'fps' else 'NUM_FRAMES'

    def with_frame_count(self, count: int) -> VideoSampling:
        """A copy whose frame count (``num_frames``, or the cap of ``per_second``/``fps``) is ``count``."""
        field = 'max_frames' if self.strategy in ('per_second', 'fps') else 'num_frames'
        return dataclasses.replace(self, **{field: int(count)})

    @property
    def frame_count(self) -> int | None:
        return self.max_frames if self.strategy in ('per_second', 'fps') else self.num_frames

    def log_once(self, model_type: str) -> None:
        """Log the effective settings once per process and model type."""
        key = (model_type, self)
        if key in _logged:
            return
        _logged.add(key)
        fields = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        logger.info(f'{model_type} video sampling: {fields}')
