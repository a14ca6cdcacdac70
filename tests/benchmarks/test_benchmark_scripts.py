"""The benchmark scripts run (tiny configs on CPU), so the GPU figures can be reproduced with one command."""

import json
import os
import runpy
import sys

import pytest

from tests.conftest import REPO_ROOT


def run_script(name, argv, capsys):
    old = sys.argv
    sys.argv = [name, *argv]
    try:
        runpy.run_path(str(REPO_ROOT / 'benchmarks' / name), run_name='__main__')
    finally:
        sys.argv = old
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{')]


@pytest.mark.parametrize('variant', ['pooled', 'unpooled'])
def test_gpu_lora_step_script_tiny_on_cpu(variant, capsys, tmp_path):
    (result,) = run_script('gpu_lora_step.py', ['--model-type', 'pllava', '--variant', variant, '--tiny', '--device',
                                                'cpu', '--dtype', 'fp32', '--steps', '1', '--warmup', '0',
                                                '--frames', '4', '--markdown', str(tmp_path / 'b.md')], capsys)
    assert result['step_s'] > 0 and result['tiny'] and (tmp_path / 'b.md').read_text().count('|') >= 8


def test_gpu_lora_step_script_cogvlm2_tiny(capsys):
    (result,) = run_script('gpu_lora_step.py', ['--model-type', 'cogvlm2_video_ts', '--tiny', '--device', 'cpu',
                                                '--dtype', 'fp32', '--steps', '1', '--warmup', '0', '--frames', '3'],
                           capsys)
    assert result['step_s'] > 0 and 'CogVLM2' in result['description']


def test_gpu_lora_step_script_minigpt4_tiny(capsys):
    (result,) = run_script('gpu_lora_step.py', ['--model-type', 'minigpt4_video', '--tiny', '--device', 'cpu',
                                                '--dtype', 'fp32', '--steps', '1', '--warmup', '0', '--frames', '3'],
                           capsys)
    assert result['step_s'] > 0 and 'MiniGPT4' in result['description']


def test_gpu_lora_step_script_gemma4_tiny_sweep(capsys):
    results = run_script('gpu_lora_step.py', ['--model-type', 'gemma4', '--tiny', '--device', 'cpu', '--dtype',
                                              'fp32', '--steps', '1', '--warmup', '0', '--frames', '4', '--sweep'],
                         capsys)
    fastest = results[-1]['fastest']
    assert len(results) == 9 and fastest['samples_per_s'] == max(r['samples_per_s'] for r in results[:-1])
    assert 'Gemma-4' in fastest['description']


def test_sampling_benchmark_smoke(tmp_path, capsys):
    """Tiny clips: every method runs, our frames equal a full decode, the decode bound is computed."""
    import importlib.util

    spec = importlib.util.spec_from_file_location('sampling_bench', REPO_ROOT / 'benchmarks' / 'sampling.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    report = module.main(['--clips', 'smoke', '--repeats', '1', '--frames', '16', '--clip-dir', str(tmp_path),
                          '--output', str(tmp_path / 'sampling.json')])
    assert report['all_identical_to_full_decode'] and len(report['rows']) == 2
    long, short = report['rows']
    assert {'ours', 'full_decode', 'swift_llava'} <= set(long['seconds']) and 'full_decode_rgb' in short['seconds']
    assert 1 < long['exact_decoding_speedup_bound'] < long['frames'] / 16
    assert json.loads((tmp_path / 'sampling.json').read_text())['rows'] == report['rows']


def test_dataloader_benchmark_smoke(tmp_path):
    """Tiny clips, one model type: the three epochs run through ms-swift's dataset and a DataLoader."""
    import importlib.util

    spec = importlib.util.spec_from_file_location('dataloader_bench', REPO_ROOT / 'benchmarks' / 'dataloader.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    report = module.main(['--model-types', 'cogvlm2_video_ts', '--clips', '2', '--seconds', '3', '--size', '96x64',
                          '--workers', '0', '--clip-dir', str(tmp_path / 'clips'),
                          '--output', str(tmp_path / 'dl.json')])
    (row,) = report['rows']
    assert row['model_type'] == 'cogvlm2_video_ts' and row['strategy'] == 'per_second'
    assert all(v > 0 for v in row['samples_per_s'].values()) and row['cache_mib_per_video'] > 0
    assert 'SWIFT_VIDEO_CACHE_DIR' not in os.environ


def load_benchmark(name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name.replace('.py', '_bench'), REPO_ROOT / 'benchmarks' / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gpu_train_steady_rate_leaves_out_warmup():
    module = load_benchmark('gpu_train.py')
    # 2 slow warm-up steps (10 s each), then 1 s per step: cumulative s/it as ms-swift logs it
    elapsed = [10, 20, 21, 22, 23, 24]
    records = [{'loss': 1.0, 'global_step/max_steps': f'{i + 1}/6', 'train_speed(s/it)': t / (i + 1)}
               for i, t in enumerate(elapsed)]
    assert module.steady_samples_per_s(records, warmup=2, samples_per_step=8) == 8.0
    assert module.steady_samples_per_s(records, warmup=0, samples_per_step=8) < 8.0 * 5 / 14 + 1e-6


@pytest.mark.slow
def test_gpu_train_script_runs_a_recipe_on_cpu(tmp_path):
    """The GPU benchmark's whole path (checkpoint, data, cache, the example recipe via swift sft, metrics), tiny."""
    module = load_benchmark('gpu_train.py')
    (result,) = module.main(['--tiny', '--cpu', '--model-types', 'cogvlm2_video_ts', '--steps', '3', '--warmup', '1',
                             '--clips', '2', '--seconds', '3', '--work-dir', str(tmp_path),
                             '--markdown', str(tmp_path / 'table.md')])
    assert result['recipe'] == 'examples/cogvlm2_video/sft_lora.sh' and result['samples_per_s'] > 0
    assert result['final_loss'] is not None
    assert list((tmp_path / 'cogvlm2_video_ts_cache').rglob('*.npz'))  # the frames were cached ahead
    assert '| cogvlm2_video_ts (tiny) | CPU |' in (tmp_path / 'table.md').read_text()


def test_gpu_packing_script_on_cpu_with_sdpa(capsys):
    """The GPU packing check's whole path, with sdpa in float32 on CPU (flash-attn needs a GPU)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location('gpu_packing', REPO_ROOT / 'benchmarks' / 'gpu_packing.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    status = module.main(['--model-types', 'cogvlm2_video_ts', '--device', 'cpu', '--attn-impl', 'sdpa', '--dtype',
                          'fp32', '--atol', '2e-5'])
    (result,) = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{')]
    assert status == 0 and result['ok'] and result['logits'] < 2e-5 and result['control'] > 1e-3, result
