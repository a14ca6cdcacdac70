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
    assert plugin.register() == list(plugin.ARCHITECTURES)
    assert set(plugin.ARCHITECTURES) <= set(ModelRegistry.get_supported_archs())


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
