"""`make demo` runs the whole loop (tiny PLLaVA: sft → infer → export → infer merged → contact sheets) and the
merged tiny model answers each clip with its own training answer."""

import subprocess
import sys

import pytest

from swift_video_ext.demo import STEPS, TARGETS, clip_answers

pytestmark = pytest.mark.slow


def test_demo_learns_each_clips_answer(tmp_path):
    out = tmp_path / 'demo'
    result = subprocess.run([sys.executable, '-m', 'swift_video_ext.demo', '--output', str(out)], capture_output=True,
                            text=True, timeout=1500)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'Training loss' in result.stdout and (out / 'contact_sheet.png').is_file()
    assert list((out / 'runs').glob(f'v*/checkpoint-{STEPS}-merged/model.safetensors'))
    answers = clip_answers(out / 'answers.jsonl')
    assert answers == TARGETS, result.stdout[-2000:]
    assert len(set(answers.values())) == 2
    for clip, target in TARGETS.items():
        assert f'answer: {target!r}' in result.stdout and (out / f'contact_sheet_{clip[:-4]}.png').is_file()
