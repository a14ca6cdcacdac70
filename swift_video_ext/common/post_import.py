"""Run a function once a given module has finished importing (now, if it already has).

A thin use of the package's one import hook (:func:`swift_video_ext_autoload.when_imported`): a callback that raises
is one warning, never an exception inside ms-swift's own import.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from swift_video_ext_autoload import when_imported as _when_imported


def when_imported(name: str, callback: Callable[[object], None]) -> None:
    """Call ``callback(module)`` when ``name`` is imported (immediately when it already is)."""
    _when_imported((name,), lambda: callback(sys.modules[name]), label=f'patch {name}')
