"""MiniGPT4-Video modeling: token grouping and features against independent references, LoRA gradients, generation."""

import pytest
import torch
import torch.nn.functional as F
from transformers import Blip2VisionConfig, Blip2VisionModel

from swift_video_ext.models.minigpt4_video import (
    MiniGPT4VideoConfig,
    MiniGPT4VideoForConditionalGeneration,
    concat_adjacent_tokens,
)
from swift_video_ext.models.minigpt4_video.tiny import TINY_VISION

TEXT = {'model_type': 'llama', 'vocab_size': 100, 'hidden_size': 64, 'intermediate_size': 128,
        'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 4, 'bos_token_id': 1,
        'eos_token_id': 2}


def tiny_model(seed=0, text=None) -> MiniGPT4VideoForConditionalGeneration:
    torch.manual_seed(seed)
    config = MiniGPT4VideoConfig(vision_config=dict(TINY_VISION), text_config=dict(text or TEXT), image_token_id=0)
    return MiniGPT4VideoForConditionalGeneration(config).eval()


def test_concat_is_raster_order_strips_not_blocks():
    patches = torch.arange(2 * 256 * 3, dtype=torch.float32).view(2, 256, 3)
    grouped = concat_adjacent_tokens(patches, 4)
    assert grouped.shape == (2, 64, 12)
    for j in range(64):
        assert torch.equal(grouped[:, j], torch.cat([patches[:, 4 * j + k] for k in range(4)], dim=-1))
    # token 1 covers grid row 0, columns 4..7 (a 1x4 strip), not the 2x2 block at rows 0-1, columns 2-3
    assert torch.equal(grouped[0, 1, :3], patches[0, 4]) and not torch.equal(grouped[0, 1, 3:6], patches[0, 16 + 2])


def test_video_features_match_blip2_vision_reference():
    model = tiny_model()
    reference = Blip2VisionModel(Blip2VisionConfig(**TINY_VISION)).eval()
    vision_state = {k[len('vision_model.'):]: v for k, v in model.state_dict().items() if k.startswith('vision_model.')}
    missing, unexpected = reference.load_state_dict(vision_state, strict=False)
    assert set(missing) == {'post_layernorm.weight', 'post_layernorm.bias'} and not unexpected
    pixel_values = torch.randn(3, 3, 56, 56)
    with torch.no_grad():
        encoder_out = reference(pixel_values, output_hidden_states=True).hidden_states[-1]  # before post_layernorm
        normed = F.layer_norm(encoder_out, (32,), model.ln_vision.weight, model.ln_vision.bias, eps=1e-5)
        patches = normed[:, 1:]
        grouped = torch.stack([torch.cat([patches[:, 4 * j + k] for k in range(4)], -1) for j in range(4)], 1)
        want = grouped @ model.llama_proj.weight.T + model.llama_proj.bias
        got = model.get_video_features(pixel_values).pooler_output
    assert got.shape == (3, 4, 64)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_family_defaults_come_from_the_llm_config():
    llama = MiniGPT4VideoConfig(vision_config=dict(TINY_VISION), text_config=dict(TEXT))
    mistral = MiniGPT4VideoConfig(vision_config=dict(TINY_VISION), text_config=dict(TEXT, model_type='mistral'))
    assert (llama.llm_family, llama.num_frames, llama.max_subtitle_words) == ('llama2', 45, 400)
    assert (mistral.llm_family, mistral.num_frames, mistral.max_subtitle_words) == ('mistral', 90, 800)
    released = MiniGPT4VideoConfig()
    assert released.tokens_per_frame == 64 and released.projector_in == 5632


def video_batch(frames_per_sample=(2, 1), text_lengths=(3, 5)):
    ids, pixels = [], []
    for frames, text in zip(frames_per_sample, text_lengths, strict=True):
        ids.append([1] + ([5, 6] + [0] * 4) * frames + list(range(10, 10 + text)))
        pixels.append(torch.randn(frames, 3, 56, 56))
    return ids, torch.cat(pixels)


def test_slot_mismatch_is_a_clear_error():
    model = tiny_model()
    with pytest.raises(ValueError, match=r'8 image slots in the prompt but 12 embeddings from the frames '
                                         r'\(4 per frame\)'):
        model(input_ids=torch.tensor([[1] + [0] * 8 + [9]]), pixel_values=torch.randn(3, 3, 56, 56))


def test_backward_reaches_only_projector_and_lora():
    from peft import LoraConfig, get_peft_model

    model = get_peft_model(tiny_model(), LoraConfig(r=4, lora_alpha=8, modules_to_save=['llama_proj'],
                                                    target_modules=r'^language_model.*\.(q_proj|v_proj)$'))
    ids, pixels = video_batch((2,), (4,))
    input_ids = torch.tensor(ids)
    model(input_ids=input_ids, pixel_values=pixels, labels=input_ids).loss.backward()
    with_grad = {n for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
    assert with_grad and all('lora_' in n or 'llama_proj' in n for n in with_grad)
    assert any('llama_proj' in n for n in with_grad) and any('lora_B' in n for n in with_grad)


def test_generate_with_left_padding_matches_single_samples():
    model = tiny_model()
    ids, pixels = video_batch()
    longest = max(len(i) for i in ids)
    padded = torch.tensor([[2] * (longest - len(i)) + i for i in ids])
    mask = torch.tensor([[0] * (longest - len(i)) + [1] * len(i) for i in ids])
    batched = model.generate(input_ids=padded, attention_mask=mask, pixel_values=pixels, max_new_tokens=4,
                             do_sample=False)
    first = model.generate(input_ids=torch.tensor([ids[0]]), pixel_values=pixels[:2], max_new_tokens=4,
                           do_sample=False)
    assert batched[0, -4:].tolist() == first[0, -4:].tolist()
