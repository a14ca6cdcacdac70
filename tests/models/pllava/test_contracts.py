"""transformers' common-test contracts on PLLaVA (tiny configs): ``_init_weights`` covers every weight (CLIP's
attention and MLP included), a base-model-only folder loads with the head missing, a folder of another model_type
is refused, and LLaVA's ``get_image_features`` contract holds."""

import json

import pytest

from swift_video_ext.common.configuration import ForeignModelTypeError
from swift_video_ext.models.pllava import PllavaConfig, PllavaForConditionalGeneration
from swift_video_ext.models.pllava.modeling_pllava import PllavaModel
from tests.models import transformers_contracts as contracts
from tests.models.test_contracts import pllava_config, pllava_inputs

VISION_LAYERS, VISION_WIDTH = 2, 32


@pytest.mark.parametrize('model_class', [PllavaForConditionalGeneration, PllavaModel])
def test_can_init_all_missing_weights(model_class):
    contracts.can_init_all_missing_weights(model_class, pllava_config())


def test_base_model_folder_loads_with_the_head_missing(tmp_path):
    with contracts.refuse_large_models(PllavaForConditionalGeneration):
        missing = contracts.correct_missing_keys(PllavaForConditionalGeneration, pllava_config(), tmp_path)
    assert missing == ['lm_head.weight']


def test_foreign_folder_is_refused(tmp_path):
    contracts.save_tiny_llama(tmp_path)
    with contracts.refuse_large_models(PllavaForConditionalGeneration), pytest.raises(ForeignModelTypeError,
                                                               match="model_type 'llama'.*'pllava'"):
        PllavaForConditionalGeneration.from_pretrained(tmp_path)


def test_official_llava_folder_points_at_ms_swift(tmp_path):
    """Official PLLaVA folders say model_type llava; ms-swift's loader converts them, from_pretrained cannot."""
    config = pllava_config().to_dict()
    config['model_type'] = 'llava'
    (tmp_path / 'config.json').write_text(json.dumps(config))
    with pytest.raises(ForeignModelTypeError, match='--model_type pllava'):
        PllavaConfig.from_pretrained(tmp_path)


@pytest.mark.parametrize('return_dict', [True, False, None])
def test_get_image_features_output(return_dict):
    contracts.features_output(PllavaForConditionalGeneration, pllava_config(), 'get_image_features',
                              {'pixel_values': pllava_inputs()['pixel_values']}, return_dict, batch=3,
                              hidden_size=VISION_WIDTH)


def test_get_image_features_hidden_states():
    contracts.features_hidden_states(PllavaForConditionalGeneration, pllava_config(), 'get_image_features',
                                     {'pixel_values': pllava_inputs()['pixel_values']}, VISION_LAYERS)


def test_get_image_features_attentions():
    contracts.features_attentions(PllavaForConditionalGeneration, pllava_config(), 'get_image_features',
                                  {'pixel_values': pllava_inputs()['pixel_values']}, VISION_LAYERS)
