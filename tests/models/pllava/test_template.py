"""PLLaVA templates: exact token layout, labels, media order, sampling per mode, env knobs, bad videos."""

import json
import shutil

import numpy as np
import pytest
import torch

from swift_video_ext.common.bad_samples import skipped_samples
from swift_video_ext.video import VideoDecodeError, sample_video
from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import make_template


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    return write_counter_clip(tmp_path_factory.mktemp('tpl') / 'clip.mp4', num_frames=40, fps=10)


def encode_pieces(tokenizer, *pieces):
    ids = []
    for piece in pieces:
        ids += piece if isinstance(piece, list) else tokenizer.encode(piece, add_special_tokens=False)
    return ids


def test_vicuna_layout_labels_and_expansion(tiny_pllava, clip):
    template = make_template(tiny_pllava, 'pllava')
    tok = template.tokenizer
    enc = template.encode({'messages': [{'role': 'user', 'content': '<video>What happens?'},
                                        {'role': 'assistant', 'content': 'a red square'}], 'videos': [str(clip)]})
    image, eos = template.processor.image_token_id, tok.eos_token_id
    prompt = encode_pieces(tok, [tok.bos_token_id], 'USER:', [image] * 16, '\nWhat happens?', [eos], 'ASSISTANT:')
    answer = encode_pieces(tok, 'a red square', [eos])
    assert enc['input_ids'] == prompt + answer
    assert enc['labels'] == [-100] * len(prompt) + answer
    assert enc['pixel_values'].shape == (4, 3, 56, 56) and enc['frames_per_media'].tolist() == [4]


def test_history_and_system(tiny_pllava, clip):
    template = make_template(tiny_pllava, 'pllava')
    tok = template.tokenizer
    enc = template.encode({'messages': [
        {'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': '<video>Q1'},
        {'role': 'assistant', 'content': 'A1'},
        {'role': 'user', 'content': 'Q2'}, {'role': 'assistant', 'content': 'A2'}], 'videos': [str(clip)]})
    image, eos = template.processor.image_token_id, tok.eos_token_id
    expected = encode_pieces(tok, [tok.bos_token_id], 'Be brief. USER:', [image] * 16, '\nQ1', [eos], 'ASSISTANT:',
                             'A1', [eos], 'USER:Q2', [eos], 'ASSISTANT:', 'A2', [eos])
    assert enc['input_ids'] == expected
    trained = [t for t, label in zip(enc['input_ids'], enc['labels'], strict=True) if label != -100]
    assert trained == encode_pieces(tok, 'A1', [eos], 'A2', [eos])


def test_image_and_video_keep_prompt_order(tiny_pllava, clip, tmp_path):
    from PIL import Image

    image_path = tmp_path / 'still.png'
    Image.fromarray(np.full((30, 40, 3), 200, dtype=np.uint8)).save(image_path)
    template = make_template(tiny_pllava, 'pllava', mode='transformers')
    enc = template.encode({'messages': [{'role': 'user', 'content': '<video>then <image> compare'}],
                           'videos': [str(clip)], 'images': [str(image_path)]})
    assert enc['frames_per_media'].tolist() == [4, 1]
    assert enc['input_ids'].count(template.processor.image_token_id) == 32
    still = template.processor.preprocess_frames(np.asarray(Image.open(image_path).convert('RGB'))[None])
    torch.testing.assert_close(enc['pixel_values'][4:], still)


