"""``swift rlhf --rlhf_type grpo --external_plugins`` file: a rule-based reward for multiple-choice video rows.

``mc_exact``: 1.0 when the first standalone option letter (A-D) of a completion equals the row's ``solution``
column, else 0.0. ``distinct_chars``: the share of distinct characters in a completion, a dense reward that gives a
random tiny model's completions different rewards (so GRPO's advantages, hence its gradients, are not all zero).
Each call appends what it received to the jsonl named by ``$MC_REWARD_LOG`` (when set): the test reads it.
"""

import json
import os
import re

from swift.rewards import ORM, orms

OPTION = re.compile(r'\b([A-D])\b')


def _log(name: str, completions, kwargs) -> None:
    path = os.environ.get('MC_REWARD_LOG')
    if path:
        with open(path, 'a') as f:
            f.write(json.dumps({'reward': name, 'completions': list(completions),
                                'solution': list(kwargs.get('solution') or []),
                                'videos': [list(v or []) for v in kwargs.get('videos') or []]}) + '\n')


class MultipleChoiceExactMatch(ORM):

    def __call__(self, completions, solution, **kwargs) -> list[float]:
        _log('mc_exact', completions, {'solution': solution, **kwargs})
        rewards = []
        for completion, answer in zip(completions, solution, strict=True):
            found = OPTION.search(completion)
            rewards.append(float(found is not None and found.group(1) == answer.strip()))
        return rewards


class DistinctCharacters(ORM):

    def __call__(self, completions, **kwargs) -> list[float]:
        _log('distinct_chars', completions, kwargs)
        return [len(set(c)) / max(len(c), 1) for c in completions]


orms['mc_exact'] = MultipleChoiceExactMatch
orms['distinct_chars'] = DistinctCharacters
