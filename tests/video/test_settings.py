"""Per-model sampling settings and the ms-swift-named environment knobs."""

import pytest

from swift_video_ext.video.settings import VideoSampling


def test_env_knobs_override(monkeypatch):
    base = VideoSampling('segment_middle', num_frames=16, train_strategy='segment_random')
    monkeypatch.setenv('NUM_FRAMES', '8')
    monkeypatch.setenv('VIDEO_MAX_PIXELS', '50176')
    monkeypatch.setenv('VIDEO_LOAD_BACKEND', 'decord')
    got = base.with_env()
    assert (got.num_frames, got.max_pixels, got.backend, got.train_strategy) == (8, 50176, 'decord', 'segment_random')


def test_num_frames_caps_per_second_and_fps_knobs(monkeypatch):
    monkeypatch.setenv('NUM_FRAMES', '10')
    assert VideoSampling('per_second', max_frames=24).with_env().max_frames == 10
    monkeypatch.delenv('NUM_FRAMES')
    monkeypatch.setenv('VIDEO_STRATEGY', 'fps')
    monkeypatch.setenv('FPS', '2')
    monkeypatch.setenv('FPS_MAX_FRAMES', '12')
    got = VideoSampling('uniform', num_frames=4).with_env()
    assert (got.strategy, got.fps, got.max_frames) == ('fps', 2.0, 12)
    assert got.strategy_kwargs('fps') == {'fps': 2.0, 'max_frames': 12}


def test_bad_env_value_is_named(monkeypatch):
    monkeypatch.setenv('NUM_FRAMES', 'many')
    with pytest.raises(ValueError, match="NUM_FRAMES='many'"):
        VideoSampling('uniform', num_frames=4).with_env()


def test_strategy_needs_its_parameters():
    with pytest.raises(ValueError, match='needs num_frames'):
        VideoSampling('uniform').strategy_kwargs('uniform')
    with pytest.raises(ValueError, match='unknown sampling strategy'):
        VideoSampling('nope')


def test_effective_settings_logged_once(capsys):
    sampling = VideoSampling('uniform', num_frames=3)
    sampling.log_once('test_model')
    sampling.log_once('test_model')
    assert capsys.readouterr().err.count("test_model video sampling: {'strategy': 'uniform', 'num_frames': 3") == 1
