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


def test_random_fixed_strategy_is_not_frozen_by_the_cache(tmp_path, cache_dir):
    clip = write_counter_clip(tmp_path / 'long.mp4', num_frames=80, fps=10)
    draws = {tuple(sample_video(clip, 'segment_random_fixed', num_frames=4, seed=s).indices) for s in range(6)}
    assert len(draws) > 1 and not list(cache_dir.rglob('*.npz'))
