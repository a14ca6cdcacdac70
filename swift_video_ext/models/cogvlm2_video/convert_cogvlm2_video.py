"""The official CogVLM2-Video ``config.json`` as native config arguments (the weights load unchanged)."""

from __future__ import annotations

from ...common.checkpoint import read_config_dict

# Keys of the official config.json that describe remote code or defaults we replace.
_DROPPED_KEYS = ('auto_map', 'architectures', 'model_type')
__all__ = ['native_config_dict', 'read_config_dict']  # read_config_dict: re-exported for the loader


def native_config_dict(config: dict) -> dict:
    """Drop ``auto_map``; the official file's ``template_version: base`` (even for chat) is kept but unused."""
    native = {k: v for k, v in config.items() if k not in _DROPPED_KEYS}
    native['architectures'] = ['CogVLM2VideoForCausalLM']
    return native
