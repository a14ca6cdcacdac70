"""ms-swift registration of ``--model_type pllava``: loader, model meta, templates."""

from __future__ import annotations

import os

import torch
from swift.model import Model, ModelArch, ModelGroup, ModelLoader, ModelMeta, register_model
from swift.template import register_template
from transformers import AutoImageProcessor, AutoTokenizer

from ...common.checkpoint import checkpoint_keys, load_state_dict
from ...common.isolated import torch_on_one_thread
from ...logging_utils import get_logger
from .configuration_pllava import PllavaConfig
from .convert_pllava import (
    convert_official_state_dict,
    is_official_layout,
    lora_alpha_from_env,
    official_config_dict,
    read_config_dict,
)
from .modeling_pllava import PllavaForConditionalGeneration
from .processing_pllava import PllavaProcessor
from .spec import SPEC
from .template import TEMPLATE_CHATML, TEMPLATE_VICUNA, template_metas

MODEL_TYPE = SPEC.model_type
IMAGE_TOKEN_ENV = 'PLLAVA_IMAGE_TOKEN_ID'  # "tokenizer": trust the tokenizer's <image> id over config.json
logger = get_logger()


class PllavaLoader(ModelLoader):
    """Native classes only (no remote code); official PEFT-layout repos are converted and merged on load."""

    default_trust_remote_code = False

    def get_config(self, model_dir: str) -> PllavaConfig:
        config = read_config_dict(model_dir)
        if config.get('model_type') != MODEL_TYPE:
            config = official_config_dict(config)
        return PllavaConfig.from_dict(config)

    def get_processor(self, model_dir: str, config: PllavaConfig) -> PllavaProcessor:
        tokenizer = AutoTokenizer.from_pretrained(model_dir, trust_remote_code=False)
        # the PIL backend: transformers 5's default (torchvision) CLIP processor is off by 1-2 uint8 steps from
        # the PIL one the official code uses
        image_processor = AutoImageProcessor.from_pretrained(model_dir, backend='pil', trust_remote_code=False)
        processor = PllavaProcessor(image_processor, tokenizer, num_frames=config.num_frames,
                                    pooling_shape=config.pooling_shape)
        check_image_token(config, processor, model_dir)
        return processor

    def get_model(self, model_dir: str, config: PllavaConfig, processor, model_kwargs):
        self.auto_model_cls = PllavaForConditionalGeneration
        if self.return_dummy_model or not is_official_layout(checkpoint_keys(model_dir)):
            return super().get_model(model_dir, config, processor, model_kwargs)
        alpha = lora_alpha_from_env()
        logger.info(f'{model_dir}: official PEFT layout; merging its LoRA at alpha={alpha} (PLLAVA_LORA_ALPHA)')
        with torch.device('meta'):
            expected = set(PllavaForConditionalGeneration(config).state_dict())
        with torch_on_one_thread():  # the merge must not start OpenMP in a process ms-swift forks later (issue 22)
            state = convert_official_state_dict(load_state_dict(model_dir), expected, lora_alpha=alpha,
                                                source=model_dir)
            model = PllavaForConditionalGeneration.from_pretrained(None, config=config, state_dict=state,
                                                                   **model_kwargs)
        self._compat_transformers5(model)
        return model


def check_image_token(config: PllavaConfig, processor: PllavaProcessor, model_dir: str) -> None:
    """The template takes the image token id from the tokenizer; the model scatters into config's id."""
    token_id = processor.image_token_id
    if token_id is None or token_id == processor.tokenizer.unk_token_id:
        raise ValueError(f'{model_dir}: the tokenizer has no {processor.image_token} token')
    if token_id == config.image_token_index:
        return
    if os.environ.get(IMAGE_TOKEN_ENV, '').lower() == 'tokenizer':
        logger.warning(f'{model_dir}: using the tokenizer\'s {processor.image_token} id {token_id} instead of '
                       f'config.json\'s image_token_index {config.image_token_index}')
        config.image_token_index = token_id
        return
    raise ValueError(f'{model_dir}: the tokenizer maps {processor.image_token} to id {token_id} but config.json has '
                     f'image_token_index={config.image_token_index} (a known PLLaVA-34B mismatch). Fix config.json, '
                     f'or set {IMAGE_TOKEN_ENV}=tokenizer to use the tokenizer\'s id.')


def register() -> None:
    for meta in template_metas():
        register_template(meta, exist_ok=True)
    register_model(ModelMeta(
        MODEL_TYPE,
        [
            ModelGroup([Model(hf_model_id='ermu2001/pllava-7b'), Model(hf_model_id='ermu2001/pllava-13b')],
                       template=TEMPLATE_VICUNA),
            ModelGroup([Model(hf_model_id='ermu2001/pllava-34b')], template=TEMPLATE_CHATML),
        ],
        PllavaLoader,
        template=TEMPLATE_VICUNA,
        model_arch=ModelArch.llava_hf,
        architectures=[SPEC.vllm.architecture],
        is_multimodal=True,
        tags=['vision', 'video'],
    ), exist_ok=True)
