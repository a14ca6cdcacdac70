"""Files as cameras, phones and cut tools write them: MP4 edit lists, display matrices, corrupt packets."""

import importlib.util

import numpy as np
import pytest

from swift_video_ext.video import decode_all_frames, probe_video, sample_video
from swift_video_ext.video.backends.pyav import PyAVReader
from swift_video_ext.video.synthetic import read_frame_counter, write_edit_list_clip

STRATEGIES = [('uniform', {'num_frames': 8}), ('fps', {'fps': 24.0}), ('segment_middle', {'num_frames': 5}),
              ('uniform', {'num_frames': 1})]


@pytest.mark.parametrize('discard', [1, 3])
def test_edit_list_discarded_packets_are_not_missing_frames(tmp_path, monkeypatch, discard):
    path = write_edit_list_clip(tmp_path / f'elst{discard}.mp4', discard=discard, num_frames=48, fps=24.0)
    import av

    with av.open(str(path)) as container:  # the fixture really is an edit-list file
        stream = container.streams.video[0]
        flags = [p.is_discard for p in container.demux(stream) if p.size]
        assert stream.frames == 48 and sum(flags) == discard
    full_frames, full_times = decode_all_frames(path)
    shown = 48 - discard
    assert len(full_frames) == shown
    # the first shown frame is source frame `discard`, at time 0; frames stay 1/24 s apart
    assert [read_frame_counter(f) for f in full_frames] == list(range(discard, 48))
    np.testing.assert_allclose(full_times, np.arange(shown) / 24.0, atol=1e-6)

    def no_fallback(self):
        raise AssertionError('the packet probe should index an edit-list file exactly')

    monkeypatch.setattr(PyAVReader, 'probe_by_decoding', no_fallback)
    assert probe_video(path).num_frames == shown
    for strategy, params in STRATEGIES:
        sampled = sample_video(path, strategy, **params)
        assert sampled.num_source_frames == shown
        np.testing.assert_allclose(sampled.timestamps, full_times[sampled.indices], atol=1e-6)
        assert np.array_equal(sampled.frames, full_frames[sampled.indices])


def write_rotated_clip(path, degrees: int, hflip: bool, *, width: int = 64, height: int = 32, num_frames: int = 6):
    """A counter clip whose display matrix says: turn ``degrees`` counter-clockwise, then mirror left-right."""
    import av

    from swift_video_ext.video.synthetic import counter_frame

    with av.open(str(path), 'w') as container:
        stream = container.add_stream('libx264', rate=24)
        stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'
        stream.set_display_rotation(degrees, hflip=hflip)
        for i in range(num_frames):
            frame = av.VideoFrame.from_ndarray(counter_frame(i, width, height), format='rgb24')
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def coded_frames(path) -> np.ndarray:
    """Every frame as stored (no display matrix), straight from PyAV."""
    import av

    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format='rgb24') for f in container.decode(video=0)])


