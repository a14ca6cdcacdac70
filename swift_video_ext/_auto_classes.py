"""Lazy registration of our model types with transformers' Auto classes.

``import swift_video_ext`` must stay light (no torch/transformers), yet ``AutoConfig`` /
``AutoModelForImageTextToText`` / ``AutoProcessor.from_pretrained(merged_export)`` must know ``pllava``,
``cogvlm2_video_ts`` and ``minigpt4_video`` without ``trust_remote_code``. So importing the package only registers
an import hook (:func:`swift_video_ext_autoload.when_imported`): once one of transformers' Auto modules has been
imported and no module of transformers or of this package is half-initialised, it calls
:func:`swift_video_ext.models.register_auto_classes` (every spec's classes). If transformers' Auto modules are
already loaded, registration happens at once. ms-swift's plugin (:func:`swift_video_ext.registration.register_all`)
registers too.
"""

from __future__ import annotations

from swift_video_ext_autoload import _import_hooks, when_imported

TRIGGER_MODULES = frozenset({
    'transformers.models.auto.configuration_auto', 'transformers.models.auto.modeling_auto',
    'transformers.models.auto.processing_auto',
})
QUIET = ('transformers.*', 'swift_video_ext.*')
_LABEL = "register its classes with transformers' Auto classes"
_done = False


def _register() -> None:
    global _done
    from .models import register_auto_classes

    register_auto_classes()
    _done = True


def install() -> None:
    """Register now if transformers' Auto classes are loaded and nothing is mid-import, else once they are."""
    if _done or any(hook.label == _LABEL for hook in _import_hooks().hooks):
        return
    when_imported(TRIGGER_MODULES, _register, quiet=QUIET, label=_LABEL)
