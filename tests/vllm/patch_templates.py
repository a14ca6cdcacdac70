"""Test-only: give our template classes :class:`VllmTemplateMixin` before the integrator edits their files.

The change it makes is exactly the one README/"Serving with vLLM" lists for each template class: the mixin first
among the bases and ``vllm_sentinels`` naming the template's sentinel ids.
"""

from __future__ import annotations

from swift_video_ext.common.vllm_template import VllmTemplateMixin


def add_mixin(template_cls: type, sentinels: dict[int, str]) -> None:
    """Put the mixin in front of ``template_cls``'s bases (idempotent)."""
    if VllmTemplateMixin not in template_cls.__mro__:
        template_cls.__bases__ = (VllmTemplateMixin, *template_cls.__bases__)
    if not template_cls.__dict__.get('vllm_sentinels'):
        template_cls.vllm_sentinels = sentinels


def patch_pllava(module) -> None:
    add_mixin(module.PllavaTemplate, {module.IMAGE_SENTINEL: 'image', module.VIDEO_SENTINEL: 'video'})


def patch_minigpt4_video(module) -> None:
    from swift_video_ext.common.vllm_template import MiniGPT4VideoVllmMixin

    cls = module.MiniGPT4VideoTemplate
    if MiniGPT4VideoVllmMixin not in cls.__mro__:
        cls.__bases__ = (MiniGPT4VideoVllmMixin, *cls.__bases__)
    cls.vllm_sentinels = {module.IMAGE_SENTINEL: 'image', module.FRAME_SENTINEL: 'frame'}


def install() -> None:
    """Patch each template module when (if ever) it is imported."""
    from swift_video_ext.common.post_import import when_imported

    when_imported('swift_video_ext.models.pllava.template', patch_pllava)
    when_imported('swift_video_ext.models.minigpt4_video.template', patch_minigpt4_video)
