"""The ms-swift plugin: importing this module registers everything (:func:`~swift_video_ext.registration.register_all`).

It is what ``--external_plugins`` (through ``swift-video plugin-path``'s shim) and the start-up hook
(:mod:`swift_video_ext_autoload`) import. Code of this package calls ``register_all()`` instead.
"""

from __future__ import annotations

from .registration import register_all

register_all()

__all__ = ['register_all']
