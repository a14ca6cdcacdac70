"""Frame cache: hits skip decoding, changes miss, corruption rebuilds, eviction caps size, augmentation survives."""

import os
import shutil
import time

import numpy as np
import pytest

from swift_video_ext.video import api, sample_video
from swift_video_ext.video.cache import frame_cache
from swift_video_ext.video.synthetic import read_frame_counter, write_counter_clip, write_frame_folder


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    directory = tmp_path / 'cache'
    monkeypatch.setenv('SWIFT_VIDEO_CACHE_DIR', str(directory))
    for name in ('SWIFT_VIDEO_CACHE_MAX_GB', 'SWIFT_VIDEO_CACHE_RANDOM_POOL', 'SWIFT_VIDEO_CACHE_COMPRESS',
                 'VIDEO_LOAD_BACKEND'):
        monkeypatch.delenv(name, raising=False)
    return directory


@pytest.fixture
def clip(tmp_path):
    return write_counter_clip(tmp_path / 'clip.mp4', num_frames=90, fps=30, gop=30, bframes=2)


@pytest.fixture
def decode_calls(monkeypatch):
    """How many times a video was opened for decoding."""
    calls = []
    original = api.open_reader

    def counting(source, **kwargs):
        calls.append(source)
        return original(source, **kwargs)

    monkeypatch.setattr(api, 'open_reader', counting)
    return calls


def entries(directory):
    return sorted(directory.rglob('*.npz'))


def counters(video):
    return [read_frame_counter(frame) for frame in video.frames]


def assert_same(a, b):
    assert np.array_equal(a.frames, b.frames)
    assert np.array_equal(a.timestamps, b.timestamps) and np.array_equal(a.indices, b.indices)
    assert (a.fps, a.duration, a.num_source_frames, a.backend, a.source) == \
        (b.fps, b.duration, b.num_source_frames, b.backend, b.source)


def test_hit_returns_the_stored_frames_without_decoding(cache_dir, clip, decode_calls):
    first = sample_video(clip, 'uniform', num_frames=8, shortest_edge=48)
    assert len(decode_calls) == 1 and len(entries(cache_dir)) == 1
    second = sample_video(clip, 'uniform', num_frames=8, shortest_edge=48)
    assert len(decode_calls) == 1  # served from the cache
    assert_same(first, second)
    os.environ.pop('SWIFT_VIDEO_CACHE_DIR')
    assert_same(first, sample_video(clip, 'uniform', num_frames=8, shortest_edge=48))  # equals an uncached decode


@pytest.mark.parametrize('change', [{'num_frames': 6}, {'shortest_edge': 32}, {'start': 1.0},
                                    {'strategy': 'segment_middle'}, {'backend': 'decord'}])
def test_changed_parameter_is_a_miss(cache_dir, clip, decode_calls, change):
    pytest.importorskip('decord') if change.get('backend') == 'decord' else None
    base = {'strategy': 'uniform', 'num_frames': 8, 'shortest_edge': 48}
    sample_video(clip, **base)
    changed = sample_video(clip, **{**base, **change})
    assert len(decode_calls) == 2 and len(entries(cache_dir)) == 2
    os.environ.pop('SWIFT_VIDEO_CACHE_DIR')
    assert_same(changed, sample_video(clip, **{**base, **change}))


def test_changed_file_is_a_miss(cache_dir, tmp_path, decode_calls):
    path = write_counter_clip(tmp_path / 'v.mp4', num_frames=40, fps=20)
    assert counters(sample_video(path, 'uniform', num_frames=4))[-1] == 39
    stat = path.stat()
    write_counter_clip(path, num_frames=60, fps=20)  # same name, new content
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert counters(sample_video(path, 'uniform', num_frames=4))[-1] == 59
    assert len(decode_calls) == 2


def test_touched_file_is_a_miss(cache_dir, clip, decode_calls):
    sample_video(clip, 'uniform', num_frames=4)
    os.utime(clip, ns=(time.time_ns(), clip.stat().st_mtime_ns + 10**9))
    sample_video(clip, 'uniform', num_frames=4)
    assert len(decode_calls) == 2


