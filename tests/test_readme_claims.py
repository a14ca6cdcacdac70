"""Documented claims that no other test pins: extract-frames' hash-based held-out split (docs/models/gemma4-frames.md);
the "Coming from older ms-swift" table (docs/troubleshooting.md) against ms-swift 4.6's argument parsers.

(The merged-export Auto-class loading and ``args.json`` claims need a training run: they live in each model's
``tests/models/*/test_e2e.py``, which reuse that file's one ``swift sft``.)
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

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


def renamed_flags_table() -> list[tuple[str, str]]:
    """(older docs, ms-swift 4.6) cells of the "Coming from older ms-swift" table in docs/troubleshooting.md."""
    page = (Path(__file__).resolve().parents[1] / 'docs' / 'troubleshooting.md').read_text()
    section = page.split('## Coming from older ms-swift', 1)[1].split('\n## ', 1)[0]
    rows = [line.split('|')[1:3] for line in section.splitlines() if line.startswith('| `')]
    assert len(rows) >= 10, section
    return [(old, new) for old, new in rows]


def swift_options() -> set[str]:
    """Every option string of ``swift sft``, ``infer``, ``export`` and ``deploy`` in ms-swift 4.6."""
    from swift.arguments import DeployArguments, ExportArguments, InferArguments, SftArguments
    from swift.utils.utils import _patch_get_type_hints
    from transformers import HfArgumentParser

    options = set()
    for cls in (SftArguments, InferArguments, ExportArguments, DeployArguments):
        with _patch_get_type_hints():
            options |= set(HfArgumentParser([cls])._option_string_actions)
    return options


def test_renamed_flags_table_matches_ms_swift():
    """Each older flag (not kept on the right) is refused by every command (no option and no abbreviation of one:
    argparse would take a unique prefix); each replacement is an option; the old CogVLM2-Video model type is gone and
    ours is registered."""
    from swift.model import MODEL_MAPPING

    import swift_video_ext.plugin  # noqa: F401

    options = swift_options()
    flag = re.compile(r'--[a-z_]+')
    for old, new in renamed_flags_table():
        for name in set(flag.findall(old)) - set(flag.findall(new)):
            assert not any(option.startswith(name) for option in options), name
        assert flag.findall(new), new
        for name in flag.findall(new):
            assert name in options, name
    assert 'cogvlm2-video-13b-chat' not in MODEL_MAPPING and 'cogvlm2_video_ts' in MODEL_MAPPING
