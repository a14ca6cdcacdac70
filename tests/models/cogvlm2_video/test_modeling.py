"""CogVLM2-Video modeling: official tensor set, positions, vision tower and LLM against independent references."""

import math

import pytest
import torch
import torch.nn.functional as F
from transformers import LlamaConfig, LlamaForCausalLM

from swift_video_ext.models.cogvlm2_video import CogVLM2VideoConfig, CogVLM2VideoForCausalLM, build_position_ids

TINY = dict(vocab_size=120, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            num_multi_query_heads=2, pad_token_id=2, bos_token_id=0, eos_token_id=1,
            vision_config={'hidden_size': 32, 'intermediate_size': 64, 'num_hidden_layers': 2, 'num_heads': 2,
                           'patch_size': 14, 'image_size': 56})


def tiny_model(seed=0) -> CogVLM2VideoForCausalLM:
    torch.manual_seed(seed)
    return CogVLM2VideoForCausalLM(CogVLM2VideoConfig(**TINY)).eval()


def official_tensor_shapes() -> dict[str, tuple]:
    """The official checkpoint's tensor names and shapes (research notes §3.2), per-layer rotary inv_freq included."""
    shapes = {'model.embed_tokens.weight': (128256, 4096), 'model.norm.weight': (4096,),
              'lm_head.weight': (128256, 4096)}
    for i in range(32):
        p = f'model.layers.{i}.'
        shapes.update({p + 'input_layernorm.weight': (4096,), p + 'post_attention_layernorm.weight': (4096,),
                       p + 'self_attn.language_expert_query_key_value.weight': (6144, 4096),
                       p + 'self_attn.language_expert_dense.weight': (4096, 4096),
                       p + 'mlp.language_mlp.gate_proj.weight': (14336, 4096),
                       p + 'mlp.language_mlp.up_proj.weight': (14336, 4096),
                       p + 'mlp.language_mlp.down_proj.weight': (4096, 14336),
                       p + 'self_attn.rotary_emb.inv_freq': (64,)})
    v = 'model.vision.'
    shapes.update({v + 'patch_embedding.proj.weight': (1792, 3, 14, 14), v + 'patch_embedding.proj.bias': (1792,),
                   v + 'patch_embedding.cls_embedding': (1, 1792),
                   v + 'patch_embedding.position_embedding.weight': (257, 1792),
                   v + 'conv.weight': (1792, 1792, 2, 2), v + 'conv.bias': (1792,),
                   v + 'linear_proj.linear_proj.weight': (4096, 1792), v + 'linear_proj.norm1.weight': (4096,),
                   v + 'linear_proj.norm1.bias': (4096,), v + 'linear_proj.dense_h_to_4h.weight': (14336, 4096),
                   v + 'linear_proj.gate_proj.weight': (14336, 4096),
                   v + 'linear_proj.dense_4h_to_h.weight': (4096, 14336), v + 'boi': (1, 1, 4096),
                   v + 'eoi': (1, 1, 4096)})
    for j in range(63):
        p = f'{v}transformer.layers.{j}.'
        for norm in ('input_layernorm', 'post_attention_layernorm'):
            shapes[p + norm + '.weight'] = shapes[p + norm + '.bias'] = (1792,)
        shapes.update({p + 'attention.query_key_value.weight': (5376, 1792), p + 'attention.query_key_value.bias':
                       (5376,), p + 'attention.dense.weight': (1792, 1792), p + 'attention.dense.bias': (1792,),
                       p + 'mlp.fc1.weight': (15360, 1792), p + 'mlp.fc1.bias': (15360,),
                       p + 'mlp.fc2.weight': (1792, 15360), p + 'mlp.fc2.bias': (1792,)})
    return shapes


def test_full_size_meta_model_has_exactly_the_official_tensor_set():
    with torch.device('meta'):
        model = CogVLM2VideoForCausalLM(CogVLM2VideoConfig())
    got = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    expected = official_tensor_shapes()
    assert len(expected) == 227 + 770 + 32  # LLM, vision, one inv_freq per layer: the official 1029
    assert got == expected
    assert model.config.tokens_per_frame == 66


def chat_types(frames: int, tokens_per_frame: int, text: int) -> torch.Tensor:
    return torch.tensor([[0] + ([1] * tokens_per_frame + [0]) * frames + [0] * text])


@pytest.mark.parametrize('frames', [1, 3, 24])
def test_chat_positions_four_per_frame(frames):
    positions = build_position_ids(chat_types(frames, 66, text=5))[0].tolist()
    expected = [0]
    for k in range(frames):
        expected += [4 * k + 1] + [4 * k + 2] * 64 + [4 * k + 3, 4 * k + 4]
    expected += [4 * frames + 1 + i for i in range(5)]
    assert positions == expected


