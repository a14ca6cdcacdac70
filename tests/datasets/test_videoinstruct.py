"""VideoInstruct-100K preprocessor through ms-swift's own dataset loader."""

import json

import pytest

from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import load_swift_dataset


@pytest.fixture
def videoinstruct(tmp_path):
    videos = tmp_path / 'videos'
    write_counter_clip(videos / 'v_abc.mp4', num_frames=8)
    write_counter_clip(videos / 'v_def.webm', num_frames=8, codec='libvpx-vp9')
    rows = [{'video_id': 'v_abc', 'q': ' What is shown? ', 'a': 'A gradient.'},
            {'video_id': 'v_def', 'q': 'Colours?', 'a': 'Many.'},
            {'video_id': 'v_missing', 'q': 'Q', 'a': 'A'},
            {'video_id': 'v_abc', 'q': None, 'a': 'A'}]
    annotations = tmp_path / 'VideoInstruct_Dataset.json'
    annotations.write_text(json.dumps(rows))
    return annotations, videos


def test_registered_dataset_skips_and_counts_missing_videos(videoinstruct, monkeypatch, capsys):
    annotations, videos = videoinstruct
    monkeypatch.setenv('VIDEOINSTRUCT100K_PATH', str(annotations))
    monkeypatch.setenv('VIDEO_ROOT', str(videos.parent))  # the index also looks under <root>/videos/
    train, _ = load_swift_dataset('videoinstruct100k')
    rows = list(train)
    assert len(rows) == 2
    assert [m['content'] for m in rows[0]['messages']] == ['<video>What is shown?', 'A gradient.']
    assert rows[0]['videos'] == [str(videos / 'v_abc.mp4')] and rows[1]['videos'] == [str(videos / 'v_def.webm')]
    err = capsys.readouterr().err
    assert 'videos not found: v_missing' in err and 'skipped 2 of 4 rows' in err


def test_summary_names_the_missing_video(videoinstruct, monkeypatch, capsys):
    from swift_video_ext.datasets.videoinstruct import VideoInstructPreprocessor

    annotations, videos = videoinstruct
    monkeypatch.setenv('VIDEO_ROOT', str(videos))
    preprocessor = VideoInstructPreprocessor()
    assert preprocessor.preprocess({'video_id': 'v_missing', 'q': 'Q', 'a': 'A'}) is None  # streaming path
    assert preprocessor.row_problem({'video_id': 'v_abc', 'q': 'Q', 'a': 'A'}) is None
    assert 'videos not found: v_missing' in capsys.readouterr().err


def test_unset_path_is_a_clear_error(monkeypatch):
    monkeypatch.delenv('VIDEOINSTRUCT100K_PATH', raising=False)
    with pytest.raises(ValueError, match='VIDEOINSTRUCT100K_PATH'):
        load_swift_dataset('videoinstruct100k')
