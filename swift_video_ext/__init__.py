"""swift-video-ext: video model types, templates and dataset preprocessors for ms-swift.

Importing the package is light (no torch, transformers or ms-swift). Our configs, models and processors are
registered with transformers' Auto classes lazily, as soon as transformers' Auto modules are imported (see
:mod:`swift_video_ext._auto_classes`), so merged exports load with ``AutoModelForImageTextToText.from_pretrained``
(no ``trust_remote_code``). Registration with ms-swift happens automatically when ms-swift is imported (see
:mod:`swift_video_ext_autoload`), or explicitly with ``import swift_video_ext.plugin``.
"""

__version__ = '0.1.0'

from ._auto_classes import install as _install_auto_classes  # noqa: E402

_install_auto_classes()
