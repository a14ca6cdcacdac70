"""Our models through vLLM: `swift infer --infer_backend vllm` gives the pt backend's greedy output (PLLaVA,
MiniGPT4-Video, CogVLM2-Video); `swift deploy --infer_backend vllm` answers the openai client with a base64 video
(each of the three)."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import BIN, free_port, run, write_jsonl
from tests.vllm.conftest import needs_vllm, vllm_env

pytestmark = [pytest.mark.slow, needs_vllm]
# vLLM CPU: its own KV cache size (it would ask for most of the RAM), no graph capture, a short context.
VLLM_ARGS = ['--infer_backend', 'vllm', '--vllm_max_model_len', '1024', '--vllm_enforce_eager', 'true',
             '--vllm_engine_kwargs', json.dumps({'kv_cache_memory_bytes': 256 << 20})]
COMMON = ['--torch_dtype', 'float32', '--temperature', '0', '--max_new_tokens', '12']
QUESTION = 'What is in the video?'


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """Tiny PLLaVA whose text attention has head_dim 32 (vLLM's CPU attention needs 32, 64, 80, …)."""
    from swift_video_ext.models.pllava.tiny import TINY_DIMS, build_tiny

    dims = {'vision': TINY_DIMS['vision'],
            'text': {**TINY_DIMS['text'], 'num_attention_heads': 2, 'num_key_value_heads': 2}}
    return build_tiny(tmp_path_factory.mktemp('vllm') / 'pllava', dims=dims)


@pytest.fixture(scope='module')
def tiny_minigpt4(tmp_path_factory):
    """Tiny MiniGPT4-Video (Llama-2 layout) with text head_dim 32."""
    from swift_video_ext.models.minigpt4_video import tiny as module

    def text_config(tokenizer, family='llama2'):
        return {**default(tokenizer, family), 'num_attention_heads': 2, 'num_key_value_heads': 2}

    default = module.tiny_text_config
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, 'tiny_text_config', text_config)
        return module.build_tiny(tmp_path_factory.mktemp('vllm') / 'minigpt4_video')


@pytest.fixture(scope='module')
def tiny_cogvlm(tmp_path_factory):
    """Tiny CogVLM2-Video with text head_dim 32 and weights of std 0.1: at the default 0.02 its logits span ±0.6
    and greedy output does not change even with wrong positions (measured: arange positions changed the answer of
    none of the rows); at 0.1 they do (3 of the 4 rows below), so equal output means equal positions."""
    from swift_video_ext.models.cogvlm2_video.tiny import TINY_DIMS, build_tiny

    dims = {**TINY_DIMS, 'num_attention_heads': 2, 'num_multi_query_heads': 2, 'initializer_range': 0.1}
    return build_tiny(tmp_path_factory.mktemp('vllm') / 'cogvlm2_video', dims=dims)


