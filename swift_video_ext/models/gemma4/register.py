"""ms-swift side for Gemma-4: the ``gemma4_frames`` templates, and two documented overrides of ms-swift's stock
``gemma4`` type (its loader, and its two templates' videos where torchcodec is missing), each a version-checked patch
of :mod:`swift_video_ext.common.seam` (``GEMMA4_LOADER``, ``GEMMA4_TEMPLATES``): when the installed ms-swift differs
from what they were written for, one warning says so and the stock type is left exactly as ms-swift ships it.

ms-swift 4.6.0 replaces ``Gemma4Model.forward`` with its own copy of transformers 5.6's. On transformers 5.19 (what
``pip install ms-swift==4.6.0`` resolves) that copy is out of step: it reads ``get_image_features(...).pooler_output``
as one tensor where 5.19 returns one tensor per image (every image batch crashes with ``'tuple' object has no
attribute 'to'``), it calls ``get_video_features`` without the now-required ``num_frames_per_video``, and it does not
know ``mm_encoder_outputs``, through which 5.19's ``generate`` passes the image features — so at inference the images
would be silently ignored. When the installed transformers' own forward takes ``mm_encoder_outputs``, the loader
registered here puts that forward back (ms-swift keeps it as ``origin_forward``). What is lost is ms-swift's dummy
vision pass for text-only batches under DeepSpeed ZeRO-3, which frame-sequence data never needs.

transformers 5.19's own forward has one gap too: it never hands ``num_frames_per_video`` to ``get_video_features``,
which then refuses to run, so video batches fail in training (``generate`` passes it and works). The loaded model's
``get_video_features`` therefore treats a missing count as one split of the flat frame axis — the forward
concatenates the splits anyway — and keeps its signature, which ``generate`` inspects.

ms-swift's own ``gemma4`` / ``gemma4_nothinking`` templates (the card recipe's image rows) hand videos to
transformers, which needs torchcodec. Where torchcodec is not installed, those two templates sample videos with our
video core instead (exactly ``gemma4_frames``' path: 4 uniform frames with their true times; images and text are
unchanged), so a video request to a model trained on image rows works at ``swift infer`` / ``swift deploy``.

ms-swift's loaders trust a folder's remote code by default, so a Gemma-4 folder whose ``config.json`` has an
``auto_map`` would run its Python files. Gemma-4 is native in transformers: the loader and ms-swift's model-info probe
never trust remote code for it.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect

import torch
from swift.template import register_template
from swift.template.templates.gemma import Gemma4Template

from ...common import seam
from .template import Gemma4FramesTemplate, template_metas

# ms-swift templates whose videos go through our video core where torchcodec is missing.
VIDEO_CORE_FALLBACK = ('gemma4', 'gemma4_nothinking')


def native_forward_is_newer(original_forward) -> bool:
    """True when transformers' own Gemma-4 forward has the 5.19 interface ms-swift's copy lacks."""
    return 'mm_encoder_outputs' in inspect.signature(original_forward).parameters


def default_video_split(get_video_features):
    """``get_video_features`` that, given no ``num_frames_per_video``, uses one split of all frames."""
    signature = inspect.signature(get_video_features)

    @functools.wraps(get_video_features)
    def wrapper(*args, **kwargs):
        bound = signature.bind_partial(*args, **kwargs)
        if bound.arguments.get('num_frames_per_video') is None:
            frames = bound.arguments['pixel_values_videos']
            bound.arguments['num_frames_per_video'] = torch.tensor([frames.shape[0]], device=frames.device)
        return get_video_features(*bound.args, **bound.kwargs)

    return wrapper


def make_compat_loader(base_loader: type) -> type:
    class Gemma4CompatLoader(base_loader):
        # Gemma-4 is native in transformers: ms-swift's default (True) would import a folder's auto_map code
        default_trust_remote_code = False

        def get_model(self, model_dir, config, processor, model_kwargs):
            model = super().get_model(model_dir, config, processor, model_kwargs)
            inner = model.model
            original = seam.native_forward(inner)
            if original is not None and native_forward_is_newer(original):
                inner.forward = original
                inner.get_video_features = default_video_split(inner.get_video_features)
            return model

    Gemma4CompatLoader.__name__ = f'Gemma4CompatLoader({base_loader.__name__})'
    return Gemma4CompatLoader


def torchcodec_available() -> bool:
    return importlib.util.find_spec('torchcodec') is not None


def route_videos_through_video_core(names=VIDEO_CORE_FALLBACK) -> list[str]:
    """Give ms-swift's Gemma-4 templates ``names`` our video path (no torchcodec needed); returns those changed."""
    return seam.override_stock_templates(seam.GEMMA4_TEMPLATES, tuple(names), Gemma4Template, Gemma4FramesTemplate)


def register() -> None:
    for meta in template_metas():
        register_template(meta, exist_ok=True)
    if not torchcodec_available():
        route_videos_through_video_core()
    seam.override_stock_loader(seam.GEMMA4_LOADER, 'gemma4', make_compat_loader)
