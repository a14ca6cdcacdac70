"""transformers' model contracts for every class of ours (PLLaVA, CogVLM2-Video, MiniGPT4-Video), on video inputs.

What transformers' own common tests ask of a model class: a real ``config_class``, save → load of every tensor,
``return_dict=False``, hidden states and attentions on request, eager == sdpa, gradient checkpointing with the same
gradients, and cached ``generate()`` equal to recomputation (``use_cache=False`` re-runs the whole sequence, pixels
included, at every step).
"""

import dataclasses
import importlib
import inspect
import pkgutil
from collections.abc import Callable

import pytest
import torch
from transformers import PreTrainedModel

import swift_video_ext.models
from swift_video_ext.models.cogvlm2_video import CogVLM2VideoConfig, CogVLM2VideoForCausalLM, CogVLM2VideoModel
from swift_video_ext.models.minigpt4_video import MiniGPT4VideoConfig, MiniGPT4VideoForConditionalGeneration
from swift_video_ext.models.minigpt4_video.tiny import TINY_VISION
from swift_video_ext.models.pllava import PllavaConfig, PllavaForConditionalGeneration
from swift_video_ext.models.pllava.modeling_pllava import PllavaModel


@dataclasses.dataclass
class Case:
    name: str
    model_class: type
    config: Callable[[], object]
    inputs: Callable[[], dict]  # forward kwargs of a batch with a video, without labels
    num_layers: int

    def build(self, seed: int = 0, attn: str = 'sdpa'):
        torch.manual_seed(seed)
        config = self.config()
        config._attn_implementation = attn
        return self.model_class(config).eval()


def pllava_config():
    return PllavaConfig(vision_config={'hidden_size': 32, 'intermediate_size': 64, 'num_hidden_layers': 2,
                                       'num_attention_heads': 4, 'image_size': 56, 'patch_size': 14},
                        text_config={'vocab_size': 96, 'hidden_size': 64, 'intermediate_size': 128,
                                     'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 2,
                                     'pad_token_id': 0},
                        image_token_index=95, num_frames=4, pooling_shape=[4, 2, 2])


def pllava_inputs():
    generator = torch.Generator().manual_seed(1)
    ids = torch.tensor([[1, 7] + [95] * 16 + [8, 9, 10]])
    return {'input_ids': ids, 'attention_mask': torch.ones_like(ids), 'frames_per_media': torch.tensor([3]),
            'pixel_values': torch.randn(3, 3, 56, 56, generator=generator)}


def cogvlm_config():
    return CogVLM2VideoConfig(vocab_size=120, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                              num_attention_heads=4, num_multi_query_heads=2, pad_token_id=2, bos_token_id=0,
                              eos_token_id=1, vision_config={'hidden_size': 32, 'intermediate_size': 64,
                                                             'num_hidden_layers': 2, 'num_heads': 2,
                                                             'patch_size': 14, 'image_size': 56})


def cogvlm_inputs():
    generator = torch.Generator().manual_seed(1)
    ids, types = [0], [0]
    for t in range(3):
        ids += [2] * 6 + [10 + t]
        types += [1] * 6 + [0]
    ids, types = torch.tensor([ids + [20, 21, 22]]), torch.tensor([types + [0, 0, 0]])
    return {'input_ids': ids, 'token_type_ids': types, 'attention_mask': torch.ones_like(ids),
            'pixel_values': torch.randn(3, 3, 56, 56, generator=generator)}


def minigpt4_config():
    return MiniGPT4VideoConfig(vision_config=dict(TINY_VISION), image_token_id=0,
                               text_config={'model_type': 'llama', 'vocab_size': 100, 'hidden_size': 64,
                                            'intermediate_size': 128, 'num_hidden_layers': 2,
                                            'num_attention_heads': 4, 'num_key_value_heads': 4, 'bos_token_id': 1,
                                            'eos_token_id': 2})


def minigpt4_inputs():
    generator = torch.Generator().manual_seed(1)
    ids = torch.tensor([[1, 7] + ([5] + [0] * 4) * 3 + [8, 9]])
    return {'input_ids': ids, 'attention_mask': torch.ones_like(ids),
            'pixel_values': torch.randn(3, 3, 56, 56, generator=generator)}


CASES = [Case('pllava', PllavaForConditionalGeneration, pllava_config, pllava_inputs, 2),
         Case('cogvlm2_video', CogVLM2VideoForCausalLM, cogvlm_config, cogvlm_inputs, 2),
         Case('minigpt4_video', MiniGPT4VideoForConditionalGeneration, minigpt4_config, minigpt4_inputs, 2)]
BASE_CASES = [Case('pllava_base', PllavaModel, pllava_config, pllava_inputs, 2),
              Case('cogvlm2_video_base', CogVLM2VideoModel, cogvlm_config, cogvlm_inputs, 2)]
ids = [c.name for c in CASES]


def our_model_classes() -> list[type]:
    classes = []
    for module_info in pkgutil.walk_packages(swift_video_ext.models.__path__, 'swift_video_ext.models.'):
        if '.modeling_' not in module_info.name:
            continue
        module = importlib.import_module(module_info.name)
        classes += [obj for _, obj in inspect.getmembers(module, inspect.isclass)
                    if issubclass(obj, PreTrainedModel) and obj.__module__ == module.__name__]
    return classes


def test_every_model_class_has_a_real_config_class():
    classes = our_model_classes()
    assert {PllavaModel, PllavaForConditionalGeneration, CogVLM2VideoModel, CogVLM2VideoForCausalLM,
            MiniGPT4VideoForConditionalGeneration} <= set(classes)
    for cls in classes:
        assert inspect.isclass(cls.config_class), (cls, cls.config_class)


