"""A made-up model package's pieces: every registry must follow ``MODEL_SPECS`` (tests/models/test_specs.py)."""

from __future__ import annotations

from pathlib import Path

from transformers import PreTrainedConfig

from swift_video_ext.models.spec import AutoClasses, ModelSpec, VllmClasses
from swift_video_ext.video.settings import VideoSampling

CALLS: list[tuple] = []
MODULE = __name__


class FakeConfig(PreTrainedConfig):
    model_type = 'svx_fake'


class FakeModel:
    config_class = FakeConfig


class FakeProcessor:
    pass


def register() -> None:
    CALLS.append(('register',))


def build(output_dir, **options) -> Path:
    CALLS.append(('build', Path(output_dir).name, options))
    return Path(output_dir)


def standin_options(template_type: str | None) -> dict:
    return {'size': 'big'} if template_type == 'svx_fake_big' else {}


SPEC = ModelSpec(
    name='svx_fake', model_type='svx_fake', templates=('svx_fake_template',), register=f'{MODULE}:register',
    sampling={'svx_fake': VideoSampling('uniform', num_frames=3)}, tiny=f'{MODULE}:build', standin=f'{MODULE}:build',
    auto=AutoClasses('svx_fake', f'{MODULE}:FakeConfig', f'{MODULE}:FakeModel', f'{MODULE}:FakeProcessor'),
    vllm=VllmClasses('SvxFakeForCausalLM', f'{MODULE}:FakeModel'), guard_architectures=('SvxFakeForCausalLM',),
    video_template='svx_fake_template', standin_options=standin_options,
)
