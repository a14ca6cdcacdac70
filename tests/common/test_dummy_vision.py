"""Text-only batches still run the vision path (swift_video_ext.common.dummy_vision), as the call sites will.

Each case wires the helper the way the model's forward is to call it (see the report of issue 13) and checks, on
the real tiny models: the logits are bit-identical to the plain text-only forward, and every vision/projector
parameter that a real video uses is in the backward graph (it gets a gradient, all zeros), which the plain forward
does not give. (PLLaVA reads features from the vision tower's second-to-last layer, so its last layer is unused by
videos too.)
"""

from __future__ import annotations

import pytest
import torch

from swift_video_ext.common.dummy_vision import dummy_frames, dummy_vision_needed, keep_in_graph, with_dummy_vision


def _pllava(root):
    from swift_video_ext.models.pllava import PllavaForConditionalGeneration
    from swift_video_ext.models.pllava.tiny import build_tiny

    model = PllavaForConditionalGeneration.from_pretrained(build_tiny(root / 'pllava'))
    inner = model.model
    return model, inner, (lambda px: inner.get_media_features(px)), model.config.vision_config.image_size, \
        ('vision_tower', 'multi_modal_projector')


def _cogvlm2(root):
    from swift_video_ext.models.cogvlm2_video import CogVLM2VideoForCausalLM
    from swift_video_ext.models.cogvlm2_video.tiny import build_tiny

    model = CogVLM2VideoForCausalLM.from_pretrained(build_tiny(root / 'cogvlm2'))
    return model, model.model, model.model.encode_frames, model.config.vision_config.image_size, ('vision',)


def _minigpt4(root):
    from swift_video_ext.models.minigpt4_video import MiniGPT4VideoForConditionalGeneration
    from swift_video_ext.models.minigpt4_video.tiny import build_tiny

    model = MiniGPT4VideoForConditionalGeneration.from_pretrained(build_tiny(root / 'minigpt4'))
    return model, model, model.frame_features, model.config.vision_config.image_size, \
        ('vision_model', 'ln_vision', 'llama_proj')


def _text_only_step(model, embeds):
    ids = torch.randint(5, 40, (2, 7), generator=torch.Generator().manual_seed(0))
    out = model(inputs_embeds=embeds(ids), labels=ids)
    out.loss.backward()
    return out.logits.detach()


@pytest.mark.parametrize('case', [_pllava, _cogvlm2, _minigpt4], ids=['pllava', 'cogvlm2_video', 'minigpt4_video'])
def test_text_only_batch_backpropagates_through_the_vision_path(case, tmp_path):
    model, inner, encode, image_size, prefixes = case(tmp_path)
    model.train()
    table = model.get_input_embeddings()
    # reference: the parameters a real (random) frame's features depend on
    pixels = torch.rand(1, 3, image_size, image_size, generator=torch.Generator().manual_seed(1))
    keep_in_graph(torch.zeros(()), encode(pixels)).backward()
    vision = {n: p for n, p in model.named_parameters() if p.grad is not None}
    assert vision and all(any(part in n for part in prefixes) for n in vision), sorted(vision)
    model.zero_grad(set_to_none=True)

    plain = _text_only_step(model, table)
    assert all(p.grad is None for p in vision.values())  # the deadlock / unsynced-gradient case
    model.zero_grad(set_to_none=True)

    dummy = _text_only_step(model, lambda ids: with_dummy_vision(inner, table(ids), encode, image_size=image_size,
                                                                 force=True))
    assert torch.equal(dummy, plain)
    with_grad = {n for n, p in model.named_parameters() if p.grad is not None}
    missing = sorted(set(vision) - with_grad)
    assert not missing, missing
    assert all(torch.count_nonzero(p.grad) == 0 for p in vision.values())


def test_needed_only_in_distributed_or_deepspeed_training(monkeypatch):
    module = torch.nn.Linear(2, 2).train()
    monkeypatch.delenv('WORLD_SIZE', raising=False)
    assert not dummy_vision_needed(module)
    monkeypatch.setenv('WORLD_SIZE', '2')
    assert dummy_vision_needed(module)
    with torch.no_grad():
        assert not dummy_vision_needed(module)
    assert not dummy_vision_needed(module.eval())


def test_not_needed_leaves_embeddings_untouched(monkeypatch):
    monkeypatch.setenv('WORLD_SIZE', '1')
    embeds = torch.randn(1, 3, 4)
    calls = []
    assert with_dummy_vision(torch.nn.Linear(2, 2), embeds, calls.append, image_size=8) is embeds
    assert calls == []


def test_dummy_frames_shape_and_dtype():
    frames = dummy_frames((28, 42), like=torch.zeros(1, dtype=torch.float64), num_frames=3)
    assert frames.shape == (3, 3, 28, 42) and frames.dtype == torch.float64 and not frames.any()


def test_non_finite_features_are_refused():
    with pytest.raises(ValueError, match='non-finite'):
        keep_in_graph(torch.zeros(1, 2, 3), [torch.tensor([float('nan')])])


@pytest.mark.parametrize('case', [_pllava, _cogvlm2, _minigpt4], ids=['pllava', 'cogvlm2_video', 'minigpt4_video'])
def test_model_forward_runs_the_vision_path_on_text_only_batches_when_distributed(case, tmp_path, monkeypatch):
    """The call sites in the models' forwards: with two ranks (WORLD_SIZE=2) a text-only training batch puts every
    vision parameter a real frame uses into the backward, and the logits are those of the plain forward."""
    model, _, encode, image_size, _ = case(tmp_path)
    model.train()
    pixels = torch.rand(1, 3, image_size, image_size, generator=torch.Generator().manual_seed(1))
    keep_in_graph(torch.zeros(()), encode(pixels)).backward()
    vision = {n for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad(set_to_none=True)
    ids = torch.randint(5, 40, (2, 7), generator=torch.Generator().manual_seed(0))
    monkeypatch.setenv('WORLD_SIZE', '1')
    plain = model(input_ids=ids, labels=ids).logits.detach()
    model.zero_grad(set_to_none=True)
    monkeypatch.setenv('WORLD_SIZE', '2')
    out = model(input_ids=ids, labels=ids)
    out.loss.backward()
    assert torch.equal(out.logits.detach(), plain)
    missing = sorted(n for n in vision if dict(model.named_parameters())[n].grad is None)
    assert not missing, missing
