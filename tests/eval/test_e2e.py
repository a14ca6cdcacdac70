"""Every benchmark through the path users run: `swift sft` → `swift-video eval prepare` → `swift infer` → `swift-video
eval <benchmark>`, for a fine-tuned tiny checkpoint of each model type.

PLLaVA is overfitted on the mini MVBench rows (one-colour clips; the colour is the answer, with its evaluation prompt
and answer prefix): MVBench must then score 100 % through the real commands, and the same rows with black clips must
score no better than always giving one answer (at most the share of the commonest reference). The other types are
fine-tuned for two steps; each benchmark must produce its report with every item accounted for (the Video-MME item
whose video is missing counted as skipped). GPT-judged benchmarks use a local OpenAI-compatible judge server.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from swift_video_ext.eval.prepare import prepare
from swift_video_ext.eval.protocols import MVBENCH_ANSWER_PROMPT, Protocol
from tests.eval.judge_server import judge_server
from tests.eval.mini_benchmarks import COLOURS, PREPARE_OPTIONS, WRITERS, write_mvbench
from tests.helpers import CPU_TRAIN_ARGS, command_env, last_checkpoint, run, write_black_clip, write_jsonl

pytestmark = pytest.mark.slow
MODEL_TYPES = {'pllava': 'pllava', 'cogvlm2_video_ts': 'cogvlm2_video_ts', 'minigpt4_video': 'minigpt4_video'}
LORA = ['--tuner_type', 'lora', '--lora_rank', '8', '--lora_alpha', '64', '--target_modules', 'all-linear']


@pytest.fixture(scope='module')
def benchmarks(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp('benchmarks')
    return {name: writer(root / name) for name, writer in WRITERS.items()}


def prepare_all(benchmarks: dict[str, Path], model_type: str, folder: Path) -> dict[str, Path]:
    rows = {}
    for name, data in benchmarks.items():
        rows[name] = folder / f'{name}.jsonl'
        prepare(name, data, model_type, rows[name], **PREPARE_OPTIONS.get(name, {}))
    return rows


def infer(checkpoint: Path, rows: dict[str, Path], output: Path) -> Path:
    """One `swift infer` per template, over every rows file of that template, with the protocols' knobs."""
    manifests = {name: json.loads(path.with_name(path.stem + '.manifest.json').read_text())
                 for name, path in rows.items()}
    by_template: dict[str | None, list[str]] = {}
    env: dict[str, str] = {}
    for name, manifest in manifests.items():
        protocol = Protocol(**manifest['protocol'])
        by_template.setdefault(protocol.template, []).append(name)
        env.update(protocol.infer_env())
    results = []
    for template, names in by_template.items():
        result = output / f'{template}.jsonl'
        run(['swift', 'infer', '--adapters', str(checkpoint), '--template', template, '--val_dataset',
             *[str(rows[n]) for n in names], '--max_new_tokens', '12', '--temperature', '0', '--max_batch_size',
             '2', '--result_path', str(result)], env=command_env(**env))
        results.append(result)
    merged = output / 'all.jsonl'
    merged.write_text(''.join(r.read_text() for r in results))
    return merged


def evaluate(benchmark: str, results: Path, judge_url: str, tmp: Path, adapters: Path) -> dict:
    extra = ['--judge-model', 'local-judge', '--judge-url', judge_url, '--judge-cache', str(tmp / 'judge.sqlite')] \
        if benchmark in ('videoqa', 'vcgbench') else []
    extra += ['--adapters', str(adapters)]
    output = tmp / f'{benchmark}.report.json'
    run(['swift-video', 'eval', benchmark, '--results', str(results), '-o', str(output), *extra])
    return json.loads(output.read_text())


def training_rows(mvbench_rows: Path, path: Path) -> Path:
    """The MVBench evaluation rows as training rows: the answer follows the answer prefix, as at inference."""
    rows = []
    for line in mvbench_rows.read_text().splitlines():
        row = json.loads(line)
        answer = row['messages'][-1]['content']
        assert answer.startswith('(')
        row['messages'][-1]['content'] = MVBENCH_ANSWER_PROMPT + answer[1:]
        row.pop('chat_template_kwargs', None)
        rows.append(row)
    return write_jsonl(path, rows * 4)


