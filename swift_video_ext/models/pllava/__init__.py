"""PLLaVA (Pooling LLaVA): ``--model_type pllava``. Declared in :mod:`.spec`; the classes load on first use."""

from ..spec import lazy_exports
from .spec import SPEC, VIDEO_SAMPLING

_EXPORTS = {'PllavaConfig': 'configuration_pllava', 'PllavaForConditionalGeneration': 'modeling_pllava',
            'PllavaModel': 'modeling_pllava', 'PllavaProcessor': 'processing_pllava'}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ['SPEC', 'VIDEO_SAMPLING', *_EXPORTS]
