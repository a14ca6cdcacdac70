"""Load official scoring files straight from a fetched git mirror and run them with light stubs.

Nothing here is official code: files are read with ``git -C <mirror> show <commit>:<path>`` at run time and executed
as modules (compiled with the filename ``<repo>@<commit>:<path>`` so tracebacks name the official file). Heavy or
network imports that the scoring functions never touch (torch, decord, cv2, openai, ...) are replaced by stub modules;
the OpenAI client is a fake that answers from a fixed table and records every request.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


def git_head(mirror: str) -> str:
    """Commit id of the mirror's HEAD (40 hex)."""
    return subprocess.check_output(['git', '-C', mirror, 'rev-parse', 'HEAD'], text=True).strip()


def git_show(mirror: str, path: str, commit: str = 'HEAD') -> str:
    """Text of ``path`` at ``commit`` in the mirror (a bare git directory)."""
    return subprocess.check_output(['git', '-C', mirror, 'show', f'{commit}:{path}'], text=True)


def stub_module(name: str, **attrs: Any) -> types.ModuleType:
    """Register an empty module (and its parent packages) in ``sys.modules`` with the given attributes."""
    parts = name.split('.')
    for i in range(1, len(parts) + 1):
        sub = '.'.join(parts[:i])
        if sub not in sys.modules:
            mod = types.ModuleType(sub)
            mod.__path__ = []  # a package, so children can be registered under it
            sys.modules[sub] = mod
            if i > 1:
                setattr(sys.modules['.'.join(parts[:i - 1])], parts[i - 1], mod)
    mod = sys.modules[name]
    for key, value in attrs.items():
        setattr(mod, key, value)
    return mod


def exec_source(mod_name: str, source: str, filename: str) -> types.ModuleType:
    """Execute ``source`` as module ``mod_name`` (registered in ``sys.modules``, replacing any stub of that name)."""
    mod = types.ModuleType(mod_name)
    mod.__file__ = filename
    parent, _, child = mod_name.rpartition('.')
    sys.modules[mod_name] = mod
    if parent:
        stub_module(parent)
        setattr(sys.modules[parent], child, mod)
    exec(compile(source, filename, 'exec'), mod.__dict__)  # noqa: S102 - running the official file is the point
    return mod


SRC_ROOT = Path(tempfile.gettempdir()) / 'known-answer-src'


def materialize(mirror: str, paths: Iterable[str], commit: str = 'HEAD') -> Path:
    """Write ``paths`` of the mirror at ``commit`` under ``SRC_ROOT/<repo>@<sha7>/`` (files that official modules open
    relative to ``__file__``, e.g. task YAMLs); returns that root."""
    sha = git_head(mirror) if commit == 'HEAD' else commit
    root = SRC_ROOT / f'{Path(mirror).parent.name}@{sha[:7]}'
    for path in paths:
        dest = root / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(git_show(mirror, path, sha), encoding='utf-8')
    return root


def load_official(mirror: str, path: str, mod_name: str, extra_files: Iterable[str] = (),
                  commit: str = 'HEAD') -> types.ModuleType:
    """Import the official file ``path`` of ``mirror`` as module ``mod_name`` (from a materialized copy, so that
    ``__file__``-relative reads of ``extra_files`` work and tracebacks show the official path)."""
    root = materialize(mirror, [path, *extra_files], commit)
    file = root / path
    return exec_source(mod_name, file.read_text(encoding='utf-8'), str(file))


def official_defs(mirror: str, path: str, names: Iterable[str], namespace: dict[str, Any]) -> dict[str, Any]:
    """Execute only the named top-level functions/classes of an official file (its heavy imports are skipped).

    Used for small helpers (e.g. ``dump_json``) that live in a module whose imports need a GPU stack.
    """
    sha = git_head(mirror)
    source = git_show(mirror, path, sha)
    tree = ast.parse(source)
    wanted = set(names)
    body = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name in wanted]
    missing = wanted - {n.name for n in body}
    if missing:
        raise KeyError(f'{path}: no top-level definition of {sorted(missing)}')
    module = ast.Module(body=body, type_ignores=[])
    exec(compile(module, f'{Path(mirror).parent.name}@{sha[:7]}:{path}', 'exec'), namespace)
    return {name: namespace[name] for name in wanted}


class JudgeUnreachable(Exception):
    """Raised by the fake judge to stand for a failed HTTP call (timeout, 5xx, rate limit)."""


class StopRetrying(BaseException):  # noqa: N818 - a BaseException so the official ``except Exception`` lets it through
    """Raised by the fake judge when an item was asked too often: ends an official retry loop that never terminates."""