def test_base_positions_whole_video_is_one_run():
    types = torch.tensor([[0] + [1] * (66 * 24) + [0] * 3])
    positions = build_position_ids(types)[0].tolist()
    assert positions == [0, 1] + [2] * (66 * 24 - 2) + [3, 4, 5, 6]


def test_left_padding_starts_real_tokens_at_zero():
    types = torch.tensor([[0, 0, 0, 1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0]])
    mask = torch.tensor([[0, 0, 1, 1, 1, 1, 1, 1, 1], [1] * 9])
    assert build_position_ids(types, mask).tolist() == [[0, 0, 0, 1, 2, 2, 3, 4, 5], list(range(9))]


def reference_eva(model, pixel_values) -> torch.Tensor:
    """EVA2-CLIP-E + conv + GLU written from the state dict with plain tensor ops (explicit per-head attention)."""
    sd = {k[len('model.vision.'):]: v for k, v in model.state_dict().items() if k.startswith('model.vision.')}
    cfg = model.config.vision_config
    heads, dim = cfg.num_heads, cfg.hidden_size // cfg.num_heads
    x = F.conv2d(pixel_values, sd['patch_embedding.proj.weight'], sd['patch_embedding.proj.bias'], stride=14)
    x = x.flatten(2).transpose(1, 2)
    x = torch.cat([sd['patch_embedding.cls_embedding'].expand(x.shape[0], 1, -1), x], 1)
    x = x + sd['patch_embedding.position_embedding.weight']
    for j in range(cfg.num_hidden_layers):
        p = f'transformer.layers.{j}.'
        qkv = x @ sd[p + 'attention.query_key_value.weight'].T + sd[p + 'attention.query_key_value.bias']
        width = cfg.hidden_size
        outputs = []
        for h in range(heads):  # Q heads, then K heads, then V heads
            q = qkv[..., h * dim:(h + 1) * dim]
            k = qkv[..., width + h * dim: width + (h + 1) * dim]
            v = qkv[..., 2 * width + h * dim: 2 * width + (h + 1) * dim]
            weights = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(dim), dim=-1)
            outputs.append(weights @ v)
        attn = torch.cat(outputs, -1) @ sd[p + 'attention.dense.weight'].T + sd[p + 'attention.dense.bias']
        x = x + F.layer_norm(attn, (width,), sd[p + 'input_layernorm.weight'], sd[p + 'input_layernorm.bias'], 1e-6)
        hidden = x @ sd[p + 'mlp.fc1.weight'].T + sd[p + 'mlp.fc1.bias']
        hidden = 0.5 * hidden * (1 + torch.erf(hidden / math.sqrt(2)))
        hidden = hidden @ sd[p + 'mlp.fc2.weight'].T + sd[p + 'mlp.fc2.bias']
        x = x + F.layer_norm(hidden, (width,), sd[p + 'post_attention_layernorm.weight'],
                             sd[p + 'post_attention_layernorm.bias'], 1e-6)
    x = x[:, 1:]
    grid = int(math.isqrt(x.shape[1]))
    x = F.conv2d(x.reshape(x.shape[0], grid, grid, -1).permute(0, 3, 1, 2), sd['conv.weight'], sd['conv.bias'],
                 stride=2).flatten(2).transpose(1, 2)
    x = x @ sd['linear_proj.linear_proj.weight'].T
    x = F.gelu(F.layer_norm(x, (x.shape[-1],), sd['linear_proj.norm1.weight'], sd['linear_proj.norm1.bias']))
    x = (F.silu(x @ sd['linear_proj.gate_proj.weight'].T) * (x @ sd['linear_proj.dense_h_to_4h.weight'].T)) \
        @ sd['linear_proj.dense_4h_to_h.weight'].T
    n = x.shape[0]
    return torch.cat([sd['boi'].expand(n, -1, -1), x, sd['eoi'].expand(n, -1, -1)], 1)


def test_vision_tower_matches_plain_tensor_reference():
    model = tiny_model()
    pixel_values = torch.randn(3, 3, 56, 56)
    with torch.no_grad():
        got = model.model.vision(pixel_values)
        want = reference_eva(model, pixel_values)
    assert got.shape == (3, 6, 64)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_language_model_equals_llama_with_split_qkv():
    model = tiny_model()
    cfg = model.config
    llama = LlamaForCausalLM(LlamaConfig(vocab_size=cfg.vocab_size, hidden_size=64, intermediate_size=128,
                                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                         rms_norm_eps=cfg.rms_norm_eps, rope_theta=500000.0,
                                         max_position_embeddings=512)).eval()
    state = {}
    for key, value in model.state_dict().items():
        if key.startswith('model.vision.') or key.endswith('rotary_emb.inv_freq'):
            continue
        if 'language_expert_query_key_value' in key:
            q, k, v = value.split([64, 32, 32])
            base = key.replace('language_expert_query_key_value.weight', '')
            state.update({base + 'q_proj.weight': q, base + 'k_proj.weight': k, base + 'v_proj.weight': v})
        else:
            state[key.replace('language_expert_dense', 'o_proj').replace('mlp.language_mlp.', 'mlp.')] = value
    llama.load_state_dict(state, strict=True)
    input_ids = torch.randint(3, 120, (2, 11))
    with torch.no_grad():
        torch.testing.assert_close(model(input_ids=input_ids).logits, llama(input_ids=input_ids).logits,
                                   atol=1e-5, rtol=1e-5)


