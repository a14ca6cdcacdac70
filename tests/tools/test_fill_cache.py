"""`swift-video cache` fills exactly the entries a training run reads."""

import json

import pytest

from swift_video_ext.video import api
from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import command_env, run, write_jsonl


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp('fill')
    clips = [write_counter_clip(root / f'clip{i}.mp4', num_frames=40 + 10 * i, fps=10) for i in range(3)]
    rows = [{'messages': [{'role': 'user', 'content': '<video>What?'}, {'role': 'assistant', 'content': 'Count.'}],
             'videos': [str(clip)]} for clip in clips + clips[:1]]  # a repeated video is cached once
    return {'root': root, 'clips': clips, 'file': write_jsonl(root / 'rows.jsonl', rows)}


def test_fill_then_training_reads_hit(tiny_pllava, dataset, tmp_path, monkeypatch):
    cache_dir = tmp_path / 'cache'
    result = run(['swift-video', 'cache', '--dataset', str(dataset['file']), '--model_type', 'pllava', '--model',
                  str(tiny_pllava), '--cache-dir', str(cache_dir), '--mode', 'both', '--workers', '2',
                  '--no-progress'])
    summary = json.loads(result.stdout[result.stdout.index('{'):])
    assert summary['videos'] == 3 and summary['new_entries'] == 6 and summary['failed'] == 0  # 3 x (pool, middle)
    assert len(list(cache_dir.rglob('*.npz'))) == 6

    from swift_video_ext.tools.loading import load_template

    monkeypatch.setenv('SWIFT_VIDEO_CACHE_DIR', str(cache_dir))
    opened = []
    original = api.open_reader
    monkeypatch.setattr(api, 'open_reader', lambda source, **kw: opened.append(source) or original(source, **kw))
    template = load_template('pllava', model_dir=str(tiny_pllava)).template  # training mode: segment_random
    draws = {tuple(template.sample_video(str(dataset['clips'][0])).indices.tolist()) for _ in range(12)}
    template.set_mode('transformers')  # inference: segment_middle
    template.sample_video(str(dataset['clips'][1]))
    assert opened == []  # every read was a cache hit
    assert len(draws) > 1  # and training still draws different frames

    stats = run(['swift-video', 'cache', '--stats', '--cache-dir', str(cache_dir)])
    assert json.loads(stats.stdout)['entries'] == 6
    cleared = run(['swift-video', 'cache', '--clear', '--cache-dir', str(cache_dir)])
    assert 'deleted 6 entries' in cleared.stdout and not list(cache_dir.rglob('*.npz'))


def test_fill_reports_unreadable_videos(tiny_pllava, dataset, tmp_path):
    rows = [{'messages': [{'role': 'user', 'content': '<video>?'}, {'role': 'assistant', 'content': '.'}],
             'videos': [str(dataset['root'] / 'missing.mp4')]},
            {'messages': [{'role': 'user', 'content': '<video>?'}, {'role': 'assistant', 'content': '.'}],
             'videos': [str(dataset['clips'][0])]}]
    file = write_jsonl(tmp_path / 'bad.jsonl', rows)
    result = run(['swift-video', 'cache', '--dataset', str(file), '--model_type', 'pllava', '--model',
                  str(tiny_pllava), '--workers', '1', '--no-progress'],
                 env=command_env(SWIFT_VIDEO_CACHE_DIR=str(tmp_path / 'c')), check=False)
    assert result.returncode == 1
    summary = json.loads(result.stdout[result.stdout.index('{'):])
    assert summary['failed'] == 1 and 'missing.mp4: file not found' in summary['failures'][0]
    assert summary['new_entries'] == 1
