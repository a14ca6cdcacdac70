"""CogVLM2-Video with timestamps, native: ``--model_type cogvlm2_video_ts``."""

from .configuration_cogvlm2_video import CogVLM2VideoConfig, CogVLM2VideoVisionConfig
from .modeling_cogvlm2_video import CogVLM2VideoForCausalLM, CogVLM2VideoModel, build_position_ids
from .processing_cogvlm2_video import VIDEO_SAMPLING, VIDEO_SAMPLING_BASE, CogVLM2VideoProcessor


def register_auto_classes() -> None:
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForImageTextToText, AutoProcessor

    AutoConfig.register('cogvlm2_video', CogVLM2VideoConfig, exist_ok=True)
    AutoConfig.register('cogvlm2_video_vision', CogVLM2VideoVisionConfig, exist_ok=True)
    AutoModelForCausalLM.register(CogVLM2VideoConfig, CogVLM2VideoForCausalLM, exist_ok=True)
    AutoModelForImageTextToText.register(CogVLM2VideoConfig, CogVLM2VideoForCausalLM, exist_ok=True)
    AutoProcessor.register(CogVLM2VideoConfig, CogVLM2VideoProcessor, exist_ok=True)


__all__ = ['VIDEO_SAMPLING', 'VIDEO_SAMPLING_BASE', 'CogVLM2VideoConfig', 'CogVLM2VideoForCausalLM',
           'CogVLM2VideoModel', 'CogVLM2VideoProcessor', 'CogVLM2VideoVisionConfig', 'build_position_ids',
           'register_auto_classes']
