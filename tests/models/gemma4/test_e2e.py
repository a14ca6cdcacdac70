"""Gemma-4 frame-sequence action recognition end to end: extract-frames → swift sft (LoRA on the text layers only)
→ swift infer on held-out 4-frame rows → swift-video eval action → swift export --merge_lora.

Each class's clips are one colour (red: playing guitar, green: juggling balls) and every row has the same question.
The trained model must answer a red row and a green row each with its own label and a black row (the red row's
frames blanked) not with the red label; the eval's accuracy must equal the exact matches in the result file; the
adapter and merged ``swift infer`` runs must give identical text on all three rows.
"""

import json
from pathlib import Path

import pytest
from safetensors import safe_open

from swift_video_ext.datasets.kinetics import QUESTION
from tests.helpers import (
    assert_merged_answers_equal_adapter,
    command_env,
    greedy_answers,
    logged_losses,
    merge_lora,
    merged_vs_adapter_max_diff,
    run,
    sft,
    write_jsonl,
    write_solid_clip,
)

pytestmark = pytest.mark.slow
TEXT_LAYERS = r'^model\.language_model\.layers\.\d+\.(self_attn\.(q|k|v|o)_proj|mlp\.(gate|up|down)_proj)$'


@pytest.fixture(scope='module')
def pipeline(tmp_path_factory):
    from swift_video_ext.models.gemma4.tiny import build_tiny

    root = tmp_path_factory.mktemp('g4_e2e')
    model_dir = build_tiny(root / 'gemma-4-tiny')
    for label, colour in (('playing_guitar', (255, 0, 0)), ('juggling_balls', (0, 255, 0))):
        for k in range(3):
            write_solid_clip(root / 'clips' / label / f'{label}_{k}.mp4', colour, num_frames=40, fps=10,
                             width=96, height=64)
    frames = root / 'frames_out'
    run(['swift-video', 'extract-frames', '--clips', str(root / 'clips'), '-o', str(frames), '--num-frames', '4',
         '--workers', '2', '--val-ratio', '0.34', '--no-progress'])
    summary = json.loads((frames / 'summary.json').read_text())
    assert summary['val_rows'] >= 1 and summary['train_rows'] >= 2
    train_env = command_env(KINETICS_FRAMES_PATH=str(frames / 'kinetics_frames_train.json'))
    output = root / 'output'
    _, checkpoint = sft(['--model', str(model_dir), '--model_type', 'gemma4', '--template', 'gemma4_nothinking',
                         '--dataset', 'kinetics_frames', '--tuner_type', 'lora', '--lora_rank', '16', '--lora_alpha',
                         '32', '--lora_dropout', '0.05', '--target_regex', TEXT_LAYERS, '--freeze_vit', 'true',
                         '--freeze_aligner', 'true', '--learning_rate', '5e-3', '--max_steps', '60',
                         '--per_device_train_batch_size', '2', '--save_steps', '60', '--logging_steps', '10'], output,
                        env=train_env)
    val_env = command_env(KINETICS_FRAMES_PATH=str(frames / 'kinetics_frames_val.json'))
    result = root / 'val_predictions.jsonl'
    run(['swift', 'infer', '--adapters', str(checkpoint), '--val_dataset', 'kinetics_frames', '--max_new_tokens', '12',
         '--temperature', '0', '--result_path', str(result)], env=val_env)
    return {'output': output, 'checkpoint': checkpoint, 'result': result, 'frames': frames, 'model': model_dir,
            'merged': merge_lora(checkpoint), 'summary': summary}


def test_loss_falls(pipeline):
    losses = logged_losses(pipeline['output'])
    assert losses[-1] < losses[0], losses


def test_lora_covers_exactly_the_text_layers(pipeline):
    with safe_open(str(pipeline['checkpoint'] / 'adapter_model.safetensors'), 'pt') as f:
        modules = {k.split('.lora_')[0].replace('base_model.model.', '') for k in f.keys()}  # noqa: SIM118
    expected = {f'model.language_model.layers.{i}.{m}' for i in range(2) for m in
                ('self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.gate_proj',
                 'mlp.up_proj', 'mlp.down_proj')}
    assert modules == expected