def video_inputs(frames: int, text: list[int], seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    ids, types = [0], [0]
    for t in range(frames):
        ids += [2] * 6 + [10 + t]
        types += [1] * 6 + [0]
    ids += text
    types += [0] * len(text)
    return (torch.tensor([ids]), torch.tensor([types]),
            torch.randn(frames, 3, 56, 56, generator=generator))


def test_cached_decoding_equals_full_recomputation():
    model = tiny_model()
    ids, types, pixels = video_inputs(3, [20, 21, 22])
    with torch.no_grad():
        out = model(input_ids=ids, token_type_ids=types, pixel_values=pixels, use_cache=True)
        cache, cached_logits, sequence = out.past_key_values, [out.logits[:, -1]], ids
        for _ in range(4):
            token = cached_logits[-1].argmax(-1, keepdim=True)
            sequence = torch.cat([sequence, token], 1)
            out = model(input_ids=token, past_key_values=cache, use_cache=True,
                        attention_mask=torch.ones_like(sequence))
            cache = out.past_key_values
            cached_logits.append(out.logits[:, -1])
        full_types = torch.cat([types, torch.zeros(1, 4, dtype=torch.long)], 1)
        full = model(input_ids=sequence, token_type_ids=full_types, pixel_values=pixels, use_cache=False).logits
    for step, logits in enumerate(cached_logits):
        torch.testing.assert_close(logits, full[:, ids.shape[1] - 1 + step], atol=1e-5, rtol=1e-5)


def test_batch_of_videos_with_left_padding_equals_single_samples():
    model = tiny_model()
    a = video_inputs(3, [20, 21], seed=1)
    b = video_inputs(1, [30, 31, 32, 33], seed=2)
    length = max(a[0].shape[1], b[0].shape[1])

    def left_pad(t, value):
        return F.pad(t, (length - t.shape[1], 0), value=value)

    batch_ids = torch.cat([left_pad(a[0], 2), left_pad(b[0], 2)])
    batch_types = torch.cat([left_pad(a[1], 0), left_pad(b[1], 0)])
    mask = torch.cat([left_pad(torch.ones_like(a[0]), 0), left_pad(torch.ones_like(b[0]), 0)])
    with torch.no_grad():
        batched = model(input_ids=batch_ids, token_type_ids=batch_types, attention_mask=mask,
                        pixel_values=torch.cat([a[2], b[2]])).logits
        for row, (ids, types, pixels) in enumerate([a, b]):
            single = model(input_ids=ids, token_type_ids=types, pixel_values=pixels).logits[0]
            torch.testing.assert_close(batched[row, -ids.shape[1]:], single, atol=1e-4, rtol=1e-4)


def test_generate_with_batched_videos_runs_and_matches_single():
    model = tiny_model()
    ids, types, pixels = video_inputs(2, [20, 21])
    single = model.generate(input_ids=ids, token_type_ids=types, pixel_values=pixels, max_new_tokens=4,
                            do_sample=False, attention_mask=torch.ones_like(ids))
    double = model.generate(input_ids=ids.repeat(2, 1), token_type_ids=types.repeat(2, 1),
                            pixel_values=torch.cat([pixels, pixels]), max_new_tokens=4, do_sample=False,
                            attention_mask=torch.ones_like(ids).repeat(2, 1))
    assert double[0].tolist() == single[0].tolist() == double[1].tolist()


def test_gradient_checkpointing_gives_the_same_gradients():
    ids, types, pixels = video_inputs(2, [20, 21, 22])
    grads = []
    for checkpointing in (False, True):
        model = tiny_model().train()
        if checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={'use_reentrant': False})
        loss = model(input_ids=ids, token_type_ids=types, pixel_values=pixels, labels=ids).loss
        loss.backward()
        grads.append({n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None})
    assert grads[0].keys() == grads[1].keys() and len(grads[0]) > 50
    for name in grads[0]:
        torch.testing.assert_close(grads[0][name], grads[1][name], atol=1e-6, rtol=1e-5)


def test_vision_slot_mismatch_is_a_clear_error():
    model = tiny_model()
    ids, types, pixels = video_inputs(2, [20])
    with pytest.raises(ValueError, match=r'12 vision slots .* 18 embeddings \(3 frames x 6 tokens\)'):
        model(input_ids=ids, token_type_ids=types, pixel_values=torch.cat([pixels, pixels[:1]]))
