"""swift-video-ext: video model types, templates and dataset preprocessors for ms-swift.

Importing the package registers its configs, models and processors with transformers' Auto classes, so merged
exports load with ``AutoModelForImageTextToText.from_pretrained`` (no ``trust_remote_code``). Registration with
ms-swift happens automatically when ms-swift is imported (see :mod:`swift_video_ext_autoload`), or explicitly with
``import swift_video_ext.plugin``.
"""

__version__ = '0.1.0'

from .models import register_auto_classes as _register_auto_classes  # noqa: E402

_register_auto_classes()
