"""A process that ran the plugin (registration, a template, the start-of-training token check) can still fork.

``datasets.map`` forks its workers from the ``swift`` process; if anything before the fork started torch's OpenMP pool
in that process, the forked worker deadlocks in its first parallel torch op (issue 22: ``--lazy_tokenize false``
hung forever). Each probe runs in a fresh interpreter: do the work, fork, run a parallel op in the child, and report
whether the child finished within a bound. The first test shows the probe catches the deadlock.
"""

import importlib
import json
import subprocess
import sys

from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import command_env, write_jsonl

MODELS = {'pllava': 'pllava', 'cogvlm2_video_ts': 'cogvlm2_video', 'minigpt4_video': 'minigpt4_video'}
PROBE = r'''
import json, os, sys, time
import torch

torch.set_num_threads(2)  # an OpenMP pool of 2 whatever the machine's cores

def parent_work():
    mode = sys.argv[1]
    if mode == 'torch_op':  # what the check did before issue 22: torch ops in the parent
        torch.ones(1 << 22).mul_(2).sum()
        return None
    if mode == 'one_thread_op':  # work that stays in the parent (loading an official PLLaVA checkpoint)
        from swift_video_ext.common.isolated import torch_on_one_thread
        with torch_on_one_thread():
            torch.ones(1 << 22).mul_(2).sum()
        assert torch.get_num_threads() == 2
        return None
    from types import SimpleNamespace
    from swift.model import get_processor
    from swift.template import get_template
    import swift_video_ext.plugin  # noqa: F401
    from swift_video_ext.hooks.train_check import check_token_budget
    rows = [json.loads(line) for line in open(sys.argv[2])]
    checked = []
    for model in sys.argv[3:]:  # every type's template and check in this one process
        model_dir, model_type = model.split('=')
        template = get_template(get_processor(model_dir, model_type=model_type), max_length=4096)
        template.set_mode('train')
        args = SimpleNamespace(truncation_strategy='delete', data_seed=0, model_type=model_type)
        checked.append(check_token_budget(template, rows, args)['rows'])
    return checked

summary = parent_work()
pid = os.fork()
if pid == 0:  # the forked worker: a parallel op, as datasets.map's encode does
    torch.ones(1 << 22).add_(1).sum()
    os._exit(0)
deadline = time.monotonic() + 20  # the op takes milliseconds; a deadlocked child never ends
while time.monotonic() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.2)
else:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print(json.dumps({'child_finished': bool(done), 'checked': summary}))
'''


def probe(*args: str) -> dict:
    result = subprocess.run([sys.executable, '-c', PROBE, *args], env=command_env(), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_probe_catches_a_parent_that_started_openmp():
    """The deadlock the probe looks for: torch ops in the parent, then a fork (if this fails, the others prove
    nothing on this machine)."""
    assert probe('torch_op') == {'child_finished': False, 'checked': None}


def test_torch_on_one_thread_leaves_the_process_forkable():
    """The same op inside :func:`torch_on_one_thread` (how the PLLaVA loader merges an official checkpoint's LoRA in
    the ``swift`` process) starts no pool: the fork works."""
    assert probe('one_thread_op') == {'child_finished': True, 'checked': None}


def test_plugin_and_token_check_leave_the_process_forkable(tmp_path):
    """Registration, a template of each type and its token check in one process; a fork afterwards works."""
    models = []
    for model_type, package in MODELS.items():
        build_tiny = importlib.import_module(f'swift_video_ext.models.{package}.tiny').build_tiny
        models.append(f'{build_tiny(tmp_path / package)}={model_type}')
    clip = write_counter_clip(tmp_path / 'clip.mp4', num_frames=40, fps=10)
    rows = write_jsonl(tmp_path / 'rows.jsonl', [
        {'messages': [{'role': 'user', 'content': '<video>What?'}, {'role': 'assistant', 'content': 'Up.'}],
         'videos': [str(clip)]}] * 2)
    assert probe('check', str(rows), *models) == {'child_finished': True, 'checked': [2, 2, 2]}
