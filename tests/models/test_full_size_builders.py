"""Full-size random checkpoints (GPU benchmarks) have the released models' sizes; built here on the meta device."""

import importlib

import pytest
import torch

# parameters of the released models (billions): PLLaVA-7B = llava-v1.6-vicuna-7b, CogVLM2-Video-Llama3 12.5B,
# MiniGPT4-Video = EVA ViT-g (39 blocks) + Q-Former-free projector + Llama-2-7B, Gemma-4-E4B ≈ 8B with embeddings
EXPECTED = {'pllava': (7.0, 7.1), 'cogvlm2_video': (12.4, 12.6), 'minigpt4_video': (7.6, 7.9),
            'gemma4': (7.5, 8.5)}


@pytest.mark.parametrize('package', sorted(EXPECTED))
def test_full_size_builder(package, tmp_path, monkeypatch):
    module = importlib.import_module(f'swift_video_ext.models.{package}.tiny')
    built = {}

    def on_meta(model_class, config, output_dir, **kwargs):
        with torch.device('meta'):
            model = model_class(config)
        built['params'] = sum(p.numel() for p in model.parameters()) / 1e9
        built['kwargs'] = kwargs
        config.save_pretrained(output_dir)

    monkeypatch.setattr(module, 'save_random_model', on_meta)
    output = module.build_full_size(tmp_path / package)
    low, high = EXPECTED[package]
    assert low <= built['params'] <= high, built['params']
    assert built['kwargs']['dtype'] == torch.bfloat16 and built['kwargs']['device'] == 'cuda'
    assert (output / 'config.json').is_file() and any(output.glob('tokenizer*'))
