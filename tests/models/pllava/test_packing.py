"""PLLaVA with ``--padding_free`` / ``--packing``: ms-swift's collator packs our rows correctly, a packed forward
equals each sample's own forward (sdpa, eager, and a CPU emulation of flash attention's varlen split), and real
``swift sft`` runs train with the padded batch's loss."""

import math

import pytest

from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import (
    assert_collated_like_rows,
    assert_packed_forward_exact,
    encode_rows,
    load_for_packing,
    one_sequence_positions,
    packing_e2e,
    register_varlen_attention,
    set_text_attention,
    write_jsonl,
    write_png,
    write_solid_clip,
)


@pytest.fixture(scope='module')
def rows(tmp_path_factory):
    """Four rows of different lengths and media: a video, a still image, two videos, text only."""
    root = tmp_path_factory.mktemp('pllava_packing')
    counter = str(write_counter_clip(root / 'counter.mp4', num_frames=30, fps=10))
    red = str(write_solid_clip(root / 'red.mp4', (255, 0, 0), num_frames=12, fps=4))
    green = str(write_png(root / 'green.png', (0, 255, 0)))

    def row(query, answer, **media):
        return {'messages': [{'role': 'user', 'content': query}, {'role': 'assistant', 'content': answer}], **media}

    return [row('<video>What is in the video?', 'a counter', videos=[counter]),
            row('<image>And this picture, what colour is it please?', 'green', images=[green]),
            row('<video><video>Compare them.', 'the first one is red, the second counts', videos=[red, counter]),
            row('hello there', 'hi')]


@pytest.fixture(scope='module')
def loaded(tiny_pllava):
    return load_for_packing(tiny_pllava, 'pllava')


@pytest.fixture(scope='module')
def encoded(loaded, rows):
    return encode_rows(loaded[1], rows)


def test_template_declares_padding_free_support(loaded):
    assert loaded[1].support_padding_free is True


def test_collator_packs_rows_end_to_end_with_their_own_frames(loaded, encoded):
    packed = assert_collated_like_rows(loaded[1], encoded, ('pixel_values', 'frames_per_media'))
    assert packed['frames_per_media'].tolist() == [4, 1, 4, 4]  # each medium's frames, in row order


@pytest.mark.parametrize('attention', ['sdpa', 'eager', 'varlen'])
def test_packed_forward_equals_each_sample_alone(loaded, encoded, attention):
    model, template = loaded
    language_model = model.model.language_model
    set_text_attention(language_model, register_varlen_attention() if attention == 'varlen' else attention)
    try:
        packed = assert_collated_like_rows(template, encoded, ())
        assert_packed_forward_exact(model, template, encoded, packed, one_sequence_positions(packed))
    finally:
        set_text_attention(language_model, 'sdpa')


@pytest.mark.slow
def test_swift_sft_padding_free_and_packing_train_with_the_padded_loss(tiny_pllava, rows, tmp_path):
    records = packing_e2e(tiny_pllava, 'pllava', write_jsonl(tmp_path / 'train.jsonl', rows), tmp_path)
    assert all(math.isfinite(r['loss']) for run in records.values() for r in run), records
    assert [len(run) for run in records.values()] == [1, 2, 2]
    for name in ('padding_free', 'packing'):
        for key in ('loss', 'grad_norm'):
            assert records[name][0][key] == pytest.approx(records['padded'][0][key], rel=1e-4), (name, key, records)
