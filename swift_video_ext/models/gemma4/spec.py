"""Gemma-4's declaration: ms-swift's own ``gemma4`` type, extended with the ``gemma4_frames`` templates (see
:class:`~swift_video_ext.models.spec.ModelSpec`). Its classes are transformers' own: no Auto classes, no vLLM model."""

from __future__ import annotations

from ...video.settings import VideoSampling
from ..spec import ModelSpec

_PACKAGE = __package__

# The reference action-recognition data gives the model 4 frames per clip.
VIDEO_SAMPLING = VideoSampling('uniform', num_frames=4)

SPEC = ModelSpec(
    name='gemma4',
    model_type='gemma4',
    templates=('gemma4_frames', 'gemma4_frames_nothinking'),
    register=f'{_PACKAGE}.register:register',
    sampling={'gemma4': VIDEO_SAMPLING},
    tiny=f'{_PACKAGE}.tiny:build_tiny',
    standin=f'{_PACKAGE}.tiny:build_standin',
    full_size=f'{_PACKAGE}.tiny:build_full_size',
    guard_architectures=('Gemma4ForConditionalGeneration',),
    video_template='gemma4_frames_nothinking',  # ms-swift's default for gemma4 decodes videos with transformers
)
