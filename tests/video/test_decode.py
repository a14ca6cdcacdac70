"""Sampled frames equal a full sequential decode, for every backend, strategy and clip (synthetic and real)."""

import importlib.util

import numpy as np
import pytest

from swift_video_ext.video import decode_all_frames, probe_video, sample_video
from swift_video_ext.video.synthetic import read_frame_counter, write_frame_folder
from tests.conftest import REAL_CLIPS, VFR_TIMES, real_clip

BACKENDS = ['pyav'] + [name for name in ('decord', 'torchcodec') if importlib.util.find_spec(name)]
CASES = [
    ('uniform', {'num_frames': 8}),
    ('segment_middle', {'num_frames': 16}),
    ('segment_random', {'num_frames': 10, 'seed': 1}),
    ('fps', {'fps': 3.0, 'max_frames': 32}),
    ('per_second', {'max_frames': 24}),
    ('window_uniform', {'num_frames': 24}),
    ('interval', {'num_frames': 45}),
]


def check_against_full_decode(path, strategy, params, backend):
    full_frames, full_times = decode_all_frames(path)
    sampled = sample_video(path, strategy, backend=backend, **params)
    assert sampled.backend == backend
    assert sampled.num_source_frames == len(full_frames)
    np.testing.assert_allclose(sampled.timestamps, full_times[sampled.indices], atol=1e-6)
    assert np.array_equal(sampled.frames, full_frames[sampled.indices])
    return sampled


@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('strategy,params', CASES)
def test_synthetic_gop_clip_equals_full_decode(gop_clip, strategy, params, backend):
    sampled = check_against_full_decode(gop_clip, strategy, params, backend)
    assert [read_frame_counter(f) for f in sampled.frames] == sampled.indices.tolist()


@pytest.mark.parametrize('backend', BACKENDS)
def test_sparse_targets_across_long_gops(long_gop_clip, backend):
    sampled = check_against_full_decode(long_gop_clip, 'uniform', {'num_frames': 7}, backend)
    assert sampled.indices.tolist() == [0, 50, 100, 150, 199, 249, 299]
    assert [read_frame_counter(f) for f in sampled.frames] == sampled.indices.tolist()


@pytest.mark.parametrize('backend', BACKENDS)
def test_backends_agree_on_indices_and_timestamps(gop_clip, backend):
    ref = sample_video(gop_clip, 'fps', fps=4.0, backend='pyav')
    got = sample_video(gop_clip, 'fps', fps=4.0, backend=backend)
    assert got.indices.tolist() == ref.indices.tolist()
    assert np.array_equal(got.timestamps, ref.timestamps)


def test_webm_vp9_clip(webm_clip):
    sampled = check_against_full_decode(webm_clip, 'uniform', {'num_frames': 6}, 'pyav')
    assert [read_frame_counter(f) for f in sampled.frames] == sampled.indices.tolist()


def test_vfr_timestamps_are_the_encoded_times(vfr_clip):
    info = probe_video(vfr_clip)
    np.testing.assert_allclose(info.frame_times, VFR_TIMES, atol=1e-3)
    sampled = sample_video(vfr_clip, 'per_second')
    # seconds 0..7: nearest frames at 0.0, 1.0, 1.9, 3.3, 4.0, 5.5 (nearest to 5 s), 5.6/7.0 ...
    expected_positions = [int(np.argmin(np.abs(np.array(VFR_TIMES) - s))) for s in range(8)]
    assert sampled.indices.tolist() == sorted(set(expected_positions))
    np.testing.assert_allclose(sampled.timestamps, np.array(VFR_TIMES)[sampled.indices], atol=1e-3)
    assert [read_frame_counter(f) for f in sampled.frames] == sampled.indices.tolist()


def test_bytes_source_matches_path_source(gop_clip):
    from_path = sample_video(gop_clip, 'uniform', num_frames=5)
    from_bytes = sample_video(gop_clip.read_bytes(), 'uniform', num_frames=5)
    assert from_bytes.indices.tolist() == from_path.indices.tolist()
    assert np.array_equal(from_bytes.frames, from_path.frames)
    assert from_bytes.source.startswith('<') and from_bytes.source.endswith('bytes>')


def test_resize_at_decode_keeps_aspect_and_content(long_gop_clip):
    sampled = sample_video(long_gop_clip, 'uniform', num_frames=4, shortest_edge=57)
    assert sampled.frames.shape[1:] == (57, 101, 3)  # 202x114 -> short side 57
    assert [read_frame_counter(f) for f in sampled.frames] == sampled.indices.tolist()
    capped = sample_video(long_gop_clip, 'uniform', num_frames=2, max_pixels=5000)
    height, width = capped.frames.shape[1:3]
    assert height * width <= 5100 and abs(width / height - 202 / 114) < 0.05


def test_frame_folder_uses_source_fps_for_timestamps(tmp_path):
    write_frame_folder(tmp_path / 'frames', 12)  # frame_1.jpg .. frame_12.jpg (natural order)
    sampled = sample_video(tmp_path / 'frames', 'uniform', num_frames=4, source_fps=2.0)
    assert sampled.indices.tolist() == [0, 4, 7, 11]
    np.testing.assert_allclose(sampled.timestamps, [0.0, 2.0, 3.5, 5.5])
    assert [read_frame_counter(f) for f in sampled.frames] == [0, 4, 7, 11]
    assert sampled.backend == 'images'


def test_frame_list_source(tmp_path):
    paths = write_frame_folder(tmp_path / 'f', 6)
    sampled = sample_video([str(p) for p in paths[::-1]], 'uniform', num_frames=3)  # list order is frame order
    assert [read_frame_counter(f) for f in sampled.frames] == [5, 3, 0]  # positions 0, 2, 5 of the list


@pytest.mark.parametrize('name', REAL_CLIPS)
@pytest.mark.parametrize('backend', BACKENDS)
def test_real_clips_equal_full_decode(name, backend):
    path = real_clip(name)
    for strategy, params in [('segment_middle', {'num_frames': 16}), ('per_second', {}), ('uniform',
                                                                                         {'num_frames': 32})]:
        check_against_full_decode(path, strategy, params, backend)
