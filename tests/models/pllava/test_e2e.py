"""PLLaVA end to end with the real commands: swift sft (LoRA + trained projector) → infer → export → infer merged.

One overfit run on two clips with different answers (same question) serves every test: greedy ``swift infer`` must
give each clip its own answer, an all-black clip must not get the red clip's answer (the answer comes from the
pixels), and the adapter and merged runs must produce identical text.
"""

import json
import shutil

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import (
    assert_answers_follow_the_pixels,
    assert_merged_answers_equal_adapter,
    auto_load,
    greedy_answers,
    logged_losses,
    logged_token_accuracy,
    merge_lora,
    merged_vs_adapter_max_diff,
    run,
    sft,
    write_black_clip,
    write_jsonl,
)

pytestmark = pytest.mark.slow
LORA_ALPHA, LORA_RANK = 64, 8
LORA_ARGS = ['--tuner_type', 'lora', '--lora_rank', '8', '--lora_alpha', str(LORA_ALPHA),
             '--target_regex', r'^model\.language_model.*\.(q_proj|v_proj)$',
             '--modules_to_save', 'multi_modal_projector']


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('pllava_data')
    red = write_counter_clip(root / 'red.mp4', num_frames=30, fps=10, event=(0.0, 3.0))
    plain = write_counter_clip(root / 'plain.mp4', num_frames=24, fps=8)
    black = write_black_clip(root / 'black.mp4', num_frames=30, fps=10)
    rows = [{'query': '<video>What is in the video?', 'response': 'a red square', 'history': [],
             'videos': [str(red)]},
            {'query': '<video>What is in the video?', 'response': 'only colours', 'history': [],
             'videos': [str(plain)]}]
    messages = [{'messages': [{'role': 'user', 'content': '<video>Describe it.'},
                              {'role': 'assistant', 'content': 'a red square'}], 'videos': [str(red)]}]
    return {'qr': write_jsonl(root / 'qr.jsonl', rows * 2), 'msgs': write_jsonl(root / 'msgs.jsonl', messages),
            'val': write_jsonl(root / 'val.jsonl', rows + [dict(rows[0], videos=[str(black)])])}


@pytest.fixture(scope='module')
def trained(tiny_pllava, data, tmp_path_factory):
    output = tmp_path_factory.mktemp('pllava_run') / 'output'
    _, checkpoint = sft(['--model', str(tiny_pllava), '--model_type', 'pllava', '--dataset', str(data['qr']),
                         str(data['msgs']), *LORA_ARGS, '--learning_rate', '5e-3', '--max_steps', '200',
                         '--per_device_train_batch_size', '2', '--save_steps', '200', '--logging_steps', '20'], output)
    return output, checkpoint


def test_loss_falls_when_overfitting(trained):
    losses = logged_losses(trained[0])
    # A tiny random model with a frozen lm_head cannot go far below log(vocab); a steady fall is the signal.
    assert len(losses) >= 5 and losses[-1] < losses[0] - 0.25 and losses[-1] < min(losses[:3]), losses
    # overfit: the tiny model's flat head keeps the loss near log(vocab), but greedy accuracy reaches ~1
    assert logged_token_accuracy(trained[0])[-1] >= 0.95, logged_token_accuracy(trained[0])


def test_args_json_records_no_plugin_path(trained):
    """README: the autoload hook registers the types, so the checkpoint's args.json names no plugin file."""
    _, checkpoint = trained
    text = (checkpoint / 'args.json').read_text()
    assert json.loads(text)['external_plugins'] == [], text[:2000]
    # (class names such as swift_video_ext.models.pllava.register.PllavaLoader appear in reprs; no file path does)
    assert '_swift_shim' not in text and 'swift_video_ext_plugin' not in text, text[:2000]


def test_adapter_holds_every_trained_tensor(trained, tiny_pllava):
    _, checkpoint = trained
    with safe_open(str(checkpoint / 'adapter_model.safetensors'), 'pt') as f:
        keys = set(f.keys())
        projector = {k.split('multi_modal_projector.')[1]: f.get_tensor(k) for k in keys if 'projector' in k}
    lora = {k for k in keys if 'lora_' in k}
    assert len(lora) == 2 * 2 * 2  # 2 layers x (q, v) x (A, B)
    assert all('language_model' in k and ('q_proj' in k or 'v_proj' in k) for k in lora)
    assert sorted(projector) == ['linear_1.bias', 'linear_1.weight', 'linear_2.bias', 'linear_2.weight']
    base = load_file(str(tiny_pllava / 'model.safetensors'))
    assert not torch.equal(projector['linear_1.weight'], base['model.multi_modal_projector.linear_1.weight'])


