"""Multiple-choice scoring with each benchmark's official rule (MVBench, Video-MME, TVQA).

- MVBench: PLLaVA ``tasks/eval/mvbench/__init__.py`` ``check_ans`` (the VideoChat2 rule) on
  ``'(' + <text after 'Best option:('>``; per task and ``Avg = correct / total`` over every item — an item without an
  answer (unreadable video, encode failure) counts as wrong, as in the official loop.
- Video-MME: ``eval_your_results.py`` (MME-Benchmarks/Video-MME, removed upstream after 49a2e67, read from its
  history) ``extract_characters_regex`` — including its two missing commas in the prefix list — and accuracy over
  the *answered* items (an empty extraction leaves the denominator), per duration and overall. We also report the
  strict accuracy over all items.
- TVQA: the first digit 0–4 of the answer equals ``answer_idx`` (MiniGPT4-Video asks for THE NUMBER OF THE CORRECT
  ANSWER; its repository ships no TVQA scorer); accuracy over all items.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable

from .protocols import Protocol
from .results import ScoredItem


def pllava_check_ans(pred: str, gt: str) -> bool:
    """PLLaVA ``check_ans``: the prediction's first word names the reference option (case-insensitive)."""
    pred_option = pred.lower().split(' ')[0]
    gt_option = gt.lower().split(' ')[0]
    if not any(c in pred_option for c in 'abcdefgABCDEFG'):
        return False  # "model doesn't follow instructions"
    return pred_option.replace('.', '') in gt_option or gt_option in pred_option


_VIDEOMME_PREFIXES = [  # verbatim, with the official list's two missing commas (adjacent strings concatenate)
    'The best answer is', 'The correct answer is', 'The answer is', 'The answer',
    'The best option is' 'The correct option is', 'Best answer:' 'Best option:',
]


def videomme_extract(response: str) -> str:
    """Video-MME ``extract_characters_regex``: the first of A–D after removing answer phrases; '' if none."""
    s = response.strip()
    for prefix in _VIDEOMME_PREFIXES:
        s = s.replace(prefix, '')
    if len(s.split()) > 10 and not re.search('[ABCD]', s):
        return ''
    match = re.search(r'[ABCD]', s)
    return match[0] if match else ''


def tvqa_extract(response: str) -> str:
    match = re.search(r'[0-4]', response)
    return match[0] if match else ''


def _percent(correct: int, total: int) -> float:
    return 100.0 * correct / total if total else 0.0


def _counts(items: list[ScoredItem]) -> dict:
    return {'items': len(items), 'answered': sum(i.status == 'answered' for i in items),
            'unanswered': sum(i.status == 'unanswered' for i in items),
            'skipped': sum(i.status == 'skipped' for i in items)}


def score_mvbench(items: list[ScoredItem], protocol: Protocol) -> dict:
    """Per-task accuracy and ``Avg`` (percent) as PLLaVA's ``save_results`` writes ``upload_leaderboard.json``."""
    per_task: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    not_following = 0
    for item in items:
        per_task[item.task][1] += 1
        pred = protocol.prediction(item.response)
        if pred is None:
            continue
        if not any(c in pred.lower().split(' ')[0] for c in 'abcdefg'):
            not_following += 1
        per_task[item.task][0] += pllava_check_ans(pred, item.answer)
    correct, total = sum(c for c, _ in per_task.values()), sum(n for _, n in per_task.values())
    table = {task: _percent(c, n) for task, (c, n) in per_task.items()}
    table['Avg'] = _percent(correct, total)
    return {'table': table, 'correct': correct, 'total': total, 'unparsable': not_following, **_counts(items)}


def _score_extracted(items: list[ScoredItem], protocol: Protocol, extract: Callable[[str], str],
                     answered_only: bool, groups: Callable[[ScoredItem], Iterable[str]]) -> dict:
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # correct, answered (extracted), all
    unparsable = 0
    for item in items:
        pred = protocol.prediction(item.response)
        letter = extract(pred) if pred is not None else ''
        unparsable += pred is not None and letter == ''
        for group in ('Overall', *groups(item)):
            tally = tallies[group]
            tally[2] += 1
            if letter:
                tally[1] += 1
                tally[0] += letter == item.answer
    table = {g: _percent(c, a if answered_only else n) for g, (c, a, n) in tallies.items()}
    strict = {g: _percent(c, n) for g, (c, a, n) in tallies.items()}
    overall = tallies['Overall']
    return {'table': table, 'strict_table': strict, 'correct': overall[0], 'answered_extracted': overall[1],
            'total': overall[2], 'unparsable': unparsable, **_counts(items)}


def score_videomme(items: list[ScoredItem], protocol: Protocol) -> dict:
    """Video-MME's official accuracy (over answered items) per duration and overall; ``strict_table`` over all."""
    return _score_extracted(items, protocol, videomme_extract, True, lambda item: [item.task])


def score_tvqa(items: list[ScoredItem], protocol: Protocol) -> dict:
    """TVQA accuracy over every item (an unanswered or number-less reply is wrong), per show and overall."""
    return _score_extracted(items, protocol, tvqa_extract, False, lambda item: [item.task])
