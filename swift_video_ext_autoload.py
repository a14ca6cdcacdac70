"""Start-up hook of swift-video-ext, imported by ``swift_video_ext_autoload.pth`` in every interpreter, and the one
import hook the package uses ("run this once those modules have finished importing").

At start-up it only registers one hook: once one of ms-swift's packages has finished importing and none of the
modules our registration needs is half-initialised, it imports :mod:`swift_video_ext.plugin` (which registers our
model types, templates and datasets with ms-swift). So plain ``swift sft|infer|export|deploy --model_type pllava``
works in every subprocess and torchrun worker ms-swift starts, with no ``--external_plugins``.
``SWIFT_VIDEO_EXT_AUTOLOAD=0`` disables it.

:func:`when_imported` is the hook itself, also used for transformers' Auto classes
(:mod:`swift_video_ext._auto_classes`) and for the patches of :mod:`swift_video_ext.common.post_import`. One
meta-path finder serves every pending hook and leaves ``sys.meta_path`` when none is left. A callback that raises
becomes one warning: it never breaks someone else's import (nor Python start-up). This module imports nothing beyond
the interpreter's ``os``, ``sys`` and ``_thread``.
"""

import _thread  # builtin and already loaded: ``threading`` would cost milliseconds at every start-up
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


def is_initialising(name: str) -> bool:
    """True while module ``name`` is executing (CPython marks its spec ``_initializing``; the only such read)."""
    spec = getattr(sys.modules.get(name), '__spec__', None)
    return bool(getattr(spec, '_initializing', False))


def _matches(name: str, patterns) -> bool:
    """``pattern`` is a module name, or ``package.*`` for a package and all its modules."""
    for pattern in patterns:
        if pattern.endswith('.*'):
            package = pattern[:-2]
            if name == package or name.startswith(package + '.'):
                return True
        elif name == pattern:
            return True
    return False


class _Hook:
    """Call ``callback()`` once a trigger module has finished importing while no ``quiet`` module is mid-import."""

    def __init__(self, triggers, callback, quiet, label):
        self.triggers, self.callback, self.quiet, self.label = frozenset(triggers), callback, tuple(quiet), label
        self.armed = False

    def watches(self, name: str) -> bool:
        return name in self.triggers or _matches(name, self.quiet)

    def ready(self, done=None) -> bool:
        """Armed, no trigger still executing, and no quiet module (other than ``done``) mid-import."""
        if not self.armed:
            return False
        if any(t != done and is_initialising(t) for t in self.triggers):
            return False
        return not any(n != done and _matches(n, self.quiet) and is_initialising(n) for n in list(sys.modules))

    def run(self) -> None:
        try:
            self.callback()
        except Exception as error:  # never break the import that triggered us
            import warnings

            warnings.warn(f'swift-video-ext: could not {self.label} ({error!r}); set {ENV_SWITCH}=0 to silence '
                          'this.', RuntimeWarning, stacklevel=2)


class _WatchedLoader:
    """Delegates to the real loader; after ``exec_module`` it tells the hooks the module is done."""

    def __init__(self, loader, hooks):
        self._loader, self._hooks = loader, hooks

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._hooks.module_done(module.__name__)


class ImportHooks:
    """The meta-path finder of every pending :class:`_Hook`: it wraps the loaders of the modules they watch."""

    def __init__(self):
        self.hooks = []
        self._lock = _thread.RLock()
        self._local = _thread._local()  # names this thread is looking up (other finders may call us back)

    def find_spec(self, fullname, path=None, target=None):
        if not any(hook.watches(fullname) for hook in list(self.hooks)):
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

    def add(self, hook: _Hook) -> None:
        with self._lock:
            self.hooks.append(hook)
            if self not in sys.meta_path:
                sys.meta_path.insert(0, self)

    def module_done(self, name: str) -> None:
        due = []
        with self._lock:
            for hook in list(self.hooks):
                if name in hook.triggers:
                    hook.armed = True
                if hook.ready(name):
                    self.hooks.remove(hook)
                    due.append(hook)
            if not self.hooks and self in sys.meta_path:
                sys.meta_path.remove(self)
        for hook in due:
            hook.run()


def _import_hooks() -> ImportHooks:
    """The installed finder, or a new one (it puts itself on ``sys.meta_path`` with its first hook)."""
    return next((f for f in sys.meta_path if isinstance(f, ImportHooks)), None) or ImportHooks()


def when_imported(triggers, callback, *, quiet=(), label='run a deferred registration') -> None:
    """Call ``callback()`` once any module of ``triggers`` has finished importing and no module matching ``quiet``
    (names, or ``package.*``) is mid-import — now, if that is already so. Each callback runs once; one that raises
    is a warning naming ``label``."""
    hook = _Hook(triggers, callback, quiet, label)
    hook.armed = any(name in sys.modules for name in hook.triggers)
    if hook.ready():
        hook.run()
        return
    _import_hooks().add(hook)


_REGISTER_LABEL = 'register its model types with ms-swift'


def _register() -> None:
    __import__(PLUGIN_MODULE)  # read at call time (tests point it elsewhere)


def install() -> None:
    """Register with ms-swift once it is imported, unless disabled by ``SWIFT_VIDEO_EXT_AUTOLOAD=0``."""
    if os.environ.get(ENV_SWITCH, '1').strip().lower() in {'0', 'false', 'no', 'off'}:
        return
    if PLUGIN_MODULE in sys.modules or any(h.label == _REGISTER_LABEL for h in _import_hooks().hooks):
        return
    when_imported(TRIGGER_MODULES, _register, quiet=(*NEEDED_MODULES, f'{OWN_PACKAGE}.*'), label=_REGISTER_LABEL)


try:  # noqa: SIM105  (contextlib is not imported at start-up; keep this hook import-free)
    install()
except Exception:  # pragma: no cover - defensive: a .pth line must never fail
    pass
