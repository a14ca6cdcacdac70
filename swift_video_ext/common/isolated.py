"""Run plugin work in a fresh Python process, so the process ms-swift and ``datasets`` later fork keeps none of it.

A forked child inherits its parent's memory but not its threads: when the parent has started torch's OpenMP pool
(any parallel torch op), a forked ``datasets.map`` worker deadlocks in its first parallel op (``gomp_team_barrier``),
and a library whose worker threads (FFmpeg decoders, thread pools) were busy at the fork can hang the same way. So
work the plugin does in a ``swift`` process before ms-swift may fork (``--lazy_tokenize false``,
``--dataset_num_proc``, dataloader workers, ``swift export --to_cached_dataset``) — encoding rows, decoding or probing
videos — runs through :func:`run_isolated`: a new interpreter (``sys.executable -m`` this module, no fork, nothing
of the caller's ``__main__`` re-run), the argument and the result pickled through files.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


class IsolatedError(RuntimeError):
    """The isolated call failed: the child's exception (type and message), or how the child ended."""


def run_isolated(function: str, argument: Any, *, timeout: float) -> Any:
    """``function(argument)`` in a new Python process; returns its result.

    ``function`` is ``'package.module:name'``; ``argument`` and the result must pickle. The child inherits the
    environment; its output is captured and only its last lines are shown on failure. Raises :class:`IsolatedError`
    when the call raises or the child dies, ``subprocess.TimeoutExpired`` (the child killed) after ``timeout`` s.
    """
    with tempfile.TemporaryDirectory(prefix='swift_video_isolated_') as folder:
        request, response = Path(folder) / 'request.pkl', Path(folder) / 'response.pkl'
        request.write_bytes(pickle.dumps((function, argument), protocol=pickle.HIGHEST_PROTOCOL))
        done = subprocess.run([sys.executable, '-m', __name__, str(request), str(response)], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, errors='replace', timeout=timeout, check=False)
        if not response.is_file():
            tail = '\n'.join((done.stdout + done.stderr).strip().splitlines()[-5:])
            raise IsolatedError(f'the child process ended with exit code {done.returncode}: {tail}')
        ok, value = pickle.loads(response.read_bytes())
    if not ok:
        raise IsolatedError(value)
    return value


@contextlib.contextmanager
def torch_on_one_thread():
    """torch ops inside run on the calling thread only, so they start no OpenMP pool in this process (for work that
    cannot move to :func:`run_isolated`, e.g. converting a checkpoint while loading it); the thread count is restored
    (setting it starts no thread)."""
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


def _call(request: str, response: str) -> None:
    function, argument = pickle.loads(Path(request).read_bytes())
    module, _, name = function.partition(':')
    try:
        result = (True, getattr(importlib.import_module(module), name)(argument))
    except Exception as error:  # noqa: BLE001 - handed back to the caller, who decides
        result = (False, f'{type(error).__name__}: {error}')
    Path(response).write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == '__main__':
    os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')
    _call(*sys.argv[1:3])
