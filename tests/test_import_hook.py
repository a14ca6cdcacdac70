"""The one import hook (``swift_video_ext_autoload.when_imported``) used by the start-up registration, the
transformers Auto-class registration and the ms-swift patches: fires once, after the trigger and every quiet module
have finished, never raises into someone else's import, survives finders that call back, and leaves
``sys.meta_path`` when done. Each case runs in a fresh interpreter on a throw-away package."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

PACKAGE = {
    'pkg/__init__.py': 'import pkg.slow\n',
    'pkg/slow.py': 'import pkg.trigger\nimport sys\nSLOW_DONE = True\n',
    'pkg/trigger.py': 'TRIGGER_DONE = True\n',
}
PREAMBLE = '''
import sys, warnings
sys.path.insert(0, {root!r})
import swift_video_ext_autoload as hook
calls = []
def record():
    import pkg.slow
    calls.append(getattr(sys.modules['pkg.slow'], 'SLOW_DONE', False))
'''


def run(tmp_path, body: str) -> list[str]:
    for name, text in PACKAGE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    code = textwrap.dedent(PREAMBLE.format(root=str(tmp_path))) + textwrap.dedent(body)
    result = subprocess.run([sys.executable, '-W', 'always', '-c', code], capture_output=True, text=True, timeout=120,
                            env={'SWIFT_VIDEO_EXT_AUTOLOAD': '0', 'PATH': '/usr/bin:/bin'})
    assert result.returncode == 0, result.stderr
    return result.stdout.split('\n')[:-1] + [result.stderr]


def test_fires_once_after_the_trigger_and_the_quiet_package_finished(tmp_path):
    out = run(tmp_path, '''
        hook.when_imported({'pkg.trigger'}, record, quiet=('pkg.*',))
        import pkg
        import pkg.trigger
        print(calls, any(isinstance(f, hook.ImportHooks) for f in sys.meta_path))
    ''')
    # pkg.trigger finishes while pkg.slow and pkg are still executing: the hook waits for them
    assert out[0] == '[True] False'


def test_without_quiet_modules_it_fires_right_after_the_trigger(tmp_path):
    out = run(tmp_path, '''
        seen = []
        hook.when_imported({'pkg.trigger'}, lambda: seen.append('SLOW_DONE' in vars(sys.modules['pkg.slow'])))
        import pkg
        print(seen)
    ''')
    assert out[0] == '[False]'


def test_already_imported_trigger_fires_at_once(tmp_path):
    out = run(tmp_path, '''
        import pkg
        hook.when_imported({'pkg.trigger'}, record, quiet=('pkg.*',))
        print(calls)
    ''')
    assert out[0] == '[True]'


def test_a_raising_callback_is_one_warning_and_the_import_goes_on(tmp_path):
    out = run(tmp_path, '''
        def boom():
            raise RuntimeError('kaput')
        hook.when_imported({'pkg.trigger'}, boom, label='do the test thing')
        import pkg
        print(pkg.slow.SLOW_DONE)
    ''')
    assert out[0] == 'True'
    assert out[-1].count("swift-video-ext: could not do the test thing (RuntimeError('kaput'))") == 1


def test_a_finder_that_calls_back_into_the_import_system_gets_one_wrapped_loader(tmp_path):
    """A delegating finder (it answers with ``importlib.util.find_spec``) asks every finder again, ours included:
    our finder must not answer its own question a second time (the loader would be wrapped twice)."""
    out = run(tmp_path, '''
        import importlib.util
        class Delegating:
            busy = False
            def find_spec(self, name, path=None, target=None):
                if name != 'pkg.trigger' or Delegating.busy:
                    return None
                Delegating.busy = True
                try:
                    return importlib.util.find_spec(name)
                finally:
                    Delegating.busy = False
        sys.meta_path.insert(0, Delegating())
        hook.when_imported({'pkg.trigger'}, record, quiet=('pkg.*',))
        import pkg
        loader = sys.modules['pkg.trigger'].__spec__.loader
        print(calls, type(loader).__name__, type(getattr(loader, '_loader', None)).__name__)
    ''')
    assert out[0] == '[True] _WatchedLoader SourceFileLoader'


@pytest.mark.parametrize('body', [
    "import swift_video_ext\nprint(sum(isinstance(f, hook.ImportHooks) for f in sys.meta_path))",
    "hook.when_imported({'a'}, print)\nhook.when_imported({'b'}, print)\n"
    "print(sum(isinstance(f, hook.ImportHooks) for f in sys.meta_path))",
])
def test_one_finder_serves_every_hook(tmp_path, body):
    assert run(tmp_path, body)[0] == '1'