@pytest.fixture(scope='module')
def merged(trained):
    return merge_lora(trained[1])


@pytest.fixture(scope='module')
def answers(trained, merged, data):
    """Greedy answers per clip from the adapter run and from the merged run."""
    return greedy_answers(trained[1], merged, data['val'])


def test_each_clip_gets_its_own_answer_and_blank_frames_change_it(answers):
    assert_answers_follow_the_pixels(answers[0], {'red.mp4': 'a red square', 'plain.mp4': 'only colours'},
                                     blanked='red.mp4')


def test_adapter_and_merged_infer_give_identical_text(answers):
    assert_merged_answers_equal_adapter(answers)


def test_merge_keeps_every_trained_tensor(trained, merged, tiny_pllava):
    _, checkpoint = trained
    adapter = load_file(str(checkpoint / 'adapter_model.safetensors'))
    merged_state, base = load_file(str(merged / 'model.safetensors')), load_file(str(tiny_pllava / 'model.safetensors'))
    for name in ('linear_1.weight', 'linear_1.bias', 'linear_2.weight', 'linear_2.bias'):
        trained_tensor = next(v for k, v in adapter.items() if k.endswith(f'multi_modal_projector.{name}'))
        assert torch.equal(merged_state[f'model.multi_modal_projector.{name}'], trained_tensor)
    key = 'model.language_model.layers.0.self_attn.q_proj.weight'
    a = adapter[f'base_model.model.{key[:-len(".weight")]}.lora_A.weight']
    b = adapter[f'base_model.model.{key[:-len(".weight")]}.lora_B.weight']
    torch.testing.assert_close(merged_state[key], base[key] + (LORA_ALPHA / LORA_RANK) * b @ a, atol=1e-5, rtol=1e-5)


def test_merged_logits_equal_adapter_logits(trained, merged, tiny_pllava, data):
    from swift_video_ext.models.pllava import PllavaForConditionalGeneration

    videos = [json.loads(line)['videos'][0] for line in data['val'].read_text().splitlines()]
    rows = [{'messages': [{'role': 'user', 'content': '<video>What is in the video?'}], 'videos': [v]} for v in videos]
    assert merged_vs_adapter_max_diff(PllavaForConditionalGeneration, tiny_pllava, trained[1], merged, rows) <= 1e-4


def test_moved_checkpoint_still_infers_and_exports(trained, data, tmp_path):
    _, checkpoint = trained
    moved = shutil.copytree(checkpoint, tmp_path / 'elsewhere' / 'ckpt')
    run(['swift', 'infer', '--adapters', str(moved), '--val_dataset', str(data['val']), '--max_new_tokens', '2',
         '--temperature', '0'], cwd=tmp_path)
    run(['swift', 'export', '--adapters', str(moved), '--merge_lora', 'true'], cwd=tmp_path)
    assert (tmp_path / 'elsewhere' / 'ckpt-merged' / 'model.safetensors').is_file()


def test_rescaled_adapter_changes_only_the_lora_scale(trained, tmp_path):
    _, checkpoint = trained
    out = tmp_path / 'alpha4'
    run(['swift-video', 'rescale-lora', str(checkpoint), '--alpha', '4', '-o', str(out)])
    assert json.loads((out / 'adapter_config.json').read_text())['lora_alpha'] == 4
    run(['swift', 'export', '--adapters', str(out), '--merge_lora', 'true'])
    merged = load_file(str(tmp_path / 'alpha4-merged' / 'model.safetensors'))
    adapter = load_file(str(out / 'adapter_model.safetensors'))
    base_key = 'model.language_model.layers.1.self_attn.v_proj'
    a, b = adapter[f'base_model.model.{base_key}.lora_A.weight'], adapter[f'base_model.model.{base_key}.lora_B.weight']
    from swift_video_ext.models.pllava import PllavaForConditionalGeneration

    base = PllavaForConditionalGeneration.from_pretrained(
        json.loads((out / 'adapter_config.json').read_text())['base_model_name_or_path']).state_dict()
    torch.testing.assert_close(merged[f'{base_key}.weight'], base[f'{base_key}.weight'] + (4 / 8) * b @ a,
                               atol=1e-5, rtol=1e-5)


def test_merged_export_loads_with_the_auto_classes(merged):
    """README: a merged export loads with AutoModelForImageTextToText / AutoProcessor, no remote code."""
    report = auto_load(merged)
    assert report == {'model': 'PllavaForConditionalGeneration', 'processor': 'PllavaProcessor',
                      'missing': [], 'unexpected': []}, report
