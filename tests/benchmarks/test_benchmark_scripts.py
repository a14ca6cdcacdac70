"""The benchmark scripts run (tiny configs on CPU), so the GPU figures can be reproduced with one command."""

import json
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
