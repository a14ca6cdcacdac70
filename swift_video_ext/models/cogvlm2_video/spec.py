"""CogVLM2-Video's declaration: ``--model_type cogvlm2_video_ts`` (see :class:`~swift_video_ext.models.spec.ModelSpec`).

Its names: package ``cogvlm2_video``, ms-swift type ``cogvlm2_video_ts`` (ms-swift's own remote-code type is
``cogvlm2_video``), ``config.json`` ``model_type`` ``cogvlm2_video`` (exports; the official folders have none) and
class ``CogVLM2VideoForCausalLM`` (the official folders say ``CogVLMVideoForCausalLM``).
"""

from __future__ import annotations

from ...video.settings import VideoSampling
from ..spec import AutoClasses, ModelSpec, VllmClasses

_PACKAGE = __package__

# chat: the frame nearest each whole second, at most 24 (the first 24 s); base: 24 frames over the first 60 s
# (int(60 * fps) frames). Both repeat frames where the official loader does (short or low-fps clips).
VIDEO_SAMPLING = VideoSampling('per_second', max_frames=24)
VIDEO_SAMPLING_BASE = VideoSampling('window_uniform', num_frames=24, start=0.0, end=60.0)
OFFICIAL_ARCHITECTURE = 'CogVLMVideoForCausalLM'  # the official folders' config.json
ARCHITECTURE = 'CogVLM2VideoForCausalLM'  # exports

SPEC = ModelSpec(
    name='cogvlm2_video',
    model_type='cogvlm2_video_ts',
    templates=('cogvlm2_video_chat', 'cogvlm2_video_base'),
    register=f'{_PACKAGE}.register:register',
    sampling={'cogvlm2_video_ts': VIDEO_SAMPLING, 'cogvlm2_video_base': VIDEO_SAMPLING_BASE},
    tiny=f'{_PACKAGE}.tiny:build_tiny',
    standin=f'{_PACKAGE}.tiny:build_standin',
    full_size=f'{_PACKAGE}.tiny:build_full_size',
    auto=AutoClasses(model_type='cogvlm2_video',
                     config=f'{_PACKAGE}.configuration_cogvlm2_video:CogVLM2VideoConfig',
                     model=f'{_PACKAGE}.modeling_cogvlm2_video:{ARCHITECTURE}',
                     processor=f'{_PACKAGE}.processing_cogvlm2_video:CogVLM2VideoProcessor',
                     sub_configs={'cogvlm2_video_vision':
                                  f'{_PACKAGE}.configuration_cogvlm2_video:CogVLM2VideoVisionConfig'}),
    vllm=VllmClasses(ARCHITECTURE, f'swift_video_ext.vllm.cogvlm2_video:{ARCHITECTURE}'),
    guard_architectures=(OFFICIAL_ARCHITECTURE, ARCHITECTURE),
)
