"""No code from a model folder ever runs for our model types, whatever its ``config.json`` says.

ms-swift's model-info probe (``swift.model.model_meta._get_model_info``) calls ``AutoConfig.from_pretrained`` with
remote code trusted, before any loader of ours runs. A folder with an ``auto_map`` (the official CogVLM2-Video repos
ship ``configuration_cogvlm.py``; anyone can add one to a PLLaVA folder) would have its Python imported there.
:func:`install_probe_guard` wraps the probe so that it passes ``trust_remote_code=False`` when the run's model type is
one of ours (``--model_type``, or the folder's ``args.json``), or the folder's architecture is one we implement; the
probe then reads the plain ``config.json`` dict (as it does on any failure). Our loaders, tokenizers and processors
never trust remote code either (``default_trust_remote_code = False``, ``trust_remote_code=False``). The two
replaced module globals are the seam's ``MODEL_INFO_PROBE``.
"""

from __future__ import annotations

import contextvars
import functools
import json
import os

from . import seam

_native_architectures: set[str] = set()
_guarded_model_types: set[str] = set()
# True while the probe reads a guarded folder (per thread / task; every AutoConfig stand-in reads it)
_probing_guarded: contextvars.ContextVar[bool] = contextvars.ContextVar('swift_video_probing_guarded', default=False)


def _read_json(path: str) -> dict:
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError, TypeError):
        return {}


def _architectures(model_dir) -> set[str]:
    return set(_read_json(os.path.join(os.fspath(model_dir), 'config.json')).get('architectures') or [])


def is_guarded(model_dir, model_type: str | None) -> bool:
    """True when loading ``model_dir`` as ``model_type`` must not run the folder's code."""
    if model_type is None:
        model_type = _read_json(os.path.join(os.fspath(model_dir), 'args.json')).get('model_type')
    return model_type in _guarded_model_types or bool(_architectures(model_dir) & _native_architectures)


class NoRemoteCodeAutoConfig:
    """``AutoConfig`` as the probe sees it: remote code is never trusted while a guarded folder is probed."""

    def __init__(self, auto_config):
        self._auto_config = auto_config

    def from_pretrained(self, model_dir, *args, trust_remote_code=None, **kwargs):
        if _probing_guarded.get() or _architectures(model_dir) & _native_architectures:
            trust_remote_code = False
        return self._auto_config.from_pretrained(model_dir, *args, trust_remote_code=trust_remote_code, **kwargs)

    def __getattr__(self, name):
        return getattr(self._auto_config, name)


def _guarded(probe):
    @functools.wraps(probe)
    def guarded_probe(model_dir, model_type, *args, **kwargs):
        token = _probing_guarded.set(is_guarded(model_dir, model_type))
        try:
            return probe(model_dir, model_type, *args, **kwargs)
        finally:
            _probing_guarded.reset(token)

    return guarded_probe


def install_probe_guard(*, model_types: tuple[str, ...] = (), architectures: tuple[str, ...] = ()) -> bool:
    """Guard ms-swift's probe (once, through the seam) for these model types and architectures; False when the
    seam refused the patch (the probe then trusts remote code as ms-swift does; our loaders still never do)."""
    _guarded_model_types.update(model_types)
    _native_architectures.update(architectures)
    return seam.apply(seam.MODEL_INFO_PROBE, {'AutoConfig': NoRemoteCodeAutoConfig, '_get_model_info': _guarded})
