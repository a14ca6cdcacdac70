"""CogVLM2-Video through ms-swift: the official directory loads unchanged (no remote code), templates, sampling."""

import json
import shutil

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from swift_video_ext.video import sample_video
from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import make_template

MARKER = 'REMOTE_CODE_WAS_EXECUTED'


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    return write_counter_clip(tmp_path_factory.mktemp('cogclip') / 'clip.mp4', num_frames=130, fps=25)  # 5.2 s


def official_directory(tiny_dir, out_dir):
    """The tiny checkpoint in the official repo's shape: config.json without model_type, auto_map, remote .py
    files (which would leave a marker file if ever imported), per-layer rotary inv_freq tensors stored in bf16 as
    the released checkpoints have them."""
    shutil.copytree(tiny_dir, out_dir)
    config = json.loads((out_dir / 'config.json').read_text())
    for key in ('model_type', 'transformers_version', 'dtype'):
        config.pop(key, None)
    config.update(architectures=['CogVLMVideoForCausalLM'], template_version='base', torch_dtype='float32',
                  auto_map={'AutoConfig': 'configuration_cogvlm.CogVLMConfig',
                            'AutoModelForCausalLM': 'modeling_cogvlm.CogVLMVideoForCausalLM'})
    config['vision_config'].pop('model_type', None)
    (out_dir / 'config.json').write_text(json.dumps(config))
    bomb = f"open({str(out_dir / MARKER)!r}, 'w').write('executed')\nraise RuntimeError('remote code ran')\n"
    (out_dir / 'configuration_cogvlm.py').write_text(bomb)
    (out_dir / 'modeling_cogvlm.py').write_text(bomb)
    state = load_file(str(out_dir / 'model.safetensors'))
    for i in range(config['num_hidden_layers']):
        key = f'model.layers.{i}.self_attn.rotary_emb.inv_freq'
        state[key] = state[key].to(torch.bfloat16)
    save_file(state, str(out_dir / 'model.safetensors'))
    return out_dir


def test_official_directory_loads_unchanged_without_remote_code(tiny_cogvlm, tmp_path):
    from swift.model import get_model_processor

    import swift_video_ext.plugin  # noqa: F401

    model_dir = official_directory(tiny_cogvlm, tmp_path / 'cogvlm2-video-llama3-chat')
    model, processor = get_model_processor(str(model_dir), model_type='cogvlm2_video_ts',
                                           torch_dtype=torch.float32)
    assert not (model_dir / MARKER).exists()
    reference = load_file(str(tiny_cogvlm / 'model.safetensors'))
    stored = load_file(str(model_dir / 'model.safetensors'))
    loaded = model.state_dict()
    assert set(loaded) == set(reference) == set(stored)
    for key, value in stored.items():  # as stored, the bf16-rounded rotary frequencies included (the official's)
        assert torch.equal(loaded[key], value.to(loaded[key].dtype)), key
    inv_freq = loaded['model.layers.0.self_attn.rotary_emb.inv_freq']
    assert not torch.equal(inv_freq, reference['model.layers.0.self_attn.rotary_emb.inv_freq'])
    assert processor.tokens_per_frame == 6 and processor.tokenizer.pad_token_id == model.config.pad_token_id


def test_save_load_round_trip_keeps_keys(tiny_cogvlm, tmp_path):
    from swift_video_ext.models.cogvlm2_video import CogVLM2VideoForCausalLM

    model = CogVLM2VideoForCausalLM.from_pretrained(tiny_cogvlm)
    model.save_pretrained(tmp_path / 'again')
    assert set(load_file(str(tmp_path / 'again' / 'model.safetensors'))) == \
        set(load_file(str(tiny_cogvlm / 'model.safetensors')))


def test_chat_template_samples_per_second_with_ordinals(tiny_cogvlm, clip):
    template = make_template(tiny_cogvlm, 'cogvlm2_video_ts')
    enc = template.encode({'messages': [{'role': 'user', 'content': 'What happens? <video>'},
                                        {'role': 'assistant', 'content': 'Colours.'}], 'videos': [str(clip)]})
    expected_frames = sample_video(clip, 'per_second').indices  # 5.2 s -> seconds 0..5
    assert len(expected_frames) == 6 and enc['pixel_values'].shape == (6, 3, 56, 56)
    built = template.processor.build('What happens?', answer='Colours.',
                                     timestamp_texts=[str(i) for i in range(6)])
    assert enc['input_ids'] == built['input_ids'] and enc['labels'] == built['labels']
    assert enc['token_type_ids'] == built['token_type_ids']


def test_inference_mode_has_no_answer(tiny_cogvlm, clip):
    template = make_template(tiny_cogvlm, 'cogvlm2_video_ts', mode='transformers')
    enc = template.encode({'messages': [{'role': 'user', 'content': '<video>What happens?'}], 'videos': [str(clip)]})
    assert enc.get('labels') is None
    text = template.processor.tokenizer.decode(enc['input_ids'][-30:])
    assert text.endswith('Question: What happens? Answer:')


