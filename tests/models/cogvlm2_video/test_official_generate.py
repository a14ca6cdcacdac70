"""CogVLM2-Video against the official model class on a tiny checkpoint: full forward, cached greedy generate,
left-padded batches and checkpoint-stored (bf16-rounded) rotary frequencies.

Known answers (``known_answers/official_generate/official_generate.json``): the official hub class
``CogVLMVideoForCausalLM`` (``modeling_cogvlm.py``, public copy in csbhr/Vivid-VR ``VRDiT/cogvlm2-llama3-caption/``;
``forward`` and ``generate`` through its ``prepare_inputs_for_generation`` / ``_update_model_kwargs_for_generation``)
run with transformers 4.42.4 on CPU in float32, on the committed checkpoint (``model.safetensors`` with the official
tensor names including ``rotary_emb.inv_freq``, official-layout ``config.json``). The hub's ``util.py`` (triton
rotary) and ``visual.py`` are not in that copy and ran as pure-torch stand-ins of the same semantics.
"""

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from swift_video_ext.models.cogvlm2_video import CogVLM2VideoConfig, CogVLM2VideoForCausalLM, build_position_ids
from swift_video_ext.models.cogvlm2_video.convert_cogvlm2_video import native_config_dict, read_config_dict

FIXTURE = Path(__file__).parent / 'known_answers' / 'official_generate'
KNOWN = json.loads((FIXTURE / 'official_generate.json').read_text())
PAD = read_config_dict(FIXTURE)['pad_token_id']


def pixels(num_frames: int, video: int) -> torch.Tensor:
    """(T, 3, S, S) float32 frames of the recipe: sin(0.7(f+1)(c+1) + 0.11y + 0.05x + 0.3v) * 1.5."""
    size = read_config_dict(FIXTURE)['vision_config']['image_size']
    f = torch.arange(num_frames, dtype=torch.float64).view(-1, 1, 1, 1)
    c = torch.arange(3, dtype=torch.float64).view(1, -1, 1, 1)
    y = torch.arange(size, dtype=torch.float64).view(1, 1, -1, 1)
    x = torch.arange(size, dtype=torch.float64).view(1, 1, 1, -1)
    return (torch.sin(0.7 * (f + 1) * (c + 1) + 0.11 * y + 0.05 * x + 0.3 * video) * 1.5).float()


def load_model(model_dir: Path = FIXTURE) -> CogVLM2VideoForCausalLM:
    config = CogVLM2VideoConfig.from_dict(native_config_dict(read_config_dict(model_dir)))
    model = CogVLM2VideoForCausalLM.from_pretrained(model_dir, config=config, dtype=torch.float32).eval()
    model.generation_config.eos_token_id = None  # the oracle generated exactly max_new_tokens tokens
    model.generation_config.pad_token_id = PAD
    return model


@pytest.fixture(scope='module')
def model():
    return load_model()


@pytest.fixture(scope='module')
def bf16_inv_freq_model(tmp_path_factory):
    """The fixture with its stored inv_freq tensors rounded to bf16 (as in the released bf16 checkpoints)."""
    model_dir = tmp_path_factory.mktemp('cog_bf16_inv_freq') / 'ckpt'
    shutil.copytree(FIXTURE, model_dir)
    state = load_file(str(model_dir / 'model.safetensors'))
    state = {k: v.to(torch.bfloat16) if k.endswith('rotary_emb.inv_freq') else v for k, v in state.items()}
    save_file(state, str(model_dir / 'model.safetensors'), metadata={'format': 'pt'})
    return load_model(model_dir)


def single_inputs(name: str, known: dict) -> dict:
    sample = KNOWN['samples'][name]
    input_ids = torch.tensor([known['input_ids']])
    return {'input_ids': input_ids, 'token_type_ids': torch.tensor([known['token_type_ids']]),
            'attention_mask': torch.ones_like(input_ids), 'pixel_values': pixels(sample['num_frames'], sample['video'])}


def batch_inputs() -> dict:
    batch, a, b = KNOWN['batch_left_padded'], KNOWN['samples']['A'], KNOWN['samples']['B']
    return {'input_ids': torch.tensor(batch['input_ids']), 'token_type_ids': torch.tensor(batch['token_type_ids']),
            'attention_mask': torch.tensor(batch['attention_mask']),
            'pixel_values': torch.cat([pixels(a['num_frames'], a['video']), pixels(b['num_frames'], b['video'])])}


def greedy(model, inputs: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Generated ids (B, N) and the raw logits of each step (B, N, V) of cached greedy decoding."""
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=KNOWN['max_new_tokens'], do_sample=False, use_cache=True,
                             output_logits=True, return_dict_in_generate=True)
    return out.sequences[:, inputs['input_ids'].shape[1]:], torch.stack(out.logits, dim=1)


def max_abs(got: torch.Tensor, expected) -> float:
    return float((got - torch.tensor(expected)).abs().max())


@pytest.mark.parametrize('name', ['A', 'B'])
def test_official_positions_are_not_arange_and_equal_ours(name):
    known = KNOWN['exact_inv_freq'][name]
    ours = build_position_ids(torch.tensor([known['token_type_ids']]))[0].tolist()
    assert ours == known['position_ids'] and ours != list(range(len(ours)))


@pytest.mark.parametrize('name', ['A', 'B'])
def test_full_forward_logits_equal_official(model, name):
    known = KNOWN['exact_inv_freq'][name]
    with torch.no_grad():
        logits = model(**single_inputs(name, known)).logits[0]
    assert max_abs(logits, known['prompt_logits']) <= 3e-6


def test_left_padded_batch_forward_equals_official(model):
    """Both samples in one left-padded batch (the official needs all frames passed through images[0])."""
    batch = KNOWN['batch_left_padded']
    with torch.no_grad():
        logits = model(**batch_inputs()).logits
    assert max_abs(logits[:, -1], batch['prompt_logits_last']) <= 3e-6
    assert max_abs(logits[1, batch['left_padding']:], batch['prompt_logits_B_real']) <= 3e-6


@pytest.mark.parametrize('name', ['A', 'B'])
def test_cached_generate_equals_official(model, name):
    known = KNOWN['exact_inv_freq'][name]
    ids, step_logits = greedy(model, single_inputs(name, known))
    assert ids[0].tolist() == known['generated_ids']
    assert max_abs(step_logits[0], known['step_logits']) <= 1e-4


def test_left_padded_batch_cached_generate_equals_official(model):
    batch = KNOWN['batch_left_padded']
    ids, step_logits = greedy(model, batch_inputs())
    assert ids.tolist() == batch['generated_ids']
    assert max_abs(step_logits, batch['step_logits']) <= 1e-4


def test_bf16_stored_inv_freq_forward_equals_official(bf16_inv_freq_model):
    known = KNOWN['bf16_inv_freq']['A']
    with torch.no_grad():
        logits = bf16_inv_freq_model(**single_inputs('A', known)).logits[0]
    assert max_abs(logits, known['prompt_logits']) <= 3e-6


def test_bf16_stored_inv_freq_cached_generate_equals_official(bf16_inv_freq_model):
    known = KNOWN['bf16_inv_freq']['A']
    ids, step_logits = greedy(bf16_inv_freq_model, single_inputs('A', known))
    assert ids[0].tolist() == known['generated_ids']
    assert max_abs(step_logits[0], known['step_logits']) <= 1e-4
