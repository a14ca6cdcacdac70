"""lmms-eval plugin: ``lmms-eval --model swift_video --model_args pretrained=CKPT[,adapters=DIR] --tasks TASK``.

lmms-eval reads the entry point ``lmms_eval.models`` (``pyproject.toml``) at start-up and calls :func:`manifests`;
the model class (:class:`.model.SwiftVideoLMM`) is imported only when ``--model swift_video`` is asked for. It loads
the checkpoint as ``swift infer`` does and hands each video PATH to our template, so frames are sampled by our video
core (the model type's strategy, timestamps, subtitles), not decoded by lmms-eval. See docs/evaluate-lmms-eval.md.

Importing this package is light: no torch, ms-swift or lmms-eval.
"""

from __future__ import annotations

MODEL_ID = 'swift_video'
MODEL_CLASS = 'swift_video_ext.lmms_plugin.model.SwiftVideoLMM'


def manifests() -> list:
    """The ``lmms_eval.models`` entry-point payload: one ``ModelManifest`` (a simple, non-chat model)."""
    from lmms_eval.models.registry_v2 import ModelManifest

    return [ModelManifest(model_id=MODEL_ID, simple_class_path=MODEL_CLASS, aliases=('swift-video',))]
