"""VllmTemplateMixin in ms-swift's vllm mode (no vLLM needed): real placeholder ids and the pt backend's frames."""

import numpy as np
import pytest
import torch

from swift_video_ext.common.vllm_template import VllmTemplateMixin
from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import make_template


@pytest.fixture(scope='module')
def media(tmp_path_factory):
    from PIL import Image

    root = tmp_path_factory.mktemp('vllm_tpl')
    image = root / 'img.png'
    Image.fromarray((np.random.RandomState(0).rand(40, 60, 3) * 255).astype('uint8')).save(image)
    return {'clip': str(write_counter_clip(root / 'clip.mp4', num_frames=30, fps=10)), 'image': str(image)}


def with_mixin(mixin: type, template_cls: type) -> tuple[type, ...]:
    """Bases of a test subclass: the class alone once it has the mixin (after integration), else mixin first."""
    return (template_cls,) if mixin in template_cls.__mro__ else (mixin, template_cls)


def pllava_template(model_dir, mode: str, mixin: bool):
    from swift.model import get_processor
    from swift.template import get_template

    import swift_video_ext.plugin  # noqa: F401
    from swift_video_ext.models.pllava import template as module

    template = get_template(get_processor(str(model_dir), model_type='pllava'))
    # mixin: what the integrator's edit of PllavaTemplate does, without changing the class for other tests;
    # without: the mixin inert (no sentinels), i.e. the template as it is without it, before or after that edit
    sentinels = {module.IMAGE_SENTINEL: 'image', module.VIDEO_SENTINEL: 'video'} if mixin else {}
    template.__class__ = type('VllmPllavaTemplate', with_mixin(VllmTemplateMixin, module.PllavaTemplate),
                              {'vllm_sentinels': sentinels})
    template.set_mode(mode)
    return template


ROW = {'messages': [{'role': 'user', 'content': '<video>What happens?'}, {'role': 'assistant', 'content': 'x'},
                    {'role': 'user', 'content': '<image>And here?'}]}


def row(media):
    return {**ROW, 'videos': [media['clip']], 'images': [media['image']]}


def test_without_mixin_vllm_mode_leaks_sentinels(tiny_pllava, media):
    """The bug: ms-swift's vllm mode hands vLLM our negative marker ids."""
    encoded = pllava_template(tiny_pllava, 'vllm', mixin=False).encode(row(media))
    assert min(encoded['input_ids']) < 0


def test_vllm_mode_placeholders_and_frames_match_pt(tiny_pllava, media):
    vllm_template = pllava_template(tiny_pllava, 'vllm', mixin=True)
    encoded = vllm_template.encode(row(media))
    pt = pllava_template(tiny_pllava, 'transformers', mixin=True).encode(row(media))
    image_id = vllm_template.processor.image_token_id
    assert min(encoded['input_ids']) >= 0
    assert encoded['input_ids'].count(image_id) == 2  # one per medium; vLLM expands each
    # the same prompt once every placeholder is expanded to the pooled token count, as the pt backend has it
    per_media = vllm_template.processor.tokens_per_media
    expanded = [t for token in encoded['input_ids'] for t in ([token] * per_media if token == image_id else [token])]
    assert expanded == pt['input_ids']
    # every medium goes as a video in prompt order (the image as one frame), and gives pt's pixel values
    assert 'images' not in encoded and [v.shape[0] for v in encoded['videos']] == pt['frames_per_media'].tolist()
    pixels = torch.cat([vllm_template.processor.preprocess_frames(v) for v in encoded['videos']])
    torch.testing.assert_close(pixels, pt['pixel_values'], rtol=0, atol=0)


@pytest.mark.parametrize('template_type', ['pllava', 'pllava_eval', 'pllava_eval_interleaved'])
def test_vllm_prompt_equals_pt_prompt_for_every_layout(tiny_pllava, media, template_type):
    """The evaluation layouts move each turn's media to the front (its own turn) in vllm mode too, so vLLM is asked
    exactly the pt backend's prompt; the tags stand after the text here, as benchmark rows have them."""
    late_tags = {'messages': [{'role': 'user', 'content': 'What happens?<video>'}], 'videos': [media['clip']]}
    vllm_template = make_template(tiny_pllava, 'pllava', template_type=template_type, mode='vllm')
    pt_template = make_template(tiny_pllava, 'pllava', template_type=template_type, mode='transformers')
    encoded, pt = vllm_template.encode(late_tags), pt_template.encode(late_tags)
    image_id, per_media = vllm_template.processor.image_token_id, vllm_template.processor.tokens_per_media
    expanded = [t for token in encoded['input_ids'] for t in ([token] * per_media if token == image_id else [token])]
    assert expanded == pt['input_ids']


