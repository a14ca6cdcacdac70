"""PLLaVA's declaration: ``--model_type pllava`` (see :class:`~swift_video_ext.models.spec.ModelSpec`)."""

from __future__ import annotations

from ...video.settings import VideoSampling
from ..spec import AutoClasses, ModelSpec, VllmClasses

_PACKAGE = __package__

# Frames at inference: the official evaluation sampler (always NUM_FRAMES frames, the middle of equal segments,
# repeats on short clips); in training the official "rand" sampler (one random frame per segment, padded with the
# last frame). NUM_FRAMES overrides the count (default: the checkpoint's num_frames).
VIDEO_SAMPLING = VideoSampling('segment_middle_fixed', num_frames=16, train_strategy='segment_random_fixed')

SPEC = ModelSpec(
    name='pllava',
    model_type='pllava',
    templates=('pllava', 'pllava_chatml', 'pllava_eval', 'pllava_chatml_eval', 'pllava_eval_interleaved'),
    register=f'{_PACKAGE}.register:register',
    sampling={'pllava': VIDEO_SAMPLING},
    tiny=f'{_PACKAGE}.tiny:build_tiny',
    standin=f'{_PACKAGE}.tiny:build_standin',
    full_size=f'{_PACKAGE}.tiny:build_full_size',
    auto=AutoClasses(model_type='pllava', config=f'{_PACKAGE}.configuration_pllava:PllavaConfig',
                     model=f'{_PACKAGE}.modeling_pllava:PllavaForConditionalGeneration',
                     processor=f'{_PACKAGE}.processing_pllava:PllavaProcessor'),
    vllm=VllmClasses('PllavaForConditionalGeneration', 'swift_video_ext.vllm.pllava:PllavaForConditionalGeneration'),
)
