"""PLLaVA (Pooling LLaVA): ``--model_type pllava``."""

from .configuration_pllava import PllavaConfig
from .modeling_pllava import PllavaForConditionalGeneration, PllavaModel
from .processing_pllava import VIDEO_SAMPLING, PllavaProcessor


def register_auto_classes() -> None:
    """Make ``AutoConfig`` / ``AutoModelForImageTextToText`` / ``AutoProcessor`` know ``pllava``."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForImageTextToText, AutoProcessor

    AutoConfig.register('pllava', PllavaConfig, exist_ok=True)
    AutoModelForImageTextToText.register(PllavaConfig, PllavaForConditionalGeneration, exist_ok=True)
    AutoModelForCausalLM.register(PllavaConfig, PllavaForConditionalGeneration, exist_ok=True)
    AutoProcessor.register(PllavaConfig, PllavaProcessor, exist_ok=True)


__all__ = ['VIDEO_SAMPLING', 'PllavaConfig', 'PllavaForConditionalGeneration', 'PllavaModel', 'PllavaProcessor',
           'register_auto_classes']
