"""Charades-STA and ActivityNet Captions preprocessors through ms-swift's dataset loader."""

import json

import pytest

from swift_video_ext.datasets.grounding import read_charades_sta
from swift_video_ext.eval.grounding import parse_span
from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import load_swift_dataset


@pytest.fixture
def videos(tmp_path):
    write_counter_clip(tmp_path / 'videos' / 'AO8RW.mp4', num_frames=8)
    write_counter_clip(tmp_path / 'videos' / 'v_QOlSCBRmfWY.mp4', num_frames=8)
    return tmp_path / 'videos'


def load(name, env, path, videos, monkeypatch):
    monkeypatch.setenv(env, str(path))
    monkeypatch.setenv('VIDEO_ROOT', str(videos))
    train, _ = load_swift_dataset(name)
    return list(train)


def test_charades_sta_rows(videos, tmp_path, monkeypatch, capsys):
    annotations = tmp_path / 'charades_sta_train.txt'
    annotations.write_text('AO8RW 0.0 6.9##a person is putting a book on a shelf.\n'
                           'MISSING 1.0 2.0##person opens a door.\n'
                           'AO8RW 3.0 3.0##an empty span.\n')
    rows = load('charades_sta', 'CHARADES_STA_PATH', annotations, videos, monkeypatch)
    assert len(rows) == 1
    user, answer = rows[0]['messages'][0]['content'], rows[0]['messages'][1]['content']
    assert user == ('<video>Find the moment in the video when: "a person is putting a book on a shelf.". '
                    'Give its start and end time in seconds.')
    assert answer == 'From 0.0 to 6.9 seconds.' and parse_span(answer) == (0.0, 6.9)
    assert rows[0]['videos'] == [str(videos / 'AO8RW.mp4')]
    err = capsys.readouterr().err
    assert 'skipped 2 of 3 rows' in err and 'MISSING' in err


def test_charades_malformed_line_names_file_and_line(tmp_path):
    bad = tmp_path / 'bad.txt'
    bad.write_text('AO8RW 0.0 6.9##fine\nAO8RW zero 6.9##bad start\n')
    with pytest.raises(ValueError, match=r'bad.txt:2: expected'):
        read_charades_sta(bad)


def test_activitynet_captions_rows(videos, tmp_path, monkeypatch):
    annotations = tmp_path / 'val_1.json'
    annotations.write_text(json.dumps({'v_QOlSCBRmfWY': {
        'duration': 82.73, 'timestamps': [[0.83, 19.86], [17.37, 60.81], [56.26, 90.0]],
        'sentences': ['A young woman is seen.', 'She dances.', 'She bows.']}}))
    rows = load('activitynet_captions', 'ACTIVITYNET_CAPTIONS_PATH', annotations, videos, monkeypatch)
    assert [r['messages'][1]['content'] for r in rows] == ['From 0.8 to 19.9 seconds.', 'From 17.4 to 60.8 seconds.',
                                                           'From 56.3 to 82.7 seconds.']  # clipped to duration
