"""Subtitles aligned to sampled frame timestamps (.srt and .vtt through pysubs2)."""

import pytest

from swift_video_ext.video.subtitles import SubtitleError, Subtitles
from swift_video_ext.video.synthetic import write_subtitles

CUES = [(0.5, 1.5, 'hello there'), (2.0, 2.4, 'quick'), (3.0, 6.0, 'a long <i>line</i>'), (3.5, 4.0, 'overlap')]


@pytest.mark.parametrize('extension', ['.srt', '.vtt'])
def test_text_active_at_each_timestamp(tmp_path, extension):
    subs = Subtitles.load(write_subtitles(tmp_path / f's{extension}', CUES))
    assert subs.active_per_frame([0.0, 1.0, 2.2, 3.7, 7.0]) == ['', 'hello there', 'quick', 'a long line overlap', '']


def test_new_text_since_previous_frame_emits_each_cue_once(tmp_path):
    subs = Subtitles.load(write_subtitles(tmp_path / 's.srt', CUES))
    # frames at 1 s, 3 s, 5 s: the 0.4 s "quick" cue between two frames is still caught, at the 3 s frame
    assert subs.new_per_frame([1.0, 3.0, 5.0]) == ['hello there', 'quick a long line', 'overlap']
    assert subs.new_per_frame([0.0, 0.2]) == ['', '']


def test_subtitle_file_found_next_to_video(tmp_path):
    write_subtitles(tmp_path / 'clip.en.vtt', CUES[:1])
    assert Subtitles.find_next_to(tmp_path / 'clip.mp4') == tmp_path / 'clip.en.vtt'
    assert Subtitles.find_next_to(tmp_path / 'other.mp4') is None


def test_unreadable_subtitles_name_the_file(tmp_path):
    with pytest.raises(SubtitleError, match='missing.srt: subtitle file not found'):
        Subtitles.load(tmp_path / 'missing.srt')
