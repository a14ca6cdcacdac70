"""Our scorers equal the official scoring code on fixed responses and fixed judge replies.

Known answers (``known_answers/*.json``, each naming the official repository, commit, file and function; produced
by running the official files with ``known_answers/oracle/*.py``):
- ``mvbench_pllava.json``: PLLaVA ``tasks/eval/mvbench/__init__.py`` ``check_ans`` and ``save_results``;
- ``videoqa_aggregation.json``: PLLaVA ``tasks/eval/videoqabench/__init__.py`` ``check_ans_qa``/``save_results`` and
  MiniGPT4-Video ``GPT_evaluation/evaluate_zeroshot.py`` with a fake judge;
- ``vcgbench_aggregation.json``: PLLaVA ``tasks/eval/vcgbench/__init__.py`` and MiniGPT4-Video
  ``GPT_evaluation/evaluate_benchmark_{1..5}_*.py`` with a fake judge;
- ``videomme_official.json``: Video-MME ``evaluation/eval_your_results.py`` (MME-Benchmarks/Video-MME, 49a2e67^).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from swift_video_ext.eval.judge import official_prompt
from swift_video_ext.eval.multiple_choice import pllava_check_ans, score_mvbench, score_videomme, videomme_extract
from swift_video_ext.eval.open_ended import score_vcgbench, score_videoqa
from swift_video_ext.eval.protocols import Protocol, get_protocol
from swift_video_ext.eval.results import ScoredItem

KNOWN = Path(__file__).parent / 'known_answers'
PLAIN = Protocol('plain', 'test', None)  # the response is the prediction


def load(name: str) -> dict:
    return json.loads((KNOWN / name).read_text())


def answered(entry: dict, response: str | None) -> ScoredItem:
    return ScoredItem(entry, response, 'answered' if response is not None else 'unanswered')


# ------------------------------------------------------------------------------------------------ MVBench
MVBENCH = load('mvbench_pllava.json')


@pytest.mark.parametrize('case', MVBENCH['cases'], ids=[c['label'] for c in MVBENCH['cases']])
def test_check_ans_equals_pllava(case):
    if 'output' not in case['check_ans']:
        pytest.skip(f'the official check_ans raises here: {case["check_ans"]}')
    assert pllava_check_ans(case['pred'], case['gt']) == case['check_ans']['output']


def test_mvbench_table_equals_pllava_save_results():
    rows = MVBENCH['save_results']['result_list']
    items = [answered({'id': str(n), 'task': r['task_type'], 'answer': r['gt']}, r['pred'])
             for n, r in enumerate(rows)]
    want = MVBENCH['save_results']['upload_leaderboard.json']
    got = score_mvbench(items, PLAIN)['table']
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key] == pytest.approx(value, abs=1e-12)


def test_mvbench_unanswered_item_counts_as_wrong():
    items = [answered({'id': '1', 'task': 'T', 'answer': '(A) x'}, 'Best option:(A) x'),
             answered({'id': '2', 'task': 'T', 'answer': '(A) x'}, None),
             ScoredItem({'id': '3', 'task': 'T', 'answer': '(B) y'}, None, 'skipped', 'video not found')]
    result = score_mvbench(items, get_protocol('pllava', 'mvbench'))
    assert result['table'] == {'T': pytest.approx(100 / 3), 'Avg': pytest.approx(100 / 3)}
    assert (result['answered'], result['unanswered'], result['skipped']) == (1, 1, 1)


# ------------------------------------------------------------------------------------------------ Video-MME
VIDEOMME = load('videomme_official.json')


@pytest.mark.parametrize('case', VIDEOMME['extract'], ids=lambda c: repr(c['response'])[:30])
def test_videomme_extraction_equals_official(case):
    assert videomme_extract(case['response']) == case['output']


def test_videomme_overall_equals_official_over_answered_items():
    items = [answered({'id': q['question_id'], 'task': q['duration'], 'answer': q['answer']}, q['response'])
             for q in VIDEOMME['aggregation']['questions']]
    result = score_videomme(items, PLAIN)
    for duration, value in VIDEOMME['aggregation']['overall_per_duration'].items():
        assert round(result['table'][duration], 1) == value
    assert round(result['table']['Overall'], 1) == VIDEOMME['aggregation']['overall']
    assert result['strict_table']['Overall'] < result['table']['Overall']  # unparsable replies leave the official one


# ------------------------------------------------------------------------------------------------ judged
class ReplayJudge:
    """Answers from the recorded judge replies, keyed ``dimension|question`` (attempt n → the n-th reply)."""

    def __init__(self, replies: dict[str, list[str]], rule: str, dimensions: list[str]):
        self.replies, self.requests = replies, []
        self.systems = {official_prompt(rule, d).system: d for d in dimensions}

    def ask(self, system: str, user: str, attempt: int = 0) -> str:
        question = re.search(r'Question(?: 1)?: (.*)\n', user).group(1)
        key = f'{self.systems[system]}|{question}' if f'{self.systems[system]}|{question}' in self.replies \
            else question
        self.requests.append((key, attempt, user))
        answers = self.replies[key]
        return answers[min(attempt, len(answers) - 1)]

    def map(self, function, items):
        return [function(item) for item in items]


VIDEOQA = load('videoqa_aggregation.json')


def _qa_items(inputs: list[dict]) -> list[ScoredItem]:
    return [answered({'id': str(n), 'task': r['task_type'], 'question': r['question'], 'answer': r['answer']},
                     r['pred']) for n, r in enumerate(inputs)]


def test_videoqa_pllava_rule_equals_official():
    inputs = VIDEOQA['inputs']
    judge = ReplayJudge({r['question']: r['judge_replies'] for r in inputs}, 'pllava', [])
    judge.systems = {official_prompt('pllava', 'MSVD_QA').system: 'qa'}
    result = score_videoqa(_qa_items(inputs), PLAIN, judge, 'pllava')
    want = VIDEOQA['save_results']['upload_leaderboard.json']
    for task in ('MSVD_QA', 'MSRVTT_QA'):
        assert result['table'][task]['acc'] == pytest.approx(want[task]['acc'])
        assert result['table'][task]['score'] == pytest.approx(want[task]['score'])
    assert result['table']['Overall']['acc'] == pytest.approx(want['Avg_Acc'])
    assert result['table']['Overall']['score'] == pytest.approx(want['Avg_Score'])
    assert all(attempt == 0 for _, attempt, _ in judge.requests)  # PLLaVA never asks twice
    # the exact user prompt of the official check_ans_qa
    first = inputs[0]
    assert judge.requests[0][2] == official_prompt('pllava', 'MSVD_QA').user.format(
        question=first['question'], answer=first['answer'], pred=first['pred'])


def test_videoqa_minigpt4_rule_equals_official():
    inputs = VIDEOQA['inputs']
    judge = ReplayJudge({r['question']: r['judge_replies'] for r in inputs}, 'minigpt4_video', [])
    judge.systems = {official_prompt('minigpt4_video', 'zeroshot').system: 'qa'}
    items = _qa_items(inputs)
    for item in items:
        item.entry['task'] = 'all'
    result = score_videoqa(items, PLAIN, judge, 'minigpt4_video', retries=4)
    printed = VIDEOQA['minigpt4_video']['cases']['printed']
    overall = result['table']['Overall']
    assert (overall['yes'], overall['no']) == (printed['Yes count'], printed['No count'])
    assert overall['acc'] == pytest.approx(100 * printed['Accuracy'])
    assert overall['score'] == pytest.approx(printed['Average score'])
    asked = {}
    for key, attempt, _ in judge.requests:
        asked[key] = max(asked.get(key, 0), attempt + 1)
    assert asked == VIDEOQA['minigpt4_video']['cases']['judge_requests_per_question']


VCG = load('vcgbench_aggregation.json')
VCG_TASKS = {'generic_qa': 'generic', 'temporal_qa': 'temporal', 'consistency_qa': 'consistency'}
DIMENSIONS = ['correctness', 'detailed_orientation', 'context', 'temporal', 'consistency']


def _vcg_items_pllava(result_list: list[dict]) -> list[ScoredItem]:
    items = []
    for n, r in enumerate(result_list):
        task = VCG_TASKS[r['task_type']]
        if task == 'consistency':  # PLLaVA's res after its swap: question = Q2, question1 = Q1
            pair = f'c{n}'
            items.append(answered({'id': f'{pair}/q1', 'task': task, 'question': r['question1'], 'answer': r['gt'],
                                   'pair': pair}, r['pred']))
            items.append(answered({'id': f'{pair}/q2', 'task': task, 'question': r['question'], 'answer': r['gt'],
                                   'pair': pair}, r['pred1']))
        else:
            items.append(answered({'id': str(n), 'task': task, 'question': r['question'], 'answer': r['gt']},
                                  r['pred']))
    return items


def test_vcgbench_pllava_rule_equals_official():
    judge = ReplayJudge(VCG['inputs']['judge_replies'], 'pllava', DIMENSIONS)
    result = score_vcgbench(_vcg_items_pllava(VCG['inputs']['result_list']), PLAIN, judge, 'pllava')
    want = VCG['save_results']['upload_leaderboard-gpt-3.5-turbo-0125.json']
    for dimension in DIMENSIONS:
        assert result['table'][dimension]['score'] == pytest.approx(want[dimension]['score'])
        assert result['table'][dimension]['acc'] == pytest.approx(want[dimension]['acc'])
    assert result['table']['Avg']['score'] == pytest.approx(want['Avg_Score'])
    acc = VCG['save_results']['acc_dict']  # the intended Avg_Acc (the official one is off by its last flag)
    intended = 100 * sum(v['correct'] for v in acc.values()) / sum(v['total'] for v in acc.values())
    assert result['table']['Avg']['acc'] == pytest.approx(intended)


@pytest.mark.parametrize('dimension', DIMENSIONS)
def test_vcgbench_minigpt4_rule_equals_official(dimension):
    case = VCG['minigpt4_video']['cases'][dimension]
    items = []
    for n, r in enumerate(case['pred_json']):
        if dimension == 'consistency':
            items.append(answered({'id': f'c{n}/q1', 'task': 'consistency', 'question': r['Q1'], 'answer': r['A'],
                                   'pair': f'c{n}'}, r['pred1']))
            items.append(answered({'id': f'c{n}/q2', 'task': 'consistency', 'question': r['Q2'], 'answer': r['A'],
                                   'pair': f'c{n}'}, r['pred2']))
        else:
            task = 'temporal' if dimension == 'temporal' else 'generic'
            items.append(answered({'id': str(n), 'task': task, 'question': r['Q'], 'answer': r['A']}, r['pred']))
    judge = ReplayJudge(VCG['inputs']['judge_replies'], 'minigpt4_video', DIMENSIONS)
    result = score_vcgbench(items, PLAIN, judge, 'minigpt4_video', retries=4)
    assert result['table'][dimension]['score'] == pytest.approx(case['average_score'])
    asked = {}
    for key, attempt, _ in judge.requests:
        if key.startswith(dimension + '|'):
            asked[key] = max(asked.get(key, 0), attempt + 1)
    assert asked == case['judge_requests_per_item']
