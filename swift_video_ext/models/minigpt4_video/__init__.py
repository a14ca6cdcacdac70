"""MiniGPT4-Video: ``--model_type minigpt4_video``."""

from .configuration_minigpt4_video import FAMILY_DEFAULTS, MiniGPT4VideoConfig
from .modeling_minigpt4_video import MiniGPT4VideoForConditionalGeneration, concat_adjacent_tokens
from .processing_minigpt4_video import VIDEO_SAMPLING, MiniGPT4VideoProcessor


def register_auto_classes() -> None:
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForImageTextToText, AutoProcessor

    AutoConfig.register('minigpt4_video', MiniGPT4VideoConfig, exist_ok=True)
    AutoModelForImageTextToText.register(MiniGPT4VideoConfig, MiniGPT4VideoForConditionalGeneration, exist_ok=True)
    AutoModelForCausalLM.register(MiniGPT4VideoConfig, MiniGPT4VideoForConditionalGeneration, exist_ok=True)
    AutoProcessor.register(MiniGPT4VideoConfig, MiniGPT4VideoProcessor, exist_ok=True)


__all__ = ['FAMILY_DEFAULTS', 'VIDEO_SAMPLING', 'MiniGPT4VideoConfig', 'MiniGPT4VideoForConditionalGeneration',
           'MiniGPT4VideoProcessor', 'concat_adjacent_tokens', 'register_auto_classes']
