"""Files as cameras, phones and cut tools write them: MP4 edit lists, display matrices, corrupt packets."""

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
