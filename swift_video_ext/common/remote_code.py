"""Keep ms-swift from executing a checkpoint's Python code for architectures we implement natively.

ms-swift's model-info probe (``swift.model.model_meta._get_model_info``) calls ``AutoConfig.from_pretrained`` with
remote code trusted. For a checkpoint whose ``config.json`` has an
``auto_map`` (the official CogVLM2-Video repos ship ``configuration_cogvlm.py``) that would import the repo's code.
This swaps the probe's ``AutoConfig`` for a stand-in that passes ``trust_remote_code=False`` when the checkpoint's
architecture is one we implement; the probe then falls back to the raw ``config.json`` dict, as it is written to.
"""

from __future__ import annotations

import json
import os

_native_architectures: set[str] = set()


def _architectures(model_dir) -> set[str]:
    try:
        with open(os.path.join(os.fspath(model_dir), 'config.json'), encoding='utf-8') as f:
            return set(json.load(f).get('architectures') or [])
    except (OSError, ValueError, TypeError):
        return set()


class NoRemoteCodeAutoConfig:
    """``AutoConfig`` for ms-swift's probe: never trusts remote code for natively implemented architectures."""

    def __init__(self, auto_config):
        self._auto_config = auto_config

    def from_pretrained(self, model_dir, *args, trust_remote_code=None, **kwargs):
        if _architectures(model_dir) & _native_architectures:
            trust_remote_code = False
        return self._auto_config.from_pretrained(model_dir, *args, trust_remote_code=trust_remote_code, **kwargs)

    def __getattr__(self, name):
        return getattr(self._auto_config, name)


def never_trust_remote_code_for(*architectures: str) -> None:
    """Install the stand-in (once) and add ``architectures`` to the natively implemented set."""
    from swift.model import model_meta

    _native_architectures.update(architectures)
    if not isinstance(model_meta.AutoConfig, NoRemoteCodeAutoConfig):
        model_meta.AutoConfig = NoRemoteCodeAutoConfig(model_meta.AutoConfig)
