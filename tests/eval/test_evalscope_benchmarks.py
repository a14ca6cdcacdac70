"""``swift_video_mvbench``: MVBench's released layout through ``swift eval`` (ms-swift → evalscope Native backend).

Known answers come from PLLaVA's own code (commit 6f49fd2, ``tasks/eval/mvbench/__init__.py``): ``check_ans`` run on
the responses below, ``MVBenchDataset.qa_template`` on the question below, and the prompt ``Conversation.get_prompt``
of ``conv_eval_mvbench`` builds in ``pllava_eval_mvbench.py`` (user_query with ``"\\nOnly give the best option."``,
answer prompt ``"Best option:("``).

The end-to-end tests need evalscope (``pip install evalscope==1.14.1``; skipped without it): one runs ``swift eval``
against a stub OpenAI server (``--eval_url``) that answers known letters and records what it receives; one runs
``swift eval`` with its own ``swift deploy`` of a tiny PLLaVA.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from swift_video_ext.eval.evalscope_benchmarks import (
    ANSWER_PREFIX,
    BENCHMARK_NAME,
    SYSTEM_MVBENCH,
    check_answer,
    cut_segment,
    qa_prompt,
    read_task,
    sent_video,
)
from tests.helpers import command_env, free_port

# check_ans(pred, '(B) Closing') as PLLaVA's code returns it.
OFFICIAL_CHECK_ANS = {
    '(B) Closing': True, '(b)': True, '(B).': True, '(B': True, 'B) Closing': True, '(A) Opening': False,
    '(C) Not sure': False, '(': False, '(Closing': False, '(b) closing.': True, '( B) Closing': False, '(BC)': False,
    '(e)': False, '(AB)': False, '(2) Closing': False, '(B)Closing the door': True, '(b.': True, '(option B': False,
}
# qa_template({'question': 'What is happening?', 'candidates': [...], 'answer': 'Closing'}) + user_query's post prompt
OFFICIAL_QUESTION = 'Question: What is happening?\nOptions:\n(A) Opening\n(B) Closing\n(C) Not sure'
OFFICIAL_USER_TEXT = OFFICIAL_QUESTION + ' \nOnly give the best option.'


@pytest.mark.parametrize('pred,expected', OFFICIAL_CHECK_ANS.items())
def test_check_answer_equals_official_check_ans(pred, expected):
    assert check_answer(pred, '(B) Closing') is expected


def test_qa_prompt_equals_official_qa_template():
    text, gt = qa_prompt('What is happening?', ['Opening', 'Closing', 'Not sure'], 'Closing')
    assert (text, gt) == (OFFICIAL_USER_TEXT, '(B) Closing')


def write_mini_mvbench(root: Path, clip: Path) -> Path:
    """Released MVBench layout: two tasks, one bounded (start/end), three rows."""
    for folder in ('ssv2_video', 'star/Charades_v1_480'):
        (root / 'video' / folder).mkdir(parents=True, exist_ok=True)
    (root / 'video/ssv2_video/a.mp4').write_bytes(clip.read_bytes())
    (root / 'video/star/Charades_v1_480/b.mp4').write_bytes(clip.read_bytes())
    (root / 'json').mkdir(exist_ok=True)
    antonym = [{'video': 'a.mp4', 'question': 'What is the action performed by the person in the video?',
                'candidates': ['Not sure', 'Scattering something down', 'Piling something up'],
                'answer': 'Piling something up'},
               {'video': 'a.mp4', 'question': 'What is happening?', 'candidates': ['Opening', 'Closing', 'Not sure'],
                'answer': 'Opening'}]
    sequence = [{'video': 'b.mp4', 'question': 'What happened after the person took the food?',
                 'candidates': ['Ate the medicine.', 'Tidied up the blanket.'], 'answer': 'Ate the medicine.',
                 'start': 0.5, 'end': 2.5}]
    (root / 'json/action_antonym.json').write_text(json.dumps(antonym))
    (root / 'json/action_sequence.json').write_text(json.dumps(sequence))
    return root


@pytest.fixture(scope='module')
def mini_mvbench(tmp_path_factory) -> Path:
    from swift_video_ext.video.synthetic import write_counter_clip

    root = tmp_path_factory.mktemp('mvbench')
    return write_mini_mvbench(root, write_counter_clip(root / 'clip.mp4', num_frames=24, fps=8, event=(1.0, 2.0)))


def test_read_task_resolves_released_layout(mini_mvbench):
    rows = read_task(str(mini_mvbench), 'action_sequence')
    assert [(r['video_path'], r['gt'], r['start']) for r in rows] == [
        (str(mini_mvbench / 'video/star/Charades_v1_480/b.mp4'), '(A) Ate the medicine.', 0.5)]


def decoded_counters(path: str | Path) -> list[int]:
    import av

    from swift_video_ext.video.synthetic import read_frame_counter

    with av.open(str(path)) as container:
        return [read_frame_counter(f.to_ndarray(format='rgb24')) for f in container.decode(video=0)]


def test_bounded_rows_send_the_segment_as_pllava_samples_it(tmp_path, mini_mvbench):
    # PLLaVA get_index(bound=(0.5, 2.5), fps=8): frames round(0.5*8)=4 .. round(2.5*8)=20 of the 24-frame clip.
    (row,) = read_task(str(mini_mvbench), 'action_sequence')
    assert decoded_counters(sent_video(row)) == list(range(4, 21))
    (unbounded, _) = read_task(str(mini_mvbench), 'action_antonym')
    assert sent_video(unbounded) == unbounded['video_path']
    with pytest.raises(ValueError, match=r'a\.mp4: no frame between 7\.0 s and 9\.0 s'):
        cut_segment(unbounded['video_path'], 7.0, 9.0, tmp_path / 'none.mp4')


def test_read_task_names_missing_videos_and_bad_rows(tmp_path, mini_mvbench):
    root = write_mini_mvbench(tmp_path / 'broken', mini_mvbench / 'clip.mp4')
    (root / 'video/ssv2_video/a.mp4').unlink()
    with pytest.raises(FileNotFoundError, match=r'2 of 2 videos not found, e\.g\. row 0: .*ssv2_video/a\.mp4'):
        read_task(str(root), 'action_antonym')
    (root / 'json/action_sequence.json').write_text(json.dumps([{'video': 'b.mp4', 'question': 'q',
                                                                  'candidates': ['x', 'y'], 'answer': 'z'}]))
    with pytest.raises(ValueError, match=r'action_sequence\.json row 0: .*not one of the candidates'):
        read_task(str(root), 'action_sequence')


def test_plugin_hooks_swift_eval_without_importing_evalscope():
    code = ('import sys, swift_video_ext.plugin; from swift.arguments import EvalArguments; '
            'from swift_video_ext.common.seam import is_patched; '
            'print(is_patched(EvalArguments.list_eval_dataset), '
            'sorted(m for m in sys.modules if m.split(".")[0] == "evalscope"))')
    result = subprocess.run([sys.executable, '-c', code], env=command_env(), capture_output=True, text=True,
                            timeout=300, check=True)
    assert result.stdout.strip().splitlines()[-1] == 'True []'


# ---- end to end: `swift eval` (needs evalscope) ----

needs_evalscope = pytest.mark.skipif(importlib.util.find_spec('evalscope') is None,
                                     reason='evalscope not installed (pip install evalscope==1.14.1)')

# Stub replies (what the model writes after "Best option:("): right, wrong, right.
STUB_REPLIES = {'What is the action performed': 'C) Piling something up', 'What is happening?': 'B) Closing',
                'What happened after': 'A) Ate the medicine.'}


class StubServer:
    """OpenAI-compatible chat server that replies by question and records each request body."""

    def __init__(self):
        self.bodies: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, payload: dict):
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._send({'object': 'list', 'data': [{'id': 'stub', 'object': 'model', 'owned_by': 'test'}]})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
                stub.bodies.append(body)
                text = next(p['text'] for m in body['messages'] if isinstance(m['content'], list)
                            for p in m['content'] if p['type'] == 'text')
                reply = next(r for key, r in STUB_REPLIES.items() if key in text)
                self._send({'id': 'x', 'object': 'chat.completion', 'created': 0, 'model': body['model'],
                            'choices': [{'index': 0, 'finish_reason': 'stop',
                                         'message': {'role': 'assistant', 'content': reply}}],
                            'usage': {'prompt_tokens': 1, 'completion_tokens': 1, 'total_tokens': 2}})

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.server.server_address[1]}/v1'
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def swift_eval(model_dir: Path, dataset: Path, out: Path, *extra: str, timeout: int = 900) -> dict:
    """``swift eval`` (this interpreter's ms-swift) on the mini set; returns evalscope's report JSON."""
    args = {'dataset_id': str(dataset), 'subset_list': ['action_antonym', 'action_sequence']}
    command = [sys.executable, '-m', 'swift.cli.main', 'eval', '--model', str(model_dir), '--model_type', 'pllava',
               '--eval_backend', 'Native', '--eval_dataset', BENCHMARK_NAME, '--eval_num_proc', '1',
               '--eval_dataset_args', json.dumps({BENCHMARK_NAME: args}), '--eval_output_dir', str(out / 'eval'),
               '--eval_generation_config', json.dumps({'max_tokens': 8, 'temperature': 0}), *extra]
    result = subprocess.run(command, env=command_env(), cwd=out, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f'swift eval failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}'
    (report,) = (out / 'eval').glob(f'native/*/reports/*/{BENCHMARK_NAME}.json')
    return json.loads(report.read_text())


def subset_scores(report: dict) -> dict[str, tuple[int, float]]:
    (metric,) = report['metrics']
    return {s['name']: (s['num'], s['score']) for c in metric['categories'] for s in c['subsets']}


@pytest.mark.slow
@needs_evalscope
def test_swift_eval_scores_like_pllava_and_sends_its_prompt(tmp_path, mini_mvbench, tiny_pllava):
    stub = StubServer()
    try:
        report = swift_eval(tiny_pllava, mini_mvbench, tmp_path, '--eval_url', stub.url)
    finally:
        stub.close()
    # PLLaVA's Avg = correct / total over all rows: 2 of 3; per task 1/2 and 1/1.
    assert subset_scores(report) == {'action_antonym': (2, 0.5), 'action_sequence': (1, 1.0)}
    assert report['metrics'][0]['score'] == pytest.approx(2 / 3, abs=1e-4)

    body = next(b for b in stub.bodies if 'What is happening?' in json.dumps(b))
    system, user, assistant = body['messages']
    assert system == {'role': 'system', 'content': SYSTEM_MVBENCH}
    assert assistant == {'role': 'assistant', 'content': ANSWER_PREFIX}
    video_part, text_part = user['content']
    assert text_part == {'type': 'text', 'text': 'Question: What is happening?\nOptions:\n(A) Opening\n(B) Closing\n'
                                                 '(C) Not sure \nOnly give the best option.'}
    header, payload = video_part['video_url']['url'].split(',', 1)
    assert header == 'data:video/mp4;base64'
    assert base64.b64decode(payload) == (mini_mvbench / 'video/ssv2_video/a.mp4').read_bytes()

    bounded = next(b for b in stub.bodies if 'What happened after' in json.dumps(b))
    clip = tmp_path / 'received.mp4'
    clip.write_bytes(base64.b64decode(bounded['messages'][1]['content'][0]['video_url']['url'].split(',', 1)[1]))
    assert decoded_counters(clip) == list(range(4, 21))  # only the [0.5 s, 2.5 s] segment went to the server

    # What the deploy server builds from this request with --template pllava_eval: PLLaVA's eval_mvbench prompt.
    assert server_prompt(tiny_pllava, body) == (
        SYSTEM_MVBENCH + ' USER: <video>\n USER: Question: What is happening?\nOptions:\n(A) Opening\n(B) Closing\n'
        '(C) Not sure \nOnly give the best option. ASSISTANT:Best option:(')


def server_prompt(model_dir: Path, body: dict) -> str:
    """The text ``swift deploy --template pllava_eval`` encodes for ``body`` (video tokens shown as ``<video>``)."""
    from swift.infer_engine.protocol import ChatCompletionRequest
    from swift.model import get_processor
    from swift.template import get_template

    import swift_video_ext.plugin  # noqa: F401

    request, _ = ChatCompletionRequest(**body).parse()
    template = get_template(get_processor(str(model_dir), model_type='pllava'), template_type='pllava_eval')
    template.set_mode('transformers')
    text = template.safe_decode(template.encode(request)['input_ids'])  # a run of N ids shows as "[id * N]"
    bos = template.tokenizer.bos_token or ''
    assert text.startswith(bos)
    return re.sub(r'\[-?\d+ \* \d+\]', '<video>', text[len(bos):])


@pytest.mark.slow
@needs_evalscope
def test_swift_eval_deploys_tiny_pllava(tmp_path, mini_mvbench, tiny_pllava):
    report = swift_eval(tiny_pllava, mini_mvbench, tmp_path, '--template', 'pllava_eval', '--torch_dtype', 'float32',
                        '--host', '127.0.0.1', '--port', str(free_port()))
    scores = subset_scores(report)
    assert {name: num for name, (num, _) in scores.items()} == {'action_antonym': 2, 'action_sequence': 1}
    (predictions,) = (tmp_path / 'eval').glob(f'native/*/predictions/*/{BENCHMARK_NAME}_action_antonym.jsonl')
    rows = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert len(rows) == 2 and all(r['model_output']['choices'][0]['message']['content'] for r in rows)
