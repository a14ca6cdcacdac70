"""`import swift_video_ext` registers our models with transformers' Auto classes lazily, on first use."""

import subprocess
import sys

import pytest

LOAD = """
import sys
{before}
assert 'transformers.models.auto.modeling_auto' not in sys.modules or {preloaded}
from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor
config = AutoConfig.from_pretrained({path!r})
model = AutoModelForImageTextToText.from_pretrained({path!r})
processor = AutoProcessor.from_pretrained({path!r})
print(type(config).__name__, type(model).__name__, type(processor).__name__)
"""


@pytest.fixture(scope='module')
def tiny_pllava(tmp_path_factory):
    from tests.helpers import run

    path = tmp_path_factory.mktemp('auto') / 'pllava'
    run(['swift-video', 'tiny-model', 'pllava', str(path)])
    return path


def load(path, before: str, preloaded: bool = False) -> subprocess.CompletedProcess:
    code = LOAD.format(before=before, path=str(path), preloaded=preloaded)
    env = {'SWIFT_VIDEO_EXT_AUTOLOAD': '0', 'HF_HUB_OFFLINE': '1', 'PATH': '/usr/bin:/bin'}
    import os

    env.update({k: v for k, v in os.environ.items() if k in ('PYTHONPATH', 'HOME', 'TMPDIR')})
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=600, env=env)


@pytest.mark.parametrize('before, preloaded', [
    ('import swift_video_ext\nassert "transformers" not in sys.modules', False),  # registration on first Auto use
    ('import transformers.models.auto.modeling_auto\nimport swift_video_ext', True),  # Auto loaded: at once
    ('import swift_video_ext.video\nimport transformers', False),
])
def test_merged_export_loads_with_auto_classes_after_import(tiny_pllava, before, preloaded):
    result = load(tiny_pllava, before, preloaded)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-3:] == ['PllavaConfig', 'PllavaForConditionalGeneration', 'PllavaProcessor']


def test_without_the_package_transformers_does_not_know_pllava(tiny_pllava):
    result = load(tiny_pllava, '')
    assert result.returncode != 0 and 'pllava' in result.stderr


@pytest.mark.parametrize('model_type,model_class,processor_class', [
    ('pllava', 'PllavaForConditionalGeneration', 'PllavaProcessor'),
    ('cogvlm2_video_ts', 'CogVLM2VideoForCausalLM', 'CogVLM2VideoProcessor'),
    ('minigpt4_video', 'MiniGPT4VideoForConditionalGeneration', 'MiniGPT4VideoProcessor'),
])
def test_every_type_loads_with_image_text_to_text_and_causal_lm(tmp_path, model_type, model_class, processor_class):
    """README: a checkpoint of ours loads with ``AutoModelForImageTextToText`` (and ``AutoModelForCausalLM``) and
    ``AutoProcessor``, no remote code."""
    from transformers import AutoModelForCausalLM, AutoModelForImageTextToText, AutoProcessor

    import swift_video_ext  # noqa: F401
    from swift_video_ext.models import tiny_builders

    path = tiny_builders()[model_type](tmp_path / model_type)
    for auto in (AutoModelForImageTextToText, AutoModelForCausalLM):
        assert type(auto.from_pretrained(path, trust_remote_code=False)).__name__ == model_class
    assert type(AutoProcessor.from_pretrained(path, trust_remote_code=False)).__name__ == processor_class
