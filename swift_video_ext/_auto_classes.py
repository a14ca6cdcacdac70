"""Lazy registration of our model types with transformers' Auto classes.

``import swift_video_ext`` must stay light (no torch/transformers), yet ``AutoConfig`` /
``AutoModelForImageTextToText`` / ``AutoProcessor.from_pretrained(merged_export)`` must know ``pllava``,
``cogvlm2_video_ts`` and ``minigpt4_video`` without ``trust_remote_code``. So importing the package only puts a
meta-path finder on ``sys.meta_path``; once one of transformers' Auto modules has been imported and no module of
transformers or of this package is half-initialised, it imports :mod:`swift_video_ext.models` (which registers the
classes) and takes itself off. If transformers' Auto modules are already loaded, registration happens at once.
Importing :mod:`swift_video_ext.models` (ms-swift's plugin does) registers too.
"""

from __future__ import annotations

import sys
import threading

TRIGGER_MODULES = frozenset({
    'transformers.models.auto.configuration_auto', 'transformers.models.auto.modeling_auto',
    'transformers.models.auto.processing_auto',
})
WATCHED_PACKAGES = ('transformers', 'swift_video_ext')
MODELS_MODULE = 'swift_video_ext.models'


def _top(name: str) -> str:
    return name.split('.', 1)[0]


def _is_initialising(name: str) -> bool:
    spec = getattr(sys.modules.get(name), '__spec__', None)
    return bool(getattr(spec, '_initializing', False))


def _blocked(done: str | None = None) -> bool:
    """True while a transformers or swift_video_ext module (other than ``done``) is still executing."""
    return any(_top(name) in WATCHED_PACKAGES and name != done and _is_initialising(name)
               for name in list(sys.modules))


class _WatchedLoader:
    """Delegates to the real loader; tells the watcher when ``exec_module`` has returned."""

    def __init__(self, loader, watcher: _AutoClassWatcher):
        self._loader = loader
        self._watcher = watcher

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._watcher.module_done(module.__name__)


class _AutoClassWatcher:
    """Meta-path finder that wraps the loaders of transformers' and this package's modules until registration."""

    def __init__(self, pending: bool = False):
        self.pending = pending
        self.finished = False
        self._local = threading.local()  # names being looked up by this thread (other finders may call us back)

    def find_spec(self, fullname, path=None, target=None):
        if self.finished or _top(fullname) not in WATCHED_PACKAGES:
            return None
        busy = self._local.__dict__.setdefault('busy', set())
        if fullname in busy:
            return None
        busy.add(fullname)
        try:
            spec = self._find_elsewhere(fullname, path, target)
        finally:
            busy.discard(fullname)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, 'exec_module'):
            spec.loader = _WatchedLoader(spec.loader, self)
        return spec

    def _find_elsewhere(self, fullname, path, target):
        for finder in list(sys.meta_path):
            if finder is self or not hasattr(finder, 'find_spec'):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                return spec
        return None

    def module_done(self, name: str) -> None:
        if self.finished:
            return
        if name in TRIGGER_MODULES:
            self.pending = True
        if self.pending and not _blocked(name):
            self.register()

    def register(self) -> None:
        self.finished = True
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        __import__(MODELS_MODULE)


def install() -> None:
    """Register now if transformers' Auto classes are loaded and nothing is mid-import, else watch for them."""
    if MODELS_MODULE in sys.modules or any(isinstance(f, _AutoClassWatcher) for f in sys.meta_path):
        return
    watcher = _AutoClassWatcher(pending=any(name in sys.modules for name in TRIGGER_MODULES))
    if watcher.pending and not _blocked('swift_video_ext'):
        watcher.register()
        return
    sys.meta_path.insert(0, watcher)
