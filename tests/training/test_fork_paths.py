"""Every path on which ms-swift forks after the plugin ran in the ``swift`` process finishes (issue 22).

``datasets.map`` workers (``--lazy_tokenize false``, ``--dataset_num_proc 2``, ``swift export
--to_cached_dataset``) and DataLoader workers (``--dataloader_num_workers 2``, here with the frame cache) are forked
after the start-of-training token check ran; before the check moved to its own process, the map workers deadlocked
in OpenMP. One step per run, tiny models, four rows; each command has a hard timeout that turns a hang into a
failure (and kills the command's processes).
"""

import importlib
import json

import pytest

from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import CPU_TRAIN_ARGS, command_env, run_bounded, write_jsonl

pytestmark = pytest.mark.slow
TYPES = {'pllava': 'pllava', 'cogvlm2_video_ts': 'cogvlm2_video', 'minigpt4_video': 'minigpt4_video'}
TIMEOUT_S = 240
QUESTION = '<video>What happens?'


def cpu_args(**overrides: str) -> list[str]:
    args = list(CPU_TRAIN_ARGS)
    for key, value in overrides.items():
        args[args.index(f'--{key}') + 1] = value
    return args


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('fork_paths')
    clips = [write_counter_clip(root / f'clip{i}.mp4', num_frames=20 + 10 * i, fps=10) for i in range(3)]
    videos = [clips[0], clips[1], root / 'gone.mp4', clips[2]]  # line 3: a missing file, named by the check
    sft = [{'messages': [{'role': 'user', 'content': QUESTION}, {'role': 'assistant', 'content': 'It counts.'}],
            'videos': [str(video)]} for video in videos]
    dpo = [dict(row, rejected_response='Nothing at all happens in it.') for row in sft]
    del dpo[2]  # DPO: every row usable
    return {'root': root, 'sft': write_jsonl(root / 'sft.jsonl', sft), 'dpo': write_jsonl(root / 'dpo.jsonl', dpo),
            'gone': root / 'gone.mp4'}


@pytest.fixture(scope='module', params=list(TYPES))
def model(request, tmp_path_factory):
    build_tiny = importlib.import_module(f'swift_video_ext.models.{TYPES[request.param]}.tiny').build_tiny
    return request.param, build_tiny(tmp_path_factory.mktemp(f'fork_{request.param}') / 'model')


def model_args(model) -> list[str]:
    model_type, model_dir = model
    return ['--model', str(model_dir), '--model_type', model_type]


def test_sft_encoding_up_front_in_forked_map_workers(model, data, tmp_path):
    """``--lazy_tokenize false --dataset_num_proc 2`` (+ 2 DataLoader workers): the check ran, names the bad row by
    its line, and training finishes."""
    result = run_bounded(['swift', 'sft', *model_args(model), '--dataset', str(data['sft']), '--lazy_tokenize',
                          'false', '--dataset_num_proc', '2', '--tuner_type', 'lora', '--max_steps', '1',
                          '--per_device_train_batch_size', '2', '--save_strategy', 'no', '--output_dir',
                          str(tmp_path / 'out'), *cpu_args(dataloader_num_workers='2')], timeout=TIMEOUT_S)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    assert 'token budget check (all 4 rows)' in log and f'row 3 {data["gone"]}: error' in log
    assert 'train_runtime' in log


def test_dpo_with_dataloader_workers_and_the_frame_cache(model, data, tmp_path):
    """``swift rlhf --rlhf_type dpo`` with 2 DataLoader workers decoding through the frame cache: the check plans
    the preference rows (no ``KeyError``) and training finishes; the workers filled the cache."""
    cache = tmp_path / 'cache'
    env = command_env(SWIFT_VIDEO_CACHE_DIR=str(cache))
    result = run_bounded(['swift', 'rlhf', '--rlhf_type', 'dpo', *model_args(model), '--dataset', str(data['dpo']),
                          '--tuner_type', 'lora', '--max_steps', '1', '--per_device_train_batch_size', '2',
                          '--save_strategy', 'no', '--output_dir', str(tmp_path / 'out'),
                          *cpu_args(dataloader_num_workers='2')], timeout=TIMEOUT_S, env=env)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    assert 'token budget check (all 3 rows): every row fits' in log and 'token budget check skipped' not in log
    assert 'train_runtime' in log and any(cache.rglob('*.npz'))


def test_export_to_cached_dataset(model, data, tmp_path):
    """``swift export --to_cached_dataset true --dataset_num_proc 2`` encodes in forked map workers too."""
    output = tmp_path / 'cached'
    result = run_bounded(['swift', 'export', *model_args(model), '--dataset', str(data['dpo']), '--to_cached_dataset',
                          'true', '--dataset_num_proc', '2', '--max_length', '4096', '--output_dir', str(output)],
                         timeout=TIMEOUT_S)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    assert 'token budget check (all 3 rows): every row fits' in log
    assert json.loads((output / 'train' / 'state.json').read_text())['_data_files']