@pytest.fixture(scope='module')
def evaluated(request, benchmarks, tmp_path_factory):
    model_type = request.param
    tmp = tmp_path_factory.mktemp(f'eval_{model_type}')
    model = Path(run(['swift-video', 'tiny-model', model_type, str(tmp / 'tiny')]).stdout.strip().splitlines()[-1])
    rows = prepare_all(benchmarks, model_type, tmp)
    overfit = model_type == 'pllava'
    steps = ['--max_steps', '120', '--learning_rate', '5e-3'] if overfit else ['--max_steps', '2']
    train = training_rows(rows['mvbench'], tmp / 'train.jsonl')
    template = json.loads((tmp / 'mvbench.manifest.json').read_text())['protocol']['template']
    protocol_env = Protocol(**json.loads((tmp / 'mvbench.manifest.json').read_text())['protocol']).infer_env()
    run(['swift', 'sft', '--model', str(model), '--model_type', model_type, '--template', template, '--dataset',
         str(train), *LORA, *steps, '--per_device_train_batch_size', '2', '--save_steps', steps[1],
         '--logging_steps', '10', '--output_dir', str(tmp / 'output'), *CPU_TRAIN_ARGS],
        env=command_env(**protocol_env))
    checkpoint = last_checkpoint(tmp / 'output')
    results = infer(checkpoint, rows, tmp / 'results')
    reports = {}
    with judge_server() as server:
        for name in rows:
            reports[name] = evaluate(name, results, server.url, tmp, checkpoint)
    return model_type, reports, checkpoint, tmp


@pytest.mark.parametrize('evaluated', sorted(MODEL_TYPES), indirect=True)
def test_every_benchmark_is_scored_with_every_item_accounted_for(evaluated):
    model_type, reports, checkpoint, _ = evaluated
    assert set(reports) == set(WRITERS)
    for name, report in reports.items():
        counts = report['counts']
        assert counts['items'] == counts['answered'] + counts['unanswered'] + counts['skipped'], name
        assert counts['unanswered'] == 0, (name, report['unanswered_items'])
        assert report['settings']['model_type'] == model_type
        assert report['settings']['lora_alpha'] == 64 and report['settings']['adapters'] == str(checkpoint)
    assert reports['videomme']['counts']['skipped'] == 1
    assert reports['videomme']['skipped_items'][0]['reason'] == 'video not found'
    assert reports['mvbench']['counts']['items'] == 2 * len(COLOURS)
    for name in ('videoqa', 'vcgbench'):
        assert reports[name]['judge']['model'] == 'local-judge'


@pytest.mark.parametrize('evaluated', ['pllava'], indirect=True)  # the fastest tiny model
def test_overfitted_pllava_scores_100_on_mvbench_and_blank_frames_score_chance(evaluated, tmp_path):
    _, reports, checkpoint, tmp = evaluated
    assert reports['mvbench']['scores']['table']['Avg'] == 100.0, reports['mvbench']['scores']
    # blank control: the same rows, every clip black
    blank = write_mvbench(tmp_path / 'blank')
    for clip in blank.glob('video/**/*.mp4'):
        write_black_clip(clip, num_frames=50 if '_long' in clip.name else 30, fps=10)
    rows = tmp_path / 'mvbench.jsonl'
    prepare('mvbench', blank, 'pllava', rows, tasks=PREPARE_OPTIONS['mvbench']['tasks'])
    results = infer(checkpoint, {'mvbench': rows}, tmp_path)
    report = evaluate('mvbench', results, '', tmp_path, checkpoint)
    answers = [json.loads(line)['messages'][-1]['content'] for line in rows.read_text().splitlines()]
    commonest = max(Counter(answers).values()) / len(answers)
    assert report['scores']['table']['Avg'] <= 100 * commonest + 1e-9, report['scores']
    assert os.path.getsize(results) > 0