@pytest.mark.parametrize('case', CASES + BASE_CASES, ids=[c.name for c in CASES + BASE_CASES])
def test_save_load_round_trips_every_tensor(case, tmp_path):
    model = case.build()
    model.save_pretrained(tmp_path)
    reloaded = case.model_class.from_pretrained(tmp_path).eval()
    want, got = model.state_dict(), reloaded.state_dict()
    assert got.keys() == want.keys()
    for key in want:
        assert torch.equal(got[key], want[key]), key
    with torch.no_grad():
        first, again = model(**case.inputs()), reloaded(**case.inputs())
    name = 'logits' if hasattr(first, 'logits') else 'last_hidden_state'
    assert torch.equal(getattr(first, name), getattr(again, name))


@pytest.mark.parametrize('case', CASES, ids=ids)
def test_return_dict_false_gives_a_tuple(case):
    model = case.build()
    inputs = case.inputs()
    with torch.no_grad():
        output = model(**inputs)
        plain = model(**inputs, return_dict=False)
        with_loss = model(**inputs, labels=inputs['input_ids'], return_dict=False)
    assert isinstance(plain, tuple) and torch.equal(plain[0], output.logits)
    assert with_loss[0].dim() == 0 and torch.equal(with_loss[1], output.logits)


@pytest.mark.parametrize('case', CASES, ids=ids)
def test_hidden_states_and_attentions_on_request(case):
    model = case.build(attn='eager')
    inputs = case.inputs()
    length = inputs['input_ids'].shape[1]
    with torch.no_grad():
        output = model(**inputs, output_hidden_states=True, output_attentions=True)
    assert len(output.hidden_states) == case.num_layers + 1
    assert all(h.shape[:2] == (1, length) for h in output.hidden_states)
    torch.testing.assert_close(model.get_output_embeddings()(output.hidden_states[-1]), output.logits)
    assert len(output.attentions) == case.num_layers
    for attention in output.attentions:
        assert attention.shape[0] == 1 and attention.shape[-2:] == (length, length)
        torch.testing.assert_close(attention.sum(-1), torch.ones(attention.shape[:-1]))
        assert torch.all(attention.triu(1) == 0)  # causal


@pytest.mark.parametrize('case', CASES, ids=ids)
def test_eager_and_sdpa_give_the_same_logits(case):
    inputs = case.inputs()
    with torch.no_grad():
        eager = case.build(attn='eager')(**inputs).logits
        sdpa = case.build(attn='sdpa')(**inputs).logits
    torch.testing.assert_close(eager, sdpa, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('case', CASES, ids=ids)
def test_gradient_checkpointing_gives_the_same_gradients(case):
    inputs = case.inputs()
    grads = []
    for checkpointing in (False, True):
        model = case.build().train()
        if checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={'use_reentrant': False})
        model(**inputs, labels=inputs['input_ids']).loss.backward()
        grads.append({n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None})
    assert grads[0].keys() == grads[1].keys() and any('vision' in n for n in grads[0])
    for name in grads[0]:
        torch.testing.assert_close(grads[0][name], grads[1][name], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize('case', CASES, ids=ids)
@pytest.mark.parametrize('num_beams', [1, 2])
def test_cached_generate_equals_recomputation(case, num_beams):
    model = case.build(seed=2)
    kwargs = dict(**case.inputs(), do_sample=False, num_beams=num_beams, max_new_tokens=5, min_new_tokens=5,
                  output_logits=True, return_dict_in_generate=True)
    cached, recomputed = model.generate(use_cache=True, **kwargs), model.generate(use_cache=False, **kwargs)
    assert cached.sequences.tolist() == recomputed.sequences.tolist()
    if num_beams == 1:
        for got, want in zip(cached.logits, recomputed.logits, strict=True):
            torch.testing.assert_close(got, want, atol=1e-4, rtol=0)


@pytest.mark.parametrize('case', CASES, ids=ids)
def test_generate_returns_hidden_states(case):
    model = case.build()
    out = model.generate(**case.inputs(), do_sample=False, max_new_tokens=3, min_new_tokens=3,
                         output_hidden_states=True, return_dict_in_generate=True)
    assert len(out.hidden_states) == 3 and len(out.hidden_states[0]) == case.num_layers + 1


def test_minigpt4_inputs_embeds_with_pixels_equal_input_ids():
    case = CASES[2]
    model = case.build()
    inputs = case.inputs()
    ids = inputs.pop('input_ids')
    with torch.no_grad():
        want = model(input_ids=ids, **inputs).logits
        got = model(inputs_embeds=model.get_input_embeddings()(ids), **inputs).logits
    torch.testing.assert_close(got, want, atol=0, rtol=0)


def test_minigpt4_resize_token_embeddings_and_base_model():
    case = CASES[2]
    model = case.build()
    vocab = model.config.text_config.vocab_size
    model.resize_token_embeddings(vocab + 3)
    assert model.get_input_embeddings().weight.shape[0] == vocab + 3
    assert model.get_output_embeddings().weight.shape[0] == vocab + 3
    assert model.config.text_config.vocab_size == vocab + 3
    with torch.no_grad():
        assert model(**case.inputs()).logits.shape[-1] == vocab + 3
    assert model.base_model is model.language_model


def test_minigpt4_video_features_follow_transformers_convention():
    model = CASES[2].build()
    frames = CASES[2].inputs()['pixel_values']
    with torch.no_grad():
        flat = model.get_video_features(pixel_values_videos=frames).pooler_output
        batched = model.get_video_features(pixel_values_videos=frames.unsqueeze(0)).pooler_output
    assert flat.shape == (3, model.config.tokens_per_frame, 64)
    torch.testing.assert_close(batched, flat)