@pytest.mark.parametrize('damage', ['garbage', 'truncate', 'empty', 'foreign_entry'])
def test_corrupt_entry_is_rebuilt_not_fatal(cache_dir, clip, decode_calls, damage, caplog, capsys):
    reference = sample_video(clip, 'uniform', num_frames=8)
    (entry,) = entries(cache_dir)
    if damage == 'garbage':
        entry.write_bytes(b'not a zip file at all')
    elif damage == 'truncate':
        entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])
    elif damage == 'empty':
        entry.write_bytes(b'')
    else:  # a valid entry of another request copied over this one
        sample_video(clip, 'uniform', num_frames=5)
        other = next(e for e in entries(cache_dir) if e != entry)
        shutil.copyfile(other, entry)
    rebuilt = sample_video(clip, 'uniform', num_frames=8)
    assert_same(reference, rebuilt)
    assert 'rebuilding it' in capsys.readouterr().err
    again = len(decode_calls)
    assert_same(reference, sample_video(clip, 'uniform', num_frames=8))
    assert len(decode_calls) == again  # the rebuilt entry is a hit


def test_unwritable_cache_warns_and_still_returns_frames(tmp_path, clip, monkeypatch, capsys):
    blocker = tmp_path / 'not_a_dir'
    blocker.write_text('a file where the cache directory should be')
    monkeypatch.setenv('SWIFT_VIDEO_CACHE_DIR', str(blocker))
    video = sample_video(clip, 'uniform', num_frames=4)
    assert counters(video) == [0, 30, 59, 89]
    assert 'continuing without caching' in capsys.readouterr().err


def test_eviction_keeps_the_cache_under_its_cap_least_recently_used_first(cache_dir, clip, monkeypatch):
    def sample(start):  # same-size entries: 4 frames from [start, end)
        return sample_video(clip, 'uniform', num_frames=4, start=start)

    sample(0.0)
    entry_size = entries(cache_dir)[0].stat().st_size
    monkeypatch.setenv('SWIFT_VIDEO_CACHE_MAX_GB', str(3.5 * entry_size / 2**30))  # room for 3 entries
    sample(0.5)
    sample(1.0)
    assert len(entries(cache_dir)) == 3
    time.sleep(0.02)
    sample(0.0)  # a hit refreshes the oldest entry
    time.sleep(0.02)
    sample(1.5)  # a fourth entry goes over the cap: the least recently used one (start 0.5) is evicted
    cache = frame_cache()
    assert cache.size_bytes() <= cache.config.max_bytes
    first_frames = {int(np.load(e)['indices'][0]) for e in entries(cache_dir)}
    assert first_frames == {0, 30, 45}


def test_segment_random_draws_from_a_fixed_pool_per_segment(cache_dir, clip, decode_calls, monkeypatch):
    monkeypatch.setenv('SWIFT_VIDEO_CACHE_RANDOM_POOL', '3')
    draws = [sample_video(clip, 'segment_random', num_frames=6, seed=seed) for seed in range(40)]
    assert len(decode_calls) == 1  # the pool was decoded once
    segments = np.linspace(0, 90, 7).astype(int)
    chosen_per_segment = [set() for _ in range(6)]
    for video in draws:
        assert len(video) == 6
        frame_numbers = counters(video)
        assert frame_numbers == video.indices.tolist()  # frames are the frames their indices name
        for segment, index in enumerate(video.indices):
            assert segments[segment] <= index < segments[segment + 1]  # one frame per segment, like segment_random
            chosen_per_segment[segment].add(int(index))
    assert all(len(chosen) == 3 for chosen in chosen_per_segment)  # every candidate drawn, nothing else
    assert len({tuple(v.indices.tolist()) for v in draws}) > 10  # the augmentation still varies
    same_seed = sample_video(clip, 'segment_random', num_frames=6, seed=5)
    assert same_seed.indices.tolist() == draws[5].indices.tolist()


def test_segment_random_pool_zero_decodes_every_time(cache_dir, clip, decode_calls, monkeypatch):
    monkeypatch.setenv('SWIFT_VIDEO_CACHE_RANDOM_POOL', '0')
    a = sample_video(clip, 'segment_random', num_frames=6, seed=1)
    b = sample_video(clip, 'segment_random', num_frames=6, seed=2)
    assert len(decode_calls) == 2 and not entries(cache_dir)
    assert a.indices.tolist() != b.indices.tolist()


def test_segment_random_pool_on_a_short_window_gives_every_frame(cache_dir, tmp_path):
    short = write_counter_clip(tmp_path / 'short.mp4', num_frames=5, fps=10)
    video = sample_video(short, 'segment_random', num_frames=8, seed=3)
    assert counters(video) == [0, 1, 2, 3, 4]


