"""The vLLM entry point: registers our architectures, and a failure is a warning, never an error."""

from __future__ import annotations

import sys

import pytest

import swift_video_ext.vllm as plugin
from tests.vllm.conftest import needs_vllm


def test_register_without_vllm_warns_and_returns(monkeypatch):
    monkeypatch.setitem(sys.modules, 'vllm', None)  # "import vllm" raises ImportError
    with pytest.warns(UserWarning, match='nothing registered'):
        assert plugin.register() == []


@needs_vllm
def test_entry_point_and_registration():
    from importlib.metadata import entry_points

    from vllm import ModelRegistry

    (entry,) = [e for e in entry_points(group='vllm.general_plugins') if e.name == 'swift_video_ext']
    assert entry.load() is plugin.register
    assert plugin.register() == list(plugin.architectures())
    assert set(plugin.architectures()) <= set(ModelRegistry.get_supported_archs())


@needs_vllm
def test_failing_registration_is_a_warning(monkeypatch):
    from vllm import ModelRegistry

    def broken(arch, target):
        raise RuntimeError('boom')

    monkeypatch.setattr(ModelRegistry, 'register_model', broken)
    with pytest.warns(UserWarning, match='not registered.*boom'):
        assert plugin.register() == []


@needs_vllm
def test_pool_media_equals_our_model():
    """The vLLM model's pooling gives PllavaModel.pool_video's numbers (uneven sizes: adaptive pooling)."""
    import torch

    from swift_video_ext.models.pllava import PllavaConfig, PllavaModel
    from swift_video_ext.vllm.pllava import pool_media

    config = PllavaConfig(vision_config={'hidden_size': 8, 'intermediate_size': 16, 'num_hidden_layers': 1,
                                         'num_attention_heads': 2, 'image_size': 70, 'patch_size': 14},
                          text_config={'vocab_size': 32, 'hidden_size': 16, 'intermediate_size': 32,
                                       'num_hidden_layers': 1, 'num_attention_heads': 2},
                          num_frames=6, pooling_shape=[4, 3, 2])
    with torch.device('meta'):
        reference = PllavaModel(config)
    for frames in (1, 3, 6, 8):
        features = torch.randn(frames, 25, 16)
        torch.testing.assert_close(pool_media(features, config), PllavaModel.pool_video(reference, features))


@needs_vllm
def test_cogvlm2_video_config_gives_vllm_our_positions(tmp_path):
    """After register(), vLLM reads a CogVLM2-Video export with the M-RoPE field (the hook through which the model
    hands vLLM CogVLM positions), and that field is a split of the whole rotary half-dimension."""
    from transformers import AutoConfig
    from vllm.transformers_utils.config import uses_mrope

    from swift_video_ext.models.cogvlm2_video import CogVLM2VideoConfig

    CogVLM2VideoConfig(hidden_size=64, num_attention_heads=2, num_multi_query_heads=2).save_pretrained(tmp_path)
    plugin.register()
    config = AutoConfig.from_pretrained(tmp_path)
    assert uses_mrope(config) and sum(config.mrope_section) == config.head_dim // 2 == 16


@needs_vllm
def test_cogvlm2_video_positions_and_rope_equal_our_model():
    """The vLLM model's prompt positions (from placeholder ranges) and cos/sin cache (from a stored bf16 inv_freq,
    as the official checkpoints hold it) equal our transformers model's."""
    import torch

    from swift_video_ext.models.cogvlm2_video import CogVLM2VideoConfig
    from swift_video_ext.models.cogvlm2_video.modeling_cogvlm2_video import (
        CogVLMRotaryEmbedding,
        build_position_ids,
    )
    from swift_video_ext.vllm.cogvlm2_video import cogvlm_positions, rope_cache

    types = torch.tensor([[0] + [1] * 6 + [0] + [1] * 12 + [0] * 5])  # one frame, then two adjacent frames
    assert cogvlm_positions(types.shape[1], [(1, 6), (8, 6), (14, 6)]).tolist() == build_position_ids(types)[0].tolist()
    rotary = CogVLMRotaryEmbedding(CogVLM2VideoConfig(hidden_size=256, num_attention_heads=2, num_multi_query_heads=2))
    rotary.inv_freq = rotary.inv_freq.to(torch.bfloat16)
    positions = torch.tensor([[0, 1, 7, 255, 256, 257, 1000, 4095]])
    cos, sin = rotary(torch.zeros(1, dtype=torch.float32), positions)
    cache = rope_cache(rotary.inv_freq, 4096).float()[positions[0]]
    half = cos.shape[-1] // 2
    torch.testing.assert_close(cache, torch.cat([cos[0, :, :half], sin[0, :, :half]], dim=-1), rtol=0, atol=0)
