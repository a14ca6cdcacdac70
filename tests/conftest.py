"""Shared fixtures: synthesised clips (the primary test data) and the optional real clips in ../shared/videos."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('HF_DATASETS_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_VIDEOS = REPO_ROOT.parent / 'shared' / 'videos'
REAL_CLIPS = ('bigbuckbunny.mp4', 'bikes.mp4', 'carphone_pristine.mp4')


@pytest.fixture(scope='session')
def clip_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp('clips')


@pytest.fixture(scope='session')
def gop_clip(clip_dir) -> Path:
    """120 frames at 25 fps, keyframe every 12 frames, 3 B-frames: ten GOPs with reordering."""
    from swift_video_ext.video.synthetic import write_counter_clip

    return write_counter_clip(clip_dir / 'gop.mp4', num_frames=120, fps=25, gop=12, bframes=3)


@pytest.fixture(scope='session')
def long_gop_clip(clip_dir) -> Path:
    """300 frames at 30 fps (10 s), keyframe every 90 frames, 2 B-frames, odd-ish size 202x114."""
    from swift_video_ext.video.synthetic import write_counter_clip

    return write_counter_clip(clip_dir / 'long_gop.mp4', num_frames=300, fps=30, gop=90, bframes=2, width=202,
                              height=114)


VFR_TIMES = [0.0, 0.04, 0.08, 0.5, 0.52, 1.0, 1.9, 2.0, 2.1, 3.3, 3.31, 3.32, 4.0, 5.5, 5.6, 7.0]


@pytest.fixture(scope='session')
def vfr_clip(clip_dir) -> Path:
    """Variable frame rate: 16 frames at irregular times (see VFR_TIMES), 1 ms time base."""
    from swift_video_ext.video.synthetic import write_counter_clip

    return write_counter_clip(clip_dir / 'vfr.mp4', frame_times=VFR_TIMES, gop=4, bframes=0)


@pytest.fixture(scope='session')
def webm_clip(clip_dir) -> Path:
    from swift_video_ext.video.synthetic import write_counter_clip

    return write_counter_clip(clip_dir / 'clip.webm', num_frames=40, fps=20, codec='libvpx-vp9', gop=10)


def real_clip(name: str) -> Path:
    path = SHARED_VIDEOS / name
    if not path.is_file():
        pytest.skip(f'{path} not present (../shared is optional)')
    return path


@pytest.fixture(scope='session')
def tiny_checkpoint(tmp_path_factory):
    """``tiny_checkpoint(model_type, **options)``: a tiny checkpoint, built once per session for each type and
    options (:func:`tests.helpers.build_tiny`). Shared: a test that changes files copies the folder first."""
    from tests.helpers import build_tiny

    built: dict[tuple, Path] = {}

    def get(model_type: str, **options) -> Path:
        key = (model_type, repr(sorted(options.items())))
        if key not in built:
            built[key] = build_tiny(model_type, tmp_path_factory.mktemp('tiny') / model_type, **options)
        return built[key]

    return get


@pytest.fixture(scope='session')
def tiny_pllava(tiny_checkpoint) -> Path:
    return tiny_checkpoint('pllava')


@pytest.fixture(scope='session')
def tiny_cogvlm(tiny_checkpoint) -> Path:
    return tiny_checkpoint('cogvlm2_video')


@pytest.fixture(scope='session')
def tiny_minigpt4(tiny_checkpoint) -> Path:
    return tiny_checkpoint('minigpt4_video')


@pytest.fixture(scope='session')
def tiny_gemma4(tiny_checkpoint) -> Path:
    return tiny_checkpoint('gemma4')
