"""The judge path: `swift-video eval videoqa/vcgbench` against a local OpenAI-compatible server the test starts.

Checks the real ``openai`` client path end to end: the official prompts reach the server, rate-limit replies (429 with
Retry-After) are retried, a rerun is served from the cache without a single request, the report names the judge,
and a judged benchmark refuses to score without a judge model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swift_video_ext.cli.main import main
from swift_video_ext.eval.judge import Judge, JudgeCache, official_prompt
from swift_video_ext.eval.prepare import prepare
from swift_video_ext.eval.report import score
from tests.eval.judge_server import judge_server
from tests.eval.mini_benchmarks import fake_results, write_vcgbench, write_videoqa


@pytest.fixture(scope='module')
def videoqa_rows(tmp_path_factory):
    root = tmp_path_factory.mktemp('vqa')
    rows = root / 'rows.jsonl'
    prepare('videoqa', write_videoqa(root / 'data'), 'minigpt4_video', rows, subset='msvd')
    return rows


def test_videoqa_through_a_local_server_retries_caches_and_names_the_judge(videoqa_rows, tmp_path, capsys):
    results = fake_results(videoqa_rows, {'red': 'It is red.', 'green': 'blue', 'blue': 'Blue!'},
                           tmp_path / 'results.jsonl')
    cache = tmp_path / 'judge.sqlite'
    with judge_server(fail_first=2) as server:
        argv = ['eval', 'videoqa', '--results', str(results), '--judge-model', 'local-judge', '--judge-url',
                server.url, '--judge-cache', str(cache), '--judge-workers', '1', '--json']
        assert main(argv) == 0
        report = json.loads(capsys.readouterr().out)
        assert len(server.requests) == 2 + 3  # two 429s retried, then one request per item
        first = server.requests[-3]
        prompt = official_prompt('minigpt4_video', 'zeroshot')
        assert first['model'] == 'local-judge' and 'temperature' not in first
        assert first['messages'] == [
            {'role': 'system', 'content': prompt.system},
            {'role': 'user', 'content': prompt.user.format(question='what colour is it?', answer='red',
                                                           pred='It is red.')}]
        assert main(argv) == 0  # rerun: every reply from the cache
        assert len(server.requests) == 5
    rerun = json.loads(capsys.readouterr().out)
    overall = report['scores']['table']['Overall']
    assert overall['acc'] == pytest.approx(200 / 3) and overall['score'] == pytest.approx(10 / 3)
    assert rerun['scores'] == report['scores'] and rerun['judge']['from_cache'] == 3
    assert report['judge']['model'] == 'local-judge' and report['judge']['base_url'] == server.url
    assert report['judge']['rule'] == 'minigpt4_video'
    assert report['judge']['prompts'] == {'zeroshot': prompt.source}
    assert 'Vision-CAIR/MiniGPT4-video@ecabd7a GPT_evaluation/evaluate_zeroshot.py' in prompt.source
    assert report['settings']['template'] == 'minigpt4_video_llama2_eval'
    assert report['settings']['num_frames'] == 45 and report['settings']['sampler'] == 'interval'
    assert Path(f'{results}.videoqa.json').is_file()


def test_vcgbench_through_a_local_server(tmp_path):
    rows = tmp_path / 'vcg.jsonl'
    prepare('vcgbench', write_vcgbench(tmp_path / 'data'), 'pllava', rows)
    answers = {'The video is red.': 'The video is red.', 'The video is green.': 'The video is green.',
               'The video is blue.': '', 'No, it stays the same.': 'yes'}
    results = fake_results(rows, answers, tmp_path / 'results.jsonl')
    with judge_server() as server:
        judge = Judge('local-judge', server.url, cache=JudgeCache(tmp_path / 'cache.sqlite'), workers=2)
        report = score('vcgbench', results, judge=judge)
        asked = len(server.requests)
    table = report['scores']['table']
    # generic: red and green match (5), blue is empty (0, not asked); temporal: wrong (1); consistency: both match (5)
    assert table['correctness']['score'] == pytest.approx(10 / 3)
    assert table['temporal']['score'] == 1 and table['consistency']['score'] == 5
    assert asked == 2 * 3 + 1 + 1  # the empty prediction is never sent (PLLaVA's rule)
    assert report['judge']['rule'] == 'pllava' and report['judge']['paper_judge'] == 'gpt-3.5-turbo-0125'
    assert sorted(report['judge']['prompts']) == ['consistency', 'context', 'correctness', 'detailed_orientation',
                                                  'temporal']


def test_judged_benchmark_refuses_to_score_without_a_judge(videoqa_rows, tmp_path):
    results = fake_results(videoqa_rows, {}, tmp_path / 'results.jsonl')
    with pytest.raises(ValueError, match='judged by a GPT model: give --judge-model'):
        score('videoqa', results)
    with pytest.raises(SystemExit):  # argparse: --judge-model is required
        main(['eval', 'videoqa', '--results', str(results)])
    with pytest.raises(ValueError, match='name the judge model'):
        Judge('')


def test_unreachable_judge_stops_instead_of_scoring_zero(videoqa_rows, tmp_path):
    results = fake_results(videoqa_rows, {'red': 'red'}, tmp_path / 'results.jsonl')
    judge = Judge('local-judge', 'http://127.0.0.1:9/v1', cache=JudgeCache(tmp_path / 'c.sqlite'), max_retries=0,
                  timeout=2)
    with pytest.raises(Exception, match='Connection'):
        score('videoqa', results, judge=judge)
