"""Shared behaviour of our composite configurations (PLLaVA, CogVLM2-Video, MiniGPT4-Video)."""

from __future__ import annotations

import os


class ForeignModelTypeError(ValueError):
    """A folder's ``config.json`` names another ``model_type`` than the configuration class loading it."""


class RejectsForeignModelType:
    """Mixin for a ``PreTrainedConfig``: ``from_pretrained`` of a folder whose ``config.json`` names another
    ``model_type`` raises :class:`ForeignModelTypeError`.

    transformers only warns there and fills every missing sub-config with its default, which for our classes is the
    released model's size: a tiny Llama folder loaded as MiniGPT4-Video or PLLaVA builds a 7B model (transformers'
    ``test_correct_missing_keys`` does exactly that with ``model.base_model``, MiniGPT4-Video's LLM). A folder
    without ``model_type`` (the official CogVLM2-Video layout) still loads; so does a composite folder holding a
    sub-config of this ``model_type``, which transformers then picks out.
    """

    foreign_model_type_hint = ''  # one sentence on where such folders belong, appended to the error

    @classmethod
    def get_config_dict(cls, pretrained_model_name_or_path: str | os.PathLike, **kwargs) -> tuple[dict, dict]:
        config_dict, kwargs = super().get_config_dict(pretrained_model_name_or_path, **kwargs)
        check_model_type(config_dict, cls, pretrained_model_name_or_path)
        return config_dict, kwargs


def check_model_type(config_dict: dict, config_class: type, source: str | os.PathLike) -> None:
    """Raise :class:`ForeignModelTypeError` unless ``config_dict`` is of ``config_class.model_type`` (or names none)."""
    expected, found = config_class.model_type, config_dict.get('model_type')
    if found is None or found == expected:
        return
    if any(isinstance(value, dict) and value.get('model_type') == expected for value in config_dict.values()):
        return
    hint = getattr(config_class, 'foreign_model_type_hint', '')
    raise ForeignModelTypeError(
        f"{source}: config.json has model_type '{found}', but {config_class.__name__} loads model_type "
        f"'{expected}'. Loading it anyway would fill every missing sub-config with {expected}'s full-size "
        f"defaults.{' ' + hint if hint else ''}")


__all__ = ['ForeignModelTypeError', 'RejectsForeignModelType', 'check_model_type']
