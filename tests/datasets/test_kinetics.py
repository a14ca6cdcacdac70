"""Kinetics frames: the registered preprocessor and swift-video extract-frames (folder, list, CSV)."""

import json

import numpy as np
import pytest

from swift_video_ext.datasets.extract_frames import (
    extract_frames,
    jobs_from_folder,
    jobs_from_kinetics_csv,
    jobs_from_list,
)
from swift_video_ext.video import sample_video
from swift_video_ext.video.synthetic import read_frame_counter, write_counter_clip, write_frame_folder
from tests.helpers import load_swift_dataset, run


@pytest.fixture
def clips(tmp_path):
    root = tmp_path / 'clips'
    write_counter_clip(root / 'playing_guitar' / 'g1.mp4', num_frames=50, fps=10)
    write_counter_clip(root / 'playing_guitar' / 'g2.mp4', num_frames=30, fps=10)
    write_counter_clip(root / 'juggling_balls' / 'j1.mp4', num_frames=40, fps=10)
    (root / 'juggling_balls' / 'broken.mp4').write_text('not a video')
    return root


def test_extract_from_folder_resumable_with_failures_counted(clips, tmp_path):
    out = tmp_path / 'out'
    summary = extract_frames(jobs_from_folder(clips), out, num_frames=4, workers=2, val_ratio=0.0, progress=False)
    assert (summary['done'], summary['failed'], summary['train_rows']) == (3, 1, 3)
    assert 'broken\t' in (out / 'failures.tsv').read_text()
    rows = json.loads((out / 'kinetics_frames_train.json').read_text())
    by_clip = {r['messages'][0]['content'][0]['image'].split('/')[1]: r for r in rows}
    g1 = by_clip['g1']['messages']
    assert [p['image'] for p in g1[0]['content'][:4]] == [f'frames/g1/frame_{k}.jpg' for k in range(1, 5)]
    assert g1[0]['content'][4]['text'].startswith('Please analyze the sequence of frames')
    assert g1[1]['content'][0]['text'] == 'playing guitar'
    from PIL import Image

    counters = [read_frame_counter(np.asarray(Image.open(out / 'frames' / 'g1' / f'frame_{k}.jpg')))
                for k in range(1, 5)]
    assert counters == sample_video(clips / 'playing_guitar' / 'g1.mp4', 'uniform', num_frames=4).indices.tolist()
    stamp = (out / 'frames' / 'g1' / 'frame_1.jpg').stat().st_mtime_ns
    again = extract_frames(jobs_from_folder(clips), out, num_frames=4, workers=1, progress=False)
    assert (again['skipped'], again['done'], again['failed']) == (3, 0, 1)
    assert (out / 'frames' / 'g1' / 'frame_1.jpg').stat().st_mtime_ns == stamp
    assert (out / 'labels.txt').read_text().splitlines() == ['juggling balls', 'playing guitar']


def test_kinetics_csv_windows_and_split(tmp_path):
    videos = tmp_path / 'kinetics'
    write_counter_clip(videos / 'train' / 'abcdefghijk_000002_000004.mp4', num_frames=20, fps=10)  # trimmed
    write_counter_clip(videos / 'full' / 'zyxwvutsrqp.mp4', num_frames=100, fps=10)  # 10 s, window 3-6 s
    csv_file = tmp_path / 'kinetics.csv'
    csv_file.write_text('label,youtube_id,time_start,time_end,split\n'
                        'dancing,abcdefghijk,2,4,train\n'
                        'cooking,zyxwvutsrqp,3,6,val\n'
                        'swimming,missingvideo,0,10,train\n')
    jobs = jobs_from_kinetics_csv(csv_file, videos)
    assert [(j.clip_id, j.start, j.end) for j in jobs][:2] == [('abcdefghijk_000002_000004', None, None),
                                                               ('zyxwvutsrqp_000003_000006', 3.0, 6.0)]
    summary = extract_frames(jobs, tmp_path / 'out', num_frames=4, workers=1, progress=False, as_video=True)
    assert (summary['train_rows'], summary['val_rows'], summary['failed']) == (1, 1, 1)
    meta = json.loads((tmp_path / 'out' / 'frames' / 'zyxwvutsrqp_000003_000006' / 'meta.json').read_text())
    assert meta['indices'] == [30, 40, 49, 59] and all(3.0 <= t < 6.0 for t in meta['timestamps'])
    video_rows = json.loads((tmp_path / 'out' / 'kinetics_frames_video_val.json').read_text())
    assert video_rows[0]['videos'] == ['frames/zyxwvutsrqp_000003_000006']


def test_list_source_and_cli(tmp_path):
    write_counter_clip(tmp_path / 'a.mp4', num_frames=24, fps=8)
    (tmp_path / 'list.txt').write_text('a.mp4 riding a bike\n')
    assert [(j.clip_id, j.label) for j in jobs_from_list(tmp_path / 'list.txt')] == [('a', 'riding a bike')]
    result = run(['swift-video', 'extract-frames', '--list', str(tmp_path / 'list.txt'), '-o', str(tmp_path / 'o'),
                  '--num-frames', '3', '--workers', '1', '--no-progress'])
    assert json.loads(result.stdout)['train_rows'] == 1
    assert sorted(p.name for p in (tmp_path / 'o' / 'frames' / 'a').glob('frame_*.jpg')) == \
        ['frame_1.jpg', 'frame_2.jpg', 'frame_3.jpg']


def test_frame_folder_timestamps_json_gives_true_times(tmp_path):
    folder = tmp_path / 'frames'
    write_frame_folder(folder, 4)
    (folder / 'timestamps.json').write_text(json.dumps([3.0, 4.0, 5.0, 6.0]))
    video = sample_video(folder, 'uniform', num_frames=4)
    assert video.timestamps.tolist() == [3.0, 4.0, 5.0, 6.0]


def test_registered_preprocessor_checks_every_frame(tmp_path, monkeypatch, capsys):
    from swift_video_ext.datasets.kinetics import frames_row

    write_frame_folder(tmp_path / 'frames' / 'clip1', 4)
    write_frame_folder(tmp_path / 'frames' / 'clip2', 3)  # frame_4 missing
    rows = [frames_row([f'frames/clip{c}/frame_{k}.jpg' for k in range(1, 5)], answer) for c, answer in
            [(1, 'playing guitar'), (2, 'cooking')]]
    (tmp_path / 'kinetic_3K.json').write_text(json.dumps(rows))
    monkeypatch.setenv('KINETICS_FRAMES_PATH', str(tmp_path / 'kinetic_3K.json'))
    monkeypatch.delenv('KINETICS_FRAMES_ROOT', raising=False)
    train, _ = load_swift_dataset('kinetics_frames')
    (row,) = list(train)
    assert row['messages'][0]['content'] == '<image>' * 4 + rows[0]['messages'][0]['content'][4]['text']
    assert row['messages'][1]['content'] == 'playing guitar'
    assert [img['path'] for img in row['images']] == [str(tmp_path / 'frames' / 'clip1' / f'frame_{k}.jpg')
                                                      for k in range(1, 5)]
    err = capsys.readouterr().err
    assert 'rows with missing frames' in err and 'clip2/frame_4.jpg' in err
