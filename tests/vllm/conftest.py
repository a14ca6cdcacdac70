"""tests/vllm: vLLM serving tests run only in the vLLM venv (`make test-vllm`); elsewhere they are skipped.

In that venv the test process and every process it starts need tests/vllm/site/sitecustomize.py (the CPU
torchvision op schemas): loaded here for this process unless Python already ran it at start-up (``PYTHONPATH``
holds tests/vllm/site), put on PYTHONPATH for the others by :func:`vllm_env`.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

SITE = Path(__file__).parent / 'site'
REPO_ROOT = Path(__file__).resolve().parents[2]
HAS_VLLM = importlib.util.find_spec('vllm') is not None
needs_vllm = pytest.mark.skipif(not HAS_VLLM, reason='vLLM is not installed here (make vllm-venv; make test-vllm)')

_STARTUP_HOOK = sys.modules.get('sitecustomize')
if HAS_VLLM and Path(getattr(_STARTUP_HOOK, '__file__', None) or '.').parent != SITE:
    _spec = importlib.util.spec_from_file_location('tests_vllm_sitecustomize', SITE / 'sitecustomize.py')
    _spec.loader.exec_module(importlib.util.module_from_spec(_spec))


def vllm_env(**extra: str) -> dict[str, str]:
    """Environment of the `swift` commands of these tests."""
    from tests.helpers import command_env

    path = os.pathsep.join([str(SITE), str(REPO_ROOT), os.environ.get('PYTHONPATH', '')]).rstrip(os.pathsep)
    return command_env(PYTHONPATH=path, **extra)
