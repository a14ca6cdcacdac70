"""transformers' common-test contracts on MiniGPT4-Video (tiny configs): a folder of another model_type is refused
before anything is built, ``_init_weights`` covers every weight, ``get_video_features`` fills every output field."""

import pytest
import torch
from transformers import LlamaConfig

from swift_video_ext.common.configuration import ForeignModelTypeError
from swift_video_ext.models.minigpt4_video import MiniGPT4VideoConfig, MiniGPT4VideoForConditionalGeneration
from tests.models import transformers_contracts as contracts
from tests.models.test_contracts import minigpt4_config, minigpt4_inputs

MODEL = MiniGPT4VideoForConditionalGeneration
VISION_LAYERS, VISION_WIDTH = 2, 32


def video_inputs() -> dict:
    return {'pixel_values_videos': minigpt4_inputs()['pixel_values']}  # 3 flat frames


def test_base_model_folder_is_refused_before_anything_is_built(tmp_path):
    """``test_correct_missing_keys`` saves ``model.base_model`` (the LLM alone, model_type llama) and loads it as
    MiniGPT4-Video: a clear error, not a 7B model from the default sub-configs (it once took 21 GB)."""
    with contracts.refuse_large_models(MODEL):
        error = contracts.correct_missing_keys(MODEL, minigpt4_config(), tmp_path)
    assert isinstance(error, ForeignModelTypeError)
    assert "model_type 'llama'" in str(error) and "'minigpt4_video'" in str(error) and str(tmp_path) in str(error)


def test_foreign_folder_config_is_refused(tmp_path):
    LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                num_attention_heads=2).save_pretrained(tmp_path)
    with pytest.raises(ForeignModelTypeError, match='swift-video convert minigpt4-video'):
        MiniGPT4VideoConfig.from_pretrained(tmp_path)


def test_own_folder_still_loads(tmp_path):
    minigpt4_config().save_pretrained(tmp_path)
    assert MiniGPT4VideoConfig.from_pretrained(tmp_path).tokens_per_frame == 4


def test_can_init_all_missing_weights():
    contracts.can_init_all_missing_weights(MODEL, minigpt4_config())


@pytest.mark.parametrize('return_dict', [True, False, None])
def test_get_video_features_output(return_dict):
    contracts.features_output(MODEL, minigpt4_config(), 'get_video_features', video_inputs(), return_dict,
                              batch=3, hidden_size=VISION_WIDTH)


def test_get_video_features_hidden_states():
    contracts.features_hidden_states(MODEL, minigpt4_config(), 'get_video_features', video_inputs(), VISION_LAYERS)


def test_get_video_features_attentions():
    contracts.features_attentions(MODEL, minigpt4_config(), 'get_video_features', video_inputs(), VISION_LAYERS)


def test_video_feature_fields_are_the_pipeline_stages():
    """``last_hidden_state`` = ``ln_vision`` of EVA's last block (``hidden_states[-1]``), ``pooler_output`` = the
    projected token groups that fill the image slots (what the forward uses), ``attentions`` rows sum to one."""
    torch.manual_seed(0)
    config = minigpt4_config()
    config._attn_implementation = 'eager'
    model = MODEL(config).eval()
    frames = video_inputs()['pixel_values_videos']
    with torch.no_grad():
        out = model.get_video_features(pixel_values_videos=frames, output_hidden_states=True,
                                       output_attentions=True)
        plain = model.get_video_features(pixel_values_videos=frames.unsqueeze(0))
        torch.testing.assert_close(model.ln_vision(out.hidden_states[-1]), out.last_hidden_state, atol=0, rtol=0)
        torch.testing.assert_close(out.hidden_states[0], model.vision_model.embeddings(frames), atol=0, rtol=0)
        torch.testing.assert_close(out.pooler_output, model.frame_features(frames), atol=0, rtol=0)
    assert out.last_hidden_state.shape == (3, 17, VISION_WIDTH)
    assert out.pooler_output.shape == (3, config.tokens_per_frame, 64)
    assert plain.hidden_states is None and plain.attentions is None
    torch.testing.assert_close(plain.pooler_output, out.pooler_output, atol=0, rtol=0)
    for attention in out.attentions:
        assert attention.shape == (3, 4, 17, 17)
        torch.testing.assert_close(attention.sum(-1), torch.ones(3, 4, 17))