def test_sampling_strategy_follows_mode(tiny_pllava, clip):
    infer = make_template(tiny_pllava, 'pllava', mode='transformers')
    expected = sample_video(clip, 'segment_middle_fixed', num_frames=4).indices.tolist()
    assert infer.sample_video(str(clip)).indices.tolist() == expected == [4, 14, 24, 33]  # seg = 39 / 4
    train = make_template(tiny_pllava, 'pllava', mode='train')
    draws = {tuple(train.sample_video(str(clip)).indices.tolist()) for _ in range(8)}
    assert len(draws) > 1  # random augmentation
    for draw in draws:
        assert [i // 10 for i in draw] == [0, 1, 2, 3] and all(i % 10 != 9 for i in draw)  # official "rand"


def test_short_clip_gives_num_frames_with_repeats(tiny_pllava, tmp_path):
    short = write_counter_clip(tmp_path / 'short.mp4', num_frames=2, fps=10)
    for mode, expected in [('transformers', [0, 0, 0, 1]), ('train', [0, 1, 1, 1])]:  # official eval / rand
        template = make_template(tiny_pllava, 'pllava', mode=mode)
        video = template.sample_video(str(short))
        assert video.indices.tolist() == expected and len(video.frames) == 4
        assert video.timestamps.tolist() == [i / 10 for i in expected]
        for a, b in [(0, 1), (2, 3)]:  # same index, same decoded frame; different index, different frame
            assert np.array_equal(video.frames[a], video.frames[b]) == (expected[a] == expected[b])


def test_num_frames_env_knob(tiny_pllava, clip, monkeypatch):
    monkeypatch.setenv('NUM_FRAMES', '6')
    template = make_template(tiny_pllava, 'pllava', mode='transformers')
    enc = template.encode({'messages': [{'role': 'user', 'content': '<video>Q'}], 'videos': [str(clip)]})
    assert enc['frames_per_media'].tolist() == [6] and enc['pixel_values'].shape[0] == 6
    assert enc['input_ids'].count(template.processor.image_token_id) == 16  # pooled: count does not change


def test_bad_video_is_counted_and_raised(tiny_pllava, tmp_path):
    template = make_template(tiny_pllava, 'pllava')
    bad = tmp_path / 'broken.mp4'
    bad.write_text('not a video')
    with pytest.raises(VideoDecodeError, match='broken.mp4'):
        template.encode({'messages': [{'role': 'user', 'content': '<video>Q'}, {'role': 'assistant', 'content': 'A'}],
                         'videos': [str(bad)]})
    assert skipped_samples()[str(bad)] >= 1


def test_collator_concatenates_frames_per_media(tiny_pllava, clip):
    template = make_template(tiny_pllava, 'pllava')
    rows = [{'messages': [{'role': 'user', 'content': '<video>Q'}, {'role': 'assistant', 'content': 'A'}],
             'videos': [str(clip)]}] * 2
    batch = template.data_collator([template.encode(r) for r in rows])
    assert batch['frames_per_media'].tolist() == [4, 4] and batch['pixel_values'].shape[0] == 8


def test_chatml_layout(tiny_checkpoint, clip):
    model_dir = tiny_checkpoint('pllava', chatml=True)
    template = make_template(model_dir, 'pllava', template_type='pllava_chatml')
    tok = template.tokenizer
    enc = template.encode({'messages': [{'role': 'user', 'content': '<video>Q'}, {'role': 'assistant', 'content': 'A'}],
                           'videos': [str(clip)]})
    image = template.processor.image_token_id
    prompt = encode_pieces(tok, [tok.bos_token_id], '<|im_start|>user\n', [image] * 16,
                           '\nQ<|im_end|>\n<|im_start|>assistant\n')
    assert enc['input_ids'] == prompt + encode_pieces(tok, 'A<|im_end|>\n')
    assert enc['labels'][:len(prompt)] == [-100] * len(prompt)


def test_image_token_mismatch_is_clear(tiny_pllava, tmp_path, monkeypatch):
    from swift.model import get_processor

    import swift_video_ext.plugin  # noqa: F401

    model_dir = shutil.copytree(tiny_pllava, tmp_path / 'mismatch')
    config = json.loads((model_dir / 'config.json').read_text())
    config['image_token_index'] = 7
    (model_dir / 'config.json').write_text(json.dumps(config))
    with pytest.raises(ValueError, match='image_token_index=7'):
        get_processor(str(model_dir), model_type='pllava')
    monkeypatch.setenv('PLLAVA_IMAGE_TOKEN_ID', 'tokenizer')
    processor = get_processor(str(model_dir), model_type='pllava')
    assert processor.model_info.config.image_token_index == processor.image_token_id
