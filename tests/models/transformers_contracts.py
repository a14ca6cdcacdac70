"""transformers' common model tests (``tests/test_modeling_common.py``, not shipped in the wheel), restated as
functions to drive on our classes with tiny configs.

Each function follows the logic of the transformers test it names; the asserts are the same ones.
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Iterator
from pathlib import Path

import torch
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedModel, set_seed
from transformers.utils import ModelOutput

from swift_video_ext.common.configuration import ForeignModelTypeError

# a bound on every model these tests build: far above the tiny configs, far below any released default
MAX_TEST_PARAMETERS = 5_000_000


@contextlib.contextmanager
def refuse_large_models(model_class: type) -> Iterator[None]:
    """Inside, constructing ``model_class`` (or a subclass) with more than :data:`MAX_TEST_PARAMETERS` parameters
    raises before any weight is allocated (counted on the meta device), so a test that regresses into building a
    released model's default size fails fast instead of exhausting the machine's memory."""
    original = model_class.__init__

    def guarded(self, config, *args, **kwargs):
        count = _count_parameters(type(self), original, config)
        assert count <= MAX_TEST_PARAMETERS, f'{type(self).__name__} would build {count:,} parameters'
        original(self, config, *args, **kwargs)

    model_class.__init__ = guarded
    try:
        yield
    finally:
        model_class.__init__ = original


def _count_parameters(cls: type, init, config) -> int:
    """Parameters ``init`` would create, built on the meta device (no memory)."""
    probe = object.__new__(cls)
    with torch.device('meta'):
        init(probe, copy.deepcopy(config))
    return sum(p.numel() for p in probe.parameters())


def save_tiny_llama(folder: Path) -> Path:
    """A complete Llama checkpoint (config and weights, model_type llama) of a few thousand parameters."""
    LlamaForCausalLM(LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                 num_attention_heads=2)).save_pretrained(folder)
    return folder


def can_init_all_missing_weights(model_class: type, config) -> None:
    """``test_can_init_all_missing_weights``: ``from_pretrained(None, state_dict={})`` (every weight missing, so
    created on the meta device and initialised by ``_init_weights``) equals a model built from the config, under the
    same per-module seed; nothing is left on the meta device."""
    original = PreTrainedModel._initialize_weights

    def seeded_initialize_weights(self, module, is_custom_code=False):
        set_seed(0)
        original(self, module, is_custom_code)

    PreTrainedModel._initialize_weights = seeded_initialize_weights
    try:
        from_config = model_class(copy.deepcopy(config))
        from_pretrained = model_class.from_pretrained(None, config=config, state_dict={})
    finally:
        PreTrainedModel._initialize_weights = original
    on_meta = [name for name, param in from_pretrained.named_parameters() if param.device.type == 'meta']
    assert not on_meta, f'still on the meta device: {on_meta}'
    want, got = from_config.state_dict(), from_pretrained.state_dict()
    assert sorted(want) == sorted(got), 'the keys from each model should be the exact same'
    buffers = {name for name, _ in from_config.named_buffers()}
    different = sorted(key for key, value in want.items() if key not in buffers
                       and not re.search(r'\.parametrizations\..*?\.original[01]', key)
                       and not bool((value == got[key]).all()))
    assert not different, f'not handled by _init_weights(): {different}'


def correct_missing_keys(model_class: type, config, folder: Path) -> list[str] | ForeignModelTypeError:
    """``test_correct_missing_keys``: save ``model.base_model`` alone and load that folder as ``model_class``; the
    head's weights must be reported missing. Returns the missing keys, or the error when the base model's folder is
    of another ``model_type`` (MiniGPT4-Video, whose base model is its LLM), which must be refused, not built."""
    model = model_class(copy.deepcopy(config))
    prefix = model.base_model_prefix
    assert hasattr(model, prefix), f'{model_class.__name__} has no {prefix}'
    model.base_model.save_pretrained(folder)
    try:
        _, info = model_class.from_pretrained(folder, output_loading_info=True)
    except ForeignModelTypeError as error:
        return error
    assert info['missing_keys'], f'{model_class.__name__}: no missing keys from a base-model-only folder'
    return sorted(info['missing_keys'])


def _request_on_config(config, name: str) -> None:
    """As the transformers tests do: set ``output_<name>`` on the config and every sub-config."""
    setattr(config, name, True)
    for key in getattr(config, 'sub_configs', {}):
        if getattr(config, key, None) is not None:
            setattr(getattr(config, key), name, True)


def features_output(model_class: type, config, method: str, inputs: dict, return_dict: bool | None,
                    batch: int, hidden_size: int) -> None:
    """``test_get_{image,video}_features_output``: a ``ModelOutput`` with ``last_hidden_state`` (batch first, the
    vision width last), ``pooler_output``, ``hidden_states`` and ``attentions`` fields; a tuple when
    ``return_dict=False`` is configured."""
    config = copy.deepcopy(config)
    if return_dict is not None:
        config.return_dict = return_dict
    model = model_class(config).eval()
    set_seed(42)
    with torch.no_grad():
        outputs = getattr(model, method)(**inputs)
    if return_dict is False:
        assert isinstance(outputs, tuple), f'{method}() must return a tuple if return_dict=False'
        return
    assert isinstance(outputs, ModelOutput), f'{method}() must return a BaseModelOutput'
    for field in ('last_hidden_state', 'pooler_output', 'hidden_states', 'attentions'):
        assert hasattr(outputs, field), f'{method}() output has no {field}'
    assert outputs.last_hidden_state.shape[0] == batch, outputs.last_hidden_state.shape
    assert outputs.last_hidden_state.shape[-1] == hidden_size, outputs.last_hidden_state.shape


def features_hidden_states(model_class: type, config, method: str, inputs: dict, num_layers: int) -> None:
    """``test_get_{image,video}_features_hidden_states``: ``num_layers + 1`` hidden states, asked for by argument
    and, separately, by the config."""
    for by_config in (False, True):
        config_copy, kwargs = copy.deepcopy(config), dict(inputs)
        if by_config:
            _request_on_config(config_copy, 'output_hidden_states')
        else:
            kwargs['output_hidden_states'] = True
        model = model_class(config_copy).eval()
        with torch.no_grad():
            hidden_states = getattr(model, method)(**kwargs).hidden_states
        assert hidden_states is not None, f'{method}: no hidden_states (by_config={by_config})'
        assert len(hidden_states) == num_layers + 1, (by_config, len(hidden_states))


def features_attentions(model_class: type, config, method: str, inputs: dict, num_layers: int) -> None:
    """``test_get_{image,video}_features_attentions``: with eager attention, one attention map per layer, asked for
    by argument and, separately, by the config."""
    for by_config in (False, True):
        config_copy, kwargs = copy.deepcopy(config), dict(inputs)
        if by_config:
            _request_on_config(config_copy, 'output_attentions')
        else:
            kwargs.update(output_hidden_states=False, output_attentions=True)
        model = model_class(config_copy).eval()
        model.set_attn_implementation('eager')
        with torch.no_grad():
            attentions = getattr(model, method)(**kwargs).attentions
        assert attentions is not None, f'{method}: no attentions (by_config={by_config})'
        assert len(attentions) == num_layers, (by_config, len(attentions))