def test_base_template_uses_window_uniform_and_no_timestamps(tiny_cogvlm, tmp_path):
    long_clip = write_counter_clip(tmp_path / 'long.mp4', num_frames=700, fps=10, bframes=0, gop=50)  # 70 s
    template = make_template(tiny_cogvlm, 'cogvlm2_video_ts', template_type='cogvlm2_video_base')
    enc = template.encode({'messages': [{'role': 'user', 'content': '<video>Describe.'},
                                        {'role': 'assistant', 'content': 'Colours.'}], 'videos': [str(long_clip)]})
    assert enc['pixel_values'].shape[0] == 24 and sum(enc['token_type_ids']) == 24 * 6
    video = template.sample_video(str(long_clip))
    assert video.indices.tolist() == np.linspace(0, 599, 24).astype(int).tolist()  # frames of the first 60 s


def test_seconds_timestamps_extension(tiny_cogvlm, tmp_path, monkeypatch):
    long_clip = write_counter_clip(tmp_path / 'long.mp4', num_frames=480, fps=10, bframes=0, gop=50)  # 48 s
    monkeypatch.setenv('VIDEO_STRATEGY', 'fps')
    monkeypatch.setenv('FPS', '0.25')
    monkeypatch.setenv('COGVLM2_TIMESTAMPS', 'seconds')
    template = make_template(tiny_cogvlm, 'cogvlm2_video_ts', mode='transformers')
    enc = template.encode({'messages': [{'role': 'user', 'content': '<video>When?'}], 'videos': [str(long_clip)]})
    video = template.sample_video(str(long_clip))
    assert len(video) == 12 and video.timestamps[-1] > 40  # beyond the official 24 s
    tok = template.processor.tokenizer
    stamps = [tok.decode([t]) for t, kind, prev in zip(enc['input_ids'], enc['token_type_ids'],
                                                        [0] + enc['token_type_ids'][:-1], strict=True)
              if kind == 0 and prev == 1]
    assert stamps == [str(int(round(t))) for t in video.timestamps]


def test_two_videos_is_a_clear_error(tiny_cogvlm, clip):
    template = make_template(tiny_cogvlm, 'cogvlm2_video_ts')
    with pytest.raises(ValueError, match='one video per sample'):
        template.encode({'messages': [{'role': 'user', 'content': '<video><video>Q'},
                                      {'role': 'assistant', 'content': 'A'}], 'videos': [str(clip), str(clip)]})


@pytest.mark.parametrize('strategy', ['left', 'right'])
@pytest.mark.parametrize('mode', ['train', 'transformers'])
def test_over_long_row_is_refused_under_left_and_right_truncation(tiny_cogvlm, clip, strategy, mode):
    """ms-swift's left/right truncation would cut input_ids and labels but not the token types and positions built
    here, which still hold every frame's vision slots (a corrupt row). The row is refused with a MaxLengthError that
    names its length, frames and max_length; in training it is counted as skipped, by its video."""
    from swift.template import MaxLengthError

    from swift_video_ext.common import bad_samples

    template = make_template(tiny_cogvlm, 'cogvlm2_video_ts', mode=mode)
    row = {'messages': [{'role': 'user', 'content': '<video>What happens in this clip, from start to end?'},
                        {'role': 'assistant', 'content': 'Colours change.'}], 'videos': [str(clip)]}
    full = template.encode(row)
    length = len(full['input_ids'])
    assert len(full['token_type_ids']) == len(full['position_ids']) == length and sum(full['token_type_ids']) == 36
    template.max_length, template.truncation_strategy = length - 4, strategy
    bad_samples.reset()
    try:
        with pytest.raises(MaxLengthError, match=rf'{length} tokens \(6 frames\) exceed max_length {length - 4}'):
            template.encode(row)
        assert bad_samples.over_length_rows() == ({str(clip): 1} if mode == 'train' else {})
    finally:
        bad_samples.reset()


def cogvlm_positions_of(token_types: list[int]) -> list[int]:
    from swift_video_ext.models.cogvlm2_video import build_position_ids

    return build_position_ids(torch.tensor([token_types]))[0].tolist()


@pytest.mark.parametrize('mode,padding_side', [('train', 'right'), ('train', 'left'), ('transformers', 'left')])
def test_batches_carry_cogvlm_positions_in_every_padding(tiny_cogvlm, clip, tmp_path, mode, padding_side):
    """ms-swift's collator writes ``arange`` positions into left-padded training batches; ours keeps CogVLM's."""
    short = write_counter_clip(tmp_path / 'short.mp4', num_frames=30, fps=10)  # 3 s: 4 frames, not 6
    template = make_template(tiny_cogvlm, 'cogvlm2_video_ts', mode=mode)
    template.padding_side = padding_side
    rows = [{'messages': [{'role': 'user', 'content': '<video>What happens?'},
                          {'role': 'assistant', 'content': 'Colours.'}], 'videos': [str(video)]}
            for video in (clip, short)]
    encoded = [template.encode(row) for row in rows]
    batch = template.data_collator(encoded)
    length = batch['input_ids'].shape[1]
    for row, enc in enumerate(encoded):
        real = len(enc['input_ids'])
        span = slice(length - real, length) if padding_side == 'left' else slice(0, real)
        assert batch['position_ids'][row, span].tolist() == cogvlm_positions_of(enc['token_type_ids'])
        assert batch['attention_mask'][row, span].all() and int(batch['attention_mask'][row].sum()) == real
    assert batch['position_ids'][0].tolist() != list(range(length))
