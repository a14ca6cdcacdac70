"""The swift-video command line (run as a real console script)."""

import json

from tests.helpers import run


def test_sample_json_reports_indices_and_true_timestamps(gop_clip):
    result = json.loads(run(['swift-video', 'sample', str(gop_clip), '--strategy', 'segment_middle', '--num-frames',
                             '4', '--json']).stdout)
    assert result['indices'] == [14, 44, 74, 103]
    assert result['timestamps'] == [0.56, 1.76, 2.96, 4.12] and result['num_source_frames'] == 120


def test_sample_bad_file_exits_with_named_error(tmp_path):
    result = run(['swift-video', 'sample', str(tmp_path / 'gone.mp4'), '--num-frames', '2'], check=False)
    assert result.returncode == 2 and 'gone.mp4: file not found' in result.stderr


def test_sheet_shows_the_model_types_frames(gop_clip, tmp_path):
    from PIL import Image

    from swift_video_ext.video.synthetic import write_subtitles

    subtitles = write_subtitles(tmp_path / 'subs.srt', [(0.0, 2.0, 'first words'), (2.5, 4.0, 'second words')])
    out = tmp_path / 'sheet.png'
    result = run(['swift-video', 'sheet', str(gop_clip), '--model-type', 'pllava', '-o', str(out), '--subtitles',
                  str(subtitles)])
    assert '16 frames' in result.stdout
    with Image.open(out) as sheet:
        assert sheet.width > 600 and sheet.height > 300
