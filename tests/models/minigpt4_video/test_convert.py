"""Converter for released MiniGPT4-Video checkpoints, on synthesised files in the official layouts."""

import re

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from swift_video_ext.models.minigpt4_video.convert_minigpt4_video import ConversionError, convert_checkpoint
from swift_video_ext.models.minigpt4_video.tiny import TINY_VISION, tiny_tokenizer
from tests.helpers import run

RANK, ALPHA, LAYERS = 4, 2.0, 2
BLOCK = re.compile(r'^vision_model\.encoder\.layers\.(\d+)\.(.+)$')
BLIP_TO_EVA = {'layer_norm1': 'norm1', 'layer_norm2': 'norm2', 'self_attn.qkv': 'attn.qkv',
               'self_attn.projection': 'attn.proj', 'mlp.fc1': 'mlp.fc1', 'mlp.fc2': 'mlp.fc2'}


@pytest.fixture(scope='module')
def sources(tmp_path_factory):
    """eva_vit_g.pth (LAVIS names, one block too many + final norm/head), an HF LLM dir, a released-style .pth."""
    from swift_video_ext.models.minigpt4_video import MiniGPT4VideoConfig, MiniGPT4VideoForConditionalGeneration

    root = tmp_path_factory.mktemp('mg_official')
    torch.manual_seed(0)
    tokenizer = tiny_tokenizer()
    llm = LlamaForCausalLM(LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128,
                                       num_hidden_layers=LAYERS, num_attention_heads=4, num_key_value_heads=4,
                                       bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id))
    llm.save_pretrained(root / 'llama-2-tiny')
    tokenizer.save_pretrained(root / 'llama-2-tiny')
    reference = MiniGPT4VideoForConditionalGeneration(MiniGPT4VideoConfig(
        vision_config=dict(TINY_VISION), text_config=llm.config.to_dict())).state_dict()
    eva = {'cls_token': reference['vision_model.embeddings.class_embedding'],
           'pos_embed': reference['vision_model.embeddings.position_embedding'],
           'patch_embed.proj.weight': reference['vision_model.embeddings.patch_embedding.weight'],
           'patch_embed.proj.bias': reference['vision_model.embeddings.patch_embedding.bias']}
    for key, value in reference.items():
        match = BLOCK.match(key)
        if not match:
            continue
        index, rest = match.groups()
        if rest == 'self_attn.qkv.bias':
            q_bias, _, v_bias = value.chunk(3)
            eva[f'blocks.{index}.attn.q_bias'], eva[f'blocks.{index}.attn.v_bias'] = torch.randn_like(q_bias), \
                torch.randn_like(v_bias)
            continue
        module, leaf = rest.rsplit('.', 1)
        eva[f'blocks.{index}.{BLIP_TO_EVA[module]}.{leaf}'] = torch.randn_like(value)
    for key in [k for k in eva if k.startswith('blocks.1.')]:  # the 40th-block analogue BLIP-2 drops
        eva[key.replace('blocks.1.', 'blocks.2.')] = eva[key].clone()
    eva.update({'norm.weight': torch.ones(32), 'norm.bias': torch.zeros(32), 'head.weight': torch.zeros(10, 32)})
    torch.save(eva, root / 'eva_vit_g.pth')
    return root, eva, llm.state_dict()


def released_checkpoint(path, llm_state, *, new_names=True, drop=None, extra=None, seed=1):
    generator = torch.Generator().manual_seed(seed)
    adapter = '.default' if new_names else ''
    model, factors = {'llama_proj.weight': torch.randn(64, 128, generator=generator),
                      'llama_proj.bias': torch.randn(64, generator=generator)}, {}
    for layer in range(LAYERS):
        for proj in ('q_proj', 'v_proj'):
            key = f'model.layers.{layer}.self_attn.{proj}'
            out_features, in_features = llm_state[f'{key}.weight'].shape
            a, b = torch.randn(RANK, in_features, generator=generator), torch.randn(out_features, RANK,
                                                                                    generator=generator)
            model[f'llama_model.base_model.model.{key}.lora_A{adapter}.weight'] = a
            model[f'llama_model.base_model.model.{key}.lora_B{adapter}.weight'] = b
            factors[key] = (a, b)
    if drop:
        model.pop(drop)
    model.update(extra or {})
    torch.save({'model': model, 'config': {'model': {'lora_r': RANK, 'lora_alpha': ALPHA}},
                'optimizer': {'state': {}, 'param_groups': [{'lr': 1e-4}]}, 'epoch': 3}, path)
    return model, factors


