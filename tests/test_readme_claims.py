"""README claims that no other test pins: extract-frames' hash-based held-out split.

(The merged-export Auto-class loading and ``args.json`` claims need a training run: they live in each model's
``tests/models/*/test_e2e.py``, which reuse that file's one ``swift sft``.)
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from swift_video_ext.datasets.extract_frames import ClipJob, is_held_out

IDS = [f'clip_{i:05d}_{i * 7919 % 1000:03d}' for i in range(4000)]
_HELD_OUT = '''
import json, sys
from swift_video_ext.datasets.extract_frames import ClipJob, is_held_out
ids = json.loads(sys.stdin.read())
print(json.dumps([i for i in ids if is_held_out(ClipJob(i, i + '.mp4', 'x'), 0.2)]))
'''


def held_out(ids: list[str], ratio: float) -> list[str]:
    return [i for i in ids if is_held_out(ClipJob(i, f'{i}.mp4', 'x'), ratio)]


@pytest.mark.parametrize('ratio', [0.05, 0.2, 0.5])
def test_split_is_near_the_requested_ratio(ratio):
    # 4000 ids: a fair split's share has a standard deviation <= 0.8 %; allow 3 of them
    share = len(held_out(IDS, ratio)) / len(IDS)
    assert abs(share - ratio) < 0.025, share


def test_split_is_stable_across_processes_order_and_ratio():
    """The same ids are held out in another process (fixed PYTHONHASHSEED; this one's is random), in any order,
    and a larger ratio only adds clips (a clip never moves from val back to train)."""
    want = held_out(IDS, 0.2)
    env = {'PYTHONHASHSEED': '12345', 'PATH': '/usr/bin:/bin', 'PYTHONPATH': ':'.join(sys.path)}
    out = subprocess.run([sys.executable, '-c', _HELD_OUT], input=json.dumps(IDS[::-1]), env=env,
                         capture_output=True, text=True, timeout=300, check=True).stdout
    assert sorted(json.loads(out)) == sorted(want)
    assert set(held_out(IDS, 0.1)) <= set(want) <= set(held_out(IDS, 0.3))


def test_csv_split_column_overrides_the_hash():
    assert is_held_out(ClipJob('a', 'a.mp4', 'x', split='Validation'), 0.0)
    assert not is_held_out(ClipJob('a', 'a.mp4', 'x', split='train'), 1.0)
