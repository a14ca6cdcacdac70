"""The lmms-eval plugin with the real lmms-eval (``make test-lmms``; skipped where lmms_eval is not importable).

- the ``lmms_eval.models`` entry point makes ``--model swift_video`` resolve to our class;
- ``SwiftVideoLMM.generate_until`` on lmms-eval ``Instance``s hands the document's video PATH to our sampler, and an
  UPPER_CASE model arg (``NUM_FRAMES=6``) is an env knob that reaches the template and the recorded settings;
- end to end, for each model type: ``python -m lmms_eval --model swift_video --include_path tests/lmms_plugin/tasks
  --tasks tiny_video_mc`` on a tiny random checkpoint exits 0, scores every document, and answers exactly what greedy
  ``swift infer`` answers on the same rows (same template, same sampler; lmms-eval's ``until`` cut applied); the
  task's answers are set so that exact match must come out 0.5. A LoRA checkpoint (``adapters=``) answers as
  ``swift infer --adapters`` does (and not as its base model), and its rank and alpha are recorded.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import CPU_TRAIN_ARGS, command_env, last_checkpoint, run, write_jsonl, write_solid_clip

lmms_eval = pytest.importorskip('lmms_eval', reason='lmms-eval is not installed here; run `make test-lmms`')

TASKS = Path(__file__).parent / 'tasks'
TASK = 'tiny_video_mc'
UNTIL = '\n\n'  # tiny_video_mc.yaml's generation_kwargs.until
MAX_NEW_TOKENS = 8  # tiny_video_mc.yaml's generation_kwargs.max_new_tokens
COLOURS = [(220, 30, 30), (30, 200, 40), (40, 60, 230), (240, 240, 240)]


def task_utils():
    spec = importlib.util.spec_from_file_location('tiny_video_mc_utils', TASKS / TASK / 'utils.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def docs(tmp_path_factory) -> list[dict]:
    root = tmp_path_factory.mktemp('lmms_docs')
    return [{'video': str(write_solid_clip(root / f'clip{i}.mp4', rgb, num_frames=20 + 5 * i, fps=10)),
             'question': 'Which colour fills the video?', 'options': ['red', 'green', 'blue', 'white'],
             'answer': 'unset'} for i, rgb in enumerate(COLOURS)]


def test_entry_point_registers_our_model():
    from lmms_eval.models import get_model, list_available_models

    from swift_video_ext.lmms_plugin.model import SwiftVideoLMM

    assert get_model('swift_video') is SwiftVideoLMM
    assert 'swift-video' in list_available_models(include_aliases=True)


def test_generate_until_hands_the_video_path_to_our_sampler(tiny_pllava, docs, monkeypatch):
    from lmms_eval.api.instance import Instance

    from swift_video_ext.common.template import VideoTemplate
    from swift_video_ext.lmms_plugin.model import SwiftVideoLMM

    seen = []
    original = VideoTemplate.sample_video
    monkeypatch.setattr(VideoTemplate, 'sample_video', lambda self, video: seen.append(video) or original(self, video))
    monkeypatch.setenv('NUM_FRAMES', '4')  # restored after the test: ms-swift exports model_kwargs to os.environ
    model = SwiftVideoLMM(pretrained=str(tiny_pllava), torch_dtype='float32', batch_size='2', NUM_FRAMES=6)
    model.task_dict = {TASK: {'test': docs}}
    utils = task_utils()
    gen_kwargs = {'max_new_tokens': 4, 'temperature': 0, 'until': [UNTIL]}
    requests = [Instance('generate_until', (utils.doc_to_text(doc), gen_kwargs, utils.doc_to_visual, i, TASK, 'test'),
                         idx=0, metadata={'task': TASK, 'doc_id': i, 'repeats': 1}) for i, doc in enumerate(docs)]
    answers = model.generate_until(requests)
    assert len(answers) == len(docs) and all(isinstance(a, str) for a in answers)
    assert sorted(seen) == sorted(doc['video'] for doc in docs)
    assert model.settings['max_batch_size'] == 2
    assert model.settings['video_sampling']['num_frames'] == 6 and model.settings['env'] == {'NUM_FRAMES': '6'}
    with pytest.raises(NotImplementedError, match='generate_until'):
        model.loglikelihood(requests)


def swift_infer_answers(docs: list[dict], root: Path, model_args: list[str]) -> list[str]:
    """Greedy ``swift infer`` on the task's rows (the user turn lmms-eval builds: ``<video>`` + doc_to_text)."""
    utils = task_utils()
    rows = [{'messages': [{'role': 'user', 'content': '<video>' + utils.doc_to_text(doc)},
                          {'role': 'assistant', 'content': doc['answer']}], 'videos': [doc['video']]} for doc in docs]
    result = root / 'swift_infer.jsonl'
    run(['swift', 'infer', *model_args, '--val_dataset', str(write_jsonl(root / 'rows.jsonl', rows)),
         '--temperature', '0', '--max_new_tokens', str(MAX_NEW_TOKENS), '--result_path', str(result)])
    answers = [json.loads(line)['response'] for line in result.read_text().splitlines() if line.strip()]
    assert len(answers) == len(docs)
    return [answer.split(UNTIL)[0] for answer in answers]  # lmms-eval's `until` cut


