"""The ms-swift options users combine, per model type, on tiny checkpoints (the matrix: docs/feature-matrix.md).

Per type, as few `swift` runs as ms-swift allows:

1. `swift sft`, full fine-tuning with the vision tower and aligner trained (`--tuner_type full --freeze_vit false
   --freeze_aligner false`), `--streaming true`, `--val_dataset` + `--eval_steps 1` + `--predict_with_generate`, on
   single-turn rows, multi-turn rows with the video in a later turn and (PLLaVA, MiniGPT4-Video) two videos per row;
   `--max_steps 2 --save_steps 1` at a constant learning rate.
2. The same command with `--resume_from_checkpoint checkpoint-1`: it reproduces run 1's checkpoint-2 exactly.
3. `swift infer --stream true` and `swift infer --max_batch_size 2` on checkpoint-2: the same answers (greedy).
4. `swift rlhf --rlhf_type grpo` (LoRA, `--target_modules all-linear`, ms-swift's default) on multiple-choice video
   rows with a rule-based reward from an `--external_plugins` file (tests/training/mc_reward_plugin.py).

The fork paths (`--lazy_tokenize false`, `--dataset_num_proc 2`, `--dataloader_num_workers 2` with the cache, DPO,
`--to_cached_dataset`) are tests/training/test_fork_paths.py.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import CPU_TRAIN_ARGS, build_tiny, command_env, last_checkpoint, run, write_jsonl

pytestmark = pytest.mark.slow
PLUGIN = Path(__file__).with_name('mc_reward_plugin.py')
HAS_NLG = importlib.util.find_spec('jieba') is not None  # ms-swift's generation metrics (the `nlg` extra)
HAS_GRPO = importlib.util.find_spec('msgspec') is not None  # ms-swift 4.6's GRPO trainer imports it (`grpo` extra)

# model type → what the checks need: can a row hold two videos; regexes over the checkpoint's tensor names for the
# vision tower, the aligner, the decoder layers of the language model; vision tensors no forward uses (PLLaVA takes
# LLaVA's features from the second-to-last layer: the tiny tower's last layer and post-norm get no gradient).
TYPES = {
    'pllava': dict(two_videos=True, vision=r'^model\.vision_tower\.', aligner=r'^model\.multi_modal_projector\.',
                   llm_layers=r'^model\.language_model\.layers\.',
                   unused=r'^model\.vision_tower\.(encoder\.layers\.1\.|post_layernorm\.)'),
    'cogvlm2_video_ts': dict(two_videos=False, vision=r'^model\.vision\.(patch_embedding|transformer)\.',
                             aligner=r'^model\.vision\.(conv|linear_proj|boi|eoi)', llm_layers=r'^model\.layers\.',
                             unused=None),
    'minigpt4_video': dict(two_videos=True, vision=r'^(vision_model|ln_vision)\.', aligner=r'^llama_proj\.',
                           llm_layers=r'^language_model\.model\.layers\.', unused=None),
}
MC_QUESTION = '<video>Is there a red square? Answer A (yes) or B (no).'


def user(text: str) -> dict:
    return {'role': 'user', 'content': text}


def assistant(text: str) -> dict:
    return {'role': 'assistant', 'content': text}


def write_rows(root: Path, two_videos: bool) -> dict[str, Path]:
    red = write_counter_clip(root / 'red.mp4', num_frames=20, fps=10, event=(0.0, 2.0))
    plain = write_counter_clip(root / 'plain.mp4', num_frames=16, fps=8)
    single = {'messages': [user('<video>What is in the video?'), assistant('a red square')], 'videos': [str(red)]}
    later_turn = {'messages': [user('Hello.'), assistant('Hello.'), user('<video>What is in the video?'),
                               assistant('only colours')], 'videos': [str(plain)]}
    rows, val = [single, later_turn], [single, later_turn]
    if two_videos:
        both = {'messages': [user('<video>First clip. <video>Second clip. Which has the square?'),
                             assistant('the first')], 'videos': [str(red), str(plain)]}
        rows, val = [single, later_turn, both], [single, both]
    choice = [{'messages': [user(MC_QUESTION)], 'videos': [str(clip)], 'solution': answer}
              for clip, answer in ((red, 'A'), (plain, 'B'))]
    return {'train': write_jsonl(root / 'train.jsonl', (rows * 2)[:4]), 'val': write_jsonl(root / 'val.jsonl', val),
            'choice': write_jsonl(root / 'choice.jsonl', choice * 2)}


def full_args(model_type: str, model: Path, data: dict[str, Path], output: Path) -> list[str]:
    generate = ['--predict_with_generate', 'true', '--max_new_tokens', '4'] if HAS_NLG else []
    return ['swift', 'sft', '--model', str(model), '--model_type', model_type, '--dataset', str(data['train']),
            '--val_dataset', str(data['val']), '--tuner_type', 'full', '--freeze_vit', 'false', '--freeze_aligner',
            'false', '--streaming', 'true', '--eval_steps', '1', *generate, '--max_steps', '2', '--save_steps', '1',
            '--per_device_train_batch_size', '2', '--per_device_eval_batch_size', '2', '--logging_steps', '1',
            '--learning_rate', '1e-4', '--lr_scheduler_type', 'constant', '--output_dir', str(output),
            *CPU_TRAIN_ARGS]


@pytest.fixture(scope='module', params=list(TYPES))
def matrix(request, tmp_path_factory) -> dict:
    """Runs 1-3 for one model type (see the module docstring); run 4 is its own test."""
    model_type = request.param
    root = tmp_path_factory.mktemp(f'matrix_{model_type}')
    model = build_tiny(model_type, root / 'tiny')
    data = write_rows(root, TYPES[model_type]['two_videos'])
    command = full_args(model_type, model, data, root / 'full')
    run(command)
    (first,) = (root / 'full').glob('v0-*')
    run([*command, '--resume_from_checkpoint', str(first / 'checkpoint-1')])
    resumed = next(p for p in (root / 'full').glob('v*-*') if p != first)
    answers = {}
    for name, extra in (('stream', ['--stream', 'true']), ('batch', ['--max_batch_size', '2'])):
        result = root / f'{name}.jsonl'
        run(['swift', 'infer', '--model', str(first / 'checkpoint-2'), '--val_dataset', str(data['val']),
             '--max_new_tokens', '8', '--temperature', '0', '--result_path', str(result), *extra])
        answers[name] = [json.loads(line)['response'] for line in result.read_text().splitlines() if line.strip()]
    return {'type': model_type, 'root': root, 'model': model, 'data': data, 'run': first, 'resumed': resumed,
            'answers': answers}


def tensors(path: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(path))


def test_full_tuning_trains_and_saves_vision_and_aligner(matrix):
    """Every vision tower and aligner tensor a forward uses changed after two steps, and every tensor is saved."""
    spec = TYPES[matrix['type']]
    base = tensors(matrix['model'] / 'model.safetensors')
    trained = tensors(matrix['run'] / 'checkpoint-2' / 'model.safetensors')
    assert set(trained) == set(base)
    for part in ('vision', 'aligner'):
        names = [k for k in base if re.match(spec[part], k)]
        assert names, part
        unchanged = {k for k in names if trained[k].equal(base[k])}
        expected = {k for k in names if spec['unused'] and re.match(spec['unused'], k)}
        assert unchanged == expected, (part, sorted(unchanged ^ expected))
    args = json.loads((matrix['run'] / 'args.json').read_text())
    assert args['streaming'] is True and args['freeze_vit'] is False and args['freeze_aligner'] is False


def test_every_row_kind_trains_and_evaluates(matrix):
    """Multi-turn rows with the video in a later turn and two-video rows are encoded (none skipped), evaluated each
    step, and with --predict_with_generate answered in predict.jsonl (one line per val row)."""
    summary = json.loads((matrix['run'] / 'skipped_samples.json').read_text())
    assert summary['rows_skipped'] == 0 and summary['rows_over_max_length'] == 0, summary
    log = [json.loads(line) for line in (matrix['run'] / 'logging.jsonl').read_text().splitlines()]
    assert [r['global_step/max_steps'] for r in log if 'loss' in r] == ['1/2', '2/2']
    evals = [r for r in log if any(k.startswith('eval_') for k in r)]
    assert len(evals) == 2, log
    if not HAS_NLG:
        pytest.skip('jieba not installed (pip install swift-video-ext[nlg]): --predict_with_generate not run')
    assert all('eval_rouge-l' in r for r in evals)
    val_rows = matrix['data']['val'].read_text().splitlines()
    for step in (1, 2):
        predictions = (matrix['run'] / f'checkpoint-{step}' / 'predict.jsonl').read_text().splitlines()
        assert len(predictions) == len(val_rows)
        assert all(json.loads(p)['response'] for p in predictions)


def test_resume_reproduces_the_uninterrupted_run(matrix):
    """Resuming from checkpoint-1 runs step 2 only and saves the same weights as the run that never stopped."""
    log = [json.loads(line) for line in (matrix['resumed'] / 'logging.jsonl').read_text().splitlines()]
    assert [r['global_step/max_steps'] for r in log if 'loss' in r] == ['2/2']
    want = tensors(matrix['run'] / 'checkpoint-2' / 'model.safetensors')
    assert sorted(p.name for p in matrix['resumed'].glob('checkpoint-*')) == ['checkpoint-2']
    got = tensors(matrix['resumed'] / 'checkpoint-2' / 'model.safetensors')
    assert max((got[k] - want[k]).abs().max().item() for k in want) <= 1e-6


def test_streamed_answers_equal_batched_answers(matrix):
    """`swift infer --stream true` (one row at a time, streamed) and `--max_batch_size 2` (left-padded batches)
    give the same greedy text, leading spaces included."""
    answers = matrix['answers']
    assert len(answers['stream']) == len(matrix['data']['val'].read_text().splitlines())
    assert answers['stream'] == answers['batch']


@pytest.mark.skipif(not HAS_GRPO, reason='msgspec not installed (pip install swift-video-ext[grpo])')
def test_grpo_with_video_rows_and_a_rule_based_reward(matrix):
    """GRPO samples completions for video prompts, scores them with the plugin's rewards (which receive each row's
    videos and `solution`), and trains LoRA on every linear layer of the language model's decoder and nothing else."""
    root, spec = matrix['root'], TYPES[matrix['type']]
    reward_log = root / 'rewards.jsonl'
    output = root / 'grpo'
    run(['swift', 'rlhf', '--rlhf_type', 'grpo', '--model', str(matrix['model']), '--model_type', matrix['type'],
         '--dataset', str(matrix['data']['choice']), '--external_plugins', str(PLUGIN), '--reward_funcs', 'mc_exact',
         'distinct_chars', '--tuner_type', 'lora', '--target_modules', 'all-linear', '--num_generations', '2',
         '--per_device_train_batch_size', '2', '--max_completion_length', '4', '--max_steps', '2', '--save_steps',
         '2', '--logging_steps', '1', '--learning_rate', '1e-3', '--output_dir', str(output), *CPU_TRAIN_ARGS],
        env=command_env(MC_REWARD_LOG=str(reward_log)))
    calls = [json.loads(line) for line in reward_log.read_text().splitlines()]
    choices = {Path(json.loads(r)['videos'][0]).name: json.loads(r)['solution']
               for r in matrix['data']['choice'].read_text().splitlines()}
    assert {c['reward'] for c in calls} == {'mc_exact', 'distinct_chars'} and len(calls) == 4  # 2 steps x 2 rewards
    for call in calls:
        assert len(call['completions']) == 2 and all(len(v) == 1 for v in call['videos'])
        assert call['solution'] == [choices[Path(v[0]).name] for v in call['videos']]
    log = [json.loads(line) for line in next(output.glob('v*/logging.jsonl')).read_text().splitlines()]
    steps = [r for r in log if 'rewards/MultipleChoiceExactMatch/mean' in r]
    assert len(steps) == 2 and any(r['grad_norm'] > 0 for r in steps), steps
    checkpoint = last_checkpoint(output)
    adapter = tensors(checkpoint / 'adapter_model.safetensors')
    base = tensors(matrix['model'] / 'model.safetensors')
    linear = {k.removesuffix('.weight') for k, v in base.items() if re.match(spec['llm_layers'], k) and v.ndim == 2}
    lora = {k.removeprefix('base_model.model.').removesuffix('.lora_A.weight') for k in adapter if 'lora_A' in k}
    assert lora == linear
    assert any(v.abs().max() > 0 for k, v in adapter.items() if 'lora_B' in k)  # LoRA B starts at zero: trained
