"""Fixed-count strategies through the video core: repeated indices decode to the right frames, with and
without the frame cache, and random draws are not frozen by the cache."""

import numpy as np
import pytest

from swift_video_ext.video import api, sample_video
from swift_video_ext.video.synthetic import read_frame_counter, write_counter_clip


@pytest.fixture
def short_clip(tmp_path):
    return write_counter_clip(tmp_path / 'short.mp4', num_frames=7, fps=10)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    directory = tmp_path / 'cache'
    monkeypatch.setenv('SWIFT_VIDEO_CACHE_DIR', str(directory))
    monkeypatch.delenv('SWIFT_VIDEO_CACHE_RANDOM_POOL', raising=False)
    return directory


OFFICIAL_7_OF_16 = [0, 0, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6]  # tasks/eval/eval_utils.py get_index


@pytest.mark.parametrize('backend', ['pyav', 'decord'])
def test_repeated_indices_give_repeated_frames(short_clip, backend):
    if backend == 'decord':
        pytest.importorskip('decord')
    video = sample_video(short_clip, 'segment_middle_fixed', num_frames=16, backend=backend)
    assert video.indices.tolist() == OFFICIAL_7_OF_16 and len(video) == 16
    assert [read_frame_counter(f) for f in video.frames] == OFFICIAL_7_OF_16
    np.testing.assert_allclose(video.timestamps, np.array(OFFICIAL_7_OF_16) / 10)


def test_cached_entry_keeps_the_repeats(short_clip, cache_dir, monkeypatch):
    first = sample_video(short_clip, 'segment_middle_fixed', num_frames=16)
    calls = []
    original = api.open_reader
    monkeypatch.setattr(api, 'open_reader', lambda source, **kw: calls.append(source) or original(source, **kw))
    second = sample_video(short_clip, 'segment_middle_fixed', num_frames=16)
    assert not calls and list(cache_dir.rglob('*.npz'))
    assert second.indices.tolist() == OFFICIAL_7_OF_16 and np.array_equal(first.frames, second.frames)


def test_random_fixed_strategy_draws_from_a_cached_pool(tmp_path, cache_dir, monkeypatch):
    clip = write_counter_clip(tmp_path / 'long.mp4', num_frames=80, fps=10)
    first = sample_video(clip, 'segment_random_fixed', num_frames=4, seed=0)
    calls = []
    original = api.open_reader
    monkeypatch.setattr(api, 'open_reader', lambda source, **kw: calls.append(source) or original(source, **kw))
    draws = [sample_video(clip, 'segment_random_fixed', num_frames=4, seed=s) for s in range(1, 13)]
    assert not calls and len(list(cache_dir.rglob('*.npz'))) == 1  # one pooled entry, hits only
    assert len({tuple(d.indices) for d in [first, *draws]}) > 1  # the augmentation is not frozen
    for draw in draws:  # the strategy's support: one frame per 20-frame segment, never a segment's last frame
        assert [i // 20 for i in draw.indices] == [0, 1, 2, 3] and all(i % 20 != 19 for i in draw.indices)
        assert [read_frame_counter(f) for f in draw.frames] == draw.indices.tolist()


def test_random_fixed_pool_of_a_short_window_pads_like_the_strategy(tmp_path, cache_dir):
    clip = write_counter_clip(tmp_path / 'short.mp4', num_frames=6, fps=10)
    for seed in range(5):  # 6 frames, 4 segments: a one-frame segment, so a sorted subset of 4 of the 6
        video = sample_video(clip, 'segment_random_fixed', num_frames=4, seed=seed)
        assert len(video) == 4 and len(set(video.indices)) == 4 and list(video.indices) == sorted(video.indices)
    padded = sample_video(clip, 'segment_random_fixed', num_frames=8, seed=1)
    assert padded.indices.tolist() == [0, 1, 2, 3, 4, 5, 5, 5]
    assert [read_frame_counter(f) for f in padded.frames] == [0, 1, 2, 3, 4, 5, 5, 5]


def test_random_fixed_pool_zero_decodes_every_time(tmp_path, cache_dir, monkeypatch):
    monkeypatch.setenv('SWIFT_VIDEO_CACHE_RANDOM_POOL', '0')
    clip = write_counter_clip(tmp_path / 'long.mp4', num_frames=40, fps=10)
    sample_video(clip, 'segment_random_fixed', num_frames=4, seed=1)
    assert not list(cache_dir.rglob('*.npz'))
