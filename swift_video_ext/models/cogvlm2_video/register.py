"""ms-swift registration of ``--model_type cogvlm2_video_ts`` (native; replaces the lossy remote-code built-in)."""

from __future__ import annotations

from swift.model import Model, ModelGroup, ModelLoader, ModelMeta, MultiModelKeys, register_model, register_model_arch
from swift.template import register_template
from transformers import AutoTokenizer

from .configuration_cogvlm2_video import CogVLM2VideoConfig
from .convert_cogvlm2_video import native_config_dict, read_config_dict
from .modeling_cogvlm2_video import CogVLM2VideoForCausalLM
from .processing_cogvlm2_video import CogVLM2VideoProcessor
from .spec import ARCHITECTURE, SPEC
from .template import TEMPLATE_BASE, TEMPLATE_CHAT, template_metas

MODEL_TYPE = SPEC.model_type


class CogVLM2VideoLoader(ModelLoader):
    """Reads the official directory unchanged: config.json without model_type, Llama-3 tokenizer, safetensors."""

    default_trust_remote_code = False

    def get_config(self, model_dir: str) -> CogVLM2VideoConfig:
        return CogVLM2VideoConfig.from_dict(native_config_dict(read_config_dict(model_dir)))

    def get_processor(self, model_dir: str, config: CogVLM2VideoConfig) -> CogVLM2VideoProcessor:
        tokenizer = AutoTokenizer.from_pretrained(model_dir, trust_remote_code=False)
        if tokenizer.pad_token_id is None:  # the Llama-3 tokenizer has none; CogVLM uses reserved token 0
            tokenizer.pad_token = tokenizer.convert_ids_to_tokens(config.pad_token_id)
        vision = config.vision_config
        return CogVLM2VideoProcessor(tokenizer, image_size=vision.image_size, tokens_per_frame=config.tokens_per_frame)

    def get_model(self, model_dir: str, config: CogVLM2VideoConfig, processor, model_kwargs):
        self.auto_model_cls = CogVLM2VideoForCausalLM
        return super().get_model(model_dir, config, processor, model_kwargs)


def register() -> None:
    """Templates, model arch and model meta (the probe guard: :func:`swift_video_ext.registration.register_all`)."""
    for meta in template_metas():
        register_template(meta, exist_ok=True)
    register_model_arch(MultiModelKeys(
        MODEL_TYPE,
        language_model=['model.embed_tokens', 'model.layers', 'model.norm', 'lm_head'],
        aligner=['model.vision.conv', 'model.vision.linear_proj', 'model.vision.boi', 'model.vision.eoi'],
        vision_tower=['model.vision.patch_embedding', 'model.vision.transformer'],
    ), exist_ok=True)
    register_model(ModelMeta(
        MODEL_TYPE,
        [
            ModelGroup([Model('ZhipuAI/cogvlm2-video-llama3-chat', 'THUDM/cogvlm2-video-llama3-chat')],
                       template=TEMPLATE_CHAT),
            ModelGroup([Model('ZhipuAI/cogvlm2-video-llama3-base', 'THUDM/cogvlm2-video-llama3-base')],
                       template=TEMPLATE_BASE),
        ],
        CogVLM2VideoLoader,
        template=TEMPLATE_CHAT,
        model_arch=MODEL_TYPE,
        architectures=[ARCHITECTURE],
        is_multimodal=True,
        tags=['video'],
    ), exist_ok=True)
