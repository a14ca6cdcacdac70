"""rescale-lora writes a copy whose only change is the LoRA alpha."""

import json

import pytest

from swift_video_ext.tools.rescale_lora import rescale_lora


def test_rescale_changes_alpha_and_pattern_only(tmp_path):
    ckpt = tmp_path / 'checkpoint-10'
    ckpt.mkdir()
    config = {'peft_type': 'LORA', 'r': 128, 'lora_alpha': 32, 'alpha_pattern': {'v_proj': 64}}
    (ckpt / 'adapter_config.json').write_text(json.dumps(config))
    (ckpt / 'adapter_model.safetensors').write_bytes(b'weights')
    (ckpt / 'args.json').write_text('{}')
    (ckpt / 'optimizer.pt').write_bytes(b'state')
    out = rescale_lora(ckpt, 4, tmp_path / 'alpha4')
    new = json.loads((out / 'adapter_config.json').read_text())
    assert new['lora_alpha'] == 4 and new['alpha_pattern'] == {'v_proj': 8.0} and new['r'] == 128
    assert (out / 'adapter_model.safetensors').read_bytes() == b'weights' and (out / 'args.json').exists()
    assert not (out / 'optimizer.pt').exists()
    with pytest.raises(FileExistsError):
        rescale_lora(ckpt, 4, out)


def test_not_a_lora_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match='no adapter_config.json'):
        rescale_lora(tmp_path, 4, tmp_path / 'x')
