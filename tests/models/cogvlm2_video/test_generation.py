"""CogVLM2-Video generation: CogVLM positions in every path, against full recomputation without a cache.

transformers' ``generate()`` fills in ``position_ids`` itself (sequential ``arange``); the model must still decode with
CogVLM's positions (a frame's patches share one position), as the official model, which rebuilds them from the token
types at every step. The reference throughout is a full forward of the whole sequence with no cache.
"""

import pytest
import torch
import torch.nn.functional as F

from swift_video_ext.models.cogvlm2_video import build_position_ids

from .test_modeling import tiny_model, video_inputs

NEW_TOKENS = 6


def full_forward_logits(model, ids, types, pixels, mask=None, positions=None):
    with torch.no_grad():
        return model(input_ids=ids, token_type_ids=types, pixel_values=pixels, attention_mask=mask,
                     position_ids=positions, use_cache=False).logits


def extend_types(types, new):
    return torch.cat([types, torch.zeros(types.shape[0], new, dtype=torch.long)], 1)


def test_cached_generate_step_logits_equal_a_full_forward():
    model = tiny_model()
    ids, types, pixels = video_inputs(4, [20, 21, 22])
    arange = torch.arange(ids.shape[1]).unsqueeze(0)
    assert not torch.equal(build_position_ids(types), arange)  # the frames make CogVLM positions differ
    out = model.generate(input_ids=ids, token_type_ids=types, pixel_values=pixels, max_new_tokens=NEW_TOKENS,
                         min_new_tokens=NEW_TOKENS, do_sample=False, output_logits=True, return_dict_in_generate=True,
                         attention_mask=torch.ones_like(ids))
    sequence = out.sequences
    full = full_forward_logits(model, sequence, extend_types(types, NEW_TOKENS), pixels)
    prompt = ids.shape[1]
    for step, logits in enumerate(out.logits):
        torch.testing.assert_close(logits[0], full[0, prompt - 1 + step], atol=1e-4, rtol=0)
    # the control: plain arange positions give visibly different logits, so the check above can fail
    plain = full_forward_logits(model, sequence, extend_types(types, NEW_TOKENS), pixels,
                                positions=torch.arange(sequence.shape[1]).unsqueeze(0))
    assert (plain[0, prompt - 1:] - full[0, prompt - 1:]).abs().max() > 1e-3


def greedy_by_recomputation(model, ids, types, pixels, steps=NEW_TOKENS) -> list[int]:
    """Greedy decoding where every token comes from a full forward of the sequence so far (no cache)."""
    sequence = ids
    for _ in range(steps):
        logits = full_forward_logits(model, sequence, extend_types(types, sequence.shape[1] - ids.shape[1]), pixels)
        sequence = torch.cat([sequence, logits[:, -1].argmax(-1, keepdim=True)], 1)
    return sequence[0, ids.shape[1]:].tolist()


def test_generate_without_explicit_positions_equals_greedy_recomputation():
    model = tiny_model(seed=3)
    ids, types, pixels = video_inputs(3, [20, 21], seed=5)
    generated = model.generate(input_ids=ids, token_type_ids=types, pixel_values=pixels, do_sample=False,
                               max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS)
    assert generated[0, ids.shape[1]:].tolist() == greedy_by_recomputation(model, ids, types, pixels)


def left_padded_batch(samples, pad_id=2):
    length = max(s[0].shape[1] for s in samples)

    def pad(t, value):
        return F.pad(t, (length - t.shape[1], 0), value=value)

    ids = torch.cat([pad(s[0], pad_id) for s in samples])
    types = torch.cat([pad(s[1], 0) for s in samples])
    mask = torch.cat([pad(torch.ones_like(s[0]), 0) for s in samples])
    return ids, types, mask, torch.cat([s[2] for s in samples])


def test_left_padded_batch_of_videos_generates_as_each_alone():
    model = tiny_model()
    samples = [video_inputs(3, [20, 21], seed=1), video_inputs(1, [30, 31, 32, 33, 34], seed=2)]
    ids, types, mask, pixels = left_padded_batch(samples)
    batched = model.generate(input_ids=ids, token_type_ids=types, attention_mask=mask, pixel_values=pixels,
                             do_sample=False, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                             output_logits=True, return_dict_in_generate=True)
    for row, sample in enumerate(samples):
        alone = model.generate(input_ids=sample[0], token_type_ids=sample[1], pixel_values=sample[2],
                               do_sample=False, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                               output_logits=True, return_dict_in_generate=True)
        assert batched.sequences[row, ids.shape[1]:].tolist() == alone.sequences[0, sample[0].shape[1]:].tolist()
        for got, want in zip(batched.logits, alone.logits, strict=True):
            torch.testing.assert_close(got[row], want[0], atol=1e-4, rtol=0)


@pytest.mark.parametrize('num_beams', [1, 3])
def test_cached_generate_equals_generate_without_cache(num_beams):
    model = tiny_model(seed=1)
    samples = [video_inputs(2, [20, 21, 22], seed=3), video_inputs(4, [25], seed=4)]
    ids, types, mask, pixels = left_padded_batch(samples)
    kwargs = dict(input_ids=ids, token_type_ids=types, attention_mask=mask, pixel_values=pixels, do_sample=False,
                  num_beams=num_beams, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS)
    assert model.generate(use_cache=True, **kwargs).tolist() == model.generate(use_cache=False, **kwargs).tolist()


def test_bf16_rounded_stored_rotary_frequencies_are_used_as_loaded(tmp_path):
    """The official model uses the checkpoint's stored ``inv_freq`` (bf16-rounded in the released files)."""
    model = tiny_model()
    ids, types, pixels = video_inputs(3, [20, 21, 22])
    exact = full_forward_logits(model, ids, types, pixels)
    for layer in model.model.layers:
        layer.self_attn.rotary_emb.inv_freq.copy_(layer.self_attn.rotary_emb.inv_freq.to(torch.bfloat16).float())
    model.save_pretrained(tmp_path)
    reloaded = type(model).from_pretrained(tmp_path).eval()
    rounded = full_forward_logits(reloaded, ids, types, pixels)
    torch.testing.assert_close(rounded, full_forward_logits(model, ids, types, pixels), atol=0, rtol=0)
    assert (rounded - exact).abs().max() > 1e-6  # the rounding is visible, so the values above are the stored ones
