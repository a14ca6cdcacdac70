"""MiniGPT4-Video with ``--padding_free`` / ``--packing``: ms-swift's collator packs our rows correctly, a packed
forward equals each sample's own forward (sdpa, eager, and a CPU emulation of flash attention's varlen split), and
real ``swift sft`` runs train with the padded batch's loss."""

import pytest

from tests.helpers import (
    assert_collated_like_rows,
    assert_flash_attention_accepted,
    assert_packed_forward_exact,
    assert_trains_with_padded_loss,
    encode_rows,
    load_for_packing,
    one_sequence_positions,
    packing_e2e,
    packing_rows,
    register_varlen_attention,
    set_text_attention,
    write_jsonl,
)


@pytest.fixture(scope='module')
def rows(tmp_path_factory):
    return packing_rows(tmp_path_factory.mktemp('packing_media'), 'minigpt4_video')


@pytest.fixture(scope='module')
def loaded(tiny_minigpt4):
    return load_for_packing(tiny_minigpt4, 'minigpt4_video')


@pytest.fixture(scope='module')
def encoded(loaded, rows):
    return encode_rows(loaded[1], rows)


def test_template_declares_padding_free_support(loaded):
    assert loaded[1].support_padding_free is True


def test_model_loads_with_flash_attention(tiny_minigpt4):
    from swift_video_ext.models.minigpt4_video.modeling_minigpt4_video import MiniGPT4VideoForConditionalGeneration

    assert_flash_attention_accepted(MiniGPT4VideoForConditionalGeneration, tiny_minigpt4)


def test_collator_packs_rows_end_to_end_with_their_own_frames(loaded, encoded):
    frames = [len(e['pixel_values']) if e.get('pixel_values') is not None else 0 for e in encoded]
    assert frames == [6, 1, 12, 0]  # videos padded to num_frames (training), an image is one frame
    assert_collated_like_rows(loaded[1], encoded, ('pixel_values',))


@pytest.mark.parametrize('attention', ['sdpa', 'eager', 'varlen'])
def test_packed_forward_equals_each_sample_alone(loaded, encoded, attention):
    model, template = loaded
    language_model = model.language_model
    set_text_attention(language_model, register_varlen_attention() if attention == 'varlen' else attention)
    try:
        packed = assert_collated_like_rows(template, encoded, ())
        assert_packed_forward_exact(model, template, encoded, packed, one_sequence_positions(packed))
    finally:
        set_text_attention(language_model, 'sdpa')


@pytest.mark.slow
def test_swift_sft_padding_free_and_packing_train_with_the_padded_loss(tiny_minigpt4, rows, tmp_path):
    records = packing_e2e(tiny_minigpt4, 'minigpt4_video', write_jsonl(tmp_path / 'train.jsonl', rows), tmp_path)
    assert_trains_with_padded_loss(records)