def test_held_out_predictions_are_scored_exactly(pipeline):
    """The eval's accuracy equals the count of exact label matches in the result file, overall and per class."""
    rows = [json.loads(line) for line in pipeline['result'].read_text().splitlines()]
    assert len(rows) == pipeline['summary']['val_rows'] and all(len(r['images']) == 4 for r in rows)
    val_rows = json.loads((pipeline['frames'] / 'kinetics_frames_val.json').read_text())
    labels = [row['messages'][1]['content'][0]['text'] for row in val_rows]
    correct = [r['response'].strip() == label for r, label in zip(rows, labels, strict=True)]
    report = json.loads(run(['swift-video', 'eval', 'action', '--results', str(pipeline['result']), '--labels',
                             str(pipeline['frames'] / 'labels.txt'), '--json']).stdout)
    assert report['count'] == len(rows) and report['top1_accuracy'] == round(100 * sum(correct) / len(rows), 2)
    for label in set(labels):
        hits = [ok for ok, want in zip(correct, labels, strict=True) if want == label]
        assert report['per_class_accuracy'][label] == round(100 * sum(hits) / len(hits), 2), report


@pytest.fixture(scope='module')
def answers(pipeline):
    """Greedy answers per frame folder from the adapter and merged runs: one training row of each class and the
    red row with black frames."""
    from PIL import Image

    frames = pipeline['frames']
    rows = {}
    for row in json.loads((frames / 'kinetics_frames_train.json').read_text()):
        images = [str(frames / part['image']) for part in row['messages'][0]['content'] if 'image' in part]
        rows.setdefault(row['messages'][1]['content'][0]['text'], images)
    (frames / 'black').mkdir()
    black = [str(frames / 'black' / f'frame_{index + 1}.jpg') for index in range(len(rows['playing guitar']))]
    for path, red in zip(black, rows['playing guitar'], strict=True):
        Image.new('RGB', Image.open(red).size).save(path)
    val = [{'messages': [{'role': 'user', 'content': '<image>' * 4 + QUESTION},
                         {'role': 'assistant', 'content': label}], 'images': images}
           for label, images in [*rows.items(), ('playing guitar', black)]]
    adapter, merged = greedy_answers(pipeline['checkpoint'], pipeline['merged'],
                                     write_jsonl(frames / 'probe.jsonl', val), max_new_tokens=12)
    folders = {label: Path(images[0]).parent.name for label, images in rows.items()}  # label -> its probe's folder
    return adapter, merged, folders


def test_each_class_gets_its_own_label_and_blank_frames_do_not(answers):
    """Proof that the frames reach the LLM through swift sft → swift infer: the prompts are the same text."""
    adapter, _, folder = answers
    assert adapter[folder['playing guitar']] == 'playing guitar', adapter
    assert adapter[folder['juggling balls']] == 'juggling balls', adapter
    assert adapter['black'] != 'playing guitar', adapter  # the red row's prompt, its frames blanked


def test_adapter_and_merged_infer_give_identical_text(answers):
    assert_merged_answers_equal_adapter(answers[:2])


def test_merged_logits_equal_adapter_logits(pipeline):
    from transformers import Gemma4ForConditionalGeneration

    rows = json.loads((pipeline['frames'] / 'kinetics_frames_val.json').read_text())
    images = [str(pipeline['frames'] / part['image']) for part in rows[0]['messages'][0]['content'] if 'image' in part]
    batch_rows = [{'messages': [{'role': 'user', 'content': '<image>' * 4 + 'What is happening?'}],
                   'images': images}]
    diff = merged_vs_adapter_max_diff(Gemma4ForConditionalGeneration, pipeline['model'], pipeline['checkpoint'],
                                      pipeline['merged'], batch_rows)
    assert diff <= 1e-3  # fp32 rounding of the merge; the tiny model's logits span tens (measured 1.7e-4)