@pytest.mark.parametrize('new_names', [True, False])
def test_converted_directory_loads_with_merged_lora(sources, tmp_path, new_names):
    from swift.model import get_model_processor

    import swift_video_ext.plugin  # noqa: F401

    root, eva, llm_state = sources
    ckpt, factors = released_checkpoint(tmp_path / 'video_llama_checkpoint_last.pth', llm_state,
                                        new_names=new_names)
    out = tmp_path / 'converted'
    released = str(tmp_path / 'video_llama_checkpoint_last.pth')
    result = run(['swift-video', 'convert', 'minigpt4-video', '--ckpt', released,
                  '--eva', str(root / 'eva_vit_g.pth'), '--llm', str(root / 'llama-2-tiny'), '-o', str(out),
                  '--eva-layers', '2', '--eva-heads', '4'])
    assert f'{2 * LAYERS} LoRA pairs merged (scale 0.5)' in result.stdout
    model, processor = get_model_processor(str(out), model_type='minigpt4_video', torch_dtype=torch.float32)
    state = model.state_dict()
    for key, (a, b) in factors.items():
        torch.testing.assert_close(state[f'language_model.{key}.weight'],
                                   llm_state[f'{key}.weight'] + (ALPHA / RANK) * b @ a, atol=1e-5, rtol=1e-5)
    assert torch.equal(state['language_model.model.layers.0.mlp.up_proj.weight'],
                       llm_state['model.layers.0.mlp.up_proj.weight'])
    assert torch.equal(state['llama_proj.weight'], ckpt['llama_proj.weight'])
    assert torch.equal(state['vision_model.encoder.layers.1.self_attn.qkv.bias'],
                       torch.cat([eva['blocks.1.attn.q_bias'], torch.zeros(32), eva['blocks.1.attn.v_bias']]))
    assert torch.equal(state['ln_vision.weight'], torch.ones(32)) and torch.equal(state['ln_vision.bias'],
                                                                                   torch.zeros(32))
    assert model.config.llm_family == 'llama2' and processor.image_token_id == processor.tokenizer.unk_token_id


def test_lora_as_adapter_gives_the_same_logits_as_merging(sources, tmp_path):
    from peft import PeftModel

    from swift_video_ext.models.minigpt4_video import MiniGPT4VideoForConditionalGeneration

    root, _, llm_state = sources
    released_checkpoint(tmp_path / 'ckpt.pth', llm_state)
    common = dict(eva_layers=2, eva_heads=4, dtype='float32')
    convert_checkpoint(tmp_path / 'ckpt.pth', root / 'eva_vit_g.pth', root / 'llama-2-tiny', tmp_path / 'merged',
                       **common)
    convert_checkpoint(tmp_path / 'ckpt.pth', root / 'eva_vit_g.pth', root / 'llama-2-tiny', tmp_path / 'unmerged',
                       lora_as_adapter=True, **common)
    merged = MiniGPT4VideoForConditionalGeneration.from_pretrained(tmp_path / 'merged').eval()
    base = MiniGPT4VideoForConditionalGeneration.from_pretrained(tmp_path / 'unmerged')
    adapted = PeftModel.from_pretrained(base, str(tmp_path / 'unmerged' / 'lora_adapter')).eval()
    input_ids = torch.tensor([[1] + [0] * 4 + [20, 21, 22]])
    pixels = torch.randn(1, 3, 56, 56)
    with torch.no_grad():
        torch.testing.assert_close(adapted(input_ids=input_ids, pixel_values=pixels).logits,
                                   merged(input_ids=input_ids, pixel_values=pixels).logits, atol=1e-5, rtol=1e-5)


def test_missing_lora_tensor_and_unknown_tensor_fail_with_a_list(sources, tmp_path):
    root, _, llm_state = sources
    dropped = 'llama_model.base_model.model.model.layers.1.self_attn.v_proj.lora_B.default.weight'
    released_checkpoint(tmp_path / 'ckpt.pth', llm_state, drop=dropped, extra={'query_tokens': torch.zeros(1)})
    with pytest.raises(ConversionError) as info:
        convert_checkpoint(tmp_path / 'ckpt.pth', root / 'eva_vit_g.pth', root / 'llama-2-tiny', tmp_path / 'out',
                           eva_layers=2, eva_heads=4)
    message = str(info.value)
    assert 'ckpt:query_tokens' in message and 'layers.1.self_attn.v_proj.lora_A' in message
    assert 'LoRA pairs: 3 complete, expected 4' in message and not (tmp_path / 'out').exists()


def test_missing_eva_block_fails_with_the_model_tensor(sources, tmp_path):
    root, eva, llm_state = sources
    partial = {k: v for k, v in eva.items() if not k.startswith('blocks.1.mlp.fc2')}
    torch.save(partial, tmp_path / 'eva.pth')
    released_checkpoint(tmp_path / 'ckpt.pth', llm_state)
    with pytest.raises(ConversionError, match='vision_model.encoder.layers.1.mlp.fc2.bias'):
        convert_checkpoint(tmp_path / 'ckpt.pth', tmp_path / 'eva.pth', root / 'llama-2-tiny', tmp_path / 'out',
                           eva_layers=2, eva_heads=4)


class NotATensor:
    pass


def test_pickled_code_is_refused(sources, tmp_path):
    root, _, _ = sources
    torch.save({'model': {'llama_proj.weight': torch.zeros(1)}, 'hook': NotATensor()}, tmp_path / 'evil.pth')
    with pytest.raises(ValueError, match='refusing to unpickle'):
        convert_checkpoint(tmp_path / 'evil.pth', root / 'eva_vit_g.pth', root / 'llama-2-tiny', tmp_path / 'out',
                           eva_layers=2, eva_heads=4)
