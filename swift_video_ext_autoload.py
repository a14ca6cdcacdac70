"""Start-up hook of swift-video-ext, imported by ``swift_video_ext_autoload.pth`` in every interpreter.

It must stay cheap: it only puts a meta-path finder on ``sys.meta_path``. The finder watches a few of
ms-swift's packages; once one of them has finished importing and none of the packages our registration
needs is half-initialised, it imports :mod:`swift_video_ext.plugin` (which registers our model types,
templates and datasets with ms-swift) and takes itself off ``sys.meta_path``.

So plain ``swift sft|infer|export|deploy --model_type pllava`` works in every subprocess and torchrun
worker ms-swift starts, with no ``--external_plugins``. ``SWIFT_VIDEO_EXT_AUTOLOAD=0`` disables it.
A failure never breaks Python: it becomes one warning.
"""

import os
import sys

ENV_SWITCH = 'SWIFT_VIDEO_EXT_AUTOLOAD'
# Modules whose completed import means ms-swift's registries are about to be used.
TRIGGER_MODULES = frozenset({
    'swift.pipelines', 'swift.arguments', 'swift.model', 'swift.template', 'swift.dataset', 'swift.infer_engine'
})
# Modules the registration imports: none of them may be mid-import when it runs.
NEEDED_MODULES = ('swift', 'swift.utils', 'swift.model', 'swift.template', 'swift.dataset')
PLUGIN_MODULE = 'swift_video_ext.plugin'
OWN_PACKAGE = 'swift_video_ext'  # our own modules import ms-swift: never register while one is half-imported


def _is_initialising(name: str) -> bool:
    module = sys.modules.get(name)
    spec = getattr(module, '__spec__', None)
    return bool(getattr(spec, '_initializing', False))


def _watched(name: str) -> bool:
    return name in TRIGGER_MODULES or name in NEEDED_MODULES or name.split('.', 1)[0] == OWN_PACKAGE


def _blocking_modules() -> list[str]:
    own = [name for name in list(sys.modules) if name.split('.', 1)[0] == OWN_PACKAGE]
    return [*NEEDED_MODULES, *own]


class _WatchedLoader:
    """Delegates to the real loader; after ``exec_module`` it asks the watcher to try registering."""

    def __init__(self, loader, watcher: '_SwiftImportWatcher'):
        self._loader = loader
        self._watcher = watcher

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._watcher.module_done(module.__name__)


class _SwiftImportWatcher:
    """Meta-path finder that wraps the loaders of :data:`TRIGGER_MODULES` (and nothing else)."""

    def __init__(self):
        self.pending = False
        self.finished = False

    def find_spec(self, fullname, path=None, target=None):
        if self.finished or not _watched(fullname):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, 'find_spec'):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, 'exec_module'):
            spec.loader = _WatchedLoader(spec.loader, self)
        return spec

    def module_done(self, name: str) -> None:
        if self.finished:
            return
        if name in TRIGGER_MODULES:
            self.pending = True
        # ``name`` itself still counts as initialising until its exec_module returns: leave it out.
        if not self.pending or any(_is_initialising(n) for n in _blocking_modules() if n != name):
            return
        self.finished = True
        self.uninstall()
        _register()

    def uninstall(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)


def _register() -> None:
    try:
        __import__(PLUGIN_MODULE)
    except Exception as error:  # never break the user's Python
        import warnings

        warnings.warn(f'swift-video-ext: could not register its model types with ms-swift ({error!r}); '
                      f'set {ENV_SWITCH}=0 to silence this.', RuntimeWarning, stacklevel=2)


def install() -> None:
    """Install the watcher once per interpreter, unless disabled by ``SWIFT_VIDEO_EXT_AUTOLOAD=0``."""
    if os.environ.get(ENV_SWITCH, '1').strip().lower() in {'0', 'false', 'no', 'off'}:
        return
    if any(isinstance(finder, _SwiftImportWatcher) for finder in sys.meta_path):
        return
    if PLUGIN_MODULE in sys.modules:
        return
    watcher = _SwiftImportWatcher()
    sys.meta_path.insert(0, watcher)
    if any(name in sys.modules for name in TRIGGER_MODULES):  # ms-swift already imported: register now
        watcher.module_done(next(name for name in TRIGGER_MODULES if name in sys.modules))


try:  # noqa: SIM105  (contextlib is not imported at start-up; keep this hook import-free)
    install()
except Exception:  # pragma: no cover - defensive: a .pth line must never fail
    pass
