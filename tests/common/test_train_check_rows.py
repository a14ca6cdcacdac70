"""The start-of-training token check's rows (issue 22 §3): named by their jsonl line in a shuffled dataset, preference
rows planned as chosen and rejected, a ``<video>`` tag without a video is a bad row, and a run where no row is usable
ends with our reasons instead of ms-swift's "increase max_length"."""

from types import SimpleNamespace

import pytest

from swift_video_ext.common import bad_samples
from swift_video_ext.hooks import train_check
from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import build_tiny, load_swift_dataset, write_jsonl


@pytest.fixture(autouse=True)
def fresh_counts(monkeypatch):
    bad_samples.reset()
    monkeypatch.setattr(train_check, '_last_check', None)
    yield
    bad_samples.reset()


@pytest.fixture(scope='module')
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp('check_rows')


@pytest.fixture(scope='module')
def clip(workdir):
    return write_counter_clip(workdir / 'clip.mp4', num_frames=30, fps=10)


def tiny_dir(model_type: str, workdir):
    folder = workdir / model_type
    return folder if folder.is_dir() else build_tiny(model_type, folder)


def template_for(model_type: str, workdir, mode: str = 'train'):
    from swift.model import get_processor
    from swift.template import get_template

    import swift_video_ext.plugin  # noqa: F401

    template = get_template(get_processor(str(tiny_dir(model_type, workdir)), model_type=model_type),
                            max_length=4096)
    template.set_mode(mode)
    return template


def row(video, answer='It counts.', question='<video>What happens?'):
    return {'messages': [{'role': 'user', 'content': question}, {'role': 'assistant', 'content': answer}],
            'videos': [str(video)] if video else []}


def args(model_type='pllava'):
    return SimpleNamespace(truncation_strategy='delete', data_seed=0, model_type=model_type)


def test_rows_are_named_by_their_jsonl_line_in_a_shuffled_dataset(workdir, clip, capsys):
    """The issue's case: a 17-line jsonl with unusable lines 12, 13 and 17, shuffled as `swift sft` shuffles it."""
    bad = {line: workdir / f'gone{line}.mp4' for line in (12, 13, 17)}
    lines = [row(bad.get(line, clip), question=f'<video>Line {line}?') for line in range(1, 18)]
    dataset, _ = load_swift_dataset(str(write_jsonl(workdir / 'a.jsonl', lines)), shuffle=True, seed=42)
    position = [r['messages'][0]['content'] for r in dataset].index('<video>Line 17?')
    assert position != 16  # shuffled: line 17 is not the 17th row any more
    summary = train_check.check_token_budget(template_for('pllava', workdir), dataset, args())
    err = capsys.readouterr().err
    assert summary['status']['error'] == 3
    for line, gone in bad.items():
        assert f'row {line} {gone}: error ({gone}: file not found)' in err, err[-3000:]
    assert sorted(name for name, _, _ in summary['unusable']) == ['row 12', 'row 13', 'row 17']


def test_rows_of_several_datasets_are_named_with_their_file(workdir, clip, capsys):
    gone = workdir / 'gone_b2.mp4'
    first = write_jsonl(workdir / 'first.jsonl', [row(clip)] * 3)
    second = write_jsonl(workdir / 'second.jsonl', [row(clip, 'b1'), row(gone, 'b2')])
    dataset, _ = load_swift_dataset([str(first), str(second)], shuffle=True, seed=1)
    train_check.check_token_budget(template_for('pllava', workdir), dataset, args())
    assert f'row 2 of {second} {gone}: error' in capsys.readouterr().err


@pytest.mark.parametrize('model_type', ['pllava', 'cogvlm2_video_ts'])
def test_preference_rows_count_their_longer_conversation(model_type, workdir, clip, capsys):
    """DPO rows (chosen + rejected): planned without ``KeyError: 'input_ids'`` (``'token_type_ids'`` for
    CogVLM2-Video); the longer, rejected conversation is what counts, as a real encode of it says."""
    rejected = 'It counts up from zero, one number per frame, and then it stops at the end.'
    rows = [dict(row(clip), rejected_response=rejected), dict(row(clip, 'Up.'), rejected_response='Down.')]
    template = template_for(model_type, workdir, mode='rlhf')
    summary = train_check.check_token_budget(template, rows, args(model_type))
    assert 'token budget check skipped' not in capsys.readouterr().err
    assert summary['status'] == {'ok': 2, 'truncated': 0, 'dropped': 0, 'error': 0}
    reference = template_for(model_type, workdir)  # training mode, real frames
    longest = len(reference.encode(row(clip, rejected))['input_ids'])
    assert longest > len(reference.encode(row(clip))['input_ids'])
    assert summary['total_tokens']['max'] == longest


