"""`swift deploy --infer_backend pt` on a merged tiny export of each model type, queried with the official `openai`
client: a video as a base64 data URL and as a server-side path, an image, text only, two requests at once, streamed
(``stream=True``) and not. Every answer (temperature 0) equals offline `swift infer` on the same row. `file://` URLs
are refused by ms-swift (422).

Each model type: a short LoRA `swift sft` (Gemma-4: the card recipe, image rows with `gemma4_nothinking`, so its
video request checks that such an export takes videos), `swift export --merge_lora true`, one offline
`swift infer` over all rows, one server for all requests. The server runs in its own process group, killed at the
end even when a check fails.
"""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from swift_video_ext.video.synthetic import write_counter_clip, write_frame_folder
from tests.helpers import BIN, CPU_TRAIN_ARGS, command_env, free_port, last_checkpoint, run, write_jsonl

pytestmark = pytest.mark.slow
openai = pytest.importorskip('openai')

QUESTION, MAX_TOKENS, START_TIMEOUT_S = 'What happens in the video?', 6, 600
GEMMA4_TEXT_LAYERS = r'^model\.language_model\.layers\.\d+\.(self_attn\.(q|k|v|o)_proj|mlp\.(gate|up|down)_proj)$'
# model type → extra `swift sft` arguments (LoRA targets; Gemma-4: the card recipe's template)
SFT_ARGS = {
    'pllava': ['--target_regex', r'^model\.language_model.*\.(q_proj|v_proj)$'],
    'cogvlm2_video_ts': ['--target_modules', 'all-linear'],
    'minigpt4_video': ['--target_regex', r'^language_model.*\.(q_proj|v_proj)$'],
    'gemma4': ['--template', 'gemma4_nothinking', '--target_regex', GEMMA4_TEXT_LAYERS, '--freeze_vit', 'true'],
}


def user_row(text: str, videos=(), images=()) -> dict:
    tags = '<video>' * len(videos) + '<image>' * len(images)
    return {'messages': [{'role': 'user', 'content': tags + text}, {'role': 'assistant', 'content': 'unused'}],
            'videos': [str(v) for v in videos], 'images': [str(i) for i in images]}


@pytest.fixture(scope='module')
def media(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp('serving_media')
    return {'video': write_counter_clip(root / 'clip.mp4', num_frames=36, fps=12, event=(1.0, 2.0)),
            'image': write_frame_folder(root / 'frames', 1, width=64, height=48)[0]}


@pytest.fixture(scope='module')
def rows(media) -> dict[str, dict]:
    return {'video': user_row(QUESTION, videos=[media['video']]),
            'image': user_row('What is in the picture?', images=[media['image']]),
            'text': user_row('Say something.')}


def train_and_merge(model_type: str, root: Path, media: dict) -> Path:
    model_dir = root / 'tiny'
    run(['swift-video', 'tiny-model', model_type, str(model_dir)])
    if model_type == 'gemma4':  # the card recipe trains on image rows
        train = [user_row('Which action is this?', images=[media['image']] * 2)]
    else:
        train = [user_row(QUESTION, videos=[media['video']])]
    dataset = write_jsonl(root / 'train.jsonl', train * 2)
    run(['swift', 'sft', '--model', str(model_dir), '--model_type', model_type, '--dataset', str(dataset),
         '--tuner_type', 'lora', '--lora_rank', '4', *SFT_ARGS[model_type], '--max_steps', '1',
         '--per_device_train_batch_size', '1', '--save_steps', '1', '--output_dir', str(root / 'run'),
         *CPU_TRAIN_ARGS])
    checkpoint = last_checkpoint(root / 'run')
    run(['swift', 'export', '--adapters', str(checkpoint), '--merge_lora', 'true'])
    return checkpoint.parent / f'{checkpoint.name}-merged'


def offline_answers(merged: Path, rows: dict[str, dict], root: Path) -> dict[str, str]:
    import json

    names = list(rows)
    dataset = write_jsonl(root / 'infer.jsonl', [rows[n] for n in names])
    result = root / 'offline.jsonl'
    run(['swift', 'infer', '--model', str(merged), '--val_dataset', str(dataset), '--temperature', '0',
         '--max_new_tokens', str(MAX_TOKENS), '--result_path', str(result), '--max_batch_size', '1'])
    answers = [json.loads(line)['response'] for line in result.read_text().splitlines() if line.strip()]
    assert len(answers) == len(names)
    return dict(zip(names, answers, strict=True))


@contextlib.contextmanager
def deployed(merged: Path, log: Path):
    """``swift deploy`` in its own process group on a free port; yields the base URL; kills the group."""
    port = free_port()
    command = [str(BIN / 'swift'), 'deploy', '--model', str(merged), '--infer_backend', 'pt', '--host', '127.0.0.1',
               '--port', str(port), '--temperature', '0', '--max_new_tokens', str(MAX_TOKENS)]
    with open(log, 'w') as out:
        server = subprocess.Popen(command, env=command_env(), stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)  # setsid: the server and its children in one group
    try:
        url = f'http://127.0.0.1:{port}/v1'
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert server.poll() is None, f'swift deploy exited {server.returncode}:\n{log.read_text()[-4000:]}'
            assert time.monotonic() < deadline, f'not up in {START_TIMEOUT_S} s:\n{log.read_text()[-4000:]}'
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f'{url}/models', timeout=5).close()
                break
            time.sleep(2)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