def test_text_only_row_unchanged(tiny_pllava):
    text_row = {'messages': [{'role': 'user', 'content': 'Hello'}]}
    encoded = pllava_template(tiny_pllava, 'vllm', mixin=True).encode(text_row)
    plain = pllava_template(tiny_pllava, 'vllm', mixin=False).encode(text_row)
    assert encoded['input_ids'] == plain['input_ids'] and 'videos' not in encoded


def test_mismatched_tags_name_the_reason(tiny_pllava, media):
    template = pllava_template(tiny_pllava, 'vllm', mixin=True)
    encoded = {'input_ids': [1, -201, 2, -201]}
    inputs = type('Inputs', (), {'images': [], 'videos': [media['clip']]})()
    with pytest.raises(ValueError, match='more <video> tags'):
        template.vllm_finish(encoded, inputs)


def minigpt4_template(model_dir, mode: str):
    template = make_template(model_dir, 'minigpt4_video', mode=mode)
    assert isinstance(template, VllmTemplateMixin)
    return template


def test_minigpt4_video_one_placeholder_per_frame_with_pt_frames(tiny_minigpt4, media):
    vllm_template = minigpt4_template(tiny_minigpt4, 'vllm')
    encoded = vllm_template.encode(row(media))
    pt = minigpt4_template(tiny_minigpt4, 'transformers').encode(row(media))
    processor = vllm_template.processor
    image_id, per_frame = processor.image_token_id, processor.tokens_per_frame
    assert min(encoded['input_ids']) >= 0
    assert len(encoded['videos']) == pt['pixel_values'].shape[0]  # every frame (and the image) is one medium
    assert all(v.shape[0] == 1 for v in encoded['videos'])
    expanded = [t for token in encoded['input_ids'] for t in ([token] * per_frame if token == image_id else [token])]
    assert expanded == pt['input_ids']
    pixels = torch.cat([processor.preprocess_frames(video) for video in encoded['videos']])
    torch.testing.assert_close(pixels, pt['pixel_values'], rtol=0, atol=0)


def expand_frames(input_ids: list[int], pad_id: int, per_frame: int) -> tuple[list[int], list[int]]:
    """What vLLM's processor does with the vllm-mode prompt: each pad id → ``per_frame`` vision slots; the ids and
    their token types (1 = a placeholder slot)."""
    ids, types = [], []
    for token in input_ids:
        copies = per_frame if token == pad_id else 1
        ids += [token] * copies
        types += [int(token == pad_id)] * copies
    return ids, types


@pytest.mark.parametrize('template_type', ['cogvlm2_video_chat', 'cogvlm2_video_base'])
@pytest.mark.parametrize('medium', ['video', 'image', 'text'])
def test_cogvlm2_video_one_placeholder_per_frame_with_pt_frames_and_positions(tiny_cogvlm, media, template_type,
                                                                             medium):
    from swift_video_ext.models.cogvlm2_video.modeling_cogvlm2_video import build_position_ids

    history = [{'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Hello'}]
    tag = {'video': '<video>', 'image': '<image>', 'text': ''}[medium]
    one_row = {'messages': [*history, {'role': 'user', 'content': f'{tag}What happens?'}]}
    if medium != 'text':
        one_row[f'{medium}s'] = [media['clip' if medium == 'video' else 'image']]
    vllm_template = make_template(tiny_cogvlm, 'cogvlm2_video_ts', template_type, 'vllm')
    encoded = vllm_template.encode(one_row)
    pt = make_template(tiny_cogvlm, 'cogvlm2_video_ts', template_type, 'transformers').encode(one_row)
    processor = vllm_template.processor
    pad_id, per_frame = processor.tokenizer.pad_token_id, processor.tokens_per_frame
    frames = [] if medium == 'text' else encoded['videos']
    assert encoded['input_ids'].count(pad_id) == len(frames)  # one placeholder per frame
    assert all(video.shape[0] == 1 for video in frames)  # each frame is a one-frame video
    ids, types = expand_frames(encoded['input_ids'], pad_id, per_frame)
    assert ids == pt['input_ids'] and types == pt['token_type_ids']
    # the positions the vLLM model derives from its placeholder slots are the pt backend's
    assert build_position_ids(torch.tensor([types]))[0].tolist() == pt['position_ids']
    if medium == 'text':
        assert 'videos' not in encoded and 'pixel_values' not in pt
    else:
        pixels = torch.cat([processor.preprocess_frames(video) for video in frames])
        torch.testing.assert_close(pixels, pt['pixel_values'], rtol=0, atol=0)
        assert len(frames) == (24 if medium == 'video' and template_type.endswith('base') else len(pixels))
