"""The official CogVLM2-Video ``config.json`` as native config arguments (the weights load unchanged)."""

from __future__ import annotations

import json
import os
from pathlib import Path

# Keys of the official config.json that describe remote code or defaults we replace.
_DROPPED_KEYS = ('auto_map', 'architectures', 'model_type')


def read_config_dict(model_dir: str | os.PathLike) -> dict:
    return json.loads((Path(model_dir) / 'config.json').read_text())


def native_config_dict(config: dict) -> dict:
    """Drop ``auto_map``; the official file's ``template_version: base`` (even for chat) is kept but unused."""
    native = {k: v for k, v in config.items() if k not in _DROPPED_KEYS}
    native['architectures'] = ['CogVLM2VideoForCausalLM']
    return native
