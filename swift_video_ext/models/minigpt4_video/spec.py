"""MiniGPT4-Video's declaration: ``--model_type minigpt4_video`` (see
:class:`~swift_video_ext.models.spec.ModelSpec`)."""

from __future__ import annotations

from typing import Any

from ...video.settings import VideoSampling
from ..spec import AutoClasses, ModelSpec, VllmClasses

_PACKAGE = __package__

VIDEO_SAMPLING = VideoSampling('interval', num_frames=45)
ARCHITECTURE = 'MiniGPT4VideoForConditionalGeneration'


def standin_options(template_type: str | None) -> dict[str, Any]:
    """A Mistral template plans with the Mistral variant's geometry (90 frames, 800 subtitle words)."""
    return {'family': 'mistral'} if template_type and 'mistral' in template_type else {}


SPEC = ModelSpec(
    name='minigpt4_video',
    model_type='minigpt4_video',
    templates=tuple(f'minigpt4_video_{family}{layout}' for layout in ('', '_eval', '_infer')
                    for family in ('llama2', 'mistral')),
    register=f'{_PACKAGE}.register:register',
    sampling={'minigpt4_video': VIDEO_SAMPLING},
    tiny=f'{_PACKAGE}.tiny:build_tiny',
    standin=f'{_PACKAGE}.tiny:build_standin',
    full_size=f'{_PACKAGE}.tiny:build_full_size',
    auto=AutoClasses(model_type='minigpt4_video',
                     config=f'{_PACKAGE}.configuration_minigpt4_video:MiniGPT4VideoConfig',
                     model=f'{_PACKAGE}.modeling_minigpt4_video:{ARCHITECTURE}',
                     processor=f'{_PACKAGE}.processing_minigpt4_video:MiniGPT4VideoProcessor'),
    vllm=VllmClasses(ARCHITECTURE, f'swift_video_ext.vllm.minigpt4_video:{ARCHITECTURE}'),
    standin_options=standin_options,
)
