"""Official PLLaVA checkpoints (PEFT-wrapped layout) load strictly, merging the LoRA at the chosen alpha."""

import json
import re
import shutil

import pytest
import torch
from safetensors.torch import save_file

from swift_video_ext.models.pllava import PllavaForConditionalGeneration
from swift_video_ext.models.pllava.convert_pllava import CheckpointMismatchError, convert_official_state_dict

RANK = 8
QV = re.compile(r'^model\.language_model\.(layers\.\d+\.self_attn\.(?:q_proj|v_proj))\.weight$')


def official_layout(native: dict[str, torch.Tensor], *, peft_default: bool = True, seed: int = 0):
    """Write a native state dict in the released repos' layout; returns (official dict, LoRA factors)."""
    generator = torch.Generator().manual_seed(seed)
    adapter = '.default' if peft_default else ''
    official, factors = {}, {}
    for key, value in native.items():
        if key.startswith('model.vision_tower.'):
            official['vision_tower.vision_model.' + key[len('model.vision_tower.'):]] = value
        elif key.startswith('model.multi_modal_projector.'):
            official['multi_modal_projector.' + key[len('model.multi_modal_projector.'):]] = value
        elif key == 'lm_head.weight':
            official['language_model.base_model.model.lm_head.weight'] = value
        elif match := QV.match(key):
            module = f'language_model.base_model.model.model.{match[1]}'
            a = torch.randn(RANK, value.shape[1], generator=generator)
            b = torch.randn(value.shape[0], RANK, generator=generator)
            official[f'{module}.base_layer.weight'] = value
            official[f'{module}.lora_A{adapter}.weight'] = a
            official[f'{module}.lora_B{adapter}.weight'] = b
            factors[key] = (a, b)
        else:
            official['language_model.base_model.model.model.' + key[len('model.language_model.'):]] = value
    return official, factors


@pytest.fixture(scope='module')
def native_state(tiny_pllava):
    return PllavaForConditionalGeneration.from_pretrained(tiny_pllava).state_dict()


def write_official_checkpoint(tiny_dir, out_dir, official):
    shutil.copytree(tiny_dir, out_dir)
    (out_dir / 'model.safetensors').unlink()
    save_file({k: v.contiguous() for k, v in official.items()}, str(out_dir / 'model.safetensors'))
    config = json.loads((out_dir / 'config.json').read_text())
    config.update(model_type='llava', architectures=['PllavaForConditionalGeneration'], use_pooling=True,
                  pooling_method='avg', gradient_checkpointing=False, image_grid_pinpoints=[[336, 672]])
    config.pop('frame_shape')
    (out_dir / 'config.json').write_text(json.dumps(config))
    return out_dir


@pytest.mark.parametrize('alpha', [None, 4.0, 32.0])
@pytest.mark.parametrize('peft_default', [True, False])
def test_official_layout_loads_strictly_with_merged_lora(tiny_pllava, native_state, tmp_path, monkeypatch, alpha,
                                                          peft_default):
    """``alpha=None`` leaves PLLAVA_LORA_ALPHA unset: the default must merge at alpha 4 (PLLaVA's inference value)."""
    from swift.model import get_model_processor

    import swift_video_ext.plugin  # noqa: F401

    official, factors = official_layout(native_state, peft_default=peft_default)
    model_dir = write_official_checkpoint(tiny_pllava, tmp_path / 'pllava-official', official)
    if alpha is None:
        monkeypatch.delenv('PLLAVA_LORA_ALPHA', raising=False)
    else:
        monkeypatch.setenv('PLLAVA_LORA_ALPHA', str(alpha))
    model, processor = get_model_processor(str(model_dir), torch_dtype=torch.float32)  # type from architectures
    assert model.model_meta.model_type == 'pllava' and model.config.model_type == 'pllava'
    loaded = model.state_dict()
    assert set(loaded) == set(native_state)
    for key, value in native_state.items():
        if key in factors:
            a, b = factors[key]
            want = value + ((4.0 if alpha is None else alpha) / RANK) * (b @ a)
            torch.testing.assert_close(loaded[key], want, atol=1e-5, rtol=1e-5)
        else:
            assert torch.equal(loaded[key], value), key
    assert len(factors) == 2 * model.config.text_config.num_hidden_layers


def test_missing_and_unused_tensors_are_listed(native_state):
    official, _ = official_layout(native_state)
    expected = set(native_state)
    official.pop('multi_modal_projector.linear_2.bias')
    official['image_newline'] = torch.zeros(64)
    with pytest.raises(CheckpointMismatchError) as info:
        convert_official_state_dict(official, expected, source='ckpt')
    assert info.value.missing == ['model.multi_modal_projector.linear_2.bias']
    assert info.value.unused == ['image_newline']
    assert 'model.multi_modal_projector.linear_2.bias' in str(info.value) and 'image_newline' in str(info.value)


def test_orphan_lora_factor_is_unused(native_state):
    official, _ = official_layout(native_state)
    key = next(k for k in official if k.endswith('lora_B.default.weight'))
    official.pop(key)
    with pytest.raises(CheckpointMismatchError, match='lora_A'):
        convert_official_state_dict(official, set(native_state))