def run_lmms_eval(docs: list[dict], expected: list[str], root: Path, model_args: str) -> tuple[list[str], dict]:
    """Write the task's jsonl (answers: the expected response for even docs, a miss for odd ones: exact match 0.5)
    into ``root``, run the lmms-eval CLI there; returns the responses by doc id and the results JSON."""
    rows = [dict(doc, answer=expected[i].strip() if i % 2 == 0 else 'no such answer') for i, doc in enumerate(docs)]
    write_jsonl(root / f'{TASK}.jsonl', rows)
    output = root / 'lmms_out'
    command = [sys.executable, '-m', 'lmms_eval', '--model', 'swift_video', '--model_args', model_args,
               '--include_path', str(TASKS), '--tasks', TASK, '--batch_size', '2', '--output_path', str(output),
               '--log_samples']
    result = subprocess.run(command, cwd=root, env=command_env(HF_HOME=str(root / 'hf_home')), capture_output=True,
                            text=True, timeout=900)
    log = f'{result.stdout[-3000:]}\n{result.stderr[-6000:]}'
    assert result.returncode == 0, log
    # lmms-eval 0.7 logs an error and still exits 0 when evaluation fails: the output files are the proof
    results_files, samples_files = list(output.glob('*/*_results.json')), list(output.glob(f'*/*_samples_{TASK}.jsonl'))
    assert len(results_files) == 1 and len(samples_files) == 1, log
    results_file, samples_file = results_files[0], samples_files[0]
    samples = sorted((json.loads(line) for line in samples_file.read_text().splitlines() if line.strip()),
                     key=lambda s: s['doc_id'])
    assert [s['doc_id'] for s in samples] == list(range(len(docs))), 'every document answered and scored'
    assert all('exact_match' in s for s in samples)
    return [raw_response(s) for s in samples], json.loads(results_file.read_text())


def raw_response(sample: dict) -> str:
    """What ``generate_until`` returned for a sample (lmms-eval omits ``resps`` when it equals ``filtered_resps``)."""
    response = sample.get('resps', sample['filtered_resps'])
    while isinstance(response, list):
        (response,) = response
    return response


def exact_match(results: dict) -> float:
    return results['results'][TASK]['exact_match,none']


@pytest.mark.slow
@pytest.mark.parametrize('model_type', ['pllava', 'cogvlm2_video_ts', 'minigpt4_video'])
def test_lmms_eval_cli_answers_as_swift_infer(model_type, docs, tmp_path):
    model_dir = tmp_path / 'tiny'
    run(['swift-video', 'tiny-model', model_type, str(model_dir)])
    expected = swift_infer_answers(docs, tmp_path, ['--model', str(model_dir), '--model_type', model_type])
    settings = tmp_path / 'settings.json'
    responses, results = run_lmms_eval(docs, expected, tmp_path,
                                       f'pretrained={model_dir},model_type={model_type},settings_path={settings}')
    assert responses == expected
    assert exact_match(results) == 0.5
    recorded = json.loads(settings.read_text())
    assert recorded['model_type'] == model_type and recorded['video_sampling']['strategy']


@pytest.mark.slow
def test_lmms_eval_cli_with_lora_adapters_answers_as_swift_infer_adapters(docs, tmp_path):
    model_dir = tmp_path / 'tiny'
    run(['swift-video', 'tiny-model', 'pllava', str(model_dir)])
    utils = task_utils()
    train = [{'messages': [{'role': 'user', 'content': '<video>' + utils.doc_to_text(doc)},
                           {'role': 'assistant', 'content': f'({"ABCD"[i]}) {doc["options"][i]}'}],
              'videos': [doc['video']]} for i, doc in enumerate(docs)]
    run(['swift', 'sft', '--model', str(model_dir), '--model_type', 'pllava',
         '--dataset', str(write_jsonl(tmp_path / 'train.jsonl', train)), '--tuner_type', 'lora', '--lora_rank', '4',
         '--lora_alpha', '16', '--target_regex', r'^model\.language_model.*\.(q_proj|v_proj)$',
         '--learning_rate', '5e-2', '--max_steps', '4', '--per_device_train_batch_size', '1', '--save_steps', '4',
         '--output_dir', str(tmp_path / 'run'), *CPU_TRAIN_ARGS])
    checkpoint = last_checkpoint(tmp_path / 'run')
    base = swift_infer_answers(docs, tmp_path / 'base', ['--model', str(model_dir), '--model_type', 'pllava'])
    expected = swift_infer_answers(docs, tmp_path, ['--adapters', str(checkpoint)])
    assert expected != base, 'the LoRA must change some answer, or this test cannot tell adapters were applied'
    settings = tmp_path / 'settings.json'
    responses, results = run_lmms_eval(docs, expected, tmp_path, f'adapters={checkpoint},settings_path={settings}')
    assert responses == expected
    assert exact_match(results) == 0.5
    (adapter,) = json.loads(settings.read_text())['adapters']
    assert (adapter['path'], adapter['r'], adapter['lora_alpha']) == (str(checkpoint), 4, 16)