class FakeJudge:
    """Stands in for the OpenAI client of both API generations; replies come from ``responder(model, messages)``.

    ``responder`` returns the reply text, or raises :class:`JudgeUnreachable`. Every request is recorded in ``calls``.
    """

    def __init__(self, responder: Callable[[str, list[dict]], str]):
        self.responder = responder
        self.calls: list[dict] = []

    def _reply(self, model: str, messages: list[dict]) -> str:
        self.calls.append({'model': model, 'messages': [dict(m) for m in messages]})
        return self.responder(model, messages)

    def module(self) -> types.ModuleType:
        """An ``openai`` module: ``OpenAI(...).chat.completions.create`` (v1) and ``ChatCompletion.create`` (v0)."""
        judge = self

        def create_v1(*, model, messages, **_):
            text = judge._reply(model, messages)
            message = types.SimpleNamespace(content=text, role='assistant')
            return types.SimpleNamespace(choices=[types.SimpleNamespace(message=message)])

        def create_v0(*, model, messages, **_):
            return {'choices': [{'message': {'content': judge._reply(model, messages), 'role': 'assistant'}}]}

        class OpenAI:
            def __init__(self, *_, **__):
                self.chat = types.SimpleNamespace(completions=types.SimpleNamespace(create=create_v1))

        mod = types.ModuleType('openai')
        mod.OpenAI = OpenAI
        mod.ChatCompletion = types.SimpleNamespace(create=create_v0)
        mod.api_key = None
        return mod

    def install(self) -> None:
        sys.modules['openai'] = self.module()


class SequentialPool:
    """``multiprocessing.Pool`` stand-in that runs in this process, in input order (the fake judge keeps its state)."""

    def __init__(self, *_, **__):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, func, iterable):
        return [func(x) for x in iterable]

    def imap(self, func, iterable):
        return (func(x) for x in iterable)

    imap_unordered = imap

    def starmap(self, func, iterable):
        return [func(*args) for args in iterable]


def stub_heavy_imports(names: Iterable[str]) -> None:
    """Register empty stubs for imports that the scoring code never uses at call time."""
    attrs: dict[str, dict[str, Any]] = {
        'decord': {'VideoReader': object, 'cpu': lambda *a, **k: None, 'gpu': lambda *a, **k: None},
        'PIL.Image': {'Image': object},
    }
    for name in names:
        stub_module(name, **attrs.get(name, {}))


def write_json(path: str, data: Any) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(data, f, indent=1, ensure_ascii=False)
        f.write('\n')


def header(repo: str, mirror: str, file: str, function: str, how_run: str) -> dict[str, Any]:
    """The keys every known-answer file starts with."""
    return {'official_repo': repo, 'commit': git_head(mirror), 'file': file, 'function': function, 'how_run': how_run}


def pllava_eval_utils_stub(mirror: str) -> None:
    """``tasks.eval.eval_utils`` (imports torch, decord, cv2, moviepy) as a stub holding only ``dump_json`` and
    ``load_json``, executed verbatim from the official file, and ``EvalDataset`` = a plain class."""
    helpers = official_defs(mirror, 'tasks/eval/eval_utils.py', ['dump_json', 'load_json'], {'os': os, 'json': json})
    stub_module('tasks.eval.eval_utils', EvalDataset=type('EvalDataset', (), {}), **helpers)


class ScriptedReplies:
    """Judge replies by item: the first ``key`` found in the user message picks a list of replies, consumed one per
    request (the last one repeats). A reply that is an exception class is raised instead of returned."""

    def __init__(self, table: dict[str, list], marker: Callable[[list[dict]], str] | None = None, max_asks: int = 50):
        self.table = table
        self.asks: dict[str, int] = {}
        self.marker = marker
        self.max_asks = max_asks

    def key_of(self, messages: list[dict]) -> str:
        text = self.marker(messages) if self.marker else messages[-1]['content']
        for key in self.table:
            if key in text:
                return key
        raise KeyError(f'no scripted reply for: {text[:200]!r}')

    def __call__(self, model: str, messages: list[dict]) -> str:
        key = self.key_of(messages)
        n = self.asks.get(key, 0)
        self.asks[key] = n + 1
        if n >= self.max_asks:
            raise StopRetrying(f'{key!r} asked {n} times')
        replies = self.table[key]
        reply = replies[min(n, len(replies) - 1)]
        if isinstance(reply, type) and issubclass(reply, BaseException):
            raise reply(f'scripted failure for {key!r}')
        return reply


def run_script_main(module: types.ModuleType, argv: list[str]) -> dict[str, Any]:
    """Call an official script's ``main()`` with ``sys.argv`` = argv; returns its stdout lines and any exception."""
    import contextlib
    import io

    buf = io.StringIO()
    old_argv = sys.argv
    sys.argv = ['script', *argv]
    outcome: dict[str, Any] = {}
    try:
        with contextlib.redirect_stdout(buf):
            module.main()
    except BaseException as exc:  # noqa: BLE001 - the exception is the recorded outcome
        outcome['raises'] = type(exc).__name__
        outcome['message'] = str(exc)
    finally:
        sys.argv = old_argv
    # object addresses in printed exceptions ('<ast.Name object at 0x7f..>') would make reruns differ
    outcome['stdout'] = [re.sub(r' at 0x[0-9a-f]+', ' at 0x...', line) for line in buf.getvalue().splitlines()]
    return outcome
