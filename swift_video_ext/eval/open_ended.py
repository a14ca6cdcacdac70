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
- a reply ``ast.literal_eval`` cannot read is asked again (the official loop retries until every item has one; here
  up to ``retries`` times, then counted like a reply without a score); a readable reply is kept as it is;
- VideoQA: ``score = int(reply['score'])`` summed over all items / items (a reply without one is "Score not found":
  counted, adds nothing, and gives no yes/no); ``accuracy = yes / (yes + no)`` (printed as a fraction officially,
  as percent here) where yes/no are substrings of ``pred``;
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


_NOT_PARSED = object()  # ast.literal_eval failed: the MiniGPT4-Video loop asks again


def _literal(reply: str):
    try:
        return ast.literal_eval(reply)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _NOT_PARSED


def parse_pllava_qa(reply: str) -> tuple[bool, float] | None:
    """PLLaVA ``check_ans_qa``: a dict with ``pred`` exactly 'yes'/'no' and a numeric ``score``, else None (no, 0)."""
    value = _literal(reply)
    if not isinstance(value, dict) or value.get('pred') not in ('yes', 'no') or \
            not isinstance(value.get('score'), (int, float)):
        return None
    return value['pred'] == 'yes', value['score']


def parse_pllava_score(reply: str) -> float | None:
    """PLLaVA vcgbench ``check_ans``: ``response_dict['score']`` compared with 3; anything else None (score 0)."""
    value = _literal(reply)
    score = value.get('score') if isinstance(value, dict) else None
    return score if isinstance(score, (int, float)) else None


def parse_minigpt4(reply: str):
    """MiniGPT4-Video ``annotate``: the literal value, or ``_NOT_PARSED`` (asked again)."""
    return _literal(reply)


def minigpt4_int_score(value) -> int | None:
    """``int(result[0]['score'])``; None where the official aggregation prints "Score not found"."""
    try:
        return int(value['score'])
    except Exception:  # noqa: BLE001 - the official bare except
        return None


def minigpt4_yes_no(value) -> str | None:
    """'yes' / 'no' as substrings of ``pred`` (yes first), else None."""
    try:
        pred = value['pred'].lower()
    except Exception:  # noqa: BLE001 - the official bare except
        return None
    return 'yes' if 'yes' in pred else 'no' if 'no' in pred else None


def _ask_minigpt4(judge: Judge, system: str, user: str, retries: int):
    """The literal reply, asked again (up to ``retries`` times) while it does not parse; ``_NOT_PARSED`` after."""
    for attempt in range(retries + 1):
        value = parse_minigpt4(judge.ask(system, user, attempt))
        if value is not _NOT_PARSED:
            return value
    return _NOT_PARSED


def score_videoqa(items: list[ScoredItem], protocol: Protocol, judge: Judge, rule: str, retries: int = 2) -> dict:
    """Accuracy (percent) and mean score per subset and overall; counts of unanswered and unparsable items."""
    def judge_one(item: ScoredItem):
        if item.status != 'answered':  # no answer (missing video, encode failure): wrong, score 0, judge not asked
            return (False, 0) if rule == 'pllava' else {'pred': 'no', 'score': 0}
        pred = protocol.prediction(item.response) or ''
        prompt = official_prompt(rule, item.task if rule == 'pllava' else 'zeroshot')
        user = prompt.user.format(question=item.entry.get('question', ''), answer=item.answer, pred=pred)
        if rule == 'pllava':
            return parse_pllava_qa(judge.ask(prompt.system, user))
        return _ask_minigpt4(judge, prompt.system, user, retries)

    verdicts = judge.map(judge_one, items)
    groups: dict[str, list] = defaultdict(list)
    for item, verdict in zip(items, verdicts, strict=True):
        groups[item.task].append(verdict)
    table = {}
    aggregate = _aggregate_pllava_qa if rule == 'pllava' else _aggregate_minigpt4_qa
    for group, values in groups.items():
        table[group] = aggregate(values)
    table['Overall'] = aggregate([v for values in groups.values() for v in values])
    unparsable = sum(v is None or v is _NOT_PARSED for v in verdicts)
    return {'table': table, 'judge_unparsable': unparsable, 'total': len(items)}


def _aggregate_pllava_qa(verdicts: list) -> dict:
    """``acc = correct / total * 100``, ``score = sum / total``; an unparsable reply is (no, 0)."""
    judged = [v if v is not None else (False, 0) for v in verdicts]
    return {'acc': 100.0 * sum(flag for flag, _ in judged) / len(judged),
            'score': sum(score for _, score in judged) / len(judged)}


def _aggregate_minigpt4_qa(values: list) -> dict:
    """``evaluate_zeroshot.py``: mean of ``int(score)`` over all items; ``yes / (yes + no)`` (as percent)."""
    score_sum = yes = no = 0
    for value in values:
        score = minigpt4_int_score(value) if value is not _NOT_PARSED else None
        if score is None:  # "Score not found": counted, no yes/no either
            continue
        score_sum += score
        verdict = minigpt4_yes_no(value)
        yes, no = yes + (verdict == 'yes'), no + (verdict == 'no')
    return {'acc': 100.0 * yes / (yes + no) if yes + no else 0.0, 'score': score_sum / len(values),
            'yes': yes, 'no': no}


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
            score = parse_pllava_score(judge.ask(prompt.system, user))
        else:
            value = _ask_minigpt4(judge, prompt.system, user, retries)
            score = minigpt4_int_score(value) if value is not _NOT_PARSED else None
        return (0, True) if score is None else (score, False)

    verdicts = judge.map(judge_one, tasks)
    per_dimension: dict[str, list[float]] = defaultdict(list)
    unparsable = 0
    for (dimension, _, _), (score, failed) in zip(tasks, verdicts, strict=True):
        per_dimension[dimension].append(score)
        unparsable += failed
    table = {d: {'score': sum(s) / len(s), 'acc': 100.0 * sum(x > 3 for x in s) / len(s)}
             for d, s in per_dimension.items()}
    scores = [x for s in per_dimension.values() for x in s]
    # PLLaVA's Avg_Score: over every (dimension, item) judgement, so each generic item weighs three times; its
    # Avg_Acc reuses a loop variable (off by the last item's flag, order-dependent): the intended value is given.
    table['Avg'] = {'score': sum(scores) / len(scores) if scores else 0.0,
                    'acc': 100.0 * sum(x > 3 for x in scores) / len(scores) if scores else 0.0}
    table['mean_of_dimensions'] = {'score': sum(table[d]['score'] for d in per_dimension) / len(per_dimension)
                                   if per_dimension else 0.0}
    return {'table': table, 'judge_unparsable': unparsable, 'judged_tasks': len(tasks)}