@pytest.fixture(scope='module')
def rows(tmp_path_factory):
    from PIL import Image

    from swift_video_ext.video.synthetic import write_counter_clip

    root = tmp_path_factory.mktemp('vllm_rows')
    clip = str(write_counter_clip(root / 'clip.mp4', num_frames=30, fps=10, event=(0.0, 3.0)))
    image = root / 'img.png'
    Image.fromarray((np.random.RandomState(0).rand(64, 80, 3) * 255).astype('uint8')).save(image)
    data = [
        {'messages': [{'role': 'user', 'content': f'<video>{QUESTION}'}], 'videos': [clip]},
        {'messages': [{'role': 'user', 'content': '<image>Describe the picture.'}], 'images': [str(image)]},
        {'messages': [{'role': 'user', 'content': 'Tell me a story.'}]},
        {'messages': [{'role': 'user', 'content': '<image>What is this?'}, {'role': 'assistant', 'content': 'a dot'},
                      {'role': 'user', 'content': '<video>And this?'}], 'images': [str(image)], 'videos': [clip]},
    ]
    # CogVLM2-Video takes one video or image per sample: its multi-turn row has a text turn before the video
    cog_data = [*data[:3], {'messages': [{'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'a dot'},
                                         {'role': 'user', 'content': '<video>And this?'}], 'videos': [clip]}]
    return {'path': write_jsonl(root / 'rows.jsonl', data), 'cog_path': write_jsonl(root / 'cog.jsonl', cog_data),
            'clip': clip, 'root': root}


def infer(model, rows_path, out, backend_args):
    run(['swift', 'infer', '--model', str(model), '--val_dataset', str(rows_path), '--result_path', str(out),
         *COMMON, *backend_args], env=vllm_env(), timeout=1200)
    return [json.loads(line)['response'] for line in out.read_text().splitlines() if line.strip()]


@pytest.fixture(scope='module')
def pt_responses(tiny, rows):
    return infer(tiny, rows['path'], rows['root'] / 'pt.jsonl', ['--infer_backend', 'pt'])


def test_vllm_greedy_equals_pt_on_video_image_text_and_multi_turn(tiny, rows, pt_responses):
    got = infer(tiny, rows['path'], rows['root'] / 'vllm.jsonl', VLLM_ARGS)
    assert len(got) == len(pt_responses) == 4 and all(pt_responses)
    assert got == pt_responses


@pytest.fixture(scope='module')
def minigpt4_pt_responses(tiny_minigpt4, rows):
    return infer(tiny_minigpt4, rows['path'], rows['root'] / 'mg_pt.jsonl', ['--infer_backend', 'pt'])


def test_minigpt4_video_vllm_greedy_equals_pt(tiny_minigpt4, rows, minigpt4_pt_responses):
    got = infer(tiny_minigpt4, rows['path'], rows['root'] / 'mg_vllm.jsonl', VLLM_ARGS)
    assert len(got) == 4 and all(minigpt4_pt_responses)
    assert got == minigpt4_pt_responses


@pytest.fixture(scope='module')
def cog_pt_responses(tiny_cogvlm, rows):
    return infer(tiny_cogvlm, rows['cog_path'], rows['root'] / 'cog_pt.jsonl', ['--infer_backend', 'pt'])


def test_cogvlm2_video_vllm_greedy_equals_pt(tiny_cogvlm, rows, cog_pt_responses):
    """Video, image (a one-frame video), text and multi-turn rows, CogVLM positions through vLLM's M-RoPE hook."""
    got = infer(tiny_cogvlm, rows['cog_path'], rows['root'] / 'cog_vllm.jsonl', VLLM_ARGS)
    assert len(got) == 4 and all(cog_pt_responses)
    assert got == cog_pt_responses


def wait_for_server(process, port: int, timeout: float) -> None:
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise AssertionError(f'swift deploy exited with {process.returncode}')
        try:
            urllib.request.urlopen(f'http://127.0.0.1:{port}/v1/models', timeout=5)
            return
        except OSError:
            time.sleep(5)
    raise AssertionError(f'swift deploy did not answer on port {port} within {timeout:.0f} s')


# model -> (its tiny checkpoint fixture, its pt responses fixture)
DEPLOYED = {'pllava': ('tiny', 'pt_responses'), 'cogvlm2_video': ('tiny_cogvlm', 'cog_pt_responses'),
            'minigpt4_video': ('tiny_minigpt4', 'minigpt4_pt_responses')}


@pytest.mark.parametrize('model', list(DEPLOYED))
def test_deploy_answers_openai_client_with_base64_video(model, request, rows, tmp_path):
    from openai import OpenAI

    checkpoint_fixture, responses_fixture = DEPLOYED[model]
    tiny = request.getfixturevalue(checkpoint_fixture)
    want = request.getfixturevalue(responses_fixture)[0]
    port = free_port()
    with open(tmp_path / 'deploy.log', 'w') as log:
        process = subprocess.Popen([str(BIN / 'swift'), 'deploy', '--model', str(tiny), '--port', str(port),
                                    '--host', '127.0.0.1', '--torch_dtype', 'float32', *VLLM_ARGS],
                                   env=vllm_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_server(process, port, timeout=900)
        client = OpenAI(base_url=f'http://127.0.0.1:{port}/v1', api_key='EMPTY')
        video = base64.b64encode(Path(rows['clip']).read_bytes()).decode()
        reply = client.chat.completions.create(
            model=client.models.list().data[0].id, temperature=0, max_tokens=12,
            messages=[{'role': 'user', 'content': [
                {'type': 'video_url', 'video_url': {'url': f'data:video/mp4;base64,{video}'}},
                {'type': 'text', 'text': QUESTION}]}])
        assert reply.choices[0].message.content == want
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
