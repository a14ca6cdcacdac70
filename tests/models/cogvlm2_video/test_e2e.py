"""CogVLM2-Video end to end: swift sft (LoRA) → infer → export --merge_lora → infer merged.

One run trains on seed-format rows (query/response/history, timestamps in the answers) and overfits two one-colour
clips of the same length, so their prompts are the same text: greedy ``swift infer`` must give each clip its own
answer (only the pixels differ), a black clip with the green clip's prompt must not get the green clip's answer, and
the adapter and merged runs must produce identical text.
"""

import json

import pytest

from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import (
    assert_answers_follow_the_pixels,
    assert_merged_answers_equal_adapter,
    greedy_answers,
    logged_losses,
    merge_lora,
    merged_vs_adapter_max_diff,
    run,
    sft,
    write_jsonl,
    write_overfit_rows,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    from swift_video_ext.models.cogvlm2_video.tiny import TINY_DIMS, build_tiny

    root = tmp_path_factory.mktemp('cog_e2e')
    # weights of std 0.1: at the default 0.02 the untied output head caps the logits near ±1.3 (hidden 64), so even a
    # perfectly fitted LoRA leaves greedy answers one near-tie away from a wrong token ('onlololours' was seen)
    model_dir = build_tiny(root / 'tiny', dims={**TINY_DIMS, 'initializer_range': 0.1})
    early = write_counter_clip(root / 'early.mp4', num_frames=50, fps=10, event=(0.0, 2.0))
    late = write_counter_clip(root / 'late.mp4', num_frames=50, fps=10, event=(3.0, 5.0))
    rows = [{'query': '<video>When does the red square appear?', 'response': 'From 0 to 2 seconds.',
             'history': [], 'videos': [str(early)]},
            {'query': 'And then?', 'response': 'It stays until 5 seconds.',
             'history': [['<video>When does the red square appear?', 'From 3 seconds.']], 'videos': [str(late)]}]
    dataset = write_jsonl(root / 'seed_format.jsonl', rows * 2)
    overfit, val = write_overfit_rows(root / 'overfit', {'red': ((255, 0, 0), 'a red square'),
                                                        'green': ((0, 255, 0), 'only colours')}, num_frames=50, fps=10)
    output = root / 'output'
    _, checkpoint = sft(['--model', str(model_dir), '--model_type', 'cogvlm2_video_ts', '--dataset', str(dataset),
                         str(write_jsonl(root / 'overfit.jsonl', overfit * 2)), '--tuner_type', 'lora',
                         '--target_modules', 'all-linear', '--lora_rank', '8', '--learning_rate', '5e-3',
                         '--max_steps', '120', '--per_device_train_batch_size', '2', '--save_steps', '120',
                         '--logging_steps', '10'], output)
    return {'model': model_dir, 'output': output, 'checkpoint': checkpoint, 'dataset': dataset, 'rows': rows,
            'merged': merge_lora(checkpoint), 'val': val}


def test_loss_falls(run_dir):
    losses = logged_losses(run_dir['output'])
    assert losses[-1] < losses[0] - 0.25, losses


def test_lora_targets_the_language_model_only(run_dir):
    from safetensors import safe_open

    with safe_open(str(run_dir['checkpoint'] / 'adapter_model.safetensors'), 'pt') as f:
        keys = list(f.keys())
    modules = {k.split('.lora_')[0].rsplit('.', 1)[-1] for k in keys}
    assert modules == {'language_expert_query_key_value', 'language_expert_dense', 'gate_proj', 'up_proj',
                       'down_proj'}
    assert not any('vision' in k for k in keys)


@pytest.fixture(scope='module')
def answers(run_dir):
    """Greedy answers per clip from the adapter run (batched) and from the merged run."""
    return greedy_answers(run_dir['checkpoint'], run_dir['merged'], run_dir['val'])


def test_each_clip_gets_its_own_answer_and_blank_frames_change_it(answers):
    assert_answers_follow_the_pixels(answers[0], {'red.mp4': 'a red square', 'green.mp4': 'only colours'},
                                     blanked='green.mp4')


def test_adapter_and_merged_infer_give_identical_text(answers):
    assert_merged_answers_equal_adapter(answers)


def test_merged_logits_equal_adapter_logits(run_dir):
    from swift_video_ext.models.cogvlm2_video import CogVLM2VideoForCausalLM

    rows = [{'messages': [{'role': 'user', 'content': row['query']}], 'videos': row['videos']}
            for row in run_dir['rows']]
    diff = merged_vs_adapter_max_diff(CogVLM2VideoForCausalLM, run_dir['model'], run_dir['checkpoint'],
                                      run_dir['merged'], rows)
    assert diff <= 1e-4


def greedy_by_full_recomputation(model, template, row: dict, steps: int, plain_positions: bool = False) -> str:
    """The reference decode: every token from a full forward of the sequence so far, no cache. With
    ``plain_positions`` the positions are ``arange`` (what cached ``generate()`` used before CogVLM positions)."""
    import torch

    encoded = template.encode(row)
    ids = torch.tensor([encoded['input_ids']])
    types = torch.tensor([encoded['token_type_ids']])
    eos = template.processor.tokenizer.eos_token_id
    generated: list[int] = []
    with torch.no_grad():
        for _ in range(steps):
            sequence = torch.cat([ids, torch.tensor([generated], dtype=torch.long)], 1)
            all_types = torch.cat([types, torch.zeros(1, len(generated), dtype=torch.long)], 1)
            positions = torch.arange(sequence.shape[1]).unsqueeze(0) if plain_positions else None
            logits = model(input_ids=sequence, token_type_ids=all_types, pixel_values=encoded['pixel_values'],
                           position_ids=positions, use_cache=False).logits
            token = int(logits[0, -1].argmax())
            if token == eos:
                break
            generated.append(token)
    return template.decode_generate_ids(generated)


def sharp_tiny_checkpoint(path):
    """A tiny checkpoint whose weights are scaled up x10, so that its greedy tokens depend on the positions."""
    import torch

    from swift_video_ext.models.cogvlm2_video import CogVLM2VideoForCausalLM
    from swift_video_ext.models.cogvlm2_video.tiny import build_tiny

    model_dir = build_tiny(path)
    model = CogVLM2VideoForCausalLM.from_pretrained(model_dir)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() >= 2:
                parameter.mul_(10.0)
    model.save_pretrained(model_dir)
    return model_dir


def test_swift_infer_tokens_equal_greedy_recomputation(run_dir, tmp_path):
    """`swift infer` (cached generate, batched with left padding) decodes exactly as a full recomputation with
    CogVLM positions; with plain arange positions the same checkpoint decodes differently (the old bug)."""
    import torch
    from swift.model import get_model_processor
    from swift.template import get_template

    import swift_video_ext.plugin  # noqa: F401

    model_dir = sharp_tiny_checkpoint(tmp_path / 'sharp')
    rows = [{'messages': [{'role': 'user', 'content': row['query']}], 'videos': row['videos']}
            for row in run_dir['rows']]
    dataset = write_jsonl(tmp_path / 'prompts.jsonl', [{**r, 'messages': r['messages'] + [
        {'role': 'assistant', 'content': 'x'}]} for r in rows])
    result_path = tmp_path / 'result.jsonl'
    run(['swift', 'infer', '--model', str(model_dir), '--model_type', 'cogvlm2_video_ts',
         '--val_dataset', str(dataset), '--max_new_tokens', '8', '--temperature', '0', '--max_batch_size', '2',
         '--torch_dtype', 'float32', '--result_path', str(result_path)])
    responses = [json.loads(line)['response'] for line in result_path.read_text().splitlines()]
    model, processor = get_model_processor(str(model_dir), model_type='cogvlm2_video_ts',
                                           torch_dtype=torch.float32)
    template = get_template(processor)
    template.set_mode('transformers')
    expected = [greedy_by_full_recomputation(model.eval(), template, row, 8) for row in rows]
    assert responses == expected
    plain = [greedy_by_full_recomputation(model, template, row, 8, plain_positions=True) for row in rows]
    assert all(p != e for p, e in zip(plain, expected, strict=True))
