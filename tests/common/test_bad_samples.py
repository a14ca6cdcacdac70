"""Rows with unusable videos are counted once per row (not per ms-swift retry), warned once per file, summarised."""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from swift_video_ext.common import bad_samples
from swift_video_ext.video import VideoDecodeError


@pytest.fixture(autouse=True)
def fresh_counts():
    bad_samples.reset()
    yield
    bad_samples.reset()


def pllava_template(model_dir):
    from swift.model import get_processor
    from swift.template import get_template

    import swift_video_ext.plugin  # noqa: F401

    template = get_template(get_processor(str(model_dir), model_type='pllava'))
    template.set_mode('train')
    return template


def row(video, question='Q'):
    return {'messages': [{'role': 'user', 'content': f'<video>{question}'}, {'role': 'assistant', 'content': 'A'}],
            'videos': [str(video)]}


def test_rows_are_counted_not_tries(tiny_pllava, tmp_path, capsys):
    template = pllava_template(tiny_pllava)
    empty = tmp_path / 'empty.mp4'
    empty.touch()
    for inputs in (row(empty), row(empty), row(empty, 'other question')):  # row 1 fetched twice
        with pytest.raises(VideoDecodeError, match='empty.mp4'):
            template.encode(inputs)  # ms-swift's encode tries each row 3 times
    assert bad_samples.skipped_samples() == {str(empty): 2}  # two rows, one file (was 9: every try counted)
    result = bad_samples.summary()
    assert result['rows_skipped'] == 2 and result['distinct_files'] == 1
    assert result['reasons'] == {'file is empty': 2}
    assert capsys.readouterr().err.count('skipped a sample:') == 1  # one warning per file


def test_summary_kinds_and_file(tmp_path):
    bad_samples.record_bad_sample('a.mp4', 'truncated: the container indexes 60 frames but only 31 are in the file',
                                  row={'id': 1})
    bad_samples.record_bad_sample('a.mp4', 'truncated: the container indexes 60 frames', row={'id': 1})  # again
    bad_samples.record_bad_sample('b.mp4', 'file not found', row={'id': 2})
    bad_samples.record_bad_sample('c.mp4', 'truncated: the container indexes 9 frames but only 2 are in the file',
                                  row={'id': 3})
    path = bad_samples.write_summary(tmp_path / 'out')
    written = json.loads(Path(path).read_text())
    assert written['rows_skipped'] == 3 and written['distinct_files'] == 3
    assert written['reasons'] == {'truncated': 2, 'file not found': 1}
    assert written['files']['a.mp4']['rows'] == 1 and written['files']['b.mp4']['reason'] == 'file not found'


def test_end_of_training_writes_the_summary_even_when_training_fails(tmp_path):
    from swift_video_ext.hooks.train_check import _wrap_train

    def train(self, trainer):
        bad_samples.record_bad_sample('x.mp4', 'file not found', row={'id': 7})
        raise RuntimeError('out of memory')

    pipeline = SimpleNamespace(template=None, args=SimpleNamespace(model_type='pllava', output_dir=str(tmp_path)))
    trainer = SimpleNamespace(args=SimpleNamespace(output_dir=str(tmp_path / 'run')))
    with pytest.raises(RuntimeError, match='out of memory'):
        _wrap_train(train)(pipeline, trainer)
    written = json.loads((tmp_path / 'run' / bad_samples.SUMMARY_FILE).read_text())
    assert written['rows_skipped'] == 1 and written['files'] == {'x.mp4': {'rows': 1, 'reason': 'file not found'}}