def as_player_shows(frames: np.ndarray, degrees: int, hflip: bool) -> np.ndarray:
    """Reference: PyAV's set_display_rotation semantics (a counter-clockwise turn, then the mirror), with numpy."""
    shown = np.rot90(frames, k=degrees // 90, axes=(1, 2))  # counter-clockwise on screen (rows down)
    return shown[:, :, ::-1] if hflip else shown


ORIENTATIONS = [(d, f) for d in (0, 90, 180, 270) for f in (False, True)]
BACKENDS = [name for name in ('decord', 'torchcodec') if importlib.util.find_spec(name)]


@pytest.mark.parametrize('degrees,hflip', ORIENTATIONS)
def test_display_matrix_is_applied(tmp_path, degrees, hflip):
    path = write_rotated_clip(tmp_path / 'rotated.mp4', degrees, hflip)
    coded = coded_frames(path)
    expected = as_player_shows(coded, degrees, hflip)
    if degrees or hflip:
        assert not np.array_equal(expected, coded)  # the fixture changes the picture
    full, _ = decode_all_frames(path)
    assert np.array_equal(full, expected)
    for strategy, params in [('uniform', {'num_frames': 3}), ('fps', {'fps': 24.0})]:
        sampled = sample_video(path, strategy, **params)
        assert np.array_equal(sampled.frames, expected[sampled.indices]), strategy
    quarter = degrees in (90, 270)
    resized = sample_video(path, 'uniform', num_frames=2, shortest_edge=16)
    assert resized.frames.shape[1:3] == ((32, 16) if quarter else (16, 32))
    planned = sample_video(path, 'uniform', num_frames=2, pixels=False)  # the planner sees the displayed size
    assert planned.frames.shape[1:3] == ((64, 32) if quarter else (32, 64))


@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('degrees,hflip', ORIENTATIONS[1:])
def test_display_matrix_other_backends(tmp_path, backend, degrees, hflip):
    # decord 0.6 turns frames itself by the matrix's angle (a mirror reads as a half turn) and resizes after
    path = write_rotated_clip(tmp_path / 'rotated.mp4', degrees, hflip)
    expected = as_player_shows(coded_frames(path), degrees, hflip)
    sampled = sample_video(path, 'uniform', num_frames=3, backend=backend)
    assert np.array_equal(sampled.frames, expected[sampled.indices])
    for edge in (16, 20):  # 20: decord scales the turned frame; 16: it mis-copies 16 px wide rows (a fallback)
        resized = sample_video(path, 'uniform', num_frames=2, shortest_edge=edge, backend=backend)
        assert resized.frames.shape[1:3] == ((2 * edge, edge) if degrees in (90, 270) else (edge, 2 * edge))
        # another scaler, so not equal; a frame turned the wrong way would be far off
        reference = sample_video(path, 'uniform', num_frames=2, shortest_edge=edge).frames
        assert np.abs(resized.frames.astype(int) - reference).mean() < 8


@pytest.mark.skipif(importlib.util.find_spec('decord') is None, reason='decord not installed')
def test_decord_refuses_edit_list_files(tmp_path):
    # decord counts the discarded packets as frames, and maps an index to source frame i or i + 1 depending on
    # whether it seeks or decodes on (get_batch([5, 2, 40]) gives counters 6, 3, 40), so no offset is exact
    from swift_video_ext.video import VideoDecodeError

    path = write_edit_list_clip(tmp_path / 'elst.mp4', discard=1, num_frames=48, fps=24.0)
    with pytest.raises(VideoDecodeError, match=r'elst\.mp4: decord counts 48 frames where a full decode gives 47'):
        sample_video(path, 'uniform', num_frames=8, backend='decord')


def test_rotation_survives_the_frame_cache(tmp_path, monkeypatch):
    monkeypatch.setenv('SWIFT_VIDEO_CACHE_DIR', str(tmp_path / 'cache'))
    path = write_rotated_clip(tmp_path / 'r90.mp4', 90, False)
    expected = as_player_shows(coded_frames(path), 90, False)
    for _ in range(2):  # a miss (decode and store), then a hit
        sampled = sample_video(path, 'uniform', num_frames=3)
        assert np.array_equal(sampled.frames, expected[sampled.indices])


def test_corrupt_packets_keep_each_frames_own_timestamp(tmp_path, capsys):
    from swift_video_ext.video.synthetic import write_damaged_clip

    # frames 20-24 rejected by the decoder; frames 10 and 11 carry each other's timestamps
    path, written = write_damaged_clip(tmp_path / 'damaged.mp4', num_frames=40, fps=25.0)
    for strategy, params in [('fps', {'fps': 25.0}), ('uniform', {'num_frames': 12}), ('per_second', {})]:
        sampled = sample_video(path, strategy, **params)
        counters = np.array([read_frame_counter(f) for f in sampled.frames])
        assert not set(counters) & set(range(20, 25))  # the rejected frames are not made up
        # each frame's timestamp is the one written for it, relative to the first frame shown
        np.testing.assert_allclose(sampled.timestamps, written[counters] - written[0], atol=1e-6)
        assert np.all(np.diff(sampled.timestamps) > 0)
    assert sample_video(path, 'fps', fps=25.0).num_source_frames == 35
    assert '5 corrupt packets skipped' in capsys.readouterr().err


@pytest.mark.parametrize('damage', ['truncated', 'not an image'])
def test_one_unreadable_frame_refuses_the_whole_frame_folder(tmp_path, damage):
    from swift_video_ext.video import VideoDecodeError
    from swift_video_ext.video.synthetic import write_frame_folder

    paths = write_frame_folder(tmp_path / 'frames', 12)
    data = paths[4].read_bytes()
    paths[4].write_bytes(data[:len(data) // 2] if damage == 'truncated' else b'garbage' * 50)
    for strategy, params in [('uniform', {'num_frames': 2}), ('segment_random', {'num_frames': 3, 'seed': 0})]:
        # uniform picks frames 1 and 12 only: the bad frame 5 is not among them, the folder is refused all the same
        with pytest.raises(VideoDecodeError, match=r'frame_5\.jpg: unreadable frame image.*frame 5 of 12'):
            sample_video(tmp_path / 'frames', strategy, **params)
    with pytest.raises(VideoDecodeError, match=r'frame_5\.jpg'):
        sample_video([str(p) for p in paths], 'uniform', num_frames=2)
