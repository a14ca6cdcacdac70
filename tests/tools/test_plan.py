"""Token-budget planner: probe-only counts equal a real encode, verdicts follow ms-swift, suggestions fit."""

import json
from types import SimpleNamespace

import pytest

from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import run, write_jsonl


@pytest.fixture(scope='module')
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp('plan')


@pytest.fixture(scope='module')
def cogvlm2_dir(workdir):
    from swift_video_ext.models.cogvlm2_video.tiny import build_tiny

    return build_tiny(workdir / 'cog')


@pytest.fixture(scope='module')
def rows(workdir):
    """Clips of 2, 5 and 9 s (per_second: 3, 6, 10 frames) and one missing file."""
    clips = [write_counter_clip(workdir / f'{seconds}s.mp4', num_frames=seconds * 10, fps=10, width=96, height=64)
             for seconds in (2, 5, 9)]
    rows = [{'messages': [{'role': 'user', 'content': '<video>What happens?'},
                          {'role': 'assistant', 'content': 'A counter counts up.'}], 'videos': [str(clip)]}
            for clip in clips]
    rows.append({'messages': [{'role': 'user', 'content': '<video>What happens?'},
                              {'role': 'assistant', 'content': 'Nothing.'}], 'videos': [str(workdir / 'gone.mp4')]})
    return rows


@pytest.fixture
def planner(cogvlm2_dir, monkeypatch):
    from swift_video_ext.tools.loading import load_template
    from swift_video_ext.tools.plan import Planner

    monkeypatch.delenv('NUM_FRAMES', raising=False)
    return Planner(load_template('cogvlm2_video_ts', model_dir=str(cogvlm2_dir)).template)


def real_length(template, row) -> int:
    """Reference: ms-swift's encode with decoded frames, no max_length."""
    template.max_length = None
    return len(template.encode(row)['input_ids'])


def test_probe_only_counts_equal_a_real_encode(planner, rows):
    plans = planner.plan(rows, range(len(rows)))
    per_frame = planner.template.processor.tokens_per_frame
    assert [p.frames for p in plans[:3]] == [3, 6, 10]
    for plan, row in zip(plans[:3], rows, strict=False):
        assert plan.visual_tokens == per_frame * plan.frames
        assert plan.total_tokens == real_length(planner.template, row)
        assert plan.status == 'ok'
    assert plans[3].status == 'error' and 'gone.mp4' in plans[3].reason


def test_verdicts_follow_the_truncation_strategy(planner, rows):
    from swift_video_ext.tools.plan import judge

    plans = planner.plan(rows, range(3))
    limit = plans[1].total_tokens  # the 5 s row fits exactly, the 9 s one does not
    judge(plans, limit, 'delete', planner.template)
    assert [p.status for p in plans] == ['ok', 'ok', 'dropped']
    plans = planner.plan(rows, range(3))
    judge(plans, limit, 'left', planner.template)  # CogVLM2 builds its own sequence: it cannot be cut
    assert plans[2].status == 'dropped'


def test_truncatable_template_marks_rows_truncated(tiny_pllava, rows, workdir):
    from swift_video_ext.tools.loading import load_template
    from swift_video_ext.tools.plan import Planner, judge

    planner = Planner(load_template('pllava', model_dir=str(tiny_pllava)).template)
    plans = planner.plan(rows, range(3))
    limit = plans[0].visual_tokens + 3  # visual tokens fit, the text does not
    judge(plans, limit, 'right', planner.template)
    assert {p.status for p in plans} == {'truncated'}


def test_suggested_frame_count_is_the_largest_that_fits(planner, rows, cogvlm2_dir, monkeypatch):
    from swift_video_ext.tools.plan import judge, suggest

    plans = planner.plan(rows, range(3))
    limit = plans[1].total_tokens - 1  # the 5 s (6 frames) and 9 s (10 frames) rows are over
    judge(plans, limit, 'delete', planner.template)
    suggestion = suggest(planner, rows, plans, limit)
    (knob, value), = suggestion['frame_setting'].items()
    assert knob == 'NUM_FRAMES' and value == 5
    assert suggestion['max_length_for_all_rows'] == plans[2].total_tokens
    from swift_video_ext.tools.loading import load_template

    for frames, fits in ((value, True), (value + 1, False)):  # check with a template built from the env knob
        monkeypatch.setenv('NUM_FRAMES', str(frames))
        template = load_template('cogvlm2_video_ts', model_dir=str(cogvlm2_dir)).template
        assert (max(real_length(template, row) for row in rows[:3]) <= limit) is fits


