"""Golden layouts of the chat/base prompts and the reference pixel pipeline."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from swift_video_ext.models.cogvlm2_video import CogVLM2VideoProcessor, build_position_ids


@pytest.fixture(scope='module')
def processor(tiny_cogvlm):
    loaded = CogVLM2VideoProcessor.from_pretrained(tiny_cogvlm)
    loaded.tokens_per_frame = 66  # the real model's count; the layout does not depend on the vision tower
    return loaded


def enc(processor, text):
    return processor.tokenizer.encode(text, add_special_tokens=False)


@pytest.mark.parametrize('frames', [1, 3, 24])
def test_chat_layout_tokens_types_labels_positions(processor, frames):
    tok = processor.tokenizer
    built = processor.build('What happens?', answer='A dog runs.', timestamp_texts=[str(i) for i in range(frames)])
    expected, types = [tok.bos_token_id], [0]
    for i in range(frames):
        expected += [tok.pad_token_id] * 66 + enc(processor, str(i))
        types += [1] * 66 + [0] * len(enc(processor, str(i)))
    prompt = expected + enc(processor, 'Question: What happens? Answer:')
    answer = enc(processor, 'A dog runs.') + [tok.eos_token_id]
    assert built['input_ids'] == prompt + answer
    assert built['token_type_ids'] == types + [0] * (len(prompt) - len(types) + len(answer))
    assert built['labels'] == [-100] * len(prompt) + answer
    positions = build_position_ids(torch.tensor([built['token_type_ids']]))[0].tolist()
    assert all(len(enc(processor, str(i))) == 1 for i in range(frames))  # like Llama-3: one token per ordinal
    timestamp_positions = [positions[1 + i * 67 + 66] for i in range(frames)]
    assert timestamp_positions == [4 * (i + 1) for i in range(frames)]
    assert positions[len(types)] == 4 * frames + 1  # text continues after the last timestamp


def test_chat_history_layout(processor):
    built = processor.build('Q3', history=[('Q1', 'A1'), ('Q2', 'A2')], answer='A3', timestamp_texts=['0'])
    text = 'Question: Q1 Answer: A1\nQuestion: Q2 Answer: A2\nQuestion: Q3 Answer:'
    tok = processor.tokenizer
    prefix = [tok.bos_token_id] + [tok.pad_token_id] * 66 + enc(processor, '0') + enc(processor, text)
    assert built['input_ids'] == prefix + enc(processor, 'A3') + [tok.eos_token_id]
    assert [t for t, label in zip(built['input_ids'], built['labels'], strict=True) if label != -100] == \
        enc(processor, 'A3') + [tok.eos_token_id]  # history answers are not trained


def test_token_id_answers_as_grpo_passes_them(processor):
    """ms-swift's GRPO encodes a sampled completion as token ids (a list, or a dict with a loss mask): the ids are kept
    as sampled, EOS added only when the completion did not end with it, the mask applied to the labels."""
    tok = processor.tokenizer
    text = processor.build('Q', answer='A dog runs.', timestamp_texts=['0'])
    ids = enc(processor, 'A dog runs.')
    for answer in (ids, ids + [tok.eos_token_id], {'input_ids': ids, 'loss_scale': [1] * len(ids)}):
        assert processor.build('Q', answer=answer, timestamp_texts=['0']) == text, answer
    masked = processor.build('Q', answer={'input_ids': ids, 'loss_scale': [0] + [1] * (len(ids) - 1)},
                             timestamp_texts=['0'])
    assert masked['input_ids'] == text['input_ids']
    assert masked['labels'] == text['labels'][:-len(ids) - 1] + [-100] + ids[1:] + [tok.eos_token_id]


def test_base_layout_has_no_timestamps_and_no_history(processor):
    tok = processor.tokenizer
    built = processor.build('Describe.', history=[('Q1', 'A1')], num_frames=24, template_version='base')
    assert built['input_ids'] == [tok.bos_token_id] + [tok.pad_token_id] * (66 * 24) + enc(processor, 'Describe.')
    assert built['labels'] is None and sum(built['token_type_ids']) == 66 * 24


def test_timestamp_modes(processor):
    assert processor.timestamp_texts([0.0, 1.04, 2.0]) == ['0', '1', '2']
    assert processor.timestamp_texts([0.0, 30.4, 61.6], mode='seconds') == ['0', '30', '62']


def test_pixel_pipeline_matches_reference_order(processor):
    processor.image_size = 56
    frames = np.random.default_rng(0).integers(0, 256, (2, 90, 120, 3), dtype=np.uint8)
    got = processor.preprocess_frames(frames)
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255.0
    mean = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
    std = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)
    x = F.interpolate((x - mean) / std, size=(56, 74), mode='bilinear', align_corners=False)  # floor(120/90*56)=74
    want = x[:, :, :, 9:65]  # round((74 - 56) / 2) = 9
    assert got.shape == (2, 3, 56, 56)
    torch.testing.assert_close(got, want)
