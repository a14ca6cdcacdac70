"""CogVLM2-Video with ``--padding_free`` / ``--packing``: each packed sample keeps its own CogVLM positions (restarting
at 0), the model keeps packed samples apart (sdpa, eager, and a CPU emulation of flash attention's varlen split),
so a packed forward equals each sample's own forward, and real ``swift sft`` runs train with the padded batch's
loss."""

import pytest
import torch

from swift_video_ext.models.cogvlm2_video.modeling_cogvlm2_video import build_position_ids, packed_sample_positions
from tests.helpers import (
    assert_collated_like_rows,
    assert_flash_attention_accepted,
    assert_packed_forward_exact,
    assert_trains_with_padded_loss,
    encode_rows,
    load_for_packing,
    packing_e2e,
    packing_rows,
    register_varlen_attention,
    set_text_attention,
    write_jsonl,
)


@pytest.fixture(scope='module')
def rows(tmp_path_factory):
    return packing_rows(tmp_path_factory.mktemp('packing_media'), 'cogvlm2_video_ts')


@pytest.fixture(scope='module')
def loaded(tiny_cogvlm):
    return load_for_packing(tiny_cogvlm, 'cogvlm2_video_ts')


@pytest.fixture(scope='module')
def encoded(loaded, rows):
    return encode_rows(loaded[1], rows)


def test_template_declares_padding_free_support(loaded):
    assert loaded[1].support_padding_free is True


def test_model_loads_with_flash_attention(tiny_cogvlm):
    from swift_video_ext.models.cogvlm2_video import CogVLM2VideoForCausalLM

    assert_flash_attention_accepted(CogVLM2VideoForCausalLM, tiny_cogvlm)


def test_collator_keeps_each_samples_cogvlm_positions_and_frames(loaded, encoded):
    frames = [len(e['pixel_values']) if e.get('pixel_values') is not None else 0 for e in encoded]
    assert frames[0] < frames[2] and frames[1] == 1 and frames[3] == 0  # samples of different frame counts
    assert_collated_like_rows(loaded[1], encoded, ('pixel_values',))
    for e in encoded:  # each row's positions are CogVLM's for that row alone (a frame's patches share one)
        assert e['position_ids'] == build_position_ids(torch.tensor([e['token_type_ids']]))[0].tolist()
    assert encoded[0]['position_ids'] != list(range(len(encoded[0]['input_ids'])))


def test_packed_sample_positions_restart_at_each_sample():
    positions = torch.tensor([[0, 1, 2, 2, 2, 3, 0, 1, 1, 2, 0], [0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9]])
    assert packed_sample_positions(positions).tolist() == [[0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 0], list(range(11))]
    assert packed_sample_positions(positions[1:]) is None  # one sample per row: nothing to split


@pytest.mark.parametrize('attention', ['sdpa', 'eager', 'varlen'])
def test_packed_forward_equals_each_sample_alone(loaded, encoded, attention):
    model, template = loaded
    set_text_attention(model.model, register_varlen_attention() if attention == 'varlen' else attention)
    try:
        packed = assert_collated_like_rows(template, encoded, ())
        one_sequence = build_position_ids(packed['token_type_ids'])  # CogVLM positions of one long sequence
        assert_packed_forward_exact(model, template, encoded, packed, one_sequence)
    finally:
        set_text_attention(model.model, 'sdpa')


@pytest.mark.slow
def test_swift_sft_padding_free_and_packing_train_with_the_padded_loss(tiny_cogvlm, rows, tmp_path):
    records = packing_e2e(tiny_cogvlm, 'cogvlm2_video_ts', write_jsonl(tmp_path / 'train.jsonl', rows), tmp_path)
    assert_trains_with_padded_loss(records)
