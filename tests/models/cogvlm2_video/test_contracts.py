"""transformers' common-test contracts on CogVLM2-Video (tiny configs): ``_init_weights`` covers every weight, a
base-model-only folder loads with the head missing, a folder of another model_type is refused while the official
layout (no model_type) still loads."""

import json

import pytest

from swift_video_ext.common.configuration import ForeignModelTypeError
from swift_video_ext.models.cogvlm2_video import CogVLM2VideoConfig, CogVLM2VideoForCausalLM, CogVLM2VideoModel
from tests.models import transformers_contracts as contracts
from tests.models.test_contracts import cogvlm_config


@pytest.mark.parametrize('model_class', [CogVLM2VideoForCausalLM, CogVLM2VideoModel])
def test_can_init_all_missing_weights(model_class):
    contracts.can_init_all_missing_weights(model_class, cogvlm_config())


def test_base_model_folder_loads_with_the_head_missing(tmp_path):
    with contracts.refuse_large_models(CogVLM2VideoForCausalLM):
        missing = contracts.correct_missing_keys(CogVLM2VideoForCausalLM, cogvlm_config(), tmp_path)
    assert missing == ['lm_head.weight']


def test_foreign_folder_is_refused(tmp_path):
    contracts.save_tiny_llama(tmp_path)
    with contracts.refuse_large_models(CogVLM2VideoForCausalLM), pytest.raises(ForeignModelTypeError,
                                                               match="model_type 'llama'.*'cogvlm2_video'"):
        CogVLM2VideoForCausalLM.from_pretrained(tmp_path)


def test_official_layout_without_model_type_still_loads(tmp_path):
    config = cogvlm_config().to_dict()
    del config['model_type']
    (tmp_path / 'config.json').write_text(json.dumps(config))
    assert CogVLM2VideoConfig.from_pretrained(tmp_path).vision_config.hidden_size == 32
