"""Subtitles: parsing (.srt, .vtt, .ass), encodings, unreadable files, alignment to sampled frame timestamps."""

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


VTT = ('WEBVTT\n\nintro\n00:00:01.000 --> 00:00:02.500 align:start\n<v Bob>two  spaces</v>\nsecond <i>line</i>\n\n'
       'NOTE a comment\n\n01:02:03.004 --> 01:02:04.000\nlate\n')


def test_vtt_cues_keep_text_as_written_in_file_order(tmp_path):
    """As webvtt-py 0.4.6 reads them: identifier and settings ignored, cue tags removed, spacing and line breaks
    kept (``raw``); ``text`` is whitespace-collapsed; hours optional; times h·3600 + m·60 + s + ms/1000."""
    path = tmp_path / 's.vtt'
    path.write_text(VTT)
    cues = Subtitles.load(path).file_cues
    assert [(c.start, c.end, c.raw, c.text) for c in cues] == [
        (1.0, 2.5, 'two  spaces\nsecond line', 'two spaces second line'),
        (3723.004, 3724.0, 'late', 'late')]


@pytest.mark.parametrize('encoding', ['utf-8', 'utf-8-sig', 'utf-16', 'cp1252', 'latin-1'])
def test_subtitle_encodings_are_tried(tmp_path, encoding):
    path = tmp_path / 's.srt'
    path.write_bytes('1\n00:00:00,500 --> 00:00:01,000\ncafé crème\n'.encode(encoding))
    assert [c.text for c in Subtitles.load(path).cues] == ['café crème']


@pytest.mark.parametrize('content, reason', [(b'\x89PNG\x00\x00\x00binary', 'binary data'),
                                             (b'\xc3(\x9d\xff garbage \xfe\x80', 'no subtitle cues found')])
def test_garbage_subtitle_file_names_the_file_and_reason(tmp_path, content, reason):
    path = tmp_path / 'bad.srt'
    path.write_bytes(content)
    with pytest.raises(SubtitleError, match=f'bad.srt: {reason}'):
        Subtitles.load(path)


def test_empty_subtitle_files_have_no_cues(tmp_path):
    for name, text in (('e.srt', ''), ('e.vtt', 'WEBVTT\n\n')):
        (tmp_path / name).write_text(text)
        assert len(Subtitles.load(tmp_path / name)) == 0
