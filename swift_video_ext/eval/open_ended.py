"""GPT-judged scores with the official rules: zero-shot open-ended VideoQA and VCGBench (Video-ChatGPT).

Two rule sets, chosen by the protocol's model type (``--judge-rule`` overrides):

``pllava`` (PLLaVA ``tasks/eval/videoqabench`` and ``tasks/eval/vcgbench`` ``__init__.py``):
- VideoQA: a reply is ``ast.literal_eval``-ed; it must give ``pred`` in yes/no and a numeric ``score``, else the
  item counts as no / 0. Per subset and overall: ``acc = yes / total * 100``, ``score = sum / total``.
- VCGBench: generic answers are judged for correctness, detailed orientation and context, temporal answers for
  temporal, consistency pairs for consistency; an empty prediction scores 0 unasked; an unparsable reply 0. Per
  dimension ``score = sum / total`` (the paper's numbers) and ``acc = share of score > 3``. The consistency prompt
  gets the questions as PLLaVA's loop leaves them: Question 1 = Q2, Question 2 = Q1 (its swap), predictions in order.
``minigpt4_video`` (MiniGPT4-Video ``GPT_evaluation/evaluate_zeroshot.py``, ``evaluate_benchmark_*.py``):
- a reply that cannot be parsed is asked again (the official loop retries until every item has one; here up to
  ``retries`` times, then counted as unjudged with score 0);
- VideoQA: ``score = int(score)`` summed over all items / items; ``accuracy = yes / (yes + no)`` where yes/no are
  substrings of ``pred``;
- VCGBench: ``int(score)`` per item, mean per dimension; consistency asks with Q1 in both question slots, as the
  official script does (``question2 = sample['Q1']``).
"""

from __future__ import annotations

import ast
from collections import defaultdict

from .judge import Judge, official_prompt
from .protocols import Protocol
from .results import ScoredItem

VCG_DIMENSIONS = {'generic': ('correctness', 'detailed_orientation', 'context'), 'temporal': ('temporal',),
                  'consistency': ('consistency',)}


def _literal(reply: str):
    try:
        value = ast.literal_eval(reply)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def parse_pllava_qa(reply: str) -> tuple[bool, float] | None:
    value = _literal(reply)
    if value is None or value.get('pred') not in ('yes', 'no') or not isinstance(value.get('score'), (int, float)):
        return None
    return value['pred'] == 'yes', value['score']


def parse_score(reply: str) -> float | None:
    value = _literal(reply)
    score = None if value is None else value.get('score')
    return score if isinstance(score, (int, float)) and not isinstance(score, bool) else None


def parse_minigpt4_qa(reply: str) -> tuple[str | None, int] | None:
    """(``'yes'``/``'no'``/None, ``int(score)``) as ``evaluate_zeroshot.py`` reads them; None if unparsable."""
    value = _literal(reply)
    if value is None or 'score' not in value:
        return None
    try:
        score = int(value['score'])
    except (TypeError, ValueError):
        return None
    pred = str(value.get('pred', '')).lower()
    return ('yes' if 'yes' in pred else 'no' if 'no' in pred else None), score


def _ask_parsed(judge: Judge, system: str, user: str, parse, retries: int):
    for attempt in range(retries + 1):
        parsed = parse(judge.ask(system, user, attempt))
        if parsed is not None:
            return parsed, attempt
    return None, retries


def score_videoqa(items: list[ScoredItem], protocol: Protocol, judge: Judge, rule: str, retries: int = 2) -> dict:
    """Accuracy (percent) and mean score per subset and overall; counts of unanswered and unparsable items."""
    def judge_one(item: ScoredItem):
        if item.status != 'answered':  # no answer (missing video, encode failure): wrong, score 0, judge not asked
            return (False, 0) if rule == 'pllava' else ('no', 0)
        pred = protocol.prediction(item.response) or ''
        if rule == 'pllava':
            prompt = official_prompt('pllava', item.task)
            user = prompt.user.format(question=item.entry.get('question', ''), answer=item.answer, pred=pred)
            return _ask_parsed(judge, prompt.system, user, parse_pllava_qa, 0)[0]
        prompt = official_prompt('minigpt4_video', 'zeroshot')
        user = prompt.user.format(question=item.entry.get('question', ''), answer=item.answer, pred=pred)
        return _ask_parsed(judge, prompt.system, user, parse_minigpt4_qa, retries)[0]

    verdicts = judge.map(judge_one, items)
    groups: dict[str, list] = defaultdict(list)
    for item, verdict in zip(items, verdicts, strict=True):
        groups[item.task].append(verdict)
        groups['Overall'].append(verdict)
    table = {}
    for group, values in groups.items():
        judged = [v for v in values if v is not None]
        if rule == 'pllava':
            yes = sum(1 for flag, _ in judged if flag)
            table[group] = {'acc': 100.0 * yes / len(values), 'score': sum(s for _, s in judged) / len(values)}
        else:
            yes = sum(1 for pred, _ in judged if pred == 'yes')
            no = sum(1 for pred, _ in judged if pred == 'no')
            table[group] = {'acc': 100.0 * yes / (yes + no) if yes + no else 0.0,
                            'score': sum(s for _, s in judged) / len(values)}
    unparsable = sum(v is None for v in verdicts)
    return {'table': table, 'judge_unparsable': unparsable, 'total': len(items),
            'judge_prompt': official_prompt(rule, items[0].task if rule == 'pllava' and items else 'zeroshot').source
            if items else None}


