"""Reading checkpoints (``config.json``; safetensors, single file or sharded with an index) without loading the model
class."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch


def read_config_dict(model_dir: str | os.PathLike) -> dict:
    """A checkpoint directory's ``config.json`` as a plain dict (no config class, no remote code)."""
    return json.loads((Path(model_dir) / 'config.json').read_text())


def safetensors_files(model_dir: str | os.PathLike) -> list[Path]:
    """The safetensors files of a checkpoint directory: the index's shards, else ``model.safetensors``."""
    model_dir = Path(model_dir)
    index = model_dir / 'model.safetensors.index.json'
    if index.is_file():
        shards = sorted(set(json.loads(index.read_text())['weight_map'].values()))
        return [model_dir / shard for shard in shards]
    single = model_dir / 'model.safetensors'
    return [single] if single.is_file() else []


def checkpoint_keys(model_dir: str | os.PathLike) -> list[str]:
    """Tensor names of a checkpoint directory (reads only headers)."""
    from safetensors import safe_open

    model_dir = Path(model_dir)
    index = model_dir / 'model.safetensors.index.json'
    if index.is_file():
        return sorted(json.loads(index.read_text())['weight_map'])
    keys: list[str] = []
    for path in safetensors_files(model_dir):
        with safe_open(str(path), framework='pt') as f:
            keys.extend(f.keys())
    return sorted(keys)


def load_state_dict(model_dir: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Every tensor of a safetensors checkpoint directory (CPU)."""
    from safetensors.torch import load_file

    files = safetensors_files(model_dir)
    if not files:
        raise FileNotFoundError(f'{model_dir}: no model.safetensors or model.safetensors.index.json')
    state: dict[str, torch.Tensor] = {}
    for path in files:
        state.update(load_file(str(path)))
    return state


def load_torch_file(path: str | os.PathLike) -> dict:
    """A ``torch.save`` file loaded safely (``weights_only=True``: tensors and plain containers, no pickled code)."""
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:  # pickle refused: tell the user what is inside instead of executing it
        raise ValueError(f'{path}: refusing to unpickle non-tensor objects ({error}); only weights_only=True '
                         'files are loaded') from None


def random_model(model_class, config, *, device: str = 'cpu', dtype: torch.dtype = torch.float32,
                 seed: int | None = None) -> torch.nn.Module:
    """``model_class(config)`` with random weights, created directly in ``dtype`` on ``device`` (no fp32 copy)."""
    if seed is not None:
        torch.manual_seed(seed)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            return model_class(config)
    finally:
        torch.set_default_dtype(previous)


def save_random_model(model_class, config, output_dir: str | os.PathLike, *, device: str = 'cpu',
                      dtype: torch.dtype = torch.float32, seed: int = 0, embedding_std: float | None = None) -> None:
    """Instantiate ``model_class(config)`` with random weights, directly in ``dtype`` on ``device``, and save it
    (safetensors); full-size models are built on the GPU in bf16 so neither host memory nor time is wasted.
    ``embedding_std`` re-draws the input token embeddings from N(0, std²) (tiny models whose logits would otherwise
    be too flat to learn from)."""
    model = random_model(model_class, config, device=device, dtype=dtype, seed=seed)
    if embedding_std is not None:
        with torch.no_grad():
            model.get_input_embeddings().weight.normal_(0.0, embedding_std)
    model.config.dtype = str(dtype).removeprefix('torch.')
    model.save_pretrained(output_dir)
    del model
