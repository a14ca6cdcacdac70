"""ms-swift registration of ``--model_type minigpt4_video``."""

from __future__ import annotations

from swift.model import Model, ModelGroup, ModelLoader, ModelMeta, MultiModelKeys, register_model, register_model_arch
from swift.template import register_template
from transformers import AutoTokenizer

from ...logging_utils import get_logger
from .configuration_minigpt4_video import MiniGPT4VideoConfig
from .modeling_minigpt4_video import MiniGPT4VideoForConditionalGeneration
from .processing_minigpt4_video import MiniGPT4VideoProcessor
from .spec import ARCHITECTURE, SPEC
from .template import TEMPLATE_LLAMA2, TEMPLATE_MISTRAL, template_metas

MODEL_TYPE = SPEC.model_type
logger = get_logger()


class MiniGPT4VideoLoader(ModelLoader):
    default_trust_remote_code = False

    def get_config(self, model_dir: str) -> MiniGPT4VideoConfig:
        return MiniGPT4VideoConfig.from_pretrained(model_dir)

    def get_processor(self, model_dir: str, config: MiniGPT4VideoConfig) -> MiniGPT4VideoProcessor:
        tokenizer = AutoTokenizer.from_pretrained(model_dir, trust_remote_code=False)
        if config.image_token_id != tokenizer.unk_token_id:
            logger.warning(f'{model_dir}: image_token_id {config.image_token_id} is not the tokenizer\'s <unk> '
                           f'({tokenizer.unk_token_id}); make sure text never produces it')
        vision = config.vision_config
        return MiniGPT4VideoProcessor(tokenizer, image_size=vision.image_size, image_mean=config.image_mean,
                                      image_std=config.image_std, tokens_per_frame=config.tokens_per_frame,
                                      image_token_id=config.image_token_id, num_frames=config.num_frames,
                                      max_subtitle_words=config.max_subtitle_words)

    def get_model(self, model_dir: str, config: MiniGPT4VideoConfig, processor, model_kwargs):
        self.auto_model_cls = MiniGPT4VideoForConditionalGeneration
        return super().get_model(model_dir, config, processor, model_kwargs)


def register() -> None:
    for meta in template_metas():
        register_template(meta, exist_ok=True)
    register_model_arch(MultiModelKeys(MODEL_TYPE, language_model=['language_model'], aligner=['llama_proj'],
                                       vision_tower=['vision_model', 'ln_vision']), exist_ok=True)
    register_model(ModelMeta(
        MODEL_TYPE,
        [ModelGroup([Model(hf_model_id='Vision-CAIR/MiniGPT4-Video')], template=TEMPLATE_LLAMA2),
         ModelGroup([Model(model_path='minigpt4-video-mistral')], template=TEMPLATE_MISTRAL)],
        MiniGPT4VideoLoader,
        template=TEMPLATE_LLAMA2,
        model_arch=MODEL_TYPE,
        architectures=[ARCHITECTURE],
        is_multimodal=True,
        tags=['video'],
    ), exist_ok=True)