def content(text: str, media_type: str | None = None, url: str | None = None) -> list[dict]:
    parts = [{'type': f'{media_type}_url', f'{media_type}_url': {'url': url}}] if media_type else []
    return [*parts, {'type': 'text', 'text': text}]


def ask(client, model: str, parts: list[dict]) -> str:
    response = client.chat.completions.create(model=model, messages=[{'role': 'user', 'content': parts}],
                                              temperature=0, max_tokens=MAX_TOKENS)
    return response.choices[0].message.content


def ask_streamed(client, model: str, parts: list[dict]) -> str:
    """The answer as ``stream=True`` delivers it: the deltas joined."""
    chunks = client.chat.completions.create(model=model, messages=[{'role': 'user', 'content': parts}],
                                            temperature=0, max_tokens=MAX_TOKENS, stream=True)
    return ''.join(chunk.choices[0].delta.content or '' for chunk in chunks if chunk.choices)


@pytest.mark.parametrize('model_type', list(SFT_ARGS))
def test_openai_client_answers_equal_offline_infer(model_type, media, rows, tmp_path):
    merged = train_and_merge(model_type, tmp_path, media)
    expected = offline_answers(merged, rows, tmp_path)
    video_b64 = 'data:video/mp4;base64,' + base64.b64encode(Path(media['video']).read_bytes()).decode()
    requests = {
        'video as data URL': ('video', content(QUESTION, 'video', video_b64)),
        'video as server path': ('video', content(QUESTION, 'video', str(media['video']))),
        'image as server path': ('image', content('What is in the picture?', 'image', str(media['image']))),
        'text only': ('text', content('Say something.')),
    }
    with deployed(merged, tmp_path / 'deploy.log') as url:
        client = openai.OpenAI(base_url=url, api_key='EMPTY', timeout=300, max_retries=0)
        model = client.models.list().data[0].id
        for name, (row, parts) in requests.items():
            assert ask(client, model, parts) == expected[row], name
        for name in ('video as data URL', 'text only'):  # streamed text is the same text, leading spaces included
            assert ask_streamed(client, model, requests[name][1]) == expected[requests[name][0]], f'{name}, streamed'
        with ThreadPoolExecutor(2) as pool:  # two requests at once
            both = list(pool.map(lambda parts: ask(client, model, parts), [requests['video as data URL'][1],
                                                                           requests['text only'][1]]))
        assert both == [expected['video'], expected['text']]
        with pytest.raises(openai.UnprocessableEntityError) as refused:  # ms-swift's validation: use a plain path
            ask(client, model, content(QUESTION, 'video', Path(media['video']).as_uri()))
        assert refused.value.status_code == 422 and 'file://' in refused.value.response.text
