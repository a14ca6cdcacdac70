"""Sampling strategies on timestamp arrays: hand-computed expectations, short clips, windows, VFR."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swift_video_ext.video.sampling import STRATEGIES, WINDOWED_STRATEGIES, select_indices


def cfr(n, fps=25.0):
    return np.arange(n, dtype=np.float64) / fps


def test_uniform_includes_both_ends():
    assert select_indices(cfr(100), 'uniform', num_frames=5).tolist() == [0, 25, 50, 74, 99]


def test_segment_middle_matches_videochat2_formula():
    n, k = 120, 16
    seg = (n - 1) / k
    expected = [int(seg / 2 + round(seg * i)) for i in range(k)]
    assert select_indices(cfr(n), 'segment_middle', num_frames=k).tolist() == expected


@pytest.mark.parametrize(('n', 'k', 'expected'), [
    (31, 4, [3, 11, 18, 25]),  # seg = 7.5: round(22.5) = 22 (half to even); half-up would give 26
    (11, 4, [1, 3, 6, 9]),  # seg = 2.5: round(2.5) = 2 (half-up: 3 -> [1, 4, 6, 9]), round(7.5) = 8
])
def test_segment_middle_rounds_half_to_even(n, k, expected):
    """The .5 cases pin numpy/Python half-to-even rounding (VideoChat2's ``round``), written out by hand."""
    assert select_indices(cfr(n), 'segment_middle', num_frames=k).tolist() == expected


def test_segment_random_one_per_segment_and_seeded():
    a = select_indices(cfr(100), 'segment_random', num_frames=10, seed=7)
    b = select_indices(cfr(100), 'segment_random', num_frames=10, seed=7)
    c = select_indices(cfr(100), 'segment_random', num_frames=10, seed=8)
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()
    assert [int(i) // 10 for i in a] == list(range(10))


def test_fps_count_and_clamps():
    times = cfr(250, 25.0)  # 10 s
    assert len(select_indices(times, 'fps', fps=2.0)) == 20
    assert len(select_indices(times, 'fps', fps=2.0, max_frames=8)) == 8
    assert len(select_indices(times, 'fps', fps=0.1, min_frames=4)) == 4


def test_per_second_nearest_frame_each_whole_second():
    times = cfr(132, 25.0)  # bigbuckbunny-like 5.28 s
    assert select_indices(times, 'per_second').tolist() == [0, 25, 50, 75, 100, 125]
    assert select_indices(cfr(40 * 25), 'per_second', max_frames=24).tolist() == [25 * s for s in range(24)]


def test_window_uniform_truncates_like_linspace_int():
    times = cfr(90 * 30, 30.0)  # 90 s, window [0, 60)
    got = select_indices(times, 'window_uniform', num_frames=24, end=60.0)
    assert got.tolist() == np.linspace(0, 1799, 24, dtype=int).tolist()


def test_interval_keeps_every_kth_from_first():
    assert select_indices(cfr(100), 'interval', num_frames=45).tolist() == list(range(0, 90, 2))
    assert select_indices(cfr(100), 'interval', num_frames=30).tolist() == list(range(0, 90, 3))


@pytest.mark.parametrize('strategy', ['uniform', 'segment_middle', 'segment_random', 'interval'])
def test_short_clip_gives_every_frame_once(strategy):
    assert select_indices(cfr(5), strategy, num_frames=16).tolist() == [0, 1, 2, 3, 4]


def test_window_restricts_and_offsets_indices():
    got = select_indices(cfr(250, 25.0), 'uniform', num_frames=3, start=2.0, end=4.0)
    assert got.tolist() == [50, 74, 99]


def test_vfr_time_based_strategies_follow_timestamps():
    times = np.array([0.0, 0.1, 0.2, 2.9, 3.0, 3.1, 6.0])
    # seconds 0..6 -> nearest frames 0.0, 0.2, 2.9, 3.0, 3.1, 6.0, 6.0 (repeated, as CogVLM2's official loader)
    assert select_indices(times, 'per_second').tolist() == [0, 2, 3, 4, 5, 6, 6]


def test_per_second_repeats_frames_of_low_fps_clips():
    # 0.5 fps, 40 s: second s -> frame s // 2 (ties to the earlier frame); 24 seconds, frame ordinal == second
    assert select_indices(cfr(20, 0.5), 'per_second').tolist() == [s // 2 for s in range(24)]


def test_window_uniform_repeats_frames_of_short_clips_and_caps_at_int_seconds_times_fps():
    assert select_indices(cfr(5), 'window_uniform', num_frames=8).tolist() == [0, 0, 1, 1, 2, 2, 3, 4]
    times = cfr(1948, 30000 / 1001)  # 65 s at 29.97 fps: int(60 * 29.97) = 1798 frames, not the 1799 before 60 s
    got = select_indices(times, 'window_uniform', num_frames=24, end=60.0)
    assert got[-1] == 1797 and got.tolist() == np.linspace(0, 1797, 24).astype(int).tolist()


def test_unknown_strategy_and_parameter_are_clear_errors():
    with pytest.raises(ValueError, match='unknown sampling strategy'):
        select_indices(cfr(10), 'nope', num_frames=2)
    with pytest.raises(ValueError, match="does not take \\['fps'\\]"):
        select_indices(cfr(10), 'uniform', num_frames=2, fps=3)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 400), k=st.integers(1, 64), strategy=st.sampled_from(sorted(set(STRATEGIES) -
                                                                                   WINDOWED_STRATEGIES)))
def test_every_strategy_returns_sorted_unique_in_range(n, k, strategy):
    params = {'fps': 3.0} if strategy == 'fps' else {'max_frames': k} if strategy == 'per_second' else \
        {'num_frames': k}
    got = select_indices(cfr(n), strategy, **params)
    repeats = strategy in {'per_second', 'window_uniform'}  # CogVLM2-Video's loaders repeat frames
    assert len(got) >= 1 and np.all(np.diff(got) >= 0 if repeats else np.diff(got) > 0)
    assert got[0] >= 0 and got[-1] < n


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 400), k=st.integers(1, 64), strategy=st.sampled_from(sorted(WINDOWED_STRATEGIES)),
       seed=st.integers(0, 2**16))
def test_fixed_count_strategies_return_exactly_k_sorted_in_range(n, k, strategy, seed):
    params = {'seed': seed} if strategy == 'segment_random_fixed' else {}
    got = select_indices(cfr(n), strategy, num_frames=k, **params)
    assert len(got) == k and np.all(np.diff(got) >= 0) and got[0] >= 0 and got[-1] < n


def test_segment_middle_fixed_repeats_frames_of_short_clips():
    # tasks/eval/eval_utils.py EvalDataset.get_index, 7 frames and 16 segments (see the PLLaVA known answers)
    assert select_indices(cfr(7), 'segment_middle_fixed', num_frames=16).tolist() == \
        [0, 0, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6]


def test_segment_random_fixed_pads_short_clips_with_the_last_frame():
    assert select_indices(cfr(3), 'segment_random_fixed', num_frames=6, seed=1).tolist() == [0, 1, 2, 2, 2, 2]


def test_fixed_strategies_window_uses_frame_rate_arithmetic():
    # (round(end * fps) - round(start * fps)) / N, not the frames inside the window
    got = select_indices(cfr(250, 25.0), 'segment_middle_fixed', num_frames=4, start=2.0, end=4.0)
    assert got.tolist() == [56, 68, 81, 94]  # seg = (100 - 50) / 4 = 12.5; round(12.5) = 12, round(37.5) = 38