def test_video_tag_without_a_video_is_a_bad_row(workdir, capsys):
    """Trained, it is skipped and counted with its reason; planned, it is an error; inferred, it fails (the
    caller reports it: no "skipped a sample" warning about training)."""
    from swift_video_ext.common.bad_samples import BadRowError
    from swift_video_ext.tools.plan import Planner

    empty = row(None)
    template = template_for('minigpt4_video', workdir)
    with pytest.raises(BadRowError, match=r'more <video> tags than videos \(1 tags, 0 videos'):
        template.encode(empty)
    result = bad_samples.summary()
    assert result['rows_skipped'] == 1 and result['reasons'] == {'more <video> tags than videos': 1}
    assert 'skipped a sample:' in capsys.readouterr().err
    (plan,) = Planner(template).plan([empty], [0])
    assert plan.status == 'error' and plan.reason.startswith("'<video>What happens?': more <video> tags than videos")
    template.set_mode('transformers')
    with pytest.raises(BadRowError):
        template.encode(empty)
    assert 'skipped a sample:' not in capsys.readouterr().err


def test_ms_swifts_own_text_only_encode_of_a_video_prompt_is_not_a_bad_row(workdir):
    """GRPO logs each prompt as text: ms-swift encodes ``TemplateInputs.from_dict({'messages': ...})`` with the media
    stripped (``grpo_trainer._apply_chat_template_to_messages_list``); that is not a user's row and must encode."""
    from swift.template.template_inputs import TemplateInputs

    template = template_for('pllava', workdir)
    messages = [{'role': 'user', 'content': '<video>What happens?'}]
    assert template.encode(TemplateInputs.from_dict({'messages': messages}))['input_ids']
    assert bad_samples.summary()['rows_skipped'] == 0


def test_more_videos_than_tags_is_left_to_ms_swift(workdir, clip):
    """ms-swift adds the missing tags itself; only a tag without a video is bad."""
    template = template_for('pllava', workdir)
    assert template.encode(dict(row(clip, question='What happens?')))['input_ids']


def test_an_encode_that_drops_every_row_ends_with_our_reasons(monkeypatch):
    """``--lazy_tokenize false``: ms-swift's map drops every row and returns no dataset; we say why."""
    monkeypatch.setattr(train_check, '_last_check', {
        'status': {'ok': 0, 'truncated': 0, 'dropped': 0, 'error': 2},
        'unusable': [('row 1', 'a.mp4', 'ValueError: CogVLM2-Video takes one video per sample, got 2 videos/images'),
                     ('row 2', 'b.mp4', 'ValueError: CogVLM2-Video takes one video per sample, got 2 videos/images')]})
    monkeypatch.setenv('SWIFT_VIDEO_PLAN_CHECK', '0')
    pipeline = SimpleNamespace(template=None, args=SimpleNamespace(model_type='cogvlm2_video_ts'))
    encode = train_check._wrap_encode_dataset(lambda self, train, val, **kwargs: [None, None])
    with pytest.raises(train_check.NoUsableRowsError) as raised:
        encode(pipeline, [{'messages': []}] * 2, None)
    message = str(raised.value)
    assert 'found 2 of 2 checked rows unusable' in message and 'takes one video per sample' in message
    assert 'row 1 a.mp4, row 2 b.mp4' in message  # grouped by reason


def test_ms_swift_failed_to_retrieve_becomes_our_reasons():
    """Lazy tokenisation: ms-swift's "Failed to retrieve the dataset ... increasing max_length" is replaced (not
    chained) by the rows we skipped and why; other errors, or nothing counted, pass through."""
    failing = ValueError('Failed to retrieve the dataset. You can avoid this issue by increasing `max_length` or '
                         'modifying the `truncation_strategy`.')

    def prepare(self):
        raise failing

    wrapped = train_check._wrap_prepare_dataset(prepare)
    with pytest.raises(ValueError, match='Failed to retrieve'):
        wrapped(None)  # nothing counted: ms-swift's message stands
    bad_samples.record_bad_sample('two.mp4', 'ValueError: CogVLM2-Video takes one video per sample', row={'id': 1})
    with pytest.raises(train_check.NoUsableRowsError, match='1 rows tried were unusable') as raised:
        wrapped(None)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert 'two.mp4: ValueError: CogVLM2-Video takes one video per sample' in str(raised.value)

    def other(self):
        raise ValueError('something else')

    with pytest.raises(ValueError, match='something else'):
        train_check._wrap_prepare_dataset(other)(None)