def test_bytes_and_frame_folders_are_cached_and_invalidated(cache_dir, tmp_path, clip, decode_calls):
    data = clip.read_bytes()
    assert_same(sample_video(data, 'uniform', num_frames=3), sample_video(data, 'uniform', num_frames=3))
    folder = tmp_path / 'frames'
    write_frame_folder(folder, 10)
    first = sample_video(folder, 'uniform', num_frames=4)
    sample_video(folder, 'uniform', num_frames=4)
    assert len(decode_calls) == 2
    write_frame_folder(folder, 12)  # two more frames: a different video
    assert sample_video(folder, 'uniform', num_frames=4).num_source_frames == 12 != first.num_source_frames
    frame_list = sorted(folder.glob('*.jpg'))[:6]
    sample_video(frame_list, 'uniform', num_frames=4)
    sample_video(frame_list, 'uniform', num_frames=4)
    assert len(decode_calls) == 4


def test_missing_file_still_raises_the_decode_error(cache_dir, tmp_path):
    from swift_video_ext.video import VideoDecodeError

    with pytest.raises(VideoDecodeError, match='missing.mp4'):
        sample_video(tmp_path / 'missing.mp4', 'uniform', num_frames=4)
    assert not entries(cache_dir)


def test_compress_setting_deflates_entries_and_hits_are_identical(cache_dir, clip, monkeypatch):
    import zipfile

    plain = sample_video(clip, 'uniform', num_frames=6)
    (plain_entry,) = entries(cache_dir)
    shutil.rmtree(cache_dir)
    monkeypatch.setenv('SWIFT_VIDEO_CACHE_COMPRESS', '1')
    built = sample_video(clip, 'uniform', num_frames=6)
    (entry,) = entries(cache_dir)
    with zipfile.ZipFile(entry) as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
    assert entry.stat().st_size < 0.8 * plain_entry_size(plain)
    assert_same(sample_video(clip, 'uniform', num_frames=6), built)  # a hit on the deflated entry
    assert_same(built, plain)


def plain_entry_size(video) -> int:
    """Bytes of an uncompressed entry's frames (a lower bound for its file)."""
    return video.frames.nbytes


def test_eviction_leaves_ninety_percent_of_the_cap(cache_dir, clip, monkeypatch):
    def sample(i):  # same-size entries: 4 frames from [i/10 s, end)
        return sample_video(clip, 'uniform', num_frames=4, start=i / 10)

    sample(0)
    entry_size = entries(cache_dir)[0].stat().st_size
    monkeypatch.setenv('SWIFT_VIDEO_CACHE_MAX_GB', str(10.5 * entry_size / 2**30))  # room for 10 entries
    for i in range(1, 10):
        time.sleep(0.01)
        sample(i)
    assert len(entries(cache_dir)) == 10
    time.sleep(0.01)
    sample(10)  # 11 entries > the cap: evict down to 90 % of it (9.45 entries), not just under the cap
    assert len(entries(cache_dir)) == 9
    kept = sorted(round(float(np.load(e)['timestamps'][0]), 1) for e in entries(cache_dir))
    assert kept == [i / 10 for i in range(2, 11)]  # the two least recently used (starts 0.0 and 0.1) went


def _worker(args):
    clip, directory, seed = args
    os.environ['SWIFT_VIDEO_CACHE_DIR'] = directory
    results = []
    for i in range(6):  # every worker writes the same entries at about the same time
        video = sample_video(clip, 'uniform', num_frames=4, start=(i + seed) % 3 / 10)
        results.append((video.indices.tolist(), [read_frame_counter(f) for f in video.frames]))
    return results


def test_concurrent_writers_share_one_directory(cache_dir, clip, capfd):
    import multiprocessing

    # spawn, not fork: a child forked from this process (which has run FFmpeg's threads) can crash inside PyAV
    context = multiprocessing.get_context('spawn')
    with context.Pool(4) as pool:
        per_worker = pool.map(_worker, [(str(clip), str(cache_dir), seed) for seed in range(4)])
    for results in per_worker:
        for indices, counters_read in results:
            assert counters_read == indices  # every worker got the right frames, hit or miss
    assert len(entries(cache_dir)) == 3  # one entry per distinct request, whoever wrote it
    assert not list(cache_dir.rglob('*.tmp*'))  # no temporary file left behind
    assert 'rebuilding' not in capfd.readouterr().err  # no reader ever saw a half-written entry