def test_frame_count_that_cannot_help_says_so(tiny_pllava, rows):
    from swift_video_ext.tools.loading import load_template
    from swift_video_ext.tools.plan import Planner, judge, suggest

    planner = Planner(load_template('pllava', model_dir=str(tiny_pllava)).template)
    plans = planner.plan(rows, range(3))
    limit = min(p.total_tokens for p in plans) - 1
    judge(plans, limit, 'delete', planner.template)
    suggestion = suggest(planner, rows, plans, limit)
    assert suggestion['frame_setting'] is None and 'does not change' in suggestion['note']


def test_training_start_check_warns_with_counts(planner, rows, capsys):
    from swift_video_ext.hooks.train_check import check_token_budget

    template = planner.template
    limit = planner.plan(rows, [1])[0].total_tokens
    template.max_length = limit
    summary = check_token_budget(template, rows, SimpleNamespace(truncation_strategy='delete', data_seed=0,
                                                                 model_type='cogvlm2_video_ts'))
    err = capsys.readouterr().err
    assert summary['status'] == {'ok': 2, 'truncated': 0, 'dropped': 1, 'error': 1}
    assert 'token budget check (all 4 rows): 1 (25.0%) would be dropped' in err
    assert '1 (25.0%) unusable' in err and 'NUM_FRAMES=' in err
    assert template.max_length == limit and template.decode_pixels  # restored after planning


def test_unusable_row_is_named_by_its_line_with_the_reason_and_no_length_advice(planner, rows, workdir, capsys):
    from swift_video_ext.hooks.train_check import check_token_budget
    from swift_video_ext.tools.plan import format_report, suggest, summarize

    planner.template.max_length = 100000  # nothing is too long; line 4 of the jsonl names a missing file
    summary = check_token_budget(planner.template, rows, SimpleNamespace(truncation_strategy='delete', data_seed=0,
                                                                         model_type='cogvlm2_video_ts'))
    err = capsys.readouterr().err
    assert summary['status'] == {'ok': 3, 'truncated': 0, 'dropped': 0, 'error': 1}
    gone = workdir / 'gone.mp4'
    assert f'row 4 {gone}: error ({gone}: file not found)' in err
    assert 'row 3 ' not in err and 'fits every checked row' not in err  # no --max_length advice: none too long
    plans = planner.plan(rows, range(4))
    report = format_report(summarize(plans, 100000, 'delete'), plans, suggest(planner, rows, plans, 100000))
    assert f'row 4 {gone}: error ({gone}: file not found)' in report and 'suggestion' not in report


def test_training_start_check_is_quiet_when_off_or_fitting(planner, rows, monkeypatch, capsys):
    from swift_video_ext.hooks.train_check import check_token_budget

    args = SimpleNamespace(truncation_strategy='delete', data_seed=0, model_type='cogvlm2_video_ts')
    planner.template.max_length = 100000
    assert check_token_budget(planner.template, rows[:3], args)['status']['ok'] == 3
    assert 'every row fits' in capsys.readouterr().err
    monkeypatch.setenv('SWIFT_VIDEO_PLAN_CHECK', '0')
    assert check_token_budget(planner.template, rows, args) is None


def test_cli_plan_with_a_stand_in_and_json_output(workdir, rows):
    dataset = write_jsonl(workdir / 'plan.jsonl', rows[:3])
    output = workdir / 'rows.jsonl'
    result = run(['swift-video', 'plan', '--model_type', 'pllava', '--dataset', str(dataset), '--max_length', '2320',
                  '--json', '--output', str(output), '--no-progress'])
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary['visual_tokens']['min'] == summary['visual_tokens']['max'] == 16 * 12 * 12  # PLLaVA-7B pooling
    assert summary['frames']['max'] == 16 and not summary['exact_text_tokens']
    assert sum(summary['status'].values()) == 3
    planned = [json.loads(line) for line in output.read_text().splitlines()]
    assert [p['row'] for p in planned] == [1, 2, 3] and all(p['total_tokens'] > 2304 for p in planned)  # jsonl lines
    strict = run(['swift-video', 'plan', '--model_type', 'pllava', '--dataset', str(dataset), '--max_length', '100',
                  '--strict', '--no-progress'], check=False)
    assert strict.returncode == 1 and '3 dropped' in strict.stdout


def test_estimated_text_tokens_count_characters():
    from swift_video_ext.tools.plan import estimate_text_tokens

    tokenizer = SimpleNamespace(all_special_ids=[0, 1], decode=lambda ids: 'x' * (3 * len(ids)))
    assert estimate_text_tokens(tokenizer, [0, 5, 6, 7, 1]) == 2 + 3  # 2 specials + ceil(9 / 4)

