"""Run a function once a given module has finished importing (now, if it already has)."""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Callable


class _Loader(importlib.abc.Loader):
    def __init__(self, loader, callback: Callable[[object], None]):
        self._loader, self._callback = loader, callback

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._callback(module)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, name: str, callback: Callable[[object], None]):
        self.name, self.callback = name, callback

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:
            spec = finder.find_spec(fullname, path, target) if hasattr(finder, 'find_spec') else None
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, 'exec_module'):
            spec.loader = _Loader(spec.loader, self.callback)
        return spec


def when_imported(name: str, callback: Callable[[object], None]) -> None:
    """Call ``callback(module)`` when ``name`` is imported (immediately when it already is)."""
    module = sys.modules.get(name)
    if module is not None and not getattr(getattr(module, '__spec__', None), '_initializing', False):
        callback(module)
        return
    if not any(isinstance(f, _Finder) and f.name == name for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder(name, callback))
