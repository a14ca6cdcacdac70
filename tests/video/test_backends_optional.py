"""The optional decoding backends (torchcodec; decord or its maintained fork decord2, same import name) return the
frames of a full sequential PyAV decode. Skipped cleanly when a backend or its FFmpeg shared libraries are missing."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from swift_video_ext.video import decode_all_frames, sample_video
from swift_video_ext.video.synthetic import read_frame_counter
from tests.conftest import REAL_CLIPS, real_clip


@functools.cache
def usable(backend: str) -> str | None:
    """None when ``backend`` decodes here, else why not (the skip reason)."""
    try:
        if backend == 'torchcodec':
            from torchcodec.decoders import VideoDecoder  # noqa: F401  (loads the FFmpeg shared libraries)
        else:
            import decord  # noqa: F401
    except Exception as error:  # ImportError, or torchcodec's RuntimeError when no FFmpeg libraries load
        return f'{backend} unusable here: {type(error).__name__}: {str(error)[:200]}'
    return None


@pytest.fixture(params=['torchcodec', 'decord'])
def backend(request) -> str:
    reason = usable(request.param)
    if reason:
        pytest.skip(reason)
    return request.param


def assert_full_decode_frames(path, backend: str, strategy: str = 'uniform', **params):
    full_frames, full_times = decode_all_frames(path)
    sampled = sample_video(path, strategy, backend=backend, **params)
    assert sampled.backend == backend
    assert np.array_equal(sampled.indices, sample_video(path, strategy, backend='pyav', **params).indices)
    np.testing.assert_allclose(sampled.timestamps, full_times[sampled.indices], atol=1e-6)
    assert np.array_equal(sampled.frames, full_frames[sampled.indices])
    return sampled


@pytest.mark.parametrize('strategy,params', [('uniform', {'num_frames': 8}), ('segment_random', {'num_frames': 10,
                                             'seed': 3}), ('fps', {'fps': 3.0, 'max_frames': 32})])
def test_gop_clip_with_b_frames(gop_clip, backend, strategy, params):
    sampled = assert_full_decode_frames(gop_clip, backend, strategy, **params)
    assert [read_frame_counter(f) for f in sampled.frames] == sampled.indices.tolist()


def test_sparse_targets_across_long_gops(long_gop_clip, backend):
    sampled = assert_full_decode_frames(long_gop_clip, backend, num_frames=7)
    assert [read_frame_counter(f) for f in sampled.frames] == sampled.indices.tolist()


def test_variable_frame_rate(vfr_clip, backend):
    assert_full_decode_frames(vfr_clip, backend, num_frames=6)


def test_vp9_webm(webm_clip, backend):
    assert_full_decode_frames(webm_clip, backend, num_frames=6)


def test_bytes_source(gop_clip, backend):
    from_bytes = sample_video(gop_clip.read_bytes(), 'uniform', num_frames=5, backend=backend)
    assert np.array_equal(from_bytes.frames, sample_video(gop_clip, 'uniform', num_frames=5, backend='pyav').frames)


@pytest.mark.parametrize('name', REAL_CLIPS)
def test_real_clips(name, backend):
    assert_full_decode_frames(real_clip(name), backend, num_frames=16)


def test_decord_decode_failure_names_the_file(gop_clip, monkeypatch):
    if usable('decord'):
        pytest.skip(usable('decord'))
    import decord

    from swift_video_ext.video import VideoDecodeError

    def broken(self, indices):
        raise decord.DECORDError('Check failed: from_size == to_size')

    monkeypatch.setattr(decord.VideoReader, 'get_batch', broken)
    with pytest.raises(VideoDecodeError, match=r'gop\.mp4.*decord failed to decode it'):
        sample_video(gop_clip, 'uniform', num_frames=4, backend='decord')