def _vcg_fields(rule: str, dimension: str, item: ScoredItem, pair: ScoredItem | None, protocol: Protocol) -> dict:
    pred = protocol.prediction(item.response) or ''
    if dimension != 'consistency':
        return {'question': item.entry.get('question', ''), 'answer': item.answer, 'pred': pred}
    pred2 = protocol.prediction(pair.response) or '' if pair else ''
    q1, q2 = item.entry.get('question', ''), pair.entry.get('question', '') if pair else ''
    if rule == 'pllava':  # after PLLaVA's swap: question = Q2, question1 = Q1; pred = ans(Q1), pred1 = ans(Q2)
        return {'question': q2, 'question1': q1, 'answer': item.answer, 'pred': pred, 'pred1': pred2}
    return {'question1': q1, 'question2': q1, 'answer': item.answer, 'pred1': pred, 'pred2': pred2}


def score_vcgbench(items: list[ScoredItem], protocol: Protocol, judge: Judge, rule: str, retries: int = 2) -> dict:
    """Per-dimension mean score (0–5) and share of scores > 3, as the paper's VCGBench table."""
    by_pair: dict[str, list[ScoredItem]] = defaultdict(list)
    tasks = []  # (dimension, item, pair)
    for item in items:
        if item.task == 'consistency':
            by_pair[item.entry.get('pair', item.id)].append(item)
        else:
            tasks += [(dimension, item, None) for dimension in VCG_DIMENSIONS[item.task]]
    for members in by_pair.values():
        members.sort(key=lambda m: m.id)
        tasks.append(('consistency', members[0], members[1] if len(members) > 1 else None))

    def judge_one(task):
        dimension, item, pair = task
        if item.status != 'answered' or (pair is not None and pair.status != 'answered'):
            return 0, False  # no answer: score 0, judge not asked
        pred = protocol.prediction(item.response) or ''
        pred2 = protocol.prediction(pair.response) or '' if pair else ''
        if rule == 'pllava' and (pred == '' or (dimension == 'consistency' and pred2 == '')):
            return 0, False  # PLLaVA: "no pred" scores 0 unasked
        prompt = official_prompt(rule, dimension)
        user = prompt.user.format(**_vcg_fields(rule, dimension, item, pair, protocol))
        if rule == 'pllava':
            score = _ask_parsed(judge, prompt.system, user, parse_score, 0)[0]
            return (0, True) if score is None else (score, False)
        score = _ask_parsed(judge, prompt.system, user, parse_score, retries)[0]
        return (0, True) if score is None else (int(score), False)

    verdicts = judge.map(judge_one, tasks)
    per_dimension: dict[str, list[float]] = defaultdict(list)
    unparsable = 0
    for (dimension, _, _), (score, failed) in zip(tasks, verdicts, strict=True):
        per_dimension[dimension].append(score)
        unparsable += failed
    table = {d: {'score': sum(s) / len(s), 'acc': 100.0 * sum(x > 3 for x in s) / len(s)}
             for d, s in per_dimension.items()}
    scores = [x for s in per_dimension.values() for x in s]
    table['Avg'] = {'score': sum(table[d]['score'] for d in per_dimension) / len(per_dimension) if per_dimension
                    else 0.0, 'acc': 100.0 * sum(x > 3 for x in scores) / len(scores) if scores else 0.0}
    return {'table': table, 'judge_unparsable': unparsable, 'judged_tasks': len(tasks)}
